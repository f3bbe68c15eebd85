// SPDX-License-Identifier: MIT
/*
 * EST (RFC 7030) on the CA's protocol-neutral calls (daemon/ca/ca.h), as
 * routes of the TLS listener's table (daemon/core/http.h):
 *
 *   GET  /.well-known/est[/NAME]/cacerts         200 certs-only (the CA, and
 *                                                during a rollover its Root
 *                                                CA Key Update certificates)
 *   POST /.well-known/est[/NAME]/simpleenroll    200 certs-only, 202 +
 *        application/pkcs10 (base64)             Retry-After while pending,
 *                                                401 without credentials
 *   POST /.well-known/est[/NAME]/simplereenroll  the same; the TLS client
 *                                                certificate is the signer
 *   GET  /.well-known/est[/NAME]/csrattrs        404: none required
 *   POST .../serverkeygen, .../fullcmc           501: not supported
 *
 * NAME, when given, is the CA's name.  The next generation's label,
 * `next` or NAME-next, is the rollover CA's while one exists (404
 * otherwise): its cacerts is the rollover CA certificate (NewWithNew) and
 * its enrollments are issued under it, as SCEP's requests enveloped to
 * the rollover CA are (the SHADOW of ROLLOVER.md §4.1).  A client learns
 * the new key from NewWithOld in the current cacerts, checks the next
 * generation's certificate holds it, and renews there with its current
 * identity before the old CA ends.  simpleenroll authenticates with
 * HTTP Basic (the password is the CA's challenge: the static `password`
 * or a one-time one) or a TLS client certificate the CA accepts as a
 * signer (one of its own, or from `grant auto trustpoint`'s CA);
 * simplereenroll needs the TLS client certificate being renewed: the CA
 * checks it is its own, valid and not revoked, and here the request must
 * name the same subject and subjectAltName (RFC 7030 §4.2.2).  Either way
 * the CA's granting policy decides, as for SCEP.
 *
 * EST has no transaction ID: a request's is derived from the request's
 * content (not its signature: an ECDSA client's repeat is signed anew),
 * the TLS client certificate and the issuing CA certificate, so the same
 * request sent again after a 202 is a poll of the first.  A request the CA rejected is polled (and
 * refused again) when it comes without credentials; with credentials the
 * same CSR is a new attempt (the right password now; pick_tid).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "ca/ca.h"
#include "core/log.h"
#include "core/testhook.h"
#include "est.h"
#include "est_http.h"

#define EST_PREFIX	"/.well-known/est/"
#define EST_PKCS7	"application/pkcs7-mime; smime-type=certs-only"
#define EST_RETRY_AFTER 60 /* s: when a pending client asks again */
#define EST_TID_HEX	32
#define EST_TID_TRIES	16 /* rejected attempts of one request, kept */
#define EST_NO_NEXT	"no rollover CA now\n"

struct est_http {
	struct ca *ca;
	char name[PKID_CONF_NAME_MAX];
	/* The Root CA Key Update pair of the present rollover, once made
	 * (signed in the keystore once, not per /cacerts): for roll. */
	pthread_mutex_t lock;
	X509 *roll, *new_with_old, *old_with_new;
};

enum est_op { OP_CACERTS, OP_ENROLL, OP_REENROLL, OP_CSRATTRS,
	      OP_SERVERKEYGEN, OP_FULLCMC, OP_NONE };

static const struct {
	const char *name;
	enum est_op op;
	unsigned int method;
} est_ops[] = {
	{"cacerts", OP_CACERTS, HTTP_GET},
	{"simpleenroll", OP_ENROLL, HTTP_POST},
	{"simplereenroll", OP_REENROLL, HTTP_POST},
	{"csrattrs", OP_CSRATTRS, HTTP_GET},
	{"serverkeygen", OP_SERVERKEYGEN, HTTP_POST},
	{"fullcmc", OP_FULLCMC, HTTP_POST},
};

/* ---- answers ---- */

