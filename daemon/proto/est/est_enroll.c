// SPDX-License-Identifier: MIT
/*
 * EST (RFC 7030) as a trustpoint's enrollment protocol (daemon/proto/
 * enroll_proto.h), selected by an enrollment url
 * https://HOST[:PORT]/.well-known/est[/LABEL].
 *
 *   authenticate  GET cacerts without a trust anchor yet (RFC 7030
 *                 §4.1.1's bootstrap): the fingerprint check is the
 *                 lifecycle's; here the server's TLS chain must verify
 *                 under the CA certificate it served
 *   enroll        POST simpleenroll, HTTP Basic with the trustpoint's
 *                 `password` (when it has one)
 *   RENEW         POST simplereenroll; the identity being renewed is the
 *                 TLS client certificate, its key the keystore's
 *   SHADOW        the rollover CA is learnt from cacerts' NewWithOld
 *                 (the new key certified by the current one, RFC 7030
 *                 §4.1.3) and the next generation's label (LABEL-next, or
 *                 `next` without a label), which serves the rollover CA
 *                 certificate and issues under it (docs/EST.md);
 *                 simplereenroll there with the current identity
 *   pending       202 + Retry-After: the lifecycle's POLL timers; a poll
 *                 is the same request sent again (the server derives its
 *                 transaction from the request)
 *
 * Every call after authenticate verifies the server's TLS certificate
 * against the trustpoint's CA certificates (and the rollover CA's) at the
 * keystore's time, never against the system's trust store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/testhook.h"
#include "est.h"
#include "est_client.h"
#include "est_enroll.h"
#include "proto/scep/scep_client.h" /* transaction IDs, plain fetches */

#define EST_WELL_KNOWN "/.well-known/est"
#define EST_URL_MAX    1024

bool est_enroll_url(const char *url)
{
	const char *p;

	if (!url || strncmp(url, "https://", 8) != 0)
		return false;
	p = strstr(url + 8, EST_WELL_KNOWN);
	/* the first segment of the path, after a host */
	if (!p || p == url + 8 || memchr(url + 8, '/', (size_t)(p - url - 8)))
		return false;
	p += strlen(EST_WELL_KNOWN);
	/* nothing, "/", or "/LABEL" (one segment, optional "/") */
	if (!*p || !strcmp(p, "/"))
		return true;
	if (*p != '/' || !p[1] || p[1] == '/')
		return false;
	p = strchr(p + 1, '/');
	return !p || !p[1];
}

/*
 * The URL of operation @op: under the configured label, or (next) under
 * the next generation's: LABEL-next, or `next` when there is no label.
 */
static int op_url(const char *url, bool next, const char *op, char *buf,
		  size_t size)
{
	size_t n = strlen(url);
	bool labelled;
	int len;

	while (n && url[n - 1] == '/')
		n--;
	labelled = n < strlen(EST_WELL_KNOWN) ||
		   strncmp(url + n - strlen(EST_WELL_KNOWN), EST_WELL_KNOWN,
			   strlen(EST_WELL_KNOWN)) != 0;
	len = snprintf(buf, size, "%.*s%s/%s", (int)n, url,
		       !next ? "" : labelled ? "-next" : "/next", op);
	return len > 0 && (size_t)len < size ? 0 : -ENAMETOOLONG;
}

/* The server's words, as printable ASCII on one line, bounded. */
static void server_words(const struct est_reply *r, char *buf, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < r->len && k + 1 < size && k < 120; i++) {
		unsigned char ch = r->data[i];

		if (ch == '\n' || ch == '\r' || ch == '\t')
			ch = ' ';
		if (ch >= 0x20 && ch < 0x7f)
			buf[k++] = (char)ch;
	}
	while (k && buf[k - 1] == ' ')
		k--;
	buf[k] = '\0';
}

/* The CA certificate among cacerts': the first self-signed CA
 * certificate (OldWithOld), else the first CA certificate (a sub-CA). */
static X509 *pick_ca(STACK_OF(X509) * certs)
{
	X509 *first = NULL;

	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (X509_check_ca(x) < 1)
			continue;
		if (X509_check_issued(x, x) == X509_V_OK &&
		    X509_verify(x, X509_get0_pubkey(x)) == 1)
			return x;
		if (!first)
			first = x;
	}
	ERR_clear_error();
	return first;
}

