/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tools/europad/config.c - europad's configuration file, read with libconfig
 * (docs/europad.md and tools/europad/europad.conf.example describe it).
 *
 * Why libconfig: the file is a typed tree (lists of ports and of VRs, each VR
 * a group with a list of rules), which libconfig reads natively, with
 * comments, string, integer, boolean and list types, and a line number for
 * every setting, so each error can say where it is. inih has no nesting,
 * libyaml hands out parse events that would need a hand-written tree walker,
 * JSON (json-c) has no comments, and libucl is less widespread. libconfig is
 * in Debian since 2006 (libconfig-dev) and maintained upstream.
 *
 * Every error names the file, the line, the setting, what is wrong and what
 * to write instead; unknown settings are errors too (a typo must not be
 * silently ignored).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "europad.h"

struct ctx {
	const char *file;
	int failed;
};

static void cerr(struct ctx *x, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cerr(struct ctx *x, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "europad: %s:%d: ", x->file, s ? config_setting_source_line(s) : 0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	x->failed++;
}

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	default:
		return "nothing";
	}
}

/* Refuse members of group g not in known[] (NULL-terminated). */
static void check_known(struct ctx *x, const config_setting_t *g, const char *where,
			const char *const *known)
{
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		char list[512] = "";
		int k, ok = 0;

		for (k = 0; known[k]; k++) {
			if (name && strcmp(name, known[k]) == 0)
				ok = 1;
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 k ? ", " : "", known[k]);
		}
		if (!ok)
			cerr(x, m, "%s: unknown setting \"%s\" (known: %s)", where,
			     name ? name : "?", list);
	}
}

/* An optional string member; NULL if absent. */
static const char *get_str(struct ctx *x, const config_setting_t *g, const char *key,
			   const char *where)
{
	const config_setting_t *m = config_setting_get_member(g, key);

	if (!m)
		return NULL;
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		cerr(x, m, "%s.%s must be a string in quotes, not %s", where, key,
		     type_name(config_setting_type(m)));
		return NULL;
	}
	return config_setting_get_string(m);
}

/* An optional integer member in [lo, hi]; *out unchanged if absent. */
static void get_uint(struct ctx *x, const config_setting_t *g, const char *key,
		     const char *where, long long lo, long long hi, __u32 *out)
{
	const config_setting_t *m = config_setting_get_member(g, key);
	long long v;

	if (!m)
		return;
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64) {
		cerr(x, m, "%s.%s must be an integer, not %s", where, key,
		     type_name(config_setting_type(m)));
		return;
	}
	v = config_setting_get_int64(m);
	if (v < lo || v > hi) {
		cerr(x, m, "%s.%s = %lld is out of range %lld..%lld", where, key, v, lo, hi);
		return;
	}
	*out = (__u32)v;
}

static void get_bool(struct ctx *x, const config_setting_t *g, const char *key,
		     const char *where, int *out)
{
	const config_setting_t *m = config_setting_get_member(g, key);

	if (!m)
		return;
	if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
		cerr(x, m, "%s.%s must be true or false, not %s", where, key,
		     type_name(config_setting_type(m)));
		return;
	}
	*out = config_setting_get_bool(m);
}

