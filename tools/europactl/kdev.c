/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europactl kdev - the kernel switch's (europa.ko) counters, as text or JSON.
 *
 *   europactl kdev [stats] [--device DEV] [--json]
 *
 * Reads the module-wide counters (EU_KDEV_IOC_INFO) and walks the live VRs
 * with EU_KDEV_IOC_STATS on a fresh fd without a VR of its own (kdev ABI
 * 1.1: the least VR id >= vr_id, then id + 1, until ENOENT). Everything
 * shown is kept in kernel memory: a VR cannot forge or reset it. Creates
 * nothing and changes nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <json-c/json.h>

#include <europa/kdev_abi.h>

int europactl_kdev(int argc, char **argv);

static const char *const bad_names[EU_KDEV_BAD_COUNT] = {
	[EU_KDEV_BAD_IDX] = "idx",    [EU_KDEV_BAD_OWNER] = "owner", [EU_KDEV_BAD_STATE] = "state",
	[EU_KDEV_BAD_TX_LEN] = "len", [EU_KDEV_BAD_PORT] = "port",   [EU_KDEV_BAD_RING] = "ring",
};

static void kdev_usage(FILE *f)
{
	fprintf(f,
		"usage: europactl kdev [stats] [--device DEV] [--json]\n"
		"The kernel switch (europa.ko): module-wide counters, refusals of what VRs\n"
		"wrote (by reason), and each live VR's counters, from kernel memory.\n"
		"\n"
		"  -d, --device DEV   the module's device (default %s)\n"
		"  -j, --json         print JSON\n"
		"  -h, --help         this text\n",
		EU_KDEV_PATH);
}

static int kdev_open(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		fprintf(stderr, "europactl: cannot open %s: %s%s\n", dev, strerror(e),
			e == ENOENT ? " (is europa.ko loaded? insmod backends/kmod/europa.ko, "
				      "or name the device with --device)"
			: e == EACCES || e == EPERM ? " (the device is root's: run as root)"
						    : "");
	}
	return fd;
}

static __u64 bad_total(const __u64 *bad)
{
	__u64 t = 0;
	int i;

	for (i = 0; i < EU_KDEV_BAD_COUNT; i++)
		t += bad[i];
	return t;
}

static json_object *bad_json(const __u64 *bad)
{
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < EU_KDEV_BAD_COUNT; i++)
		json_object_object_add(o, bad_names[i], json_object_new_uint64(bad[i]));
	json_object_object_add(o, "total", json_object_new_uint64(bad_total(bad)));
	return o;
}

static void bad_text(const char *lead, const __u64 *bad)
{
	int i;

	printf("%s", lead);
	for (i = 0; i < EU_KDEV_BAD_COUNT; i++)
		printf(" %s %" PRIu64, bad_names[i], (uint64_t)bad[i]);
	printf(" (total %" PRIu64 ")\n", (uint64_t)bad_total(bad));
}

