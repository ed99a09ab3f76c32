/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_switch.c - the switch logic (europa/switch.h, lib/switch.c): options
 * and rule checks; classification against a reference implementation over
 * random rules and frames; delivery of frames into VR regions with their
 * descriptors (ingress port, VLAN flag, a stripped tag put back); every drop
 * reason; transmission to pcap ports, byte for byte; bad descriptors and a
 * hostile VR counted; reclaim restoring a scribbled region; idle sleep and
 * wake-ups; eu_vr_open() errors, and its in-process switch run in the VR's
 * loop. Ports are pcap files (the pcap driver needs libpcap); tests that
 * need them pass with a note when the driver is not built.
 */
#include "eu_unit.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <europa/open.h>
#include <europa/switch.h>

#define MAXP 4
#define MAXV 4

struct fix {
	struct eu_switch *s;
	struct eu_port *port[MAXP];
	char path[MAXP][64];
	unsigned np;
	struct eu_region *r[MAXV];
	struct eu_vr vr[MAXV];
	unsigned nv;
};

/* A pcap output port writing to a file of its own (or /dev/null). NULL: no pcap driver. */
static struct eu_port *pcap_out(struct fix *f, int to_file)
{
	char name[96];
	struct eu_port *p;

	snprintf(f->path[f->np], sizeof(f->path[0]), "/tmp/eu_test_switch.%d.%u.pcap",
		 (int)getpid(), f->np);
	snprintf(name, sizeof(name), "pcap:,%s", to_file ? f->path[f->np] : "/dev/null");
	p = eu_port_open(name, NULL);
	if (!p)
		return NULL;
	f->port[f->np++] = p;
	return p;
}

/* A switch with np pcap ports and nv VRs of nslots slots (VR sides attached, up). */
static int fix_init(struct fix *f, unsigned np, unsigned nv, __u32 nslots)
{
	unsigned i;

	memset(f, 0, sizeof(*f));
	f->s = eu_switch_create(NULL);
	ck_assert_msg(f->s != NULL, "%s", eu_last_error());
	for (i = 0; i < np; i++) {
		struct eu_port *p = pcap_out(f, 1);

		if (!p) {
			fprintf(stderr, "test_switch: no pcap port (%s): skipping this test\n",
				eu_last_error());
			return -1;
		}
		ck_assert_int_eq(eu_switch_add_port(f->s, p), (int)i);
	}
	for (i = 0; i < nv; i++) {
		struct eu_region_opts o = eu_t_opts(nslots, 2048);
		char name[16];

		f->r[i] = eu_region_create("anon", &o);
		ck_assert_msg(f->r[i] != NULL, "%s", eu_last_error());
		snprintf(name, sizeof(name), "vr%u", i);
		ck_assert_int_eq(eu_switch_add_vr(f->s, f->r[i], name), (int)i);
		ck_assert_int_eq(eu_vr_init(&f->vr[i], f->r[i]), 0);
		ck_assert_int_eq(eu_switch_vr_up(f->s, i, 1), 0);
	}
	f->nv = nv;
	return 0;
}

static void fix_fini(struct fix *f)
{
	unsigned i;

	eu_switch_destroy(f->s);
	for (i = 0; i < f->np; i++) {
		eu_port_close(f->port[i]);
		unlink(f->path[i]);
	}
	for (i = 0; i < f->nv; i++) {
		eu_vr_fini(&f->vr[i]);
		eu_region_destroy(f->r[i]);
	}
}

/* An Ethernet frame to dst, optionally 802.1Q-tagged (vlan > 0 or tag0), len bytes. */
static unsigned make_frame(unsigned char *b, const unsigned char dst[6], int vlan, unsigned len,
			   unsigned seq)
{
	unsigned i, off = 12;

	memset(b, 0, len);
	memcpy(b, dst, 6);
	b[6] = 0x02;
	b[11] = 0x01;
	if (vlan >= 0) {
		b[12] = 0x81;
		b[14] = (unsigned char)(vlan >> 8);
		b[15] = (unsigned char)vlan;
		off = 16;
	}
	b[off] = 0x08;
	for (i = off + 2; i < len; i++)
		b[i] = (unsigned char)(i * 7 + seq);
	if (len >= off + 6) {
		b[off + 2] = (unsigned char)(seq >> 24);
		b[off + 3] = (unsigned char)(seq >> 16);
		b[off + 4] = (unsigned char)(seq >> 8);
		b[off + 5] = (unsigned char)seq;
	}
	return len;
}

static struct eu_switch_vr_stats vst(struct fix *f, unsigned v)
{
	struct eu_switch_vr_stats st;

	ck_assert_int_eq(eu_switch_vr_stats_read(f->s, v, &st), 0);
	return st;
}

static struct eu_switch_port_stats pst(struct fix *f, unsigned p)
{
	struct eu_switch_port_stats st;

	ck_assert_int_eq(eu_switch_port_stats_read(f->s, p, &st), 0);
	return st;
}

