/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/lpm.h - IPv4 longest-prefix match: the forwarding table, updated
 * while packets are looked up, with RCU (liburcu, "memb" flavour).
 *
 * Structure: DIR-24-8 (Gupta, Lin, McKeown 1998) with 16-bit entries and a
 * leaf table. A first level of 2^24 entries indexed by the top 24 bits of
 * the address; second-level groups of 256 entries indexed by the low 8 bits,
 * one per /24 block that holds a route longer than /24, allocated on demand;
 * and a leaf table that maps an entry to the next hop. A lookup is two loads
 * (entry, leaf), or three in such a block. An entry (16 bits) is
 *
 *   bit 15     EXT    (first level only) bits 0..14 are a group index
 *   bits 0-14  a leaf index (0: no route), or the group index if EXT
 *
 * A leaf stands for one (next hop, prefix length) pair in use by at least
 * one route: leaf[i] is the next hop id the lookup returns, leaf[0] is
 * EU_LPM_MISS. Entries of 16 bits halve the first level to 32 MiB, which a
 * 32 MiB L3 cache then holds far better than the classic 64 MiB one: on the
 * 1M-prefix benchmark table random lookups are about 40% faster (docs/lpm.md
 * has the measurements). The price is two limits: at most 32767 distinct
 * (next hop, prefix length) pairs (the 1M-prefix table over 16 next hops
 * uses 379) and at most 32768 groups (it uses 1609).
 *
 * Next hops are opaque ids chosen by the caller (an index into its own
 * neighbour or port table), 0 to 2^24 - 1. A control-plane copy of the routes
 * (one hash table per prefix length) tells the writer which route covers
 * which, and each leaf's prefix length tells it which route an entry comes
 * from: adding a route rewrites only the entries whose length is not greater
 * than its own (a more specific route is never clobbered by a later less
 * specific one), deleting one gives its entries back to the longest route
 * that covers it. See docs/lpm.md.
 *
 * Concurrency contract
 *
 * Readers (any number of threads) call eu_lpm_lookup() and
 * eu_lpm_lookup_burst() between eu_lpm_read_lock() and eu_lpm_read_unlock()
 * (an RCU read-side critical section; nesting is allowed; typically one per
 * received burst). They never block, never write shared memory, and never
 * see a torn or mixed result: every answer is a next hop that the table held
 * for that address at some instant during the lookup, or EU_LPM_MISS if it
 * held none at such an instant. Each entry and each leaf is one aligned
 * word, written with one atomic release store; a leaf is written before any
 * entry refers to it and a second-level group is filled completely before
 * the store that links it into the first level (the lookups' dependent loads
 * see them, see eu_lpm__resolve()); a group that is unlinked, or a leaf that no route
 * uses any more, is reused only after an RCU grace period
 * (urcu_memb_synchronize_rcu()), so a reader still holding the old entry
 * reads what it pointed to when it was unlinked.
 *
 * A reader thread must be registered with liburcu-memb:
 * eu_lpm_read_lock() registers the calling thread the first time (and a
 * thread-exit handler unregisters it); eu_lpm_reader_register() does it
 * explicitly. Code that already uses liburcu-memb may call
 * urcu_memb_read_lock() / urcu_memb_read_unlock() directly instead: it is
 * the same read-side critical section and the same registry (then register
 * with urcu_memb_register_thread() and do not also use eu_lpm_read_lock()
 * in that thread). Other liburcu flavours (qsbr, mb, signal, bp) are
 * separate domains and do NOT protect lookups in this table.
 *
 * Writers: the control-plane functions (add, del, get, walk, stats,
 * reclaim) take a mutex inside the table, so any threads may call them; they
 * run one at a time. They may block (a grace period now and then, see
 * eu_lpm_reclaim()), so they must not be called from inside a read-side
 * critical section of the calling thread (they refuse with -EDEADLK).
 *
 * Errors follow the library's rule: -errno, and eu_last_error() says why.
 * A call that fails leaves the table as it was.
 */
#ifndef EUROPA_LPM_H
#define EUROPA_LPM_H

#include <stddef.h>

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EU_API
#define EU_API __attribute__((visibility("default")))
#endif

#ifndef eu_likely
#define eu_likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef eu_unlikely
#define eu_unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define EU_LPM_NH_MAX 0x00ffffffU /* largest next hop id */
#define EU_LPM_MISS 0xffffffffU   /* no route: never a valid next hop id */

#define EU_LPM_E_EXT 0x8000U  /* a first-level entry that links a group */
#define EU_LPM_E_IDX 0x7fffU  /* its leaf or group index */

