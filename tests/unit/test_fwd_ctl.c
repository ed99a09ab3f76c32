/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_fwd_ctl.c - europa-fwd's control plane (examples/ipv4fwd/
 * ctl.c) on a real router: fwd_router_create() over a VR with three pcap
 * ports (p0, p1, p2) on the in-process switch, no root needed.
 *
 *  - the command language: every command, good and bad, checking the text
 *    output and that errors name the cause and return the right -errno;
 *  - a configuration file (comments, blank lines, line numbers in errors)
 *    and the import of `ip -4 route show` output (proto, scope, src, metric,
 *    linkdown, default, blackhole, other devices, multipath);
 *  - stats as JSON parsed back with json-c and compared with the text and
 *    the tables, and as Prometheus text checked line by line against the
 *    exposition format 0.0.4 (a validator here, itself tested on bad input);
 *  - the control socket with europactl (the binary, run as a child):
 *    route add/show/del, neigh, stats --json/--prom, exit codes, a live or
 *    stale socket path, and (as root) a peer of another uid that may only
 *    read;
 *  - a 1M-line configuration and a 1M-line import, timed (indicative).
 */
#include "eu_unit.h"

#include <ctype.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef EU_HAVE_FWD_CTL
#include <json-c/json.h>

#include "router.h"

static struct eu_vr *vr;
static struct fwd_router *rt;
static char *outbuf;
static char tmpdir[64]; /* made and removed by main(), so a failed test leaves nothing */

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* The router over three output-only pcap ports: p0, p1, p2. */
static void setup(void)
{
	struct eu_vr_open_opts o;
	struct fwd_router_opts ro;

	eu_vr_open_opts_default(&o);
	o.flags = EU_VR_OPEN_F_MANUAL;
	vr = eu_vr_open("inproc:pcap:,/dev/null;pcap:,/dev/null;pcap:,/dev/null", &o);
	ck_assert_msg(vr != NULL, "eu_vr_open: %s", eu_last_error());
	fwd_router_opts_default(&ro);
	rt = fwd_router_create(vr, &ro);
	ck_assert_msg(rt != NULL, "fwd_router_create: %s", strerror(errno));
	eu_lpm_reader_register();
}

static void teardown(void)
{
	eu_lpm_reader_unregister();
	fwd_router_destroy(rt);
	eu_vr_close(vr);
	free(outbuf);
	outbuf = NULL;
}

/* Run one command; its output (or error message) is in outbuf. */
static int ex_fmt(const char *line, enum fwd_fmt fmt)
{
	size_t len = 0;
	FILE *f;
	int rc;

	free(outbuf);
	outbuf = NULL;
	f = open_memstream(&outbuf, &len);
	ck_assert_ptr_nonnull(f);
	rc = fwd_exec(rt, line, f, fmt);
	fclose(f);
	return rc;
}

static int ex(const char *line)
{
	return ex_fmt(line, FWD_FMT_TEXT);
}

#define ok(line)                                                                    \
	do {                                                                        \
		int rc_ = ex(line);                                                 \
		ck_assert_msg(rc_ == 0, "'%s' failed (%d): %s", line, rc_, outbuf); \
	} while (0)

/* line fails with -err and its message holds `words`. */
#define bad(line, err, words)                                                                    \
	do {                                                                                     \
		int rc_ = ex(line);                                                              \
		ck_assert_msg(rc_ == -(err), "'%s': expected %d, got %d: %s", line, -(err), rc_, \
			      outbuf);                                                           \
		ck_assert_msg(strstr(outbuf, words), "'%s': message '%s' lacks '%s'", line,      \
			      outbuf, words);                                                    \
	} while (0)

/* The output holds this whole line. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return 1;
		p++;
	}
	return 0;
}

static unsigned count_lines(const char *text)
{
	unsigned n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void tick(void)
{
	fwd_router_tick(rt, mono_ns());
}

static void base_config(void)
{
	ok("addr add 198.18.0.1/24 dev p0");
	ok("addr add 198.19.0.1/24 dev p1");
	ok("addr add 198.19.1.1/24 dev p2");
}

/* ----------------------------------------------------------- addr, link */

START_TEST(test_addr_link)
{
	ok("addr add 198.18.0.1/24 dev p0");
	ok("ports");
	ck_assert_msg(strstr(outbuf, "198.18.0.1/24"), "%s", outbuf);
	ok("route show");
	ck_assert_msg(has_line(outbuf, "198.18.0.0/24 dev p0 proto kernel scope link src "
				       "198.18.0.1"),
		      "%s", outbuf);
	ck_assert_uint_eq(count_lines(outbuf), 1);
	/* ip(8) forms: a leading "ip", "address" */
	ok("ip address add 198.19.0.1/24 dev p1");
	ok("route show");
	ck_assert_uint_eq(count_lines(outbuf), 2);
	bad("addr add 127.0.0.1/8 dev p0", EINVAL, "loopback");
	bad("addr add 198.18.0.0/24 dev p2", EINVAL, "network or broadcast");
	bad("addr add 198.18.0.255/24 dev p2", EINVAL, "network or broadcast");
	bad("addr add 198.18.7.1/33 dev p2", EINVAL, "not an IPv4 address");
	bad("addr add 198.18.7.1/24 dev p9", ENODEV, "no port named 'p9'");
	bad("addr add 198.18.7.1/24", EINVAL, "give the address and the port");
	bad("addr add 198.18.0.1/24 dev p2", EADDRINUSE, "another port has that address");
	bad("addr del 198.18.0.1/24 dev p0", EINVAL, "only 'addr add");

	ok("link set p0 mtu 1400");
	ok("link set dev p1 address 02:00:00:00:00:aa mtu 1280 up");
	ok("ports");
	ck_assert_msg(strstr(outbuf, "1400"), "%s", outbuf);
	ck_assert_msg(strstr(outbuf, "02:00:00:00:00:aa"), "%s", outbuf);
	ck_assert_msg(strstr(outbuf, "1280"), "%s", outbuf);
	bad("link set p0 mtu 20", EINVAL, "68");
	bad("link set p0 mtu 65000", EINVAL, "more than the port's slots hold");
	bad("link set p0 address 01:00:5e:00:00:01", EINVAL, "not a unicast MAC");
	bad("link set p0 address 02:00:00:00:00", EINVAL, "not a unicast MAC");
	bad("link set p0", EINVAL, "nothing to set");
	bad("link set p7 mtu 1400", ENODEV, "no port named 'p7'");
	bad("link show", EINVAL, "only 'link set");
	bad("frobnicate", EINVAL, "unknown command 'frobnicate'");
	ok("# a comment only");
	ok("   ");
	ok("help");
	ck_assert_msg(strstr(outbuf, "route add"), "%s", outbuf);
}
END_TEST

