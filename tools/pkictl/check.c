// SPDX-License-Identifier: MIT
/*
 * pkictl check [-c FILE] [--caps FILE] [--ca-lifetime DAYS]
 *              [--cert-lifetime DAYS] [--auto-rollover DAYS|none]
 *
 * Reads a pkid.conf and reports the timer-dependency mistakes of
 * ROLLOVER.md §5 (rules in check_rules.c, ids in check.h).  The file needs
 * no running daemon or keystore: an operator runs it before a reload.
 *
 * The CA's timers come from the file's `crypto pki server` when there is
 * exactly one: every trustpoint of the file is taken to enroll with it
 * (the loopback lab; a trustpoint named like the server is the CA's own
 * and skipped).  A client-only file -- the place for a trustpoint that
 * enrolls with another CA -- is checked against that CA's timers given as
 * options, IOS defaults where not given (1095 d, 365 d, auto-rollover
 * 30 d), and against its GetCACaps reply saved to a file (--caps).
 *
 * A `mode sub-cs` server's own lifetime is its parent's `lifetime
 * certificate`, which the file does not hold: --parent-lifetime DAYS
 * (default 365), --parent-ca-lifetime DAYS (the parent's lifetime
 * ca-certificate, default 1095) and --parent-grant HOURS (how long the
 * parent's operator takes to grant a CA request: manual grant, an
 * offline root; default 0) describe it (check_rules_sub).
 *
 * Exit status: 0 no finding, 4 findings, 1 usage error, 2 the file or the
 * caps could not be read or parsed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "pkictl.h"

#define CHECK_EXIT_FINDINGS 4
#define CAPS_SIZE_MAX	    65536
#define CHECK_RETRY_SHOWN   16 /* waits of the retry schedule in --json */

struct check_opts {
	const char *conf;
	const char *caps;
	int64_t ca_life, cert_life, window; /* -1: not given */
	bool no_rollover;
	int64_t parent_life, parent_ca_life, parent_grant; /* -1: not given */
};

/* ---- options ---------------------------------------------------------- */

static int parse_days(const char *opt, const char *s, int64_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 36500)
		return pkictl_usage("%s: %s is not a number of days (1-36500)",
				    opt, s);
	*out = (int64_t)v * PKID_DAY;
	return 0;
}

static int parse_hours(const char *opt, const char *s, int64_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 876000)
		return pkictl_usage("%s: %s is not a number of hours (0-876000)",
				    opt, s);
	*out = (int64_t)v * PKID_HOUR;
	return 0;
}

static int take_value(int argc, char **argv, int *i, const char **val)
{
	if (*i + 1 >= argc)
		return pkictl_usage("check %s needs a value", argv[*i]);
	*val = argv[++*i];
	return 0;
}

static int check_parse_opts(struct check_opts *o, int argc, char **argv)
{
	const char *v = NULL;
	int i, ret = 0;

	for (i = 0; i < argc && !ret; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-c") || !strcmp(a, "--config"))
			ret = take_value(argc, argv, &i, &o->conf);
		else if (!strcmp(a, "--caps"))
			ret = take_value(argc, argv, &i, &o->caps);
		else if (!strcmp(a, "--ca-lifetime"))
			ret = take_value(argc, argv, &i, &v)
				      ?: parse_days(a, v, &o->ca_life);
		else if (!strcmp(a, "--cert-lifetime"))
			ret = take_value(argc, argv, &i, &v)
				      ?: parse_days(a, v, &o->cert_life);
		else if (!strcmp(a, "--auto-rollover")) {
			ret = take_value(argc, argv, &i, &v);
			if (!ret && !strcmp(v, "none"))
				o->no_rollover = true;
			else if (!ret)
				ret = parse_days(a, v, &o->window);
		} else if (!strcmp(a, "--parent-lifetime"))
			ret = take_value(argc, argv, &i, &v)
				      ?: parse_days(a, v, &o->parent_life);
		else if (!strcmp(a, "--parent-ca-lifetime"))
			ret = take_value(argc, argv, &i, &v)
				      ?: parse_days(a, v, &o->parent_ca_life);
		else if (!strcmp(a, "--parent-grant"))
			ret = take_value(argc, argv, &i, &v)
				      ?: parse_hours(a, v, &o->parent_grant);
		else
			ret = pkictl_usage("check: unknown argument `%s`", a);
	}
	return ret;
}

/* ---- inputs ----------------------------------------------------------- */

static bool caps_line_is(const char *line, size_t len, const char *cap)
{
	return strlen(cap) == len && !strncasecmp(line, cap, len);
}

/* One capability a line (RFC 8894 §3.5.2); case-insensitive. */
static int caps_parse(const char *path, const char *text, size_t len,
		      struct check_caps *caps)
{
	const char *s = text, *end = text + len, *nl;
	size_t i, n;

