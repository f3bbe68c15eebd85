// SPDX-License-Identifier: MIT
/*
 * The CA's OCSP responder (RFC 6960; RFC 5019's lightweight profile):
 * `ocsp-url URL` turns it on.  docs/OCSP.md is the operator's view.
 *
 * Who signs.  A delegated responder (RFC 6960 §4.2.2.2) for each CA
 * generation: keystore key NAME-ocsp-S (S: the serial of the CA
 * certificate it answers for; made by pkiks-keygen, as the CA's keys, so
 * pkid never holds it), and a certificate issued by that CA with
 * digitalSignature, id-kp-OCSPSigning and ocsp-nocheck, valid as long as
 * its CA (as the RA's) or, with `lifetime ocsp-responder`, that long and
 * issued again for the same key at the CRL refresh that finds less than
 * two CRL lifetimes left (cert_lasts), in <database url>/NAME-ocsp-S.cer.  The rollover
 * CA gets its own as soon as it exists, and answers for the certificates
 * issued under it; at promotion it simply becomes the current one (its
 * name carries its CA's serial, so nothing is renamed), and responder
 * keys of CA certificates no longer published are deleted.
 *
 * Several nodes on one database (issue 18, docs/POSTGRESQL.md).  One
 * responder per CA generation for every node, as the RA certificate: a
 * relying party that pinned it, or compares answers of two nodes, sees
 * one signer.  Its key travels as the CA's keys do, a blob wrapped under
 * the KEK that every node's keystore shares (keyblob_import), and its
 * certificate is stored in table ca_file (NAME-ocsp-S.cer, ca_files.c).
 * Only the leader makes or renews either, its writes fenced to its term
 * (a deposed leader stores nothing); a follower takes what is stored.
 * Until the leader has stored it (the follower heard of a new CRL or
 * rollover CA before the leader set up its responder) a follower keeps
 * the last responder of that CA while its certificate is valid, or has
 * none for it, and its lead thread tries again each round
 * (ca_ocsp_retry).
 *
 * What is signed when.  Responses live in a lock-free RCU hash table
 * (liburcu's rculfhash), keyed by {serial, CA serial, CertID hash}.  Each
 * time the CA issues a CRL (a revoke or unrevoke, CS CRL UPDATE, start,
 * rollover, promotion) ca_ocsp_refresh() makes a new generation with the
 * CRL's times (thisUpdate: now, nextUpdate: the CRL's nextUpdate) and
 * re-signs every cached response under the CA's lock before publishing
 * it, so a response never outlives the data it was signed from and a
 * certificate asked about before is answered without signing.  The first
 * request for a serial is a miss: it is signed on request (its status
 * read under the CA's lock) and cached.  A request with a nonce is signed
 * on request with the nonce echoed (RFC 6960 §4.4.1), not cached; when
 * CA_OCSP_SIGNING requests already sign, a nonce is ignored (RFC 5019
 * §4: a responder may) and a miss answers tryLater: an attacker asking
 * for random serials costs at most that many concurrent signatures.
 * Only the first CA_OCSP_CACHE_MAX responses are cached; beyond them
 * misses are signed each time.  Nothing here is durable: a restart (or a
 * kill during re-signing) starts with an empty cache.
 *
 * producedAt is OpenSSL's (the system clock: OCSP_basic_sign_ctx sets
 * it); thisUpdate, nextUpdate and revocationTime are the keystore's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu-bp.h>
#include <urcu/rculfhash.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "ca_internal.h"
#include "ca_ocsp.h"
#include "core/keyblob.h"
#include "core/log.h"
#include "core/testhook.h"

#define CA_OCSP_CACHE_MAX 4096
#define CA_OCSP_SIGNING	  2  /* requests signing at once (the cores) */
#define CA_OCSP_NONCE_MAX 32 /* RFC 8954 §2.1 */
#define CA_OCSP_SIGNERS	  2  /* the CA and the rollover CA */
#define CA_OCSP_INFIX	  "-ocsp-"
#define CA_OCSP_RETRY_MAX_MS 30000 /* a follower's waits for the leader */

/* The CertID hashes a request may use. */
static const int ocsp_md_nids[] = {NID_sha1, NID_sha256, NID_sha384,
				   NID_sha512};
#define CA_OCSP_MDS (sizeof(ocsp_md_nids) / sizeof(ocsp_md_nids[0]))

/* One CA generation's responder. */
struct ocsp_signer {
	int64_t ca_serial; /* the CA certificate's serial */
	X509 *issuer;	   /* the CA certificate */
	X509 *cert;	   /* the responder's certificate */
	EVP_PKEY *key;	   /* its keystore key */
	char issuer_fp[CA_FP_HEX_MAX];
	OCSP_CERTID *ids[CA_OCSP_MDS]; /* the issuer's hashes, no serial */
};

/* Published with RCU, never changed once published. */
struct ocsp_state {
	uint64_t gen;
	int64_t this_update, next_update;
	char md[32]; /* `hash` */
	size_t n;
	struct ocsp_signer s[CA_OCSP_SIGNERS];
	struct rcu_head rcu;
};

struct ocsp_key {
	int64_t serial; /* -1: not a serial we could have issued */
	int64_t ca_serial;
	int md_nid;
};

struct ocsp_entry {
	struct cds_lfht_node node;
	struct ocsp_key key;
	uint64_t gen; /* of the state it was signed under */
	OCSP_CERTID *cid;
	unsigned char *der; /* the OCSPResponse */
	size_t len;
	struct rcu_head rcu;
};

