// SPDX-License-Identifier: MIT
/*
 * `mode sub-cs` (issue 17): a certificate server whose CA certificate
 * comes from a parent CA instead of being self-signed, as on IOS.
 *
 * The first `no shutdown` makes the CA key NAME in the keystore (by
 * pkiks-keygen, as for a root; usage sign+decrypt, because the trustpoint
 * NAME that enrolls it must open the parent's CertRep with it) and stops
 * there, -EINPROGRESS: the daemon then has trustpoint NAME request a CA
 * certificate for that key from the parent (daemon/client/tp_sub.c), with
 * the pending queue and POLL timers of any enrollment.  Each later start
 * looks at the trustpoint's row: once it holds a certificate for the key
 * NAME, the certificate is checked and becomes the CA's:
 *
 *   - it must be a CA certificate (basicConstraints cA TRUE, keyUsage
 *     keyCertSign when present): a parent that issued an end-entity
 *     certificate leaves the server stopped, saying so (CS_SUB_NOT_CA);
 *   - it must verify under the parent certificate the trustpoint holds.
 *
 * The parent's certificate (the trustpoint's CA certificate) is the
 * chain the server publishes after its own (GetCACert, `show server`).
 * The database row records only the CA's own certificate: the parent's
 * is read from the trustpoint at each load, so a parent that rolls over
 * is followed where the trustpoint follows it.  While the trustpoint
 * holds a shadow certificate for the CA key (the parent's rollover), the
 * server offers it as its rollover CA certificate (sub_rollover), and
 * takes it as its certificate when the trustpoint switches
 * (ca_sub_refresh).
 *
 * The sub's own rollover (`auto-rollover`, `server rollover`): the
 * rollover key NAME# is made as a root's (ca_rollover.c, KEY_MADE), but
 * its certificate comes from the parent: trustpoint NAME requests it
 * (tp_sub_roll_request), signed by the current CA certificate; the
 * parent issues it from the current certificate's end (ca_subpolicy.c);
 * the trustpoint puts it in the CA's row and ca_sub_roll_accept() checks
 * it and makes it AVAILABLE.  From there it is a root's rollover:
 * GetNextCACert, SHADOW requests issued by NAME#, promotion at the end,
 * where the trustpoint's identity becomes the new certificate too
 * (ca_sub_promoted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/ctl.h"
#include "core/log.h"

bool ca_is_sub(const struct ca *ca)
{
	return ca->cfg.mode == PKID_MODE_SUB_CS;
}

/* A CA certificate: cA TRUE, and keyCertSign if keyUsage is there. */
static const char *not_ca_reason(X509 *x)
{
	uint32_t flags = X509_get_extension_flags(x);

	if (!(flags & EXFLAG_CA))
		return "the parent issued a certificate that is not a CA "
		       "certificate (no basicConstraints cA TRUE)";
	if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN))
		return "the parent issued a CA certificate without keyUsage "
		       "keyCertSign";
	return NULL;
}

/* The trustpoint's parent and identity certificates, and its shadow
 * identity when asked for (owned; NULL where it holds none). */
static int tp_certs_shadow(struct ca *ca, X509 **parent, X509 **id,
			   X509 **shadow)
{
	struct db_tp tp = {0};
	int ret = db_tp_get(ca->db, ca->cfg.name, &tp);

	*parent = *id = NULL;
	if (shadow)
		*shadow = NULL;
	if (ret < 0)
		return ret;
	*parent = ca_x509_from_der(tp.ca_cert, tp.ca_cert_len);
	*id = ca_x509_from_der(tp.id_cert, tp.id_cert_len);
	if (shadow)
		*shadow = ca_x509_from_der(tp.shadow_id_cert,
					   tp.shadow_id_cert_len);
	db_tp_free(&tp);
	return 0;
}

static int tp_certs(struct ca *ca, X509 **parent, X509 **id)
{
	return tp_certs_shadow(ca, parent, id, NULL);
}

