// SPDX-License-Identifier: MIT
/*
 * `revocation-check ocsp` (also `ocsp crl`, `crl ocsp`): the trustpoint
 * asks its own identity's status, the way a peer would, and keeps the
 * answer for the consumers (a TLS server staples it; IKE sends it).
 *
 *   ask      `ocsp url URL` when configured, else the identity's AIA
 *            OCSP URL; GET (RFC 6960 A.1: URL/base64 of the DER request),
 *            one CertID (SHA-1, as RFC 5019 clients send), no nonce: a
 *            responder answers from its cache, and freshness comes from
 *            thisUpdate/nextUpdate
 *   verify   OCSP_basic_verify against the trustpoint's CA certificate at
 *            the keystore's time (a delegated responder needs
 *            id-kp-OCSPSigning and a certificate from that CA); an answer
 *            for the identity's CertID; thisUpdate not in the future,
 *            nextUpdate present and ahead.  Anything else is refused and
 *            the previous response kept
 *   store    DER in the state directory (trustpoint-NAME.ocsp)
 *   export   DER to `ocsp export PATH` (atomically), then `on-change`
 *            with PKID_EVENT=ocsp when the response changed
 *   log      each status change; revoked is %PKI-3-OCSP_REVOKED
 *
 * The refresh is the keystore timer GENERIC "ocsp-refresh" (as the CRL's):
 * armed half-way from thisUpdate to nextUpdate, so a fresh response is
 * always held (ocsp_schedule), or TP_OCSP_RETRY seconds on when the
 * responder cannot be reached or its answer is refused; also after each
 * install, renewal and shadow switch (tp_export).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "tp_internal.h"
#include "core/log.h"

#define TP_OCSP_RETRY 10 /* seconds (keystore clock) */
#define TP_OCSP_SKEW 300 /* thisUpdate may be this far ahead of us */
#define TP_OCSP_PATH_MAX (PKID_CONF_PATH_MAX + PKID_CONF_NAME_MAX + 32)
/* A response for one certificate: a few KiB; refuse anything larger. */
#define TP_OCSP_FILE_MAX (64 * 1024)

static const struct pkid_tag revoked_tag = {LOG_ERR, "OCSP_REVOKED"};

static void ocsp_path(const struct tp *tp, char *buf, size_t size)
{
	snprintf(buf, size, "%s/trustpoint-%s.ocsp", tp->set->crl_dir,
		 tp->cfg.name);
}

static int64_t gt_seconds(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* The configured URL, else the identity's first AIA OCSP URL. */
static int responder_url(const struct tp *tp, X509 *id, char *buf,
			 size_t size)
{
	STACK_OF(OPENSSL_STRING) *aia;
	int ret = -ENOENT;

	if (tp->cfg.ocsp_url[0]) {
		snprintf(buf, size, "%s", tp->cfg.ocsp_url);
		return 0;
	}
	aia = X509_get1_ocsp(id);
	if (sk_OPENSSL_STRING_num(aia) > 0 &&
	    snprintf(buf, size, "%s", sk_OPENSSL_STRING_value(aia, 0)) <
		    (int)size)
		ret = 0;
	X509_email_free(aia);
	return ret;
}

/* URL "/" percent-encoded base64 of the DER request (RFC 6960 A.1). */
static int get_url(const char *base, const unsigned char *der, int len,
		   char *out, size_t size)
{
	unsigned char b64[512];
	size_t n, o;
	int b;

	if (len <= 0 || (size_t)len > sizeof(b64) / 4 * 3 - 4)
		return -E2BIG;
	b = EVP_EncodeBlock(b64, der, len);
	o = (size_t)snprintf(out, size, "%s%s", base,
			     base[0] && base[strlen(base) - 1] == '/' ? "" : "/");
	for (n = 0; n < (size_t)b && o + 4 < size; n++) {
		if (b64[n] == '+' || b64[n] == '/' || b64[n] == '=')
			o += snprintf(out + o, size - o, "%%%02X", b64[n]);
		else
			out[o++] = (char)b64[n];
	}
	if (n < (size_t)b || o >= size)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

/* The request for @cid, as a GET URL. */
static int make_url(const char *base, OCSP_CERTID *cid, char *out, size_t size)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *c = OCSP_CERTID_dup(cid);
	unsigned char *der = NULL;
	int len = -1, ret = -ENOMEM;

	if (!req || !c || !OCSP_request_add0_id(req, c))
		goto out;
	c = NULL;
	len = i2d_OCSP_REQUEST(req, &der);
	ret = len > 0 ? get_url(base, der, len, out, size) : -ENOMEM;
out:
	OCSP_CERTID_free(c);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
	return ret;
}

struct ocsp_answer {
	int status; /* V_OCSP_CERTSTATUS_* */
	int reason;
	int64_t this_update, next_update, revoked_at;
};

/* Signed for the CA (directly or by its delegated responder), now. */
static int verify_basic(OCSP_BASICRESP *bs, X509 *ca, int64_t now,
			const char **why)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *ca_only = sk_X509_new_null();
	int ret = -ENOMEM;

	if (!store || !ca_only || !X509_STORE_add_cert(store, ca) ||
	    !sk_X509_push(ca_only, ca))
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)now);
	ret = -EKEYREJECTED;
	*why = "its signature or responder certificate does not verify "
	       "under the CA";
	/* ca_only as extra signer candidates: the CA may sign directly. */
	if (OCSP_basic_verify(bs, ca_only, store, 0) > 0)
		ret = 0;
	ERR_clear_error();
