/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_region.c - regions (europa/region.h, lib/region.c): every place a
 * region can live, attach by name or fd, failed creates leave nothing
 * behind, options structs of older callers, NUMA placement; validation of
 * corrupted regions (random bytes, truncation, each header field out of
 * range with a recomputed check, single bit flips, wrong magic or ABI), which
 * must refuse with EPROTO, ENOEXEC or EOVERFLOW and a message, never crash;
 * slot audit; reclaim of a dead VR's slots.
 */
#include "eu_unit.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/* ---------------------------------------------------------------- helpers */

static int name_seq;

/* A POSIX shm name unique to this process and call. */
static void shm_name(char *buf, size_t n)
{
	snprintf(buf, n, "/eu-unit-%d-%d", (int)getpid(), name_seq++);
}

static int shm_exists(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* A private temporary directory; tdir_fini removes it and what is in it. */
struct tdir {
	char path[64];
};

static void tdir_init(struct tdir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/eu-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->path));
}

static void tdir_file(const struct tdir *d, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", d->path, name);
}

static int tdir_count(const struct tdir *d)
{
	char cmd[128];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", d->path);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

static void tdir_fini(struct tdir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	ck_assert_int_eq(system(cmd), 0);
}

/* The header in the shared mapping, whose live fields the sides write. */
static const struct eu_region_hdr *shared_hdr(const struct eu_region *r)
{
	return (const struct eu_region_hdr *)eu_region_base(r);
}

static int err_in_set(int e)
{
	return e == EPROTO || e == ENOEXEC || e == EOVERFLOW;
}

/* Options of a small region: 64 slots of 128 bytes, rings of 64. */
static struct eu_region_opts small_opts(void)
{
	struct eu_region_opts o = eu_t_opts(64, 128);

	o.vr_slots = 32;
	return o;
}

/* A valid small region's bytes, in a malloc'd buffer of exactly its size. */
static unsigned char *valid_image(__u64 *len)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("anon", &o);
	unsigned char *img;

	ck_assert_ptr_nonnull(r);
	*len = eu_region_size(r);
	img = malloc(*len);
	ck_assert_ptr_nonnull(img);
	memcpy(img, eu_region_base(r), *len);
	eu_region_destroy(r);
	return img;
}

static void rehash(unsigned char *img)
{
	struct eu_region_hdr *h = (struct eu_region_hdr *)img;

	h->hdr_check = eu_abi_hdr_check(h);
}

/*
 * validate() and attach_mem() must both refuse `img` with `want` (or any of
 * the three if want == 0), with a message, and without touching a byte past
 * len (ASan sees to that: callers pass buffers of exactly len bytes).
 */
static void expect_refused(const void *img, __u64 len, int want, const char *what)
{
	char why[256];
	struct eu_region *r;
	int rc;

	why[0] = 0;
	rc = eu_region_validate(img, len, why, sizeof(why));
	eu_check_msg(rc < 0 && err_in_set(-rc), "%s: validate returned %d (%s)", what, rc, why);
	if (want)
		eu_check_msg(rc == -want, "%s: validate returned %d, expected %d (%s)", what, rc,
			      -want, why);
	eu_check_msg(why[0] != 0, "%s: no message", what);
	errno = 0;
	r = eu_region_attach_mem((void *)img, len);
	eu_check_msg(r == NULL, "%s: attach_mem accepted it", what);
	eu_check_ieq(errno, -rc);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), why));
}

/* ------------------------------------------------------------ options */

START_TEST(test_opts_default)
{
	struct eu_region_opts o;

	memset(&o, 0xa5, sizeof(o));
	eu_region_opts_default(&o);
	ck_assert_uint_eq(o.size, sizeof(o));
	ck_assert_uint_eq(o.nslots, 4096);
	ck_assert_uint_eq(o.slot_size, 2048);
	ck_assert_uint_eq(o.headroom, 128);
	ck_assert_uint_eq(o.vr_slots, EU_VR_SLOTS_HALF);
	ck_assert_uint_eq(o.ring_size, 0);
	ck_assert_uint_eq(o.flags, 0);
	ck_assert_int_eq(o.numa_node, -1);
}
END_TEST

START_TEST(test_memsize)
{
	struct eu_region_opts o = small_opts();
	struct eu_region_hdr h;
	struct eu_region *r;
	int i;

	/* the same as the canonical layout of the same parameters */
	memset(&h, 0, sizeof(h));
	h.nslots = 64;
	h.slot_size = 128;
	h.headroom = 64;
	h.vr_slots = 32;
	for (i = 0; i < EU_RING_COUNT; i++)
		h.rings[i].size = 64;
	ck_assert_int_eq(eu_abi_layout(&h, 4096), 0);
	ck_assert_uint_eq(eu_region_memsize(&o), h.region_size);
	r = eu_region_create("anon", &o);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(eu_region_size(r), h.region_size);
	eu_region_destroy(r);
	ck_assert_uint_gt(eu_region_memsize(NULL), 4096ULL * 2048);

	/* invalid options: 0, errno EINVAL, a message */
#define BAD(field, value)                                                                  \
	do {                                                                               \
		o = small_opts();                                                          \
		o.field = value;                                                           \
		errno = 0;                                                                 \
		ck_assert_uint_eq(eu_region_memsize(&o), 0);                               \
		ck_assert_int_eq(errno, EINVAL);                                           \
		ck_assert_str_ne(eu_last_error(), "");                                     \
		ck_assert_ptr_null(eu_region_create("anon", &o));                          \
		ck_assert_int_eq(errno, EINVAL);                                           \
	} while (0)
	BAD(nslots, EU_MAX_SLOTS + 1);
	BAD(slot_size, 100);
	BAD(slot_size, 64);
	BAD(slot_size, EU_MAX_SLOT_SIZE + 64);
	BAD(headroom, 128);
	BAD(vr_slots, 65);
	BAD(ring_size, 3);
	BAD(ring_size, EU_MAX_RING_SIZE * 2);
	BAD(size, 0);
	BAD(size, 4);
	BAD(size, 1U << 20);
#undef BAD
	/* a ring size of 0 means the least power of two >= nslots */
	o = small_opts();
	o.nslots = 100;
	o.vr_slots = 50;
	o.ring_size = 0;
	r = eu_region_create("anon", &o);
	ck_assert_ptr_nonnull(r);
	for (i = 0; i < EU_RING_COUNT; i++)
		ck_assert_uint_eq(eu_region_header(r)->rings[i].size, 128);
	eu_region_destroy(r);
}
END_TEST

/*
 * An older caller's options struct is shorter: put it right before an
 * unreadable page, so a read past its `size` crashes the test.
 */
