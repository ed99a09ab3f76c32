/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_lpm.c - the forwarding table (europa/lpm.h) against brute-force
 * references: random tables of 10, 1k and 100k routes and a 1M-route table
 * from the synthetic BGP generator (over a million lookups in all), adds and
 * deletes interleaved with re-verification, the edge cases (/0, /32, /24 vs
 * /25 boundaries, -ENOENT, updates, bad arguments), group reuse, refusals
 * that leave the table unchanged, walking, statistics, and the generator.
 *
 * References: ref_lookup_linear() scans every route (the definition of
 * longest-prefix match); ref_lookup_fast() binary-searches one sorted array
 * per prefix length, longest first, for the large tables, and is itself
 * checked against the linear scan.
 */
#include "eu_unit.h"

#include <europa/ipv4.h>
#include <europa/lpm.h>

/*
 * Sanitizer builds run the same tests on less data: TSan instruments every
 * access and atomic (about 20x slower here) and finds nothing in
 * single-threaded code that plain and ASan builds do not; stress_lpm_rcu is
 * its test. T_DIV divides counts; the 1M-route table is 200k under TSan.
 */
#if defined(__SANITIZE_THREAD__)
#define T_DIV 10
#define T_TSAN 1
#elif defined(__SANITIZE_ADDRESS__)
#define T_DIV 2
#define T_TSAN 0
#else
#define T_DIV 1
#define T_TSAN 0
#endif
/* Prefixes shorter than /8 (see rand_len()) only where the test is about them. */
#define T_SHORT(permille) (T_TSAN ? 0 : (permille))

/* ------------------------------------------------------------ reference */

struct rroute {
	uint32_t prefix;
	uint32_t len;
	uint32_t nh;
};

struct ref {
	struct rroute *r;
	size_t n, cap;
	/* fast: per length, sorted by prefix */
	struct rroute *bylen[33];
	size_t nbylen[33];
};

static void ref_init(struct ref *f)
{
	memset(f, 0, sizeof(*f));
}

static void ref_free(struct ref *f)
{
	unsigned l;

	free(f->r);
	for (l = 0; l <= 32; l++)
		free(f->bylen[l]);
	memset(f, 0, sizeof(*f));
}

static ssize_t ref_find(const struct ref *f, uint32_t prefix, uint32_t len)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->r[i].prefix == prefix && f->r[i].len == len)
			return (ssize_t)i;
	return -1;
}

/* Append without a duplicate check (callers know the route is new). */
static void ref_append(struct ref *f, uint32_t prefix, uint32_t len, uint32_t nh)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->r = realloc(f->r, f->cap * sizeof(*f->r));
		ck_assert_ptr_nonnull(f->r);
	}
	f->r[f->n].prefix = prefix;
	f->r[f->n].len = len;
	f->r[f->n].nh = nh;
	f->n++;
}

/* Add or update; returns 1 if it was an update. */
static int ref_add(struct ref *f, uint32_t prefix, uint32_t len, uint32_t nh)
{
	ssize_t i = ref_find(f, prefix, len);

	if (i >= 0) {
		f->r[i].nh = nh;
		return 1;
	}
	ref_append(f, prefix, len, nh);
	return 0;
}

static int ref_del(struct ref *f, uint32_t prefix, uint32_t len)
{
	ssize_t i = ref_find(f, prefix, len);

	if (i < 0)
		return -ENOENT;
	f->r[i] = f->r[--f->n];
	return 0;
}

static uint32_t ref_lookup_linear(const struct ref *f, uint32_t addr)
{
	uint32_t best = EU_LPM_MISS;
	int best_len = -1;
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct rroute *r = &f->r[i];

		if (((addr ^ r->prefix) & eu_ipv4_mask(r->len)) == 0 && (int)r->len > best_len) {
			best_len = (int)r->len;
			best = r->nh;
		}
	}
	return best;
}

