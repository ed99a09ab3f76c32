/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/overhead.c - the EUROPA overhead table on this machine, beside what
 * libeuropa's hand-off costs, plus hand-off latency and the cost of waiting.
 *
 * Sections (--tests, default all):
 *
 *   syscall  TSC cycles per call, one pinned thread, batches of BATCH calls
 *            timed together (median over --runs runs):
 *              null      syscall(SYS_getppid): entry and exit only
 *              sendto    64-byte datagram on a UDP socket to 127.0.0.1: entry,
 *                        socket lookup, skb allocation, copy from user, UDP/IP
 *                        output, loopback transmit and the receive softirq up to
 *                        the receiver's queue (it runs inline on this CPU)
 *              recvfrom  one of the datagrams queued above: entry, dequeue,
 *                        copy to user, skb free
 *              write     64 bytes to a pipe: entry, copy from user into the pipe
 *              read      64 bytes from a pipe that holds them
 *            and the same with 1 byte. A run's figure is its median batch. Copy from user of 64
 * bytes is estimated as write(64) - write(1), copy to user as read(64) - read(1) (pipes: the least
 * other work per byte); the UDP differences are printed too. handoff  libeuropa's hand-off of a
 * slot (index plus state word) in one thread on an in-process region, per packet (burst 1) and per
 *            burst of 32:
 *              sw_to_vr  eu_sw_rx_alloc + desc len/port + eu_sw_rx_publish
 *                        (switch) and eu_vr_rx_burst (VR): the receive path
 *              vr_to_sw  eu_vr_tx_burst (VR) and eu_sw_tx_burst +
 *                        eu_sw_free_burst (switch): the send path
 *            The round trip is timed without anything in between; the split
 *            between the two directions comes from a second loop with a
 *            timestamp between the calls (rdtsc itself perturbs a 20-cycle
 *            interval, so only the proportion is taken from it). Each run is
 *            timed in chunks and takes the median chunk.
 *   latency  a frame through the hand-off between two threads (switch on
 *            CPU 0, VR on CPU 1, both busy polling): the switch stamps the
 *            TSC into the frame just before eu_sw_rx_publish, the VR reads it
 *            after eu_vr_rx_burst. Loads: 10 kpps, 1 Mpps (bursts of 8) and
 *            saturation (back-to-back bursts of 32, so the latency there is
 *            mostly queueing). Percentiles p50, p99, p99.9. With --rt both
 *            threads run SCHED_FIFO, in rounds shorter than the kernel's
 *            real-time throttling period, so that on a shared machine the
 *            tail is the hand-off's and not the scheduler's.
 *   idle     CPU used by the VR thread (getrusage RUSAGE_THREAD over the run)
 *            with adaptive polling (eu_poller_idle: spin, yield, then sleep on
 *            the futex; the switch wakes it in eu_sw_rx_publish) and with
 *            busy polling (EU_POLL_F_BUSY), at idle and at 1 kpps (the sender
 *            sleeps between frames), with the wake-up latency: TSC from just
 *            before eu_sw_rx_publish to the VR seeing the frame, and the
 *            switch's cycles in eu_sw_rx_publish (it makes the futex wake).
 *
 * Numbers are TSC ticks (constant rate), not core clocks. Nothing is
 * asserted. CSV (--csv FILE): section,name,param,metric,value,min,max,runs,tsc_mhz
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <europa/europa.h>

#define BENCH_PROG "overhead"
#include "bench_util.h"

#define PIN_HINT ": pick one of this machine's CPUs with --cpu" /* after "cannot pin to CPU N" */

#define BATCH        64 /* system calls timed together */
#define MAX_RUNS     64
#define MAX_BATCHES  1000 /* batches of each system call per run */
#define HO_CHUNKS    50   /* each hand-off run is timed in this many chunks */
#define HO_BURST_MAX 32

static double g_hz; /* TSC ticks per second */
static FILE *g_csv;
static int g_cpu; /* CPU of the single-thread sections */
static unsigned g_runs = 7;
static int g_quick;
static int g_rt; /* --rt: the latency threads run SCHED_FIFO */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of v[0..n). */
struct stat3 {
	double med, min, max;
};

