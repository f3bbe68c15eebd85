/* SPDX-License-Identifier: MIT */
/*
 * The SCEP server on a CA (scep_server.c): PKIOperation in, CertRep out,
 * and the answers to GetCACaps, GetCACert, GetNextCACert and GetCRL, all
 * on the CA's protocol-neutral entry points (daemon/ca/ca.h).
 * scep_http.c carries them over HTTP.
 */
#ifndef PKID_SCEP_SERVER_H
#define PKID_SCEP_SERVER_H

#include <stddef.h>

struct ca;
struct scep_server;

/* An answer: malloc'd bytes and their content type (static). */
struct scep_blob {
	unsigned char *data;
	size_t len;
	const char *content_type;
};

/* Serve ca; registers SCEP's answers with it (ca_encoder_set), so call
 * this before ca_start(). */
int scep_server_new(struct scep_server **s, struct ca *ca);
void scep_server_free(struct scep_server *s);
const char *scep_server_ca_name(const struct scep_server *s);

int scep_server_caps(struct scep_server *s, struct scep_blob *out);
/* -EAGAIN while the CA has published nothing (not started). */
int scep_server_ca_cert(struct scep_server *s, struct scep_blob *out);
/* -ENOENT while there is no rollover CA. */
int scep_server_next_ca_cert(struct scep_server *s, struct scep_blob *out);
/* The plain CRL (-ENOENT before the first one). */
int scep_server_crl(struct scep_server *s, struct scep_blob *out);
/* A PKIOperation from peer (the client's address in text, "" if
 * unknown): -EBADMSG when msg is not a SCEP message, -EAGAIN while the
 * CA is not running; else 0 and the CertRep. */
int scep_server_pki_operation(struct scep_server *s, const unsigned char *msg,
			      size_t len, const char *peer,
			      struct scep_blob *out);

#endif /* PKID_SCEP_SERVER_H */
