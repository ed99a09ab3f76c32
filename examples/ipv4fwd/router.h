/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * examples/ipv4fwd/router.h - the router of europa-fwd (issue 4, points 2-4):
 * the forwarding path, ARP, ICMP, and the tables a control thread changes
 * while the forwarding thread forwards.
 *
 * Two threads use a struct router:
 *
 *  - the forwarding thread (exactly one) calls fwd_router_rx_burst() with
 *    every burst eu_vr_rx_burst() returned, and fwd_router_tick() at least
 *    every millisecond (also when idle: ARP retries, hold-queue expiry,
 *    ICMP token refill, punted frames from the TAP);
 *  - any other thread (the control socket's, the config loader at start)
 *    calls the configuration and read functions below. They serialise among
 *    themselves on the router's lock; the forwarding thread never takes that
 *    lock on its fast path. Routes change through the RCU-protected LPM
 *    table (readers never block); neighbour changes made by the control
 *    side are queued to the forwarding thread, which owns the neighbour
 *    table, and take effect at its next tick.
 *
 * Next hops: a route "P/L via G dev D" maps P/L to a next-hop id whose
 * entry {gateway G, port D} never changes once published (ids are
 * reference-counted and reused only after an RCU grace period). A route
 * "P/L dev D" (connected) maps to a next hop with gateway 0: the packet's
 * own destination is the neighbour to resolve. Each port's own prefix is a
 * connected route, added by fwd_router_port_set().
 */
#ifndef EUROPA_FWD_ROUTER_H
#define EUROPA_FWD_ROUTER_H

#include <stddef.h>
#include <stdio.h>

#include <europa/europa.h>

#define FWD_MAX_PORTS 16

/* Drop and exception reasons, counted per reason (stats, europactl). */
enum fwd_drop {
	FWD_DROP_NOT_IP = 0, /* neither IPv4 nor ARP (IPv6, LLDP, ...) */
	FWD_DROP_RUNT,       /* shorter than an Ethernet + IPv4/ARP header */
	FWD_DROP_HDR,        /* eu_ipv4_check() failed (by reason in hdr[]) */
	FWD_DROP_MARTIAN_SRC,
	FWD_DROP_MARTIAN_DST,
	FWD_DROP_BCAST,        /* limited or directed broadcast, not forwarded */
	FWD_DROP_MCAST,        /* multicast, not forwarded */
	FWD_DROP_NO_ROUTE,     /* (an ICMP unreachable may have been sent) */
	FWD_DROP_BLACKHOLE,    /* route type blackhole/unreachable/prohibit */
	FWD_DROP_TTL,          /* TTL expired (an ICMP time exceeded may have been sent) */
	FWD_DROP_FRAG_NEEDED,  /* DF and too big for the egress MTU */
	FWD_DROP_FRAG_FAIL,    /* could not fragment (no slot) */
	FWD_DROP_NEIGH_HOLD,   /* unresolved neighbour, its hold queue full */
	FWD_DROP_NEIGH_FAILED, /* neighbour did not answer ARP */
	FWD_DROP_ICMP_RATE,    /* an ICMP error we would have sent, rate-limited */
	FWD_DROP_LOCAL,        /* to us, not handled, no punt interface */
	FWD_DROP_ARP_BAD,      /* malformed ARP */
	FWD_DROP_NO_SLOT,      /* needed a new slot (reply, fragment) and had none */
	FWD_DROP_TX_FULL,      /* the tx ring took fewer than we sent */
	FWD_DROP_NEIGH_FULL,   /* no room in the neighbour table for a new next hop */
	FWD_DROP_OTHERHOST,    /* Ethernet destination neither our port's MAC nor a group */
	FWD_DROP_ICMP_BAD,     /* ICMP to us too short or with a wrong checksum */
	FWD_DROP_COUNT
};

/* Name of a reason for stats ("no_route", ...). */
const char *fwd_drop_name(unsigned reason);

/* Counters: written by the forwarding thread only, read by anyone (relaxed). */
struct fwd_port_stats {
	__u64 rx, tx, rx_bytes, tx_bytes;
};

struct fwd_stats {
	__u64 rx, fwd, local; /* local: delivered to the router itself */
	__u64 drop[FWD_DROP_COUNT];
	__u64 hdr[EU_IPV4_CHECK_COUNT]; /* FWD_DROP_HDR by eu_ipv4_check() reason */
	__u64 arp_req_in, arp_rep_in, arp_req_out, arp_rep_out;
	__u64 icmp_echo, icmp_ttl, icmp_unreach, icmp_frag_needed;
	__u64 fragments, punted_out, punted_in;
	__u64 busy_cycles, bursts; /* TSC cycles spent on non-empty bursts */
	__u64 switch_busy_cycles;  /* inproc switch run in our thread (eu_vr_poll()): TSC
				      cycles of its rounds that moved frames; busy_cycles +
				      switch_busy_cycles is the whole core's work per frame */
	__u64 routes, neighbours;  /* table sizes now */
	__u64 arp_ignored;         /* ARP not for our address (not a drop: nothing to do) */
	__u64 drop_made;           /* of the drops, frames that are no received frame: the
				      router's own (ICMP, fragments after the first,
				      punted-in frames), also while they wait in a hold
				      queue, and tx_full drops of frames counted already
				      (fwd, local): rx equals fwd + local + arp_ignored +
				      held + drops - drop_made - icmp_rate - no_slot
				      (docs/fwd.md) */
	__u64 neigh_evictions;     /* learned neighbours evicted for a new one (table full) */
	__u64 neigh_reprobes;      /* stale neighbours used, so re-probed by ARP */
	__u64 neigh_expired;       /* learned neighbours removed: unused (gc), or a re-probe
				      went unanswered */
	struct fwd_port_stats port[FWD_MAX_PORTS];
};

struct fwd_port_cfg {
	char name[EU_IPV4_DEV_MAX]; /* as in "dev NAME" */
	__u32 addr;                 /* host order; 0: no address yet */
	unsigned plen;
	unsigned char mac[6];
	unsigned mtu; /* IP MTU, 68..(slot size - 14) */
};

struct fwd_router_opts {
	unsigned size;             /* sizeof(struct fwd_router_opts) */
	unsigned icmp_rate;        /* ICMP errors per second (token bucket), default 100 */
	unsigned icmp_burst;       /* bucket depth, default 50 */
	unsigned arp_hold;         /* packets held per unresolved neighbour, default 4 */
	unsigned arp_retries;      /* ARP requests before a neighbour fails, default 3 */
	unsigned arp_timeout_ms;   /* between retries, default 1000 */
	unsigned neigh_max;        /* neighbour table size, default 4096 */
	int punt_fd;               /* a TAP fd for traffic to us we do not handle, or -1 */
	unsigned char punt_mac[6]; /* the TAP's own MAC: punted frames are sent to it, and
				      ARP requests the host sends into the TAP are answered
				      with the MAC of port 0 */
	unsigned nports;           /* 0: the VR's (eu_vr_nports()); else this many ports named
				      p0, p1, ... with no MAC, for a VR not from eu_vr_open()
				      (the embedded default's) */
	/* a learned neighbour not confirmed by ARP from it this long becomes STALE
	   (re-probed when used), default 30000 */
	unsigned neigh_reachable_ms;
	/* a STALE neighbour not used this long is removed, default 300000 */
	unsigned neigh_gc_ms;
};

void fwd_router_opts_default(struct fwd_router_opts *o);

struct fwd_router;

/*
 * Create over an open VR (its ports: eu_vr_nports()/eu_vr_port(), or
 * o->nports). NULL and errno: EINVAL (an option out of range), ENODEV (no
 * port), E2BIG (more than FWD_MAX_PORTS), ENOMEM.
 */
struct fwd_router *fwd_router_create(struct eu_vr *vr, const struct fwd_router_opts *o);
/*
 * Free the router once neither thread uses it any more (stop the control
 * socket first). Slots it still holds for ARP are not freed: closing the VR
 * (eu_vr_close(), eu_vr_fini()) takes them back.
 */
void fwd_router_destroy(struct fwd_router *r);

/* -------------------------------------------- forwarding thread only */

/*
 * Process a received burst in place. Every slot of idx[] is consumed: sent
 * (forwarded, answered, fragmented) or freed (dropped and counted, or held
 * for ARP and sent or freed later by a tick).
 */
void fwd_router_rx_burst(struct fwd_router *r, const __u32 *idx, unsigned n);

/*
 * Timers and queued control work; now_ns is CLOCK_MONOTONIC. Applies the
 * queued port and neighbour changes, retries ARP and fails neighbours,
 * refills the ICMP bucket, routes frames from the punt TAP, then publishes
 * the counters and (if it changed) the neighbour table for the readers
 * below, taking their lock for a memcpy.
 */
void fwd_router_tick(struct fwd_router *r, __u64 now_ns);

/* ------------------------------ control side: any thread, serialised */

/* Port index by name, or -ENOENT. */
int fwd_router_port_find(struct fwd_router *r, const char *name);
int fwd_router_port_get(struct fwd_router *r, unsigned port, struct fwd_port_cfg *out);
/* Set address/prefix (adds the connected route), MAC (zeros: keep) and MTU (0: keep). */
int fwd_router_port_set(struct fwd_router *r, unsigned port, const struct fwd_port_cfg *c);

/*
 * Add or replace / delete a route, in the form eu_ipv4_route_parse() gives.
 * dev is required unless the gateway is inside a port's prefix. Returns 0
 * or -errno with the reason in err (e.g. "gateway 198.19.0.2 is on no
 * port's subnet: give dev").
 */
int fwd_router_route_add(struct fwd_router *r, const struct eu_ipv4_route *rt, char *err,
			 size_t errlen);
int fwd_router_route_del(struct fwd_router *r, const struct eu_ipv4_route *rt, char *err,
			 size_t errlen);
/*
 * The route to exactly prefix/len (host order) into *out: 0 or -ENOENT.
 * ctl.c's `route add` of an existing prefix fails with EEXIST, as in ip(8),
 * checked with this (eu_lpm_get(): no walk of the table).
 */
int fwd_router_route_get(struct fwd_router *r, __u32 prefix, unsigned len,
			 struct eu_ipv4_route *out);
/* Every route, in prefix order; stops and returns cb's value if non-zero. */
int fwd_router_route_walk(struct fwd_router *r,
			  int (*cb)(const struct eu_ipv4_route *rt, void *arg), void *arg);

enum fwd_neigh_state {
	FWD_NEIGH_INCOMPLETE,
	FWD_NEIGH_REACHABLE,
	FWD_NEIGH_FAILED,
	FWD_NEIGH_PERMANENT,
	FWD_NEIGH_STALE, /* learned, not confirmed for neigh_reachable_ms: still used */
	FWD_NEIGH_PROBE  /* stale and used: ARP sent to confirm it, still used meanwhile */
};

struct fwd_neigh {
	__u32 addr;
	unsigned port;
	unsigned char mac[6];
	unsigned state; /* enum fwd_neigh_state */
	unsigned held;  /* packets waiting for resolution */
};

/* Static neighbour ("neigh add A lladdr M dev D") / delete. */
int fwd_router_neigh_add(struct fwd_router *r, const struct fwd_neigh *n);
int fwd_router_neigh_del(struct fwd_router *r, __u32 addr);
/* A snapshot of the neighbour table (may be a tick old). */
int fwd_router_neigh_walk(struct fwd_router *r, int (*cb)(const struct fwd_neigh *n, void *arg),
			  void *arg);

/* A snapshot of the counters (as of the last fwd_router_tick()). */
void fwd_router_stats(struct fwd_router *r, struct fwd_stats *out);

/*
 * Received frames that were dropped: the drop reasons summed, less what is
 * not a received frame (suppressed ICMP messages, replies that found no
 * slot, frames the router made itself), so that rx = fwd + local +
 * arp_ignored + held + fwd_stats_dropped() (docs/fwd.md).
 */
__u64 fwd_stats_dropped(const struct fwd_stats *st);

/*
 * Forwarding thread: add the cycles of an in-process switch round that moved
 * frames (eu_vr_poll() in the same thread) to switch_busy_cycles.
 */
void fwd_router_account_switch(struct fwd_router *r, __u64 cycles);

/* What the table says about one destination (fwd_router_lookup()). */
struct fwd_lookup {
	unsigned type; /* enum eu_ipv4_route_type, or FWD_RT_LOCAL / FWD_RT_BCAST */
	unsigned port; /* egress port (unicast), the port owning it (local, bcast) */
	__u32 gw;      /* gateway, host order; 0 for a connected route */
};
#define FWD_RT_LOCAL 100 /* one of our port addresses */
#define FWD_RT_BCAST 101 /* a port's directed broadcast */

/*
 * Look up dst (host order) in the forwarding table as the forwarding path
 * does. Returns 0, or -ENETUNREACH when no route matches. Any thread (an
 * RCU reader; takes no lock).
 */
int fwd_router_lookup(struct fwd_router *r, __u32 dst, struct fwd_lookup *out);

/* ------------------------------------ the command language (ctl.c) */

/*
 * One command in the syntax of ip(8), as in a config file, from the control
 * socket or from `ip -4 route show` output:
 *
 *   addr add 198.18.0.1/24 dev p0         link set p0 mtu 1400 [address MAC]
 *   route add|del|replace ROUTE           ROUTE as eu_ipv4_route_parse() reads
 *   neigh add A lladdr M dev D            neigh del A
 *   route show | neigh show | stats [json|prom] | ports
 *
 * Output (show, stats, errors) goes to out. Returns 0 or -errno.
 */
enum fwd_fmt { FWD_FMT_TEXT, FWD_FMT_JSON, FWD_FMT_PROM };
int fwd_exec(struct fwd_router *r, const char *line, FILE *out, enum fwd_fmt fmt);

/* Run every line of a file through fwd_exec ("#" comments, blank lines). */
int fwd_config_load(struct fwd_router *r, const char *path, FILE *err);

/*
 * Import routes from `ip -4 route show` output (a file, or "-" for stdin):
 * every unicast route whose dev is one of our ports is added.
 */
int fwd_routes_import(struct fwd_router *r, const char *path, FILE *err);

/* The control socket: a thread serving fwd_exec() on an AF_UNIX socket. */
struct fwd_ctl;
struct fwd_ctl *fwd_ctl_start(struct fwd_router *r, const char *path);
void fwd_ctl_stop(struct fwd_ctl *c);

#endif /* EUROPA_FWD_ROUTER_H */
