/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/lpm.c - the IPv4 forwarding table (DIR-24-8 with 16-bit entries, a
 * leaf table, and RCU updates) and the synthetic BGP-like table generator.
 * The lookups are inline in lpm.h; this file is the writer side.
 * docs/lpm.md explains the design.
 *
 * Invariants (the writer keeps them at every instant a reader can see):
 *
 *  I1  A first-level entry is EXT (links group g) exactly when the route set
 *      holds a route longer than /24 inside its /24 block; otherwise it is
 *      the leaf of the longest route covering the block, or 0 (no route).
 *  I2  An entry (first level or group) holds the leaf of the longest route
 *      in the set that covers the entry's addresses. A leaf is one (next hop,
 *      prefix length) pair; its length tells the writer which route an entry
 *      comes from. Within a prefix's range, the entries whose leaf is the
 *      prefix's own (next hop, length) are exactly the prefix's entries.
 *  I3  A group, and likewise a leaf, is in exactly one of: fresh (never
 *      used), in use (linked by a first-level entry / named by the routes
 *      that have its pair), retired (unlinked / no route left with its pair;
 *      readers may still hold an entry that names it, so it is never
 *      written), free (a grace period has passed since it was retired:
 *      nobody can reach it).
 *  I4  Every entry and leaf is written with one atomic release store; a leaf
 *      is written before any entry names it, a group completely before the
 *      store that links it. (Readers load with relaxed loads whose addresses
 *      depend on the previous load's value: see eu_lpm__resolve() in lpm.h.)
 */
#include <endian.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <urcu/urcu-memb.h>

#include <europa/ipv4.h>
#include <europa/lpm.h>

#include "internal.h"

#define EU_LPM_TBL24_BYTES ((size_t)EU_LPM_TBL24_ENTRIES * 2)
#define EU_LPM_GROUP_BYTES ((size_t)EU_LPM_GROUP_ENTRIES * 2)
#define EU_LPM_LEAF_BYTES ((size_t)EU_LPM_MAX_LEAVES * 4)
#define EU_LPM_COMMIT_GROUPS 256U   /* groups committed at a time (128 KiB) */
#define EU_LPM_RECLAIM_BATCH 256U   /* default opts.reclaim_batch */
#define EU_LPM_HUGE_ALIGN ((size_t)2 << 20)
#define EU_LPM_LEAF_CAP0 256U     /* leaves with bookkeeping at first; doubles on demand */

/* ------------------------------------------------------------ route set */

/*
 * One open-addressing hash table (linear probing, backward-shift deletion)
 * per prefix length. A route is keyed by its prefix's significant bytes
 * only: kb = ceil(len / 8) bytes (none for /0), so a slot is kb + 2 bytes,
 * the 16-bit value first, then the key: 5 bytes for /17../24 (98% of the
 * benchmark table), 4 for /9../16, 6 for /25../32. The value is 0 in an empty
 * slot; the table stores the route's leaf index with EU_RSLOT_USED set (the
 * next hop is the leaf's). Capacities are not powers of two (the home slot is
 * hash * capacity >> 32) and grow by a quarter when the load would pass 9/10:
 * the load stays between 0.72 and 0.9: 6-7 bytes per route, not 7-10 as
 * with 6-byte slots grown by half at 7/8.
 */
#define EU_RSLOT_USED 0x8000U
#define EU_RT_NONE 0xffffffffU /* eu_rtab_find(): no such key */
#define EU_RT_MIN_CAP 16U

#define EU_RT_PAD 4U /* bytes after the last slot: keys are read as 4-byte words */

struct eu_rtab {
	__u8 *slot;   /* cap slots of sz bytes, then EU_RT_PAD bytes */
	__u32 cap;    /* slots (0 when slot is NULL) */
	__u32 count;
	__u32 kmask;  /* the key's bits in a 4-byte little-endian load */
	__u8 kb;      /* key bytes */
	__u8 sz;      /* slot bytes: kb + 2 */
};

static void eu_rtab_init(struct eu_rtab *t, unsigned len)
{
	t->kb = (__u8)((len + 7) / 8);
	t->sz = (__u8)(t->kb + 2);
	t->kmask = t->kb == 4 ? 0xffffffffU : (1U << (8 * t->kb)) - 1;
}

static inline __u32 eu_rhash(__u32 k)
{
	k ^= k >> 16;
	k *= 0x85ebca6bU;
	k ^= k >> 13;
	k *= 0xc2b2ae35U;
	k ^= k >> 16;
	return k;
}

/* The key of a prefix (its kb top bytes) and back. */
static inline __u32 eu_rtab_key(const struct eu_rtab *t, __u32 prefix)
{
	return t->kb ? prefix >> (32 - 8 * t->kb) : 0;
}

static inline __u32 eu_rtab_prefix(const struct eu_rtab *t, __u32 key)
{
	return t->kb ? key << (32 - 8 * t->kb) : 0;
}

static inline __u8 *eu_rs(const struct eu_rtab *t, __u32 i)
{
	return t->slot + (size_t)i * t->sz;
}

static inline __u16 eu_rs_val(const struct eu_rtab *t, __u32 i)
{
	const __u8 *p = eu_rs(t, i);

	return (__u16)(p[0] | p[1] << 8);
}

static inline void eu_rs_set_val(const struct eu_rtab *t, __u32 i, __u16 v)
{
	__u8 *p = eu_rs(t, i);

	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
}

/* The key bytes are little-endian: one unaligned load (the padding after the
 * last slot keeps it inside the allocation) and a mask. */
static inline __u32 eu_rs_key(const struct eu_rtab *t, __u32 i)
{
	const __u8 *p = eu_rs(t, i) + 2;
	__u32 k;

	memcpy(&k, p, sizeof(k));
	return le32toh(k) & t->kmask;
}

static inline void eu_rs_set(const struct eu_rtab *t, __u32 i, __u32 key, __u16 v)
{
	__u8 *p = eu_rs(t, i);
	unsigned b;

	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
	for (b = 0; b < t->kb; b++)
		p[2 + b] = (__u8)(key >> (8 * b));
}

static inline __u32 eu_rtab_home(const struct eu_rtab *t, __u32 key)
{
	return (__u32)(((__u64)eu_rhash(key) * t->cap) >> 32);
}

static inline __u32 eu_rtab_next(const struct eu_rtab *t, __u32 i)
{
	return i + 1 == t->cap ? 0 : i + 1;
}

/* The slot of prefix, or EU_RT_NONE. */
static __u32 eu_rtab_find(const struct eu_rtab *t, __u32 prefix)
{
	__u32 key, i;

	if (!t->count)
		return EU_RT_NONE;
	key = eu_rtab_key(t, prefix);
	for (i = eu_rtab_home(t, key); eu_rs_val(t, i); i = eu_rtab_next(t, i))
		if (eu_rs_key(t, i) == key)
			return i;
	return EU_RT_NONE;
}

/* Insert a key that is not present; capacity must allow it. */
static void eu_rtab_put_key(struct eu_rtab *t, __u32 key, __u16 val)
{
	__u32 i = eu_rtab_home(t, key);

	while (eu_rs_val(t, i))
		i = eu_rtab_next(t, i);
	eu_rs_set(t, i, key, val);
	t->count++;
}

static void eu_rtab_put(struct eu_rtab *t, __u32 prefix, __u16 val)
{
	eu_rtab_put_key(t, eu_rtab_key(t, prefix), val);
}

static __u64 eu_rtab_bytes(const struct eu_rtab *t)
{
	return t->cap ? (__u64)t->cap * t->sz + EU_RT_PAD : 0;
}

/* Make room for one more key. 0 or -ENOMEM (the table is unchanged then). */
static int eu_rtab_reserve(struct eu_rtab *t)
{
	__u64 ncap;
	__u32 i;
	struct eu_rtab n;

	if ((__u64)(t->count + 1) * 10 <= (__u64)t->cap * 9)
		return 0;
	ncap = t->cap < EU_RT_MIN_CAP ? EU_RT_MIN_CAP : (__u64)t->cap + t->cap / 4;
	if (ncap > 0xffffffffULL)
		return -ENOMEM;
	n = *t;
	n.slot = calloc(1, (size_t)ncap * t->sz + EU_RT_PAD);
	if (!n.slot)
		return -ENOMEM;
	n.cap = (__u32)ncap;
	n.count = 0;
	for (i = 0; i < t->cap; i++)
		if (eu_rs_val(t, i))
			eu_rtab_put_key(&n, eu_rs_key(t, i), eu_rs_val(t, i));
	free(t->slot);
	*t = n;
	return 0;
}

static void eu_rtab_remove(struct eu_rtab *t, __u32 i)
{
	__u32 j = i;

	for (;;) {
		__u32 k, dist_k, dist_i;

		j = eu_rtab_next(t, j);
		if (!eu_rs_val(t, j))
			break;
		k = eu_rtab_home(t, eu_rs_key(t, j));
		/* move slot j back into the hole at i if its probe path from home k
		 * passes through i: cyclic distance k -> j at least i -> j */
		dist_k = j >= k ? j - k : j + t->cap - k;
		dist_i = j >= i ? j - i : j + t->cap - i;
		if (dist_k >= dist_i) {
			memcpy(eu_rs(t, i), eu_rs(t, j), t->sz);
			i = j;
		}
	}
	eu_rs_set_val(t, i, 0);
	t->count--;
}

static void eu_rtab_free(struct eu_rtab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = 0;
	t->count = 0;
}

/* ----------------------------------------------------------- the table */

/* (next hop, prefix length) -> leaf index, for the writer. */
struct eu_lslot {
	__u32 key;  /* nh << 6 | len */
	__u16 idx;
	__u16 used;
};

struct eu_lpm_ctl {
	pthread_mutex_t lock;
	struct eu_lpm_opts opts;
	void *tbl24_map; /* the mapping (tbl24 is 2 MiB aligned inside it) */
	size_t tbl24_map_len;
	__u16 *tbl24;    /* writable views of lpm->tbl24, tbl8, leaf */
	__u16 *tbl8;
	__u32 *leaf;
	size_t tbl8_reserved; /* bytes of address space reserved for groups */
	struct eu_rtab rt[33];
	__u32 routes;
	/* groups (I3) */
	__u32 committed; /* groups with memory behind them */
	__u32 gfresh;    /* groups [gfresh, committed) were never used */
	__u32 gused;     /* linked groups */
	__u32 *gfree;    /* stack of reusable groups (capacity: committed) */
	__u32 ngfree;
	__u32 *gretired; /* groups waiting for a grace period (capacity: committed) */
	__u32 ngretired;
	/* leaves (I3): index -> pair, and how many routes have that pair. The
	 * arrays have lcap entries, the leaf table lcap entries' worth of committed
	 * pages; both double when every leaf below lcap is in use. */
	__u32 *leaf_nh;
	__u8 *leaf_len;
	__u32 *leaf_refs;
	__u32 lcap;
	size_t leaf_committed; /* bytes of the leaf table with memory behind them */
	size_t pagesz;
	__u32 lfresh;    /* leaves [lfresh, lcap) were never used */
	__u32 lused;
	__u32 *lfree;
	__u32 nlfree;
	__u32 *lretired;
	__u32 nlretired;
	struct eu_lslot *lhash; /* 2 * lcap slots: load <= 1/2 */
	__u64 grace_periods;
};

/* The writer is the only thread that stores entries: its loads may be relaxed. */
static inline __u16 eu_e_get(const __u16 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* I4: every entry store is a release (the lookups' dependent loads see what
 * was stored before it). */
static inline void eu_e_set(__u16 *p, __u16 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Prefix length behind a non-EXT entry (0 for "no route", like a /0). */
static inline unsigned eu_e_len(const struct eu_lpm_ctl *c, __u16 e)
{
	return c->leaf_len[e];
}

static inline __u16 *eu_group(struct eu_lpm_ctl *c, __u32 g)
{
	return c->tbl8 + (size_t)g * EU_LPM_GROUP_ENTRIES;
}

static int eu_lpm_in_reader(const char *fn)
{
	if (urcu_memb_read_ongoing())
		return eu_err(EDEADLK, "%s: called inside an RCU read-side critical section "
				       "(eu_lpm_read_lock()); call eu_lpm_read_unlock() first: "
				       "writers may wait for a grace period", fn);
	return 0;
}

EU_API void eu_lpm_opts_default(struct eu_lpm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->max_groups = EU_LPM_MAX_GROUPS;
	o->reclaim_batch = EU_LPM_RECLAIM_BATCH;
}

static int eu_leaf_grow(struct eu_lpm_ctl *c);

static void eu_lpm_free_ctl(struct eu_lpm_ctl *c)
{
	int i;

	for (i = 0; i <= 32; i++)
		eu_rtab_free(&c->rt[i]);
	free(c->gfree);
	free(c->gretired);
	free(c->leaf_nh);
	free(c->leaf_len);
	free(c->leaf_refs);
	free(c->lfree);
	free(c->lretired);
	free(c->lhash);
	if (c->leaf)
		munmap(c->leaf, EU_LPM_LEAF_BYTES);
	if (c->tbl8)
		munmap(c->tbl8, c->tbl8_reserved);
	if (c->tbl24_map)
		munmap(c->tbl24_map, c->tbl24_map_len);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

EU_API struct eu_lpm *eu_lpm_create(const struct eu_lpm_opts *uo)
{
	struct eu_lpm_opts o;
	struct eu_lpm *lpm;
	struct eu_lpm_ctl *c;
	unsigned char *m, *aligned;
	size_t map_len;
	unsigned i;
	int rc;

	eu_lpm_opts_default(&o);
	if (uo) {
		if (uo->size < sizeof(__u32) * 2 || uo->size > 4096)
			return eu_err_null(EINVAL, "eu_lpm_create: opts->size is %u: set it to "
						   "sizeof(struct eu_lpm_opts)", uo->size);
		memcpy(&o, uo, uo->size < sizeof(o) ? uo->size : sizeof(o));
		o.size = sizeof(o);
		if (!o.max_groups)
			o.max_groups = EU_LPM_MAX_GROUPS;
		if (!o.reclaim_batch)
			o.reclaim_batch = EU_LPM_RECLAIM_BATCH;
	}
	if (o.flags & ~(__u32)EU_LPM_F_NO_HUGEPAGE)
		return eu_err_null(EINVAL, "eu_lpm_create: unknown flags 0x%x", o.flags);
	if (o.max_groups > EU_LPM_MAX_GROUPS)
		return eu_err_null(EINVAL, "eu_lpm_create: max_groups %u is more than %u (group "
					   "indices are 15 bits)", o.max_groups, EU_LPM_MAX_GROUPS);

	lpm = calloc(1, sizeof(*lpm));
	c = calloc(1, sizeof(*c));
	if (!lpm || !c) {
		free(lpm);
		free(c);
		return eu_err_null(ENOMEM, "eu_lpm_create: out of memory");
	}
	c->opts = o;
	pthread_mutex_init(&c->lock, NULL);
	for (i = 0; i <= 32; i++)
		eu_rtab_init(&c->rt[i], i);
	c->pagesz = (size_t)sysconf(_SC_PAGESIZE);
	if (c->pagesz < 64 || (c->pagesz & (c->pagesz - 1)))
		c->pagesz = 4096;
	/* The leaf table: address space for every leaf, committed as leaves are used. */
	m = mmap(NULL, EU_LPM_LEAF_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (m == MAP_FAILED) {
		int e = errno;

		eu_lpm_free_ctl(c);
		free(lpm);
		return eu_err_null(e, "eu_lpm_create: cannot reserve the leaf table: %s",
				   strerror(e));
	}
	c->leaf = (__u32 *)m;
	rc = eu_leaf_grow(c);
	if (rc < 0) {
		eu_lpm_free_ctl(c);
		free(lpm);
		return eu_err_null(-rc, "eu_lpm_create: cannot allocate the leaf table: %s",
				   strerror(-rc));
	}
	c->leaf[0] = EU_LPM_MISS; /* entry 0: no route */
	c->lfresh = 1;

	/* First level: 32 MiB, 2 MiB aligned so that it can sit on huge pages. */
	map_len = EU_LPM_TBL24_BYTES + EU_LPM_HUGE_ALIGN;
	m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		int e = errno;

		eu_lpm_free_ctl(c);
		free(lpm);
		return eu_err_null(e, "eu_lpm_create: cannot map the 32 MiB first level: %s",
				   strerror(e));
	}
	aligned = (unsigned char *)(((size_t)m + EU_LPM_HUGE_ALIGN - 1) &
				    ~(EU_LPM_HUGE_ALIGN - 1));
	if (aligned > m)
		munmap(m, (size_t)(aligned - m));
	if ((size_t)(aligned - m) < EU_LPM_HUGE_ALIGN)
		munmap(aligned + EU_LPM_TBL24_BYTES, EU_LPM_HUGE_ALIGN - (size_t)(aligned - m));
	c->tbl24_map = aligned;
	c->tbl24_map_len = EU_LPM_TBL24_BYTES;
	c->tbl24 = (__u16 *)aligned;
#ifdef MADV_HUGEPAGE
	if (!(o.flags & EU_LPM_F_NO_HUGEPAGE))
		(void)madvise(aligned, EU_LPM_TBL24_BYTES, MADV_HUGEPAGE); /* a hint only */
#endif

	/* Second level: address space for max_groups groups, committed on demand. */
	c->tbl8_reserved = (size_t)o.max_groups * EU_LPM_GROUP_BYTES;
	m = mmap(NULL, c->tbl8_reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		size_t kib = c->tbl8_reserved >> 10;

		eu_lpm_free_ctl(c);
		free(lpm);
		return eu_err_null(e, "eu_lpm_create: cannot reserve %zu KiB of address space for "
				      "%u groups (%s): lower opts.max_groups",
				   kib, o.max_groups, strerror(e));
	}
	c->tbl8 = (__u16 *)m;

	lpm->tbl24 = c->tbl24;
	lpm->tbl8 = c->tbl8;
	lpm->leaf = c->leaf;
	lpm->ctl = c;
	return lpm;
}

EU_API void eu_lpm_destroy(struct eu_lpm *lpm)
{
	if (!lpm)
		return;
	/* Readers that found the table before it was unpublished may finish. */
	if (!urcu_memb_read_ongoing())
		urcu_memb_synchronize_rcu();
	eu_lpm_free_ctl(lpm->ctl);
	free(lpm);
}

/* ------------------------------------------------------ groups and leaves */

/* Wait for a grace period; retired groups and leaves become free (I3). */
static __u32 eu_lpm_reclaim_locked(struct eu_lpm_ctl *c)
{
	__u32 n = c->ngretired + c->nlretired;

	if (!n)
		return 0;
	urcu_memb_synchronize_rcu();
	c->grace_periods++;
	if (c->ngretired) /* the group stacks are NULL until a group is committed */
		memcpy(c->gfree + c->ngfree, c->gretired, (size_t)c->ngretired * sizeof(__u32));
	c->ngfree += c->ngretired;
	c->ngretired = 0;
	memcpy(c->lfree + c->nlfree, c->lretired, (size_t)c->nlretired * sizeof(__u32));
	c->nlfree += c->nlretired;
	c->nlretired = 0;
	return n;
}

/* Commit memory for EU_LPM_COMMIT_GROUPS more groups. 0 or -errno. */
static int eu_lpm_commit(struct eu_lpm_ctl *c)
{
	__u32 add = EU_LPM_COMMIT_GROUPS;
	__u32 ncommitted;
	__u32 *f, *r;

	if (c->opts.max_groups - c->committed < add)
		add = c->opts.max_groups - c->committed;
	ncommitted = c->committed + add;
	/* the stacks must hold every committed group (I3: free + retired <= committed) */
	f = realloc(c->gfree, (size_t)ncommitted * sizeof(__u32));
	if (!f)
		return -ENOMEM;
	c->gfree = f;
	r = realloc(c->gretired, (size_t)ncommitted * sizeof(__u32));
	if (!r)
		return -ENOMEM;
	c->gretired = r;
	if (mprotect(eu_group(c, c->committed), (size_t)add * EU_LPM_GROUP_BYTES,
		     PROT_READ | PROT_WRITE) < 0)
		return -errno;
	c->committed = ncommitted;
	return 0;
}

/* Take a group that no reader can be looking at (I3). 0 or -errno. */
static int eu_lpm_group_alloc(struct eu_lpm_ctl *c, __u32 *g)
{
	int rc;

	if (!c->ngfree && c->ngretired >= c->opts.reclaim_batch)
		eu_lpm_reclaim_locked(c);
	if (c->ngfree) {
		*g = c->gfree[--c->ngfree];
		return 0;
	}
	if (c->gfresh < c->committed) {
		*g = c->gfresh++;
		return 0;
	}
	if (c->committed < c->opts.max_groups) {
		rc = eu_lpm_commit(c);
		if (rc < 0)
			return eu_err(-rc, "eu_lpm_add: cannot commit memory for more groups: %s",
				      strerror(-rc));
		*g = c->gfresh++;
		return 0;
	}
	if (c->ngretired) {
		eu_lpm_reclaim_locked(c);
		*g = c->gfree[--c->ngfree];
		return 0;
	}
	return eu_err(ENOSPC, "eu_lpm_add: all %u second-level groups are in use (one per /24 "
			      "block holding a route longer than /24): raise opts.max_groups "
			      "(at most %u)",
		      c->opts.max_groups, EU_LPM_MAX_GROUPS);
}

static inline __u32 eu_lkey(__u32 nh, unsigned len)
{
	return nh << 6 | len;
}

/* The (nh, len) hash has 2 * lcap slots, a power of two. */
static inline __u32 eu_lhash_mask(const struct eu_lpm_ctl *c)
{
	return 2 * c->lcap - 1;
}

static inline __u32 eu_lhash_home(const struct eu_lpm_ctl *c, __u32 key)
{
	return eu_rhash(key) & eu_lhash_mask(c);
}

static void eu_lhash_put(struct eu_lpm_ctl *c, __u32 key, __u16 idx)
{
	__u32 i;

	for (i = eu_lhash_home(c, key); c->lhash[i].used; i = (i + 1) & eu_lhash_mask(c))
		;
	c->lhash[i].key = key;
	c->lhash[i].idx = idx;
	c->lhash[i].used = 1;
}

/*
 * Room for twice as many leaves (EU_LPM_LEAF_CAP0 at creation): the
 * bookkeeping arrays, the hash and the leaf table's committed pages. 0 or
 * -errno; on failure lcap is unchanged (arrays may have grown: harmless).
 */
static int eu_leaf_grow(struct eu_lpm_ctl *c)
{
	__u32 ncap = c->lcap ? 2 * c->lcap : EU_LPM_LEAF_CAP0, oslots = 2 * c->lcap, i;
	size_t need = ((size_t)ncap * sizeof(__u32) + c->pagesz - 1) & ~(c->pagesz - 1);
	struct eu_lslot *nh, *oh = c->lhash;
	void *p;

	if (need > EU_LPM_LEAF_BYTES)
		need = EU_LPM_LEAF_BYTES;
#define EU_GROW(field)                                                       \
	do {                                                                 \
		p = realloc(c->field, (size_t)ncap * sizeof(*c->field));     \
		if (!p)                                                      \
			return -ENOMEM;                                      \
		c->field = p;                                                \
	} while (0)
	EU_GROW(leaf_nh);
	EU_GROW(leaf_len);
	EU_GROW(leaf_refs);
	EU_GROW(lfree);
	EU_GROW(lretired);
#undef EU_GROW
	nh = calloc(2 * (size_t)ncap, sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	if (need > c->leaf_committed &&
	    mprotect((unsigned char *)c->leaf + c->leaf_committed, need - c->leaf_committed,
		     PROT_READ | PROT_WRITE) < 0) {
		int e = errno;

		free(nh);
		return -e;
	}
	c->leaf_committed = need > c->leaf_committed ? need : c->leaf_committed;
	c->lhash = nh;
	c->lcap = ncap;
	for (i = 0; i < oslots; i++) /* rehash into the bigger table */
		if (oh[i].used)
			eu_lhash_put(c, oh[i].key, oh[i].idx);
	free(oh);
	return 0;
}

/* The leaf of (nh, len), or 0 if no route has that pair. */
static __u32 eu_leaf_find(const struct eu_lpm_ctl *c, __u32 nh, unsigned len)
{
	__u32 key = eu_lkey(nh, len), i;

	for (i = eu_lhash_home(c, key); c->lhash[i].used; i = (i + 1) & eu_lhash_mask(c))
		if (c->lhash[i].key == key)
			return c->lhash[i].idx;
	return 0;
}

static void eu_lhash_remove(struct eu_lpm_ctl *c, __u32 key)
{
	const __u32 mask = eu_lhash_mask(c);
	__u32 i = eu_lhash_home(c, key), j;

	while (c->lhash[i].key != key)
		i = (i + 1) & mask;
	for (j = i;;) {
		__u32 k;

		j = (j + 1) & mask;
		if (!c->lhash[j].used)
			break;
		k = eu_lhash_home(c, c->lhash[j].key);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			c->lhash[i] = c->lhash[j];
			i = j;
		}
	}
	c->lhash[i].used = 0;
}

/*
 * The leaf for (nh, len): the existing one, or a new one (written before any
 * entry can name it, I4). A new leaf has no reference yet: eu_leaf_ref() it,
 * or give it back with eu_leaf_drop_new(). 0 or -errno.
 */
static int eu_leaf_take(struct eu_lpm_ctl *c, __u32 nh, unsigned len, __u32 *out)
{
	__u32 idx = eu_leaf_find(c, nh, len);
	int rc;

	if (idx) {
		*out = idx;
		return 0;
	}
	if (!c->nlfree && c->nlretired >= c->opts.reclaim_batch)
		eu_lpm_reclaim_locked(c);
	if (c->nlfree) {
		idx = c->lfree[--c->nlfree];
	} else if (c->lfresh < EU_LPM_MAX_LEAVES) {
		if (c->lfresh == c->lcap) {
			rc = eu_leaf_grow(c);
			if (rc < 0)
				return eu_err(-rc, "eu_lpm_add: cannot grow the leaf table to %u "
						   "leaves: %s", 2 * c->lcap, strerror(-rc));
		}
		idx = c->lfresh++;
	} else if (c->nlretired) {
		eu_lpm_reclaim_locked(c);
		idx = c->lfree[--c->nlfree];
	} else {
		return eu_err(ENOSPC, "eu_lpm_add: %u distinct (next hop, prefix length) pairs "
				      "are in use, the most a table holds: use fewer next hop ids",
			      EU_LPM_MAX_LEAVES - 1);
	}
	c->leaf_nh[idx] = nh;
	c->leaf_len[idx] = (__u8)len;
	c->leaf_refs[idx] = 0;
	__atomic_store_n(&c->leaf[idx], nh, __ATOMIC_RELEASE);
	eu_lhash_put(c, eu_lkey(nh, len), (__u16)idx);
	c->lused++;
	*out = idx;
	return 0;
}

static void eu_leaf_ref(struct eu_lpm_ctl *c, __u32 idx)
{
	c->leaf_refs[idx]++;
}

/* A leaf that eu_leaf_take() just made and no entry names: straight back. */
static void eu_leaf_drop_new(struct eu_lpm_ctl *c, __u32 idx)
{
	if (c->leaf_refs[idx])
		return;
	eu_lhash_remove(c, eu_lkey(c->leaf_nh[idx], c->leaf_len[idx]));
	c->lfree[c->nlfree++] = idx;
	c->lused--;
}

/* One route less has the leaf's pair; with none left it is retired (I3). Call
 * after the entries that named it have been rewritten. */
static void eu_leaf_unref(struct eu_lpm_ctl *c, __u32 idx)
{
	if (--c->leaf_refs[idx])
		return;
	eu_lhash_remove(c, eu_lkey(c->leaf_nh[idx], c->leaf_len[idx]));
	c->lretired[c->nlretired++] = idx;
	c->lused--;
}

/* ------------------------------------------------------------- updates */

/* The leaf of the longest route strictly shorter than len covering prefix, or 0. */
static __u16 eu_lpm_cover(const struct eu_lpm_ctl *c, __u32 prefix, unsigned len)
{
	unsigned l;

	for (l = len; l-- > 0;) {
		const struct eu_rtab *t = &c->rt[l];
		__u32 i = eu_rtab_find(t, prefix & eu_ipv4_mask(l));

		if (i != EU_RT_NONE)
			return (__u16)(eu_rs_val(t, i) & EU_LPM_E_IDX);
	}
	return 0;
}

/* Write leaf e over the entries of [from, to) whose length is <= len (or none). */
static void eu_lpm_fill_le(const struct eu_lpm_ctl *c, __u16 *t, __u32 from, __u32 to,
			   unsigned len, __u16 e)
{
	__u32 i;

	for (i = from; i < to; i++) {
		__u16 old = eu_e_get(&t[i]);

		if (old != e && (!old || eu_e_len(c, old) <= len))
			eu_e_set(&t[i], e);
	}
}

/* Write leaf e over the entries of [from, to) that name leaf old. */
static void eu_lpm_fill_eq(__u16 *t, __u32 from, __u32 to, __u16 old, __u16 e)
{
	__u32 i;

	for (i = from; i < to; i++)
		if (eu_e_get(&t[i]) == old)
			eu_e_set(&t[i], e);
}

/* Install prefix/len -> leaf e in the tables. `g` is a group taken beforehand
 * for a /25../32 whose block has none yet (else unused). Cannot fail. */
static void eu_lpm_install(struct eu_lpm_ctl *c, __u32 prefix, unsigned len, __u16 e, __u32 g)
{
	__u32 i;

	if (len <= 24) {
		__u32 first = prefix >> 8, last = first + (1U << (24 - len));

		for (i = first; i < last; i++) {
			__u16 old = eu_e_get(&c->tbl24[i]);

			if (old & EU_LPM_E_EXT)
				eu_lpm_fill_le(c, eu_group(c, old & EU_LPM_E_IDX), 0,
					       EU_LPM_GROUP_ENTRIES, len, e);
			else if (old != e && (!old || eu_e_len(c, old) <= len))
				eu_e_set(&c->tbl24[i], e);
		}
	} else {
		__u16 *t24 = &c->tbl24[prefix >> 8];
		__u16 old = eu_e_get(t24);
		__u32 from = prefix & 0xff, to = from + (1U << (32 - len));
		__u16 *grp;

		if (old & EU_LPM_E_EXT) {
			eu_lpm_fill_le(c, eu_group(c, old & EU_LPM_E_IDX), from, to, len, e);
			return;
		}
		/* A new group: the block's current entry everywhere, the route on its
		 * range, then link it (I4). Nobody can see it before the link. */
		grp = eu_group(c, g);
		for (i = 0; i < EU_LPM_GROUP_ENTRIES; i++)
			eu_e_set(&grp[i], (i >= from && i < to) ? e : old);
		eu_e_set(t24, (__u16)(EU_LPM_E_EXT | g));
		c->gused++;
	}
}

/* Give the entries of prefix/len (leaf old) to `repl`; unlink a group that no
 * longer holds a route longer than /24. */
static void eu_lpm_uninstall(struct eu_lpm_ctl *c, __u32 prefix, unsigned len, __u16 old,
			     __u16 repl)
{
	__u32 i;

	if (len <= 24) {
		__u32 first = prefix >> 8, last = first + (1U << (24 - len));

		for (i = first; i < last; i++) {
			__u16 e = eu_e_get(&c->tbl24[i]);

			if (e & EU_LPM_E_EXT)
				eu_lpm_fill_eq(eu_group(c, e & EU_LPM_E_IDX), 0,
					       EU_LPM_GROUP_ENTRIES, old, repl);
			else if (e == old)
				eu_e_set(&c->tbl24[i], repl);
		}
	} else {
		__u16 *t24 = &c->tbl24[prefix >> 8];
		__u32 g = eu_e_get(t24) & EU_LPM_E_IDX;
		__u32 from = prefix & 0xff, to = from + (1U << (32 - len));
		__u16 *grp = eu_group(c, g);

		/* I1: the route is longer than /24, so its block is linked to a group */
		eu_lpm_fill_eq(grp, from, to, old, repl);
		for (i = 0; i < EU_LPM_GROUP_ENTRIES; i++) {
			__u16 v = eu_e_get(&grp[i]);

			if (v && eu_e_len(c, v) > 24)
				return; /* the block still holds a longer route */
		}
		/* No route longer than /24 is left: every entry of the group now holds
		 * the block's cover. Unlink the group; readers inside it keep reading
		 * that same value until the grace period ends (I3). */
		eu_e_set(t24, eu_e_get(&grp[0]));
		c->gretired[c->ngretired++] = g;
		c->gused--;
	}
}

static int eu_lpm_check_args(const char *fn, __u32 prefix, unsigned len)
{
	if (len > 32)
		return eu_err(EINVAL, "%s: prefix length %u is more than 32", fn, len);
	if (prefix & ~eu_ipv4_mask(len)) {
		char a[EU_IPV4_ADDR_STRLEN], b[EU_IPV4_ADDR_STRLEN];

		return eu_err(EINVAL, "%s: %s/%u has host bits set: did you mean %s/%u?", fn,
			      eu_ipv4_format(prefix, a), len,
			      eu_ipv4_format(prefix & eu_ipv4_mask(len), b), len);
	}
	return 0;
}

EU_API int eu_lpm_add(struct eu_lpm *lpm, __u32 prefix, unsigned len, __u32 nh)
{
	struct eu_lpm_ctl *c;
	struct eu_rtab *t;
	__u32 g = 0, leaf, old_leaf, s;
	int rc, need_group;

	if (!lpm)
		return eu_err(EINVAL, "eu_lpm_add: NULL table");
	rc = eu_lpm_check_args("eu_lpm_add", prefix, len);
	if (rc < 0)
		return rc;
	if (nh > EU_LPM_NH_MAX)
		return eu_err(EINVAL, "eu_lpm_add: next hop %u is more than %u", nh, EU_LPM_NH_MAX);
	rc = eu_lpm_in_reader("eu_lpm_add");
	if (rc < 0)
		return rc;
	c = lpm->ctl;
	pthread_mutex_lock(&c->lock);
	t = &c->rt[len];
	s = eu_rtab_find(t, prefix);
	if (s != EU_RT_NONE) {
		/* An update: the route's own entries are exactly those of its leaf (I2). */
		old_leaf = eu_rs_val(t, s) & EU_LPM_E_IDX;
		if (c->leaf_nh[old_leaf] != nh) {
			rc = eu_leaf_take(c, nh, len, &leaf);
			if (rc < 0)
				goto out;
			eu_leaf_ref(c, leaf);
			eu_rs_set_val(t, s, (__u16)(EU_RSLOT_USED | leaf));
			eu_lpm_install(c, prefix, len, (__u16)leaf, 0);
			eu_leaf_unref(c, old_leaf);
		}
		rc = 1;
		goto out;
	}
	/* Everything that can fail comes first. */
	if (c->opts.max_routes && c->routes >= c->opts.max_routes) {
		rc = eu_err(ENOSPC, "eu_lpm_add: the table holds max_routes = %u routes",
			    c->opts.max_routes);
		goto out;
	}
	if (eu_rtab_reserve(t) < 0) {
		rc = eu_err(ENOMEM, "eu_lpm_add: out of memory for the route set");
		goto out;
	}
	rc = eu_leaf_take(c, nh, len, &leaf);
	if (rc < 0)
		goto out;
	need_group = len > 24 && !(eu_e_get(&c->tbl24[prefix >> 8]) & EU_LPM_E_EXT);
	if (need_group) {
		rc = eu_lpm_group_alloc(c, &g);
		if (rc < 0) {
			eu_leaf_drop_new(c, leaf);
			goto out;
		}
	}
	eu_leaf_ref(c, leaf);
	eu_rtab_put(t, prefix, (__u16)(EU_RSLOT_USED | leaf));
	c->routes++;
	eu_lpm_install(c, prefix, len, (__u16)leaf, g);
	rc = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

EU_API int eu_lpm_del(struct eu_lpm *lpm, __u32 prefix, unsigned len)
{
	struct eu_lpm_ctl *c;
	struct eu_rtab *t;
	__u32 leaf, s;
	int rc;

	if (!lpm)
		return eu_err(EINVAL, "eu_lpm_del: NULL table");
	rc = eu_lpm_check_args("eu_lpm_del", prefix, len);
	if (rc < 0)
		return rc;
	rc = eu_lpm_in_reader("eu_lpm_del");
	if (rc < 0)
		return rc;
	c = lpm->ctl;
	pthread_mutex_lock(&c->lock);
	t = &c->rt[len];
	s = eu_rtab_find(t, prefix);
	if (s == EU_RT_NONE) {
		char a[EU_IPV4_ADDR_STRLEN];

		pthread_mutex_unlock(&c->lock);
		return eu_err(ENOENT, "eu_lpm_del: no route %s/%u", eu_ipv4_format(prefix, a), len);
	}
	leaf = eu_rs_val(t, s) & EU_LPM_E_IDX;
	eu_rtab_remove(t, s);
	c->routes--;
	eu_lpm_uninstall(c, prefix, len, (__u16)leaf, eu_lpm_cover(c, prefix, len));
	eu_leaf_unref(c, leaf);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

EU_API int eu_lpm_get(struct eu_lpm *lpm, __u32 prefix, unsigned len, __u32 *nh)
{
	const struct eu_rtab *t;
	__u32 s;
	int rc;

	if (!lpm || !nh)
		return eu_err(EINVAL, "eu_lpm_get: NULL argument");
	rc = eu_lpm_check_args("eu_lpm_get", prefix, len);
	if (rc < 0)
		return rc;
	rc = eu_lpm_in_reader("eu_lpm_get");
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&lpm->ctl->lock);
	t = &lpm->ctl->rt[len];
	s = eu_rtab_find(t, prefix);
	if (s != EU_RT_NONE)
		*nh = lpm->ctl->leaf_nh[eu_rs_val(t, s) & EU_LPM_E_IDX];
	pthread_mutex_unlock(&lpm->ctl->lock);
	return s != EU_RT_NONE ? 0 : -ENOENT;
}

EU_API int eu_lpm_walk(struct eu_lpm *lpm,
		       int (*fn)(void *arg, __u32 prefix, unsigned len, __u32 nh), void *arg)
{
	struct eu_lpm_ctl *c;
	unsigned l;
	int rc = 0;

	if (!lpm || !fn)
		return eu_err(EINVAL, "eu_lpm_walk: NULL argument");
	rc = eu_lpm_in_reader("eu_lpm_walk");
	if (rc < 0)
		return rc;
	c = lpm->ctl;
	pthread_mutex_lock(&c->lock);
	for (l = 0; l <= 32 && !rc; l++) {
		const struct eu_rtab *t = &c->rt[l];
		__u32 i;

		for (i = 0; i < t->cap && !rc; i++)
			if (eu_rs_val(t, i))
				rc = fn(arg, eu_rtab_prefix(t, eu_rs_key(t, i)), l,
					c->leaf_nh[eu_rs_val(t, i) & EU_LPM_E_IDX]);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void eu_lpm_stats_locked(const struct eu_lpm_ctl *c, struct eu_lpm_stats *st)
{
	unsigned l;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->routes = c->routes;
	for (l = 0; l <= 32; l++) {
		st->routes_by_len[l] = c->rt[l].count;
		st->bytes_routes += eu_rtab_bytes(&c->rt[l]);
	}
	st->groups_used = c->gused;
	st->groups_free = c->ngfree;
	st->groups_retired = c->ngretired;
	st->groups_committed = c->committed;
	st->max_groups = c->opts.max_groups;
	st->leaves_used = c->lused;
	st->leaves_retired = c->nlretired;
	st->grace_periods = c->grace_periods;
	st->bytes_tbl24 = EU_LPM_TBL24_BYTES;
	st->bytes_tbl8 = (__u64)c->committed * EU_LPM_GROUP_BYTES;
	st->bytes_leaf = c->leaf_committed;
	/* group stacks, leaf bookkeeping (nh, len, refs, free and retired stacks)
	 * and the (nh, len) hash */
	st->bytes_routes += (__u64)c->committed * 2 * sizeof(__u32) +
			    (__u64)c->lcap * (4 * sizeof(__u32) + sizeof(__u8)) +
			    (__u64)c->lcap * 2 * sizeof(struct eu_lslot) +
			    sizeof(struct eu_lpm_ctl) + sizeof(struct eu_lpm);
	st->bytes_total = st->bytes_tbl24 + st->bytes_tbl8 + st->bytes_leaf + st->bytes_routes;
}

EU_API int eu_lpm_stats_read(struct eu_lpm *lpm, struct eu_lpm_stats *st)
{
	struct eu_lpm_stats all;
	__u32 n;
	int rc;

	if (!lpm || !st || st->size < sizeof(__u32))
		return eu_err(EINVAL, "eu_lpm_stats_read: NULL argument or st->size not set (set "
				      "it to sizeof(struct eu_lpm_stats))");
	rc = eu_lpm_in_reader("eu_lpm_stats_read");
	if (rc < 0)
		return rc;
	n = st->size < sizeof(all) ? st->size : (__u32)sizeof(all);
	pthread_mutex_lock(&lpm->ctl->lock);
	eu_lpm_stats_locked(lpm->ctl, &all);
	pthread_mutex_unlock(&lpm->ctl->lock);
	all.size = n;
	memcpy(st, &all, n);
	return 0;
}

EU_API __u64 eu_lpm_memsize(struct eu_lpm *lpm)
{
	struct eu_lpm_stats st;

	if (!lpm)
		return 0;
	pthread_mutex_lock(&lpm->ctl->lock);
	eu_lpm_stats_locked(lpm->ctl, &st);
	pthread_mutex_unlock(&lpm->ctl->lock);
	return st.bytes_total;
}

EU_API int eu_lpm_reclaim(struct eu_lpm *lpm)
{
	int rc;

	if (!lpm)
		return eu_err(EINVAL, "eu_lpm_reclaim: NULL table");
	rc = eu_lpm_in_reader("eu_lpm_reclaim");
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&lpm->ctl->lock);
	rc = (int)eu_lpm_reclaim_locked(lpm->ctl);
	pthread_mutex_unlock(&lpm->ctl->lock);
	return rc;
}

/* ------------------------------------------------------------- readers */

static pthread_key_t eu_lpm_reader_key;
static pthread_once_t eu_lpm_reader_once = PTHREAD_ONCE_INIT;
static _Thread_local int eu_lpm_registered;

static void eu_lpm_reader_exit(void *arg)
{
	(void)arg;
	if (eu_lpm_registered) {
		urcu_memb_unregister_thread();
		eu_lpm_registered = 0;
	}
}

static void eu_lpm_reader_key_init(void)
{
	(void)pthread_key_create(&eu_lpm_reader_key, eu_lpm_reader_exit);
}

EU_API int eu_lpm_reader_register(void)
{
	if (eu_lpm_registered)
		return 0;
	pthread_once(&eu_lpm_reader_once, eu_lpm_reader_key_init);
	urcu_memb_register_thread();
	eu_lpm_registered = 1;
	/* a non-NULL value makes the key's destructor run at thread exit */
	(void)pthread_setspecific(eu_lpm_reader_key, (void *)1);
	return 0;
}

EU_API void eu_lpm_reader_unregister(void)
{
	if (!eu_lpm_registered)
		return;
	urcu_memb_unregister_thread();
	eu_lpm_registered = 0;
	(void)pthread_setspecific(eu_lpm_reader_key, NULL);
}

EU_API void eu_lpm_read_lock(void)
{
	if (eu_unlikely(!eu_lpm_registered))
		eu_lpm_reader_register();
	urcu_memb_read_lock();
}

EU_API void eu_lpm_read_unlock(void)
{
	urcu_memb_read_unlock();
}

/* ---------------------------------------------------- table generator */

/*
 * Prefix-length mix of the generator, parts per million of all prefixes for
 * /8../24 (/24 takes the rest). Approximate shares of the global IPv4 BGP
 * table of 2024-2025 (about 1.0M prefixes; average prefix length 22.9 in
 * the AS65000 report at bgp.potaroo.net; per-length shares read from its
 * prefix-length distribution and the CIDR Report): /24 about 61%, /22 11.5%,
 * /23 9.8%, /21 5.3%, /20 4.6%, /19 2.9%, /18 1.6%, /16 1.4%, /17 0.95%,
 * /15 and shorter together 0.5%. docs/lpm.md has the table.
 */
static const __u32 eu_gen_ppm[25] = {
	[8] = 15,     [9] = 12,     [10] = 35,    [11] = 110,   [12] = 320,
	[13] = 650,   [14] = 1300,  [15] = 2200,  [16] = 14000, [17] = 9500,
	[18] = 16000, [19] = 29000, [20] = 46000, [21] = 53000, [22] = 115000,
	[23] = 98000,
};

/* How long_ppm is split among /25../32, in percent. */
static const __u32 eu_gen_long_pct[33] = {
	[25] = 20, [26] = 15, [27] = 12, [28] = 13, [29] = 15, [30] = 10, [31] = 3, [32] = 12,
};

#define EU_GEN_DEFAULT_LONG_PPM 2000U

struct eu_lpm_gen {
	struct eu_lpm_gen_opts o;
	__u64 rng;
	__u64 cum[33];     /* cumulative weights, in ppm */
	struct eu_rtab seen[33];
	__u32 *bylen[33];  /* generated prefixes per length (parents for nesting) */
	__u32 nbylen[33];
	__u32 capbylen[33];
};

static __u64 eu_gen_rand(struct eu_lpm_gen *g)
{
	/* splitmix64 */
	__u64 z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 eu_gen_weight(unsigned len, __u32 long_ppm)
{
	__u32 sum = 0;
	unsigned l;

	if (len > 24)
		return (__u32)((__u64)long_ppm * eu_gen_long_pct[len] / 100);
	if (len < 24)
		return eu_gen_ppm[len];
	for (l = 0; l < 24; l++)
		sum += eu_gen_ppm[l];
	for (l = 25; l <= 32; l++)
		sum += (__u32)((__u64)long_ppm * eu_gen_long_pct[l] / 100);
	return 1000000U - sum;
}

EU_API __u32 eu_lpm_gen_share(unsigned len)
{
	return len > 32 ? 0 : eu_gen_weight(len, EU_GEN_DEFAULT_LONG_PPM);
}

EU_API void eu_lpm_gen_opts_default(struct eu_lpm_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->nest_pct = 50;
	o->long_ppm = EU_GEN_DEFAULT_LONG_PPM;
	o->seed = 1;
}

EU_API struct eu_lpm_gen *eu_lpm_gen_create(const struct eu_lpm_gen_opts *uo)
{
	struct eu_lpm_gen *g;
	__u64 acc = 0;
	unsigned l;
	__u32 i;

	g = calloc(1, sizeof(*g));
	if (!g)
		return eu_err_null(ENOMEM, "eu_lpm_gen_create: out of memory");
	for (l = 0; l <= 32; l++)
		eu_rtab_init(&g->seen[l], l);
	eu_lpm_gen_opts_default(&g->o);
	if (uo) {
		if (uo->size < 8 || uo->size > 4096) {
			free(g);
			return eu_err_null(EINVAL, "eu_lpm_gen_create: opts->size is %u: set it to "
						   "sizeof(struct eu_lpm_gen_opts)", uo->size);
		}
		memcpy(&g->o, uo, uo->size < sizeof(g->o) ? uo->size : sizeof(g->o));
		g->o.size = sizeof(g->o);
	}
	if (g->o.nest_pct > 100 || g->o.long_ppm > 500000 ||
	    g->o.nexclude > EU_LPM_GEN_MAX_EXCLUDE) {
		free(g);
		return eu_err_null(EINVAL, "eu_lpm_gen_create: nest_pct must be <= 100, long_ppm "
					   "<= 500000 and nexclude <= %d", EU_LPM_GEN_MAX_EXCLUDE);
	}
	for (i = 0; i < g->o.nexclude; i++) {
		if (g->o.exclude[i].len > 32 ||
		    (g->o.exclude[i].prefix & ~eu_ipv4_mask(g->o.exclude[i].len))) {
			free(g);
			return eu_err_null(EINVAL, "eu_lpm_gen_create: exclude[%u] is not a prefix "
						   "(length <= 32, host bits zero)", i);
		}
	}
	for (l = 0; l <= 32; l++) {
		acc += eu_gen_weight(l, g->o.long_ppm);
		g->cum[l] = acc;
	}
	g->rng = g->o.seed ^ 0x6a09e667f3bcc909ULL;
	return g;
}

EU_API void eu_lpm_gen_destroy(struct eu_lpm_gen *g)
{
	unsigned l;

	if (!g)
		return;
	for (l = 0; l <= 32; l++) {
		eu_rtab_free(&g->seen[l]);
		free(g->bylen[l]);
	}
	free(g);
}

static int eu_gen_overlaps(__u32 p, unsigned l, __u32 q, unsigned m)
{
	unsigned s = l < m ? l : m;

	return ((p ^ q) & eu_ipv4_mask(s)) == 0;
}

static int eu_gen_excluded(const struct eu_lpm_gen *g, __u32 p, unsigned l)
{
	__u32 i;

	if (eu_gen_overlaps(p, l, 0x00000000U, 8) || eu_gen_overlaps(p, l, 0x7f000000U, 8) ||
	    eu_gen_overlaps(p, l, 0xe0000000U, 3))
		return 1;
	for (i = 0; i < g->o.nexclude; i++)
		if (eu_gen_overlaps(p, l, g->o.exclude[i].prefix, g->o.exclude[i].len))
			return 1;
	return 0;
}

static unsigned eu_gen_len(struct eu_lpm_gen *g)
{
	__u64 r = eu_gen_rand(g) % g->cum[32];
	unsigned l;

	for (l = 0; l < 32; l++)
		if (r < g->cum[l])
			return l;
	return 32;
}

/* A candidate prefix of length len: inside an earlier shorter one, or anywhere. */
static __u32 eu_gen_candidate(struct eu_lpm_gen *g, unsigned len)
{
	__u32 a = (__u32)eu_gen_rand(g);

	if (len >= 9 && eu_gen_rand(g) % 100 < g->o.nest_pct) {
		unsigned lo = len > 16 ? len - 8 : 8, tries;

		for (tries = 0; tries < 4; tries++) {
			unsigned pl = lo + (unsigned)(eu_gen_rand(g) % (len - lo));

			if (g->nbylen[pl]) {
				__u32 parent = g->bylen[pl][eu_gen_rand(g) % g->nbylen[pl]];

				return (parent | (a & ~eu_ipv4_mask(pl))) & eu_ipv4_mask(len);
			}
		}
	}
	/* first octet 1..223: most candidates in excluded space are avoided up front */
	a = (a & 0x00ffffffU) | ((1U + (__u32)(eu_gen_rand(g) % 223)) << 24);
	return a & eu_ipv4_mask(len);
}

EU_API int eu_lpm_gen_next(struct eu_lpm_gen *g, __u32 *prefix, unsigned *len)
{
	unsigned attempt;

	if (!g || !prefix || !len)
		return eu_err(EINVAL, "eu_lpm_gen_next: NULL argument");
	for (attempt = 0; attempt < 4096; attempt++) {
		unsigned l = eu_gen_len(g), t;

		for (t = 0; t < 16; t++) {
			__u32 p = eu_gen_candidate(g, l);

			if (eu_gen_excluded(g, p, l) || eu_rtab_find(&g->seen[l], p) != EU_RT_NONE)
				continue;
			if (eu_rtab_reserve(&g->seen[l]) < 0)
				return eu_err(ENOMEM, "eu_lpm_gen_next: out of memory");
			if (g->nbylen[l] == g->capbylen[l]) {
				__u32 ncap = g->capbylen[l] ? g->capbylen[l] * 2 : 64;
				__u32 *nb = realloc(g->bylen[l], (size_t)ncap * sizeof(__u32));

				if (!nb)
					return eu_err(ENOMEM, "eu_lpm_gen_next: out of memory");
				g->bylen[l] = nb;
				g->capbylen[l] = ncap;
			}
			eu_rtab_put(&g->seen[l], p, EU_RSLOT_USED);
			g->bylen[l][g->nbylen[l]++] = p;
			*prefix = p;
			*len = l;
			return 0;
		}
	}
	return eu_err(ENOSPC, "eu_lpm_gen_next: no new unique prefix found in 4096 attempts: "
			      "the address space left by the exclusions is used up");
}
