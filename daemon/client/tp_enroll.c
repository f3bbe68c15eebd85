// SPDX-License-Identifier: MIT
/*
 * A trustpoint asking its CA for certificates: enroll (first
 * enrollment, RENEW, SHADOW), poll while pending, retry while the CA is
 * unreachable (ROLLOVER.md §4).
 *
 * Each step starts from the database row and writes it back: the
 * transactionID, the kind of request and the poll count persist, so
 * after a restart the same request is polled with the same
 * transactionID.  The request's key and signer are derived again from
 * the row and the configuration; nothing lives only in memory.
 *
 * What goes over the wire, and how, is the enrollment protocol's
 * (tp_proto(tp): SCEP or EST, daemon/proto/enroll_proto.h); this file decides what
 * to ask and what to do with the answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/keyblob.h"
#include "core/log.h"
#include "proto/est/est_enroll.h"    /* est_enroll_proto */
#include "proto/scep/scep_client.h" /* the CSR and subject helpers */
#include "tp_internal.h"

#define TP_CRED_MAX (64 * 1024) /* the credential certificate file */
#define TP_CRED_CHAIN_MAX 8	/* ... and the intermediates after it */

/* Everything one request (or poll) needs. */
struct tp_req {
	enum tp_kind kind;
	struct db_tp st;
	X509 *ca; /* the CA that will issue: current, or rollover (SHADOW) */
	X509 *ra;
	X509 *recipient;	  /* envelope to: ra or ca (borrowed) */
	X509 *next_ra;		  /* SHADOW: the rollover RA, if any */
	STACK_OF(X509) * signers; /* who may sign the CertRep */
	char key_name[PKIKS_NAME_MAX];
	EVP_PKEY *key; /* the key being certified */
	X509 *signer;  /* self-signed, or the identity certificate */
	EVP_PKEY *signer_key;
	X509 *cred; /* `enrollment credential` (first enrollment, EST) */
	STACK_OF(X509) * cred_chain; /* its intermediates (may be empty) */
	EVP_PKEY *cred_key;
	X509_NAME *subject;
	const EVP_MD *md; /* the CSR's and a self-signed signer's */
	struct enroll_ctx c;
	bool poll;
	bool key_failed; /* the keystore could not make or give the key */
	unsigned char *content; /* the CSR */
	size_t content_len;
	char tid[DB_TID_MAX];
};

static void req_free(struct tp_req *r)
{
	db_tp_free(&r->st);
	X509_free(r->ca);
	X509_free(r->ra);
	X509_free(r->next_ra);
	sk_X509_pop_free(r->signers, X509_free);
	EVP_PKEY_free(r->key);
	X509_free(r->signer);
	if (r->signer_key != r->key)
		EVP_PKEY_free(r->signer_key);
	X509_NAME_free(r->subject);
	free(r->content);
	X509_free(r->cred);
	sk_X509_pop_free(r->cred_chain, X509_free);
	EVP_PKEY_free(r->cred_key);
}

static void subject_of(struct tp *tp, struct scep_client_subject *s)
{
	const struct pkid_trustpoint_config *c = &tp->cfg;

	*s = (struct scep_client_subject){
		.dn = c->subject_name,
		.hostname = tp->set->hostname,
		.ip = c->ip_address == PKID_SET ? c->ip_address_value : NULL,
		.alt_name = c->subject_alt_name,
		.challenge = c->password,
		/* mode sub-cs: a CA certificate, named as the server (an RA's
		 * is an end-entity certificate) */
		.ca = tp->sub_cs && !tp->ra,
	};
	if (tp->sub_cs && !c->subject_name[0])
		s->dn = tp->sub_dn;
	/* `serial-number`: IOS puts the router's serial number; we put the
	 * machine's (ours: /etc/machine-id when DMI has none). */
	if (c->serial_number == PKID_SET && tp->set->serial[0])
		s->serial = tp->set->serial;
}

/* Push x (if any) with a reference of the stack's own. */
static int push_ref(STACK_OF(X509) * s, X509 *x)
{
	if (!x)
		return 0;
	if (!sk_X509_push(s, x))
		return -ENOMEM;
	X509_up_ref(x);
	return 0;
}

/*
 * A sub's own rollover (TP_KIND_SUBROLL) whose current CA certificate
 * ends with the parent's (the parent truncated it): the parent has no
 * room after it, so the new key is certified by the parent's rollover CA
 * (the one that starts at that end), asked as a SHADOW asks, enveloped to
 * it (issue 17, both rollovers in one overlap window).
 */
static bool subroll_to_next(enum tp_kind kind, const struct db_tp *st)
{
	X509 *id, *ca;
	int64_t id_nb, id_na, ca_nb, ca_na;
	bool yes;

	if (kind != TP_KIND_SUBROLL)
		return false;
	id = tp_x509(st->id_cert, st->id_cert_len);
	ca = tp_x509(st->ca_cert, st->ca_cert_len);
	yes = id && ca && tp_cert_times(id, &id_nb, &id_na) == 0 &&
	      tp_cert_times(ca, &ca_nb, &ca_na) == 0 && id_na >= ca_na;
	X509_free(id);
	X509_free(ca);
	return yes;
}

/* The request is for the CA's rollover generation (next_gen). */
static bool to_next(const struct tp_req *r)
{
	return r->kind == TP_KIND_SHADOW || subroll_to_next(r->kind, &r->st);
}

/*
 * The certificates: which CA issues (r->ca), whom to envelope to (the RA
 * if the CA has one; the rollover CA for SHADOW, since that choice tells
 * the CA which key signs), and who may sign the CertRep (the current CA
 * and RA, and for SHADOW also the rollover CA).
 */
static int req_certs(struct tp *tp, struct tp_req *r, char *why, size_t n)
{
	const struct db_tp *st = &r->st;
	X509 *cur = tp_x509(st->ca_cert, st->ca_cert_len);
	int ret = -ENOMEM;

	r->ra = tp_x509(st->ra_cert, st->ra_cert_len);
	r->recipient = r->ra;
	if (to_next(r)) {
		r->ca = tp_x509(st->shadow_ca_cert, st->shadow_ca_cert_len);
		r->recipient = r->ca;
	} else if (cur) {
		r->ca = X509_dup(cur);
	}
	if (!r->ca || !cur) {
		if (cur && r->kind == TP_KIND_SUBROLL)
			snprintf(why, n,
				 "its certificate ends with the parent's: the "
				 "parent's rollover CA certifies it, and none "
				 "is held yet%s",
				 tp->cfg.enrollment_terminal
					 ? " (bring it: `pkictl server PARENT "
					   "rollover export FILE` there, "
					   "`pkictl trustpoint NAME import "
					   "ca-certificate FILE` here)"
					 : "");
		else
			snprintf(why, n, "%s",
				 cur ? "no rollover CA certificate"
				     : "not authenticated: run `trustpoint TP "
				       "authenticate`");
		ret = -ENOENT;
		goto out;
	}
	if (!r->recipient)
		r->recipient = r->ca;
	r->signers = sk_X509_new_null();
	if (!r->signers || push_ref(r->signers, r->ca) ||
	    push_ref(r->signers, r->ra) ||
	    (to_next(r) && push_ref(r->signers, cur)))
		goto out;
	ret = 0;
out:
	X509_free(cur);
	return ret;
}