/* A base64 certs-only body (the CA's certificates or the issued one). */
static int certs_reply(STACK_OF(X509) *certs, struct http_reply *rep)
{
	char *b64 = NULL;
	size_t len = 0;
	int ret = est_certs_only_b64(certs, &b64, &len);

	if (ret < 0)
		return ret;
	rep->status = HTTP_STATUS_OK;
	rep->content_type = EST_PKCS7;
	rep->data = (unsigned char *)b64;
	rep->len = len;
	/* RFC 7030 names it; RFC 8951 says to ignore it; older clients
	 * (libest) look for it. */
	rep->header_name = "Content-Transfer-Encoding";
	snprintf(rep->header_value, sizeof(rep->header_value), "base64");
	return 0;
}

static int one_cert_reply(X509 *x, struct http_reply *rep)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	int ret = -ENOMEM;

	if (sk && sk_X509_push(sk, x))
		ret = certs_reply(sk, rep);
	sk_X509_free(sk);
	return ret;
}

/* The key update pair for k's rollover CA, cached (under e->lock). */
static int key_update(struct est_http *e, const struct ca_keys *k,
		      STACK_OF(X509) *sk)
{
	X509 *nwo = NULL, *own = NULL;
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	if (!e->roll || X509_cmp(e->roll, k->roll_cert) != 0 ||
	    X509_verify(e->new_with_old, X509_get0_pubkey(k->ca_cert)) != 1) {
		ret = ca_key_update_certs(e->ca, &nwo, &own);
		if (ret == 0) {
			X509_free(e->roll);
			X509_free(e->new_with_old);
			X509_free(e->old_with_new);
			e->roll = X509_dup(k->roll_cert);
			e->new_with_old = nwo;
			e->old_with_new = own;
		}
	}
	if (ret == 0 && (!e->roll || !sk_X509_push(sk, e->old_with_new) ||
			 !sk_X509_push(sk, e->new_with_old)))
		ret = -ENOMEM;
	/* The stack points into the cache: answer before unlocking. */
	return ret;
}

/*
 * The CA certificate; while a rollover CA exists also the Root CA Key
 * Update certificates (RFC 7030 §4.1.3): OldWithOld (the CA certificate),
 * OldWithNew and NewWithOld.
 */
static int cacerts(struct est_http *e, struct http_reply *rep)
{
	struct ca_keys k = {0};
	STACK_OF(X509) *sk = NULL;
	bool locked = false;
	int ret = ca_keys_get(e->ca, &k);

	if (ret < 0)
		return ret;
	sk = sk_X509_new_null();
	ret = sk && sk_X509_push(sk, k.ca_cert) ? 0 : -ENOMEM;
	if (ret == 0 && k.roll_cert) {
		locked = true;
		ret = key_update(e, &k, sk);
	}
	ret = ret ?: certs_reply(sk, rep);
	if (locked)
		pthread_mutex_unlock(&e->lock);
	sk_X509_free(sk);
	ca_keys_put(&k);
	return ret;
}

/* The next generation's: the rollover CA certificate (NewWithNew). */
static int next_cacerts(struct est_http *e, struct http_reply *rep)
{
	struct ca_keys k = {0};
	int ret = ca_keys_get(e->ca, &k);

	if (ret < 0)
		return ret;
	ret = k.roll_cert ? one_cert_reply(k.roll_cert, rep)
			  : http_text_reply(rep, HTTP_STATUS_NOT_FOUND,
					    EST_NO_NEXT);
	ca_keys_put(&k);
	return ret;
}

/* ---- enrollment ---- */

/* What one simpleenroll or simplereenroll brings. */
struct est_call {
	enum ca_gen gen; /* the label's: current, or the rollover CA */
	X509_REQ *csr;
	X509 *tls_cert; /* the TLS client certificate, NULL if none */
	STACK_OF(X509) * tls_chain; /* the intermediates it came with */
	bool renewal;
	char tid[EST_TID_HEX + 8];
};

