// SPDX-License-Identifier: MIT
/*
 * crypto pki trustpoint TP: the commands of ROLLOVER.md §4, and our own
 * (certificate export, export-shadow, on-change, enrollment retry
 * max-period).  Every handler also takes the "no" form.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_internal.h"

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
	return conf_url(p, c, 0, t->enrollment_url);
}

static int tp_enroll_terminal(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	if (!c->neg && conf_no_more(p, c, 0))
		return -EINVAL;
	t->enrollment_terminal = !c->neg;
	return 0;
}

/*
 * enrollment credential certificate PATH key LABEL: both or neither
 * (`no enrollment credential`).  The file is read when used (it may be
 * installed after the configuration); LABEL is a keystore key name.
 */
static int tp_enroll_credential(struct parser *p, const struct cmdline *c)
{
	static const char *const cert_word[] = {"certificate", NULL};
	static const char *const key_word[] = {"key", NULL};
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->credential_cert, 0, sizeof(t->credential_cert));
	memset(t->credential_key, 0, sizeof(t->credential_key));
	t->credential_line = p->line;
	if (c->neg)
		return 0;
	if (c->argc != 4) {
		conf_err(p, "'%s': expected 'certificate PATH key LABEL'",
			 c->name);
		return -EINVAL;
	}
	if (c->argv[1][0] != '/') {
		conf_err(p, "'%s': expected an absolute path, got '%s'",
			 c->name, c->argv[1]);
		return -EINVAL;
	}
	if (conf_keyword(p, c, 0, cert_word) < 0 ||
	    conf_copy(p, c, t->credential_cert, sizeof(t->credential_cert),
		      c->argv[1]) ||
	    conf_keyword(p, c, 2, key_word) < 0 ||
	    conf_name(p, c, 3, t->credential_key)) {
		memset(t->credential_cert, 0, sizeof(t->credential_cert));
		memset(t->credential_key, 0, sizeof(t->credential_key));
		return -EINVAL;
	}
	return 0;
}

static int tp_retry_count(struct parser *p, const struct cmdline *c)
{
	unsigned long v = 999;

	if (!c->neg &&
	    (conf_uint(p, c, 0, "polls", 1, 1000, &v) || conf_no_more(p, c, 1)))
		return -EINVAL;
	cur_tp(p)->retry_count = v;
	return 0;
}

static int tp_retry_period(struct parser *p, const struct cmdline *c)
{
	unsigned long v = 1;

	if (!c->neg &&
	    (conf_uint(p, c, 0, "minutes", 1, 60, &v) || conf_no_more(p, c, 1)))
		return -EINVAL;
	cur_tp(p)->retry_period_min = v;
	return 0;
}

static int tp_retry_max_period(struct parser *p, const struct cmdline *c)
{
	unsigned long v = 60;

	if (!c->neg && (conf_uint(p, c, 0, "minutes", 1, 10080, &v) ||
			conf_no_more(p, c, 1)))
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
	return conf_dn(p, c, 0, t->subject_name);
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
	if (conf_keyword(p, c, 0, none) < 0 || conf_no_more(p, c, 1))
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
		conf_err(p, "'%s': expected an IP address or none", c->name);
		return -EINVAL;
	}
	if (conf_match_word(c->argv[0], none) == 0) {
		t->ip_address = PKID_SET_NONE;
		return 0;
	}
	if (inet_pton(AF_INET, c->argv[0], buf) != 1 &&
	    inet_pton(AF_INET6, c->argv[0], buf) != 1) {
		conf_err(p, "'%s': expected an IP address or none, got '%s'",
			 c->name, c->argv[0]);
		return -EINVAL;
	}
	t->ip_address = PKID_SET;
	return conf_copy(p, c, t->ip_address_value, sizeof(t->ip_address_value),
			 c->argv[0]);
}

static int tp_san(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	const char *v;

	memset(t->subject_alt_name, 0, sizeof(t->subject_alt_name));
	if (c->neg)
		return 0;
	v = conf_rest(p, c, 0, "a name");
	if (!v)
		return -EINVAL;
	return conf_copy(p, c, t->subject_alt_name, sizeof(t->subject_alt_name),
			 v);
}

static int tp_password(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->password, 0, sizeof(t->password));
	if (c->neg)
		return 0;
	return conf_password(p, c, 0, t->password);
}

static int tp_rsakeypair(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	unsigned long bits = 2048;

	snprintf(t->rsakeypair, sizeof(t->rsakeypair), "%s", t->name);
	t->rsa_bits = 2048;
	if (c->neg)
		return 0;
	if (conf_name(p, c, 0, t->rsakeypair) || conf_no_more(p, c, 2))
		return -EINVAL;
	if (c->argc == 2 &&
	    (conf_parse_uint(c->argv[1], 2048, 4096, &bits) || bits % 1024)) {
		conf_err(p,
			 "'%s': expected key size 2048, 3072 or 4096, got '%s'",
			 c->name, c->argv[1]);
		return -EINVAL;
	}
	t->rsa_bits = bits;
	t->ec_bits = 0;
	return 0;
}

/* eckeypair LABEL [256|384] (IOS): the trustpoint's key is ECDSA */
static int tp_eckeypair(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	unsigned long bits = 256;

	snprintf(t->rsakeypair, sizeof(t->rsakeypair), "%s", t->name);
	t->rsa_bits = 2048;
	t->ec_bits = 0;
	if (c->neg)
		return 0;
	if (conf_name(p, c, 0, t->rsakeypair) || conf_no_more(p, c, 2))
		return -EINVAL;
	if (c->argc == 2 &&
	    (conf_parse_uint(c->argv[1], 256, 384, &bits) ||
	     (bits != 256 && bits != 384))) {
		conf_err(p, "'%s': expected key size 256 or 384, got '%s'",
			 c->name, c->argv[1]);
		return -EINVAL;
	}
	t->ec_bits = bits;
	t->ec_line = p->line;
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
		if (conf_uint(p, c, i, "percent", 1, 100, &pct))
			return -EINVAL;
		i++;
	}
	if (i < c->argc) {
		if (conf_keyword(p, c, i, regen) < 0)
			return -EINVAL;
		t->auto_enroll_regenerate = true;
		i++;
	}
	if (conf_no_more(p, c, i))
		return -EINVAL;
	t->auto_enroll_pct = pct;
	return 0;
}

