/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-hostile - a VR that writes garbage, for tests/integration/switch_hostile.sh:
 * it opens a VR like any other (eu_vr_open()), then, for SECONDS, scribbles
 * on everything of its region that a VR can write: random indices into its
 * fill and tx rings with random jumps of their producer counters, random
 * consumer counters on the rx and comp rings, random state words on random
 * slots (the switch's too), random lengths, offsets and ports in the
 * descriptors, garbage in the wake lines and the header, spurious kicks,
 * and, in between, frames it received sent back with random lengths and
 * ports. The switch must refuse and count all of it, and keep serving the
 * other VRs.
 *
 *   eu-hostile [-t SECONDS] [-s SEED] NAME
 *
 * Prints what it did; exits 0 (or 1 if the VR would not open).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>
#include <europa/open.h>

#include "itest.h"

static uint64_t rs = 88172645463325252ULL;

static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 11);
}

/* A mostly plausible index: in range, just out of range, or anything. */
static uint32_t rnd_idx(uint32_t nslots)
{
	switch (rnd() % 4) {
	case 0:
		return nslots + rnd() % 16;
	case 1:
		return rnd();
	default:
		return rnd() % nslots;
	}
}

int main(int argc, char **argv)
{
	struct eu_vr_open_opts oo;
	const struct eu_region_hdr *h;
	unsigned char *base;
	struct eu_vr *vr;
	double secs = 5, t0;
	uint64_t ops[8] = { 0 }, rounds = 0;
	int o;

	while ((o = getopt(argc, argv, "t:s:")) != -1) {
		if (o == 't')
			secs = atof(optarg);
		else if (o == 's')
			rs = strtoull(optarg, NULL, 0) | 1;
		else
			return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: eu-hostile [-t SECONDS] [-s SEED] NAME\n");
		return 2;
	}
	eu_vr_open_opts_default(&oo);
	vr = eu_vr_open(argv[optind], &oo);
	if (!vr) {
		fprintf(stderr, "eu-hostile: %s\n", eu_last_error());
		return 1;
	}
	h = eu_region_header(vr->region);
	base = eu_region_base(vr->region);
	fprintf(stderr, "eu-hostile: attached to %s (%u slots), scribbling for %.1f s\n",
		argv[optind], h->nslots, secs);
	t0 = it_now_s();
	while (it_now_s() - t0 < secs) {
		uint32_t n = h->nslots, i, k;
		__u32 idx[64];

		rounds++;
		switch (rnd() % 8) {
		case 0: { /* garbage entries on the tx ring, then publish them */
			struct eu_ring_shared *r = (void *)(base + h->rings[EU_RING_TX].off);
			__u32 *e = (__u32 *)(r + 1);
			__u32 p = __atomic_load_n(&r->prod, __ATOMIC_RELAXED);
			__u32 cnt = 1 + rnd() % 32;

			for (i = 0; i < cnt; i++) {
				k = rnd_idx(n);
				e[(p + i) & (h->rings[EU_RING_TX].size - 1)] = k;
				/* sometimes make it look ready, with a bad descriptor */
				if (k < n && rnd() % 2) {
					__u32 *st = (__u32 *)(base + h->states_off);
					struct eu_desc *d = (struct eu_desc *)(base + h->descs_off);

					__atomic_store_n(&st[k], (st[k] & ~0xffU) + 0x100 + EU_SLOT_TX,
							 __ATOMIC_RELEASE);
					d[k].len = (__u16)rnd();
					d[k].off = (__u16)rnd();
					d[k].port = (__u16)(rnd() % 70);
				}
			}
			__atomic_store_n(&r->prod, p + cnt, __ATOMIC_RELEASE);
			eu_kick(vr->tx_wake, vr->tx_efd);
			ops[0] += cnt;
			break;
		}
		case 1: { /* the fill ring: garbage, and a wild producer counter now and then */
			struct eu_ring_shared *r = (void *)(base + h->rings[EU_RING_FILL].off);
			__u32 *e = (__u32 *)(r + 1);
			__u32 p = __atomic_load_n(&r->prod, __ATOMIC_RELAXED);
			__u32 cnt = 1 + rnd() % 64;

			for (i = 0; i < cnt; i++)
				e[(p + i) & (h->rings[EU_RING_FILL].size - 1)] = rnd_idx(n);
			__atomic_store_n(&r->prod, rnd() % 16 ? p + cnt : rnd(), __ATOMIC_RELEASE);
			ops[1] += cnt;
			break;
		}
		case 2: { /* random state words, the switch's slots included */
			__u32 *st = (__u32 *)(base + h->states_off);

			for (i = 0; i < 32; i++)
				__atomic_store_n(&st[rnd() % n], rnd(), __ATOMIC_RELAXED);
			ops[2] += 32;
			break;
		}
		case 3: { /* random descriptors */
			struct eu_desc *d = (struct eu_desc *)(base + h->descs_off);

			for (i = 0; i < 32; i++) {
				k = rnd() % n;
				d[k].len = (__u16)rnd();
				d[k].off = (__u16)rnd();
				d[k].port = (__u16)rnd();
				d[k].flags = (__u16)rnd();
			}
			ops[3] += 32;
			break;
		}
		case 4: { /* consumer counters of the rings the switch fills */
			struct eu_ring_shared *rx = (void *)(base + h->rings[EU_RING_RX].off);
			struct eu_ring_shared *cp = (void *)(base + h->rings[EU_RING_COMP].off);

			__atomic_store_n(&rx->cons, rnd(), __ATOMIC_RELEASE);
			__atomic_store_n(&cp->cons, rnd(), __ATOMIC_RELEASE);
			ops[4]++;
			break;
		}
		case 5: { /* wake lines, the header's live fields, the immutable header */
			struct eu_wake *w = (struct eu_wake *)(base + h->wake_off);
			struct eu_region_hdr *hh = (struct eu_region_hdr *)base;

			w[rnd() % EU_RING_COUNT].need_wakeup = rnd() % 4;
			w[rnd() % EU_RING_COUNT].futex = rnd();
			hh->sw_epoch = rnd();
			if (rnd() % 4 == 0)
				hh->nslots = rnd(); /* the switch uses its private copy */
			eu_kick(vr->tx_wake, vr->tx_efd);
			ops[5]++;
			break;
		}
		case 6: { /* real frames sent back with random lengths and ports */
			__u32 m = eu_vr_rx_burst(vr, idx, 64);

			for (i = 0; i < m; i++) {
				struct eu_desc *d = eu_vr_desc(vr, idx[i]);

				d->len = (__u16)(rnd() % 2 ? rnd() : rnd() % 100);
				d->port = (__u16)(rnd() % 8);
			}
			k = eu_vr_tx_burst(vr, idx, m);
			if (k < m)
				eu_vr_free_burst(vr, idx + k, m - k);
			ops[6] += m;
			break;
		}
		default: { /* a legitimate alloc + send now and then, with garbage */
			__u32 m = eu_vr_alloc_burst(vr, idx, 1 + rnd() % 16);

			for (i = 0; i < m; i++) {
				struct eu_desc *d = eu_vr_desc(vr, idx[i]);

				d->len = (__u16)rnd();
				d->off = (__u16)rnd();
				d->port = (__u16)rnd();
			}
			k = eu_vr_tx_burst(vr, idx, m);
			if (k < m)
				eu_vr_free_burst(vr, idx + k, m - k);
			ops[7] += m;
			break;
		}
		}
		/*
		 * Leave the CPU to others now and then: what is tested is what the
		 * switch does with garbage, not whether a VR that spins can starve
		 * the others of CPU time (that is the scheduler's business: pin VRs
		 * and the switch to cores, or put VRs in cgroups with CPU quotas).
		 */
		if (rounds % 256 == 0)
			usleep(1000);
	}
	fprintf(stderr,
		"eu-hostile: %" PRIu64 " rounds: tx garbage %" PRIu64 ", fill garbage %" PRIu64
		", states %" PRIu64 ", descs %" PRIu64 ", counters %" PRIu64 ", header/wake %" PRIu64
		", echoed %" PRIu64 ", allocated %" PRIu64 "\n",
		rounds, ops[0], ops[1], ops[2], ops[3], ops[4], ops[5], ops[6], ops[7]);
	/* no eu_vr_close(): leave like a crashed VR would, holding whatever it holds */
	_exit(0);
}
