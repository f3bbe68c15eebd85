// SPDX-License-Identifier: MIT
/*
 * The parent's side of a hierarchy (issue 17): what a CA does with a
 * request for a CA certificate, and what it puts in one.
 *
 * A CSR asks for a CA when its extensionRequest holds basicConstraints
 * with cA TRUE (pkid's `mode sub-cs`, IOS's sub-CA, openssl req -addext
 * basicConstraints=CA:TRUE).  Handing out a CA certificate hands out the
 * power to issue for the whole tree, so the policy is stricter than for
 * an end entity:
 *
 *   grant none                       rejected, as every request
 *   first CA request                 pending, whatever the grant mode, a
 *                                    challenge or one-time password, or
 *                                    `grant auto trustpoint`: only the
 *                                    operator's `server grant` issues it
 *   re-enrollment (signed by a CA    granted with `grant auto rollover
 *   certificate this CA issued)      ca-cert` (IOS), else pending
 *   this CA's own pathLenConstraint  rejected: it may issue no CA
 *   is 0
 *
 * Why not `grant auto trustpoint TP` for CA requests: it trusts whoever
 * holds any certificate of TP's CA, which is fine for a router's
 * certificate but would let any such holder become a CA.  IOS's own word
 * for the automatic part, `grant auto rollover ca-cert`, only covers a
 * subordinate that already holds a CA certificate from this server.
 *
 * Issued CA certificates carry basicConstraints critical CA:TRUE with
 * pathLenConstraint `ca-path-length` (default 0), lowered below this CA's
 * own where it has one; keyUsage critical keyCertSign, cRLSign,
 * digitalSignature; no extendedKeyUsage; SKI/AKI; the cdp-url.  Their
 * lifetime is `lifetime certificate`, truncated at this CA's notAfter as
 * every certificate it issues (schedule.c): a subordinate never outlives
 * its parent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"

bool ca_csr_wants_ca(X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	BASIC_CONSTRAINTS *bc;
	bool ca = false;

	if (!exts)
		return false;
	bc = X509V3_get_d2i(exts, NID_basic_constraints, NULL, NULL);
	ca = bc && bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ca;
}

/* The pathLenConstraint an issued CA certificate gets; -1: none allowed. */
static long sub_pathlen(struct ca *ca, X509 *issuer)
{
	long own = X509_get_pathlen(issuer); /* -1: no constraint */
	long want = (long)ca->cfg.ca_path_length;

	if (own == 0)
		return -1;
	if (own > 0 && want > own - 1)
		want = own - 1;
	return want;
}

/* Is signer a CA certificate (cA TRUE)? */
static bool is_ca_cert(X509 *x)
{
	return x && (X509_get_extension_flags(x) & EXFLAG_CA);
}

enum db_req_state ca_sub_policy(struct ca *ca, const struct ca_pub *pub,
				const struct ca_enroll_req *req, bool renewal,
				enum db_req_state state, const char **why)
{
	if (state == DB_REQ_REJECTED || !ca_csr_wants_ca(req->csr))
		return state;
	if (sub_pathlen(ca, pub->k.ca_cert) < 0) {
		*why = "a CA certificate request, and this CA's path length "
		       "constraint allows no subordinate CA";
		return DB_REQ_REJECTED;
	}
	if (renewal && is_ca_cert(req->signer) && ca->cfg.grant_rollover_ca) {
		pkid_log(LOG_NOTICE, "CS_SUB_CA_REQUEST",
			 "%s: tid %s: subordinate CA re-enrollment granted "
			 "(grant auto rollover ca-cert)",
			 ca->cfg.name, req->transaction_id);
		return DB_REQ_GRANTED;
	}
	pkid_log(LOG_NOTICE, "CS_SUB_CA_REQUEST",
		 "%s: tid %s: a request for a CA certificate waits for the "
		 "operator's grant%s",
		 ca->cfg.name, req->transaction_id,
		 renewal ? " (no grant auto rollover ca-cert)" : "");
	return DB_REQ_PENDING;
}

/* One subtree of `name-constraints` (checked by the parser: an LDH name,
 * a prefix without host bits). */
static GENERAL_SUBTREE *nc_subtree(const struct pkid_name_constraint *c)
{
	GENERAL_SUBTREE *t = GENERAL_SUBTREE_new();
	ASN1_STRING *v = NULL;
	unsigned char buf[32] = {0};
	int alen = c->ip.family == AF_INET6 ? 16 : 4, i;

	if (!t)
		return NULL;
	if (c->is_ip) {
		/* RFC 5280: the address, then the mask, in network order */
		memcpy(buf, c->ip.addr, (size_t)alen);
		for (i = 0; i < (int)c->ip.len; i++)
			buf[alen + i / 8] |= (unsigned char)(0x80 >> (i % 8));
		v = ASN1_OCTET_STRING_new();
		if (v && ASN1_OCTET_STRING_set(v, buf, 2 * alen))
			GENERAL_NAME_set0_value(t->base, GEN_IPADD, v);
		else
			goto err;
	} else {
		v = ASN1_IA5STRING_new();
		if (v && ASN1_STRING_set(v, c->dns, -1))
			GENERAL_NAME_set0_value(t->base, GEN_DNS, v);
		else
			goto err;
	}
	return t;
err:
	ASN1_STRING_free(v);
	GENERAL_SUBTREE_free(t);
	return NULL;
}

