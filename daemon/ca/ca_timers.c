// SPDX-License-Identifier: MIT
/*
 * The CA's keystore timers: the dispatcher pkid's event loop calls when
 * one of ours expires (CS CRL UPDATE, ER EXPIRE, CS SHADOW CERT
 * GENERATION, CS CERT EXPIRE), and ER EXPIRE's own re-arming.
 */
#include <errno.h>
#include <string.h>

#include "ca_internal.h"
#include "core/log.h"

/* ER EXPIRE: drop expired pending requests, re-arm for the next one. */
static int earliest_pending(const struct db_request *r, void *arg)
{
	int64_t *min = arg;

	if (*min == 0 || r->expires < *min)
		*min = r->expires;
	return 0;
}

int ca_rearm_er_expire(struct ca *ca, int64_t now)
{
	int64_t next = 0, n = 0;
	int ret;

	ret = db_request_expire(ca->db, now, &n);
	if (ret == 0 && n)
		pkid_log(LOG_NOTICE, "CS_REQUEST_EXPIRED",
			 "%s: %lld pending request(s) expired", ca->cfg.name,
			 (long long)n);
	ret = ret
		      ?: db_request_foreach(ca->db, ca->cfg.name,
					    DB_REQ_PENDING, false,
					    earliest_pending, &next);
	if (ret < 0)
		return ret;
	if (!next) {
		/* Nothing pending: no timer (none armed is fine too). */
		pkiks_timer_cancel(ca->ks, ca->cfg.name, PKIKS_TIMER_ER_EXPIRE);
		return 0;
	}
	return pkiks_timer_arm(ca->ks, ca->cfg.name, PKIKS_TIMER_ER_EXPIRE,
			       (uint64_t)next * 1000000000ULL);
}

int ca_on_timer(struct ca *ca, enum pkiks_timer_kind kind)
{
	bool sw = kind == PKIKS_TIMER_CS_CERT_EXPIRE;
	int64_t now;
	int ret = 0;

	if (sw) /* the promotion renames NAME# to NAME */
		ca_switch_begin(ca);
	pthread_mutex_lock(&ca->lock);
	if (!ca->running || ca_now(ca, &now) < 0)
		goto out;
	/* mode ra signs no CRL and has no CA certificate to roll over */
	if (ca_is_ra(ca) && kind != PKIKS_TIMER_ER_EXPIRE)
		goto out;
	/* Several nodes: the CA's scheduled work is the leader's alone; a
	 * new leader arms its own timers (ca_lead.c). */
	if (kind != PKIKS_TIMER_ER_EXPIRE && !ca_is_leader(ca)) {
		pkid_log(LOG_INFO, "CS_FOLLOWER",
			 "%s: %s left to the leader node", ca->cfg.name,
			 pkiks_timer_kind_name(kind));
		goto out;
	}
	/* ... fenced: a deposed leader's step writes nothing (ca_lead.c) */
	if (kind != PKIKS_TIMER_ER_EXPIRE)
		ca_lead_fence(ca, true);
	if (kind == PKIKS_TIMER_CS_CRL_UPDATE)
		ret = ca_crl_update(ca, now);
	else if (kind == PKIKS_TIMER_ER_EXPIRE)
		ret = ca_rearm_er_expire(ca, now);
	else if (kind == PKIKS_TIMER_CS_SHADOW_CERT_GENERATION &&
		 ca->cfg.auto_rollover)
		ret = ca_rollover_create(ca, now);
	else if (kind == PKIKS_TIMER_CS_CERT_EXPIRE)
		ret = ca_rollover_promote(ca, now);
	ca_lead_fence(ca, false);
	/* -ESTALE: fenced off, said by CS_LEADER_FENCED */
	if (ret < 0 && ret != -EALREADY && ret != -ESTALE)
		pkid_log(LOG_ERR, "CS_ROLLOVER", "%s: %s: %s", ca->cfg.name,
			 pkiks_timer_kind_name(kind), strerror(-ret));
out:
	pthread_mutex_unlock(&ca->lock);
	if (sw)
		ca_switch_end(ca);
	return ret;
}
