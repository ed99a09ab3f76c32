/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stress_lpm_rcu.c - the forwarding table under concurrent updates: one
 * writer adds, updates and deletes routes without pause while 1-2 readers
 * look up continuously (singles and bursts), for a bounded time. Every
 * answer is checked: it must be the longest-prefix match of the address in
 * some state the table went through while that lookup ran.
 *
 * The routes: a permanent 10.0.0.0/8 (next hop 0), and a universe of 5631
 * prefixes inside 10.0.0.0/20 (16 /24 blocks) of lengths 20-28, 30 and 32
 * that the writer toggles. Routes longer than /24 are kept few (at most 6
 * per length), so /24 blocks keep gaining and losing their second-level
 * groups: groups are linked, unlinked, retired and, after grace periods,
 * reused for other blocks. Every next hop the writer installs is new (a
 * counter), so an answer names the route and the moment it came from, and
 * every (next hop, length) leaf is retired when its route goes and reused,
 * after a grace period, for another pair.
 *
 * The check: the writer numbers its operations (version v = 1, 2, ...). For
 * operation v it first appends (v, next hop or "absent") to the history of
 * the prefix it changes, then changes the table, then publishes seq = v. A
 * reader reads seq (s0) before its lookups and again (s1) after; during the
 * lookups the table was in a state between version s0 and s1 + 1 (operation
 * s1 + 1 may have been in progress). For each address the reader rebuilds,
 * from the histories of the 11 universe prefixes that cover it, the answer
 * at version s0 and after every change up to s1 + 1; the table's answer
 * must be one of them. A group or leaf reused without a grace period, a
 * group linked before it is filled, an entry naming a leaf not yet written, a
 * torn entry, a more specific route clobbered or a cover restored wrongly all
 * give an answer outside that set (a next hop of a route that does not cover
 * the address, one that was never current, or a miss where the /8 always
 * matches). At the end the checker is shown wrong
 * answers to prove that it rejects them, and the final table is compared
 * with the writer's model for every address of the /20.
 *
 * A third of the reads pause between the first- and second-level loads
 * (slow_lookup()), and by default the writer reclaims retired groups after
 * every 4 (--reclaim-batch), so that a group reused too early is caught. With
 * the grace period removed from lib/lpm.c, with a group linked before it is
 * filled, or with a new leaf written after the entries that name it, this
 * test fails within seconds (tried while writing it).
 *
 * Usage: stress_lpm_rcu [--seconds S] [--readers 1|2] [--seed N] [--reclaim-batch N]
 */
// ctest-args: --seconds 4 --readers 2
#include "stress_common.h"

#include <getopt.h>
#include <pthread.h>

#include <europa/ipv4.h>
#include <europa/lpm.h>

#define BASE 0x0a000000U /* 10.0.0.0/20 */
#define NLEN 11
#define HIST 1024U       /* history entries kept per prefix */
#define ABSENT 0xffffffffU
#define LONG_CAP 6       /* present routes per length > 24 */

static const unsigned lens[NLEN] = { 20, 21, 22, 23, 24, 25, 26, 27, 28, 30, 32 };
static unsigned first_id[NLEN]; /* id of the first prefix of each length */
static unsigned nprefix;

/* Per prefix: a ring of (version << 32 | value) written by the writer. */
struct hist {
	uint64_t cnt;        /* entries ever written (release) */
	uint64_t e[HIST];
};

static struct hist *hist;
static uint64_t seq;     /* last completed version (release) */
static int stop;
static struct st_ctl *ctl;
static struct eu_lpm *lpm;

struct rstats {
	uint64_t lookups, verified, inconclusive, retried, window_max;
};

static unsigned prefix_id(unsigned li, uint32_t addr)
{
	return first_id[li] + (((addr & eu_ipv4_mask(lens[li])) - BASE) >> (32 - lens[li]));
}

static uint32_t id_prefix(unsigned li, unsigned id)
{
	return BASE + ((uint32_t)(id - first_id[li]) << (32 - lens[li]));
}

/* ---------------------------------------------------------------- checker */

/*
 * Is `got` a valid answer for addr during versions [s0, s1]? Returns 1 yes,
 * 0 no, -1 cannot tell (history overwritten while the reader was away).
 */
