/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * europa/kdev_abi.h - the ioctl ABI of the kernel switch, /dev/europa.
 *
 * Shared, unchanged, by europa.ko and by user space (lib/kdev.c). Fixed-width
 * types only, no libc. The region itself is described by abi.h; this header
 * only says how to ask the module for one.
 *
 * One open file of /dev/europa is at most one VR:
 *
 *   fd = open("/dev/europa", O_RDWR | O_CLOEXEC);
 *   ioctl(fd, EU_KDEV_IOC_CREATE, &create);   ports, rules, pool geometry
 *   ioctl(fd, EU_KDEV_IOC_LAYOUT, &layout);   offsets (as XDP_MMAP_OFFSETS)
 *   base = mmap(NULL, layout.region_size, PROT_READ | PROT_WRITE,
 *               MAP_SHARED, fd, layout.mmap_offset);
 *   ... eu_vr_* on the region (the module is its switch side) ...
 *   close(fd);                                the VR is torn down, every
 *                                             slot reclaimed
 *
 * Waking (the need-wakeup protocol of wait.h, over the device fd):
 *   - tx: the module announces EU_WAKE_EVENTFD in the tx ring's wake line
 *     when its transmit thread sleeps; write() of 8 bytes to the fd (what
 *     eu_wake_signal() does to an eventfd) or EU_KDEV_IOC_KICK then drains
 *     the tx ring in the caller's context and announces EU_WAKE_EVENTFD
 *     again (module parameter tx_in_write, the default), or wakes the thread.
 *   - rx: a VR about to sleep sets need_wakeup = EU_WAKE_EVENTFD in the rx
 *     ring's wake line and poll()s the fd (POLLIN: the rx ring has frames or
 *     a wake-up was signalled); read() of 8 bytes consumes the signal and
 *     never blocks (-EAGAIN when there is none).
 *
 * Options and results are size-versioned: each struct starts with its own
 * size, set by the caller to sizeof() as it knows it. The module accepts a
 * shorter struct (missing fields are zero) and a longer one whose extra
 * bytes are zero (else -E2BIG); it writes results up to the smaller of the
 * two sizes and stores that size back in the `size` field.
 */
#ifndef EUROPA_KDEV_ABI_H
#define EUROPA_KDEV_ABI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#include <europa/abi.h>

#define EU_KDEV_PATH "/dev/europa"
#define EU_KDEV_ABI_VERSION 1
/*
 * Minor: 1 added the tail of struct eu_kdev_stats (from vr_id) and of eu_kdev_info (bad[]);
 * 2 added eu_kdev_stats.tx_rxpath and tx_deferred; 3 added eu_kdev_stats.rx_gso.
 */
#define EU_KDEV_ABI_MINOR 3

#define EU_KDEV_MAX_PORTS 8
#define EU_KDEV_MAX_RULES 32
#define EU_KDEV_IFNAMSIZ 16        /* IFNAMSIZ */
#define EU_KDEV_PORT_ANY 0xffffU
/*
 * The value the module stores in a wake line's need_wakeup when it sleeps,
 * and the one it honours from the VR: EU_WAKE_EVENTFD of wait.h (the wake
 * flags are not in abi.h; lib/kdev.c checks the two agree).
 */
#define EU_KDEV_WAKE_FD 0x2U   /* a rule that applies on every port of the VR */

#define EU_KDEV_RULE_F_VLAN 0x1    /* match frames tagged with `vlan` (else untagged only) */

/*
 * A classification rule: frames arriving on one of the VR's ports whose
 * destination MAC is `mac` (and VLAN, see flags) go to the VR. A frame
 * matching no rule of any VR goes to the host's own stack untouched.
 */
struct eu_kdev_rule {
	__u8 mac[6];
	__u16 vlan;   /* VLAN id 1..4094, with EU_KDEV_RULE_F_VLAN */
	__u16 port;   /* index into ports[], or EU_KDEV_PORT_ANY */
	__u16 flags;  /* EU_KDEV_RULE_F_* */
};

