// SPDX-License-Identifier: MIT
/*
 * EST over HTTPS, client side: libcurl with OpenSSL, our verification of
 * the server's chain and the TLS client key installed through
 * CURLOPT_SSL_CTX_FUNCTION (est_client.h says why).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "est.h"
#include "est_client.h"

/* What one request's TLS hooks share. */
struct tls_state {
	const struct est_tls_opts *o;
	struct est_reply *r;
	bool rejected; /* our verification refused the server's chain */
	bool key_failed;
};

struct sink {
	struct est_reply *r;
	bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	unsigned char *grown;

	if (s->r->len + n > EST_CLIENT_BODY_MAX) {
		s->too_big = true;
		return 0; /* curl aborts the transfer */
	}
	grown = realloc(s->r->data, s->r->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + s->r->len, ptr, n);
	grown[s->r->len + n] = '\0';
	s->r->data = grown;
	s->r->len += n;
	return n;
}

/* Retry-After: a number of seconds (RFC 7030 §4.2.3; an HTTP date is
 * not used by pkid's server and is ignored). */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct est_reply *r = arg;
	size_t n = size * nmemb;
	static const char name[] = "Retry-After:";
	char num[16];
	size_t i = sizeof(name) - 1, k = 0;

	if (n <= i || strncasecmp(ptr, name, i) != 0)
		return n;
	while (i < n && (ptr[i] == ' ' || ptr[i] == '\t'))
		i++;
	while (i < n && k < sizeof(num) - 1 && isdigit((unsigned char)ptr[i]))
		num[k++] = ptr[i++];
	num[k] = '\0';
	if (k > 0 && k < 9)
		r->retry_after = strtol(num, NULL, 10);
	return n;
}

int est_client_verify(X509 *x, STACK_OF(X509) * untrusted,
		      STACK_OF(X509) * anchors, int64_t now, char *why,
		      size_t n)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int ok = 0, err = X509_V_ERR_OUT_OF_MEM;

	if (!store || !ctx)
		goto out;
	for (int i = 0; i < sk_X509_num(anchors); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(anchors, i)))
			goto out;
	if (!X509_STORE_CTX_init(ctx, store, x, untrusted))
		goto out;
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
	/* The anchors are the trustpoint's own CA certificates: a chain to
	 * any of them will do (a sub-CA need not chain to a root). */
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	if (now > 0)
		X509_VERIFY_PARAM_set_time(vp, (time_t)now);
	else
		X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_NO_CHECK_TIME);
	ok = X509_verify_cert(ctx) == 1;
	err = X509_STORE_CTX_get_error(ctx);
out:
	if (!ok)
		snprintf(why, n,
			 "the server's TLS certificate does not verify under "
			 "the trustpoint's CA certificate: %s",
			 X509_verify_cert_error_string(err));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok ? 0 : -EKEYREJECTED;
}

/* Keep the chain the server sent (leaf first). */
static void keep_peer(struct est_reply *r, X509_STORE_CTX *sctx)
{
	STACK_OF(X509) *un = X509_STORE_CTX_get0_untrusted(sctx);
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);

	sk_X509_pop_free(r->peer, X509_free);
	r->peer = sk_X509_new_null();
	if (!r->peer || !leaf || !X509_up_ref(leaf))
		return;
	if (!sk_X509_push(r->peer, leaf)) {
		X509_free(leaf);
		return;
	}
	for (int i = 0; i < sk_X509_num(un); i++) {
		X509 *x = sk_X509_value(un, i);

		if (X509_cmp(x, leaf) && X509_up_ref(x) &&
		    !sk_X509_push(r->peer, x))
			X509_free(x);
	}
}

/* OpenSSL's verification of the server's chain, replaced by ours: the
 * trustpoint's anchors at the keystore's time. */
static int verify_server(X509_STORE_CTX *sctx, void *arg)
{
	struct tls_state *t = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
	int64_t now = t->o->now;

	keep_peer(t->r, sctx);
	if (!t->o->anchors)
		return 1; /* bootstrap: the caller checks the kept chain */
	if (t->o->clock && t->o->clock(t->o->clock_arg, &now) < 0)
		now = t->o->now;
	if (leaf && est_client_verify(leaf, X509_STORE_CTX_get0_untrusted(sctx),
				      t->o->anchors, now, t->r->why,
				      sizeof(t->r->why)) == 0)
		return 1;
	t->rejected = true;
	X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_UNTRUSTED);
	return 0;
}

/* The TLS client certificate and its (keystore) key.  The keystore
 * signs RSA with PKCS#1 v1.5 only: TLS 1.2 with those signatures. */
