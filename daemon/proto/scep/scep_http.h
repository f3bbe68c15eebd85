/* SPDX-License-Identifier: MIT */
/*
 * SCEP over HTTP (scep_http.c): SCEP's routes in the HTTP routing table
 * (daemon/core/http.h) for one CA.
 */
#ifndef PKID_SCEP_HTTP_H
#define PKID_SCEP_HTTP_H

#include <stddef.h>

struct ca;
struct http_server;
struct scep_http;

/* Register SCEP (every path, with operation=) and /crl/NAME.crl for ca. */
int scep_http_register(struct http_server *srv, struct ca *ca,
		       struct scep_http **out);
void scep_http_free(struct scep_http *s);

/*
 * Base64 of a GET message= argument, as the HTTP layer form-decoded it
 * (a space is a '+' a client did not escape).  -EBADMSG: not base64;
 * -EMSGSIZE: longer than a body may be.
 */
int scep_http_decode_message(const char *arg, unsigned char **out,
			     size_t *len);

#endif /* PKID_SCEP_HTTP_H */