/*
 * The request's transaction ID: SHA-256 of the CSR's content (its
 * certificationRequestInfo: subject, key, attributes; not its signature),
 * the TLS client certificate and the CA certificate that would issue it,
 * so a repeat of the same request to the same CA polls it.  Not the whole
 * DER: a client whose key is ECDSA signs the repeat anew, and ECDSA
 * signatures are randomised, so the DER differs while the request is the
 * same (before, each poll of an EC trustpoint was a new pending request
 * that the operator's grant of the first never reached; the signature
 * still proves the key at each poll).  The CA generation is in it
 * because a client that enrolls again after a promotion (the missed
 * SHADOW's recovery: the same key and subject, so the same CSR) asks the
 * new CA, not for the old CA's certificate it got before.
 */
static int derive_tid(const struct http_request *req, const unsigned char *der,
		      size_t len, X509 *issuer, struct est_call *c)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], ca_md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const unsigned char *info = NULL;
	size_t info_len = 0;
	unsigned int n = 0, ca_n = 0;
	int ok;

	if (est_csr_info(der, len, &info, &info_len) < 0) {
		EVP_MD_CTX_free(ctx);
		return -EBADMSG; /* est_csr_parse took it: not reached */
	}
	ok = ctx && X509_digest(issuer, EVP_sha256(), ca_md, &ca_n) &&
	     EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, ca_md, ca_n) &&
	     EVP_DigestUpdate(ctx, c->renewal ? "re" : "en", 2) &&
	     (c->gen == CA_GEN_CURRENT || EVP_DigestUpdate(ctx, "next", 4)) &&
	     EVP_DigestUpdate(ctx, info, info_len) &&
	     (!req->peer_cert ||
	      EVP_DigestUpdate(ctx, req->peer_cert, req->peer_cert_len)) &&
	     EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -ENOMEM;
	for (unsigned int i = 0; i < EST_TID_HEX / 2; i++) {
		c->tid[2 * i] = hex[md[i] >> 4];
		c->tid[2 * i + 1] = hex[md[i] & 15];
	}
	c->tid[EST_TID_HEX] = '\0';
	return 0;
}

/*
 * A request rejected before is polled only when it comes again without
 * credentials (the operator's reject stands).  With credentials (the right
 * password now) the same CSR is the next attempt, TID-1, TID-2, ...; the
 * first of them that is unknown, pending or issued is this request's.
 * -EPERM when all EST_TID_TRIES were rejected.
 */
static int pick_tid(struct est_http *e, const struct http_request *req,
		    struct est_call *c)
{
	bool creds = req->basic_password || c->tls_cert;
	struct ca_result res = {0};
	int ret;

	for (int i = 0; i < EST_TID_TRIES; i++) {
		if (i)
			snprintf(c->tid + EST_TID_HEX, sizeof(c->tid) - EST_TID_HEX,
				 "-%d", i);
		ret = ca_poll(e->ca, c->tid, c->gen, &res);
		if (ret < 0)
			return ret;
		ca_result_free(&res);
		if (res.outcome != CA_REJECTED ||
		    res.reason == CA_REASON_UNKNOWN || !creds)
			return 0;
	}
	return -EPERM;
}

static int text(struct http_reply *rep, unsigned int status, const char *t)
{
	return http_text_reply(rep, status, t);
}

/* Body to CSR, with a clear HTTP error for what the client got wrong
 * (*done set when rep holds that answer). */
static int read_csr(const struct http_request *req, struct est_call *c,
		    unsigned char **der, size_t *len, struct http_reply *rep,
		    bool *done)
{
	int ret;

	*done = true;
	if (!est_media_is(req->content_type, "application/pkcs10"))
		return text(rep, HTTP_STATUS_UNSUPPORTED_TYPE,
			    "EST enrollment wants Content-Type: "
			    "application/pkcs10 (base64)\n");
	ret = est_b64_decode(req->body, req->body_len, der, len);
	if (ret == -EBADMSG)
		return text(rep, HTTP_STATUS_BAD_REQUEST,
			    "the body is not base64\n");
	if (ret < 0)
		return ret;
	ret = est_csr_parse(*der, *len, &c->csr);
	if (ret == -EBADMSG)
		return text(rep, HTTP_STATUS_BAD_REQUEST,
			    "the body is not a PKCS#10 request\n");
	if (ret == -EKEYREJECTED)
		return text(rep, HTTP_STATUS_BAD_REQUEST,
			    "the request's signature does not verify\n");
	*done = false;
	return ret;
}

