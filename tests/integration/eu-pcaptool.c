/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-pcaptool - make, transform and compare pcap files for the switch tests
 * (tests/integration/switch_*.sh). It reads and writes the classic pcap
 * format itself, so it shares no code with the pcap port driver it checks.
 *
 *   eu-pcaptool gen OUT COUNT DST...   COUNT Ethernet/IPv4/UDP frames; frame i goes
 *                                      to DST[i % n], each DST "MAC" or "MAC.VLAN";
 *                                      lengths vary from 60 to 1514 bytes; the UDP
 *                                      payload starts with the sequence number i
 *   eu-pcaptool select IN OUT [--not] [--src] MATCH...
 *                                      the frames that match one MATCH (--not: none),
 *                                      in order; MATCH is MAC, MAC.VLAN, MAC.untagged,
 *                                      *.VLAN or *.untagged, MAC the destination (--src:
 *                                      the source) address
 *   eu-pcaptool reflect IN OUT         every frame with its MAC addresses swapped
 *   eu-pcaptool cmp A B                exit 0 if both hold the same frames, byte for
 *                                      byte, in the same order (timestamps ignored);
 *                                      else say where they first differ, exit 1
 *   eu-pcaptool count FILE             print the number of frames
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <europa/ipv4.h>

#define SNAP 65535

struct frame {
	uint32_t len;
	unsigned char *data;
};

struct cap {
	struct frame *f;
	size_t n, cap;
};

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "eu-pcaptool: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	exit(2);
}

static uint32_t sw32(uint32_t x, int swap)
{
	return swap ? __builtin_bswap32(x) : x;
}

static void cap_add(struct cap *c, const unsigned char *d, uint32_t len)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->f = realloc(c->f, c->cap * sizeof(*c->f));
		if (!c->f)
			die("%s", "out of memory");
	}
	c->f[c->n].len = len;
	c->f[c->n].data = malloc(len ? len : 1);
	if (!c->f[c->n].data)
		die("%s", "out of memory");
	memcpy(c->f[c->n].data, d, len);
	c->n++;
}

static void cap_free(struct cap *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->f[i].data);
	free(c->f);
	memset(c, 0, sizeof(*c));
}