static void add_u64(json_object *o, const char *k, __u64 v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/* Whether the module filled field [off, off + len) of a result of `size` bytes. */
static int has(__u32 size, size_t off, size_t len)
{
	return size >= off + len;
}

static json_object *info_json(const char *dev, const struct eu_kdev_info *in)
{
	json_object *m = json_object_new_object();
	char v[32];

	json_object_object_add(m, "device", json_object_new_string(dev));
	add_u64(m, "kdev_abi", in->abi_version);
	snprintf(v, sizeof(v), "%u.%u", in->region_abi >> 16, in->region_abi & 0xffff);
	json_object_object_add(m, "region_abi", json_object_new_string(v));
	add_u64(m, "vrs_active", in->vrs_active);
	add_u64(m, "vrs_created", in->vrs_created);
	add_u64(m, "vrs_released", in->vrs_released);
	add_u64(m, "slots_active", in->slots_active);
	add_u64(m, "bytes_active", in->bytes_active);
	add_u64(m, "slots_reclaimed", in->slots_reclaimed);
	add_u64(m, "slots_lost", in->slots_lost);
	add_u64(m, "ports_active", in->ports_active);
	if (has(in->size, offsetof(struct eu_kdev_info, tx_pkts), sizeof(in->tx_pkts))) {
		json_object_object_add(m, "refused", bad_json(in->bad));
		add_u64(m, "rx_pkts", in->rx_pkts);
		add_u64(m, "tx_pkts", in->tx_pkts);
	}
	return m;
}

static json_object *vr_json(const struct eu_kdev_stats *st)
{
	json_object *v = json_object_new_object(), *o, *a;
	__u32 i;

	add_u64(v, "id", st->vr_id);
	add_u64(v, "pid", st->pid);
	a = json_object_new_array();
	for (i = 0; i < st->nports && i < EU_KDEV_MAX_PORTS; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(
			p, "name",
			json_object_new_string_len(st->ports[i],
						   (int)strnlen(st->ports[i], EU_KDEV_IFNAMSIZ)));
		add_u64(p, "rx_pkts", st->port_rx[i]);
		add_u64(p, "tx_pkts", st->port_tx[i]);
		json_object_array_add(a, p);
	}
	json_object_object_add(v, "ports", a);
	add_u64(v, "nrules", st->nrules);
	add_u64(v, "nslots", st->nslots);
	o = json_object_new_object();
	add_u64(o, "pkts", st->rx_pkts);
	add_u64(o, "bytes", st->rx_bytes);
	add_u64(o, "nofree", st->rx_nofree);
	add_u64(o, "ringfull", st->rx_ringfull);
	add_u64(o, "toobig", st->rx_toobig);
	add_u64(o, "wakeups", st->rx_wakeups);
	add_u64(o, "gso", st->rx_gso); /* 0 from a module older than kdev ABI 1.3 */
	json_object_object_add(v, "rx", o);
	o = json_object_new_object();
	add_u64(o, "pkts", st->tx_pkts);
	add_u64(o, "bytes", st->tx_bytes);
	add_u64(o, "err", st->tx_err);
	add_u64(o, "kicks", st->tx_kicks);
	add_u64(o, "sleeps", st->tx_sleeps);
	add_u64(o, "direct", st->tx_direct);
	add_u64(o, "thread", st->tx_thread);
	add_u64(o, "queue_full", st->tx_busy);
	json_object_object_add(v, "tx", o);
	json_object_object_add(v, "refused", bad_json(st->bad));
	o = json_object_new_object();
	add_u64(o, "free", st->sw_free);
	add_u64(o, "busy", st->sw_busy);
	json_object_object_add(v, "switch_slots", o);
	return v;
}

static void vr_text_head(void)
{
	printf("%-5s %7s %-20s %12s %12s %9s %9s %7s %8s  %s\n", "VR", "PID", "PORTS", "RX", "TX",
	       "RX-NOFREE", "RX-FULL", "TX-ERR", "REFUSED", "SWITCH free/busy of slots");
}

static void vr_text(const struct eu_kdev_stats *st)
{
	char ports[EU_KDEV_MAX_PORTS * (EU_KDEV_IFNAMSIZ + 1)] = "";
	__u32 i;

	for (i = 0; i < st->nports && i < EU_KDEV_MAX_PORTS; i++)
		snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports), "%s%.*s",
			 i ? "," : "", EU_KDEV_IFNAMSIZ, st->ports[i]);
	printf("%-5u %7u %-20s %12" PRIu64 " %12" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64
	       " %8" PRIu64 "  %u/%u of %u\n",
	       st->vr_id, st->pid, ports, (uint64_t)st->rx_pkts, (uint64_t)st->tx_pkts,
	       (uint64_t)st->rx_nofree, (uint64_t)st->rx_ringfull, (uint64_t)st->tx_err,
	       (uint64_t)bad_total(st->bad), st->sw_free, st->sw_busy, st->nslots);
	if (bad_total(st->bad))
		bad_text("      refused:", st->bad);
}

/*
 * The next live VR with id >= *id into *st: 1, 0 when there is none, -1
 * after printing why not (old module, no privilege).
 */
