/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port_packet_v2 - the edges of packet:IF,v2 (TPACKET_V2) that port_xfer's
 * lossless runs do not reach, over a veth pair in two network namespaces:
 *
 *   1. truncation: frames longer than the receiving port's frame_size are
 *      refused and counted in rx_errors; the short ones around them arrive,
 *      in order.
 *   2. poll: eu_port_fd() is not readable with nothing waiting, readable as
 *      soon as one frame came (no block timer), and not readable again once
 *      the frame was read and released.
 *   3. kernel drops: frames sent while the port holds none of its ring free
 *      are dropped by the kernel, counted in rx_dropped (PACKET_STATISTICS),
 *      and what was received plus what was dropped is what was sent.
 *
 *   port_packet_v2 --rx-ns NS --rx IF --tx-ns NS --tx IF
 *
 * The receiver is packet:IF,v2 with frame_size 128 and ring_size 16 (a ring
 * of 315 slots once rounded up to a 64 KiB block); the sender packet:IF
 * (TPACKET_V3). Frames: Ethernet to the receiver's MAC, IPv4 198.18.0.1 ->
 * 198.19.0.1, UDP 4000 -> 4001, payload "EUV2" and a sequence number. Every
 * wait is bounded (2 s).
 *
 * Exit: 0 all good, 1 a check failed, 2 a port would not open, 77 not root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>

#include "itest.h"

#define MAGIC "EUV2"
#define OFF_MAGIC 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define SMALL 60
#define BIG 1000
#define RX_FRAME_SIZE 128U
#define FLOOD 2000U

static int failed;