START_TEST(test_opts_older_caller)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const __u32 sizes[] = {
		offsetof(struct eu_region_opts, slot_size), /* size, nslots */
		offsetof(struct eu_region_opts, headroom),
		offsetof(struct eu_region_opts, vr_slots),
		offsetof(struct eu_region_opts, ring_size),
		offsetof(struct eu_region_opts, flags),
		offsetof(struct eu_region_opts, numa_node),
		sizeof(struct eu_region_opts),
	};
	size_t k;

	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		__u32 sz = sizes[k];
		struct eu_region_opts full;
		struct eu_region_opts *o = (struct eu_region_opts *)(map + pg - sz);
		const struct eu_region_hdr *h;
		struct eu_region *r;

		/* every field set to a non-default value; only the first sz bytes exist */
		full.size = sz;
		full.nslots = 256;
		full.slot_size = 256;
		full.headroom = 32;
		full.vr_slots = 10;
		full.ring_size = 512;
		full.flags = EU_REGION_O_RX_MP;
		full.numa_node = 0;
		memcpy(o, &full, sz);
		ck_assert_uint_ne(eu_region_memsize(o), 0);
		r = eu_region_create("anon", o);
		ck_assert_msg(r != NULL, "size %u: %s", sz, eu_last_error());
		h = eu_region_header(r);
		ck_assert_uint_eq(h->nslots, 256);
		ck_assert_uint_eq(h->slot_size, sz > offsetof(struct eu_region_opts, slot_size)
							? 256 : 2048);
		ck_assert_uint_eq(h->headroom, sz > offsetof(struct eu_region_opts, headroom)
						       ? 32 : 128);
		ck_assert_uint_eq(h->vr_slots, sz > offsetof(struct eu_region_opts, vr_slots)
						       ? 10 : 128);
		ck_assert_uint_eq(h->rings[EU_RING_FILL].size,
				  sz > offsetof(struct eu_region_opts, ring_size) ? 512 : 256);
		ck_assert_uint_eq(h->rings[EU_RING_RX].flags,
				  sz > offsetof(struct eu_region_opts, flags) ? EU_RING_F_MP : 0);
		eu_region_destroy(r);
		/* and on caller memory */
		{
			__u64 need = eu_region_memsize(o);
			void *mem = aligned_alloc(4096, need);

			r = eu_region_create_mem(mem, need, o);
			ck_assert_ptr_nonnull(r);
			ck_assert_uint_eq(eu_region_header(r)->nslots, 256);
			eu_region_destroy(r);
			free(mem);
		}
	}
	munmap(map, 2 * (size_t)pg);
}
END_TEST

/* ---------------------------------------------------------------- places */

static void check_fresh(struct eu_region *r, __u32 nslots, __u32 vr_slots)
{
	const struct eu_region_hdr *h = eu_region_header(r);
	struct eu_slots s;
	struct eu_audit a;
	char why[128];
	__u32 i;

	/* the handle's header is the validated one, equal to the shared one */
	ck_assert_mem_eq(h, eu_region_base(r), offsetof(struct eu_region_hdr, live_pad));
	ck_assert_uint_eq(h->magic, EU_REGION_MAGIC);
	ck_assert_uint_eq(h->nslots, nslots);
	ck_assert_uint_eq(h->vr_slots, vr_slots);
	ck_assert_uint_eq(h->hdr_check, eu_abi_hdr_check(h));
	ck_assert_uint_eq(shared_hdr(r)->vr_pid, 0);
	ck_assert_uint_eq(shared_hdr(r)->sw_pid, 0);
	ck_assert_int_eq(eu_region_validate(eu_region_base(r), eu_region_size(r), why,
					    sizeof(why)), 0);
	ck_assert_int_eq(eu_region_slots_view(r, EU_SIDE_VR, &s), 0);
	for (i = 0; i < nslots; i++) {
		ck_assert_uint_eq(eu_slot_word(&s, i), i < vr_slots ? EU_SLOT_VR_FREE
								     : EU_SLOT_SW_FREE);
		ck_assert_uint_eq(eu_slot_desc(&s, i)->off, h->headroom);
	}
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_int_eq(a.consistent, 1);
	ck_assert_uint_eq(a.total, nslots);
}

START_TEST(test_create_anon)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_region_stats st;
	size_t i;

	ck_assert_ptr_nonnull(r);
	check_fresh(r, 64, 32);
	ck_assert_int_eq(eu_region_fd(r), -1);
	ck_assert_int_eq(eu_region_is_huge(r), 0);
	ck_assert_uint_eq((uintptr_t)eu_region_base(r) % 4096, 0);
	eu_region_stats_read(r, &st);
	for (i = 0; i < sizeof(st); i++)
		ck_assert_uint_eq(((unsigned char *)&st)[i], 0);
	/* a region made with defaults */
	eu_region_destroy(r);
	r = eu_region_create("anon", NULL);
	ck_assert_ptr_nonnull(r);
	check_fresh(r, 4096, 2048);
	ck_assert_uint_eq(eu_region_header(r)->slot_size, 2048);
	ck_assert_uint_eq(eu_region_header(r)->headroom, 128);
	eu_region_destroy(r);
	/* NULL handles are no-ops */
	eu_region_destroy(NULL);
	eu_region_detach(NULL);
}
END_TEST

