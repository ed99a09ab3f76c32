/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/slot.h - slot state words: every hand-over of a slot is a checked
 * transition of its state word, never a system call.
 *
 * Only a slot's owner writes its state word (abi.h: eu_slot_state_side()),
 * so a transition is an acquire load, a check, and a release store: no locked
 * instruction. The release store by the old owner pairs with the acquire load
 * by the new owner, which then sees the descriptor and buffer as the old
 * owner left them.
 *
 * A transition is refused, and counted in this side's eu_slot_stats.refused,
 * when the index is out of range, the pair (from, to) is not legal, the
 * calling side does not own `from`, or the slot is not in state `from`.
 * Refusal never touches the slot.
 */
#ifndef EUROPA_SLOT_H
#define EUROPA_SLOT_H

#include <errno.h>

#include <europa/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Process-local view of a region's slots, for one side. Fields are private. */
struct eu_slots {
	__u32 *state;            /* shared state words */
	struct eu_desc *desc;    /* shared descriptors */
	unsigned char *bufs;     /* shared buffers */
	__u32 nslots;
	__u32 slot_size;
	__u32 headroom;
	__u32 side;              /* enum eu_side of this view */
	struct eu_slot_stats *stats; /* this side's counters */
};

/* Reasons a transition is refused (returned negated). */
#define EU_EIDX ERANGE   /* index out of range */
#define EU_EPAIR EINVAL  /* (from, to) is not a legal transition */
#define EU_ESIDE EPERM   /* this side does not own `from` */
#define EU_ESTATE ESTALE /* slot is not in state `from` */

EU_INLINE __u32 eu_state_of(__u32 word)
{
	return word & EU_STATE_MASK;
}

EU_INLINE __u32 eu_state_gen(__u32 word)
{
	return word >> EU_STATE_GEN_SHIFT;
}

/* The next word: generation + 1, state `to`. */
EU_INLINE __u32 eu_state_next(__u32 word, __u32 to)
{
	return ((word & ~EU_STATE_MASK) + EU_STATE_GEN_ONE) | to;
}

/* State word of slot idx (acquire: pairs with the owner's release store). */
EU_INLINE __u32 eu_slot_word(const struct eu_slots *s, __u32 idx)
{
	return __atomic_load_n(&s->state[idx], __ATOMIC_ACQUIRE);
}

EU_INLINE struct eu_desc *eu_slot_desc(const struct eu_slots *s, __u32 idx)
{
	return &s->desc[idx];
}

/* Start of slot idx's buffer. The frame is at + desc->off. */
EU_INLINE unsigned char *eu_slot_buf(const struct eu_slots *s, __u32 idx)
{
	return s->bufs + (__u64)idx * s->slot_size;
}

EU_INLINE void *eu_slot_data(const struct eu_slots *s, __u32 idx)
{
	return eu_slot_buf(s, idx) + s->desc[idx].off;
}

EU_INLINE int eu_slot_refuse(struct eu_slots *s, int err)
{
	eu_stat_add(&s->stats->refused, 1);
	return -err;
}

/*
 * Move slot idx from state `from` to `to`. Returns 0, or a negative reason
 * (-ERANGE, -EINVAL, -EPERM, -ESTALE; see above) after counting the refusal.
 * Thread-safety: the caller must be the one thread acting for its side on
 * this slot (slot ownership is per side, not per thread).
 */
EU_INLINE int eu_slot_move(struct eu_slots *s, __u32 idx, __u32 from, __u32 to)
{
	__u32 w;

	if (eu_unlikely(idx >= s->nslots))
		return eu_slot_refuse(s, EU_EIDX);
	if (eu_unlikely(from >= EU_SLOT_STATE_COUNT || to >= EU_SLOT_STATE_COUNT ||
			!(eu_slot_legal_mask(from) & (1U << to))))
		return eu_slot_refuse(s, EU_EPAIR);
	if (eu_unlikely((__u32)eu_slot_state_side(from) != s->side))
		return eu_slot_refuse(s, EU_ESIDE);
	w = __atomic_load_n(&s->state[idx], __ATOMIC_ACQUIRE);
	if (eu_unlikely(eu_state_of(w) != from))
		return eu_slot_refuse(s, EU_ESTATE);
	__atomic_store_n(&s->state[idx], eu_state_next(w, to), __ATOMIC_RELEASE);
	eu_stat_add(&s->stats->moves, 1);
	return 0;
}

