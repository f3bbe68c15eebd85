// SPDX-License-Identifier: MIT
/*
 * crash-storm: N concurrent SCEP enrollments that keep what they received
 * (storm.h says what and why).
 *
 *   crash-storm --url URL --out DIR --keys DIR [-n N] [-c CLIENTS]
 *               [--password PW] [--pending K] [--retry-seconds S]
 *               [--ready FILE]
 *
 * The first K requests carry no challenge password (a manual-mode server
 * leaves them pending), the others carry PW.  FILE is created when the
 * requests are prepared and the first is about to be sent: the test
 * starts its random delay before the kill from there.  Prints one line:
 *   issued=I pending=P failed=F no_answer=U interrupted=X
 * (X: requests that got no answer in the first pass, i.e. that the kill
 * interrupted; they were sent again once pkid was back)
 * and exits 1 when a reply was wrong (F > 0) or a request still had no
 * answer after pkid came back (U > 0).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "storm.h"

#define KEY_POOL 8

static int parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct storm_opts *o)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"out", required_argument, NULL, 'O'},
		{"keys", required_argument, NULL, 'k'},
		{"password", required_argument, NULL, 'p'},
		{"pending", required_argument, NULL, 'P'},
		{"retry-seconds", required_argument, NULL, 'r'},
		{"ready", required_argument, NULL, 'R'},
		{0},
	};
	int c, bad = 0;

	*o = (struct storm_opts){
		.enrollments = 40, .clients = 8, .retry_seconds = 20};
	while ((c = getopt_long(argc, argv, "n:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->url = optarg;
			break;
		case 'O':
			o->out = optarg;
			break;
		case 'k':
			o->keys = optarg;
			break;
		case 'p':
			o->password = optarg;
			break;
		case 'R':
			o->ready = optarg;
			break;
		case 'P':
			bad |= parse_uint(optarg, 10000, &o->pending);
			break;
		case 'r':
			bad |= parse_uint(optarg, 300, &o->retry_seconds);
			break;
		case 'n':
			bad |= parse_uint(optarg, 10000, &o->enrollments);
			break;
		case 'c':
			bad |= parse_uint(optarg, 64, &o->clients);
			break;
		default:
			bad = 1;
		}
	}
	if (bad || optind != argc || !o->url || !o->out || !o->keys ||
	    !o->enrollments || !o->clients || o->pending > o->enrollments) {
		fprintf(stderr,
			"usage: crash-storm --url URL --out DIR --keys DIR "
			"[-n N] [-c CLIENTS] [--password PW] [--pending K] "
			"[--retry-seconds S] [--ready FILE]\n");
		return -EINVAL;
	}
	return 0;
}

/* GetCACaps and GetCACert: cipher, digest, transport, who signs. */
static int fetch_ca(const struct storm_opts *o, struct storm_ca *ca)
{
	struct scep_http_body caps = {0}, cert = {0};
	char *text = NULL;
	int ret;

	ret = scep_http_get(o->url, "GetCACaps", NULL, &caps);
	if (ret == 0 && !(text = strndup((char *)caps.data, caps.len)))
		ret = -ENOMEM;
	ret = ret ?: scep_http_get(o->url, "GetCACert", NULL, &cert);
	ret = ret
		      ?: scep_client_parse_ca(cert.data, cert.len,
					      cert.content_type, &ca->ca,
					      &ca->ra);
	if (ret < 0)
		goto out;
	ca->cipher = scep_client_cipher(text);
	ca->md = scep_client_md(text);
	ca->post = scep_client_has_cap(text, "POSTPKIOperation");
	ca->signers = sk_X509_new_null();
	if (!ca->cipher || !ca->md || !ca->signers ||
	    !sk_X509_push(ca->signers, ca->ca) ||
	    (ca->ra && !sk_X509_push(ca->signers, ca->ra)))
		ret = -ENOMEM;
out:
	if (ret < 0)
		fprintf(stderr, "crash-storm: %s: GetCACaps/GetCACert: %s\n",
			o->url, strerror(-ret));
	free(text);
	scep_http_body_free(&caps);
	scep_http_body_free(&cert);
	return ret;
}

/* KEYS/key-I.pem, made on the first run and reused by every round: RSA
 * key generation would otherwise dominate the test's time. */
static EVP_PKEY *pool_key(const char *dir, unsigned int i)
{
	char path[4096];
	EVP_PKEY *k = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/key-%u.pem", dir, i);
	f = fopen(path, "r");
	if (f) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		return k;
	}
	k = EVP_RSA_gen(2048);
	f = k ? fopen(path, "w") : NULL;
	if (f) {
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	return k;
}

static void csr_sha256(const unsigned char *der, int len, char *hex)
{
	unsigned char md[32];
	unsigned int n = 0;

	hex[0] = 0;
	if (EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL))
		for (unsigned int i = 0; i < n; i++)
			sprintf(hex + 2 * i, "%02X", md[i]);
}

