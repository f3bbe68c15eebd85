// SPDX-License-Identifier: MIT
/*
 * The time gate and PKI timers: clock state, signing refused without
 * authority, timers arm/list/cancel/re-arm, WAITING while time is not
 * authoritative, a timer that expires (event on a subscribed handle) and
 * stays listed as EXPIRED, the lab clock refused where it is not served.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"

#define SEC 1000000000ULL

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static void test_clock_get(void)
{
	struct pkiks_clock a, b;
	int64_t sec;

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &a), 0);
	CU_ASSERT_EQUAL(a.authoritative, 1); /* the keys suite set calendar */
	CU_ASSERT_EQUAL(a.source, PKIKS_CLOCK_CALENDAR);
	CU_ASSERT(a.since_ns > 0 && a.since_ns <= a.now_ns);
	/* Same machine, same clock: within a few seconds of ours. */
	CU_ASSERT(a.realtime_ns > realtime_ns() - 5 * SEC &&
		  a.realtime_ns < realtime_ns() + 5 * SEC);
	CU_ASSERT(a.now_ns > realtime_ns() - 5 * SEC);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &b), 0);
	CU_ASSERT(b.now_ns >= a.now_ns);
	CU_ASSERT_EQUAL(pkiks_now(ks, &sec), 0);
	CU_ASSERT(sec >= (int64_t)(a.now_ns / SEC));
}

static void test_gate(void)
{
	struct pkiks_clock c;
	int64_t sec;

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_NONE), 0);
	CU_ASSERT_EQUAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL(c.authoritative, 0);
	CU_ASSERT_EQUAL(c.source, PKIKS_CLOCK_NONE);
	CU_ASSERT_EQUAL(pkiks_now(ks, &sec), -EAGAIN);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-rsa2048", test_key(K2048)),
			-EAGAIN);
	CU_ASSERT_EQUAL(pkiks_clock_set(ks, 77), -ERANGE);
	/* The lab clock is set with CLOCK_LAB only. */
	CU_ASSERT_EQUAL(pkiks_clock_set(ks, PKIKS_CLOCK_LAB), -EOPNOTSUPP);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR), 0);
	CU_ASSERT_EQUAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL(c.authoritative, 1);
	CU_ASSERT_EQUAL(c.source, PKIKS_CLOCK_CALENDAR);
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-rsa2048", test_key(K2048)), 0);
}

static void test_lab_refused(void)
{
	uint32_t features = 0;

	CU_ASSERT_EQUAL_FATAL(pkiks_get_info(ks, NULL, &features), 0);
	if (features & PKIKS_FEATURE_LAB_CLOCK) {
		CU_PASS("lab clock served here; tested by the pkiksd script");
		return;
	}
	CU_ASSERT_EQUAL(pkiks_clock_lab_advance(ks, SEC), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(pkiks_clock_lab_set(ks, host_now() + SEC), -EOPNOTSUPP);
}

static void test_timer_arm_cancel(void)
{
	struct pkiks_timer_info t;
	uint64_t now = host_now();

	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm(ks, "t-owner", PKIKS_TIMER_RENEW,
					      now + 3600 * SEC),
			      0);
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-owner", PKIKS_TIMER_RENEW, NULL, &t), 0);
	CU_ASSERT_EQUAL(t.deadline_ns, now + 3600 * SEC);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_ARMED);
	CU_ASSERT_EQUAL(t.owner_uid, geteuid());
	/* Re-arming replaces the deadline; still one timer. */
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-owner", PKIKS_TIMER_RENEW,
					now + 7200 * SEC),
			0);
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-owner", PKIKS_TIMER_RENEW, NULL, &t), 0);
	CU_ASSERT_EQUAL(t.deadline_ns, now + 7200 * SEC);
	/* Another kind of the same owner is another timer. */
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-owner", PKIKS_TIMER_POLL,
					now + 60 * SEC),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-owner", PKIKS_TIMER_RENEW),
			0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-owner", PKIKS_TIMER_RENEW, NULL, &t),
			-ENOENT);
	CU_ASSERT_EQUAL(timer_find(ks, "t-owner", PKIKS_TIMER_POLL, NULL, &t),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-owner", PKIKS_TIMER_RENEW),
			-ENOENT);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-owner", PKIKS_TIMER_POLL), 0);
}

static void test_timer_bad(void)
{
	uint64_t later = host_now() + 60 * SEC;

	/* Bad owners: EINVAL; kinds outside the policy's range: ERANGE. */
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t#", PKIKS_TIMER_RENEW, later),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "", PKIKS_TIMER_RENEW, later),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-x", PKIKS_TIMER_UNSPEC, later),
			-ERANGE);
	CU_ASSERT_EQUAL(
		pkiks_timer_arm(ks, "t-x", __PKIKS_TIMER_KIND_MAX, later),
		-ERANGE);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-x", 200), -ERANGE);
}

