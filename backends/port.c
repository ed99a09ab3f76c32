/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backends/port.c - eu_port_*: open a port by name, dispatch to its driver,
 * count what it receives; helpers shared by the kernel-interface drivers.
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port_internal.h"

#define EU_PORT_FRAME_DEFAULT 2048U
#define EU_PORT_FRAME_MIN 64U
#define EU_PORT_FRAME_MAX 65536U
#define EU_PORT_RING_MIN 16U
#define EU_PORT_RING_MAX 65536U
#define EU_PORT_O_ALL (EU_PORT_O_ZEROCOPY | EU_PORT_O_COPY | EU_PORT_O_LOOP)

static const struct eu_port_ops *const eu_port_drivers[] = {
#ifdef EU_HAVE_XDP
	&eu_port_xdp_ops,
#endif
	&eu_port_packet_ops,
	&eu_port_tap_ops,
#ifdef EU_HAVE_PCAP
	&eu_port_pcap_ops,
#endif
};

/* Drivers that this build left out, and what brings them back. */
static const struct {
	const char *driver;
	const char *why;
} eu_port_missing[] = {
#ifndef EU_HAVE_XDP
	{ "xdp", "libeuropa was built without libxdp: install libxdp-dev and libbpf-dev and "
		 "rebuild" },
#endif
#ifndef EU_HAVE_PCAP
	{ "pcap", "libeuropa was built without libpcap: install libpcap-dev and rebuild" },
#endif
	{ NULL, NULL }
};

#define EU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int eu_port_opts_take(const char *name, const struct eu_port_opts *in,
			     struct eu_port_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (in) {
		size_t n = in->size;

		if (n < sizeof(__u32) || n > 4096)
			return eu_err(EINVAL, "port %s: options size field is %u; set it to "
					      "sizeof(struct eu_port_opts)", name, in->size);
		if (n > sizeof(*o))
			n = sizeof(*o);
		memcpy(o, in, n);
	}
	o->size = sizeof(*o);
	if (!o->frame_size)
		o->frame_size = EU_PORT_FRAME_DEFAULT;
	if (o->frame_size < EU_PORT_FRAME_MIN || o->frame_size > EU_PORT_FRAME_MAX)
		return eu_err(EINVAL, "port %s: frame_size %u out of range %u..%u (0: %u)", name,
			      o->frame_size, EU_PORT_FRAME_MIN, EU_PORT_FRAME_MAX,
			      EU_PORT_FRAME_DEFAULT);
	if (o->ring_size && (o->ring_size < EU_PORT_RING_MIN || o->ring_size > EU_PORT_RING_MAX ||
			     (o->ring_size & (o->ring_size - 1))))
		return eu_err(EINVAL, "port %s: ring_size %u must be 0 (driver default) or a "
				      "power of two in %u..%u", name, o->ring_size,
			      EU_PORT_RING_MIN, EU_PORT_RING_MAX);
	if (o->flags & ~EU_PORT_O_ALL)
		return eu_err(EINVAL, "port %s: unknown flags 0x%x (known: EU_PORT_O_ZEROCOPY, "
				      "EU_PORT_O_COPY, EU_PORT_O_LOOP)", name,
			      o->flags & ~EU_PORT_O_ALL);
	if ((o->flags & EU_PORT_O_ZEROCOPY) && (o->flags & EU_PORT_O_COPY))
		return eu_err(EINVAL, "port %s: EU_PORT_O_ZEROCOPY and EU_PORT_O_COPY contradict "
				      "each other: give at most one", name);
	return 0;
}

