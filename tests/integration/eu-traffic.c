/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-traffic - numbered test frames over a kernel interface (AF_PACKET), for
 * the live switch tests (tests/integration/switch_veth*.sh). Runs in the
 * caller's network namespace (use `ip netns exec NS eu-traffic ...`).
 *
 *   eu-traffic send -i IF -d MAC [-d MAC...] [-n COUNT] [-r PPS] [-t SECONDS]
 *                   [-l LEN] [-R RUN]
 *       send COUNT frames (0: until SECONDS pass), at most PPS a second (0: as
 *       fast as the socket takes them), never longer than SECONDS (default 30).
 *       With several -d, frame i goes to the (i mod n)-th MAC and belongs to
 *       flow i mod n, numbered within its flow. Ethernet/IPv4/UDP, 198.18.0.1
 *       -> 198.19.0.99 (an address nobody has: the sink's kernel drops the
 *       frames silently), LEN bytes without FCS (default 60: 64 on the wire).
 *       With LEN >= 68, each frame also carries its send time (CLOCK_MONOTONIC
 *       ns, one clock for every namespace), stamped just before the send call.
 *
 *   eu-traffic recv -i IF -n COUNT [-F FLOWS] [-t SECONDS] [-w READYFILE] [-R RUN]
 *                   [-L]
 *       receive until COUNT test frames of run RUN arrived, or nothing came for
 *       2 s (after a first frame), or SECONDS passed; check each flow's
 *       frames arrive once and in order. Frames of flows >= FLOWS (default 1)
 *       count as other frames. Touches READYFILE once listening. With -L, the
 *       one-way latency of every frame that arrived with a send time (LEN >= 68;
 *       duplicates not counted), receive time taken when the receive call
 *       returns, is summed up at the end of the summary line as
 *       ", latency us p50 A p99 B p99.9 C max D frames N" (N: the frames the
 *       percentiles rest on; nearest rank).
 *
 * recv exits 0 only if exactly COUNT frames arrived, none lost, duplicated
 * or out of order. Both print a one-line summary. Exit 77: not root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <europa/ipv4.h>

#include "itest.h"

#define MAGIC 0x52545545U /* "EUTR" */
#define MAX_FLOWS 16
#define BATCH 64
#define OFF_PAYLOAD 42
#define OFF_STAMP (OFF_PAYLOAD + 18) /* send time, ns; only when the frame has room */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int open_if(const char *ifname, int *ifindex, unsigned char mac[6])
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0) {
		fprintf(stderr, "eu-traffic: AF_PACKET socket: %s\n", strerror(errno));
		exit(errno == EPERM ? 77 : 1);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "eu-traffic: no interface %s here: %s\n", ifname, strerror(errno));
		exit(1);
	}
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "eu-traffic: bind to %s: %s\n", ifname, strerror(errno));
		exit(1);
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: eu-traffic send -i IF -d MAC [-d MAC...] [-n COUNT] [-r PPS] "
			"[-t SECONDS] [-l LEN] [-R RUN]\n"
			"       eu-traffic recv -i IF -n COUNT [-F FLOWS] [-t SECONDS] [-w FILE] "
			"[-R RUN] [-L]\n");
	exit(2);
}

