/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/switch.c - the switch logic (switch.h): classify frames from ports
 * into VR regions, drain the VRs' tx rings to ports, count everything, and
 * sleep when idle.
 *
 * Nothing a VR writes is trusted: indices, states and lengths of what it
 * hands over are checked by the eu_sw_* calls (vr.h); the egress port is
 * checked here; and the switch never reads back a descriptor field it wrote
 * itself (the frame offset comes from the private copy of the header, not
 * from desc->off, which the VR could rewrite at any moment).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <europa/switch.h>

#include "internal.h"

struct eu_swport {
	struct eu_port *port;
	int fd;     /* eu_port_fd(), -1 if none */
	int rx_on;  /* receive from it (eu_switch_port_rx()) */
	int in_ep;  /* fd is in the switch's epoll set */
	int dirty;  /* sent in this round: flush at its end */
	struct eu_switch_port_stats st; /* one writer: the switch's thread */
};

struct eu_swvr {
	struct eu_sw sw;          /* our end of the region */
	struct eu_region *region;
	char name[EU_SWITCH_NAME_MAX];
	int up;
	int efd;                  /* the region's tx wake fd, -1 if none */
	int in_ep;                /* efd is in the switch's epoll set */
	int armed;
	struct eu_poller txp;     /* our sleep on the VR's tx ring */
	__u32 room;               /* longest frame a slot holds: slot_size - headroom */
	__u32 headroom;           /* from the validated header: never from desc->off */
	/* eu_switch_input(): the frames of the current burst that go to this VR */
	__u32 nstage;
	__u16 stage[EU_SWITCH_MAX_BURST];
	/* frames taken from the tx ring that their port has not taken yet, in order */
	struct eu_txpkt pend[EU_SWITCH_MAX_BURST];
	__u32 pend_first;
	__u32 npend;
	__u64 pend_since;         /* ns: last progress of the pending frames */
	__u64 bad_seen[EU_BAD_COUNT]; /* sw.bad[] already added to st */
	struct eu_switch_vr_stats st; /* one writer: the switch's thread */
};

struct eu_rule {
	__u64 mac;   /* 48 bits, as loaded by eu_mac48() */
	__u32 flags;
	__u32 port;
	__u32 vr;
	__u16 vlan;
};

struct eu_switch {
	struct eu_switch_opts o;
	int epfd;
	unsigned nports;
	unsigned nvrs;
	unsigned nrules;
	unsigned rules_cap;
	int def_vr;
	__u32 idle;         /* empty rounds in a row */
	__u64 idle_since;   /* ns: start of this idle period (at its first empty round) */
	unsigned npending;  /* VRs with frames pending */
	struct eu_rule *rules;
	struct eu_swport ports[EU_SWITCH_MAX_PORTS];
	struct eu_swvr *vrs[EU_SWITCH_MAX_VRS];
};

/* epoll tags: what woke us does not matter (a round polls everything) */
#define EU_TAG_PORT 1ULL
#define EU_TAG_VR 2ULL
#define EU_TAG_WATCH 3ULL

EU_API void eu_switch_opts_default(struct eu_switch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->burst = 64;
	o->spin_us = 50;
	o->yield_us = 150;
	o->tx_stall_ms = 100;
}

static void eu_stat_set32(__u32 *c, __u32 v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

static __u64 eu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static __u64 eu_mac48(const unsigned char *m)
{
	return (__u64)m[0] << 40 | (__u64)m[1] << 32 | (__u64)m[2] << 24 | (__u64)m[3] << 16 |
	       (__u64)m[4] << 8 | (__u64)m[5];
}

EU_API struct eu_switch *eu_switch_create(const struct eu_switch_opts *in)
{
	struct eu_switch_opts o;
	struct eu_switch *s;

	eu_switch_opts_default(&o);
	if (in) {
		size_t n = in->size;

		if (n < sizeof(__u32) * 2 || n > 4096)
			return eu_err_null(EINVAL, "switch options: size field is %u; set it to "
						   "sizeof(struct eu_switch_opts)", in->size);
		if (n > sizeof(o))
			n = sizeof(o);
		memcpy(&o, in, n);
		o.size = sizeof(o);
	}
	if (o.burst == 0 || o.burst > EU_SWITCH_MAX_BURST)
		return eu_err_null(EINVAL, "switch: burst %u out of range 1..%u", o.burst,
				   EU_SWITCH_MAX_BURST);
	if (o.flags & ~(__u32)EU_SWITCH_O_BUSY)
		return eu_err_null(EINVAL, "switch: unknown option flags 0x%x", o.flags);
	s = calloc(1, sizeof(*s));
	if (!s)
		return eu_err_null(ENOMEM, "switch: out of memory");
	s->o = o;
	s->def_vr = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		int e = errno;

		free(s);
		return eu_err_null(e, "switch: epoll_create1: %s", strerror(e));
	}
	return s;
}

