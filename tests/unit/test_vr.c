/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vr.c - the two ends of a region (europa/vr.h, lib/vr.c): round trips
 * between eu_sw and eu_vr in one process with payload checks (SP and MP rx
 * rings), cache watermarks moving slots through the fill and comp rings,
 * full rings, a hostile VR writing garbage into its tx and fill rings, and
 * eu_vr_init refusing while another live VR is attached.
 */
#include "eu_unit.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

struct fix {
	struct eu_region *r;
	struct eu_vr vr;
	struct eu_sw sw;
};

static void fix_init_opts(struct fix *f, const struct eu_region_opts *o)
{
	f->r = eu_region_create("anon", o);
	ck_assert_msg(f->r != NULL, "%s", eu_last_error());
	ck_assert_int_eq(eu_sw_init(&f->sw, f->r), 0);
	ck_assert_int_eq(eu_vr_init(&f->vr, f->r), 0);
}

static void fix_init(struct fix *f, __u32 nslots, __u32 slot_size, __u32 flags)
{
	struct eu_region_opts o = eu_t_opts(nslots, slot_size);

	o.flags = flags;
	fix_init_opts(f, &o);
}

static void fix_fini(struct fix *f)
{
	eu_vr_fini(&f->vr);
	eu_sw_fini(&f->sw);
	eu_region_destroy(f->r);
}

static struct eu_audit audit(struct fix *f)
{
	struct eu_audit a;

	ck_assert_int_eq(eu_region_audit(f->r, &a), 0);
	ck_assert_uint_eq(a.total, eu_region_header(f->r)->nslots);
	return a;
}

static struct eu_region_stats stats(struct fix *f)
{
	struct eu_region_stats st;

	eu_region_stats_read(f->r, &st);
	return st;
}

static unsigned char pat(__u32 seq, __u32 j)
{
	return (unsigned char)(seq * 7 + j * 13 + (seq >> 8));
}

START_TEST(test_init_fini)
{
	struct eu_region_opts o = eu_t_opts(64, 128);
	struct eu_region *r;
	struct eu_vr vr;
	struct eu_sw sw;
	const struct eu_region_hdr *h;
	__u32 i;

	o.vr_slots = 20;
	r = eu_region_create("anon", &o);
	ck_assert_ptr_nonnull(r);
	h = eu_region_base(r); /* the shared header: its live fields change */
	ck_assert_int_eq(eu_sw_init(&sw, r), 0);
	ck_assert_uint_eq(h->sw_pid, (__u32)getpid());
	ck_assert_uint_eq(h->sw_epoch, 1);
	ck_assert_uint_eq(sw.cache.count, 44);
	ck_assert_uint_eq(sw.cache.cap, 64);
	ck_assert_int_eq(eu_vr_init(&vr, r), 0);
	ck_assert_uint_eq(h->vr_pid, (__u32)getpid());
	ck_assert_uint_eq(h->vr_epoch, 1);
	ck_assert_uint_eq(vr.cache.count, 20);
	ck_assert_uint_eq(vr.rx_mp, 0);
	/* the cache hands out low indices first */
	for (i = 0; i < 20; i++)
		ck_assert_uint_eq(vr.cache.idx[vr.cache.count - 1 - i], i);
	eu_vr_fini(&vr);
	ck_assert_uint_eq(h->vr_pid, 0);
	/* a VR may attach again, and the epoch says so */
	ck_assert_int_eq(eu_vr_init(&vr, r), 0);
	ck_assert_uint_eq(h->vr_epoch, 2);
	eu_vr_fini(&vr);
	eu_vr_fini(&vr); /* twice is harmless */
	eu_sw_fini(&sw);
	ck_assert_uint_eq(h->sw_pid, 0);
	eu_vr_fini(NULL);
	eu_sw_fini(NULL);
	ck_assert_int_eq(eu_vr_init(NULL, r), -EINVAL);
	ck_assert_int_eq(eu_vr_init(&vr, NULL), -EINVAL);
	ck_assert_int_eq(eu_sw_init(&sw, NULL), -EINVAL);
	ck_assert_int_eq(eu_sw_reclaim(NULL), -EINVAL);
	eu_region_destroy(r);
}
END_TEST

/*
 * Frames from the switch to the VR and back, in random bursts, with random
 * lengths and ports; the VR rewrites each frame in place.
 */
