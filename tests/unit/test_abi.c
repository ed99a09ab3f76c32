/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_abi.c - the shared-layout contract (europa/abi.h): sizes and offsets
 * of every shared struct against the documented values, eu_abi_layout() over
 * many random parameter sets, its refusals, and eu_abi_hdr_check() coverage.
 */
#include "eu_unit.h"

#include <stddef.h>

#define OFF(t, f) ((unsigned long)offsetof(struct t, f))

START_TEST(test_constants)
{
	/* "EURO" as bytes on a little-endian machine */
	__u32 m = EU_REGION_MAGIC;

	ck_assert_mem_eq(&m, "EURO", 4);
	ck_assert_uint_eq(EU_ABI_MAJOR, 1);
	ck_assert_uint_eq(EU_CACHE_LINE, 64);
	ck_assert_uint_eq(EU_IDX_NONE, 0xffffffffU);
	ck_assert_uint_eq(EU_IDX_HOLE, 0xfffffffeU);
	ck_assert_uint_eq(EU_MAX_SLOTS, 1U << 24);
	ck_assert_uint_eq(EU_MAX_RING_SIZE, 1U << 24);
	ck_assert_uint_eq(EU_MIN_SLOT_SIZE, 128);
	ck_assert_uint_eq(EU_MAX_SLOT_SIZE, 65536);
	/* indices that are not slots can never be confused with one */
	ck_assert_uint_gt(EU_IDX_HOLE, EU_MAX_SLOTS);
	ck_assert_uint_eq(EU_RING_FILL, 0);
	ck_assert_uint_eq(EU_RING_RX, 1);
	ck_assert_uint_eq(EU_RING_TX, 2);
	ck_assert_uint_eq(EU_RING_COMP, 3);
	ck_assert_uint_eq(EU_RING_COUNT, 4);
	ck_assert_uint_eq(EU_SIDE_VR, 0);
	ck_assert_uint_eq(EU_SIDE_SWITCH, 1);
	ck_assert_uint_eq(EU_SLOT_INVALID, 0);
	ck_assert_uint_eq(EU_SLOT_VR_FREE, 1);
	ck_assert_uint_eq(EU_SLOT_VR_BUSY, 2);
	ck_assert_uint_eq(EU_SLOT_FILL, 3);
	ck_assert_uint_eq(EU_SLOT_SW_FREE, 4);
	ck_assert_uint_eq(EU_SLOT_SW_BUSY, 5);
	ck_assert_uint_eq(EU_SLOT_RX, 6);
	ck_assert_uint_eq(EU_SLOT_TX, 7);
	ck_assert_uint_eq(EU_SLOT_COMP, 8);
	ck_assert_uint_eq(EU_SLOT_STATE_COUNT, 9);
	ck_assert_uint_eq(EU_STATE_MASK, 0xff);
	ck_assert_uint_eq(EU_STATE_GEN_SHIFT, 8);
	ck_assert_uint_eq(EU_STATE_GEN_ONE, 0x100);
}
END_TEST

START_TEST(test_struct_sizes)
{
	ck_assert_uint_eq(sizeof(struct eu_desc), 16);
	ck_assert_uint_eq(sizeof(struct eu_ring_shared), 128);
	ck_assert_uint_eq(sizeof(struct eu_ring_layout), 16);
	ck_assert_uint_eq(sizeof(struct eu_wake), 64);
	ck_assert_uint_eq(sizeof(struct eu_side_stats), 64);
	ck_assert_uint_eq(sizeof(struct eu_ring_stats), 128);
	ck_assert_uint_eq(sizeof(struct eu_slot_stats), 64);
	ck_assert_uint_eq(sizeof(struct eu_region_stats), 640);
	ck_assert_uint_eq(sizeof(struct eu_region_hdr), 192);
}
END_TEST