/* The CSR, the self-signed signer and the PKCSReq of request i. */
static int prepare_one(struct storm *s, EVP_PKEY *key, size_t i)
{
	struct storm_req *r = &s->req[i];
	char dn[96];
	struct scep_client_subject subj = {.dn = dn};
	unsigned char *csr_der = NULL;
	X509_REQ *csr = NULL;
	int len, ret;

	if (i >= s->o->pending)
		subj.challenge = s->o->password;
	ret = scep_client_transid(r->tid, sizeof(r->tid));
	snprintf(dn, sizeof(dn), "CN=storm-%.16s,O=crash", r->tid);
	if (ret < 0 || !EVP_PKEY_up_ref(key))
		return ret ?: -EIO;
	r->key = key;
	ret = scep_client_csr(&subj, key, s->ca.md, &csr);
	ret = ret
		      ?: scep_client_self_signed(X509_REQ_get_subject_name(csr),
						 key, s->ca.md, time(NULL),
						 &r->self_signed);
	len = ret ? 0 : i2d_X509_REQ(csr, &csr_der);
	if (ret == 0 && len <= 0)
		ret = -EIO;
	if (ret < 0)
		goto out;
	csr_sha256(csr_der, len, r->csr_fp);
	r->msg = (struct scep_client_msg){.type = SCEP_MSG_PKCSREQ,
					  .transaction_id = r->tid,
					  .signer = r->self_signed,
					  .signer_key = key,
					  .recipient = s->ca.ra ? s->ca.ra
								: s->ca.ca,
					  .cipher = s->ca.cipher,
					  .md = s->ca.md,
					  .content = csr_der,
					  .content_len = (size_t)len,
					  .now = time(NULL)};
	ret = RAND_bytes(r->msg.sender_nonce, SCEP_NONCE_LEN) == 1 ? 0 : -EIO;
	ret = ret ?: scep_client_build(&r->msg, &r->der, &r->der_len);
	r->msg.content = NULL;
out:
	OPENSSL_free(csr_der);
	X509_REQ_free(csr);
	return ret;
}

static int prepare(struct storm *s)
{
	EVP_PKEY *pool[KEY_POOL] = {0};
	int ret = 0;

	for (unsigned int k = 0; k < KEY_POOL && !ret; k++)
		if (!(pool[k] = pool_key(s->o->keys, k)))
			ret = -EIO;
	for (size_t i = 0; i < s->n && !ret; i++)
		ret = prepare_one(s, pool[i % KEY_POOL], i);
	for (unsigned int k = 0; k < KEY_POOL; k++)
		EVP_PKEY_free(pool[k]);
	if (ret < 0)
		fprintf(stderr, "crash-storm: preparing requests: %s\n",
			strerror(-ret));
	return ret;
}

static size_t count(const struct storm *s, enum storm_result what)
{
	size_t c = 0;

	for (size_t i = 0; i < s->n; i++)
		c += s->req[i].result == what;
	return c;
}

/* The storm, then (if pkid died under it) the unanswered requests again
 * once it is back, until o->retry_seconds have passed. */
static int run(struct storm *s, size_t *interrupted)
{
	time_t end = time(NULL) + s->o->retry_seconds;
	FILE *f = s->o->ready ? fopen(s->o->ready, "w") : NULL;
	int ret;

	if (s->o->ready && !f)
		return -errno;
	if (f)
		fclose(f);
	ret = storm_send_all(s);
	*interrupted = count(s, STORM_NO_ANSWER);
	while (!ret && count(s, STORM_NO_ANSWER) && time(NULL) < end) {
		ret = storm_wait_server(s);
		ret = ret ?: storm_send_all(s);
		if (count(s, STORM_NO_ANSWER))
			usleep(100 * 1000); /* e.g. 503 while the CA starts */
	}
	return ret;
}

static void storm_free(struct storm *s)
{
	for (size_t i = 0; s->req && i < s->n; i++) {
		EVP_PKEY_free(s->req[i].key);
		X509_free(s->req[i].self_signed);
		OPENSSL_free(s->req[i].der);
	}
	free(s->req);
	sk_X509_free(s->ca.signers);
	X509_free(s->ca.ca);
	X509_free(s->ca.ra);
}

/* The SCEP transport's failures (HTTP errors, timeouts). */
static void scep_log(int level, const char *msg)
{
	fprintf(stderr, "crash-storm: %s\n", msg);
}

int main(int argc, char **argv)
{
	struct storm_opts o;
	struct storm s = {.o = &o};
	size_t failed, unanswered, interrupted = 0;
	int ret;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	scep_client_set_log(scep_log);
	s.n = o.enrollments;
	s.req = calloc(s.n, sizeof(*s.req));
	ret = s.req ? fetch_ca(&o, &s.ca) : -ENOMEM;
	ret = ret ?: prepare(&s);
	ret = ret ?: run(&s, &interrupted);
	failed = count(&s, STORM_FAILED);
	unanswered = count(&s, STORM_NO_ANSWER);
	if (ret == 0)
		printf("issued=%zu pending=%zu failed=%zu no_answer=%zu "
		       "interrupted=%zu\n",
		       count(&s, STORM_ISSUED), count(&s, STORM_PENDING),
		       failed, unanswered, interrupted);
	else
		fprintf(stderr, "crash-storm: %s\n", strerror(-ret));
	storm_free(&s);
	curl_global_cleanup();
	return ret || failed || unanswered ? 1 : 0;
}
