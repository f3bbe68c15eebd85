// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for pkid's SCEP request path, the way a PKIOperation
 * travels through the daemon:
 *
 *   GET query string --(form decoding: '+' -> ' ', MHD_http_unescape)-->
 *   daemon/core/http.c http_dispatch (the routing table) -->
 *   daemon/proto/scep/scep_http.c (operation=; message= base64) --> DER
 *   POST body --(http_dispatch, scep_http.c)----------------------> DER
 *   DER --(daemon/proto/scep/scep.c scep_parse: CMS SignedData, SCEP attributes,
 *          EnvelopedData decrypted with the CA key, PKCS#10)--> request
 *   request --(daemon/proto/scep/scep_reply.c scep_reply: CertRep, enveloped to the
 *              requester's own certificate)--> DER
 *
 * Input: the first byte % 3 says what follows: 0 a GET query string
 * (what comes after '?', e.g. "operation=PKIOperation&message=MIIG..."),
 * 1 a POST body, 2 a message type byte and the inner content alone (see
 * wrap_and_run).  The recipient key is a test CA (tests/fuzz/scep/, the CA
 * whose pkid answered the strongSwan requests in corpus/scep/), so real
 * requests decrypt and reach the CSR.
 *
 * The routing table, SCEP's routes and the SCEP server are the daemon's
 * own (http.c, scep_http.c, scep_server.c, registered as pkid registers
 * them) and run without libmicrohttpd's socket; this harness stands in
 * for the CA (daemon/ca/ca.h's protocol-neutral entry points): the policy
 * and the database of daemon/ca are not parsers, the codec and the
 * decoding are.  scep_parse_ex is wrapped (--wrap) to check its contract.
 *
 * What must hold: no crash or sanitizer report; scep_parse returns 0,
 * -EBADMSG or -EPROTO (with a failInfo); every answer to a parsed message
 * is a CertRep that parses back as SignedData.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "ca/ca.h"
#include "core/http.h"
#include "proto/scep/scep.h"
#include "proto/scep/scep_client.h"
#include "proto/scep/scep_http.h"

#ifndef FUZZ_SCEP_DIR
#define FUZZ_SCEP_DIR "tests/fuzz/scep"
#endif

static struct scep_recipient rcpt;
/* The requester of the "inner content" inputs: a self-signed client. */
static EVP_PKEY *client_key;
static X509 *client_cert;
static int verbose; /* FUZZ_SCEP_VERBOSE=1: one line per parsed message */
/* The daemon's routing table with SCEP's routes. */
static struct http_server *http;
static struct scep_http *scep;
/* scep_server.c's encoder (GetCACert, GetNextCACert), built once. */
static struct ca_encoder enc;
static void *enc_data;

static void die(const char *what)
{
	fprintf(stderr, "fuzz-scep: %s\n", what);
	abort();
}

static int make_client(void)
{
	struct scep_client_subject s = {.dn = "CN=fuzz client"};
	X509_NAME *name = NULL;

	client_key = EVP_RSA_gen(2048);
	if (!client_key || scep_client_name(&s, &name) ||
	    scep_client_self_signed(name, client_key, EVP_sha256(), 1800000000,
				    &client_cert))
		die("cannot make the client's key and certificate");
	X509_NAME_free(name);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_SCEP_DIR");
	char path[4096];
	FILE *f;

	if (!dir)
		dir = FUZZ_SCEP_DIR;
	verbose = getenv("FUZZ_SCEP_VERBOSE") != NULL;
	snprintf(path, sizeof(path), "%s/ca-cert.pem", dir);
	f = fopen(path, "r");
	rcpt.cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/ca-key.pem", dir);
	f = fopen(path, "r");
	rcpt.key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!rcpt.cert || !rcpt.key)
		die("cannot load the test CA (set FUZZ_SCEP_DIR)");
	if (http_new(&http) || scep_http_register(http, NULL, &scep))
		die("cannot build the routing table");
	/* What the CA does when it loads its state. */
	{
		struct ca_keys k;

		ca_keys_get(NULL, &k);
		if (!enc.build || enc.build(enc.arg, &k, 1800000000, &enc_data))
			die("cannot build the SCEP answers");
		ca_keys_put(&k);
	}
	return make_client();
}

/* ---- the CA side of daemon/ca/ca.h, as far as scep_server.c calls it ---- */

const char *ca_name(const struct ca *ca)
{
	return "FUZZCA";
}

/* Single-key mode: the test CA decrypts and signs; no rollover. */
int ca_keys_get(struct ca *ca, struct ca_keys *k)
{
	memset(k, 0, sizeof(*k));
	X509_up_ref(rcpt.cert);
	EVP_PKEY_up_ref(rcpt.key);
	k->ca_cert = rcpt.cert;
	k->ca_key = rcpt.key;
	k->md = EVP_sha256();
	return 0;
}

void ca_keys_put(struct ca_keys *k)
{
	X509_free(k->ca_cert);
	EVP_PKEY_free(k->ca_key);
	memset(k, 0, sizeof(*k));
}

int ca_crl_der(struct ca *ca, unsigned char **der, size_t *len)
{
	return -ENOENT;
}

int ca_encoder_set(struct ca *ca, const struct ca_encoder *e)
{
	enc = *e;
	return 0;
}

int ca_encoded_read(struct ca *ca, int (*read)(void *arg, const void *data),
		    void *arg)
{
	return read(arg, enc_data);
}

void ca_count_outcome(struct ca *ca, enum ca_outcome outcome)
{
}

void ca_count_latency(struct ca *ca, const struct timespec *start)
{
}

/* The answer to what parsed: ISSUED with the CA's own certificate
 * (issuing is not parsing). */
static int issue(struct ca_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = CA_ISSUED;
	res->cert = X509_dup(rcpt.cert);
	res->now = 1800000000;
	return res->cert ? 0 : -ENOMEM;
}

int ca_enroll(struct ca *ca, const struct ca_enroll_req *req,
	      struct ca_result *res)
{
	if (!req->csr || !req->signer || !req->transaction_id)
		die("an enrollment reached the CA without CSR or signer");
	return issue(res);
}

int ca_poll(struct ca *ca, const char *tid, enum ca_gen gen,
	    struct ca_result *res)
{
	return issue(res);
}

int ca_get_cert(struct ca *ca, const X509_NAME *issuer,
		const ASN1_INTEGER *serial, struct ca_result *res)
{
	return issue(res);
}

int ca_get_crl(struct ca *ca, struct ca_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = CA_REJECTED;
	res->reason = CA_REASON_UNKNOWN;
	res->now = 1800000000;
	return 0;
}

int ca_check(struct ca *ca, struct ca_result *res)
{
	memset(res, 0, sizeof(*res));
	res->now = 1800000000;
	return 0;
}

void ca_result_free(struct ca_result *res)
{
	X509_free(res->cert);
	X509_CRL_free(res->crl);
	res->cert = NULL;
	res->crl = NULL;
}

/* `legacy des` on: the single-DES road is fuzzed too. */
bool ca_legacy_ciphers(struct ca *ca)
{
	return true;
}

/*
 * scep_parse_ex as scep_server.c calls it (linked with
 * --wrap=scep_parse_ex): its contract is checked on every input.
 */
int __real_scep_parse_ex(const unsigned char *der, size_t len,
			 const struct scep_recipient *recipients, size_t n,
			 unsigned int flags, struct scep_request *req,
			 enum scep_fail_info *fail);
int __wrap_scep_parse_ex(const unsigned char *der, size_t len,
			 const struct scep_recipient *recipients, size_t n,
			 unsigned int flags, struct scep_request *req,
			 enum scep_fail_info *fail);

int __wrap_scep_parse_ex(const unsigned char *der, size_t len,
			 const struct scep_recipient *recipients, size_t n,
			 unsigned int flags, struct scep_request *req,
			 enum scep_fail_info *fail)
{
	int ret;

	*fail = SCEP_FAIL_NONE;
	ret = __real_scep_parse_ex(der, len, recipients, n, flags, req, fail);
	if (ret != 0 && ret != -EBADMSG && ret != -EPROTO)
		die("scep_parse: an error outside its contract");
	if (ret == -EPROTO && *fail == SCEP_FAIL_NONE)
		die("scep_parse: -EPROTO without a failInfo");
	if (ret == 0 && req->type == SCEP_MSG_PKCSREQ && !req->csr)
		die("PKCSReq parsed without a CSR");
	if (verbose)
		fprintf(stderr, "fuzz-scep: parse %d (%s), type %d, csr %s\n",
			ret, ret == -EPROTO ? scep_fail_info_name(*fail) : "-",
			req->type, req->csr ? "yes" : "no");
	return ret;
}

/* The answer must be a SignedData again. */
static void check_certrep(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);

	if (!p7 || !PKCS7_type_is_signed(p7))
		die("CertRep is not a SignedData");
	PKCS7_free(p7);
}

/* ---- the HTTP step ---- */

/* The value of name= in a query string, form-decoded as libmicrohttpd
 * does for GET arguments; malloc'd, NULL if absent. */
static char *query_arg(const char *q, const char *name)
{
	size_t n = strlen(name), len;
	const char *p, *end;
	char *v;

	for (p = q; p; p = end ? end + 1 : NULL) {
		end = strchr(p, '&');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len <= n || strncmp(p, name, n) || p[n] != '=')
			continue;
		v = strndup(p + n + 1, len - n - 1);
		if (!v)
			die("ENOMEM");
		for (char *c = v; *c; c++)
			if (*c == '+')
				*c = ' ';
		MHD_http_unescape(v);
		return v;
	}
	return NULL;
}

