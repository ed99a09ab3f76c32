/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/ring.h - batched rings of 32-bit slot indices (the fast path).
 *
 * A ring is a power-of-two array of indices with two free-running 32-bit
 * counters, prod and cons, each alone on its cache line (struct
 * eu_ring_shared in abi.h). prod - cons is the number of entries in the ring;
 * counters wrap, sizes are at most 2^24, so the difference is always exact.
 *
 * Each side works through its own struct eu_ring, a process-local view that
 * caches the opposite counter: a producer reads cons only when its cached
 * copy says the ring is too full, a consumer reads prod only when its cached
 * copy says it is too empty. A view belongs to one thread.
 *
 * Single producer (SP) rings:
 *   producer: eu_ring_reserve() -> write eu_ring_entry() -> eu_ring_submit()
 *   consumer: eu_ring_peek()    -> read  eu_ring_entry() -> eu_ring_release()
 * or the copying helpers eu_ring_enqueue_burst() / eu_ring_dequeue_burst().
 *
 * Ordered multi-producer (MP) rings (EU_RING_F_MP, EUROPA's reservation):
 * producers reserve positions in order with eu_ring_reserve_mp() (one atomic
 * compare-and-swap per burst), then write each entry with eu_ring_put_mp()
 * whenever they are ready, in any order. Empty entries hold EU_IDX_NONE. The
 * consumer (single) stops at the first entry that is not written yet, and
 * (see slot.h) at the first slot whose state word is not ready yet; it resets
 * consumed entries to EU_IDX_NONE before releasing them.
 *
 * Memory ordering, pair by pair:
 *   eu_ring_submit()   release store of prod   <-> acquire load of prod in eu_ring_peek()
 *   eu_ring_release()  release store of cons   <-> acquire load of cons in eu_ring_reserve()
 *   eu_ring_put_mp()   release store of entry  <-> acquire load of entry in eu_ring_peek_mp()
 * None of these functions makes a system call, allocates, or takes a lock.
 */
#ifndef EUROPA_RING_H
#define EUROPA_RING_H

#include <europa/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EU_API
#define EU_API __attribute__((visibility("default")))
#endif

/*
 * The fast path is always inlined: at -O2 GCC otherwise calls the burst
 * functions out of line, which costs more than the work at small bursts.
 */
#define EU_INLINE static inline __attribute__((always_inline))

#define eu_likely(x) __builtin_expect(!!(x), 1)
#define eu_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Process-local view of one side of a ring. Fields are private to the inline
 * functions below; set them up with eu_ring_view_init().
 */
struct eu_ring {
	__u32 *prod;    /* shared producer counter */
	__u32 *cons;    /* shared consumer counter */
	__u32 *entries; /* shared entries[size] */
	__u32 mask;     /* size - 1 */
	__u32 size;
	__u32 cached;   /* producer: cons + size seen last; consumer: prod seen last */
	__u32 local;    /* producer: next position to reserve; consumer: next to peek */
	__u32 flags;    /* EU_RING_F_* */
	struct eu_side_stats *stats; /* this side's counters (never NULL) */
};

/*
 * Bytes needed for a standalone ring of `size` entries (a power of two), for
 * eu_ring_init_mem(). Returns 0 if size is not a power of two in range.
 */
EU_API __u64 eu_ring_memsize(__u32 size);

/*
 * Lay an empty ring of `size` entries on caller memory `mem` (aligned to
 * EU_CACHE_LINE, eu_ring_memsize(size) bytes). Returns 0 or -EINVAL. Not
 * thread-safe: call before any view uses the ring.
 */
EU_API int eu_ring_init_mem(void *mem, __u32 size, __u32 flags);

/*
 * Set up a process-local view of a ring laid at `mem` (aligned to
 * EU_CACHE_LINE, as for eu_ring_init_mem()). `as_producer` selects which
 * counter is cached. `stats` may be NULL (counters then go to a scratch
 * line shared by all such views, which nobody reads). Returns 0 or -EINVAL.
 */
EU_API int eu_ring_view_init(struct eu_ring *r, void *mem, __u32 size, __u32 flags,
			     int as_producer, struct eu_side_stats *stats);

EU_INLINE void eu_stat_add(__u64 *c, __u64 n)
{
	/* one writer: a relaxed load and store, no locked instruction */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/*
 * Copy n indices with a plain loop, inlined: at the bursts rings carry, a
 * memcpy call through the PLT costs more than the copy itself.
 */
EU_INLINE void eu_idx_copy(__u32 *dst, const __u32 *src, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		dst[i] = src[i];
}

EU_INLINE __u32 *eu_ring_entry(struct eu_ring *r, __u32 pos)
{
	return &r->entries[pos & r->mask];
}

/* ---------------------------------------------------------------- producer */

/*
 * Free entries the producer may reserve, at least `want` if the ring has
 * them. Reads cons (acquire, pairs with eu_ring_release()) only when the
 * cached value is not enough.
 */
EU_INLINE __u32 eu_ring_prod_free(struct eu_ring *r, __u32 want)
{
	__u32 free_entries = r->cached - r->local;

	if (free_entries >= want)
		return free_entries;
	r->cached = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE) + r->size;
	return r->cached - r->local;
}

/*
 * Reserve up to n entries at *pos (SP). Returns how many (0 when full). The
 * caller writes them with eu_ring_entry() and publishes with eu_ring_submit().
 */
EU_INLINE __u32 eu_ring_reserve(struct eu_ring *r, __u32 n, __u32 *pos)
{
	__u32 free_entries = eu_ring_prod_free(r, n);

	if (eu_unlikely(free_entries < n)) {
		eu_stat_add(&r->stats->stalls, 1);
		n = free_entries;
	}
	*pos = r->local;
	r->local += n;
	return n;
}

/*
 * Publish the n oldest reserved entries (SP). Release store of prod: the
 * consumer's acquire in eu_ring_peek() sees every entry and every slot
 * write made before this call.
 */
EU_INLINE void eu_ring_submit(struct eu_ring *r, __u32 n)
{
	__u32 p;

	if (!n) /* no store: an idle producer must not pull the line from the consumer */
		return;
	p = __atomic_load_n(r->prod, __ATOMIC_RELAXED) + n;
	__atomic_store_n(r->prod, p, __ATOMIC_RELEASE);
	eu_stat_add(&r->stats->pkts, n);
	eu_stat_add(&r->stats->bursts, 1);
}

/*
 * Give back the n most recently reserved, not yet submitted, entries (SP):
 * for a producer that reserved more than it could fill.
 */
EU_INLINE void eu_ring_cancel(struct eu_ring *r, __u32 n)
{
	r->local -= n;
}

/* Copy n indices in, reserve and submit (SP). Returns how many went in. */
EU_INLINE __u32 eu_ring_enqueue_burst(struct eu_ring *r, const __u32 *idx, __u32 n)
{
	__u32 pos, first, i;

	n = eu_ring_reserve(r, n, &pos);
	if (!n)
		return 0;
	i = pos & r->mask;
	first = r->size - i;
	if (eu_likely(n <= first)) {
		eu_idx_copy(&r->entries[i], idx, n);
	} else {
		eu_idx_copy(&r->entries[i], idx, first);
		eu_idx_copy(&r->entries[0], idx + first, n - first);
	}
	eu_ring_submit(r, n);
	return n;
}

/*
 * Ordered multi-producer reservation: reserve up to n positions at *pos with
 * one compare-and-swap on prod (acq_rel). Every reserved position must later
 * be written with eu_ring_put_mp(), in any order. Each producer thread uses
 * its own view. Returns how many were reserved.
 */
EU_INLINE __u32 eu_ring_reserve_mp(struct eu_ring *r, __u32 n, __u32 *pos)
{
	__u32 head = __atomic_load_n(r->prod, __ATOMIC_RELAXED);
	__u32 m;

	for (;;) {
		__u32 free_entries = r->cached - head;

		if (free_entries > r->size || free_entries < n) {
			r->cached = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE) + r->size;
			free_entries = r->cached - head;
			if (free_entries > r->size) {
				/* Our head is older than cons (other producers and the
				 * consumer moved on meanwhile): not a full ring, re-read. */
				head = __atomic_load_n(r->prod, __ATOMIC_RELAXED);
				continue;
			}
		}
		m = free_entries < n ? free_entries : n;
		if (!m) {
			__atomic_fetch_add(&r->stats->stalls, 1, __ATOMIC_RELAXED);
			return 0;
		}
		if (__atomic_compare_exchange_n(r->prod, &head, head + m, 1, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
	}
	*pos = head;
	if (m < n) /* short: the ring filled up, a stall as eu_ring_reserve() counts it */
		__atomic_fetch_add(&r->stats->stalls, 1, __ATOMIC_RELAXED);
	/* Producers share this stats line: atomic adds (eu_stat_add() would lose counts).
	 * pkts counts positions reserved, holes included, as the consumer counts them. */
	__atomic_fetch_add(&r->stats->pkts, m, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->stats->bursts, 1, __ATOMIC_RELAXED);
	return m;
}

/* Write one reserved MP entry. Release: pairs with eu_ring_peek_mp(). */
EU_INLINE void eu_ring_put_mp(struct eu_ring *r, __u32 pos, __u32 idx)
{
	__atomic_store_n(eu_ring_entry(r, pos), idx, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- consumer */

/*
 * Entries the consumer may peek, at least `want` if there are. Reads prod
 * (acquire, pairs with eu_ring_submit()) only when the cache is not enough.
 */
EU_INLINE __u32 eu_ring_cons_avail(struct eu_ring *r, __u32 want)
{
	__u32 avail = r->cached - r->local;

	if (avail >= want)
		return avail;
	r->cached = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
	return r->cached - r->local;
}

/*
 * Peek up to n published entries at *pos (SP ring). Returns how many (0 when
 * empty). Read them with eu_ring_entry(), then eu_ring_release().
 */
EU_INLINE __u32 eu_ring_peek(struct eu_ring *r, __u32 n, __u32 *pos)
{
	__u32 avail = eu_ring_cons_avail(r, n);

	if (eu_unlikely(avail < n)) {
		if (!avail)
			eu_stat_add(&r->stats->stalls, 1);
		n = avail;
	}
	*pos = r->local;
	r->local += n;
	return n;
}

/*
 * Give n peeked entries back to the producer. Release store of cons: pairs
 * with the acquire in eu_ring_prod_free(); our reads of the entries happen
 * before the producer may overwrite them.
 */
EU_INLINE void eu_ring_release(struct eu_ring *r, __u32 n)
{
	__u32 c;

	if (!n) /* no store: an idle consumer must not pull the line from the producer */
		return;
	c = __atomic_load_n(r->cons, __ATOMIC_RELAXED) + n;
	__atomic_store_n(r->cons, c, __ATOMIC_RELEASE);
	eu_stat_add(&r->stats->pkts, n);
	eu_stat_add(&r->stats->bursts, 1);
}

/* Peek, copy out and release up to n indices (SP ring). Returns how many. */
EU_INLINE __u32 eu_ring_dequeue_burst(struct eu_ring *r, __u32 *idx, __u32 n)
{
	__u32 pos, first, i;

	n = eu_ring_peek(r, n, &pos);
	if (!n)
		return 0;
	i = pos & r->mask;
	first = r->size - i;
	if (eu_likely(n <= first)) {
		eu_idx_copy(idx, &r->entries[i], n);
	} else {
		eu_idx_copy(idx, &r->entries[i], first);
		eu_idx_copy(idx + first, &r->entries[0], n - first);
	}
	eu_ring_release(r, n);
	return n;
}

/*
 * Peek up to n entries of an ordered MP ring, stopping at the first entry
 * not written yet (EU_IDX_NONE). Copies them to idx[]; does not release.
 * The caller checks slot states (eu_slot_dequeue_ordered() in slot.h does
 * both), then calls eu_ring_release_mp() for the ones it took.
 */
EU_INLINE __u32 eu_ring_peek_mp(struct eu_ring *r, __u32 *idx, __u32 n)
{
	__u32 avail = eu_ring_cons_avail(r, n);
	__u32 i;

	if (avail < n)
		n = avail;
	for (i = 0; i < n; i++) {
		__u32 e = __atomic_load_n(eu_ring_entry(r, r->local + i), __ATOMIC_ACQUIRE);

		if (e == EU_IDX_NONE)
			break;
		idx[i] = e;
	}
	if (!i)
		eu_stat_add(&r->stats->stalls, 1);
	return i;
}

/*
 * Consume the next n entries of an ordered MP ring (all seen by
 * eu_ring_peek_mp()): reset them to EU_IDX_NONE, then release-store cons
 * (pairs with the acquire of cons in eu_ring_reserve_mp()).
 */
EU_INLINE void eu_ring_release_mp(struct eu_ring *r, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		__atomic_store_n(eu_ring_entry(r, r->local + i), EU_IDX_NONE, __ATOMIC_RELAXED);
	r->local += n;
	eu_ring_release(r, n);
}

/*
 * Entries in the ring now: a snapshot, exact only when both sides are idle.
 * cons is read first, so the result never wraps below zero while they run.
 */
EU_INLINE __u32 eu_ring_count(const struct eu_ring *r)
{
	__u32 c = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);

	return __atomic_load_n(r->prod, __ATOMIC_ACQUIRE) - c;
}

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_RING_H */
