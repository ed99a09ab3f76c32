/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/ipv4.c - text forms of IPv4 addresses, prefixes and `ip route` lines, and of
 * Ethernet (MAC) addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <europa/ipv4.h>

#include "internal.h"

/* Parse a dotted quad at s; *end gets the first byte after it. 0 or -1. */
static int eu_ipv4_quad(const char *s, const char **end, __u32 *addr)
{
	__u32 a = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;

		if (i > 0) {
			if (*s != '.')
				return -1;
			s++;
		}
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return -1; /* "010" is octal to inet_aton(): refuse the ambiguity */
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned)(*s - '0');
			if (v > 255 || ++digits > 3)
				return -1;
			s++;
		}
		if (!digits)
			return -1;
		a = (a << 8) | v;
	}
	*end = s;
	*addr = a;
	return 0;
}

EU_API int eu_ipv4_parse_addr(const char *s, __u32 *addr)
{
	const char *end;
	__u32 a;

	if (!s || !addr)
		return eu_err(EINVAL, "eu_ipv4_parse_addr: NULL argument");
	if (eu_ipv4_quad(s, &end, &a) < 0 || *end)
		return eu_err(EINVAL, "'%s' is not an IPv4 address: write four decimal octets "
				      "0..255 separated by dots, e.g. 198.18.0.1", s);
	*addr = a;
	return 0;
}

EU_API int eu_ipv4_parse_prefix(const char *s, __u32 *prefix, unsigned *len)
{
	const char *end;
	__u32 a;
	unsigned l = 32;

	if (!s || !prefix || !len)
		return eu_err(EINVAL, "eu_ipv4_parse_prefix: NULL argument");
	if (strcmp(s, "default") == 0 || strcmp(s, "0/0") == 0) {
		*prefix = 0;
		*len = 0;
		return 0;
	}
	if (eu_ipv4_quad(s, &end, &a) < 0)
		return eu_err(EINVAL, "'%s' is not an IPv4 prefix: write A.B.C.D/LEN (LEN 0..32), "
				      "A.B.C.D or \"default\"", s);
	if (*end == '/') {
		const char *p = end + 1;

		if (*p < '0' || *p > '9')
			return eu_err(EINVAL, "'%s': the prefix length after '/' must be 0..32", s);
		l = 0;
		while (*p >= '0' && *p <= '9') {
			l = l * 10 + (unsigned)(*p - '0');
			if (l > 32)
				return eu_err(EINVAL, "'%s': the prefix length must be 0..32", s);
			p++;
		}
		end = p;
	}
	if (*end)
		return eu_err(EINVAL, "'%s' is not an IPv4 prefix: unexpected '%s' (write "
				      "A.B.C.D/LEN)", s, end);
	if (a & ~eu_ipv4_mask(l)) {
		char b[EU_IPV4_ADDR_STRLEN];

		return eu_err(EINVAL, "'%s' has host bits set beyond /%u: did you mean %s/%u?", s, l,
			      eu_ipv4_format(a & eu_ipv4_mask(l), b), l);
	}
	*prefix = a;
	*len = l;
	return 0;
}

