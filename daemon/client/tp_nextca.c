// SPDX-License-Identifier: MIT
/*
 * The next-CA poll (issue 22): a trustpoint asks GetNextCACert from time
 * to time until it holds the rollover CA certificate, instead of only
 * when its SHADOW fires.  Holding it early is what lets SHADOW keep its
 * margin before the CA's end (sched_lifecycle), and what lets a
 * trustpoint that misses its SHADOW (CA down across the end, router off)
 * recognise the new CA afterwards and recover (tp_recover.c).
 *
 * It runs on a keystore timer like every other PKI timer: GENERIC, owner
 * the trustpoint, label TP_NEXTCA_LABEL, at sched_next_ca_poll(); it is
 * armed with the lifecycle (tp_arm_lifecycle).  Once the rollover CA
 * certificate is held it goes on, sparser (sched_next_ca_recheck), also
 * once the SHADOW identity exists: the operator may cancel that rollover
 * (`rollover cancel`) and the CA make another, and a trustpoint still
 * holding the withdrawn one when its SHADOW can only run after the CA's
 * end (CA down, router off) could not trust the new CA, and one holding
 * a SHADOW identity under it would switch at the end to an identity
 * nobody trusts.  It stops when the CA has ended.
 */
#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "schedule.h"
#include "tp_internal.h"


bool tp_is_nextca_timer(const struct pkiks_timer_info *t)
{
	return t->kind == PKIKS_TIMER_GENERIC &&
	       !strcmp(t->label, TP_NEXTCA_LABEL);
}

/* Worth asking: an identity under a CA that announces GetNextCACert;
 * either no rollover CA certificate held, or one held (with or without
 * the SHADOW identity issued under it) and no request under way (which
 * asks the CA itself). */
static bool wants_poll(const struct tp *tp, const struct db_tp *st)
{
	if (!st->id_cert || !st->ca_cert ||
	    !tp_proto(tp)->has_next_ca(st->caps))
		return false;
	return !st->shadow_ca_cert || st->pending_kind == TP_KIND_NONE;
}

static void nextca_cancel(struct tp *tp)
{
	/* -ENOENT: nothing was armed, which is what we want. */
	pkiks_timer_cancel_label(tp->set->ks, tp->cfg.name,
				 PKIKS_TIMER_GENERIC, TP_NEXTCA_LABEL);
}

/* The instant of the next poll at @now; 0: none (CA ended, bad cert). */
static int64_t next_poll(const struct tp *tp, const struct db_tp *st,
			 int64_t now)
{
	struct sched_tp conf = tp_sched_conf(tp);
	struct sched_validity ca;
	X509 *x = tp_x509(st->ca_cert, st->ca_cert_len);
	int ret = x ? tp_validity(x, &ca) : -EINVAL;

	X509_free(x);
	if (ret < 0)
		return 0;
	return st->shadow_ca_cert ? sched_next_ca_recheck(&conf, ca, now)
				  : sched_next_ca_poll(&conf, ca, now);
}

void tp_nextca_arm(struct tp *tp, const struct db_tp *st)
{
	int64_t now, at;

	nextca_cancel(tp);
	if (!wants_poll(tp, st) || tp_now(tp, &now) < 0)
		return; /* no authority: tp_sync() arms it once it is back */
	at = next_poll(tp, st, now);
	if (!at)
		return;
	tp_arm_generic(tp, TP_NEXTCA_LABEL, "the next-CA poll", at);
}

/* The poll timer expired (under the set's lock). */
void tp_nextca_on_timer(struct tp *tp)
{
	struct db_tp st;
	int64_t at;
	bool held;
	int ret;

	nextca_cancel(tp);
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) < 0)
		return;
	if (!wants_poll(tp, &st))
		goto out;
	held = st.shadow_ca_cert != NULL;
	ret = held ? tp_recheck_next_ca(tp, &st) : tp_prefetch_next_ca(tp, &st);
	if (ret < 0)
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: next-CA poll: %s; asking again later",
			 tp->cfg.name, strerror(-ret));
	/* Fetched, dropped or replaced: SHADOW planned again (it keeps its
	 * margin only while a rollover is held); the lifecycle re-arms the
	 * poll too. */
	if ((held != (st.shadow_ca_cert != NULL) || ret > 0) &&
	    st.pending_kind == TP_KIND_NONE)
		tp_arm_lifecycle(tp, &st, &at);
	else
		tp_nextca_arm(tp, &st);
out:
	db_tp_free(&st);
}

void tp_nextca_resume(struct tp *tp, const struct pkiks_timer_info *timers,
		      size_t n)
{
	struct db_tp st;

	if (tp_has_timer(tp, timers, n, tp_is_nextca_timer))
		return;
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) < 0)
		return;
	if (wants_poll(tp, &st))
		tp_nextca_arm(tp, &st);
	db_tp_free(&st);
}