/* The key being certified: made when a fresh request needs it. */
static int req_key(struct tp *tp, struct tp_req *r, bool fresh)
{
	bool exists;
	int ret;

	tp_req_key_name(tp, r->kind, r->key_name, sizeof(r->key_name));
	/* A key the keystore lost comes back from its blob, never anew. */
	ret = tp_keys_restore(tp);
	if (ret < 0)
		return ret;
	exists = tp_key_exists(tp, r->key_name);
	/* The sub's rollover key is the CA's (ca_rollover.c made it). */
	if (r->kind == TP_KIND_SUBROLL && !exists)
		return -ENOKEY;
	/* A new shadow key pair for each new renewal; the label once. */
	if (fresh && r->kind != TP_KIND_SUBROLL &&
	    (!exists || strchr(r->key_name, '#'))) {
		ret = tp_keygen(tp, r->key_name, exists);
		if (ret < 0)
			return ret;
	} else if (!exists) {
		return -ENOKEY;
	}
	return tp_key_load(r->key_name, &r->key);
}

/* First enrollment: self-signed; else the current identity signs. */
static int req_signer(struct tp *tp, struct tp_req *r, const EVP_MD *md,
		      int64_t now, char *why, size_t n)
{
	if (r->kind == TP_KIND_ENROLL) {
		r->signer_key = r->key;
		return scep_client_self_signed(r->subject, r->key, md, now,
					       &r->signer);
	}
	r->signer = tp_x509(r->st.id_cert, r->st.id_cert_len);
	if (!r->signer || !r->st.id_key[0]) {
		snprintf(why, n, "no identity certificate to renew with");
		return -ENOENT;
	}
	return tp_key_load(r->st.id_key, &r->signer_key);
}

/* The PEM certificates after the device's: its intermediates, at most
 * TP_CRED_CHAIN_MAX (-E2BIG), up to the end (-EBADMSG: not PEM). */
static int read_cred_chain(BIO *bio, STACK_OF(X509) * *chain)
{
	X509 *x;

	*chain = sk_X509_new_null();
	if (!*chain)
		return -ENOMEM;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (sk_X509_num(*chain) >= TP_CRED_CHAIN_MAX ||
		    !sk_X509_push(*chain, x)) {
			X509_free(x);
			return sk_X509_num(*chain) >= TP_CRED_CHAIN_MAX
				       ? -E2BIG
				       : -ENOMEM;
		}
	}
	/* the end of the file, or something that is not a certificate */
	return ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE
		       ? 0
		       : -EBADMSG;
}

/* The credential file: the device's PEM certificate, then the
 * intermediates up to its maker's CA (optional), at most TP_CRED_MAX
 * bytes. */
static int read_cred_cert(const char *path, X509 **x, STACK_OF(X509) * *chain)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;
	BIO *bio = NULL;
	int ret = -errno;

	*x = NULL;
	*chain = NULL;
	if (!f)
		return ret;
	buf = malloc(TP_CRED_MAX + 1);
	ret = -ENOMEM;
	if (!buf)
		goto out;
	n = fread(buf, 1, TP_CRED_MAX + 1, f);
	ret = n > TP_CRED_MAX ? -EFBIG : ferror(f) ? -EIO : 0;
	if (ret < 0)
		goto out;
	bio = BIO_new_mem_buf(buf, (int)n);
	*x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	ret = *x ? read_cred_chain(bio, chain) : -EBADMSG;
out:
	BIO_free(bio);
	free(buf);
	fclose(f);
	ERR_clear_error();
	return ret;
}

/* The keystore's time for a protocol step that needs it later than the
 * request was prepared (enroll_ctx.clock). */
static int tp_clock(void *arg, int64_t *now)
{
	return tp_now(arg, now);
}

/*
 * `enrollment credential certificate PATH key LABEL`, for a first
 * enrollment over EST: the certificate (read when used: it may be
 * installed after the configuration) must be for keystore key LABEL,
 * checked here so a mismatch is said in words, not as a TLS failure.
 * The CA decides whether it trusts it (`grant auto trustpoint`).
 */
static int req_credential(struct tp *tp, struct tp_req *r, char *why,
			  size_t n)
{
	const struct pkid_trustpoint_config *c = &tp->cfg;
	int ret;

	if (r->kind != TP_KIND_ENROLL || !c->credential_cert[0])
		return 0;
	if (tp_proto(tp) != &est_enroll_proto) {
		snprintf(why, n, "enrollment credential is used over EST "
				 "only (an https://HOST/.well-known/est URL)");
		return -EINVAL;
	}
	ret = read_cred_cert(c->credential_cert, &r->cred, &r->cred_chain);
	if (ret < 0) {
		snprintf(why, n, "enrollment credential %.128s: %s",
			 c->credential_cert,
			 ret == -EBADMSG ? "not PEM certificates"
			 : ret == -EFBIG ? "over 64 KiB"
			 : ret == -E2BIG ? "more than 8 intermediates"
					 : strerror(-ret));
		return ret;
	}
	ret = tp_key_load(c->credential_key, &r->cred_key);
	if (ret < 0) {
		snprintf(why, n, "enrollment credential: no keystore key %s",
			 c->credential_key);
		return ret;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(r->cred), r->cred_key) != 1) {
		ERR_clear_error();
		snprintf(why, n,
			 "enrollment credential: %.128s is not the "
			 "certificate of keystore key %s",
			 c->credential_cert, c->credential_key);
		return -EKEYREJECTED;
	}
	return 0;
}

static int req_prepare(struct tp *tp, enum tp_kind kind, bool fresh,
		       struct tp_req *r, char *why, size_t n)
{
	struct scep_client_subject s;
	const EVP_MD *md;
	int64_t now;
	int ret;

