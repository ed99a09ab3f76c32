/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/open.c - eu_vr_open(): one VR API over every switch (open.h).
 *
 *   inproc:   the switch logic (lib/switch.c) in a thread of this process,
 *             or in the caller's loop (EU_VR_OPEN_F_MANUAL + eu_vr_poll())
 *   europad:  attach over europad's control socket (lib/ctl_proto.h)
 *   kdev:     the kernel switch (lib/kdev.c)
 *
 * Why a thread for inproc by default: the VR's code then stays exactly what
 * it is with europad or the kernel switch (rx burst, process, tx burst,
 * sleep), the switch sleeps on its own when idle, and the two sides meet
 * only in the region, as they do across processes. The cost is a second
 * runnable thread; EU_VR_OPEN_F_MANUAL avoids it for single-core hosts and
 * for deterministic tests, at the price of one eu_vr_poll() per loop.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <europa/kdev.h>
#include <europa/open.h>

#include "ctl_proto.h"
#include "internal.h"

#define EU_VRH_MAGIC 0x48525645U /* "EVRH" */

enum eu_vr_kind { EU_KIND_INPROC, EU_KIND_EUROPAD, EU_KIND_KDEV };

static const char *const eu_kind_names[] = { "inproc", "europad", "kdev" };

struct eu_vr_handle {
	struct eu_vr vr; /* first: eu_vr_open() returns &h->vr */
	__u32 magic;
	int kind;
	struct eu_region *region;
	struct eu_poller rxp;     /* our sleep on the rx ring */
	unsigned nports;
	struct eu_vr_port_info *pinfo;
	/* europad */
	int sock;
	/* inproc */
	struct eu_switch *sw;
	struct eu_port **ports;
	unsigned nopen;
	int manual;
	int thread_on;
	pthread_t thread;
	int stop_efd;
	int stop;
};

static struct eu_vr_handle *eu_vrh(const struct eu_vr *vr)
{
	struct eu_vr_handle *h = (struct eu_vr_handle *)vr;

	return h && h->magic == EU_VRH_MAGIC ? h : NULL;
}

EU_API void eu_vr_open_opts_default(struct eu_vr_open_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->timeout_ms = 5000;
}

static struct eu_vr_handle *eu_vrh_new(int kind)
{
	struct eu_vr_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return eu_err_null(ENOMEM, "vr open: out of memory");
	h->magic = EU_VRH_MAGIC;
	h->kind = kind;
	h->sock = -1;
	h->stop_efd = -1;
	return h;
}

static void eu_vrh_free(struct eu_vr_handle *h)
{
	unsigned i;

	if (!h)
		return;
	if (h->thread_on) {
		__u64 one = 1;

		__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
		if (write(h->stop_efd, &one, sizeof(one)) < 0) {
			/* the thread also checks `stop` at least every 100 ms */
		}
		pthread_join(h->thread, NULL);
	}
	if (h->vr.region)
		eu_vr_fini(&h->vr);
	eu_switch_destroy(h->sw);
	for (i = 0; i < h->nopen; i++)
		eu_port_close(h->ports[i]);
	free(h->ports);
	if (h->kind == EU_KIND_INPROC)
		eu_region_destroy(h->region);
	else
		eu_region_detach(h->region);
	if (h->sock >= 0)
		close(h->sock); /* europad sees the hangup and reclaims our slots */
	if (h->stop_efd >= 0)
		close(h->stop_efd);
	free(h->pinfo);
	h->magic = 0;
	free(h);
}

/* Attach as the VR of h->region and set up our rx sleep. */
static int eu_vrh_attach(struct eu_vr_handle *h)
{
	int err = eu_vr_init(&h->vr, h->region);

	if (err)
		return err;
	return eu_poller_init(&h->rxp, h->region, EU_RING_RX, NULL);
}

/* ------------------------------------------------------------------- inproc */

static void *eu_inproc_main(void *arg)
{
	struct eu_vr_handle *h = arg;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE))
		if (!eu_switch_poll(h->sw))
			eu_switch_idle(h->sw, 100);
	return NULL;
}

