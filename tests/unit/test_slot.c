/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_slot.c - slot state words (europa/slot.h): every (from, to) pair for
 * both sides, with the slot in every state, checked against the documented
 * table; refusals leave the word alone and are counted; burst, filter and
 * EUROPA's ordered dequeue from a multi-producer ring.
 */
#include "eu_unit.h"

#define NSLOTS 16

static int is_legal(__u32 from, __u32 to)
{
	return from < EU_SLOT_STATE_COUNT && to < EU_SLOT_STATE_COUNT && (eu_ref_legal[from] >> to & 1);
}

static int owns(int side, __u32 from)
{
	return from < EU_SLOT_STATE_COUNT && eu_ref_owner[from] == side;
}

struct fix {
	struct eu_region *r;
	struct eu_slots s[EU_SIDE_COUNT];
	__u32 *state;
};

static void fix_init(struct fix *f, __u32 flags)
{
	struct eu_region_opts o = eu_t_opts(NSLOTS, 128);
	int side;

	o.flags = flags;
	o.vr_slots = NSLOTS / 2;
	f->r = eu_region_create("anon", &o);
	ck_assert_msg(f->r != NULL, "create: %s", eu_last_error());
	for (side = 0; side < EU_SIDE_COUNT; side++)
		ck_assert_int_eq(eu_region_slots_view(f->r, side, &f->s[side]), 0);
	f->state = f->s[0].state;
}

static void fix_fini(struct fix *f)
{
	eu_region_destroy(f->r);
}

static struct eu_slot_stats stats_of(struct fix *f, int side)
{
	struct eu_region_stats st;

	eu_region_stats_read(f->r, &st);
	return st.slot[side];
}

START_TEST(test_views)
{
	struct fix f;
	struct eu_slots bad;
	__u32 i;

	fix_init(&f, 0);
	ck_assert_uint_eq(f.s[EU_SIDE_VR].nslots, NSLOTS);
	ck_assert_uint_eq(f.s[EU_SIDE_VR].slot_size, 128);
	ck_assert_uint_eq(f.s[EU_SIDE_VR].headroom, 64);
	ck_assert_uint_eq(f.s[EU_SIDE_VR].side, EU_SIDE_VR);
	ck_assert_uint_eq(f.s[EU_SIDE_SWITCH].side, EU_SIDE_SWITCH);
	ck_assert_ptr_eq(f.s[EU_SIDE_VR].state, f.s[EU_SIDE_SWITCH].state);
	ck_assert_ptr_ne(f.s[EU_SIDE_VR].stats, f.s[EU_SIDE_SWITCH].stats);
	for (i = 0; i < NSLOTS; i++) {
		ck_assert_uint_eq(eu_slot_word(&f.s[0], i),
				  i < NSLOTS / 2 ? EU_SLOT_VR_FREE : EU_SLOT_SW_FREE);
		ck_assert_uint_eq(eu_slot_desc(&f.s[0], i)->off, 64);
		ck_assert_ptr_eq(eu_slot_buf(&f.s[0], i), eu_slot_buf(&f.s[0], 0) + 128 * i);
		ck_assert_ptr_eq(eu_slot_data(&f.s[0], i), eu_slot_buf(&f.s[0], i) + 64);
	}
	ck_assert_int_eq(eu_region_slots_view(f.r, 2, &bad), -EINVAL);
	ck_assert_int_eq(eu_region_slots_view(f.r, -1, &bad), -EINVAL);
	ck_assert_int_eq(eu_region_slots_view(NULL, 0, &bad), -EINVAL);
	ck_assert_str_ne(eu_last_error(), "");
	/* state names */
	ck_assert_str_eq(eu_slot_state_name(EU_SLOT_INVALID), "INVALID");
	ck_assert_str_eq(eu_slot_state_name(EU_SLOT_VR_FREE), "VR_FREE");
	ck_assert_str_eq(eu_slot_state_name(EU_SLOT_COMP), "COMP");
	ck_assert_str_eq(eu_slot_state_name(EU_SLOT_STATE_COUNT), "?");
	ck_assert_str_eq(eu_slot_state_name(0xffffffffU), "?");
	fix_fini(&f);
}
END_TEST

