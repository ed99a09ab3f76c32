// SPDX-License-Identifier: GPL-2.0
/*
 * europa_main.c - /dev/europa, the kernel switch of libeuropa.
 *
 * One open file is at most one VR. EU_KDEV_IOC_CREATE lays out a region
 * (abi.h's eu_abi_layout(), formatted as libeuropa's eu_region_format()
 * does) in vmalloc_user() memory, attaches to the named netdevs and starts
 * the VR's transmit thread; mmap() maps the region; poll()/read() let the VR
 * sleep until the rx ring has work; write() wakes the transmit thread. The
 * last close (every mapping holds the file) tears the VR down and frees its
 * region: every slot comes back, whatever state the VR left it in.
 *
 * The ioctl ABI is in include/europa/kdev_abi.h.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/nsproxy.h>
#include <linux/etherdevice.h>

#include "europa.h"

unsigned int eu_spin_us = 50;
module_param_named(spin_us, eu_spin_us, uint, 0644);
MODULE_PARM_DESC(spin_us, "Microseconds a transmit thread polls an empty tx ring before it sleeps (default 50)");

bool eu_tx_in_write = true;
module_param_named(tx_in_write, eu_tx_in_write, bool, 0644);
MODULE_PARM_DESC(tx_in_write, "A VR's kick (write()/KICK) transmits in the VR's own context instead of waking its transmit thread (default 1)");

bool eu_tx_in_rx;
module_param_named(tx_in_rx, eu_tx_in_rx, bool, 0644);
MODULE_PARM_DESC(tx_in_rx, "The receive softirq sends what a VR put in its tx ring, when no other transmitter runs (default 0)");

unsigned int eu_tx_rx_us = 500;
module_param_named(tx_rx_us, eu_tx_rx_us, uint, 0644);
MODULE_PARM_DESC(tx_rx_us, "With tx_in_rx: microseconds without receive-path transmits before a VR's kicks are asked for again (default 500, least 20)");

static unsigned int eu_max_slots = 65536;
module_param_named(max_slots, eu_max_slots, uint, 0644);
MODULE_PARM_DESC(max_slots, "Largest pool a VR may ask for, in slots (default 65536)");

static unsigned int eu_max_region_mb = 512;
module_param_named(max_region_mb, eu_max_region_mb, uint, 0644);
MODULE_PARM_DESC(max_region_mb, "Largest region a VR may ask for, in MiB (default 512)");

/* Module-wide counters (EU_KDEV_IOC_INFO). */
static atomic_t eu_vrs_active = ATOMIC_INIT(0);
static atomic64_t eu_vrs_created = ATOMIC64_INIT(0);
static atomic64_t eu_vrs_released = ATOMIC64_INIT(0);
static atomic64_t eu_slots_active = ATOMIC64_INIT(0);
static atomic64_t eu_bytes_active = ATOMIC64_INIT(0);
static atomic64_t eu_slots_reclaimed = ATOMIC64_INIT(0);
static atomic64_t eu_slots_lost = ATOMIC64_INIT(0);
static atomic_t eu_next_id = ATOMIC_INIT(0);

/*
 * Live VRs, for EU_KDEV_IOC_STATS by id (europactl), and the counters of
 * released ones (EU_KDEV_IOC_INFO's totals). A VR leaves the list before its
 * teardown starts, so a reader holding eu_vrs_mutex may use any VR on it.
 */
static LIST_HEAD(eu_vrs);
static DEFINE_MUTEX(eu_vrs_mutex);
static u64 eu_gone_bad[EU_KDEV_BAD_COUNT], eu_gone_rx, eu_gone_tx; /* eu_vrs_mutex */

/* Per open file. */
struct eu_kfile {
	struct mutex lock;      /* serialises CREATE */
	struct eu_kvr *vr;      /* set once (release), then never changes */
};

static struct eu_kvr *eu_file_vr(struct file *f)
{
	struct eu_kfile *kf = f->private_data;