/*
 * EU_KDEV_IOC_CREATE: make this fd's VR. Pool geometry as in
 * struct eu_region_opts (0 selects the default); every ring of a kernel
 * switch region is single-producer. Port i of the VR is the netdev named
 * ports[i]: desc->port is i on receive and selects the egress port on
 * transmit.
 */
struct eu_kdev_create {
	__u32 size;       /* sizeof(struct eu_kdev_create) */
	__u32 flags;      /* none defined: must be 0 */
	__u32 nslots;     /* default 1024 */
	__u32 slot_size;  /* default 2048; a frame is at most slot_size - headroom */
	__u32 headroom;   /* default 128 */
	__u32 vr_slots;   /* slots the VR holds at start; default (0) half the pool */
	__u32 ring_size;  /* default (0): the least power of two >= nslots */
	__u32 nports;     /* 1..EU_KDEV_MAX_PORTS */
	__u32 nrules;     /* 1..EU_KDEV_MAX_RULES */
	__u32 rsvd;       /* must be 0 */
	char ports[EU_KDEV_MAX_PORTS][EU_KDEV_IFNAMSIZ];
	struct eu_kdev_rule rules[EU_KDEV_MAX_RULES];
};

/* EU_KDEV_IOC_LAYOUT: where everything is, for mmap and for validation. */
struct eu_kdev_layout {
	__u32 size;        /* in: sizeof(); out: bytes written */
	__u32 abi_version; /* EU_KDEV_ABI_VERSION */
	__u64 region_size; /* bytes to mmap */
	__u64 mmap_offset; /* the offset argument of mmap() */
	__u32 nslots;
	__u32 slot_size;
	__u32 headroom;
	__u32 vr_slots;
	__u64 wake_off;    /* the offsets of abi.h's header, repeated */
	__u64 stats_off;
	__u64 states_off;
	__u64 descs_off;
	__u64 bufs_off;
	struct eu_ring_layout rings[EU_RING_COUNT]; /* by enum eu_ring_id */
};

/*
 * Reasons the module refuses what a VR wrote (the first four are those of
 * enum eu_sw_bad in vr.h).
 */
enum eu_kdev_bad {
	EU_KDEV_BAD_IDX = 0,    /* index out of range */
	EU_KDEV_BAD_OWNER = 1,  /* index of a slot the switch already holds */
	EU_KDEV_BAD_STATE = 2,  /* slot not in the state its ring implies */
	EU_KDEV_BAD_TX_LEN = 3, /* length/offset outside the buffer, or not a frame */
	EU_KDEV_BAD_PORT = 4,   /* tx port is not one of the VR's ports */
	EU_KDEV_BAD_RING = 5,   /* a ring counter the VR wrote is impossible */
	EU_KDEV_BAD_COUNT = 6
};

/*
 * EU_KDEV_IOC_STATS: this fd's VR, kept in kernel memory (the VR cannot reset
 * them). On an fd without a VR (e.g. europactl's), a caller with
 * CAP_NET_ADMIN whose struct reaches vr_id gets the live VR with the least id
 * >= vr_id, or -ENOENT when there is none: ask again with the id returned + 1
 * to walk all of them.
 */
