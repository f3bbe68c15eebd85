// SPDX-License-Identifier: MIT
/*
 * OCSP over HTTP (RFC 6960 Appendix A, RFC 5019 §5): POST /ocsp/NAME with
 * the DER request as the body, or GET /ocsp/NAME/{url-encoding of base-64
 * encoding of the DER request}.  The transport has already bounded the
 * body (HTTP_BODY_MAX) and the URL; here the decoded request is bounded
 * by CA_OCSP_REQ_MAX before anything parses it (the responder answers a
 * bigger one with malformedRequest).  What cannot be an OCSP request at
 * all (a GET that is not base64) is a 400 with a line of text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca/ca.h"
#include "ca/ca_ocsp.h"
#include "config.h"
#include "core/http.h"
#include "ocsp_http.h"

#define OCSP_TYPE "application/ocsp-response"

struct ocsp_http {
	struct ca *ca;
	char path[PKID_CONF_NAME_MAX + 8];    /* /ocsp/NAME */
	char get_path[PKID_CONF_NAME_MAX + 8]; /* /ocsp/NAME/ */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX left in the path (libmicrohttpd undoes most), then base64. */
static int decode_get(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s), i, j = 0;
	unsigned char *b64, *der;
	int outl, ret = -EBADMSG;

	if (n == 0)
		return -EBADMSG;
	if (n > (CA_OCSP_REQ_MAX + 2) / 3 * 4 * 3) /* %XX escapes: 3x */
		return -EMSGSIZE;
	b64 = malloc(n + 1);
	der = malloc(n / 4 * 3 + 3);
	if (!b64 || !der) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			b64[j++] = (unsigned char)(hexval(s[i + 1]) * 16 +
						   hexval(s[i + 2]));
			i += 2;
		} else {
			b64[j++] = s[i] == ' ' ? '+' : (unsigned char)s[i];
		}
	}
	/* EVP_DecodeBlock keeps the padding's zero bytes: drop them. */
	outl = j % 4 == 0 ? EVP_DecodeBlock(der, b64, (int)j) : -1;
	if (outl <= 0)
		goto out;
	for (i = j; i > 0 && b64[i - 1] == '='; i--)
		outl--;
	if (outl <= 0)
		goto out;
	*out = der;
	*len = (size_t)outl;
	der = NULL;
	ret = 0;
out:
	free(b64);
	free(der);
	return ret;
}

static int respond(struct ocsp_http *o, const unsigned char *req, size_t len,
		   struct http_reply *rep)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	int ret = ca_ocsp_respond(o->ca, req, len, &der, &der_len);

	if (ret == -ENOENT)
		return http_text_reply(rep, HTTP_STATUS_NOT_FOUND,
				       "no OCSP responder for this CA "
				       "(ocsp-url)\n");
	if (ret < 0)
		return ret;
	rep->status = HTTP_STATUS_OK;
	rep->content_type = OCSP_TYPE;
	rep->data = der;
	rep->len = der_len;
	return 0;
}

static int ocsp_handle(void *arg, const struct http_request *req,
		       struct http_reply *rep)
{
	struct ocsp_http *o = arg;
	unsigned char *der = NULL;
	size_t len = 0;
	int ret;

	if (req->method == HTTP_POST) {
		if (strcmp(req->path, o->path) && strcmp(req->path, o->get_path))
			return http_text_reply(rep, HTTP_STATUS_NOT_FOUND,
					       "not found\n");
		return respond(o, req->body, req->body_len, rep);
	}
	if (strcmp(req->path, o->path) == 0)
		return http_text_reply(rep, HTTP_STATUS_BAD_REQUEST,
				       "GET /ocsp/NAME/ needs the request "
				       "in base64\n");
	if (strncmp(req->path, o->get_path, strlen(o->get_path)))
		return http_text_reply(rep, HTTP_STATUS_NOT_FOUND,
				       "not found\n");
	ret = decode_get(req->path + strlen(o->get_path), &der, &len);
	if (ret == -EBADMSG)
		return http_text_reply(rep, HTTP_STATUS_BAD_REQUEST,
				       "the request is not base64\n");
	if (ret == -EMSGSIZE) /* bigger than any request we take */
		return respond(o, NULL, CA_OCSP_REQ_MAX + 1, rep);
	if (ret < 0)
		return ret;
	ret = respond(o, der, len, rep);
	free(der);
	return ret;
}

int ocsp_http_register(struct http_server *srv, struct ca *ca,
		       struct ocsp_http **out)
{
	struct ocsp_http *o = calloc(1, sizeof(*o));
	struct http_route r = {
		.name = "ocsp",
		.prefix = true,
		.methods = HTTP_GET | HTTP_POST,
		.handler = ocsp_handle,
	};
	int ret = o ? 0 : -ENOMEM;

	if (ret == 0 &&
	    ((size_t)snprintf(o->path, sizeof(o->path), "/ocsp/%s",
			      ca_name(ca)) >= sizeof(o->path) ||
	     (size_t)snprintf(o->get_path, sizeof(o->get_path), "/ocsp/%s/",
			      ca_name(ca)) >= sizeof(o->get_path)))
		ret = -ENAMETOOLONG;
	if (ret == 0) {
		o->ca = ca;
		r.path = o->path; /* /ocsp/NAME and everything under it */
		r.arg = o;
		ret = http_route_add(srv, &r);
	}
	if (ret < 0) {
		free(o);
		return ret;
	}
	*out = o;
	return 0;
}

void ocsp_http_free(struct ocsp_http *o)
{
	free(o);
}
