/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_ipv4.c - europa/ipv4.h: the RFC 1071 checksum against a plain
 * reference (16 bits at a time, big-endian words, as the RFC writes it) on
 * known vectors, random headers with and without options and random buffers
 * of every length and alignment; the RFC 1624 TTL update against a full
 * recomputation for every TTL and many random headers; header validation
 * (each reason and its order); martian classes; address, prefix and route
 * parsing; MAC address parsing and formatting.
 */
#include "eu_unit.h"

#include <europa/ipv4.h>

/* Sanitizer builds run fewer iterations (TSan instruments every access). */
#if defined(__SANITIZE_THREAD__)
#define T_DIV 10
#elif defined(__SANITIZE_ADDRESS__)
#define T_DIV 2
#else
#define T_DIV 1
#endif

/* RFC 1071, literally: sum of big-endian 16-bit words, end-around carry. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum; /* host order */
}

/* The stored checksum field as a host-order number. */
static uint16_t field(uint16_t stored)
{
	return eu_ntohs(stored);
}

/* A random valid header of hlen bytes (20..60) with a correct checksum. */
static void random_hdr(uint8_t *buf, unsigned hlen)
{
	struct eu_ipv4_hdr *h = (struct eu_ipv4_hdr *)buf;

	eu_t_fill_random(buf, hlen);
	h->ver_ihl = (uint8_t)(0x40 | (hlen / 4));
	h->check = 0;
	h->check = eu_htons(ref_csum(buf, hlen));
}

