/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_common.h - helpers shared by the stress programs: a
 * small PRNG, a monotonic clock, CPU pinning, a process-shared control block
 * for reporting the first failure, and the count scaling of sanitizer builds.
 *
 * Not a test itself: CMake builds only the .c files of tests/stress/.
 */
#ifndef EU_STRESS_COMMON_H
#define EU_STRESS_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>

/*
 * Sanitizer builds run the same programs with smaller default counts, so the
 * whole stress label stays within the time budget (an explicit --count always
 * wins). GCC defines __SANITIZE_*__; clang has __has_feature().
 */
#if defined(__SANITIZE_THREAD__)
#define ST_SANITIZER "tsan"
#elif defined(__SANITIZE_ADDRESS__)
#define ST_SANITIZER "asan"
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ST_SANITIZER "tsan"
#elif __has_feature(address_sanitizer)
#define ST_SANITIZER "asan"
#endif
#endif
#ifndef ST_SANITIZER
#define ST_SANITIZER ""
#endif

/* The default count for this build: plain, ASan+UBSan, or TSan. */
static inline uint64_t st_scale(uint64_t plain, uint64_t asan, uint64_t tsan)
{
	if (strcmp(ST_SANITIZER, "tsan") == 0)
		return tsan;
	if (strcmp(ST_SANITIZER, "asan") == 0)
		return asan;
	return plain;
}

/* xorshift64*: fast, good enough to vary bursts and delays. */
static inline uint64_t st_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in 1..max (max >= 1). */
static inline uint32_t st_rand_1(uint64_t *s, uint32_t max)
{
	return (uint32_t)((st_rand(s) >> 32) % max) + 1;
}

static inline uint64_t st_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void st_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * One empty poll of a busy-polling loop: spin, but after 256 empty polls in a
 * row yield the CPU at each one. On an idle machine with pinned threads that
 * costs nothing; on a loaded one it stops us burning whole time slices while
 * the thread we wait for is not running. Reset *streak to 0 on work.
 */
static inline void st_idle(uint32_t *streak)
{
	if (++*streak > 256)
		sched_yield();
	else
		st_relax();
}

static inline void st_sleep_us(uint32_t us)
{
	struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Pin the calling thread to `cpu`, one of st_cpu_nth() taken before anything
 * was pinned (a new thread inherits its creator's mask, so it cannot check
 * its own). Returns 1 if pinned, 0 if not (the caller runs unpinned).
 */
static inline int st_pin(int cpu)
{
	cpu_set_t one;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return 0;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) == 0;
}

/* Number of CPUs this process may run on. */
static inline int st_ncpus(void)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return 1;
	return CPU_COUNT(&allowed);
}

/* The n-th CPU (0-based) this process may run on, or -1. */
static inline int st_cpu_nth(int n)
{
	cpu_set_t allowed;
	int c;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -1;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed) && n-- == 0)
			return c;
	return -1;
}

/*
 * Control block shared by the sides of a test (threads, or processes over a
 * MAP_SHARED mapping made before fork). The first failure wins: it takes
 * `failed` (0 -> 1), writes its message, then sets `msg_ready`.
 */
struct st_ctl {
	int failed;    /* someone failed: everybody stops */
	int msg_ready; /* msg[] is complete (release) */
	char msg[1024];
};

static inline struct st_ctl *st_ctl_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap control block");
		exit(2);
	}
	memset(p, 0, size);
	return p;
}

static inline int st_failed(const struct st_ctl *c)
{
	return __atomic_load_n(&c->failed, __ATOMIC_ACQUIRE);
}

/* Record the first failure (later ones are only printed). Returns -1. */
static inline int st_fail(struct st_ctl *c, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int st_fail(struct st_ctl *c, const char *who, const char *fmt, ...)
{
	char buf[sizeof(c->msg)];
	int expect = 0;
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", who);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (__atomic_compare_exchange_n(&c->failed, &expect, 1, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		memcpy(c->msg, buf, sizeof(buf));
		__atomic_store_n(&c->msg_ready, 1, __ATOMIC_RELEASE);
	} else {
		fprintf(stderr, "(later failure) %s\n", buf);
	}
	return -1;
}

/* Print the recorded failure, if any. Returns 1 if there was one. */
static inline int st_report(struct st_ctl *c, const char *prog)
{
	if (!st_failed(c))
		return 0;
	if (__atomic_load_n(&c->msg_ready, __ATOMIC_ACQUIRE))
		fprintf(stderr, "%s: FAIL: %s\n", prog, c->msg);
	else
		fprintf(stderr, "%s: FAIL (no message recorded)\n", prog);
	return 1;
}

/* Parse an unsigned number with an optional k/M/G suffix (powers of 10). */
static inline int st_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1000ULL, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1000000ULL, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1000000000ULL, end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

#endif /* EU_STRESS_COMMON_H */
