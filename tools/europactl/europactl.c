/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europactl - control europad and europa-fwd.
 *
 * europad's commands (show, ports, vrs, get) ask europad over its control
 * socket (lib/ctl_proto.h); europad answers between two switch rounds, from
 * counters the fast path keeps anyway, so asking costs the fast path nothing
 * but that one answer.
 *
 * europa-fwd's commands (route, neigh, stats, ports, exec) send one line of
 * europa-fwd's command language over its control socket
 * (examples/ipv4fwd/fwd_ctl_proto.h) and print the answer. Subcommands with
 * options of their own are dispatched from the table in main().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include <europa/error.h>

#include "ctl_proto.h"
#include "europactl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: europactl [OPTIONS] [COMMAND [ARGS]]\n"
		"Show the state of a running europad, or control a running europa-fwd.\n"
		"\n"
		"europad (socket: -s PATH, default %s):\n"
		"  show           ports and VRs with their counters (the default)\n"
		"  ports          the ports only (europa-fwd's, see below, if europad is not running)\n"
		"  vrs            the VRs only\n"
		"  get KEY...     one value per KEY, a dotted path into the JSON document;\n"
		"                 list entries by name or index, e.g.\n"
		"                 vrs.vr1.counters.rx_frames, ports.0.driver.tx_frames,\n"
		"                 vrs.vr1.audit.free\n"
		"\n"
		"kernel switch: kdev [stats] [--device DEV] [--json]  europa.ko's counters\n"
		"\n",
		EU_CTL_DEFAULT_SOCKET);
	fwd_usage(f);
	fprintf(f,
		"\n"
		"Options (before or after the command):\n"
		"  -s, --socket PATH   the control socket to talk to\n"
		"  -j, --json          print JSON (show, ports, vrs; route, neigh, stats)\n"
		"  -p, --prom          stats in the Prometheus text format\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 done; 1 refused (the reason is printed); 2 bad command line;\n"
		"3 cannot connect (no socket, nobody serving it, or not allowed).\n");
}

static json_object *ask(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	struct eu_ctl_req q;
	json_object *j, *err;
	char *buf;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "europactl: socket path %s is too long\n", path);
		exit(2);
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "europactl: cannot connect to %s: %s%s\n", path, strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ?
				" (is europad running? name its socket with -s PATH)" :
			errno == EPROTOTYPE ?
				" (not europad's socket: europa-fwd's? its commands are route, "
				"neigh, stats, ports, exec)" : "");
		exit(3);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&q, 0, sizeof(q));
	q.magic = EU_CTL_MAGIC;
	q.version = EU_CTL_VERSION;
	q.op = EU_CTL_SHOW;
	q.pid = (__u32)getpid();
	if (send(fd, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q)) {
		fprintf(stderr, "europactl: send to %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	if (n <= 0 || (size_t)n > EU_CTL_SHOW_MAX) {
		fprintf(stderr, "europactl: no answer from %s%s\n", path,
			n < 0 && errno == EAGAIN ? " in 5 s (is europad stuck?)" : "");
		exit(1);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || recv(fd, buf, (size_t)n, 0) != n) {
		fprintf(stderr, "europactl: reading the answer failed\n");
		exit(1);
	}
	buf[n] = 0;
	close(fd);
	j = json_tokener_parse(buf);
	free(buf);
	if (!j) {
		fprintf(stderr, "europactl: europad's answer is not JSON (a different version?)\n");
		exit(1);
	}
	if (json_object_object_get_ex(j, "error", &err)) {
		fprintf(stderr, "europactl: europad refused: %s\n", json_object_get_string(err));
		exit(1);
	}
	return j;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static uint64_t u(json_object *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = get(o, tok);
	return o ? json_object_get_uint64(o) : 0;
}

static const char *s(json_object *o, const char *k)
{
	json_object *v = get(o, k);

	return v ? json_object_get_string(v) : "";
}

static void print_ports(json_object *root)
{
	json_object *ports = get(root, "ports");
	size_t i, n = ports ? json_object_array_length(ports) : 0;

	printf("%-4s %-10s %-22s %-14s %12s %12s %8s %6s %8s %10s %10s\n", "PORT", "NAME",
	       "DEVICE", "MODE", "RX", "TX", "NO-VR", "RUNT", "STALLED", "DRV-RXDROP",
	       "DRV-TXDROP");
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(ports, i);

		printf("%-4" PRIu64 " %-10s %-22s %-14s %12" PRIu64 " %12" PRIu64 " %8" PRIu64
		       " %6" PRIu64 " %8" PRIu64 " %10" PRIu64 " %10" PRIu64 "%s\n",
		       u(p, "index"), s(p, "name"), s(p, "port"), s(p, "mode"),
		       u(p, "switch.rx_frames"), u(p, "switch.tx_frames"), u(p, "switch.rx_no_vr"),
		       u(p, "switch.rx_runt"), u(p, "switch.tx_stalled"), u(p, "driver.rx_dropped"),
		       u(p, "driver.tx_dropped"),
		       json_object_get_boolean(get(p, "receiving")) ? "" : "  (waits for VRs)");
	}
}

