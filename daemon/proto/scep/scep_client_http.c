// SPDX-License-Identifier: MIT
/*
 * SCEP over HTTP, client side, on libcurl: one easy handle per request
 * (requests are rare: a few per trustpoint per lifetime), every request
 * bounded by a connect timeout and a total timeout, the body capped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "scep_client.h"

/* Nowhere until the program says where (pkid: its log). */
static scep_log_fn log_fn;

void scep_client_set_log(scep_log_fn fn)
{
	log_fn = fn;
}

static void say(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, msg);
}

struct sink {
	struct scep_http_body *body;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	unsigned char *grown;

	if (s->body->len + n > SCEP_HTTP_BODY_MAX) {
		s->too_big = 1;
		return 0; /* curl aborts the transfer */
	}
	grown = realloc(s->body->data, s->body->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + s->body->len, ptr, n);
	s->body->data = grown;
	s->body->len += n;
	return n;
}

/*
 * libcurl's failure as an errno that scep_http_unreachable() sorts.  EST's
 * own mapping (est_client.c) adds the TLS codes (a refused server
 * certificate is -EKEYREJECTED there, final); a SCEP URL over https keeps
 * every TLS failure as -EIO, unreachable and retried at CONNECT RETRY,
 * because SCEP's trust is in its CMS signatures, not in the transport.
 */
static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return -ECONNRESET;
	default:
		return -EIO;
	}
}

/* Run one prepared request; map the outcome to an errno. */
static int perform(CURL *c, const char *what, struct scep_http_body *body)
{
	struct sink s = {.body = body};
	char *ct = NULL;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, SCEP_HTTP_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, SCEP_HTTP_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	if (s.too_big) {
		say(LOG_WARNING, "%s: reply larger than %d bytes", what,
		    SCEP_HTTP_BODY_MAX);
		return -EMSGSIZE;
	}
	if (rc != CURLE_OK) {
		say(LOG_WARNING, "%s: %s", what, curl_easy_strerror(rc));
		return curl_errno(rc);
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &body->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(body->content_type, sizeof(body->content_type), "%s",
			 ct);
	if (body->status == 404)
		return -ENOENT;
	if (body->status == 503) { /* the CA is there but cannot answer now */
		say(LOG_WARNING, "%s: HTTP 503", what);
		return -EBUSY;
	}
	if (body->status < 200 || body->status > 299) {
		say(LOG_WARNING, "%s: HTTP %ld", what, body->status);
		return -EPROTO;
	}
	return 0;
}

int scep_http_get_url(const char *url, struct scep_http_body *body)
{
	CURL *c = curl_easy_init();
	int ret;

	memset(body, 0, sizeof(*body));
	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	ret = perform(c, url, body);
	curl_easy_cleanup(c);
	if (ret < 0)
		scep_http_body_free(body);
	return ret;
}

int scep_http_fetch(const char *url, unsigned char **der, size_t *len)
{
	struct scep_http_body body = {0};
	int ret = scep_http_get_url(url, &body);

	if (ret < 0)
		return ret;
	*der = body.data;
	*len = body.len;
	return 0;
}

int scep_http_get(const char *url, const char *op, const char *message,
		  struct scep_http_body *body)
{
	CURL *c = curl_easy_init();
	char *esc = NULL, *full = NULL;
	int ret = -ENOMEM;

	if (!c)
		return -ENOMEM;
	if (message) {
		esc = curl_easy_escape(c, message, 0);
		if (!esc)
			goto out;
	}
	if (asprintf(&full, "%s?operation=%s%s%s", url, op,
		     esc ? "&message=" : "", esc ? esc : "") < 0) {
		full = NULL;
		goto out;
	}
	ret = scep_http_get_url(full, body);
out:
	curl_free(esc);
	free(full);
	curl_easy_cleanup(c);
	return ret;
}

static int post_pkiop(const char *url, const unsigned char *der, size_t len,
		      struct scep_http_body *body)
{
	struct curl_slist *hdr = curl_slist_append(
		NULL, "Content-Type: application/x-pki-message");
	CURL *c = curl_easy_init();
	char *full = NULL;
	int ret = -ENOMEM;

	memset(body, 0, sizeof(*body));
	if (!c || !hdr || asprintf(&full, "%s?operation=PKIOperation", url) < 0)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, der);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	ret = perform(c, "PKIOperation", body);
	free(full);
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (ret < 0)
		scep_http_body_free(body);
	return ret;
}

int scep_http_pkiop(const char *url, int post, const unsigned char *der,
		    size_t len, struct scep_http_body *body)
{
	char *b64;
	int n, ret;

	if (post)
		return post_pkiop(url, der, len, body);
	b64 = malloc(4 * ((len + 2) / 3) + 1);
	if (!b64)
		return -ENOMEM;
	n = EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
	b64[n] = '\0';
	ret = scep_http_get(url, "PKIOperation", b64, body);
	free(b64);
	return ret;
}

void scep_http_body_free(struct scep_http_body *body)
{
	free(body->data);
	body->data = NULL;
	body->len = 0;
}

int scep_http_unreachable(int err)
{
	return err == -ECONNREFUSED || err == -EHOSTUNREACH ||
	       err == -ETIMEDOUT || err == -ECONNRESET || err == -EIO ||
	       err == -EPROTO || /* the CA answers, but not SCEP: try later */
	       err == -EBUSY;	 /* HTTP 503: the CA cannot answer now */
}
