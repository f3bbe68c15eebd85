// SPDX-License-Identifier: MIT
/*
 * The trustpoints' facts for the watchdog (daemon/health/health.h): the
 * identity's end and renew instant, the chain's end, what is in progress
 * and since when, whether the trustpoint gave up, the CRL's nextUpdate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/health.h"
#include "tp.h"
#include "tp_internal.h"

/*
 * enrollment terminal: a SHADOW waits for a manual step (the CA is
 * offline, nothing happens by itself): the rollover CA certificate to
 * bring, or the SHADOW request to carry to the CA and back.
 */
static void terminal_waits(const struct tp *tp, const struct db_tp *st,
			   struct health_tp *h)
{
	if (!tp->cfg.enrollment_terminal)
		return;
	if (st->pending_kind == TP_KIND_SHADOW &&
	    !strcmp(st->pending_tid, TP_TERMINAL_TID))
		snprintf(h->waits, sizeof(h->waits),
			 "enrollment terminal: the SHADOW request waits to be "
			 "carried to the CA (`pkictl trustpoint %s enroll` "
			 "prints it; `pkictl trustpoint %s import certificate "
			 "FILE` takes the answer)",
			 tp->cfg.name, tp->cfg.name);
	else if (tp->terminal_shadow_due && !st->shadow_ca_cert)
		snprintf(h->waits, sizeof(h->waits),
			 "enrollment terminal: SHADOW is due: bring the CA's "
			 "rollover CA certificate (`pkictl server CA rollover "
			 "export FILE` there, `pkictl trustpoint %s import "
			 "ca-certificate FILE` here)",
			 tp->cfg.name);
}

static void one(struct tp *tp, struct health_tp *h)
{
	struct db_tp st;
	int64_t nb = 0, na = 0;

	snprintf(h->name, sizeof(h->name), "%s", tp->cfg.name);
	h->auto_enroll = tp->cfg.auto_enroll;
	h->gave_up = tp->gave_up_at != 0;
	h->crl_next = tp->crl_next;
	/* A renewal is late once its first retry is due and it has not
	 * happened. */
	h->grace = 60LL * tp->cfg.retry_period_min;
	h->state = "new";
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) < 0)
		return;
	h->state = tp_state_of(tp, &st);
	if (tp_der_times(tp, TP_TIMES_ID, st.id_cert, st.id_cert_len, &nb,
			 &na) == 0) {
		h->id_not_after = na;
		if (tp->cfg.auto_enroll)
			h->renew_at =
				nb + (na - nb) * tp->cfg.auto_enroll_pct / 100;
	}
	if (tp_der_times(tp, TP_TIMES_CA, st.ca_cert, st.ca_cert_len, &nb,
			 &na) == 0)
		h->chain_not_after = na;
	if (st.pending_kind != TP_KIND_NONE)
		h->since = st.updated;
	terminal_waits(tp, &st, h);
	if (h->gave_up)
		h->since = tp->gave_up_at;
	db_tp_free(&st);
}

int tp_health(struct tp_set *set, struct health_tp **out, size_t *n)
{
	struct health_tp *h;

	*out = NULL;
	*n = 0;
	if (!set)
		return 0;
	pthread_mutex_lock(&set->lock);
	h = calloc(set->n ? set->n : 1, sizeof(*h));
	if (h) {
		for (size_t i = 0; i < set->n; i++)
			one(&set->tps[i], &h[i]);
		*n = set->n;
	}
	pthread_mutex_unlock(&set->lock);
	*out = h;
	return h ? 0 : -ENOMEM;
}
