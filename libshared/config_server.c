// SPDX-License-Identifier: MIT
/*
 * crypto pki server NAME: the commands of ROLLOVER.md §3, plus two of
 * ours: `password [0|7] PW` (a static challenge password, as IOS's
 * enrollment password), `ra-certificate auto|none` (RA key and
 * certificate, or IOS single-key mode; daemon/ca/ca.h says why RA is the
 * default) and `rollover cancel-delay` (how long a cancelled rollover
 * stays cancelled under auto-rollover, daemon/ca/ca_rollover.c).  Every handler also takes the "no" form, which restores the
 * default.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_internal.h"

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
	return conf_dn(p, c, 0, s->issuer_name);
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
	k = conf_keyword(p, c, 0, algs);
	if (k < 0 || conf_no_more(p, c, 1))
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
	return conf_duration(p, c, 0, 3650, &s->lifetime_ca_cert);
}

static int srv_lifetime_cert(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		s->lifetime_cert = 365LL * PKID_DAY;
		return 0;
	}
	return conf_duration(p, c, 0, 3650, &s->lifetime_cert);
}

static int srv_lifetime_crl(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		s->lifetime_crl = 168LL * PKID_HOUR;
		return 0;
	}
	return conf_hours(p, c, 0, 336, true, &s->lifetime_crl);
}

/* lifetime ocsp-responder D [H [M]]: a short-lived responder certificate */
static int srv_lifetime_ocsp(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	s->lifetime_ocsp = 0;
	if (c->neg)
		return 0;
	return conf_duration(p, c, 0, 3650, &s->lifetime_ocsp);
}

static int srv_lifetime_er(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		s->lifetime_enrollreq = 168LL * PKID_HOUR;
		return 0;
	}
	return conf_hours(p, c, 0, 1000, false, &s->lifetime_enrollreq);
}

static int srv_auto_rollover(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	s->rollover_window = 30LL * PKID_DAY;
	s->auto_rollover = !c->neg;
	if (c->neg || c->argc == 0)
		return 0;
	return conf_duration(p, c, 0, 3650, &s->rollover_window);
}

/* rollover cancel-delay DAYS [HOURS [MINUTES]] (ours, not IOS) */
static int srv_cancel_delay(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	s->rollover_cancel_delay = PKID_DAY;
	if (c->neg)
		return 0;
	return conf_duration(p, c, 0, 3650, &s->rollover_cancel_delay);
}

/* grant auto rollover ca-cert: only the CA certificate (IOS also has
 * ra-cert, for `mode ra`, not served yet) */
static int srv_grant_rollover(struct parser *p, const struct cmdline *c)
{
	static const char *const what[] = {"ca-cert", NULL};
	static const char *const autokw[] = {"auto", NULL};

	if (conf_keyword(p, c, 0, autokw) < 0 || conf_keyword(p, c, 2, what) < 0 || conf_no_more(p, c, 3))
		return -EINVAL;
	cur_server(p)->grant_rollover_ca = !c->neg;
	return 0;
}

/* grant auto | grant none | grant auto trustpoint TP |
 * grant auto rollover ca-cert | grant ra-auto */
static int srv_grant(struct parser *p, const struct cmdline *c)
{
	static const char *const modes[] = {"auto", "none", "ra-auto", NULL};
	static const char *const sub[] = {"trustpoint", "rollover", NULL};
	struct pkid_server_config *s = cur_server(p);
	int k;

	if (c->argc >= 2 && conf_match_word(c->argv[1], sub) == 1)
		return srv_grant_rollover(p, c);
	if (c->argc >= 1 && conf_match_word(c->argv[0], modes) == 2) {
		/* grant ra-auto: beside the grant mode, not instead of it */
		if (conf_no_more(p, c, 1))
			return -EINVAL;
		s->grant_ra_auto = !c->neg;
		return 0;
	}
	if (c->neg) {
		/* "no grant auto trustpoint [TP]" drops only the trustpoint */
		if (c->argc >= 2 && conf_match_word(c->argv[1], sub) == 0)
			memset(s->grant_auto_tp, 0, sizeof(s->grant_auto_tp));
		else
			s->grant = PKID_GRANT_MANUAL;
		return 0;
	}
	k = conf_keyword(p, c, 0, modes);
	if (k < 0)
		return -EINVAL;
	if (k == 1 || c->argc == 1) {
		if (conf_no_more(p, c, 1))
			return -EINVAL;
		s->grant = k == 0 ? PKID_GRANT_AUTO : PKID_GRANT_NONE;
		return 0;
	}
	if (conf_keyword(p, c, 1, sub) != 0 || conf_no_more(p, c, 3))
		return -EINVAL;
	return conf_name(p, c, 2, s->grant_auto_tp);
}