START_TEST(test_create_memfd_attach_fd)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("memfd:eu-unit", &o), *a;
	char link[64], target[256], where[32];
	ssize_t n;
	int fd, seals;
	struct stat st;

	ck_assert_ptr_nonnull(r);
	check_fresh(r, 64, 32);
	fd = eu_region_fd(r);
	ck_assert_int_ge(fd, 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = 0;
	ck_assert_msg(strstr(target, "memfd:eu-unit") != NULL, "fd is %s", target);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq((__u64)st.st_size, eu_region_size(r));
	/* a peer cannot shrink or grow it */
	seals = fcntl(fd, F_GET_SEALS);
	ck_assert_int_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW), F_SEAL_SHRINK | F_SEAL_GROW);
	ck_assert_int_lt(ftruncate(fd, 4096), 0);

	snprintf(where, sizeof(where), "fd:%d", fd);
	a = eu_region_attach(where);
	ck_assert_msg(a != NULL, "attach %s: %s", where, eu_last_error());
	ck_assert_ptr_ne(eu_region_base(a), eu_region_base(r)); /* its own mapping */
	ck_assert_mem_eq(eu_region_header(a), eu_region_header(r), sizeof(struct eu_region_hdr));
	ck_assert_int_ne(eu_region_fd(a), fd); /* duplicated */
	/* one memory: a write through either is seen through the other */
	((unsigned char *)eu_region_base(r))[eu_region_header(r)->bufs_off] = 0x42;
	ck_assert_uint_eq(((unsigned char *)eu_region_base(a))[eu_region_header(a)->bufs_off], 0x42);
	/* attach has no eventfds of its own */
	ck_assert_int_eq(eu_region_wake_fd(a, EU_RING_RX), -1);
	ck_assert_int_ge(eu_region_wake_fd(r, EU_RING_RX), 0);
	eu_region_detach(a);
	/* the creator's fd is still open after the attacher detached */
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	a = eu_region_attach_fd(fd);
	ck_assert_ptr_nonnull(a);
	eu_region_detach(a);
	eu_region_destroy(r);

	/* bad fd strings */
	ck_assert_ptr_null(eu_region_attach("fd:"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_attach("fd:abc"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_attach("fd:-1"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_attach("fd:3x"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_attach("fd:999999"));
	ck_assert_int_eq(errno, EBADF);
	ck_assert_str_ne(eu_last_error(), "");
	ck_assert_ptr_null(eu_region_attach_fd(-1));
	ck_assert_int_eq(errno, EBADF);
	/* memfd: and anon have no name to attach by */
	ck_assert_ptr_null(eu_region_attach("memfd:eu-unit"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "fd:N"));
	ck_assert_ptr_null(eu_region_attach("anon"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_attach("bogus:x"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_attach(NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_create("bogus:x", &o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "bogus:x"));
	ck_assert_ptr_null(eu_region_create(NULL, &o));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_create_shm)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r, *a;
	char name[64], where[80], prec[64];
	int fd;

	/* with EU_REGION_O_UNLINK: the name goes away on destroy */
	shm_name(name, sizeof(name));
	snprintf(where, sizeof(where), "shm:%s", name);
	o.flags = EU_REGION_O_UNLINK;
	r = eu_region_create(where, &o);
	ck_assert_msg(r != NULL, "%s", eu_last_error());
	check_fresh(r, 64, 32);
	ck_assert(shm_exists(name));
	a = eu_region_attach(where);
	ck_assert_msg(a != NULL, "%s", eu_last_error());
	ck_assert_mem_eq(eu_region_header(a), eu_region_header(r), sizeof(struct eu_region_hdr));
	((unsigned char *)eu_region_base(a))[eu_region_size(a) - 1] = 0x99;
	ck_assert_uint_eq(((unsigned char *)eu_region_base(r))[eu_region_size(r) - 1], 0x99);
	/* the name is never reused: a second create refuses */
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_str_ne(eu_last_error(), "");
	ck_assert(shm_exists(name)); /* and did not remove the first one's name */
	eu_region_detach(a);
	eu_region_destroy(r);
	ck_assert(!shm_exists(name));
	ck_assert_ptr_null(eu_region_attach(where));
	ck_assert_int_eq(errno, ENOENT);

	/* without it: the name (and the data) outlive destroy */
	shm_name(name, sizeof(name));
	snprintf(where, sizeof(where), "shm:%s", name);
	o.flags = 0;
	r = eu_region_create(where, &o);
	ck_assert_ptr_nonnull(r);
	((unsigned char *)eu_region_base(r))[eu_region_header(r)->bufs_off] = 0x77;
	eu_region_destroy(r);
	ck_assert(shm_exists(name));
	a = eu_region_attach(where);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(((unsigned char *)eu_region_base(a))[eu_region_header(a)->bufs_off], 0x77);
	eu_region_detach(a);
	ck_assert(shm_exists(name)); /* detach never removes names */
	shm_unlink(name);

	/* a name that exists already (not ours) is left alone */
	shm_name(prec, sizeof(prec));
	fd = shm_open(prec, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "precious", 8), 8);
	snprintf(where, sizeof(where), "shm:%s", prec);
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, EEXIST);
	{
		char buf[9] = { 0 };
		struct stat st;

		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_int_eq(st.st_size, 8);
		ck_assert_int_eq(pread(fd, buf, 8, 0), 8);
		ck_assert_str_eq(buf, "precious");
	}
	/* attaching it fails cleanly: too short for a header */
	ck_assert_ptr_null(eu_region_attach(where));
	ck_assert_int_eq(errno, EOVERFLOW);
	close(fd);
	shm_unlink(prec);

	/* malformed names */
	ck_assert_ptr_null(eu_region_create("shm:noslash", &o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "shm:/"));
	ck_assert_ptr_null(eu_region_create("shm:/a/b", &o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_create("shm:/", &o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_region_create("shm:", &o));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_create_file)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r, *a;
	struct tdir d;
	char path[128], where[160];
	struct stat st;
	int fd;

	tdir_init(&d);
	tdir_file(&d, "region", path, sizeof(path));
	snprintf(where, sizeof(where), "file:%s", path);
	r = eu_region_create(where, &o);
	ck_assert_msg(r != NULL, "%s", eu_last_error());
	check_fresh(r, 64, 32);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((__u64)st.st_size, eu_region_size(r));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	a = eu_region_attach(where);
	ck_assert_msg(a != NULL, "%s", eu_last_error());
	ck_assert_mem_eq(eu_region_header(a), eu_region_header(r), sizeof(struct eu_region_hdr));
	/* never overwrites a file: not even its own */
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "never overwritten"));
	eu_region_detach(a);
	eu_region_destroy(r); /* no UNLINK: the file stays, with the region in it */
	ck_assert(path_exists(path));
	a = eu_region_attach(where);
	ck_assert_ptr_nonnull(a);
	check_fresh(a, 64, 32);
	eu_region_detach(a);
	unlink(path);

	/* with UNLINK the file goes on destroy */
	o.flags = EU_REGION_O_UNLINK;
	r = eu_region_create(where, &o);
	ck_assert_ptr_nonnull(r);
	ck_assert(path_exists(path));
	eu_region_destroy(r);
	ck_assert(!path_exists(path));
	ck_assert_ptr_null(eu_region_attach(where));
	ck_assert_int_eq(errno, ENOENT);

	/* an existing file of someone else's is left exactly as it was */
	tdir_file(&d, "precious", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "precious", 8), 8);
	close(fd);
	snprintf(where, sizeof(where), "file:%s", path);
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 8);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	{
		char buf[9] = { 0 };

		fd = open(path, O_RDONLY);
		ck_assert_int_eq(read(fd, buf, 8), 8);
		close(fd);
		ck_assert_str_eq(buf, "precious");
	}
	ck_assert_ptr_null(eu_region_attach(where)); /* not a region */
	ck_assert_int_eq(errno, EOVERFLOW);
	unlink(path);
	/* a directory that does not exist */
	tdir_file(&d, "nodir/region", path, sizeof(path));
	snprintf(where, sizeof(where), "file:%s", path);
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), path));
	ck_assert_int_eq(tdir_count(&d), 0);
	tdir_fini(&d);
}
END_TEST

/* hugetlbfs at /dev/hugepages with free pages? */
static int have_hugetlbfs(void)
{
	struct statfs sf;
	FILE *f;
	char line[128];
	long free_pages = 0;

	if (statfs("/dev/hugepages", &sf) < 0 || (unsigned long)sf.f_type != HUGETLBFS_MAGIC)
		return 0;
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	fclose(f);
	return free_pages >= 2;
}

START_TEST(test_create_huge)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r, *a;
	struct tdir d;
	char path[128], where[160];

	tdir_init(&d);
	tdir_file(&d, "huge", path, sizeof(path));
	snprintf(where, sizeof(where), "huge:%s", path);
	/* /tmp is no hugetlbfs: a clear error naming it, and nothing left behind */
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert_msg(strstr(eu_last_error(), "hugetlbfs") != NULL, "message: %s",
		      eu_last_error());
	ck_assert_int_eq(tdir_count(&d), 0);
	/* the fallback must be asked for, and then works on normal pages */
	o.flags = EU_REGION_O_HUGE_FALLBACK | EU_REGION_O_UNLINK;
	r = eu_region_create(where, &o);
	ck_assert_msg(r != NULL, "%s", eu_last_error());
	ck_assert_int_eq(eu_region_is_huge(r), 0);
	check_fresh(r, 64, 32);
	ck_assert_int_ge(eu_region_fd(r), 0); /* a memfd, so it can still be handed over */
	eu_region_destroy(r);
	ck_assert_int_eq(tdir_count(&d), 0);
	/* a directory that does not exist: an error, not a fallback to it */
	o.flags = 0;
	ck_assert_ptr_null(eu_region_create("huge:/nonexistent-eu-unit/dir/x", &o));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_ne(eu_last_error(), "");
	tdir_fini(&d);

	if (!have_hugetlbfs()) {
		fprintf(stderr, "test_create_huge: no hugetlbfs with free pages at "
				"/dev/hugepages; real huge pages not tested\n");
		return;
	}
	snprintf(path, sizeof(path), "/dev/hugepages/eu-unit-%d", (int)getpid());
	snprintf(where, sizeof(where), "huge:%s", path);
	o.flags = EU_REGION_O_UNLINK;
	r = eu_region_create(where, &o);
	ck_assert_msg(r != NULL, "%s", eu_last_error());
	ck_assert_int_eq(eu_region_is_huge(r), 1);
	check_fresh(r, 64, 32);
	a = eu_region_attach(where);
	ck_assert_msg(a != NULL, "%s", eu_last_error());
	ck_assert_int_eq(eu_region_is_huge(a), 1);
	eu_region_detach(a);
	/* never overwrites */
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert(path_exists(path));
	eu_region_destroy(r);
	ck_assert(!path_exists(path));
}
END_TEST

