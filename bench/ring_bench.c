/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/ring_bench.c - hand-off throughput of libeuropa's rings and slot
 * hand-off against DPDK's rte_ring and Concurrency Kit's ck_ring, between two
 * pinned threads (CPU 0 and 1) and between two processes (fork, shared
 * memory), in the same run, as a ratio.
 *
 * Tests:
 *   ring     one SP/SC ring of 32-bit values, producer on CPU 0, consumer on
 *            CPU 1. Peers: europa (eu_ring_enqueue_burst/dequeue_burst),
 *            eu-zc (eu_ring_reserve/submit + eu_ring_peek/release, no copy),
 *            rte_ring (rte_ring_sp_enqueue_burst_elem/sc_dequeue_burst_elem,
 *            esize 4) and ck_ring (ck_ring_enqueue_spsc/dequeue_spsc, one
 *            object per call: ck has no burst call; the value is the index
 *            cast to void *).
 *   handoff  the full slot round trip: the switch (CPU 0) does eu_sw_rx_alloc
 *            + eu_sw_rx_publish, the VR (CPU 1) eu_vr_rx_burst +
 *            eu_vr_tx_burst, the switch eu_sw_tx_burst + eu_sw_free_burst;
 *            against the same built from two rte_rings (forward + return,
 *            indices only, no state words) and a LIFO of free indices, with
 *            the same descriptor writes and checks on the switch.
 *
 * Figure: TSC cycles per object on the measuring side (the consumer for
 * ring, the switch's return side for handoff), from the moment it has seen
 * `warmup` objects to the moment it has seen all of them, divided by the
 * objects in between. Each configuration runs R times, the peers interleaved
 * within each repetition; the table gives the median (and min..max).
 *
 * Run ./ring_bench --help for the options; bench/README.md says how to read it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <europa/europa.h>

#define BENCH_PROG "ring_bench"
#include "bench_util.h"

#define PIN_HINT " (this benchmark needs CPUs 0 and 1)" /* after "cannot pin to CPU N" */

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <ck_ring.h>

#define RING_SIZE 4096U /* entries, every peer */
#define NSLOTS 4096U    /* handoff: slots in the pool (half VR, half switch) */
#define MAX_BURST 256U
#define ARENA_BYTES (1U << 20)

#define ALWAYS_INLINE inline __attribute__((always_inline))

enum peer {
	P_EU,     /* ring: eu_ring_enqueue_burst / eu_ring_dequeue_burst */
	P_EUZC,   /* ring: reserve/submit + peek/release */
	P_RTE,    /* ring: rte_ring SP/SC, 4-byte elements */
	P_CK,     /* ring: ck_ring SPSC, one object per call */
	P_EU_HO,  /* handoff: eu_sw -> eu_vr -> eu_sw over a region */
	P_RTE_HO, /* handoff: two rte_rings */
	P_COUNT
};

static const char *const peer_name[P_COUNT] = {
	"europa", "eu-zc", "rte_ring", "ck_ring", "europa", "rte_ring",
};

enum test { T_RING, T_HANDOFF, T_COUNT };
static const char *const test_name[T_COUNT] = { "ring", "handoff" };

enum mode { M_THREADS, M_PROCS, M_COUNT };
static const char *const mode_name[M_COUNT] = { "threads", "procs" };

/* Control block shared by both sides (MAP_SHARED, survives fork). */
struct ctl {
	__u32 ready; /* start barrier */
	__u32 pad0[15];
	/* written by the measuring side when done */
	__u64 cycles;
	__u64 objs;
	__u64 sum;
	long csw[2]; /* context switches of side A, side B after the barrier */
	int err;
	char msg[160];
} __attribute__((aligned(64)));

/* One run of one peer: what each side needs. */
struct job {
	int peer;
	unsigned burst;
	__u64 total;  /* objects to move */
	__u64 warm;   /* objects before the clock starts */
	struct ctl *ctl;
	unsigned char *arena; /* shared memory for the peer's rings */
	struct eu_region *region; /* P_EU_HO */
	double secs;  /* wall time the run took (set by run_one) */
};

static double g_tsc_hz;
static int g_rt; /* --rt: both sides SCHED_FIFO during a run */
static volatile sig_atomic_t g_child_pid;
static struct ctl *g_ctl; /* for the alarm handler's message */

/* ----------------------------------------------------------------- helpers */

/* Side failure: record it for the parent and stop this side. */
static void side_fail(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void side_fail(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	__atomic_store_n(&c->err, 1, __ATOMIC_RELEASE);
}

/* Context switches of the calling thread so far (voluntary + involuntary). */
static long csw_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static __thread long t_csw0; /* csw_now() when this side left the barrier */

static void barrier(struct ctl *c)
{
	__atomic_add_fetch(&c->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) < 2)
		_mm_pause();
	rt_set(g_rt, 1); /* only now: before, the other side may still need this CPU */
	t_csw0 = csw_now();
}

/* The measuring side's clock: starts once `warm` objects were seen. */
struct meas {
	__u64 cnt, c0, t0, warm;
	int started;
};

static ALWAYS_INLINE void meas_tick(struct meas *m)
{
	if (__builtin_expect(!m->started && m->cnt >= m->warm, 0)) {
		m->t0 = rdtsc();
		m->c0 = m->cnt;
		m->started = 1;
	}
}

static void meas_done(struct meas *m, struct ctl *c, __u64 sum)
{
	__u64 t1 = rdtsc();

	c->cycles = t1 - m->t0;
	c->objs = m->cnt - m->c0;
	c->sum = sum;
}

/*
 * Run body(j, B) with B a compile-time constant for the usual bursts, so
 * every peer gets the same specialisation.
 */
#define DISPATCH_BURST(body, j)                  \
	do {                                     \
		switch ((j)->burst) {            \
		case 1:                          \
			body(j, 1);              \
			break;                   \
		case 8:                          \
			body(j, 8);              \
			break;                   \
		case 32:                         \
			body(j, 32);             \
			break;                   \
		default:                         \
			body(j, (j)->burst);     \
			break;                   \
		}                                \
	} while (0)

/* ------------------------------------------------------- ring: europa */

/* Arena layout for P_EU / P_EUZC: ring at 0, the two stats lines after it. */
#define EU_STATS_OFF (128U << 10)

static void eu_view(struct job *j, struct eu_ring *r, int as_producer)
{
	struct eu_ring_stats *st = (struct eu_ring_stats *)(j->arena + EU_STATS_OFF);

	if (eu_ring_view_init(r, j->arena, RING_SIZE, 0, as_producer,
			      as_producer ? &st->prod : &st->cons))
		die("eu_ring_view_init: %s", eu_last_error());
}

static ALWAYS_INLINE void eu_prod_body(struct job *j, unsigned B)
{
	struct eu_ring r;
	__u32 buf[MAX_BURST];
	__u64 seq = 0, T = j->total;

	eu_view(j, &r, 1);
	barrier(j->ctl);
	while (seq < T) {
		unsigned n = T - seq < B ? (unsigned)(T - seq) : B, i;

		for (i = 0; i < n; i++)
			buf[i] = (__u32)(seq + i);
		seq += eu_ring_enqueue_burst(&r, buf, n);
	}
}

static ALWAYS_INLINE void eu_cons_body(struct job *j, unsigned B)
{
	struct eu_ring r;
	__u32 buf[MAX_BURST];
	struct meas m = { .warm = j->warm };
	__u64 sum = 0, T = j->total;

	eu_view(j, &r, 0);
	barrier(j->ctl);
	while (m.cnt < T) {
		unsigned n = eu_ring_dequeue_burst(&r, buf, B), i;

		for (i = 0; i < n; i++)
			sum += buf[i];
		m.cnt += n;
		meas_tick(&m);
	}
	meas_done(&m, j->ctl, sum);
}

static ALWAYS_INLINE void euzc_prod_body(struct job *j, unsigned B)
{
	struct eu_ring r;
	__u64 seq = 0, T = j->total;

	eu_view(j, &r, 1);
	barrier(j->ctl);
	while (seq < T) {
		unsigned want = T - seq < B ? (unsigned)(T - seq) : B, i;
		__u32 pos, n = eu_ring_reserve(&r, want, &pos);

		if (!n)
			continue;
		for (i = 0; i < n; i++)
			*eu_ring_entry(&r, pos + i) = (__u32)(seq + i);
		eu_ring_submit(&r, n);
		seq += n;
	}
}

static ALWAYS_INLINE void euzc_cons_body(struct job *j, unsigned B)
{
	struct eu_ring r;
	struct meas m = { .warm = j->warm };
	__u64 sum = 0, T = j->total;

	eu_view(j, &r, 0);
	barrier(j->ctl);
	while (m.cnt < T) {
		__u32 pos, n = eu_ring_peek(&r, B, &pos), i;

		if (!n)
			continue;
		for (i = 0; i < n; i++)
			sum += *eu_ring_entry(&r, pos + i);
		eu_ring_release(&r, n);
		m.cnt += n;
		meas_tick(&m);
	}
	meas_done(&m, j->ctl, sum);
}

/* ---------------------------------------------------- ring: rte_ring */

static struct rte_ring *rte_at(struct job *j, size_t off)
{
	return (struct rte_ring *)(j->arena + off);
}

static void rte_ring_setup(struct job *j, size_t off)
{
	ssize_t need = rte_ring_get_memsize_elem(4, RING_SIZE);

	if (need < 0 || (size_t)need > (64U << 10))
		die("rte_ring_get_memsize_elem(4, %u) = %zd", RING_SIZE, need);
	if (rte_ring_init(rte_at(j, off), off ? "eubench1" : "eubench0", RING_SIZE,
			  RING_F_SP_ENQ | RING_F_SC_DEQ))
		die("rte_ring_init failed");
}

static ALWAYS_INLINE void rte_prod_body(struct job *j, unsigned B)
{
	struct rte_ring *r = rte_at(j, 0);
	__u32 buf[MAX_BURST];
	__u64 seq = 0, T = j->total;

	barrier(j->ctl);
	while (seq < T) {
		unsigned n = T - seq < B ? (unsigned)(T - seq) : B, i;

		for (i = 0; i < n; i++)
			buf[i] = (__u32)(seq + i);
		seq += rte_ring_sp_enqueue_burst_elem(r, buf, 4, n, NULL);
	}
}

static ALWAYS_INLINE void rte_cons_body(struct job *j, unsigned B)
{
	struct rte_ring *r = rte_at(j, 0);
	__u32 buf[MAX_BURST];
	struct meas m = { .warm = j->warm };
	__u64 sum = 0, T = j->total;

	barrier(j->ctl);
	while (m.cnt < T) {
		unsigned n = rte_ring_sc_dequeue_burst_elem(r, buf, 4, B, NULL), i;

		for (i = 0; i < n; i++)
			sum += buf[i];
		m.cnt += n;
		meas_tick(&m);
	}
	meas_done(&m, j->ctl, sum);
}

/* ----------------------------------------------------- ring: ck_ring */

#define CK_BUF_OFF 4096U

static ALWAYS_INLINE void ck_prod_body(struct job *j, unsigned B)
{
	struct ck_ring *r = (struct ck_ring *)j->arena;
	struct ck_ring_buffer *b = (struct ck_ring_buffer *)(j->arena + CK_BUF_OFF);
	__u64 seq = 0, T = j->total;

	barrier(j->ctl);
	while (seq < T) {
		unsigned n = T - seq < B ? (unsigned)(T - seq) : B, i;

		for (i = 0; i < n; i++)
			if (!ck_ring_enqueue_spsc(r, b, (void *)(uintptr_t)(__u32)(seq + i)))
				break;
		seq += i;
	}
}

static ALWAYS_INLINE void ck_cons_body(struct job *j, unsigned B)
{
	struct ck_ring *r = (struct ck_ring *)j->arena;
	struct ck_ring_buffer *b = (struct ck_ring_buffer *)(j->arena + CK_BUF_OFF);
	struct meas m = { .warm = j->warm };
	__u64 sum = 0, T = j->total;

	barrier(j->ctl);
	while (m.cnt < T) {
		unsigned i;

		for (i = 0; i < B; i++) {
			void *v;

			if (!ck_ring_dequeue_spsc(r, b, &v))
				break;
			sum += (uintptr_t)v;
		}
		m.cnt += i;
		meas_tick(&m);
	}
	meas_done(&m, j->ctl, sum);
}

/* ------------------------------------------------ handoff: europa */

#define FRAME_LEN 64U

static ALWAYS_INLINE void eu_sw_body(struct job *j, unsigned B)
{
	struct eu_sw sw;
	__u32 idx[MAX_BURST], back[MAX_BURST];
	struct eu_txpkt pk[MAX_BURST];
	struct meas m = { .warm = j->warm };
	__u64 sent = 0, T = j->total, sum = 0;
	int err = eu_sw_init(&sw, j->region);

	if (err) {
		side_fail(j->ctl, "eu_sw_init: %s", eu_last_error());
		barrier(j->ctl);
		return;
	}
	barrier(j->ctl);
	while (m.cnt < T) {
		unsigned n, k, i;

		if (sent < T) {
			n = T - sent < B ? (unsigned)(T - sent) : B;
			n = eu_sw_rx_alloc(&sw, idx, n);
			if (n) {
				for (i = 0; i < n; i++) { /* "receive" a frame */
					struct eu_desc *d = eu_sw_desc(&sw, idx[i]);

					d->len = FRAME_LEN;
					d->port = 0;
				}
				k = eu_sw_rx_publish(&sw, idx, n);
				if (k < n)
					eu_sw_free_burst(&sw, idx + k, n - k);
				sent += k;
			}
		}
		n = eu_sw_tx_burst(&sw, pk, B);
		if (n) {
			for (i = 0; i < n; i++) { /* "transmit" it */
				back[i] = pk[i].idx;
				sum += pk[i].len;
			}
			eu_sw_free_burst(&sw, back, n);
			m.cnt += n;
		}
		if (__builtin_expect(sw.bad[EU_BAD_TX_LEN] != 0, 0)) {
			side_fail(j->ctl, "switch dropped %llu bad descriptors",
				  (unsigned long long)sw.bad[EU_BAD_TX_LEN]);
			break;
		}
		meas_tick(&m);
	}
	meas_done(&m, j->ctl, sum);
	eu_sw_fini(&sw);
}

static ALWAYS_INLINE void eu_vr_body(struct job *j, unsigned B)
{
	struct eu_vr vr;
	__u32 idx[MAX_BURST];
	__u64 fwd = 0, T = j->total;
	int err = eu_vr_init(&vr, j->region);

	if (err) {
		side_fail(j->ctl, "eu_vr_init: %s", eu_last_error());
		barrier(j->ctl);
		return;
	}
	barrier(j->ctl);
	while (fwd < T) {
		unsigned n = eu_vr_rx_burst(&vr, idx, B), k = 0;

		if (!n)
			continue;
		while (k < n)
			k += eu_vr_tx_burst(&vr, idx + k, n - k);
		fwd += n;
	}
	eu_vr_fini(&vr);
}

/* ----------------------------------------------- handoff: rte_ring */

/* Arena layout for P_RTE_HO: forward ring, return ring, descriptors. */
#define HO_FWD_OFF 0U
#define HO_RET_OFF (64U << 10)
#define HO_DESC_OFF (128U << 10)
#define HO_HEADROOM 128U
#define HO_SLOT_SIZE 2048U

static ALWAYS_INLINE void rte_sw_body(struct job *j, unsigned B)
{
	struct rte_ring *fwd = rte_at(j, HO_FWD_OFF), *ret = rte_at(j, HO_RET_OFF);
	struct eu_desc *desc = (struct eu_desc *)(j->arena + HO_DESC_OFF);
	__u32 *stack = malloc(NSLOTS * sizeof(*stack));
	__u32 idx[MAX_BURST], back[MAX_BURST];
	struct meas m = { .warm = j->warm };
	__u64 sent = 0, T = j->total, sum = 0, bad = 0;
	__u32 nfree = 0, i;

	if (!stack)
		die("out of memory");
	/* the switch owns the upper half of the pool, as in the europa region */
	for (i = NSLOTS; i-- > NSLOTS / 2;)
		stack[nfree++] = i;
	barrier(j->ctl);
	while (m.cnt < T) {
		unsigned n, k;

		if (sent < T) {
			n = T - sent < B ? (unsigned)(T - sent) : B;
			if (n > nfree)
				n = nfree;
			if (n) {
				for (k = 0; k < n; k++) { /* "receive" a frame */
					__u32 s = stack[--nfree];
					struct eu_desc *d = &desc[s];

					d->off = HO_HEADROOM;
					d->flags = 0;
					d->len = FRAME_LEN;
					d->port = 0;
					idx[k] = s;
				}
				k = rte_ring_sp_enqueue_burst_elem(fwd, idx, 4, n, NULL);
				while (n > k) /* ring full: take the rest back */
					stack[nfree++] = idx[--n];
				sent += k;
			}
		}
		n = rte_ring_sc_dequeue_burst_elem(ret, back, 4, B, NULL);
		for (k = 0; k < n; k++) { /* "transmit", with the checks eu_sw_tx_burst makes */
			__u32 s = back[k];
			const volatile struct eu_desc *d = &desc[s];
			__u16 off = d->off, len = d->len;

			if (__builtin_expect(s >= NSLOTS || len == 0 ||
					     (__u32)off + len > HO_SLOT_SIZE, 0))
				bad++;
			sum += len;
			stack[nfree++] = s;
		}
		m.cnt += n;
		meas_tick(&m);
	}
	meas_done(&m, j->ctl, sum);
	if (bad)
		side_fail(j->ctl, "rte handoff: %llu bad descriptors", (unsigned long long)bad);
	free(stack);
}

static ALWAYS_INLINE void rte_vr_body(struct job *j, unsigned B)
{
	struct rte_ring *fwd = rte_at(j, HO_FWD_OFF), *ret = rte_at(j, HO_RET_OFF);
	__u32 idx[MAX_BURST];
	__u64 done = 0, T = j->total;

	barrier(j->ctl);
	while (done < T) {
		unsigned n = rte_ring_sc_dequeue_burst_elem(fwd, idx, 4, B, NULL), k = 0;

		if (!n)
			continue;
		while (k < n)
			k += rte_ring_sp_enqueue_burst_elem(ret, idx + k, 4, n - k, NULL);
		done += n;
	}
}

/* ------------------------------------------------ cache-line ping-pong */

/*
 * The machine's cross-CPU cost: TSC cycles for one cache line to go from CPU 0
 * to CPU 1 and back. It says where the hypervisor put the two vCPUs (sharing
 * an L3 or not); read the absolute figures of a run against it.
 */
#define PP_ROUNDS 200000U

struct pingpong {
	__u32 flag __attribute__((aligned(128)));
	__u32 go __attribute__((aligned(128)));
};

static void *pingpong_b(void *arg)
{
	struct pingpong *pp = arg;
	__u32 i;

	while (!__atomic_load_n(&pp->go, __ATOMIC_ACQUIRE))
		_mm_pause();
	rt_set(g_rt, 1);
	for (i = 0; i < PP_ROUNDS; i++) {
		while (__atomic_load_n(&pp->flag, __ATOMIC_ACQUIRE) != 2 * i + 1)
			;
		__atomic_store_n(&pp->flag, 2 * i + 2, __ATOMIC_RELEASE);
	}
	rt_set(g_rt, 0);
	return NULL;
}

static double pingpong_cycles(void)
{
	static struct pingpong pp;
	pthread_attr_t at;
	cpu_set_t set;
	pthread_t t;
	__u64 t0, t1;
	__u32 i;

	pp.flag = 0;
	pp.go = 0;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	pthread_attr_init(&at);
	pthread_attr_setaffinity_np(&at, sizeof(set), &set);
	if (pthread_create(&t, &at, pingpong_b, &pp))
		die("pthread_create failed");
	pthread_attr_destroy(&at);
	__atomic_store_n(&pp.go, 1, __ATOMIC_RELEASE);
	rt_set(g_rt, 1);
	t0 = rdtsc();
	for (i = 0; i < PP_ROUNDS; i++) {
		__atomic_store_n(&pp.flag, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&pp.flag, __ATOMIC_ACQUIRE) != 2 * i + 2)
			;
	}
	t1 = rdtsc();
	rt_set(g_rt, 0);
	pthread_join(t, NULL);
	return (double)(t1 - t0) / PP_ROUNDS;
}