struct ca_ocsp {
	struct ocsp_state *st; /* RCU; NULL: off, or not yet */
	struct cds_lfht *ht;
	pthread_mutex_t wlock; /* writers of ht */
	uint64_t gen;	       /* under the CA's lock */
	int64_t next_update;   /* the last refresh's, under the CA's lock */
	int retry;	       /* atomic: a follower waits for the leader */
	/* ca_retry's pace (lead thread): each try re-signs the cache */
	int64_t retry_at_ms, retry_gap_ms;
	/* atomics */
	unsigned long count;
	int signing;
	uint64_t hits, on_request, ahead, busy;
};

struct cert_status {
	int status; /* V_OCSP_CERTSTATUS_* */
	int64_t revoked_at;
	int reason; /* OCSP_REVOKED_STATUS_NOSTATUS: none */
};

/* ---- the cache ---- */

static unsigned long key_hash(const struct ocsp_key *k)
{
	uint64_t h = (uint64_t)k->serial * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)k->ca_serial * 0xc2b2ae3d27d4eb4fULL;
	h ^= (uint64_t)k->md_nid;
	return (unsigned long)(h ^ (h >> 29));
}

static int key_match(struct cds_lfht_node *node, const void *key)
{
	const struct ocsp_entry *e =
		caa_container_of(node, struct ocsp_entry, node);

	return memcmp(&e->key, key, sizeof(e->key)) == 0;
}

static void entry_free(struct ocsp_entry *e)
{
	OCSP_CERTID_free(e->cid);
	free(e->der);
	free(e);
}

static void entry_free_rcu(struct rcu_head *head)
{
	entry_free(caa_container_of(head, struct ocsp_entry, rcu));
}

static unsigned char *memdup(const void *p, size_t len)
{
	unsigned char *d = malloc(len ? len : 1);

	if (d && len)
		memcpy(d, p, len);
	return d;
}

/* A copy of the cached answer; the caller holds the RCU read lock. */
static int cache_get(struct ca_ocsp *o, const struct ocsp_key *k,
		     uint64_t gen, unsigned char **der, size_t *len)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct ocsp_entry *e;

	cds_lfht_lookup(o->ht, key_hash(k), key_match, k, &it);
	n = cds_lfht_iter_get_node(&it);
	if (!n)
		return -ENOENT;
	e = caa_container_of(n, struct ocsp_entry, node);
	/* Older than the published data: signed before a revocation. */
	if (e->gen < gen)
		return -ESTALE;
	*der = memdup(e->der, e->len);
	*len = e->len;
	return *der ? 0 : -ENOMEM;
}

/* Insert or replace, never with an older signature; takes ne. */
static void cache_put(struct ca_ocsp *o, struct ocsp_entry *ne)
{
	unsigned long h = key_hash(&ne->key);
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct ocsp_entry *old;

	pthread_mutex_lock(&o->wlock);
	rcu_read_lock();
	cds_lfht_lookup(o->ht, h, key_match, &ne->key, &it);
	n = cds_lfht_iter_get_node(&it);
	old = n ? caa_container_of(n, struct ocsp_entry, node) : NULL;
	if (old && old->gen > ne->gen) {
		entry_free(ne);
	} else if (old) {
		if (cds_lfht_replace(o->ht, &it, h, key_match, &ne->key,
				     &ne->node) == 0)
			call_rcu(&old->rcu, entry_free_rcu);
		else
			entry_free(ne);
	} else if (uatomic_read(&o->count) >= CA_OCSP_CACHE_MAX) {
		entry_free(ne);
	} else {
		cds_lfht_add(o->ht, h, &ne->node);
		uatomic_inc(&o->count);
	}
	rcu_read_unlock();
	pthread_mutex_unlock(&o->wlock);
}

static void cache_del(struct ca_ocsp *o, struct ocsp_entry *e)
{
	if (cds_lfht_del(o->ht, &e->node) == 0) {
		uatomic_dec(&o->count);
		call_rcu(&e->rcu, entry_free_rcu);
	}
}

/* ---- signing ---- */

static int resp_der(OCSP_RESPONSE *resp, unsigned char **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_OCSP_RESPONSE(resp, &p);

	if (n <= 0)
		return -ENOMEM;
	*der = memdup(p, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(p);
	return *der ? 0 : -ENOMEM;
}

/* An unsigned answer: malformedRequest, tryLater, unauthorized. */
static int status_only(int status, unsigned char **der, size_t *len)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	int ret = resp ? resp_der(resp, der, len) : -ENOMEM;

	OCSP_RESPONSE_free(resp);
	return ret;
}

static ASN1_GENERALIZEDTIME *gtime(int64_t t)
{
	return ASN1_GENERALIZEDTIME_set(NULL, (time_t)t);
}

