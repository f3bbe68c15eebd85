// SPDX-License-Identifier: MIT
/*
 * test-pkiksd: what only pkiksd does, run by check-twin.sh around pkiksd
 * starts and restarts.
 *
 *   test-pkiksd --state-dir DIR --suite lab|persist-arm|persist-check|kek
 *   test-pkiksd --state-dir DIR --suite step --faketime-file FILE
 *
 *   lab            (pkiksd --lab) set/advance the lab clock, timers fire in
 *                  deadline order with events, the status tree follows
 *   persist-arm    arm timers (one already expired) before a restart
 *   persist-check  after the restart: same timers, WAITING until
 *                  calendar-valid, EXPIRED kept; status files rebuilt
 *   kek            (pkiksd --kek-file) wrap works with no KEK_SET, and a
 *                  second KEK is refused (EBUSY)
 *   step           (pkiksd under libfaketime, started ten years ahead,
 *                  --faketime-file FILE) clock steps: only authoritative
 *                  readings raise the floor, a grant takes the clock as it
 *                  is, no step no going back
 *
 * The socket comes from $PKIKS_SOCKET (tests/lib/keystore.sh sets it).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <CUnit/Basic.h>

#include "../lib/cunit_run.h"

#include "keystore.h"
#include "timers.h"

#define SEC 1000000000ULL
#define DAY (86400 * SEC)
/* 2036-01-01T00:00:00Z: far from the host's clock, in the future. */
#define LAB_T0 (2082758400ULL * SEC)

static struct pkiks *ks;
static const char *state_dir, *faketime_file;

