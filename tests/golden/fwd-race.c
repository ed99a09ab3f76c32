/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwd-race - the router's threading contract (examples/ipv4fwd/router.h) under
 * load: one forwarding thread routes generated traffic on an in-process
 * region, calling fwd_router_rx_burst() and fwd_router_tick(), while a control
 * thread adds and deletes routes, adds and deletes a neighbour that traffic
 * needs, changes a port's MTU, and reads the counters and both tables.
 * Meant to run under TSan (build with -DEU_SANITIZE=thread): any data race
 * fails the test there. In every build it checks that every received frame
 * is accounted for at the end:
 *
 *   rx == fwd + local + drops - drop_made (all reasons but icmp_rate and
 *   no_slot, which count messages the router did not make, not received
 *   frames; drop_made: frames it made, then dropped)
 *
 * after deleting the neighbours that still hold frames (which drops them).
 *
 *   fwd-race [SECONDS]     (default 3)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <europa/europa.h>

#include "router.h"

static int stop;
static struct fwd_router *rt;

static __u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

static int count_route(const struct eu_ipv4_route *r, void *arg)
{
	(void)r;
	(*(unsigned *)arg)++;
	return 0;
}

static int count_held(const struct fwd_neigh *n, void *arg)
{
	*(__u64 *)arg += n->held;
	return 0;
}

static int del_holding(const struct fwd_neigh *n, void *arg)
{
	(void)arg;
	if (n->held)
		fwd_router_neigh_del(rt, n->addr);
	return 0;
}

/* The control thread: every call of router.h's control side, in a loop. */
static void *control(void *arg)
{
	unsigned i = 0, k;
	char err[256];

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct eu_ipv4_route r = {0};
		struct fwd_neigh n = {0};
		struct fwd_stats st;
		struct fwd_port_cfg c;

		/* 198.20.X.0/24 via one of B1, B2 (static) or B3 (added and deleted) */
		r.prefix = 0xc6140000U | (i % 64) << 8;
		r.len = 24;
		r.has_via = 1;
		r.via = 0xc6120102U + i % 3;
		if (fwd_router_route_add(rt, &r, err, sizeof(err)) < 0) {
			fprintf(stderr, "fwd-race: route add: %s\n", err);
			exit(1);
		}
		if (i % 2)
			fwd_router_route_del(rt, &r, err, sizeof(err));
		n.addr = 0xc6120103U;
		n.port = 1;
		memcpy(n.mac, "\x02\x00\x00\x00\xbb\x03", 6);
		if (i % 3 == 0)
			fwd_router_neigh_add(rt, &n);
		else
			fwd_router_neigh_del(rt, n.addr);
		fwd_router_stats(rt, &st);
		k = 0;
		fwd_router_neigh_walk(rt, (int (*)(const struct fwd_neigh *, void *))count_held,
				      &(__u64){0});
		if (i % 16 == 0)
			fwd_router_route_walk(rt, count_route, &k);
		fwd_router_port_get(rt, 1, &c);
		c.addr = 0;
		memset(c.mac, 0, 6);
		c.mtu = i % 2 ? 1500 : 576;
		fwd_router_port_set(rt, 1, &c);
		i++;
	}
	printf("fwd-race: %u control rounds\n", i);
	return NULL;
}

static void port(unsigned p, __u32 addr, unsigned char last)
{
	struct fwd_port_cfg c;

	memset(&c, 0, sizeof(c));
	c.addr = addr;
	c.plen = 24;
	memcpy(c.mac, "\x02\x00\x00\x00\x00\x10", 6);
	c.mac[5] = last;
	if (fwd_router_port_set(rt, p, &c) < 0)
		exit(1);
}

