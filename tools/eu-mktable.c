/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eu-mktable - print a synthetic IPv4 forwarding table shaped like the global
 * BGP table, in `ip route` syntax, one route a line:
 *
 *   198.18.4.0/22 via 198.19.0.2 dev p1
 *
 * The prefixes come from the library's generator (eu_lpm_gen_*, see
 * europa/lpm.h and docs/lpm.md): unique, with the prefix-length mix of a
 * real full table, about half of them nested in shorter ones, none in 0/8,
 * 127/8, 224/3 or the --exclude prefixes. The same --seed and options give
 * the same table; a larger --count starts with the routes of a smaller one.
 * Each route's next hop is picked from the --via list by a hash of the
 * prefix, so it too is deterministic.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <europa/europa.h>
#include <europa/ipv4.h>
#include <europa/lpm.h>

#define MAX_VIA 64

struct via {
	__u32 gw;
	char dev[EU_IPV4_DEV_MAX];
};

static const char *prog = "eu-mktable";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [options]\n"
		"\n"
		"Print a synthetic BGP-like IPv4 table in `ip route` syntax, e.g.\n"
		"  198.18.4.0/22 via 198.19.0.2 dev p1\n"
		"\n"
		"  -n, --count N         routes to print (default 1000000; k and M suffixes;\n"
		"                        a real full table holds about 1.0M IPv4 prefixes)\n"
		"  -s, --seed S          generator seed (default 1); same seed, same table\n"
		"  -v, --via GW[@DEV]    a next hop (repeatable, up to %d); routes are spread\n"
		"                        over them by a hash of the prefix. Default:\n"
		"                        198.19.0.2@p1 and 198.19.1.2@p2. Without @DEV the\n"
		"                        route has no \"dev\" part.\n"
		"  -x, --exclude PREFIX  generate nothing that overlaps PREFIX (repeatable, up\n"
		"                        to %d); 0/8, 127/8 and 224/3 are always excluded\n"
		"      --nest PCT        %% of prefixes made inside an earlier, shorter one\n"
		"                        (default 50; a real table has about half)\n"
		"      --long PCT        %% of prefixes longer than /24 (default 0.2; full\n"
		"                        tables carry almost none, most networks filter them)\n"
		"  -b, --batch           prefix each line with \"route add \", for `ip -batch`\n"
		"  -o, --output FILE     write to FILE instead of standard output\n"
		"      --mix             print the prefix-length mix (per cent) and exit\n"
		"      --stats           print a histogram of what was generated to stderr\n"
		"  -q, --quiet           no progress on stderr (shown for 100k routes or more)\n"
		"  -h, --help            this text\n"
		"      --version         the libeuropa version\n"
		"\n"
		"Examples:\n"
		"  %s --count 1M > bgp.txt\n"
		"  %s -n 5000 -x 198.18.0.0/15 -v 198.18.0.2@dummy0 -b | ip -batch -\n",
		prog, MAX_VIA, EU_LPM_GEN_MAX_EXCLUDE, prog, prog);
}

static void die(const char *fmt, const char *arg, const char *why)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	if (why && *why)
		fprintf(stderr, ": %s", why);
	fprintf(stderr, "\n(see %s --help)\n", prog);
	exit(2);
}

static unsigned long long parse_count(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		die("--count '%s' is not a number", s, NULL);
	if (*end == 'k' || *end == 'K')
		v *= 1000ULL, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1000000ULL, end++;
	if (*end || v > 100000000ULL)
		die("--count '%s' must be a number up to 100M (k and M suffixes allowed)", s, NULL);
	return v;
}

static double parse_pct(const char *opt, const char *s, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > max) {
		fprintf(stderr, "%s: %s '%s' must be a percentage 0..%g\n", prog, opt, s, max);
		exit(2);
	}
	return v;
}

static void parse_via(const char *s, struct via *v)
{
	char buf[64];
	char *at;

	if (strlen(s) >= sizeof(buf))
		die("--via '%s' is too long", s, NULL);
	strcpy(buf, s);
	at = strchr(buf, '@');
	v->dev[0] = '\0';
	if (at) {
		*at = '\0';
		if (!at[1] || strlen(at + 1) >= EU_IPV4_DEV_MAX)
			die("--via '%s': the device name after @ must be 1..15 characters", s,
			    NULL);
		strcpy(v->dev, at + 1);
	}
	if (eu_ipv4_parse_addr(buf, &v->gw) < 0)
		die("--via '%s'", s, eu_last_error());
}