static int read_status(const char *rel, char *buf, size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/status/%s", state_dir, rel);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* lab                                                                 */

static void test_lab_set(void)
{
	struct pkiks_clock c;
	uint32_t features = 0;

	CU_ASSERT_EQUAL(pkiks_get_info(ks, NULL, &features), 0);
	CU_ASSERT(features & PKIKS_FEATURE_LAB_CLOCK);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL(c.authoritative, 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_lab_set(ks, LAB_T0), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL(c.authoritative, 1);
	CU_ASSERT_EQUAL(c.source, PKIKS_CLOCK_LAB);
	CU_ASSERT(c.now_ns >= LAB_T0 && c.now_ns < LAB_T0 + 10 * SEC);
	/* The gate never goes backwards, not even in the lab. */
	CU_ASSERT_EQUAL(pkiks_clock_lab_set(ks, LAB_T0 - DAY), -EINVAL);
}

static int next_expiry(struct pkiks *sub, struct pkiks_event_msg *ev)
{
	struct pollfd pfd = {.fd = pkiks_event_fd(sub), .events = POLLIN};
	int rounds, err;

	for (rounds = 0; rounds < 50; rounds++) {
		err = pkiks_event_read(sub, ev);
		if (!err && ev->type == PKIKS_EVENT_TIMER_EXPIRED)
			return 0;
		if (err && err != -EAGAIN)
			return err;
		if (err == -EAGAIN)
			poll(&pfd, 1, 100);
	}
	return -ETIMEDOUT;
}

static void test_lab_timers(void)
{
	static const struct {
		const char *owner;
		enum pkiks_timer_kind kind;
		uint64_t at;
	} arm[] = {
		/* Armed out of order; must fire in deadline order. */
		{"t-lab", PKIKS_TIMER_SHADOW, 2 * DAY},
		{"t-lab", PKIKS_TIMER_RENEW, 1 * DAY},
		{"t-lab2", PKIKS_TIMER_CS_CRL_UPDATE, 30 * DAY},
		{"t-lab", PKIKS_TIMER_POLL, 365 * DAY},
	};
	struct pkiks_timer_info t;
	struct pkiks_event_msg ev;
	struct pkiks *sub;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(pkiks_open(&sub, PKIKS_TRANSPORT_TWIN, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_events_subscribe(sub), 0);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(pkiks_timer_arm(ks, arm[i].owner, arm[i].kind,
						LAB_T0 + arm[i].at),
				0);
	/* Forty days pass in one call: three timers fire before it returns. */
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_lab_advance(ks, 40 * DAY), 0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-lab", PKIKS_TIMER_RENEW, NULL, &t),
			0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_EXPIRED);
	CU_ASSERT_EQUAL(
		timer_find(ks, "t-lab2", PKIKS_TIMER_CS_CRL_UPDATE, NULL, &t),
		0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_EXPIRED);
	CU_ASSERT_EQUAL(timer_find(ks, "t-lab", PKIKS_TIMER_POLL, NULL, &t), 0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_ARMED);
	for (i = 0; i < 3; i++) {
		static const enum pkiks_timer_kind order[] = {
			PKIKS_TIMER_RENEW, PKIKS_TIMER_SHADOW,
			PKIKS_TIMER_CS_CRL_UPDATE};

		CU_ASSERT_EQUAL_FATAL(next_expiry(sub, &ev), 0);
		CU_ASSERT_EQUAL(ev.timer.kind, order[i]);
	}
	/* A year later the last one. */
	CU_ASSERT_EQUAL(pkiks_clock_lab_advance(ks, 365 * DAY), 0);
	CU_ASSERT_EQUAL_FATAL(next_expiry(sub, &ev), 0);
	CU_ASSERT_EQUAL(ev.timer.kind, PKIKS_TIMER_POLL);
	CU_ASSERT_STRING_EQUAL(ev.timer.owner, "t-lab");
	pkiks_close(sub);
}

/* Revoking and regaining authority are announced; so are key changes. */
static void test_lab_events(void)
{
	struct pkiks_event_msg ev;
	struct pkiks *sub;
	int i, err, seen = 0;

	CU_ASSERT_EQUAL_FATAL(pkiks_open(&sub, PKIKS_TRANSPORT_TWIN, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_events_subscribe(sub), 0);
	CU_ASSERT_EQUAL(pkiks_clock_set(ks, PKIKS_CLOCK_NONE), 0);
	CU_ASSERT_EQUAL(pkiks_clock_lab_advance(ks, SEC), 0);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-none"), -ENOENT); /* no event */
	/* Bounded: the events were sent before the replies. */
	for (i = 0; i < 10; i++) {
		err = pkiks_event_read(sub, &ev);
		if (err == -EAGAIN)
			break;
		CU_ASSERT_EQUAL_FATAL(err, 0);
		if (seen == 0 && ev.type == PKIKS_EVENT_CLOCK_REVOKED &&
		    !ev.clock.authoritative)
			seen = 1;
		else if (seen == 1 &&
			 ev.type == PKIKS_EVENT_CLOCK_AUTHORITATIVE &&
			 ev.clock.authoritative &&
			 ev.clock.source == PKIKS_CLOCK_LAB)
			seen = 2;
		else
			CU_FAIL("unexpected event");
	}
	CU_ASSERT_EQUAL(seen, 2);
	pkiks_close(sub);
}

static void test_lab_status(void)
{
	char buf[64], want[32];
	struct pkiks_clock c;

	CU_ASSERT_EQUAL(read_status("clock/authoritative", buf, sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "1");
	CU_ASSERT_EQUAL(read_status("clock/source", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "lab");
	CU_ASSERT_EQUAL(read_status("clock/now", buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT(strtoull(buf, NULL, 10) >= LAB_T0 + 405 * DAY);
	CU_ASSERT(strtoull(buf, NULL, 10) <= c.now_ns);
	CU_ASSERT_EQUAL(
		read_status("timers/t-lab/RENEW/state", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "expired");
	CU_ASSERT_EQUAL(read_status("timers/t-lab2/CS_CRL_UPDATE/deadline", buf,
				    sizeof(buf)),
			0);
	snprintf(want, sizeof(want), "%llu",
		 (unsigned long long)(LAB_T0 + 30 * DAY));
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(read_status("timers/t-lab2/CS_CRL_UPDATE/remaining",
				    buf, sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "0");
	/* Cancelled: its directory goes. */
	CU_ASSERT_EQUAL(
		pkiks_timer_cancel(ks, "t-lab2", PKIKS_TIMER_CS_CRL_UPDATE), 0);
	CU_ASSERT_EQUAL(read_status("timers/t-lab2/CS_CRL_UPDATE/state", buf,
				    sizeof(buf)),
			-ENOENT);
}

/* A GENERIC timer's directory is GENERIC:<label>, with a label file. */
static void test_lab_generic_status(void)
{
	char buf[64], want[32];
	struct pkiks_clock c;

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm_label(ks, "t-glab",
						    PKIKS_TIMER_GENERIC,
						    "crl-refresh",
						    c.now_ns + DAY),
			      0);
	CU_ASSERT_EQUAL(read_status("timers/t-glab/GENERIC:crl-refresh/label",
				    buf, sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "crl-refresh");
	CU_ASSERT_EQUAL(read_status("timers/t-glab/GENERIC:crl-refresh/state",
				    buf, sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "armed");
	CU_ASSERT_EQUAL(read_status(
				"timers/t-glab/GENERIC:crl-refresh/deadline",
				buf, sizeof(buf)),
			0);
	snprintf(want, sizeof(want), "%llu",
		 (unsigned long long)(c.now_ns + DAY));
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(pkiks_clock_lab_advance(ks, 2 * DAY), 0);
	CU_ASSERT_EQUAL(read_status("timers/t-glab/GENERIC:crl-refresh/state",
				    buf, sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "expired");
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-glab",
						 PKIKS_TIMER_GENERIC,
						 "crl-refresh"),
			0);
	CU_ASSERT_EQUAL(read_status("timers/t-glab/GENERIC:crl-refresh/label",
				    buf, sizeof(buf)),
			-ENOENT);
	/* Armed again right after its cancel (an arm or a cancel rewrites
	 * only that timer's directory): all its files are back, at once. */
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm_label(ks, "t-glab",
						    PKIKS_TIMER_GENERIC,
						    "crl-refresh",
						    c.now_ns + 3 * DAY),
			      0);
	CU_ASSERT_EQUAL(read_status("timers/t-glab/GENERIC:crl-refresh/label",
				    buf, sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "crl-refresh");
	CU_ASSERT_EQUAL(read_status("timers/t-glab/GENERIC:crl-refresh/state",
				    buf, sizeof(buf)),
			0);
	CU_ASSERT_STRING_EQUAL(buf, "armed");
	CU_ASSERT_EQUAL(read_status(
				"timers/t-glab/GENERIC:crl-refresh/deadline",
				buf, sizeof(buf)),
			0);
	snprintf(want, sizeof(want), "%llu",
		 (unsigned long long)(c.now_ns + 3 * DAY));
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(read_status(
				"timers/t-glab/GENERIC:crl-refresh/remaining",
				buf, sizeof(buf)),
			0);
	CU_ASSERT(strtoull(buf, NULL, 10) > 2 * DAY &&
		  strtoull(buf, NULL, 10) <= 3 * DAY);
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "t-glab",
						 PKIKS_TIMER_GENERIC,
						 "crl-refresh"),
			0);
	CU_ASSERT_EQUAL(read_status("timers/t-glab/GENERIC:crl-refresh/state",
				    buf, sizeof(buf)),
			-ENOENT);
}

/* ------------------------------------------------------------------ */
/* persistence                                                         */

static uint64_t armed_at;

static void test_persist_arm(void)
{
	struct pkiks_clock c;
	struct pkiks_timer_info t;
	FILE *f;
	char path[4096];

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	armed_at = c.now_ns;
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-keep", PKIKS_TIMER_RENEW,
					armed_at + DAY),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-keep",
					PKIKS_TIMER_CS_CERT_EXPIRE,
					armed_at + 2 * DAY),
			0);
	CU_ASSERT_EQUAL(pkiks_timer_arm_label(ks, "t-keep", PKIKS_TIMER_GENERIC,
					      "crl-refresh", armed_at + 3 * DAY),
			0);
	/* Already due: expires at once. */
	CU_ASSERT_EQUAL(
		pkiks_timer_arm(ks, "t-gone", PKIKS_TIMER_POLL, armed_at - SEC),
		0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-gone", PKIKS_TIMER_POLL, NULL, &t),
			0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_EXPIRED);
	/* Tell the next phase when. */
	snprintf(path, sizeof(path), "%s/../armed-at", state_dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "%llu\n", (unsigned long long)armed_at);
	fclose(f);
}

static void test_persist_check(void)
{
	struct pkiks_timer_info t;
	char path[4096], buf[64];
	unsigned long long at = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../armed-at", state_dir);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fscanf(f, "%llu", &at), 1);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-keep", PKIKS_TIMER_RENEW, NULL, &t), 0);
	CU_ASSERT_EQUAL(t.deadline_ns, at + DAY);
	/* A fresh pkiksd is not authoritative: the timers wait. */
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_WAITING);
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-keep", PKIKS_TIMER_CS_CERT_EXPIRE, NULL, &t),
		0);
	CU_ASSERT_EQUAL(t.deadline_ns, at + 2 * DAY);
	/* The label survives the restart. */
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-keep", PKIKS_TIMER_GENERIC, NULL, &t), 0);
	CU_ASSERT_STRING_EQUAL(t.label, "crl-refresh");
	CU_ASSERT_EQUAL(t.deadline_ns, at + 3 * DAY);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_WAITING);
	CU_ASSERT_EQUAL_FATAL(
		timer_find(ks, "t-gone", PKIKS_TIMER_POLL, NULL, &t), 0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_EXPIRED);
	CU_ASSERT_EQUAL(
		read_status("timers/t-keep/RENEW/state", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "waiting");
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR), 0);
	CU_ASSERT_EQUAL(timer_find(ks, "t-keep", PKIKS_TIMER_RENEW, NULL, &t),
			0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_ARMED);
	CU_ASSERT_EQUAL(
		read_status("timers/t-keep/RENEW/state", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "armed");
	CU_ASSERT_EQUAL(read_status("clock/source", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "calendar");
}

/* ------------------------------------------------------------------ */
/* step (pkiksd under libfaketime)                                     */

/* Ten years of 365 days: check-twin.sh starts pkiksd this far ahead. */
#define BAD_RTC (3650 * DAY)
/* Two processes on one host read the same clock: a few seconds apart at
 * most, even on a loaded machine (a request takes milliseconds). */
#define NEAR (5 * SEC)

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static int near(uint64_t a, uint64_t b)
{
	return a > b ? a - b < NEAR : b - a < NEAR;
}

/* Set pkiksd's fake clock to the host's plus OFFSET: write a temporary
 * file and rename it, so libfaketime never reads a half-written one. */
static int fake_offset(const char *offset)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", faketime_file);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", offset);
	if (fclose(f))
		return -EIO;
	return rename(tmp, faketime_file) ? -errno : 0;
}

