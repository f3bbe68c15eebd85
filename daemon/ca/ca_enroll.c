// SPDX-License-Identifier: MIT
/*
 * The protocol-neutral enrollment entry points (ca.h): the granting
 * policy between a front end (daemon/proto/scep/scep_server.c) and the
 * database.
 *
 *   signer self-signed with the CSR's key,  new enrollment (not a renewal)
 *     or none
 *   signer issued by this CA, valid, not    renewal (SCEP: PKCSReq, Cisco's
 *     revoked                               way, or RenewalReq)
 *   signer from `grant auto trustpoint TP`, granted in any mode but none
 *     valid at now
 *   signer an RA certificate we issued,     granted in any mode but none
 *     with `grant ra-auto`                  (a request an RA forwards)
 *   anything else                           rejected (bad request)
 *
 * Then: `grant none` rejects; a challenge password must be right (static
 * or one-time; a one-time one grants even in manual mode, as on IOS);
 * otherwise `grant auto` issues and manual mode queues the request.  A
 * transactionID seen before is a poll: same outcome, never a second cert.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"
#include "core/testhook.h"

/* Rejected requests kept for `show requests` (without their CSR). */
#define CA_REJECTED_KEEP 64

enum signer_kind {
	SIGNER_NEW,	/* self-signed with the request's key */
	SIGNER_RENEW,	/* a valid certificate we issued */
	SIGNER_TRUSTED, /* issued by `grant auto trustpoint` TP's CA */
	SIGNER_RA,	/* `grant ra-auto`: an RA we certified forwards it */
	SIGNER_BAD,
};

/* Our certificate still valid and not revoked at now? */
static bool issued_valid(struct ca *ca, X509 *signer, int64_t now)
{
	struct db_cert c = {0};
	X509 *stored = NULL;
	int64_t serial;
	bool ok;

	if (!ASN1_INTEGER_get_int64(&serial, X509_get0_serialNumber(signer)) ||
	    db_cert_get(ca->db, ca->cfg.name, serial, &c) < 0)
		return false;
	stored = ca_x509_from_der(c.der, c.der_len);
	ok = stored && X509_cmp(signer, stored) == 0 && c.revoked_at == 0 &&
	     c.not_before <= now && now < c.not_after;
	X509_free(stored);
	db_cert_free(&c);
	return ok;
}

static bool signed_by(X509 *x, X509 *issuer)
{
	return issuer && X509_check_issued(issuer, x) == X509_V_OK &&
	       X509_verify(x, X509_get0_pubkey(issuer)) == 1;
}

/*
 * RFC 8894 §2.3: a new client signs with a self-signed certificate of the
 * request's key.  Self-issued (subject = issuer) and verifying with its own
 * key is the whole test: X509_check_issued() would also want keyCertSign
 * in a keyUsage, which such throw-away certificates need not carry
 * (micromdm's scepclient marks its own digitalSignature|keyEncipherment).
 */
static bool self_signed_with(X509 *s, EVP_PKEY *key)
{
	return X509_NAME_cmp(X509_get_subject_name(s),
			     X509_get_issuer_name(s)) == 0 &&
	       X509_verify(s, X509_get0_pubkey(s)) == 1 &&
	       EVP_PKEY_eq(X509_get0_pubkey(s), key) == 1;
}

/* Is x inside its validity period at now? */
static bool valid_at(X509 *x, int64_t now)
{
	time_t t = (time_t)now;

	return X509_cmp_time(X509_get0_notBefore(x), &t) <= 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &t) > 0;
}

/*
 * @signer chains to @anchor through the intermediates in @chain (CA
 * certificates, each signed by the next, OpenSSL's path validation with
 * @anchor as the only trust anchor) at @now: 1; 0 when it does not reach
 * @anchor; -1 when it does but something in it is not valid at @now.
 */
static int chained_to(X509 *signer, STACK_OF(X509) * chain, X509 *anchor,
		      int64_t now)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int ret = 0, err;

	if (!store || !ctx || !X509_STORE_add_cert(store, anchor) ||
	    !X509_STORE_CTX_init(ctx, store, signer, chain))
		goto out;
	vp = X509_STORE_CTX_get0_param(ctx);
	/* the anchor may itself be an intermediate of the maker's */
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_time(vp, (time_t)now);
	if (X509_verify_cert(ctx) == 1) {
		ret = 1;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	ret = err == X509_V_ERR_CERT_HAS_EXPIRED ||
		      err == X509_V_ERR_CERT_NOT_YET_VALID
		      ? -1
		      : 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ret;
}

