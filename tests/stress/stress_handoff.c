// ctest-args: --procs
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_handoff.c - the full slot hand-off between a switch
 * (struct eu_sw) and a VR (struct eu_vr) over a memfd region, checked for
 * loss, duplication and reordering.
 *
 *   switch: eu_sw_rx_alloc -> write seq into the payload -> eu_sw_rx_publish
 *   VR:     eu_vr_rx_burst -> check seq == next expected -> eu_vr_tx_burst
 *   switch: eu_sw_tx_burst -> check the returns are in order -> eu_sw_free_burst
 *
 * and, around it, the free-slot paths: the VR gives its cached free slots to
 * the switch (fill ring, eu_vr_fill) and takes back what the switch returns
 * (comp ring, eu_vr_reap); the switch gives half its cache away above its high
 * mark (eu_sw_free_burst). Every ring counter starts just below 2^32 (--start),
 * so every ring wraps its 32-bit counters early in the run.
 *
 * Each frame carries: payload[0] = seq, payload[1] = seq ^ K_RX, desc->len,
 * ->port and ->cookie derived from seq; the VR adds payload[2] = ~seq ^ K_TX
 * and a new len and port, which the switch checks on return.
 *
 * Modes:
 *   --procs    fork: the parent is the switch on the region it created, the
 *              child the VR on the same memfd attached by fd
 *              (eu_region_attach_fd); the child reports by exit status and a
 *              shared control block, and dies with its parent.
 *   --threads  two threads on one region handle (for TSan).
 * Options:
 *   --count N      indices to move (defaults: see default_count())
 *   --burst B      1..256; --random-burst varies every burst in 1..B on both
 *                  sides (the VR also transmits in random chunks)
 *   --ring-size R  rings smaller than the pool: every ring fills up, and
 *                  eu_sw_rx_publish() and eu_vr_tx_burst() return short
 *   --rx-mp        the rx ring is an ordered multi-producer ring
 *                  (eu_ring_reserve_mp() / eu_slot_dequeue_ordered())
 *   --wait         adaptive waiting: both sides sleep with eu_poller (futex).
 *                  The switch alternates streaming with ping-pong phases (one
 *                  burst, then wait for its return) and both sides delay at
 *                  random, so publishes land right when the peer decides to
 *                  sleep; rare long pauses make the peer sleep for sure. A
 *                  sleeper that times out (2 s) while its ring holds entries
 *                  published over 1 s ago reports a lost wake-up: a failure,
 *                  not a hang.
 *   --pin          switch on the first allowed CPU, VR on the second. Off in
 *                  the CTest runs: on a shared, loaded machine pinned pollers
 *                  cannot leave a busy CPU and run several times slower.
 *   --seconds S    fail past S seconds (default 600); --stall S: fail after S
 *                  seconds without progress (default 30), with a census of
 *                  the slots; --nslots N; --start P (initial ring counters);
 *                  --seed X (printed; it fixes the random choices, not the
 *                  timing).
 *
 * At the end: eu_region_audit() must find every slot free and the rings
 * consistent, and the region stats must agree with the count exactly.
 * Exit status 0 on success, 1 on any violation (with the first one printed),
 * 2 on a usage or setup error.
 */
#include "stress_common.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define K_RX 0x5a17c0de9e3779b9ULL
#define K_TX 0xc2b2ae3d27d4eb4fULL
#define MAXB 256U

#define PROG "stress_handoff"

struct cfg {
	int procs;
	uint64_t count;
	uint32_t burst;
	int random_burst;
	int wait;
	int pin;
	int rx_mp;
	uint32_t seconds;
	uint32_t stall; /* fail after this many seconds without progress */
	uint32_t nslots;
	uint32_t ring_size;
	uint32_t start;
	uint64_t seed;
};

/* Shared by the switch and the VR: a MAP_SHARED page, so it works across fork. */
struct hctl {
	struct st_ctl st;
	int vr_ready;         /* the VR is attached and polling */
	int sw_done;          /* the switch has every return back and gives no more slots */
	int vr_done;          /* the VR reaped the comp ring and will not touch the region */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC: both sides fail past it */
	uint64_t last_pub_ns; /* switch: time of its last rx publish (--wait) */
	uint64_t last_tx_ns;  /* VR: time of its last tx (--wait) */
	uint64_t vr_received; /* VR's report */
	uint64_t vr_pauses;
	uint64_t vr_timeouts;
	uint64_t vr_fills;
};

struct sw_result {
	uint64_t ns;
	uint64_t shorts; /* slots eu_sw_rx_publish() gave back (ring full) */
	uint64_t pauses;
	uint64_t pingpongs; /* bursts published alone, with a random delay before */
	uint64_t timeouts;
	uint64_t bad;
};

/* Lost-wake-up check: a sleeper that times out with work that is this old. */
#define WAIT_TIMEOUT_MS 2000
#define LOST_AGE_NS     (1000ULL * 1000000ULL)

