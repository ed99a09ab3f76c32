/* SPDX-License-Identifier: BSD-2-Clause */
/* lib/internal.h - private to libeuropa: not installed. */
#ifndef EUROPA_INTERNAL_H
#define EUROPA_INTERNAL_H

#include <errno.h>
#include <stdarg.h>

#include <europa/europa.h>

enum eu_backing {
	EU_BACK_MEM = 0, /* caller memory: not ours to unmap */
	EU_BACK_ANON,
	EU_BACK_MEMFD,
	EU_BACK_SHM,
	EU_BACK_FILE,
	EU_BACK_HUGE,
	EU_BACK_FD,
	EU_BACK_KDEV /* mapped from /dev/europa (lib/kdev.c): wake fds are the device */
};

struct eu_region {
	unsigned char *base;
	__u64 len;      /* bytes mapped */
	int fd;         /* -1 if none */
	int backing;    /* enum eu_backing */
	int created;    /* we made it (destroy), or attached (detach) */
	int huge;
	__u32 flags;    /* EU_REGION_O_* at creation */
	char *name;     /* shm name or path to unlink, NULL if none */
	int wake_fd[EU_RING_COUNT];
	struct eu_region_hdr *hdr; /* shared: only its live fields are read after attach */
	struct eu_region_hdr h;    /* private copy of the header as validated: the other
				      side may rewrite the shared one, so sizes and offsets
				      are always taken from here */
};

/*
 * Record a message for eu_last_error() and return -err. The message names
 * the cause and the fix.
 */
int eu_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, for functions returning a pointer: sets errno, returns NULL. */
void *eu_err_null(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lay out and initialise a region on `mem` (len bytes, zeroed or not). */
int eu_region_format(void *mem, __u64 len, const struct eu_region_opts *o, __u32 buf_align);

/* Fill a header's parameters from options (defaults applied). */
int eu_region_params(const struct eu_region_opts *in, struct eu_region_hdr *h);

/*
 * Validate len bytes at mem as a region and copy the header it validated to
 * *out (one read of the shared header). Same returns as eu_region_validate().
 */
int eu_region_validate_copy(const void *mem, __u64 len, char *why, size_t whylen,
			    struct eu_region_hdr *out);

/* The pid recorded by `side`, if that process is still alive (else 0). */
int eu_region_live_pid(const struct eu_region *r, int side);

#endif /* EUROPA_INTERNAL_H */