/*
 * Issued by `grant auto trustpoint TP`'s CA (a manufacturer's IDevID CA,
 * another site's CA), directly or through intermediates the client sent
 * (@chain), and valid at now: such a certificate is a credential, and one
 * that has ended (or not begun) is none (RFC 5280).
 * 1: both; 0: not from that CA; -1: from it, but not valid at now.
 */
static int trustpoint_signed(struct ca *ca, X509 *signer,
			     STACK_OF(X509) * chain, int64_t now)
{
	struct db_tp tp = {0};
	X509 *tp_ca;
	int ok;

	if (!ca->cfg.grant_auto_tp[0] ||
	    db_tp_get(ca->db, ca->cfg.grant_auto_tp, &tp) < 0)
		return 0;
	tp_ca = ca_x509_from_der(tp.ca_cert, tp.ca_cert_len);
	if (signed_by(signer, tp_ca))
		ok = valid_at(signer, now) ? 1 : -1;
	else
		ok = tp_ca && sk_X509_num(chain) > 0
			     ? chained_to(signer, chain, tp_ca, now)
			     : 0;
	X509_free(tp_ca);
	db_tp_free(&tp);
	return ok;
}

/* IOS's mark of an RA certificate: CN or OU "ioscs RA". */
static bool ra_subject(X509 *x)
{
	static const int nids[] = {NID_commonName, NID_organizationalUnitName};
	const X509_NAME *n = X509_get_subject_name(x);
	const ASN1_STRING *v;
	size_t i;
	int at;

	for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++)
		for (at = -1; (at = X509_NAME_get_index_by_NID(n, nids[i], at)) >= 0;) {
			v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, at));
			if (ASN1_STRING_length(v) == 8 &&
			    !strncasecmp((const char *)ASN1_STRING_get0_data(v),
					 "ioscs RA", 8))
				return true;
		}
	return false;
}

/*
 * `grant ra-auto` (IOS): the request comes from an RA this CA certified:
 * its valid certificate names "ioscs RA" and is for another key than the
 * request's (the RA forwards a client's CSR; its own renewal is a
 * renewal).  Without `grant ra-auto` such a request is a renewal-signed
 * one, as before.
 */
static bool from_ra(struct ca *ca, const struct ca_enroll_req *req)
{
	return ca->cfg.grant_ra_auto && ra_subject(req->signer) &&
	       EVP_PKEY_eq(X509_get0_pubkey(req->signer),
			   X509_REQ_get0_pubkey(req->csr)) != 1;
}

static enum signer_kind classify_signer(struct ca *ca, const struct ca_pub *pub,
					const struct ca_enroll_req *req,
					int64_t now, const char **why)
{
	X509 *s = req->signer;

	if (!s || self_signed_with(s, X509_REQ_get0_pubkey(req->csr))) {
		if (!req->renewal)
			return SIGNER_NEW;
		*why = "a RenewalReq signed by a self-signed certificate";
		return SIGNER_BAD;
	}
	if (signed_by(s, pub->k.ca_cert)) {
		if (issued_valid(ca, s, now))
			return from_ra(ca, req) ? SIGNER_RA : SIGNER_RENEW;
		*why = "the signer certificate is not one of ours, valid and "
		       "not revoked";
		return SIGNER_BAD;
	}
	switch (trustpoint_signed(ca, s, req->signer_chain, now)) {
	case 1:
		return SIGNER_TRUSTED;
	case -1:
		*why = "the signer certificate from the grant auto "
		       "trustpoint's CA is not valid now";
		return SIGNER_BAD;
	}
	*why = "the signer is neither self-signed with the request's key nor "
	       "issued by this CA (or the grant auto trustpoint's)";
	return SIGNER_BAD;
}

/* The static `password` of the config, else a one-time one (used up). */
static bool challenge_ok(struct ca *ca, const char *pw, int64_t now)
{
	size_t n = strlen(ca->cfg.password);

	/* Constant time: the length is no secret, the bytes are. */
	if (n && strlen(pw) == n && !CRYPTO_memcmp(pw, ca->cfg.password, n))
		return true;
	return db_otp_consume(ca->db, ca->cfg.name, pw, now) == 0;
}

