/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/region.c - regions over anonymous memory, memfd, POSIX shm, plain
 * files, hugetlbfs files and caller memory; validation on attach; audit and
 * reclaim of slots.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/eventfd.h>
#include <unistd.h>

#ifdef EU_HAVE_NUMA
#include <numa.h>
#endif

#include <europa/kdev.h>

#include "internal.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define EU_PAGE 4096U

static const char *const eu_state_names[EU_SLOT_STATE_COUNT] = {
	"INVALID", "VR_FREE", "VR_BUSY", "FILL", "SW_FREE", "SW_BUSY", "RX", "TX", "COMP",
};

EU_API const char *eu_slot_state_name(__u32 state)
{
	return state < EU_SLOT_STATE_COUNT ? eu_state_names[state] : "?";
}

static __u32 eu_pow2_at_least(__u32 x)
{
	__u32 p = 1;

	while (p < x && p < EU_MAX_RING_SIZE)
		p <<= 1;
	return p;
}

EU_API void eu_region_opts_default(struct eu_region_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->nslots = 4096;
	o->slot_size = 2048;
	o->headroom = 128;
	o->vr_slots = EU_VR_SLOTS_HALF;
	o->ring_size = 0;
	o->numa_node = -1;
}

/* Copy what the caller's (possibly older, smaller) struct has over defaults. */
static int eu_opts_take(const struct eu_region_opts *in, struct eu_region_opts *o)
{
	struct eu_region_opts d;

	eu_region_opts_default(&d);
	if (in) {
		size_t n = in->size;

		if (n < sizeof(__u32) * 2 || n > 4096)
			return eu_err(EINVAL, "region options: size field is %u; set it to "
					      "sizeof(struct eu_region_opts)", in->size);
		if (n > sizeof(d))
			n = sizeof(d);
		memcpy(&d, in, n);
		d.size = sizeof(d);
		if (!d.nslots)
			d.nslots = 4096;
		if (!d.slot_size)
			d.slot_size = 2048;
		if (n <= offsetof(struct eu_region_opts, numa_node))
			d.numa_node = -1;
		if (n <= offsetof(struct eu_region_opts, vr_slots))
			d.vr_slots = EU_VR_SLOTS_HALF;
	}
	if (d.vr_slots == EU_VR_SLOTS_HALF)
		d.vr_slots = d.nslots / 2;
	if (!d.ring_size)
		d.ring_size = eu_pow2_at_least(d.nslots);
	*o = d;
	return 0;
}

int eu_region_params(const struct eu_region_opts *in, struct eu_region_hdr *h)
{
	struct eu_region_opts o = { 0 };
	int i, err = eu_opts_take(in, &o);

	if (err)
		return err;
	memset(h, 0, sizeof(*h));
	if (o.nslots == 0 || o.nslots > EU_MAX_SLOTS)
		return eu_err(EINVAL, "region: nslots %u out of range 1..%u", o.nslots,
			      EU_MAX_SLOTS);
	if (o.slot_size < EU_MIN_SLOT_SIZE || o.slot_size > EU_MAX_SLOT_SIZE ||
	    o.slot_size % EU_CACHE_LINE)
		return eu_err(EINVAL, "region: slot_size %u must be a multiple of %u in %u..%u",
			      o.slot_size, EU_CACHE_LINE, EU_MIN_SLOT_SIZE, EU_MAX_SLOT_SIZE);
	if (o.headroom >= o.slot_size)
		return eu_err(EINVAL, "region: headroom %u must be smaller than slot_size %u",
			      o.headroom, o.slot_size);
	if (o.vr_slots > o.nslots)
		return eu_err(EINVAL, "region: vr_slots %u exceeds nslots %u", o.vr_slots,
			      o.nslots);
	if (o.ring_size == 0 || o.ring_size > EU_MAX_RING_SIZE ||
	    (o.ring_size & (o.ring_size - 1)))
		return eu_err(EINVAL, "region: ring_size %u must be a power of two <= %u",
			      o.ring_size, EU_MAX_RING_SIZE);
	h->nslots = o.nslots;
	h->slot_size = o.slot_size;
	h->headroom = o.headroom;
	h->vr_slots = o.vr_slots;
	for (i = 0; i < EU_RING_COUNT; i++)
		h->rings[i].size = o.ring_size;
	if (o.flags & EU_REGION_O_RX_MP)
		h->rings[EU_RING_RX].flags |= EU_RING_F_MP;
	if (eu_abi_layout(h, EU_PAGE))
		return eu_err(EINVAL, "region: options out of range");
	return 0;
}