	r->kind = kind;
	ret = db_tp_get(tp->set->db, tp->cfg.name, &r->st);
	if (ret == -ENOENT)
		snprintf(why, n,
			 "not authenticated: run `trustpoint TP "
			 "authenticate`");
	ret = ret ?: req_certs(tp, r, why, n);
	ret = ret ?: tp_now(tp, &now);
	if (ret < 0)
		return ret;
	subject_of(tp, &s);
	ret = scep_client_name(&s, &r->subject);
	if (ret < 0) {
		snprintf(why, n, "bad subject-name \"%s\"",
			 tp->cfg.subject_name);
		return ret;
	}
	md = tp_proto(tp)->digest(r->st.caps);
	/* a wrong credential is said before a key is made for nothing */
	ret = req_credential(tp, r, why, n);
	if (ret == 0) {
		ret = req_key(tp, r, fresh);
		r->key_failed = ret < 0 && ret != -ENOKEY;
	}
	ret = ret ?: req_signer(tp, r, md, now, why, n);
	if (ret < 0)
		return ret;
	r->md = md;
	r->c = (struct enroll_ctx){
		.url = tp->cfg.enrollment_url,
		.caps = r->st.caps,
		.signer = r->signer,
		.signer_key = r->signer_key,
		.key = r->key,
		.recipient = r->recipient,
		.signers = r->signers,
		.now = now,
		.clock = tp_clock,
		.clock_arg = tp,
		.renewal = kind != TP_KIND_ENROLL,
		.next_gen = to_next(r),
		.password = tp->cfg.password,
		.credential = r->cred,
		.credential_chain = r->cred_chain,
		.credential_key = r->cred_key,
	};
	return 0;
}

/* The CSR, for a first enrollment and a renewal alike. */
static int req_csr(struct tp *tp, struct tp_req *r)
{
	struct scep_client_subject s;
	X509_REQ *csr = NULL;
	unsigned char *der = NULL;
	int len, ret;

	subject_of(tp, &s);
	ret = scep_client_csr(&s, r->key, r->md, &csr);
	if (ret < 0)
		return ret;
	len = i2d_X509_REQ(csr, &der);
	X509_REQ_free(csr);
	if (len <= 0)
		return -EIO;
	r->content = malloc(len);
	if (r->content)
		memcpy(r->content, der, len);
	OPENSSL_free(der);
	r->content_len = len;
	return r->content ? 0 : -ENOMEM;
}

/* Save the row with the request state given (@kind: a tp_kind, with
 * TP_PENDING_RESEND when the request @tid is to be sent again). */
static int save_pending(struct tp *tp, struct db_tp *st, int kind,
			const char *tid, unsigned int count)
{
	int64_t now = 0;

	tp_now(tp, &now);
	snprintf(st->pending_tid, sizeof(st->pending_tid), "%s", tid);
	st->pending_kind = kind;
	st->poll_count = count;
	st->updated = now;
	return db_tp_put(tp->set->db, st);
}

/* Give up on the request in progress; the operator takes over. */
static void give_up(struct tp *tp, struct tp_req *r, const char *what)
{
	int64_t now = 0;

	/* The watchdog's alert at a stable tag (daemon/LOGGING.md). */
	tp_now(tp, &now);
	tp->gave_up_at = now ? now : 1;
	pkid_log(LOG_ERR, "HEALTH_TP_GAVE_UP",
		 "trustpoint %s: %s request gave up: %s", tp->cfg.name,
		 tp_kind_name(r->kind), what);
	pkid_log(LOG_ERR, "ENROLL_FAILED",
		 "trustpoint %s: %s request %s: %s; stopped "
		 "(enroll by hand: trustpoint %s enroll)",
		 tp->cfg.name, tp_kind_name(r->kind),
		 r->st.pending_tid[0] ? r->st.pending_tid : r->tid, what,
		 tp->cfg.name);
	/* §4.2: no automatic renewal after a FAILURE. */
	tp_cancel(tp, PKIKS_TIMER_POLL);
	tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
	tp_cancel(tp, PKIKS_TIMER_RENEW);
	tp_cancel(tp, PKIKS_TIMER_SHADOW);
	save_pending(tp, &r->st, TP_KIND_NONE, "", 0);
	/* A sub's rollover key is the CA's: `server rollover cancel`. */
	if (strchr(r->key_name, '#') && r->kind != TP_KIND_SHADOW &&
	    r->kind != TP_KIND_SUBROLL)
		pkiks_key_delete(tp->set->ks, r->key_name);
	tp_sub_changed(tp); /* a sub-cs CA says why it waits on */
}

/*
 * Not answered, or answered with something we cannot use: CONNECT RETRY
 * with backoff, unless out of retries.  what: why, or NULL for the
 * errno's own words.  @tid: the request to poll again (a poll), to send
 * again (a request: TP_PENDING_RESEND), or "" for a new request.
 */
static int retry_later(struct tp *tp, struct tp_req *r, const char *tid,
		       unsigned int count, int err, const char *what)
{
	char buf[224], gave[256];
	int64_t now;

	if (!what)
		what = tp_proto(tp)->explain(err);
	if (!what) {
		snprintf(buf, sizeof(buf), "CA unreachable (%s)",
			 strerror(-err));
		what = buf;
	}
	if (count >= tp->cfg.retry_count) {
		snprintf(gave, sizeof(gave), "%.200s, retries exhausted", what);
		give_up(tp, r, gave);
		return err;
	}
	pkid_log(LOG_WARNING, "CONNECT_RETRY", "trustpoint %s: %s, retry %u",
		 tp->cfg.name, what, count + 1);
	if (save_pending(tp, &r->st,
			 r->kind | (tid[0] && !r->poll ? TP_PENDING_RESEND : 0),
			 tid, count + 1) < 0 ||
	    tp_now(tp, &now) < 0)
		return err;
	tp_arm_backoff(tp, PKIKS_TIMER_CONNECT_RETRY, count, now);
	return err;
}

static int on_success(struct tp *tp, struct tp_req *r, X509 *cert)
{
	if (!cert || X509_verify(cert, X509_get0_pubkey(r->ca)) != 1) {
		pkid_log(LOG_ERR, NULL,
			 "trustpoint %s: the CA's reply holds no "
			 "certificate of ours signed by the CA",
			 tp->cfg.name);
		ERR_clear_error();
		give_up(tp, r, "bad certificate in reply");
		return -EBADMSG;
	}
	if (r->kind == TP_KIND_SUBROLL)
		return tp_sub_roll_issued(tp, &r->st, r->key_name, cert);
	return tp_install(tp, &r->st, r->kind, r->key_name, cert);
}

static int on_pending(struct tp *tp, struct tp_req *r, const char *tid,
		      unsigned int count)
{
	int64_t now, ca_nb, ca_na;

	if (count >= tp->cfg.retry_count) {
		give_up(tp, r, "still pending after enrollment retry count");
		return -ETIMEDOUT;
	}
	if (tp_now(tp, &now) < 0 || tp_cert_times(r->ca, &ca_nb, &ca_na) < 0)
		return -EINVAL;
	if (now >= ca_na) {
		give_up(tp, r, "the issuing CA certificate has expired");
		return -EKEYEXPIRED;
	}
	pkid_log(LOG_WARNING, "POLL",
		 "trustpoint %s: request %s pending, poll %u in "
		 "%lld s",
		 tp->cfg.name, tid, count + 1,
		 (long long)tp_backoff_seconds(tp, count));
	save_pending(tp, &r->st, r->kind, tid, count);
	return tp_arm_backoff(tp, PKIKS_TIMER_POLL, count, now);
}