/* ---------------------------------------------------------------- route */

START_TEST(test_route)
{
	struct json_object *j, *e, *v;

	base_config();
	ok("route add 198.18.4.0/22 via 198.19.0.2 dev p1");
	ok("route show 198.18.4.0/22");
	ck_assert_str_eq(outbuf, "198.18.4.0/22 via 198.19.0.2 dev p1\n");
	/* add of an existing prefix fails like ip(8); replace does not */
	bad("route add 198.18.4.0/22 via 198.19.1.2 dev p2", EEXIST, "exists already");
	ok("route replace 198.18.4.0/22 via 198.19.1.2");
	ok("route show 198.18.4.0/22");
	ck_assert_str_eq(outbuf, "198.18.4.0/22 via 198.19.1.2 dev p2\n");
	/* the gateway alone picks the port; a gateway on no subnet is refused */
	bad("route add 198.18.8.0/22 via 198.20.0.2", ENETUNREACH,
	    "route add 198.18.8.0/22: gateway 198.20.0.2 is on no port's subnet");
	bad("route add 198.18.8.0/22 via 198.19.0.2 dev nosuch", ENODEV, "no port named");
	bad("route add 198.18.8.1/22 via 198.19.0.2", EINVAL, "198.18.8.0/22");
	bad("route add 198.18.8.0/22 via", EINVAL, "'via' needs");
	bad("route add 198.18.8.0/22 frob 1", EINVAL, "unknown word 'frob'");
	bad("route add", EINVAL, "give a route");
	bad("route add local 198.18.0.7 dev p0", EOPNOTSUPP, "addr add");
	bad("route add 198.18.8.0/22", EINVAL, "via GATEWAY");
	bad("route frob 198.18.8.0/22", EINVAL, "unknown verb 'frob'");
	ok("route add 198.18.8.0/24 via 198.19.0.3 dev p1 metric 20");
	ok("route add 198.18.12.0/24 dev p2");
	ok("route add blackhole 198.18.9.0/24");
	ok("route add unreachable 198.18.10.0/24");
	ok("route add default via 198.19.0.2");
	ok("route show");
	ck_assert_msg(has_line(outbuf, "default via 198.19.0.2 dev p1"), "%s", outbuf);
	ck_assert_msg(has_line(outbuf, "198.18.8.0/24 via 198.19.0.3 dev p1 metric 20"), "%s",
		      outbuf);
	ck_assert_msg(has_line(outbuf, "198.18.12.0/24 dev p2 scope link"), "%s", outbuf);
	ck_assert_msg(has_line(outbuf, "blackhole 198.18.9.0/24"), "%s", outbuf);
	ck_assert_msg(has_line(outbuf, "unreachable 198.18.10.0/24"), "%s", outbuf);
	ck_assert_msg(has_line(outbuf, "198.19.1.0/24 dev p2 proto kernel scope link src "
				       "198.19.1.1"),
		      "%s", outbuf);
	/* 3 connected, 4.0/22, 8.0/24, 12.0/24, blackhole, unreachable, default */
	ck_assert_uint_eq(count_lines(outbuf), 9);
	ok("route show root 198.18.0.0/16");
	ck_assert_uint_eq(count_lines(outbuf), 6);
	ok("route show match 198.18.8.7/32");
	ck_assert_msg(has_line(outbuf, "198.18.8.0/24 via 198.19.0.3 dev p1 metric 20") &&
			      has_line(outbuf, "default via 198.19.0.2 dev p1"),
		      "%s", outbuf);
	ck_assert_uint_eq(count_lines(outbuf), 2);
	ok("route show dev p2");
	ck_assert_uint_eq(count_lines(outbuf), 3);
	ok("route show 198.18.99.0/24");
	ck_assert_str_eq(outbuf, "");
	bad("route show 198.18.99.1/24", EINVAL, "198.18.99.0/24");
	/* route get: what the fast path's table says */
	ok("route get 198.18.4.7");
	ck_assert_str_eq(outbuf, "198.18.4.7 via 198.19.1.2 dev p2 src 198.19.1.1\n");
	ok("route get 198.18.0.9");
	ck_assert_str_eq(outbuf, "198.18.0.9 dev p0 src 198.18.0.1\n");
	ok("route get 198.18.9.1");
	ck_assert_str_eq(outbuf, "blackhole 198.18.9.1\n");
	bad("route get 198.18.9", EINVAL, "one IPv4 address");

	/* JSON, as ip -j prints it */
	ck_assert_int_eq(ex_fmt("route show", FWD_FMT_JSON), 0);
	j = json_tokener_parse(outbuf);
	ck_assert_msg(j && json_object_is_type(j, json_type_array), "%s", outbuf);
	ck_assert_uint_eq(json_object_array_length(j), 9);
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		e = json_object_array_get_idx(j, i);
		ck_assert(json_object_object_get_ex(e, "dst", &v));
		if (strcmp(json_object_get_string(v), "198.18.8.0/24") == 0) {
			ck_assert(json_object_object_get_ex(e, "gateway", &v));
			ck_assert_str_eq(json_object_get_string(v), "198.19.0.3");
			ck_assert(json_object_object_get_ex(e, "metric", &v));
			ck_assert_int_eq(json_object_get_int(v), 20);
		}
		if (strcmp(json_object_get_string(v), "198.18.9.0/24") == 0) {
			ck_assert(json_object_object_get_ex(e, "type", &v));
			ck_assert_str_eq(json_object_get_string(v), "blackhole");
		}
	}
	json_object_put(j);
	ck_assert_int_eq(ex_fmt("route show", FWD_FMT_PROM), -EINVAL);

	/* del: what is given must match, like ip(8) */
	bad("route del 198.18.4.0/22 via 198.19.0.2", ESRCH, "route del 198.18.4.0/22");
	ok("route del 198.18.4.0/22");
	bad("route del 198.18.4.0/22", ESRCH, "no such route");
	ok("route delete blackhole 198.18.9.0/24");
	ok("route show");
	ck_assert_uint_eq(count_lines(outbuf), 7);
	ck_assert_msg(!strstr(outbuf, "198.18.4.0/22"), "%s", outbuf);
}
END_TEST