static uint32_t pick_burst(const struct cfg *c, uint64_t *rng)
{
	return c->random_burst ? st_rand_1(rng, c->burst) : c->burst;
}

/*
 * Pauses in --wait mode. A long one (rare: 0.1-2 ms asleep) lets the peer go
 * through spinning and yielding into the futex. A short one (0-30 us busy)
 * lands our next publish around the moment the peer decides to sleep: that is
 * where a wake-up gets lost, if the protocol has a hole.
 */
static int maybe_pause(const struct cfg *c, uint64_t *rng)
{
	if (!c->wait || (st_rand(rng) & 511) != 0)
		return 0;
	st_sleep_us(100 + (uint32_t)(st_rand(rng) % 1900));
	return 1;
}

static void short_delay_ns(uint64_t *rng, uint64_t max_ns)
{
	uint64_t end = st_now_ns() + st_rand(rng) % max_ns;

	while (st_now_ns() < end)
		st_relax();
}

static void short_delay(uint64_t *rng)
{
	short_delay_ns(rng, 30000);
}

static int child_status = -1; /* --procs: the VR's wait status once reaped */

static int sw_check_deadline(const struct cfg *c, struct hctl *h, pid_t child, uint64_t now,
			     uint64_t sent, uint64_t returned)
{
	if (st_failed(&h->st))
		return -1;
	if (now > h->deadline_ns)
		return st_fail(&h->st, "switch",
			       "time limit of %u s exceeded (a hang or a lost "
			       "wake-up?): sent %" PRIu64 ", returned %" PRIu64 " of %" PRIu64,
			       c->seconds, sent, returned, c->count);
	if (child > 0 && child_status == -1) {
		int status;

		if (waitpid(child, &status, WNOHANG) == child) {
			child_status = status; /* reaped: main() must not wait again */
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
			    __atomic_load_n(&h->vr_done, __ATOMIC_ACQUIRE))
				return 0; /* finished normally, just before we looked */
			if (WIFSIGNALED(status))
				return st_fail(&h->st, "switch",
					       "the VR process died of signal %d "
					       "(%s) after sending back %" PRIu64 " of %" PRIu64,
					       WTERMSIG(status), strsignal(WTERMSIG(status)),
					       returned, c->count);
			if (!st_failed(&h->st))
				return st_fail(&h->st, "switch",
					       "the VR process exited early with "
					       "status %d",
					       WEXITSTATUS(status));
			return -1;
		}
	}
	return 0;
}

/* ----------------------------------------------------------------- switch */

static int run_switch(const struct cfg *c, struct hctl *h, struct eu_region *r, pid_t child,
		      struct sw_result *res)
{
	struct eu_sw sw;
	struct eu_poller poll;
	struct eu_poll_opts po = {sizeof(po), 16, 2, 0}; /* sleep soon */
	__u32 idx[MAXB], fidx[MAXB];
	struct eu_txpkt pkts[MAXB];
	uint64_t rng = c->seed ^ 0x9e3779b97f4a7c15ULL;
	uint64_t sent = 0, returned = 0, t0, now, iter = 0, mark = 0, last_progress;
	__u32 rx_size = eu_region_header(r)->rings[EU_RING_RX].size;
	uint32_t streak = 0; /* empty polls in a row */
	int pingpong = 0;    /* --wait: publish one burst, wait for its return, repeat */
	uint32_t phase = 0;  /* bursts left in this phase (stream or ping-pong) */
	int err;

