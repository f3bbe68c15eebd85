// SPDX-License-Identifier: MIT
/*
 * `mode ra`: forwarding a request the RA granted to the upstream CA
 * (issue 17).  As IOS's RA does, the client's PKCS#10 goes to the upstream
 * CA in a new request signed with the RA's certificate and key (the
 * trustpoint's identity), enveloped to the upstream CA (or its RA); a pkid
 * CA grants it without its operator with `grant ra-auto`.  The request
 * travels through the client side's protocol table (enroll_proto.h: SCEP
 * today), never new protocol code here.
 *
 * When: whenever the client's enrollment or poll finds its request
 * granted at the RA and not yet issued (ca_enroll/ca_poll call
 * ca_ra_forward outside the CA's lock, after the request is durable).  So
 * a grant by `pkictl server NAME grant` goes upstream at the client's next
 * poll, and an upstream that is down, or pending itself, only leaves the
 * request granted at the RA: the client hears PENDING and polls again,
 * and nothing is lost.
 *
 * The upstream transaction ID is derived from the RA's name and the
 * client's transactionID (SHA-256, hex): every forward of one request is
 * the same upstream transaction, which a CA answers as a poll (RFC 8894
 * §3.3.1 / pkid's ca_enroll) — two polls of the client racing, or a
 * restart between the send and the answer, never make a second
 * certificate.  The answer is accepted only when the certificate verifies
 * under the upstream CA and is for the CSR's key (the protocol checked
 * the CertRep's signature and our nonce).
 *
 * A request for the rollover generation (enveloped to the RA's shadow
 * certificate) goes to the upstream's rollover CA: enveloped to the
 * rollover RA (or CA) the upstream's GetNextCACert names — which must be
 * the rollover CA trustpoint NAME holds — and its certificate must verify
 * under that rollover CA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"
#include "proto/enroll_proto.h"

/* hex SHA-256 over "pkid-ra", NAME and the client's transactionID */
static int upstream_tid(struct ca *ca, const char *tid, char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(c, "pkid-ra", 8) &&
		 EVP_DigestUpdate(c, ca->cfg.name, strlen(ca->cfg.name) + 1) &&
		 EVP_DigestUpdate(c, tid, strlen(tid)) &&
		 EVP_DigestFinal_ex(c, md, &len);

	EVP_MD_CTX_free(c);
	if (!ok || n < 2 * len + 1)
		return -EIO;
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
	return 0;
}

/* What one forward needs, copied under the lock. */
struct fwd {
	char url[PKID_CONF_URL_MAX];
	const struct enroll_proto *proto;
	struct db_request r;
	X509_REQ *csr;
	X509 *upstream, *upstream_ra;
	/* who issues (upstream, or its rollover CA) and who opens the
	 * request (its RA, else itself) */
	X509 *issuer, *recipient;
	char *caps;
};

static void fwd_free(struct fwd *f)
{
	db_request_free(&f->r);
	X509_REQ_free(f->csr);
	X509_free(f->upstream);
	X509_free(f->upstream_ra);
	X509_free(f->issuer);
	X509_free(f->recipient);
	free(f->caps);
}

/* The request (still granted, not issued?) and the upstream's
 * certificates; 1 when there is something to forward. */
static int fwd_load(struct ca *ca, const char *tid, struct fwd *f)
{
	X509 *id = NULL;
	const unsigned char *p;
	int ret;

	pthread_mutex_lock(&ca->lock);
	ret = ca->running ? 0 : -EAGAIN;
	ret = ret ?: db_request_by_tid(ca->db, ca->cfg.name, tid, &f->r);
	if (ret == 0 && f->r.state == DB_REQ_GRANTED)
		ret = ca_ra_tp(ca, &f->upstream, &f->upstream_ra, &id);
	else if (ret == 0)
		ret = -EALREADY;
	snprintf(f->url, sizeof(f->url), "%s", ca->ra_url);
	f->proto = ca->ra_proto;
	pthread_mutex_unlock(&ca->lock);
	X509_free(id);
	if (ret < 0)
		return ret == -EALREADY ? 0 : ret;
	if (!f->proto || !f->url[0] || !f->upstream)
		return -ENOENT;
	p = f->r.csr;
	f->csr = p ? d2i_X509_REQ(NULL, &p, (long)f->r.csr_len) : NULL;
	return f->csr ? 1 : -EBADMSG;
}

