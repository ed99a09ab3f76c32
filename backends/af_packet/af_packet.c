/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backends/af_packet/af_packet.c - "packet:IFNAME[,v2|,v3]": an AF_PACKET
 * socket with mmap rings, one mapping holding both. Two receive modes:
 *
 *   ,v3 (default, mode "tpacket_v3")
 *     rx ring  blocks of rx_block bytes, each filled by the kernel with packed
 *              frames and handed to us whole (block_status TP_STATUS_USER) when
 *              full or when its retire timer (1 ms, a tick on some kernels)
 *              fires; we read its frames in place and give the block back
 *              (TP_STATUS_KERNEL) once every frame of it has been released.
 *   ,v2 (mode "tpacket_v2")
 *     rx ring  fixed frames of rx2.fsize bytes, each with its own tp_status: the
 *              kernel hands a frame over (TP_STATUS_USER) as soon as it has
 *              written it; we read frames in ring order in place and give each
 *              back (TP_STATUS_KERNEL) when the burst is released.
 *
 * Which to pick: v2 for latency at low load (a lone frame is readable at once,
 * where v3 holds it until its block's timer fires: ~0.5-1 ms per hop); v3
 * under load (the kernel and we touch one status word per block, not per
 * frame, and small frames are packed, so a ring of the same memory holds more).
 *
 *   tx ring  the same in both modes: fixed-size frames (TPACKET_V3 has no block
 *            transmit), each a tpacket2_hdr or tpacket3_hdr as the socket's
 *            version says, data after it; we copy a frame in, set
 *            TP_STATUS_SEND_REQUEST, and one send() per burst makes the kernel
 *            send every requested frame. The kernel sets a frame back to
 *            TP_STATUS_AVAILABLE when its skb is freed.
 *
 * Options: PACKET_IGNORE_OUTGOING (we do not see what we send),
 * PACKET_QDISC_BYPASS (straight to the driver, as AF_XDP does; a full driver
 * queue leaves frames requested, sent at the next kick), PACKET_LOSS (a frame
 * the kernel refuses is skipped rather than stopping the ring), promiscuous
 * mode (PACKET_MR_PROMISC, dropped by the kernel when the socket closes).
 *
 * VLAN: the kernel takes an 802.1Q/802.1ad tag out of every received frame
 * before AF_PACKET sees it; we report it from tp_vlan_tci (TP_STATUS_VLAN_VALID)
 * as eu_frame.vlan. Frames to send carry their tag in their bytes, or get one
 * inserted from eu_frame.vlan (EU_FRAME_F_VLAN).
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../port_internal.h"

#define PKT_RX_BLOCK 8192U     /* bytes per v3 rx block (power of two, >= page) */
#define PKT_RX_TOV_MS 1U       /* v3 rx block retire timeout */
#define PKT_FRAME_BLOCK 65536U /* bytes per block of a ring of fixed frames (tx, v2 rx) */
#define PKT_RING_DEFAULT 2048U /* ring_size 0: frames of frame_size either ring holds */

/* Where a frame to send starts in its slot: after the header, without the sockaddr_ll. */
#define PKT3_TX_OFF (TPACKET3_HDRLEN - sizeof(struct sockaddr_ll))
#define PKT2_TX_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
/*
 * Where the kernel puts the network header of a received frame in a v2 slot
 * (tpacket_rcv(): TPACKET_ALIGN(tp_hdrlen + max(16, link header length))); the
 * frame starts its link header length (14 on Ethernet) before that.
 */
#define PKT2_RX_NET_OFF TPACKET_ALIGN(TPACKET2_HDRLEN + 16)

/* A ring of fixed frames: frame i is in block i / fpb at (i % fpb) * fsize. */
struct eu_pkt_frames {
	unsigned char *base;
	unsigned block, fsize, fpb, nframes;
};

struct eu_pkt {
	int fd;
	int v2; /* TPACKET_V2 (rx ring of frames) rather than TPACKET_V3 (of blocks) */
	unsigned mtu;
	unsigned char *map;
	size_t map_len;

	/*
	 * rx, in slots: blocks (v3) or frames (v2), modulo the ring's count of
	 * them. Slots [rx_ret, rx_ret + rx_done) are read and ours to return;
	 * rx_cur == rx_ret + rx_done is the slot being read (v3: rx_left > 0) or
	 * the next one to wait for. rx_done never exceeds the ring's count.
	 */
	unsigned rx_cur, rx_ret, rx_done;
	/* v3 */
	unsigned char *rx;
	unsigned rx_block, rx_nblocks, rx_left;
	struct tpacket3_hdr *rx_pkt; /* next frame of block rx_cur */
	/* v2 */
	struct eu_pkt_frames rx2;

	struct eu_pkt_frames tx;
	unsigned tx_off;  /* data offset in a tx frame: PKT2_TX_OFF or PKT3_TX_OFF */
	unsigned tx_head; /* next frame to fill: the kernel sends in the same order */
	unsigned tx_max;  /* largest frame the ring's frames hold */
	int tx_kick;      /* requested frames may be waiting for a send() */

	__u64 kdrops; /* PACKET_STATISTICS drops so far (the kernel resets on read) */
};

static struct tpacket_block_desc *pkt_rx_block(struct eu_pkt *k, unsigned i)
{
	return (struct tpacket_block_desc *)(k->rx + (size_t)i * k->rx_block);
}

static void *pkt_frame(const struct eu_pkt_frames *r, unsigned i)
{
	return r->base + (size_t)(i / r->fpb) * r->block + (size_t)(i % r->fpb) * r->fsize;
}

static unsigned pkt_pow2_at_least(unsigned x)
{
	unsigned p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/*
 * Lay out a ring of at least n frames of fsize bytes (TPACKET_ALIGNMENT'd) in
 * blocks of PKT_FRAME_BLOCK (or the power of two that holds one frame) and fill
 * the request; the kernel wants tp_frame_nr == frames per block x tp_block_nr.
 */
static void pkt_frames_req(struct eu_pkt_frames *r, unsigned fsize, unsigned n,
			   struct tpacket_req3 *req)
{
	r->fsize = fsize;
	r->block = PKT_FRAME_BLOCK;
	if (r->block < fsize)
		r->block = pkt_pow2_at_least(fsize);
	r->fpb = r->block / fsize;
	memset(req, 0, sizeof(*req));
	req->tp_block_size = r->block;
	req->tp_block_nr = (n + r->fpb - 1) / r->fpb;
	req->tp_frame_size = fsize;
	req->tp_frame_nr = req->tp_block_nr * r->fpb;
	r->nframes = req->tp_frame_nr;
}

static void pkt_free(struct eu_pkt *k)
{
	if (k->map)
		munmap(k->map, k->map_len);
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

static int pkt_sockopt(struct eu_port *p, struct eu_pkt *k, int opt, const void *v,
		       socklen_t len, const char *what, const char *fix)
{
	if (setsockopt(k->fd, SOL_PACKET, opt, v, len) == 0)
		return 0;
	return eu_err(errno, "port %s: %s: %s%s", p->name, what, strerror(errno), fix);
}

/* "IFNAME[,v2|,v3]": the interface name and whether ",v2" was asked for. */
static int pkt_parse(struct eu_port *p, const char *args, char ifname[IFNAMSIZ], int *v2)
{
	const char *comma = strchr(args, ',');
	int err = eu_port_ifname_take(p, args, comma ? comma : args + strlen(args), ifname);

	*v2 = 0;
	if (err)
		return err;
	if (comma) {
		if (!strcmp(comma + 1, "v2"))
			*v2 = 1;
		else if (strcmp(comma + 1, "v3"))
			return eu_err(EINVAL, "port %s: unknown AF_PACKET option '%s': use ,v2 "
					      "(TPACKET_V2, lowest latency) or ,v3 (TPACKET_V3, "
					      "the default)", p->name, comma + 1);
	}
	return 0;
}

static int pkt_open(struct eu_port *p, const char *args, const struct eu_port_opts *o)
{
	struct tpacket_req3 rx_req, tx_req;
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	unsigned ring = o->ring_size ? o->ring_size : PKT_RING_DEFAULT;
	unsigned fsize, one = 1;
	socklen_t req_len;
	char ifname[IFNAMSIZ];
	int ver, v2, ifindex, err;
	size_t rx_len;
	struct eu_pkt *k;

	err = pkt_parse(p, args, ifname, &v2);
	if (err)
		return err;
	ifindex = eu_port_ifindex(p, ifname);
	if (ifindex < 0)
		return ifindex;
	k = calloc(1, sizeof(*k));
	if (!k)
		return eu_err(ENOMEM, "port %s: out of memory", p->name);
	k->fd = -1;
	k->v2 = v2;
	err = eu_port_ifinfo(p, ifname, p->mac, &k->mtu);
	if (err)
		goto fail;

	/* Protocol 0: receive nothing until bind() names the interface. */
	k->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		if (errno == EPERM || errno == EACCES)
			err = eu_err(errno, "port %s: AF_PACKET needs CAP_NET_RAW (run as root)",
				     p->name);
		else
			err = eu_err(errno, "port %s: socket(AF_PACKET): %s", p->name,
				     strerror(errno));
		goto fail;
	}
	ver = v2 ? TPACKET_V2 : TPACKET_V3;
	err = pkt_sockopt(p, k, PACKET_VERSION, &ver, sizeof(ver), "PACKET_VERSION",
			  v2 ? " (TPACKET_V2 needs Linux 2.6.27)" : " (TPACKET_V3 needs Linux 3.2)");
	if (!err)
		err = pkt_sockopt(p, k, PACKET_LOSS, &one, sizeof(one), "PACKET_LOSS", "");
	if (!err)
		err = pkt_sockopt(p, k, PACKET_IGNORE_OUTGOING, &one, sizeof(one),
				  "PACKET_IGNORE_OUTGOING", " (needs Linux 4.20)");
	if (!err)
		err = pkt_sockopt(p, k, PACKET_QDISC_BYPASS, &one, sizeof(one),
				  "PACKET_QDISC_BYPASS", "");
	if (err)
		goto fail;

	if (v2) {
		/*
		 * One frame per slot, its link header PKT2_RX_NET_OFF - 14 bytes in
		 * (16 bytes of room for it): a frame of frame_size bytes fits whole.
		 */
		pkt_frames_req(&k->rx2, TPACKET_ALIGN(PKT2_RX_NET_OFF + o->frame_size), ring,
			       &rx_req);
		rx_len = (size_t)k->rx2.block * rx_req.tp_block_nr;
		req_len = sizeof(struct tpacket_req); /* V2 takes the short request */
		k->tx_off = (unsigned)PKT2_TX_OFF;
	} else {
		/* One frame slot: header then data, aligned. */
		fsize = TPACKET_ALIGN(PKT3_TX_OFF + o->frame_size);
		k->rx_block = PKT_RX_BLOCK;
		if (k->rx_block < 2 * fsize)
			k->rx_block = pkt_pow2_at_least(2 * fsize);
		k->rx_nblocks =
			(unsigned)(((__u64)ring * fsize + k->rx_block - 1) / k->rx_block);
		if (k->rx_nblocks < 8)
			k->rx_nblocks = 8;
		memset(&rx_req, 0, sizeof(rx_req));
		rx_req.tp_block_size = k->rx_block;
		rx_req.tp_block_nr = k->rx_nblocks;
		rx_req.tp_frame_size = fsize;
		rx_req.tp_frame_nr = (k->rx_block / fsize) * k->rx_nblocks;
		rx_req.tp_retire_blk_tov = PKT_RX_TOV_MS;
		rx_len = (size_t)k->rx_block * k->rx_nblocks;
		req_len = sizeof(rx_req);
		k->tx_off = (unsigned)PKT3_TX_OFF;
	}
	err = pkt_sockopt(p, k, PACKET_RX_RING, &rx_req, req_len, "PACKET_RX_RING",
			  ": lower ring_size or frame_size");
	if (err)
		goto fail;

	pkt_frames_req(&k->tx, TPACKET_ALIGN(k->tx_off + o->frame_size), ring, &tx_req);
	k->tx_max = k->tx.fsize - k->tx_off;
	err = pkt_sockopt(p, k, PACKET_TX_RING, &tx_req, req_len, "PACKET_TX_RING",
			  ": lower ring_size or frame_size");
	if (err)
		goto fail;

	k->map_len = rx_len + (size_t)k->tx.block * tx_req.tp_block_nr;
	k->map = mmap(NULL, k->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, k->fd,
		      0);
	if (k->map == MAP_FAILED) {
		k->map = NULL;
		err = eu_err(errno, "port %s: mmap of the rings (%zu bytes): %s: lower ring_size",
			     p->name, k->map_len, strerror(errno));
		goto fail;
	}
	k->rx = k->map;
	k->rx2.base = k->map;
	k->tx.base = k->map + rx_len;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(k->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = eu_err(errno, "port %s: bind to %s: %s", p->name, ifname, strerror(errno));
		goto fail;
	}
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	err = pkt_sockopt(p, k, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr),
			  "promiscuous mode (PACKET_ADD_MEMBERSHIP)", "");
	if (err)
		goto fail;

	p->priv = k;
	p->fd = k->fd;
	p->mode = v2 ? "tpacket_v2" : "tpacket_v3";
	return 0;
fail:
	pkt_free(k);
	return err;
}

static void pkt_close(struct eu_port *p)
{
	struct eu_pkt *k = p->priv;

	/* Frames still requested go out (the kernel builds their skbs in this
	   call) before the ring is unmapped. */
	if (k->tx_kick)
		send(k->fd, NULL, 0, MSG_DONTWAIT);
	pkt_free(k);
}

/* v3: give back the blocks read completely. */
static void pkt3_rx_return(struct eu_pkt *k)
{
	for (; k->rx_done; k->rx_done--) {
		struct tpacket_block_desc *b = pkt_rx_block(k, k->rx_ret);

		/* Pairs with the kernel's smp_rmb() before it reads block_status:
		   our reads of the block are done before it may refill it. */
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		k->rx_ret = (k->rx_ret + 1) % k->rx_nblocks;
	}
}

static unsigned pkt3_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n)
{
	struct eu_pkt *k = p->priv;
	unsigned got = 0;

	pkt3_rx_return(k); /* blocks of bursts that gave no frame */
	while (got < n) {
		struct tpacket3_hdr *h;

		if (!k->rx_left) {
			struct tpacket_block_desc *b;

			if (k->rx_done == k->rx_nblocks)
				break; /* every block is ours: release some first */
			b = pkt_rx_block(k, k->rx_cur);
			/* Pairs with the kernel's smp_wmb() before it sets TP_STATUS_USER. */
			if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			      TP_STATUS_USER))
				break;
			k->rx_left = b->hdr.bh1.num_pkts;
			k->rx_pkt = (struct tpacket3_hdr *)((unsigned char *)b +
							    b->hdr.bh1.offset_to_first_pkt);
			if (!k->rx_left) {
				k->rx_done++;
				k->rx_cur = (k->rx_cur + 1) % k->rx_nblocks;
				continue;
			}
		}
		h = k->rx_pkt;
		if (h->tp_snaplen < h->tp_len) {
			eu_port_count(&p->st.rx_errors, 1); /* longer than a block holds */
		} else {
			struct eu_frame *f = &refs[got++];

			f->data = (const unsigned char *)h + h->tp_mac;
			f->len = h->tp_snaplen;
			if (h->tp_status & TP_STATUS_VLAN_VALID) {
				f->vlan = (__u16)(h->hv1.tp_vlan_tci & 0x0fff);
				f->flags = EU_FRAME_F_VLAN;
			} else {
				f->vlan = 0;
				f->flags = 0;
			}
		}
		if (--k->rx_left) {
			k->rx_pkt = (struct tpacket3_hdr *)((unsigned char *)h + h->tp_next_offset);
		} else {
			k->rx_done++;
			k->rx_cur = (k->rx_cur + 1) % k->rx_nblocks;
		}
	}
	return got;
}

