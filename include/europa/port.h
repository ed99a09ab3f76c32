/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/port.h - ports: packet I/O endpoints that a switch moves frames
 * between and VR regions.
 *
 * A port is opened by a name: "<driver>:<args>":
 *   xdp:IFNAME[@QUEUE][,MODE]   AF_XDP socket (libxdp), copy or zero-copy mode;
 *                               MODE "native" or "skb" picks the XDP attach mode
 *                               (default: native, else skb)
 *   packet:IFNAME[,v2|,v3]      AF_PACKET with mmap rings: TPACKET_V3 blocks
 *                               (default; batches best under load) or
 *                               TPACKET_V2 frames (",v2": no 1 ms block timer,
 *                               the lowest latency at low load)
 *   tap:IFNAME                  a TAP device (created if missing)
 *   pcap:IN.pcap,OUT.pcap       read frames from IN, write what is sent to OUT
 *                               (either may be empty: "pcap:,out.pcap")
 *
 * Receive borrows frames: eu_port_rx_burst() fills refs[] with pointers into
 * the driver's own buffers, valid until eu_port_rx_release() (or the next
 * eu_port_rx_burst(), which releases the previous burst first). Transmit
 * copies: eu_port_tx_burst() copies each frame into the driver's buffers
 * before it returns, so the caller may reuse the source at once.
 *
 * Thread-safety: a port is used by one thread at a time, except
 * eu_port_stats_read(), eu_port_name(), eu_port_mode(), eu_port_mac() and
 * eu_port_fd(), which any thread may call while the port is open. None of
 * the burst calls blocks; a short count is not an error.
 */
#ifndef EUROPA_PORT_H
#define EUROPA_PORT_H

#include <stddef.h>

#include <europa/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EU_API
#define EU_API __attribute__((visibility("default")))
#endif

struct eu_port;

/*
 * A frame borrowed from a port (rx) or handed to one (tx). On rx, a driver
 * that gets frames with their 802.1Q tag taken out (packet:) reports the tag's
 * VLAN id here; on tx, a frame with EU_FRAME_F_VLAN gets a tag with that id
 * inserted after its MAC addresses (so what one port stripped another puts
 * back).
 */
struct eu_frame {
	const unsigned char *data;
	__u32 len;
	__u16 vlan;  /* 802.1Q VLAN id (0..4095) if EU_FRAME_F_VLAN, else 0 */
	__u16 flags; /* EU_FRAME_F_* */
};

#define EU_FRAME_F_VLAN 0x1 /* vlan is valid */

/* Counters of a port. Written by the port's thread, read by anyone. */
struct eu_port_stats {
	__u64 rx_frames;
	__u64 rx_bytes;
	__u64 tx_frames;
	__u64 tx_bytes;
	__u64 rx_dropped; /* dropped by the driver or kernel before we saw them */
	__u64 tx_dropped; /* taken but not sent (too long, malformed, error); frames
			     not taken (short count, ring full) are not counted */
	__u64 rx_errors;  /* malformed or truncated frames refused */
	__u64 tx_errors;  /* failed system calls or descriptors the kernel refused */
};

/* Options of eu_port_open(). Set `size` to sizeof(struct eu_port_opts). */
struct eu_port_opts {
	__u32 size;
	__u32 ring_size;  /* driver ring entries, a power of two in 16..65536
			     (0: driver default: 2048 xdp and packet, 256 tap and pcap) */
	__u32 frame_size; /* largest frame, 64..65536 (0: 2048; xdp: at most 3840) */
	__u32 flags;      /* EU_PORT_O_* */
};

#define EU_PORT_O_ZEROCOPY 0x1 /* xdp: insist on zero-copy (else the best available) */
#define EU_PORT_O_COPY 0x2     /* xdp: force copy mode */
#define EU_PORT_O_LOOP 0x4     /* pcap: rewind the input at its end */

/* Open a port by name. NULL + errno, with eu_last_error() saying why. */
EU_API struct eu_port *eu_port_open(const char *name, const struct eu_port_opts *o);
EU_API void eu_port_close(struct eu_port *p);

/*
 * Borrow up to n received frames into refs[]. Returns how many. For pcap:
 * without EU_PORT_O_LOOP, 0 means the input is exhausted.
 */
EU_API unsigned eu_port_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n);
/* Give back the frames of the last eu_port_rx_burst(). */
EU_API void eu_port_rx_release(struct eu_port *p);
/*
 * Send (copy out) up to n frames, in order. Returns how many were taken: a
 * frame that can never be sent (malformed, longer than the MTU or frame_size)
 * is taken and counted in tx_dropped, so a short count only means "no room
 * now, retry the rest later".
 */
EU_API unsigned eu_port_tx_burst(struct eu_port *p, const struct eu_frame *frames, unsigned n);
/* Push out queued transmissions (e.g. an AF_XDP sendto kick). 0 or -errno. */
EU_API int eu_port_flush(struct eu_port *p);

/* A file descriptor that polls readable when frames may be waiting, or -1. */
EU_API int eu_port_fd(const struct eu_port *p);
EU_API const char *eu_port_name(const struct eu_port *p);
/* Copy the port's counters (plus the kernel's drop counters where it has them). */
EU_API void eu_port_stats_read(const struct eu_port *p, struct eu_port_stats *out);
/* The port's MAC address (6 bytes; zeros for pcap). */
EU_API void eu_port_mac(const struct eu_port *p, unsigned char mac[6]);
/*
 * The driver's mode in words: "xdp copy (native)", "xdp zero-copy (native)",
 * "xdp copy (skb)", "tpacket_v3", "tpacket_v2", "tap" or "pcap".
 */
EU_API const char *eu_port_mode(const struct eu_port *p);

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_PORT_H */