/*
 * A poll that got no answer is polled again (same transactionID).  A
 * request that got none is sent again, the same (same transactionID,
 * same key): the CA may have it -- a CA busy generating its rollover key
 * answers after our timeout, and has issued meanwhile -- and answers a
 * repeated transactionID from its record, so one certificate is issued,
 * not two, and no new key is made for each retry.  A request the CA
 * answered with something we cannot use is made anew next time (sent
 * again, the CA would answer the same from its record).
 */
static const char *retry_tid(const struct tp_req *r, enum enroll_status st)
{
	return r->poll || st == ENROLL_NO_ANSWER ? r->c.transaction_id : "";
}

/* A CA that answers with DES or 3DES: said once per trustpoint. */
static void legacy_note(struct tp *tp, const char *cipher)
{
	if (!cipher || tp->legacy_warned)
		return;
	tp->legacy_warned = true;
	pkid_log(LOG_WARNING, "LEGACY_CIPHER",
		 "trustpoint %s: the CA enveloped its answer with %s, a "
		 "legacy cipher; opened with OpenSSL's legacy provider in a "
		 "library context of its own",
		 tp->cfg.name, cipher);
}

static bool ca_ended(const struct db_tp *st, int64_t now);
static int missed_shadow(struct tp *tp, struct db_tp *st, unsigned int count,
			 char *why, size_t n);

/*
 * A SHADOW whose rollover CA has left the next generation: EST's next
 * label answered 404 ("no rollover CA now"), or cacerts / GetNextCACert
 * no longer offers it.  The CA has promoted it (the request met the
 * promotion) or withdrawn it (`rollover cancel`).  As the next-CA poll
 * does after a 404 (tp_recheck_next_ca), the trustpoint asks the CA which
 * at once instead of waiting a CONNECT RETRY for the same answer:
 *   - the CA certificate it holds has ended: the missed-SHADOW recovery
 *     now (tp_recover: the CA serves the rollover certificate held, which
 *     is trusted, and a fresh enrollment with the password goes to it);
 *   - withdrawn (dropped or replaced, saved): the request ends and the
 *     lifecycle plans SHADOW again, under the CA's next rollover;
 *   - otherwise (no answer, or still the rollover held: a 404 in a
 *     race): CONNECT RETRY with the backoff, as before.
 */
static int shadow_next_gone(struct tp *tp, struct tp_req *r, const char *tid,
			    unsigned int count, int err, const char *what)
{
	char why[256] = "";
	int64_t now, at;
	int ret;

	if (r->kind != TP_KIND_SHADOW)
		return retry_later(tp, r, tid, count, err, what);
	if (tp_now(tp, &now) == 0 && ca_ended(&r->st, now)) {
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: SHADOW: the rollover CA has left the "
			 "next generation (%s) and the CA certificate held has "
			 "ended: recovering now",
			 tp->cfg.name,
			 what ? what : tp_proto(tp)->explain(err) ?: "gone");
		ret = missed_shadow(tp, &r->st, count, why, sizeof(why));
		if (ret < 0 && why[0])
			pkid_log(LOG_ERR, NULL, "trustpoint %s: %s",
				 tp->cfg.name, why);
		return ret;
	}
	ret = tp_recheck_next_ca(tp, &r->st);
	if (ret <= 0)
		return retry_later(tp, r, tid, count, err, what);
	ret = save_pending(tp, &r->st, TP_KIND_NONE, "", 0);
	tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
	return ret ?: tp_arm_lifecycle(tp, &r->st, &at);
}

/* Send r->c (the enrollment or the poll), act on the answer. */
static int exchange(struct tp *tp, struct tp_req *r, unsigned int count)
{
	const struct enroll_proto *p = tp_proto(tp);
	struct enroll_result res = {0};
	char what[sizeof(res.why) + 64];
	int ret;

	ret = r->poll ? p->poll(&r->c, &res) : p->enroll(&r->c, &res);
	if (ret < 0)
		return ret;
	switch (res.status) {
	case ENROLL_NO_ANSWER:
		ret = retry_later(tp, r, retry_tid(r, res.status), count,
				  res.err, NULL);
		break;
	case ENROLL_BAD_ANSWER:
		/* The CA answered: say what was wrong with the answer. */
		snprintf(what, sizeof(what), "reply to %s: %s",
			 r->c.transaction_id,
			 res.why[0] ? res.why : strerror(-res.err));
		ret = r->c.next_gen && res.err == -ENOENT
			      ? shadow_next_gone(tp, r,
						 retry_tid(r, res.status),
						 count, res.err, what)
			      : retry_later(tp, r, retry_tid(r, res.status),
					    count, res.err, what);
		break;
	case ENROLL_ISSUED:
		legacy_note(tp, res.legacy_cipher);
		ret = on_success(tp, r, res.cert);
		break;
	case ENROLL_PENDING:
		ret = on_pending(tp, r, r->c.transaction_id, count);
		break;
	case ENROLL_REFUSED_NOW:
		/* Giving up here would stop the router's renewals for good
		 * over a clock the CA gets back (a step, NTP lost). */
		snprintf(what, sizeof(what),
			 "the CA refused %s for now: %s (a clock is not "
			 "trusted)",
			 r->c.transaction_id, res.reason);
		ret = retry_later(tp, r, retry_tid(r, res.status), count,
				  -EAGAIN, what);
		break;
	default:
		/* EST gives the CA's own words with its refusal. */
		give_up(tp, r, res.why[0] ? res.why : res.reason);
		ret = -EKEYREJECTED;
		break;
	}
	enroll_result_free(&res);
	return ret;
}

/* The rollover CA (and RA), verified as signed by the current CA @ca. */
static int get_next_ca(struct tp *tp, X509 *ca, X509 **next, X509 **next_ra)
{
	int64_t now;
	int ret = tp_now(tp, &now);

	return ret ?: tp_proto(tp)->get_next_ca(tp->cfg.enrollment_url, ca,
						 now, next, next_ra);
}

/*
 * SHADOW requests go to the rollover RA when the CA has one (the CA
 * knows from the recipient which key must issue).  The row keeps only
 * the rollover CA certificate, so ask GetNextCACert for the RA again.
 */
static int shadow_recipient(struct tp *tp, struct tp_req *r)
{
	X509 *cur = tp_x509(r->st.ca_cert, r->st.ca_cert_len), *next = NULL;
	int ret = get_next_ca(tp, cur, &next, &r->next_ra);

	if (ret == 0 && X509_cmp(next, r->ca)) {
		/* Another rollover CA than we hold: fetch it anew later. */
		tp_set_blob(&r->st.shadow_ca_cert, &r->st.shadow_ca_cert_len,
			    NULL);
		ret = -ESTALE;
	}
	if (ret == 0 && r->next_ra) {
		r->recipient = r->c.recipient = r->next_ra;
		ret = push_ref(r->signers, r->next_ra);
	}
	X509_free(cur);
	X509_free(next);
	return ret;
}

