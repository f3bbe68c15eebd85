/* SPDX-License-Identifier: MIT */
/*
 * What a trustpoint asks of its CA, whatever protocol carries it: the
 * table a client protocol implements (SCEP: daemon/proto/scep/
 * scep_enroll.c) and the trustpoint lifecycle (daemon/client/) calls.
 *
 * The lifecycle decides what to ask (which key, which CA issues, who
 * signs the request, when to poll, retry or give up); the protocol
 * decides how (message types, envelope, cipher and digest, transport)
 * and says what went wrong in its own words.  Every call returns 0 or a
 * negative errno; enroll and poll report in the result a CA that did not
 * answer (CONNECT RETRY) or answered wrongly.
 */
#ifndef PKID_ENROLL_PROTO_H
#define PKID_ENROLL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* One enrollment or poll. */
struct enroll_ctx {
	const char *url;
	const char *caps; /* what the CA announced (get_caps), NULL: none */
	const char *transaction_id;
	X509 *signer; /* self-signed (first enrollment) or the identity */
	EVP_PKEY *signer_key;
	EVP_PKEY *key;	 /* being certified: the answer's certificate has it */
	X509 *recipient; /* the CA (or its RA) the request is for */
	STACK_OF(X509) * signers; /* who may sign the answer */
	X509 *ca;		  /* poll: the issuing CA */
	const X509_NAME *subject; /* poll: the request's subject */
	const unsigned char *csr; /* enroll, and EST's poll: PKCS#10, DER */
	size_t csr_len;
	int64_t now; /* the keystore's time */
	/* The keystore's time when a step needs it later (EST judges the
	 * server's TLS chain at the handshake, which may have waited for a
	 * CA's promotion); NULL: now above. */
	int (*clock)(void *arg, int64_t *now);
	void *clock_arg;
	/* What a protocol without a signed envelope (EST) needs to say in
	 * its transport instead: the signer is the identity being renewed
	 * (RENEW, SHADOW: it authenticates the TLS connection), the request
	 * is for the rollover CA (SHADOW), and the challenge password. */
	bool renewal;
	bool next_gen;
	const char *password; /* "" or NULL: none */
	/* The first enrollment's TLS client certificate (`enrollment
	 * credential`: a manufacturer's IDevID) and its keystore key; NULL:
	 * none.  EST only. */
	X509 *credential;
	STACK_OF(X509) * credential_chain; /* its intermediates; NULL: none */
	EVP_PKEY *credential_key;
};

enum enroll_status {
	ENROLL_ISSUED,	   /* cert: ours (the key's), from the answer */
	ENROLL_PENDING,	   /* poll later, same transaction */
	ENROLL_REJECTED,   /* reason: the CA's words */
	ENROLL_REFUSED_NOW, /* reason: refused for a clock (badTime): retry */
	ENROLL_NO_ANSWER,  /* err: the CA is unreachable */
	ENROLL_BAD_ANSWER, /* err, why: an answer not from our CA for this */
};

struct enroll_result {
	enum enroll_status status;
	const char *reason; /* static */
	X509 *cert;	    /* owned; NULL if the answer held none of ours */
	int err;
	char why[160]; /* ENROLL_BAD_ANSWER: what was wrong, "" if unknown */
	/* The answer came with a legacy cipher (its name), opened in a
	 * library context of its own; NULL if not. */
	const char *legacy_cipher;
};

struct enroll_proto {
	const char *name;
	/* The CA certificate and its RA's (*ra NULL when none); why says
	 * which step failed. */
	int (*get_ca_certs)(const char *url, X509 **ca, X509 **ra, char *why,
			    size_t n);
	/* The CA's capabilities as text (malloc'd); optional for a CA. */
	int (*get_caps)(const char *url, char **caps);
	/* Does the CA announce a rollover CA certificate (get_next_ca)? */
	bool (*has_next_ca)(const char *caps);
	/* The rollover CA (and RA) certificates, verified as signed by ca
	 * (@now: the keystore's time, for a transport that checks the CA's
	 * TLS certificate); -ENOENT while there is none. */
	int (*get_next_ca)(const char *url, X509 *ca, int64_t now, X509 **next,
			   X509 **next_ra);
	int (*enroll)(const struct enroll_ctx *c, struct enroll_result *res);
	int (*poll)(const struct enroll_ctx *c, struct enroll_result *res);
	/* The CA's CRL (DER, malloc'd); from (size) says where it asked. */
	int (*get_crl)(const char *url, unsigned char **der, size_t *len,
		       char *from, size_t size);
	/* A URL as it is (a CRL distribution point), DER malloc'd. */
	int (*fetch)(const char *url, unsigned char **der, size_t *len);
	/* A fresh transaction ID. */
	int (*new_transaction_id)(char *buf, size_t size);
	/* The digest the CA accepts, for the CSR and a self-signed signer. */
	const EVP_MD *(*digest)(const char *caps);
	/* Does err (from any call) mean "the CA cannot be used now, try
	 * later" (CONNECT RETRY) rather than a fault of ours? */
	bool (*unreachable)(int err);
	/* The operator's words for a failed exchange, NULL for none. */
	const char *(*explain)(int err);
};

static inline void enroll_result_free(struct enroll_result *res)
{
	X509_free(res->cert);
	res->cert = NULL;
}

#endif /* PKID_ENROLL_PROTO_H */
