/* SPDX-License-Identifier: MIT */
/*
 * EST's routes (est_http.c): /.well-known/est/ and /.well-known/est/NAME/
 * on the TLS listener, answered through the CA's neutral calls (ca.h).
 */
#ifndef PKID_EST_HTTP_H
#define PKID_EST_HTTP_H

#include "core/http.h"

struct ca;
struct est_http;

int est_http_register(struct http_server *srv, struct ca *ca,
		      struct est_http **e);
void est_http_free(struct est_http *e);

#endif /* PKID_EST_HTTP_H */