	memset(res, 0, sizeof(*res));
	err = eu_sw_init(&sw, r);
	if (err)
		return st_fail(&h->st, "switch", "eu_sw_init: %s", eu_last_error());
	if (c->wait && (err = eu_poller_init(&poll, r, EU_RING_TX, &po)) != 0) {
		eu_sw_fini(&sw);
		return st_fail(&h->st, "switch", "eu_poller_init: %s", eu_last_error());
	}
	while (!__atomic_load_n(&h->vr_ready, __ATOMIC_ACQUIRE)) {
		if (sw_check_deadline(c, h, child, st_now_ns(), 0, 0))
			goto out;
		st_sleep_us(100);
	}
	t0 = st_now_ns();
	last_progress = t0;
	while (returned < c->count) {
		uint32_t n = 0, m = 0, k, i, want;

		if (c->wait && !phase) {
			pingpong = !pingpong;
			phase = st_rand_1(&rng, 256);
		}
		if (sent < c->count && (!pingpong || sent == returned)) {
			if (pingpong) {
				short_delay(&rng);
				res->pingpongs++;
			}
			phase -= !!c->wait;
			want = pick_burst(c, &rng);
			if (want > c->count - sent)
				want = (uint32_t)(c->count - sent);
			/* Like a real switch, do not fill slots the rx ring has no room
			 * for; but now and then try anyway, for the short-publish path. */
			if (eu_ring_count(&sw.rx) + want > rx_size && (st_rand(&rng) & 255))
				want = 0;
			n = want ? eu_sw_rx_alloc(&sw, idx, want) : 0;
			for (i = 0; i < n; i++) {
				uint64_t seq = sent + i;
				struct eu_desc *d = eu_sw_desc(&sw, idx[i]);
				uint64_t *p = (uint64_t *)(eu_sw_buf(&sw, idx[i]) + d->off);

				p[0] = seq;
				p[1] = seq ^ K_RX;
				p[2] = 0;
				d->len = (__u16)(24 + (seq & 31));
				d->port = (__u16)(seq >> 3);
				d->cookie = (__u32)seq;
			}
			if (n) {
				m = eu_sw_rx_publish(&sw, idx, n);
				if (m < n) { /* ring full: keep the seqs for the next burst */
					eu_sw_free_burst(&sw, idx + m, n - m);
					res->shorts += n - m;
				}
				sent += m;
				if (c->wait && m)
					__atomic_store_n(&h->last_pub_ns, st_now_ns(),
							 __ATOMIC_RELAXED);
			}
			if (maybe_pause(c, &rng))
				res->pauses++;
		}
		want = pick_burst(c, &rng);
		k = eu_sw_tx_burst(&sw, pkts, want);
		for (i = 0; i < k; i++) {
			uint64_t exp = returned + i;
			const uint64_t *p =
				(const uint64_t *)(eu_sw_buf(&sw, pkts[i].idx) + pkts[i].off);
			uint64_t seq = p[0];

			if (seq != exp) {
				st_fail(&h->st, "switch",
					"return order broken at return #%" PRIu64 ": expected seq "
					"%" PRIu64 ", got %" PRIu64 " (slot %u): %s",
					exp, exp, seq, pkts[i].idx,
					seq > exp ? "a frame was lost or overtaken"
						  : "a frame came back twice or late");
				goto out;
			}
			if (p[1] != (seq ^ K_RX) || p[2] != (~seq ^ K_TX) ||
			    pkts[i].len != 24 + ((seq >> 5) & 31) ||
			    pkts[i].port != (__u16)(seq * 7 + 3)) {
				st_fail(&h->st, "switch",
					"return of seq %" PRIu64 " (slot %u) is corrupt: check "
					"0x%016" PRIx64 " ack 0x%016" PRIx64
					" (expected 0x%016" PRIx64
					"), len %u (expected %u), port %u (expected %u)",
					seq, pkts[i].idx, p[1], p[2], (uint64_t)(~seq ^ K_TX),
					pkts[i].len, (unsigned)(24 + ((seq >> 5) & 31)),
					pkts[i].port, (unsigned)(__u16)(seq * 7 + 3));
				goto out;
			}
			fidx[i] = pkts[i].idx;
		}
		if (k) {
			if (eu_sw_free_burst(&sw, fidx, k) != k) {
				st_fail(&h->st, "switch",
					"eu_sw_free_burst freed fewer than %u "
					"slots: a returned slot was not SW_BUSY",
					k);
				goto out;
			}
			returned += k;
		}
		if (!m && !k) {
			if (c->wait) {
				int rc;

				if (st_rand(&rng) & 1) /* as in the VR: widen the window */
					short_delay_ns(&rng, 5000);
				rc = eu_poller_idle(&poll, &sw.tx, WAIT_TIMEOUT_MS);

				if (rc == 0) {
					uint64_t t = st_now_ns();
					uint64_t last =
						__atomic_load_n(&h->last_tx_ns, __ATOMIC_RELAXED);

					res->timeouts++;
					if (eu_ring_count(&sw.tx) && t - last > LOST_AGE_NS) {
						st_fail(&h->st, "switch",
							"lost wake-up: slept %d ms on the tx ring "
							"while it held %u entries, the newest "
							"published %.0f ms ago",
							WAIT_TIMEOUT_MS, eu_ring_count(&sw.tx),
							(double)(t - last) / 1e6);
						goto out;
					}
				}
			} else {
				st_idle(&streak);
			}
		} else {
			streak = 0;
			if (c->wait)
				eu_poller_busy(&poll);
		}
		if ((++iter & 255) == 0 || (!m && !k && (iter & 15) == 0)) {
			now = st_now_ns();
			if (sw_check_deadline(c, h, child, now, sent, returned))
				goto out;
			if (sent + returned != mark) {
				mark = sent + returned;
				last_progress = now;
			} else if (now - last_progress > (uint64_t)c->stall * 1000000000ULL) {
				struct eu_audit a;

				eu_region_audit(r, &a);
				st_fail(&h->st, "switch",
					"no progress for %u s: sent %" PRIu64 ", returned %" PRIu64
					", VR received %" PRIu64 "; rx ring holds %u, tx ring %u, "
					"switch cache %u; slots: VR_FREE %u VR_BUSY %u FILL %u "
					"SW_FREE %u SW_BUSY %u RX %u TX %u COMP %u INVALID %u",
					c->stall, sent, returned,
					__atomic_load_n(&h->vr_received, __ATOMIC_RELAXED),
					eu_ring_count(&sw.rx), eu_ring_count(&sw.tx),
					sw.cache.count, a.state[EU_SLOT_VR_FREE],
					a.state[EU_SLOT_VR_BUSY], a.state[EU_SLOT_FILL],
					a.state[EU_SLOT_SW_FREE], a.state[EU_SLOT_SW_BUSY],
					a.state[EU_SLOT_RX], a.state[EU_SLOT_TX],
					a.state[EU_SLOT_COMP], a.state[EU_SLOT_INVALID]);
				goto out;
			}
		}
	}
	res->ns = st_now_ns() - t0;
	__atomic_store_n(&h->sw_done, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->vr_done, __ATOMIC_ACQUIRE)) {
		if (sw_check_deadline(c, h, child, st_now_ns(), sent, returned))
			goto out;
		st_sleep_us(100);
	}
	while (eu_sw_take_fill(&sw)) /* what the VR gave before it stopped */
		;
