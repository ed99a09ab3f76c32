/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/ipv4.h - IPv4 helpers for routers: header checksum (RFC 1071), the
 * incremental checksum update of a TTL decrement (RFC 1624), header
 * validation (RFC 1812 section 5.2.2) and martian address checks (RFC 1812
 * section 5.3.7), all inline; and (in the library) parsing of addresses,
 * prefixes and routes in the syntax of `ip route`, and of MAC addresses.
 *
 * Byte order: a struct eu_ipv4_hdr is the header as it is in the packet
 * (network byte order). Addresses passed by value as __u32 (martian checks,
 * parsing, formatting, and the forwarding table in lpm.h) are in host byte
 * order: 198.18.0.1 is 0xc6120001. eu_ipv4_daddr() and eu_ipv4_saddr() read
 * them from a header.
 *
 * Everything here is pure: no state, no allocation, no system call; safe
 * from any thread. The inline functions read at most the header bytes they
 * are told about (never past `hlen` or the frame length they are given).
 */
#ifndef EUROPA_IPV4_H
#define EUROPA_IPV4_H

#include <stddef.h>

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EU_API
#define EU_API __attribute__((visibility("default")))
#endif

#ifndef eu_likely
#define eu_likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef eu_unlikely
#define eu_unlikely(x) __builtin_expect(!!(x), 0)
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define eu_htons(x) ((__u16)(x))
#define eu_htonl(x) ((__u32)(x))
#else
#define eu_htons(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define eu_htonl(x) ((__u32)__builtin_bswap32((__u32)(x)))
#endif
#define eu_ntohs(x) eu_htons(x)
#define eu_ntohl(x) eu_htonl(x)

#define EU_IPV4_HDR_MIN 20U /* IHL 5 */
#define EU_IPV4_HDR_MAX 60U /* IHL 15 */

/*
 * The IPv4 header (RFC 791), as in the packet: multi-byte fields big-endian.
 * Packed (alignment 1, as DPDK's rte_ipv4_hdr), so that it may sit at any
 * address: behind a 14-byte Ethernet header it is only 2-byte aligned. On
 * x86 and arm64 the member loads compile to the same instructions.
 */
struct __attribute__((packed)) eu_ipv4_hdr {
	__u8 ver_ihl;   /* version (high nibble, 4) and header length in words (low) */
	__u8 tos;       /* DSCP and ECN */
	__u16 tot_len;  /* header + payload bytes (big-endian) */
	__u16 id;       /* identification (big-endian) */
	__u16 frag_off; /* flags (DF 0x4000, MF 0x2000) and offset in 8 bytes (big-endian) */
	__u8 ttl;
	__u8 protocol;
	__u16 check;    /* header checksum (RFC 1071 over the header, as stored) */
	__u32 saddr;    /* big-endian */
	__u32 daddr;    /* big-endian */
};

#ifdef __cplusplus
static_assert(sizeof(struct eu_ipv4_hdr) == 20, "IPv4 header is 20 bytes");
#else
_Static_assert(sizeof(struct eu_ipv4_hdr) == 20, "IPv4 header is 20 bytes");
#endif

#define EU_IPV4_DF 0x4000U /* don't fragment, in host order of frag_off */
#define EU_IPV4_MF 0x2000U /* more fragments */
#define EU_IPV4_OFFMASK 0x1fffU

static inline unsigned eu_ipv4_version(const struct eu_ipv4_hdr *h)
{
	return h->ver_ihl >> 4;
}

/* Header length in bytes (IHL * 4): 20..60 for a valid header. */
static inline unsigned eu_ipv4_hlen(const struct eu_ipv4_hdr *h)
{
	return (unsigned)(h->ver_ihl & 0xf) << 2;
}

static inline unsigned eu_ipv4_tot_len(const struct eu_ipv4_hdr *h)
{
	return eu_ntohs(h->tot_len);
}

/* Destination and source address in host byte order. */
static inline __u32 eu_ipv4_daddr(const struct eu_ipv4_hdr *h)
{
	return eu_ntohl(h->daddr);
}