START_TEST(test_caller_memory)
{
	struct eu_region_opts o = small_opts();
	__u64 need = eu_region_memsize(&o);
	unsigned char *mem = aligned_alloc(4096, need + 4096);
	struct eu_region *r, *a;

	ck_assert_ptr_nonnull(mem);
	/* too short, misaligned, NULL: refused, memory untouched */
	memset(mem, 0xcc, need + 4096);
	ck_assert_ptr_null(eu_region_create_mem(mem, need - 1, &o));
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_str_ne(eu_last_error(), "");
	ck_assert_ptr_null(eu_region_create_mem(mem + 8, need, &o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "aligned"));
	ck_assert_ptr_null(eu_region_create_mem(NULL, need, &o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(mem[0], 0xcc);
	ck_assert_uint_eq(mem[need - 1], 0xcc);

	r = eu_region_create_mem(mem, need, &o);
	ck_assert_msg(r != NULL, "%s", eu_last_error());
	ck_assert_ptr_eq(eu_region_base(r), mem);
	ck_assert_int_eq(eu_region_fd(r), -1);
	check_fresh(r, 64, 32);
	a = eu_region_attach_mem(mem, need);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(eu_region_base(a), mem);
	check_fresh(a, 64, 32);
	eu_region_detach(a);
	eu_region_destroy(r);
	/* the caller still owns the memory, and the region in it */
	ck_assert_int_eq(eu_region_validate(mem, need, NULL, 0), 0);
	ck_assert_ptr_null(eu_region_attach_mem(NULL, need));
	ck_assert_int_eq(errno, EINVAL);

	/* a line-aligned (not page-aligned) start is enough */
	r = eu_region_create_mem(mem + 64, need, &o);
	ck_assert_msg(r != NULL, "%s", eu_last_error());
	check_fresh(r, 64, 32);
	eu_region_destroy(r);
	free(mem);
}
END_TEST

/* A create that fails after making its backing store removes it again. */
START_TEST(test_failed_create_leaves_nothing)
{
	struct eu_region_opts o = small_opts();
	struct tdir d;
	char name[64], where[160], path[128];

	tdir_init(&d);
	o.numa_node = 1 << 20; /* refused after the name was made */
	shm_name(name, sizeof(name));
	snprintf(where, sizeof(where), "shm:%s", name);
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert(!shm_exists(name));
	tdir_file(&d, "region", path, sizeof(path));
	snprintf(where, sizeof(where), "file:%s", path);
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert(!path_exists(path));
	snprintf(where, sizeof(where), "huge:%s", path);
	o.flags = EU_REGION_O_HUGE_FALLBACK;
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert(!path_exists(path));
	/* bad options: nothing made in the first place */
	o = small_opts();
	o.slot_size = 100;
	snprintf(where, sizeof(where), "file:%s", path);
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!path_exists(path));
	snprintf(where, sizeof(where), "shm:%s", name);
	ck_assert_ptr_null(eu_region_create(where, &o));
	ck_assert(!shm_exists(name));
	ck_assert_int_eq(tdir_count(&d), 0);
	tdir_fini(&d);
}
END_TEST

START_TEST(test_numa)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r;

	o.numa_node = 0;
	r = eu_region_create("anon", &o);
	ck_assert_msg(r != NULL, "numa node 0: %s", eu_last_error());
	check_fresh(r, 64, 32);
	eu_region_destroy(r);
	o.numa_node = -1;
	r = eu_region_create("memfd:eu-numa", &o);
	ck_assert_ptr_nonnull(r);
	eu_region_destroy(r);
	o.numa_node = 4096;
	ck_assert_ptr_null(eu_region_create("anon", &o));
	ck_assert_msg(errno == ENODEV || errno == ENOTSUP, "errno %d", errno);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "NUMA node 4096"));
	o.numa_node = 0x7fffffff;
	ck_assert_ptr_null(eu_region_create("memfd:eu-numa", &o));
	ck_assert_str_ne(eu_last_error(), "");
}
END_TEST

/* ------------------------------------------------------------ corruption */

/* (a) random bytes: refused with one of the three errnos and a message. */
START_TEST(test_corrupt_random_bytes)
{
	int i, deep = 0;

	eu_t_seed();
	for (i = 0; i < 10000; i++) {
		__u64 len = i % 10 == 0 ? eu_t_range(0, 256) : eu_t_range(0, 16384);
		unsigned char *b = malloc(len ? len : 1);
		struct eu_region_hdr *h = (struct eu_region_hdr *)b;

		ck_assert_ptr_nonnull(b);
		eu_t_fill_random(b, len);
		/* a third get a plausible front so the deeper checks run */
		if (i % 3 == 1 && len >= sizeof(*h)) {
			h->magic = EU_REGION_MAGIC;
			h->abi_major = EU_ABI_MAJOR;
			h->abi_minor = EU_ABI_MINOR;
			h->hdr_size = sizeof(*h);
			if (i % 2)
				h->region_size = len - eu_t_range(0, len / 2);
			h->hdr_check = eu_abi_hdr_check(h);
			deep++;
		}
		expect_refused(b, len, len < sizeof(*h) ? EOVERFLOW : 0, "random bytes");
		/* no message buffer, or a tiny one: still refused, nothing overrun */
		eu_check(err_in_set(-eu_region_validate(b, len, NULL, 0)));
		{
			char tiny[3];

			eu_check(err_in_set(-eu_region_validate(b, len, tiny, sizeof(tiny))));
			ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
		}
		free(b);
	}
	ck_assert_int_gt(deep, 2500);
	eu_check_ieq(eu_region_validate(NULL, 4096, NULL, 0), -EINVAL);
}
END_TEST

/* (b) truncation: every length below the header, many below region_size. */
START_TEST(test_corrupt_truncated)
{
	__u64 len, full;
	unsigned char *img = valid_image(&full);
	const struct eu_region_hdr *h = (const struct eu_region_hdr *)img;
	int i;

	eu_check_ieq(eu_region_validate(img, full, NULL, 0), 0);
	for (len = 0; len <= sizeof(struct eu_region_hdr); len++) {
		unsigned char *c = malloc(len ? len : 1);

		memcpy(c, img, len);
		expect_refused(c, len, EOVERFLOW, "truncated header");
		free(c);
	}
	eu_t_seed();
	for (i = 0; i < 3000; i++) {
		unsigned char *c;

		switch (i) {
		case 0: len = full - 1; break;
		case 1: len = full - 64; break;
		case 2: len = h->bufs_off; break;
		case 3: len = h->bufs_off + 1; break;
		case 4: len = h->states_off; break;
		default: len = eu_t_range(sizeof(struct eu_region_hdr) + 1, full - 1);
		}
		c = malloc(len);
		memcpy(c, img, len);
		expect_refused(c, len, EOVERFLOW, "truncated region");
		free(c);
	}
	/* more than enough is fine */
	{
		unsigned char *c = calloc(1, full + 100);

		memcpy(c, img, full);
		eu_check_ieq(eu_region_validate(c, full + 100, NULL, 0), 0);
		free(c);
	}
	free(img);
}
END_TEST

/* (b) a truncated file and a too-short fd refuse to attach */
START_TEST(test_corrupt_truncated_file)
{
	struct eu_region_opts o = small_opts();
	struct tdir d;
	char path[128], where[160];
	struct eu_region *r;
	__u64 full;
	int fd;

	tdir_init(&d);
	tdir_file(&d, "r", path, sizeof(path));
	snprintf(where, sizeof(where), "file:%s", path);
	r = eu_region_create(where, &o);
	ck_assert_ptr_nonnull(r);
	full = eu_region_size(r);
	eu_region_destroy(r);
	ck_assert_int_eq(truncate(path, (off_t)full - 4096), 0);
	ck_assert_ptr_null(eu_region_attach(where));
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "truncated"));
	ck_assert_int_eq(truncate(path, 100), 0);
	fd = open(path, O_RDWR);
	ck_assert_ptr_null(eu_region_attach_fd(fd));
	ck_assert_int_eq(errno, EOVERFLOW);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_ptr_null(eu_region_attach_fd(fd));
	ck_assert_int_eq(errno, EOVERFLOW);
	close(fd);
	tdir_fini(&d);
}
END_TEST

