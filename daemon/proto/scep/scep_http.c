// SPDX-License-Identifier: MIT
/*
 * SCEP over HTTP (RFC 8894 §4): the routes SCEP registers into the HTTP
 * table (daemon/core/http.h).  They pick the operation= and turn the SCEP
 * server's answer (scep_server.c), or its error, into an HTTP reply.
 *
 *   GET  ...?operation=GetCACaps              text/plain
 *   GET  ...?operation=GetCACert[&message=X]  application/x-x509-ca-cert or
 *                                             application/x-x509-ca-ra-cert
 *   GET  ...?operation=GetNextCACert          application/x-x509-next-ca-cert
 *                                             (404 while no rollover CA)
 *   GET  ...?operation=PKIOperation&message=BASE64 (percent-escaped)
 *   POST ...?operation=PKIOperation           body: DER, any Content-Type
 *   GET  ...?operation=GetCRL                 application/pkix-crl (ours)
 *   GET  /crl/NAME.crl                        application/pkix-crl
 *
 * The path before '?' is not checked (clients use /cgi-bin/pkiclient.exe
 * or /scep): SCEP's route takes every path ("" prefix), and the CRL's
 * exact path wins over it when there is no operation=.  A PKIOperation
 * may wait for the keystore, the others read the CA's published state
 * without locks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "config.h"
#include "core/http.h"
#include "scep_http.h"
#include "scep_server.h"

struct scep_http {
	struct scep_server *server;
	char crl_path[PKID_CONF_NAME_MAX + 16]; /* /crl/NAME.crl */
};

static int blob_reply(int err, struct scep_blob *blob, struct http_reply *rep)
{
	if (err < 0)
		return err;
	rep->status = HTTP_STATUS_OK;
	rep->data = blob->data;
	rep->len = blob->len;
	rep->content_type = blob->content_type;
	return 0;
}

/* GetNextCACert before a rollover CA exists: a 404 that says why. */
static int next_ca_cert(struct scep_http *s, struct http_reply *rep)
{
	struct scep_blob blob = {0};
	int ret = scep_server_next_ca_cert(s->server, &blob);

	if (ret == -ENOENT)
		return http_text_reply(rep, HTTP_STATUS_NOT_FOUND,
				       "no rollover CA certificate yet\n");
	return blob_reply(ret, &blob, rep);
}

int scep_http_decode_message(const char *arg, unsigned char **out,
			     size_t *len)
{
	size_t n = strlen(arg), i, j = 0, cap = n / 4 * 3 + 3;
	EVP_ENCODE_CTX *ctx;
	unsigned char *buf, *in;
	int outl = 0, fin = 0, ok;

	if (n > HTTP_BODY_MAX * 4 / 3 + 4096)
		return -EMSGSIZE;
	/* One buffer: the decoded bytes first, the cleaned base64 after
	 * them (never overwritten: base64 decodes to fewer bytes). */
	buf = malloc(cap + n + 1);
	ctx = buf ? EVP_ENCODE_CTX_new() : NULL;
	if (!ctx) {
		free(buf);
		return -ENOMEM;
	}
	in = buf + cap;
	for (i = 0; i < n; i++)
		if (arg[i] != '\r' && arg[i] != '\n')
			in[j++] = arg[i] == ' ' ? '+' : (unsigned char)arg[i];
	EVP_DecodeInit(ctx);
	ok = j > 0 && EVP_DecodeUpdate(ctx, buf, &outl, in, (int)j) >= 0 &&
	     EVP_DecodeFinal(ctx, buf + outl, &fin) == 1 && outl + fin > 0;
	EVP_ENCODE_CTX_free(ctx);
	if (!ok) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	*len = (size_t)(outl + fin);
	return 0;
}

static int pki_operation(struct scep_http *s, const unsigned char *msg,
			 size_t len, const char *peer, struct http_reply *rep)
{
	struct scep_blob blob = {0};
	int err;

	if (len > HTTP_BODY_MAX)
		return -EMSGSIZE;
	err = scep_server_pki_operation(s->server, msg, len, peer, &blob);
	if (err == -EBADMSG)
		return http_text_reply(rep, HTTP_STATUS_BAD_REQUEST,
				       "not a SCEP message\n");
	/* the CA's database (PostgreSQL) is unreachable: nothing can be
	 * recorded, so nothing is issued; the client retries later */
	if (err == -ENOTCONN)
		return http_text_reply(rep, HTTP_STATUS_UNAVAILABLE,
				       "the CA's database is unreachable, "
				       "retry later\n");
	return blob_reply(err, &blob, rep);
}