static int rroute_cmp(const void *a, const void *b)
{
	const struct rroute *x = a, *y = b;

	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

static void ref_build_fast(struct ref *f)
{
	unsigned l;
	size_t i;

	for (l = 0; l <= 32; l++) {
		free(f->bylen[l]);
		f->bylen[l] = NULL;
		f->nbylen[l] = 0;
	}
	for (i = 0; i < f->n; i++)
		f->nbylen[f->r[i].len]++;
	for (l = 0; l <= 32; l++) {
		f->bylen[l] = malloc((f->nbylen[l] + 1) * sizeof(struct rroute));
		ck_assert_ptr_nonnull(f->bylen[l]);
		f->nbylen[l] = 0;
	}
	for (i = 0; i < f->n; i++)
		f->bylen[f->r[i].len][f->nbylen[f->r[i].len]++] = f->r[i];
	for (l = 0; l <= 32; l++)
		qsort(f->bylen[l], f->nbylen[l], sizeof(struct rroute), rroute_cmp);
}

static uint32_t ref_lookup_fast(const struct ref *f, uint32_t addr)
{
	int l;

	for (l = 32; l >= 0; l--) {
		struct rroute key = { addr & eu_ipv4_mask((unsigned)l), 0, 0 };
		const struct rroute *hit;

		if (!f->nbylen[l])
			continue;
		hit = bsearch(&key, f->bylen[l], f->nbylen[l], sizeof(key), rroute_cmp);
		if (hit)
			return hit->nh;
	}
	return EU_LPM_MISS;
}

/* ------------------------------------------------------------- helpers */

static struct eu_lpm *new_table(void)
{
	struct eu_lpm *t = eu_lpm_create(NULL);

	ck_assert_msg(t != NULL, "eu_lpm_create: %s", eu_last_error());
	return t;
}

static uint32_t lk(struct eu_lpm *t, uint32_t addr)
{
	uint32_t nh;

	eu_lpm_read_lock();
	nh = eu_lpm_lookup(t, addr);
	eu_lpm_read_unlock();
	return nh;
}

static uint32_t A(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static void add_ok(struct eu_lpm *t, uint32_t p, unsigned len, uint32_t nh)
{
	int rc = eu_lpm_add(t, p, len, nh);

	ck_assert_msg(rc == 0 || rc == 1, "eu_lpm_add(%08x/%u): %d %s", p, len, rc,
		      eu_last_error());
}

/* A lookup address: uniform, or inside / at the edges of a route of f. */
static uint32_t pick_addr(const struct ref *f)
{
	uint64_t r = eu_t_rand();
	const struct rroute *rt;
	uint32_t span;

	if (!f->n || (r & 3) == 0)
		return (uint32_t)eu_t_rand();
	rt = &f->r[(r >> 8) % f->n];
	span = rt->len ? ~eu_ipv4_mask(rt->len) : 0xffffffffU;
	switch ((r >> 2) & 3) {
	case 0:
		return rt->prefix; /* first address */
	case 1:
		return rt->prefix + span; /* last address */
	case 2:
		return (r >> 40) & 1 ? rt->prefix + span + 1 : rt->prefix - 1; /* just outside */
	default:
		return rt->prefix | ((uint32_t)eu_t_rand() & span);
	}
}

/* Compare n lookups (single and burst) against the reference. */
static void verify(struct eu_lpm *t, const struct ref *f, unsigned n, int fast)
{
	enum { B = 64 };
	uint32_t addr[B], got[B], want[B];
	unsigned done = 0;

	while (done < n) {
		unsigned m = n - done < B ? n - done : B, i, hits, whits = 0;

		for (i = 0; i < m; i++) {
			addr[i] = pick_addr(f);
			want[i] = fast ? ref_lookup_fast(f, addr[i]) : ref_lookup_linear(f, addr[i]);
			whits += want[i] != EU_LPM_MISS;
		}
		eu_lpm_read_lock();
		hits = eu_lpm_lookup_burst(t, addr, got, m);
		for (i = 0; i < m; i++) {
			uint32_t one = eu_lpm_lookup(t, addr[i]);

			ck_assert_msg(got[i] == want[i] && one == want[i],
				      "lookup %u.%u.%u.%u: burst %u single %u, reference %u",
				      addr[i] >> 24, (addr[i] >> 16) & 255, (addr[i] >> 8) & 255,
				      addr[i] & 255, got[i], one, want[i]);
		}
		eu_lpm_read_unlock();
		ck_assert_uint_eq(hits, whits);
		done += m;
	}
}

/*
 * A random prefix length: mostly 8..32 (weighted towards 16..32), and 0..7
 * for short_permille of them. Short prefixes are what makes DIR-24-8 updates
 * expensive (a /0 rewrites all 2^24 first-level entries), so tests keep them
 * few but always present.
 */
static unsigned rand_len(unsigned short_permille)
{
	uint64_t r = eu_t_rand();

	if ((r & 1023) < short_permille)
		return (unsigned)((r >> 10) % 8);
	return (r >> 20) & 1 ? (unsigned)(16 + (r >> 24) % 17) : (unsigned)(8 + (r >> 24) % 25);
}

/*
 * A random table of n routes whose prefixes nest: addresses come from a pool
 * of `bases` random addresses (with a few bits flipped), lengths rand_len().
 */
static void random_table(struct eu_lpm *t, struct ref *f, unsigned n, unsigned bases,
			 unsigned short_permille)
{
	uint32_t pool[256];
	unsigned i;

	ck_assert_uint_le(bases, 256);
	for (i = 0; i < bases; i++)
		pool[i] = (uint32_t)eu_t_rand();
	while (f->n < n) {
		uint64_t r = eu_t_rand();
		unsigned len = rand_len(short_permille);
		uint32_t p = (pool[(r >> 20) % bases] ^ ((r >> 32) & 0x01010101U)) & eu_ipv4_mask(len);
		uint32_t nh = (uint32_t)(eu_t_rand() % (EU_LPM_NH_MAX + 1));
		int upd = ref_add(f, p, len, nh);
		int rc = eu_lpm_add(t, p, len, nh);

		ck_assert_msg(rc == upd, "eu_lpm_add %08x/%u: %d (expected %d) %s", p, len, rc, upd,
			      eu_last_error());
	}
}

/* ---------------------------------------------------------- edge cases */

START_TEST(test_default_route)
{
	struct eu_lpm *t = new_table();
	unsigned i;

	eu_t_seed();
	ck_assert_uint_eq(lk(t, A(10, 0, 0, 1)), EU_LPM_MISS);
	ck_assert_int_eq(eu_lpm_add(t, 0, 0, 7), 0);
	for (i = 0; i < 10000; i++)
		ck_assert_uint_eq(lk(t, (uint32_t)eu_t_rand()), 7);
	ck_assert_uint_eq(lk(t, 0), 7);
	ck_assert_uint_eq(lk(t, 0xffffffffU), 7);
	/* a more specific route inside, then the default changes under it */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 0), 8, 8), 0);
	ck_assert_int_eq(eu_lpm_add(t, 0, 0, 9), 1);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 3)), 8);
	ck_assert_uint_eq(lk(t, A(11, 1, 2, 3)), 9);
	ck_assert_int_eq(eu_lpm_del(t, 0, 0), 0);
	ck_assert_uint_eq(lk(t, A(11, 1, 2, 3)), EU_LPM_MISS);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 3)), 8);
	ck_assert_int_eq(eu_lpm_del(t, 0, 0), -ENOENT);
	/* a /0 added after longer routes does not clobber them */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 9, 9, 128), 25, 5), 0);
	ck_assert_int_eq(eu_lpm_add(t, 0, 0, 1), 0);
	ck_assert_uint_eq(lk(t, A(10, 9, 9, 200)), 5);
	ck_assert_uint_eq(lk(t, A(10, 9, 9, 100)), 8);
	ck_assert_uint_eq(lk(t, A(12, 9, 9, 100)), 1);
	eu_lpm_destroy(t);
}
END_TEST

START_TEST(test_host_routes)
{
	struct eu_lpm *t = new_table();
	struct eu_lpm_stats st = { .size = sizeof(st) };
	unsigned i;

	/* every /32 of one /24, then remove them in another order */
	for (i = 0; i < 256; i++)
		ck_assert_int_eq(eu_lpm_add(t, A(192, 0, 2, i), 32, 1000 + i), 0);
	for (i = 0; i < 256; i++)
		ck_assert_uint_eq(lk(t, A(192, 0, 2, i)), 1000 + i);
	ck_assert_uint_eq(lk(t, A(192, 0, 3, 0)), EU_LPM_MISS);
	ck_assert_uint_eq(lk(t, A(192, 0, 1, 255)), EU_LPM_MISS);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.routes, 256);
	ck_assert_uint_eq(st.routes_by_len[32], 256);
	ck_assert_uint_eq(st.groups_used, 1);
	ck_assert_int_eq(eu_lpm_add(t, A(192, 0, 0, 0), 16, 3), 0);
	for (i = 0; i < 256; i += 2)
		ck_assert_int_eq(eu_lpm_del(t, A(192, 0, 2, i), 32), 0);
	for (i = 0; i < 256; i++)
		ck_assert_uint_eq(lk(t, A(192, 0, 2, i)), (i & 1) ? 1000 + i : 3);
	for (i = 1; i < 256; i += 2)
		ck_assert_int_eq(eu_lpm_del(t, A(192, 0, 2, i), 32), 0);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.groups_used, 0);
	ck_assert_uint_eq(st.groups_retired, 1);
	for (i = 0; i < 256; i++)
		ck_assert_uint_eq(lk(t, A(192, 0, 2, i)), 3);
	/* 0.0.0.0/32 and 255.255.255.255/32 */
	ck_assert_int_eq(eu_lpm_add(t, 0, 32, 11), 0);
	ck_assert_int_eq(eu_lpm_add(t, 0xffffffffU, 32, 12), 0);
	ck_assert_uint_eq(lk(t, 0), 11);
	ck_assert_uint_eq(lk(t, 1), EU_LPM_MISS);
	ck_assert_uint_eq(lk(t, 0xffffffffU), 12);
	ck_assert_uint_eq(lk(t, 0xfffffffeU), EU_LPM_MISS);
	/* the largest next hop id */
	ck_assert_int_eq(eu_lpm_add(t, A(1, 2, 3, 4), 32, EU_LPM_NH_MAX), 0);
	ck_assert_uint_eq(lk(t, A(1, 2, 3, 4)), EU_LPM_NH_MAX);
	eu_lpm_destroy(t);
}
END_TEST

