/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tools/europactl/europactl.h - what europactl's source files share: the
 * global options given before the command, and the subcommands that
 * europactl.c dispatches to (each gets argv[0] = its own name).
 */
#ifndef EUROPACTL_H
#define EUROPACTL_H

#include <stdio.h>

/* Options given before the command (a subcommand may accept them after it too). */
struct europactl_opts {
	const char *socket; /* -s PATH, or NULL */
	int json;           /* -j */
	int prom;           /* -p */
};
extern struct europactl_opts ctl_opts;

/* europa-fwd: route, neigh, stats, ports, exec (fwd.c). */
int fwd_main(int argc, char **argv);
void fwd_usage(FILE *f);
/* Does a bare `ports` mean europa-fwd's (see fwd.c), rather than europad's? */
int fwd_ports_is_fwd(void);

#endif /* EUROPACTL_H */
