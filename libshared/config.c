// SPDX-License-Identifier: MIT
/*
 * pkid.conf parser: lines → tokens → a command found in the table of the
 * current context (global, server block, trustpoint block) by keyword
 * prefixes → the command's handler fills struct pkid_config.
 *
 * Keyword matching follows IOS: a word selects the keyword it is a prefix
 * of; an exact match wins over longer keywords; a word that is a prefix of
 * two keywords is ambiguous, an error.  Argument keywords (hash sha256,
 * database level complete, ...) follow the same rule.
 *
 * The printer, equality and diff live in config_print.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define LINE_MAX_LEN 4096
#define TOK_MAX	     48
#define ERRORS_MAX   50
#define FILE_MAX     (4 * 1024 * 1024)

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

static void perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void perr(struct parser *p, const char *fmt, ...)
{
	char msg[LINE_MAX_LEN + 512];
	int n;
	va_list ap;

	p->errors++;
	if (p->errors > ERRORS_MAX)
		return;
	n = snprintf(msg, sizeof(msg), "%s:%u: ", p->file, p->line);
	va_start(ap, fmt);
	if (p->errors == ERRORS_MAX)
		snprintf(msg + n, sizeof(msg) - n,
			 "too many errors, giving up");
	else
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	if (p->report)
		p->report(p->arg, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/* ---- small parsers for arguments ---- */

static int copy_str(struct parser *p, const struct cmdline *c, char *dst,
		    size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size) {
		perr(p, "'%s': value too long (%zu characters, at most %zu)",
		     c->name, len, size - 1);
		return -EINVAL;
	}
	memset(dst, 0, size);
	memcpy(dst, src, len);
	return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* One numeric argument, with the IOS-style message on error. */
static int arg_uint(struct parser *p, const struct cmdline *c, int i,
		    const char *what, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	if (i >= c->argc) {
		perr(p, "'%s': expected %s (%lu-%lu)", c->name, what, min, max);
		return -EINVAL;
	}
	if (parse_uint(c->argv[i], min, max, out)) {
		perr(p, "'%s': expected %s (%lu-%lu), got '%s'", c->name, what,
		     min, max, c->argv[i]);
		return -EINVAL;
	}
	return 0;
}

static int no_more_args(struct parser *p, const struct cmdline *c, int n)
{
	if (c->argc > n) {
		perr(p, "'%s': unexpected '%s'", c->name, c->argv[n]);
		return -EINVAL;
	}
	return 0;
}

/*
 * Abbreviation rule for one word among `words` (NULL-terminated): index
 * of the match, -ENOENT if none, -EDEADLK (reported as ambiguous) if two.
 */
static int match_word(const char *w, const char *const *words)
{
	size_t len = strlen(w);
	int found = -ENOENT;

	for (int i = 0; words[i]; i++) {
		if (!strcmp(words[i], w))
			return i;
		if (!strncmp(words[i], w, len)) {
			if (found >= 0)
				return -EDEADLK;
			found = i;
		}
	}
	return found;
}

static void join_words(const char *const *words, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; words[i] && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
			      words[i]);
}

/* An argument that must be one of `words`; returns its index. */
static int arg_keyword(struct parser *p, const struct cmdline *c, int i,
		       const char *const *words)
{
	char list[256];
	int k;

	join_words(words, list, sizeof(list));
	if (i >= c->argc) {
		perr(p, "'%s': expected one of: %s", c->name, list);
		return -EINVAL;
	}
	k = match_word(c->argv[i], words);
	if (k == -EDEADLK) {
		perr(p, "'%s': '%s' is ambiguous (%s)", c->name, c->argv[i],
		     list);
		return -EINVAL;
	}
	if (k < 0) {
		perr(p, "'%s': expected one of: %s, got '%s'", c->name, list,
		     c->argv[i]);
		return -EINVAL;
	}
	return k;
}

/* D [H [M]] from argument `i`, days within 0..max_days, total > 0. */
static int arg_duration(struct parser *p, const struct cmdline *c, int i,
			unsigned long max_days, int64_t *out)
{
	unsigned long d, h = 0, m = 0;

	if (arg_uint(p, c, i, "days", 0, max_days, &d))
		return -EINVAL;
	if (c->argc > i + 1 && arg_uint(p, c, i + 1, "hours", 0, 23, &h))
		return -EINVAL;
	if (c->argc > i + 2 && arg_uint(p, c, i + 2, "minutes", 0, 59, &m))
		return -EINVAL;
	if (no_more_args(p, c, i + 3))
		return -EINVAL;
	if (d == 0 && h == 0 && m == 0) {
		perr(p, "'%s': the duration must not be zero", c->name);
		return -EINVAL;
	}
	*out = (int64_t)d * PKID_DAY + h * PKID_HOUR + m * 60;
	return 0;
}

/* H [M] from argument `i`. */
static int arg_hours(struct parser *p, const struct cmdline *c, int i,
		     unsigned long max_hours, bool minutes, int64_t *out)
{
	unsigned long h, m = 0;

	if (arg_uint(p, c, i, "hours", 0, max_hours, &h))
		return -EINVAL;
	if (minutes && c->argc > i + 1 &&
	    arg_uint(p, c, i + 1, "minutes", 0, 59, &m))
		return -EINVAL;
	if (no_more_args(p, c, i + (minutes ? 2 : 1)))
		return -EINVAL;
	if (h == 0 && m == 0) {
		perr(p, "'%s': the duration must not be zero", c->name);
		return -EINVAL;
	}
	*out = h * PKID_HOUR + m * 60;
	return 0;
}