START_TEST(test_boundaries_24_25)
{
	struct eu_lpm *t = new_table();

	ck_assert_int_eq(eu_lpm_add(t, A(10, 1, 2, 0), 24, 1), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 1, 2, 128), 25, 2), 0);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 0)), 1);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 127)), 1);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 128)), 2);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 255)), 2);
	ck_assert_uint_eq(lk(t, A(10, 1, 1, 255)), EU_LPM_MISS);
	ck_assert_uint_eq(lk(t, A(10, 1, 3, 0)), EU_LPM_MISS);
	/* a later /23 and /24 update must not clobber the /25 */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 1, 2, 0), 23, 3), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 1, 2, 0), 24, 4), 1);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 5)), 4);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 130)), 2);
	ck_assert_uint_eq(lk(t, A(10, 1, 3, 7)), 3);
	/* deleting the /24 gives its half back to the /23, not the /25's half */
	ck_assert_int_eq(eu_lpm_del(t, A(10, 1, 2, 0), 24), 0);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 5)), 3);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 130)), 2);
	/* deleting the /25 collapses the group back into one first-level entry */
	ck_assert_int_eq(eu_lpm_del(t, A(10, 1, 2, 128), 25), 0);
	ck_assert_uint_eq(lk(t, A(10, 1, 2, 130)), 3);
	ck_assert_uint_eq(t->tbl24[A(10, 1, 2, 0) >> 8] & EU_LPM_E_EXT, 0);
	/* /25 in a block with no cover: the other half misses */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 7, 7, 0), 25, 6), 0);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 127)), 6);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 128)), EU_LPM_MISS);
	/* nested /26 /27 /28 at the top of a block */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 7, 7, 192), 26, 7), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 7, 7, 224), 27, 8), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 7, 7, 240), 28, 9), 0);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 191)), EU_LPM_MISS);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 192)), 7);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 223)), 7);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 224)), 8);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 239)), 8);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 240)), 9);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 255)), 9);
	ck_assert_int_eq(eu_lpm_del(t, A(10, 7, 7, 224), 27), 0);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 230)), 7);
	ck_assert_uint_eq(lk(t, A(10, 7, 7, 250)), 9);
	eu_lpm_destroy(t);
}
END_TEST

START_TEST(test_enoent_update_and_bad_args)
{
	struct eu_lpm *t = new_table();
	uint32_t nh = 0;

	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 0, 0), 8), -ENOENT);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "10.0.0.0/8"));
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 0), 8, 1), 0);
	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 0, 0), 9), -ENOENT);
	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 0, 0), 7), -ENOENT);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 0), 8, 2), 1); /* re-add = update */
	ck_assert_uint_eq(lk(t, A(10, 200, 0, 1)), 2);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 0), 8, 2), 1); /* same next hop */
	ck_assert_int_eq(eu_lpm_get(t, A(10, 0, 0, 0), 8, &nh), 0);
	ck_assert_uint_eq(nh, 2);
	ck_assert_int_eq(eu_lpm_get(t, A(10, 0, 0, 0), 16, &nh), -ENOENT);
	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 0, 0), 8), 0);
	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 0, 0), 8), -ENOENT);
	ck_assert_uint_eq(lk(t, A(10, 200, 0, 1)), EU_LPM_MISS);
	/* bad arguments: refused with a message, table unchanged */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 1), 8, 1), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "did you mean 10.0.0.0/8"));
	ck_assert_int_eq(eu_lpm_add(t, 0, 33, 1), -EINVAL);
	ck_assert_int_eq(eu_lpm_add(t, 0, 8, EU_LPM_NH_MAX + 1), -EINVAL);
	ck_assert_int_eq(eu_lpm_add(t, 0, 8, EU_LPM_MISS), -EINVAL);
	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 0, 1), 8), -EINVAL);
	ck_assert_int_eq(eu_lpm_add(NULL, 0, 8, 1), -EINVAL);
	ck_assert_int_eq(eu_lpm_get(t, 0, 8, NULL), -EINVAL);
	ck_assert_uint_eq(lk(t, A(10, 0, 0, 1)), EU_LPM_MISS);
	ck_assert_uint_eq(eu_lpm_memsize(t) >= (32U << 20), 1); /* 2^24 16-bit entries */
	eu_lpm_destroy(t);
	eu_lpm_destroy(NULL);
}
END_TEST

START_TEST(test_writer_inside_reader_refused)
{
	struct eu_lpm *t = new_table();
	struct eu_lpm_stats st = { .size = sizeof(st) };
	uint32_t nh;

	eu_lpm_read_lock();
	eu_lpm_read_lock(); /* nesting */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 0), 8, 1), -EDEADLK);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "eu_lpm_read_unlock"));
	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 0, 0), 8), -EDEADLK);
	ck_assert_int_eq(eu_lpm_get(t, A(10, 0, 0, 0), 8, &nh), -EDEADLK);
	ck_assert_int_eq(eu_lpm_reclaim(t), -EDEADLK);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), -EDEADLK);
	eu_lpm_read_unlock();
	eu_lpm_read_unlock();
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 0), 8, 1), 0);
	ck_assert_int_eq(eu_lpm_reader_register(), 0);
	ck_assert_int_eq(eu_lpm_reader_register(), 0); /* idempotent */
	eu_lpm_reader_unregister();
	eu_lpm_reader_unregister();
	ck_assert_uint_eq(lk(t, A(10, 0, 0, 1)), 1); /* registers again on its own */
	eu_lpm_destroy(t);
}
END_TEST

/* ------------------------------------------------------ random tables */

