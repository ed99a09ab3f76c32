/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backends/af_xdp/af_xdp.c - "xdp:IFNAME[@QUEUE][,native|,skb]": one AF_XDP
 * socket on one queue (default 0) of an interface, through libxdp's xsk API.
 *
 * UMEM: 2 * ring frames (chunks) of 2048 or 4096 bytes in anonymous memory.
 * Frames [0, ring) are for receiving: all start on the fill ring; the kernel
 * moves them to the rx ring with a frame in each; eu_port_rx_burst() lends
 * them out and eu_port_rx_release() puts them back on the fill ring. Frames
 * [ring, 2 * ring) are for sending: a stack of free ones; tx_burst copies
 * each frame into one and puts it on the tx ring; the kernel returns it on
 * the completion ring once sent, and the next tx_burst or flush takes it back.
 * Since the fill ring holds ring entries and there are ring receive frames,
 * putting frames back on the fill ring never finds it full.
 *
 * The socket binds with XDP_USE_NEED_WAKEUP: we make a system call only when
 * the kernel asks for one (a sendto() after queueing frames to send, which
 * copy mode always asks for; a recvfrom() when the rx ring is empty and the
 * fill ring asks for it). Zero-copy is tried first and copy mode taken when
 * the driver has no zero-copy support (EOPNOTSUPP, as on veth), unless
 * EU_PORT_O_ZEROCOPY insists or EU_PORT_O_COPY forbids it. The XDP program is
 * libxdp's default one (redirect every frame of the queue to the socket),
 * attached in native (driver) mode, or in generic (skb) mode when the driver
 * has no native XDP; ",skb" or ",native" in the name picks one. libxdp
 * detaches it when the last socket of the interface closes.
 *
 * Copy mode sends at most 32 frames per sendto() (the kernel's TX_BATCH_SIZE,
 * answering EAGAIN when more are queued): a kick repeats sendto() for the
 * frames queued.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "../port_internal.h"

#define XDP_RING_DEFAULT 2048U
#define XDP_HEADROOM 256U /* XDP_PACKET_HEADROOM: the kernel's, before each rx frame */
#define XDP_BUSY_RETRIES 300 /* x 10 ms: a queue's last socket is released lazily,
				by a kernel worker that a loaded machine may run late */

struct eu_xdp {
	/* Zeroed before libxdp fills them: libxdp 1.3.1 leaves some fields
	   (e.g. the fill ring's cached_prod) uninitialised. */
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	unsigned char *area;
	size_t area_len;
	unsigned chunk; /* bytes per UMEM frame, a power of two */
	unsigned ring;  /* entries of each ring; also receive frames, send frames */
	unsigned mtu;
	unsigned tx_max; /* longest frame we send */

	__u32 rx_idx, rx_n; /* the rx descriptors lent out */
	__u64 *fill_pend;   /* receive frames to give back to the fill ring, when it has room */
	unsigned fill_npend;

	__u64 *tx_free; /* stack of free send frames (UMEM addresses) */
	unsigned tx_nfree;
	int tx_kick; /* frames queued that the kernel may not have taken yet */

	int netns; /* network namespace of the interface (libxdp's detach runs there) */
	int fd;
};

/* --------------------------------------------- libbpf/libxdp messages */

/*
 * libbpf and libxdp print warnings to stderr by default (e.g. "skipping
 * unrecognized data section" for their own programs). While we call them we
 * keep the last line instead, for our error message.
 */
static _Thread_local char xdp_lastmsg[256];

static int xdp_vlog(const char *fmt, va_list ap)
{
	char buf[sizeof(xdp_lastmsg)];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	/* Ignore notes about sections of the program files: they are normal. */
	if (n && !strstr(buf, "skipping unrecognized data section"))
		memcpy(xdp_lastmsg, buf, n + 1);
	return 0;
}

static int xdp_bpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return xdp_vlog(fmt, ap);
}