/* GET cacerts (under the label, or the next generation's). */
static int get_cacerts(const char *url, bool next,
		       const struct est_tls_opts *o, STACK_OF(X509) * *certs,
		       struct est_reply *r, char *why, size_t n)
{
	char u[EST_URL_MAX];
	int ret = op_url(url, next, "cacerts", u, sizeof(u));

	*certs = NULL;
	ret = ret ?: est_client_get(u, o, r);
	if (ret < 0) {
		snprintf(why, n, "cacerts from %s: %s", u,
			 r->why[0] ? r->why : strerror(-ret));
		return ret;
	}
	if (r->status == 404)
		return -ENOENT;
	if (r->status != 200) {
		snprintf(why, n, "cacerts from %s: HTTP %ld", u, r->status);
		return -EPROTO;
	}
	ret = est_client_certs(r, certs);
	if (ret < 0)
		snprintf(why, n, "cacerts from %s: not a certs-only PKCS#7", u);
	return ret;
}

static int get_ca_certs(const char *url, X509 **ca, X509 **ra, char *why,
			size_t n)
{
	struct est_tls_opts o = {0};
	struct est_reply r = {0};
	STACK_OF(X509) *certs = NULL, *anchor = NULL;
	X509 *x;
	int ret;

	*ca = *ra = NULL;
	ret = get_cacerts(url, false, &o, &certs, &r, why, n);
	if (ret < 0)
		goto out;
	x = pick_ca(certs);
	if (!x) {
		snprintf(why, n, "cacerts: no CA certificate");
		ret = -EBADMSG;
		goto out;
	}
	/* Bootstrap: the server's TLS certificate must be its CA's (no
	 * time to judge it by here; the fingerprint is checked next). */
	anchor = sk_X509_new_null();
	ret = -ENOMEM;
	if (!anchor || !sk_X509_push(anchor, x))
		goto out;
	ret = sk_X509_num(r.peer) > 0
		      ? est_client_verify(sk_X509_value(r.peer, 0), r.peer,
					  anchor, 0, why, n)
		      : -EKEYREJECTED;
	if (ret == 0) {
		*ca = X509_dup(x);
		ret = *ca ? 0 : -ENOMEM;
	}
out:
	sk_X509_free(anchor);
	sk_X509_pop_free(certs, X509_free);
	est_reply_free(&r);
	return ret;
}

/* EST has no capabilities to ask for: what pkid's client uses of it. */
static int get_caps(const char *url, char **caps)
{
	(void)url;
	*caps = strdup("EST\nSHA-256\n");
	return *caps ? 0 : -ENOMEM;
}

/* The rollover CA is looked for in cacerts (NewWithOld) every time. */
static bool has_next_ca(const char *caps)
{
	(void)caps;
	return true;
}

/* NewWithOld among cacerts: a CA certificate issued and signed by @ca
 * for another key. */
static X509 *find_new_with_old(STACK_OF(X509) * certs, X509 *ca)
{
	EVP_PKEY *cakey = X509_get0_pubkey(ca);

	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (X509_check_ca(x) >= 1 &&
		    !X509_NAME_cmp(X509_get_issuer_name(x),
				   X509_get_subject_name(ca)) &&
		    EVP_PKEY_eq(X509_get0_pubkey(x), cakey) != 1 &&
		    X509_verify(x, cakey) == 1)
			return x;
	}
	ERR_clear_error();
	return NULL;
}

/* NewWithNew among the next generation's cacerts: self-signed, the key
 * and subject of NewWithOld. */
static X509 *find_new_with_new(STACK_OF(X509) * certs, X509 *nwo)
{
	EVP_PKEY *key = X509_get0_pubkey(nwo);

	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1 &&
		    !X509_NAME_cmp(X509_get_subject_name(x),
				   X509_get_subject_name(nwo)) &&
		    X509_check_ca(x) >= 1 && X509_verify(x, key) == 1)
			return x;
	}
	ERR_clear_error();
	return NULL;
}

