/* SPDX-License-Identifier: MIT */
/*
 * The timing rules of the PKI, once (ROLLOVER.md §3, §4, §5).
 *
 * Pure functions of (certificate and CA validity, configuration, now):
 * no keystore, no clock, no allocation.  The CA (daemon/ca), the
 * trustpoints (daemon/client) and `pkictl check` all call them, so the
 * instants the daemon arms and the relations the checker reports come
 * from the same code.  Times are Unix seconds, durations seconds.
 *
 *   issued certificate  starts at max(request, CA start), ends at
 *                       min(start + lifetime certificate, CA end)
 *   RENEW               notBefore + PCT % of the identity's life, for an
 *                       identity that ends before its CA
 *   SHADOW              the same instant for an identity that ends with
 *                       its CA; without auto-enroll, when the CA
 *                       announces GetNextCACert, at 90 % of the CA's life;
 *                       once the rollover CA certificate is held, never
 *                       later than the SHADOW margin before the CA's end:
 *                       room for the first SCHED_MARGIN_TRIES enrollment
 *                       retries, so that a short outage of the CA or of
 *                       the router does not make it miss
 *   next-CA poll        while the rollover CA certificate is not held:
 *                       GetNextCACert every 1/16 of the CA's remaining
 *                       life, at least the retry period, at most a week
 *   POLL / CONNECT      period x 2^n, capped at max-period
 *   RETRY
 *   rollover            CS SHADOW CERT GENERATION `auto-rollover` before
 *   generation          the CA's end; due from then until the end
 *   CRL                 nextUpdate = the signing instant + lifetime crl
 *
 * The checker's worst case (sched_worst_*) is the same functions applied
 * to a CA that starts at 0: nothing is derived a second way.
 */
#ifndef PKID_SCHEDULE_H
#define PKID_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_SHADOW_CA_PCT 90	 /* SHADOW without auto-enroll (IOS) */
#define SCHED_PCT_MIN	    10	 /* IOS refuses to renew below 10 % */
#define SCHED_POLLS_MAX	    1000 /* the parser's bound on retry count */
#define SCHED_MARGIN_TRIES  3	 /* retries the SHADOW margin leaves room for */
#define SCHED_NEXTCA_PARTS  16	 /* next-CA poll: 1/16 of the time left */
#define SCHED_NEXTCA_MAX    (7 * 86400) /* ... and at least once a week */
/* Recheck of a held rollover CA certificate (the operator may cancel it):
 * 1/4 of the time left, at least an hour apart, at least once a week. */
#define SCHED_RECHECK_PARTS 4
#define SCHED_RECHECK_MIN   3600

struct sched_validity {
	int64_t not_before, not_after;
};

/* What a trustpoint's timing depends on (its configuration). */
struct sched_tp {
	unsigned int auto_enroll_pct; /* 0: no auto-enroll */
	unsigned int retry_count;
	unsigned int retry_period_min;
	unsigned int retry_max_period_min;
};

enum sched_kind {
	SCHED_NONE = 0,
	SCHED_RENEW,
	SCHED_SHADOW,
};

struct sched_event {
	enum sched_kind kind;
	int64_t at; /* meaningful unless kind == SCHED_NONE */
};

/* ---- the CA ---- */

/* The validity the CA gives a certificate asked for at @start (0: now);
 * @ra: an RA certificate, which lives as long as the CA. */
struct sched_validity sched_issue(int64_t start, int64_t now,
				  int64_t lifetime_cert,
				  struct sched_validity ca, bool ra);
/* When CS SHADOW CERT GENERATION fires for a CA ending at @ca_end. */
int64_t sched_rollover_at(int64_t ca_end, int64_t window);
/* Is the rollover generation due at @now (inside the window)? */
bool sched_rollover_due(int64_t ca_end, int64_t window, int64_t now);
/* nextUpdate of a CRL signed at @now (CS CRL UPDATE fires then). */
int64_t sched_crl_next_update(int64_t now, int64_t lifetime_crl);

/* ---- a trustpoint ---- */

/* RENEW or SHADOW for identity @id issued by @ca; SCHED_NONE when
 * nothing renews (no auto-enroll and no GetNextCACert).  @holds_next:
 * the rollover CA certificate is already held (it exists), so SHADOW
 * keeps the margin before the CA's end. */
struct sched_event sched_lifecycle(const struct sched_tp *tp,
				   struct sched_validity id,
				   struct sched_validity ca, bool next_ca_cap,
				   bool holds_next);
/* How long before the CA's end SHADOW fires at the latest: the first
 * min(retry count, SCHED_MARGIN_TRIES) waits of the backoff, summed
 * (default 1 + 2 + 4 = 7 min). */
int64_t sched_shadow_margin(const struct sched_tp *tp);
/* When to ask GetNextCACert again at @now, the rollover CA certificate
 * not being held yet (so SHADOW can keep its margin, and a trustpoint
 * that misses its SHADOW still knows the CA that follows): 0 when the CA
 * has ended (recovery takes over). */
int64_t sched_next_ca_poll(const struct sched_tp *tp, struct sched_validity ca,
			   int64_t now);
/* When to ask GetNextCACert again at @now while a rollover CA certificate
 * is held but no SHADOW identity yet: the CA may have withdrawn it
 * (`rollover cancel`) and made another.  A quarter of the CA's remaining
 * life, at least SCHED_RECHECK_MIN and the retry period apart, at most a
 * week: a cancel is seen before the CA's end wherever it happens (a CA
 * under auto-rollover makes the next rollover at the latest halfway to
 * its end).  0 when the CA has ended. */
int64_t sched_next_ca_recheck(const struct sched_tp *tp,
			      struct sched_validity ca, int64_t now);
/* The wait before POLL / CONNECT RETRY number @count (0, 1, ...). */
int64_t sched_backoff(const struct sched_tp *tp, unsigned int count);

/* The first @polls waits of the backoff, summed, and the longest. */
struct sched_retry_plan {
	int64_t total, longest;
};
struct sched_retry_plan sched_retry_plan(const struct sched_tp *tp,
					 unsigned int polls);
/* Polls needed so that the schedule lasts @gap; 0 if none does. */
unsigned int sched_polls_needed(const struct sched_tp *tp, int64_t gap);

/* ---- the checker's worst case (a CA valid from 0 to @ca_life) ---- */

struct sched_ca_conf {
	int64_t ca_life, cert_life, crl_life;
	bool rollover;
	int64_t window;
};

/* The identity that ends with its CA and lives longest: asked for as
 * late as it can be and still be truncated at the CA's end. */
struct sched_validity sched_worst_identity(const struct sched_ca_conf *c);
/* An identity asked for at the CA's start (not truncated unless the
 * certificate lifetime reaches the CA's end). */
struct sched_validity sched_first_identity(const struct sched_ca_conf *c);
/* How long before the CA's end the worst-case identity's SHADOW fires
 * (GetNextCACert assumed announced); 0 when nothing is armed. */
int64_t sched_worst_shadow_lead(const struct sched_ca_conf *c,
				const struct sched_tp *tp);
/* The smallest auto-enroll percentage whose SHADOW finds the rollover. */
unsigned int sched_pct_needed(const struct sched_ca_conf *c);

#endif /* PKID_SCHEDULE_H */
