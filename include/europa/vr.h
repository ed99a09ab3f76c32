/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/vr.h - the two ends of a region: the VR side (struct eu_vr) and the
 * switch side (struct eu_sw), with the per-packet path inline.
 *
 * Packets move by slot index; a burst call hands a whole array of indices
 * over with one ring operation, and each slot with one state-word store.
 * Nothing here makes a system call or allocates, except eu_*_kick() when the
 * other side sleeps.
 *
 * Where slots go (every slot is always in exactly one place, see abi.h):
 *
 *   VR cache (VR_FREE) --fill ring--> switch cache (SW_FREE)
 *   switch: receive into SW_BUSY --rx ring--> VR: VR_BUSY (process in place)
 *   VR: VR_BUSY --tx ring--> switch: SW_BUSY (transmit) -> switch cache
 *   switch cache (SW_FREE) --comp ring--> VR cache (VR_FREE)
 *
 * Each side keeps a private cache of its free slots (a stack, so recently
 * used buffers are reused while warm). When a cache runs over its high mark
 * the side gives half of it to the other side; when it runs dry it takes
 * from the ring the other side fills.
 *
 * Thread-safety: a struct eu_vr or struct eu_sw is used by one thread at a
 * time. The VR trusts its switch; the switch trusts nothing the VR writes: every index and state it reads from the fill and tx
 * rings is checked (eu_slot_move_filter()), and the length and offset of each
 * frame to send are read once and checked (eu_sw_tx_burst()).
 */
#ifndef EUROPA_VR_H
#define EUROPA_VR_H

#include <europa/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A private stack of free slot indices. */
struct eu_cache {
	__u32 *idx;
	__u32 count;
	__u32 cap;  /* == nslots: it can always hold every slot */
	__u32 high; /* give half away above this */
};

/* ------------------------------------------------------------------ VR side */

struct eu_vr {
	struct eu_region *region;
	struct eu_slots slots;
	struct eu_ring fill; /* we produce */
	struct eu_ring rx;   /* we consume */
	struct eu_ring tx;   /* we produce */
	struct eu_ring comp; /* we consume */
	struct eu_wake *tx_wake; /* the switch's wake line for our tx ring */
	int tx_efd;
	struct eu_cache cache;
	__u32 rx_mp;         /* rx ring is ordered multi-producer */
};

/*
 * Attach as the VR of region r: record our pid, and take every VR_FREE slot
 * into our cache. Returns 0 or -errno (-EBUSY if a live VR is attached).
 */
EU_API int eu_vr_init(struct eu_vr *vr, struct eu_region *r);
EU_API void eu_vr_fini(struct eu_vr *vr);

EU_INLINE struct eu_desc *eu_vr_desc(const struct eu_vr *vr, __u32 idx)
{
	return eu_slot_desc(&vr->slots, idx);
}

EU_INLINE void *eu_vr_data(const struct eu_vr *vr, __u32 idx)
{
	return eu_slot_data(&vr->slots, idx);
}

EU_INLINE __u32 eu_vr_slot_size(const struct eu_vr *vr)
{
	return vr->slots.slot_size;
}

/* Give `n` cached free slots to the switch through the fill ring. */
EU_INLINE __u32 eu_vr_fill(struct eu_vr *vr, __u32 n)
{
	struct eu_cache *c = &vr->cache;
	__u32 pos, i;

	if (n > c->count)
		n = c->count;
	n = eu_ring_reserve(&vr->fill, n, &pos);
	for (i = 0; i < n && c->count;) {
		__u32 k = c->idx[--c->count];

		/* a refused slot (counted) is dropped from the cache: it is not ours */
		if (eu_slot_move(&vr->slots, k, EU_SLOT_VR_FREE, EU_SLOT_FILL) == 0)
			*eu_ring_entry(&vr->fill, pos + i++) = k;
	}
	eu_ring_cancel(&vr->fill, n - i);
	eu_ring_submit(&vr->fill, i);
	return i;
}

