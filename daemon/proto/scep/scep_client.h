/* SPDX-License-Identifier: MIT */
/*
 * The client side of SCEP (RFC 8894), as a trustpoint speaks it.
 *
 * Codec (scep_client.c, scep_client_csr.c): build a PKIOperation request
 * (CMS SignedData around an EnvelopedData around the content: a PKCS#10
 * for PKCSReq/RenewalReq, IssuerAndSubject for CertPoll) and open the
 * CA's CertRep (signature by a certificate we trust, transactionID and
 * recipientNonce ours, content decrypted with our key).  Keys are
 * EVP_PKEYs: the daemon passes keystore keys through the pkiks provider,
 * the unit test in-memory ones.
 *
 * Transport (scep_client_http.c): GetCACert, GetCACaps, GetNextCACert and
 * PKIOperation (POST when the CA announces it, else GET) over libcurl,
 * each with a connect and a total timeout.
 *
 * Every function returns 0 or a negative errno.
 */
#ifndef PKID_SCEP_CLIENT_H
#define PKID_SCEP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep.h"

/* One request to build. */
struct scep_client_msg {
	enum scep_msg_type type;
	const char *transaction_id;
	unsigned char sender_nonce[SCEP_NONCE_LEN];
	X509 *signer; /* self-signed (first enrollment) or identity */
	EVP_PKEY *signer_key;
	X509 *recipient; /* the CA or RA certificate to envelope to */
	const EVP_CIPHER *cipher;
	const EVP_MD *md;
	const unsigned char *content; /* DER of the inner content */
	size_t content_len;
	int64_t now; /* signingTime: the keystore's time, not OpenSSL's */
};

int scep_client_build(const struct scep_client_msg *m, unsigned char **out,
		      size_t *out_len);

/* What a CertRep said. */
struct scep_client_reply {
	enum scep_status status;
	enum scep_fail_info fail; /* FAILURE only */
	STACK_OF(X509) * certs;	  /* SUCCESS: the degenerate PKCS#7's certs */
	/* A parse failure: what was wrong, for the log ("signature invalid",
	 * "cannot decrypt reply: algorithm des-ede3-cbc", ...). */
	char why[160];
	/* SUCCESS enveloped with DES or 3DES: opened by scep_legacy_open()
	 * (its own library context), and the cipher's name; else NULL. */
	const char *legacy_cipher;
};

/*
 * Open a CertRep answering m: verified with one of @signers (the CA or RA
 * certificate, no chain building: the lab clock is not OpenSSL's),
 * transactionID equal to m->transaction_id, recipientNonce equal to
 * m->sender_nonce; on SUCCESS the envelope is opened with m->signer /
 * m->signer_key.  -EBADMSG: not a CertRep for us (never trust its status).
 */
int scep_client_parse(const unsigned char *der, size_t len,
		      STACK_OF(X509) * signers, const struct scep_client_msg *m,
		      struct scep_client_reply *rep);
void scep_client_reply_free(struct scep_client_reply *rep);

/* The certificate in rep->certs whose public key is @key (NULL if none). */
X509 *scep_client_find_cert(const struct scep_client_reply *rep, EVP_PKEY *key);

/* CertPoll content: IssuerAndSubject, DER malloc'd. */
int scep_client_poll_content(X509 *ca, const X509_NAME *subject,
			     unsigned char **out, size_t *out_len);

/* A fresh transactionID: 32 hex digits of randomness (unique per request). */
int scep_client_transid(char *buf, size_t size);

/* ---- scep_client_csr.c: what the request carries ---- */

struct scep_client_subject {
	const char *dn;	       /* "CN=router1,O=Example"; "" = CN=hostname */
	const char *hostname;  /* fallback CN and the FQDN SAN */
	const char *serial;    /* serialNumber attribute, NULL = none */
	const char *ip;	       /* iPAddress SAN, NULL = none */
	const char *alt_name;  /* extra dNSName SAN, NULL/"" = none */
	const char *challenge; /* challengePassword, NULL/"" = none */
	bool ca; /* ask for a CA certificate (mode sub-cs): basicConstraints */
};