out:
	sk_X509_free(ca_only);
	X509_STORE_free(store);
	return ret;
}

/* Parse and verify a response for @cid at @now into @a. */
static int check_response(const unsigned char *der, size_t len,
			  OCSP_CERTID *cid, X509 *ca, int64_t now,
			  struct ocsp_answer *a, const char **why)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
	int ret = -EBADMSG;

	*why = "not an OCSP response";
	if (!resp || p != der + len)
		goto out;
	*why = "the responder did not answer successful";
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		goto out;
	*why = "no basic response";
	bs = OCSP_response_get1_basic(resp);
	if (!bs)
		goto out;
	ret = verify_basic(bs, ca, now, why);
	if (ret < 0)
		goto out;
	ret = -EBADMSG;
	*why = "no answer for the identity certificate";
	if (!OCSP_resp_find_status(bs, cid, &a->status, &a->reason, &rev,
				   &thisu, &nextu))
		goto out;
	a->this_update = gt_seconds(thisu);
	a->next_update = gt_seconds(nextu);
	a->revoked_at = gt_seconds(rev);
	*why = "thisUpdate is in the future";
	if (!a->this_update || a->this_update > now + TP_OCSP_SKEW)
		goto out;
	*why = "no nextUpdate, or it has passed";
	if (a->next_update <= now)
		goto out;
	ret = 0;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return ret;
}

static int write_atomic(const char *path, const unsigned char *der, size_t len)
{
	char tmp[TP_OCSP_PATH_MAX + 8];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	ok = f && fwrite(der, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, path) < 0)
		ok = 0;
	if (!ok) {
		pkid_log(LOG_ERR, NULL, "cannot write %s", path);
		unlink(tmp);
	}
	return ok ? 0 : -EIO;
}

/* 1 if @der differs from the stored response (or there is none). */
static int differs(const struct tp *tp, const unsigned char *der, size_t len)
{
	char path[TP_OCSP_PATH_MAX];
	unsigned char *old;
	FILE *f;
	long n;
	int ret = 1;

	ocsp_path(tp, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return 1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) == (long)len &&
	    fseek(f, 0, SEEK_SET) == 0 && (old = malloc(len))) {
		ret = fread(old, 1, len, f) != len || memcmp(old, der, len);
		free(old);
	}
	fclose(f);
	return ret;
}

/* Store and export; 1 if it changed. */
static int keep(struct tp *tp, const unsigned char *der, size_t len)
{
	char path[TP_OCSP_PATH_MAX];
	int changed = differs(tp, der, len), ret = 0;

	ocsp_path(tp, path, sizeof(path));
	if (changed)
		ret = write_atomic(path, der, len);
	if (ret == 0 && tp->cfg.ocsp_export_path[0] &&
	    (changed || access(tp->cfg.ocsp_export_path, F_OK) < 0))
		ret = write_atomic(tp->cfg.ocsp_export_path, der, len);
	return ret < 0 ? ret : changed;
}

static void ocsp_arm(struct tp *tp, int64_t at)
{
	tp_arm_generic(tp, TP_OCSP_LABEL, "the OCSP refresh", at);
}

/*
 * Half-way from thisUpdate to nextUpdate while the response is fresh.  A
 * responder that answers from its cache (pkid's re-signs with each CRL)
 * may hand back the same response past that point: then half-way from
 * now to nextUpdate, so the attempts until nextUpdate stay logarithmic in
 * number; soon (TP_OCSP_RETRY) when no fresh response is held.
 */
static void ocsp_schedule(struct tp *tp)
{
	int64_t now, at;

	if (tp_now(tp, &now) < 0)
		return;
	at = tp->ocsp_this + (tp->ocsp_next - tp->ocsp_this) / 2;
	if (at <= now)
		at = now + (tp->ocsp_next - now) / 2;
	if (tp->ocsp_next <= now || at < now + TP_OCSP_RETRY)
		at = now + TP_OCSP_RETRY;
	ocsp_arm(tp, at);
}

static const char *status_name(int s)
{
	return s == V_OCSP_CERTSTATUS_GOOD	 ? "good"
	       : s == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
						: "unknown";
}

