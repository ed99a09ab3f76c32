/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tools/europactl/fwd.c - europactl's commands for europa-fwd: route, neigh,
 * stats, ports and exec. Each sends one line of europa-fwd's command
 * language over its control socket and prints the answer as it arrives
 * (protocol: examples/ipv4fwd/fwd_ctl_proto.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "europactl.h"
#include "fwd_ctl_proto.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE   2
#define EXIT_CONNECT 3
#define REPLY_WAIT_S 60 /* a full table's `route show` takes a few seconds */

struct europactl_opts ctl_opts;

void fwd_usage(FILE *f)
{
	fprintf(f,
		"europa-fwd (socket: -s PATH, else $%s, else %s):\n"
		"  route add|replace ROUTE    e.g. route add 198.18.4.0/22 via 198.19.0.2 dev p1\n"
		"  route del ROUTE            e.g. route del 198.18.4.0/22\n"
		"  route show [[root|match] PREFIX] [dev PORT]\n"
		"                             e.g. route show root 198.18.0.0/15\n"
		"  route get ADDRESS          e.g. route get 198.18.4.7\n"
		"  neigh add A lladdr MAC dev PORT\n"
		"                             e.g. neigh add 198.19.0.2 lladdr 02:00:00:00:01:02 "
		"dev p1\n"
		"  neigh del A                e.g. neigh del 198.19.0.2\n"
		"  neigh show [dev PORT]      e.g. neigh show dev p1\n"
		"  stats [--json|--prom]      e.g. stats --prom (drops by reason, ARP, ICMP, "
		"ports)\n"
		"  ports                      e.g. ports --json (address, MAC, MTU, counters)\n"
		"  exec \"LINE\"                any command of europa-fwd's language,\n"
		"                             e.g. exec \"link set p1 mtu 1400\"\n",
		FWD_CTL_SOCKET_ENV, FWD_CTL_DEFAULT_SOCKET);
}

static const char *fwd_socket(void)
{
	const char *e = getenv(FWD_CTL_SOCKET_ENV);

	if (ctl_opts.socket)
		return ctl_opts.socket;
	return e && *e ? e : FWD_CTL_DEFAULT_SOCKET;
}

/*
 * `ports` is europad's command too. It is europa-fwd's when -s names a
 * SOCK_STREAM socket (europad's is SOCK_SEQPACKET), when EUROPA_FWD_SOCKET
 * is set, or when europad's default socket does not exist but europa-fwd's
 * does.
 */
int fwd_ports_is_fwd(void)
{
	const char *e = getenv(FWD_CTL_SOCKET_ENV);
	struct stat st;

	if (ctl_opts.socket) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		int fd, rc;

		if (strlen(ctl_opts.socket) >= sizeof(a.sun_path))
			return 0;
		strcpy(a.sun_path, ctl_opts.socket);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 0;
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		return rc;
	}
	if (e && *e)
		return 1;
	return stat(EU_CTL_DEFAULT_SOCKET, &st) < 0 && stat(FWD_CTL_DEFAULT_SOCKET, &st) == 0;
}

