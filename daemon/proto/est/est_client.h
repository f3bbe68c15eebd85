/* SPDX-License-Identifier: MIT */
/*
 * EST (RFC 7030) over HTTPS, client side (est_client.c): libcurl on
 * OpenSSL, with the TLS details EST needs installed into curl's SSL_CTX:
 *
 *  - the CA's TLS server certificate is verified by us, not by the
 *    system's trust store: against the trustpoint's CA certificates only,
 *    at the keystore's time (the lab clock in tests, the CA's clock in
 *    life), the host name by curl;
 *  - the TLS client certificate (re-enrollment) signs with a key that
 *    stays in the keystore: an OpenSSL provider key (pkiks:NAME) set on
 *    the SSL_CTX; an RSA one caps the connection at TLS 1.2 with
 *    PKCS#1 v1.5 signatures, the only RSA signature the keystore makes
 *    (TLS 1.3 signs with RSA-PSS).
 *
 * No program state: one easy handle per request (a trustpoint makes a
 * few a lifetime; the benchmark many), every request bounded in time and
 * size.
 */
#ifndef PKID_EST_CLIENT_H
#define PKID_EST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define EST_CLIENT_CONNECT_TIMEOUT 5  /* s */
#define EST_CLIENT_TIMEOUT	   20 /* s, the whole request */
#define EST_CLIENT_BODY_MAX	   (256 * 1024)

struct est_tls_opts {
	X509 *cert;    /* TLS client certificate; NULL: none */
	/* the intermediates sent after it (an IDevID's maker's); NULL: none */
	STACK_OF(X509) * chain;
	EVP_PKEY *key; /* its key (may be a keystore provider key) */
	/* The certificates the server's must chain to; NULL: bootstrap
	 * (anything is accepted and the chain kept in the reply, for the
	 * caller to check once it knows the CA). */
	STACK_OF(X509) * anchors;
	int64_t now; /* when to judge the server's chain (0: the wall clock) */
	/* ... or, when set, the time it tells at the handshake (the
	 * keystore's, read again: the connection may have waited for the
	 * CA's promotion, whose new TLS certificate starts at the old CA's
	 * end); now above if it fails. */
	int (*clock)(void *arg, int64_t *now);
	void *clock_arg;
	const char *user, *password; /* HTTP Basic; NULL: none */
	/* Keep the TCP/TLS connection for the next request on the same
	 * handle (the benchmark); NULL: a handle of its own. */
	void *handle;
};

struct est_reply {
	long status; /* HTTP status */
	unsigned char *data;
	size_t len;
	char content_type[128];
	long retry_after; /* -1 when absent */
	STACK_OF(X509) * peer; /* the server's chain as it was sent */
	char why[200];	       /* -EKEYREJECTED: what did not verify */
	long connects; /* new connections (handshakes) it took: 0 or 1 */
};

/* GET / POST (application/pkcs10, body base64) @url.  0 with any HTTP
 * status in @r; -EKEYREJECTED when the server's TLS certificate did not
 * verify (r->why), -EMSGSIZE for a reply over EST_CLIENT_BODY_MAX, else
 * the transport's error (-ECONNREFUSED, -ETIMEDOUT, ...). */
int est_client_get(const char *url, const struct est_tls_opts *o,
		   struct est_reply *r);
int est_client_post(const char *url, const struct est_tls_opts *o,
		    const char *body, size_t len, struct est_reply *r);
void est_reply_free(struct est_reply *r);

/* The certificates of a base64 certs-only reply body. -EBADMSG if it
 * is not one. */
int est_client_certs(const struct est_reply *r, STACK_OF(X509) * *certs);

/* Does x chain to one of anchors (with untrusted as intermediates) at
 * @now (0: do not judge validity periods) for a TLS server? 0, or
 * -EKEYREJECTED with the reason in why. */
int est_client_verify(X509 *x, STACK_OF(X509) * untrusted,
		      STACK_OF(X509) * anchors, int64_t now, char *why,
		      size_t n);

/* A reusable handle for opts.handle (NULL: out of memory). */
void *est_client_handle_new(void);
void est_client_handle_free(void *handle);

/* Is libcurl's TLS OpenSSL (which the SSL_CTX hook needs)? */
bool est_client_usable(void);

#endif /* PKID_EST_CLIENT_H */
