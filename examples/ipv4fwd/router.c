/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * examples/ipv4fwd/router.c - the router of europa-fwd: the in-place
 * forwarding path (RFC 1812), ARP, ICMP, fragmentation, and the tables the
 * control side changes while it runs. router.h has the threading contract;
 * docs/fwd.md the rules, per packet, with their counters.
 *
 * Who writes what:
 *
 *  - the forwarding table (struct eu_lpm) maps prefixes to next-hop ids.
 *    Control threads write it (under ctl_mu), the forwarding thread reads it
 *    in an RCU read-side critical section held over each burst and tick.
 *  - nhw[id] is the forwarding thread's view of next hop `id`: one 64-bit
 *    word (gateway, port, type), written by the control side before any
 *    route names the id and not changed while a route does; an id whose last
 *    route went is reused only after a grace period (nh_get()). nhc[] is
 *    the control side's bookkeeping of the same ids (references, metric).
 *  - ports, neighbours: the control side keeps its own copy of the ports
 *    (cport[]) and queues every change of a port or a static neighbour
 *    (struct cmd); the forwarding thread applies the queue in its tick to
 *    fport[] and the neighbour table, which only it touches.
 *  - counters: the forwarding thread counts into st (plain stores) and
 *    copies st to pub under pub_mu at every tick; the neighbour table is
 *    copied to snap[] likewise when it changed. Readers copy from those, so
 *    nothing is shared without a lock or an atomic, and the forwarding thread
 *    takes a lock only in its tick, for a memcpy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include "router.h"

#define NH_MAX     16384U /* next-hop ids: (gateway, port, type, metric) in use at once */
#define BURST_MAX  256U   /* frames handled in one pass (longer bursts: in chunks) */
#define TXQ_MAX    1024U  /* frames queued for one eu_vr_tx_burst() */
#define ETH_HLEN   14U
#define ARP_LEN    28U
#define ETH_P_IP   0x0800U
#define ETH_P_ARP  0x0806U
#define ICMP_QUOTE 8U         /* bytes of the offending datagram's data quoted (RFC 792) */
#define HELD_LOCAL (1U << 31) /* in a hold queue: a frame made here, not counted in fwd */

/* Next-hop types beyond enum eu_ipv4_route_type's (routes made by port_set). */
#define NH_LOCAL FWD_RT_LOCAL
#define NH_BCAST FWD_RT_BCAST

/* nhw[] word: gateway (bits 0-31), port (32-47), type (48-55). */
#define NHW(gw, port, type) ((__u64)(gw) | (__u64)(port) << 32 | (__u64)(type) << 48)
#define NHW_GW(w)           ((__u32)(w))
#define NHW_PORT(w)         ((unsigned)((w) >> 32) & 0xffffU)
#define NHW_TYPE(w)         ((unsigned)((w) >> 48) & 0xffU)

/* Control-side record of a next-hop id; refs 0 and !retired: free. */
struct nh_ctl {
	__u32 gw;
	__u32 metric;
	__u16 port;
	__u8 type;
	__u8 retired; /* refs went to 0: reusable after a grace period */
	__u32 refs;   /* routes naming this id */
};

/* The forwarding thread's copy of a port. */
struct fport {
	__u32 addr; /* host order; 0: none */
	__u32 bcast;
	unsigned plen;
	unsigned mtu;
	unsigned char mac[6];
	unsigned char has_mac;
};

/* A neighbour (forwarding thread only). addr 0: empty. */
struct nent {
	__u32 addr;
	__u16 port;
	__u8 state; /* enum fwd_neigh_state */
	__u8 nheld;
	__u8 tries; /* ARP requests sent (INCOMPLETE, PROBE) */
	unsigned char mac[6];
	__u64 due_ns;       /* INCOMPLETE, PROBE: next request or failure; FAILED: forget */
	__u64 confirmed_ns; /* last ARP from it to us: REACHABLE until + neigh_reachable_ms */
	__u64 used_ns;      /* last sent to (for a cached next hop: to within an aging scan) */
};

/*
 * The Ethernet header a next hop with a gateway gets, cached per next-hop id
 * (forwarding thread only): valid while gen equals the router's nt_gen
 * (bumped by every change of a neighbour or a port's MAC) and gw and port
 * are the id's (ids are reused). Saves the neighbour lookup per packet.
 */
struct nh_fast {
	__u32 gen;
	__u32 gw;
	__u16 port;
	unsigned char hdr[12]; /* destination and source MAC */
};

enum cmd_kind { CMD_PORT, CMD_NEIGH_ADD, CMD_NEIGH_DEL };

/* A change queued by the control side for the forwarding thread. */
struct cmd {
	struct cmd *next;
	enum cmd_kind kind;
	unsigned port;
	struct fwd_port_cfg cfg;
	struct fwd_neigh n;
};

struct fwd_router {
	struct eu_vr *vr;
	struct fwd_router_opts o;
	unsigned nports;
	unsigned max_mtu;
	struct eu_lpm *lpm;

	/* ---- read by the forwarding thread, written by control (atomics) */
	__u64 nhw[NH_MAX];

	/* ---- control side, under ctl_mu */
	pthread_mutex_t ctl_mu;
	struct nh_ctl nhc[NH_MAX];
	unsigned nh_next; /* ids from here on never used */
	unsigned nh_nretired;
	__u32 nh_last; /* the id nh_get() found last (routes come in runs) */
	__u32 nh_local[FWD_MAX_PORTS], nh_bcast[FWD_MAX_PORTS], nh_conn[FWD_MAX_PORTS];
	struct fwd_port_cfg cport[FWD_MAX_PORTS];
	__u64 nroutes; /* user-visible routes (not the local and broadcast /32s) */

	/* ---- queue of control changes, under q_mu; q_pending says it is not empty */
	pthread_mutex_t q_mu;
	struct cmd *q_head, **q_tail;
	int q_pending;

	/* ---- published snapshots, under pub_mu */
	pthread_mutex_t pub_mu;
	struct fwd_stats pub;
	struct fwd_neigh *snap;
	unsigned nsnap;

	/* ---- forwarding thread only */
	struct fport fport[FWD_MAX_PORTS];
	struct fwd_stats st;
	struct nent *nt; /* neighbour hash table, open addressing, linear probing */
	__u32 *held;     /* arp_hold slots per table entry, moved with it */
	unsigned nt_mask;
	unsigned nt_count, nt_incomplete, nt_failed, nt_probe;
	unsigned nt_hand; /* where the next eviction starts looking */
	__u64 nt_age_ns;  /* next aging scan */
	int nt_dirty;
	__u32 nt_gen;        /* validates nhf[] entries */
	struct nh_fast *nhf; /* NH_MAX of them */
	__u64 now_ns, last_tick_ns;
	__u64 icmp_tokens; /* in thousandths of a message */
	__u16 ip_id;
	unsigned ntx, nfree;
	__u32 txq[TXQ_MAX];
	__u32 freeq[TXQ_MAX];
	unsigned char punt_buf[2048];
};

static const char *const drop_names[FWD_DROP_COUNT] = {
	[FWD_DROP_NOT_IP] = "not_ip",
	[FWD_DROP_RUNT] = "runt",
	[FWD_DROP_HDR] = "header",
	[FWD_DROP_MARTIAN_SRC] = "martian_src",
	[FWD_DROP_MARTIAN_DST] = "martian_dst",
	[FWD_DROP_BCAST] = "broadcast",
	[FWD_DROP_MCAST] = "multicast",
	[FWD_DROP_NO_ROUTE] = "no_route",
	[FWD_DROP_BLACKHOLE] = "blackhole",
	[FWD_DROP_TTL] = "ttl",
	[FWD_DROP_FRAG_NEEDED] = "frag_needed",
	[FWD_DROP_FRAG_FAIL] = "frag_fail",
	[FWD_DROP_NEIGH_HOLD] = "neigh_hold",
	[FWD_DROP_NEIGH_FAILED] = "neigh_failed",
	[FWD_DROP_ICMP_RATE] = "icmp_rate",
	[FWD_DROP_LOCAL] = "local",
	[FWD_DROP_ARP_BAD] = "arp_bad",
	[FWD_DROP_NO_SLOT] = "no_slot",
	[FWD_DROP_TX_FULL] = "tx_full",
	[FWD_DROP_NEIGH_FULL] = "neigh_full",
	[FWD_DROP_OTHERHOST] = "otherhost",
	[FWD_DROP_ICMP_BAD] = "icmp_bad",
};

const char *fwd_drop_name(unsigned reason)
{
	return reason < FWD_DROP_COUNT && drop_names[reason] ? drop_names[reason] : "?";
}

void fwd_router_opts_default(struct fwd_router_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->icmp_rate = 100;
	o->icmp_burst = 50;
	o->arp_hold = 4;
	o->arp_retries = 3;
	o->arp_timeout_ms = 1000;
	o->neigh_max = 4096;
	o->punt_fd = -1;
	o->neigh_reachable_ms = 30000; /* Linux's base_reachable_time */
	o->neigh_gc_ms = 300000;       /* 5 min, a little above Linux's gc_stale_time (60 s) */
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static inline __u64 tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return mono_ns();
#endif
}

static __u32 bcast_of(__u32 addr, unsigned plen)
{
	return plen < 31 ? addr | ~eu_ipv4_mask(plen) : 0;
}

/* ================================================================ control side */

struct fwd_router *fwd_router_create(struct eu_vr *vr, const struct fwd_router_opts *in)
{
	struct fwd_router_opts o;
	struct fwd_router *r;
	unsigned i, cap;