/* The clock as pkiksd sees it after a step, which it must have counted:
 * proof that the fake clock moved under it. */
static void get_after_step(uint32_t steps, struct pkiks_clock *c)
{
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, c), 0);
	CU_ASSERT_EQUAL(c->steps, steps + 1);
	CU_ASSERT_EQUAL(c->authoritative, 0);
	CU_ASSERT_EQUAL(c->source, PKIKS_CLOCK_NONE);
}

/* Boot with the RTC ten years ahead, read the clock, put it right,
 * calendar-valid: now is the corrected time, and a timer due in an hour
 * waits for that hour. */
static void test_step_bad_rtc(void)
{
	struct pkiks_timer_info t;
	struct pkiks_clock c;
	char buf[64];

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.authoritative, 0);
	CU_ASSERT(near(c.realtime_ns, host_ns() + BAD_RTC));
	CU_ASSERT(near(c.now_ns, host_ns() + BAD_RTC)); /* shown, unvouched */
	CU_ASSERT_EQUAL(pkiks_timer_arm(ks, "t-rtc", PKIKS_TIMER_RENEW,
					host_ns() + 3600 * SEC),
			0);
	CU_ASSERT_EQUAL_FATAL(fake_offset("+0"), 0);
	get_after_step(c.steps, &c);
	CU_ASSERT(near(c.now_ns, host_ns()));
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL(c.authoritative, 1);
	CU_ASSERT(near(c.now_ns, host_ns()));
	CU_ASSERT(near(c.since_ns, host_ns()));
	CU_ASSERT_EQUAL(timer_find(ks, "t-rtc", PKIKS_TIMER_RENEW, NULL, &t),
			0);
	CU_ASSERT_EQUAL(t.state, PKIKS_TIMER_ARMED);
	CU_ASSERT_EQUAL(read_status("clock/now", buf, sizeof(buf)), 0);
	CU_ASSERT(near(strtoull(buf, NULL, 10), host_ns()));
	CU_ASSERT_EQUAL(pkiks_timer_cancel(ks, "t-rtc", PKIKS_TIMER_RENEW), 0);
}