/* Take free slots the switch returned on the comp ring into our cache. */
EU_INLINE __u32 eu_vr_reap(struct eu_vr *vr)
{
	struct eu_cache *c = &vr->cache;
	__u32 n = eu_ring_dequeue_burst(&vr->comp, c->idx + c->count, c->cap - c->count);

	__u32 m = eu_slot_move_filter(&vr->slots, c->idx + c->count, n, EU_SLOT_COMP,
				      EU_SLOT_VR_FREE);

	if (eu_unlikely(m < n))
		eu_stat_add(&vr->comp.stats->refused, n - m);
	c->count += m;
	return m;
}

/*
 * Receive up to n frames: their indices go to idx[], each slot now VR_BUSY
 * and ours to process in place (eu_vr_data(), eu_vr_desc()). Returns how many.
 */
EU_INLINE __u32 eu_vr_rx_burst(struct eu_vr *vr, __u32 *idx, __u32 n)
{
	if (vr->rx_mp)
		return eu_slot_dequeue_ordered(&vr->rx, &vr->slots, idx, n, EU_SLOT_RX,
					       EU_SLOT_VR_BUSY);
	__u32 m;

	n = eu_ring_dequeue_burst(&vr->rx, idx, n);
	m = eu_slot_move_filter(&vr->slots, idx, n, EU_SLOT_RX, EU_SLOT_VR_BUSY);
	if (eu_unlikely(m < n))
		eu_stat_add(&vr->rx.stats->refused, n - m);
	return m;
}

/*
 * Transmit up to n frames (VR_BUSY slots with desc len/off/port set). Stops
 * at the first slot that is not ours or when the ring is full; idx[ret..n)
 * stay ours. Wakes the switch if it sleeps. Returns how many went.
 */
EU_INLINE __u32 eu_vr_tx_burst(struct eu_vr *vr, const __u32 *idx, __u32 n)
{
	__u32 pos, i;

	n = eu_ring_reserve(&vr->tx, n, &pos);
	n = eu_slot_move_burst(&vr->slots, idx, n, EU_SLOT_VR_BUSY, EU_SLOT_TX);
	for (i = 0; i < n; i++)
		*eu_ring_entry(&vr->tx, pos + i) = idx[i];
	eu_ring_cancel(&vr->tx, vr->tx.local - (pos + n)); /* what was refused */
	eu_ring_submit(&vr->tx, n);
	if (n)
		eu_kick(vr->tx_wake, vr->tx_efd);
	return n;
}

/*
 * Allocate up to n free slots (VR_BUSY, desc reset to the headroom, length
 * 0), for frames the VR makes itself. Returns how many.
 */
EU_INLINE __u32 eu_vr_alloc_burst(struct eu_vr *vr, __u32 *idx, __u32 n)
{
	struct eu_cache *c = &vr->cache;
	__u32 i;

	if (c->count < n)
		eu_vr_reap(vr);
	for (i = 0; i < n && c->count;) {
		__u32 k = c->idx[--c->count];
		struct eu_desc *d = eu_slot_desc(&vr->slots, k);

		if (eu_slot_move(&vr->slots, k, EU_SLOT_VR_FREE, EU_SLOT_VR_BUSY))
			continue; /* refused and counted: not ours after all */
		d->off = (__u16)vr->slots.headroom;
		d->len = 0;
		d->flags = 0;
		idx[i++] = k;
	}
	return i;
}

/*
 * Free n VR_BUSY slots (drop the frames). Above the cache's high mark, half
 * the cache goes back to the switch on the fill ring. Returns how many were
 * freed (short only for slots that were not VR_BUSY: refused and counted).
 */
EU_INLINE __u32 eu_vr_free_burst(struct eu_vr *vr, const __u32 *idx, __u32 n)
{
	struct eu_cache *c = &vr->cache;
	__u32 i, m = 0;

	for (i = 0; i < n; i++) {
		if (eu_slot_move(&vr->slots, idx[i], EU_SLOT_VR_BUSY, EU_SLOT_VR_FREE) == 0) {
			c->idx[c->count++] = idx[i];
			m++;
		}
	}
	if (c->count > c->high)
		eu_vr_fill(vr, c->count / 2);
	return m;
}