static void round_trip(__u32 flags)
{
	struct fix f;
	__u32 seq_rx = 0, seq_vr = 0, seq_tx = 0, total = 20000, idx[64], i, j, n;
	__u32 *lens = calloc(total + 64, sizeof(*lens));
	struct eu_txpkt pk[64];
	struct eu_region_stats st;
	struct eu_audit a;
	__u32 room;

	eu_t_seed();
	fix_init(&f, 256, 2048, flags);
	eu_check_ueq(f.vr.rx_mp, !!(flags & EU_REGION_O_RX_MP));
	eu_check_ueq(f.sw.rx_mp, !!(flags & EU_REGION_O_RX_MP));
	room = 2048 - 64;
	while (seq_tx < total) {
		/* switch: receive a burst */
		n = (__u32)eu_t_range(1, 64);
		if (n > total - seq_rx)
			n = total - seq_rx;
		n = eu_sw_rx_alloc(&f.sw, idx, n);
		for (i = 0; i < n; i++) {
			struct eu_desc *d = eu_sw_desc(&f.sw, idx[i]);
			unsigned char *p = eu_sw_buf(&f.sw, idx[i]) + d->off;
			__u32 len = (__u32)eu_t_range(1, room);

			eu_check_ueq(d->off, 64);
			lens[seq_rx + i] = len;
			d->len = (__u16)len;
			d->port = (__u16)((seq_rx + i) % 7);
			d->cookie = seq_rx + i;
			for (j = 0; j < len; j++)
				p[j] = pat(seq_rx + i, j);
		}
		eu_check_ueq(eu_sw_rx_publish(&f.sw, idx, n), n);
		seq_rx += n;
		/* VR: take what is there, check, rewrite, send on */
		n = eu_vr_rx_burst(&f.vr, idx, (__u32)eu_t_range(1, 64));
		for (i = 0; i < n; i++) {
			struct eu_desc *d = eu_vr_desc(&f.vr, idx[i]);
			unsigned char *p = eu_vr_data(&f.vr, idx[i]);
			__u32 s = seq_vr + i;

			eu_check_ueq(d->cookie, s); /* in order */
			eu_check_ueq(d->len, lens[s]);
			eu_check_ueq(d->port, s % 7);
			for (j = 0; j < d->len; j++)
				if (p[j] != pat(s, j))
					ck_abort_msg("frame %u byte %u: %u != %u", s, j, p[j],
						     pat(s, j));
			p[0] ^= 0xff;
			d->port = (__u16)(100 + s % 3);
		}
		seq_vr += n;
		eu_check_ueq(eu_vr_tx_burst(&f.vr, idx, n), n);
		/* switch: transmit and free */
		n = eu_sw_tx_burst(&f.sw, pk, (__u32)eu_t_range(1, 64));
		for (i = 0; i < n; i++) {
			__u32 s = seq_tx + i;
			unsigned char *p = eu_sw_buf(&f.sw, pk[i].idx) + pk[i].off;

			eu_check_ueq(eu_sw_desc(&f.sw, pk[i].idx)->cookie, s);
			eu_check_ueq(pk[i].len, lens[s]);
			eu_check_ueq(pk[i].off, 64);
			eu_check_ueq(pk[i].port, 100 + s % 3);
			eu_check_ueq(p[0], pat(s, 0) ^ 0xff);
			eu_check_ueq(p[pk[i].len - 1], pk[i].len == 1 ? (pat(s, 0) ^ 0xff)
									: pat(s, pk[i].len - 1));
			idx[i] = pk[i].idx;
		}
		eu_check_ueq(eu_sw_free_burst(&f.sw, idx, n), n);
		seq_tx += n;
	}
	eu_check_ueq(seq_vr, total);
	st = stats(&f);
	eu_check_ueq(st.ring[EU_RING_RX].prod.pkts, total);
	eu_check_ueq(st.ring[EU_RING_RX].cons.pkts, total);
	eu_check_ueq(st.ring[EU_RING_TX].prod.pkts, total);
	eu_check_ueq(st.ring[EU_RING_TX].cons.pkts, total);
	eu_check_ueq(st.slot[EU_SIDE_VR].refused, 0);
	eu_check_ueq(st.slot[EU_SIDE_SWITCH].refused, 0);
	eu_check_ueq(f.sw.bad[EU_BAD_TX_LEN], 0);
	a = audit(&f);
	eu_check_ieq(a.consistent, 1);
	eu_check_ueq(a.state[EU_SLOT_VR_BUSY] + a.state[EU_SLOT_SW_BUSY], 0);
	free(lens);
	fix_fini(&f);
}