static struct eu_vr *eu_open_inproc(const char *spec, const struct eu_vr_open_opts *o)
{
	struct eu_vr_handle *h = eu_vrh_new(EU_KIND_INPROC);
	char *list = NULL, *save = NULL, *tok;
	unsigned n = 1;
	const char *c;
	int err, vr;

	if (!h)
		return NULL;
	if (!*spec) {
		err = eu_err(EINVAL, "vr open inproc: no port; name at least one, e.g. "
				     "inproc:pcap:in.pcap,out.pcap or inproc:xdp:veth0;xdp:veth1");
		goto fail;
	}
	for (c = spec; *c; c++)
		n += *c == ';';
	h->ports = calloc(n, sizeof(*h->ports));
	h->pinfo = calloc(n, sizeof(*h->pinfo));
	list = strdup(spec);
	if (!h->ports || !h->pinfo || !list) {
		err = eu_err(ENOMEM, "vr open: out of memory");
		goto fail;
	}
	h->region = eu_region_create("anon", o->region);
	if (!h->region) {
		err = -errno;
		goto fail;
	}
	h->sw = eu_switch_create(o->sw);
	if (!h->sw) {
		err = -errno;
		goto fail;
	}
	for (tok = strtok_r(list, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		struct eu_port *p;

		if (h->nopen >= EU_SWITCH_MAX_PORTS) {
			err = eu_err(E2BIG, "vr open inproc: more than %u ports",
				     EU_SWITCH_MAX_PORTS);
			goto fail;
		}
		p = eu_port_open(tok, o->port);
		if (!p) {
			err = -errno;
			goto fail; /* eu_port_open() said why */
		}
		h->ports[h->nopen++] = p;
		err = eu_switch_add_port(h->sw, p);
		if (err < 0)
			goto fail;
		snprintf(h->pinfo[h->nports].name, sizeof(h->pinfo[0].name), "%s", tok);
		eu_port_mac(p, h->pinfo[h->nports].mac);
		h->nports++;
	}
	if (!h->nports || h->nports != n) {
		err = eu_err(EINVAL, "vr open inproc: \"%s\" has an empty port name (ports are "
				     "separated by single ';')", spec);
		goto fail;
	}
	vr = eu_switch_add_vr(h->sw, h->region, "inproc");
	if (vr < 0) {
		err = vr;
		goto fail;
	}
	err = eu_switch_set_default(h->sw, vr);
	if (!err)
		err = eu_switch_vr_up(h->sw, (unsigned)vr, 1);
	if (!err)
		err = eu_vrh_attach(h);
	if (err)
		goto fail;
	h->manual = !!(o->flags & EU_VR_OPEN_F_MANUAL);
	if (!h->manual) {
		h->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (h->stop_efd < 0) {
			err = eu_err(errno, "vr open inproc: eventfd: %s", strerror(errno));
			goto fail;
		}
		err = eu_switch_watch_fd(h->sw, h->stop_efd);
		if (err)
			goto fail;
		err = pthread_create(&h->thread, NULL, eu_inproc_main, h);
		if (err) {
			err = eu_err(err, "vr open inproc: cannot start the switch thread: %s",
				     strerror(err));
			goto fail;
		}
		h->thread_on = 1;
	}
	free(list);
	return &h->vr;
fail:
	free(list);
	eu_vrh_free(h); /* the switch goes before its ports */
	errno = -err;
	return NULL;
}

/* ------------------------------------------------------------------ europad */

static int eu_ctl_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return eu_err(ENAMETOOLONG, "europad: socket path \"%s\" is longer than %zu bytes",
			      path, sizeof(a.sun_path) - 1);
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return eu_err(errno, "europad: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return eu_err(e, "europad: nothing listens on %s (%s): is europad running? "
					 "Start it (europad -c CONFIG) or name its socket, "
					 "europad:SOCKET#VR", path, strerror(e));
		if (e == EACCES)
			return eu_err(e, "europad: no permission to connect to %s: the socket's "
					 "mode (control.mode in europad's configuration) must let "
					 "this user in", path);
		return eu_err(e, "europad: connect to %s: %s", path, strerror(e));
	}
	if (timeout_ms > 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

/* Receive the attach reply and its fds (set to -1 if absent). */
static int eu_ctl_recv_attach(int sock, struct eu_ctl_attach_rep *rep, int fds[EU_CTL_ATTACH_FDS])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * EU_CTL_ATTACH_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = rep, .iov_len = sizeof(*rep) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;
	int i;

	for (i = 0; i < EU_CTL_ATTACH_FDS; i++)
		fds[i] = -1;
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return eu_err(errno, "europad: no answer%s: %s",
			      errno == EAGAIN ? " in time (is europad stuck?)" : "",
			      strerror(errno));
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (i = 0; i < (int)k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (i < EU_CTL_ATTACH_FDS)
					fds[i] = fd;
				else
					close(fd);
			}
		}
	}
	if (n == 0)
		return eu_err(ECONNRESET, "europad: it closed the connection without answering");
	if ((size_t)n < offsetof(struct eu_ctl_attach_rep, ports) || rep->magic != EU_CTL_MAGIC ||
	    rep->version != EU_CTL_VERSION || rep->op != EU_CTL_ATTACH)
		return eu_err(EPROTO, "europad: unexpected answer (%zd bytes): europad and "
				      "libeuropa are of different versions", n);
	rep->msg[sizeof(rep->msg) - 1] = 0;
	if (rep->nports > EU_CTL_MAX_PORTS ||
	    (size_t)n < offsetof(struct eu_ctl_attach_rep, ports) +
				rep->nports * sizeof(struct eu_ctl_port))
		return eu_err(EPROTO, "europad: answer with %u ports is truncated", rep->nports);
	return 0;
}