static struct stat3 stat3(const double *v, unsigned n)
{
	struct stat3 s;

	s.med = median(v, n, &s.min, &s.max);
	return s;
}

static void csv_row(const char *sec, const char *name, const char *param, const char *metric,
		    double v, double mn, double mx, unsigned runs)
{
	if (g_csv)
		fprintf(g_csv, "%s,%s,%s,%s,%.2f,%.2f,%.2f,%u,%.1f\n", sec, name, param, metric, v,
			mn, mx, runs, g_hz / 1e6);
}

/* ------------------------------------------------------------ system calls */

enum sc_item {
	SC_NULL,
	SC_SEND64,
	SC_SEND1,
	SC_RECV64,
	SC_RECV1,
	SC_WRITE64,
	SC_WRITE1,
	SC_READ64,
	SC_READ1,
	SC_COUNT
};

static const char *const sc_name[SC_COUNT] = {"null",        "sendto_64",  "sendto_1",
					      "recvfrom_64", "recvfrom_1", "write_64",
					      "write_1",     "read_64",    "read_1"};

struct sc_ctx {
	int tx, rx; /* UDP sockets: tx sends to rx's address */
	struct sockaddr_in to;
	int pfd[2]; /* pipe */
	unsigned char buf[2048];
};

/* One batch of sendto of `len` bytes then recvfrom of them: cycles per call of each. */
static void sc_udp_batch(struct sc_ctx *c, size_t len, double *send, double *recv)
{
	__u64 t0, t1, t2;
	unsigned i;

	t0 = rdtsc();
	for (i = 0; i < BATCH; i++)
		if (sendto(c->tx, c->buf, len, 0, (struct sockaddr *)&c->to, sizeof(c->to)) !=
		    (ssize_t)len)
			die("sendto 127.0.0.1: %s", strerror(errno));
	t1 = rdtsc();
	for (i = 0; i < BATCH; i++)
		if (recvfrom(c->rx, c->buf, sizeof(c->buf), MSG_DONTWAIT, NULL, NULL) !=
		    (ssize_t)len)
			die("recvfrom: a datagram was lost (%s); the receive buffer is too small "
			    "or another program uses the port",
			    strerror(errno));
	t2 = rdtsc();
	*send = (double)(t1 - t0) / BATCH;
	*recv = (double)(t2 - t1) / BATCH;
}

static void sc_pipe_batch(struct sc_ctx *c, size_t len, double *wr, double *rd)
{
	__u64 t0, t1, t2;
	unsigned i;

	t0 = rdtsc();
	for (i = 0; i < BATCH; i++)
		if (write(c->pfd[1], c->buf, len) != (ssize_t)len)
			die("pipe write: %s", strerror(errno));
	t1 = rdtsc();
	for (i = 0; i < BATCH; i++)
		if (read(c->pfd[0], c->buf, len) != (ssize_t)len)
			die("pipe read: %s", strerror(errno));
	t2 = rdtsc();
	*wr = (double)(t1 - t0) / BATCH;
	*rd = (double)(t2 - t1) / BATCH;
}

static double sc_null_batch(void)
{
	__u64 t0 = rdtsc();
	unsigned i;

	for (i = 0; i < BATCH; i++)
		syscall(SYS_getppid);
	return (double)(rdtsc() - t0) / BATCH;
}