START_TEST(test_word_helpers)
{
	ck_assert_uint_eq(eu_state_of(0x12345607U), 7);
	ck_assert_uint_eq(eu_state_gen(0x12345607U), 0x123456);
	ck_assert_uint_eq(eu_state_next(0x12345607U, EU_SLOT_SW_BUSY), 0x12345705U);
	/* the 24-bit generation wraps without touching the state */
	ck_assert_uint_eq(eu_state_next(0xffffff02U, EU_SLOT_TX), 0x00000007U);
	ck_assert_uint_eq(eu_state_next(0, EU_SLOT_VR_FREE), 0x101U);
}
END_TEST

/* All (from, to) values tried: every state, the first out-of-range one, garbage. */
static const __u32 probe[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, EU_SLOT_STATE_COUNT, 31, 32, 0xff,
			       1000, 0xffffffffU };
#define NPROBE (sizeof(probe) / sizeof(probe[0]))

START_TEST(test_every_pair)
{
	struct fix f;
	int side, legal_done = 0, refused_done = 0;
	size_t a, b;
	__u32 s;

	eu_t_seed();
	fix_init(&f, 0);
	for (side = 0; side < EU_SIDE_COUNT; side++) {
		struct eu_slots *v = &f.s[side];

		for (a = 0; a < NPROBE; a++) {
			for (b = 0; b < NPROBE; b++) {
				__u32 from = probe[a], to = probe[b];

				/* the slot in each state, plus a corrupt state byte */
				for (s = 0; s <= EU_SLOT_STATE_COUNT; s++) {
					__u32 idx = (__u32)eu_t_range(0, NSLOTS - 1);
					__u32 st = s == EU_SLOT_STATE_COUNT ? 0x77 : s;
					__u32 gen = (__u32)eu_t_range(0, 0xffffff);
					__u32 word = gen << EU_STATE_GEN_SHIFT | st, i;
					struct eu_slot_stats before[2], after[2];
					int expect, rc;

					if (!is_legal(from, to))
						expect = -EINVAL;
					else if (!owns(side, from))
						expect = -EPERM;
					else if (st != from)
						expect = -ESTALE;
					else
						expect = 0;
					for (i = 0; i < NSLOTS; i++)
						f.state[i] = i == idx ? word : 0xdead0000U | i;
					before[0] = stats_of(&f, 0);
					before[1] = stats_of(&f, 1);
					rc = eu_slot_move(v, idx, from, to);
					after[0] = stats_of(&f, 0);
					after[1] = stats_of(&f, 1);
					eu_check_msg(rc == expect,
						      "side %d %u->%u in state %u: got %d expected %d",
						      side, from, to, st, rc, expect);
					if (!rc) {
						eu_check_ueq(f.state[idx],
								  ((gen + 1) & 0xffffff)
										  << EU_STATE_GEN_SHIFT |
									  to);
						eu_check_ueq(after[side].moves,
								  before[side].moves + 1);
						eu_check_ueq(after[side].refused,
								  before[side].refused);
						legal_done++;
					} else {
						eu_check_ueq(f.state[idx], word);
						eu_check_ueq(after[side].moves, before[side].moves);
						eu_check_ueq(after[side].refused,
								  before[side].refused + 1);
						refused_done++;
					}
					/* nothing else moved, the other side counted nothing */
					for (i = 0; i < NSLOTS; i++)
						if (i != idx)
							eu_check_ueq(f.state[i], 0xdead0000U | i);
					ck_assert_mem_eq(&after[!side], &before[!side],
							 sizeof(after[0]));

					/* an index out of range is refused first, whatever the pair */
					rc = eu_slot_move(v, NSLOTS + (__u32)eu_t_range(0, 1000), from,
							  to);
					eu_check_ieq(rc, -ERANGE);
					rc = eu_slot_move(v, 0xffffffffU, from, to);
					eu_check_ieq(rc, -ERANGE);
					after[0] = stats_of(&f, side);
					eu_check_ueq(after[0].refused, before[side].refused + 2 +
										    (expect != 0));
					eu_check_ueq(f.state[idx], expect ? word : f.state[idx]);
				}
			}
		}
	}
	/* 18 legal pairs, each done once per side that owns `from`, from the right state */
	eu_check_ieq(legal_done, 18);
	eu_check_ieq(refused_done,
			 (int)(2 * NPROBE * NPROBE * (EU_SLOT_STATE_COUNT + 1)) - legal_done);
	fix_fini(&f);
}
END_TEST

