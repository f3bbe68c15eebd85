// SPDX-License-Identifier: MIT
/*
 * GET /metrics: the watchdog's facts in the Prometheus text exposition
 * format 0.0.4 (gauges in seconds since the epoch, counters _total, one
 * histogram), checked by `promtool check metrics` in the tests.  Label
 * values are names pkid.conf validated, escaped anyway.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_internal.h"

static const char *const tp_states[] = {"new",	   "authenticated",
					"enrolled", "pending",
					"retrying", "expired"};

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void head(FILE *f, const char *name, const char *type,
		 const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void ca_gauge(FILE *f, const char *name, const char *help,
		     const char *ca, long long v)
{
	head(f, name, "gauge", help);
	fprintf(f, "%s{ca=\"", name);
	label(f, ca);
	fprintf(f, "\"} %lld\n", v);
}

static void ca_counter(FILE *f, const char *name, const char *help,
		       const char *ca, uint64_t v)
{
	head(f, name, "counter", help);
	fprintf(f, "%s{ca=\"", name);
	label(f, ca);
	fprintf(f, "\"} %llu\n", (unsigned long long)v);
}

static void ca_metrics(FILE *f, const struct health *h)
{
	const struct health_ca *c = &h->ca;
	static const char *const outcome[] = {"granted", "pending",
					      "rejected"};
	const uint64_t n[] = {c->granted, c->pending, c->rejected};
	uint64_t cum = 0;

	ca_gauge(f, "pkid_ca_not_after_seconds",
		 "End of the CA certificate (Unix time).", c->name,
		 (long long)c->not_after);
	ca_gauge(f, "pkid_ca_rollover_ready",
		 "1 when a rollover CA certificate exists.", c->name,
		 c->rollover_ready);
	ca_gauge(f, "pkid_ca_running", "1 when the CA serves.", c->name,
		 c->running);
	ca_gauge(f, "pkid_ca_at_risk", "Risks of the CA (0: none).", c->name,
		 h->ca_item.n_risks);
	ca_gauge(f, "pkid_crl_next_update_seconds",
		 "nextUpdate of the CA's published CRL (Unix time, 0: none).",
		 c->name, (long long)c->crl_next);
	if (c->shared) { /* several nodes on one database (issue 18) */
		ca_gauge(f, "pkid_ca_leader",
			 "1 when this node does the CA's scheduled work.",
			 c->name, c->leader);
		ca_gauge(f, "pkid_ca_nodes",
			 "Nodes of the CA with a heartbeat in the last 10 s.",
			 c->name, c->nodes_alive);
		ca_gauge(f, "pkid_database_connected",
			 "1 when this node's database session answers.",
			 c->name, c->db_connected);
		ca_counter(f, "pkid_ca_takeovers_total",
			   "Times this node became the CA's leader.", c->name,
			   c->takeovers);
	}
	head(f, "pkid_enrollments_total", "counter",
	     "Enrollment requests (PKCSReq, RenewalReq) by outcome.");
	for (size_t i = 0; i < 3; i++) {
		fputs("pkid_enrollments_total{ca=\"", f);
		label(f, c->name);
		fprintf(f, "\",outcome=\"%s\"} %llu\n", outcome[i],
			(unsigned long long)n[i]);
	}
	ca_counter(f, "pkid_enrollments_signed_outside_lock_total",
		   "Enrollments that found the CA lock taken and were signed "
		   "outside it.",
		   c->name, c->presigned);
	ca_counter(f, "pkid_enrollments_presign_dropped_total",
		   "Enrollments signed outside the CA lock, then not recorded "
		   "(the CA changed meanwhile: signed again under the lock).",
		   c->name, c->presign_dropped);
	head(f, "pkid_request_duration_seconds", "histogram",
	     "PKIOperation handling time.");
	for (size_t b = 0; b <= HEALTH_LAT_BUCKETS; b++) {
		cum += c->lat_bucket[b];
		fputs("pkid_request_duration_seconds_bucket{ca=\"", f);
		label(f, c->name);
		if (b < HEALTH_LAT_BUCKETS)
			fprintf(f, "\",le=\"%g\"} %llu\n", health_lat_bounds[b],
				(unsigned long long)cum);
		else
			fprintf(f, "\",le=\"+Inf\"} %llu\n",
				(unsigned long long)cum);
	}
	fputs("pkid_request_duration_seconds_sum{ca=\"", f);
	label(f, c->name);
	fprintf(f, "\"} %.6f\n", c->lat_sum);
	fputs("pkid_request_duration_seconds_count{ca=\"", f);
	label(f, c->name);
	fprintf(f, "\"} %llu\n", (unsigned long long)c->lat_count);
}

