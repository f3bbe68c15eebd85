// SPDX-License-Identifier: MIT
/*
 * Several pkid nodes serving one CA from one PostgreSQL database (issue
 * 18, docs/POSTGRESQL.md "Several nodes").
 *
 * Leadership.  Exactly one node does the CA's scheduled work (shadow
 * generation, promotion, CRL re-signing and with it the OCSP re-sign):
 * the one whose dedicated session holds the CA's advisory lock
 * (db_lead_try).  A session lock, not a lease row, because its end is
 * the server's business and needs no clock: kill -9 of the leader closes
 * its socket and the server frees the lock at once; a leader cut off is
 * dropped by TCP keepalive / user timeout (db_pg.c).  Every node tries
 * every LEAD_PERIOD_MS, so a follower takes over within that period
 * after the lock is free.  The new leader then does what a start does
 * (ca_resume_locked): finish a rollover or promotion left half done
 * (each step is durable and can run again: ca_rollover.c), make the CRL
 * current, arm the CA's timers in its own keystore.  A follower's timers
 * that still fire are ignored (ca_timers.c).
 *
 * State.  Every change of the CA row (a CRL, a rollover CA, a promotion)
 * is notified at commit (db_ca.c: pg_notify); the thread wakes on it, or
 * at the latest after LEAD_PERIOD_MS, compares the row's stamp and
 * publishes the row (RCU) after importing the keys it names from their
 * wrapped blobs (ca_restore_keys: the database is the truth).  A
 * follower that heard of a change before the leader stored the OCSP
 * responder it brings asks again each round (ca_ocsp_retry).
 *
 * Nodes.  Each node's thread writes its heartbeat row every LEAD_BEAT_S
 * (`show server`); rows silent for LEAD_NODE_GONE_S are pruned.
 *
 * Fencing.  The leader flag the timers read is up to LEAD_PERIOD_MS old:
 * a leader whose lock session alone dies (the server killed that
 * backend, or cut it off) learns it at its next try, perhaps in the
 * middle of a step.  So each term has a number (db_lead_claim: the
 * CA's `lead` row, one more at each takeover) and every leader-only step
 * runs fenced (ca_lead_fence): each of its write transactions checks,
 * under the database's write lock, that the term is still this node's,
 * and writes nothing (-ESTALE) if another began.  The new leader's
 * claim takes the same lock, so an old step commits before it or not at
 * all, and what the new leader reads after its claim is final.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ca_internal.h"
#include "core/ctl.h"
#include "core/log.h"
#include "core/testhook.h"

#define LEAD_PERIOD_MS	 500
#define LEAD_BEAT_S	 2
#define LEAD_NODE_GONE_S 3600

struct ca_lead {
	struct ca *ca;
	pthread_t thread;
	bool thread_on;
	atomic_bool stop;
	atomic_bool leader;
	atomic_bool start_wanted; /* the start waits for the leader's CA */
	_Atomic int64_t epoch;	  /* our term while leader (db_lead_claim) */
	struct db *db; /* the lock's session: the thread's alone after open */
	char node[DB_NAME_MAX];
	int64_t started;   /* unix seconds, the node's keystore */
	int64_t last_beat; /* CLOCK_MONOTONIC seconds */
	struct db_ca_stamp seen;
	bool seen_valid;
	/* for show server and metrics (mu: taken under the CA's lock, so
	 * never take the CA's lock while holding it) */
	pthread_mutex_t mu;
	int64_t role_since; /* unix seconds */
	uint64_t takeovers, refreshes;
	double last_takeover_s; /* lock taken -> work resumed */
	char db_state[16];	/* "connected", "lost" */
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static double mono_d(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t ca_time(struct ca *ca)
{
	int64_t now = 0;

	pthread_mutex_lock(&ca->lock);
	if (ca_now(ca, &now) < 0)
		now = time(NULL);
	pthread_mutex_unlock(&ca->lock);
	return now;
}

bool ca_is_leader(struct ca *ca)
{
	return !ca->lead || atomic_load(&ca->lead->leader);
}

void ca_lead_fence(struct ca *ca, bool on)
{
	if (!ca->lead)
		return; /* one node (SQLite): nobody to fence off */
	if (on)
		db_fence(ca->db, ca->cfg.name, atomic_load(&ca->lead->epoch));
	else
		db_fence(ca->db, NULL, 0);
}

/* Became the leader: do the scheduled work a start does. */
static void take_over(struct ca_lead *l)
{
	struct ca *ca = l->ca;
	struct db_ca row = {0};
	const char *why = NULL;
	double t0 = mono_d();
	int64_t now;
	int ret = 0;

	ca_switch_begin(ca);
	pthread_mutex_lock(&ca->lock);
	ca_lead_fence(ca, true);
	/* The keys first: as a follower this node skipped a promotion's
	 * middle (refresh), and a rollover key may be new to it. */
	if (ca->running && ca_now(ca, &now) == 0) {
		ret = db_ca_get(ca->db, ca->cfg.name, &row);
		ret = ret ?: ca_restore_keys(ca, &row);
		db_ca_free(&row);
		if (ret < 0)
			why = "cannot import the CA's keys";
		ret = ret ?: ca_resume_locked(ca, now, &why);
	}
	ca_lead_fence(ca, false);
	pthread_mutex_unlock(&ca->lock);
	ca_switch_end(ca);
	pthread_mutex_lock(&l->mu);
	l->takeovers++;
	l->last_takeover_s = mono_d() - t0;
	pthread_mutex_unlock(&l->mu);
	if (ret < 0)
		pkid_log(LOG_ERR, "CS_LEADER", "%s: leader, but %s: %s",
			 ca->cfg.name, why ? why : "resume failed",
			 strerror(-ret));
	else
		pkid_log(LOG_NOTICE, "CS_LEADER",
			 "%s: node %s is the leader: the CA's scheduled work "
			 "resumed in %.3f s",
			 ca->cfg.name, l->node, mono_d() - t0);
}

static void set_role(struct ca_lead *l, bool leader)
{
	bool was = atomic_exchange(&l->leader, leader);
	int64_t since;

	if (was == leader)
		return;
	/* The time before mu, never under it: show server and the health
	 * tick hold the CA's lock and then take mu (ca_lead_info), so the
	 * CA's lock taken under mu (ca_time) deadlocked a node taking over
	 * beside them (check-pg-lead-lock). */
	since = ca_time(l->ca);
	pthread_mutex_lock(&l->mu);
	pkid_test_pause("lead-role"); /* mu held: check-pg-lead-lock */
	l->role_since = since;
	pthread_mutex_unlock(&l->mu);
	if (leader)
		take_over(l);
	else
		pkid_log(LOG_WARNING, "CS_LEADER_LOST",
			 "%s: node %s is a follower now: its leadership "
			 "session ended, or its CA does not run",
			 l->ca->cfg.name, l->node);
}

/*
 * A node whose CA does not run (its keystore lost, `shutdown`) cannot do
 * the scheduled work: it gives the lock back rather than hold the others
 * off, unless its start waits for a CA nobody has made yet.
 */
/*
 * A new term: claimed under the write lock before any of its work (the
 * fence's number).  Without it the node may not lead: the lock goes back.
 */
static bool claim(struct ca_lead *l)
{
	int64_t e = 0;
	int rc = db_lead_claim(l->db, l->ca->cfg.name, l->node, &e);

	if (rc < 0) {
		db_lead_release(l->db);
		return false;
	}
	atomic_store(&l->epoch, e);
	return true;
}

/* Still our term?  Another node's claim means our lock was lost and
 * taken meanwhile, though this session holds it again now. */
static bool term_moved(struct ca_lead *l)
{
	int64_t e = 0;

	return db_lead_epoch(l->db, l->ca->cfg.name, &e) == 0 &&
	       e != atomic_load(&l->epoch);
}

static void check_lead(struct ca_lead *l)
{
	bool may = ca_running(l->ca) || atomic_load(&l->start_wanted);
	bool leader = false;
	int rc = may ? db_lead_try(l->db, l->ca->cfg.name, &leader)
		     : db_lead_release(l->db);

	if (rc == 0 && leader && atomic_load(&l->leader) && term_moved(l))
		set_role(l, false);
	if (rc == 0 && leader && !atomic_load(&l->leader))
		leader = claim(l);

	pthread_mutex_lock(&l->mu);
	snprintf(l->db_state, sizeof(l->db_state), "%s",
		 rc == -ENOTCONN ? "lost"
		 : rc < 0	 ? "error"
				 : "connected");
	pthread_mutex_unlock(&l->mu);
	/* No session, no lock: the server freed it when ours ended. */
	set_role(l, rc == 0 && leader);
}

static void beat(struct ca_lead *l)
{
	struct db_node n = {0};
	int64_t now;

	if (mono_s() - l->last_beat < LEAD_BEAT_S)
		return;
	now = ca_time(l->ca);
	snprintf(n.name, sizeof(n.name), "%s", l->node);
	snprintf(n.server, sizeof(n.server), "%s", l->ca->cfg.name);
	n.leader = atomic_load(&l->leader);
	n.started = l->started;
	n.heartbeat = now;
	n.pid = getpid();
	if (db_node_beat(l->db, &n) == 0) {
		l->last_beat = mono_s();
		db_node_prune(l->db, now - LEAD_NODE_GONE_S, NULL);
	}
}

/*
 * Publish the row another node changed.  Mid-promotion the row and the
 * blobs move in separate steps: wait for the promotion's last one (its
 * notification brings us back) rather than import half of it.
 */
static int refresh(struct ca_lead *l)
{
	struct ca *ca = l->ca;
	const char *why = NULL;
	int64_t now;
	int ret = 0;

	if (l->seen.rollover == DB_ROLLOVER_PROMOTING)
		return -EAGAIN;
	ca_switch_begin(ca);
	pthread_mutex_lock(&ca->lock);
	if (ca->running && ca_now(ca, &now) == 0)
		ret = ca_follow_locked(ca, now, &why);
	pthread_mutex_unlock(&ca->lock);
	ca_switch_end(ca);
	if (ret < 0) {
		pkid_log(LOG_ERR, "CS_STATE", "%s: %s: %s", ca->cfg.name,
			 why ? why : "cannot publish the new state",
			 strerror(-ret));
		return ret;
	}
	pthread_mutex_lock(&l->mu);
	l->refreshes++;
	pthread_mutex_unlock(&l->mu);
	pkid_log(LOG_INFO, "CS_STATE",
		 "%s: published the CA state from the database (CRL %lld, "
		 "rollover step %lld)",
		 ca->cfg.name, (long long)l->seen.crl_number,
		 (long long)l->seen.rollover);
	return 0;
}

/* The start waited for the leader to make the CA: try again. */
static void start_again(struct ca_lead *l)
{
	const char *why = NULL;

	if (!atomic_load(&l->start_wanted) || ca_running(l->ca))
		return;
	atomic_store(&l->start_wanted, false);
	if (ca_start(l->ca, &why) == 0)
		pkid_log(LOG_INFO, "CS_ENABLED",
			 "%s: certificate server enabled", l->ca->cfg.name);
}

static void follow(struct ca_lead *l)
{
	struct db_ca_stamp s;
	bool same;

	if (db_ca_stamp(l->db, l->ca->cfg.name, &s) < 0)
		return;
	same = l->seen_valid && !memcmp(&s, &l->seen, sizeof(s));
	l->seen = s;
	l->seen_valid = true;
	start_again(l);
	/* The leader's own changes are published as it makes them; a
	 * follower's (a CRL after a revocation) is the leader's to see. */
	if (!same && ca_running(l->ca) && refresh(l) < 0)
		l->seen_valid = false; /* look again next round */
	/* the leader's OCSP responder, stored after the change we saw */
	if (ca_running(l->ca))
		ca_ocsp_retry(l->ca);
}

static void *lead_main(void *arg)
{
	struct ca_lead *l = arg;

	while (!atomic_load(&l->stop)) {
		int rc = db_wait_change(l->db, LEAD_PERIOD_MS);

		if (atomic_load(&l->stop))
			break;
		if (rc < 0) { /* no session: the period still bounds us */
			struct timespec ts = {0, LEAD_PERIOD_MS * 1000000L};

			nanosleep(&ts, NULL);
		}
		check_lead(l);
		beat(l);
		follow(l);
	}
	return NULL;
}

int ca_lead_open(struct ca *ca)
{
	const struct pkid_server_config *s = &ca->cfg;
	struct ca_lead *l;
	bool leader = false;
	int ret;

	if (ca->lead || !db_shared(ca->db))
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ca = ca;
	pthread_mutex_init(&l->mu, NULL);
	snprintf(l->node, sizeof(l->node), "%s", ca->node ? ca->node : "");
	snprintf(l->db_state, sizeof(l->db_state), "connected");
	ret = db_open_creds(&l->db, s->db_connection,
			    s->db_credentials[0] ? s->db_credentials : NULL);
	if (ret < 0)
		goto err;
	/* Decided now: the start that follows does the leader's part or
	 * the follower's. */
	ret = db_lead_try(l->db, s->name, &leader);
	if (ret < 0)
		goto err;
	if (leader)
		leader = claim(l);
	atomic_store(&l->leader, leader);
	ca_now(ca, &l->started);
	l->role_since = l->started;
	ret = -pthread_create(&l->thread, NULL, lead_main, l);
	if (ret < 0)
		goto err;
	l->thread_on = true;
	ca->lead = l;
	if (leader)
		pkid_log(LOG_NOTICE, "CS_LEADER",
			 "%s: node %s starts as the leader", s->name, l->node);
	else
		pkid_log(LOG_NOTICE, "CS_FOLLOWER",
			 "%s: node %s starts as a follower", s->name, l->node);
	return 0;
err:
	if (l->db)
		db_close(l->db);
	pthread_mutex_destroy(&l->mu);
	free(l);
	return ret;
}

void ca_lead_want_start(struct ca *ca)
{
	if (ca->lead)
		atomic_store(&ca->lead->start_wanted, true);
}

void ca_lead_close(struct ca *ca)
{
	struct ca_lead *l = ca->lead;

	if (!l)
		return;
	atomic_store(&l->stop, true);
	if (l->thread_on)
		pthread_join(l->thread, NULL);
	db_close(l->db); /* the session ends: the lock is free at once */
	pthread_mutex_destroy(&l->mu);
	free(l);
	ca->lead = NULL;
}

int ca_lead_info(struct ca *ca, struct ca_lead_info *out)
{
	struct ca_lead *l = ca->lead;

	memset(out, 0, sizeof(*out));
	out->leader = ca_is_leader(ca);
	if (!l) {
		snprintf(out->db_state, sizeof(out->db_state), "local");
		return 0;
	}
	out->shared = true;
	pthread_mutex_lock(&l->mu);
	snprintf(out->node, sizeof(out->node), "%s", l->node);
	snprintf(out->db_state, sizeof(out->db_state), "%s", l->db_state);
	out->role_since = l->role_since;
	out->takeovers = l->takeovers;
	out->refreshes = l->refreshes;
	out->last_takeover_s = l->last_takeover_s;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

/* ---- show server (ca_ctl.c, under the CA's lock) ---- */

struct node_show {
	json_t *arr;
	struct ctl_reply *reply;
	int64_t now;
};

/* Another node's row is the database's: printable ASCII only. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static int node_row(const struct db_node *n, void *arg)
{
	struct node_show *ns = arg;
	struct db_node c = *n;
	int64_t age = ns->now - c.heartbeat;

	clean(c.name);
	json_array_append_new(
		ns->arr,
		json_pack("{s:s, s:s, s:I, s:I}", "name", c.name, "role",
			  c.leader ? "leader" : "follower", "heartbeat_age",
			  (json_int_t)age, "pid", (json_int_t)c.pid));
	ctl_reply_printf(ns->reply, "      %-32s %-8s heartbeat %lld s ago\n",
			 c.name, c.leader ? "leader" : "follower",
			 (long long)age);
	return 0;
}

void ca_lead_show(struct ca *ca, json_t *o, struct ctl_reply *reply)
{
	struct ca_lead_info li;
	struct node_show ns = {.reply = reply};
	char since[32];

	ca_lead_info(ca, &li);
	if (!li.shared)
		return; /* one node on SQLite: nothing to say, as before */
	ca_now(ca, &ns.now);
	ca_iso_time(li.role_since, since, sizeof(since));
	json_object_set_new(o, "role",
			    json_string(li.leader ? "leader" : "follower"));
	json_object_set_new(o, "node", json_string(li.node));
	json_object_set_new(o, "database",
			    json_pack("{s:s, s:s}", "backend",
				      db_backend(ca->db), "state",
				      li.db_state));
	json_object_set_new(o, "takeovers", json_integer(li.takeovers));
	json_object_set_new(o, "last_takeover_s",
			    json_real(li.last_takeover_s));
	ctl_reply_printf(reply,
			 "    Database: %s (%s), %s\n"
			 "    Node %s: %s since %s, %llu takeover(s)\n"
			 "    Nodes:\n",
			 db_backend(ca->db), li.db_state, ca->cfg.db_connection,
			 li.node, li.leader ? "leader" : "follower", since,
			 (unsigned long long)li.takeovers);
	ns.arr = json_array();
	if (db_node_foreach(ca->db, ca->cfg.name, node_row, &ns) < 0)
		ctl_reply_printf(reply,
				 "      (the database does not answer)\n");
	json_object_set_new(o, "nodes", ns.arr);
}