/* Take the trustpoint's certificate as the CA's, once it is one. */
static int adopt(struct ca *ca, X509 *parent, X509 *id, struct db_ca *row,
		 const char **why)
{
	char fp[CA_FP_HEX_MAX];
	int ret;

	*why = not_ca_reason(id);
	if (*why) {
		pkid_log(LOG_ERR, "CS_SUB_NOT_CA", "%s: not started: %s",
			 ca->cfg.name, *why);
		return -EPERM;
	}
	if (!parent || X509_verify(id, X509_get0_pubkey(parent)) != 1) {
		*why = "the CA certificate from the parent does not verify "
		       "under the parent's certificate";
		return -EPERM;
	}
	free(row->cur_cert);
	row->cur_cert = NULL;
	ret = ca_x509_der(id, &row->cur_cert, &row->cur_cert_len);
	ret = ret ?: db_ca_put(ca->db, row);
	if (ret < 0) {
		*why = "cannot record the CA certificate";
		return ret;
	}
	ca_fingerprint(id, fp, sizeof(fp));
	pkid_log(LOG_NOTICE, "CS_SUB_CA_INSTALLED",
		 "%s: CA certificate %s from the parent installed", ca->cfg.name,
		 fp);
	return 0;
}

int ca_sub_create(struct ca *ca, struct db_ca *row, const char **why)
{
	X509 *parent = NULL, *id = NULL;
	int ret;

	ret = ca_key_and_row(ca, row, false, why);
	if (ret < 0)
		return ret;
	ret = tp_certs(ca, &parent, &id);
	if (ret == 0 && id && ca_key_matches(ca, ca->cfg.name, id) == 1)
		ret = adopt(ca, parent, id, row, why);
	else if (ret == 0 || ret == -ENOENT) {
		*why = CA_SUB_WAIT_MSG;
		ret = -EINPROGRESS;
	}
	X509_free(parent);
	X509_free(id);
	return ret;
}

/* The RA's certificate under the rollover CA view (same RA key): the one
 * written before if it still fits, else a new one from the view's start. */
static int roll_ra(struct ca *ca, struct ca_pub *pub, int64_t start)
{
	struct ca_pub view = {0};
	char path[PKID_CONF_URL_MAX + 80];
	X509 *ra;
	int ret = ca_ra_path(ca, true, path, sizeof(path));

	if (ret < 0)
		return ret;
	ra = ca_read_der_file(path);
	if (ra && X509_verify(ra, X509_get0_pubkey(pub->k.roll_cert)) == 1 &&
	    !X509_NAME_cmp(X509_get_issuer_name(ra),
			   X509_get_subject_name(pub->k.roll_cert)) &&
	    X509_check_private_key(ra, pub->k.ra_key) == 1) {
		pub->k.roll_ra_cert = ra;
	} else {
		X509_free(ra);
		view.k.ca_cert = pub->k.roll_cert;
		view.k.ca_key = pub->k.roll_key;
		ret = ca_ra_issue(ca, &view, pub->k.ra_key, start, path,
				  &pub->k.roll_ra_cert);
	}
	if (ret == 0) {
		EVP_PKEY_up_ref(pub->k.ra_key);
		pub->k.roll_ra_key = pub->k.ra_key;
	}
	return ret;
}

/*
 * Trustpoint NAME holds a shadow certificate for the CA's key (the
 * parent's rollover: same key, from the parent's end): the sub offers it
 * as its rollover CA certificate, so that its routers SHADOW across the
 * parent's end as against a root's rollover (GetNextCACert signed by the
 * current certificate, requests enveloped to it issued from its start
 * with the same key).  The trustpoint's switch at that end makes it the
 * CA's certificate (ca_sub_refresh).
 */
static int sub_rollover(struct ca *ca, struct ca_pub *pub, X509 *shadow)
{
	int64_t start;
	int ret;

	/* With `auto-rollover` the sub makes a new key before that same end
	 * (the shadow starts where the sub's certificate and its parent's
	 * end) and has it certified by the parent's rollover CA: that is the
	 * rollover its routers SHADOW against, not this one, whose key is
	 * dropped at the promotion (ca_sub_promoted).  Offered only when the
	 * sub's own rollover was refused. */
	if (ca->cfg.auto_rollover && !ca->sub_roll_refused)
		return 0;
	if (!shadow || pub->k.roll_cert || not_ca_reason(shadow) ||
	    !X509_cmp(shadow, pub->k.ca_cert) ||
	    EVP_PKEY_eq(pub->k.ca_key, X509_get0_pubkey(shadow)) != 1)
		return 0;
	ret = ca_time_of(X509_get0_notBefore(shadow), &start);
	if (ret < 0)
		return ret;
	X509_up_ref(shadow);
	pub->k.roll_cert = shadow;
	EVP_PKEY_up_ref(pub->k.ca_key);
	pub->k.roll_key = pub->k.ca_key;
	if (pub->k.ra_key)
		ret = roll_ra(ca, pub, start);
	return ret;
}

