/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * europa/abi.h - the shared-layout contract of a libeuropa region.
 *
 * This header is used unchanged by user space (libeuropa, europad, VRs) and by
 * the kernel switch (europa.ko). It has fixed-width types only, no libc, and
 * no pointers: everything in a region is an offset from the region's start or
 * a slot index, so every side may map the region at a different address.
 *
 * The region (one shared mapping; every section starts on a 64-byte line):
 *
 *   offset 0
 *   +-------------------------------+  struct eu_region_hdr        (creator, once)
 *   | magic, abi, sizes, offsets    |  immutable after creation; hdr_check covers it
 *   | live: vr_pid, sw_pid, epoch   |  (each side writes its own field)
 *   +-------------------------------+  wake_off: struct eu_wake[EU_RING_COUNT]
 *   | futex word, need_wakeup       |  (consumer of that ring sets need_wakeup and
 *   |  one line per ring            |   sleeps; producer bumps futex and wakes)
 *   +-------------------------------+  stats_off: struct eu_region_stats
 *   | per ring: producer line,      |  (each line has exactly one writer: the side
 *   |           consumer line;      |   named in the field; anyone may read)
 *   | per side: refused transitions |
 *   +-------------------------------+  rings[EU_RING_FILL].off
 *   | fill ring: prod line (VR)     |  free slots, VR -> switch
 *   |            cons line (switch) |
 *   |            entries[size]      |  written by the producer (VR)
 *   +-------------------------------+  rings[EU_RING_RX].off
 *   | rx ring:   prod (switch),     |  received frames, switch -> VR
 *   |            cons (VR), entries |
 *   +-------------------------------+  rings[EU_RING_TX].off
 *   | tx ring:   prod (VR),         |  frames to send, VR -> switch
 *   |            cons (switch), ent.|
 *   +-------------------------------+  rings[EU_RING_COMP].off
 *   | comp ring: prod (switch),     |  free slots, switch -> VR
 *   |            cons (VR), entries |
 *   +-------------------------------+  states_off: __u32 state[nslots]
 *   | state words, 16 per line      |  written by the slot's current owner only
 *   +-------------------------------+  descs_off: struct eu_desc[nslots]
 *   | len, off, port, flags         |  written by the slot's current owner only
 *   +-------------------------------+  bufs_off: nslots * slot_size bytes
 *   | packet buffers                |  written by the slot's current owner only
 *   +-------------------------------+  region_size
 *
 * Ownership: at any instant each slot has exactly one owner, given by its
 * state word (EU_SLOT_*). Only the owner writes the slot's descriptor, buffer
 * and state word; a hand-over is a release store of the state word by the old
 * owner, paired with an acquire load by the new owner. Slots in a ring's
 * "in flight" state (FILL, RX, TX, COMP) belong to the ring's consumer, who
 * claims them by a transition before touching anything else of the slot.
 *
 * A side must never trust what the other side may write: the switch
 * re-validates every index, state and length it reads from a VR's region.
 */
#ifndef EUROPA_ABI_H
#define EUROPA_ABI_H

#include <linux/types.h>

