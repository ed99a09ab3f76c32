/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/error.h - error reporting and version.
 *
 * Functions return 0 or a count on success and -errno on failure; functions
 * returning a pointer return NULL and set errno. Either way, when the cause
 * is something the caller can fix, eu_last_error() holds a message that
 * names the cause and the fix. The message is per thread and stays until the
 * next failing call in that thread.
 */
#ifndef EUROPA_ERROR_H
#define EUROPA_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EU_API
#define EU_API __attribute__((visibility("default")))
#endif

/* The last error message of this thread ("" if none). Never NULL. */
EU_API const char *eu_last_error(void);

/* The library version, "MAJOR.MINOR.PATCH". */
EU_API const char *eu_version(void);

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_ERROR_H */