/* ------------------------------------------------------------- switch side */

/*
 * The switch never trusts a state word the VR could have written. It keeps
 * its own record of which slots it holds (eu_sw.own[], private memory), takes
 * a slot from the VR only if the record says the VR has it AND the shared
 * word says it is in flight to the switch, and writes the state words of
 * slots it holds without reading them. A VR that scribbles on state words,
 * rings or descriptors can only lose its own frames: it cannot make the
 * switch hold a slot twice, overflow a cache, or read outside the region.
 */
enum eu_sw_own {
	EU_OWN_NOT = 0,  /* the VR or a ring has it */
	EU_OWN_FREE = 1, /* in the switch's cache */
	EU_OWN_BUSY = 2  /* the switch works on it */
};

/* A frame the switch took from a VR's tx ring, with its checked geometry. */
struct eu_txpkt {
	__u32 idx;
	__u16 off;  /* read once from the descriptor and checked */
	__u16 len;  /* off + len <= slot_size, len > 0 */
	__u16 port;
	__u16 flags;
};

/* Reasons the switch refuses what a VR wrote (counted in eu_sw.bad[]). */
enum eu_sw_bad {
	EU_BAD_IDX = 0,    /* index out of range */
	EU_BAD_OWNER = 1,  /* index of a slot the switch already holds */
	EU_BAD_STATE = 2,  /* slot not in the state its ring implies */
	EU_BAD_TX_LEN = 3, /* length 0 or past the end of the buffer */
	EU_BAD_COUNT = 4
};

struct eu_sw {
	struct eu_region *region;
	struct eu_slots slots;
	struct eu_ring fill; /* we consume */
	struct eu_ring rx;   /* we produce */
	struct eu_ring tx;   /* we consume */
	struct eu_ring comp; /* we produce */
	struct eu_wake *rx_wake; /* the VR's wake line for the rx ring */
	int rx_efd;
	__u32 rx_mp;
	struct eu_cache cache;
	__u16 *own;          /* enum eu_sw_own per slot: private, authoritative (16-bit:
				char stores may alias anything and would make the
				compiler reload this struct after each one) */
	__u64 bad[EU_BAD_COUNT]; /* private counters: the VR cannot reset them */
};

/*
 * Attach as the switch of region r: record our pid and take every SW_FREE
 * slot into our cache. Returns 0 or -errno.
 */
EU_API int eu_sw_init(struct eu_sw *sw, struct eu_region *r);
EU_API void eu_sw_fini(struct eu_sw *sw);

/*
 * The VR went away: reclaim its slots (eu_region_reclaim()) and rebuild our
 * cache and records. The region is then ready for a new VR. Returns slots
 * reclaimed.
 */
EU_API int eu_sw_reclaim(struct eu_sw *sw);

EU_INLINE struct eu_desc *eu_sw_desc(const struct eu_sw *sw, __u32 idx)
{
	return eu_slot_desc(&sw->slots, idx);
}

EU_INLINE unsigned char *eu_sw_buf(const struct eu_sw *sw, __u32 idx)
{
	return eu_slot_buf(&sw->slots, idx);
}

/* Write the state word of a slot we hold (no check of the shared value). */
EU_INLINE void eu_sw_set(struct eu_sw *sw, __u32 idx, __u32 to)
{
	__u32 w = __atomic_load_n(&sw->slots.state[idx], __ATOMIC_RELAXED);

	/* release: pairs with the VR's acquire when it takes the slot */
	__atomic_store_n(&sw->slots.state[idx], eu_state_next(w, to), __ATOMIC_RELEASE);
}

/*
 * Take a slot the VR handed over in state `from`: checks range, our record
 * and the state word (acquire: pairs with the VR's release). Returns 0, or
 * counts the refusal (bad[], the ring's and the slots' refused) and returns -1.
 */
EU_INLINE int eu_sw_refuse(struct eu_sw *sw, struct eu_ring *ring, int why, int err)
{
	sw->bad[why]++;
	eu_stat_add(&ring->stats->refused, 1);
	eu_slot_refuse(&sw->slots, err);
	return -1;
}