static void test_timer_waiting(void)
{
	struct pkiks_timer_info t;

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_NONE), 0);
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-wait", PKIKS_TIMER_SHADOW,
					host_now() + 3600 * SEC),
			0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-wait", PKIKS_TIMER_SHADOW, NULL, &t),
			0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_WAITING);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR), 0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-wait", PKIKS_TIMER_SHADOW, NULL, &t),
			0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_ARMED);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-wait", PKIKS_TIMER_SHADOW),
			0);
}

/* Wait (bounded) for the expiry event of (owner, kind), and of that label
 * when label is not NULL (GENERIC timers). */
static int wait_expiry_label(struct pkiks *sub, const char *owner,
			     enum pkiks_timer_kind kind, const char *label,
			     int timeout_ms)
{
	struct pollfd pfd = {.fd = pkiks_event_fd(sub), .events = POLLIN};
	struct pkiks_event_msg ev;
	int rounds, err;

	for (rounds = 0; rounds < timeout_ms / 100; rounds++) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		while (!(err = pkiks_event_read(sub, &ev))) {
			if (ev.type == PKIKS_EVENT_TIMER_EXPIRED &&
			    ev.timer.kind == kind &&
			    !strcmp(ev.timer.owner, owner) &&
			    (!label || !strcmp(ev.timer.label, label)))
				return 0;
		}
		if (err != -EAGAIN)
			return err;
	}
	return -ETIMEDOUT;
}

static int wait_expiry(struct pkiks *sub, const char *owner,
		       enum pkiks_timer_kind kind, int timeout_ms)
{
	return wait_expiry_label(sub, owner, kind, NULL, timeout_ms);
}

static void test_timer_expires(void)
{
	struct pkiks_timer_info t;
	struct pkiks *sub;
	uint64_t deadline;

	CU_ASSERT_EQUAL_FATAL(open_handle(&sub), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_events_subscribe(sub), 0);
	CU_ASSERT(pkiks_event_fd(sub) >= 0);
	deadline = host_now() + 3 * SEC / 2;
	CU_ASSERT_EQUAL_FATAL(
		pkiks_timer_arm(ks, "t-exp", PKIKS_TIMER_POLL, deadline), 0);
	CU_ASSERT_EQUAL(wait_expiry(sub, "t-exp", PKIKS_TIMER_POLL, 8000), 0);
	/* Not early. */
	CU_ASSERT(host_now() >= deadline);
	CU_ASSERT_EQUAL(timer_find(ks, "t-exp", PKIKS_TIMER_POLL, NULL, &t), 0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_EXPIRED);
	CU_ASSERT_EQUAL(t.deadline_ns, deadline);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-exp", PKIKS_TIMER_POLL), 0);
	pkiks_close(sub);
}

/* GENERIC timers: several per owner, told apart by their labels. */
static void test_generic_arm_list(void)
{
	uint64_t now = host_now();
	struct pkiks_timer_info t;
	uint32_t features = 0;

	CU_ASSERT_EQUAL(pkiks_get_info(ks, NULL, &features), 0);
	CU_ASSERT(features & PKIKS_FEATURE_GENERIC_TIMER);
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm_label(ks, "t-gen",
						    PKIKS_TIMER_GENERIC,
						    "crl-refresh", now + 60 * SEC),
			      0);
	CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-gen", PKIKS_TIMER_GENERIC,
					      "x.y:Z~!", now + 120 * SEC),
			0);
	/* An IOS kind of the same owner is yet another timer. */
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-gen", PKIKS_TIMER_RENEW,
					now + 180 * SEC),
			0);
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-gen", PKIKS_TIMER_GENERIC, "crl-refresh", &t),
		0);
	CU_ASSERT_EQUAL(t.deadline_ns, now + 60 * SEC);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_ARMED);
	CU_ASSERT_EQUAL(t.owner_uid, geteuid());
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-gen", PKIKS_TIMER_GENERIC, "x.y:Z~!", &t), 0);
	CU_ASSERT_EQUAL(t.deadline_ns, now + 120 * SEC);
	CU_ASSERT_EQUAL(timer_find(ks, "t-gen", PKIKS_TIMER_RENEW, NULL, &t),
			0);
	CU_ASSERT_STRING_EQUAL(t.label, "");
	/* Re-arming a label replaces its deadline only. */
	CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-gen", PKIKS_TIMER_GENERIC,
					      "crl-refresh", now + 90 * SEC),
			0);
	CU_ASSERT_EQUAL(
		timer_find(ks, "t-gen", PKIKS_TIMER_GENERIC, "crl-refresh", &t),
		0);
	CU_ASSERT_EQUAL(t.deadline_ns, now + 90 * SEC);
	/* Cancel by label. */
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-gen",
						 PKIKS_TIMER_GENERIC, "x.y:Z~!"),
			0);
	CU_ASSERT_EQUAL(
		timer_find(ks, "t-gen", PKIKS_TIMER_GENERIC, "x.y:Z~!", &t),
		-ENOENT);
	CU_ASSERT_EQUAL(
		timer_find(ks, "t-gen", PKIKS_TIMER_GENERIC, "crl-refresh", &t),
		0);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-gen",
						 PKIKS_TIMER_GENERIC, "x.y:Z~!"),
			-ENOENT);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-gen",
						 PKIKS_TIMER_GENERIC,
						 "crl-refresh"),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-gen", PKIKS_TIMER_RENEW), 0);
}

