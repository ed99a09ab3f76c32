/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/vr.c - setting up the VR side and the switch side of a region; the
 * per-packet bursts are inline in vr.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int eu_cache_init(struct eu_cache *c, __u32 nslots)
{
	c->idx = malloc((size_t)nslots * sizeof(*c->idx));
	if (!c->idx)
		return eu_err(ENOMEM, "out of memory for a cache of %u slots", nslots);
	c->count = 0;
	c->cap = nslots;
	c->high = nslots / 2 > 64 ? nslots / 2 : (nslots > 1 ? nslots - 1 : 1);
	return 0;
}

/* Put every slot in state `st` into the cache. */
static void eu_cache_scan(struct eu_cache *c, const struct eu_slots *s, __u32 st)
{
	__u32 i;

	c->count = 0;
	/* Highest index first, so the stack hands out low indices first. */
	for (i = s->nslots; i-- > 0;)
		if (eu_state_of(eu_slot_word(s, i)) == st)
			c->idx[c->count++] = i;
}

/*
 * Rebuild the switch's records from the state words. Only at attach and
 * after reclaim, when the VR is known not to run: afterwards our records,
 * not the shared words, say what we hold. Slots we held busy stay busy.
 */
static void eu_sw_scan(struct eu_sw *sw)
{
	__u32 i;

	sw->cache.count = 0;
	for (i = sw->slots.nslots; i-- > 0;) {
		__u32 st = eu_state_of(eu_slot_word(&sw->slots, i));

		if (st == EU_SLOT_SW_FREE) {
			sw->own[i] = EU_OWN_FREE;
			sw->cache.idx[sw->cache.count++] = i;
		} else if (st == EU_SLOT_SW_BUSY) {
			sw->own[i] = EU_OWN_BUSY;
		} else {
			sw->own[i] = EU_OWN_NOT;
		}
	}
}

EU_API int eu_vr_init(struct eu_vr *vr, struct eu_region *r)
{
	int pid, err;

	if (!vr || !r)
		return eu_err(EINVAL, "vr: NULL argument");
	memset(vr, 0, sizeof(*vr));
	pid = eu_region_live_pid(r, EU_SIDE_VR);
	if (pid == getpid())
		return eu_err(EBUSY, "vr: this process is already the region's VR; one eu_vr "
				     "per region (eu_vr_fini() the other first)");
	if (pid)
		return eu_err(EBUSY, "vr: the region already has a live VR (pid %d); stop it, "
				     "or let the switch reclaim its slots first", pid);
	vr->region = r;
	err = eu_region_slots_view(r, EU_SIDE_VR, &vr->slots);
	if (!err)
		err = eu_region_ring_view(r, EU_RING_FILL, 1, &vr->fill);
	if (!err)
		err = eu_region_ring_view(r, EU_RING_RX, 0, &vr->rx);
	if (!err)
		err = eu_region_ring_view(r, EU_RING_TX, 1, &vr->tx);
	if (!err)
		err = eu_region_ring_view(r, EU_RING_COMP, 0, &vr->comp);
	if (!err)
		err = eu_cache_init(&vr->cache, vr->slots.nslots);
	if (err)
		return err;
	vr->rx_mp = !!(vr->rx.flags & EU_RING_F_MP);
	vr->tx_wake = eu_region_wake(r, EU_RING_TX);
	vr->tx_efd = eu_region_wake_fd(r, EU_RING_TX);
	eu_cache_scan(&vr->cache, &vr->slots, EU_SLOT_VR_FREE);
	__atomic_store_n(&r->hdr->vr_pid, (__u32)getpid(), __ATOMIC_RELEASE);
	__atomic_fetch_add(&r->hdr->vr_epoch, 1, __ATOMIC_RELEASE);
	return 0;
}

EU_API void eu_vr_fini(struct eu_vr *vr)
{
	if (!vr || !vr->region)
		return;
	__atomic_store_n(&vr->region->hdr->vr_pid, 0, __ATOMIC_RELEASE);
	free(vr->cache.idx);
	memset(vr, 0, sizeof(*vr));
}

static int eu_sw_views(struct eu_sw *sw)
{
	struct eu_region *r = sw->region;
	int err = eu_region_slots_view(r, EU_SIDE_SWITCH, &sw->slots);

	if (!err)
		err = eu_region_ring_view(r, EU_RING_FILL, 0, &sw->fill);
	if (!err)
		err = eu_region_ring_view(r, EU_RING_RX, 1, &sw->rx);
	if (!err)
		err = eu_region_ring_view(r, EU_RING_TX, 0, &sw->tx);
	if (!err)
		err = eu_region_ring_view(r, EU_RING_COMP, 1, &sw->comp);
	return err;
}

EU_API int eu_sw_init(struct eu_sw *sw, struct eu_region *r)
{
	int pid, err;

	if (!sw || !r)
		return eu_err(EINVAL, "switch: NULL argument");
	memset(sw, 0, sizeof(*sw));
	pid = eu_region_live_pid(r, EU_SIDE_SWITCH);
	if (pid == getpid())
		return eu_err(EBUSY, "switch: this process is already the region's switch; one "
				     "eu_sw per region (eu_sw_fini() the other first)");
	if (pid)
		return eu_err(EBUSY, "switch: the region already has a live switch (pid %d)", pid);
	sw->region = r;
	err = eu_sw_views(sw);
	if (!err)
		err = eu_cache_init(&sw->cache, sw->slots.nslots);
	if (err)
		return err;
	sw->own = calloc(sw->slots.nslots, sizeof(*sw->own));
	if (!sw->own) {
		free(sw->cache.idx);
		sw->cache.idx = NULL;
		return eu_err(ENOMEM, "switch: out of memory for %u slot records",
			      sw->slots.nslots);
	}
	sw->rx_mp = !!(sw->rx.flags & EU_RING_F_MP);
	sw->rx_wake = eu_region_wake(r, EU_RING_RX);
	sw->rx_efd = eu_region_wake_fd(r, EU_RING_RX);
	eu_sw_scan(sw);
	__atomic_store_n(&r->hdr->sw_pid, (__u32)getpid(), __ATOMIC_RELEASE);
	__atomic_fetch_add(&r->hdr->sw_epoch, 1, __ATOMIC_RELEASE);
	return 0;
}

EU_API void eu_sw_fini(struct eu_sw *sw)
{
	if (!sw || !sw->region)
		return;
	__atomic_store_n(&sw->region->hdr->sw_pid, 0, __ATOMIC_RELEASE);
	free(sw->cache.idx);
	free(sw->own);
	memset(sw, 0, sizeof(*sw));
}

EU_API int eu_sw_reclaim(struct eu_sw *sw)
{
	__u32 i;
	int n, err;

	if (!sw || !sw->region)
		return eu_err(EINVAL, "switch reclaim: not initialised");
	/*
	 * Our records, not the shared words, say what we hold: a VR may have
	 * forged SW_BUSY on its own slots to make them look ours forever.
	 */
	for (i = 0; i < sw->slots.nslots; i++)
		eu_sw_set(sw, i, sw->own[i] == EU_OWN_BUSY   ? EU_SLOT_SW_BUSY
				 : sw->own[i] == EU_OWN_FREE ? EU_SLOT_SW_FREE
							     : EU_SLOT_VR_BUSY);
	n = eu_region_reclaim(sw->region, EU_SIDE_VR);
	if (n < 0)
		return n;
	err = eu_sw_views(sw); /* the rings were reset: start the views afresh */
	if (err)
		return err;
	eu_sw_scan(sw);
	return n;
}