static void eu_vr_drop_pending(struct eu_switch *s, struct eu_swvr *v, int count_stalled);

EU_API void eu_switch_destroy(struct eu_switch *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < s->nvrs; i++) {
		eu_vr_drop_pending(s, s->vrs[i], 0);
		eu_sw_fini(&s->vrs[i]->sw);
		free(s->vrs[i]);
	}
	close(s->epfd);
	free(s->rules);
	free(s);
}

static int eu_ep_set(struct eu_switch *s, int fd, int *in, int want, __u64 tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (fd < 0 || *in == want)
		return 0;
	if (epoll_ctl(s->epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev) < 0)
		return eu_err(errno, "switch: epoll_ctl on fd %d: %s", fd, strerror(errno));
	*in = want;
	return 0;
}

EU_API int eu_switch_add_port(struct eu_switch *s, struct eu_port *p)
{
	struct eu_swport *sp;
	int err;

	if (!s || !p)
		return eu_err(EINVAL, "switch: add_port: NULL argument");
	if (s->nports >= EU_SWITCH_MAX_PORTS)
		return eu_err(ENOSPC, "switch: at most %u ports; this one (%s) is one too many",
			      EU_SWITCH_MAX_PORTS, eu_port_name(p));
	sp = &s->ports[s->nports];
	memset(sp, 0, sizeof(*sp));
	sp->port = p;
	sp->fd = eu_port_fd(p);
	err = eu_ep_set(s, sp->fd, &sp->in_ep, 1, EU_TAG_PORT);
	if (err)
		return err;
	sp->rx_on = 1;
	return (int)s->nports++;
}

EU_API int eu_switch_port_rx(struct eu_switch *s, unsigned port, int on)
{
	struct eu_swport *sp;
	int err;

	if (!s || port >= s->nports)
		return eu_err(EINVAL, "switch: no port %u", port);
	sp = &s->ports[port];
	/* a port we do not read must not wake us: its fd would stay readable */
	err = eu_ep_set(s, sp->fd, &sp->in_ep, !!on, EU_TAG_PORT);
	if (err)
		return err;
	sp->rx_on = !!on;
	return 0;
}

EU_API int eu_switch_add_vr(struct eu_switch *s, struct eu_region *r, const char *name)
{
	const struct eu_region_hdr *h;
	struct eu_poll_opts po = { .size = sizeof(po), .spin = 0, .yield = 0, .flags = 0 };
	struct eu_swvr *v;
	int err;

	if (!s || !r)
		return eu_err(EINVAL, "switch: add_vr: NULL argument");
	if (s->nvrs >= EU_SWITCH_MAX_VRS)
		return eu_err(ENOSPC, "switch: at most %u VRs", EU_SWITCH_MAX_VRS);
	if (name && strlen(name) >= EU_SWITCH_NAME_MAX)
		return eu_err(ENAMETOOLONG, "switch: VR name \"%s\" is longer than %u bytes",
			      name, EU_SWITCH_NAME_MAX - 1);
	if (name && *name && eu_switch_vr_find(s, name) >= 0)
		return eu_err(EEXIST, "switch: there is already a VR named \"%s\"", name);
	v = calloc(1, sizeof(*v));
	if (!v)
		return eu_err(ENOMEM, "switch: out of memory");
	err = eu_sw_init(&v->sw, r);
	if (err) {
		free(v);
		return err;
	}
	err = eu_poller_init(&v->txp, r, EU_RING_TX, &po);
	if (err) {
		eu_sw_fini(&v->sw);
		free(v);
		return err;
	}
	h = eu_region_header(r);
	v->region = r;
	v->headroom = h->headroom;
	v->room = h->slot_size - h->headroom;
	if (v->room > 0xffff)
		v->room = 0xffff; /* desc->len is 16 bits */
	v->efd = eu_region_wake_fd(r, EU_RING_TX);
	snprintf(v->name, sizeof(v->name), "%s", name ? name : "");
	s->vrs[s->nvrs] = v;
	return (int)s->nvrs++;
}

