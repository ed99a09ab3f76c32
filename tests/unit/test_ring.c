/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_ring.c - rings of slot indices (europa/ring.h, lib/ring.c): SP rings
 * empty/full/exact fit, wrap-around of the entries and of the free-running
 * 32-bit counters, every burst size, the two API styles giving identical
 * results, exact stats; ordered MP rings (reservation order, out-of-order
 * writes, holes, reset on release); set-up errors.
 */
#include "eu_unit.h"

#include <pthread.h>
#include <sched.h>

/* One standalone ring with a producer view and a consumer view. */
struct tring {
	void *mem;
	struct eu_ring_shared *sh;
	__u32 *entries;
	__u32 size;
	struct eu_ring p, c;
	struct eu_side_stats ps, cs;
};

/* Lay a ring, set both counters to `start`, then create the views. */
static void tring_init(struct tring *t, __u32 size, __u32 flags, __u32 start)
{
	__u64 bytes = eu_ring_memsize(size);

	memset(t, 0, sizeof(*t));
	ck_assert_uint_gt(bytes, 0);
	t->mem = aligned_alloc(EU_CACHE_LINE, (size_t)bytes);
	ck_assert_ptr_nonnull(t->mem);
	memset(t->mem, 0x5a, (size_t)bytes);
	ck_assert_int_eq(eu_ring_init_mem(t->mem, size, flags), 0);
	t->sh = t->mem;
	t->entries = (__u32 *)(t->sh + 1);
	t->size = size;
	t->sh->prod = start;
	t->sh->cons = start;
	ck_assert_int_eq(eu_ring_view_init(&t->p, t->mem, size, flags, 1, &t->ps), 0);
	ck_assert_int_eq(eu_ring_view_init(&t->c, t->mem, size, flags, 0, &t->cs), 0);
}

static void tring_fini(struct tring *t)
{
	free(t->mem);
}

static void check_stats(const struct eu_side_stats *s, __u64 pkts, __u64 bursts, __u64 stalls)
{
	ck_assert_uint_eq(s->pkts, pkts);
	ck_assert_uint_eq(s->bursts, bursts);
	ck_assert_uint_eq(s->stalls, stalls);
	ck_assert_uint_eq(s->refused, 0);
}

/* ------------------------------------------------------------------ set-up */

START_TEST(test_memsize)
{
	__u32 s;

	ck_assert_uint_eq(eu_ring_memsize(1), 192);
	ck_assert_uint_eq(eu_ring_memsize(2), 192);
	ck_assert_uint_eq(eu_ring_memsize(16), 192);
	ck_assert_uint_eq(eu_ring_memsize(32), 256);
	ck_assert_uint_eq(eu_ring_memsize(1024), 128 + 4096);
	ck_assert_uint_eq(eu_ring_memsize(EU_MAX_RING_SIZE), 128 + 4ULL * EU_MAX_RING_SIZE);
	for (s = 1; s <= EU_MAX_RING_SIZE; s <<= 1)
		ck_assert_uint_eq(eu_ring_memsize(s) % EU_CACHE_LINE, 0);
	ck_assert_uint_eq(eu_ring_memsize(0), 0);
	ck_assert_uint_eq(eu_ring_memsize(3), 0);
	ck_assert_uint_eq(eu_ring_memsize(12), 0);
	ck_assert_uint_eq(eu_ring_memsize(1000), 0);
	ck_assert_uint_eq(eu_ring_memsize(EU_MAX_RING_SIZE + 1), 0);
	ck_assert_uint_eq(eu_ring_memsize(EU_MAX_RING_SIZE << 1), 0);
	ck_assert_uint_eq(eu_ring_memsize(0x80000000U), 0);
	ck_assert_uint_eq(eu_ring_memsize(0xffffffffU), 0);
}
END_TEST

START_TEST(test_init_mem_errors)
{
	size_t bytes = 4096;
	unsigned char *mem = aligned_alloc(EU_CACHE_LINE, bytes);
	static const __u32 bad_size[] = { 0, 3, 12, 1000, EU_MAX_RING_SIZE + 1,
					  EU_MAX_RING_SIZE << 1 };
	static const size_t bad_off[] = { 1, 4, 8, 32, 60 };
	size_t i;

	ck_assert_ptr_nonnull(mem);
	memset(mem, 0xab, bytes);
	ck_assert_int_eq(eu_ring_init_mem(NULL, 16, 0), -EINVAL);
	for (i = 0; i < sizeof(bad_size) / sizeof(bad_size[0]); i++) {
		ck_assert_int_eq(eu_ring_init_mem(mem, bad_size[i], 0), -EINVAL);
		ck_assert_str_ne(eu_last_error(), "");
	}
	for (i = 0; i < sizeof(bad_off) / sizeof(bad_off[0]); i++) {
		ck_assert_int_eq(eu_ring_init_mem(mem + bad_off[i], 16, 0), -EINVAL);
		ck_assert_int_eq(eu_ring_init_mem(mem + bad_off[i], 16, EU_RING_F_MP), -EINVAL);
		ck_assert_ptr_nonnull(strstr(eu_last_error(), "aligned"));
	}
	/* a refused call wrote nothing */
	for (i = 0; i < bytes; i++)
		ck_assert_uint_eq(mem[i], 0xab);
	free(mem);
}
END_TEST

