/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * examples/ipv4fwd/ctl.c - europa-fwd's control plane: the command language
 * (a subset of ip(8): addr, link, route, neigh, plus stats and ports), the
 * configuration file, the import of `ip -4 route show` output, and the
 * control socket (protocol in fwd_ctl_proto.h) that europactl talks to.
 *
 * Everything here runs on the control side of struct fwd_router: the
 * functions it calls serialise on the router's lock and never block the
 * forwarding thread (router.h). The socket's thread serves one connection at
 * a time; a command's output is built in memory, then sent, so a slow
 * reader never holds the router's lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <europa/europa.h>

#include "fwd_ctl_proto.h"
#include "router.h"

#define CTL_MAX_TOK        64
#define CTL_ERR_MAX        768
#define CTL_PROGRESS_LINES 100000

/* One command being run: its words, where its output goes, why it failed. */
struct cmd {
	struct fwd_router *r;
	FILE *out;
	enum fwd_fmt fmt;
	int readonly; /* from a peer that may only read */
	unsigned peer_uid;
	char *tok[CTL_MAX_TOK];
	int ntok;
	char err[CTL_ERR_MAX];
};

/* The ports as they are now (names, addresses), read once per command. */
struct ports {
	unsigned n;
	struct fwd_port_cfg cfg[FWD_MAX_PORTS];
};

__attribute__((format(printf, 3, 4))) static int fail(struct cmd *c, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -e;
}

static int is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

static void ports_read(struct fwd_router *r, struct ports *p)
{
	unsigned i;

	for (i = 0; i < FWD_MAX_PORTS; i++)
		if (fwd_router_port_get(r, i, &p->cfg[i]) < 0)
			break;
	p->n = i;
}

/* "p0 (NAME), p1 (NAME)": for messages that must say which ports exist. */
static const char *ports_list(struct fwd_router *r, char *buf, size_t len)
{
	struct ports p;
	size_t off = 0;
	unsigned i;

	ports_read(r, &p);
	buf[0] = 0;
	for (i = 0; i < p.n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%sp%u (%s)", i ? ", " : "", i,
					p.cfg[i].name);
	if (!p.n)
		snprintf(buf, len, "none");
	return buf;
}

static int port_lookup(struct cmd *c, const char *what, const char *name)
{
	char list[256];
	int port = fwd_router_port_find(c->r, name);

	if (port < 0)
		return fail(c, ENODEV, "%s: no port named '%s': the ports are %s", what, name,
			    ports_list(c->r, list, sizeof(list)));
	return port;
}

static int mac_zero(const unsigned char m[6])
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

/* "A.B.C.D/L" or "A.B.C.D" (/32) of an interface: host bits may be set. */
static int ifaddr_parse(const char *s, __u32 *addr, unsigned *plen)
{
	char buf[32], *slash, *end;
	unsigned long l = 32;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = 0;
		l = strtoul(slash, &end, 10);
		if (!*slash || *end || l > 32)
			return -EINVAL;
	}
	if (eu_ipv4_parse_addr(buf, addr) < 0)
		return -EINVAL;
	*plen = (unsigned)l;
	return 0;
}

/* JSON string: quoted, with the escapes RFC 8259 requires. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* ------------------------------------------------------------------ addr */

static int cmd_addr(struct cmd *c, int i)
{
	struct fwd_port_cfg cfg;
	const char *addr = NULL, *dev = NULL;
	__u32 a;
	unsigned plen;
	int port, rc, m;

	if (i >= c->ntok || !is(c->tok[i], "add"))
		return fail(c, EINVAL,
			    "addr: only 'addr add A.B.C.D/LEN dev NAME' is supported "
			    "(ports lists the addresses)");
	for (i++; i < c->ntok; i++) {
		if (is(c->tok[i], "dev") && i + 1 < c->ntok)
			dev = c->tok[++i];
		else if (!addr && strchr("0123456789", c->tok[i][0]))
			addr = c->tok[i];
		else
			return fail(c, EINVAL,
				    "addr add: unexpected word '%s' (expected "
				    "'addr add A.B.C.D/LEN dev NAME')",
				    c->tok[i]);
	}
	if (!addr || !dev)
		return fail(c, EINVAL,
			    "addr add: give the address and the port, e.g. "
			    "'addr add 198.18.0.1/24 dev p0'");
	if (ifaddr_parse(addr, &a, &plen) < 0)
		return fail(c, EINVAL,
			    "addr add %s: not an IPv4 address with a prefix length "
			    "(e.g. 198.18.0.1/24)",
			    addr);
	m = eu_ipv4_martian(a);
	if (m)
		return fail(c, EINVAL,
			    "addr add %s: a %s address cannot be a port's address: "
			    "give a unicast one",
			    addr, eu_ipv4_martian_name(m));
	if (plen < 31 && plen > 0 &&
	    ((a & ~eu_ipv4_mask(plen)) == 0 || (a | eu_ipv4_mask(plen)) == 0xffffffffU))
		return fail(c, EINVAL,
			    "addr add %s: that is the subnet's network or broadcast "
			    "address: give a host address",
			    addr);
	port = port_lookup(c, "addr add", dev);
	if (port < 0)
		return port;
	rc = fwd_router_port_get(c->r, (unsigned)port, &cfg);
	if (rc < 0)
		return fail(c, -rc, "addr add: reading port %s: %s", dev, strerror(-rc));
	cfg.addr = a;
	cfg.plen = plen;
	memset(cfg.mac, 0, sizeof(cfg.mac));
	cfg.mtu = 0;
	rc = fwd_router_port_set(c->r, (unsigned)port, &cfg);
	if (rc == -EADDRINUSE)
		return fail(c, EADDRINUSE,
			    "addr add %s dev %s: another port has that address: "
			    "give each port its own",
			    addr, dev);
	if (rc < 0)
		return fail(c, -rc, "addr add %s dev %s: refused: %s", addr, dev, strerror(-rc));
	return 0;
}

/* ------------------------------------------------------------------ link */

static int cmd_link(struct cmd *c, int i)
{
	struct fwd_port_cfg cfg;
	unsigned char mac[6] = {0};
	unsigned long mtu = 0;
	const char *dev;
	int port, rc;

	if (i + 1 >= c->ntok || !is(c->tok[i], "set"))
		return fail(c, EINVAL,
			    "link: only 'link set NAME [mtu N] [address MAC]' is "
			    "supported");
	dev = c->tok[i + 1];
	if (is(dev, "dev") && i + 2 < c->ntok)
		dev = c->tok[++i + 1];
	for (i += 2; i < c->ntok; i++) {
		const char *k = c->tok[i], *v = i + 1 < c->ntok ? c->tok[i + 1] : NULL;
		char *end;

		if (is(k, "up") || is(k, "down"))
			continue; /* ports are always up: accepted as ip(8) scripts write it */
		if (!v)
			return fail(c, EINVAL, "link set %s: '%s' needs a value", dev, k);
		if (is(k, "mtu")) {
			mtu = strtoul(v, &end, 10);
			if (*end || mtu < 68 || mtu > 65535)
				return fail(c, EINVAL,
					    "link set %s: mtu '%s' is not a number from "
					    "68 (RFC 791's minimum) to 65535",
					    dev, v);
		} else if (is(k, "address") || is(k, "lladdr")) {
			if (eu_ether_parse_mac(v, mac, NULL) < 0 || mac_zero(mac) || (mac[0] & 1))
				return fail(c, EINVAL,
					    "link set %s: '%s' is not a unicast MAC "
					    "address (e.g. 02:00:00:00:00:01)",
					    dev, v);
		} else {
			return fail(c, EINVAL,
				    "link set %s: unknown word '%s' (expected mtu or "
				    "address)",
				    dev, k);
		}
		i++;
	}
	if (!mtu && mac_zero(mac))
		return fail(c, EINVAL, "link set %s: nothing to set: give mtu N or address MAC",
			    dev);
	port = port_lookup(c, "link set", dev);
	if (port < 0)
		return port;
	rc = fwd_router_port_get(c->r, (unsigned)port, &cfg);
	if (rc < 0)
		return fail(c, -rc, "link set: reading port %s: %s", dev, strerror(-rc));
	memcpy(cfg.mac, mac, 6);
	cfg.mtu = (unsigned)mtu;
	rc = fwd_router_port_set(c->r, (unsigned)port, &cfg);
	if ((rc == -ERANGE || rc == -EINVAL) && mtu)
		return fail(c, EINVAL,
			    "link set %s mtu %lu: refused: more than the port's slots "
			    "hold (slot size less the 14-byte Ethernet header): give a "
			    "smaller mtu or open the VR with larger slots",
			    dev, mtu);
	if (rc < 0)
		return fail(c, -rc, "link set %s: refused: %s", dev, strerror(-rc));
	return 0;
}

