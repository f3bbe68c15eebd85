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
/* Room for every byte of a line escaped as \xHH. */
#define PKID_LOG_ESC_MAX     (4 * PKID_LOG_LINE_MAX)
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

/*
 * Length of the well-formed UTF-8 sequence at s (2..4 bytes), or 0: an
 * invalid or overlong sequence, a surrogate, or a C1 control (U+0080 to
 * U+009F, which terminals read as CSI and friends).
 */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * One line, whatever the message holds: control characters (a newline
 * that would start a forged line, ESC for the reader's terminal), DEL and
 * bytes that are not well-formed UTF-8 become \xHH.  Callers check what
 * an attacker sends before it gets here; this is the last line of defence
 * for everything that reaches the log.
 */
static void log_escape(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, n;

	while (*s && o + 5 <= size) {
		if (*s >= 0x20 && *s < 0x7f) {
			out[o++] = (char)*s++;
			continue;
		}
		n = *s >= 0x80 ? utf8_seq(s) : 0;
		if (n) {
			if (o + n >= size)
				break;
			while (n--)
				out[o++] = (char)*s++;
			continue;
		}
		o += (size_t)snprintf(out + o, size - o, "\\x%02x", *s++);
	}
	out[o] = '\0';
}

void pkid_log(int level, const char *tag, const char *fmt, ...)
{
	char raw[PKID_LOG_LINE_MAX], msg[PKID_LOG_ESC_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_escape(raw, msg, sizeof(msg));
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

void pkid_iso_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm))
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