START_TEST(test_known_vectors)
{
	/* a captured UDP header: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7 */
	static const uint8_t pkt[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
					 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	/* RFC 1071 section 3's example bytes: 00 01 f2 03 f4 f5 f6 f7, sum ddf2 */
	static const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t h[20];

	ck_assert_uint_eq(eu_ipv4_cksum(pkt, 20), 0);
	ck_assert_uint_eq(eu_ipv4_check(pkt, 20 + 0x5f), EU_IPV4_OK);
	memcpy(h, pkt, 20);
	eu_ipv4_cksum_set((struct eu_ipv4_hdr *)h);
	ck_assert_mem_eq(h, pkt, 20);
	ck_assert_uint_eq(field(((struct eu_ipv4_hdr *)h)->check), 0xb861);
	ck_assert_uint_eq(eu_ntohs(eu_csum_fold(eu_csum_partial(rfc, 8, 0))), 0xddf2);
	ck_assert_uint_eq(field(eu_csum(rfc, 8)), (uint16_t)~0xddf2);
	/* all zero data: sum 0, checksum 0xffff */
	memset(h, 0, sizeof(h));
	ck_assert_uint_eq(eu_csum(h, 20), 0xffff);
	ck_assert_uint_eq(eu_csum(h, 0), 0xffff);
}
END_TEST

START_TEST(test_csum_random)
{
	static uint8_t buf[2048 + 8];
	unsigned i, len, off;

	eu_t_seed();
	/* every length 0..300 at every alignment 0..7, then random long ones */
	for (len = 0; len <= 300; len++)
		for (off = 0; off < 8; off++) {
			eu_t_fill_random(buf + off, len);
			ck_assert_uint_eq(field(eu_csum(buf + off, len)), ref_csum(buf + off, len));
		}
	for (i = 0; i < 2000 / T_DIV; i++) {
		len = (unsigned)eu_t_range(0, 2048);
		off = (unsigned)eu_t_range(0, 7);
		eu_t_fill_random(buf + off, len);
		ck_assert_uint_eq(field(eu_csum(buf + off, len)), ref_csum(buf + off, len));
		/* chained partial sums at an even split give the same result */
		if (len >= 2) {
			size_t cut = (size_t)eu_t_range(0, len / 2) * 2;
			__u64 s = eu_csum_partial(buf + off, cut, 0);

			s = eu_csum_partial(buf + off + cut, len - cut, s);
			ck_assert_uint_eq(field((uint16_t)~eu_csum_fold(s)), ref_csum(buf + off, len));
		}
	}
	/* all-ones data and the fold's carries */
	memset(buf, 0xff, 2048);
	for (len = 0; len <= 2048; len += 97)
		ck_assert_uint_eq(field(eu_csum(buf, len)), ref_csum(buf, len));
}
END_TEST

START_TEST(test_hdr_csum_with_options)
{
	uint8_t buf[64];
	unsigned i, hlen;

	eu_t_seed();
	for (i = 0; i < 100000 / T_DIV; i++) {
		hlen = 20 + 4 * (unsigned)eu_t_range(0, 10);
		random_hdr(buf + 1, hlen); /* odd address: unaligned loads */
		ck_assert_uint_eq(eu_ipv4_cksum(buf + 1, hlen), 0);
		((struct eu_ipv4_hdr *)(buf + 1))->check ^= eu_htons(1U << (i % 16));
		ck_assert_uint_ne(eu_ipv4_cksum(buf + 1, hlen), 0);
		eu_ipv4_cksum_set((struct eu_ipv4_hdr *)(buf + 1));
		ck_assert_uint_eq(eu_ipv4_cksum(buf + 1, hlen), 0);
		ck_assert_uint_eq(eu_ipv4_cksum(buf + 1, hlen), field(eu_csum(buf + 1, hlen)));
	}
}
END_TEST

/* RFC 1624: the incremental update equals a full recomputation. */
START_TEST(test_ttl_dec_all_ttls)
{
	uint8_t buf[60], copy[60];
	struct eu_ipv4_hdr *h = (struct eu_ipv4_hdr *)buf;
	unsigned ttl, i, hlen, n = 0, zero_sums = 0;

	eu_t_seed();
	for (i = 0; i < 4000 / T_DIV; i++) {
		hlen = (i & 1) ? 20 : 20 + 4 * (unsigned)eu_t_range(1, 10);
		for (ttl = 1; ttl <= 255; ttl++) {
			random_hdr(buf, hlen);
			h->ttl = (uint8_t)ttl;
			h->check = 0;
			h->check = eu_htons(ref_csum(buf, hlen));
			memcpy(copy, buf, hlen);
			ck_assert_uint_eq(eu_ipv4_ttl_dec(h), ttl - 1);
			/* full recomputation on the copy */
			((struct eu_ipv4_hdr *)copy)->ttl = (uint8_t)(ttl - 1);
			((struct eu_ipv4_hdr *)copy)->check = 0;
			((struct eu_ipv4_hdr *)copy)->check = eu_htons(ref_csum(copy, hlen));
			ck_assert_msg(h->check == ((struct eu_ipv4_hdr *)copy)->check,
				      "ttl %u: incremental %04x, recomputed %04x", ttl,
				      field(h->check), field(((struct eu_ipv4_hdr *)copy)->check));
			ck_assert_uint_eq(eu_ipv4_cksum(buf, hlen), 0);
			n++;
		}
	}
	/* headers whose new checksum is 0x0000 (sum 0xffff): eqn 2 would give
	 * 0xffff there, eqn 3 must give 0x0000 as a recomputation does. Make them
	 * by adjusting the id field. */
	for (i = 0; i < 2000; i++) {
		uint16_t need;

		random_hdr(buf, 20);
		h->ttl = (uint8_t)eu_t_range(2, 255);
		/* choose id so that the header after the decrement sums to 0xffff */
		h->ttl--;
		h->id = 0;
		h->check = 0;
		need = ref_csum(buf, 20); /* ~sum without id */
		h->id = eu_htons(need);   /* now the sum is 0xffff: checksum 0 */
		h->check = 0;
		ck_assert_uint_eq(ref_csum(buf, 20), 0x0000);
		h->ttl++;
		h->check = eu_htons(ref_csum(buf, 20));
		eu_ipv4_ttl_dec(h);
		ck_assert_uint_eq(field(h->check), 0x0000);
		ck_assert_uint_eq(eu_ipv4_cksum(buf, 20), 0);
		zero_sums++;
	}
	ck_assert_uint_eq(n, 4000U / T_DIV * 255U);
	ck_assert_uint_eq(zero_sums, 2000);
}
END_TEST

START_TEST(test_csum_update16)
{
	uint8_t buf[20];
	struct eu_ipv4_hdr *h = (struct eu_ipv4_hdr *)buf;
	unsigned i;

	eu_t_seed();
	for (i = 0; i < 100000 / T_DIV; i++) {
		uint16_t old, neu;

		random_hdr(buf, 20);
		old = h->id;
		neu = (uint16_t)eu_t_rand();
		h->id = neu;
		h->check = eu_csum_update16(h->check, old, neu);
		ck_assert_uint_eq(eu_ipv4_cksum(buf, 20), 0);
		h->check = 0;
		ck_assert_uint_eq(eu_csum_update16(eu_csum(buf, 20), 0, 0), eu_csum(buf, 20));
	}
}
END_TEST

/* ------------------------------------------------------------ validation */

static void good_hdr(uint8_t *buf, unsigned hlen, unsigned tot)
{
	struct eu_ipv4_hdr *h = (struct eu_ipv4_hdr *)buf;

	memset(buf, 0, hlen);
	h->ver_ihl = (uint8_t)(0x40 | (hlen / 4));
	h->tot_len = eu_htons((uint16_t)tot);
	h->ttl = 64;
	h->protocol = 17;
	h->saddr = eu_htonl(0xc6120001U);
	h->daddr = eu_htonl(0xc6130001U);
	eu_ipv4_cksum_set(h);
}

START_TEST(test_check_reasons)
{
	uint8_t buf[128];
	struct eu_ipv4_hdr *h = (struct eu_ipv4_hdr *)buf;
	int r;

	good_hdr(buf, 20, 64);
	ck_assert_int_eq(eu_ipv4_check(buf, 64), EU_IPV4_OK);
	ck_assert_int_eq(eu_ipv4_check(buf, 100), EU_IPV4_OK); /* padded frame */
	ck_assert_int_eq(eu_ipv4_check(buf, 19), EU_IPV4_BAD_SHORT);
	ck_assert_int_eq(eu_ipv4_check(buf, 0), EU_IPV4_BAD_SHORT);
	ck_assert_int_eq(eu_ipv4_check(buf, 63), EU_IPV4_BAD_LEN_TRUNC);
	/* version 6 (with a right checksum: version is checked first) */
	h->ver_ihl = 0x65;
	eu_ipv4_cksum_set(h);
	ck_assert_int_eq(eu_ipv4_check(buf, 64), EU_IPV4_BAD_VERSION);
	/* IHL 4 and 0 */
	good_hdr(buf, 20, 64);
	h->ver_ihl = 0x44;
	ck_assert_int_eq(eu_ipv4_check(buf, 64), EU_IPV4_BAD_IHL);
	h->ver_ihl = 0x40;
	ck_assert_int_eq(eu_ipv4_check(buf, 64), EU_IPV4_BAD_IHL);
	/* options: IHL 15 = 60 bytes; a frame of 40 cannot hold the header */
	good_hdr(buf, 60, 60);
	ck_assert_int_eq(eu_ipv4_check(buf, 60), EU_IPV4_OK);
	ck_assert_int_eq(eu_ipv4_check(buf, 40), EU_IPV4_BAD_HDR_TRUNC);
	/* a wrong checksum over the options */
	buf[45] ^= 0x10;
	ck_assert_int_eq(eu_ipv4_check(buf, 60), EU_IPV4_BAD_CSUM);
	/* total length below the header length, with a right checksum */
	good_hdr(buf, 24, 23);
	ck_assert_int_eq(eu_ipv4_check(buf, 64), EU_IPV4_BAD_LEN_SHORT);
	good_hdr(buf, 20, 0);
	ck_assert_int_eq(eu_ipv4_check(buf, 64), EU_IPV4_BAD_LEN_SHORT);
	/* total length beyond the frame */
	good_hdr(buf, 20, 1500);
	ck_assert_int_eq(eu_ipv4_check(buf, 128), EU_IPV4_BAD_LEN_TRUNC);
	/* checksum is checked before total length */
	good_hdr(buf, 20, 1500);
	h->check ^= 1;
	ck_assert_int_eq(eu_ipv4_check(buf, 128), EU_IPV4_BAD_CSUM);
	/* names: distinct, non-empty, counter-friendly */
	for (r = 0; r < EU_IPV4_CHECK_COUNT; r++) {
		const char *n = eu_ipv4_check_name(r);
		int q;

		ck_assert_uint_gt(strlen(n), 0);
		ck_assert_str_ne(n, "?");
		ck_assert_uint_eq(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
		for (q = 0; q < r; q++)
			ck_assert_str_ne(n, eu_ipv4_check_name(q));
	}
	ck_assert_str_eq(eu_ipv4_check_name(EU_IPV4_OK), "ok");
	ck_assert_str_eq(eu_ipv4_check_name(EU_IPV4_BAD_CSUM), "csum");
	ck_assert_str_eq(eu_ipv4_check_name(EU_IPV4_CHECK_COUNT), "?");
	ck_assert_str_eq(eu_ipv4_check_name(-1), "?");
}
END_TEST

/* Random bytes: the result is what the rules say, and nothing is read past the frame. */
START_TEST(test_check_random)
{
	uint8_t buf[64];
	unsigned i, counts[EU_IPV4_CHECK_COUNT] = { 0 };

	eu_t_seed();
	for (i = 0; i < 200000 / T_DIV; i++) {
		size_t flen = (size_t)eu_t_range(0, 64);
		uint8_t *frame = buf + (64 - flen); /* the frame ends at the buffer's end */
		unsigned hlen, tot;
		int want, got;

		eu_t_fill_random(frame, flen);
		if (flen >= 1 && (i & 1))
			frame[0] = (uint8_t)(0x40 | (eu_t_rand() % 16));
		if (flen >= 20 && (i & 2)) {
			hlen = (frame[0] & 15) * 4U;
			if (hlen >= 20 && hlen <= flen) {
				if (i & 4) /* total length below the header length */
					((struct eu_ipv4_hdr *)frame)->tot_len =
						eu_htons((uint16_t)eu_t_range(0, hlen - 1));
				((struct eu_ipv4_hdr *)frame)->check = 0;
				((struct eu_ipv4_hdr *)frame)->check = eu_csum(frame, hlen);
			}
		}
		got = eu_ipv4_check(frame, flen);
		if (flen < 20)
			want = EU_IPV4_BAD_SHORT;
		else if (frame[0] >> 4 != 4)
			want = EU_IPV4_BAD_VERSION;
		else if ((hlen = (frame[0] & 15) * 4U) < 20)
			want = EU_IPV4_BAD_IHL;
		else if (hlen > flen)
			want = EU_IPV4_BAD_HDR_TRUNC;
		else if (ref_csum(frame, hlen) != 0)
			want = EU_IPV4_BAD_CSUM;
		else if ((tot = (unsigned)frame[2] << 8 | frame[3]) < hlen)
			want = EU_IPV4_BAD_LEN_SHORT;
		else if (tot > flen)
			want = EU_IPV4_BAD_LEN_TRUNC;
		else
			want = EU_IPV4_OK;
		ck_assert_int_eq(got, want);
		counts[got]++;
	}
	for (i = 0; i < EU_IPV4_CHECK_COUNT; i++)
		ck_assert_msg(i == EU_IPV4_OK || counts[i] > 0, "reason %s never seen",
			      eu_ipv4_check_name((int)i));
}
END_TEST

/* -------------------------------------------------------------- martians */

START_TEST(test_martians)
{
	static const struct {
		uint32_t a;
		int m;
	} cases[] = {
		{ 0x00000000U, EU_IPV4_MARTIAN_ZERONET },   { 0x00ffffffU, EU_IPV4_MARTIAN_ZERONET },
		{ 0x01000000U, EU_IPV4_MARTIAN_NONE },      { 0x7effffffU, EU_IPV4_MARTIAN_NONE },
		{ 0x7f000000U, EU_IPV4_MARTIAN_LOOPBACK },  { 0x7f000001U, EU_IPV4_MARTIAN_LOOPBACK },
		{ 0x7fffffffU, EU_IPV4_MARTIAN_LOOPBACK },  { 0x80000000U, EU_IPV4_MARTIAN_NONE },
		{ 0xc6120001U, EU_IPV4_MARTIAN_NONE },      { 0xdfffffffU, EU_IPV4_MARTIAN_NONE },
		{ 0xe0000000U, EU_IPV4_MARTIAN_MULTICAST }, { 0xe0000001U, EU_IPV4_MARTIAN_MULTICAST },
		{ 0xefffffffU, EU_IPV4_MARTIAN_MULTICAST }, { 0xf0000000U, EU_IPV4_MARTIAN_RESERVED },
		{ 0xfffffffeU, EU_IPV4_MARTIAN_RESERVED },  { 0xffffffffU, EU_IPV4_MARTIAN_BROADCAST },
	};
	unsigned i;
	int m, q;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(eu_ipv4_martian_dst(cases[i].a) == cases[i].m,
			      "dst %08x: %s, expected %s", cases[i].a,
			      eu_ipv4_martian_name(eu_ipv4_martian_dst(cases[i].a)),
			      eu_ipv4_martian_name(cases[i].m));
		ck_assert_int_eq(eu_ipv4_martian_src(cases[i].a), cases[i].m);
	}
	/* every first octet, against the rule written out */
	for (i = 0; i < 256; i++) {
		uint32_t a = i << 24 | 0x123456U;
		int want = i == 0     ? EU_IPV4_MARTIAN_ZERONET
			   : i == 127 ? EU_IPV4_MARTIAN_LOOPBACK
			   : i >= 240 ? EU_IPV4_MARTIAN_RESERVED
			   : i >= 224 ? EU_IPV4_MARTIAN_MULTICAST
				      : EU_IPV4_MARTIAN_NONE;

		ck_assert_int_eq(eu_ipv4_martian(a), want);
	}
	for (m = 0; m < EU_IPV4_MARTIAN_COUNT; m++) {
		ck_assert_str_ne(eu_ipv4_martian_name(m), "?");
		for (q = 0; q < m; q++)
			ck_assert_str_ne(eu_ipv4_martian_name(m), eu_ipv4_martian_name(q));
	}
	ck_assert_str_eq(eu_ipv4_martian_name(EU_IPV4_MARTIAN_COUNT), "?");
}
END_TEST

/* ------------------------------------------------------------------ text */

START_TEST(test_parse_addr_prefix)
{
	__u32 a, p;
	unsigned l;
	char b[EU_IPV4_ADDR_STRLEN];
	unsigned i;

	ck_assert_int_eq(eu_ipv4_parse_addr("198.18.0.1", &a), 0);
	ck_assert_uint_eq(a, 0xc6120001U);
	ck_assert_int_eq(eu_ipv4_parse_addr("0.0.0.0", &a), 0);
	ck_assert_uint_eq(a, 0);
	ck_assert_int_eq(eu_ipv4_parse_addr("255.255.255.255", &a), 0);
	ck_assert_uint_eq(a, 0xffffffffU);
	{
		static const char *const bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
						   " 1.2.3.4", "01.2.3.4", "1..3.4", "a.b.c.d",
						   "1.2.3.-4", "1.2.3.4/8", "1000.1.1.1" };

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ck_assert_msg(eu_ipv4_parse_addr(bad[i], &a) == -EINVAL, "'%s' accepted",
				      bad[i]);
			ck_assert_uint_gt(strlen(eu_last_error()), 0);
		}
	}
	ck_assert_int_eq(eu_ipv4_parse_prefix("198.18.4.0/22", &p, &l), 0);
	ck_assert_uint_eq(p, 0xc6120400U);
	ck_assert_uint_eq(l, 22);
	ck_assert_int_eq(eu_ipv4_parse_prefix("10.1.2.3", &p, &l), 0);
	ck_assert_uint_eq(l, 32);
	ck_assert_int_eq(eu_ipv4_parse_prefix("default", &p, &l), 0);
	ck_assert_uint_eq(p, 0);
	ck_assert_uint_eq(l, 0);
	ck_assert_int_eq(eu_ipv4_parse_prefix("0.0.0.0/0", &p, &l), 0);
	ck_assert_uint_eq(l, 0);
	ck_assert_int_eq(eu_ipv4_parse_prefix("10.1.2.3/8", &p, &l), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "did you mean 10.0.0.0/8"));
	ck_assert_int_eq(eu_ipv4_parse_prefix("10.0.0.0/33", &p, &l), -EINVAL);
	ck_assert_int_eq(eu_ipv4_parse_prefix("10.0.0.0/", &p, &l), -EINVAL);
	ck_assert_int_eq(eu_ipv4_parse_prefix("10.0.0.0/8x", &p, &l), -EINVAL);
	ck_assert_int_eq(eu_ipv4_parse_prefix("10.0.0.0/08", &p, &l), 0);
	ck_assert_str_eq(eu_ipv4_format(0xc6120001U, b), "198.18.0.1");
	ck_assert_str_eq(eu_ipv4_format(0, b), "0.0.0.0");
	ck_assert_str_eq(eu_ipv4_format(0xffffffffU, b), "255.255.255.255");
	/* round trip */
	eu_t_seed();
	for (i = 0; i < 10000; i++) {
		uint32_t x = (uint32_t)eu_t_rand();

		ck_assert_int_eq(eu_ipv4_parse_addr(eu_ipv4_format(x, b), &a), 0);
		ck_assert_uint_eq(a, x);
	}
	for (l = 0; l <= 32; l++)
		ck_assert_uint_eq(eu_ipv4_mask(l), l ? (uint32_t)(0xffffffffULL << (32 - l)) : 0);
}
END_TEST