/* Frames of a pcap file, concatenated; lens[] their lengths. Returns the count. */
static unsigned read_pcap(const char *path, unsigned char *out, size_t cap, unsigned *lens,
			  unsigned maxn)
{
	FILE *fp = fopen(path, "rb");
	uint32_t gh[6], rh[4];
	unsigned n = 0;
	size_t used = 0;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	if (fread(gh, 4, 6, fp) != 6) {
		fclose(fp);
		return 0;
	}
	while (n < maxn && fread(rh, 4, 4, fp) == 4) {
		ck_assert(used + rh[2] <= cap);
		ck_assert_uint_eq(fread(out + used, 1, rh[2], fp), rh[2]);
		lens[n++] = rh[2];
		used += rh[2];
	}
	fclose(fp);
	return n;
}

/* ------------------------------------------------------------------ options */

START_TEST(test_opts)
{
	struct eu_switch_opts o;
	struct eu_switch *s;

	eu_switch_opts_default(&o);
	ck_assert_uint_eq(o.size, sizeof(o));
	ck_assert_uint_eq(o.burst, 64);
	ck_assert_uint_eq(o.tx_stall_ms, 100);
	o.burst = EU_SWITCH_MAX_BURST + 1;
	ck_assert_ptr_null(eu_switch_create(&o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "burst"));
	o.burst = 8;
	o.size = 3;
	ck_assert_ptr_null(eu_switch_create(&o));
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "sizeof(struct eu_switch_opts)"));
	eu_switch_opts_default(&o);
	o.flags = 0x80;
	ck_assert_ptr_null(eu_switch_create(&o));
	/* an older, shorter struct: the rest are defaults */
	o.size = offsetof(struct eu_switch_opts, spin_us);
	o.flags = 0;
	o.burst = 4;
	s = eu_switch_create(&o);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(eu_switch_nports(s), 0);
	ck_assert_uint_eq(eu_switch_nvrs(s), 0);
	ck_assert_int_eq(eu_switch_poll(s), 0);
	ck_assert_ptr_null(eu_switch_port(s, 0));
	ck_assert_ptr_null(eu_switch_vr_region(s, 0));
	ck_assert_int_eq(eu_switch_vr_find(s, "x"), -ENOENT);
	ck_assert_int_lt(eu_switch_add_port(s, NULL), 0);
	ck_assert_int_lt(eu_switch_add_vr(s, NULL, "x"), 0);
	ck_assert_int_lt(eu_switch_vr_up(s, 0, 1), 0);
	ck_assert_int_lt(eu_switch_set_default(s, 0), 0);
	ck_assert_int_eq(eu_switch_set_default(s, -1), 0);
	eu_switch_destroy(s);
	eu_switch_destroy(NULL);
}
END_TEST

START_TEST(test_rule_checks)
{
	struct eu_switch_rule r = { .size = sizeof(r) };
	struct fix f;

	if (fix_init(&f, 2, 2, 64))
		return;
	r.flags = EU_RULE_F_VLAN;
	r.vlan = 4095;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "1..4094"));
	r.vlan = 10;
	r.flags = EU_RULE_F_VLAN | EU_RULE_F_UNTAGGED;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "make two rules"));
	r.flags = EU_RULE_F_PORT;
	r.port = 2;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "port 2 does not exist"));
	r.port = 1;
	r.vr = 2;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "VR 2 does not exist"));
	r.vr = 1;
	r.flags = 0x100;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), -EINVAL);
	r.flags = EU_RULE_F_PORT;
	r.size = 4;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), -EINVAL);
	r.size = sizeof(r);
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), 0);
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), 1);
	ck_assert_int_eq(eu_switch_add_vr(f.s, f.r[0], "vr1"), -EEXIST);
	ck_assert_int_eq(eu_switch_vr_find(f.s, "vr1"), 1);
	ck_assert_str_eq(eu_switch_vr_name(f.s, 1), "vr1");
	ck_assert_ptr_eq(eu_switch_vr_region(f.s, 1), f.r[1]);
	ck_assert_ptr_eq(eu_switch_port(f.s, 1), f.port[1]);
	fix_fini(&f);
}
END_TEST

/* ----------------------------------------------------------- classification */

struct ref_rule {
	__u32 flags, port, vr;
	unsigned char mac[6];
	unsigned vlan;
};

static int ref_classify(const struct ref_rule *r, unsigned n, int def, unsigned port,
			const unsigned char *dmac, unsigned vlan)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if ((r[i].flags & EU_RULE_F_PORT) && r[i].port != port)
			continue;
		if ((r[i].flags & EU_RULE_F_MAC) && memcmp(r[i].mac, dmac, 6))
			continue;
		if ((r[i].flags & EU_RULE_F_VLAN) && r[i].vlan != vlan)
			continue;
		if ((r[i].flags & EU_RULE_F_UNTAGGED) && vlan)
			continue;
		return (int)r[i].vr;
	}
	return def;
}