EU_API __u64 eu_region_memsize(const struct eu_region_opts *o)
{
	struct eu_region_hdr h;
	int err = eu_region_params(o, &h);

	if (err) {
		errno = -err;
		return 0;
	}
	return h.region_size;
}

/* Lay out and initialise a region: every slot free, rings empty. */
int eu_region_format(void *mem, __u64 len, const struct eu_region_opts *o, __u32 buf_align)
{
	struct eu_region_hdr h;
	unsigned char *base = mem;
	__u32 *state;
	struct eu_desc *desc;
	__u32 i;
	int err = eu_region_params(o, &h);

	if (err)
		return err;
	if (buf_align != EU_PAGE && eu_abi_layout(&h, buf_align))
		return eu_err(EINVAL, "region: bad buffer alignment %u", buf_align);
	if (len < h.region_size)
		return eu_err(EOVERFLOW, "region: needs %llu bytes, the memory has %llu",
			      (unsigned long long)h.region_size, (unsigned long long)len);
	if ((unsigned long)mem % EU_CACHE_LINE)
		return eu_err(EINVAL, "region: memory must be aligned to %u bytes", EU_CACHE_LINE);
	/* Everything but the buffers starts zeroed: counters, stats, wake lines. */
	memset(base, 0, h.bufs_off);
	for (i = 0; i < EU_RING_COUNT; i++) {
		err = eu_ring_init_mem(base + h.rings[i].off, h.rings[i].size, h.rings[i].flags);
		if (err)
			return err;
	}
	state = (__u32 *)(base + h.states_off);
	desc = (struct eu_desc *)(base + h.descs_off);
	for (i = 0; i < h.nslots; i++) {
		state[i] = i < h.vr_slots ? EU_SLOT_VR_FREE : EU_SLOT_SW_FREE;
		desc[i].off = (__u16)h.headroom;
	}
	h.hdr_check = eu_abi_hdr_check(&h);
	memcpy(base, &h, sizeof(h));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}

static struct eu_region *eu_region_new(void)
{
	struct eu_region *r = calloc(1, sizeof(*r));
	int i;

	if (!r)
		return eu_err_null(ENOMEM, "region: out of memory");
	r->fd = -1;
	for (i = 0; i < EU_RING_COUNT; i++)
		r->wake_fd[i] = -1;
	return r;
}

static void eu_region_free(struct eu_region *r)
{
	int i;

	if (r->base && r->backing != EU_BACK_MEM)
		munmap(r->base, r->len);
	if (r->fd >= 0)
		close(r->fd);
	for (i = 0; i < EU_RING_COUNT; i++)
		if (r->wake_fd[i] >= 0)
			close(r->wake_fd[i]);
	free(r->name);
	free(r);
}

static int eu_region_make_wake_fds(struct eu_region *r)
{
	int i;

	for (i = 0; i < EU_RING_COUNT; i++) {
		r->wake_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (r->wake_fd[i] < 0)
			return eu_err(errno, "region: eventfd: %s", strerror(errno));
	}
	return 0;
}

static int eu_numa_place(void *base, __u64 len, int node)
{
	if (node < 0)
		return 0;
#ifdef EU_HAVE_NUMA
	if (numa_available() < 0) {
		if (node == 0)
			return 0; /* no NUMA: node 0 is everything */
		return eu_err(ENODEV, "region: NUMA node %d requested but this host has no "
				      "NUMA support; use numa_node = -1", node);
	}
	if (node > numa_max_node())
		return eu_err(ENODEV, "region: NUMA node %d does not exist (nodes 0..%d)", node,
			      numa_max_node());
	numa_tonode_memory(base, len, node);
	return 0;
#else
	(void)base;
	(void)len;
	if (node == 0)
		return 0;
	return eu_err(ENOTSUP, "region: NUMA node %d requested but libeuropa was built "
			       "without libnuma; install libnuma-dev and rebuild", node);
#endif
}

static const char *eu_prefix(const char *where, const char *p)
{
	size_t n = strlen(p);

	return strncmp(where, p, n) == 0 ? where + n : NULL;
}

