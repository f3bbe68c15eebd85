// SPDX-License-Identifier: MIT
/*
 * CUnit tests of pkiks-ntpwatch's decision (tools/pkiks-ntpwatch/decide.h)
 * on synthetic states: every sync verdict, every action, rule 3 (no report
 * until a poll one settle period after a revocation shows sync), rule 4
 * (losing sync never revokes), and how revocations are recognised from
 * successive views of the gate.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/timex.h>
#include <CUnit/Basic.h>

#include "../lib/cunit_run.h"

#include "../../tools/pkiks-ntpwatch/decide.h"

#define SEC 1000000000ULL

static const struct ntpw_policy policy = {
	.max_error_us = 2000 * 1000,
	.settle_ns = 10 * SEC,
};

/* What chrony leaves after an update: PLL, synchronised, 12 ms. */
static struct ntpw_timex synced(void)
{
	return (struct ntpw_timex){.state = TIME_OK,
				   .status = STA_PLL | STA_NANO,
				   .maxerror_us = 12000,
				   .esterror_us = 300};
}

/* What the kernel's ntp_clear() leaves after a step. */
static struct ntpw_timex after_step(void)
{
	return (struct ntpw_timex){.state = TIME_ERROR,
				   .status = STA_UNSYNC,
				   .maxerror_us = 16000000,
				   .esterror_us = 16000000};
}

static struct ntpw_input input(struct ntpw_timex tx, int authoritative)
{
	return (struct ntpw_input){
		.tx = tx, .authoritative = authoritative, .now_ns = 1000 * SEC};
}

static void test_synced_reports(void)
{
	struct ntpw_input in = input(synced(), 0);

	CU_ASSERT_EQUAL(ntpw_sync_of(&in.tx, &policy), NTPW_SYNCED);
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_REPORT);
}

static void test_sta_unsync_waits(void)
{
	struct ntpw_input in = input(synced(), 0);

	in.tx.status |= STA_UNSYNC; /* even with TIME_OK returned */
	CU_ASSERT_EQUAL(ntpw_sync_of(&in.tx, &policy), NTPW_UNSYNC_STA);
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
}

static void test_time_error_waits(void)
{
	struct ntpw_input in = input(synced(), 0);

	/* TIME_ERROR with STA_UNSYNC clear: e.g. a PPS signal fault. */
	in.tx.state = TIME_ERROR;
	CU_ASSERT_EQUAL(ntpw_sync_of(&in.tx, &policy), NTPW_UNSYNC_TIME_ERROR);
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
	in = input(after_step(), 0);
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
}

static void test_adjtimex_failed_waits(void)
{
	struct ntpw_input in = input(synced(), 0);

	in.tx.state = -EPERM;
	CU_ASSERT_EQUAL(ntpw_sync_of(&in.tx, &policy), NTPW_UNSYNC_FAILED);
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
}

static void test_maxerror_threshold(void)
{
	struct ntpw_input in = input(synced(), 0);

	in.tx.maxerror_us = policy.max_error_us; /* at the threshold: ok */
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_REPORT);
	in.tx.maxerror_us = policy.max_error_us + 1;
	CU_ASSERT_EQUAL(ntpw_sync_of(&in.tx, &policy), NTPW_UNSYNC_MAXERROR);
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
	in.tx.maxerror_us = -1; /* nonsense from the kernel: not synced */
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
	in.tx.maxerror_us = 0; /* systemd-timesyncd writes 0 */
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_REPORT);
}

/* A pending leap second is still a synchronised clock. */
static void test_leap_states_synced(void)
{
	static const int states[] = {TIME_OK, TIME_INS, TIME_DEL, TIME_OOP,
				     TIME_WAIT};
	struct ntpw_input in = input(synced(), 0);
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		in.tx.state = states[i];
		CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_REPORT);
	}
}

static void test_authoritative_nothing(void)
{
	struct ntpw_input in = input(synced(), 1);

	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_AUTHORITATIVE);
	/* Even right after a revocation was noted (re-granted meanwhile). */
	in.revoked = true;
	in.revoked_ns = in.now_ns;
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_AUTHORITATIVE);
}

/* Rule 4: losing sync while authoritative is no action at all. */
static void test_losing_sync_never_revokes(void)
{
	struct ntpw_input in = input(after_step(), 1);

	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
	in.tx = synced();
	in.tx.maxerror_us = 15000000;
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
}