/* One SingleResponse for cid, signed by s; with nonce_req's nonce. */
static int sign_resp(const struct ocsp_state *st, const struct ocsp_signer *s,
		     OCSP_CERTID *cid, const struct cert_status *cs,
		     OCSP_REQUEST *nonce_req, unsigned char **der,
		     size_t *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	ASN1_GENERALIZEDTIME *tu = gtime(st->this_update);
	ASN1_GENERALIZEDTIME *nu = gtime(st->next_update);
	ASN1_GENERALIZEDTIME *rt = NULL;
	OCSP_RESPONSE *resp = NULL;
	EVP_MD_CTX *mctx = NULL;
	int ret = -ENOMEM;

	if (cs->status == V_OCSP_CERTSTATUS_REVOKED)
		rt = gtime(cs->revoked_at);
	if (!bs || !tu || !nu || (cs->status == V_OCSP_CERTSTATUS_REVOKED && !rt))
		goto out;
	if (!OCSP_basic_add1_status(bs, cid, cs->status, cs->reason, rt, tu,
				    nu) ||
	    (nonce_req && OCSP_copy_nonce(bs, nonce_req) <= 0))
		goto out;
	ret = -EIO;
	mctx = EVP_MD_CTX_new();
	/* The responder's key signs in the keystore; its certificate goes
	 * along (RFC 5019 §2.2.1), the responder named by its key hash. */
	if (!mctx ||
	    EVP_DigestSignInit_ex(mctx, NULL, st->md, NULL, CA_PROPQ, s->key,
				  NULL) != 1 ||
	    !OCSP_basic_sign_ctx(bs, s->cert, mctx, NULL, OCSP_RESPID_KEY))
		goto out;
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	ret = resp ? resp_der(resp, der, len) : -ENOMEM;
out:
	if (ret == -EIO)
		ERR_print_errors_fp(stderr);
	ERR_clear_error();
	OCSP_RESPONSE_free(resp);
	EVP_MD_CTX_free(mctx);
	OCSP_BASICRESP_free(bs);
	ASN1_GENERALIZEDTIME_free(tu);
	ASN1_GENERALIZEDTIME_free(nu);
	ASN1_GENERALIZEDTIME_free(rt);
	return ret;
}

/* The database's word on serial under the CA issuer_fp; under lock. */
static int status_locked(struct ca *ca, int64_t serial, const char *issuer_fp,
			 struct cert_status *cs)
{
	struct db_cert c = {0};
	int ret;

	cs->status = V_OCSP_CERTSTATUS_UNKNOWN;
	cs->revoked_at = 0;
	cs->reason = OCSP_REVOKED_STATUS_NOSTATUS;
	if (serial <= 0 || !ca->db)
		return 0;
	ret = db_cert_get(ca->db, ca->cfg.name, serial, &c);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	/* Another generation's certificate with this serial is not ours
	 * to vouch for under this issuer. */
	if (strcmp(c.issuer_fp, issuer_fp) == 0 && c.revoked_at) {
		cs->status = V_OCSP_CERTSTATUS_REVOKED;
		cs->revoked_at = c.revoked_at;
		if (c.reason > 0)
			cs->reason = c.reason;
	} else if (strcmp(c.issuer_fp, issuer_fp) == 0) {
		cs->status = V_OCSP_CERTSTATUS_GOOD;
	}
	db_cert_free(&c);
	return 0;
}

static int status_of(struct ca *ca, int64_t serial, const char *issuer_fp,
		     struct cert_status *cs)
{
	int ret;

	pthread_mutex_lock(&ca->lock);
	ret = status_locked(ca, serial, issuer_fp, cs);
	pthread_mutex_unlock(&ca->lock);
	return ret;
}

/* ---- the hot path ---- */

/* What a request signed for it needs, referenced outside the RCU read
 * section (it waits for the CA's lock and the keystore). */
struct snap {
	struct ocsp_state st; /* times and md; s[0] the signer */
	struct ocsp_signer *s;
};

static void snap_take(struct snap *sn, const struct ocsp_state *st,
		      const struct ocsp_signer *s)
{
	memset(sn, 0, sizeof(*sn));
	sn->st.gen = st->gen;
	sn->st.this_update = st->this_update;
	sn->st.next_update = st->next_update;
	memcpy(sn->st.md, st->md, sizeof(sn->st.md));
	sn->s = &sn->st.s[0];
	sn->s->ca_serial = s->ca_serial;
	sn->s->cert = s->cert;
	sn->s->key = s->key;
	X509_up_ref(s->cert);
	EVP_PKEY_up_ref(s->key);
	memcpy(sn->s->issuer_fp, s->issuer_fp, sizeof(s->issuer_fp));
}

static void snap_put(struct snap *sn)
{
	X509_free(sn->s->cert);
	EVP_PKEY_free(sn->s->key);
}

static bool signing_get(struct ca_ocsp *o)
{
	if (uatomic_add_return(&o->signing, 1) <= CA_OCSP_SIGNING)
		return true;
	uatomic_dec(&o->signing);
	return false;
}

/* Sign for this request (a miss, or a nonce), caching what may be. */
static int sign_on_request(struct ca *ca, struct ca_ocsp *o,
			   const struct snap *sn, const struct ocsp_key *k,
			   OCSP_CERTID *cid, OCSP_REQUEST *nonce_req,
			   unsigned char **der, size_t *len)
{
	struct ocsp_entry *e = NULL;
	struct cert_status cs;
	int ret = status_of(ca, k->serial, sn->s->issuer_fp, &cs);

	ret = ret ?: sign_resp(&sn->st, sn->s, cid, &cs, nonce_req, der, len);
	if (ret < 0)
		return ret;
	uatomic_inc(&o->on_request);
	if (nonce_req || k->serial < 0)
		return 0;
	e = calloc(1, sizeof(*e));
	if (e) {
		e->key = *k;
		e->gen = sn->st.gen;
		e->cid = OCSP_CERTID_dup(cid);
		e->der = memdup(*der, *len);
		e->len = *len;
	}
	if (e && e->cid && e->der)
		cache_put(o, e);
	else if (e)
		entry_free(e);
	return 0;
}

