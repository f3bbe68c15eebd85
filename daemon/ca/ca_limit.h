/* SPDX-License-Identifier: MIT */
/*
 * Failed challenge passwords per client address and per subject, with a
 * growing wait (daemon/ca/ca_limit.c).  Milliseconds of CLOCK_MONOTONIC.
 */
#ifndef PKID_CA_LIMIT_H
#define PKID_CA_LIMIT_H

#include <stdint.h>
#include <stdio.h>

#define CA_LIMIT_SLOTS		256
#define CA_LIMIT_KEY_MAX	256
#define CA_LIMIT_SOURCE_CAP_MS	(300 * 1000) /* an address: 5 min */
#define CA_LIMIT_SUBJECT_CAP_MS (60 * 1000)  /* a subject: 1 min */
#define CA_LIMIT_FORGET_MS	(3600 * 1000) /* quiet for 1 h: forgiven */

struct ca_limit_slot {
	char key[CA_LIMIT_KEY_MAX];
	unsigned int failures; /* in a row; 0: a free slot */
	int64_t last;	       /* the last failure */
	int64_t until;	       /* no challenge looked at before this */
};

struct ca_limit {
	int64_t cap;
	struct ca_limit_slot slot[CA_LIMIT_SLOTS];
};

void ca_limit_init(struct ca_limit *l, int64_t cap_ms);
/* How long key must still wait (0: its challenge may be looked at). */
int64_t ca_limit_wait(struct ca_limit *l, const char *key, int64_t now);
/* A failed challenge for key: its new wait; *failures the count in a row. */
int64_t ca_limit_fail(struct ca_limit *l, const char *key, int64_t now,
		      unsigned int *failures);
/* A right challenge: key starts again. */
void ca_limit_ok(struct ca_limit *l, const char *key, int64_t now);
int64_t ca_limit_now(void);

#endif /* PKID_CA_LIMIT_H */