START_TEST(test_classify_random)
{
	static const unsigned char macs[4][6] = {
		{ 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 2, 0, 0, 0, 1, 1 } };
	static const unsigned vlans[4] = { 0, 10, 20, 4094 };
	struct ref_rule ref[24];
	unsigned char buf[128];
	struct fix f;
	int round;

	if (fix_init(&f, 3, 4, 64))
		return;
	eu_t_seed();
	for (round = 0; round < 20; round++) {
		unsigned nr = (unsigned)eu_t_range(0, 24), i, k;
		int def = (int)eu_t_range(0, 4) - 1;
		struct eu_switch *s = eu_switch_create(NULL);
		struct eu_region *regs[4];

		for (i = 0; i < 3; i++)
			eu_switch_add_port(s, f.port[i]);
		for (i = 0; i < 4; i++) {
			/* a region has one switch: this switch gets regions of its own */
			struct eu_region_opts o = eu_t_opts(16, 128);

			regs[i] = eu_region_create("anon", &o);
			ck_assert_ptr_nonnull(regs[i]);
			ck_assert_int_eq(eu_switch_add_vr(s, regs[i], NULL), (int)i);
		}
		for (i = 0; i < nr; i++) {
			struct eu_switch_rule r = { .size = sizeof(r) };

			do {
				r.flags = (__u32)eu_t_range(1, 15);
			} while ((r.flags & EU_RULE_F_VLAN) && (r.flags & EU_RULE_F_UNTAGGED));
			r.port = (__u32)eu_t_range(0, 2);
			r.vr = (__u32)eu_t_range(0, 3);
			memcpy(r.mac, macs[eu_t_range(0, 3)], 6);
			r.vlan = (__u16)vlans[eu_t_range(1, 3)];
			ck_assert_int_eq(eu_switch_add_rule(s, &r), (int)i);
			ref[i].flags = r.flags;
			ref[i].port = r.port;
			ref[i].vr = r.vr;
			memcpy(ref[i].mac, r.mac, 6);
			ref[i].vlan = r.vlan;
		}
		ck_assert_int_eq(eu_switch_set_default(s, def), 0);
		for (k = 0; k < 3 * 4 * 4 * 3; k++) {
			unsigned port = k % 3, m = (k / 3) % 4, v = (k / 12) % 4, how = k / 48;
			struct eu_frame fr = { .data = buf, .len = 64 };
			int want = ref_classify(ref, nr, def, port, macs[m], vlans[v]);

			/* how 0: tag in the bytes; 1: tag stripped by the driver; 2: priority tag */
			if (how == 1 && vlans[v]) {
				make_frame(buf, macs[m], -1, 64, k);
				fr.flags = EU_FRAME_F_VLAN;
				fr.vlan = (__u16)vlans[v];
			} else if (how == 2 && !vlans[v]) {
				make_frame(buf, macs[m], 0, 64, k); /* VLAN id 0: untagged */
			} else {
				make_frame(buf, macs[m], vlans[v] ? (int)vlans[v] : -1, 64, k);
			}
			eu_check_msg(eu_switch_classify(s, port, &fr) == want,
				     "round %d frame %u: port %u mac %u vlan %u how %u: got %d want %d",
				     round, k, port, m, vlans[v], how, eu_switch_classify(s, port, &fr),
				     want);
		}
		eu_switch_destroy(s); /* it does not own the regions */
		for (i = 0; i < 4; i++)
			eu_region_destroy(regs[i]);
	}
	fix_fini(&f);
}
END_TEST

/* ------------------------------------------------------------------- input */