/* The signer whose CA issued cid's certificate, or NULL. */
static const struct ocsp_signer *find_signer(const struct ocsp_state *st,
					     OCSP_CERTID *cid, int *md_nid)
{
	ASN1_OBJECT *md = NULL;
	size_t i, m;

	OCSP_id_get0_info(NULL, &md, NULL, NULL, cid);
	*md_nid = md ? OBJ_obj2nid(md) : NID_undef;
	for (m = 0; m < CA_OCSP_MDS && ocsp_md_nids[m] != *md_nid; m++)
		;
	if (m == CA_OCSP_MDS)
		return NULL;
	for (i = 0; i < st->n; i++)
		if (OCSP_id_issuer_cmp(st->s[i].ids[m], cid) == 0)
			return &st->s[i];
	return NULL;
}

static int64_t cid_serial(OCSP_CERTID *cid)
{
	ASN1_INTEGER *serial = NULL;
	int64_t v;

	OCSP_id_get0_info(NULL, NULL, NULL, &serial, cid);
	if (!serial || !ASN1_INTEGER_get_int64(&v, serial) || v <= 0) {
		ERR_clear_error();
		return -1;
	}
	return v;
}

/* 1: a nonce within RFC 8954's bound, 0: none, -EBADMSG: too long. */
static int has_nonce(OCSP_REQUEST *req)
{
	int i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	X509_EXTENSION *ext = i >= 0 ? OCSP_REQUEST_get_ext(req, i) : NULL;

	if (!ext)
		return 0;
	/* extnValue holds an OCTET STRING: tag and length, then the nonce */
	if (ASN1_STRING_length(X509_EXTENSION_get_data(ext)) >
	    CA_OCSP_NONCE_MAX + 2)
		return -EBADMSG;
	return 1;
}

static int answer(struct ca *ca, struct ca_ocsp *o, OCSP_REQUEST *req,
		  bool nonce, unsigned char **der, size_t *len)
{
	OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
	const struct ocsp_signer *s;
	struct ocsp_state *st;
	struct ocsp_key k = {0};
	struct snap sn;
	int ret;

	rcu_read_lock();
	st = rcu_dereference(o->st);
	if (!st) {
		rcu_read_unlock();
		return status_only(OCSP_RESPONSE_STATUS_TRYLATER, der, len);
	}
	s = find_signer(st, cid, &k.md_nid);
	if (!s) {
		rcu_read_unlock();
		return status_only(OCSP_RESPONSE_STATUS_UNAUTHORIZED, der, len);
	}
	k.serial = cid_serial(cid);
	k.ca_serial = s->ca_serial;
	/* A nonce is echoed while signing capacity lasts, else ignored. */
	nonce = nonce && signing_get(o);
	if (!nonce && k.serial > 0 && cache_get(o, &k, st->gen, der, len) == 0) {
		rcu_read_unlock();
		uatomic_inc(&o->hits);
		return 0;
	}
	if (!nonce && !signing_get(o)) {
		rcu_read_unlock();
		uatomic_inc(&o->busy);
		return status_only(OCSP_RESPONSE_STATUS_TRYLATER, der, len);
	}
	snap_take(&sn, st, s);
	rcu_read_unlock();
	ret = sign_on_request(ca, o, &sn, &k, cid, nonce ? req : NULL, der,
			      len);
	snap_put(&sn);
	uatomic_dec(&o->signing);
	/* The keystore or the database failed us: say so in OCSP. */
	if (ret < 0 && ret != -ENOMEM)
		return status_only(OCSP_RESPONSE_STATUS_INTERNALERROR, der,
				   len);
	return ret;
}

int ca_ocsp_respond(struct ca *ca, const unsigned char *in, size_t len,
		    unsigned char **der, size_t *der_len)
{
	struct ca_ocsp *o = ca->ocsp;
	const unsigned char *p = in;
	OCSP_REQUEST *req = NULL;
	int nonce, ret;

	if (!uatomic_read(&ca->ocsp_on))
		return -ENOENT;
	if (len > CA_OCSP_REQ_MAX)
		goto malformed;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	/* RFC 5019 §2.1.1: one Request; trailing bytes: not DER. */
	if (!req || p != in + len || OCSP_request_onereq_count(req) != 1)
		goto malformed;
	nonce = has_nonce(req);
	if (nonce < 0)
		goto malformed;
	ret = answer(ca, o, req, nonce == 1, der, der_len);
	OCSP_REQUEST_free(req);
	return ret;
malformed:
	ERR_clear_error();
	OCSP_REQUEST_free(req);
	return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, der,
			   der_len);
}

int ca_ocsp_stats(struct ca *ca, struct ca_ocsp_stats *st)
{
	struct ca_ocsp *o = ca->ocsp;

	st->hits = uatomic_read(&o->hits);
	st->signed_on_request = uatomic_read(&o->on_request);
	st->signed_ahead = uatomic_read(&o->ahead);
	st->busy = uatomic_read(&o->busy);
	st->cached = uatomic_read(&o->count);
	return 0;
}

/* ---- the responder's keys and certificates (under the CA's lock) ---- */

