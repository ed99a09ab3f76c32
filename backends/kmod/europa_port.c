// SPDX-License-Identifier: GPL-2.0
/*
 * europa_port.c - the netdevs the kernel switch is attached to, and the
 * classification of arriving frames to VRs.
 *
 * Each netdev named by some VR gets one struct eu_kport: an rx_handler on
 * the device (as bridge and macvlan do), promiscuous mode, and a table of
 * (destination MAC, VLAN) -> (VR, port index) that is replaced as a whole
 * (RCU) whenever a VR comes or goes. A frame that matches no entry goes on
 * to the host's stack untouched.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#if __has_include(<net/gso.h>)
#include <net/gso.h> /* __skb_gso_segment() moved here in Linux 6.4 */
#endif

#include "europa.h"

static LIST_HEAD(eu_ports);
static DEFINE_MUTEX(eu_mutex);

/*
 * A GSO skb (GRO merged several arriving frames, or a virtual device passed
 * one large TCP or UDP send) is longer than a slot: cut it back into the
 * frames it stands for, with their checksums computed in software (no
 * offload is assumed on the VR's side), and give the VR each of them. A
 * skb that cannot be cut goes to eu_kvr_rx() whole, which counts it as
 * rx_toobig. Consumes skb, which the caller has made its own.
 */
static void eu_rx_gso(struct eu_kvr *vr, u16 vport, struct sk_buff *skb)
{
	struct sk_buff *segs, *seg, *next;

	__skb_push(skb, ETH_HLEN); /* the segmentation starts at the MAC header */
	segs = __skb_gso_segment(skb, NETIF_F_SG, false);
	if (IS_ERR_OR_NULL(segs)) {
		__skb_pull(skb, ETH_HLEN);
		eu_kvr_rx(vr, vport, skb);
		consume_skb(skb);
		return;
	}
	consume_skb(skb);
	atomic64_inc(&vr->rx_gso);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		__skb_pull(seg, ETH_HLEN); /* as the rx_handler sees a frame */
		eu_kvr_rx(vr, vport, seg);
		consume_skb(seg);
	}
}

static rx_handler_result_t eu_handle_frame(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct eu_kport *port = rcu_dereference(skb->dev->rx_handler_data);
	const struct eu_ktable *t;
	const u8 *dst;
	u16 vlan = 0;
	unsigned int i;

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK || !port))
		return RX_HANDLER_PASS;
	t = rcu_dereference(port->tbl);
	if (!t)
		return RX_HANDLER_PASS;
	dst = eth_hdr(skb)->h_dest;
	if (skb_vlan_tag_present(skb))
		vlan = skb_vlan_tag_get_id(skb);
	for (i = 0; i < t->n; i++) {
		const struct eu_kmatch *m = &t->m[i];

		if (m->vlan == vlan && ether_addr_equal(m->mac, dst)) {
			if (unlikely(skb_is_gso(skb))) {
				/* ours to change (a tap may hold it too): or gone */
				skb = skb_share_check(skb, GFP_ATOMIC);
				*pskb = skb;
				if (skb)
					eu_rx_gso(m->vr, m->vport, skb);
			} else {
				eu_kvr_rx(m->vr, m->vport, skb);
				consume_skb(skb);
			}
			eu_tx_from_rx(m->vr);
			return RX_HANDLER_CONSUMED;
		}
	}
	return RX_HANDLER_PASS;
}

static struct eu_kport *eu_port_find(struct net *net, const char *name)
{
	struct eu_kport *p;

	list_for_each_entry(p, &eu_ports, node)
		if (p->ndev && net_eq(p->net, net) && !strncmp(p->name, name, IFNAMSIZ))
			return p;
	return NULL;
}

/* Attach to netdev `name`: rx_handler, promiscuous mode. rtnl + eu_mutex held. */
static struct eu_kport *eu_port_new(struct net *net, const char *name, int *err)
{
	struct net_device *dev = __dev_get_by_name(net, name);
	struct eu_kport *p;

	if (!dev) {
		*err = -ENODEV;
		return NULL;
	}
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN ||
	    (dev->flags & IFF_LOOPBACK)) {
		*err = -EPROTONOSUPPORT;
		return NULL;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	strscpy(p->name, dev->name, IFNAMSIZ);
	p->net = net;
	*err = netdev_rx_handler_register(dev, eu_handle_frame, p);
	if (*err) {
		kfree(p);
		return NULL;
	}
	*err = dev_set_promiscuity(dev, 1);
	if (*err) {
		netdev_rx_handler_unregister(dev);
		kfree(p);
		return NULL;
	}
	dev_hold(dev);
	p->ndev = dev;
	rcu_assign_pointer(p->dev, dev);
	list_add(&p->node, &eu_ports);
	netdev_info(dev, "europa: attached\n");
	return p;
}