static struct eu_swvr *eu_vr_get(const struct eu_switch *s, unsigned vr)
{
	return s && vr < s->nvrs ? s->vrs[vr] : NULL;
}

EU_API int eu_switch_vr_up(struct eu_switch *s, unsigned vr, int up)
{
	struct eu_swvr *v = eu_vr_get(s, vr);
	int err;

	if (!v)
		return eu_err(EINVAL, "switch: no VR %u", vr);
	up = !!up;
	if (v->up == up)
		return 0;
	if (!up && v->armed) {
		eu_poller_disarm(&v->txp);
		v->armed = 0;
	}
	err = eu_ep_set(s, v->efd, &v->in_ep, up, EU_TAG_VR);
	if (err)
		return err;
	v->up = up;
	eu_stat_set32(&v->st.up, (__u32)up);
	return 0;
}

/* Add what the eu_sw_* calls refused since last time to the VR's counters. */
static __u64 eu_vr_sync_bad(struct eu_swvr *v)
{
	static const size_t field[EU_BAD_COUNT] = {
		[EU_BAD_IDX] = offsetof(struct eu_switch_vr_stats, bad_idx),
		[EU_BAD_OWNER] = offsetof(struct eu_switch_vr_stats, bad_owner),
		[EU_BAD_STATE] = offsetof(struct eu_switch_vr_stats, bad_state),
		[EU_BAD_TX_LEN] = offsetof(struct eu_switch_vr_stats, bad_len),
	};
	__u64 total = 0;
	int i;

	for (i = 0; i < EU_BAD_COUNT; i++) {
		__u64 d = v->sw.bad[i] - v->bad_seen[i];

		if (eu_likely(!d))
			continue;
		v->bad_seen[i] = v->sw.bad[i];
		eu_stat_add((__u64 *)((char *)&v->st + field[i]), d);
		total += d;
	}
	if (total)
		eu_stat_add(&v->st.bad_desc, total);
	return total;
}

/* Record that v has n frames pending from pend[first] (s->npending: VRs with some). */
static void eu_vr_set_pending(struct eu_switch *s, struct eu_swvr *v, __u32 first, __u32 n)
{
	if (!v->npend && n)
		s->npending++;
	else if (v->npend && !n)
		s->npending--;
	v->pend_first = n ? first : 0;
	v->npend = n;
	if (!n)
		v->pend_since = 0;
	eu_stat_set32(&v->st.pending, n);
}

/* Free the frames pending from v; count them as stalled on their ports if asked. */
static void eu_vr_drop_pending(struct eu_switch *s, struct eu_swvr *v, int count_stalled)
{
	__u32 idx[EU_SWITCH_MAX_BURST];
	__u32 i;

	if (!v->npend)
		return;
	for (i = 0; i < v->npend; i++) {
		const struct eu_txpkt *pk = &v->pend[v->pend_first + i];

		idx[i] = pk->idx;
		if (count_stalled && pk->port < s->nports)
			eu_stat_add(&s->ports[pk->port].st.tx_stalled, 1);
	}
	eu_sw_free_burst(&v->sw, idx, v->npend);
	eu_vr_set_pending(s, v, 0, 0);
}