static int check_answer(uint32_t addr, uint32_t got, uint64_t s0, uint64_t s1)
{
	uint32_t state[NLEN];
	struct {
		uint64_t v;
		unsigned li;
		uint32_t val;
	} ev[NLEN * 64];
	unsigned nev = 0, li, i, k;

	if ((addr & 0xfffff000U) != BASE)
		return got == 0; /* only the permanent /8 covers it */
	for (li = 0; li < NLEN; li++) {
		const struct hist *h = &hist[prefix_id(li, addr)];
		uint64_t cnt = __atomic_load_n(&h->cnt, __ATOMIC_ACQUIRE), j = cnt, oldest = cnt;
		uint64_t prev_v = UINT64_MAX;
		int found = 0;

		state[li] = ABSENT;
		/* newest to oldest: events in (s0, s1], then the state at s0 */
		while (j > 0 && cnt - (j - 1) <= HIST) {
			uint64_t x, v;

			j--;
			x = __atomic_load_n(&h->e[j % HIST], __ATOMIC_ACQUIRE);
			v = x >> 32;
			oldest = j;
			if (v >= prev_v)
				return -1; /* overwritten under us: versions must decrease */
			prev_v = v;
			if (v > s1)
				continue;
			if (v > s0) {
				if (nev == sizeof(ev) / sizeof(ev[0]))
					return -1;
				ev[nev].v = v;
				ev[nev].li = li;
				ev[nev].val = (uint32_t)x;
				nev++;
				continue;
			}
			state[li] = (uint32_t)x;
			found = 1;
			break;
		}
		/* entry `oldest` is overwritten once HIST newer ones exist */
		if (__atomic_load_n(&h->cnt, __ATOMIC_ACQUIRE) - oldest > HIST)
			return -1;
		if (!found && oldest > 0)
			return -1; /* the state at s0 is older than the ring */
	}
	/* sort events by version (few) */
	for (i = 1; i < nev; i++)
		for (k = i; k > 0 && ev[k - 1].v > ev[k].v; k--) {
			__typeof__(ev[0]) t = ev[k];

			ev[k] = ev[k - 1];
			ev[k - 1] = t;
		}
	for (i = 0;; i++) {
		uint32_t want = 0; /* the /8 */

		for (li = NLEN; li-- > 0;)
			if (state[li] != ABSENT) {
				want = state[li];
				break;
			}
		if (got == want)
			return 1;
		if (i == nev)
			return 0;
		state[ev[i].li] = ev[i].val;
	}
}

static void verify(const char *who, uint32_t addr, uint32_t got, uint64_t s0, uint64_t s1,
		   struct rstats *rs)
{
	int ok = check_answer(addr, got, s0, s1 + 1);
	char a[EU_IPV4_ADDR_STRLEN];