#define EU_LPM_TBL24_ENTRIES (1U << 24)
#define EU_LPM_GROUP_ENTRIES 256U
#define EU_LPM_MAX_GROUPS (1U << 15)  /* group indices are 15 bits */
#define EU_LPM_MAX_LEAVES (1U << 15)  /* leaf 0 is "no route": 32767 usable */

/*
 * A table. The pointers are fixed from creation to destruction; the inline
 * lookups below read them, nothing else is for the caller.
 */
struct eu_lpm {
	const __u16 *tbl24;      /* 2^24 first-level entries */
	const __u16 *tbl8;       /* group g is tbl8[g * 256 .. g * 256 + 255] */
	const __u32 *leaf;       /* EU_LPM_MAX_LEAVES next hops (pages committed as leaves
				    are used); leaf[0] = EU_LPM_MISS */
	struct eu_lpm_ctl *ctl;  /* the writer's state (private) */
};

/* Options of eu_lpm_create(). Set `size` to sizeof(struct eu_lpm_opts). */
struct eu_lpm_opts {
	__u32 size;       /* sizeof(struct eu_lpm_opts): lets the struct grow */
	__u32 flags;      /* EU_LPM_F_* */
	__u32 max_routes; /* refuse adds beyond this many routes (0: no limit) */
	__u32 max_groups; /* second-level groups (512 bytes each) at most, 1..32768
			     (default 32768). Address space is reserved for all of them,
			     memory is committed 256 groups at a time as they are used. */
	__u32 reclaim_batch; /* retired groups that make the writer wait for a grace period
				and reuse them; leaves likewise (default 256; 1: at once,
				a grace period per group or leaf; more: fewer waits) */
};

#define EU_LPM_F_NO_HUGEPAGE 0x1 /* do not ask for transparent huge pages (madvise) for
				    the 32 MiB first level; by default it is 2 MiB
				    aligned and MADV_HUGEPAGE, which saves a TLB miss
				    per lookup on random addresses */

/* Fill *o with the defaults. */
EU_API void eu_lpm_opts_default(struct eu_lpm_opts *o);

/*
 * Create an empty table (o may be NULL for the defaults). It maps 32 MiB
 * for the first level (pages are touched as routes fill it) and reserves
 * address space for the leaf table (128 KiB, committed a page at a time as
 * leaves are used) and for max_groups groups. NULL and errno (EINVAL, ENOMEM) on
 * failure, with the reason in eu_last_error(). Thread-safe (tables are
 * independent).
 */
EU_API struct eu_lpm *eu_lpm_create(const struct eu_lpm_opts *o);

/*
 * Destroy a table. It first waits for an RCU grace period, so readers that
 * found the table before the caller unpublished it may finish their
 * lookups; no thread may start a lookup in it once destroy is called. Must
 * not be called from inside a read-side critical section. NULL is a no-op.
 */
EU_API void eu_lpm_destroy(struct eu_lpm *lpm);

/*
 * Add the route prefix/len -> nh (prefix in host order, host bits zero, len
 * 0..32, nh 0..EU_LPM_NH_MAX), or change the next hop of an existing route.
 * Returns 0 when added, 1 when an existing route was updated, or -EINVAL
 * (bad argument), -ENOSPC (max_routes or max_groups reached, or 32767
 * distinct (next hop, prefix length) pairs already in use), -ENOMEM,
 * -EDEADLK (called inside a read-side critical section). Readers see each
 * address switch from its old answer to the new one atomically; addresses
 * of the prefix switch one after the other, not all at once. Writer-side:
 * takes the table's mutex; may wait for a grace period.
 */
EU_API int eu_lpm_add(struct eu_lpm *lpm, __u32 prefix, unsigned len, __u32 nh);

/*
 * Delete the route prefix/len. Its addresses go back to the longest route
 * that covers it (or to no route). Returns 0, -ENOENT if there is no such
 * route, -EINVAL, -EDEADLK. Writer-side, like eu_lpm_add().
 */
EU_API int eu_lpm_del(struct eu_lpm *lpm, __u32 prefix, unsigned len);

/*
 * Exact-match query of the route set: *nh gets the next hop of prefix/len.
 * Returns 0, -ENOENT or -EINVAL. Writer-side (takes the mutex); for packet
 * lookups use eu_lpm_lookup().
 */
EU_API int eu_lpm_get(struct eu_lpm *lpm, __u32 prefix, unsigned len, __u32 *nh);

/*
 * Call fn(arg, prefix, len, nh) for every route, shortest prefixes first
 * (order within a length is unspecified). Stops early and returns fn's
 * value if it returns non-zero; returns 0 otherwise. fn runs with the
 * table's mutex held: it must not call the writer-side functions of the
 * same table. Writer-side.
 */
