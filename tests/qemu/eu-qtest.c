/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-qtest - the guest side of the QEMU harness for europa.ko.
 *
 *   eu-qtest info                       module-wide counters (key=value)
 *   eu-qtest check-api PORT0 PORT1      ioctl/mmap/validation checks
 *   eu-qtest fwd SPEC ROUTE...          a VR forwarding IPv4 in place on the
 *                                       kernel switch (until SIGTERM)
 *   eu-qtest hostile SPEC SECONDS SEED [linger]
 *                                       a VR that writes garbage everywhere;
 *                                       with linger it then stays, quiet,
 *                                       until SIGTERM (for europactl)
 *   eu-qtest sockfwd MAC IF0 IF1 ROUTE... one recvfrom + one sendto per packet
 *                                       (AF_PACKET), same forwarding
 *   eu-qtest ctl TIMEOUT COMMAND...     ask the host peer (qnet.h) for a job
 *
 * ROUTE is NET/LEN@PORT=NEXTHOPMAC, e.g. 198.19.0.0/16@1=02:ee:00:00:0b:02.
 * fwd and hostile print "READY" once attached, and their counters as
 * key=value lines when they stop. Exit status 0 means every check passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>
#include <europa/kdev.h>

#include "qnet.h"

#define BURST 64
#define MAX_ROUTES 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok: " __VA_ARGS__);                                                \
		} else {                                                                           \
			printf("FAIL: " __VA_ARGS__);                                              \
			failures++;                                                                \
		}                                                                                  \
		printf("\n");                                                                      \
	} while (0)

/* ------------------------------------------------------------- forwarding */

struct route {
	uint32_t net;
	uint32_t mask;
	uint16_t port;
	uint8_t nh[6];
};

struct fwd {
	struct route rt[MAX_ROUTES];
	int nrt;
	uint8_t mac[6];
	uint64_t fwd, drop_notip, drop_noroute, drop_ttl;
};

static int parse_route(const char *s, struct route *r)
{
	unsigned int a, b, c, d, len, port;
	int n = 0;

	if (sscanf(s, "%u.%u.%u.%u/%u@%u=%n", &a, &b, &c, &d, &len, &port, &n) != 6 || !n ||
	    len > 32 || a > 255 || b > 255 || c > 255 || d > 255 ||
	    q_parse_mac(s + n, r->nh))
		return -1;
	r->mask = len ? 0xffffffffU << (32 - len) : 0;
	r->net = Q_IP(a, b, c, d) & r->mask;
	r->port = (uint16_t)port;
	return 0;
}

static int parse_routes(struct fwd *f, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (f->nrt == MAX_ROUTES || parse_route(argv[i], &f->rt[f->nrt])) {
			fprintf(stderr, "bad route \"%s\" (NET/LEN@PORT=MAC)\n", argv[i]);
			return -1;
		}
		f->nrt++;
	}
	return 0;
}

/*
 * Forward one frame in place: IPv4 (one 802.1Q tag allowed), longest prefix
 * match, next-hop and our MAC, TTL - 1 with an incremental checksum
 * (RFC 1624). Returns the egress port, or -1 to drop.
 */
static int forward_frame(struct fwd *f, uint8_t *fr, size_t len)
{
	uint16_t type, vlan;
	int l3 = q_l3(fr, len, &type, &vlan), i, best = -1;
	uint32_t dst, sum;
	uint8_t *ip;

	if (l3 < 0 || type != 0x0800 || len < (size_t)l3 + 20 || (fr[l3] >> 4) != 4) {
		f->drop_notip++;
		return -1;
	}
	ip = fr + l3;
	if (ip[8] <= 1) {
		f->drop_ttl++;
		return -1;
	}
	dst = q_get32(ip + 16);
	for (i = 0; i < f->nrt; i++)
		if ((dst & f->rt[i].mask) == f->rt[i].net &&
		    (best < 0 || f->rt[i].mask > f->rt[best].mask))
			best = i;
	if (best < 0) {
		f->drop_noroute++;
		return -1;
	}
	memcpy(fr, f->rt[best].nh, 6);
	memcpy(fr + 6, f->mac, 6);
	ip[8]--;
	sum = (uint32_t)q_get16(ip + 10) + 0x0100;
	sum = (sum & 0xffff) + (sum >> 16);
	q_put16(ip + 10, (uint16_t)sum);
	f->fwd++;
	return f->rt[best].port;
}