int ca_sub_chain(struct ca *ca, struct ca_pub *pub)
{
	X509 *parent = NULL, *id = NULL, *shadow = NULL;
	int ret;

	if (!ca_is_sub(ca))
		return 0;
	ret = tp_certs_shadow(ca, &parent, &id, &shadow);
	X509_free(id);
	if (ret == 0)
		ret = sub_rollover(ca, pub, shadow);
	X509_free(shadow);
	if (ret < 0 || !parent) {
		pkid_log(LOG_ERR, "CS_SUB_CHAIN",
			 "%s: the parent's certificate (trustpoint %s) is "
			 "missing",
			 ca->cfg.name, ca->cfg.name);
		X509_free(parent);
		return ret < 0 ? ret : -ENOENT;
	}
	if (X509_verify(pub->k.ca_cert, X509_get0_pubkey(parent)) != 1)
		pkid_log(LOG_ERR, "CS_SUB_CHAIN",
			 "%s: the CA certificate does not verify under the "
			 "parent certificate trustpoint %s holds now",
			 ca->cfg.name, ca->cfg.name);
	pub->k.chain = sk_X509_new_null();
	if (!pub->k.chain || !sk_X509_push(pub->k.chain, parent)) {
		X509_free(parent);
		return -ENOMEM;
	}
	return 0;
}

/* What is wrong with @x as the rollover CA certificate of @row (key
 * @key), issued by @parent; NULL if nothing. */
static const char *roll_bad(struct ca *ca, const struct db_ca *row, X509 *x,
			    X509 *parent)
{
	X509 *cur = ca_x509_from_der(row->cur_cert, row->cur_cert_len);
	const char *why = not_ca_reason(x);
	int64_t start = 0, end = 0, cur_end = 0;

	if (!why && ca_key_matches(ca, row->roll_key, x) != 1)
		why = "it is not for the rollover key";
	if (!why && (!cur || X509_NAME_cmp(X509_get_subject_name(x),
					  X509_get_subject_name(cur))))
		why = "its subject is not the CA's";
	if (!why && (!parent || X509_verify(x, X509_get0_pubkey(parent)) != 1))
		why = "it does not verify under the parent's certificate";
	if (!why && (ca_time_of(X509_get0_notBefore(x), &start) < 0 ||
		     ca_time_of(X509_get0_notAfter(x), &end) < 0 ||
		     ca_time_of(X509_get0_notAfter(cur), &cur_end) < 0 ||
		     end <= cur_end))
		why = "it ends no later than the current CA certificate (the "
		      "parent's end truncated it)";
	if (!why && start > cur_end)
		why = "it starts after the current CA certificate ends (a gap)";
	X509_free(cur);
	ERR_clear_error();
	return why;
}

/* The parent that issued @x: the trustpoint's CA, or its rollover CA. */
static X509 *roll_parent(struct ca *ca, X509 *x)
{
	struct db_tp tp = {0};
	X509 *p = NULL, *next = NULL;

	if (db_tp_get(ca->db, ca->cfg.name, &tp) < 0)
		return NULL;
	p = ca_x509_from_der(tp.ca_cert, tp.ca_cert_len);
	next = ca_x509_from_der(tp.shadow_ca_cert, tp.shadow_ca_cert_len);
	db_tp_free(&tp);
	if (p && next && X509_verify(x, X509_get0_pubkey(p)) != 1) {
		X509_free(p);
		p = next;
		next = NULL;
	}
	X509_free(next);
	ERR_clear_error();
	return p;
}

static int roll_archive(struct ca *ca, const struct db_ca *row, X509 *x)
{
	char p12[PKID_CONF_URL_MAX + 64], pem[PKID_CONF_URL_MAX + 64];
	int ret;

	if (!ca->cfg.archive_password[0])
		return 0;
	ret = ca_archive_paths(ca, row->archive_counter, p12, pem,
			       sizeof(p12));
	return ret ?: ca_write_cert_pem(pem, x);
}

/*
 * The sub's own rollover certificate is AVAILABLE: a shadow certificate
 * trustpoint NAME holds for the current key (it followed the parent's
 * rollover before the operator's `server rollover`) is for a key the
 * promotion retires.  Kept until now (until the parent certified NAME#,
 * it was the sub's only way across the parent's end), dropped now, so
 * the sub offers NAME#'s certificate (sub_rollover no longer sees it)
 * and routers that SHADOWed against it see a replaced rollover CA at
 * their next-CA recheck and SHADOW again; and the trustpoint no longer
 * plans a switch to it at the end (ca_sub_take_rearm, tp_sub_rearm).
 * The key is the CA's: nothing is deleted.
 */