static void signer_clear(struct ocsp_signer *s)
{
	size_t m;

	X509_free(s->issuer);
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	for (m = 0; m < CA_OCSP_MDS; m++)
		OCSP_CERTID_free(s->ids[m]);
	memset(s, 0, sizeof(*s));
}

static void state_free(struct ocsp_state *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++)
		signer_clear(&st->s[i]);
	free(st);
}

static void state_free_rcu(struct rcu_head *head)
{
	state_free(caa_container_of(head, struct ocsp_state, rcu));
}

/* NAME-ocsp-S and <database url>/NAME-ocsp-S.cer */
static int signer_names(struct ca *ca, int64_t ca_serial, char *key,
			char *path, size_t path_size)
{
	char dir[PKID_CONF_URL_MAX];
	int ret = ca_dir(ca, dir, sizeof(dir));

	if (ret < 0)
		return ret;
	if (snprintf(key, PKIKS_NAME_MAX, "%s%s%lld", ca->cfg.name,
		     CA_OCSP_INFIX, (long long)ca_serial) >= PKIKS_NAME_MAX ||
	    snprintf(path, path_size, "%s/%s.cer", dir, key) >= (int)path_size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Whether a responder certificate lasts: valid after now (or not yet:
 * the rollover's), and with `lifetime ocsp-responder` (a short-lived
 * one) no longer than configured and good for two more CRL lifetimes, or
 * already ending with its CA (it cannot get longer).  The responses' CRL
 * times are refreshed at least once a CRL lifetime (CS CRL UPDATE), so a
 * certificate renewed when two are left never ends under a response it
 * signed, even if one refresh comes late.
 */
static bool cert_lasts(const struct ca *ca, X509 *x, X509 *issuer,
		       int64_t now)
{
	int64_t start, end, ca_end, want;

	if (ca_time_of(X509_get0_notBefore(x), &start) < 0 ||
	    ca_time_of(X509_get0_notAfter(x), &end) < 0 || end <= now)
		return false;
	if (!ca->cfg.lifetime_ocsp)
		return true;
	if (end - start > ca->cfg.lifetime_ocsp)
		return false; /* configured shorter since */
	want = now + 2 * ca->cfg.lifetime_crl;
	if (ca_time_of(X509_get0_notAfter(issuer), &ca_end) == 0 &&
	    want > ca_end)
		want = ca_end;
	return end >= want;
}

/* Ours, for this key, and lasting (cert_lasts). */
static bool cert_usable(const struct ca *ca, X509 *x, X509 *issuer,
			EVP_PKEY *key, int64_t now)
{
	return X509_verify(x, X509_get0_pubkey(issuer)) == 1 &&
	       X509_check_private_key(x, key) == 1 &&
	       cert_lasts(ca, x, issuer, now);
}

static int issue_cert(struct ca *ca, X509 *issuer, EVP_PKEY *issuer_key,
		      EVP_PKEY *key, int64_t now, const char *path, X509 **out)
{
	struct ca_pub view = {.k.ca_cert = issuer, .k.ca_key = issuer_key};
	struct ca_issue_params p = {.now = now,
				    .ra = true,
				    .ocsp = true,
				    .lifetime = ca->cfg.lifetime_ocsp,
				    .pubkey = key};
	char cn[PKID_CONF_NAME_MAX + 32];
	int64_t start;

	/* Under the rollover CA: valid from its start, as its RA. */
	if (ca_time_of(X509_get0_notBefore(issuer), &start) == 0 && start > now)
		p.not_before = start;
	snprintf(cn, sizeof(cn), "%s OCSP Responder", ca->cfg.name);
	return ca_issue_service_cert(ca, &view, &p, cn, path, out);
}

static int signer_ids(struct ocsp_signer *s)
{
	size_t m;

	for (m = 0; m < CA_OCSP_MDS; m++) {
		s->ids[m] = OCSP_cert_to_id(EVP_get_digestbynid(ocsp_md_nids[m]),
					    NULL, s->issuer);
		if (!s->ids[m])
			return -ENOMEM;
	}
	return 0;
}

static int64_t cert_end(X509 *x)
{
	int64_t end = 0;

	ca_time_of(X509_get0_notAfter(x), &end);
	return end;
}

/* A database several nodes share: the leader makes, the others take. */
static bool may_make(struct ca *ca)
{
	return !db_shared(ca->db) || ca_is_leader(ca);
}

/*
 * The responder's key.  Shared: the stored blob's (replacing another in
 * this keystore); none stored: the leader makes it (its blob stored,
 * fenced), a follower drops a key of its own and waits, -EAGAIN.
 */
static int signer_key(struct ca *ca, const char *key)
{
	int ret;

	if (!db_shared(ca->db)) {
		ret = ca_key_exists(ca, key);
		return ret == 0 ? ca_run_keygen(ca, key, "sign", NULL)
				: ret < 0 ? ret : 0;
	}
	ret = keyblob_import(ca->ks, ca->db, key, !may_make(ca));
	if (ret == -ENOENT && may_make(ca))
		ret = ca_run_keygen(ca, key, "sign", NULL);
	return ret == -ENOENT ? -EAGAIN : ret;
}

/* The certificate at path, or on a shared database the stored one
 * (written to path): NULL if there is none. */
static X509 *signer_cert_read(struct ca *ca, const char *path, int *err)
{
	struct db_cafile seen = {0};
	const unsigned char *p;
	X509 *x = NULL;

	*err = 0;
	if (!db_shared(ca->db))
		return ca_read_der_file(path);
	*err = ca_file_fetch(ca, path, &seen);
	if (*err == 0 && seen.data) {
		p = seen.data;
		x = d2i_X509(NULL, &p, (long)seen.len);
		ERR_clear_error();
	}
	db_cafile_free(&seen);
	return x;
}

/* The responder of the CA certificate issuer: key, certificate, ids. */
static int signer_make(struct ca *ca, struct ocsp_signer *s, X509 *issuer,
		       EVP_PKEY *issuer_key, int64_t now)
{
	char key[PKIKS_NAME_MAX], path[PKID_CONF_URL_MAX + 96];
	X509 *x = NULL;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!ASN1_INTEGER_get_int64(&s->ca_serial,
				    X509_get0_serialNumber(issuer)))
		return -EINVAL;
	X509_up_ref(issuer);
	s->issuer = issuer;
	ret = ca_fingerprint(issuer, s->issuer_fp, sizeof(s->issuer_fp));
	ret = ret ?: signer_names(ca, s->ca_serial, key, path, sizeof(path));
	ret = ret ?: signer_ids(s);
	ret = ret ?: signer_key(ca, key);
	ret = ret ?: ca_load_key(ca, key, &s->key);
	if (ret == 0)
		x = signer_cert_read(ca, path, &ret);
	if (ret == 0 && x && cert_usable(ca, x, issuer, s->key, now)) {
		s->cert = x;
		return 0;
	}
	X509_free(x);
	/* none stored yet, or it ends: the leader's to issue */
	if (ret == 0 && !may_make(ca))
		ret = -EAGAIN;
	ret = ret ?: issue_cert(ca, issuer, issuer_key, s->key, now, path,
				&s->cert);
	ret = ret ?: ca_file_share(ca, path);
	if (ret < 0) {
		signer_clear(s);
		return ret;
	}
	pkid_log(LOG_NOTICE, "CS_OCSP",
		 "%s: OCSP responder certificate issued (key %s, until %lld)",
		 ca->cfg.name, key, (long long)cert_end(s->cert));
	return 0;
}

/* The same responder as in the last state, while its certificate lasts
 * (or, !lasts, while it is valid at all). */
static bool signer_reuse(const struct ca *ca, struct ocsp_signer *s,
			 const struct ocsp_state *old, X509 *issuer,
			 int64_t now, bool lasts)
{
	size_t i, m;

	for (i = 0; old && i < old->n; i++) {
		const struct ocsp_signer *o = &old->s[i];

		if (X509_cmp(o->issuer, issuer))
			continue;
		if (lasts ? !cert_lasts(ca, o->cert, issuer, now)
			  : cert_end(o->cert) <= now)
			continue;
		*s = *o;
		X509_up_ref(s->issuer);
		X509_up_ref(s->cert);
		EVP_PKEY_up_ref(s->key);
		for (m = 0; m < CA_OCSP_MDS; m++)
			s->ids[m] = OCSP_CERTID_dup(o->ids[m]);
		for (m = 0; m < CA_OCSP_MDS; m++)
			if (!s->ids[m]) {
				signer_clear(s);
				return false;
			}
		return true;
	}
	return false;
}

/*
 * -EAGAIN: a follower whose leader has not stored this responder (yet);
 * meanwhile it keeps the last one while valid, and returns 0 with
 * *waiting set: the lead thread asks again (ca_ocsp_retry).
 */
static int signer_setup(struct ca *ca, struct ocsp_signer *s, X509 *issuer,
			EVP_PKEY *issuer_key, int64_t now, bool *waiting)
{
	int ret;

	if (signer_reuse(ca, s, ca->ocsp->st, issuer, now, true))
		return 0;
	ret = signer_make(ca, s, issuer, issuer_key, now);
	if (ret == -EAGAIN)
		*waiting = true;
	if (ret == -EAGAIN &&
	    signer_reuse(ca, s, ca->ocsp->st, issuer, now, false))
		return 0;
	return ret;
}

/* Responder keys of CA certificates no longer published go. */
static void delete_stale_keys(struct ca *ca, const struct ocsp_state *st)
{
	char prefix[PKID_CONF_NAME_MAX + 8], key[PKIKS_NAME_MAX],
		dir[PKID_CONF_URL_MAX], path[PKID_CONF_URL_MAX + 96];
	struct pkiks_key_info *keys = NULL;
	size_t n = 0, i, j, plen;
	bool live;

	snprintf(prefix, sizeof(prefix), "%s%s", ca->cfg.name, CA_OCSP_INFIX);
	plen = strlen(prefix);
	if (pkiks_key_list(ca->ks, &keys, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		/* Only NAME-ocsp-<digits>: never a key someone else named. */
		if (strncmp(keys[i].name, prefix, plen) != 0 ||
		    !keys[i].name[plen] ||
		    strspn(keys[i].name + plen, "0123456789") !=
			    strlen(keys[i].name + plen))
			continue;
		for (live = false, j = 0; st && j < st->n; j++) {
			signer_names(ca, st->s[j].ca_serial, key, path,
				     sizeof(path));
			live = live || strcmp(key, keys[i].name) == 0;
		}
		if (live)
			continue;
		if (ca_dir(ca, dir, sizeof(dir)) < 0 ||
		    snprintf(path, sizeof(path), "%s/%s.cer", dir,
			     keys[i].name) >= (int)sizeof(path))
			continue;
		/* Shared: the blob and stored certificate are the leader's
		 * to delete (fenced); a follower's view may be behind. */
		if (may_make(ca)) {
			keyblob_delete(ca->ks, ca->db, keys[i].name);
			ca_file_delete(ca, path);
		} else {
			pkiks_key_delete(ca->ks, keys[i].name);
		}
		unlink(path);
		pkid_log(LOG_INFO, "CS_OCSP", "%s: responder key %s deleted",
			 ca->cfg.name, keys[i].name);
	}
	pkiks_key_info_free(keys, n);
}

/* ---- re-signing (under the CA's lock) ---- */

struct resign_item {
	struct ocsp_key key;
	OCSP_CERTID *cid;
	struct ocsp_entry *e; /* for deletion, valid under the read lock */
};

static const struct ocsp_signer *signer_by_serial(const struct ocsp_state *st,
						  int64_t ca_serial)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->s[i].ca_serial == ca_serial)
			return &st->s[i];
	return NULL;
}

