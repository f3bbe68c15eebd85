// SPDX-License-Identifier: MIT
/*
 * EST's TLS on libmicrohttpd's GnuTLS, with the server key in the
 * keystore.
 *
 * libmicrohttpd asks, at each handshake, a gnutls certificate callback for
 * the chain and a gnutls_privkey_t.  Ours is an "external" GnuTLS key
 * (gnutls_privkey_import_ext4): GnuTLS hands the callbacks below the bytes
 * to sign, and they sign through the OpenSSL provider handle of the CA's
 * TLS key (pkiks:NAME-tls, ca_tls_identity), so the private key stays in
 * the keystore as every other key does.  No decrypt callback: the
 * priorities allow only ECDHE key exchange, where the key only signs.
 *
 * The identity (chain and key) is fetched from the CA at the first
 * handshake and again when the CA certificate changed (a promoted
 * rollover) or the TLS certificate reached its renewal time.  An identity
 * a handshake may still use is never freed while the listener runs: the
 * retired ones stay on a list until est_tls_free().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "config.h"
#include "core/log.h"
#include "est_tls.h"

/* TLS 1.2 and 1.3 only; ECDHE (forward secrecy, and the key only signs). */
#define EST_TLS_PRIORITIES                                              \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-DHE-RSA:-DHE-DSS:" \
	"%SERVER_PRECEDENCE"
#define EST_PROPQ "?provider=pkiks"

struct est_ident {
	gnutls_pcert_st pcert[2]; /* the TLS certificate, the CA */
	unsigned int n_pcert;
	gnutls_privkey_t pkey;
	EVP_PKEY *key; /* provider handle: signs in the keystore */
	X509 *cert, *ca_cert;
	int64_t renew_at;
	struct est_ident *next; /* retired list */
};

struct est_tls {
	struct ca *ca;
	char host[PKID_CONF_NAME_MAX];
	pthread_mutex_t lock;
	struct est_ident *cur;
	struct est_ident *retired;
	/* The keystore's time as last asked (under lock), and when on the
	 * monotonic clock: asked again after EST_CLOCK_NS. */
	int64_t ks_now;
	uint64_t ks_asked_ns;
};

/* A handshake asks the CA's clock at most this often: each asking takes
 * the CA's lock and a keystore round trip. */
#define EST_CLOCK_NS 1000000000ULL

/* The one listener: GnuTLS's callback has no argument of ours. */
static struct est_tls *the_tls;
/* A refused handshake or a failed signature is said once until the next
 * success: clients must not be able to fill the log. */
static bool said_no_ident, said_no_sign;

static bool first_time(bool *said)
{
	return !__atomic_exchange_n(said, true, __ATOMIC_RELAXED);
}

/* ---- the external key ---- */