static void run_syscall(void)
{
	struct sc_ctx c;
	socklen_t al = sizeof(c.to);
	int big = 4 << 20;
	unsigned batches = g_quick ? 200 : MAX_BATCHES, r, b, i;
	static double per_run[SC_COUNT][MAX_RUNS];
	static double bv[SC_COUNT][MAX_BATCHES]; /* cycles per call of each batch of a run */
	struct stat3 st[SC_COUNT];
	double tmp[SC_COUNT];

	memset(&c, 0, sizeof(c));
	memset(c.buf, 0xa5, sizeof(c.buf));
	c.rx = socket(AF_INET, SOCK_DGRAM, 0);
	c.tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (c.rx < 0 || c.tx < 0)
		die("socket(AF_INET, SOCK_DGRAM): %s", strerror(errno));
	/* room for a whole batch of queued datagrams; FORCE only works as root */
	if (setsockopt(c.rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(c.rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	c.to.sin_family = AF_INET;
	c.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.to.sin_port = 0;
	if (bind(c.rx, (struct sockaddr *)&c.to, sizeof(c.to)) ||
	    getsockname(c.rx, (struct sockaddr *)&c.to, &al))
		die("bind 127.0.0.1: %s (is the loopback interface up?)", strerror(errno));
	if (pipe(c.pfd))
		die("pipe: %s", strerror(errno));

	pin(g_cpu, PIN_HINT);
	for (b = 0; b < batches / 4; b++) { /* warm-up: caches, skb slabs, branch predictors */
		sc_udp_batch(&c, 64, &tmp[0], &tmp[1]);
		sc_pipe_batch(&c, 64, &tmp[0], &tmp[1]);
	}
	for (r = 0; r < g_runs; r++) {
		/*
		 * Every item runs within each run, interleaved batch by batch; a run's
		 * figure is the median batch, so that a batch during which the thread
		 * was switched out (a shared machine) does not count.
		 */
		for (b = 0; b < batches; b++) {
			bv[SC_NULL][b] = sc_null_batch();
			sc_udp_batch(&c, 64, &bv[SC_SEND64][b], &bv[SC_RECV64][b]);
			sc_udp_batch(&c, 1, &bv[SC_SEND1][b], &bv[SC_RECV1][b]);
			sc_pipe_batch(&c, 64, &bv[SC_WRITE64][b], &bv[SC_READ64][b]);
			sc_pipe_batch(&c, 1, &bv[SC_WRITE1][b], &bv[SC_READ1][b]);
		}
		for (i = 0; i < SC_COUNT; i++)
			per_run[i][r] = stat3(bv[i], batches).med;
	}
	close(c.rx);
	close(c.tx);
	close(c.pfd[0]);
	close(c.pfd[1]);

	/* the copies: differences within each run, then their median */
	double cfu[MAX_RUNS], ctu[MAX_RUNS], ucfu[MAX_RUNS], uctu[MAX_RUNS];

	for (r = 0; r < g_runs; r++) {
		cfu[r] = per_run[SC_WRITE64][r] - per_run[SC_WRITE1][r];
		ctu[r] = per_run[SC_READ64][r] - per_run[SC_READ1][r];
		ucfu[r] = per_run[SC_SEND64][r] - per_run[SC_SEND1][r];
		uctu[r] = per_run[SC_RECV64][r] - per_run[SC_RECV1][r];
	}
	struct stat3 s_cfu = stat3(cfu, g_runs), s_ctu = stat3(ctu, g_runs);
	struct stat3 s_ucfu = stat3(ucfu, g_runs), s_uctu = stat3(uctu, g_runs);

	for (i = 0; i < SC_COUNT; i++) {
		st[i] = stat3(per_run[i], g_runs);
		csv_row("syscall", sc_name[i], "64B", "cycles", st[i].med, st[i].min, st[i].max,
			g_runs);
	}
	csv_row("syscall", "copy_from_user_64", "pipe", "cycles", s_cfu.med, s_cfu.min, s_cfu.max,
		g_runs);
	csv_row("syscall", "copy_to_user_64", "pipe", "cycles", s_ctu.med, s_ctu.min, s_ctu.max,
		g_runs);
	csv_row("syscall", "copy_from_user_64", "udp", "cycles", s_ucfu.med, s_ucfu.min, s_ucfu.max,
		g_runs);
	csv_row("syscall", "copy_to_user_64", "udp", "cycles", s_uctu.med, s_uctu.min, s_uctu.max,
		g_runs);

	printf("\nsystem calls, TSC cycles per call (median of %u runs of %u x %u calls, CPU %d)\n",
	       g_runs, batches, BATCH, g_cpu);
	for (i = 0; i < SC_COUNT; i++)
		printf("  %-22s %9.0f   (%.0f..%.0f)\n", sc_name[i], st[i].med, st[i].min,
		       st[i].max);
	printf("  %-22s %9.0f   (pipe write 64 - write 1; UDP sendto: %.0f)\n",
	       "copy from user, 64 B", s_cfu.med, s_ucfu.med);
	printf("  %-22s %9.0f   (pipe read 64 - read 1; UDP recvfrom: %.0f)\n",
	       "copy to user, 64 B", s_ctu.med, s_uctu.med);
}

/* ------------------------------------------------------- hand-off, 1 thread */

struct ho {
	struct eu_region *r;
	struct eu_sw sw;
	struct eu_vr vr;
};

static void ho_open(struct ho *h, __u32 nslots)
{
	struct eu_region_opts o;

	eu_region_opts_default(&o);
	o.nslots = nslots;
	h->r = eu_region_create("anon", &o);
	if (!h->r)
		die("eu_region_create: %s", eu_last_error());
	if (eu_sw_init(&h->sw, h->r) || eu_vr_init(&h->vr, h->r))
		die("attach to the region: %s", eu_last_error());
}

static void ho_close(struct ho *h)
{
	eu_vr_fini(&h->vr);
	eu_sw_fini(&h->sw);
	eu_region_destroy(h->r);
}

/* Publish n frames (switch side). Returns how many went. */
static inline __u32 ho_publish(struct eu_sw *sw, __u32 *idx, __u32 n)
{
	__u32 i, k;

	n = eu_sw_rx_alloc(sw, idx, n);
	for (i = 0; i < n; i++) {
		struct eu_desc *d = eu_sw_desc(sw, idx[i]);

		d->len = 64;
		d->port = 0;
	}
	k = eu_sw_rx_publish(sw, idx, n);
	if (k < n)
		eu_sw_free_burst(sw, idx + k, n - k);
	return k;
}

/* Take back what the VR sent (switch side). */
static inline __u32 ho_reap(struct eu_sw *sw)
{
	struct eu_txpkt pk[HO_BURST_MAX];
	__u32 back[HO_BURST_MAX], n, i;

	n = eu_sw_tx_burst(sw, pk, HO_BURST_MAX);
	for (i = 0; i < n; i++)
		back[i] = pk[i].idx;
	eu_sw_free_burst(sw, back, n);
	return n;
}

/*
 * `iters` round trips of `B` frames. timed = 0: cycles per frame of the
 * whole round trip; timed = 1: *s2v and *v2s get the cycles between the
 * timestamps (their proportion is what counts).
 */
static double ho_loop(struct ho *h, __u32 B, unsigned iters, int timed, double *s2v, double *v2s)
{
	__u32 idx[HO_BURST_MAX], got[HO_BURST_MAX];
	struct eu_txpkt pk[HO_BURST_MAX];
	__u64 a = 0, b = 0, t0, t1 = 0, t2, frames = 0;
	unsigned it;

	t0 = rdtsc();
	for (it = 0; it < iters; it++) {
		__u32 n, m, k, i;

		if (timed)
			t0 = rdtsc();
		n = ho_publish(&h->sw, idx, B);
		m = eu_vr_rx_burst(&h->vr, got, B);
		if (timed)
			t1 = rdtsc();
		k = eu_vr_tx_burst(&h->vr, got, m);
		n = eu_sw_tx_burst(&h->sw, pk, B);
		for (i = 0; i < n; i++)
			idx[i] = pk[i].idx;
		eu_sw_free_burst(&h->sw, idx, n);
		if (timed) {
			t2 = rdtsc();
			a += t1 - t0;
			b += t2 - t1;
		}
		if (__builtin_expect(m != B || k != m || n != k, 0))
			die("hand-off lost frames (%u published, %u received, %u sent, %u taken): "
			    "a library bug",
			    B, m, k, n);
		frames += n;
	}
	t1 = rdtsc();
	if (timed) {
		*s2v = (double)a / (double)frames;
		*v2s = (double)b / (double)frames;
	}
	return (double)(t1 - t0) / (double)frames;
}

static void run_handoff(void)
{
	static const __u32 bursts[] = {1, 32};
	unsigned iters = g_quick ? 200000 : 1000000, r, bi;
	struct ho h;

	pin(g_cpu, PIN_HINT);
	ho_open(&h, 4096);
	printf("\nlibeuropa hand-off in one thread, TSC cycles per frame (median of %u runs)\n",
	       g_runs);
	for (bi = 0; bi < sizeof(bursts) / sizeof(bursts[0]); bi++) {
		__u32 B = bursts[bi];
		double rt[MAX_RUNS], s2v[MAX_RUNS], v2s[MAX_RUNS], a, b;
		unsigned n = iters / B;
		char param[16];

		ho_loop(&h, B, n / 4, 0, NULL, NULL); /* warm-up */
		for (r = 0; r < g_runs; r++) {
			/* medians over chunks: a chunk with a context switch in it does not count
			 */
			double c_rt[HO_CHUNKS], c_fr[HO_CHUNKS], fr;
			unsigned k;

			for (k = 0; k < HO_CHUNKS; k++) {
				c_rt[k] = ho_loop(&h, B, n / HO_CHUNKS, 0, NULL, NULL);
				ho_loop(&h, B, n / HO_CHUNKS, 1, &a, &b);
				c_fr[k] = a / (a + b);
			}
			rt[r] = stat3(c_rt, HO_CHUNKS).med;
			fr = stat3(c_fr, HO_CHUNKS).med;
			s2v[r] = rt[r] * fr;
			v2s[r] = rt[r] * (1 - fr);
		}
		struct stat3 s_rt = stat3(rt, g_runs), s_a = stat3(s2v, g_runs),
			     s_b = stat3(v2s, g_runs);

		snprintf(param, sizeof(param), "burst%u", B);
		csv_row("handoff", "sw_to_vr", param, "cycles", s_a.med, s_a.min, s_a.max, g_runs);
		csv_row("handoff", "vr_to_sw", param, "cycles", s_b.med, s_b.min, s_b.max, g_runs);
		csv_row("handoff", "round_trip", param, "cycles", s_rt.med, s_rt.min, s_rt.max,
			g_runs);
		printf("  burst %2u: switch->VR %7.1f   VR->switch %7.1f   round trip %7.1f "
		       "(%.1f..%.1f)\n",
		       B, s_a.med, s_b.med, s_rt.med, s_rt.min, s_rt.max);
	}
	ho_close(&h);
}

/* ------------------------------------------------ two threads: latency, idle */

struct duo {
	struct ho h;
	__u64 count;   /* frames to send (0: none, run for `secs`) */
	double secs;   /* sender's time limit */
	double gap;    /* TSC ticks between sends (0: back to back) */
	__u32 burst;   /* frames per send */
	int sleep_gap; /* the sender sleeps between sends (else spins) */
	int busy;      /* VR: pure busy polling */
	int vr_cpu, sw_cpu;
	int rt; /* both threads SCHED_FIFO (--rt) */
	/* results */
	__u32 *lat; /* samples, TSC ticks */
	__u64 nlat, cap;
	__u32 *pub; /* sender: ticks in eu_sw_rx_publish per send */
	__u64 npub;
	double vr_cpu_s, wall_s;
	volatile int stop, ready;
};

static double thread_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6;
}

static void *duo_vr(void *arg)
{
	struct duo *d = arg;
	struct eu_poll_opts po = {.size = sizeof(po)};
	struct eu_poller p;
	__u32 idx[HO_BURST_MAX];
	double c0;
	struct timespec a, b;

	pin(d->vr_cpu, PIN_HINT);
	rt_set(g_rt, d->rt);
	po.spin = 512;
	po.yield = 64;
	po.flags = d->busy ? EU_POLL_F_BUSY : 0;
	if (eu_poller_init(&p, d->h.r, EU_RING_RX, &po))
		die("eu_poller_init: %s", eu_last_error());
	c0 = thread_cpu_s();
	clock_gettime(CLOCK_MONOTONIC, &a);
	__atomic_store_n(&d->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		__u32 n = eu_vr_rx_burst(&d->h.vr, idx, HO_BURST_MAX), i, k = 0;
		__u64 now;

		if (!n) {
			eu_poller_idle(&p, &d->h.vr.rx, 20);
			continue;
		}
		now = rdtsc();
		eu_poller_busy(&p);
		for (i = 0; i < n && d->nlat < d->cap; i++) {
			__u64 st;

			memcpy(&st, eu_vr_data(&d->h.vr, idx[i]), sizeof(st)); /* at desc->off */
			d->lat[d->nlat++] = now - st > UINT32_MAX ? UINT32_MAX : (__u32)(now - st);
		}
		while (k < n)
			k += eu_vr_tx_burst(&d->h.vr, idx + k, n - k);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	d->vr_cpu_s = thread_cpu_s() - c0;
	d->wall_s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
	return NULL;
}

/* The sender (switch side), in the calling thread. */
static void duo_sw(struct duo *d)
{
	__u32 idx[HO_BURST_MAX];
	__u64 sent = 0, t_end, next;

	pin(d->sw_cpu, PIN_HINT);
	rt_set(g_rt, d->rt);
	while (!__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE))
		_mm_pause();
	next = rdtsc();
	t_end = next + (__u64)(d->secs * g_hz);
	while (rdtsc() < t_end && (!d->count || sent < d->count)) {
		__u32 n, i, k;
		__u64 t0;

		ho_reap(&d->h.sw);
		if (!d->count) { /* idle: nothing to send */
			struct timespec ts = {0, 10000000};

			nanosleep(&ts, NULL);
			continue;
		}
		if (d->gap > 0) {
			__u64 now = rdtsc();

			if (now < next) {
				if (d->sleep_gap && next - now > g_hz / 20000) {
					struct timespec ts = {
						0,
						(long)((double)(next - now) * 1e9 / g_hz) - 30000};

					if (ts.tv_nsec > 0)
						nanosleep(&ts, NULL);
				}
				continue;
			}
			next += (__u64)d->gap;
		}
		n = eu_sw_rx_alloc(&d->h.sw, idx, d->burst);
		if (!n)
			continue; /* all slots in flight: take them back first */
		t0 = rdtsc();
		for (i = 0; i < n; i++) {
			struct eu_desc *ds = eu_sw_desc(&d->h.sw, idx[i]);

			ds->len = 64;
			ds->port = 0;
			memcpy(eu_sw_buf(&d->h.sw, idx[i]) + ds->off, &t0, sizeof(t0));
		}
		k = eu_sw_rx_publish(&d->h.sw, idx, n);
		if (d->pub && d->npub < d->cap)
			d->pub[d->npub++] = (__u32)(rdtsc() - t0);
		if (k < n)
			eu_sw_free_burst(&d->h.sw, idx + k, n - k);
		sent += k;
	}
	/* let the VR see the last frames */
	t_end = rdtsc() + (__u64)(g_hz / 20);
	while (rdtsc() < t_end)
		ho_reap(&d->h.sw);
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
	rt_set(g_rt, 0);
}

static void duo_run(struct duo *d)
{
	pthread_t t;

	d->stop = d->ready = 0;
	d->nlat = d->npub = 0;
	ho_open(&d->h, 4096);
	if (pthread_create(&t, NULL, duo_vr, d))
		die("pthread_create: %s", strerror(errno));
	duo_sw(d);
	pthread_join(t, NULL);
	ho_close(&d->h);
}

/* Percentile q (0..1) of sorted v[0..n), as TSC ticks. */
static double pct(const __u32 *v, __u64 n, double q)
{
	__u64 i;

	if (!n)
		return 0;
	i = (__u64)(q * (double)(n - 1) + 0.5);
	return v[i];
}

static void report_lat(const char *sec, const char *name, const char *param, __u32 *v, __u64 n,
		       const char *what)
{
	static const double qs[] = {0.5, 0.99, 0.999};
	static const char *const qn[] = {"p50", "p99", "p999"};
	unsigned i;

	qsort(v, n, sizeof(*v), cmp_u32);
	printf("  %-9s %-7s %-28s", name, param, what);
	for (i = 0; i < 3; i++) {
		double c = pct(v, n, qs[i]);
		char m[32];

		snprintf(m, sizeof(m), "%s_ns", qn[i]);
		csv_row(sec, name, param, m, c * 1e9 / g_hz, c * 1e9 / g_hz, c * 1e9 / g_hz, 1);
		printf(" %s %8.0f ns", qn[i], c * 1e9 / g_hz);
	}
	printf("   (%llu samples)\n", (unsigned long long)n);
}

static int two_cpus(void)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("  (skipped: needs two CPUs)\n");
		return 0;
	}
	return 1;
}