static int get_next_ca(const char *url, X509 *ca, int64_t now, X509 **next,
		       X509 **next_ra)
{
	STACK_OF(X509) *anchors = NULL, *cur = NULL, *nxt = NULL;
	struct est_tls_opts o = {.now = now};
	struct est_reply r = {0};
	char why[256];
	X509 *nwo, *nwn;
	int ret;

	*next = *next_ra = NULL;
	if (!ca)
		return -ENOENT;
	anchors = sk_X509_new_null();
	if (!anchors || !sk_X509_push(anchors, ca)) {
		ret = -ENOMEM;
		goto out;
	}
	o.anchors = anchors;
	ret = get_cacerts(url, false, &o, &cur, &r, why, sizeof(why));
	est_reply_free(&r);
	if (ret < 0)
		goto out;
	nwo = find_new_with_old(cur, ca);
	ret = -ENOENT; /* no rollover CA (yet) */
	if (!nwo)
		goto out;
	ret = get_cacerts(url, true, &o, &nxt, &r, why, sizeof(why));
	est_reply_free(&r);
	if (ret < 0)
		goto out;
	nwn = find_new_with_new(nxt, nwo);
	/* -EBADMSG: the next generation is not the key @ca certified. */
	ret = nwn ? 0 : -EBADMSG;
	if (nwn) {
		*next = X509_dup(nwn);
		ret = *next ? 0 : -ENOMEM;
	}
out:
	sk_X509_free(anchors);
	sk_X509_pop_free(cur, X509_free);
	sk_X509_pop_free(nxt, X509_free);
	return ret;
}

/* The issued certificate in a 200 answer: the one for our key. */
static void issued(const struct enroll_ctx *c, const struct est_reply *r,
		   struct enroll_result *res)
{
	STACK_OF(X509) *certs = NULL;

	if (est_client_certs(r, &certs) < 0) {
		res->status = ENROLL_BAD_ANSWER;
		res->err = -EBADMSG;
		snprintf(res->why, sizeof(res->why),
			 "the answer is not a certs-only PKCS#7");
		return;
	}
	res->status = ENROLL_ISSUED;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (EVP_PKEY_eq(X509_get0_pubkey(x), c->key) == 1 &&
		    X509_up_ref(x)) {
			res->cert = x;
			break;
		}
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
}

/* A refusal: the CA's reason in its own words (bounded, printable). */
static void refused(const struct est_reply *r, const char *reason,
		    struct enroll_result *res)
{
	char words[128];

	server_words(r, words, sizeof(words));
	res->status = ENROLL_REJECTED;
	res->reason = reason;
	snprintf(res->why, sizeof(res->why), "%s (HTTP %ld%s%s)", reason,
		 r->status, words[0] ? ": " : "", words);
}

static void from_status(const struct enroll_ctx *c, const struct est_reply *r,
			struct enroll_result *res)
{
	switch (r->status) {
	case 200:
		issued(c, r, res);
		return;
	case 202:
		res->status = ENROLL_PENDING;
		return;
	case 401:
	case 403:
		refused(r, "the CA refused the request", res);
		return;
	case 400:
	case 413:
	case 415:
		refused(r, "the CA refused the request as malformed", res);
		return;
	case 503:
		res->status = ENROLL_NO_ANSWER;
		res->err = -EAGAIN;
		return;
	}
	res->status = ENROLL_BAD_ANSWER;
	res->err = r->status == 404 ? -ENOENT : -EPROTO;
	snprintf(res->why, sizeof(res->why), "HTTP %ld from %s%s", r->status,
		 c->next_gen ? "the next generation's label" : "the CA",
		 r->status == 404 && c->next_gen ? " (no rollover CA)" : "");
}

/* The CSR's CN: the HTTP Basic user name (the server may use it). */
static void user_of(const struct enroll_ctx *c, char *buf, size_t size)
{
	const unsigned char *p = c->csr;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)c->csr_len);

	snprintf(buf, size, "pkid");
	if (req)
		X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
					  NID_commonName, buf, (int)size);
	X509_REQ_free(req);
	ERR_clear_error();
}

