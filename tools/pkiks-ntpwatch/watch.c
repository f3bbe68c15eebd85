// SPDX-License-Identifier: MIT
/*
 * The watch loop: every interval read the keystore's gate, then the kernel
 * clock's NTP status, decide (decide.c), and report NTP sync when due.
 * Between polls, the keystore's events tell when the gate is revoked, so
 * the settle period of rule 3 starts when the step happened, not at the
 * next poll.
 *
 * Order matters.  The gate is read before adjtimex(): a step after the
 * gate read shows in adjtimex() as STA_UNSYNC (the kernel's ntp_clear()),
 * and a step after adjtimex() but before our CLOCK_SET is counted by the
 * keystore's step check inside CLOCK_SET -- which then grants anyway (a
 * step before a grant is absorbed by it).  So after each report the step
 * counter is read again, and if it moved since the gate read, the grant
 * just made is withdrawn: a step is never legitimised by a stale snapshot.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ntpwatch.h"

struct watch {
	const struct ntpw_opts *o;
	struct ntpw_policy policy;
	struct pkiks *ks; /* NULL while the keystore is unreachable */
	bool events;	  /* subscribe to events (the daemon, not --once) */
	struct ntpw_gate_memory gate;
	bool revoked;
	uint64_t revoked_ns;
	uint64_t poll_ns; /* BOOTTIME at the start of the current poll */
	/* What was logged last, so that each change is one line. */
	bool sync_known, action_known, down_logged, timex_failed;
	enum ntpw_sync last_sync;
	enum ntpw_action last_action;
	int refused; /* the last CLOCK_SET error, 0 if none */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = 1;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void keystore_drop(struct watch *w)
{
	pkiks_close(w->ks);
	w->ks = NULL;
	/* A new connection may be a new gate (pkiksd restarted). */
	memset(&w->gate, 0, sizeof(w->gate));
}

static int keystore_connect(struct watch *w)
{
	int err;

	if (w->ks)
		return 0;
	err = pkiks_open(&w->ks, PKIKS_TRANSPORT_AUTO, w->o->socket);
	if (!err && w->events)
		err = pkiks_events_subscribe(w->ks);
	if (err) {
		if (w->ks)
			keystore_drop(w);
		if (!w->down_logged)
			ntpw_log(LOG_WARNING, "keystore unreachable: %s",
				 strerror(-err));
		w->down_logged = true;
		return err;
	}
	ntpw_log(LOG_INFO, "watching the %s keystore's time gate",
		 pkiks_transport_name(w->ks));
	w->down_logged = false;
	return 0;
}

/*
 * Rule 3's clock starts when a revocation or step is first seen: at the
 * event, or at the start of the poll that saw it (@when), so that the poll
 * one interval later is exactly one settle period after it.
 */
static void note_gate(struct watch *w, int authoritative, uint32_t steps,
		      uint64_t when)
{
	if (!ntpw_gate_observe(&w->gate, authoritative, steps))
		return;
	w->revoked = true;
	w->revoked_ns = when;
	ntpw_log(LOG_NOTICE,
		 "keystore time %s after a clock step (steps=%u); NTP "
		 "sync is reported again only when a poll at least %u s from "
		 "now shows it",
		 authoritative ? "still authoritative"
			       : "no longer authoritative",
		 steps, w->o->interval_s);
}

static void drain_events(struct watch *w)
{
	struct pkiks_event_msg ev;
	int err;

	while ((err = pkiks_event_read(w->ks, &ev)) == 0) {
		if (ev.type == PKIKS_EVENT_CLOCK_REVOKED ||
		    ev.type == PKIKS_EVENT_CLOCK_AUTHORITATIVE)
			note_gate(w, ev.clock.authoritative, ev.clock.steps,
				  boottime_ns());
	}
	if (err != -EAGAIN) {
		ntpw_log(LOG_WARNING, "keystore event channel lost: %s",
			 strerror(-err));
		keystore_drop(w);
	}
}

static int snapshot(struct watch *w, struct ntpw_timex *tx)
{
	int err, line = 0;

	memset(tx, 0, sizeof(*tx));
	if (!w->o->timex_file)
		err = ntpw_timex_kernel(tx);
	else
		err = ntpw_timex_file(w->o->timex_file, tx, &line);
	if (w->timex_failed && err)
		return err; /* said already */
	w->timex_failed = err != 0;
	w->sync_known &= !err; /* the state after a failure is news */
	if (err && line)
		ntpw_log(LOG_ERR,
			 "%s:%d: bad line (want 'state|status|"
			 "maxerror|esterror VALUE')",
			 w->o->timex_file, line);
	else if (err)
		ntpw_log(LOG_ERR, "reading the clock status%s%s: %s",
			 w->o->timex_file ? " from " : "",
			 w->o->timex_file ? w->o->timex_file : "",
			 err == -ENODATA ? "a key is missing" : strerror(-err));
	return err;
}

/* One line per change of the kernel clock's sync state. */
static void log_sync(struct watch *w, const struct ntpw_timex *tx)
{
	enum ntpw_sync s = ntpw_sync_of(tx, &w->policy);

	if (w->sync_known && s == w->last_sync)
		return;
	ntpw_log(LOG_INFO,
		 "kernel clock %s: state=%d status=0x%04x maxerror_us=%ld "
		 "esterror_us=%ld (threshold %u ms)",
		 ntpw_sync_text(s), tx->state, (unsigned int)tx->status,
		 tx->maxerror_us, tx->esterror_us, w->o->max_error_ms);
	w->sync_known = true;
	w->last_sync = s;
}

