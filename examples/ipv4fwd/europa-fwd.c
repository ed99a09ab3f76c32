/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa-fwd - the bundled IPv4 forwarder. This file holds its embedded
 * default (issue 4, point 5): no NIC, no privileges, one process.
 *
 * Design. The program creates a region and plays both of its sides in one
 * thread, alternately: the switch side (eu_sw_*) is a traffic generator and
 * checker, the VR side (eu_vr_*) is the real forwarder. One thread keeps the
 * run deterministic for a --seed and lets the TSC count only the VR's busy
 * bursts; the inproc switch has no generator port, and a second thread would
 * only add a core's worth of noise to the cycle count.
 *
 *  - generator: 64-byte UDP frames to random destinations inside the
 *    generated BGP-like table's prefixes, plus a share of unroutable ones
 *    (198.18.0.0/15, excluded from the table), TTL 1, martian destinations
 *    and bad checksums; a sequence number in the payload. For every frame it
 *    records the expected outcome (eu_lpm_lookup() done here, apart from the
 *    VR's burst path), and for one frame in 64 it also checks that answer
 *    against an independent reference (a hash set of the routes per prefix
 *    length, probed from /32 down).
 *  - VR: per burst, prefetch the frames, validate the IPv4 header
 *    (eu_ipv4_check), drop martians, look the destinations up in one
 *    eu_lpm_lookup_burst(), drop no-route and TTL <= 1, decrement the TTL
 *    (RFC 1624), rewrite the MACs from the next-hop table, set the egress
 *    port and transmit in place. Drops are counted by reason.
 *  - checker: every frame the VR sent must be the next expected forwarded
 *    frame, on the next hop's port, with its MACs, TTL 63 and a valid
 *    checksum; the VR's drops must equal the generator's expected drops.
 *
 * Exits 1 on any mismatch, lost frame or if nothing was forwarded.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <europa/europa.h>

#define FRAME_LEN   64
#define MAX_BURST   256
#define NPORTS      4  /* port 0: ingress; next hops egress on 1..3 */
#define NNH         16 /* next hops in the neighbour table */
#define SAMPLE_MASK 63 /* one frame in 64 checked against the reference */

/* Drop reasons of the VR, after the header checks (EU_IPV4_BAD_*). */
enum {
	D_NOT_IPV4 = 0,
	D_HDR, /* eu_ipv4_check() failed, by reason in hdr[] */
	D_MARTIAN_SRC,
	D_MARTIAN_DST,
	D_NO_ROUTE,
	D_TTL,
	D_COUNT
};
static const char *const drop_name[D_COUNT] = {"not_ipv4",    "header",   "martian_src",
					       "martian_dst", "no_route", "ttl"};

struct nexthop {
	__u16 port;
	unsigned char mac[6];
};

struct vr_stats {
	__u64 rx, fwd, drop[D_COUNT], hdr[EU_IPV4_CHECK_COUNT], martian[EU_IPV4_MARTIAN_COUNT];
	__u64 busy_cycles;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline __u64 rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
#endif
}

static inline __u64 xrand(__u64 *s)
{
	__u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ------------------------------------------------------- the forwarder (VR) */

static struct nexthop nh_tbl[NNH];
static unsigned char port_mac[NPORTS][6];

/* Forward one burst in place: the VR's whole fast path. */
static void vr_burst(struct eu_vr *vr, const struct eu_lpm *lpm, const __u32 *idx, unsigned n,
		     struct vr_stats *st)
{
	__u32 dst[MAX_BURST], pos[MAX_BURST], out[MAX_BURST], drop[MAX_BURST];
	unsigned i, k = 0, nd = 0, nout = 0, sent;

	for (i = 0; i < n; i++)
		__builtin_prefetch(eu_vr_data(vr, idx[i]), 1);
	for (i = 0; i < n; i++) {
		const struct eu_desc *d = eu_vr_desc(vr, idx[i]);
		const unsigned char *f = eu_vr_data(vr, idx[i]);
		const struct eu_ipv4_hdr *ip = (const struct eu_ipv4_hdr *)(f + 14);
		int r;

		if (eu_unlikely(d->len < 14 || f[12] != 0x08 || f[13] != 0x00)) {
			st->drop[D_NOT_IPV4]++;
			drop[nd++] = idx[i];
			continue;
		}
		r = eu_ipv4_check(ip, d->len - 14U);
		if (eu_unlikely(r != EU_IPV4_OK)) {
			st->drop[D_HDR]++;
			st->hdr[r]++;
			drop[nd++] = idx[i];
			continue;
		}
		r = eu_ipv4_martian_src(eu_ipv4_saddr(ip));
		if (eu_unlikely(r)) {
			st->drop[D_MARTIAN_SRC]++;
			st->martian[r]++;
			drop[nd++] = idx[i];
			continue;
		}
		r = eu_ipv4_martian_dst(eu_ipv4_daddr(ip));
		if (eu_unlikely(r)) {
			st->drop[D_MARTIAN_DST]++;
			st->martian[r]++;
			drop[nd++] = idx[i];
			continue;
		}
		pos[k] = idx[i];
		dst[k++] = eu_ipv4_daddr(ip);
	}
	eu_lpm_read_lock();
	eu_lpm_lookup_burst(lpm, dst, dst, k);
	eu_lpm_read_unlock();
	for (i = 0; i < k; i++) {
		struct eu_desc *d = eu_vr_desc(vr, pos[i]);
		unsigned char *f = eu_vr_data(vr, pos[i]);
		struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + 14);
		const struct nexthop *nh;

		if (eu_unlikely(dst[i] >= NNH)) { /* EU_LPM_MISS; ICMP unreachable later */
			st->drop[D_NO_ROUTE]++;
			drop[nd++] = pos[i];
			continue;
		}
		if (eu_unlikely(ip->ttl <= 1)) { /* ICMP time exceeded later */
			st->drop[D_TTL]++;
			drop[nd++] = pos[i];
			continue;
		}
		eu_ipv4_ttl_dec(ip);
		nh = &nh_tbl[dst[i]];
		memcpy(f, nh->mac, 6);
		memcpy(f + 6, port_mac[nh->port], 6);
		d->len = (__u16)(14U + eu_ipv4_tot_len(ip)); /* trim Ethernet padding */
		d->port = nh->port;
		out[nout++] = pos[i];
	}
	sent = eu_vr_tx_burst(vr, out, nout);
	if (eu_unlikely(sent < nout)) /* cannot happen: rings hold every slot */
		eu_vr_free_burst(vr, out + sent, nout - sent);
	if (nd)
		eu_vr_free_burst(vr, drop, nd);
	st->rx += n;
	st->fwd += sent;
}

/* ------------------------------------------------ the reference (hash sets) */

struct ref {
	__u64 *key; /* prefix << 8 | len << 1 | 1; 0: empty */
	__u8 *nh;
	__u64 mask;
	__u64 lens; /* bit len set: some route of that length */
};

static __u64 ref_hash(__u64 k)
{
	k ^= k >> 31;
	k *= 0x9e3779b97f4a7c15ULL;
	return k ^ (k >> 29);
}

static int ref_init(struct ref *r, unsigned routes)
{
	__u64 sz = 64;

	while (sz < 2ULL * routes)
		sz <<= 1;
	r->key = calloc(sz, sizeof(*r->key));
	r->nh = calloc(sz, 1);
	r->mask = sz - 1;
	r->lens = 0;
	return r->key && r->nh ? 0 : -1;
}

static void ref_add(struct ref *r, __u32 prefix, unsigned len, unsigned nh)
{
	__u64 k = (__u64)prefix << 8 | len << 1 | 1, h = ref_hash(k) & r->mask;

	while (r->key[h] && r->key[h] != k)
		h = (h + 1) & r->mask;
	r->key[h] = k;
	r->nh[h] = (__u8)nh;
	r->lens |= 1ULL << len;
}

static __u32 ref_lookup(const struct ref *r, __u32 addr)
{
	int len;

	for (len = 32; len >= 0; len--) {
		__u64 k, h;

		if (!(r->lens >> len & 1))
			continue;
		k = (__u64)(addr & eu_ipv4_mask((unsigned)len)) << 8 | (unsigned)len << 1 | 1;
		for (h = ref_hash(k) & r->mask; r->key[h]; h = (h + 1) & r->mask)
			if (r->key[h] == k)
				return r->nh[h];
	}
	return EU_LPM_MISS;
}

/* ------------------------------------------------------------ the generator */

/* Expected outcome of a frame: a next hop id, or EXP_DROP + a D_* reason. */
#define EXP_DROP 0x100U

struct opts {
	double seconds;
	__u64 packets;
	unsigned routes;
	__u64 seed;
	unsigned burst;
	int quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: europa-fwd [OPTIONS]\n"
		"The libeuropa IPv4 forwarder. With no options it runs its embedded default:\n"
		"a VR forwarding in place (RFC 1812 checks, LPM lookup, TTL and checksum, MAC\n"
		"rewrite) over an in-process region, fed by a built-in generator of 64-byte UDP\n"
		"frames to random destinations of a generated BGP-like table, every forwarded\n"
		"frame checked. No NIC, no privileges.\n"
		"\n"
		"  -t, --seconds S   run for S seconds (default 5, at most 3600)\n"
		"  -n, --packets N   stop after N frames (default: the time limit)\n"
		"  -r, --routes N    prefixes in the generated table (default 1000000)\n"
		"  -S, --seed N      table and traffic seed (default 1)\n"
		"  -b, --burst N     frames per burst, 1..%d (default 32)\n"
		"  -q, --quiet       no live progress, only the summary\n"
		"  -h, --help        this text\n"
		"  -V, --version     print the library version\n"
		"\n"
		"Exits 0 when every frame was forwarded or dropped as expected, 1 otherwise.\n"
		"See europa-fwd(1).\n",
		MAX_BURST);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"seconds", required_argument, NULL, 't'},
		{"packets", required_argument, NULL, 'n'},
		{"routes", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 'S'},
		{"burst", required_argument, NULL, 'b'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*o = (struct opts){.seconds = 5, .routes = 1000000, .seed = 1, .burst = 32};
	while ((c = getopt_long(argc, argv, "t:n:r:S:b:qhV", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds > 0 && o->seconds <= 3600)) {
				fprintf(stderr, "europa-fwd: --seconds %s: give 0 < S <= 3600\n",
					optarg);
				return 2;
			}
			break;
		case 'n':
			o->packets = strtoull(optarg, &end, 0);
			if (*end || !o->packets) {
				fprintf(stderr, "europa-fwd: --packets %s: give a count > 0\n",
					optarg);
				return 2;
			}
			break;
		case 'r': {
			unsigned long v = strtoul(optarg, &end, 0);

			if (*end || v < 1 || v > 4000000) {
				fprintf(stderr, "europa-fwd: --routes %s: give 1..4000000\n",
					optarg);
				return 2;
			}
			o->routes = (unsigned)v;
			break;
		}
		case 'S':
			o->seed = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "europa-fwd: --seed %s: not a number\n", optarg);
				return 2;
			}
			break;
		case 'b': {
			unsigned long v = strtoul(optarg, &end, 0);

			if (*end || v < 1 || v > MAX_BURST) {
				fprintf(stderr, "europa-fwd: --burst %s: give 1..%d\n", optarg,
					MAX_BURST);
				return 2;
			}
			o->burst = (unsigned)v;
			break;
		}
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("europa-fwd (libeuropa %s)\n", eu_version());
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "europa-fwd: unexpected argument \"%s\" (try --help)\n",
			argv[optind]);
		return 2;
	}
	return 0;
}