/*
 * After a switch to the rollover CA the row has no RA certificate until
 * the CA itself has switched: ask GetCACert again before a request (a CA
 * without RA costs one GetCACert a request, which is rare).  SHADOW too:
 * the CA signs every CertRep with its current RA (scep_server.c), so the
 * SHADOW of the next rollover, the first request after a switch when the
 * CA rolls over again, needs that RA among the signers it accepts.
 */
static void ensure_ra(struct tp *tp)
{
	struct db_tp st;

	if (tp->cfg.enrollment_terminal ||
	    db_tp_get(tp->set->db, tp->cfg.name, &st) < 0)
		return;
	if (st.ca_cert && !st.ra_cert)
		tp_refresh_ra(tp, &st);
	db_tp_free(&st);
}

/* SHADOW: envelope to the rollover RA, if any; when that cannot be
 * learnt, CONNECT RETRY (@tid: the request's, "" for a new one), or, when
 * the rollover CA has left the next generation, what shadow_next_gone
 * decides (1: nothing to send now). */
static int req_shadow(struct tp *tp, struct tp_req *r, const char *tid,
		      unsigned int count)
{
	int ret;

	/* A file has no envelope: the operator carries it to the CA. */
	if (!to_next(r) || tp->cfg.enrollment_terminal)
		return 0;
	ret = shadow_recipient(tp, r);
	if (ret == -ENOENT) { /* 1: handled, nothing to send */
		ret = shadow_next_gone(tp, r, tid, count, ret, NULL);
		return ret < 0 ? ret : 1;
	}
	return ret < 0 ? retry_later(tp, r, tid, count, ret, NULL) : 0;
}

/*
 * A sub's rollover that goes to the parent's rollover CA needs it held:
 * GetNextCACert now if not.  The parent may not have made it yet (the
 * sub's auto-rollover window opened before the parent's): CONNECT RETRY
 * with the usual backoff asks again, and the request goes out once it is
 * there.
 */
static int subroll_next_ca(struct tp *tp, enum tp_kind kind,
			   unsigned int count)
{
	struct tp_req r = {.kind = kind};
	int ret = db_tp_get(tp->set->db, tp->cfg.name, &r.st);

	if (ret < 0 || !subroll_to_next(kind, &r.st) || r.st.shadow_ca_cert)
		goto out;
	ret = tp_prefetch_next_ca(tp, &r.st);
	if (ret == 0 && r.st.shadow_ca_cert)
		goto out;
	ret = retry_later(tp, &r, "", count, ret < 0 ? ret : -ENOENT,
			  ret < 0 ? NULL
				  : "the parent has no rollover CA certificate "
				    "yet (the sub's certificate ends with the "
				    "parent's: its rollover is certified by "
				    "the parent's rollover CA)");
out:
	req_free(&r);
	return ret;
}

/*
 * The keystore could not make the request's key (full, restarting,
 * refusing for a moment): nothing was sent, and the request is tried again
 * at CONNECT RETRY rather than dropped -- a SHADOW or RENEW that fails
 * here once must still happen before the CA or the identity ends.
 */
static int key_retry(struct tp *tp, struct tp_req *r, unsigned int count,
		     int err)
{
	char what[200];

	snprintf(what, sizeof(what), "cannot make key %s in the keystore (%s)",
		 r->key_name, strerror(-err));
	return retry_later(tp, r, "", count, err, what);
}

/* A new request of @kind; @count carries the retries made so far. */
static int start_request(struct tp *tp, enum tp_kind kind, unsigned int count,
			 char *why, size_t n)
{
	struct tp_req r = {0};
	int ret;

	ensure_ra(tp);
	if (!tp->cfg.enrollment_terminal) {
		ret = subroll_next_ca(tp, kind, count);
		if (ret < 0)
			return ret;
	}
	ret = req_prepare(tp, kind, true, &r, why, n);
	if (ret < 0 && r.key_failed) {
		ret = key_retry(tp, &r, count, ret);
		goto out;
	}
	ret = ret ?: req_csr(tp, &r);
	ret = ret ?: tp_proto(tp)->new_transaction_id(r.tid, sizeof(r.tid));
	ret = ret ?: req_shadow(tp, &r, "", count);
	if (ret != 0) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	tp->gave_up_at = 0; /* a new attempt */
	if (tp->cfg.enrollment_terminal) { /* the operator carries it */
		ret = tp_terminal_save(tp, r.content, r.content_len);
		ret = ret ?: save_pending(tp, &r.st, kind, TP_TERMINAL_TID, 0);
		goto out;
	}
	r.c.transaction_id = r.tid;
	r.c.csr = r.content;
	r.c.csr_len = r.content_len;
	pkid_log(LOG_INFO, NULL, "trustpoint %s: %s request %s to %s",
		 tp->cfg.name, tp_kind_name(kind), r.tid,
		 tp->cfg.enrollment_url);
	/* Should pkid die before the answer, a restart sends the same
	 * request again (the CA may have it). */
	ret = save_pending(tp, &r.st, kind | TP_PENDING_RESEND, r.tid, count);
	ret = ret ?: exchange(tp, &r, count);
out:
	req_free(&r);
	return ret;
}

/*
 * The request in the row again, same transactionID and key: a poll of a
 * request the CA answered PENDING (@poll), or the request itself sent
 * again after it got no answer (TP_PENDING_RESEND).  The CSR is made
 * anew from the same key and subject: the same DER for RSA (PKCS#1 v1.5
 * is deterministic), another ECDSA signature over the same content for
 * EC -- a SCEP CA goes by the transactionID.  EST polls this way too:
 * pkid's EST CA keys the transaction on the request's content, not its
 * signature (est_http.c), so either is a poll of the first.
 */
static int again_request(struct tp *tp, enum tp_kind kind, unsigned int count,
			 bool poll, char *why, size_t n)
{
	struct tp_req r = {0};
	int ret;

	ensure_ra(tp);
	ret = req_prepare(tp, kind, false, &r, why, n);
	ret = ret ?: req_csr(tp, &r);
	if (ret < 0)
		goto out;
	snprintf(r.tid, sizeof(r.tid), "%s", r.st.pending_tid);
	r.poll = poll;
	ret = req_shadow(tp, &r, r.tid, count);
	if (ret != 0) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	tp->gave_up_at = 0; /* a new attempt */
	r.c.transaction_id = r.tid;
	r.c.ca = r.ca;
	r.c.subject = r.subject;
	r.c.csr = r.content;
	r.c.csr_len = r.content_len;
	if (poll) {
		pkid_log(LOG_INFO, NULL, "trustpoint %s: polling %s (poll %u)",
			 tp->cfg.name, r.tid, count + 1);
		ret = exchange(tp, &r, count + 1);
		goto out;
	}
	pkid_log(LOG_INFO, NULL,
		 "trustpoint %s: %s request %s sent again to %s (retry %u: "
		 "no answer to it)",
		 tp->cfg.name, tp_kind_name(kind), r.tid,
		 tp->cfg.enrollment_url, count);
	ret = exchange(tp, &r, count);
out:
	req_free(&r);
	return ret;
}

