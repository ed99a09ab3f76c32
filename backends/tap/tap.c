/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backends/tap/tap.c - "tap:IFNAME": a TAP device (/dev/net/tun, IFF_TAP |
 * IFF_NO_PI), created if it does not exist (and then removed on close) or
 * attached to if it does (a persistent one made by `ip tuntap add`), and
 * brought up.
 *
 * What the kernel sends out of the TAP interface is what we receive; what we
 * send arrives at the kernel as received on it. One system call per frame
 * both ways (the tun character device has no batching): a burst is a loop of
 * nonblocking readv()/writev() calls that stops at EAGAIN. Received frames
 * are read into our own buffers (ring_size of frame_size bytes, default 256),
 * reused by the next burst. A frame longer than frame_size is counted in
 * rx_errors and skipped (readv's second vector catches the excess).
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../port_internal.h"

#define TAP_RING_DEFAULT 256U
#define TAP_SCRATCH 65536U

struct eu_tap {
	int fd;
	unsigned mtu;
	unsigned frame_size;
	unsigned nbufs;
	unsigned char *bufs;    /* nbufs * frame_size */
	unsigned char *scratch; /* the part of an oversized frame beyond frame_size */
};

static void tap_free(struct eu_tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->bufs);
	free(t->scratch);
	free(t);
}

static int tap_open(struct eu_port *p, const char *ifname, const struct eu_port_opts *o)
{
	struct ifreq ifr;
	struct eu_tap *t;
	int err, existed;

	if (!*ifname)
		return eu_err(EINVAL, "port %s: no interface name: write tap:IFNAME", p->name);
	if (strlen(ifname) >= IFNAMSIZ)
		return eu_err(EINVAL, "port %s: interface name '%s' is longer than %d bytes",
			      p->name, ifname, IFNAMSIZ - 1);
	t = calloc(1, sizeof(*t));
	if (!t)
		return eu_err(ENOMEM, "port %s: out of memory", p->name);
	t->frame_size = o->frame_size;
	t->nbufs = o->ring_size ? o->ring_size : TAP_RING_DEFAULT;
	t->bufs = malloc((size_t)t->nbufs * t->frame_size);
	t->scratch = malloc(TAP_SCRATCH);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (!t->bufs || !t->scratch) {
		err = eu_err(ENOMEM, "port %s: out of memory: lower ring_size", p->name);
		goto fail;
	}
	if (t->fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			err = eu_err(errno, "port %s: no /dev/net/tun: load the tun module "
					    "(modprobe tun)", p->name);
		else if (errno == EACCES || errno == EPERM)
			err = eu_err(errno, "port %s: cannot open /dev/net/tun: permission "
					    "denied (run as root)", p->name);
		else
			err = eu_err(errno, "port %s: open /dev/net/tun: %s", p->name,
				     strerror(errno));
		goto fail;
	}
	existed = if_nametoindex(ifname) != 0;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		if (errno == EPERM || errno == EACCES)
			err = eu_err(errno, "port %s: %s '%s' needs CAP_NET_ADMIN: run as root, "
					    "or create it for your user first: ip tuntap add dev "
					    "%s mode tap user $USER", p->name,
				     existed ? "attaching to" : "creating", ifname, ifname);
		else if (errno == EINVAL && existed)
			err = eu_err(EINVAL, "port %s: '%s' exists and is not a TAP device "
					     "(IFF_TAP | IFF_NO_PI): pick another name", p->name,
				     ifname);
		else if (errno == EBUSY)
			err = eu_err(EBUSY, "port %s: '%s' is attached to another process already",
				     p->name, ifname);
		else
			err = eu_err(errno, "port %s: TUNSETIFF '%s': %s", p->name, ifname,
				     strerror(errno));
		goto fail;
	}
	err = eu_port_ifup(p, ifname);
	if (!err)
		err = eu_port_ifinfo(p, ifname, p->mac, &t->mtu);
	if (err)
		goto fail;
	p->priv = t;
	p->fd = t->fd;
	p->mode = "tap";
	return 0;
fail:
	tap_free(t);
	return err;
}

static void tap_close(struct eu_port *p)
{
	tap_free(p->priv);
}

static unsigned tap_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n)
{
	struct eu_tap *t = p->priv;
	unsigned got = 0, b = 0;

	if (n > t->nbufs)
		n = t->nbufs;
	while (got < n) {
		unsigned char *buf = t->bufs + (size_t)b * t->frame_size;
		struct iovec iov[2] = {
			{ .iov_base = buf, .iov_len = t->frame_size },
			{ .iov_base = t->scratch, .iov_len = TAP_SCRATCH },
		};
		ssize_t r = readv(t->fd, iov, 2);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				eu_port_count(&p->st.rx_errors, 1);
			break;
		}
		if ((size_t)r > t->frame_size || r < 14) {
			eu_port_count(&p->st.rx_errors, 1);
			continue;
		}
		refs[got].data = buf;
		refs[got].len = (__u32)r;
		refs[got].vlan = 0;
		refs[got].flags = 0;
		got++;
		b++;
	}
	return got;
}

static void tap_rx_release(struct eu_port *p)
{
	(void)p; /* the buffers are reused by the next burst */
}

static unsigned tap_tx_burst(struct eu_port *p, const struct eu_frame *f, unsigned n)
{
	struct eu_tap *t = p->priv;
	unsigned i, sent = 0, dropped = 0, errors = 0;
	__u64 bytes = 0;

	for (i = 0; i < n; i++) {
		unsigned char tag[4];
		struct iovec iov[3];
		int niov;
		ssize_t r;

		if (eu_port_tx_bad(&f[i], t->mtu) || eu_port_tx_len(&f[i]) > t->frame_size) {
			dropped++;
			continue;
		}
		if (f[i].flags & EU_FRAME_F_VLAN) {
			tag[0] = 0x81;
			tag[1] = 0x00;
			tag[2] = (unsigned char)((f[i].vlan >> 8) & 0x0f);
			tag[3] = (unsigned char)f[i].vlan;
			iov[0].iov_base = (void *)f[i].data;
			iov[0].iov_len = 12;
			iov[1].iov_base = tag;
			iov[1].iov_len = 4;
			iov[2].iov_base = (void *)(f[i].data + 12);
			iov[2].iov_len = f[i].len - 12;
			niov = 3;
		} else {
			iov[0].iov_base = (void *)f[i].data;
			iov[0].iov_len = f[i].len;
			niov = 1;
		}
		do
			r = writev(t->fd, iov, niov);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			if (errno == EAGAIN)
				break;
			errors++; /* e.g. EIO: the interface is down; the frame is lost */
			dropped++;
			continue;
		}
		sent++;
		bytes += (size_t)r;
	}
	eu_port_count(&p->st.tx_frames, sent);
	eu_port_count(&p->st.tx_bytes, bytes);
	if (dropped)
		eu_port_count(&p->st.tx_dropped, dropped);
	if (errors)
		eu_port_count(&p->st.tx_errors, errors);
	return i;
}

const struct eu_port_ops eu_port_tap_ops = {
	.driver = "tap",
	.usage = "tap:IFNAME",
	.open = tap_open,
	.close = tap_close,
	.rx_burst = tap_rx_burst,
	.rx_release = tap_rx_release,
	.tx_burst = tap_tx_burst,
	.flush = NULL,
	.stats = NULL,
};