EU_API int eu_switch_vr_reclaim(struct eu_switch *s, unsigned vr)
{
	struct eu_swvr *v = eu_vr_get(s, vr);
	int n, err;

	if (!v)
		return eu_err(EINVAL, "switch: no VR %u", vr);
	err = eu_switch_vr_up(s, vr, 0);
	if (err)
		return err;
	eu_vr_drop_pending(s, v, 0);
	/* eu_sw_reclaim() rewrites the state words from our record, restores the
	   header and withdraws the dead VR's sleep announcements */
	n = eu_sw_reclaim(&v->sw);
	if (n < 0)
		return n;
	eu_vr_sync_bad(v);
	eu_stat_add(&v->st.reclaims, 1);
	eu_stat_add(&v->st.reclaimed, (__u64)n);
	return n;
}

EU_API int eu_switch_add_rule(struct eu_switch *s, const struct eu_switch_rule *rule)
{
	struct eu_switch_rule r;
	struct eu_rule *k;
	size_t n;

	if (!s || !rule)
		return eu_err(EINVAL, "switch: add_rule: NULL argument");
	n = rule->size;
	if (n < offsetof(struct eu_switch_rule, vlan) + sizeof(rule->vlan) || n > 4096)
		return eu_err(EINVAL, "switch rule: size field is %u; set it to "
				      "sizeof(struct eu_switch_rule)", rule->size);
	memset(&r, 0, sizeof(r));
	memcpy(&r, rule, n < sizeof(r) ? n : sizeof(r));
	if (r.flags & ~(__u32)(EU_RULE_F_PORT | EU_RULE_F_MAC | EU_RULE_F_VLAN |
			       EU_RULE_F_UNTAGGED))
		return eu_err(EINVAL, "switch rule: unknown flags 0x%x", r.flags);
	if ((r.flags & EU_RULE_F_VLAN) && (r.flags & EU_RULE_F_UNTAGGED))
		return eu_err(EINVAL, "switch rule: a rule matches VLAN %u or untagged frames, "
				      "not both; make two rules", r.vlan);
	if ((r.flags & EU_RULE_F_VLAN) && (r.vlan < 1 || r.vlan > 4094))
		return eu_err(EINVAL, "switch rule: VLAN id %u out of range 1..4094", r.vlan);
	if ((r.flags & EU_RULE_F_PORT) && r.port >= s->nports)
		return eu_err(EINVAL, "switch rule: port %u does not exist (the switch has %u "
				      "ports; add ports before the rules that name them)",
			      r.port, s->nports);
	if (r.vr >= s->nvrs)
		return eu_err(EINVAL, "switch rule: VR %u does not exist (the switch has %u VRs; "
				      "add VRs before the rules that name them)", r.vr, s->nvrs);
	if (s->nrules == s->rules_cap) {
		unsigned cap = s->rules_cap ? s->rules_cap * 2 : 16;
		struct eu_rule *nr = realloc(s->rules, cap * sizeof(*nr));

		if (!nr)
			return eu_err(ENOMEM, "switch: out of memory for %u rules", cap);
		s->rules = nr;
		s->rules_cap = cap;
	}
	k = &s->rules[s->nrules];
	k->mac = eu_mac48(r.mac);
	k->flags = r.flags;
	k->port = r.port;
	k->vr = r.vr;
	k->vlan = r.vlan;
	return (int)s->nrules++;
}

EU_API int eu_switch_set_default(struct eu_switch *s, int vr)
{
	if (!s)
		return eu_err(EINVAL, "switch: NULL argument");
	if (vr >= (int)s->nvrs)
		return eu_err(EINVAL, "switch: default VR %d does not exist (%u VRs)", vr, s->nvrs);
	s->def_vr = vr < 0 ? -1 : vr;
	return 0;
}

/* VLAN id of a frame of >= 14 bytes: the stripped tag, else its 802.1Q tag, else 0. */
static inline unsigned eu_frame_vlan(const struct eu_frame *f)
{
	if (f->flags & EU_FRAME_F_VLAN)
		return f->vlan & 0xfffU;
	if (f->len >= 18 && f->data[12] == 0x81 && f->data[13] == 0x00)
		return ((unsigned)(f->data[14] & 0x0f) << 8) | f->data[15];
	return 0;
}

