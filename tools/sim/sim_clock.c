// SPDX-License-Identifier: MIT
/*
 * sim-clock: tools/sim's hand on the lab clock, one command a line on
 * stdin, one answer a line on stdout (a coprocess: no process per step).
 *
 *   keystore PATH               a pkiksd --lab socket to drive (each
 *                               router has its own keystore; they move
 *                               together, to the same lab instant)
 *   watch PATH | unwatch PATH   pkid control sockets that must be quiet
 *   advance SECONDS             move the lab clocks; "ok NOW"
 *   settle MAX_MS               wait until every watched pkid is quiet and
 *                               no keystore timer is due: "ok NOW NEXT"
 *                               (NEXT: the next armed deadline, 0: none),
 *                               else "busy WHAT" after MAX_MS of real time
 *                               without progress (no wake-up, no timer
 *                               armed, fired or moved), or after
 *                               SETTLE_CAP times MAX_MS in all
 *   unauthoritative             the clock loses its authority
 *   reopen                      connect to the keystores again (restarted)
 *   now                         "ok NOW" (seconds)
 *
 * Quiet is the daemons' own signal, not a sleep: `show activity` says the
 * main loop waits in poll with no keystore event unread, and the keystore
 * lists no armed timer at or before now.  Two such rounds with the same
 * wake-up counts mean nothing happened between them: a handler that armed
 * a timer at once (it fires at once) woke its pkid again, which the
 * second round sees.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_client.h"
#include "keystore.h"

#define WATCH_MAX 16
/* A settle that keeps making progress (a pkid restarted with many new
 * trustpoints, each making its RSA key) may take this many times its
 * quiet limit before it is called stuck. */
#define SETTLE_CAP 15
#define KS_MAX 16
#define NS 1000000000ULL

struct watched {
	char path[256];
	unsigned long long wakeups;
};

static struct pkiks *kss[KS_MAX];
static char ks_path[KS_MAX][256];
static int nks;
/* What the last round saw of the timers and wake-ups: a change is
 * progress (settle). */
static uint64_t progress_sig;
/* The timers' part of it, from the last list (not every round lists). */
static uint64_t timers_sig;
static struct watched watch[WATCH_MAX];
static int nwatch;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ks_reopen(void)
{
	int i, ret = 0;

	for (i = 0; i < nks; i++) {
		if (kss[i])
			pkiks_close(kss[i]);
		kss[i] = NULL;
		ret = ret ?: pkiks_open(&kss[i], PKIKS_TRANSPORT_TWIN,
					ks_path[i]);
	}
	return ret;
}

static int ks_add(const char *path)
{
	if (nks == KS_MAX || strlen(path) >= sizeof(ks_path[0]))
		return -ENOSPC;
	snprintf(ks_path[nks], sizeof(ks_path[0]), "%s", path);
	return pkiks_open(&kss[nks++], PKIKS_TRANSPORT_TWIN, path);
}

/* Lab now in ns: the latest of the keystores (they are moved to the
 * same instant and then run at the same pace).  While a clock is not
 * authoritative its timers wait (none is armed), so a due timer needs no
 * authority check here. */
static int lab_now(uint64_t *now)
{
	struct pkiks_clock c;
	int i, ret = nks ? 0 : -ENOTCONN;

	*now = 0;
	for (i = 0; i < nks && ret == 0; i++) {
		ret = kss[i] ? pkiks_clock_get(kss[i], &c) : -ENOTCONN;
		if (ret == 0 && c.now_ns > *now)
			*now = c.now_ns;
	}
	return ret;
}

/* Every keystore's lab clock to now + delta. */
static int lab_advance(uint64_t delta)
{
	uint64_t now;
	int i, ret = lab_now(&now);

	for (i = 0; i < nks && ret == 0; i++)
		ret = pkiks_clock_lab_set(kss[i], now + delta);
	return ret;
}

static int lab_unauthoritative(void)
{
	int i, ret = 0;

	for (i = 0; i < nks && ret == 0; i++)
		ret = pkiks_clock_set(kss[i], PKIKS_CLOCK_NONE);
	return ret;
}