/* ----------------------------------------------------------------- route */

static const char *route_type_name(unsigned t)
{
	static const char *const n[] = {"unicast", "blackhole", "unreachable", "prohibit", "local"};

	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static const char *prefix_format(__u32 p, unsigned len, char buf[24])
{
	char a[EU_IPV4_ADDR_STRLEN];

	if (!len && !p)
		snprintf(buf, 24, "default");
	else
		snprintf(buf, 24, "%s/%u", eu_ipv4_format(p, a), len);
	return buf;
}

/* The port a connected route belongs to (its own subnet), or -1. */
static int route_connected(const struct eu_ipv4_route *rt, const struct ports *p)
{
	unsigned i;

	if (rt->has_via || rt->type != EU_IPV4_RT_UNICAST)
		return -1;
	for (i = 0; i < p->n; i++) {
		const struct fwd_port_cfg *pc = &p->cfg[i];

		if (pc->addr && pc->plen == rt->len &&
		    (pc->addr & eu_ipv4_mask(pc->plen)) == rt->prefix &&
		    (!rt->dev[0] || strcmp(rt->dev, pc->name) == 0))
			return (int)i;
	}
	return -1;
}

/* How `route show` selects: every route, exact prefix, inside (root), covering (match). */
enum sel { SEL_ALL, SEL_EXACT, SEL_ROOT, SEL_MATCH };

struct route_show {
	struct cmd *c;
	struct ports ports;
	enum sel sel;
	__u32 prefix;
	unsigned len;
	const char *dev;
	unsigned long n;
};

static int route_selected(const struct route_show *s, const struct eu_ipv4_route *rt)
{
	if (s->dev && strcmp(s->dev, rt->dev))
		return 0;
	switch (s->sel) {
	case SEL_EXACT:
		return rt->prefix == s->prefix && rt->len == s->len;
	case SEL_ROOT:
		return rt->len >= s->len && (rt->prefix & eu_ipv4_mask(s->len)) == s->prefix;
	case SEL_MATCH:
		return rt->len <= s->len && (s->prefix & eu_ipv4_mask(rt->len)) == rt->prefix;
	default:
		return 1;
	}
}

static void route_print(struct route_show *s, const struct eu_ipv4_route *rt)
{
	FILE *f = s->c->out;
	char pfx[24], gw[EU_IPV4_ADDR_STRLEN], src[EU_IPV4_ADDR_STRLEN];
	int conn = route_connected(rt, &s->ports);

	prefix_format(rt->prefix, rt->len, pfx);
	if (s->c->fmt == FWD_FMT_JSON) {
		fputs(s->n ? ",{" : "{", f);
		if (rt->type != EU_IPV4_RT_UNICAST)
			fprintf(f, "\"type\":\"%s\",", route_type_name(rt->type));
		fputs("\"dst\":", f);
		json_str(f, pfx);
		if (rt->has_via)
			fprintf(f, ",\"gateway\":\"%s\"", eu_ipv4_format(rt->via, gw));
		if (rt->dev[0]) {
			fputs(",\"dev\":", f);
			json_str(f, rt->dev);
		}
		if (conn >= 0)
			fprintf(f, ",\"protocol\":\"kernel\",\"scope\":\"link\",\"prefsrc\":\"%s\"",
				eu_ipv4_format(s->ports.cfg[conn].addr, src));
		else if (!rt->has_via && rt->type == EU_IPV4_RT_UNICAST)
			fputs(",\"scope\":\"link\"", f);
		if (rt->metric)
			fprintf(f, ",\"metric\":%" PRIu32, rt->metric);
		fputc('}', f);
		s->n++;
		return;
	}
	if (rt->type != EU_IPV4_RT_UNICAST)
		fprintf(f, "%s ", route_type_name(rt->type));
	fputs(pfx, f);
	if (rt->has_via)
		fprintf(f, " via %s", eu_ipv4_format(rt->via, gw));
	if (rt->dev[0])
		fprintf(f, " dev %s", rt->dev);
	if (conn >= 0)
		fprintf(f, " proto kernel scope link src %s",
			eu_ipv4_format(s->ports.cfg[conn].addr, src));
	else if (!rt->has_via && rt->type == EU_IPV4_RT_UNICAST)
		fputs(" scope link", f);
	if (rt->metric)
		fprintf(f, " metric %" PRIu32, rt->metric);
	fputc('\n', f);
	s->n++;
}

static int route_show_cb(const struct eu_ipv4_route *rt, void *arg)
{
	struct route_show *s = arg;

	if (route_selected(s, rt))
		route_print(s, rt);
	return 0;
}

static int route_show(struct cmd *c, int i)
{
	struct route_show s = {.c = c};
	int rc;

	if (c->fmt == FWD_FMT_PROM)
		return fail(c, EINVAL,
			    "route show: no Prometheus form: use text or json (stats "
			    "has the counters)");
	ports_read(c->r, &s.ports);
	for (; i < c->ntok; i++) {
		const char *k = c->tok[i];
		const char *v = i + 1 < c->ntok ? c->tok[i + 1] : NULL;
		enum sel sel = SEL_EXACT;

		if (is(k, "dev") && v) {
			s.dev = v;
			i++;
			continue;
		}
		if (is(k, "table") && v) { /* "table main": there is only one */
			i++;
			continue;
		}
		if (is(k, "root") || is(k, "match") || is(k, "exact") || is(k, "to")) {
			sel = is(k, "root") ? SEL_ROOT : is(k, "match") ? SEL_MATCH : SEL_EXACT;
			if (!v)
				return fail(c, EINVAL, "route show %s: give a prefix", k);
			k = v;
			i++;
		}
		if (s.sel != SEL_ALL)
			return fail(c, EINVAL, "route show: more than one prefix ('%s')", k);
		if (eu_ipv4_parse_prefix(k, &s.prefix, &s.len) < 0)
			return fail(c, EINVAL, "route show: %s", eu_last_error());
		s.sel = sel;
	}
	if (c->fmt == FWD_FMT_JSON)
		fputc('[', c->out);
	if (s.sel == SEL_EXACT && !s.dev) {
		struct eu_ipv4_route rt;

		/* one prefix: an exact-match query, not a walk of the whole table */
		if (fwd_router_route_get(c->r, s.prefix, s.len, &rt) == 0)
			route_print(&s, &rt);
		rc = 0;
	} else {
		rc = fwd_router_route_walk(c->r, route_show_cb, &s);
	}
	if (c->fmt == FWD_FMT_JSON)
		fputs("]\n", c->out);
	return rc < 0 ? fail(c, -rc, "route show: %s", strerror(-rc)) : 0;
}

/* `route get A`: the table's answer for one destination, as the fast path sees it. */
static int route_get(struct cmd *c, int i)
{
	char a[EU_IPV4_ADDR_STRLEN], g[EU_IPV4_ADDR_STRLEN], src[EU_IPV4_ADDR_STRLEN];
	struct fwd_lookup lk;
	struct ports p;
	__u32 dst;
	const char *dev, *type = NULL;
	int rc;

	if (c->fmt == FWD_FMT_PROM)
		return fail(c, EINVAL, "route get: no Prometheus form: use text or json");
	if (i + 1 != c->ntok || eu_ipv4_parse_addr(c->tok[i], &dst) < 0)
		return fail(c, EINVAL,
			    "route get: give one IPv4 address (e.g. route get "
			    "198.18.4.7)");
	eu_ipv4_format(dst, a);
	rc = fwd_router_lookup(c->r, dst, &lk);
	if (rc == -ENETUNREACH)
		return fail(c, ENETUNREACH,
			    "route get %s: no route covers it (network is "
			    "unreachable): add one, or a default route",
			    a);
	if (rc < 0)
		return fail(c, -rc, "route get %s: %s", a, strerror(-rc));
	ports_read(c->r, &p);
	dev = lk.port < p.n ? p.cfg[lk.port].name : "";
	if (lk.type == FWD_RT_LOCAL)
		type = "local";
	else if (lk.type == FWD_RT_BCAST)
		type = "broadcast";
	else if (lk.type != EU_IPV4_RT_UNICAST)
		type = route_type_name(lk.type);
	eu_ipv4_format(lk.port < p.n ? p.cfg[lk.port].addr : 0, src);
	if (c->fmt == FWD_FMT_JSON) {
		fprintf(c->out, "[{\"type\":\"%s\",\"dst\":\"%s\"", type ? type : "unicast", a);
		if (lk.gw)
			fprintf(c->out, ",\"gateway\":\"%s\"", eu_ipv4_format(lk.gw, g));
		if (*dev && (!type || lk.type >= FWD_RT_LOCAL)) {
			fputs(",\"dev\":", c->out);
			json_str(c->out, dev);
			fprintf(c->out, ",\"prefsrc\":\"%s\"", src);
		}
		fputs("}]\n", c->out);
		return 0;
	}
	if (type)
		fprintf(c->out, "%s ", type);
	fputs(a, c->out);
	if (lk.gw)
		fprintf(c->out, " via %s", eu_ipv4_format(lk.gw, g));
	if (*dev && (!type || lk.type >= FWD_RT_LOCAL))
		fprintf(c->out, " dev %s src %s", dev, src);
	fputc('\n', c->out);
	return 0;
}

/* The words from tok[i] on, joined by spaces, as eu_ipv4_route_parse() reads them. */
static void join(const struct cmd *c, int i, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (; i < c->ntok && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", c->tok[i]);
}

/* A router message "route P/L: why" as "route VERB P/L: why". */
static int route_fail(struct cmd *c, int rc, const char *verb, const char *pfx, const char *rerr)
{
	if (!rerr[0])
		return fail(c, -rc, "route %s %s: %s", verb, pfx, strerror(-rc));
	if (strncmp(rerr, "route ", 6) == 0)
		return fail(c, -rc, "route %s %s", verb, rerr + 6);
	return fail(c, -rc, "route %s %s: %s", verb, pfx, rerr);
}

static int route_change(struct cmd *c, const char *verb, int i)
{
	struct eu_ipv4_route rt, old;
	char line[512], rerr[256] = "", pfx[24];
	int rc, del = is(verb, "del") || is(verb, "delete");
	int add = is(verb, "add") || is(verb, "append") || is(verb, "prepend");

	join(c, i, line, sizeof(line));
	rc = eu_ipv4_route_parse(line, &rt);
	if (rc < 0)
		return fail(c, EINVAL, "route %s: %s", verb, eu_last_error());
	if (rc == 0)
		return fail(c, EINVAL,
			    "route %s: give a route, e.g. 'route %s 198.18.4.0/22 via "
			    "198.19.0.2 dev p1'",
			    verb, verb);
	prefix_format(rt.prefix, rt.len, pfx);
	if (rt.dev[0]) {
		char what[64];

		snprintf(what, sizeof(what), "route %s %s", verb, pfx);
		rc = port_lookup(c, what, rt.dev);
		if (rc < 0)
			return rc;
	}
	if (add && fwd_router_route_get(c->r, rt.prefix, rt.len, &old) == 0)
		return fail(c, EEXIST,
			    "route %s %s: a route to %s exists already: use 'route "
			    "replace' to change it, or 'route del %s' first",
			    verb, pfx, pfx, pfx);
	if (del)
		rc = fwd_router_route_del(c->r, &rt, rerr, sizeof(rerr));
	else
		rc = fwd_router_route_add(c->r, &rt, rerr, sizeof(rerr));
	return rc < 0 ? route_fail(c, rc, verb, pfx, rerr) : 0;
}

static int cmd_route(struct cmd *c, int i)
{
	const char *verb = i < c->ntok ? c->tok[i] : "show";

	if (i >= c->ntok || is(verb, "show") || is(verb, "list") || is(verb, "ls") ||
	    is(verb, "lst"))
		return route_show(c, i + 1);
	if (is(verb, "get"))
		return route_get(c, i + 1);
	if (is(verb, "add") || is(verb, "append") || is(verb, "prepend") || is(verb, "del") ||
	    is(verb, "delete") || is(verb, "replace") || is(verb, "change"))
		return route_change(c, verb, i + 1);
	return fail(c, EINVAL,
		    "route: unknown verb '%s' (expected add, del, replace, show or "
		    "get)",
		    verb);
}

/* ----------------------------------------------------------------- neigh */

static const char *neigh_state_name(unsigned s)
{
	switch (s) {
	case FWD_NEIGH_INCOMPLETE:
		return "INCOMPLETE";
	case FWD_NEIGH_REACHABLE:
		return "REACHABLE";
	case FWD_NEIGH_FAILED:
		return "FAILED";
	case FWD_NEIGH_PERMANENT:
		return "PERMANENT";
	case FWD_NEIGH_STALE:
		return "STALE";
	case FWD_NEIGH_PROBE:
		return "PROBE";
	default:
		return "NONE";
	}
}

struct neigh_show {
	struct cmd *c;
	struct ports ports;
	int port;   /* dev filter, or -1 */
	__u32 addr; /* address filter, or 0 */
	unsigned long n;
};

static int neigh_show_cb(const struct fwd_neigh *nb, void *arg)
{
	struct neigh_show *s = arg;
	FILE *f = s->c->out;
	char a[EU_IPV4_ADDR_STRLEN], m[EU_ETHER_ADDR_STRLEN];
	const char *dev = nb->port < s->ports.n ? s->ports.cfg[nb->port].name : "?";
	int has_mac = nb->state != FWD_NEIGH_INCOMPLETE && nb->state != FWD_NEIGH_FAILED;

	if ((s->port >= 0 && (unsigned)s->port != nb->port) || (s->addr && s->addr != nb->addr))
		return 0;
	eu_ipv4_format(nb->addr, a);
	eu_ether_format_mac(nb->mac, m);
	if (s->c->fmt == FWD_FMT_JSON) {
		fprintf(f, "%s{\"dst\":\"%s\",\"dev\":", s->n ? "," : "", a);
		json_str(f, dev);
		if (has_mac)
			fprintf(f, ",\"lladdr\":\"%s\"", m);
		fprintf(f, ",\"state\":[\"%s\"],\"held\":%u}", neigh_state_name(nb->state),
			nb->held);
	} else {
		fprintf(f, "%s dev %s", a, dev);
		if (has_mac)
			fprintf(f, " lladdr %s", m);
		fprintf(f, " %s\n", neigh_state_name(nb->state));
	}
	s->n++;
	return 0;
}

static int cmd_neigh(struct cmd *c, int i)
{
	const char *verb = i < c->ntok ? c->tok[i] : "show";
	const char *addr = NULL, *mac = NULL, *dev = NULL;
	struct fwd_neigh nb;
	int port = -1, rc, show, del, m;

	show = i >= c->ntok || is(verb, "show") || is(verb, "list") || is(verb, "ls");
	del = is(verb, "del") || is(verb, "delete");
	if (!show && !del && !is(verb, "add") && !is(verb, "replace") && !is(verb, "change"))
		return fail(c, EINVAL, "neigh: unknown verb '%s' (expected add, del or show)",
			    verb);
	for (i++; i < c->ntok; i++) {
		const char *k = c->tok[i], *v = i + 1 < c->ntok ? c->tok[i + 1] : NULL;

		if (is(k, "dev") && v) {
			dev = v;
			i++;
		} else if ((is(k, "lladdr") || is(k, "address")) && v) {
			mac = v;
			i++;
		} else if (is(k, "nud") && v) {
			if (!is(v, "permanent") && !is(v, "noarp") && !is(v, "reachable"))
				return fail(c, EINVAL,
					    "neigh %s: nud '%s': static neighbours are "
					    "permanent (give nud permanent or nothing)",
					    verb, v);
			i++;
		} else if (is(k, "to") && v && !addr) {
			addr = v;
			i++;
		} else if (!addr && strchr("0123456789", k[0])) {
			addr = k;
		} else {
			return fail(c, EINVAL,
				    "neigh %s: unexpected word '%s' (expected 'neigh "
				    "add A lladdr MAC dev NAME', 'neigh del A', "
				    "'neigh show [dev NAME]')",
				    verb, k);
		}
	}
	memset(&nb, 0, sizeof(nb));
	if (addr && eu_ipv4_parse_addr(addr, &nb.addr) < 0)
		return fail(c, EINVAL, "neigh %s: '%s' is not an IPv4 address", verb, addr);
	if (dev) {
		port = port_lookup(c, "neigh", dev);
		if (port < 0)
			return port;
	}
	if (show) {
		struct neigh_show s = {.c = c, .port = port, .addr = nb.addr};

		if (c->fmt == FWD_FMT_PROM)
			return fail(c, EINVAL, "neigh show: no Prometheus form: use text or json");
		ports_read(c->r, &s.ports);
		if (c->fmt == FWD_FMT_JSON)
			fputc('[', c->out);
		rc = fwd_router_neigh_walk(c->r, neigh_show_cb, &s);
		if (c->fmt == FWD_FMT_JSON)
			fputs("]\n", c->out);
		return rc < 0 ? fail(c, -rc, "neigh show: %s", strerror(-rc)) : 0;
	}
	if (!addr)
		return fail(c, EINVAL,
			    "neigh %s: give the neighbour's address, e.g. 'neigh %s "
			    "198.18.1.2%s'",
			    verb, verb, del ? "" : " lladdr 02:00:00:00:01:02 dev p1");
	if (del) {
		rc = fwd_router_neigh_del(c->r, nb.addr);
		if (rc == -ENOENT)
			return fail(c, ESRCH,
				    "neigh del %s: no such neighbour (neigh show lists "
				    "them)",
				    addr);
		return rc < 0 ? fail(c, -rc, "neigh del %s: %s", addr, strerror(-rc)) : 0;
	}
	m = eu_ipv4_martian(nb.addr);
	if (m)
		return fail(c, EINVAL, "neigh %s %s: a %s address cannot be a neighbour", verb,
			    addr, eu_ipv4_martian_name(m));
	if (!mac || !dev)
		return fail(c, EINVAL,
			    "neigh %s %s: give lladdr MAC and dev NAME (e.g. 'neigh "
			    "add %s lladdr 02:00:00:00:01:02 dev p1')",
			    verb, addr, addr);
	if (eu_ether_parse_mac(mac, nb.mac, NULL) < 0 || mac_zero(nb.mac) || (nb.mac[0] & 1))
		return fail(c, EINVAL,
			    "neigh %s %s: lladdr '%s' is not a unicast MAC address "
			    "(e.g. 02:00:00:00:01:02)",
			    verb, addr, mac);
	nb.port = (unsigned)port;
	nb.state = FWD_NEIGH_PERMANENT;
	rc = fwd_router_neigh_add(c->r, &nb);
	if (rc < 0)
		return fail(c, -rc, "neigh %s %s: refused: %s%s", verb, addr, strerror(-rc),
			    rc == -ENOSPC ? " (the neighbour table is full: delete some, or "
					    "start with a larger neigh_max)"
					  : "");
	return 0;
}

/* ----------------------------------------------------------------- stats */

struct stat_line {
	const char *key;  /* JSON key and text label */
	const char *prom; /* metric name, without europa_fwd_ and _total */
	const char *help;
	size_t off;
};

#define ST(k, p, h, f)                                 \
	{                                              \
		k, p, h, offsetof(struct fwd_stats, f) \
	}
static const struct stat_line stat_top[] = {
	ST("rx", "rx_packets", "Frames the router received.", rx),
	ST("fwd", "forwarded_packets", "Frames forwarded to another port.", fwd),
	ST("local", "local_packets", "Frames delivered to the router itself.", local),
	ST("fragments", "fragments", "Fragments made for a smaller egress MTU.", fragments),
	ST("busy_cycles", "busy_cycles", "TSC cycles spent on non-empty bursts.", busy_cycles),
	ST("bursts", "bursts", "Non-empty bursts processed.", bursts),
	ST("switch_busy_cycles", "switch_busy_cycles",
	   "TSC cycles of the in-process switch's rounds that moved frames, in the router's thread.",
	   switch_busy_cycles),
	ST("drop_made", "dropped_made_packets",
	   "Of the drops, frames that are no received frame: made by the router (ICMP errors, "
	   "fragments, punted-in frames, also while held for ARP) or tx_full drops of frames "
	   "counted already.",
	   drop_made),
	ST("neigh_evictions", "neigh_evictions",
	   "Learned neighbours evicted for a new one when the table was full.", neigh_evictions),
	ST("neigh_reprobes", "neigh_reprobes", "Stale neighbours used, so re-probed by ARP.",
	   neigh_reprobes),
	ST("neigh_expired", "neigh_expired",
	   "Learned neighbours removed: unused (gc) or a re-probe went unanswered.", neigh_expired),
};

static __u64 stat_at(const struct fwd_stats *st, size_t off)
{
	__u64 v;

	memcpy(&v, (const char *)st + off, sizeof(v));
	return v;
}

static void stats_text(FILE *f, const struct fwd_stats *st, const struct ports *p)
{
	unsigned i;

	fprintf(f, "rx %" PRIu64 " fwd %" PRIu64 " local %" PRIu64 " dropped %" PRIu64 "\n",
		(uint64_t)st->rx, (uint64_t)st->fwd, (uint64_t)st->local,
		(uint64_t)fwd_stats_dropped(st));
	for (i = 0; i < FWD_DROP_COUNT; i++)
		if (st->drop[i])
			fprintf(f, "  drop %-14s %" PRIu64 "\n", fwd_drop_name(i),
				(uint64_t)st->drop[i]);
	for (i = 1; i < EU_IPV4_CHECK_COUNT; i++)
		if (st->hdr[i])
			fprintf(f, "  header %-12s %" PRIu64 "\n", eu_ipv4_check_name((int)i),
				(uint64_t)st->hdr[i]);
	fprintf(f,
		"arp: requests in %" PRIu64 " out %" PRIu64 ", replies in %" PRIu64 " out %" PRIu64
		", not for us %" PRIu64 "\n",
		(uint64_t)st->arp_req_in, (uint64_t)st->arp_req_out, (uint64_t)st->arp_rep_in,
		(uint64_t)st->arp_rep_out, (uint64_t)st->arp_ignored);
	fprintf(f,
		"icmp sent: echo replies %" PRIu64 ", time exceeded %" PRIu64
		", unreachable %" PRIu64 ", frag needed %" PRIu64 "\n",
		(uint64_t)st->icmp_echo, (uint64_t)st->icmp_ttl, (uint64_t)st->icmp_unreach,
		(uint64_t)st->icmp_frag_needed);
	fprintf(f, "fragments %" PRIu64 ", punted to the host %" PRIu64 ", from it %" PRIu64 "\n",
		(uint64_t)st->fragments, (uint64_t)st->punted_out, (uint64_t)st->punted_in);
	fprintf(f, "busy: %" PRIu64 " cycles in %" PRIu64 " bursts", (uint64_t)st->busy_cycles,
		(uint64_t)st->bursts);
	if (st->rx)
		fprintf(f, ", %.1f cycles/frame", (double)st->busy_cycles / (double)st->rx);
	if (st->switch_busy_cycles)
		fprintf(f, "; in-process switch %" PRIu64 " cycles, %.1f cycles/frame",
			(uint64_t)st->switch_busy_cycles,
			st->rx ? (double)st->switch_busy_cycles / (double)st->rx : 0.0);
	fprintf(f,
		"\ntables: %" PRIu64 " routes, %" PRIu64 " neighbours (evicted %" PRIu64
		", re-probed %" PRIu64 ", expired %" PRIu64 ")\n",
		(uint64_t)st->routes, (uint64_t)st->neighbours, (uint64_t)st->neigh_evictions,
		(uint64_t)st->neigh_reprobes, (uint64_t)st->neigh_expired);
	for (i = 0; i < p->n; i++)
		fprintf(f,
			"port %-8s rx %" PRIu64 " (%" PRIu64 " bytes) tx %" PRIu64 " (%" PRIu64
			" bytes)\n",
			p->cfg[i].name, (uint64_t)st->port[i].rx, (uint64_t)st->port[i].rx_bytes,
			(uint64_t)st->port[i].tx, (uint64_t)st->port[i].tx_bytes);
}

static void stats_json(FILE *f, const struct fwd_stats *st, const struct ports *p)
{
	unsigned i;

	fputc('{', f);
	for (i = 0; i < sizeof(stat_top) / sizeof(stat_top[0]); i++)
		fprintf(f, "\"%s\":%" PRIu64 ",", stat_top[i].key,
			(uint64_t)stat_at(st, stat_top[i].off));
	fprintf(f, "\"dropped\":%" PRIu64 ",\"drop\":{", (uint64_t)fwd_stats_dropped(st));
	for (i = 0; i < FWD_DROP_COUNT; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", fwd_drop_name(i),
			(uint64_t)st->drop[i]);
	fputs("},\"hdr\":{", f);
	for (i = 1; i < EU_IPV4_CHECK_COUNT; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i > 1 ? "," : "", eu_ipv4_check_name((int)i),
			(uint64_t)st->hdr[i]);
	fprintf(f,
		"},\"arp\":{\"req_in\":%" PRIu64 ",\"rep_in\":%" PRIu64 ",\"req_out\":%" PRIu64
		",\"rep_out\":%" PRIu64 ",\"ignored\":%" PRIu64 "}",
		(uint64_t)st->arp_req_in, (uint64_t)st->arp_rep_in, (uint64_t)st->arp_req_out,
		(uint64_t)st->arp_rep_out, (uint64_t)st->arp_ignored);
	fprintf(f,
		",\"icmp\":{\"echo\":%" PRIu64 ",\"ttl\":%" PRIu64 ",\"unreach\":%" PRIu64
		",\"frag_needed\":%" PRIu64 "}",
		(uint64_t)st->icmp_echo, (uint64_t)st->icmp_ttl, (uint64_t)st->icmp_unreach,
		(uint64_t)st->icmp_frag_needed);
	fprintf(f,
		",\"punted_out\":%" PRIu64 ",\"punted_in\":%" PRIu64 ",\"routes\":%" PRIu64
		",\"neighbours\":%" PRIu64 ",\"ports\":[",
		(uint64_t)st->punted_out, (uint64_t)st->punted_in, (uint64_t)st->routes,
		(uint64_t)st->neighbours);
	for (i = 0; i < p->n; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, p->cfg[i].name);
		fprintf(f,
			",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
			",\"tx_bytes\":%" PRIu64 "}",
			(uint64_t)st->port[i].rx, (uint64_t)st->port[i].tx,
			(uint64_t)st->port[i].rx_bytes, (uint64_t)st->port[i].tx_bytes);
	}
	fputs("]}\n", f);
}

static void prom_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP europa_fwd_%s %s\n# TYPE europa_fwd_%s %s\n", name, help, name, type);
}

