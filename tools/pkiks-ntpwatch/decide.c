// SPDX-License-Identifier: MIT
/*
 * The decision of pkiks-ntpwatch (decide.h states the rules).  Pure: no
 * system calls, no globals, so every case is a unit test.
 */
#include <sys/timex.h>

#include "decide.h"

/* Rule 1: is the kernel clock synchronised, and if not, why. */
enum ntpw_sync ntpw_sync_of(const struct ntpw_timex *tx,
			    const struct ntpw_policy *p)
{
	if (tx->state < 0)
		return NTPW_UNSYNC_FAILED;
	if (tx->state == TIME_ERROR)
		return NTPW_UNSYNC_TIME_ERROR;
	if (tx->status & STA_UNSYNC)
		return NTPW_UNSYNC_STA;
	if (tx->maxerror_us < 0 || tx->maxerror_us > p->max_error_us)
		return NTPW_UNSYNC_MAXERROR;
	return NTPW_SYNCED;
}

/* Rule 3: has one settle period passed since the last revocation seen? */
static bool settled(const struct ntpw_input *in, const struct ntpw_policy *p)
{
	if (!in->revoked)
		return true;
	/* A BOOTTIME earlier than the revocation cannot happen; be safe. */
	if (in->now_ns < in->revoked_ns)
		return false;
	return in->now_ns - in->revoked_ns >= p->settle_ns;
}

/* Rules 2-4.  Losing sync (rule 4) is simply NTPW_WAIT_SYNC: no revoke. */
enum ntpw_action ntpw_decide(const struct ntpw_input *in,
			     const struct ntpw_policy *p)
{
	if (ntpw_sync_of(&in->tx, p) != NTPW_SYNCED)
		return NTPW_WAIT_SYNC;
	if (in->authoritative)
		return NTPW_AUTHORITATIVE;
	if (!settled(in, p))
		return NTPW_SETTLING;
	return NTPW_REPORT;
}

/*
 * Compare the gate with what was last seen of it: true when it lost
 * authority or counted a step since (a revocation ntpwatch had no event
 * for, or a step before any grant).  A step counter that went down means
 * the keystore restarted (pkiksd restart, module reload): a new gate, not a
 * revocation.
 */
bool ntpw_gate_observe(struct ntpw_gate_memory *m, int authoritative,
		       uint32_t steps)
{
	bool revoked = false;

	if (m->known && steps >= m->steps)
		revoked = steps > m->steps ||
			  (m->authoritative && !authoritative);
	m->known = true;
	m->authoritative = authoritative;
	m->steps = steps;
	return revoked;
}

const char *ntpw_sync_text(enum ntpw_sync s)
{
	switch (s) {
	case NTPW_SYNCED:
		return "synchronised";
	case NTPW_UNSYNC_FAILED:
		return "unknown (adjtimex failed)";
	case NTPW_UNSYNC_TIME_ERROR:
		return "not synchronised (TIME_ERROR)";
	case NTPW_UNSYNC_STA:
		return "not synchronised (STA_UNSYNC)";
	case NTPW_UNSYNC_MAXERROR:
		return "not synchronised (maxerror above the threshold)";
	}
	return "?";
}

const char *ntpw_action_text(enum ntpw_action a)
{
	switch (a) {
	case NTPW_WAIT_SYNC:
		return "waiting for NTP synchronisation";
	case NTPW_AUTHORITATIVE:
		return "keystore time already authoritative";
	case NTPW_SETTLING:
		return "synchronised, but too soon after a clock step";
	case NTPW_REPORT:
		return "reporting NTP synchronisation";
	}
	return "?";
}