static void print_vrs(json_object *root)
{
	json_object *vrs = get(root, "vrs");
	size_t i, n = vrs ? json_object_array_length(vrs) : 0;

	printf("%-3s %-10s %-9s %7s %12s %12s %7s %9s %8s %8s %8s %9s  %s\n", "VR", "NAME", "STATE",
	       "PID", "RX", "TX", "DOWN", "RING-FULL", "NO-SLOT", "TOO-LONG", "BAD-DESC",
	       "RECLAIMED", "SLOTS free/vr/sw/flight");
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(vrs, i);
		json_object *rules = get(v, "rules");
		size_t k, nr = rules ? json_object_array_length(rules) : 0;

		printf("%-3" PRIu64 " %-10s %-9s %7" PRIu64 " %12" PRIu64 " %12" PRIu64 " %7" PRIu64
		       " %9" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %9" PRIu64
		       "  %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "%s\n",
		       u(v, "index"), s(v, "name"), s(v, "state"), u(v, "pid"),
		       u(v, "counters.rx_frames"), u(v, "counters.tx_frames"),
		       u(v, "counters.drop_down"), u(v, "counters.drop_ring_full"),
		       u(v, "counters.drop_no_slot"), u(v, "counters.drop_too_long"),
		       u(v, "counters.bad_desc"), u(v, "counters.reclaimed"), u(v, "audit.free"),
		       u(v, "audit.vr_owned") - u(v, "audit.VR_FREE"),
		       u(v, "audit.switch_owned") - u(v, "audit.SW_FREE"), u(v, "audit.in_flight"),
		       json_object_get_boolean(get(v, "default")) ? "  default" : "");
		for (k = 0; k < nr; k++)
			printf("      rule: %s\n",
			       json_object_get_string(json_object_array_get_idx(rules, k)));
		if (u(v, "counters.bad_desc"))
			printf("      bad: idx %" PRIu64 " owner %" PRIu64 " state %" PRIu64
			       " len %" PRIu64 " port %" PRIu64 "\n",
			       u(v, "counters.bad_idx"), u(v, "counters.bad_owner"),
			       u(v, "counters.bad_state"), u(v, "counters.bad_len"),
			       u(v, "counters.bad_port"));
	}
}

/* Follow a dotted path; a list entry is found by its "name" or by its index. */
static json_object *walk(json_object *o, const char *path)
{
	char *buf = strdup(path), *save = NULL, *tok;

	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			size_t i, n = json_object_array_length(o);
			json_object *hit = NULL;
			char *end;
			unsigned long k = strtoul(tok, &end, 10);

			for (i = 0; i < n && !hit; i++) {
				json_object *e = json_object_array_get_idx(o, i);
				json_object *nm = get(e, "name");

				if (nm && strcmp(json_object_get_string(nm), tok) == 0)
					hit = e;
			}
			if (!hit && *tok && !*end && k < n)
				hit = json_object_array_get_idx(o, k);
			o = hit;
		} else if (json_object_is_type(o, json_type_object)) {
			o = get(o, tok);
		} else {
			o = NULL;
		}
	}
	free(buf);
	return o;
}