/* Map `len` bytes of fd, or anonymous shared memory when fd < 0. */
static void *eu_map(int fd, __u64 len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int eu_open_huge(struct eu_region *r, const char *path, __u64 *len)
{
	struct statfs sf;
	char dir[4096];
	char *slash;
	__u64 hp;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), "%s", slash ? "/" : ".");
	if (statfs(dir, &sf) < 0)
		return eu_err(errno, "region huge:%s: cannot stat %s: %s", path, dir,
			      strerror(errno));
	if ((unsigned long)sf.f_type != HUGETLBFS_MAGIC)
		return eu_err(ENOTSUP, "region huge:%s: %s is not a hugetlbfs mount; mount one "
				       "(mount -t hugetlbfs none /dev/hugepages) or use memfd:",
			      path, dir);
	hp = (__u64)sf.f_bsize;
	*len = (*len + hp - 1) / hp * hp;
	r->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r->fd < 0)
		return eu_err(errno, "region huge:%s: %s%s", path, strerror(errno),
			      errno == EEXIST ? " (remove it or choose another name)" : "");
	r->name = strdup(path);
	if (ftruncate(r->fd, (off_t)*len) < 0 || !(r->base = eu_map(r->fd, *len))) {
		int e = errno;

		return eu_err(e == EINVAL || e == ENOMEM ? ENOMEM : e,
			      "region huge:%s: cannot get %llu bytes of huge pages (%s); reserve "
			      "some (echo 64 > /proc/sys/vm/nr_hugepages) or set "
			      "EU_REGION_O_HUGE_FALLBACK",
			      path, (unsigned long long)*len, strerror(e));
	}
	r->huge = 1;
	return 0;
}