static inline int eu_classify(const struct eu_switch *s, unsigned port, const unsigned char *dmac,
			      unsigned vlan)
{
	__u64 mac = eu_mac48(dmac);
	unsigned i;

	for (i = 0; i < s->nrules; i++) {
		const struct eu_rule *r = &s->rules[i];

		if ((r->flags & EU_RULE_F_PORT) && r->port != port)
			continue;
		if ((r->flags & EU_RULE_F_MAC) && r->mac != mac)
			continue;
		if ((r->flags & EU_RULE_F_VLAN) && r->vlan != vlan)
			continue;
		if ((r->flags & EU_RULE_F_UNTAGGED) && vlan)
			continue;
		return (int)r->vr;
	}
	return s->def_vr;
}

EU_API int eu_switch_classify(const struct eu_switch *s, unsigned port, const struct eu_frame *f)
{
	if (!s || !f || !f->data || f->len < 14)
		return -1;
	return eu_classify(s, port, f->data, eu_frame_vlan(f));
}

/*
 * Copy the frames staged for v into its slots and publish them, in order.
 * Returns how many reached the VR.
 */
static unsigned eu_deliver(struct eu_swvr *v, unsigned port, const struct eu_frame *f)
{
	__u32 idx[EU_SWITCH_MAX_BURST];
	__u32 n = v->nstage, k, pub, j;
	__u64 bytes = 0, pub_bytes = 0;
	__u16 len[EU_SWITCH_MAX_BURST];

	k = eu_sw_rx_alloc(&v->sw, idx, n);
	if (eu_unlikely(k < n))
		eu_stat_add(&v->st.drop_no_slot, n - k); /* the newest frames go */
	for (j = 0; j < k; j++) {
		const struct eu_frame *fr = &f[v->stage[j]];
		struct eu_desc *d = eu_sw_desc(&v->sw, idx[j]);
		unsigned char *dst = eu_sw_buf(&v->sw, idx[j]) + v->headroom;
		__u32 l = fr->len;
		__u16 flags = 0;

		if (fr->flags & EU_FRAME_F_VLAN) {
			/* put the tag the driver stripped back: the VR sees the wire frame */
			__u16 vid = fr->vlan & 0xfffU;

			memcpy(dst, fr->data, 12);
			dst[12] = 0x81;
			dst[13] = 0x00;
			dst[14] = (unsigned char)(vid >> 8);
			dst[15] = (unsigned char)vid;
			memcpy(dst + 16, fr->data + 12, l - 12);
			l += 4;
			flags = EU_DESC_F_VLAN;
		} else {
			memcpy(dst, fr->data, l);
			if (l >= 18 && fr->data[12] == 0x81 && fr->data[13] == 0x00)
				flags = EU_DESC_F_VLAN;
		}
		/* off was set by eu_sw_rx_alloc(); written, never read back */
		d->len = (__u16)l;
		d->port = (__u16)port;
		d->flags = flags;
		d->cookie = 0;
		len[j] = (__u16)l;
		bytes += l;
	}
	v->nstage = 0;
	if (!k)
		return 0;
	pub = eu_sw_rx_publish(&v->sw, idx, k);
	if (eu_unlikely(pub < k)) {
		eu_sw_free_burst(&v->sw, idx + pub, k - pub);
		eu_stat_add(&v->st.drop_ring_full, k - pub);
		for (j = 0; j < pub; j++)
			pub_bytes += len[j];
	} else {
		pub_bytes = bytes;
	}
	eu_vr_sync_bad(v); /* eu_sw_rx_alloc() may have refused fill ring entries */
	eu_stat_add(&v->st.rx_frames, pub);
	eu_stat_add(&v->st.rx_bytes, pub_bytes);
	return pub;
}

