// SPDX-License-Identifier: MIT
/*
 * The timing rules (libshared/schedule.c): every instant the daemon arms
 * and every relation `pkictl check` reports, on hand-computed examples
 * and at the edges (truncation, a rollover CA that starts later, a
 * backoff capped below its period, the 1000-poll bound).
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "../lib/cunit_run.h"

#include "schedule.h"

#define MIN  60LL
#define HOUR 3600LL
#define DAY  86400LL

static const struct sched_tp tp80 = {80, 999, 1, 60};

static void test_issue(void)
{
	struct sched_validity ca = {1000, 1000 + 100 * DAY}, v;

	/* Not truncated: now + lifetime. */
	v = sched_issue(0, 2000, 30 * DAY, ca, false);
	CU_ASSERT_EQUAL(v.not_before, 2000);
	CU_ASSERT_EQUAL(v.not_after, 2000 + 30 * DAY);
	/* Truncated at the CA's end. */
	v = sched_issue(0, 1000 + 90 * DAY, 30 * DAY, ca, false);
	CU_ASSERT_EQUAL(v.not_after, ca.not_after);
	/* Under a rollover CA that starts later: from its start. */
	v = sched_issue(0, 500, 30 * DAY, ca, false);
	CU_ASSERT_EQUAL(v.not_before, 1000);
	CU_ASSERT_EQUAL(v.not_after, 1000 + 30 * DAY);
	/* An explicit start wins over now; an RA lives as long as the CA. */
	v = sched_issue(5000, 2000, 30 * DAY, ca, true);
	CU_ASSERT_EQUAL(v.not_before, 5000);
	CU_ASSERT_EQUAL(v.not_after, ca.not_after);
}

static void test_rollover(void)
{
	int64_t end = 100 * DAY;

	CU_ASSERT_EQUAL(sched_rollover_at(end, 30 * DAY), 70 * DAY);
	CU_ASSERT_FALSE(sched_rollover_due(end, 30 * DAY, 70 * DAY - 1));
	CU_ASSERT_TRUE(sched_rollover_due(end, 30 * DAY, 70 * DAY));
	CU_ASSERT_TRUE(sched_rollover_due(end, 30 * DAY, end - 1));
	/* At the end it is promotion, not generation. */
	CU_ASSERT_FALSE(sched_rollover_due(end, 30 * DAY, end));
	CU_ASSERT_EQUAL(sched_crl_next_update(1234, 168 * HOUR),
			1234 + 168 * HOUR);
}

static void test_lifecycle(void)
{
	struct sched_validity ca = {0, 100 * DAY};
	struct sched_validity id = {10 * DAY, 40 * DAY};
	struct sched_tp none = {0, 999, 1, 60};
	struct sched_event e;

	/* Ends before its CA: RENEW at 80 % of its own life. */
	e = sched_lifecycle(&tp80, id, ca, true, false);
	CU_ASSERT_EQUAL(e.kind, SCHED_RENEW);
	CU_ASSERT_EQUAL(e.at, 10 * DAY + 24 * DAY);
	/* Ends with its CA (truncated): SHADOW at the same fraction. */
	id = (struct sched_validity){80 * DAY, 100 * DAY};
	e = sched_lifecycle(&tp80, id, ca, false, false);
	CU_ASSERT_EQUAL(e.kind, SCHED_SHADOW);
	CU_ASSERT_EQUAL(e.at, 96 * DAY);
	/* No auto-enroll: SHADOW at 90 % of the CA if it has
	 * GetNextCACert, else nothing. */
	id = (struct sched_validity){10 * DAY, 40 * DAY};
	e = sched_lifecycle(&none, id, ca, true, false);
	CU_ASSERT_EQUAL(e.kind, SCHED_SHADOW);
	CU_ASSERT_EQUAL(e.at, 90 * DAY);
	e = sched_lifecycle(&none, id, ca, false, false);
	CU_ASSERT_EQUAL(e.kind, SCHED_NONE);
}

