/* SPDX-License-Identifier: GPL-2.0 */
/*
 * europa.h - private to europa.ko, the kernel switch of libeuropa.
 *
 * The module is the switch side (EU_SIDE_SWITCH) of every VR's region. The
 * region lives in vmalloc_user() memory that the VR maps; everything in it is
 * writable by user space, so the module keeps its own authoritative copy of
 * all it needs in kernel memory:
 *
 *   - the layout (struct eu_region_hdr h): offsets are never read back;
 *   - which slots it holds (own[]) and its cache of free ones (cache[]);
 *   - its side's ring counters (fill_cons, rx_prod, tx_cons, comp_prod).
 *
 * From the region it reads, exactly once each, the VR's ring counters, ring
 * entries, descriptor fields and state words of slots in flight to it, and
 * bound-checks every value before use. It writes the state words of slots
 * it holds without reading them first (only the generation is carried).
 *
 * Locking:
 *   eu_mutex (after rtnl_lock when both are taken): the port list, the
 *     classification tables, ports' user counts, module-wide counters.
 *   eu_kvr.txbusy (bit EU_TXBUSY, taken with test_and_set_bit_lock, never
 *     waited for in atomic context): the transmit side of one VR (pending
 *     frames, tx counters, the receive path's transmit timer state); held by
 *     whoever transmits: the VR's write(), its thread, or (tx_in_rx) the
 *     receive softirq and the transmit timer, which only ever try it.
 *   eu_kvr.lock (spin, BH; inside txbusy): the switch side of one VR:
 *     own[], cache[], ring counters, rx and refusal counters. Taken in
 *     softirq by the rx handler and with BH off by the transmitter.
 *   RCU (net): classification tables and port->dev are read under the rx
 *     path's and the transmit thread's rcu_read_lock().
 */
#ifndef EUROPA_KMOD_H
#define EUROPA_KMOD_H

#include <linux/types.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/hrtimer.h>
#include <linux/wait.h>
#include <linux/rcupdate.h>

#include <europa/abi.h>
#include <europa/kdev_abi.h>

#define EU_TX_BURST 64U      /* tx ring entries taken per pass */
#define EU_FILL_BURST 256U   /* fill ring entries taken per refill */

/* What the module's record says of a slot (cf. enum eu_sw_own in vr.h). */
enum eu_kown {
	EU_KOWN_NOT = 0,  /* the VR has it, or a ring carries it */
	EU_KOWN_FREE = 1, /* in the switch's cache */
	EU_KOWN_BUSY = 2, /* the switch works on it (being sent) */
};

/* One netdev the module is attached to (an rx_handler on it). */
struct eu_kport {
	struct list_head node;          /* in eu_ports, under eu_mutex */
	struct net_device __rcu *dev;   /* NULL once the netdev went away */
	struct net_device *ndev;        /* the same, for the writers (eu_mutex) */
	netdevice_tracker tracker;
	struct net *net;
	char name[IFNAMSIZ];
	int users;                      /* VRs that name it (eu_mutex) */
	struct eu_ktable __rcu *tbl;    /* classification of frames arriving here */
};

/* One classification entry of a port: (mac, vlan) -> (vr, port index in vr). */
struct eu_kmatch {
	u8 mac[ETH_ALEN];
	u16 vlan;                       /* 0: untagged frames only */
	u16 vport;
	struct eu_kvr *vr;
};

struct eu_ktable {
	struct rcu_head rcu;
	unsigned int n;
	struct eu_kmatch m[];
};

/* Counters of the transmit side: written under eu_kvr.txbusy only. */
struct eu_ktx_stats {
	u64 pkts;
	u64 bytes;
	u64 err;
	u64 sleeps;
	u64 direct;                     /* passes run in the VR's write() */
	u64 thread;                     /* passes run by the transmit thread */
	u64 rxpath;                     /* passes run in the receive softirq or its timer */
	u64 deferred;                   /* kicks that left the work to the receive path */
	u64 busy;                       /* driver queue full: frames waited */
	u64 port[EU_KDEV_MAX_PORTS];
};

/* A frame taken from the tx ring, checked, waiting to be sent. */
struct eu_txpkt {
	u32 idx;
	u16 off;
	u16 len;
	u16 port;
};

