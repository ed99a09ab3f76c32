/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/bench_util.h - helpers the benchmark programs share (private to bench/).
 *
 * The including file defines BENCH_PROG (its name, the prefix of its error
 * messages) before including this header. Everything is static inline, so a
 * program that does not use a helper gets no unused-function warning.
 */
#ifndef EU_BENCH_UTIL_H
#define EU_BENCH_UTIL_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before any include (pthread_setaffinity_np)"
#endif
#ifndef BENCH_PROG
#error "define BENCH_PROG (the program's name) before including bench_util.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Print "BENCH_PROG: <message>" on stderr and exit(1). */
static inline void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static inline void die(const char *fmt, ...)
{
	va_list ap;

	fputs(BENCH_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Time stamp counter (CLOCK_MONOTONIC nanoseconds where there is none). */
static inline __attribute__((always_inline)) uint64_t rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

/*
 * rdtsc() ticks per second, against CLOCK_MONOTONIC over 100 ms of busy
 * waiting (no sleep: the end points are not delayed by a wake-up).
 */
static inline double tsc_hz(void)
{
	struct timespec a, b;
	uint64_t t0, t1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = rdtsc();
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	} while (ns < 100e6);
	t1 = rdtsc();
	return (double)(t1 - t0) * 1e9 / ns;
}

/* Pin the calling thread to one CPU: 0 or -errno. */
static inline int pin_try(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Pin the calling thread to one CPU or die; hint follows the CPU number in the message. */
static inline void pin(int cpu, const char *hint)
{
	if (pin_try(cpu))
		die("cannot pin to CPU %d%s", cpu, hint);
}

/*
 * The program's --rt (enabled): make the calling thread SCHED_FIFO (on) or
 * SCHED_OTHER again (off); does nothing when not enabled.
 */
static inline void rt_set(int enabled, int on)
{
	struct sched_param sp = {.sched_priority = on ? 10 : 0};

	if (enabled && pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &sp))
		die("--rt: cannot switch to SCHED_FIFO (needs root or CAP_SYS_NICE)");
}

/* qsort() comparator for doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n) (v untouched); its min in *mn, max in *mx unless NULL; 0 if n is 0. */
static inline double median(const double *v, unsigned n, double *mn, double *mx)
{
	double *s, med;

	if (!n) {
		if (mn)
			*mn = 0;
		if (mx)
			*mx = 0;
		return 0;
	}
	s = malloc(n * sizeof(*s));
	if (!s)
		die("out of memory");
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	if (mn)
		*mn = s[0];
	if (mx)
		*mx = s[n - 1];
	free(s);
	return med;
}

#endif /* EU_BENCH_UTIL_H */