/*
 * Subcommands that take their own arguments and options: fn(argc, argv) gets
 * argv[0] = the command's name. Global options given before the command are
 * in ctl_opts (europactl.h).
 */
int europactl_kdev(int argc, char **argv); /* kdev.c: the kernel switch, europa.ko */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subcmds[] = {
	{ "route", fwd_main },
	{ "neigh", fwd_main },
	{ "stats", fwd_main },
	{ "exec", fwd_main },
	{ "kdev", europactl_kdev },
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "prom", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = EU_CTL_DEFAULT_SOCKET, *cmd = "show";
	json_object *root;
	int json = 0, o, rc = 0;
	size_t k;

	/* global options, up to the command ("+": stop there) */
	while ((o = getopt_long(argc, argv, "+s:jpVh", lo, NULL)) != -1) {
		switch (o) {
		case 's':
			ctl_opts.socket = optarg;
			break;
		case 'j':
			ctl_opts.json = 1;
			break;
		case 'p':
			ctl_opts.prom = 1;
			break;
		case 'V':
			printf("europactl %s\n", eu_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		for (k = 0; k < sizeof(subcmds) / sizeof(subcmds[0]); k++)
			if (strcmp(argv[optind], subcmds[k].name) == 0)
				return subcmds[k].fn(argc - optind, argv + optind);
		if (strcmp(argv[optind], "ports") == 0 && fwd_ports_is_fwd())
			return fwd_main(argc - optind, argv + optind);
	}
	/* europad's commands: options may also follow the command */
	if (ctl_opts.socket)
		sock = ctl_opts.socket;
	json = ctl_opts.json;
	optind = 0; /* rescan from the start, options after the command too */
	while ((o = getopt_long(argc, argv, "s:jpVh", lo, NULL)) != -1) {
		switch (o) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'p':
			fprintf(stderr, "europactl: --prom is for europa-fwd's stats\n");
			return 2;
		case 'V':
			printf("europactl %s\n", eu_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (strcmp(cmd, "show") && strcmp(cmd, "ports") && strcmp(cmd, "vrs") &&
	    strcmp(cmd, "get")) {
		fprintf(stderr, "europactl: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "get") == 0 && optind == argc) {
		fprintf(stderr, "europactl: get needs a KEY, e.g. vrs.vr1.counters.rx_frames\n");
		return 2;
	}
	root = ask(sock);
	if (strcmp(cmd, "get") == 0) {
		for (; optind < argc; optind++) {
			json_object *v = walk(root, argv[optind]);

			if (!v) {
				fprintf(stderr, "europactl: no value at %s\n", argv[optind]);
				rc = 1;
				continue;
			}
			if (json_object_is_type(v, json_type_object) ||
			    json_object_is_type(v, json_type_array))
				printf("%s\n", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
			else
				printf("%s\n", json_object_get_string(v));
		}
	} else if (json) {
		json_object *part = strcmp(cmd, "show") == 0 ? root : get(root, cmd);

		printf("%s\n", json_object_to_json_string_ext(part, JSON_C_TO_STRING_PRETTY |
									    JSON_C_TO_STRING_SPACED));
	} else {
		json_object *d = get(root, "europad");

		if (strcmp(cmd, "show") == 0)
			printf("europad %s, pid %" PRIu64 ", up %.0f s, %s, socket %s\n\n",
			       s(d, "version"), u(d, "pid"),
			       json_object_get_double(get(d, "uptime_s")), s(d, "config"),
			       s(d, "socket"));
		if (strcmp(cmd, "vrs"))
			print_ports(root);
		if (strcmp(cmd, "show") == 0)
			printf("\n");
		if (strcmp(cmd, "ports"))
			print_vrs(root);
	}
	json_object_put(root);
	return rc;
}
