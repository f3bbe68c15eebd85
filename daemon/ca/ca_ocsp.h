/* SPDX-License-Identifier: MIT */
/*
 * The CA's OCSP responder (RFC 6960, with RFC 5019's profile), for a
 * front end that carries it (daemon/proto/ocsp/ocsp_http.c).  It lives
 * with the CA because its answers are the CA's published state: signed
 * responses cached in a lock-free RCU hash table, re-signed whenever the
 * CA issues a CRL (a revocation, CS CRL UPDATE, a rollover), so that a
 * request for a certificate asked about before signs nothing.
 * docs/OCSP.md says what is signed when, and why.
 */
#ifndef PKID_CA_OCSP_H
#define PKID_CA_OCSP_H

#include <stddef.h>
#include <stdint.h>

struct ca;

/* The largest request DER taken (RFC 5019 requests are ~100 bytes; a
 * signed request with its certificates a few KiB). */
#define CA_OCSP_REQ_MAX 8192

/*
 * Answer one DER OCSPRequest with a DER OCSPResponse (malloc'd): also
 * for malformed requests (malformedRequest), another CA's certificates
 * (unauthorized) and a CA not published yet or too busy (tryLater).
 * -ENOENT: this CA has no responder (no ocsp-url); -ENOMEM.
 */
int ca_ocsp_respond(struct ca *ca, const unsigned char *req, size_t len,
		    unsigned char **resp, size_t *resp_len);

/* What the responder did since start (lock-free counters). */
struct ca_ocsp_stats {
	uint64_t hits;	 /* answered from the cache: nothing signed */
	uint64_t signed_on_request; /* a miss or a nonce: signed for it */
	uint64_t signed_ahead;	    /* (re-)signed by the CA, off the hot path */
	uint64_t busy;		    /* tryLater: too many signing at once */
	uint64_t cached;	    /* responses in the cache now */
};
int ca_ocsp_stats(struct ca *ca, struct ca_ocsp_stats *st);

#endif /* PKID_CA_OCSP_H */