/* Rule 3: a step is not re-legitimised before one settle period. */
static void test_reassert_after_settle(void)
{
	struct ntpw_input in = input(synced(), 0);

	in.revoked = true;
	in.revoked_ns = in.now_ns;
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_SETTLING);
	in.now_ns = in.revoked_ns + policy.settle_ns - 1;
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_SETTLING);
	in.now_ns = in.revoked_ns + policy.settle_ns;
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_REPORT);
	/* Settled, but the kernel still shows the step's ntp_clear(). */
	in.tx = after_step();
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
	/* Settled and synchronised, but maxerror still too high. */
	in.tx = synced();
	in.tx.maxerror_us = policy.max_error_us + 1;
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
	/* A BOOTTIME before the revocation cannot settle anything. */
	in.tx = synced();
	in.now_ns = in.revoked_ns - 1;
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_SETTLING);
}

static void test_gate_observe(void)
{
	struct ntpw_gate_memory m = {0};

	/* The first view is never a revocation: nothing to compare with. */
	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 0, 3));
	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 0, 3));
	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 1, 3)); /* a grant */
	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 1, 3));
	CU_ASSERT_TRUE(ntpw_gate_observe(&m, 0, 3)); /* authority lost */
	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 0, 3));
	/* A step counted while not authoritative also restarts rule 3. */
	CU_ASSERT_TRUE(ntpw_gate_observe(&m, 0, 4));
	/* Stepped and re-granted (calendar-valid) between two views. */
	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 1, 4));
	CU_ASSERT_TRUE(ntpw_gate_observe(&m, 1, 5));
	/* Fewer steps: the keystore restarted, a new gate, no revocation. */
	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 0, 0));
	CU_ASSERT_EQUAL(m.steps, 0);
	CU_ASSERT_TRUE(ntpw_gate_observe(&m, 0, 1));
}

/*
 * The whole story of a step, as the daemon sees it poll by poll: granted,
 * stepped (the stale snapshot still says synced), the kernel shows
 * ntp_clear(), NTP disciplines again, reported one period after the step.
 */
static void test_step_story(void)
{
	struct ntpw_gate_memory m = {0};
	struct ntpw_input in = input(synced(), 1);
	uint64_t t0 = in.now_ns;

	CU_ASSERT_FALSE(ntpw_gate_observe(&m, 1, 0));
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_AUTHORITATIVE);

	/* Step at t0 + 1 s, seen through the event. */
	in.now_ns = t0 + SEC;
	CU_ASSERT_TRUE(ntpw_gate_observe(&m, 0, 1));
	in.revoked = true;
	in.revoked_ns = in.now_ns;
	in.authoritative = 0;
	/* A poll right then with a snapshot taken before the step. */
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_SETTLING);
	/* Next poll: the kernel shows the step. */
	in.now_ns = t0 + SEC + policy.settle_ns;
	in.tx = after_step();
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_WAIT_SYNC);
	/* NTP disciplined the clock again: reported. */
	in.now_ns += policy.settle_ns;
	in.tx = synced();
	CU_ASSERT_EQUAL(ntpw_decide(&in, &policy), NTPW_REPORT);
}

static void test_texts(void)
{
	CU_ASSERT_STRING_EQUAL(ntpw_sync_text(NTPW_SYNCED), "synchronised");
	CU_ASSERT_PTR_NOT_NULL(ntpw_sync_text(NTPW_UNSYNC_MAXERROR));
	CU_ASSERT_STRING_EQUAL(ntpw_action_text(NTPW_REPORT),
			       "reporting NTP synchronisation");
}

int main(void)
{
	static const struct cu_case tests[] = {
		{"synced reports", test_synced_reports},
		{"STA_UNSYNC waits", test_sta_unsync_waits},
		{"TIME_ERROR waits", test_time_error_waits},
		{"adjtimex failure waits", test_adjtimex_failed_waits},
		{"maxerror threshold", test_maxerror_threshold},
		{"leap second states are synced", test_leap_states_synced},
		{"authoritative: nothing", test_authoritative_nothing},
		{"losing sync never revokes", test_losing_sync_never_revokes},
		{"re-assert only after settle", test_reassert_after_settle},
		{"gate observation", test_gate_observe},
		{"a step, poll by poll", test_step_story},
		{"texts", test_texts},
	};

	return cu_run_suite("ntpwatch decision", NULL, NULL, CU_CASES(tests));
}