START_TEST(test_round_trip_sp)
{
	round_trip(0);
}
END_TEST

START_TEST(test_round_trip_mp)
{
	round_trip(EU_REGION_O_RX_MP);
}
END_TEST

/* Frames the VR makes itself: alloc, write, transmit; the switch sees them. */
START_TEST(test_vr_originated)
{
	struct fix f;
	__u32 idx[32], i, n, seq = 0;
	struct eu_txpkt pk[32];
	int round;

	fix_init(&f, 128, 256, 0);
	for (round = 0; round < 500; round++) {
		n = eu_vr_alloc_burst(&f.vr, idx, 32);
		ck_assert_uint_gt(n, 0);
		for (i = 0; i < n; i++) {
			struct eu_desc *d = eu_vr_desc(&f.vr, idx[i]);
			unsigned char *p = eu_vr_data(&f.vr, idx[i]);

			eu_check_ueq(d->off, 64); /* reset to the headroom */
			eu_check_ueq(d->len, 0);
			eu_check_ueq(d->flags, 0);
			d->len = 4;
			memcpy(p, &(__u32){ seq + i }, 4);
		}
		eu_check_ueq(eu_vr_tx_burst(&f.vr, idx, n), n);
		eu_check_ueq(eu_sw_tx_burst(&f.sw, pk, 32), n);
		for (i = 0; i < n; i++) {
			__u32 v;

			memcpy(&v, eu_sw_buf(&f.sw, pk[i].idx) + pk[i].off, 4);
			eu_check_ueq(v, seq + i);
			idx[i] = pk[i].idx;
		}
		seq += n;
		eu_check_ueq(eu_sw_free_burst(&f.sw, idx, n), n);
	}
	/* slots made the full circle back to the VR through the comp ring */
	ck_assert_uint_gt(stats(&f).ring[EU_RING_COMP].cons.pkts, 0);
	eu_check_ieq(audit(&f).consistent, 1);
	fix_fini(&f);
}
END_TEST

/* Watermarks: an overfull cache gives half away; an empty one takes from the other ring. */
START_TEST(test_cache_watermarks)
{
	struct fix f;
	struct eu_audit a;
	__u32 idx[256], i, n;
	struct eu_txpkt pk[256];

	fix_init(&f, 256, 128, 0);
	ck_assert_uint_eq(f.vr.cache.high, 128);
	ck_assert_uint_eq(f.sw.cache.high, 128);
	ck_assert_uint_eq(f.vr.cache.count, 128);
	ck_assert_uint_eq(f.sw.cache.count, 128);

	/* 100 frames to the VR, dropped there: the VR's cache overflows into the fill ring */
	ck_assert_uint_eq(eu_sw_rx_alloc(&f.sw, idx, 100), 100);
	for (i = 0; i < 100; i++)
		eu_sw_desc(&f.sw, idx[i])->len = 60;
	ck_assert_uint_eq(eu_sw_rx_publish(&f.sw, idx, 100), 100);
	ck_assert_uint_eq(eu_vr_rx_burst(&f.vr, idx, 256), 100);
	ck_assert_uint_eq(eu_vr_free_burst(&f.vr, idx, 100), 100);
	ck_assert_uint_eq(f.vr.cache.count, 114);
	a = audit(&f);
	ck_assert_uint_eq(a.state[EU_SLOT_FILL], 114);
	ck_assert_uint_eq(a.ring_count[EU_RING_FILL], 114);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_FREE], 114);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_FREE], 28);
	ck_assert_int_eq(a.consistent, 1);

	/* the switch's cache runs short: it takes the fill ring */
	ck_assert_uint_eq(eu_sw_rx_alloc(&f.sw, idx, 50), 50);
	ck_assert_uint_eq(f.sw.cache.count, 28 + 114 - 50);
	a = audit(&f);
	ck_assert_uint_eq(a.state[EU_SLOT_FILL], 0);
	ck_assert_uint_eq(a.ring_count[EU_RING_FILL], 0);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_BUSY], 50);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_FREE], 92);
	ck_assert_uint_eq(stats(&f).ring[EU_RING_FILL].cons.pkts, 114);

	/* they come back on tx: the switch's cache overflows into the comp ring */
	for (i = 0; i < 50; i++)
		eu_sw_desc(&f.sw, idx[i])->len = 60;
	ck_assert_uint_eq(eu_sw_rx_publish(&f.sw, idx, 50), 50);
	ck_assert_uint_eq(eu_vr_rx_burst(&f.vr, idx, 256), 50);
	ck_assert_uint_eq(eu_vr_tx_burst(&f.vr, idx, 50), 50);
	ck_assert_uint_eq(eu_sw_tx_burst(&f.sw, pk, 256), 50);
	for (i = 0; i < 50; i++)
		idx[i] = pk[i].idx;
	ck_assert_uint_eq(eu_sw_free_burst(&f.sw, idx, 50), 50);
	ck_assert_uint_eq(f.sw.cache.count, 71);
	a = audit(&f);
	ck_assert_uint_eq(a.state[EU_SLOT_COMP], 71);
	ck_assert_uint_eq(a.ring_count[EU_RING_COMP], 71);
	ck_assert_int_eq(a.consistent, 1);

	/* the VR's cache runs short: it reaps the comp ring */
	n = eu_vr_alloc_burst(&f.vr, idx, 120);
	ck_assert_uint_eq(n, 120);
	ck_assert_uint_eq(f.vr.cache.count, 114 + 71 - 120);
	a = audit(&f);
	ck_assert_uint_eq(a.state[EU_SLOT_COMP], 0);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_BUSY], 120);
	ck_assert_uint_eq(stats(&f).ring[EU_RING_COMP].cons.pkts, 71);
	ck_assert_uint_eq(eu_vr_free_burst(&f.vr, idx, 120), 120);
	ck_assert_uint_eq(f.vr.cache.count, 93);
	a = audit(&f);
	ck_assert_uint_eq(a.state[EU_SLOT_FILL], 92);
	ck_assert_int_eq(a.consistent, 1);
	ck_assert_uint_eq(a.owned[EU_SIDE_VR] + a.owned[EU_SIDE_SWITCH] + a.in_flight, 256);

	/* asking for more than exists gives what there is */
	n = eu_vr_alloc_burst(&f.vr, idx, 256);
	ck_assert_uint_eq(n, 93);
	ck_assert_uint_eq(eu_vr_free_burst(&f.vr, idx, n), n);
	fix_fini(&f);
}
END_TEST