static int fwd_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = REPLY_WAIT_S};
	int fd, e;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "europactl: socket path %s is too long\n", path);
		exit(EXIT_USAGE);
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "europactl: socket: %s\n", strerror(errno));
		exit(EXIT_CONNECT);
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		e = errno;
		if (e == ENOENT)
			fprintf(stderr,
				"europactl: cannot connect to %s: no such socket: is "
				"europa-fwd running with --control %s? (name the socket with "
				"-s PATH or %s)\n",
				path, path, FWD_CTL_SOCKET_ENV);
		else if (e == ECONNREFUSED)
			fprintf(stderr,
				"europactl: cannot connect to %s: connection refused: the "
				"socket exists but nothing serves it (the europa-fwd that "
				"made it has ended?)\n",
				path);
		else if (e == EPROTOTYPE)
			fprintf(stderr,
				"europactl: cannot connect to %s: not europa-fwd's socket "
				"(a SOCK_SEQPACKET one, europad's?): give europa-fwd's with "
				"-s PATH\n",
				path);
		else if (e == EACCES)
			fprintf(stderr,
				"europactl: cannot connect to %s: permission denied: the "
				"socket is mode 0660: run as its owner, root, or a member of "
				"its group\n",
				path);
		else
			fprintf(stderr, "europactl: cannot connect to %s: %s\n", path, strerror(e));
		exit(EXIT_CONNECT);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int read_full(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send "FORMAT LINE", print the reply; returns the exit status. */
static int fwd_request(const char *path, const char *fmt, const char *line)
{
	char head[64], buf[65536];
	size_t hl = 0, len;
	int fd = fwd_connect(path), status, off = 0;
	char *req;

	if (asprintf(&req, "%s %s\n", fmt, line) < 0 || strlen(req) > FWD_CTL_LINE_MAX) {
		fprintf(stderr, "europactl: the command is longer than %d bytes\n",
			FWD_CTL_LINE_MAX - 8);
		exit(EXIT_USAGE);
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "europactl: sending to %s: %s\n", path, strerror(errno));
		exit(EXIT_CONNECT);
	}
	free(req);
	/* the header: "europa-fwd STATUS LENGTH\n", read a byte at a time (it is short) */
	while (hl < sizeof(head) - 1 && read_full(fd, head + hl, 1) == 0 && head[hl] != '\n')
		hl++;
	head[hl] = 0;
	if (sscanf(head, FWD_CTL_REPLY_TAG " %d %zu%n", &status, &len, &off) != 2 || !off) {
		fprintf(stderr, "europactl: no answer from %s%s\n", path,
			errno == EAGAIN ? " within 60 s (is europa-fwd stuck?)"
					: " (is it europa-fwd's control socket?)");
		exit(EXIT_CONNECT);
	}
	if (status)
		fputs("europactl: ", stderr);
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (read_full(fd, buf, n) < 0) {
			fprintf(stderr, "\neuropactl: the answer from %s was cut short\n", path);
			exit(EXIT_CONNECT);
		}
		fwrite(buf, 1, n, status ? stderr : stdout);
		len -= n;
	}
	close(fd);
	if (fflush(stdout) != 0)
		return EXIT_REFUSED;
	return status ? EXIT_REFUSED : 0;
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("europactl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	fwd_usage(stderr);
	return EXIT_USAGE;
}

static int is_one_of(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(w, *set) == 0)
			return 1;
	return 0;
}

int fwd_main(int argc, char **argv)
{
	static const char *const route_verbs[] = {"add",  "del",  "delete", "replace", "change",
						  "show", "list", "get",    NULL};
	static const char *const neigh_verbs[] = {"add",  "del",  "delete", "replace",
						  "show", "list", NULL};
	const char *cmd = argv[0], *fmt;
	char line[FWD_CTL_LINE_MAX], full[FWD_CTL_LINE_MAX + 8];
	size_t off = 0;
	int i, nw = 0, only_words = 0;

	line[0] = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!only_words && a[0] == '-' && a[1]) {
			if (strcmp(a, "--") == 0) {
				only_words = 1;
			} else if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
				ctl_opts.json = 1;
			} else if (strcmp(a, "-p") == 0 || strcmp(a, "--prom") == 0) {
				ctl_opts.prom = 1;
			} else if ((strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) &&
				   i + 1 < argc) {
				ctl_opts.socket = argv[++i];
			} else if (strncmp(a, "--socket=", 9) == 0) {
				ctl_opts.socket = a + 9;
			} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
				fwd_usage(stdout);
				return 0;
			} else {
				return usage_error("unknown option %s", a);
			}
			continue;
		}
		if (off + strlen(a) + 2 > sizeof(line))
			return usage_error("%s: the command is too long", cmd);
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", off ? " " : "", a);
		nw++;
	}
	if (ctl_opts.json && ctl_opts.prom)
		return usage_error("%s: give --json or --prom, not both", cmd);
	fmt = ctl_opts.json ? "json" : ctl_opts.prom ? "prom" : "text";
	if (strcmp(cmd, "exec") == 0) {
		if (!nw)
			return usage_error("%s: give the command line, e.g. exec \"route show\"",
					   cmd);
		return fwd_request(fwd_socket(), fmt, line);
	}
	if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "ports") == 0) {
		if (nw)
			return usage_error("unexpected argument to stats or ports: %s", line);
		if (ctl_opts.prom && strcmp(cmd, "ports") == 0)
			return usage_error("%s: --prom is for stats", cmd);
		return fwd_request(fwd_socket(), fmt, cmd);
	}
	if (ctl_opts.prom)
		return usage_error("%s: --prom is for stats", cmd);
	if (nw) {
		char verb[16];

		snprintf(verb, sizeof(verb), "%.*s", (int)strcspn(line, " "), line);
		if (!is_one_of(verb, strcmp(cmd, "route") == 0 ? route_verbs : neigh_verbs))
			return usage_error("unknown verb \"%s\"", verb);
	}
	snprintf(full, sizeof(full), "%s %s", cmd, nw ? line : "show");
	return fwd_request(fwd_socket(), fmt, full);
}
