/* SPDX-License-Identifier: MIT */
/*
 * The watchdog (issue 13): one view of what could let a certificate or a
 * chain lapse, for people (`pkictl show health`), for monitoring (GET
 * /metrics, Prometheus text format) and for the log (alerts at stable
 * tags, on the transition only).
 *
 * The facts come from the CA (ca_health, daemon/ca/ca_health.c) and the
 * trustpoints (tp_health, daemon/client/tp_health.c); health.c judges the
 * risks and renders them.  Every time is the keystore's (authoritative or
 * not: a clock that is not is itself a risk).
 */
#ifndef PKID_HEALTH_H
#define PKID_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct ca;
struct tp_set;
struct ctl_server;

/* PKIOperation latency histogram bounds (seconds), + the +Inf bucket. */
#define HEALTH_LAT_BUCKETS 8
extern const double health_lat_bounds[HEALTH_LAT_BUCKETS];

struct health_ca {
	char name[PKID_CONF_NAME_MAX];
	bool shutdown, running, auto_rollover, rollover_ready;
	char why[PKID_CONF_URL_MAX + 128]; /* not running: why ("" if none) */
	/* what the rollover waits for ("" if nothing): a sub-cs's parent */
	char roll_waits[PKID_CONF_NAME_MAX * 2 + 96];
	int64_t not_after;    /* the CA certificate's end (0: none yet) */
	int64_t window;	      /* auto-rollover (or its default) */
	int64_t crl_next;     /* nextUpdate of the published CRL (0: none) */
	uint64_t granted, pending, rejected; /* enrollments by outcome */
	/* signed outside the CA lock / then not recorded (issue 14) */
	uint64_t presigned, presign_dropped;
	uint64_t lat_count, lat_bucket[HEALTH_LAT_BUCKETS + 1];
	double lat_sum;
	/* several nodes on one database (issue 18); all 0 on SQLite */
	bool shared, leader, db_connected;
	char node[64];
	uint64_t takeovers;
	int nodes_alive; /* heartbeat within HEALTH_NODE_ALIVE_S */
};
#define HEALTH_NODE_ALIVE_S 10

struct health_tp {
	char name[PKID_CONF_NAME_MAX];
	const char *state;   /* as show trustpoints: new, enrolled, ... */
	int64_t id_not_after; /* 0: no identity */
	int64_t renew_at;     /* auto-enroll's renew instant (0: none) */
	int64_t chain_not_after; /* the CA certificate's end (0: none) */
	int64_t since;	      /* retrying/pending/gave up since (0) */
	int64_t crl_next;     /* the stored CRL's nextUpdate (0: none) */
	int64_t grace;	      /* renewal is late after renew_at + grace */
	bool auto_enroll, gave_up;
	/* enrollment terminal: the manual step a rollover waits for ("") */
	char waits[320];
};

struct health_env;

/* The watchdog of this daemon: its CA and trustpoints (either NULL). */
int health_new(struct health_env **env, struct ca *ca, struct tp_set *tp,
	       const char *ks_socket);
void health_destroy(struct health_env *env);
/* `show health`: text, JSON; status "ok" or "at risk". */
int health_ctl_register(struct health_env *env, struct ctl_server *srv);
/* Check the risks now and log an alert for each new one (main loop). */
void health_tick(struct health_env *env);
/* GET /metrics: the Prometheus text (malloc'd) or a negative errno; arg
 * is the health_env (an http_text_fn, daemon/core/http.h). */
int health_metrics(void *env, char **text, size_t *len);

#endif /* PKID_HEALTH_H */