EU_INLINE int eu_sw_take(struct eu_sw *sw, struct eu_ring *ring, __u32 k, __u32 from,
			     __u32 to, __u16 own)
{
	__u32 w;

	if (eu_unlikely(k >= sw->slots.nslots))
		return eu_sw_refuse(sw, ring, EU_BAD_IDX, EU_EIDX);
	if (eu_unlikely(sw->own[k] != EU_OWN_NOT))
		return eu_sw_refuse(sw, ring, EU_BAD_OWNER, EU_ESIDE);
	w = __atomic_load_n(&sw->slots.state[k], __ATOMIC_ACQUIRE);
	if (eu_unlikely(eu_state_of(w) != from))
		return eu_sw_refuse(sw, ring, EU_BAD_STATE, EU_ESTATE);
	__atomic_store_n(&sw->slots.state[k], eu_state_next(w, to), __ATOMIC_RELEASE);
	sw->own[k] = own;
	return 0;
}

/* Take free slots the VR gave on the fill ring (checked) into our cache. */
EU_INLINE __u32 eu_sw_take_fill(struct eu_sw *sw)
{
	struct eu_cache *c = &sw->cache;
	__u32 n = eu_ring_dequeue_burst(&sw->fill, c->idx + c->count, c->cap - c->count);
	__u32 i, m = 0;

	for (i = 0; i < n; i++) {
		__u32 k = c->idx[c->count + i];

		if (eu_sw_take(sw, &sw->fill, k, EU_SLOT_FILL, EU_SLOT_SW_FREE, EU_OWN_FREE) == 0)
			c->idx[c->count + m++] = k;
	}
	c->count += m;
	if (m)
		eu_stat_add(&sw->slots.stats->moves, m);
	return m;
}

/* Give n cached free slots to the VR on the comp ring. */
EU_INLINE __u32 eu_sw_give(struct eu_sw *sw, __u32 n)
{
	struct eu_cache *c = &sw->cache;
	__u32 pos, i;

	if (n > c->count)
		n = c->count;
	n = eu_ring_reserve(&sw->comp, n, &pos);
	for (i = 0; i < n; i++) {
		__u32 k = c->idx[--c->count];

		sw->own[k] = EU_OWN_NOT;
		eu_sw_set(sw, k, EU_SLOT_COMP);
		*eu_ring_entry(&sw->comp, pos + i) = k;
	}
	eu_ring_submit(&sw->comp, n);
	if (n)
		eu_stat_add(&sw->slots.stats->moves, n);
	return n;
}

/*
 * Get up to n free slots to receive frames into (SW_BUSY). Write each frame
 * at eu_sw_buf() + desc->off (set to the headroom here), set desc->len and
 * ->port, then eu_sw_rx_publish(). Returns how many.
 */
EU_INLINE __u32 eu_sw_rx_alloc(struct eu_sw *sw, __u32 *idx, __u32 n)
{
	struct eu_cache *c = &sw->cache;
	__u32 i;

	if (c->count < n)
		eu_sw_take_fill(sw);
	if (n > c->count)
		n = c->count;
	for (i = 0; i < n; i++) {
		__u32 k = c->idx[--c->count];
		struct eu_desc *d = eu_slot_desc(&sw->slots, k);

		sw->own[k] = EU_OWN_BUSY;
		eu_sw_set(sw, k, EU_SLOT_SW_BUSY);
		d->off = (__u16)sw->slots.headroom;
		d->flags = 0;
		idx[i] = k;
	}
	if (n)
		eu_stat_add(&sw->slots.stats->moves, n);
	return n;
}

/*
 * Publish n received frames (slots we hold BUSY) to the VR's rx ring and
 * wake the VR if it sleeps. Stops at the first index we do not hold busy
 * (a caller bug, counted) or when the ring is full; idx[ret..n) stay ours:
 * free them with eu_sw_free_burst() and count the drop. Returns how many went.
 */