static void run_latency(void)
{
	struct {
		const char *name;
		double pps;
		__u32 burst;
		__u64 count;
	} loads[] = {
		{"low", 10e3, 1, g_quick ? 5000 : 30000},
		{"high", 1e6, 8, g_quick ? 200000 : 2000000},
		{"saturated", 0, 32, g_quick ? 1000000 : 10000000},
	};
	struct duo d;
	unsigned i;

	printf("\nhand-off latency between two threads (switch CPU 0 -> VR CPU 1, busy "
	       "polling%s)\n",
	       g_rt ? ", SCHED_FIFO" : "");
	if (!two_cpus())
		return;
	for (i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		/*
		 * With --rt, rounds of at most 0.8 s with a pause between them: the
		 * kernel throttles real-time tasks after 0.95 s of each second, and
		 * that pause would land in the percentiles. Without, one round.
		 */
		double round_s = g_rt ? 0.8 : g_quick ? 2 : 5;
		__u64 total = loads[i].count, got = 0;
		__u32 *all = malloc(total * sizeof(*all));
		unsigned round;
		char param[32];

		if (!all)
			die("out of memory");
		for (round = 0; got < total && round < 100; round++) {
			struct timespec pause = {0, 200000000};

			memset(&d, 0, sizeof(d));
			d.lat = all + got;
			d.cap = total - got;
			d.count = d.cap;
			if (g_rt && loads[i].pps > 0 && d.count > loads[i].pps * round_s)
				d.count = (__u64)(loads[i].pps * round_s);
			d.burst = loads[i].burst;
			d.gap = loads[i].pps > 0 ? g_hz / loads[i].pps * d.burst : 0;
			d.secs = round_s;
			d.busy = 1;
			d.rt = g_rt;
			d.sw_cpu = 0;
			d.vr_cpu = 1;
			duo_run(&d);
			got += d.nlat;
			if (!g_rt || !d.nlat)
				break;
			nanosleep(&pause, NULL);
		}
		if (loads[i].pps > 0)
			snprintf(param, sizeof(param), "%.0fkpps", loads[i].pps / 1e3);
		else
			snprintf(param, sizeof(param), "max");
		report_lat("latency", loads[i].name, param, all, got, "stamp->VR rx");
		free(all);
	}
}