START_TEST(test_init_mem_fresh)
{
	struct tring t;
	__u32 i;

	tring_init(&t, 64, 0, 0);
	ck_assert_uint_eq(t.sh->prod, 0);
	ck_assert_uint_eq(t.sh->cons, 0);
	for (i = 0; i < EU_CACHE_LINE / 4 - 1; i++) {
		ck_assert_uint_eq(t.sh->prod_pad[i], 0);
		ck_assert_uint_eq(t.sh->cons_pad[i], 0);
	}
	for (i = 0; i < 64; i++)
		ck_assert_uint_eq(t.entries[i], 0);
	ck_assert_uint_eq(eu_ring_count(&t.p), 0);
	tring_fini(&t);

	tring_init(&t, 64, EU_RING_F_MP, 0);
	for (i = 0; i < 64; i++)
		ck_assert_uint_eq(t.entries[i], EU_IDX_NONE);
	tring_fini(&t);
}
END_TEST

START_TEST(test_view_init_errors)
{
	unsigned char *mem = aligned_alloc(EU_CACHE_LINE, 4096);
	struct eu_ring r;
	struct eu_side_stats st;
	static const __u32 bad_size[] = { 0, 3, 12, EU_MAX_RING_SIZE + 1, 0xffffffffU };
	static const size_t bad_off[] = { 1, 2, 4, 32, 63 };
	size_t i;

	ck_assert_ptr_nonnull(mem);
	ck_assert_int_eq(eu_ring_init_mem(mem, 16, 0), 0);
	ck_assert_int_eq(eu_ring_view_init(NULL, mem, 16, 0, 1, &st), -EINVAL);
	ck_assert_int_eq(eu_ring_view_init(&r, NULL, 16, 0, 1, &st), -EINVAL);
	for (i = 0; i < sizeof(bad_size) / sizeof(bad_size[0]); i++) {
		ck_assert_int_eq(eu_ring_view_init(&r, mem, bad_size[i], 0, 1, &st), -EINVAL);
		ck_assert_int_eq(eu_ring_view_init(&r, mem, bad_size[i], 0, 0, &st), -EINVAL);
		ck_assert_str_ne(eu_last_error(), "");
	}
	/* a ring is laid on a cache line (eu_ring_init_mem()); a view elsewhere is a bug */
	for (i = 0; i < sizeof(bad_off) / sizeof(bad_off[0]); i++) {
		ck_assert_int_eq(eu_ring_view_init(&r, mem + bad_off[i], 16, 0, 1, &st), -EINVAL);
		ck_assert_int_eq(eu_ring_view_init(&r, mem + bad_off[i], 16, 0, 0, &st), -EINVAL);
	}
	/* NULL stats is allowed: counters go to a scratch line */
	ck_assert_int_eq(eu_ring_view_init(&r, mem, 16, 0, 1, NULL), 0);
	ck_assert_ptr_nonnull(r.stats);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&r, (const __u32[]){ 7 }, 1), 1);
	free(mem);
}
END_TEST

/* ---------------------------------------------------------------- SP rings */

START_TEST(test_empty)
{
	struct tring t;
	__u32 pos = 12345, out[4];

	tring_init(&t, 8, 0, 0);
	ck_assert_uint_eq(eu_ring_peek(&t.c, 1, &pos), 0);
	check_stats(&t.cs, 0, 0, 1);
	ck_assert_uint_eq(eu_ring_peek(&t.c, 4, &pos), 0);
	check_stats(&t.cs, 0, 0, 2);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 4), 0);
	check_stats(&t.cs, 0, 0, 3);
	/* a zero release or submit is not a burst */
	eu_ring_release(&t.c, 0);
	eu_ring_submit(&t.p, 0);
	check_stats(&t.cs, 0, 0, 3);
	check_stats(&t.ps, 0, 0, 0);
	ck_assert_uint_eq(t.sh->cons, 0);
	ck_assert_uint_eq(t.sh->prod, 0);
	/* emptied again after traffic */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, (const __u32[]){ 1, 2 }, 2), 2);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 4), 2); /* short, not a stall */
	check_stats(&t.cs, 2, 1, 3);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 4), 0);
	check_stats(&t.cs, 2, 1, 4);
	tring_fini(&t);
}
END_TEST

