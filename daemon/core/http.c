// SPDX-License-Identifier: MIT
/*
 * SCEP over HTTP: routes each request to the CA (daemon/ca/ca.h) and turns
 * its answer, or its error, into an HTTP response.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <sys/resource.h>
#include <time.h>
#include <netinet/in.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "ca/ca.h"
#include "http.h"
#include "http_deadline.h"
#include "log.h"

/*
 * What one client may hold (issue 19 #2: 400 slow connections from one
 * address, or a GET with 10,000 parameters, kept GetCACert from everyone
 * else): a few connections per address, a deadline for each request's
 * head and body (http_deadline.c), a short idle timer for kept-alive
 * connections, and few query parameters (SCEP uses two).
 */
#define HTTP_PER_IP_MAX	   16
#define HTTP_CONN_MAX	   2048
#define HTTP_DEADLINE_MS   10000
#define HTTP_IDLE_TIMEOUT  10 /* s */
#define HTTP_ARGS_MAX	   8
/* So many '&' that libmicrohttpd would spend its memory on them and then
 * not answer (it tries 431 and holds the connection): cut at once. */
#define HTTP_URI_ARGS_CUT  64
#define HTTP_MHD_LOG_PER_MIN 10
#define HTTP_NOFILE_WANT   4096
#define HTTP_NOFILE_SPARE  128 /* descriptors that are not connections */

struct http_server {
	struct MHD_Daemon *mhd;
	struct ca *ca;
	struct http_deadline *hd;
	/* GET /metrics (daemon/health/health.h); NULL: not served */
	http_text_fn metrics;
	void *metrics_arg;
	bool metrics_any; /* not only loopback peers */
};

/* Per-connection upload state for POST bodies. */
struct http_upload {
	unsigned char *buf;
	size_t len;
	int too_big;
};

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned int code,
				const void *data, size_t len, const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)data,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned int code,
				 const char *text)
{
	return send_buf(conn, code, text, strlen(text), "text/plain");
}

/* An HTTP status and one line for a negative errno from the CA. */
static enum MHD_Result send_error(struct MHD_Connection *conn, int err)
{
	switch (err) {
	case -EBADMSG:
		return send_text(conn, MHD_HTTP_BAD_REQUEST,
				 "not a SCEP message\n");
	case -ENOENT:
		return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	case -EAGAIN:
		return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "certificate server is not running\n");
	case -EMSGSIZE:
		return send_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
				 "message too large\n");
	case -ENOSPC:
		/* Nothing was recorded: the same request may come again. */
		return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "the certificate server's disk is full: nothing "
				 "was issued, try again later\n");
	default:
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "internal error\n");
	}
}

static enum MHD_Result send_blob(struct MHD_Connection *conn, int err,
				 struct ca_blob *blob)
{
	enum MHD_Result ret;

	if (err < 0)
		return send_error(conn, err);
	ret = send_buf(conn, MHD_HTTP_OK, blob->data, blob->len,
		       blob->content_type);
	free(blob->data);
	return ret;
}

/* GetNextCACert before a rollover CA exists: a 404 that says why. */
static enum MHD_Result next_ca_cert(struct http_server *srv,
				    struct MHD_Connection *conn)
{
	struct ca_blob blob = {0};
	int ret = ca_http_get_next_ca_cert(srv->ca, &blob);

	if (ret == -ENOENT)
		return send_text(conn, MHD_HTTP_NOT_FOUND,
				 "no rollover CA certificate yet\n");
	return send_blob(conn, ret, &blob);
}

/*
 * Base64 of a GET message= argument.  libmicrohttpd has already undone the
 * percent-escapes and turned '+' into ' ' (form encoding); base64 has no
 * spaces, so a space was a '+' a client did not escape.
 */