/* Entries of CAs st does not answer for go; their keys are listed. */
static size_t resign_collect(struct ca_ocsp *o, const struct ocsp_state *st,
			     struct resign_item *items, size_t cap)
{
	struct cds_lfht_iter it;
	struct ocsp_entry *e;
	size_t n = 0;

	rcu_read_lock();
	cds_lfht_for_each_entry(o->ht, &it, e, node) {
		if (!st || !signer_by_serial(st, e->key.ca_serial)) {
			pthread_mutex_lock(&o->wlock);
			cache_del(o, e);
			pthread_mutex_unlock(&o->wlock);
			continue;
		}
		if (n == cap)
			continue;
		items[n].key = e->key;
		items[n].cid = OCSP_CERTID_dup(e->cid);
		if (items[n].cid)
			n++;
	}
	rcu_read_unlock();
	return n;
}

static int resign_one(struct ca *ca, struct ca_ocsp *o,
		      const struct ocsp_state *st, struct resign_item *it)
{
	const struct ocsp_signer *s = signer_by_serial(st, it->key.ca_serial);
	struct ocsp_entry *e = calloc(1, sizeof(*e));
	struct cert_status cs;
	int ret = e ? 0 : -ENOMEM;

	ret = ret ?: status_locked(ca, it->key.serial, s->issuer_fp, &cs);
	ret = ret ?: sign_resp(st, s, it->cid, &cs, NULL, &e->der, &e->len);
	if (ret < 0) {
		if (e)
			entry_free(e);
		return ret;
	}
	e->key = it->key;
	e->gen = st->gen;
	e->cid = it->cid;
	it->cid = NULL;
	cache_put(o, e);
	uatomic_inc(&o->ahead);
	return 0;
}