/* Has certificate @der ended at @now? */
static bool ended(const unsigned char *der, size_t len, int64_t now)
{
	X509 *x = tp_x509(der, len);
	int64_t nb, na;
	bool over = x && tp_cert_times(x, &nb, &na) == 0 && now >= na;

	X509_free(x);
	return over;
}

/* Has the CA certificate the trustpoint holds ended at @now? */
static bool ca_ended(const struct db_tp *st, int64_t now)
{
	return ended(st->ca_cert, st->ca_cert_len, now);
}

static int missed_shadow(struct tp *tp, struct db_tp *st, unsigned int count,
			 char *why, size_t n);
static int continue_request(struct tp *tp, struct db_tp *st, char *why,
			    size_t n);

int tp_enroll(struct tp *tp, enum tp_kind kind, char *why, size_t n)
{
	struct db_tp st;
	int64_t now;
	int ret = db_tp_get(tp->set->db, tp->cfg.name, &st);

	if (ret < 0) {
		snprintf(why, n,
			 "not authenticated: run `trustpoint %s "
			 "authenticate`",
			 tp->cfg.name);
		return ret;
	}
	/* A request that got no answer: sent again now, the same. */
	if (tp_pending_resend(&st)) {
		tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
		ret = continue_request(tp, &st, why, n);
		db_tp_free(&st);
		return ret;
	}
	if (st.pending_kind != TP_KIND_NONE && st.pending_tid[0]) {
		snprintf(why, n, "request %s is pending", st.pending_tid);
		ret = -EBUSY;
	} else if (!tp->cfg.enrollment_url[0] && !tp->cfg.enrollment_terminal) {
		snprintf(why, n, "no enrollment url");
		ret = -EINVAL;
	}
	/* `enroll` with an identity is a manual renewal, unless it has
	 * ended: an expired identity signs nothing (a fresh enrollment). */
	if (kind == TP_KIND_ENROLL && st.id_cert &&
	    (tp_now(tp, &now) < 0 || !ended(st.id_cert, st.id_cert_len, now)))
		kind = TP_KIND_RENEW;
	/* RENEW fired after the CA's end (pkid was stopped through it):
	 * the CA has rolled over, as for a missed SHADOW. */
	if (ret == 0 && kind == TP_KIND_RENEW && !st.shadow_id_cert &&
	    tp_now(tp, &now) == 0 && ca_ended(&st, now)) {
		tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
		ret = missed_shadow(tp, &st, 0, why, n);
		db_tp_free(&st);
		return ret;
	}
	db_tp_free(&st);
	if (ret < 0)
		return ret;
	tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
	return start_request(tp, kind, 0, why, n);
}

/* SHADOW: the rollover CA, signed by the current CA; -ENOENT = not yet. */
static int fetch_next_ca(struct tp *tp, struct db_tp *st, unsigned int count)
{
	struct tp_req r = {.kind = TP_KIND_SHADOW};
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len), *next = NULL;
	X509 *next_ra = NULL;
	int ret;

	ret = get_next_ca(tp, ca, &next, &next_ra);
	X509_free(next_ra); /* asked for again with each request */
	if (ret == 0)
		ret = tp_set_blob(&st->shadow_ca_cert, &st->shadow_ca_cert_len,
				  next);
	X509_free(ca);
	X509_free(next);
	if (ret == 0)
		return save_pending(tp, st, TP_KIND_SHADOW, "", 0);
	/* No rollover CA yet (or no answer): ask again later, gently. */
	r.st = *st;
	memset(st, 0, sizeof(*st)); /* r owns the row now */
	pkid_log(LOG_INFO, NULL, "trustpoint %s: no rollover CA certificate %s",
		 tp->cfg.name,
		 ret == -EBADMSG  ? "(GetNextCACert not signed by our CA)"
		 : ret == -ENOENT ? "yet: the CA has no rollover certificate"
				  : "yet");
	ret = retry_later(tp, &r, "", count, ret, NULL);
	req_free(&r);
	return ret;
}

/*
 * SHADOW missed the CA's end (issue 22): the CA has already rolled over.
 * tp_recover() decides; enroll under the new CA, stop, or (CA still
 * unreachable) CONNECT RETRY with the usual backoff.
 */
static int missed_shadow(struct tp *tp, struct db_tp *st, unsigned int count,
			 char *why, size_t n)
{
	struct tp_req r = {.kind = TP_KIND_SHADOW};
	int ret = tp_recover(tp, st);

	if (ret > 0)
		return start_request(tp, TP_KIND_ENROLL, 0, why, n);
	if (ret == 0 || !tp_proto(tp)->unreachable(ret))
		return ret;
	r.st = *st;
	memset(st, 0, sizeof(*st)); /* r owns the row now */
	ret = retry_later(tp, &r, "", count, ret, NULL);
	req_free(&r);
	return ret;
}

int tp_prefetch_next_ca(struct tp *tp, struct db_tp *st)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "";
	X509 *ca, *next = NULL, *next_ra = NULL;
	int ret;

	if (st->shadow_ca_cert || !tp_proto(tp)->has_next_ca(st->caps))
		return 0;
	ca = tp_x509(st->ca_cert, st->ca_cert_len);
	ret = get_next_ca(tp, ca, &next, &next_ra);
	if (ret == 0)
		ret = tp_set_blob(&st->shadow_ca_cert, &st->shadow_ca_cert_len,
				  next);
	ret = ret ?: db_tp_put(tp->set->db, st);
	if (ret == 0) {
		scep_client_fingerprint(next, EVP_sha256(), fp, sizeof(fp));
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: rollover CA certificate %s "
			 "fetched (GetNextCACert) and kept",
			 tp->cfg.name, fp);
	}
	X509_free(ca);
	X509_free(next);
	X509_free(next_ra);
	return ret == -ENOENT ? 0 : ret; /* 404: none yet */
}

/*
 * The SHADOW identity issued under a rollover the CA withdrew: dropped
 * with its key pair (a `regenerate` one, TP#; it was certified by a CA
 * that will never be), so that SHADOW, planned again, enrolls under the
 * CA's new rollover.  IOS: `rollover cancel` deletes the rollover CA,
 * "clients that already fetched it may need to re-enroll" -- pkid does
 * it by itself, before the CA's end.
 */