static int xdp_xdp_log(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBXDP_DEBUG)
		return 0;
	return xdp_vlog(fmt, ap);
}

struct xdp_quiet {
	libbpf_print_fn_t bpf;
	libxdp_print_fn_t xdp;
};

static void xdp_quiet_begin(struct xdp_quiet *q)
{
	xdp_lastmsg[0] = '\0';
	q->bpf = libbpf_set_print(xdp_bpf_log);
	q->xdp = libxdp_set_print(xdp_xdp_log);
}

static void xdp_quiet_end(const struct xdp_quiet *q)
{
	libbpf_set_print(q->bpf);
	libxdp_set_print(q->xdp);
}

/* ------------------------------------------------------ set-up */

static int xdp_netns_same(int fd)
{
	struct stat a, b;

	if (fd < 0 || fstat(fd, &a) < 0 || stat("/proc/thread-self/ns/net", &b) < 0)
		return 1; /* cannot tell: assume so */
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static void xdp_free(struct eu_xdp *x)
{
	if (x->xsk) {
		struct xdp_quiet q;
		int back = -1;

		/* libxdp detaches the XDP program through netlink in the calling
		   thread's network namespace: go to the interface's one. */
		if (!xdp_netns_same(x->netns)) {
			back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
			if (back >= 0 && setns(x->netns, CLONE_NEWNET) < 0) {
				close(back);
				back = -1;
			}
		}
		xdp_quiet_begin(&q);
		xsk_socket__delete(x->xsk);
		xdp_quiet_end(&q);
		if (back >= 0) {
			if (setns(back, CLONE_NEWNET) < 0)
				abort(); /* the caller's namespace is gone from under it */
			close(back);
		}
	}
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, x->area_len);
	if (x->netns >= 0)
		close(x->netns);
	free(x->tx_free);
	free(x->fill_pend);
	free(x);
}

/* Parse "IFNAME[@QUEUE][,native|,skb]". */
static int xdp_parse(struct eu_port *p, const char *args, char ifname[IFNAMSIZ], __u32 *queue,
		     int *mode)
{
	const char *at = strchr(args, '@'), *comma = strchr(args, ',');
	int err = eu_port_ifname_take(p, args, at ? at : comma ? comma : args + strlen(args),
				      ifname);

	*queue = 0;
	*mode = XDP_MODE_UNSPEC;
	if (err)
		return err;
	if (at) {
		char *e;
		unsigned long q;

		errno = 0;
		q = strtoul(at + 1, &e, 10);
		if (e == at + 1 || errno || q > 0xffff || (*e && *e != ','))
			return eu_err(EINVAL, "port %s: bad queue '%s': write %s, e.g. xdp:%s@0",
				      p->name, at + 1, p->ops->usage, ifname);
		*queue = (__u32)q;
		comma = *e == ',' ? e : NULL;
	}
	if (comma) {
		if (!strcmp(comma + 1, "native"))
			*mode = XDP_MODE_NATIVE;
		else if (!strcmp(comma + 1, "skb"))
			*mode = XDP_MODE_SKB;
		else
			return eu_err(EINVAL, "port %s: unknown XDP mode '%s': use ,native or ,skb",
				      p->name, comma + 1);
	}
	return 0;
}

/*
 * Undo a UMEM whose socket was not created. (libxdp 1.3.1 unmaps the fill
 * and completion rings here too: checked, nothing stays mapped.)
 */
static void xdp_umem_drop(struct eu_xdp *x)
{
	xsk_umem__delete(x->umem);
	x->umem = NULL;
}

