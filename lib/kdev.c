/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/kdev.c - the kernel switch backend: a region made by europa.ko and
 * mapped from /dev/europa (ABI in kdev_abi.h, usage in kdev.h).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <europa/ipv4.h>
#include <europa/kdev.h>

#include "internal.h"

EU_STATIC_ASSERT(EU_KDEV_WAKE_FD == EU_WAKE_EVENTFD,
		 "the module's wake value must be wait.h's EU_WAKE_EVENTFD");

static int eu_parse_u32(const char *v, __u32 *out)
{
	char *end;
	unsigned long x;

	if (!*v)
		return -1;
	x = strtoul(v, &end, 0);
	if (*end || x > 0xffffffffUL)
		return -1;
	*out = (__u32)x;
	return 0;
}

/* mac=MAC[.VLAN][@PORT] */
static int eu_parse_rule(const char *v, struct eu_kdev_rule *r)
{
	const char *p;
	char *end;
	unsigned long x;

	memset(r, 0, sizeof(*r));
	r->port = EU_KDEV_PORT_ANY;
	if (eu_ether_parse_mac(v, r->mac, &p) < 0)
		return -1;
	if (*p == '.') {
		x = strtoul(p + 1, &end, 10);
		if (end == p + 1 || x < 1 || x > 4094)
			return -1;
		r->vlan = (__u16)x;
		r->flags |= EU_KDEV_RULE_F_VLAN;
		p = end;
	}
	if (*p == '@') {
		x = strtoul(p + 1, &end, 10);
		if (end == p + 1 || x >= EU_KDEV_MAX_PORTS)
			return -1;
		r->port = (__u16)x;
		p = end;
	}
	return *p ? -1 : 0;
}

EU_API int eu_kdev_parse(const char *spec, struct eu_kdev_create *c, char *dev, size_t devlen)
{
	char buf[1024], *save = NULL, *kv, *hash;
	const char *path;

	if (!spec || !c || !dev || !devlen)
		return eu_err(EINVAL, "kdev: NULL argument");
	if (strncmp(spec, "kdev:", 5) == 0)
		spec += 5;
	if (strlen(spec) >= sizeof(buf))
		return eu_err(EINVAL, "kdev: specification longer than %zu bytes", sizeof(buf) - 1);
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	strcpy(buf, spec);
	hash = strchr(buf, '#');
	if (hash)
		*hash++ = 0;
	path = buf[0] ? buf : EU_KDEV_PATH;
	if (strlen(path) >= devlen)
		return eu_err(EINVAL, "kdev: device path %s too long", path);
	strcpy(dev, path);
	for (kv = hash ? strtok_r(hash, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		int bad = 0;

		if (!v)
			return eu_err(EINVAL, "kdev: \"%s\" is not KEY=VALUE (keys: port, mac, slots, "
					      "slot_size, headroom, vr_slots, ring)", kv);
		*v++ = 0;
		if (strcmp(kv, "port") == 0) {
			if (c->nports >= EU_KDEV_MAX_PORTS)
				return eu_err(EINVAL, "kdev: more than %d ports", EU_KDEV_MAX_PORTS);
			if (!*v || strlen(v) >= EU_KDEV_IFNAMSIZ)
				return eu_err(EINVAL, "kdev: port name \"%s\" is empty or longer than "
						      "%d characters", v, EU_KDEV_IFNAMSIZ - 1);
			strcpy(c->ports[c->nports++], v);
		} else if (strcmp(kv, "mac") == 0) {
			if (c->nrules >= EU_KDEV_MAX_RULES)
				return eu_err(EINVAL, "kdev: more than %d rules", EU_KDEV_MAX_RULES);
			if (eu_parse_rule(v, &c->rules[c->nrules++]))
				return eu_err(EINVAL, "kdev: rule \"%s\" is not MAC[.VLAN][@PORT], e.g. "
						      "02:00:00:00:00:01.100@0", v);
		} else if (strcmp(kv, "slots") == 0) {
			bad = eu_parse_u32(v, &c->nslots);
		} else if (strcmp(kv, "slot_size") == 0) {
			bad = eu_parse_u32(v, &c->slot_size);
		} else if (strcmp(kv, "headroom") == 0) {
			bad = eu_parse_u32(v, &c->headroom);
		} else if (strcmp(kv, "vr_slots") == 0) {
			bad = eu_parse_u32(v, &c->vr_slots);
		} else if (strcmp(kv, "ring") == 0) {
			bad = eu_parse_u32(v, &c->ring_size);
		} else {
			return eu_err(EINVAL, "kdev: unknown key \"%s\" (keys: port, mac, slots, "
					      "slot_size, headroom, vr_slots, ring)", kv);
		}
		if (bad)
			return eu_err(EINVAL, "kdev: %s=%s is not a number", kv, v);
	}
	if (!c->nports || !c->nrules)
		return eu_err(EINVAL, "kdev: a VR needs at least one port=IFNAME and one mac=MAC, "
				      "e.g. kdev:/dev/europa#port=eth0,mac=02:00:00:00:00:01");
	return 0;
}

EU_API int eu_region_is_kdev(const struct eu_region *r)
{
	return r && r->backing == EU_BACK_KDEV;
}

EU_API struct eu_region *eu_kdev_wrap(int fd, void *mem, __u64 len)
{
	struct eu_region_hdr h;
	struct eu_region *r;
	char why[256];
	int err, i;

	if (fd < 0 || !mem)
		return eu_err_null(EINVAL, "kdev: bad fd or memory");
	/* one read of the shared header: what was validated is what we use */
	err = eu_region_validate_copy(mem, len, why, sizeof(why), &h);
	if (err)
		return eu_err_null(-err, "kdev: the module's region was refused: %s (module and "
					 "library built from different sources?)", why);
	r = calloc(1, sizeof(*r));
	if (!r)
		return eu_err_null(ENOMEM, "kdev: out of memory");
	r->h = h;
	for (i = 0; i < EU_RING_COUNT; i++)
		r->wake_fd[i] = -1;
	/* Both ways of waking go through the device fd (see kdev_abi.h). */
	r->wake_fd[EU_RING_TX] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	r->wake_fd[EU_RING_RX] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->wake_fd[EU_RING_TX] < 0 || r->wake_fd[EU_RING_RX] < 0) {
		int e = errno;

		for (i = 0; i < EU_RING_COUNT; i++)
			if (r->wake_fd[i] >= 0)
				close(r->wake_fd[i]);
		free(r);
		return eu_err_null(e, "kdev: dup of the device fd: %s", strerror(e));
	}
	r->base = mem;
	r->len = len;
	r->fd = fd;
	r->backing = EU_BACK_KDEV;
	r->hdr = (struct eu_region_hdr *)mem;
	return r;
}