/* Each legal pair, exercised through a whole generation wrap. */
START_TEST(test_generation_wraps)
{
	struct fix f;
	struct eu_slot_stats st;

	fix_init(&f, 0);
	f.state[3] = 0xfffffe00U | EU_SLOT_VR_FREE;
	ck_assert_int_eq(eu_slot_move(&f.s[EU_SIDE_VR], 3, EU_SLOT_VR_FREE, EU_SLOT_FILL), 0);
	ck_assert_uint_eq(f.state[3], 0xffffff00U | EU_SLOT_FILL);
	ck_assert_int_eq(eu_slot_move(&f.s[EU_SIDE_SWITCH], 3, EU_SLOT_FILL, EU_SLOT_SW_FREE), 0);
	ck_assert_uint_eq(f.state[3], EU_SLOT_SW_FREE); /* generation 0 again */
	ck_assert_int_eq(eu_slot_move(&f.s[EU_SIDE_SWITCH], 3, EU_SLOT_SW_FREE, EU_SLOT_SW_BUSY),
			 0);
	ck_assert_uint_eq(f.state[3], 0x100U | EU_SLOT_SW_BUSY);
	st = stats_of(&f, EU_SIDE_SWITCH);
	ck_assert_uint_eq(st.moves, 2);
	ck_assert_uint_eq(st.refused, 0);
	fix_fini(&f);
}
END_TEST

