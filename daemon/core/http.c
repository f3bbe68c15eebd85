// SPDX-License-Identifier: MIT
/*
 * The HTTP transport and its routing table (http.h): protocols register
 * routes; this file keeps what one client may hold, collects bodies,
 * picks the route and sends its answer.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

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
	struct http_deadline *hd;
	struct http_route routes[HTTP_ROUTES_MAX];
	size_t n_routes;
	/* GET /metrics (daemon/health/health.h); NULL: not served */
	http_text_fn metrics;
	void *metrics_arg;
	bool metrics_any; /* not only loopback peers */
	struct http_tls tls; /* http_start_tls(); cert_callback NULL: plain */
};

/* Per-connection upload state for POST bodies. */
struct http_upload {
	unsigned char *buf;
	size_t len, cap; /* cap: Content-Length, else HTTP_BODY_MAX */
	int too_big;
};

/* ---- replies ---- */

int http_data_reply(struct http_reply *rep, const char *type,
		    const void *data, size_t len)
{
	rep->data = malloc(len ? len : 1);
	if (!rep->data)
		return -ENOMEM;
	if (len)
		memcpy(rep->data, data, len);
	rep->len = len;
	rep->status = MHD_HTTP_OK;
	rep->content_type = type;
	return 0;
}

int http_text_reply(struct http_reply *rep, unsigned int status,
		    const char *text)
{
	int ret = http_data_reply(rep, "text/plain", text, strlen(text));

	rep->status = status;
	return ret;
}

/* An HTTP status and one line for a negative errno from a handler. */
int http_error_reply(struct http_reply *rep, int err)
{
	switch (err) {
	case -EBADMSG:
		return http_text_reply(rep, MHD_HTTP_BAD_REQUEST,
				       "bad request\n");
	case -ENOENT:
		return http_text_reply(rep, MHD_HTTP_NOT_FOUND, "not found\n");
	case -EAGAIN:
		return http_text_reply(rep, MHD_HTTP_SERVICE_UNAVAILABLE,
				       "certificate server is not running\n");
	case -EMSGSIZE:
		return http_text_reply(rep, MHD_HTTP_CONTENT_TOO_LARGE,
				       "message too large\n");
	case -ETIME:
		/* Nothing was decided: the same request may come again. */
		return http_text_reply(rep, MHD_HTTP_SERVICE_UNAVAILABLE,
				       "the certificate server's time is not "
				       "authoritative: nothing was issued, "
				       "try again later\n");
	case -ENOSPC:
		/* Nothing was recorded: the same request may come again. */
		return http_text_reply(rep, MHD_HTTP_SERVICE_UNAVAILABLE,
				       "the certificate server's disk is full: "
				       "nothing was issued, try again later\n");
	default:
		return http_text_reply(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "internal error\n");
	}
}

/*
 * close: the client's last request on this connection (a POST on the
 * plain listener is a PKIOperation, the end of what a SCEP client asks).
 * libmicrohttpd zeroes the connection's whole memory pool (HTTP_POOL_SIZE)
 * when it keeps a connection for another request: at 256 KiB, about a
 * sixth of pkid's CPU per enrollment when clients that open one connection
 * per request leave it to us (curl, strongSwan, scep-bench; issue 14).
 */
static enum MHD_Result send_reply(struct MHD_Connection *conn,
				  struct http_reply *rep, bool close)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(rep->len, rep->data,
					    MHD_RESPMEM_MUST_COPY);
	free(rep->data);
	rep->data = NULL;
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				rep->content_type);
	if (close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION,
					"close");
	if (rep->header_name)
		MHD_add_response_header(r, rep->header_name,
					rep->header_value);
	ret = MHD_queue_response(conn, rep->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned int code,
				 const char *text)
{
	struct http_reply rep = {0};

	if (http_text_reply(&rep, code, text) < 0)
		return MHD_NO;
	return send_reply(conn, &rep, false);
}

/* An error answered before any route: oversized bodies. */
static enum MHD_Result send_error(struct MHD_Connection *conn, int err)
{
	struct http_reply rep = {0};