static void test_margin(void)
{
	struct sched_validity ca = {0, 60 * MIN};
	struct sched_validity id = {54 * MIN, 60 * MIN};
	struct sched_tp tp90 = {90, 999, 1, 60}, one = {90, 1, 2, 60};
	struct sched_event e;

	/* 1 + 2 + 4 min of retries; with retry count 1, one 2-min wait. */
	CU_ASSERT_EQUAL(sched_shadow_margin(&tp90), 7 * MIN);
	CU_ASSERT_EQUAL(sched_shadow_margin(&one), 2 * MIN);
	/* Issue 22: a renewal truncated to 6 min would SHADOW 36 s before
	 * the CA's end; the margin brings it 7 min before (already past:
	 * the timer fires at once) -- once the rollover CA is held. */
	e = sched_lifecycle(&tp90, id, ca, true, true);
	CU_ASSERT_EQUAL(e.kind, SCHED_SHADOW);
	CU_ASSERT_EQUAL(e.at, 53 * MIN);
	/* Before it exists, SHADOW keeps its instant: earlier would only
	 * find no rollover CA. */
	e = sched_lifecycle(&tp90, id, ca, true, false);
	CU_ASSERT_EQUAL(e.at, 59 * MIN + 24);
	/* A SHADOW well before the end keeps its instant. */
	id = (struct sched_validity){0, 60 * MIN};
	e = sched_lifecycle(&tp80, id, ca, true, true);
	CU_ASSERT_EQUAL(e.at, 48 * MIN);
	/* RENEW is not moved: its successor still comes from this CA. */
	id = (struct sched_validity){0, 59 * MIN + 30};
	e = sched_lifecycle(&tp90, id, ca, true, true);
	CU_ASSERT_EQUAL(e.kind, SCHED_RENEW);
	CU_ASSERT_EQUAL(e.at, (59 * MIN + 30) * 9 / 10);
}

static void test_next_ca_poll(void)
{
	struct sched_validity ca = {0, 1095 * DAY};
	struct sched_tp slow = {80, 10, 120, 240};

	/* Years left: once a week. */
	CU_ASSERT_EQUAL(sched_next_ca_poll(&tp80, ca, 0), 7 * DAY);
	/* 80 days left: every 5 days. */
	CU_ASSERT_EQUAL(sched_next_ca_poll(&tp80, ca, 1015 * DAY),
			1020 * DAY);
	/* Minutes left: never below the retry period (1 min here)... */
	CU_ASSERT_EQUAL(sched_next_ca_poll(&tp80, ca, 1095 * DAY - 160),
			1095 * DAY - 100);
	/* ... or 2 hours with a slower retry period. */
	CU_ASSERT_EQUAL(sched_next_ca_poll(&slow, ca, 1095 * DAY - 160),
			1095 * DAY - 160 + 120 * MIN);
	/* The CA has ended: nothing to poll, recovery takes over. */
	CU_ASSERT_EQUAL(sched_next_ca_poll(&tp80, ca, 1095 * DAY), 0);
}

static void test_next_ca_recheck(void)
{
	struct sched_validity ca = {0, 1095 * DAY};
	struct sched_tp slow = {80, 10, 120, 240};

	/* Years left: once a week. */
	CU_ASSERT_EQUAL(sched_next_ca_recheck(&tp80, ca, 0), 7 * DAY);
	/* 80 days left: still weekly; 20 days left: every 5 days (a cancel
	 * is seen, and the next rollover with it, long before the end). */
	CU_ASSERT_EQUAL(sched_next_ca_recheck(&tp80, ca, 1015 * DAY),
			1022 * DAY);
	CU_ASSERT_EQUAL(sched_next_ca_recheck(&tp80, ca, 1075 * DAY),
			1080 * DAY);
	/* Minutes left: an hour apart at the most often... */
	CU_ASSERT_EQUAL(sched_next_ca_recheck(&tp80, ca, 1095 * DAY - 160),
			1095 * DAY - 160 + 3600);
	/* ... or the retry period when it is longer. */
	CU_ASSERT_EQUAL(sched_next_ca_recheck(&slow, ca, 1095 * DAY - 160),
			1095 * DAY - 160 + 120 * MIN);
	CU_ASSERT_EQUAL(sched_next_ca_recheck(&tp80, ca, 1095 * DAY), 0);
}