/* users = ["alice", 1000]; groups = ["europa", 100]; */
static void get_acl(struct ctx *x, const config_setting_t *g, const char *where, struct ed_acl *a)
{
	static const char *const keys[2] = { "users", "groups" };
	int k;

	for (k = 0; k < 2; k++) {
		const config_setting_t *l = config_setting_get_member(g, keys[k]);
		int i, n;

		if (!l)
			continue;
		if (!config_setting_is_aggregate(l) || config_setting_is_group(l)) {
			cerr(x, l, "%s.%s must be a list of names or ids, e.g. [\"alice\", 1000]",
			     where, keys[k]);
			continue;
		}
		n = config_setting_length(l);
		for (i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
			long long id = -1;

			if (config_setting_type(e) == CONFIG_TYPE_INT ||
			    config_setting_type(e) == CONFIG_TYPE_INT64) {
				id = config_setting_get_int64(e);
			} else if (config_setting_type(e) == CONFIG_TYPE_STRING) {
				const char *nm = config_setting_get_string(e);

				if (k == 0) {
					struct passwd *pw = getpwnam(nm);

					if (pw)
						id = pw->pw_uid;
				} else {
					struct group *gr = getgrnam(nm);

					if (gr)
						id = gr->gr_gid;
				}
				if (id < 0) {
					cerr(x, e, "%s.%s: no %s named \"%s\" on this host (create it, "
						   "or give a numeric id)", where, keys[k],
					     k ? "group" : "user", nm);
					continue;
				}
			} else {
				cerr(x, e, "%s.%s: entries are names in quotes or numeric ids",
				     where, keys[k]);
				continue;
			}
			if (id < 0 || id > 0x7fffffffLL) {
				cerr(x, e, "%s.%s: id %lld out of range", where, keys[k], id);
				continue;
			}
			if ((k ? a->ngids : a->nuids) >= ED_MAX_IDS) {
				cerr(x, e, "%s.%s: more than %d entries", where, keys[k], ED_MAX_IDS);
				break;
			}
			if (k)
				a->gids[a->ngids++] = (gid_t)id;
			else
				a->uids[a->nuids++] = (uid_t)id;
		}
	}
}

static void parse_control(struct ctx *x, const config_setting_t *g, struct ed_config *c)
{
	static const char *const known[] = { "socket", "mode", "users", "groups", NULL };
	const char *s;

	if (!config_setting_is_group(g)) {
		cerr(x, g, "control must be a group: control = { socket = \"...\"; };");
		return;
	}
	check_known(x, g, "control", known);
	s = get_str(x, g, "socket", "control");
	if (s) {
		free(c->socket);
		c->socket = strdup(s);
	}
	s = get_str(x, g, "mode", "control");
	if (s) {
		char *end;
		unsigned long m = strtoul(s, &end, 8);

		if (!*s || *end || m > 0777)
			cerr(x, config_setting_get_member(g, "mode"),
			     "control.mode \"%s\" is not octal permission bits, e.g. \"0660\"", s);
		else
			c->mode = (unsigned)m;
	}
	get_acl(x, g, "control", &c->show);
}

static void parse_switch(struct ctx *x, const config_setting_t *g, struct ed_config *c)
{
	static const char *const known[] = { "burst", "spin_us", "yield_us", "tx_stall_ms", "busy",
					     NULL };
	int busy = 0;

	if (!config_setting_is_group(g)) {
		cerr(x, g, "switch must be a group: switch = { burst = 64; };");
		return;
	}
	check_known(x, g, "switch", known);
	get_uint(x, g, "burst", "switch", 1, EU_SWITCH_MAX_BURST, &c->sw.burst);
	get_uint(x, g, "spin_us", "switch", 0, 10000000, &c->sw.spin_us);
	get_uint(x, g, "yield_us", "switch", 0, 10000000, &c->sw.yield_us);
	get_uint(x, g, "tx_stall_ms", "switch", 1, 60000, &c->sw.tx_stall_ms);
	get_bool(x, g, "busy", "switch", &busy);
	if (busy)
		c->sw.flags |= EU_SWITCH_O_BUSY;
}

static int name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= ED_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

