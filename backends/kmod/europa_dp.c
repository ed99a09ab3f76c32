// SPDX-License-Identifier: GPL-2.0
/*
 * europa_dp.c - the datapath of the kernel switch: receive into a VR's pool,
 * drain its tx ring, and the slot bookkeeping both need.
 *
 * Every value read from the region was written by user space: each is read
 * once (READ_ONCE, or an acquire load that pairs with the VR's release) and
 * checked against the module's private copy of the layout before use.
 */
#include <linux/etherdevice.h>
#include <linux/delay.h>
#include <linux/if_vlan.h>
#include <linux/kthread.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/timekeeping.h>

#include "europa.h"

#define EU_TXBUSY 0	/* bit of eu_kvr.txbusy */

/* Become the VR's one transmitter, if no other runs (any context). */
static inline bool eu_tx_trylock(struct eu_kvr *vr)
{
	return !test_and_set_bit_lock(EU_TXBUSY, &vr->txbusy);
}

void eu_tx_unlock(struct eu_kvr *vr)
{
	clear_bit_unlock(EU_TXBUSY, &vr->txbusy);
}

/* Process context: wait until the transmitter that runs now is done. */
void eu_tx_lock_wait(struct eu_kvr *vr)
{
	while (!eu_tx_trylock(vr))
		usleep_range(20, 100);
}

static inline u32 eu_word_next(u32 w, u32 to)
{
	return ((w & ~EU_STATE_MASK) + EU_STATE_GEN_ONE) | to;
}

/*
 * Write the state word of a slot we hold: the old word is read only for its
 * generation, whatever the VR scribbled there. Release: pairs with the VR's
 * acquire load when it takes the slot.
 */
static inline void eu_set(struct eu_kvr *vr, u32 k, u32 to)
{
	u32 w = READ_ONCE(vr->state[k]);

	/* release: the slot's descriptor and buffer before its new state */
	smp_store_release(&vr->state[k], eu_word_next(w, to));
}

/*
 * Take slot k that the VR handed over in state `from`: range, our record,
 * then the state word (acquire: pairs with the VR's release store). Counts
 * and refuses anything else. Caller holds vr->lock.
 */
static bool eu_take(struct eu_kvr *vr, u32 k, u32 from, u32 to, u8 own)
{
	u32 w;

	if (unlikely(k >= vr->h.nslots)) {
		vr->bad[EU_KDEV_BAD_IDX]++;
		vr->refused++;
		return false;
	}
	if (unlikely(vr->own[k] != EU_KOWN_NOT)) {
		vr->bad[EU_KDEV_BAD_OWNER]++;
		vr->refused++;
		return false;
	}
	/* acquire: pairs with the VR's release store handing the slot over */
	w = smp_load_acquire(&vr->state[k]);
	if (unlikely((w & EU_STATE_MASK) != from)) {
		vr->bad[EU_KDEV_BAD_STATE]++;
		vr->refused++;
		return false;
	}
	/* release: the slot is ours from here; nothing of it was read before */
	smp_store_release(&vr->state[k], eu_word_next(w, to));
	vr->own[k] = own;
	vr->moves++;
	return true;
}

/*
 * Entries the VR has published on a ring it produces, given our consumer
 * count. A producer count more than a ring ahead of us is impossible:
 * counted, and treated as an empty ring.
 */
static u32 eu_avail(struct eu_kvr *vr, int ring, u32 cons)
{
	/* acquire: pairs with the VR's release of prod in eu_ring_submit() */
	u32 n = smp_load_acquire(&vr->ring[ring]->prod) - cons;

	if (unlikely(n > vr->rsize)) {
		vr->bad[EU_KDEV_BAD_RING]++;
		return 0;
	}
	return n;
}

/* Free room in a ring we produce; a VR consumer count ahead of us: full. */
static u32 eu_room(struct eu_kvr *vr, int ring, u32 prod)
{
	u32 used = prod - READ_ONCE(vr->ring[ring]->cons);

	if (unlikely(used > vr->rsize)) {
		vr->bad[EU_KDEV_BAD_RING]++;
		return 0;
	}
	return vr->rsize - used;
}