out:
	res->bad = sw.bad[EU_BAD_TX_LEN];
	eu_sw_fini(&sw);
	return st_failed(&h->st) ? -1 : 0;
}

/* --------------------------------------------------------------------- VR */

static int vr_check_deadline(const struct cfg *c, struct hctl *h, uint64_t received)
{
	if (st_failed(&h->st))
		return -1;
	if (st_now_ns() > h->deadline_ns)
		return st_fail(&h->st, "VR",
			       "time limit of %u s exceeded (a hang or a lost "
			       "wake-up?): received %" PRIu64 " of %" PRIu64,
			       c->seconds, received, c->count);
	return 0;
}

static int run_vr(const struct cfg *c, struct hctl *h, struct eu_region *r)
{
	struct eu_vr vr;
	struct eu_poller poll;
	struct eu_poll_opts po = {sizeof(po), 16, 2, 0}; /* sleep soon */
	__u32 idx[MAXB];
	uint64_t rng = c->seed ^ 0xd1b54a32d192ed03ULL;
	uint64_t received = 0, iter = 0, fills = 0;
	uint32_t streak = 0; /* empty polls in a row */
	uint64_t mark = 0, last_progress = st_now_ns();
	__u32 headroom = eu_region_header(r)->headroom;
	int err;

	err = eu_vr_init(&vr, r);
	if (err)
		return st_fail(&h->st, "VR", "eu_vr_init: %s", eu_last_error());
	if (c->wait && (err = eu_poller_init(&poll, r, EU_RING_RX, &po)) != 0) {
		eu_vr_fini(&vr);
		return st_fail(&h->st, "VR", "eu_poller_init: %s", eu_last_error());
	}
	__atomic_store_n(&h->vr_ready, 1, __ATOMIC_RELEASE);
	while (received < c->count) {
		uint32_t want = pick_burst(c, &rng), n, i, done;

		n = eu_vr_rx_burst(&vr, idx, want);
		for (i = 0; i < n; i++) {
			uint64_t exp = received + i;
			struct eu_desc *d = eu_vr_desc(&vr, idx[i]);
			uint64_t *p = (uint64_t *)eu_vr_data(&vr, idx[i]);
			uint64_t seq = p[0];

			if (seq != exp) {
				st_fail(&h->st, "VR",
					"rx sequence broken at frame #%" PRIu64 ": expected seq "
					"%" PRIu64 ", got %" PRIu64 " (slot %u): %s",
					exp, exp, seq, idx[i],
					seq > exp ? "a frame was lost or overtaken"
						  : "a frame was delivered twice or late");
				goto out;
			}
			if (p[1] != (seq ^ K_RX) || d->off != headroom ||
			    d->len != 24 + (seq & 31) || d->port != (__u16)(seq >> 3) ||
			    d->cookie != (__u32)seq) {
				st_fail(&h->st, "VR",
					"frame seq %" PRIu64
					" (slot %u) is corrupt: check 0x%016" PRIx64
					" (expected 0x%016" PRIx64 "), off %u len %u port %u "
					"cookie %u (expected %u %u %u %u)",
					seq, idx[i], p[1], (uint64_t)(seq ^ K_RX), d->off, d->len,
					d->port, d->cookie, headroom, (unsigned)(24 + (seq & 31)),
					(unsigned)(__u16)(seq >> 3), (unsigned)(__u32)seq);
				goto out;
			}
			p[2] = ~seq ^ K_TX;
			d->len = (__u16)(24 + ((seq >> 5) & 31));
			d->port = (__u16)(seq * 7 + 3);
		}
		if (n) {
			if (maybe_pause(c, &rng)) /* holding frames: the switch sleeps */
				h->vr_pauses++;
			else if (c->wait && (st_rand(&rng) & 3) == 0)
				short_delay(&rng);
			for (done = 0; done < n;) {
				uint32_t chunk =
					c->random_burst ? st_rand_1(&rng, n - done) : n - done;
				uint32_t t = eu_vr_tx_burst(&vr, idx + done, chunk);

				if (!t) { /* tx ring full: cannot happen with ring >= nslots */
					if (vr_check_deadline(c, h, received))
						goto out;
					st_relax();
				}
				done += t;
			}
			received += n;
			if (c->wait)
				__atomic_store_n(&h->last_tx_ns, st_now_ns(), __ATOMIC_RELAXED);
			if (c->wait)
				eu_poller_busy(&poll);
		}
		/* Now and then, and whenever idle: reap the comp ring, give all to the switch. */
		if (!n || (iter & 1023) == 0) {
			eu_vr_reap(&vr);
			if (vr.cache.count && eu_vr_fill(&vr, vr.cache.count))
				fills++;
		}
		if (!n) {
			if (c->wait) {
				int rc;

				/* Work between the empty poll and going idle widens the
				 * window where a publish must not be missed. */
				if (st_rand(&rng) & 1)
					short_delay_ns(&rng, 5000);
				rc = eu_poller_idle(&poll, &vr.rx, WAIT_TIMEOUT_MS);

				if (rc == 0) {
					uint64_t t = st_now_ns();
					uint64_t last =
						__atomic_load_n(&h->last_pub_ns, __ATOMIC_RELAXED);

					h->vr_timeouts++;
					if (eu_ring_count(&vr.rx) && t - last > LOST_AGE_NS) {
						st_fail(&h->st, "VR",
							"lost wake-up: slept %d ms on the rx ring "
							"while it held %u entries, the newest "
							"published %.0f ms ago",
							WAIT_TIMEOUT_MS, eu_ring_count(&vr.rx),
							(double)(t - last) / 1e6);
						goto out;
					}
				}
			} else {
				st_idle(&streak);
			}
		} else {
			streak = 0;
		}
		if ((++iter & 255) == 0 || (!n && (iter & 15) == 0)) {
			uint64_t now = st_now_ns();

			__atomic_store_n(&h->vr_received, received, __ATOMIC_RELAXED);
			if (vr_check_deadline(c, h, received))
				goto out;
			if (received != mark) {
				mark = received;
				last_progress = now;
			} else if (now - last_progress > (uint64_t)c->stall * 1000000000ULL) {
				st_fail(&h->st, "VR",
					"no frame for %u s after %" PRIu64 " of %" PRIu64
					"; the rx ring holds %u entries",
					c->stall, received, c->count, eu_ring_count(&vr.rx));
				goto out;
			}
		}
	}
	h->vr_received = received;
	/* Wait until the switch has given its last slots, then take them all. */
	while (!__atomic_load_n(&h->sw_done, __ATOMIC_ACQUIRE)) {
		if (vr_check_deadline(c, h, received))
			goto out;
		st_sleep_us(100);
	}
	while (eu_vr_reap(&vr))
		;
	h->vr_fills = fills;
	__atomic_store_n(&h->vr_done, 1, __ATOMIC_RELEASE);
out:
	if (st_failed(&h->st)) /* the switch may sleep: wake it so it sees the failure */
		eu_wake_signal(eu_region_wake(r, EU_RING_TX), -1);
	eu_vr_fini(&vr);
	return st_failed(&h->st) ? -1 : 0;
}

