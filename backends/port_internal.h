/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backends/port_internal.h - private to libeuropa's port drivers: the ops
 * table each driver fills in and the struct eu_port they share. Not installed.
 *
 * backends/port.c parses the name, applies option defaults, calls the
 * driver's open, counts received frames and bytes, and keeps the rule that
 * an rx burst's frames are released before the next burst. A driver counts
 * everything else itself (tx frames and bytes, drops, errors) with
 * eu_port_count(), because only it knows which frames it took really went out.
 */
#ifndef EUROPA_PORT_INTERNAL_H
#define EUROPA_PORT_INTERNAL_H

#include <net/if.h>
#include <string.h>

#include <europa/port.h>

#include "internal.h"

struct eu_port;

struct eu_port_ops {
	const char *driver; /* the name before ':' */
	const char *usage;  /* the name's syntax, for error messages */
	/*
	 * Open the port named "<driver>:<args>" with full options (size and
	 * defaults filled in, flags checked). Sets p->priv, p->fd, p->mode and
	 * p->mac. On failure returns -errno with eu_err() and leaves nothing
	 * behind (port.c then frees p; close is not called).
	 */
	int (*open)(struct eu_port *p, const char *args, const struct eu_port_opts *o);
	void (*close)(struct eu_port *p);
	/* As eu_port_rx_burst(), with n >= 1 and no frames held. */
	unsigned (*rx_burst)(struct eu_port *p, struct eu_frame *refs, unsigned n);
	/* Give back every frame of the last rx burst (called only if it had any). */
	void (*rx_release)(struct eu_port *p);
	/* As eu_port_tx_burst(), with n >= 1. */
	unsigned (*tx_burst)(struct eu_port *p, const struct eu_frame *f, unsigned n);
	int (*flush)(struct eu_port *p);                               /* may be NULL */
	void (*stats)(const struct eu_port *p, struct eu_port_stats *s); /* may be NULL: adds
									   kernel counters */
};

struct eu_port {
	const struct eu_port_ops *ops;
	void *priv;       /* the driver's state */
	char *name;       /* as given to eu_port_open() */
	const char *mode; /* static string, set by the driver */
	int fd;           /* for eu_port_fd(), -1 if none */
	int rx_held;      /* the last rx burst's frames are not released yet */
	unsigned char mac[6];
	/*
	 * Written by the port's thread only, with relaxed atomic stores
	 * (eu_port_count()), so that eu_port_stats() may read them from any
	 * thread without a data race.
	 */
	struct eu_port_stats st;
};

/* Add n to a counter of st (single writer: the port's thread). */
static inline void eu_port_count(__u64 *c, __u64 n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

extern const struct eu_port_ops eu_port_packet_ops;
extern const struct eu_port_ops eu_port_tap_ops;
#ifdef EU_HAVE_XDP
extern const struct eu_port_ops eu_port_xdp_ops;
#endif
#ifdef EU_HAVE_PCAP
extern const struct eu_port_ops eu_port_pcap_ops;
#endif

/*
 * Helpers for drivers of kernel interfaces (backends/port.c). Each checks
 * the interface name (1..IFNAMSIZ-1 bytes) and reports errors with eu_err(),
 * prefixed by the port's name.
 */
/*
 * The interface name at the start of a port's arguments, up to `end` (the first
 * character of what follows it, e.g. "@QUEUE" or ",OPTION"), copied into
 * ifname. 0, or -EINVAL if it is empty or too long.
 */
int eu_port_ifname_take(const struct eu_port *p, const char *args, const char *end,
			char ifname[IFNAMSIZ]);
/* The ifindex of ifname in the caller's network namespace, or -errno. */
int eu_port_ifindex(const struct eu_port *p, const char *ifname);
/* Read the MAC address and MTU of ifname (either may be NULL). 0 or -errno. */
int eu_port_ifinfo(const struct eu_port *p, const char *ifname, unsigned char mac[6],
		   unsigned *mtu);
/* Set IFF_UP on ifname (no-op if it is up). 0 or -errno. */
int eu_port_ifup(const struct eu_port *p, const char *ifname);
/* Bytes a frame takes once sent: its length, plus 4 for a tag to insert. */
static inline unsigned eu_port_tx_len(const struct eu_frame *f)
{
	return f->len + ((f->flags & EU_FRAME_F_VLAN) ? 4U : 0U);
}

/*
 * Whether a frame to send is malformed (shorter than an Ethernet header) or
 * longer than an interface with this MTU can send: the MTU plus the Ethernet
 * header, plus 4 if the frame carries (or gets) an 802.1Q or 802.1ad tag.
 */
static inline int eu_port_tx_bad(const struct eu_frame *f, unsigned mtu)
{
	unsigned len = eu_port_tx_len(f), max = mtu + 14;

	if (f->len < 14)
		return 1;
	if ((f->flags & EU_FRAME_F_VLAN) || (f->data[12] == 0x81 && f->data[13] == 0x00) ||
	    (f->data[12] == 0x88 && f->data[13] == 0xa8))
		max += 4;
	return len > max;
}

/*
 * Copy a frame to send into dst (eu_port_tx_len(f) bytes of room); a frame
 * with EU_FRAME_F_VLAN gets an 802.1Q tag with its VLAN id after the MAC
 * addresses. Needs f->len >= 12.
 */
static inline void eu_port_tx_copy(unsigned char *dst, const struct eu_frame *f)
{
	if (!(f->flags & EU_FRAME_F_VLAN)) {
		memcpy(dst, f->data, f->len);
		return;
	}
	memcpy(dst, f->data, 12);
	dst[12] = 0x81;
	dst[13] = 0x00;
	dst[14] = (unsigned char)((f->vlan >> 8) & 0x0f);
	dst[15] = (unsigned char)f->vlan;
	memcpy(dst + 16, f->data + 12, f->len - 12);
}

#endif /* EUROPA_PORT_INTERNAL_H */