START_TEST(test_random_10)
{
	unsigned k;

	eu_t_seed();
	for (k = 0; k < 40 / T_DIV; k++) {
		struct eu_lpm *t = new_table();
		struct ref f;

		ref_init(&f);
		random_table(t, &f, 10, 1 + k % 4, T_TSAN ? 20 : 100);
		verify(t, &f, 2500, 0);
		ref_free(&f);
		eu_lpm_destroy(t);
	}
}
END_TEST

START_TEST(test_random_1k)
{
	unsigned k;

	eu_t_seed();
	for (k = 0; k < 8; k += T_TSAN ? 4 : 1) {
		struct eu_lpm *t = new_table();
		struct ref f;

		ref_init(&f);
		random_table(t, &f, 1000, k < 4 ? 16 : 256, T_SHORT(3));
		verify(t, &f, 25000 / T_DIV, 0);
		ref_free(&f);
		eu_lpm_destroy(t);
	}
}
END_TEST

/* The fast reference agrees with the linear scan, on a 1k table. */
START_TEST(test_reference_selfcheck)
{
	struct eu_lpm *t = new_table();
	struct ref f;
	unsigned i;

	eu_t_seed();
	ref_init(&f);
	random_table(t, &f, 1000, 32, T_SHORT(3));
	ref_build_fast(&f);
	for (i = 0; i < 50000 / T_DIV; i++) {
		uint32_t a = pick_addr(&f);

		ck_assert_uint_eq(ref_lookup_fast(&f, a), ref_lookup_linear(&f, a));
	}
	ref_free(&f);
	eu_lpm_destroy(t);
}
END_TEST

/* Load n generated prefixes (next hop from the hash) into t and f. */
static void generated_table(struct eu_lpm *t, struct ref *f, unsigned n, __u32 long_ppm,
			    uint64_t seed)
{
	struct eu_lpm_gen_opts o;
	struct eu_lpm_gen *g;
	unsigned i;

	eu_lpm_gen_opts_default(&o);
	o.seed = seed;
	o.long_ppm = long_ppm;
	g = eu_lpm_gen_create(&o);
	ck_assert_msg(g != NULL, "%s", eu_last_error());
	for (i = 0; i < n; i++) {
		__u32 p;
		unsigned len;
		uint32_t nh;

		ck_assert_int_eq(eu_lpm_gen_next(g, &p, &len), 0);
		nh = eu_lpm_gen_hash(p, len, seed) % 64;
		ref_append(f, p, len, nh);
		ck_assert_int_eq(eu_lpm_add(t, p, len, nh), 0);
	}
	eu_lpm_gen_destroy(g);
	ref_build_fast(f);
}

START_TEST(test_random_100k)
{
	struct eu_lpm *t = new_table();
	struct ref f;
	unsigned i;

	eu_t_seed();
	ref_init(&f);
	/* 5% longer than /24 so that thousands of groups exist, plus a default route */
	generated_table(t, &f, 100000, 50000, 7);
	ck_assert_int_eq(eu_lpm_add(t, 0, 0, 99), 0);
	ref_append(&f, 0, 0, 99);
	ref_build_fast(&f);
	verify(t, &f, 300000 / T_DIV, 1);
	/* and a sample against the definition itself */
	for (i = 0; i < 300; i++) {
		uint32_t a = pick_addr(&f);

		ck_assert_uint_eq(lk(t, a), ref_lookup_linear(&f, a));
	}
	ref_free(&f);
	eu_lpm_destroy(t);
}
END_TEST

START_TEST(test_generated_1m)
{
	struct eu_lpm *t = new_table();
	struct eu_lpm_stats st = { .size = sizeof(st) };
	struct ref f;
	double t0 = eu_t_now_ms(), t1;

	eu_t_seed();
	ref_init(&f);
	generated_table(t, &f, T_TSAN ? 200000 : 1000000, 2000, 1);
	t1 = eu_t_now_ms();
	verify(t, &f, 150000 / T_DIV, 1);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.routes, T_TSAN ? 200000 : 1000000);
	ck_assert_uint_eq(st.bytes_total, eu_lpm_memsize(t));
	ck_assert_uint_eq(st.bytes_total,
			  st.bytes_tbl24 + st.bytes_tbl8 + st.bytes_leaf + st.bytes_routes);
	fprintf(stderr, "%u generated routes: built with the reference in %.0f ms; %u groups, "
			"%.1f MiB\n", st.routes, t1 - t0, st.groups_used,
		(double)st.bytes_total / 1048576.0);
	/* the memory target: at most half of rte_lpm's 81.5 MiB for this table
	 * (docs/evaluation/lpm.csv) */
	if (!T_TSAN)
		ck_assert_uint_le(st.bytes_total, (uint64_t)(81.5 / 2 * 1048576));
	ref_free(&f);
	eu_lpm_destroy(t);
}
END_TEST

/* ------------------------------------------------- adds and deletes mixed */

START_TEST(test_interleaved)
{
	struct eu_lpm *t = new_table();
	struct eu_lpm_stats st = { .size = sizeof(st) };
	struct ref f;
	uint32_t pool[24];
	unsigned i, op;

	eu_t_seed();
	ref_init(&f);
	for (i = 0; i < 24; i++)
		pool[i] = (uint32_t)eu_t_rand();
	for (op = 0; op < 30000 / T_DIV; op++) {
		uint64_t r = eu_t_rand();

		if (f.n && (r % 100) < 45) {
			struct rroute victim = f.r[(r >> 8) % f.n];

			ck_assert_int_eq(eu_lpm_del(t, victim.prefix, victim.len), 0);
			ck_assert_int_eq(ref_del(&f, victim.prefix, victim.len), 0);
		} else if ((r % 100) < 50) {
			/* delete something that is not there */
			uint32_t p = (uint32_t)eu_t_rand() & eu_ipv4_mask(20);

			if (ref_find(&f, p, 20) < 0)
				ck_assert_int_eq(eu_lpm_del(t, p, 20), -ENOENT);
		} else {
			unsigned len = (r >> 8) & 1 ? (unsigned)(20 + (r >> 16) % 13) : rand_len(T_SHORT(5));
			uint32_t p = (pool[(r >> 24) % 24] ^ (uint32_t)((r >> 32) & 0x00000f0fU)) &
				     eu_ipv4_mask(len);
			uint32_t nh = (uint32_t)(r >> 40) & EU_LPM_NH_MAX;
			int upd = ref_add(&f, p, len, nh);

			ck_assert_int_eq(eu_lpm_add(t, p, len, nh), upd);
		}
		if (op % 100 == 99)
			verify(t, &f, 100, 0);
	}
	verify(t, &f, 20000 / T_DIV, 0);
	/* every address of every /24 block the pool touches, exhaustively */
	for (i = 0; i < 24; i += T_TSAN ? 6 : 1) {
		uint32_t base = pool[i] & eu_ipv4_mask(20), a;

		for (a = base; a < base + 4096; a++)
			ck_assert_uint_eq(lk(t, a), ref_lookup_linear(&f, a));
	}
	/* delete everything: no group stays linked, every lookup misses */
	while (f.n) {
		ck_assert_int_eq(eu_lpm_del(t, f.r[f.n - 1].prefix, f.r[f.n - 1].len), 0);
		f.n--;
	}
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.routes, 0);
	ck_assert_uint_eq(st.groups_used, 0);
	ck_assert_uint_eq(st.groups_used + st.groups_free + st.groups_retired <=
				  st.groups_committed, 1);
	verify(t, &f, 5000, 0);
	ref_free(&f);
	eu_lpm_destroy(t);
}
END_TEST

