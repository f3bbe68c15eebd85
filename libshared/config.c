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
 * The commands are in config_server.c, config_trustpoint.c and
 * config_global.c, their argument parsers in config_args.c; the printer,
 * equality and diff in config_print.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"

#define FILE_MAX (4 * 1024 * 1024)

void conf_err(struct parser *p, const char *fmt, ...)
{
	char msg[LINE_MAX_LEN + 512];
	int n;
	va_list ap;

	if (p->quiet) {
		p->probe_errors++;
		return;
	}
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

/* ---- defaults ---- */

void conf_server_defaults(struct pkid_server_config *s, const char *name)
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
	s->rollover_cancel_delay = PKID_DAY;
	s->grant = PKID_GRANT_MANUAL;
	s->db_level = PKID_DB_LEVEL_MINIMUM;
	s->archive_format = PKID_ARCHIVE_PKCS12;
	s->shutdown = true;
}

void conf_tp_defaults(struct pkid_trustpoint_config *t, const char *name)
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
	cfg->https_port = 443;
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
			conf_err(
				p,
				"'%s': incomplete command, expected one of: %s",
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
			conf_err(p, "'%s' is ambiguous (%s)", tok[i], list);
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
				conf_err(p, "unknown command '%s' in %s",
					 tok[0], ctx_name(p));
			else
				conf_err(p,
					 "'%s': unknown keyword, expected one "
					 "of: "
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
		return conf_server_cmds;
	case CTX_TRUSTPOINT:
		return conf_trustpoint_cmds;
	default:
		return conf_global_cmds;
	}
}

/* Does the line (after any "no") name a command of table?  No report. */
static bool matches(struct parser *p, const struct cmd *table, char **tok,
		    int ntok)
{
	int used;
	bool found;

	p->quiet = true;
	p->probe_errors = 0;
	found = find_cmd(p, table, tok, ntok, &used) && !p->probe_errors;
	p->quiet = false;
	return found;
}

/*
 * The context of an unindented line.  IOS needs no indentation inside a
 * sub-mode: a line that is not a global command but is one of the open
 * block's stays in the block (the French seed has `auto-rollover 90`
 * unindented under `crypto pki server`).  Anything else leaves the block,
 * and a line that is neither is reported as an unknown global command.
 */
static enum ctx unindented_ctx(struct parser *p, char **tok, int ntok)
{
	if (p->ctx != CTX_SERVER && p->ctx != CTX_TRUSTPOINT)
		return CTX_GLOBAL;
	if (matches(p, conf_global_cmds, tok, ntok))
		return CTX_GLOBAL;
	return matches(p, table_of(p->ctx), tok, ntok) ? p->ctx : CTX_GLOBAL;
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
	enum ctx in;