#ifdef __cplusplus
#define EU_STATIC_ASSERT(c, m) static_assert(c, m)
extern "C" {
#else
#define EU_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#define EU_REGION_MAGIC 0x4f525545U /* "EURO" read as bytes on little-endian */
#define EU_ABI_MAJOR 1              /* incompatible layout changes */
#define EU_ABI_MINOR 0              /* compatible additions at the end of structs */

#define EU_CACHE_LINE 64U
#define EU_IDX_NONE 0xffffffffU     /* an MP ring entry not written yet */
#define EU_IDX_HOLE 0xfffffffeU     /* an MP ring position its producer abandoned */
#define EU_MAX_SLOTS (1U << 24)     /* slot indices fit in 24 bits */
#define EU_MIN_SLOT_SIZE 128U
#define EU_MAX_SLOT_SIZE (1U << 16)
#define EU_MAX_RING_SIZE (1U << 24)

/* Rings of a region, by id. Producer -> consumer is given for each. */
enum eu_ring_id {
	EU_RING_FILL = 0, /* VR -> switch: free slots the switch may receive into */
	EU_RING_RX = 1,   /* switch -> VR: received frames */
	EU_RING_TX = 2,   /* VR -> switch: frames to transmit */
	EU_RING_COMP = 3, /* switch -> VR: free slots (transmitted or returned) */
	EU_RING_COUNT = 4
};

/* Sides that own slots and write their own fields of a region. */
enum eu_side {
	EU_SIDE_VR = 0,
	EU_SIDE_SWITCH = 1,
	EU_SIDE_COUNT = 2
};

/*
 * Slot states: the low byte of a state word. The upper 24 bits are a
 * generation counter incremented by every transition (ABA guard: a side that
 * remembers a state word can tell whether the slot moved since).
 *
 *   owner VR:      VR_FREE, VR_BUSY
 *   owner switch:  SW_FREE, SW_BUSY
 *   in flight:     FILL (to switch), RX (to VR), TX (to switch), COMP (to VR)
 */
enum eu_slot_state {
	EU_SLOT_INVALID = 0, /* never initialised, or corrupted */
	EU_SLOT_VR_FREE = 1, /* VR holds it, no packet */
	EU_SLOT_VR_BUSY = 2, /* VR holds it, a packet is in it */
	EU_SLOT_FILL = 3,    /* on the fill ring: VR gave it to the switch */
	EU_SLOT_SW_FREE = 4, /* switch holds it, no packet */
	EU_SLOT_SW_BUSY = 5, /* switch holds it, a packet is in it */
	EU_SLOT_RX = 6,      /* on the rx ring: switch gave a frame to the VR */
	EU_SLOT_TX = 7,      /* on the tx ring: VR gave a frame to the switch */
	EU_SLOT_COMP = 8,    /* on the comp ring: switch gave a free slot to the VR */
	EU_SLOT_STATE_COUNT = 9
};

#define EU_STATE_MASK 0xffU
#define EU_STATE_GEN_SHIFT 8
#define EU_STATE_GEN_ONE (1U << EU_STATE_GEN_SHIFT)

/*
 * The legal transitions out of a state, as a bit mask (bit n: to state n).
 * Anything else is refused and counted by the side that attempted it.
 *
 *   VR_FREE -> VR_BUSY (alloc) | FILL (give to switch)
 *   VR_BUSY -> VR_FREE (free) | TX (transmit) | FILL (give to switch)
 *   FILL    -> SW_FREE | SW_BUSY (switch takes it from the fill ring)
 *   SW_FREE -> SW_BUSY (receive into it) | COMP (give to VR)
 *   SW_BUSY -> SW_FREE (sent or dropped) | RX (publish to VR) | COMP
 *   RX      -> VR_BUSY | VR_FREE (VR takes it from the rx ring)
 *   TX      -> SW_BUSY | SW_FREE (switch takes it from the tx ring)
 *   COMP    -> VR_FREE | VR_BUSY (VR takes it from the comp ring)
 */
static inline __u32 eu_slot_legal_mask(__u32 from)
{
	switch (from) {
	case EU_SLOT_VR_FREE:
		return (1U << EU_SLOT_VR_BUSY) | (1U << EU_SLOT_FILL);
	case EU_SLOT_VR_BUSY:
		return (1U << EU_SLOT_VR_FREE) | (1U << EU_SLOT_TX) | (1U << EU_SLOT_FILL);
	case EU_SLOT_FILL:
		return (1U << EU_SLOT_SW_FREE) | (1U << EU_SLOT_SW_BUSY);
	case EU_SLOT_SW_FREE:
		return (1U << EU_SLOT_SW_BUSY) | (1U << EU_SLOT_COMP);
	case EU_SLOT_SW_BUSY:
		return (1U << EU_SLOT_SW_FREE) | (1U << EU_SLOT_RX) | (1U << EU_SLOT_COMP);
	case EU_SLOT_RX:
		return (1U << EU_SLOT_VR_BUSY) | (1U << EU_SLOT_VR_FREE);
	case EU_SLOT_TX:
		return (1U << EU_SLOT_SW_BUSY) | (1U << EU_SLOT_SW_FREE);
	case EU_SLOT_COMP:
		return (1U << EU_SLOT_VR_FREE) | (1U << EU_SLOT_VR_BUSY);
	default:
		return 0;
	}
}

/* The side that may perform a transition out of each state. */
static inline int eu_slot_state_side(__u32 state)
{
	switch (state) {
	case EU_SLOT_VR_FREE:
	case EU_SLOT_VR_BUSY:
	case EU_SLOT_RX:
	case EU_SLOT_COMP:
		return EU_SIDE_VR;
	case EU_SLOT_SW_FREE:
	case EU_SLOT_SW_BUSY:
	case EU_SLOT_FILL:
	case EU_SLOT_TX:
		return EU_SIDE_SWITCH;
	default:
		return -1;
	}
}

/* Slot descriptor: written by the slot's owner. 16 bytes, 4 per line. */
struct eu_desc {
	__u16 len;   /* frame length in bytes */
	__u16 off;   /* frame start, from the start of the slot's buffer */
	__u16 port;  /* ingress port on rx, egress port on tx */
	__u16 flags; /* EU_DESC_F_* */
	__u32 cookie; /* free for the owner's use (sequence numbers, timestamps) */
	__u32 rsvd;
};

#define EU_DESC_F_VLAN 0x1 /* the frame carried an 802.1Q tag */

/* A ring's shared part. The entries follow the two counter lines. */
struct eu_ring_shared {
	__u32 prod; /* producer's free-running count (MP: positions reserved) */
	__u32 prod_pad[EU_CACHE_LINE / 4 - 1];
	__u32 cons; /* consumer's free-running count */
	__u32 cons_pad[EU_CACHE_LINE / 4 - 1];
	/* __u32 entries[size] follows */
};

#define EU_RING_F_MP 0x1 /* ordered multi-producer: entries are EU_IDX_NONE until written */

struct eu_ring_layout {
	__u64 off;   /* offset of struct eu_ring_shared */
	__u32 size;  /* entries, a power of two */
	__u32 flags; /* EU_RING_F_* */
};

/*
 * Wake-up line of one ring. The consumer sets need_wakeup before it sleeps
 * and counts sleeps; a producer takes need_wakeup (atomic exchange), bumps
 * futex and counts wakeups. Both sides write it, but only around a sleep.
 */
struct eu_wake {
	__u32 futex;       /* bumped by the producer before FUTEX_WAKE */
	__u32 need_wakeup; /* set by a consumer about to sleep, cleared on waking */
	__u32 sleeps;      /* times the consumer slept (consumer writes) */
	__u32 wakeups;     /* wake calls made by the producer (producer writes) */
	__u32 pad[EU_CACHE_LINE / 4 - 4];
};

/* Counters of one side of one ring: one writer, one cache line. */
struct eu_side_stats {
	__u64 pkts;    /* indices moved */
	__u64 bursts;  /* calls that moved at least one */
	__u64 stalls;  /* producer: ring full; consumer: ring empty */
	__u64 refused; /* consumer: entries refused (bad index, owner or state) */
	__u64 pad[EU_CACHE_LINE / 8 - 4];
};

struct eu_ring_stats {
	struct eu_side_stats prod;
	struct eu_side_stats cons;
};

/* Counters of the slot state machine, per side that attempted the move. */
struct eu_slot_stats {
	__u64 moves;   /* transitions done */
	__u64 refused; /* illegal transitions refused */
	__u64 reclaimed; /* slots taken back from a side that went away */
	__u64 pad[EU_CACHE_LINE / 8 - 3];
};

struct eu_region_stats {
	struct eu_ring_stats ring[EU_RING_COUNT];
	struct eu_slot_stats slot[EU_SIDE_COUNT];
};

/*
 * The region header. Fields up to hdr_check are written once by the creator
 * and covered by hdr_check; the live fields after it are written by the side
 * named.
 */
struct eu_region_hdr {
	__u32 magic;     /* EU_REGION_MAGIC */
	__u16 abi_major; /* EU_ABI_MAJOR */
	__u16 abi_minor; /* EU_ABI_MINOR at creation */
	__u32 hdr_size;  /* sizeof(struct eu_region_hdr) at creation */
	__u32 flags;     /* EU_REGION_F_* */
	__u64 region_size; /* bytes of the whole region */
	__u32 nslots;    /* slots in the pool, <= EU_MAX_SLOTS */
	__u32 slot_size; /* bytes per buffer, multiple of EU_CACHE_LINE */
	__u32 headroom;  /* default frame offset within a buffer */
	__u32 vr_slots;  /* slots the VR owned at creation (the rest: switch) */
	__u64 wake_off;  /* struct eu_wake[EU_RING_COUNT] */
	__u64 stats_off; /* struct eu_region_stats */
	__u64 states_off; /* __u32[nslots] */
	__u64 descs_off; /* struct eu_desc[nslots] */
	__u64 bufs_off;  /* nslots * slot_size */
	struct eu_ring_layout rings[EU_RING_COUNT];
	__u32 hdr_check; /* eu_abi_hdr_check() of every byte before this field */
	__u32 live_pad;
	/* live fields */
	__u32 vr_pid;    /* process of the attached VR, 0 if none (VR writes) */
	__u32 sw_pid;    /* process of the switch, 0 if none (switch writes) */
	__u32 vr_epoch;  /* bumped by each VR attach (VR writes) */
	__u32 sw_epoch;  /* bumped by each switch attach or reclaim (switch writes) */
	__u8 pad[EU_CACHE_LINE * 3 - 168];
};

#define EU_REGION_F_HUGE 0x1 /* placed on huge pages */

EU_STATIC_ASSERT(sizeof(struct eu_desc) == 16, "eu_desc must be 16 bytes");
EU_STATIC_ASSERT(sizeof(struct eu_ring_shared) == 2 * EU_CACHE_LINE, "ring counters");
EU_STATIC_ASSERT(sizeof(struct eu_wake) == EU_CACHE_LINE, "eu_wake is one line");
EU_STATIC_ASSERT(sizeof(struct eu_side_stats) == EU_CACHE_LINE, "side stats is one line");
EU_STATIC_ASSERT(sizeof(struct eu_slot_stats) == EU_CACHE_LINE, "slot stats is one line");
EU_STATIC_ASSERT(sizeof(struct eu_region_stats) == 10 * EU_CACHE_LINE, "region stats");
EU_STATIC_ASSERT(sizeof(struct eu_ring_layout) == 16, "ring layout");
EU_STATIC_ASSERT(sizeof(struct eu_region_hdr) == 3 * EU_CACHE_LINE, "region header");
EU_STATIC_ASSERT(__builtin_offsetof(struct eu_region_hdr, hdr_check) == 144, "hdr_check");
EU_STATIC_ASSERT(__builtin_offsetof(struct eu_region_hdr, vr_pid) == 152, "live fields");

/* FNV-1a over the immutable part of the header. */
static inline __u32 eu_abi_hdr_check(const struct eu_region_hdr *h)
{
	const unsigned char *p = (const unsigned char *)h;
	__u32 x = 2166136261U;
	unsigned long i;

	for (i = 0; i < __builtin_offsetof(struct eu_region_hdr, hdr_check); i++) {
		x ^= p[i];
		x *= 16777619U;
	}
	return x;
}

static inline __u64 eu_abi_align(__u64 x, __u64 a)
{
	return (x + a - 1) & ~(a - 1);
}

static inline __u64 eu_abi_ring_bytes(__u32 size)
{
	return eu_abi_align(sizeof(struct eu_ring_shared) + (__u64)size * 4, EU_CACHE_LINE);
}

/*
 * Lay out a region: fill every size and offset of *h from nslots, slot_size,
 * headroom, vr_slots, flags and rings[].size/flags, which the caller sets.
 * Buffers start on a page (buf_align, a power of two >= EU_CACHE_LINE) so a
 * kernel may map them separately. Returns 0, or -1 if the parameters are out
 * of range (the caller reports which). This is the one canonical layout; a
 * region made by any side follows it. Attach does not insist on it: it checks
 * that every section is aligned, inside the region and apart from the others.
 */
static inline int eu_abi_layout(struct eu_region_hdr *h, __u32 buf_align)
{
	__u64 off;
	int i;

	if (h->nslots == 0 || h->nslots > EU_MAX_SLOTS || h->vr_slots > h->nslots)
		return -1;
	if (h->slot_size < EU_MIN_SLOT_SIZE || h->slot_size > EU_MAX_SLOT_SIZE ||
	    h->slot_size % EU_CACHE_LINE || h->headroom >= h->slot_size)
		return -1;
	if (buf_align < EU_CACHE_LINE || (buf_align & (buf_align - 1)))
		return -1;
	h->magic = EU_REGION_MAGIC;
	h->abi_major = EU_ABI_MAJOR;
	h->abi_minor = EU_ABI_MINOR;
	h->hdr_size = sizeof(*h);
	off = sizeof(*h);
	h->wake_off = off;
	off += sizeof(struct eu_wake) * EU_RING_COUNT;
	h->stats_off = off;
	off += sizeof(struct eu_region_stats);
	for (i = 0; i < EU_RING_COUNT; i++) {
		__u32 sz = h->rings[i].size;

		if (sz == 0 || sz > EU_MAX_RING_SIZE || (sz & (sz - 1)))
			return -1;
		h->rings[i].off = off;
		off += eu_abi_ring_bytes(sz);
	}
	h->states_off = off;
	off += eu_abi_align((__u64)h->nslots * 4, EU_CACHE_LINE);
	h->descs_off = off;
	off += (__u64)h->nslots * sizeof(struct eu_desc);
	off = eu_abi_align(off, buf_align);
	h->bufs_off = off;
	off += (__u64)h->nslots * h->slot_size;
	h->region_size = eu_abi_align(off, buf_align);
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_ABI_H */