static void parse_ports(struct ctx *x, const config_setting_t *l, struct ed_config *c)
{
	static const char *const known[] = { "name", "port", "ring_size", "frame_size", "xdp_mode",
					     "loop", "wait_for_vrs", NULL };
	int i, n;

	if (!config_setting_is_list(l)) {
		cerr(x, l, "ports must be a list: ports = ( { name = \"a\"; port = \"xdp:eth0\"; } );");
		return;
	}
	n = config_setting_length(l);
	c->ports = calloc((size_t)n + 1, sizeof(*c->ports));
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct ed_port *p = &c->ports[c->nports];
		char where[64];
		const char *s;
		int flag = 0;
		unsigned k;

		snprintf(where, sizeof(where), "ports[%d]", i);
		if (!config_setting_is_group(g)) {
			cerr(x, g, "%s must be a group { name = ...; port = ...; }", where);
			continue;
		}
		check_known(x, g, where, known);
		p->line = config_setting_source_line(g);
		p->opts.size = sizeof(p->opts);
		s = get_str(x, g, "name", where);
		if (s && !name_ok(s))
			cerr(x, g, "%s.name \"%s\": use 1..%d letters, digits, '-', '_' or '.'",
			     where, s, ED_NAME_MAX - 1);
		snprintf(p->name, sizeof(p->name), "%s", s && name_ok(s) ? s : "");
		if (!p->name[0])
			snprintf(p->name, sizeof(p->name), "port%d", i);
		for (k = 0; k < c->nports; k++)
			if (strcmp(c->ports[k].name, p->name) == 0)
				cerr(x, g, "%s.name \"%s\" is already the name of ports[%u]", where,
				     p->name, k);
		s = get_str(x, g, "port", where);
		if (!s)
			cerr(x, g, "%s needs port = \"DRIVER:ARGS\", e.g. \"xdp:eth0\", "
				   "\"packet:eth0\", \"tap:tap0\" or \"pcap:in.pcap,out.pcap\"", where);
		p->spec = strdup(s ? s : "");
		get_uint(x, g, "ring_size", where, 0, 1 << 20, &p->opts.ring_size);
		get_uint(x, g, "frame_size", where, 0, 65536, &p->opts.frame_size);
		s = get_str(x, g, "xdp_mode", where);
		if (s) {
			if (strcmp(s, "copy") == 0)
				p->opts.flags |= EU_PORT_O_COPY;
			else if (strcmp(s, "zerocopy") == 0)
				p->opts.flags |= EU_PORT_O_ZEROCOPY;
			else if (strcmp(s, "auto") != 0)
				cerr(x, config_setting_get_member(g, "xdp_mode"),
				     "%s.xdp_mode \"%s\": write \"auto\", \"copy\" or \"zerocopy\"",
				     where, s);
		}
		get_bool(x, g, "loop", where, &flag);
		if (flag)
			p->opts.flags |= EU_PORT_O_LOOP;
		get_bool(x, g, "wait_for_vrs", where, &p->wait_for_vrs);
		c->nports++;
	}
	if (c->nports > EU_SWITCH_MAX_PORTS)
		cerr(x, l, "%u ports; a switch has at most %d", c->nports, EU_SWITCH_MAX_PORTS);
}

static int find_port(const struct ed_config *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->nports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void parse_rule(struct ctx *x, const config_setting_t *g, const char *where,
		       struct ed_config *c, unsigned vr, struct ed_rule *r)
{
	static const char *const known[] = { "port", "mac", "vlan", NULL };
	const config_setting_t *m;
	size_t len = 0;
	int failed = x->failed;

	memset(r, 0, sizeof(*r));
	r->r.size = sizeof(r->r);
	r->r.vr = vr;
	r->line = config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cerr(x, g, "%s must be a group { port = ...; mac = ...; vlan = ...; }", where);
		return;
	}
	check_known(x, g, where, known);
	m = config_setting_get_member(g, "port");
	if (m) {
		int p = -1;

		if (config_setting_type(m) == CONFIG_TYPE_STRING)
			p = find_port(c, config_setting_get_string(m));
		else if (config_setting_type(m) == CONFIG_TYPE_INT)
			p = config_setting_get_int(m);
		if (p < 0 || (unsigned)p >= c->nports)
			cerr(x, m, "%s.port: no such port; name one of ports[] by its name (in "
				   "quotes) or its index 0..%u", where, c->nports ? c->nports - 1 : 0);
		else {
			r->r.flags |= EU_RULE_F_PORT;
			r->r.port = (__u32)p;
			len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "port %s ",
						c->ports[p].name);
		}
	}
	m = config_setting_get_member(g, "mac");
	if (m) {
		const char *s = config_setting_type(m) == CONFIG_TYPE_STRING ?
					config_setting_get_string(m) : "";

		if (eu_ether_parse_mac(s, r->r.mac, NULL) < 0)
			cerr(x, m, "%s.mac must be a MAC address in quotes, e.g. "
				   "\"02:00:00:00:00:01\"", where);
		else {
			r->r.flags |= EU_RULE_F_MAC;
			len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "mac %s ", s);
		}
	}
	m = config_setting_get_member(g, "vlan");
	if (m) {
		if (config_setting_type(m) == CONFIG_TYPE_STRING &&
		    strcmp(config_setting_get_string(m), "untagged") == 0) {
			r->r.flags |= EU_RULE_F_UNTAGGED;
			len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "untagged ");
		} else if (config_setting_type(m) == CONFIG_TYPE_INT &&
			   config_setting_get_int(m) >= 1 && config_setting_get_int(m) <= 4094) {
			r->r.flags |= EU_RULE_F_VLAN;
			r->r.vlan = (__u16)config_setting_get_int(m);
			len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "vlan %u ",
						r->r.vlan);
		} else {
			cerr(x, m, "%s.vlan must be a VLAN id 1..4094 or \"untagged\"", where);
		}
	}
	if (!r->r.flags && failed == x->failed)
		cerr(x, g, "%s matches everything: give it a port, a mac or a vlan (for a "
			   "catch-all, set default = true on the VR instead)", where);
	if (len)
		r->text[len - 1] = 0;
}