static void cap_read(const char *path, struct cap *c)
{
	FILE *fp = fopen(path, "rb");
	uint32_t gh[6], rh[4];
	unsigned char *buf;
	int swap;

	memset(c, 0, sizeof(*c));
	if (!fp) {
		fprintf(stderr, "eu-pcaptool: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (fread(gh, 4, 6, fp) != 6) {
		/* an empty or truncated file: no frames (a port that never sent) */
		fclose(fp);
		return;
	}
	if (gh[0] == 0xa1b2c3d4U || gh[0] == 0xa1b23c4dU)
		swap = 0;
	else if (gh[0] == 0xd4c3b2a1U || gh[0] == 0x4d3cb2a1U)
		swap = 1;
	else
		die("%s: not a pcap file", path);
	buf = malloc(SNAP + 1);
	while (fread(rh, 4, 4, fp) == 4) {
		uint32_t len = sw32(rh[2], swap);

		if (len > SNAP)
			die("%s: record longer than 65535 bytes", path);
		if (fread(buf, 1, len, fp) != len)
			die("%s: truncated record", path);
		cap_add(c, buf, len);
	}
	free(buf);
	fclose(fp);
}

static void cap_write(const char *path, const struct cap *c)
{
	FILE *fp = fopen(path, "wb");
	uint32_t gh[6] = { 0xa1b2c3d4U, 0x00040002U, 0, 0, SNAP, 1 };
	size_t i;

	if (!fp) {
		fprintf(stderr, "eu-pcaptool: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fwrite(gh, 4, 6, fp);
	for (i = 0; i < c->n; i++) {
		uint32_t rh[4] = { (uint32_t)(i / 1000000), (uint32_t)(i % 1000000), c->f[i].len,
				   c->f[i].len };

		fwrite(rh, 4, 4, fp);
		fwrite(c->f[i].data, 1, c->f[i].len, fp);
	}
	if (fclose(fp))
		die("%s: write failed", path);
}

/* "MAC", "MAC.VLAN", "MAC.untagged", "*.VLAN", "*.untagged" */
struct match {
	int any_mac;
	unsigned char mac[6];
	int vlan; /* -1 any, 0 untagged, else the id */
};

static void parse_match(const char *s, struct match *m)
{
	const char *p;

	memset(m, 0, sizeof(*m));
	m->vlan = -1;
	if (s[0] == '*') {
		m->any_mac = 1;
		p = s + 1;
	} else if (eu_ether_parse_mac(s, m->mac, &p) < 0) {
		die("bad MATCH \"%s\" (MAC, MAC.VLAN, MAC.untagged, *.VLAN, *.untagged)", s);
	}
	if (!*p)
		return;
	if (*p != '.')
		die("bad MATCH \"%s\"", s);
	if (strcmp(p + 1, "untagged") == 0)
		m->vlan = 0;
	else
		m->vlan = atoi(p + 1);
}

static int frame_vlan(const struct frame *f)
{
	if (f->len >= 18 && f->data[12] == 0x81 && f->data[13] == 0x00)
		return ((f->data[14] & 0x0f) << 8) | f->data[15];
	return 0;
}

static int by_src;

static int matches(const struct frame *f, const struct match *m)
{
	if (f->len < 14)
		return 0;
	if (!m->any_mac && memcmp(f->data + (by_src ? 6 : 0), m->mac, 6))
		return 0;
	if (m->vlan >= 0 && frame_vlan(f) != m->vlan)
		return 0;
	return 1;
}

static uint16_t csum(const unsigned char *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int cmd_gen(int argc, char **argv)
{
	struct cap c = { 0 };
	unsigned char f[1600];
	unsigned long n, i;
	int nd = argc - 2, d;
	uint32_t rnd = 12345;
	struct {
		unsigned char mac[6];
		int vlan;
	} *dst;

	if (argc < 3)
		die("%s", "gen OUT COUNT DST...");
	n = strtoul(argv[1], NULL, 0);
	dst = calloc((size_t)nd, sizeof(*dst));
	for (d = 0; d < nd; d++) {
		const char *p;

		if (eu_ether_parse_mac(argv[2 + d], dst[d].mac, &p) < 0)
			die("bad DST \"%s\" (MAC or MAC.VLAN)", argv[2 + d]);
		dst[d].vlan = *p == '.' ? atoi(p + 1) : 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char *ip, *udp;
		unsigned len, l3, k;

		d = (int)(i % (unsigned long)nd);
		rnd = rnd * 1103515245U + 12345U;
		len = 60 + (rnd >> 8) % (1514 - 60 + 1);
		if (i % 7 == 0)
			len = 60; /* plenty of minimum-size frames */
		memset(f, 0, sizeof(f));
		memcpy(f, dst[d].mac, 6);
		f[6] = 0x02;
		f[11] = (unsigned char)(1 + i % 4);
		l3 = 14;
		if (dst[d].vlan) {
			f[12] = 0x81;
			f[14] = (unsigned char)(dst[d].vlan >> 8);
			f[15] = (unsigned char)dst[d].vlan;
			l3 = 18;
			len += 4;
		}
		f[l3 - 2] = 0x08;
		ip = f + l3;
		ip[0] = 0x45;
		ip[2] = (unsigned char)((len - l3) >> 8);
		ip[3] = (unsigned char)(len - l3);
		ip[8] = 64;
		ip[9] = 17;
		ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1;
		ip[16] = 198, ip[17] = 19, ip[18] = 0, ip[19] = (unsigned char)(1 + i % 250);
		k = csum(ip, 20);
		ip[10] = (unsigned char)(k >> 8);
		ip[11] = (unsigned char)k;
		udp = ip + 20;
		udp[0] = 0x30, udp[1] = 0x39, udp[2] = 0x30, udp[3] = 0x39;
		udp[4] = (unsigned char)((len - l3 - 20) >> 8);
		udp[5] = (unsigned char)(len - l3 - 20);
		for (k = 0; k < 8; k++)
			udp[8 + k] = (unsigned char)(i >> (56 - 8 * k));
		for (k = l3 + 36; k < len; k++)
			f[k] = (unsigned char)(k * 31 + i);
		cap_add(&c, f, len);
	}
	cap_write(argv[0], &c);
	cap_free(&c);
	free(dst);
	return 0;
}

static int cmd_select(int argc, char **argv)
{
	struct cap in, out = { 0 };
	struct match *m;
	int inv = 0, nm = 0, i;
	size_t k;

	if (argc < 3)
		die("%s", "select IN OUT [--not] [--src] MATCH...");
	cap_read(argv[0], &in);
	m = calloc((size_t)argc, sizeof(*m));
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--not") == 0)
			inv = 1;
		else if (strcmp(argv[i], "--src") == 0)
			by_src = 1;
		else
			parse_match(argv[i], &m[nm++]);
	}
	for (k = 0; k < in.n; k++) {
		int hit = 0;

		for (i = 0; i < nm && !hit; i++)
			hit = matches(&in.f[k], &m[i]);
		if (hit != inv)
			cap_add(&out, in.f[k].data, in.f[k].len);
	}
	cap_write(argv[1], &out);
	cap_free(&in);
	cap_free(&out);
	free(m);
	return 0;
}

static int cmd_reflect(int argc, char **argv)
{
	struct cap c;
	size_t k;

	if (argc != 2)
		die("%s", "reflect IN OUT");
	cap_read(argv[0], &c);
	for (k = 0; k < c.n; k++) {
		unsigned char t[6];

		if (c.f[k].len < 12)
			continue;
		memcpy(t, c.f[k].data, 6);
		memcpy(c.f[k].data, c.f[k].data + 6, 6);
		memcpy(c.f[k].data + 6, t, 6);
	}
	cap_write(argv[1], &c);
	cap_free(&c);
	return 0;
}

static int cmp_frames(struct cap *a, struct cap *b, char **argv)
{
	size_t k, n;

	n = a->n < b->n ? a->n : b->n;
	for (k = 0; k < n; k++) {
		uint32_t j;

		if (a->f[k].len != b->f[k].len) {
			printf("frame %zu: %u bytes in %s, %u in %s\n", k, a->f[k].len, argv[0],
			       b->f[k].len, argv[1]);
			return 1;
		}
		for (j = 0; j < a->f[k].len; j++)
			if (a->f[k].data[j] != b->f[k].data[j]) {
				printf("frame %zu: byte %u differs: 0x%02x in %s, 0x%02x in %s\n",
				       k, j, a->f[k].data[j], argv[0], b->f[k].data[j], argv[1]);
				return 1;
			}
	}
	if (a->n != b->n) {
		printf("%s has %zu frames, %s has %zu (the first %zu are equal)\n", argv[0], a->n,
		       argv[1], b->n, n);
		return 1;
	}
	printf("%zu frames equal\n", n);
	return 0;
}

static int cmd_cmp(int argc, char **argv)
{
	struct cap a, b;
	int rc;

	if (argc != 2)
		die("%s", "cmp A B");
	cap_read(argv[0], &a);
	cap_read(argv[1], &b);
	rc = cmp_frames(&a, &b, argv);
	cap_free(&a);
	cap_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	struct cap c;

	if (argc < 2) {
		fprintf(stderr, "usage: eu-pcaptool gen|select|reflect|cmp|count ...\n");
		return 2;
	}
	if (strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc - 2, argv + 2);
	if (strcmp(argv[1], "select") == 0)
		return cmd_select(argc - 2, argv + 2);
	if (strcmp(argv[1], "reflect") == 0)
		return cmd_reflect(argc - 2, argv + 2);
	if (strcmp(argv[1], "cmp") == 0)
		return cmd_cmp(argc - 2, argv + 2);
	if (strcmp(argv[1], "count") == 0 && argc == 3) {
		cap_read(argv[2], &c);
		printf("%zu\n", c.n);
		cap_free(&c);
		return 0;
	}
	fprintf(stderr, "eu-pcaptool: unknown command %s\n", argv[1]);
	return 2;
}
