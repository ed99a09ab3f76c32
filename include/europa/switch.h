/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/switch.h - the switch logic: moves frames between ports (port.h)
 * and the regions of VRs (vr.h). europad and the in-process switch
 * (open.h, "inproc:") both run it; so can any program that owns ports.
 *
 * One round, eu_switch_poll():
 *
 *   every port:  eu_port_rx_burst() -> classify each frame to one VR by
 *                (ingress port, destination MAC, VLAN), first matching rule
 *                wins, else the default VR -> per VR, in arrival order:
 *                eu_sw_rx_alloc(), copy the frame into the slot,
 *                eu_sw_rx_publish() -> eu_port_rx_release()
 *   every VR:    eu_sw_tx_burst() (every index, state and length checked)
 *                -> desc->port names the egress port (checked) ->
 *                eu_port_tx_burst() -> eu_sw_free_burst(); eu_port_flush()
 *
 * Frames that cannot be delivered are dropped and counted by reason (struct
 * eu_switch_port_stats, struct eu_switch_vr_stats): no VR, VR down, VR rx
 * ring full, no free slot, too long for the VR's slots, bad descriptor. A
 * port that takes fewer frames than offered keeps the rest pending (the VR's
 * tx ring then fills: backpressure) until it takes them or tx_stall_ms pass.
 *
 * A frame whose 802.1Q tag the driver stripped (EU_FRAME_F_VLAN) reaches
 * the VR with the tag put back, so a VR always sees frames as on the wire;
 * desc->flags has EU_DESC_F_VLAN for every tagged frame and desc->port is
 * the ingress port's index. To transmit, a VR sets desc->port to the index
 * of the egress port (the order of eu_switch_add_port()).
 *
 * Idle: eu_switch_idle() spins, yields, then sleeps in epoll on the ports'
 * fds and the VRs' tx wake lines (need-wakeup, wait.h), so an idle switch
 * does not burn a core. The thresholds are times, not round counts: at a
 * moderate rate (a frame every few tens of microseconds) the switch keeps
 * polling and takes frames in bursts, instead of sleeping and being woken
 * for every frame, which costs more than the frame. Programs with their own event loop use
 * eu_switch_fd() with eu_switch_arm() and eu_switch_disarm() instead.
 *
 * The switch does not own its ports or regions: close them after
 * eu_switch_destroy().
 *
 * Thread-safety: a struct eu_switch is used by one thread at a time (the
 * ports and VR switch sides it drives are single-threaded too), except
 * eu_switch_port_stats_read() and eu_switch_vr_stats_read(), which any thread may
 * call at any time: counters are written with relaxed atomic stores and read
 * with relaxed atomic loads. The VRs run concurrently, in other threads or
 * processes, and nothing they write can make the switch crash, stall other
 * VRs or lose slots (vr.h).
 */
#ifndef EUROPA_SWITCH_H
#define EUROPA_SWITCH_H

#include <europa/port.h>
#include <europa/vr.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EU_SWITCH_MAX_PORTS 64  /* ports of one switch (desc->port < this) */
#define EU_SWITCH_MAX_VRS 256   /* VRs of one switch */
#define EU_SWITCH_MAX_BURST 256 /* frames per port rx burst and per VR tx burst */
#define EU_SWITCH_NAME_MAX 64   /* bytes of a VR name, with its NUL */

/* Options of eu_switch_create(). Start from eu_switch_opts_default(). */
struct eu_switch_opts {
	__u32 size;        /* sizeof(struct eu_switch_opts): lets the struct grow */
	__u32 burst;       /* frames per burst, 1..EU_SWITCH_MAX_BURST (default 64) */
	__u32 spin_us;     /* idle time spent spinning before yielding (default 50 us) */
	__u32 yield_us;    /* then idle time spent yielding before sleeping (default 150 us) */
	__u32 tx_stall_ms; /* frames a port took none of for this long are dropped
			      (default 100) */
	__u32 flags;       /* EU_SWITCH_O_* */
};

#define EU_SWITCH_O_BUSY 0x1 /* never sleep: eu_switch_idle() only spins */

/* Fill *o with the defaults above. */
EU_API void eu_switch_opts_default(struct eu_switch_opts *o);

/* Make an empty switch (no ports, no VRs). NULL + errno on failure. */
EU_API struct eu_switch *eu_switch_create(const struct eu_switch_opts *o);

