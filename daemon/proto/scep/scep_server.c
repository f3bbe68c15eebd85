// SPDX-License-Identifier: MIT
/*
 * The SCEP server side: a PKIOperation is opened (the envelope decrypted
 * with the key of the CA or RA certificate it names), translated to the
 * CA's protocol-neutral calls (ca_enroll, ca_poll, ca_get_cert,
 * ca_get_crl) and their result encoded as a CertRep:
 *
 *   CA_ISSUED                SUCCESS (the certificate, or the CRL)
 *   CA_PENDING               PENDING
 *   CA_REJECTED bad request  FAILURE badRequest
 *   CA_REJECTED unknown      FAILURE badCertId
 *   CA_REJECTED bad time     FAILURE badTime
 *
 * A request enveloped to the rollover CA (or the RA's successor) asks for
 * the rollover generation; the CertRep is signed by the current CA (or
 * RA) whatever the generation.  GetCACert and GetNextCACert answers are
 * built once per CA state (a struct ca_encoder) and copied out lock-free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "core/log.h"
#include "core/testhook.h"
#include "scep.h"
#include "scep_server.h"

struct scep_server {
	struct ca *ca;
};

/* The answers built per CA state (ca_encoder): never changed once built,
 * so each later publication of the same state shares them (refs). */
struct scep_answers {
	unsigned int refs;
	unsigned char *cacert_der; /* GetCACert */
	size_t cacert_len;
	const char *cacert_type;
	unsigned char *nextca_der; /* GetNextCACert, NULL while no rollover */
	size_t nextca_len;
};

/*
 * What we announce (INTEROP.md): strongSwan 5.9.8 misreads the list and
 * needs AES, DES3, SHA-256 and SHA-384 all present to use POST, 3DES and
 * SHA-256; IOS logs GetNextCACert/Renewal/SHA2; certmonger renews only
 * with Renewal.
 */
static const char caps_text[] = "GetNextCACert\n"
				"Renewal\n"
				"POSTPKIOperation\n"
				"SHA-1\n"
				"SHA-256\n"
				"SHA-384\n"
				"SHA-512\n"
				"AES\n"
				"DES3\n"
				"SCEPStandard\n";

static unsigned char *memdup(const void *p, size_t len)
{
	unsigned char *d = malloc(len ? len : 1);

	if (d && len)
		memcpy(d, p, len);
	return d;
}

/* ---- the answers built per CA state ---- */

/* Dropped by the CA's RCU callback, taken under its lock: atomic. */
static void answers_free(void *data)
{
	struct scep_answers *a = data;

	if (a && __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(a->cacert_der);
		free(a->nextca_der);
		free(a);
	}
}

static void *answers_dup(const void *data)
{
	struct scep_answers *a = (struct scep_answers *)data;

	__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
	return a;
}

/* [CA, RA, chain...] as a degenerate PKCS#7 (SCEP's certs-only answer). */
static int degenerate_of(X509 *a, X509 *b, STACK_OF(X509) * chain,
			 unsigned char **der, size_t *len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	int i, ret = -ENOMEM;

	if (certs && sk_X509_push(certs, a) && (!b || sk_X509_push(certs, b)))
		ret = 0;
	for (i = 0; !ret && i < sk_X509_num(chain); i++)
		if (!sk_X509_push(certs, sk_X509_value(chain, i)))
			ret = -ENOMEM;
	ret = ret ?: scep_degenerate(certs, NULL, der, len);
	sk_X509_free(certs);
	return ret;
}

/*
 * The GetCACert answer: the bare CA cert, or CA + RA as PKCS#7.  A
 * subordinate CA (mode sub-cs) adds its chain up to the root, and answers
 * PKCS#7 even without an RA (RFC 8894 §4.2.1.2: intermediate CA
 * certificates make it x-x509-ca-ra-cert).
 */
static int build_cacert(const struct ca_keys *k, struct scep_answers *a)
{
	unsigned char *der = NULL;
	int n;

	if (k->ra_cert || sk_X509_num(k->chain) > 0) {
		a->cacert_type = "application/x-x509-ca-ra-cert";
		return degenerate_of(k->ca_cert, k->ra_cert, k->chain,
				     &a->cacert_der, &a->cacert_len);
	}
	a->cacert_type = "application/x-x509-ca-cert";
	n = i2d_X509(k->ca_cert, &der);
	a->cacert_der = n > 0 ? memdup(der, (size_t)n) : NULL;
	a->cacert_len = n > 0 ? (size_t)n : 0;
	OPENSSL_free(der);
	return a->cacert_der ? 0 : -ENOMEM;
}