static void drop_shadow_identity(struct tp *tp, struct db_tp *st)
{
	int ret;

	if (st->shadow_key[0] && strcmp(st->shadow_key, tp->cfg.rsakeypair)) {
		ret = keyblob_delete(tp->set->ks, tp->set->db, st->shadow_key);
		if (ret < 0 && ret != -ENOENT)
			pkid_log(LOG_ERR, NULL,
				 "trustpoint %s: cannot delete the shadow key "
				 "%s: %s",
				 tp->cfg.name, st->shadow_key, strerror(-ret));
	}
	free(st->shadow_id_cert);
	st->shadow_id_cert = NULL;
	st->shadow_id_cert_len = 0;
	st->shadow_key[0] = '\0';
}

/*
 * Is GetCACert still the CA certificate the trustpoint holds?  A 404 (or
 * another certificate) from GetNextCACert means a withdrawn rollover
 * only then: once the CA has promoted its rollover it has none, and its
 * clock may pass its end before ours does (tools/sim: every pkid on its
 * own keystore; check-client-rollover: the poll fired in the step of the
 * end, before the switch).  0 when it is, 1 when the CA serves another
 * certificate, or -errno (no answer).
 */
static int ca_moved_on(struct tp *tp, X509 *cur)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "", why[256] = "";
	X509 *ca = NULL, *ra = NULL;
	int ret = tp_fetch_ca(tp, &ca, &ra, fp, sizeof(fp), why, sizeof(why));

	if (ret == 0 && X509_cmp(ca, cur)) {
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: the CA serves %s, not the CA "
			 "certificate held: it has switched to its rollover; "
			 "the rollover CA certificate held stays",
			 tp->cfg.name, fp);
		ret = 1;
	}
	X509_free(ca);
	X509_free(ra);
	return ret;
}

/*
 * A rollover CA certificate is held: is it still the one the CA offers?
 * The operator may have cancelled it (404) and the CA may have made
 * another since.  A withdrawn certificate is dropped (SHADOW planned
 * again without it; the next-CA poll looks for the next one), a replaced
 * one is swapped for the new one (GetNextCACert verified it against the
 * current CA as at the first fetch); a SHADOW identity issued under it
 * goes with it (drop_shadow_identity).  Not once the CA certificate held
 * has ended, nor while the CA serves another one (ca_moved_on): the
 * switch or the recovery (tp_recover) takes it from there.  1 when the
 * row changed (saved), 0 when the certificate held is still the CA's
 * (or the CA has moved on), or -errno (no answer, or one we cannot
 * trust: keep what we hold).
 */
int tp_recheck_next_ca(struct tp *tp, struct db_tp *st)
{
	char was[2 * EVP_MAX_MD_SIZE + 1] = "", now[2 * EVP_MAX_MD_SIZE + 1] = "";
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	X509 *held = tp_x509(st->shadow_ca_cert, st->shadow_ca_cert_len);
	X509 *next = NULL, *next_ra = NULL;
	bool had_shadow;
	int64_t t;
	int ret;

	if (tp_now(tp, &t) == 0 && ca_ended(st, t)) {
		ret = 0; /* the switch is due: nothing to recheck */
		goto out;
	}
	ret = ca && held ? get_next_ca(tp, ca, &next, &next_ra) : -EINVAL;
	if (ret == 0 && !X509_cmp(next, held))
		goto out; /* still the CA's rollover */
	if (ret < 0 && ret != -ENOENT)
		goto out;
	ret = ca_moved_on(tp, ca);
	if (ret != 0) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	scep_client_fingerprint(held, EVP_sha256(), was, sizeof(was));
	if (next)
		scep_client_fingerprint(next, EVP_sha256(), now, sizeof(now));
	had_shadow = st->shadow_id_cert != NULL;
	if (had_shadow)
		drop_shadow_identity(tp, st);
	ret = tp_set_blob(&st->shadow_ca_cert, &st->shadow_ca_cert_len, next);
	ret = ret ?: db_tp_put(tp->set->db, st);
	if (ret < 0)
		goto out;
	pkid_log(LOG_WARNING, "TP_ROLLOVER_WITHDRAWN",
		 "trustpoint %s: the CA no longer offers the rollover CA "
		 "certificate %s (cancelled); %s%s%s",
		 tp->cfg.name, was,
		 had_shadow ? "dropped the SHADOW identity issued under it, " :
			      "",
		 next ? "kept its new rollover CA certificate " :
			"dropped it, asking again for the next one",
		 now);
	if (had_shadow)
		tp_export(tp, st, "withdrawn");
	ret = 1;
out:
	X509_free(ca);
	X509_free(held);
	X509_free(next);
	X509_free(next_ra);
	return ret;
}

/*
 * The trustpoint of a sub-cs that rolls its own key over (auto-rollover)
 * at the end it shares with its parent: that rollover's certificate comes
 * from the parent's rollover CA and the promotion switches the
 * trustpoint (ca_sub_promoted), so a SHADOW of the old key would only be
 * dropped there.  It keeps the rollover CA certificate (the sub's request
 * goes to it) and waits.
 */
static int sub_shadow(struct tp *tp, struct db_tp *st)
{
	pkid_log(LOG_INFO, NULL,
		 "trustpoint %s: no SHADOW of the current key: server %s "
		 "rolls its key over at this end, certified by the parent's "
		 "rollover CA",
		 tp->cfg.name, tp->cfg.name);
	return tp_prefetch_next_ca(tp, st);
}

/*
 * SHADOW of an `enrollment terminal` trustpoint (issue 17: a sub that
 * keeps its key under an offline root, or any trustpoint of an offline
 * CA).  Nothing is fetched: the CA's rollover CA certificate comes as a
 * file (`pkictl server CA rollover export FILE` there, `trustpoint TP
 * import ca-certificate FILE` here, which calls this again).  Held: the
 * request for the same key under it is made as a file at once, for the
 * operator to carry (TERMINAL_REQUEST); the CA issues it from its
 * rollover CA (ca_sub_roll_next), and `import certificate` installs it
 * as the shadow identity, which switches at the CA's end as any.  Not
 * held: the step is said (log, `show health`) and nothing is armed.
 * Not while a request or a shadow identity exists.
 */