/* Small rings: publish and transmit give short counts, the rest stays the caller's. */
START_TEST(test_ring_full)
{
	static const __u32 flags[] = { 0, EU_REGION_O_RX_MP };
	size_t k;

	for (k = 0; k < 2; k++) {
		struct eu_region_opts o = eu_t_opts(64, 128);
		struct fix f;
		__u32 idx[64], i;
		struct eu_txpkt pk[64];

		o.ring_size = 16;
		o.flags = flags[k];
		fix_init_opts(&f, &o);
		ck_assert_uint_eq(eu_sw_rx_alloc(&f.sw, idx, 32), 32);
		for (i = 0; i < 32; i++)
			eu_sw_desc(&f.sw, idx[i])->len = 60;
		ck_assert_uint_eq(eu_sw_rx_publish(&f.sw, idx, 32), 16);
		ck_assert_uint_eq(stats(&f).ring[EU_RING_RX].prod.stalls, 1);
		for (i = 16; i < 32; i++)
			ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, idx[i])),
					  EU_SLOT_SW_BUSY);
		ck_assert_uint_eq(eu_sw_free_burst(&f.sw, idx + 16, 16), 16);
		ck_assert_uint_eq(eu_vr_rx_burst(&f.vr, idx, 64), 16);
		ck_assert_uint_eq(eu_vr_free_burst(&f.vr, idx, 16), 16);

		ck_assert_uint_eq(eu_vr_alloc_burst(&f.vr, idx, 32), 32);
		for (i = 0; i < 32; i++)
			eu_vr_desc(&f.vr, idx[i])->len = 60;
		ck_assert_uint_eq(eu_vr_tx_burst(&f.vr, idx, 32), 16);
		for (i = 16; i < 32; i++)
			ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.vr.slots, idx[i])),
					  EU_SLOT_VR_BUSY);
		ck_assert_uint_eq(eu_sw_tx_burst(&f.sw, pk, 64), 16);
		for (i = 0; i < 16; i++)
			ck_assert_uint_eq(pk[i].idx, idx[i]);
		ck_assert_uint_eq(eu_vr_tx_burst(&f.vr, idx + 16, 16), 16);
		ck_assert_uint_eq(eu_sw_tx_burst(&f.sw, pk + 16, 64), 16);
		for (i = 0; i < 32; i++) {
			ck_assert_uint_eq(pk[i].idx, idx[i]);
			idx[i] = pk[i].idx;
		}
		ck_assert_uint_eq(eu_sw_free_burst(&f.sw, idx, 32), 32);
		ck_assert_int_eq(audit(&f).consistent, 1);
		fix_fini(&f);
	}
}
END_TEST