/* ---------------------------------------------------------------- neigh */

START_TEST(test_neigh)
{
	struct json_object *j, *v;

	base_config();
	ok("neigh add 198.19.0.2 lladdr 02:00:00:00:01:02 dev p1");
	ok("neighbour add 198.19.1.2 lladdr 02:00:00:00:01:03 dev p2 nud permanent");
	tick();
	ok("neigh show");
	ck_assert_msg(has_line(outbuf, "198.19.0.2 dev p1 lladdr 02:00:00:00:01:02 PERMANENT"),
		      "%s", outbuf);
	ck_assert_msg(has_line(outbuf, "198.19.1.2 dev p2 lladdr 02:00:00:00:01:03 PERMANENT"),
		      "%s", outbuf);
	ck_assert_uint_eq(count_lines(outbuf), 2);
	ok("neigh show dev p2");
	ck_assert_uint_eq(count_lines(outbuf), 1);
	ck_assert_int_eq(ex_fmt("neigh show", FWD_FMT_JSON), 0);
	j = json_tokener_parse(outbuf);
	ck_assert_msg(j && json_object_array_length(j) == 2, "%s", outbuf);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(j, 0), "lladdr", &v));
	json_object_put(j);
	bad("neigh add 198.19.0.3 lladdr 02:00:00:00:01:02", EINVAL, "dev NAME");
	bad("neigh add 198.19.0.3 lladdr ff:ff:ff:ff:ff:ff dev p1", EINVAL, "not a unicast MAC");
	bad("neigh add 198.19.0.3 lladdr 02:00:00:00:01:02 dev p5", ENODEV, "no port named");
	bad("neigh add 224.0.0.5 lladdr 02:00:00:00:01:02 dev p1", EINVAL, "multicast");
	bad("neigh add 198.19.0.3 lladdr 02:00:00:00:01:02 dev p1 nud stale", EINVAL, "permanent");
	bad("neigh add lladdr 02:00:00:00:01:02 dev p1", EINVAL, "give the neighbour's address");
	bad("neigh frob", EINVAL, "unknown verb 'frob'");
	ok("neigh del 198.19.0.2");
	tick();
	ok("neigh show");
	ck_assert_uint_eq(count_lines(outbuf), 1);
	ck_assert_msg(!strstr(outbuf, "198.19.0.2 "), "%s", outbuf);
	bad("neigh del 198.19.0.2", ESRCH, "no such neighbour");
}
END_TEST

/* ------------------------------------------------------------ stats JSON */

START_TEST(test_stats_json)
{
	struct json_object *j, *v, *d, *ports;
	struct fwd_stats st;
	unsigned i, nroutes;

	base_config();
	ok("route add 198.18.4.0/22 via 198.19.0.2");
	ok("route add 198.18.8.0/22 via 198.19.1.2");
	ok("route show");
	nroutes = count_lines(outbuf);
	tick();
	ck_assert_int_eq(ex_fmt("stats", FWD_FMT_JSON), 0);
	j = json_tokener_parse(outbuf);
	ck_assert_msg(j && json_object_is_type(j, json_type_object), "%s", outbuf);
	ck_assert(json_object_object_get_ex(j, "routes", &v));
	ck_assert_uint_eq((unsigned)json_object_get_uint64(v), nroutes);
	fwd_router_stats(rt, &st);
	ck_assert(json_object_object_get_ex(j, "rx", &v));
	ck_assert_uint_eq(json_object_get_uint64(v), st.rx);
	ck_assert(json_object_object_get_ex(j, "drop", &d));
	for (i = 0; i < FWD_DROP_COUNT; i++) {
		ck_assert_msg(json_object_object_get_ex(d, fwd_drop_name(i), &v), "no drop.%s",
			      fwd_drop_name(i));
		ck_assert_uint_eq(json_object_get_uint64(v), st.drop[i]);
	}
	ck_assert(json_object_object_get_ex(j, "ports", &ports));
	ck_assert_uint_eq(json_object_array_length(ports), 3);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(ports, 1), "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "p1");
	json_object_put(j);
	/* "stats json" as words, and ports as JSON */
	ok("stats json");
	j = json_tokener_parse(outbuf);
	ck_assert_ptr_nonnull(j);
	json_object_put(j);
	ck_assert_int_eq(ex_fmt("ports", FWD_FMT_JSON), 0);
	j = json_tokener_parse(outbuf);
	ck_assert_msg(j && json_object_array_length(j) == 3, "%s", outbuf);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(j, 2), "addr", &v));
	ck_assert_str_eq(json_object_get_string(v), "198.19.1.1");
	json_object_put(j);
	ok("stats");
	ck_assert_msg(strstr(outbuf, "tables: ") && strstr(outbuf, "port p2"), "%s", outbuf);
	bad("stats xml", EINVAL, "unknown format 'xml'");
}
END_TEST