/* The offset and size fields of the header, for the field corruptions. */
struct hfield {
	const char *name;
	size_t off;
	size_t size;
};

#define HF(f) { #f, offsetof(struct eu_region_hdr, f), sizeof(((struct eu_region_hdr *)0)->f) }
static const struct hfield hfields[] = {
	HF(hdr_size),	  HF(region_size),	   HF(nslots),
	HF(slot_size),	  HF(headroom),		   HF(vr_slots),
	HF(wake_off),	  HF(stats_off),	   HF(states_off),
	HF(descs_off),	  HF(bufs_off),		   HF(rings[0].off),
	HF(rings[0].size), HF(rings[0].flags),	   HF(rings[1].off),
	HF(rings[1].size), HF(rings[1].flags),	   HF(rings[2].off),
	HF(rings[2].size), HF(rings[2].flags),	   HF(rings[3].off),
	HF(rings[3].size), HF(rings[3].flags),
};
#define NHFIELDS (sizeof(hfields) / sizeof(hfields[0]))

static __u64 get_field(const unsigned char *img, const struct hfield *f)
{
	__u64 v64;
	__u32 v32;

	if (f->size == 8) {
		memcpy(&v64, img + f->off, 8);
		return v64;
	}
	memcpy(&v32, img + f->off, 4);
	return v32;
}

static void set_field(unsigned char *img, const struct hfield *f, __u64 v)
{
	__u32 v32 = (__u32)v;

	if (f->size == 8)
		memcpy(img + f->off, &v, 8);
	else
		memcpy(img + f->off, &v32, 4);
}

/* Apply one value to one field, recompute the check, expect refusal. */
static void corrupt_one(const unsigned char *img, __u64 len, const char *field, __u64 v, int want)
{
	unsigned char *c = malloc(len);
	char what[128];
	size_t i;

	memcpy(c, img, len);
	for (i = 0; i < NHFIELDS; i++)
		if (strcmp(hfields[i].name, field) == 0)
			break;
	eu_check_msg(i < NHFIELDS, "no field %s", field);
	set_field(c, &hfields[i], v);
	rehash(c);
	snprintf(what, sizeof(what), "%s = 0x%llx", field, (unsigned long long)v);
	expect_refused(c, len, want, what);
	free(c);
}

/* (c) each offset and size field out of range, with a valid header check. */
START_TEST(test_corrupt_fields)
{
	__u64 len;
	unsigned char *img = valid_image(&len);
	const struct eu_region_hdr *h = (const struct eu_region_hdr *)img;
	static const char *const offs[] = { "wake_off", "stats_off", "states_off", "descs_off",
					    "bufs_off", "rings[0].off", "rings[1].off",
					    "rings[2].off", "rings[3].off" };
	static const __u64 huge[] = { 0xffffffffffffffc0ULL, 0x8000000000000000ULL,
				      0xfffffffffffff000ULL, 0x100000000ULL, 0xffffffffffffffffULL,
				      0xffffffffffffff00ULL - 4096 };
	size_t i, j;
	char fname[32];

	ck_assert_int_eq(eu_region_validate(img, len, NULL, 0), 0);
	/* region_size: larger than the mapping, or too small for its sections */
	corrupt_one(img, len, "region_size", len + 1, EOVERFLOW);
	corrupt_one(img, len, "region_size", len + 4096, EOVERFLOW);
	corrupt_one(img, len, "region_size", 0xffffffffffffffffULL, EOVERFLOW);
	corrupt_one(img, len, "region_size", len - 64, EPROTO);
	corrupt_one(img, len, "region_size", h->bufs_off, EPROTO);
	corrupt_one(img, len, "region_size", 100, EPROTO);
	corrupt_one(img, len, "region_size", 0, EPROTO);
	/* parameters */
	corrupt_one(img, len, "nslots", 0, EPROTO);
	corrupt_one(img, len, "nslots", EU_MAX_SLOTS + 1, EPROTO);
	corrupt_one(img, len, "nslots", 0xffffffffU, EPROTO);
	corrupt_one(img, len, "nslots", 2 * h->nslots, EPROTO);   /* states into descs */
	corrupt_one(img, len, "nslots", h->nslots + 1, EPROTO);   /* buffers past the end */
	corrupt_one(img, len, "slot_size", 0, EPROTO);
	corrupt_one(img, len, "slot_size", 64, EPROTO);
	corrupt_one(img, len, "slot_size", 127, EPROTO);
	corrupt_one(img, len, "slot_size", 130, EPROTO);
	corrupt_one(img, len, "slot_size", EU_MAX_SLOT_SIZE + 64, EPROTO);
	corrupt_one(img, len, "slot_size", 0xffffffc0U, EPROTO);
	corrupt_one(img, len, "slot_size", 2 * h->slot_size, EPROTO); /* buffers past end */
	corrupt_one(img, len, "headroom", h->slot_size, EPROTO);
	corrupt_one(img, len, "headroom", 0xffffffffU, EPROTO);
	corrupt_one(img, len, "vr_slots", h->nslots + 1, EPROTO);
	corrupt_one(img, len, "vr_slots", 0xffffffffU, EPROTO);
	corrupt_one(img, len, "hdr_size", 0, EPROTO);
	corrupt_one(img, len, "hdr_size", sizeof(struct eu_region_hdr) - 1, EPROTO);
	corrupt_one(img, len, "hdr_size", sizeof(struct eu_region_hdr) + 64, EPROTO);
	/* each section: past the end, unaligned, onto another section, huge */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		const struct hfield *f = NULL;
		__u64 cur;

		for (j = 0; j < NHFIELDS; j++)
			if (strcmp(hfields[j].name, offs[i]) == 0)
				f = &hfields[j];
		ck_assert_ptr_nonnull(f);
		cur = get_field(img, f);
		corrupt_one(img, len, offs[i], h->region_size, EPROTO);
		corrupt_one(img, len, offs[i], h->region_size - 64, EPROTO);
		corrupt_one(img, len, offs[i], h->region_size + 4096, EPROTO);
		corrupt_one(img, len, offs[i], cur + 1, EPROTO);
		corrupt_one(img, len, offs[i], cur + 4, EPROTO);
		corrupt_one(img, len, offs[i], cur + 32, EPROTO);
		corrupt_one(img, len, offs[i], 0, EPROTO); /* onto the header */
		corrupt_one(img, len, offs[i], 64, EPROTO);
		for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
			const struct hfield *g = NULL;
			size_t k;

			if (j == i)
				continue;
			for (k = 0; k < NHFIELDS; k++)
				if (strcmp(hfields[k].name, offs[j]) == 0)
					g = &hfields[k];
			corrupt_one(img, len, offs[i], get_field(img, g), EPROTO);
			corrupt_one(img, len, offs[i], get_field(img, g) + 64, EPROTO);
		}
		for (j = 0; j < sizeof(huge) / sizeof(huge[0]); j++)
			corrupt_one(img, len, offs[i], huge[j], EPROTO);
	}
	/* ring sizes and flags */
	for (i = 0; i < EU_RING_COUNT; i++) {
		snprintf(fname, sizeof(fname), "rings[%zu].size", i);
		corrupt_one(img, len, fname, 0, EPROTO);
		corrupt_one(img, len, fname, 3, EPROTO);
		corrupt_one(img, len, fname, 96, EPROTO);
		corrupt_one(img, len, fname, EU_MAX_RING_SIZE * 2, EPROTO);
		corrupt_one(img, len, fname, 0x80000000U, EPROTO);
		corrupt_one(img, len, fname, 0xffffffffU, EPROTO);
		corrupt_one(img, len, fname, 128, EPROTO);            /* into the next section */
		corrupt_one(img, len, fname, EU_MAX_RING_SIZE, EPROTO); /* past the end */
		snprintf(fname, sizeof(fname), "rings[%zu].flags", i);
		corrupt_one(img, len, fname, 2, EPROTO);
		corrupt_one(img, len, fname, 0x80000001U, EPROTO);
	}
	free(img);
}
END_TEST