static const char *fuzz_arg(const struct http_request *req, const char *name)
{
	const char *const *args = req->impl; /* operation, message */

	if (strcmp(name, "operation") == 0)
		return args[0];
	if (strcmp(name, "message") == 0)
		return args[1];
	return NULL;
}

/* One request through the routing table, as a worker runs it. */
static void dispatch(unsigned int method, const char *const *args,
		     const unsigned char *body, size_t len)
{
	struct http_request req = {
		.method = method,
		.path = "/cgi-bin/pkiclient.exe",
		.arg = fuzz_arg,
		.impl = (void *)args,
		.body = body,
		.body_len = len,
		.peer = "",
	};
	struct http_reply rep = {0};

	if (http_dispatch(http, &req, &rep) < 0)
		die("http_dispatch: no answer");
	if (!rep.status || !rep.content_type)
		die("http_dispatch: an answer without status or type");
	/* Every answer to a parsed message is a CertRep. */
	if (strcmp(rep.content_type, "application/x-pki-message") == 0)
		check_certrep(rep.data, rep.len);
	free(rep.data);
}

static void run_get(const char *query)
{
	char *op = query_arg(query, "operation");
	char *arg = query_arg(query, "message");
	const char *args[2] = {op, arg};

	dispatch(HTTP_GET, args, NULL, 0);
	free(op);
	free(arg);
}