START_TEST(test_full)
{
	struct tring t;
	__u32 pos, i, in[16], out[16];

	for (i = 0; i < 16; i++)
		in[i] = 100 + i;
	tring_init(&t, 8, 0, 0);
	ck_assert_uint_eq(eu_ring_reserve(&t.p, 8, &pos), 8);
	ck_assert_uint_eq(pos, 0);
	for (i = 0; i < 8; i++)
		*eu_ring_entry(&t.p, pos + i) = in[i];
	eu_ring_submit(&t.p, 8);
	check_stats(&t.ps, 8, 1, 0);
	ck_assert_uint_eq(eu_ring_count(&t.p), 8);
	/* full: nothing more, each attempt is a stall */
	ck_assert_uint_eq(eu_ring_reserve(&t.p, 1, &pos), 0);
	check_stats(&t.ps, 8, 1, 1);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, in, 3), 0);
	check_stats(&t.ps, 8, 1, 2);
	/* consumer frees 3: a request for 5 gets a short count of 3 (and a stall) */
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 3), 3);
	ck_assert_uint_eq(out[0], 100);
	ck_assert_uint_eq(out[2], 102);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, in + 8, 5), 3);
	check_stats(&t.ps, 11, 2, 3);
	ck_assert_uint_eq(eu_ring_count(&t.c), 8);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 16), 8);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(out[i], 103 + i);
	check_stats(&t.cs, 11, 2, 0);
	tring_fini(&t);
}
END_TEST

START_TEST(test_exact_fit)
{
	static const __u32 sizes[] = { 1, 2, 8, 64, 1024 };
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct tring t;
		__u32 n = sizes[k], i, round;
		__u32 *in = malloc(n * 4), *out = malloc(n * 4);

		tring_init(&t, n, 0, 0);
		for (round = 0; round < 3; round++) {
			for (i = 0; i < n; i++)
				in[i] = round * n + i;
			eu_check_ueq(eu_ring_enqueue_burst(&t.p, in, n), n);
			eu_check_ueq(eu_ring_count(&t.p), n);
			eu_check_ueq(eu_ring_dequeue_burst(&t.c, out, n), n);
			eu_check(memcmp(in, out, n * 4) == 0);
		}
		/* filling exactly never stalls, emptying exactly never stalls */
		check_stats(&t.ps, 3ULL * n, 3, 0);
		check_stats(&t.cs, 3ULL * n, 3, 0);
		tring_fini(&t);
		free(in);
		free(out);
	}
}
END_TEST

/*
 * Random traffic through a ring whose counters start at `start`, checking
 * that indices come out in order, that a wrapped burst is split right across
 * the end of the entries array, and that the counters moved exactly.
 */
static void traffic(__u32 size, __u32 start, int rounds)
{
	struct tring t;
	__u32 next_in = 0, next_out = 0, in[2048], out[2048];
	__u64 total = 0, bursts_in = 0, bursts_out = 0;
	int r;

	ck_assert_uint_le(size, 2048);
	tring_init(&t, size, 0, start);
	for (r = 0; r < rounds; r++) {
		__u32 want = (__u32)eu_t_range(1, size), free_now = size - eu_ring_count(&t.p);
		__u32 n, i, got;

		for (i = 0; i < want; i++)
			in[i] = next_in + i;
		n = eu_ring_enqueue_burst(&t.p, in, want);
		eu_check_ueq(n, want < free_now ? want : free_now);
		next_in += n;
		total += n;
		bursts_in += n > 0;
		eu_check_ueq(t.sh->prod - t.sh->cons, next_in - next_out);
		got = eu_ring_dequeue_burst(&t.c, out, (__u32)eu_t_range(1, size));
		for (i = 0; i < got; i++)
			eu_check_ueq(out[i], next_out + i);
		next_out += got;
		bursts_out += got > 0;
	}
	eu_check_ueq(t.sh->prod, (__u32)(start + total));
	eu_check_ueq(t.ps.pkts, total);
	eu_check_ueq(t.ps.bursts, bursts_in);
	eu_check_ueq(t.cs.pkts, next_out);
	eu_check_ueq(t.cs.bursts, bursts_out);
	tring_fini(&t);
}