static void log_action(struct watch *w, enum ntpw_action a)
{
	if (a == NTPW_REPORT || (w->action_known && a == w->last_action))
		return;
	ntpw_log(LOG_INFO, "%s", ntpw_action_text(a));
	w->action_known = true;
	w->last_action = a;
}

/* CLOCK_SET NTP, then rule out a step that slipped in (see the top). */
static int report(struct watch *w, uint32_t steps_before)
{
	struct pkiks_clock clk;
	int err;

	err = pkiks_clock_set(w->ks, PKIKS_CLOCK_NTP);
	if (err && err != w->refused)
		ntpw_log(LOG_ERR, "the %s keystore refused CLOCK_SET ntp: %s",
			 pkiks_transport_name(w->ks), strerror(-err));
	w->refused = err;
	if (err)
		return err;
	err = pkiks_clock_get(w->ks, &clk);
	if (!err && clk.steps != steps_before &&
	    clk.source == PKIKS_CLOCK_NTP) {
		ntpw_log(LOG_WARNING, "the clock was stepped while reporting; "
				      "withdrawing the report");
		err = pkiks_clock_set(w->ks, PKIKS_CLOCK_NONE);
		note_gate(w, 0, clk.steps, boottime_ns());
		return err ? err : -EAGAIN;
	}
	if (err)
		return err;
	note_gate(w, clk.authoritative, clk.steps, boottime_ns());
	ntpw_log(LOG_NOTICE,
		 "reported NTP synchronisation: the %s keystore's "
		 "time is authoritative (source %s)",
		 pkiks_transport_name(w->ks),
		 pkiks_clock_source_name(clk.source));
	w->action_known = true;
	w->last_action = NTPW_REPORT;
	return 0;
}

/*
 * One poll.  Returns the action taken, or a negative errno: -EIO when the
 * clock status could not be read, -ENOTCONN when the keystore could not be
 * read or refused the report.
 */
static int poll_once(struct watch *w)
{
	struct ntpw_input in = {0};
	struct pkiks_clock clk;
	int err, act;

	w->poll_ns = boottime_ns();
	if (keystore_connect(w))
		return -ENOTCONN;
	err = pkiks_clock_get(w->ks, &clk);
	if (err) {
		ntpw_log(LOG_WARNING, "reading the keystore's clock: %s",
			 strerror(-err));
		keystore_drop(w);
		return -ENOTCONN;
	}
	/*
	 * The poll's time is taken after the gate read: a step it counted
	 * happened before, so the poll one interval later is at least one
	 * interval after the step.
	 */
	w->poll_ns = boottime_ns();
	note_gate(w, clk.authoritative, clk.steps, w->poll_ns);
	if (snapshot(w, &in.tx))
		return -EIO;
	log_sync(w, &in.tx);
	in.authoritative = clk.authoritative;
	in.now_ns = w->poll_ns;
	in.revoked = w->revoked;
	in.revoked_ns = w->revoked_ns;
	act = ntpw_decide(&in, &w->policy);
	log_action(w, act);
	if (act != NTPW_REPORT)
		return act;
	err = report(w, clk.steps);
	if (err == -EAGAIN)
		return NTPW_SETTLING; /* withdrawn: a step slipped in */
	return err ? -ENOTCONN : act;
}

static void watch_init(struct watch *w, const struct ntpw_opts *o)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->policy.max_error_us = (long)o->max_error_ms * 1000;
	w->policy.settle_ns = (uint64_t)o->interval_s * 1000000000ULL;
}

int ntpw_run_once(const struct ntpw_opts *o)
{
	struct watch w;
	int r;

	watch_init(&w, o);
	r = poll_once(&w);
	if (w.ks)
		pkiks_close(w.ks);
	if (r == -EIO)
		return NTPW_EXIT_TIMEX;
	if (r < 0)
		return NTPW_EXIT_KEYSTORE;
	if (r == NTPW_REPORT || r == NTPW_AUTHORITATIVE)
		return NTPW_EXIT_OK;
	return NTPW_EXIT_NOT_SYNCED;
}

/* Sleep until @deadline (BOOTTIME ns), handling events as they come. */
static void wait_until(struct watch *w, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now;
	int n;

	while (!stopping && (now = boottime_ns()) < deadline) {
		pfd.fd = w->ks ? pkiks_event_fd(w->ks) : -1;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
		if (n > 0 && w->ks)
			drain_events(w);
	}
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	/* No SA_RESTART: poll() returns so the loop sees 'stopping'. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ntpw_run_daemon(const struct ntpw_opts *o)
{
	struct watch w;
	uint64_t next;

	watch_init(&w, o);
	w.events = true;
	install_signals();
	ntpw_log(LOG_INFO, "started: interval %u s, max error %u ms",
		 o->interval_s, o->max_error_ms);
	while (!stopping) {
		poll_once(&w);
		/* From this poll's start: the next is a full interval later. */
		next = w.poll_ns + w.policy.settle_ns;
		wait_until(&w, next);
	}
	if (w.ks)
		pkiks_close(w.ks);
	ntpw_log(LOG_INFO, "stopped");
	return NTPW_EXIT_OK;
}