START_TEST(test_struct_offsets)
{
	/* struct eu_desc */
	ck_assert_uint_eq(OFF(eu_desc, len), 0);
	ck_assert_uint_eq(OFF(eu_desc, off), 2);
	ck_assert_uint_eq(OFF(eu_desc, port), 4);
	ck_assert_uint_eq(OFF(eu_desc, flags), 6);
	ck_assert_uint_eq(OFF(eu_desc, cookie), 8);
	ck_assert_uint_eq(OFF(eu_desc, rsvd), 12);
	/* ring counters each on their own line, entries after both */
	ck_assert_uint_eq(OFF(eu_ring_shared, prod), 0);
	ck_assert_uint_eq(OFF(eu_ring_shared, cons), 64);
	ck_assert_uint_eq(OFF(eu_ring_layout, off), 0);
	ck_assert_uint_eq(OFF(eu_ring_layout, size), 8);
	ck_assert_uint_eq(OFF(eu_ring_layout, flags), 12);
	/* wake line */
	ck_assert_uint_eq(OFF(eu_wake, futex), 0);
	ck_assert_uint_eq(OFF(eu_wake, need_wakeup), 4);
	ck_assert_uint_eq(OFF(eu_wake, sleeps), 8);
	ck_assert_uint_eq(OFF(eu_wake, wakeups), 12);
	/* stats lines */
	ck_assert_uint_eq(OFF(eu_side_stats, pkts), 0);
	ck_assert_uint_eq(OFF(eu_side_stats, bursts), 8);
	ck_assert_uint_eq(OFF(eu_side_stats, stalls), 16);
	ck_assert_uint_eq(OFF(eu_side_stats, refused), 24);
	ck_assert_uint_eq(OFF(eu_ring_stats, prod), 0);
	ck_assert_uint_eq(OFF(eu_ring_stats, cons), 64);
	ck_assert_uint_eq(OFF(eu_slot_stats, moves), 0);
	ck_assert_uint_eq(OFF(eu_slot_stats, refused), 8);
	ck_assert_uint_eq(OFF(eu_slot_stats, reclaimed), 16);
	ck_assert_uint_eq(OFF(eu_region_stats, ring), 0);
	ck_assert_uint_eq(OFF(eu_region_stats, slot), 512);
	/* region header */
	ck_assert_uint_eq(OFF(eu_region_hdr, magic), 0);
	ck_assert_uint_eq(OFF(eu_region_hdr, abi_major), 4);
	ck_assert_uint_eq(OFF(eu_region_hdr, abi_minor), 6);
	ck_assert_uint_eq(OFF(eu_region_hdr, hdr_size), 8);
	ck_assert_uint_eq(OFF(eu_region_hdr, flags), 12);
	ck_assert_uint_eq(OFF(eu_region_hdr, region_size), 16);
	ck_assert_uint_eq(OFF(eu_region_hdr, nslots), 24);
	ck_assert_uint_eq(OFF(eu_region_hdr, slot_size), 28);
	ck_assert_uint_eq(OFF(eu_region_hdr, headroom), 32);
	ck_assert_uint_eq(OFF(eu_region_hdr, vr_slots), 36);
	ck_assert_uint_eq(OFF(eu_region_hdr, wake_off), 40);
	ck_assert_uint_eq(OFF(eu_region_hdr, stats_off), 48);
	ck_assert_uint_eq(OFF(eu_region_hdr, states_off), 56);
	ck_assert_uint_eq(OFF(eu_region_hdr, descs_off), 64);
	ck_assert_uint_eq(OFF(eu_region_hdr, bufs_off), 72);
	ck_assert_uint_eq(OFF(eu_region_hdr, rings), 80);
	ck_assert_uint_eq(OFF(eu_region_hdr, rings[EU_RING_COMP]), 128);
	ck_assert_uint_eq(OFF(eu_region_hdr, hdr_check), 144);
	ck_assert_uint_eq(OFF(eu_region_hdr, live_pad), 148);
	ck_assert_uint_eq(OFF(eu_region_hdr, vr_pid), 152);
	ck_assert_uint_eq(OFF(eu_region_hdr, sw_pid), 156);
	ck_assert_uint_eq(OFF(eu_region_hdr, vr_epoch), 160);
	ck_assert_uint_eq(OFF(eu_region_hdr, sw_epoch), 164);
	ck_assert_uint_eq(OFF(eu_region_hdr, pad), 168);
}
END_TEST