/* Open and size the backing store of a new region; maps r->base. */
static int eu_region_back(struct eu_region *r, const char *where, __u64 len, __u32 flags)
{
	const char *arg;

	if (strcmp(where, "anon") == 0) {
		r->backing = EU_BACK_ANON;
		r->base = eu_map(-1, len);
		return r->base ? 0 : eu_err(errno, "region anon: mmap of %llu bytes: %s",
					    (unsigned long long)len, strerror(errno));
	}
	if ((arg = eu_prefix(where, "memfd:"))) {
		r->backing = EU_BACK_MEMFD;
		r->fd = memfd_create(*arg ? arg : "europa", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (r->fd < 0)
			return eu_err(errno, "region %s: memfd_create: %s", where, strerror(errno));
		if (ftruncate(r->fd, (off_t)len) < 0)
			return eu_err(errno, "region %s: ftruncate to %llu bytes: %s", where,
				      (unsigned long long)len, strerror(errno));
		/* A peer must not be able to shrink it under us (SIGBUS). */
		if (fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
			return eu_err(errno, "region %s: sealing: %s", where, strerror(errno));
		r->base = eu_map(r->fd, len);
		return r->base ? 0 : eu_err(errno, "region %s: mmap: %s", where, strerror(errno));
	}
	if ((arg = eu_prefix(where, "shm:"))) {
		r->backing = EU_BACK_SHM;
		if (arg[0] != '/' || strchr(arg + 1, '/') || !arg[1])
			return eu_err(EINVAL, "region %s: a shm name is one '/' then a name without "
					      "'/', like shm:/europa0", where);
		r->fd = shm_open(arg, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (r->fd < 0)
			return eu_err(errno, "region %s: shm_open: %s%s", where, strerror(errno),
				      errno == EEXIST ? " (remove it with rm /dev/shm/NAME or choose "
							"another name)" : "");
		r->name = strdup(where);
		if (ftruncate(r->fd, (off_t)len) < 0)
			return eu_err(errno, "region %s: ftruncate: %s", where, strerror(errno));
		r->base = eu_map(r->fd, len);
		return r->base ? 0 : eu_err(errno, "region %s: mmap: %s", where, strerror(errno));
	}
	if ((arg = eu_prefix(where, "file:"))) {
		r->backing = EU_BACK_FILE;
		r->fd = open(arg, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (r->fd < 0)
			return eu_err(errno, "region %s: %s%s", where, strerror(errno),
				      errno == EEXIST ? " (it is never overwritten: remove it or "
							"choose another path)" : "");
		r->name = strdup(where);
		if (ftruncate(r->fd, (off_t)len) < 0)
			return eu_err(errno, "region %s: ftruncate: %s", where, strerror(errno));
		r->base = eu_map(r->fd, len);
		return r->base ? 0 : eu_err(errno, "region %s: mmap: %s", where, strerror(errno));
	}
	if ((arg = eu_prefix(where, "huge:"))) {
		__u64 hlen = len;
		int err;

		r->backing = EU_BACK_HUGE;
		err = eu_open_huge(r, arg, &hlen);
		if (err && (flags & EU_REGION_O_HUGE_FALLBACK)) {
			/* explicit fallback: same region on normal pages, in a memfd */
			if (r->fd >= 0) {
				close(r->fd);
				r->fd = -1;
				if (r->name)
					unlink(r->name);
			}
			free(r->name);
			r->name = NULL;
			return eu_region_back(r, "memfd:europa-huge-fallback", len, flags);
		}
		if (err) {
			if (r->name) {
				unlink(r->name);
				free(r->name);
				r->name = NULL;
			}
			return err;
		}
		r->len = hlen;
		free(r->name);
		r->name = malloc(strlen(arg) + 6);
		if (r->name)
			sprintf(r->name, "file:%s", arg);
		return 0;
	}
	return eu_err(EINVAL, "region: unknown place \"%s\"; use anon, memfd:NAME, shm:/NAME, "
			      "file:PATH or huge:PATH", where);
}

static void eu_region_unlink_name(const char *name)
{
	const char *arg;

	if (!name)
		return;
	if ((arg = eu_prefix(name, "shm:")))
		shm_unlink(arg);
	else if ((arg = eu_prefix(name, "file:")))
		unlink(arg);
}

EU_API struct eu_region *eu_region_create(const char *where, const struct eu_region_opts *o)
{
	struct eu_region *r;
	__u64 len;
	int err;

	if (!where)
		return eu_err_null(EINVAL, "region: where is NULL; use e.g. \"memfd:vr0\"");
	len = eu_region_memsize(o);
	if (!len)
		return NULL; /* message set */
	r = eu_region_new();
	if (!r)
		return NULL;
	r->len = len;
	r->created = 1;
	/* an older caller's struct may end before `flags`: read only what it has */
	r->flags = o && o->size > offsetof(struct eu_region_opts, flags) ? o->flags : 0;
	err = eu_region_back(r, where, len, r->flags);
	if (!err)
		err = eu_numa_place(r->base, r->len, o && o->size > offsetof(struct eu_region_opts,
								    numa_node) ? o->numa_node : -1);
	if (!err)
		err = eu_region_format(r->base, r->len, o, EU_PAGE);
	if (!err)
		err = eu_region_make_wake_fds(r);
	if (err) {
		eu_region_unlink_name(r->name); /* a failed create leaves nothing behind */
		eu_region_free(r);
		errno = -err;
		return NULL;
	}
	r->hdr = (struct eu_region_hdr *)r->base;
	memcpy(&r->h, r->base, sizeof(r->h));
	return r;
}

EU_API struct eu_region *eu_region_create_mem(void *mem, __u64 len,
					      const struct eu_region_opts *o)
{
	struct eu_region *r;
	int err;

	if (!mem)
		return eu_err_null(EINVAL, "region: memory is NULL");
	r = eu_region_new();
	if (!r)
		return NULL;
	r->backing = EU_BACK_MEM;
	r->base = mem;
	r->len = len;
	r->created = 1;
	err = eu_region_format(mem, len, o, EU_PAGE);
	if (!err)
		err = eu_region_make_wake_fds(r);
	if (err) {
		r->base = NULL;
		eu_region_free(r);
		errno = -err;
		return NULL;
	}
	r->hdr = (struct eu_region_hdr *)r->base;
	memcpy(&r->h, r->base, sizeof(r->h));
	return r;
}

EU_API void eu_region_destroy(struct eu_region *r)
{
	if (!r)
		return;
	if (r->created && (r->flags & EU_REGION_O_UNLINK))
		eu_region_unlink_name(r->name);
	eu_region_free(r);
}

/* ------------------------------------------------------------- validation */

struct eu_sec {
	const char *name;
	__u64 off;
	__u64 len;
};

static int eu_why(char *why, size_t n, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int eu_why(char *why, size_t n, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && n) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return -err;
}

EU_API int eu_region_validate(const void *mem, __u64 len, char *why, size_t whylen)
{
	struct eu_region_hdr h;

	return eu_region_validate_copy(mem, len, why, whylen, &h);
}

int eu_region_validate_copy(const void *mem, __u64 len, char *why, size_t whylen,
			    struct eu_region_hdr *out)
{
	struct eu_region_hdr h;
	struct eu_sec sec[6 + EU_RING_COUNT];
	static const char *const ring_names[EU_RING_COUNT] = { "fill ring", "rx ring", "tx ring",
							       "comp ring" };
	int i, j, n = 0;

	if (!mem)
		return eu_why(why, whylen, EINVAL, "no memory given");
	if (len < sizeof(h))
		return eu_why(why, whylen, EOVERFLOW,
			      "truncated: %llu bytes, smaller than a region header (%zu bytes)",
			      (unsigned long long)len, sizeof(h));
	/* One copy: the other side may be writing; every check reads the copy. */
	memcpy(&h, mem, sizeof(h));
	if (h.magic != EU_REGION_MAGIC)
		return eu_why(why, whylen, EPROTO,
			      "bad magic 0x%08x (expected 0x%08x): not a libeuropa region, or "
			      "overwritten", h.magic, EU_REGION_MAGIC);
	if (h.abi_major != EU_ABI_MAJOR)
		return eu_why(why, whylen, ENOEXEC,
			      "region ABI %u.%u, this library speaks %u.x: use a libeuropa built "
			      "for ABI %u", h.abi_major, h.abi_minor, EU_ABI_MAJOR, h.abi_major);
	if (h.hdr_size < sizeof(h) || (h.hdr_size > sizeof(h) && h.abi_minor <= EU_ABI_MINOR))
		return eu_why(why, whylen, EPROTO, "header size %u does not match ABI %u.%u "
						   "(expected %zu)", h.hdr_size, h.abi_major,
			      h.abi_minor, sizeof(h));
	if (h.hdr_check != eu_abi_hdr_check(&h))
		return eu_why(why, whylen, EPROTO,
			      "header check 0x%08x does not match its contents (0x%08x): the "
			      "header is corrupted", h.hdr_check, eu_abi_hdr_check(&h));
	if (h.region_size > len)
		return eu_why(why, whylen, EOVERFLOW,
			      "truncated: the region is %llu bytes but only %llu are mapped",
			      (unsigned long long)h.region_size, (unsigned long long)len);
	if (h.nslots == 0 || h.nslots > EU_MAX_SLOTS)
		return eu_why(why, whylen, EPROTO, "nslots %u out of range 1..%u", h.nslots,
			      EU_MAX_SLOTS);
	if (h.slot_size < EU_MIN_SLOT_SIZE || h.slot_size > EU_MAX_SLOT_SIZE ||
	    h.slot_size % EU_CACHE_LINE || h.headroom >= h.slot_size)
		return eu_why(why, whylen, EPROTO, "slot size %u / headroom %u out of range",
			      h.slot_size, h.headroom);
	if (h.vr_slots > h.nslots)
		return eu_why(why, whylen, EPROTO, "vr_slots %u > nslots %u", h.vr_slots,
			      h.nslots);
	sec[n++] = (struct eu_sec){ "header", 0, h.hdr_size };
	sec[n++] = (struct eu_sec){ "wake lines", h.wake_off,
				    sizeof(struct eu_wake) * EU_RING_COUNT };
	sec[n++] = (struct eu_sec){ "stats", h.stats_off, sizeof(struct eu_region_stats) };
	for (i = 0; i < EU_RING_COUNT; i++) {
		__u32 sz = h.rings[i].size;

		if (sz == 0 || sz > EU_MAX_RING_SIZE || (sz & (sz - 1)))
			return eu_why(why, whylen, EPROTO,
				      "%s size %u is not a power of two in 1..%u", ring_names[i],
				      sz, EU_MAX_RING_SIZE);
		if (h.rings[i].flags & ~(__u32)EU_RING_F_MP)
			return eu_why(why, whylen, EPROTO, "%s has unknown flags 0x%x",
				      ring_names[i], h.rings[i].flags);
		sec[n++] = (struct eu_sec){ ring_names[i], h.rings[i].off, eu_abi_ring_bytes(sz) };
	}
	sec[n++] = (struct eu_sec){ "state words", h.states_off, (__u64)h.nslots * 4 };
	sec[n++] = (struct eu_sec){ "descriptors", h.descs_off,
				    (__u64)h.nslots * sizeof(struct eu_desc) };
	sec[n++] = (struct eu_sec){ "buffers", h.bufs_off, (__u64)h.nslots * h.slot_size };
	for (i = 0; i < n; i++) {
		if (sec[i].off % EU_CACHE_LINE)
			return eu_why(why, whylen, EPROTO, "%s offset 0x%llx is not aligned to %u",
				      sec[i].name, (unsigned long long)sec[i].off, EU_CACHE_LINE);
		if (sec[i].off > h.region_size || sec[i].len > h.region_size - sec[i].off)
			return eu_why(why, whylen, EPROTO,
				      "%s at 0x%llx + %llu bytes lies outside the region (%llu "
				      "bytes)", sec[i].name, (unsigned long long)sec[i].off,
				      (unsigned long long)sec[i].len,
				      (unsigned long long)h.region_size);
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (sec[i].off < sec[j].off + sec[j].len &&
			    sec[j].off < sec[i].off + sec[i].len)
				return eu_why(why, whylen, EPROTO, "%s and %s overlap", sec[i].name,
					      sec[j].name);
	*out = h;
	return 0;
}

static struct eu_region *eu_region_attach_map(struct eu_region *r)
{
	char why[256];
	int err = eu_region_validate_copy(r->base, r->len, why, sizeof(why), &r->h);

	if (err) {
		eu_region_free(r);
		return eu_err_null(-err, "region attach refused: %s", why);
	}
	r->hdr = (struct eu_region_hdr *)r->base;
	return r;
}

EU_API struct eu_region *eu_region_attach_fd(int fd)
{
	struct eu_region *r;
	struct stat st;
	struct statfs sf;

	if (fd < 0 || fstat(fd, &st) < 0)
		return eu_err_null(EBADF, "region attach: fd %d is not open", fd);
	if ((__u64)st.st_size < sizeof(struct eu_region_hdr))
		return eu_err_null(EOVERFLOW, "region attach refused: truncated: %lld bytes, "
					      "smaller than a region header (%zu bytes)",
				   (long long)st.st_size, sizeof(struct eu_region_hdr));
	r = eu_region_new();
	if (!r)
		return NULL;
	r->backing = EU_BACK_FD;
	r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->fd < 0) {
		eu_region_free(r);
		return eu_err_null(errno, "region attach: dup: %s", strerror(errno));
	}
	if (fstatfs(fd, &sf) == 0 && (unsigned long)sf.f_type == HUGETLBFS_MAGIC)
		r->huge = 1;
	r->len = (__u64)st.st_size;
	r->base = eu_map(r->fd, r->len);
	if (!r->base) {
		int e = errno;

		eu_region_free(r);
		return eu_err_null(e, "region attach: mmap of %llu bytes: %s",
				   (unsigned long long)st.st_size, strerror(e));
	}
	return eu_region_attach_map(r);
}

EU_API struct eu_region *eu_region_attach(const char *where)
{
	struct eu_region *r;
	const char *arg;
	int fd = -1;

	if (!where)
		return eu_err_null(EINVAL, "region attach: where is NULL");
	/* kdev: the kernel switch makes the region (lib/kdev.c) */
	if (eu_prefix(where, "kdev:"))
		return eu_kdev_attach(where);
	if ((arg = eu_prefix(where, "fd:"))) {
		char *end;
		long v = strtol(arg, &end, 10);

		if (!*arg || *end || v < 0 || v > 1 << 20)
			return eu_err_null(EINVAL, "region attach %s: expected fd:N", where);
		return eu_region_attach_fd((int)v);
	}
	if ((arg = eu_prefix(where, "shm:")))
		fd = shm_open(arg, O_RDWR | O_CLOEXEC, 0);
	else if ((arg = eu_prefix(where, "file:")) || (arg = eu_prefix(where, "huge:")))
		fd = open(arg, O_RDWR | O_CLOEXEC);
	else if (eu_prefix(where, "memfd:") || strcmp(where, "anon") == 0)
		return eu_err_null(EINVAL, "region attach %s: a memfd or anonymous region has no "
					   "name to open; pass its fd (fd:N) or share it by fork",
				   where);
	else
		return eu_err_null(EINVAL, "region attach: unknown place \"%s\"; use fd:N, "
					   "shm:/NAME, file:PATH or huge:PATH", where);
	if (fd < 0)
		return eu_err_null(errno, "region attach %s: %s", where, strerror(errno));
	r = eu_region_attach_fd(fd);
	close(fd);
	return r;
}

EU_API struct eu_region *eu_region_attach_mem(void *mem, __u64 len)
{
	struct eu_region *r = eu_region_new();

	if (!r)
		return NULL;
	r->backing = EU_BACK_MEM;
	r->base = mem;
	r->len = len;
	if (!mem) {
		eu_region_free(r);
		return eu_err_null(EINVAL, "region attach: memory is NULL");
	}
	return eu_region_attach_map(r);
}

EU_API void eu_region_detach(struct eu_region *r)
{
	if (r)
		eu_region_free(r);
}

/* -------------------------------------------------------------- accessors */

EU_API const struct eu_region_hdr *eu_region_header(const struct eu_region *r)
{
	return &r->h;
}

EU_API void *eu_region_base(const struct eu_region *r)
{
	return r->base;
}

EU_API __u64 eu_region_size(const struct eu_region *r)
{
	return r->h.region_size;
}

EU_API int eu_region_fd(const struct eu_region *r)
{
	return r->fd;
}

EU_API int eu_region_is_huge(const struct eu_region *r)
{
	return r->huge;
}

static struct eu_region_stats *eu_stats(const struct eu_region *r)
{
	return (struct eu_region_stats *)(r->base + r->h.stats_off);
}

EU_API int eu_region_ring_view(struct eu_region *r, int ring, int as_producer,
			       struct eu_ring *out)
{
	const struct eu_ring_layout *l;
	struct eu_ring_stats *rs;

	if (!r || ring < 0 || ring >= EU_RING_COUNT || !out)
		return eu_err(EINVAL, "ring view: ring id %d out of range 0..%d", ring,
			      EU_RING_COUNT - 1);
	l = &r->h.rings[ring];
	rs = &eu_stats(r)->ring[ring];
	return eu_ring_view_init(out, r->base + l->off, l->size, l->flags, as_producer,
				 as_producer ? &rs->prod : &rs->cons);
}

EU_API int eu_region_slots_view(struct eu_region *r, int side, struct eu_slots *out)
{
	if (!r || side < 0 || side >= EU_SIDE_COUNT || !out)
		return eu_err(EINVAL, "slots view: side %d is neither EU_SIDE_VR nor "
				      "EU_SIDE_SWITCH", side);
	out->state = (__u32 *)(r->base + r->h.states_off);
	out->desc = (struct eu_desc *)(r->base + r->h.descs_off);
	out->bufs = r->base + r->h.bufs_off;
	out->nslots = r->h.nslots;
	out->slot_size = r->h.slot_size;
	out->headroom = r->h.headroom;
	out->side = (__u32)side;
	out->stats = &eu_stats(r)->slot[side];
	return 0;
}

EU_API void eu_region_stats_read(const struct eu_region *r, struct eu_region_stats *out)
{
	const __u64 *src = (const __u64 *)eu_stats(r);
	__u64 *dst = (__u64 *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / 8; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------- audit, reclaim */

static const int eu_ring_state[EU_RING_COUNT] = {
	[EU_RING_FILL] = EU_SLOT_FILL,
	[EU_RING_RX] = EU_SLOT_RX,
	[EU_RING_TX] = EU_SLOT_TX,
	[EU_RING_COMP] = EU_SLOT_COMP,
};

EU_API int eu_region_audit(const struct eu_region *r, struct eu_audit *a)
{
	const __u32 *state;
	__u32 i;

	if (!r || !a)
		return eu_err(EINVAL, "audit: NULL argument");
	memset(a, 0, sizeof(*a));
	state = (const __u32 *)(r->base + r->h.states_off);
	for (i = 0; i < r->h.nslots; i++) {
		__u32 s = eu_state_of(__atomic_load_n(&state[i], __ATOMIC_ACQUIRE));

		a->state[s < EU_SLOT_STATE_COUNT ? s : EU_SLOT_INVALID]++;
		a->total++;
	}
	a->owned[EU_SIDE_VR] = a->state[EU_SLOT_VR_FREE] + a->state[EU_SLOT_VR_BUSY];
	a->owned[EU_SIDE_SWITCH] = a->state[EU_SLOT_SW_FREE] + a->state[EU_SLOT_SW_BUSY];
	a->in_flight = a->state[EU_SLOT_FILL] + a->state[EU_SLOT_RX] + a->state[EU_SLOT_TX] +
		       a->state[EU_SLOT_COMP];
	a->consistent = a->state[EU_SLOT_INVALID] == 0;
	for (i = 0; i < EU_RING_COUNT; i++) {
		const struct eu_ring_shared *s =
			(const void *)(r->base + r->h.rings[i].off);

		a->ring_count[i] = __atomic_load_n(&s->prod, __ATOMIC_ACQUIRE) -
				   __atomic_load_n(&s->cons, __ATOMIC_ACQUIRE);
		if (a->ring_count[i] != a->state[eu_ring_state[i]])
			a->consistent = 0;
	}
	return 0;
}

/* The side that consumes each ring (and sleeps on its wake line). */
static const int eu_ring_consumer[EU_RING_COUNT] = {
	[EU_RING_FILL] = EU_SIDE_SWITCH,
	[EU_RING_RX] = EU_SIDE_VR,
	[EU_RING_TX] = EU_SIDE_SWITCH,
	[EU_RING_COMP] = EU_SIDE_VR,
};

EU_API int eu_region_reclaim(struct eu_region *r, int gone)
{
	struct eu_region_hdr *h;
	__u32 *state;
	__u32 keep, i;
	int n = 0, survivor;

	if (!r || (gone != EU_SIDE_VR && gone != EU_SIDE_SWITCH))
		return eu_err(EINVAL, "reclaim: side %d is neither EU_SIDE_VR nor EU_SIDE_SWITCH",
			      gone);
	h = &r->h; /* sizes from the private copy; live fields below from r->hdr */
	survivor = gone == EU_SIDE_VR ? EU_SIDE_SWITCH : EU_SIDE_VR;
	keep = survivor == EU_SIDE_VR ? EU_SLOT_VR_BUSY : EU_SLOT_SW_BUSY;
	state = (__u32 *)(r->base + h->states_off);
	for (i = 0; i < h->nslots; i++) {
		__u32 w = __atomic_load_n(&state[i], __ATOMIC_ACQUIRE);
		__u32 s = eu_state_of(w), to;

		if (s == keep)
			continue;
		if (s != EU_SLOT_VR_FREE && s != EU_SLOT_SW_FREE)
			n++; /* was held by the gone side, or in flight */
		else if (eu_slot_state_side(s) == gone)
			n++;
		to = i < h->vr_slots ? EU_SLOT_VR_FREE : EU_SLOT_SW_FREE;
		__atomic_store_n(&state[i], eu_state_next(w, to), __ATOMIC_RELEASE);
	}
	for (i = 0; i < EU_RING_COUNT; i++)
		eu_ring_init_mem(r->base + h->rings[i].off, h->rings[i].size, h->rings[i].flags);
	/* the gone side may have scribbled on the header: restore its immutable part */
	memcpy(r->hdr, h, offsetof(struct eu_region_hdr, live_pad));
	/*
	 * Withdraw the gone side's sleep announcements (the lines of the rings it
	 * consumed), so the next one starts without a stale need-wakeup. The
	 * survivor's own announcements stay: it may be asleep on them now.
	 */
	for (i = 0; i < EU_RING_COUNT; i++)
		if (eu_ring_consumer[i] == gone)
			__atomic_store_n(&((struct eu_wake *)(r->base + h->wake_off))[i].need_wakeup,
					 0, __ATOMIC_RELEASE);
	if (gone == EU_SIDE_VR) {
		__atomic_store_n(&r->hdr->vr_pid, 0, __ATOMIC_RELEASE);
		__atomic_fetch_add(&r->hdr->sw_epoch, 1, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&r->hdr->sw_pid, 0, __ATOMIC_RELEASE);
		__atomic_fetch_add(&r->hdr->vr_epoch, 1, __ATOMIC_RELEASE);
	}
	eu_stat_add(&eu_stats(r)->slot[survivor].reclaimed, (__u64)n);
	return n;
}

int eu_region_live_pid(const struct eu_region *r, int side)
{
	__u32 pid = __atomic_load_n(side == EU_SIDE_VR ? &r->hdr->vr_pid : &r->hdr->sw_pid,
				    __ATOMIC_ACQUIRE);

	if (!pid)
		return 0;
	if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
		return (int)pid;
	return 0;
}