/* v2: give back the frames read. */
static void pkt2_rx_return(struct eu_pkt *k)
{
	for (; k->rx_done; k->rx_done--) {
		struct tpacket2_hdr *h = pkt_frame(&k->rx2, k->rx_ret);

		/* Pairs with the kernel's smp_rmb() before it reads tp_status in
		   tpacket_rcv(): our reads of the frame are done before it may
		   write the slot again. */
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		k->rx_ret = k->rx_ret + 1 == k->rx2.nframes ? 0 : k->rx_ret + 1;
	}
}

static unsigned pkt2_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n)
{
	struct eu_pkt *k = p->priv;
	unsigned got = 0;

	/* rx_done < nframes: a burst never reaches frames it already holds. */
	while (got < n && k->rx_done < k->rx2.nframes) {
		struct tpacket2_hdr *h = pkt_frame(&k->rx2, k->rx_cur);
		/* Pairs with the kernel's smp_wmb() before it sets TP_STATUS_USER. */
		__u32 st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

		if (!(st & TP_STATUS_USER))
			break;
		if (h->tp_snaplen < h->tp_len || (st & TP_STATUS_COPY)) {
			eu_port_count(&p->st.rx_errors, 1); /* longer than a frame slot holds */
		} else {
			struct eu_frame *f = &refs[got++];

			f->data = (const unsigned char *)h + h->tp_mac;
			f->len = h->tp_snaplen;
			if (st & TP_STATUS_VLAN_VALID) {
				f->vlan = (__u16)(h->tp_vlan_tci & 0x0fff);
				f->flags = EU_FRAME_F_VLAN;
			} else {
				f->vlan = 0;
				f->flags = 0;
			}
		}
		k->rx_done++;
		k->rx_cur = k->rx_cur + 1 == k->rx2.nframes ? 0 : k->rx_cur + 1;
	}
	if (!got)
		pkt2_rx_return(k); /* only refused frames: port.c will not release them */
	return got;
}

