/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-demo - two processes forwarding over one region, no NIC, no privileges.
 *
 * The parent plays the switch: it writes 64-byte UDP frames (198.18.0.0/15
 * addresses, a sequence number in the payload) into free slots and publishes
 * them on the VR's rx ring. The child is a VR: it receives bursts, forwards
 * each frame in place (swaps the MACs, decrements the TTL with an incremental
 * checksum update, RFC 1624) and transmits it. The parent drains the tx ring,
 * checks every frame (sequence, TTL, checksum), and frees the slot.
 *
 * Packets move by slot index; a state word per slot, not a system call,
 * hands each one over. The demo prints the rate each second and a summary,
 * and fails (exit 1) on any lost, duplicated, reordered or damaged frame.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>

#define FRAME_LEN 64
#define MAX_BURST 256

struct shared_ctl {
	volatile int stop;    /* parent -> child: finish */
	volatile int ready;   /* child -> parent: attached */
	uint64_t forwarded;   /* child: frames forwarded */
	uint64_t sleeps;      /* child: times it slept */
};

struct opts {
	double seconds;
	uint64_t packets;
	unsigned burst;
	unsigned slots;
	const char *where;
	int quiet;
	int busy;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Ethernet + IPv4 + UDP, 198.18.0.1 -> 198.19.0.1, TTL 64. */
static void make_template(uint8_t *f)
{
	static const uint8_t dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t c;

	memset(f, 0, FRAME_LEN);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = FRAME_LEN - 14;
	ip[8] = 64;  /* TTL */
	ip[9] = 17;  /* UDP */
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1;
	ip[16] = 198, ip[17] = 19, ip[18] = 0, ip[19] = 1;
	c = eu_ipv4_cksum(ip, 20); /* network byte order, as stored */
	memcpy(ip + 10, &c, sizeof(c));
	udp[0] = 0x30, udp[1] = 0x39; /* 12345 */
	udp[2] = 0x30, udp[3] = 0x3a;
	udp[5] = FRAME_LEN - 34;
}

/* The VR's work on one frame, in place: swap MACs, TTL - 1 (RFC 1624). */
static int forward_in_place(uint8_t *f)
{
	struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + 14);
	uint8_t mac[6];

	if (ip->ttl <= 1)
		return -1;
	memcpy(mac, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, mac, 6);
	eu_ipv4_ttl_dec(ip); /* incremental checksum update, RFC 1624 eqn. 3 */
	return 0;
}

