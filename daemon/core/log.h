/* SPDX-License-Identifier: MIT */
/*
 * pkid's log: syslog (ident "pkid", facility LOG_DAEMON; the journal picks
 * it up) with stable IOS-like tags, and stderr as well while pkid runs in
 * the foreground (-f).  daemon/LOGGING.md lists every tag.
 *
 *   pkid_log(LOG_INFO, "CS_GRANT", "%s: certificate %lld issued", ...)
 *
 * prints "%PKI-6-CS_GRANT: TESTCA: certificate 3 issued": the facility is
 * always PKI and the digit is the syslog level, as in IOS.  A NULL tag
 * prints the message alone (daemon chatter no script should match).
 *
 * Every tag is written in the source next to its level, either in the
 * call or, where code picks one of several, in a struct pkid_tag
 * initializer ({LOG_INFO, "CS_GRANT"}); tests/log/tags.py finds them there
 * and checks that daemon/LOGGING.md lists exactly those, both ways.
 */
#ifndef PKID_LOG_H
#define PKID_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

/* A tag and its level, for a call that picks one: pkid_log(t->level, t->tag,
 * ...) */
struct pkid_tag {
	int level;
	const char *tag;
};

/* Open syslog; @to_stderr: also write each line to stderr (-f). */
void pkid_log_open(bool to_stderr);
void pkid_log_close(void);
void pkid_log(int level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A time as logs and `show` views print it: 2026-01-31T12:00:00Z, UTC;
 * "-" for 0. */
void pkid_iso_time(int64_t t, char *buf, size_t size);

#endif /* PKID_LOG_H */