	snprintf(work, sizeof(work), "%s", raw);
	ntok = tokenize(work, raw, tok, rest);
	if (ntok < 0) {
		conf_err(p, "too many words (at most %d)", TOK_MAX);
		return;
	}
	if (!indented) {
		bool neg = ntok > 1 && !strcmp(tok[0], "no");

		p->ctx = unindented_ctx(p, tok + neg, ntok - neg);
	} else if (p->ctx == CTX_SKIP)
		return;
	else if (p->ctx == CTX_GLOBAL) {
		conf_err(p, "indented line outside a crypto pki server or "
			    "trustpoint block");
		return;
	}
	in = p->ctx;
	if (!strcmp(tok[0], "no")) {
		c.neg = true;
		first = 1;
		if (ntok == 1) {
			conf_err(p, "'no': incomplete command");
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
		conf_err(p, "out of memory");
	if (rc == 0 || p->errors > errors)
		return;
	conf_err(p, "'%s': invalid", name);
fail:
	/* a broken block header: skip its lines instead of piling errors */
	if (!indented && in == CTX_GLOBAL)
		p->ctx = CTX_SKIP;
}

/* ---- checks across lines, once the whole file is read ---- */

/* mode sub-cs and mode ra enroll through the trustpoint of the server's
 * name: the parent CA (sub-cs) or the upstream CA (ra). */
static void check_sub_cs(struct parser *p, const struct pkid_server_config *s)
{
	const struct pkid_trustpoint_config *t;
	const char *m = pkid_server_mode_name(s->mode);

	if (s->mode != PKID_MODE_SUB_CS && s->mode != PKID_MODE_RA)
		return;
	t = pkid_config_trustpoint(p->cfg, s->name);
	if (!t)
		conf_err(p,
			 "crypto pki server %s: mode %s needs crypto pki "
			 "trustpoint %s (its enrollment url is the %s CA)",
			 s->name, m, s->name,
			 s->mode == PKID_MODE_RA ? "upstream" : "parent");
	else if (!t->enrollment_url[0] &&
		 (s->mode == PKID_MODE_RA || !t->enrollment_terminal))
		/* an RA forwards over the network; a sub-cs may live with
		 * an offline parent (enrollment terminal) */
		conf_err(p,
			 "crypto pki server %s: mode %s: trustpoint %s has "
			 "no enrollment url%s",
			 s->name, m, s->name,
			 s->mode == PKID_MODE_RA ? "" : " (nor enrollment terminal)");
	else if (strcmp(t->rsakeypair, s->name))
		conf_err(p,
			 "crypto pki server %s: mode %s: trustpoint %s's "
			 "rsakeypair must be the server's key %s",
			 s->name, m, s->name, s->name);
	else if (t->auto_enroll_regenerate)
		conf_err(p,
			 "crypto pki server %s: mode %s: trustpoint %s "
			 "renews the server's key itself: auto-enroll "
			 "regenerate (a new key) is not served yet",
			 s->name, m, s->name);
	/* An RA has no CA key: nothing of its own to roll over, no OCSP
	 * responder or TLS certificate to issue */
	if (s->mode == PKID_MODE_RA && (s->auto_rollover || s->ocsp_url[0] ||
					s->est))
		conf_err(p,
			 "crypto pki server %s: mode ra: %s needs a CA key "
			 "(the upstream CA's business)",
			 s->name,
			 s->auto_rollover ? "auto-rollover"
			 : s->ocsp_url[0] ? "ocsp-url"
					  : "est");
}

/*
 * An ECDSA CA key signs; it cannot decrypt.  SCEP's request envelope is
 * RSA key transport to the CA/RA certificate (RFC 8894 §3.1), so the RA
 * must stay RSA.  A sub-cs's ECDSA key is enrolled through the trustpoint
 * of its name like an EC trustpoint's: the parent's CertRep to it is ECDH,
 * which the key derives (usage sign + derive).
 */
static void check_ec_server(struct parser *p,
			    const struct pkid_server_config *s)
{
	if (!s->ec_bits)
		return;
	p->line = s->ec_line;
	if (s->ra_mode == PKID_RA_NONE)
		conf_err(p,
			 "crypto pki server %s: eckeypair needs the RA "
			 "(ra-certificate auto): in single-key mode the CA key "
			 "decrypts SCEP's envelope, which is RSA key transport, "
			 "and an ECDSA key cannot",
			 s->name);
	p->line = s->line;
}

static void check_server(struct parser *p, const struct pkid_server_config *s)
{
	const struct pkid_config *cfg = p->cfg;

	p->line = s->line;
	if (s->auto_rollover && s->rollover_window >= s->lifetime_ca_cert)
		conf_err(p,
			 "crypto pki server %s: auto-rollover (%lld min) must "
			 "be "
			 "shorter than lifetime ca-certificate (%lld min)",
			 s->name, (long long)s->rollover_window / 60,
			 (long long)s->lifetime_ca_cert / 60);
	if (s->grant_auto_tp[0] &&
	    !pkid_config_trustpoint(cfg, s->grant_auto_tp))
		conf_err(p,
			 "crypto pki server %s: grant auto trustpoint %s: no "
			 "such "
			 "trustpoint",
			 s->name, s->grant_auto_tp);
	/* A responder certificate is renewed at the CRL update that finds
	 * less than two CRL lifetimes left: it must outlast two. */
	if (s->lifetime_ocsp && s->lifetime_ocsp < 2 * s->lifetime_crl)
		conf_err(p,
			 "crypto pki server %s: lifetime ocsp-responder (%lld "
			 "min) must be at least twice lifetime crl (%lld min)",
			 s->name, (long long)s->lifetime_ocsp / 60,
			 (long long)s->lifetime_crl / 60);
	check_sub_cs(p, s);
	check_ec_server(p, s);
}

static void check_trustpoint(struct parser *p,
			     const struct pkid_trustpoint_config *t)
{
	const struct pkid_server_config *srv;

	p->line = t->line;
	if (t->retry_max_period_min < t->retry_period_min)
		conf_err(
			p,
			"crypto pki trustpoint %s: enrollment retry max-period "
			"(%u) is below enrollment retry period (%u)",
			t->name, t->retry_max_period_min, t->retry_period_min);
	/* the CA's key is named after the server: a client must not use it,
	 * except a sub-cs's or an RA's own trustpoint, which enrolls that
	 * key (IOS) */
	srv = pkid_config_server(p->cfg, t->rsakeypair);
	if (srv && !((srv->mode == PKID_MODE_SUB_CS || srv->mode == PKID_MODE_RA) &&
		     !strcmp(srv->name, t->name)))
		conf_err(
			p,
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
			conf_err(p, "the line contains a NUL byte");
		} else if (n > LINE_MAX_LEN) {
			conf_err(p, "line too long (at most %d characters)",
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