	if (ok == 1) {
		rs->verified++;
		return;
	}
	if (ok < 0) {
		rs->inconclusive++;
		return;
	}
	/*
	 * Operation s1 + 1's history is surely visible once seq reaches it. The
	 * lookups' loads are relaxed (ordered by address dependency only), so on a
	 * weakly ordered CPU the table may show an operation whose seq store this
	 * reader has not seen yet: recheck up to the seq a moment later. On x86
	 * that never widens anything.
	 */
	rs->retried++;
	while (__atomic_load_n(&seq, __ATOMIC_ACQUIRE) < s1 + 1 &&
	       !__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		st_relax();
	st_sleep_us(1000);
	ok = check_answer(addr, got, s0, __atomic_load_n(&seq, __ATOMIC_ACQUIRE) + 1);
	if (ok == 1) {
		rs->verified++;
		return;
	}
	if (ok < 0) {
		rs->inconclusive++;
		return;
	}
	st_fail(ctl, who, "%s: lookup answered %u (0x%x), which was not its longest match at "
			  "any version in [%" PRIu64 ", %" PRIu64 "]",
		eu_ipv4_format(addr, a), got, got, s0, s1 + 1);
}

/* ----------------------------------------------------------------- reader */

/*
 * eu_lpm_lookup() with a pause between its two loads: a reader preempted at
 * the worst moment, after it read a first-level entry that links a group and
 * before it reads the group. The writer may unlink the group meanwhile; it
 * must not reuse it before this reader leaves its critical section.
 */
static uint32_t slow_lookup(const struct eu_lpm *t, uint32_t addr, unsigned spin)
{
	uint32_t e = __atomic_load_n(&t->tbl24[addr >> 8], __ATOMIC_ACQUIRE);
	unsigned i;

	for (i = 0; i < spin; i++)
		st_relax();
	return eu_lpm__resolve(t, e, addr);
}

struct reader_arg {
	int id;
	int cpu;
	uint64_t rng;
	struct rstats st;
};

static void *reader(void *p)
{
	struct reader_arg *ra = p;
	char who[32];
	uint32_t addr[32], nh[32];
	uint64_t round = 0;

	snprintf(who, sizeof(who), "reader %d", ra->id);
	if (ra->cpu >= 0)
		st_pin(ra->cpu);
	eu_lpm_reader_register();
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE) && !st_failed(ctl)) {
		unsigned i, n = 1 + (unsigned)(st_rand(&ra->rng) % 32);
		uint64_t s0, s1;

		for (i = 0; i < n; i++) {
			uint64_t r = st_rand(&ra->rng);

			addr[i] = (r & 15) ? BASE | (uint32_t)((r >> 16) & 0xfff)
					   : 0x0a000000U | (uint32_t)((r >> 16) & 0xffffff);
		}
		s0 = __atomic_load_n(&seq, __ATOMIC_ACQUIRE);
		eu_lpm_read_lock();
		if (round % 3 == 0) {
			eu_lpm_lookup_burst(lpm, addr, nh, n);
		} else if (round % 3 == 1) {
			for (i = 0; i < n; i++)
				nh[i] = eu_lpm_lookup(lpm, addr[i]);
		} else {
			n = n < 4 ? n : 4; /* few, slow ones */
			for (i = 0; i < n; i++)
				nh[i] = slow_lookup(lpm, addr[i], (unsigned)(st_rand(&ra->rng) % 1024));
		}
		eu_lpm_read_unlock();
		s1 = __atomic_load_n(&seq, __ATOMIC_ACQUIRE);
		if (s1 - s0 > ra->st.window_max)
			ra->st.window_max = s1 - s0;
		for (i = 0; i < n; i++)
			verify(who, addr[i], nh[i], s0, s1, &ra->st);
		ra->st.lookups += n;
		round++;
	}
	eu_lpm_reader_unregister();
	return NULL;
}

/* ----------------------------------------------------------------- writer */

struct model {
	uint32_t *val;         /* per prefix: next hop or ABSENT */
	unsigned present[NLEN];
	uint64_t ops, adds, dels, updates;
};

static void hist_append(unsigned id, uint64_t v, uint32_t val)
{
	struct hist *h = &hist[id];
	uint64_t c = h->cnt;

	__atomic_store_n(&h->e[c % HIST], v << 32 | val, __ATOMIC_RELEASE);
	__atomic_store_n(&h->cnt, c + 1, __ATOMIC_RELEASE);
}

static int writer_op(struct model *m, uint64_t *rng, uint32_t *next_nh, uint64_t v)
{
	unsigned li = (unsigned)(st_rand(rng) % NLEN), id;
	uint32_t p, nh;
	int rc;

	id = first_id[li] + (unsigned)(st_rand(rng) % (1U << (lens[li] - 20)));
	if (lens[li] > 24 && m->val[id] == ABSENT && m->present[li] >= LONG_CAP) {
		/* too many long routes of this length: delete one of them instead */
		unsigned j, span = 1U << (lens[li] - 20), start = (unsigned)(st_rand(rng) % span);

		for (j = 0; j < span; j++) {
			unsigned c = first_id[li] + (start + j) % span;

			if (m->val[c] != ABSENT) {
				id = c;
				break;
			}
		}
	}
	p = id_prefix(li, id);
	if (m->val[id] == ABSENT || st_rand(rng) % 4 == 0) {
		nh = *next_nh;
		*next_nh = *next_nh % (EU_LPM_NH_MAX - 1) + 1; /* never 0: that is the /8 */
		hist_append(id, v, nh);
		rc = eu_lpm_add(lpm, p, lens[li], nh);
		if (rc != (m->val[id] == ABSENT ? 0 : 1))
			return st_fail(ctl, "writer", "eu_lpm_add /%u: %d %s", lens[li], rc,
				       eu_last_error());
		if (m->val[id] == ABSENT) {
			m->present[li]++;
			m->adds++;
		} else {
			m->updates++;
		}
		m->val[id] = nh;
	} else {
		hist_append(id, v, ABSENT);
		rc = eu_lpm_del(lpm, p, lens[li]);
		if (rc != 0)
			return st_fail(ctl, "writer", "eu_lpm_del /%u: %d %s", lens[li], rc,
				       eu_last_error());
		m->val[id] = ABSENT;
		m->present[li]--;
		m->dels++;
	}
	return 0;
}

