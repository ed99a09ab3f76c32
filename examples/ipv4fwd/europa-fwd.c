/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa-fwd - the bundled IPv4 router (issue 4). Two modes, one forwarding
 * path (router.c):
 *
 *  - router mode (--vr NAME): open a VR by name (eu_vr_open(): "inproc:...",
 *    "europad:#vr", "kdev:..."), configure it (--config, --routes, --import,
 *    the control socket) and forward until a signal, --seconds, or
 *    --exit-idle after the last frame (for pcap inputs).
 *  - the embedded default (no --vr): no NIC, no privileges, one process. It
 *    creates a region and plays both of its sides in one thread, alternately:
 *    the switch side (eu_sw_*) is a traffic generator and checker, the VR
 *    side runs the router over a generated BGP-like table. One thread keeps
 *    the run deterministic for a --seed and lets the TSC count only the VR's
 *    busy bursts.
 *
 * The embedded default's generator sends 64-byte UDP frames to random
 * destinations inside the table's prefixes, plus a share of unroutable ones
 * (198.18.0.0/16, kept out of the table), TTL 1, martian destinations and
 * bad checksums; a sequence number in the payload. The checker then wants
 * every frame the VR sent to be the next expected forwarded frame, on the
 * next hop's port, with its MACs, TTL 63 and a valid checksum (expected
 * outcomes from fwd_router_lookup(), sampled against an independent
 * reference: a hash set of the routes per prefix length), or a well-formed
 * ICMP error back to the source; and the router's drop counters to equal
 * the generator's expected drops. Exits 1 on any mismatch, lost frame or if
 * nothing was forwarded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>

#include "router.h"

#define FRAME_LEN   64
#define MAX_BURST   256
#define NPORTS      4           /* port 0: ingress; next hops egress on 1..3 */
#define NNH         16          /* next hops (gateways) of the generated table */
#define SAMPLE_MASK 63          /* one frame in 64 checked against the reference */
#define GEN_SRC     0xc6130001U /* 198.19.0.1: the generator's address, behind port 0 */

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

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static inline __u64 rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return now_ns();
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

/* ----------------------------------------------------------------- options */

struct opts {
	/* both modes */
	double seconds; /* 0: no limit (router mode's default) */
	unsigned burst;
	int quiet;
	struct fwd_router_opts ro;
	/* embedded default */
	__u64 packets;
	unsigned routes;
	__u64 seed;
	/* router mode */
	const char *vr;
	const char *config[16];
	unsigned nconfig;
	const char *route_files[16];
	unsigned nroute_files;
	const char *import[16];
	unsigned nimport;
	const char *control;
	const char *punt;
	double stats_interval;
	int stats_json;
	unsigned exit_idle_ms;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: europa-fwd [OPTIONS]                       the embedded default\n"
		"       europa-fwd --vr NAME [--config FILE] [--routes FILE] [--import FILE|-]\n"
		"                  [--control SOCKET] [--seconds N] [--stats-interval S]\n"
		"                  [--stats-json] [--punt TAPNAME] [--exit-idle MS] [--quiet]\n"
		"\n"
		"The libeuropa IPv4 router: RFC 1812 checks, longest-prefix match, TTL and\n"
		"checksum (RFC 1624), ARP, ICMP echo and errors (rate-limited), fragmentation,\n"
		"MAC rewrite, all in place on the VR's slots, in bursts.\n"
		"\n"
		"Without --vr it runs its embedded default: a VR forwarding over an in-process\n"
		"region, fed by a built-in generator of 64-byte UDP frames to random\n"
		"destinations of a generated BGP-like table, every frame checked. No NIC, no\n"
		"privileges. Exits 0 when every frame was forwarded or dropped as expected.\n"
		"\n"
		"Router mode:\n"
		"  -v, --vr NAME          the VR to open: inproc:PORT[;PORT...] (e.g.\n"
		"                         \"inproc:pcap:in.pcap,out.pcap\"), europad:[SOCKET]#VR,\n"
		"                         kdev:[DEVICE][#KEY=VALUE,...] (see europa-fwd(1))\n"
		"  -c, --config FILE      commands in ip(8) syntax, one a line: addr add\n"
		"                         198.18.0.1/24 dev p0, link set p0 mtu 1400 address MAC,\n"
		"                         route add ..., neigh add A lladdr M dev D (repeatable)\n"
		"  -r, --routes FILE      one `ip route` route a line (repeatable)\n"
		"  -i, --import FILE|-    `ip -4 route show` output: routes on our ports "
		"(repeatable)\n"
		"  -C, --control SOCKET   serve europactl on this AF_UNIX socket\n"
		"  -P, --punt TAPNAME     traffic to the router it does not answer goes to this\n"
		"                         TAP device (created if needed; root), and back\n"
		"  -I, --stats-interval S progress line every S seconds on stderr (default 1,\n"
		"                         0: none)\n"
		"  -j, --stats-json       the summary at exit as one JSON object\n"
		"  -x, --exit-idle MS     stop MS milliseconds after the last frame (pcap inputs)\n"
		"      --icmp-rate N      ICMP errors per second (default 100)\n"
		"      --icmp-burst N     ICMP token bucket depth (default 50)\n"
		"      --arp-hold N       packets held per unresolved neighbour (default 4)\n"
		"      --arp-retries N    ARP requests before a neighbour fails (default 3)\n"
		"      --arp-timeout MS   between ARP requests (default 1000)\n"
		"      --neigh-reachable MS  a learned neighbour not confirmed for MS becomes\n"
		"                         STALE and is probed when used (default 30000)\n"
		"      --neigh-gc MS      a STALE neighbour unused for MS is forgotten\n"
		"                         (default 300000)\n"
		"\n"
		"Embedded default:\n"
		"  -n, --packets N        stop after N frames (default: the time limit)\n"
		"  -r, --routes N         prefixes in the generated table (default 1000000)\n"
		"  -S, --seed N           table and traffic seed (default 1)\n"
		"\n"
		"Both:\n"
		"  -t, --seconds S        run for S seconds (embedded default: 5; router: no "
		"limit)\n"
		"  -b, --burst N          frames per burst, 1..%d (default 32)\n"
		"  -q, --quiet            no progress lines, only the summary\n"
		"  -h, --help             this text\n"
		"  -V, --version          print the library version\n"
		"\n"
		"Signals: SIGINT and SIGTERM stop it; the summary (every non-zero drop reason)\n"
		"goes to stdout. See europa-fwd(1) and docs/fwd.md.\n",
		MAX_BURST);
}