/*
 * The trustpoint holds no RA certificate of the upstream (right after it
 * switched to the upstream's new CA it asks for it later): GetCACert now.
 * A CA in RA mode opens only envelopes to its RA; one that answers
 * without an RA is enveloped to directly.
 */
static void upstream_ra(struct fwd *f)
{
	X509 *ca = NULL, *ra = NULL;
	char why[160];

	if (f->proto->get_ca_certs &&
	    f->proto->get_ca_certs(f->url, &ca, &ra, why, sizeof(why)) == 0 &&
	    ca && !X509_cmp(ca, f->upstream) && ra &&
	    X509_verify(ra, X509_get0_pubkey(ca)) == 1) {
		f->upstream_ra = ra;
		ra = NULL;
	}
	X509_free(ca);
	X509_free(ra);
}

/* Who issues and who receives: the upstream (and its RA), or for the
 * rollover generation the upstream's rollover CA (and its RA) as its
 * GetNextCACert says, when it is the one the trustpoint holds. */
static int fwd_target(struct ca *ca, const struct ca_pub *pub,
		      enum ca_gen gen, int64_t now, struct fwd *f)
{
	X509 *next = NULL, *next_ra = NULL;
	int ret;

	if (gen != CA_GEN_ROLLOVER || !pub->k.roll_cert) {
		X509_up_ref(f->upstream);
		f->issuer = f->upstream;
		if (!f->upstream_ra)
			upstream_ra(f);
		f->recipient = f->upstream_ra ? f->upstream_ra : f->upstream;
		X509_up_ref(f->recipient);
		return 0;
	}
	if (!f->proto->get_next_ca)
		return -EOPNOTSUPP;
	ret = f->proto->get_next_ca(f->url, f->upstream, now, &next,
				    &next_ra);
	if (ret == 0 && X509_cmp(next, pub->k.roll_cert)) {
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: tid %s: the upstream's rollover CA is not the "
			 "one trustpoint %s holds: not forwarded",
			 ca->cfg.name, f->r.tid, ca->cfg.name);
		ret = -EKEYREJECTED;
	}
	if (ret < 0) {
		X509_free(next);
		X509_free(next_ra);
		return ret;
	}
	f->issuer = next;
	f->recipient = next_ra ? next_ra : next;
	if (!next_ra) /* both name it */
		X509_up_ref(next);
	return 0;
}

/* The certificate the upstream issued: recorded under the upstream's
 * serial (or, where it does not fit our 63 bits, a serial of the RA's
 * own counter) and the request marked issued, in one transaction. */
static int store_issued(struct ca *ca, struct fwd *f, X509 *x)
{
	struct db_request now_r = {0};
	struct db_cert c = {0}, seen = {0};
	int ret;

	pthread_mutex_lock(&ca->lock);
	ret = db_begin(ca->db);
	if (ret < 0)
		goto unlock;
	/* A racing poll may have stored it first. */
	ret = db_request_by_tid(ca->db, ca->cfg.name, f->r.tid, &now_r);
	if (ret < 0 || now_r.state != DB_REQ_GRANTED)
		goto rollback;
	snprintf(c.server, sizeof(c.server), "%s", ca->cfg.name);
	if (!ASN1_INTEGER_get_int64(&c.serial, X509_get0_serialNumber(x)) ||
	    c.serial <= 0 ||
	    db_cert_get(ca->db, ca->cfg.name, c.serial, &seen) == 0)
		ret = db_serial_reserve(ca->db, ca->cfg.name, &c.serial);
	db_cert_free(&seen);
	c.subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	ca_time_of(X509_get0_notBefore(x), &c.not_before);
	ca_time_of(X509_get0_notAfter(x), &c.not_after);
	ca_fingerprint(x, c.fingerprint, sizeof(c.fingerprint));
	ca_fingerprint(f->issuer, c.issuer_fp, sizeof(c.issuer_fp));
	c.request_id = now_r.id;
	ret = ret ?: ca_x509_der(x, &c.der, &c.der_len);
	ret = ret ?: db_cert_add(ca->db, &c);
	ret = ret ?: db_request_set_state(ca->db, now_r.id, DB_REQ_ISSUED,
					  c.serial);
	OPENSSL_free(c.subject);
	free(c.der);
rollback:
	if (ret < 0 || now_r.state != DB_REQ_GRANTED) {
		db_rollback(ca->db);
		/* Issued meanwhile by a racing forward of the same upstream
		 * transaction (the RA's poll and a client's poll). */
		if (ret == 0 && now_r.state == DB_REQ_ISSUED)
			ret = -EALREADY;
	} else {
		ret = db_commit(ca->db);
	}
unlock:
	pthread_mutex_unlock(&ca->lock);
	db_request_free(&now_r);
	return ret;
}