/* ------------------------------------------------- Prometheus validator */

static int prom_name_ok(const char *s, size_t n, int metric)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!(isalpha(c) || c == '_' || (metric && c == ':') || (i && isdigit(c))))
			return 0;
	}
	return 1;
}

struct family {
	char name[128];
	char type[16];
	int help, samples, closed;
};

/*
 * Check text against the Prometheus text exposition format 0.0.4: HELP and
 * TYPE lines, sample lines (name, labels with escaped values, a float value,
 * an optional timestamp), each family's samples together and after its TYPE,
 * one TYPE per family, no duplicate series, a final newline. Also the
 * project's rules: counters end in _total, every family has HELP and TYPE.
 * Returns NULL or what is wrong (static buffer).
 */
static const char *prom_check(const char *text)
{
	static char why[256];
	static struct family fam[128];
	static char series[1024][192];
	unsigned nfam = 0, nseries = 0, lineno = 0, cur = ~0U, i;
	const char *p = text;

	if (!*text || text[strlen(text) - 1] != '\n')
		return "does not end with a newline";
	while (*p) {
		const char *eol = strchr(p, '\n'), *q = p, *name;
		size_t nlen;
		char key[192];
		struct family *f = NULL;

		lineno++;
		if (eol == p) {
			p++;
			continue;
		}
		if (*p == '#') {
			char kind[8] = "";
			int k;

			if (sscanf(p, "# %7s", kind) != 1 ||
			    (strcmp(kind, "HELP") && strcmp(kind, "TYPE"))) {
				p = eol + 1; /* a plain comment */
				continue;
			}
			q = p + 2 + strlen(kind);
			if (*q != ' ')
				goto bad;
			name = ++q;
			while (q < eol && *q != ' ')
				q++;
			nlen = (size_t)(q - name);
			if (!prom_name_ok(name, nlen, 1) || nlen >= sizeof(fam[0].name))
				goto bad;
			for (k = 0; k < (int)nfam; k++)
				if (strlen(fam[k].name) == nlen && !memcmp(fam[k].name, name, nlen))
					f = &fam[k];
			if (!f) {
				if (nfam == 128)
					return "too many families for the validator";
				f = &fam[nfam++];
				memset(f, 0, sizeof(*f));
				memcpy(f->name, name, nlen);
			}
			if (f->samples) {
				snprintf(why, sizeof(why), "line %u: %s after samples of %s",
					 lineno, kind, f->name);
				return why;
			}
			if (!strcmp(kind, "HELP")) {
				if (f->help++)
					goto bad;
				for (q++; q < eol; q++) { /* only \\ and \n escapes in HELP */
					if (*q != '\\')
						continue;
					if (q + 1 >= eol || (q[1] != '\\' && q[1] != 'n'))
						goto bad;
					q++;
				}
			} else {
				char type[16] = "";

				if (f->type[0] || *q != ' ' ||
				    sscanf(q + 1, "%15[a-z]", type) != 1 ||
				    q + 1 + strlen(type) != eol ||
				    (strcmp(type, "counter") && strcmp(type, "gauge") &&
				     strcmp(type, "histogram") && strcmp(type, "summary") &&
				     strcmp(type, "untyped")))
					goto bad;
				strcpy(f->type, type);
			}
			p = eol + 1;
			continue;
		}
		/* a sample: name{labels} value [timestamp] */
		name = q;
		while (q < eol && *q != '{' && *q != ' ')
			q++;
		nlen = (size_t)(q - name);
		if (!prom_name_ok(name, nlen, 1))
			goto bad;
		for (i = 0; i < nfam; i++)
			if (strlen(fam[i].name) == nlen && !memcmp(fam[i].name, name, nlen))
				f = &fam[i];
		if (!f || !f->type[0] || !f->help) {
			snprintf(why, sizeof(why), "line %u: sample before its HELP and TYPE",
				 lineno);
			return why;
		}
		if (f->closed) {
			snprintf(why, sizeof(why), "line %u: %s's samples are not together", lineno,
				 f->name);
			return why;
		}
		if (cur != ~0U && cur != (unsigned)(f - fam))
			fam[cur].closed = 1;
		cur = (unsigned)(f - fam);
		f->samples++;
		if (!strcmp(f->type, "counter") &&
		    (nlen < 6 || memcmp(name + nlen - 6, "_total", 6)))
			return "a counter whose name does not end in _total";
		snprintf(key, sizeof(key), "%.*s", (int)(eol - p), p);
		if (*q == '{') {
			char lnames[8][64];
			int nl = 0, k;

			q++;
			while (*q != '}') {
				const char *ln = q;

				while (q < eol && (isalnum((unsigned char)*q) || *q == '_'))
					q++;
				if (!prom_name_ok(ln, (size_t)(q - ln), 0) || *q != '=' ||
				    q[1] != '"' || nl == 8 || q - ln >= 64)
					goto bad;
				for (k = 0; k < nl; k++)
					if (strlen(lnames[k]) == (size_t)(q - ln) &&
					    !memcmp(lnames[k], ln, (size_t)(q - ln)))
						goto bad;
				snprintf(lnames[nl++], 64, "%.*s", (int)(q - ln), ln);
				for (q += 2; q < eol && *q != '"'; q++)
					if (*q == '\\') {
						if (q[1] != '\\' && q[1] != '"' && q[1] != 'n')
							goto bad;
						q++;
					}
				if (q >= eol)
					goto bad;
				q++;
				if (*q == ',')
					q++;
				else if (*q != '}')
					goto bad;
			}
			q++;
			/* the series key is the text up to the value */
			key[q - p] = 0;
		} else {
			key[q - p] = 0;
		}
		if (*q != ' ')
			goto bad;
		q++;
		{
			char *end;

			if (!strncmp(q, "+Inf", 4) || !strncmp(q, "-Inf", 4) ||
			    !strncmp(q, "NaN", 3))
				end = (char *)q + (q[0] == 'N' ? 3 : 4);
			else
				strtod(q, &end);
			if (end == q)
				goto bad;
			if (end < eol) {
				if (*end != ' ')
					goto bad;
				strtoll(end + 1, &end, 10);
				if (end != eol)
					goto bad;
			}
		}
		for (i = 0; i < nseries; i++)
			if (!strcmp(series[i], key)) {
				snprintf(why, sizeof(why), "line %u: series %s twice", lineno, key);
				return why;
			}
		if (nseries < 1024)
			snprintf(series[nseries++], sizeof(series[0]), "%s", key);
		p = eol + 1;
		continue;
	bad:
		snprintf(why, sizeof(why), "line %u: malformed: %.*s", lineno, (int)(eol - p), p);
		return why;
	}
	for (i = 0; i < nfam; i++)
		if (!fam[i].help || !fam[i].type[0]) {
			snprintf(why, sizeof(why), "%s lacks HELP or TYPE", fam[i].name);
			return why;
		}
	return NULL;
}

