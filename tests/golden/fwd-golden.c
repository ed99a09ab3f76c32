/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwd-golden - inputs and readable dumps for europa-fwd's golden pcap tests
 * (tests/golden/run.sh, docs/fwd.md).
 *
 *   fwd-golden gen CASE DIR   write the input frames of case CASE: DIR/in0.pcap
 *                             (arriving on port p0) and DIR/in1.pcap (port p1,
 *                             empty for most cases)
 *   fwd-golden dump FILE      print every frame of a pcap file: a decoded line per
 *                             header (checksums verified) and the bytes in hex;
 *                             timestamps are not printed
 *   fwd-golden list           the case names
 *
 * It reads and writes the classic pcap format itself, sharing no code with
 * the pcap port driver or the router it checks. Every case's frames are
 * built below by a function named after the case, from the addresses of the
 * topology in tests/golden/common.conf:
 *
 *   host A 198.18.0.2 (02:00:00:00:aa:02) -- p0 198.18.0.1/24 (02:00:00:00:00:10)
 *   host B 198.18.1.2 (02:00:00:00:bb:02) -- p1 198.18.1.1/24 (02:00:00:00:00:11)
 *   198.19.0.0/16 via B; 198.18.0.3 and 198.18.1.3 answer ARP in some cases.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 2048

struct frame {
	unsigned char b[MAXF];
	unsigned len;
};

struct out {
	FILE *f;
	unsigned n;
};