static const EVP_MD *md_of(gnutls_sign_algorithm_t algo)
{
	gnutls_digest_algorithm_t d = gnutls_sign_get_hash_algorithm(algo);

	switch (d) {
	case GNUTLS_DIG_SHA256:
		return EVP_sha256();
	case GNUTLS_DIG_SHA384:
		return EVP_sha384();
	case GNUTLS_DIG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* ECDSA with the keystore's hashes; for TLS 1.3 only the P-256 one. */
static bool sign_algo_ok(gnutls_sign_algorithm_t algo)
{
	switch (algo) {
	case GNUTLS_SIGN_ECDSA_SHA256:
	case GNUTLS_SIGN_ECDSA_SHA384:
	case GNUTLS_SIGN_ECDSA_SHA512:
	case GNUTLS_SIGN_ECDSA_SECP256R1_SHA256:
		return true;
	default:
		return false;
	}
}

/* The DER signature from OpenSSL into GnuTLS's memory. */
static int to_datum(const unsigned char *sig, size_t len, gnutls_datum_t *out)
{
	out->data = gnutls_malloc(len);
	if (!out->data)
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(out->data, sig, len);
	out->size = (unsigned int)len;
	return 0;
}

static int sign_data(gnutls_privkey_t k, gnutls_sign_algorithm_t algo,
		     void *userdata, unsigned int flags,
		     const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	const EVP_MD *md = md_of(algo);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[160];
	size_t len = sizeof(buf);
	int ret = GNUTLS_E_PK_SIGN_FAILED;

	if (!md || !ctx || !sign_algo_ok(algo))
		goto out;
	if (EVP_DigestSignInit_ex(ctx, NULL, EVP_MD_get0_name(md), NULL,
				  EST_PROPQ, userdata, NULL) == 1 &&
	    EVP_DigestSign(ctx, buf, &len, data->data, data->size) == 1)
		ret = to_datum(buf, len, sig);
out:
	if (ret < 0 && first_time(&said_no_sign))
		pkid_log(LOG_ERR, "EST_TLS",
			 "the keystore did not sign a TLS handshake (said once "
			 "until one is signed)");
	else if (ret == 0)
		__atomic_store_n(&said_no_sign, false, __ATOMIC_RELAXED);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

/* A precomputed digest (ECDSA signs the hash as it is). */
static int sign_hash(gnutls_privkey_t k, gnutls_sign_algorithm_t algo,
		     void *userdata, unsigned int flags,
		     const gnutls_datum_t *hash, gnutls_datum_t *sig)
{
	const EVP_MD *md = md_of(algo);
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char buf[160];
	size_t len = sizeof(buf);
	int ret = GNUTLS_E_PK_SIGN_FAILED;

	if (!md || !sign_algo_ok(algo) ||
	    hash->size != (unsigned int)EVP_MD_get_size(md))
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, userdata, EST_PROPQ);
	if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
	    EVP_PKEY_sign(ctx, buf, &len, hash->data, hash->size) == 1)
		ret = to_datum(buf, len, sig);
out:
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

static int key_info(gnutls_privkey_t k, unsigned int flags, void *userdata)
{
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return GNUTLS_PK_ECDSA;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return 256;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return sign_algo_ok(GNUTLS_FLAGS_TO_SIGN_ALGO(flags));
	if (flags & GNUTLS_PRIVKEY_INFO_SIGN_ALGO)
		return GNUTLS_SIGN_ECDSA_SECP256R1_SHA256;
	return -1;
}

/* ---- the identity ---- */

static void ident_free(struct est_ident *id)
{
	if (!id)
		return;
	for (unsigned int i = 0; i < id->n_pcert; i++)
		gnutls_pcert_deinit(&id->pcert[i]);
	gnutls_privkey_deinit(id->pkey);
	EVP_PKEY_free(id->key);
	X509_free(id->cert);
	X509_free(id->ca_cert);
	free(id);
}

static int pcert_of(X509 *x, gnutls_pcert_st *pc)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	gnutls_datum_t d = {.data = der, .size = n > 0 ? (unsigned int)n : 0};
	int ret = n > 0 ? gnutls_pcert_import_x509_raw(pc, &d,
						       GNUTLS_X509_FMT_DER, 0)
			: -1;

	OPENSSL_free(der);
	return ret < 0 ? -EBADMSG : 0;
}

/* A new identity from the CA: chain [TLS certificate, CA], external key. */
static int ident_new(struct est_tls *t, X509 *ca_cert, struct est_ident **out)
{
	struct est_ident *id = calloc(1, sizeof(*id));
	int ret;

	if (!id)
		return -ENOMEM;
	ret = ca_tls_identity(t->ca, t->host, &id->cert, &id->key,
			      &id->renew_at);
	if (ret < 0)
		goto err;
	id->ca_cert = X509_dup(ca_cert);
	ret = -EBADMSG;
	if (!id->ca_cert || pcert_of(id->cert, &id->pcert[0]) < 0)
		goto err;
	id->n_pcert = 1;
	if (pcert_of(id->ca_cert, &id->pcert[1]) < 0)
		goto err;
	id->n_pcert = 2;
	if (gnutls_privkey_init(&id->pkey) < 0 ||
	    gnutls_privkey_import_ext4(id->pkey, id->key, sign_data, sign_hash,
				       NULL, NULL, key_info, 0) < 0)
		goto err;
	*out = id;
	return 0;
err:
	ident_free(id);
	return ret;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The keystore's time now (under t->lock): asked at most once per
 * EST_CLOCK_NS, run on by the monotonic clock in between (a lab clock's
 * jump is seen within that). -errno when it was never had. */
static int ks_time(struct est_tls *t, int64_t *now)
{
	uint64_t mono = mono_ns();
	int64_t fresh;

	if (!t->ks_asked_ns || mono - t->ks_asked_ns >= EST_CLOCK_NS) {
		if (ca_clock(t->ca, &fresh) == 0) {
			t->ks_now = fresh;
			t->ks_asked_ns = mono;
		} else if (!t->ks_asked_ns) {
			return -EAGAIN;
		}
	}
	*now = t->ks_now + (int64_t)((mono - t->ks_asked_ns) / 1000000000ULL);
	return 0;
}

/* Still the one to serve: under the current CA certificate and before
 * its renewal time on the keystore's clock, the CA's (not the wall
 * clock: the two part under a lab clock, or when the CA's clock is
 * corrected).  Without the keystore's time it serves on; ca_tls_identity
 * could not issue another then anyway. */
static bool ident_fresh(struct est_tls *t, const struct est_ident *id,
			X509 *ca_cert)
{
	int64_t now;

	if (!id || X509_cmp(id->ca_cert, ca_cert) != 0)
		return false;
	return ks_time(t, &now) < 0 || now < id->renew_at;
}

/* The identity for a handshake; NULL: none can be had now. */
static struct est_ident *ident_get(struct est_tls *t)
{
	struct ca_keys keys = {0};
	struct est_ident *id = NULL, *fresh;

	if (ca_keys_get(t->ca, &keys) < 0)
		return NULL;
	pthread_mutex_lock(&t->lock);
	if (!ident_fresh(t, t->cur, keys.ca_cert) &&
	    ident_new(t, keys.ca_cert, &fresh) == 0) {
		if (t->cur) {
			t->cur->next = t->retired;
			t->retired = t->cur;
		}
		t->cur = fresh;
	}
	/* A stale identity still serves while a new one cannot be had
	 * (the CA is restarting): clients judge its validity. */
	id = t->cur;
	pthread_mutex_unlock(&t->lock);
	ca_keys_put(&keys);
	return id;
}

static int cert_callback(gnutls_session_t session,
			 const gnutls_datum_t *req_ca_rdn, int nreqs,
			 const gnutls_pk_algorithm_t *pk_algos,
			 int pk_algos_length, gnutls_pcert_st **pcert,
			 unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	struct est_ident *id = the_tls ? ident_get(the_tls) : NULL;

	if (!id) {
		if (first_time(&said_no_ident))
			pkid_log(LOG_WARNING, "EST_TLS",
				 "no TLS server certificate yet: handshakes "
				 "refused until the CA issues one");
		return -1;
	}
	__atomic_store_n(&said_no_ident, false, __ATOMIC_RELAXED);
	*pcert = id->pcert;
	*pcert_length = id->n_pcert;
	*privkey = id->pkey;
	return 0;
}

/* Ask for a client certificate (optional: simpleenroll may use Basic). */
static void session_new(void *session)
{
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
}

static const unsigned char *peer_cert(void *session, unsigned int i,
				      size_t *len)
{
	unsigned int n = 0;
	const gnutls_datum_t *certs =
		gnutls_certificate_get_peers(session, &n);

	if (!certs || i >= n)
		return NULL;
	*len = certs[i].size;
	return certs[i].data;
}

int est_tls_new(struct est_tls **out, struct ca *ca, const char *host)
{
	struct est_tls *t;

	if (the_tls)
		return -EBUSY;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->ca = ca;
	pthread_mutex_init(&t->lock, NULL);
	the_tls = t;
	*out = t;
	return 0;
}

void est_tls_http(struct est_tls *t, struct http_tls *h)
{
	h->cert_callback = (void *)cert_callback;
	h->priorities = EST_TLS_PRIORITIES;
	h->session_new = session_new;
	h->peer_cert = peer_cert;
}

/* After the listener stopped: no handshake uses an identity any more. */
void est_tls_free(struct est_tls *t)
{
	struct est_ident *id;

	if (!t)
		return;
	ident_free(t->cur);
	while ((id = t->retired)) {
		t->retired = id->next;
		ident_free(id);
	}
	pthread_mutex_destroy(&t->lock);
	if (the_tls == t)
		the_tls = NULL;
	free(t);
}
