/* SPDX-License-Identifier: MIT */
/*
 * EST's TLS (est_tls.c): the server's chain and its keystore key for
 * libmicrohttpd's GnuTLS, and the client certificate of a session.
 */
#ifndef PKID_EST_TLS_H
#define PKID_EST_TLS_H

#include "core/http.h"

struct ca;
struct est_tls;

/* One per process (GnuTLS's certificate callback takes no argument);
 * host names the server in its certificate.  -EBUSY for a second. */
int est_tls_new(struct est_tls **t, struct ca *ca, const char *host);
/* What http_start_tls() needs. */
void est_tls_http(struct est_tls *t, struct http_tls *h);
/* Only after the listener stopped. */
void est_tls_free(struct est_tls *t);

#endif /* PKID_EST_TLS_H */