static void eu_mirror_slot_stats(struct eu_kvr *vr)
{
	struct eu_slot_stats *s = &vr->sst->slot[EU_SIDE_SWITCH];

	WRITE_ONCE(s->moves, vr->moves);
	WRITE_ONCE(s->refused, vr->refused);
}

/* Take the free slots the VR gave on the fill ring. Caller holds vr->lock. */
static u32 eu_take_fill(struct eu_kvr *vr)
{
	u32 n = min(eu_avail(vr, EU_RING_FILL, vr->fill_cons), EU_FILL_BURST);
	u32 i, m = 0;

	for (i = 0; i < n; i++) {
		u32 k = READ_ONCE(vr->ent[EU_RING_FILL][(vr->fill_cons + i) & vr->rmask]);

		if (eu_take(vr, k, EU_SLOT_FILL, EU_SLOT_SW_FREE, EU_KOWN_FREE)) {
			vr->cache[vr->ncache++] = k;
			m++;
		}
	}
	if (n) {
		vr->fill_cons += n;
		/* release: our reads of the entries happen before the VR reuses them */
		smp_store_release(&vr->ring[EU_RING_FILL]->cons, vr->fill_cons);
		vr->fill_pkts += n;
		WRITE_ONCE(vr->sst->ring[EU_RING_FILL].cons.pkts, vr->fill_pkts);
	}
	return m;
}

/* Give up to n cached free slots to the VR on the comp ring. Holds vr->lock. */
static void eu_give(struct eu_kvr *vr, u32 n)
{
	u32 i;

	n = min3(n, vr->ncache, eu_room(vr, EU_RING_COMP, vr->comp_prod));
	for (i = 0; i < n; i++) {
		u32 k = vr->cache[--vr->ncache];

		vr->own[k] = EU_KOWN_NOT;
		eu_set(vr, k, EU_SLOT_COMP);
		WRITE_ONCE(vr->ent[EU_RING_COMP][(vr->comp_prod + i) & vr->rmask], k);
	}
	if (n) {
		vr->comp_prod += n;
		/* release: the entries and state words before the count */
		smp_store_release(&vr->ring[EU_RING_COMP]->prod, vr->comp_prod);
		vr->moves += n;
		vr->comp_pkts += n;
		WRITE_ONCE(vr->sst->ring[EU_RING_COMP].prod.pkts, vr->comp_pkts);
	}
}

/* Wake the VR if it announced that it sleeps on the device fd. */
static void eu_wake_vr(struct eu_kvr *vr)
{
	struct eu_wake *w = &vr->wake[EU_RING_RX];

	/* pairs with the fence between the VR's need_wakeup store and its re-check */
	smp_mb();
	if (likely(!READ_ONCE(w->need_wakeup)))
		return;
	if (!xchg(&w->need_wakeup, 0))
		return;
	atomic64_inc(&vr->rx_wakeups);
	WRITE_ONCE(w->wakeups, (u32)atomic64_read(&vr->rx_wakeups));
	atomic_set(&vr->rx_signal, 1);
	wake_up_interruptible(&vr->rxwq);
}

/*
 * Receive one frame for the VR (rx_handler, softirq, under RCU). The frame
 * is rebuilt in the slot as it was on the wire: MAC addresses, the 802.1Q
 * tag if it had one (hardware-stripped or not), then the rest. The skb is
 * not touched; the caller frees it.
 */
