/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/europa.h - umbrella header of libeuropa.
 *
 *   abi.h     the region layout shared with the kernel switch
 *   ring.h    batched index rings (inline fast path)
 *   slot.h    slot state words and checked transitions (inline)
 *   region.h  regions over memfd, shm, hugetlbfs, files or caller memory
 *   wait.h    adaptive waiting: spin, back off, sleep; need-wakeup
 *   vr.h      the VR side and the switch side of a region (inline bursts)
 *   ipv4.h    IPv4 for routers: checksum, TTL update, header checks, martians
 *   lpm.h     IPv4 longest-prefix match, updated under RCU while looked up
 *   port.h    ports: AF_XDP, AF_PACKET, TAP and pcap packet I/O for switches
 *   switch.h  the switch logic: ports <-> VR regions, classification, counters
 *   open.h    the VR API: open a VR by name (europad:, inproc:, kdev:)
 *   error.h   eu_last_error(), eu_version()
 */
#ifndef EUROPA_EUROPA_H
#define EUROPA_EUROPA_H

#include <europa/error.h>
#include <europa/abi.h>
#include <europa/ring.h>
#include <europa/slot.h>
#include <europa/region.h>
#include <europa/wait.h>
#include <europa/vr.h>
#include <europa/ipv4.h>
#include <europa/lpm.h>
#include <europa/port.h>
#include <europa/switch.h>
#include <europa/open.h>

#endif /* EUROPA_EUROPA_H */