static void prom_port(FILE *f, const struct fwd_stats *st, const struct ports *p, const char *name,
		      const char *help, size_t off)
{
	unsigned i;

	prom_head(f, name, "counter", help);
	for (i = 0; i < p->n; i++) {
		fprintf(f, "europa_fwd_%s{port=", name);
		prom_label(f, p->cfg[i].name);
		fprintf(f, "} %" PRIu64 "\n",
			(uint64_t)stat_at(st, offsetof(struct fwd_stats, port) +
						      i * sizeof(struct fwd_port_stats) + off));
	}
}

/* The Prometheus text exposition format, version 0.0.4. */
static void stats_prom(FILE *f, const struct fwd_stats *st, const struct ports *p)
{
	static const char *const arp[4][2] = {
		{"in", "request"}, {"in", "reply"}, {"out", "request"}, {"out", "reply"}};
	const __u64 arpv[4] = {st->arp_req_in, st->arp_rep_in, st->arp_req_out, st->arp_rep_out};
	static const char *const icmp[4] = {"echo_reply", "time_exceeded", "unreachable",
					    "frag_needed"};
	const __u64 icmpv[4] = {st->icmp_echo, st->icmp_ttl, st->icmp_unreach,
				st->icmp_frag_needed};
	char name[64];
	unsigned i;

	for (i = 0; i < sizeof(stat_top) / sizeof(stat_top[0]); i++) {
		snprintf(name, sizeof(name), "%s_total", stat_top[i].prom);
		prom_head(f, name, "counter", stat_top[i].help);
		fprintf(f, "europa_fwd_%s %" PRIu64 "\n", name,
			(uint64_t)stat_at(st, stat_top[i].off));
	}
	prom_head(f, "dropped_packets_total", "counter", "Frames dropped, by reason.");
	for (i = 0; i < FWD_DROP_COUNT; i++)
		fprintf(f, "europa_fwd_dropped_packets_total{reason=\"%s\"} %" PRIu64 "\n",
			fwd_drop_name(i), (uint64_t)st->drop[i]);
	prom_head(f, "header_errors_total", "counter",
		  "IPv4 headers refused (RFC 1812 5.2.2), by check.");
	for (i = 1; i < EU_IPV4_CHECK_COUNT; i++)
		fprintf(f, "europa_fwd_header_errors_total{check=\"%s\"} %" PRIu64 "\n",
			eu_ipv4_check_name((int)i), (uint64_t)st->hdr[i]);
	prom_head(f, "arp_packets_total", "counter", "ARP packets, by direction and operation.");
	for (i = 0; i < 4; i++)
		fprintf(f, "europa_fwd_arp_packets_total{direction=\"%s\",op=\"%s\"} %" PRIu64 "\n",
			arp[i][0], arp[i][1], (uint64_t)arpv[i]);
	prom_head(f, "arp_ignored_total", "counter",
		  "ARP packets received that were not for the router's addresses.");
	fprintf(f, "europa_fwd_arp_ignored_total %" PRIu64 "\n", (uint64_t)st->arp_ignored);
	prom_head(f, "icmp_sent_total", "counter", "ICMP messages the router sent, by type.");
	for (i = 0; i < 4; i++)
		fprintf(f, "europa_fwd_icmp_sent_total{type=\"%s\"} %" PRIu64 "\n", icmp[i],
			(uint64_t)icmpv[i]);
	prom_head(f, "punted_packets_total", "counter",
		  "Frames to the router passed to (out) or from (in) the host's TAP.");
	fprintf(f, "europa_fwd_punted_packets_total{direction=\"out\"} %" PRIu64 "\n",
		(uint64_t)st->punted_out);
	fprintf(f, "europa_fwd_punted_packets_total{direction=\"in\"} %" PRIu64 "\n",
		(uint64_t)st->punted_in);
	prom_head(f, "routes", "gauge", "Routes in the forwarding table.");
	fprintf(f, "europa_fwd_routes %" PRIu64 "\n", (uint64_t)st->routes);
	prom_head(f, "neighbours", "gauge", "Entries in the neighbour table.");
	fprintf(f, "europa_fwd_neighbours %" PRIu64 "\n", (uint64_t)st->neighbours);
	prom_port(f, st, p, "port_rx_packets_total", "Frames received on a port.",
		  offsetof(struct fwd_port_stats, rx));
	prom_port(f, st, p, "port_tx_packets_total", "Frames sent on a port.",
		  offsetof(struct fwd_port_stats, tx));
	prom_port(f, st, p, "port_rx_bytes_total", "Bytes received on a port.",
		  offsetof(struct fwd_port_stats, rx_bytes));
	prom_port(f, st, p, "port_tx_bytes_total", "Bytes sent on a port.",
		  offsetof(struct fwd_port_stats, tx_bytes));
}