/* eu_vr_tx_burst stops at a slot that is not the VR's and leaks no ring position. */
START_TEST(test_tx_stops_at_foreign_slot)
{
	struct fix f;
	__u32 idx[4], mine[3], i;
	struct eu_txpkt pk[8];

	fix_init(&f, 64, 128, 0);
	ck_assert_uint_eq(eu_vr_alloc_burst(&f.vr, mine, 3), 3);
	for (i = 0; i < 3; i++)
		eu_vr_desc(&f.vr, mine[i])->len = 10;
	idx[0] = mine[0];
	idx[1] = 40; /* a switch slot */
	idx[2] = mine[1];
	ck_assert_uint_eq(eu_vr_tx_burst(&f.vr, idx, 3), 1);
	ck_assert_uint_eq(*f.vr.tx.prod, 1);
	ck_assert_uint_eq(stats(&f).slot[EU_SIDE_VR].refused, 1);
	ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.vr.slots, 40)), EU_SLOT_SW_FREE);
	ck_assert_uint_eq(eu_vr_tx_burst(&f.vr, mine + 1, 2), 2);
	ck_assert_uint_eq(*f.vr.tx.prod, 3);
	ck_assert_uint_eq(eu_sw_tx_burst(&f.sw, pk, 8), 3);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(pk[i].idx, mine[i]);
	/* freeing a slot that is not VR_BUSY is refused and counted */
	ck_assert_uint_eq(eu_vr_free_burst(&f.vr, mine, 1), 0);
	ck_assert_uint_eq(stats(&f).slot[EU_SIDE_VR].refused, 2);
	fix_fini(&f);
}
END_TEST

/* eu_sw_rx_publish stops at an index the switch does not hold busy, SP and MP alike. */
START_TEST(test_publish_stops_at_foreign_slot)
{
	static const __u32 flags[] = { 0, EU_REGION_O_RX_MP };
	size_t k;

	for (k = 0; k < 2; k++) {
		struct fix f;
		__u32 idx[4], got[8], held;

		fix_init(&f, 64, 128, flags[k]);
		ck_assert_uint_eq(eu_sw_rx_alloc(&f.sw, idx, 3), 3);
		held = idx[1];
		idx[1] = 5; /* a VR slot */
		ck_assert_uint_eq(eu_sw_rx_publish(&f.sw, idx, 3), 1);
		ck_assert_uint_eq(*f.sw.rx.prod, 1); /* no position reserved for the rest */
		ck_assert_uint_eq(stats(&f).slot[EU_SIDE_SWITCH].refused, 1);
		ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, 5)), EU_SLOT_VR_FREE);
		ck_assert_uint_eq(eu_vr_rx_burst(&f.vr, got, 8), 1);
		ck_assert_uint_eq(got[0], idx[0]);
		ck_assert_uint_eq(*f.vr.rx.cons, 1);
		ck_assert_uint_eq(eu_vr_rx_burst(&f.vr, got + 1, 7), 0);
		/* a slot already published is no longer the switch's to publish */
		ck_assert_uint_eq(eu_sw_rx_publish(&f.sw, idx, 1), 0);
		ck_assert_uint_eq(eu_sw_rx_publish(&f.sw, (const __u32[]){ 1000 }, 1), 0);
		/* the refused ones are still the switch's */
		ck_assert_uint_eq(eu_sw_free_burst(&f.sw, &held, 1), 1);
		ck_assert_uint_eq(eu_sw_free_burst(&f.sw, &idx[2], 1), 1);
		ck_assert_uint_eq(eu_vr_free_burst(&f.vr, got, 1), 1);
		ck_assert_int_eq(audit(&f).consistent, 1);
		fix_fini(&f);
	}
}
END_TEST

/*
 * A hostile VR writes its tx ring by hand: indices out of range, a
 * duplicate, slots in the wrong state, bad lengths and offsets. The switch
 * refuses and counts each, and hands on only the good frames.
 */