/* The rest of the line from argument i (DNs, commands). */
static const char *arg_rest(struct parser *p, const struct cmdline *c, int i,
			    const char *what)
{
	if (i >= c->argc) {
		perr(p, "'%s': expected %s", c->name, what);
		return NULL;
	}
	return c->rest[i];
}

static bool name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PKID_CONF_NAME_MAX - 1)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static int arg_name(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	if (i >= c->argc) {
		perr(p, "'%s': expected a name", c->name);
		return -EINVAL;
	}
	if (!name_valid(c->argv[i])) {
		perr(p,
		     "'%s': '%s' is not a valid name (1-%d of A-Z a-z 0-9 . _ "
		     "-)",
		     c->name, c->argv[i], PKID_CONF_NAME_MAX - 1);
		return -EINVAL;
	}
	return copy_str(p, c, dst, PKID_CONF_NAME_MAX, c->argv[i]);
}

/* A DN as IOS writes it: attr=value[,attr=value...]. */
static int arg_dn(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	const char *dn = arg_rest(p, c, i, "a distinguished name (CN=...)");
	const char *s;

	if (!dn)
		return -EINVAL;
	for (s = dn; *s;) {
		const char *eq = strchr(s, '='), *comma = strchr(s, ',');

		if (!eq || eq == s || (comma && comma < eq)) {
			perr(p,
			     "'%s': '%s' is not a distinguished name "
			     "(attr=value[,attr=value...])",
			     c->name, dn);
			return -EINVAL;
		}
		s = comma ? comma + 1 : eq + strlen(eq);
	}
	return copy_str(p, c, dst, PKID_CONF_DN_MAX, dn);
}

static int arg_url(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	if (i >= c->argc) {
		perr(p, "'%s': expected a URL", c->name);
		return -EINVAL;
	}
	if (!strstr(c->argv[i], "://") && c->argv[i][0] != '/') {
		perr(p, "'%s': '%s' is not a URL (scheme://... or /path)",
		     c->name, c->argv[i]);
		return -EINVAL;
	}
	if (no_more_args(p, c, i + 1))
		return -EINVAL;
	return copy_str(p, c, dst, PKID_CONF_URL_MAX, c->argv[i]);
}

static int arg_path(struct parser *p, const struct cmdline *c, int i, char *dst)
{
	if (i >= c->argc || c->argv[i][0] != '/') {
		perr(p, "'%s': expected an absolute path%s%s%s", c->name,
		     i < c->argc ? ", got '" : "",
		     i < c->argc ? c->argv[i] : "", i < c->argc ? "'" : "");
		return -EINVAL;
	}
	if (no_more_args(p, c, i + 1))
		return -EINVAL;
	return copy_str(p, c, dst, PKID_CONF_PATH_MAX, c->argv[i]);
}

/* Cisco "type 7" passwords: a public XOR obfuscation, not encryption. */
static int type7_decode(const char *in, char *out, size_t size)
{
	static const char xlat[] =
		"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";
	size_t len = strlen(in), n = 0;
	unsigned int seed, byte;

	if (len < 4 || len % 2 || sscanf(in, "%2u", &seed) != 1 ||
	    !isdigit((unsigned char)in[0]) || !isdigit((unsigned char)in[1]) ||
	    seed > 15)
		return -EINVAL;
	for (size_t i = 2; i < len; i += 2) {
		if (!isxdigit((unsigned char)in[i]) ||
		    !isxdigit((unsigned char)in[i + 1]) ||
		    sscanf(in + i, "%2x", &byte) != 1 || n + 1 >= size)
			return -EINVAL;
		out[n] = (char)(byte ^ (unsigned char)xlat[(seed + n) % 53]);
		if (!out[n])
			return -EINVAL;
		n++;
	}
	out[n] = 0;
	return 0;
}

/* [0|7] PW from argument i: IOS prints "password 0 PW" or "7 HEX". */
static int arg_password(struct parser *p, const struct cmdline *c, int i,
			char *dst)
{
	char clear[PKID_CONF_PW_MAX];

	if (i >= c->argc) {
		perr(p, "'%s': expected a password", c->name);
		return -EINVAL;
	}
	if (c->argc == i + 1)
		return copy_str(p, c, dst, PKID_CONF_PW_MAX, c->argv[i]);
	if (no_more_args(p, c, i + 2))
		return -EINVAL;
	if (!strcmp(c->argv[i], "0"))
		return copy_str(p, c, dst, PKID_CONF_PW_MAX, c->argv[i + 1]);
	if (strcmp(c->argv[i], "7")) {
		perr(p, "'%s': expected [0|7] PASSWORD, got '%s'", c->name,
		     c->argv[i]);
		return -EINVAL;
	}
	if (type7_decode(c->argv[i + 1], clear, sizeof(clear))) {
		perr(p, "'%s': '%s' is not a valid type 7 password", c->name,
		     c->argv[i + 1]);
		return -EINVAL;
	}
	return copy_str(p, c, dst, PKID_CONF_PW_MAX, clear);
}

/* ---- defaults ---- */

static void server_defaults(struct pkid_server_config *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->issuer_name, sizeof(s->issuer_name), "CN=%s", name);
	s->hash = PKID_HASH_SHA256;
	s->lifetime_ca_cert = 1095LL * PKID_DAY;
	s->lifetime_cert = 365LL * PKID_DAY;
	s->lifetime_crl = 168LL * PKID_HOUR;
	s->lifetime_enrollreq = 168LL * PKID_HOUR;
	s->rollover_window = 30LL * PKID_DAY;
	s->grant = PKID_GRANT_MANUAL;
	s->db_level = PKID_DB_LEVEL_MINIMUM;
	s->archive_format = PKID_ARCHIVE_PKCS12;
	s->shutdown = true;
}

