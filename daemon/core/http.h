/* SPDX-License-Identifier: MIT */
/*
 * The SCEP HTTP front end (RFC 8894 §4) on libmicrohttpd.
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
 *   GET  /metrics                             Prometheus text (the
 *                                             watchdog, loopback peers
 *                                             unless `ip http metrics any`)
 *
 * The path before '?' is not checked (clients use /cgi-bin/pkiclient.exe
 * or /scep).  Bodies and messages over HTTP_BODY_MAX get 413.  A fixed
 * pool of worker threads (http.c says how many): a PKIOperation may wait
 * for the keystore, the others read the CA's published state without
 * locks.
 */
#ifndef PKID_HTTP_H
#define PKID_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ca;
struct http_server;

#define HTTP_BODY_MAX (64 * 1024)

/* Listen on port (all addresses, IPv4 and IPv6) and serve ca. */
int http_start(struct http_server **srv, unsigned int port, struct ca *ca);
/*
 * Serve GET /metrics with fn (malloc'd text; set before requests come):
 * to loopback peers only unless any_peer.  Not set: no /metrics.
 */
typedef int (*http_text_fn)(void *arg, char **text, size_t *len);
void http_set_metrics(struct http_server *srv, http_text_fn fn, void *arg,
		      bool any_peer);
void http_stop(struct http_server *srv);

#endif /* PKID_HTTP_H */