	/* acquire: pairs with the release in eu_ioc_create(); vr is fully made */
	return smp_load_acquire(&kf->vr);
}

static u32 eu_pow2_at_least(u32 x)
{
	return x <= 1 ? 1 : (u32)roundup_pow_of_two(x);
}

/* Check and complete the options; -EINVAL names nothing, so be strict and simple. */
static int eu_create_check(struct eu_kdev_create *c)
{
	u32 i, j;

	if (c->flags || c->rsvd)
		return -EINVAL;
	if (!c->nslots)
		c->nslots = 1024;
	if (!c->slot_size)
		c->slot_size = 2048;
	if (!c->headroom)
		c->headroom = 128;
	if (!c->vr_slots)
		c->vr_slots = c->nslots / 2;
	if (!c->ring_size)
		c->ring_size = eu_pow2_at_least(c->nslots);
	if (c->nslots > EU_MAX_SLOTS || c->nslots > eu_max_slots)
		return -E2BIG;
	if (c->ring_size > EU_MAX_RING_SIZE || !is_power_of_2(c->ring_size))
		return -EINVAL;
	if (c->nports < 1 || c->nports > EU_KDEV_MAX_PORTS)
		return -EINVAL;
	if (c->nrules < 1 || c->nrules > EU_KDEV_MAX_RULES)
		return -EINVAL;
	for (i = 0; i < c->nports; i++) {
		if (!c->ports[i][0] || strnlen(c->ports[i], EU_KDEV_IFNAMSIZ) == EU_KDEV_IFNAMSIZ)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strncmp(c->ports[i], c->ports[j], EU_KDEV_IFNAMSIZ))
				return -EINVAL;
	}
	for (i = 0; i < c->nrules; i++) {
		struct eu_kdev_rule *r = &c->rules[i];

		if (r->flags & ~EU_KDEV_RULE_F_VLAN)
			return -EINVAL;
		if (r->port != EU_KDEV_PORT_ANY && r->port >= c->nports)
			return -EINVAL;
		if ((r->flags & EU_KDEV_RULE_F_VLAN) && (r->vlan < 1 || r->vlan > 4094))
			return -EINVAL;
		if (is_zero_ether_addr(r->mac))
			return -EINVAL;
	}
	return 0;
}

/*
 * Format the region exactly as libeuropa's eu_region_format(): zeroed up to
 * the buffers (vmalloc_user() zeroes all of it), rings empty, slots below
 * vr_slots VR_FREE and the rest SW_FREE, descriptors at the headroom, and
 * the header (with its check) last.
 */
static void eu_region_format(struct eu_kvr *vr)
{
	u8 *base = vr->mem;
	u32 i;

	for (i = 0; i < EU_RING_COUNT; i++) {
		vr->ring[i] = (struct eu_ring_shared *)(base + vr->h.rings[i].off);
		vr->ent[i] = (u32 *)(vr->ring[i] + 1);
		if (vr->h.rings[i].flags & EU_RING_F_MP)
			memset(vr->ent[i], 0xff, (size_t)vr->h.rings[i].size * 4);
	}
	vr->rsize = vr->h.rings[0].size;
	vr->rmask = vr->rsize - 1;
	vr->state = (u32 *)(base + vr->h.states_off);
	vr->desc = (struct eu_desc *)(base + vr->h.descs_off);
	vr->bufs = base + vr->h.bufs_off;
	vr->wake = (struct eu_wake *)(base + vr->h.wake_off);
	vr->sst = (struct eu_region_stats *)(base + vr->h.stats_off);
	for (i = 0; i < vr->h.nslots; i++) {
		vr->state[i] = i < vr->h.vr_slots ? EU_SLOT_VR_FREE : EU_SLOT_SW_FREE;
		vr->desc[i].off = (u16)vr->h.headroom;
	}
	vr->h.hdr_check = eu_abi_hdr_check(&vr->h);
	memcpy(base, &vr->h, sizeof(vr->h));
	((struct eu_region_hdr *)base)->sw_epoch = 1;
	/* the region is complete before the VR can map it (mmap after CREATE) */
	smp_wmb();
}

