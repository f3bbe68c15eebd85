// SPDX-License-Identifier: GPL-2.0
/*
 * The time gate.  Time is authoritative after an admin's calendar-valid or
 * an NTP report (PKIKS_CMD_CLOCK_SET: the kernel's NTP status is not
 * exported to modules, so pkiks-ntpwatch, running as root, polls
 * adjtimex() and reports synchronisation; chrony and systemd-timesyncd
 * both clear STA_UNSYNC when synchronised).
 *
 * A step of CLOCK_REALTIME (settimeofday, date -s, a chrony makestep)
 * revokes authority.  Steps are seen as a change of REALTIME - BOOTTIME:
 * both run at the same rate except when someone sets the wall clock, and
 * BOOTTIME keeps counting through suspend as REALTIME does.  Slewing moves
 * the offset by at most 0.5 ms/s, far below the tolerance, and the
 * reference follows it at every check.  The offset is checked on every
 * request and by a periodic work item, and before any PKI timer expires.
 *
 * "now" is the larger of CLOCK_REALTIME and the floor, the last "now"
 * read while authoritative.  Only vouched readings raise the floor: a
 * clock that was wrong while nobody vouched for it (a bad RTC at boot, a
 * step forward that revoked authority) leaves no trace once it is put
 * right.  While authoritative, "now" never goes backwards.  A grant takes
 * CLOCK_REALTIME as it is then and resets the floor to it, downwards too:
 * calendar-valid (or an NTP report) says the clock is right now, and it
 * supersedes earlier authoritative readings, which would otherwise pin a
 * wrong time until the real one caught up with it.  "now" is reported
 * while not authoritative too (as pkiksd does), but only pkiks_clock_now()
 * hands it out for use, and that refuses with -EAGAIN.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "uapi/pkiks.h"
#include "clock.h"
#include "netlink.h"
#include "timers.h"

static unsigned int step_tolerance_ms = 100;
module_param(step_tolerance_ms, uint, 0444);
MODULE_PARM_DESC(step_tolerance_ms,
		 "REALTIME-BOOTTIME change that counts as a clock step (ms)");

static unsigned int check_interval_ms = 1000;
module_param(check_interval_ms, uint, 0444);
MODULE_PARM_DESC(check_interval_ms, "period of the clock step check (ms)");

static DEFINE_SPINLOCK(clock_lock);
static struct {
	bool authoritative;
	u32 source;
	u64 since;
	u64 floor;	/* last now read while authoritative */
	s64 ref_offset; /* REALTIME - BOOTTIME at the last check */
	u32 steps;
} gate;

static struct delayed_work check_work;
static bool check_running;

static s64 realtime_offset(void)
{
	return (s64)ktime_get_real_ns() - (s64)ktime_get_boottime_ns();
}

/* Under clock_lock: true when the clock was stepped and authority lost. */
static bool step_check_locked(void)
{
	s64 off = realtime_offset(), delta = off - gate.ref_offset;

	gate.ref_offset = off;
	if (abs(delta) <= (s64)step_tolerance_ms * NSEC_PER_MSEC)
		return false;
	gate.steps++;
	if (!gate.authoritative)
		return false;
	gate.authoritative = false;
	gate.source = PKIKS_CLOCK_NONE;
	gate.since = 0;
	return true;
}

/*
 * Under clock_lock: whether a reading taken just before is vouched for:
 * under authority, and no step since the last check (which will revoke).
 * Readers without the check (sysfs, timer display) and a step landing
 * between a check and a reading would otherwise take a stepped clock as
 * authoritative.
 */
static bool vouched_locked(void)
{
	s64 delta = realtime_offset() - gate.ref_offset;

	return gate.authoritative &&
	       abs(delta) <= (s64)step_tolerance_ms * NSEC_PER_MSEC;
}

/* Under clock_lock. *ok (may be NULL): whether the now is vouched for. */
static u64 now_locked(bool *ok)
{
	u64 real = ktime_get_real_ns();
	bool v = vouched_locked(); /* after the reading: sees a step behind it */

	if (ok)
		*ok = v;
	if (real <= gate.floor)
		return gate.floor;
	/* An unvouched reading is shown, never remembered. */
	if (v)
		gate.floor = real;
	return real;
}

static void fill_locked(struct pkiks_clock_state *st)
{
	bool ok;

	st->now = now_locked(&ok);
	st->authoritative = ok; /* never a now read across an unchecked step */
	st->source = gate.source;
	st->since = gate.since;
	st->realtime = ktime_get_real_ns();
	st->steps = gate.steps;
}

/* After authority changed: timers follow, listeners hear of it. */
static void authority_changed(u32 event)
{
	struct pkiks_clock_state st;

	pkiks_timers_resync();
	pkiks_clock_peek(&st);
	pkiks_nl_event_clock(event, &st);
}

static void step_check(void)
{
	bool revoked;

	spin_lock_bh(&clock_lock);
	revoked = step_check_locked();
	spin_unlock_bh(&clock_lock);
	if (revoked) {
		pr_warn("pkiks: realtime clock stepped; time no longer "
			"authoritative\n");
		authority_changed(PKIKS_EVENT_CLOCK_REVOKED);
	}
}

void pkiks_clock_check(void)
{
	step_check();
}

void pkiks_clock_peek(struct pkiks_clock_state *st)
{
	spin_lock_bh(&clock_lock);
	fill_locked(st);
	spin_unlock_bh(&clock_lock);
}

void pkiks_clock_get(struct pkiks_clock_state *st)
{
	step_check();
	pkiks_clock_peek(st);
}

int pkiks_clock_now(u64 *now)
{
	bool ok;
	u64 t;

	step_check();
	spin_lock_bh(&clock_lock);
	t = now_locked(&ok);
	spin_unlock_bh(&clock_lock);
	if (!ok)
		return -EAGAIN;
	*now = t;
	return 0;
}

int pkiks_clock_set(u32 source)
{
	bool was, is, changed;

	if (source != PKIKS_CLOCK_NONE && source != PKIKS_CLOCK_CALENDAR &&
	    source != PKIKS_CLOCK_NTP)
		return -EINVAL;
	step_check(); /* a step before the grant is absorbed by it */
	spin_lock_bh(&clock_lock);
	was = gate.authoritative;
	is = source != PKIKS_CLOCK_NONE;
	changed = was != is || gate.source != source;
	gate.authoritative = is;
	gate.source = source;
	if (is && !was) {
		/* The clock as it is now, even below the floor. */
		gate.floor = ktime_get_real_ns();
		gate.since = gate.floor;
	}
	if (!is)
		gate.since = 0;
	spin_unlock_bh(&clock_lock);

	if (changed)
		authority_changed(is ? PKIKS_EVENT_CLOCK_AUTHORITATIVE
				     : PKIKS_EVENT_CLOCK_REVOKED);
	return 0;
}

static void check_work_fn(struct work_struct *work)
{
	step_check();
	schedule_delayed_work(&check_work,
			      msecs_to_jiffies(max(check_interval_ms, 10U)));
}

int pkiks_clock_init(void)
{
	gate.ref_offset = realtime_offset();
	INIT_DELAYED_WORK(&check_work, check_work_fn);
	return 0;
}

void pkiks_clock_start(void)
{
	check_running = true;
	schedule_delayed_work(&check_work, msecs_to_jiffies(check_interval_ms));
}

void pkiks_clock_stop(void)
{
	if (check_running)
		cancel_delayed_work_sync(&check_work);
	check_running = false;
}

void pkiks_clock_uninit(void)
{
	pkiks_clock_stop();
}