/* One attempt at a socket with these flags. 0 or -errno (nothing left behind). */
static int xdp_try(struct eu_xdp *x, const char *ifname, __u32 queue, __u32 xdp_flags,
		   __u16 bind_flags)
{
	struct xsk_umem_config uc;
	struct xsk_socket_config sc;
	int err, tries;

	memset(&x->fq, 0, sizeof(x->fq));
	memset(&x->cq, 0, sizeof(x->cq));
	memset(&x->rx, 0, sizeof(x->rx));
	memset(&x->tx, 0, sizeof(x->tx));
	memset(&uc, 0, sizeof(uc));
	uc.fill_size = x->ring;
	uc.comp_size = x->ring;
	uc.frame_size = x->chunk;
	uc.frame_headroom = 0;
	uc.flags = 0;
	err = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fq, &x->cq, &uc);
	if (err) {
		x->umem = NULL;
		return err;
	}
	memset(&sc, 0, sizeof(sc));
	sc.rx_size = x->ring;
	sc.tx_size = x->ring;
	sc.libxdp_flags = 0;
	sc.xdp_flags = xdp_flags;
	sc.bind_flags = bind_flags;
	for (tries = 0;; tries++) {
		err = xsk_socket__create(&x->xsk, ifname, queue, x->umem, &x->rx, &x->tx, &sc);
		if (err != -EBUSY || tries == XDP_BUSY_RETRIES)
			break;
		/* The queue's previous socket may still be being released. */
		xdp_umem_drop(x);
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		memset(&x->fq, 0, sizeof(x->fq));
		memset(&x->cq, 0, sizeof(x->cq));
		err = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fq, &x->cq, &uc);
		if (err) {
			x->umem = NULL;
			return err;
		}
	}
	if (err) {
		x->xsk = NULL;
		xdp_umem_drop(x);
	}
	return err;
}

static int xdp_open_err(struct eu_port *p, int err, const char *ifname, __u32 queue, int mode,
			int zc)
{
	const char *why = xdp_lastmsg[0] ? xdp_lastmsg : strerror(-err);

	switch (-err) {
	case EPERM:
	case EACCES:
		return eu_err(-err, "port %s: AF_XDP needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF "
				    "(run as root) [%s]", p->name, why);
	case EOPNOTSUPP:
		if (zc)
			return eu_err(EOPNOTSUPP, "port %s: the driver of %s has no AF_XDP "
						  "zero-copy support (veth has copy mode only): "
						  "drop EU_PORT_O_ZEROCOPY", p->name, ifname);
		return eu_err(EOPNOTSUPP, "port %s: %s XDP is not supported on %s%s [%s]",
			      p->name, mode == XDP_MODE_SKB ? "generic (skb)" : "native",
			      ifname, mode == XDP_MODE_SKB ? "" : ": try xdp:IF,skb", why);
	case EINVAL:
		return eu_err(EINVAL, "port %s: cannot bind to queue %u of %s: does the queue "
				      "exist (ethtool -l %s)? [%s]", p->name, queue, ifname, ifname,
			      why);
	case EBUSY:
	case EEXIST:
		return eu_err(-err, "port %s: queue %u of %s is busy, or another XDP program is "
				    "attached to %s (see `ip link show %s`; remove it with `ip "
				    "link set %s xdp off`) [%s]", p->name, queue, ifname, ifname,
			      ifname, ifname, why);
	case ENOMEM:
	case ENOBUFS:
		return eu_err(-err, "port %s: out of memory for the UMEM (%s): lower ring_size "
				    "or raise `ulimit -l`", p->name, why);
	default:
		return eu_err(-err, "port %s: AF_XDP socket on %s queue %u: %s", p->name, ifname,
			      queue, why);
	}
}