static void run_idle(void)
{
	static const char *const mode[2] = {"adaptive", "busy"};
	double secs = g_quick ? 1.0 : 3.0;
	unsigned m, l;

	printf("\nVR thread CPU and wake-up latency, adaptive vs busy polling (%.0f s each)\n",
	       secs);
	if (!two_cpus())
		return;
	for (m = 0; m < 2; m++) {
		for (l = 0; l < 2; l++) {
			struct duo d;
			const char *load = l ? "1kpps" : "idle";

			memset(&d, 0, sizeof(d));
			d.busy = m == 1;
			d.count = l ? 1000000 : 0;
			d.burst = 1;
			d.gap = g_hz / 1000;
			d.sleep_gap = 1;
			d.secs = secs;
			d.sw_cpu = 0;
			d.vr_cpu = 1;
			d.cap = 1 << 16;
			d.lat = malloc(d.cap * sizeof(*d.lat));
			d.pub = malloc(d.cap * sizeof(*d.pub));
			if (!d.lat || !d.pub)
				die("out of memory");
			duo_run(&d);
			double cpu = 100.0 * d.vr_cpu_s / d.wall_s;

			csv_row("idle", mode[m], load, "vr_cpu_pct", cpu, cpu, cpu, 1);
			printf("  %-9s %-7s VR thread CPU %6.2f %%\n", mode[m], load, cpu);
			if (l) {
				report_lat("idle", mode[m], load, d.lat, d.nlat,
					   "wake-up (stamp->VR)");
				qsort(d.pub, d.npub, sizeof(*d.pub), cmp_u32);
				double p = pct(d.pub, d.npub, 0.5);

				csv_row("idle", mode[m], load, "publish_p50_cycles", p, p, p, 1);
				printf("  %-9s %-7s eu_sw_rx_publish p50 %.0f cycles (with the "
				       "wake)\n",
				       mode[m], load, p);
			}
			free(d.lat);
			free(d.pub);
		}
	}
}

