/* SPDX-License-Identifier: MIT */
/*
 * SCEP message codec (RFC 8894 §3) on OpenSSL's CMS API.
 *
 * scep_parse() opens a PKIOperation request: it verifies the outer
 * SignedData with the signer certificate the message carries, reads the
 * SCEP authenticated attributes, finds which of our certificates the inner
 * EnvelopedData was encrypted to, decrypts it and decodes the content
 * (PKCS#10 for PKCSReq/RenewalReq).  scep_reply() builds the CertRep.
 *
 * Keys are plain EVP_PKEY handles: the daemon passes keystore-backed keys
 * from the pkiks provider, the unit test passes in-memory ones; the codec
 * does not care where a private key lives.
 */
#ifndef PKID_SCEP_H
#define PKID_SCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

enum scep_msg_type {
	SCEP_MSG_CERTREP = 3,
	SCEP_MSG_RENEWALREQ = 17,
	SCEP_MSG_PKCSREQ = 19,
	SCEP_MSG_CERTPOLL = 20,
	SCEP_MSG_GETCERT = 21,
	SCEP_MSG_GETCRL = 22,
};

enum scep_status {
	SCEP_STATUS_SUCCESS = 0,
	SCEP_STATUS_FAILURE = 2,
	SCEP_STATUS_PENDING = 3,
};

enum scep_fail_info {
	SCEP_FAIL_NONE = -1,
	SCEP_FAIL_BAD_ALG = 0,
	SCEP_FAIL_BAD_MESSAGE_CHECK = 1,
	SCEP_FAIL_BAD_REQUEST = 2,
	SCEP_FAIL_BAD_TIME = 3,
	SCEP_FAIL_BAD_CERT_ID = 4,
};

/*
 * Property query of every CMS object the codec makes: prefer the pkiks
 * provider's implementations, so that a keystore key signs and decrypts
 * in the keystore instead of being exported (public part only) to the
 * default provider.  A preference: with in-memory keys it changes nothing.
 */
#define SCEP_PROPQ "?provider=pkiks"

#define SCEP_NONCE_LEN	 16
#define SCEP_TRANSID_MAX 128

/* One of our certificates a client may envelope to, with its decrypt key. */
struct scep_recipient {
	X509 *cert;
	EVP_PKEY *key;
};

struct scep_request {
	enum scep_msg_type type;
	char transaction_id[SCEP_TRANSID_MAX + 1];
	unsigned char sender_nonce[SCEP_NONCE_LEN];
	int have_nonce;
	X509 *signer;	     /* the certificate that signed the request */
	int digest_nid;	     /* SignerInfo digest */
	int cipher_nid;	     /* envelope content cipher */
	int recipient_index; /* which scep_recipient the envelope named */
	X509_REQ *csr;	     /* PKCSReq, RenewalReq */
	char *challenge;     /* from the CSR; NULL if none */
	X509_NAME *issuer;   /* GetCert/GetCRL: IssuerAndSerial; CertPoll */
	X509_NAME *subject;  /* CertPoll: IssuerAndSubject */
	ASN1_INTEGER *serial;
};

/*
 * Parse and check a request.  Returns 0, or -EBADMSG when the bytes are not
 * a SCEP message at all (answer HTTP 400); otherwise, when the message is a
 * SCEP message but fails a check, returns -EPROTO and sets *fail to the
 * failInfo to answer with.  On -EPROTO, req holds what was readable
 * (transaction_id, sender_nonce, signer) so a FAILURE CertRep can be built.
 * Free with scep_request_free() in every case.
 */
int scep_parse(const unsigned char *der, size_t len,
	       const struct scep_recipient *recipients, size_t n_recipients,
	       struct scep_request *req, enum scep_fail_info *fail);
/* The same with flags: SCEP_ALLOW_DES accepts a single-DES envelope
 * (legacy clients; otherwise it is badAlg). */
#define SCEP_ALLOW_DES 0x1u
int scep_parse_ex(const unsigned char *der, size_t len,
		  const struct scep_recipient *recipients, size_t n_recipients,
		  unsigned int flags, struct scep_request *req,
		  enum scep_fail_info *fail);

/*
 * Open an EnvelopedData whose content cipher is DES-CBC or DES-EDE3-CBC
 * (scep_legacy.c: the cipher from a library context of its own with
 * OpenSSL's legacy provider; the key transport with key where it lives).
 * *out is malloc'd.  -EPROTO: not ours, another cipher, or it does not
 * decrypt.
 */
int scep_legacy_open(const unsigned char *der, long len, X509 *cert,
		     EVP_PKEY *key, unsigned char **out, long *out_len);
void scep_request_free(struct scep_request *req);
/* A non-empty PrintableString (RFC 8894 §3.2.1.1); scep_parse() refuses
 * any other transactionID as not a SCEP message. */
bool scep_transaction_id_ok(const char *tid);

struct scep_reply {
	enum scep_status status;
	enum scep_fail_info fail; /* FAILURE only */
	X509 *issued;		  /* SUCCESS with a certificate */
	X509_CRL *crl;		  /* SUCCESS to GetCRL */
	const char *why; /* which check decided (logged, never sent) */
};

/*
 * Build the CertRep for req, signed by sign_cert/sign_key with digest md.
 * A SUCCESS reply envelopes a degenerate PKCS#7 (the issued certificate or
 * the CRL) to the requester's signer certificate with the request's own
 * cipher.  now (the keystore's authoritative time) is the signingTime.
 * *out is malloc'd DER.  Returns 0 or a negative errno.
 */
int scep_reply(const struct scep_request *req, const struct scep_reply *rep,
	       X509 *sign_cert, EVP_PKEY *sign_key, const EVP_MD *md,
	       int64_t now, unsigned char **out, size_t *out_len);

/* Degenerate PKCS#7 SignedData carrying certs and/or crl (DER, malloc'd). */
int scep_degenerate(STACK_OF(X509) *certs, X509_CRL *crl, unsigned char **out,
		    size_t *out_len);

/*
 * The GetNextCACert answer: SignedData signed by sign_cert/sign_key (the
 * current CA) over a degenerate PKCS#7 carrying next (the rollover CA
 * certificate, then the RA's successor).  *out is malloc'd DER.
 */
int scep_next_ca(X509 *sign_cert, EVP_PKEY *sign_key, const EVP_MD *md,
		 STACK_OF(X509) * next, int64_t now, unsigned char **out,
		 size_t *out_len);

const char *scep_msg_type_name(enum scep_msg_type type);
const char *scep_fail_info_name(enum scep_fail_info fail);

#endif /* PKID_SCEP_H */