	fwd_router_opts_default(&o);
	if (in) {
		if (in->size < offsetof(struct fwd_router_opts, punt_fd) + sizeof(int) ||
		    in->size > sizeof(o)) {
			errno = EINVAL;
			return NULL;
		}
		memcpy(&o, in, in->size);
		o.size = sizeof(o);
	}
	if (!vr || o.arp_hold > 255 || !o.neigh_max || o.neigh_max > (1U << 24) || !o.arp_retries ||
	    o.arp_retries > 255 || !o.arp_timeout_ms || !o.icmp_burst || !o.neigh_reachable_ms ||
	    !o.neigh_gc_ms) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->vr = vr;
	r->o = o;
	r->nports = o.nports ? o.nports : eu_vr_nports(vr);
	if (!r->nports || r->nports > FWD_MAX_PORTS) {
		int e = r->nports ? E2BIG : ENODEV;

		free(r);
		errno = e;
		return NULL;
	}
	r->max_mtu = eu_vr_slot_size(vr) - vr->slots.headroom - ETH_HLEN;
	for (cap = 64; cap < 2 * o.neigh_max; cap <<= 1)
		;
	r->nt = calloc(cap, sizeof(*r->nt));
	r->held = calloc((size_t)cap * (o.arp_hold ? o.arp_hold : 1), sizeof(*r->held));
	r->snap = calloc(cap, sizeof(*r->snap));
	r->nhf = calloc(NH_MAX, sizeof(*r->nhf));
	r->nt_gen = 1;
	r->nt_mask = cap - 1;
	r->lpm = eu_lpm_create(NULL);
	if (!r->nt || !r->held || !r->snap || !r->nhf || !r->lpm) {
		int e = errno ? errno : ENOMEM;

		eu_lpm_destroy(r->lpm);
		free(r->nt);
		free(r->held);
		free(r->snap);
		free(r->nhf);
		free(r);
		errno = e;
		return NULL;
	}
	pthread_mutex_init(&r->ctl_mu, NULL);
	pthread_mutex_init(&r->q_mu, NULL);
	pthread_mutex_init(&r->pub_mu, NULL);
	r->q_tail = &r->q_head;
	for (i = 0; i < r->nports; i++) {
		struct eu_vr_port_info pi;
		struct fwd_port_cfg *c = &r->cport[i];

		memset(&pi, 0, sizeof(pi));
		if (!o.nports && eu_vr_port(vr, i, &pi) == 0 && pi.name[0] &&
		    strlen(pi.name) < sizeof(c->name) && !strpbrk(pi.name, " \t/:,;#"))
			memcpy(c->name, pi.name, strlen(pi.name) + 1); /* fits: checked above */
		else
			snprintf(c->name, sizeof(c->name), "p%u", i);
		memcpy(c->mac, pi.mac, 6);
		c->mtu = r->max_mtu < 1500 ? r->max_mtu : 1500;
		r->fport[i].mtu = c->mtu;
		memcpy(r->fport[i].mac, c->mac, 6);
		r->fport[i].has_mac = !!memcmp(c->mac, "\0\0\0\0\0\0", 6);
		r->nh_local[i] = r->nh_bcast[i] = r->nh_conn[i] = EU_LPM_MISS;
	}
	r->icmp_tokens = (__u64)o.icmp_burst * 1000;
	r->now_ns = r->last_tick_ns = mono_ns();
	return r;
}

void fwd_router_destroy(struct fwd_router *r)
{
	struct cmd *c, *next;

	if (!r)
		return;
	for (c = r->q_head; c; c = next) {
		next = c->next;
		free(c);
	}
	/* held slots go back with the VR itself; only the memory is ours */
	eu_lpm_destroy(r->lpm);
	pthread_mutex_destroy(&r->ctl_mu);
	pthread_mutex_destroy(&r->q_mu);
	pthread_mutex_destroy(&r->pub_mu);
	free(r->nt);
	free(r->held);
	free(r->snap);
	free(r->nhf);
	free(r);
}

int fwd_router_port_find(struct fwd_router *r, const char *name)
{
	unsigned i;
	char *end;
	unsigned long v;

	if (!name || !*name)
		return -ENOENT;
	pthread_mutex_lock(&r->ctl_mu);
	for (i = 0; i < r->nports; i++)
		if (strcmp(r->cport[i].name, name) == 0)
			break;
	pthread_mutex_unlock(&r->ctl_mu);
	if (i < r->nports)
		return (int)i;
	if (name[0] == 'p' && name[1] >= '0' && name[1] <= '9') { /* alias pN */
		v = strtoul(name + 1, &end, 10);
		if (!*end && v < r->nports)
			return (int)v;
	}
	return -ENOENT;
}

int fwd_router_port_get(struct fwd_router *r, unsigned port, struct fwd_port_cfg *out)
{
	if (port >= r->nports || !out)
		return -EINVAL;
	pthread_mutex_lock(&r->ctl_mu);
	*out = r->cport[port];
	pthread_mutex_unlock(&r->ctl_mu);
	return 0;
}

/* Queue a change for the forwarding thread (its next tick applies it). */
static int queue_cmd(struct fwd_router *r, const struct cmd *tmpl)
{
	struct cmd *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = *tmpl;
	c->next = NULL;
	pthread_mutex_lock(&r->q_mu);
	*r->q_tail = c;
	r->q_tail = &c->next;
	__atomic_store_n(&r->q_pending, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&r->q_mu);
	return 0;
}

/*
 * A next-hop id for (gw, port, type, metric), shared with the routes that
 * already have one, with a reference taken. EU_LPM_MISS when all are in use.
 * Under ctl_mu.
 */
static __u32 nh_get(struct fwd_router *r, __u32 gw, unsigned port, unsigned type, __u32 metric)
{
	__u32 last = r->nh_last;
	unsigned i, id;

	if (last < r->nh_next) {
		struct nh_ctl *n = &r->nhc[last];

		if (n->refs && n->gw == gw && n->port == port && n->type == type &&
		    n->metric == metric) {
			n->refs++;
			return last;
		}
	}
	for (i = 0; i < r->nh_next; i++) {
		struct nh_ctl *n = &r->nhc[i];

		if (n->refs && n->gw == gw && n->port == port && n->type == type &&
		    n->metric == metric) {
			n->refs++;
			return r->nh_last = i;
		}
	}
	/* a new id: never used ones first, then retired ones after a grace period */
	if (r->nh_next < NH_MAX) {
		id = r->nh_next++;
	} else {
		if (r->nh_nretired) {
			/* a grace period of the LPM's readers (the same liburcu-memb domain,
			   lpm.h): no forwarding thread still holds a retired id */
			urcu_memb_synchronize_rcu();
			for (i = 0; i < NH_MAX; i++)
				r->nhc[i].retired = 0;
			r->nh_nretired = 0;
		}
		for (id = 0; id < NH_MAX && r->nhc[id].refs; id++)
			;
		if (id == NH_MAX)
			return EU_LPM_MISS;
	}
	r->nhc[id] = (struct nh_ctl){
		.gw = gw, .metric = metric, .port = (__u16)port, .type = (__u8)type, .refs = 1};
	__atomic_store_n(&r->nhw[id], NHW(gw, port, type), __ATOMIC_RELEASE);
	return r->nh_last = id;
}

static void nh_put(struct fwd_router *r, __u32 id)
{
	struct nh_ctl *n;

	if (id >= NH_MAX)
		return;
	n = &r->nhc[id];
	if (n->refs && --n->refs == 0) {
		n->retired = 1;
		r->nh_nretired++;
	}
}

/* Point prefix/len at next hop nh (a reference the caller took). Under ctl_mu. */
static int lpm_set(struct fwd_router *r, __u32 prefix, unsigned len, __u32 nh, int *existed)
{
	__u32 old;
	int had = eu_lpm_get(r->lpm, prefix, len, &old) == 0;
	int rc = eu_lpm_add(r->lpm, prefix, len, nh);

	if (rc < 0) {
		nh_put(r, nh);
		return rc;
	}
	if (had)
		nh_put(r, old);
	if (existed)
		*existed = had;
	return 0;
}

static void lpm_unset(struct fwd_router *r, __u32 prefix, unsigned len)
{
	__u32 old;

	if (eu_lpm_get(r->lpm, prefix, len, &old) == 0 && eu_lpm_del(r->lpm, prefix, len) == 0)
		nh_put(r, old);
}

/* Is prefix/len one of the /32s port_set made (a local address or a broadcast)? */
static int is_port_route(struct fwd_router *r, __u32 prefix, unsigned len)
{
	__u32 nh;

	if (len != 32 || eu_lpm_get(r->lpm, prefix, len, &nh) != 0 || nh >= NH_MAX)
		return 0;
	return r->nhc[nh].type == NH_LOCAL || r->nhc[nh].type == NH_BCAST;
}

int fwd_router_port_set(struct fwd_router *r, unsigned port, const struct fwd_port_cfg *c)
{
	struct fwd_port_cfg *p;
	struct cmd cmd;
	int rc = 0;

	if (port >= r->nports || !c)
		return -EINVAL;
	if (c->mtu && (c->mtu < 68 || c->mtu > r->max_mtu))
		return -EINVAL;
	if (c->addr && (c->plen > 32 || eu_ipv4_martian(c->addr) ||
			(c->plen < 31 && ((c->addr & ~eu_ipv4_mask(c->plen)) == 0 ||
					  c->addr == bcast_of(c->addr, c->plen)))))
		return -EINVAL;
	pthread_mutex_lock(&r->ctl_mu);
	p = &r->cport[port];
	if (c->addr && (c->addr != p->addr || c->plen != p->plen)) {
		__u32 conn = c->addr & eu_ipv4_mask(c->plen), nh;
		unsigned i;

		for (i = 0; i < r->nports; i++) /* one address per router */
			if (i != port && r->cport[i].addr == c->addr) {
				rc = -EADDRINUSE;
				goto out;
			}
		/* take the old address's routes away, then add the new ones */
		if (p->addr) {
			__u32 oconn = p->addr & eu_ipv4_mask(p->plen), cur;

			if (eu_lpm_get(r->lpm, oconn, p->plen, &cur) == 0 &&
			    cur == r->nh_conn[port]) {
				lpm_unset(r, oconn, p->plen);
				r->nroutes--;
			}
			lpm_unset(r, p->addr, 32);
			if (bcast_of(p->addr, p->plen))
				lpm_unset(r, bcast_of(p->addr, p->plen), 32);
		}
		nh = nh_get(r, 0, port, NH_LOCAL, 0);
		rc = nh == EU_LPM_MISS ? -ENOSPC : lpm_set(r, c->addr, 32, nh, NULL);
		if (rc == 0 && bcast_of(c->addr, c->plen)) {
			nh = nh_get(r, 0, port, NH_BCAST, 0);
			rc = nh == EU_LPM_MISS
				     ? -ENOSPC
				     : lpm_set(r, bcast_of(c->addr, c->plen), 32, nh, NULL);
		}
		if (rc == 0 && c->plen < 32) {
			int existed = 0;

			nh = nh_get(r, 0, port, EU_IPV4_RT_UNICAST, 0);
			rc = nh == EU_LPM_MISS ? -ENOSPC : lpm_set(r, conn, c->plen, nh, &existed);
			if (rc == 0) {
				r->nh_conn[port] = nh;
				if (!existed)
					r->nroutes++;
			}
		}
		if (rc)
			goto out;
		p->addr = c->addr;
		p->plen = c->plen;
	}
	if (memcmp(c->mac, "\0\0\0\0\0\0", 6))
		memcpy(p->mac, c->mac, 6);
	if (c->mtu)
		p->mtu = c->mtu;
	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = CMD_PORT;
	cmd.port = port;
	cmd.cfg = *p;
	rc = queue_cmd(r, &cmd);
out:
	pthread_mutex_unlock(&r->ctl_mu);
	return rc;
}