/* Detach from the netdev (it goes away, or no VR names it). rtnl + eu_mutex held. */
static void eu_port_unhook(struct eu_kport *p)
{
	struct net_device *dev = p->ndev;
	struct eu_ktable *t = rcu_dereference_protected(p->tbl, lockdep_is_held(&eu_mutex));
	unsigned int i;

	if (!dev)
		return;
	for (i = 0; t && i < t->n; i++)
		if (t->m[i].vlan)
			vlan_vid_del(dev, htons(ETH_P_8021Q), t->m[i].vlan);
	netdev_rx_handler_unregister(dev);
	dev_set_promiscuity(dev, -1);
	RCU_INIT_POINTER(p->dev, NULL);
	p->ndev = NULL;
	/* the VRs' transmit threads read p->dev under RCU */
	synchronize_net();
	netdev_info(dev, "europa: detached\n");
	dev_put(dev);
}

static bool eu_rule_on(const struct eu_kdev_rule *r, u32 vport)
{
	return r->port == EU_KDEV_PORT_ANY || r->port == vport;
}

static u16 eu_rule_vlan(const struct eu_kdev_rule *r)
{
	return (r->flags & EU_KDEV_RULE_F_VLAN) ? r->vlan : 0;
}

/*
 * The table of port p once VR `vr` (port index vport) is added, or removed
 * when vport < 0. Returns the new table (NULL when empty) or an ERR_PTR:
 * -EADDRINUSE if another VR already takes one of the (MAC, VLAN) pairs.
 */
static struct eu_ktable *eu_table_with(struct eu_kport *p, struct eu_kvr *vr, int vport)
{
	struct eu_ktable *old = rcu_dereference_protected(p->tbl, lockdep_is_held(&eu_mutex));
	unsigned int n = old ? old->n : 0, i, j, max = n;
	struct eu_ktable *t;

	if (vport >= 0)
		max += vr->nrules;
	if (!max)
		return NULL;
	t = kzalloc(struct_size(t, m, max), GFP_KERNEL | __GFP_NOFAIL);
	for (i = 0; i < n; i++)
		if (old->m[i].vr != vr)
			t->m[t->n++] = old->m[i];
	for (j = 0; vport >= 0 && j < vr->nrules; j++) {
		const struct eu_kdev_rule *r = &vr->rules[j];
		u16 vlan = eu_rule_vlan(r);
		bool dup = false;

		if (!eu_rule_on(r, vport))
			continue;
		for (i = 0; i < t->n; i++) {
			if (t->m[i].vlan != vlan || !ether_addr_equal(t->m[i].mac, r->mac))
				continue;
			if (t->m[i].vr != vr) {
				kfree(t);
				return ERR_PTR(-EADDRINUSE);
			}
			dup = true;
		}
		if (dup)
			continue;
		ether_addr_copy(t->m[t->n].mac, r->mac);
		t->m[t->n].vlan = vlan;
		t->m[t->n].vport = vport;
		t->m[t->n].vr = vr;
		t->n++;
	}
	if (!t->n) {
		kfree(t);
		return NULL;
	}
	return t;
}

/* VLAN filter entries for vr's rules on port p: add (on) or delete. */
static void eu_port_vids(struct eu_kport *p, struct eu_kvr *vr, int vport, bool on)
{
	u32 j;

	if (!p->ndev)
		return;
	for (j = 0; j < vr->nrules; j++) {
		u16 vlan = eu_rule_vlan(&vr->rules[j]);

		if (!vlan || !eu_rule_on(&vr->rules[j], vport))
			continue;
		if (on) {
			if (vlan_vid_add(p->ndev, htons(ETH_P_8021Q), vlan))
				netdev_warn(p->ndev, "europa: cannot add VLAN %u filter\n", vlan);
		} else {
			vlan_vid_del(p->ndev, htons(ETH_P_8021Q), vlan);
		}
	}
}

static void eu_port_put(struct eu_kport *p, struct list_head *dead)
{
	if (--p->users)
		return;
	eu_port_unhook(p);
	list_move(&p->node, dead);
}