static const unsigned char MAC_P0[6] = {2, 0, 0, 0, 0, 0x10};
static const unsigned char MAC_P1[6] = {2, 0, 0, 0, 0, 0x11};
static const unsigned char MAC_A[6] = {2, 0, 0, 0, 0xaa, 2};
static const unsigned char MAC_B[6] = {2, 0, 0, 0, 0xbb, 2};
static const unsigned char MAC_A3[6] = {2, 0, 0, 0, 0xaa, 3};
static const unsigned char MAC_B3[6] = {2, 0, 0, 0, 0xbb, 3};
static const unsigned char MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "fwd-golden: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static uint32_t ip(const char *s)
{
	unsigned a, b, c, d;

	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		die("bad address", s);
	return a << 24 | b << 16 | c << 8 | d;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* RFC 1071 checksum, computed the plain way (16-bit big-endian words). */
static unsigned csum(const unsigned char *p, unsigned len)
{
	uint32_t s = 0;
	unsigned i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* ------------------------------------------------------------- pcap files */

static void pcap_open(struct out *o, const char *path)
{
	unsigned char h[24] = {0};

	o->f = fopen(path, "wb");
	if (!o->f)
		die("cannot create", path);
	o->n = 0;
	memcpy(h, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);      /* little-endian, version 2.4 */
	memcpy(h + 16, "\xff\xff\x00\x00\x01\x00\x00\x00", 8); /* snaplen 65535, Ethernet */
	fwrite(h, 1, sizeof(h), o->f);
}

static void pcap_put(struct out *o, const struct frame *fr)
{
	unsigned char h[16] = {0};
	uint32_t v;

	v = o->n++; /* timestamps: 0, 1, 2 ... seconds */
	memcpy(h, &v, 4);
	v = fr->len;
	memcpy(h + 8, &v, 4);
	memcpy(h + 12, &v, 4);
	fwrite(h, 1, sizeof(h), o->f);
	fwrite(fr->b, 1, fr->len, o->f);
}

static void pcap_close(struct out *o)
{
	if (o->f && fclose(o->f))
		die("write error", NULL);
	o->f = NULL;
}

/* ---------------------------------------------------------- frame builders */

/* An IPv4 datagram as the tests write it. Zero fields take the defaults. */
struct ipspec {
	const char *src, *dst;    /* default A -> 198.19.1.1 */
	int ttl;                  /* default 64; -1 for 0 */
	unsigned proto;           /* default 17 (UDP) */
	unsigned paylen;          /* bytes after the IP header (default 18: a 60-byte frame) */
	unsigned frag;            /* flags and offset, host order */
	unsigned id;              /* default 0x1234 */
	const unsigned char *opt; /* options (a multiple of 4 bytes) */
	unsigned optlen;
	const unsigned char *dmac, *smac; /* default router p0 / host A */
	int bad_csum;                     /* store a wrong header checksum */
	int tot_len_delta; /* added to the total length field (after the frame is made) */
};

/*
 * Ethernet + IPv4 + payload: UDP (ports 1024 -> 9, the payload bytes 0, 1,
 * 2, ...) or ICMP echo (id 0x4242, sequence 1). Padded to 60 bytes like
 * Ethernet does (the router must trim the padding).
 */
static void ipv4(struct frame *f, const struct ipspec *s)
{
	unsigned hl = 20 + s->optlen, pay = s->paylen ? s->paylen : 18, i;
	unsigned char *h = f->b + 14, *p = h + hl;
	unsigned proto = s->proto ? s->proto : 17;

	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, s->dmac ? s->dmac : MAC_P0, 6);
	memcpy(f->b + 6, s->smac ? s->smac : MAC_A, 6);
	put16(f->b + 12, 0x0800);
	h[0] = (unsigned char)(0x40 | hl / 4);
	put16(h + 2, hl + pay);
	put16(h + 4, s->id ? s->id : 0x1234);
	put16(h + 6, s->frag);
	h[8] = (unsigned char)(s->ttl < 0 ? 0 : s->ttl ? s->ttl : 64);
	h[9] = (unsigned char)proto;
	put32(h + 12, ip(s->src ? s->src : "198.18.0.2"));
	put32(h + 16, ip(s->dst ? s->dst : "198.19.1.1"));
	if (s->optlen)
		memcpy(h + 20, s->opt, s->optlen);
	for (i = 0; i < pay; i++)
		p[i] = (unsigned char)i;
	if (proto == 17 && pay >= 8) {
		put16(p, 1024);
		put16(p + 2, 9);
		put16(p + 4, pay);
		put16(p + 6, 0); /* no UDP checksum */
	} else if (proto == 1 && pay >= 8) {
		p[0] = 8;
		p[1] = 0;
		put16(p + 2, 0);
		put16(p + 4, 0x4242);
		put16(p + 6, 1);
		put16(p + 2, csum(p, pay));
	}
	put16(h + 10, csum(h, hl));
	if (s->bad_csum)
		h[11] ^= 0x5a;
	if (s->tot_len_delta) {
		put16(h + 2, (unsigned)((int)(hl + pay) + s->tot_len_delta));
		put16(h + 10, 0);
		put16(h + 10, csum(h, hl)); /* a header that is otherwise right */
	}
	f->len = 14 + hl + pay;
	if (f->len < 60)
		f->len = 60;
}

/* ARP (Ethernet/IPv4) op 1 (request) or 2 (reply). */
static void arp(struct frame *f, const unsigned char *dmac, const unsigned char *smac, unsigned op,
		const unsigned char *sha, const char *spa, const unsigned char *tha,
		const char *tpa)
{
	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, smac, 6);
	put16(f->b + 12, 0x0806);
	memcpy(f->b + 14, "\x00\x01\x08\x00\x06\x04", 6);
	put16(f->b + 20, op);
	memcpy(f->b + 22, sha, 6);
	put32(f->b + 28, ip(spa));
	memcpy(f->b + 32, tha, 6);
	put32(f->b + 38, ip(tpa));
	f->len = 60;
}

/* ------------------------------------------------------------------ cases */

/*
 * Each case writes what arrives on p0 (o[0]) and, if it has one, on p1
 * (o[1]). Frames of in0 and in1 reach the router alternately, one of each
 * per round (europa-fwd --burst 1 on an inproc switch with burst 1), so a
 * frame of in1 is seen after the frame of in0 with the same position.
 */
typedef void case_fn(struct out *o);

/* Plain forwarding: via a gateway, to a connected host, and a padded frame trimmed. */
static void c_forward(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "198.19.1.1"});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.18.1.2", .id = 2, .paylen = 100});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.19.200.7", .id = 3, .ttl = 2, .paylen = 8});
	pcap_put(&o[0], &f); /* 42 bytes of datagram in a 60-byte frame */
}

/* Header checksum wrong: dropped, counted header/csum. */
static void c_bad_csum(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.bad_csum = 1});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.id = 2}); /* the next one passes */
	pcap_put(&o[0], &f);
}

