// SPDX-License-Identifier: MIT
/*
 * Arming a trustpoint's timers.  Which timer when -- RENEW or SHADOW
 * (ROLLOVER.md §4.1) and the POLL / CONNECT RETRY backoff (§4.2) -- is
 * libshared/schedule.c, the functions `pkictl check` reasons with; this
 * file reads the certificates and the configuration for them and arms
 * what they return.  An instant already past arms the timer at now: it
 * fires at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "schedule.h"
#include "tp_internal.h"
#include "core/log.h"

#define NS_PER_SEC 1000000000LL

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

/* A GENERIC timer of the trustpoint's, named by @label, at @at (unix
 * seconds; an instant past fires at once); @what names it in the log. */
int tp_arm_generic(struct tp *tp, const char *label, const char *what,
		   int64_t at)
{
	int ret = pkiks_timer_arm_label(tp->set->ks, tp->cfg.name,
					PKIKS_TIMER_GENERIC, label,
					(uint64_t)(at > 0 ? at : 1) * NS_PER_SEC);

	if (ret < 0)
		pkid_log(LOG_ERR, NULL, "trustpoint %s: cannot arm %s: %s",
			 tp->cfg.name, what, strerror(-ret));
	return ret;
}

bool tp_has_timer(const struct tp *tp, const struct pkiks_timer_info *timers,
		  size_t n, bool (*is)(const struct pkiks_timer_info *))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(timers[i].owner, tp->cfg.name) && is(&timers[i]))
			return true;
	return false;
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

int tp_der_times(struct tp *tp, enum tp_times_slot slot,
		 const unsigned char *der, size_t len, int64_t *not_before,
		 int64_t *not_after)
{
	struct tp_times *c = &tp->times[slot];
	unsigned char md[SHA256_DIGEST_LENGTH];
	X509 *x;
	int ret;

	if (!der || !len)
		return -ENOENT;
	if (!EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL))
		return -EIO;
	if (c->len == len && !memcmp(c->md, md, sizeof(md))) {
		*not_before = c->not_before;
		*not_after = c->not_after;
		return 0;
	}
	x = tp_x509(der, len);
	ret = x ? tp_cert_times(x, not_before, not_after) : -EINVAL;
	X509_free(x);
	if (ret < 0)
		return ret;
	memcpy(c->md, md, sizeof(md));
	c->len = len;
	c->not_before = *not_before;
	c->not_after = *not_after;
	return 0;
}

struct sched_tp tp_sched_conf(const struct tp *tp)
{
	return (struct sched_tp){
		.auto_enroll_pct =
			tp->cfg.auto_enroll ? tp->cfg.auto_enroll_pct : 0,
		.retry_count = tp->cfg.retry_count,
		.retry_period_min = tp->cfg.retry_period_min,
		.retry_max_period_min = tp->cfg.retry_max_period_min,
	};
}

int tp_validity(X509 *x, struct sched_validity *v)
{
	return tp_cert_times(x, &v->not_before, &v->not_after);
}

/* The instant and timer for identity @id issued by @ca; 0 = none. */
static int64_t lifecycle_instant(const struct tp *tp, const struct db_tp *st,
				 X509 *id, X509 *ca,
				 enum pkiks_timer_kind *kind)
{
	struct sched_tp conf = tp_sched_conf(tp);
	struct sched_validity idv, cav;
	struct sched_event e;

	if (tp_validity(id, &idv) < 0 || tp_validity(ca, &cav) < 0)
		return 0;
	/* enrollment terminal: no GetCACaps, but the rollover CA comes as
	 * a file (`server CA rollover export`): SHADOW is planned as under
	 * a CA that announces GetNextCACert (tp_terminal_shadow). */
	e = sched_lifecycle(&conf, idv, cav,
			    tp_proto(tp)->has_next_ca(st->caps) ||
				    tp->cfg.enrollment_terminal,
			    st->shadow_ca_cert != NULL);
	if (e.kind == SCHED_NONE)
		return 0;
	*kind = e.kind == SCHED_SHADOW ? PKIKS_TIMER_SHADOW : PKIKS_TIMER_RENEW;
	return e.at;
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
	if (id && ca && st->shadow_id_cert) {
		/* Shadow items wait for the CA's end, then switch. */
		int64_t nb;

		kind = PKIKS_TIMER_SHADOW;
		if (tp_cert_times(ca, &nb, at) < 0)
			*at = 0;
	} else if (id && ca) {
		*at = lifecycle_instant(tp, st, id, ca, &kind);
		/* No SHADOW of a key its sub-cs server is retiring. */
		if (*at > 0 && kind == PKIKS_TIMER_SHADOW && tp_sub_rolling(tp))
			*at = 0;
	}
	if (*at > 0)
		ret = tp_arm(tp, kind, *at);
	tp_nextca_arm(tp, st);
	X509_free(id);
	X509_free(ca);
	return ret;
}

int64_t tp_backoff_seconds(const struct tp *tp, unsigned int count)
{
	struct sched_tp conf = tp_sched_conf(tp);

	return sched_backoff(&conf, count);
}

int tp_arm_backoff(struct tp *tp, enum pkiks_timer_kind kind,
		   unsigned int count, int64_t now)
{
	return tp_arm(tp, kind, now + tp_backoff_seconds(tp, count));
}
