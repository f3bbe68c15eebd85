// SPDX-License-Identifier: MIT
/*
 * pkid.conf, the other way: running-config output, equality of servers and
 * trustpoints, and the diff a reload acts on.
 *
 * The printer writes only what differs from the defaults (as IOS does),
 * plus the shutdown state of each server, so that parsing its output gives
 * back an equal configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"

static const char *const hash_names[] = {"sha256", "sha1", "sha384", "sha512"};
static const char *const grant_names[] = {"manual", "auto", "none"};
static const char *const level_names[] = {"minimum", "names", "complete"};
static const char *const archive_names[] = {"pkcs12", "pem"};
static const char *const ra_mode_names[] = {"auto", "none"};
static const char *const server_mode_names[] = {"root", "sub-cs", "ra"};

#define NAME_OF(table, v)                                                      \
	((unsigned int)(v) < sizeof(table) / sizeof(table[0]) ? table[v] : "?")

const char *pkid_hash_alg_name(enum pkid_hash_alg h)
{
	return NAME_OF(hash_names, h);
}

const char *pkid_grant_mode_name(enum pkid_grant_mode g)
{
	return NAME_OF(grant_names, g);
}

const char *pkid_db_level_name(enum pkid_db_level l)
{
	return NAME_OF(level_names, l);
}

const char *pkid_archive_format_name(enum pkid_archive_format f)
{
	return NAME_OF(archive_names, f);
}

const char *pkid_ra_mode_name(enum pkid_ra_mode m)
{
	return NAME_OF(ra_mode_names, m);
}

const char *pkid_server_mode_name(enum pkid_server_mode m)
{
	return NAME_OF(server_mode_names, m);
}

/* D [H [M]], as few numbers as the value needs. */
static void print_days(FILE *out, const char *cmd, int64_t secs)
{
	long long d = secs / PKID_DAY, h = secs % PKID_DAY / PKID_HOUR,
		  m = secs % PKID_HOUR / 60;

	fprintf(out, " %s %lld", cmd, d);
	if (h || m)
		fprintf(out, " %lld", h);
	if (m)
		fprintf(out, " %lld", m);
	fputc('\n', out);
}

static const char *secret(const char *pw, unsigned int flags)
{
	return flags & PKID_PRINT_HIDE_SECRETS ? "<hidden>" : pw;
}

const char *pkid_revcheck_name(enum pkid_revocation_check r)
{
	switch (r) {
	case PKID_REVCHECK_NONE:
		return "none";
	case PKID_REVCHECK_OCSP:
		return "ocsp";
	case PKID_REVCHECK_OCSP_CRL:
		return "ocsp crl";
	case PKID_REVCHECK_CRL_OCSP:
		return "crl ocsp";
	case PKID_REVCHECK_CRL:
	default:
		return "crl";
	}
}

