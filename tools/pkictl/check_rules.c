// SPDX-License-Identifier: MIT
/*
 * The ROLLOVER.md §5 rules behind `pkictl check`.
 *
 * The one relation everything follows from: a client whose identity
 * certificate was truncated to the CA's end fires SHADOW at fraction p of
 * that certificate's life, i.e. (1 - p)·L before the CA expires (worst case
 * L = lifetime certificate, or the CA's own lifetime if that is shorter).
 * The CA creates its rollover certificate only `auto-rollover` R before
 * its end, so SHADOW finds it only if (1 - p)·L <= R.  A client that
 * comes too early retries on its enrollment retry schedule (ours: the same
 * backoff as POLL and CONNECT RETRY, §4.2), which must therefore last
 * until the rollover exists and never sleep through the whole window.
 *
 * The instants themselves -- truncation, SHADOW, the generation, the
 * backoff -- are libshared/schedule.c, the functions the daemon arms its
 * timers with, applied to the worst case (sched_worst_*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "schedule.h"

#define ROLLOVER_DEFAULT (30LL * PKID_DAY)

void check_fmt_duration(char *buf, size_t len, int64_t sec)
{
	int64_t d = sec / PKID_DAY, h = sec % PKID_DAY / PKID_HOUR;

	if (d && h)
		snprintf(buf, len, "%lld d %lld h", (long long)d, (long long)h);
	else if (d)
		snprintf(buf, len, "%lld d", (long long)d);
	else if (sec % PKID_HOUR == 0)
		snprintf(buf, len, "%lld h", (long long)h);
	else
		snprintf(buf, len, "%lld min", (long long)(sec / 60));
}

static int64_t div_up(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* A new finding whose why/fix the caller writes; NULL when out of memory. */
static struct check_finding *add(struct check_report *r, const char *id,
				 enum check_severity sev, const char *object)
{
	struct check_finding *f;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		void *v = realloc(r->v, cap * sizeof(*r->v));

		if (!v) {
			r->nomem = true;
			return NULL;
		}
		r->v = v;
		r->cap = cap;
	}
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->severity = sev;
	snprintf(f->object, sizeof(f->object), "%s", object);
	return f;
}

/* ---- the CA ----------------------------------------------------------- */

struct sched_ca_conf check_sched_ca(const struct check_ca *ca)
{
	return (struct sched_ca_conf){
		.ca_life = ca->ca_life,
		.cert_life = ca->cert_life,
		.crl_life = ca->crl_life,
		.rollover = ca->rollover,
		.window = ca->window,
	};
}

struct sched_tp check_sched_tp(const struct pkid_trustpoint_config *t)
{
	return (struct sched_tp){
		.auto_enroll_pct = t->auto_enroll ? t->auto_enroll_pct : 0,
		.retry_count = t->retry_count,
		.retry_period_min = t->retry_period_min,
		.retry_max_period_min = t->retry_max_period_min,
	};
}

/* The longest life a client certificate can have under this CA. */
static int64_t cert_life_eff(const struct check_ca *ca)
{
	struct sched_ca_conf c = check_sched_ca(ca);
	struct sched_validity v = sched_worst_identity(&c);

	return v.not_after - v.not_before;
}

/* How long before the CA's end trustpoint @t asks for the rollover, with
 * the worst-case identity (GetNextCACert announced). */
static int64_t shadow_lead(const struct check_ca *ca,
			   const struct pkid_trustpoint_config *t)
{
	struct sched_ca_conf c = check_sched_ca(ca);
	struct sched_tp tp = check_sched_tp(t);

	return sched_worst_shadow_lead(&c, &tp);
}

/* How long before the CA's end CS SHADOW CERT GENERATION fires. */
static int64_t rollover_lead(const struct check_ca *ca)
{
	return ca->ca_life - sched_rollover_at(ca->ca_life, ca->window);
}

static void rule_cert_lifetime(struct check_report *r,
			       const struct check_ca *ca)
{
	struct check_finding *f;
	char l[32], lca[32];

	if (ca->cert_life < ca->ca_life)
		return;
	f = add(r, "cert-lifetime-exceeds-ca", CHECK_WARNING, ca->name);
	if (!f)
		return;
	check_fmt_duration(l, sizeof(l), ca->cert_life);
	check_fmt_duration(lca, sizeof(lca), ca->ca_life);
	snprintf(f->why, sizeof(f->why),
		 "lifetime certificate %s is not shorter than lifetime "
		 "ca-certificate %s: every certificate is truncated to the "
		 "CA's end, so no client ever RENEWs and all of them "
		 "SHADOW-enroll inside the same rollover window",
		 l, lca);
	snprintf(f->fix, sizeof(f->fix), "use lifetime certificate < %lld days",
		 (long long)(ca->ca_life / PKID_DAY));
}