int fwd_router_route_add(struct fwd_router *r, const struct eu_ipv4_route *rt, char *err,
			 size_t errlen)
{
	char a[EU_IPV4_ADDR_STRLEN], g[EU_IPV4_ADDR_STRLEN];
	unsigned port = 0xffff, i;
	__u32 gw = 0, nh;
	int rc, existed = 0, dev = -1;

	if (!rt || rt->len > 32 || (rt->prefix & ~eu_ipv4_mask(rt->len))) {
		seterr(err, errlen, "bad route: prefix with host bits set or length > 32");
		return -EINVAL;
	}
	eu_ipv4_format(rt->prefix, a);
	if (rt->type == EU_IPV4_RT_LOCAL || rt->type >= EU_IPV4_RT_TYPE_COUNT) {
		seterr(err, errlen,
		       "route %s/%u: local, broadcast and other special routes are made by "
		       "`addr add`, not added",
		       a, rt->len);
		return -EOPNOTSUPP;
	}
	if (rt->dev[0]) {
		dev = fwd_router_port_find(r, rt->dev);
		if (dev < 0) {
			seterr(err, errlen,
			       "route %s/%u: no port \"%s\" (see `ports`; p0, p1, ... also work)",
			       a, rt->len, rt->dev);
			return -ENODEV;
		}
	}
	pthread_mutex_lock(&r->ctl_mu);
	if (is_port_route(r, rt->prefix, rt->len)) {
		seterr(err, errlen, "route %s/32: that is a port's own or broadcast address", a);
		rc = -EEXIST;
		goto out;
	}
	if (rt->type == EU_IPV4_RT_UNICAST) {
		if (rt->has_via) {
			gw = rt->via;
			eu_ipv4_format(gw, g);
			if (eu_ipv4_martian(gw)) {
				seterr(err, errlen,
				       "route %s/%u: gateway %s is not a unicast address", a,
				       rt->len, g);
				rc = -EINVAL;
				goto out;
			}
			for (i = 0; i < r->nports; i++)
				if (r->cport[i].addr == gw) {
					seterr(err, errlen,
					       "route %s/%u: gateway %s is our own address (port "
					       "%s)",
					       a, rt->len, g, r->cport[i].name);
					rc = -EINVAL;
					goto out;
				}
			if (dev < 0) {
				for (i = 0; i < r->nports; i++) {
					const struct fwd_port_cfg *p = &r->cport[i];

					if (p->addr &&
					    ((gw ^ p->addr) & eu_ipv4_mask(p->plen)) == 0)
						break;
				}
				if (i == r->nports) {
					seterr(err, errlen,
					       "route %s/%u: gateway %s is on no port's subnet: "
					       "give "
					       "dev, or `addr add` an address on that subnet first",
					       a, rt->len, g);
					rc = -ENETUNREACH;
					goto out;
				}
				dev = (int)i;
			}
		} else if (dev < 0) {
			seterr(err, errlen, "route %s/%u: give `via GATEWAY`, `dev PORT` or both",
			       a, rt->len);
			rc = -EINVAL;
			goto out;
		}
		port = (unsigned)dev;
	}
	nh = nh_get(r, gw, port, rt->type, rt->metric);
	if (nh == EU_LPM_MISS) {
		seterr(err, errlen, "route %s/%u: %u different next hops in use already", a,
		       rt->len, NH_MAX);
		rc = -ENOSPC;
		goto out;
	}
	rc = lpm_set(r, rt->prefix, rt->len, nh, &existed);
	if (rc < 0)
		seterr(err, errlen, "route %s/%u: %s", a, rt->len, eu_last_error());
	else if (!existed)
		r->nroutes++;
out:
	pthread_mutex_unlock(&r->ctl_mu);
	return rc;
}

int fwd_router_route_del(struct fwd_router *r, const struct eu_ipv4_route *rt, char *err,
			 size_t errlen)
{
	char a[EU_IPV4_ADDR_STRLEN];
	struct nh_ctl *n;
	__u32 nh;
	int rc = 0, dev = -1;

	if (!rt || rt->len > 32 || (rt->prefix & ~eu_ipv4_mask(rt->len))) {
		seterr(err, errlen, "bad route: prefix with host bits set or length > 32");
		return -EINVAL;
	}
	eu_ipv4_format(rt->prefix, a);
	if (rt->dev[0]) {
		dev = fwd_router_port_find(r, rt->dev);
		if (dev < 0) {
			seterr(err, errlen, "route %s/%u: no port \"%s\"", a, rt->len, rt->dev);
			return -ENODEV;
		}
	}
	pthread_mutex_lock(&r->ctl_mu);
	if (eu_lpm_get(r->lpm, rt->prefix, rt->len, &nh) != 0 || nh >= NH_MAX ||
	    is_port_route(r, rt->prefix, rt->len)) {
		seterr(err, errlen, "route %s/%u: no such route (see `route show`)", a, rt->len);
		rc = -ESRCH;
		goto out;
	}
	n = &r->nhc[nh];
	/* like ip(8): what is given must match; what is not given matches anything */
	if ((rt->has_via && n->gw != rt->via) || (dev >= 0 && n->port != (unsigned)dev) ||
	    (rt->type != EU_IPV4_RT_UNICAST && rt->type != n->type) ||
	    (rt->metric && rt->metric != n->metric)) {
		seterr(err, errlen,
		       "route %s/%u: the route there has another gateway, dev, type or metric "
		       "(see `route show`)",
		       a, rt->len);
		rc = -ESRCH;
		goto out;
	}
	rc = eu_lpm_del(r->lpm, rt->prefix, rt->len);
	if (rc < 0) {
		seterr(err, errlen, "route %s/%u: %s", a, rt->len, eu_last_error());
		goto out;
	}
	nh_put(r, nh);
	r->nroutes--;
	for (dev = 0; dev < (int)r->nports; dev++)
		if (r->nh_conn[dev] == nh && r->nhc[nh].refs == 0)
			r->nh_conn[dev] = EU_LPM_MISS;
out:
	pthread_mutex_unlock(&r->ctl_mu);
	return rc;
}

struct walk_ent {
	__u32 prefix;
	__u32 nh;
	__u8 len;
};

struct walk_acc {
	struct walk_ent *e;
	size_t n, cap;
	int err;
};

static int walk_collect(void *arg, __u32 prefix, unsigned len, __u32 nh)
{
	struct walk_acc *w = arg;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		struct walk_ent *e = realloc(w->e, cap * sizeof(*e));

		if (!e) {
			w->err = -ENOMEM;
			return 1;
		}
		w->e = e;
		w->cap = cap;
	}
	w->e[w->n++] = (struct walk_ent){.prefix = prefix, .nh = nh, .len = (__u8)len};
	return 0;
}

static int walk_cmp(const void *a, const void *b)
{
	const struct walk_ent *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return (int)x->len - (int)y->len;
}

int fwd_router_route_walk(struct fwd_router *r,
			  int (*cb)(const struct eu_ipv4_route *rt, void *arg), void *arg)
{
	struct walk_acc w = {0};
	struct eu_ipv4_route *rts;
	size_t i, k = 0;
	int rc = 0;

	/* collect and translate under the lock, call back without it (cb may call us) */
	pthread_mutex_lock(&r->ctl_mu);
	eu_lpm_walk(r->lpm, walk_collect, &w);
	rts = w.err ? NULL : malloc((w.n ? w.n : 1) * sizeof(*rts));
	if (rts) {
		qsort(w.e, w.n, sizeof(*w.e), walk_cmp);
		for (i = 0; i < w.n; i++) {
			const struct nh_ctl *n = &r->nhc[w.e[i].nh < NH_MAX ? w.e[i].nh : 0];
			struct eu_ipv4_route *rt = &rts[k];

			if (w.e[i].nh >= NH_MAX || n->type == NH_LOCAL || n->type == NH_BCAST)
				continue;
			memset(rt, 0, sizeof(*rt));
			rt->prefix = w.e[i].prefix;
			rt->len = w.e[i].len;
			rt->type = n->type;
			rt->has_via = n->gw != 0;
			rt->via = n->gw;
			rt->metric = n->metric;
			if (n->type == EU_IPV4_RT_UNICAST)
				snprintf(rt->dev, sizeof(rt->dev), "%s", r->cport[n->port].name);
			k++;
		}
	}
	pthread_mutex_unlock(&r->ctl_mu);
	free(w.e);
	if (!rts)
		return w.err ? w.err : -ENOMEM;
	for (i = 0; i < k && !rc; i++)
		rc = cb(&rts[i], arg);
	free(rts);
	return rc;
}

/* (helper B) Exact match for ctl.c's `route add` EEXIST check and `route show P`. */
int fwd_router_route_get(struct fwd_router *r, __u32 prefix, unsigned len,
			 struct eu_ipv4_route *out)
{
	const struct nh_ctl *n;
	__u32 nh;
	int rc = -ENOENT;

