// ctest-args: --threads --rx-mp --random-burst
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/stress/stress_handoff_rxmp.c - stress_handoff over an ordered
 * multi-producer rx ring (EU_REGION_O_RX_MP): eu_sw_rx_publish() reserves
 * with eu_ring_reserve_mp(), eu_vr_rx_burst() takes with
 * eu_slot_dequeue_ordered().
 * The program is stress_handoff.c; this file only gives CTest another set of
 * arguments (tests/CMakeLists.txt reads one ctest-args line per source).
 */
#include "stress_handoff.c"