struct gen {
	__u32 *pfx; /* prefixes of the table */
	__u8 *plen;
	unsigned npfx;
	__u64 rng;
	unsigned char tmpl[FRAME_LEN];
};

static void make_template(unsigned char *f)
{
	struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + 14);

	memset(f, 0, FRAME_LEN);
	memcpy(f, port_mac[0], 6);
	memcpy(f + 6, "\x02\x00\x00\x00\xff\x01", 6);
	f[12] = 0x08;
	ip->ver_ihl = 0x45;
	ip->tot_len = eu_htons(FRAME_LEN - 14);
	ip->ttl = 64;
	ip->protocol = 17;
	ip->saddr = eu_htonl(0xc6130001U); /* 198.19.0.1 */
	f[34] = 0x04;                      /* UDP 1024 -> 1024, length 30, no checksum */
	f[36] = 0x04;
	f[39] = 30;
}

/*
 * What the generator wrote into a frame, kept until the checker has seen
 * the frame or its slot: the destination and a forced outcome
 * (EXP_DROP | reason) or 0 (look the destination up), and the TTL.
 */
struct sent {
	__u32 dst;
	__u16 forced;
	__u16 ttl;
};

/* Write one frame (sequence seq) into f and record what it holds in *s. */
static void gen_frame(struct gen *g, unsigned char *f, __u64 seq, struct sent *s)
{
	struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + 14);
	__u64 r = xrand(&g->rng);
	unsigned kind = (unsigned)(r % 1000);
	__u32 dst;

	memcpy(f, g->tmpl, FRAME_LEN);
	memcpy(f + 42, &seq, sizeof(seq));
	r = xrand(&g->rng);
	s->forced = 0;
	if (kind < 20) { /* unroutable: 198.18.0.0/15 is kept out of the table */
		dst = 0xc6120000U | (__u32)(r & 0x1ffffU);
	} else if (kind < 23) {
		dst = 0x7f000000U | (__u32)(r & 0xffffffU); /* loopback: martian */
		s->forced = EXP_DROP | D_MARTIAN_DST;
	} else {
		unsigned p = (unsigned)((r >> 32) % g->npfx);

		dst = g->pfx[p] | ((__u32)r & ~eu_ipv4_mask(g->plen[p]));
		if (kind < 28)
			ip->ttl = 1;
		else if (kind < 30)
			s->forced = EXP_DROP | D_HDR;
	}
	ip->daddr = eu_htonl(dst);
	eu_ipv4_cksum_set(ip);
	if (s->forced == (EXP_DROP | D_HDR))
		ip->check ^= 0x0101;
	s->dst = dst;
	s->ttl = ip->ttl;
}

