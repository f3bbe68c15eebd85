// SPDX-License-Identifier: MIT
/*
 * The time gate.  Time is authoritative once an admin says calendar-valid,
 * NTP sync is reported, or (with --lab) the lab clock is set.  A step of
 * CLOCK_REALTIME, seen as the REALTIME - BOOTTIME offset moving by more
 * than STEP_NS between two checks (every request and every second),
 * revokes it.
 *
 * "now" is the larger of the clock and the floor.  The floor is the last
 * now read while authoritative: only vouched readings raise it, so a clock
 * that was wrong while nobody vouched for it (a bad RTC at boot, a step
 * forward that revoked authority) leaves no trace once it is put right.
 * While authoritative, now never goes backwards.  A grant (calendar-valid,
 * NTP) takes the clock as it is then and resets the floor to it, downwards
 * too: it is the operator's (or NTP's) word that this is right now, and
 * it supersedes earlier authoritative readings, which would otherwise pin
 * a wrong time until the real one caught up with it.  The same as the
 * module's gate (kmod/clock.c).
 *
 * Lab clock (--lab): once set, the clock is the lab time, which runs at
 * the pace of CLOCK_MONOTONIC from where it was set or advanced to.  It
 * only moves forward; setting it grants authority like a grant.  All
 * functions run under twin_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "pkiksd.h"

/* NTP slews at most 500 ppm: 1 s between checks a second apart is a step. */
#define STEP_NS 1000000000LL

static struct {
	int authoritative;
	enum pkiks_clock_source source;
	uint64_t since, floor; /* floor: last now read while authoritative */
	uint32_t steps;
	int64_t offset; /* REALTIME - BOOTTIME at the last check */
	int lab, lab_set;
	uint64_t lab_base, lab_mono;
} gate;

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int64_t realtime_offset(void)
{
	return (int64_t)read_ns(CLOCK_REALTIME) -
	       (int64_t)read_ns(CLOCK_BOOTTIME);
}

void clock_init(int lab)
{
	gate.lab = lab;
	gate.offset = realtime_offset();
}

static void revoke(void)
{
	gate.authoritative = 0;
	gate.source = PKIKS_CLOCK_NONE;
	gate.since = 0;
}

int clock_check(void)
{
	int64_t off = realtime_offset(), moved = off - gate.offset;

	gate.offset = off;
	if (moved < STEP_NS && moved > -STEP_NS)
		return 0;
	gate.steps++;
	fprintf(stderr, "pkiksd: realtime clock stepped by %lld ms%s\n",
		(long long)(moved / 1000000),
		gate.authoritative && gate.source != PKIKS_CLOCK_LAB
			? ": time is no longer authoritative"
			: "");
	/* The lab clock does not follow the host's, so a step leaves it. */
	if (!gate.authoritative || gate.source == PKIKS_CLOCK_LAB)
		return 0;
	revoke();
	return 1;
}

/* The clock as it is: the lab time once set, else CLOCK_REALTIME. */
static uint64_t reading(void)
{
	if (gate.lab_set)
		return gate.lab_base +
		       (read_ns(CLOCK_MONOTONIC) - gate.lab_mono);
	return read_ns(CLOCK_REALTIME);
}

/*
 * Whether a reading taken just before is vouched for: under authority, and
 * no step since the last clock_check() (which will revoke).  The ticker
 * reads the clock after its check, so a step landing in between would
 * otherwise be taken as authoritative.  The lab clock does not follow the
 * host's.
 */
static int vouched(void)
{
	int64_t moved;

	if (!gate.authoritative)
		return 0;
	if (gate.lab_set)
		return 1;
	moved = realtime_offset() - gate.offset;
	return moved < STEP_NS && moved > -STEP_NS;
}

/* *ok (may be NULL) says whether the now returned is vouched for. */
static uint64_t now_vouched(int *ok)
{
	uint64_t t = reading();
	int v = vouched(); /* after the reading: sees any step behind it */

	if (ok)
		*ok = v;
	if (t <= gate.floor)
		return gate.floor;
	/* An unvouched reading is shown, never remembered. */
	if (v)
		gate.floor = t;
	return t;
}

uint64_t clock_now(void)
{
	return now_vouched(NULL);
}

int clock_authoritative(void)
{
	return gate.authoritative;
}

/* *changed says whether an event is due. */
int clock_set(enum pkiks_clock_source src, int *changed)
{
	*changed = 0;
	switch (src) {
	case PKIKS_CLOCK_NONE:
		*changed = gate.authoritative;
		revoke();
		return 0;
	case PKIKS_CLOCK_CALENDAR:
	case PKIKS_CLOCK_NTP:
		*changed = !gate.authoritative;
		if (!gate.authoritative) {
			/* The clock as it is now, even below the floor. */
			gate.floor = reading();
			gate.since = gate.floor;
		}
		gate.authoritative = 1;
		gate.source = src;
		return 0;
	case PKIKS_CLOCK_LAB:
		return -EOPNOTSUPP; /* set with CLOCK_LAB only, as on the kernel
				     */
	default:
		return -EINVAL;
	}
}

int clock_lab_set(uint64_t ns)
{
	if (!gate.lab)
		return -EOPNOTSUPP;
	if (ns < clock_now())
		return -EINVAL; /* the gate never goes backwards */
	gate.lab_base = ns;
	gate.lab_mono = read_ns(CLOCK_MONOTONIC);
	gate.lab_set = 1;
	gate.floor = ns;
	if (!gate.authoritative)
		gate.since = ns;
	gate.authoritative = 1;
	gate.source = PKIKS_CLOCK_LAB;
	return 0;
}

int clock_lab_advance(uint64_t delta)
{
	uint64_t now = clock_now();

	if (!gate.lab)
		return -EOPNOTSUPP;
	if (delta > UINT64_MAX - now)
		return -EINVAL;
	return clock_lab_set(now + delta);
}

/* After a restart: the lab time persisted with the timers, not authority. */
void clock_restore_lab(uint64_t ns)
{
	if (!gate.lab || !ns)
		return;
	gate.lab_base = ns;
	gate.lab_mono = read_ns(CLOCK_MONOTONIC);
	gate.lab_set = 1;
}

uint64_t clock_lab_now(int *set)
{
	*set = gate.lab_set;
	return gate.lab_set ? clock_now() : 0;
}

void clock_snapshot(struct pkiks_clock *c)
{
	int ok;

	c->now_ns = now_vouched(&ok);
	c->authoritative = ok; /* never a now read across an unchecked step */
	c->source = gate.source;
	c->since_ns = gate.since;
	c->realtime_ns = read_ns(CLOCK_REALTIME);
	c->steps = gate.steps;
}