struct eu_kdev_stats {
	__u32 size;        /* in: sizeof(); out: bytes written */
	__u32 nports;
	__u64 rx_pkts;     /* frames delivered to the VR's rx ring */
	__u64 rx_bytes;
	__u64 rx_nofree;   /* dropped: no free slot (the VR gave none on the fill ring) */
	__u64 rx_ringfull; /* dropped: rx ring full */
	__u64 rx_toobig;   /* dropped: frame larger than slot_size - headroom */
	__u64 rx_wakeups;  /* times the module woke a sleeping VR */
	__u64 tx_pkts;     /* frames handed to dev_queue_xmit() and accepted */
	__u64 tx_bytes;
	__u64 tx_err;      /* frames dropped on transmit: no memory, port gone, xmit error */
	__u64 tx_kicks;    /* wake-ups of the transmit thread by the VR */
	__u64 tx_sleeps;   /* times the transmit thread went to sleep */
	__u64 bad[EU_KDEV_BAD_COUNT]; /* refusals by enum eu_kdev_bad */
	__u32 sw_free;     /* slots the switch holds free now (its own records) */
	__u32 sw_busy;     /* slots the switch holds busy now */
	__u32 nslots;
	__u32 rsvd;
	__u64 port_rx[EU_KDEV_MAX_PORTS]; /* frames received per VR port */
	__u64 port_tx[EU_KDEV_MAX_PORTS]; /* frames sent per VR port */
	/* since kdev ABI 1.1 (a shorter struct simply does not get them): */
	__u32 vr_id;       /* in: see EU_KDEV_IOC_STATS; out: the VR's id (dmesg's "vr N") */
	__u32 pid;         /* out: the process that created the VR (in the caller's pid ns) */
	__u64 tx_direct;   /* transmit passes run in the VR's own write()/KICK (tx-in-write) */
	__u64 tx_thread;   /* transmit passes run by the VR's transmit thread */
	__u32 nrules;
	__u32 rsvd2;
	char ports[EU_KDEV_MAX_PORTS][EU_KDEV_IFNAMSIZ]; /* out: the VR's netdevs */
	__u64 tx_busy;     /* times a driver's queue was full: frames waited (not dropped) */
	/* since kdev ABI 1.2: */
	__u64 tx_rxpath;   /* transmit passes run in the receive softirq or its timer (tx_in_rx) */
	__u64 tx_deferred; /* kicks that left the tx ring to the receive path (tx_in_rx) */
	/* since kdev ABI 1.3: */
	__u64 rx_gso;      /* merged skbs (GRO, or a GSO send of a virtual device) cut back into
			      the frames they stand for; those frames count in rx_pkts */
};

/* EU_KDEV_IOC_INFO: the module as a whole (works on an fd without a VR). */
struct eu_kdev_info {
	__u32 size;           /* in: sizeof(); out: bytes written */
	__u32 abi_version;    /* EU_KDEV_ABI_VERSION */
	__u32 region_abi;     /* EU_ABI_MAJOR << 16 | EU_ABI_MINOR */
	__u32 vrs_active;     /* VRs alive now */
	__u64 vrs_created;
	__u64 vrs_released;
	__u64 slots_active;   /* slots in live VRs' pools */
	__u64 bytes_active;   /* bytes of live regions */
	__u64 slots_reclaimed; /* slots taken back from VRs at release */
	__u64 slots_lost;     /* slots unaccounted for at a release: must stay 0 */
	__u32 ports_active;   /* netdevs the module is attached to */
	__u32 rsvd;
	/* since kdev ABI 1.1: totals over every VR since the module was loaded */
	__u64 bad[EU_KDEV_BAD_COUNT]; /* refusals by enum eu_kdev_bad */
	__u64 rx_pkts;
	__u64 tx_pkts;
};

#define EU_KDEV_IOC_MAGIC 0xE7
#define EU_KDEV_IOC_CREATE _IO(EU_KDEV_IOC_MAGIC, 1) /* struct eu_kdev_create * */
#define EU_KDEV_IOC_LAYOUT _IO(EU_KDEV_IOC_MAGIC, 2) /* struct eu_kdev_layout * */
#define EU_KDEV_IOC_STATS _IO(EU_KDEV_IOC_MAGIC, 3)  /* struct eu_kdev_stats * */
#define EU_KDEV_IOC_KICK _IO(EU_KDEV_IOC_MAGIC, 4)   /* no argument: wake the tx thread */
#define EU_KDEV_IOC_INFO _IO(EU_KDEV_IOC_MAGIC, 5)   /* struct eu_kdev_info * */

#endif /* EUROPA_KDEV_ABI_H */