/* pkid's sequence: +2 d (revokes), -1 d, calendar-valid: now is +1 d. */
static void test_step_forward_back(void)
{
	struct pkiks_clock c;

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.authoritative, 1);
	CU_ASSERT_EQUAL_FATAL(fake_offset("+172800"), 0);
	get_after_step(c.steps, &c);
	CU_ASSERT(near(c.now_ns, host_ns() + 2 * DAY)); /* shown, unvouched */
	CU_ASSERT_EQUAL_FATAL(fake_offset("+86400"), 0);
	get_after_step(c.steps, &c);
	CU_ASSERT(near(c.now_ns, host_ns() + DAY));
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL(c.authoritative, 1);
	CU_ASSERT(near(c.now_ns, host_ns() + DAY));
	CU_ASSERT(near(c.since_ns, host_ns() + DAY));
}

/* Back by less than a step (half a second): authority stays, and so does
 * the floor, now does not go backwards. */
static void test_step_floor(void)
{
	struct pkiks_clock a, b;
	uint64_t t0, t1;

	t0 = host_ns();
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.authoritative, 1);
	CU_ASSERT_EQUAL_FATAL(fake_offset("+86399.5"), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &b), 0);
	t1 = host_ns();
	CU_ASSERT_EQUAL(b.authoritative, 1);
	CU_ASSERT_EQUAL(b.steps, a.steps);
	CU_ASSERT(b.now_ns >= a.now_ns);
	/* The clock itself went back, unless this took half a second. */
	if (t1 - t0 < SEC / 2)
		CU_ASSERT(b.realtime_ns < a.now_ns);
}