/*
 * `name-constraints` (ours; IOS's certificate server has none): a
 * critical nameConstraints extension (RFC 5280 §4.2.1.10: critical, in CA
 * certificates only) with the configured permitted and excluded
 * subtrees.  Why configurable per parent: it is the parent's policy what
 * names a subordinate may certify, as the path length is.
 */
static int add_name_constraints(struct ca *ca, X509 *x)
{
	NAME_CONSTRAINTS *nc;
	STACK_OF(GENERAL_SUBTREE) **to;
	GENERAL_SUBTREE *t;
	unsigned int i;
	int ret = -ENOMEM;

	if (!ca->cfg.n_nc)
		return 0;
	nc = NAME_CONSTRAINTS_new();
	if (!nc)
		return -ENOMEM;
	for (i = 0; i < ca->cfg.n_nc; i++) {
		to = ca->cfg.nc[i].exclude ? &nc->excludedSubtrees
					   : &nc->permittedSubtrees;
		if (!*to && !(*to = sk_GENERAL_SUBTREE_new_null()))
			goto out;
		t = nc_subtree(&ca->cfg.nc[i]);
		if (!t || !sk_GENERAL_SUBTREE_push(*to, t)) {
			GENERAL_SUBTREE_free(t);
			goto out;
		}
	}
	if (X509_add1_ext_i2d(x, NID_name_constraints, nc, 1,
			      X509V3_ADD_DEFAULT) == 1)
		ret = 0;
out:
	NAME_CONSTRAINTS_free(nc);
	return ret;
}

int ca_sub_extensions(struct ca *ca, X509 *x, X509 *issuer)
{
	char bc[64];
	long pathlen = sub_pathlen(ca, issuer);
	X509V3_CTX ctx;

	if (pathlen < 0)
		return -EPERM; /* checked when the request came; config moved */
	snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%ld", pathlen);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	return ca_add_ca_exts(x, &ctx, bc) ?: ca_add_cdp(ca, x, &ctx)
						  ?: add_name_constraints(ca, x);
}

/*
 * A CA whose own certificate carries nameConstraints (a subordinate whose
 * parent set them) issues nothing outside them: such a certificate would
 * not verify anywhere (X509_verify_cert checks the same, SANs and a
 * host-like CN), so the request is refused with the reason instead.
 */
int ca_name_constraints_check(struct ca *ca, X509 *x, X509 *issuer,
			      int64_t request_id)
{
	NAME_CONSTRAINTS *nc =
		X509_get_ext_d2i(issuer, NID_name_constraints, NULL, NULL);
	int rc;

	if (!nc)
		return 0;
	X509_get_extension_flags(x); /* the SANs the check reads (cached) */
	rc = NAME_CONSTRAINTS_check(x, nc);
	if (rc == X509_V_OK)
		rc = NAME_CONSTRAINTS_check_CN(x, nc);
	NAME_CONSTRAINTS_free(nc);
	ERR_clear_error();
	if (rc == X509_V_OK)
		return 0;
	pkid_log(LOG_NOTICE, "CS_CSR_REFUSED",
		 "%s: request %lld: a name outside this CA's name constraints "
		 "(%s)",
		 ca->cfg.name, (long long)request_id,
		 X509_verify_cert_error_string(rc));
	return -EPERM;
}

/* Is @x a certificate this CA issued (stored under its serial)? */
static bool ours(struct ca *ca, X509 *x)
{
	struct db_cert c = {0};
	X509 *stored = NULL;
	int64_t serial;
	bool ok;

	if (!ASN1_INTEGER_get_int64(&serial, X509_get0_serialNumber(x)) ||
	    db_cert_get(ca->db, ca->cfg.name, serial, &c) < 0)
		return false;
	stored = ca_x509_from_der(c.der, c.der_len);
	ok = stored && X509_cmp(x, stored) == 0;
	X509_free(stored);
	db_cert_free(&c);
	return ok;
}

/* The newest valid, unrevoked CA certificate we issued for the CSR's
 * subject and another key (an imported request has no SCEP signer), or,
 * with same_key, for the CSR's own key. */
struct same_subject {
	X509_REQ *csr;
	int64_t now;
	bool same_key;
	X509 *best;
};

static int same_subject_cb(const struct db_cert *c, void *arg)
{
	struct same_subject *s = arg;
	int64_t best_end = 0;
	X509 *x;

	if (c->revoked_at || c->not_after <= s->now)
		return 0;
	if (s->best)
		ca_time_of(X509_get0_notAfter(s->best), &best_end);
	if (s->best && c->not_after <= best_end)
		return 0;
	x = ca_x509_from_der(c->der, c->der_len);
	if (x && is_ca_cert(x) &&
	    !X509_NAME_cmp(X509_get_subject_name(x),
			   X509_REQ_get_subject_name(s->csr)) &&
	    (EVP_PKEY_eq(X509_get0_pubkey(x), X509_REQ_get0_pubkey(s->csr)) ==
	     1) == s->same_key) {
		X509_free(s->best);
		s->best = x;
		x = NULL;
	}
	X509_free(x);
	return 0;
}