static void tp_series(FILE *f, const char *name, const struct health *h,
		      int64_t (*get)(const struct health *, size_t))
{
	for (size_t i = 0; i < h->n_tps; i++) {
		fprintf(f, "%s{trustpoint=\"", name);
		label(f, h->tps[i].name);
		fprintf(f, "\"} %lld\n", (long long)get(h, i));
	}
}

static int64_t tp_end(const struct health *h, size_t i)
{
	return h->tps[i].id_not_after;
}

static int64_t tp_ca_end(const struct health *h, size_t i)
{
	return h->tps[i].chain_not_after;
}

static int64_t tp_risk(const struct health *h, size_t i)
{
	return h->tp_items[i].n_risks;
}

static int64_t tp_crl(const struct health *h, size_t i)
{
	return h->tps[i].crl_next;
}

static void tp_metrics(FILE *f, const struct health *h)
{
	head(f, "pkid_trustpoint_not_after_seconds", "gauge",
	     "End of the trustpoint's identity certificate (Unix time, 0: "
	     "none).");
	tp_series(f, "pkid_trustpoint_not_after_seconds", h, tp_end);
	head(f, "pkid_trustpoint_ca_not_after_seconds", "gauge",
	     "End of the trustpoint's CA certificate (Unix time, 0: none).");
	tp_series(f, "pkid_trustpoint_ca_not_after_seconds", h, tp_ca_end);
	head(f, "pkid_trustpoint_at_risk", "gauge",
	     "Risks of the trustpoint (0: none).");
	tp_series(f, "pkid_trustpoint_at_risk", h, tp_risk);
	head(f, "pkid_trustpoint_crl_next_update_seconds", "gauge",
	     "nextUpdate of the trustpoint's stored CRL (Unix time, 0: none).");
	tp_series(f, "pkid_trustpoint_crl_next_update_seconds", h, tp_crl);
	head(f, "pkid_trustpoint_state", "gauge",
	     "1 for the trustpoint's current state.");
	for (size_t i = 0; i < h->n_tps; i++)
		for (size_t s = 0; s < sizeof(tp_states) / sizeof(*tp_states);
		     s++) {
			fputs("pkid_trustpoint_state{trustpoint=\"", f);
			label(f, h->tps[i].name);
			fprintf(f, "\",state=\"%s\"} %d\n", tp_states[s],
				!strcmp(h->tps[i].state, tp_states[s]));
		}
}

int health_metrics(void *env, char **text, size_t *len)
{
	struct health *h = NULL;
	FILE *f;
	int ret = health_collect(env, &h);

	*text = NULL;
	*len = 0;
	if (ret < 0)
		return ret;
	f = open_memstream(text, len);
	if (!f) {
		health_free(h);
		return -ENOMEM;
	}
	head(f, "pkid_clock_authoritative", "gauge",
	     "1 when the keystore's time is authoritative.");
	fprintf(f, "pkid_clock_authoritative %d\n", h->clock_ok);
	head(f, "pkid_health_risks", "gauge",
	     "Risks found by the watchdog in all (pkictl show health).");
	fprintf(f, "pkid_health_risks %u\n", h->at_risk);
	if (h->has_ca)
		ca_metrics(f, h);
	if (h->n_tps)
		tp_metrics(f, h);
	ret = fclose(f) == 0 ? 0 : -ENOMEM;
	health_free(h);
	if (ret < 0) {
		free(*text);
		*text = NULL;
	}
	return ret;
}