EU_API int eu_lpm_walk(struct eu_lpm *lpm,
		       int (*fn)(void *arg, __u32 prefix, unsigned len, __u32 nh), void *arg);

/* What a table holds and the memory it uses (eu_lpm_stats_read()). */
struct eu_lpm_stats {
	__u32 size;              /* sizeof(struct eu_lpm_stats), set by the caller */
	__u32 routes;            /* routes in the table */
	__u32 routes_by_len[33]; /* ... per prefix length */
	__u32 groups_used;       /* second-level groups linked into the first level */
	__u32 groups_free;       /* ready for reuse */
	__u32 groups_retired;    /* unlinked, waiting for a grace period */
	__u32 groups_committed;  /* with memory behind them (used + free + retired + fresh) */
	__u32 max_groups;
	__u32 leaves_used;       /* (next hop, prefix length) pairs in use */
	__u32 leaves_retired;    /* unused, waiting for a grace period */
	__u64 grace_periods;     /* synchronize_rcu() calls made by this table */
	__u64 bytes_tbl24;       /* first level: 32 MiB */
	__u64 bytes_tbl8;        /* committed second-level memory */
	__u64 bytes_leaf;        /* the committed part of the leaf table (at most 128 KiB) */
	__u64 bytes_routes;      /* the control-plane route set and all bookkeeping */
	__u64 bytes_total;       /* all of the above: what eu_lpm_memsize() returns */
};

/*
 * Fill *st (set st->size first; fields beyond it are left alone). Returns 0
 * or -EINVAL. Writer-side (takes the mutex).
 */
EU_API int eu_lpm_stats_read(struct eu_lpm *lpm, struct eu_lpm_stats *st);

/*
 * Bytes of memory the table holds: first level, committed second-level
 * groups and the control-plane route set (pages of the first level that no
 * route ever touched are counted, though the kernel may not have backed them
 * yet). Writer-side.
 */
EU_API __u64 eu_lpm_memsize(struct eu_lpm *lpm);

/*
 * Wait for a grace period and make every retired group and leaf reusable.
 * The writer does this by itself when opts.reclaim_batch of either are
 * retired and it needs one, or when it needs one and has no other; call it to bound memory after many deletes.
 * Returns the number of groups and leaves reclaimed, or -EDEADLK. Writer-side: blocks
 * until every reader has left the critical section it was in.
 */
EU_API int eu_lpm_reclaim(struct eu_lpm *lpm);

/* ----------------------------------------------------------------- readers */

/*
 * Register the calling thread as an RCU reader (liburcu-memb), once per
 * thread; eu_lpm_read_lock() does it by itself when needed. Returns 0.
 */
EU_API int eu_lpm_reader_register(void);

/* Unregister the calling thread (outside any critical section). Optional:
 * a registered thread is unregistered when it exits. */
EU_API void eu_lpm_reader_unregister(void);

/*
 * Enter / leave an RCU read-side critical section (urcu_memb_read_lock /
 * unlock: a thread-local counter update and compiler barriers, no atomic
 * read-modify-write, no fence on the fast path). Lookups are valid only
 * inside one. Do not stay inside for long (a writer that needs a grace
 * period waits for it) and never block inside one.
 */
EU_API void eu_lpm_read_lock(void);
EU_API void eu_lpm_read_unlock(void);

/*
 * Resolve a first-level entry for addr (internal to the lookups). The loads
 * are relaxed atomic loads ordered by their address dependency: the group
 * entry's and the leaf's addresses are computed from the value just loaded,
 * and every CPU Linux runs on (all but Alpha) performs such a dependent load
 * after the load it depends on, so it sees what the writer stored before the
 * release store that produced that value (the group's fill, the leaf). This
 * is what rcu_dereference() relies on, and rte_lpm; acquire loads would be
 * free on x86 too, but they stop the compiler from overlapping successive
 * lookups and cost 20-25% of the lookup rate (docs/lpm.md).
 */
static inline __u32 eu_lpm__resolve(const struct eu_lpm *lpm, __u32 e, __u32 addr)
{
	if (eu_unlikely(e & EU_LPM_E_EXT))
		e = __atomic_load_n(&lpm->tbl8[((size_t)(e & EU_LPM_E_IDX) << 8) | (addr & 0xffU)],
				    __ATOMIC_RELAXED);
	return __atomic_load_n(&lpm->leaf[e], __ATOMIC_RELAXED);
}

/*
 * Next hop of the longest prefix that matches addr (host byte order), or
 * EU_LPM_MISS. Call inside eu_lpm_read_lock() / eu_lpm_read_unlock(). Two
 * loads (three in a /24 block holding longer routes), ordered as explained
 * at eu_lpm__resolve(): a group is seen complete once its link is seen, and
 * a leaf once an entry names it.
 */