static X509 *newest_for(struct ca *ca, X509_REQ *csr, int64_t now,
			bool same_key)
{
	struct same_subject s = {.csr = csr, .now = now, .same_key = same_key};

	if (!ca_csr_wants_ca(csr) ||
	    db_cert_foreach(ca->db, ca->cfg.name, 0, same_subject_cb, &s) < 0) {
		X509_free(s.best);
		return NULL;
	}
	return s.best;
}

static X509 *signer_of(struct ca *ca, const struct db_request *r,
		       X509_REQ *csr, int64_t now)
{
	if (r->signer)
		return ca_x509_from_der(r->signer, r->signer_len);
	return newest_for(ca, csr, now, false);
}

/*
 * A subordinate's own rollover (IOS: the sub's shadow CA certificate):
 * the request for its new key NAME# is signed by the CA certificate it
 * holds from us, and the new certificate must take over where that one
 * ends, not start now (two valid CA certificates of the same subject for
 * different keys at once would leave its clients guessing which one
 * issued).  So: signer a CA certificate of ours, still valid, for another
 * key than the CSR's -> valid from the signer's notAfter.  The same key
 * is a plain renewal (from now).  Decided at issuance from the stored
 * signer, so a manual grant (offline root) gets the same start.  An
 * imported request (a file, no signer) is matched by its subject: the
 * newest CA certificate we issued for that subject and another key.  A signer
 * that ends with the issuing CA (truncated) leaves no room after it under
 * that CA: issued from now, as any re-key (the sub's rollover belongs
 * under the parent's rollover CA then, which starts at that end).
 */
int64_t ca_sub_roll_start(struct ca *ca, const struct ca_pub *pub,
			  const struct db_request *r, X509_REQ *csr,
			  int64_t now)
{
	X509 *s;
	int64_t end = 0, issuer_end = 0;

	/*
	 * An end-entity request (nearly all of them) starts now: asked
	 * first, so its signer certificate is not parsed again for nothing
	 * (OpenSSL 3.0 builds a decoder context for every public key it
	 * parses; issue 14).
	 */
	if (!ca_csr_wants_ca(csr))
		return 0;
	s = signer_of(ca, r, csr, now);
	if (!s || !is_ca_cert(s) ||
	    EVP_PKEY_eq(X509_get0_pubkey(s), X509_REQ_get0_pubkey(csr)) == 1 ||
	    !ours(ca, s) || ca_time_of(X509_get0_notAfter(s), &end) < 0 ||
	    ca_time_of(X509_get0_notAfter(pub->k.ca_cert), &issuer_end) < 0 ||
	    end <= now || end >= issuer_end)
		end = 0;
	if (end)
		pkid_log(LOG_NOTICE, "CS_SUB_CA_REQUEST",
			 "%s: request %lld: a subordinate's rollover CA "
			 "certificate (new key), valid from the end of the "
			 "certificate that signed it",
			 ca->cfg.name, (long long)r->id);
	X509_free(s);
	return end;
}

/*
 * An imported request (offline root, a file: no envelope says which of
 * our CAs it is for) from a subordinate whose current CA certificate
 * ends with ours (truncated): there is no room after it under the
 * current CA, so while we hold a rollover CA it is issued by that one
 * (from its start, our end), as the same request over SCEP, enveloped to
 * the rollover CA, would be.  Either a rollover request (a new key for
 * the subject: the sub's own rollover, matched as in ca_sub_roll_start)
 * or a SHADOW request (the same key: a sub that keeps its key follows
 * our rollover; the newest CA certificate we issued it for that key
 * ends with us).  The same key with a certificate that ends before us is
 * a plain renewal under the current CA.
 */
bool ca_sub_roll_next(struct ca *ca, const struct ca_pub *pub,
		      const struct db_request *r, int64_t now)
{
	const unsigned char *p = r->csr;
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, (long)r->csr_len);
	X509 *s = NULL;
	int64_t end = 0, issuer_end = 0;
	bool next = false;

	if (!csr || !pub->k.roll_cert || r->signer || !ca_csr_wants_ca(csr))
		goto out;
	s = newest_for(ca, csr, now, true);
	if (!s)
		s = signer_of(ca, r, csr, now);
	next = s && is_ca_cert(s) && ours(ca, s) &&
	       ca_time_of(X509_get0_notAfter(s), &end) == 0 &&
	       ca_time_of(X509_get0_notAfter(pub->k.ca_cert), &issuer_end) ==
		       0 &&
	       end > now && end >= issuer_end;
out:
	X509_free(s);
	X509_REQ_free(csr);
	return next;
}