/* The window that covers every auto-enrolling trustpoint, at least 30 d. */
static int64_t rollover_suggestion(const struct check_ca *ca,
				   const struct pkid_config *cfg)
{
	int64_t want = ROLLOVER_DEFAULT, lead;
	size_t i;

	for (i = 0; cfg && i < cfg->n_trustpoints; i++) {
		if (!cfg->trustpoints[i].auto_enroll)
			continue;
		lead = shadow_lead(ca, &cfg->trustpoints[i]);
		lead = div_up(lead, PKID_DAY) * PKID_DAY;
		if (lead > want && lead < ca->ca_life)
			want = lead;
	}
	return want;
}

static void rule_no_rollover(struct check_report *r, const struct check_ca *ca,
			     const struct pkid_config *cfg)
{
	struct check_finding *f;
	char lca[32];

	if (ca->rollover)
		return;
	f = add(r, "no-auto-rollover", CHECK_WARNING, ca->name);
	if (!f)
		return;
	check_fmt_duration(lca, sizeof(lca), ca->ca_life);
	snprintf(f->why, sizeof(f->why),
		 "no auto-rollover: nothing creates the rollover CA before "
		 "the CA expires (lifetime ca-certificate %s), so SHADOW "
		 "requests find none and every certificate ends with the CA",
		 lca);
	snprintf(f->fix, sizeof(f->fix), "add auto-rollover %lld (days)",
		 (long long)(rollover_suggestion(ca, cfg) / PKID_DAY));
}

static void rule_crl(struct check_report *r, const struct check_ca *ca)
{
	int64_t gen = sched_rollover_at(ca->ca_life, ca->window);
	struct check_finding *f;
	char crl[32], w[32];

	/* A CRL signed as the window opens, still current at the CA's end? */
	if (!ca->rollover || !ca->crl_life ||
	    sched_crl_next_update(gen, ca->crl_life) <= ca->ca_life)
		return;
	f = add(r, "crl-exceeds-window", CHECK_WARNING, ca->name);
	if (!f)
		return;
	check_fmt_duration(crl, sizeof(crl), ca->crl_life);
	check_fmt_duration(w, sizeof(w), ca->window);
	snprintf(f->why, sizeof(f->why),
		 "lifetime crl %s is longer than the auto-rollover window %s: "
		 "a CRL the CA signs as the window opens is still current "
		 "after that CA has expired",
		 crl, w);
	snprintf(f->fix, sizeof(f->fix),
		 "use lifetime crl <= %lld (hours) or auto-rollover >= %lld "
		 "days",
		 (long long)(ca->window / PKID_HOUR),
		 (long long)div_up(ca->crl_life, PKID_DAY));
}

void check_rules_ca(struct check_report *r, const struct check_ca *ca,
		    const struct pkid_config *cfg)
{
	rule_cert_lifetime(r, ca);
	rule_no_rollover(r, ca, cfg);
	rule_crl(r, ca);
}

/* ---- a trustpoint ----------------------------------------------------- */

/* The enrollment retry schedule of @t, @polls waits of it. */
static struct sched_retry_plan
retry_plan(const struct pkid_trustpoint_config *t, unsigned int polls)
{
	struct sched_tp tp = check_sched_tp(t);

	return sched_retry_plan(&tp, polls);
}

static void rule_pct_min(struct check_report *r,
			 const struct pkid_trustpoint_config *t,
			 const char *obj)
{
	struct check_finding *f;

	if (!t->auto_enroll || t->auto_enroll_pct >= SCHED_PCT_MIN)
		return;
	f = add(r, "auto-enroll-below-10", CHECK_ERROR, obj);
	if (!f)
		return;
	snprintf(f->why, sizeof(f->why),
		 "auto-enroll %u renews after %u %% of each certificate's "
		 "life: the client re-enrolls almost continuously and loads "
		 "the CA (IOS refuses less than %d %%)",
		 t->auto_enroll_pct, t->auto_enroll_pct, SCHED_PCT_MIN);
	snprintf(f->fix, sizeof(f->fix), "use auto-enroll >= %d",
		 SCHED_PCT_MIN);
}

