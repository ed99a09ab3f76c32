/* SPDX-License-Identifier: BSD-2-Clause */
/* lib/ring.c - setting up rings and views; the fast path is in ring.h. */
#include <string.h>

#include "internal.h"

static int eu_ring_size_ok(__u32 size)
{
	return size && size <= EU_MAX_RING_SIZE && !(size & (size - 1));
}

EU_API __u64 eu_ring_memsize(__u32 size)
{
	return eu_ring_size_ok(size) ? eu_abi_ring_bytes(size) : 0;
}

EU_API int eu_ring_init_mem(void *mem, __u32 size, __u32 flags)
{
	struct eu_ring_shared *s = mem;
	__u32 *e;

	if (!mem || !eu_ring_size_ok(size) || ((unsigned long)mem % EU_CACHE_LINE))
		return eu_err(EINVAL, "ring: size %u must be a power of two <= %u and the memory "
				      "aligned to %u bytes", size, EU_MAX_RING_SIZE, EU_CACHE_LINE);
	memset(s, 0, sizeof(*s));
	e = (__u32 *)(s + 1);
	/* An MP ring's empty entries hold EU_IDX_NONE (see eu_ring_peek_mp()). */
	memset(e, (flags & EU_RING_F_MP) ? 0xff : 0, (size_t)size * 4);
	return 0;
}

static struct eu_side_stats eu_scratch_stats[64];
static unsigned eu_scratch_next;

EU_API int eu_ring_view_init(struct eu_ring *r, void *mem, __u32 size, __u32 flags,
			     int as_producer, struct eu_side_stats *stats)
{
	struct eu_ring_shared *s = mem;

	if (!r || !mem || !eu_ring_size_ok(size) || ((unsigned long)mem % EU_CACHE_LINE))
		return eu_err(EINVAL, "ring view: bad ring (size %u must be a power of two <= %u, "
				      "memory aligned to %u bytes as eu_ring_init_mem() laid it)",
			      size, EU_MAX_RING_SIZE, EU_CACHE_LINE);
	memset(r, 0, sizeof(*r));
	r->prod = &s->prod;
	r->cons = &s->cons;
	r->entries = (__u32 *)(s + 1);
	r->size = size;
	r->mask = size - 1;
	r->flags = flags;
	if (!stats) /* views without stats share scratch lines nobody reads */
		stats = &eu_scratch_stats[__atomic_fetch_add(&eu_scratch_next, 1,
							     __ATOMIC_RELAXED) % 64];
	r->stats = stats;
	if (as_producer) {
		r->local = __atomic_load_n(&s->prod, __ATOMIC_ACQUIRE);
		r->cached = __atomic_load_n(&s->cons, __ATOMIC_ACQUIRE) + size;
	} else {
		r->local = __atomic_load_n(&s->cons, __ATOMIC_ACQUIRE);
		r->cached = __atomic_load_n(&s->prod, __ATOMIC_ACQUIRE);
	}
	return 0;
}