static int next_vr(int fd, __u32 *id, struct eu_kdev_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->vr_id = *id;
	if (ioctl(fd, EU_KDEV_IOC_STATS, st) < 0) {
		int e = errno;

		if (e == ENOENT)
			return 0;
		fprintf(stderr, "europactl: reading the VRs' counters: %s%s\n", strerror(e),
			e == ENXIO   ? " (europa.ko is older than kdev ABI 1.1: per-VR counters "
				       "need the module from this source tree)"
			: e == EPERM ? " (needs CAP_NET_ADMIN: run as root)"
				     : "");
		return -1;
	}
	if (!has(st->size, offsetof(struct eu_kdev_stats, ports), sizeof(st->ports))) {
		fprintf(stderr, "europactl: europa.ko answered a short VR record (%u bytes)\n",
			st->size);
		return -1;
	}
	*id = st->vr_id + 1;
	return 1;
}

int europactl_kdev(int argc, char **argv)
{
	static const struct option lo[] = {
		{"device", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dev = EU_KDEV_PATH;
	json_object *root = NULL, *vrs = NULL;
	struct eu_kdev_info in;
	struct eu_kdev_stats st;
	int json = 0, o, fd, rc, n = 0;
	__u32 id = 0;

	optind = 0; /* glibc: start over on this argv */
	while ((o = getopt_long(argc, argv, "d:jh", lo, NULL)) != -1) {
		switch (o) {
		case 'd':
			dev = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			kdev_usage(stdout);
			return 0;
		default:
			kdev_usage(stderr);
			return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "stats") == 0)
		optind++;
	if (optind < argc) {
		fprintf(stderr, "europactl: kdev: unknown argument \"%s\"\n", argv[optind]);
		kdev_usage(stderr);
		return 2;
	}
	fd = kdev_open(dev);
	if (fd < 0)
		return 1;
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	if (ioctl(fd, EU_KDEV_IOC_INFO, &in) < 0) {
		fprintf(stderr,
			"europactl: %s does not answer EU_KDEV_IOC_INFO: %s (is it europa.ko's "
			"device?)\n",
			dev, strerror(errno));
		close(fd);
		return 1;
	}
	if (json) {
		root = json_object_new_object();
		json_object_object_add(root, "module", info_json(dev, &in));
		vrs = json_object_new_array();
		json_object_object_add(root, "vrs", vrs);
	} else {
		printf("europa.ko on %s: kdev ABI %u, region ABI %u.%u\n", dev, in.abi_version,
		       in.region_abi >> 16, in.region_abi & 0xffff);
		printf("VRs: %u live (%" PRIu64 " created, %" PRIu64 " released), %" PRIu64
		       " slots and %" PRIu64 " bytes in live regions, %u port(s) attached\n",
		       in.vrs_active, (uint64_t)in.vrs_created, (uint64_t)in.vrs_released,
		       (uint64_t)in.slots_active, (uint64_t)in.bytes_active, in.ports_active);
		printf("slots: %" PRIu64 " reclaimed from closed or dead VRs, %" PRIu64 " lost\n",
		       (uint64_t)in.slots_reclaimed, (uint64_t)in.slots_lost);
		if (has(in.size, offsetof(struct eu_kdev_info, tx_pkts), sizeof(in.tx_pkts))) {
			printf("frames (every VR since load): rx %" PRIu64 ", tx %" PRIu64 "\n",
			       (uint64_t)in.rx_pkts, (uint64_t)in.tx_pkts);
			bad_text("refused (every VR since load):", in.bad);
		}
		printf("\n");
	}
	while ((rc = next_vr(fd, &id, &st)) > 0) {
		if (json) {
			json_object_array_add(vrs, vr_json(&st));
		} else {
			if (!n)
				vr_text_head();
			vr_text(&st);
		}
		n++;
	}
	close(fd);
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(
				       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(root);
	} else if (!n && rc == 0) {
		printf("no live VR\n");
	}
	return rc < 0 ? 1 : 0;
}
