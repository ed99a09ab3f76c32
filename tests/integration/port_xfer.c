/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port_xfer - send numbered UDP frames from one eu_port to another and check
 * that every one arrives, once, in order, intact, with the ports' counters
 * agreeing. Used by tests/integration/port_*.sh over veth pairs in network
 * namespaces; also measures frames per second.
 *
 *   port_xfer --tx NAME [--tx-ns NS] --rx NAME [--rx-ns NS] [-n COUNT]
 *             [--size BYTES] [--window W] [--burst B] [--vlan ID]
 *             [--timeout SEC] [--measure] [--label TEXT] [--dst-mac MAC]
 *             [--ring N]
 *   port_xfer --open NAME [--ns NS] [--expect-fail TEXT] [--flags F]
 *
 * The ports are opened in the network namespaces given (by `ip netns` name),
 * receiver first; a thread receives while the main thread sends. --window
 * bounds the frames in flight (sent, not yet received): 0 sends as fast as
 * the tx port takes them (frames may then be lost: use with --measure).
 * --ring sets ring_size of both ports.
 * --vlan sends every frame with EU_FRAME_F_VLAN (the tx port inserts the
 * tag); the receiver accepts the tag as reported by the port or in the bytes.
 *
 * --dst-mac sends to that MAC instead of the rx port's (for a router in between:
 * the receiver checks the payload, not the MACs, the TTL or the IP checksum).
 *
 * Frames: Ethernet (dst: the rx port's MAC, src: the tx port's), IPv4
 * 198.18.0.1 -> 198.19.0.1, UDP 4000 -> 4001, payload "EUXF", a run id, the
 * sequence number, then bytes that depend on both. Default 60 bytes: a
 * 64-byte frame on a wire, with its FCS.
 *
 * Exit: 0 all good (or --measure), 1 a check failed, 2 a port would not open
 * (or --open failed when it should not), 77 not root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>

#include "itest.h"

#define MAX_BURST 256
#define HDR_LEN 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define MAGIC 0x46585545U /* "EUXF" little-endian */

struct cfg {
	const char *tx, *rx, *tx_ns, *rx_ns, *label;
	uint64_t count;
	unsigned size, window, burst, timeout;
	int vlan; /* -1: none */
	int measure;
	uint32_t run_id;
};

struct rx_state {
	struct eu_port *port;
	const struct cfg *c;
	uint64_t expect; /* next sequence number */
	uint64_t good, lost, dup_or_old, corrupt, other, vlan_bad;
	double t_first, t_last;
	/* Shared with the main thread (atomic): */
	int stop;
	uint64_t received;  /* good + dup_or_old, for the sender's window */
	uint64_t expect_pub; /* expect */
	uint64_t last_us;   /* t_last in microseconds */
};

static unsigned ring_size; /* --ring: ring_size of both ports (0: default) */

static struct eu_port *open_in(const char *name, const char *ns, unsigned flags)
{
	int home = ns && *ns ? open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) : -1;
	struct eu_port_opts o;
	struct eu_port *p = NULL;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.flags = flags;
	o.ring_size = ring_size;
	if (it_enter_ns("port_xfer", ns) == 0) {
		p = eu_port_open(name, &o);
		if (!p)
			fprintf(stderr, "port_xfer: eu_port_open(%s): %s\n", name, eu_last_error());
	}
	if (home >= 0) {
		if (setns(home, CLONE_NEWNET) < 0)
			abort();
		close(home);
	}
	return p;
}

