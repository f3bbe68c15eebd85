// SPDX-License-Identifier: MIT
/*
 * Installing what the CA issued, and telling the rest of the router.
 *
 *   enroll/renew   the certificate (and, with regenerate, the key LABEL#
 *                  promoted over LABEL) replace the identity at once
 *   shadow         the rollover CA, the shadow identity and its key wait
 *                  as shadow items until the current CA's notAfter,
 *                  when tp_switch_shadow() makes them active together
 *
 * After each change the PEM files (`certificate export PATH`: identity
 * then CA; `certificate export-shadow PATH`: the shadow pair) are
 * rewritten atomically, and the `on-change` command runs with
 * PKID_TRUSTPOINT and PKID_EVENT in its environment.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "proto/scep/scep_client.h"
#include "tp_internal.h"
#include "core/log.h"

extern char **environ;

#define TP_HOOK_TIMEOUT_MS 10000
#define TP_HOOK_STEP_MS	   20

/*
 * Parsed certificates, remembered by SHA-256 of their DER (one slot per
 * digest's first byte modulo the size; a new one takes the slot): every
 * trustpoint of a pkid parses the same CA certificate at each of its
 * timers (next-CA poll, CRL refresh, renewal), and OpenSSL 3.0's
 * d2i_X509 (its decoder context for the public key) was 38 % of a client
 * pkid's CPU in tools/sim with 50 trustpoints (perf, DWARF).  The caller
 * gets its own reference (X509_free as before); nothing in the client
 * modifies a parsed certificate.
 */
#define TP_X509_SLOTS 64

static struct {
	unsigned char md[SHA256_DIGEST_LENGTH];
	X509 *x;
} x509_seen[TP_X509_SLOTS];
static pthread_mutex_t x509_seen_lock = PTHREAD_MUTEX_INITIALIZER;

static X509 *x509_remembered(const unsigned char *md)
{
	X509 *x = NULL;
	size_t i = md[0] % TP_X509_SLOTS;

	pthread_mutex_lock(&x509_seen_lock);
	if (x509_seen[i].x &&
	    !memcmp(x509_seen[i].md, md, SHA256_DIGEST_LENGTH) &&
	    X509_up_ref(x509_seen[i].x))
		x = x509_seen[i].x;
	pthread_mutex_unlock(&x509_seen_lock);
	return x;
}

static void x509_remember(const unsigned char *md, X509 *x)
{
	size_t i = md[0] % TP_X509_SLOTS;
	X509 *old;

	if (!X509_up_ref(x))
		return;
	pthread_mutex_lock(&x509_seen_lock);
	old = x509_seen[i].x;
	memcpy(x509_seen[i].md, md, SHA256_DIGEST_LENGTH);
	x509_seen[i].x = x;
	pthread_mutex_unlock(&x509_seen_lock);
	X509_free(old);
}

X509 *tp_x509(const unsigned char *der, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const unsigned char *p = der;
	int digest;
	X509 *x;

	if (!der || !len)
		return NULL;
	digest = EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL);
	x = digest ? x509_remembered(md) : NULL;
	if (x)
		return x;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && digest)
		x509_remember(md, x);
	return x;
}

/* Replace a DER blob of the row with x (NULL: clear it). */
int tp_set_blob(unsigned char **blob, size_t *len, X509 *x)
{
	unsigned char *der = NULL;
	int n = x ? i2d_X509(x, &der) : 0;

	free(*blob);
	*blob = NULL;
	*len = 0;
	if (!x)
		return 0;
	if (n <= 0)
		return -EIO;
	*blob = malloc(n);
	if (*blob)
		memcpy(*blob, der, n);
	OPENSSL_free(der);
	*len = n;
	return *blob ? 0 : -ENOMEM;
}

static int write_pem(const char *path, const unsigned char *id, size_t id_len,
		     const unsigned char *ca, size_t ca_len)
{
	X509 *a = tp_x509(id, id_len), *b = tp_x509(ca, ca_len);
	char tmp[PKID_CONF_PATH_MAX + 8];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = a ? fopen(tmp, "w") : NULL;
	ok = f && PEM_write_X509(f, a) && (!b || PEM_write_X509(f, b));
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, path) < 0)
		ok = 0;
	if (!ok && a) {
		pkid_log(LOG_ERR, NULL, "cannot write %s", path);
		unlink(tmp);
	}
	X509_free(a);
	X509_free(b);
	return ok ? 0 : -EIO;
}