static unsigned pkt_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n)
{
	return ((struct eu_pkt *)p->priv)->v2 ? pkt2_rx_burst(p, refs, n)
					      : pkt3_rx_burst(p, refs, n);
}

static void pkt_rx_release(struct eu_port *p)
{
	struct eu_pkt *k = p->priv;

	if (k->v2)
		pkt2_rx_return(k);
	else
		pkt3_rx_return(k);
}

/* Ask the kernel to send every requested frame, without waiting. */
static int pkt_kick(struct eu_port *p, struct eu_pkt *k)
{
	if (send(k->fd, NULL, 0, MSG_DONTWAIT) >= 0) {
		k->tx_kick = 0;
		return 0;
	}
	/* Left requested: sent at the next kick (tx_burst or flush). */
	k->tx_kick = 1;
	if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
		return 0;
	eu_port_count(&p->st.tx_errors, 1);
	return -errno;
}

/* tp_status of tx frame h: tpacket2_hdr and tpacket3_hdr keep it in different places. */
static __u32 *pkt_tx_status(const struct eu_pkt *k, void *h)
{
	return k->v2 ? &((struct tpacket2_hdr *)h)->tp_status
		     : &((struct tpacket3_hdr *)h)->tp_status;
}

/* Set the length of the frame in tx slot h (the kernel reads tp_len). */
static void pkt_tx_set_len(const struct eu_pkt *k, void *h, unsigned len)
{
	if (k->v2) {
		struct tpacket2_hdr *h2 = h;

		h2->tp_len = len;
		h2->tp_snaplen = len;
	} else {
		struct tpacket3_hdr *h3 = h;

		h3->tp_len = len;
		h3->tp_snaplen = len;
		h3->tp_next_offset = 0; /* the kernel refuses variable-sized tx slots */
	}
}