/* ca-path-length N (ours): pathLenConstraint of issued CA certificates */
static int srv_ca_path_length(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);
	unsigned long n;

	s->ca_path_length = 0;
	if (c->neg)
		return 0;
	if (conf_uint(p, c, 0, "path length", 0, PKID_CONF_PATHLEN_MAX, &n) ||
	    conf_no_more(p, c, 1))
		return -EINVAL;
	s->ca_path_length = (unsigned int)n;
	return 0;
}

/* A DNS name constraint: LDH labels of 1..63, dots between, an optional
 * leading dot (subdomains only), at most 253 characters in all. */
static bool nc_dns_ok(const char *d)
{
	size_t n = strlen(d), label = 0;
	const char *q = d[0] == '.' ? d + 1 : d;
	char prev = '.';

	if (n == 0 || n > PKID_CONF_NC_DNS_MAX - 1 || !*q)
		return false;
	for (; *q; prev = *q++) {
		if (*q == '.') {
			if (prev == '.' || prev == '-' || label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*q) && *q != '-')
			return false;
		if (*q == '-' && prev == '.')
			return false;
		if (++label > 63)
			return false;
	}
	return prev != '.' && prev != '-';
}

/* An IP constraint: a prefix without host bits (10.0.0.0/8, 2001:db8::/32). */
static bool nc_ip_ok(const char *s, struct pkid_prefix *out)
{
	struct pkid_prefix raw;
	char addr[64];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof(addr) ||
	    conf_prefix(s, out) < 0)
		return false;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	/* conf_prefix clears host bits; here they are an error */
	return conf_prefix(addr, &raw) == 0 &&
	       !memcmp(raw.addr, out->addr, sizeof(raw.addr));
}

/* name-constraints permit|exclude dns DOMAIN|ip PREFIX (ours) */
static int srv_name_constraints(struct parser *p, const struct cmdline *c)
{
	static const char *const kinds[] = {"permit", "exclude", NULL};
	static const char *const types[] = {"dns", "ip", NULL};
	struct pkid_server_config *s = cur_server(p);
	struct pkid_name_constraint nc = {0};
	int k, t;

	if (c->neg) { /* no name-constraints: none at all */
		memset(s->nc, 0, sizeof(s->nc));
		s->n_nc = 0;
		return conf_no_more(p, c, 0);
	}
	k = conf_keyword(p, c, 0, kinds);
	t = k < 0 ? -1 : conf_keyword(p, c, 1, types);
	if (t < 0 || c->argc < 3 || conf_no_more(p, c, 3)) {
		if (t >= 0)
			conf_err(p, "name-constraints permit|exclude dns "
				    "DOMAIN|ip PREFIX");
		return -EINVAL;
	}
	if (s->n_nc == PKID_CONF_NC_MAX) {
		conf_err(p, "at most %d name-constraints lines",
			 PKID_CONF_NC_MAX);
		return -EINVAL;
	}
	nc.exclude = k == 1;
	nc.is_ip = t == 1;
	if (nc.is_ip && !nc_ip_ok(c->argv[2], &nc.ip)) {
		conf_err(p, "name-constraints ip: \"%.64s\" is not an address "
			    "prefix without host bits (10.0.0.0/8)",
			 c->argv[2]);
		return -EINVAL;
	}
	if (!nc.is_ip && !nc_dns_ok(c->argv[2])) {
		conf_err(p, "name-constraints dns: \"%.64s\" is not a DNS "
			    "name (letters, digits, hyphens, dots; a leading "
			    "dot for subdomains only)",
			 c->argv[2]);
		return -EINVAL;
	}
	if (!nc.is_ip)
		snprintf(nc.dns, sizeof(nc.dns), "%s", c->argv[2]);
	s->nc[s->n_nc++] = nc;
	return 0;
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
	k = conf_keyword(p, c, 0, levels);
	if (k < 0 || conf_no_more(p, c, 1))
		return -EINVAL;
	s->db_level = (enum pkid_db_level)k;
	return 0;
}

/*
 * database url: IOS also takes ftp:, tftp:, flash: ...; pkid keeps the
 * CA's files in a local folder only, so anything else is refused here
 * rather than failing when the CA starts (issue 13 #5).
 */
static int srv_db_url(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);
	int ret;

	if (c->neg) {
		memset(s->db_url, 0, sizeof(s->db_url));
		s->db_url_line = 0;
		return 0;
	}
	ret = conf_url(p, c, 0, s->db_url);
	if (ret < 0)
		return ret;
	if (s->db_url[0] != '/' && strncmp(s->db_url, "file:///", 8) != 0) {
		conf_err(p,
			 "'%s': pkid keeps the CA's files in a local folder "
			 "(/path or file:///path), it cannot serve '%s'",
			 c->name, s->db_url);
		return -EINVAL;
	}
	s->db_url_line = p->line;
	return 0;
}