START_TEST(test_align_and_ring_bytes)
{
	ck_assert_uint_eq(eu_abi_align(0, 64), 0);
	ck_assert_uint_eq(eu_abi_align(1, 64), 64);
	ck_assert_uint_eq(eu_abi_align(64, 64), 64);
	ck_assert_uint_eq(eu_abi_align(65, 4096), 4096);
	ck_assert_uint_eq(eu_abi_ring_bytes(1), 192);   /* 128 + 4, to a line */
	ck_assert_uint_eq(eu_abi_ring_bytes(16), 192);  /* 128 + 64 */
	ck_assert_uint_eq(eu_abi_ring_bytes(32), 256);
	ck_assert_uint_eq(eu_abi_ring_bytes(1U << 24), 128 + (4ULL << 24));
}
END_TEST

/* A layout's sections, for the overlap checks. */
struct sec {
	__u64 off, len, align;
};

static void check_layout(const struct eu_region_hdr *h, __u32 buf_align)
{
	struct sec s[6 + EU_RING_COUNT];
	int n = 0, i, j;

	eu_check_ueq(h->magic, EU_REGION_MAGIC);
	eu_check_ueq(h->abi_major, EU_ABI_MAJOR);
	eu_check_ueq(h->abi_minor, EU_ABI_MINOR);
	eu_check_ueq(h->hdr_size, sizeof(*h));
	s[n++] = (struct sec){ 0, sizeof(*h), EU_CACHE_LINE };
	s[n++] = (struct sec){ h->wake_off, sizeof(struct eu_wake) * EU_RING_COUNT, EU_CACHE_LINE };
	s[n++] = (struct sec){ h->stats_off, sizeof(struct eu_region_stats), EU_CACHE_LINE };
	for (i = 0; i < EU_RING_COUNT; i++) {
		ck_assert_uint_ge(eu_abi_ring_bytes(h->rings[i].size),
				  128 + (__u64)h->rings[i].size * 4);
		s[n++] = (struct sec){ h->rings[i].off, eu_abi_ring_bytes(h->rings[i].size),
				       EU_CACHE_LINE };
	}
	s[n++] = (struct sec){ h->states_off, (__u64)h->nslots * 4, EU_CACHE_LINE };
	s[n++] = (struct sec){ h->descs_off, (__u64)h->nslots * sizeof(struct eu_desc),
			       EU_CACHE_LINE };
	s[n++] = (struct sec){ h->bufs_off, (__u64)h->nslots * h->slot_size, buf_align };
	eu_check_ueq(h->region_size % buf_align, 0);
	for (i = 0; i < n; i++) {
		eu_check_msg(s[i].off % s[i].align == 0, "section %d at %" PRIu64 " not aligned to %"
			      PRIu64, i, (uint64_t)s[i].off, (uint64_t)s[i].align);
		eu_check_msg(s[i].off + s[i].len <= h->region_size,
			      "section %d [%" PRIu64 ", +%" PRIu64 ") past region_size %" PRIu64, i,
			      (uint64_t)s[i].off, (uint64_t)s[i].len, (uint64_t)h->region_size);
		for (j = i + 1; j < n; j++)
			eu_check_msg(s[i].off + s[i].len <= s[j].off ||
					      s[j].off + s[j].len <= s[i].off,
				      "sections %d and %d overlap", i, j);
	}
	/* buffers come last and the region is no bigger than it must be */
	ck_assert_uint_lt(h->region_size - (h->bufs_off + (__u64)h->nslots * h->slot_size),
			  buf_align);
}

static __u32 rand_pow2(__u32 max_log2)
{
	return 1U << eu_t_range(0, max_log2);
}

START_TEST(test_layout_random)
{
	int iter;

	eu_t_seed();
	for (iter = 0; iter < 20000; iter++) {
		struct eu_region_hdr h;
		__u32 buf_align = 1U << eu_t_range(6, 21); /* 64 B .. 2 MiB */
		int i;

		memset(&h, 0, sizeof(h));
		switch (iter % 4) {
		case 0: /* anything in range */
			h.nslots = (__u32)eu_t_range(1, EU_MAX_SLOTS);
			break;
		case 1: /* small pools, the common case */
			h.nslots = (__u32)eu_t_range(1, 4096);
			break;
		case 2: /* extremes */
			h.nslots = eu_t_rand() & 1 ? 1 : EU_MAX_SLOTS;
			break;
		default:
			h.nslots = rand_pow2(24);
		}
		h.slot_size = (__u32)eu_t_range(EU_MIN_SLOT_SIZE / 64, EU_MAX_SLOT_SIZE / 64) * 64;
		h.headroom = (__u32)eu_t_range(0, h.slot_size - 1);
		h.vr_slots = (__u32)eu_t_range(0, h.nslots);
		for (i = 0; i < EU_RING_COUNT; i++) {
			h.rings[i].size = iter % 4 == 2 ? (eu_t_rand() & 1 ? 1 : EU_MAX_RING_SIZE)
							: rand_pow2(24);
			h.rings[i].flags = eu_t_rand() & 1 ? EU_RING_F_MP : 0;
		}
		eu_check_ieq(eu_abi_layout(&h, buf_align), 0);
		check_layout(&h, buf_align);
		/* parameters the caller set are left as they were */
		ck_assert_uint_ge(h.slot_size, EU_MIN_SLOT_SIZE);
		ck_assert_uint_le(h.vr_slots, h.nslots);
	}
}
END_TEST