static int resign_all(struct ca *ca, struct ca_ocsp *o,
		      const struct ocsp_state *st, size_t *done)
{
	struct resign_item *items =
		calloc(CA_OCSP_CACHE_MAX, sizeof(*items));
	size_t n, i;
	int ret = 0;

	*done = 0;
	if (!items)
		return -ENOMEM;
	n = resign_collect(o, st, items, CA_OCSP_CACHE_MAX);
	for (i = 0; i < n; i++) {
		if (ret == 0)
			ret = resign_one(ca, o, st, &items[i]);
		if (ret == 0 && ++(*done) == 1)
			pkid_test_crash("ocsp-resign"); /* half re-signed */
		OCSP_CERTID_free(items[i].cid);
	}
	free(items);
	return ret;
}

static void publish(struct ca_ocsp *o, struct ocsp_state *ns)
{
	struct ocsp_state *old = o->st;

	rcu_assign_pointer(o->st, ns);
	if (old)
		call_rcu(&old->rcu, state_free_rcu);
}

/* Off: nothing answered, nothing cached (the route says 404). */
static void ocsp_off(struct ca *ca)
{
	size_t done;

	uatomic_set(&ca->ocsp_on, 0);
	publish(ca->ocsp, NULL);
	resign_all(ca, ca->ocsp, NULL, &done);
}

static struct ocsp_state *state_make(struct ca *ca, const struct ca_keys *k,
				     int64_t now, int64_t next_update,
				     bool *waiting)
{
	struct ocsp_state *ns = calloc(1, sizeof(*ns));
	int ret = ns ? 0 : -ENOMEM;

	if (ret == 0) {
		ns->gen = ca->ocsp->gen + 1;
		ns->this_update = now;
		ns->next_update = next_update;
		snprintf(ns->md, sizeof(ns->md), "%s",
			 EVP_MD_get0_name(ca->md));
		ret = signer_setup(ca, &ns->s[0], k->ca_cert, k->ca_key, now,
				   waiting);
	}
	if (ret == 0)
		ns->n = 1;
	if (ret == 0 && k->roll_cert) {
		ret = signer_setup(ca, &ns->s[1], k->roll_cert, k->roll_key,
				   now, waiting);
		ns->n = ret == 0 ? 2 : 1;
		/* a follower answers for the CA meanwhile */
		if (ret == -EAGAIN)
			ret = 0;
	}
	if (ret == -EAGAIN) {
		state_free(ns);
		return NULL;
	}
	if (ret < 0) {
		pkid_log(LOG_ERR, "CS_OCSP",
			 "%s: cannot set up the OCSP responder: %s",
			 ca->cfg.name, strerror(-ret));
		state_free(ns);
		return NULL;
	}
	return ns;
}