	if (http_error_reply(&rep, err) < 0)
		return MHD_NO;
	return send_reply(conn, &rep, false);
}

/* ---- the routing table ---- */

int http_new(struct http_server **out)
{
	struct http_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return -ENOMEM;
	if (http_deadline_new(&srv->hd, HTTP_DEADLINE_MS) < 0) {
		free(srv);
		return -ENOMEM;
	}
	*out = srv;
	return 0;
}

int http_route_add(struct http_server *srv, const struct http_route *r)
{
	if (srv->mhd || !r->handler || !r->methods || !r->path)
		return -EINVAL;
	if (srv->n_routes == HTTP_ROUTES_MAX)
		return -ENOSPC;
	srv->routes[srv->n_routes++] = *r;
	return 0;
}

/* How well r's path fits: -1 not at all, else exact above any prefix,
 * and a longer prefix above a shorter one. */
static long path_fit(const struct http_route *r, const char *path)
{
	size_t n = strlen(r->path);

	if (!r->prefix)
		return strcmp(r->path, path) == 0 ? LONG_MAX : -1;
	return strncmp(r->path, path, n) == 0 ? (long)n : -1;
}

static bool route_takes(const struct http_route *r,
			const struct http_request *req)
{
	return (r->methods & req->method) &&
	       (!r->match || r->match(r->arg, req));
}

/* The best fitting route that takes req; the first added among equals. */
static const struct http_route *route_find(const struct http_server *srv,
					   const struct http_request *req)
{
	const struct http_route *best = NULL;
	long fit, best_fit = -1;
	size_t i;

	for (i = 0; i < srv->n_routes; i++) {
		fit = path_fit(&srv->routes[i], req->path);
		if (fit > best_fit && route_takes(&srv->routes[i], req)) {
			best = &srv->routes[i];
			best_fit = fit;
		}
	}
	return best;
}

int http_dispatch(const struct http_server *srv,
		  const struct http_request *req, struct http_reply *rep)
{
	const struct http_route *r = route_find(srv, req);
	int ret;

	memset(rep, 0, sizeof(*rep));
	if (!r)
		return http_error_reply(rep, -ENOENT);
	ret = r->handler(r->arg, req, rep);
	if (ret < 0) {
		free(rep->data);
		memset(rep, 0, sizeof(*rep));
		return http_error_reply(rep, ret);
	}
	return 0;
}

/* ---- GET /metrics ---- */

static bool no_operation(void *arg, const struct http_request *req)
{
	return req->arg(req, "operation") == NULL;
}

/* Prometheus text, loopback peers only unless configured. */
static int metrics(void *arg, const struct http_request *req,
		   struct http_reply *rep)
{
	const struct http_server *srv = arg;
	char *text = NULL;
	size_t len = 0;

	if (!srv->metrics_any && !req->peer_loopback)
		return http_text_reply(rep, MHD_HTTP_FORBIDDEN,
				       "metrics are served to loopback only\n");
	if (srv->metrics(srv->metrics_arg, &text, &len) < 0)
		return -EIO;
	rep->status = MHD_HTTP_OK;
	rep->content_type = "text/plain; version=0.0.4; charset=utf-8";
	rep->data = (unsigned char *)text;
	rep->len = len;
	return 0;
}

int http_set_metrics(struct http_server *srv, http_text_fn fn, void *arg,
		     bool any_peer)
{
	const struct http_route r = {
		.name = "metrics",
		.path = "/metrics",
		.methods = HTTP_GET,
		/* With operation= the request is SCEP's, whatever its path. */
		.match = no_operation,
		.handler = metrics,
		.arg = srv,
	};

	srv->metrics = fn;
	srv->metrics_arg = arg;
	srv->metrics_any = any_peer;
	return http_route_add(srv, &r);
}

/* ---- libmicrohttpd ---- */

/* The client's address in text ("" if unknown), and whether it is
 * loopback (127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104). */
