/* SPDX-License-Identifier: MIT */
/*
 * pkiks-ntpwatch's decision: a pure function from what it observed (a
 * read-only adjtimex() snapshot, the keystore's time gate, when the gate
 * last lost authority) to what it does.  No I/O here, so the CUnit tests
 * (tests/ntpwatch/test_decide.c) drive every case on synthetic states.
 *
 * The rules (pkiks-ntpwatch(8) says the same for operators):
 *
 *  1. Synchronised = adjtimex() did not return TIME_ERROR (nor fail),
 *     STA_UNSYNC is clear, and maxerror <= the threshold.  chrony and
 *     systemd-timesyncd both clear STA_UNSYNC and write maxerror when they
 *     discipline the clock; the kernel adds 0.5 ms to maxerror every second
 *     nobody does, and sets STA_UNSYNC itself at 16 s.
 *  2. Synchronised and the gate not authoritative: report NTP (CLOCK_SET).
 *     Already authoritative (NTP or an admin's calendar-valid): nothing.
 *  3. After the gate lost authority (a clock step: the keystore revokes by
 *     itself) or counted a step, report again only from a poll made at
 *     least one settle period (one interval) after that was seen, and only
 *     if that poll shows synchronised.  Every step of the kernel clock
 *     (settimeofday, clock_settime, ADJ_SETOFFSET) runs the kernel's
 *     ntp_clear(): STA_UNSYNC set, maxerror 16 s.  So a synchronised
 *     snapshot one period later means an NTP daemon disciplined the clock
 *     again after the step, rather than a stale pre-step status; a step is
 *     never legitimised by the poll that happens to follow it.
 *  4. Losing sync never revokes: like IOS, a clock that was valid stays
 *     valid (calendar) until it is stepped, which the keystore sees itself.
 */
#ifndef PKIKS_NTPWATCH_DECIDE_H
#define PKIKS_NTPWATCH_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "keystore.h"

/* A read-only adjtimex() snapshot (or the test input --timex-file). */
struct ntpw_timex {
	int state;  /* adjtimex() return: TIME_OK..TIME_ERROR, or -errno */
	int status; /* STA_* bits */
	long maxerror_us; /* kernel's maximum error, microseconds */
	long esterror_us; /* kernel's estimated error, microseconds */
};

/* Why the clock is (not) synchronised; one log line per change. */
enum ntpw_sync {
	NTPW_SYNCED,
	NTPW_UNSYNC_FAILED,	/* adjtimex() itself failed */
	NTPW_UNSYNC_TIME_ERROR, /* returned TIME_ERROR */
	NTPW_UNSYNC_STA,	/* STA_UNSYNC set */
	NTPW_UNSYNC_MAXERROR,	/* maxerror above the threshold */
};

enum ntpw_action {
	NTPW_WAIT_SYNC,	    /* not synchronised: nothing to report */
	NTPW_AUTHORITATIVE, /* the gate already is: nothing to do */
	NTPW_SETTLING,	    /* synchronised, but too soon after a step */
	NTPW_REPORT,	    /* send CLOCK_SET NTP */
};

struct ntpw_policy {
	long max_error_us;  /* rule 1's threshold */
	uint64_t settle_ns; /* rule 3's period */
};

struct ntpw_input {
	struct ntpw_timex tx;
	int authoritative;   /* the keystore's gate, from pkiks_clock_get */
	uint64_t now_ns;     /* CLOCK_BOOTTIME of this poll */
	bool revoked;	     /* a revocation or step was seen ... */
	uint64_t revoked_ns; /* ... at this CLOCK_BOOTTIME */
};

/*
 * What ntpwatch remembers of the gate between observations, to see a
 * revocation it had no event for (a step counted, authority gone).
 */
struct ntpw_gate_memory {
	bool known;
	int authoritative;
	uint32_t steps;
};

enum ntpw_sync ntpw_sync_of(const struct ntpw_timex *tx,
			    const struct ntpw_policy *p);
enum ntpw_action ntpw_decide(const struct ntpw_input *in,
			     const struct ntpw_policy *p);
bool ntpw_gate_observe(struct ntpw_gate_memory *m, int authoritative,
		       uint32_t steps);

const char *ntpw_sync_text(enum ntpw_sync s);
const char *ntpw_action_text(enum ntpw_action a);

#endif /* PKIKS_NTPWATCH_DECIDE_H */
