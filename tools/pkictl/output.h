/* SPDX-License-Identifier: MIT */
/*
 * Output for pkictl and pkiks-keygen: a tiny JSON writer (one document on
 * stdout, strings escaped per RFC 8259) and the time formats both use.
 */
#ifndef PKICTL_OUTPUT_H
#define PKICTL_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#define JW_DEPTH_MAX 8

struct jw {
	FILE *f;
	int depth;
	int count[JW_DEPTH_MAX]; /* members written so far at each depth */
};

/* @key is the member name inside an object, NULL inside an array/at top. */
void jw_init(struct jw *w, FILE *f);
void jw_object_begin(struct jw *w, const char *key);
void jw_object_end(struct jw *w);
void jw_array_begin(struct jw *w, const char *key);
void jw_array_end(struct jw *w);
void jw_string(struct jw *w, const char *key, const char *val);
void jw_int(struct jw *w, const char *key, int64_t val);
void jw_uint(struct jw *w, const char *key, uint64_t val);
void jw_bool(struct jw *w, const char *key, int val);
void jw_null(struct jw *w, const char *key);
/* Ends the document with a newline; returns 0 or -EIO if stdout failed. */
int jw_finish(struct jw *w);

/* "2025-01-14T08:28:18Z" (seconds) or with ".123Z" (@millis). */
void fmt_iso_time(char *buf, size_t len, uint64_t ns, int millis);
/* IOS countdown "[Nd]hh:mm:ss.mmm", e.g. "1094d 5:21:45.573". */
void fmt_countdown(char *buf, size_t len, uint64_t ns);

#endif /* PKICTL_OUTPUT_H */