	for (i = 0; i < len; i++)
		if (!isprint((unsigned char)text[i]) &&
		    !isspace((unsigned char)text[i])) {
			fprintf(stderr,
				"pkictl: %s: not a GetCACaps reply (binary "
				"data at byte %zu)\n",
				path, i);
			return -EINVAL;
		}
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		while (s < nl && isspace((unsigned char)*s))
			s++;
		for (n = nl - s; n && isspace((unsigned char)s[n - 1]); n--)
			;
		if (caps_line_is(s, n, "GetNextCACert"))
			caps->next_ca_cert = true;
		if (caps_line_is(s, n, "SHA-256") ||
		    caps_line_is(s, n, "SHA-512"))
			caps->sha2 = true;
	}
	caps->known = true;
	return 0;
}

static int caps_load(const char *path, struct check_caps *caps)
{
	char *buf = malloc(CAPS_SIZE_MAX + 1);
	FILE *f = NULL;
	size_t len;
	int ret = -ENOMEM;

	if (!buf)
		goto out;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		fprintf(stderr, "pkictl: %s: %s\n", path, strerror(errno));
		goto out;
	}
	len = fread(buf, 1, CAPS_SIZE_MAX + 1, f);
	ret = -EINVAL;
	if (len == 0 || len > CAPS_SIZE_MAX) {
		fprintf(stderr, "pkictl: %s: %s\n", path,
			len ? "larger than 64 KiB, not a GetCACaps reply"
			    : "empty");
		goto out;
	}
	ret = caps_parse(path, buf, len, caps);
out:
	if (f)
		fclose(f);
	free(buf);
	return ret;
}

/* The CA's timers from its server block. */
static void ca_from_server(struct check_ca *ca,
			   const struct pkid_server_config *s)
{
	snprintf(ca->name, sizeof(ca->name), "server %s", s->name);
	ca->ca_life = s->lifetime_ca_cert;
	ca->cert_life = s->lifetime_cert;
	ca->crl_life = s->lifetime_crl;
	ca->request_life = s->lifetime_enrollreq;
	ca->rollover = s->auto_rollover;
	ca->window = s->rollover_window;
}

/* A client-only file: the options, else IOS defaults (ROLLOVER.md §3). */
static void ca_from_opts(struct check_ca *ca, const struct check_opts *o)
{
	snprintf(ca->name, sizeof(ca->name), "CA");
	ca->assumed = true;
	ca->ca_life = o->ca_life > 0 ? o->ca_life : 1095LL * PKID_DAY;
	ca->cert_life = o->cert_life > 0 ? o->cert_life : 365LL * PKID_DAY;
	ca->rollover = !o->no_rollover;
	ca->window = o->window > 0 ? o->window : 30LL * PKID_DAY;
}

/* A sub-cs's parent: the options, else IOS defaults; the sub's life is
 * the parent's lifetime certificate, truncated at the parent's end. */
static void parent_from_opts(struct check_parent *p,
			     const struct check_opts *o)
{
	p->assumed = o->parent_life < 0 && o->parent_ca_life < 0 &&
		     o->parent_grant < 0;
	p->life = o->parent_life > 0 ? o->parent_life : 365LL * PKID_DAY;
	p->ca_life = o->parent_ca_life > 0 ? o->parent_ca_life
					   : 1095LL * PKID_DAY;
	p->grant = o->parent_grant > 0 ? o->parent_grant : 0;
}

static void sub_life(struct check_ca *ca, const struct check_parent *p)
{
	ca->ca_life = p->life < p->ca_life ? p->life : p->ca_life;
}

/* ---- output ----------------------------------------------------------- */

static const char *sev_name(enum check_severity s)
{
	return s == CHECK_ERROR ? "error" : "warning";
}

static size_t count_sev(const struct check_report *r, enum check_severity s)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].severity == s;
	return n;
}

static void print_ca_text(const struct check_ca *ca)
{
	char a[32], b[32], c[32];

	check_fmt_duration(a, sizeof(a), ca->ca_life);
	check_fmt_duration(b, sizeof(b), ca->cert_life);
	check_fmt_duration(c, sizeof(c), ca->window);
	printf("CA timers (%s%s): lifetime ca-certificate %s, lifetime "
	       "certificate %s, auto-rollover %s\n",
	       ca->name, ca->assumed ? ", from options or IOS defaults" : "", a,
	       b, ca->rollover ? c : "none");
}