/* DER to X509 (NULL if it is not one). */
static X509 *der_x509(const unsigned char *p, size_t len)
{
	X509 *x = d2i_X509(NULL, &p, (long)len);

	ERR_clear_error();
	return x;
}

/* The TLS client certificate as X509 (NULL if none), and the
 * intermediates that came with it (an IDevID's maker's: the CA verifies
 * the certificate through them to `grant auto trustpoint`'s CA). */
static int read_tls_cert(const struct http_request *req, struct est_call *c)
{
	X509 *x;

	if (!req->peer_cert)
		return 0;
	c->tls_cert = der_x509(req->peer_cert, req->peer_cert_len);
	c->tls_chain = sk_X509_new_null();
	if (!c->tls_cert || !c->tls_chain)
		return c->tls_cert ? -ENOMEM : -EBADMSG;
	for (unsigned int i = 0; i < req->peer_chain_n; i++) {
		x = der_x509(req->peer_chain[i], req->peer_chain_len[i]);
		if (!x)
			return -EBADMSG;
		if (!sk_X509_push(c->tls_chain, x)) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	return 0;
}

static int pending_reply(struct http_reply *rep)
{
	int ret = text(rep, HTTP_STATUS_ACCEPTED,
		       "the request waits for the CA's grant: send it again "
		       "after Retry-After\n");

	rep->header_name = "Retry-After";
	snprintf(rep->header_value, sizeof(rep->header_value), "%d",
		 EST_RETRY_AFTER);
	return ret;
}

/* A rejection: 401 (ask for Basic) when no credential came, else 403. */
static int rejected_reply(struct est_http *e, const struct http_request *req,
			  const struct est_call *c, const struct ca_result *res,
			  struct http_reply *rep)
{
	int ret;

	pkid_log(LOG_NOTICE, "EST_REFUSED", "%s: tid %s from %s: %s",
		 e->name, c->tid, req->peer, res->why ? res->why : "refused");
	if (res->reason == CA_REASON_BAD_TIME)
		return text(rep, HTTP_STATUS_UNAVAILABLE,
			    "the CA cannot issue now (no authoritative time, "
			    "or the CA certificate has expired)\n");
	if (!req->basic_password && !c->tls_cert) {
		ret = text(rep, HTTP_STATUS_UNAUTHORIZED,
			   "the CA refused the request; it may want "
			   "credentials: HTTP Basic with the CA's or a "
			   "one-time password, or a TLS client certificate\n");
		rep->header_name = "WWW-Authenticate";
		snprintf(rep->header_value, sizeof(rep->header_value),
			 "Basic realm=\"%s\"", e->name);
		return ret;
	}
	return text(rep, HTTP_STATUS_FORBIDDEN,
		    "the CA refused the request\n");
}

static int outcome_reply(struct est_http *e, const struct http_request *req,
			 const struct est_call *c, const struct ca_result *res,
			 struct http_reply *rep)
{
	ca_count_outcome(e->ca, res->outcome);
	switch (res->outcome) {
	case CA_ISSUED:
		pkid_log(LOG_INFO, "EST_ISSUED", "%s: tid %s from %s: serial %lld",
			 e->name, c->tid, req->peer,
			 (long long)ASN1_INTEGER_get(
				 X509_get0_serialNumber(res->cert)));
		return one_cert_reply(res->cert, rep);
	case CA_PENDING:
		return pending_reply(rep);
	default:
		return rejected_reply(e, req, c, res, rep);
	}
}

/* simplereenroll's own checks; *done when rep holds the refusal. */
static int reenroll_checks(const struct est_call *c, struct http_reply *rep,
			   bool *done)
{
	*done = true;
	if (!c->tls_cert)
		return text(rep, HTTP_STATUS_FORBIDDEN,
			    "simplereenroll needs the certificate being "
			    "renewed as the TLS client certificate\n");
	if (!est_names_match(c->csr, c->tls_cert))
		return text(rep, HTTP_STATUS_FORBIDDEN,
			    "the request's subject and subjectAltName must "
			    "be those of the TLS client certificate\n");
	*done = false;
	return 0;
}

/*
 * One snapshot of the CA's keys for the whole request (ca_keys_get ..
 * ca_keys_put): a promotion or a rollover cancel waits for it, and one
 * that runs first is over before it is taken.  So the next generation's
 * label decides once: while a rollover CA is in the snapshot the request
 * is issued by it (valid from the current CA's end, even when the
 * promotion is due meanwhile), without one the answer is 404 — never the
 * current CA's certificate for a request that asked for the next one
 * (ca_enroll's "else current" for CA_GEN_ROLLOVER is not reached).
 */
static int enroll(struct est_http *e, const struct http_request *req,
		  enum ca_gen gen, bool renewal, struct http_reply *rep)
{
	struct est_call c = {.renewal = renewal, .gen = gen};
	struct ca_enroll_req er = {0};
	struct ca_result res = {0};
	struct ca_keys k = {0};
	struct timespec start;
	unsigned char *der = NULL;
	size_t len = 0;
	bool done = false;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ret = ca_keys_get(e->ca, &k);
	if (ret < 0)
		return ret;
	if (gen == CA_GEN_ROLLOVER && !k.roll_cert) {
		ret = text(rep, HTTP_STATUS_NOT_FOUND, EST_NO_NEXT);
		goto out;
	}
	/* The tests' hook: a request in flight while the CA promotes or
	 * cancels its rollover (tests/est/promotion.sh). */
	pkid_test_pause("est-enroll");
	ret = read_csr(req, &c, &der, &len, rep, &done);
	if (ret < 0 || done)
		goto out;
	ret = read_tls_cert(req, &c);
	if (ret == 0 && renewal)
		ret = reenroll_checks(&c, rep, &done);
	if (ret < 0 || done)
		goto out;
	ret = derive_tid(req, der, len,
			 gen == CA_GEN_ROLLOVER ? k.roll_cert : k.ca_cert, &c);
	ret = ret ?: pick_tid(e, req, &c);
	if (ret == -EPERM) {
		ret = text(rep, HTTP_STATUS_FORBIDDEN,
			   "this request was refused too often: make a new "
			   "one (a new key)\n");
		goto out;
	}
	if (ret < 0)
		goto out;
	er = (struct ca_enroll_req){
		.csr = c.csr,
		/* With Basic the password decides, not whatever TLS
		 * certificate the client also sent. */
		.signer = renewal || !req->basic_password ? c.tls_cert : NULL,
		.signer_chain = c.tls_chain,
		.challenge = renewal ? NULL : req->basic_password,
		.transaction_id = c.tid,
		.generation = gen,
		.renewal = renewal,
		.source = req->peer,
		.keys_held = true,
	};
	ret = ca_enroll(e->ca, &er, &res);
	if (ret == 0)
		ret = outcome_reply(e, req, &c, &res, rep);
	ca_result_free(&res);
	ca_count_latency(e->ca, &start);
out:
	free(der);
	X509_REQ_free(c.csr);
	X509_free(c.tls_cert);
	sk_X509_pop_free(c.tls_chain, X509_free);
	ca_keys_put(&k);
	return ret;
}

/* ---- routing ---- */

/* Is label (n bytes) s? */
static bool label_is(const char *label, size_t n, const char *s)
{
	return n == strlen(s) && strncmp(label, s, n) == 0;
}

/*
 * The operation of a path under EST_PREFIX: "OP" or "LABEL/OP", LABEL the
 * CA's name, or the next generation's (`next`, NAME-next).  The CA's own
 * name wins over a next-generation reading of it.
 */
static int parse_path(struct est_http *e, const char *path, const char **op,
		      enum ca_gen *gen)
{
	const char *rest = path + strlen(EST_PREFIX), *slash = strchr(rest, '/');
	size_t n, len = strlen(e->name);

	*gen = CA_GEN_CURRENT;
	if (!slash) {
		*op = rest;
		return 0;
	}
	n = (size_t)(slash - rest);
	if (strchr(slash + 1, '/'))
		return -ENOENT;
	*op = slash + 1;
	if (label_is(rest, n, e->name))
		return 0;
	if (label_is(rest, n, "next") ||
	    (n == len + 5 && strncmp(rest, e->name, len) == 0 &&
	     strncmp(rest + len, "-next", 5) == 0)) {
		*gen = CA_GEN_ROLLOVER;
		return 0;
	}
	return -ENOENT;
}

static int dispatch(struct est_http *e, enum est_op op, enum ca_gen gen,
		    const struct http_request *req, struct http_reply *rep)
{
	switch (op) {
	case OP_CACERTS:
		return gen == CA_GEN_ROLLOVER ? next_cacerts(e, rep)
					      : cacerts(e, rep);
	case OP_ENROLL:
		return enroll(e, req, gen, false, rep);
	case OP_REENROLL:
		return enroll(e, req, gen, true, rep);
	case OP_CSRATTRS:
		return text(rep, HTTP_STATUS_NOT_FOUND,
			    "no CSR attributes: the CA requires none\n");
	case OP_SERVERKEYGEN:
		return text(rep, HTTP_STATUS_NOT_IMPLEMENTED,
			    "serverkeygen is not supported: pkid never makes "
			    "a client's private key\n");
	case OP_FULLCMC:
		return text(rep, HTTP_STATUS_NOT_IMPLEMENTED,
			    "fullcmc is not supported\n");
	default:
		return -ENOENT;
	}
}

static int est_handle(void *arg, const struct http_request *req,
		      struct http_reply *rep)
{
	struct est_http *e = arg;
	enum ca_gen gen;
	const char *op;

	if (parse_path(e, req->path, &op, &gen) < 0)
		return text(rep, HTTP_STATUS_NOT_FOUND,
			    "no such CA or EST operation\n");
	for (size_t i = 0; i < sizeof(est_ops) / sizeof(est_ops[0]); i++) {
		if (strcmp(op, est_ops[i].name) != 0)
			continue;
		if (!(est_ops[i].method & req->method))
			return text(rep, HTTP_STATUS_METHOD_NOT_ALLOWED,
				    est_ops[i].method == HTTP_GET
					    ? "this EST operation is a GET\n"
					    : "this EST operation is a POST\n");
		return dispatch(e, est_ops[i].op, gen, req, rep);
	}
	return text(rep, HTTP_STATUS_NOT_FOUND, "no such EST operation\n");
}

int est_http_register(struct http_server *srv, struct ca *ca,
		      struct est_http **out)
{
	const struct http_route r = {
		.name = "est",
		.path = EST_PREFIX,
		.prefix = true,
		.methods = HTTP_GET | HTTP_POST,
		.handler = est_handle,
	};
	struct est_http *e = calloc(1, sizeof(*e));
	struct http_route route = r;
	int ret;

	if (!e)
		return -ENOMEM;
	e->ca = ca;
	pthread_mutex_init(&e->lock, NULL);
	snprintf(e->name, sizeof(e->name), "%s", ca_name(ca));
	route.arg = e;
	ret = http_route_add(srv, &route);
	if (ret < 0) {
		est_http_free(e);
		return ret;
	}
	*out = e;
	return 0;
}

void est_http_free(struct est_http *e)
{
	if (!e)
		return;
	X509_free(e->roll);
	X509_free(e->new_with_old);
	X509_free(e->old_with_new);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