/* Total length beyond the frame, below the header; IHL below 5; version 6 in an IPv4 frame. */
static void c_bad_len(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.paylen = 100, .tot_len_delta = 1});
	pcap_put(&o[0], &f); /* len_trunc */
	ipv4(&f, &(struct ipspec){.id = 2, .tot_len_delta = -(20 + 18) + 19});
	pcap_put(&o[0], &f); /* total length 19: len_short */
	ipv4(&f, &(struct ipspec){.id = 3});
	f.b[14] = 0x44;
	put16(f.b + 24, 0);
	put16(f.b + 24, csum(f.b + 14, 16));
	pcap_put(&o[0], &f); /* ihl 4 */
	ipv4(&f, &(struct ipspec){.id = 4});
	f.b[14] = 0x65;
	pcap_put(&o[0], &f); /* version 6 */
	ipv4(&f, &(struct ipspec){.id = 5});
	f.len = 14 + 19;
	pcap_put(&o[0], &f); /* 19 bytes after Ethernet: short */
	/* (a frame shorter than an Ethernet header never reaches a VR: the switch drops it) */
}

/* TTL 1 and TTL 0: ICMP time exceeded from p0's address, quoting header + 8 bytes. */
static void c_ttl(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.ttl = 1, .paylen = 40});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.ttl = -1, .id = 2});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.ttl = 2, .id = 3}); /* forwarded with TTL 1 */
	pcap_put(&o[0], &f);
}

/* IP options (IHL 6 and 8): forwarded with the options unchanged, TTL and checksum right. */
static void c_options(struct out *o)
{
	static const unsigned char ra[4] = {0x94, 0x04, 0x00, 0x00}; /* router alert */
	static const unsigned char mix[12] = {
		0x01, 0x07, 0x07, 0x04, 0,    0,
		0,    0,    0,    0,    0x00, 0x00}; /* NOP, record route (empty), EOL */
	struct frame f;

	ipv4(&f, &(struct ipspec){.opt = ra, .optlen = 4});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.opt = mix, .optlen = 12, .id = 2, .ttl = 1});
	pcap_put(&o[0], &f); /* TTL 1 with options: the ICMP quotes all 32 header bytes */
}

/* Fragments: forwarded; TTL 1 on a first fragment gets an ICMP, on a later one none. */
static void c_fragments(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.frag = 0x2000, .paylen = 64});
	pcap_put(&o[0], &f); /* first, MF */
	ipv4(&f, &(struct ipspec){.frag = 8, .paylen = 40});
	pcap_put(&o[0], &f); /* last, offset 64 */
	ipv4(&f, &(struct ipspec){.frag = 0x2000, .ttl = 1, .id = 2, .paylen = 64});
	pcap_put(&o[0], &f); /* first, TTL 1: time exceeded */
	ipv4(&f, &(struct ipspec){.frag = 0x2008, .ttl = 1, .id = 2, .paylen = 64});
	pcap_put(&o[0], &f); /* middle, TTL 1: dropped without ICMP */
}

/* Broadcasts are not forwarded: limited, p1's and p0's directed, in a broadcast frame. */
static void c_broadcast(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "255.255.255.255", .dmac = MAC_BCAST});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.18.1.255", .id = 2});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.18.0.255", .id = 3, .dmac = MAC_BCAST});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.19.1.1", .id = 4, .dmac = MAC_BCAST});
	pcap_put(&o[0], &f); /* unicast IP in a broadcast frame: not forwarded either */
}

/* Multicast is not forwarded (no ICMP either). */
static void c_multicast(struct out *o)
{
	static const unsigned char mmac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x05};
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "224.0.0.5", .dmac = mmac, .ttl = 1});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "239.1.2.3", .id = 2});
	pcap_put(&o[0], &f);
}

/* Martian sources and destinations: dropped, never answered. */
static void c_martian(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.src = "127.0.0.1"});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.src = "0.0.0.7", .id = 2});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.src = "224.1.1.1", .id = 3});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "127.0.0.1", .id = 4});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "0.1.2.3", .id = 5});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "240.0.0.1", .id = 6, .ttl = 1});
	pcap_put(&o[0], &f);
}