static void tp_defaults(struct pkid_trustpoint_config *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->rsakeypair, sizeof(t->rsakeypair), "%s", name);
	t->rsa_bits = 2048;
	t->auto_enroll_pct = 100;
	t->retry_count = 999;
	t->retry_period_min = 1;
	t->retry_max_period_min = 60;
	t->revocation_check = PKID_REVCHECK_CRL;
}

static void global_defaults(struct pkid_config *cfg)
{
	cfg->http_port = 80;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 PKID_CTL_SOCKET_DEFAULT);
}

struct pkid_config *pkid_config_new(void)
{
	struct pkid_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg)
		global_defaults(cfg);
	return cfg;
}

void pkid_config_free(struct pkid_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->rate_ifaces);
	free(cfg->rate_allow);
	/* passwords live in the arrays: wipe before freeing */
	if (cfg->servers)
		explicit_bzero(cfg->servers,
			       cfg->n_servers * sizeof(*cfg->servers));
	if (cfg->trustpoints)
		explicit_bzero(cfg->trustpoints,
			       cfg->n_trustpoints * sizeof(*cfg->trustpoints));
	free(cfg->servers);
	free(cfg->trustpoints);
	free(cfg);
}

const struct pkid_server_config *
pkid_config_server(const struct pkid_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_servers; i++)
		if (!strcmp(cfg->servers[i].name, name))
			return &cfg->servers[i];
	return NULL;
}

const struct pkid_trustpoint_config *
pkid_config_trustpoint(const struct pkid_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_trustpoints; i++)
		if (!strcmp(cfg->trustpoints[i].name, name))
			return &cfg->trustpoints[i];
	return NULL;
}

/* ---- crypto pki server NAME: ROLLOVER.md §3 ---- */

static struct pkid_server_config *cur_server(struct parser *p)
{
	return &p->cfg->servers[p->cur];
}

static int srv_issuer_name(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		snprintf(s->issuer_name, sizeof(s->issuer_name), "CN=%s",
			 s->name);
		return 0;
	}
	return arg_dn(p, c, 0, s->issuer_name);
}

static int srv_hash(struct parser *p, const struct cmdline *c)
{
	static const char *const algs[] = {"sha256", "sha1", "sha384", "sha512",
					   NULL};
	struct pkid_server_config *s = cur_server(p);
	int k;

	if (c->neg) {
		s->hash = PKID_HASH_SHA256;
		return 0;
	}
	k = arg_keyword(p, c, 0, algs);
	if (k < 0 || no_more_args(p, c, 1))
		return -EINVAL;
	s->hash = (enum pkid_hash_alg)k;
	return 0;
}

static int srv_lifetime_ca(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		s->lifetime_ca_cert = 1095LL * PKID_DAY;
		return 0;
	}
	return arg_duration(p, c, 0, 3650, &s->lifetime_ca_cert);
}

static int srv_lifetime_cert(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		s->lifetime_cert = 365LL * PKID_DAY;
		return 0;
	}
	return arg_duration(p, c, 0, 3650, &s->lifetime_cert);
}

static int srv_lifetime_crl(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		s->lifetime_crl = 168LL * PKID_HOUR;
		return 0;
	}
	return arg_hours(p, c, 0, 336, true, &s->lifetime_crl);
}

static int srv_lifetime_er(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		s->lifetime_enrollreq = 168LL * PKID_HOUR;
		return 0;
	}
	return arg_hours(p, c, 0, 1000, false, &s->lifetime_enrollreq);
}

static int srv_auto_rollover(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	s->rollover_window = 30LL * PKID_DAY;
	s->auto_rollover = !c->neg;
	if (c->neg || c->argc == 0)
		return 0;
	return arg_duration(p, c, 0, 3650, &s->rollover_window);
}

/* grant auto | grant none | grant auto trustpoint TP */
static int srv_grant(struct parser *p, const struct cmdline *c)
{
	static const char *const modes[] = {"auto", "none", NULL};
	static const char *const tpkw[] = {"trustpoint", NULL};
	struct pkid_server_config *s = cur_server(p);
	int k;

	if (c->neg) {
		/* "no grant auto trustpoint [TP]" drops only the trustpoint */
		if (c->argc >= 2 && match_word(c->argv[1], tpkw) == 0)
			memset(s->grant_auto_tp, 0, sizeof(s->grant_auto_tp));
		else
			s->grant = PKID_GRANT_MANUAL;
		return 0;
	}
	k = arg_keyword(p, c, 0, modes);
	if (k < 0)
		return -EINVAL;
	if (k == 1 || c->argc == 1) {
		if (no_more_args(p, c, 1))
			return -EINVAL;
		s->grant = k == 0 ? PKID_GRANT_AUTO : PKID_GRANT_NONE;
		return 0;
	}
	if (arg_keyword(p, c, 1, tpkw) < 0 || no_more_args(p, c, 3))
		return -EINVAL;
	return arg_name(p, c, 2, s->grant_auto_tp);
}

static int srv_db_level(struct parser *p, const struct cmdline *c)
{
	static const char *const levels[] = {"minimum", "names", "complete",
					     NULL};
	struct pkid_server_config *s = cur_server(p);
	int k;

	if (c->neg) {
		s->db_level = PKID_DB_LEVEL_MINIMUM;
		return 0;
	}
	k = arg_keyword(p, c, 0, levels);
	if (k < 0 || no_more_args(p, c, 1))
		return -EINVAL;
	s->db_level = (enum pkid_db_level)k;
	return 0;
}

static int srv_db_url(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		memset(s->db_url, 0, sizeof(s->db_url));
		return 0;
	}
	return arg_url(p, c, 0, s->db_url);
}