START_TEST(test_route_parse)
{
	struct eu_ipv4_route r;

	ck_assert_int_eq(eu_ipv4_route_parse("198.18.4.0/22 via 198.19.0.2 dev p1", &r), 1);
	ck_assert_uint_eq(r.prefix, 0xc6120400U);
	ck_assert_uint_eq(r.len, 22);
	ck_assert_uint_eq(r.type, EU_IPV4_RT_UNICAST);
	ck_assert_uint_eq(r.has_via, 1);
	ck_assert_uint_eq(r.via, 0xc6130002U);
	ck_assert_str_eq(r.dev, "p1");
	ck_assert_int_eq(eu_ipv4_route_parse("default via 10.0.0.1 dev eth0 proto dhcp src "
					     "10.0.0.5 metric 100\n",
					     &r),
			 1);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_uint_eq(r.metric, 100);
	ck_assert_str_eq(r.dev, "eth0");
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.0/24 dev eth0 proto kernel scope link src "
					     "10.0.0.5 linkdown",
					     &r),
			 1);
	ck_assert_uint_eq(r.has_via, 0);
	ck_assert_str_eq(r.dev, "eth0");
	ck_assert_int_eq(eu_ipv4_route_parse("  blackhole 192.0.2.0/24  # test", &r), 1);
	ck_assert_uint_eq(r.type, EU_IPV4_RT_BLACKHOLE);
	ck_assert_int_eq(eu_ipv4_route_parse("unreachable 192.0.2.0/24", &r), 1);
	ck_assert_uint_eq(r.type, EU_IPV4_RT_UNREACHABLE);
	ck_assert_int_eq(eu_ipv4_route_parse("local 127.0.0.1 dev lo table local", &r), 1);
	ck_assert_uint_eq(r.type, EU_IPV4_RT_LOCAL);
	ck_assert_uint_eq(r.len, 32);
	ck_assert_int_eq(eu_ipv4_route_parse("10.9.0.0/16 via inet 10.0.0.9 dev x onlink", &r), 1);
	ck_assert_uint_eq(r.via, 0x0a000009U);
	ck_assert_int_eq(eu_ipv4_route_parse("", &r), 0);
	ck_assert_int_eq(eu_ipv4_route_parse("   # only a comment\n", &r), 0);
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.1/8 via 1.2.3.4", &r), -EINVAL);
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.0/8 via", &r), -EINVAL);
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.0/8 via 1.2.3", &r), -EINVAL);
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.0/8 dev", &r), -EINVAL);
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.0/8 dev averyveryverylongname0", &r),
			 -EINVAL);
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.0/8 frobnicate 3", &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "frobnicate"));
	ck_assert_int_eq(eu_ipv4_route_parse("10.0.0.0/8 metric x", &r), -EINVAL);
	ck_assert_int_eq(eu_ipv4_route_parse("blackhole", &r), -EINVAL);
}
END_TEST