static inline __u32 eu_ipv4_saddr(const struct eu_ipv4_hdr *h)
{
	return eu_ntohl(h->saddr);
}

/* ------------------------------------------------------------ checksum */

/*
 * Fold a 64-bit accumulator of 16- or 32-bit words into the 16-bit ones'
 * complement sum (end-around carries added back). Not complemented.
 */
static inline __u16 eu_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffffU) + (sum >> 32);
	sum = (sum & 0xffffffffU) + (sum >> 32);
	sum = (sum & 0xffffU) + (sum >> 16);
	sum = (sum & 0xffffU) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Add `len` bytes at `buf` (any alignment) to a partial ones' complement sum
 * and return it (RFC 1071 section 4.1, 32 bits at a time into 64). The sum
 * is kept in the machine's byte order, which RFC 1071 (section 2.B) shows
 * gives the right bytes when the folded result is stored back as it is. An
 * odd final byte is padded with a zero byte, as the RFC requires. Chain
 * calls only at even offsets.
 */
static inline __u64 eu_csum_partial(const void *buf, size_t len, __u64 sum)
{
	const unsigned char *p = (const unsigned char *)buf;
	__u32 w;
	__u16 h;

	while (len >= 4) {
		__builtin_memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		__builtin_memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		sum += (__u64)*p << 8;
#else
		sum += *p;
#endif
	}
	return sum;
}

/*
 * The Internet checksum of `len` bytes: the ones' complement of their ones'
 * complement sum, ready to store as it is (the result is in network byte
 * order as a __u16 in memory). Over data that already holds its checksum,
 * the result is 0 when the checksum is right.
 */
static inline __u16 eu_csum(const void *buf, size_t len)
{
	return (__u16)~eu_csum_fold(eu_csum_partial(buf, len, 0));
}

/*
 * Checksum of an IPv4 header of `hlen` bytes (a multiple of 4, 20..60),
 * including its check field: 0 when the stored checksum is right. To compute
 * a checksum to store, zero the check field first (or use
 * eu_ipv4_cksum_set()). The 20-byte case is five loads and adds when `hlen`
 * is a constant; options add one load and add per 4 bytes.
 */
static inline __u16 eu_ipv4_cksum(const void *hdr, unsigned hlen)
{
	const unsigned char *p = (const unsigned char *)hdr;
	__u64 sum = 0;
	__u32 w[5];
	unsigned i;

	__builtin_memcpy(w, p, 20);
	sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];
	for (i = 20; i + 4 <= hlen; i += 4) {
		__u32 o;

		__builtin_memcpy(&o, p + i, 4);
		sum += o;
	}
	return (__u16)~eu_csum_fold(sum);
}

/* Compute and store the header checksum (over eu_ipv4_hlen() bytes). */
static inline void eu_ipv4_cksum_set(struct eu_ipv4_hdr *h)
{
	h->check = 0;
	h->check = eu_ipv4_cksum(h, eu_ipv4_hlen(h));
}

/*
 * Update a 16-bit field of a checksummed header in place from `old` to `new`
 * (both as stored, network byte order) and return the new checksum: RFC 1624
 * equation 3, HC' = ~(~HC + ~m + m'), which unlike equation 2 never yields
 * 0xffff (-0) where a full recomputation would give 0x0000.
 */
static inline __u16 eu_csum_update16(__u16 check, __u16 old_word, __u16 new_word)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old_word;
	sum += new_word;
	return (__u16)~eu_csum_fold(sum);
}

/*
 * Decrement the TTL and update the checksum incrementally (RFC 1624 eqn 3):
 * the 16-bit word (ttl, protocol) drops by 0x0100, so ~m + m' is the
 * constant 0xfeff and the update is two adds and a fold. The result equals a
 * full recomputation (tests/unit/test_ipv4.c checks every TTL). The caller
 * has already checked ttl > 1 (RFC 1812 5.3.1: TTL 0 or 1 is not forwarded
 * but answered with ICMP time exceeded). Returns the new TTL.
 */
