/* SPDX-License-Identifier: MIT */
/*
 * The OCSP responder's routes in pkid's HTTP table (RFC 6960 Appendix A):
 *
 *   POST /ocsp/NAME            body: a DER OCSPRequest
 *   GET  /ocsp/NAME/BASE64     the request, base64 then URL-encoded
 *
 * both answered application/ocsp-response by the CA's responder
 * (daemon/ca/ca_ocsp.h); 404 while the CA has no `ocsp-url`.
 */
#ifndef PKID_OCSP_HTTP_H
#define PKID_OCSP_HTTP_H

struct ca;
struct http_server;
struct ocsp_http;

int ocsp_http_register(struct http_server *srv, struct ca *ca,
		       struct ocsp_http **out);
void ocsp_http_free(struct ocsp_http *o);

#endif /* PKID_OCSP_HTTP_H */
