// SPDX-License-Identifier: MIT
/*
 * The time gate.  Time is authoritative once an admin says calendar-valid,
 * NTP sync is reported, or (with --lab) the lab clock is set.  A step of
 * CLOCK_REALTIME, seen as the REALTIME - BOOTTIME offset moving by more
 * than STEP_NS between two checks (every request and every second),
 * revokes it.  The "now" handed out never goes backwards.
 *
 * Lab clock (--lab): once set, now = the lab time, which runs at the pace
 * of CLOCK_MONOTONIC from where it was set or advanced to.  It only moves
 * forward, like the gate.  All functions run under twin_lock.
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
	uint64_t since, floor;
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

uint64_t clock_now(void)
{
	uint64_t t;

	if (gate.lab_set)
		t = gate.lab_base + (read_ns(CLOCK_MONOTONIC) - gate.lab_mono);
	else
		t = read_ns(CLOCK_REALTIME);
	if (t > gate.floor)
		gate.floor = t;
	return gate.floor;
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
		if (!gate.authoritative)
			gate.since = clock_now();
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
	c->authoritative = gate.authoritative;
	c->source = gate.source;
	c->now_ns = clock_now();
	c->since_ns = gate.since;
	c->realtime_ns = read_ns(CLOCK_REALTIME);
	c->steps = gate.steps;
}