/* 1 when no armed timer is due in keystore @k; *next: the earliest armed
 * deadline of all keystores seen so far (0: none). */
static int timers_quiet_one(int k, uint64_t now, uint64_t *next, char *why,
			    size_t n)
{
	struct pkiks_timer_info *t = NULL;
	size_t count = 0, i;
	int quiet = 1, ret;

	ret = pkiks_timer_list(kss[k], &t, &count);
	if (ret < 0) {
		snprintf(why, n, "keystore %.200s: %s", ks_path[k],
			 strerror(-ret));
		return 0;
	}
	for (i = 0; i < count; i++) {
		timers_sig = timers_sig * 31 + t[i].deadline_ns + t[i].state;
		if (t[i].state != PKIKS_TIMER_ARMED)
			continue;
		if (t[i].deadline_ns <= now) {
			if (quiet)
				snprintf(why, n, "timer %s %s due", t[i].owner,
					 pkiks_timer_kind_name(t[i].kind));
			quiet = 0;
		} else if (!*next || t[i].deadline_ns < *next) {
			*next = t[i].deadline_ns;
		}
	}
	free(t);
	return quiet;
}

static int timers_quiet(uint64_t now, uint64_t *next, char *why, size_t n)
{
	char scratch[256];
	int k, quiet = 1;

	*next = 0;
	timers_sig = 0;
	/* why: the first thing that is not quiet */
	for (k = 0; k < nks; k++)
		if (!timers_quiet_one(k, now, next, quiet ? why : scratch,
				      quiet ? n : sizeof(scratch)))
			quiet = 0;
	return quiet;
}

/* 1 when the pkid at @w is quiet; its wake-ups in *wakeups. */
static int pkid_quiet(const struct watched *w, unsigned long long *wakeups,
		      char *why, size_t n)
{
	struct ctl_result res = {0};
	struct ctl_client *c = NULL;
	int quiet = 0, ret;

	ret = ctl_client_open(&c, w->path, 5000);
	if (ret == 0)
		ret = ctl_client_call(c, "show activity", NULL, 0, &res);
	if (ret < 0 || !res.result) {
		snprintf(why, n, "%.200s: %.200s", w->path,
			 res.error ? res.error : strerror(-ret));
		goto out;
	}
	*wakeups = json_integer_value(json_object_get(res.result, "wakeups"));
	quiet = json_is_false(json_object_get(res.result, "busy")) &&
		json_is_false(json_object_get(res.result, "event_pending")) &&
		json_is_true(json_object_get(res.result, "subscribed"));
	if (!quiet)
		snprintf(why, n, "%.200s: %.200s", w->path,
			 res.text ? res.text : "");
out:
	ctl_result_free(&res);
	ctl_client_close(c);
	return quiet;
}

/*
 * One round: 1 when all is quiet and no wake-up since the last round.
 * The pkids are asked first and the keystores' timer lists (a dump of
 * every timer, the costly part: 750 timers a keystore) only when every
 * pkid is quiet -- or, while one is busy, at most every
 * LIST_WHILE_BUSY_MS, so that timers armed by a long handler (a reload
 * enrolling many trustpoints) still count as progress.  One list after
 * the pkids were quiet is enough: a quiet pkid waits in poll with no
 * keystore event unread, so a timer that is due shows as armed and due,
 * and one that fires after the list wakes its pkid, which the next round
 * sees (a changed wake-up count or an event pending).
 */
#define LIST_WHILE_BUSY_MS 250

