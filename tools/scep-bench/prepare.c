// SPDX-License-Identifier: MIT
/*
 * Before the clock starts: everything a client would compute, so that the
 * timed window measures the server and not the generator's own RSA work.
 * Per enrollment: a one-time challenge password from pkid's control
 * socket (or the static one), an RSA key (from a pool), the PKCS#10 with the
 * challenge, the self-signed certificate that signs the request, and the
 * PKCSReq itself (the daemon's own SCEP client codec), enveloped to the
 * CA's (or RA's) certificate.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "bench.h"
#include "ctl_client.h"
#include "est/est.h"

/* One "server password generate NAME 60" per enrollment. */
static int otp(struct ctl_client *c, const char *ca, char **out)
{
	const char *args[] = {ca, "60"};
	struct ctl_result r = {0};
	json_t *pw;
	int ret;

	ret = ctl_client_call(c, "server password generate", args, 2, &r);
	pw = ret == 0 ? json_object_get(r.result, "password") : NULL;
	if (ret == 0 && !json_is_string(pw))
		ret = -EBADMSG;
	if (ret == 0) {
		*out = strdup(json_string_value(pw));
		ret = *out ? 0 : -ENOMEM;
	} else {
		fprintf(stderr, "scep-bench: password generate: %s\n",
			r.error ? r.error : strerror(-ret));
	}
	ctl_result_free(&r);
	return ret;
}

int bench_challenges(const struct bench_opts *o, struct enrollment *e, size_t n)
{
	struct ctl_client *c = NULL;
	int ret = 0;

	if (!o->ctl_socket) {
		for (size_t i = 0; i < n && !ret; i++) {
			e[i].challenge =
				o->challenge ? strdup(o->challenge) : NULL;
			if (o->challenge && !e[i].challenge)
				ret = -ENOMEM;
		}
		return ret;
	}
	ret = ctl_client_open(&c, o->ctl_socket, 0);
	if (ret < 0) {
		fprintf(stderr, "scep-bench: %s: %s\n", o->ctl_socket,
			strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < n && !ret; i++)
		ret = otp(c, o->ca_name, &e[i].challenge);
	ctl_client_close(c);
	return ret;
}

static int prepare_one(const struct bench_opts *o, const struct bench_ca *ca,
		       EVP_PKEY *key, struct enrollment *e, size_t index)
{
	char dn[128];
	struct scep_client_subject s = {.dn = dn, .challenge = e->challenge};
	X509_REQ *csr = NULL;
	unsigned char *der = NULL;
	int64_t now = time(NULL);
	int len, ret;

	snprintf(dn, sizeof(dn), "CN=bench-%zu,O=scep-bench", index);
	if (!EVP_PKEY_up_ref(key))
		return -EIO;
	e->key = key;
	ret = scep_client_csr(&s, e->key, ca->md, &csr);
	ret = ret
		      ?: scep_client_self_signed(X509_REQ_get_subject_name(csr),
						 e->key, ca->md, now,
						 &e->self_signed);
	ret = ret ?: scep_client_transid(e->tid, sizeof(e->tid));
	if (ret < 0)
		goto out;
	len = i2d_X509_REQ(csr, &der);
	if (len <= 0 || RAND_bytes(e->msg.sender_nonce, SCEP_NONCE_LEN) != 1) {
		ret = -EIO;
		goto out;
	}
	if (o->est) { /* EST sends the CSR itself, base64 */
		ret = est_b64_encode(der, (size_t)len, &e->est_b64,
				     &e->est_b64_len);
		goto out;
	}
	e->msg.type = SCEP_MSG_PKCSREQ;
	e->msg.transaction_id = e->tid;
	e->msg.signer = e->self_signed;
	e->msg.signer_key = e->key;
	e->msg.recipient = ca->ra ? ca->ra : ca->ca;
	e->msg.cipher = ca->cipher;
	e->msg.md = ca->md;
	e->msg.content = der;
	e->msg.content_len = (size_t)len;
	e->msg.now = now;
	ret = scep_client_build(&e->msg, &e->req, &e->req_len);
	e->msg.content = NULL;
out:
	OPENSSL_free(der);
	X509_REQ_free(csr);
	return ret;
}

/* Two steps, each spread over the clients' threads: the key pool, then
 * the requests. */
enum prep_step { PREP_KEYS, PREP_REQUESTS };

struct prep_shared {
	const struct bench_opts *o;
	const struct bench_ca *ca;
	struct enrollment *e;
	EVP_PKEY **keys;
	size_t nkeys;
	enum prep_step step;
	size_t n; /* items of this step */
	atomic_size_t next;
	atomic_int err;
};

static int prep_item(struct prep_shared *p, size_t i)
{
	if (p->step == PREP_KEYS) {
		p->keys[i] = EVP_RSA_gen(p->o->bits);
		return p->keys[i] ? 0 : -EIO;
	}
	return prepare_one(p->o, p->ca, p->keys[i % p->nkeys], &p->e[i], i);
}

static void *prep_thread(void *arg)
{
	struct prep_shared *p = arg;
	size_t i;
	int ret;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n &&
	       !atomic_load(&p->err)) {
		ret = prep_item(p, i);
		if (ret < 0)
			atomic_store(&p->err, ret);
	}
	return NULL;
}

static int prep_step(struct prep_shared *p, enum prep_step step, size_t n)
{
	pthread_t t[64];
	unsigned int k, started = 0;

	p->step = step;
	p->n = n;
	atomic_store(&p->next, 0);
	for (k = 0; k < p->o->clients && k < 64; k++) {
		if (pthread_create(&t[k], NULL, prep_thread, p))
			break;
		started++;
	}
	if (!started)
		prep_thread(p);
	for (k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	return atomic_load(&p->err);
}

/*
 * RSA key generation would dominate (and a server does the same work
 * whoever's key it is): enrollments share a pool of o->keys keys, each
 * with its own subject, challenge, transaction and nonce.
 */
int bench_prepare(const struct bench_opts *o, const struct bench_ca *ca,
		  struct enrollment *e, size_t n)
{
	struct prep_shared p = {.o = o, .ca = ca, .e = e};
	int ret;

	p.nkeys = o->keys < n ? o->keys : n;
	p.keys = calloc(p.nkeys, sizeof(*p.keys));
	if (!p.keys)
		return -ENOMEM;
	ret = prep_step(&p, PREP_KEYS, p.nkeys);
	ret = ret ?: prep_step(&p, PREP_REQUESTS, n);
	for (size_t i = 0; i < p.nkeys; i++)
		EVP_PKEY_free(p.keys[i]);
	free(p.keys);
	return ret;
}

void bench_enrollment_free(struct enrollment *e)
{
	free(e->challenge);
	EVP_PKEY_free(e->key);
	X509_free(e->self_signed);
	free(e->req);
	free(e->est_b64);
	est_reply_free(&e->est_rep);
	scep_http_body_free(&e->rep);
	memset(e, 0, sizeof(*e));
}