static int xdp_open(struct eu_port *p, const char *args, const struct eu_port_opts *o)
{
	static const struct {
		int mode;
		__u16 copy;
	} attempts[] = {
		{ XDP_MODE_NATIVE, XDP_ZEROCOPY },
		{ XDP_MODE_NATIVE, XDP_COPY },
		{ XDP_MODE_SKB, XDP_COPY }, /* generic XDP has no zero-copy */
	};
	char ifname[IFNAMSIZ];
	struct xdp_options xo;
	struct xdp_quiet q;
	socklen_t len;
	__u32 queue, i;
	int err, mode, ifindex, last_zc = 0, skb = 0;
	size_t a;
	struct eu_xdp *x;

	err = xdp_parse(p, args, ifname, &queue, &mode);
	if (err)
		return err;
	ifindex = eu_port_ifindex(p, ifname);
	if (ifindex < 0)
		return ifindex;
	if (mode == XDP_MODE_SKB && (o->flags & EU_PORT_O_ZEROCOPY))
		return eu_err(EINVAL, "port %s: zero-copy needs native XDP: drop ,skb or "
				      "EU_PORT_O_ZEROCOPY", p->name);
	if (o->frame_size > 4096 - XDP_HEADROOM)
		return eu_err(EINVAL, "port %s: frame_size %u: AF_XDP without multi-buffer "
				      "takes frames up to %u bytes", p->name, o->frame_size,
			      4096 - XDP_HEADROOM);
	x = calloc(1, sizeof(*x));
	if (!x)
		return eu_err(ENOMEM, "port %s: out of memory", p->name);
	x->netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	err = eu_port_ifinfo(p, ifname, p->mac, &x->mtu);
	if (err)
		goto fail;
	x->ring = o->ring_size ? o->ring_size : XDP_RING_DEFAULT;
	/* The largest frame to receive: frame_size, or less if the MTU says so. */
	x->chunk = 2048;
	if ((o->frame_size < x->mtu + 18 ? o->frame_size : x->mtu + 18) + XDP_HEADROOM > 2048)
		x->chunk = 4096;
	x->tx_max = x->chunk;
	if (x->tx_max > o->frame_size)
		x->tx_max = o->frame_size;
	x->area_len = (size_t)2 * x->ring * x->chunk;
	x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		err = eu_err(ENOMEM, "port %s: cannot map a UMEM of %zu bytes: lower ring_size",
			     p->name, x->area_len);
		goto fail;
	}
	x->tx_free = malloc(sizeof(*x->tx_free) * x->ring);
	x->fill_pend = malloc(sizeof(*x->fill_pend) * x->ring);
	if (!x->tx_free || !x->fill_pend) {
		err = eu_err(ENOMEM, "port %s: out of memory", p->name);
		goto fail;
	}

	err = -EOPNOTSUPP;
	xdp_quiet_begin(&q);
	for (a = 0; a < sizeof(attempts) / sizeof(attempts[0]); a++) {
		__u32 xflags = attempts[a].mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE
								  : XDP_FLAGS_DRV_MODE;

		if (mode != XDP_MODE_UNSPEC && mode != attempts[a].mode)
			continue;
		if ((o->flags & EU_PORT_O_ZEROCOPY) && attempts[a].copy != XDP_ZEROCOPY)
			continue;
		if ((o->flags & EU_PORT_O_COPY) && attempts[a].copy != XDP_COPY)
			continue;
		last_zc = attempts[a].copy == XDP_ZEROCOPY;
		skb = attempts[a].mode == XDP_MODE_SKB;
		xdp_lastmsg[0] = '\0';
		err = xdp_try(x, ifname, queue, xflags,
			      (__u16)(attempts[a].copy | XDP_USE_NEED_WAKEUP));
		if (err != -EOPNOTSUPP)
			break;
	}
	xdp_quiet_end(&q);
	if (err) {
		err = xdp_open_err(p, err, ifname, queue, skb ? XDP_MODE_SKB : XDP_MODE_NATIVE,
				   last_zc && (o->flags & EU_PORT_O_ZEROCOPY));
		goto fail;
	}
	x->fd = xsk_socket__fd(x->xsk);

	/* Every receive frame on the fill ring; every send frame free. */
	if (xsk_ring_prod__reserve(&x->fq, x->ring, &i) != x->ring) {
		err = eu_err(EIO, "port %s: the fill ring has no room for %u frames", p->name,
			     x->ring);
		goto fail;
	}
	for (a = 0; a < x->ring; a++)
		*xsk_ring_prod__fill_addr(&x->fq, i + (__u32)a) = (__u64)a * x->chunk;
	xsk_ring_prod__submit(&x->fq, x->ring);
	for (a = 0; a < x->ring; a++)
		x->tx_free[a] = (__u64)(x->ring + a) * x->chunk;
	x->tx_nfree = x->ring;

	/* An XDP program already attached (by another port) is reused in the mode
	   it has: ask the kernel which mode that is. */
	{
		struct bpf_xdp_query_opts qo;

		memset(&qo, 0, sizeof(qo));
		qo.sz = sizeof(qo);
		if (bpf_xdp_query(ifindex, 0, &qo) == 0 && qo.attach_mode != XDP_ATTACHED_NONE)
			skb = qo.attach_mode == XDP_ATTACHED_SKB;
	}
	memset(&xo, 0, sizeof(xo));
	len = sizeof(xo);
	if (getsockopt(x->fd, SOL_XDP, XDP_OPTIONS, &xo, &len) == 0 &&
	    (xo.flags & XDP_OPTIONS_ZEROCOPY))
		p->mode = skb ? "xdp zero-copy (skb)" : "xdp zero-copy (native)";
	else
		p->mode = skb ? "xdp copy (skb)" : "xdp copy (native)";
	p->priv = x;
	p->fd = x->fd;
	return 0;