/* GetNextCACert: [rollover CA, RA successor] signed by the current CA;
 * by the RA where there is no CA key (mode ra: RFC 8894 §4.7 lets the
 * CA or RA sign it; clients take an RA certificate the CA issued). */
static int build_next_ca(const struct ca_keys *k, int64_t now,
			 struct scep_answers *a)
{
	STACK_OF(X509) *next;
	int ret = -ENOMEM;

	if (!k->roll_cert)
		return 0;
	next = sk_X509_new_null();
	if (!next || !sk_X509_push(next, k->roll_cert) ||
	    (k->roll_ra_cert && !sk_X509_push(next, k->roll_ra_cert)))
		goto out;
	ret = k->ca_key ? scep_next_ca(k->ca_cert, k->ca_key, k->md, next, now,
				       &a->nextca_der, &a->nextca_len)
			: scep_next_ca(k->ra_cert, k->ra_key, k->md, next, now,
				       &a->nextca_der, &a->nextca_len);
out:
	sk_X509_free(next);
	return ret;
}

static int answers_build(void *arg, const struct ca_keys *k, int64_t now,
			 void **data)
{
	struct scep_answers *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	a->refs = 1;
	ret = build_cacert(k, a);
	ret = ret ?: build_next_ca(k, now, a);
	if (ret < 0) {
		answers_free(a);
		return ret;
	}
	*data = a;
	return 0;
}