/*
 * An independent statement of "valid", for the differential fuzz below:
 * parameters in range, every section aligned, inside region_size (which is
 * inside the mapping), and no two sections overlapping.
 */
static int my_valid(const unsigned char *img, __u64 len)
{
	struct eu_region_hdr h;
	unsigned __int128 off[10], sz[10];
	int n = 0, i, j;

	memcpy(&h, img, sizeof(h));
	if (h.magic != EU_REGION_MAGIC || h.abi_major != EU_ABI_MAJOR ||
	    h.hdr_check != eu_abi_hdr_check(&h))
		return 0;
	if (h.hdr_size < sizeof(h) || (h.hdr_size > sizeof(h) && h.abi_minor <= EU_ABI_MINOR))
		return 0;
	if (h.region_size > len || h.nslots < 1 || h.nslots > EU_MAX_SLOTS)
		return 0;
	if (h.slot_size < 128 || h.slot_size > 65536 || h.slot_size % 64 ||
	    h.headroom >= h.slot_size || h.vr_slots > h.nslots)
		return 0;
	off[n] = 0, sz[n++] = h.hdr_size;
	off[n] = h.wake_off, sz[n++] = 4 * 64;
	off[n] = h.stats_off, sz[n++] = 640;
	for (i = 0; i < 4; i++) {
		__u32 s = h.rings[i].size;

		if (!s || s > EU_MAX_RING_SIZE || (s & (s - 1)) || (h.rings[i].flags & ~1U))
			return 0;
		off[n] = h.rings[i].off, sz[n++] = (128 + (__u64)s * 4 + 63) / 64 * 64;
	}
	off[n] = h.states_off, sz[n++] = (__u64)h.nslots * 4;
	off[n] = h.descs_off, sz[n++] = (__u64)h.nslots * 16;
	off[n] = h.bufs_off, sz[n++] = (__u64)h.nslots * h.slot_size;
	for (i = 0; i < n; i++) {
		if ((__u64)off[i] % 64 || off[i] + sz[i] > h.region_size)
			return 0;
		for (j = 0; j < i; j++)
			if (off[i] < off[j] + sz[j] && off[j] < off[i] + sz[i])
				return 0;
	}
	return 1;
}

START_TEST(test_corrupt_fields_fuzz)
{
	__u64 len;
	unsigned char *img = valid_image(&len);
	unsigned char *c = malloc(len);
	int iter, accepted = 0, refused = 0;

	eu_t_seed();
	eu_check(my_valid(img, len));
	for (iter = 0; iter < 30000; iter++) {
		int k, nf = (int)eu_t_range(1, 3), rc;
		char why[256];

		memcpy(c, img, len);
		for (k = 0; k < nf; k++) {
			const struct hfield *f = &hfields[eu_t_range(0, NHFIELDS - 1)];
			const struct hfield *g = &hfields[eu_t_range(0, NHFIELDS - 1)];
			__u64 cur = get_field(c, f), v;

			switch (eu_t_range(0, 9)) {
			case 0: v = eu_t_rand(); break;
			case 1: v = eu_t_range(0, 64); break;
			case 2: v = cur + 64 * eu_t_range(1, 8); break;
			case 3: v = cur - 64 * eu_t_range(1, 8); break;
			case 4: v = cur ^ (1ULL << eu_t_range(0, f->size * 8 - 1)); break;
			case 5: v = get_field(c, g); break;
			case 6: v = len - 64 * eu_t_range(0, 4); break;
			case 7: v = ~0ULL - eu_t_range(0, 4096); break;
			case 8: v = cur * 2; break;
			default: v = cur / 2;
			}
			set_field(c, f, v);
		}
		rehash(c);
		why[0] = 0;
		rc = eu_region_validate(c, len, why, sizeof(why));
		eu_check_msg((rc == 0) == my_valid(c, len),
			      "iteration %d: validate %d (%s) but independent check says %s", iter,
			      rc, why, my_valid(c, len) ? "valid" : "invalid");
		if (rc) {
			eu_check(err_in_set(-rc));
			eu_check(why[0] != 0);
			refused++;
		} else {
			accepted++;
		}
	}
	ck_assert_int_gt(refused, 20000);
	ck_assert_int_gt(accepted, 100); /* the fuzz also reaches valid headers */
	free(c);
	free(img);
}
END_TEST

/* (d) a single flipped bit anywhere in the immutable header, and in hdr_check. */
START_TEST(test_corrupt_bit_flips)
{
	__u64 len;
	unsigned char *img = valid_image(&len);
	unsigned char *c = malloc(len);
	size_t i;
	int bit;

	for (i = 0; i < offsetof(struct eu_region_hdr, live_pad); i++) {
		for (bit = 0; bit < 8; bit++) {
			int want = EPROTO;
			char what[64];

			if (i >= offsetof(struct eu_region_hdr, abi_major) &&
			    i < offsetof(struct eu_region_hdr, abi_minor))
				want = ENOEXEC;
			memcpy(c, img, len);
			c[i] ^= (unsigned char)(1U << bit);
			snprintf(what, sizeof(what), "byte %zu bit %d", i, bit);
			expect_refused(c, len, want, what);
		}
	}
	/* the live fields may change at any time: still valid */
	for (i = offsetof(struct eu_region_hdr, live_pad); i < sizeof(struct eu_region_hdr); i++) {
		memcpy(c, img, len);
		c[i] ^= 0xff;
		eu_check_ieq(eu_region_validate(c, len, NULL, 0), 0);
	}
	free(c);
	free(img);
}
END_TEST

/* (e) wrong magic, another ABI major; a newer minor is compatible. */
START_TEST(test_corrupt_magic_abi)
{
	__u64 len;
	unsigned char *img = valid_image(&len);
	unsigned char *c = malloc(len);
	struct eu_region_hdr *h = (struct eu_region_hdr *)c;
	static const __u32 magics[] = { 0, 0xffffffffU, 0x4555524fU /* byte-swapped */,
					EU_REGION_MAGIC ^ 1 };
	static const __u16 majors[] = { 0, EU_ABI_MAJOR + 1, 0xffff };
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		memcpy(c, img, len);
		h->magic = magics[i];
		rehash(c);
		expect_refused(c, len, EPROTO, "magic");
		ck_assert_int_eq(eu_region_validate(c, len, why, sizeof(why)), -EPROTO);
		ck_assert_ptr_nonnull(strstr(why, "magic"));
	}
	for (i = 0; i < sizeof(majors) / sizeof(majors[0]); i++) {
		memcpy(c, img, len);
		h->abi_major = majors[i];
		rehash(c);
		expect_refused(c, len, ENOEXEC, "abi major");
		ck_assert_int_eq(eu_region_validate(c, len, why, sizeof(why)), -ENOEXEC);
		ck_assert_ptr_nonnull(strstr(why, "ABI"));
	}
	/* a newer minor of the same major is accepted */
	memcpy(c, img, len);
	h->abi_minor = EU_ABI_MINOR + 1;
	rehash(c);
	ck_assert_int_eq(eu_region_validate(c, len, why, sizeof(why)), 0);
	/* but a wrong major wins over a wrong check: the message says which */
	memcpy(c, img, len);
	h->abi_major = 2;
	ck_assert_int_eq(eu_region_validate(c, len, why, sizeof(why)), -ENOEXEC);
	free(c);
	free(img);
}
END_TEST

