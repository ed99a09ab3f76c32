/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conv-fwd - the conventional user-mode IPv4 router, the peer that EUROPA
 * (and europa-fwd) is measured against: every packet crosses the
 * user/kernel boundary by system call and is copied both ways.
 *
 * It does the per-packet work of europa-fwd's forwarding path on the same
 * forwarding table (europa/lpm.h, filled from the same ip(8)-style config):
 * IPv4 header check (eu_ipv4_check), martian source and destination, LPM
 * lookup, TTL check and decrement with the incremental checksum (RFC 1624),
 * MAC rewrite from a static neighbour, send on the egress port. It does not
 * answer ARP or ICMP and sends no ICMP errors: a frame it cannot forward is
 * dropped and counted by reason (give the hosts around it static neighbours
 * for its interfaces' MACs).
 *
 * Ports are AF_PACKET sockets (SOCK_RAW, ETH_P_IP, so the frames this
 * process sends do not come back to it), one per interface, in the order of
 * -i: p0, p1, ... Two ways to move frames:
 *
 *   --mode recvfrom  one recvfrom() per received frame, one sendto() per
 *                    forwarded frame: the classic socket router;
 *   --mode mmsg      recvmmsg() of up to --batch frames (default 32) per
 *                    port, then one sendmmsg() per egress port: its batched
 *                    twin.
 *
 * The loop makes passes over the ports: each pass receives from every port
 * (recvfrom: up to --batch frames one call each, until the socket is empty;
 * mmsg: one recvmmsg) and forwards what came. A pass that received at least
 * one frame is busy, and its TSC cycles, from the first receive call to the
 * last send, are added to busy_cycles: the same definition as europa-fwd's
 * counter (cycles spent on non-empty bursts; DPDK's telemetry calls them busy
 * cycles). When a pass finds nothing the process sleeps in poll() (or spins
 * with --busy-poll); those cycles are not counted.
 *
 * At exit (after --seconds, or on SIGINT/SIGTERM) it prints a summary, or
 * with --json one JSON object: rx, fwd, drops by reason, busy_cycles,
 * busy_cycles_per_pkt, system calls, the kernel's socket drops.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>
#include <europa/ipv4.h>
#include <europa/lpm.h>

#define BENCH_PROG "conv-fwd"
#include "bench_util.h"

#define MAX_PORTS  8
#define MAX_BATCH  256
#define FRAME_MAX  2048
#define MAX_NH     4096 /* distinct next hops (gateway, port) */
#define NEIGH_SIZE 4096 /* static neighbours, open addressing (power of two) */

static const char *prog = BENCH_PROG;

/* Drop reasons, counted apart; the names are the JSON keys. */
enum {
	D_RUNT = 0, /* shorter than Ethernet + IPv4 headers */
	D_NOT_IPV4, /* not IPv4 (the socket binds ETH_P_IP: VLAN-tagged, or odd) */
	D_HDR,      /* eu_ipv4_check() refused the header */
	D_MARTIAN_SRC,
	D_MARTIAN_DST,
	D_LOCAL, /* to one of our own addresses: not handled here */
	D_NO_ROUTE,
	D_BLACKHOLE, /* route of type blackhole, unreachable or prohibit */
	D_TTL,       /* TTL 0 or 1: would need ICMP time exceeded, not sent */
	D_NO_NEIGH,  /* connected destination without a static neighbour */
	D_TOO_BIG,   /* longer than the egress MTU */
	D_TX_FAIL,   /* the send call refused it (ENOBUFS, ...) */
	D_COUNT
};
static const char *const drop_name[D_COUNT] = {
	"runt",     "not_ipv4",  "header", "martian_src", "martian_dst", "local",
	"no_route", "blackhole", "ttl",    "no_neigh",    "too_big",     "tx_fail",
};

enum { NH_GW, NH_CONNECTED, NH_BLACKHOLE };

struct nexthop {
	__u32 gw; /* gateway (host order), 0 for connected */
	unsigned port;
	unsigned kind; /* NH_* */
	int has_mac;
	unsigned char mac[6];
};

struct neigh {
	__u32 addr; /* 0: empty */
	unsigned port;
	unsigned char mac[6];
};

struct port {
	char name[EU_IPV4_DEV_MAX]; /* p0, p1, ... */
	char ifname[IF_NAMESIZE];
	int fd, ifindex;
	unsigned mtu;
	unsigned char mac[6];
	__u32 addr; /* host order; 0: none */
	unsigned plen;
	struct sockaddr_ll sll; /* the egress address of sendto() */
	__u64 rx, tx, sock_drops;
};

struct stats {
	__u64 rx, fwd, drop[D_COUNT];
	__u64 busy_cycles, busy_passes;
	__u64 rx_calls, tx_calls;
	__u64 hdr[EU_IPV4_CHECK_COUNT];
};

static struct port ports[MAX_PORTS];
static unsigned nports;
static struct nexthop nh_tbl[MAX_NH];
static unsigned nnh;
static struct neigh neigh_tbl[NEIGH_SIZE];
static struct eu_lpm *lpm;
static struct stats st;
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

/* ------------------------------------------------------------ tables */

static unsigned neigh_slot(__u32 addr)
{
	return (addr * 2654435761U) >> 20 & (NEIGH_SIZE - 1);
}

static const struct neigh *neigh_find(__u32 addr)
{
	unsigned i = neigh_slot(addr), k;

	for (k = 0; k < NEIGH_SIZE; k++, i = (i + 1) & (NEIGH_SIZE - 1)) {
		if (neigh_tbl[i].addr == addr)
			return &neigh_tbl[i];
		if (!neigh_tbl[i].addr)
			return NULL;
	}
	return NULL;
}

static int neigh_set(__u32 addr, unsigned port, const unsigned char mac[6])
{
	unsigned i = neigh_slot(addr), k;

	for (k = 0; k < NEIGH_SIZE / 2; k++, i = (i + 1) & (NEIGH_SIZE - 1)) {
		if (!neigh_tbl[i].addr || neigh_tbl[i].addr == addr) {
			neigh_tbl[i].addr = addr;
			neigh_tbl[i].port = port;
			memcpy(neigh_tbl[i].mac, mac, 6);
			return 0;
		}
	}
	return -ENOSPC;
}

/* Next-hop id of (kind, gateway, port), made on first use. */
static int nh_get(unsigned kind, __u32 gw, unsigned port)
{
	unsigned i;

	for (i = 0; i < nnh; i++)
		if (nh_tbl[i].kind == kind && nh_tbl[i].gw == gw && nh_tbl[i].port == port)
			return (int)i;
	if (nnh == MAX_NH)
		return -ENOSPC;
	nh_tbl[nnh].kind = kind;
	nh_tbl[nnh].gw = gw;
	nh_tbl[nnh].port = port;
	return (int)nnh++;
}

static int port_find(const char *name)
{
	unsigned i;

	for (i = 0; i < nports; i++)
		if (!strcmp(ports[i].name, name) || !strcmp(ports[i].ifname, name))
			return (int)i;
	return -1;
}

/* The port whose connected prefix holds addr, or -1. */
static int port_on_link(__u32 addr)
{
	unsigned i;

	for (i = 0; i < nports; i++)
		if (ports[i].addr && !((addr ^ ports[i].addr) & eu_ipv4_mask(ports[i].plen)))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ configuration */

static void cfg_die(const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void cfg_die(const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%u: ", prog, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void cfg_route(const char *file, unsigned ln, const char *text)
{
	struct eu_ipv4_route rt;
	char b[EU_IPV4_ADDR_STRLEN];
	int port = -1, nh, r;

	r = eu_ipv4_route_parse(text, &rt);
	if (r < 0)
		cfg_die(file, ln, "%s", eu_last_error());
	if (r == 0)
		return;
	if (rt.type == EU_IPV4_RT_LOCAL)
		return; /* local/broadcast routes of `ip route show table all`: not forwarded */
	if (rt.dev[0]) {
		port = port_find(rt.dev);
		if (port < 0)
			cfg_die(file, ln,
				"no port \"%s\": ports are p0..p%u (or their interface names)",
				rt.dev, nports - 1);
	} else if (rt.has_via) {
		port = port_on_link(rt.via);
	}
	if (rt.type != EU_IPV4_RT_UNICAST)
		nh = nh_get(NH_BLACKHOLE, 0, 0);
	else if (port < 0)
		cfg_die(file, ln,
			"route to %s/%u: gateway %s is on no port's subnet: give \"dev pN\"",
			eu_ipv4_format(rt.prefix, b), rt.len,
			rt.has_via ? eu_ipv4_format(rt.via, b) : "(none)");
	else
		nh = nh_get(rt.has_via ? NH_GW : NH_CONNECTED, rt.has_via ? rt.via : 0,
			    (unsigned)port);
	if (nh < 0)
		cfg_die(file, ln, "more than %d distinct next hops", MAX_NH);
	r = eu_lpm_add(lpm, rt.prefix, rt.len, (__u32)nh);
	if (r < 0)
		cfg_die(file, ln, "route %s/%u: %s", eu_ipv4_format(rt.prefix, b), rt.len,
			eu_last_error());
}

/*
 * Read an ip(8)-style config: "addr add A/L dev D", "route add|replace ROUTE",
 * "neigh add|replace A lladdr M dev D", "link ..." (ignored), and bare route
 * lines as `ip -4 route show` or eu-mktable print them. "#" starts a comment.
 */
static void cfg_load(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char line[1024];
	unsigned ln = 0;

	if (!f)
		die("cannot open config %s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *h = strchr(line, '#'), w[4][64];
		int nw;

		ln++;
		if (h)
			*h = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			continue;
		memset(w, 0, sizeof(w));
		nw = sscanf(p, "%63s %63s %63s %63s", w[0], w[1], w[2], w[3]);
		if (!strcmp(w[0], "link"))
			continue;
		if (!strcmp(w[0], "route")) {
			if (nw < 3 || (strcmp(w[1], "add") && strcmp(w[1], "replace")))
				cfg_die(file, ln, "expected \"route add ROUTE\"");
			cfg_route(file, ln, strstr(p, w[1]) + strlen(w[1]));
		} else if (!strcmp(w[0], "addr") || !strcmp(w[0], "address")) {
			char dev[64] = "";
			__u32 a;
			unsigned l;
			int port;

			if (sscanf(p, "%*s add %63s dev %63s", w[2], dev) != 2)
				cfg_die(file, ln, "expected \"addr add A.B.C.D/LEN dev pN\"");
			port = port_find(dev);
			if (port < 0)
				cfg_die(file, ln, "no port \"%s\"", dev);
			{
				char *s = strchr(w[2], '/');
				int r;

				if (!s)
					cfg_die(file, ln, "give the prefix length: %s/24", w[2]);
				*s = 0;
				r = eu_ipv4_parse_addr(w[2], &a);
				l = (unsigned)atoi(s + 1);
				if (r < 0 || l > 32)
					cfg_die(file, ln, "bad address %s/%s", w[2], s + 1);
			}
			ports[port].addr = a;
			ports[port].plen = l;
			{
				char rl[128], b[EU_IPV4_ADDR_STRLEN];

				snprintf(rl, sizeof(rl), "%s/%u dev %s",
					 eu_ipv4_format(a & eu_ipv4_mask(l), b), l,
					 ports[port].name);
				cfg_route(file, ln, rl);
			}
		} else if (!strcmp(w[0], "neigh") || !strcmp(w[0], "neighbor")) {
			char ip[64], mac[64], dev[64];
			unsigned char m[6];
			__u32 a;
			int port;

			if (sscanf(p, "%*s %*s %63s lladdr %63s dev %63s", ip, mac, dev) != 3)
				cfg_die(file, ln,
					"expected \"neigh add A.B.C.D lladdr MAC dev pN\"");
			if (eu_ipv4_parse_addr(ip, &a) < 0)
				cfg_die(file, ln, "%s", eu_last_error());
			if (eu_ether_parse_mac(mac, m, NULL) < 0)
				cfg_die(file, ln, "bad MAC %s (want xx:xx:xx:xx:xx:xx)", mac);
			port = port_find(dev);
			if (port < 0)
				cfg_die(file, ln, "no port \"%s\"", dev);
			if (neigh_set(a, (unsigned)port, m))
				cfg_die(file, ln, "more than %d neighbours", NEIGH_SIZE / 2);
		} else {
			cfg_route(file, ln, p);
		}
	}
	if (f != stdin)
		fclose(f);
}

/* Give every gateway next hop its neighbour's MAC; refuse a gateway with none. */
static void nh_resolve(void)
{
	unsigned i;

	for (i = 0; i < nnh; i++) {
		const struct neigh *n;
		char b[EU_IPV4_ADDR_STRLEN];

		if (nh_tbl[i].kind != NH_GW)
			continue;
		n = neigh_find(nh_tbl[i].gw);
		if (!n)
			die("gateway %s has no neighbour entry: add \"neigh add %s lladdr MAC dev "
			    "%s\" "
			    "(conv-fwd does not resolve by ARP)",
			    eu_ipv4_format(nh_tbl[i].gw, b), b, ports[nh_tbl[i].port].name);
		memcpy(nh_tbl[i].mac, n->mac, 6);
		nh_tbl[i].has_mac = 1;
	}
}

/* ------------------------------------------------------------ ports */

static void port_open(struct port *p, const char *ifname, unsigned idx)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int one = 1;

	snprintf(p->name, sizeof(p->name), "p%u", idx);
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	/* ETH_P_IP, not ETH_P_ALL: our own transmissions are not looped back to us */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_IP));
	if (p->fd < 0)
		die("AF_PACKET socket: %s (needs CAP_NET_RAW: run as root)", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(p->fd, SIOCGIFINDEX, &ifr) < 0)
		die("no interface %s in this network namespace: %s", ifname, strerror(errno));
	p->ifindex = ifr.ifr_ifindex;
	if (ioctl(p->fd, SIOCGIFHWADDR, &ifr) < 0)
		die("%s: cannot read its MAC: %s", ifname, strerror(errno));
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	p->mtu = 1500;
	if (ioctl(p->fd, SIOCGIFMTU, &ifr) == 0)
		p->mtu = (unsigned)ifr.ifr_mtu;
	/* harmless where ETH_P_IP already keeps them away; Linux >= 4.20 */
	setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind to %s: %s", ifname, strerror(errno));
	p->sll = sll;
	p->sll.sll_halen = 6;
}

static void port_sock_drops(struct port *p)
{
	struct tpacket_stats ts;
	socklen_t l = sizeof(ts);

	/* the kernel zeroes these on read: keep the sum */
	if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &l) == 0)
		p->sock_drops += ts.tp_drops;
}