START_TEST(test_wrap_entries)
{
	struct tring t;
	__u32 pos, i, out[8];

	/* a burst that crosses the end of the array lands at both ends */
	tring_init(&t, 8, 0, 0);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, (const __u32[]){ 1, 2, 3, 4, 5, 6 }, 6), 6);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 6), 6);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, (const __u32[]){ 10, 11, 12, 13, 14 }, 5), 5);
	ck_assert_uint_eq(t.entries[6], 10);
	ck_assert_uint_eq(t.entries[7], 11);
	ck_assert_uint_eq(t.entries[0], 12);
	ck_assert_uint_eq(t.entries[1], 13);
	ck_assert_uint_eq(t.entries[2], 14);
	ck_assert_uint_eq(eu_ring_peek(&t.c, 5, &pos), 5);
	ck_assert_uint_eq(pos, 6);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(*eu_ring_entry(&t.c, pos + i), 10 + i);
	eu_ring_release(&t.c, 5);
	tring_fini(&t);

	eu_t_seed();
	traffic(8, 0, 20000);
	traffic(64, 0, 20000);
	traffic(1, 0, 1000);
}
END_TEST

START_TEST(test_wrap_counters)
{
	struct tring t;
	__u32 k, out[16], i;

	eu_t_seed();
	/* traffic across 2^32 from several starting points right before it */
	for (k = 0; k <= 20; k++)
		traffic(8, 0xffffffffU - k, 200);
	traffic(1024, 0xffffffffU - 100, 2000);
	traffic(1, 0xffffffffU, 10);

	/* full and empty are exact when prod has wrapped and cons has not */
	tring_init(&t, 16, 0, 0xfffffff8U);
	for (i = 0; i < 16; i++)
		out[i] = i;
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, out, 16), 16);
	ck_assert_uint_eq(t.sh->prod, 8); /* wrapped */
	ck_assert_uint_eq(t.sh->cons, 0xfffffff8U);
	ck_assert_uint_eq(eu_ring_count(&t.p), 16);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, out, 1), 0);
	ck_assert_uint_eq(t.ps.stalls, 1);
	memset(out, 0, sizeof(out));
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 16), 16);
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], i);
	ck_assert_uint_eq(eu_ring_count(&t.c), 0);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 1), 0);
	ck_assert_uint_eq(t.cs.stalls, 1);
	tring_fini(&t);
}
END_TEST

START_TEST(test_bursts_every_size)
{
	static const __u32 sizes[] = { 1, 2, 4, 8, 16, 64, 256 };
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		__u32 size = sizes[k], n, i, seq = 0;
		__u32 in[256], out[256];
		struct tring t;
		__u64 pkts = 0;

		/* start so that the run crosses both the array end and 2^32 */
		tring_init(&t, size, 0, 0xffffffffU - size * 3);
		for (n = 1; n <= size; n++) {
			for (i = 0; i < n; i++)
				in[i] = seq + i;
			eu_check_ueq(eu_ring_enqueue_burst(&t.p, in, n), n);
			memset(out, 0xff, sizeof(out));
			eu_check_ueq(eu_ring_dequeue_burst(&t.c, out, n), n);
			eu_check(memcmp(in, out, n * 4) == 0);
			if (n < 256)
				eu_check_ueq(out[n], 0xffffffffU); /* no overrun */
			seq += n;
			pkts += n;
		}
		/* and n in, then n out one by one */
		for (n = 1; n <= size; n++) {
			for (i = 0; i < n; i++)
				in[i] = seq + i;
			eu_check_ueq(eu_ring_enqueue_burst(&t.p, in, n), n);
			for (i = 0; i < n; i++) {
				eu_check_ueq(eu_ring_dequeue_burst(&t.c, out, 1), 1);
				eu_check_ueq(out[0], seq + i);
			}
			seq += n;
			pkts += n;
		}
		check_stats(&t.ps, pkts, 2 * size, 0);
		check_stats(&t.cs, pkts, size + size * (size + 1) / 2, 0);
		tring_fini(&t);
	}
}
END_TEST

/*
 * The copying helpers are exactly reserve/submit and peek/release: run the
 * same random script on two rings, one each way, and compare everything.
 */