static void eu_kvr_free(struct eu_kvr *vr)
{
	hrtimer_cancel(&vr->txtimer);
	put_pid(vr->owner);
	vfree(vr->mem);
	kvfree(vr->own);
	kvfree(vr->cache);
	kfree(vr);
}

static struct eu_kvr *eu_kvr_new(const struct eu_kdev_create *c, int *err)
{
	struct eu_kvr *vr = kzalloc(sizeof(*vr), GFP_KERNEL);
	u32 i;

	*err = -ENOMEM;
	if (!vr)
		return NULL;
	eu_tx_timer_init(vr);
	vr->h.nslots = c->nslots;
	vr->h.slot_size = c->slot_size;
	vr->h.headroom = c->headroom;
	vr->h.vr_slots = c->vr_slots;
	for (i = 0; i < EU_RING_COUNT; i++)
		vr->h.rings[i].size = c->ring_size;
	if (eu_abi_layout(&vr->h, PAGE_SIZE)) {
		*err = -EINVAL;
		goto fail;
	}
	if (vr->h.region_size > (u64)eu_max_region_mb << 20) {
		*err = -E2BIG;
		goto fail;
	}
	vr->mem = vmalloc_user(vr->h.region_size);
	vr->own = kvcalloc(c->nslots, sizeof(*vr->own), GFP_KERNEL);
	vr->cache = kvmalloc_array(c->nslots, sizeof(*vr->cache), GFP_KERNEL);
	if (!vr->mem || !vr->own || !vr->cache)
		goto fail;
	eu_region_format(vr);
	vr->frame_max = vr->h.slot_size - vr->h.headroom;
	vr->high = c->nslots / 2 > 64 ? c->nslots / 2 : (c->nslots > 1 ? c->nslots - 1 : 1);
	/* highest index first, so the stack hands out low indices first */
	for (i = c->nslots; i-- > c->vr_slots;) {
		vr->own[i] = EU_KOWN_FREE;
		vr->cache[vr->ncache++] = i;
	}
	vr->nports = c->nports;
	vr->nrules = c->nrules;
	memcpy(vr->rules, c->rules, sizeof(vr->rules));
	spin_lock_init(&vr->lock);
	INIT_LIST_HEAD(&vr->node);
	vr->owner = get_pid(task_tgid(current));
	init_waitqueue_head(&vr->rxwq);
	init_waitqueue_head(&vr->txwq);
	vr->id = atomic_inc_return(&eu_next_id);
	*err = 0;
	return vr;
fail:
	eu_kvr_free(vr);
	return NULL;
}

static long eu_ioc_create(struct eu_kfile *kf, void __user *arg)
{
	struct eu_kdev_create c;
	struct eu_kvr *vr;
	u32 usize;
	int err;

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	if (get_user(usize, (u32 __user *)arg))
		return -EFAULT;
	if (usize < offsetofend(struct eu_kdev_create, nrules))
		return -EINVAL;
	err = copy_struct_from_user(&c, sizeof(c), arg, usize);
	if (err)
		return err;
	err = eu_create_check(&c);
	if (err)
		return err;
	mutex_lock(&kf->lock);
	if (kf->vr) {
		err = -EBUSY;
		goto out;
	}
	vr = eu_kvr_new(&c, &err);
	if (!vr)
		goto out;
	vr->txthread = kthread_create(eu_tx_thread, vr, "europa-tx/%u", vr->id);
	if (IS_ERR(vr->txthread)) {
		err = PTR_ERR(vr->txthread);
		eu_kvr_free(vr);
		goto out;
	}
	err = eu_ports_attach(vr, &c);
	if (err) {
		kthread_stop(vr->txthread);
		eu_kvr_free(vr);
		goto out;
	}
	wake_up_process(vr->txthread);
	mutex_lock(&eu_vrs_mutex);
	list_add_tail(&vr->node, &eu_vrs);
	mutex_unlock(&eu_vrs_mutex);
	atomic_inc(&eu_vrs_active);
	atomic64_inc(&eu_vrs_created);
	atomic64_add(vr->h.nslots, &eu_slots_active);
	atomic64_add(vr->h.region_size, &eu_bytes_active);
	pr_info("europa: vr %u: %u slots of %u bytes, %u port(s), %u rule(s), region %llu bytes\n",
		vr->id, vr->h.nslots, vr->h.slot_size, vr->nports, vr->nrules,
		(unsigned long long)vr->h.region_size);
	/* release: the VR is complete before other calls on this file see it */
	smp_store_release(&kf->vr, vr);
out:
	mutex_unlock(&kf->lock);
	return err;
}