START_TEST(test_hostile_tx)
{
	struct fix f;
	__u32 g[6], vr_free, sw_free, pos, i, n, before_cache;
	struct eu_txpkt pk[32];
	struct eu_region_stats st0, st1;
	struct eu_audit a;
	__u32 entries[12];
	const __u32 slot = 256;

	fix_init(&f, 64, 256, 0);
	ck_assert_uint_eq(eu_vr_alloc_burst(&f.vr, g, 6), 6);
	vr_free = f.vr.cache.idx[f.vr.cache.count - 1]; /* still in the VR's cache */
	sw_free = f.sw.cache.idx[f.sw.cache.count - 1]; /* the switch's own free slot */
	for (i = 0; i < 6; i++) {
		eu_vr_desc(&f.vr, g[i])->off = 64;
		eu_vr_desc(&f.vr, g[i])->len = 100;
		eu_vr_desc(&f.vr, g[i])->port = (__u16)i;
		ck_assert_int_eq(eu_slot_move(&f.vr.slots, g[i], EU_SLOT_VR_BUSY, EU_SLOT_TX), 0);
	}
	eu_vr_desc(&f.vr, g[2])->len = 0;                   /* empty */
	eu_vr_desc(&f.vr, g[3])->off = 100;                 /* off + len past the end */
	eu_vr_desc(&f.vr, g[3])->len = (__u16)(slot - 99);
	eu_vr_desc(&f.vr, g[4])->off = 0xffff;              /* both huge */
	eu_vr_desc(&f.vr, g[4])->len = 0xffff;
	eu_vr_desc(&f.vr, g[5])->off = 0;                   /* the whole buffer: fine */
	eu_vr_desc(&f.vr, g[5])->len = (__u16)slot;
	entries[0] = g[0];
	entries[1] = 9999;        /* out of range */
	entries[2] = g[1];
	entries[3] = EU_IDX_NONE; /* out of range */
	entries[4] = g[0];        /* duplicate */
	entries[5] = vr_free;     /* wrong state: VR_FREE */
	entries[6] = g[2];
	entries[7] = g[3];
	entries[8] = sw_free;     /* wrong state: the switch's own SW_FREE */
	entries[9] = g[4];
	entries[10] = g[5];
	entries[11] = 64;         /* == nslots */
	ck_assert_uint_eq(eu_ring_reserve(&f.vr.tx, 12, &pos), 12);
	for (i = 0; i < 12; i++)
		*eu_ring_entry(&f.vr.tx, pos + i) = entries[i];
	eu_ring_submit(&f.vr.tx, 12);

	st0 = stats(&f);
	before_cache = f.sw.cache.count;
	n = eu_sw_tx_burst(&f.sw, pk, 32);
	st1 = stats(&f);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(pk[0].idx, g[0]);
	ck_assert_uint_eq(pk[1].idx, g[1]);
	ck_assert_uint_eq(pk[2].idx, g[5]);
	ck_assert_uint_eq(pk[0].off, 64);
	ck_assert_uint_eq(pk[0].len, 100);
	ck_assert_uint_eq(pk[1].port, 1);
	ck_assert_uint_eq(pk[2].off, 0);
	ck_assert_uint_eq(pk[2].len, slot);
	/* 3 out of range, 1 duplicate + 1 switch-held slot, 1 wrong state; 3 bad lengths */
	ck_assert_uint_eq(st1.slot[EU_SIDE_SWITCH].refused - st0.slot[EU_SIDE_SWITCH].refused, 6);
	ck_assert_uint_eq(f.sw.bad[EU_BAD_IDX], 3);
	ck_assert_uint_eq(f.sw.bad[EU_BAD_OWNER], 2);
	ck_assert_uint_eq(f.sw.bad[EU_BAD_STATE], 1);
	ck_assert_uint_eq(f.sw.bad[EU_BAD_TX_LEN], 3);
	ck_assert_uint_eq(st1.ring[EU_RING_TX].cons.pkts, 12);
	ck_assert_uint_eq(*f.sw.tx.cons, *f.sw.tx.prod);
	/* bad lengths: taken back free into the switch's cache */
	ck_assert_uint_eq(f.sw.cache.count, before_cache + 3);
	for (i = 2; i <= 4; i++)
		ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, g[i])), EU_SLOT_SW_FREE);
	/* wrong-state slots untouched */
	ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, vr_free)), EU_SLOT_VR_FREE);
	ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, sw_free)), EU_SLOT_SW_FREE);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, pk[i].idx)),
				  EU_SLOT_SW_BUSY);
	for (i = 0; i < 3; i++)
		g[i] = pk[i].idx;
	ck_assert_uint_eq(eu_sw_free_burst(&f.sw, g, 3), 3);
	a = audit(&f);
	ck_assert_int_eq(a.consistent, 1);
	ck_assert_uint_eq(a.state[EU_SLOT_INVALID], 0);
	/* the switch cache holds no duplicates: every index once */
	{
		unsigned char seen[64] = { 0 };

		for (i = 0; i < f.sw.cache.count; i++) {
			ck_assert_uint_lt(f.sw.cache.idx[i], 64);
			ck_assert_uint_eq(seen[f.sw.cache.idx[i]]++, 0);
			ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, f.sw.cache.idx[i])),
					  EU_SLOT_SW_FREE);
		}
	}
	fix_fini(&f);
}
END_TEST