	if (len > 32 || !out)
		return -EINVAL;
	pthread_mutex_lock(&r->ctl_mu);
	if (eu_lpm_get(r->lpm, prefix, len, &nh) == 0 && nh < NH_MAX) {
		n = &r->nhc[nh];
		if (n->type != NH_LOCAL && n->type != NH_BCAST) {
			memset(out, 0, sizeof(*out));
			out->prefix = prefix;
			out->len = (__u8)len;
			out->type = n->type;
			out->has_via = n->gw != 0;
			out->via = n->gw;
			out->metric = n->metric;
			if (n->type == EU_IPV4_RT_UNICAST)
				snprintf(out->dev, sizeof(out->dev), "%s", r->cport[n->port].name);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&r->ctl_mu);
	return rc;
}

int fwd_router_lookup(struct fwd_router *r, __u32 dst, struct fwd_lookup *out)
{
	__u32 nh;
	__u64 w;

	eu_lpm_read_lock();
	nh = eu_lpm_lookup(r->lpm, dst);
	w = nh < NH_MAX ? __atomic_load_n(&r->nhw[nh], __ATOMIC_ACQUIRE) : 0;
	eu_lpm_read_unlock();
	if (nh >= NH_MAX)
		return -ENETUNREACH;
	out->type = NHW_TYPE(w);
	out->port = NHW_PORT(w);
	out->gw = NHW_GW(w);
	return 0;
}

int fwd_router_neigh_add(struct fwd_router *r, const struct fwd_neigh *n)
{
	struct cmd c;

	if (!n || n->port >= r->nports || eu_ipv4_martian(n->addr) || (n->mac[0] & 1) ||
	    !memcmp(n->mac, "\0\0\0\0\0\0", 6))
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.kind = CMD_NEIGH_ADD;
	c.n = *n;
	return queue_cmd(r, &c);
}

int fwd_router_neigh_del(struct fwd_router *r, __u32 addr)
{
	struct cmd c;
	unsigned i;
	int found = 0;

	/* a neighbour the forwarding thread has, or one still queued */
	pthread_mutex_lock(&r->pub_mu);
	for (i = 0; i < r->nsnap && !found; i++)
		found = r->snap[i].addr == addr;
	pthread_mutex_unlock(&r->pub_mu);
	if (!found) {
		struct cmd *q;

		pthread_mutex_lock(&r->q_mu);
		for (q = r->q_head; q && !found; q = q->next)
			found = q->kind == CMD_NEIGH_ADD && q->n.addr == addr;
		pthread_mutex_unlock(&r->q_mu);
	}
	if (!found)
		return -ENOENT;
	memset(&c, 0, sizeof(c));
	c.kind = CMD_NEIGH_DEL;
	c.n.addr = addr;
	return queue_cmd(r, &c);
}

int fwd_router_neigh_walk(struct fwd_router *r, int (*cb)(const struct fwd_neigh *n, void *arg),
			  void *arg)
{
	struct fwd_neigh *copy;
	unsigned i, n;
	int rc = 0;

	pthread_mutex_lock(&r->pub_mu);
	n = r->nsnap;
	copy = malloc((n ? n : 1) * sizeof(*copy));
	if (copy)
		memcpy(copy, r->snap, n * sizeof(*copy));
	pthread_mutex_unlock(&r->pub_mu);
	if (!copy)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i++)
		rc = cb(&copy[i], arg);
	free(copy);
	return rc;
}

void fwd_router_stats(struct fwd_router *r, struct fwd_stats *out)
{
	pthread_mutex_lock(&r->pub_mu);
	*out = r->pub;
	out->neighbours = r->nsnap;
	pthread_mutex_unlock(&r->pub_mu);
	pthread_mutex_lock(&r->ctl_mu);
	out->routes = r->nroutes;
	pthread_mutex_unlock(&r->ctl_mu);
}

void fwd_router_account_switch(struct fwd_router *r, __u64 cycles)
{
	r->st.switch_busy_cycles += cycles;
}

__u64 fwd_stats_dropped(const struct fwd_stats *st)
{
	__u64 t = 0;
	unsigned i;

	for (i = 0; i < FWD_DROP_COUNT; i++)
		if (i != FWD_DROP_ICMP_RATE && i != FWD_DROP_NO_SLOT)
			t += st->drop[i];
	return t - st->drop_made;
}

/* ============================================================ forwarding thread */

static inline int mac_eq(const unsigned char *a, const unsigned char *b)
{
	__u32 a4, b4;
	__u16 a2, b2;

	memcpy(&a4, a, 4);
	memcpy(&b4, b, 4);
	memcpy(&a2, a + 4, 2);
	memcpy(&b2, b + 4, 2);
	return a4 == b4 && a2 == b2;
}

static inline void drop(struct fwd_router *r, __u32 idx, unsigned reason)
{
	r->st.drop[reason]++;
	r->freeq[r->nfree++] = idx;
	if (eu_unlikely(r->nfree == TXQ_MAX)) {
		eu_vr_free_burst(r->vr, r->freeq, r->nfree);
		r->nfree = 0;
	}
}

/* Free a slot that is not a counted drop (a consumed ARP, a punted frame). */
static inline void release(struct fwd_router *r, __u32 idx)
{
	r->freeq[r->nfree++] = idx;
	if (eu_unlikely(r->nfree == TXQ_MAX)) {
		eu_vr_free_burst(r->vr, r->freeq, r->nfree);
		r->nfree = 0;
	}
}

static void flush(struct fwd_router *r)
{
	if (r->ntx) {
		unsigned sent = eu_vr_tx_burst(r->vr, r->txq, r->ntx), i;

		if (eu_unlikely(sent < r->ntx)) {
			for (i = sent; i < r->ntx; i++) {
				const struct eu_desc *d = eu_vr_desc(r->vr, r->txq[i]);

				r->st.port[d->port].tx--;
				r->st.port[d->port].tx_bytes -= d->len;
			}
			/*
			 * Each of these frames is accounted for already (fwd, local, or made
			 * here): count the drop in drop_made too, or it would count twice.
			 */
			r->st.drop[FWD_DROP_TX_FULL] += r->ntx - sent;
			r->st.drop_made += r->ntx - sent;
			eu_vr_free_burst(r->vr, r->txq + sent, r->ntx - sent);
		}
		r->ntx = 0;
	}
	if (r->nfree) {
		eu_vr_free_burst(r->vr, r->freeq, r->nfree);
		r->nfree = 0;
	}
}

/* Queue a finished frame (desc port and len set) for transmission. */
static inline void send_frame(struct fwd_router *r, __u32 idx)
{
	const struct eu_desc *d = eu_vr_desc(r->vr, idx);

	r->st.port[d->port].tx++;
	r->st.port[d->port].tx_bytes += d->len;
	r->txq[r->ntx++] = idx;
	if (eu_unlikely(r->ntx == TXQ_MAX))
		flush(r);
}

/* ------------------------------------------------------------- neighbours */

static inline unsigned nt_hash(const struct fwd_router *r, __u32 addr)
{
	return (unsigned)((addr * 0x9e3779b1U) >> 8) & r->nt_mask;
}

static inline struct nent *nt_find(struct fwd_router *r, __u32 addr)
{
	unsigned h = nt_hash(r, addr);

	for (;; h = (h + 1) & r->nt_mask) {
		struct nent *e = &r->nt[h];

		if (eu_likely(e->addr == addr))
			return e;
		if (!e->addr)
			return NULL;
	}
}

static inline __u32 *nt_held(struct fwd_router *r, const struct nent *e)
{
	return r->held + (size_t)(e - r->nt) * r->o.arp_hold;
}

static void nt_remove(struct fwd_router *r, struct nent *e);

/*
 * The table is full: remove the least recently used learned entry that holds
 * no packet (never a PERMANENT one). The least recently used of the first
 * NT_EVICT_SAMPLE candidates from a rotating position, so that a flood of new
 * neighbours costs a bounded scan each: exact in a table of up to that many.
 * Moves entries (nt_remove()): no pointer into the table survives it.
 */
#define NT_EVICT_SAMPLE 64U
static int nt_evict(struct fwd_router *r)
{
	struct nent *best = NULL;
	unsigned i, seen = 0, h = r->nt_hand;

	for (i = 0; i <= r->nt_mask && seen < NT_EVICT_SAMPLE; i++, h = (h + 1) & r->nt_mask) {
		struct nent *e = &r->nt[h];

		if (!e->addr || e->state == FWD_NEIGH_PERMANENT || e->nheld)
			continue;
		seen++;
		if (!best || e->used_ns < best->used_ns)
			best = e;
	}
	r->nt_hand = h;
	if (!best)
		return 0;
	nt_remove(r, best);
	r->st.neigh_evictions++;
	return 1;
}

static struct nent *nt_insert(struct fwd_router *r, __u32 addr)
{
	unsigned h = nt_hash(r, addr);

	if (r->nt_count >= r->o.neigh_max && !nt_evict(r))
		return NULL;
	while (r->nt[h].addr)
		h = (h + 1) & r->nt_mask;
	memset(&r->nt[h], 0, sizeof(r->nt[h]));
	r->nt[h].addr = addr;
	r->nt[h].used_ns = r->nt[h].confirmed_ns = r->now_ns;
	r->nt_count++;
	r->nt_dirty = 1;
	return &r->nt[h];
}