START_TEST(test_move_burst)
{
	struct fix f;
	struct eu_slots *vr;
	struct eu_slot_stats st;
	__u32 idx[8], i;

	fix_init(&f, 0);
	vr = &f.s[EU_SIDE_VR];
	/* all good */
	for (i = 0; i < 4; i++)
		idx[i] = i;
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 4, EU_SLOT_VR_FREE, EU_SLOT_VR_BUSY), 4);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(f.state[i], 0x100U | EU_SLOT_VR_BUSY);
	st = stats_of(&f, EU_SIDE_VR);
	ck_assert_uint_eq(st.moves, 4);
	ck_assert_uint_eq(st.refused, 0);

	/* stop at the first slot in the wrong state: 4, 5 move; 1 (busy) and 6 stay */
	idx[0] = 4;
	idx[1] = 5;
	idx[2] = 1;
	idx[3] = 6;
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 4, EU_SLOT_VR_FREE, EU_SLOT_FILL), 2);
	ck_assert_uint_eq(f.state[4], 0x100U | EU_SLOT_FILL);
	ck_assert_uint_eq(f.state[5], 0x100U | EU_SLOT_FILL);
	ck_assert_uint_eq(f.state[1], 0x100U | EU_SLOT_VR_BUSY);
	ck_assert_uint_eq(f.state[6], EU_SLOT_VR_FREE);
	st = stats_of(&f, EU_SIDE_VR);
	ck_assert_uint_eq(st.moves, 6);
	ck_assert_uint_eq(st.refused, 1);

	/* stop at an index out of range */
	idx[0] = 6;
	idx[1] = NSLOTS;
	idx[2] = 7;
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 3, EU_SLOT_VR_FREE, EU_SLOT_VR_BUSY), 1);
	ck_assert_uint_eq(eu_state_of(f.state[6]), EU_SLOT_VR_BUSY);
	ck_assert_uint_eq(f.state[7], EU_SLOT_VR_FREE);
	st = stats_of(&f, EU_SIDE_VR);
	ck_assert_uint_eq(st.moves, 7);
	ck_assert_uint_eq(st.refused, 2);

	/* a duplicate: the second sight is in the new state already */
	idx[0] = 7;
	idx[1] = 7;
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 2, EU_SLOT_VR_FREE, EU_SLOT_VR_BUSY), 1);
	st = stats_of(&f, EU_SIDE_VR);
	ck_assert_uint_eq(st.moves, 8);
	ck_assert_uint_eq(st.refused, 3);

	/* illegal pair, wrong side, out-of-range states: nothing moves, one refusal each */
	idx[0] = 0;
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 1, EU_SLOT_VR_BUSY, EU_SLOT_RX), 0);
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 1, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 1, EU_SLOT_STATE_COUNT, EU_SLOT_VR_FREE), 0);
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 1, EU_SLOT_VR_BUSY, 40), 0);
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 1, 0xffffffffU, 0xffffffffU), 0);
	ck_assert_uint_eq(f.state[0], 0x100U | EU_SLOT_VR_BUSY);
	st = stats_of(&f, EU_SIDE_VR);
	ck_assert_uint_eq(st.moves, 8);
	ck_assert_uint_eq(st.refused, 8);
	/* zero-length bursts count nothing, legal or not */
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 0, EU_SLOT_VR_BUSY, EU_SLOT_RX), 0);
	ck_assert_uint_eq(eu_slot_move_burst(vr, idx, 0, EU_SLOT_VR_BUSY, EU_SLOT_TX), 0);
	st = stats_of(&f, EU_SIDE_VR);
	ck_assert_uint_eq(st.moves, 8);
	ck_assert_uint_eq(st.refused, 8);
	fix_fini(&f);
}
END_TEST

START_TEST(test_move_filter)
{
	struct fix f;
	struct eu_slots *sw;
	struct eu_slot_stats st;
	__u32 idx[16], i;

	fix_init(&f, 0);
	sw = &f.s[EU_SIDE_SWITCH];
	/* slots 8..15 are SW_FREE; 0..7 VR_FREE */
	idx[0] = 8;
	idx[1] = 3;           /* VR_FREE: wrong state */
	idx[2] = 9;
	idx[3] = 1000;        /* out of range */
	idx[4] = 10;
	idx[5] = 8;           /* duplicate: already moved */
	idx[6] = EU_IDX_NONE; /* out of range */
	idx[7] = 11;
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 8, EU_SLOT_SW_FREE, EU_SLOT_COMP), 4);
	ck_assert_uint_eq(idx[0], 8);
	ck_assert_uint_eq(idx[1], 9);
	ck_assert_uint_eq(idx[2], 10);
	ck_assert_uint_eq(idx[3], 11);
	for (i = 0; i < NSLOTS; i++) {
		__u32 want = i < 8 ? EU_SLOT_VR_FREE
				   : (i <= 11 ? 0x100U | EU_SLOT_COMP : EU_SLOT_SW_FREE);

		ck_assert_uint_eq(f.state[i], want);
	}
	st = stats_of(&f, EU_SIDE_SWITCH);
	ck_assert_uint_eq(st.moves, 4);
	ck_assert_uint_eq(st.refused, 4);

	/* all hostile: nothing moves, each one counted */
	for (i = 0; i < 16; i++)
		idx[i] = i < 8 ? i : NSLOTS + i;
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 16, EU_SLOT_SW_FREE, EU_SLOT_SW_BUSY), 0);
	st = stats_of(&f, EU_SIDE_SWITCH);
	ck_assert_uint_eq(st.moves, 4);
	ck_assert_uint_eq(st.refused, 20);

	/* illegal pair, wrong side, out-of-range states: refused once, nothing touched */
	idx[0] = 12;
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 1, EU_SLOT_SW_FREE, EU_SLOT_RX), 0);
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 1, EU_SLOT_VR_FREE, EU_SLOT_VR_BUSY), 0);
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 1, EU_SLOT_SW_FREE, 40), 0);
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 1, 0xffffffffU, EU_SLOT_SW_BUSY), 0);
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 1, 1000, 1000), 0);
	ck_assert_uint_eq(f.state[12], EU_SLOT_SW_FREE);
	st = stats_of(&f, EU_SIDE_SWITCH);
	ck_assert_uint_eq(st.moves, 4);
	ck_assert_uint_eq(st.refused, 25);
	ck_assert_uint_eq(eu_slot_move_filter(sw, idx, 0, EU_SLOT_SW_FREE, EU_SLOT_RX), 0);
	st = stats_of(&f, EU_SIDE_SWITCH);
	ck_assert_uint_eq(st.refused, 25);
	fix_fini(&f);
}
END_TEST