int scep_server_new(struct scep_server **out, struct ca *ca)
{
	const struct ca_encoder enc = {
		.build = answers_build,
		.dup = answers_dup,
		.free = answers_free,
	};
	struct scep_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->ca = ca;
	ret = ca_encoder_set(ca, &enc);
	if (ret < 0) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void scep_server_free(struct scep_server *s)
{
	free(s);
}

const char *scep_server_ca_name(const struct scep_server *s)
{
	return ca_name(s->ca);
}

/* ---- lock-free answers ---- */

static int copy_out(const void *data, size_t len, const char *type,
		    struct scep_blob *out)
{
	out->data = memdup(data, len);
	if (!out->data)
		return -ENOMEM;
	out->len = len;
	out->content_type = type;
	return 0;
}

int scep_server_caps(struct scep_server *s, struct scep_blob *out)
{
	return copy_out(caps_text, strlen(caps_text), "text/plain", out);
}

static int read_cacert(void *arg, const void *data)
{
	const struct scep_answers *a = data;

	if (!a)
		return -ENOENT;
	return copy_out(a->cacert_der, a->cacert_len, a->cacert_type, arg);
}

int scep_server_ca_cert(struct scep_server *s, struct scep_blob *out)
{
	return ca_encoded_read(s->ca, read_cacert, out);
}

/* Until a rollover CA exists: -ENOENT (the capability stays announced,
 * as on IOS). */
static int read_nextca(void *arg, const void *data)
{
	const struct scep_answers *a = data;

	if (!a || !a->nextca_der)
		return -ENOENT;
	return copy_out(a->nextca_der, a->nextca_len,
			"application/x-x509-next-ca-cert", arg);
}

int scep_server_next_ca_cert(struct scep_server *s, struct scep_blob *out)
{
	return ca_encoded_read(s->ca, read_nextca, out);
}

int scep_server_crl(struct scep_server *s, struct scep_blob *out)
{
	int ret = ca_crl_der(s->ca, &out->data, &out->len);

	if (ret == 0)
		out->content_type = "application/pkix-crl";
	return ret;
}

/* ---- PKIOperation ---- */

/*
 * Our certificates a client may envelope to: the CA (or RA), and while a
 * rollover exists, the rollover CA (or the RA's successor).  Returns how
 * many.
 */
static size_t recipients(const struct ca_keys *k, struct scep_recipient *r)
{
	r[0].cert = k->ra_cert ? k->ra_cert : k->ca_cert;
	r[0].key = k->ra_cert ? k->ra_key : k->ca_key;
	if (!k->roll_cert)
		return 1;
	r[1].cert = k->roll_ra_cert ? k->roll_ra_cert : k->roll_cert;
	r[1].key = k->roll_ra_cert ? k->roll_ra_key : k->roll_key;
	return 2;
}

static bool is_enrollment(const struct scep_request *req)
{
	return req->type == SCEP_MSG_PKCSREQ ||
	       req->type == SCEP_MSG_RENEWALREQ;
}

/* The CertRep's status for the CA's result (takes cert and crl). */
static void to_reply(struct ca_result *res, struct scep_reply *rep)
{
	rep->why = res->why;
	switch (res->outcome) {
	case CA_ISSUED:
		rep->status = SCEP_STATUS_SUCCESS;
		rep->issued = res->cert;
		rep->crl = res->crl;
		res->cert = NULL;
		res->crl = NULL;
		return;
	case CA_PENDING:
		rep->status = SCEP_STATUS_PENDING;
		return;
	default:
		rep->status = SCEP_STATUS_FAILURE;
		rep->fail = res->reason == CA_REASON_BAD_TIME
				    ? SCEP_FAIL_BAD_TIME
			    : res->reason == CA_REASON_UNKNOWN
				    ? SCEP_FAIL_BAD_CERT_ID
				    : SCEP_FAIL_BAD_REQUEST;
	}
}

/*
 * The CertRep of one PKIOperation, signed by the current CA (or RA).  An
 * enrollment's is built by ca_enroll's prepare while its commit syncs;
 * everything else's after the CA's call.  It leaves only once the call
 * has returned 0 (scep_server_pki_operation).
 */
struct answer {
	const struct scep_request *req;
	const struct scep_recipient *signer;
	const EVP_MD *md;
	struct scep_reply rep;
	unsigned char *der; /* malloc'd */
	size_t len;
	int ret;
	bool built;
};

static void answer_sign(struct answer *a, int64_t now)
{
	a->ret = scep_reply(a->req, &a->rep, a->signer->cert, a->signer->key,
			    a->md, now, &a->der, &a->len);
	a->built = true;
}

/* ca_enroll_req.prepare: the answer, while the enrollment syncs. */
static void answer_prepare(void *arg, struct ca_result *res)
{
	struct answer *a = arg;

	to_reply(res, &a->rep);
	answer_sign(a, res->now);
}

/* The CA's call for a parsed message. */
static int ask_ca(struct ca *ca, const struct scep_request *req,
		  enum ca_gen gen, const char *peer, struct ca_result *res,
		  struct answer *a)
{
	const struct ca_enroll_req er = {
		.csr = req->csr,
		.signer = req->signer,
		.challenge = req->challenge,
		.transaction_id = req->transaction_id,
		.generation = gen,
		.renewal = req->type == SCEP_MSG_RENEWALREQ,
		.source = peer,
		/* scep_server_pki_operation holds ca_keys_get() until
		 * its reply is built */
		.keys_held = true,
		.prepare = answer_prepare,
		.prepare_arg = a,
	};
	int ret;

	if (is_enrollment(req))
		return ca_enroll(ca, &er, res);
	switch (req->type) {
	case SCEP_MSG_CERTPOLL:
		return ca_poll(ca, req->transaction_id, gen, res);
	case SCEP_MSG_GETCERT:
		return ca_get_cert(ca, req->issuer, req->serial, res);
	case SCEP_MSG_GETCRL:
		return ca_get_crl(ca, res);
	default:
		ret = ca_check(ca, res);
		if (ret == 0 && res->reason != CA_REASON_BAD_TIME) {
			res->outcome = CA_REJECTED;
			res->reason = CA_REASON_BAD_REQUEST;
			res->why = "unsupported message type";
		}
		return ret;
	}
}

/* A message the codec refused (rep->fail set): the CA must still be
 * running, and the answer carries its time. */
static int refused(struct ca *ca, struct ca_result *res,
		   struct scep_reply *rep)
{
	int ret = ca_check(ca, res);

	rep->why = "the message does not verify or decrypt";
	if (ret == 0 && res->reason == CA_REASON_BAD_TIME) {
		rep->fail = SCEP_FAIL_BAD_TIME;
		rep->why = res->why;
	}
	return ret;
}

static void log_request(struct ca *ca, const struct scep_request *req,
			const struct scep_reply *rep)
{
	static const char *const status[] = {[SCEP_STATUS_SUCCESS] = "SUCCESS",
					     [SCEP_STATUS_FAILURE] = "FAILURE",
					     [SCEP_STATUS_PENDING] = "PENDING"};
	static const enum ca_outcome outcome[] = {
		[SCEP_STATUS_SUCCESS] = CA_ISSUED,
		[SCEP_STATUS_FAILURE] = CA_REJECTED,
		[SCEP_STATUS_PENDING] = CA_PENDING};
	/* Enrollments are the operator's business; polls and GETs are not. */
	static const struct pkid_tag enrolled[] = {
		[SCEP_STATUS_SUCCESS] = {LOG_INFO, "CS_GRANT"},
		[SCEP_STATUS_PENDING] = {LOG_INFO, "CS_PENDING"},
		[SCEP_STATUS_FAILURE] = {LOG_INFO, "CS_REJECT"},
	};
	static const struct pkid_tag failed = {LOG_WARNING, "CS_SCEP_FAILURE"};
	static const struct pkid_tag other = {LOG_DEBUG, "CS_SCEP"};
	bool enroll = is_enrollment(req);
	const struct pkid_tag *t = enroll ? &enrolled[rep->status]
				   : rep->status == SCEP_STATUS_FAILURE
					   ? &failed
					   : &other;

	if (enroll)
		ca_count_outcome(ca, outcome[rep->status]);
	/* why is one of our constant strings: nothing the client sent. */
	pkid_log(t->level, t->tag, "%s: %s tid %s: %s%s%s%s%s", ca_name(ca),
		 scep_msg_type_name(req->type),
		 req->transaction_id[0] ? req->transaction_id : "-",
		 status[rep->status],
		 rep->status == SCEP_STATUS_FAILURE ? " " : "",
		 rep->status == SCEP_STATUS_FAILURE
			 ? scep_fail_info_name(rep->fail)
			 : "",
		 rep->why ? ": " : "", rep->why ? rep->why : "");
}

int scep_server_pki_operation(struct scep_server *s, const unsigned char *msg,
			      size_t len, const char *peer,
			      struct scep_blob *out)
{
	struct ca_keys k;
	struct ca_result res = {0};
	struct scep_request req = {0};
	struct answer a = {.req = &req,
			   .rep = {.status = SCEP_STATUS_FAILURE}};
	struct scep_recipient rcpt[2];
	enum ca_gen gen;
	const EVP_MD *md;
	struct timespec t0;
	size_t n;
	int ret;

	pkid_test_mark("scep-operation");
	ret = ca_keys_get(s->ca, &k);
	if (ret < 0)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = recipients(&k, rcpt);
	/* Decrypting (a keystore round trip) runs outside the CA's lock. */
	ret = scep_parse_ex(msg, len, rcpt, n,
			    ca_legacy_ciphers(s->ca) ? SCEP_ALLOW_DES : 0, &req,
			    &a.rep.fail);
	if (ret == -EBADMSG)
		goto out;
	if (ret == 0 && req.cipher_nid == NID_des_cbc)
		pkid_log(LOG_WARNING, "CS_LEGACY_DES",
			 "%s: tid %s: single-DES request envelope accepted "
			 "(legacy des); answered with 3DES",
			 ca_name(s->ca), req.transaction_id);
	gen = req.recipient_index == 1 && n == 2 ? CA_GEN_ROLLOVER
						 : CA_GEN_CURRENT;
	md = EVP_get_digestbynid(req.digest_nid);
	a.md = md ? md : k.md;
	a.signer = &rcpt[0];
	if (ret == 0) {
		ret = ask_ca(s->ca, &req, gen, peer, &res, &a);
		if (ret == 0 && !a.built)
			to_reply(&res, &a.rep);
	} else {
		ret = refused(s->ca, &res, &a.rep);
	}
	if (ret < 0)
		goto out; /* an answer built meanwhile is not durable: dropped */
	log_request(s->ca, &req, &a.rep);
	if (!a.built)
		answer_sign(&a, res.now);
	ret = a.ret;
	/* badTime because the keystore's time is not authoritative: the
	 * keystore signs nothing then, not even that answer.  503, so the
	 * client tries again rather than reading an internal error. */
	if (ret < 0 && a.rep.status == SCEP_STATUS_FAILURE &&
	    a.rep.fail == SCEP_FAIL_BAD_TIME)
		ret = -ETIME;
	if (ret == 0) {
		out->data = a.der;
		out->len = a.len;
		a.der = NULL;
	}
	out->content_type = "application/x-pki-message";
	ca_count_latency(s->ca, &t0);
out:
	free(a.der);
	X509_free(a.rep.issued);
	X509_CRL_free(a.rep.crl);
	ca_result_free(&res);
	scep_request_free(&req);
	ca_keys_put(&k);
	return ret;
}