static void check(int ok, const char *what)
{
	printf("port_packet_v2: %s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failed = 1;
}

static struct eu_port *open_in(const char *ns, const char *name, unsigned frame_size,
			       unsigned ring_size)
{
	struct eu_port_opts o;
	struct eu_port *p;

	if (it_enter_ns("port_packet_v2", ns))
		return NULL;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.frame_size = frame_size;
	o.ring_size = ring_size;
	p = eu_port_open(name, &o);
	if (!p)
		fprintf(stderr, "port_packet_v2: %s\n", eu_last_error());
	return p;
}

/* A test frame of len bytes (>= 50) carrying seq. */
static void frame_make(unsigned char *b, unsigned len, const unsigned char dst[6],
		       const unsigned char src[6], uint32_t seq)
{
	it_udp_frame(b, len, dst, src, 1, 4000, 4001);
	memcpy(b + OFF_MAGIC, MAGIC, 4);
	memcpy(b + OFF_MAGIC + 4, &seq, 4);
}

/* Send one frame; 0 if the port took it (within 2 s of retries). */
static int send1(struct eu_port *tx, unsigned len, const unsigned char dst[6], uint32_t seq)
{
	static unsigned char buf[BIG];
	struct eu_frame f = { .data = buf, .len = (uint16_t)len };
	unsigned char src[6];
	double end = it_now_s() + 2;

	eu_port_mac(tx, src);
	frame_make(buf, len, dst, src, seq);
	while (eu_port_tx_burst(tx, &f, 1) != 1) {
		if (it_now_s() > end)
			return -1;
		usleep(100);
	}
	eu_port_flush(tx);
	return 0;
}

/* The sequence number of a test frame, or -1 for any other frame. */
static int64_t frame_seq(const struct eu_frame *f)
{
	uint32_t seq;

	if (f->len < OFF_MAGIC + 8 || memcmp(f->data + OFF_MAGIC, MAGIC, 4))
		return -1;
	memcpy(&seq, f->data + OFF_MAGIC + 4, 4);
	return seq;
}

static struct eu_port_stats stats(const struct eu_port *p)
{
	struct eu_port_stats s;

	eu_port_stats_read(p, &s);
	return s;
}

/*
 * Receive test frames until want of them are accounted for (received, or
 * counted in rx_errors + rx_dropped since base) or 2 s pass. Appends their
 * sequence numbers to seqs (room for max); returns how many were received.
 */
static unsigned recv_until(struct eu_port *rx, unsigned want, const struct eu_port_stats *base,
			   uint32_t *seqs, unsigned max)
{
	struct eu_frame f[64];
	unsigned got = 0, i, n;
	double end = it_now_s() + 2;

	for (;;) {
		struct eu_port_stats s = stats(rx);

		if (got + (s.rx_errors - base->rx_errors) + (s.rx_dropped - base->rx_dropped) >=
			    want ||
		    it_now_s() > end)
			break;
		n = eu_port_rx_burst(rx, f, 64);
		for (i = 0; i < n; i++) {
			int64_t q = frame_seq(&f[i]);

			if (q < 0)
				continue;
			if (got < max)
				seqs[got] = (uint32_t)q;
			got++;
		}
		eu_port_rx_release(rx);
		if (!n)
			usleep(200);
	}
	return got;
}

static int readable(struct eu_port *p, int ms)
{
	struct pollfd pfd = { .fd = eu_port_fd(p), .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rx-ns", required_argument, NULL, 'a' }, { "rx", required_argument, NULL, 'r' },
		{ "tx-ns", required_argument, NULL, 'b' }, { "tx", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *rx_ns = NULL, *rx_if = NULL, *tx_ns = NULL, *tx_if = NULL;
	struct eu_port *rx, *tx;
	struct eu_port_stats base, s;
	struct eu_frame f[64];
	unsigned char dst[6];
	char name[64], msg[160];
	uint32_t seqs[FLOOD];
	unsigned i, got, in_order;
	double t0, dt;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': rx_ns = optarg; break;
		case 'r': rx_if = optarg; break;
		case 'b': tx_ns = optarg; break;
		case 't': tx_if = optarg; break;
		default: return 2;
		}
	}
	if (!rx_ns || !rx_if || !tx_ns || !tx_if) {
		fprintf(stderr, "usage: port_packet_v2 --rx-ns NS --rx IF --tx-ns NS --tx IF\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "port_packet_v2: needs root\n");
		return 77;
	}
	snprintf(name, sizeof(name), "packet:%s,v2", rx_if);
	rx = open_in(rx_ns, name, RX_FRAME_SIZE, 16);
	snprintf(name, sizeof(name), "packet:%s", tx_if);
	tx = rx ? open_in(tx_ns, name, 0, 0) : NULL;
	if (!rx || !tx) {
		eu_port_close(rx);
		return 2;
	}
	check(!strcmp(eu_port_mode(rx), "tpacket_v2"), "the receiver is in mode tpacket_v2");
	eu_port_mac(rx, dst);
	while (eu_port_rx_burst(rx, f, 64)) /* anything that came before */
		eu_port_rx_release(rx);

	/* 1. truncation: 0, 2, 4, 6 short, 1, 3, 5, 7 longer than frame_size */
	base = stats(rx);
	for (i = 0; i < 8; i++)
		if (send1(tx, i % 2 ? BIG : SMALL, dst, i))
			check(0, "the sender takes the truncation test's frames");
	got = recv_until(rx, 8, &base, seqs, FLOOD);
	s = stats(rx);
	in_order = got == 4;
	for (i = 0; in_order && i < 4; i++)
		in_order = seqs[i] == 2 * i;
	snprintf(msg, sizeof(msg), "%u-byte frames over frame_size %u: %llu counted in rx_errors "
		 "(want 4)", BIG, RX_FRAME_SIZE,
		 (unsigned long long)(s.rx_errors - base.rx_errors));
	check(s.rx_errors - base.rx_errors == 4, msg);
	snprintf(msg, sizeof(msg), "the %u short frames around them arrived in order (%u arrived)",
		 4, got);
	check(in_order, msg);
	check(s.rx_dropped == base.rx_dropped, "no kernel drop");

	/* 2. poll, and a lone frame's wait */
	check(!readable(rx, 0), "eu_port_fd() is not readable with nothing waiting");
	t0 = it_now_s();
	if (send1(tx, SMALL, dst, 100))
		check(0, "the sender takes the poll test's frame");
	check(readable(rx, 2000), "eu_port_fd() is readable once a frame came");
	dt = it_now_s() - t0;
	got = eu_port_rx_burst(rx, f, 64);
	check(got == 1 && frame_seq(&f[0]) == 100, "the frame is there at once");
	eu_port_rx_release(rx);
	printf("port_packet_v2: (measured) send to readable for a lone frame: %.0f us\n", dt * 1e6);
	check(!readable(rx, 0), "eu_port_fd() is not readable after the frame was released");

	/* 3. kernel drops: FLOOD frames into a ring that holds fewer */
	base = stats(rx);
	for (i = 0; i < FLOOD; i++)
		if (send1(tx, SMALL, dst, 1000 + i))
			break;
	check(i == FLOOD, "the sender takes the flood");
	got = recv_until(rx, FLOOD, &base, seqs, FLOOD);
	s = stats(rx);
	in_order = 1;
	for (i = 1; i < got && i < FLOOD; i++)
		in_order &= seqs[i] > seqs[i - 1];
	snprintf(msg, sizeof(msg), "%u sent = %u received + %llu dropped by the kernel "
		 "(rx_dropped, PACKET_STATISTICS), some dropped", FLOOD, got,
		 (unsigned long long)(s.rx_dropped - base.rx_dropped));
	check(got + (s.rx_dropped - base.rx_dropped) == FLOOD && s.rx_dropped > base.rx_dropped,
	      msg);
	check(in_order, "what was received after the drops is in order");
	check(s.rx_errors == base.rx_errors, "no rx_errors in the flood");

	eu_port_close(tx);
	eu_port_close(rx);
	printf("port_packet_v2: %s\n", failed ? "FAILED" : "all checks passed");
	return failed;
}
