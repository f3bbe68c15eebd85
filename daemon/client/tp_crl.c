// SPDX-License-Identifier: MIT
/*
 * `revocation-check crl` (ROLLOVER.md §4): each trustpoint keeps its CA's
 * CRL on the router for the consumers that check peers (pkid does not
 * check peers itself).
 *
 *   fetch    from the CDP URL of the identity certificate when it has
 *            one, else the CA's SCEP URL with operation=GetCRL
 *   verify   issuer = the CA certificate's subject and the signature by
 *            its key; anything else is refused and the old CRL kept
 *   store    DER in the state directory (trustpoint-NAME.crl), so a
 *            restarted pkid exports and schedules without the network
 *   export   PEM to `crl export PATH` (atomically), then `on-change`
 *            with PKID_EVENT=crl when the CRL changed
 *
 * A refresh runs after each install, renewal and shadow switch
 * (tp_export) and when the trustpoint's keystore timer GENERIC
 * "crl-refresh" (TP_CRL_LABEL) expires: each refresh arms it for the
 * CRL's nextUpdate, or TP_CRL_RETRY seconds on when the CRL is missing,
 * unreachable or already past its nextUpdate (the CA may not have
 * re-signed yet).  The keystore's clock, authority gate, persistence,
 * `show timers` and sysfs thus cover the CRL refresh as they cover RENEW
 * and SHADOW; there is no second scheduler in pkid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tp_internal.h"
#include "core/log.h"

/* Seconds (keystore clock) between attempts while the CRL is missing,
 * unreachable or past its nextUpdate (the CA may not have re-signed yet). */
#define TP_CRL_RETRY 10

/* The state dir, "/trustpoint-", the name, ".crl". */
#define TP_CRL_PATH_MAX (PKID_CONF_PATH_MAX + PKID_CONF_NAME_MAX + 32)
/* A stored CRL is no larger than a download may be (SCEP_HTTP_BODY_MAX). */
#define TP_CRL_FILE_MAX (1024 * 1024)

static void crl_path(const struct tp *tp, char *buf, size_t size)
{
	snprintf(buf, size, "%s/trustpoint-%s.crl", tp->set->crl_dir,
		 tp->cfg.name);
}

int tp_crl_file(const struct tp_set *set, const char *name, char *buf,
		size_t size)
{
	if (!set || snprintf(buf, size, "%s/trustpoint-%s.crl", set->crl_dir,
			     name) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static int64_t asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static X509_CRL *crl_parse(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *b;

	if (crl || !len)
		return crl;
	/* Some CAs publish PEM at the CDP. */
	b = BIO_new_mem_buf(der, (int)len);
	crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return crl;
}

/* The first URI of the identity certificate's CRL distribution points. */
static int cdp_url(X509 *id, char *buf, size_t size)
{
	STACK_OF(DIST_POINT) *dps =
		id ? X509_get_ext_d2i(id, NID_crl_distribution_points, NULL,
				      NULL)
		   : NULL;
	int i, j, ret = -ENOENT;

	for (i = 0; ret < 0 && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *names;

		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; ret < 0 && j < sk_GENERAL_NAME_num(names); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);

			if (gn->type != GEN_URI)
				continue;
			snprintf(buf, size, "%.*s",
				 ASN1_STRING_length(
					 gn->d.uniformResourceIdentifier),
				 (const char *)ASN1_STRING_get0_data(
					 gn->d.uniformResourceIdentifier));
			ret = 0;
		}
	}
	CRL_DIST_POINTS_free(dps);
	return ret;
}

/* Download the CRL: the CDP when the identity names one (a CDP that
 * does not answer falls back to GetCRL), else GetCRL. */
static int crl_fetch(struct tp *tp, const struct db_tp *st,
		     unsigned char **der, size_t *len, char *from, size_t size)
{
	X509 *id = tp_x509(st->id_cert, st->id_cert_len);
	int ret = cdp_url(id, from, size);

	X509_free(id);
	if (ret == 0) {
		ret = tp_proto(tp)->fetch(from, der, len);
		if (ret == 0)
			return 0;
		pkid_log(LOG_WARNING, NULL,
			 "trustpoint %s: CRL distribution point %s: %s; "
			 "trying GetCRL",
			 tp->cfg.name, from, strerror(-ret));
	}
	if (!tp->cfg.enrollment_url[0])
		return -ENOENT;
	return tp_proto(tp)->get_crl(tp->cfg.enrollment_url, der, len, from,
				       size);
}