static int store_rejected(struct ca *ca, struct fwd *f)
{
	int ret;

	pthread_mutex_lock(&ca->lock);
	ret = db_request_set_state(ca->db, f->r.id, DB_REQ_REJECTED, 0);
	pthread_mutex_unlock(&ca->lock);
	return ret;
}

/* Is @x the certificate the upstream CA issued for this CSR? */
static const char *bad_cert(struct fwd *f, X509 *x)
{
	if (!x)
		return "the answer holds no certificate for the request's key";
	if (X509_verify(x, X509_get0_pubkey(f->issuer)) != 1)
		return "the certificate does not verify under the upstream CA "
		       "(or its rollover CA, for a rollover request)";
	if (EVP_PKEY_eq(X509_get0_pubkey(x), X509_REQ_get0_pubkey(f->csr)) != 1)
		return "the certificate is not for the request's key";
	return NULL;
}

static int push(STACK_OF(X509) * s, X509 *x)
{
	return !x || sk_X509_push(s, x) ? 0 : -ENOMEM;
}

/* One exchange with the upstream CA, outside the lock. */
static int send_upstream(struct ca *ca, const struct ca_pub *pub,
			 struct fwd *f, int64_t now, struct enroll_result *er)
{
	STACK_OF(X509) *signers = sk_X509_new_null();
	unsigned char *der = NULL;
	char tid[2 * EVP_MAX_MD_SIZE + 1];
	struct enroll_ctx c = {0};
	int n, ret = upstream_tid(ca, f->r.tid, tid, sizeof(tid));

	ret = ret ?: signers ? 0 : -ENOMEM;
	ret = ret ?: push(signers, f->upstream);
	ret = ret ?: push(signers, f->upstream_ra);
	if (ret < 0)
		goto out;
	/* the capabilities decide cipher, digest and POST; none: defaults */
	if (f->proto->get_caps && f->proto->get_caps(f->url, &f->caps) < 0)
		f->caps = NULL;
	n = i2d_X509_REQ(f->csr, &der);
	if (n <= 0) {
		ret = -EBADMSG;
		goto out;
	}
	c = (struct enroll_ctx){
		.url = f->url,
		.caps = f->caps,
		.transaction_id = tid,
		.signer = pub->k.ra_cert,
		.signer_key = pub->k.ra_key,
		.key = X509_REQ_get0_pubkey(f->csr),
		.recipient = f->recipient,
		.signers = signers,
		.csr = der,
		.csr_len = (size_t)n,
		.now = now,
	};
	ret = f->proto->enroll(&c, er);
out:
	OPENSSL_free(der);
	sk_X509_free(signers);
	return ret;
}

/* What the client hears, and the request's new state, from the answer. */
static int settle(struct ca *ca, struct fwd *f, struct enroll_result *er,
		  struct ca_result *res)
{
	const char *bad;
	int ret = 0;