static int vr_main(struct eu_region *r, struct shared_ctl *ctl, const struct opts *o)
{
	struct eu_vr vr;
	struct eu_poller poller;
	struct eu_poll_opts po = { .size = sizeof(po), .spin = 2048, .yield = 64 };
	__u32 idx[MAX_BURST];
	int err = eu_vr_init(&vr, r);

	if (!err)
		err = eu_poller_init(&poller, r, EU_RING_RX, o->busy ? NULL : &po);
	if (err) {
		fprintf(stderr, "eu-demo vr: %s\n", eu_last_error());
		return 1;
	}
	if (o->busy)
		poller.flags |= EU_POLL_F_BUSY;
	__atomic_store_n(&ctl->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		__u32 n = eu_vr_rx_burst(&vr, idx, o->burst), i, sent;

		if (!n) {
			if (__atomic_load_n(&ctl->stop, __ATOMIC_ACQUIRE))
				break;
			eu_poller_idle(&poller, &vr.rx, 100);
			continue;
		}
		eu_poller_busy(&poller);
		for (i = 0; i < n; i++)
			if (forward_in_place(eu_vr_data(&vr, idx[i])) < 0)
				eu_vr_desc(&vr, idx[i])->len = 0; /* switch drops it */
		for (sent = 0; sent < n;)
			sent += eu_vr_tx_burst(&vr, idx + sent, n - sent);
		__atomic_store_n(&ctl->forwarded, ctl->forwarded + n, __ATOMIC_RELAXED);
	}
	ctl->sleeps = eu_region_wake(r, EU_RING_RX)->sleeps;
	eu_vr_fini(&vr);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: eu-demo [options]\n"
		"\n"
		"Two processes forward 64-byte UDP frames over one libeuropa region: the\n"
		"parent is the switch (generates and checks frames), the child is a VR\n"
		"(forwards each frame in place). No NIC, no privileges needed.\n"
		"\n"
		"  -t, --seconds S   run for S seconds (default 3)\n"
		"  -n, --packets N   stop after N packets (default: no limit)\n"
		"  -b, --burst B     frames per burst, 1..%d (default 32)\n"
		"  -s, --slots N     slots in the pool (default 4096)\n"
		"  -r, --region R    where the region lives: memfd:NAME, anon, shm:/NAME\n"
		"                    (default memfd:eu-demo)\n"
		"      --busy        the VR busy-polls instead of sleeping when idle\n"
		"  -q, --quiet       no per-second progress\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit status: 0 when every frame came back intact and in order, 1 when one\n"
		"did not or the region could not be made, 2 for a bad option.\n",
		MAX_BURST);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "packets", required_argument, NULL, 'n' },
		{ "burst", required_argument, NULL, 'b' },
		{ "slots", required_argument, NULL, 's' },
		{ "region", required_argument, NULL, 'r' },
		{ "busy", no_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	*o = (struct opts){ .seconds = 3, .burst = 32, .slots = 4096, .where = "memfd:eu-demo" };
	while ((c = getopt_long(argc, argv, "t:n:b:s:r:qh", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			o->seconds = strtod(optarg, &end);
			if (*end || o->seconds <= 0 || o->seconds > 3600) {
				fprintf(stderr, "eu-demo: --seconds wants 0 < S <= 3600, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'n':
			o->packets = strtoull(optarg, &end, 10);
			if (*end || !o->packets) {
				fprintf(stderr, "eu-demo: --packets wants a positive count, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			o->burst = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->burst < 1 || o->burst > MAX_BURST) {
				fprintf(stderr, "eu-demo: --burst wants 1..%d, not '%s'\n", MAX_BURST,
					optarg);
				return 2;
			}
			break;
		case 's':
			o->slots = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->slots < 2 * MAX_BURST || o->slots > EU_MAX_SLOTS) {
				fprintf(stderr, "eu-demo: --slots wants %d..%u, not '%s'\n",
					2 * MAX_BURST, EU_MAX_SLOTS, optarg);
				return 2;
			}
			break;
		case 'r':
			o->where = optarg;
			break;
		case 'B':
			o->busy = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "eu-demo: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	return 0;
}

static __u64 rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

int main(int argc, char **argv)
{
	struct opts o;
	struct eu_region_opts ro;
	struct eu_region *r;
	struct shared_ctl *ctl;
	struct eu_sw sw;
	struct eu_txpkt pk[MAX_BURST];
	__u32 idx[MAX_BURST];
	uint8_t tmpl[FRAME_LEN];
	uint64_t next_seq = 0, want_seq = 0, bad = 0, dropped_full = 0;
	double t0, tlast, t;
	uint64_t last_rx = 0;
	__u64 c0, c1;
	struct eu_audit a;
	int status = 0, rc, pid;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	eu_region_opts_default(&ro);
	ro.nslots = o.slots;
	ro.flags = EU_REGION_O_UNLINK;
	r = eu_region_create(o.where, &ro);
	if (!r) {
		fprintf(stderr, "eu-demo: %s\n", eu_last_error());
		return 1;
	}
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED) {
		perror("eu-demo: mmap");
		return 1;
	}
	if (eu_sw_init(&sw, r)) {
		fprintf(stderr, "eu-demo: %s\n", eu_last_error());
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("eu-demo: fork");
		return 1;
	}
	if (pid == 0)
		_exit(vr_main(r, ctl, &o));
	while (!__atomic_load_n(&ctl->ready, __ATOMIC_ACQUIRE)) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "eu-demo: the VR process exited before attaching\n");
			return 1;
		}
		usleep(1000);
	}
	make_template(tmpl);
	printf("eu-demo: libeuropa %s, region %s, %u slots of %u bytes, burst %u, %s VR\n",
	       eu_version(), o.where, o.slots, eu_region_header(r)->slot_size, o.burst,
	       o.busy ? "busy-polling" : "adaptive-polling");
	t0 = tlast = now_s();
	c0 = rdtsc();
	for (;;) {
		__u32 n, m, i;
		int more = !o.packets || next_seq < o.packets;

		t = now_s();
		if (t - t0 >= o.seconds)
			more = 0;
		if (more) {
			/* switch receive path: write frames into free slots, publish */
			n = eu_sw_rx_alloc(&sw, idx, o.burst);
			for (i = 0; i < n; i++) {
				struct eu_desc *d = eu_sw_desc(&sw, idx[i]);
				uint8_t *f = eu_sw_buf(&sw, idx[i]) + d->off;

				memcpy(f, tmpl, FRAME_LEN);
				memcpy(f + 42, &next_seq, sizeof(next_seq));
				d->len = FRAME_LEN;
				d->port = 0;
				next_seq++;
			}
			m = eu_sw_rx_publish(&sw, idx, n);
			if (m < n) { /* cannot happen with ring size >= slots; count it */
				dropped_full += n - m;
				eu_sw_free_burst(&sw, idx + m, n - m);
			}
		}
		/* switch transmit path: take what the VR sent, check it, free it */
		n = eu_sw_tx_burst(&sw, pk, o.burst);
		for (i = 0; i < n; i++) {
			const uint8_t *f = eu_sw_buf(&sw, pk[i].idx) + pk[i].off;
			uint64_t seq;

			memcpy(&seq, f + 42, sizeof(seq));
			if (seq != want_seq || pk[i].len != FRAME_LEN || f[14 + 8] != 63 ||
			    eu_ipv4_cksum(f + 14, 20) != 0 || f[5] != 0x01) {
				if (bad++ < 5)
					fprintf(stderr, "eu-demo: bad frame: seq %" PRIu64
							" (expected %" PRIu64 "), ttl %u\n",
						seq, want_seq, f[14 + 8]);
			}
			want_seq = seq + 1;
			idx[i] = pk[i].idx;
		}
		eu_sw_free_burst(&sw, idx, n);
		if (!more && want_seq + dropped_full >= next_seq)
			break;
		if (!more && t - t0 > o.seconds + 5) {
			fprintf(stderr, "eu-demo: %" PRIu64 " frames did not come back\n",
				next_seq - want_seq);
			bad++;
			break;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "eu-demo: the VR process died (status 0x%x)\n", status);
			pid = -1;
			bad++;
			break;
		}
		if (!o.quiet && t - tlast >= 1.0) {
			printf("  %5.1f s  %8.2f Mpps  %12" PRIu64 " frames forwarded\n", t - t0,
			       (double)(want_seq - last_rx) / (t - tlast) / 1e6, want_seq);
			fflush(stdout);
			last_rx = want_seq;
			tlast = t;
		}
	}
	c1 = rdtsc();
	t = now_s() - t0;
	__atomic_store_n(&ctl->stop, 1, __ATOMIC_RELEASE);
	eu_wake_signal(eu_region_wake(r, EU_RING_RX), eu_region_wake_fd(r, EU_RING_RX));
	if (pid > 0 && (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
			WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "eu-demo: the VR process failed (status 0x%x)\n", status);
		bad++;
	}
	if (pid < 0)
		eu_sw_reclaim(&sw);
	eu_region_audit(r, &a);
	printf("eu-demo: %" PRIu64 " frames in %.2f s: %.2f Mpps, %.0f TSC cycles per frame "
	       "(both sides, both directions)\n",
	       want_seq, t, (double)want_seq / t / 1e6,
	       want_seq ? (double)(c1 - c0) / (double)want_seq : 0.0);
	printf("eu-demo: lost/damaged %" PRIu64 ", ring-full drops %" PRIu64
	       ", VR slept %" PRIu64 " times; slots: %u total, %u VR, %u switch, %u in flight%s\n",
	       bad, dropped_full, ctl->sleeps, a.total, a.owned[EU_SIDE_VR],
	       a.owned[EU_SIDE_SWITCH], a.in_flight, a.consistent ? "" : " (INCONSISTENT)");
	eu_sw_fini(&sw);
	eu_region_destroy(r);
	if (bad || !a.consistent || a.in_flight) {
		fprintf(stderr, "eu-demo: FAILED\n");
		return 1;
	}
	printf("eu-demo: OK, every frame came back intact and in order\n");
	return 0;
}