/* ------------------------------------------------------------- driver */

/* Side A runs on CPU 0 (producer / switch), side B on CPU 1 (consumer / VR). */
static void side_a(struct job *j)
{
	switch (j->peer) {
	case P_EU:
		DISPATCH_BURST(eu_prod_body, j);
		break;
	case P_EUZC:
		DISPATCH_BURST(euzc_prod_body, j);
		break;
	case P_RTE:
		DISPATCH_BURST(rte_prod_body, j);
		break;
	case P_CK:
		DISPATCH_BURST(ck_prod_body, j);
		break;
	case P_EU_HO:
		DISPATCH_BURST(eu_sw_body, j);
		break;
	case P_RTE_HO:
		DISPATCH_BURST(rte_sw_body, j);
		break;
	}
	j->ctl->csw[0] = csw_now() - t_csw0;
}

static void side_b(struct job *j)
{
	switch (j->peer) {
	case P_EU:
		DISPATCH_BURST(eu_cons_body, j);
		break;
	case P_EUZC:
		DISPATCH_BURST(euzc_cons_body, j);
		break;
	case P_RTE:
		DISPATCH_BURST(rte_cons_body, j);
		break;
	case P_CK:
		DISPATCH_BURST(ck_cons_body, j);
		break;
	case P_EU_HO:
		DISPATCH_BURST(eu_vr_body, j);
		break;
	case P_RTE_HO:
		DISPATCH_BURST(rte_vr_body, j);
		break;
	}
	j->ctl->csw[1] = csw_now() - t_csw0;
}