/*
 * A challenge, counted per client address and per subject (ca_limit.c):
 * while either must wait the password is not even compared, so a guess
 * during the wait is wasted whether it was right or not.
 */
static bool challenge_checked(struct ca *ca, const struct ca_enroll_req *req,
			      int64_t now)
{
	const char *peer = req->source ? req->source : "";
	char subject[CA_LIMIT_KEY_MAX];
	int64_t t = ca_limit_now(), ws, wj;
	unsigned int n = 0;

	X509_NAME_oneline(X509_REQ_get_subject_name(req->csr), subject,
			  sizeof(subject));
	if (ca_limit_wait(ca->by_source, peer, t) > 0 ||
	    ca_limit_wait(ca->by_subject, subject, t) > 0)
		return false;
	if (challenge_ok(ca, req->challenge, now)) {
		ca_limit_ok(ca->by_source, peer, t);
		ca_limit_ok(ca->by_subject, subject, t);
		return true;
	}
	ws = ca_limit_fail(ca->by_source, peer, t, &n);
	wj = ca_limit_fail(ca->by_subject, subject, t, NULL);
	pkid_log(LOG_WARNING, "CS_CHALLENGE_FAILED",
		 "%s: tid %s: wrong challenge password from %s for %s (%u in "
		 "a row from there); its next challenge is looked at in %lld s",
		 ca->cfg.name, req->transaction_id, peer[0] ? peer : "?",
		 subject, n, (long long)((ws > wj ? ws : wj) + 999) / 1000);
	return false;
}

/*
 * A challenge on a new enrollment: the static password or a one-time one
 * grants (even in manual mode, as on IOS), compared only when neither the
 * client's address nor the subject must wait (challenge_checked).  Under
 * `grant auto` with no static password IOS ignores the challenge: the
 * request would be granted without one (issue 13: a seed client sends its
 * trustpoint's password to a CA that has none).  With a password, a
 * challenge is required (decide()).
 */
static enum db_req_state decide_challenge(struct ca *ca,
					  const struct ca_enroll_req *req,
					  int64_t now, const char **why)
{
	if (!ca->cfg.password[0] && ca->cfg.grant == PKID_GRANT_AUTO) {
		/* a valid one-time password is still used up */
		if (!challenge_ok(ca, req->challenge, now))
			*why = "challenge ignored: no password configured, "
			       "grant auto";
		return DB_REQ_GRANTED;
	}
	if (challenge_checked(ca, req, now))
		return DB_REQ_GRANTED;
	*why = ca->cfg.password[0]
		       ? "wrong challenge password"
		       : "challenge password is not a valid one-time password";
	return DB_REQ_REJECTED;
}

static bool challenge_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static enum db_req_state decide(struct ca *ca, enum signer_kind kind,
				const struct ca_enroll_req *req, int64_t now,
				const char **why)
{
	if (kind == SIGNER_BAD)
		return DB_REQ_REJECTED; /* *why set by classify_signer */
	if (ca->cfg.grant == PKID_GRANT_NONE) {
		*why = "grant none";
		return DB_REQ_REJECTED;
	}
	if (kind == SIGNER_TRUSTED || kind == SIGNER_RA)
		return DB_REQ_GRANTED;
	/* A password is text: one with control characters is malformed,
	 * whatever the CA would do with a challenge. */
	if (kind == SIGNER_NEW && req->challenge &&
	    !challenge_printable(req->challenge)) {
		*why = "challenge password holds control characters";
		return DB_REQ_REJECTED;
	}
	if (kind == SIGNER_NEW && req->challenge)
		return decide_challenge(ca, req, now, why);
	/* A configured password is required: `grant auto` does not stand
	 * in for it (strongSwan without --password was granted). */
	if (kind == SIGNER_NEW && ca->cfg.password[0] &&
	    ca->cfg.grant == PKID_GRANT_AUTO) {
		*why = "no challenge password (one is configured)";
		return DB_REQ_REJECTED;
	}
	return ca->cfg.grant == PKID_GRANT_AUTO ? DB_REQ_GRANTED
						: DB_REQ_PENDING;
}