START_TEST(test_api_equivalence)
{
	struct tring a, b;
	__u32 seq = 0, i;
	int step;

	eu_t_seed();
	tring_init(&a, 32, 0, 0xffffff00U);
	tring_init(&b, 32, 0, 0xffffff00U);
	for (step = 0; step < 20000; step++) {
		__u32 n = (__u32)eu_t_range(0, 40), in[40], oa[40], ob[40], pos, ra, rb;

		if (eu_t_rand() & 1) {
			for (i = 0; i < n; i++)
				in[i] = seq + i;
			ra = eu_ring_enqueue_burst(&a.p, in, n);
			rb = eu_ring_reserve(&b.p, n, &pos);
			for (i = 0; i < rb; i++)
				*eu_ring_entry(&b.p, pos + i) = in[i];
			eu_ring_submit(&b.p, rb);
			eu_check_ueq(ra, rb);
			seq += ra;
		} else {
			ra = eu_ring_dequeue_burst(&a.c, oa, n);
			rb = eu_ring_peek(&b.c, n, &pos);
			for (i = 0; i < rb; i++)
				ob[i] = *eu_ring_entry(&b.c, pos + i);
			eu_ring_release(&b.c, rb);
			eu_check_ueq(ra, rb);
			eu_check(memcmp(oa, ob, ra * 4) == 0);
		}
		eu_check_ueq(a.sh->prod, b.sh->prod);
		eu_check_ueq(a.sh->cons, b.sh->cons);
		eu_check(memcmp(a.entries, b.entries, 32 * 4) == 0);
		eu_check(memcmp(&a.ps, &b.ps, sizeof(a.ps)) == 0);
		eu_check(memcmp(&a.cs, &b.cs, sizeof(a.cs)) == 0);
	}
	ck_assert_uint_gt(a.ps.stalls, 0);
	ck_assert_uint_gt(a.cs.stalls, 0);
	tring_fini(&a);
	tring_fini(&b);
}
END_TEST

START_TEST(test_stats_exact)
{
	struct tring t;
	__u32 in[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, out[8], pos;

	tring_init(&t, 4, 0, 0);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, in, 3), 3);  /* p: 3/1/0 */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, in, 3), 1);  /* p: 4/2/1 short */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&t.p, in, 1), 0);  /* p: 4/2/2 full */
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 2), 2); /* c: 2/1/0 */
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 8), 2); /* c: 4/2/0 short */
	ck_assert_uint_eq(eu_ring_dequeue_burst(&t.c, out, 8), 0); /* c: 4/2/1 empty */
	ck_assert_uint_eq(eu_ring_peek(&t.c, 1, &pos), 0);         /* c: 4/2/2 empty */
	ck_assert_uint_eq(eu_ring_reserve(&t.p, 4, &pos), 4);      /* no stall */
	eu_ring_submit(&t.p, 2);                                   /* p: 6/3/2 */
	eu_ring_submit(&t.p, 2);                                   /* p: 8/4/2 */
	ck_assert_uint_eq(eu_ring_peek(&t.c, 4, &pos), 4);
	eu_ring_release(&t.c, 1);                                  /* c: 5/3/2 */
	eu_ring_release(&t.c, 3);                                  /* c: 8/4/2 */
	check_stats(&t.ps, 8, 4, 2);
	check_stats(&t.cs, 8, 4, 2);
	tring_fini(&t);
}
END_TEST

/* ---------------------------------------------------------------- MP rings */

START_TEST(test_mp_reserve_order)
{
	struct tring t;
	struct eu_ring p2;
	struct eu_side_stats s2 = { 0 };
	__u32 pos;

	tring_init(&t, 16, EU_RING_F_MP, 0);
	ck_assert_int_eq(eu_ring_view_init(&p2, t.mem, 16, EU_RING_F_MP, 1, &s2), 0);
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 3, &pos), 3);
	ck_assert_uint_eq(pos, 0);
	ck_assert_uint_eq(eu_ring_reserve_mp(&p2, 2, &pos), 2);
	ck_assert_uint_eq(pos, 3);
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 4, &pos), 4);
	ck_assert_uint_eq(pos, 5);
	ck_assert_uint_eq(t.sh->prod, 9);
	/* 7 left: a request for 10 gets 7, then the ring is full for both */
	ck_assert_uint_eq(eu_ring_reserve_mp(&p2, 10, &pos), 7);
	ck_assert_uint_eq(pos, 9);
	ck_assert_uint_eq(s2.stalls, 1); /* a short reservation is a stall, as for SP */
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 1, &pos), 0);
	ck_assert_uint_eq(eu_ring_reserve_mp(&p2, 1, &pos), 0);
	ck_assert_uint_eq(t.ps.stalls, 1);
	ck_assert_uint_eq(s2.stalls, 2);
	ck_assert_uint_eq(t.sh->prod, 16);
	/* each producer counts the positions it reserved */
	ck_assert_uint_eq(t.ps.pkts, 7);
	ck_assert_uint_eq(t.ps.bursts, 2);
	ck_assert_uint_eq(s2.pkts, 9);
	ck_assert_uint_eq(s2.bursts, 2);
	/* nothing was written yet: the consumer sees nothing */
	{
		__u32 out[16];

		ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 16), 0);
		ck_assert_uint_eq(t.cs.stalls, 1);
	}
	tring_fini(&t);
}
END_TEST