/* One burst of at most EU_SWITCH_MAX_BURST frames from port `port`. */
static unsigned eu_input_burst(struct eu_switch *s, unsigned port, const struct eu_frame *f,
			       unsigned n)
{
	struct eu_swport *sp = &s->ports[port];
	struct eu_swvr *touched[EU_SWITCH_MAX_BURST];
	unsigned i, nt = 0, delivered = 0;
	__u64 bytes = 0, runt = 0, no_vr = 0;

	for (i = 0; i < n; i++) {
		const struct eu_frame *fr = &f[i];
		struct eu_swvr *v;
		unsigned vlan;
		int vr;

		bytes += fr->len;
		if (eu_unlikely(fr->len < 14 || !fr->data)) {
			runt++;
			continue;
		}
		vlan = eu_frame_vlan(fr);
		vr = eu_classify(s, port, fr->data, vlan);
		if (eu_unlikely(vr < 0)) {
			no_vr++;
			continue;
		}
		v = s->vrs[vr];
		if (eu_unlikely(!v->up)) {
			eu_stat_add(&v->st.drop_down, 1);
			continue;
		}
		if (eu_unlikely(fr->len + ((fr->flags & EU_FRAME_F_VLAN) ? 4U : 0U) > v->room)) {
			eu_stat_add(&v->st.drop_too_long, 1);
			continue;
		}
		if (!v->nstage)
			touched[nt++] = v;
		v->stage[v->nstage++] = (__u16)i;
	}
	eu_stat_add(&sp->st.rx_frames, n);
	eu_stat_add(&sp->st.rx_bytes, bytes);
	if (eu_unlikely(runt))
		eu_stat_add(&sp->st.rx_runt, runt);
	if (eu_unlikely(no_vr))
		eu_stat_add(&sp->st.rx_no_vr, no_vr);
	for (i = 0; i < nt; i++)
		delivered += eu_deliver(touched[i], port, f);
	return delivered;
}

EU_API unsigned eu_switch_input(struct eu_switch *s, unsigned port, const struct eu_frame *f,
				unsigned n)
{
	unsigned done = 0, delivered = 0;

	if (!s || !f || port >= s->nports) {
		eu_err(EINVAL, "switch: input on port %u, which does not exist", port);
		return 0;
	}
	while (done < n) {
		unsigned b = n - done < EU_SWITCH_MAX_BURST ? n - done : EU_SWITCH_MAX_BURST;

		delivered += eu_input_burst(s, port, f + done, b);
		done += b;
	}
	return delivered;
}

/*
 * Offer v's pending frames to their ports, in order, one run of frames for
 * the same port at a time; stop at the first port that takes less than it
 * was offered. Frees what went out. Returns frames sent or dropped.
 */
static unsigned eu_vr_send_pending(struct eu_switch *s, struct eu_swvr *v)
{
	struct eu_frame fr[EU_SWITCH_MAX_BURST];
	__u32 done[EU_SWITCH_MAX_BURST];
	__u32 i = v->pend_first, end = v->pend_first + v->npend, nd = 0;
	__u64 vbytes = 0, now;

	while (i < end) {
		unsigned p = v->pend[i].port, cnt = 0, sent, j;
		struct eu_swport *sp = &s->ports[p];
		__u64 bytes = 0;

		while (i + cnt < end && v->pend[i + cnt].port == p) {
			const struct eu_txpkt *pk = &v->pend[i + cnt];

			fr[cnt].data = eu_sw_buf(&v->sw, pk->idx) + pk->off;
			fr[cnt].len = pk->len;
			fr[cnt].vlan = 0;
			fr[cnt].flags = 0;
			cnt++;
		}
		sent = eu_port_tx_burst(sp->port, fr, cnt);
		if (sent > cnt)
			sent = cnt; /* a driver bug must not make us free slots twice */
		for (j = 0; j < sent; j++) {
			done[nd++] = v->pend[i + j].idx;
			bytes += v->pend[i + j].len;
		}
		if (sent) {
			sp->dirty = 1;
			eu_stat_add(&sp->st.tx_frames, sent);
			eu_stat_add(&sp->st.tx_bytes, bytes);
			vbytes += bytes;
		}
		i += sent;
		if (sent < cnt)
			break;
	}
	if (nd) {
		eu_sw_free_burst(&v->sw, done, nd);
		eu_stat_add(&v->st.tx_frames, nd);
		eu_stat_add(&v->st.tx_bytes, vbytes);
	}
	if (i == end) {
		eu_vr_set_pending(s, v, 0, 0);
		return nd;
	}
	/* some are left: keep them (backpressure on the VR), unless the port is stuck */
	now = eu_now_ns();
	eu_vr_set_pending(s, v, i, end - i);
	if (nd || !v->pend_since) {
		v->pend_since = now;
	} else if (now - v->pend_since > (__u64)s->o.tx_stall_ms * 1000000ULL) {
		nd += v->npend;
		eu_vr_drop_pending(s, v, 1);
	}
	return nd;
}

