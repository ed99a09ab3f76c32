/* SPDX-License-Identifier: BSD-2-Clause */
/* tools/europad/europad.h - europad's configuration and state, shared by its files. */
#ifndef EUROPAD_H
#define EUROPAD_H

#include <stdarg.h>
#include <sys/types.h>

#include <europa/europa.h>
#include <europa/port.h>
#include <europa/switch.h>

#define ED_DEFAULT_CONFIG "/etc/europa/europad.conf"
#define ED_NAME_MAX 64
#define ED_MAX_IDS 64

/* Who may do something: root and the uid europad runs as always may. */
struct ed_acl {
	uid_t uids[ED_MAX_IDS];
	unsigned nuids;
	gid_t gids[ED_MAX_IDS];
	unsigned ngids;
};

struct ed_port {
	char name[ED_NAME_MAX]; /* the configuration's name, e.g. "uplink" */
	char *spec;             /* the port's name for eu_port_open(), e.g. "xdp:veth0" */
	struct eu_port_opts opts;
	int wait_for_vrs;       /* receive only once every VR has attached */
	struct eu_port *port;
	int line;
};

struct ed_rule {
	struct eu_switch_rule r; /* r.vr is the VR's index, r.port the port's */
	char text[160];          /* as the configuration says it, for europactl */
	int line;
};

struct ed_vr {
	char name[ED_NAME_MAX];
	struct ed_acl acl;
	struct eu_region_opts ropts;
	struct ed_rule *rules;
	unsigned nrules;
	int is_default;
	int line;
	/* run time */
	struct eu_region *region;
	int index;           /* in the switch */
	int conn;            /* the attached VR's connection (index in the client table), -1 */
	pid_t pid;           /* of the attached VR (SO_PEERCRED) */
	uid_t uid;
	double since;        /* when it attached (monotonic seconds) */
	unsigned long long attaches;
	unsigned long long refusals;
	int ever;            /* attached at least once */
};

struct ed_config {
	char *path;
	char *socket;
	unsigned mode;       /* the control socket's permission bits */
	struct ed_acl show;  /* who may use europactl (besides root and our own uid) */
	struct eu_switch_opts sw;
	struct ed_port *ports;
	unsigned nports;
	struct ed_vr *vrs;
	unsigned nvrs;
};

/* Parse `path` into *c. Returns 0, or -1 after printing "FILE:LINE: what, fix" to stderr. */
int ed_config_load(const char *path, struct ed_config *c);
void ed_config_free(struct ed_config *c);

/* Logging to stderr (with sd-daemon priority prefixes under systemd). */
enum { ED_ERR = 3, ED_WARNING = 4, ED_NOTICE = 5, ED_INFO = 6, ED_DEBUG = 7 };
extern int ed_verbosity; /* messages up to this level are printed */
void ed_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* snprintf() where cutting a long message short is fine. */
void ed_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "name(uid)" lists for messages. */
void ed_acl_describe(const struct ed_acl *a, char *buf, size_t len);

#endif /* EUROPAD_H */