	switch (er->status) {
	case ENROLL_ISSUED:
		bad = bad_cert(f, er->cert);
		if (bad) {
			pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
				 "%s: tid %s: answer of the upstream CA not "
				 "taken: %s",
				 ca->cfg.name, f->r.tid, bad);
			break;
		}
		ret = store_issued(ca, f, er->cert);
		if (ret == -EALREADY) {
			ret = 0; /* the same certificate, counted once */
		} else if (ret < 0) {
			break;
		} else {
			__atomic_add_fetch(&ca->ra_forwarded, 1,
					   __ATOMIC_RELAXED);
			pkid_log(LOG_INFO, "CS_RA_ISSUED",
				 "%s: tid %s: issued by the upstream CA",
				 ca->cfg.name, f->r.tid);
		}
		X509_free(res->cert);
		res->cert = er->cert;
		er->cert = NULL;
		res->outcome = CA_ISSUED;
		res->why = NULL;
		break;
	case ENROLL_REJECTED:
		ret = store_rejected(ca, f);
		pkid_log(LOG_NOTICE, "CS_RA_REJECTED",
			 "%s: tid %s: the upstream CA rejected the request "
			 "(%s)",
			 ca->cfg.name, f->r.tid, er->reason ? er->reason : "-");
		res->outcome = CA_REJECTED;
		res->reason = CA_REASON_BAD_REQUEST;
		res->why = "rejected by the upstream CA";
		break;
	case ENROLL_PENDING:
		res->why = "pending at the upstream CA";
		break;
	case ENROLL_REFUSED_NOW:
		/* The upstream's clock (badTime): nothing is decided, the
		 * request goes again like one the upstream did not answer. */
		pkid_log(LOG_WARNING, "CS_RA_UPSTREAM",
			 "%s: tid %s: the upstream CA refused it for now (%s); "
			 "the request stays granted here and goes again at the "
			 "RA's upstream poll or the client's next poll",
			 ca->cfg.name, f->r.tid, er->reason ? er->reason : "-");
		res->why = "the upstream CA refused it for now";
		break;
	case ENROLL_NO_ANSWER:
	case ENROLL_BAD_ANSWER:
		/* er->why is the protocol's text about the upstream's bytes:
		 * bounded (160) and escaped by the logger like any text. */
		pkid_log(LOG_WARNING, "CS_RA_UPSTREAM",
			 "%s: tid %s: the upstream CA %s: %s; the request "
			 "stays granted here and goes again at the RA's "
			 "upstream poll or the client's next poll",
			 ca->cfg.name, f->r.tid,
			 er->status == ENROLL_NO_ANSWER ? "did not answer"
							: "answered wrongly",
			 er->why[0] ? er->why
			 : f->proto->explain && f->proto->explain(er->err)
				 ? f->proto->explain(er->err)
				 : strerror(er->err < 0 ? -er->err : er->err));
		res->why = "the upstream CA is not reachable now";
		break;
	}
	return ret;
}

int ca_ra_forward(struct ca *ca, const char *tid, enum ca_gen gen,
		  struct ca_result *res)
{
	struct ca_pub *pub = ca_pub_snapshot(ca);
	struct enroll_result er = {0};
	struct fwd f = {0};
	int ret;

	if (!pub)
		return -EAGAIN;
	ret = fwd_load(ca, tid, &f);
	if (ret == -ENOENT || ret == -EBADMSG) {
		/* no upstream (trustpoint NAME lost its CA certificate) or an
		 * unreadable stored CSR: said, and the client hears PENDING */
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: tid %s: cannot forward: %s", ca->cfg.name, tid,
			 ret == -ENOENT ? "no upstream CA certificate or URL"
					: "the stored request is unreadable");
		ret = 0;
	}
	if (ret <= 0)
		goto out;
	ret = fwd_target(ca, pub, gen, res->now, &f);
	ret = ret ?: send_upstream(ca, pub, &f, res->now, &er);
	if (ret < 0) {
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: tid %s: cannot forward: %s", ca->cfg.name,
			 f.r.tid, strerror(-ret));
		ret = 0; /* still granted: the next poll tries again */
		goto out;
	}
	ret = settle(ca, &f, &er, res);
out:
	/* Still granted here (the upstream pending or not answering): the
	 * RA's own poll asks again, whether the client polls or not. */
	if (ret == 0 && f.r.id && f.r.state == DB_REQ_GRANTED &&
	    res->outcome != CA_ISSUED &&
	    res->outcome != CA_REJECTED)
		ca_ra_poll_arm(ca, res->now + CA_RA_POLL_S);
	enroll_result_free(&er);
	fwd_free(&f);
	ca_pub_free(pub);
	return ret;
}

