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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define PCT_MIN		 10   /* IOS refuses to renew below 10 % */
#define RETRY_POLLS_MAX	 1000 /* the parser's bound on retry count */
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

/* The longest life a client certificate can have under this CA. */
static int64_t cert_life_eff(const struct check_ca *ca)
{
	return ca->cert_life < ca->ca_life ? ca->cert_life : ca->ca_life;
}

/* How long before the CA's end a trustpoint auto-enrolling at @pct asks. */
static int64_t shadow_lead(const struct check_ca *ca, unsigned int pct)
{
	return (100 - (int64_t)pct) * cert_life_eff(ca) / 100;
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
		lead = shadow_lead(ca, cfg->trustpoints[i].auto_enroll_pct);
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
	struct check_finding *f;
	char crl[32], w[32];

	if (!ca->rollover || !ca->crl_life || ca->crl_life <= ca->window)
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

struct retry_plan {
	uint64_t total_min;   /* every interval of the schedule, summed */
	uint64_t longest_min; /* its longest interval */
};

/* period, 2·period, 4·period, ... capped at max-period; @polls of them. */
static struct retry_plan retry_plan(const struct pkid_trustpoint_config *t,
				    unsigned int polls)
{
	struct retry_plan p = {0, 0};
	uint64_t v = t->retry_period_min, cap = t->retry_max_period_min;
	unsigned int i;

	for (i = 0; i < polls && i < RETRY_POLLS_MAX; i++) {
		uint64_t iv = v < cap ? v : cap;

		p.total_min += iv;
		if (iv > p.longest_min)
			p.longest_min = iv;
		if (v < cap)
			v *= 2;
	}
	return p;
}

static void rule_pct_min(struct check_report *r,
			 const struct pkid_trustpoint_config *t,
			 const char *obj)
{
	struct check_finding *f;

	if (!t->auto_enroll || t->auto_enroll_pct >= PCT_MIN)
		return;
	f = add(r, "auto-enroll-below-10", CHECK_ERROR, obj);
	if (!f)
		return;
	snprintf(f->why, sizeof(f->why),
		 "auto-enroll %u renews after %u %% of each certificate's "
		 "life: the client re-enrolls almost continuously and loads "
		 "the CA (IOS refuses less than %d %%)",
		 t->auto_enroll_pct, t->auto_enroll_pct, PCT_MIN);
	snprintf(f->fix, sizeof(f->fix), "use auto-enroll >= %d", PCT_MIN);
}

/* The smallest auto-enroll percentage whose SHADOW fits the window. */
static unsigned int pct_needed(const struct check_ca *ca)
{
	int64_t l = cert_life_eff(ca);
	int64_t pct = div_up(100 * (l - ca->window), l);

	return pct < PCT_MIN ? PCT_MIN : (unsigned int)pct;
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

	if (lead <= ca->window)
		return;
	f = add(r,
		t->auto_enroll ? "shadow-before-rollover"
			       : "shadow-default-before-rollover",
		t->auto_enroll ? CHECK_ERROR : CHECK_WARNING, obj);
	if (!f)
		return;
	check_fmt_duration(w, sizeof(w), ca->window);
	check_fmt_duration(ld, sizeof(ld), lead);
	if (t->auto_enroll) {
		check_fmt_duration(l, sizeof(l), cert_life_eff(ca));
		snprintf(f->why, sizeof(f->why),
			 "auto-enroll %u with lifetime certificate %s and "
			 "auto-rollover %s: clients reach the CA %s before its "
			 "rollover exists",
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
	unsigned int n;

	for (n = 1; n <= RETRY_POLLS_MAX; n++)
		if ((int64_t)retry_plan(t, n).total_min * 60 >= gap)
			return n;
	return 0;
}

static void rule_retry_gap(struct check_report *r,
			   const struct pkid_trustpoint_config *t,
			   const struct check_ca *ca, int64_t lead,
			   const char *obj)
{
	struct retry_plan p = retry_plan(t, t->retry_count);
	int64_t gap = lead - ca->window;
	struct check_finding *f;
	char g[32], tot[32];
	unsigned int n;

	if (gap <= 0 || (int64_t)p.total_min * 60 >= gap)
		return;
	f = add(r, "retry-gives-up-before-rollover", CHECK_ERROR, obj);
	if (!f)
		return;
	check_fmt_duration(g, sizeof(g), gap);
	check_fmt_duration(tot, sizeof(tot), (int64_t)p.total_min * 60);
	snprintf(f->why, sizeof(f->why),
		 "SHADOW starts %s before the rollover CA exists, but the "
		 "retry schedule (enrollment retry count %u, period %u min, "
		 "max-period %u min) gives up after %s",
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
	struct retry_plan p = retry_plan(t, t->retry_count);
	struct check_finding *f;
	char iv[32], w[32];

	if ((int64_t)p.longest_min * 60 <= ca->window)
		return;
	f = add(r, "retry-interval-exceeds-window", CHECK_ERROR, obj);
	if (!f)
		return;
	check_fmt_duration(iv, sizeof(iv), (int64_t)p.longest_min * 60);
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
	struct retry_plan p = retry_plan(t, t->retry_count);
	struct check_finding *f;
	char iv[32], er[32];

	if (!ca->request_life ||
	    (int64_t)p.longest_min * 60 <= ca->request_life)
		return;
	f = add(r, "retry-outlives-request", CHECK_WARNING, obj);
	if (!f)
		return;
	check_fmt_duration(iv, sizeof(iv), (int64_t)p.longest_min * 60);
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
		 (long long)div_up((int64_t)p.longest_min * 60, PKID_HOUR));
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
	/* §4.1: SHADOW at PCT of the truncated certificate, or with no
	 * auto-enroll at 90 % of the CA certificate's life. */
	lead = t->auto_enroll ? shadow_lead(ca, t->auto_enroll_pct)
			      : ca->ca_life / 10;
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