/* Issue the certificate of a granted request (CSR parsed) and mark it. */
static int issue_parsed(struct ca *ca, const struct ca_pub *pub,
			struct db_request *r, X509_REQ *csr, int64_t now,
			X509 **out)
{
	struct ca_issue_params ip = {.now = now,
				     .request_id = r->id,
				     .csr = csr,
				     .pre = ca->presign};
	int64_t serial;
	int ret;

	/* A sub's rollover CA starts where its current one ends. */
	ip.not_before = ca_sub_roll_start(ca, pub, r, csr, now);
	ret = ca_issue(ca, pub, &ip, out);
	if (ret < 0)
		return ret;
	ASN1_INTEGER_get_int64(&serial, X509_get0_serialNumber(*out));
	ret = db_request_set_state(ca->db, r->id, DB_REQ_ISSUED, serial);
	r->state = DB_REQ_ISSUED;
	r->serial = serial;
	return ret;
}

/* The same from the stored row: the CSR is decoded from its DER. */
int ca_issue_request(struct ca *ca, const struct ca_pub *pub,
		     struct db_request *r, int64_t now, X509 **out)
{
	const unsigned char *p = r->csr;
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, (long)r->csr_len);
	int ret;

	if (!csr)
		return -EBADMSG;
	ret = issue_parsed(ca, pub, r, csr, now, out);
	X509_REQ_free(csr);
	return ret;
}

/*
 * A repeated transactionID is answered from its record only for the key
 * it was made for (a resent request: the same key, its CSR maybe signed
 * anew).  The public keys are compared as encoded; the stored CSR is
 * decoded only on a repeat, which is rare (polls come as CertPoll).
 */
static bool same_key(const struct db_request *r, X509_REQ *csr)
{
	const unsigned char *p = r->csr;
	X509_REQ *stored;
	unsigned char *a = NULL, *b = NULL;
	int la, lb;
	bool same = false;

	if (!csr)
		return true; /* no CSR with the call: nothing to compare */
	stored = d2i_X509_REQ(NULL, &p, (long)r->csr_len);
	if (!stored)
		goto out;
	la = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(stored), &a);
	lb = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr), &b);
	same = la > 0 && la == lb && !memcmp(a, b, (size_t)la);
out:
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_REQ_free(stored);
	ERR_clear_error();
	return same;
}

static void reject(struct ca_result *res, enum ca_reason reason,
		   const char *why)
{
	res->outcome = CA_REJECTED;
	res->reason = reason;
	if (why)
		res->why = why;
}

/*
 * The answer a stored request gets (first time, poll, or repeat); pub is
 * the issuing CA (the current one, or a view of the rollover CA).  csr:
 * the request's CSR already parsed (a new request), else NULL and the
 * stored one is decoded (decoding a public key is costly in OpenSSL 3).
 */
static int outcome(struct ca *ca, const struct ca_pub *pub,
		   struct db_request *r, X509_REQ *csr, int64_t now,
		   struct ca_result *res)
{
	struct db_cert c = {0};
	int ret;

	/* An expired CA issues nothing: not now, not when granted later. */
	if ((r->state == DB_REQ_PENDING || r->state == DB_REQ_GRANTED) &&
	    ca_pub_expired(pub, now)) {
		ca_note_expired(ca);
		reject(res, CA_REASON_BAD_TIME, NULL);
		return 0;
	}
	switch (r->state) {
	case DB_REQ_PENDING:
		res->outcome = CA_PENDING;
		return 0;
	case DB_REQ_REJECTED:
		reject(res, CA_REASON_BAD_REQUEST,
		       res->why ? NULL
				: "rejected earlier (repeated transactionID "
				  "or CertPoll)");
		return 0;
	case DB_REQ_GRANTED:
		if (ca_is_ra(ca)) {
			/* mode ra: the upstream CA issues (ca_ra_fwd.c) */
			res->outcome = CA_PENDING;
			res->forward = true;
			return 0;
		}
		ret = csr ? issue_parsed(ca, pub, r, csr, now, &res->cert)
			  : ca_issue_request(ca, pub, r, now, &res->cert);
		break;
	case DB_REQ_ISSUED:
		ret = db_cert_get(ca->db, ca->cfg.name, r->serial, &c);
		if (ret == 0) {
			res->cert = ca_x509_from_der(c.der, c.der_len);
			ret = res->cert ? 0 : -EBADMSG;
		}
		db_cert_free(&c);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret == 0)
		res->outcome = CA_ISSUED;
	return ret;
}

static unsigned char *der_copy(const unsigned char *der, int n)
{
	unsigned char *d = n > 0 ? malloc(n) : NULL;

	if (d)
		memcpy(d, der, n);
	return d;
}