struct vr_thread_arg {
	const struct cfg *c;
	struct hctl *h;
	struct eu_region *r;
	int cpu;
};

static void *vr_thread(void *p)
{
	struct vr_thread_arg *a = p;

	if (a->cpu >= 0)
		st_pin(a->cpu);
	run_vr(a->c, a->h, a->r);
	return NULL;
}

/* ------------------------------------------------------------ final checks */

#define EXPECT_EQ(what, got, want)                                                                \
	do {                                                                                      \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                             \
		if (g_ != w_) {                                                                   \
			fprintf(stderr, PROG ": FAIL: %s is %" PRIu64 ", expected %" PRIu64 "\n", \
				what, g_, w_);                                                    \
			bad++;                                                                    \
		}                                                                                 \
	} while (0)

static int final_checks(const struct cfg *c, struct eu_region *r, const struct sw_result *res)
{
	struct eu_audit a;
	struct eu_region_stats s;
	const struct eu_ring_stats *fill, *rx, *tx, *comp;
	const struct eu_wake *wrx = eu_region_wake(r, EU_RING_RX);
	const struct eu_wake *wtx = eu_region_wake(r, EU_RING_TX);
	int bad = 0, i;

	if (eu_region_audit(r, &a)) {
		fprintf(stderr, PROG ": FAIL: eu_region_audit: %s\n", eu_last_error());
		return 1;
	}
	eu_region_stats_read(r, &s);
	fill = &s.ring[EU_RING_FILL];
	rx = &s.ring[EU_RING_RX];
	tx = &s.ring[EU_RING_TX];
	comp = &s.ring[EU_RING_COMP];

	EXPECT_EQ("audit: consistent", a.consistent, 1);
	EXPECT_EQ("audit: total slots", a.total, c->nslots);
	EXPECT_EQ("audit: free slots (VR_FREE + SW_FREE)",
		  a.state[EU_SLOT_VR_FREE] + a.state[EU_SLOT_SW_FREE], c->nslots);
	EXPECT_EQ("audit: slots in flight", a.in_flight, 0);
	for (i = 0; i < EU_RING_COUNT; i++) {
		char what[64];

		snprintf(what, sizeof(what), "audit: entries left in ring %d", i);
		EXPECT_EQ(what, a.ring_count[i], 0);
	}
	EXPECT_EQ("stats: rx prod pkts", rx->prod.pkts, c->count);
	EXPECT_EQ("stats: rx cons pkts", rx->cons.pkts, c->count);
	EXPECT_EQ("stats: tx prod pkts", tx->prod.pkts, c->count);
	EXPECT_EQ("stats: tx cons pkts", tx->cons.pkts, c->count);
	EXPECT_EQ("stats: fill cons pkts (== fill prod pkts)", fill->cons.pkts, fill->prod.pkts);
	EXPECT_EQ("stats: comp cons pkts (== comp prod pkts)", comp->cons.pkts, comp->prod.pkts);
	EXPECT_EQ("stats: VR refused transitions", s.slot[EU_SIDE_VR].refused, 0);
	EXPECT_EQ("stats: switch refused transitions", s.slot[EU_SIDE_SWITCH].refused, 0);
	/* VR: RX->VR_BUSY, VR_BUSY->TX per frame; VR_FREE->FILL, COMP->VR_FREE per slot. */
	EXPECT_EQ("stats: VR slot moves", s.slot[EU_SIDE_VR].moves,
		  2 * c->count + fill->prod.pkts + comp->cons.pkts);
	/* switch: SW_FREE->SW_BUSY->RX, TX->SW_BUSY->SW_FREE per frame, plus the ones
	 * allocated and freed again when the rx ring was full; FILL->SW_FREE and
	 * SW_FREE->COMP per slot. */
	EXPECT_EQ("stats: switch slot moves", s.slot[EU_SIDE_SWITCH].moves,
		  4 * c->count + 2 * res->shorts + fill->cons.pkts + comp->prod.pkts);
	EXPECT_EQ("switch: frames dropped for a bad length", res->bad, 0);
	if (c->wait && wrx->sleeps == 0) {
		fprintf(stderr, PROG ": FAIL: --wait, but the VR never slept on the rx ring: the "
				     "futex path was not exercised\n");
		bad++;
	}
	printf(PROG ": audit: VR_FREE %u SW_FREE %u, rings empty, consistent %d\n",
	       a.state[EU_SLOT_VR_FREE], a.state[EU_SLOT_SW_FREE], a.consistent);
	printf(PROG ": stats: rx %" PRIu64 "/%" PRIu64 " tx %" PRIu64 "/%" PRIu64 " fill %" PRIu64
		    "/%" PRIu64 " comp %" PRIu64 "/%" PRIu64 " (prod/cons pkts); rx bursts %" PRIu64
		    ", rx cons stalls %" PRIu64 "\n",
	       (uint64_t)rx->prod.pkts, (uint64_t)rx->cons.pkts, (uint64_t)tx->prod.pkts,
	       (uint64_t)tx->cons.pkts, (uint64_t)fill->prod.pkts, (uint64_t)fill->cons.pkts,
	       (uint64_t)comp->prod.pkts, (uint64_t)comp->cons.pkts, (uint64_t)rx->prod.bursts,
	       (uint64_t)rx->cons.stalls);
	if (c->wait)
		printf(PROG ": wait: rx ring: VR slept %u times, woken %u times; tx ring: switch "
			    "slept %u times, woken %u times\n",
		       wrx->sleeps, wrx->wakeups, wtx->sleeps, wtx->wakeups);
	return bad ? 1 : 0;
}