/*
 * Expected outcome of a frame: a next hop id, or EXP_DROP | reason. The
 * checker computes it after the VR has handled the frame, so that this
 * lookup does not warm the cache for the VR's: eu_lpm_lookup() per frame,
 * checked against the reference for a sample (*mism counts disagreements).
 */
static unsigned expected(const struct eu_lpm *lpm, const struct ref *ref, const struct sent *s,
			 __u64 seq, __u64 *mism)
{
	__u32 nh;

	if (s->forced)
		return s->forced;
	eu_lpm_read_lock();
	nh = eu_lpm_lookup(lpm, s->dst);
	eu_lpm_read_unlock();
	if ((seq & SAMPLE_MASK) == 0 && ref_lookup(ref, s->dst) != nh) {
		if ((*mism)++ < 5)
			fprintf(stderr, "europa-fwd: LPM and reference disagree on %u.%u.%u.%u\n",
				s->dst >> 24, s->dst >> 16 & 255, s->dst >> 8 & 255, s->dst & 255);
	}
	if (nh == EU_LPM_MISS)
		return EXP_DROP | D_NO_ROUTE;
	if (s->ttl <= 1)
		return EXP_DROP | D_TTL;
	return nh;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct eu_lpm_gen_opts go;
	struct eu_lpm_gen *lg;
	struct eu_lpm *lpm;
	struct ref ref;
	struct gen g;
	struct eu_region_opts ro;
	struct eu_region *reg;
	struct eu_sw sw;
	struct eu_vr vr;
	struct vr_stats st;
	struct eu_txpkt pk[MAX_BURST];
	__u32 idx[MAX_BURST];
	struct sent *expect;
	__u64 wmask, next_seq = 0, want_seq = 0, bad = 0, mism = 0, fwd_ok = 0;
	__u64 exp_drop[D_COUNT] = {0}, exp_fwd = 0, last_fwd = 0;
	double t0, tb, t, tlast;
	unsigned i;
	int rc;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	for (i = 0; i < NPORTS; i++)
		memcpy(port_mac[i], (const unsigned char[6]){0x02, 0, 0, 0, 0, (unsigned char)i},
		       6);
	for (i = 0; i < NNH; i++) {
		nh_tbl[i].port = (__u16)(1 + i % (NPORTS - 1));
		memcpy(nh_tbl[i].mac, (const unsigned char[6]){0x02, 0, 0, 0, 1, (unsigned char)i},
		       6);
	}

	/* the table: generated prefixes, next hop by hash */
	eu_lpm_gen_opts_default(&go);
	go.seed = o.seed;
	go.nexclude = 1;
	go.exclude[0].prefix = 0xc6120000U; /* 198.18.0.0/15: our unroutable traffic */
	go.exclude[0].len = 15;
	lg = eu_lpm_gen_create(&go);
	lpm = eu_lpm_create(NULL);
	g.pfx = malloc(sizeof(*g.pfx) * o.routes);
	g.plen = malloc(o.routes);
	if (!lg || !lpm || !g.pfx || !g.plen || ref_init(&ref, o.routes)) {
		fprintf(stderr, "europa-fwd: cannot set up the table: %s\n", eu_last_error());
		return 1;
	}
	tb = now_s();
	for (g.npfx = 0; g.npfx < o.routes; g.npfx++) {
		__u32 p;
		unsigned len, nh;

		if (eu_lpm_gen_next(lg, &p, &len))
			break;
		nh = eu_lpm_gen_hash(p, len, o.seed) % NNH;
		rc = eu_lpm_add(lpm, p, len, nh);
		if (rc < 0) {
			fprintf(stderr, "europa-fwd: adding route %u: %s\n", g.npfx,
				eu_last_error());
			return 1;
		}
		g.pfx[g.npfx] = p;
		g.plen[g.npfx] = (__u8)len;
		ref_add(&ref, p, len, nh);
	}
	eu_lpm_gen_destroy(lg);
	if (!g.npfx) {
		fprintf(stderr, "europa-fwd: the generator made no prefix\n");
		return 1;
	}
	fprintf(stderr,
		"europa-fwd: libeuropa %s: table of %u prefixes (seed %" PRIu64
		") built in %.2f s, %.1f MiB\n",
		eu_version(), g.npfx, (uint64_t)o.seed, now_s() - tb,
		(double)eu_lpm_memsize(lpm) / (1 << 20));

	eu_region_opts_default(&ro);
	ro.flags = EU_REGION_O_UNLINK;
	reg = eu_region_create("anon", &ro);
	if (!reg || eu_sw_init(&sw, reg) || eu_vr_init(&vr, reg)) {
		fprintf(stderr, "europa-fwd: cannot set up the region: %s\n", eu_last_error());
		return 1;
	}
	/* outcomes of frames in flight: fewer than the slots, so a window of twice as many */
	for (wmask = 1; wmask < 2ULL * eu_region_header(reg)->nslots; wmask <<= 1)
		;
	expect = calloc(wmask, sizeof(*expect));
	wmask--;
	if (!expect) {
		fprintf(stderr, "europa-fwd: out of memory\n");
		return 1;
	}
	g.rng = o.seed * 0x9e3779b97f4a7c15ULL | 1;
	make_template(g.tmpl);
	memset(&st, 0, sizeof(st));

	t0 = tlast = now_s();
	for (;;) {
		__u32 n, m;
		int more = !stop && (!o.packets || next_seq < o.packets);

		t = now_s();
		if (t - t0 >= o.seconds)
			more = 0;
		if (more) { /* switch rx: generate */
			n = o.burst;
			if (o.packets && o.packets - next_seq < n)
				n = (__u32)(o.packets - next_seq);
			n = eu_sw_rx_alloc(&sw, idx, n);
			for (i = 0; i < n; i++) {
				struct eu_desc *d = eu_sw_desc(&sw, idx[i]);

				gen_frame(&g, eu_sw_buf(&sw, idx[i]) + d->off, next_seq,
					  &expect[next_seq & wmask]);
				d->len = FRAME_LEN;
				d->port = 0;
				next_seq++;
			}
			m = eu_sw_rx_publish(&sw, idx, n);
			if (m < n) { /* cannot happen: rings hold every slot */
				bad += n - m;
				eu_sw_free_burst(&sw, idx + m, n - m);
			}
		}
		{ /* the VR: count the TSC only around non-empty bursts */
			__u64 c0 = rdtsc();

			n = eu_vr_rx_burst(&vr, idx, o.burst);
			if (n) {
				vr_burst(&vr, lpm, idx, n, &st);
				st.busy_cycles += rdtsc() - c0;
			}
		}
		/* switch tx: check what the VR sent */
		n = eu_sw_tx_burst(&sw, pk, o.burst);
		for (i = 0; i < n; i++) {
			const unsigned char *f = eu_sw_buf(&sw, pk[i].idx) + pk[i].off;
			__u64 seq;
			unsigned e;

			memcpy(&seq, f + 42, sizeof(seq));
			for (;;) { /* frames before this one must have been dropped */
				e = want_seq < next_seq
					    ? expected(lpm, &ref, &expect[want_seq & wmask],
						       want_seq, &mism)
					    : EXP_DROP;
				if (want_seq >= seq || want_seq >= next_seq || !(e & EXP_DROP))
					break;
				exp_drop[e & 0xff]++;
				want_seq++;
			}
			if (!(e & EXP_DROP))
				exp_fwd++;
			if (seq != want_seq || (e & EXP_DROP) || pk[i].port != nh_tbl[e].port ||
			    memcmp(f, nh_tbl[e].mac, 6) ||
			    memcmp(f + 6, port_mac[nh_tbl[e].port], 6) || f[14 + 8] != 63 ||
			    eu_ipv4_cksum(f + 14, 20) != 0 || pk[i].len != FRAME_LEN) {
				if (bad++ < 5)
					fprintf(stderr,
						"europa-fwd: frame %" PRIu64 " (expected %" PRIu64
						", outcome 0x%x): port %u, ttl %u, len %u\n",
						(uint64_t)seq, (uint64_t)want_seq, e, pk[i].port,
						f[22], pk[i].len);
			} else {
				fwd_ok++;
			}
			want_seq = seq + 1;
			idx[i] = pk[i].idx;
		}
		eu_sw_free_burst(&sw, idx, n);
		if (!more && st.rx == next_seq && !n)
			break;
		if (!more && t - t0 > o.seconds + 5) { /* bounded: never wait forever */
			fprintf(stderr, "europa-fwd: %" PRIu64 " frames did not reach the VR\n",
				(uint64_t)(next_seq - st.rx));
			bad++;
			break;
		}
		if (!o.quiet && t - tlast >= 1.0) {
			fprintf(stderr, "  %5.1f s  %7.2f Mpps  fwd %" PRIu64 "  drops:", t - t0,
				(double)(st.fwd - last_fwd) / (t - tlast) / 1e6, (uint64_t)st.fwd);
			for (i = 0; i < D_COUNT; i++)
				fprintf(stderr, " %s %" PRIu64, drop_name[i], (uint64_t)st.drop[i]);
			fputc('\n', stderr);
			last_fwd = st.fwd;
			tlast = t;
		}
	}
	t = now_s() - t0;
	for (; want_seq < next_seq; want_seq++) { /* the rest must have been dropped */
		unsigned e = expected(lpm, &ref, &expect[want_seq & wmask], want_seq, &mism);

		if (e & EXP_DROP)
			exp_drop[e & 0xff]++;
		else
			exp_fwd++; /* lost */
	}

	printf("europa-fwd: %" PRIu64 " frames in, %" PRIu64 " forwarded in %.2f s: %.2f Mpps "
	       "forwarded, %.1f TSC cycles per frame in the VR's busy bursts (burst %u, %u "
	       "routes)\n",
	       (uint64_t)next_seq, (uint64_t)st.fwd, t, (double)st.fwd / t / 1e6,
	       st.rx ? (double)st.busy_cycles / (double)st.rx : 0.0, o.burst, g.npfx);
	printf("europa-fwd: drops:");
	for (i = 0; i < D_COUNT; i++) {
		printf(" %s %" PRIu64, drop_name[i], (uint64_t)st.drop[i]);
		if (st.drop[i] != exp_drop[i]) {
			printf(" (expected %" PRIu64 ")", (uint64_t)exp_drop[i]);
			bad++;
		}
	}
	for (i = 1; i < EU_IPV4_CHECK_COUNT; i++)
		if (st.hdr[i])
			printf(" [header %s %" PRIu64 "]", eu_ipv4_check_name((int)i),
			       (uint64_t)st.hdr[i]);
	for (i = 1; i < EU_IPV4_MARTIAN_COUNT; i++)
		if (st.martian[i])
			printf(" [martian %s %" PRIu64 "]", eu_ipv4_martian_name((int)i),
			       (uint64_t)st.martian[i]);
	printf("\n");
	if (fwd_ok != exp_fwd || st.fwd != exp_fwd)
		bad++;
	printf("europa-fwd: verify: %" PRIu64 " of %" PRIu64 " expected frames forwarded to the "
	       "right port and MACs (per-frame eu_lpm_lookup), %" PRIu64 " LPM/reference "
	       "disagreements in a sample of %" PRIu64 ", %" PRIu64 " bad or lost\n",
	       (uint64_t)fwd_ok, (uint64_t)exp_fwd, (uint64_t)mism,
	       (uint64_t)((next_seq + SAMPLE_MASK) / (SAMPLE_MASK + 1)), (uint64_t)bad);
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(reg);
	eu_lpm_destroy(lpm);
	free(expect);
	free(ref.key);
	free(ref.nh);
	free(g.pfx);
	free(g.plen);
	if (bad || mism || !fwd_ok) {
		fprintf(stderr, "europa-fwd: FAILED%s\n", fwd_ok ? "" : ": nothing was forwarded");
		return 1;
	}
	printf("europa-fwd: OK\n");
	return 0;
}