static bool peer_of(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const struct in6_addr *a6;
	struct in_addr a4;

	buf[0] = '\0';
	if (sa && sa->sa_family == AF_INET) {
		a4 = ((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa && sa->sa_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		/* Dual stack: an IPv4 client as itself, not ::ffff:a.b.c.d. */
		if (!IN6_IS_ADDR_V4MAPPED(a6)) {
			inet_ntop(AF_INET6, a6, buf, (socklen_t)size);
			return IN6_IS_ADDR_LOOPBACK(a6);
		}
		memcpy(&a4, &a6->s6_addr[12], sizeof(a4));
	} else {
		return false;
	}
	inet_ntop(AF_INET, &a4, buf, (socklen_t)size);
	return (ntohl(a4.s_addr) >> 24) == 127;
}

static const char *mhd_arg(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->impl, MHD_GET_ARGUMENT_KIND,
					   name);
}

/* The TLS session's client certificate, if any, and the intermediates
 * it sent (http_tls.peer_cert). */
static void tls_peer(const struct http_server *srv, struct MHD_Connection *conn,
		     struct http_request *req)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int *n = &req->peer_chain_n;

	if (!srv->tls.peer_cert)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	req->peer_cert =
		srv->tls.peer_cert(ci->tls_session, 0, &req->peer_cert_len);
	while (req->peer_cert && *n < HTTP_PEER_CHAIN_MAX &&
	       (req->peer_chain[*n] = srv->tls.peer_cert(
			ci->tls_session, *n + 1, &req->peer_chain_len[*n])))
		(*n)++;
}

static enum MHD_Result serve(struct http_server *srv,
			     struct MHD_Connection *conn, const char *url,
			     unsigned int method, const struct http_upload *up)
{
	char peer[HTTP_PEER_MAX], *user, *pass = NULL;
	enum MHD_Result ret;
	struct http_request req = {
		.method = method,
		.path = url,
		.arg = mhd_arg,
		.impl = conn,
		.body = up ? up->buf : NULL,
		.body_len = up ? up->len : 0,
		.peer = peer,
	};
	struct http_reply rep = {0};

	req.peer_loopback = peer_of(conn, peer, sizeof(peer));
	req.content_type = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	/* libmicrohttpd decodes the Authorization header. */
	user = MHD_basic_auth_get_username_password(conn, &pass);
	req.basic_password = pass;
	tls_peer(srv, conn, &req);
	/* A POST ends a plain HTTP connection (send_reply); on the TLS
	 * listener (EST) the connection stays for the client's next request:
	 * a new handshake costs a keystore signature and far more than the
	 * pool's zeroing, and a bulk client (an RA, a provisioning station)
	 * then pays it once. */
	ret = http_dispatch(srv, &req, &rep) < 0
		      ? MHD_NO
		      : send_reply(conn, &rep,
				   method == HTTP_POST && !srv->tls.cert_callback);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ret;
}