/* database archive pkcs12|pem [password [0|7] PW] */
static int srv_db_archive(struct parser *p, const struct cmdline *c)
{
	static const char *const fmts[] = {"pkcs12", "pem", NULL};
	static const char *const pwkw[] = {"password", NULL};
	struct pkid_server_config *s = cur_server(p);
	int k;

	memset(s->archive_password, 0, sizeof(s->archive_password));
	s->archive_format = PKID_ARCHIVE_PKCS12;
	if (c->neg)
		return 0;
	k = arg_keyword(p, c, 0, fmts);
	if (k < 0)
		return -EINVAL;
	s->archive_format = (enum pkid_archive_format)k;
	if (c->argc == 1)
		return 0;
	if (arg_keyword(p, c, 1, pwkw) < 0)
		return -EINVAL;
	return arg_password(p, c, 2, s->archive_password);
}

static int srv_cdp_url(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		memset(s->cdp_url, 0, sizeof(s->cdp_url));
		return 0;
	}
	return arg_url(p, c, 0, s->cdp_url);
}

static int srv_shutdown(struct parser *p, const struct cmdline *c)
{
	if (no_more_args(p, c, 0))
		return -EINVAL;
	cur_server(p)->shutdown = !c->neg;
	return 0;
}

static const struct cmd server_cmds[] = {
	{{"issuer-name"}, srv_issuer_name},
	{{"hash"}, srv_hash},
	{{"lifetime", "ca-certificate"}, srv_lifetime_ca},
	{{"lifetime", "certificate"}, srv_lifetime_cert},
	{{"lifetime", "crl"}, srv_lifetime_crl},
	{{"lifetime", "enrollment-request"}, srv_lifetime_er},
	{{"auto-rollover"}, srv_auto_rollover},
	{{"grant"}, srv_grant},
	{{"database", "level"}, srv_db_level},
	{{"database", "url"}, srv_db_url},
	{{"database", "archive"}, srv_db_archive},
	{{"cdp-url"}, srv_cdp_url},
	{{"shutdown"}, srv_shutdown},
	{{NULL}},
};

/* ---- crypto pki trustpoint TP: ROLLOVER.md §4 ---- */

static struct pkid_trustpoint_config *cur_tp(struct parser *p)
{
	return &p->cfg->trustpoints[p->cur];
}

static int tp_enroll_url(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	if (c->neg) {
		memset(t->enrollment_url, 0, sizeof(t->enrollment_url));
		return 0;
	}
	return arg_url(p, c, 0, t->enrollment_url);
}

static int tp_retry_count(struct parser *p, const struct cmdline *c)
{
	unsigned long v = 999;

	if (!c->neg &&
	    (arg_uint(p, c, 0, "polls", 1, 1000, &v) || no_more_args(p, c, 1)))
		return -EINVAL;
	cur_tp(p)->retry_count = v;
	return 0;
}

static int tp_retry_period(struct parser *p, const struct cmdline *c)
{
	unsigned long v = 1;

	if (!c->neg &&
	    (arg_uint(p, c, 0, "minutes", 1, 60, &v) || no_more_args(p, c, 1)))
		return -EINVAL;
	cur_tp(p)->retry_period_min = v;
	return 0;
}

static int tp_retry_max_period(struct parser *p, const struct cmdline *c)
{
	unsigned long v = 60;

	if (!c->neg && (arg_uint(p, c, 0, "minutes", 1, 10080, &v) ||
			no_more_args(p, c, 1)))
		return -EINVAL;
	cur_tp(p)->retry_max_period_min = v;
	return 0;
}

static int tp_subject_name(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	if (c->neg) {
		memset(t->subject_name, 0, sizeof(t->subject_name));
		return 0;
	}
	return arg_dn(p, c, 0, t->subject_name);
}

static int tp_serial_number(struct parser *p, const struct cmdline *c)
{
	static const char *const none[] = {"none", NULL};
	struct pkid_trustpoint_config *t = cur_tp(p);

	if (c->neg) {
		t->serial_number = PKID_UNSET;
		return 0;
	}
	if (c->argc == 0) {
		t->serial_number = PKID_SET;
		return 0;
	}
	if (arg_keyword(p, c, 0, none) < 0 || no_more_args(p, c, 1))
		return -EINVAL;
	t->serial_number = PKID_SET_NONE;
	return 0;
}

static int tp_ip_address(struct parser *p, const struct cmdline *c)
{
	static const char *const none[] = {"none", NULL};
	struct pkid_trustpoint_config *t = cur_tp(p);
	unsigned char buf[16];

	memset(t->ip_address_value, 0, sizeof(t->ip_address_value));
	t->ip_address = PKID_UNSET;
	if (c->neg)
		return 0;
	if (c->argc != 1) {
		perr(p, "'%s': expected an IP address or none", c->name);
		return -EINVAL;
	}
	if (match_word(c->argv[0], none) == 0) {
		t->ip_address = PKID_SET_NONE;
		return 0;
	}
	if (inet_pton(AF_INET, c->argv[0], buf) != 1 &&
	    inet_pton(AF_INET6, c->argv[0], buf) != 1) {
		perr(p, "'%s': expected an IP address or none, got '%s'",
		     c->name, c->argv[0]);
		return -EINVAL;
	}
	t->ip_address = PKID_SET;
	return copy_str(p, c, t->ip_address_value, sizeof(t->ip_address_value),
			c->argv[0]);
}

static int tp_san(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	const char *v;

	memset(t->subject_alt_name, 0, sizeof(t->subject_alt_name));
	if (c->neg)
		return 0;
	v = arg_rest(p, c, 0, "a name");
	if (!v)
		return -EINVAL;
	return copy_str(p, c, t->subject_alt_name, sizeof(t->subject_alt_name),
			v);
}

static int tp_password(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->password, 0, sizeof(t->password));
	if (c->neg)
		return 0;
	return arg_password(p, c, 0, t->password);
}