static uint32_t model_lookup(const struct model *m, uint32_t addr)
{
	unsigned li;

	if ((addr & 0xfffff000U) != BASE)
		return (addr >> 24) == 10 ? 0 : EU_LPM_MISS;
	for (li = NLEN; li-- > 0;) {
		uint32_t v = m->val[prefix_id(li, addr)];

		if (v != ABSENT)
			return v;
	}
	return 0;
}

/* The checker must reject wrong answers (else the test proves nothing). */
static int checker_self_test(const struct model *m, uint64_t v)
{
	uint64_t rng = 99;
	unsigned i, rejected = 0, tried = 0;

	for (i = 0; i < 2000; i++) {
		uint32_t a = BASE | (uint32_t)(st_rand(&rng) & 0xfff);
		uint32_t right = model_lookup(m, a), wrong;
		unsigned li;

		if (check_answer(a, right, v, v) != 1)
			return st_fail(ctl, "self-test", "the checker rejects a right answer");
		/* a miss (the /8 always covers), another block's next hop, or a covering
		 * but shorter route's next hop while the longer one is present */
		switch (i % 3) {
		case 0:
			wrong = EU_LPM_MISS;
			break;
		case 1:
			wrong = model_lookup(m, a ^ 0x100U);
			break;
		default:
			wrong = right;
			for (li = NLEN; li-- > 0;)
				if (m->val[prefix_id(li, a)] != ABSENT &&
				    m->val[prefix_id(li, a)] != right) {
					wrong = m->val[prefix_id(li, a)];
					break;
				}
			if (wrong == right)
				wrong = 0; /* the /8, under a more specific route */
			break;
		}
		if (wrong == right)
			continue;
		tried++;
		rejected += check_answer(a, wrong, v, v) == 0;
	}
	if (tried < 1000 || rejected != tried)
		return st_fail(ctl, "self-test", "the checker accepted %u of %u wrong answers",
			       tried - rejected, tried);
	printf("checker self-test: %u wrong answers, all rejected\n", tried);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "readers", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "reclaim-batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seconds = 4, nreaders = 2, seed = 1, batch = 4, rng, t_end, v = 0, t0;
	struct eu_lpm_opts lo;
	struct reader_arg ra[2];
	pthread_t th[2];
	struct model m;
	struct eu_lpm_stats st = { .size = sizeof(st) };
	uint32_t next_nh = 1, a;
	unsigned li, i, bad = 0;
	int c;

	while ((c = getopt_long(argc, argv, "t:r:s:b:", opts, NULL)) != -1) {
		uint64_t *dst = c == 't' ? &seconds : c == 'r' ? &nreaders : c == 'b' ? &batch : &seed;

		if ((c != 't' && c != 'r' && c != 's' && c != 'b') || st_parse_u64(optarg, dst) < 0 ||
		    (c == 'b' && (batch < 1 || batch > 100000))) {
			fprintf(stderr, "usage: %s [--seconds S] [--readers 1|2] [--seed N] "
					"[--reclaim-batch N]\n", argv[0]);
			return 2;
		}
	}
	if (nreaders < 1 || nreaders > 2)
		nreaders = 2;
	for (li = 0; li < NLEN; li++) {
		first_id[li] = nprefix;
		nprefix += 1U << (lens[li] - 20);
	}
	ctl = st_ctl_map(sizeof(*ctl));
	hist = calloc(nprefix, sizeof(*hist));
	memset(&m, 0, sizeof(m));
	m.val = malloc(nprefix * sizeof(*m.val));
	if (!hist || !m.val) {
		perror("calloc");
		return 2;
	}
	for (i = 0; i < nprefix; i++)
		m.val[i] = ABSENT;
	eu_lpm_opts_default(&lo);
	lo.reclaim_batch = (__u32)batch;
	lpm = eu_lpm_create(&lo);
	if (!lpm) {
		fprintf(stderr, "eu_lpm_create: %s\n", eu_last_error());
		return 2;
	}
	if (eu_lpm_add(lpm, 0x0a000000U, 8, 0) != 0) {
		fprintf(stderr, "eu_lpm_add: %s\n", eu_last_error());
		return 2;
	}
	printf("stress_lpm_rcu: %" PRIu64 " s, %" PRIu64 " reader(s), %u prefixes toggled, "
	       "%d CPUs%s%s\n", seconds, nreaders, nprefix, st_ncpus(),
	       ST_SANITIZER[0] ? ", " : "", ST_SANITIZER);

	for (i = 0; i < nreaders; i++) {
		memset(&ra[i], 0, sizeof(ra[i]));
		ra[i].id = (int)i;
		ra[i].rng = seed * 7919 + i + 1;
		/* writer on the first CPU, reader 0 on the second, reader 1 shares */
		ra[i].cpu = st_ncpus() > 1 ? st_cpu_nth(i == 0 ? 1 : 0) : -1;
		if (pthread_create(&th[i], NULL, reader, &ra[i]) != 0) {
			perror("pthread_create");
			return 2;
		}
	}
	if (st_ncpus() > 1)
		st_pin(st_cpu_nth(0));
	rng = seed;
	t0 = st_now_ns();
	t_end = t0 + seconds * 1000000000ULL;
	while (!st_failed(ctl)) {
		if ((v & 255) == 0 && st_now_ns() >= t_end)
			break;
		v++;
		if (writer_op(&m, &rng, &next_nh, v) < 0)
			break;
		__atomic_store_n(&seq, v, __ATOMIC_RELEASE);
		m.ops++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nreaders; i++)
		pthread_join(th[i], NULL);

	/* the final table against the writer's model, every address of the /20 */
	for (a = BASE; a < BASE + 4096 && !st_failed(ctl); a++) {
		uint32_t got;

		eu_lpm_read_lock();
		got = eu_lpm_lookup(lpm, a);
		eu_lpm_read_unlock();
		if (got != model_lookup(&m, a) && bad++ < 5)
			st_fail(ctl, "final", "%08x: table %u, model %u", a, got, model_lookup(&m, a));
	}
	if (!st_failed(ctl))
		checker_self_test(&m, v);
	eu_lpm_stats_read(lpm, &st);
	printf("writer: %" PRIu64 " ops in %.1f s (%" PRIu64 " adds, %" PRIu64 " updates, %" PRIu64
	       " deletes), %u routes at the end; groups: %u used, %u committed, %" PRIu64
	       " grace periods\n",
	       m.ops, (double)(st_now_ns() - t0) / 1e9, m.adds, m.updates, m.dels, st.routes,
	       st.groups_used, st.groups_committed, (uint64_t)st.grace_periods);
	for (i = 0; i < nreaders; i++)
		printf("reader %u: %" PRIu64 " lookups, %" PRIu64 " verified, %" PRIu64
		       " inconclusive (history overwritten), %" PRIu64 " re-checked, widest "
		       "window %" PRIu64 " versions\n",
		       i, ra[i].st.lookups, ra[i].st.verified, ra[i].st.inconclusive, ra[i].st.retried,
		       ra[i].st.window_max);
	for (i = 0; i < nreaders && !st_failed(ctl); i++) {
		if (ra[i].st.verified < 1000)
			st_fail(ctl, "main", "reader %u verified only %" PRIu64 " lookups", i,
				ra[i].st.verified);
		if (ra[i].st.inconclusive * 100 > ra[i].st.lookups)
			st_fail(ctl, "main", "reader %u: %" PRIu64 " of %" PRIu64 " lookups could "
					     "not be checked", i, ra[i].st.inconclusive,
				ra[i].st.lookups);
	}
	if (!st_failed(ctl) && (st.grace_periods == 0 || m.ops < 1000))
		st_fail(ctl, "main", "the writer did too little (%" PRIu64 " ops, %" PRIu64
				     " grace periods) to test anything", m.ops, (uint64_t)st.grace_periods);
	eu_lpm_destroy(lpm);
	free(hist);
	free(m.val);
	if (st_report(ctl, argv[0]))
		return 1;
	printf("stress_lpm_rcu: PASS\n");
	return 0;
}