/* ARP requests for our address (answered) and for another one (ignored). */
static void c_arp(struct out *o)
{
	static const unsigned char zero[6];
	struct frame f;

	arp(&f, MAC_BCAST, MAC_A, 1, MAC_A, "198.18.0.2", zero, "198.18.0.1");
	pcap_put(&o[0], &f);
	arp(&f, MAC_BCAST, MAC_A, 1, MAC_A, "198.18.0.2", zero, "198.18.0.77");
	pcap_put(&o[0], &f);
	arp(&f, MAC_BCAST, MAC_A, 1, MAC_A, "198.18.0.2", zero, "198.18.1.1");
	pcap_put(&o[0], &f); /* p1's address asked on p0: not answered */
	/* a request from an unknown host teaches us its address: ping it right after */
	arp(&f, MAC_BCAST, MAC_A3, 1, MAC_A3, "198.18.0.3", zero, "198.18.0.1");
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.src = "198.19.1.1", .dst = "198.18.0.3", .smac = MAC_A});
	pcap_put(&o[0], &f); /* (hairpin: in and out on p0) */
}

/* ICMP echo to our addresses: answered in place; to the other port's address too. */
static void c_echo(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "198.18.0.1", .proto = 1, .paylen = 64});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.18.1.1", .proto = 1, .paylen = 8, .id = 2});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.18.0.1", .proto = 1, .paylen = 16, .id = 3});
	f.b[14 + 20 + 9] ^= 0xff; /* a wrong ICMP checksum: dropped */
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.18.0.1", .proto = 17, .id = 4});
	pcap_put(&o[0], &f); /* UDP to us: no punt interface, dropped (local) */
}

/* No route, and the unreachable, prohibit and blackhole routes of case.conf. */
static void c_no_route(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "203.0.113.9"});
	pcap_put(&o[0], &f); /* net unreachable (3/0) */
	ipv4(&f, &(struct ipspec){.dst = "198.19.66.1", .id = 2});
	pcap_put(&o[0], &f); /* unreachable route: host unreachable (3/1) */
	ipv4(&f, &(struct ipspec){.dst = "198.19.77.1", .id = 3});
	pcap_put(&o[0], &f); /* prohibit: communication administratively prohibited (3/13) */
	ipv4(&f, &(struct ipspec){.dst = "198.19.88.1", .id = 4});
	pcap_put(&o[0], &f); /* blackhole: silently */
	ipv4(&f, &(struct ipspec){.dst = "203.0.113.9", .id = 5, .proto = 1, .paylen = 8});
	f.b[14 + 20] = 3; /* an ICMP error itself is never answered with one */
	put16(f.b + 14 + 22, 0);
	put16(f.b + 14 + 22, csum(f.b + 34, 8));
	pcap_put(&o[0], &f);
}

/* DF and bigger than p1's MTU (576): fragmentation needed, with the MTU. */
static void c_df_mtu(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.frag = 0x4000, .paylen = 980});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.frag = 0x4000, .paylen = 556, .id = 2});
	pcap_put(&o[0], &f); /* exactly 576: forwarded */
}

/* No DF and bigger than p1's MTU (576): fragmented; options with the copy flag copied. */
static void c_frag_mtu(struct out *o)
{
	static const unsigned char opt[8] = {0x07, 0x03, 0x04, 0x01, 0x94, 0x04, 0x00, 0x00};
	struct frame f;

	ipv4(&f, &(struct ipspec){.paylen = 980});
	pcap_put(&o[0], &f); /* 1000 bytes: 552 + 428 */
	ipv4(&f, &(struct ipspec){.paylen = 1200, .id = 2, .opt = opt, .optlen = 8});
	pcap_put(&o[0], &f); /* record route (not copied) + router alert (copied) */
	ipv4(&f, &(struct ipspec){.paylen = 700, .id = 3, .frag = 0x2000 | 100});
	pcap_put(&o[0], &f); /* a fragment fragmented again: offsets from 800, MF kept */
}

/*
 * An unresolved next hop: the router ARPs for it, holds what comes meanwhile
 * (arp-hold 2 in case.args: the third is dropped), and sends what it held when
 * the reply arrives (on p1, after two frames that do not matter).
 */
static void c_arp_resolve(struct out *o)
{
	static const unsigned char zero[6];
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "198.20.0.1"});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.20.0.2", .id = 2});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.20.0.3", .id = 3});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.dst = "198.20.0.4", .id = 4});
	pcap_put(&o[0], &f); /* after the reply: forwarded at once */

	arp(&f, MAC_BCAST, MAC_B, 1, MAC_B, "198.18.1.2", zero, "198.18.1.99");
	pcap_put(&o[1], &f); /* not for us: ignored */
	arp(&f, MAC_BCAST, MAC_B, 1, MAC_B, "198.18.1.2", zero, "198.18.1.98");
	pcap_put(&o[1], &f);
	arp(&f, MAC_P1, MAC_B3, 2, MAC_B3, "198.18.1.3", MAC_P1, "198.18.1.1");
	pcap_put(&o[1], &f); /* the reply */
}