static inline unsigned eu_ipv4_ttl_dec(struct eu_ipv4_hdr *h)
{
	__u32 sum = (__u16)~h->check;

	sum += eu_htons(0xfeffU); /* ~m + m' for m' = m - 0x0100 */
	sum = (sum & 0xffffU) + (sum >> 16);
	sum = (sum & 0xffffU) + (sum >> 16);
	h->check = (__u16)~sum;
	return --h->ttl;
}

/* ---------------------------------------------------------- validation */

/*
 * Why eu_ipv4_check() refused a header. The values index counter arrays
 * (EU_IPV4_CHECK_COUNT of them); eu_ipv4_check_name() gives each a short
 * name fit for a counter or a Prometheus label.
 */
enum eu_ipv4_check_result {
	EU_IPV4_OK = 0,        /* "ok" */
	EU_IPV4_BAD_SHORT,     /* "short": frame shorter than 20 bytes (5.2.2 (1)) */
	EU_IPV4_BAD_VERSION,   /* "version": version is not 4 (5.2.2 (3)) */
	EU_IPV4_BAD_IHL,       /* "ihl": header length below 5 words (5.2.2 (4)) */
	EU_IPV4_BAD_HDR_TRUNC, /* "hdr_trunc": IHL * 4 is more than the frame holds */
	EU_IPV4_BAD_CSUM,      /* "csum": header checksum wrong (5.2.2 (2)) */
	EU_IPV4_BAD_LEN_SHORT, /* "len_short": total length below IHL * 4 (5.2.2 (5)) */
	EU_IPV4_BAD_LEN_TRUNC, /* "len_trunc": total length more than the frame holds */
	EU_IPV4_CHECK_COUNT
};

/*
 * Validate the IPv4 header at the start of a frame payload of `frame_len`
 * bytes (what the link layer delivered after its own header), per RFC 1812
 * section 5.2.2. Checks, in this order: the frame holds 20 bytes, version 4,
 * IHL >= 5, the frame holds IHL * 4 bytes, the checksum, total length >= IHL
 * * 4, total length <= frame_len (a frame may be longer than the datagram:
 * Ethernet pads short frames; trim to eu_ipv4_tot_len() before forwarding).
 * Returns EU_IPV4_OK or the first reason that fails. Reads at most
 * min(frame_len, 60) bytes.
 */
static inline int eu_ipv4_check(const void *frame, size_t frame_len)
{
	const struct eu_ipv4_hdr *h = (const struct eu_ipv4_hdr *)frame;
	unsigned hlen, tot;

	if (eu_unlikely(frame_len < EU_IPV4_HDR_MIN))
		return EU_IPV4_BAD_SHORT;
	if (eu_unlikely(eu_ipv4_version(h) != 4))
		return EU_IPV4_BAD_VERSION;
	hlen = eu_ipv4_hlen(h);
	if (eu_unlikely(hlen < EU_IPV4_HDR_MIN))
		return EU_IPV4_BAD_IHL;
	if (eu_unlikely(hlen > frame_len))
		return EU_IPV4_BAD_HDR_TRUNC;
	if (eu_unlikely(eu_ipv4_cksum(h, hlen) != 0))
		return EU_IPV4_BAD_CSUM;
	tot = eu_ipv4_tot_len(h);
	if (eu_unlikely(tot < hlen))
		return EU_IPV4_BAD_LEN_SHORT;
	if (eu_unlikely(tot > frame_len))
		return EU_IPV4_BAD_LEN_TRUNC;
	return EU_IPV4_OK;
}

/* Counter name of an eu_ipv4_check() result ("?" if out of range). */
static inline const char *eu_ipv4_check_name(int r)
{
	switch (r) {
	case EU_IPV4_OK:
		return "ok";
	case EU_IPV4_BAD_SHORT:
		return "short";
	case EU_IPV4_BAD_VERSION:
		return "version";
	case EU_IPV4_BAD_IHL:
		return "ihl";
	case EU_IPV4_BAD_HDR_TRUNC:
		return "hdr_trunc";
	case EU_IPV4_BAD_CSUM:
		return "csum";
	case EU_IPV4_BAD_LEN_SHORT:
		return "len_short";
	case EU_IPV4_BAD_LEN_TRUNC:
		return "len_trunc";
	default:
		return "?";
	}
}