START_TEST(test_burst_sizes)
{
	struct eu_lpm *t = new_table();
	struct ref f;
	static uint32_t addr[1000], got[1000];
	unsigned sizes[] = { 0, 1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 1000 };
	unsigned k, i, rep;

	eu_t_seed();
	ref_init(&f);
	random_table(t, &f, 500, 64, T_SHORT(4));
	for (rep = 0; rep < 20 / T_DIV + 1; rep++) {
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			unsigned n = sizes[k], hits, want = 0;

			for (i = 0; i < n; i++)
				addr[i] = pick_addr(&f);
			got[n < 1000 ? n : 999] = 0x12345678U; /* must not be written */
			eu_lpm_read_lock();
			hits = eu_lpm_lookup_burst(t, addr, got, n);
			eu_lpm_read_unlock();
			for (i = 0; i < n; i++) {
				ck_assert_uint_eq(got[i], ref_lookup_linear(&f, addr[i]));
				want += got[i] != EU_LPM_MISS;
			}
			ck_assert_uint_eq(hits, want);
			if (n < 1000)
				ck_assert_uint_eq(got[n], 0x12345678U);
		}
	}
	/* in place: addr and nh the same array */
	for (i = 0; i < 100; i++)
		addr[i] = got[i] = pick_addr(&f);
	eu_lpm_read_lock();
	eu_lpm_lookup_burst(t, got, got, 100);
	eu_lpm_read_unlock();
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(got[i], ref_lookup_linear(&f, addr[i]));
	ref_free(&f);
	eu_lpm_destroy(t);
}
END_TEST

/* ------------------------------------------------ groups and refusals */

START_TEST(test_group_reuse)
{
	struct eu_lpm *t = new_table();
	struct eu_lpm_stats st = { .size = sizeof(st) };
	unsigned round, b;

	for (round = 0; round < 6; round++) {
		/* 300 blocks get a /25 (300 groups), then lose it (300 retired) */
		for (b = 0; b < 300; b++)
			add_ok(t, A(100, round, b & 0xff, 128) + ((b >> 8) << 16), 25, b);
		for (b = 0; b < 300; b++)
			ck_assert_uint_eq(lk(t, A(100, round, b & 0xff, 200) + ((b >> 8) << 16)), b);
		for (b = 0; b < 300; b++)
			ck_assert_int_eq(eu_lpm_del(t, A(100, round, b & 0xff, 128) +
							       ((b >> 8) << 16), 25), 0);
	}
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.groups_used, 0);
	/* retired groups were recycled after grace periods instead of new memory */
	ck_assert_uint_gt(st.grace_periods, 0);
	ck_assert_uint_le(st.groups_committed, 768);
	ck_assert_int_ge(eu_lpm_reclaim(t), 0);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.groups_retired, 0);
	ck_assert_uint_ge(st.groups_free, 300);
	ck_assert_int_eq(eu_lpm_reclaim(t), 0);
	eu_lpm_destroy(t);
}
END_TEST

START_TEST(test_refusals_leave_table_unchanged)
{
	struct eu_lpm_opts o;
	struct eu_lpm *t;
	struct eu_lpm_stats st = { .size = sizeof(st) };

	eu_lpm_opts_default(&o);
	o.max_groups = 2;
	o.max_routes = 6;
	t = eu_lpm_create(&o);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 0, 0), 8, 1), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 1, 0), 25, 2), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 2, 0), 26, 3), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 2, 64), 26, 4), 0); /* same block: no group */
	/* a third block needs a third group */
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 3, 0), 27, 5), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "max_groups"));
	ck_assert_uint_eq(lk(t, A(10, 0, 3, 1)), 1);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.routes, 4);
	ck_assert_uint_eq(st.routes_by_len[27], 0);
	/* freeing a group makes room again (after a grace period, done inside) */
	ck_assert_int_eq(eu_lpm_del(t, A(10, 0, 1, 0), 25), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(10, 0, 3, 0), 27, 5), 0);
	ck_assert_uint_eq(lk(t, A(10, 0, 3, 1)), 5);
	ck_assert_uint_eq(lk(t, A(10, 0, 1, 1)), 1);
	/* max_routes */
	ck_assert_int_eq(eu_lpm_add(t, A(11, 0, 0, 0), 8, 6), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(12, 0, 0, 0), 8, 7), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(13, 0, 0, 0), 8, 8), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "max_routes"));
	ck_assert_int_eq(eu_lpm_add(t, A(12, 0, 0, 0), 8, 9), 1); /* updates still work */
	ck_assert_uint_eq(lk(t, A(13, 0, 0, 1)), EU_LPM_MISS);
	ck_assert_uint_eq(lk(t, A(12, 0, 0, 1)), 9);
	eu_lpm_destroy(t);

	/* bad options */
	o.max_groups = EU_LPM_MAX_GROUPS + 1;
	ck_assert_ptr_null(eu_lpm_create(&o));
	ck_assert_int_eq(errno, EINVAL);
	eu_lpm_opts_default(&o);
	o.flags = 0x80;
	ck_assert_ptr_null(eu_lpm_create(&o));
	o.size = 0;
	ck_assert_ptr_null(eu_lpm_create(&o));
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "sizeof(struct eu_lpm_opts)"));
	/* an older, shorter options struct is accepted */
	eu_lpm_opts_default(&o);
	o.size = 8;
	o.flags = EU_LPM_F_NO_HUGEPAGE;
	t = eu_lpm_create(&o);
	ck_assert_ptr_nonnull(t);
	eu_lpm_destroy(t);
}
END_TEST

/* Leaves: one per (next hop, length) pair in use, at most 32767, reused after
 * the last route with the pair goes (and a grace period). */
