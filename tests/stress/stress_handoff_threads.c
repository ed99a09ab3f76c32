// ctest-args: --threads
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_handoff_threads.c - stress_handoff in threads mode: two
 * threads on one region, so TSan sees both sides. The program is
 * stress_handoff.c; this file only gives CTest another set of arguments
 * (tests/CMakeLists.txt reads one ctest-args line per source).
 */
#include "stress_handoff.c"