static int round_quiet(uint64_t *now, uint64_t *next, char *why, size_t n)
{
	static uint64_t listed_ms;
	char scratch[256];
	int quiet = 1, i;

	if (lab_now(now) < 0 && ks_reopen() < 0) {
		snprintf(why, n, "keystore unreachable");
		return 0;
	}
	for (i = 0; i < nwatch; i++) {
		unsigned long long w = 0;

		/* why: the first thing that is not quiet */
		if (!pkid_quiet(&watch[i], &w, quiet ? why : scratch,
				quiet ? n : sizeof(scratch)))
			quiet = 0;
		if (w != watch[i].wakeups)
			quiet = 0, watch[i].wakeups = w;
		progress_sig = progress_sig * 31 + w;
	}
	if (quiet || mono_ms() - listed_ms >= LIST_WHILE_BUSY_MS) {
		listed_ms = mono_ms();
		if (!timers_quiet(*now, next, quiet ? why : scratch,
				  quiet ? n : sizeof(scratch)))
			quiet = 0;
	}
	progress_sig = progress_sig * 31 + timers_sig;
	return quiet;
}

static void settle(long max_ms)
{
	uint64_t start = mono_ms(), until = start + (uint64_t)max_ms;
	uint64_t cap = start + (uint64_t)max_ms * SETTLE_CAP, now = 0, next = 0;
	uint64_t sig = 0;
	unsigned int nap_us = 500, quiet_rounds = 0, rounds = 0;
	char why[512] = "";

	for (;;) {
		rounds++;
		progress_sig = 0;
		if (round_quiet(&now, &next, why, sizeof(why)))
			quiet_rounds++;
		else
			quiet_rounds = 0;
		if (rounds > 1 && progress_sig != sig && mono_ms() < cap)
			until = mono_ms() + (uint64_t)max_ms;
		sig = progress_sig;
		if (quiet_rounds >= 2) {
			printf("ok %llu %llu %u\n",
			       (unsigned long long)(now / NS),
			       (unsigned long long)(next / NS), rounds);
			return;
		}
		if (mono_ms() > until || mono_ms() > cap) {
			printf("busy %s\n", why);
			return;
		}
		nanosleep(&(struct timespec){0, nap_us * 1000L}, NULL);
		if (nap_us < 20000)
			nap_us *= 2;
		if (quiet_rounds)
			nap_us = 500; /* the confirming round comes soon */
	}
}

static int do_watch(const char *path, bool add)
{
	int i;

	for (i = 0; i < nwatch; i++) {
		if (strcmp(watch[i].path, path))
			continue;
		if (!add)
			watch[i] = watch[--nwatch];
		return 0;
	}
	if (!add)
		return 0;
	if (nwatch == WATCH_MAX || strlen(path) >= sizeof(watch[0].path))
		return -ENOSPC;
	snprintf(watch[nwatch].path, sizeof(watch[0].path), "%s", path);
	watch[nwatch++].wakeups = ~0ULL;
	return 0;
}

static void reply(int ret)
{
	uint64_t now = 0;

	if (ret == 0)
		ret = lab_now(&now);
	if (ret < 0)
		printf("err %s\n", strerror(-ret));
	else
		printf("ok %llu\n", (unsigned long long)(now / NS));
}

static void command(char *line)
{
	char *arg = strchr(line, ' ');
	long long v;

	if (arg)
		*arg++ = '\0';
	if (!strcmp(line, "watch") && arg) {
		reply(do_watch(arg, true));
	} else if (!strcmp(line, "unwatch") && arg) {
		reply(do_watch(arg, false));
	} else if (!strcmp(line, "keystore") && arg) {
		reply(ks_add(arg));
	} else if (!strcmp(line, "advance") && arg &&
		   (v = strtoll(arg, NULL, 10)) > 0) {
		reply(lab_advance((uint64_t)v * NS));
	} else if (!strcmp(line, "settle") && arg &&
		   (v = strtoll(arg, NULL, 10)) > 0) {
		settle((long)v);
	} else if (!strcmp(line, "unauthoritative")) {
		reply(lab_unauthoritative());
	} else if (!strcmp(line, "reopen")) {
		reply(ks_reopen());
	} else if (!strcmp(line, "now")) {
		reply(0);
	} else {
		printf("err unknown command\n");
	}
}

int main(void)
{
	char line[512];
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		command(line);
	}
	for (i = 0; i < nks; i++)
		if (kss[i])
			pkiks_close(kss[i]);
	return 0;
}