/* No answer to ARP: after arp-retries requests, what was held is dropped. */
static void c_arp_fail(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "198.20.0.1"});
	pcap_put(&o[0], &f);
}

/*
 * An ICMP error to a host the router has no MAC for (198.18.1.3 on p1, TTL 1):
 * held while ARP resolves it, sent when the reply comes; not counted as forwarded.
 */
static void c_icmp_arp(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.src = "198.18.1.3",
				  .dst = "198.18.0.2",
				  .ttl = 1,
				  .dmac = MAC_P1,
				  .smac = MAC_B3});
	pcap_put(&o[1], &f);
	arp(&f, MAC_P1, MAC_B3, 2, MAC_B3, "198.18.1.3", MAC_P1, "198.18.1.1");
	pcap_put(&o[1], &f);
}

/* ICMP errors are rate-limited: a bucket of 2 (case.args), 5 TTL-expired datagrams. */
static void c_icmp_rate(struct out *o)
{
	struct frame f;
	unsigned i;

	for (i = 0; i < 5; i++) {
		ipv4(&f, &(struct ipspec){.ttl = 1, .id = 1 + i});
		pcap_put(&o[0], &f);
	}
}

/* Frames a router does not take: another host's MAC, IPv6, a bad ARP. */
static void c_not_ours(struct out *o)
{
	static const unsigned char other[6] = {2, 0, 0, 0, 0x99, 0x99};
	static const unsigned char zero[6];
	struct frame f;

	ipv4(&f, &(struct ipspec){.dmac = other});
	pcap_put(&o[0], &f);
	ipv4(&f, &(struct ipspec){.id = 2});
	put16(f.b + 12, 0x86dd);
	pcap_put(&o[0], &f);
	arp(&f, MAC_BCAST, MAC_A, 1, MAC_A, "198.18.0.2", zero, "198.18.0.1");
	put16(f.b + 16, 0x86dd); /* protocol type IPv6: not ours */
	pcap_put(&o[0], &f);
}

/*
 * UDP to the router's own address (not a golden case: it needs a TAP, so root; for a
 * manual check of --punt, see docs/fwd.md): the host behind the TAP answers it.
 */
static void c_punt(struct out *o)
{
	struct frame f;

	ipv4(&f, &(struct ipspec){.dst = "198.18.0.1"});
	pcap_put(&o[0], &f);
}

static const struct {
	const char *name;
	case_fn *fn;
} cases[] = {
	{"forward", c_forward},
	{"bad_csum", c_bad_csum},
	{"bad_len", c_bad_len},
	{"ttl", c_ttl},
	{"options", c_options},
	{"fragments", c_fragments},
	{"broadcast", c_broadcast},
	{"multicast", c_multicast},
	{"martian", c_martian},
	{"arp", c_arp},
	{"echo", c_echo},
	{"no_route", c_no_route},
	{"df_mtu", c_df_mtu},
	{"frag_mtu", c_frag_mtu},
	{"arp_resolve", c_arp_resolve},
	{"arp_fail", c_arp_fail},
	{"icmp_rate", c_icmp_rate},
	{"not_ours", c_not_ours},
	{"icmp_arp", c_icmp_arp},
	{"punt", c_punt},
};

/* ------------------------------------------------------------------- dump */