void eu_kvr_rx(struct eu_kvr *vr, u16 vport, struct sk_buff *skb)
{
	bool tagged = skb_vlan_tag_present(skb);
	u32 flen = ETH_HLEN + skb->len + (tagged ? VLAN_HLEN : 0);
	const struct ethhdr *eth = eth_hdr(skb);
	struct eu_desc *d;
	u8 *p;
	u32 k;

	spin_lock(&vr->lock);
	if (unlikely(flen > vr->frame_max)) {
		vr->rx_toobig++;
		goto out;
	}
	if (unlikely(!eu_room(vr, EU_RING_RX, vr->rx_prod))) {
		vr->rx_ringfull++;
		goto out;
	}
	if (!vr->ncache && !eu_take_fill(vr)) {
		vr->rx_nofree++;
		goto out;
	}
	k = vr->cache[--vr->ncache];
	vr->own[k] = EU_KOWN_BUSY;
	p = vr->bufs + (size_t)k * vr->h.slot_size + vr->h.headroom;
	memcpy(p, eth, 2 * ETH_ALEN);
	p += 2 * ETH_ALEN;
	if (tagged) {
		put_unaligned_be16(ntohs(skb->vlan_proto), p);
		put_unaligned_be16(skb_vlan_tag_get(skb), p + 2);
		p += VLAN_HLEN;
	}
	memcpy(p, &eth->h_proto, 2);
	if (skb_copy_bits(skb, 0, p + 2, skb->len)) {
		/* cannot happen for a well-formed skb; give the slot back */
		vr->own[k] = EU_KOWN_FREE;
		vr->cache[vr->ncache++] = k;
		vr->rx_toobig++;
		goto out;
	}
	d = &vr->desc[k];
	WRITE_ONCE(d->len, (u16)flen);
	WRITE_ONCE(d->off, (u16)vr->h.headroom);
	WRITE_ONCE(d->port, vport);
	WRITE_ONCE(d->flags, tagged ? EU_DESC_F_VLAN : 0);
	WRITE_ONCE(vr->ent[EU_RING_RX][vr->rx_prod & vr->rmask], k);
	vr->own[k] = EU_KOWN_NOT;
	eu_set(vr, k, EU_SLOT_RX); /* release: the frame and descriptor first */
	vr->rx_prod++;
	/* release: pairs with the acquire of prod in the VR's eu_ring_peek() */
	smp_store_release(&vr->ring[EU_RING_RX]->prod, vr->rx_prod);
	vr->moves += 2;
	vr->rx_pkts++;
	vr->rx_bytes += flen;
	vr->rx_port[vport]++;
	WRITE_ONCE(vr->rx_jiffies, jiffies);
	WRITE_ONCE(vr->sst->ring[EU_RING_RX].prod.pkts, vr->rx_pkts);
	eu_mirror_slot_stats(vr);
	spin_unlock(&vr->lock);
	eu_wake_vr(vr);
	return;
out:
	eu_mirror_slot_stats(vr);
	spin_unlock(&vr->lock);
}

/* Whether the rx ring holds frames the VR has not taken (for poll()). */
bool eu_rx_pending(struct eu_kvr *vr)
{
	return READ_ONCE(vr->ring[EU_RING_RX]->cons) != READ_ONCE(vr->rx_prod);
}

/* Whether the VR published tx entries we have not taken (a sane count only). */
static bool eu_tx_pending(struct eu_kvr *vr)
{
	/* acquire: pairs with the VR's release of prod in eu_ring_submit() */
	u32 n = smp_load_acquire(&vr->ring[EU_RING_TX]->prod) - READ_ONCE(vr->tx_cons);

	return n && n <= vr->rsize;
}

/*
 * Take up to max frames from the tx ring. Every entry is checked
 * (index, our record, state TX); the descriptor's off, len and port are read
 * once and checked; a bad one is counted and its slot taken back free.
 * Returns entries consumed (good or bad); the good ones are in pk[], *np.
 */
static u32 eu_tx_take(struct eu_kvr *vr, struct eu_txpkt *pk, u32 max, u32 *np)
{
	u32 n, i, m = 0;

	spin_lock_bh(&vr->lock);
	n = min(eu_avail(vr, EU_RING_TX, vr->tx_cons), max);
	for (i = 0; i < n; i++) {
		u32 k = READ_ONCE(vr->ent[EU_RING_TX][(vr->tx_cons + i) & vr->rmask]);
		struct eu_desc *d;
		u16 off, len, port;

		if (!eu_take(vr, k, EU_SLOT_TX, EU_SLOT_SW_BUSY, EU_KOWN_BUSY))
			continue;
		d = &vr->desc[k];
		off = READ_ONCE(d->off);
		len = READ_ONCE(d->len);
		port = READ_ONCE(d->port);
		if (unlikely(len < ETH_HLEN || (u32)off + len > vr->h.slot_size ||
			     port >= vr->nports)) {
			vr->bad[port >= vr->nports ? EU_KDEV_BAD_PORT : EU_KDEV_BAD_TX_LEN]++;
			vr->refused++;
			vr->own[k] = EU_KOWN_FREE;
			eu_set(vr, k, EU_SLOT_SW_FREE);
			vr->cache[vr->ncache++] = k;
			continue;
		}
		pk[m].idx = k;
		pk[m].off = off;
		pk[m].len = len;
		pk[m].port = port;
		m++;
	}
	if (n) {
		vr->tx_cons += n;
		/* release: our reads of the entries before the VR reuses them */
		smp_store_release(&vr->ring[EU_RING_TX]->cons, vr->tx_cons);
		vr->tx_ring_pkts += n;
		WRITE_ONCE(vr->sst->ring[EU_RING_TX].cons.pkts, vr->tx_ring_pkts);
		eu_mirror_slot_stats(vr);
	}
	spin_unlock_bh(&vr->lock);
	*np = m;
	return n;
}

