// SPDX-License-Identifier: MIT
/*
 * When a trustpoint acts next (ROLLOVER.md §4.1, §4.2).
 *
 *   identity ends before its CA   RENEW  at notBefore + PCT % of lifetime
 *   identity ends with its CA     SHADOW at the same instant
 *   no auto-enroll, CA announces  SHADOW at 90 % of the CA's validity
 *     GetNextCACert
 *   pending / unreachable         POLL / CONNECT RETRY after
 *                                 period x 2^n, capped at max-period
 *
 * An instant already past arms the timer at now: it fires at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto/scep/scep_client.h"
#include "tp_internal.h"
#include "core/log.h"

#define NS_PER_SEC	 1000000000LL
#define TP_SHADOW_CA_PCT 90

int tp_arm(struct tp *tp, enum pkiks_timer_kind kind, int64_t at)
{
	char when[32];
	struct tm tm;
	time_t t = (time_t)at;
	int ret;

	if (at < 0)
		at = 0;
	ret = pkiks_timer_arm(tp->set->ks, tp->cfg.name, kind,
			      (uint64_t)at * NS_PER_SEC);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (ret < 0)
		pkid_log(LOG_ERR, NULL, "trustpoint %s: cannot arm %s: %s",
			 tp->cfg.name, pkiks_timer_kind_name(kind),
			 strerror(-ret));
	else
		pkid_log(LOG_INFO, NULL, "trustpoint %s: %s armed for %s",
			 tp->cfg.name, pkiks_timer_kind_name(kind), when);
	return ret;
}

void tp_cancel(struct tp *tp, enum pkiks_timer_kind kind)
{
	/* -ENOENT: nothing was armed, which is what we want. */
	pkiks_timer_cancel(tp->set->ks, tp->cfg.name, kind);
}

int tp_cert_times(X509 *x, int64_t *not_before, int64_t *not_after)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
		return -EINVAL;
	*not_before = (int64_t)timegm(&tm);
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		return -EINVAL;
	*not_after = (int64_t)timegm(&tm);
	return 0;
}

/* The instant and timer for identity @id issued by @ca; 0 = none. */
static int64_t lifecycle_instant(const struct tp *tp, const struct db_tp *st,
				 X509 *id, X509 *ca,
				 enum pkiks_timer_kind *kind)
{
	int64_t nb, na, ca_nb, ca_na;

	if (tp_cert_times(id, &nb, &na) < 0 ||
	    tp_cert_times(ca, &ca_nb, &ca_na) < 0)
		return 0;
	*kind = na >= ca_na ? PKIKS_TIMER_SHADOW : PKIKS_TIMER_RENEW;
	if (tp->cfg.auto_enroll)
		return nb + (na - nb) * (int64_t)tp->cfg.auto_enroll_pct / 100;
	if (st->caps && scep_client_has_cap(st->caps, "GetNextCACert")) {
		*kind = PKIKS_TIMER_SHADOW;
		return ca_nb + (ca_na - ca_nb) * TP_SHADOW_CA_PCT / 100;
	}
	return 0;
}

int tp_arm_lifecycle(struct tp *tp, const struct db_tp *st, int64_t *at)
{
	X509 *id = tp_x509(st->id_cert, st->id_cert_len);
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	enum pkiks_timer_kind kind = PKIKS_TIMER_RENEW;
	int ret = 0;

	*at = 0;
	tp_cancel(tp, PKIKS_TIMER_RENEW);
	tp_cancel(tp, PKIKS_TIMER_SHADOW);
	if (id && ca)
		*at = lifecycle_instant(tp, st, id, ca, &kind);
	if (*at > 0)
		ret = tp_arm(tp, kind, *at);
	X509_free(id);
	X509_free(ca);
	return ret;
}

int64_t tp_backoff_seconds(const struct tp *tp, unsigned int count)
{
	int64_t period = (int64_t)tp->cfg.retry_period_min * 60;
	int64_t cap = (int64_t)tp->cfg.retry_max_period_min * 60;

	while (count-- > 0 && period < cap)
		period *= 2;
	return period < cap ? period : cap;
}

int tp_arm_backoff(struct tp *tp, enum pkiks_timer_kind kind,
		   unsigned int count, int64_t now)
{
	return tp_arm(tp, kind, now + tp_backoff_seconds(tp, count));
}