/* The subject DN; -EINVAL for a malformed one. */
int scep_client_name(const struct scep_client_subject *s, X509_NAME **out);
int scep_client_csr(const struct scep_client_subject *s, EVP_PKEY *key,
		    const EVP_MD *md, X509_REQ **out);
/* The self-signed certificate of a first enrollment, valid from now. */
int scep_client_self_signed(const X509_NAME *name, EVP_PKEY *key,
			    const EVP_MD *md, int64_t now, X509 **out);

/* GetCACert's body: one DER certificate, or a degenerate PKCS#7 holding
 * the CA (the self-issued CA certificate) and the RA (*ra, may be NULL). */
int scep_client_parse_ca(const unsigned char *der, size_t len,
			 const char *content_type, X509 **ca, X509 **ra);
/* GetNextCACert: a SignedData signed by @ca (or an RA it issued)
 * carrying the rollover CA certificate (*next) and, in RA mode, the
 * rollover RA certificate it signed (*next_ra, else NULL). */
int scep_client_parse_next_ca(const unsigned char *der, size_t len, X509 *ca,
			      X509 **next, X509 **next_ra);

/* The cipher and digest to use given GetCACaps' text (NULL: none known). */
const EVP_CIPHER *scep_client_cipher(const char *caps);
const EVP_MD *scep_client_md(const char *caps);
int scep_client_has_cap(const char *caps, const char *cap);

/* Hex fingerprint (upper case, no separators) of a certificate. */
int scep_client_fingerprint(X509 *x, const EVP_MD *md, char *buf, size_t size);
/* 0 when @hex (SHA-1, SHA-256 or SHA-512 by its length) is x's
 * fingerprint, -EKEYREJECTED when not, -EINVAL for a bad length. */
int scep_client_fingerprint_match(X509 *x, const char *hex);

/* ---- scep_client_http.c ---- */

/* Where the transport reports failures (level: syslog's; one line, no
 * newline).  Default, and fn NULL: nowhere (the errno still says). */
typedef void (*scep_log_fn)(int level, const char *msg);
void scep_client_set_log(scep_log_fn fn);

struct scep_http_body {
	unsigned char *data; /* malloc'd */
	size_t len;
	char content_type[128];
	long status; /* HTTP status */
};

/* Timeouts of every request (seconds). */
#define SCEP_HTTP_CONNECT_TIMEOUT 5
#define SCEP_HTTP_TIMEOUT	  20
#define SCEP_HTTP_BODY_MAX	  (1024 * 1024)

/*
 * GET url?operation=OP[&message=MSG].  Returns 0 with a 2xx answer;
 * -ENOENT for 404, -EPROTO for any other HTTP error, -ECONNREFUSED /
 * -EHOSTUNREACH / -ETIMEDOUT when the CA cannot be reached.
 */
int scep_http_get(const char *url, const char *op, const char *message,
		  struct scep_http_body *body);
/* GET @url as it is (a CRL distribution point); errors as above. */
int scep_http_get_url(const char *url, struct scep_http_body *body);
/* The same, the body handed over in *der (the enrollment protocols'
 * fetch: a CRL from its distribution point, over SCEP or EST). */
int scep_http_fetch(const char *url, unsigned char **der, size_t *len);
/* PKIOperation: POST application/x-pki-message, or GET with base64. */
int scep_http_pkiop(const char *url, int post, const unsigned char *der,
		    size_t len, struct scep_http_body *body);
void scep_http_body_free(struct scep_http_body *body);
/* Whether an error means "the CA is unreachable" (CONNECT RETRY). */
int scep_http_unreachable(int err);

#endif /* PKID_SCEP_CLIENT_H */