/* The smallest auto-enroll percentage whose SHADOW fits the window. */
static unsigned int pct_needed(const struct check_ca *ca)
{
	struct sched_ca_conf c = check_sched_ca(ca);

	return sched_pct_needed(&c);
}

static void shadow_fix(struct check_finding *f, const struct check_ca *ca,
		       int64_t lead)
{
	int64_t days = div_up(lead, PKID_DAY);

	if (days * PKID_DAY < ca->ca_life)
		snprintf(f->fix, sizeof(f->fix),
			 "use auto-enroll >= %u or auto-rollover >= %lld days",
			 pct_needed(ca), (long long)days);
	else
		snprintf(f->fix, sizeof(f->fix), "use auto-enroll >= %u",
			 pct_needed(ca));
}

static void rule_shadow(struct check_report *r,
			const struct pkid_trustpoint_config *t,
			const struct check_ca *ca, int64_t lead,
			const char *obj)
{
	struct check_finding *f;
	char l[32], w[32], ld[32];

	if (lead <= rollover_lead(ca))
		return;
	/* IOS's SHADOW finds nothing and lapses; pkid's retries and its
	 * next-CA poll fetch the rollover CA once it exists and SHADOW then
	 * (tools/sim's negative control finds no gap): a warning. */
	f = add(r,
		t->auto_enroll ? "shadow-before-rollover"
			       : "shadow-default-before-rollover",
		CHECK_WARNING, obj);
	if (!f)
		return;
	check_fmt_duration(w, sizeof(w), ca->window);
	check_fmt_duration(ld, sizeof(ld), lead);
	if (t->auto_enroll) {
		check_fmt_duration(l, sizeof(l), cert_life_eff(ca));
		snprintf(f->why, sizeof(f->why),
			 "auto-enroll %u with lifetime certificate %s and "
			 "auto-rollover %s: clients reach the CA %s before its "
			 "rollover exists; IOS would lapse, pkid recovers by "
			 "its retries and next-CA poll",
			 t->auto_enroll_pct, l, w, ld);
	} else {
		check_fmt_duration(l, sizeof(l), ca->ca_life);
		snprintf(f->why, sizeof(f->why),
			 "no auto-enroll: SHADOW fires at 90 %% of the CA "
			 "certificate's life (lifetime ca-certificate %s), "
			 "%s before the CA's end, but auto-rollover creates "
			 "the rollover CA only %s before it",
			 l, ld, w);
	}
	shadow_fix(f, ca, lead);
}

/* Polls needed so that the schedule lasts @gap seconds; 0 if none does. */
static unsigned int polls_needed(const struct pkid_trustpoint_config *t,
				 int64_t gap)
{
	struct sched_tp tp = check_sched_tp(t);

	return sched_polls_needed(&tp, gap);
}

static void rule_retry_gap(struct check_report *r,
			   const struct pkid_trustpoint_config *t,
			   const struct check_ca *ca, int64_t lead,
			   const char *obj)
{
	struct sched_retry_plan p = retry_plan(t, t->retry_count);
	int64_t gap = lead - rollover_lead(ca);
	struct check_finding *f;
	char g[32], tot[32];
	unsigned int n;

	if (gap <= 0 || p.total >= gap)
		return;
	/* IOS stops there; pkid's next-CA poll goes on after a SHADOW gave
	 * up and arms it again once the rollover CA exists: a warning. */
	f = add(r, "retry-gives-up-before-rollover", CHECK_WARNING, obj);
	if (!f)
		return;
	check_fmt_duration(g, sizeof(g), gap);
	check_fmt_duration(tot, sizeof(tot), p.total);
	snprintf(f->why, sizeof(f->why),
		 "SHADOW starts %s before the rollover CA exists, but the "
		 "retry schedule (enrollment retry count %u, period %u min, "
		 "max-period %u min) gives up after %s; IOS would lapse, "
		 "pkid recovers by its next-CA poll (HEALTH_TP_GAVE_UP "
		 "meanwhile)",
		 g, t->retry_count, t->retry_period_min,
		 t->retry_max_period_min, tot);
	n = polls_needed(t, gap);
	if (n)
		snprintf(f->fix, sizeof(f->fix),
			 "use enrollment retry count >= %u, or auto-enroll "
			 ">= %u",
			 n, pct_needed(ca));
	else
		snprintf(f->fix, sizeof(f->fix),
			 "raise enrollment retry max-period, or use "
			 "auto-enroll >= %u",
			 pct_needed(ca));
}