static int decode_message(const char *arg, unsigned char **out, size_t *len)
{
	size_t n = strlen(arg), i, j = 0;
	EVP_ENCODE_CTX *ctx = NULL;
	unsigned char *in = NULL, *buf = NULL;
	int outl = 0, fin = 0, ret = -EBADMSG;

	if (n > HTTP_BODY_MAX * 4 / 3 + 4096)
		return -EMSGSIZE;
	in = malloc(n + 1);
	buf = malloc(n / 4 * 3 + 3);
	ctx = EVP_ENCODE_CTX_new();
	if (!in || !buf || !ctx) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (arg[i] == '\r' || arg[i] == '\n')
			continue;
		in[j++] = arg[i] == ' ' ? '+' : (unsigned char)arg[i];
	}
	EVP_DecodeInit(ctx);
	if (j == 0 || EVP_DecodeUpdate(ctx, buf, &outl, in, (int)j) < 0 ||
	    EVP_DecodeFinal(ctx, buf + outl, &fin) != 1 || outl + fin == 0)
		goto out;
	*out = buf;
	*len = (size_t)(outl + fin);
	buf = NULL;
	ret = 0;
out:
	EVP_ENCODE_CTX_free(ctx);
	free(in);
	free(buf);
	return ret;
}

/* The client's address in text ("" if unknown): challenges are counted
 * per address. */