/*
 * The RA's upstream poll (a keystore timer, GENERIC, label
 * CA_RA_POLL_LABEL, owner the RA): requests granted here and not issued
 * go upstream without waiting for their client's poll — right after the
 * operator's grant, and every CA_RA_POLL_S while the upstream is pending
 * or down.  A client's poll still forwards as before; both are the same
 * upstream transaction (upstream_tid), so whichever comes first gets the
 * certificate and the other finds the request issued.
 *
 * Which of the upstream's generations a request is for is the envelope its
 * client chose (to the RA's certificate, or to its shadow certificate
 * while it offers the upstream's rollover), stored with the request
 * (db_request.generation): the poll forwards each request to that
 * generation, so a SHADOW request through the RA reaches the upstream's
 * rollover CA without its client's poll (before, the poll left every
 * request to the clients' polls while a rollover was offered).  Once the
 * upstream promoted it, the rollover generation is the current one
 * (fwd_target: the RA holds no rollover then).
 */
void ca_ra_poll_arm(struct ca *ca, int64_t at)
{
	int ret = pkiks_timer_arm_label(ca->ks, ca->cfg.name,
					PKIKS_TIMER_GENERIC, CA_RA_POLL_LABEL,
					(uint64_t)at * 1000000000ULL);

	if (ret < 0)
		pkid_log(LOG_ERR, "CS_TIMER",
			 "%s: cannot arm the upstream poll: %s", ca->cfg.name,
			 strerror(-ret));
}

bool ca_ra_is_poll_timer(struct ca *ca, const struct pkiks_timer_info *t)
{
	return t->kind == PKIKS_TIMER_GENERIC &&
	       !strcmp(t->label, CA_RA_POLL_LABEL) &&
	       !strcmp(t->owner, ca->cfg.name);
}

void ca_ra_poll_resume(struct ca *ca)
{
	int64_t now = 0;
	bool ok;

	pthread_mutex_lock(&ca->lock);
	ok = ca->running && ca_is_ra(ca) && ca_now(ca, &now) == 0;
	pthread_mutex_unlock(&ca->lock);
	if (ok) /* requests granted before a restart: looked at now */
		ca_ra_poll_arm(ca, now);
}

struct granted {
	char tids[CA_RA_POLL_MAX][DB_TID_MAX];
	enum ca_gen gens[CA_RA_POLL_MAX];
	size_t n;
	bool more;
};

static int collect_granted(const struct db_request *r, void *arg)
{
	struct granted *g = arg;

	if (g->n == CA_RA_POLL_MAX) {
		g->more = true;
		return 1; /* stop: the next pass takes the rest */
	}
	g->gens[g->n] = r->generation ? CA_GEN_ROLLOVER : CA_GEN_CURRENT;
	snprintf(g->tids[g->n++], DB_TID_MAX, "%s", r->tid);
	return 0;
}

void ca_ra_poll(struct ca *ca)
{
	struct granted *g = calloc(1, sizeof(*g));
	struct ca_result res;
	int64_t now = 0;
	size_t i;
	int ret = g ? 0 : -ENOMEM;

	pthread_mutex_lock(&ca->lock);
	if (ret == 0 && (!ca->running || !ca_is_ra(ca) || ca_now(ca, &now) < 0))
		ret = -EAGAIN;
	if (ret == 0)
		ret = db_request_foreach(ca->db, ca->cfg.name, DB_REQ_GRANTED,
					 false, collect_granted, g);
	pthread_mutex_unlock(&ca->lock);
	if (ret < 0 || !g->n) {
		free(g);
		return;
	}
	for (i = 0; i < g->n; i++) {
		memset(&res, 0, sizeof(res));
		res.outcome = CA_PENDING; /* what settle() changes */
		res.now = now;
		ca_ra_forward(ca, g->tids[i], g->gens[i], &res);
		ca_result_free(&res);
	}
	if (g->more)
		ca_ra_poll_arm(ca, now + 1);
	free(g);
}