static int tp_rsakeypair(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	unsigned long bits = 2048;

	snprintf(t->rsakeypair, sizeof(t->rsakeypair), "%s", t->name);
	t->rsa_bits = 2048;
	if (c->neg)
		return 0;
	if (arg_name(p, c, 0, t->rsakeypair) || no_more_args(p, c, 2))
		return -EINVAL;
	if (c->argc == 2 &&
	    (parse_uint(c->argv[1], 2048, 4096, &bits) || bits % 1024)) {
		perr(p, "'%s': expected key size 2048, 3072 or 4096, got '%s'",
		     c->name, c->argv[1]);
		return -EINVAL;
	}
	t->rsa_bits = bits;
	return 0;
}

/* auto-enroll [PCT] [regenerate] */
static int tp_auto_enroll(struct parser *p, const struct cmdline *c)
{
	static const char *const regen[] = {"regenerate", NULL};
	struct pkid_trustpoint_config *t = cur_tp(p);
	unsigned long pct = 100;
	int i = 0;

	t->auto_enroll = !c->neg;
	t->auto_enroll_pct = 100;
	t->auto_enroll_regenerate = false;
	if (c->neg)
		return 0;
	if (i < c->argc && isdigit((unsigned char)c->argv[i][0])) {
		if (arg_uint(p, c, i, "percent", 1, 100, &pct))
			return -EINVAL;
		i++;
	}
	if (i < c->argc) {
		if (arg_keyword(p, c, i, regen) < 0)
			return -EINVAL;
		t->auto_enroll_regenerate = true;
		i++;
	}
	if (no_more_args(p, c, i))
		return -EINVAL;
	t->auto_enroll_pct = pct;
	return 0;
}

static int tp_revocation_check(struct parser *p, const struct cmdline *c)
{
	static const char *const how[] = {"crl", "none", NULL};
	struct pkid_trustpoint_config *t = cur_tp(p);
	int k;

	if (c->neg) {
		t->revocation_check = PKID_REVCHECK_CRL;
		return 0;
	}
	k = arg_keyword(p, c, 0, how);
	if (k < 0 || no_more_args(p, c, 1))
		return -EINVAL;
	t->revocation_check = (enum pkid_revocation_check)k;
	return 0;
}

/* Hex digits, ':' or ' ' separators allowed; MD5/SHA-1/SHA-2 lengths. */
static int tp_fingerprint(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	char hex[PKID_CONF_FP_MAX] = {0};
	const char *s;
	size_t n = 0;

	memset(t->fingerprint, 0, sizeof(t->fingerprint));
	if (c->neg)
		return 0;
	if (!(s = arg_rest(p, c, 0, "a fingerprint (hex)")))
		return -EINVAL;
	for (; *s; s++) {
		if (*s == ':' || *s == ' ' || *s == '\t')
			continue;
		if (!isxdigit((unsigned char)*s) || n + 1 >= sizeof(hex)) {
			perr(p, "'%s': '%s' is not a hex fingerprint", c->name,
			     c->rest[0]);
			return -EINVAL;
		}
		hex[n++] = (char)toupper((unsigned char)*s);
	}
	if (n != 32 && n != 40 && n != 56 && n != 64 && n != 96 && n != 128) {
		perr(p,
		     "'%s': a fingerprint has 32, 40, 64, 96 or 128 hex "
		     "digits, "
		     "got %zu",
		     c->name, n);
		return -EINVAL;
	}
	memcpy(t->fingerprint, hex, n);
	return 0;
}

static int tp_export(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->export_path, 0, sizeof(t->export_path));
	return c->neg ? 0 : arg_path(p, c, 0, t->export_path);
}

static int tp_export_shadow(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->export_shadow_path, 0, sizeof(t->export_shadow_path));
	return c->neg ? 0 : arg_path(p, c, 0, t->export_shadow_path);
}

static int tp_on_change(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	const char *cmd;

	memset(t->on_change, 0, sizeof(t->on_change));
	if (c->neg)
		return 0;
	if (!(cmd = arg_rest(p, c, 0, "a command")))
		return -EINVAL;
	return copy_str(p, c, t->on_change, sizeof(t->on_change), cmd);
}

static const struct cmd trustpoint_cmds[] = {
	{{"enrollment", "url"}, tp_enroll_url},
	{{"enrollment", "retry", "count"}, tp_retry_count},
	{{"enrollment", "retry", "period"}, tp_retry_period},
	{{"enrollment", "retry", "max-period"}, tp_retry_max_period},
	{{"subject-name"}, tp_subject_name},
	{{"serial-number"}, tp_serial_number},
	{{"ip-address"}, tp_ip_address},
	{{"subject-alt-name"}, tp_san},
	{{"password"}, tp_password},
	{{"rsakeypair"}, tp_rsakeypair},
	{{"auto-enroll"}, tp_auto_enroll},
	{{"revocation-check"}, tp_revocation_check},
	{{"fingerprint"}, tp_fingerprint},
	{{"certificate", "export"}, tp_export},
	{{"certificate", "export-shadow"}, tp_export_shadow},
	{{"on-change"}, tp_on_change},
	{{NULL}},
};

/* ---- global commands ---- */

static int gl_hostname(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;

	memset(cfg->hostname, 0, sizeof(cfg->hostname));
	if (c->neg)
		return 0;
	if (no_more_args(p, c, 1))
		return -EINVAL;
	return arg_name(p, c, 0, cfg->hostname);
}

static int gl_calendar_valid(struct parser *p, const struct cmdline *c)
{
	if (no_more_args(p, c, 0))
		return -EINVAL;
	p->cfg->clock_calendar_valid = !c->neg;
	return 0;
}