/*
 * Move n slots from `from` to `to`, in order, stopping at the first refusal.
 * Returns how many moved; idx[ret] (if ret < n) is the one refused.
 */
EU_INLINE __u32 eu_slot_move_burst(struct eu_slots *s, const __u32 *idx, __u32 n,
				       __u32 from, __u32 to)
{
	__u32 i;

	if (eu_unlikely(from >= EU_SLOT_STATE_COUNT || to >= EU_SLOT_STATE_COUNT ||
			!(eu_slot_legal_mask(from) & (1U << to)) ||
			(__u32)eu_slot_state_side(from) != s->side)) {
		if (n)
			eu_slot_refuse(s, EU_EPAIR);
		return 0;
	}
	for (i = 0; i < n; i++) {
		__u32 k = idx[i], w;

		if (eu_unlikely(k >= s->nslots)) {
			eu_slot_refuse(s, EU_EIDX);
			break;
		}
		w = __atomic_load_n(&s->state[k], __ATOMIC_ACQUIRE);
		if (eu_unlikely(eu_state_of(w) != from)) {
			eu_slot_refuse(s, EU_ESTATE);
			break;
		}
		__atomic_store_n(&s->state[k], eu_state_next(w, to), __ATOMIC_RELEASE);
	}
	if (i)
		eu_stat_add(&s->stats->moves, i);
	return i;
}

/*
 * Move the n slots of idx[] that are in state `from` to `to`, dropping the
 * ones refused: idx[] is compacted in place to the moved ones. For input
 * that may be hostile (the other side's ring): one bad entry does not stall
 * the rest. Returns how many moved.
 */
EU_INLINE __u32 eu_slot_move_filter(struct eu_slots *s, __u32 *idx, __u32 n, __u32 from,
					__u32 to)
{
	__u32 i, m = 0;

	if (eu_unlikely(to >= EU_SLOT_STATE_COUNT || !(eu_slot_legal_mask(from) & (1U << to)) ||
			(__u32)eu_slot_state_side(from) != s->side)) {
		if (n)
			eu_slot_refuse(s, EU_EPAIR);
		return 0;
	}
	for (i = 0; i < n; i++) {
		__u32 k = idx[i], w;

		if (eu_unlikely(k >= s->nslots)) {
			eu_slot_refuse(s, EU_EIDX);
			continue;
		}
		w = __atomic_load_n(&s->state[k], __ATOMIC_ACQUIRE);
		if (eu_unlikely(eu_state_of(w) != from)) {
			eu_slot_refuse(s, EU_ESTATE);
			continue;
		}
		__atomic_store_n(&s->state[k], eu_state_next(w, to), __ATOMIC_RELEASE);
		idx[m++] = k;
	}
	if (m)
		eu_stat_add(&s->stats->moves, m);
	return m;
}

/*
 * EUROPA's ordered consumption of a multi-producer ring: take up to n
 * entries whose slot is in state `ready`, in ring order, stopping at the
 * first entry not written yet or whose slot is not `ready` yet (its producer
 * has reserved the position but not finished). Each taken slot moves to `to`.
 * A hole (EU_IDX_HOLE) is consumed and skipped; any other out-of-range index
 * is consumed, skipped and counted. A valid index whose slot never becomes
 * `ready` does hold the ring up: its position belongs to a producer that has
 * not finished, and consuming past it would break the ring's order. Returns how many indices were stored in idx[].
 */
EU_INLINE __u32 eu_slot_dequeue_ordered(struct eu_ring *r, struct eu_slots *s, __u32 *idx,
					    __u32 n, __u32 ready, __u32 to)
{
	__u32 seen = eu_ring_peek_mp(r, idx, n);
	__u32 i, m = 0;

	for (i = 0; i < seen; i++) {
		__u32 k = idx[i], w;

		if (eu_unlikely(k >= s->nslots)) {
			if (k != EU_IDX_HOLE)
				eu_slot_refuse(s, EU_EIDX);
			continue;
		}
		w = __atomic_load_n(&s->state[k], __ATOMIC_ACQUIRE);
		if (eu_state_of(w) != ready)
			break;
		__atomic_store_n(&s->state[k], eu_state_next(w, to), __ATOMIC_RELEASE);
		idx[m++] = k;
	}
	if (m)
		eu_stat_add(&s->stats->moves, m);
	eu_ring_release_mp(r, i);
	return m;
}

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_SLOT_H */