/* -------------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--procs | --threads] [--count N] [--burst B] [--random-burst]\n"
		"       [--wait] [--rx-mp] [--pin] [--seconds S] [--stall S] [--nslots N]\n"
		"       [--ring-size R] [--start P] [--seed X]\n"
		"  --procs         two processes over a memfd (default); --threads: two threads\n"
		"  --count N       indices to move (default: 100M with --procs alone, 10M\n"
		"                  with --threads or any variant option, 2M with --wait;\n"
		"                  fewer in sanitizer builds)\n"
		"  --burst B       burst size 1..%u (default 32)\n"
		"  --random-burst  vary bursts at random in 1..B on both sides\n"
		"  --wait          adaptive waiting (futex sleep/wake), random pauses\n"
		"  --rx-mp         the rx ring is an ordered multi-producer ring\n"
		"  --pin           pin the switch and the VR to the first two allowed CPUs\n"
		"  --seconds S     fail (never hang) past S seconds (default 600)\n"
		"  --stall S       fail after S seconds without progress (default 30)\n"
		"  --nslots N      slots in the region (default 4096)\n"
		"  --ring-size R   entries per ring, a power of two (default: >= nslots, so\n"
		"                  no ring is ever full; smaller makes the rings fill up)\n"
		"  --start P       initial value of every ring counter (default 2^32 - 65536)\n"
		"  --seed X        PRNG seed (default: from the clock, printed)\n",
		MAXB);
}

/*
 * Default counts: the plain two-process run moves 100M indices (a project
 * requirement); the variants (threads, random bursts, small rings, MP rx ring)
 * 10M; --wait, which sleeps on purpose, 2M. Sanitizer builds run fewer.
 */