static struct eu_vr *eu_open_europad(const char *spec, const struct eu_vr_open_opts *o)
{
	struct eu_vr_handle *h = eu_vrh_new(EU_KIND_EUROPAD);
	struct eu_ctl_attach_rep *rep = NULL;
	struct eu_ctl_req req;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *hash = strrchr(spec, '#');
	int fds[EU_CTL_ATTACH_FDS] = { -1, -1, -1 };
	size_t plen;
	unsigned i;
	int err;

	if (!h)
		return NULL;
	if (!hash || !hash[1]) {
		err = eu_err(EINVAL, "vr open europad: \"europad:%s\" names no VR; write "
				     "europad:[SOCKET]#VR, e.g. europad:/run/europa.sock#vr1", spec);
		goto fail;
	}
	if (strlen(hash + 1) >= EU_CTL_NAME_MAX) {
		err = eu_err(ENAMETOOLONG, "vr open europad: VR name \"%s\" is longer than %d "
					   "bytes", hash + 1, EU_CTL_NAME_MAX - 1);
		goto fail;
	}
	plen = (size_t)(hash - spec);
	if (plen >= sizeof(path)) {
		err = eu_err(ENAMETOOLONG, "vr open europad: socket path is longer than %zu bytes",
			     sizeof(path) - 1);
		goto fail;
	}
	if (plen)
		memcpy(path, spec, plen);
	path[plen] = 0;
	if (!plen)
		snprintf(path, sizeof(path), "%s", EU_CTL_DEFAULT_SOCKET);
	h->sock = eu_ctl_connect(path, o->timeout_ms > 0 ? o->timeout_ms : 5000);
	if (h->sock < 0) {
		err = h->sock;
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.magic = EU_CTL_MAGIC;
	req.version = EU_CTL_VERSION;
	req.op = EU_CTL_ATTACH;
	req.pid = (__u32)getpid();
	snprintf(req.name, sizeof(req.name), "%s", hash + 1);
	if (send(h->sock, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
		err = eu_err(errno, "europad: send to %s: %s", path, strerror(errno));
		goto fail;
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		err = eu_err(ENOMEM, "vr open: out of memory");
		goto fail;
	}
	err = eu_ctl_recv_attach(h->sock, rep, fds);
	if (err)
		goto fail;
	if (rep->err) {
		err = eu_err(rep->err > 0 && rep->err < 4096 ? rep->err : EPROTO,
			     "europad (%s) refused to attach VR %s: %s", path, req.name, rep->msg);
		goto fail;
	}
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
		err = eu_err(EPROTO, "europad: the attach answer lacks its file descriptors");
		goto fail;
	}
	h->region = eu_region_attach_fd(fds[0]);
	if (!h->region) {
		err = -errno;
		goto fail;
	}
	/* the region now owns the eventfds (closed on detach) */
	eu_region_set_wake_fd(h->region, EU_RING_RX, fds[1]);
	fds[1] = -1;
	eu_region_set_wake_fd(h->region, EU_RING_TX, fds[2]);
	fds[2] = -1;
	h->pinfo = calloc(rep->nports ? rep->nports : 1, sizeof(*h->pinfo));
	if (!h->pinfo) {
		err = eu_err(ENOMEM, "vr open: out of memory");
		goto fail;
	}
	for (i = 0; i < rep->nports; i++) {
		rep->ports[i].name[EU_CTL_NAME_MAX - 1] = 0;
		snprintf(h->pinfo[i].name, sizeof(h->pinfo[i].name), "%s", rep->ports[i].name);
		memcpy(h->pinfo[i].mac, rep->ports[i].mac, 6);
	}
	h->nports = rep->nports;
	err = eu_vrh_attach(h);
	if (err)
		goto fail;
	for (i = 0; i < EU_CTL_ATTACH_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(rep);
	return &h->vr;
fail:
	for (i = 0; i < EU_CTL_ATTACH_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(rep);
	eu_vrh_free(h);
	errno = -err;
	return NULL;
}

/* --------------------------------------------------------------------- kdev */

static struct eu_vr *eu_open_kdev(const char *name)
{
	struct eu_vr_handle *h = eu_vrh_new(EU_KIND_KDEV);
	struct eu_kdev_create *c = NULL;
	char dev[256];
	unsigned i;
	int err, sk;

	if (!h)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		err = eu_err(ENOMEM, "vr open: out of memory");
		goto fail;
	}
	c->size = sizeof(*c);
	err = eu_kdev_parse(name, c, dev, sizeof(dev));
	if (err)
		goto fail;
	h->region = eu_kdev_open(dev[0] ? dev : NULL, c);
	if (!h->region) {
		err = -errno;
		goto fail;
	}
	h->pinfo = calloc(c->nports ? c->nports : 1, sizeof(*h->pinfo));
	if (!h->pinfo) {
		err = eu_err(ENOMEM, "vr open: out of memory");
		goto fail;
	}
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < c->nports; i++) {
		struct ifreq ifr;

		snprintf(h->pinfo[i].name, sizeof(h->pinfo[i].name), "%.*s",
			 (int)sizeof(c->ports[i]), c->ports[i]);
		memset(&ifr, 0, sizeof(ifr));
		if (strlen(h->pinfo[i].name) >= sizeof(ifr.ifr_name))
			continue;
		memcpy(ifr.ifr_name, h->pinfo[i].name, strlen(h->pinfo[i].name));
		if (sk >= 0 && ioctl(sk, SIOCGIFHWADDR, &ifr) == 0)
			memcpy(h->pinfo[i].mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	if (sk >= 0)
		close(sk);
	h->nports = c->nports;
	err = eu_vrh_attach(h);
	if (err)
		goto fail;
	free(c);
	return &h->vr;
fail:
	free(c);
	eu_vrh_free(h);
	errno = -err;
	return NULL;
}

/* ---------------------------------------------------------------------- API */

EU_API struct eu_vr *eu_vr_open(const char *name, const struct eu_vr_open_opts *in)
{
	struct eu_vr_open_opts o;

	eu_vr_open_opts_default(&o);
	if (in) {
		size_t n = in->size;

		if (n < sizeof(__u32) * 2 || n > 4096)
			return eu_err_null(EINVAL, "vr open: options size field is %u; set it to "
						   "sizeof(struct eu_vr_open_opts)", in->size);
		memcpy(&o, in, n < sizeof(o) ? n : sizeof(o));
		o.size = sizeof(o);
	}
	if (o.flags & ~(__u32)EU_VR_OPEN_F_MANUAL)
		return eu_err_null(EINVAL, "vr open: unknown flags 0x%x", o.flags);
	if (!name)
		return eu_err_null(EINVAL, "vr open: name is NULL; use e.g. "
					   "\"europad:/run/europa.sock#vr1\"");
	if (strncmp(name, "inproc:", 7) == 0)
		return eu_open_inproc(name + 7, &o);
	if (strncmp(name, "europad:", 8) == 0)
		return eu_open_europad(name + 8, &o);
	if (strncmp(name, "kdev:", 5) == 0)
		return eu_open_kdev(name);
	return eu_err_null(EINVAL, "vr open: unknown switch in \"%s\"; use europad:[SOCKET]#VR, "
				   "inproc:PORT[;PORT...] or kdev:[DEVICE][#KEY=VALUE,...]", name);
}

/*
 * Give the switch a moment (at most 200 ms) to take what the VR transmitted
 * last, so that closing right after eu_vr_tx_burst() does not lose frames.
 */
static void eu_vrh_drain(struct eu_vr_handle *h)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (h->manual) {
			if (!eu_switch_poll(h->sw) && !eu_ring_count(&h->vr.tx))
				return;
			continue;
		}
		if (!eu_ring_count(&h->vr.tx))
			return;
		if (h->kind == EU_KIND_EUROPAD && !eu_vr_switch_alive(&h->vr))
			return;
		usleep(1000);
	}
}

EU_API void eu_vr_close(struct eu_vr *vr)
{
	struct eu_vr_handle *h = eu_vrh(vr);

	if (!h)
		return;
	eu_vrh_drain(h);
	eu_vrh_free(h);
}

EU_API unsigned eu_vr_poll(struct eu_vr *vr)
{
	struct eu_vr_handle *h = eu_vrh(vr);

	if (!h || !h->manual)
		return 0;
	return eu_switch_poll(h->sw);
}

EU_API int eu_vr_idle(struct eu_vr *vr, int timeout_ms)
{
	struct eu_vr_handle *h = eu_vrh(vr);

	if (!h)
		return eu_err(EINVAL, "vr idle: not a VR from eu_vr_open()");
	if (h->manual) {
		/* we are the switch too: frames come when a port has some */
		if (__atomic_load_n(vr->rx.prod, __ATOMIC_ACQUIRE) != vr->rx.local)
			return 1;
		return eu_switch_idle(h->sw, timeout_ms);
	}
	return eu_poller_idle(&h->rxp, &vr->rx, timeout_ms);
}

EU_API int eu_vr_switch_alive(const struct eu_vr *vr)
{
	struct eu_vr_handle *h = eu_vrh(vr);
	struct pollfd p;

	if (!h)
		return 0;
	if (h->kind != EU_KIND_EUROPAD)
		return 1;
	p.fd = h->sock;
	p.events = POLLIN | POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
		return 0;
	return 1;
}

EU_API unsigned eu_vr_nports(const struct eu_vr *vr)
{
	struct eu_vr_handle *h = eu_vrh(vr);

	return h ? h->nports : 0;
}

EU_API int eu_vr_port(const struct eu_vr *vr, unsigned port, struct eu_vr_port_info *out)
{
	struct eu_vr_handle *h = eu_vrh(vr);

	if (!h || !out || port >= h->nports)
		return eu_err(EINVAL, "vr port info: no port %u (the VR has %u)", port,
			      h ? h->nports : 0);
	*out = h->pinfo[port];
	return 0;
}

EU_API const char *eu_vr_switch_kind(const struct eu_vr *vr)
{
	struct eu_vr_handle *h = eu_vrh(vr);

	return h ? eu_kind_names[h->kind] : "?";
}

EU_API struct eu_switch *eu_vr_switch(const struct eu_vr *vr)
{
	struct eu_vr_handle *h = eu_vrh(vr);

	return h ? h->sw : NULL;
}