/* Remove an entry (its held slots already dealt with): backward-shift deletion. */
static void nt_remove(struct fwd_router *r, struct nent *e)
{
	unsigned i = (unsigned)(e - r->nt), j = i;

	if (e->state == FWD_NEIGH_INCOMPLETE)
		r->nt_incomplete--;
	else if (e->state == FWD_NEIGH_FAILED)
		r->nt_failed--;
	else if (e->state == FWD_NEIGH_PROBE)
		r->nt_probe--;
	r->nt[i].addr = 0;
	for (;;) {
		unsigned k;

		j = (j + 1) & r->nt_mask;
		if (!r->nt[j].addr)
			break;
		k = nt_hash(r, r->nt[j].addr);
		/* can entry j move back to i? only if its home k is not in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		r->nt[i] = r->nt[j];
		if (r->o.arp_hold)
			memcpy(r->held + (size_t)i * r->o.arp_hold,
			       r->held + (size_t)j * r->o.arp_hold, r->o.arp_hold * sizeof(__u32));
		r->nt[j].addr = 0;
		i = j;
	}
	r->nt_count--;
	r->nt_dirty = 1;
	r->nt_gen++;
}

static void set_state(struct fwd_router *r, struct nent *e, unsigned state)
{
	if (e->state == FWD_NEIGH_INCOMPLETE && e->addr)
		r->nt_incomplete--;
	else if (e->state == FWD_NEIGH_FAILED)
		r->nt_failed--;
	else if (e->state == FWD_NEIGH_PROBE)
		r->nt_probe--;
	if (state == FWD_NEIGH_INCOMPLETE)
		r->nt_incomplete++;
	else if (state == FWD_NEIGH_FAILED)
		r->nt_failed++;
	else if (state == FWD_NEIGH_PROBE)
		r->nt_probe++;
	e->state = (__u8)state;
	r->nt_dirty = 1;
	r->nt_gen++;
}

static inline void put_mac_send(struct fwd_router *r, __u32 idx, const unsigned char *dmac,
				unsigned port)
{
	unsigned char *f = eu_vr_data(r->vr, idx);

	memcpy(f, dmac, 6);
	memcpy(f + 6, r->fport[port].mac, 6);
	eu_vr_desc(r->vr, idx)->port = (__u16)port;
	send_frame(r, idx);
}

/*
 * Send an ARP request for addr out of port (a new slot): broadcast, or to
 * dmac (re-probing a stale neighbour at the address it had, RFC 1122 2.3.2.1).
 */
static void arp_request(struct fwd_router *r, __u32 addr, unsigned port, const unsigned char *dmac)
{
	const struct fport *p = &r->fport[port];
	unsigned char *f;
	struct eu_desc *d;
	__u32 idx, v;

	if (eu_vr_alloc_burst(r->vr, &idx, 1) != 1) {
		r->st.drop[FWD_DROP_NO_SLOT]++;
		return;
	}
	f = eu_vr_data(r->vr, idx);
	if (dmac)
		memcpy(f, dmac, 6);
	else
		memset(f, 0xff, 6);
	memcpy(f + 6, p->mac, 6);
	f[12] = ETH_P_ARP >> 8;
	f[13] = ETH_P_ARP & 0xff;
	memcpy(f + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8); /* Ethernet/IPv4, request */
	memcpy(f + 22, p->mac, 6);
	v = eu_htonl(p->addr);
	memcpy(f + 28, &v, 4);
	memset(f + 32, 0, 6);
	v = eu_htonl(addr);
	memcpy(f + 38, &v, 4);
	d = eu_vr_desc(r->vr, idx);
	d->len = ETH_HLEN + ARP_LEN;
	d->port = (__u16)port;
	r->st.arp_req_out++;
	send_frame(r, idx);
}

static void too_big(struct fwd_router *r, __u32 idx, unsigned in, __u32 nb, unsigned out,
		    int dec_ttl);
static unsigned port_toward(struct fwd_router *r, __u32 dst, unsigned dflt);

/*
 * The neighbour became reachable: send what it held, each to the port the
 * route chose when it was held, but as that port's MTU is now: a datagram
 * that has grown too big for it (the MTU went down meanwhile) is fragmented
 * or answered with ICMP fragmentation needed as on the forwarding path
 * (too_big()); a frame made here that is too big is dropped, as local_out()
 * drops one. Needs the RCU read lock (ICMP is routed). Copies the queue
 * first: what it sends may add (and evict) neighbours, which moves entries.
 */
static void nt_release(struct fwd_router *r, struct nent *e)
{
	__u32 h[256], nb = e->addr;
	unsigned char mac[6];
	unsigned i, n = e->nheld;

	memcpy(h, nt_held(r, e), n * sizeof(*h));
	memcpy(mac, e->mac, 6);
	e->nheld = 0;
	for (i = 0; i < n; i++) {
		__u32 idx = h[i] & ~HELD_LOCAL;
		unsigned out = eu_vr_desc(r->vr, idx)->port;
		const struct eu_ipv4_hdr *ip =
			(const struct eu_ipv4_hdr *)((unsigned char *)eu_vr_data(r->vr, idx) +
						     ETH_HLEN);

		if (eu_unlikely(eu_ipv4_tot_len(ip) > r->fport[out].mtu)) {
			if (h[i] & HELD_LOCAL)
				drop(r, idx, FWD_DROP_FRAG_NEEDED); /* drop_made: kept */
			else /* TTL decremented when it was held; ICMP from the port back */
				too_big(r, idx, port_toward(r, eu_ipv4_saddr(ip), out), nb, out, 0);
			continue;
		}
		put_mac_send(r, idx, mac, out);
		if (!(h[i] & HELD_LOCAL))
			r->st.fwd++;
		else
			r->st.drop_made--; /* counted while held (emit()) */
	}
}

/*
 * A stale neighbour is used: keep sending to the MAC it had while a unicast
 * ARP request confirms it (arp_retries of them, arp_timeout_ms apart; no
 * answer: the entry goes, fwd_router_tick()).
 */
static void nt_reprobe(struct fwd_router *r, struct nent *e)
{
	set_state(r, e, FWD_NEIGH_PROBE);
	e->tries = 1;
	e->due_ns = r->now_ns + (__u64)r->o.arp_timeout_ms * 1000000ULL;
	r->st.neigh_reprobes++;
	arp_request(r, e->addr, e->port, e->mac);
}

static void nt_drop_held(struct fwd_router *r, struct nent *e, unsigned reason)
{
	__u32 *h = nt_held(r, e);
	unsigned i;

	/* a frame made here was counted in drop_made when held (emit()) */
	for (i = 0; i < e->nheld; i++)
		drop(r, h[i] & ~HELD_LOCAL, reason);
	e->nheld = 0;
}

/*
 * Send frame idx (Ethernet header to fill) to neighbour addr on port: now if
 * it is known, else hold it while ARP resolves it. `counted`: a forwarded
 * datagram (st.fwd), not a frame made here (ICMP, a punted frame, a
 * fragment beyond the first).
 */
static inline void emit(struct fwd_router *r, __u32 idx, __u32 addr, unsigned port, int counted)
{
	struct nent *e = nt_find(r, addr);

	if (eu_likely(e && e->state != FWD_NEIGH_INCOMPLETE && e->state != FWD_NEIGH_FAILED)) {
		e->used_ns = r->now_ns;
		if (eu_unlikely(e->state == FWD_NEIGH_STALE))
			nt_reprobe(r, e);
		put_mac_send(r, idx, e->mac, port);
		r->st.fwd += (unsigned)counted;
		return;
	}
	if (!e) {
		e = nt_insert(r, addr);
		if (!e) {
			drop(r, idx, FWD_DROP_NEIGH_FULL);
			r->st.drop_made += !counted;
			return;
		}
		e->port = (__u16)port;
		e->state = FWD_NEIGH_REACHABLE; /* so that set_state counts the change */
		set_state(r, e, FWD_NEIGH_INCOMPLETE);
		e->tries = 1;
		e->due_ns = r->now_ns + (__u64)r->o.arp_timeout_ms * 1000000ULL;
		arp_request(r, addr, port, NULL);
	}
	if (e->state == FWD_NEIGH_FAILED) {
		drop(r, idx, FWD_DROP_NEIGH_FAILED);
		r->st.drop_made += !counted;
		return;
	}
	if (e->nheld >= r->o.arp_hold) {
		drop(r, idx, FWD_DROP_NEIGH_HOLD);
		r->st.drop_made += !counted;
		return;
	}
	eu_vr_desc(r->vr, idx)->port = (__u16)port;
	nt_held(r, e)[e->nheld++] = idx | (counted ? 0 : HELD_LOCAL);
	/*
	 * `held` (neigh show) counts every slot a queue holds, but a frame made here
	 * (ICMP, fragments after the first) is no received frame: count it in
	 * drop_made while it waits, so that rx = fwd + local + arp_ignored + held +
	 * fwd_stats_dropped() holds meanwhile. Released: undone; dropped: kept.
	 */
	r->st.drop_made += !counted;
	r->nt_dirty = 1;
}

/*
 * ARP from addr (mac, on port). `for_us`: addressed to our address (a request
 * for it, or a reply to our request): it confirms the neighbour (REACHABLE),
 * and creates it if it is new (RFC 826: the merge, then "am I the target?").
 * Other ARP (to another host, gratuitous) only updates a neighbour we have,
 * and, as it proves no reachability, leaves a changed or new MAC STALE: it is
 * re-probed when used, as Linux does.
 */
static void nt_learn(struct fwd_router *r, __u32 addr, const unsigned char *mac, unsigned port,
		     int for_us)
{
	struct nent *e = nt_find(r, addr);
	int changed;

	if (!e) {
		if (!for_us)
			return;
		e = nt_insert(r, addr);
		if (!e)
			return;
		e->state = FWD_NEIGH_REACHABLE;
	}
	if (e->state == FWD_NEIGH_PERMANENT)
		return;
	changed = memcmp(e->mac, mac, 6) || e->port != port;
	if (changed) {
		r->nt_dirty = 1;
		r->nt_gen++;
	}
	memcpy(e->mac, mac, 6);
	e->port = (__u16)port;
	if (for_us) {
		e->confirmed_ns = r->now_ns;
		if (e->state != FWD_NEIGH_REACHABLE)
			set_state(r, e, FWD_NEIGH_REACHABLE);
	} else if (changed || e->state == FWD_NEIGH_INCOMPLETE || e->state == FWD_NEIGH_FAILED) {
		set_state(r, e, FWD_NEIGH_STALE);
	}
	if (e->nheld)
		nt_release(r, e);
}

/* ------------------------------------------------------------------ ARP */

static void arp_in(struct fwd_router *r, __u32 idx, unsigned char *f, unsigned len, unsigned port)
{
	const struct fport *p = &r->fport[port];
	unsigned op;
	__u32 spa, tpa;

	if (len < ETH_HLEN + ARP_LEN || memcmp(f + 14, "\x00\x01\x08\x00\x06\x04\x00", 7) ||
	    (f[21] != 1 && f[21] != 2)) {
		drop(r, idx, FWD_DROP_ARP_BAD);
		return;
	}
	op = f[21];
	memcpy(&spa, f + 28, 4);
	memcpy(&tpa, f + 38, 4);
	spa = eu_ntohl(spa);
	tpa = eu_ntohl(tpa);
	if (op == 1)
		r->st.arp_req_in++;
	else
		r->st.arp_rep_in++;
	/* a group or all-zero sender hardware address is never a neighbour */
	if ((f[22] & 1) || !memcmp(f + 22, "\0\0\0\0\0\0", 6)) {
		drop(r, idx, FWD_DROP_ARP_BAD);
		return;
	}
	/* RFC 826: update a sender we know; add it if the packet is for us */
	if (spa && !eu_ipv4_martian(spa))
		nt_learn(r, spa, f + 22, port, p->addr && tpa == p->addr);
	if (!p->addr || tpa != p->addr || op != 1 || spa == tpa) {
		if (!p->addr || tpa != p->addr)
			r->st.arp_ignored++;
		else
			r->st.local++; /* a reply (or gratuitous ARP) for us, learned */
		release(r, idx);
		return;
	}
	/* a request for our address: answer in place */
	memcpy(f, f + 22, 6);
	memcpy(f + 6, p->mac, 6);
	f[21] = 2;
	memcpy(f + 32, f + 22, 10); /* target = the requester (hardware and protocol) */
	memcpy(f + 22, p->mac, 6);
	tpa = eu_htonl(p->addr);
	memcpy(f + 28, &tpa, 4);
	eu_vr_desc(r->vr, idx)->len = ETH_HLEN + ARP_LEN;
	eu_vr_desc(r->vr, idx)->port = (__u16)port;
	r->st.arp_rep_out++;
	r->st.local++;
	send_frame(r, idx);
}

/* ----------------------------------------------------------------- ICMP */

static inline int icmp_take_token(struct fwd_router *r)
{
	if (r->icmp_tokens >= 1000) {
		r->icmp_tokens -= 1000;
		return 1;
	}
	r->st.drop[FWD_DROP_ICMP_RATE]++;
	return 0;
}

/*
 * Route a packet this router made (an ICMP message, a frame from the punt
 * interface): IPv4 header complete, Ethernet header to fill. Consumes idx.
 */
static void local_out(struct fwd_router *r, __u32 idx)
{
	const struct eu_ipv4_hdr *ip =
		(const struct eu_ipv4_hdr *)((unsigned char *)eu_vr_data(r->vr, idx) + ETH_HLEN);
	__u32 dst = eu_ipv4_daddr(ip), nh = eu_lpm_lookup(r->lpm, dst);
	__u64 w;

	if (nh >= NH_MAX) {
		drop(r, idx, FWD_DROP_NO_ROUTE);
		r->st.drop_made++;
		return;
	}
	w = __atomic_load_n(&r->nhw[nh], __ATOMIC_RELAXED);
	if (NHW_TYPE(w) != EU_IPV4_RT_UNICAST) {
		drop(r, idx,
		     NHW_TYPE(w) == NH_LOCAL || NHW_TYPE(w) == NH_BCAST ? FWD_DROP_LOCAL
									: FWD_DROP_BLACKHOLE);
		r->st.drop_made++;
		return;
	}
	if (eu_ipv4_tot_len(ip) > r->fport[NHW_PORT(w)].mtu) {
		drop(r, idx, FWD_DROP_FRAG_NEEDED);
		r->st.drop_made++;
		return;
	}
	emit(r, idx, NHW_GW(w) ? NHW_GW(w) : dst, NHW_PORT(w), 0);
}

/* Is the datagram one we may answer with an ICMP error (RFC 1812 4.3.2.7)? */
static int icmp_error_ok(const struct eu_ipv4_hdr *ip)
{
	const unsigned char *p = (const unsigned char *)ip;
	unsigned hlen = eu_ipv4_hlen(ip);

	if (eu_ntohs(ip->frag_off) & EU_IPV4_OFFMASK)
		return 0; /* not the first fragment */
	if (ip->protocol == 1 && eu_ipv4_tot_len(ip) > hlen) {
		unsigned type = p[hlen];

		if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
			return 0; /* about an ICMP error */
	}
	return 1;
}

/*
 * Send ICMP type/code about the datagram in slot idx (which stays the
 * caller's) received on port in, from in's address; `mtu` for frag needed.
 */
static void icmp_error(struct fwd_router *r, __u32 idx, unsigned in, unsigned type, unsigned code,
		       unsigned mtu)
{
	const struct eu_ipv4_hdr *oip =
		(const struct eu_ipv4_hdr *)((unsigned char *)eu_vr_data(r->vr, idx) + ETH_HLEN);
	unsigned hlen = eu_ipv4_hlen(oip), dlen = eu_ipv4_tot_len(oip) - hlen, q;
	struct eu_ipv4_hdr *ip;
	unsigned char *f, *icmp;
	__u32 n;

	if (!icmp_error_ok(oip) || !r->fport[in].addr)
		return;
	if (!icmp_take_token(r))
		return;
	if (eu_vr_alloc_burst(r->vr, &n, 1) != 1) {
		r->st.drop[FWD_DROP_NO_SLOT]++;
		return;
	}
	q = hlen + (dlen < ICMP_QUOTE ? dlen : ICMP_QUOTE);
	f = eu_vr_data(r->vr, n);
	memset(f, 0, ETH_HLEN + 20 + 8);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xff;
	ip = (struct eu_ipv4_hdr *)(f + ETH_HLEN);
	ip->ver_ihl = 0x45;
	ip->tos = 0xc0; /* internetwork control, as Linux sends its ICMP errors */
	ip->tot_len = eu_htons(20 + 8 + q);
	ip->id = eu_htons(r->ip_id);
	r->ip_id++;
	ip->ttl = 64;
	ip->protocol = 1;
	ip->saddr = eu_htonl(r->fport[in].addr);
	ip->daddr = oip->saddr;
	eu_ipv4_cksum_set(ip);
	icmp = f + ETH_HLEN + 20;
	icmp[0] = (unsigned char)type;
	icmp[1] = (unsigned char)code;
	if (type == 3 && code == 4) {
		icmp[6] = (unsigned char)(mtu >> 8);
		icmp[7] = (unsigned char)mtu;
	}
	memcpy(icmp + 8, oip, q);
	{
		__u16 c = eu_csum(icmp, 8 + q);

		memcpy(icmp + 2, &c, 2);
	}
	eu_vr_desc(r->vr, n)->len = (__u16)(ETH_HLEN + 20 + 8 + q);
	if (type == 11)
		r->st.icmp_ttl++;
	else if (code == 4)
		r->st.icmp_frag_needed++;
	else
		r->st.icmp_unreach++;
	local_out(r, n);
}

/* A datagram for one of our addresses (slot idx, checked header). Consumes idx. */
static void local_in(struct fwd_router *r, __u32 idx, unsigned char *f, unsigned port)
{
	struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + ETH_HLEN);
	unsigned hlen = eu_ipv4_hlen(ip), tot = eu_ipv4_tot_len(ip);
	unsigned char *icmp = f + ETH_HLEN + hlen;

	if (ip->protocol == 1 && !(eu_ntohs(ip->frag_off) & (EU_IPV4_MF | EU_IPV4_OFFMASK)) &&
	    tot >= hlen + 8 && icmp[0] == 8) {
		__u32 a;

		if (eu_csum(icmp, tot - hlen) != 0) {
			drop(r, idx, FWD_DROP_ICMP_BAD);
			return;
		}
		/* echo reply in place: same id, sequence and data */
		icmp[0] = 0;
		{
			__u16 c;

			memcpy(&c, icmp + 2, 2);
			c = eu_csum_update16(c, eu_htons(0x0800), 0);
			memcpy(icmp + 2, &c, 2);
		}
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->ttl = 64;
		ip->frag_off = 0;
		eu_ipv4_cksum_set(ip);
		eu_vr_desc(r->vr, idx)->len = (__u16)(ETH_HLEN + tot);
		r->st.icmp_echo++;
		r->st.local++;
		local_out(r, idx);
		return;
	}
	if (r->o.punt_fd >= 0) {
		/* to the host's TAP, as if the TAP were the destination */
		memcpy(f, r->o.punt_mac, 6);
		if (write(r->o.punt_fd, f, ETH_HLEN + tot) == (ssize_t)(ETH_HLEN + tot)) {
			r->st.punted_out++;
			r->st.local++;
			release(r, idx);
		} else {
			drop(r, idx, FWD_DROP_LOCAL);
		}
		return;
	}
	(void)port;
	drop(r, idx, FWD_DROP_LOCAL);
}

/* -------------------------------------------------------- fragmentation */

/*
 * Split the datagram in slot idx (TTL already decremented) to fit mtu and
 * emit the fragments to neighbour nb on port (RFC 791 3.2, RFC 1812 5.2.6):
 * the first stays in the slot with every option, the others get new slots
 * with the options that have the copy flag. Consumes idx.
 */
static void fragment(struct fwd_router *r, __u32 idx, __u32 nb, unsigned port, unsigned mtu)
{
	unsigned char *f = eu_vr_data(r->vr, idx);
	struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + ETH_HLEN);
	unsigned hlen = eu_ipv4_hlen(ip), tot = eu_ipv4_tot_len(ip);
	unsigned fo = eu_ntohs(ip->frag_off), off0 = fo & EU_IPV4_OFFMASK, mf0 = fo & EU_IPV4_MF;
	unsigned char hdr2[EU_IPV4_HDR_MAX];
	unsigned hlen2 = 20, i, o, first, each, nfr, pos;
	__u32 slots[64];

	/* the options copied into every fragment: those with the copy flag (0x80) */
	memcpy(hdr2, ip, 20);
	for (o = 20; o < hlen;) {
		unsigned t = f[ETH_HLEN + o], l;

		if (t == 0)
			break;
		if (t == 1) {
			o++;
			continue;
		}
		l = o + 1 < hlen ? f[ETH_HLEN + o + 1] : 0;
		if (l < 2 || o + l > hlen)
			break;
		if (t & 0x80) {
			memcpy(hdr2 + hlen2, f + ETH_HLEN + o, l);
			hlen2 += l;
		}
		o += l;
	}
	while (hlen2 & 3)
		hdr2[hlen2++] = 0; /* end of option list */
	hdr2[0] = (unsigned char)(0x40 | hlen2 >> 2);
	first = (mtu - hlen) & ~7U;
	each = (mtu - hlen2) & ~7U;
	nfr = (tot - hlen - first + each - 1) / each; /* fragments beyond the first */
	/*
	 * The fragments' offsets must fit the 13-bit field: a datagram that already
	 * ends past 65535 bytes (offset * 8 + data) cannot be split; its later
	 * fragments' offsets would carry into the flag bits.
	 */
	if (!first || !each || nfr > 64 || off0 * 8 + (tot - hlen) > 65535) {
		drop(r, idx, FWD_DROP_FRAG_FAIL);
		return;
	}
	i = eu_vr_alloc_burst(r->vr, slots, nfr);
	if (i != nfr) {
		eu_vr_free_burst(r->vr, slots, i);
		drop(r, idx, FWD_DROP_FRAG_FAIL);
		return;
	}
	for (i = 0, pos = hlen + first; i < nfr; i++, pos += each) {
		unsigned char *g = eu_vr_data(r->vr, slots[i]);
		struct eu_ipv4_hdr *gip = (struct eu_ipv4_hdr *)(g + ETH_HLEN);
		unsigned len = tot - pos < each ? tot - pos : each;
		unsigned last = i + 1 == nfr;

		memcpy(g, f, ETH_HLEN);
		memcpy(gip, hdr2, hlen2);
		memcpy(g + ETH_HLEN + hlen2, f + ETH_HLEN + pos, len);
		gip->tot_len = eu_htons(hlen2 + len);
		gip->frag_off = eu_htons((fo & EU_IPV4_DF) | (last ? mf0 : EU_IPV4_MF) |
					 (off0 + (pos - hlen) / 8));
		eu_ipv4_cksum_set(gip);
		eu_vr_desc(r->vr, slots[i])->len = (__u16)(ETH_HLEN + hlen2 + len);
	}
	ip->tot_len = eu_htons(hlen + first);
	ip->frag_off = eu_htons(fo | EU_IPV4_MF);
	eu_ipv4_cksum_set(ip);
	eu_vr_desc(r->vr, idx)->len = (__u16)(ETH_HLEN + hlen + first);
	r->st.fragments += nfr + 1;
	emit(r, idx, nb, port, 1);
	for (i = 0; i < nfr; i++)
		emit(r, slots[i], nb, port, 0); /* one datagram forwarded, counted once */
}

