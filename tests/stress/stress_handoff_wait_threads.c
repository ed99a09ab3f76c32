// ctest-args: --threads --wait
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_handoff_wait_threads.c - stress_handoff with adaptive
 * waiting in threads mode, so TSan checks the sleep/wake path too. The program
 * is stress_handoff.c; this file only gives CTest another set of arguments
 * (tests/CMakeLists.txt reads one ctest-args line per source).
 */
#include "stress_handoff.c"