START_TEST(test_mp_out_of_order)
{
	struct tring t;
	struct eu_ring pb;
	struct eu_side_stats sb = { 0 };
	__u32 pa, pbpos, out[16], i;

	tring_init(&t, 8, EU_RING_F_MP, 0);
	ck_assert_int_eq(eu_ring_view_init(&pb, t.mem, 8, EU_RING_F_MP, 1, &sb), 0);
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 2, &pa), 2);    /* positions 0, 1 */
	ck_assert_uint_eq(eu_ring_reserve_mp(&pb, 3, &pbpos), 3);  /* positions 2, 3, 4 */
	/* B finishes first: the consumer must still stop at position 0 */
	eu_ring_put_mp(&pb, pbpos + 2, 42);
	eu_ring_put_mp(&pb, pbpos + 0, 40);
	eu_ring_put_mp(&pb, pbpos + 1, 41);
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 0);
	ck_assert_uint_eq(t.cs.stalls, 1);
	/* A writes its second entry: still blocked on the first */
	eu_ring_put_mp(&t.p, pa + 1, 31);
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 0);
	eu_ring_put_mp(&t.p, pa + 0, 30);
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 5);
	ck_assert_uint_eq(out[0], 30);
	ck_assert_uint_eq(out[1], 31);
	ck_assert_uint_eq(out[2], 40);
	ck_assert_uint_eq(out[3], 41);
	ck_assert_uint_eq(out[4], 42);
	/* peek does not consume */
	ck_assert_uint_eq(t.sh->cons, 0);
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 2), 2);
	eu_ring_release_mp(&t.c, 2);
	ck_assert_uint_eq(t.sh->cons, 2);
	ck_assert_uint_eq(t.entries[0], EU_IDX_NONE);
	ck_assert_uint_eq(t.entries[1], EU_IDX_NONE);
	ck_assert_uint_eq(t.entries[2], 40);
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 3);
	ck_assert_uint_eq(out[0], 40);
	eu_ring_release_mp(&t.c, 3);
	ck_assert_uint_eq(t.sh->cons, 5);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(t.entries[i], EU_IDX_NONE);
	ck_assert_uint_eq(t.cs.pkts, 5);
	ck_assert_uint_eq(t.cs.bursts, 2);
	/* the consumer stops at the first unwritten entry even when later ones are ready */
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 3, &pa), 3); /* 5, 6, 7 */
	eu_ring_put_mp(&t.p, pa + 0, 50);
	eu_ring_put_mp(&t.p, pa + 2, 52);
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 1);
	ck_assert_uint_eq(out[0], 50);
	eu_ring_release_mp(&t.c, 1);
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 0);
	eu_ring_put_mp(&t.p, pa + 1, EU_IDX_HOLE); /* an abandoned position is an entry */
	ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 2);
	ck_assert_uint_eq(out[0], EU_IDX_HOLE);
	ck_assert_uint_eq(out[1], 52);
	eu_ring_release_mp(&t.c, 2);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(t.entries[i], EU_IDX_NONE);
	ck_assert_uint_eq(t.sh->cons, t.sh->prod);
	tring_fini(&t);
}
END_TEST

/* A producer whose cached consumer counter is stale reloads it. */
START_TEST(test_mp_stale_cache)
{
	struct tring t;
	struct eu_ring pb;
	struct eu_side_stats sb = { 0 };
	__u32 pos, out[8], i;

	tring_init(&t, 8, EU_RING_F_MP, 0);
	ck_assert_int_eq(eu_ring_view_init(&pb, t.mem, 8, EU_RING_F_MP, 1, &sb), 0);
	for (int round = 0; round < 2; round++) {
		ck_assert_uint_eq(eu_ring_reserve_mp(&pb, 8, &pos), 8);
		for (i = 0; i < 8; i++)
			eu_ring_put_mp(&pb, pos + i, i);
		ck_assert_uint_eq(eu_ring_peek_mp(&t.c, out, 8), 8);
		eu_ring_release_mp(&t.c, 8);
	}
	/* t.p cached cons + size = 8 while prod is 16: 8 free, not a wrap-around */
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 5, &pos), 5);
	ck_assert_uint_eq(pos, 16);
	ck_assert_uint_eq(eu_ring_reserve_mp(&pb, 5, &pos), 3);
	ck_assert_uint_eq(pos, 21);
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 1, &pos), 0);
	tring_fini(&t);
}
END_TEST