/* A minimal valid parameter set. */
static void good_params(struct eu_region_hdr *h)
{
	int i;

	memset(h, 0, sizeof(*h));
	h->nslots = 64;
	h->slot_size = 2048;
	h->headroom = 128;
	h->vr_slots = 32;
	for (i = 0; i < EU_RING_COUNT; i++)
		h->rings[i].size = 64;
}

START_TEST(test_layout_known)
{
	struct eu_region_hdr h;

	good_params(&h);
	ck_assert_int_eq(eu_abi_layout(&h, 4096), 0);
	/* hand-computed: header 192, wake 256, stats 640, 4 rings of 128 + 256 */
	ck_assert_uint_eq(h.wake_off, 192);
	ck_assert_uint_eq(h.stats_off, 448);
	ck_assert_uint_eq(h.rings[EU_RING_FILL].off, 1088);
	ck_assert_uint_eq(h.rings[EU_RING_RX].off, 1088 + 384);
	ck_assert_uint_eq(h.rings[EU_RING_TX].off, 1088 + 2 * 384);
	ck_assert_uint_eq(h.rings[EU_RING_COMP].off, 1088 + 3 * 384);
	ck_assert_uint_eq(h.states_off, 1088 + 4 * 384);
	ck_assert_uint_eq(h.descs_off, 1088 + 4 * 384 + 256);
	ck_assert_uint_eq(h.bufs_off, 4096);
	ck_assert_uint_eq(h.region_size, 4096 + 64 * 2048);
	check_layout(&h, 4096);
}
END_TEST

START_TEST(test_layout_rejects)
{
	struct eu_region_hdr h;
	int i;
	static const __u32 bad_align[] = { 0, 1, 32, 63, 96, 4095, 4097, 0x80000001U };
	static const __u32 bad_ring[] = { 0, 3, 6, 100, (1U << 24) + 1, 1U << 25, 0x80000000U,
					  0xffffffffU };

	good_params(&h);
	ck_assert_int_eq(eu_abi_layout(&h, 4096), 0);

	good_params(&h);
	h.nslots = 0;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.nslots = EU_MAX_SLOTS + 1;
	h.vr_slots = 0;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.nslots = 0xffffffffU;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.vr_slots = h.nslots + 1;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.vr_slots = h.nslots; /* the bound itself is fine */
	ck_assert_int_eq(eu_abi_layout(&h, 4096), 0);

	good_params(&h);
	h.slot_size = EU_MIN_SLOT_SIZE - 64;
	h.headroom = 0;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.slot_size = EU_MAX_SLOT_SIZE + 64;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.slot_size = 2048 + 32; /* not a multiple of a line */
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.slot_size = 0;
	h.headroom = 0;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.headroom = h.slot_size;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), -1);
	good_params(&h);
	h.headroom = h.slot_size - 1;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), 0);
	good_params(&h);
	h.slot_size = EU_MIN_SLOT_SIZE;
	h.headroom = 0;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), 0);
	good_params(&h);
	h.slot_size = EU_MAX_SLOT_SIZE;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), 0);

	for (i = 0; i < (int)(sizeof(bad_align) / sizeof(bad_align[0])); i++) {
		good_params(&h);
		ck_assert_msg(eu_abi_layout(&h, bad_align[i]) == -1, "buf_align %u accepted",
			      bad_align[i]);
	}
	for (i = 0; i < EU_RING_COUNT * (int)(sizeof(bad_ring) / sizeof(bad_ring[0])); i++) {
		good_params(&h);
		h.rings[i % EU_RING_COUNT].size = bad_ring[i / EU_RING_COUNT];
		ck_assert_msg(eu_abi_layout(&h, 4096) == -1, "ring %d size %u accepted",
			      i % EU_RING_COUNT, bad_ring[i / EU_RING_COUNT]);
	}
}
END_TEST

