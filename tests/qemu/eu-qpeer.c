/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-qpeer - the host side of the QEMU harness: endpoints A and B of the
 * test network (qnet.h), speaking QEMU's "-netdev socket,udp=" protocol (one
 * Ethernet frame per UDP datagram on 127.0.0.1).
 *
 *   eu-qpeer A_LOCAL A_QEMU B_LOCAL B_QEMU [SECONDS]
 *
 * Each endpoint answers ARP and ICMP echo for its address. Jobs come from
 * the guest as UDP datagrams to A's control port ("id=N KIND key=value...")
 * and are answered "ACK id=N" at once and "DONE id=N ..." when finished:
 *
 *   ping  dir=ab|ba via=MAC count=N          ICMP echo through a forwarder
 *   udp   dir=ab|ba via=MAC count=N [vlan=V] [len=L] [pps=R (default 1000)]
 *                                            UDP frames, each checked on
 *                                            arrival: sequence, TTL - 1
 *   blast dir=ab|ba via=MAC secs=S [pps=R] [len=L]
 *                                            paced load; the rate that
 *                                            arrives after a 1 s warm-up
 *   tcp   via=MAC viab=MAC secs=S            iperf3 TCP A -> B through a
 *                                            forwarder (A's next hop VIA,
 *                                            B's VIAB); the receiver's
 *                                            Mbit/s
 *
 * tcp needs NETNS_A and NETNS_B: network namespaces, each with a TAP device
 * Q_TAP_NAME that has endpoint A's (B's) MAC, address and a route to the
 * other side through the guest (run.sh makes them, as root). For the job the
 * peer opens both TAPs and relays every frame between each TAP and its QEMU
 * socket (its own ARP and ICMP answering off, the control port still its
 * own), points each namespace's gateway at the forwarder's MAC (a permanent
 * neighbour entry) and runs `iperf3 -s -1` in B and `iperf3 -c ... -J` in A,
 * each under timeout(1).
 *
 * The peer exits after SECONDS (default 900) or on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qnet.h"

#define BATCH 64
/*
 * Seconds without a frame of the job before it is declared finished: long,
 * because the host may not run the guest for a while (frames arrive late, not
 * lost); only jobs that expect less than everything back wait this long.
 */
#define Q_QUIET 4.0
#define FRAME_MAX 2048

struct link {
	int fd;
	struct sockaddr_in qemu;
	const uint8_t *mac;
	uint32_t ip;
};

enum kind { J_NONE, J_PING, J_UDP, J_BLAST, J_TCP };

struct job {
	enum kind kind;
	unsigned int id;
	int src, dst;          /* link indices */
	uint8_t via[6];
	uint16_t vlan;
	size_t len;
	uint32_t count;
	double pps, secs;
	double t0, last_event;
	uint64_t sent, recv, dup, bad_ttl, at_dst, replies, win_recv;
	uint8_t *seen;
	uint8_t ctl_mac[6];
	uint32_t ctl_ip;
	uint16_t ctl_port;
	/* tcp: B's next hop, the iperf3 processes, the client's JSON report */
	uint8_t viab[6];
	pid_t srv, cli;
	int out_fd;
	double t_cli, mbps;
	long retr;
	const char *err;
};

static struct link L[2];
static struct job J;
static unsigned int last_done_id;
static char last_done[512];
static volatile sig_atomic_t stop;
/* tcp: the endpoints' namespaces (argv) and, while a tcp job runs, their TAPs */
static const char *netns[2];
static int tap[2] = { -1, -1 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void send_frame(int li, const uint8_t *f, size_t n)
{
	if (sendto(L[li].fd, f, n, 0, (struct sockaddr *)&L[li].qemu, sizeof(L[li].qemu)) < 0 &&
	    errno != EAGAIN && errno != ECONNREFUSED && errno != ENOBUFS)
		perror("eu-qpeer: sendto");
}

/* IPv4 header at ip (20 bytes) with checksum. */
static void ip_hdr(uint8_t *ip, size_t total, uint8_t proto, uint32_t sip, uint32_t dip)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	q_put16(ip + 2, (uint16_t)total);
	ip[8] = 64;
	ip[9] = proto;
	q_put32(ip + 12, sip);
	q_put32(ip + 16, dip);
	q_put16(ip + 10, q_csum(ip, 20));
}

