/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/open.h - open a VR by name, whatever its switch. The code of a VR
 * is then the same everywhere: receive a burst (eu_vr_rx_burst()), process
 * in place, transmit a burst (eu_vr_tx_burst()), sleep when idle
 * (eu_vr_idle()).
 *
 * Names:
 *
 *   europad:[SOCKET]#VR
 *       attach to VR `VR` of a running europad through its control socket
 *       (default /run/europa.sock). europad checks our uid and gids against
 *       its configuration, then hands over the VR's region (a memfd) and
 *       its wake-up eventfds.
 *       e.g. "europad:/run/europa.sock#vr1", "europad:#vr1"
 *
 *   inproc:PORT[;PORT...]
 *       run the switch in this process, on the ports named (port.h: xdp:,
 *       packet:, tap:, pcap:), port i being the i-th named. Every frame goes
 *       to this VR. The switch runs in a thread of its own (it sleeps when
 *       idle), or, with EU_VR_OPEN_F_MANUAL, in the caller's loop through
 *       eu_vr_poll(). Ports are separated by ';' because a port name may hold
 *       ',' (quote the name in a shell).
 *       e.g. "inproc:pcap:in.pcap,out.pcap", "inproc:xdp:veth0;xdp:veth1"
 *
 *   kdev:[DEVICE][#KEY=VALUE,...]
 *       the kernel switch, europa.ko (kdev.h has the keys).
 *       e.g. "kdev:/dev/europa#port=eth0,port=eth1,mac=02:00:00:00:00:01"
 *
 * Whatever the switch, desc->port of a received frame is the index of its
 * ingress port, and a VR sets desc->port to the index of the egress port
 * before eu_vr_tx_burst(); eu_vr_nports() and eu_vr_port() describe
 * the ports.
 *
 * Thread-safety: the struct eu_vr returned is used by one thread at a time,
 * like any struct eu_vr. eu_vr_open() and eu_vr_close() may be called from
 * any thread for different VRs.
 */
#ifndef EUROPA_OPEN_H
#define EUROPA_OPEN_H

#include <europa/switch.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Options of eu_vr_open(). Start from eu_vr_open_opts_default(). */
struct eu_vr_open_opts {
	__u32 size;  /* sizeof(struct eu_vr_open_opts): lets the struct grow */
	__u32 flags; /* EU_VR_OPEN_F_* */
	int timeout_ms; /* europad: wait this long for its answer (default 5000) */
	int pad_;
	const struct eu_region_opts *region; /* inproc: the pool (NULL: defaults) */
	const struct eu_switch_opts *sw;     /* inproc: the switch (NULL: defaults) */
	const struct eu_port_opts *port;     /* inproc: options of every port (NULL: defaults) */
};

#define EU_VR_OPEN_F_MANUAL 0x1 /* inproc: no switch thread; eu_vr_poll() runs a round */

/* Fill *o with the defaults. */
EU_API void eu_vr_open_opts_default(struct eu_vr_open_opts *o);

/*
 * Open the VR `name` (see above) and attach to its region as its VR
 * (eu_vr_init() done). `o` may be NULL. Returns the VR, to be closed with
 * eu_vr_close() (not eu_vr_fini()), or NULL with errno and eu_last_error()
 * set (e.g. ENOENT: no europad socket there; EACCES: europad does not let
 * this uid attach that VR; EBUSY: another process is that VR now).
 */
EU_API struct eu_vr *eu_vr_open(const char *name, const struct eu_vr_open_opts *o);

/*
 * Detach and free a VR from eu_vr_open(). Slots it holds are given up: the
 * switch reclaims them (europad on the socket's hangup; inproc: its switch
 * and ports are closed too). NULL is a no-op.
 */
EU_API void eu_vr_close(struct eu_vr *vr);

/*
 * inproc with EU_VR_OPEN_F_MANUAL: run one round of the switch in the
 * caller's thread (eu_switch_poll()). Returns the frames it handled. Any
 * other VR: returns 0 (its switch runs by itself).
 */
EU_API unsigned eu_vr_poll(struct eu_vr *vr);

/*
 * Call after eu_vr_rx_burst() found nothing: spin, yield, then sleep until
 * frames may have arrived, at most timeout_ms (< 0: no limit). Returns 1
 * when there may be frames, 0 on timeout, -EINTR on a signal.
 */
EU_API int eu_vr_idle(struct eu_vr *vr, int timeout_ms);

/*
 * Whether the switch is still there: 0 after europad went away (the VR
 * should eu_vr_close() and open again), 1 otherwise.
 */
EU_API int eu_vr_switch_alive(const struct eu_vr *vr);

/* A port as the VR sees it. */
struct eu_vr_port_info {
	char name[64];          /* europad: its name in the configuration; else the port's name */
	unsigned char mac[6];   /* zeros if it has none (pcap) or it is unknown */
	__u16 pad_;
};

/* Number of ports: desc->port of a frame is below it. */
EU_API unsigned eu_vr_nports(const struct eu_vr *vr);

/* Describe port `port`. Returns 0 or -EINVAL. */
EU_API int eu_vr_port(const struct eu_vr *vr, unsigned port, struct eu_vr_port_info *out);

/* "inproc", "europad" or "kdev": the switch this VR was opened on. */
EU_API const char *eu_vr_switch_kind(const struct eu_vr *vr);

/*
 * inproc: the in-process switch (for eu_switch_*_stats(); with the switch
 * thread running, nothing else of it may be called). Otherwise NULL.
 */
EU_API struct eu_switch *eu_vr_switch(const struct eu_vr *vr);

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_OPEN_H */
