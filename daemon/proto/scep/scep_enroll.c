// SPDX-License-Identifier: MIT
/*
 * SCEP as a trustpoint's enrollment protocol (daemon/proto/
 * enroll_proto.h): the envelope choices are made here.  An enrollment is
 * a PKCSReq (Cisco sends renewals as PKCSReq too) carrying the CSR, a
 * poll a CertPoll carrying IssuerAndSubject; both signed by the signer,
 * enveloped to the recipient with the cipher and digest the CA's
 * GetCACaps allows, sent by POST when it announces POSTPKIOperation, and
 * the CertRep opened with our own sender nonce and transactionID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "scep_client.h"
#include "scep_enroll.h"

/* GetCACert: the CA (and RA) certificate. */
static int get_ca_certs(const char *url, X509 **ca, X509 **ra, char *why,
			size_t n)
{
	struct scep_http_body body;
	int ret;

	ret = scep_http_get(url, "GetCACert", NULL, &body);
	if (ret < 0) {
		snprintf(why, n, "GetCACert from %s: %s", url, strerror(-ret));
		return ret;
	}
	ret = scep_client_parse_ca(body.data, body.len, body.content_type, ca,
				   ra);
	scep_http_body_free(&body);
	if (ret < 0)
		snprintf(why, n, "GetCACert: not a CA certificate");
	return ret;
}

static int get_caps(const char *url, char **caps)
{
	struct scep_http_body body;
	int ret;

	ret = scep_http_get(url, "GetCACaps", NULL, &body);
	if (ret < 0)
		return ret;
	*caps = strndup((char *)body.data, body.len);
	scep_http_body_free(&body);
	return *caps ? 0 : -ENOMEM;
}

static bool has_next_ca(const char *caps)
{
	return caps && scep_client_has_cap(caps, "GetNextCACert");
}

/* GetNextCACert, verified as signed by the current CA @ca. */
static int get_next_ca(const char *url, X509 *ca, int64_t now, X509 **next,
		       X509 **next_ra)
{
	(void)now; /* GetNextCACert is signed: no transport to check */
	struct scep_http_body body;
	int ret;

	*next = *next_ra = NULL;
	if (!ca)
		return -ENOENT;
	ret = scep_http_get(url, "GetNextCACert", NULL, &body);
	if (ret < 0)
		return ret;
	ret = scep_client_parse_next_ca(body.data, body.len, ca, next, next_ra);
	scep_http_body_free(&body);
	return ret;
}

static void from_reply(const struct enroll_ctx *c,
		       const struct scep_client_reply *rep,
		       struct enroll_result *res)
{
	X509 *cert;

	res->legacy_cipher = rep->legacy_cipher;
	switch (rep->status) {
	case SCEP_STATUS_SUCCESS:
		res->status = ENROLL_ISSUED;
		cert = scep_client_find_cert(rep, c->key);
		if (cert && X509_up_ref(cert))
			res->cert = cert;
		break;
	case SCEP_STATUS_PENDING:
		res->status = ENROLL_PENDING;
		break;
	default:
		/* badTime is about a clock (the CA's not authoritative, or the
		 * request's signingTime off): it passes, so it is retried. */
		res->status = rep->fail == SCEP_FAIL_BAD_TIME
				      ? ENROLL_REFUSED_NOW
				      : ENROLL_REJECTED;
		res->reason = scep_fail_info_name(rep->fail);
	}
}

