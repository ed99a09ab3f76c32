/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/qemu/qnet.h - the test network of the QEMU harness, shared by the
 * guest tool (eu-qtest) and the host peer (eu-qpeer).
 *
 *   host: eu-qpeer                     guest (Debian kernel under QEMU)
 *   endpoint A 198.18.1.2  <--UDP-->  eth0 (e1000) 198.18.1.1
 *   endpoint B 198.19.1.2  <--UDP-->  eth1 (e1000) 198.19.1.1
 *
 * Each e1000 is a QEMU "-netdev socket,udp=..." whose frames the peer sends
 * and receives as UDP datagrams on 127.0.0.1, so every test frame crosses an
 * emulated e1000 into the guest. The forwarders under test (a VR on
 * europa.ko, the guest kernel's IP forwarding, a recvfrom/sendto forwarder)
 * sit between eth0 and eth1, each with its own MAC. Addresses are from
 * 198.18.0.0/15 only. The guest drives: it sends a command to A's control
 * port and the peer answers when the job is done.
 *
 * For TCP (run.sh: EUQ_TCP=1) the endpoints are also two host network
 * namespaces, each with a TAP device Q_TAP_NAME that has A's (B's) MAC and
 * address; during a tcp job the peer relays frames between each TAP and its
 * QEMU socket, so iperf3 in A talks to iperf3 in B through the guest:
 *
 *   netns A (TAP) <-> eu-qpeer <--UDP--> eth0 guest eth1 <--UDP--> eu-qpeer <-> (TAP) netns B
 */
#ifndef EU_QNET_H
#define EU_QNET_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define Q_IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#define Q_A_IP Q_IP(198, 18, 1, 2)
#define Q_B_IP Q_IP(198, 19, 1, 2)
#define Q_G0_IP Q_IP(198, 18, 1, 1) /* guest eth0 */
#define Q_G1_IP Q_IP(198, 19, 1, 1) /* guest eth1 */
#define Q_TAP_NAME "euq0"           /* the TAP in each endpoint namespace (tcp) */
#define Q_CTL_PORT 7777
#define Q_TEST_PORT 9               /* discard: test frames go here */
#define Q_MAGIC 0x45555154U         /* "EUQT" */

static const uint8_t q_a_mac[6] = { 0x02, 0xee, 0x00, 0x00, 0x0a, 0x02 };
static const uint8_t q_b_mac[6] = { 0x02, 0xee, 0x00, 0x00, 0x0b, 0x02 };

/* Guest NIC MACs (set on the QEMU command line by run.sh) and forwarder MACs. */
#define Q_G0_MAC "52:54:00:ee:00:01"
#define Q_G1_MAC "52:54:00:ee:00:02"
#define Q_VR1_MAC "02:ee:00:00:00:01"
#define Q_VR2_MAC "02:ee:00:00:00:02"
#define Q_VR3_MAC "02:ee:00:00:00:03"
#define Q_SOCK_MAC "02:ee:00:00:00:f0"

static inline uint16_t q_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void q_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t q_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void q_put32(uint8_t *p, uint32_t v)
{
	q_put16(p, (uint16_t)(v >> 16));
	q_put16(p + 2, (uint16_t)v);
}

static inline uint16_t q_csum(const void *data, size_t n)
{
	const uint8_t *b = (const uint8_t *)data;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline int q_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i, n = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &n) != 6 || n != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/*
 * An Ethernet frame's L3 start: skips one 802.1Q tag. Returns the offset of
 * the L3 header and sets *type, or -1 if too short.
 */
static inline int q_l3(const uint8_t *f, size_t len, uint16_t *type, uint16_t *vlan)
{
	size_t off = 12;

	if (len < 14)
		return -1;
	*vlan = 0;
	*type = q_get16(f + off);
	if (*type == 0x8100) {
		if (len < 18)
			return -1;
		*vlan = q_get16(f + 14) & 0xfff;
		*type = q_get16(f + 16);
		off += 4;
	}
	return (int)off + 2;
}

/*
 * Write a UDP test frame: dst/src MAC, optional VLAN, IPv4 src -> dst with
 * TTL 64, UDP to Q_TEST_PORT, payload magic, job, seq, padded to `len`
 * bytes (>= 64; 68 with a tag). Returns the frame length.
 */
static inline size_t q_test_frame(uint8_t *f, size_t len, const uint8_t *dst, const uint8_t *src,
				  uint16_t vlan, uint32_t sip, uint32_t dip, uint32_t job,
				  uint32_t seq)
{
	size_t l3 = vlan ? 18 : 14, min = l3 + 20 + 8 + 12;
	uint8_t *ip, *udp;

	if (len < min)
		len = min;
	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (vlan) {
		q_put16(f + 12, 0x8100);
		q_put16(f + 14, vlan);
	}
	q_put16(f + l3 - 2, 0x0800);
	ip = f + l3;
	ip[0] = 0x45;
	q_put16(ip + 2, (uint16_t)(len - l3));
	ip[8] = 64;
	ip[9] = 17;
	q_put32(ip + 12, sip);
	q_put32(ip + 16, dip);
	q_put16(ip + 10, q_csum(ip, 20));
	udp = ip + 20;
	q_put16(udp, 40000);
	q_put16(udp + 2, Q_TEST_PORT);
	q_put16(udp + 4, (uint16_t)(len - l3 - 20));
	q_put32(udp + 8, Q_MAGIC);
	q_put32(udp + 12, job);
	q_put32(udp + 16, seq);
	return len;
}

#endif /* EU_QNET_H */