START_TEST(test_mp_wrap_counters)
{
	struct tring t;
	__u32 seq = 0, expect = 0, i;
	int round;

	eu_t_seed();
	tring_init(&t, 16, EU_RING_F_MP, 0xffffffffU - 40);
	for (round = 0; round < 2000; round++) {
		__u32 pos, n = eu_ring_reserve_mp(&t.p, (__u32)eu_t_range(1, 16), &pos), out[16], got;

		/* write back to front: out of order */
		for (i = n; i-- > 0;)
			eu_ring_put_mp(&t.p, pos + i, seq + i);
		seq += n;
		got = eu_ring_peek_mp(&t.c, out, (__u32)eu_t_range(1, 16));
		for (i = 0; i < got; i++)
			eu_check_ueq(out[i], expect + i);
		eu_ring_release_mp(&t.c, got);
		expect += got;
	}
	ck_assert_uint_gt(seq, 41); /* crossed 2^32 */
	eu_check_ueq(t.sh->prod, (__u32)(0xffffffffU - 40 + seq));
	eu_check_ueq(t.sh->cons, (__u32)(0xffffffffU - 40 + expect));
	tring_fini(&t);
}
END_TEST

/* Holes and bad indices through eu_slot_dequeue_ordered() on a bare slot array. */
START_TEST(test_mp_holes_skipped)
{
	struct tring t;
	__u32 state[8], idx[8], pos, i;
	struct eu_slot_stats st;
	struct eu_slots s;

	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 8; i++)
		state[i] = EU_SLOT_RX;
	s.state = state;
	s.nslots = 8;
	s.slot_size = 128;
	s.side = EU_SIDE_VR;
	s.stats = &st;
	tring_init(&t, 8, EU_RING_F_MP, 0);
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 6, &pos), 6);
	eu_ring_put_mp(&t.p, pos + 0, 3);
	eu_ring_put_mp(&t.p, pos + 1, EU_IDX_HOLE);
	eu_ring_put_mp(&t.p, pos + 2, 5);
	eu_ring_put_mp(&t.p, pos + 3, 1000); /* out of range: consumed, counted */
	eu_ring_put_mp(&t.p, pos + 4, EU_IDX_HOLE);
	eu_ring_put_mp(&t.p, pos + 5, 6);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&t.c, &s, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 3);
	ck_assert_uint_eq(idx[0], 3);
	ck_assert_uint_eq(idx[1], 5);
	ck_assert_uint_eq(idx[2], 6);
	ck_assert_uint_eq(st.refused, 1); /* the bad index, not the holes */
	ck_assert_uint_eq(st.moves, 3);
	ck_assert_uint_eq(t.sh->cons, 6);
	for (i = 0; i < 8; i++) {
		ck_assert_uint_eq(t.entries[i], EU_IDX_NONE);
		ck_assert_uint_eq(eu_state_of(state[i]),
				  i == 3 || i == 5 || i == 6 ? EU_SLOT_VR_BUSY : EU_SLOT_RX);
	}
	/* a ring of nothing but holes drains to empty and returns 0 */
	ck_assert_uint_eq(eu_ring_reserve_mp(&t.p, 2, &pos), 2);
	eu_ring_put_mp(&t.p, pos, EU_IDX_HOLE);
	eu_ring_put_mp(&t.p, pos + 1, EU_IDX_HOLE);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&t.c, &s, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 0);
	ck_assert_uint_eq(t.sh->cons, 8);
	ck_assert_uint_eq(t.sh->prod, 8);
	tring_fini(&t);
}
END_TEST

/* Several producer threads, out-of-order writes; every index exactly once, in order per producer. */
#define MP_THREADS 4
#define MP_PER 10000

struct mp_arg {
	struct tring *t;
	__u32 id;
};

static void *mp_producer(void *p)
{
	struct mp_arg *a = p;
	struct eu_ring v;
	struct eu_side_stats st = { 0 };
	__u32 seq = 0, pos, i;
	uint64_t rng = 0x1234567ULL * (a->id + 1);

	if (eu_ring_view_init(&v, a->t->mem, a->t->size, EU_RING_F_MP, 1, &st))
		return (void *)1;
	while (seq < MP_PER) {
		__u32 want, n;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		want = (__u32)(rng % 8) + 1;
		if (want > MP_PER - seq)
			want = MP_PER - seq;
		n = eu_ring_reserve_mp(&v, want, &pos);
		if (!n)
			sched_yield(); /* full: let the consumer run (2-CPU machines) */
		for (i = n; i-- > 0;)
			eu_ring_put_mp(&v, pos + i, a->id << 20 | (seq + i));
		seq += n;
	}
	return NULL;
}

