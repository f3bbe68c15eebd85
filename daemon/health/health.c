// SPDX-License-Identifier: MIT
/*
 * The watchdog (health.h): gather the facts, judge the risks, render them
 * as `show health` (text and JSON), as Prometheus text, and as log alerts
 * on the transition from fine to at risk.
 *
 * Risks:
 *   time          the keystore's clock is not authoritative
 *   CA            not running (and not shut down): with its reason;
 *                 expired; inside its rollover window (auto-rollover, or
 *                 its 30-day default without) with no rollover CA
 *                 (alert HEALTH_CA_NO_ROLLOVER)
 *   trustpoint    identity expired; chain (its CA certificate) expired;
 *                 past its renew date plus one retry period and not
 *                 renewed (alert HEALTH_TP_RENEW_LATE); gave up (alert
 *                 HEALTH_TP_GAVE_UP, logged where it happens); with
 *                 auto-enroll and no identity
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/ca.h"
#include "client/tp.h"
#include "core/ctl.h"
#include "core/log.h"
#include "health.h"
#include "health_internal.h"

static void add_risk(struct health_item *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_risk(struct health_item *it, const char *fmt, ...)
{
	va_list ap;

	if (it->n_risks >= HEALTH_RISKS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(it->risks[it->n_risks++], sizeof(it->risks[0]), fmt, ap);
	va_end(ap);
}

static bool ca_in_window(const struct health_ca *c, int64_t now)
{
	return c->not_after && now >= c->not_after - c->window;
}

static void judge_ca(const struct health_ca *c, int64_t now,
		     struct health_item *it)
{
	char t[32];

	if (c->shutdown)
		return;
	if (!c->running) {
		add_risk(it, "not running: %s",
			 c->why[0] ? c->why : "not started yet");
		return;
	}
	if (now >= c->not_after) {
		pkid_iso_time(c->not_after, t, sizeof(t));
		add_risk(it, "the CA certificate expired at %s", t);
	} else if (ca_in_window(c, now) && !c->rollover_ready) {
		pkid_iso_time(c->not_after, t, sizeof(t));
		add_risk(it, "inside its rollover window without a rollover CA "
			     "(the CA ends %s)%s%s", t,
			 c->roll_waits[0] ? ": " : "", c->roll_waits);
		it->alert |= HEALTH_ALERT_NO_ROLLOVER;
	}
}

static void judge_tp(const struct health_tp *p, int64_t now,
		     struct health_item *it)
{
	char t[32];

	if (p->id_not_after && now >= p->id_not_after) {
		pkid_iso_time(p->id_not_after, t, sizeof(t));
		add_risk(it, "identity expired at %s", t);
	} else if (p->renew_at && now >= p->renew_at + p->grace) {
		pkid_iso_time(p->renew_at, t, sizeof(t));
		add_risk(it, "past its renew date (%s) without a renewal", t);
		it->alert |= HEALTH_ALERT_RENEW_LATE;
	}
	if (p->chain_not_after && now >= p->chain_not_after) {
		pkid_iso_time(p->chain_not_after, t, sizeof(t));
		add_risk(it, "its CA certificate expired at %s", t);
	}
	if (p->gave_up) {
		pkid_iso_time(p->since, t, sizeof(t));
		add_risk(it, "gave up at %s: enroll by hand", t);
	}
	if (p->waits[0])
		add_risk(it, "%s", p->waits);
	if (p->auto_enroll && !p->id_not_after && !p->gave_up)
		add_risk(it, "no identity yet (state %s)", p->state);
}

void health_free(struct health *h)
{
	if (!h)
		return;
	free(h->tps);
	free(h->tp_items);
	free(h);
}

static int read_clock(struct health_env *env, struct health *h)
{
	struct pkiks_clock clk = {0};
	struct pkiks *ks = NULL;
	int ret = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, env->ks_socket);

	ret = ret ?: pkiks_clock_get(ks, &clk);
	if (ks)
		pkiks_close(ks);
	h->now = (int64_t)(clk.now_ns / 1000000000ULL);
	h->clock_ok = ret == 0 && clk.authoritative;
	h->keystore_ok = ret == 0;
	return ret;
}

int health_collect(struct health_env *env, struct health **out)
{
	struct health *h = calloc(1, sizeof(*h));
	int ret;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	read_clock(env, h);
	if (!h->keystore_ok)
		add_risk(&h->global, "the keystore is unreachable");
	else if (!h->clock_ok)
		add_risk(&h->global, "time is not authoritative");
	if (env->ca) {
		h->has_ca = true;
		ca_health(env->ca, &h->ca);
		judge_ca(&h->ca, h->now, &h->ca_item);
	}
	ret = tp_health(env->tp, &h->tps, &h->n_tps);
	if (ret == 0 && h->n_tps) {
		h->tp_items = calloc(h->n_tps, sizeof(*h->tp_items));
		ret = h->tp_items ? 0 : -ENOMEM;
	}
	for (size_t i = 0; ret == 0 && i < h->n_tps; i++)
		judge_tp(&h->tps[i], h->now, &h->tp_items[i]);
	if (ret < 0) {
		health_free(h);
		return ret;
	}
	h->at_risk = h->global.n_risks + h->ca_item.n_risks;
	for (size_t i = 0; i < h->n_tps; i++)
		h->at_risk += h->tp_items[i].n_risks;
	*out = h;
	return 0;
}

/* ---- log alerts: once per transition into the risk ---- */

static void alert_one(struct health_env *env, const char *name,
		      unsigned int *last, unsigned int now_mask,
		      const struct health_item *it)
{
	unsigned int fresh = now_mask & ~*last;

	if (fresh & HEALTH_ALERT_NO_ROLLOVER)
		pkid_log(LOG_CRIT, "HEALTH_CA_NO_ROLLOVER", "%s: %s", name,
			 it->risks[0]);
	if (fresh & HEALTH_ALERT_RENEW_LATE)
		pkid_log(LOG_ERR, "HEALTH_TP_RENEW_LATE", "trustpoint %s: %s",
			 name, it->risks[0]);
	*last = now_mask;
}

void health_alerts(struct health_env *env, const struct health *h)
{
	pthread_mutex_lock(&env->lock);
	if (h->has_ca)
		alert_one(env, h->ca.name, &env->ca_alerts, h->ca_item.alert,
			  &h->ca_item);
	for (size_t i = 0; i < h->n_tps && i < HEALTH_TPS_MAX; i++)
		alert_one(env, h->tps[i].name, &env->tp_alerts[i],
			  h->tp_items[i].alert, &h->tp_items[i]);
	pthread_mutex_unlock(&env->lock);
}

void health_tick(struct health_env *env)
{
	struct health *h = NULL;

	if (health_collect(env, &h) == 0)
		health_alerts(env, h);
	health_free(h);
}

int health_new(struct health_env **out, struct ca *ca, struct tp_set *tp,
	       const char *ks_socket)
{
	struct health_env *env = calloc(1, sizeof(*env));

	*out = NULL;
	if (!env)
		return -ENOMEM;
	env->ca = ca;
	env->tp = tp;
	env->ks_socket = ks_socket;
	pthread_mutex_init(&env->lock, NULL);
	*out = env;
	return 0;
}

void health_destroy(struct health_env *env)
{
	if (!env)
		return;
	pthread_mutex_destroy(&env->lock);
	free(env);
}