static void eu_ports_free(struct list_head *dead)
{
	struct eu_kport *p, *tmp;

	list_for_each_entry_safe(p, tmp, dead, node) {
		list_del(&p->node);
		kfree(rcu_dereference_protected(p->tbl, 1));
		kfree(p);
	}
}

/*
 * Attach VR vr to the netdevs c->ports[] and add its rules to their tables.
 * Nothing is changed on failure: -ENODEV (no such netdev), -EBUSY (it has
 * another rx_handler, e.g. a bridge port), -EADDRINUSE (another VR takes
 * the same MAC and VLAN), -EPROTONOSUPPORT (not Ethernet).
 */
int eu_ports_attach(struct eu_kvr *vr, const struct eu_kdev_create *c)
{
	struct net *net = current->nsproxy->net_ns;
	struct eu_ktable *nt[EU_KDEV_MAX_PORTS] = { NULL };
	LIST_HEAD(dead);
	int err = 0;
	u32 i, got = 0;

	rtnl_lock();
	mutex_lock(&eu_mutex);
	for (i = 0; i < vr->nports; i++) {
		struct eu_kport *p = eu_port_find(net, c->ports[i]);

		if (!p)
			p = eu_port_new(net, c->ports[i], &err);
		if (!p)
			goto undo;
		p->users++;
		vr->port[i] = p;
		got++;
	}
	for (i = 0; i < vr->nports; i++) {
		nt[i] = eu_table_with(vr->port[i], vr, i);
		if (IS_ERR(nt[i])) {
			err = PTR_ERR(nt[i]);
			nt[i] = NULL;
			goto undo;
		}
	}
	for (i = 0; i < vr->nports; i++) {
		struct eu_kport *p = vr->port[i];
		struct eu_ktable *old = rcu_dereference_protected(p->tbl,
								  lockdep_is_held(&eu_mutex));

		eu_port_vids(p, vr, i, true);
		rcu_assign_pointer(p->tbl, nt[i]);
		if (old)
			kfree_rcu(old, rcu);
	}
	mutex_unlock(&eu_mutex);
	rtnl_unlock();
	return 0;
undo:
	for (i = 0; i < vr->nports; i++)
		kfree(nt[i]);
	for (i = 0; i < got; i++) {
		eu_port_put(vr->port[i], &dead);
		vr->port[i] = NULL;
	}
	mutex_unlock(&eu_mutex);
	rtnl_unlock();
	eu_ports_free(&dead);
	return err;
}

/*
 * Remove VR vr from every port's table, and detach from netdevs no VR names
 * any more. On return no rx handler can reach vr (synchronize_net()); the
 * caller has stopped vr's transmit thread before.
 */
void eu_ports_detach(struct eu_kvr *vr)
{
	LIST_HEAD(dead);
	u32 i;

	rtnl_lock();
	mutex_lock(&eu_mutex);
	for (i = 0; i < vr->nports; i++) {
		struct eu_kport *p = vr->port[i];
		struct eu_ktable *old, *t;

		if (!p)
			continue;
		old = rcu_dereference_protected(p->tbl, lockdep_is_held(&eu_mutex));
		t = eu_table_with(p, vr, -1);
		eu_port_vids(p, vr, i, false);
		rcu_assign_pointer(p->tbl, t);
		if (old)
			kfree_rcu(old, rcu);
		eu_port_put(p, &dead);
		vr->port[i] = NULL;
	}
	mutex_unlock(&eu_mutex);
	rtnl_unlock();
	synchronize_net();
	eu_ports_free(&dead);
}

unsigned int eu_ports_active(void)
{
	struct eu_kport *p;
	unsigned int n = 0;

	mutex_lock(&eu_mutex);
	list_for_each_entry(p, &eu_ports, node)
		n += !!p->ndev;
	mutex_unlock(&eu_mutex);
	return n;
}

/* A netdev going away (unregistered, or moved to another netns): let go of it. */
static int eu_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct eu_kport *p;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	mutex_lock(&eu_mutex);
	list_for_each_entry(p, &eu_ports, node)
		if (p->ndev == dev)
			eu_port_unhook(p);
	mutex_unlock(&eu_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block eu_netdev_nb = {
	.notifier_call = eu_netdev_event,
};

int eu_ports_init(void)
{
	return register_netdevice_notifier(&eu_netdev_nb);
}

void eu_ports_exit(void)
{
	unregister_netdevice_notifier(&eu_netdev_nb);
}