/* Run on-change; bounded, so a stuck hook cannot stall the daemon. */
void tp_run_hook(struct tp *tp, const char *event)
{
	char tpv[PKID_CONF_NAME_MAX + 32], evv[64];
	char *argv[] = {"/bin/sh", "-c", tp->cfg.on_change, NULL};
	char **env;
	size_t n = 0, i;
	int status, waited;
	pid_t pid;

	for (n = 0; environ[n]; n++)
		;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		return;
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	snprintf(tpv, sizeof(tpv), "PKID_TRUSTPOINT=%s", tp->cfg.name);
	snprintf(evv, sizeof(evv), "PKID_EVENT=%s", event);
	env[n] = tpv;
	env[n + 1] = evv;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, env) != 0) {
		free(env);
		return;
	}
	free(env);
	for (waited = 0; waited < TP_HOOK_TIMEOUT_MS;
	     waited += TP_HOOK_STEP_MS) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		nanosleep(&(struct timespec){0, TP_HOOK_STEP_MS * 1000000L},
			  NULL);
	}
	pkid_log(LOG_WARNING, NULL,
		 "trustpoint %s: on-change still running after "
		 "%d s, killed",
		 tp->cfg.name, TP_HOOK_TIMEOUT_MS / 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

void tp_export(struct tp *tp, const struct db_tp *st, const char *event)
{
	if (tp->cfg.export_path[0] && st->id_cert)
		write_pem(tp->cfg.export_path, st->id_cert, st->id_cert_len,
			  st->ca_cert, st->ca_cert_len);
	if (tp->cfg.export_shadow_path[0]) {
		if (st->shadow_id_cert)
			write_pem(tp->cfg.export_shadow_path,
				  st->shadow_id_cert, st->shadow_id_cert_len,
				  st->shadow_ca_cert, st->shadow_ca_cert_len);
		else
			unlink(tp->cfg.export_shadow_path);
	}
	/* The CA may have revoked or re-signed meanwhile: a fresh CRL before
	 * the hook, which then sees both. */
	tp_crl_refresh(tp, st);
	tp_ocsp_refresh(tp, st);
	if (tp->cfg.on_change[0])
		tp_run_hook(tp, event);
}

static const struct pkid_tag enrolled = {LOG_INFO, "ENROLL"};
static const struct pkid_tag renewed = {LOG_INFO, "RENEW"};
static const struct pkid_tag shadowed = {LOG_INFO, "SHADOW"};

static void log_cert(struct tp *tp, const struct pkid_tag *t, const char *what,
		     X509 *x)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "";
	int64_t nb = 0, na = 0;

	scep_client_fingerprint(x, EVP_sha256(), fp, sizeof(fp));
	tp_cert_times(x, &nb, &na);
	pkid_log(t->level, t->tag,
		 "trustpoint %s: %s certificate %s installed, valid %lld..%lld",
		 tp->cfg.name, what, fp, (long long)nb, (long long)na);
}

/* The identity now: promote the shadow key pair first, if one was made. */
static int install_identity(struct tp *tp, struct db_tp *st,
			    const char *key_name, X509 *cert)
{
	/* A renewal (RENEW timer or by hand), or the first enrollment. */
	const struct pkid_tag *t = st->id_cert ? &renewed : &enrolled;
	int64_t at;
	int ret = 0;

	if (strcmp(key_name, tp->cfg.rsakeypair))
		ret = tp_key_promote(tp, cert);
	if (ret < 0) {
		pkid_log(LOG_ERR, NULL, "trustpoint %s: cannot promote %s: %s",
			 tp->cfg.name, key_name, strerror(-ret));
		return ret;
	}
	snprintf(st->id_key, sizeof(st->id_key), "%s", tp->cfg.rsakeypair);
	ret = tp_set_blob(&st->id_cert, &st->id_cert_len, cert);
	st->pending_tid[0] = '\0';
	st->pending_kind = TP_KIND_NONE;
	st->poll_count = 0;
	ret = ret ?: db_tp_put(tp->set->db, st);
	if (ret < 0)
		return ret;
	log_cert(tp, t, "identity", cert);
	tp_cancel(tp, PKIKS_TIMER_POLL);
	tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
	/* Issue 22: keep the rollover CA as soon as the CA offers it, so
	 * that a SHADOW that misses the end can still trust the new CA. */
	tp_prefetch_next_ca(tp, st);
	tp_arm_lifecycle(tp, st, &at);
	return 0;
}