START_TEST(test_leaves)
{
	struct eu_lpm *t = new_table();
	struct eu_lpm_stats st = { .size = sizeof(st) };
	uint32_t i, nh;

	/* pairs are shared: 1000 /24s and 10 /16s over one next hop are 2 leaves */
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(eu_lpm_add(t, A(20, i >> 8, i & 255, 0), 24, 77), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(eu_lpm_add(t, A(30, i, 0, 0), 16, 77), 0);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.leaves_used, 2);
	/* the leaf table is committed as leaves are used: a page or so for two */
	ck_assert_uint_gt(st.bytes_leaf, 0);
	ck_assert_uint_le(st.bytes_leaf, 64 << 10);
	/* updating one /24 to a new next hop makes a third leaf; back again, two */
	ck_assert_int_eq(eu_lpm_add(t, A(20, 0, 5, 0), 24, 78), 1);
	ck_assert_uint_eq(lk(t, A(20, 0, 5, 9)), 78);
	ck_assert_uint_eq(lk(t, A(20, 0, 6, 9)), 77);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.leaves_used, 3);
	ck_assert_int_eq(eu_lpm_add(t, A(20, 0, 5, 0), 24, 77), 1);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.leaves_used, 2);
	ck_assert_uint_eq(st.leaves_retired, 1);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(eu_lpm_del(t, A(20, i >> 8, i & 255, 0), 24), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(eu_lpm_del(t, A(30, i, 0, 0), 16), 0);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.leaves_used, 0);

	/* fill every leaf: 32767 /24s with distinct next hops */
	for (i = 0; i < EU_LPM_MAX_LEAVES - 1; i++)
		ck_assert_int_eq(eu_lpm_add(t, A(40, i >> 8, i & 255, 0), 24, 1000 + i), 0);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.leaves_used, EU_LPM_MAX_LEAVES - 1);
	ck_assert_uint_eq(st.bytes_leaf, EU_LPM_MAX_LEAVES * 4); /* all of it now */
	/* one more pair is refused, and nothing changes */
	ck_assert_int_eq(eu_lpm_add(t, A(41, 0, 0, 0), 24, 5), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "(next hop, prefix length)"));
	ck_assert_int_eq(eu_lpm_add(t, A(40, 0, 0, 0), 24, 5), -ENOSPC); /* an update too */
	ck_assert_uint_eq(lk(t, A(40, 0, 0, 1)), 1000);
	ck_assert_uint_eq(lk(t, A(41, 0, 0, 1)), EU_LPM_MISS);
	ck_assert_int_eq(eu_lpm_add(t, A(40, 200, 0, 0), 25, 1000), -ENOSPC); /* new length */
	ck_assert_uint_eq(lk(t, A(40, 200, 0, 1)), EU_LPM_MISS);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.routes, EU_LPM_MAX_LEAVES - 1);
	ck_assert_uint_eq(st.groups_used, 0);
	/* existing pairs still work */
	ck_assert_int_eq(eu_lpm_add(t, A(41, 0, 0, 0), 24, 1000), 0);
	ck_assert_uint_eq(lk(t, A(41, 0, 0, 1)), 1000);
	ck_assert_int_eq(eu_lpm_get(t, A(41, 0, 0, 0), 24, &nh), 0);
	ck_assert_uint_eq(nh, 1000);
	/* a pair freed by a delete can be reused (after a grace period, inside) */
	ck_assert_int_eq(eu_lpm_del(t, A(40, 0, 7, 0), 24), 0);
	ck_assert_int_eq(eu_lpm_add(t, A(42, 0, 0, 0), 24, 5), 0);
	ck_assert_uint_eq(lk(t, A(42, 0, 0, 1)), 5);
	ck_assert_uint_eq(lk(t, A(40, 0, 7, 1)), EU_LPM_MISS);
	ck_assert_uint_eq(lk(t, A(40, 0, 8, 1)), 1008);
	for (i = 0; i < EU_LPM_MAX_LEAVES - 1; i += 997)
		if (i != 7)
			ck_assert_uint_eq(lk(t, A(40, i >> 8, i & 255, 200)), 1000 + i);
	eu_lpm_destroy(t);
}
END_TEST

/*
 * The route set keys a route by its prefix's significant bytes only: every
 * length, with the lowest and highest prefixes of that length and ones with
 * every significant bit pattern near the byte boundaries, goes in, comes back
 * whole (get, walk, lookups) and goes out. Then the memory per route: 5-byte
 * slots for /24s, 4-byte for /16s, at load 0.72..0.9.
 */
static int walk_exact_cb(void *arg, __u32 prefix, unsigned len, __u32 nh)
{
	unsigned *seen = arg;

	ck_assert_uint_eq(prefix & ~eu_ipv4_mask(len), 0);
	ck_assert_uint_eq(nh, 100 + len + (prefix >> 24 & 1) * 50);
	seen[len]++;
	return 0;
}