/* Issued and signed by the trustpoint's CA, or refused with @why. */
static int crl_verify(X509_CRL *crl, const struct db_tp *st, const char **why)
{
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	EVP_PKEY *pub = ca ? X509_get0_pubkey(ca) : NULL;
	int ret = -EKEYREJECTED;

	*why = "no CA certificate";
	if (!pub)
		goto out;
	*why = "its issuer is not the CA";
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)))
		goto out;
	*why = "its signature does not verify with the CA's key";
	if (X509_CRL_verify(crl, pub) != 1)
		goto out;
	*why = "it has no nextUpdate";
	if (!X509_CRL_get0_nextUpdate(crl))
		goto out;
	ret = 0;
out:
	X509_free(ca);
	return ret;
}

static int write_file(const char *path, const unsigned char *der, size_t len,
		      bool pem)
{
	char tmp[TP_CRL_PATH_MAX + 8];
	X509_CRL *crl = NULL;
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (pem && !(crl = crl_parse(der, len)))
		return -EINVAL;
	f = fopen(tmp, "w");
	ok = f && (pem ? PEM_write_X509_CRL(f, crl) == 1
		       : fwrite(der, 1, len, f) == len);
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, path) < 0)
		ok = 0;
	if (!ok) {
		pkid_log(LOG_ERR, NULL, "cannot write %s", path);
		unlink(tmp);
	}
	X509_CRL_free(crl);
	return ok ? 0 : -EIO;
}

/* The stored CRL (DER, malloc'd); -ENOENT when none. */
static int crl_load(const struct tp *tp, unsigned char **der, size_t *len)
{
	char path[TP_CRL_PATH_MAX];
	unsigned char *buf = NULL;
	long n;
	FILE *f;
	int ret = -EIO;

	crl_path(tp, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) <= 0 ||
	    n > TP_CRL_FILE_MAX || fseek(f, 0, SEEK_SET) < 0)
		goto out;
	buf = malloc(n);
	if (buf && fread(buf, 1, n, f) == (size_t)n) {
		*der = buf;
		*len = n;
		buf = NULL;
		ret = 0;
	}
out:
	free(buf);
	fclose(f);
	return ret;
}

static void crl_note(struct tp *tp, X509_CRL *crl)
{
	tp->crl_this = asn1_seconds(X509_CRL_get0_lastUpdate(crl));
	tp->crl_next = asn1_seconds(X509_CRL_get0_nextUpdate(crl));
}

/* Store and export a verified CRL; 1 if it differs from the stored one. */
static int crl_keep(struct tp *tp, const unsigned char *der, size_t len)
{
	char path[TP_CRL_PATH_MAX];
	unsigned char *old = NULL;
	size_t old_len = 0;
	int changed, ret;

	changed = crl_load(tp, &old, &old_len) < 0 || old_len != len ||
		  memcmp(old, der, len);
	free(old);
	crl_path(tp, path, sizeof(path));
	ret = changed ? write_file(path, der, len, false) : 0;
	if (ret == 0 && tp->cfg.crl_export_path[0] &&
	    (changed || access(tp->cfg.crl_export_path, F_OK) < 0))
		ret = write_file(tp->cfg.crl_export_path, der, len, true);
	return ret < 0 ? ret : changed;
}

/* The refresh timer at @at (unix seconds); an instant past fires at once. */
static void crl_arm(struct tp *tp, int64_t at)
{
	tp_arm_generic(tp, TP_CRL_LABEL, "the CRL refresh", at);
}

/* The next attempt: at nextUpdate while it is ahead, else soon.  Without
 * authoritative time nothing is armed: tp_crl_resume() does it once the
 * clock is back. */
static void crl_schedule(struct tp *tp)
{
	int64_t now;

	if (tp_now(tp, &now) < 0)
		return;
	crl_arm(tp, tp->crl_next > now ? tp->crl_next : now + TP_CRL_RETRY);
}