/* A UDP datagram from endpoint A to the guest (control answers). */
static void send_udp(int li, const uint8_t *dmac, uint32_t dip, uint16_t sport, uint16_t dport,
		     const char *text)
{
	uint8_t f[FRAME_MAX];
	size_t n = strlen(text), total = 20 + 8 + n;

	if (n > 1400)
		n = 1400;
	memcpy(f, dmac, 6);
	memcpy(f + 6, L[li].mac, 6);
	q_put16(f + 12, 0x0800);
	ip_hdr(f + 14, total, 17, L[li].ip, dip);
	q_put16(f + 34, sport);
	q_put16(f + 36, dport);
	q_put16(f + 38, (uint16_t)(8 + n));
	q_put16(f + 40, 0); /* no UDP checksum (allowed for IPv4) */
	memcpy(f + 42, text, n);
	send_frame(li, f, 14 + total < 60 ? 60 : 14 + total);
}

static void send_ping(int li, const uint8_t *dmac, uint32_t dip, uint16_t id, uint16_t seq)
{
	uint8_t f[98];
	uint8_t *icmp = f + 34;

	memset(f, 0, sizeof(f));
	memcpy(f, dmac, 6);
	memcpy(f + 6, L[li].mac, 6);
	q_put16(f + 12, 0x0800);
	ip_hdr(f + 14, 84, 1, L[li].ip, dip);
	icmp[0] = 8;
	q_put16(icmp + 4, id);
	q_put16(icmp + 6, seq);
	memcpy(icmp + 8, "europa-qemu-ping", 16);
	q_put16(icmp + 2, q_csum(icmp, 64));
	send_frame(li, f, sizeof(f));
}

static void finish_job(void)
{
	double el = now_s() - J.t0;

	switch (J.kind) {
	case J_PING:
		snprintf(last_done, sizeof(last_done),
			 "DONE id=%u kind=ping sent=%llu at_dst=%llu replies=%llu", J.id,
			 (unsigned long long)J.sent, (unsigned long long)J.at_dst,
			 (unsigned long long)J.replies);
		break;
	case J_UDP:
		snprintf(last_done, sizeof(last_done),
			 "DONE id=%u kind=udp sent=%llu recv=%llu dup=%llu bad_ttl=%llu", J.id,
			 (unsigned long long)J.sent, (unsigned long long)J.recv,
			 (unsigned long long)J.dup, (unsigned long long)J.bad_ttl);
		break;
	case J_TCP:
		snprintf(last_done, sizeof(last_done),
			 "DONE id=%u kind=tcp mbps=%.1f retr=%ld secs=%.2f%s%s", J.id, J.mbps,
			 J.retr, el, J.err ? " err=" : "", J.err ? J.err : "");
		break;
	default:
		snprintf(last_done, sizeof(last_done),
			 "DONE id=%u kind=blast sent=%llu recv=%llu offered_pps=%.0f rx_pps=%.0f "
			 "secs=%.2f",
			 J.id, (unsigned long long)J.sent, (unsigned long long)J.recv,
			 (double)J.sent / (J.secs > 0 ? J.secs : 1),
			 (double)J.win_recv / (J.secs > 1 ? J.secs - 1 : 1), el);
		break;
	}
	last_done_id = J.id;
	fprintf(stderr, "eu-qpeer: %s\n", last_done);
	send_udp(0, J.ctl_mac, J.ctl_ip, Q_CTL_PORT, J.ctl_port, last_done);
	free(J.seen);
	memset(&J, 0, sizeof(J));
}

/* ---------------------------------------------------------------- tcp */

/* Seconds a tcp job may take beyond its secs before the peer gives up on it. */
#define TCP_SLACK 40.0

/* Start argv as a child, its stdout to out (-1: /dev/null). Returns its pid, or -1. */
static pid_t spawn(const char *const argv[], int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(out >= 0 ? out : nul, 1);
		execvp(argv[0], (char *const *)argv); /* exec does not write them */
		_exit(127);
	}
	if (pid < 0)
		perror("eu-qpeer: fork");
	return pid;
}