static void peer_text(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	buf[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  buf, (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;

		/* Dual stack: an IPv4 client as itself, not ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], buf,
				  (socklen_t)size);
		else
			inet_ntop(AF_INET6, a, buf, (socklen_t)size);
	}
}

static enum MHD_Result pki_operation(struct http_server *srv,
				     struct MHD_Connection *conn,
				     const unsigned char *msg, size_t len)
{
	struct ca_blob blob = {0};
	char peer[INET6_ADDRSTRLEN];
	int err;

	if (len > HTTP_BODY_MAX)
		return send_error(conn, -EMSGSIZE);
	peer_text(conn, peer, sizeof(peer));
	err = ca_http_pki_operation(srv->ca, msg, len, peer, &blob);
	return send_blob(conn, err, &blob);
}

static enum MHD_Result pki_operation_get(struct http_server *srv,
					 struct MHD_Connection *conn)
{
	const char *arg = MHD_lookup_connection_value(
		conn, MHD_GET_ARGUMENT_KIND, "message");
	unsigned char *msg = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	int err;

	if (!arg)
		return send_text(conn, MHD_HTTP_BAD_REQUEST,
				 "PKIOperation needs message=\n");
	err = decode_message(arg, &msg, &len);
	if (err < 0)
		return err == -EBADMSG ? send_text(conn, MHD_HTTP_BAD_REQUEST,
						   "message is not base64\n")
				       : send_error(conn, err);
	ret = pki_operation(srv, conn, msg, len);
	free(msg);
	return ret;
}

/* The plain CRL download: /crl/NAME.crl */
static int is_crl_path(struct http_server *srv, const char *url)
{
	const char *name = ca_name(srv->ca);
	size_t n = strlen(name);

	return strncmp(url, "/crl/", 5) == 0 &&
	       strncmp(url + 5, name, n) == 0 &&
	       strcmp(url + 5 + n, ".crl") == 0;
}

/* 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
static bool peer_is_loopback(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
	       s6->sin6_addr.s6_addr[12] == 127;
}

/* GET /metrics: Prometheus text, loopback peers only unless configured. */
static enum MHD_Result metrics(struct http_server *srv,
			       struct MHD_Connection *conn)
{
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0;

	if (!srv->metrics_any && !peer_is_loopback(conn))
		return send_text(conn, MHD_HTTP_FORBIDDEN,
				 "metrics are served to loopback only\n");
	if (srv->metrics(srv->metrics_arg, &text, &len) < 0)
		return send_error(conn, -EIO);
	ret = send_buf(conn, MHD_HTTP_OK, text, len,
		       "text/plain; version=0.0.4; charset=utf-8");
	free(text);
	return ret;
}

static enum MHD_Result route_get(struct http_server *srv,
				 struct MHD_Connection *conn, const char *url)
{
	const char *op = MHD_lookup_connection_value(
		conn, MHD_GET_ARGUMENT_KIND, "operation");
	struct ca_blob blob = {0};

	if (!op && srv->metrics && strcmp(url, "/metrics") == 0)
		return metrics(srv, conn);
	if (!op && is_crl_path(srv, url))
		return send_blob(conn, ca_http_get_crl(srv->ca, &blob), &blob);
	if (!op)
		return send_text(conn, MHD_HTTP_NOT_FOUND,
				 "no operation= given\n");
	if (strcmp(op, "GetCACaps") == 0)
		return send_blob(conn, ca_http_get_caps(srv->ca, &blob), &blob);
	if (strcmp(op, "GetCACert") == 0)
		return send_blob(conn, ca_http_get_ca_cert(srv->ca, &blob),
				 &blob);
	if (strcmp(op, "GetNextCACert") == 0)
		return next_ca_cert(srv, conn);
	if (strcmp(op, "GetCRL") == 0)
		return send_blob(conn, ca_http_get_crl(srv->ca, &blob), &blob);
	if (strcmp(op, "PKIOperation") == 0)
		return pki_operation_get(srv, conn);
	return send_text(conn, MHD_HTTP_BAD_REQUEST, "unknown operation\n");
}

/* Collect a POST body in pieces; remember overflow, answer at the end. */
static enum MHD_Result route_post(struct http_server *srv,
				  struct MHD_Connection *conn,
				  struct http_upload *up,
				  const char *upload_data, size_t *upload_size)
{
	const char *op = MHD_lookup_connection_value(
		conn, MHD_GET_ARGUMENT_KIND, "operation");

	if (*upload_size) {
		if (!up->too_big && up->len + *upload_size <= HTTP_BODY_MAX) {
			memcpy(up->buf + up->len, upload_data, *upload_size);
			up->len += *upload_size;
		} else {
			up->too_big = 1;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (up->too_big)
		return send_error(conn, -EMSGSIZE);
	if (!op || strcmp(op, "PKIOperation") != 0)
		return send_text(conn, MHD_HTTP_BAD_REQUEST,
				 "POST is for operation=PKIOperation\n");
	return pki_operation(srv, conn, up->buf, up->len);
}

static int declared_too_big(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_upload *up = *con_cls;

	if (!up && MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, NULL,
					     NULL) > HTTP_ARGS_MAX)
		return send_text(conn, MHD_HTTP_BAD_REQUEST,
				 "too many query parameters\n");
	/* Complete (a GET, or a POST's last call): stop the deadline. */
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0 || (up && !*upload_size))
		http_deadline_busy(srv->hd, conn, true);
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
		/* Refuse an announced oversized body before reading it. */
		if (!up && declared_too_big(conn))
			return send_error(conn, -EMSGSIZE);
		if (!up) {
			up = calloc(1, sizeof(*up));
			if (up)
				up->buf = malloc(HTTP_BODY_MAX);
			if (!up || !up->buf) {
				if (up)
					free(up);
				return MHD_NO;
			}
			*con_cls = up;
			return MHD_YES;
		}
		return route_post(srv, conn, up, upload_data, upload_size);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return route_get(srv, conn, url);
	return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			 "GET or POST only\n");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_upload *up = *con_cls;

	http_deadline_busy(srv->hd, conn, false);
	if (up) {
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

/*
 * Worker threads: HTTP_THREADS_PER_CPU per online CPU, at least
 * HTTP_THREADS_MIN; PKID_HTTP_THREADS in the environment overrides it (for
 * benchmarks).  A worker blocks while its request waits for the keystore
 * or the CA's lock, so there are more workers than cores; a fixed pool
 * (not a thread per connection) keeps each worker's keystore handle (the
 * OpenSSL provider keeps one per thread) open across requests.
 */
#define HTTP_THREADS_PER_CPU 4
#define HTTP_THREADS_MIN     4
#define HTTP_THREADS_MAX     64

static unsigned int pool_size(void)
{
	const char *env = getenv("PKID_HTTP_THREADS");
	long n = sysconf(_SC_NPROCESSORS_ONLN) * HTTP_THREADS_PER_CPU;
	long want;
	char *end;

	if (n < HTTP_THREADS_MIN)
		n = HTTP_THREADS_MIN;
	if (n > HTTP_THREADS_MAX)
		n = HTTP_THREADS_MAX;
	if (!env || !*env)
		return (unsigned int)n;
	errno = 0;
	want = strtol(env, &end, 10);
	if (errno || *end || want < 1 || want > HTTP_THREADS_MAX) {
		pkid_log(LOG_WARNING, NULL,
			 "PKID_HTTP_THREADS=%s is not 1..%d, using %ld", env,
			 HTTP_THREADS_MAX, n);
		return (unsigned int)n;
	}
	return (unsigned int)want;
}

/* The request line, before libmicrohttpd parses its arguments. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	unsigned int n = 0;

	for (; *uri && n <= HTTP_URI_ARGS_CUT; uri++)
		n += *uri == '&' || *uri == ';';
	if (n > HTTP_URI_ARGS_CUT)
		http_deadline_cut(srv->hd, conn);
	return NULL;
}

/*
 * libmicrohttpd's own messages ("Server reached connection limit" for each
 * refused connection): a client must not be able to fill the log, so at
 * most HTTP_MHD_LOG_PER_MIN a minute, and how many were dropped.
 */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static long minute, lines, dropped;
	struct timespec ts;
	char msg[256];
	size_t n;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (ts.tv_sec / 60 != __atomic_load_n(&minute, __ATOMIC_RELAXED)) {
		long d = __atomic_exchange_n(&dropped, 0, __ATOMIC_RELAXED);

		__atomic_store_n(&minute, ts.tv_sec / 60, __ATOMIC_RELAXED);
		__atomic_store_n(&lines, 0, __ATOMIC_RELAXED);
		if (d)
			pkid_log(LOG_NOTICE, NULL,
				 "libmicrohttpd: %ld more message(s) not shown",
				 d);
	}
	if (__atomic_add_fetch(&lines, 1, __ATOMIC_RELAXED) >
	    HTTP_MHD_LOG_PER_MIN) {
		__atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pkid_log(LOG_NOTICE, NULL, "libmicrohttpd: %s", msg);
}

/* Connections we can take: raise the descriptor limit if allowed. */
static unsigned int conn_limit(void)
{
	struct rlimit rl;
	rlim_t want = HTTP_NOFILE_WANT;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 256;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur <= 2 * HTTP_NOFILE_SPARE)
		return HTTP_NOFILE_SPARE;
	return rl.rlim_cur - HTTP_NOFILE_SPARE > HTTP_CONN_MAX
		       ? HTTP_CONN_MAX
		       : (unsigned int)(rl.rlim_cur - HTTP_NOFILE_SPARE);
}

int http_start(struct http_server **out, unsigned int port, struct ca *ca)
{
	struct http_server *srv;
	/* MHD_USE_EPOLL: each pool worker polls its own connections. */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_DUAL_STACK | MHD_USE_ERROR_LOG;

	if (port == 0 || port > 65535)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->ca = ca;
	if (http_deadline_new(&srv->hd, HTTP_DEADLINE_MS) < 0) {
		free(srv);
		return -ENOMEM;
	}
	srv->mhd = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, on_request, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, http_deadline_notify, srv->hd,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, pool_size(),
		/* In total, shared out among the workers. */
		MHD_OPTION_CONNECTION_LIMIT, conn_limit(),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_MAX,
		/* Idle only; the request deadline is http_deadline's. */
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT,
		/* Room for a GET message= of HTTP_BODY_MAX bytes in base64. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
		MHD_OPTION_END);
	if (!srv->mhd) {
		http_deadline_free(srv->hd);
		free(srv);
		return -EADDRINUSE;
	}
	*out = srv;
	return 0;
}

void http_set_metrics(struct http_server *srv, http_text_fn fn, void *arg,
		      bool any_peer)
{
	srv->metrics = fn;
	srv->metrics_arg = arg;
	srv->metrics_any = any_peer;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->mhd);
	http_deadline_free(srv->hd);
	free(srv);
}