/* ------------------------------------------------------------ the forwarding path */

/*
 * Route one frame in place. Returns the egress port and sets *out_len (the
 * frame trimmed to the datagram), or -1 with the drop counted.
 */
static inline int route_frame(unsigned char *fr, unsigned len, unsigned *out_len)
{
	struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(fr + 14);
	const struct nexthop *nh;
	const unsigned char *dmac;
	__u32 dst, id;
	int r;

	if (eu_unlikely(len < 14 + EU_IPV4_HDR_MIN)) {
		st.drop[D_RUNT]++;
		return -1;
	}
	if (eu_unlikely(fr[12] != 0x08 || fr[13] != 0x00)) {
		st.drop[D_NOT_IPV4]++;
		return -1;
	}
	r = eu_ipv4_check(ip, len - 14);
	if (eu_unlikely(r != EU_IPV4_OK)) {
		st.drop[D_HDR]++;
		st.hdr[r]++;
		return -1;
	}
	if (eu_unlikely(eu_ipv4_martian_src(eu_ipv4_saddr(ip)))) {
		st.drop[D_MARTIAN_SRC]++;
		return -1;
	}
	dst = eu_ipv4_daddr(ip);
	if (eu_unlikely(eu_ipv4_martian_dst(dst))) {
		st.drop[D_MARTIAN_DST]++;
		return -1;
	}
	id = eu_lpm_lookup(lpm, dst);
	if (eu_unlikely(id == EU_LPM_MISS)) {
		st.drop[D_NO_ROUTE]++;
		return -1;
	}
	nh = &nh_tbl[id];
	if (eu_unlikely(nh->kind == NH_BLACKHOLE)) {
		st.drop[D_BLACKHOLE]++;
		return -1;
	}
	if (eu_unlikely(ip->ttl <= 1)) {
		st.drop[D_TTL]++;
		return -1;
	}
	if (nh->kind == NH_GW) {
		dmac = nh->mac;
	} else {
		const struct neigh *n;

		if (eu_unlikely(dst == ports[nh->port].addr)) {
			st.drop[D_LOCAL]++;
			return -1;
		}
		n = neigh_find(dst);
		if (eu_unlikely(!n)) {
			st.drop[D_NO_NEIGH]++;
			return -1;
		}
		dmac = n->mac;
	}
	if (eu_unlikely(eu_ipv4_tot_len(ip) > ports[nh->port].mtu)) {
		st.drop[D_TOO_BIG]++;
		return -1;
	}
	eu_ipv4_ttl_dec(ip);
	memcpy(fr, dmac, 6);
	memcpy(fr + 6, ports[nh->port].mac, 6);
	*out_len = 14 + eu_ipv4_tot_len(ip);
	return (int)nh->port;
}