/* Stop a child (SIGTERM, SIGKILL after 2 s) and reap it; *pid becomes 0. */
static void reap(pid_t *pid)
{
	int i;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (i = 0; i < 200 && waitpid(*pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 200) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

/* Run argv to its end (it is bounded by timeout(1)); 0 if it exited 0. */
static int run(const char *const argv[])
{
	int st;
	pid_t pid = spawn(argv, -1);

	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Open the TAP Q_TAP_NAME of namespace ns (/run/netns/NS); the fd, or -1. */
static int open_tap(const char *ns)
{
	char path[300];
	struct ifreq ifr;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), nsfd, fd = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (self >= 0 && nsfd >= 0 && setns(nsfd, CLONE_NEWNET) == 0) {
		/* the device is looked up in the namespace /dev/net/tun was opened in */
		fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", Q_TAP_NAME);
		if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) < 0) {
			perror("eu-qpeer: TUNSETIFF");
			close(fd);
			fd = -1;
		}
		if (setns(self, CLONE_NEWNET) < 0) {
			perror("eu-qpeer: setns back to its own namespace");
			exit(1);
		}
	} else {
		fprintf(stderr, "eu-qpeer: cannot enter %s: %s\n", path, strerror(errno));
	}
	if (self >= 0)
		close(self);
	if (nsfd >= 0)
		close(nsfd);
	return fd;
}

/* Endpoint li's gateway (the guest's address on its side) -> mac, permanently. */
static int set_gateway(int li, const uint8_t *mac)
{
	char m[18], gw[16];
	const char *argv[] = { "timeout", "10", "ip", "-n", netns[li], "neigh", "replace", gw,
			       "lladdr", m, "dev", Q_TAP_NAME, "nud", "permanent", NULL };
	uint32_t g = li ? Q_G1_IP : Q_G0_IP;

	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	snprintf(gw, sizeof(gw), "%u.%u.%u.%u", g >> 24, (g >> 16) & 255, (g >> 8) & 255, g & 255);
	return run(argv);
}

static void tcp_close(void)
{
	reap(&J.cli);
	reap(&J.srv);
	for (int i = 0; i < 2; i++) {
		if (tap[i] >= 0)
			close(tap[i]);
		tap[i] = -1;
	}
	if (J.out_fd >= 0)
		close(J.out_fd);
	J.out_fd = -1;
}

static void tcp_fail(const char *why)
{
	J.err = why;
	tcp_close();
	finish_job();
}

/* The job's start: gateways, TAPs, the server; the client follows after 1 s. */
static void tcp_start(void)
{
	char t[16];
	const char *srv[] = { "timeout", t, "ip", "netns", "exec", netns[1], "iperf3", "-s", "-1",
			      NULL };
	char path[] = "/tmp/eu-qpeer-tcp.XXXXXX";

	J.out_fd = -1;
	if (!netns[0] || !netns[1]) {
		tcp_fail("no-netns");
		return;
	}
	if (set_gateway(0, J.via) || set_gateway(1, J.viab)) {
		tcp_fail("neigh");
		return;
	}
	tap[0] = open_tap(netns[0]);
	tap[1] = open_tap(netns[1]);
	J.out_fd = mkostemp(path, O_CLOEXEC); /* the client gets it as its stdout */
	if (J.out_fd >= 0)
		unlink(path);
	if (tap[0] < 0 || tap[1] < 0 || J.out_fd < 0) {
		tcp_fail("tap");
		return;
	}
	snprintf(t, sizeof(t), "%.0f", J.secs + TCP_SLACK);
	J.srv = spawn(srv, -1);
	J.t_cli = J.t0 + 1;
}

/* The receiver's rate and the sender's retransmissions from iperf3 -J. */
static void tcp_parse(void)
{
	static char buf[1 << 20];
	ssize_t n = pread(J.out_fd, buf, sizeof(buf) - 1, 0);
	const char *p, *q;

	buf[n > 0 ? n : 0] = 0;
	p = strstr(buf, "\"sum_received\"");
	q = p ? strstr(p, "\"bits_per_second\"") : NULL;
	if (!q || !(q = strchr(q, ':'))) {
		J.err = "no-result";
		return;
	}
	J.mbps = strtod(q + 1, NULL) / 1e6;
	p = strstr(buf, "\"sum_sent\"");
	q = p ? strstr(p, "\"retransmits\"") : NULL;
	if (q && (q = strchr(q, ':')))
		J.retr = strtol(q + 1, NULL, 10);
}