static void print_kstats(const char *who, const struct eu_kdev_stats *st)
{
	printf("%s rx_pkts=%llu tx_pkts=%llu rx_nofree=%llu rx_ringfull=%llu rx_toobig=%llu "
	       "tx_err=%llu tx_kicks=%llu tx_sleeps=%llu rx_wakeups=%llu bad_idx=%llu "
	       "bad_owner=%llu bad_state=%llu bad_len=%llu bad_port=%llu bad_ring=%llu "
	       "sw_free=%u sw_busy=%u nslots=%u tx_direct=%llu tx_thread=%llu tx_busy=%llu vr_id=%u "
	       "tx_rxpath=%llu tx_deferred=%llu rx_gso=%llu\n",
	       who, (unsigned long long)st->rx_pkts, (unsigned long long)st->tx_pkts,
	       (unsigned long long)st->rx_nofree, (unsigned long long)st->rx_ringfull,
	       (unsigned long long)st->rx_toobig, (unsigned long long)st->tx_err,
	       (unsigned long long)st->tx_kicks, (unsigned long long)st->tx_sleeps,
	       (unsigned long long)st->rx_wakeups, (unsigned long long)st->bad[EU_KDEV_BAD_IDX],
	       (unsigned long long)st->bad[EU_KDEV_BAD_OWNER],
	       (unsigned long long)st->bad[EU_KDEV_BAD_STATE],
	       (unsigned long long)st->bad[EU_KDEV_BAD_TX_LEN],
	       (unsigned long long)st->bad[EU_KDEV_BAD_PORT],
	       (unsigned long long)st->bad[EU_KDEV_BAD_RING], st->sw_free, st->sw_busy,
	       st->nslots, (unsigned long long)st->tx_direct, (unsigned long long)st->tx_thread,
	       (unsigned long long)st->tx_busy, st->vr_id, (unsigned long long)st->tx_rxpath,
	       (unsigned long long)st->tx_deferred, (unsigned long long)st->rx_gso);
}

static const char *spec_mac(const char *spec, uint8_t mac[6])
{
	const char *m = strstr(spec, "mac=");

	if (!m || q_parse_mac(m + 4, mac))
		return NULL;
	return m;
}