static void run_post(const unsigned char *body, size_t len)
{
	const char *args[2] = {"PKIOperation", NULL};

	dispatch(HTTP_POST, args, body, len);
}

/*
 * Mutating a whole request almost never gets past its signature and
 * envelope; so the third kind of input is the inner content alone (a
 * PKCS#10, IssuerAndSubject or IssuerAndSerial), which the harness wraps
 * into a signed, enveloped request the way a client does (the daemon's
 * own client codec) before it takes the same path.
 */
/* data: the message type byte, then the content. */
static void wrap_and_run(const uint8_t *data, size_t len)
{
	static const enum scep_msg_type types[] = {
		SCEP_MSG_PKCSREQ, SCEP_MSG_RENEWALREQ, SCEP_MSG_CERTPOLL,
		SCEP_MSG_GETCERT, SCEP_MSG_GETCRL,
	};
	struct scep_client_msg m = {
		.type = types[data[0] % 5],
		.transaction_id = "FUZZ",
		.signer = client_cert,
		.signer_key = client_key,
		.recipient = rcpt.cert,
		.cipher = EVP_aes_128_cbc(),
		.md = EVP_sha256(),
		.content = data + 1,
		.content_len = len - 1,
		.now = 1800000000,
	};
	unsigned char *der = NULL;
	size_t der_len = 0;

	if (scep_client_build(&m, &der, &der_len))
		return;
	if (der_len <= HTTP_BODY_MAX)
		run_post(der, der_len);
	free(der);
}

/* First byte % 3: 0 a GET query string, 1 a POST body, 2 inner content
 * (then one byte for the message type). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *query;

	if (len == 0 || len > HTTP_BODY_MAX)
		return 0;
	switch (data[0] % 3) {
	case 1:
		run_post(data + 1, len - 1);
		return 0;
	case 2:
		if (len >= 3) /* a type byte and some content */
			wrap_and_run(data + 1, len - 1);
		return 0;
	}
	/* A URL holds no NUL: the query ends at the first one. */
	query = strndup((const char *)data + 1, len - 1);
	if (!query)
		die("ENOMEM");
	run_get(query);
	free(query);
	return 0;
}
