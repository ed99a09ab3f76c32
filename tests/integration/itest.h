/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/integration/itest.h - helpers the integration test programs share (each
 * *.c here is a program of its own; a header is not one). Define _GNU_SOURCE
 * before any include (setns).
 */
#ifndef EU_ITEST_H
#define EU_ITEST_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before any include (setns)"
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC, in seconds. */
static inline double it_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Move the calling thread into network namespace `ns` (/run/netns/NS, as
 * `ip netns add` makes it); NULL or "" stays where it is. 0, or -1 after a
 * message on stderr that starts with `prog`.
 */
static inline int it_enter_ns(const char *prog, const char *ns)
{
	char path[256];
	int fd;

	if (!ns || !*ns)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: no network namespace %s: %s\n", prog, ns, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "%s: setns %s: %s\n", prog, ns, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

#endif