static void neigh(__u32 addr, unsigned p, unsigned char last)
{
	struct fwd_neigh n;

	memset(&n, 0, sizeof(n));
	n.addr = addr;
	n.port = p;
	memcpy(n.mac, "\x02\x00\x00\x00\xbb\x00", 6);
	n.mac[5] = last;
	if (fwd_router_neigh_add(rt, &n) < 0)
		exit(1);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	struct eu_region_opts ro;
	struct eu_region *reg;
	struct eu_sw sw;
	struct eu_vr vr;
	struct fwd_router_opts o;
	struct eu_ipv4_route r = {0};
	struct fwd_stats st;
	struct eu_txpkt pk[64];
	pthread_t th;
	__u32 idx[64];
	__u64 t0, last = 0, seq = 0, held = 0, acc;
	char err[256];
	unsigned i;

	eu_region_opts_default(&ro);
	ro.flags = EU_REGION_O_UNLINK;
	reg = eu_region_create("anon", &ro);
	if (!reg || eu_sw_init(&sw, reg) || eu_vr_init(&vr, reg)) {
		fprintf(stderr, "fwd-race: region: %s\n", eu_last_error());
		return 1;
	}
	fwd_router_opts_default(&o);
	o.nports = 2;
	o.neigh_max = 64;
	o.arp_timeout_ms = 20;
	rt = fwd_router_create(&vr, &o);
	if (!rt)
		return 1;
	port(0, 0xc6120001U, 0x10); /* 198.18.0.1/24: host A .2 */
	port(1, 0xc6120101U, 0x11); /* 198.18.1.1/24: B1 .2, B2 .3 (dynamic), B3 .4 (never) */
	neigh(0xc6120002U, 0, 0xa2);
	neigh(0xc6120102U, 1, 0x02);
	r.prefix = 0xc6130000U; /* 198.19.0.0/16 via B1 */
	r.len = 16;
	r.has_via = 1;
	r.via = 0xc6120102U;
	if (fwd_router_route_add(rt, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "fwd-race: %s\n", err);
		return 1;
	}
	fwd_router_tick(rt, now_ns());
	if (pthread_create(&th, NULL, control, NULL))
		return 1;
	t0 = now_ns();
	while (now_ns() - t0 < (__u64)(secs * 1e9)) {
		unsigned m = eu_sw_rx_alloc(&sw, idx, 32);

		for (i = 0; i < m; i++, seq++) {
			struct eu_desc *d = eu_sw_desc(&sw, idx[i]);
			unsigned char *f = eu_sw_buf(&sw, idx[i]) + d->off;
			struct eu_ipv4_hdr *ip = (struct eu_ipv4_hdr *)(f + 14);
			unsigned len = seq % 11 == 0 ? 1000 : 46;

			memset(f, 0, 14 + len);
			memcpy(f, "\x02\x00\x00\x00\x00\x10", 6);
			memcpy(f + 6, "\x02\x00\x00\x00\xbb\xa2", 6);
			f[12] = 0x08;
			ip->ver_ihl = 0x45;
			ip->tot_len = eu_htons(len);
			ip->ttl = seq % 50 ? 64 : 1;
			ip->protocol = 17;
			ip->saddr = eu_htonl(0xc6120002U);
			/* 198.19/16 (always routed), 198.20.X/24 (routes come and go) */
			ip->daddr = eu_htonl((seq % 3 ? 0xc6130000U : 0xc6140000U) |
					     (__u32)(seq % 16384));
			eu_ipv4_cksum_set(ip);
			d->len = (__u16)(len < 46 ? 60 : 14 + len);
			d->port = 0;
		}
		eu_sw_rx_publish(&sw, idx, m);
		m = eu_vr_rx_burst(&vr, idx, 32);
		fwd_router_rx_burst(rt, idx, m);
		if (now_ns() - last > 1000000) {
			last = now_ns();
			fwd_router_tick(rt, last);
		}
		m = eu_sw_tx_burst(&sw, pk, 64);
		for (i = 0; i < m; i++)
			idx[i] = pk[i].idx;
		eu_sw_free_burst(&sw, idx, m);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	fwd_router_tick(rt, now_ns());
	fwd_router_neigh_walk(rt, del_holding, NULL);
	fwd_router_tick(rt, now_ns()); /* the deletions drop what was held */
	fwd_router_tick(rt, now_ns());
	fwd_router_stats(rt, &st);
	fwd_router_neigh_walk(rt, count_held, &held);
	acc = st.fwd + st.local + held - st.drop_made;
	printf("fwd-race: rx %llu fwd %llu local %llu held %llu fragments %llu drop_made %llu, "
	       "drops:",
	       (unsigned long long)st.rx, (unsigned long long)st.fwd, (unsigned long long)st.local,
	       (unsigned long long)held, (unsigned long long)st.fragments,
	       (unsigned long long)st.drop_made);
	for (i = 0; i < FWD_DROP_COUNT; i++) {
		if (st.drop[i])
			printf(" %s %llu", fwd_drop_name(i), (unsigned long long)st.drop[i]);
		if (i != FWD_DROP_ICMP_RATE && i != FWD_DROP_NO_SLOT)
			acc += st.drop[i];
	}
	printf("\n");
	fwd_router_destroy(rt);
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(reg);
	if (acc != st.rx || held || !st.fwd || st.rx != seq) {
		fprintf(stderr,
			"fwd-race: FAILED: %llu frames sent, %llu received, %llu accounted "
			"for\n",
			(unsigned long long)seq, (unsigned long long)st.rx,
			(unsigned long long)acc);
		return 1;
	}
	printf("fwd-race: OK\n");
	return 0;
}