/* Collect a POST body in pieces; remember overflow, answer at the end. */
static enum MHD_Result collect_post(struct http_server *srv,
				    struct MHD_Connection *conn,
				    const char *url, struct http_upload *up,
				    const char *upload_data,
				    size_t *upload_size)
{
	if (*upload_size) {
		if (!up->too_big && up->len + *upload_size <= up->cap) {
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
	return serve(srv, conn, url, HTTP_POST, up);
}

/*
 * The body's announced length: 0 when there is none (chunked), else
 * what Content-Length says, more than HTTP_BODY_MAX when it says too much
 * (libmicrohttpd has checked it is a number and reads no more than it).
 */
static size_t declared_length(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;

	return n > HTTP_BODY_MAX ? HTTP_BODY_MAX + 1 : (size_t)n;
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
		if (!up && declared_length(conn) > HTTP_BODY_MAX)
			return send_error(conn, -EMSGSIZE);
		if (!up) {
			/* What the body announced, not 64 KiB each (the
			 * allocator's trimming showed in the profile). */
			size_t cap = declared_length(conn);

			up = calloc(1, sizeof(*up));
			if (up) {
				up->cap = cap ? cap : HTTP_BODY_MAX;
				up->buf = malloc(up->cap);
			}
			if (!up || !up->buf) {
				if (up)
					free(up);
				return MHD_NO;
			}
			*con_cls = up;
			return MHD_YES;
		}
		return collect_post(srv, conn, url, up, upload_data,
				    upload_size);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return serve(srv, conn, url, HTTP_GET, NULL);
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

/* The deadline's bookkeeping; on the TLS listener also the new session's
 * request for a client certificate, before its handshake. */
static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci;

	http_deadline_notify(srv->hd, conn, socket_context, toe);
	if (toe != MHD_CONNECTION_NOTIFY_STARTED || !srv->tls.session_new)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci && ci->tls_session)
		srv->tls.session_new(ci->tls_session);
}

/*
 * Each connection's memory pool: the request's head (a GET's URL with its
 * message= included) and libmicrohttpd's own buffers; a POST body streams
 * through it into a buffer of its Content-Length.  32 KiB takes a GET URL
 * of about 32,000 bytes (414 beyond): a PKIOperation of ~21 KiB in
 * base64 with Cisco's percent-escapes, several times a PKCSReq for an
 * RSA-4096 key (POST takes HTTP_BODY_MAX).  Small on purpose (issue
 * 14): libmicrohttpd zeroes the read buffer's unused part (half the
 * pool) when the head has been read, and the pool is mapped afresh for
 * every connection, so those pages fault in first: at 256 KiB, 13 % of
 * the HTTP workers' samples (docs/THROUGHPUT.md).
 *
 * Over TLS (EST) libmicrohttpd decrypts what arrived into the pool
 * before pkid sees the head: a body refused by its Content-Length must
 * still leave room to answer 413, so TLS servers keep 256 KiB
 * (check-est-server's oversized body got no answer at 32 KiB).
 */
#define HTTP_POOL_SIZE	   (32 * 1024)
#define HTTP_POOL_SIZE_TLS (256 * 1024)

static int start(struct http_server *srv, unsigned int port,
		 unsigned int flags)
{
	/* Without TLS the last two options are MHD_OPTION_END. */
	enum MHD_OPTION tls_cb = MHD_OPTION_END, tls_prio = MHD_OPTION_END;

	if (srv->tls.cert_callback) {
		tls_cb = MHD_OPTION_HTTPS_CERT_CALLBACK;
		tls_prio = MHD_OPTION_HTTPS_PRIORITIES;
	}
	srv->mhd = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, on_request, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, pool_size(),
		/* In total, shared out among the workers. */
		MHD_OPTION_CONNECTION_LIMIT, conn_limit(),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_MAX,
		/* Idle only; the request deadline is http_deadline's. */
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(srv->tls.cert_callback ? HTTP_POOL_SIZE_TLS
						: HTTP_POOL_SIZE),
		tls_cb, srv->tls.cert_callback, tls_prio, srv->tls.priorities,
		MHD_OPTION_END);
	return srv->mhd ? 0 : -EADDRINUSE;
}

/* MHD_USE_EPOLL: each pool worker polls its own connections. */
#define HTTP_MHD_FLAGS                                               \
	(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |          \
	 MHD_USE_DUAL_STACK | MHD_USE_ERROR_LOG)

int http_start(struct http_server *srv, unsigned int port)
{
	if (port == 0 || port > 65535 || srv->mhd)
		return -EINVAL;
	return start(srv, port, HTTP_MHD_FLAGS);
}

int http_start_tls(struct http_server *srv, unsigned int port,
		   const struct http_tls *tls)
{
	if (port == 0 || port > 65535 || srv->mhd || !tls->cert_callback ||
	    !tls->priorities)
		return -EINVAL;
	if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES)
		return -EOPNOTSUPP;
	srv->tls = *tls;
	return start(srv, port, HTTP_MHD_FLAGS | MHD_USE_TLS);
}

void http_free(struct http_server *srv)
{
	if (srv && srv->mhd)
		MHD_stop_daemon(srv->mhd);
	if (srv)
		http_deadline_free(srv->hd);
	free(srv);
}
