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
		if (st->pending_tid[0])
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
		 tp->cfg.name, tp->cfg.name, tp->cfg.enrollment_url);
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