/* The user part of a URL (between :// and @) has a ':': a password. */
static bool url_has_password(const char *url)
{
	const char *auth = strstr(url, "://") + 3;
	size_t end = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', end);

	return (at && memchr(auth, ':', at - auth)) ||
	       strstr(url, "password=");
}

/*
 * database connection postgresql://[user@][host][:port][/db][?param=...]
 * (ours, not IOS): the CA's tables on PostgreSQL (docs/POSTGRESQL.md).
 * No password in it: the file would show it, and running-config too.
 */
static int srv_db_connection(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);
	int ret;

	memset(s->db_connection, 0, sizeof(s->db_connection));
	if (c->neg)
		return 0;
	ret = conf_url(p, c, 0, s->db_connection);
	if (ret < 0)
		return ret;
	if (strncmp(s->db_connection, "postgresql://", 13) &&
	    strncmp(s->db_connection, "postgres://", 11)) {
		conf_err(p, "'%s': expected postgresql://..., got '%s'",
			 c->name, s->db_connection);
		ret = -EINVAL;
	} else if (url_has_password(s->db_connection)) {
		conf_err(p,
			 "'%s': no password in the URL: put it in the file of "
			 "'database credentials'",
			 c->name);
		ret = -EINVAL;
	}
	if (ret < 0)
		memset(s->db_connection, 0, sizeof(s->db_connection));
	return ret;
}

/* database credentials FILE: a PGPASSFILE (host:port:db:user:password);
 * its owner and mode are checked when pkid opens the database. */
static int srv_db_credentials(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	memset(s->db_credentials, 0, sizeof(s->db_credentials));
	return c->neg ? 0 : conf_path(p, c, 0, s->db_credentials);
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
	k = conf_keyword(p, c, 0, fmts);
	if (k < 0)
		return -EINVAL;
	s->archive_format = (enum pkid_archive_format)k;
	if (c->argc == 1)
		return 0;
	if (conf_keyword(p, c, 1, pwkw) < 0)
		return -EINVAL;
	return conf_password(p, c, 2, s->archive_password);
}

static int srv_cdp_url(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		memset(s->cdp_url, 0, sizeof(s->cdp_url));
		return 0;
	}
	return conf_url(p, c, 0, s->cdp_url);
}

/* ocsp-url URL: the OCSP responder, and its URL in issued certificates */
static int srv_ocsp_url(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	if (c->neg) {
		memset(s->ocsp_url, 0, sizeof(s->ocsp_url));
		return 0;
	}
	return conf_url(p, c, 0, s->ocsp_url);
}

/* password [0|7] PW: the static challenge password of every enrollment */
static int srv_password(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);

	memset(s->password, 0, sizeof(s->password));
	if (c->neg)
		return 0;
	return conf_password(p, c, 0, s->password);
}

/* ra-certificate auto|none: RA key and certificate, or IOS single key */
static int srv_ra_certificate(struct parser *p, const struct cmdline *c)
{
	static const char *const modes[] = {"auto", "none", NULL};
	struct pkid_server_config *s = cur_server(p);
	int k;

	if (c->neg) {
		s->ra_mode = PKID_RA_AUTO;
		return 0;
	}
	k = conf_keyword(p, c, 0, modes);
	if (k < 0 || conf_no_more(p, c, 1))
		return -EINVAL;
	s->ra_mode = (enum pkid_ra_mode)k;
	return 0;
}

/*
 * eckeypair [NAME] [256|384]: an ECDSA CA key (P-256 by default).  IOS
 * names the CA's key after the server, and so does pkid: a NAME, when
 * given, must be the server's.
 */
static int srv_eckeypair(struct parser *p, const struct cmdline *c)
{
	struct pkid_server_config *s = cur_server(p);
	unsigned long bits = 256;
	int i = 0;

	s->ec_bits = 0;
	s->ec_line = p->line;
	if (c->neg)
		return 0;
	if (conf_no_more(p, c, 2))
		return -EINVAL;
	if (c->argc > 0 && !isdigit((unsigned char)c->argv[0][0])) {
		if (strcmp(c->argv[0], s->name)) {
			conf_err(p,
				 "'%s': the CA key is named after the server: "
				 "expected %s, got '%s'",
				 c->name, s->name, c->argv[0]);
			return -EINVAL;
		}
		i = 1;
	} else if (c->argc > 1) {
		return conf_no_more(p, c, 1);
	}
	if (c->argc > i && (conf_parse_uint(c->argv[i], 256, 384, &bits) ||
			    (bits != 256 && bits != 384))) {
		conf_err(p, "'%s': expected key size 256 or 384, got '%s'",
			 c->name, c->argv[i]);
		return -EINVAL;
	}
	s->ec_bits = bits;
	return 0;
}