static int num(const char *opt, const char *v, unsigned long lo, unsigned long hi, unsigned *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno || *end || !*v || x < lo || x > hi) {
		fprintf(stderr, "europa-fwd: --%s %s: give a number from %lu to %lu\n", opt, v, lo,
			hi);
		return -1;
	}
	*out = (unsigned)x;
	return 0;
}

static int add_file(const char **arr, unsigned *n, const char *opt, const char *v)
{
	if (*n == 16) {
		fprintf(stderr, "europa-fwd: --%s given more than 16 times\n", opt);
		return -1;
	}
	arr[(*n)++] = v;
	return 0;
}

enum {
	O_ICMP_RATE = 256,
	O_ICMP_BURST,
	O_ARP_HOLD,
	O_ARP_RETRIES,
	O_ARP_TIMEOUT,
	O_NEIGH_REACHABLE,
	O_NEIGH_GC,
};

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
		{"vr", required_argument, NULL, 'v'},
		{"config", required_argument, NULL, 'c'},
		{"import", required_argument, NULL, 'i'},
		{"control", required_argument, NULL, 'C'},
		{"punt", required_argument, NULL, 'P'},
		{"stats-interval", required_argument, NULL, 'I'},
		{"stats-json", no_argument, NULL, 'j'},
		{"exit-idle", required_argument, NULL, 'x'},
		{"icmp-rate", required_argument, NULL, O_ICMP_RATE},
		{"icmp-burst", required_argument, NULL, O_ICMP_BURST},
		{"arp-hold", required_argument, NULL, O_ARP_HOLD},
		{"arp-retries", required_argument, NULL, O_ARP_RETRIES},
		{"arp-timeout", required_argument, NULL, O_ARP_TIMEOUT},
		{"neigh-reachable", required_argument, NULL, O_NEIGH_REACHABLE},
		{"neigh-gc", required_argument, NULL, O_NEIGH_GC},
		{NULL, 0, NULL, 0},
	};
	const char *routes = NULL;
	char *end;
	int c, seconds_set = 0;

	memset(o, 0, sizeof(*o));
	o->seconds = 5;
	o->routes = 1000000;
	o->seed = 1;
	o->burst = 32;
	o->stats_interval = 1;
	fwd_router_opts_default(&o->ro);
	while ((c = getopt_long(argc, argv, "t:n:r:S:b:qhVv:c:i:C:P:I:jx:", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds >= 0 && o->seconds <= 1e7)) {
				fprintf(stderr,
					"europa-fwd: --seconds %s: give 0 <= S <= 1e7 "
					"(0: no limit, router mode only)\n",
					optarg);
				return 2;
			}
			seconds_set = 1;
			break;
		case 'n':
			o->packets = strtoull(optarg, &end, 0);
			if (*end || !o->packets) {
				fprintf(stderr, "europa-fwd: --packets %s: give a count > 0\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			routes = optarg;
			if (add_file(o->route_files, &o->nroute_files, "routes", optarg))
				return 2;
			break;
		case 'S':
			o->seed = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "europa-fwd: --seed %s: not a number\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (num("burst", optarg, 1, MAX_BURST, &o->burst))
				return 2;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("europa-fwd (libeuropa %s)\n", eu_version());
			return 1;
		case 'v':
			o->vr = optarg;
			break;
		case 'c':
			if (add_file(o->config, &o->nconfig, "config", optarg))
				return 2;
			break;
		case 'i':
			if (add_file(o->import, &o->nimport, "import", optarg))
				return 2;
			break;
		case 'C':
			o->control = optarg;
			break;
		case 'P':
			o->punt = optarg;
			break;
		case 'I':
			o->stats_interval = strtod(optarg, &end);
			if (*end || !(o->stats_interval >= 0 && o->stats_interval <= 86400)) {
				fprintf(stderr,
					"europa-fwd: --stats-interval %s: give 0 (none) to "
					"86400 seconds\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			o->stats_json = 1;
			break;
		case 'x':
			if (num("exit-idle", optarg, 1, 3600000, &o->exit_idle_ms))
				return 2;
			break;
		case O_ICMP_RATE:
			if (num("icmp-rate", optarg, 0, 1000000, &o->ro.icmp_rate))
				return 2;
			break;
		case O_ICMP_BURST:
			if (num("icmp-burst", optarg, 1, 1000000, &o->ro.icmp_burst))
				return 2;
			break;
		case O_ARP_HOLD:
			if (num("arp-hold", optarg, 0, 255, &o->ro.arp_hold))
				return 2;
			break;
		case O_ARP_RETRIES:
			if (num("arp-retries", optarg, 1, 255, &o->ro.arp_retries))
				return 2;
			break;
		case O_ARP_TIMEOUT:
			if (num("arp-timeout", optarg, 1, 3600000, &o->ro.arp_timeout_ms))
				return 2;
			break;
		case O_NEIGH_REACHABLE:
			if (num("neigh-reachable", optarg, 1, 3600000, &o->ro.neigh_reachable_ms))
				return 2;
			break;
		case O_NEIGH_GC:
			if (num("neigh-gc", optarg, 1, 86400000, &o->ro.neigh_gc_ms))
				return 2;
			break;
		default:
			fprintf(stderr, "europa-fwd: try --help\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "europa-fwd: unexpected argument \"%s\" (try --help)\n",
			argv[optind]);
		return 2;
	}
	if (!o->vr) {
		/* the embedded default: --routes is the size of the generated table */
		if (o->nconfig || o->nimport || o->control || o->punt || o->exit_idle_ms) {
			fprintf(stderr, "europa-fwd: --config, --import, --control, --punt and "
					"--exit-idle need --vr NAME (a VR to route on)\n");
			return 2;
		}
		if (o->nroute_files > 1 ||
		    (routes && num("routes", routes, 1, 4000000, &o->routes)))
			return 2;
		o->nroute_files = 0;
		if (!(o->seconds > 0 && o->seconds <= 3600)) {
			fprintf(stderr,
				"europa-fwd: --seconds: give 0 < S <= 3600 for the embedded "
				"default\n");
			return 2;
		}
	} else {
		if (!seconds_set)
			o->seconds = 0;
		if (o->packets) {
			fprintf(stderr,
				"europa-fwd: --packets is for the embedded default (no --vr)\n");
			return 2;
		}
	}
	return 0;
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

/* ======================================================== the embedded default */

static unsigned char port_mac[NPORTS][6];
static unsigned char nh_mac[NNH][6];
static unsigned nh_port[NNH];

/* Gateway of generated next hop i: 198.19.P.(1 + i) on port P = 1 + i % 3. */
static __u32 nh_gw(unsigned i)
{
	return 0xc6130000U | (1 + i % (NPORTS - 1)) << 8 | (1 + i);
}

/* Expected outcome of a frame: a next hop (0..NNH-1), or EXP_DROP | FWD_DROP_*. */
#define EXP_DROP 0x100U

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
	ip->saddr = eu_htonl(GEN_SRC);
	f[34] = 0x04; /* UDP 1024 -> 1024, length 30, no checksum */
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
	if (kind < 20) { /* unroutable: 198.18.0.0/16 is kept out of the table */
		dst = 0xc6120000U | (__u32)(r & 0xffffU);
	} else if (kind < 23) {
		dst = 0x7f000000U | (__u32)(r & 0xffffffU); /* loopback: martian */
		s->forced = EXP_DROP | FWD_DROP_MARTIAN_DST;
	} else {
		unsigned p = (unsigned)((r >> 32) % g->npfx);

		dst = g->pfx[p] | ((__u32)r & ~eu_ipv4_mask(g->plen[p]));
		if (kind < 28)
			ip->ttl = 1;
		else if (kind < 30)
			s->forced = EXP_DROP | FWD_DROP_HDR;
	}
	ip->daddr = eu_htonl(dst);
	eu_ipv4_cksum_set(ip);
	if (s->forced == (EXP_DROP | FWD_DROP_HDR))
		ip->check ^= 0x0101;
	s->dst = dst;
	s->ttl = ip->ttl;
}

/*
 * Expected outcome of a frame. The checker computes it after the VR has
 * handled the frame, so that this lookup does not warm the cache for the
 * VR's: fwd_router_lookup() per frame, checked against the reference for a
 * sample (*mism counts disagreements).
 */
static unsigned expected(struct fwd_router *rt, const struct ref *ref, const struct sent *s,
			 __u64 seq, __u64 *mism)
{
	struct fwd_lookup lk;
	__u32 nh = EU_LPM_MISS;

	if (s->forced)
		return s->forced;
	if (fwd_router_lookup(rt, s->dst, &lk) == 0 && lk.type == EU_IPV4_RT_UNICAST && lk.gw &&
	    (lk.gw & 0xff) - 1 < NNH)
		nh = (lk.gw & 0xff) - 1;
	if ((seq & SAMPLE_MASK) == 0 && ref_lookup(ref, s->dst) != nh) {
		if ((*mism)++ < 5)
			fprintf(stderr,
				"europa-fwd: router and reference disagree on %u.%u.%u.%u\n",
				s->dst >> 24, s->dst >> 16 & 255, s->dst >> 8 & 255, s->dst & 255);
	}
	if (nh == EU_LPM_MISS)
		return EXP_DROP | FWD_DROP_NO_ROUTE;
	if (s->ttl <= 1)
		return EXP_DROP | FWD_DROP_TTL;
	return nh;
}

/* An ICMP error the router sent back to the generator: well formed? */
static int icmp_ok(const unsigned char *f, unsigned len)
{
	const struct eu_ipv4_hdr *ip = (const struct eu_ipv4_hdr *)(f + 14);
	const unsigned char *icmp = f + 34;

	return len >= 14 + 20 + 8 + 28 && !memcmp(f, "\x02\x00\x00\x00\xff\x01", 6) &&
	       !memcmp(f + 6, port_mac[0], 6) && eu_ipv4_cksum(ip, 20) == 0 &&
	       eu_ipv4_daddr(ip) == GEN_SRC && eu_ipv4_saddr(ip) == 0xc61300feU &&
	       eu_csum(icmp, len - 34) == 0 &&
	       ((icmp[0] == 3 && icmp[1] == 0) || (icmp[0] == 11 && icmp[1] == 0));
}

/* Ports 198.19.P.254/24, static neighbours, the generated table. */
static int embedded_setup(struct fwd_router *rt, const struct opts *o, struct gen *g,
			  struct ref *ref)
{
	struct eu_lpm_gen_opts go;
	struct eu_lpm_gen *lg;
	struct eu_ipv4_route route;
	char err[256];
	unsigned i;
	double tb;
	int rc;

	for (i = 0; i < NPORTS; i++) {
		struct fwd_port_cfg c;

		memset(&c, 0, sizeof(c));
		c.addr = 0xc6130000U | i << 8 | 254;
		c.plen = 24;
		memcpy(c.mac, port_mac[i], 6);
		rc = fwd_router_port_set(rt, i, &c);
		if (rc < 0) {
			fprintf(stderr, "europa-fwd: port %u: %s\n", i, strerror(-rc));
			return -1;
		}
	}
	for (i = 0; i <= NNH; i++) {
		struct fwd_neigh n;

		memset(&n, 0, sizeof(n));
		if (i < NNH) {
			n.addr = nh_gw(i);
			n.port = nh_port[i];
			memcpy(n.mac, nh_mac[i], 6);
		} else { /* the generator itself, for the ICMP errors */
			n.addr = GEN_SRC;
			n.port = 0;
			memcpy(n.mac, "\x02\x00\x00\x00\xff\x01", 6);
		}
		n.state = FWD_NEIGH_PERMANENT;
		rc = fwd_router_neigh_add(rt, &n);
		if (rc < 0) {
			fprintf(stderr, "europa-fwd: neighbour %u: %s\n", i, strerror(-rc));
			return -1;
		}
	}

	eu_lpm_gen_opts_default(&go);
	go.seed = o->seed;
	go.nexclude = 1;
	go.exclude[0].prefix = 0xc6120000U; /* 198.18.0.0/15: unroutable traffic, our ports */
	go.exclude[0].len = 15;
	lg = eu_lpm_gen_create(&go);
	g->pfx = malloc(sizeof(*g->pfx) * o->routes);
	g->plen = malloc(o->routes);
	if (!lg || !g->pfx || !g->plen || ref_init(ref, o->routes)) {
		fprintf(stderr, "europa-fwd: cannot set up the table: %s\n", eu_last_error());
		return -1;
	}
	tb = now_s();
	memset(&route, 0, sizeof(route));
	route.has_via = 1;
	for (g->npfx = 0; g->npfx < o->routes; g->npfx++) {
		__u32 p;
		unsigned len, nh;

		if (eu_lpm_gen_next(lg, &p, &len))
			break;
		nh = eu_lpm_gen_hash(p, len, o->seed) % NNH;
		route.prefix = p;
		route.len = (__u8)len;
		route.via = nh_gw(nh);
		rc = fwd_router_route_add(rt, &route, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "europa-fwd: adding route %u: %s\n", g->npfx, err);
			return -1;
		}
		g->pfx[g->npfx] = p;
		g->plen[g->npfx] = (__u8)len;
		ref_add(ref, p, len, nh);
	}
	eu_lpm_gen_destroy(lg);
	if (!g->npfx) {
		fprintf(stderr, "europa-fwd: the generator made no prefix\n");
		return -1;
	}
	fprintf(stderr,
		"europa-fwd: libeuropa %s: table of %u prefixes (seed %" PRIu64
		") built in %.2f s\n",
		eu_version(), g->npfx, (uint64_t)o->seed, now_s() - tb);
	return 0;
}

static int embedded(const struct opts *o)
{
	struct fwd_router_opts ro = o->ro;
	struct fwd_router *rt;
	struct ref ref;
	struct gen g;
	struct eu_region_opts rgo;
	struct eu_region *reg;
	struct eu_sw sw;
	struct eu_vr vr;
	struct fwd_stats st;
	struct eu_txpkt pk[MAX_BURST];
	__u32 idx[MAX_BURST];
	struct sent *expect;
	__u64 wmask, next_seq = 0, want_seq = 0, bad = 0, mism = 0, fwd_ok = 0, icmp_seen = 0;
	__u64 exp_drop[FWD_DROP_COUNT] = {0}, exp_fwd = 0, last_fwd = 0, fwd_now = 0;
	__u64 busy = 0, vr_rx = 0, last_tick;
	double t0, t, tlast;
	unsigned i;

	for (i = 0; i < NPORTS; i++)
		memcpy(port_mac[i], (const unsigned char[6]){0x02, 0, 0, 0, 0, (unsigned char)i},
		       6);
	for (i = 0; i < NNH; i++) {
		nh_port[i] = 1 + i % (NPORTS - 1);
		memcpy(nh_mac[i], (const unsigned char[6]){0x02, 0, 0, 0, 1, (unsigned char)i}, 6);
	}

	eu_region_opts_default(&rgo);
	rgo.flags = EU_REGION_O_UNLINK;
	reg = eu_region_create("anon", &rgo);
	if (!reg || eu_sw_init(&sw, reg) || eu_vr_init(&vr, reg)) {
		fprintf(stderr, "europa-fwd: cannot set up the region: %s\n", eu_last_error());
		return 1;
	}
	ro.nports = NPORTS;
	rt = fwd_router_create(&vr, &ro);
	if (!rt) {
		fprintf(stderr, "europa-fwd: cannot create the router: %s\n", strerror(errno));
		return 1;
	}
	memset(&g, 0, sizeof(g));
	memset(&ref, 0, sizeof(ref));
	if (embedded_setup(rt, o, &g, &ref))
		return 1;
	/* outcomes of frames in flight: fewer than the slots, so a window of twice as many */
	for (wmask = 1; wmask < 2ULL * eu_region_header(reg)->nslots; wmask <<= 1)
		;
	expect = calloc(wmask, sizeof(*expect));
	wmask--;
	if (!expect) {
		fprintf(stderr, "europa-fwd: out of memory\n");
		return 1;
	}
	g.rng = o->seed * 0x9e3779b97f4a7c15ULL | 1;
	make_template(g.tmpl);
	last_tick = now_ns();
	fwd_router_tick(rt, last_tick); /* ports and neighbours take effect */

	t0 = tlast = now_s();
	for (;;) {
		__u32 n, m;
		int more = !stop && (!o->packets || next_seq < o->packets);
		__u64 tn = now_ns();

		t = now_s();
		if (t - t0 >= o->seconds)
			more = 0;
		if (tn - last_tick >= 1000000) {
			fwd_router_tick(rt, tn);
			last_tick = tn;
		}
		if (more) { /* switch rx: generate */
			n = o->burst;
			if (o->packets && o->packets - next_seq < n)
				n = (__u32)(o->packets - next_seq);
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

			n = eu_vr_rx_burst(&vr, idx, o->burst);
			if (n) {
				fwd_router_rx_burst(rt, idx, n);
				busy += rdtsc() - c0;
				vr_rx += n;
			}
		}
		/* switch tx: check what the VR sent */
		n = eu_sw_tx_burst(&sw, pk, o->burst);
		for (i = 0; i < n; i++) {
			const unsigned char *f = eu_sw_buf(&sw, pk[i].idx) + pk[i].off;
			__u64 seq;
			unsigned e;

			idx[i] = pk[i].idx;
			if (f[23] == 1 && pk[i].port == 0) { /* an ICMP error back to us */
				if (icmp_ok(f, pk[i].len)) {
					icmp_seen++;
				} else if (bad++ < 5) {
					fprintf(stderr,
						"europa-fwd: malformed ICMP from the router\n");
				}
				continue;
			}
			fwd_now++;
			memcpy(&seq, f + 42, sizeof(seq));
			for (;;) { /* frames before this one must have been dropped */
				e = want_seq < next_seq
					    ? expected(rt, &ref, &expect[want_seq & wmask],
						       want_seq, &mism)
					    : EXP_DROP;
				if (want_seq >= seq || want_seq >= next_seq || !(e & EXP_DROP))
					break;
				exp_drop[e & 0xff]++;
				want_seq++;
			}
			if (!(e & EXP_DROP))
				exp_fwd++;
			if (seq != want_seq || (e & EXP_DROP) || pk[i].port != nh_port[e] ||
			    memcmp(f, nh_mac[e], 6) || memcmp(f + 6, port_mac[nh_port[e]], 6) ||
			    f[14 + 8] != 63 || eu_ipv4_cksum(f + 14, 20) != 0 ||
			    pk[i].len != FRAME_LEN) {
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
		}
		eu_sw_free_burst(&sw, idx, n);
		if (!more && vr_rx == next_seq && !n)
			break;
		if (!more && t - t0 > o->seconds + 5) { /* bounded: never wait forever */
			fprintf(stderr, "europa-fwd: %" PRIu64 " frames did not reach the VR\n",
				(uint64_t)(next_seq - vr_rx));
			bad++;
			break;
		}
		if (!o->quiet && o->stats_interval > 0 && t - tlast >= o->stats_interval) {
			fwd_router_stats(rt, &st);
			fprintf(stderr, "  %5.1f s  %7.2f Mpps  fwd %" PRIu64 "  drops:", t - t0,
				(double)(fwd_now - last_fwd) / (t - tlast) / 1e6,
				(uint64_t)fwd_now);
			for (i = 0; i < FWD_DROP_COUNT; i++)
				if (st.drop[i])
					fprintf(stderr, " %s %" PRIu64, fwd_drop_name(i),
						(uint64_t)st.drop[i]);
			fprintf(stderr, "  %.1f cycles/frame\n",
				vr_rx ? (double)busy / (double)vr_rx : 0.0);
			last_fwd = fwd_now;
			tlast = t;
		}
	}
	t = now_s() - t0;
	for (; want_seq < next_seq; want_seq++) { /* the rest must have been dropped */
		unsigned e = expected(rt, &ref, &expect[want_seq & wmask], want_seq, &mism);

		if (e & EXP_DROP)
			exp_drop[e & 0xff]++;
		else
			exp_fwd++; /* lost */
	}
	fwd_router_tick(rt, now_ns());
	fwd_router_stats(rt, &st);

	printf("europa-fwd: %" PRIu64 " frames in, %" PRIu64 " forwarded in %.2f s: %.2f Mpps "
	       "forwarded, %.1f TSC cycles per frame in the VR's busy bursts (burst %u, %u "
	       "routes)\n",
	       (uint64_t)next_seq, (uint64_t)st.fwd, t, (double)st.fwd / t / 1e6,
	       vr_rx ? (double)busy / (double)vr_rx : 0.0, o->burst, g.npfx);
	printf("europa-fwd: drops:");
	for (i = 0; i < FWD_DROP_COUNT; i++) {
		if (!st.drop[i] && !exp_drop[i])
			continue;
		printf(" %s %" PRIu64, fwd_drop_name(i), (uint64_t)st.drop[i]);
		if (i != FWD_DROP_ICMP_RATE && st.drop[i] != exp_drop[i]) {
			printf(" (expected %" PRIu64 ")", (uint64_t)exp_drop[i]);
			bad++;
		}
	}
	for (i = 1; i < EU_IPV4_CHECK_COUNT; i++)
		if (st.hdr[i])
			printf(" [header %s %" PRIu64 "]", eu_ipv4_check_name((int)i),
			       (uint64_t)st.hdr[i]);
	printf("\n");
	printf("europa-fwd: icmp errors: %" PRIu64 " time exceeded, %" PRIu64 " unreachable "
	       "sent, %" PRIu64 " rate-limited; %" PRIu64 " received back well formed\n",
	       (uint64_t)st.icmp_ttl, (uint64_t)st.icmp_unreach,
	       (uint64_t)st.drop[FWD_DROP_ICMP_RATE], (uint64_t)icmp_seen);
	if (icmp_seen != st.icmp_ttl + st.icmp_unreach)
		bad++;
	if (fwd_ok != exp_fwd || st.fwd != exp_fwd)
		bad++;
	printf("europa-fwd: verify: %" PRIu64 " of %" PRIu64 " expected frames forwarded to the "
	       "right port and MACs (per-frame lookup), %" PRIu64 " router/reference "
	       "disagreements in a sample of %" PRIu64 ", %" PRIu64 " bad or lost\n",
	       (uint64_t)fwd_ok, (uint64_t)exp_fwd, (uint64_t)mism,
	       (uint64_t)((next_seq + SAMPLE_MASK) / (SAMPLE_MASK + 1)), (uint64_t)bad);
	fwd_router_destroy(rt);
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(reg);
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

/* ============================================================== router mode */

/* Open (or create) the TAP device `name` for punted traffic: an fd, or -1. */
static int tap_open(const char *name, unsigned char mac[6])
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr,
			"europa-fwd: --punt %s: /dev/net/tun: %s (load the tun module; "
			"root or CAP_NET_ADMIN is needed)\n",
			name, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (strlen(name) >= sizeof(ifr.ifr_name)) {
		fprintf(stderr,
			"europa-fwd: --punt %s: a device name has at most %zu "
			"characters\n",
			name, sizeof(ifr.ifr_name) - 1);
		close(fd);
		return -1;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr,
			"europa-fwd: --punt %s: TUNSETIFF: %s (root or CAP_NET_ADMIN "
			"is needed; the device must be a TAP if it exists)\n",
			name, strerror(errno));
		close(fd);
		return -1;
	}
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "europa-fwd: --punt %s: SIOCGIFHWADDR: %s\n", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return fd;
}

static void summary_text(struct fwd_router *rt, double secs)
{
	struct fwd_stats st;
	unsigned i;

	fwd_router_stats(rt, &st);
	printf("europa-fwd: %.2f s: rx %" PRIu64 " fwd %" PRIu64 " local %" PRIu64
	       " dropped %" PRIu64 ", %.1f busy cycles/frame\n",
	       secs, (uint64_t)st.rx, (uint64_t)st.fwd, (uint64_t)st.local,
	       (uint64_t)fwd_stats_dropped(&st), st.rx ? (double)st.busy_cycles / (double)st.rx : 0.0);
	if (st.switch_busy_cycles)
		printf("europa-fwd: and %.1f cycles/frame in the in-process switch (ports)\n",
		       st.rx ? (double)st.switch_busy_cycles / (double)st.rx : 0.0);
	for (i = 0; i < FWD_DROP_COUNT; i++)
		if (st.drop[i])
			printf("europa-fwd:   drop %-14s %" PRIu64 "\n", fwd_drop_name(i),
			       (uint64_t)st.drop[i]);
	for (i = 1; i < EU_IPV4_CHECK_COUNT; i++)
		if (st.hdr[i])
			printf("europa-fwd:   header %-12s %" PRIu64 "\n",
			       eu_ipv4_check_name((int)i), (uint64_t)st.hdr[i]);
	printf("europa-fwd: arp requests in %" PRIu64 " out %" PRIu64 ", replies in %" PRIu64
	       " out %" PRIu64 "; icmp echo %" PRIu64 " ttl %" PRIu64 " unreach %" PRIu64
	       " frag_needed %" PRIu64 "; fragments %" PRIu64 "; punted out %" PRIu64 " in %" PRIu64
	       "\n",
	       (uint64_t)st.arp_req_in, (uint64_t)st.arp_req_out, (uint64_t)st.arp_rep_in,
	       (uint64_t)st.arp_rep_out, (uint64_t)st.icmp_echo, (uint64_t)st.icmp_ttl,
	       (uint64_t)st.icmp_unreach, (uint64_t)st.icmp_frag_needed, (uint64_t)st.fragments,
	       (uint64_t)st.punted_out, (uint64_t)st.punted_in);
}

static int load_config(struct fwd_router *rt, const struct opts *o)
{
#ifdef FWD_HAVE_CTL
	unsigned i;
	int rc;

	for (i = 0; i < o->nconfig; i++) {
		rc = fwd_config_load(rt, o->config[i], stderr);
		if (rc < 0) {
			fprintf(stderr, "europa-fwd: --config %s: not loaded (see above)\n",
				o->config[i]);
			return -1;
		}
	}
	for (i = 0; i < o->nroute_files; i++) {
		FILE *f = fopen(o->route_files[i], "r");
		char line[1024], err[512];
		unsigned ln = 0;

		if (!f) {
			fprintf(stderr, "europa-fwd: --routes %s: %s\n", o->route_files[i],
				strerror(errno));
			return -1;
		}
		while (fgets(line, sizeof(line), f)) {
			struct eu_ipv4_route route;

			ln++;
			rc = eu_ipv4_route_parse(line, &route);
			if (rc == 0)
				continue;
			if (rc > 0)
				rc = fwd_router_route_add(rt, &route, err, sizeof(err));
			else
				snprintf(err, sizeof(err), "%s", eu_last_error());
			if (rc < 0) {
				fprintf(stderr, "europa-fwd: %s:%u: %s\n", o->route_files[i], ln,
					err);
				fclose(f);
				return -1;
			}
		}
		fclose(f);
	}
	for (i = 0; i < o->nimport; i++) {
		rc = fwd_routes_import(rt, o->import[i], stderr);
		if (rc < 0) {
			fprintf(stderr, "europa-fwd: --import %s: not imported (see above)\n",
				o->import[i]);
			return -1;
		}
	}
	return 0;
#else
	(void)rt;
	if (o->nconfig || o->nroute_files || o->nimport) {
		fprintf(stderr, "europa-fwd: built without ctl.c: --config, --routes and --import "
				"are not available\n");
		return -1;
	}
	return 0;
#endif
}

static int router_mode(const struct opts *o)
{
	struct eu_vr_open_opts vo;
	struct eu_switch_opts so;
	struct fwd_router_opts ro = o->ro;
	struct fwd_router *rt = NULL;
	struct eu_vr *vr;
	__u32 idx[MAX_BURST];
	__u64 t0, last_tick, last_busy, last_stats, last_alive, prev_rx = 0, prev_busy = 0;
	int gone = 0;
	int manual = strncmp(o->vr, "inproc:", 7) == 0, rc = 1, punt_fd = -1;
#ifdef FWD_HAVE_CTL
	struct fwd_ctl *ctl = NULL;
#endif

	eu_vr_open_opts_default(&vo);
	eu_switch_opts_default(&so);
	so.burst = o->burst;
	if (manual) {
		/* one thread plays switch and router: deterministic on pcap inputs */
		vo.flags |= EU_VR_OPEN_F_MANUAL;
		vo.sw = &so;
	}
	vr = eu_vr_open(o->vr, &vo);
	if (!vr) {
		fprintf(stderr, "europa-fwd: --vr %s: %s\n", o->vr, eu_last_error());
		return 1;
	}
	if (o->punt) {
		punt_fd = tap_open(o->punt, ro.punt_mac);
		if (punt_fd < 0)
			goto out;
	}
	ro.punt_fd = punt_fd;
	rt = fwd_router_create(vr, &ro);
	if (!rt) {
		fprintf(stderr,
			"europa-fwd: cannot create the router on %s (%u ports, at most %d): "
			"%s\n",
			o->vr, eu_vr_nports(vr), FWD_MAX_PORTS, strerror(errno));
		goto out;
	}
	if (load_config(rt, o))
		goto out;
#ifdef FWD_HAVE_CTL
	if (o->control) {
		ctl = fwd_ctl_start(rt, o->control);
		if (!ctl) {
			fprintf(stderr, "europa-fwd: --control %s: not started: %s\n", o->control,
				strerror(errno));
			goto out;
		}
	}
#else
	if (o->control) {
		fprintf(stderr, "europa-fwd: built without ctl.c: no --control\n");
		goto out;
	}
#endif
	eu_lpm_reader_register();
	t0 = last_tick = last_busy = last_stats = last_alive = now_ns();
	fwd_router_tick(rt, t0); /* the configuration takes effect before the first frame */
	if (!o->quiet)
		fprintf(stderr, "europa-fwd: routing on %s (%s switch, %u ports)\n", o->vr,
			eu_vr_switch_kind(vr), eu_vr_nports(vr));
	while (!stop) {
		__u64 now = now_ns();
		unsigned n;

		if (now - last_tick >= 1000000) {
			fwd_router_tick(rt, now);
			last_tick = now;
		}
		if (o->seconds > 0 && (double)(now - t0) >= o->seconds * 1e9)
			break;
		if (!o->quiet && o->stats_interval > 0 &&
		    (double)(now - last_stats) >= o->stats_interval * 1e9) {
			struct fwd_stats st;

			fwd_router_stats(rt, &st);
			fprintf(stderr,
				"  %7.1f s  rx %" PRIu64 "  fwd %" PRIu64 "  drops %" PRIu64
				"  %.3f Mpps  %.1f cycles/frame\n",
				(double)(now - t0) / 1e9, (uint64_t)st.rx, (uint64_t)st.fwd,
				(uint64_t)fwd_stats_dropped(&st),
				(double)(st.rx - prev_rx) / ((double)(now - last_stats) / 1e3),
				st.rx > prev_rx ? (double)(st.busy_cycles + st.switch_busy_cycles -
							   prev_busy) /
							  (double)(st.rx - prev_rx)
						: 0.0);
			prev_rx = st.rx;
			prev_busy = st.busy_cycles + st.switch_busy_cycles;
			last_stats = now;
		}
		if (now - last_alive >= 1000000000ULL) { /* europad still there? */
			last_alive = now;
			if (!eu_vr_switch_alive(vr)) {
				fprintf(stderr,
					"europa-fwd: the switch of %s went away (europad "
					"stopped?): stopping; start europa-fwd again once it "
					"is back\n",
					o->vr);
				gone = 1;
				break;
			}
		}
		if (manual) {
			__u64 c0 = rdtsc();

			if (eu_vr_poll(vr))
				fwd_router_account_switch(rt, rdtsc() - c0);
		}
		n = eu_vr_rx_burst(vr, idx, o->burst);
		if (n) {
			fwd_router_rx_burst(rt, idx, n);
			last_busy = now;
			continue;
		}
		if (o->exit_idle_ms && now - last_busy >= (__u64)o->exit_idle_ms * 1000000ULL)
			break;
		eu_vr_idle(vr, 1);
	}
	fwd_router_tick(rt, now_ns()); /* publish the last counters */
#ifdef FWD_HAVE_CTL
	if (o->stats_json) {
		fwd_exec(rt, "stats", stdout, FWD_FMT_JSON);
		fflush(stdout);
	} else
#endif
		summary_text(rt, (double)(now_ns() - t0) / 1e9);
	rc = gone;
out:
#ifdef FWD_HAVE_CTL
	fwd_ctl_stop(ctl);
#endif
	fwd_router_destroy(rt);
	eu_vr_close(vr); /* flushes the ports (pcap output) */
	if (punt_fd >= 0)
		close(punt_fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return o.vr ? router_mode(&o) : embedded(&o);
}
