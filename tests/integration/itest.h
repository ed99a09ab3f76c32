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
#include <stdint.h>
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

/*
 * A test frame of len bytes (>= 42), zeroed, then Ethernet (to dst, from src; a NULL
 * dst leaves those 6 bytes zero for the caller), IPv4 198.18.0.1 -> 198.19.0.<dlast>
 * (TTL 64, header checksum computed here, independently of the library under test)
 * and UDP sport -> dport without a checksum; the payload from byte 42 is the
 * caller's.
 */
static inline void it_udp_frame(unsigned char *f, unsigned len, const unsigned char *dst,
				const unsigned char src[6], unsigned char dlast, uint16_t sport,
				uint16_t dport)
{
	unsigned char *ip = f + 14, *udp = f + 34;
	uint32_t s = 0;
	int i;

	memset(f, 0, len);
	if (dst)
		memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (unsigned char)((len - 14) >> 8);
	ip[3] = (unsigned char)(len - 14);
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1;
	ip[16] = 198, ip[17] = 19, ip[18] = 0, ip[19] = dlast;
	for (i = 0; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (unsigned char)(~s >> 8);
	ip[11] = (unsigned char)~s;
	udp[0] = (unsigned char)(sport >> 8), udp[1] = (unsigned char)sport;
	udp[2] = (unsigned char)(dport >> 8), udp[3] = (unsigned char)dport;
	udp[4] = (unsigned char)((len - 34) >> 8);
	udp[5] = (unsigned char)(len - 34);
}

#endif