/* Shadow items wait for the current CA's end, then switch together. */
static int install_shadow(struct tp *tp, struct db_tp *st, const char *key_name,
			  X509 *cert)
{
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	int64_t nb, na;
	int ret;

	ret = ca ? tp_cert_times(ca, &nb, &na) : -ENOENT;
	X509_free(ca);
	snprintf(st->shadow_key, sizeof(st->shadow_key), "%s", key_name);
	ret = ret
		      ?: tp_set_blob(&st->shadow_id_cert,
				     &st->shadow_id_cert_len, cert);
	st->pending_tid[0] = '\0';
	st->pending_kind = TP_KIND_NONE;
	st->poll_count = 0;
	ret = ret ?: db_tp_put(tp->set->db, st);
	if (ret < 0)
		return ret;
	log_cert(tp, &shadowed, "shadow identity", cert);
	tp_cancel(tp, PKIKS_TIMER_POLL);
	tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
	ret = tp_arm(tp, PKIKS_TIMER_SHADOW, na);
	/* The CA may still withdraw the rollover before its end
	 * (tp_nextca.c): keep rechecking it. */
	tp_nextca_arm(tp, st);
	return ret;
}

int tp_install(struct tp *tp, struct db_tp *st, enum tp_kind kind,
	       const char *key_name, X509 *cert)
{
	int ret;

	if (kind == TP_KIND_SHADOW)
		ret = install_shadow(tp, st, key_name, cert);
	else
		ret = install_identity(tp, st, key_name, cert);
	if (ret == 0)
		tp_export(tp, st,
			  kind == TP_KIND_SHADOW  ? "shadow"
			  : kind == TP_KIND_RENEW ? "renewed"
						  : "enrolled");
	if (ret == 0)
		tp_sub_changed(tp); /* a sub-cs CA may start, or roll over */
	return ret;
}

/* The CA's notAfter: rollover CA, shadow identity and key become active. */
int tp_switch_shadow(struct tp *tp, struct db_tp *st)
{
	int64_t at;
	int ret = 0;

	if (strcmp(st->shadow_key, tp->cfg.rsakeypair)) {
		X509 *id = tp_x509(st->shadow_id_cert, st->shadow_id_cert_len);

		ret = id ? tp_key_promote(tp, id) : -ENOENT;
		X509_free(id);
	}
	if (ret < 0)
		return ret;
	free(st->ca_cert);
	free(st->id_cert);
	free(st->ra_cert);
	st->ca_cert = st->shadow_ca_cert;
	st->ca_cert_len = st->shadow_ca_cert_len;
	st->id_cert = st->shadow_id_cert;
	st->id_cert_len = st->shadow_id_cert_len;
	/* The new CA's RA (if any): asked for below, once switched. */
	st->ra_cert = NULL;
	st->ra_cert_len = 0;
	st->shadow_ca_cert = st->shadow_id_cert = NULL;
	st->shadow_ca_cert_len = st->shadow_id_cert_len = 0;
	snprintf(st->id_key, sizeof(st->id_key), "%s", tp->cfg.rsakeypair);
	st->shadow_key[0] = '\0';
	ret = db_tp_put(tp->set->db, st);
	if (ret < 0)
		return ret;
	pkid_log(LOG_NOTICE, "SHADOW_ACTIVATED",
		 "trustpoint %s: switched to the rollover CA and "
		 "the shadow identity",
		 tp->cfg.name);
	/* A terminal's requests are files: no RA to fetch, no network. */
	if (!tp->cfg.enrollment_terminal && tp_refresh_ra(tp, st) < 0)
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: no RA certificate of the new "
			 "CA yet; asked again before the next request",
			 tp->cfg.name);
	tp_arm_lifecycle(tp, st, &at);
	tp_export(tp, st, "switched");
	tp_sub_changed(tp); /* a sub-cs CA takes the new chain */
	return 0;
}
