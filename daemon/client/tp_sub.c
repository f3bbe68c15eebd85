// SPDX-License-Identifier: MIT
/*
 * The trustpoint of a subordinate CA (`crypto pki server NAME` with `mode
 * sub-cs`, issue 17).  As on IOS, the trustpoint of the server's name
 * gets the CA's certificate from the parent: its key is the CA key NAME
 * (made by the CA at `no shutdown`), its request asks for a CA
 * (basicConstraints cA TRUE) with the server's issuer-name as subject,
 * and the ordinary enrollment machinery carries it: PENDING and POLL
 * while the parent's operator has not granted it, CONNECT RETRY while
 * the parent is unreachable.  Once a certificate is installed the
 * daemon's hook (tp_set_sub_hook) tells the CA to look again; so does a
 * request that gave up (refused by the parent), for the CA to say so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "tp_internal.h"

void tp_set_sub_hook(struct tp_set *set, void (*fn)(void *arg), void *arg)
{
	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	set->sub_hook = fn;
	set->sub_arg = arg;
	pthread_mutex_unlock(&set->lock);
}

void tp_sub_changed(struct tp *tp)
{
	if (tp->sub_cs && tp->set->sub_hook)
		tp->set->sub_hook(tp->set->sub_arg);
}

/* Authenticated, or authenticate now with the configured fingerprint. */
static int sub_authenticated(struct tp *tp, struct db_tp *st, char *why,
			     size_t n)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1];
	int ret = db_tp_get(tp->set->db, tp->cfg.name, st);

	if (ret == 0 && st->ca_cert)
		return 0;
	if (ret == 0)
		db_tp_free(st);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (tp->cfg.enrollment_terminal) {
		snprintf(why, n,
			 "the parent CA is not authenticated: bring its "
			 "certificate, `pkictl trustpoint %s import "
			 "ca-certificate FILE`",
			 tp->cfg.name);
		return -EPERM;
	}
	if (!tp->cfg.fingerprint[0]) {
		snprintf(why, n,
			 "the parent CA is not authenticated: `pkictl "
			 "trustpoint %s authenticate`, or configure its "
			 "fingerprint",
			 tp->cfg.name);
		return -EPERM;
	}
	ret = tp_authenticate(tp, false, fp, sizeof(fp), why, n);
	return ret ?: db_tp_get(tp->set->db, tp->cfg.name, st);
}

/* What the row says: 0 a certificate to take, else why not. */
static int sub_state(struct tp *tp, const struct db_tp *st, char *why,
		     size_t n)
{
	if (st->id_cert)
		return 0; /* the CA takes it (or says why not) */
	if (st->pending_kind != TP_KIND_NONE) {
		if (!strcmp(st->pending_tid, TP_TERMINAL_TID))
			snprintf(why, n,
				 "enrollment terminal: the request waits to "
				 "be carried to the parent (`pkictl trustpoint "
				 "%s enroll` prints it; `import certificate` "
				 "takes the answer)",
				 tp->cfg.name);
		else if (tp_pending_resend(st))
			snprintf(why, n, "request %s got no answer from the "
					 "parent CA yet: sent again at CONNECT "
					 "RETRY",
				 st->pending_tid);
		else if (st->pending_tid[0])
			snprintf(why, n, "request %s pending at the parent CA",
				 st->pending_tid);
		else
			snprintf(why, n, "the parent CA is not answered yet "
					 "(CONNECT RETRY)");
		return -EINPROGRESS;
	}
	return -ENOENT;
}

static int sub_request_locked(struct tp *tp, char *why, size_t n)
{
	struct db_tp st;
	int ret = sub_authenticated(tp, &st, why, n);

	if (ret < 0)
		return ret;
	ret = sub_state(tp, &st, why, n);
	db_tp_free(&st);
	if (ret != -ENOENT)
		return ret;
	/* Refused (or out of retries) since this pkid started: the operator
	 * asks again, never a loop of requests the parent refuses. */
	if (tp->gave_up_at) {
		snprintf(why, n,
			 "the parent CA refused the request or it gave up (see "
			 "ENROLL_FAILED); `pkictl trustpoint %s enroll` asks "
			 "again",
			 tp->cfg.name);
		return -EKEYREJECTED;
	}
	pkid_log(LOG_INFO, NULL,
		 "trustpoint %s: requesting the CA certificate of server %s "
		 "from %s",
		 tp->cfg.name, tp->cfg.name,
		 tp->cfg.enrollment_terminal ? "the parent by hand (enrollment "
					       "terminal)"
					     : tp->cfg.enrollment_url);
	ret = tp_enroll(tp, TP_KIND_ENROLL, why, n);
	if (ret < 0 && why[0])
		return ret == -EKEYREJECTED ? ret : -EINPROGRESS;
	/* Issued (installed, the hook ran), pending, retrying or refused. */
	ret = db_tp_get(tp->set->db, tp->cfg.name, &st);
	if (ret < 0)
		return ret;
	ret = sub_state(tp, &st, why, n);
	db_tp_free(&st);
	if (ret == -ENOENT) {
		snprintf(why, n,
			 "the parent CA refused the request (see "
			 "ENROLL_FAILED); `pkictl trustpoint %s enroll` "
			 "asks again",
			 tp->cfg.name);
		ret = -EKEYREJECTED;
	}
	return ret;
}

int tp_sub_request(struct tp_set *set, const char *name, char *why, size_t n)
{
	struct tp *tp;
	int ret;

	why[0] = '\0';
	if (!set)
		return -ENOENT;
	pthread_mutex_lock(&set->lock);
	tp = tp_find(set, name);
	ret = tp && tp->sub_cs ? sub_request_locked(tp, why, n) : -ENOENT;
	pthread_mutex_unlock(&set->lock);
	return ret;
}