/* Copy a result struct out: min(user size, ours) bytes, that size in ->size. */
static long eu_copy_out(void __user *arg, void *k, u32 ksize)
{
	u32 usize;

	if (get_user(usize, (u32 __user *)arg))
		return -EFAULT;
	if (usize < sizeof(u32))
		return -EINVAL;
	usize = min(usize, ksize);
	*(u32 *)k = usize;
	return copy_to_user(arg, k, usize) ? -EFAULT : 0;
}

static long eu_ioc_layout(struct eu_kvr *vr, void __user *arg)
{
	struct eu_kdev_layout l;
	int i;

	memset(&l, 0, sizeof(l));
	l.abi_version = EU_KDEV_ABI_VERSION;
	l.region_size = vr->h.region_size;
	l.mmap_offset = 0;
	l.nslots = vr->h.nslots;
	l.slot_size = vr->h.slot_size;
	l.headroom = vr->h.headroom;
	l.vr_slots = vr->h.vr_slots;
	l.wake_off = vr->h.wake_off;
	l.stats_off = vr->h.stats_off;
	l.states_off = vr->h.states_off;
	l.descs_off = vr->h.descs_off;
	l.bufs_off = vr->h.bufs_off;
	for (i = 0; i < EU_RING_COUNT; i++)
		l.rings[i] = vr->h.rings[i];
	return eu_copy_out(arg, &l, sizeof(l));
}

/*
 * EU_KDEV_IOC_STATS: the fd's own VR, or (vr == NULL, a caller with
 * CAP_NET_ADMIN whose struct reaches vr_id) the live VR with the least id
 * >= vr_id.
 */
static long eu_ioc_stats(struct eu_kvr *vr, void __user *arg)
{
	struct eu_kdev_stats *st;
	struct eu_kvr *v;
	u32 usize, want;
	long err;

	if (!vr) {
		if (get_user(usize, (u32 __user *)arg))
			return -EFAULT;
		if (usize < offsetofend(struct eu_kdev_stats, vr_id))
			return -ENXIO;
		if (!capable(CAP_NET_ADMIN))
			return -EPERM;
		if (get_user(want, (u32 __user *)(arg + offsetof(struct eu_kdev_stats, vr_id))))
			return -EFAULT;
	}
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	if (vr) {
		eu_kvr_stats(vr, st);
	} else {
		err = -ENOENT;
		mutex_lock(&eu_vrs_mutex);
		list_for_each_entry(v, &eu_vrs, node) {
			if (v->id >= want) {
				eu_kvr_stats(v, st);
				err = 0;
				break;
			}
		}
		mutex_unlock(&eu_vrs_mutex);
		if (err) {
			kfree(st);
			return err;
		}
	}
	err = eu_copy_out(arg, st, sizeof(*st));
	kfree(st);
	return err;
}

