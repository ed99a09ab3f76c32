// ctest-args: --producers 4
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_ring_mp.c - the ordered multi-producer ring (EUROPA's
 * reservation) under several producer threads completing out of order, one
 * consumer checking per-producer order and totals.
 *
 * A region made with EU_REGION_O_RX_MP has an MP rx ring. The switch-side
 * slots are split among 2-4 producer threads; each has its own ring view
 * (eu_region_ring_view()) and slots view and uses only its own slots.
 * A producer, per burst:
 *   - reserves 1..B positions (eu_ring_reserve_mp());
 *   - decides at random which positions become holes (EU_IDX_HOLE: abandoned);
 *     the others get its next sequence numbers, in position order, each in a
 *     slot it takes SW_FREE -> SW_BUSY and writes: payload[0] = tag << 56 | seq,
 *     payload[1] = payload[0] ^ K, desc->cookie = (u32)payload[0];
 *   - completes the positions in a random order (shuffled about half the
 *     time), with random delays (spins, yields) between reserve and each put;
 *     each position either moves its slot to RX then puts the index (the
 *     library's order), or puts the index first and moves the slot to RX later
 *     (EUROPA's order: the consumer sees the index before the slot is ready).
 * The consumer takes entries with eu_slot_dequeue_ordered() (RX -> VR_BUSY),
 * checks that each producer's sequence arrives exactly in order (no loss,
 * duplication or reordering) and that the slot belongs to that producer,
 * moves the slot VR_BUSY -> TX and hands it back to its producer on a private
 * SPSC return ring; the producer takes it back TX -> SW_FREE.
 *
 * Every ring counter starts just below 2^32 (--start), the ring is small
 * (--ring-size, default 64) so producers wrap it and find it full all the time.
 * At the end: all slots SW_FREE, the audit consistent, the rx ring empty, rx
 * prod pkts == rx cons pkts == count + holes, and the consumer's slot moves and
 * refusals exact. Threads only (run it under TSan).
 *
 * --wait: the consumer sleeps with eu_poller on the rx ring, producers kick it
 * (eu_kick()) after completing each burst and now and then idle for up to a
 * millisecond so it does sleep; a lost wake-up fails. --stall S fails after S
 * seconds without progress, naming the position the consumer waits on (a
 * position never completed, or an entry lost by the ring). --pin is off in
 * the CTest run: five threads on two CPUs need the scheduler free to move them.
 *
 * Switch-side slot stats are not checked exactly: the producers' slot views
 * share one stats line, and eu_stat_add() is a one-writer load and store, so
 * concurrent increments may be lost.
 */
#include "stress_common.h"

#include <pthread.h>

#define PROG            "stress_ring_mp"
#define MAXP            4
#define MAXB            64U
#define K_MP            0x94d049bb133111ebULL
#define SEQ_MASK        ((1ULL << 56) - 1)
#define WAIT_TIMEOUT_MS 2000
#define LOST_AGE_NS     (1000ULL * 1000000ULL)

struct cfg {
	uint32_t producers;
	uint64_t count;
	uint32_t burst;
	uint32_t ring_size;
	uint32_t nslots;
	uint32_t seconds;
	uint32_t stall;
	uint32_t start;
	int pin;
	int wait;
	uint64_t seed;
};

/* A private single-producer single-consumer ring: consumer -> one producer. */
struct ret_ring {
	void *mem;
	uint32_t size;
	struct eu_side_stats stats[2]; /* [0] producer view, [1] consumer view */
};

struct shared {
	const struct cfg *c;
	struct eu_region *r;
	struct st_ctl *st;
	uint64_t deadline_ns;
	uint64_t last_put_ns; /* --wait: time of the latest completed burst (any producer) */
	int producers_done;   /* producers that got every slot back */
	struct ret_ring ret[MAXP];
	int cpu[MAXP + 1]; /* [MAXP]: the consumer's CPU, -1: not pinned */
};

struct prod_result {
	uint64_t sent;
	uint64_t holes;
	uint64_t reserves;
	uint64_t full;       /* eu_ring_reserve_mp() returned 0 */
	uint64_t shuffled;   /* bursts completed out of position order */
	uint64_t late_ready; /* entries put before their slot was made ready */
};

struct prod_arg {
	struct shared *sh;
	uint32_t id;
	uint32_t lo, hi; /* our slots: [lo, hi) */
	uint64_t quota;
	struct prod_result res;
};

struct cons_result {
	uint64_t received;
	uint64_t blocked_unwritten; /* next entry reserved but not written */
	uint64_t blocked_not_ready; /* next entry written, its slot not RX yet */
	uint64_t timeouts;
	uint64_t ns;
};

static uint32_t owner_of(const struct cfg *c, uint32_t k)
{
	/* inverse of the split in main(): [p * n / P, (p + 1) * n / P) */
	uint32_t p;

	for (p = 0; p < c->producers; p++)
		if (k < (uint64_t)(p + 1) * c->nslots / c->producers)
			return p;
	return c->producers;
}

/* A random delay: mostly none or a few spins, sometimes hundreds, rarely a yield. */
static void pause_random(uint64_t *rng)
{
	uint32_t r = (uint32_t)(st_rand(rng) >> 54); /* 0..1023 */
	uint32_t i, n;

	if (r < 768)
		return;
	if (r < 1023) {
		n = r < 973 ? (uint32_t)(st_rand(rng) & 15) : (uint32_t)(st_rand(rng) & 511);
		for (i = 0; i < n; i++)
			st_relax();
		return;
	}
	sched_yield(); /* another thread may run while we hold positions */
}

static int check_deadline(struct shared *sh, const char *who)
{
	if (st_failed(sh->st))
		return -1;
	if (st_now_ns() > sh->deadline_ns)
		return st_fail(sh->st, who,
			       "time limit of %u s exceeded (a hang, or a "
			       "position never completed?)",
			       sh->c->seconds);
	return 0;
}

/* --------------------------------------------------------------- producer */

static void *producer(void *p_)
{
	struct prod_arg *a = p_;
	struct shared *sh = a->sh;
	const struct cfg *c = sh->c;
	struct eu_ring rx, back;
	struct eu_slots sl;
	struct eu_wake *wake = eu_region_wake(sh->r, EU_RING_RX);
	__u32 *freel, nfree = 0, own = a->hi - a->lo;
	__u32 tmp[256];
	uint64_t rng = c->seed * (a->id + 1) ^ 0xbf58476d1ce4e5b9ULL;
	uint64_t iter = 0;
	char who[32];
	__u32 i;

	snprintf(who, sizeof(who), "producer %u", a->id);
	if (sh->cpu[a->id] >= 0)
		st_pin(sh->cpu[a->id]);
	freel = malloc(own * sizeof(*freel));
	if (!freel) {
		st_fail(sh->st, who, "out of memory");
		return NULL;
	}
	if (eu_region_ring_view(sh->r, EU_RING_RX, 1, &rx) ||
	    eu_region_slots_view(sh->r, EU_SIDE_SWITCH, &sl) ||
	    eu_ring_view_init(&back, sh->ret[a->id].mem, sh->ret[a->id].size, 0, 0,
			      &sh->ret[a->id].stats[1])) {
		st_fail(sh->st, who, "views: %s", eu_last_error());
		goto out;
	}
	for (i = a->hi; i-- > a->lo;) {
		if (eu_state_of(eu_slot_word(&sl, i)) != EU_SLOT_SW_FREE) {
			st_fail(sh->st, who, "slot %u starts in state %s, not SW_FREE", i,
				eu_slot_state_name(eu_state_of(eu_slot_word(&sl, i))));
			goto out;
		}
		freel[nfree++] = i;
	}
	while (a->res.sent < a->quota || nfree < own) {
		__u32 n, got, b, pos, q;
		__u32 slot[MAXB], order[MAXB];
		uint8_t hole[MAXB], late[MAXB];

		/* Slots the consumer gave back: TX -> SW_FREE. */
		n = eu_ring_dequeue_burst(&back, tmp, 256);
		for (i = 0; i < n; i++) {
			__u32 k = tmp[i];

			if (k < a->lo || k >= a->hi) {
				st_fail(sh->st, who, "got back slot %u, not one of ours [%u, %u)",
					k, a->lo, a->hi);
				goto out;
			}
			if (eu_slot_move(&sl, k, EU_SLOT_TX, EU_SLOT_SW_FREE)) {
				st_fail(sh->st, who, "slot %u came back in state %s, not TX", k,
					eu_slot_state_name(eu_state_of(eu_slot_word(&sl, k))));
				goto out;
			}
			freel[nfree++] = k;
		}
		if ((++iter & 63) == 0 && check_deadline(sh, who))
			goto out;
		if (a->res.sent >= a->quota || nfree == 0) {
			if (!n)
				sched_yield();
			continue;
		}
		if (c->wait && (st_rand(&rng) & 255) == 0) /* idle a while: the consumer sleeps */
			st_sleep_us(50 + (uint32_t)(st_rand(&rng) % 950));
		b = st_rand_1(&rng, c->burst);
		if (b > nfree)
			b = nfree;
		if (b > a->quota - a->res.sent)
			b = (__u32)(a->quota - a->res.sent);
		got = eu_ring_reserve_mp(&rx, b, &pos);
		a->res.reserves++;
		if (!got) {
			a->res.full++;
			sched_yield();
			continue;
		}
		/* Plan: holes, then sequence numbers in position order. */
		for (q = 0; q < got; q++) {
			hole[q] = (st_rand(&rng) & 63) == 0;
			if (!hole[q] && a->res.sent >= a->quota)
				hole[q] = 1; /* nothing left to send: abandon the position */
			late[q] = (st_rand(&rng) & 3) == 0;
			order[q] = q;
			if (hole[q]) {
				a->res.holes++;
				continue;
			}
			{
				uint64_t tagged = ((uint64_t)a->id << 56) | a->res.sent++;
				__u32 k = freel[--nfree];
				struct eu_desc *d = eu_slot_desc(&sl, k);
				uint64_t *pl;

				if (eu_slot_move(&sl, k, EU_SLOT_SW_FREE, EU_SLOT_SW_BUSY)) {
					st_fail(sh->st, who, "slot %u: SW_FREE -> SW_BUSY refused",
						k);
					goto out;
				}
				d->off = (__u16)eu_region_header(sh->r)->headroom;
				d->len = 16;
				d->cookie = (__u32)tagged;
				pl = (uint64_t *)eu_slot_data(&sl, k);
				pl[0] = tagged;
				pl[1] = tagged ^ K_MP;
				slot[q] = k;
			}
		}
		if (got > 1 && (st_rand(&rng) & 1)) { /* complete out of order */
			for (q = got - 1; q > 0; q--) {
				__u32 j = (__u32)(st_rand(&rng) % (q + 1)), t = order[q];

				order[q] = order[j];
				order[j] = t;
			}
			a->res.shuffled++;
		}
		pause_random(&rng);
		for (i = 0; i < got; i++) {
			q = order[i];
			if (hole[q]) {
				eu_ring_put_mp(&rx, pos + q, EU_IDX_HOLE);
				continue;
			}
			if (late[q]) { /* EUROPA's order: index first, slot ready later */
				eu_ring_put_mp(&rx, pos + q, slot[q]);
				pause_random(&rng);
				a->res.late_ready++;
			}
			if (eu_slot_move(&sl, slot[q], EU_SLOT_SW_BUSY, EU_SLOT_RX)) {
				st_fail(sh->st, who, "slot %u: SW_BUSY -> RX refused (state %s)",
					slot[q],
					eu_slot_state_name(
						eu_state_of(eu_slot_word(&sl, slot[q]))));
				goto out;
			}
			if (!late[q])
				eu_ring_put_mp(&rx, pos + q, slot[q]);
			pause_random(&rng);
		}
		if (c->wait) {
			__atomic_store_n(&sh->last_put_ns, st_now_ns(), __ATOMIC_RELAXED);
			/* Sometimes kick late: the consumer may have taken the burst and
			 * be announcing its next sleep when this (stale) kick lands. */
			if (st_rand(&rng) & 1) {
				uint64_t end = st_now_ns() + st_rand(&rng) % 20000;

				while (st_now_ns() < end)
					st_relax();
			}
			eu_kick(wake, -1);
		}
	}
out:
	__atomic_fetch_add(&sh->producers_done, 1, __ATOMIC_RELEASE);
	if (c->wait)
		eu_wake_signal(wake, -1);
	free(freel);
	return NULL;
}

/* --------------------------------------------------------------- consumer */

static int consume(struct shared *sh, struct cons_result *res)
{
	const struct cfg *c = sh->c;
	struct eu_ring rx, back[MAXP];
	struct eu_slots vs;
	struct eu_poller poll;
	struct eu_poll_opts po = {sizeof(po), 64, 8, 0};
	uint64_t expected[MAXP] = {0};
	uint64_t rng = c->seed ^ 0x2545f4914f6cdd1dULL, iter = 0, t0, mark = 0, last_progress;
	__u32 idx[MAXB], ret[MAXP][MAXB], nret[MAXP];
	__u32 p, i;

	if (sh->cpu[MAXP] >= 0)
		st_pin(sh->cpu[MAXP]);
	if (eu_region_ring_view(sh->r, EU_RING_RX, 0, &rx) ||
	    eu_region_slots_view(sh->r, EU_SIDE_VR, &vs))
		return st_fail(sh->st, "consumer", "views: %s", eu_last_error());
	for (p = 0; p < c->producers; p++)
		if (eu_ring_view_init(&back[p], sh->ret[p].mem, sh->ret[p].size, 0, 1,
				      &sh->ret[p].stats[0]))
			return st_fail(sh->st, "consumer", "return ring view: %s", eu_last_error());
	if (c->wait && eu_poller_init(&poll, sh->r, EU_RING_RX, &po))
		return st_fail(sh->st, "consumer", "eu_poller_init: %s", eu_last_error());
	t0 = st_now_ns();
	last_progress = t0;
	while (res->received < c->count) {
		__u32 want = st_rand_1(&rng, c->burst);
		__u32 m = eu_slot_dequeue_ordered(&rx, &vs, idx, want, EU_SLOT_RX, EU_SLOT_VR_BUSY);

		memset(nret, 0, sizeof(nret));
		for (i = 0; i < m; i++) {
			__u32 k = idx[i];
			const uint64_t *pl = (const uint64_t *)eu_slot_data(&vs, k);
			uint64_t tagged = pl[0];
			uint32_t tag = (uint32_t)(tagged >> 56);
			uint64_t seq = tagged & SEQ_MASK;

			if (tag >= c->producers || tag != owner_of(c, k)) {
				return st_fail(sh->st, "consumer",
					       "entry #%" PRIu64 " (slot %u, owned by producer %u) "
					       "carries tag %u: a stale or foreign slot",
					       res->received + i, k, owner_of(c, k), tag);
			}
			if (seq != expected[tag]) {
				return st_fail(
					sh->st, "consumer",
					"producer %u's sequence broken: expected seq %" PRIu64
					", got %" PRIu64 " (slot %u, entry #%" PRIu64 "): %s",
					tag, expected[tag], seq, k, res->received + i,
					seq > expected[tag] ? "an entry was lost or overtaken"
							    : "an entry was duplicated or "
							      "came late");
			}
			if (pl[1] != (tagged ^ K_MP) ||
			    eu_slot_desc(&vs, k)->cookie != (__u32)tagged ||
			    eu_slot_desc(&vs, k)->len != 16) {
				return st_fail(sh->st, "consumer",
					       "producer %u seq %" PRIu64 " (slot %u) is corrupt: "
					       "check 0x%016" PRIx64 ", cookie 0x%08x, len %u",
					       tag, seq, k, pl[1], eu_slot_desc(&vs, k)->cookie,
					       eu_slot_desc(&vs, k)->len);
			}
			expected[tag]++;
			if (eu_slot_move(&vs, k, EU_SLOT_VR_BUSY, EU_SLOT_TX))
				return st_fail(sh->st, "consumer", "slot %u: VR_BUSY -> TX refused",
					       k);
			ret[tag][nret[tag]++] = k;
		}
		for (p = 0; p < c->producers; p++)
			if (nret[p] && eu_ring_enqueue_burst(&back[p], ret[p], nret[p]) != nret[p])
				return st_fail(sh->st, "consumer",
					       "return ring of producer %u "
					       "full: more slots in flight than it owns",
					       p);
		res->received += m;
		if (!m) {
			/* Why did we get nothing? Look at the next entry (white-box). */
			__u32 e = __atomic_load_n(eu_ring_entry(&rx, rx.local), __ATOMIC_ACQUIRE);

			if (e == EU_IDX_NONE) {
				if (__atomic_load_n(rx.prod, __ATOMIC_ACQUIRE) != rx.local)
					res->blocked_unwritten++;
			} else if (e < c->nslots &&
				   eu_state_of(eu_slot_word(&vs, e)) != EU_SLOT_RX) {
				res->blocked_not_ready++;
			}
			if (c->wait) {
				int rc = eu_poller_idle(&poll, &rx, WAIT_TIMEOUT_MS);

				if (rc == 0) {
					uint64_t now = st_now_ns();
					uint64_t last =
						__atomic_load_n(&sh->last_put_ns, __ATOMIC_RELAXED);

					res->timeouts++;
					e = __atomic_load_n(eu_ring_entry(&rx, rx.local),
							    __ATOMIC_ACQUIRE);
					if (e != EU_IDX_NONE && now - last > LOST_AGE_NS)
						return st_fail(sh->st, "consumer",
							       "lost wake-up: slept %d ms while "
							       "the next entry was written, the "
							       "last burst completed %.0f ms ago",
							       WAIT_TIMEOUT_MS,
							       (double)(now - last) / 1e6);
				}
			} else if ((iter & 7) == 7) {
				sched_yield(); /* a producer holding positions may need our CPU */
			} else {
				st_relax();
			}
		} else if (c->wait) {
			eu_poller_busy(&poll);
		}
		if ((++iter & 255) == 0) {
			uint64_t now = st_now_ns();

			if (check_deadline(sh, "consumer"))
				return -1;
			if (res->received != mark) {
				mark = res->received;
				last_progress = now;
			} else if (now - last_progress > (uint64_t)c->stall * 1000000000ULL) {
				__u32 e = __atomic_load_n(eu_ring_entry(&rx, rx.local),
							  __ATOMIC_ACQUIRE);
				char st[64] = "";

				if (e < c->nslots)
					snprintf(st, sizeof(st), ", slot %u in state %s", e,
						 eu_slot_state_name(
							 eu_state_of(eu_slot_word(&vs, e))));
				return st_fail(sh->st, "consumer",
					       "no progress for %u s after %" PRIu64
					       " entries: the "
					       "next position 0x%08x holds 0x%08x%s; prod 0x%08x, "
					       "cons 0x%08x (a position never completed, or its "
					       "entry was lost)",
					       c->stall, res->received, rx.local, e, st,
					       __atomic_load_n(rx.prod, __ATOMIC_RELAXED),
					       __atomic_load_n(rx.cons, __ATOMIC_RELAXED));
			}
		}
	}
	res->ns = st_now_ns() - t0;
	/* Every sequence is in. Wait for the producers to take their slots back, then
	 * consume the holes they left after their last entry: no entry may remain. */
	while (__atomic_load_n(&sh->producers_done, __ATOMIC_ACQUIRE) < (int)c->producers) {
		if (check_deadline(sh, "consumer"))
			return -1;
		st_sleep_us(100);
	}
	while (eu_ring_count(&rx)) {
		__u32 m = eu_slot_dequeue_ordered(&rx, &vs, idx, MAXB, EU_SLOT_RX, EU_SLOT_VR_BUSY);

		if (m)
			return st_fail(sh->st, "consumer",
				       "%u entries (first: slot %u) after "
				       "every producer's last sequence: duplication",
				       m, idx[0]);
		if (check_deadline(sh, "consumer"))
			return -1;
	}
	return 0;
}

/* -------------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--producers P] [--count N] [--burst B] [--ring-size R]\n"
		"       [--nslots N] [--wait] [--pin] [--seconds S] [--stall S] [--start P]\n"
		"       [--seed X]\n"
		"  --producers P  producer threads, 2..%d (default 4)\n"
		"  --count N      sequence numbers in all (default 20M, 5M with --wait;\n"
		"                 fewer in sanitizer builds)\n"
		"  --burst B      bursts vary in 1..B, B <= %u (default 16)\n"
		"  --ring-size R  rx ring entries, a power of two (default 64)\n"
		"  --nslots N     slots, split among the producers (default 1024)\n"
		"  --wait         the consumer sleeps (eu_poller); producers kick it\n"
		"  --pin          consumer on the first allowed CPU, producers round-robin\n"
		"  --seconds S    fail (never hang) past S seconds (default 600)\n"
		"  --stall S      fail after S seconds without progress (default 30)\n"
		"  --start P      initial value of the ring counters (default 2^32 - 4096)\n"
		"  --seed X       PRNG seed (default: from the clock, printed)\n",
		MAXP, MAXB);
}

#define EXPECT_EQ(what, got, want)                                                                \
	do {                                                                                      \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                             \
		if (g_ != w_) {                                                                   \
			fprintf(stderr, PROG ": FAIL: %s is %" PRIu64 ", expected %" PRIu64 "\n", \
				what, g_, w_);                                                    \
			bad++;                                                                    \
		}                                                                                 \
	} while (0)

int main(int argc, char **argv)
{
	struct cfg c = {.producers = 4,
			.burst = 16,
			.ring_size = 64,
			.nslots = 1024,
			.seconds = 600,
			.stall = 30,
			.start = 0xfffff000U};
	struct eu_region_opts o;
	struct shared sh;
	struct st_ctl *st;
	struct prod_arg pa[MAXP];
	struct cons_result cr;
	pthread_t t[MAXP];
	struct eu_audit a;
	struct eu_region_stats s;
	struct eu_ring_shared *rs;
	uint64_t holes = 0, sent = 0, shuffled = 0, late = 0, full = 0, reserves = 0;
	int count_given = 0, seed_given = 0, i, bad = 0, ncpu;
	double secs;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		uint64_t v = 0;
		int has_val = i + 1 < argc;

		if (!strcmp(arg, "--pin")) {
			c.pin = 1;
		} else if (!strcmp(arg, "--wait")) {
			c.wait = 1;
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout);
			return 0;
		} else if (has_val && !strcmp(arg, "--producers") &&
			   !st_parse_u64(argv[i + 1], &v) && v >= 2 && v <= MAXP) {
			c.producers = (uint32_t)v, i++;
		} else if (has_val && !strcmp(arg, "--count") && !st_parse_u64(argv[i + 1], &v) &&
			   v > 0 && v < SEQ_MASK) {
			c.count = v, count_given = 1, i++;
		} else if (has_val && !strcmp(arg, "--burst") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 1 && v <= MAXB) {
			c.burst = (uint32_t)v, i++;
		} else if (has_val && !strcmp(arg, "--ring-size") &&
			   !st_parse_u64(argv[i + 1], &v) && v >= 2 && v <= (1U << 20) &&
			   !(v & (v - 1))) {
			c.ring_size = (uint32_t)v, i++;
		} else if (has_val && !strcmp(arg, "--nslots") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= MAXP * MAXB && v <= 65536) {
			c.nslots = (uint32_t)v, i++;
		} else if (has_val && !strcmp(arg, "--seconds") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 1 && v <= 86400) {
			c.seconds = (uint32_t)v, i++;
		} else if (has_val && !strcmp(arg, "--stall") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 1 && v <= 86400) {
			c.stall = (uint32_t)v, i++;
		} else if (has_val && !strcmp(arg, "--start") && !st_parse_u64(argv[i + 1], &v) &&
			   v <= 0xffffffffULL) {
			c.start = (uint32_t)v, i++;
		} else if (has_val && !strcmp(arg, "--seed") && !st_parse_u64(argv[i + 1], &v)) {
			c.seed = v, seed_given = 1, i++;
		} else {
			fprintf(stderr, PROG ": bad argument \"%s\"%s\n", arg,
				has_val ? "" : " (or its value is missing)");
			usage(stderr);
			return 2;
		}
	}
	if (!count_given) /* --wait sleeps on purpose: fewer */
		c.count = c.wait ? st_scale(5000000, 5000000, 2000000)
				 : st_scale(20000000, 10000000, 5000000);
	if (!seed_given)
		c.seed = st_now_ns() ^ ((uint64_t)getpid() << 32);
	if (!c.seed)
		c.seed = 1;

	memset(&sh, 0, sizeof(sh));
	sh.c = &c;
	eu_region_opts_default(&o);
	o.nslots = c.nslots;
	o.vr_slots = 0; /* every slot starts with the switch, i.e. the producers */
	o.ring_size = c.ring_size;
	o.flags = EU_REGION_O_RX_MP;
	sh.r = eu_region_create("memfd:stress_ring_mp", &o);
	if (!sh.r) {
		fprintf(stderr, PROG ": eu_region_create: %s\n", eu_last_error());
		return 2;
	}
	if (!(eu_region_header(sh.r)->rings[EU_RING_RX].flags & EU_RING_F_MP)) {
		fprintf(stderr, PROG ": FAIL: EU_REGION_O_RX_MP did not give an MP rx ring\n");
		return 1;
	}
	rs = (void *)((char *)eu_region_base(sh.r) + eu_region_header(sh.r)->rings[EU_RING_RX].off);
	rs->prod = c.start; /* an empty ring near the 32-bit wrap */
	rs->cons = c.start;
	st = st_ctl_map(sizeof(*st));
	sh.st = st;
	sh.deadline_ns = st_now_ns() + (uint64_t)c.seconds * 1000000000ULL;
	ncpu = st_ncpus();
	for (i = 0; i <= MAXP; i++)
		sh.cpu[i] = -1;
	if (c.pin && ncpu > 1) {
		sh.cpu[MAXP] = st_cpu_nth(0);
		for (i = 0; i < (int)c.producers; i++)
			sh.cpu[i] = st_cpu_nth((1 + i) % ncpu);
	}
	for (i = 0; i < (int)c.producers; i++) {
		struct ret_ring *rr = &sh.ret[i];
		uint32_t own = (uint32_t)((uint64_t)(i + 1) * c.nslots / c.producers -
					  (uint64_t)i * c.nslots / c.producers);

		rr->size = 1;
		while (rr->size < own)
			rr->size <<= 1;
		rr->mem = aligned_alloc(EU_CACHE_LINE, eu_ring_memsize(rr->size));
		if (!rr->mem || eu_ring_init_mem(rr->mem, rr->size, 0)) {
			fprintf(stderr, PROG ": return ring: %s\n", eu_last_error());
			return 2;
		}
		memset(&pa[i], 0, sizeof(pa[i]));
		pa[i].sh = &sh;
		pa[i].id = (uint32_t)i;
		pa[i].lo = (uint32_t)((uint64_t)i * c.nslots / c.producers);
		pa[i].hi = (uint32_t)((uint64_t)(i + 1) * c.nslots / c.producers);
		pa[i].quota = c.count / c.producers + (i == 0 ? c.count % c.producers : 0);
	}
	printf(PROG ": %u producers, count %" PRIu64 "%s, bursts 1..%u, ring %u entries, "
		    "nslots %u, start 0x%08x, seed 0x%" PRIx64 "%s, pin %s, limit %u s%s%s\n",
	       c.producers, c.count, count_given ? "" : " (default)", c.burst, c.ring_size,
	       c.nslots, c.start, c.seed, c.wait ? ", wait" : "", sh.cpu[MAXP] >= 0 ? "yes" : "no",
	       c.seconds, *ST_SANITIZER ? ", sanitizer " : "", ST_SANITIZER);
	fflush(stdout);
	alarm(c.seconds + 60);

	memset(&cr, 0, sizeof(cr));
	for (i = 0; i < (int)c.producers; i++) {
		int e = pthread_create(&t[i], NULL, producer, &pa[i]);

		if (e) {
			fprintf(stderr, PROG ": pthread_create: %s\n", strerror(e));
			return 2;
		}
	}
	consume(&sh, &cr); /* on failure, producers stop at their next check */
	for (i = 0; i < (int)c.producers; i++)
		pthread_join(t[i], NULL);
	alarm(0);
	if (st_report(st, PROG))
		return 1;

	for (i = 0; i < (int)c.producers; i++) {
		sent += pa[i].res.sent;
		holes += pa[i].res.holes;
		shuffled += pa[i].res.shuffled;
		late += pa[i].res.late_ready;
		full += pa[i].res.full;
		reserves += pa[i].res.reserves;
		EXPECT_EQ("producer's sent count", pa[i].res.sent, pa[i].quota);
	}
	eu_region_audit(sh.r, &a);
	eu_region_stats_read(sh.r, &s);
	EXPECT_EQ("consumer's received count", cr.received, c.count);
	EXPECT_EQ("sent in all", sent, c.count);
	EXPECT_EQ("audit: consistent", a.consistent, 1);
	EXPECT_EQ("audit: SW_FREE slots", a.state[EU_SLOT_SW_FREE], c.nslots);
	EXPECT_EQ("audit: rx ring entries left", a.ring_count[EU_RING_RX], 0);
	EXPECT_EQ("stats: rx prod pkts (positions reserved)", s.ring[EU_RING_RX].prod.pkts,
		  c.count + holes);
	EXPECT_EQ("stats: rx cons pkts (positions consumed)", s.ring[EU_RING_RX].cons.pkts,
		  c.count + holes);
	EXPECT_EQ("stats: VR slot moves (RX->VR_BUSY->TX)", s.slot[EU_SIDE_VR].moves, 2 * c.count);
	EXPECT_EQ("stats: VR refused transitions", s.slot[EU_SIDE_VR].refused, 0);
	EXPECT_EQ("stats: switch refused transitions", s.slot[EU_SIDE_SWITCH].refused, 0);
	if (c.count >= 100000 && (!cr.blocked_unwritten || !cr.blocked_not_ready || !shuffled)) {
		fprintf(stderr,
			PROG ": FAIL: out-of-order completion was not exercised "
			     "(consumer blocked on unwritten entries %" PRIu64
			     " times, on slots not "
			     "ready %" PRIu64 " times; %" PRIu64 " shuffled bursts)\n",
			cr.blocked_unwritten, cr.blocked_not_ready, shuffled);
		bad++;
	}
	if (c.wait && !eu_region_wake(sh.r, EU_RING_RX)->sleeps) {
		fprintf(stderr, PROG ": FAIL: --wait, but the consumer never slept: the futex "
				     "path was not exercised\n");
		bad++;
	}
	secs = (double)cr.ns / 1e9;
	printf(PROG ": %" PRIu64 " holes, %" PRIu64 " reservations (%" PRIu64 " found the ring "
		    "full), %" PRIu64 " bursts completed shuffled, %" PRIu64 " entries put before "
		    "their slot was ready\n",
	       holes, reserves, full, shuffled, late);
	printf(PROG ": consumer blocked on an unwritten entry %" PRIu64 " times, on a slot not "
		    "ready %" PRIu64 " times%s",
	       cr.blocked_unwritten, cr.blocked_not_ready, c.wait ? "" : "\n");
	if (c.wait)
		printf("; slept %u times, woken %u times, %" PRIu64 " timeouts\n",
		       eu_region_wake(sh.r, EU_RING_RX)->sleeps,
		       eu_region_wake(sh.r, EU_RING_RX)->wakeups, cr.timeouts);
	printf(PROG ": %s %" PRIu64 " entries in %.3f s = %.2f Mpps\n",
	       bad ? "FAILED after" : "OK:", c.count, secs,
	       secs > 0 ? (double)c.count / secs / 1e6 : 0.0);
	for (i = 0; i < (int)c.producers; i++)
		free(sh.ret[i].mem);
	eu_region_destroy(sh.r);
	return bad ? 1 : 0;
}