/* SHA-256 of the CSR, upper-case hex: `show requests` Fingerprint. */
static void csr_fingerprint(struct db_request *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(r->csr, r->csr_len, md, &n, EVP_sha256(), NULL))
		return; /* left empty: only shown, never matched */
	for (i = 0; i < n && 2 * i + 2 < sizeof(r->fingerprint); i++)
		snprintf(r->fingerprint + 2 * i, 3, "%02X", md[i]);
}

/* The request row; r keeps malloc'd copies (db_request_free frees). */
static int store_request(struct ca *ca, const struct ca_enroll_req *req,
			 enum db_req_state state, int64_t now,
			 struct db_request *r)
{
	unsigned char *csr = NULL, *signer = NULL;
	char *subject;
	int n, m = 0, ret;

	snprintf(r->server, sizeof(r->server), "%s", ca->cfg.name);
	snprintf(r->tid, sizeof(r->tid), "%s", req->transaction_id);
	r->state = state;
	subject =
		X509_NAME_oneline(X509_REQ_get_subject_name(req->csr), NULL, 0);
	r->subject = subject ? strdup(subject) : NULL;
	OPENSSL_free(subject);
	n = i2d_X509_REQ(req->csr, &csr);
	if (req->signer)
		m = i2d_X509(req->signer, &signer);
	r->csr = der_copy(csr, n);
	r->csr_len = n;
	r->signer = der_copy(signer, m);
	r->signer_len = m > 0 ? m : 0;
	OPENSSL_free(csr);
	OPENSSL_free(signer);
	if (!r->subject || !r->csr || (req->signer && !r->signer))
		return -ENOMEM;
	csr_fingerprint(r);
	r->created = now;
	r->expires = now + ca->cfg.lifetime_enrollreq;
	r->generation = req->generation == CA_GEN_ROLLOVER;
	if (state != DB_REQ_REJECTED)
		return db_request_add(ca->db, r);
	/*
	 * Rejected (unauthenticated, wrong challenge, bad signer): a row for
	 * `show requests` and for a repeat of its transactionID, without
	 * the CSR and signer (up to 64 KiB a request), the newest
	 * CA_REJECTED_KEEP for lifetime enrollment-request at most.
	 */
	free(r->csr);
	free(r->signer);
	r->csr = r->signer = NULL;
	r->csr_len = r->signer_len = 0;
	ret = db_request_add(ca->db, r);
	return ret ?: db_request_prune(ca->db, ca->cfg.name, DB_REQ_REJECTED,
				       now, CA_REJECTED_KEEP);
}

int ca_store_pending(struct ca *ca, X509_REQ *csr, const char *tid,
		     int64_t now, struct db_request *r)
{
	const struct ca_enroll_req req = {.csr = csr, .transaction_id = tid};

	return store_request(ca, &req, DB_REQ_PENDING, now, r);
}

static int enroll(struct ca *ca, const struct ca_pub *pub,
		  const struct ca_pub *issuer, const struct ca_enroll_req *req,
		  int64_t now, struct ca_result *res)
{
	struct db_request r = {0};
	enum signer_kind kind;
	enum db_req_state state;
	char why[160];
	int ret;

	ret = db_request_by_tid(ca->db, ca->cfg.name, req->transaction_id, &r);
	if (ret == 0 && !same_key(&r, req->csr)) {
		/* Not a repeat: someone else's transaction, or a client that
		 * reused its ID for a new key.  The stored one is untouched. */
		pkid_log(LOG_NOTICE, "CS_CSR_REFUSED",
			 "%s: tid %s: transactionID already used for another "
			 "key",
			 ca->cfg.name, req->transaction_id);
		reject(res, CA_REASON_BAD_REQUEST,
		       "transactionID already used for another key");
		goto out;
	}
	if (ret == 0) {
		/* A repeat: a poll, answered from the stored request. */
		ret = outcome(ca, issuer, &r, NULL, now, res);
		goto out;
	}
	if (ret != -ENOENT)
		return ret;
	/* Nothing is stored while the CA cannot issue. */
	if (ca_pub_expired(issuer, now)) {
		ca_note_expired(ca);
		reject(res, CA_REASON_BAD_TIME, "the CA certificate has expired");
		return 0;
	}
	/* Nothing a policy refuses is stored: the log line is its record. */
	if (ca_csr_check(req->csr, why, sizeof(why)) < 0) {
		pkid_log(LOG_NOTICE, "CS_CSR_REFUSED", "%s: tid %s: %s",
			 ca->cfg.name, req->transaction_id, why);
		reject(res, CA_REASON_BAD_REQUEST, NULL);
		return 0;
	}
	kind = classify_signer(ca, pub, req, now, &res->why);
	state = decide(ca, kind, req, now, &res->why);
	/* A request for a CA certificate: stricter (ca_subpolicy.c). */
	state = ca_sub_policy(ca, pub, req, kind == SIGNER_RENEW, state,
			      &res->why);
	ret = store_request(ca, req, state, now, &r);
	if (ret < 0)
		goto out;
	if (r.state == DB_REQ_PENDING)
		ca_rearm_er_expire(ca, now);
	ret = outcome(ca, issuer, &r, req->csr, now, res);
out:
	db_request_free(&r);
	return ret;
}