/* simpleenroll or simplereenroll; a poll sends the same request again. */
static int enroll(const struct enroll_ctx *c, struct enroll_result *res)
{
	struct est_tls_opts o = {
		.anchors = c->signers,
		.now = c->now,
		.clock = c->clock,
		.clock_arg = c->clock_arg,
	};
	struct est_reply r = {0};
	char url[EST_URL_MAX], user[64];
	char *b64 = NULL;
	size_t len = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	if (!c->csr)
		return -EINVAL;
	if (c->renewal) {
		o.cert = c->signer;
		o.key = c->signer_key;
	} else {
		/* The device's IDevID, when configured, authenticates the
		 * TLS connection; a password, when there is one too, goes
		 * as Basic (the CA then decides by the password). */
		o.cert = c->credential;
		o.chain = c->credential_chain;
		o.key = c->credential_key;
		user_of(c, user, sizeof(user));
		o.user = user;
		o.password = c->password;
	}
	ret = op_url(c->url, c->next_gen,
		     c->renewal ? "simplereenroll" : "simpleenroll", url,
		     sizeof(url));
	ret = ret ?: est_b64_encode(c->csr, c->csr_len, &b64, &len);
	/* The tests' hook: a SHADOW decided before the CA's end whose
	 * request meets the promotion (tests/est/client-next404.sh). */
	if (ret == 0 && c->next_gen)
		pkid_test_pause("est-next-enroll");
	ret = ret ?: est_client_post(url, &o, b64, len, &r);
	free(b64);
	if (ret == -EKEYREJECTED || ret == -EMSGSIZE) {
		res->status = ENROLL_BAD_ANSWER;
		res->err = ret;
		snprintf(res->why, sizeof(res->why), "%.150s",
			 r.why[0] ? r.why : "reply too large");
		ret = 0;
	} else if (ret < 0 && ret != -ENOKEY && ret != -ENAMETOOLONG &&
		   ret != -ENOMEM) {
		res->status = ENROLL_NO_ANSWER;
		res->err = ret;
		ret = 0;
	} else if (ret == 0) {
		from_status(c, &r, res);
	}
	est_reply_free(&r);
	return ret;
}

/* EST has no CRL operation: the certificate's distribution point is. */
static int get_crl(const char *url, unsigned char **der, size_t *len,
		   char *from, size_t size)
{
	(void)url;
	*der = NULL;
	*len = 0;
	snprintf(from, size, "EST (no CRL operation; the certificate names "
			     "no CRL distribution point)");
	return -EOPNOTSUPP;
}

static int new_transaction_id(char *buf, size_t size)
{
	/* Ours, for the log and the row: EST sends none. */
	return scep_client_transid(buf, size);
}

static const EVP_MD *digest(const char *caps)
{
	(void)caps;
	return EVP_sha256();
}

static bool unreachable(int err)
{
	return err == -ECONNREFUSED || err == -EHOSTUNREACH ||
	       err == -ETIMEDOUT || err == -ECONNRESET || err == -EIO ||
	       err == -EPROTO || err == -EAGAIN;
}

static const struct {
	int err;
	const char *words;
} explained[] = {
	{-ECONNREFUSED, "CA unreachable (connect refused)"},
	{-EHOSTUNREACH, "CA unreachable (no route to host)"},
	{-ETIMEDOUT, "CA unreachable (timed out)"},
	{-ECONNRESET, "CA unreachable (connection reset or TLS handshake "
		      "failed)"},
	{-EAGAIN, "the CA cannot issue now (HTTP 503)"},
	{-ENOENT, "the CA has no rollover CA (no NewWithOld in cacerts, or "
		  "404 from the next generation's label)"},
	{-EBADMSG, "the next generation's CA certificate is not the key "
		   "the CA certified (NewWithOld)"},
	{-EKEYREJECTED, "the server's TLS certificate does not verify under "
			"the trustpoint's CA certificate"},
	{-EPROTO, "the CA answered, but not with EST (HTTP error)"},
	{-EOPNOTSUPP, "EST has no CRL operation"},
};

static const char *explain(int err)
{
	for (size_t i = 0; i < sizeof(explained) / sizeof(explained[0]); i++)
		if (explained[i].err == err)
			return explained[i].words;
	return NULL;
}

const struct enroll_proto est_enroll_proto = {
	.name = "est",
	/* cacerts, its Root CA Key Update certificates, the next label */
	.get_ca_certs = get_ca_certs,
	.get_caps = get_caps,
	.has_next_ca = has_next_ca,
	.get_next_ca = get_next_ca,
	/* simpleenroll / simplereenroll; a poll is the same request */
	.enroll = enroll,
	.poll = enroll,
	.new_transaction_id = new_transaction_id,
	.digest = digest,
	.get_crl = get_crl,
	.fetch = scep_http_fetch,
	.unreachable = unreachable,
	.explain = explain,
};