static inline __u32 eu_lpm_lookup(const struct eu_lpm *lpm, __u32 addr)
{
	__u32 e = __atomic_load_n(&lpm->tbl24[addr >> 8], __ATOMIC_RELAXED);

	return eu_lpm__resolve(lpm, e, addr);
}

#define EU_LPM_BURST_STEP 64 /* addresses whose entries are prefetched together */

/*
 * Look up n addresses (host byte order) into nh[0..n-1] (EU_LPM_MISS where
 * no route matches). Returns the number of addresses that matched a route
 * (n when none missed). For each EU_LPM_BURST_STEP addresses it first
 * prefetches their first-level entries, then resolves them, so that their
 * cache misses overlap (on the benchmark table, 10-20% more lookups per
 * second than single lookups; prefetching fewer at a time, or the next step's
 * while resolving this one, measured slower). Same rules and guarantees as
 * eu_lpm_lookup(), per address. addr and nh may be the same array.
 */
static inline unsigned eu_lpm_lookup_burst(const struct eu_lpm *lpm, const __u32 *addr,
					   __u32 *nh, unsigned n)
{
	const __u16 *t24 = lpm->tbl24;
	unsigned i, j, end, hits = 0;

	for (i = 0; i < n; i = end) {
		end = n - i < EU_LPM_BURST_STEP ? n : i + EU_LPM_BURST_STEP;
		for (j = i; j < end; j++)
			__builtin_prefetch(&t24[addr[j] >> 8]);
		for (j = i; j < end; j++) {
			__u32 a = addr[j];
			__u32 r = eu_lpm__resolve(
				lpm, __atomic_load_n(&t24[a >> 8], __ATOMIC_RELAXED), a);

			nh[j] = r;
			hits += r != EU_LPM_MISS;
		}
	}
	return hits;
}

/* ------------------------------------------------ synthetic BGP-like tables */

/*
 * A generator of synthetic forwarding tables shaped like the global IPv4
 * BGP table (tools/eu-mktable prints them; tests and benchmarks use them):
 * unique prefixes whose lengths follow the mix of a real table (about 60%
 * /24, then /22, /23, /21, /20, /19, /16 ...; eu_lpm_gen_share() gives the
 * numbers and docs/lpm.md where they come from), about half of them nested
 * inside shorter prefixes generated before them (as more-specifics are in a
 * real table), none in 0/8, 127/8 or 224/3 or in the excluded prefixes.
 * Deterministic: the same options give the same sequence, and a longer run
 * begins with the prefixes of a shorter one.
 */
#define EU_LPM_GEN_MAX_EXCLUDE 16

struct eu_lpm_gen_opts {
	__u32 size;      /* sizeof(struct eu_lpm_gen_opts) */
	__u32 nest_pct;  /* % of prefixes made inside an earlier, shorter one (default 50) */
	__u32 long_ppm;  /* share of prefixes longer than /24 in parts per million
			    (default 2000: 0.2%; real full tables carry almost none,
			    since most networks filter them) */
	__u32 nexclude;  /* entries used in exclude[] */
	__u64 seed;
	struct {
		__u32 prefix; /* host order */
		__u32 len;
	} exclude[EU_LPM_GEN_MAX_EXCLUDE]; /* no generated prefix overlaps these */
};

struct eu_lpm_gen;

EU_API void eu_lpm_gen_opts_default(struct eu_lpm_gen_opts *o);

/* Create a generator (o may be NULL). NULL and errno on failure. */
EU_API struct eu_lpm_gen *eu_lpm_gen_create(const struct eu_lpm_gen_opts *o);

/*
 * The next prefix: *prefix (host order) and *len. Returns 0, or -ENOSPC when
 * no new unique prefix can be found. Not thread-safe (one generator, one
 * thread).
 */
EU_API int eu_lpm_gen_next(struct eu_lpm_gen *g, __u32 *prefix, unsigned *len);

EU_API void eu_lpm_gen_destroy(struct eu_lpm_gen *g);

/* Share of prefix length len in the generator's mix, in parts per million
 * (with the default long_ppm). */
EU_API __u32 eu_lpm_gen_share(unsigned len);

/*
 * A well-mixed 32-bit hash of (prefix, len, seed): callers use it to pick a
 * next hop for a generated prefix deterministically (hash % nexthops).
 */
static inline __u32 eu_lpm_gen_hash(__u32 prefix, unsigned len, __u64 seed)
{
	__u64 x = ((__u64)prefix << 6 | len) ^ (seed * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (__u32)x;
}

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_LPM_H */