/* The VR: receive a burst, forward each frame in place, transmit the burst. */
static int cmd_fwd(int argc, char **argv)
{
	struct fwd f;
	struct eu_region *r;
	struct eu_vr vr;
	struct eu_poller po;
	struct eu_kdev_stats st;
	struct eu_audit au;
	__u32 idx[BURST], out[BURST], drop[BURST];
	uint64_t rx = 0, tx = 0, dropped = 0;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: fwd SPEC ROUTE...\n");
		return 2;
	}
	memset(&f, 0, sizeof(f));
	if (!spec_mac(argv[0], f.mac) || parse_routes(&f, argc - 1, argv + 1))
		return 2;
	r = eu_kdev_attach(argv[0]);
	if (!r) {
		fprintf(stderr, "fwd: %s\n", eu_last_error());
		return 1;
	}
	err = eu_vr_init(&vr, r);
	if (!err) {
		/* EUQ_POLL=SPIN,YIELD: the poller's empty polls before it sleeps */
		struct eu_poll_opts po_opts = { .size = sizeof(po_opts), .spin = 512, .yield = 64 };
		const char *pe = getenv("EUQ_POLL");

		if (pe && sscanf(pe, "%u,%u", &po_opts.spin, &po_opts.yield) != 2) {
			fprintf(stderr, "fwd: EUQ_POLL=%s is not SPIN,YIELD\n", pe);
			return 2;
		}
		err = eu_poller_init(&po, r, EU_RING_RX, &po_opts);
	}
	if (err) {
		fprintf(stderr, "fwd: %s\n", eu_last_error());
		return 1;
	}
	catch_signals();
	/* a pure forwarder keeps nothing: every free slot goes to the switch */
	eu_vr_fill(&vr, vr.cache.count);
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		__u32 n = eu_vr_rx_burst(&vr, idx, BURST), i, nout = 0, ndrop = 0, sent;

		if (!n) {
			if (eu_vr_reap(&vr) || vr.cache.count)
				eu_vr_fill(&vr, vr.cache.count);
			eu_poller_idle(&po, &vr.rx, 200);
			continue;
		}
		eu_poller_busy(&po);
		rx += n;
		for (i = 0; i < n; i++) {
			struct eu_desc *d = eu_vr_desc(&vr, idx[i]);
			int port = forward_frame(&f, eu_vr_data(&vr, idx[i]), d->len);

			if (port < 0) {
				drop[ndrop++] = idx[i];
			} else {
				d->port = (__u16)port;
				out[nout++] = idx[i];
			}
		}
		sent = 0;
		while (sent < nout && !stop) {
			__u32 m = eu_vr_tx_burst(&vr, out + sent, nout - sent);

			sent += m;
			if (!m)
				sched_yield();
		}
		if (sent < nout)
			eu_vr_free_burst(&vr, out + sent, nout - sent);
		tx += sent;
		if (ndrop) {
			eu_vr_free_burst(&vr, drop, ndrop);
			dropped += ndrop;
		}
		/* slots the switch handed back on the comp ring: give them back to receive into */
		eu_vr_reap(&vr);
		if (vr.cache.count)
			eu_vr_fill(&vr, vr.cache.count);
	}
	eu_kdev_read_stats(r, &st);
	eu_region_audit(r, &au);
	printf("FWD rx=%llu tx=%llu dropped=%llu notip=%llu noroute=%llu ttl=%llu\n",
	       (unsigned long long)rx, (unsigned long long)tx, (unsigned long long)dropped,
	       (unsigned long long)f.drop_notip, (unsigned long long)f.drop_noroute,
	       (unsigned long long)f.drop_ttl);
	print_kstats("KSTATS", &st);
	printf("AUDIT total=%u vr_owned=%u sw_owned=%u in_flight=%u\n", au.total,
	       au.owned[EU_SIDE_VR], au.owned[EU_SIDE_SWITCH], au.in_flight);
	fflush(stdout);
	eu_vr_fini(&vr);
	eu_region_detach(r);
	return 0;
}

/* ---------------------------------------------------------------- hostile */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* An index: mostly in range, sometimes just past it, sometimes anything. */
static uint32_t rnd_idx(uint32_t nslots)
{
	switch (rnd() % 4) {
	case 0:
		return rnd();
	case 1:
		return nslots + rnd() % 4;
	default:
		return rnd() % nslots;
	}
}

/*
 * A VR that breaks every rule: random ring entries and counters, state words,
 * descriptors, wake lines, and kicks. The module must refuse and count it all
 * without harm to itself or to other VRs.
 */
