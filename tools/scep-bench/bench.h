/* SPDX-License-Identifier: MIT */
/*
 * scep-bench: a SCEP enrollment load generator (tools/scep-bench).
 *
 * prepare.c  before the clock starts: a pool of RSA keys; per enrollment
 *            a challenge password, CSR, self-signed certificate, PKCSReq
 * run.c      the timed window: C client threads send the prepared
 *            PKCSReqs and keep every CertRep with its latency; then each
 *            CertRep is opened (SUCCESS, the certificate for our key)
 * limit.c    the physical limit: RSA-2048 (and, for EST, ECDSA P-256)
 *            private operations per second on this machine's cores
 *
 * EST mode (--est URL): the same enrollments as EST simpleenroll with
 * HTTP Basic (the challenge as password) over a new TLS connection each,
 * with pkid's own EST client transport (daemon/proto/est/est_client.c).
 * main.c     options, the CA's certificates, the report
 */
#ifndef SCEP_BENCH_H
#define SCEP_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "est/est_client.h"
#include "scep/scep_client.h"

struct bench_opts {
	const char *url;
	const char *ctl_socket; /* pkid's control socket: one-time passwords */
	const char *ca_name;
	const char *challenge; /* a static challenge instead */
	unsigned int enrollments, clients, keys, bits, ops_per_enrollment;
	double limit_seconds;
	int post;
	const char *est; /* EST mode: the EST URL (.../.well-known/est) */
	STACK_OF(X509) * est_anchors; /* the CA: the server's TLS chain */
	bool est_keepalive; /* one TLS connection per client thread */
};

/* One prepared enrollment and what came back. */
struct enrollment {
	char tid[SCEP_TRANSID_MAX + 1];
	char *challenge;
	EVP_PKEY *key;
	X509 *self_signed;
	struct scep_client_msg msg;
	unsigned char *req;
	size_t req_len;
	char *est_b64; /* EST mode: the CSR, base64 */
	size_t est_b64_len;
	/* filled by run.c */
	struct est_reply est_rep;
	struct scep_http_body rep;
	int http_err;
	uint64_t latency_ns;
};

/* The CA as GetCACert and GetCACaps describe it. */
struct bench_ca {
	X509 *ca, *ra;		  /* ra NULL in single-key mode */
	STACK_OF(X509) * signers; /* who may sign a CertRep */
	const EVP_CIPHER *cipher;
	const EVP_MD *md;
	int post;
};

int bench_challenges(const struct bench_opts *o, struct enrollment *e,
		     size_t n);
int bench_prepare(const struct bench_opts *o, const struct bench_ca *ca,
		  struct enrollment *e, size_t n);
void bench_enrollment_free(struct enrollment *e);

/* The timed window; *seconds is its length. */
int bench_run(const struct bench_opts *o, struct enrollment *e, size_t n,
	      double *seconds);
/*
 * Open every CertRep; *failed: how many are not SUCCESS with our
 * certificate (each said on stderr).  The report counts them, never hides
 * them: a peer that fails some enrollments is measured all the same.
 */
int bench_check(const struct bench_ca *ca, struct enrollment *e, size_t n,
		size_t *failed);

/* RSA-2048 private operations per second with `threads` threads. */
int bench_rsa_rate(unsigned int threads, double seconds, double *ops_per_s);
/* ECDSA signatures per second on @curve ("P-256", "P-384"). */
int bench_ec_rate(unsigned int threads, double seconds, const char *curve,
		  double *ops_per_s);

uint64_t bench_now_ns(void);

#endif /* SCEP_BENCH_H */