static void print_text(const struct check_opts *o, const struct check_ca *ca,
		       const struct check_report *r)
{
	size_t i;

	print_ca_text(ca);
	for (i = 0; i < r->n; i++)
		printf("%-7s %s (%s)\n        %s\n        fix: %s\n",
		       sev_name(r->v[i].severity), r->v[i].id, r->v[i].object,
		       r->v[i].why, r->v[i].fix);
	if (r->n)
		printf("%s: %zu finding%s (%zu error%s, %zu warning%s)\n",
		       o->conf, r->n, r->n == 1 ? "" : "s",
		       count_sev(r, CHECK_ERROR),
		       count_sev(r, CHECK_ERROR) == 1 ? "" : "s",
		       count_sev(r, CHECK_WARNING),
		       count_sev(r, CHECK_WARNING) == 1 ? "" : "s");
	else
		printf("%s: no timer problems found\n", o->conf);
}

/* The CA's instants, relative to its end or to a signing (schedule.h). */
static void json_ca_schedule(struct jw *w, const struct check_ca *ca)
{
	jw_object_begin(w, "schedule");
	if (ca->rollover)
		jw_int(w, "rollover_lead_s",
		       ca->ca_life -
			       sched_rollover_at(ca->ca_life, ca->window));
	else
		jw_null(w, "rollover_lead_s");
	if (ca->crl_life)
		jw_int(w, "crl_update_after_s",
		       sched_crl_next_update(0, ca->crl_life));
	else
		jw_null(w, "crl_update_after_s");
	jw_object_end(w);
}

/*
 * What the daemon will arm for trustpoint @t, from the same functions:
 * RENEW after an identity issued at the CA's start (null when that one
 * already ends with the CA), SHADOW before the CA's end for the worst
 * case, the SHADOW margin, the first waits of POLL / CONNECT RETRY.
 */
static void json_tp_schedule(struct jw *w, const struct check_ca *ca,
			     const struct pkid_trustpoint_config *t)
{
	struct sched_ca_conf c = check_sched_ca(ca);
	struct sched_tp tp = check_sched_tp(t);
	struct sched_validity id = sched_first_identity(&c);
	struct sched_validity cav = {0, ca->ca_life};
	struct sched_event e = sched_lifecycle(&tp, id, cav, true, false);
	int64_t lead = sched_worst_shadow_lead(&c, &tp);
	unsigned int i;

	jw_object_begin(w, NULL);
	jw_string(w, "name", t->name);
	if (e.kind == SCHED_RENEW)
		jw_int(w, "renew_after_s", e.at - id.not_before);
	else
		jw_null(w, "renew_after_s");
	if (lead)
		jw_int(w, "shadow_lead_s", lead);
	else
		jw_null(w, "shadow_lead_s");
	jw_int(w, "shadow_margin_s", sched_shadow_margin(&tp));
	jw_array_begin(w, "retry_s");
	for (i = 0; i < t->retry_count && i < CHECK_RETRY_SHOWN; i++)
		jw_int(w, NULL, sched_backoff(&tp, i));
	jw_array_end(w);
	jw_object_end(w);
}

