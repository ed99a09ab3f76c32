/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_port_pcap.c - ports (europa/port.h, backends/port.c) through the pcap
 * driver (backends/pcap/pcap.c): frames written with libpcap come out of a
 * "pcap:" port byte for byte and, sent to one, land in its output file with
 * deterministic timestamps; records cut short or longer than frame_size are
 * counted in rx_errors and skipped; a file that ends inside a record; looping;
 * VLAN tags inserted on tx; missing and unusable files; option and name
 * errors common to every driver.
 */
#include "eu_unit.h"

#include <sys/stat.h>
#include <unistd.h>

#ifdef EU_HAVE_PCAP /* set by tests/CMakeLists.txt when libeuropa has the pcap driver */
#include <pcap/pcap.h>

static char dir[64];

static void mkpath(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void setup(void)
{
	strcpy(dir, "/tmp/eu-pcap-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	eu_t_seed();
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Frame i of a test set: length and bytes derived from i. */
static unsigned tframe_len(unsigned i)
{
	static const unsigned lens[] = { 60, 64, 61, 128, 1514, 999, 60, 300 };

	return lens[i % 8];
}

static void tframe(unsigned i, unsigned char *buf)
{
	unsigned len = tframe_len(i), k;

	for (k = 0; k < len; k++)
		buf[k] = (unsigned char)(i * 31 + k * 7);
	buf[12] = 0x08; /* IPv4 ethertype: not a VLAN tag */
	buf[13] = 0x00;
}

/* A record to write: caplen and len may differ (a cut record). */
struct rec {
	unsigned caplen, len;
	unsigned char data[2048];
};

static void write_pcap(const char *path, int dlt, int snaplen, const struct rec *r, unsigned n)
{
	pcap_t *dead = pcap_open_dead(dlt, snaplen);
	pcap_dumper_t *d;
	unsigned i;

	ck_assert_ptr_nonnull(dead);
	d = pcap_dump_open(dead, path);
	ck_assert_msg(d != NULL, "pcap_dump_open(%s): %s", path, pcap_geterr(dead));
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1000 + i;
		h.caplen = r[i].caplen;
		h.len = r[i].len;
		pcap_dump((u_char *)d, &h, r[i].data);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

/* Write n test frames (tframe) to path. */
static void write_frames(const char *path, unsigned n)
{
	struct rec *r = calloc(n, sizeof(*r));
	unsigned i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < n; i++) {
		tframe(i, r[i].data);
		r[i].caplen = r[i].len = tframe_len(i);
	}
	write_pcap(path, DLT_EN10MB, 65535, r, n);
	free(r);
}

static struct eu_port *open_port(const char *name, __u32 frame_size, __u32 ring, __u32 flags)
{
	struct eu_port_opts o;
	struct eu_port *p;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.frame_size = frame_size;
	o.ring_size = ring;
	o.flags = flags;
	p = eu_port_open(name, &o);
	ck_assert_msg(p != NULL, "eu_port_open(%s): %s", name, eu_last_error());
	return p;
}

static void stats(struct eu_port *p, struct eu_port_stats *s)
{
	memset(s, 0xee, sizeof(*s));
	eu_port_stats_read(p, s);
}

/* Read every record of a pcap file: returns how many, fills recs. */
static unsigned read_pcap(const char *path, struct rec *recs, unsigned max, long *usecs)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned n = 0;

	ck_assert_msg(in != NULL, "pcap_open_offline(%s): %s", path, err);
	ck_assert_int_eq(pcap_datalink(in), DLT_EN10MB);
	while (pcap_next_ex(in, &h, &data) == 1) {
		ck_assert_uint_lt(n, max);
		ck_assert_uint_le(h->caplen, sizeof(recs[n].data));
		recs[n].caplen = h->caplen;
		recs[n].len = h->len;
		memcpy(recs[n].data, data, h->caplen);
		if (usecs)
			usecs[n] = (long)h->ts.tv_sec * 1000000L + (long)h->ts.tv_usec;
		n++;
	}
	pcap_close(in);
	return n;
}

static int files_equal(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, eq = 1;

	ck_assert_ptr_nonnull(fa);
	ck_assert_ptr_nonnull(fb);
	do {
		ca = fgetc(fa);
		cb = fgetc(fb);
		if (ca != cb)
			eq = 0;
	} while (eq && ca != EOF);
	fclose(fa);
	fclose(fb);
	return eq;
}

/* Forward everything from port p's input to its output, in bursts of b. */
static unsigned forward_all(struct eu_port *p, unsigned b)
{
	struct eu_frame f[64];
	unsigned n, total = 0;

	ck_assert_uint_le(b, 64);
	while ((n = eu_port_rx_burst(p, f, b)) > 0) {
		ck_assert_uint_eq(eu_port_tx_burst(p, f, n), n);
		eu_port_rx_release(p);
		total += n;
	}
	return total;
}

/* ------------------------------------------------------------------ tests */

#define NFRAMES 100

START_TEST(test_roundtrip)
{
	char in[128], out[128], name[300];
	static struct rec got[NFRAMES + 1];
	long us[NFRAMES + 1];
	unsigned char want[2048];
	struct eu_port_stats s;
	struct eu_port *p;
	unsigned i, n, bursts[] = { 1, 7, 32, 64 };
	__u64 bytes = 0;

	mkpath(in, sizeof(in), "in.pcap");
	write_frames(in, NFRAMES);
	for (i = 0; i < NFRAMES; i++)
		bytes += tframe_len(i);
	for (unsigned b = 0; b < 4; b++) {
		mkpath(out, sizeof(out), "out.pcap");
		snprintf(name, sizeof(name), "pcap:%s,%s", in, out);
		p = open_port(name, 0, 0, 0);
		ck_assert_str_eq(eu_port_mode(p), "pcap");
		ck_assert_str_eq(eu_port_name(p), name);
		ck_assert_int_eq(eu_port_fd(p), -1);
		ck_assert_uint_eq(forward_all(p, bursts[b]), NFRAMES);
		/* exhausted input: 0, again and again */
		ck_assert_uint_eq(eu_port_rx_burst(p, (struct eu_frame[1]){ { 0 } }, 1), 0);
		stats(p, &s);
		ck_assert_uint_eq(s.rx_frames, NFRAMES);
		ck_assert_uint_eq(s.rx_bytes, bytes);
		ck_assert_uint_eq(s.tx_frames, NFRAMES);
		ck_assert_uint_eq(s.tx_bytes, bytes);
		ck_assert_uint_eq(s.rx_errors, 0);
		ck_assert_uint_eq(s.rx_dropped, 0);
		ck_assert_uint_eq(s.tx_dropped, 0);
		ck_assert_uint_eq(s.tx_errors, 0);
		ck_assert_int_eq(eu_port_flush(p), 0);
		eu_port_close(p);

		n = read_pcap(out, got, NFRAMES + 1, us);
		ck_assert_uint_eq(n, NFRAMES);
		for (i = 0; i < n; i++) {
			tframe(i, want);
			ck_assert_uint_eq(got[i].caplen, tframe_len(i));
			ck_assert_uint_eq(got[i].len, tframe_len(i));
			ck_assert_msg(!memcmp(got[i].data, want, tframe_len(i)),
				      "frame %u differs (burst %u)", i, bursts[b]);
			ck_assert_int_eq(us[i], (long)i); /* k-th frame at k microseconds */
		}
	}
}
END_TEST

START_TEST(test_deterministic_output)
{
	char in[128], o1[128], o2[128], name[300];
	struct eu_port *p;

	mkpath(in, sizeof(in), "in.pcap");
	mkpath(o1, sizeof(o1), "o1.pcap");
	mkpath(o2, sizeof(o2), "o2.pcap");
	write_frames(in, 50);
	snprintf(name, sizeof(name), "pcap:%s,%s", in, o1);
	p = open_port(name, 0, 0, 0);
	ck_assert_uint_eq(forward_all(p, 32), 50);
	eu_port_close(p);
	snprintf(name, sizeof(name), "pcap:%s,%s", in, o2);
	p = open_port(name, 0, 0, 0);
	ck_assert_uint_eq(forward_all(p, 5), 50);
	eu_port_close(p);
	ck_assert_msg(files_equal(o1, o2), "two runs gave different files");
}
END_TEST

START_TEST(test_bad_records)
{
	char in[128], out[128], name[300];
	static struct rec r[6], got[8];
	struct eu_frame f[16];
	struct eu_port_stats s;
	struct eu_port *p;
	unsigned n, i;

	/* good(60), cut(caplen 40 of 60), long(200 > frame_size 128), good(128),
	   cut(caplen 100 of 1500), good(64) */
	const unsigned cap[] = { 60, 40, 200, 128, 100, 64 };
	const unsigned len[] = { 60, 60, 200, 128, 1500, 64 };

	for (i = 0; i < 6; i++) {
		eu_t_fill_random(r[i].data, sizeof(r[i].data));
		r[i].caplen = cap[i];
		r[i].len = len[i];
	}
	mkpath(in, sizeof(in), "bad.pcap");
	mkpath(out, sizeof(out), "out.pcap");
	write_pcap(in, DLT_EN10MB, 65535, r, 6);
	snprintf(name, sizeof(name), "pcap:%s,%s", in, out);
	p = open_port(name, 128, 0, 0);
	n = eu_port_rx_burst(p, f, 16);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(f[0].len, 60);
	ck_assert_uint_eq(f[1].len, 128);
	ck_assert_uint_eq(f[2].len, 64);
	ck_assert(!memcmp(f[0].data, r[0].data, 60));
	ck_assert(!memcmp(f[1].data, r[3].data, 128));
	ck_assert(!memcmp(f[2].data, r[5].data, 64));
	ck_assert_uint_eq(eu_port_tx_burst(p, f, n), 3);
	eu_port_rx_release(p);
	ck_assert_uint_eq(eu_port_rx_burst(p, f, 16), 0);
	stats(p, &s);
	ck_assert_uint_eq(s.rx_frames, 3);
	ck_assert_uint_eq(s.rx_bytes, 60 + 128 + 64);
	ck_assert_uint_eq(s.rx_errors, 3);
	eu_port_close(p);
	ck_assert_uint_eq(read_pcap(out, got, 8, NULL), 3);
	ck_assert(!memcmp(got[1].data, r[3].data, 128));
}
END_TEST

START_TEST(test_snaplen_cut)
{
	char in[128], name[300];
	static struct rec r[3];
	struct eu_frame f[8];
	struct eu_port_stats s;
	struct eu_port *p;
	unsigned i;

	/* A capture made with snaplen 100: the 300-byte frame was cut to 100. */
	for (i = 0; i < 3; i++) {
		eu_t_fill_random(r[i].data, 300);
		r[i].len = i == 1 ? 300 : 80;
		r[i].caplen = i == 1 ? 100 : 80;
	}
	mkpath(in, sizeof(in), "snap.pcap");
	write_pcap(in, DLT_EN10MB, 100, r, 3);
	snprintf(name, sizeof(name), "pcap:%s", in);
	p = open_port(name, 0, 0, 0);
	ck_assert_uint_eq(eu_port_rx_burst(p, f, 8), 2);
	ck_assert(!memcmp(f[1].data, r[2].data, 80));
	stats(p, &s);
	ck_assert_uint_eq(s.rx_errors, 1);
	ck_assert_uint_eq(s.rx_frames, 2);
	eu_port_close(p);
}
END_TEST

START_TEST(test_truncated_file)
{
	char in[128], name[300];
	struct eu_frame f[16];
	struct eu_port_stats s;
	struct eu_port *p;
	struct stat st;
	unsigned n = 0, k;

	mkpath(in, sizeof(in), "trunc.pcap");
	write_frames(in, 10);
	ck_assert_int_eq(stat(in, &st), 0);
	/* cut the data of the last record in half */
	ck_assert_int_eq(truncate(in, st.st_size - tframe_len(9) / 2), 0);
	snprintf(name, sizeof(name), "pcap:%s", in);
	p = open_port(name, 0, 0, 0);
	while ((k = eu_port_rx_burst(p, f, 3)) > 0)
		n += k;
	ck_assert_uint_eq(n, 9);
	stats(p, &s);
	ck_assert_uint_eq(s.rx_frames, 9);
	ck_assert_uint_eq(s.rx_errors, 1);
	eu_port_close(p);
}
END_TEST

START_TEST(test_loop)
{
	char in[128], name[300];
	unsigned char want[2048];
	struct eu_frame f[7];
	struct eu_port *p;
	unsigned seen = 0, k, i;

	mkpath(in, sizeof(in), "loop.pcap");
	write_frames(in, 10);
	snprintf(name, sizeof(name), "pcap:%s,", in);
	p = open_port(name, 0, 0, EU_PORT_O_LOOP);
	while (seen < 35) {
		k = eu_port_rx_burst(p, f, 7);
		ck_assert_uint_eq(k, 7); /* never short: the input wraps */
		for (i = 0; i < k; i++, seen++) {
			tframe(seen % 10, want);
			ck_assert_uint_eq(f[i].len, tframe_len(seen % 10));
			ck_assert(!memcmp(f[i].data, want, f[i].len));
		}
	}
	eu_port_close(p);
}
END_TEST

START_TEST(test_loop_nothing_usable)
{
	char in[128], name[300];
	static struct rec r[2];
	struct eu_frame f[4];
	struct eu_port_stats s;
	struct eu_port *p;

	r[0].caplen = 40, r[0].len = 60; /* both cut: nothing to deliver */
	r[1].caplen = 40, r[1].len = 61;
	mkpath(in, sizeof(in), "none.pcap");
	write_pcap(in, DLT_EN10MB, 65535, r, 2);
	snprintf(name, sizeof(name), "pcap:%s", in);
	p = open_port(name, 0, 0, EU_PORT_O_LOOP);
	ck_assert_uint_eq(eu_port_rx_burst(p, f, 4), 0); /* returns, does not spin */
	ck_assert_uint_eq(eu_port_rx_burst(p, f, 4), 0);
	stats(p, &s);
	ck_assert_uint_eq(s.rx_errors, 2);
	eu_port_close(p);

	/* an empty capture, looped */
	write_pcap(in, DLT_EN10MB, 65535, r, 0);
	p = open_port(name, 0, 0, EU_PORT_O_LOOP);
	ck_assert_uint_eq(eu_port_rx_burst(p, f, 4), 0);
	eu_port_close(p);
}
END_TEST

START_TEST(test_release_implicit)
{
	char in[128], name[300];
	unsigned char want[2048];
	struct eu_frame f[4];
	struct eu_port *p;
	unsigned i, seen = 0, k;

	mkpath(in, sizeof(in), "in.pcap");
	write_frames(in, 12);
	snprintf(name, sizeof(name), "pcap:%s", in);
	/* ring_size 16: bursts are capped at 16 */
	p = open_port(name, 0, 16, 0);
	eu_port_rx_release(p); /* nothing held: no-op */
	while ((k = eu_port_rx_burst(p, f, 4)) > 0) { /* no release between bursts */
		for (i = 0; i < k; i++, seen++) {
			tframe(seen, want);
			ck_assert(!memcmp(f[i].data, want, f[i].len));
		}
	}
	ck_assert_uint_eq(seen, 12);
	eu_port_rx_release(p);
	eu_port_rx_release(p);
	eu_port_close(p);
}
END_TEST

START_TEST(test_tx_vlan_and_drops)
{
	char out[128], name[300];
	static struct rec got[4];
	unsigned char a[100], big[300];
	struct eu_frame f[4];
	struct eu_port_stats s;
	struct eu_port *p;
	unsigned char mac[6];

	mkpath(out, sizeof(out), "o.pcap");
	snprintf(name, sizeof(name), "pcap:,%s", out);
	p = open_port(name, 256, 0, 0);
	eu_port_mac(p, mac);
	ck_assert(!memcmp(mac, "\0\0\0\0\0\0", 6));
	ck_assert_uint_eq(eu_port_rx_burst(p, f, 4), 0); /* no input */
	eu_t_fill_random(a, sizeof(a));
	eu_t_fill_random(big, sizeof(big));
	f[0] = (struct eu_frame){ .data = a, .len = 100, .vlan = 0x123, .flags = EU_FRAME_F_VLAN };
	f[1] = (struct eu_frame){ .data = big, .len = 300 };        /* > frame_size */
	f[2] = (struct eu_frame){ .data = a, .len = 10 };           /* runt */
	f[3] = (struct eu_frame){ .data = a, .len = 60 };
	ck_assert_uint_eq(eu_port_tx_burst(p, f, 4), 4); /* bad ones taken too */
	ck_assert_uint_eq(eu_port_tx_burst(p, f, 0), 0);
	stats(p, &s);
	ck_assert_uint_eq(s.tx_frames, 2);
	ck_assert_uint_eq(s.tx_bytes, 104 + 60);
	ck_assert_uint_eq(s.tx_dropped, 2);
	eu_port_close(p);
	ck_assert_uint_eq(read_pcap(out, got, 4, NULL), 2);
	ck_assert_uint_eq(got[0].caplen, 104);
	ck_assert(!memcmp(got[0].data, a, 12));
	ck_assert_uint_eq(got[0].data[12], 0x81);
	ck_assert_uint_eq(got[0].data[13], 0x00);
	ck_assert_uint_eq(got[0].data[14], 0x01);
	ck_assert_uint_eq(got[0].data[15], 0x23);
	ck_assert(!memcmp(got[0].data + 16, a + 12, 88));
	ck_assert_uint_eq(got[1].caplen, 60);

	/* input only: what is sent is dropped, and counted */
	snprintf(name, sizeof(name), "pcap:%s", out);
	p = open_port(name, 0, 0, 0);
	ck_assert_uint_eq(eu_port_tx_burst(p, f + 3, 1), 1);
	stats(p, &s);
	ck_assert_uint_eq(s.tx_dropped, 1);
	ck_assert_uint_eq(s.tx_frames, 0);
	eu_port_close(p);
}
END_TEST

static void expect_fail(const char *name, const struct eu_port_opts *o, int err,
			const char *msg)
{
	errno = 0;
	ck_assert_ptr_null(eu_port_open(name, o));
	ck_assert_msg(errno == err, "%s: errno %d (%s), want %d", name ? name : "(null)", errno,
		      strerror(errno), err);
	ck_assert_msg(strstr(eu_last_error(), msg) != NULL, "%s: message '%s' lacks '%s'",
		      name ? name : "(null)", eu_last_error(), msg);
}

START_TEST(test_open_errors)
{
	char in[128], out[128], name[300];

	mkpath(in, sizeof(in), "missing.pcap");
	snprintf(name, sizeof(name), "pcap:%s", in);
	expect_fail(name, NULL, ENOENT, "No such file or directory");
	expect_fail(name, NULL, ENOENT, in);

	mkpath(out, sizeof(out), "no/such/dir/out.pcap");
	snprintf(name, sizeof(name), "pcap:,%s", out);
	expect_fail(name, NULL, ENOENT, "cannot create output");

	/* not a capture */
	mkpath(in, sizeof(in), "text.pcap");
	{
		FILE *fp = fopen(in, "w");

		ck_assert_ptr_nonnull(fp);
		fputs("this is not a capture file, not at all\n", fp);
		fclose(fp);
	}
	snprintf(name, sizeof(name), "pcap:%s", in);
	expect_fail(name, NULL, EINVAL, "not a capture");

	/* not Ethernet */
	{
		static struct rec r[1];

		r[0].caplen = r[0].len = 20;
		mkpath(in, sizeof(in), "raw.pcap");
		write_pcap(in, DLT_RAW, 65535, r, 1);
	}
	snprintf(name, sizeof(name), "pcap:%s", in);
	expect_fail(name, NULL, EINVAL, "DLT_EN10MB");

	/* input and output the same file */
	mkpath(in, sizeof(in), "same.pcap");
	write_frames(in, 3);
	snprintf(name, sizeof(name), "pcap:%s,%s", in, in);
	expect_fail(name, NULL, EINVAL, "same file");
	ck_assert_uint_eq(read_pcap(in, (struct rec[4]){ { 0 } }, 4, NULL), 3); /* untouched */

	expect_fail("pcap:", NULL, EINVAL, "no files");
	expect_fail("pcap:,", NULL, EINVAL, "no files");
	expect_fail(NULL, NULL, EINVAL, "no name");
	expect_fail("", NULL, EINVAL, "no name");
	expect_fail("eth0", NULL, EINVAL, "no driver");
	expect_fail("bogus:x", NULL, EINVAL, "unknown driver 'bogus'");

	/* options */
	{
		struct eu_port_opts o;

		snprintf(name, sizeof(name), "pcap:%s", in);
		memset(&o, 0, sizeof(o));
		o.size = 2;
		expect_fail(name, &o, EINVAL, "size field");
		o.size = sizeof(o);
		o.ring_size = 100;
		expect_fail(name, &o, EINVAL, "ring_size 100");
		o.ring_size = 0;
		o.frame_size = 32;
		expect_fail(name, &o, EINVAL, "frame_size 32");
		o.frame_size = 0;
		o.flags = EU_PORT_O_ZEROCOPY | EU_PORT_O_COPY;
		expect_fail(name, &o, EINVAL, "contradict");
		o.flags = 0x80;
		expect_fail(name, &o, EINVAL, "unknown flags");
		/* an older, shorter struct: the rest is defaults */
		o.size = 8;
		o.flags = 0xffff;
		struct eu_port *p = eu_port_open(name, &o);
		ck_assert_msg(p != NULL, "%s", eu_last_error());
		eu_port_close(p);
	}
	eu_port_close(NULL); /* a no-op */
}
END_TEST

static Suite *port_pcap_suite(void)
{
	Suite *s = suite_create("port_pcap");
	TCase *tc = tcase_create("pcap");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_deterministic_output);
	tcase_add_test(tc, test_bad_records);
	tcase_add_test(tc, test_snaplen_cut);
	tcase_add_test(tc, test_truncated_file);
	tcase_add_test(tc, test_loop);
	tcase_add_test(tc, test_loop_nothing_usable);
	tcase_add_test(tc, test_release_implicit);
	tcase_add_test(tc, test_tx_vlan_and_drops);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	struct eu_port *p;

	p = eu_port_open("pcap:,/dev/null", NULL);
	if (!p) {
		printf("test_port_pcap: FAIL: %s\n", eu_last_error());
		return EXIT_FAILURE;
	}
	eu_port_close(p);
	return eu_t_run(port_pcap_suite());
}

#else /* !EU_HAVE_PCAP */

int main(void)
{
	struct eu_port *p = eu_port_open("pcap:,/dev/null", NULL);

	/* The driver is missing, and says what to do about it. */
	if (p || errno != ENOTSUP || !strstr(eu_last_error(), "libpcap-dev")) {
		printf("test_port_pcap: FAIL: pcap: without libpcap: %s\n", eu_last_error());
		eu_port_close(p);
		return EXIT_FAILURE;
	}
	printf("test_port_pcap: %s: skipped\n", eu_last_error());
	return EXIT_SUCCESS;
}

#endif