/* A copy of a frame we hold, for dev (the slot stays ours: the VR cannot reuse it). */
static struct sk_buff *eu_tx_skb(struct eu_kvr *vr, const struct eu_txpkt *pk,
				 struct net_device *dev)
{
	struct sk_buff *skb;

	if (unlikely(!(dev->flags & IFF_UP) || pk->len > dev->mtu + ETH_HLEN + VLAN_HLEN))
		return NULL;
	skb = __netdev_alloc_skb(dev, pk->len, GFP_ATOMIC | __GFP_NOWARN);
	if (unlikely(!skb))
		return NULL;
	skb_put_data(skb, vr->bufs + (size_t)pk->idx * vr->h.slot_size + pk->off, pk->len);
	skb->dev = dev;
	skb_reset_mac_header(skb);
	skb->protocol = eth_hdr(skb)->h_proto;
	skb_set_network_header(skb, ETH_HLEN);
	return skb;
}

/*
 * Hand n skbs to dev's driver in one go, bypassing the qdisc as AF_XDP and
 * PACKET_QDISC_BYPASS do: one tx lock, and "more" set on all but the last,
 * so the driver rings its doorbell once per burst (it flushes by itself when
 * its queue stops). Returns how many the driver consumed; *ok of them (*bytes)
 * were sent. skbs[ret..n) are still the caller's.
 */
static u32 eu_tx_direct(struct net_device *dev, struct sk_buff **skbs, u32 n, u32 *ok,
			u64 *bytes, bool in_rx)
{
	struct netdev_queue *txq;
	u16 q;
	u32 i;

	*ok = 0;
	*bytes = 0;
	local_bh_disable();
	q = smp_processor_id() % dev->real_num_tx_queues;
	txq = netdev_get_tx_queue(dev, q);
	/*
	 * From the receive path the lock may be this CPU's already (a driver
	 * that receives inside its own transmit): only try it, and treat a
	 * taken lock as a full queue, which the transmit thread waits out.
	 */
	if (in_rx) {
		if (!HARD_TX_TRYLOCK(dev, txq)) {
			local_bh_enable();
			return 0;
		}
	} else {
		HARD_TX_LOCK(dev, txq, smp_processor_id());
	}
	for (i = 0; i < n; i++) {
		unsigned int len = skbs[i]->len;
		netdev_tx_t rc;

		if (unlikely(netif_xmit_frozen_or_drv_stopped(txq)))
			break;
		skb_set_queue_mapping(skbs[i], q);
		rc = netdev_start_xmit(skbs[i], dev, txq, i + 1 < n);
		if (unlikely(!dev_xmit_complete(rc)))
			break;
		if (rc == NETDEV_TX_OK) {
			*ok += 1;
			*bytes += len;
		}
	}
	HARD_TX_UNLOCK(dev, txq);
	local_bh_enable();
	return i;
}

/*
 * Send the frames of pk[0..n): a copy of each, handed over in one burst per
 * run of frames to the same port. Stops where a driver's queue is full.
 * Returns how many frames, from the front, are done with (sent, or dropped
 * and counted: port gone, no memory); the rest wait for the queue to drain,
 * so back-pressure reaches the VR's tx ring instead of dropping here.
 * Counts into vr->tx. Caller holds vr->txbusy; in_rx: it runs in softirq.
 */