START_TEST(test_prom_validator)
{
	static const char good[] =
		"# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\"} 3\n"
		"a_total{x=\"2\"} 4 1700000000000\n# HELP g G \\\\ x.\n# TYPE g gauge\ng 1.5e3\n";
	static const char *const bad_inputs[] = {
		"# HELP a_total A.\n# TYPE a_total counter\na_total 3", /* no final newline */
		"# TYPE a_total counter\na_total 3\n",                  /* no HELP */
		"# HELP a_total A.\n# TYPE a_total counter\na_total three\n",
		"# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1} 3\n",
		"# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"\\q\"} 3\n",
		"# HELP a_total A.\n# TYPE a_total counter\na_total{1x=\"1\"} 3\n",
		"# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",x=\"2\"} 3\n",
		"# HELP a A.\n# TYPE a counter\na 3\n", /* a counter without _total */
		"# HELP a_total A.\n# TYPE a_total counter\na_total 3\na_total 4\n",
		"# HELP a_total A.\n# TYPE a_total counters\na_total 3\n",
		"# HELP a_total A.\n# TYPE a_total counter\n# TYPE a_total counter\na_total 3\n",
		"# HELP a_total A.\n# TYPE a_total counter\n# HELP b B.\n# TYPE b gauge\n"
		"a_total{x=\"1\"} 1\nb 2\na_total{x=\"2\"} 1\n", /* a family split */
		"# HELP a-b A.\n# TYPE a-b gauge\na-b 1\n",
		"# HELP a_total A.\n# TYPE a_total counter\na_total 3 x\n",
	};
	const char *why;
	unsigned i;

	why = prom_check(good);
	ck_assert_msg(why == NULL, "good input refused: %s", why);
	for (i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++)
		ck_assert_msg(prom_check(bad_inputs[i]) != NULL, "bad input %u passed:\n%s", i,
			      bad_inputs[i]);
}
END_TEST

START_TEST(test_stats_prom)
{
	struct fwd_stats st;
	char line[160];
	const char *why;
	unsigned i;

	base_config();
	ok("route add 198.18.4.0/22 via 198.19.0.2");
	tick();
	ck_assert_int_eq(ex_fmt("stats", FWD_FMT_PROM), 0);
	why = prom_check(outbuf);
	ck_assert_msg(why == NULL, "%s\n%s", why, outbuf);
	fwd_router_stats(rt, &st);
	for (i = 0; i < FWD_DROP_COUNT; i++) {
		snprintf(line, sizeof(line), "europa_fwd_dropped_packets_total{reason=\"%s\"} %llu",
			 fwd_drop_name(i), (unsigned long long)st.drop[i]);
		ck_assert_msg(has_line(outbuf, line), "no '%s' in\n%s", line, outbuf);
	}
	snprintf(line, sizeof(line), "europa_fwd_routes %llu", (unsigned long long)st.routes);
	ck_assert_msg(has_line(outbuf, line), "no '%s' in\n%s", line, outbuf);
	ck_assert_msg(has_line(outbuf, "europa_fwd_port_rx_packets_total{port=\"p2\"} 0"), "%s",
		      outbuf);
	ok("stats prom");
	ck_assert_ptr_null(prom_check(outbuf));
}
END_TEST

/* ------------------------------------------------- config files, import */

