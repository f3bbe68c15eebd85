// SPDX-License-Identifier: MIT
/*
 * The storm itself: client threads take the next unanswered request, send
 * it (a new connection each, as SCEP clients do), open the CertRep and
 * record what they received in the output directory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storm.h"

/* Write `len` bytes to OUT/TID.EXT through a temp file and rename, so a
 * file the test reads is always complete. */
static int save(const struct storm *s, const struct storm_req *r,
		const char *ext, const void *data, size_t len)
{
	char tmp[4096], path[4096];
	FILE *f;
	int ret = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.%s", s->o->out, r->tid,
			     ext) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", s->o->out,
			     r->tid) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "wb");
	if (!f)
		return -errno;
	if (fwrite(data, 1, len, f) != len)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path))
		ret = -errno;
	return ret;
}

static int save_cert(const struct storm *s, const struct storm_req *r,
		     X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der), ret;

	if (len <= 0)
		return -EIO;
	ret = save(s, r, "der", der, (size_t)len);
	OPENSSL_free(der);
	return ret;
}

/* Open the CertRep: only a reply signed by the CA/RA for our transaction
 * counts; anything else is a failure of the server, never "no answer". */
static enum storm_result handle_reply(const struct storm *s,
				      struct storm_req *r,
				      const struct scep_http_body *body)
{
	struct scep_client_reply rep = {0};
	enum storm_result res = STORM_FAILED;
	X509 *cert;

	if (scep_client_parse(body->data, body->len, s->ca.signers, &r->msg,
			      &rep) < 0) {
		fprintf(stderr, "crash-storm: %s: reply does not verify\n",
			r->tid);
		goto out;
	}
	if (rep.status == SCEP_STATUS_PENDING) {
		res = save(s, r, "pending", r->csr_fp, strlen(r->csr_fp)) < 0
			      ? STORM_FAILED
			      : STORM_PENDING;
	} else if (rep.status == SCEP_STATUS_SUCCESS) {
		cert = scep_client_find_cert(&rep, r->key);
		if (!cert || X509_verify(cert, X509_get0_pubkey(s->ca.ca)) != 1)
			fprintf(stderr,
				"crash-storm: %s: not our certificate\n",
				r->tid);
		else if (save_cert(s, r, cert) == 0)
			res = STORM_ISSUED;
	} else {
		fprintf(stderr, "crash-storm: %s: FAILURE %s\n", r->tid,
			scep_fail_info_name(rep.fail));
	}
out:
	scep_client_reply_free(&rep);
	return res;
}

static void send_one(struct storm *s, struct storm_req *r)
{
	struct scep_http_body body = {0};

	if (scep_http_pkiop(s->o->url, s->ca.post, r->der, r->der_len, &body) <
	    0)
		r->result = STORM_NO_ANSWER;
	else
		r->result = handle_reply(s, r, &body);
	scep_http_body_free(&body);
}

static void *client_thread(void *arg)
{
	struct storm *s = arg;
	struct storm_req *r;
	size_t i;

	while ((i = atomic_fetch_add(&s->next, 1)) < s->n) {
		r = &s->req[i];
		if (r->result == STORM_UNSENT || r->result == STORM_NO_ANSWER)
			send_one(s, r);
	}
	return NULL;
}

int storm_send_all(struct storm *s)
{
	pthread_t t[64];
	unsigned int k, started = 0;

	atomic_store(&s->next, 0);
	for (k = 0; k < s->o->clients && k < 64; k++) {
		if (pthread_create(&t[k], NULL, client_thread, s))
			break;
		started++;
	}
	for (k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	return started ? 0 : -EAGAIN;
}

int storm_wait_server(const struct storm *s)
{
	struct scep_http_body body = {0};
	time_t end = time(NULL) + s->o->retry_seconds;
	int ret;

	/* Bounded: until the deadline, one probe every 50 ms. */
	do {
		ret = scep_http_get(s->o->url, "GetCACert", NULL, &body);
		scep_http_body_free(&body);
		if (ret == 0)
			return 0;
		usleep(50 * 1000);
	} while (time(NULL) < end);
	return -ETIMEDOUT;
}