static void *side_b_thread(void *arg)
{
	pin(1, PIN_HINT);
	side_b(arg);
	rt_set(g_rt, 0);
	return NULL;
}

static void on_alarm(int sig)
{
	static const char msg[] = "ring_bench: a run exceeded its time bound (a side is "
				  "stuck); aborting\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 ||
	    (g_ctl && g_ctl->err && (write(2, g_ctl->msg, strnlen(g_ctl->msg, sizeof(g_ctl->msg))) < 0 ||
				     write(2, "\n", 1) < 0))) {
		/* nothing more to do */
	}
	if (g_child_pid > 0)
		kill(g_child_pid, SIGKILL);
	_exit(3);
}

static void prepare(struct job *j)
{
	struct eu_region_opts o;

	memset(j->ctl, 0, sizeof(*j->ctl));
	j->region = NULL;
	switch (j->peer) {
	case P_EU:
	case P_EUZC:
		memset(j->arena + EU_STATS_OFF, 0, sizeof(struct eu_ring_stats));
		if (eu_ring_init_mem(j->arena, RING_SIZE, 0))
			die("eu_ring_init_mem: %s", eu_last_error());
		break;
	case P_RTE:
		rte_ring_setup(j, 0);
		break;
	case P_CK:
		ck_ring_init((struct ck_ring *)j->arena, RING_SIZE);
		break;
	case P_EU_HO:
		eu_region_opts_default(&o);
		o.nslots = NSLOTS;
		o.ring_size = RING_SIZE;
		j->region = eu_region_create("anon", &o);
		if (!j->region)
			die("eu_region_create: %s", eu_last_error());
		break;
	case P_RTE_HO:
		rte_ring_setup(j, HO_FWD_OFF);
		rte_ring_setup(j, HO_RET_OFF);
		memset(j->arena + HO_DESC_OFF, 0, NSLOTS * sizeof(struct eu_desc));
		break;
	}
}