/* Drain one burst of v's tx ring to the ports. Returns frames and refusals handled. */
static unsigned eu_vr_tx(struct eu_switch *s, struct eu_swvr *v)
{
	struct eu_txpkt pk[EU_SWITCH_MAX_BURST];
	__u32 bad[EU_SWITCH_MAX_BURST];
	__u32 m, i, keep = 0, nb = 0;
	unsigned work = 0;

	if (v->npend) {
		work = eu_vr_send_pending(s, v);
		if (v->npend)
			return work; /* the port is still full: leave the ring alone */
	}
	m = eu_sw_tx_burst(&v->sw, pk, s->o.burst);
	work += (unsigned)eu_vr_sync_bad(v);
	if (!m)
		return work;
	for (i = 0; i < m; i++) {
		if (eu_unlikely(pk[i].port >= s->nports))
			bad[nb++] = pk[i].idx;
		else
			v->pend[keep++] = pk[i];
	}
	if (eu_unlikely(nb)) {
		eu_sw_free_burst(&v->sw, bad, nb);
		eu_stat_add(&v->st.bad_port, nb);
		eu_stat_add(&v->st.bad_desc, nb);
	}
	work += m;
	if (!keep)
		return work;
	eu_vr_set_pending(s, v, 0, keep);
	v->pend_since = 0;
	eu_vr_send_pending(s, v);
	return work;
}

EU_API unsigned eu_switch_poll(struct eu_switch *s)
{
	struct eu_frame refs[EU_SWITCH_MAX_BURST];
	unsigned i, work = 0;

	for (i = 0; i < s->nports; i++) {
		struct eu_swport *sp = &s->ports[i];
		unsigned n;

		if (!sp->rx_on)
			continue;
		n = eu_port_rx_burst(sp->port, refs, s->o.burst);
		if (!n)
			continue;
		if (n > s->o.burst)
			n = s->o.burst;
		eu_input_burst(s, i, refs, n);
		eu_port_rx_release(sp->port);
		work += n;
	}
	for (i = 0; i < s->nvrs; i++)
		if (s->vrs[i]->up)
			work += eu_vr_tx(s, s->vrs[i]);
	for (i = 0; i < s->nports; i++) {
		struct eu_swport *sp = &s->ports[i];

		if (!sp->dirty)
			continue;
		sp->dirty = 0;
		if (eu_port_flush(sp->port) < 0)
			eu_stat_add(&sp->st.tx_flush_errors, 1);
	}
	if (work)
		s->idle = 0;
	return work;
}

EU_API int eu_switch_arm(struct eu_switch *s)
{
	unsigned i;

	for (i = 0; i < s->nvrs; i++) {
		struct eu_swvr *v = s->vrs[i];
		int rc;

		if (!v->up || v->armed)
			continue;
		rc = eu_poller_arm(&v->txp, &v->sw.tx);
		if (rc == 0) {
			v->armed = 1;
		} else if (rc > 0) {
			eu_poller_disarm(&v->txp);
			return 1; /* work already: the caller disarms the others */
		}
		/* rc < 0: no eventfd for this VR; eu_switch_idle() caps its sleep */
	}
	return 0;
}

EU_API void eu_switch_disarm(struct eu_switch *s)
{
	unsigned i;

	for (i = 0; i < s->nvrs; i++) {
		struct eu_swvr *v = s->vrs[i];

		if (v->armed) {
			eu_poller_disarm(&v->txp);
			v->armed = 0;
		}
	}
}

static void eu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

