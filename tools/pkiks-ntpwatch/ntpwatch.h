/* SPDX-License-Identifier: MIT */
/*
 * pkiks-ntpwatch: tells the keystore's time gate (pkiks.ko or pkiksd) when
 * NTP -- chrony or systemd-timesyncd -- has synchronised the kernel clock.
 * The module cannot read the kernel's NTP state itself (it is not exported
 * to modules), so this root daemon polls adjtimex() read-only and sends
 * PKIKS_CMD_CLOCK_SET NTP, which needs CAP_SYS_TIME.
 *
 *   main.c    options, logging, daemonising
 *   watch.c   the loop: poll, keystore connection and events, act
 *   timex.c   the snapshot: adjtimex() or the test input --timex-file
 *   decide.c  the pure decision (decide.h states the rules)
 */
#ifndef PKIKS_NTPWATCH_H
#define PKIKS_NTPWATCH_H

#include <stdbool.h>

#include "decide.h"

/* Defaults; pkiks-ntpwatch(8) explains the choice. */
#define NTPW_DEFAULT_INTERVAL_S	  10
#define NTPW_DEFAULT_MAX_ERROR_MS 2000
#define NTPW_MAX_INTERVAL_S	  3600
#define NTPW_MAX_MAX_ERROR_MS	  16000 /* the kernel's own limit (16 s) */

/* --once exit status. */
enum {
	NTPW_EXIT_OK = 0, /* reported, or already authoritative */
	NTPW_EXIT_USAGE = 1,
	NTPW_EXIT_NOT_SYNCED = 2, /* nothing to report (or settling) */
	NTPW_EXIT_KEYSTORE = 3,	  /* unreachable, or CLOCK_SET refused */
	NTPW_EXIT_TIMEX = 4,	  /* adjtimex() or --timex-file failed */
};

struct ntpw_opts {
	unsigned int interval_s;
	unsigned int max_error_ms;
	bool once;
	bool foreground;
	const char *socket; /* pkiksd socket (else $PKIKS_SOCKET, default) */
	const char *timex_file; /* TEST INPUT instead of adjtimex() */
};

/* main.c: one line to stderr (foreground) or syslog. */
void ntpw_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* watch.c */
int ntpw_run_once(const struct ntpw_opts *o);
int ntpw_run_daemon(const struct ntpw_opts *o);

/* timex.c: 0 or a negative errno (the snapshot says the failure too). */
int ntpw_timex_kernel(struct ntpw_timex *out);
int ntpw_timex_file(const char *path, struct ntpw_timex *out, int *lineno);

#endif /* PKIKS_NTPWATCH_H */