static void drop_retiring_shadow(struct ca *ca)
{
	struct db_tp tp = {0};
	X509 *shadow;

	if (db_tp_get(ca->db, ca->cfg.name, &tp) < 0)
		return;
	shadow = ca_x509_from_der(tp.shadow_id_cert, tp.shadow_id_cert_len);
	if (shadow && ca_key_matches(ca, ca->cfg.name, shadow) == 1) {
		free(tp.shadow_id_cert);
		tp.shadow_id_cert = NULL;
		tp.shadow_id_cert_len = 0;
		tp.shadow_key[0] = '\0';
		if (db_tp_put(ca->db, &tp) == 0) {
			pkid_log(LOG_NOTICE, "CS_SUB_ROLLOVER",
				 "%s: trustpoint %s's shadow certificate for "
				 "the retiring key %s is dropped: %s%s's "
				 "certificate is the rollover CA now (routers "
				 "that SHADOWed against the old one SHADOW "
				 "again at their next-CA recheck)",
				 ca->cfg.name, ca->cfg.name, ca->cfg.name,
				 ca->cfg.name, CA_ROLL_SUFFIX);
			ca->sub_tp_rearm = true;
		}
	}
	X509_free(shadow);
	db_tp_free(&tp);
}

bool ca_sub_take_rearm(struct ca *ca)
{
	bool yes;

	pthread_mutex_lock(&ca->lock);
	yes = ca->sub_tp_rearm;
	ca->sub_tp_rearm = false;
	pthread_mutex_unlock(&ca->lock);
	return yes;
}

bool ca_sub_take_promoted(struct ca *ca)
{
	bool yes;

	pthread_mutex_lock(&ca->lock);
	yes = ca->sub_tp_promoted;
	ca->sub_tp_promoted = false;
	pthread_mutex_unlock(&ca->lock);
	return yes;
}

int ca_sub_roll_accept(struct ca *ca, struct db_ca *row)
{
	char fp[CA_FP_HEX_MAX], from[32];
	X509 *x, *parent = NULL;
	const char *why;
	int64_t start = 0;
	int ret;

	if (row->rollover != DB_ROLLOVER_KEY_MADE || !row->roll_cert)
		return -EINPROGRESS;
	x = ca_x509_from_der(row->roll_cert, row->roll_cert_len);
	parent = x ? roll_parent(ca, x) : NULL;
	why = x ? roll_bad(ca, row, x, parent)
		: "the stored certificate is unreadable";
	if (why) {
		pkid_log(LOG_ERR, "CS_SUB_ROLLOVER",
			 "%s: the rollover CA certificate from the parent is "
			 "refused: %s; `server rollover cancel` and ask again",
			 ca->cfg.name, why);
		ca->sub_roll_refused = true;
		free(row->roll_cert);
		row->roll_cert = NULL;
		row->roll_cert_len = 0;
		ret = db_ca_put(ca->db, row);
		ret = ret ?: -EPERM;
		goto out;
	}
	ret = roll_archive(ca, row, x);
	if (ret < 0)
		goto out;
	row->rollover = DB_ROLLOVER_AVAILABLE;
	ret = db_ca_put(ca->db, row);
	if (ret < 0)
		goto out;
	ca_fingerprint(x, fp, sizeof(fp));
	ca_time_of(X509_get0_notBefore(x), &start);
	ca_iso_time(start, from, sizeof(from));
	pkid_log(LOG_NOTICE, "CS_ROLLOVER_AVAILABLE",
		 "%s: rollover CA certificate from the parent, fingerprint "
		 "%s, valid from %s",
		 ca->cfg.name, fp, from);
	drop_retiring_shadow(ca);
out:
	X509_free(x);
	X509_free(parent);
	return ret;
}

bool ca_sub_roll_waiting(struct ca *ca)
{
	struct db_ca row = {0};
	bool waiting = ca_is_sub(ca) &&
		       db_ca_get(ca->db, ca->cfg.name, &row) == 0 &&
		       row.rollover == DB_ROLLOVER_KEY_MADE;

	db_ca_free(&row);
	return waiting;
}

void ca_set_kick(struct ca *ca, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&ca->lock);
	ca->kick = fn;
	ca->kick_arg = arg;
	pthread_mutex_unlock(&ca->lock);
}