/* ------------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: overhead [OPTIONS]\n"
		"The EUROPA overhead table on this machine (system calls, copies) beside\n"
		"libeuropa's hand-off, plus hand-off latency and adaptive vs busy polling.\n"
		"\n"
		"  -t, --tests LIST  syscall,handoff,latency,idle (default all)\n"
		"  -r, --runs R      runs per figure, medians (default 7, at most 64)\n"
		"  -c, --cpu C       CPU of the single-thread tests (default the last)\n"
		"      --csv FILE    write the figures as CSV\n"
		"      --rt          latency: both threads SCHED_FIFO (root; for busy machines)\n"
		"  -q, --quick       fewer and shorter runs (smoke test)\n"
		"  -h, --help        this text\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"tests", required_argument, NULL, 't'}, {"runs", required_argument, NULL, 'r'},
		{"cpu", required_argument, NULL, 'c'},   {"csv", required_argument, NULL, 'C'},
		{"quick", no_argument, NULL, 'q'},       {"help", no_argument, NULL, 'h'},
		{"rt", no_argument, NULL, 'R'},          {NULL, 0, NULL, 0},
	};
	const char *tests = "syscall,handoff,latency,idle", *csv = NULL;
	int o, runs_set = 0;

	g_cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	while ((o = getopt_long(argc, argv, "t:r:c:qh", lo, NULL)) != -1) {
		switch (o) {
		case 't':
			tests = optarg;
			break;
		case 'r':
			g_runs = (unsigned)atoi(optarg);
			if (g_runs < 1 || g_runs > MAX_RUNS)
				die("--runs %s: give 1..%d", optarg, MAX_RUNS);
			runs_set = 1;
			break;
		case 'c':
			g_cpu = atoi(optarg);
			break;
		case 'C':
			csv = optarg;
			break;
		case 'q':
			g_quick = 1;
			break;
		case 'R':
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
	if (g_quick && !runs_set)
		g_runs = 3;
	if (csv) {
		g_csv = fopen(csv, "w");
		if (!g_csv)
			die("cannot write %s: %s", csv, strerror(errno));
		fprintf(g_csv, "section,name,param,metric,value,min,max,runs,tsc_mhz\n");
	}
	g_hz = tsc_hz();
	printf("overhead: TSC %.1f MHz (calibrated against CLOCK_MONOTONIC)\n", g_hz / 1e6);
	if (strstr(tests, "syscall"))
		run_syscall();
	if (strstr(tests, "handoff"))
		run_handoff();
	if (strstr(tests, "latency"))
		run_latency();
	if (strstr(tests, "idle"))
		run_idle();
	printf("\nEUROPA (2.66 GHz Core 2): send 3,000, receive 3,400, copy to user 160, copy from "
	       "user 140 cycles.\n");
	if (g_csv && fclose(g_csv))
		die("writing %s: %s", csv, strerror(errno));
	return 0;
}