/* ------------------------------------------------------------- martians */

/*
 * Address classes a router must not forward to or from (RFC 1812 5.3.7 and
 * 4.2.2.11, RFC 6890). The same classes apply to sources and destinations;
 * the two functions below exist so callers count them apart. Values index
 * counter arrays; eu_ipv4_martian_name() names them.
 */
enum eu_ipv4_martian {
	EU_IPV4_MARTIAN_NONE = 0,  /* "none": an ordinary unicast address */
	EU_IPV4_MARTIAN_ZERONET,   /* "zeronet": 0.0.0.0/8, "this network" */
	EU_IPV4_MARTIAN_LOOPBACK,  /* "loopback": 127.0.0.0/8 */
	EU_IPV4_MARTIAN_MULTICAST, /* "multicast": 224.0.0.0/4 (a unicast router
				      does not forward it; as a source it is invalid) */
	EU_IPV4_MARTIAN_RESERVED,  /* "reserved": 240.0.0.0/4 but the broadcast address */
	EU_IPV4_MARTIAN_BROADCAST, /* "broadcast": 255.255.255.255, limited broadcast */
	EU_IPV4_MARTIAN_COUNT
};

/*
 * Class of an address (host byte order). The common case (first octet
 * 1..126, 128..223) costs two compares on the first octet.
 */
static inline int eu_ipv4_martian(__u32 addr)
{
	__u32 a = addr >> 24;

	if (eu_likely(a - 1U < 223U && a != 127U))
		return EU_IPV4_MARTIAN_NONE;
	if (a == 0)
		return EU_IPV4_MARTIAN_ZERONET;
	if (a == 127)
		return EU_IPV4_MARTIAN_LOOPBACK;
	if (a < 240)
		return EU_IPV4_MARTIAN_MULTICAST;
	if (addr == 0xffffffffU)
		return EU_IPV4_MARTIAN_BROADCAST;
	return EU_IPV4_MARTIAN_RESERVED;
}

/* A destination address that must not be forwarded (host byte order). */
static inline int eu_ipv4_martian_dst(__u32 daddr)
{
	return eu_ipv4_martian(daddr);
}

/* A source address that must not be forwarded (host byte order). */
static inline int eu_ipv4_martian_src(__u32 saddr)
{
	return eu_ipv4_martian(saddr);
}

/* Counter name of an enum eu_ipv4_martian value ("?" if out of range). */
static inline const char *eu_ipv4_martian_name(int m)
{
	switch (m) {
	case EU_IPV4_MARTIAN_NONE:
		return "none";
	case EU_IPV4_MARTIAN_ZERONET:
		return "zeronet";
	case EU_IPV4_MARTIAN_LOOPBACK:
		return "loopback";
	case EU_IPV4_MARTIAN_MULTICAST:
		return "multicast";
	case EU_IPV4_MARTIAN_RESERVED:
		return "reserved";
	case EU_IPV4_MARTIAN_BROADCAST:
		return "broadcast";
	default:
		return "?";
	}
}

/* ------------------------------------------- text (in the library, lib/ipv4.c) */

/* Netmask of a prefix length 0..32, host byte order (0 for /0). */
static inline __u32 eu_ipv4_mask(unsigned len)
{
	return len ? 0xffffffffU << (32 - len) : 0;
}

#define EU_IPV4_ADDR_STRLEN 16 /* "255.255.255.255" and its NUL */
#define EU_IPV4_DEV_MAX 16     /* IFNAMSIZ: interface names, with the NUL */

/*
 * Parse a dotted quad ("198.18.0.1": four decimal octets, no leading zeros
 * beyond "0", nothing else) into *addr (host order). Returns 0 or -EINVAL,
 * with the reason in eu_last_error(). Thread-safe.
 */
EU_API int eu_ipv4_parse_addr(const char *s, __u32 *addr);