/* The module's layout must be the one in the header (it made both). */
static int eu_kdev_check_layout(const struct eu_kdev_layout *l, const struct eu_region_hdr *h)
{
	int i;

	if (l->region_size != h->region_size || l->nslots != h->nslots ||
	    l->slot_size != h->slot_size || l->headroom != h->headroom ||
	    l->vr_slots != h->vr_slots || l->wake_off != h->wake_off ||
	    l->stats_off != h->stats_off || l->states_off != h->states_off ||
	    l->descs_off != h->descs_off || l->bufs_off != h->bufs_off)
		return -1;
	for (i = 0; i < EU_RING_COUNT; i++)
		if (l->rings[i].off != h->rings[i].off || l->rings[i].size != h->rings[i].size ||
		    l->rings[i].flags != h->rings[i].flags)
			return -1;
	return 0;
}

static const char *eu_kdev_hint(int e)
{
	switch (e) {
	case ENOENT:
		return " (is europa.ko loaded? modprobe europa, or insmod backends/kmod/europa.ko)";
	case EACCES:
	case EPERM:
		return " (creating a VR needs CAP_NET_ADMIN)";
	case ENODEV:
		return " (no network interface of that name in this namespace)";
	case EADDRINUSE:
		return " (another VR already takes that MAC and VLAN on that port)";
	case EBUSY:
		return " (the interface belongs to something else, e.g. a bridge or macvlan)";
	case E2BIG:
		return " (pool too large: see the module parameters max_slots, max_region_mb)";
	default:
		return "";
	}
}

EU_API struct eu_region *eu_kdev_open(const char *dev, const struct eu_kdev_create *c)
{
	struct eu_kdev_layout l;
	struct eu_region *r;
	void *mem;
	int fd, e;

	if (!c)
		return eu_err_null(EINVAL, "kdev: no options");
	if (!dev)
		dev = EU_KDEV_PATH;
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return eu_err_null(e, "kdev: open %s: %s%s", dev, strerror(e), eu_kdev_hint(e));
	}
	if (ioctl(fd, EU_KDEV_IOC_CREATE, c) < 0) {
		e = errno;
		close(fd);
		return eu_err_null(e, "kdev: %s: creating the VR: %s%s", dev, strerror(e),
				   eu_kdev_hint(e));
	}
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	if (ioctl(fd, EU_KDEV_IOC_LAYOUT, &l) < 0 || l.size < sizeof(l)) {
		e = errno ? errno : EPROTO;
		close(fd);
		return eu_err_null(e, "kdev: %s: reading the layout: %s", dev, strerror(e));
	}
	mem = mmap(NULL, l.region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)l.mmap_offset);
	if (mem == MAP_FAILED) {
		e = errno;
		close(fd);
		return eu_err_null(e, "kdev: %s: mmap of %llu bytes: %s", dev,
				   (unsigned long long)l.region_size, strerror(e));
	}
	r = eu_kdev_wrap(fd, mem, l.region_size);
	if (r && eu_kdev_check_layout(&l, &r->h)) {
		eu_region_detach(r);
		return eu_err_null(EPROTO, "kdev: %s: the module's layout and the region header "
					   "disagree", dev);
	}
	if (!r) {
		e = errno;
		munmap(mem, l.region_size);
		close(fd);
		errno = e;
	}
	return r;
}

EU_API struct eu_region *eu_kdev_attach(const char *spec)
{
	struct eu_kdev_create c;
	char dev[256];
	int err = eu_kdev_parse(spec, &c, dev, sizeof(dev));

	if (err) {
		errno = -err;
		return NULL;
	}
	return eu_kdev_open(dev, &c);
}

EU_API int eu_kdev_read_stats(const struct eu_region *r, struct eu_kdev_stats *st)
{
	if (!eu_region_is_kdev(r) || !st)
		return eu_err(EINVAL, "kdev stats: not a kernel switch region");
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(r->fd, EU_KDEV_IOC_STATS, st) < 0)
		return eu_err(errno, "kdev stats: %s", strerror(errno));
	return 0;
}

EU_API int eu_kdev_read_info(const char *dev, struct eu_kdev_info *info)
{
	int fd, e;

	if (!info)
		return eu_err(EINVAL, "kdev info: NULL argument");
	if (!dev)
		dev = EU_KDEV_PATH;
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return eu_err(e, "kdev: open %s: %s%s", dev, strerror(e), eu_kdev_hint(e));
	}
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	e = ioctl(fd, EU_KDEV_IOC_INFO, info) < 0 ? errno : 0;
	close(fd);
	return e ? eu_err(e, "kdev info: %s", strerror(e)) : 0;
}