static int use_client_cert(SSL_CTX *ctx, const struct est_tls_opts *o)
{
	if (SSL_CTX_use_certificate(ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, o->key) != 1 ||
	    (o->chain && SSL_CTX_set1_chain(ctx, o->chain) != 1))
		return -EKEYREJECTED;
	if (EVP_PKEY_is_a(o->key, "RSA") &&
	    (SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	     SSL_CTX_set1_client_sigalgs_list(
		     ctx, "RSA+SHA256:RSA+SHA384:RSA+SHA512") != 1))
		return -EINVAL;
	return 0;
}

static CURLcode on_ssl_ctx(CURL *curl, void *sslctx, void *arg)
{
	struct tls_state *t = arg;
	SSL_CTX *ctx = sslctx;

	(void)curl;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_cert_verify_callback(ctx, verify_server, t);
	if (t->o->cert && use_client_cert(ctx, t->o) < 0) {
		t->key_failed = true;
		ERR_clear_error();
		return CURLE_SSL_CERTPROBLEM;
	}
	return CURLE_OK;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return -ECONNRESET;
	case CURLE_PEER_FAILED_VERIFICATION:
		return -EKEYREJECTED;
	default:
		return -EIO;
	}
}

bool est_client_usable(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && v->ssl_version && !strncmp(v->ssl_version, "OpenSSL", 7);
}

void *est_client_handle_new(void)
{
	return curl_easy_init();
}

void est_client_handle_free(void *handle)
{
	curl_easy_cleanup(handle);
}

static void set_basic(CURL *c, const struct est_tls_opts *o)
{
	if (!o->password || !o->password[0])
		return;
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, o->user ? o->user : "pkid");
	curl_easy_setopt(c, CURLOPT_PASSWORD, o->password);
}

/* Run one prepared request. */
static int perform(CURL *c, const char *url, const struct est_tls_opts *o,
		   struct est_reply *r)
{
	struct tls_state t = {.o = o, .r = r};
	struct sink s = {.r = r};
	char *ct = NULL;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, EST_CLIENT_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, EST_CLIENT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* Our callback verifies the chain; curl checks the host name and
	 * that the handshake's verification passed.  No system CA store. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &t);
	/* A session resumed would skip our callback. */
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	set_basic(c, o);
	rc = curl_easy_perform(c);
	if (s.too_big)
		return -EMSGSIZE;
	if (t.rejected)
		return -EKEYREJECTED;
	if (t.key_failed) {
		snprintf(r->why, sizeof(r->why),
			 "the TLS client certificate or its keystore key "
			 "cannot be used");
		return -ENOKEY;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION)
		snprintf(r->why, sizeof(r->why),
			 "the server's TLS certificate does not name the host "
			 "of the enrollment url");
	if (rc != CURLE_OK)
		return curl_errno(rc);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(r->content_type, sizeof(r->content_type), "%s", ct);
	return 0;
}

static int request(const char *url, const struct est_tls_opts *o,
		   const char *body, size_t len, struct est_reply *r)
{
	struct curl_slist *hdr = NULL;
	CURL *c = o->handle ? o->handle : curl_easy_init();
	int ret = -ENOMEM;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	if (!c)
		return -ENOMEM;
	if (o->handle)
		curl_easy_reset(c);
	if (body) {
		hdr = curl_slist_append(NULL,
					"Content-Type: application/pkcs10");
		if (!hdr)
			goto out;
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	ret = perform(c, url, o, r);
out:
	curl_slist_free_all(hdr);
	if (!o->handle)
		curl_easy_cleanup(c);
	if (ret < 0) {
		free(r->data);
		r->data = NULL;
		r->len = 0;
	}
	return ret;
}

int est_client_get(const char *url, const struct est_tls_opts *o,
		   struct est_reply *r)
{
	return request(url, o, NULL, 0, r);
}

int est_client_post(const char *url, const struct est_tls_opts *o,
		    const char *body, size_t len, struct est_reply *r)
{
	return request(url, o, body, len, r);
}

void est_reply_free(struct est_reply *r)
{
	free(r->data);
	r->data = NULL;
	r->len = 0;
	sk_X509_pop_free(r->peer, X509_free);
	r->peer = NULL;
}

int est_client_certs(const struct est_reply *r, STACK_OF(X509) * *certs)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	STACK_OF(X509) *in;
	PKCS7 *p7 = NULL;
	size_t len = 0;
	int ret;

	*certs = NULL;
	ret = est_b64_decode(r->data, r->len, &der, &len);
	if (ret < 0)
		return ret == -EMSGSIZE ? ret : -EBADMSG;
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	ret = -EBADMSG;
	if (!p7 || p != der + len || !PKCS7_type_is_signed(p7) ||
	    !p7->d.sign || !(in = p7->d.sign->cert) || sk_X509_num(in) < 1)
		goto out;
	*certs = X509_chain_up_ref(in);
	ret = *certs ? 0 : -ENOMEM;
out:
	PKCS7_free(p7);
	free(der);
	ERR_clear_error();
	return ret;
}