static long eu_ioc_info(void __user *arg)
{
	struct eu_kdev_info in;
	struct eu_kvr *v;
	int i;

	memset(&in, 0, sizeof(in));
	in.abi_version = EU_KDEV_ABI_VERSION;
	in.region_abi = EU_ABI_MAJOR << 16 | EU_ABI_MINOR;
	in.vrs_active = atomic_read(&eu_vrs_active);
	in.vrs_created = atomic64_read(&eu_vrs_created);
	in.vrs_released = atomic64_read(&eu_vrs_released);
	in.slots_active = atomic64_read(&eu_slots_active);
	in.bytes_active = atomic64_read(&eu_bytes_active);
	in.slots_reclaimed = atomic64_read(&eu_slots_reclaimed);
	in.slots_lost = atomic64_read(&eu_slots_lost);
	in.ports_active = eu_ports_active();
	mutex_lock(&eu_vrs_mutex);
	for (i = 0; i < EU_KDEV_BAD_COUNT; i++)
		in.bad[i] = eu_gone_bad[i];
	in.rx_pkts = eu_gone_rx;
	in.tx_pkts = eu_gone_tx;
	list_for_each_entry(v, &eu_vrs, node) {
		spin_lock_bh(&v->lock);
		for (i = 0; i < EU_KDEV_BAD_COUNT; i++)
			in.bad[i] += v->bad[i];
		in.rx_pkts += v->rx_pkts;
		spin_unlock_bh(&v->lock);
		in.tx_pkts += READ_ONCE(v->tx.pkts);
	}
	mutex_unlock(&eu_vrs_mutex);
	return eu_copy_out(arg, &in, sizeof(in));
}

static long eu_ioctl(struct file *f, unsigned int cmd, unsigned long uarg)
{
	struct eu_kfile *kf = f->private_data;
	void __user *arg = (void __user *)uarg;
	struct eu_kvr *vr;

	switch (cmd) {
	case EU_KDEV_IOC_CREATE:
		return eu_ioc_create(kf, arg);
	case EU_KDEV_IOC_INFO:
		return eu_ioc_info(arg);
	}
	vr = eu_file_vr(f);
	if (cmd == EU_KDEV_IOC_STATS)
		return eu_ioc_stats(vr, arg);
	if (!vr)
		return -ENXIO;
	switch (cmd) {
	case EU_KDEV_IOC_LAYOUT:
		return eu_ioc_layout(vr, arg);
	case EU_KDEV_IOC_KICK:
		eu_tx_kick(vr);
		return 0;
	}
	return -ENOTTY;
}

