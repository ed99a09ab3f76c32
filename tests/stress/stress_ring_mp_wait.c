// ctest-args: --producers 2 --wait --ring-size 16 --burst 8
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_ring_mp_wait.c - stress_ring_mp with two producers, a
 * 16-entry ring and a consumer that sleeps on the futex (eu_poller), woken by
 * the producers' eu_kick(). The program is stress_ring_mp.c; this file only
 * gives CTest another set of arguments (tests/CMakeLists.txt reads one ctest-
 * args line per source).
 */
#include "stress_ring_mp.c"