static int cmd_stats(struct cmd *c, int i)
{
	struct fwd_stats st;
	struct ports p;
	enum fwd_fmt fmt = c->fmt;

	if (i < c->ntok) {
		const char *f = c->tok[i];

		if (is(f, "json") || is(f, "--json") || is(f, "-j"))
			fmt = FWD_FMT_JSON;
		else if (is(f, "prom") || is(f, "--prom") || is(f, "prometheus"))
			fmt = FWD_FMT_PROM;
		else if (is(f, "text"))
			fmt = FWD_FMT_TEXT;
		else
			return fail(c, EINVAL,
				    "stats: unknown format '%s' (expected text, json or "
				    "prom)",
				    f);
		if (i + 1 < c->ntok)
			return fail(c, EINVAL, "stats: unexpected word '%s'", c->tok[i + 1]);
	}
	ports_read(c->r, &p);
	fwd_router_stats(c->r, &st);
	if (fmt == FWD_FMT_JSON)
		stats_json(c->out, &st, &p);
	else if (fmt == FWD_FMT_PROM)
		stats_prom(c->out, &st, &p);
	else
		stats_text(c->out, &st, &p);
	return 0;
}

/* ----------------------------------------------------------------- ports */

static int cmd_ports(struct cmd *c, int i)
{
	struct fwd_stats st;
	struct ports p;
	FILE *f = c->out;
	unsigned k;

	if (i < c->ntok)
		return fail(c, EINVAL, "ports: unexpected word '%s' (ports takes no arguments)",
			    c->tok[i]);
	if (c->fmt == FWD_FMT_PROM)
		return fail(c, EINVAL,
			    "ports: no Prometheus form: stats in prom format has the "
			    "port counters");
	ports_read(c->r, &p);
	fwd_router_stats(c->r, &st);
	if (c->fmt == FWD_FMT_TEXT)
		fprintf(f, "%-4s %-10s %-18s %-17s %5s %12s %12s %14s %14s\n", "PORT", "NAME",
			"ADDRESS", "MAC", "MTU", "RX", "TX", "RX-BYTES", "TX-BYTES");
	else
		fputc('[', f);
	for (k = 0; k < p.n; k++) {
		const struct fwd_port_cfg *pc = &p.cfg[k];
		char a[EU_IPV4_ADDR_STRLEN], addr[24] = "-", m[EU_ETHER_ADDR_STRLEN];

		if (pc->addr)
			snprintf(addr, sizeof(addr), "%s/%u", eu_ipv4_format(pc->addr, a),
				 pc->plen);
		eu_ether_format_mac(pc->mac, m);
		if (c->fmt == FWD_FMT_TEXT) {
			fprintf(f,
				"p%-3u %-10s %-18s %-17s %5u %12" PRIu64 " %12" PRIu64 " %14" PRIu64
				" %14" PRIu64 "\n",
				k, pc->name, addr, m, pc->mtu, (uint64_t)st.port[k].rx,
				(uint64_t)st.port[k].tx, (uint64_t)st.port[k].rx_bytes,
				(uint64_t)st.port[k].tx_bytes);
			continue;
		}
		fprintf(f, "%s{\"index\":%u,\"name\":", k ? "," : "", k);
		json_str(f, pc->name);
		if (pc->addr)
			fprintf(f, ",\"addr\":\"%s\",\"plen\":%u", eu_ipv4_format(pc->addr, a),
				pc->plen);
		fprintf(f,
			",\"mac\":\"%s\",\"mtu\":%u,\"rx\":%" PRIu64 ",\"tx\":%" PRIu64
			",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 "}",
			m, pc->mtu, (uint64_t)st.port[k].rx, (uint64_t)st.port[k].tx,
			(uint64_t)st.port[k].rx_bytes, (uint64_t)st.port[k].tx_bytes);
	}
	if (c->fmt == FWD_FMT_JSON)
		fputs("]\n", f);
	return 0;
}

