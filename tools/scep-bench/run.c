// SPDX-License-Identifier: MIT
/*
 * The timed window: C client threads take the next prepared PKCSReq, send
 * it (a new HTTP connection each, as SCEP clients do) and keep the CertRep
 * and the round-trip time.  Opening the CertReps (a private-key decryption
 * each, the client's work) waits until the window is closed; then every
 * one must be SUCCESS with a certificate for our key, signed by the CA.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* EST: simpleenroll, Basic with the challenge, the server's chain
 * verified against the CA (validity not judged: the CA's clock may be a
 * lab clock), a new TLS connection each. */
static int est_enroll_one(const struct bench_opts *o, struct enrollment *e,
			  void *handle)
{
	char url[1024];
	struct est_tls_opts t = {
		.anchors = o->est_anchors,
		.user = "scep-bench",
		.password = e->challenge,
		.handle = handle, /* --est-keepalive: the thread's */
	};

	snprintf(url, sizeof(url), "%s/simpleenroll", o->est);
	return est_client_post(url, &t, e->est_b64, e->est_b64_len,
			       &e->est_rep);
}

struct run_shared {
	const struct bench_opts *o;
	struct enrollment *e;
	size_t n;
	atomic_size_t next;
};

static void *client_thread(void *arg)
{
	struct run_shared *r = arg;
	struct enrollment *e;
	void *handle = r->o->est_keepalive ? est_client_handle_new() : NULL;
	uint64_t t0;
	size_t i;

	while ((i = atomic_fetch_add(&r->next, 1)) < r->n) {
		e = &r->e[i];
		t0 = bench_now_ns();
		if (r->o->est && r->o->est_keepalive && !handle)
			e->http_err = -ENOMEM;
		else if (r->o->est)
			e->http_err = est_enroll_one(r->o, e, handle);
		else
			e->http_err = scep_http_pkiop(r->o->url, r->o->post,
						      e->req, e->req_len,
						      &e->rep);
		e->latency_ns = bench_now_ns() - t0;
	}
	if (handle)
		est_client_handle_free(handle);
	return NULL;
}

int bench_run(const struct bench_opts *o, struct enrollment *e, size_t n,
	      double *seconds)
{
	struct run_shared r = {.o = o, .e = e, .n = n};
	pthread_t t[256];
	unsigned int k, started = 0;
	uint64_t t0;

	t0 = bench_now_ns();
	for (k = 0; k < o->clients && k < 256; k++) {
		if (pthread_create(&t[k], NULL, client_thread, &r))
			break;
		started++;
	}
	for (k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	*seconds = (double)(bench_now_ns() - t0) / 1e9;
	return started ? 0 : -EAGAIN;
}

/* EST: 200 with a certs-only holding a certificate for our key by the
 * CA. */
static int check_est(const struct bench_ca *ca, struct enrollment *e)
{
	STACK_OF(X509) *certs = NULL;
	int ret = -EKEYREJECTED;

	if (e->est_rep.status != 200) {
		fprintf(stderr, "scep-bench: EST HTTP %ld\n", e->est_rep.status);
		return -EPROTO;
	}
	if (est_client_certs(&e->est_rep, &certs) < 0)
		return -EBADMSG;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (EVP_PKEY_eq(X509_get0_pubkey(x), e->key) == 1 &&
		    X509_verify(x, X509_get0_pubkey(ca->ca)) == 1)
			ret = 0;
	}
	sk_X509_pop_free(certs, X509_free);
	return ret;
}

/* SUCCESS, our transaction, and a certificate for our key by the CA. */
static int check_one(const struct bench_ca *ca, struct enrollment *e)
{
	struct scep_client_reply rep = {0};
	X509 *cert;
	int ret;

	if (e->http_err)
		return e->http_err;
	if (e->est_b64)
		return check_est(ca, e);
	ret = scep_client_parse(e->rep.data, e->rep.len, ca->signers, &e->msg,
				&rep);
	if (ret < 0 && rep.why[0])
		fprintf(stderr, "scep-bench: %s: %s\n", e->tid, rep.why);
	if (ret == 0 && rep.status != SCEP_STATUS_SUCCESS) {
		fprintf(stderr, "scep-bench: %s: status %d (%s)\n", e->tid,
			rep.status,
			rep.status == SCEP_STATUS_FAILURE
				? scep_fail_info_name(rep.fail)
				: "pending");
		ret = -EPROTO;
	}
	if (ret == 0) {
		cert = scep_client_find_cert(&rep, e->key);
		if (!cert || X509_verify(cert, X509_get0_pubkey(ca->ca)) != 1)
			ret = -EKEYREJECTED;
	}
	scep_client_reply_free(&rep);
	return ret;
}

int bench_check(const struct bench_ca *ca, struct enrollment *e, size_t n,
		size_t *failed)
{
	size_t bad = 0;
	int ret;

	for (size_t i = 0; i < n; i++) {
		ret = check_one(ca, &e[i]);
		if (ret < 0) {
			bad++;
			fprintf(stderr, "scep-bench: enrollment %zu: %s\n", i,
				strerror(-ret));
		}
	}
	if (bad)
		fprintf(stderr, "scep-bench: %zu of %zu enrollments failed\n",
			bad, n);
	*failed = bad;
	return 0;
}