/*
 * The sub's own rollover (issue 17): the CA made its rollover key NAME#
 * (ca_rollover.c, state KEY_MADE) and asks for its CA certificate here.
 * The request is a re-enrollment signed by the sub's current CA
 * certificate (the parent grants it with `grant auto rollover ca-cert`,
 * or its operator does) for the key NAME#; the parent issues it from the
 * end of the certificate that signed (ca_issue.c).  What comes back is
 * not the trustpoint's identity: it goes to the CA's row as its rollover
 * certificate, which the CA checks and publishes (ca_sub_refresh).
 */
int tp_sub_roll_issued(struct tp *tp, struct db_tp *st, const char *key_name,
		       X509 *cert)
{
	struct db_ca row = {0};
	int ret = db_ca_get(tp->set->db, tp->cfg.name, &row);

	if (ret == 0 && (row.rollover != DB_ROLLOVER_KEY_MADE ||
			 strcmp(row.roll_key, key_name))) {
		/* Cancelled meanwhile (`server rollover cancel`). */
		pkid_log(LOG_WARNING, NULL,
			 "trustpoint %s: the parent issued the rollover CA "
			 "certificate for %s, but the CA no longer waits for "
			 "it: dropped",
			 tp->cfg.name, key_name);
	} else if (ret == 0) {
		ret = tp_set_blob(&row.roll_cert, &row.roll_cert_len, cert);
		ret = ret ?: db_ca_put(tp->set->db, &row);
		if (ret == 0)
			pkid_log(LOG_NOTICE, NULL,
				 "trustpoint %s: the parent issued the "
				 "rollover CA certificate for key %s",
				 tp->cfg.name, key_name);
	}
	db_ca_free(&row);
	snprintf(st->pending_tid, sizeof(st->pending_tid), "%s", "");
	st->pending_kind = TP_KIND_NONE;
	st->poll_count = 0;
	if (db_tp_put(tp->set->db, st) < 0 && ret == 0)
		ret = -EIO;
	tp_cancel(tp, PKIKS_TIMER_POLL);
	tp_sub_changed(tp);
	return ret;
}

static int roll_request_locked(struct tp *tp, char *why, size_t n)
{
	struct db_tp st;
	int ret = db_tp_get(tp->set->db, tp->cfg.name, &st);

	if (ret < 0)
		return ret;
	if (tp_pending_kind(&st) == TP_KIND_SUBROLL)
		ret = -EINPROGRESS;
	else if (st.pending_kind != TP_KIND_NONE)
		ret = -EBUSY; /* the CA asks again at its next look */
	else if (!st.id_cert)
		ret = -ENOENT;
	db_tp_free(&st);
	if (ret < 0)
		return ret;
	pkid_log(LOG_INFO, NULL,
		 "trustpoint %s: requesting the rollover CA certificate of "
		 "server %s (key %s%s) from %s",
		 tp->cfg.name, tp->cfg.name, tp->cfg.rsakeypair, "#",
		 tp->cfg.enrollment_terminal ? "the parent by hand (enrollment "
					       "terminal)"
					     : tp->cfg.enrollment_url);
	ret = tp_enroll(tp, TP_KIND_SUBROLL, why, n);
	/* Not answered yet, or the parent's rollover CA not there yet: the
	 * request is on file and its CONNECT RETRY asks again. */
	if (ret < 0 && db_tp_get(tp->set->db, tp->cfg.name, &st) == 0) {
		if (tp_pending_kind(&st) == TP_KIND_SUBROLL)
			ret = -EINPROGRESS;
		db_tp_free(&st);
	}
	return ret;
}

int tp_sub_roll_request(struct tp_set *set, const char *name, char *why,
			size_t n)
{
	struct tp *tp;
	int ret;

	why[0] = '\0';
	if (!set)
		return -ENOENT;
	pthread_mutex_lock(&set->lock);
	tp = tp_find(set, name);
	ret = tp && tp->sub_cs ? roll_request_locked(tp, why, n) : -ENOENT;
	pthread_mutex_unlock(&set->lock);
	return ret;
}

/*
 * Is server NAME rolling its own key over (`server rollover` or
 * auto-rollover: its row past NONE)?  Then its trustpoint makes no SHADOW
 * of the current key: the promotion retires that key and brings the new
 * one's certificate, and a shadow made before is dropped once NAME# is
 * certified (ca_sub.c).  A cancel plans SHADOW again (tp_sub_rearm).
 */
bool tp_sub_rolling(struct tp *tp)
{
	struct db_ca row = {0};
	bool yes;

	/* (with auto-rollover, tp_shadow's sub_shadow says it already) */
	if (!tp->sub_cs || tp->ra || tp->sub_own_roll)
		return false;
	yes = db_ca_get(tp->set->db, tp->cfg.name, &row) == 0 &&
	      row.rollover != DB_ROLLOVER_NONE;
	db_ca_free(&row);
	return yes;
}

/* The CA promoted its rollover certificate and wrote it as the
 * trustpoint's identity: RENEW/SHADOW follow the new certificate. */
void tp_sub_rearm(struct tp_set *set, const char *name, bool promoted)
{
	struct db_tp st;
	struct tp *tp;
	int64_t at;

	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	tp = tp_find(set, name);
	if (tp && tp->sub_cs && db_tp_get(set->db, name, &st) == 0) {
		if (st.id_cert && st.pending_kind == TP_KIND_NONE)
			tp_arm_lifecycle(tp, &st, &at);
		/* `certificate export` and on-change follow the identity,
		 * as after a trustpoint's own SHADOW switch. */
		if (promoted && st.id_cert)
			tp_export(tp, &st, "switched");
		db_tp_free(&st);
	}
	pthread_mutex_unlock(&set->lock);
}