static void rule_retry_interval(struct check_report *r,
				const struct pkid_trustpoint_config *t,
				const struct check_ca *ca, const char *obj)
{
	struct sched_retry_plan p = retry_plan(t, t->retry_count);
	struct check_finding *f;
	char iv[32], w[32];

	if (p.longest <= ca->window)
		return;
	f = add(r, "retry-interval-exceeds-window", CHECK_ERROR, obj);
	if (!f)
		return;
	check_fmt_duration(iv, sizeof(iv), p.longest);
	check_fmt_duration(w, sizeof(w), ca->window);
	snprintf(f->why, sizeof(f->why),
		 "the retry schedule waits up to %s between two polls, longer "
		 "than the whole auto-rollover window %s: a client told to "
		 "wait can sleep through the rollover",
		 iv, w);
	snprintf(f->fix, sizeof(f->fix),
		 "use enrollment retry max-period <= %lld (minutes)",
		 (long long)(ca->window / 60));
}

static void rule_retry_request(struct check_report *r,
			       const struct pkid_trustpoint_config *t,
			       const struct check_ca *ca, const char *obj)
{
	struct sched_retry_plan p = retry_plan(t, t->retry_count);
	struct check_finding *f;
	char iv[32], er[32];

	if (!ca->request_life || p.longest <= ca->request_life)
		return;
	f = add(r, "retry-outlives-request", CHECK_WARNING, obj);
	if (!f)
		return;
	check_fmt_duration(iv, sizeof(iv), p.longest);
	check_fmt_duration(er, sizeof(er), ca->request_life);
	snprintf(f->why, sizeof(f->why),
		 "the retry schedule waits up to %s between two polls, but a "
		 "pending request lives %s at the CA (lifetime "
		 "enrollment-request): it expires before the next poll",
		 iv, er);
	snprintf(f->fix, sizeof(f->fix),
		 "use enrollment retry max-period <= %lld (minutes) or "
		 "lifetime enrollment-request >= %lld (hours)",
		 (long long)(ca->request_life / 60),
		 (long long)div_up(p.longest, PKID_HOUR));
}

/* Issue 22: a trustpoint that holds the rollover CA fires SHADOW at the
 * latest the margin before the CA's end (schedule.h); with a margin
 * longer than the window, one that has not fetched the rollover CA by
 * the margin has no room left for its retries. */
static bool rule_margin(struct check_report *r,
			const struct pkid_trustpoint_config *t,
			const struct check_ca *ca, const char *obj)
{
	struct sched_tp tp = check_sched_tp(t);
	int64_t margin = sched_shadow_margin(&tp);
	struct check_finding *f;
	char m[32], w[32];

	if (margin <= rollover_lead(ca))
		return false;
	f = add(r, "shadow-margin-exceeds-window", CHECK_ERROR, obj);
	if (!f)
		return true;
	check_fmt_duration(m, sizeof(m), margin);
	check_fmt_duration(w, sizeof(w), ca->window);
	snprintf(f->why, sizeof(f->why),
		 "SHADOW must fire %s before the CA's end to leave room for "
		 "%d enrollment retries (period %u min, max-period %u min), "
		 "but auto-rollover creates the rollover CA only %s before "
		 "it: a short outage near the end makes SHADOW miss it",
		 m, SCHED_MARGIN_TRIES, t->retry_period_min,
		 t->retry_max_period_min, w);
	snprintf(f->fix, sizeof(f->fix),
		 "use a lower enrollment retry count or period, or "
		 "auto-rollover "
		 "longer than %s",
		 m);
	return true;
}

void check_rules_trustpoint(struct check_report *r,
			    const struct pkid_trustpoint_config *t,
			    const struct check_ca *ca,
			    const struct check_caps *caps)
{
	char obj[sizeof(((struct check_finding *)0)->object)];
	int64_t lead;

	snprintf(obj, sizeof(obj), "trustpoint %s", t->name);
	rule_pct_min(r, t, obj);
	rule_retry_request(r, t, ca, obj);
	/* Without a rollover CA (or a way to fetch it) SHADOW cannot work at
	 * all: check_rules_ca / check_rules_caps say so once. */
	if (!ca->rollover || (caps->known && !caps->next_ca_cert))
		return;
	rule_retry_interval(r, t, ca, obj);
	if (rule_margin(r, t, ca, obj))
		return;
	/* §4.1: SHADOW at PCT of the truncated certificate, or with no
	 * auto-enroll at 90 % of the CA certificate's life. */
	lead = shadow_lead(ca, t);
	rule_shadow(r, t, ca, lead, obj);
	rule_retry_gap(r, t, ca, lead, obj);
}

