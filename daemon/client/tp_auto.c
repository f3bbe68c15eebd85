// SPDX-License-Identifier: MIT
/*
 * Zero-touch enrollment, as IOS: a trustpoint with `enrollment url` and
 * `auto-enroll` authenticates its CA by itself when a `fingerprint` is
 * configured (nobody has to look at it), and enrolls by itself once the
 * CA is authenticated.  `trustpoint TP enroll` stays for manual use.
 *
 * When: at start and when the keystore comes back (tp_resume), one retry
 * period after an operator's `authenticate` (so an `enroll` typed at once
 * takes precedence: it cancels that timer), and at every CONNECT RETRY
 * that finds nothing to continue (the CA was unreachable).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "tp_internal.h"

static bool zero_touch_configured(const struct tp *tp)
{
	return tp->cfg.auto_enroll && tp->cfg.enrollment_url[0];
}

/* Not authenticated: with a configured fingerprint, authenticate now. */
static int auto_authenticate(struct tp *tp)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1], why[512] = "";
	int64_t now;
	int ret;

	if (!tp->cfg.fingerprint[0])
		return -EPERM; /* the operator must check the CA: IOS too */
	ret = tp_authenticate(tp, false, fp, sizeof(fp), why, sizeof(why));
	if (ret == 0)
		return 0;
	pkid_log(LOG_WARNING, NULL,
		 "trustpoint %s: zero-touch: authenticate: %s", tp->cfg.name,
		 why[0] ? why : strerror(-ret));
	/* A wrong fingerprint waits for the operator; anything else (the CA
	 * not up yet) is tried again after the retry period. */
	if (ret != -EPERM && ret != -EKEYREJECTED && tp_now(tp, &now) == 0)
		tp_arm_backoff(tp, PKIKS_TIMER_CONNECT_RETRY, 0, now);
	return ret;
}

int tp_zero_touch(struct tp *tp)
{
	char why[512] = "";
	struct db_tp st;
	bool idle;
	int ret;

	if (!zero_touch_configured(tp))
		return 0;
	ret = db_tp_get(tp->set->db, tp->cfg.name, &st);
	if (ret == -ENOENT || (ret == 0 && !st.ca_cert)) {
		if (ret == 0)
			db_tp_free(&st);
		ret = auto_authenticate(tp);
		ret = ret ?: db_tp_get(tp->set->db, tp->cfg.name, &st);
	}
	if (ret < 0)
		return ret == -EPERM ? 0 : ret;
	idle = !st.id_cert && st.pending_kind == TP_KIND_NONE;
	db_tp_free(&st);
	if (!idle)
		return 0;
	pkid_log(LOG_INFO, NULL, "trustpoint %s: zero-touch: enrolling",
		 tp->cfg.name);
	ret = tp_enroll(tp, TP_KIND_ENROLL, why, sizeof(why));
	if (ret < 0 && why[0])
		pkid_log(LOG_WARNING, NULL, "trustpoint %s: zero-touch: %s",
			 tp->cfg.name, why);
	return ret;
}

void tp_zero_touch_later(struct tp *tp)
{
	int64_t now;

	if (zero_touch_configured(tp) && tp_now(tp, &now) == 0)
		tp_arm_backoff(tp, PKIKS_TIMER_CONNECT_RETRY, 0, now);
}
