// SPDX-License-Identifier: MIT
/*
 * The CA's facts for the watchdog (daemon/health/health.h): its end, its
 * rollover CA, its CRL, why it is not running, and the enrollment counters
 * and latency histogram the protocol front ends keep.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ca_internal.h"
#include "health/health.h"

const double health_lat_bounds[HEALTH_LAT_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

static uint64_t load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void add(uint64_t *v, uint64_t n)
{
	__atomic_add_fetch(v, n, __ATOMIC_RELAXED);
}

void ca_count_outcome(struct ca *ca, enum ca_outcome outcome)
{
	add(outcome == CA_ISSUED    ? &ca->n_granted
	    : outcome == CA_PENDING ? &ca->n_pending
				    : &ca->n_rejected,
	    1);
}

void ca_count_latency(struct ca *ca, const struct timespec *start)
{
	struct timespec end;
	uint64_t us;
	size_t b = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	us = (uint64_t)(end.tv_sec - start->tv_sec) * 1000000 +
	     (end.tv_nsec - start->tv_nsec) / 1000;
	while (b < HEALTH_LAT_BUCKETS && us > health_lat_bounds[b] * 1e6)
		b++;
	add(&ca->lat_bucket[b], 1);
	add(&ca->lat_sum_us, us);
	add(&ca->lat_count, 1);
}

static void copy_counters(struct ca *ca, struct health_ca *h)
{
	h->granted = load(&ca->n_granted);
	h->pending = load(&ca->n_pending);
	h->rejected = load(&ca->n_rejected);
	h->presigned = load(&ca->n_presigned);
	h->presign_dropped = load(&ca->n_presign_dropped);
	h->lat_count = load(&ca->lat_count);
	h->lat_sum = (double)load(&ca->lat_sum_us) / 1e6;
	for (size_t b = 0; b <= HEALTH_LAT_BUCKETS; b++)
		h->lat_bucket[b] = load(&ca->lat_bucket[b]);
}

struct alive {
	int64_t now;
	int n;
};

static int count_alive(const struct db_node *n, void *arg)
{
	struct alive *a = arg;

	a->n += a->now - n->heartbeat <= HEALTH_NODE_ALIVE_S;
	return 0;
}

/* Several nodes: this node's role and how many answer (under lock). */
static void lead_facts(struct ca *ca, struct health_ca *h)
{
	struct ca_lead_info li;
	struct alive a = {0};

	ca_lead_info(ca, &li);
	h->shared = li.shared;
	if (!li.shared)
		return;
	h->leader = li.leader;
	h->db_connected = !strcmp(li.db_state, "connected");
	h->takeovers = li.takeovers;
	snprintf(h->node, sizeof(h->node), "%s", li.node);
	if (ca_now(ca, &a.now) == 0 &&
	    db_node_foreach(ca->db, ca->cfg.name, count_alive, &a) == 0)
		h->nodes_alive = a.n;
}

int ca_health(struct ca *ca, struct health_ca *h)
{
	struct db_ca row = {0};

	memset(h, 0, sizeof(*h));
	pthread_mutex_lock(&ca->lock);
	snprintf(h->name, sizeof(h->name), "%s", ca->cfg.name);
	h->shutdown = ca->cfg.shutdown;
	h->running = ca->running;
	h->auto_rollover = ca->cfg.auto_rollover;
	h->window = ca->cfg.rollover_window;
	snprintf(h->why, sizeof(h->why), "%s", ca->why);
	if (ca->pub && ca->pub->k.ca_cert)
		ca_time_of(X509_get0_notAfter(ca->pub->k.ca_cert),
			   &h->not_after);
	h->rollover_ready = ca->pub && ca->pub->k.roll_cert;
	/* mode ra: no CA certificate of its own to roll over (the upstream's
	 * window is the upstream's risk); what ends is the RA certificate,
	 * which its trustpoint renews and whose lateness the trustpoint's
	 * health says (HEALTH_TP_RENEW_LATE) */
	if (ca_is_ra(ca) && ca->pub && ca->pub->k.ra_cert) {
		ca_time_of(X509_get0_notAfter(ca->pub->k.ra_cert),
			   &h->not_after);
		h->window = 0;
	}
	if (ca->running && db_ca_get(ca->db, ca->cfg.name, &row) == 0)
		h->crl_next = row.crl_next_update;
	/* A sub's rollover waits on its parent (a manual step there). */
	if (ca_is_sub(ca) && row.rollover == DB_ROLLOVER_KEY_MADE &&
	    ca->sub_roll_why[0] && !ca->sub_roll_refused)
		snprintf(h->roll_waits, sizeof(h->roll_waits),
			 "not requested: %.200s", ca->sub_roll_why);
	else if (ca_is_sub(ca) && row.rollover == DB_ROLLOVER_KEY_MADE)
		snprintf(h->roll_waits, sizeof(h->roll_waits),
			 "%s: the parent has not issued the certificate of "
			 "%s%s yet (trustpoint %s)",
			 ca->sub_roll_refused ? "refused" : "requested",
			 ca->cfg.name, CA_ROLL_SUFFIX, ca->cfg.name);
	db_ca_free(&row);
	lead_facts(ca, h);
	pthread_mutex_unlock(&ca->lock);
	copy_counters(ca, h);
	return 0;
}