static int cmd_hostile(int argc, char **argv)
{
	struct eu_region *r;
	const struct eu_region_hdr *h;
	struct eu_kdev_stats st;
	unsigned char *base;
	double end;
	uint64_t ops = 0, bad = 0;
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: hostile SPEC SECONDS SEED [linger]\n");
		return 2;
	}
	rng_state = strtoull(argv[2], NULL, 0) | 1;
	r = eu_kdev_attach(argv[0]);
	if (!r) {
		fprintf(stderr, "hostile: %s\n", eu_last_error());
		return 1;
	}
	h = eu_region_header(r);
	base = eu_region_base(r);
	fd = eu_region_fd(r);
	/* keep a private copy: we are about to scribble on the header too */
	{
		struct eu_region_hdr hc = *h;
		__u32 *state = (__u32 *)(base + hc.states_off);
		struct eu_desc *desc = (struct eu_desc *)(base + hc.descs_off);
		struct eu_wake *wake = (struct eu_wake *)(base + hc.wake_off);
		__u64 one = 1;

		catch_signals();
		printf("READY\n");
		fflush(stdout);
		end = now_s() + atof(argv[1]);
		while (!stop && now_s() < end) {
			int ring = (int)(rnd() % EU_RING_COUNT);
			struct eu_ring_shared *rs = (void *)(base + hc.rings[ring].off);
			__u32 *ent = (__u32 *)(rs + 1), k;

			switch (rnd() % 10) {
			case 0: /* entries */
				for (i = 0; i < 16; i++)
					ent[rnd() % hc.rings[ring].size] = rnd_idx(hc.nslots);
				break;
			case 1: /* producer counter: plausible, rarely anything */
				if (ring == EU_RING_FILL || ring == EU_RING_TX)
					rs->prod = rnd() % 16 ? rs->cons + rnd() % 8 : rnd();
				else if (rnd() % 16 == 0)
					rs->prod = rnd();
				break;
			case 2: /* consumer counter of a ring we consume */
				if (ring == EU_RING_RX || ring == EU_RING_COMP)
					rs->cons = rnd() % 16 ? rs->prod - rnd() % 8 : rnd();
				break;
			case 3: /* state words: in flight to the switch, or anything */
				for (i = 0; i < 16; i++) {
					k = rnd() % hc.nslots;
					state[k] = rnd() % 2 ? (rnd() % 2 ? EU_SLOT_TX : EU_SLOT_FILL)
							     : rnd();
				}
				break;
			case 4: /* descriptors */
				for (i = 0; i < 16; i++) {
					k = rnd() % hc.nslots;
					desc[k].len = (__u16)rnd();
					desc[k].off = (__u16)(rnd() % 2 ? rnd() % hc.slot_size : rnd());
					desc[k].port = (__u16)(rnd() % 4);
				}
				break;
			case 5: /* a plausible tx burst with bad parts */
				rs = (void *)(base + hc.rings[EU_RING_TX].off);
				ent = (__u32 *)(rs + 1);
				if (rs->prod - rs->cons > hc.rings[EU_RING_TX].size - 8)
					rs->prod = rs->cons;
				for (i = 0; i < 8; i++) {
					k = rnd_idx(hc.nslots);
					if (k < hc.nslots) {
						state[k] = EU_SLOT_TX;
						desc[k].off = (__u16)(rnd() % hc.slot_size);
						desc[k].len = (__u16)(rnd() % 2048);
						desc[k].port = (__u16)(rnd() % 3);
					}
					ent[rs->prod & (hc.rings[EU_RING_TX].size - 1)] = k;
					rs->prod++;
				}
				if (write(fd, &one, sizeof(one)) < 0)
					bad++;
				break;
			case 6: /* fill ring the same way */
				rs = (void *)(base + hc.rings[EU_RING_FILL].off);
				ent = (__u32 *)(rs + 1);
				if (rs->prod - rs->cons > hc.rings[EU_RING_FILL].size - 8)
					rs->prod = rs->cons;
				for (i = 0; i < 8; i++) {
					k = rnd_idx(hc.nslots);
					if (k < hc.nslots && rnd() % 2)
						state[k] = EU_SLOT_FILL;
					ent[rs->prod & (hc.rings[EU_RING_FILL].size - 1)] = k;
					rs->prod++;
				}
				break;
			case 7: /* wake lines */
				wake[rnd() % EU_RING_COUNT].need_wakeup = rnd();
				wake[rnd() % EU_RING_COUNT].futex = rnd();
				break;
			case 8: /* the header, which the module must never read back */
				((unsigned char *)base)[rnd() % sizeof(hc)] = (unsigned char)rnd();
				break;
			default: /* kicks, and reads of the wake signal */
				if (write(fd, &one, sizeof(one)) < 0)
					bad++;
				if (read(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
					bad++;
				break;
			}
			ops++;
			if (ops % 64 == 0)
				usleep(200);
		}
	}
	/* what the module still does with our last kick ends well within this */
	usleep(200000);
	if (eu_kdev_read_stats(r, &st)) {
		fprintf(stderr, "hostile: %s\n", eu_last_error());
		return 1;
	}
	printf("HOSTILE ops=%llu syscall_errors=%llu\n", (unsigned long long)ops,
	       (unsigned long long)bad);
	print_kstats("KSTATS", &st);
	if (argc > 3 && strcmp(argv[3], "linger") == 0) {
		/* keep the VR (quiet now) for an outside reader such as europactl */
		printf("LINGER\n");
		fflush(stdout);
		while (!stop)
			pause();
	}
	fflush(stdout);
	eu_region_detach(r);
	return 0;
}

/* --------------------------------------------------------------- sockfwd */

/* One recvfrom and one sendto per packet, on AF_PACKET: a conventional router. */
static int cmd_sockfwd(int argc, char **argv)
{
	struct fwd f;
	int ifx[2], s;
	uint8_t buf[2048];
	uint64_t rx = 0, tx = 0;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int one = 1, rcvbuf = 8 << 20;

	memset(&f, 0, sizeof(f));
	if (argc < 4 || q_parse_mac(argv[0], f.mac)) {
		fprintf(stderr, "usage: sockfwd MAC IF0 IF1 ROUTE...\n");
		return 2;
	}
	ifx[0] = (int)if_nametoindex(argv[1]);
	ifx[1] = (int)if_nametoindex(argv[2]);
	if (!ifx[0] || !ifx[1] || parse_routes(&f, argc - 3, argv + 3)) {
		fprintf(stderr, "sockfwd: bad interface or route\n");
		return 2;
	}
	s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (s < 0) {
		perror("sockfwd: socket");
		return 1;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/*
	 * A fair conventional router: exactly one recvfrom per packet (our own
	 * transmissions are not looped back to us), and a receive queue as deep
	 * as the VR's pool (8192 frames of about 1 KiB truesize) to ride out the
	 * same stretches when the host does not run the guest.
	 */
	if (setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		perror("sockfwd: PACKET_IGNORE_OUTGOING");
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		perror("sockfwd: SO_RCVBUFFORCE");
	for (int i = 0; i < 2; i++) { /* frames to our MAC: the NIC must not filter them */
		struct packet_mreq mr = { .mr_ifindex = ifx[i], .mr_type = PACKET_MR_PROMISC };

		if (setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			perror("sockfwd: promiscuous mode");
	}
	catch_signals();
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		struct sockaddr_ll from, to;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		int port;

		if (n < 0)
			continue;
		if (from.sll_pkttype == PACKET_OUTGOING || n < 14 || memcmp(buf, f.mac, 6))
			continue;
		if (from.sll_ifindex != ifx[0] && from.sll_ifindex != ifx[1])
			continue;
		rx++;
		port = forward_frame(&f, buf, (size_t)n);
		if (port < 0 || port > 1)
			continue;
		memset(&to, 0, sizeof(to));
		to.sll_family = AF_PACKET;
		to.sll_ifindex = ifx[port];
		to.sll_halen = 6;
		memcpy(to.sll_addr, buf, 6);
		if (sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) == n)
			tx++;
	}
	printf("SOCKFWD rx=%llu tx=%llu\n", (unsigned long long)rx, (unsigned long long)tx);
	close(s);
	return 0;
}

/* ------------------------------------------------------------------- ctl */

/*
 * Send "id=N COMMAND" to the peer's control port (endpoint A) and print its
 * "DONE ..." answer. Repeats the request until the answer comes (the peer
 * runs each id once and repeats its answer).
 */
static int cmd_ctl(int argc, char **argv)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(Q_CTL_PORT) };
	char msg[512], ack[64], buf[1024];
	double deadline;
	unsigned int id;
	int s, i, acked = 0;
	size_t len = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: ctl TIMEOUT COMMAND...\n");
		return 2;
	}
	/* a fresh id per job: the peer answers a known id with its old answer */
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = (unsigned int)(now_s() * 1e9) ^ ((unsigned int)getpid() << 16);
	len = (size_t)snprintf(msg, sizeof(msg), "id=%u", id);
	for (i = 1; i < argc && len < sizeof(msg) - 1; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " %s", argv[i]);
	snprintf(ack, sizeof(ack), "ACK id=%u", id);
	peer.sin_addr.s_addr = htonl(Q_A_IP);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0) {
		perror("ctl: socket");
		return 1;
	}
	deadline = now_s() + atof(argv[0]);
	for (i = 0; now_s() < deadline; i++) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		ssize_t n;

		/*
		 * Ask again now and then, also once acknowledged: the answer may be
		 * lost on its way into a busy guest, and the peer repeats it.
		 */
		if (i % (acked ? 30 : 10) == 0 &&
		    sendto(s, msg, len, 0, (struct sockaddr *)&peer, sizeof(peer)) < 0)
			perror("ctl: sendto");
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(s, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = 0;
		if (strncmp(buf, ack, strlen(ack)) == 0) {
			acked = 1;
			continue;
		}
		if (strncmp(buf, "DONE", 4) == 0 && strstr(buf, ack + 4)) {
			printf("%s\n", buf);
			close(s);
			return 0;
		}
	}
	printf("TIMEOUT %s\n", acked ? "(acknowledged, no answer)" : "(no acknowledgement)");
	close(s);
	return 1;
}