static u32 eu_tx_send(struct eu_kvr *vr, const struct eu_txpkt *pk, u32 n, bool in_rx)
{
	struct sk_buff *skbs[EU_TX_BURST];
	u8 at[EU_TX_BURST];
	u32 i = 0;

	while (i < n) {
		u16 port = pk[i].port;
		struct net_device *dev;
		u32 j, m = 0, done = 0, ok = 0;
		u64 bytes = 0;

		rcu_read_lock();
		dev = rcu_dereference(vr->port[port]->dev);
		for (j = i; j < n && pk[j].port == port; j++) {
			struct sk_buff *skb = dev ? eu_tx_skb(vr, &pk[j], dev) : NULL;

			if (skb) {
				at[m] = j;
				skbs[m++] = skb;
			}
		}
		if (m)
			done = eu_tx_direct(dev, skbs, m, &ok, &bytes, in_rx);
		rcu_read_unlock();
		if (done < m) {
			/* queue full: frames from at[done] on are tried again later */
			u32 stop = at[done], err = stop - i - ok;

			while (done < m)
				kfree_skb(skbs[done++]);
			j = stop;
			WRITE_ONCE(vr->tx.err, vr->tx.err + err);
			WRITE_ONCE(vr->tx.busy, vr->tx.busy + 1);
		} else {
			WRITE_ONCE(vr->tx.err, vr->tx.err + (j - i) - ok);
		}
		WRITE_ONCE(vr->tx.pkts, vr->tx.pkts + ok);
		WRITE_ONCE(vr->tx.port[port], vr->tx.port[port] + ok);
		WRITE_ONCE(vr->tx.bytes, vr->tx.bytes + bytes);
		if (j < n && pk[j].port == port)
			return j;
		i = j;
	}
	return n;
}

/* Free the slots of sent frames; above the high mark give half to the VR. */
static void eu_tx_done(struct eu_kvr *vr, const struct eu_txpkt *pk, u32 n)
{
	u32 i;

	spin_lock_bh(&vr->lock);
	for (i = 0; i < n; i++) {
		u32 k = pk[i].idx;

		vr->own[k] = EU_KOWN_FREE;
		eu_set(vr, k, EU_SLOT_SW_FREE);
		vr->cache[vr->ncache++] = k;
	}
	vr->moves += n;
	if (vr->ncache > vr->high)
		eu_give(vr, vr->ncache / 2);
	eu_mirror_slot_stats(vr);
	spin_unlock_bh(&vr->lock);
}

/*
 * One pass of the transmitter: take what fits of the tx ring, send what was
 * taken (and what still waited for the driver), free the slots of what is
 * done. Caller holds vr->txbusy. Returns the tx ring entries consumed, good
 * or refused; vr->npk frames still wait for a full driver queue.
 */
static u32 eu_tx_pass(struct eu_kvr *vr, bool in_rx)
{
	u32 got = 0, taken = 0, done;

	if (vr->npk < EU_TX_BURST)
		taken = eu_tx_take(vr, vr->pk + vr->npk, EU_TX_BURST - vr->npk, &got);
	vr->npk += got;
	if (vr->npk) {
		done = eu_tx_send(vr, vr->pk, vr->npk, in_rx);
		eu_tx_done(vr, vr->pk, done);
		vr->npk -= done;
		memmove(vr->pk, vr->pk + done, vr->npk * sizeof(vr->pk[0]));
	}
	return taken;
}

/* Passes one write() runs at most before it hands what is left to the thread. */
#define EU_TX_DIRECT_PASSES 8
/* Passes the receive path runs at most per received frame. */
#define EU_TX_RX_PASSES 2

/* Let the transmit thread finish (a full driver queue, or work left over). */
static void eu_tx_handoff(struct eu_kvr *vr)
{
	atomic_set(&vr->tx_kick, 1);
	wake_up_interruptible(&vr->txwq);
}

static ktime_t eu_tx_rx_period(void)
{
	return ns_to_ktime((u64)max(READ_ONCE(eu_tx_rx_us), 20U) * NSEC_PER_USEC);
}

/*
 * tx-in-rx: the receive path will look at the tx ring: withdraw the
 * module's announcement in the tx wake line, so the VR stops kicking, and
 * make sure the timer runs that gives it back. Caller holds txbusy.
 */
static void eu_tx_rx_take_over(struct eu_kvr *vr)
{
	WRITE_ONCE(vr->wake[EU_RING_TX].need_wakeup, 0);
	if (!vr->txtimer_on) {
		vr->txtimer_on = true;
		vr->rx_drains_seen = vr->rx_drains;
		hrtimer_start(&vr->txtimer, eu_tx_rx_period(), HRTIMER_MODE_REL_SOFT);
	}
}