static int do_send(const char *ifname, unsigned char dst[][6], int nd, uint64_t count,
		   double rate, double maxs, unsigned len, uint32_t run)
{
	static unsigned char fr[BATCH][1600];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	unsigned char mac[6];
	uint64_t sent = 0, seq[MAX_FLOWS] = { 0 };
	double t0, t;
	int fd, ifindex, one = 1, i;

	fd = open_if(ifname, &ifindex, mac);
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	for (i = 0; i < BATCH; i++) {
		unsigned char *f = fr[i];

		memset(f, 0, sizeof(fr[i]));
		it_udp_frame(f, len, NULL, mac, 99, 5000, 5001); /* dst MAC: per flow, below */
		iov[i].iov_base = f;
		iov[i].iov_len = len;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = it_now_s();
	for (;;) {
		unsigned b = BATCH;
		int n;

		t = it_now_s() - t0;
		if ((count && sent >= count) || t > maxs)
			break;
		if (count && count - sent < b)
			b = (unsigned)(count - sent);
		if (rate > 0) {
			double allowed = t * rate + 1 - (double)sent;

			if (allowed < 1) {
				struct timespec ts = { 0, 20000 };

				nanosleep(&ts, NULL);
				continue;
			}
			if (allowed < b)
				b = (unsigned)allowed;
		}
		for (i = 0; i < (int)b; i++) {
			unsigned char *p = fr[i] + OFF_PAYLOAD;
			int fl = (int)((sent + (unsigned)i) % (unsigned)nd);
			uint32_t m = MAGIC;
			uint16_t f16 = (uint16_t)fl;

			memcpy(fr[i], dst[fl], 6);
			memcpy(p, &m, 4);
			memcpy(p + 4, &run, 4);
			memcpy(p + 8, &f16, 2);
			memcpy(p + 10, &seq[fl], 8);
			seq[fl]++;
		}
		if (len >= OFF_STAMP + 8) {
			uint64_t ts = now_ns();

			for (i = 0; i < (int)b; i++)
				memcpy(fr[i] + OFF_STAMP, &ts, 8);
		}
		n = sendmmsg(fd, mm, b, 0);
		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				/* undo the numbers of the frames not sent */
				for (i = (int)b - 1; i >= 0; i--)
					seq[(sent + (unsigned)i) % (unsigned)nd]--;
				continue;
			}
			fprintf(stderr, "eu-traffic: sendmmsg: %s\n", strerror(errno));
			return 1;
		}
		for (i = (int)b - 1; i >= n; i--)
			seq[(sent + (unsigned)i) % (unsigned)nd]--;
		sent += (unsigned)n;
	}
	t = it_now_s() - t0;
	printf("eu-traffic: sent %" PRIu64 " frames of %u bytes in %.3f s (%.0f pps)\n", sent,
	       len, t, t > 0 ? (double)sent / t : 0);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of n sorted values, in microseconds */