static int gl_http_server(struct parser *p, const struct cmdline *c)
{
	unsigned long port = 80;

	if (!c->neg && c->argc &&
	    (arg_uint(p, c, 0, "port", 1, 65535, &port) ||
	     no_more_args(p, c, 1)))
		return -EINVAL;
	p->cfg->http_enabled = !c->neg;
	p->cfg->http_port = port;
	return 0;
}

/* ip http rate-limit RATE BURST [interface IF...] */
static int gl_rate_limit(struct parser *p, const struct cmdline *c)
{
	static const char *const ifkw[] = {"interface", NULL};
	struct pkid_config *cfg = p->cfg;
	unsigned long rate, burst;
	int n;

	free(cfg->rate_ifaces);
	cfg->rate_ifaces = NULL;
	cfg->n_rate_ifaces = 0;
	cfg->rate_limit = cfg->rate_burst = 0;
	if (c->neg)
		return 0;
	if (arg_uint(p, c, 0, "requests per second", 1, 1000000, &rate) ||
	    arg_uint(p, c, 1, "burst", 1, 1000000, &burst))
		return -EINVAL;
	if (c->argc > 2) {
		if (arg_keyword(p, c, 2, ifkw) < 0)
			return -EINVAL;
		n = c->argc - 3;
		if (n == 0) {
			perr(p, "'%s': expected interface names", c->name);
			return -EINVAL;
		}
		cfg->rate_ifaces = calloc(n, sizeof(*cfg->rate_ifaces));
		if (!cfg->rate_ifaces)
			return -ENOMEM;
		for (int i = 0; i < n; i++)
			if (copy_str(p, c, cfg->rate_ifaces[i],
				     PKID_CONF_IF_MAX, c->argv[3 + i]))
				return -EINVAL;
		cfg->n_rate_ifaces = n;
	}
	cfg->rate_limit = rate;
	cfg->rate_burst = burst;
	return 0;
}