/* A VR: its region, and the switch side of it. */
struct eu_kvr {
	unsigned int id;
	struct eu_region_hdr h;         /* private copy of the layout */
	void *mem;                      /* vmalloc_user(h.region_size) */
	u32 *state;
	struct eu_desc *desc;
	u8 *bufs;
	struct eu_ring_shared *ring[EU_RING_COUNT];
	u32 *ent[EU_RING_COUNT];
	u32 rsize;                      /* every ring has this size */
	u32 rmask;
	struct eu_wake *wake;           /* [EU_RING_COUNT] */
	struct eu_region_stats *sst;    /* shared stats: written, never read */
	u32 frame_max;                  /* slot_size - headroom */

	u32 nports;
	struct eu_kport *port[EU_KDEV_MAX_PORTS];
	u32 nrules;
	struct eu_kdev_rule rules[EU_KDEV_MAX_RULES];

	spinlock_t lock;                /* the switch side, below */
	u8 *own;                        /* enum eu_kown per slot */
	u32 *cache;                     /* free slots we hold (a stack) */
	u32 ncache;
	u32 high;                       /* give half the cache back above this */
	u32 fill_cons, rx_prod, tx_cons, comp_prod;
	u64 moves, refused;             /* mirrored to the shared slot stats */
	u64 rx_pkts, rx_bytes, rx_nofree, rx_ringfull, rx_toobig;
	u64 rx_port[EU_KDEV_MAX_PORTS];
	u64 bad[EU_KDEV_BAD_COUNT];
	u64 fill_pkts, comp_pkts, tx_ring_pkts;

	atomic64_t rx_wakeups;
	atomic64_t rx_gso; /* merged skbs cut back into frames (europa_port.c) */
	atomic64_t tx_kicks;

	/*
	 * The transmit side: one transmitter at a time, the VR's own
	 * write()/KICK (tx-in-write), the transmit thread, or the receive
	 * softirq and its timer (tx-in-rx).
	 */
	unsigned long txbusy;           /* bit EU_TXBUSY: a transmitter runs */
	struct eu_txpkt pk[EU_TX_BURST]; /* taken, waiting for a full driver queue */
	u32 npk;
	struct eu_ktx_stats tx;

	wait_queue_head_t rxwq;         /* poll() of the VR */
	atomic_t rx_signal;             /* a wake-up not yet read() */
	wait_queue_head_t txwq;         /* the transmit thread sleeps here */
	atomic_t tx_kick;
	struct task_struct *txthread;
	/*
	 * tx-in-rx: while the receive path drains the tx ring it withdraws the
	 * module's announcement in the tx wake line, so the VR stops kicking;
	 * this timer gives it back once the receive path stops draining.
	 */
	struct hrtimer txtimer;
	bool txtimer_on;                /* armed or running (under txbusy) */
	bool tx_rx_off;                 /* release: no more receive-path transmits */
	u64 rx_drains, rx_drains_seen;  /* receive-path passes that took work (txbusy) */
	unsigned long rx_jiffies;       /* when the receive path last gave the VR a frame */

	struct list_head node;          /* in the module's list of VRs (europa_main.c) */
	struct pid *owner;              /* the process that created the VR */
};

/* europa_dp.c: the datapath */
void eu_kvr_rx(struct eu_kvr *vr, u16 vport, struct sk_buff *skb);
int eu_tx_thread(void *arg);
void eu_tx_kick(struct eu_kvr *vr);
void eu_tx_from_rx(struct eu_kvr *vr);
void eu_tx_timer_init(struct eu_kvr *vr);
void eu_tx_rx_stop(struct eu_kvr *vr);
void eu_tx_lock_wait(struct eu_kvr *vr);
void eu_tx_unlock(struct eu_kvr *vr);
bool eu_rx_pending(struct eu_kvr *vr);
void eu_kvr_stats(struct eu_kvr *vr, struct eu_kdev_stats *st);

/* europa_port.c: netdevs, classification */
int eu_ports_attach(struct eu_kvr *vr, const struct eu_kdev_create *c);
void eu_ports_detach(struct eu_kvr *vr);
int eu_ports_init(void);
void eu_ports_exit(void);
unsigned int eu_ports_active(void);

extern unsigned int eu_spin_us;
extern bool eu_tx_in_write;
extern bool eu_tx_in_rx;
extern unsigned int eu_tx_rx_us;

#endif /* EUROPA_KMOD_H */
