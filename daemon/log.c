// SPDX-License-Identifier: MIT
/*
 * pkid_log(): one line to syslog and, in the foreground, to stderr
 * (daemon/log.h).  Called from every thread (HTTP workers, the control
 * thread, the main loop); syslog(3) is thread-safe, and each stderr line
 * is written with one fprintf on an unbuffered stream, so lines do not
 * interleave.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

#define PKID_LOG_LINE_MAX 1024

/* Until pkid_log_open(): stderr only, so early errors are never lost. */
static bool log_stderr = true;
static bool log_syslog;

void pkid_log_open(bool to_stderr)
{
	log_stderr = to_stderr;
	log_syslog = true;
	openlog("pkid", LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
	if (log_syslog) {
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
