/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/lpm_bench.c - IPv4 longest-prefix match: libeuropa's eu_lpm against
 * DPDK's rte_lpm on the same synthetic BGP-like table (1M prefixes from the
 * generator that tools/eu-mktable prints) and the same destinations, in one
 * run, as a ratio.
 *
 * Measured, for each table:
 *   build      CPU time to add every route to an empty table (routes/s: the
 *              add rate); eu_lpm is built --runs times, rte_lpm --rte-builds
 *              times (about 45 s each on a 1M table), median
 *   churn      delete and re-add --churn random routes of the full table
 *              (updates/s over both, CPU time)
 *   memory     eu_lpm_memsize(); for rte_lpm the growth of DPDK's malloc heap
 *              over rte_lpm_create() (its tables are allocated there up front)
 *   lookups    over --dst addresses, two sets: "random" (uniform 32-bit) and
 *              "table" (inside a random prefix of the table, as real traffic
 *              is); modes "single" (one call per address) and "burst"
 *              (eu_lpm_lookup_burst / rte_lpm_lookup_bulk of --burst
 *              addresses, and rte_lpm_lookupx4 four at a time). eu_lpm holds
 *              the RCU read lock per --burst addresses, as a forwarder would
 *              per received burst. Lookups per second of the thread's CPU
 *              time (CLOCK_THREAD_CPUTIME_ID: time the thread spends
 *              preempted on a shared machine does not count) and the same as
 *              cycles at the TSC rate; rdtsc cycles of wall time alongside;
 *              median of --runs runs, the peers interleaved within each run.
 *
 * Pages: eu_lpm asks for transparent huge pages for its 64 MiB first level
 * (MADV_HUGEPAGE), as a DPDK deployment would run rte_lpm on hugepages. EAL
 * runs with --no-huge (no hugetlbfs needed), where DPDK's heap is a shared
 * memfd on 4 KiB pages; so by default rte_lpm is created in an external DPDK
 * heap (rte_malloc_heap_memory_add) on anonymous memory marked MADV_HUGEPAGE,
 * and both tables sit on 2 MiB pages (--rte-pages 4k: DPDK's own heap). The
 * eu_lpm/4k rows are eu_lpm with EU_LPM_F_NO_HUGEPAGE. AnonHugePages from
 * /proc/self/smaps_rollup shows what the kernel actually gave.
 *
 * Both tables answer every destination identically (checked before timing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <europa/europa.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#define BENCH_PROG "lpm_bench"
#include "bench_util.h"

#define MAX_RUNS 31
#define NEXTHOPS 16

static const char *prog = BENCH_PROG;

struct cfg {
	unsigned count, runs, rte_builds, burst, churn;
	size_t ndst;
	uint64_t seed;
	int rte, rte_thp, cpu;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: excludes the time it spends descheduled. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* AnonHugePages of the mapping that holds addr, in KiB (-1 if unknown). */
static long huge_kib_at(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	long kib = -1;
	int in = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ':') != line + 8) {
			if (in)
				break;
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* ------------------------------------------------------------- the table */

struct table {
	uint32_t *prefix, *nh;
	uint8_t *len;
	unsigned n, groups; /* /24 blocks holding a longer prefix */
};

static void make_table(struct table *t, unsigned n, uint64_t seed)
{
	struct eu_lpm_gen_opts o;
	struct eu_lpm_gen *g;
	uint8_t *blk;
	unsigned i;

	eu_lpm_gen_opts_default(&o);
	o.seed = seed;
	g = eu_lpm_gen_create(&o);
	t->prefix = malloc(n * sizeof(uint32_t));
	t->nh = malloc(n * sizeof(uint32_t));
	t->len = malloc(n);
	blk = calloc(1U << 24, 1);
	if (!g || !t->prefix || !t->nh || !t->len || !blk)
		die("out of memory making the table");
	t->n = n;
	t->groups = 0;
	for (i = 0; i < n; i++) {
		__u32 p;
		unsigned l;

		if (eu_lpm_gen_next(g, &p, &l) < 0)
			die("generator: %s", eu_last_error());
		t->prefix[i] = p;
		t->len[i] = (uint8_t)l;
		t->nh[i] = eu_lpm_gen_hash(p, l, seed) % NEXTHOPS;
		if (l > 24 && !blk[p >> 8]) {
			blk[p >> 8] = 1;
			t->groups++;
		}
	}
	eu_lpm_gen_destroy(g);
	free(blk);
}

static void make_dsts(const struct table *t, uint32_t *random_dst, uint32_t *table_dst,
		      size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = rnd();
		unsigned k = (unsigned)(r % t->n);
		uint32_t host = t->len[k] ? ~eu_ipv4_mask(t->len[k]) : 0xffffffffU;

		random_dst[i] = (uint32_t)(r >> 32);
		table_dst[i] = t->prefix[k] | ((uint32_t)rnd() & host);
	}
}

/* ---------------------------------------------------------------- eu_lpm */

static struct eu_lpm *eu_build(const struct table *t, unsigned flags, double *secs)
{
	struct eu_lpm_opts o;
	struct eu_lpm *lpm;
	double t0;
	unsigned i;

	eu_lpm_opts_default(&o);
	o.flags = flags;
	lpm = eu_lpm_create(&o);
	if (!lpm)
		die("eu_lpm_create: %s", eu_last_error());
	t0 = cpu_s();
	for (i = 0; i < t->n; i++)
		if (eu_lpm_add(lpm, t->prefix[i], t->len[i], t->nh[i]) != 0)
			die("eu_lpm_add: %s", eu_last_error());
	*secs = cpu_s() - t0;
	return lpm;
}

static uint64_t eu_single(const struct eu_lpm *lpm, const uint32_t *a, size_t n, unsigned b)
{
	uint64_t sum = 0;
	size_t i, j;

	for (i = 0; i < n; i += b) {
		size_t end = i + b < n ? i + b : n;

		eu_lpm_read_lock();
		for (j = i; j < end; j++)
			sum += eu_lpm_lookup(lpm, a[j]);
		eu_lpm_read_unlock();
	}
	return sum;
}

static uint64_t eu_burst(const struct eu_lpm *lpm, const uint32_t *a, size_t n, unsigned b)
{
	uint32_t out[1024];
	uint64_t sum = 0;
	size_t i, j;

	for (i = 0; i < n; i += b) {
		unsigned m = (unsigned)(i + b < n ? b : n - i);

		eu_lpm_read_lock();
		eu_lpm_lookup_burst(lpm, a + i, out, m);
		eu_lpm_read_unlock();
		for (j = 0; j < m; j++)
			sum += out[j];
	}
	return sum;
}

/* --------------------------------------------------------------- rte_lpm */

/*
 * With --no-huge, DPDK's own heap is a shared memfd ("/memfd:nohuge"): shmem,
 * which gets transparent huge pages only if the host's shmem_enabled allows
 * it (Debian: never). For --rte-pages thp, rte_lpm gets what eu_lpm gets: an
 * external DPDK malloc heap on private anonymous memory, 2 MiB aligned and
 * MADV_HUGEPAGE, made before anything touches it. Returns its socket id, or
 * the main lcore's socket (DPDK's own heap) for 4k or on failure.
 */
#define EXT_HEAP_BYTES ((size_t)256 << 20)
#define EXT_PAGE ((size_t)2 << 20)

static int rte_socket = 0;

static int rte_thp_heap(void)
{
	unsigned char *m, *base;
	int sock;

	m = mmap(NULL, EXT_HEAP_BYTES + EXT_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	base = (unsigned char *)(((uintptr_t)m + EXT_PAGE - 1) & ~(EXT_PAGE - 1));
	if (madvise(base, EXT_HEAP_BYTES, MADV_HUGEPAGE) < 0)
		return -1;
	if (rte_malloc_heap_create("lpm_bench_thp") != 0 ||
	    rte_malloc_heap_memory_add("lpm_bench_thp", base, EXT_HEAP_BYTES, NULL,
				       (unsigned)(EXT_HEAP_BYTES / EXT_PAGE), EXT_PAGE) != 0)
		return -1;
	sock = rte_malloc_heap_get_socket("lpm_bench_thp");
	return sock < 0 ? -1 : sock;
}

static int eal_start(struct cfg *c)
{
	static char a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "-l", a5[] = "--log-level=1",
		    a6[] = "--no-shconf", a7[] = "-m", a8[] = "1024", a9[] = "--no-telemetry";
	char a4[16];
	char *argv[] = { (char *)(uintptr_t)prog, a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL };

	snprintf(a4, sizeof(a4), "%d", c->cpu);
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed (%s): rte_lpm is skipped\n", prog,
			rte_strerror(rte_errno));
		return 0;
	}
	rte_socket = (int)rte_socket_id();
	if (c->rte_thp) {
		int s = rte_thp_heap();

		if (s < 0) {
			fprintf(stderr, "%s: no external THP heap for DPDK (%s): rte_lpm on 4 KiB "
					"pages\n", prog, rte_strerror(rte_errno));
			c->rte_thp = 0;
		} else {
			rte_socket = s;
		}
	}
	return 1;
}

/* Bytes allocated in the heap rte_lpm uses (its tables are allocated up front). */
static size_t rte_heap_alloc(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats(rte_socket, &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

static struct rte_lpm *rte_build(const struct table *t, double *secs, size_t *bytes, int k)
{
	struct rte_lpm_config cfg;
	struct rte_lpm *lpm;
	char name[32];
	size_t before = rte_heap_alloc();
	double t0;
	unsigned i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_rules = 2000000;
	cfg.number_tbl8s = t->groups + t->groups / 4 + 256;
	snprintf(name, sizeof(name), "bench%d", k);
	lpm = rte_lpm_create(name, rte_socket, &cfg);
	if (!lpm)
		die("rte_lpm_create: %s", rte_strerror(rte_errno));
	*bytes = rte_heap_alloc() - before;
	t0 = cpu_s();
	for (i = 0; i < t->n; i++)
		if (rte_lpm_add(lpm, t->prefix[i], t->len[i], t->nh[i]) != 0)
			die("rte_lpm_add failed");
	*secs = cpu_s() - t0;
	return lpm;
}

static uint64_t rte_single(const struct rte_lpm *lpm, const uint32_t *a, size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t nh = 0;

		rte_lpm_lookup(lpm, a[i], &nh);
		sum += nh;
	}
	return sum;
}

static uint64_t rte_bulk(const struct rte_lpm *lpm, const uint32_t *a, size_t n, unsigned b)
{
	uint32_t out[1024];
	uint64_t sum = 0;
	size_t i, j;

	for (i = 0; i < n; i += b) {
		unsigned m = (unsigned)(i + b < n ? b : n - i);

		rte_lpm_lookup_bulk(lpm, a + i, out, m);
		for (j = 0; j < m; j++)
			sum += out[j] & 0x00ffffffU;
	}
	return sum;
}

static uint64_t rte_x4(const struct rte_lpm *lpm, const uint32_t *a, size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		uint32_t hop[4];

		rte_lpm_lookupx4(lpm, _mm_loadu_si128((const __m128i *)(a + i)), hop, UINT32_MAX);
		sum += hop[0] + hop[1] + hop[2] + hop[3];
	}
	return sum;
}

/* -------------------------------------------------------------- reporting */

enum { M_EU_1, M_EU_B, M_EU4K_1, M_EU4K_B, M_RTE_1, M_RTE_B, M_RTE_X4, M_COUNT };

static const char *const mode_name[M_COUNT] = {
	"eu_lpm single", "eu_lpm burst", "eu_lpm/4k single", "eu_lpm/4k burst",
	"rte_lpm single", "rte_lpm bulk", "rte_lpm x4",
};

struct sample {
	double cyc[MAX_RUNS];  /* thread CPU time x TSC rate, per lookup */
	double mlps[MAX_RUNS]; /* lookups per CPU second, millions */
	double wall[MAX_RUNS]; /* rdtsc cycles per lookup (includes preemption) */
};

static volatile uint64_t sink;

static void measure(int mode, const struct eu_lpm *eu, const struct eu_lpm *eu4k,
		    const struct rte_lpm *rte, const uint32_t *a, size_t n, unsigned b,
		    double hz, struct sample *s, unsigned run)
{
	uint64_t c0, c1, sum = 0;
	double t0, t1;

	t0 = cpu_s();
	c0 = rdtsc();
	switch (mode) {
	case M_EU_1:
		sum = eu_single(eu, a, n, b);
		break;
	case M_EU_B:
		sum = eu_burst(eu, a, n, b);
		break;
	case M_EU4K_1:
		sum = eu_single(eu4k, a, n, b);
		break;
	case M_EU4K_B:
		sum = eu_burst(eu4k, a, n, b);
		break;
	case M_RTE_1:
		sum = rte_single(rte, a, n);
		break;
	case M_RTE_B:
		sum = rte_bulk(rte, a, n, b);
		break;
	default:
		sum = rte_x4(rte, a, n);
		break;
	}
	c1 = rdtsc();
	t1 = cpu_s();
	sink += sum;
	s->wall[run] = (double)(c1 - c0) / (double)n;
	s->cyc[run] = (t1 - t0) * hz / (double)n;
	s->mlps[run] = (double)n / (t1 - t0) / 1e6;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [options]\n"
		"  -n, --count N       prefixes in the table (default 1000000)\n"
		"  -s, --seed S        generator seed (default 1)\n"
		"  -r, --runs R        lookup runs and eu_lpm builds; medians (default 5)\n"
		"      --rte-builds N  rte_lpm builds (default 1: each takes ~45 s at 1M)\n"
		"  -d, --dst N         destinations per set (default 4194304)\n"
		"  -b, --burst B       burst size (default 64, at most 1024)\n"
		"      --churn K       routes deleted and re-added for the update rate\n"
		"                      (default 20000)\n"
		"      --rte-pages P   thp (default) or 4k: pages for DPDK's heap\n"
		"      --no-rte        eu_lpm only\n"
		"  -c, --cpu C         pin to CPU C (default: the last one allowed)\n"
		"  -q, --quick         100k prefixes, 1M destinations, 3 runs\n"
		"  -h, --help\n",
		prog);
}