/* More than a burst's worth of garbage: the switch drains it 256 at a time. */
START_TEST(test_hostile_tx_flood)
{
	struct eu_region_opts o = eu_t_opts(64, 128);
	struct fix f;
	__u32 pos, i;
	struct eu_txpkt pk[512];

	o.ring_size = 1024;
	fix_init_opts(&f, &o);
	eu_check_ueq(eu_ring_reserve(&f.vr.tx, 1000, &pos), 1000);
	for (i = 0; i < 1000; i++)
		*eu_ring_entry(&f.vr.tx, pos + i) = i % 3 ? 0xdeadbeefU : i % 64;
	eu_ring_submit(&f.vr.tx, 1000);
	eu_check_ueq(eu_sw_tx_burst(&f.sw, pk, 512), 0);
	eu_check_ueq(*f.sw.tx.cons - pos, 256);
	for (i = 0; i < 3; i++)
		eu_check_ueq(eu_sw_tx_burst(&f.sw, pk, 512), 0);
	eu_check_ueq(*f.sw.tx.cons, *f.sw.tx.prod);
	eu_check_ueq(stats(&f).slot[EU_SIDE_SWITCH].refused, 1000);
	eu_check_ueq(f.sw.bad[EU_BAD_IDX] + f.sw.bad[EU_BAD_OWNER] + f.sw.bad[EU_BAD_STATE],
			  1000);
	eu_check_ueq(f.sw.bad[EU_BAD_IDX], 666);
	eu_check_ueq(audit(&f).state[EU_SLOT_VR_FREE], 32);
	fix_fini(&f);
}
END_TEST

/*
 * A hostile VR writes its fill ring by hand, and scribbles on the state word
 * of a slot the switch holds: the switch takes only what it is due and never
 * holds a slot twice.
 */
START_TEST(test_hostile_fill)
{
	struct fix f;
	__u32 pos, busy, idx[64], held[32], n, i, freeidx, mine;
	unsigned char seen[64] = { 0 };

	fix_init(&f, 64, 128, 0);
	ck_assert_uint_eq(eu_vr_alloc_burst(&f.vr, &busy, 1), 1); /* VR_BUSY: not free */
	freeidx = f.vr.cache.idx[--f.vr.cache.count];
	ck_assert_int_eq(eu_slot_move(&f.vr.slots, freeidx, EU_SLOT_VR_FREE, EU_SLOT_FILL), 0);
	/* drain the switch's cache so it must take the fill ring */
	ck_assert_uint_eq(eu_sw_rx_alloc(&f.sw, held, 32), 32);
	mine = f.sw.cache.count; /* 0 */
	ck_assert_uint_eq(mine, 0);
	/* the VR forges the state of a slot the switch holds busy */
	f.vr.slots.state[held[5]] = EU_SLOT_FILL;
	ck_assert_uint_eq(eu_ring_reserve(&f.vr.fill, 7, &pos), 7);
	*eu_ring_entry(&f.vr.fill, pos + 0) = 1000;
	*eu_ring_entry(&f.vr.fill, pos + 1) = busy;
	*eu_ring_entry(&f.vr.fill, pos + 2) = freeidx;
	*eu_ring_entry(&f.vr.fill, pos + 3) = freeidx; /* duplicate */
	*eu_ring_entry(&f.vr.fill, pos + 4) = held[5]; /* forged: the switch holds it */
	*eu_ring_entry(&f.vr.fill, pos + 5) = EU_IDX_HOLE;
	*eu_ring_entry(&f.vr.fill, pos + 6) = held[6]; /* the switch's, state not forged */
	eu_ring_submit(&f.vr.fill, 7);
	n = eu_sw_rx_alloc(&f.sw, idx, 64);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(idx[0], freeidx);
	ck_assert_uint_eq(stats(&f).slot[EU_SIDE_SWITCH].refused, 6);
	ck_assert_uint_eq(f.sw.bad[EU_BAD_IDX], 2);
	ck_assert_uint_eq(f.sw.bad[EU_BAD_OWNER], 3);
	ck_assert_uint_eq(f.sw.bad[EU_BAD_STATE], 1);
	ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, busy)), EU_SLOT_VR_BUSY);
	ck_assert_uint_eq(eu_state_of(eu_slot_word(&f.sw.slots, freeidx)), EU_SLOT_SW_BUSY);
	/* the forged slot is still the switch's: freeing it works, exactly once */
	ck_assert_uint_eq(eu_sw_free_burst(&f.sw, held, 32), 32);
	ck_assert_uint_eq(eu_sw_free_burst(&f.sw, held + 5, 1), 0);
	ck_assert_uint_eq(eu_sw_free_burst(&f.sw, idx, 1), 1);
	for (i = 0; i < f.sw.cache.count; i++) {
		ck_assert_uint_lt(f.sw.cache.idx[i], 64);
		ck_assert_uint_eq(seen[f.sw.cache.idx[i]]++, 0);
	}
	ck_assert_uint_eq(f.sw.cache.count, 33);
	fix_fini(&f);
}
END_TEST