static void parse_vrs(struct ctx *x, const config_setting_t *l, struct ed_config *c)
{
	static const char *const known[] = { "name", "users", "groups", "slots", "slot_size",
					     "headroom", "ring_size", "rules", "default", NULL };
	int i, n, ndef = 0;

	if (!config_setting_is_list(l)) {
		cerr(x, l, "vrs must be a list: vrs = ( { name = \"vr1\"; ... } );");
		return;
	}
	n = config_setting_length(l);
	c->vrs = calloc((size_t)n + 1, sizeof(*c->vrs));
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		const config_setting_t *rl;
		struct ed_vr *v = &c->vrs[c->nvrs];
		char where[64];
		const char *s;
		unsigned k;

		snprintf(where, sizeof(where), "vrs[%d]", i);
		if (!config_setting_is_group(g)) {
			cerr(x, g, "%s must be a group { name = ...; }", where);
			continue;
		}
		check_known(x, g, where, known);
		v->line = config_setting_source_line(g);
		v->conn = -1;
		s = get_str(x, g, "name", where);
		if (!s || !name_ok(s))
			cerr(x, g, "%s needs name = \"NAME\": 1..%d letters, digits, '-', '_' or "
				   "'.' (VRs attach with europad:SOCKET#NAME)", where, ED_NAME_MAX - 1);
		else
			snprintf(v->name, sizeof(v->name), "%s", s);
		ed_fmt(where, sizeof(where), "vrs[%d] (%s)", i, v->name);
		for (k = 0; k < c->nvrs; k++)
			if (v->name[0] && strcmp(c->vrs[k].name, v->name) == 0)
				cerr(x, g, "%s: the name is already taken by vrs[%u]", where, k);
		get_acl(x, g, where, &v->acl);
		eu_region_opts_default(&v->ropts);
		get_uint(x, g, "slots", where, 16, EU_MAX_SLOTS, &v->ropts.nslots);
		get_uint(x, g, "slot_size", where, EU_MIN_SLOT_SIZE, EU_MAX_SLOT_SIZE,
			 &v->ropts.slot_size);
		get_uint(x, g, "headroom", where, 0, EU_MAX_SLOT_SIZE - 1, &v->ropts.headroom);
		get_uint(x, g, "ring_size", where, 0, EU_MAX_RING_SIZE, &v->ropts.ring_size);
		if (eu_region_memsize(&v->ropts) == 0)
			cerr(x, g, "%s: pool geometry refused: %s", where, eu_last_error());
		get_bool(x, g, "default", where, &v->is_default);
		ndef += v->is_default;
		rl = config_setting_get_member(g, "rules");
		if (rl) {
			int j, nr;

			if (!config_setting_is_list(rl)) {
				cerr(x, rl, "%s.rules must be a list: rules = ( { mac = \"...\"; } );",
				     where);
			} else {
				nr = config_setting_length(rl);
				v->rules = calloc((size_t)nr + 1, sizeof(*v->rules));
				for (j = 0; j < nr; j++) {
					char w2[96];

					snprintf(w2, sizeof(w2), "%s.rules[%d]", where, j);
					parse_rule(x, config_setting_get_elem(rl, (unsigned)j), w2, c,
						   c->nvrs, &v->rules[v->nrules++]);
				}
			}
		}
		if (!v->nrules && !v->is_default)
			cerr(x, g, "%s gets no traffic: give it rules = ( { mac = \"...\"; } ) or "
				   "default = true", where);
		c->nvrs++;
	}
	if (ndef > 1)
		cerr(x, l, "%d VRs say default = true; at most one may", ndef);
	if (c->nvrs > EU_SWITCH_MAX_VRS)
		cerr(x, l, "%u VRs; a switch has at most %d", c->nvrs, EU_SWITCH_MAX_VRS);
}