/* A grant after a backward step takes the clock as it is, below the
 * earlier authoritative now (the decision documented in clock.c). */
static void test_step_grant_back(void)
{
	struct pkiks_clock a, c;

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.authoritative, 1);
	CU_ASSERT_EQUAL_FATAL(fake_offset("+0"), 0);
	get_after_step(a.steps, &c);
	/* Until the grant, the last authoritative now is shown. */
	CU_ASSERT(c.now_ns >= a.now_ns);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_NTP), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL(c.authoritative, 1);
	CU_ASSERT_EQUAL(c.source, PKIKS_CLOCK_NTP);
	CU_ASSERT(near(c.now_ns, host_ns()));
	CU_ASSERT(near(c.since_ns, host_ns()));
}

/* ------------------------------------------------------------------ */
/* --kek-file                                                          */

static void test_kek_file(void)
{
	unsigned char kek[PKIKS_KEK_LEN] = {0}, *blob = NULL;
	struct pkiks_key_info *keys;
	size_t len, n;

	/* No key to wrap in a fresh pkiksd: ENOENT, not ENOKEY. */
	CU_ASSERT_EQUAL(pkiks_key_wrap(ks, "t-none", &blob, &len), -ENOENT);
	CU_ASSERT_EQUAL(pkiks_kek_set(ks, kek, sizeof(kek)), -EBUSY);
	CU_ASSERT_EQUAL(pkiks_key_list(ks, &keys, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	pkiks_key_info_free(keys, n);
}

/* ------------------------------------------------------------------ */
/* transport choice (this host has no pkiks family)                    */

static void test_transport(void)
{
	struct pkiks *h;

	/* No module here: the kernel transport says so ... */
	CU_ASSERT_EQUAL(pkiks_open(&h, PKIKS_TRANSPORT_KERNEL, NULL), -ENOENT);
	/* ... and AUTO falls back to pkiksd at $PKIKS_SOCKET. */
	CU_ASSERT_EQUAL_FATAL(pkiks_open(&h, PKIKS_TRANSPORT_AUTO, NULL), 0);
	CU_ASSERT_EQUAL(pkiks_transport_of(h), PKIKS_TRANSPORT_TWIN);
	CU_ASSERT_STRING_EQUAL(pkiks_transport_name(h), "pkiksd");
	CU_ASSERT_EQUAL(pkiks_get_info(h, NULL, NULL), 0);
	pkiks_close(h);
	/* No daemon at a path: the connect error comes back. */
	CU_ASSERT_EQUAL(pkiks_open(&h, PKIKS_TRANSPORT_AUTO,
				   "/nonexistent/pkiksd.sock"),
			-ENOENT);
	CU_ASSERT_PTR_NULL(h);
}

static int run(const char *suite)
{
	static const struct {
		const char *name, *title;
		void (*fn)(void);
	} tests[] = {
		{"lab", "lab clock set", test_lab_set},
		{"lab", "lab timers fire in order", test_lab_timers},
		{"lab", "clock events", test_lab_events},
		{"lab", "status tree", test_lab_status},
		{"lab", "status tree: GENERIC timers", test_lab_generic_status},
		{"persist-arm", "arm before restart", test_persist_arm},
		{"persist-check", "timers after restart", test_persist_check},
		{"kek", "KEK from --kek-file", test_kek_file},
		{"kek", "transport: kernel absent, AUTO picks pkiksd",
		 test_transport},
		{"step", "a bad RTC at boot leaves no trace", test_step_bad_rtc},
		{"step", "+2 d, -1 d, calendar-valid: now is +1 d",
		 test_step_forward_back},
		{"step", "back less than a step: now holds", test_step_floor},
		{"step", "a grant after a backward step takes the clock",
		 test_step_grant_back},
	};
	CU_pSuite s;
	size_t i;
	int n = 0;

	s = CU_add_suite(suite, NULL, NULL);
	if (!s)
		return -1;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(tests[i].name, suite))
			continue;
		if (!CU_add_test(s, tests[i].title, tests[i].fn))
			return -1;
		n++;
	}
	return n ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state-dir", required_argument, NULL, 'd'},
		{"suite", required_argument, NULL, 's'},
		{"faketime-file", required_argument, NULL, 'f'},
		{0}};
	const char *suite = NULL;
	int failed;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'd')
			state_dir = optarg;
		else if (c == 's')
			suite = optarg;
		else if (c == 'f')
			faketime_file = optarg;
		else
			return 2;
	}
	if (!state_dir || !suite ||
	    !strcmp(suite, "step") != (faketime_file != NULL)) {
		fprintf(stderr, "usage: test-pkiksd --state-dir DIR --suite "
				"lab|persist-arm|persist-check|kek\n"
				"       test-pkiksd --state-dir DIR --suite step "
				"--faketime-file FILE\n");
		return 2;
	}
	if (pkiks_open(&ks, PKIKS_TRANSPORT_TWIN, NULL)) {
		fprintf(stderr, "test-pkiksd: no pkiksd at $PKIKS_SOCKET\n");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS || run(suite)) {
		fprintf(stderr, "test-pkiksd: unknown suite %s\n", suite);
		return 2;
	}
	failed = cu_run_registered();
	pkiks_close(ks);
	return failed;
}
