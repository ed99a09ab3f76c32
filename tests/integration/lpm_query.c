/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lpm_query - answer route lookups from eu_lpm, for comparison with the
 * kernel's `ip route get` (tests/integration/lpm_vs_kernel.sh).
 *
 *   lpm_query ROUTES [DELETIONS] < destinations
 *
 * ROUTES: routes in `ip route` syntax ("198.18.4.0/22 via 198.19.0.2 dev
 * p1"), one a line; each distinct (gateway, device) pair becomes a next hop
 * id. DELETIONS (optional): lines whose prefix is then deleted with
 * eu_lpm_del() (the rest of each line is ignored). Then one IPv4 address a
 * line on standard input; for each, one line on standard output:
 *
 *   A.B.C.D via GW dev DEV      (the longest matching route)
 *   A.B.C.D unreachable         (no route)
 *
 * Lookups go through eu_lpm_lookup_burst() in bursts of 32, inside the RCU
 * read lock. Exit status 0, or 1 with a message on a bad line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <europa/europa.h>

#define MAX_NH 4096
#define BURST 32

struct nexthop {
	__u32 via;
	int has_via;
	char dev[EU_IPV4_DEV_MAX];
};

static struct nexthop nhs[MAX_NH];
static unsigned nnh;

static unsigned nh_id(const struct eu_ipv4_route *r)
{
	unsigned i;

	for (i = 0; i < nnh; i++)
		if (nhs[i].has_via == r->has_via && nhs[i].via == r->via &&
		    strcmp(nhs[i].dev, r->dev) == 0)
			return i;
	if (nnh == MAX_NH) {
		fprintf(stderr, "lpm_query: more than %d next hops\n", MAX_NH);
		exit(1);
	}
	nhs[nnh].via = r->via;
	nhs[nnh].has_via = r->has_via;
	strcpy(nhs[nnh].dev, r->dev);
	return nnh++;
}

static FILE *open_or_die(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "lpm_query: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static unsigned load(struct eu_lpm *lpm, const char *path, int del)
{
	FILE *f = open_or_die(path);
	char line[512];
	unsigned lineno = 0, n = 0;

	while (fgets(line, sizeof(line), f)) {
		struct eu_ipv4_route r;
		int rc = eu_ipv4_route_parse(line, &r);

		lineno++;
		if (rc == 0)
			continue;
		if (rc < 0) {
			fprintf(stderr, "lpm_query: %s:%u: %s\n", path, lineno, eu_last_error());
			exit(1);
		}
		if (r.type != EU_IPV4_RT_UNICAST)
			continue;
		rc = del ? eu_lpm_del(lpm, r.prefix, r.len)
			 : eu_lpm_add(lpm, r.prefix, r.len, nh_id(&r));
		if (rc < 0) {
			fprintf(stderr, "lpm_query: %s:%u: %s\n", path, lineno, eu_last_error());
			exit(1);
		}
		n++;
	}
	fclose(f);
	return n;
}

static void answer(struct eu_lpm *lpm, const __u32 *addr, unsigned n)
{
	__u32 nh[BURST];
	unsigned i;

	eu_lpm_read_lock();
	eu_lpm_lookup_burst(lpm, addr, nh, n);
	eu_lpm_read_unlock();
	for (i = 0; i < n; i++) {
		char a[EU_IPV4_ADDR_STRLEN], g[EU_IPV4_ADDR_STRLEN];

		eu_ipv4_format(addr[i], a);
		if (nh[i] == EU_LPM_MISS) {
			printf("%s unreachable\n", a);
		} else {
			const struct nexthop *x = &nhs[nh[i]];

			printf("%s", a);
			if (x->has_via)
				printf(" via %s", eu_ipv4_format(x->via, g));
			if (x->dev[0])
				printf(" dev %s", x->dev);
			printf("\n");
		}
	}
}

int main(int argc, char **argv)
{
	struct eu_lpm *lpm;
	char line[128];
	__u32 addr[BURST];
	unsigned n = 0, loaded, deleted = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: lpm_query ROUTES [DELETIONS] < destinations\n");
		return 2;
	}
	lpm = eu_lpm_create(NULL);
	if (!lpm) {
		fprintf(stderr, "lpm_query: %s\n", eu_last_error());
		return 1;
	}
	loaded = load(lpm, argv[1], 0);
	if (argc == 3)
		deleted = load(lpm, argv[2], 1);
	fprintf(stderr, "lpm_query: %u routes loaded, %u deleted, %u next hops\n", loaded, deleted,
		nnh);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (!line[0])
			continue;
		if (eu_ipv4_parse_addr(line, &addr[n]) < 0) {
			fprintf(stderr, "lpm_query: %s\n", eu_last_error());
			eu_lpm_destroy(lpm);
			return 1;
		}
		if (++n == BURST) {
			answer(lpm, addr, n);
			n = 0;
		}
	}
	answer(lpm, addr, n);
	eu_lpm_destroy(lpm);
	return 0;
}