static int poll(struct ca *ca, const struct ca_pub *issuer, const char *tid,
		int64_t now, struct ca_result *res)
{
	struct db_request r = {0};
	int ret;

	ret = db_request_by_tid(ca->db, ca->cfg.name, tid, &r);
	if (ret == -ENOENT) {
		reject(res, CA_REASON_UNKNOWN,
		       "no request with this transactionID");
		return 0;
	}
	if (ret == 0)
		ret = outcome(ca, issuer, &r, NULL, now, res);
	db_request_free(&r);
	return ret;
}

static int get_cert(struct ca *ca, const struct ca_pub *pub,
		    const X509_NAME *issuer, const ASN1_INTEGER *serial,
		    struct ca_result *res)
{
	struct db_cert c = {0};
	int64_t n;

	reject(res, CA_REASON_UNKNOWN, "no such certificate of this CA");
	if (!issuer || !serial ||
	    X509_NAME_cmp(issuer, X509_get_subject_name(pub->k.ca_cert)) ||
	    !ASN1_INTEGER_get_int64(&n, serial) ||
	    db_cert_get(ca->db, ca->cfg.name, n, &c) < 0)
		return 0;
	res->cert = ca_x509_from_der(c.der, c.der_len);
	db_cert_free(&c);
	if (!res->cert)
		return -EBADMSG;
	res->outcome = CA_ISSUED;
	res->reason = CA_REASON_NONE;
	return 0;
}

static int get_crl(const struct ca_pub *pub, struct ca_result *res)
{
	const unsigned char *p = pub->crl_der;

	res->crl = p ? d2i_X509_CRL(NULL, &p, (long)pub->crl_len) : NULL;
	if (!res->crl)
		reject(res, CA_REASON_UNKNOWN, "no CRL yet");
	else
		res->outcome = CA_ISSUED;
	return 0;
}

/* What one call asks of the CA. */
struct call {
	enum { CALL_CHECK, CALL_ENROLL, CALL_POLL, CALL_GET_CERT,
	       CALL_GET_CRL } kind;
	const struct ca_enroll_req *req;
	const char *tid;
	enum ca_gen gen;
	const X509_NAME *issuer;
	const ASN1_INTEGER *serial;
};

static int handle(struct ca *ca, const struct ca_pub *pub,
		  const struct ca_pub *issuer, const struct call *c,
		  int64_t now, struct ca_result *res)
{
	switch (c->kind) {
	case CALL_ENROLL:
		return enroll(ca, pub, issuer, c->req, now, res);
	case CALL_POLL:
		return poll(ca, issuer, c->tid, now, res);
	case CALL_GET_CERT:
		return get_cert(ca, pub, c->issuer, c->serial, res);
	case CALL_GET_CRL:
		return get_crl(pub, res);
	default:
		return 0;
	}
}

/*
 * One transaction for all a call changes: the request row, the one-time
 * password, the serial, the certificate and the request's new state.  One
 * commit, and it comes before the front end answers: a certificate is
 * durable before its client can see it.  A crash before the commit leaves
 * none of it; a serial reserved in it was never shown to anyone, so
 * handing it out again reuses nothing, and one from the reserved block
 * (an enrollment signed outside the lock, presign_apply) is never handed
 * out again: it stays a gap.  A failed step rolls all of it back
 * (issue 19 #4: a failed <serial>.cer write left a certificate row nobody
 * received and the request granted, so each retry recorded one more): the
 * client gets an error, its one-time password is still good, and a retry
 * of the same transaction starts afresh and records one certificate.
 *
 * The commit is grouped (db.h): written under the CA's lock, made durable
 * by call() after the lock is released, with one fdatasync for all the
 * enrollments committed meanwhile (issue 14: one sync per enrollment
 * inside the lock was what bounded the rate with several clients).
 * *ticket is what call() waits for before anything is answered.
 */
