/* SPDX-License-Identifier: MIT */
/*
 * EST (RFC 7030) message codec (est.c): the base64 bodies, the PKCS#10
 * request, the PKCS#7 certs-only answers, and the re-enrollment rule that
 * a request names exactly what the certificate it renews names.  No HTTP,
 * no CA: est_http.c puts them together.
 */
#ifndef PKID_EST_H
#define PKID_EST_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

/* Largest decoded message accepted (a CSR); the body cap bounds it too. */
#define EST_DER_MAX (48 * 1024)

/*
 * Base64 (RFC 4648 alphabet, line breaks and blanks allowed, nothing
 * else) to bytes, malloc'd.  -EBADMSG for anything that is not base64 or
 * decodes to nothing, -EMSGSIZE above EST_DER_MAX.
 */
int est_b64_decode(const unsigned char *in, size_t len, unsigned char **out,
		   size_t *out_len);
/* Bytes to base64 text in 64-character lines, malloc'd. */
int est_b64_encode(const unsigned char *in, size_t len, char **out,
		   size_t *out_len);

/*
 * A PKCS#10 request from DER: the whole input is one request and its
 * signature verifies with its own key.  -EBADMSG if not DER of a request,
 * -EKEYREJECTED if the signature does not verify.
 */
int est_csr_parse(const unsigned char *der, size_t len, X509_REQ **csr);

/*
 * The request's certificationRequestInfo (RFC 2986: version, subject,
 * key, attributes; everything but the signature), as the bytes inside
 * der.  A client that signs the same request again with an ECDSA key
 * sends another DER (ECDSA signatures are randomised), but the same
 * information.  -EBADMSG if der does not start so.
 */
int est_csr_info(const unsigned char *der, size_t len,
		 const unsigned char **info, size_t *info_len);

/* A degenerate PKCS#7 SignedData (certs-only) holding certs, as DER. */
int est_certs_only(STACK_OF(X509) *certs, unsigned char **der, size_t *len);
/* The same, base64 (what EST sends), malloc'd. */
int est_certs_only_b64(STACK_OF(X509) *certs, char **b64, size_t *len);

/* RFC 7030 §4.2.2: the request's subject and subjectAltName are those of
 * the certificate being renewed (both absent counts as equal). */
bool est_names_match(X509_REQ *csr, X509 *cert);

/* Does a Content-Type header name media (its parameters ignored)? */
bool est_media_is(const char *content_type, const char *media);

#endif /* PKID_EST_H */