static void tcp_step(double t)
{
	char s[16], T[16];
	const char *cli[] = { "timeout", T, "ip", "netns", "exec", netns[0], "iperf3", "-c",
			      "198.19.1.2", "-t", s, "-J", NULL };
	int st;

	if (!J.cli && t >= J.t_cli) {
		snprintf(s, sizeof(s), "%.0f", J.secs);
		snprintf(T, sizeof(T), "%.0f", J.secs + TCP_SLACK - 5);
		J.cli = spawn(cli, J.out_fd);
		if (J.cli < 0) {
			J.cli = 0;
			tcp_fail("fork");
		}
		return;
	}
	if (J.cli > 0 && waitpid(J.cli, &st, WNOHANG) == J.cli) {
		J.cli = 0;
		tcp_parse();
		tcp_close();
		finish_job();
		return;
	}
	if (t > J.t0 + J.secs + TCP_SLACK)
		tcp_fail("timeout");
}

/* A frame the guest sent to the control port (the peer keeps it while relaying). */
static int ctl_frame(int li, const uint8_t *f, size_t n)
{
	uint16_t type, vlan;
	int l3 = q_l3(f, n, &type, &vlan);
	const uint8_t *ip = f + l3;

	return li == 0 && l3 > 0 && type == 0x0800 && n >= (size_t)l3 + 28 && (ip[0] & 0xf) == 5 &&
	       ip[9] == 17 && q_get32(ip + 16) == L[0].ip && q_get16(ip + 22) == Q_CTL_PORT;
}

/* Relay what TAP li has to its QEMU socket, BATCH frames at most. */
static void tap_drain(int li)
{
	uint8_t f[FRAME_MAX];
	int i;

	for (i = 0; i < BATCH && tap[li] >= 0; i++) {
		ssize_t n = read(tap[li], f, sizeof(f));

		if (n <= 0)
			return;
		if (n < 60) { /* the minimum Ethernet frame, as a NIC pads it */
			memset(f + n, 0, (size_t)(60 - n));
			n = 60;
		}
		send_frame(li, f, (size_t)n);
	}
}

static const char *kv(const char *msg, const char *key)
{
	size_t n = strlen(key);
	const char *p = msg;

	while ((p = strstr(p, key))) {
		if ((p == msg || p[-1] == ' ') && p[n] == '=')
			return p + n + 1;
		p += n;
	}
	return NULL;
}

/* A control request from the guest (on link A). */
static void control(const uint8_t *smac, uint32_t sip, uint16_t sport, const char *msg)
{
	const char *v;
	char ack[64];
	unsigned int id;

	if (sscanf(msg, "id=%u", &id) != 1)
		return;
	snprintf(ack, sizeof(ack), "ACK id=%u", id);
	send_udp(0, smac, sip, Q_CTL_PORT, sport, ack);
	if (id == last_done_id) { /* the answer was lost: say it again */
		send_udp(0, smac, sip, Q_CTL_PORT, sport, last_done);
		return;
	}
	if (J.kind != J_NONE)
		return; /* a retry of the running job */
	memset(&J, 0, sizeof(J));
	J.id = id;
	memcpy(J.ctl_mac, smac, 6);
	J.ctl_ip = sip;
	J.ctl_port = sport;
	if (strstr(msg, " ping"))
		J.kind = J_PING;
	else if (strstr(msg, " udp"))
		J.kind = J_UDP;
	else if (strstr(msg, " blast"))
		J.kind = J_BLAST;
	else if (strstr(msg, " tcp"))
		J.kind = J_TCP;
	else
		return;
	v = kv(msg, "dir");
	J.src = v && strncmp(v, "ba", 2) == 0 ? 1 : 0;
	J.dst = 1 - J.src;
	v = kv(msg, "via");
	if (!v || q_parse_mac(v, J.via)) {
		J.kind = J_NONE;
		return;
	}
	v = kv(msg, "count");
	J.count = v ? (uint32_t)strtoul(v, NULL, 10) : 100;
	v = kv(msg, "vlan");
	J.vlan = v ? (uint16_t)strtoul(v, NULL, 10) : 0;
	v = kv(msg, "len");
	J.len = v ? strtoul(v, NULL, 10) : 64;
	v = kv(msg, "pps");
	J.pps = v ? strtod(v, NULL) : (J.kind == J_BLAST ? 100000 : 1000);
	v = kv(msg, "secs");
	J.secs = v ? strtod(v, NULL) : 5;
	if (J.kind == J_UDP)
		J.seen = calloc(J.count / 8 + 1, 1);
	J.t0 = now_s();
	J.last_event = J.t0;
	fprintf(stderr, "eu-qpeer: job %s\n", msg);
	if (J.kind == J_TCP) {
		v = kv(msg, "viab");
		if (!v || q_parse_mac(v, J.viab))
			memcpy(J.viab, J.via, 6);
		tcp_start();
	}
}