static int handle_in_tx(struct ca *ca, const struct ca_pub *pub,
			const struct ca_pub *issuer, const struct call *c,
			int64_t now, struct ca_result *res, uint64_t *ticket)
{
	int ret;

	ret = db_begin_grouped(ca->db);
	if (ret < 0)
		return ret;
	ret = handle(ca, pub, issuer, c, now, res);
	if (ret < 0) {
		db_rollback(ca->db);
		return ret;
	}
	return db_commit_grouped(ca->db, ticket);
}

/* A reference to the published state, for the length of one call. */
static struct ca_pub *pub_get(struct ca *ca)
{
	struct ca_pub *p, *n = NULL;

	rcu_read_lock();
	p = rcu_dereference(ca->pub);
	if (p)
		n = ca_pub_dup(p);
	rcu_read_unlock();
	return n;
}

/*
 * An enrollment of a new request for an end-entity certificate, whose
 * caller holds the keys (no promotion under it) and found the lock taken:
 * decided under the lock, its certificate signed outside it (struct
 * ca_presign).  Everything else (polls, CA certificates, EST without a
 * held snapshot, an enrollment that found the lock free) signs under the
 * lock as before.  Under lock; false leaves the call as it was.
 */
static bool presign_wanted(struct ca *ca, const struct call *c)
{
	return c->kind == CALL_ENROLL && c->req->keys_held &&
	       !ca_csr_wants_ca(c->req->csr) && ca_serial_block_fill(ca) == 0;
}

/* One pass of the call under the lock, with pre (or NULL). */
static int pass(struct ca *ca, const struct ca_pub *pub,
		const struct ca_pub *issuer, const struct call *c, int64_t now,
		struct ca_result *res, struct ca_presign *pre, uint64_t *ticket)
{
	int ret;

	ca->presign = pre;
	ret = handle_in_tx(ca, pub, issuer, c, now, res, ticket);
	ca->presign = NULL;
	return ret;
}

/*
 * The planned certificate signed without the lock, then the call again
 * under it (APPLY): what changed meanwhile is decided afresh, and the
 * certificate is recorded in the call's one grouped transaction.
 */
static int presign_apply(struct ca *ca, const struct ca_pub *pub,
			 const struct ca_pub *issuer, const struct call *c,
			 int64_t now, struct ca_result *res,
			 struct ca_presign *pre, uint64_t *ticket)
{
	int ret;

	ca_result_free(res);
	memset(res, 0, sizeof(*res));
	ret = ca_presign_sign(pre, issuer->k.ca_key);
	if (ret < 0)
		return ret; /* nothing recorded: the serial stays a gap */
	pre->mode = CA_PRESIGN_APPLY;
	pthread_mutex_lock(&ca->lock);
	ret = ca->running ? pass(ca, pub, issuer, c, now, res, pre, ticket)
			  : -EAGAIN;
	pthread_mutex_unlock(&ca->lock);
	return ret;
}

/*
 * recorded: ca_issue took the certificate signed outside the lock
 * (presigned_for) and its transaction is durable; else it was dropped.
 * The counters prove the path runs (check-ca-presign), and what it wastes.
 */
static void presign_count(struct ca *ca, bool recorded)
{
	__atomic_add_fetch(recorded ? &ca->n_presigned
				    : &ca->n_presign_dropped,
			   1, __ATOMIC_RELAXED);
}

/* The front end's reply, built while the commit syncs (ca_enroll_req
 * .prepare); a request mode ra forwards is not answered yet. */
static void prepare(const struct call *c, struct ca_result *res)
{
	if (c->kind == CALL_ENROLL && c->req->prepare && !res->forward)
		c->req->prepare(c->req->prepare_arg, res);
}

/*
 * The keystore's time (without the lock), then under the CA's lock:
 * running, then the call; an enrollment's certificate is signed between
 * two passes under the lock (presign_apply).  After it, outside the lock,
 * the wait until the call's commit is durable (its result is not returned
 * before); the sync starts at once, and the front end's reply is built
 * while it runs (prepare).  The rollover generation is issued by the
 * rollover CA (a view of it); the front end still signs its answer with
 * the current CA (or RA): the rollover certificates are not valid before
 * the CA's end, and clients (strongSwan) refuse a signer that is not
 * valid yet.
 */