static int pki_operation_get(struct scep_http *s,
			     const struct http_request *req,
			     struct http_reply *rep)
{
	const char *arg = req->arg(req, "message");
	unsigned char *msg = NULL;
	size_t len = 0;
	int ret;

	if (!arg)
		return http_text_reply(rep, HTTP_STATUS_BAD_REQUEST,
				       "PKIOperation needs message=\n");
	ret = scep_http_decode_message(arg, &msg, &len);
	if (ret == -EBADMSG)
		return http_text_reply(rep, HTTP_STATUS_BAD_REQUEST,
				       "message is not base64\n");
	if (ret < 0)
		return ret;
	ret = pki_operation(s, msg, len, req->peer, rep);
	free(msg);
	return ret;
}

static int scep_get(struct scep_http *s, const struct http_request *req,
		    struct http_reply *rep)
{
	const char *op = req->arg(req, "operation");
	struct scep_blob blob = {0};

	if (!op)
		return http_text_reply(rep, HTTP_STATUS_NOT_FOUND,
				       "no operation= given\n");
	if (strcmp(op, "GetCACaps") == 0)
		return blob_reply(scep_server_caps(s->server, &blob), &blob,
				  rep);
	if (strcmp(op, "GetCACert") == 0)
		return blob_reply(scep_server_ca_cert(s->server, &blob), &blob,
				  rep);
	if (strcmp(op, "GetNextCACert") == 0)
		return next_ca_cert(s, rep);
	if (strcmp(op, "GetCRL") == 0)
		return blob_reply(scep_server_crl(s->server, &blob), &blob,
				  rep);
	if (strcmp(op, "PKIOperation") == 0)
		return pki_operation_get(s, req, rep);
	return http_text_reply(rep, HTTP_STATUS_BAD_REQUEST,
			       "unknown operation\n");
}

static int scep_handle(void *arg, const struct http_request *req,
		       struct http_reply *rep)
{
	struct scep_http *s = arg;
	const char *op;

	if (req->method == HTTP_GET)
		return scep_get(s, req, rep);
	op = req->arg(req, "operation");
	if (!op || strcmp(op, "PKIOperation") != 0)
		return http_text_reply(rep, HTTP_STATUS_BAD_REQUEST,
				       "POST is for operation=PKIOperation\n");
	return pki_operation(s, req->body, req->body_len, req->peer, rep);
}

/* With operation= the request is SCEP's, whatever its path. */
static bool no_operation(void *arg, const struct http_request *req)
{
	return req->arg(req, "operation") == NULL;
}

/* The CRL distribution point: /crl/NAME.crl */
static int crl_handle(void *arg, const struct http_request *req,
		      struct http_reply *rep)
{
	struct scep_http *s = arg;
	struct scep_blob blob = {0};

	return blob_reply(scep_server_crl(s->server, &blob), &blob, rep);
}

/* SCEP on every path (clients differ), and the CRL on its own. */
static int add_routes(struct http_server *srv, struct scep_http *s)
{
	const struct http_route scep = {
		.name = "scep",
		.path = "",
		.prefix = true,
		.methods = HTTP_GET | HTTP_POST,
		.handler = scep_handle,
		.arg = s,
	};
	const struct http_route crl = {
		.name = "crl",
		.path = s->crl_path,
		.methods = HTTP_GET,
		.match = no_operation,
		.handler = crl_handle,
		.arg = s,
	};

	return http_route_add(srv, &scep) ?: http_route_add(srv, &crl);
}

int scep_http_register(struct http_server *srv, struct ca *ca,
		       struct scep_http **out)
{
	struct scep_http *s = calloc(1, sizeof(*s));
	int ret = s ? scep_server_new(&s->server, ca) : -ENOMEM;

	if (ret == 0 &&
	    (size_t)snprintf(s->crl_path, sizeof(s->crl_path), "/crl/%s.crl",
			     scep_server_ca_name(s->server)) >=
		    sizeof(s->crl_path))
		ret = -ENAMETOOLONG;
	ret = ret ?: add_routes(srv, s);
	if (ret < 0) {
		scep_http_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void scep_http_free(struct scep_http *s)
{
	if (!s)
		return;
	scep_server_free(s->server);
	free(s);
}
