/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/region.h - regions: one shared mapping holding everything a VR
 * shares with its switch (layout in abi.h).
 *
 * Lifecycle: eu_region_create*() lays out a new region and must be paired
 * with eu_region_destroy(); eu_region_attach*() maps and validates one made
 * elsewhere and is paired with eu_region_detach(). Functions returning a
 * pointer return NULL and set errno on failure; eu_last_error() then says
 * what was wrong and how to fix it. A call that fails leaves nothing behind.
 *
 * Where a region lives is named by a string:
 *   "anon"          anonymous shared memory (shared with children after fork)
 *   "memfd:NAME"    a memfd (hand its fd to another process, e.g. SCM_RIGHTS)
 *   "shm:/NAME"     a POSIX shared memory object
 *   "file:PATH"     a plain file (mapped shared)
 *   "huge:PATH"     a file on a hugetlbfs mount (e.g. /dev/hugepages/eu0)
 *   "fd:N"          attach only: an inherited or received file descriptor
 *
 * Thread-safety: a struct eu_region is not locked; create, attach, destroy,
 * detach and reclaim must not race with other calls on the same handle.
 * Views (eu_region_ring_view(), eu_region_slots_view()) may be used by one
 * thread each, concurrently.
 */
#ifndef EUROPA_REGION_H
#define EUROPA_REGION_H

#include <stddef.h>

#include <europa/slot.h>

#ifdef __cplusplus
extern "C" {
#endif

struct eu_region;

/*
 * Options of eu_region_create(). Start from eu_region_opts_default(). In a
 * zeroed struct, 0 for nslots, slot_size or ring_size means the default; 0
 * for headroom, vr_slots and numa_node is taken literally.
 */
struct eu_region_opts {
	__u32 size;      /* sizeof(struct eu_region_opts): lets the struct grow */
	__u32 nslots;    /* slots in the pool (default 4096) */
	__u32 slot_size; /* buffer bytes per slot, multiple of 64 (default 2048) */
	__u32 headroom;  /* default frame offset in a buffer (default 128) */
	__u32 vr_slots;  /* slots owned by the VR at start (EU_VR_SLOTS_HALF: nslots / 2) */
	__u32 ring_size; /* entries per ring, power of two (0: the least >= nslots, so no
			    ring can ever be full) */
	__u32 flags;     /* EU_REGION_O_* */
	int numa_node;   /* place the memory on this node (libnuma), -1: anywhere */
};

#define EU_VR_SLOTS_HALF 0xffffffffU /* default vr_slots: half the pool */

#define EU_REGION_O_RX_MP 0x1   /* rx ring is an ordered multi-producer ring */
#define EU_REGION_O_HUGE_FALLBACK 0x2 /* "huge:" falls back to normal pages */
#define EU_REGION_O_UNLINK 0x4  /* destroy removes the shm or file name */

/* Fill *o with the defaults above. */
EU_API void eu_region_opts_default(struct eu_region_opts *o);

/* Bytes a region with these options needs (0 and errno EINVAL if invalid). */
EU_API __u64 eu_region_memsize(const struct eu_region_opts *o);

/* Create a region at `where` (see above). NULL + errno on failure. */
EU_API struct eu_region *eu_region_create(const char *where, const struct eu_region_opts *o);

/*
 * Create a region on caller memory (aligned to 64 bytes, at least
 * eu_region_memsize() bytes). The caller keeps ownership of the memory.
 */
EU_API struct eu_region *eu_region_create_mem(void *mem, __u64 len,
					      const struct eu_region_opts *o);

/* Unmap, close, and (with EU_REGION_O_UNLINK) remove the name. NULL is a no-op. */
EU_API void eu_region_destroy(struct eu_region *r);

/*
 * Map and validate an existing region. Refuses (errno EPROTO for a bad
 * header or layout, ENOEXEC for another ABI major, EOVERFLOW when the
 * mapping is shorter than the region) with the reason in eu_last_error().
 */
EU_API struct eu_region *eu_region_attach(const char *where);
EU_API struct eu_region *eu_region_attach_fd(int fd);
EU_API struct eu_region *eu_region_attach_mem(void *mem, __u64 len);

/* Unmap and close an attached region. NULL is a no-op. */
EU_API void eu_region_detach(struct eu_region *r);

/*
 * Check that `len` bytes at `mem` hold a valid region: magic, ABI version,
 * header check, every offset and size inside `len`, sections aligned and not
 * overlapping. Returns 0, or -EPROTO, -ENOEXEC or -EOVERFLOW with a message
 * in why[] (if not NULL), or -EINVAL if mem is NULL. Reads only; never faults
 * on any input of len bytes.
 */
EU_API int eu_region_validate(const void *mem, __u64 len, char *why, size_t whylen);

EU_API const struct eu_region_hdr *eu_region_header(const struct eu_region *r);
EU_API void *eu_region_base(const struct eu_region *r);
EU_API __u64 eu_region_size(const struct eu_region *r);
/* The region's fd (-1 for caller memory and "anon"). Not duplicated. */
EU_API int eu_region_fd(const struct eu_region *r);
/* Whether the region lives on huge pages. */
EU_API int eu_region_is_huge(const struct eu_region *r);

/*
 * Set up a view of ring `ring` (enum eu_ring_id) for the side that produces
 * (as_producer != 0) or consumes it; the view counts into the region's
 * stats. Returns 0 or -EINVAL.
 */
EU_API int eu_region_ring_view(struct eu_region *r, int ring, int as_producer,
			       struct eu_ring *out);

/* Set up a view of the slots for `side` (enum eu_side). Returns 0 or -EINVAL. */
EU_API int eu_region_slots_view(struct eu_region *r, int side, struct eu_slots *out);

/*
 * Copy the region's stats with relaxed loads: safe from any process at any
 * time, does not slow the writers (no stores to their lines).
 */
EU_API void eu_region_stats_read(const struct eu_region *r, struct eu_region_stats *out);

/* Slot census of eu_region_audit(). */
struct eu_audit {
	__u32 state[EU_SLOT_STATE_COUNT]; /* slots per state (sum == total) */
	__u32 total;                      /* == nslots, always */
	__u32 owned[EU_SIDE_COUNT];       /* held by each side (FREE + BUSY) */
	__u32 in_flight;                  /* FILL + RX + TX + COMP */
	__u32 ring_count[EU_RING_COUNT];  /* entries in each ring (prod - cons) */
	int consistent; /* quiescent check: each ring holds exactly its state's slots */
};

/*
 * Count slots per state. The census is a snapshot: totals always add up to
 * nslots; `consistent` is meaningful only while both sides are idle. Any
 * thread, any process; reads only.
 */
EU_API int eu_region_audit(const struct eu_region *r, struct eu_audit *a);

/*
 * Take back every slot held by, or in flight to or from, side `gone` (it has
 * exited or crashed), and reset the rings. Slots below the header's vr_slots
 * become VR_FREE, the rest SW_FREE, except slots the surviving side holds
 * BUSY, which stay its own. The header's immutable part is put back from
 * the copy validated at attach, and the gone side's need-wakeup flags are
 * withdrawn. Call from the surviving side while the other side is known to
 * be gone, with no other thread using the region. Returns the number of
 * slots reclaimed, or -EINVAL.
 */
EU_API int eu_region_reclaim(struct eu_region *r, int gone);

/* The name of a slot state ("VR_FREE", ...), or "?" if out of range. */
EU_API const char *eu_slot_state_name(__u32 state);

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_REGION_H */