static int call(struct ca *ca, const struct call *c, struct ca_result *res)
{
	struct ca_pub *pub = pub_get(ca);
	struct ca_pub roll_view = {0};
	const struct ca_pub *issuer = pub;
	struct ca_presign pre = {.mode = CA_PRESIGN_PLAN};
	uint64_t ticket = 0;
	int64_t now = 0;
	int ret = 0, tret;
	bool contended, applied, taken;

	memset(res, 0, sizeof(*res));
	if (!pub)
		return -EAGAIN;
	if (c->gen == CA_GEN_ROLLOVER && pub->k.roll_cert) {
		roll_view.k.ca_cert = pub->k.roll_cert;
		roll_view.k.ca_key = pub->k.roll_key;
		issuer = &roll_view;
	}
	tret = ca_now_unlocked(ca, &now);
	/* Deciding twice costs CPU; it pays only while others wait for the
	 * lock, so an enrollment that found it free signs under it. */
	contended = pthread_mutex_trylock(&ca->lock) != 0;
	if (contended) {
		pkid_test_mark("enroll-contended");
		pthread_mutex_lock(&ca->lock);
	}
	/* check-ca-presign holds an enrollment here so the next contends */
	if (c->kind == CALL_ENROLL)
		pkid_test_pause("enroll-locked");
	if (!ca->running)
		ret = -EAGAIN;
	else if (tret < 0)
		reject(res, CA_REASON_BAD_TIME, "time is not authoritative");
	else if (c->kind != CALL_CHECK)
		ret = pass(ca, pub, issuer, c, now, res,
			   contended && presign_wanted(ca, c) ? &pre : NULL,
			   &ticket);
	pthread_mutex_unlock(&ca->lock);
	applied = ret == -EINPROGRESS;
	if (applied)
		ret = presign_apply(ca, pub, issuer, c, now, res, &pre,
				    &ticket);
	taken = applied && !pre.x; /* ca_issue recorded it */
	X509_free(pre.x); /* planned, not used: a gap in the serials */
	if (tret == 0)
		res->now = now;
	/* ca->db stays open while the HTTP server runs (ca_free) */
	if (ret == 0 && ticket)
		db_sync_ahead(ca->db, ticket);
	if (ret == 0)
		prepare(c, res);
	if (ret == 0 && ticket)
		ret = db_sync(ca->db, ticket);
	if (applied)
		presign_count(ca, ret == 0 && taken);
	ca_pub_free(pub);
	if (ret < 0)
		ca_result_free(res);
	return ret;
}

int ca_enroll(struct ca *ca, const struct ca_enroll_req *req,
	      struct ca_result *res)
{
	const struct call c = {
		.kind = CALL_ENROLL, .req = req, .gen = req->generation};
	int ret;

	if (!req->csr || !req->transaction_id)
		return -EINVAL;
	ret = call(ca, &c, res);
	if (ret == 0 && res->forward)
		ret = ca_ra_forward(ca, req->transaction_id, req->generation,
				    res);
	return ret;
}

int ca_poll(struct ca *ca, const char *transaction_id, enum ca_gen generation,
	    struct ca_result *res)
{
	const struct call c = {
		.kind = CALL_POLL, .tid = transaction_id, .gen = generation};
	int ret = call(ca, &c, res);

	if (ret == 0 && res->forward)
		ret = ca_ra_forward(ca, transaction_id, generation, res);
	return ret;
}

int ca_get_cert(struct ca *ca, const X509_NAME *issuer,
		const ASN1_INTEGER *serial, struct ca_result *res)
{
	const struct call c = {
		.kind = CALL_GET_CERT, .issuer = issuer, .serial = serial};

	return call(ca, &c, res);
}

int ca_get_crl(struct ca *ca, struct ca_result *res)
{
	const struct call c = {.kind = CALL_GET_CRL};

	return call(ca, &c, res);
}

int ca_check(struct ca *ca, struct ca_result *res)
{
	const struct call c = {.kind = CALL_CHECK};

	return call(ca, &c, res);
}

void ca_result_free(struct ca_result *res)
{
	X509_free(res->cert);
	X509_CRL_free(res->crl);
	res->cert = NULL;
	res->crl = NULL;
}
