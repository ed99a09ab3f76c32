/* SPDX-License-Identifier: BSD-2-Clause */
/* lib/error.c - per-thread error messages and the version string. */
#include <stdio.h>

#include "internal.h"

static _Thread_local char eu_errbuf[512];

static void eu_verr(const char *fmt, va_list ap)
{
	vsnprintf(eu_errbuf, sizeof(eu_errbuf), fmt, ap);
}

int eu_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	eu_verr(fmt, ap);
	va_end(ap);
	return -err;
}

void *eu_err_null(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	eu_verr(fmt, ap);
	va_end(ap);
	errno = err;
	return NULL;
}

EU_API const char *eu_last_error(void)
{
	return eu_errbuf;
}

#ifndef EU_VERSION_STRING
#define EU_VERSION_STRING "0.1.0"
#endif

EU_API const char *eu_version(void)
{
	return EU_VERSION_STRING;
}