/*
 * EUROPA's ordered consumption: two producers reserve rx positions in
 * order, write indices and flip states out of order; the consumer takes
 * slots in ring order and stops at one not yet ready.
 */
START_TEST(test_dequeue_ordered)
{
	struct fix f;
	struct eu_ring pa, pb, c;
	struct eu_slots *sw, *vr;
	struct eu_region_stats rs;
	__u32 posa, posb, idx[8], i, *entries;
	const struct eu_region_hdr *h;

	fix_init(&f, EU_REGION_O_RX_MP);
	h = eu_region_header(f.r);
	ck_assert_uint_eq(h->rings[EU_RING_RX].flags, EU_RING_F_MP);
	ck_assert_uint_eq(h->rings[EU_RING_TX].flags, 0);
	sw = &f.s[EU_SIDE_SWITCH];
	vr = &f.s[EU_SIDE_VR];
	ck_assert_int_eq(eu_region_ring_view(f.r, EU_RING_RX, 1, &pa), 0);
	ck_assert_int_eq(eu_region_ring_view(f.r, EU_RING_RX, 1, &pb), 0);
	ck_assert_int_eq(eu_region_ring_view(f.r, EU_RING_RX, 0, &c), 0);
	ck_assert_uint_eq(c.flags, EU_RING_F_MP);
	entries = c.entries;
	for (i = 0; i < c.size; i++)
		ck_assert_uint_eq(entries[i], EU_IDX_NONE);
	for (i = 8; i < 16; i++)
		ck_assert_int_eq(eu_slot_move(sw, i, EU_SLOT_SW_FREE, EU_SLOT_SW_BUSY), 0);

	ck_assert_uint_eq(eu_ring_reserve_mp(&pa, 2, &posa), 2); /* 0, 1 */
	ck_assert_uint_eq(eu_ring_reserve_mp(&pb, 2, &posb), 2); /* 2, 3 */
	ck_assert_uint_eq(posb, 2);
	/* B is done first */
	ck_assert_int_eq(eu_slot_move(sw, 10, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	ck_assert_int_eq(eu_slot_move(sw, 11, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	eu_ring_put_mp(&pb, posb, 10);
	eu_ring_put_mp(&pb, posb + 1, 11);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 0);
	ck_assert_uint_eq(*c.cons, 0);
	/* A writes its first index before the slot is ready: still nothing */
	eu_ring_put_mp(&pa, posa, 8);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 0);
	ck_assert_uint_eq(*c.cons, 0);
	ck_assert_uint_eq(entries[0], 8); /* not consumed, not reset */
	ck_assert_uint_eq(eu_state_of(f.state[8]), EU_SLOT_SW_BUSY);
	/* slot 8 becomes ready: it is taken, the consumer stops at position 1 */
	ck_assert_int_eq(eu_slot_move(sw, 8, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 1);
	ck_assert_uint_eq(idx[0], 8);
	ck_assert_uint_eq(*c.cons, 1);
	ck_assert_uint_eq(entries[0], EU_IDX_NONE);
	ck_assert_uint_eq(f.state[8], 0x300U | EU_SLOT_VR_BUSY);
	/* A finishes: the rest comes in ring order */
	ck_assert_int_eq(eu_slot_move(sw, 9, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	eu_ring_put_mp(&pa, posa + 1, 9);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 3);
	ck_assert_uint_eq(idx[0], 9);
	ck_assert_uint_eq(idx[1], 10);
	ck_assert_uint_eq(idx[2], 11);
	ck_assert_uint_eq(*c.cons, 4);
	for (i = 0; i < c.size; i++)
		ck_assert_uint_eq(entries[i], EU_IDX_NONE);

	/* a not-ready slot in the middle of a written run: taken up to it, then after it */
	ck_assert_uint_eq(eu_ring_reserve_mp(&pa, 3, &posa), 3);
	ck_assert_int_eq(eu_slot_move(sw, 12, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	ck_assert_int_eq(eu_slot_move(sw, 14, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	eu_ring_put_mp(&pa, posa, 12);
	eu_ring_put_mp(&pa, posa + 1, 13); /* still SW_BUSY */
	eu_ring_put_mp(&pa, posa + 2, 14);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 1);
	ck_assert_uint_eq(idx[0], 12);
	ck_assert_uint_eq(eu_state_of(f.state[14]), EU_SLOT_RX); /* not taken past 13 */
	ck_assert_uint_eq(*c.cons, 5);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 0);
	ck_assert_int_eq(eu_slot_move(sw, 13, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 8, EU_SLOT_RX, EU_SLOT_VR_BUSY), 2);
	ck_assert_uint_eq(idx[0], 13);
	ck_assert_uint_eq(idx[1], 14);
	ck_assert_uint_eq(*c.cons, 7);
	ck_assert_uint_eq(*c.prod, 7);

	/* a limit of n stops early and leaves the rest for the next call */
	ck_assert_uint_eq(eu_ring_reserve_mp(&pa, 1, &posa), 1);
	ck_assert_int_eq(eu_slot_move(sw, 15, EU_SLOT_SW_BUSY, EU_SLOT_RX), 0);
	eu_ring_put_mp(&pa, posa, 15);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 0, EU_SLOT_RX, EU_SLOT_VR_BUSY), 0);
	ck_assert_uint_eq(eu_slot_dequeue_ordered(&c, vr, idx, 1, EU_SLOT_RX, EU_SLOT_VR_BUSY), 1);
	ck_assert_uint_eq(idx[0], 15);

	eu_region_stats_read(f.r, &rs);
	ck_assert_uint_eq(rs.ring[EU_RING_RX].cons.pkts, 8);
	ck_assert_uint_eq(rs.slot[EU_SIDE_VR].moves, 8);
	ck_assert_uint_eq(rs.slot[EU_SIDE_VR].refused, 0);
	for (i = 8; i < 16; i++)
		ck_assert_uint_eq(eu_state_of(f.state[i]), EU_SLOT_VR_BUSY);
	fix_fini(&f);
}
END_TEST

static Suite *slot_suite(void)
{
	Suite *s = suite_create("slot");
	TCase *tc = tcase_create("transitions");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_views);
	tcase_add_test(tc, test_word_helpers);
	tcase_add_test(tc, test_every_pair);
	tcase_add_test(tc, test_generation_wraps);
	tcase_add_test(tc, test_move_burst);
	tcase_add_test(tc, test_move_filter);
	tcase_add_test(tc, test_dequeue_ordered);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return eu_t_run(slot_suite());
}