static double pct_us(const uint64_t *v, uint64_t n, double p)
{
	uint64_t k = (uint64_t)(p / 100.0 * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

static int do_recv(const char *ifname, uint64_t count, int flows, double maxs, const char *ready,
		   uint32_t run, int want_lat)
{
	static unsigned char buf[BATCH][2048];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll from[BATCH];
	uint64_t next[MAX_FLOWS] = { 0 }, got[MAX_FLOWS] = { 0 };
	uint64_t total = 0, lost = 0, late = 0, dup = 0, other = 0, q;
	uint64_t *lat = NULL, nlat = 0; /* one-way latencies, ns (-L) */
	unsigned char *seen[MAX_FLOWS] = { NULL };
	unsigned char mac[6];
	double t0 = it_now_s(), last = 0;
	int fd, ifindex, sz = 64 << 20, i, ttl = -1;

	for (i = 0; i < flows; i++) {
		seen[i] = calloc(count / 8 + 1, 1); /* a bit per sequence number */
		if (!seen[i]) {
			fprintf(stderr, "eu-traffic: out of memory\n");
			return 1;
		}
	}
	if (want_lat) {
		lat = malloc(count * sizeof(*lat));
		if (!lat) {
			fprintf(stderr, "eu-traffic: out of memory for %" PRIu64
					" latencies: ask for fewer frames (-n)\n",
				count);
			return 1;
		}
	}
	fd = open_if(ifname, &ifindex, mac);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	while (total < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t = it_now_s();
		uint64_t rx_ns;
		int n;

		if (t - t0 > maxs || (last > 0 && t - last > 2.0))
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		for (i = 0; i < BATCH; i++)
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		rx_ns = want_lat ? now_ns() : 0;
		for (i = 0; i < n; i++) {
			unsigned char *f = buf[i], *p8 = f + OFF_PAYLOAD;
			uint32_t m, r;
			uint16_t fl;
			uint64_t seq;

			if (from[i].sll_pkttype == PACKET_OUTGOING)
				continue;
			if (mm[i].msg_len < OFF_PAYLOAD + 18 || f[12] != 0x08 || f[13] != 0x00) {
				other++;
				continue;
			}
			memcpy(&m, p8, 4);
			memcpy(&r, p8 + 4, 4);
			memcpy(&fl, p8 + 8, 2);
			memcpy(&seq, p8 + 10, 8);
			if (m != MAGIC || r != run || fl >= flows) {
				other++;
				continue;
			}
			if (ttl < 0)
				ttl = f[22];
			last = it_now_s();
			total++;
			got[fl]++;
			if (seq < count && (seen[fl][seq / 8] & (1U << (seq % 8)))) {
				dup++;
				continue;
			}
			if (seq < count)
				seen[fl][seq / 8] |= (unsigned char)(1U << (seq % 8));
			if (want_lat && mm[i].msg_len >= OFF_STAMP + 8 && nlat < count) {
				uint64_t tx;

				memcpy(&tx, f + OFF_STAMP, 8);
				if (tx && tx <= rx_ns)
					lat[nlat++] = rx_ns - tx;
			}
			if (seq >= next[fl])
				next[fl] = seq + 1;
			else
				late++; /* after a later one */
		}
	}
	/* lost: numbers below the highest seen in each flow that never came */
	for (i = 0; i < flows; i++)
		for (q = 0; q < next[i] && q < count; q++)
			if (!(seen[i][q / 8] & (1U << (q % 8))))
				lost++;
	printf("eu-traffic: received %" PRIu64 " of %" PRIu64 " (ttl %d), lost %" PRIu64
	       ", late %" PRIu64 ", duplicated %" PRIu64 ", other frames %" PRIu64, total, count,
	       ttl, lost, late, dup, other);
	for (i = 0; i < flows && i < MAX_FLOWS; i++)
		printf(", flow %d: %" PRIu64, i, got[i]);
	if (want_lat) {
		qsort(lat, nlat, sizeof(*lat), cmp_u64);
		if (nlat)
			printf(", latency us p50 %.1f p99 %.1f p99.9 %.1f max %.1f frames %" PRIu64,
			       pct_us(lat, nlat, 50), pct_us(lat, nlat, 99), pct_us(lat, nlat, 99.9),
			       (double)lat[nlat - 1] / 1000.0, nlat);
		else
			printf(", latency us p50 - p99 - p99.9 - max - frames 0");
		free(lat);
	}
	printf("\n");
	for (i = 0; i < flows; i++)
		free(seen[i]);
	close(fd);
	return total == count && !lost && !late && !dup ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned char dst[MAX_FLOWS][6];
	const char *ifname = NULL, *ready = NULL;
	uint64_t count = 0;
	double rate = 0, maxs = 30;
	unsigned len = 60;
	uint32_t run = 0;
	int nd = 0, flows = 1, want_lat = 0, o;

	if (argc < 2)
		usage();
	optind = 2;
	while ((o = getopt(argc, argv, "i:d:n:r:t:l:F:w:R:L")) != -1) {
		switch (o) {
		case 'i':
			ifname = optarg;
			break;
		case 'd':
			if (nd >= MAX_FLOWS || eu_ether_parse_mac(optarg, dst[nd], NULL) < 0)
				usage();
			nd++;
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 't':
			maxs = atof(optarg);
			break;
		case 'l':
			len = (unsigned)atoi(optarg);
			if (len < 60 || len > 1514)
				usage();
			break;
		case 'F':
			flows = atoi(optarg);
			if (flows < 1 || flows > MAX_FLOWS)
				usage();
			break;
		case 'w':
			ready = optarg;
			break;
		case 'R':
			run = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'L':
			want_lat = 1;
			break;
		default:
			usage();
		}
	}
	if (!ifname)
		usage();
	if (strcmp(argv[1], "send") == 0 && nd)
		return do_send(ifname, dst, nd, count, rate, maxs, len, run);
	if (strcmp(argv[1], "recv") == 0 && count)
		return do_recv(ifname, count, flows, maxs, ready, run, want_lat);
	usage();
	return 2;
}
