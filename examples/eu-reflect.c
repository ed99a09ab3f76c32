/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-reflect - a trivial VR, for tests and as the smallest example of the
 * VR API (open.h): open by name, receive a burst, change each frame in
 * place, transmit the burst.
 *
 *   eu-reflect [OPTIONS] NAME       NAME: europad:SOCK#VR, inproc:PORT[;PORT], kdev:...
 *
 * Modes:
 *   reflect  (default) swap the MAC addresses, send back on the ingress port
 *            (or on --to PORT)
 *   forward  send on another port (--to, else port 1 - ingress), with the
 *            destination MAC given for that port (--dst-mac), the port's own
 *            MAC as source, and the IPv4 TTL decremented (a router's rewrite)
 *   sink     count and drop
 *
 * Prints "eu-reflect: rx N tx N dropped N foreign N" on exit (SIGINT, SIGTERM,
 * --count frames, or --idle-exit ms without a frame); exits 1 if a frame to
 * another MAC than --expect-mac arrived.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>
#include <europa/open.h>

#define MAX_BURST 256
#define MAX_PORTS 64

enum mode { M_REFLECT, M_FORWARD, M_SINK };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: eu-reflect [OPTIONS] NAME\n"
		"A trivial VR. NAME: europad:[SOCKET]#VR, inproc:PORT[;PORT...], kdev:...\n"
		"\n"
		"  -m, --mode MODE        reflect (default): swap MACs, out the ingress port (or --to)\n"
		"                         forward: out --to PORT (or 1 - ingress), MACs set, TTL - 1\n"
		"                         sink: count and drop\n"
		"  -t, --to PORT          egress port index\n"
		"  -d, --dst-mac PORT=MAC forward: destination MAC of frames sent on PORT\n"
		"  -M, --manual           inproc: run the switch in this loop, no thread\n"
		"  -n, --count N          exit after N frames\n"
		"  -i, --idle-exit MS     exit after MS milliseconds without a frame\n"
		"  -b, --burst N          frames per burst (default 64)\n"
		"  -s, --slots N          inproc: slots in the pool (default 4096)\n"
		"  -e, --expect-mac MAC   count and drop frames to another MAC (\"foreign\")\n"
		"      --busy             never sleep (inproc: nor the switch thread)\n"
		"  -q, --quiet            no summary line\n"
		"  -h, --help             this text\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "to", required_argument, NULL, 't' },
		{ "dst-mac", required_argument, NULL, 'd' },
		{ "manual", no_argument, NULL, 'M' },
		{ "count", required_argument, NULL, 'n' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "burst", required_argument, NULL, 'b' },
		{ "slots", required_argument, NULL, 's' },
		{ "expect-mac", required_argument, NULL, 'e' },
		{ "busy", no_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char dst_mac[MAX_PORTS][6], src_mac[MAX_PORTS][6];
	int have_dst[MAX_PORTS] = { 0 };
	unsigned char expect[6];
	int have_expect = 0;
	uint64_t foreign = 0;
	struct eu_vr_open_opts oo;
	struct eu_region_opts ro;
	struct eu_switch_opts so;
	struct eu_vr *vr;
	enum mode mode = M_REFLECT;
	uint64_t count = 0, rx = 0, tx = 0, dropped = 0;
	double idle_exit = 0, last;
	unsigned burst = 64, slots = 0, nports, i;
	int to = -1, quiet = 0, c;
	__u32 idx[MAX_BURST], out[MAX_BURST], drop[MAX_BURST];

	eu_vr_open_opts_default(&oo);
	eu_switch_opts_default(&so);
	while ((c = getopt_long(argc, argv, "m:t:d:Mn:i:b:s:e:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "reflect") == 0)
				mode = M_REFLECT;
			else if (strcmp(optarg, "forward") == 0)
				mode = M_FORWARD;
			else if (strcmp(optarg, "sink") == 0)
				mode = M_SINK;
			else {
				fprintf(stderr, "eu-reflect: unknown mode \"%s\" (reflect, forward, "
						"sink)\n", optarg);
				return 2;
			}
			break;
		case 't':
			to = atoi(optarg);
			if (to < 0 || to >= MAX_PORTS) {
				fprintf(stderr, "eu-reflect: --to %s: not a port index\n", optarg);
				return 2;
			}
			break;
		case 'd': {
			char *eq = strchr(optarg, '=');
			int p = atoi(optarg);

			if (!eq || p < 0 || p >= MAX_PORTS ||
			    eu_ether_parse_mac(eq + 1, dst_mac[p], NULL) < 0) {
				fprintf(stderr, "eu-reflect: --dst-mac %s: write PORT=MAC, e.g. "
						"1=02:00:00:00:00:02\n", optarg);
				return 2;
			}
			have_dst[p] = 1;
			break;
		}
		case 'M':
			oo.flags |= EU_VR_OPEN_F_MANUAL;
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 'i':
			idle_exit = atof(optarg);
			break;
		case 'b':
			burst = (unsigned)atoi(optarg);
			if (burst < 1 || burst > MAX_BURST) {
				fprintf(stderr, "eu-reflect: --burst must be 1..%d\n", MAX_BURST);
				return 2;
			}
			break;
		case 's':
			slots = (unsigned)atoi(optarg);
			break;
		case 'B':
			so.flags |= EU_SWITCH_O_BUSY;
			break;
		case 'e':
			if (eu_ether_parse_mac(optarg, expect, NULL) < 0) {
				fprintf(stderr, "eu-reflect: --expect-mac %s: not a MAC address\n",
					optarg);
				return 2;
			}
			have_expect = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	eu_region_opts_default(&ro);
	if (slots)
		ro.nslots = slots;
	oo.region = &ro;
	oo.sw = &so;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	vr = eu_vr_open(argv[optind], &oo);
	if (!vr) {
		fprintf(stderr, "eu-reflect: %s\n", eu_last_error());
		return 1;
	}
	nports = eu_vr_nports(vr);
	for (i = 0; i < nports && i < MAX_PORTS; i++) {
		struct eu_vr_port_info pi;

		eu_vr_port(vr, i, &pi);
		memcpy(src_mac[i], pi.mac, 6);
	}
	if (!quiet)
		fprintf(stderr, "eu-reflect: %s: attached (%s switch, %u ports)\n", argv[optind],
			eu_vr_switch_kind(vr), nports);

	last = now_ms();
	while (!stop && (!count || rx < count)) {
		unsigned n, k = 0, nd = 0, sent;

		eu_vr_poll(vr);
		n = eu_vr_rx_burst(vr, idx, burst);
		if (!n) {
			if (idle_exit > 0 && now_ms() - last > idle_exit)
				break;
			if (eu_vr_idle(vr, 100) == 0 && !eu_vr_switch_alive(vr)) {
				fprintf(stderr, "eu-reflect: the switch went away\n");
				break;
			}
			continue;
		}
		last = now_ms();
		rx += n;
		for (i = 0; i < n; i++) {
			struct eu_desc *d = eu_vr_desc(vr, idx[i]);
			unsigned char *f = eu_vr_data(vr, idx[i]);
			unsigned char tmp[6];

			if (mode == M_SINK || d->len < 14) {
				drop[nd++] = idx[i];
				continue;
			}
			if (have_expect && memcmp(f, expect, 6)) {
				foreign++; /* not ours: the switch classified it wrong */
				drop[nd++] = idx[i];
				continue;
			}
			if (mode == M_REFLECT) {
				memcpy(tmp, f, 6);
				memcpy(f, f + 6, 6);
				memcpy(f + 6, tmp, 6);
				if (to >= 0)
					d->port = (__u16)to;
				out[k++] = idx[i];
				continue;
			}
			/* forward */
			{
				unsigned eg = to >= 0 ? (unsigned)to : (d->port ^ 1U);
				unsigned off = 14;

				if (eg >= nports || eg >= MAX_PORTS) {
					drop[nd++] = idx[i];
					continue;
				}
				if (d->len >= 18 && f[12] == 0x81 && f[13] == 0x00)
					off = 18;
				if (d->len >= off + 20 && f[off - 2] == 0x08 && f[off - 1] == 0x00) {
					struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + off);

					if (ip->ttl <= 1) {
						drop[nd++] = idx[i];
						continue;
					}
					eu_ipv4_ttl_dec(ip);
				}
				if (have_dst[eg])
					memcpy(f, dst_mac[eg], 6);
				memcpy(f + 6, src_mac[eg], 6);
				d->port = (__u16)eg;
				out[k++] = idx[i];
			}
		}
		sent = eu_vr_tx_burst(vr, out, k);
		tx += sent;
		if (sent < k) {
			eu_vr_free_burst(vr, out + sent, k - sent);
			dropped += k - sent;
		}
		if (nd) {
			eu_vr_free_burst(vr, drop, nd);
			dropped += nd;
		}
	}
	eu_vr_close(vr);
	if (!quiet)
		fprintf(stderr, "eu-reflect: rx %" PRIu64 " tx %" PRIu64 " dropped %" PRIu64
			" foreign %" PRIu64 "\n", rx, tx, dropped, foreign);
	return foreign ? 1 : 0;
}