START_TEST(test_input_delivery)
{
	static const unsigned char A[6] = { 2, 0, 0, 0, 0, 0xa }, B[6] = { 2, 0, 0, 0, 0, 0xb };
	struct eu_switch_rule r = { .size = sizeof(r) };
	unsigned char bufs[6][256];
	struct eu_frame fr[6];
	__u32 idx[16];
	struct fix f;
	unsigned n;

	if (fix_init(&f, 2, 2, 64))
		return;
	r.flags = EU_RULE_F_MAC;
	memcpy(r.mac, A, 6);
	r.vr = 0;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), 0);
	r.flags = EU_RULE_F_MAC | EU_RULE_F_VLAN | EU_RULE_F_PORT;
	memcpy(r.mac, B, 6);
	r.vlan = 7;
	r.port = 1;
	r.vr = 1;
	ck_assert_int_eq(eu_switch_add_rule(f.s, &r), 1);
	/* 0: A untagged; 1: B tag 7 in bytes; 2: B tag 7 stripped; 3: A tagged 5; 4: runt;
	   5: B untagged (no VR) */
	fr[0] = (struct eu_frame){ bufs[0], make_frame(bufs[0], A, -1, 100, 0), 0, 0 };
	fr[1] = (struct eu_frame){ bufs[1], make_frame(bufs[1], B, 7, 64, 1), 0, 0 };
	fr[2] = (struct eu_frame){ bufs[2], make_frame(bufs[2], B, -1, 60, 2), 7, EU_FRAME_F_VLAN };
	fr[3] = (struct eu_frame){ bufs[3], make_frame(bufs[3], A, 5, 200, 3), 0, 0 };
	fr[4] = (struct eu_frame){ bufs[4], 13, 0, 0 };
	fr[5] = (struct eu_frame){ bufs[5], make_frame(bufs[5], B, -1, 80, 5), 0, 0 };
	ck_assert_uint_eq(eu_switch_input(f.s, 1, fr, 6), 4);
	ck_assert_uint_eq(pst(&f, 1).rx_frames, 6);
	ck_assert_uint_eq(pst(&f, 1).rx_runt, 1);
	ck_assert_uint_eq(pst(&f, 1).rx_no_vr, 1);
	/* VR 0: frames 0 and 3, in order, as sent */
	n = eu_vr_rx_burst(&f.vr[0], idx, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(eu_vr_desc(&f.vr[0], idx[0])->len, 100);
	ck_assert_uint_eq(eu_vr_desc(&f.vr[0], idx[0])->port, 1);
	ck_assert_uint_eq(eu_vr_desc(&f.vr[0], idx[0])->flags, 0);
	ck_assert_mem_eq(eu_vr_data(&f.vr[0], idx[0]), bufs[0], 100);
	ck_assert_uint_eq(eu_vr_desc(&f.vr[0], idx[1])->flags, EU_DESC_F_VLAN);
	ck_assert_mem_eq(eu_vr_data(&f.vr[0], idx[1]), bufs[3], 200);
	eu_vr_free_burst(&f.vr[0], idx, n);
	/* VR 1: frame 1 as is, frame 2 with its tag put back: 64 bytes, like frame 1 */
	n = eu_vr_rx_burst(&f.vr[1], idx, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(eu_vr_data(&f.vr[1], idx[0]), bufs[1], 64);
	ck_assert_uint_eq(eu_vr_desc(&f.vr[1], idx[1])->len, 64);
	ck_assert_uint_eq(eu_vr_desc(&f.vr[1], idx[1])->flags, EU_DESC_F_VLAN);
	{
		unsigned char *d = eu_vr_data(&f.vr[1], idx[1]);

		ck_assert_mem_eq(d, bufs[2], 12);
		ck_assert_uint_eq(d[12], 0x81);
		ck_assert_uint_eq(d[13], 0x00);
		ck_assert_uint_eq(((d[14] & 0xf) << 8) | d[15], 7);
		ck_assert_mem_eq(d + 16, bufs[2] + 12, 60 - 12);
	}
	eu_vr_free_burst(&f.vr[1], idx, n);
	ck_assert_uint_eq(vst(&f, 0).rx_frames, 2);
	ck_assert_uint_eq(vst(&f, 0).rx_bytes, 300);
	ck_assert_uint_eq(vst(&f, 1).rx_frames, 2);
	/* frames to a VR that is down are dropped and counted */
	ck_assert_int_eq(eu_switch_vr_up(f.s, 0, 0), 0);
	ck_assert_uint_eq(vst(&f, 0).up, 0);
	ck_assert_uint_eq(eu_switch_input(f.s, 0, fr, 1), 0);
	ck_assert_uint_eq(vst(&f, 0).drop_down, 1);
	ck_assert_int_eq(eu_switch_vr_up(f.s, 0, 1), 0);
	/* the default VR takes what no rule matches */
	ck_assert_int_eq(eu_switch_set_default(f.s, 1), 0);
	ck_assert_uint_eq(eu_switch_input(f.s, 0, &fr[5], 1), 1);
	ck_assert_uint_eq(eu_vr_rx_burst(&f.vr[1], idx, 16), 1);
	ck_assert_uint_eq(eu_vr_desc(&f.vr[1], idx[0])->port, 0);
	eu_vr_free_burst(&f.vr[1], idx, 1);
	ck_assert_uint_eq(eu_switch_input(f.s, 5, fr, 1), 0); /* no such port */
	fix_fini(&f);
}
END_TEST

START_TEST(test_input_drops)
{
	static const unsigned char A[6] = { 2, 0, 0, 0, 0, 0xa };
	unsigned char big[2100], b[64];
	struct eu_frame fr[64];
	__u32 idx[64];
	struct fix f;
	unsigned i, n, sent = 0;

	if (fix_init(&f, 1, 1, 64))
		return;
	ck_assert_int_eq(eu_switch_set_default(f.s, 0), 0);
	/* longer than a slot holds (2048 - headroom 64) */
	fr[0] = (struct eu_frame){ big, make_frame(big, A, -1, 2000, 0), 0, 0 };
	ck_assert_uint_eq(eu_switch_input(f.s, 0, fr, 1), 0);
	ck_assert_uint_eq(vst(&f, 0).drop_too_long, 1);
	fr[0].len = 1984;
	ck_assert_uint_eq(eu_switch_input(f.s, 0, fr, 1), 1);
	fr[0].len = 1981;
	fr[0].flags = EU_FRAME_F_VLAN; /* + 4 for the tag put back: too long */
	fr[0].vlan = 3;
	ck_assert_uint_eq(eu_switch_input(f.s, 0, fr, 1), 0);
	ck_assert_uint_eq(vst(&f, 0).drop_too_long, 2);
	/* the VR does not read: the switch runs out of free slots, counts, keeps going */
	make_frame(b, A, -1, 64, 0);
	for (i = 0; i < 64; i++)
		fr[i] = (struct eu_frame){ b, 64, 0, 0 };
	for (i = 0; i < 4; i++)
		sent += eu_switch_input(f.s, 0, fr, 64);
	ck_assert_uint_lt(sent, 256);
	ck_assert_uint_eq(vst(&f, 0).drop_no_slot, 256 - sent);
	ck_assert_uint_eq(vst(&f, 0).rx_frames, sent + 1);
	/* once the VR reads and frees, frames flow again */
	while ((n = eu_vr_rx_burst(&f.vr[0], idx, 64)))
		eu_vr_free_burst(&f.vr[0], idx, n);
	eu_vr_fill(&f.vr[0], 64);
	ck_assert_uint_gt(eu_switch_input(f.s, 0, fr, 8), 0);
	fix_fini(&f);
}
END_TEST

START_TEST(test_input_ring_full)
{
	static const unsigned char A[6] = { 2, 0, 0, 0, 0, 0xa };
	struct eu_region_opts o = eu_t_opts(64, 2048);
	struct eu_switch *s = eu_switch_create(NULL);
	struct eu_switch_vr_stats st;
	struct eu_port *p = eu_port_open("pcap:,/dev/null", NULL);
	struct eu_region *r;
	struct eu_frame fr[32];
	unsigned char b[64];
	struct eu_vr vr;
	unsigned i, got;

	if (!p) {
		eu_switch_destroy(s);
		return;
	}
	o.ring_size = 8; /* smaller than the pool: the rx ring can fill up */
	o.vr_slots = 0;
	r = eu_region_create("anon", &o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(eu_switch_add_port(s, p), 0);
	ck_assert_int_eq(eu_switch_add_vr(s, r, "small"), 0);
	ck_assert_int_eq(eu_vr_init(&vr, r), 0);
	ck_assert_int_eq(eu_switch_vr_up(s, 0, 1), 0);
	eu_switch_set_default(s, 0);
	make_frame(b, A, -1, 64, 0);
	for (i = 0; i < 32; i++)
		fr[i] = (struct eu_frame){ b, 64, 0, 0 };
	got = eu_switch_input(s, 0, fr, 32);
	ck_assert_uint_eq(got, 8);
	eu_switch_vr_stats_read(s, 0, &st);
	ck_assert_uint_eq(st.drop_ring_full, 24);
	ck_assert_uint_eq(st.rx_frames, 8);
	/* the slots of the dropped frames went back to the switch's cache: audit adds up */
	{
		struct eu_audit a;

		eu_region_audit(r, &a);
		ck_assert_uint_eq(a.state[EU_SLOT_RX], 8);
		ck_assert_uint_eq(a.state[EU_SLOT_SW_FREE], 56);
	}
	eu_switch_destroy(s);
	eu_vr_fini(&vr);
	eu_region_destroy(r);
	eu_port_close(p);
}
END_TEST

/* ------------------------------------------------------------------ transmit */

START_TEST(test_tx_to_ports)
{
	static const unsigned char A[6] = { 2, 0, 0, 0, 0, 0xa };
	static unsigned char want[3][40 * 300], got[40 * 300];
	unsigned wlen[3] = { 0, 0, 0 }, lens[64], nw[3] = { 0, 0, 0 };
	__u32 idx[40];
	struct fix f;
	unsigned i, n, k;
	size_t off;

	if (fix_init(&f, 3, 1, 256))
		return;
	n = eu_vr_alloc_burst(&f.vr[0], idx, 40);
	ck_assert_uint_eq(n, 40);
	for (i = 0; i < n; i++) {
		struct eu_desc *d = eu_vr_desc(&f.vr[0], idx[i]);
		unsigned len = 60 + i * 5, p = i % 3;

		d->len = (__u16)make_frame(eu_vr_data(&f.vr[0], idx[i]), A, i % 2 ? 9 : -1, len, i);
		d->port = (__u16)p;
		memcpy(want[p] + wlen[p], eu_vr_data(&f.vr[0], idx[i]), len);
		wlen[p] += len;
		nw[p]++;
	}
	ck_assert_uint_eq(eu_vr_tx_burst(&f.vr[0], idx, n), n);
	while (eu_switch_poll(f.s))
		;
	ck_assert_uint_eq(vst(&f, 0).tx_frames, 40);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(pst(&f, i).tx_frames, nw[i]);
	eu_switch_destroy(f.s); /* pcap files are complete once the ports close */
	f.s = NULL;
	for (i = 0; i < 3; i++) {
		eu_port_close(f.port[i]);
		k = read_pcap(f.path[i], got, sizeof(got), lens, 64);
		ck_assert_uint_eq(k, nw[i]);
		for (off = 0, k = 0; k < nw[i]; k++)
			off += lens[k];
		ck_assert_uint_eq(off, wlen[i]);
		ck_assert_mem_eq(got, want[i], wlen[i]);
		unlink(f.path[i]);
	}
	f.np = 0;
	for (i = 0; i < f.nv; i++) {
		eu_vr_fini(&f.vr[i]);
		eu_region_destroy(f.r[i]);
	}
}
END_TEST

START_TEST(test_tx_bad_descriptors)
{
	struct eu_audit a;
	__u32 idx[8];
	struct fix f;
	unsigned n;

	if (fix_init(&f, 2, 1, 64))
		return;
	n = eu_vr_alloc_burst(&f.vr[0], idx, 4);
	ck_assert_uint_eq(n, 4);
	eu_vr_desc(&f.vr[0], idx[0])->len = 60;
	eu_vr_desc(&f.vr[0], idx[0])->port = 2;     /* no such port */
	eu_vr_desc(&f.vr[0], idx[1])->len = 0;      /* empty */
	eu_vr_desc(&f.vr[0], idx[2])->len = 60;
	eu_vr_desc(&f.vr[0], idx[2])->off = 2040;   /* past the end */
	eu_vr_desc(&f.vr[0], idx[3])->len = 60;
	eu_vr_desc(&f.vr[0], idx[3])->port = 1;     /* fine */
	ck_assert_uint_eq(eu_vr_tx_burst(&f.vr[0], idx, 4), 4);
	/* and an index that is not a slot, straight into the ring */
	{
		__u32 pos;

		ck_assert_uint_eq(eu_ring_reserve(&f.vr[0].tx, 1, &pos), 1);
		*eu_ring_entry(&f.vr[0].tx, pos) = 999999;
		eu_ring_submit(&f.vr[0].tx, 1);
	}
	ck_assert_uint_gt(eu_switch_poll(f.s), 0);
	ck_assert_uint_eq(vst(&f, 0).bad_port, 1);
	ck_assert_uint_eq(vst(&f, 0).bad_len, 2);
	ck_assert_uint_eq(vst(&f, 0).bad_idx, 1);
	ck_assert_uint_eq(vst(&f, 0).bad_desc, 4);
	ck_assert_uint_eq(vst(&f, 0).tx_frames, 1);
	ck_assert_uint_eq(pst(&f, 1).tx_frames, 1);
	/* every refused slot went back to the switch: nothing leaked */
	eu_region_audit(f.r[0], &a);
	ck_assert_uint_eq(a.state[EU_SLOT_SW_FREE] + a.state[EU_SLOT_VR_FREE] +
			  a.state[EU_SLOT_COMP], 64);
	fix_fini(&f);
}
END_TEST

/* A hostile VR: garbage everywhere, then it "dies"; reclaim must restore everything. */
START_TEST(test_hostile_reclaim)
{
	static const unsigned char A[6] = { 2, 0, 0, 0, 0, 0xa };
	const struct eu_region_hdr *h;
	struct eu_region_hdr *shared;
	unsigned char b[64], *base;
	struct eu_frame fr[16];
	struct eu_audit a;
	struct fix f;
	unsigned i, round;
	char why[256];
	int n;

	if (fix_init(&f, 2, 2, 128))
		return;
	eu_switch_set_default(f.s, 0);
	h = eu_region_header(f.r[0]);
	base = eu_region_base(f.r[0]);
	shared = (struct eu_region_hdr *)base;
	make_frame(b, A, -1, 64, 0);
	for (i = 0; i < 16; i++)
		fr[i] = (struct eu_frame){ b, 64, 0, 0 };
	eu_t_seed();
	for (round = 0; round < 2000; round++) {
		__u32 *st = (__u32 *)(base + h->states_off);
		struct eu_desc *d = (struct eu_desc *)(base + h->descs_off);
		struct eu_ring_shared *tx = (void *)(base + h->rings[EU_RING_TX].off);
		struct eu_ring_shared *fl = (void *)(base + h->rings[EU_RING_FILL].off);
		__u32 *txe = (__u32 *)(tx + 1), *fle = (__u32 *)(fl + 1);

		for (i = 0; i < 8; i++) {
			__u32 k = (__u32)eu_t_range(0, 130);

			txe[(tx->prod + i) & (h->rings[EU_RING_TX].size - 1)] = k;
			fle[(fl->prod + i) & (h->rings[EU_RING_FILL].size - 1)] = (__u32)eu_t_rand();
			st[eu_t_range(0, 127)] = (__u32)eu_t_rand();
			d[eu_t_range(0, 127)].len = (__u16)eu_t_rand();
			d[eu_t_range(0, 127)].port = (__u16)eu_t_rand();
			if (k < 128 && eu_t_rand() % 2)
				st[k] = (st[k] & ~0xffU) + 0x100 + EU_SLOT_TX;
		}
		tx->prod += (__u32)eu_t_range(0, 8);
		fl->prod += eu_t_rand() % 50 ? 8 : (__u32)eu_t_rand();
		if (round % 100 == 0)
			shared->nslots = (__u32)eu_t_rand(); /* the immutable header too */
		eu_switch_input(f.s, 0, fr, 16);
		eu_switch_poll(f.s);
	}
	ck_assert_uint_gt(vst(&f, 0).bad_desc, 0);
	/* the healthy VR next door: exact */
	ck_assert_uint_eq(vst(&f, 1).bad_desc, 0);
	/* the hostile VR "dies": reclaim */
	n = eu_switch_vr_reclaim(f.s, 0);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_eq(vst(&f, 0).reclaims, 1);
	ck_assert_uint_eq(vst(&f, 0).up, 0);
	eu_region_audit(f.r[0], &a);
	ck_assert_uint_eq(a.state[EU_SLOT_VR_FREE] + a.state[EU_SLOT_SW_FREE], 128);
	ck_assert_int_eq(a.consistent, 1);
	/* the header was put back: a new VR can attach */
	ck_assert_int_eq(eu_region_validate(base, eu_region_size(f.r[0]), why, sizeof(why)), 0);
	/* the old VR side in this process goes with the hostile VR */
	eu_vr_fini(&f.vr[0]);
	{
		struct eu_region *again = eu_region_attach_mem(base, eu_region_size(f.r[0]));
		struct eu_vr v2;
		__u32 idx[16];
		unsigned got;

		ck_assert_ptr_nonnull(again);
		__atomic_store_n(&shared->vr_pid, 0, __ATOMIC_RELEASE);
		ck_assert_int_eq(eu_vr_init(&v2, again), 0);
		ck_assert_int_eq(eu_switch_vr_up(f.s, 0, 1), 0);
		ck_assert_uint_eq(eu_switch_input(f.s, 0, fr, 16), 16);
		got = eu_vr_rx_burst(&v2, idx, 16);
		ck_assert_uint_eq(got, 16);
		ck_assert_mem_eq(eu_vr_data(&v2, idx[0]), b, 64);
		eu_vr_free_burst(&v2, idx, got);
		eu_vr_fini(&v2);
		eu_region_detach(again);
	}
	fix_fini(&f);
}
END_TEST

/* ---------------------------------------------------------------------- idle */

struct kicker {
	struct eu_vr *vr;
	int efd;
	int delay_ms;
};

static void *kick_later(void *arg)
{
	struct kicker *k = arg;
	__u32 idx[1];

	eu_t_sleep_ms(k->delay_ms);
	if (k->vr) {
		if (eu_vr_alloc_burst(k->vr, idx, 1) == 1) {
			eu_vr_desc(k->vr, idx[0])->len = 60;
			eu_vr_desc(k->vr, idx[0])->port = 0;
			eu_vr_tx_burst(k->vr, idx, 1);
		}
	} else {
		__u64 one = 1;

		ck_assert_int_eq(write(k->efd, &one, sizeof(one)), 8);
	}
	return NULL;
}

START_TEST(test_idle_sleeps_and_wakes)
{
	struct kicker k;
	pthread_t t;
	struct fix f;
	double t0, dt;
	int rc, i, efd;

	if (fix_init(&f, 1, 1, 64))
		return;
	/* a pcap port has no fd to sleep on: a switch that receives from it would wake
	   every 10 ms to look; this one only sends there */
	ck_assert_int_eq(eu_switch_port_rx(f.s, 0, 0), 0);
	/* idle: spin and yield for a while, then one call sleeps for the whole timeout */
	t0 = eu_t_now_ms();
	for (i = 0; i < 1000000; i++) {
		double t1 = eu_t_now_ms();

		rc = eu_switch_idle(f.s, 50);
		if (eu_t_now_ms() - t1 > 30)
			break;
		ck_assert_int_eq(rc, 1);
	}
	ck_assert_int_eq(rc, 0); /* timed out: it slept */
	ck_assert_double_lt(eu_t_now_ms() - t0, 2000);
	/* a VR's transmission wakes it well before its timeout */
	k = (struct kicker){ &f.vr[0], -1, 30 };
	pthread_create(&t, NULL, kick_later, &k);
	t0 = eu_t_now_ms();
	rc = eu_switch_idle(f.s, 5000);
	dt = eu_t_now_ms() - t0;
	pthread_join(t, NULL);
	ck_assert_int_eq(rc, 1);
	ck_assert_double_lt(dt, 2000);
	ck_assert_uint_gt(eu_switch_poll(f.s), 0);
	ck_assert_uint_eq(vst(&f, 0).tx_frames, 1);
	/* as does a watched fd */
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_eq(eu_switch_watch_fd(f.s, efd), 0);
	while (eu_switch_idle(f.s, 1) != 0)
		;
	k = (struct kicker){ NULL, efd, 30 };
	pthread_create(&t, NULL, kick_later, &k);
	t0 = eu_t_now_ms();
	rc = eu_switch_idle(f.s, 5000);
	dt = eu_t_now_ms() - t0;
	pthread_join(t, NULL);
	ck_assert_int_eq(rc, 1);
	ck_assert_double_lt(dt, 2000);
	close(efd);
	ck_assert_int_ge(eu_switch_fd(f.s), 0);
	fix_fini(&f);
}
END_TEST

START_TEST(test_busy_never_sleeps)
{
	struct eu_switch_opts o;
	struct eu_switch *s;
	double t0;
	int i;

	eu_switch_opts_default(&o);
	o.flags = EU_SWITCH_O_BUSY;
	s = eu_switch_create(&o);
	ck_assert_ptr_nonnull(s);
	/* long past the spin and yield times, it still returns at once, never sleeping */
	for (i = 0; i < 20000; i++) {
		t0 = eu_t_now_ms();
		eu_check(eu_switch_idle(s, 1000) == 1);
		eu_check_msg(eu_t_now_ms() - t0 < 500, "call %d took %.0f ms", i,
			     eu_t_now_ms() - t0);
	}
	eu_switch_destroy(s);
}
END_TEST

/* ------------------------------------------------------------- eu_vr_open */

START_TEST(test_open_errors)
{
	struct eu_vr_open_opts o;

	ck_assert_ptr_null(eu_vr_open(NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(eu_vr_open("bogus:x", NULL));
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "europad:[SOCKET]#VR"));
	ck_assert_ptr_null(eu_vr_open("europad:/tmp/x.sock", NULL));
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "names no VR"));
	ck_assert_ptr_null(eu_vr_open("europad:/nonexistent/eu.sock#vr1", NULL));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "is europad running?"));
	ck_assert_ptr_null(eu_vr_open("inproc:", NULL));
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "no port"));
	ck_assert_ptr_null(eu_vr_open("inproc:nosuchdriver:x", NULL));
	eu_vr_open_opts_default(&o);
	ck_assert_uint_eq(o.size, sizeof(o));
	o.flags = 0x100;
	ck_assert_ptr_null(eu_vr_open("inproc:pcap:,/dev/null", &o));
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "unknown flags"));
	o.flags = 0;
	o.size = 2;
	ck_assert_ptr_null(eu_vr_open("inproc:pcap:,/dev/null", &o));
	eu_vr_close(NULL);
	ck_assert_uint_eq(eu_vr_poll(NULL), 0);
	ck_assert_int_eq(eu_vr_switch_alive(NULL), 0);
}
END_TEST