/*
 * tx-in-rx, a kick while frames for the VR arrive (one in this or the last
 * jiffy): leave the tx ring to the receive path, which sends on the next
 * frame it gives the VR, or to the timer if none comes. Caller holds txbusy.
 */
static bool eu_tx_rx_defer(struct eu_kvr *vr)
{
	if (!READ_ONCE(eu_tx_in_rx) || READ_ONCE(vr->tx_rx_off) ||
	    time_after(jiffies, READ_ONCE(vr->rx_jiffies) + 1))
		return false;
	eu_tx_rx_take_over(vr);
	return true;
}

/*
 * The VR kicked (write() or EU_KDEV_IOC_KICK): it published tx entries and
 * found EU_WAKE_EVENTFD in the tx wake line. With tx_in_write (the default)
 * the kick itself transmits, in the VR's own context: no thread to wake, no
 * CPU spinning on the ring. When the ring runs dry it announces
 * EU_WAKE_EVENTFD again, fences and looks once more, as the thread does
 * before it sleeps, so the VR's next burst kicks again and no entry is left
 * behind. The thread takes over when another transmitter is busy, when a
 * driver queue is full (it waits for it) or after EU_TX_DIRECT_PASSES.
 * With tx_in_rx, while frames for the VR arrive, the kick only hands the
 * ring to the receive path (eu_tx_rx_defer()).
 */
void eu_tx_kick(struct eu_kvr *vr)
{
	struct eu_wake *w = &vr->wake[EU_RING_TX];
	u32 i;

	atomic64_inc(&vr->tx_kicks);
	if (!eu_tx_trylock(vr))
		goto thread;
	if (eu_tx_rx_defer(vr)) {
		WRITE_ONCE(vr->tx.deferred, vr->tx.deferred + 1);
		eu_tx_unlock(vr);
		return;
	}
	if (!READ_ONCE(eu_tx_in_write)) {
		eu_tx_unlock(vr);
		goto thread;
	}
	for (i = 0; i < EU_TX_DIRECT_PASSES; i++) {
		u32 taken = eu_tx_pass(vr, false);

		WRITE_ONCE(vr->tx.direct, vr->tx.direct + 1);
		if (vr->npk)
			break;
		if (taken)
			continue;
		WRITE_ONCE(w->need_wakeup, EU_KDEV_WAKE_FD);
		/* pairs with the fence in the VR's eu_wake_needed() */
		smp_mb();
		if (!eu_tx_pending(vr)) {
			eu_tx_unlock(vr);
			return;
		}
	}
	eu_tx_unlock(vr);
thread:
	eu_tx_handoff(vr);
}

/*
 * tx-in-rx (the tx_in_rx parameter): called by the receive path (softirq,
 * under RCU) after it handed a frame to the VR. If the VR has published tx
 * entries and no other transmitter runs, send them here, on the CPU that
 * receives, so the VR's own CPU neither transmits nor kicks. While this
 * finds work it withdraws the module's announcement in the tx wake line (the
 * VR stops kicking: the next received frame looks at the ring anyway), and
 * keeps a timer armed that gives the announcement back, with the usual
 * fence and last look, once the receive path stops finding work; so no entry
 * waits longer than about two timer periods. Never sleeps: what a full
 * driver queue leaves over goes to the transmit thread.
 */
void eu_tx_from_rx(struct eu_kvr *vr)
{
	u32 i, taken = 0, t;
	bool left;

	if (!READ_ONCE(eu_tx_in_rx) || !eu_tx_pending(vr) || !eu_tx_trylock(vr))
		return;
	if (unlikely(READ_ONCE(vr->tx_rx_off))) {
		eu_tx_unlock(vr);
		return;
	}
	for (i = 0; i < EU_TX_RX_PASSES; i++) {
		t = eu_tx_pass(vr, true);
		WRITE_ONCE(vr->tx.rxpath, vr->tx.rxpath + 1);
		taken += t;
		if (vr->npk || !t)
			break;
	}
	if (taken) {
		vr->rx_drains++;
		eu_tx_rx_take_over(vr);
	}
	left = vr->npk;
	eu_tx_unlock(vr);
	if (left)
		eu_tx_handoff(vr);
}