static uint16_t csum16(const unsigned char *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static unsigned char pad_byte(uint64_t seq, unsigned i)
{
	return (unsigned char)(seq * 7 + i);
}

static void build_frame(unsigned char *f, const struct cfg *c, const unsigned char dst[6],
			const unsigned char src[6], uint64_t seq)
{
	unsigned ip_len = c->size - 14, udp_len = c->size - 34, i;
	uint32_t v;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	f[14] = 0x45;
	f[15] = 0;
	f[16] = (unsigned char)(ip_len >> 8);
	f[17] = (unsigned char)ip_len;
	memset(f + 18, 0, 4); /* id, flags, fragment */
	f[22] = 64;           /* TTL */
	f[23] = 17;           /* UDP */
	f[24] = f[25] = 0;
	f[26] = 198, f[27] = 18, f[28] = 0, f[29] = 1;
	f[30] = 198, f[31] = 19, f[32] = 0, f[33] = 1;
	v = csum16(f + 14, 20);
	f[24] = (unsigned char)(v >> 8);
	f[25] = (unsigned char)v;
	f[34] = 4000 >> 8, f[35] = 4000 & 0xff;
	f[36] = 4001 >> 8, f[37] = 4001 & 0xff;
	f[38] = (unsigned char)(udp_len >> 8);
	f[39] = (unsigned char)udp_len;
	f[40] = f[41] = 0; /* no UDP checksum (allowed over IPv4) */
	v = MAGIC;
	memcpy(f + 42, &v, 4);
	memcpy(f + 46, &c->run_id, 4);
	memcpy(f + 50, &seq, 8);
	for (i = 58; i < c->size; i++)
		f[i] = pad_byte(seq, i);
}

/* Check one received frame; update the state. */
static void check_frame(struct rx_state *s, const struct eu_frame *fr)
{
	const struct cfg *c = s->c;
	const unsigned char *f = fr->data;
	unsigned len = fr->len, i;
	int vlan = -1;
	uint32_t magic, run;
	uint64_t seq;
	unsigned char tmp[2048];

	if (fr->flags & EU_FRAME_F_VLAN)
		vlan = fr->vlan;
	if (len >= 18 && f[12] == 0x81 && f[13] == 0x00) {
		/* the tag is in the bytes: take it out to compare */
		if (len - 4 > sizeof(tmp)) {
			s->other++;
			return;
		}
		vlan = ((f[14] & 0x0f) << 8) | f[15];
		memcpy(tmp, f, 12);
		memcpy(tmp + 12, f + 16, len - 16);
		f = tmp;
		len -= 4;
	}
	if (len < 58 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 17) {
		s->other++;
		return;
	}
	memcpy(&magic, f + 42, 4);
	memcpy(&run, f + 46, 4);
	if (magic != MAGIC || run != c->run_id) {
		s->other++;
		return;
	}
	memcpy(&seq, f + 50, 8);
	if (len != c->size) {
		s->corrupt++;
		return;
	}
	for (i = 58; i < len; i++) {
		if (f[i] != pad_byte(seq, i)) {
			s->corrupt++;
			return;
		}
	}
	if (c->vlan >= 0 ? vlan != c->vlan : vlan != -1)
		s->vlan_bad++;
	if (seq == s->expect) {
		s->good++;
		s->expect++;
	} else if (seq > s->expect) {
		s->lost += seq - s->expect;
		s->good++;
		s->expect = seq + 1;
	} else {
		s->dup_or_old++;
	}
	if (!s->t_first)
		s->t_first = it_now_s();
	s->t_last = it_now_s();
}

static void *rx_main(void *arg)
{
	struct rx_state *s = arg;
	struct eu_frame refs[MAX_BURST];

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		unsigned n = eu_port_rx_burst(s->port, refs, s->c->burst), i;

		for (i = 0; i < n; i++)
			check_frame(s, &refs[i]);
		eu_port_rx_release(s->port);
		if (n) {
			__atomic_store_n(&s->received, s->good + s->dup_or_old, __ATOMIC_RELEASE);
			__atomic_store_n(&s->expect_pub, s->expect, __ATOMIC_RELEASE);
			__atomic_store_n(&s->last_us, (uint64_t)(s->t_last * 1e6), __ATOMIC_RELEASE);
		} else
			sched_yield();
		if (s->expect >= s->c->count)
			break;
	}
	return NULL;
}

static void print_stats(const char *what, struct eu_port *p)
{
	struct eu_port_stats st;

	eu_port_stats_read(p, &st);
	printf("  %s %s (%s): rx %llu frames %llu bytes, tx %llu frames %llu bytes, "
	       "rx_dropped %llu tx_dropped %llu rx_errors %llu tx_errors %llu\n",
	       what, eu_port_name(p), eu_port_mode(p), (unsigned long long)st.rx_frames,
	       (unsigned long long)st.rx_bytes, (unsigned long long)st.tx_frames,
	       (unsigned long long)st.tx_bytes, (unsigned long long)st.rx_dropped,
	       (unsigned long long)st.tx_dropped, (unsigned long long)st.rx_errors,
	       (unsigned long long)st.tx_errors);
}