/* After a run: check nothing was lost and every slot is back home. */
static void check(struct job *j)
{
	__u64 T = j->total;

	if (j->ctl->err)
		die("%s: %s", peer_name[j->peer], j->ctl->msg);
	if (j->peer <= P_CK) {
		__u64 want = 0, i;

		/* values are (u32)seq; T < 2^32 in practice, but stay exact */
		for (i = 0; i < T; i++)
			want += (__u32)i;
		if (j->ctl->sum != want)
			die("%s ring: consumer sum %llu, expected %llu: objects lost or duplicated",
			    peer_name[j->peer], (unsigned long long)j->ctl->sum,
			    (unsigned long long)want);
	} else if (j->ctl->sum != T * FRAME_LEN) {
		die("%s handoff: %llu bytes came back, expected %llu", peer_name[j->peer],
		    (unsigned long long)j->ctl->sum, (unsigned long long)(T * FRAME_LEN));
	}
	if (j->region) {
		struct eu_audit a;

		if (eu_region_audit(j->region, &a) || !a.consistent ||
		    a.state[EU_SLOT_VR_FREE] != NSLOTS / 2 || a.state[EU_SLOT_SW_FREE] != NSLOTS / 2)
			die("europa handoff: region audit after the run: VR_FREE %u SW_FREE %u "
			    "(expected %u each), consistent %d",
			    a.state[EU_SLOT_VR_FREE], a.state[EU_SLOT_SW_FREE], NSLOTS / 2,
			    a.consistent);
		eu_region_destroy(j->region);
		j->region = NULL;
	}
}

/* Steal ticks of CPUs 0 and 1 so far (/proc/stat; 0 if unreadable). */
static unsigned long long steal_ticks(void)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	unsigned long long total = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8];
		int cpu;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 &&
		    (cpu == 0 || cpu == 1))
			total += v[7];
	}
	fclose(f);
	return total;
}