static void test_backoff(void)
{
	struct sched_tp capped = {0, 10, 5, 3};
	struct sched_retry_plan p;

	CU_ASSERT_EQUAL(sched_backoff(&tp80, 0), 60);
	CU_ASSERT_EQUAL(sched_backoff(&tp80, 1), 120);
	CU_ASSERT_EQUAL(sched_backoff(&tp80, 5), 1920);
	CU_ASSERT_EQUAL(sched_backoff(&tp80, 6), 3600);
	CU_ASSERT_EQUAL(sched_backoff(&tp80, 900), 3600);
	/* max-period below the period: every wait is the cap. */
	CU_ASSERT_EQUAL(sched_backoff(&capped, 0), 3 * MIN);
	CU_ASSERT_EQUAL(sched_backoff(&capped, 4), 3 * MIN);
	/* 1+2+4+8+16+32 = 63 min, then 60 min each. */
	p = sched_retry_plan(&tp80, 8);
	CU_ASSERT_EQUAL(p.total, (63 + 120) * MIN);
	CU_ASSERT_EQUAL(p.longest, 60 * MIN);
	p = sched_retry_plan(&tp80, 0);
	CU_ASSERT_EQUAL(p.total, 0);
	/* The plan never counts past the parser's bound. */
	CU_ASSERT_EQUAL(sched_retry_plan(&tp80, 5000).total,
			sched_retry_plan(&tp80, SCHED_POLLS_MAX).total);
	CU_ASSERT_EQUAL(sched_polls_needed(&tp80, 63 * MIN), 6);
	CU_ASSERT_EQUAL(sched_polls_needed(&tp80, 63 * MIN + 1), 7);
	CU_ASSERT_EQUAL(sched_polls_needed(&tp80, 13 * DAY), 6 + 311);
	CU_ASSERT_EQUAL(sched_polls_needed(&tp80, 2000 * DAY), 0);
}

static void test_worst_case(void)
{
	struct sched_ca_conf c = {1095 * DAY, 365 * DAY, 168 * HOUR, true,
				  30 * DAY};
	struct sched_tp tp85 = {85, 999, 1, 60}, none = {0, 999, 1, 60};
	struct sched_validity v;

	v = sched_worst_identity(&c);
	CU_ASSERT_EQUAL(v.not_before, 730 * DAY);
	CU_ASSERT_EQUAL(v.not_after, 1095 * DAY);
	v = sched_first_identity(&c);
	CU_ASSERT_EQUAL(v.not_before, 0);
	CU_ASSERT_EQUAL(v.not_after, 365 * DAY);
	/* 15 % of 365 d = 54.75 d before the CA's end. */
	CU_ASSERT_EQUAL(sched_worst_shadow_lead(&c, &tp85),
			54 * DAY + 18 * HOUR);
	CU_ASSERT_EQUAL(sched_worst_shadow_lead(&c, &none),
			109 * DAY + 12 * HOUR);
	/* (100 - 92) % of 365 d = 29.2 d <= 30 d; 91 % would be 32.85 d. */
	CU_ASSERT_EQUAL(sched_pct_needed(&c), 92);
	/* Certificates as long as the CA: every identity ends with it. */
	c.cert_life = 2000 * DAY;
	v = sched_worst_identity(&c);
	CU_ASSERT_EQUAL(v.not_before, 0);
	CU_ASSERT_EQUAL(v.not_after, 1095 * DAY);
	/* A window wider than the certificate: any percentage does. */
	c.cert_life = 20 * DAY;
	CU_ASSERT_EQUAL(sched_pct_needed(&c), SCHED_PCT_MIN);
}

int main(void)
{
	static const struct cu_case cases[] = {
		{"issued validity", test_issue},
		{"rollover and CRL", test_rollover},
		{"RENEW and SHADOW", test_lifecycle},
		{"SHADOW margin", test_margin},
		{"backoff", test_backoff},
		{"next-CA poll", test_next_ca_poll},
		{"next-CA recheck", test_next_ca_recheck},
		{"the checker's worst case", test_worst_case},
	};

	return cu_run_suite("schedule", NULL, NULL, CU_CASES(cases));
}