/* eu_vr_init refuses while another live process is the region's VR. */
START_TEST(test_vr_busy)
{
	struct eu_region_opts o = eu_t_opts(64, 128);
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_region_hdr *h;
	struct eu_vr vr;
	struct eu_sw sw;
	char pidstr[32];
	pid_t child;
	int status, rc;

	ck_assert_ptr_nonnull(r);
	h = eu_region_base(r);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	h->vr_pid = (__u32)child;
	ck_assert_int_eq(eu_vr_init(&vr, r), -EBUSY);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)child);
	ck_assert_msg(strstr(eu_last_error(), pidstr) != NULL, "message: %s", eu_last_error());
	ck_assert_uint_eq(h->vr_pid, (__u32)child); /* a refused init changes nothing */
	ck_assert_uint_eq(h->vr_epoch, 0);
	/* the switch side likewise */
	h->sw_pid = (__u32)child;
	ck_assert_int_eq(eu_sw_init(&sw, r), -EBUSY);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	/* the process is gone: both may attach */
	rc = eu_vr_init(&vr, r);
	ck_assert_msg(rc == 0, "vr init after the VR died: %d %s", rc, eu_last_error());
	ck_assert_uint_eq(h->vr_pid, (__u32)getpid());
	ck_assert_int_eq(eu_sw_init(&sw, r), 0);
	ck_assert_uint_eq(h->sw_pid, (__u32)getpid());
	eu_vr_fini(&vr);
	/* one eu_vr per region, also within one process */
	ck_assert_int_eq(eu_vr_init(&vr, r), 0);
	{
		struct eu_vr second;

		ck_assert_int_eq(eu_vr_init(&second, r), -EBUSY);
		ck_assert_str_ne(eu_last_error(), "");
	}
	ck_assert_uint_eq(h->vr_pid, (__u32)getpid());
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(r);
}
END_TEST

static Suite *vr_suite(void)
{
	Suite *s = suite_create("vr");
	TCase *tc = tcase_create("vr");
	TCase *hostile = tcase_create("hostile");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_init_fini);
	tcase_add_test(tc, test_round_trip_sp);
	tcase_add_test(tc, test_round_trip_mp);
	tcase_add_test(tc, test_vr_originated);
	tcase_add_test(tc, test_cache_watermarks);
	tcase_add_test(tc, test_ring_full);
	tcase_add_test(tc, test_tx_stops_at_foreign_slot);
	tcase_add_test(tc, test_publish_stops_at_foreign_slot);
	tcase_add_test(tc, test_vr_busy);
	suite_add_tcase(s, tc);

	tcase_add_test(hostile, test_hostile_tx);
	tcase_add_test(hostile, test_hostile_tx_flood);
	tcase_add_test(hostile, test_hostile_fill);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	return eu_t_run(vr_suite());
}