/* Tasks runnable system-wide now (/proc/loadavg field 4), ourselves included. */
static int nr_running(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	int n = 0;

	if (f) {
		if (fscanf(f, "%*f %*f %*f %d/", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

/* Wait up to max_ms for no other runnable task (we are the only one). */
static void wait_quiet(unsigned max_ms)
{
	struct timespec ts = { 0, 2000000 };
	unsigned waited;

	for (waited = 0; waited < max_ms && nr_running() > 1; waited += 2)
		nanosleep(&ts, NULL);
}

/*
 * One run of one peer. Returns cycles per object; *disturbed is set when a
 * side was switched out (another task ran on its CPU) or the hypervisor
 * stole time during the run: its figure is not the peer's.
 */
static double run_one(int mode, struct job *j, int *disturbed)
{
	unsigned long long steal0;
	struct timespec ts0, ts1;
	unsigned bound;

	prepare(j);
	if (!g_rt)
		wait_quiet(250);
	steal0 = steal_ticks();
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	/* generous, even on a busy machine: 20 s plus 5000 cycles an object */
	bound = 20 + (unsigned)((double)j->total * 5000.0 / g_tsc_hz);
	alarm(bound);
	if (mode == M_THREADS) {
		pthread_t t;
		pthread_attr_t at;
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		pthread_attr_init(&at);
		pthread_attr_setaffinity_np(&at, sizeof(set), &set);
		if (pthread_create(&t, &at, side_b_thread, j))
			die("pthread_create failed");
		pthread_attr_destroy(&at);
		side_a(j);
		pthread_join(t, NULL);
	} else {
		int st;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pin(1, PIN_HINT);
			side_b(j);
			_exit(0);
		}
		g_child_pid = pid;
		side_a(j);
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("%s: the child process failed (status 0x%x)", peer_name[j->peer], st);
		g_child_pid = 0;
	}
	alarm(0);
	rt_set(g_rt, 0);
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	j->secs = (double)(ts1.tv_sec - ts0.tv_sec) + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e9;
	if (g_rt) {
		/* duty cycle: give the other tasks at least as long as we took, >= 50 ms */
		double took = j->secs;
		struct timespec nap;

		if (took < 0.05)
			took = 0.05;
		nap.tv_sec = (time_t)took;
		nap.tv_nsec = (long)((took - (double)nap.tv_sec) * 1e9);
		nanosleep(&nap, NULL);
	}
	*disturbed = j->ctl->csw[0] > 0 || j->ctl->csw[1] > 0 || steal_ticks() != steal0;
	check(j);
	if (!j->ctl->objs)
		die("%s: no objects measured (warm-up %llu >= objects?)", peer_name[j->peer],
		    (unsigned long long)j->warm);
	return (double)j->ctl->cycles / (double)j->ctl->objs;
}

/* ----------------------------------------------------------- results */

struct cell {
	double *v; /* per repetition */
	unsigned n;
	__u64 objects;      /* fewest objects a kept run moved (--rt may reduce them) */
	unsigned disturbed; /* runs kept although disturbed (retries ran out) */
};

/* "12.34", with a '*' when disturbed runs were kept in it. */
static void fmt_med(char *buf, size_t len, const struct cell *c)
{
	snprintf(buf, len, "%.2f%s", median(c->v, c->n, NULL, NULL), c->disturbed ? "*" : "");
}

/* Median of the per-repetition ratios a/b (the runs were interleaved, so paired). */
static double paired_ratio(const struct cell *a, const struct cell *b)
{
	double r[1000];
	unsigned i;

	for (i = 0; i < a->n && i < b->n && i < 1000; i++)
		r[i] = a->v[i] / b->v[i];
	return i ? median(r, i, NULL, NULL) : 0;
}

static const char *unreliable(const struct cell *a, const struct cell *b)
{
	return a->disturbed || b->disturbed ? " (unreliable: disturbed runs kept)" : "";
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ring_bench [options]\n"
		"\n"
		"Hand-off throughput of libeuropa's ring and slot hand-off against DPDK rte_ring\n"
		"and Concurrency Kit ck_ring, in TSC cycles per object (lower is better), between\n"
		"two pinned threads (CPU 0 -> CPU 1) and two processes (fork, shared memory).\n"
		"\n"
		"  --quick          2M objects per run, 3 runs (a smoke test)\n"
		"  --runs R         repetitions of each configuration (default 7); the table\n"
		"                   shows the median and min..max over them\n"
		"  --objects N      objects moved per run after the warm-up (default 20000000)\n"
		"  --warmup N       objects moved before the clock starts (default objects/10)\n"
		"  --bursts LIST    comma-separated burst sizes, 1..%u (default 1,8,32)\n"
		"  --mode M         threads, procs or both (default both)\n"
		"  --test T         ring, handoff or both (default both)\n"
		"  --csv FILE       also write every figure as CSV to FILE\n"
		"  --retries N      redo a run up to N times when a side was switched out or\n"
		"                   the hypervisor stole time during it (default 10)\n"
		"  --max-time S     stop redoing disturbed runs after S seconds (default 900);\n"
		"                   a run that hangs aborts the program after a generous bound\n"
		"  --rt             run both sides SCHED_FIFO during each run (root), then sleep\n"
		"                   as long as the run took: measures on a machine busy with\n"
		"                   other work, which then gets half the CPU time meanwhile\n"
		"  --help           this text\n"
		"\n"
		"Rings hold %u entries for every peer. The figure is measured on the consumer\n"
		"side (ring) or the switch's return side (handoff): cycles from the moment the\n"
		"warm-up objects were seen to the last object, divided by the objects between.\n"
		"See bench/README.md.\n",
		MAX_BURST, RING_SIZE);
}

static unsigned parse_bursts(const char *s, unsigned *out, unsigned max)
{
	unsigned n = 0;
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 10);

		if (*end || v < 1 || v > MAX_BURST || n == max)
			die("--bursts: \"%s\" is not a list of up to %u sizes in 1..%u", s, max,
			    MAX_BURST);
		out[n++] = (unsigned)v;
	}
	free(copy);
	if (!n)
		die("--bursts: empty list");
	return n;
}

static __u64 parse_u64(const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end); /* accepts 2e7 */

	if (end == s || *end || v < 0 || v > 1e12)
		die("%s: \"%s\" is not a count", opt, s);
	return (__u64)v;
}