int main(int argc, char **argv)
{
	enum { O_RTE_BUILDS = 256, O_CHURN, O_RTE_PAGES, O_NO_RTE };
	static const struct option lopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "rte-builds", required_argument, NULL, O_RTE_BUILDS },
		{ "dst", required_argument, NULL, 'd' },
		{ "burst", required_argument, NULL, 'b' },
		{ "churn", required_argument, NULL, O_CHURN },
		{ "rte-pages", required_argument, NULL, O_RTE_PAGES },
		{ "no-rte", no_argument, NULL, O_NO_RTE },
		{ "cpu", required_argument, NULL, 'c' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfg c = { 1000000, 5, 1, 64, 20000, 4194304, 1, 1, 1, -1 };
	struct table t;
	uint32_t *dst[2];
	struct eu_lpm *eu = NULL, *eu4k;
	struct rte_lpm *rte = NULL;
	double eu_build_s[MAX_RUNS], rte_build_s[MAX_RUNS], eu4k_s, hz, t0;
	double eu_churn = 0, rte_churn = 0;
	size_t rte_bytes = 0, i;
	struct sample smp[2][M_COUNT];
	cpu_set_t set;
	long huge_eu, huge_rte = -1;
	unsigned run, k, mismatches = 0;
	int opt, d, m;

	while ((opt = getopt_long(argc, argv, "n:s:r:d:b:c:qh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			c.count = (unsigned)strtod(optarg, NULL);
			break;
		case 's':
			c.seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			c.runs = (unsigned)atoi(optarg);
			break;
		case O_RTE_BUILDS:
			c.rte_builds = (unsigned)atoi(optarg);
			break;
		case 'd':
			c.ndst = (size_t)strtod(optarg, NULL);
			break;
		case 'b':
			c.burst = (unsigned)atoi(optarg);
			break;
		case O_CHURN:
			c.churn = (unsigned)strtod(optarg, NULL);
			break;
		case O_RTE_PAGES:
			if (strcmp(optarg, "thp") && strcmp(optarg, "4k"))
				die("--rte-pages '%s': thp or 4k", optarg);
			c.rte_thp = strcmp(optarg, "thp") == 0;
			break;
		case O_NO_RTE:
			c.rte = 0;
			break;
		case 'c':
			c.cpu = atoi(optarg);
			break;
		case 'q':
			c.count = 100000;
			c.ndst = 1 << 20;
			c.runs = 3;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (c.runs < 1 || c.runs > MAX_RUNS || c.rte_builds < 1 || c.rte_builds > MAX_RUNS ||
	    c.burst < 1 || c.burst > 1024 || c.ndst < 1024 || c.count < 1)
		die("bad option value (runs and builds 1..31, burst 1..1024)");
	if (c.churn > c.count)
		c.churn = c.count;

	if (c.cpu < 0) {
		sched_getaffinity(0, sizeof(set), &set);
		for (d = CPU_SETSIZE - 1; d >= 0 && !CPU_ISSET(d, &set); d--)
			;
		c.cpu = d;
	}
	if (pin_try(c.cpu) < 0)
		fprintf(stderr, "%s: cannot pin to CPU %d, running unpinned\n", prog, c.cpu);

	hz = tsc_hz();
	t0 = now_s();
	make_table(&t, c.count, c.seed);
	printf("lpm_bench: %u prefixes (eu-mktable --count %u --seed %" PRIu64 ": %u /24 blocks "
	       "with longer prefixes), %u next hops, generated in %.2f s\n",
	       t.n, c.count, c.seed, t.groups, NEXTHOPS, now_s() - t0);
	dst[0] = malloc(c.ndst * sizeof(uint32_t));
	dst[1] = malloc(c.ndst * sizeof(uint32_t));
	if (!dst[0] || !dst[1])
		die("out of memory for destinations");
	make_dsts(&t, dst[0], dst[1], c.ndst);
	printf("%zu destinations per set, bursts of %u, %u runs (medians), CPU %d, TSC %.2f GHz\n",
	       c.ndst, c.burst, c.runs, c.cpu, hz / 1e9);

	/* eu_lpm: build --runs times, keep the last */
	for (run = 0; run < c.runs; run++) {
		if (eu)
			eu_lpm_destroy(eu);
		eu = eu_build(&t, 0, &eu_build_s[run]);
	}
	huge_eu = huge_kib_at(eu->tbl24);
	eu4k = eu_build(&t, EU_LPM_F_NO_HUGEPAGE, &eu4k_s);

	if (c.rte && eal_start(&c)) {
		for (run = 0; run < c.rte_builds; run++) {
			fprintf(stderr, "%s: building rte_lpm (%u of %u)...\n", prog, run + 1,
				c.rte_builds);
			if (rte)
				rte_lpm_free(rte);
			rte = rte_build(&t, &rte_build_s[run], &rte_bytes, (int)run);
		}
		huge_rte = huge_kib_at(rte->tbl24);
	}

	/* the two must agree on every destination */
	for (d = 0; d < 2; d++)
		for (i = 0; i < c.ndst; i++) {
			uint32_t a = dst[d][i], e, r = EU_LPM_MISS, e4;

			eu_lpm_read_lock();
			e = eu_lpm_lookup(eu, a);
			e4 = eu_lpm_lookup(eu4k, a);
			eu_lpm_read_unlock();
			if (rte && rte_lpm_lookup(rte, a, &r) != 0)
				r = EU_LPM_MISS;
			if (e != e4 || (rte && e != r)) {
				if (mismatches++ < 5)
					fprintf(stderr, "MISMATCH %08x: eu %u eu4k %u rte %u\n", a, e, e4,
						r);
			}
		}
	if (mismatches)
		die("the tables disagree: not measuring");

	/* lookups: warm up, then the peers interleaved within each run */
	for (run = 0; run <= c.runs; run++)
		for (d = 0; d < 2; d++)
			for (m = 0; m < M_COUNT; m++) {
				struct sample warm;

				if (m >= M_RTE_1 && !rte)
					continue;
				measure(m, eu, eu4k, rte, dst[d], c.ndst, c.burst, hz,
					run ? &smp[d][m] : &warm, run ? run - 1 : 0);
			}

	/* churn: delete and re-add the same random routes */
	if (c.churn) {
		unsigned *idx = malloc(c.churn * sizeof(unsigned));

		for (k = 0; k < c.churn; k++)
			idx[k] = (unsigned)(rnd() % t.n);
		t0 = cpu_s();
		for (k = 0; k < c.churn; k++) {
			int rc = eu_lpm_del(eu, t.prefix[idx[k]], t.len[idx[k]]);

			if (rc == 0)
				rc = eu_lpm_add(eu, t.prefix[idx[k]], t.len[idx[k]], t.nh[idx[k]]);
			if (rc != 0 && rc != -ENOENT)
				die("churn: %s", eu_last_error());
		}
		eu_churn = 2.0 * c.churn / (cpu_s() - t0);
		if (rte) {
			t0 = cpu_s();
			for (k = 0; k < c.churn; k++)
				if (rte_lpm_delete(rte, t.prefix[idx[k]], t.len[idx[k]]) == 0)
					rte_lpm_add(rte, t.prefix[idx[k]], t.len[idx[k]], t.nh[idx[k]]);
			rte_churn = 2.0 * c.churn / (cpu_s() - t0);
		}
		free(idx);
	}

	/* report */
	{
		double eb = median(eu_build_s, c.runs, NULL, NULL);
		double rb = rte ? median(rte_build_s, c.rte_builds, NULL, NULL) : 0;
		double em = (double)eu_lpm_memsize(eu) / 1048576.0, rm = (double)rte_bytes / 1048576.0;

		printf("\n%-28s %14s %14s %12s\n", "", "eu_lpm", "rte_lpm", "eu/rte");
		printf("%-28s %14.3f %14.3f %12.4f\n", "build, CPU s (median)", eb, rb,
		       rte ? eb / rb : 0);
		printf("%-28s %14.0f %14.0f %12.1f\n", "add rate, routes/s", t.n / eb,
		       rte ? t.n / rb : 0, rte ? rb / eb : 0);
		printf("%-28s %14.0f %14.0f %12.1f\n", "churn del+add, updates/s", eu_churn,
		       rte_churn, rte_churn > 0 ? eu_churn / rte_churn : 0);
		printf("%-28s %14.1f %14.1f %12.3f\n", "memory, MiB", em, rm,
		       rte ? em / rm : 0);
		printf("%-28s %14ld %14ld\n", "huge pages under tbl24, KiB", huge_eu, huge_rte);
		printf("(eu_lpm/4k built in %.3f s; rte_lpm: %u build(s), DPDK heap on %s pages)\n",
		       eu4k_s, rte ? c.rte_builds : 0, c.rte_thp ? "THP" : "4 KiB");
		for (d = 0; d < 2; d++) {
			printf("\n%s destinations%-10s %10s %10s %10s %12s %12s\n",
			       d ? "table" : "random", "", "Mlookups/s", "cycles", "wall cyc",
			       "vs rte", "vs best rte");
			for (m = 0; m < M_COUNT; m++) {
				double ml, cy, wc, ref1, refb;

				if (m >= M_RTE_1 && !rte)
					continue;
				ml = median(smp[d][m].mlps, c.runs, NULL, NULL);
				cy = median(smp[d][m].cyc, c.runs, NULL, NULL);
				wc = median(smp[d][m].wall, c.runs, NULL, NULL);
				ref1 = rte ? median(smp[d][M_RTE_1].mlps, c.runs, NULL, NULL) : 0;
				refb = rte ? median(smp[d][M_RTE_B].mlps, c.runs, NULL, NULL) : 0;
				if (rte && median(smp[d][M_RTE_X4].mlps, c.runs, NULL, NULL) > refb)
					refb = median(smp[d][M_RTE_X4].mlps, c.runs, NULL, NULL);
				if (rte && m < M_RTE_1)
					printf("  %-30s %10.1f %10.2f %10.2f %12.2f %12.2f\n", mode_name[m],
					       ml, cy, wc, ml / ((m & 1) ? refb : ref1),
					       ml / (ref1 > refb ? ref1 : refb));
				else
					printf("  %-30s %10.1f %10.2f %10.2f\n", mode_name[m], ml, cy, wc);
			}
		}
		printf("\n(Mlookups/s and cycles from the thread's CPU time, wall cyc from rdtsc; "
		       "\"vs rte\": single against rte_lpm single, burst against the faster of "
		       "rte_lpm bulk and x4; \"vs best rte\": against the fastest rte_lpm mode)\n");
	}
	eu_lpm_destroy(eu);
	eu_lpm_destroy(eu4k);
	if (rte)
		rte_lpm_free(rte);
	return 0;
}