bool ca_sub_roll_wanted(struct ca *ca)
{
	struct db_ca row = {0};
	bool wanted = false;

	pthread_mutex_lock(&ca->lock);
	if (ca->running && ca_is_sub(ca) && !ca->sub_roll_refused &&
	    db_ca_get(ca->db, ca->cfg.name, &row) == 0)
		wanted = row.rollover == DB_ROLLOVER_KEY_MADE && !row.roll_cert;
	db_ca_free(&row);
	pthread_mutex_unlock(&ca->lock);
	return wanted;
}

bool ca_sub_roll_note(struct ca *ca, const char *why)
{
	bool changed;

	pthread_mutex_lock(&ca->lock);
	changed = strcmp(ca->sub_roll_why, why ? why : "") != 0;
	snprintf(ca->sub_roll_why, sizeof(ca->sub_roll_why), "%s",
		 why ? why : "");
	pthread_mutex_unlock(&ca->lock);
	return changed;
}

/*
 * The new CA certificate @cur was issued by the parent's rollover CA the
 * trustpoint holds (both rollovers at one end: the sub's certificate
 * ended with its parent's, ca_subpolicy.c): that end is now, so the
 * trustpoint switches to the rollover CA with it, as its SHADOW switch
 * would; the new parent's RA is asked for before its next request.
 */
static int follow_parent(struct ca *ca, struct db_tp *tp, X509 *cur)
{
	X509 *parent = ca_x509_from_der(tp->ca_cert, tp->ca_cert_len);
	X509 *next = ca_x509_from_der(tp->shadow_ca_cert,
				      tp->shadow_ca_cert_len);
	int ret = 0;

	if (!cur || !next || X509_verify(cur, X509_get0_pubkey(next)) != 1 ||
	    (parent && X509_verify(cur, X509_get0_pubkey(parent)) == 1))
		goto out;
	free(tp->ca_cert);
	free(tp->ra_cert);
	tp->ca_cert = tp->shadow_ca_cert;
	tp->ca_cert_len = tp->shadow_ca_cert_len;
	tp->shadow_ca_cert = NULL;
	tp->shadow_ca_cert_len = 0;
	tp->ra_cert = NULL;
	tp->ra_cert_len = 0;
	/* A request of the old key still under way (a SHADOW under the
	 * parent's rollover CA, a renewal under the ended one) is moot now;
	 * 0 is the trustpoint's "none" (its timers find nothing to do). */
	tp->pending_kind = 0;
	tp->pending_tid[0] = '\0';
	tp->poll_count = 0;
	pkid_log(LOG_NOTICE, "CS_SUB_ROLLOVER",
		 "%s: the new CA certificate is the parent's rollover CA's: "
		 "trustpoint %s switched to that CA with it",
		 ca->cfg.name, ca->cfg.name);
	ret = 1;
out:
	X509_free(parent);
	X509_free(next);
	ERR_clear_error();
	return ret;
}

/*
 * The trustpoint's identity follows the CA: its key NAME is now the old
 * NAME#, so the certificate it signs renewals with is the new CA
 * certificate.  A shadow identity for the old key (the parent's
 * rollover, requested before) is dropped: that key is gone; the
 * trustpoint SHADOWs again with the new one.  When the new certificate
 * comes from the parent's rollover CA, the trustpoint takes that CA too.
 */
int ca_sub_promoted(struct ca *ca, const struct db_ca *row)
{
	struct db_tp tp = {0};
	X509 *shadow, *cur;
	int ret;

	if (!ca_is_sub(ca))
		return 0;
	ret = db_tp_get(ca->db, ca->cfg.name, &tp);
	if (ret < 0)
		return ret;
	cur = ca_x509_from_der(row->cur_cert, row->cur_cert_len);
	follow_parent(ca, &tp, cur);
	X509_free(cur);
	free(tp.id_cert);
	tp.id_cert = malloc(row->cur_cert_len);
	if (!tp.id_cert) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(tp.id_cert, row->cur_cert, row->cur_cert_len);
	tp.id_cert_len = row->cur_cert_len;
	snprintf(tp.id_key, sizeof(tp.id_key), "%s", ca->cfg.name);
	shadow = ca_x509_from_der(tp.shadow_id_cert, tp.shadow_id_cert_len);
	if (shadow && ca_key_matches(ca, ca->cfg.name, shadow) != 1) {
		pkid_log(LOG_NOTICE, "CS_SUB_ROLLOVER",
			 "%s: trustpoint %s's shadow certificate was for the "
			 "old key: dropped, it shadows again with the new one",
			 ca->cfg.name, ca->cfg.name);
		free(tp.shadow_id_cert);
		tp.shadow_id_cert = NULL;
		tp.shadow_id_cert_len = 0;
		tp.shadow_key[0] = '\0';
	}
	X509_free(shadow);
	ret = db_tp_put(ca->db, &tp);
out:
	db_tp_free(&tp);
	return ret;
}

