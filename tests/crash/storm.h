/* SPDX-License-Identifier: MIT */
/*
 * crash-storm: the enrollment storm of check-crash (tests/crash).
 *
 * Many concurrent SCEP clients enroll against a pkid that the test kills
 * with SIGKILL at a random moment and restarts.  Every client keeps what
 * it received, so the test can hold the database to it afterwards:
 *
 *   OUT/TID.der       a certificate the client received (CertRep SUCCESS)
 *   OUT/TID.pending   CertRep PENDING: the CSR's SHA-256 (as `show
 *                     requests` stores it), for the request row to match
 *
 * A request that got no answer (pkid died under it) is sent again, the
 * very same message, once pkid answers GetCACert again: as a real client
 * retries, and as pkid must then answer it from what it committed.
 *
 * storm.c       options, the CA's certificates, the key pool, the requests
 * storm_send.c  the client threads, the replies, the retry after restart
 */
#ifndef CRASH_STORM_H
#define CRASH_STORM_H

#include <stdatomic.h>
#include <stddef.h>

#include "scep/scep_client.h"

struct storm_opts {
	const char *url;
	const char *out;      /* directory for what the clients received */
	const char *keys;     /* directory of the RSA key pool (reused) */
	const char *password; /* static challenge; NULL = none */
	const char *ready;    /* created when the first request goes out */
	unsigned int enrollments, clients, pending, retry_seconds;
};

/* The CA as GetCACert and GetCACaps describe it. */
struct storm_ca {
	X509 *ca, *ra;
	STACK_OF(X509) * signers;
	const EVP_CIPHER *cipher;
	const EVP_MD *md;
	int post;
};

/* What happened to one enrollment. */
enum storm_result {
	STORM_UNSENT = 0,
	STORM_NO_ANSWER, /* HTTP/transport error: pkid was killed under it */
	STORM_ISSUED,
	STORM_PENDING,
	STORM_FAILED, /* CertRep FAILURE or a reply we cannot open: a bug */
};

struct storm_req {
	char tid[SCEP_TRANSID_MAX + 1];
	char csr_fp[65]; /* SHA-256 of the CSR DER, upper-case hex */
	EVP_PKEY *key;
	X509 *self_signed;
	struct scep_client_msg msg;
	unsigned char *der;
	size_t der_len;
	enum storm_result result;
};

struct storm {
	const struct storm_opts *o;
	struct storm_ca ca;
	struct storm_req *req;
	size_t n;
	atomic_size_t next;
};

/* Send every request not yet answered, with o->clients threads. */
int storm_send_all(struct storm *s);
/* 0 once GetCACert answers (the CA is up), -ETIMEDOUT after o->retry_seconds.
 */
int storm_wait_server(const struct storm *s);

#endif /* CRASH_STORM_H */