/*
 * Free the switch: every VR side is finished (eu_sw_fini()), frames still
 * pending for a port are dropped. Ports and regions are left open. NULL is a
 * no-op.
 */
EU_API void eu_switch_destroy(struct eu_switch *s);

/* Add a port. Returns its index (0, 1, ...: desc->port of a VR) or -errno. */
EU_API int eu_switch_add_port(struct eu_switch *s, struct eu_port *p);

/*
 * Stop (on = 0) or resume (on = 1) receiving from port `port`; it still
 * sends. Ports start receiving. E.g. hold a pcap input until its VRs are
 * attached. Returns 0 or -errno.
 */
EU_API int eu_switch_port_rx(struct eu_switch *s, unsigned port, int on);

/*
 * Add the region of a VR, made by the caller, and attach to it as its switch
 * (eu_sw_init()): before the VR may write to it. The VR starts down (frames
 * for it are dropped and counted) until eu_switch_vr_up(). `name` (may be
 * NULL) is for messages and stats. Returns the VR's index or -errno.
 */
EU_API int eu_switch_add_vr(struct eu_switch *s, struct eu_region *r, const char *name);

/*
 * Mark VR `vr` up (its VR is attached: deliver frames to it, take its tx
 * ring) or down (drop frames for it, ignore its rings). Returns 0 or -errno.
 */
EU_API int eu_switch_vr_up(struct eu_switch *s, unsigned vr, int up);

/*
 * The VR of `vr` went away (exited, crashed): mark it down, drop the frames
 * pending from it, and take back every slot it held or had in flight
 * (eu_sw_reclaim()), so a new VR can attach. Call only when the VR can no
 * longer run (e.g. its process is gone). Returns the number of slots
 * reclaimed, or -errno.
 */
EU_API int eu_switch_vr_reclaim(struct eu_switch *s, unsigned vr);

/*
 * A classification rule: frames that match every field selected by flags go
 * to VR `vr`. Rules are tried in the order they were added; the first match
 * wins; no match goes to the default VR (eu_switch_set_default()).
 */
struct eu_switch_rule {
	__u32 size;   /* sizeof(struct eu_switch_rule) */
	__u32 flags;  /* EU_RULE_F_*: which fields below must match */
	__u32 port;   /* ingress port index (EU_RULE_F_PORT) */
	__u32 vr;     /* VR index frames go to */
	__u8 mac[6];  /* destination MAC (EU_RULE_F_MAC) */
	__u16 vlan;   /* 802.1Q VLAN id 1..4094 (EU_RULE_F_VLAN) */
};

#define EU_RULE_F_PORT 0x1     /* match the ingress port */
#define EU_RULE_F_MAC 0x2      /* match the destination MAC */
#define EU_RULE_F_VLAN 0x4     /* match frames tagged with VLAN id `vlan` */
#define EU_RULE_F_UNTAGGED 0x8 /* match untagged frames only (VLAN id 0 counts as
				  untagged: a priority tag) */

/* Append a rule. Returns its index, or -errno (-EINVAL: see eu_last_error()). */
EU_API int eu_switch_add_rule(struct eu_switch *s, const struct eu_switch_rule *rule);

/* Send frames no rule matches to VR `vr`; vr < 0: drop them (counted as no VR). */
EU_API int eu_switch_set_default(struct eu_switch *s, int vr);

/*
 * Which VR a frame received on port `port` goes to: its index, or -1 (no VR).
 * Reads only; counts nothing.
 */
EU_API int eu_switch_classify(const struct eu_switch *s, unsigned port,
			      const struct eu_frame *f);

/*
 * Deliver n frames as if port `port` had received them: classify, copy into
 * the VRs' regions, publish, count. The frames are the caller's (copied
 * before this returns). eu_switch_poll() does this for every port; call it
 * directly to inject frames (tests, a host-stack punt path). Returns how
 * many frames reached a VR.
 */
EU_API unsigned eu_switch_input(struct eu_switch *s, unsigned port, const struct eu_frame *f,
				unsigned n);

/*
 * One round: a receive burst from every port, a transmit burst from every
 * VR that is up, a flush of every port that sent. Returns the number of
 * frames and refused descriptors handled (0: the round found no work).
 */
EU_API unsigned eu_switch_poll(struct eu_switch *s);