static int cmd_help(struct cmd *c)
{
	fputs("addr add A.B.C.D/LEN dev PORT          the port's address (adds its subnet's "
	      "route)\n"
	      "link set PORT [mtu N] [address MAC]    the port's IP MTU and MAC\n"
	      "route add|replace ROUTE                e.g. route add 198.18.4.0/22 via "
	      "198.19.0.2 dev p1\n"
	      "route del ROUTE                        e.g. route del 198.18.4.0/22\n"
	      "route show [[root|match|exact] PREFIX] [dev PORT]\n"
	      "route get A.B.C.D                      the route a packet to A.B.C.D takes\n"
	      "neigh add A lladdr MAC dev PORT        a static (PERMANENT) neighbour\n"
	      "neigh del A                            e.g. neigh del 198.19.0.2\n"
	      "neigh show [dev PORT] [A]\n"
	      "stats [text|json|prom]                 the counters (prom: Prometheus text "
	      "format)\n"
	      "ports                                  ports: address, MAC, MTU, counters\n",
	      c->out);
	return 0;
}

/* ---------------------------------------------------------- the language */

/* Split line into c->tok (in buf): blanks separate words, '#' starts a comment. */
static int tokenize(struct cmd *c, char *buf)
{
	char *p, *save = NULL, *hash = strchr(buf, '#');

	if (hash)
		*hash = 0;
	c->ntok = 0;
	for (p = strtok_r(buf, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
		if (c->ntok == CTL_MAX_TOK)
			return fail(c, E2BIG, "more than %d words in one command", CTL_MAX_TOK);
		c->tok[c->ntok++] = p;
	}
	return c->ntok;
}

static int writes(struct cmd *c, int i)
{
	const char *obj = c->tok[i], *verb = i + 1 < c->ntok ? c->tok[i + 1] : "show";

	if (is(obj, "stats") || is(obj, "ports") || is(obj, "help"))
		return 0;
	if (is(verb, "show") || is(verb, "list") || is(verb, "ls") || is(verb, "get"))
		return 0;
	return 1;
}

/* Run one command; on failure c->err holds the message. Blank lines are 0. */
static int run(struct cmd *c, const char *line)
{
	char buf[FWD_CTL_LINE_MAX];
	const char *obj;
	int i = 0, rc;

	c->err[0] = 0;
	if (strlen(line) >= sizeof(buf))
		return fail(c, E2BIG, "command longer than %zu bytes", sizeof(buf) - 1);
	strcpy(buf, line);
	rc = tokenize(c, buf);
	if (rc <= 0)
		return rc;
	if (is(c->tok[i], "ip")) /* lines pasted from a shell script */
		i++;
	if (i < c->ntok && is(c->tok[i], "-4"))
		i++;
	if (i >= c->ntok)
		return fail(c, EINVAL, "'%s' is not a command: try help", line);
	if (c->readonly && writes(c, i))
		return fail(c, EPERM,
			    "%s %s: uid %u may only read (show, stats, ports): changes "
			    "need the uid europa-fwd runs as, or root",
			    c->tok[i], i + 1 < c->ntok ? c->tok[i + 1] : "", c->peer_uid);
	obj = c->tok[i++];
	if (is(obj, "addr") || is(obj, "address") || is(obj, "a"))
		return cmd_addr(c, i);
	if (is(obj, "link") || is(obj, "l"))
		return cmd_link(c, i);
	if (is(obj, "route") || is(obj, "r") || is(obj, "ro"))
		return cmd_route(c, i);
	if (is(obj, "neigh") || is(obj, "neighbor") || is(obj, "neighbour") || is(obj, "n"))
		return cmd_neigh(c, i);
	if (is(obj, "stats"))
		return cmd_stats(c, i);
	if (is(obj, "ports"))
		return cmd_ports(c, i);
	if (is(obj, "help"))
		return cmd_help(c);
	return fail(c, EINVAL,
		    "unknown command '%s': expected addr, link, route, neigh, stats, "
		    "ports or help",
		    obj);
}

int fwd_exec(struct fwd_router *r, const char *line, FILE *out, enum fwd_fmt fmt)
{
	struct cmd c = {.r = r, .out = out, .fmt = fmt};
	int rc;

	if (!r || !line || !out)
		return -EINVAL;
	rc = run(&c, line);
	if (rc < 0)
		fprintf(out, "%s\n", c.err);
	return rc < 0 ? rc : 0;
}

/* --------------------------------------------------- configuration files */

/* Progress lines every 100k lines: on a terminal, or with EUROPA_FWD_VERBOSE set. */
static int verbose(FILE *err)
{
	const char *v = getenv("EUROPA_FWD_VERBOSE");

	return (v && *v && strcmp(v, "0")) || isatty(fileno(err));
}

static FILE *open_input(const char *path, const char *what, FILE *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");

	if (!f)
		fprintf(err, "%s: cannot open %s: %s: check the path given\n", path, what,
			strerror(errno));
	return f;
}

int fwd_config_load(struct fwd_router *r, const char *path, FILE *err)
{
	struct cmd c = {.r = r, .out = err, .fmt = FWD_FMT_TEXT};
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0, ncmd = 0;
	int rc = 0, vb;
	FILE *f;

	if (!r || !path || !err)
		return -EINVAL;
	f = open_input(path, "the configuration", err);
	if (!f)
		return -errno;
	vb = verbose(err);
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		rc = run(&c, line);
		if (rc < 0) {
			fprintf(err, "%s:%lu: %s\n", path, lineno, c.err);
			break;
		}
		ncmd += rc > 0;
		rc = 0;
		if (vb && lineno % CTL_PROGRESS_LINES == 0)
			fprintf(err, "%s: %lu lines\n", path, lineno);
	}
	if (!rc && ferror(f)) {
		rc = -EIO;
		fprintf(err, "%s:%lu: read error: %s\n", path, lineno, strerror(errno));
	}
	if (!rc && vb)
		fprintf(err, "%s: %lu commands from %lu lines\n", path, ncmd, lineno);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

struct import_counts {
	unsigned long added, other_dev, not_unicast, multipath, present;
};

/* One line of `ip -4 route show` output: 1 added, 0 skipped (counted), or -errno. */
static int import_line(struct fwd_router *r, const char *line, struct import_counts *n, char *msg,
		       size_t len)
{
	struct eu_ipv4_route rt, old;
	char rerr[256] = "";
	const char *p = line;
	int rc;

	while (*p == ' ' || *p == '\t')
		p++;
	if (p != line && strncmp(p, "nexthop", 7) == 0) {
		n->multipath++; /* a multipath route's next hops, one per line */
		return 0;
	}
	rc = eu_ipv4_route_parse(line, &rt);
	if (rc <= 0) {
		if (rc < 0)
			snprintf(msg, len, "%s", eu_last_error());
		return rc;
	}
	if (rt.type != EU_IPV4_RT_UNICAST) {
		n->not_unicast++;
		return 0;
	}
	if (!rt.dev[0]) {
		n->multipath++; /* "default proto static metric 100" heads a nexthop list */
		return 0;
	}
	if (fwd_router_port_find(r, rt.dev) < 0) {
		n->other_dev++;
		return 0;
	}
	if (fwd_router_route_get(r, rt.prefix, rt.len, &old) == 0) {
		/* several routes to one prefix (metrics): keep the preferred, lowest one */
		if (rt.metric >= old.metric ||
		    (old.has_via == rt.has_via && old.via == rt.via && !strcmp(old.dev, rt.dev))) {
			n->present++;
			return 0;
		}
	}
	rc = fwd_router_route_add(r, &rt, rerr, sizeof(rerr));
	if (rc < 0) {
		snprintf(msg, len, "%s: %s", line, rerr[0] ? rerr : strerror(-rc));
		return rc;
	}
	n->added++;
	return 1;
}

int fwd_routes_import(struct fwd_router *r, const char *path, FILE *err)
{
	struct import_counts n = {0};
	char *line = NULL, msg[CTL_ERR_MAX];
	size_t cap = 0;
	unsigned long lineno = 0, skipped;
	int rc = 0, vb;
	ssize_t got;
	FILE *f;

	if (!r || !path || !err)
		return -EINVAL;
	f = open_input(path, "the routes to import", err);
	if (!f)
		return -errno;
	vb = verbose(err);
	while ((got = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[got - 1] == '\n')
			line[got - 1] = 0;
		rc = import_line(r, line, &n, msg, sizeof(msg));
		if (rc < 0) {
			fprintf(err, "%s:%lu: %s\n", path, lineno, msg);
			break;
		}
		rc = 0;
		if (vb && lineno % CTL_PROGRESS_LINES == 0)
			fprintf(err, "%s: %lu lines, %lu routes imported\n", path, lineno, n.added);
	}
	if (!rc && ferror(f)) {
		rc = -EIO;
		fprintf(err, "%s:%lu: read error: %s\n", path, lineno, strerror(errno));
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		return rc;
	skipped = n.other_dev + n.not_unicast + n.multipath + n.present;
	fprintf(err, "%s: imported %lu routes, skipped %lu: %lu on other devices, %lu not unicast",
		path, n.added, skipped, n.other_dev, n.not_unicast);
	if (n.multipath)
		fprintf(err, ", %lu multipath lines (not supported)", n.multipath);
	if (n.present)
		fprintf(err, ", %lu to prefixes already routed", n.present);
	fputc('\n', err);
	return n.added > 0x7fffffffUL ? 0x7fffffff : (int)n.added;
}

/* --------------------------------------------------------- control socket */

struct fwd_ctl {
	struct fwd_router *r;
	pthread_t thread;
	int lfd;
	int stop[2]; /* a byte on stop[1] ends the thread */
	uid_t uid;
	dev_t dev; /* the socket file we made, so stop removes only that one */
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Wait for fd to be ready for ev, or the stop pipe, for at most ms: 1 ready, 0 not. */
static int wait_fd(struct fwd_ctl *c, int fd, short ev, int ms)
{
	struct pollfd p[2] = {{.fd = fd, .events = ev}, {.fd = c->stop[0], .events = POLLIN}};

	if (poll(p, 2, ms) <= 0 || (p[1].revents & POLLIN))
		return 0;
	return 1;
}

static int send_all(struct fwd_ctl *c, int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!wait_fd(c, fd, POLLOUT, FWD_CTL_SEND_MS))
				return -ETIMEDOUT;
			continue;
		}
		if (n <= 0)
			return -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int reply(struct fwd_ctl *c, int fd, int status, const char *body, size_t len)
{
	char head[64];
	int n = snprintf(head, sizeof(head), FWD_CTL_REPLY_TAG " %d %zu\n", status, len);
	int rc = send_all(c, fd, head, (size_t)n);

	return rc ? rc : send_all(c, fd, body, len);
}

/* One request line: "FORMAT COMMAND". Returns <0 to close the connection. */
static int serve_request(struct fwd_ctl *c, int fd, char *req, const struct ucred *cr)
{
	struct cmd cmd = {.r = c->r, .fmt = FWD_FMT_TEXT, .peer_uid = (unsigned)cr->uid};
	char *sp = strchr(req, ' '), *body = NULL;
	size_t blen = 0;
	int rc;

	cmd.readonly = cr->uid != 0 && cr->uid != c->uid;
	if (sp)
		*sp++ = 0;
	if (is(req, "json"))
		cmd.fmt = FWD_FMT_JSON;
	else if (is(req, "prom"))
		cmd.fmt = FWD_FMT_PROM;
	else if (!is(req, "text") || !sp) {
		static const char msg[] = "malformed request: expected 'text|json|prom COMMAND' "
					  "on one line (is this europactl talking to the right "
					  "daemon?)\n";

		reply(c, fd, -EINVAL, msg, sizeof(msg) - 1);
		return -EINVAL;
	}
	cmd.out = open_memstream(&body, &blen);
	if (!cmd.out) {
		static const char msg[] = "europa-fwd is out of memory\n";

		return reply(c, fd, -ENOMEM, msg, sizeof(msg) - 1);
	}
	rc = run(&cmd, sp);
	if (rc < 0) {
		rewind(cmd.out); /* the reply is the message alone */
		fprintf(cmd.out, "%s\n", cmd.err);
		fflush(cmd.out);
		blen = (size_t)ftell(cmd.out);
	}
	fclose(cmd.out);
	rc = reply(c, fd, rc < 0 ? rc : 0, body ? body : "", body ? blen : 0);
	free(body);
	return rc;
}

static void serve_conn(struct fwd_ctl *c, int fd)
{
	char buf[FWD_CTL_LINE_MAX + 1];
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	size_t have = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
		return;
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		ssize_t n;

		if (nl) {
			size_t used = (size_t)(nl - buf) + 1;

			*nl = 0;
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = 0;
			if (serve_request(c, fd, buf, &cr) < 0)
				return;
			memmove(buf, buf + used, have - used);
			have -= used;
			continue;
		}
		if (have == FWD_CTL_LINE_MAX) {
			static const char msg[] =
				"request longer than 4096 bytes: send one command "
				"per line\n";

			reply(c, fd, -E2BIG, msg, sizeof(msg) - 1);
			return;
		}
		if (!wait_fd(c, fd, POLLIN, FWD_CTL_IDLE_MS))
			return;
		n = recv(fd, buf + have, FWD_CTL_LINE_MAX - have, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		have += (size_t)n;
	}
}

static void *ctl_thread(void *arg)
{
	struct fwd_ctl *c = arg;

	for (;;) {
		int fd;

		if (!wait_fd(c, c->lfd, POLLIN, -1))
			break;
		fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_conn(c, fd);
		close(fd);
	}
	return NULL;
}

/* Is something serving path? 1 yes (pid in *pid if known), 0 stale or absent, <0 error. */
static int served(const char *path, const struct sockaddr_un *a, int *pid)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	*pid = 0;
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)a, sizeof(*a));
	if (rc == 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
			*pid = (int)cr.pid;
		rc = 1;
	} else if (errno == EPROTOTYPE) {
		rc = 1; /* a live socket of another type: europad's, perhaps */
	} else if (errno == ECONNREFUSED) {
		rc = 0;
	} else {
		rc = -errno;
	}
	close(fd);
	(void)path;
	return rc;
}