START_TEST(test_hdr_check_covers_immutable_bytes)
{
	struct eu_region_hdr h;
	unsigned char *p = (unsigned char *)&h;
	__u32 ref;
	size_t i;
	int bit;

	good_params(&h);
	eu_check_ieq(eu_abi_layout(&h, 4096), 0);
	h.hdr_check = ref = eu_abi_hdr_check(&h);
	/* every single-bit change of every immutable byte changes the check */
	for (i = 0; i < offsetof(struct eu_region_hdr, hdr_check); i++) {
		for (bit = 0; bit < 8; bit++) {
			p[i] ^= (unsigned char)(1U << bit);
			eu_check_msg(eu_abi_hdr_check(&h) != ref, "byte %zu bit %d not covered", i,
				      bit);
			p[i] ^= (unsigned char)(1U << bit);
		}
		/* and every other value of the byte too */
		{
			unsigned char keep = p[i];
			unsigned v;

			for (v = 0; v < 256; v++) {
				if (v == keep)
					continue;
				p[i] = (unsigned char)v;
				eu_check_msg(eu_abi_hdr_check(&h) != ref, "byte %zu value %u", i, v);
			}
			p[i] = keep;
		}
	}
	eu_check_ueq(eu_abi_hdr_check(&h), ref);
	/* the check itself and the live fields are not covered: sides write them */
	for (i = offsetof(struct eu_region_hdr, hdr_check); i < sizeof(h); i++) {
		p[i] ^= 0xa5;
		eu_check_ueq(eu_abi_hdr_check(&h), ref);
	}
}
END_TEST

START_TEST(test_hdr_check_random_headers)
{
	/* different random headers give different checks (no trivial collisions) */
	struct eu_region_hdr a, b;
	int i, same = 0;

	eu_t_seed();
	for (i = 0; i < 10000; i++) {
		eu_t_fill_random(&a, sizeof(a));
		memcpy(&b, &a, sizeof(b));
		((unsigned char *)&b)[eu_t_range(0, 143)] ^= (unsigned char)eu_t_range(1, 255);
		ck_assert_uint_ne(eu_abi_hdr_check(&a), eu_abi_hdr_check(&b));
		eu_t_fill_random(&b, sizeof(b));
		same += eu_abi_hdr_check(&a) == eu_abi_hdr_check(&b);
	}
	ck_assert_int_le(same, 1);
}
END_TEST

START_TEST(test_legal_transitions_table)
{
	__u32 s;

	for (s = 0; s < EU_SLOT_STATE_COUNT; s++) {
		ck_assert_uint_eq(eu_slot_legal_mask(s), eu_ref_legal[s]);
		ck_assert_int_eq(eu_slot_state_side(s), eu_ref_owner[s]);
		/* no transition to INVALID or to itself */
		ck_assert_uint_eq(eu_slot_legal_mask(s) & 1U, 0);
		ck_assert_uint_eq(eu_slot_legal_mask(s) & (1U << s), 0);
	}
	for (s = EU_SLOT_STATE_COUNT; s < 300; s++) {
		ck_assert_uint_eq(eu_slot_legal_mask(s), 0);
		ck_assert_int_eq(eu_slot_state_side(s), -1);
	}
	ck_assert_uint_eq(eu_slot_legal_mask(0xffffffffU), 0);
}
END_TEST

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("layout");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_constants);
	tcase_add_test(tc, test_struct_sizes);
	tcase_add_test(tc, test_struct_offsets);
	tcase_add_test(tc, test_align_and_ring_bytes);
	tcase_add_test(tc, test_layout_known);
	tcase_add_test(tc, test_layout_random);
	tcase_add_test(tc, test_layout_rejects);
	tcase_add_test(tc, test_hdr_check_covers_immutable_bytes);
	tcase_add_test(tc, test_hdr_check_random_headers);
	tcase_add_test(tc, test_legal_transitions_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return eu_t_run(abi_suite());
}
