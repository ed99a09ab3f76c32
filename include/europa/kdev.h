/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/kdev.h - the kernel switch (europa.ko, /dev/europa) as a region
 * backend: a VR asks the module for a region, maps it, and runs the usual
 * eu_vr_* code on it; the module is the switch side.
 *
 * A VR is named by a string (also accepted by eu_region_attach()):
 *
 *   kdev:[DEVICE][#KEY=VALUE[,KEY=VALUE...]]
 *
 *   DEVICE          the char device, default /dev/europa
 *   port=IFNAME     a netdev; repeat for more (port i is the i-th given)
 *   mac=MAC[.VLAN][@PORT]
 *                   a classification rule: frames to MAC (tagged with VLAN,
 *                   else untagged), arriving on port PORT (else on any of
 *                   the VR's ports), go to this VR; repeat for more
 *   slots=N slot_size=N headroom=N vr_slots=N ring=N
 *                   pool geometry (struct eu_kdev_create)
 *
 *   e.g. kdev:/dev/europa#port=eth0,port=eth1,mac=02:00:00:00:00:01
 *
 * The region returned behaves like any other: eu_vr_init() on it, and
 * eu_region_detach() to close it (the module then reclaims every slot).
 * Its tx and rx wake fds are the device fd, so eu_vr_tx_burst()'s eu_kick()
 * wakes the module's transmit thread and eu_poller_idle() sleeps in poll()
 * on the device (the module cannot wake a futex).
 *
 * Creating a VR needs CAP_NET_ADMIN.
 */
#ifndef EUROPA_KDEV_H
#define EUROPA_KDEV_H

#include <stddef.h>

#include <europa/kdev_abi.h>
#include <europa/region.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parse a "kdev:..." string (the "kdev:" prefix is optional) into *c (its
 * size set, defaults zero) and the device path into dev[devlen]. Returns 0,
 * or -EINVAL with the reason in eu_last_error().
 */
EU_API int eu_kdev_parse(const char *spec, struct eu_kdev_create *c, char *dev, size_t devlen);

/*
 * Open `dev` (NULL: /dev/europa), create a VR with *c, map its region and
 * validate it as eu_region_attach_mem() would, and cross-check the module's
 * layout. Returns the region, or NULL with errno and eu_last_error() set
 * (ENOENT: module not loaded; EPERM: needs CAP_NET_ADMIN; ENODEV: no such
 * netdev; EADDRINUSE: another VR takes that MAC and VLAN; EBUSY: the netdev
 * belongs to something else, e.g. a bridge).
 */
EU_API struct eu_region *eu_kdev_open(const char *dev, const struct eu_kdev_create *c);

/* eu_kdev_parse() + eu_kdev_open(). */
EU_API struct eu_region *eu_kdev_attach(const char *spec);

/*
 * Wrap a region already mapped from a /dev/europa fd into a struct
 * eu_region: validates `len` bytes at `mem` and takes ownership of both
 * (eu_region_detach() unmaps and closes). NULL + errno on failure, and
 * then nothing is taken.
 */
EU_API struct eu_region *eu_kdev_wrap(int fd, void *mem, __u64 len);

/* The module's counters of this region's VR (kernel memory: authoritative). */
EU_API int eu_kdev_read_stats(const struct eu_region *r, struct eu_kdev_stats *st);

/* The module's global counters, through a fresh open of `dev` (NULL: default). */
EU_API int eu_kdev_read_info(const char *dev, struct eu_kdev_info *info);

/* Whether r is a kernel switch region. */
EU_API int eu_region_is_kdev(const struct eu_region *r);

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_KDEV_H */
