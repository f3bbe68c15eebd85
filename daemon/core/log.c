// SPDX-License-Identifier: MIT
/*
 * pkid_log(): one line to syslog and, in the foreground, to stderr
 * (daemon/core/log.h).  Called from every thread (HTTP workers, the control
 * thread, the main loop); syslog(3) is thread-safe, and each stderr line
 * is written with one fprintf on an unbuffered stream, so lines do not
 * interleave.
 *
 * Without a syslog daemon (no /dev/log: containers, test namespaces)
 * glibc's syslog() opens, fails to connect and closes a socket for every
 * line.  So pkid looks for /dev/log when it opens the log and then at
 * most once a minute (a stat, which also picks a syslog daemon started
 * later up), and skips syslog() while there is none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

#define PKID_LOG_LINE_MAX    1024
#define PKID_LOG_DEVLOG	     "/dev/log"
#define PKID_LOG_RECHECK_SEC 60

/* Until pkid_log_open(): stderr only, so early errors are never lost. */
static bool log_stderr = true;
static bool log_syslog;
/* Is /dev/log there, and when we last looked (CLOCK_MONOTONIC seconds).
 * Threads race benignly on these: the worst case is one extra stat. */
static int log_devlog_up;
static long log_devlog_checked;

static long log_now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static bool log_devlog_present(void)
{
	struct stat st;

	return stat(PKID_LOG_DEVLOG, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Is there a syslog daemon to send to?  Looks again once a minute. */
static bool log_syslog_usable(void)
{
	long now = log_now_sec();
	int up = __atomic_load_n(&log_devlog_up, __ATOMIC_RELAXED);

	if (now - __atomic_load_n(&log_devlog_checked, __ATOMIC_RELAXED) <
	    PKID_LOG_RECHECK_SEC)
		return up;
	__atomic_store_n(&log_devlog_checked, now, __ATOMIC_RELAXED);
	up = log_devlog_present();
	__atomic_store_n(&log_devlog_up, up, __ATOMIC_RELAXED);
	return up;
}

void pkid_log_open(bool to_stderr)
{
	log_stderr = to_stderr;
	log_syslog = true;
	log_devlog_up = log_devlog_present();
	log_devlog_checked = log_now_sec();
	/* LOG_NDELAY: connect now, not on the first line from some thread. */
	openlog("pkid", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (!log_devlog_up && to_stderr)
		fprintf(stderr, "pkid: no %s: logging to stderr only\n",
			PKID_LOG_DEVLOG);
}

void pkid_log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = false;
	log_stderr = true;
}

void pkid_log(int level, const char *tag, const char *fmt, ...)
{
	char msg[PKID_LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	level &= LOG_PRIMASK;
	if (log_syslog && log_syslog_usable()) {
		if (tag)
			syslog(level, "%%PKI-%d-%s: %s", level, tag, msg);
		else
			syslog(level, "%s", msg);
	}
	if (!log_stderr)
		return;
	if (tag)
		fprintf(stderr, "pkid: %%PKI-%d-%s: %s\n", level, tag, msg);
	else
		fprintf(stderr, "pkid: %s\n", msg);
}