/*
 * The forwarded datagram in slot idx (received on port in) is bigger than
 * port out's MTU: with DF, drop it and send ICMP fragmentation needed
 * (RFC 1191); else decrement its TTL if `dec_ttl` and fragment it for
 * neighbour nb. The forwarding path's rule, also for a held datagram whose
 * port's MTU went down while it waited for ARP (nt_release()). Consumes idx.
 */
static void too_big(struct fwd_router *r, __u32 idx, unsigned in, __u32 nb, unsigned out,
		    int dec_ttl)
{
	struct eu_ipv4_hdr *ip =
		(struct eu_ipv4_hdr *)((unsigned char *)eu_vr_data(r->vr, idx) + ETH_HLEN);

	if (eu_ntohs(ip->frag_off) & EU_IPV4_DF) {
		icmp_error(r, idx, in, 3, 4, r->fport[out].mtu);
		drop(r, idx, FWD_DROP_FRAG_NEEDED);
		return;
	}
	if (dec_ttl)
		eu_ipv4_ttl_dec(ip);
	fragment(r, idx, nb, out, r->fport[out].mtu);
}

/* The port of the route to dst (where ICMP about a held datagram leaves), else dflt. */
static unsigned port_toward(struct fwd_router *r, __u32 dst, unsigned dflt)
{
	__u32 nh = eu_lpm_lookup(r->lpm, dst);
	__u64 w;

	if (nh >= NH_MAX)
		return dflt;
	w = __atomic_load_n(&r->nhw[nh], __ATOMIC_RELAXED);
	return NHW_TYPE(w) == EU_IPV4_RT_UNICAST ? NHW_PORT(w) : dflt;
}