static void log_status(struct tp *tp, const struct ocsp_answer *a,
		       const char *from)
{
	if (a->status == tp->ocsp_status && tp->ocsp_this)
		return;
	if (a->status == V_OCSP_CERTSTATUS_REVOKED)
		pkid_log(revoked_tag.level, revoked_tag.tag,
			 "trustpoint %s: the identity certificate is revoked "
			 "(OCSP %s: revoked at %lld, reason %d)",
			 tp->cfg.name, from, (long long)a->revoked_at,
			 a->reason);
	else
		pkid_log(a->status == V_OCSP_CERTSTATUS_GOOD ? LOG_INFO
							      : LOG_WARNING,
			 NULL, "trustpoint %s: identity certificate status %s "
			       "(OCSP %s)",
			 tp->cfg.name, status_name(a->status), from);
}

/* Ask, verify, keep: 1 changed, 0 same, -errno (the old one stays). */
static int refresh(struct tp *tp, const struct db_tp *st, char *from,
		   size_t size)
{
	X509 *id = tp_x509(st->id_cert, st->id_cert_len);
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	OCSP_CERTID *cid = NULL;
	struct ocsp_answer a = {0};
	unsigned char *der = NULL;
	char url[PKID_CONF_URL_MAX + 1024];
	const char *why = "no identity or CA certificate";
	size_t len = 0;
	int64_t now;
	int ret = -ENOENT;

	if (!id || !ca)
		goto refused;
	why = "no OCSP URL (ocsp url, or the certificate's AIA)";
	ret = responder_url(tp, id, from, size);
	if (ret < 0)
		goto refused;
	cid = OCSP_cert_to_id(NULL, id, ca);
	ret = cid ? make_url(from, cid, url, sizeof(url)) : -ENOMEM;
	ret = ret ?: tp_now(tp, &now);
	if (ret < 0)
		goto out;
	ret = tp->set->proto->fetch(url, &der, &len);
	if (ret < 0) {
		pkid_log(LOG_WARNING, NULL,
			 "trustpoint %s: OCSP responder %s: %s", tp->cfg.name,
			 from, strerror(-ret));
		goto out;
	}
	ret = len > TP_OCSP_FILE_MAX ? -EFBIG
				     : check_response(der, len, cid, ca, now,
						      &a, &why);
	if (ret < 0)
		goto refused;
	ret = keep(tp, der, len);
	if (ret < 0)
		goto out;
	log_status(tp, &a, from);
	tp->ocsp_status = a.status;
	tp->ocsp_this = a.this_update;
	tp->ocsp_next = a.next_update;
	goto out;
refused:
	pkid_log(LOG_WARNING, NULL,
		 "trustpoint %s: OCSP response from %s refused: %s; keeping "
		 "the previous one",
		 tp->cfg.name, from[0] ? from : "(no URL)", why);
out:
	OCSP_CERTID_free(cid);
	X509_free(id);
	X509_free(ca);
	free(der);
	return ret;
}

int tp_ocsp_refresh(struct tp *tp, const struct db_tp *st)
{
	char from[PKID_CONF_URL_MAX] = "";
	int ret;

	if (!pkid_revcheck_ocsp(tp->cfg.revocation_check) || !st->ca_cert ||
	    !st->id_cert)
		return 0;
	ret = refresh(tp, st, from, sizeof(from));
	ocsp_schedule(tp);
	return ret;
}

void tp_ocsp_on_timer(struct tp *tp)
{
	struct db_tp st;

	pkiks_timer_cancel_label(tp->set->ks, tp->cfg.name,
				 PKIKS_TIMER_GENERIC, TP_OCSP_LABEL);
	if (!pkid_revcheck_ocsp(tp->cfg.revocation_check))
		return;
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) < 0) {
		ocsp_schedule(tp);
		return;
	}
	if (!st.ca_cert || !st.id_cert)
		ocsp_schedule(tp); /* not enrolled yet: look again later */
	else if (tp_ocsp_refresh(tp, &st) > 0 && tp->cfg.on_change[0])
		tp_run_hook(tp, "ocsp");
	db_tp_free(&st);
}

/*
 * At start and when the keystore comes back: a trustpoint that keeps an
 * OCSP response has its refresh timer (at once: the stored response's
 * status is not known to this process), one that does not has none.
 */
void tp_ocsp_resume(struct tp *tp, const struct pkiks_timer_info *timers,
		    size_t n)
{
	bool armed = tp_has_timer(tp, timers, n, tp_is_ocsp_timer);
	int64_t now;

	if (!pkid_revcheck_ocsp(tp->cfg.revocation_check)) {
		if (armed)
			pkiks_timer_cancel_label(tp->set->ks, tp->cfg.name,
						 PKIKS_TIMER_GENERIC,
						 TP_OCSP_LABEL);
		return;
	}
	/* re-armed at once even when a timer of an earlier process is
	 * there: that one was set for a response this process has not
	 * checked (a restart with another `ocsp url` must not wait days) */
	if (tp_now(tp, &now) == 0)
		ocsp_arm(tp, now);
}

bool tp_is_ocsp_timer(const struct pkiks_timer_info *t)
{
	return t->kind == PKIKS_TIMER_GENERIC &&
	       !strcmp(t->label, TP_OCSP_LABEL);
}