EU_API char *eu_ipv4_format(__u32 addr, char buf[EU_IPV4_ADDR_STRLEN])
{
	snprintf(buf, EU_IPV4_ADDR_STRLEN, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}

/* ------------------------------------------------------- Ethernet addresses */

/* Value of a hex digit, or -1. */
static int eu_hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

EU_API int eu_ether_parse_mac(const char *s, __u8 mac[6], const char **end)
{
	const char *p;
	__u8 m[6];
	int i, hi, lo;

	if (!s || !mac)
		return eu_err(EINVAL, "eu_ether_parse_mac: NULL argument");
	p = s;
	for (i = 0; i < 6; i++) {
		if (i > 0) {
			if (*p != ':')
				goto bad;
			p++;
		}
		hi = eu_hex_val(*p);
		if (hi < 0)
			goto bad; /* an empty group, a sign, a blank, a '-' separator */
		p++;
		lo = eu_hex_val(*p);
		if (lo >= 0) {
			m[i] = (__u8)(hi << 4 | lo);
			p++;
		} else {
			m[i] = (__u8)hi;
		}
	}
	/* a third digit, a seventh group, or (without `end`) anything at all */
	if (eu_hex_val(*p) >= 0 || *p == ':' || (!end && *p))
		goto bad;
	memcpy(mac, m, 6);
	if (end)
		*end = p;
	return 0;
bad:
	if (*p == '-')
		return eu_err(EINVAL,
			      "'%s' is not a MAC address: separate the bytes with ':', not "
			      "'-' (e.g. 02:00:00:00:00:01)",
			      s);
	return eu_err(EINVAL,
		      "'%s' is not a MAC address: write six bytes of one or two hex digits "
		      "separated by ':', e.g. 02:00:00:00:00:01",
		      s);
}

EU_API char *eu_ether_format_mac(const __u8 mac[6], char buf[EU_ETHER_ADDR_STRLEN])
{
	snprintf(buf, EU_ETHER_ADDR_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return buf;
}

/* ----------------------------------------------------------- route lines */

#define EU_RT_MAX_TOKENS 64

static int eu_rt_is(const char *tok, const char *word)
{
	return strcmp(tok, word) == 0;
}

/* Keywords of `ip route` that take one value, which we skip. */
static int eu_rt_skip_with_value(const char *tok)
{
	static const char *const kw[] = {
		"proto", "scope", "src", "table", "tos", "dsfield", "realm", "realms", "mtu",
		"advmss", "rtt", "rttvar", "reordering", "window", "cwnd", "initcwnd",
		"initrwnd", "ssthresh", "quickack", "congctl", "features", "rto_min",
		"hoplimit", "expires", "encap", "nhid", "pref", "fastopen_no_cookie",
		"weight", "ttl-propagate", "as", "from", "iif", "oif", "vrf", "uid",
		"mark", "error", "age", "used", "users", "ipid", NULL
	};
	int i;

	for (i = 0; kw[i]; i++)
		if (eu_rt_is(tok, kw[i]))
			return 1;
	return 0;
}

/* Keywords without a value (flags printed by `ip route show`). */
static int eu_rt_skip_flag(const char *tok)
{
	static const char *const kw[] = { "onlink", "linkdown", "dead", "pervasive",
					   "offload", "trap", "rt_offload", "rt_trap",
					   "rt_offload_failed", "notify", "lock", NULL };
	int i;

	for (i = 0; kw[i]; i++)
		if (eu_rt_is(tok, kw[i]))
			return 1;
	return 0;
}

static int eu_rt_type(const char *tok)
{
	if (eu_rt_is(tok, "unicast"))
		return EU_IPV4_RT_UNICAST;
	if (eu_rt_is(tok, "blackhole"))
		return EU_IPV4_RT_BLACKHOLE;
	if (eu_rt_is(tok, "unreachable"))
		return EU_IPV4_RT_UNREACHABLE;
	if (eu_rt_is(tok, "prohibit"))
		return EU_IPV4_RT_PROHIBIT;
	if (eu_rt_is(tok, "local") || eu_rt_is(tok, "broadcast") || eu_rt_is(tok, "multicast") ||
	    eu_rt_is(tok, "anycast") || eu_rt_is(tok, "nat") || eu_rt_is(tok, "throw"))
		return EU_IPV4_RT_LOCAL;
	return -1;
}

EU_API int eu_ipv4_route_parse(const char *line, struct eu_ipv4_route *out)
{
	char buf[512];
	char *tok[EU_RT_MAX_TOKENS];
	char *p, *save = NULL;
	size_t n;
	int ntok = 0, i = 0, type;
	unsigned len;
	int rc;

	if (!line || !out)
		return eu_err(EINVAL, "eu_ipv4_route_parse: NULL argument");
	n = strlen(line);
	if (n >= sizeof(buf))
		return eu_err(EINVAL, "route line too long (%zu bytes, at most %zu)", n,
			      sizeof(buf) - 1);
	memcpy(buf, line, n + 1);
	p = strchr(buf, '#');
	if (p)
		*p = '\0';
	for (p = strtok_r(buf, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
		if (ntok == EU_RT_MAX_TOKENS)
			return eu_err(EINVAL, "route line has more than %d words", EU_RT_MAX_TOKENS);
		tok[ntok++] = p;
	}
	if (!ntok)
		return 0;

	memset(out, 0, sizeof(*out));
	type = eu_rt_type(tok[0]);
	if (type >= 0) {
		out->type = (__u8)type;
		i++;
	}
	if (i >= ntok)
		return eu_err(EINVAL, "route line '%s': a prefix must follow '%s'", line, tok[0]);
	rc = eu_ipv4_parse_prefix(tok[i], &out->prefix, &len);
	if (rc < 0)
		return rc;
	out->len = (__u8)len;
	for (i++; i < ntok; i++) {
		const char *k = tok[i];

		if (eu_rt_is(k, "via") || eu_rt_is(k, "gw")) {
			if (i + 1 >= ntok)
				return eu_err(EINVAL, "route line '%s': 'via' needs an address", line);
			i++;
			if (eu_rt_is(tok[i], "inet")) /* "via inet 1.2.3.4" */
				i++;
			if (i >= ntok || eu_ipv4_parse_addr(tok[i], &out->via) < 0)
				return eu_err(EINVAL, "route line '%s': 'via' needs an IPv4 address",
					      line);
			out->has_via = 1;
		} else if (eu_rt_is(k, "dev") || eu_rt_is(k, "oif")) {
			if (i + 1 >= ntok)
				return eu_err(EINVAL, "route line '%s': 'dev' needs a name", line);
			i++;
			if (strlen(tok[i]) >= EU_IPV4_DEV_MAX)
				return eu_err(EINVAL, "route line '%s': device name '%s' is longer "
						      "than %d bytes", line, tok[i],
					      EU_IPV4_DEV_MAX - 1);
			strcpy(out->dev, tok[i]);
		} else if (eu_rt_is(k, "metric") || eu_rt_is(k, "preference") ||
			   eu_rt_is(k, "priority")) {
			char *end;
			unsigned long m;

			if (i + 1 >= ntok)
				return eu_err(EINVAL, "route line '%s': '%s' needs a number", line, k);
			i++;
			m = strtoul(tok[i], &end, 10);
			if (*end || m > 0xffffffffUL)
				return eu_err(EINVAL, "route line '%s': bad %s '%s'", line, k, tok[i]);
			out->metric = (__u32)m;
		} else if (eu_rt_skip_flag(k)) {
			continue;
		} else if (eu_rt_skip_with_value(k)) {
			i++;
		} else {
			return eu_err(EINVAL, "route line '%s': unknown word '%s' (expected via, "
					      "dev, metric or another `ip route` keyword)", line, k);
		}
	}
	return 1;
}
