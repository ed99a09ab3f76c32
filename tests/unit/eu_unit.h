/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/eu_unit.h - helpers shared by the Check suites in tests/unit/.
 *
 * Not a test itself (only test_*.c files become CTest tests). Every suite
 * runs in Check's fork mode (the default; CTest sets CK_FORK=yes), so a test
 * may crash, fork or leave a region mapped without affecting the others.
 */
#ifndef EU_UNIT_H
#define EU_UNIT_H

#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <europa/europa.h>

/*
 * Cheap checks for hot loops. In fork mode every passing ck_assert_*() reports
 * its location to the parent through a pipe (one write(2) each), which makes a
 * loop of a million assertions slow under sanitizers; these call into Check
 * only when they fail, with the same kind of message.
 */
#define eu_check(expr)                                                                     \
	do {                                                                               \
		if (!(expr))                                                               \
			ck_abort_msg("Assertion '%s' failed", #expr);                      \
	} while (0)
#define eu_check_msg(expr, ...)                                                            \
	do {                                                                               \
		if (!(expr))                                                               \
			ck_abort_msg(__VA_ARGS__);                                         \
	} while (0)
#define eu_check_ueq(a, b)                                                                 \
	do {                                                                               \
		unsigned long long eu_a_ = (unsigned long long)(a);                        \
		unsigned long long eu_b_ = (unsigned long long)(b);                        \
		if (eu_a_ != eu_b_)                                                        \
			ck_abort_msg("Assertion '%s == %s' failed: %llu != %llu", #a, #b,  \
				     eu_a_, eu_b_);                                        \
	} while (0)
#define eu_check_ieq(a, b)                                                                 \
	do {                                                                               \
		long long eu_a_ = (long long)(a);                                          \
		long long eu_b_ = (long long)(b);                                          \
		if (eu_a_ != eu_b_)                                                        \
			ck_abort_msg("Assertion '%s == %s' failed: %lld != %lld", #a, #b,  \
				     eu_a_, eu_b_);                                        \
	} while (0)

/* Deterministic PRNG (xorshift64*): reproducible runs; EU_TEST_SEED overrides. */
static uint64_t eu_t_rng_state;

static inline void eu_t_seed(void)
{
	const char *s = getenv("EU_TEST_SEED");

	eu_t_rng_state = s ? strtoull(s, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (!eu_t_rng_state)
		eu_t_rng_state = 1;
}

static inline uint64_t eu_t_rand(void)
{
	uint64_t x = eu_t_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	eu_t_rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform-ish in [lo, hi]. */
static inline uint64_t eu_t_range(uint64_t lo, uint64_t hi)
{
	return lo + eu_t_rand() % (hi - lo + 1);
}

static inline void eu_t_fill_random(void *p, size_t n)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)eu_t_rand();
}

static inline double eu_t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline void eu_t_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Small region options: fast to create, easy to reason about. */
static inline struct eu_region_opts eu_t_opts(__u32 nslots, __u32 slot_size)
{
	struct eu_region_opts o;

	eu_region_opts_default(&o);
	o.nslots = nslots;
	o.slot_size = slot_size;
	o.headroom = 64;
	return o;
}

/* Run a suite; exit status 0 only if every test passed. */
static inline int eu_t_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * The documented legal transitions and the side that owns each state, written
 * out independently of abi.h (test_abi and test_slot check the header
 * against them).
 */
static const __u32 eu_ref_legal[EU_SLOT_STATE_COUNT] = {
	[EU_SLOT_VR_FREE] = 1U << EU_SLOT_VR_BUSY | 1U << EU_SLOT_FILL,
	[EU_SLOT_VR_BUSY] = 1U << EU_SLOT_VR_FREE | 1U << EU_SLOT_TX | 1U << EU_SLOT_FILL,
	[EU_SLOT_FILL] = 1U << EU_SLOT_SW_FREE | 1U << EU_SLOT_SW_BUSY,
	[EU_SLOT_SW_FREE] = 1U << EU_SLOT_SW_BUSY | 1U << EU_SLOT_COMP,
	[EU_SLOT_SW_BUSY] = 1U << EU_SLOT_SW_FREE | 1U << EU_SLOT_RX | 1U << EU_SLOT_COMP,
	[EU_SLOT_RX] = 1U << EU_SLOT_VR_BUSY | 1U << EU_SLOT_VR_FREE,
	[EU_SLOT_TX] = 1U << EU_SLOT_SW_BUSY | 1U << EU_SLOT_SW_FREE,
	[EU_SLOT_COMP] = 1U << EU_SLOT_VR_FREE | 1U << EU_SLOT_VR_BUSY,
};
static const int eu_ref_owner[EU_SLOT_STATE_COUNT] = {
	-1, EU_SIDE_VR, EU_SIDE_VR, EU_SIDE_SWITCH, EU_SIDE_SWITCH, EU_SIDE_SWITCH,
	EU_SIDE_VR, EU_SIDE_SWITCH, EU_SIDE_VR,
};

#endif /* EU_UNIT_H */