static int print_json(const struct check_opts *o, const struct check_ca *ca,
		      const struct pkid_config *cfg,
		      const struct check_report *r)
{
	struct jw w;
	size_t i;

	jw_init(&w, stdout);
	jw_object_begin(&w, NULL);
	jw_string(&w, "config", o->conf);
	if (o->caps)
		jw_string(&w, "caps", o->caps);
	else
		jw_null(&w, "caps");
	jw_object_begin(&w, "ca");
	jw_string(&w, "name", ca->name);
	jw_bool(&w, "assumed", ca->assumed);
	jw_int(&w, "lifetime_ca_certificate_s", ca->ca_life);
	jw_int(&w, "lifetime_certificate_s", ca->cert_life);
	if (ca->rollover)
		jw_int(&w, "auto_rollover_s", ca->window);
	else
		jw_null(&w, "auto_rollover_s");
	json_ca_schedule(&w, ca);
	jw_object_end(&w);
	jw_array_begin(&w, "trustpoints");
	for (i = 0; i < cfg->n_trustpoints; i++)
		if (!pkid_config_server(cfg, cfg->trustpoints[i].name))
			json_tp_schedule(&w, ca, &cfg->trustpoints[i]);
	jw_array_end(&w);
	jw_array_begin(&w, "findings");
	for (i = 0; i < r->n; i++) {
		jw_object_begin(&w, NULL);
		jw_string(&w, "id", r->v[i].id);
		jw_string(&w, "severity", sev_name(r->v[i].severity));
		jw_string(&w, "object", r->v[i].object);
		jw_string(&w, "why", r->v[i].why);
		jw_string(&w, "fix", r->v[i].fix);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_uint(&w, "errors", count_sev(r, CHECK_ERROR));
	jw_uint(&w, "warnings", count_sev(r, CHECK_WARNING));
	jw_object_end(&w);
	return jw_finish(&w);
}

/* ---- the verb --------------------------------------------------------- */

/* Is the (single) server a CA of its own?  An RA (mode ra) has none: its
 * timers are the upstream CA's, from options or IOS defaults. */
static bool has_own_ca(const struct pkid_config *cfg)
{
	return cfg->n_servers == 1 && cfg->servers[0].mode != PKID_MODE_RA;
}

static void run_rules(struct check_report *r, const struct pkid_config *cfg,
		      const struct check_ca *ca, const struct check_caps *caps,
		      const struct check_parent *parent)
{
	struct check_ca other;
	const struct pkid_server_config *s;
	size_t i;

	check_rules_caps(r, caps);
	if (!has_own_ca(cfg))
		check_rules_ca(r, ca, cfg);
	for (i = 0; i < cfg->n_servers; i++) {
		if (cfg->servers[i].mode == PKID_MODE_RA)
			continue;
		ca_from_server(&other, &cfg->servers[i]);
		if (cfg->servers[i].mode == PKID_MODE_SUB_CS) {
			sub_life(&other, parent);
			check_rules_sub(r, &other, parent);
		}
		check_rules_ca(r, &other, cfg);
	}
	for (i = 0; i < cfg->n_trustpoints; i++) {
		const struct pkid_trustpoint_config *t = &cfg->trustpoints[i];

		/* IOS gives the CA a trustpoint of its own name: not a client;
		 * an RA's is a client of the upstream CA */
		s = pkid_config_server(cfg, t->name);
		if (s && s->mode != PKID_MODE_RA)
			continue;
		check_rules_trustpoint(r, t, ca, caps);
	}
}

static int check_run(struct pkictl *ctl, int argc, char **argv)
{
	struct check_opts o = {.conf = PKID_CONF_DEFAULT,
			       .ca_life = -1,
			       .cert_life = -1,
			       .window = -1,
			       .parent_life = -1,
			       .parent_ca_life = -1,
			       .parent_grant = -1};
	struct check_parent parent = {0};
	struct check_report r = {0};
	struct check_caps caps = {0};
	struct pkid_config *cfg = NULL;
	struct check_ca ca = {0};
	int ret;

	ret = check_parse_opts(&o, argc, argv);
	if (ret)
		return ret;
	parent_from_opts(&parent, &o);
	ret = pkid_config_load(o.conf, &cfg, NULL, NULL);
	if (ret == -EINVAL) /* the parser printed FILE:LINE: why */
		return PKICTL_EXIT_FAILED;
	if (ret) {
		fprintf(stderr, "pkictl: %s: %s\n", o.conf, strerror(-ret));
		return PKICTL_EXIT_FAILED;
	}
	ret = PKICTL_EXIT_USAGE;
	if (has_own_ca(cfg) && (o.ca_life > 0 || o.cert_life > 0 ||
				o.window > 0 || o.no_rollover)) {
		pkictl_usage("check: %s has a crypto pki server; its timers "
			     "replace --ca-lifetime/--cert-lifetime/"
			     "--auto-rollover",
			     o.conf);
		goto out;
	}
	ret = PKICTL_EXIT_FAILED;
	if (o.caps && caps_load(o.caps, &caps))
		goto out;
	ret = PKICTL_EXIT_USAGE;
	if (!parent.assumed && (cfg->n_servers != 1 ||
				cfg->servers[0].mode != PKID_MODE_SUB_CS)) {
		pkictl_usage("check: --parent-* describe the parent of a mode "
			     "sub-cs server; %s has none",
			     o.conf);
		goto out;
	}
	ret = PKICTL_EXIT_FAILED;
	if (has_own_ca(cfg))
		ca_from_server(&ca, &cfg->servers[0]);
	else
		ca_from_opts(&ca, &o);
	if (cfg->n_servers == 1 && cfg->servers[0].mode == PKID_MODE_SUB_CS)
		sub_life(&ca, &parent);
	run_rules(&r, cfg, &ca, &caps, &parent);
	if (r.nomem) {
		fprintf(stderr, "pkictl: check: out of memory\n");
		goto out;
	}
	if (ctl->json ? print_json(&o, &ca, cfg, &r)
		      : (print_text(&o, &ca, &r), 0))
		goto out;
	ret = r.n ? CHECK_EXIT_FINDINGS : PKICTL_EXIT_OK;
out:
	free(r.v);
	pkid_config_free(cfg);
	return ret;
}

const struct pkictl_cmd pkictl_check_cmds[] = {
	{"check", NULL,
	 "[-c FILE] [--caps FILE] [--ca-lifetime D] [--cert-lifetime D] "
	 "[--auto-rollover D|none] [--parent-lifetime D] "
	 "[--parent-ca-lifetime D] [--parent-grant H]",
	 "timer mistakes (ROLLOVER.md 5) in a configuration; exit 4: found",
	 check_run},
	{NULL, NULL, NULL, NULL, NULL},
};
