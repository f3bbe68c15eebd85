// SPDX-License-Identifier: MIT
/*
 * The timing rules (schedule.h).  Every function is pure: the callers
 * read the certificates, the configuration and the clock, and arm or
 * report what these return.
 */
#include "schedule.h"

static int64_t div_up(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* ---- the CA ---- */

struct sched_validity sched_issue(int64_t start, int64_t now,
				  int64_t lifetime_cert,
				  struct sched_validity ca, bool ra)
{
	struct sched_validity v;

	v.not_before = start ? start : now;
	/* Never before the issuer starts (a rollover CA starts later). */
	if (v.not_before < ca.not_before)
		v.not_before = ca.not_before;
	/* Never past the CA's own end (ROLLOVER.md §3: truncated). */
	v.not_after = ra ? ca.not_after : v.not_before + lifetime_cert;
	if (v.not_after > ca.not_after)
		v.not_after = ca.not_after;
	return v;
}

int64_t sched_rollover_at(int64_t ca_end, int64_t window)
{
	return ca_end - window;
}

bool sched_rollover_due(int64_t ca_end, int64_t window, int64_t now)
{
	return now >= sched_rollover_at(ca_end, window) && now < ca_end;
}

int64_t sched_crl_next_update(int64_t now, int64_t lifetime_crl)
{
	return now + lifetime_crl;
}

/* ---- a trustpoint ---- */

struct sched_event sched_lifecycle(const struct sched_tp *tp,
				   struct sched_validity id,
				   struct sched_validity ca, bool next_ca_cap,
				   bool holds_next)
{
	struct sched_event e = {SCHED_NONE, 0};
	int64_t life = id.not_after - id.not_before;

	/* §4.1: an identity that ends with its CA cannot be renewed under
	 * it; its successor comes from the rollover CA. */
	e.kind = id.not_after >= ca.not_after ? SCHED_SHADOW : SCHED_RENEW;
	if (tp->auto_enroll_pct) {
		e.at = id.not_before +
		       life * (int64_t)tp->auto_enroll_pct / 100;
	} else if (next_ca_cap) {
		e.kind = SCHED_SHADOW;
		e.at = ca.not_before + (ca.not_after - ca.not_before) *
					       SCHED_SHADOW_CA_PCT / 100;
	} else {
		e.kind = SCHED_NONE;
		return e;
	}
	/* A SHADOW that misses the CA's end leaves the router without a
	 * certificate: once the rollover CA exists (we hold it), nothing
	 * is gained by waiting; leave room for a few retries before the
	 * end.  Before it exists, an earlier SHADOW would only find none. */
	if (e.kind == SCHED_SHADOW && holds_next &&
	    e.at > ca.not_after - sched_shadow_margin(tp))
		e.at = ca.not_after - sched_shadow_margin(tp);
	return e;
}

int64_t sched_shadow_margin(const struct sched_tp *tp)
{
	unsigned int n = tp->retry_count < SCHED_MARGIN_TRIES
				 ? tp->retry_count
				 : SCHED_MARGIN_TRIES;

	return sched_retry_plan(tp, n).total;
}

int64_t sched_next_ca_poll(const struct sched_tp *tp, struct sched_validity ca,
			   int64_t now)
{
	int64_t lo = (int64_t)tp->retry_period_min * 60, iv;

	if (now >= ca.not_after)
		return 0;
	/* More often as the end nears: the rollover CA appears inside the
	 * CA's auto-rollover window, which the client does not know. */
	iv = (ca.not_after - now) / SCHED_NEXTCA_PARTS;
	if (lo < 60)
		lo = 60;
	if (iv < lo)
		iv = lo;
	if (iv > SCHED_NEXTCA_MAX)
		iv = SCHED_NEXTCA_MAX;
	return now + iv;
}

int64_t sched_next_ca_recheck(const struct sched_tp *tp,
			      struct sched_validity ca, int64_t now)
{
	int64_t lo = (int64_t)tp->retry_period_min * 60, iv;

	if (now >= ca.not_after)
		return 0;
	iv = (ca.not_after - now) / SCHED_RECHECK_PARTS;
	if (lo < SCHED_RECHECK_MIN)
		lo = SCHED_RECHECK_MIN;
	if (iv < lo)
		iv = lo;
	if (iv > SCHED_NEXTCA_MAX)
		iv = SCHED_NEXTCA_MAX;
	return now + iv;
}

int64_t sched_backoff(const struct sched_tp *tp, unsigned int count)
{
	int64_t period = (int64_t)tp->retry_period_min * 60;
	int64_t cap = (int64_t)tp->retry_max_period_min * 60;

	while (count-- > 0 && period < cap)
		period *= 2;
	return period < cap ? period : cap;
}

struct sched_retry_plan sched_retry_plan(const struct sched_tp *tp,
					 unsigned int polls)
{
	struct sched_retry_plan p = {0, 0};
	unsigned int i;

	for (i = 0; i < polls && i < SCHED_POLLS_MAX; i++) {
		int64_t iv = sched_backoff(tp, i);

		p.total += iv;
		if (iv > p.longest)
			p.longest = iv;
	}
	return p;
}

unsigned int sched_polls_needed(const struct sched_tp *tp, int64_t gap)
{
	int64_t total = 0;
	unsigned int n;

	for (n = 1; n <= SCHED_POLLS_MAX; n++) {
		total += sched_backoff(tp, n - 1);
		if (total >= gap)
			return n;
	}
	return 0;
}

/* ---- the checker's worst case ---- */

static struct sched_validity ca_validity(const struct sched_ca_conf *c)
{
	return (struct sched_validity){0, c->ca_life};
}

struct sched_validity sched_worst_identity(const struct sched_ca_conf *c)
{
	return sched_issue(c->ca_life - c->cert_life, 0, c->cert_life,
			   ca_validity(c), false);
}

struct sched_validity sched_first_identity(const struct sched_ca_conf *c)
{
	return sched_issue(0, 0, c->cert_life, ca_validity(c), false);
}

int64_t sched_worst_shadow_lead(const struct sched_ca_conf *c,
				const struct sched_tp *tp)
{
	struct sched_event e = sched_lifecycle(tp, sched_worst_identity(c),
					       ca_validity(c), true, false);

	return e.kind == SCHED_NONE ? 0 : c->ca_life - e.at;
}

unsigned int sched_pct_needed(const struct sched_ca_conf *c)
{
	struct sched_validity id = sched_worst_identity(c);
	int64_t l = id.not_after - id.not_before;
	int64_t lead = c->ca_life - sched_rollover_at(c->ca_life, c->window);
	int64_t pct;

	if (l <= 0)
		return SCHED_PCT_MIN;
	/* The SHADOW at pct % of l must come no earlier than the
	 * generation: (100 - pct) * l / 100 <= lead. */
	pct = div_up(100 * (l - lead), l);
	return pct < SCHED_PCT_MIN ? SCHED_PCT_MIN : (unsigned int)pct;
}