int tp_terminal_shadow(struct tp *tp, struct db_tp *st)
{
	char why[256] = "", end[32] = "?";
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	int64_t nb, na;
	int ret;

	if (st->pending_kind != TP_KIND_NONE || st->shadow_id_cert ||
	    !st->id_cert) {
		X509_free(ca);
		return 0;
	}
	if (ca && tp_cert_times(ca, &nb, &na) == 0)
		pkid_iso_time(na, end, sizeof(end));
	X509_free(ca);
	if (!st->shadow_ca_cert) {
		if (!tp->terminal_shadow_due)
			pkid_log(LOG_WARNING, "TERMINAL_REQUEST",
				 "trustpoint %s: enrollment terminal: SHADOW "
				 "is due (the CA ends %s): bring the CA's "
				 "rollover CA certificate (`pkictl server CA "
				 "rollover export FILE` there, `pkictl "
				 "trustpoint %s import ca-certificate FILE` "
				 "here); the SHADOW request is made then",
				 tp->cfg.name, end, tp->cfg.name);
		tp->terminal_shadow_due = true;
		return 0;
	}
	tp->terminal_shadow_due = false;
	tp_cancel(tp, PKIKS_TIMER_SHADOW); /* made now: nothing left due */
	ret = start_request(tp, TP_KIND_SHADOW, 0, why, sizeof(why));
	if (ret < 0)
		pkid_log(LOG_ERR, NULL,
			 "trustpoint %s: the SHADOW request is not made: %s",
			 tp->cfg.name, why[0] ? why : strerror(-ret));
	return ret;
}

/*
 * The switch at the CA's end: is the CA of the SHADOW identity the one the
 * CA serves?  A router off through a `rollover cancel` and the CA's end
 * comes back holding a SHADOW identity under a rollover the CA withdrew,
 * while the CA has promoted another; switching would install a chain
 * nobody serves (and, past the CA's end, the next-CA recheck that drops
 * it online no longer runs).  GetCACert is asked first:
 *   - the rollover held, or still the ended certificate (the CA's own
 *     promotion is late), or no answer (cannot tell): switch as planned;
 *   - a third certificate: the rollover held was withdrawn.  The SHADOW
 *     identity and its key pair are dropped and the missed-SHADOW
 *     recovery decides at once (tp_recover: the new CA is not the
 *     rollover held, so it cannot be trusted by itself).
 * 1 when withdrawn (identity dropped, row saved), 0 to switch, -errno.
 */
static int shadow_withdrawn(struct tp *tp, struct db_tp *st)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "", was[2 * EVP_MAX_MD_SIZE + 1] = "";
	char why[256] = "";
	X509 *held = tp_x509(st->shadow_ca_cert, st->shadow_ca_cert_len);
	X509 *cur = tp_x509(st->ca_cert, st->ca_cert_len);
	X509 *ca = NULL, *ra = NULL;
	int ret = 0;

	if (!held || !cur)
		goto out; /* nothing to compare: the switch reports it */
	if (tp_fetch_ca(tp, &ca, &ra, fp, sizeof(fp), why, sizeof(why)) < 0) {
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: GetCACert before the switch: %s; "
			 "switching to the rollover CA held",
			 tp->cfg.name, why);
		goto out;
	}
	if (!X509_cmp(ca, held) || !X509_cmp(ca, cur))
		goto out;
	scep_client_fingerprint(held, EVP_sha256(), was, sizeof(was));
	drop_shadow_identity(tp, st);
	ret = db_tp_put(tp->set->db, st);
	if (ret < 0)
		goto out;
	pkid_log(LOG_WARNING, "TP_ROLLOVER_WITHDRAWN",
		 "trustpoint %s: at the switch the CA serves %s, not the "
		 "rollover CA certificate %s held (cancelled); dropped the "
		 "SHADOW identity issued under it",
		 tp->cfg.name, fp, was);
	tp_export(tp, st, "withdrawn");
	ret = 1;
out:
	X509_free(held);
	X509_free(cur);
	X509_free(ca);
	X509_free(ra);
	return ret;
}

/* SHADOW at the CA's end with the SHADOW identity: switch, or recover.
 * An `enrollment terminal` trustpoint has no CA to ask (its rollover CA
 * came as a file): it switches. */
static int shadow_switch(struct tp *tp, struct db_tp *st, char *why, size_t n)
{
	int ret = tp->cfg.enrollment_terminal ? 0 : shadow_withdrawn(tp, st);

	if (ret < 0)
		return ret;
	if (ret == 0)
		return tp_switch_shadow(tp, st);
	return missed_shadow(tp, st, 0, why, n);
}

int tp_shadow(struct tp *tp)
{
	char why[256] = "";
	struct db_tp st;
	int64_t now;
	int ret = db_tp_get(tp->set->db, tp->cfg.name, &st);

	if (ret < 0)
		return ret;
	if (st.shadow_id_cert) {
		ret = shadow_switch(tp, &st, why, sizeof(why));
	} else if (tp->sub_own_roll) {
		ret = st.pending_kind == TP_KIND_NONE ? sub_shadow(tp, &st) : 0;
	} else if (tp_sub_rolling(tp)) {
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: no SHADOW of the current key: server "
			 "%s rolls its key over (`server rollover`)",
			 tp->cfg.name, tp->cfg.name);
	} else if (tp->cfg.enrollment_terminal) {
		ret = tp_terminal_shadow(tp, &st);
	} else if (st.pending_kind != TP_KIND_NONE) {
		ret = -EBUSY; /* a request is under way; its timer goes on */
	} else if (tp_now(tp, &now) == 0 && ca_ended(&st, now)) {
		ret = missed_shadow(tp, &st, 0, why, sizeof(why));
	} else {
		ret = fetch_next_ca(tp, &st, 0);
		if (ret == 0)
			ret = start_request(tp, TP_KIND_SHADOW, 0, why,
					    sizeof(why));
	}
	db_tp_free(&st);
	return ret;
}

/* The next step of the request in the row @st (POLL or CONNECT RETRY). */
static int continue_request(struct tp *tp, struct db_tp *st, char *why,
			    size_t n)
{
	enum tp_kind kind = tp_pending_kind(st);
	unsigned int count = st->poll_count;
	int64_t now;

	if (kind == TP_KIND_NONE || !strcmp(st->pending_tid, TP_TERMINAL_TID))
		return 0; /* a request on file waits for the operator */
	if (st->pending_tid[0] && !tp_pending_resend(st))
		return again_request(tp, kind, count, true, why, n);
	/* The CA has ended since: what was asked of it is moot. */
	if (kind != TP_KIND_ENROLL && kind != TP_KIND_SUBROLL &&
	    tp_now(tp, &now) == 0 && ca_ended(st, now))
		return missed_shadow(tp, st, count, why, n);
	if (tp_pending_resend(st))
		return again_request(tp, kind, count, false, why, n);
	if (kind == TP_KIND_SHADOW && !st->shadow_ca_cert)
		return fetch_next_ca(tp, st, count)
			       ?: start_request(tp, kind, 0, why, n);
	return start_request(tp, kind, count, why, n);
}

int tp_continue(struct tp *tp)
{
	char why[256] = "";
	struct db_tp st;
	int ret = db_tp_get(tp->set->db, tp->cfg.name, &st);

	if (ret < 0)
		return ret;
	ret = continue_request(tp, &st, why, sizeof(why));
	if (ret < 0 && why[0])
		pkid_log(LOG_ERR, NULL, "trustpoint %s: %s", tp->cfg.name, why);
	db_tp_free(&st);
	return ret;
}