/* mode sub-cs: the CA certificate from the parent (trustpoint NAME);
 * mode ra: a registration authority in front of it */
static int srv_mode(struct parser *p, const struct cmdline *c)
{
	static const char *const modes[] = {"sub-cs", "ra", NULL};
	struct pkid_server_config *s = cur_server(p);
	int k;

	if (c->neg) {
		s->mode = PKID_MODE_ROOT;
		return 0;
	}
	k = conf_keyword(p, c, 0, modes);
	if (k < 0 || conf_no_more(p, c, 1))
		return -EINVAL;
	s->mode = k == 1 ? PKID_MODE_RA : PKID_MODE_SUB_CS;
	return 0;
}

static int srv_shutdown(struct parser *p, const struct cmdline *c)
{
	if (conf_no_more(p, c, 0))
		return -EINVAL;
	cur_server(p)->shutdown = !c->neg;
	return 0;
}

/* [no] legacy des (ours): single-DES request envelopes, off by default */
static int srv_legacy_des(struct parser *p, const struct cmdline *c)
{
	if (conf_no_more(p, c, 0))
		return -EINVAL;
	cur_server(p)->legacy_des = !c->neg;
	return 0;
}

/* A TLS name: a DNS name or an IP address (IPv6 with its colons). */
static bool tls_name_valid(const char *s)
{
	unsigned char addr[16];
	size_t n = strlen(s);

	if (n == 0 || n >= PKID_CONF_NAME_MAX)
		return false;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return true;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
			return false;
	return true;
}

/*
 * [no] est [tls-name NAME] (ours): serve EST (RFC 7030) for this CA on the
 * `ip http secure-server` listener; the TLS certificate the CA issues to itself
 * names NAME (default: the hostname).
 */
static int srv_est(struct parser *p, const struct cmdline *c)
{
	static const char *const words[] = {"tls-name", NULL};
	struct pkid_server_config *s = cur_server(p);

	memset(s->est_tls_name, 0, sizeof(s->est_tls_name));
	s->est = !c->neg;
	if (c->neg || c->argc == 0)
		return 0;
	if (conf_keyword(p, c, 0, words) < 0 || conf_no_more(p, c, 2))
		return -EINVAL;
	if (c->argc < 2 || !tls_name_valid(c->argv[1])) {
		conf_err(p, "'%s': tls-name wants a DNS name or an IP address",
			 c->name);
		return -EINVAL;
	}
	return conf_copy(p, c, s->est_tls_name, sizeof(s->est_tls_name),
			 c->argv[1]);
}

/* "exit" ends the block early, as in IOS configuration mode. */
int conf_exit_block(struct parser *p, const struct cmdline *c)
{
	if (conf_no_more(p, c, 0))
		return -EINVAL;
	p->ctx = CTX_GLOBAL;
	return 0;
}

const struct cmd conf_server_cmds[] = {
	{{"issuer-name"}, srv_issuer_name},
	{{"hash"}, srv_hash},
	{{"eckeypair"}, srv_eckeypair},
	{{"lifetime", "ca-certificate"}, srv_lifetime_ca},
	{{"lifetime", "certificate"}, srv_lifetime_cert},
	{{"lifetime", "crl"}, srv_lifetime_crl},
	{{"lifetime", "enrollment-request"}, srv_lifetime_er},
	{{"lifetime", "ocsp-responder"}, srv_lifetime_ocsp},
	{{"auto-rollover"}, srv_auto_rollover},
	{{"rollover", "cancel-delay"}, srv_cancel_delay},
	{{"grant"}, srv_grant},
	{{"ca-path-length"}, srv_ca_path_length},
	{{"name-constraints"}, srv_name_constraints},
	{{"database", "level"}, srv_db_level},
	{{"database", "url"}, srv_db_url},
	{{"database", "archive"}, srv_db_archive},
	{{"database", "connection"}, srv_db_connection},
	{{"database", "credentials"}, srv_db_credentials},
	{{"cdp-url"}, srv_cdp_url},
	{{"ocsp-url"}, srv_ocsp_url},
	{{"password"}, srv_password},
	{{"ra-certificate"}, srv_ra_certificate},
	{{"mode"}, srv_mode},
	{{"shutdown"}, srv_shutdown},
	{{"legacy", "des"}, srv_legacy_des},
	{{"est"}, srv_est},
	{{"exit"}, conf_exit_block},
	{{NULL}},
};