static void on_test_frame(int li, const uint8_t *ip, const uint8_t *udp)
{
	uint32_t job = q_get32(udp + 12), seq = q_get32(udp + 16);
	double t;

	if (J.kind == J_NONE || job != J.id || li != J.dst)
		return;
	t = now_s();
	J.last_event = t;
	J.recv++;
	if (ip[8] != 63)
		J.bad_ttl++;
	if (J.kind == J_BLAST) {
		if (t >= J.t0 + 1 && t <= J.t0 + J.secs)
			J.win_recv++;
		return;
	}
	if (seq < J.count && J.seen) {
		if (J.seen[seq / 8] & (1U << (seq % 8)))
			J.dup++;
		J.seen[seq / 8] |= (uint8_t)(1U << (seq % 8));
	}
}

static void handle(int li, uint8_t *f, size_t n)
{
	uint16_t type, vlan;
	int l3 = q_l3(f, n, &type, &vlan);
	uint8_t *ip, *l4;
	size_t ihl;
	uint32_t dip;

	if (l3 < 0)
		return;
	if (type == 0x0806 && n >= (size_t)l3 + 28) {
		uint8_t *a = f + l3, r[60];

		if (q_get16(a + 6) != 1 || q_get32(a + 24) != L[li].ip)
			return;
		memset(r, 0, sizeof(r));
		memcpy(r, f + 6, 6);
		memcpy(r + 6, L[li].mac, 6);
		q_put16(r + 12, 0x0806);
		q_put16(r + 14, 1);
		q_put16(r + 16, 0x0800);
		r[18] = 6;
		r[19] = 4;
		q_put16(r + 20, 2);
		memcpy(r + 22, L[li].mac, 6);
		q_put32(r + 28, L[li].ip);
		memcpy(r + 32, a + 8, 10); /* sender MAC and IP become the target */
		send_frame(li, r, sizeof(r));
		return;
	}
	if (type != 0x0800 || n < (size_t)l3 + 20)
		return;
	ip = f + l3;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || n < (size_t)l3 + ihl + 8)
		return;
	l4 = ip + ihl;
	dip = q_get32(ip + 16);
	if (ip[9] == 17 && q_get16(l4 + 2) == Q_TEST_PORT && n >= (size_t)l3 + ihl + 20 &&
	    q_get32(l4 + 8) == Q_MAGIC) {
		on_test_frame(li, ip, l4);
		return;
	}
	if (dip != L[li].ip)
		return;
	if (ip[9] == 1 && l4[0] == 8) { /* echo request: answer to whoever sent it */
		size_t tot = q_get16(ip + 2);

		if (tot < ihl + 8 || (size_t)l3 + tot > n)
			return;
		if (J.kind == J_PING && li == J.dst && q_get16(l4 + 4) == (J.id & 0xffff))
			J.at_dst++;
		memcpy(f, f + 6, 6);
		memcpy(f + 6, L[li].mac, 6);
		q_put32(ip + 16, q_get32(ip + 12));
		q_put32(ip + 12, L[li].ip);
		ip[8] = 64;
		q_put16(ip + 10, 0);
		q_put16(ip + 10, q_csum(ip, ihl));
		l4[0] = 0;
		q_put16(l4 + 2, 0);
		q_put16(l4 + 2, q_csum(l4, tot - ihl));
		send_frame(li, f, n);
		return;
	}
	if (ip[9] == 1 && l4[0] == 0) {
		if (J.kind == J_PING && li == J.src && q_get16(l4 + 4) == (J.id & 0xffff)) {
			J.replies++;
			J.last_event = now_s();
		}
		return;
	}
	if (ip[9] == 17 && li == 0 && q_get16(l4 + 2) == Q_CTL_PORT) {
		char msg[512];
		size_t m = q_get16(l4 + 4);

		if (m < 8 || (size_t)(l4 - f) + m > n)
			return;
		m -= 8;
		if (m >= sizeof(msg))
			m = sizeof(msg) - 1;
		memcpy(msg, l4 + 8, m);
		msg[m] = 0;
		control(f + 6, q_get32(ip + 12), q_get16(l4), msg);
	}
}

static void drain(int li)
{
	static uint8_t bufs[BATCH][FRAME_MAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int i, n;

	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = FRAME_MAX;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(L[li].fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			if (tap[li] >= 0 && !ctl_frame(li, bufs[i], mm[i].msg_len)) {
				if (write(tap[li], bufs[i], mm[i].msg_len) < 0 && errno != EAGAIN)
					perror("eu-qpeer: write to the TAP");
				continue;
			}
			handle(li, bufs[i], mm[i].msg_len);
		}
	}
}