int ed_config_load(const char *path, struct ed_config *c)
{
	static const char *const known[] = { "control", "switch", "ports", "vrs", NULL };
	struct ctx x = { .file = path, .failed = 0 };
	config_setting_t *root, *s;
	config_t cfg;

	memset(c, 0, sizeof(*c));
	c->path = realpath(path, NULL);
	if (!c->path)
		c->path = strdup(path);
	c->socket = strdup("/run/europa.sock");
	c->mode = 0666;
	eu_switch_opts_default(&c->sw);
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			fprintf(stderr, "europad: cannot read the configuration %s: %s (give "
					"another with -c FILE; tools/europad/europad.conf.example "
					"is a start)\n", path, strerror(errno));
		else
			fprintf(stderr, "europad: %s:%d: %s (libconfig syntax: name = value; "
					"groups { }, lists ( ), arrays [ ])\n",
				config_error_file(&cfg) ? config_error_file(&cfg) : path,
				config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return -1;
	}
	root = config_root_setting(&cfg);
	check_known(&x, root, "top level", known);
	if ((s = config_setting_get_member(root, "control")))
		parse_control(&x, s, c);
	if ((s = config_setting_get_member(root, "switch")))
		parse_switch(&x, s, c);
	if ((s = config_setting_get_member(root, "ports")))
		parse_ports(&x, s, c);
	if (!c->nports)
		cerr(&x, s, "no ports: europad needs ports = ( { name = \"...\"; port = "
			    "\"xdp:IFNAME\"; } );");
	if ((s = config_setting_get_member(root, "vrs")))
		parse_vrs(&x, s, c);
	if (!c->nvrs)
		cerr(&x, s, "no VRs: europad needs vrs = ( { name = \"vr1\"; default = true; } );");
	config_destroy(&cfg);
	if (x.failed) {
		ed_config_free(c);
		return -1;
	}
	return 0;
}

void ed_config_free(struct ed_config *c)
{
	unsigned i;

	for (i = 0; i < c->nports; i++)
		free(c->ports[i].spec);
	for (i = 0; i < c->nvrs; i++)
		free(c->vrs[i].rules);
	free(c->ports);
	free(c->vrs);
	free(c->path);
	free(c->socket);
	memset(c, 0, sizeof(*c));
}

void ed_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void ed_acl_describe(const struct ed_acl *a, char *buf, size_t len)
{
	size_t n = 0;
	unsigned i;

	n += (size_t)snprintf(buf + n, len - n, "users root(0)");
	if (geteuid() != 0) { /* europad's own user is admitted too */
		struct passwd *me = getpwuid(geteuid());

		n += (size_t)snprintf(buf + n, len - n, ", %s(%u)", me ? me->pw_name : "?",
				      (unsigned)geteuid());
	}
	for (i = 0; i < a->nuids && n < len; i++) {
		struct passwd *pw = getpwuid(a->uids[i]);

		n += (size_t)snprintf(buf + n, len - n, ", %s(%u)", pw ? pw->pw_name : "?",
				      (unsigned)a->uids[i]);
	}
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, "; groups ");
	for (i = 0; i < a->ngids && n < len; i++) {
		struct group *gr = getgrgid(a->gids[i]);

		n += (size_t)snprintf(buf + n, len - n, "%s%s(%u)", i ? ", " : "",
				      gr ? gr->gr_name : "?", (unsigned)a->gids[i]);
	}
	if (!a->ngids && n < len)
		snprintf(buf + n, len - n, "none");
}
