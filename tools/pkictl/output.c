// SPDX-License-Identifier: MIT
/*
 * The JSON writer and time formats of output.h.  The writer is compact and
 * streaming: it remembers only how many members each open container has, to
 * place the commas.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "output.h"

void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

static void jw_escaped(struct jw *w, const char *s)
{
	const unsigned char *p;

	fputc('"', w->f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", w->f);
			break;
		case '\\':
			fputs("\\\\", w->f);
			break;
		case '\n':
			fputs("\\n", w->f);
			break;
		case '\r':
			fputs("\\r", w->f);
			break;
		case '\t':
			fputs("\\t", w->f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(w->f, "\\u%04x", *p);
			else
				fputc(*p, w->f);
		}
	}
	fputc('"', w->f);
}

/* The comma before a member, and its name when inside an object. */
static void jw_member(struct jw *w, const char *key)
{
	if (w->count[w->depth]++)
		fputc(',', w->f);
	if (key) {
		jw_escaped(w, key);
		fputc(':', w->f);
	}
}

static void jw_open(struct jw *w, const char *key, char c)
{
	jw_member(w, key);
	fputc(c, w->f);
	if (w->depth < JW_DEPTH_MAX - 1)
		w->depth++;
	w->count[w->depth] = 0;
}

static void jw_close(struct jw *w, char c)
{
	fputc(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void jw_object_begin(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void jw_object_end(struct jw *w)
{
	jw_close(w, '}');
}

void jw_array_begin(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void jw_array_end(struct jw *w)
{
	jw_close(w, ']');
}

void jw_string(struct jw *w, const char *key, const char *val)
{
	jw_member(w, key);
	jw_escaped(w, val);
}

void jw_int(struct jw *w, const char *key, int64_t val)
{
	jw_member(w, key);
	fprintf(w->f, "%" PRId64, val);
}

void jw_uint(struct jw *w, const char *key, uint64_t val)
{
	jw_member(w, key);
	fprintf(w->f, "%" PRIu64, val);
}

void jw_bool(struct jw *w, const char *key, int val)
{
	jw_member(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	jw_member(w, key);
	fputs("null", w->f);
}

int jw_finish(struct jw *w)
{
	fputc('\n', w->f);
	return fflush(w->f) || ferror(w->f) ? -EIO : 0;
}

void fmt_iso_time(char *buf, size_t len, uint64_t ns, int millis)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (millis)
		snprintf(buf + n, len - n, ".%03uZ",
			 (unsigned)(ns / 1000000ull % 1000));
	else
		snprintf(buf + n, len - n, "Z");
}

void fmt_countdown(char *buf, size_t len, uint64_t ns)
{
	uint64_t ms = ns / 1000000ull;
	uint64_t s = ms / 1000, days = s / 86400;
	char dpart[24] = "";

	if (days)
		snprintf(dpart, sizeof(dpart), "%" PRIu64 "d", days);
	snprintf(buf, len, "%s%2u:%02u:%02u.%03u", dpart,
		 (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60),
		 (unsigned)(s % 60), (unsigned)(ms % 1000));
}