/* Labels both hosts refuse with EINVAL; the label goes with GENERIC only. */
static void test_generic_bad(void)
{
	static const char *const bad[] = {
		"", "a b", "a/b", "tab\t", "nl\n", "del\x7f", "caf\xc3\xa9",
		"0123456789012345678901234567890123456789", /* 40 > 31 */
		"01234567890123456789012345678901",	    /* 32 > 31 */
	};
	uint64_t later = host_now() + 60 * SEC;
	struct pkiks_timer_info t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-gen",
						      PKIKS_TIMER_GENERIC,
						      bad[i], later),
				-EINVAL);
	/* The longest label (31) is fine. */
	CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-gen", PKIKS_TIMER_GENERIC,
					      "0123456789012345678901234567890",
					      later),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(
				ks, "t-gen", PKIKS_TIMER_GENERIC,
				"0123456789012345678901234567890"),
			0);
	/* GENERIC needs a label; the IOS kinds take none. */
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-gen", PKIKS_TIMER_GENERIC, later),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-gen", PKIKS_TIMER_RENEW,
					      "x", later),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-gen", PKIKS_TIMER_GENERIC),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-gen", PKIKS_TIMER_GENERIC,
						 "a b"),
			-EINVAL);
	/* Deadlines 1..INT64_MAX on both hosts. */
	CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-gen", PKIKS_TIMER_GENERIC,
					      "zero", 0),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-gen", PKIKS_TIMER_GENERIC,
					      "huge", (uint64_t)INT64_MAX + 1),
			-EINVAL);
	/* Nothing was stored. */
	CU_ASSERT_EQUAL(timer_find(ks, "t-gen", PKIKS_TIMER_GENERIC, NULL, &t),
			-ENOENT);
}

/* Two labels of one owner fire one event each, carrying the label. */
static void test_generic_expires(void)
{
	struct pkiks_timer_info t;
	uint64_t deadline;
	struct pkiks *sub;

	CU_ASSERT_EQUAL_FATAL(open_handle(&sub), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_events_subscribe(sub), 0);
	deadline = host_now() + SEC;
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm_label(ks, "t-gexp",
						    PKIKS_TIMER_GENERIC, "one",
						    deadline),
			      0);
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm_label(ks, "t-gexp",
						    PKIKS_TIMER_GENERIC, "two",
						    deadline + SEC / 2),
			      0);
	CU_ASSERT_EQUAL(wait_expiry_label(sub, "t-gexp", PKIKS_TIMER_GENERIC, "one",
					  8000), 0);
	CU_ASSERT(host_now() >= deadline);
	CU_ASSERT_EQUAL(wait_expiry_label(sub, "t-gexp", PKIKS_TIMER_GENERIC, "two",
					  8000), 0);
	CU_ASSERT(host_now() >= deadline + SEC / 2);
	CU_ASSERT_EQUAL(
		timer_find(ks, "t-gexp", PKIKS_TIMER_GENERIC, "one", &t), 0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_EXPIRED);
	CU_ASSERT_EQUAL(
		timer_find(ks, "t-gexp", PKIKS_TIMER_GENERIC, "two", &t), 0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_EXPIRED);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-gexp",
						 PKIKS_TIMER_GENERIC, "one"),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-gexp",
						 PKIKS_TIMER_GENERIC, "two"),
			0);
	pkiks_close(sub);
}

/* Both fields of a timer from the list and from TIMER_GET's doit agree. */
static void assert_same_timer(const struct pkiks_timer_info *a,
			      const struct pkiks_timer_info *b)
{
	CU_ASSERT_STRING_EQUAL(a->owner, b->owner);
	CU_ASSERT_EQUAL(a->kind, b->kind);
	CU_ASSERT_STRING_EQUAL(a->label, b->label);
	CU_ASSERT_EQUAL(a->deadline_ns, b->deadline_ns);
	CU_ASSERT_EQUAL(a->state, b->state);
	CU_ASSERT_EQUAL(a->owner_uid, b->owner_uid);
}

