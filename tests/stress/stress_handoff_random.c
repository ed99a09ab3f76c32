// ctest-args: --procs --random-burst --burst 64 --ring-size 256
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_handoff_random.c - stress_handoff with random bursts
 * (1..64 on both sides) and rings smaller than the pool, so every ring fills
 * up and every burst call returns short at times. The program is
 * stress_handoff.c; this file only gives CTest another set of arguments
 * (tests/CMakeLists.txt reads one ctest-args line per source).
 */
#include "stress_handoff.c"