void ca_sub_show(struct ca *ca, json_t *o, struct ctl_reply *reply)
{
	char fp[CA_FP_HEX_MAX], dn[PKID_CONF_DN_MAX];
	json_t *chain = json_array();
	int i, n = sk_X509_num(ca->pub->k.chain);

	if (!ca_is_sub(ca))
		return;
	json_object_set_new(o, "mode", json_string("sub-cs"));
	ctl_reply_printf(reply, "    Mode: subordinate CA (sub-cs), its "
				"certificate from trustpoint %s\n",
			 ca->cfg.name);
	for (i = 0; i < n; i++) {
		X509 *x = sk_X509_value(ca->pub->k.chain, i);

		ca_dn_text(X509_get_subject_name(x), dn, sizeof(dn));
		ca_fingerprint(x, fp, sizeof(fp));
		json_array_append_new(chain, json_pack("{s:s, s:s}", "subject",
						       dn, "fingerprint", fp));
		ctl_reply_printf(reply,
				 "    %s CA: %s\n"
				 "      fingerprint (SHA-256): %s\n",
				 i == 0 ? "Parent" : "Chain", dn, fp);
	}
	json_object_set_new(o, "chain", chain);
}

/*
 * A running sub-cs whose trustpoint got a new certificate for the same
 * key (a RENEW at the parent, or the switch to a certificate under the
 * parent's rollover CA with its new root): the CA takes it and
 * publishes the new certificate and chain.  Certificates the CA issued
 * stay valid under it (same subject, same key).  Another key's
 * certificate (auto-enroll regenerate) is not taken: the CA's key does
 * not change under it.
 */
static int refresh_locked(struct ca *ca, int64_t now)
{
	struct db_ca row = {0};
	X509 *parent = NULL, *id = NULL;
	const char *why = NULL;
	int ret = tp_certs(ca, &parent, &id);

	if (ret < 0 || !id || !parent)
		goto out;
	if (ca_key_matches(ca, ca->cfg.name, id) != 1) {
		pkid_log(LOG_ERR, "CS_SUB_CHAIN",
			 "%s: trustpoint %s holds a certificate for another "
			 "key: the CA keeps its certificate",
			 ca->cfg.name, ca->cfg.name);
		goto out;
	}
	ret = db_ca_get(ca->db, ca->cfg.name, &row);
	/* The sub's own rollover: the parent's certificate for NAME#. */
	if (ret == 0 && row.rollover == DB_ROLLOVER_KEY_MADE && row.roll_cert)
		ca_sub_roll_accept(ca, &row);
	/* A new certificate is taken; the same one is published again with
	 * what changed around it (parent, shadow: the rollover CA).  Not
	 * while the CA's own rollover is under way: a certificate for the
	 * current key that ends later (the trustpoint's switch to a shadow
	 * made before it) would move the promotion, which brings the new
	 * key's certificate anyway. */
	if (ret == 0 && X509_cmp(id, ca->pub->k.ca_cert)) {
		if (row.rollover == DB_ROLLOVER_NONE)
			ret = adopt(ca, parent, id, &row, &why);
		else
			pkid_log(LOG_NOTICE, "CS_SUB_CHAIN",
				 "%s: trustpoint %s holds a new certificate "
				 "for the current key while the CA's own "
				 "rollover is under way: not taken, the "
				 "promotion brings its successor",
				 ca->cfg.name, ca->cfg.name);
	}
	ret = ret ?: ca_load(ca, &row, now);
	if (ret == 0)
		ca_rollover_arm(ca);
	else
		pkid_log(LOG_ERR, "CS_SUB_CHAIN",
			 "%s: the new certificate from the parent is not taken: "
			 "%s",
			 ca->cfg.name, why ? why : strerror(-ret));
out:
	db_ca_free(&row);
	X509_free(parent);
	X509_free(id);
	return ret;
}

int ca_sub_refresh(struct ca *ca)
{
	int64_t now;
	int ret = 0;

	pthread_mutex_lock(&ca->lock);
	if (ca->running && ca_is_sub(ca) && ca_now(ca, &now) == 0)
		ret = refresh_locked(ca, now);
	pthread_mutex_unlock(&ca->lock);
	return ret;
}