/* ----------------------------------------------------------- the burst */

/* Cache the header of next hop (gw, port) if its neighbour is resolved. */
static void nh_fast_fill(struct fwd_router *r, struct nh_fast *c, __u32 gw, unsigned port)
{
	const struct nent *e = nt_find(r, gw);

	if (!e || (e->state != FWD_NEIGH_REACHABLE && e->state != FWD_NEIGH_PERMANENT))
		return;
	c->gw = gw;
	c->port = (__u16)port;
	memcpy(c->hdr, e->mac, 6);
	memcpy(c->hdr + 6, r->fport[port].mac, 6);
	c->gen = r->nt_gen;
}

static void do_burst(struct fwd_router *r, const __u32 *idx, unsigned n)
{
	__u32 dst[BURST_MAX], pos[BURST_MAX];
	unsigned char *fr[BURST_MAX]; /* frame i, then (pass 2) frame pos[i] */
	unsigned i, k = 0;
	struct eu_vr *vr = r->vr;

	for (i = 0; i < n; i++) {
		fr[i] = eu_vr_data(vr, idx[i]);
		__builtin_prefetch(fr[i], 1);
	}
	for (i = 0; i < n; i++) {
		struct eu_desc *d = eu_vr_desc(vr, idx[i]);
		unsigned char *f = fr[i];
		const struct eu_ipv4_hdr *ip = (const struct eu_ipv4_hdr *)(f + ETH_HLEN);
		unsigned port = d->port, len = d->len;
		const struct fport *p;
		int c;

		if (eu_unlikely(port >= r->nports || len < ETH_HLEN)) {
			drop(r, idx[i], FWD_DROP_RUNT);
			continue;
		}
		p = &r->fport[port];
		r->st.port[port].rx++;
		r->st.port[port].rx_bytes += len;
		if (eu_unlikely(f[0] & 1)) {
			/* a group address: broadcast ARP, or IP we do not forward */
			if (f[12] == ETH_P_ARP >> 8 && f[13] == (ETH_P_ARP & 0xff)) {
				arp_in(r, idx[i], f, len, port);
				continue;
			}
		} else if (eu_unlikely(p->has_mac && !mac_eq(f, p->mac))) {
			drop(r, idx[i], FWD_DROP_OTHERHOST);
			continue;
		}
		if (eu_unlikely(f[12] != ETH_P_IP >> 8 || f[13] != (ETH_P_IP & 0xff))) {
			if (f[12] == ETH_P_ARP >> 8 && f[13] == (ETH_P_ARP & 0xff))
				arp_in(r, idx[i], f, len, port);
			else
				drop(r, idx[i], FWD_DROP_NOT_IP);
			continue;
		}
		c = eu_ipv4_check(ip, len - ETH_HLEN);
		if (eu_unlikely(c != EU_IPV4_OK)) {
			r->st.hdr[c]++;
			drop(r, idx[i], FWD_DROP_HDR);
			continue;
		}
		if (eu_unlikely(eu_ipv4_martian_src(eu_ipv4_saddr(ip)))) {
			drop(r, idx[i], FWD_DROP_MARTIAN_SRC);
			continue;
		}
		c = eu_ipv4_martian_dst(eu_ipv4_daddr(ip));
		if (eu_unlikely(c)) {
			drop(r, idx[i],
			     c == EU_IPV4_MARTIAN_MULTICAST   ? FWD_DROP_MCAST
			     : c == EU_IPV4_MARTIAN_BROADCAST ? FWD_DROP_BCAST
							      : FWD_DROP_MARTIAN_DST);
			continue;
		}
		if (eu_unlikely(f[0] & 1)) { /* unicast IP in a group frame: not forwarded */
			drop(r, idx[i], f[0] == 0xff ? FWD_DROP_BCAST : FWD_DROP_MCAST);
			continue;
		}
		pos[k] = idx[i];
		fr[k] = f; /* k <= i: frame i is not needed any more */
		dst[k++] = eu_ipv4_daddr(ip);
	}
	r->st.rx += n;
	eu_lpm_lookup_burst(r->lpm, dst, dst, k);
	for (i = 0; i < k; i++) {
		__u32 id = pos[i], nh = dst[i];
		struct eu_desc *d = eu_vr_desc(vr, id);
		unsigned char *f = fr[i];
		struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + ETH_HLEN);
		unsigned in = d->port, out, type, tot;
		__u64 w;

		if (eu_unlikely(nh >= NH_MAX)) {
			icmp_error(r, id, in, 3, 0, 0);
			drop(r, id, FWD_DROP_NO_ROUTE);
			continue;
		}
		w = __atomic_load_n(&r->nhw[nh], __ATOMIC_RELAXED);
		type = NHW_TYPE(w);
		if (eu_unlikely(type != EU_IPV4_RT_UNICAST)) {
			switch (type) {
			case NH_LOCAL:
				local_in(r, id, f, in);
				break;
			case NH_BCAST:
				drop(r, id, FWD_DROP_BCAST);
				break;
			case EU_IPV4_RT_UNREACHABLE: /* as Linux: host unreachable */
				icmp_error(r, id, in, 3, 1, 0);
				drop(r, id, FWD_DROP_BLACKHOLE);
				break;
			case EU_IPV4_RT_PROHIBIT: /* communication administratively prohibited */
				icmp_error(r, id, in, 3, 13, 0);
				drop(r, id, FWD_DROP_BLACKHOLE);
				break;
			default: /* blackhole: silently */
				drop(r, id, FWD_DROP_BLACKHOLE);
				break;
			}
			continue;
		}
		if (eu_unlikely(ip->ttl <= 1)) {
			icmp_error(r, id, in, 11, 0, 0);
			drop(r, id, FWD_DROP_TTL);
			continue;
		}
		out = NHW_PORT(w);
		tot = eu_ipv4_tot_len(ip);
		d->len = (__u16)(ETH_HLEN + tot); /* trim Ethernet padding */
		if (eu_unlikely(tot > r->fport[out].mtu)) {
			too_big(r, id, in, NHW_GW(w) ? NHW_GW(w) : eu_ipv4_daddr(ip), out, 1);
			continue;
		}
		eu_ipv4_ttl_dec(ip);
		if (eu_likely(NHW_GW(w))) {
			struct nh_fast *c = &r->nhf[nh];

			if (eu_likely(c->gen == r->nt_gen && c->gw == NHW_GW(w) &&
				      c->port == out)) {
				memcpy(f, c->hdr, 12);
				d->port = (__u16)out;
				send_frame(r, id);
				r->st.fwd++;
				continue;
			}
			nh_fast_fill(r, c, NHW_GW(w), out);
		}
		emit(r, id, NHW_GW(w) ? NHW_GW(w) : eu_ipv4_daddr(ip), out, 1);
	}
}