static uint64_t default_count(const struct cfg *c)
{
	int variant = c->random_burst || c->rx_mp || c->ring_size;

	if (c->wait)
		return st_scale(2000000, 2000000, 500000);
	if (c->procs && !variant)
		return st_scale(100000000, 50000000, 5000000);
	if (!variant) /* --threads: the run TSan checks the most */
		return st_scale(10000000, 10000000, 10000000);
	return st_scale(10000000, 10000000, 3000000);
}

int main(int argc, char **argv)
{
	struct cfg c = {.procs = 1,
			.burst = 32,
			.seconds = 600,
			.stall = 30,
			.nslots = 4096,
			.start = 0xffff0000U};
	struct eu_region_opts o;
	struct eu_region *r;
	struct hctl *h;
	struct sw_result res;
	int count_given = 0, seed_given = 0, i, fail = 0, cpu_sw = -1, cpu_vr = -1;
	pid_t child = -1, parent = getpid();
	double secs;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t v = 0;
		int has_val = i + 1 < argc;

		if (!strcmp(a, "--procs")) {
			c.procs = 1;
		} else if (!strcmp(a, "--threads")) {
			c.procs = 0;
		} else if (!strcmp(a, "--random-burst")) {
			c.random_burst = 1;
		} else if (!strcmp(a, "--wait")) {
			c.wait = 1;
		} else if (!strcmp(a, "--rx-mp")) {
			c.rx_mp = 1;
		} else if (!strcmp(a, "--pin")) {
			c.pin = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (has_val && !strcmp(a, "--count") && !st_parse_u64(argv[i + 1], &v) &&
			   v > 0) {
			c.count = v, count_given = 1, i++;
		} else if (has_val && !strcmp(a, "--burst") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 1 && v <= MAXB) {
			c.burst = (uint32_t)v, i++;
		} else if (has_val && !strcmp(a, "--seconds") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 1 && v <= 86400) {
			c.seconds = (uint32_t)v, i++;
		} else if (has_val && !strcmp(a, "--stall") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 1 && v <= 86400) {
			c.stall = (uint32_t)v, i++;
		} else if (has_val && !strcmp(a, "--nslots") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 2 * MAXB && v <= EU_MAX_SLOTS) {
			c.nslots = (uint32_t)v, i++;
		} else if (has_val && !strcmp(a, "--ring-size") && !st_parse_u64(argv[i + 1], &v) &&
			   v >= 1 && v <= EU_MAX_RING_SIZE && !(v & (v - 1))) {
			c.ring_size = (uint32_t)v, i++;
		} else if (has_val && !strcmp(a, "--start") && !st_parse_u64(argv[i + 1], &v) &&
			   v <= 0xffffffffULL) {
			c.start = (uint32_t)v, i++;
		} else if (has_val && !strcmp(a, "--seed") && !st_parse_u64(argv[i + 1], &v)) {
			c.seed = v, seed_given = 1, i++;
		} else {
			fprintf(stderr, PROG ": bad argument \"%s\"%s\n", a,
				has_val ? "" : " (or its value is missing)");
			usage(stderr);
			return 2;
		}
	}
	if (!count_given)
		c.count = default_count(&c);
	if (!seed_given)
		c.seed = st_now_ns() ^ ((uint64_t)getpid() << 32);
	if (!c.seed)
		c.seed = 1;

	eu_region_opts_default(&o);
	o.nslots = c.nslots;
	o.ring_size = c.ring_size; /* 0: >= nslots, no ring is ever full */
	if (c.rx_mp)
		o.flags |= EU_REGION_O_RX_MP;
	r = eu_region_create("memfd:stress_handoff", &o);
	if (!r) {
		fprintf(stderr, PROG ": eu_region_create: %s\n", eu_last_error());
		return 2;
	}
	/* Every ring starts near the 32-bit wrap (an empty ring: prod == cons). */
	for (i = 0; i < EU_RING_COUNT; i++) {
		struct eu_ring_shared *rs =
			(void *)((char *)eu_region_base(r) + eu_region_header(r)->rings[i].off);

		rs->prod = c.start;
		rs->cons = c.start;
	}
	h = (struct hctl *)st_ctl_map(sizeof(*h));
	h->deadline_ns = st_now_ns() + (uint64_t)c.seconds * 1000000000ULL;
	if (c.pin) {
		cpu_sw = st_cpu_nth(0);
		cpu_vr = st_cpu_nth(1);
		if (cpu_vr < 0)
			cpu_sw = -1; /* one CPU: pinning both to it would only slow things */
	}
	printf(PROG ": %s, count %" PRIu64 "%s, burst %u%s%s%s, nslots %u, ring %u, start 0x%08x, "
		    "seed 0x%" PRIx64 ", pin %s, limit %u s%s%s\n",
	       c.procs ? "procs" : "threads", c.count, count_given ? "" : " (default)", c.burst,
	       c.random_burst ? " (random 1..B)" : "", c.wait ? ", wait" : "",
	       c.rx_mp ? ", rx-mp" : "", c.nslots, eu_region_header(r)->rings[EU_RING_RX].size,
	       c.start, c.seed, cpu_sw >= 0 ? "CPUs" : "no", c.seconds,
	       *ST_SANITIZER ? ", sanitizer " : "", ST_SANITIZER);
	if (cpu_sw >= 0)
		printf(PROG ": switch on CPU %d, VR on CPU %d\n", cpu_sw, cpu_vr);
	fflush(stdout);
	/* Last resort against a hang outside the checked loops: SIGALRM kills. */
	alarm(c.seconds + 60);

	if (c.procs) {
		child = fork();
		if (child < 0) {
			perror(PROG ": fork");
			return 2;
		}
		if (child == 0) {
			struct eu_region *vr_r;
			int rc;

			/* Never outlive the switch (a crashed parent must not leave us spinning).
			 */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
				_exit(1);
			if (cpu_vr >= 0)
				st_pin(cpu_vr);
			/* The VR maps the memfd itself, as a VR given the fd would. */
			vr_r = eu_region_attach_fd(eu_region_fd(r));
			if (!vr_r) {
				st_fail(&h->st, "VR", "eu_region_attach_fd: %s", eu_last_error());
				_exit(1);
			}
			rc = run_vr(&c, h, vr_r);
			eu_region_detach(vr_r);
			_exit(rc ? 1 : 0);
		}
		if (cpu_sw >= 0)
			st_pin(cpu_sw);
		run_switch(&c, h, r, child, &res);
		if (st_failed(&h->st)) {
			if (child_status == -1) {
				kill(child, SIGKILL);
				waitpid(child, NULL, 0);
			}
		} else {
			int status = child_status;

			if (status == -1 && waitpid(child, &status, 0) != child) {
				st_fail(&h->st, "switch", "waitpid: %s", strerror(errno));
			} else if (WIFSIGNALED(status)) {
				st_fail(&h->st, "switch", "the VR process died of signal %d",
					WTERMSIG(status));
			} else if (WEXITSTATUS(status) != 0) {
				st_fail(&h->st, "switch", "the VR process exited with status %d",
					WEXITSTATUS(status));
			}
		}
	} else {
		struct vr_thread_arg va = {&c, h, r, cpu_vr};
		pthread_t t;
		int e;

		if (cpu_sw >= 0)
			st_pin(cpu_sw);
		e = pthread_create(&t, NULL, vr_thread, &va);
		if (e) {
			fprintf(stderr, PROG ": pthread_create: %s\n", strerror(e));
			return 2;
		}
		run_switch(&c, h, r, -1, &res);
		if (st_failed(&h->st)) /* the VR may sleep: wake it so it sees the failure */
			eu_wake_signal(eu_region_wake(r, EU_RING_RX), -1);
		pthread_join(t, NULL);
	}
	alarm(0);

	if (st_report(&h->st, PROG)) {
		eu_region_destroy(r);
		return 1;
	}
	fail = final_checks(&c, r, &res);
	secs = (double)res.ns / 1e9;
	printf(PROG ": %s %" PRIu64 " indices in %.3f s = %.2f Mpps (publish shorts %" PRIu64
		    ", VR fills %" PRIu64 "%s",
	       fail ? "FAILED after" : "OK:", c.count, secs,
	       secs > 0 ? (double)c.count / secs / 1e6 : 0.0, res.shorts, h->vr_fills,
	       c.wait ? "" : ")\n");
	if (c.wait)
		printf(", pauses: switch %" PRIu64 " VR %" PRIu64 ", ping-pong bursts %" PRIu64
		       ", timeouts: switch %" PRIu64 " VR %" PRIu64 ")\n",
		       res.pauses, h->vr_pauses, res.pingpongs, res.timeouts, h->vr_timeouts);
	eu_region_destroy(r);
	munmap(h, sizeof(*h));
	return fail;
}
