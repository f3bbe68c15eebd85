// SPDX-License-Identifier: MIT
/*
 * bench-timers: how late the keystore's timers fire.
 *
 *   timer-delay [-n TIMERS] [--lead MS] [--spread MS]
 *
 * Arms TIMERS keystore timers (owners bench-0..N-1, kind POLL) with
 * deadlines now + lead + i * spread / TIMERS (spread 0: all at one
 * instant), subscribes to the keystore's events and takes the arrival of
 * each TIMER_EXPIRED on CLOCK_MONOTONIC.  The keystore's clock is mapped
 * onto CLOCK_MONOTONIC by the sample of pkiks_clock_get() with the
 * shortest round trip (its error is half that round trip, printed).
 * Prints one row: timers, spread, p50, p99 and max of arrival - deadline
 * in microseconds, the clock mapping's error and the mean time to arm one
 * timer (the lead grows to fit the batch's arming).  Exits 1 if a timer did not
 * fire within 5 s of the last deadline.  The keystore is $PKIKS_SOCKET's pkiksd
 * or the module.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keystore.h"

#define MAX_TIMERS 1000

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A keystore whose time is not authoritative holds its timers: declare
 * it calendar-valid (admin), as pkid's `clock calendar-valid` does. */
static int clock_authoritative(struct pkiks *ks)
{
	struct pkiks_clock c;
	int ret = pkiks_clock_get(ks, &c);

	if (ret == 0 && !c.authoritative) {
		fprintf(stderr, "timer-delay: declaring the clock "
				"calendar-valid\n");
		ret = pkiks_clock_set(ks, PKIKS_CLOCK_CALENDAR);
	}
	return ret;
}

/* keystore now - CLOCK_MONOTONIC, from the tightest of 50 samples. */
static int clock_offset(struct pkiks *ks, int64_t *offset, int64_t *err)
{
	struct pkiks_clock c;
	int64_t t0, t1, best = INT64_MAX;
	int ret;

	for (int i = 0; i < 50; i++) {
		t0 = mono_ns();
		ret = pkiks_clock_get(ks, &c);
		t1 = mono_ns();
		if (ret < 0)
			return ret;
		if (!c.authoritative)
			return -EAGAIN;
		if (t1 - t0 < best) {
			best = t1 - t0;
			*offset = (int64_t)c.now_ns - (t0 + (t1 - t0) / 2);
		}
	}
	*err = best / 2;
	return 0;
}

static int arm_one(struct pkiks *ks, unsigned int i, uint64_t deadline)
{
	char owner[PKIKS_NAME_MAX];
	int ret;

	snprintf(owner, sizeof(owner), "bench-%u", i);
	ret = pkiks_timer_arm(ks, owner, PKIKS_TIMER_POLL, deadline);
	if (ret < 0)
		fprintf(stderr, "timer-delay: arm %s: %s\n", owner,
			strerror(-ret));
	return ret;
}

/*
 * Arming is not free (pkiksd rewrites and fsyncs its timer file on every
 * change, its time varies with the disk and grows with the number of
 * timers): arm the whole batch an hour ahead first, timing it, then arm it
 * again for real with twice that time plus half a second before the first
 * deadline.  A batch that still overran it would measure arming, not
 * firing: refused.
 */
static int arm_all(struct pkiks *ks, unsigned int n, int64_t offset,
		   uint64_t lead, uint64_t spread, uint64_t *deadline,
		   double *arm_ms)
{
	int64_t t0 = mono_ns(), took;
	uint64_t first;
	int ret = 0;

	for (unsigned int i = 0; i < n && !ret; i++)
		ret = arm_one(ks, i,
			      (uint64_t)(t0 + offset) + 3600000000000ULL);
	took = mono_ns() - t0;
	if (lead < 2 * (uint64_t)took + 500000000ULL)
		lead = 2 * (uint64_t)took + 500000000ULL;
	t0 = mono_ns();
	first = (uint64_t)(t0 + offset) + lead;
	for (unsigned int i = 0; i < n && !ret; i++) {
		deadline[i] = first + spread * i / n;
		ret = arm_one(ks, i, deadline[i]);
	}
	*arm_ms = (double)(mono_ns() - t0) / n / 1e6;
	if (ret == 0 && mono_ns() + offset >= (int64_t)first) {
		fprintf(stderr, "timer-delay: arming overran the lead\n");
		ret = -ETIME;
	}
	return ret;
}