/* Write frames to a pcap file by hand (the classic format). */
static void write_pcap(const char *path, unsigned char (*fr)[128], const unsigned *len,
		       unsigned n)
{
	uint32_t gh[6] = { 0xa1b2c3d4U, 0x00040002U, 0, 0, 65535, 1 };
	FILE *fp = fopen(path, "wb");
	unsigned i;

	ck_assert_ptr_nonnull(fp);
	fwrite(gh, 4, 6, fp);
	for (i = 0; i < n; i++) {
		uint32_t rh[4] = { 0, i, len[i], len[i] };

		fwrite(rh, 4, 4, fp);
		fwrite(fr[i], 1, len[i], fp);
	}
	ck_assert_int_eq(fclose(fp), 0);
}

/* The in-process switch in the VR's loop: pcap in, reflect, pcap out, byte for byte. */
START_TEST(test_open_inproc_manual)
{
	static const unsigned char A[6] = { 2, 0, 0, 0, 0, 0xa };
	static unsigned char fr[20][128], got[20 * 128];
	unsigned len[20], lens[32], i, n, total = 0, idle = 0, k;
	char in[64], out[64], name[160];
	struct eu_vr_open_opts o;
	struct eu_vr_port_info pi;
	struct eu_port *probe;
	struct eu_vr *vr;
	__u32 idx[64];
	size_t off;

	probe = eu_port_open("pcap:,/dev/null", NULL);
	if (!probe) {
		fprintf(stderr, "test_switch: no pcap port: skipping test_open_inproc_manual\n");
		return;
	}
	eu_port_close(probe);
	snprintf(in, sizeof(in), "/tmp/eu_test_open.%d.in.pcap", (int)getpid());
	snprintf(out, sizeof(out), "/tmp/eu_test_open.%d.out.pcap", (int)getpid());
	for (i = 0; i < 20; i++)
		len[i] = make_frame(fr[i], A, i % 3 ? -1 : 5, 60 + i * 3, i);
	write_pcap(in, fr, len, 20);
	snprintf(name, sizeof(name), "inproc:pcap:%s,%s;pcap:,/dev/null", in, out);
	eu_vr_open_opts_default(&o);
	o.flags = EU_VR_OPEN_F_MANUAL;
	vr = eu_vr_open(name, &o);
	ck_assert_msg(vr != NULL, "%s", eu_last_error());
	ck_assert_str_eq(eu_vr_switch_kind(vr), "inproc");
	ck_assert_uint_eq(eu_vr_nports(vr), 2);
	ck_assert_int_eq(eu_vr_port(vr, 1, &pi), 0);
	ck_assert_str_eq(pi.name, "pcap:,/dev/null");
	ck_assert_int_lt(eu_vr_port(vr, 2, &pi), 0);
	ck_assert_ptr_nonnull(eu_vr_switch(vr));
	ck_assert_int_eq(eu_vr_switch_alive(vr), 1);
	while (idle < 50) {
		eu_vr_poll(vr);
		n = eu_vr_rx_burst(vr, idx, 64);
		if (!n) {
			idle++;
			continue;
		}
		idle = 0;
		for (i = 0; i < n; i++) {
			unsigned char *d = eu_vr_data(vr, idx[i]), t[6];

			ck_assert_uint_eq(eu_vr_desc(vr, idx[i])->port, 0);
			memcpy(t, d, 6);
			memcpy(d, d + 6, 6);
			memcpy(d + 6, t, 6);
		}
		total += n;
		ck_assert_uint_eq(eu_vr_tx_burst(vr, idx, n), n);
	}
	ck_assert_uint_eq(total, 20);
	eu_vr_close(vr); /* flushes the switch and closes the ports */
	n = read_pcap(out, got, sizeof(got), lens, 32);
	ck_assert_uint_eq(n, 20);
	for (k = 0, off = 0; k < n; k++) {
		unsigned char t[6];

		ck_assert_uint_eq(lens[k], len[k]);
		memcpy(t, fr[k], 6);
		memcpy(fr[k], fr[k] + 6, 6);
		memcpy(fr[k] + 6, t, 6);
		ck_assert_mem_eq(got + off, fr[k], len[k]);
		off += lens[k];
	}
	unlink(in);
	unlink(out);
}
END_TEST

static Suite *switch_suite(void)
{
	Suite *s = suite_create("switch");
	TCase *tc = tcase_create("switch");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_opts);
	tcase_add_test(tc, test_rule_checks);
	tcase_add_test(tc, test_classify_random);
	tcase_add_test(tc, test_input_delivery);
	tcase_add_test(tc, test_input_drops);
	tcase_add_test(tc, test_input_ring_full);
	tcase_add_test(tc, test_tx_to_ports);
	tcase_add_test(tc, test_tx_bad_descriptors);
	tcase_add_test(tc, test_hostile_reclaim);
	tcase_add_test(tc, test_idle_sleeps_and_wakes);
	tcase_add_test(tc, test_busy_never_sleeps);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_open_inproc_manual);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return eu_t_run(switch_suite());
}