static int eu_port_find(const char *name, size_t dlen, const struct eu_port_ops **ops)
{
	size_t i;

	for (i = 0; i < EU_ARRAY_SIZE(eu_port_drivers); i++) {
		const char *d = eu_port_drivers[i]->driver;

		if (strlen(d) == dlen && !memcmp(d, name, dlen)) {
			*ops = eu_port_drivers[i];
			return 0;
		}
	}
	for (i = 0; eu_port_missing[i].driver; i++) {
		const char *d = eu_port_missing[i].driver;

		if (strlen(d) == dlen && !memcmp(d, name, dlen))
			return eu_err(ENOTSUP, "port %s: %s", name, eu_port_missing[i].why);
	}
	return eu_err(EINVAL, "port %s: unknown driver '%.*s': use xdp:IFNAME[@QUEUE], "
			      "packet:IFNAME, tap:IFNAME or pcap:IN.pcap,OUT.pcap", name,
		      (int)dlen, name);
}

EU_API struct eu_port *eu_port_open(const char *name, const struct eu_port_opts *opts)
{
	const struct eu_port_ops *ops = NULL;
	struct eu_port_opts o;
	const char *colon;
	struct eu_port *p;
	int err;

	if (!name || !*name)
		return eu_err_null(EINVAL, "port: no name: give one such as packet:eth0");
	colon = strchr(name, ':');
	if (!colon)
		return eu_err_null(EINVAL, "port %s: no driver: write <driver>:<args>, e.g. "
					   "xdp:%s, packet:%s, tap:%s", name, name, name, name);
	err = eu_port_find(name, (size_t)(colon - name), &ops);
	if (!err)
		err = eu_port_opts_take(name, opts, &o);
	if (err) {
		errno = -err; /* the message is in place already */
		return NULL;
	}

	p = calloc(1, sizeof(*p));
	if (!p)
		return eu_err_null(ENOMEM, "port %s: out of memory", name);
	p->name = strdup(name);
	if (!p->name) {
		free(p);
		return eu_err_null(ENOMEM, "port %s: out of memory", name);
	}
	p->ops = ops;
	p->fd = -1;
	p->mode = ops->driver;
	err = ops->open(p, colon + 1, &o);
	if (err) {
		free(p->name);
		free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

EU_API void eu_port_close(struct eu_port *p)
{
	if (!p)
		return;
	p->ops->close(p);
	free(p->name);
	free(p);
}

EU_API unsigned eu_port_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n)
{
	unsigned i, got;
	__u64 bytes = 0;

	if (p->rx_held) {
		p->ops->rx_release(p);
		p->rx_held = 0;
	}
	if (!n)
		return 0;
	got = p->ops->rx_burst(p, refs, n);
	if (!got)
		return 0;
	for (i = 0; i < got; i++)
		bytes += refs[i].len;
	p->rx_held = 1;
	eu_port_count(&p->st.rx_frames, got);
	eu_port_count(&p->st.rx_bytes, bytes);
	return got;
}

EU_API void eu_port_rx_release(struct eu_port *p)
{
	if (p->rx_held) {
		p->ops->rx_release(p);
		p->rx_held = 0;
	}
}

EU_API unsigned eu_port_tx_burst(struct eu_port *p, const struct eu_frame *frames, unsigned n)
{
	if (!n)
		return 0;
	return p->ops->tx_burst(p, frames, n);
}

EU_API int eu_port_flush(struct eu_port *p)
{
	return p->ops->flush ? p->ops->flush(p) : 0;
}

EU_API int eu_port_fd(const struct eu_port *p)
{
	return p->fd;
}

EU_API const char *eu_port_name(const struct eu_port *p)
{
	return p->name;
}

EU_API const char *eu_port_mode(const struct eu_port *p)
{
	return p->mode;
}

EU_API void eu_port_mac(const struct eu_port *p, unsigned char mac[6])
{
	memcpy(mac, p->mac, 6);
}

EU_API void eu_port_stats_read(const struct eu_port *p, struct eu_port_stats *out)
{
	const __u64 *in = (const __u64 *)&p->st;
	__u64 *o = (__u64 *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(__u64); i++)
		o[i] = __atomic_load_n(&in[i], __ATOMIC_RELAXED);
	if (p->ops->stats)
		p->ops->stats(p, out);
}

/* ---------------------------------------------------------------- helpers */

static int eu_port_ifname_ok(const struct eu_port *p, const char *ifname)
{
	size_t n = strlen(ifname);

	if (n == 0)
		return eu_err(EINVAL, "port %s: no interface name: write %s", p->name,
			      p->ops->usage);
	if (n >= IFNAMSIZ)
		return eu_err(EINVAL, "port %s: interface name '%s' is longer than %d bytes",
			      p->name, ifname, IFNAMSIZ - 1);
	return 0;
}

int eu_port_ifname_take(const struct eu_port *p, const char *args, const char *end,
			char ifname[IFNAMSIZ])
{
	size_t n = (size_t)(end - args);

	if (n == 0)
		return eu_err(EINVAL, "port %s: no interface name: write %s", p->name,
			      p->ops->usage);
	if (n >= IFNAMSIZ)
		return eu_err(EINVAL, "port %s: interface name is longer than %d bytes", p->name,
			      IFNAMSIZ - 1);
	memcpy(ifname, args, n);
	ifname[n] = '\0';
	return 0;
}

int eu_port_ifindex(const struct eu_port *p, const char *ifname)
{
	unsigned idx;
	int err = eu_port_ifname_ok(p, ifname);

	if (err)
		return err;
	idx = if_nametoindex(ifname);
	if (!idx) {
		if (errno == ENODEV || errno == ENXIO)
			return eu_err(ENODEV, "port %s: no such interface '%s' in this network "
					      "namespace (check `ip link`)", p->name, ifname);
		return eu_err(errno, "port %s: cannot look up interface '%s': %s", p->name,
			      ifname, strerror(errno));
	}
	return (int)idx;
}

static int eu_port_ioctl(const struct eu_port *p, const char *ifname, unsigned long req,
			 struct ifreq *ifr, const char *what)
{
	int fd, e;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return eu_err(errno, "port %s: socket: %s", p->name, strerror(errno));
	strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
	ifr->ifr_name[IFNAMSIZ - 1] = '\0';
	if (ioctl(fd, req, ifr) < 0) {
		e = errno;
		close(fd);
		if (e == ENODEV)
			return eu_err(ENODEV, "port %s: no such interface '%s' in this network "
					      "namespace (check `ip link`)", p->name, ifname);
		if (e == EPERM || e == EACCES)
			return eu_err(e, "port %s: %s of '%s' needs CAP_NET_ADMIN (run as root, "
					 "or bring the interface up first: ip link set %s up)",
				      p->name, what, ifname, ifname);
		return eu_err(e, "port %s: %s of '%s': %s", p->name, what, ifname, strerror(e));
	}
	close(fd);
	return 0;
}

int eu_port_ifinfo(const struct eu_port *p, const char *ifname, unsigned char mac[6],
		   unsigned *mtu)
{
	struct ifreq ifr;
	int err = eu_port_ifname_ok(p, ifname);

	if (err)
		return err;
	if (mac) {
		memset(&ifr, 0, sizeof(ifr));
		err = eu_port_ioctl(p, ifname, SIOCGIFHWADDR, &ifr, "reading the MAC address");
		if (err)
			return err;
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	if (mtu) {
		memset(&ifr, 0, sizeof(ifr));
		err = eu_port_ioctl(p, ifname, SIOCGIFMTU, &ifr, "reading the MTU");
		if (err)
			return err;
		*mtu = (unsigned)ifr.ifr_mtu;
	}
	return 0;
}

int eu_port_ifup(const struct eu_port *p, const char *ifname)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	err = eu_port_ioctl(p, ifname, SIOCGIFFLAGS, &ifr, "reading the flags");
	if (err)
		return err;
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	return eu_port_ioctl(p, ifname, SIOCSIFFLAGS, &ifr, "bringing up");
}
