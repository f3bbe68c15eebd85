/* SPDX-License-Identifier: MIT */
/* The watchdog's parts (daemon/health/health.h says what it is). */
#ifndef PKID_HEALTH_INTERNAL_H
#define PKID_HEALTH_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "health.h"
#include "keystore.h"

#define HEALTH_RISKS_MAX 4
#define HEALTH_TPS_MAX	 256 /* alert state kept for this many */

#define HEALTH_ALERT_NO_ROLLOVER (1U << 0)
#define HEALTH_ALERT_RENEW_LATE	 (1U << 1)

struct health_env {
	struct ca *ca;	     /* NULL: no crypto pki server */
	struct tp_set *tp;   /* NULL: no trustpoint */
	const char *ks_socket;
	pthread_mutex_t lock; /* the alert state below */
	unsigned int ca_alerts, tp_alerts[HEALTH_TPS_MAX];
};

/* What is at risk for one CA, trustpoint, or the daemon itself. */
struct health_item {
	char risks[HEALTH_RISKS_MAX][256];
	unsigned int n_risks;
	unsigned int alert; /* HEALTH_ALERT_* */
};

struct health {
	int64_t now;
	bool clock_ok, keystore_ok;
	struct health_item global;
	bool has_ca;
	struct health_ca ca;
	struct health_item ca_item;
	struct health_tp *tps;
	struct health_item *tp_items;
	size_t n_tps;
	unsigned int at_risk; /* how many risks in all */
};

/* health.c */
int health_collect(struct health_env *env, struct health **out);
void health_free(struct health *h);
void health_alerts(struct health_env *env, const struct health *h);

#endif /* PKID_HEALTH_INTERNAL_H */