EU_INLINE __u32 eu_sw_rx_publish(struct eu_sw *sw, const __u32 *idx, __u32 n)
{
	__u32 pos = 0, i, ok = 0;

	while (ok < n && idx[ok] < sw->slots.nslots && sw->own[idx[ok]] == EU_OWN_BUSY)
		ok++;
	if (eu_unlikely(ok < n))
		eu_slot_refuse(&sw->slots, EU_ESIDE);
	if (sw->rx_mp)
		ok = eu_ring_reserve_mp(&sw->rx, ok, &pos);
	else
		ok = eu_ring_reserve(&sw->rx, ok, &pos);
	for (i = 0; i < ok; i++) {
		__u32 k = idx[i];

		sw->own[k] = EU_OWN_NOT;
		eu_sw_set(sw, k, EU_SLOT_RX);
		if (sw->rx_mp)
			eu_ring_put_mp(&sw->rx, pos + i, k);
		else
			*eu_ring_entry(&sw->rx, pos + i) = k;
	}
	if (!sw->rx_mp)
		eu_ring_submit(&sw->rx, ok);
	if (ok) {
		eu_stat_add(&sw->slots.stats->moves, ok);
		eu_kick(sw->rx_wake, sw->rx_efd);
	}
	return ok;
}

/*
 * Take up to n frames from the VR's tx ring. Every entry is checked: index
 * in range, a slot the VR holds by our record, in state TX (else refused,
 * counted in bad[] and the slot stats, skipped); length and offset are read
 * once and checked (else the slot is taken back free and counted in
 * bad[EU_BAD_TX_LEN]). The good ones are ours (SW_BUSY), described in
 * pkts[]; send them, then eu_sw_free_burst(). Returns how many.
 */
EU_INLINE __u32 eu_sw_tx_burst(struct eu_sw *sw, struct eu_txpkt *pkts, __u32 n)
{
	__u32 idx[256];
	__u32 i, m = 0;

	if (n > 256)
		n = 256;
	n = eu_ring_dequeue_burst(&sw->tx, idx, n);
	for (i = 0; i < n; i++) {
		const volatile struct eu_desc *d;
		__u32 k = idx[i];
		__u16 off, len;

		if (eu_sw_take(sw, &sw->tx, k, EU_SLOT_TX, EU_SLOT_SW_BUSY, EU_OWN_BUSY))
			continue;
		d = eu_slot_desc(&sw->slots, k);
		off = d->off; /* read once: the VR may still write */
		len = d->len;
		if (eu_unlikely(len == 0 || (__u32)off + len > sw->slots.slot_size)) {
			sw->bad[EU_BAD_TX_LEN]++;
			sw->own[k] = EU_OWN_FREE;
			eu_sw_set(sw, k, EU_SLOT_SW_FREE);
			sw->cache.idx[sw->cache.count++] = k;
			continue;
		}
		pkts[m].idx = k;
		pkts[m].off = off;
		pkts[m].len = len;
		pkts[m].port = d->port;
		pkts[m].flags = d->flags;
		m++;
	}
	if (m)
		eu_stat_add(&sw->slots.stats->moves, m);
	return m;
}

/*
 * Free n slots we hold busy (sent or dropped) into our cache; above the high
 * mark half the cache goes to the VR on the comp ring. An index we do not
 * hold busy is refused and counted. Returns how many were freed.
 */
EU_INLINE __u32 eu_sw_free_burst(struct eu_sw *sw, const __u32 *idx, __u32 n)
{
	struct eu_cache *c = &sw->cache;
	__u32 i, m = 0;

	for (i = 0; i < n; i++) {
		__u32 k = idx[i];

		if (eu_unlikely(k >= sw->slots.nslots || sw->own[k] != EU_OWN_BUSY)) {
			eu_slot_refuse(&sw->slots, EU_ESIDE);
			continue;
		}
		sw->own[k] = EU_OWN_FREE;
		eu_sw_set(sw, k, EU_SLOT_SW_FREE);
		c->idx[c->count++] = k;
		m++;
	}
	if (m)
		eu_stat_add(&sw->slots.stats->moves, m);
	if (c->count > c->high)
		eu_sw_give(sw, c->count / 2);
	return m;
}

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_VR_H */