static void print_server(FILE *out, const struct pkid_server_config *s,
			 unsigned int flags)
{
	char dflt[PKID_CONF_DN_MAX + 8];

	fprintf(out, "crypto pki server %s\n", s->name);
	snprintf(dflt, sizeof(dflt), "CN=%s", s->name);
	if (strcmp(s->issuer_name, dflt))
		fprintf(out, " issuer-name %s\n", s->issuer_name);
	if (s->hash != PKID_HASH_SHA256)
		fprintf(out, " hash %s\n", pkid_hash_alg_name(s->hash));
	if (s->ec_bits)
		fprintf(out, " eckeypair %s %u\n", s->name, s->ec_bits);
	if (s->lifetime_ca_cert != 1095LL * PKID_DAY)
		print_days(out, "lifetime ca-certificate", s->lifetime_ca_cert);
	if (s->lifetime_cert != 365LL * PKID_DAY)
		print_days(out, "lifetime certificate", s->lifetime_cert);
	if (s->lifetime_crl != 168LL * PKID_HOUR)
		fprintf(out, " lifetime crl %lld %lld\n",
			(long long)s->lifetime_crl / PKID_HOUR,
			(long long)s->lifetime_crl % PKID_HOUR / 60);
	if (s->lifetime_ocsp)
		print_days(out, "lifetime ocsp-responder", s->lifetime_ocsp);
	if (s->lifetime_enrollreq != 168LL * PKID_HOUR)
		fprintf(out, " lifetime enrollment-request %lld\n",
			(long long)s->lifetime_enrollreq / PKID_HOUR);
	if (s->grant != PKID_GRANT_MANUAL)
		fprintf(out, " grant %s\n", pkid_grant_mode_name(s->grant));
	if (s->grant_auto_tp[0])
		fprintf(out, " grant auto trustpoint %s\n", s->grant_auto_tp);
	if (s->grant_rollover_ca)
		fprintf(out, " grant auto rollover ca-cert\n");
	if (s->grant_ra_auto)
		fprintf(out, " grant ra-auto\n");
	if (s->ca_path_length)
		fprintf(out, " ca-path-length %u\n", s->ca_path_length);
	for (unsigned int i = 0; i < s->n_nc; i++) {
		char ip[INET6_ADDRSTRLEN] = "";
		const struct pkid_name_constraint *nc = &s->nc[i];

		if (nc->is_ip)
			inet_ntop(nc->ip.family, nc->ip.addr, ip, sizeof(ip));
		if (nc->is_ip)
			fprintf(out, " name-constraints %s ip %s/%u\n",
				nc->exclude ? "exclude" : "permit", ip,
				nc->ip.len);
		else
			fprintf(out, " name-constraints %s dns %s\n",
				nc->exclude ? "exclude" : "permit", nc->dns);
	}
	if (s->db_level != PKID_DB_LEVEL_MINIMUM)
		fprintf(out, " database level %s\n",
			pkid_db_level_name(s->db_level));
	if (s->db_url[0])
		fprintf(out, " database url %s\n", s->db_url);
	if (s->db_connection[0])
		fprintf(out, " database connection %s\n", s->db_connection);
	if (s->db_credentials[0])
		fprintf(out, " database credentials %s\n", s->db_credentials);
	if (s->archive_format != PKID_ARCHIVE_PKCS12 || s->archive_password[0])
		fprintf(out, " database archive %s%s%s\n",
			pkid_archive_format_name(s->archive_format),
			s->archive_password[0] ? " password 0 " : "",
			s->archive_password[0]
				? secret(s->archive_password, flags)
				: "");
	if (s->cdp_url[0])
		fprintf(out, " cdp-url %s\n", s->cdp_url);
	if (s->ocsp_url[0])
		fprintf(out, " ocsp-url %s\n", s->ocsp_url);
	if (s->auto_rollover)
		print_days(out, "auto-rollover", s->rollover_window);
	if (s->rollover_cancel_delay != PKID_DAY)
		print_days(out, "rollover cancel-delay",
			   s->rollover_cancel_delay);
	if (s->password[0])
		fprintf(out, " password 0 %s\n", secret(s->password, flags));
	if (s->ra_mode != PKID_RA_AUTO)
		fprintf(out, " ra-certificate %s\n",
			pkid_ra_mode_name(s->ra_mode));
	if (s->legacy_des)
		fprintf(out, " legacy des\n");
	if (s->mode != PKID_MODE_ROOT)
		fprintf(out, " mode %s\n", pkid_server_mode_name(s->mode));
	if (s->est)
		fprintf(out, " est%s%s\n", s->est_tls_name[0] ? " tls-name " : "",
			s->est_tls_name);
	fprintf(out, " %sshutdown\n", s->shutdown ? "" : "no ");
}

static void print_tp_enrollment(FILE *out,
				const struct pkid_trustpoint_config *t)
{
	if (t->enrollment_url[0])
		fprintf(out, " enrollment url %s\n", t->enrollment_url);
	if (t->enrollment_terminal)
		fprintf(out, " enrollment terminal\n");
	if (t->credential_cert[0])
		fprintf(out, " enrollment credential certificate %s key %s\n",
			t->credential_cert, t->credential_key);
	if (t->retry_count != 999)
		fprintf(out, " enrollment retry count %u\n", t->retry_count);
	if (t->retry_period_min != 1)
		fprintf(out, " enrollment retry period %u\n",
			t->retry_period_min);
	if (t->retry_max_period_min != 60)
		fprintf(out, " enrollment retry max-period %u\n",
			t->retry_max_period_min);
}