static int eu_mmap(struct file *f, struct vm_area_struct *vma)
{
	struct eu_kvr *vr = eu_file_vr(f);
	unsigned long len = vma->vm_end - vma->vm_start;

	if (!vr)
		return -ENXIO;
	/* shared only: a private copy would never see the module's writes */
	if (vma->vm_pgoff || len > PAGE_ALIGN(vr->h.region_size) ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	return remap_vmalloc_range(vma, vr->mem, 0);
}

static __poll_t eu_poll(struct file *f, struct poll_table_struct *wait)
{
	struct eu_kvr *vr = eu_file_vr(f);
	__poll_t mask = 0;

	if (!vr)
		return EPOLLERR;
	poll_wait(f, &vr->rxwq, wait);
	if (atomic_read(&vr->rx_signal) || eu_rx_pending(vr))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask | EPOLLOUT | EPOLLWRNORM;
}

/* Consume a pending rx wake-up, as reading an eventfd would; never blocks. */
static ssize_t eu_read(struct file *f, char __user *buf, size_t n, loff_t *pos)
{
	struct eu_kvr *vr = eu_file_vr(f);
	u64 one = 1;

	if (!vr)
		return -ENXIO;
	if (n < sizeof(one))
		return -EINVAL;
	if (!atomic_xchg(&vr->rx_signal, 0))
		return -EAGAIN;
	return copy_to_user(buf, &one, sizeof(one)) ? -EFAULT : sizeof(one);
}

/* Any write of 8 bytes wakes the transmit thread, as writing an eventfd would. */
static ssize_t eu_write(struct file *f, const char __user *buf, size_t n, loff_t *pos)
{
	struct eu_kvr *vr = eu_file_vr(f);

	if (!vr)
		return -ENXIO;
	if (n < sizeof(u64))
		return -EINVAL;
	eu_tx_kick(vr);
	return sizeof(u64);
}

static int eu_open(struct inode *inode, struct file *f)
{
	struct eu_kfile *kf = kzalloc(sizeof(*kf), GFP_KERNEL);

	if (!kf)
		return -ENOMEM;
	mutex_init(&kf->lock);
	f->private_data = kf;
	return stream_open(inode, f);
}

/*
 * The last reference to the file is gone (closed, or the process died; every
 * mapping holds the file, so nothing maps the region any more). Stop the
 * receive path's transmits and the transmit thread, let go of the netdevs,
 * wait out the rx path, then count who held each slot and free the region.
 */
static void eu_kvr_release(struct eu_kvr *vr)
{
	u32 i, held = 0, busy = 0, vr_side = 0;

	mutex_lock(&eu_vrs_mutex);
	list_del_init(&vr->node);
	mutex_unlock(&eu_vrs_mutex);
	eu_tx_rx_stop(vr);
	kthread_stop(vr->txthread);
	eu_ports_detach(vr);
	mutex_lock(&eu_vrs_mutex);
	for (i = 0; i < EU_KDEV_BAD_COUNT; i++)
		eu_gone_bad[i] += vr->bad[i];
	eu_gone_rx += vr->rx_pkts;
	eu_gone_tx += vr->tx.pkts;
	mutex_unlock(&eu_vrs_mutex);
	for (i = 0; i < vr->h.nslots; i++) {
		held += vr->own[i] != EU_KOWN_NOT;
		busy += vr->own[i] == EU_KOWN_BUSY;
	}
	vr_side = vr->h.nslots - held;
	pr_info("europa: vr %u released: %u slots: switch held %u, reclaimed %u from the VR; rx %llu tx %llu, refused %llu\n",
		vr->id, vr->h.nslots, held, vr_side, vr->rx_pkts, vr->tx.pkts, vr->refused);
	if (busy)	/* the transmit thread returns every slot before it stops */
		atomic64_add(busy, &eu_slots_lost);
	atomic64_add(vr_side, &eu_slots_reclaimed);
	atomic64_sub(vr->h.nslots, &eu_slots_active);
	atomic64_sub(vr->h.region_size, &eu_bytes_active);
	atomic_dec(&eu_vrs_active);
	atomic64_inc(&eu_vrs_released);
	eu_kvr_free(vr);
}

static int eu_release(struct inode *inode, struct file *f)
{
	struct eu_kfile *kf = f->private_data;

	if (kf->vr)
		eu_kvr_release(kf->vr);
	kfree(kf);
	return 0;
}

static const struct file_operations eu_fops = {
	.owner = THIS_MODULE,
	.open = eu_open,
	.release = eu_release,
	.unlocked_ioctl = eu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = eu_mmap,
	.poll = eu_poll,
	.read = eu_read,
	.write = eu_write,
	.llseek = no_llseek,
};

static struct miscdevice eu_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "europa",
	.fops = &eu_fops,
	.mode = 0600,
};

static int __init eu_init(void)
{
	int err = eu_ports_init();

	if (err)
		return err;
	err = misc_register(&eu_misc);
	if (err) {
		eu_ports_exit();
		return err;
	}
	pr_info("europa: /dev/europa ready (kdev ABI %u.%u, region ABI %u.%u)\n",
		EU_KDEV_ABI_VERSION, EU_KDEV_ABI_MINOR, EU_ABI_MAJOR, EU_ABI_MINOR);
	return 0;
}

/* Every open file holds the module (fops.owner), so no VR exists here. */
static void __exit eu_exit(void)
{
	misc_deregister(&eu_misc);
	eu_ports_exit();
	pr_info("europa: unloaded\n");
}

module_init(eu_init);
module_exit(eu_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("libeuropa");
MODULE_DESCRIPTION("EUROPA kernel switch: shared slot pools between NICs and user-mode routers");