/* ------------------------------------------------------------------ audit */

START_TEST(test_audit)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_audit a;
	struct eu_slots sw, vr;
	struct eu_ring fill;
	__u32 s, sum;
	__u32 one = 5;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_uint_eq(a.total, 64);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_FREE], 32);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_FREE], 32);
	ck_assert_uint_eq(a.owned[EU_SIDE_VR], 32);
	ck_assert_uint_eq(a.owned[EU_SIDE_SWITCH], 32);
	ck_assert_uint_eq(a.in_flight, 0);
	ck_assert_int_eq(a.consistent, 1);
	ck_assert_int_eq(eu_region_audit(NULL, &a), -EINVAL);
	ck_assert_int_eq(eu_region_audit(r, NULL), -EINVAL);

	ck_assert_int_eq(eu_region_slots_view(r, EU_SIDE_VR, &vr), 0);
	ck_assert_int_eq(eu_region_slots_view(r, EU_SIDE_SWITCH, &sw), 0);
	ck_assert_int_eq(eu_region_ring_view(r, EU_RING_FILL, 1, &fill), 0);
	/* a slot moved to FILL but not on the ring: inconsistent */
	ck_assert_int_eq(eu_slot_move(&vr, 5, EU_SLOT_VR_FREE, EU_SLOT_FILL), 0);
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_uint_eq(a.total, 64);
	ck_assert_uint_eq(a.state[EU_SLOT_FILL], 1);
	ck_assert_uint_eq(a.in_flight, 1);
	ck_assert_uint_eq(a.ring_count[EU_RING_FILL], 0);
	ck_assert_int_eq(a.consistent, 0);
	/* now on the ring as well: consistent (a quiescent hand-over) */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&fill, &one, 1), 1);
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_uint_eq(a.ring_count[EU_RING_FILL], 1);
	ck_assert_int_eq(a.consistent, 1);
	/* one more ring entry than FILL slots: inconsistent */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&fill, &one, 1), 1);
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_int_eq(a.consistent, 0);
	ck_assert_uint_eq(a.total, 64);
	/* corrupt state bytes count as INVALID, totals still add up */
	vr.state[7] = 0x1234ff;
	vr.state[8] = 0;
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_uint_eq(a.state[EU_SLOT_INVALID], 2);
	for (s = 0, sum = 0; s < EU_SLOT_STATE_COUNT; s++)
		sum += a.state[s];
	ck_assert_uint_eq(sum, 64);
	ck_assert_uint_eq(a.total, 64);
	ck_assert_int_eq(a.consistent, 0);
	eu_region_destroy(r);
}
END_TEST

/* A quiescent region after real traffic through eu_vr / eu_sw is consistent. */
START_TEST(test_audit_after_traffic)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_vr vr;
	struct eu_sw sw;
	struct eu_audit a;
	__u32 idx[16], n, m, i;
	struct eu_txpkt pk[16];
	int round;

	ck_assert_ptr_nonnull(r);
	eu_check_ieq(eu_sw_init(&sw, r), 0);
	eu_check_ieq(eu_vr_init(&vr, r), 0);
	eu_t_seed();
	for (round = 0; round < 2000; round++) {
		n = eu_sw_rx_alloc(&sw, idx, (__u32)eu_t_range(1, 16));
		for (i = 0; i < n; i++)
			eu_sw_desc(&sw, idx[i])->len = 60;
		eu_check_ueq(eu_sw_rx_publish(&sw, idx, n), n);
		n = eu_vr_rx_burst(&vr, idx, 16);
		m = (__u32)eu_t_range(0, n);
		eu_check_ueq(eu_vr_tx_burst(&vr, idx, m), m);
		eu_check_ueq(eu_vr_free_burst(&vr, idx + m, n - m), n - m);
		n = eu_sw_tx_burst(&sw, pk, 16);
		for (i = 0; i < n; i++)
			idx[i] = pk[i].idx;
		eu_check_ueq(eu_sw_free_burst(&sw, idx, n), n);
		eu_check_ieq(eu_region_audit(r, &a), 0);
		eu_check_ueq(a.total, 64);
		eu_check_ieq(a.consistent, 1);
		eu_check_ueq(a.state[EU_SLOT_VR_BUSY] + a.state[EU_SLOT_SW_BUSY] +
					  a.state[EU_SLOT_INVALID],
				  0);
	}
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(r);
}
END_TEST

/* ---------------------------------------------------------------- reclaim */

/* Forward a few frames both ways and check their bytes. */
static void forward_check(struct eu_vr *vr, struct eu_sw *sw, int frames)
{
	__u32 idx[8], n, i, got = 0;
	struct eu_txpkt pk[8];

	while (got < (__u32)frames) {
		n = eu_sw_rx_alloc(sw, idx, 8);
		ck_assert_uint_gt(n, 0);
		for (i = 0; i < n; i++) {
			struct eu_desc *d = eu_sw_desc(sw, idx[i]);

			d->len = 64;
			memset(eu_sw_buf(sw, idx[i]) + d->off, (int)(got + i) & 0xff, 64);
		}
		ck_assert_uint_eq(eu_sw_rx_publish(sw, idx, n), n);
		ck_assert_uint_eq(eu_vr_rx_burst(vr, idx, 8), n);
		for (i = 0; i < n; i++) {
			unsigned char *p = eu_vr_data(vr, idx[i]);

			ck_assert_uint_eq(eu_vr_desc(vr, idx[i])->len, 64);
			ck_assert_uint_eq(p[0], (got + i) & 0xff);
			ck_assert_uint_eq(p[63], (got + i) & 0xff);
			p[0] ^= 0xff;
		}
		ck_assert_uint_eq(eu_vr_tx_burst(vr, idx, n), n);
		ck_assert_uint_eq(eu_sw_tx_burst(sw, pk, 8), n);
		for (i = 0; i < n; i++) {
			ck_assert_uint_eq(pk[i].idx, idx[i]);
			ck_assert_uint_eq(pk[i].len, 64);
			ck_assert_uint_eq(eu_sw_buf(sw, pk[i].idx)[pk[i].off], ((got + i) & 0xff) ^ 0xff);
		}
		ck_assert_uint_eq(eu_sw_free_burst(sw, idx, n), n);
		got += n;
	}
}