static void print_trustpoint(FILE *out, const struct pkid_trustpoint_config *t,
			     unsigned int flags)
{
	fprintf(out, "crypto pki trustpoint %s\n", t->name);
	print_tp_enrollment(out, t);
	if (t->subject_name[0])
		fprintf(out, " subject-name %s\n", t->subject_name);
	if (t->serial_number != PKID_UNSET)
		fprintf(out, " serial-number%s\n",
			t->serial_number == PKID_SET_NONE ? " none" : "");
	if (t->ip_address != PKID_UNSET)
		fprintf(out, " ip-address %s\n",
			t->ip_address == PKID_SET_NONE ? "none"
						       : t->ip_address_value);
	if (t->subject_alt_name[0])
		fprintf(out, " subject-alt-name %s\n", t->subject_alt_name);
	if (t->password[0])
		fprintf(out, " password 0 %s\n", secret(t->password, flags));
	if (t->ec_bits)
		fprintf(out, " eckeypair %s %u\n", t->rsakeypair, t->ec_bits);
	else if (strcmp(t->rsakeypair, t->name) || t->rsa_bits != 2048)
		fprintf(out, " rsakeypair %s %u\n", t->rsakeypair, t->rsa_bits);
	if (t->auto_enroll)
		fprintf(out, " auto-enroll %u%s\n", t->auto_enroll_pct,
			t->auto_enroll_regenerate ? " regenerate" : "");
	if (t->revocation_check != PKID_REVCHECK_CRL)
		fprintf(out, " revocation-check %s\n",
			pkid_revcheck_name(t->revocation_check));
	if (t->fingerprint[0])
		fprintf(out, " fingerprint %s\n", t->fingerprint);
	if (t->export_path[0])
		fprintf(out, " certificate export %s\n", t->export_path);
	if (t->export_shadow_path[0])
		fprintf(out, " certificate export-shadow %s\n",
			t->export_shadow_path);
	if (t->crl_export_path[0])
		fprintf(out, " crl export %s\n", t->crl_export_path);
	if (t->ocsp_url[0])
		fprintf(out, " ocsp url %s\n", t->ocsp_url);
	if (t->ocsp_export_path[0])
		fprintf(out, " ocsp export %s\n", t->ocsp_export_path);
	if (t->on_change[0])
		fprintf(out, " on-change %s\n", t->on_change);
}

static void print_globals(FILE *out, const struct pkid_config *cfg)
{
	char addr[INET6_ADDRSTRLEN];

	if (cfg->hostname[0])
		fprintf(out, "hostname %s\n", cfg->hostname);
	if (cfg->clock_calendar_valid)
		fprintf(out, "clock calendar-valid\n");
	if (strcmp(cfg->control_socket, PKID_CTL_SOCKET_DEFAULT))
		fprintf(out, "control-socket %s\n", cfg->control_socket);
	if (cfg->http_enabled)
		fprintf(out, "ip http server %u\n", cfg->http_port);
	if (cfg->https_enabled)
		fprintf(out, "ip http secure-server\n");
	if (cfg->https_port != 443)
		fprintf(out, "ip http secure-port %u\n", cfg->https_port);
	if (cfg->metrics_off)
		fprintf(out, "no ip http metrics\n");
	else if (cfg->metrics_any)
		fprintf(out, "ip http metrics any\n");
	if (cfg->rate_limit) {
		fprintf(out, "ip http rate-limit %u %u", cfg->rate_limit,
			cfg->rate_burst);
		if (cfg->n_rate_ifaces)
			fprintf(out, " interface");
		for (size_t i = 0; i < cfg->n_rate_ifaces; i++)
			fprintf(out, " %s", cfg->rate_ifaces[i]);
		fputc('\n', out);
	}
	for (size_t i = 0; i < cfg->n_rate_allow; i++) {
		const struct pkid_prefix *p = &cfg->rate_allow[i];

		inet_ntop(p->family, p->addr, addr, sizeof(addr));
		fprintf(out, "ip http rate-limit allow %s/%u\n", addr, p->len);
	}
}