static int parse_prefix(const char *s, struct pkid_prefix *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len, max;

	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = 0;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	max = out->family == AF_INET ? 32 : 128;
	len = max;
	if (slash && parse_uint(slash + 1, 0, max, &len))
		return -EINVAL;
	out->len = len;
	/* clear host bits so that equal prefixes compare equal */
	for (unsigned int bit = len; bit < max; bit++)
		out->addr[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
	return 0;
}

/* ip http rate-limit allow PREFIX (repeatable; "no" form removes one) */
static int gl_rate_allow(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;
	struct pkid_prefix pfx, *n;

	if (c->argc != 1 || parse_prefix(c->argv[0], &pfx)) {
		perr(p,
		     "'%s': expected one address prefix (A.B.C.D/N or "
		     "X:X::X/N)%s%s%s",
		     c->name, c->argc ? ", got '" : "",
		     c->argc ? c->rest[0] : "", c->argc ? "'" : "");
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->n_rate_allow; i++) {
		if (memcmp(&cfg->rate_allow[i], &pfx, sizeof(pfx)))
			continue;
		if (c->neg)
			cfg->rate_allow[i] =
				cfg->rate_allow[--cfg->n_rate_allow];
		return 0;
	}
	if (c->neg)
		return 0;
	n = realloc(cfg->rate_allow, (cfg->n_rate_allow + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->rate_allow = n;
	n[cfg->n_rate_allow++] = pfx;
	return 0;
}

static int gl_control_socket(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;

	if (c->neg) {
		snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
			 PKID_CTL_SOCKET_DEFAULT);
		return 0;
	}
	if (arg_path(p, c, 0, cfg->control_socket))
		return -EINVAL;
	/* sockaddr_un.sun_path: 108 bytes with the NUL */
	if (strlen(cfg->control_socket) > 107) {
		perr(p, "'%s': a Unix socket path has at most 107 characters",
		     c->name);
		return -EINVAL;
	}
	return 0;
}

/* Open a block, or re-enter it as IOS does; "no" deletes it. */
static int gl_server(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;
	char name[PKID_CONF_NAME_MAX];
	struct pkid_server_config *n;
	size_t i;

	if (arg_name(p, c, 0, name) || no_more_args(p, c, 1))
		return -EINVAL;
	for (i = 0; i < cfg->n_servers; i++)
		if (!strcmp(cfg->servers[i].name, name))
			break;
	if (c->neg) {
		if (i < cfg->n_servers)
			memmove(&cfg->servers[i], &cfg->servers[i + 1],
				(--cfg->n_servers - i) * sizeof(*n));
		return 0;
	}
	if (i == cfg->n_servers) {
		n = realloc(cfg->servers, (i + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		cfg->servers = n;
		server_defaults(&n[i], name);
		n[i].line = p->line;
		cfg->n_servers++;
	}
	p->ctx = CTX_SERVER;
	p->cur = i;
	return 0;
}

static int gl_trustpoint(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;
	char name[PKID_CONF_NAME_MAX];
	struct pkid_trustpoint_config *n;
	size_t i;

	if (arg_name(p, c, 0, name) || no_more_args(p, c, 1))
		return -EINVAL;
	for (i = 0; i < cfg->n_trustpoints; i++)
		if (!strcmp(cfg->trustpoints[i].name, name))
			break;
	if (c->neg) {
		if (i < cfg->n_trustpoints)
			memmove(&cfg->trustpoints[i], &cfg->trustpoints[i + 1],
				(--cfg->n_trustpoints - i) * sizeof(*n));
		return 0;
	}
	if (i == cfg->n_trustpoints) {
		n = realloc(cfg->trustpoints, (i + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		cfg->trustpoints = n;
		tp_defaults(&n[i], name);
		n[i].line = p->line;
		cfg->n_trustpoints++;
	}
	p->ctx = CTX_TRUSTPOINT;
	p->cur = i;
	return 0;
}

static int gl_end(struct parser *p, const struct cmdline *c)
{
	return no_more_args(p, c, 0);
}

static const struct cmd global_cmds[] = {
	{{"hostname"}, gl_hostname},
	{{"clock", "calendar-valid"}, gl_calendar_valid},
	{{"ip", "http", "server"}, gl_http_server},
	{{"ip", "http", "rate-limit"}, gl_rate_limit},
	{{"ip", "http", "rate-limit", "allow"}, gl_rate_allow},
	{{"control-socket"}, gl_control_socket},
	{{"crypto", "pki", "server"}, gl_server},
	{{"crypto", "pki", "trustpoint"}, gl_trustpoint},
	{{"end"}, gl_end},
	{{NULL}},
};

/* ---- matching a line against a command table ---- */

static void cmd_name(const struct cmd *e, int n, bool neg, char *buf,
		     size_t size)
{
	size_t len = snprintf(buf, size, "%s", neg ? "no " : "");

	for (int i = 0; i < n && e->words[i] && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? " " : "",
				e->words[i]);
}

/* Distinct keywords at position i among live entries (prefix of w). */
static int keywords_at(const struct cmd *table, const bool *alive, int i,
		       const char *w, const char **out, int max)
{
	int n = 0;

	for (int e = 0; table[e].words[0]; e++) {
		const char *k = table[e].words[i];
		bool dup = false;

		if (!alive[e] || !k || (w && strncmp(k, w, strlen(w))))
			continue;
		for (int j = 0; j < n; j++)
			dup |= !strcmp(out[j], k);
		if (!dup && n < max)
			out[n++] = k;
	}
	return n;
}

static void list_words(const char **w, int n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
				w[i]);
}

static const char *ctx_name(struct parser *p)
{
	switch (p->ctx) {
	case CTX_SERVER:
		return "crypto pki server";
	case CTX_TRUSTPOINT:
		return "crypto pki trustpoint";
	default:
		return "global configuration";
	}
}

/*
 * Walk the keywords: at each position keep the entries whose keyword the
 * word abbreviates.  An entry whose keywords are used up takes the rest of
 * the line as arguments, unless a longer entry's keyword matches.
 */
static const struct cmd *find_cmd(struct parser *p, const struct cmd *table,
				  char **tok, int ntok, int *used)
{
	bool alive[32];
	const char *words[32];
	char list[512];
	int n, e;

	for (e = 0; table[e].words[0]; e++)
		alive[e] = true;
	for (int i = 0;; i++) {
		const struct cmd *ended = NULL;
		const char *pick = NULL;

		for (e = 0; table[e].words[0]; e++)
			if (alive[e] && !table[e].words[i])
				ended = &table[e];
		if (i >= ntok) {
			if (ended) {
				*used = i;
				return ended;
			}
			n = keywords_at(table, alive, i, NULL, words, 32);
			list_words(words, n, list, sizeof(list));
			perr(p, "'%s': incomplete command, expected one of: %s",
			     tok[i - 1], list);
			return NULL;
		}
		n = keywords_at(table, alive, i, tok[i], words, 32);
		for (int j = 0; j < n; j++)
			if (!strcmp(words[j], tok[i]))
				pick = words[j];
		if (!pick && n == 1)
			pick = words[0];
		if (!pick && n > 1) {
			list_words(words, n, list, sizeof(list));
			perr(p, "'%s' is ambiguous (%s)", tok[i], list);
			return NULL;
		}
		if (!pick && ended) {
			*used = i;
			return ended;
		}
		if (!pick) {
			n = keywords_at(table, alive, i, NULL, words, 32);
			list_words(words, n, list, sizeof(list));
			if (i == 0)
				perr(p, "unknown command '%s' in %s", tok[0],
				     ctx_name(p));
			else
				perr(p,
				     "'%s': unknown keyword, expected one of: "
				     "%s",
				     tok[i], list);
			return NULL;
		}
		for (e = 0; table[e].words[0]; e++)
			alive[e] = alive[e] && table[e].words[i] &&
				   !strcmp(table[e].words[i], pick);
	}
}

/* Split at blanks; rest[i] points at word i in the untouched copy. */
static int tokenize(char *work, const char *raw, char **tok, const char **rest)
{
	int n = 0;
	char *s = work;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == TOK_MAX)
			return -E2BIG;
		tok[n] = s;
		rest[n] = raw + (s - work);
		n++;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
}

static const struct cmd *table_of(enum ctx ctx)
{
	switch (ctx) {
	case CTX_SERVER:
		return server_cmds;
	case CTX_TRUSTPOINT:
		return trustpoint_cmds;
	default:
		return global_cmds;
	}
}

/* One non-comment line, trailing blanks removed. */
static void parse_line(struct parser *p, const char *raw, bool indented)
{
	char work[LINE_MAX_LEN + 1], name[256];
	char *tok[TOK_MAX];
	const char *rest[TOK_MAX];
	const struct cmd *cmd;
	struct cmdline c = {0};
	int ntok, used, first = 0, rc;
	unsigned int errors = p->errors;

	snprintf(work, sizeof(work), "%s", raw);
	ntok = tokenize(work, raw, tok, rest);
	if (ntok < 0) {
		perr(p, "too many words (at most %d)", TOK_MAX);
		return;
	}
	if (!indented)
		p->ctx = CTX_GLOBAL;
	else if (p->ctx == CTX_SKIP)
		return;
	else if (p->ctx == CTX_GLOBAL) {
		perr(p, "indented line outside a crypto pki server or "
			"trustpoint block");
		return;
	}
	if (!strcmp(tok[0], "no")) {
		c.neg = true;
		first = 1;
		if (ntok == 1) {
			perr(p, "'no': incomplete command");
			return;
		}
	}
	cmd = find_cmd(p, table_of(p->ctx), tok + first, ntok - first, &used);
	if (!cmd)
		goto fail;
	cmd_name(cmd, used, false, name, sizeof(name));
	c.name = name;
	c.argv = tok + first + used;
	c.rest = rest + first + used;
	c.argc = ntok - first - used;
	rc = cmd->fn(p, &c);
	if (rc == -ENOMEM)
		perr(p, "out of memory");
	if (rc == 0 || p->errors > errors)
		return;
	perr(p, "'%s': invalid", name);
fail:
	/* a broken block header: skip its lines instead of piling errors */
	if (!indented)
		p->ctx = CTX_SKIP;
}

/* ---- checks across lines, once the whole file is read ---- */

static void check_server(struct parser *p, const struct pkid_server_config *s)
{
	const struct pkid_config *cfg = p->cfg;

	p->line = s->line;
	if (s->auto_rollover && s->rollover_window >= s->lifetime_ca_cert)
		perr(p,
		     "crypto pki server %s: auto-rollover (%lld min) must be "
		     "shorter than lifetime ca-certificate (%lld min)",
		     s->name, (long long)s->rollover_window / 60,
		     (long long)s->lifetime_ca_cert / 60);
	if (s->grant_auto_tp[0] &&
	    !pkid_config_trustpoint(cfg, s->grant_auto_tp))
		perr(p,
		     "crypto pki server %s: grant auto trustpoint %s: no such "
		     "trustpoint",
		     s->name, s->grant_auto_tp);
}

static void check_trustpoint(struct parser *p,
			     const struct pkid_trustpoint_config *t)
{
	p->line = t->line;
	if (t->retry_max_period_min < t->retry_period_min)
		perr(p,
		     "crypto pki trustpoint %s: enrollment retry max-period "
		     "(%u) is below enrollment retry period (%u)",
		     t->name, t->retry_max_period_min, t->retry_period_min);
	/* the CA's key is named after the server: a client must not use it */
	if (pkid_config_server(p->cfg, t->rsakeypair))
		perr(p,
		     "crypto pki trustpoint %s: rsakeypair %s is the key of "
		     "crypto pki server %s",
		     t->name, t->rsakeypair, t->rsakeypair);
}

/* ---- entry points ---- */

static void parse_text(struct parser *p, const char *text, size_t len)
{
	const char *s = text, *end = text + len;
	char line[LINE_MAX_LEN + 1];

	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		const char *next = nl ? nl + 1 : end;
		size_t n = (nl ? nl : end) - s;
		const char *b;

		p->line++;
		if (memchr(s, 0, n)) {
			perr(p, "the line contains a NUL byte");
		} else if (n > LINE_MAX_LEN) {
			perr(p, "line too long (at most %d characters)",
			     LINE_MAX_LEN);
		} else {
			memcpy(line, s, n);
			while (n && isspace((unsigned char)line[n - 1]))
				n--;
			line[n] = 0;
			for (b = line; *b == ' ' || *b == '\t'; b++)
				;
			if (*b && *b != '!')
				parse_line(p, line, b != line);
		}
		s = next;
	}
	for (size_t i = 0; i < p->cfg->n_servers; i++)
		check_server(p, &p->cfg->servers[i]);
	for (size_t i = 0; i < p->cfg->n_trustpoints; i++)
		check_trustpoint(p, &p->cfg->trustpoints[i]);
}

int pkid_config_parse(const char *name, const char *text, size_t len,
		      struct pkid_config **cfg, pkid_config_report_fn report,
		      void *arg)
{
	struct parser p = {
		.file = name ? name : "pkid.conf",
		.report = report,
		.arg = arg,
		.ctx = CTX_GLOBAL,
	};

	*cfg = NULL;
	p.cfg = pkid_config_new();
	if (!p.cfg)
		return -ENOMEM;
	parse_text(&p, text, len);
	if (p.errors) {
		pkid_config_free(p.cfg);
		return -EINVAL;
	}
	*cfg = p.cfg;
	return 0;
}

static void report_io(const char *path, int err, pkid_config_report_fn report,
		      void *arg)
{
	char msg[PKID_CONF_PATH_MAX + 128];

	snprintf(msg, sizeof(msg), "%s: cannot read: %s", path, strerror(err));
	if (report)
		report(arg, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/* The whole file (regular file, pipe or /dev/stdin), at most FILE_MAX. */
static int read_all(int fd, char **text, size_t *len)
{
	size_t size = 0, got = 0;
	char *buf = NULL, *n;
	ssize_t r;

	for (;;) {
		if (got == size) {
			if (size >= FILE_MAX)
				goto too_big;
			size = size ? size * 2 : 16384;
			n = realloc(buf, size + 1);
			if (!n) {
				free(buf);
				return -ENOMEM;
			}
			buf = n;
		}
		r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return r;
		}
		if (r == 0)
			break;
		got += r;
	}
	buf[got] = 0;
	*text = buf;
	*len = got;
	return 0;
too_big:
	free(buf);
	return -EFBIG;
}

int pkid_config_load(const char *path, struct pkid_config **cfg,
		     pkid_config_report_fn report, void *arg)
{
	char *text = NULL;
	size_t len = 0;
	int fd, rc;

	*cfg = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		report_io(path, -rc, report, arg);
		return rc;
	}
	rc = read_all(fd, &text, &len);
	close(fd);
	if (rc) {
		report_io(path, -rc, report, arg);
		return rc;
	}
	rc = pkid_config_parse(path, text, len, cfg, report, arg);
	explicit_bzero(text, len); /* it holds passwords */
	free(text);
	return rc;
}