/* Build the PKIOperation, send it, open the CertRep. */
static int exchange(const struct enroll_ctx *c, enum scep_msg_type type,
		    const unsigned char *content, size_t content_len,
		    struct enroll_result *res)
{
	struct scep_client_msg m = {
		.type = type,
		.transaction_id = c->transaction_id,
		.signer = c->signer,
		.signer_key = c->signer_key,
		.recipient = c->recipient,
		.cipher = scep_client_cipher(c->caps),
		.md = scep_client_md(c->caps),
		.content = content,
		.content_len = content_len,
		.now = c->now,
	};
	int post = scep_client_has_cap(c->caps, "POSTPKIOperation");
	struct scep_http_body body;
	struct scep_client_reply rep;
	unsigned char *der = NULL;
	size_t len = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	if (RAND_bytes(m.sender_nonce, SCEP_NONCE_LEN) != 1)
		return -EIO;
	ret = scep_client_build(&m, &der, &len);
	if (ret < 0)
		return ret;
	ret = scep_http_pkiop(c->url, post, der, len, &body);
	free(der);
	if (ret < 0) {
		if (!scep_http_unreachable(ret))
			return ret;
		res->status = ENROLL_NO_ANSWER;
		res->err = ret;
		return 0;
	}
	ret = scep_client_parse(body.data, body.len, c->signers, &m, &rep);
	scep_http_body_free(&body);
	if (ret < 0) {
		res->status = ENROLL_BAD_ANSWER;
		res->err = ret;
		snprintf(res->why, sizeof(res->why), "%s", rep.why);
		return 0;
	}
	from_reply(c, &rep, res);
	scep_client_reply_free(&rep);
	return 0;
}

static int enroll(const struct enroll_ctx *c, struct enroll_result *res)
{
	return exchange(c, SCEP_MSG_PKCSREQ, c->csr, c->csr_len, res);
}

static int poll(const struct enroll_ctx *c, struct enroll_result *res)
{
	unsigned char *content = NULL;
	size_t len = 0;
	int ret;

	ret = scep_client_poll_content(c->ca, c->subject, &content, &len);
	if (ret < 0)
		return ret;
	ret = exchange(c, SCEP_MSG_CERTPOLL, content, len, res);
	free(content);
	return ret;
}

/* GetCRL, the operation pkid's own CA answers. */
static int get_crl(const char *url, unsigned char **der, size_t *len,
		   char *from, size_t size)
{
	struct scep_http_body body = {0};
	int ret;

	snprintf(from, size, "%s?operation=GetCRL", url);
	ret = scep_http_get(url, "GetCRL", NULL, &body);
	if (ret < 0)
		return ret;
	*der = body.data;
	*len = body.len;
	return 0;
}

static int new_transaction_id(char *buf, size_t size)
{
	return scep_client_transid(buf, size);
}

static bool unreachable(int err)
{
	return scep_http_unreachable(err);
}

/* What a failed exchange means, in the operator's words (issue 13). */
static const struct {
	int err;
	const char *words;
} explained[] = {
	{-ECONNREFUSED, "CA unreachable (connect refused)"},
	{-EHOSTUNREACH, "CA unreachable (no route to host)"},
	{-ETIMEDOUT, "CA unreachable (timed out)"},
	{-ECONNRESET, "CA unreachable (connection reset)"},
	/* HTTP 404, from GetNextCACert */
	{-ENOENT, "the CA has no rollover certificate (GetNextCACert: 404)"},
	{-EPROTO, "the CA answered, but not with SCEP (HTTP error)"},
	/* what pkid's CA says with it: not running, disk full, time not
	 * authoritative */
	{-EBUSY, "the CA cannot answer now (HTTP 503)"},
};

static const char *explain(int err)
{
	size_t i;

	for (i = 0; i < sizeof(explained) / sizeof(explained[0]); i++)
		if (explained[i].err == err)
			return explained[i].words;
	return NULL;
}

const struct enroll_proto scep_enroll_proto = {
	.name = "scep",
	/* GetCACert, GetCACaps, GetNextCACert */
	.get_ca_certs = get_ca_certs,
	.get_caps = get_caps,
	.has_next_ca = has_next_ca,
	.get_next_ca = get_next_ca,
	/* PKIOperation: PKCSReq, CertPoll */
	.enroll = enroll,
	.poll = poll,
	.new_transaction_id = new_transaction_id,
	.digest = scep_client_md,
	/* GetCRL, and a distribution point over the same transport */
	.get_crl = get_crl,
	.fetch = scep_http_fetch,
	/* what the transport's errors mean */
	.unreachable = unreachable,
	.explain = explain,
};