int pkid_config_print(FILE *out, const struct pkid_config *cfg,
		      unsigned int flags)
{
	print_globals(out, cfg);
	for (size_t i = 0; i < cfg->n_trustpoints; i++) {
		fprintf(out, "!\n");
		print_trustpoint(out, &cfg->trustpoints[i], flags);
	}
	for (size_t i = 0; i < cfg->n_servers; i++) {
		fprintf(out, "!\n");
		print_server(out, &cfg->servers[i], flags);
	}
	fprintf(out, "end\n");
	return ferror(out) ? -EIO : 0;
}

char *pkid_config_to_string(const struct pkid_config *cfg, unsigned int flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return NULL;
	rc = pkid_config_print(f, cfg, flags);
	if (fclose(f) || rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- equality and diff ---- */

#define SAME(f)	    (a->f == b->f)
#define SAME_STR(f) (!strcmp(a->f, b->f))

bool pkid_server_config_equal(const struct pkid_server_config *a,
			      const struct pkid_server_config *b)
{
	return SAME_STR(name) && SAME_STR(issuer_name) && SAME(hash) &&
	       SAME(lifetime_ca_cert) && SAME(lifetime_cert) &&
	       SAME(lifetime_crl) && SAME(lifetime_enrollreq) &&
	       SAME(lifetime_ocsp) &&
	       SAME(auto_rollover) && SAME(rollover_window) &&
	       SAME(rollover_cancel_delay) && SAME(grant) &&
	       SAME_STR(grant_auto_tp) && SAME(grant_rollover_ca) &&
	       SAME(grant_ra_auto) &&
	       SAME(ca_path_length) && SAME(n_nc) &&
	       !memcmp(a->nc, b->nc, sizeof(a->nc)) && SAME(db_level) &&
	       SAME_STR(db_url) &&
	       SAME_STR(db_connection) && SAME_STR(db_credentials) &&
	       SAME(archive_format) && SAME_STR(archive_password) &&
	       SAME_STR(cdp_url) && SAME_STR(ocsp_url) && SAME(shutdown) &&
	       SAME_STR(password) && SAME(ra_mode) && SAME(legacy_des) &&
	       SAME(mode) && SAME(est) && SAME_STR(est_tls_name) &&
	       SAME(ec_bits);
}

bool pkid_trustpoint_config_equal(const struct pkid_trustpoint_config *a,
				  const struct pkid_trustpoint_config *b)
{
	return SAME_STR(name) && SAME_STR(enrollment_url) &&
	       SAME(enrollment_terminal) &&
	       SAME_STR(subject_name) && SAME(serial_number) &&
	       SAME(ip_address) && SAME_STR(ip_address_value) &&
	       SAME_STR(subject_alt_name) && SAME_STR(password) &&
	       SAME_STR(rsakeypair) && SAME(rsa_bits) && SAME(ec_bits) &&
	       SAME(auto_enroll) &&
	       SAME(auto_enroll_pct) && SAME(auto_enroll_regenerate) &&
	       SAME(retry_count) && SAME(retry_period_min) &&
	       SAME(retry_max_period_min) && SAME(revocation_check) &&
	       SAME_STR(fingerprint) && SAME_STR(export_path) &&
	       SAME_STR(export_shadow_path) && SAME_STR(on_change) &&
	       SAME_STR(crl_export_path) && SAME_STR(ocsp_url) &&
	       SAME_STR(ocsp_export_path) && SAME_STR(credential_cert) &&
	       SAME_STR(credential_key);
}

static bool http_equal(const struct pkid_config *a, const struct pkid_config *b)
{
	if (!SAME(http_enabled) || !SAME(http_port) || !SAME(https_enabled) ||
	    !SAME(https_port) || !SAME(metrics_off) ||
	    !SAME(metrics_any) || !SAME(rate_limit) ||
	    !SAME(rate_burst) || !SAME(n_rate_ifaces) || !SAME(n_rate_allow))
		return false;
	for (size_t i = 0; i < a->n_rate_ifaces; i++)
		if (strcmp(a->rate_ifaces[i], b->rate_ifaces[i]))
			return false;
	for (size_t i = 0; i < a->n_rate_allow; i++)
		if (memcmp(&a->rate_allow[i], &b->rate_allow[i],
			   sizeof(a->rate_allow[i])))
			return false;
	return true;
}

bool pkid_config_globals_equal(const struct pkid_config *a,
			       const struct pkid_config *b)
{
	return SAME_STR(hostname) && SAME(clock_calendar_valid) &&
	       SAME_STR(control_socket) && http_equal(a, b);
}

static int add_change(struct pkid_config_change **list, size_t *n,
		      enum pkid_change kind, const char *name)
{
	struct pkid_config_change *c = realloc(*list, (*n + 1) * sizeof(*c));

	if (!c)
		return -ENOMEM;
	*list = c;
	memset(&c[*n], 0, sizeof(c[*n]));
	c[*n].kind = kind;
	snprintf(c[*n].name, sizeof(c[*n].name), "%s", name);
	(*n)++;
	return 0;
}

static int diff_servers(const struct pkid_config *old,
			const struct pkid_config *new,
			struct pkid_config_diff *d)
{
	const struct pkid_server_config *o, *n;
	int rc = 0;

	for (size_t i = 0; i < old->n_servers && !rc; i++) {
		o = &old->servers[i];
		n = pkid_config_server(new, o->name);
		if (!n)
			rc = add_change(&d->servers, &d->n_servers,
					PKID_CHANGE_REMOVED, o->name);
		else if (!pkid_server_config_equal(o, n))
			rc = add_change(&d->servers, &d->n_servers,
					PKID_CHANGE_MODIFIED, o->name);
	}
	for (size_t i = 0; i < new->n_servers && !rc; i++)
		if (!pkid_config_server(old, new->servers[i].name))
			rc = add_change(&d->servers, &d->n_servers,
					PKID_CHANGE_ADDED,
					new->servers[i].name);
	return rc;
}

static int diff_trustpoints(const struct pkid_config *old,
			    const struct pkid_config *new,
			    struct pkid_config_diff *d)
{
	const struct pkid_trustpoint_config *o, *n;
	int rc = 0;

	for (size_t i = 0; i < old->n_trustpoints && !rc; i++) {
		o = &old->trustpoints[i];
		n = pkid_config_trustpoint(new, o->name);
		if (!n)
			rc = add_change(&d->trustpoints, &d->n_trustpoints,
					PKID_CHANGE_REMOVED, o->name);
		else if (!pkid_trustpoint_config_equal(o, n))
			rc = add_change(&d->trustpoints, &d->n_trustpoints,
					PKID_CHANGE_MODIFIED, o->name);
	}
	for (size_t i = 0; i < new->n_trustpoints && !rc; i++)
		if (!pkid_config_trustpoint(old, new->trustpoints[i].name))
			rc = add_change(&d->trustpoints, &d->n_trustpoints,
					PKID_CHANGE_ADDED,
					new->trustpoints[i].name);
	return rc;
}

int pkid_config_diff(const struct pkid_config *old,
		     const struct pkid_config *new,
		     struct pkid_config_diff *diff)
{
	int rc;

	memset(diff, 0, sizeof(*diff));
	diff->globals_changed = !pkid_config_globals_equal(old, new);
	diff->http_changed = !http_equal(old, new);
	rc = diff_servers(old, new, diff);
	if (!rc)
		rc = diff_trustpoints(old, new, diff);
	if (rc)
		pkid_config_diff_free(diff);
	return rc;
}

void pkid_config_diff_free(struct pkid_config_diff *diff)
{
	free(diff->servers);
	free(diff->trustpoints);
	memset(diff, 0, sizeof(*diff));
}

bool pkid_config_diff_empty(const struct pkid_config_diff *diff)
{
	return !diff->globals_changed && !diff->n_servers &&
	       !diff->n_trustpoints;
}

const char *pkid_server_locked_change(const struct pkid_server_config *old,
				      const struct pkid_server_config *new)
{
	if (strcmp(old->issuer_name, new->issuer_name))
		return "issuer-name";
	if (old->mode != new->mode)
		return "mode";
	if (old->ec_bits != new->ec_bits)
		return "eckeypair";
	return NULL;
}