/* Send what the job's pace allows by now. */
static void job_send(double t)
{
	static uint8_t fr[BATCH][FRAME_MAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t due;
	uint32_t dip = L[J.dst].ip;
	int i, n;

	if (J.kind == J_PING) {
		due = (uint64_t)((t - J.t0) / 0.01) + 1;
		while (J.sent < J.count && J.sent < due) {
			send_ping(J.src, J.via, dip, (uint16_t)J.id, (uint16_t)J.sent);
			J.sent++;
			J.last_event = t;
		}
		return;
	}
	if (J.kind == J_BLAST && t > J.t0 + J.secs)
		return;
	due = (uint64_t)((t - J.t0) * J.pps) + 1;
	if (J.kind == J_UDP && due > J.count)
		due = J.count;
	for (int rounds = 0; J.sent < due && rounds < 16; rounds++) {
		n = (int)(due - J.sent < BATCH ? due - J.sent : BATCH);
		for (i = 0; i < n; i++) {
			size_t len = q_test_frame(fr[i], J.len, J.via, L[J.src].mac, J.vlan,
						  L[J.src].ip, dip, J.id, (uint32_t)(J.sent + i));

			iov[i].iov_base = fr[i];
			iov[i].iov_len = len;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &L[J.src].qemu;
			mm[i].msg_hdr.msg_namelen = sizeof(L[J.src].qemu);
		}
		n = sendmmsg(L[J.src].fd, mm, (unsigned int)n, 0);
		if (n <= 0)
			break;
		J.sent += (uint64_t)n;
		J.last_event = t;
	}
}

static void job_step(void)
{
	double t = now_s();

	if (J.kind == J_NONE)
		return;
	if (J.kind == J_TCP) {
		tcp_step(t);
		return;
	}
	job_send(t);
	switch (J.kind) {
	case J_PING:
		if (J.sent == J.count && (J.replies >= J.count || t - J.last_event > Q_QUIET))
			finish_job();
		break;
	case J_UDP:
		if (J.sent == J.count && (J.recv >= J.count || t - J.last_event > Q_QUIET))
			finish_job();
		break;
	default:
		if (t > J.t0 + J.secs + 0.5)
			finish_job();
		break;
	}
}

static int open_link(int li, int local, int qport, const uint8_t *mac, uint32_t ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int sz = 8 << 20;

	L[li].fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (L[li].fd < 0)
		return -1;
	setsockopt(L[li].fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(L[li].fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)local);
	if (bind(L[li].fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	L[li].qemu.sin_family = AF_INET;
	L[li].qemu.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	L[li].qemu.sin_port = htons((uint16_t)qport);
	L[li].mac = mac;
	L[li].ip = ip;
	return 0;
}

int main(int argc, char **argv)
{
	double end;

	if (argc < 5 || argc == 7) {
		fprintf(stderr,
			"usage: eu-qpeer A_LOCAL A_QEMU B_LOCAL B_QEMU [SECONDS [NETNS_A NETNS_B]]\n");
		return 2;
	}
	if (argc > 7) {
		netns[0] = argv[6];
		netns[1] = argv[7];
	}
	if (open_link(0, atoi(argv[1]), atoi(argv[2]), q_a_mac, Q_A_IP) ||
	    open_link(1, atoi(argv[3]), atoi(argv[4]), q_b_mac, Q_B_IP)) {
		perror("eu-qpeer: socket");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	end = now_s() + (argc > 5 ? atof(argv[5]) : 900);
	fprintf(stderr, "eu-qpeer: ready\n");
	while (!stop && now_s() < end) {
		/* a negative fd (no TAP open) is ignored by poll */
		struct pollfd p[4] = { { .fd = L[0].fd, .events = POLLIN },
				       { .fd = L[1].fd, .events = POLLIN },
				       { .fd = tap[0], .events = POLLIN },
				       { .fd = tap[1], .events = POLLIN } };

		poll(p, 4, J.kind == J_NONE ? 100 : J.kind == J_TCP ? 10 : 1);
		drain(0);
		drain(1);
		tap_drain(0);
		tap_drain(1);
		job_step();
	}
	if (J.kind == J_TCP)
		tcp_close();
	return 0;
}