static void mac(const unsigned char *m)
{
	printf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void addr(uint32_t a)
{
	printf("%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

static void decode(const unsigned char *p, unsigned len)
{
	unsigned type;

	if (len < 14) {
		printf("  runt\n");
		return;
	}
	type = get16(p + 12);
	printf("  eth ");
	mac(p + 6);
	printf(" > ");
	mac(p);
	printf(" type 0x%04x\n", type);
	if (type == 0x0806 && len >= 42) {
		printf("  arp %s ", get16(p + 20) == 1   ? "request"
				    : get16(p + 20) == 2 ? "reply"
							 : "op?");
		mac(p + 22);
		printf(" ");
		addr(get32(p + 28));
		printf(" -> ");
		mac(p + 32);
		printf(" ");
		addr(get32(p + 38));
		printf("\n");
	} else if (type == 0x0800 && len >= 34) {
		const unsigned char *h = p + 14;
		unsigned hl = (h[0] & 15) * 4U, tot = get16(h + 2), fo = get16(h + 6);

		printf("  ipv4 ");
		addr(get32(h + 12));
		printf(" > ");
		addr(get32(h + 16));
		printf(" hlen %u len %u id 0x%04x%s%s off %u ttl %u proto %u csum %s", hl, tot,
		       get16(h + 4), fo & 0x4000 ? " DF" : "", fo & 0x2000 ? " MF" : "",
		       (fo & 0x1fff) * 8, h[8], h[9],
		       hl >= 20 && 14 + hl <= len && csum(h, hl) == 0 ? "ok" : "BAD");
		if (14 + tot != len && !(len == 60 && 14 + tot < 60))
			printf(" (frame holds %u)", len - 14);
		printf("\n");
		if (h[9] == 1 && !(fo & 0x1fff) && hl >= 20 && 14 + tot <= len && tot >= hl + 8) {
			const unsigned char *c = h + hl;

			printf("  icmp type %u code %u csum %s", c[0], c[1],
			       csum(c, tot - hl) == 0 ? "ok" : "BAD");
			if (c[0] == 3 && c[1] == 4)
				printf(" mtu %u", get16(c + 6));
			if ((c[0] == 3 || c[0] == 11) && tot >= hl + 8 + 20) {
				printf(" quotes ");
				addr(get32(c + 8 + 12));
				printf(" > ");
				addr(get32(c + 8 + 16));
				printf(" id 0x%04x ttl %u, %u bytes", get16(c + 8 + 4), c[8 + 8],
				       tot - hl - 8);
			}
			if (c[0] == 0 || c[0] == 8)
				printf(" id 0x%04x seq %u", get16(c + 4), get16(c + 6));
			printf("\n");
		}
	}
}

static void dump(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char gh[24], rh[16], *buf = malloc(65536);
	unsigned n = 0;
	int swap;

	if (!f || !buf)
		die("cannot read", path);
	if (fread(gh, 1, 24, f) != 24)
		die("not a pcap file", path);
	if (!memcmp(gh, "\xd4\xc3\xb2\xa1", 4) || !memcmp(gh, "\x4d\x3c\xb2\xa1", 4))
		swap = 0;
	else if (!memcmp(gh, "\xa1\xb2\xc3\xd4", 4) || !memcmp(gh, "\xa1\xb2\x3c\x4d", 4))
		swap = 1;
	else
		die("not a classic pcap file", path);
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t cap;
		unsigned i;

		memcpy(&cap, rh + 8, 4);
		if (swap)
			cap = __builtin_bswap32(cap);
		if (cap > 65536 || fread(buf, 1, cap, f) != cap)
			die("truncated record in", path);
		printf("frame %u: %u bytes\n", ++n, cap);
		decode(buf, cap);
		for (i = 0; i < cap; i++)
			printf("%s%02x%s", i % 16 == 0 ? "    " : "", buf[i],
			       i % 16 == 15 || i + 1 == cap ? "\n"
			       : i % 2                      ? " "
							    : "");
	}
	if (!n)
		printf("(no frames)\n");
	fclose(f);
	free(buf);
}

int main(int argc, char **argv)
{
	unsigned i;

	if (argc == 4 && !strcmp(argv[1], "gen")) {
		char p[4096];
		struct out o[2] = {{0}};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (!strcmp(cases[i].name, argv[2]))
				break;
		if (i == sizeof(cases) / sizeof(cases[0]))
			die("no such case (see `fwd-golden list`)", argv[2]);
		snprintf(p, sizeof(p), "%s/in0.pcap", argv[3]);
		pcap_open(&o[0], p);
		snprintf(p, sizeof(p), "%s/in1.pcap", argv[3]);
		pcap_open(&o[1], p);
		cases[i].fn(o);
		pcap_close(&o[0]);
		pcap_close(&o[1]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "dump")) {
		dump(argv[2]);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	fprintf(stderr, "usage: fwd-golden gen CASE DIR | dump FILE | list\n");
	return 2;
}
