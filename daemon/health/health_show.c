// SPDX-License-Identifier: MIT
/*
 * `show health` (pkictl show health [--json]): every CA and trustpoint
 * with its risks; status "ok" or "at risk" (pkictl exits 5 then).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/ctl.h"
#include "core/log.h"
#include "health_internal.h"

static json_t *risks_json(const struct health_item *it)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < it->n_risks; i++)
		json_array_append_new(a, json_string(it->risks[i]));
	return a;
}

static void risks_text(struct ctl_reply *reply, const struct health_item *it)
{
	for (unsigned int i = 0; i < it->n_risks; i++)
		ctl_reply_printf(reply, "    AT RISK: %s\n", it->risks[i]);
}

static const char *status(const struct health_item *it)
{
	return it->n_risks ? "at risk" : "ok";
}

static json_t *ca_json(const struct health *h, struct ctl_reply *reply)
{
	const struct health_ca *c = &h->ca;
	char end[32], roll[32], crl[32];
	int64_t left = c->not_after ? c->not_after - h->now : 0;
	json_t *o;

	pkid_iso_time(c->not_after, end, sizeof(end));
	pkid_iso_time(c->not_after ? c->not_after - c->window : 0, roll, sizeof(roll));
	pkid_iso_time(c->crl_next, crl, sizeof(crl));
	ctl_reply_printf(reply,
			 "CA %s: %s\n    Running: %s\n    Not after: %s "
			 "(%lld s left)\n    Rollover window from: %s\n"
			 "    Rollover CA: %s\n    CRL next update: %s\n",
			 c->name, status(&h->ca_item),
			 c->shutdown ? "no (shutdown)" : c->running ? "yes" : "no",
			 end, (long long)left, roll,
			 c->rollover_ready ? "ready" : "none", crl);
	if (c->shared)
		ctl_reply_printf(reply,
				 "    Node %s: %s, database %s, %d node(s) "
				 "alive\n",
				 c->node, c->leader ? "leader" : "follower",
				 c->db_connected ? "connected" : "lost",
				 c->nodes_alive);
	risks_text(reply, &h->ca_item);
	o = json_pack("{s:s, s:s, s:o, s:b, s:s, s:I, s:s, s:b, s:s}", "name",
		      c->name, "status", status(&h->ca_item), "risks",
		      risks_json(&h->ca_item), "running", c->running,
		      "not_after", end, "seconds_left", (json_int_t)left,
		      "rollover_window_from", roll, "rollover_ready",
		      c->rollover_ready, "crl_next_update", crl);
	if (o && c->shared)
		json_object_set_new(
			o, "cluster",
			json_pack("{s:s, s:s, s:b, s:i, s:I}", "node", c->node,
				  "role", c->leader ? "leader" : "follower",
				  "database_connected", c->db_connected,
				  "nodes_alive", c->nodes_alive, "takeovers",
				  (json_int_t)c->takeovers));
	return o;
}

static json_t *tp_json(const struct health *h, size_t i,
		       struct ctl_reply *reply)
{
	const struct health_tp *p = &h->tps[i];
	const struct health_item *it = &h->tp_items[i];
	char end[32], renew[32], chain[32], since[32], crl[32];
	int64_t left = p->id_not_after ? p->id_not_after - h->now : 0;

	pkid_iso_time(p->id_not_after, end, sizeof(end));
	pkid_iso_time(p->renew_at, renew, sizeof(renew));
	pkid_iso_time(p->chain_not_after, chain, sizeof(chain));
	pkid_iso_time(p->since, since, sizeof(since));
	pkid_iso_time(p->crl_next, crl, sizeof(crl));
	ctl_reply_printf(reply,
			 "Trustpoint %s: %s\n    State: %s%s%s\n"
			 "    Identity not after: %s (%lld s left)\n"
			 "    Renew at: %s\n    CA certificate not after: %s\n"
			 "    CRL next update: %s\n",
			 p->name, status(it), p->state,
			 p->since ? " since " : "", p->since ? since : "", end,
			 (long long)left, renew, chain, crl);
	risks_text(reply, it);
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:s, s:s, "
			 "s:b, s:s}",
			 "name", p->name, "status", status(it), "risks",
			 risks_json(it), "state", p->state, "since", since,
			 "identity_not_after", end, "identity_seconds_left",
			 (json_int_t)left, "renew_at", renew,
			 "ca_not_after", chain, "gave_up", p->gave_up,
			 "crl_next_update", crl);
}

static int show_health(const struct ctl_request *req, struct ctl_reply *reply,
		       void *arg)
{
	struct health_env *env = arg;
	struct health *h = NULL;
	json_t *cas, *tps;
	char now[32];
	int ret = health_collect(env, &h);

	if (ret < 0)
		return ctl_reply_error(reply, ret, "cannot gather health: %s",
				       strerror(-ret));
	health_alerts(env, h);
	pkid_iso_time(h->now, now, sizeof(now));
	ctl_reply_printf(reply, "Health: %s (%u risk(s)) at %s\n",
			 h->at_risk ? "AT RISK" : "ok", h->at_risk, now);
	ctl_reply_printf(reply, "    Time authoritative: %s\n",
			 h->clock_ok ? "yes" : "no");
	risks_text(reply, &h->global);
	cas = json_array();
	tps = json_array();
	if (h->has_ca)
		json_array_append_new(cas, ca_json(h, reply));
	for (size_t i = 0; i < h->n_tps; i++)
		json_array_append_new(tps, tp_json(h, i, reply));
	reply->result = json_pack(
		"{s:s, s:i, s:s, s:b, s:o, s:o, s:o}", "status",
		h->at_risk ? "at risk" : "ok", "risks", (int)h->at_risk, "now",
		now, "clock_authoritative", h->clock_ok, "daemon_risks",
		risks_json(&h->global), "cas", cas, "trustpoints", tps);
	health_free(h);
	return 0;
}

int health_ctl_register(struct health_env *env, struct ctl_server *srv)
{
	return ctl_register(srv, "show health", show_health, 0, env, "");
}
