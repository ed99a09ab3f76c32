/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwd_fuzz - hostile input for europa-fwd's router (examples/ipv4fwd/router.c):
 * a deterministic (by --seed) fuzz test that drives fwd_router_rx_burst() and
 * fwd_router_tick() directly on an anonymous region whose switch side this
 * program plays, with a fake clock.
 *
 * Config: 3 ports (p0 198.18.0.1/24 MTU 1500, p1 198.18.1.1/24 MTU 576, p2
 * 198.18.2.1/24 MTU 68), routes via a static neighbour (p1), via one that only
 * ARP from the fuzzer can resolve (p2), via one that never answers (p2), a
 * connected-style route on p0 that fills the small neighbour table,
 * blackhole, unreachable and prohibit routes; a small ICMP bucket; a punt
 * interface (a datagram socketpair stands in for the TAP). Neighbours age
 * fast (reachable 400 ms, gc 4 s) and the table is small, so that it fills,
 * evicts, goes stale and recovers by itself; now and then the MTU of p0 and
 * p1 goes down (and back up) while frames wait for ARP.
 *
 * Before the fuzzing, a deterministic scenario checks the neighbour table's
 * behaviour step by step with the fake clock (docs/fwd.md, "Neighbours"):
 * REACHABLE -> STALE after the reachable time; a stale neighbour used is
 * still sent to and re-probed by unicast ARP; an unanswered re-probe removes
 * it; an unused stale one is removed after the gc time; a full table evicts
 * the least recently used learned entry (never the PERMANENT one) instead of
 * refusing new next hops; held datagrams released after their port's MTU
 * went down are fragmented, or answered with ICMP fragmentation needed (DF).
 *
 * Input: random bytes; valid ARP, ICMP echo, UDP, fragments, IP options and
 * ICMP errors (also about ICMP errors), then mutated: bit flips, truncation,
 * total length off by one or random, IHL 0..15, fragment offsets near and past
 * 65535, ARP with wrong hlen/plen/op, TTL 0/1, broadcast, multicast, martian
 * and own addresses, bad ingress ports, descriptor lengths 0..buffer size
 * (the slot after its headroom: a switch never delivers more). Bursts of 1 to
 * 48 frames, now and then up to 300. The host sends the same kinds of frames
 * into the punt interface.
 *
 * After every burst (a tick follows each) and at the end it checks:
 *  - the accounting invariant of docs/fwd.md (fwd_stats_dropped());
 *  - every slot is accounted for: eu_region_audit() finds exactly `held`
 *    slots VR_BUSY (the hold queues), none SW_BUSY, rings consistent, and no
 *    refused transition or bad tx descriptor anywhere;
 *  - every frame sent is well formed: valid egress port, our MAC as source,
 *    unicast non-zero destination (ARP requests: broadcast), ARP 42 bytes of
 *    Ethernet/IPv4 from the port's address, IPv4 version/IHL/total length ==
 *    frame, header checksum, TTL > 0, no martian or own/broadcast
 *    destination, length <= port MTU + 14, fragment offsets that fit in the
 *    16-bit datagram (unless a received datagram already had them), and ICMP
 *    the router made (source one of our addresses): checksum, type 0/3/11,
 *    errors quote a first fragment that is not an ICMP error, sent to its
 *    source;
 *  - what the host gets from the punt interface: datagrams for our addresses,
 *    to the TAP's MAC, as many as punted_out; ARP replies from port 0's MAC.
 * Under ASan+UBSan (-DEU_SANITIZE=address) memory errors fail it too.
 *
 *   fwd_fuzz [--seed N] [--frames N] [--slots N] [--ring N] [--neigh-max N]
 *            [--arp-hold N] [--seconds S]
 *
 * --frames bounds the run (deterministic); --seconds stops earlier if the
 * time runs out (a slow sanitizer build), saying so. --slots sets the pool
 * (default 1024), --ring the ring size (default: the pool's), smaller than a
 * burst's output so that the tx ring can be full (drop.tx_full);
 * --neigh-max and --arp-hold the router's options (default 24 and 3). Exit 0 or 1.
 * A failure names the input frame it followed; rerun with the same arguments
 * and --frames just past it to stop there.
 */
// ctest-args: --seed 1 --frames 2000000 --slots 256 --ring 64 --seconds 60
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>

#include "router.h"

/*
 * Under ASan the bytes of a received slot outside its frame (headroom, and
 * past desc->len) are poisoned while the router works on the burst, so that
 * reading or writing past the frame is reported, though the region is one
 * mapping that ASan knows nothing of. The slots of a burst of up to MAXBURST
 * frames are not reused within it (the router frees its drops when the burst
 * ends), and are unpoisoned as soon as fwd_router_rx_burst() returns.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define NPORTS   3
#define ETH      14
#define MAXBURST 48  /* a usual burst's most */
#define BIGBURST 300 /* now and then (default ring only): more than the router's chunk */
#define FP_BITS  20  /* fingerprints of received datagrams that overflow 65535 */

static struct fwd_router *rt;
static struct eu_region *reg;
static struct eu_sw sw;
static struct eu_vr vr;
static __u64 fails, nframes_in, ntx, ntx_port[NPORTS], now;
static unsigned maxlen; /* buffer bytes after the headroom */
static unsigned nslots = 1024, slot_size;
static unsigned opt_neigh_max = 24, opt_arp_hold = 3;

static int punt_sv[2] = {-1, -1}; /* [0] the router's "TAP", [1] the host's end */
static const unsigned char punt_mac[6] = {2, 0, 0, 0, 0xee, 1};
static __u64 npunted, ninjected;
static unsigned port_mtu[NPORTS] = {1500, 576, 68}; /* as the router has them now */
static const unsigned port_mtu0[NPORTS] = {1500, 576, 68};
static const __u32 port_addr[NPORTS] = {0xc6120001U, 0xc6120101U, 0xc6120201U};
static unsigned char port_mac[NPORTS][6] = {
	{2, 0, 0, 0, 0, 0x10}, {2, 0, 0, 0, 0, 0x11}, {2, 0, 0, 0, 0, 0x12}};

/* ------------------------------------------------------------ random */

static __u64 rs;

static __u64 rnd(void) /* splitmix64 */
{
	__u64 z = (rs += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n) /* 0..n-1 */
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static int chance(unsigned pct)
{
	return rn(100) < pct;
}

/* ----------------------------------------------------------- failures */

static __u64 cur_frame;

/* Frames the router sent, kept while `capturing` (the scenario). */
#define MAXCAP 64
static struct {
	unsigned char f[1600];
	unsigned len, port;
} cap[MAXCAP];
static unsigned ncap;
static int capturing;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (fails++ < 20) {
		fprintf(stderr, "fwd_fuzz: FAIL (after input frame %llu, t=%llu ns): ",
			(unsigned long long)cur_frame, (unsigned long long)now);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

static void hexdump(const unsigned char *p, unsigned len)
{
	unsigned i;

	if (fails > 20)
		return;
	for (i = 0; i < len && i < 128; i++)
		fprintf(stderr, "%02x%s", p[i], i % 32 == 31 ? "\n" : " ");
	fputc('\n', stderr);
}

/* -------------------------------------------------- received datagrams */

/*
 * Fingerprints of received IPv4 datagrams whose offset and length run past
 * 65535: the router may forward such a datagram as it is, but never make one.
 */
static __u64 fp_set[1U << FP_BITS];

static __u64 fp_of(const unsigned char *ip)
{
	__u64 h = 0xcbf29ce484222325ULL;
	unsigned i;

	/* tot_len, id, frag field, protocol, addresses: not TTL, not checksum */
	for (i = 2; i < 20; i++) {
		if (i == 8 || i == 10 || i == 11)
			continue;
		h = (h ^ ip[i]) * 0x100000001b3ULL;
	}
	return h | 1;
}

static void fp_add(__u64 h)
{
	unsigned i = (unsigned)(h >> 20) & ((1U << FP_BITS) - 1);

	while (fp_set[i] && fp_set[i] != h)
		i = (i + 1) & ((1U << FP_BITS) - 1);
	fp_set[i] = h;
}

static int fp_has(__u64 h)
{
	unsigned i = (unsigned)(h >> 20) & ((1U << FP_BITS) - 1);

	while (fp_set[i]) {
		if (fp_set[i] == h)
			return 1;
		i = (i + 1) & ((1U << FP_BITS) - 1);
	}
	return 0;
}

static unsigned fp_count;
static int fp_full;

/* ------------------------------------------------------------ helpers */

static __u16 rd16(const unsigned char *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 rd32(const unsigned char *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static void wr16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void wr32(unsigned char *p, __u32 v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void ip_csum(unsigned char *ip)
{
	unsigned hl = (ip[0] & 15) * 4U;
	__u16 c;

	if (hl < 20)
		hl = 20; /* IHL < 5: fix over 20 bytes anyway, the header is bad already */
	ip[10] = ip[11] = 0;
	c = eu_csum(ip, hl);
	memcpy(ip + 10, &c, 2);
}

static int ip_csum_ok(const unsigned char *ip)
{
	unsigned hl = (ip[0] & 15) * 4U;

	return hl >= 20 && eu_csum(ip, hl) == 0;
}

static int is_ours(__u32 a)
{
	unsigned i;

	for (i = 0; i < NPORTS; i++)
		if (a == port_addr[i] || a == (port_addr[i] | 0xff))
			return 1;
	return 0;
}

/* An address the router has an opinion about. */
static __u32 pick_addr(void)
{
	static const __u32 special[] = {
		0xc6120001U, 0xc6120101U, 0xc6120201U, /* ours */
		0xc61200ffU, 0xc61201ffU, 0xc61202ffU, /* directed broadcasts */
		0xc6120000U, 0xc6120002U, 0xc6120102U, 0xc6120202U, 0xc6120209U,
		0x00000000U, 0x00000001U, 0x7f000001U, 0xe0000005U, 0xef010203U,
		0xf0000001U, 0xffffffffU, 0xdfffffffU, 0x01000000U,
	};

	switch (rn(13)) {
	case 0:
	case 1:
	case 12:
		return special[rn(sizeof(special) / sizeof(special[0]))];
	case 2: /* random */
		return (__u32)rnd();
	case 3: /* on a connected subnet: mostly the hosts there */
		return 0xc6120000U | rn(3) << 8 | (chance(70) ? 2 + rn(3) : rn(256));
	case 4: /* via the static neighbour */
	case 5:
		return 0xc6130000U | rn(0x8000);
	case 6: /* via the neighbour that never answers */
		return 0xc6138000U | rn(0x4000);
	case 7: /* via the neighbour ARP can teach */
		return 0xc613c000U | rn(0x2000);
	case 8: /* blackhole, unreachable, prohibit */
		return 0xc613e000U | rn(3) << 8 | rn(256);
	case 9: /* dev p0 without gateway: many neighbours */
		return 0xc613e300U | rn(chance(50) ? 8 : 256);
	default: /* no route */
		return 0xc6140000U | rn(0x10000);
	}
}

static __u32 pick_src(void)
{
	static const __u32 hosts[] = {0xc6120002U, 0xc6120102U, 0xc6120202U, 0xc6120003U};

	return chance(70) ? hosts[rn(4)] : pick_addr();
}

static void pick_mac(unsigned char *m, unsigned port)
{
	switch (rn(10)) {
	case 0:
		memset(m, 0xff, 6);
		break;
	case 1:
		memcpy(m, "\x01\x00\x5e\x00\x00\x05", 6);
		break;
	case 2:
		memcpy(m, "\x02\x00\x00\x00\x00\x99", 6);
		break;
	case 3:
		memset(m, 0, 6);
		break;
	default:
		memcpy(m, port_mac[port < NPORTS ? port : 0], 6);
		break;
	}
}

static void host_mac(unsigned char *m)
{
	switch (rn(12)) {
	case 0:
		memset(m, 0, 6);
		break;
	case 1:
		memset(m, 0xff, 6);
		break;
	case 2:
		memcpy(m, "\x03\x00\x00\x00\x00\x01", 6);
		break;
	default:
		memcpy(m, "\x02\x00\x00\x00\xbb\x00", 6);
		m[5] = (unsigned char)rn(8);
		break;
	}
}

/* --------------------------------------------------------- generators */

/* IP options: random, structured (copied or not), or broken. */
static unsigned put_options(unsigned char *o, unsigned room)
{
	static const unsigned char opt_types[] = {0x94, 0x83, 0x07, 0x44, 0x82};
	unsigned n = 0, k;

	if (chance(25)) {
		for (n = 0; n < room; n++)
			o[n] = (unsigned char)rnd();
		return n;
	}
	while (n < room) {
		unsigned t = rn(8), l;

		if (t == 0) {
			o[n++] = 0; /* EOL, then garbage or zeros */
			break;
		}
		if (t == 1) {
			o[n++] = 1;
			continue;
		}
		l = 2 + rn(room - n > 2 ? room - n - 1 : 1);
		if (chance(10))
			l = rn(3) == 0 ? 0 : rn(3) == 0 ? 1 : 255; /* broken length */
		if (n + 2 > room)
			break;
		/* router alert (copied), LSRR (copied), RR, timestamp, security (copied) */
		o[n] = t < 7 ? opt_types[t - 2] : (unsigned char)rnd();
		o[n + 1] = (unsigned char)l;
		for (k = 2; k < l && n + k < room; k++)
			o[n + k] = (unsigned char)rnd();
		n += l >= 2 && n + l <= room ? l : room - n;
	}
	return room;
}

/* An IPv4 datagram in f (Ethernet header included); returns the frame length. */
static unsigned gen_ip(unsigned char *f, unsigned port)
{
	unsigned char *ip = f + ETH, *l4;
	unsigned hlen = 20, plen, tot, proto, i;
	unsigned kind = rn(6);

	pick_mac(f, port);
	memcpy(f + 6, "\x02\x00\x00\x00\xbb\x02", 6);
	wr16(f + 12, 0x0800);
	if (chance(20))
		hlen = 24 + 4 * rn(10);
	memset(ip, 0, hlen);
	put_options(ip + 20, hlen - 20);
	switch (kind) {
	case 0:
	case 1: /* UDP */
		proto = 17;
		plen = 8 + (chance(50) ? rn(40) : rn(1600));
		break;
	case 2: /* ICMP echo request */
		proto = 1;
		plen = 8 + (chance(60) ? rn(64) : rn(1500));
		break;
	case 3: /* an ICMP error (or another type) quoting a header */
		proto = 1;
		plen = 8 + 20 + 8 + rn(40);
		break;
	case 4: /* TCP-ish */
		proto = 6;
		plen = 20 + rn(1400);
		break;
	default:
		proto = rn(256);
		plen = rn(200);
		break;
	}
	tot = hlen + plen;
	if (tot > 0xffff)
		tot = 0xffff;
	if (ETH + tot > maxlen) {
		tot = maxlen - ETH;
		plen = tot - hlen;
	}
	l4 = ip + hlen;
	for (i = 0; i < plen; i++)
		l4[i] = (unsigned char)rnd();
	ip[0] = (unsigned char)(0x40 | hlen / 4);
	ip[1] = (unsigned char)rnd();
	wr16(ip + 2, tot);
	wr16(ip + 4, (unsigned)rnd());
	{
		unsigned fo = 0;

		if (chance(25)) {
			static const unsigned offs[] = {0, 1, 185, 8189, 8190, 8191};

			fo = chance(50) ? offs[rn(6)] : rn(8192);
			if (chance(50))
				fo |= 0x2000; /* MF */
		}
		if (chance(30))
			fo |= 0x4000; /* DF */
		if (chance(2))
			fo |= 0x8000; /* reserved */
		wr16(ip + 6, fo);
	}
	{
		static const unsigned char ttls[] = {0, 1, 2, 64, 255};

		ip[8] = chance(20) ? ttls[rn(5)] : 64;
	}
	ip[9] = (unsigned char)proto;
	wr32(ip + 12, pick_src());
	wr32(ip + 16, kind == 2 && chance(50) ? port_addr[rn(NPORTS)] : pick_addr());
	if (proto == 1 && plen >= 8) {
		if (kind == 2) {
			l4[0] = 8;
			l4[1] = chance(90) ? 0 : (unsigned char)rnd();
		} else {
			static const unsigned char types[] = {3, 11, 4, 5, 12, 0, 8, 13};

			l4[0] = types[rn(8)];
			l4[1] = (unsigned char)rn(16);
			if (plen >= 28) { /* a quoted header */
				l4[8] = 0x45;
				wr16(l4 + 10, 20 + 8 + rn(100));
				l4[17] = chance(50) ? 1 : 17;
				if (plen >= 36 && l4[17] == 1)
					l4[28] = chance(50) ? 8 : 3;
			}
		}
		l4[2] = l4[3] = 0;
		{
			__u16 c = eu_csum(l4, plen);

			if (chance(95))
				memcpy(l4 + 2, &c, 2);
		}
	}
	ip_csum(ip);
	return ETH + tot;
}

static unsigned gen_arp(unsigned char *f, unsigned port)
{
	unsigned char *a = f + ETH;

	if (chance(70))
		memset(f, 0xff, 6);
	else
		pick_mac(f, port);
	host_mac(f + 6);
	wr16(f + 12, 0x0806);
	memcpy(a, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	a[7] = (unsigned char)(chance(50) ? 1 : 2);
	memcpy(a + 8, f + 6, 6);
	if (chance(85))
		wr32(a + 14, chance(60) ? 0xc6120002U | rn(3) << 8 : pick_addr());
	else
		wr32(a + 14, chance(50) ? 0xc6120202U : 0xc6120209U);
	if (chance(10))
		host_mac(a + 8);
	memset(a + 18, 0, 6);
	wr32(a + 24, chance(70) ? port_addr[port < NPORTS ? port : 0] : pick_addr());
	switch (rn(12)) { /* wrong fields */
	case 0:
		a[4] = (unsigned char)rnd(); /* hlen */
		break;
	case 1:
		a[5] = (unsigned char)rnd(); /* plen */
		break;
	case 2:
		a[7] = (unsigned char)rnd(); /* op */
		a[6] = (unsigned char)(chance(50) ? 0 : rnd());
		break;
	case 3:
		a[1] = (unsigned char)rnd(); /* htype */
		break;
	case 4:
		a[3] = (unsigned char)rnd(); /* ptype */
		break;
	}
	return ETH + 28 + (chance(50) ? 18 : rn(40));
}

/* A frame in slot buffer f for ingress port; returns the descriptor length. */
static unsigned gen_frame(unsigned char *f, unsigned port)
{
	unsigned len, i, n, t = rn(100);
	int mutate = chance(50);

	if (t < 8) { /* random bytes */
		len = rn(100) < 50 ? rn(80) : rn(maxlen + 1);
		for (i = 0; i < len; i++)
			f[i] = (unsigned char)rnd();
		if (chance(70))
			memcpy(f, port_mac[port < NPORTS ? port : 0], 6);
		if (chance(60))
			wr16(f + 12, chance(70) ? 0x0800 : 0x0806);
		if (chance(40) && len >= ETH + 20) {
			f[ETH] = (unsigned char)(0x40 | (f[ETH] & 15));
			ip_csum(f + ETH);
		}
		return len;
	}
	len = t < 28 ? gen_arp(f, port) : gen_ip(f, port);
	if (len > maxlen)
		len = maxlen;
	if (!mutate)
		return len;
	n = 1 + rn(3);
	while (n--) {
		unsigned char *ip = f + ETH;
		int fix = chance(75); /* keep the header checksum right after the change */

		switch (rn(9)) {
		case 0: /* bit flips */
			for (i = 1 + rn(8); i--;) {
				unsigned b = rn(len ? len : 1);

				f[b] ^= (unsigned char)(1U << rn(8));
			}
			break;
		case 1: /* truncation at any length */
			len = rn(len + 1);
			break;
		case 2: /* total length off by one */
			wr16(ip + 2, (unsigned)(rd16(ip + 2) + (chance(50) ? 1 : -1)) & 0xffff);
			break;
		case 3: /* any total length */
			wr16(ip + 2, chance(50) ? rn(65536) : rn(100));
			break;
		case 4: /* any IHL */
			ip[0] = (unsigned char)((ip[0] & 0xf0) | rn(16));
			break;
		case 5: /* fragment offsets at and past the end of a 65535-byte datagram */
			wr16(ip + 6, (rd16(ip + 6) & 0xe000) | (8191 - rn(16)));
			break;
		case 6: /* padding: the descriptor says more than the datagram */
			if (len + 1 < maxlen) {
				unsigned extra = rn(maxlen - len);

				for (i = 0; i < extra; i++)
					f[len + i] = (unsigned char)rnd();
				len += extra;
			}
			break;
		case 7: /* TTL */
			ip[8] = (unsigned char)rn(3);
			break;
		default: /* another version */
			ip[0] = (unsigned char)((ip[0] & 0x0f) | rn(16) << 4);
			break;
		}
		if (fix && len >= ETH + 20 && rd16(f + 12) == 0x0800)
			ip_csum(ip);
	}
	return len;
}

/*
 * A forwarded frame whose source is one of our addresses would look like a
 * frame the router made: keep such ICMP out of the input, so that every ICMP
 * from our addresses that leaves was made by the router.
 */
static void no_spoofed_icmp(unsigned char *f, unsigned len)
{
	unsigned char *ip = f + ETH;
	int ok;

	if (len < ETH + 20 || rd16(f + 12) != 0x0800 || ip[9] != 1 || !is_ours(rd32(ip + 12)))
		return;
	ok = ip_csum_ok(ip);
	wr32(ip + 12, 0xc6120003U);
	if (ok)
		ip_csum(ip);
}

/* Remember received datagrams whose fragment runs past 65535 bytes. */
static void note_input(const unsigned char *f, unsigned len)
{
	const unsigned char *ip = f + ETH;
	unsigned hl, tot;

	if (len < ETH + 20 || rd16(f + 12) != 0x0800)
		return;
	hl = (ip[0] & 15) * 4U;
	tot = rd16(ip + 2);
	if (hl < 20 || tot < hl)
		return;
	if ((rd16(ip + 6) & 0x1fffU) * 8U + tot - hl > 65535U && !fp_full) {
		fp_add(fp_of(ip));
		fp_full = ++fp_count > (1U << FP_BITS) / 2; /* then that check stops */
	}
}

/* ------------------------------------------------------------ checks */

static int is_icmp_err(unsigned t)
{
	return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

static void check_ip_out(const unsigned char *f, unsigned len, unsigned port)
{
	const unsigned char *ip = f + ETH;
	unsigned hl, tot, fo;
	__u32 src, dst;

	if (len < ETH + 20) {
		fail("port %u: IPv4 frame of %u bytes", port, len);
		return;
	}
	hl = (ip[0] & 15) * 4U;
	tot = rd16(ip + 2);
	src = rd32(ip + 12);
	dst = rd32(ip + 16);
	fo = rd16(ip + 6);
	if ((ip[0] >> 4) != 4 || hl < 20 || hl > tot || tot != len - ETH) {
		fail("port %u: IPv4 header: version %u ihl %u tot_len %u in a %u-byte frame", port,
		     ip[0] >> 4, hl / 4, tot, len);
		return;
	}
	if (!ip_csum_ok(ip))
		fail("port %u: IPv4 header checksum wrong", port);
	if (ip[8] == 0)
		fail("port %u: TTL 0 sent", port);
	if (eu_ipv4_martian(src) || eu_ipv4_martian(dst))
		fail("port %u: martian address sent: %08x -> %08x", port, src, dst);
	if (is_ours(dst))
		fail("port %u: sent to our own address %08x", port, dst);
	if (tot > port_mtu[port])
		fail("port %u: %u-byte datagram, MTU %u", port, tot, port_mtu[port]);
	if ((fo & 0x1fffU) * 8U + tot - hl > 65535U && !fp_full && !fp_has(fp_of(ip)))
		fail("port %u: made a fragment past 65535 bytes (frag field %04x, tot %u)", port,
		     fo, tot);
	if (f[0] & 1)
		fail("port %u: IPv4 to a group MAC", port);
	/* ICMP the router made */
	if (ip[9] == 1 && is_ours(src) && !(fo & 0x3fff)) {
		const unsigned char *ic = ip + hl, *q;
		unsigned ilen = tot - hl, qhl;

		if (ilen < 8 || eu_csum(ic, ilen) != 0) {
			fail("port %u: ICMP from us: %u bytes, bad checksum", port, ilen);
			return;
		}
		if (ic[0] != 0 && ic[0] != 3 && ic[0] != 11) {
			fail("port %u: ICMP type %u from us", port, ic[0]);
			return;
		}
		if (ic[0] == 0)
			return;
		q = ic + 8;
		qhl = ilen >= 28 ? (q[0] & 15) * 4U : 0;
		if (ilen < 28 || (q[0] >> 4) != 4 || qhl < 20 || ilen < 8 + qhl) {
			fail("port %u: ICMP error quotes no whole IPv4 header (%u bytes)", port,
			     ilen);
			return;
		}
		if (rd16(q + 6) & 0x1fff)
			fail("port %u: ICMP error about a fragment other than the first", port);
		if (q[9] == 1 && ilen > 8 + qhl && is_icmp_err(q[qhl]))
			fail("port %u: ICMP error about an ICMP error (type %u)", port, q[qhl]);
		if (rd32(q + 12) != dst)
			fail("port %u: ICMP error to %08x about a datagram from %08x", port, dst,
			     rd32(q + 12));
		if (ilen > 8 + qhl + 8)
			fail("port %u: ICMP error quotes %u data bytes, more than 8", port,
			     ilen - 8 - qhl);
	}
}

static void check_out(const struct eu_txpkt *p)
{
	const unsigned char *f = eu_sw_buf(&sw, p->idx) + p->off;
	unsigned len = p->len, port = p->port, et;
	__u64 before = fails;

	ntx++;
	if (capturing && ncap < MAXCAP && p->len <= sizeof(cap[0].f)) {
		memcpy(cap[ncap].f, f, p->len);
		cap[ncap].len = p->len;
		cap[ncap++].port = p->port;
	}
	if (port >= NPORTS) {
		fail("frame sent on port %u", port);
		return;
	}
	ntx_port[port]++;
	if (len < ETH || len > port_mtu[port] + ETH) {
		fail("port %u: %u-byte frame (MTU %u)", port, len, port_mtu[port]);
		return;
	}
	if (memcmp(f + 6, port_mac[port], 6))
		fail("port %u: source MAC not the port's", port);
	if (!memcmp(f, "\0\0\0\0\0\0", 6))
		fail("port %u: destination MAC 00:00:00:00:00:00", port);
	et = rd16(f + 12);
	if (et == 0x0806) {
		const unsigned char *a = f + ETH;

		if (len != ETH + 28 || memcmp(a, "\x00\x01\x08\x00\x06\x04\x00", 7) ||
		    (a[7] != 1 && a[7] != 2)) {
			fail("port %u: malformed ARP sent", port);
		} else {
			if (memcmp(a + 8, port_mac[port], 6) || rd32(a + 14) != port_addr[port])
				fail("port %u: ARP not from the port's MAC and address", port);
			/* a re-probe of a stale neighbour goes to its (unicast) MAC */
			if (a[7] == 1 &&
			    (((f[0] & 1) && memcmp(f, "\xff\xff\xff\xff\xff\xff", 6)) ||
			     eu_ipv4_martian(rd32(a + 24)) || is_ours(rd32(a + 24))))
				fail("port %u: ARP request to a multicast MAC, or for a martian or "
				     "own address",
				     port);
			if (a[7] == 2 && (memcmp(f, a + 18, 6) || (f[0] & 1)))
				fail("port %u: ARP reply not to a unicast requester", port);
		}
	} else if (et == 0x0800) {
		check_ip_out(f, len, port);
	} else {
		fail("port %u: EtherType %04x sent", port, et);
	}
	if (fails != before)
		hexdump(f, len);
}

/*
 * The host's side of the punt interface: what the router wrote must be a
 * datagram to one of our addresses, addressed to the TAP's MAC, or an ARP
 * reply to the host.
 */
static void punt_drain(void)
{
	unsigned char b[4096];
	ssize_t n;

	while ((n = read(punt_sv[1], b, sizeof(b))) > 0) {
		unsigned len = (unsigned)n;
		const unsigned char *ip = b + ETH;

		if (len == ETH + 28 && rd16(b + 12) == 0x0806) {
			if (memcmp(b + 6, port_mac[0], 6) ||
			    memcmp(b + ETH, "\0\1\10\0\6\4\0\2", 8) ||
			    memcmp(b + ETH + 8, port_mac[0], 6))
				fail("punt: malformed ARP reply to the host");
			continue;
		}
		npunted++;
		if (len < ETH + 20 || rd16(b + 12) != 0x0800 || memcmp(b, punt_mac, 6) ||
		    eu_ipv4_check(ip, len - ETH) != EU_IPV4_OK || rd16(ip + 2) != len - ETH ||
		    !is_ours(rd32(ip + 16)) || (rd32(ip + 16) & 0xff) == 0xff) {
			fail("punt: %u-byte frame to the host is not a datagram for us", len);
			hexdump(b, len);
		}
	}
}

/* The host sends frames into its TAP: ARP for our addresses, and anything. */
static void punt_inject(void)
{
	unsigned char b[2048 + 64];
	unsigned k, len;

	for (k = 1 + rn(4); k--;) {
		memset(b, 0, sizeof(b));
		len = gen_frame(b, rn(NPORTS));
		if (len > maxlen)
			len = maxlen;
		if (chance(20))
			len = rn(sizeof(b)); /* more than a slot can hold, too */
		no_spoofed_icmp(b, len);
		note_input(b, len);
		if (write(punt_sv[1], b, len) == (ssize_t)len)
			ninjected++;
	}
}

struct held_acc {
	__u64 held;
};

static int sum_held(const struct fwd_neigh *n, void *arg)
{
	((struct held_acc *)arg)->held += n->held;
	return 0;
}

static int del_holding(const struct fwd_neigh *n, void *arg)
{
	(void)arg;
	if (n->held)
		fwd_router_neigh_del(rt, n->addr);
	return 0;
}

/* Take what the router sent, check and free it. */
static void drain(void)
{
	struct eu_txpkt pk[256];
	__u32 idx[256];
	unsigned m, i;

	while ((m = eu_sw_tx_burst(&sw, pk, 256)) > 0) {
		for (i = 0; i < m; i++) {
			check_out(&pk[i]);
			idx[i] = pk[i].idx;
		}
		eu_sw_free_burst(&sw, idx, m);
	}
}

/* The invariants, after a tick (stats and neighbours are published by it). */
static void check_state(const char *when)
{
	struct fwd_stats st;
	struct held_acc h = {0};
	struct eu_audit a;
	struct eu_region_stats rs_;
	__u64 acc, tx = 0;
	unsigned i;

	fwd_router_stats(rt, &st);
	fwd_router_neigh_walk(rt, sum_held, &h);
	acc = st.fwd + st.local + st.arp_ignored + h.held + fwd_stats_dropped(&st);
	if (st.rx != nframes_in || acc != st.rx)
		fail("%s: accounting: %llu frames given, rx %llu, fwd %llu + local %llu + "
		     "arp_ignored %llu + held %llu + dropped %llu = %llu",
		     when, (unsigned long long)nframes_in, (unsigned long long)st.rx,
		     (unsigned long long)st.fwd, (unsigned long long)st.local,
		     (unsigned long long)st.arp_ignored, (unsigned long long)h.held,
		     (unsigned long long)fwd_stats_dropped(&st), (unsigned long long)acc);
	if (st.punted_out != npunted)
		fail("%s: router counted %llu punted, the host got %llu", when,
		     (unsigned long long)st.punted_out, (unsigned long long)npunted);
	for (i = 0; i < NPORTS; i++) {
		tx += st.port[i].tx;
		if (st.port[i].tx != ntx_port[i])
			fail("%s: port %u: router counted %llu sent, switch got %llu", when, i,
			     (unsigned long long)st.port[i].tx, (unsigned long long)ntx_port[i]);
	}
	if (eu_region_audit(reg, &a) < 0) {
		fail("%s: eu_region_audit: %s", when, eu_last_error());
		return;
	}
	if (a.total != nslots || a.state[EU_SLOT_VR_BUSY] != h.held ||
	    a.state[EU_SLOT_SW_BUSY] != 0 || a.state[EU_SLOT_TX] != 0 || a.state[EU_SLOT_RX] != 0 ||
	    a.state[EU_SLOT_INVALID] != 0 || !a.consistent)
		fail("%s: slots: total %u, VR_BUSY %u (held %llu), SW_BUSY %u, TX %u, RX %u, "
		     "INVALID %u, consistent %d",
		     when, a.total, a.state[EU_SLOT_VR_BUSY], (unsigned long long)h.held,
		     a.state[EU_SLOT_SW_BUSY], a.state[EU_SLOT_TX], a.state[EU_SLOT_RX],
		     a.state[EU_SLOT_INVALID], a.consistent);
	eu_region_stats_read(reg, &rs_);
	for (i = 0; i < EU_SIDE_COUNT; i++)
		if (rs_.slot[i].refused)
			fail("%s: %llu slot transitions refused (side %u)", when,
			     (unsigned long long)rs_.slot[i].refused, i);
	for (i = 0; i < EU_RING_COUNT; i++)
		if (rs_.ring[i].cons.refused)
			fail("%s: ring %u: %llu entries refused", when, i,
			     (unsigned long long)rs_.ring[i].cons.refused);
	for (i = 0; i < EU_BAD_COUNT; i++)
		if (sw.bad[i])
			fail("%s: switch refused %llu tx descriptors (reason %u)", when,
			     (unsigned long long)sw.bad[i], i);
}

/* ------------------------------------------------------------- setup */

static void setup_router(void)
{
	static const char *const routes[] = {
		"198.19.0.0/17 via 198.18.1.2",   /* static neighbour, p1 */
		"198.19.128.0/18 via 198.18.2.9", /* never answers, p2 */
		"198.19.192.0/19 via 198.18.2.2", /* ARP from the fuzzer, p2 */
		"blackhole 198.19.224.0/24",
		"unreachable 198.19.225.0/24",
		"prohibit 198.19.226.0/24",
		"198.19.227.0/24 dev p0", /* every address a neighbour */
	};
	struct fwd_router_opts o;
	struct fwd_neigh n;
	char err[256];
	unsigned i;

	fwd_router_opts_default(&o);
	o.nports = NPORTS;
	o.neigh_max = opt_neigh_max;
	o.arp_hold = opt_arp_hold;
	o.arp_retries = 2;
	o.arp_timeout_ms = 5;
	o.icmp_rate = 2000;
	o.icmp_burst = 8;
	o.neigh_reachable_ms = 400;
	o.neigh_gc_ms = 4000;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, punt_sv) < 0 ||
	    fcntl(punt_sv[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(punt_sv[1], F_SETFL, O_NONBLOCK) < 0) {
		perror("fwd_fuzz: socketpair");
		exit(1);
	}
	o.punt_fd = punt_sv[0];
	memcpy(o.punt_mac, punt_mac, 6);
	rt = fwd_router_create(&vr, &o);
	if (!rt) {
		perror("fwd_fuzz: fwd_router_create");
		exit(1);
	}
	for (i = 0; i < NPORTS; i++) {
		struct fwd_port_cfg c;

		memset(&c, 0, sizeof(c));
		c.addr = port_addr[i];
		c.plen = 24;
		c.mtu = port_mtu[i];
		memcpy(c.mac, port_mac[i], 6);
		if (fwd_router_port_set(rt, i, &c) < 0) {
			fprintf(stderr, "fwd_fuzz: port %u: set failed\n", i);
			exit(1);
		}
	}
	memset(&n, 0, sizeof(n));
	n.addr = 0xc6120102U;
	n.port = 1;
	memcpy(n.mac, "\x02\x00\x00\x00\xbb\x02", 6);
	if (fwd_router_neigh_add(rt, &n) < 0)
		exit(1);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		struct eu_ipv4_route r;

		snprintf(err, sizeof(err), "%s", eu_last_error());
		if (eu_ipv4_route_parse(routes[i], &r) < 0 ||
		    fwd_router_route_add(rt, &r, err, sizeof(err)) < 0) {
			fprintf(stderr, "fwd_fuzz: route \"%s\": %s\n", routes[i], err);
			exit(1);
		}
	}
}

/* Port p's MTU (applied at the next tick; the checks use it from now on). */
static void set_mtu(unsigned p, unsigned mtu)
{
	struct fwd_port_cfg c;

	if (fwd_router_port_get(rt, p, &c) < 0) {
		fail("port %u: get failed", p);
		return;
	}
	c.mtu = mtu;
	if (fwd_router_port_set(rt, p, &c) < 0)
		fail("port %u: MTU %u refused", p, mtu);
	port_mtu[p] = mtu;
}

/* ----------------------------------------------------- the scenario */

static const unsigned char host_m[6] = {2, 0, 0, 0, 0xbb, 0x77};

/* Give the router one frame on port, tick at `now` (no time passes), take what it sent. */
static void inject(const unsigned char *f, unsigned len, unsigned port)
{
	__u32 idx;
	unsigned m;

	if (eu_sw_rx_alloc(&sw, &idx, 1) != 1) {
		fail("scenario: no slot");
		return;
	}
	memcpy(eu_sw_buf(&sw, idx) + eu_sw_desc(&sw, idx)->off, f, len);
	eu_sw_desc(&sw, idx)->len = (__u16)len;
	eu_sw_desc(&sw, idx)->port = (__u16)port;
	eu_sw_rx_publish(&sw, &idx, 1);
	m = eu_vr_rx_burst(&vr, &idx, 1);
	nframes_in += m;
	fwd_router_rx_burst(rt, &idx, m);
	drain();
	fwd_router_tick(rt, now); /* publishes the table the checks read */
	drain();
}

static void tick_at(__u64 t)
{
	now = t;
	fwd_router_tick(rt, now);
	drain();
	punt_drain();
	check_state("scenario");
}

/* UDP of tot bytes (IPv4 total length) src -> dst arriving on port. */
static unsigned mk_udp(unsigned char *f, __u32 src, __u32 dst, unsigned tot, int df, unsigned port)
{
	unsigned char *ip = f + ETH;

	memset(f, 0, ETH + tot);
	memcpy(f, port_mac[port], 6);
	memcpy(f + 6, host_m, 6);
	wr16(f + 12, 0x0800);
	ip[0] = 0x45;
	wr16(ip + 2, tot);
	wr16(ip + 6, df ? 0x4000 : 0);
	ip[8] = 64;
	ip[9] = 17;
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	ip_csum(ip);
	wr16(ip + 20, 9);
	wr16(ip + 22, 9);
	wr16(ip + 24, tot - 20);
	return ETH + tot;
}

/* ARP op (1 request, 2 reply) from spa at mac to tpa, on port. */
static unsigned mk_arp(unsigned char *f, unsigned op, const unsigned char *mac, __u32 spa,
		       __u32 tpa, unsigned port)
{
	unsigned char *a = f + ETH;

	if (op == 1)
		memset(f, 0xff, 6);
	else
		memcpy(f, port_mac[port], 6);
	memcpy(f + 6, mac, 6);
	wr16(f + 12, 0x0806);
	memcpy(a, "\x00\x01\x08\x00\x06\x04\x00", 7);
	a[7] = (unsigned char)op;
	memcpy(a + 8, mac, 6);
	wr32(a + 14, spa);
	memset(a + 18, op == 2 ? 0xaa : 0, 6);
	if (op == 2)
		memcpy(a + 18, port_mac[port], 6);
	wr32(a + 24, tpa);
	return ETH + 28;
}

struct nq {
	__u32 addr;
	int found;
	struct fwd_neigh n;
	unsigned count;
};

static int nq_cb(const struct fwd_neigh *n, void *arg)
{
	struct nq *q = arg;

	q->count++;
	if (n->addr == q->addr) {
		q->found = 1;
		q->n = *n;
	}
	return 0;
}

/* State of neighbour addr (-1: absent); *count: entries in the table. */
static int nstate(__u32 addr, unsigned *count)
{
	struct nq q;

	memset(&q, 0, sizeof(q));
	q.addr = addr;
	fwd_router_neigh_walk(rt, nq_cb, &q);
	if (count)
		*count = q.count;
	return q.found ? (int)q.n.state : -1;
}

/* Captured frames of ethertype et on port (ARP: op too, if op), to dmac if dmac. */
static unsigned ncap_of(unsigned port, unsigned et, unsigned op, const unsigned char *dmac)
{
	unsigned i, k = 0;

	for (i = 0; i < ncap; i++)
		if (cap[i].port == port && rd16(cap[i].f + 12) == et &&
		    (!op || cap[i].f[ETH + 7] == op) && (!dmac || !memcmp(cap[i].f, dmac, 6)))
			k++;
	return k;
}

#define EXPECT(cond, ...)                               \
	do {                                            \
		if (!(cond))                            \
			fail("scenario: " __VA_ARGS__); \
	} while (0)

static void scenario(void)
{
	static const unsigned char m1[6] = {2, 0, 0, 0, 0xbb, 0x51};
	unsigned char f[1600];
	const __u32 src = 0xc6120102U;  /* a host behind p1 (the static neighbour's address) */
	const __u32 nb = 0xc613e305U;   /* 198.19.227.5: "dev p0", its own neighbour */
	const __u32 nb2 = 0xc6120107U;  /* 198.18.1.7 on p1 */
	const __u32 psrc = 0xc6120003U; /* behind p0, for the MTU case */
	struct fwd_stats st0, st;
	unsigned len, i, count;
	__u64 t = now;

	capturing = 1;
	fwd_router_stats(rt, &st0);

	/* 1. resolve: held, ARP request broadcast, the reply releases it */
	ncap = 0;
	inject(f, mk_udp(f, src, nb, 100, 0, 1), 1);
	EXPECT(nstate(nb, NULL) == FWD_NEIGH_INCOMPLETE, "new next hop not INCOMPLETE");
	EXPECT(ncap_of(0, 0x0806, 1, (const unsigned char *)"\xff\xff\xff\xff\xff\xff") == 1,
	       "no broadcast ARP request for it");
	inject(f, mk_arp(f, 2, m1, nb, port_addr[0], 0), 0);
	tick_at(t += 1000000);
	EXPECT(nstate(nb, NULL) == FWD_NEIGH_REACHABLE, "not REACHABLE after the reply");
	EXPECT(ncap_of(0, 0x0800, 0, m1) == 1, "held datagram not sent to its MAC");

	/* 2. not confirmed for the reachable time (400 ms): STALE, still listed */
	tick_at(t += 300000000);
	EXPECT(nstate(nb, NULL) == FWD_NEIGH_REACHABLE, "STALE before its reachable time");
	tick_at(t += 250000000);
	EXPECT(nstate(nb, NULL) == FWD_NEIGH_STALE, "not STALE after its reachable time");

	/* 3. used while stale: sent at once to the old MAC, and re-probed by unicast ARP */
	ncap = 0;
	inject(f, mk_udp(f, src, nb, 100, 0, 1), 1);
	tick_at(t += 1000000);
	EXPECT(ncap_of(0, 0x0800, 0, m1) == 1, "stale neighbour's datagram not sent");
	EXPECT(ncap_of(0, 0x0806, 1, m1) == 1, "no unicast re-probe to the stale MAC");
	EXPECT(nstate(nb, NULL) == FWD_NEIGH_PROBE, "not PROBE after a use while stale");
	fwd_router_stats(rt, &st);
	EXPECT(st.neigh_reprobes == st0.neigh_reprobes + 1, "neigh_reprobes not counted");

	/* 4. the re-probe unanswered (2 tries, 5 ms apart): removed */
	for (i = 0; i < 4; i++)
		tick_at(t += 6000000);
	EXPECT(nstate(nb, NULL) == -1, "unanswered re-probe: neighbour still there");
	fwd_router_stats(rt, &st);
	EXPECT(st.neigh_expired == st0.neigh_expired + 1, "failed re-probe not counted");

	/* 5. learned (ARP request to us), never used: STALE, then gone after gc (4 s) */
	inject(f, mk_arp(f, 1, m1, nb2, port_addr[1], 1), 1);
	tick_at(t += 1000000);
	EXPECT(nstate(nb2, NULL) == FWD_NEIGH_REACHABLE, "ARP request to us taught nothing");
	/* an ARP that is not for us creates nothing */
	inject(f, mk_arp(f, 1, m1, 0xc6120108U, 0xc6120109U, 1), 1);
	tick_at(t += 1000000);
	EXPECT(nstate(0xc6120108U, NULL) == -1, "learned from ARP not for us");
	for (i = 0; i < 10; i++)
		tick_at(t += 500000000);
	EXPECT(nstate(nb2, NULL) == -1, "unused stale neighbour not removed after gc");
	fwd_router_stats(rt, &st);
	EXPECT(st.neigh_expired == st0.neigh_expired + 2, "gc not counted");

	/* 6. a full table evicts the least recently used learned entry */
	for (i = 0; i < 2 * opt_neigh_max; i++) {
		__u32 a = 0xc6120010U + i; /* 198.18.0.16 ... on p0 */

		inject(f, mk_arp(f, 1, m1, a, port_addr[0], 0), 0);
		tick_at(t += 1000000); /* each learned 1 ms after the one before */
		EXPECT(nstate(a, &count) == FWD_NEIGH_REACHABLE, "%08x not learned (table full?)",
		       a);
		EXPECT(count <= opt_neigh_max, "table over neigh_max: %u", count);
	}
	EXPECT(nstate(0xc6120102U, NULL) == FWD_NEIGH_PERMANENT, "the PERMANENT one evicted");
	/* the oldest learned now: use the oldest, then a new next hop evicts the next one */
	{
		__u32 first = 0, a;

		for (a = 0xc6120010U; a < 0xc6120010U + 2 * opt_neigh_max && !first; a++)
			if (nstate(a, NULL) >= 0)
				first = a;
		EXPECT(first && nstate(first + 1, NULL) >= 0,
		       "the learned entries are not in a run");
		inject(f, mk_udp(f, src, first, 100, 0, 1), 1);
		tick_at(t += 1000000);
		fwd_router_stats(rt, &st0);
		inject(f, mk_udp(f, src, nb, 100, 0, 1), 1); /* a new next hop */
		tick_at(t += 1000000);
		fwd_router_stats(rt, &st);
		EXPECT(nstate(nb, NULL) == FWD_NEIGH_INCOMPLETE, "new next hop refused when full");
		EXPECT(st.drop[FWD_DROP_NEIGH_FULL] == st0.drop[FWD_DROP_NEIGH_FULL],
		       "neigh_full with learned entries to evict");
		EXPECT(st.neigh_evictions == st0.neigh_evictions + 1, "eviction not counted");
		EXPECT(nstate(first, NULL) >= 0, "evicted the entry just used");
		EXPECT(nstate(first + 1, NULL) == -1, "did not evict the least recently used");
	}
	for (i = 0; i < 4; i++) /* its ARP fails: the held datagram goes */
		tick_at(t += 6000000);

	/* 7. held, then p1's MTU goes down to 300: fragmented, or ICMP frag needed (DF) */
	inject(f, mk_arp(f, 1, host_m, psrc, port_addr[0], 0), 0); /* the ICMP's way back */
	ncap = 0;
	fwd_router_stats(rt, &st0);
	len = mk_udp(f, psrc, nb2, 500, 0, 0);
	inject(f, len, 0);
	len = mk_udp(f, psrc, nb2, 500, 1, 0);
	inject(f, len, 0);
	EXPECT(nstate(nb2, NULL) == FWD_NEIGH_INCOMPLETE, "not held");
	set_mtu(1, 300);
	tick_at(t += 1000000);
	inject(f, mk_arp(f, 2, m1, nb2, port_addr[1], 1), 1);
	tick_at(t += 1000000);
	fwd_router_stats(rt, &st);
	EXPECT(st.fragments == st0.fragments + 2, "held datagram not fragmented for MTU 300 (%llu)",
	       (unsigned long long)(st.fragments - st0.fragments));
	EXPECT(ncap_of(1, 0x0800, 0, m1) == 2, "not 2 fragments to the neighbour");
	EXPECT(st.icmp_frag_needed == st0.icmp_frag_needed + 1 &&
		       st.drop[FWD_DROP_FRAG_NEEDED] == st0.drop[FWD_DROP_FRAG_NEEDED] + 1,
	       "held DF datagram: no ICMP fragmentation needed");
	EXPECT(ncap_of(0, 0x0800, 0, host_m) == 1, "no ICMP back to the source");
	for (i = 0; i < ncap; i++)
		if (cap[i].port == 0 && rd16(cap[i].f + 12) == 0x0800 && cap[i].f[ETH + 9] == 1)
			EXPECT(cap[i].f[ETH + 20] == 3 && cap[i].f[ETH + 21] == 4 &&
				       rd16(cap[i].f + ETH + 26) == 300,
			       "ICMP on p0 is not frag needed with MTU 300");
	EXPECT(st.fwd == st0.fwd + 1, "fwd: %llu", (unsigned long long)(st.fwd - st0.fwd));
	set_mtu(1, port_mtu0[1]);
	tick_at(t += 1000000);
	capturing = 0;
	ncap = 0;
}

static __u64 mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fwd_fuzz [--seed N] [--frames N] [--slots N] [--ring N] [--neigh-max N]\n"
		"                [--arp-hold N] [--seconds S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	__u64 seed = 1, frames = 1000000, t0, rounds = 0;
	double secs = 0;
	struct eu_region_opts ro;
	struct fwd_stats st;
	__u32 idx[BIGBURST];
	int i, timed_out = 0;
	unsigned k, ring = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--neigh-max") && i + 1 < argc)
			opt_neigh_max = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--arp-hold") && i + 1 < argc)
			opt_arp_hold = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--slots") && i + 1 < argc)
			nslots = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ring") && i + 1 < argc)
			ring = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = atof(argv[++i]);
		else
			usage();
	}
	rs = seed;
	eu_region_opts_default(&ro);
	ro.flags = EU_REGION_O_UNLINK;
	ro.nslots = nslots;
	ro.ring_size = ring; /* smaller than the pool: the tx ring can be full */
	reg = eu_region_create("anon", &ro);
	if (!reg || eu_sw_init(&sw, reg) || eu_vr_init(&vr, reg)) {
		fprintf(stderr, "fwd_fuzz: region: %s\n", eu_last_error());
		return 1;
	}
	slot_size = eu_vr_slot_size(&vr);
	maxlen = slot_size - vr.slots.headroom;
	setup_router();
	now = mono(); /* the router read the clock once, in create */
	fwd_router_tick(rt, now);
	check_state("start");
	/*
	 * It holds two datagrams at once, and expects exact LRU eviction, which the
	 * router does in a table of up to 64 (docs/fwd.md).
	 */
	if (opt_arp_hold >= 2 && opt_neigh_max <= 64) {
		scenario();
		check_state("after the scenario");
	} else {
		printf("fwd_fuzz: the neighbour scenario needs --arp-hold >= 2 and --neigh-max <= "
		       "64: skipped\n");
	}
	t0 = mono();
	while (nframes_in < frames) {
		unsigned m, n = 1 + rn(chance(80) ? 8 : MAXBURST);

		if (!ring && chance(1))
			n = 1 + rn(BIGBURST);
		if (ring && n > ring)
			n = ring;

		if (secs > 0 && (rounds & 63) == 0 && mono() - t0 > (__u64)(secs * 1e9)) {
			timed_out = 1;
			break;
		}
		rounds++;
		m = eu_sw_rx_alloc(&sw, idx, n);
		for (k = 0; k < m; k++) {
			struct eu_desc *d = eu_sw_desc(&sw, idx[k]);
			unsigned char *f = eu_sw_buf(&sw, idx[k]) + d->off;
			unsigned port = chance(98) ? rn(NPORTS) : chance(50) ? NPORTS : rn(65536);
			unsigned len;

			cur_frame = nframes_in + k;
			len = gen_frame(f, port);
			no_spoofed_icmp(f, len);
			note_input(f, len);
			d->len = (__u16)len;
			d->port = (__u16)port;
		}
		if (eu_sw_rx_publish(&sw, idx, m) != m) {
			fail("rx ring full: the test leaks slots");
			break;
		}
		m = eu_vr_rx_burst(&vr, idx, BIGBURST);
		nframes_in += m;
		/*
		 * Not for big bursts: their drops and fragments can fill the router's
		 * free queue, which it then empties in the middle of the burst, and
		 * it may reuse those slots at once.
		 */
		for (k = 0; k < m && m <= MAXBURST; k++) {
			const struct eu_desc *d = eu_vr_desc(&vr, idx[k]);
			unsigned char *b = eu_sw_buf(&sw, idx[k]);

			POISON(b, d->off);
			POISON(b + d->off + d->len, slot_size - d->off - d->len);
		}
		fwd_router_rx_burst(rt, idx, m);
		for (k = 0; k < m; k++)
			UNPOISON(eu_sw_buf(&sw, idx[k]), slot_size);
		drain();
		/* the fake clock: mostly short steps, sometimes past ARP timeouts */
		now += chance(90) ? rn(2000000) : chance(90) ? rn(20000000) : 2000000000ULL;
		if (rounds % 256 == 0) /* an MTU down (or back up), frames held or not */
		{
			unsigned p = rn(2);

			set_mtu(p, chance(50) ? port_mtu0[p] : 300 + rn(200));
		}
		if (chance(5))
			punt_inject();
		fwd_router_tick(rt, now);
		drain();
		punt_drain();
		check_state("after a burst");
		if (fails > 20)
			break;
	}
	/* the end: drop what is still held, then nothing may be missing */
	fwd_router_neigh_walk(rt, del_holding, NULL);
	for (k = 0; k < 3; k++) {
		now += 1000000;
		fwd_router_tick(rt, now);
		drain();
		punt_drain();
	}
	check_state("end");
	fwd_router_stats(rt, &st);
	printf("fwd_fuzz: seed %llu: %llu frames in %llu bursts, %.1f s%s; rx %llu fwd %llu local "
	       "%llu arp_ignored %llu, sent %llu (fragments %llu, arp req %llu rep %llu, icmp "
	       "echo %llu ttl %llu unreach %llu frag_needed %llu), %u inputs past 65535\n  drops:",
	       (unsigned long long)seed, (unsigned long long)nframes_in, (unsigned long long)rounds,
	       (double)(mono() - t0) / 1e9, timed_out ? " (stopped by --seconds)" : "",
	       (unsigned long long)st.rx, (unsigned long long)st.fwd, (unsigned long long)st.local,
	       (unsigned long long)st.arp_ignored, (unsigned long long)ntx,
	       (unsigned long long)st.fragments, (unsigned long long)st.arp_req_out,
	       (unsigned long long)st.arp_rep_out, (unsigned long long)st.icmp_echo,
	       (unsigned long long)st.icmp_ttl, (unsigned long long)st.icmp_unreach,
	       (unsigned long long)st.icmp_frag_needed, fp_count);
	for (k = 0; k < FWD_DROP_COUNT; k++)
		if (st.drop[k])
			printf(" %s %llu", fwd_drop_name(k), (unsigned long long)st.drop[k]);
	printf("\n  punt: %llu frames to the host, %llu injected, %llu routed in\n",
	       (unsigned long long)st.punted_out, (unsigned long long)ninjected,
	       (unsigned long long)st.punted_in);
	printf("  neighbours: %llu evicted, %llu re-probed, %llu expired\n  header:",
	       (unsigned long long)st.neigh_evictions, (unsigned long long)st.neigh_reprobes,
	       (unsigned long long)st.neigh_expired);
	for (k = 1; k < EU_IPV4_CHECK_COUNT; k++)
		printf(" %s %llu", eu_ipv4_check_name((int)k), (unsigned long long)st.hdr[k]);
	printf("\n");
	fwd_router_destroy(rt);
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(reg);
	close(punt_sv[0]);
	close(punt_sv[1]);
	if (fails) {
		fprintf(stderr, "fwd_fuzz: FAILED: %llu check(s) failed (seed %llu)\n",
			(unsigned long long)fails, (unsigned long long)seed);
		return 1;
	}
	printf("fwd_fuzz: OK\n");
	return 0;
}
