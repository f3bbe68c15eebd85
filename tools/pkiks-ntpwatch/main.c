// SPDX-License-Identifier: MIT
/*
 * pkiks-ntpwatch: options, logging, daemonising (ntpwatch.h lists the
 * files, decide.h the rules).
 *
 *   pkiks-ntpwatch [--interval SEC] [--max-error-ms MS] [--once]
 *                  [--foreground] [--socket PATH] [--timex-file FILE]
 *
 * --once reports at most once and exits (status: ntpwatch.h NTPW_EXIT_*).
 * Without --foreground (and without --once) it detaches and logs to
 * syslog; under systemd it runs with --foreground and logs to the journal
 * through stderr.  --timex-file is a TEST INPUT: the snapshot is read from
 * the file instead of adjtimex() (timex.c says the format).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ntpwatch.h"

static bool log_syslog;

void ntpw_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fputs("pkiks-ntpwatch: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static void usage(FILE *f)
{
	fputs("usage: pkiks-ntpwatch [--interval SEC] [--max-error-ms MS] "
	      "[--once] [--foreground]\n"
	      "                      [--socket PATH] [--timex-file FILE]\n"
	      "  --interval SEC      poll adjtimex() every SEC seconds "
	      "(1-3600, default 10)\n"
	      "  --max-error-ms MS   largest kernel maxerror counted as "
	      "synchronised\n"
	      "                      (1-16000, default 2000)\n"
	      "  --once              check once, report if due, exit\n"
	      "  --foreground        do not detach; log to stderr\n"
	      "  --socket PATH       pkiksd's socket when there is no "
	      "module\n"
	      "  --timex-file FILE   TEST INPUT: read the timex snapshot from "
	      "FILE\n"
	      "                      instead of adjtimex()\n",
	      f);
}

/* A decimal number in [min, max], or a clear error. */
static int parse_uint(const char *opt, const char *s, unsigned int min,
		      unsigned int max, unsigned int *v)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || n < min || n > max) {
		fprintf(stderr,
			"pkiks-ntpwatch: %s wants a number from %u to "
			"%u, not '%s'\n",
			opt, min, max, s);
		return -EINVAL;
	}
	*v = (unsigned int)n;
	return 0;
}

/* 0 to run, 1 when --help was answered, -EINVAL on bad usage. */
static int parse_opts(int argc, char **argv, struct ntpw_opts *o)
{
	static const struct option longopts[] = {
		{"interval", required_argument, NULL, 'i'},
		{"max-error-ms", required_argument, NULL, 'm'},
		{"once", no_argument, NULL, '1'},
		{"foreground", no_argument, NULL, 'f'},
		{"socket", required_argument, NULL, 's'},
		{"timex-file", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0}};
	int c, err = 0;

	while (!err &&
	       (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			err = parse_uint("--interval", optarg, 1,
					 NTPW_MAX_INTERVAL_S, &o->interval_s);
			break;
		case 'm':
			err = parse_uint("--max-error-ms", optarg, 1,
					 NTPW_MAX_MAX_ERROR_MS,
					 &o->max_error_ms);
			break;
		case '1':
			o->once = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 't':
			o->timex_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!err && optind != argc) {
		fprintf(stderr, "pkiks-ntpwatch: unexpected argument '%s'\n",
			argv[optind]);
		err = -EINVAL;
	}
	return err;
}

int main(int argc, char **argv)
{
	struct ntpw_opts o = {
		.interval_s = NTPW_DEFAULT_INTERVAL_S,
		.max_error_ms = NTPW_DEFAULT_MAX_ERROR_MS,
	};
	int err;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? NTPW_EXIT_OK : NTPW_EXIT_USAGE;
	if (o.timex_file)
		ntpw_log(LOG_WARNING,
			 "TEST INPUT: reading the clock status "
			 "from %s, not from the kernel",
			 o.timex_file);
	if (o.once)
		return ntpw_run_once(&o);
	if (!o.foreground) {
		if (daemon(0, 0)) {
			perror("pkiks-ntpwatch: daemon");
			return NTPW_EXIT_USAGE;
		}
		openlog("pkiks-ntpwatch", LOG_PID, LOG_DAEMON);
		log_syslog = true;
	}
	return ntpw_run_daemon(&o);
}