/* ------------------------------------------------------------ check-api */

static int create_raw(int fd, struct eu_kdev_create *c)
{
	return ioctl(fd, EU_KDEV_IOC_CREATE, c) < 0 ? -errno : 0;
}

static void base_opts(struct eu_kdev_create *c, const char *p0, const char *p1, const char *mac)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->nslots = 256;
	c->nports = p1 ? 2 : 1;
	snprintf(c->ports[0], sizeof(c->ports[0]), "%s", p0);
	if (p1)
		snprintf(c->ports[1], sizeof(c->ports[1]), "%s", p1);
	c->nrules = 1;
	q_parse_mac(mac, c->rules[0].mac);
	c->rules[0].port = EU_KDEV_PORT_ANY;
}

/*
 * The device's contract, without traffic: refusals with the right errno,
 * a region that libeuropa's validation accepts, formatted as it expects.
 */
static int cmd_check_api(int argc, char **argv)
{
	struct {
		struct eu_kdev_create c;
		unsigned char tail[64];
	} big;
	struct eu_kdev_create c;
	struct eu_kdev_layout l;
	struct eu_kdev_stats st;
	struct eu_kdev_info in0, in1;
	struct eu_audit au;
	struct eu_region *r, *r2;
	struct eu_vr vr;
	char spec[256], why[256];
	void *m;
	int fd, fd2, e;

	if (argc < 2) {
		fprintf(stderr, "usage: check-api PORT0 PORT1\n");
		return 2;
	}
	CHECK(eu_kdev_read_info(NULL, &in0) == 0 && in0.abi_version == EU_KDEV_ABI_VERSION &&
		      in0.region_abi == (EU_ABI_MAJOR << 16 | EU_ABI_MINOR),
	      "INFO: kdev ABI %u, region ABI 0x%x", in0.abi_version, in0.region_abi);
	fd = open(EU_KDEV_PATH, O_RDWR);
	CHECK(fd >= 0, "open %s", EU_KDEV_PATH);
	l.size = sizeof(l);
	CHECK(ioctl(fd, EU_KDEV_IOC_LAYOUT, &l) < 0 && errno == ENXIO, "LAYOUT without a VR: ENXIO");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m == MAP_FAILED && errno == ENXIO, "mmap without a VR: ENXIO");
	CHECK(write(fd, &l, 8) < 0 && errno == ENXIO, "write without a VR: ENXIO");

	base_opts(&c, argv[0], argv[1], Q_VR1_MAC);
	c.nports = 0;
	CHECK(create_raw(fd, &c) == -EINVAL, "CREATE with no port: EINVAL");
	base_opts(&c, "nosuchif0", NULL, Q_VR1_MAC);
	CHECK(create_raw(fd, &c) == -ENODEV, "CREATE on a missing netdev: ENODEV");
	base_opts(&c, "lo", NULL, Q_VR1_MAC);
	CHECK(create_raw(fd, &c) == -EPROTONOSUPPORT, "CREATE on lo: EPROTONOSUPPORT");
	base_opts(&c, argv[0], argv[0], Q_VR1_MAC);
	CHECK(create_raw(fd, &c) == -EINVAL, "CREATE naming a port twice: EINVAL");
	base_opts(&c, argv[0], NULL, Q_VR1_MAC);
	c.rules[0].flags = EU_KDEV_RULE_F_VLAN;
	c.rules[0].vlan = 4095;
	CHECK(create_raw(fd, &c) == -EINVAL, "CREATE with VLAN 4095: EINVAL");
	base_opts(&c, argv[0], NULL, Q_VR1_MAC);
	c.slot_size = 100;
	CHECK(create_raw(fd, &c) == -EINVAL, "CREATE with slot_size 100: EINVAL");
	base_opts(&c, argv[0], NULL, Q_VR1_MAC);
	c.nslots = 1U << 30;
	CHECK(create_raw(fd, &c) == -E2BIG, "CREATE with 2^30 slots: E2BIG");
	base_opts(&c, argv[0], NULL, Q_VR1_MAC);
	c.size = 8;
	CHECK(create_raw(fd, &c) == -EINVAL, "CREATE with size 8: EINVAL");
	memset(&big, 0, sizeof(big));
	base_opts(&big.c, argv[0], NULL, Q_VR1_MAC);
	big.c.size = sizeof(big);
	big.tail[10] = 1;
	CHECK(create_raw(fd, &big.c) == -E2BIG, "CREATE with unknown non-zero tail: E2BIG");
	CHECK(eu_kdev_read_info(NULL, &in1) == 0 && in1.vrs_active == in0.vrs_active &&
		      in1.ports_active == in0.ports_active,
	      "failed CREATEs left nothing behind (%u VRs, %u ports)", in1.vrs_active,
	      in1.ports_active);
	/* A newer caller's larger struct with a zero tail is fine. */
	big.tail[10] = 0;
	e = create_raw(fd, &big.c);
	CHECK(e == 0, "CREATE with a larger struct and a zero tail: %d", e);
	CHECK(create_raw(fd, &big.c) == -EBUSY, "second CREATE on one fd: EBUSY");
	l.size = sizeof(l);
	CHECK(ioctl(fd, EU_KDEV_IOC_LAYOUT, &l) == 0 && l.size == sizeof(l) && l.nslots == 256 &&
		      l.region_size % 4096 == 0 && l.bufs_off % 4096 == 0,
	      "LAYOUT: %llu bytes, %u slots, buffers at 0x%llx",
	      (unsigned long long)l.region_size, l.nslots, (unsigned long long)l.bufs_off);
	m = mmap(NULL, l.region_size + 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m == MAP_FAILED && errno == EINVAL, "mmap past the region: EINVAL");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	CHECK(m == MAP_FAILED && errno == EINVAL, "mmap at an offset: EINVAL");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(m == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE: EINVAL");
	m = mmap(NULL, l.region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap of the region");
	if (m != MAP_FAILED) {
		e = eu_region_validate(m, l.region_size, why, sizeof(why));
		CHECK(e == 0, "eu_region_validate() accepts the module's region%s%s", e ? ": " : "",
		      e ? why : "");
		munmap(m, l.region_size);
	}
	/* the same MAC on the same port in another VR is refused */
	fd2 = open(EU_KDEV_PATH, O_RDWR);
	base_opts(&c, argv[0], NULL, Q_VR1_MAC);
	CHECK(create_raw(fd2, &c) == -EADDRINUSE, "another VR with the same MAC: EADDRINUSE");
	close(fd2);
	close(fd);

	/* Through libeuropa: kdev: spec, validation, audit, VR attach. */
	snprintf(spec, sizeof(spec), "kdev:#port=%s,port=%s,mac=%s,slots=512,vr_slots=200",
		 argv[0], argv[1], Q_VR1_MAC);
	r = eu_region_attach(spec);
	CHECK(r != NULL, "eu_region_attach(\"%s\")%s%s", spec, r ? "" : ": ",
	      r ? "" : eu_last_error());
	if (!r)
		return 1;
	CHECK(eu_region_is_kdev(r), "the region is a kdev region");
	CHECK(eu_region_audit(r, &au) == 0 && au.total == 512 && au.state[EU_SLOT_VR_FREE] == 200 &&
		      au.state[EU_SLOT_SW_FREE] == 312 && au.consistent,
	      "audit of a new region: %u VR_FREE, %u SW_FREE, consistent %d",
	      au.state[EU_SLOT_VR_FREE], au.state[EU_SLOT_SW_FREE], au.consistent);
	CHECK(eu_kdev_read_stats(r, &st) == 0 && st.sw_free == 312 && st.sw_busy == 0 &&
		      st.nslots == 512 && st.nports == 2,
	      "STATS: the module holds %u free, %u busy", st.sw_free, st.sw_busy);
	CHECK(eu_vr_init(&vr, r) == 0 && vr.cache.count == 200, "eu_vr_init takes the 200 VR slots");
	eu_vr_fini(&vr);
	snprintf(spec, sizeof(spec), "kdev:#port=%s,mac=%s.7@0", argv[0], Q_VR1_MAC);
	r2 = eu_region_attach(spec);
	CHECK(r2 != NULL, "the same MAC on VLAN 7 is another VR's rule%s%s", r2 ? "" : ": ",
	      r2 ? "" : eu_last_error());
	CHECK(eu_kdev_read_info(NULL, &in1) == 0 && in1.vrs_active == in0.vrs_active + 2,
	      "INFO counts %u live VRs", in1.vrs_active);
	eu_region_detach(r2);
	eu_region_detach(r);
	CHECK(eu_kdev_read_info(NULL, &in1) == 0 && in1.vrs_active == in0.vrs_active &&
		      in1.slots_active == in0.slots_active && in1.slots_lost == 0 &&
		      in1.ports_active == in0.ports_active,
	      "after detach: %u VRs, %llu slots, %u ports, %llu lost", in1.vrs_active,
	      (unsigned long long)in1.slots_active, in1.ports_active,
	      (unsigned long long)in1.slots_lost);
	CHECK(eu_region_attach("kdev:#port=nosuchif0,mac=" Q_VR1_MAC) == NULL && errno == ENODEV &&
		      strstr(eu_last_error(), "no network interface"),
	      "a missing netdev is reported: %s", eu_last_error());
	printf("check-api: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

static int cmd_info(void)
{
	struct eu_kdev_info in;

	if (eu_kdev_read_info(NULL, &in)) {
		fprintf(stderr, "info: %s\n", eu_last_error());
		return 1;
	}
	printf("INFO vrs_active=%u vrs_created=%llu vrs_released=%llu slots_active=%llu "
	       "bytes_active=%llu slots_reclaimed=%llu slots_lost=%llu ports_active=%u\n",
	       in.vrs_active, (unsigned long long)in.vrs_created,
	       (unsigned long long)in.vrs_released, (unsigned long long)in.slots_active,
	       (unsigned long long)in.bytes_active, (unsigned long long)in.slots_reclaimed,
	       (unsigned long long)in.slots_lost, in.ports_active);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: eu-qtest info|check-api|fwd|hostile|sockfwd|ctl ...\n");
		return 2;
	}
	if (strcmp(argv[1], "info") == 0)
		return cmd_info();
	if (strcmp(argv[1], "check-api") == 0)
		return cmd_check_api(argc - 2, argv + 2);
	if (strcmp(argv[1], "fwd") == 0)
		return cmd_fwd(argc - 2, argv + 2);
	if (strcmp(argv[1], "hostile") == 0)
		return cmd_hostile(argc - 2, argv + 2);
	if (strcmp(argv[1], "sockfwd") == 0)
		return cmd_sockfwd(argc - 2, argv + 2);
	if (strcmp(argv[1], "ctl") == 0)
		return cmd_ctl(argc - 2, argv + 2);
	fprintf(stderr, "eu-qtest: unknown command %s\n", argv[1]);
	return 2;
}
