/* SPDX-License-Identifier: MIT */
/*
 * pkictl check: the ROLLOVER.md §5 timer-dependency rules.  check.c reads
 * the files and prints; check_rules.c holds the rules, one function a
 * rule, each adding findings to a report.
 *
 * Finding ids are stable (scripts and the tests match on them):
 *   auto-enroll-below-10            error    trustpoint
 *   shadow-before-rollover          warning  trustpoint (pkid recovers)
 *   shadow-default-before-rollover  warning  trustpoint (no auto-enroll)
 *   retry-gives-up-before-rollover  warning  trustpoint (pkid recovers)
 *   retry-interval-exceeds-window   error    trustpoint
 *   retry-outlives-request          warning  trustpoint
 *   shadow-margin-exceeds-window    error    trustpoint
 *   cert-lifetime-exceeds-ca        warning  server
 *   no-auto-rollover                warning  server
 *   crl-exceeds-window              warning  server
 *   caps-no-getnextcacert           error    CA caps
 *   caps-no-sha2                    warning  CA caps
 *   sub-window-shorter-than-grant   error    server (mode sub-cs)
 *   sub-outlives-parent             warning  server (mode sub-cs)
 */
#ifndef PKICTL_CHECK_H
#define PKICTL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "schedule.h"

enum check_severity {
	CHECK_WARNING,
	CHECK_ERROR,
};

struct check_finding {
	const char *id;
	enum check_severity severity;
	char object[96]; /* "trustpoint SUB", "server ROOTCA", "CA caps" */
	char why[512];
	char fix[256];
};

struct check_report {
	struct check_finding *v;
	size_t n, cap;
	bool nomem;
};

/*
 * What a client needs to know of its CA.  Durations in seconds; 0 where
 * unknown (lifetime enrollment-request in client-only mode).
 */
struct check_ca {
	char name[PKID_CONF_NAME_MAX + 16]; /* "server ROOTCA" / "CA" */
	bool assumed;			    /* from options or IOS defaults */
	int64_t ca_life;		    /* lifetime ca-certificate */
	int64_t cert_life;		    /* lifetime certificate */
	int64_t crl_life;		    /* lifetime crl */
	int64_t request_life;		    /* lifetime enrollment-request */
	bool rollover;			    /* auto-rollover configured */
	int64_t window;			    /* its argument */
};

/* The parent of a `mode sub-cs` server (options, else IOS defaults). */
struct check_parent {
	bool assumed;	  /* no --parent-* option given */
	int64_t life;	  /* its lifetime certificate: the sub's life */
	int64_t ca_life;  /* its lifetime ca-certificate */
	int64_t grant;	  /* its operator's time to grant a CA request */
};

/* GetCACaps, as far as the rules care. */
struct check_caps {
	bool known; /* --caps given */
	bool next_ca_cert;
	bool sha2; /* SHA-256 or SHA-512 */
};

void check_rules_ca(struct check_report *r, const struct check_ca *ca,
		    const struct pkid_config *cfg);
void check_rules_trustpoint(struct check_report *r,
			    const struct pkid_trustpoint_config *t,
			    const struct check_ca *ca,
			    const struct check_caps *caps);
void check_rules_caps(struct check_report *r, const struct check_caps *caps);
/* A sub-cs server @sub (its ca_life already the parent's lifetime
 * certificate) under @p. */
void check_rules_sub(struct check_report *r, const struct check_ca *sub,
		     const struct check_parent *p);

/* The CA's and a trustpoint's timers as libshared/schedule.h takes them. */
struct sched_ca_conf check_sched_ca(const struct check_ca *ca);
struct sched_tp check_sched_tp(const struct pkid_trustpoint_config *t);

/* "73 d", "109 d 12 h", "12 h", "90 min". */
void check_fmt_duration(char *buf, size_t len, int64_t sec);

#endif /* PKICTL_CHECK_H */