/* ---- the CA's published capabilities ---------------------------------- */

void check_rules_caps(struct check_report *r, const struct check_caps *caps)
{
	struct check_finding *f;

	if (!caps->known)
		return;
	if (!caps->next_ca_cert) {
		f = add(r, "caps-no-getnextcacert", CHECK_ERROR, "CA caps");
		if (f) {
			snprintf(f->why, sizeof(f->why),
				 "the CA does not announce GetNextCACert: "
				 "SHADOW cannot fetch the rollover CA, and "
				 "every client must re-enroll by hand after "
				 "the CA's end");
			snprintf(f->fix, sizeof(f->fix),
				 "enable auto-rollover on the CA so that it "
				 "announces GetNextCACert");
		}
	}
	if (!caps->sha2) {
		f = add(r, "caps-no-sha2", CHECK_WARNING, "CA caps");
		if (f) {
			snprintf(f->why, sizeof(f->why),
				 "the CA announces neither SHA-256 nor "
				 "SHA-512: requests fall back to SHA-1 or MD5");
			snprintf(f->fix, sizeof(f->fix),
				 "use a CA that announces SHA-256");
		}
	}
}

/* ---- a subordinate CA and its parent (issue 17) ----------------------- */

/*
 * The sub asks the parent for its rollover CA certificate `auto-rollover`
 * before its end; a parent whose operator grants CA requests by hand
 * (IOS's normal case, and every request of an offline root) answers up to
 * the grant time later.  The rollover CA must exist before the sub's end,
 * and its routers need the rest of the window to SHADOW.
 */
static void rule_sub_grant(struct check_report *r, const struct check_ca *sub,
			   const struct check_parent *p)
{
	struct check_finding *f;
	char w[32], g[32];

	if (!sub->rollover || !p->grant || sub->window > p->grant)
		return;
	f = add(r, "sub-window-shorter-than-grant", CHECK_ERROR, sub->name);
	if (!f)
		return;
	check_fmt_duration(w, sizeof(w), sub->window);
	check_fmt_duration(g, sizeof(g), p->grant);
	snprintf(f->why, sizeof(f->why),
		 "auto-rollover %s: the sub asks its parent for the rollover "
		 "CA certificate %s before its end, but the parent's operator "
		 "takes up to %s to grant it: the rollover CA comes after the "
		 "sub's end (or leaves its routers no time to SHADOW)",
		 w, w, g);
	snprintf(f->fix, sizeof(f->fix),
		 "use auto-rollover >= %lld days (the grant time plus the "
		 "routers' SHADOW lead)",
		 (long long)div_up(p->grant, PKID_DAY) +
			 (long long)div_up(sub->window, PKID_DAY));
}

/*
 * Every certificate a parent issues ends no later than the parent
 * (truncated).  A sub that lives as long as its parent ends with it: its
 * own rollover has no room under that parent (the parent re-keys it from
 * now instead of from its end), and every router of the sub SHADOWs at
 * the parent's end.
 */
static void rule_sub_outlives(struct check_report *r,
			      const struct check_ca *sub,
			      const struct check_parent *p)
{
	struct check_finding *f;
	char l[32], lp[32];

	if (p->life < p->ca_life)
		return;
	f = add(r, "sub-outlives-parent", CHECK_WARNING, sub->name);
	if (!f)
		return;
	check_fmt_duration(l, sizeof(l), p->life);
	check_fmt_duration(lp, sizeof(lp), p->ca_life);
	snprintf(f->why, sizeof(f->why),
		 "the parent issues the sub for %s but lives %s itself: the "
		 "sub's certificate is truncated to the parent's end, so the "
		 "sub's own rollover has no room under that parent and only "
		 "the parent's rollover carries it on",
		 l, lp);
	snprintf(f->fix, sizeof(f->fix),
		 "on the parent, use lifetime certificate <= %lld days "
		 "(half its lifetime ca-certificate)",
		 (long long)(p->ca_life / 2 / PKID_DAY));
}

void check_rules_sub(struct check_report *r, const struct check_ca *sub,
		     const struct check_parent *p)
{
	rule_sub_grant(r, sub, p);
	rule_sub_outlives(r, sub, p);
}