EU_API int eu_switch_idle(struct eu_switch *s, int timeout_ms)
{
	struct epoll_event ev[8];
	__u64 now, idle_ns;
	unsigned i;
	int rc, cap = -1;

	if (s->o.flags & EU_SWITCH_O_BUSY) {
		eu_relax();
		return 1;
	}
	now = eu_now_ns();
	if (!s->idle++)
		s->idle_since = now;
	idle_ns = now - s->idle_since;
	if (idle_ns < (__u64)s->o.spin_us * 1000) {
		eu_relax();
		return 1;
	}
	if (idle_ns < ((__u64)s->o.spin_us + s->o.yield_us) * 1000) {
		sched_yield();
		return 1;
	}
	/* things epoll cannot tell us about: poll them every few ms */
	if (s->npending)
		cap = 1;
	for (i = 0; i < s->nports && cap < 0; i++)
		if (s->ports[i].rx_on && s->ports[i].fd < 0)
			cap = 10;
	for (i = 0; i < s->nvrs && cap < 0; i++)
		if (s->vrs[i]->up && s->vrs[i]->efd < 0)
			cap = 1;
	if (cap >= 0 && (timeout_ms < 0 || timeout_ms > cap))
		timeout_ms = cap;
	if (eu_switch_arm(s)) {
		eu_switch_disarm(s);
		return 1;
	}
	rc = epoll_wait(s->epfd, ev, 8, timeout_ms);
	eu_switch_disarm(s);
	if (rc < 0)
		return errno == EINTR ? -EINTR : 1;
	return rc > 0;
}

EU_API int eu_switch_watch_fd(struct eu_switch *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EU_TAG_WATCH };

	if (!s || fd < 0)
		return eu_err(EINVAL, "switch: watch_fd: bad argument (fd %d)", fd);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return eu_err(errno, "switch: epoll_ctl on fd %d: %s", fd, strerror(errno));
	return 0;
}

EU_API int eu_switch_fd(const struct eu_switch *s)
{
	return s ? s->epfd : -1;
}

EU_API unsigned eu_switch_nports(const struct eu_switch *s)
{
	return s ? s->nports : 0;
}

EU_API unsigned eu_switch_nvrs(const struct eu_switch *s)
{
	return s ? s->nvrs : 0;
}

EU_API struct eu_port *eu_switch_port(const struct eu_switch *s, unsigned port)
{
	return s && port < s->nports ? s->ports[port].port : NULL;
}

EU_API struct eu_region *eu_switch_vr_region(const struct eu_switch *s, unsigned vr)
{
	struct eu_swvr *v = eu_vr_get(s, vr);

	return v ? v->region : NULL;
}

EU_API const char *eu_switch_vr_name(const struct eu_switch *s, unsigned vr)
{
	struct eu_swvr *v = eu_vr_get(s, vr);

	return v ? v->name : NULL;
}

EU_API int eu_switch_vr_find(const struct eu_switch *s, const char *name)
{
	unsigned i;

	if (!s || !name)
		return -ENOENT;
	for (i = 0; i < s->nvrs; i++)
		if (strcmp(s->vrs[i]->name, name) == 0)
			return (int)i;
	return -ENOENT;
}

/* Copy n counters with relaxed atomic loads (the switch's thread writes them). */
static void eu_copy_u64(__u64 *dst, const __u64 *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

EU_API int eu_switch_port_stats_read(const struct eu_switch *s, unsigned port,
				struct eu_switch_port_stats *out)
{
	if (!s || !out || port >= s->nports)
		return eu_err(EINVAL, "switch: no port %u", port);
	eu_copy_u64((__u64 *)out, (const __u64 *)&s->ports[port].st, sizeof(*out) / 8);
	return 0;
}

EU_API int eu_switch_vr_stats_read(const struct eu_switch *s, unsigned vr,
			      struct eu_switch_vr_stats *out)
{
	const struct eu_swvr *v = eu_vr_get(s, vr);

	if (!v || !out)
		return eu_err(EINVAL, "switch: no VR %u", vr);
	eu_copy_u64((__u64 *)out, (const __u64 *)&v->st,
		    offsetof(struct eu_switch_vr_stats, up) / 8);
	out->up = __atomic_load_n(&v->st.up, __ATOMIC_RELAXED);
	out->pending = __atomic_load_n(&v->st.pending, __ATOMIC_RELAXED);
	return 0;
}