static int eal_start(const char *prog)
{
	/*
	 * No hugepages, no PCI scan, no shared config files, no telemetry socket:
	 * enough for rte_ring on our own memory, runs as root or not.
	 */
	static char a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "-l", a4[] = "0-1",
		    a5[] = "--log-level=1", a6[] = "--no-shconf", a7[] = "-m", a8[] = "64",
		    a9[] = "--no-telemetry";
	char *eal_argv[] = { (char *)(uintptr_t)prog, a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL };
	int eal_argc = (int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1;

	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr,
			"ring_bench: rte_eal_init failed (%s); rte_ring runs on caller memory "
			"and does not need EAL, continuing\n",
			rte_strerror(rte_errno));
		return 0;
	}
	return 1;
}

#define MAX_BURSTS 8

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "quick", no_argument, NULL, 'q' },   { "runs", required_argument, NULL, 'r' },
		{ "objects", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "bursts", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'm' }, { "test", required_argument, NULL, 't' },
		{ "csv", required_argument, NULL, 'c' },  { "help", no_argument, NULL, 'h' },
		{ "retries", required_argument, NULL, 'R' },
		{ "max-time", required_argument, NULL, 'T' },
		{ "rt", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned runs = 7, bursts[MAX_BURSTS] = { 1, 8, 32 }, nbursts = 3;
	__u64 objects = 20000000, warm = (__u64)-1;
	int quick = 0, eal = 0, c, mode_on[M_COUNT] = { 1, 1 }, test_on[T_COUNT] = { 1, 1 };
	int runs_set = 0, objects_set = 0, warm_set;
	unsigned max_retries = 10, n_redone = 0, n_kept_disturbed = 0;
	double max_time = 900, elapsed = 0, pp_before, pp_after, *pp;
	unsigned npp = 0;
	__u64 cfg_obj[M_COUNT][T_COUNT][MAX_BURSTS];
	const char *csv_path = NULL;
	FILE *csv = NULL;
	struct ctl *ctl;
	unsigned char *arena;
	struct cell res[M_COUNT][T_COUNT][MAX_BURSTS][P_COUNT];
	struct timespec w0, w1;
	int m, t, p;
	unsigned b, rep;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quick = 1;
			break;
		case 'r':
			runs = (unsigned)parse_u64("--runs", optarg);
			runs_set = 1;
			if (runs < 1 || runs > 1000)
				die("--runs: %u is not in 1..1000", runs);
			break;
		case 'n':
			objects = parse_u64("--objects", optarg);
			objects_set = 1;
			if (objects < 1000)
				die("--objects: at least 1000");
			break;
		case 'w':
			warm = parse_u64("--warmup", optarg);
			break;
		case 'b':
			nbursts = parse_bursts(optarg, bursts, MAX_BURSTS);
			break;
		case 'm':
			mode_on[M_THREADS] = !strcmp(optarg, "threads") || !strcmp(optarg, "both");
			mode_on[M_PROCS] = !strcmp(optarg, "procs") || !strcmp(optarg, "both");
			if (!mode_on[M_THREADS] && !mode_on[M_PROCS])
				die("--mode: \"%s\" is not threads, procs or both", optarg);
			break;
		case 't':
			test_on[T_RING] = !strcmp(optarg, "ring") || !strcmp(optarg, "both");
			test_on[T_HANDOFF] = !strcmp(optarg, "handoff") || !strcmp(optarg, "both");
			if (!test_on[T_RING] && !test_on[T_HANDOFF])
				die("--test: \"%s\" is not ring, handoff or both", optarg);
			break;
		case 'c':
			csv_path = optarg;
			break;
		case 'R':
			max_retries = (unsigned)parse_u64("--retries", optarg);
			break;
		case 'T':
			max_time = (double)parse_u64("--max-time", optarg);
			break;
		case 'F':
			g_rt = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (quick) {
		if (!runs_set)
			runs = 3;
		if (!objects_set)
			objects = 2000000;
	}
	warm_set = warm != (__u64)-1;
	if (!warm_set)
		warm = objects / 10;
	if (csv_path && !(csv = fopen(csv_path, "w")))
		die("--csv %s: %s", csv_path, strerror(errno));

	eal = eal_start(argv[0]);
	pin(0, PIN_HINT);
	signal(SIGALRM, on_alarm);
	g_tsc_hz = tsc_hz();

	ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED || arena == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	g_ctl = ctl;
	memset(arena, 0, ARENA_BYTES); /* fault it in before any timing */

	memset(res, 0, sizeof(res));
	memset(cfg_obj, 0, sizeof(cfg_obj));
	for (m = 0; m < M_COUNT; m++)
		for (t = 0; t < T_COUNT; t++)
			for (b = 0; b < nbursts; b++)
				for (p = 0; p < P_COUNT; p++) {
					res[m][t][b][p].v = calloc(runs, sizeof(double));
					if (!res[m][t][b][p].v)
						die("out of memory");
				}

	printf("ring_bench: TSC %.1f MHz (calibrated against CLOCK_MONOTONIC), %u runs of "
	       "%llu objects (+%llu warm-up), ring size %u, EAL %s, %s\n",
	       g_tsc_hz / 1e6, runs, (unsigned long long)objects, (unsigned long long)warm,
	       RING_SIZE, eal ? "up" : "not started",
	       g_rt ? "SCHED_FIFO during runs (--rt)" : "normal scheduling");
	pp = calloc(runs + 2, sizeof(*pp));
	if (!pp)
		die("out of memory");
	pp_before = pp[npp++] = pingpong_cycles();
	printf("ring_bench: cache-line round trip CPU 0 <-> CPU 1: %.0f cycles before the runs\n",
	       pp_before);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &w0);

	/*
	 * Repetition outermost: each repetition sweeps every configuration (mode,
	 * test, burst), and within a configuration runs the peers back to back in
	 * a rotating order. Noise that drifts over the run (other tasks, the
	 * hypervisor moving vCPUs) then hits every peer and every configuration
	 * alike, and each peer's figure is paired with its rivals' of the same
	 * moment (the ratios are medians of those pairs).
	 */
	for (rep = 0; rep < runs; rep++) {
		for (m = 0; m < M_COUNT; m++) {
			if (!mode_on[m])
				continue;
			for (t = 0; t < T_COUNT; t++) {
				int first = t == T_RING ? P_EU : P_EU_HO;
				int npeers = t == T_RING ? 4 : 2;

				if (!test_on[t])
					continue;
				for (b = 0; b < nbursts; b++) {
					__u64 *cfg_objects = &cfg_obj[m][t][b];
					int k;

					if (!*cfg_objects)
						*cfg_objects = objects;
					for (k = 0; k < npeers; k++) {
						__u64 cw = warm_set ? warm : *cfg_objects / 10;
						struct job j = {
							.peer = first + (int)((k + rep) % npeers),
							.burst = bursts[b],
							.total = *cfg_objects + cw,
							.warm = cw,
							.ctl = ctl,
							.arena = arena,
						};
						struct cell *ce = &res[m][t][b][j.peer];
						unsigned tries = 0;
						int dist;
						double v;

						do {
							v = run_one(m, &j, &dist);
							clock_gettime(CLOCK_MONOTONIC, &w1);
							elapsed = (double)(w1.tv_sec - w0.tv_sec) +
								  (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
							if (dist && elapsed < max_time)
								n_redone++;
							/*
							 * Under --rt the kernel throttles a task that
							 * runs real-time for more than
							 * sched_rt_runtime_us (0.95 s) a second: a run
							 * that long is always disturbed. Halve the
							 * objects of this configuration instead.
							 */
							if (dist && g_rt && j.secs > 0.8 &&
							    *cfg_objects >= 2000000) {
								*cfg_objects /= 2;
								cw = warm_set ? warm : *cfg_objects / 10;
								j.total = *cfg_objects + cw;
								j.warm = cw;
								fprintf(stderr, "  --rt: %s %s burst %u: "
									"down to %llu objects a run "
									"(runs over 0.8 s get throttled)\n",
									mode_name[m], test_name[t],
									bursts[b],
									(unsigned long long)*cfg_objects);
							}
						} while (dist && ++tries <= max_retries &&
							 elapsed < max_time);
						if (dist)
							ce->disturbed++;
						if (!ce->objects || j.total - j.warm < ce->objects)
							ce->objects = j.total - j.warm;
						ce->v[ce->n++] = v;
					}
				}
			}
		}
		pp[npp] = pingpong_cycles();
		fprintf(stderr, "  repetition %u of %u done (%.0f s), cache-line round trip %.0f "
				"cycles\n", rep + 1, runs, elapsed, pp[npp]);
		npp++;
	}
	clock_gettime(CLOCK_MONOTONIC, &w1);
	pp_after = pp[npp++] = pingpong_cycles();

	/* ---- tables ---- */
	{
		static const char *const hdr =
			"%-7s %-7s %5s %9s %9s %9s %9s   %7s %7s %7s\n";

		printf("\nMedian TSC cycles per object over %u runs (lower is better); "
		       "ratios are medians of the per-repetition ratios\n\n", runs);
		printf(hdr, "mode", "test", "burst", "europa", "eu-zc", "rte_ring", "ck_ring",
		       "eu/rte", "zc/rte", "eu/ck");
		for (m = 0; m < M_COUNT; m++)
			for (t = 0; t < T_COUNT; t++)
				for (b = 0; b < nbursts; b++) {
					int pe = t == T_RING ? P_EU : P_EU_HO;
					int pr = t == T_RING ? P_RTE : P_RTE_HO;
					char cz[16] = "-", cc[16] = "-", rz[16] = "-", rc[16] = "-";
					char ce[16], cr[16];
					double ratio[3][1000];
					unsigned i, n = res[m][t][b][pe].n;

					if (!n)
						continue;
					for (i = 0; i < n; i++) {
						ratio[0][i] = res[m][t][b][pe].v[i] / res[m][t][b][pr].v[i];
						if (t == T_RING) {
							ratio[1][i] = res[m][t][b][P_EUZC].v[i] /
								      res[m][t][b][P_RTE].v[i];
							ratio[2][i] = res[m][t][b][P_EU].v[i] /
								      res[m][t][b][P_CK].v[i];
						}
					}
					if (t == T_RING) {
						fmt_med(cz, sizeof(cz), &res[m][t][b][P_EUZC]);
						fmt_med(cc, sizeof(cc), &res[m][t][b][P_CK]);
						snprintf(rz, sizeof(rz), "%.2f",
							 median(ratio[1], n, NULL, NULL));
						snprintf(rc, sizeof(rc), "%.2f",
							 median(ratio[2], n, NULL, NULL));
					}
					fmt_med(ce, sizeof(ce), &res[m][t][b][pe]);
					fmt_med(cr, sizeof(cr), &res[m][t][b][pr]);
					printf("%-7s %-7s %5u %9s %9s %9s %9s   %7.2f %7s %7s\n",
					       mode_name[m], test_name[t], bursts[b], ce, cz, cr, cc,
					       median(ratio[0], n, NULL, NULL), rz, rc);
				}

		printf("\nmin..max over the runs\n\n");
		printf("%-7s %-7s %5s %13s %13s %13s %13s\n", "mode", "test", "burst", "europa",
		       "eu-zc", "rte_ring", "ck_ring");
		for (m = 0; m < M_COUNT; m++)
			for (t = 0; t < T_COUNT; t++)
				for (b = 0; b < nbursts; b++) {
					char cell[4][32];
					int col;

					if (!res[m][t][b][t == T_RING ? P_EU : P_EU_HO].n)
						continue;
					for (col = 0; col < 4; col++) {
						int pc = t == T_RING ? col
								     : (col == 0 ? P_EU_HO
										 : col == 2 ? P_RTE_HO : -1);
						double mn, mx;

						if (pc < 0) {
							snprintf(cell[col], sizeof(cell[col]), "-");
							continue;
						}
						median(res[m][t][b][pc].v, res[m][t][b][pc].n, &mn,
							  &mx);
						snprintf(cell[col], sizeof(cell[col]), "%.2f..%.2f", mn,
							 mx);
					}
					printf("%-7s %-7s %5u %13s %13s %13s %13s\n", mode_name[m],
					       test_name[t], bursts[b], cell[0], cell[1], cell[2],
					       cell[3]);
				}
	}

	for (m = 0; m < M_COUNT; m++)
		for (t = 0; t < T_COUNT; t++)
			for (b = 0; b < nbursts; b++)
				for (p = 0; p < P_COUNT; p++)
					if (res[m][t][b][p].n && res[m][t][b][p].objects < objects) {
						printf("note: %s %s burst %u %s: runs of %llu objects "
						       "(--rt reduced them)\n", mode_name[m],
						       test_name[t], bursts[b], peer_name[p],
						       (unsigned long long)res[m][t][b][p].objects);
					}

	/* ---- targets ---- */
	printf("\nTargets (issue): ring burst 32 europa <= 0.8x rte_ring; ring burst 1 europa "
	       "<= ck_ring; handoff burst 32 europa <= 2x rte_ring\n");
	for (m = 0; m < M_COUNT; m++)
		for (b = 0; b < nbursts; b++) {
			struct cell *r = res[m][T_RING][b];
			struct cell *h = res[m][T_HANDOFF][b];
			double q;

			if (bursts[b] == 32 && r[P_EU].n) {
				q = paired_ratio(&r[P_EU], &r[P_RTE]);
				printf("  %-7s ring    burst 32: europa/rte_ring %.2fx (eu-zc %.2fx), "
				       "target <= 0.80 -> %s%s\n",
				       mode_name[m], q, paired_ratio(&r[P_EUZC], &r[P_RTE]),
				       q <= 0.8 ? "MET" : "MISSED",
				       unreliable(&r[P_EU], &r[P_RTE]));
			}
			if (bursts[b] == 1 && r[P_EU].n) {
				q = paired_ratio(&r[P_EU], &r[P_CK]);
				printf("  %-7s ring    burst  1: europa/ck_ring  %.2fx (eu-zc %.2fx), "
				       "target <= 1.00 -> %s%s\n",
				       mode_name[m], q, paired_ratio(&r[P_EUZC], &r[P_CK]),
				       q <= 1.0 ? "MET" : "MISSED", unreliable(&r[P_EU], &r[P_CK]));
			}
			if (bursts[b] == 32 && h[P_EU_HO].n) {
				q = paired_ratio(&h[P_EU_HO], &h[P_RTE_HO]);
				printf("  %-7s handoff burst 32: europa/rte_ring %.2fx, target <= 2.00 "
				       "-> %s%s\n",
				       mode_name[m], q, q <= 2.0 ? "MET" : "MISSED",
				       unreliable(&h[P_EU_HO], &h[P_RTE_HO]));
			}
		}
	for (m = 0; m < M_COUNT; m++)
		for (t = 0; t < T_COUNT; t++)
			for (b = 0; b < nbursts; b++)
				for (p = 0; p < P_COUNT; p++)
					n_kept_disturbed += res[m][t][b][p].disturbed;
	{
		double mn, mx, med = median(pp, npp, &mn, &mx);

		printf("\ncache-line round trip CPU 0 <-> CPU 1: %.0f cycles before, %.0f after "
		       "the runs, median %.0f, range %.0f..%.0f over the run (absolute figures "
		       "scale with it; see bench/README.md)\n", pp_before, pp_after, med, mn, mx);
	}
	printf("wall time %.1f s; %u runs redone because another task or the hypervisor "
	       "took a CPU during them", (double)(w1.tv_sec - w0.tv_sec) +
	       (double)(w1.tv_nsec - w0.tv_nsec) / 1e9, n_redone);
	if (n_kept_disturbed)
		printf(";\nWARNING: %u disturbed runs were kept (after %u retries, or past "
		       "--max-time): the machine is busy and figures marked * are not reliable",
		       n_kept_disturbed, max_retries);
	printf("\n");

	/* ---- CSV ---- */
	if (csv) {
		fprintf(csv, "mode,test,burst,peer,metric,median,min,max,runs,objects,tsc_mhz,"
			     "disturbed\n");
		for (m = 0; m < M_COUNT; m++)
			for (t = 0; t < T_COUNT; t++)
				for (b = 0; b < nbursts; b++) {
					int p0 = t == T_RING ? P_EU : P_EU_HO;
					int p1 = t == T_RING ? P_CK : P_RTE_HO;
					int pr = t == T_RING ? P_RTE : P_RTE_HO;
					double ratio[1000];
					unsigned i, n = res[m][t][b][p0].n;

					if (!n)
						continue;
					for (p = p0; p <= p1; p++) {
						double mn, mx, med = median(res[m][t][b][p].v, n,
									       &mn, &mx);

						fprintf(csv, "%s,%s,%u,%s,cycles_per_obj,%.4f,%.4f,%.4f,"
							     "%u,%llu,%.1f,%u\n",
							mode_name[m], test_name[t], bursts[b],
							peer_name[p], med, mn, mx, n,
							(unsigned long long)res[m][t][b][p].objects,
							g_tsc_hz / 1e6, res[m][t][b][p].disturbed);
					}
					for (p = p0; p <= p1; p++) {
						double mn, mx, med;
						const char *nm;

						if (p == pr)
							continue;
						nm = p == P_CK ? "ck_ring/rte_ring"
						     : p == P_EUZC ? "eu-zc/rte_ring" : "europa/rte_ring";
						for (i = 0; i < n; i++)
							ratio[i] = res[m][t][b][p].v[i] /
								   res[m][t][b][pr].v[i];
						med = median(ratio, n, &mn, &mx);
						fprintf(csv, "%s,%s,%u,%s,ratio,%.4f,%.4f,%.4f,%u,%llu,%.1f,"
							     "%u\n",
							mode_name[m], test_name[t], bursts[b], nm, med, mn,
							mx, n, (unsigned long long)res[m][t][b][p].objects,
							g_tsc_hz / 1e6,
							res[m][t][b][p].disturbed +
								res[m][t][b][pr].disturbed);
					}
					if (t == T_RING) {
						double mn, mx, med;

						for (i = 0; i < n; i++)
							ratio[i] = res[m][t][b][P_EU].v[i] /
								   res[m][t][b][P_CK].v[i];
						med = median(ratio, n, &mn, &mx);
						fprintf(csv, "%s,%s,%u,europa/ck_ring,ratio,%.4f,%.4f,%.4f,"
							     "%u,%llu,%.1f,%u\n",
							mode_name[m], test_name[t], bursts[b], med, mn, mx, n,
							(unsigned long long)res[m][t][b][P_EU].objects,
							g_tsc_hz / 1e6,
							res[m][t][b][P_EU].disturbed +
								res[m][t][b][P_CK].disturbed);
					}
				}
		{
			double mn, mx, med = median(pp, npp, &mn, &mx);

			fprintf(csv, "threads,pingpong,0,line,round_trip_cycles,%.1f,%.1f,%.1f,%u,"
				     "%u,%.1f,0\n", med, mn, mx, npp, PP_ROUNDS, g_tsc_hz / 1e6);
		}
		if (fclose(csv))
			die("--csv %s: %s", csv_path, strerror(errno));
		printf("CSV written to %s\n", csv_path);
	}

	for (m = 0; m < M_COUNT; m++)
		for (t = 0; t < T_COUNT; t++)
			for (b = 0; b < nbursts; b++)
				for (p = 0; p < P_COUNT; p++)
					free(res[m][t][b][p].v);
	free(pp);
	munmap(arena, ARENA_BYTES);
	munmap(ctl, 4096);
	if (eal)
		rte_eal_cleanup();
	return 0;
}
