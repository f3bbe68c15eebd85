/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server on libmicrohttpd: a routing table that protocols
 * register into (daemon/proto/scep/scep_http.c: SCEP on every path, and
 * /crl/NAME.crl; http_set_metrics(): /metrics for the watchdog).
 *
 * http.c owns the transport and what one client may hold: the worker
 * pool, connections per address, a deadline for each request's head and
 * body (http_deadline.c), few query parameters, the body cap (a POST body
 * or an announced Content-Length over HTTP_BODY_MAX gets 413 before any
 * route sees it), methods other than GET, HEAD and POST (405), and the
 * answer to a negative errno from a handler (http_error_reply).  A route
 * sees a struct http_request with the body already collected and fills a
 * struct http_reply; it never touches libmicrohttpd, so a test or a fuzz
 * harness runs the table with http_dispatch() and no socket.
 *
 * Routing: first the routes whose path equals the request's (the part
 * before '?'), in the order they were added; then the prefix routes whose
 * path starts the request's, the longest prefix first ("" takes every
 * path).  Of those, the first whose methods and match() accept the
 * request answers it.  No route: 404 "not found".  Routes are added
 * before http_start() and never change while it runs, so workers read the
 * table without a lock.
 */
#ifndef PKID_HTTP_H
#define PKID_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_server;

#define HTTP_BODY_MAX	(64 * 1024)
#define HTTP_ROUTES_MAX 16
#define HTTP_PEER_MAX	46 /* INET6_ADDRSTRLEN */

/* The statuses pkid answers with. */
#define HTTP_STATUS_OK		       200
#define HTTP_STATUS_ACCEPTED	       202
#define HTTP_STATUS_UNAUTHORIZED       401
#define HTTP_STATUS_BAD_REQUEST	       400
#define HTTP_STATUS_FORBIDDEN	       403
#define HTTP_STATUS_NOT_FOUND	       404
#define HTTP_STATUS_METHOD_NOT_ALLOWED 405
#define HTTP_STATUS_TOO_LARGE	       413
#define HTTP_STATUS_UNSUPPORTED_TYPE   415
#define HTTP_STATUS_INTERNAL_ERROR     500
#define HTTP_STATUS_NOT_IMPLEMENTED    501
#define HTTP_STATUS_UNAVAILABLE	       503

/* Methods a route accepts (a mask). */
#define HTTP_GET  0x1u /* GET and HEAD */
#define HTTP_POST 0x2u

/* Intermediates kept of a TLS client's chain (the rest is ignored). */
#define HTTP_PEER_CHAIN_MAX 4

struct http_request {
	unsigned int method; /* HTTP_GET or HTTP_POST */
	const char *path;    /* the URL before '?' */
	/* A query argument, form-decoded ('+' is a space, %XX undone);
	 * NULL when absent. */
	const char *(*arg)(const struct http_request *req, const char *name);
	void *impl; /* the transport's, for arg() */
	const unsigned char *body; /* POST: the whole body, <= HTTP_BODY_MAX */
	size_t body_len;
	/* The client's address in text ("" if unknown; an IPv4 client on
	 * the dual-stack socket as a.b.c.d) and whether it is loopback. */
	const char *peer;
	bool peer_loopback;
	/* The Content-Type header, NULL if none. */
	const char *content_type;
	/* HTTP Basic authorization: the password (NULL if none); the user
	 * name is not kept. */
	const char *basic_password;
	/* On the TLS listener (http_start_tls): the client's certificate
	 * (DER), NULL if it sent none.  The handshake proved the client holds
	 * its key; nothing checked who issued it. */
	const unsigned char *peer_cert;
	size_t peer_cert_len;
	/* The certificates it sent after its own (intermediates, DER,
	 * borrowed), at most HTTP_PEER_CHAIN_MAX; unchecked as well. */
	const unsigned char *peer_chain[HTTP_PEER_CHAIN_MAX];
	size_t peer_chain_len[HTTP_PEER_CHAIN_MAX];
	unsigned int peer_chain_n;
};

struct http_reply {
	unsigned int status;
	const char *content_type; /* static */
	unsigned char *data;	  /* malloc'd; http.c frees it */
	size_t len;
	/* One more header, e.g. Retry-After; NULL name: none. */
	const char *header_name; /* static */
	char header_value[96];
};

/*
 * A handler returns 0 with rep filled, or a negative errno that
 * http_error_reply() answers.  It may run on any worker, concurrently.
 */
typedef int (*http_handler_fn)(void *arg, const struct http_request *req,
			       struct http_reply *rep);

struct http_route {
	const char *name; /* for logs and tests */
	const char *path; /* the path, or its start when prefix */
	bool prefix;
	unsigned int methods;
	/* Optional: does the route take this request? */
	bool (*match)(void *arg, const struct http_request *req);
	http_handler_fn handler;
	void *arg;
};

int http_new(struct http_server **srv);
/* Copies r (not the strings it points to: they must outlive srv);
 * -EINVAL once started, -ENOSPC when the table is full. */
int http_route_add(struct http_server *srv, const struct http_route *r);
/*
 * GET /metrics with fn (malloc'd text): to loopback peers only unless
 * any_peer (403 otherwise).  Not called: no /metrics.
 */
typedef int (*http_text_fn)(void *arg, char **text, size_t *len);
int http_set_metrics(struct http_server *srv, http_text_fn fn, void *arg,
		     bool any_peer);
/* Listen on port (all addresses, IPv4 and IPv6) and serve the routes. */
int http_start(struct http_server *srv, unsigned int port);
/*
 * The TLS listener (EST): the same table and limits over TLS 1.2/1.3.
 * The TLS library is libmicrohttpd's (GnuTLS); what knows GnuTLS lives
 * with the caller, so this file stays without it:
 */
struct http_tls {
	/* A gnutls_certificate_retrieve_function2: the server's chain and a
	 * private key whose operations run elsewhere (the keystore). */
	void *cert_callback;
	const char *priorities; /* GnuTLS priority string */
	/* A connection's gnutls_session_t, before its handshake: ask the
	 * client for a certificate. */
	void (*session_new)(void *session);
	/* The client's certificate @i of a session (DER, borrowed; 0: its
	 * own, then the chain it sent), or NULL past the last. */
	const unsigned char *(*peer_cert)(void *session, unsigned int i,
					  size_t *len);
};
int http_start_tls(struct http_server *srv, unsigned int port,
		   const struct http_tls *tls);
/* Stop (if started) and free. */
void http_free(struct http_server *srv);

/* Route one request: what a worker does once the body is in. */
int http_dispatch(const struct http_server *srv,
		  const struct http_request *req, struct http_reply *rep);

/* Fill rep with a status and a text/plain line (copied). */
int http_text_reply(struct http_reply *rep, unsigned int status,
		    const char *text);
/* Fill rep with status 200, type and a copy of data. */
int http_data_reply(struct http_reply *rep, const char *type,
		    const void *data, size_t len);
/* The answer to a negative errno: 400, 404, 413, 503 or 500, one line. */
int http_error_reply(struct http_reply *rep, int err);

#endif /* PKID_HTTP_H */