void fwd_router_rx_burst(struct fwd_router *r, const __u32 *idx, unsigned n)
{
	__u64 t0;
	unsigned i;

	if (!n)
		return;
	t0 = tsc();
	eu_lpm_read_lock();
	for (i = 0; i < n; i += BURST_MAX)
		do_burst(r, idx + i, n - i < BURST_MAX ? n - i : BURST_MAX);
	eu_lpm_read_unlock();
	flush(r);
	r->st.bursts++;
	r->st.busy_cycles += tsc() - t0;
}

/* ------------------------------------------------------------------ tick */

static void apply_cmd(struct fwd_router *r, const struct cmd *c)
{
	struct nent *e;

	switch (c->kind) {
	case CMD_PORT: {
		struct fport *p = &r->fport[c->port];

		p->addr = c->cfg.addr;
		p->plen = c->cfg.plen;
		p->bcast = bcast_of(c->cfg.addr, c->cfg.plen);
		p->mtu = c->cfg.mtu;
		memcpy(p->mac, c->cfg.mac, 6);
		p->has_mac = !!memcmp(p->mac, "\0\0\0\0\0\0", 6);
		r->nt_gen++;
		break;
	}
	case CMD_NEIGH_ADD:
		e = nt_find(r, c->n.addr);
		if (!e) {
			e = nt_insert(r, c->n.addr);
			if (!e)
				break; /* table full: the static entry is lost; counted nowhere */
			e->state = FWD_NEIGH_PERMANENT;
		}
		memcpy(e->mac, c->n.mac, 6);
		e->port = (__u16)c->n.port;
		if (e->state != FWD_NEIGH_PERMANENT)
			set_state(r, e, FWD_NEIGH_PERMANENT);
		r->nt_dirty = 1;
		r->nt_gen++;
		if (e->nheld)
			nt_release(r, e);
		break;
	case CMD_NEIGH_DEL:
		e = nt_find(r, c->n.addr);
		if (e) {
			nt_drop_held(r, e, FWD_DROP_NEIGH_FAILED);
			nt_remove(r, e);
		}
		break;
	}
}

/*
 * The host asks the TAP for the MAC of an address it routes through us:
 * answer with port 0's (any will do, we route by IP), so that it sends.
 */
static void punt_arp(struct fwd_router *r, const unsigned char *q)
{
	unsigned char a[ETH_HLEN + ARP_LEN];

	if (memcmp(q + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8))
		return;
	memcpy(a, q + 6, 6);
	memcpy(a + 6, r->fport[0].mac, 6);
	memcpy(a + 12, q + 12, 2);
	memcpy(a + 14, "\x00\x01\x08\x00\x06\x04\x00\x02", 8);
	memcpy(a + 22, r->fport[0].mac, 6);
	memcpy(a + 28, q + 38, 4);  /* the address asked for */
	memcpy(a + 32, q + 22, 10); /* to the asker */
	if (write(r->o.punt_fd, a, sizeof(a)) == (ssize_t)sizeof(a))
		r->st.arp_rep_out++;
}

static void punt_in(struct fwd_router *r)
{
	unsigned budget = 64;

	while (budget--) {
		ssize_t len = read(r->o.punt_fd, r->punt_buf, sizeof(r->punt_buf));
		const struct eu_ipv4_hdr *pip =
			(const struct eu_ipv4_hdr *)(r->punt_buf + ETH_HLEN);
		unsigned char *f;
		__u32 idx;

		if (len <= 0)
			break;
		if ((size_t)len >= ETH_HLEN + ARP_LEN && r->punt_buf[12] == ETH_P_ARP >> 8 &&
		    r->punt_buf[13] == (ETH_P_ARP & 0xff)) {
			punt_arp(r, r->punt_buf);
			continue;
		}
		if ((size_t)len < ETH_HLEN + 20 || (size_t)len > ETH_HLEN + r->max_mtu ||
		    r->punt_buf[12] != ETH_P_IP >> 8 || r->punt_buf[13] != (ETH_P_IP & 0xff) ||
		    eu_ipv4_check(pip, (size_t)len - ETH_HLEN) != EU_IPV4_OK || pip->ttl == 0 ||
		    eu_ipv4_martian_src(eu_ipv4_saddr(pip)) ||
		    eu_ipv4_martian_dst(eu_ipv4_daddr(pip)))
			continue; /* the host's ARP and IPv6 stay on its side; TTL 0 and martians
				     (RFC 1812 5.3.7) do not leave through us */
		if (eu_vr_alloc_burst(r->vr, &idx, 1) != 1) {
			r->st.drop[FWD_DROP_NO_SLOT]++;
			break;
		}
		f = eu_vr_data(r->vr, idx);
		memcpy(f, r->punt_buf, (size_t)len);
		eu_vr_desc(r->vr, idx)->len =
			(__u16)(ETH_HLEN +
				eu_ipv4_tot_len((const struct eu_ipv4_hdr *)(f + ETH_HLEN)));
		r->st.punted_in++;
		local_out(r, idx);
	}
}

static void publish(struct fwd_router *r)
{
	unsigned i, k = 0;

	pthread_mutex_lock(&r->pub_mu);
	r->pub = r->st;
	if (r->nt_dirty) {
		for (i = 0; i <= r->nt_mask; i++) {
			const struct nent *e = &r->nt[i];
			struct fwd_neigh *s;

			if (!e->addr)
				continue;
			s = &r->snap[k++];
			s->addr = e->addr;
			s->port = e->port;
			memcpy(s->mac, e->mac, 6);
			s->state = e->state;
			s->held = e->nheld;
		}
		r->nsnap = k;
		r->nt_dirty = 0;
	}
	pthread_mutex_unlock(&r->pub_mu);
}

void fwd_router_tick(struct fwd_router *r, __u64 now_ns)
{
	__u64 dt;
	unsigned i;

	r->now_ns = now_ns;
	dt = now_ns - r->last_tick_ns;
	r->last_tick_ns = now_ns;
	/* ICMP tokens: icmp_rate a second, up to icmp_burst */
	r->icmp_tokens += dt * r->o.icmp_rate / 1000000;
	if (r->icmp_tokens > (__u64)r->o.icmp_burst * 1000)
		r->icmp_tokens = (__u64)r->o.icmp_burst * 1000;

	if (__atomic_load_n(&r->q_pending, __ATOMIC_ACQUIRE)) {
		struct cmd *c, *next;

		pthread_mutex_lock(&r->q_mu);
		c = r->q_head;
		r->q_head = NULL;
		r->q_tail = &r->q_head;
		__atomic_store_n(&r->q_pending, 0, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&r->q_mu);
		eu_lpm_read_lock(); /* a neighbour added may release held frames (ICMP) */
		for (; c; c = next) {
			next = c->next;
			apply_cmd(r, c);
			free(c);
		}
		eu_lpm_read_unlock();
	}
	/*
	 * Aging, every scan period (a quarter of neigh_reachable_ms, at most 1 s):
	 * REACHABLE not confirmed for neigh_reachable_ms -> STALE; STALE not used
	 * for neigh_gc_ms -> removed. Each scan also invalidates the cached headers
	 * (nt_gen), so that the next packet to each next hop goes through emit()
	 * and dates its neighbour's used_ns (LRU for eviction) to within a scan,
	 * at no cost per packet.
	 */
	if (r->nt_count && now_ns >= r->nt_age_ns) {
		__u64 reach = (__u64)r->o.neigh_reachable_ms * 1000000ULL,
		      gc = (__u64)r->o.neigh_gc_ms * 1000000ULL;

		r->nt_age_ns = now_ns + (reach / 4 < 1000000000ULL ? reach / 4 : 1000000000ULL);
		r->nt_gen++;
		for (i = 0; i <= r->nt_mask; i++) {
			struct nent *e = &r->nt[i];

			if (!e->addr)
				continue;
			if (e->state == FWD_NEIGH_REACHABLE && now_ns - e->confirmed_ns >= reach) {
				set_state(r, e, FWD_NEIGH_STALE);
			} else if (e->state == FWD_NEIGH_STALE && now_ns - e->used_ns >= gc) {
				nt_remove(r, e);
				r->st.neigh_expired++;
				i--; /* an entry may have moved here */
			}
		}
	}
	if (r->nt_incomplete || r->nt_failed || r->nt_probe) {
		for (i = 0; i <= r->nt_mask; i++) {
			struct nent *e = &r->nt[i];

			if (!e->addr || now_ns < e->due_ns)
				continue;
			if (e->state == FWD_NEIGH_INCOMPLETE) {
				if (e->tries < r->o.arp_retries) {
					e->tries++;
					e->due_ns =
						now_ns + (__u64)r->o.arp_timeout_ms * 1000000ULL;
					arp_request(r, e->addr, e->port, NULL);
				} else {
					nt_drop_held(r, e, FWD_DROP_NEIGH_FAILED);
					set_state(r, e, FWD_NEIGH_FAILED);
					e->due_ns =
						now_ns + (__u64)r->o.arp_timeout_ms * 1000000ULL;
				}
			} else if (e->state == FWD_NEIGH_PROBE) {
				if (e->tries < r->o.arp_retries) {
					e->tries++;
					e->due_ns =
						now_ns + (__u64)r->o.arp_timeout_ms * 1000000ULL;
					arp_request(r, e->addr, e->port, e->mac);
				} else { /* the re-probe failed: forget it (held nothing) */
					nt_remove(r, e);
					r->st.neigh_expired++;
					i--;
				}
			} else if (e->state == FWD_NEIGH_FAILED) {
				nt_remove(r, e);
				i--; /* an entry may have moved here */
			}
		}
	}
	if (r->o.punt_fd >= 0) {
		eu_lpm_read_lock();
		punt_in(r);
		eu_lpm_read_unlock();
	}
	flush(r);
	publish(r);
}