/*
 * Call after a round that returned 0. Spins (for opts.spin_us since the
 * last round with work), yields (opts.yield_us more), then sleeps until a port's fd or a VR's tx wake line
 * (or an fd given to eu_switch_watch_fd()) is ready, at most timeout_ms
 * (< 0: no limit; capped at 10 ms while a port has no fd or frames are
 * pending). Returns 1 when there may be work, 0 on timeout, -EINTR if a
 * signal interrupted the sleep.
 */
EU_API int eu_switch_idle(struct eu_switch *s, int timeout_ms);

/*
 * Also end eu_switch_idle()'s sleep when `fd` is readable (e.g. a control
 * socket, or the application's own epoll fd). The switch does not read or
 * close it. Returns 0 or -errno.
 */
EU_API int eu_switch_watch_fd(struct eu_switch *s, int fd);

/*
 * For event loops: an epoll fd that is readable when a port's fd is, or, after
 * eu_switch_arm(), when a VR has kicked its tx ring.
 */
EU_API int eu_switch_fd(const struct eu_switch *s);

/*
 * Announce sleep on every up VR's tx ring (need-wakeup). Returns 1 if there
 * is work already (do not sleep; call eu_switch_disarm()), 0 when armed.
 * After the sleep (epoll on eu_switch_fd()), call eu_switch_disarm().
 */
EU_API int eu_switch_arm(struct eu_switch *s);
EU_API void eu_switch_disarm(struct eu_switch *s);

EU_API unsigned eu_switch_nports(const struct eu_switch *s);
EU_API unsigned eu_switch_nvrs(const struct eu_switch *s);
/* The port of index `port`, or NULL. */
EU_API struct eu_port *eu_switch_port(const struct eu_switch *s, unsigned port);
/* The region of VR `vr`, or NULL. */
EU_API struct eu_region *eu_switch_vr_region(const struct eu_switch *s, unsigned vr);
/* The name of VR `vr` ("" if none was given), or NULL. */
EU_API const char *eu_switch_vr_name(const struct eu_switch *s, unsigned vr);
/* The index of the VR named `name`, or -ENOENT. */
EU_API int eu_switch_vr_find(const struct eu_switch *s, const char *name);

/* What the switch did with one port's frames (the driver's own: eu_port_stats()). */
struct eu_switch_port_stats {
	__u64 rx_frames;  /* received from the port */
	__u64 rx_bytes;
	__u64 tx_frames;  /* taken by the port to send */
	__u64 tx_bytes;
	__u64 rx_no_vr;   /* dropped: no rule matched and there is no default VR */
	__u64 rx_runt;    /* dropped: shorter than an Ethernet header */
	__u64 tx_stalled; /* dropped: the port took none of them for tx_stall_ms */
	__u64 tx_flush_errors; /* eu_port_flush() failed */
};

/* What the switch did with one VR's frames. */
struct eu_switch_vr_stats {
	__u64 rx_frames;    /* delivered to the VR */
	__u64 rx_bytes;
	__u64 tx_frames;    /* taken from the VR and sent */
	__u64 tx_bytes;
	__u64 drop_down;    /* rx dropped: the VR was down */
	__u64 drop_ring_full; /* rx dropped: the VR's rx ring was full */
	__u64 drop_no_slot; /* rx dropped: no free slot (the VR holds them all) */
	__u64 drop_too_long; /* rx dropped: longer than the VR's slots hold */
	__u64 bad_desc;     /* refused from the VR: the sum of the five below */
	__u64 bad_idx;      /* index out of range */
	__u64 bad_owner;    /* index of a slot the switch already holds */
	__u64 bad_state;    /* slot not in the state its ring implies */
	__u64 bad_len;      /* length 0 or past the end of the slot */
	__u64 bad_port;     /* egress port that does not exist */
	__u64 reclaims;     /* eu_switch_vr_reclaim() calls */
	__u64 reclaimed;    /* slots they took back */
	__u32 up;           /* 1 while up */
	__u32 pending;      /* frames waiting for a port now */
};

/* Copy the counters. Any thread, any time. Returns 0 or -EINVAL. */
EU_API int eu_switch_port_stats_read(const struct eu_switch *s, unsigned port,
				struct eu_switch_port_stats *out);
EU_API int eu_switch_vr_stats_read(const struct eu_switch *s, unsigned vr,
			      struct eu_switch_vr_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_SWITCH_H */