struct fwd_ctl *fwd_ctl_start(struct fwd_router *r, const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct fwd_ctl *c;
	struct stat st;
	int rc, pid, e;

	if (!r || !path || !*path) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr,
			"europa-fwd: control socket %s: path longer than %zu bytes: "
			"choose a shorter one\n",
			path, sizeof(a.sun_path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(a.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr,
				"europa-fwd: control socket %s: the path exists and is not "
				"a socket: remove it or choose another path\n",
				path);
			errno = EEXIST;
			return NULL;
		}
		rc = served(path, &a, &pid);
		if (rc != 0) {
			e = rc > 0 ? EADDRINUSE : -rc;
			if (rc > 0 && pid)
				fprintf(stderr,
					"europa-fwd: control socket %s is served by a live "
					"process (pid %d): stop it, or choose another path\n",
					path, pid);
			else
				fprintf(stderr,
					"europa-fwd: control socket %s: %s: stop what serves "
					"it, or choose another path\n",
					path,
					rc > 0 ? "another live process serves it" : strerror(e));
			errno = e;
			return NULL;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			e = errno;
			fprintf(stderr,
				"europa-fwd: control socket %s: cannot remove the stale "
				"socket: %s\n",
				path, strerror(e));
			errno = e;
			return NULL;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->r = r;
	c->uid = geteuid();
	c->stop[0] = c->stop[1] = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		e = errno;
		fprintf(stderr, "europa-fwd: control socket %s: %s%s\n", path, strerror(e),
			e == EACCES || e == ENOENT ? ": check that its directory exists and is "
						     "writable (or give --control another path)"
						   : "");
		goto fail;
	}
	/* before listen(), so no client ever connects to a wider mode */
	if (chmod(path, 0660) < 0 || stat(path, &st) < 0 || listen(c->lfd, 16) < 0 ||
	    pipe2(c->stop, O_CLOEXEC) < 0) {
		e = errno;
		fprintf(stderr, "europa-fwd: control socket %s: %s\n", path, strerror(e));
		unlink(path);
		goto fail;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	rc = pthread_create(&c->thread, NULL, ctl_thread, c);
	if (rc) {
		e = rc;
		fprintf(stderr, "europa-fwd: control socket %s: no thread: %s\n", path,
			strerror(e));
		unlink(path);
		goto fail;
	}
	return c;
fail:
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->stop[0] >= 0) {
		close(c->stop[0]);
		close(c->stop[1]);
	}
	free(c);
	errno = e;
	return NULL;
}

void fwd_ctl_stop(struct fwd_ctl *c)
{
	struct stat st;
	char b = 1;

	if (!c)
		return;
	while (write(c->stop[1], &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(c->thread, NULL);
	close(c->lfd);
	close(c->stop[0]);
	close(c->stop[1]);
	/* remove the socket only if it is still ours (not replaced by a new server) */
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c);
}