/* Collect the expiries; delay[i] = arrival - deadline of bench-i. */
static int collect(struct pkiks *ks, unsigned int n, const uint64_t *deadline,
		   int64_t offset, int64_t *delay, int64_t give_up)
{
	struct pollfd p = {.fd = pkiks_event_fd(ks), .events = POLLIN};
	struct pkiks_event_msg ev;
	unsigned int got = 0, i;
	int64_t now;
	int ret;

	while (got < n && (now = mono_ns()) < give_up) {
		if (poll(&p, 1, (int)((give_up - now) / 1000000) + 1) <= 0)
			continue;
		ret = pkiks_event_read(ks, &ev);
		now = mono_ns() + offset;
		if (ret < 0)
			return ret;
		if (ev.type != PKIKS_EVENT_TIMER_EXPIRED ||
		    sscanf(ev.timer.owner, "bench-%u", &i) != 1 || i >= n ||
		    delay[i] != INT64_MIN)
			continue;
		delay[i] = now - (int64_t)deadline[i];
		got++;
	}
	if (got < n)
		fprintf(stderr, "timer-delay: %u of %u timers fired\n", got, n);
	return got < n ? -ETIMEDOUT : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(unsigned int n, unsigned int spread_ms, int64_t *d,
		   int64_t err, double arm_ms)
{
	qsort(d, n, sizeof(*d), cmp_i64);
	printf("%-8u %-10u %10.1f %10.1f %10.1f %10.1f %10.2f\n", n, spread_ms,
	       d[(n - 1) / 2] / 1e3, d[(n * 99 + 99) / 100 - 1] / 1e3,
	       d[n - 1] / 1e3, err / 1e3, arm_ms);
}

static void cancel_all(struct pkiks *ks, unsigned int n)
{
	char owner[PKIKS_NAME_MAX];

	for (unsigned int i = 0; i < n; i++) {
		snprintf(owner, sizeof(owner), "bench-%u", i);
		pkiks_timer_cancel(ks, owner, PKIKS_TIMER_POLL);
	}
}

int main(int argc, char **argv)
{
	static uint64_t deadline[MAX_TIMERS];
	static int64_t delay[MAX_TIMERS];
	unsigned int n = 200, lead_ms = 500, spread_ms = 0;
	struct pkiks *ks = NULL;
	int64_t offset = 0, err = 0;
	double arm_ms = 0;
	int c, ret;

	while ((c = getopt(argc, argv, "n:l:s:")) != -1) {
		switch (c) {
		case 'n':
			n = (unsigned)atoi(optarg);
			break;
		case 'l':
			lead_ms = (unsigned)atoi(optarg);
			break;
		case 's':
			spread_ms = (unsigned)atoi(optarg);
			break;
		default:
			n = 0;
		}
	}
	if (!n || n > MAX_TIMERS || lead_ms < 100 || lead_ms > 60000 ||
	    spread_ms > 60000 || optind != argc) {
		fprintf(stderr,
			"usage: timer-delay [-n 1..%d] [-l LEAD_MS "
			"100..60000] [-s SPREAD_MS]\n",
			MAX_TIMERS);
		return 2;
	}
	for (unsigned int i = 0; i < n; i++)
		delay[i] = INT64_MIN;
	ret = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, NULL);
	ret = ret ?: pkiks_events_subscribe(ks);
	ret = ret ?: clock_authoritative(ks);
	ret = ret ?: clock_offset(ks, &offset, &err);
	ret = ret
		      ?: arm_all(ks, n, offset, lead_ms * 1000000ULL,
				 spread_ms * 1000000ULL, deadline, &arm_ms);
	ret = ret
		      ?: collect(ks, n, deadline, offset, delay,
				 (int64_t)deadline[n - 1] - offset +
					 5000000000LL);
	if (ret == 0)
		report(n, spread_ms, delay, err, arm_ms);
	else
		fprintf(stderr, "timer-delay: %s\n", strerror(-ret));
	if (ks)
		cancel_all(ks, n);
	pkiks_close(ks);
	return ret ? 1 : 0;
}