START_TEST(test_route_set_keys)
{
	struct eu_lpm *t = new_table();
	struct eu_lpm_stats st = { .size = sizeof(st) };
	static const __u32 pats[] = { 0x00000000U, 0xffffffffU, 0x80000000U, 0x01010101U,
				      0xfe7f80ffU, 0x00ff00ffU, 0xaaaaaaaaU, 0x55555555U,
				      0x01000001U, 0xc0a80180U };
	unsigned seen[33] = { 0 }, want[33] = { 0 }, len, i;
	__u64 base, n = 40000 / T_DIV;
	__u32 nh;

	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	/* an empty table: the first level and a few KiB, no 1 MiB of leaf bookkeeping */
	ck_assert_uint_le(st.bytes_total - st.bytes_tbl24, 32 << 10);
	for (len = 0; len <= 32; len++)
		for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			__u32 p = pats[i] & eu_ipv4_mask(len);
			int rc = eu_lpm_add(t, p, len, 100 + len + (p >> 24 & 1) * 50);

			ck_assert_msg(rc == 0 || rc == 1, "%08x/%u: %d", p, len, rc);
			want[len] += rc == 0;
		}
	for (len = 0; len <= 32; len++)
		for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			__u32 p = pats[i] & eu_ipv4_mask(len);

			ck_assert_int_eq(eu_lpm_get(t, p, len, &nh), 0);
			ck_assert_uint_eq(nh, 100 + len + (p >> 24 & 1) * 50);
			/* its last significant bit flipped: a route only if a pattern
			 * gives that prefix too */
			if (len > 0) {
				__u32 q = p ^ (1U << (32 - len)), j, known = 0;

				for (j = 0; j < sizeof(pats) / sizeof(pats[0]); j++)
					known |= (pats[j] & eu_ipv4_mask(len)) == q;
				ck_assert_int_eq(eu_lpm_get(t, q, len, &nh), known ? 0 : -ENOENT);
			}
		}
	ck_assert_int_eq(eu_lpm_walk(t, walk_exact_cb, seen), 0);
	for (len = 0; len <= 32; len++)
		ck_assert_uint_eq(seen[len], want[len]);
	/* host routes answer for themselves, /0 for what nothing else covers */
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		ck_assert_uint_eq(lk(t, pats[i]), 132 + (pats[i] >> 24 & 1) * 50);
	for (len = 32; len-- > 0;)
		for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			__u32 p = pats[i] & eu_ipv4_mask(len + 1);
			int rc = eu_lpm_del(t, p, len + 1);

			ck_assert(rc == 0 || rc == -ENOENT);
		}
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_eq(st.routes, 1); /* the /0 */
	ck_assert_uint_eq(lk(t, 0xfe7f80ffU), 100);
	ck_assert_int_eq(eu_lpm_del(t, 0, 0), 0);
	ck_assert_int_eq(eu_lpm_get(t, 0, 0, &nh), -ENOENT);

	/* bytes per route: n /24s, then n /16s, one next hop */
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	base = st.bytes_routes;
	for (i = 0; i < n; i++)
		add_ok(t, A(10 + (i >> 16), i >> 8 & 255, i & 255, 0), 24, 7);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_ge(st.bytes_routes - base, n * 5 * 10 / 9 - 16 * 5);
	ck_assert_uint_le(st.bytes_routes - base, n * 5 * 100 / 72 + 16 * 5);
	base = st.bytes_routes;
	for (i = 0; i < n; i++)
		add_ok(t, A(60 + (i >> 8), i & 255, 0, 0), 16, 7);
	ck_assert_int_eq(eu_lpm_stats_read(t, &st), 0);
	ck_assert_uint_ge(st.bytes_routes - base, n * 4 * 10 / 9 - 16 * 4);
	ck_assert_uint_le(st.bytes_routes - base, n * 4 * 100 / 72 + 16 * 4);
	for (i = 0; i < n; i += 97) {
		ck_assert_int_eq(eu_lpm_get(t, A(10 + (i >> 16), i >> 8 & 255, i & 255, 0), 24,
					    &nh), 0);
		ck_assert_uint_eq(lk(t, A(10 + (i >> 16), i >> 8 & 255, i & 255, 9)), 7);
	}
	eu_lpm_destroy(t);
}
END_TEST

struct walk_acc {
	struct ref *f;
	unsigned seen;
	int last_len;
	unsigned stop_after;
};

static int walk_cb(void *arg, __u32 prefix, unsigned len, __u32 nh)
{
	struct walk_acc *w = arg;
	ssize_t i = ref_find(w->f, prefix, len);

	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(w->f->r[i].nh, nh);
	ck_assert_int_ge((int)len, w->last_len);
	w->last_len = (int)len;
	w->seen++;
	return w->stop_after && w->seen == w->stop_after ? 42 : 0;
}

START_TEST(test_walk)
{
	struct eu_lpm *t = new_table();
	struct ref f;
	struct walk_acc w = { 0 };

	eu_t_seed();
	ref_init(&f);
	random_table(t, &f, 700, 100, T_SHORT(4));
	w.f = &f;
	w.last_len = -1;
	ck_assert_int_eq(eu_lpm_walk(t, walk_cb, &w), 0);
	ck_assert_uint_eq(w.seen, f.n);
	memset(&w, 0, sizeof(w));
	w.f = &f;
	w.last_len = -1;
	w.stop_after = 10;
	ck_assert_int_eq(eu_lpm_walk(t, walk_cb, &w), 42);
	ck_assert_uint_eq(w.seen, 10);
	ref_free(&f);
	eu_lpm_destroy(t);
}
END_TEST

/* --------------------------------------------------------- generator */