static unsigned char frames[MAX_BATCH][FRAME_MAX];

/* One pass, one recvfrom()/sendto() per frame. Returns the frames received. */
static unsigned pass_recvfrom(unsigned batch)
{
	unsigned i, got = 0;

	for (i = 0; i < nports; i++) {
		struct port *p = &ports[i];
		unsigned k;

		for (k = 0; k < batch; k++) {
			unsigned char *fr = frames[0];
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			unsigned out_len;
			ssize_t n;
			int e;

			n = recvfrom(p->fd, fr, FRAME_MAX, 0, (struct sockaddr *)&from, &fl);
			st.rx_calls++;
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR && errno != ENETDOWN)
					die("recvfrom on %s: %s", p->ifname, strerror(errno));
				break;
			}
			got++;
			p->rx++;
			e = route_frame(fr, (unsigned)n, &out_len);
			if (e < 0)
				continue;
			st.tx_calls++;
			if (sendto(ports[e].fd, fr, out_len, 0, (struct sockaddr *)&ports[e].sll,
				   sizeof(ports[e].sll)) < 0) {
				st.drop[D_TX_FAIL]++;
				continue;
			}
			ports[e].tx++;
			st.fwd++;
		}
	}
	return got;
}

/* One pass, one recvmmsg() per port and one sendmmsg() per egress port. */
static unsigned pass_mmsg(unsigned batch)
{
	static struct mmsghdr rm[MAX_BATCH], sm[MAX_PORTS][MAX_BATCH];
	static struct iovec riov[MAX_BATCH], siov[MAX_PORTS][MAX_BATCH];
	static int init;
	unsigned i, got = 0;

	if (!init) {
		for (i = 0; i < MAX_BATCH; i++) {
			riov[i].iov_base = frames[i];
			riov[i].iov_len = FRAME_MAX;
			rm[i].msg_hdr.msg_iov = &riov[i];
			rm[i].msg_hdr.msg_iovlen = 1;
		}
		init = 1;
	}
	for (i = 0; i < nports; i++) {
		struct port *p = &ports[i];
		unsigned ns[MAX_PORTS] = {0}, k, e;
		int n;

		n = recvmmsg(p->fd, rm, batch, 0, NULL);
		st.rx_calls++;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR && errno != ENETDOWN)
				die("recvmmsg on %s: %s", p->ifname, strerror(errno));
			continue;
		}
		got += (unsigned)n;
		p->rx += (unsigned)n;
		for (k = 0; k < (unsigned)n; k++) {
			unsigned out_len, j;
			int eg = route_frame(frames[k], rm[k].msg_len, &out_len);

			if (eg < 0)
				continue;
			j = ns[eg]++;
			siov[eg][j].iov_base = frames[k];
			siov[eg][j].iov_len = out_len;
			sm[eg][j].msg_hdr.msg_iov = &siov[eg][j];
			sm[eg][j].msg_hdr.msg_iovlen = 1;
			sm[eg][j].msg_hdr.msg_name = &ports[eg].sll;
			sm[eg][j].msg_hdr.msg_namelen = sizeof(ports[eg].sll);
		}
		for (e = 0; e < nports; e++) {
			unsigned done = 0;

			/* a short count means the rest did not go: retry once, then drop */
			for (k = 0; k < 2 && done < ns[e]; k++) {
				int s = sendmmsg(ports[e].fd, sm[e] + done, ns[e] - done, 0);

				st.tx_calls++;
				if (s <= 0)
					break;
				done += (unsigned)s;
			}
			ports[e].tx += done;
			st.fwd += done;
			st.drop[D_TX_FAIL] += ns[e] - done;
		}
	}
	return got;
}