/*
 * v4: one timer by its name (TIMER_GET's doit): what the list says of
 * it, ENOENT for every near miss (other owner, kind or label, cancelled),
 * the names TIMER_ARM refuses refused the same way, and EXPIRED once it
 * fired.
 */
static void test_timer_get(void)
{
	struct pkiks_timer_info g, l;
	uint64_t now = host_now();
	uint32_t version = 0, features = 0;
	struct pkiks *sub;

	CU_ASSERT_EQUAL(pkiks_get_info(ks, &version, &features), 0);
	CU_ASSERT(version >= 4);
	CU_ASSERT_FATAL(features & PKIKS_FEATURE_TIMER_GET);
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm(ks, "t-get", PKIKS_TIMER_RENEW,
					      now + 3600 * SEC),
			      0);
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm_label(ks, "t-get",
						    PKIKS_TIMER_GENERIC, "lbl",
						    now + 7200 * SEC),
			      0);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_RENEW, NULL,
					&g),
			0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-get", PKIKS_TIMER_RENEW, NULL, &l),
			0);
	assert_same_timer(&g, &l);
	CU_ASSERT_EQUAL(g.deadline_ns, now + 3600 * SEC);
	CU_ASSERT_EQUAL(g.state, PKIKS_TIMER_ARMED);
	CU_ASSERT_STRING_EQUAL(g.label, "");
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_GENERIC,
					"lbl", &g),
			0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-get", PKIKS_TIMER_GENERIC, "lbl",
				   &l),
			0);
	assert_same_timer(&g, &l);
	CU_ASSERT_STRING_EQUAL(g.label, "lbl");
	CU_ASSERT_EQUAL(g.deadline_ns, now + 7200 * SEC);
	/* Near misses. */
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-gex", PKIKS_TIMER_RENEW, NULL,
					&g),
			-ENOENT);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_SHADOW, NULL,
					&g),
			-ENOENT);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_GENERIC,
					"lbm", &g),
			-ENOENT);
	/* Refused as TIMER_ARM refuses them. */
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t#", PKIKS_TIMER_RENEW, NULL, &g),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "", PKIKS_TIMER_RENEW, NULL, &g),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_GENERIC, NULL,
					&g),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_RENEW, "lbl",
					&g),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_GENERIC,
					"a b", &g),
			-EINVAL);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_UNSPEC, NULL,
					&g),
			-ERANGE);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", __PKIKS_TIMER_KIND_MAX,
					NULL, &g),
			-ERANGE);
	/* Cancelled: gone. */
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-get", PKIKS_TIMER_RENEW), 0);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_RENEW, NULL,
					&g),
			-ENOENT);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_GENERIC,
					"lbl", &g),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-get",
						 PKIKS_TIMER_GENERIC, "lbl"),
			0);
	/* Fired: EXPIRED, as the list says. */
	CU_ASSERT_EQUAL_FATAL(open_handle(&sub), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_events_subscribe(sub), 0);
	now = host_now() + SEC;
	CU_ASSERT_EQUAL_FATAL(
		pkiks_timer_arm(ks, "t-get", PKIKS_TIMER_POLL, now), 0);
	CU_ASSERT_EQUAL(wait_expiry(sub, "t-get", PKIKS_TIMER_POLL, 8000), 0);
	CU_ASSERT_EQUAL(pkiks_timer_get(ks, "t-get", PKIKS_TIMER_POLL, NULL,
					&g),
			0);
	CU_ASSERT_EQUAL(g.state, PKIKS_TIMER_EXPIRED);
	CU_ASSERT_EQUAL(g.deadline_ns, now);
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-get", PKIKS_TIMER_POLL), 0);
	pkiks_close(sub);
}

int suite_time(void)
{
	CU_pSuite s = CU_add_suite("time", NULL, NULL);

	if (!s || !CU_add_test(s, "clock get", test_clock_get) ||
	    !CU_add_test(s, "no authority: sign EAGAIN", test_gate) ||
	    !CU_add_test(s, "lab clock refused unless served",
			 test_lab_refused) ||
	    !CU_add_test(s, "timers arm/list/cancel/re-arm",
			 test_timer_arm_cancel) ||
	    !CU_add_test(s, "timers: bad owner/kind EINVAL", test_timer_bad) ||
	    !CU_add_test(s, "timers: one by its name (v4)", test_timer_get) ||
	    !CU_add_test(s, "timers WAITING without authority",
			 test_timer_waiting) ||
	    !CU_add_test(s, "timer expires: event, EXPIRED",
			 test_timer_expires) ||
	    !CU_add_test(s, "GENERIC timers: labels, arm/list/cancel",
			 test_generic_arm_list) ||
	    !CU_add_test(s, "GENERIC timers: bad labels EINVAL",
			 test_generic_bad) ||
	    !CU_add_test(s, "GENERIC timers: events carry the label",
			 test_generic_expires))
		return -1;
	return 0;
}