fail:
	xdp_free(x);
	return err;
}

static void xdp_close(struct eu_port *p)
{
	xdp_free(p->priv);
}

/* ------------------------------------------------------ receive */

static unsigned xdp_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n)
{
	struct eu_xdp *x = p->priv;
	__u32 idx = 0, got, i;

	got = xsk_ring_cons__peek(&x->rx, n, &idx);
	if (!got) {
		if (xsk_ring_prod__needs_wakeup(&x->fq))
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	for (i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);

		refs[i].data = xsk_umem__get_data(x->area, d->addr);
		refs[i].len = d->len;
		refs[i].vlan = 0;
		refs[i].flags = 0;
	}
	x->rx_idx = idx;
	x->rx_n = got;
	return got;
}

static void xdp_rx_release(struct eu_port *p)
{
	struct eu_xdp *x = p->priv;
	__u32 fidx = 0, i;
	__u64 mask = ~(__u64)(x->chunk - 1);

	__u32 got;

	/*
	 * The fill ring has room for every receive frame, but the kernel
	 * publishes its consumer index lazily, so a reservation can come back
	 * short: keep what does not fit and give it back on a later call,
	 * never hand the kernel a stale address.
	 */
	for (i = 0; i < x->rx_n; i++)
		x->fill_pend[x->fill_npend++] =
			xsk_ring_cons__rx_desc(&x->rx, x->rx_idx + i)->addr & mask;
	xsk_ring_cons__release(&x->rx, x->rx_n);
	x->rx_n = 0;
	/* reserve is all-or-nothing: ask for what the ring says it has room for */
	got = xsk_prod_nb_free(&x->fq, x->fill_npend);
	if (got > x->fill_npend)
		got = x->fill_npend;
	if (got)
		got = xsk_ring_prod__reserve(&x->fq, got, &fidx);
	for (i = 0; i < got; i++)
		*xsk_ring_prod__fill_addr(&x->fq, fidx + i) = x->fill_pend[--x->fill_npend];
	xsk_ring_prod__submit(&x->fq, got);
}

/* ------------------------------------------------------ transmit */

/* Take back the send frames the kernel is done with. */
static void xdp_reap(struct eu_xdp *x)
{
	__u32 idx = 0, n, i;

	n = xsk_ring_cons__peek(&x->cq, x->ring, &idx);
	if (!n)
		return;
	for (i = 0; i < n; i++)
		x->tx_free[x->tx_nfree++] = *xsk_ring_cons__comp_addr(&x->cq, idx + i);
	xsk_ring_cons__release(&x->cq, n);
}