/*
 * Parse "A.B.C.D/LEN", "A.B.C.D" (a /32) or "default" (0.0.0.0/0) into
 * *prefix (host order) and *len. Host bits beyond LEN must be zero, as
 * `ip route` requires. Returns 0 or -EINVAL (eu_last_error() says why and
 * gives the prefix that was probably meant). Thread-safe.
 */
EU_API int eu_ipv4_parse_prefix(const char *s, __u32 *prefix, unsigned *len);

/* Format a host-order address as a dotted quad into buf; returns buf. */
EU_API char *eu_ipv4_format(__u32 addr, char buf[EU_IPV4_ADDR_STRLEN]);

#define EU_ETHER_ADDR_STRLEN 18 /* "02:00:00:00:00:01" and its NUL */

/*
 * Parse an Ethernet (MAC) address as ip(8) writes it: exactly six groups of
 * one or two hex digits (either case) separated by ':' ("02:00:00:00:00:01",
 * "2:0:0:0:0:1"). Refused: '-' or other separators, empty groups, groups of
 * three digits or more, a seventh group, signs, blanks, "0x". If `end` is
 * NULL the whole string must be the address; otherwise the address may be
 * followed by anything but a hex digit or ':', and *end gets the first
 * character after it ("MAC.VLAN", "MAC@PORT"). Fills mac[0..5] in
 * transmission order and returns 0, or returns -EINVAL with the reason in
 * eu_last_error() and leaves mac and *end as they were. Thread-safe.
 */
EU_API int eu_ether_parse_mac(const char *s, __u8 mac[6], const char **end);

/* Format a MAC address as "02:00:00:00:00:01" (lower case) into buf; returns buf. */
EU_API char *eu_ether_format_mac(const __u8 mac[6], char buf[EU_ETHER_ADDR_STRLEN]);

/* Route types of `ip route` (the keyword before the prefix; "unicast" if none). */
enum eu_ipv4_route_type {
	EU_IPV4_RT_UNICAST = 0,
	EU_IPV4_RT_BLACKHOLE,
	EU_IPV4_RT_UNREACHABLE,
	EU_IPV4_RT_PROHIBIT,
	EU_IPV4_RT_LOCAL,     /* "local", "broadcast", "multicast", "anycast", "nat",
				 "throw": routes a forwarder does not install */
	EU_IPV4_RT_TYPE_COUNT
};

/* One route line in the syntax of `ip route` (see eu_ipv4_route_parse()). */
struct eu_ipv4_route {
	__u32 prefix;                /* host order, host bits zero */
	__u8 len;                    /* 0..32 */
	__u8 type;                   /* enum eu_ipv4_route_type */
	__u8 has_via;                /* a gateway was given */
	__u8 rsvd;
	__u32 via;                   /* gateway, host order (if has_via) */
	__u32 metric;                /* "metric N" / "preference N" (0 if none) */
	char dev[EU_IPV4_DEV_MAX];   /* "dev NAME" ("" if none) */
};

/*
 * Parse one line of `ip route` syntax, as written for `ip route add` or as
 * printed by `ip -4 route show`:
 *
 *   [TYPE] PREFIX [via GW] [dev DEV] [metric N] [other "key value" pairs]
 *
 * e.g. "198.18.4.0/22 via 198.19.0.2 dev p1", "default via 10.0.0.1 dev eth0
 * proto dhcp src 10.0.0.5 metric 100", "10.0.0.0/24 dev eth0 proto kernel
 * scope link src 10.0.0.5", "blackhole 192.0.2.0/24". Keywords it does not
 * use (proto, scope, src, table, onlink, ...) are skipped with their value
 * where they take one. Leading and trailing blanks, a trailing newline and
 * a trailing "# comment" are ignored. Returns 1 for a route, 0 for a blank
 * or comment-only line, or -EINVAL with the reason in eu_last_error().
 * Thread-safe.
 */
EU_API int eu_ipv4_route_parse(const char *line, struct eu_ipv4_route *out);

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_IPV4_H */