static const char *write_file(const char *name, const char *text)
{
	static char path[8][128];
	static unsigned k;
	char *p = path[k++ % 8];
	FILE *f;

	snprintf(p, 128, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static char *load(int (*fn)(struct fwd_router *, const char *, FILE *), const char *path, int *rc)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*rc = fn(rt, path, f);
	fclose(f);
	return buf;
}

START_TEST(test_config)
{
	const char *good =
		write_file("good.conf", "# europa-fwd configuration\n"
					"\n"
					"addr add 198.18.0.1/24 dev p0\n"
					"addr add 198.19.0.1/24 dev p1   # uplink\n"
					"link set p1 mtu 1400\n"
					"\t\n"
					"route add 198.18.4.0/22 via 198.19.0.2 dev p1\n"
					"route add default via 198.19.0.2\n"
					"neigh add 198.19.0.2 lladdr 02:00:00:00:01:02 dev p1\n");
	const char *broken = write_file("broken.conf", "addr add 198.18.0.1/24 dev p0\n"
						       "# next: a route to a gateway on no subnet\n"
						       "\n"
						       "route add 198.18.8.0/22 via 198.20.0.2\n"
						       "route add 198.18.12.0/22 via 198.18.0.2\n");
	const char *dup = write_file("dup.conf", "addr add 198.18.0.1/24 dev p0\n"
						 "route add 198.18.8.0/22 via 198.18.0.2\n"
						 "route add 198.18.8.0/22 via 198.18.0.3\n");
	char *msg, want[256];
	int rc;

	msg = load(fwd_config_load, good, &rc);
	ck_assert_msg(rc == 0, "%d: %s", rc, msg);
	free(msg);
	tick();
	ok("route show");
	ck_assert_msg(has_line(outbuf, "198.18.4.0/22 via 198.19.0.2 dev p1") &&
			      has_line(outbuf, "default via 198.19.0.2 dev p1"),
		      "%s", outbuf);
	ok("neigh show");
	ck_assert_msg(has_line(outbuf, "198.19.0.2 dev p1 lladdr 02:00:00:00:01:02 PERMANENT"),
		      "%s", outbuf);

	/* the first error stops the load and names its line */
	fwd_router_destroy(rt);
	rt = fwd_router_create(vr, NULL);
	ck_assert_ptr_nonnull(rt);
	msg = load(fwd_config_load, broken, &rc);
	ck_assert_int_eq(rc, -ENETUNREACH);
	snprintf(want, sizeof(want), "%s:4: route add 198.18.8.0/22: gateway 198.20.0.2", broken);
	ck_assert_msg(strstr(msg, want), "'%s' lacks '%s'", msg, want);
	free(msg);
	ok("route show 198.18.12.0/22"); /* line 5 was not run */
	ck_assert_str_eq(outbuf, "");

	msg = load(fwd_config_load, dup, &rc);
	ck_assert_int_eq(rc, -EEXIST);
	snprintf(want, sizeof(want), "%s:3: ", dup);
	ck_assert_msg(strstr(msg, want) && strstr(msg, "exists already"), "%s", msg);
	free(msg);

	msg = load(fwd_config_load, "/nonexistent/europa-fwd.conf", &rc);
	ck_assert_int_eq(rc, -ENOENT);
	ck_assert_msg(strstr(msg, "/nonexistent/europa-fwd.conf: cannot open"), "%s", msg);
	free(msg);
}
END_TEST

START_TEST(test_import)
{
	/* `ip -4 route show` of a host whose p0, p1 match ours; eth0 is not ours */
	const char *show =
		write_file("routes.txt",
			   "default via 198.19.0.2 dev p1 proto static metric 100\n"
			   "default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 600\n"
			   "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n"
			   "172.16.0.0/12 via 10.0.0.254 dev eth0\n"
			   "198.18.0.0/24 dev p0 proto kernel scope link src 198.18.0.1\n"
			   "198.19.0.0/24 dev p1 proto kernel scope link src 198.19.0.1 linkdown\n"
			   "198.18.4.0/22 via 198.19.0.2 dev p1\n"
			   "198.18.8.0/24 via 198.19.0.3 dev p1 proto bgp metric 20\n"
			   "198.18.8.0/24 via 198.19.0.4 dev p1 proto bgp metric 30\n"
			   "198.18.20.0/24 dev p0 scope link\n"
			   "blackhole 198.18.9.0/24\n"
			   "unreachable 198.18.10.0/24 metric 1024\n"
			   "local 198.18.0.1 dev p0 proto kernel scope host src 198.18.0.1\n"
			   "broadcast 198.18.0.255 dev p0 proto kernel scope link src 198.18.0.1\n"
			   "198.18.12.0/24 proto static metric 50\n"
			   "\tnexthop via 198.19.0.2 dev p1 weight 1\n"
			   "\tnexthop via 198.19.0.3 dev p1 weight 1\n");
	const char *broken = write_file("broken.txt", "198.18.4.0/22 via 198.19.0.2 dev p1\n"
						      "198.18.5.0/33 via 198.19.0.2 dev p1\n");
	char *msg;
	int rc;

	ok("addr add 198.18.0.1/24 dev p0");
	ok("addr add 198.19.0.1/24 dev p1");
	msg = load(fwd_routes_import, show, &rc);
	ck_assert_msg(rc == 4, "%d: %s", rc, msg);
	ck_assert_msg(strstr(msg, "imported 4 routes, skipped 13: 3 on other devices, 4 not "
				  "unicast, 3 multipath lines (not supported), 3 to prefixes "
				  "already routed"),
		      "%s", msg);
	free(msg);
	ok("route show");
	ck_assert_msg(has_line(outbuf, "default via 198.19.0.2 dev p1 metric 100"), "%s", outbuf);
	ck_assert_msg(has_line(outbuf, "198.18.4.0/22 via 198.19.0.2 dev p1"), "%s", outbuf);
	/* of two routes to one prefix, the lower metric */
	ck_assert_msg(has_line(outbuf, "198.18.8.0/24 via 198.19.0.3 dev p1 metric 20"), "%s",
		      outbuf);
	ck_assert_msg(has_line(outbuf, "198.18.20.0/24 dev p0 scope link"), "%s", outbuf);
	ck_assert_uint_eq(count_lines(outbuf), 6);
	ck_assert_msg(!strstr(outbuf, "eth0") && !strstr(outbuf, "blackhole"), "%s", outbuf);

	msg = load(fwd_routes_import, broken, &rc);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_msg(strstr(msg, "broken.txt:2: "), "%s", msg);
	free(msg);
}
END_TEST

/* A million lines, config and import (time printed, never asserted). */
START_TEST(test_million)
{
	const char *e = getenv("EU_TEST_FWD_LINES");
	unsigned long n = e ? strtoul(e, NULL, 0) : 1000000UL, i;
	char conf[128], imp[128], *msg;
	struct fwd_stats st;
	__u64 t0, t1;
	FILE *f, *g;
	int rc;

	snprintf(conf, sizeof(conf), "%s/big.conf", tmpdir);
	snprintf(imp, sizeof(imp), "%s/big.txt", tmpdir);
	f = fopen(conf, "w");
	g = fopen(imp, "w");
	ck_assert(f && g);
	fprintf(f, "addr add 198.19.0.1/24 dev p1\naddr add 198.19.1.1/24 dev p2\n");
	for (i = 0; i < n; i++) {
		__u32 p = (1U << 24) + ((__u32)i << 8); /* 1.0.0.0/24 onwards */

		fprintf(f, "route add %u.%u.%u.0/24 via 198.19.0.%lu dev p1  # %lu\n", p >> 24,
			(p >> 16) & 255, (p >> 8) & 255, 2 + i % 16, i);
		p += 1U << 28; /* 17.0.0.0/24 onwards: no overlap with the config */
		fprintf(g, "%u.%u.%u.0/24 via 198.19.1.%lu dev p2 proto bgp metric 20\n", p >> 24,
			(p >> 16) & 255, (p >> 8) & 255, 2 + i % 16);
	}
	fclose(f);
	fclose(g);
	t0 = mono_ns();
	msg = load(fwd_config_load, conf, &rc);
	t1 = mono_ns();
	ck_assert_msg(rc == 0, "%d: %s", rc, msg);
	free(msg);
	fprintf(stderr, "test_fwd_ctl: config of %lu routes loaded in %.2f s\n", n,
		(double)(t1 - t0) * 1e-9);
	t0 = mono_ns();
	msg = load(fwd_routes_import, imp, &rc);
	t1 = mono_ns();
	ck_assert_msg(rc == (int)n, "%d: %s", rc, msg);
	free(msg);
	fprintf(stderr, "test_fwd_ctl: %lu routes imported in %.2f s\n", n,
		(double)(t1 - t0) * 1e-9);
	fwd_router_stats(rt, &st);
	ck_assert_uint_eq(st.routes, 2 * n + 2); /* and the two connected */
	ok("route get 1.0.0.9");
	ck_assert_str_eq(outbuf, "1.0.0.9 via 198.19.0.2 dev p1 src 198.19.0.1\n");
}
END_TEST

/* ------------------------------------------------------ socket, europactl */

static char sock[128];

/* Run europactl with args (as uid if >= 0); stdout+stderr in outbuf; its exit status. */
static int ctl_as(int uid, const char *args)
{
	char cmd[1024], *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t n;
	FILE *p;
	int st;

	if (uid >= 0)
		snprintf(cmd, sizeof(cmd),
			 "setpriv --reuid=%d --regid=%d --clear-groups %s %s 2>&1", uid, uid,
			 EU_EUROPACTL, args);
	else
		snprintf(cmd, sizeof(cmd), "%s %s 2>&1", EU_EUROPACTL, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	free(outbuf);
	outbuf = malloc(1);
	outbuf[0] = 0;
	while ((n = getline(&buf, &cap, p)) > 0) {
		outbuf = realloc(outbuf, len + (size_t)n + 1);
		memcpy(outbuf + len, buf, (size_t)n + 1);
		len += (size_t)n;
	}
	free(buf);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ctl(const char *fmt, ...)
{
	char args[768], full[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "-s %s %s", sock, args);
	return ctl_as(-1, full);
}

START_TEST(test_socket)
{
	struct json_object *j, *v;
	struct fwd_ctl *c, *c2;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat st;
	int rc, fd;

	base_config();
	snprintf(sock, sizeof(sock), "%s/fwd.sock", tmpdir);
	c = fwd_ctl_start(rt, sock);
	ck_assert_msg(c != NULL, "fwd_ctl_start: %s", strerror(errno));
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);

	rc = ctl("route add 198.18.4.0/22 via 198.19.0.2 dev p1");
	ck_assert_msg(rc == 0, "%d: %s", rc, outbuf);
	rc = ctl("route show");
	ck_assert_msg(rc == 0 && has_line(outbuf, "198.18.4.0/22 via 198.19.0.2 dev p1"), "%d: %s",
		      rc, outbuf);
	rc = ctl("route add 198.18.4.0/22 via 198.19.0.3");
	ck_assert_msg(rc == 1 && strstr(outbuf, "exists already"), "%d: %s", rc, outbuf);
	rc = ctl("route add 198.18.8.0/22 via 198.20.0.2");
	ck_assert_msg(rc == 1 && strstr(outbuf, "is on no port's subnet"), "%d: %s", rc, outbuf);
	rc = ctl("route show --json");
	ck_assert_msg(rc == 0, "%d: %s", rc, outbuf);
	j = json_tokener_parse(outbuf);
	ck_assert_msg(j && json_object_array_length(j) == 4, "%s", outbuf);
	json_object_put(j);
	rc = ctl("neigh add 198.19.0.2 lladdr 02:00:00:00:01:02 dev p1");
	ck_assert_msg(rc == 0, "%d: %s", rc, outbuf);
	tick();
	rc = ctl("neigh show");
	ck_assert_msg(rc == 0 && has_line(outbuf, "198.19.0.2 dev p1 lladdr 02:00:00:00:01:02 "
						  "PERMANENT"),
		      "%d: %s", rc, outbuf);
	rc = ctl("--json stats");
	ck_assert_msg(rc == 0, "%d: %s", rc, outbuf);
	j = json_tokener_parse(outbuf);
	ck_assert_msg(j && json_object_object_get_ex(j, "routes", &v), "%s", outbuf);
	ck_assert_uint_eq(json_object_get_uint64(v), 4);
	json_object_put(j);
	rc = ctl("stats --prom");
	ck_assert_msg(rc == 0 && prom_check(outbuf) == NULL, "%d: %s: %s", rc, prom_check(outbuf),
		      outbuf);
	rc = ctl("ports");
	ck_assert_msg(rc == 0 && strstr(outbuf, "198.19.1.1/24"), "%d: %s", rc, outbuf);
	rc = ctl("exec \"link set p2 mtu 1400\"");
	ck_assert_msg(rc == 0, "%d: %s", rc, outbuf);
	rc = ctl("exec \"route get 198.18.5.1\"");
	ck_assert_msg(rc == 0 && has_line(outbuf, "198.18.5.1 via 198.19.0.2 dev p1 src "
						  "198.19.0.1"),
		      "%d: %s", rc, outbuf);
	rc = ctl("route del 198.18.4.0/22");
	ck_assert_msg(rc == 0, "%d: %s", rc, outbuf);
	rc = ctl("route del 198.18.4.0/22");
	ck_assert_msg(rc == 1 && strstr(outbuf, "no such route"), "%d: %s", rc, outbuf);
	/* usage errors: 2, without asking */
	ck_assert_int_eq(ctl("route frob 1.2.3.0/24"), 2);
	ck_assert_int_eq(ctl("stats --bogus"), 2);
	ck_assert_int_eq(ctl("exec"), 2);
	rc = ctl("--help");
	ck_assert_msg(rc == 0 && strstr(outbuf, "route add") && strstr(outbuf, "neigh add") &&
			      strstr(outbuf, "stats") && strstr(outbuf, "exec"),
		      "%s", outbuf);

	/* a live path is refused; a stale one is taken over */
	errno = 0;
	c2 = fwd_ctl_start(rt, sock);
	ck_assert_ptr_null(c2);
	ck_assert_int_eq(errno, EADDRINUSE);
	fwd_ctl_stop(c);
	ck_assert_int_eq(stat(sock, &st), -1); /* unlinked */
	rc = ctl("route show");
	ck_assert_msg(rc == 3 && strstr(outbuf, "no such socket"), "%d: %s", rc, outbuf);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(a.sun_path, sock);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd); /* left behind, like a crashed server's */
	rc = ctl("route show");
	ck_assert_msg(rc == 3 && strstr(outbuf, "refused"), "%d: %s", rc, outbuf);
	c = fwd_ctl_start(rt, sock);
	ck_assert_msg(c != NULL, "stale socket not taken over: %s", strerror(errno));
	/* a peer speaking something else is answered and dropped */
	{
		char buf[256] = "";
		ssize_t n;

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		ck_assert_int_eq(write(fd, "GET / HTTP/1.0\n", 15), 15);
		n = read(fd, buf, sizeof(buf) - 1);
		ck_assert_msg(n > 0 && strncmp(buf, "europa-fwd -22 ", 15) == 0, "%s", buf);
		close(fd);
	}
	/* another uid may read, not change (root only: setpriv to nobody) */
	if (geteuid() == 0 && system("command -v setpriv >/dev/null 2>&1") == 0) {
		char args[300];

		chmod(tmpdir, 0755);
		chmod(sock, 0666); /* let nobody connect at all, to see the uid check */
		snprintf(args, sizeof(args), "-s %s route show", sock);
		rc = ctl_as(65534, args);
		ck_assert_msg(rc == 0 && strstr(outbuf, "198.18.0.0/24"), "%d: %s", rc, outbuf);
		snprintf(args, sizeof(args), "-s %s route add 198.18.4.0/22 via 198.19.0.2", sock);
		rc = ctl_as(65534, args);
		ck_assert_msg(rc == 1 && strstr(outbuf, "uid 65534 may only read"), "%d: %s", rc,
			      outbuf);
		chmod(sock, 0660);
		snprintf(args, sizeof(args), "-s %s route show", sock);
		rc = ctl_as(65534, args);
		ck_assert_msg(rc == 3 && strstr(outbuf, "permission denied"), "%d: %s", rc, outbuf);
	} else {
		fprintf(stderr, "test_fwd_ctl: not root (or no setpriv): the other-uid check of "
				"the control socket is skipped\n");
	}
	fwd_ctl_stop(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fwd_ctl");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_addr_link);
	tcase_add_test(tc, test_route);
	tcase_add_test(tc, test_neigh);
	tcase_add_test(tc, test_stats_json);
	tcase_add_test(tc, test_prom_validator);
	tcase_add_test(tc, test_stats_prom);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_import);
	tcase_add_test(tc, test_socket);
	suite_add_tcase(s, tc);
	tc = tcase_create("million");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_million);
	suite_add_tcase(s, tc);
	return s;
}

#else /* !EU_HAVE_FWD_CTL */

START_TEST(test_skipped)
{
	fprintf(stderr, "test_fwd_ctl: built without libpcap, json-c or europactl: skipped\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fwd_ctl");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_skipped);
	suite_add_tcase(s, tc);
	return s;
}
#endif

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;
#ifdef EU_HAVE_FWD_CTL
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/eu_fwd_ctl.%d", (int)getpid());
	if (mkdir(tmpdir, 0700) < 0) {
		perror(tmpdir);
		return EXIT_FAILURE;
	}
#endif
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
#ifdef EU_HAVE_FWD_CTL
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_fwd_ctl: could not remove %s\n", tmpdir);
#endif
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