START_TEST(test_mp_threads)
{
	struct tring t;
	pthread_t th[MP_THREADS];
	struct mp_arg args[MP_THREADS];
	__u32 next[MP_THREADS] = { 0 }, out[32], total = 0, i;
	double deadline = eu_t_now_ms() + 60000;

	tring_init(&t, 64, EU_RING_F_MP, 0xfffff000U);
	for (i = 0; i < MP_THREADS; i++) {
		args[i].t = &t;
		args[i].id = i;
		eu_check_ieq(pthread_create(&th[i], NULL, mp_producer, &args[i]), 0);
	}
	while (total < MP_THREADS * MP_PER) {
		__u32 n = eu_ring_peek_mp(&t.c, out, 32);

		for (i = 0; i < n; i++) {
			__u32 id = out[i] >> 20, seq = out[i] & 0xfffff;

			ck_assert_uint_lt(id, MP_THREADS);
			eu_check_msg(seq == next[id], "producer %u: got %u expected %u", id, seq,
				      next[id]);
			next[id]++;
		}
		eu_ring_release_mp(&t.c, n);
		total += n;
		if (!n) {
			eu_check_msg(eu_t_now_ms() < deadline, "stuck at %u", total);
			sched_yield();
		}
	}
	for (i = 0; i < MP_THREADS; i++) {
		void *rv;

		eu_check_ieq(pthread_join(th[i], &rv), 0);
		ck_assert_ptr_null(rv);
		eu_check_ueq(next[i], MP_PER);
	}
	eu_check_ueq(t.sh->prod, t.sh->cons);
	eu_check_ueq(t.cs.pkts, MP_THREADS * MP_PER);
	tring_fini(&t);
}
END_TEST

/* SP producer and consumer in two threads: nothing lost, duplicated or reordered. */
#define SP_ITEMS 300000U

static void *sp_producer(void *p)
{
	struct tring *t = p;
	__u32 seq = 0, in[16], i;

	while (seq < SP_ITEMS) {
		__u32 n;

		for (i = 0; i < 16; i++)
			in[i] = seq + i;
		n = eu_ring_enqueue_burst(&t->p, in, 16);
		if (!n)
			sched_yield();
		seq += n;
	}
	return NULL;
}

START_TEST(test_sp_threads)
{
	struct tring t;
	pthread_t th;
	__u32 expect = 0, out[32], i;

	tring_init(&t, 128, 0, 0xffff0000U);
	ck_assert_int_eq(pthread_create(&th, NULL, sp_producer, &t), 0);
	while (expect < SP_ITEMS) {
		__u32 n = eu_ring_dequeue_burst(&t.c, out, 32);

		for (i = 0; i < n; i++)
			if (out[i] != expect + i)
				ck_abort_msg("got %u expected %u", out[i], expect + i);
		expect += n;
		if (!n)
			sched_yield();
	}
	pthread_join(th, NULL);
	ck_assert_uint_eq(t.ps.pkts, SP_ITEMS);
	ck_assert_uint_eq(t.cs.pkts, SP_ITEMS);
	tring_fini(&t);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *setup = tcase_create("setup");
	TCase *sp = tcase_create("sp");
	TCase *mp = tcase_create("mp");

	tcase_add_test(setup, test_memsize);
	tcase_add_test(setup, test_init_mem_errors);
	tcase_add_test(setup, test_init_mem_fresh);
	tcase_add_test(setup, test_view_init_errors);
	suite_add_tcase(s, setup);

	tcase_set_timeout(sp, 30);
	tcase_add_test(sp, test_empty);
	tcase_add_test(sp, test_full);
	tcase_add_test(sp, test_exact_fit);
	tcase_add_test(sp, test_wrap_entries);
	tcase_add_test(sp, test_wrap_counters);
	tcase_add_test(sp, test_bursts_every_size);
	tcase_add_test(sp, test_api_equivalence);
	tcase_add_test(sp, test_stats_exact);
	tcase_add_test(sp, test_sp_threads);
	suite_add_tcase(s, sp);

	tcase_set_timeout(mp, 60);
	tcase_add_test(mp, test_mp_reserve_order);
	tcase_add_test(mp, test_mp_out_of_order);
	tcase_add_test(mp, test_mp_stale_cache);
	tcase_add_test(mp, test_mp_wrap_counters);
	tcase_add_test(mp, test_mp_holes_skipped);
	tcase_add_test(mp, test_mp_threads);
	suite_add_tcase(s, mp);
	return s;
}

int main(void)
{
	return eu_t_run(ring_suite());
}