START_TEST(test_generator)
{
	struct eu_lpm_gen_opts o;
	struct eu_lpm_gen *g1, *g2, *g3;
	static __u32 pa[200000];
	static unsigned char la[200000];
	unsigned count[33] = { 0 };
	unsigned i, nested = 0, n = T_TSAN ? 50000 : 200000, nshort = 0;
	double avg = 0;
	struct ref f;
	uint32_t sum_ppm = 0;

	for (i = 0; i <= 32; i++)
		sum_ppm += eu_lpm_gen_share(i);
	ck_assert_uint_eq(sum_ppm, 1000000);
	ck_assert_uint_gt(eu_lpm_gen_share(24), 550000);
	ck_assert_uint_eq(eu_lpm_gen_share(7), 0);
	ck_assert_uint_eq(eu_lpm_gen_share(33), 0);

	eu_lpm_gen_opts_default(&o);
	o.seed = 42;
	o.nexclude = 1;
	o.exclude[0].prefix = A(198, 18, 0, 0);
	o.exclude[0].len = 15;
	g1 = eu_lpm_gen_create(&o);
	g2 = eu_lpm_gen_create(&o);
	ck_assert_ptr_nonnull(g1);
	ck_assert_ptr_nonnull(g2);
	ref_init(&f);
	for (i = 0; i < n; i++) {
		__u32 p, q;
		unsigned l, m;

		ck_assert_int_eq(eu_lpm_gen_next(g1, &p, &l), 0);
		ck_assert_int_eq(eu_lpm_gen_next(g2, &q, &m), 0);
		ck_assert_uint_eq(p, q); /* deterministic */
		ck_assert_uint_eq(l, m);
		ck_assert_uint_eq(p & ~eu_ipv4_mask(l), 0);
		ck_assert_uint_ge(l, 8);
		ck_assert_uint_ne(p >> 24, 0);
		ck_assert_uint_ne(p >> 24, 127);
		ck_assert_uint_lt(p >> 24, 224);
		ck_assert_uint_ne(p >> 17, A(198, 18, 0, 0) >> 17);
		pa[i] = p;
		la[i] = (unsigned char)l;
		count[l]++;
		avg += l;
		ref_append(&f, p, l, i);
	}
	eu_lpm_gen_destroy(g1);
	eu_lpm_gen_destroy(g2);
	/* unique */
	ref_build_fast(&f);
	for (i = 0; i <= 32; i++) {
		size_t k;

		for (k = 1; k < f.nbylen[i]; k++)
			ck_assert_uint_ne(f.bylen[i][k].prefix, f.bylen[i][k - 1].prefix);
	}
	/* nested: how many have a shorter generated prefix covering them */
	for (i = 0; i < n / 10; i++) {
		int l;

		for (l = la[i] - 1; l >= 8; l--) {
			struct rroute key = { pa[i] & eu_ipv4_mask((unsigned)l), 0, 0 };

			if (f.nbylen[l] &&
			    bsearch(&key, f.bylen[l], f.nbylen[l], sizeof(key), rroute_cmp)) {
				nested++;
				break;
			}
		}
	}
	ref_free(&f);
	/* the mix: within a few per cent of the table (count is 200k) */
	avg /= n;
	fprintf(stderr, "generator: /24 %.1f%% /23 %.1f%% /22 %.1f%% /21 %.1f%% /20 %.1f%% "
			"/16 %.2f%% >/24 %.2f%%, average length %.2f, nested %.0f%%\n",
		100.0 * count[24] / n, 100.0 * count[23] / n, 100.0 * count[22] / n,
		100.0 * count[21] / n, 100.0 * count[20] / n, 100.0 * count[16] / n,
		100.0 * (n - count[24] - count[23] - count[22] - count[21] - count[20] -
			 count[19] - count[18] - count[17] - count[16] - count[15] - count[14] -
			 count[13] - count[12] - count[11] - count[10] - count[9] - count[8]) / n,
		avg, 100.0 * nested / (n / 10));
	for (i = 16; i <= 24; i++) {
		double want = eu_lpm_gen_share(i) / 1e6 * n;

		ck_assert_msg(count[i] > want * 0.85 - 50 && count[i] < want * 1.15 + 50,
			      "/%u: %u generated, %.0f expected", i, count[i], want);
	}
	for (i = 8; i < 16; i++)
		nshort += count[i];
	ck_assert_uint_gt(nshort, 0);
	ck_assert_msg(avg > 22.6 && avg < 23.2, "average prefix length %.2f", avg);
	ck_assert_msg(nested > n / 10 * 35 / 100, "only %u of %u nested", nested, n / 10);

	/* a longer run starts with the shorter one; another seed differs */
	o.seed = 42;
	g3 = eu_lpm_gen_create(&o);
	for (i = 0; i < 1000; i++) {
		__u32 p;
		unsigned l;

		ck_assert_int_eq(eu_lpm_gen_next(g3, &p, &l), 0);
		ck_assert_uint_eq(p, pa[i]);
	}
	eu_lpm_gen_destroy(g3);
	o.seed = 43;
	g3 = eu_lpm_gen_create(&o);
	{
		unsigned same = 0;

		for (i = 0; i < 1000; i++) {
			__u32 p;
			unsigned l;

			ck_assert_int_eq(eu_lpm_gen_next(g3, &p, &l), 0);
			same += p == pa[i] && l == la[i];
		}
		ck_assert_uint_lt(same, 20);
	}
	eu_lpm_gen_destroy(g3);

	/* bad options */
	eu_lpm_gen_opts_default(&o);
	o.nest_pct = 101;
	ck_assert_ptr_null(eu_lpm_gen_create(&o));
	eu_lpm_gen_opts_default(&o);
	o.nexclude = 1;
	o.exclude[0].prefix = A(10, 0, 0, 1);
	o.exclude[0].len = 8;
	ck_assert_ptr_null(eu_lpm_gen_create(&o));
}
END_TEST

START_TEST(test_generator_exhaustion)
{
	/* everything but 10.0.0.0/12 */
	static const struct {
		__u32 p, l;
	} ex[12] = { { 0x00000000U, 5 }, { 0x08000000U, 7 }, { 0x0b000000U, 8 },
		     { 0x0c000000U, 6 }, { 0x10000000U, 4 }, { 0x20000000U, 3 },
		     { 0x40000000U, 2 }, { 0x80000000U, 1 }, { 0x0a100000U, 12 },
		     { 0x0a200000U, 11 }, { 0x0a400000U, 10 }, { 0x0a800000U, 9 } };
	struct eu_lpm_gen_opts o;
	struct eu_lpm_gen *g;
	unsigned i, n = 0;
	int rc = 0;

	/* nothing longer than /24: at most 2^13 - 1 prefixes (/12../24) exist,
	 * then the generator says ENOSPC */
	eu_lpm_gen_opts_default(&o);
	o.long_ppm = 0;
	o.nexclude = 12;
	for (i = 0; i < 12; i++) {
		o.exclude[i].prefix = ex[i].p;
		o.exclude[i].len = ex[i].l;
	}
	g = eu_lpm_gen_create(&o);
	ck_assert_ptr_nonnull(g);
	while (rc == 0) {
		__u32 p;
		unsigned l;

		rc = eu_lpm_gen_next(g, &p, &l);
		if (rc == 0) {
			ck_assert_msg((p >> 20) == 0x0a0 && l >= 12 && l <= 24, "%08x/%u", p, l);
			n++;
			ck_assert_uint_le(n, (1U << 13) - 1);
		}
	}
	ck_assert_int_eq(rc, -ENOSPC);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "used up"));
	ck_assert_uint_gt(n, 4000); /* it gives up after 65536 tries in a row */
	eu_lpm_gen_destroy(g);
	/* more exclusions than fit are refused */
	o.nexclude = EU_LPM_GEN_MAX_EXCLUDE + 1;
	ck_assert_ptr_null(eu_lpm_gen_create(&o));
}
END_TEST

static Suite *lpm_suite(void)
{
	Suite *s = suite_create("lpm");
	TCase *edge = tcase_create("edge");
	TCase *rnd = tcase_create("random");
	TCase *gen = tcase_create("generator");

	tcase_set_timeout(edge, 60);
	tcase_add_test(edge, test_default_route);
	tcase_add_test(edge, test_host_routes);
	tcase_add_test(edge, test_boundaries_24_25);
	tcase_add_test(edge, test_enoent_update_and_bad_args);
	tcase_add_test(edge, test_writer_inside_reader_refused);
	tcase_add_test(edge, test_group_reuse);
	tcase_add_test(edge, test_refusals_leave_table_unchanged);
	tcase_add_test(edge, test_leaves);
	tcase_add_test(edge, test_walk);
	tcase_add_test(edge, test_route_set_keys);
	tcase_add_test(edge, test_burst_sizes);
	suite_add_tcase(s, edge);

	tcase_set_timeout(rnd, 100);
	tcase_add_test(rnd, test_reference_selfcheck);
	tcase_add_test(rnd, test_random_10);
	tcase_add_test(rnd, test_random_1k);
	tcase_add_test(rnd, test_random_100k);
	tcase_add_test(rnd, test_generated_1m);
	tcase_add_test(rnd, test_interleaved);
	suite_add_tcase(s, rnd);

	tcase_set_timeout(gen, 60);
	tcase_add_test(gen, test_generator);
	tcase_add_test(gen, test_generator_exhaustion);
	suite_add_tcase(s, gen);
	return s;
}

int main(void)
{
	return eu_t_run(lpm_suite());
}
