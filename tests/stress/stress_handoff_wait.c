// ctest-args: --procs --wait --random-burst
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_handoff_wait.c - stress_handoff with adaptive waiting
 * across two processes: both sides sleep on the region's futex words, pauses
 * and ping-pong phases make them sleep often, and a lost wake-up fails the
 * test. The program is stress_handoff.c; this file only gives CTest another
 * set of arguments (tests/CMakeLists.txt reads one ctest-args line per
 * source).
 */
#include "stress_handoff.c"