int main(int argc, char **argv)
{
	enum { OPT_NEST = 256, OPT_LONG, OPT_STATS, OPT_VERSION, OPT_MIX };
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "via", required_argument, NULL, 'v' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "nest", required_argument, NULL, OPT_NEST },
		{ "long", required_argument, NULL, OPT_LONG },
		{ "batch", no_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "mix", no_argument, NULL, OPT_MIX },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct eu_lpm_gen_opts go;
	struct eu_lpm_gen *g;
	struct via via[MAX_VIA];
	unsigned nvia = 0, l;
	unsigned long long count = 1000000, i, hist[33] = { 0 };
	int batch = 0, stats = 0, quiet = 0, tty, c;
	const char *out = NULL;
	FILE *f = stdout;
	static char obuf[1 << 16];
	double t0;
	struct timespec ts;

	if (argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	else if (argv[0] && *argv[0])
		prog = argv[0];
	eu_lpm_gen_opts_default(&go);

	while ((c = getopt_long(argc, argv, "n:s:v:x:bo:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_count(optarg);
			break;
		case 's': {
			char *end;

			errno = 0;
			go.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				die("--seed '%s' is not a number", optarg, NULL);
			break;
		}
		case 'v':
			if (nvia == MAX_VIA)
				die("at most %s --via options", "64", NULL);
			parse_via(optarg, &via[nvia++]);
			break;
		case 'x': {
			unsigned len;

			if (go.nexclude == EU_LPM_GEN_MAX_EXCLUDE)
				die("at most %s --exclude options", "16", NULL);
			if (eu_ipv4_parse_prefix(optarg, &go.exclude[go.nexclude].prefix, &len) < 0)
				die("--exclude '%s'", optarg, eu_last_error());
			go.exclude[go.nexclude++].len = len;
			break;
		}
		case OPT_NEST:
			go.nest_pct = (__u32)(parse_pct("--nest", optarg, 100) + 0.5);
			break;
		case OPT_LONG:
			go.long_ppm = (__u32)(parse_pct("--long", optarg, 50) * 10000 + 0.5);
			break;
		case 'b':
			batch = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_STATS:
			stats = 1;
			break;
		case OPT_MIX:
			printf("# prefix-length mix of %s (per cent of all prefixes, --long 0.2)\n",
			       prog);
			for (l = 0; l <= 32; l++)
				if (eu_lpm_gen_share(l))
					printf("/%u\t%.4f\n", l, eu_lpm_gen_share(l) / 1e4);
			return 0;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("%s (libeuropa %s)\n", prog, eu_version());
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind], NULL);
	if (!nvia) {
		parse_via("198.19.0.2@p1", &via[nvia++]);
		parse_via("198.19.1.2@p2", &via[nvia++]);
	}
	if (out) {
		f = fopen(out, "w");
		if (!f)
			die("cannot create '%s'", out, strerror(errno));
	}
	setvbuf(f, obuf, _IOFBF, sizeof(obuf));
	g = eu_lpm_gen_create(&go);
	if (!g)
		die("%s", "cannot start the generator", eu_last_error());

	tty = isatty(STDERR_FILENO);
	quiet |= count < 100000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	for (i = 0; i < count; i++) {
		__u32 p;
		unsigned len;
		const struct via *v;
		char a[EU_IPV4_ADDR_STRLEN], gw[EU_IPV4_ADDR_STRLEN];
		int rc = eu_lpm_gen_next(g, &p, &len);

		if (rc < 0) {
			fprintf(stderr, "%s: stopped after %llu routes: %s\n", prog, i,
				eu_last_error());
			eu_lpm_gen_destroy(g);
			return 1;
		}
		hist[len]++;
		v = &via[eu_lpm_gen_hash(p, len, go.seed) % nvia];
		if (fprintf(f, "%s%s/%u via %s%s%s\n", batch ? "route add " : "",
			    eu_ipv4_format(p, a), len, eu_ipv4_format(v->gw, gw),
			    v->dev[0] ? " dev " : "", v->dev) < 0)
			break;
		if (!quiet && (i + 1) % (count / 10) == 0) {
			fprintf(stderr, tty ? "\r%s: %llu/%llu routes (%llu%%)" : "%s: %llu/%llu routes (%llu%%)\n",
				prog, i + 1, count, (i + 1) * 100 / count);
			fflush(stderr);
		}
	}
	if (!quiet && tty)
		fputc('\n', stderr);
	eu_lpm_gen_destroy(g);
	if (fflush(f) != 0 || ferror(f) || (out && fclose(f) != 0)) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return 1;
	}
	if (stats) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		fprintf(stderr, "%s: %llu routes in %.2f s (seed %llu)\n", prog, count,
			(double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t0,
			(unsigned long long)go.seed);
		for (l = 0; l <= 32; l++)
			if (hist[l])
				fprintf(stderr, "  /%-2u %9llu  %6.3f%%\n", l, hist[l],
					100.0 * (double)hist[l] / (double)(count ? count : 1));
	}
	return 0;
}