int tp_crl_refresh(struct tp *tp, const struct db_tp *st)
{
	unsigned char *der = NULL;
	size_t len = 0;
	char from[PKID_CONF_URL_MAX + 32] = "";
	const char *why = NULL;
	X509_CRL *crl = NULL;
	int ret;

	if (!pkid_revcheck_crl(tp->cfg.revocation_check) || !st->ca_cert)
		return 0;
	/* enrollment terminal: the CA is offline, nothing to fetch from. */
	if (tp->cfg.enrollment_terminal && !tp->cfg.enrollment_url[0])
		return 0;
	ret = crl_fetch(tp, st, &der, &len, from, sizeof(from));
	if (ret < 0) {
		pkid_log(LOG_WARNING, NULL,
			 "trustpoint %s: cannot fetch the CRL from %s: "
			 "%s",
			 tp->cfg.name, from[0] ? from : "(no URL)",
			 strerror(-ret));
		goto out;
	}
	crl = crl_parse(der, len);
	ret = crl ? crl_verify(crl, st, &why) : -EBADMSG;
	if (ret < 0) {
		pkid_log(LOG_WARNING, NULL,
			 "trustpoint %s: CRL from %s refused: %s; keeping "
			 "the previous one",
			 tp->cfg.name, from, crl ? why : "not a CRL");
		goto out;
	}
	ret = crl_keep(tp, der, len);
	if (ret < 0)
		goto out;
	crl_note(tp, crl);
	if (ret)
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: CRL from %s installed, "
			 "thisUpdate %lld nextUpdate %lld",
			 tp->cfg.name, from, (long long)tp->crl_this,
			 (long long)tp->crl_next);
out:
	crl_schedule(tp);
	X509_CRL_free(crl);
	free(der);
	return ret;
}

/* The stored CRL's dates, once, so a restart schedules without fetching. */
static void crl_restore(struct tp *tp)
{
	unsigned char *der = NULL;
	size_t len = 0;
	X509_CRL *crl;

	tp->crl_loaded = true;
	if (crl_load(tp, &der, &len) < 0)
		return;
	crl = crl_parse(der, len);
	if (crl)
		crl_note(tp, crl);
	if (crl && tp->cfg.crl_export_path[0] &&
	    access(tp->cfg.crl_export_path, F_OK) < 0)
		write_file(tp->cfg.crl_export_path, der, len, true);
	X509_CRL_free(crl);
	free(der);
}

/* The refresh timer expired (under the set's lock). */
void tp_crl_on_timer(struct tp *tp)
{
	struct db_tp st;

	/* Cancelled first: the refresh arms it again. */
	pkiks_timer_cancel_label(tp->set->ks, tp->cfg.name,
				 PKIKS_TIMER_GENERIC, TP_CRL_LABEL);
	if (!pkid_revcheck_crl(tp->cfg.revocation_check))
		return;
	if (!tp->crl_loaded)
		crl_restore(tp);
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) < 0) {
		crl_schedule(tp);
		return;
	}
	if (!st.ca_cert) {
		crl_schedule(tp); /* no CA yet: look again later */
	} else if (tp_crl_refresh(tp, &st) > 0) {
		if (tp->cfg.on_change[0])
			tp_run_hook(tp, "crl");
	}
	db_tp_free(&st);
}

/*
 * At start and whenever the keystore or its clock comes back (under the
 * set's lock; @timers: the keystore's list): a trustpoint that keeps a CRL
 * has its refresh timer (at the stored CRL's nextUpdate, at once when
 * there is none or it passed), one that does not has none.
 */
void tp_crl_resume(struct tp *tp, const struct pkiks_timer_info *timers,
		   size_t n)
{
	bool armed = tp_has_timer(tp, timers, n, tp_is_crl_timer);
	int64_t now;

	if (!pkid_revcheck_crl(tp->cfg.revocation_check)) {
		if (armed)
			pkiks_timer_cancel_label(tp->set->ks, tp->cfg.name,
						 PKIKS_TIMER_GENERIC,
						 TP_CRL_LABEL);
		return;
	}
	if (!tp->crl_loaded)
		crl_restore(tp);
	if (armed || tp_now(tp, &now) < 0)
		return;
	crl_arm(tp, tp->crl_next > now ? tp->crl_next : now);
}

bool tp_is_crl_timer(const struct pkiks_timer_info *t)
{
	return t->kind == PKIKS_TIMER_GENERIC && !strcmp(t->label, TP_CRL_LABEL);
}