START_TEST(test_ether_mac)
{
	static const __u8 keep[6] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x42 };
	static const char *const bad[] = {
		/* too few or too many groups, empty groups */
		"", ":", "02:00:00:00:00", "02:00:00:00:00:", "02:00:00:00:00:01:",
		"02:00:00:00:00:01:02", "02::00:00:00:00:01", ":02:00:00:00:00:01",
		/* three digits */
		"02:00:00:00:00:001", "002:00:00:00:00:01", "02:00:000:00:00:01",
		/* other separators */
		"02-00-00-00-00-01", "02:00:00-00:00:01", "02.00.00.00.00.01", "0200.0000.0001",
		"020000000001",
		/* signs, blanks, what sscanf("%x") would take */
		"+2:00:00:00:00:01", "-2:00:00:00:00:01", "02:+0:00:00:00:01",
		" 02:00:00:00:00:01", "02:00:00:00:00:01 ", "02: 0:00:00:00:01",
		"02:00:00:00:00:01\n", "0x2:00:00:00:00:01", "02:0x:00:00:00:01",
		"02:00:00:00:00:0x1", "g2:00:00:00:00:01", "02:00:00:00:00:0g",
	};
	/* in `end` mode the address may be followed by anything but a hex digit or ':' */
	static const char *const bad_end[] = {
		"02:00:00:00:00:001", "02:00:00:00:00:01:", "02:00:00:00:00:01:02",
		"02:00:00:00:00:01a", "02:00:00:00:00", "02-00-00-00-00-01", "02:0x:00:00:00:01",
	};
	const char *end, *const end0 = "untouched";
	char b[EU_ETHER_ADDR_STRLEN];
	__u8 m[6];
	unsigned i;

	ck_assert_int_eq(eu_ether_parse_mac("02:00:00:00:00:01", m, NULL), 0);
	ck_assert_mem_eq(m, "\x02\x00\x00\x00\x00\x01", 6);
	ck_assert_int_eq(eu_ether_parse_mac("aa:BB:cC:Dd:ee:FF", m, NULL), 0);
	ck_assert_mem_eq(m, "\xaa\xbb\xcc\xdd\xee\xff", 6);
	ck_assert_int_eq(eu_ether_parse_mac("2:0:a:B:00:f", m, NULL), 0);
	ck_assert_mem_eq(m, "\x02\x00\x0a\x0b\x00\x0f", 6);
	ck_assert_int_eq(eu_ether_parse_mac("00:00:00:00:00:00", m, NULL), 0);
	ck_assert_mem_eq(m, "\0\0\0\0\0\0", 6);
	ck_assert_int_eq(eu_ether_parse_mac("ff:ff:ff:ff:ff:ff", m, NULL), 0);
	ck_assert_mem_eq(m, "\xff\xff\xff\xff\xff\xff", 6);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(m, keep, 6);
		ck_assert_msg(eu_ether_parse_mac(bad[i], m, NULL) == -EINVAL, "'%s' accepted",
			      bad[i]);
		ck_assert_msg(!memcmp(m, keep, 6), "'%s' changed mac on error", bad[i]);
		ck_assert_ptr_nonnull(strstr(eu_last_error(), "is not a MAC address"));
	}
	ck_assert_int_eq(eu_ether_parse_mac("02-00-00-00-00-01", m, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "not '-'"));
	for (i = 0; i < sizeof(bad_end) / sizeof(bad_end[0]); i++) {
		memcpy(m, keep, 6);
		end = end0;
		ck_assert_msg(eu_ether_parse_mac(bad_end[i], m, &end) == -EINVAL, "'%s' accepted",
			      bad_end[i]);
		ck_assert_msg(!memcmp(m, keep, 6), "'%s' changed mac on error", bad_end[i]);
		ck_assert_ptr_eq(end, end0);
	}
	ck_assert_int_eq(eu_ether_parse_mac(NULL, m, NULL), -EINVAL);
	ck_assert_int_eq(eu_ether_parse_mac("02:00:00:00:00:01", NULL, NULL), -EINVAL);

	/* `end`: the first character after the address */
	{
		static const char *const ok_end[] = { "02:00:00:00:00:01", "02:00:00:00:00:01.5",
						      "02:00:00:00:00:01@3", "2:0:0:0:0:1,rest",
						      "02:00:00:00:00:01 x", "02:00:00:00:00:1-" };
		static const unsigned alen[] = { 17, 17, 17, 11, 17, 16 };

		for (i = 0; i < sizeof(ok_end) / sizeof(ok_end[0]); i++) {
			memset(m, 0xee, 6);
			end = NULL;
			ck_assert_msg(eu_ether_parse_mac(ok_end[i], m, &end) == 0,
				      "'%s' refused: %s", ok_end[i], eu_last_error());
			ck_assert_mem_eq(m, "\x02\x00\x00\x00\x00\x01", 6);
			ck_assert_ptr_eq(end, ok_end[i] + alen[i]);
		}
		/* the text after the address is the caller's: here "x1" */
		ck_assert_int_eq(eu_ether_parse_mac("02:00:00:00:00:0x1", m, &end), 0);
		ck_assert_str_eq(end, "x1");
		/* without `end`, trailing characters are an error */
		for (i = 1; i < sizeof(ok_end) / sizeof(ok_end[0]); i++)
			ck_assert_msg(eu_ether_parse_mac(ok_end[i], m, NULL) == -EINVAL,
				      "'%s' accepted without end", ok_end[i]);
	}

	/* format, and the round trip for random addresses */
	ck_assert_str_eq(eu_ether_format_mac(keep, b), "de:ad:be:ef:00:42");
	ck_assert_str_eq(eu_ether_format_mac((const __u8 *)"\x0a\xbc\xde\xf0\x01\xaf", b),
			 "0a:bc:de:f0:01:af");
	ck_assert_str_eq(eu_ether_format_mac((const __u8 *)"\0\0\0\0\0\0", b), "00:00:00:00:00:00");
	eu_t_seed();
	for (i = 0; i < 10000; i++) {
		__u8 x[6];

		eu_t_fill_random(x, 6);
		ck_assert_int_eq(eu_ether_parse_mac(eu_ether_format_mac(x, b), m, NULL), 0);
		ck_assert_mem_eq(m, x, 6);
	}
}
END_TEST

static Suite *ipv4_suite(void)
{
	Suite *s = suite_create("ipv4");
	TCase *cs = tcase_create("checksum");
	TCase *chk = tcase_create("check");

	tcase_set_timeout(cs, 60);
	tcase_add_test(cs, test_known_vectors);
	tcase_add_test(cs, test_csum_random);
	tcase_add_test(cs, test_hdr_csum_with_options);
	tcase_add_test(cs, test_ttl_dec_all_ttls);
	tcase_add_test(cs, test_csum_update16);
	suite_add_tcase(s, cs);

	tcase_set_timeout(chk, 60);
	tcase_add_test(chk, test_check_reasons);
	tcase_add_test(chk, test_check_random);
	tcase_add_test(chk, test_martians);
	tcase_add_test(chk, test_parse_addr_prefix);
	tcase_add_test(chk, test_route_parse);
	tcase_add_test(chk, test_ether_mac);
	suite_add_tcase(s, chk);
	return s;
}

int main(void)
{
	return eu_t_run(ipv4_suite());
}