/*
 * revocation-check crl|none|ocsp [crl|none|ocsp]: IOS lists up to three
 * methods tried in order; pkid keeps CRL and/or OCSP fresh for the
 * consumers, so a trailing `none` (IOS: accept when the others fail)
 * changes nothing here and is accepted.
 */
static int tp_revocation_check(struct parser *p, const struct cmdline *c)
{
	enum { CRL, NONE, OCSP };
	static const char *const how[] = {"crl", "none", "ocsp", NULL};
	struct pkid_trustpoint_config *t = cur_tp(p);
	int k, k2 = -1;

	t->revocation_check = PKID_REVCHECK_CRL;
	if (c->neg)
		return 0;
	k = conf_keyword(p, c, 0, how);
	if (k < 0 || conf_no_more(p, c, 2))
		return -EINVAL;
	if (c->argc == 2 && (k2 = conf_keyword(p, c, 1, how)) < 0)
		return -EINVAL;
	if (k == k2 || (k == NONE && c->argc == 2)) {
		conf_err(p, "'%s': %s after %s", c->name, c->argv[1],
			 c->argv[0]);
		return -EINVAL;
	}
	if (k == CRL)
		t->revocation_check =
			k2 == OCSP ? PKID_REVCHECK_CRL_OCSP : PKID_REVCHECK_CRL;
	else if (k == OCSP)
		t->revocation_check =
			k2 == CRL ? PKID_REVCHECK_OCSP_CRL : PKID_REVCHECK_OCSP;
	else
		t->revocation_check = PKID_REVCHECK_NONE;
	return 0;
}

/* ocsp url URL (IOS): the responder for revocation-check ocsp */
static int tp_ocsp_url(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->ocsp_url, 0, sizeof(t->ocsp_url));
	return c->neg ? 0 : conf_url(p, c, 0, t->ocsp_url);
}

/* ocsp export PATH (ours): the identity's OCSP response, DER */
static int tp_ocsp_export(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->ocsp_export_path, 0, sizeof(t->ocsp_export_path));
	return c->neg ? 0 : conf_path(p, c, 0, t->ocsp_export_path);
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
	if (!(s = conf_rest(p, c, 0, "a fingerprint (hex)")))
		return -EINVAL;
	for (; *s; s++) {
		if (*s == ':' || *s == ' ' || *s == '\t')
			continue;
		if (!isxdigit((unsigned char)*s) || n + 1 >= sizeof(hex)) {
			conf_err(p, "'%s': '%s' is not a hex fingerprint",
				 c->name, c->rest[0]);
			return -EINVAL;
		}
		hex[n++] = (char)toupper((unsigned char)*s);
	}
	if (n != 32 && n != 40 && n != 56 && n != 64 && n != 96 && n != 128) {
		conf_err(p,
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
	return c->neg ? 0 : conf_path(p, c, 0, t->export_path);
}

static int tp_export_shadow(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->export_shadow_path, 0, sizeof(t->export_shadow_path));
	return c->neg ? 0 : conf_path(p, c, 0, t->export_shadow_path);
}

/* `crl export PATH`: the CA's verified CRL, PEM (revocation-check crl). */
static int tp_crl_export(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);

	memset(t->crl_export_path, 0, sizeof(t->crl_export_path));
	return c->neg ? 0 : conf_path(p, c, 0, t->crl_export_path);
}

static int tp_on_change(struct parser *p, const struct cmdline *c)
{
	struct pkid_trustpoint_config *t = cur_tp(p);
	const char *cmd;

	memset(t->on_change, 0, sizeof(t->on_change));
	if (c->neg)
		return 0;
	if (!(cmd = conf_rest(p, c, 0, "a command")))
		return -EINVAL;
	return conf_copy(p, c, t->on_change, sizeof(t->on_change), cmd);
}

const struct cmd conf_trustpoint_cmds[] = {
	{{"enrollment", "url"}, tp_enroll_url},
	{{"enrollment", "terminal"}, tp_enroll_terminal},
	{{"enrollment", "credential"}, tp_enroll_credential},
	{{"enrollment", "retry", "count"}, tp_retry_count},
	{{"enrollment", "retry", "period"}, tp_retry_period},
	{{"enrollment", "retry", "max-period"}, tp_retry_max_period},
	{{"subject-name"}, tp_subject_name},
	{{"serial-number"}, tp_serial_number},
	{{"ip-address"}, tp_ip_address},
	{{"subject-alt-name"}, tp_san},
	{{"password"}, tp_password},
	{{"rsakeypair"}, tp_rsakeypair},
	{{"eckeypair"}, tp_eckeypair},
	{{"auto-enroll"}, tp_auto_enroll},
	{{"revocation-check"}, tp_revocation_check},
	{{"fingerprint"}, tp_fingerprint},
	{{"certificate", "export"}, tp_export},
	{{"certificate", "export-shadow"}, tp_export_shadow},
	{{"crl", "export"}, tp_crl_export},
	{{"ocsp", "url"}, tp_ocsp_url},
	{{"ocsp", "export"}, tp_ocsp_export},
	{{"on-change"}, tp_on_change},
	{{"exit"}, conf_exit_block},
	{{NULL}},
};
