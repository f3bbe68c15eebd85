/* SPDX-License-Identifier: MIT */
/*
 * Shared by libshared/config*.c: the parser's state, one command line, the
 * command tables, and the argument parsers every command uses.
 */
#ifndef PKID_CONFIG_INTERNAL_H
#define PKID_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define LINE_MAX_LEN 4096
#define TOK_MAX	     48
#define ERRORS_MAX   50

enum ctx {
	CTX_GLOBAL,
	CTX_SERVER,
	CTX_TRUSTPOINT,
	CTX_SKIP, /* the lines of a block whose header was wrong */
};

struct parser {
	const char *file;
	unsigned int line;
	unsigned int errors;
	pkid_config_report_fn report;
	void *arg;
	struct pkid_config *cfg;
	enum ctx ctx;
	size_t cur; /* index of the open server or trustpoint */
	bool quiet; /* probing a table: count errors in probe_errors only */
	unsigned int probe_errors;
};

/* One command line, split.  rest[i] is the line from word i to its end. */
struct cmdline {
	bool neg;
	int argc;
	char **argv;
	const char **rest;
	const char *name; /* canonical keywords, "lifetime certificate" */
};

struct cmd {
	const char *words[5]; /* NULL-terminated */
	int (*fn)(struct parser *p, const struct cmdline *c);
};

/* Report "FILE:LINE: message" and count the error. */
void conf_err(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Argument parsers (config_args.c).  Each takes argument i of the line,
 * reports what is wrong itself, and returns 0 or -EINVAL.
 */
int conf_copy(struct parser *p, const struct cmdline *c, char *dst, size_t size,
	      const char *src);
int conf_parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out);
int conf_uint(struct parser *p, const struct cmdline *c, int i,
	      const char *what, unsigned long min, unsigned long max,
	      unsigned long *out);
int conf_no_more(struct parser *p, const struct cmdline *c, int n);
/* Index of the keyword w abbreviates, -ENOENT, or -EDEADLK if ambiguous. */
int conf_match_word(const char *w, const char *const *words);
/* Argument i as one of words: its index, or -EINVAL. */
int conf_keyword(struct parser *p, const struct cmdline *c, int i,
		 const char *const *words);
int conf_duration(struct parser *p, const struct cmdline *c, int i,
		  unsigned long max_days, int64_t *out);
int conf_hours(struct parser *p, const struct cmdline *c, int i,
	       unsigned long max_hours, bool minutes, int64_t *out);
/* The rest of the line from argument i, or NULL (reported). */
const char *conf_rest(struct parser *p, const struct cmdline *c, int i,
		      const char *what);
int conf_name(struct parser *p, const struct cmdline *c, int i, char *dst);
int conf_dn(struct parser *p, const struct cmdline *c, int i, char *dst);
int conf_url(struct parser *p, const struct cmdline *c, int i, char *dst);
int conf_path(struct parser *p, const struct cmdline *c, int i, char *dst);
int conf_password(struct parser *p, const struct cmdline *c, int i, char *dst);
int conf_prefix(const char *s, struct pkid_prefix *out);

/* Defaults of a new block (config.c). */
void conf_server_defaults(struct pkid_server_config *s, const char *name);
void conf_tp_defaults(struct pkid_trustpoint_config *t, const char *name);

/* The command tables, NULL-terminated. */
int conf_exit_block(struct parser *p, const struct cmdline *c);
extern const struct cmd conf_server_cmds[];	/* config_server.c */
extern const struct cmd conf_trustpoint_cmds[]; /* config_trustpoint.c */
extern const struct cmd conf_global_cmds[];	/* config_global.c */

#endif /* PKID_CONFIG_INTERNAL_H */