static int cmd_open(const char *name, const char *ns, const char *expect_fail, unsigned flags)
{
	struct eu_port *p = open_in(name, ns, flags);
	unsigned char m[6];
	char mac[EU_ETHER_ADDR_STRLEN];

	if (!p) {
		if (expect_fail && strstr(eu_last_error(), expect_fail)) {
			printf("open %s failed as expected: %s\n", name, eu_last_error());
			return 0;
		}
		if (expect_fail)
			fprintf(stderr, "port_xfer: expected an error containing '%s'\n",
				expect_fail);
		return 2;
	}
	eu_port_mac(p, m);
	printf("open %s: mode '%s', fd %d, mac %s\n", name, eu_port_mode(p), eu_port_fd(p),
	       eu_ether_format_mac(m, mac));
	eu_port_close(p);
	if (expect_fail) {
		fprintf(stderr, "port_xfer: %s opened, but should fail with '%s'\n", name,
			expect_fail);
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: port_xfer --tx NAME [--tx-ns NS] --rx NAME [--rx-ns NS] [-n COUNT]\n"
		"                 [--size BYTES] [--window W] [--burst B] [--vlan ID]\n"
		"                 [--timeout SEC] [--measure] [--label TEXT] [--dst-mac MAC]\n"
		"                 [--ring N]\n"
		"       port_xfer --open NAME [--ns NS] [--expect-fail TEXT] [--flags F]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tx", 1, 0, 't' },      { "rx", 1, 0, 'r' },     { "tx-ns", 1, 0, 'T' },
		{ "rx-ns", 1, 0, 'R' },   { "count", 1, 0, 'n' },  { "size", 1, 0, 's' },
		{ "window", 1, 0, 'w' },  { "burst", 1, 0, 'b' },  { "vlan", 1, 0, 'v' },
		{ "timeout", 1, 0, 'o' }, { "measure", 0, 0, 'm' }, { "label", 1, 0, 'l' },
		{ "open", 1, 0, 'O' },    { "ns", 1, 0, 'N' },     { "expect-fail", 1, 0, 'E' },
		{ "flags", 1, 0, 'F' },   { "dst-mac", 1, 0, 'D' }, { "ring", 1, 0, 'g' },
		{ 0, 0, 0, 0 },
	};
	struct cfg c = { .count = 10000, .size = 60, .window = 256, .burst = 32, .timeout = 20,
			 .vlan = -1, .label = "" };
	const char *open_name = NULL, *open_ns = NULL, *expect_fail = NULL;
	unsigned open_flags = 0;
	const char *dst_mac = NULL;
	struct eu_port *rxp, *txp;
	struct rx_state s;
	pthread_t th;
	unsigned char dst[6], src[6];
	static unsigned char frames[MAX_BURST][2048];
	struct eu_frame out[MAX_BURST];
	struct eu_port_stats st;
	struct {
		uint64_t rx_frames, rx_dropped, rx_errors, tx_frames, tx_dropped, tx_errors;
	} ts, rs;
	uint64_t sent = 0, flush_errs = 0;
	double t0, deadline, secs;
	int opt, fail = 0;

	while ((opt = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
		switch (opt) {
		case 't': c.tx = optarg; break;
		case 'r': c.rx = optarg; break;
		case 'T': c.tx_ns = optarg; break;
		case 'R': c.rx_ns = optarg; break;
		case 'n': c.count = strtoull(optarg, NULL, 0); break;
		case 's': c.size = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'w': c.window = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': c.burst = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'v': c.vlan = (int)strtol(optarg, NULL, 0); break;
		case 'o': c.timeout = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'm': c.measure = 1; break;
		case 'l': c.label = optarg; break;
		case 'O': open_name = optarg; break;
		case 'N': open_ns = optarg; break;
		case 'E': expect_fail = optarg; break;
		case 'F': open_flags = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'D': dst_mac = optarg; break;
		case 'g': ring_size = (unsigned)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (open_name) /* also as another user, to check the messages */
		return cmd_open(open_name, open_ns, expect_fail, open_flags);
	if (geteuid() != 0) {
		fprintf(stderr, "port_xfer: SKIP: needs root (network namespaces, raw sockets, "
				"XDP)\n");
		return 77;
	}
	if (!c.tx || !c.rx || c.size < 60 || c.size > 1514 || !c.burst || c.burst > MAX_BURST)
		usage();

	c.run_id = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	rxp = open_in(c.rx, c.rx_ns, 0);
	if (!rxp)
		return 2;
	txp = open_in(c.tx, c.tx_ns, 0);
	if (!txp) {
		eu_port_close(rxp);
		return 2;
	}
	eu_port_mac(rxp, dst);
	eu_port_mac(txp, src);
	if (dst_mac && eu_ether_parse_mac(dst_mac, dst, NULL) < 0)
		usage();
	if (!memcmp(dst, "\0\0\0\0\0\0", 6))
		memcpy(dst, "\x02\x00\x00\x00\x00\x02", 6);
	printf("%s%s%s -> %s: %" PRIu64 " frames of %u bytes, window %u, burst %u%s\n", c.label,
	       *c.label ? ": " : "", c.tx, c.rx, c.count, c.size, c.window, c.burst,
	       c.vlan >= 0 ? ", VLAN-tagged" : "");
	printf("  modes: tx '%s', rx '%s'\n", eu_port_mode(txp), eu_port_mode(rxp));

	memset(&s, 0, sizeof(s));
	s.port = rxp;
	s.c = &c;
	if (pthread_create(&th, NULL, rx_main, &s)) {
		fprintf(stderr, "port_xfer: pthread_create failed\n");
		return 2;
	}
	t0 = it_now_s();
	deadline = t0 + c.timeout;
	while (sent < c.count && it_now_s() < deadline) {
		unsigned n = c.burst, i, took;

		if (c.count - sent < n)
			n = (unsigned)(c.count - sent);
		if (c.window) {
			uint64_t inflight =
				sent - __atomic_load_n(&s.received, __ATOMIC_ACQUIRE);

			if (inflight >= c.window) {
				sched_yield();
				continue;
			}
			if (c.window - inflight < n)
				n = (unsigned)(c.window - inflight);
		}
		for (i = 0; i < n; i++) {
			build_frame(frames[i], &c, dst, src, sent + i);
			out[i].data = frames[i];
			out[i].len = c.size;
			out[i].vlan = c.vlan >= 0 ? (uint16_t)c.vlan : 0;
			out[i].flags = c.vlan >= 0 ? EU_FRAME_F_VLAN : 0;
		}
		took = eu_port_tx_burst(txp, out, n);
		sent += took;
		if (took < n) {
			if (eu_port_flush(txp) < 0)
				flush_errs++;
			sched_yield();
		}
	}
	/* Let the last frames out, then wait for the receiver (bounded). */
	while (it_now_s() < deadline && __atomic_load_n(&s.expect_pub, __ATOMIC_ACQUIRE) < c.count) {
		uint64_t last = __atomic_load_n(&s.last_us, __ATOMIC_ACQUIRE);

		if (eu_port_flush(txp) < 0)
			flush_errs++;
		usleep(1000);
		if (c.window == 0 && last && it_now_s() * 1e6 - (double)last > 500000)
			break; /* unpaced: what was lost is lost */
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	secs = s.t_last > s.t_first ? s.t_last - s.t_first : 0;

	eu_port_stats_read(txp, &st);
	ts.tx_frames = st.tx_frames, ts.tx_dropped = st.tx_dropped, ts.tx_errors = st.tx_errors;
	eu_port_stats_read(rxp, &st);
	rs.rx_frames = st.rx_frames, rs.rx_dropped = st.rx_dropped, rs.rx_errors = st.rx_errors;
	printf("  sent %" PRIu64 ", received %" PRIu64 " in order, lost %" PRIu64
	       ", duplicate/late %" PRIu64 ", corrupt %" PRIu64 ", vlan mismatch %" PRIu64
	       ", other frames %" PRIu64 "\n",
	       sent, s.good, s.lost + (c.count - s.expect), s.dup_or_old, s.corrupt, s.vlan_bad,
	       s.other);
	print_stats("tx port", txp);
	print_stats("rx port", rxp);
	printf("RATE %s%s%.0f frames/s (%" PRIu64 " frames in %.3f s)\n", c.label,
	       *c.label ? " " : "", secs > 0 ? (double)s.good / secs : 0.0, s.good, secs);

	if (sent != c.count)
		fail = printf("FAIL: sent only %" PRIu64 " of %" PRIu64 " frames in %u s\n", sent,
			      c.count, c.timeout);
	if (s.good != c.count || s.lost || s.expect != c.count)
		fail = printf("FAIL: %" PRIu64 " of %" PRIu64 " frames arrived in order (lost %" PRIu64
			      ")\n", s.good, c.count, s.lost + (c.count - s.expect));
	if (s.dup_or_old || s.corrupt || s.vlan_bad)
		fail = printf("FAIL: duplicate/late %" PRIu64 ", corrupt %" PRIu64
			      ", vlan mismatch %" PRIu64 "\n", s.dup_or_old, s.corrupt,
			      s.vlan_bad);
	if (ts.tx_frames != sent || ts.tx_dropped || ts.tx_errors || flush_errs)
		fail = printf("FAIL: tx port counted %" PRIu64 " frames sent (we gave %" PRIu64
			      "), %" PRIu64 " dropped, %" PRIu64 " errors, %" PRIu64
			      " flush errors\n", ts.tx_frames, sent, ts.tx_dropped, ts.tx_errors,
			      flush_errs);
	if (rs.rx_frames != s.good + s.dup_or_old + s.corrupt + s.other)
		fail = printf("FAIL: rx port counted %" PRIu64 " frames, we saw %" PRIu64 "\n",
			      rs.rx_frames, s.good + s.dup_or_old + s.corrupt + s.other);
	if (c.window && (rs.rx_dropped || rs.rx_errors))
		fail = printf("FAIL: rx port dropped %" PRIu64 ", errors %" PRIu64 "\n",
			      rs.rx_dropped, rs.rx_errors);
	eu_port_close(txp);
	eu_port_close(rxp);
	if (c.measure)
		return 0;
	if (!fail)
		printf("  OK\n");
	return fail ? 1 : 0;
}