START_TEST(test_reclaim_dead_vr)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_region_stats st;
	struct eu_audit a;
	struct eu_sw sw;
	struct eu_vr vr;
	__u32 idx[8], held, i;
	pid_t pid;
	int status, n;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(eu_sw_init(&sw, r), 0);
	/* RX in flight: 4 frames published */
	ck_assert_uint_eq(eu_sw_rx_alloc(&sw, idx, 4), 4);
	for (i = 0; i < 4; i++)
		eu_sw_desc(&sw, idx[i])->len = 60;
	ck_assert_uint_eq(eu_sw_rx_publish(&sw, idx, 4), 4);
	/* COMP in flight: 3 free slots given to the VR */
	ck_assert_uint_eq(eu_sw_give(&sw, 3), 3);
	/* the switch holds one SW_BUSY slot of its own: it must stay the switch's */
	ck_assert_uint_eq(eu_sw_rx_alloc(&sw, &held, 1), 1);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the VR: grab slots in every VR-side state, then die without cleaning up */
		struct eu_vr v;
		__u32 k[8];
		int ok = 1;

		ok &= eu_vr_init(&v, r) == 0;
		ok &= eu_vr_rx_burst(&v, k, 2) == 2;          /* 2 VR_BUSY, 2 stay RX */
		ok &= eu_vr_alloc_burst(&v, k + 2, 3) == 3;   /* 3 VR_BUSY */
		eu_vr_desc(&v, k[2])->len = 60;
		eu_vr_desc(&v, k[3])->len = 60;
		ok &= eu_vr_tx_burst(&v, k + 2, 2) == 2;      /* 2 TX */
		ok &= eu_vr_fill(&v, 5) == 5;                 /* 5 FILL */
		_exit(ok ? 0 : 1);                            /* 24 VR_FREE left in its cache */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(shared_hdr(r)->vr_pid, (__u32)pid); /* it did not detach */

	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_FREE], 24);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_BUSY], 3);
	ck_assert_uint_eq(a.state[EU_SLOT_RX], 2);
	ck_assert_uint_eq(a.state[EU_SLOT_COMP], 3);
	ck_assert_uint_eq(a.state[EU_SLOT_TX], 2);
	ck_assert_uint_eq(a.state[EU_SLOT_FILL], 5);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_BUSY], 1);
	ck_assert_uint_eq(a.total, 64);
	ck_assert_int_eq(a.consistent, 1);

	n = eu_sw_reclaim(&sw);
	ck_assert_int_eq(n, 24 + 3 + 2 + 3 + 2 + 5);
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_int_eq(a.consistent, 1);
	ck_assert_uint_eq(a.total, 64);
	ck_assert_uint_eq(a.in_flight, 0);
	for (i = 0; i < EU_RING_COUNT; i++)
		ck_assert_uint_eq(a.ring_count[i], 0);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_FREE], 32);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_FREE], 31);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_BUSY], 1);
	ck_assert_uint_eq(eu_state_of(eu_slot_word(&sw.slots, held)), EU_SLOT_SW_BUSY);
	ck_assert_uint_eq(shared_hdr(r)->vr_pid, 0);
	eu_region_stats_read(r, &st);
	ck_assert_uint_eq(st.slot[EU_SIDE_SWITCH].reclaimed, (__u64)n);
	ck_assert_uint_eq(sw.cache.count, 31);

	/* a new VR attaches and forwarding works again */
	ck_assert_int_eq(eu_vr_init(&vr, r), 0);
	ck_assert_uint_eq(vr.cache.count, 32);
	forward_check(&vr, &sw, 200);
	ck_assert_uint_eq(eu_sw_free_burst(&sw, &held, 1), 1);
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_int_eq(a.consistent, 1);
	ck_assert_uint_eq(a.owned[EU_SIDE_VR] + a.owned[EU_SIDE_SWITCH] + a.in_flight, 64);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_BUSY] + a.state[EU_SLOT_SW_BUSY], 0);
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(r);
}
END_TEST

/* The switch dies instead: the VR keeps its busy slots, the rest is reset. */
START_TEST(test_reclaim_dead_switch)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_audit a;
	struct eu_vr vr;
	struct eu_sw sw;
	__u32 idx[4], i;
	int n;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(eu_sw_init(&sw, r), 0);
	ck_assert_int_eq(eu_vr_init(&vr, r), 0);
	ck_assert_uint_eq(eu_sw_rx_alloc(&sw, idx, 4), 4);   /* 4 SW_BUSY */
	ck_assert_uint_eq(eu_sw_rx_publish(&sw, idx, 2), 2); /* 2 RX */
	ck_assert_uint_eq(eu_vr_alloc_burst(&vr, idx, 3), 3); /* 3 VR_BUSY: kept */
	ck_assert_uint_eq(eu_vr_fill(&vr, 4), 4);             /* 4 FILL */
	eu_sw_fini(&sw);
	n = eu_region_reclaim(r, EU_SIDE_SWITCH);
	/* reclaimed: 2 SW_BUSY + 2 RX + 4 FILL in flight, and the gone side's 28 SW_FREE */
	ck_assert_int_eq(n, 2 + 2 + 4 + 28);
	ck_assert_int_eq(eu_region_audit(r, &a), 0);
	ck_assert_int_eq(a.consistent, 1);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_BUSY], 3);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(eu_state_of(eu_slot_word(&vr.slots, idx[i])), EU_SLOT_VR_BUSY);
	ck_assert_uint_eq(a.in_flight, 0);
	ck_assert_int_eq(eu_region_reclaim(r, 2), -EINVAL);
	ck_assert_int_eq(eu_region_reclaim(r, -1), -EINVAL);
	ck_assert_int_eq(eu_region_reclaim(NULL, EU_SIDE_VR), -EINVAL);
	eu_vr_fini(&vr);
	eu_region_destroy(r);
}
END_TEST

START_TEST(test_ring_view_errors)
{
	struct eu_region_opts o = small_opts();
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_ring v;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(eu_region_ring_view(r, EU_RING_COUNT, 1, &v), -EINVAL);
	ck_assert_int_eq(eu_region_ring_view(r, -1, 0, &v), -EINVAL);
	ck_assert_int_eq(eu_region_ring_view(NULL, 0, 0, &v), -EINVAL);
	ck_assert_int_eq(eu_region_ring_view(r, 0, 0, NULL), -EINVAL);
	ck_assert_str_ne(eu_last_error(), "");
	ck_assert_int_eq(eu_region_ring_view(r, EU_RING_TX, 0, &v), 0);
	ck_assert_uint_eq(v.size, 64);
	eu_region_destroy(r);
}
END_TEST

static Suite *region_suite(void)
{
	Suite *s = suite_create("region");
	TCase *place = tcase_create("place");
	TCase *corrupt = tcase_create("corruption");
	TCase *audit = tcase_create("audit");

	tcase_set_timeout(place, 30);
	tcase_add_test(place, test_opts_default);
	tcase_add_test(place, test_memsize);
	tcase_add_test(place, test_opts_older_caller);
	tcase_add_test(place, test_create_anon);
	tcase_add_test(place, test_create_memfd_attach_fd);
	tcase_add_test(place, test_create_shm);
	tcase_add_test(place, test_create_file);
	tcase_add_test(place, test_create_huge);
	tcase_add_test(place, test_caller_memory);
	tcase_add_test(place, test_failed_create_leaves_nothing);
	tcase_add_test(place, test_numa);
	tcase_add_test(place, test_ring_view_errors);
	suite_add_tcase(s, place);

	tcase_set_timeout(corrupt, 60);
	tcase_add_test(corrupt, test_corrupt_random_bytes);
	tcase_add_test(corrupt, test_corrupt_truncated);
	tcase_add_test(corrupt, test_corrupt_truncated_file);
	tcase_add_test(corrupt, test_corrupt_fields);
	tcase_add_test(corrupt, test_corrupt_fields_fuzz);
	tcase_add_test(corrupt, test_corrupt_bit_flips);
	tcase_add_test(corrupt, test_corrupt_magic_abi);
	suite_add_tcase(s, corrupt);

	tcase_set_timeout(audit, 30);
	tcase_add_test(audit, test_audit);
	tcase_add_test(audit, test_audit_after_traffic);
	tcase_add_test(audit, test_reclaim_dead_vr);
	tcase_add_test(audit, test_reclaim_dead_switch);
	suite_add_tcase(s, audit);
	return s;
}

int main(void)
{
	return eu_t_run(region_suite());
}