/*
 * The timer of tx-in-rx (softirq). While the receive path keeps finding
 * work, it only re-arms. Once it found none for a whole period, the module
 * announces EU_WAKE_EVENTFD again, fences (pairs with the fence in the VR's
 * eu_wake_needed()) and drains what the VR published meanwhile: from here
 * on the VR kicks, as with any sleeping transmitter.
 */
static enum hrtimer_restart eu_tx_timer(struct hrtimer *t)
{
	struct eu_kvr *vr = container_of(t, struct eu_kvr, txtimer);
	u32 i;
	bool left;

	if (!eu_tx_trylock(vr))
		goto again;	/* another transmitter runs: look later */
	if (unlikely(READ_ONCE(vr->tx_rx_off))) {
		vr->txtimer_on = false;
		eu_tx_unlock(vr);
		return HRTIMER_NORESTART;
	}
	if (vr->rx_drains != vr->rx_drains_seen) {
		vr->rx_drains_seen = vr->rx_drains;
		eu_tx_unlock(vr);
		goto again;
	}
	WRITE_ONCE(vr->wake[EU_RING_TX].need_wakeup, EU_KDEV_WAKE_FD);
	/* pairs with the fence in the VR's eu_wake_needed() */
	smp_mb();
	for (i = 0; i < EU_TX_RX_PASSES && !vr->npk && eu_tx_pending(vr); i++) {
		eu_tx_pass(vr, true);
		WRITE_ONCE(vr->tx.rxpath, vr->tx.rxpath + 1);
	}
	left = vr->npk || eu_tx_pending(vr);
	vr->txtimer_on = false;
	eu_tx_unlock(vr);
	if (left)
		eu_tx_handoff(vr);
	return HRTIMER_NORESTART;
again:
	hrtimer_forward_now(t, eu_tx_rx_period());
	return HRTIMER_RESTART;
}