static unsigned pkt_tx_burst(struct eu_port *p, const struct eu_frame *f, unsigned n)
{
	struct eu_pkt *k = p->priv;
	unsigned i, sent = 0, dropped = 0;
	__u64 bytes = 0;

	for (i = 0; i < n; i++) {
		unsigned len = eu_port_tx_len(&f[i]);
		unsigned char *h;
		__u32 *status;

		if (eu_port_tx_bad(&f[i], k->mtu) || len > k->tx_max) {
			dropped++;
			continue;
		}
		h = pkt_frame(&k->tx, k->tx_head);
		status = pkt_tx_status(k, h);
		/* Pairs with the kernel's release of the frame (skb destructor). */
		if (__atomic_load_n(status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
			break; /* ring full */
		eu_port_tx_copy(h + k->tx_off, &f[i]);
		pkt_tx_set_len(k, h, len);
		/* Pairs with the kernel's smp_rmb() after it reads tp_status. */
		__atomic_store_n(status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		k->tx_head = k->tx_head + 1 == k->tx.nframes ? 0 : k->tx_head + 1;
		sent++;
		bytes += len;
	}
	if (sent || k->tx_kick)
		pkt_kick(p, k);
	eu_port_count(&p->st.tx_frames, sent);
	eu_port_count(&p->st.tx_bytes, bytes);
	if (dropped)
		eu_port_count(&p->st.tx_dropped, dropped);
	return i;
}

static int pkt_flush(struct eu_port *p)
{
	struct eu_pkt *k = p->priv;

	/* Only if the last kick left frames requested: tx_burst kicked already. */
	return k->tx_kick ? pkt_kick(p, k) : 0;
}

static void pkt_stats(const struct eu_port *p, struct eu_port_stats *s)
{
	struct eu_pkt *k = p->priv;
	struct tpacket_stats_v3 ks;
	socklen_t len = sizeof(ks);

	/* The kernel zeroes its counters on each read: keep the sum. A V2 socket
	   fills only the struct tpacket_stats that tpacket_stats_v3 starts with. */
	memset(&ks, 0, sizeof(ks));
	if (getsockopt(k->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0 && ks.tp_drops)
		__atomic_fetch_add(&k->kdrops, ks.tp_drops, __ATOMIC_RELAXED);
	s->rx_dropped += __atomic_load_n(&k->kdrops, __ATOMIC_RELAXED);
}

const struct eu_port_ops eu_port_packet_ops = {
	.driver = "packet",
	.usage = "packet:IFNAME[,v2|,v3]",
	.open = pkt_open,
	.close = pkt_close,
	.rx_burst = pkt_rx_burst,
	.rx_release = pkt_rx_release,
	.tx_burst = pkt_tx_burst,
	.flush = pkt_flush,
	.stats = pkt_stats,
};