/* Make the kernel take the frames queued on the tx ring, if it wants a kick. */
static int xdp_kick(struct eu_port *p, struct eu_xdp *x, unsigned queued)
{
	unsigned tries;

	if (!xsk_ring_prod__needs_wakeup(&x->tx)) {
		x->tx_kick = 0;
		return 0;
	}
	/* Copy mode sends 32 frames per call and says EAGAIN if more wait. */
	for (tries = 0; tries <= queued / 32 + 1; tries++) {
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
			x->tx_kick = 0;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			break;
	}
	x->tx_kick = 1;
	if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == EINTR)
		return 0; /* the rest goes at the next kick */
	eu_port_count(&p->st.tx_errors, 1);
	return -errno;
}

static unsigned xdp_tx_burst(struct eu_port *p, const struct eu_frame *f, unsigned n)
{
	struct eu_xdp *x = p->priv;
	unsigned i, j, good = 0, avail, dropped = 0;
	__u32 idx = 0;
	__u64 bytes = 0;

	xdp_reap(x);
	avail = x->tx_nfree;
	if (avail) {
		unsigned room = xsk_prod_nb_free(&x->tx, avail);

		if (room < avail)
			avail = room;
	}
	/* Frames we take: every bad one (dropped), and good ones while room lasts. */
	for (i = 0; i < n; i++) {
		if (eu_port_tx_bad(&f[i], x->mtu) || eu_port_tx_len(&f[i]) > x->tx_max)
			continue;
		if (good == avail)
			break;
		good++;
	}
	if (good && xsk_ring_prod__reserve(&x->tx, good, &idx) != good)
		return 0; /* cannot happen: room was checked */
	for (j = 0; j < i; j++) {
		struct xdp_desc *d;
		unsigned len;

		if (eu_port_tx_bad(&f[j], x->mtu) || eu_port_tx_len(&f[j]) > x->tx_max) {
			dropped++;
			continue;
		}
		len = eu_port_tx_len(&f[j]);
		d = xsk_ring_prod__tx_desc(&x->tx, idx++);
		d->addr = x->tx_free[--x->tx_nfree];
		d->len = len;
		d->options = 0;
		eu_port_tx_copy(xsk_umem__get_data(x->area, d->addr), &f[j]);
		bytes += len;
	}
	if (good) {
		xsk_ring_prod__submit(&x->tx, good);
		x->tx_kick = 1;
	}
	if (x->tx_kick)
		xdp_kick(p, x, good);
	eu_port_count(&p->st.tx_frames, good);
	eu_port_count(&p->st.tx_bytes, bytes);
	if (dropped)
		eu_port_count(&p->st.tx_dropped, dropped);
	return i;
}

static int xdp_flush(struct eu_port *p)
{
	struct eu_xdp *x = p->priv;
	int err = 0;

	if (x->tx_kick)
		err = xdp_kick(p, x, x->ring - x->tx_nfree);
	xdp_reap(x);
	return err;
}

static void xdp_stats(const struct eu_port *p, struct eu_port_stats *s)
{
	const struct eu_xdp *x = p->priv;
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &st, &len) < 0)
		return;
	s->rx_dropped += st.rx_dropped + st.rx_ring_full;
	s->rx_errors += st.rx_invalid_descs;
	s->tx_errors += st.tx_invalid_descs;
}

const struct eu_port_ops eu_port_xdp_ops = {
	.driver = "xdp",
	.usage = "xdp:IFNAME[@QUEUE][,native|,skb]",
	.open = xdp_open,
	.close = xdp_close,
	.rx_burst = xdp_rx_burst,
	.rx_release = xdp_rx_release,
	.tx_burst = xdp_tx_burst,
	.flush = xdp_flush,
	.stats = xdp_stats,
};