void eu_tx_timer_init(struct eu_kvr *vr)
{
	hrtimer_init(&vr->txtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	vr->txtimer.function = eu_tx_timer;
	vr->rx_jiffies = jiffies - HZ;
}

/*
 * Release (process context): no receive-path transmit starts after this
 * returns, none runs, and the timer is stopped; the transmit thread, still
 * alive, finishes what they left. A receive path that takes txbusy after
 * us sees tx_rx_off; one that took it before is waited for.
 */
void eu_tx_rx_stop(struct eu_kvr *vr)
{
	WRITE_ONCE(vr->tx_rx_off, true);
	eu_tx_lock_wait(vr);
	eu_tx_unlock(vr);
	hrtimer_cancel(&vr->txtimer);
}

/*
 * The transmit thread of one VR: drains the tx ring while it has work, and
 * when it runs dry polls it for spin_us (at once with tx_in_write, where the
 * VR's kicks transmit), then announces EU_WAKE_EVENTFD in the tx wake line
 * and sleeps until the VR kicks it (write() or EU_KDEV_IOC_KICK). The
 * announcement, a full barrier, and a re-check of the ring pair with the
 * VR's publish, fence, and read of need_wakeup in eu_kick(): one of the two
 * sees the other's store.
 */
int eu_tx_thread(void *arg)
{
	struct eu_kvr *vr = arg;
	struct eu_wake *w = &vr->wake[EU_RING_TX];
	u64 idle_since = 0, spin_ns;

	while (!kthread_should_stop()) {
		bool in_write = READ_ONCE(eu_tx_in_write);
		u32 taken, had, left;

		if (!eu_tx_trylock(vr)) {	/* another transmitter runs */
			usleep_range(20, 100);
			continue;
		}
		had = vr->npk;
		taken = eu_tx_pass(vr, false);
		left = vr->npk;
		if (taken || had)
			WRITE_ONCE(vr->tx.thread, vr->tx.thread + 1);
		eu_tx_unlock(vr);
		/*
		 * tx-in-write: the thread only helps out (a full queue, a busy
		 * transmitter); the VR's next burst kicks and transmits again.
		 * Entries published meanwhile are ours: the next pass, or the
		 * re-check before sleeping, finds them.
		 */
		if (in_write && (taken || had))
			WRITE_ONCE(w->need_wakeup, EU_KDEV_WAKE_FD);
		if (left) {	/* let the driver clean its ring */
			usleep_range(20, 100);
			idle_since = 0;
			continue;
		}
		if (taken || had) {
			cond_resched();
			idle_since = 0;
			continue;
		}
		spin_ns = in_write ? 0 : (u64)READ_ONCE(eu_spin_us) * NSEC_PER_USEC;
		if (!idle_since)
			idle_since = ktime_get_ns();
		if (ktime_get_ns() - idle_since < spin_ns) {
			cpu_relax();
			cond_resched();
			continue;
		}
		WRITE_ONCE(w->need_wakeup, EU_KDEV_WAKE_FD);
		/* pairs with the fence in the VR's eu_wake_needed() */
		smp_mb();
		if (eu_tx_pending(vr)) {
			if (!in_write)
				WRITE_ONCE(w->need_wakeup, 0);
			idle_since = 0;
			continue;
		}
		WRITE_ONCE(vr->tx.sleeps, vr->tx.sleeps + 1);
		WRITE_ONCE(w->sleeps, (u32)vr->tx.sleeps);
		wait_event_interruptible(vr->txwq, atomic_read(&vr->tx_kick) ||
					 kthread_should_stop());
		atomic_set(&vr->tx_kick, 0);
		if (!READ_ONCE(eu_tx_in_write))	/* the thread polls: no kicks needed */
			WRITE_ONCE(w->need_wakeup, 0);
		idle_since = 0;
	}
	/* stopping: what still waits for the driver is dropped, its slots returned */
	eu_tx_lock_wait(vr);
	WRITE_ONCE(vr->tx.err, vr->tx.err + vr->npk);
	eu_tx_done(vr, vr->pk, vr->npk);
	vr->npk = 0;
	eu_tx_unlock(vr);
	return 0;
}

/* A snapshot of the VR's counters for EU_KDEV_IOC_STATS. */
void eu_kvr_stats(struct eu_kvr *vr, struct eu_kdev_stats *st)
{
	u32 i, f = 0, b = 0;

	memset(st, 0, sizeof(*st));
	st->nports = vr->nports;
	st->nslots = vr->h.nslots;
	st->vr_id = vr->id;
	st->pid = pid_vnr(vr->owner);
	st->nrules = vr->nrules;
	for (i = 0; i < vr->nports; i++)
		strscpy(st->ports[i], vr->port[i]->name, sizeof(st->ports[i]));
	spin_lock_bh(&vr->lock);
	st->rx_pkts = vr->rx_pkts;
	st->rx_bytes = vr->rx_bytes;
	st->rx_nofree = vr->rx_nofree;
	st->rx_ringfull = vr->rx_ringfull;
	st->rx_toobig = vr->rx_toobig;
	for (i = 0; i < EU_KDEV_BAD_COUNT; i++)
		st->bad[i] = vr->bad[i];
	for (i = 0; i < vr->nports; i++)
		st->port_rx[i] = vr->rx_port[i];
	for (i = 0; i < vr->h.nslots; i++) {
		f += vr->own[i] == EU_KOWN_FREE;
		b += vr->own[i] == EU_KOWN_BUSY;
	}
	spin_unlock_bh(&vr->lock);
	st->sw_free = f;
	st->sw_busy = b;
	st->rx_wakeups = atomic64_read(&vr->rx_wakeups);
	st->rx_gso = atomic64_read(&vr->rx_gso);
	st->tx_kicks = atomic64_read(&vr->tx_kicks);
	st->tx_pkts = READ_ONCE(vr->tx.pkts);
	st->tx_bytes = READ_ONCE(vr->tx.bytes);
	st->tx_err = READ_ONCE(vr->tx.err);
	st->tx_sleeps = READ_ONCE(vr->tx.sleeps);
	st->tx_direct = READ_ONCE(vr->tx.direct);
	st->tx_thread = READ_ONCE(vr->tx.thread);
	st->tx_busy = READ_ONCE(vr->tx.busy);
	st->tx_rxpath = READ_ONCE(vr->tx.rxpath);
	st->tx_deferred = READ_ONCE(vr->tx.deferred);
	for (i = 0; i < vr->nports; i++)
		st->port_tx[i] = READ_ONCE(vr->tx.port[i]);
}