/* A follower waits for the leader's responder: said once, not each try. */
static void wait_note(struct ca *ca, bool waiting)
{
	if (uatomic_xchg(&ca->ocsp->retry, waiting) == (int)waiting)
		return;
	if (waiting)
		pkid_log(LOG_INFO, "CS_OCSP",
			 "%s: waiting for the leader node's OCSP responder "
			 "certificate",
			 ca->cfg.name);
	else
		pkid_log(LOG_INFO, "CS_OCSP",
			 "%s: the leader node's OCSP responder certificate "
			 "is served",
			 ca->cfg.name);
}

/*
 * k: the CA certificates to answer for.  At a start or promotion these are
 * the ones about to be published, so the responder is ready before the CA
 * answers GetCACert (a client that saw the CA up got tryLater before).
 */
void ca_ocsp_refresh_keys(struct ca *ca, const struct ca_keys *k, int64_t now,
			  int64_t next_update)
{
	struct ocsp_state *ns;
	bool waiting = false;
	char until[32];
	size_t done;
	int ret;

	if (!ca->ocsp)
		return;
	if (!ca->cfg.ocsp_url[0]) {
		if (uatomic_read(&ca->ocsp_on) || ca->ocsp->st)
			ocsp_off(ca);
		return;
	}
	uatomic_set(&ca->ocsp_on, 1);
	/* No CRL yet (first start): the first CRL's issue calls again. */
	if (!k || next_update <= now)
		return;
	ca->ocsp->next_update = next_update;
	ns = state_make(ca, k, now, next_update, &waiting);
	wait_note(ca, waiting);
	if (!ns && waiting) {
		/* a follower without this CA's responder: tryLater, never
		 * an answer signed before the CRL that made us refresh */
		publish(ca->ocsp, NULL);
		resign_all(ca, ca->ocsp, NULL, &done);
	}
	if (!ns)
		return; /* the last state stays until its nextUpdate */
	ca->ocsp->gen = ns->gen;
	ret = resign_all(ca, ca->ocsp, ns, &done);
	publish(ca->ocsp, ns);
	delete_stale_keys(ca, ns);
	ca_iso_time(next_update, until, sizeof(until));
	if (ret < 0)
		pkid_log(LOG_ERR, "CS_OCSP",
			 "%s: OCSP: %zu cached response(s) re-signed, then: %s",
			 ca->cfg.name, done, strerror(-ret));
	else
		pkid_log(LOG_INFO, "CS_OCSP",
			 "%s: OCSP: %zu cached response(s) re-signed, next "
			 "update %s",
			 ca->cfg.name, done, until);
}

void ca_ocsp_refresh(struct ca *ca, int64_t now, int64_t next_update)
{
	ca_ocsp_refresh_keys(ca, ca->pub ? &ca->pub->k : NULL, now,
			     next_update);
}

/*
 * Each try re-signs the cached responses: the first ones come at once
 * (the leader stores its responder right after the change we followed),
 * then ever less often, up to CA_OCSP_RETRY_MAX_MS apart (a leader
 * without ocsp-url never stores one).
 */
static bool retry_due(struct ca_ocsp *o)
{
	int64_t now = ca_limit_now(); /* ms, CLOCK_MONOTONIC */

	if (!uatomic_read(&o->retry)) {
		o->retry_gap_ms = 0;
		return false;
	}
	if (o->retry_gap_ms && now < o->retry_at_ms)
		return false;
	o->retry_gap_ms = o->retry_gap_ms ? o->retry_gap_ms * 2 : 250;
	if (o->retry_gap_ms > CA_OCSP_RETRY_MAX_MS)
		o->retry_gap_ms = CA_OCSP_RETRY_MAX_MS;
	o->retry_at_ms = now + o->retry_gap_ms;
	return true;
}

void ca_ocsp_retry(struct ca *ca)
{
	int64_t now;

	if (!ca->ocsp || !retry_due(ca->ocsp))
		return;
	pthread_mutex_lock(&ca->lock);
	if (ca->running && ca->pub && ca_now(ca, &now) == 0)
		ca_ocsp_refresh_keys(ca, &ca->pub->k, now,
				     ca->ocsp->next_update);
	pthread_mutex_unlock(&ca->lock);
}

int ca_ocsp_new(struct ca_ocsp **out)
{
	struct ca_ocsp *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->ht = cds_lfht_new(1024, 1024, 0,
			     CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!o->ht) {
		free(o);
		return -ENOMEM;
	}
	pthread_mutex_init(&o->wlock, NULL);
	*out = o;
	return 0;
}

/* After the HTTP server stopped: no reader is left. */
void ca_ocsp_free(struct ca_ocsp *o)
{
	struct cds_lfht_iter it;
	struct ocsp_entry *e;

	if (!o)
		return;
	rcu_read_lock();
	cds_lfht_for_each_entry(o->ht, &it, e, node)
		if (cds_lfht_del(o->ht, &e->node) == 0)
			call_rcu(&e->rcu, entry_free_rcu);
	rcu_read_unlock();
	if (o->st)
		call_rcu(&o->st->rcu, state_free_rcu);
	synchronize_rcu();
	rcu_barrier();
	cds_lfht_destroy(o->ht, NULL);
	pthread_mutex_destroy(&o->wlock);
	free(o);
}