/* ------------------------------------------------------------ output */

static void print_json(const char *mode, double secs, double hz)
{
	unsigned i;
	__u64 drops = 0;

	for (i = 0; i < D_COUNT; i++)
		drops += st.drop[i];
	printf("{\"forwarder\":\"conv-fwd\",\"mode\":\"%s\",\"seconds\":%.3f,\"tsc_hz\":%.0f,"
	       "\"rx\":%" PRIu64 ",\"fwd\":%" PRIu64 ",\"drops\":%" PRIu64 ",\"drop\":{",
	       mode, secs, hz, (uint64_t)st.rx, (uint64_t)st.fwd, (uint64_t)drops);
	for (i = 0; i < D_COUNT; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", drop_name[i], (uint64_t)st.drop[i]);
	printf("},\"busy_cycles\":%" PRIu64 ",\"busy_passes\":%" PRIu64
	       ",\"busy_cycles_per_pkt\":%.1f,\"rx_calls\":%" PRIu64 ",\"tx_calls\":%" PRIu64
	       ",\"ports\":[",
	       (uint64_t)st.busy_cycles, (uint64_t)st.busy_passes,
	       st.fwd ? (double)st.busy_cycles / (double)st.fwd : 0.0, (uint64_t)st.rx_calls,
	       (uint64_t)st.tx_calls);
	for (i = 0; i < nports; i++)
		printf("%s{\"name\":\"%s\",\"if\":\"%s\",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64
		       ",\"sock_drops\":%" PRIu64 "}",
		       i ? "," : "", ports[i].name, ports[i].ifname, (uint64_t)ports[i].rx,
		       (uint64_t)ports[i].tx, (uint64_t)ports[i].sock_drops);
	printf("]}\n");
}

static void print_text(const char *mode, double secs, double hz)
{
	unsigned i;

	printf("conv-fwd (%s): %.2f s, rx %" PRIu64 ", forwarded %" PRIu64 " (%.0f pps), "
	       "busy cycles per forwarded packet %.0f (TSC %.0f MHz), %.2f system calls "
	       "per packet\n",
	       mode, secs, (uint64_t)st.rx, (uint64_t)st.fwd, secs > 0 ? (double)st.fwd / secs : 0,
	       st.fwd ? (double)st.busy_cycles / (double)st.fwd : 0.0, hz / 1e6,
	       st.rx ? (double)(st.rx_calls + st.tx_calls) / (double)st.rx : 0.0);
	printf("  drops:");
	for (i = 0; i < D_COUNT; i++)
		if (st.drop[i])
			printf(" %s %" PRIu64, drop_name[i], (uint64_t)st.drop[i]);
	printf("\n");
	for (i = 0; i < nports; i++)
		printf("  %s (%s): rx %" PRIu64 ", tx %" PRIu64 ", dropped by the kernel at the "
		       "socket %" PRIu64 "\n",
		       ports[i].name, ports[i].ifname, (uint64_t)ports[i].rx, (uint64_t)ports[i].tx,
		       (uint64_t)ports[i].sock_drops);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s --mode recvfrom|mmsg -i IF0 -i IF1 [-i ...] -c CONFIG [options]\n"
		"\n"
		"The conventional user-mode IPv4 router (one system call per frame, or one per\n"
		"batch with --mode mmsg) over AF_PACKET sockets: the peer of europa-fwd in\n"
		"bench/fwd-veth.sh. Same forwarding work and table, no ARP, no ICMP.\n"
		"\n"
		"  -m, --mode M        recvfrom (one recvfrom + one sendto per frame) or mmsg\n"
		"                      (recvmmsg/sendmmsg batches)\n"
		"  -i, --if IF         an interface; the first is port p0, the next p1, ...\n"
		"  -c, --config FILE   ip(8)-style lines: addr add A/L dev pN, route add ROUTE,\n"
		"                      neigh add A lladdr MAC dev pN, bare `ip route` lines\n"
		"  -b, --batch N       frames per receive pass and port (default 32, max %d)\n"
		"  -s, --seconds N     stop after N seconds (default 0: at SIGINT/SIGTERM)\n"
		"  -j, --json          print the summary as one JSON object (also --stats-json)\n"
		"      --rcvbuf BYTES  socket receive buffer (default: the kernel's, as a plain\n"
		"                      forwarder has; the tests enlarge it against scheduling "
		"noise)\n"
		"      --busy-poll     spin when idle instead of sleeping in poll()\n"
		"      --tsc           print the TSC frequency (Hz, measured over 100 ms), exit\n"
		"      --quick         alone (as `./dev.sh bench --quick` runs it): say what\n"
		"                      runs this peer, and exit 0\n"
		"  -h, --help\n",
		prog, MAX_BATCH);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"mode", required_argument, NULL, 'm'},
		{"if", required_argument, NULL, 'i'},
		{"config", required_argument, NULL, 'c'},
		{"batch", required_argument, NULL, 'b'},
		{"seconds", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"stats-json", no_argument, NULL, 'j'},
		{"busy-poll", no_argument, NULL, 'B'},
		{"quick", no_argument, NULL, 'Q'},
		{"tsc", no_argument, NULL, 'T'},
		{"rcvbuf", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *mode = NULL, *ifs[MAX_PORTS], *cfg = NULL;
	unsigned nifs = 0, batch = 32, i;
	int json = 0, busy_poll = 0, quick = 0, rcvbuf = 0, mmsg, o;
	double secs = 0, hz, t0, t1;
	__u64 deadline = 0;
	struct sigaction sa;
	struct pollfd pfd[MAX_PORTS];

	while ((o = getopt_long(argc, argv, "m:i:c:b:s:jh", lo, NULL)) != -1) {
		switch (o) {
		case 'm':
			mode = optarg;
			break;
		case 'i':
			if (nifs == MAX_PORTS)
				die("at most %d interfaces", MAX_PORTS);
			ifs[nifs++] = optarg;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'b':
			batch = (unsigned)atoi(optarg);
			if (batch < 1 || batch > MAX_BATCH)
				die("--batch must be 1..%d", MAX_BATCH);
			break;
		case 's':
			secs = atof(optarg);
			if (secs < 0)
				die("--seconds must be >= 0");
			break;
		case 'j':
			json = 1;
			break;
		case 'B':
			busy_poll = 1;
			break;
		case 'Q':
			quick = 1;
			break;
		case 'r':
			rcvbuf = atoi(optarg);
			if (rcvbuf <= 0)
				die("--rcvbuf wants a size in bytes");
			break;
		case 'T':
			printf("%.0f\n", tsc_hz());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc == 1 || (quick && !mode && !nifs)) {
		/* `./dev.sh bench [--quick]` runs every bench program: this one is a peer */
		printf("%s: the conventional forwarder is a peer that bench/fwd-veth.sh runs "
		       "(as root) beside europa-fwd and kernel forwarding; nothing to do alone\n",
		       prog);
		return 0;
	}
	if (!mode || (strcmp(mode, "recvfrom") && strcmp(mode, "mmsg"))) {
		fprintf(stderr, "%s: give --mode recvfrom or --mode mmsg\n", prog);
		usage(stderr);
		return 2;
	}
	mmsg = !strcmp(mode, "mmsg");
	if (nifs < 1 || !cfg) {
		fprintf(stderr,
			"%s: give the interfaces (-i IF, p0 first) and a config (-c FILE)\n", prog);
		usage(stderr);
		return 2;
	}
	lpm = eu_lpm_create(NULL);
	if (!lpm)
		die("cannot create the forwarding table: %s", eu_last_error());
	for (i = 0; i < nifs; i++) {
		port_open(&ports[i], ifs[i], i);
		if (rcvbuf && setsockopt(ports[i].fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
					 sizeof(rcvbuf)) < 0)
			die("--rcvbuf: %s (SO_RCVBUFFORCE needs CAP_NET_ADMIN)", strerror(errno));
	}
	nports = nifs;
	cfg_load(cfg);
	nh_resolve();
	for (i = 0; i < nports; i++) {
		port_sock_drops(&ports[i]); /* start from zero */
		ports[i].sock_drops = 0;
		pfd[i].fd = ports[i].fd;
		pfd[i].events = POLLIN;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	hz = tsc_hz();
	eu_lpm_reader_register();
	t0 = now_s();
	if (secs > 0)
		deadline = rdtsc() + (__u64)(secs * hz);
	while (!stop) {
		__u64 c0 = rdtsc(), c1;
		unsigned got;

		eu_lpm_read_lock();
		got = mmsg ? pass_mmsg(batch) : pass_recvfrom(batch);
		eu_lpm_read_unlock();
		c1 = rdtsc();
		if (got) {
			st.rx += got;
			st.busy_cycles += c1 - c0;
			st.busy_passes++;
		}
		if (deadline && c1 >= deadline)
			break;
		if (!got && !busy_poll)
			poll(pfd, nports, 100);
	}
	t1 = now_s();
	for (i = 0; i < nports; i++)
		port_sock_drops(&ports[i]);
	if (json)
		print_json(mode, t1 - t0, hz);
	else
		print_text(mode, t1 - t0, hz);
	fflush(stdout);
	eu_lpm_destroy(lpm);
	return 0;
}
