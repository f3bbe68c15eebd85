// SPDX-License-Identifier: MIT
/*
 * The set of trustpoints: start, stop, the keystore timers they own and
 * what happens after a restart.  The timers themselves live in the
 * keystore (owner = trustpoint name), so they survive the daemon; the
 * daemon may miss their expiry while it is down, hence tp_resume()
 * looks for EXPIRED ones at start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/est/est_enroll.h"
#include "proto/scep/scep_enroll.h"
#include "tp_internal.h"
#include "core/log.h"

/* The enrollment protocol: EST for an https URL under /.well-known/est
 * (RFC 7030 §3.2.2), else the set's (SCEP). */
const struct enroll_proto *tp_proto(const struct tp *tp)
{
	return est_enroll_url(tp->cfg.enrollment_url) ? &est_enroll_proto
						     : tp->set->proto;
}

struct tp *tp_find(struct tp_set *set, const char *name)
{
	size_t i;

	for (i = 0; set && name && i < set->n; i++)
		if (!strcmp(set->tps[i].cfg.name, name))
			return &set->tps[i];
	return NULL;
}

/* The gate's time; never time(). */
int tp_now(struct tp *tp, int64_t *now)
{
	int ret = pkiks_now(tp->set->ks, now);

	if (ret < 0)
		pkid_log(LOG_WARNING, NULL,
			 "trustpoint %s: no authoritative time: "
			 "%s",
			 tp->cfg.name, strerror(-ret));
	return ret;
}

const char *tp_kind_name(enum tp_kind kind)
{
	switch (kind) {
	case TP_KIND_ENROLL:
		return "enroll";
	case TP_KIND_RENEW:
		return "renew";
	case TP_KIND_SHADOW:
		return "shadow";
	case TP_KIND_SUBROLL:
		return "sub-rollover";
	default:
		return "none";
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The machine's serial number: DMI's when readable, else machine-id. */
static void read_serial(char *buf, size_t size)
{
	static const char *const paths[] = {"/sys/class/dmi/id/product_serial",
					    "/etc/machine-id"};
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && !buf[0]; i++) {
		FILE *f = fopen(paths[i], "r");

		if (!f)
			continue;
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		buf[strcspn(buf, " \n")] = '\0';
		fclose(f);
	}
}

/* A trustpoint as configured, nothing run yet. */
static void tp_init(struct tp_set *set, struct tp *tp,
		    const struct pkid_config *cfg,
		    const struct pkid_trustpoint_config *c)
{
	const struct pkid_server_config *srv = pkid_config_server(cfg, c->name);

	memset(tp, 0, sizeof(*tp));
	tp->cfg = *c;
	tp->set = set;
	/* mode is locked while the CA exists: read once (tp_sub.c) */
	tp->sub_cs = srv && (srv->mode == PKID_MODE_SUB_CS ||
			     srv->mode == PKID_MODE_RA);
	tp->ra = srv && srv->mode == PKID_MODE_RA;
	tp->sub_own_roll = tp->sub_cs && !tp->ra && srv->auto_rollover;
	if (tp->ra)
		snprintf(tp->sub_dn, sizeof(tp->sub_dn), "CN=%s,OU=ioscs RA",
			 srv->name);
	else if (srv)
		snprintf(tp->sub_dn, sizeof(tp->sub_dn), "%s",
			 srv->issuer_name);
}

static int set_new(struct tp_set **out, const struct pkid_config *cfg,
		   const struct tp_env *env)
{
	struct tp_set *set = calloc(1, sizeof(*set));
	char *slash;
	size_t i;

	if (!set)
		return -ENOMEM;
	pthread_mutex_init(&set->lock, NULL);
	*out = set;
	set->tps = calloc(cfg->n_trustpoints, sizeof(*set->tps));
	set->keygen = strdup(env->keygen);
	set->ks_socket = dup_or_null(env->ks_socket);
	if (!set->tps || !set->keygen || (env->ks_socket && !set->ks_socket))
		return -ENOMEM;
	set->n = cfg->n_trustpoints;
	set->proto = &scep_enroll_proto; /* unless the URL says EST */
	/* Stored CRLs (tp_crl.c) live next to the database. */
	snprintf(set->crl_dir, sizeof(set->crl_dir), "%s", env->db_path);
	slash = strrchr(set->crl_dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(set->crl_dir, sizeof(set->crl_dir), ".");
	for (i = 0; i < set->n; i++)
		tp_init(set, &set->tps[i], cfg, &cfg->trustpoints[i]);
	if (cfg->hostname[0])
		snprintf(set->hostname, sizeof(set->hostname), "%s",
			 cfg->hostname);
	else if (gethostname(set->hostname, sizeof(set->hostname)) < 0)
		snprintf(set->hostname, sizeof(set->hostname), "pkid");
	read_serial(set->serial, sizeof(set->serial));
	return 0;
}

/* Every trustpoint's key type against the keystore's key (lock held or
 * not yet shared); logs each mismatch, -EPERM if any. */
static int key_types_ok(struct pkiks *ks, const struct pkid_config *cfg,
			const char *conf_path)
{
	char why[512];
	int bad = 0;

	for (size_t i = 0; i < cfg->n_trustpoints; i++)
		if (tp_key_type_check(ks, cfg, &cfg->trustpoints[i],
				      conf_path, why, sizeof(why)) < 0) {
			pkid_log(LOG_ERR, NULL, "%s", why);
			bad = 1;
		}
	return bad ? -EPERM : 0;
}

int tp_check_key_types(const struct pkid_config *cfg, const char *conf_path,
		       const char *ks_socket)
{
	struct pkiks *ks = NULL;
	int ret;

	if (cfg->n_trustpoints == 0)
		return 0;
	ret = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, ks_socket);
	if (ret < 0) {
		pkid_log(LOG_NOTICE, NULL,
			 "%s: keystore not reachable (%s): the trustpoints' "
			 "key types are not compared with their keys",
			 conf_path, strerror(-ret));
		return 0;
	}
	ret = key_types_ok(ks, cfg, conf_path);
	pkiks_close(ks);
	return ret;
}

int tp_start_all(struct tp_set **out, const struct pkid_config *cfg,
		 const struct tp_env *env)
{
	struct tp_set *set = NULL;
	size_t i;
	int ret;

	*out = NULL;
	if (cfg->n_trustpoints == 0)
		return 0;
	ret = set_new(&set, cfg, env);
	ret = ret ?: db_open(&set->db, env->db_path);
	ret = ret ?: pkiks_open(&set->ks, PKIKS_TRANSPORT_AUTO, set->ks_socket);
	if (ret < 0) {
		pkid_log(LOG_ERR, NULL, "trustpoints: %s", strerror(-ret));
		tp_stop_all(set);
		return ret;
	}
	/* Keys a keystore restart took (a blob that cannot open is logged;
	 * that trustpoint's requests then fail rather than use a new key). */
	for (i = 0; i < set->n; i++)
		tp_keys_restore(&set->tps[i]);
	/* As pkid -t: a key type changed under its label does not start. */
	ret = key_types_ok(set->ks, cfg,
			   env->conf_path ? env->conf_path : "pkid.conf");
	if (ret < 0) {
		tp_stop_all(set);
		return ret;
	}
	*out = set;
	return 0;
}

int tp_keystore_reconnect(struct tp_set *set)
{
	struct pkiks *ks = NULL;
	size_t i;
	int ret;

	if (!set)
		return 0;
	ret = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, set->ks_socket);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&set->lock);
	pkiks_close(set->ks);
	set->ks = ks;
	for (i = 0; i < set->n; i++)
		tp_keys_restore(&set->tps[i]);
	pthread_mutex_unlock(&set->lock);
	return 0;
}

void tp_stop_all(struct tp_set *set)
{
	if (!set)
		return;
	if (set->ks)
		pkiks_close(set->ks);
	db_close(set->db);
	free(set->tps);
	free(set->keygen);
	free(set->ks_socket);
	pthread_mutex_destroy(&set->lock);
	free(set);
}

/* One expired timer: cancel it first (a handler may re-arm it), then act. */
static void handle_timer(struct tp *tp, enum pkiks_timer_kind kind)
{
	char why[256] = "";
	int ret;

	tp_cancel(tp, kind);
	pkid_log(LOG_INFO, NULL, "trustpoint %s: %s timer expired",
		 tp->cfg.name, pkiks_timer_kind_name(kind));
	switch (kind) {
	case PKIKS_TIMER_RENEW:
		ret = tp_enroll(tp, TP_KIND_RENEW, why, sizeof(why));
		break;
	case PKIKS_TIMER_SHADOW:
		ret = tp_shadow(tp);
		break;
	case PKIKS_TIMER_POLL:
		ret = tp_continue(tp);
		break;
	case PKIKS_TIMER_CONNECT_RETRY:
		/* Nothing to continue: a zero-touch attempt that failed. */
		ret = tp_continue(tp);
		if (ret == 0 || ret == -ENOENT)
			ret = tp_zero_touch(tp);
		break;
	default:
		return;
	}
	if (ret < 0)
		pkid_log(LOG_ERR, NULL, "trustpoint %s: %s: %s", tp->cfg.name,
			 pkiks_timer_kind_name(kind),
			 why[0] ? why : strerror(-ret));
}

static bool is_tp_timer(enum pkiks_timer_kind kind)
{
	return kind == PKIKS_TIMER_RENEW || kind == PKIKS_TIMER_SHADOW ||
	       kind == PKIKS_TIMER_POLL || kind == PKIKS_TIMER_CONNECT_RETRY;
}

/*
 * Still EXPIRED in the keystore?  tp_resume() may have handled (and so
 * cancelled) a timer whose event was still queued: act once only.  The
 * one timer is asked for (v4); listing every timer per expiry was a
 * quarter of a client pkid's CPU with 250 trustpoints (tools/sim).  A
 * keystore older than v4 (a module loaded before an upgrade) is listed.
 */
static bool still_expired_listed(struct tp_set *set,
				 const struct pkiks_timer_info *ev)
{
	struct pkiks_timer_info *t = NULL;
	bool found = false;
	size_t n = 0, i;

	if (pkiks_timer_list(set->ks, &t, &n) < 0)
		return true; /* cannot tell: act rather than miss it */
	for (i = 0; i < n; i++)
		if (!strcmp(t[i].owner, ev->owner) && t[i].kind == ev->kind &&
		    !strcmp(t[i].label, ev->label) &&
		    t[i].state == PKIKS_TIMER_EXPIRED)
			found = true;
	free(t);
	return found;
}

static bool still_expired(struct tp_set *set,
			  const struct pkiks_timer_info *ev)
{
	struct pkiks_timer_info t;
	int err;

	err = pkiks_timer_get(set->ks, ev->owner, ev->kind,
			      ev->label[0] ? ev->label : NULL, &t);
	if (err == -EOPNOTSUPP)
		return still_expired_listed(set, ev);
	if (err == -ENOENT)
		return false;
	if (err < 0)
		return true; /* cannot tell: act rather than miss it */
	return t.state == PKIKS_TIMER_EXPIRED;
}

/* A trustpoint's own GENERIC timers: CRL refresh, next-CA poll. */
static bool is_tp_labelled(const struct pkiks_timer_info *t)
{
	return tp_is_crl_timer(t) || tp_is_nextca_timer(t) ||
	       tp_is_ocsp_timer(t);
}

/* A trustpoint's timer: an IOS one, its CRL refresh (tp_crl.c) or its
 * next-CA poll (tp_nextca.c). */
static void dispatch_timer(struct tp *tp, const struct pkiks_timer_info *t)
{
	if (tp_is_crl_timer(t))
		tp_crl_on_timer(tp);
	else if (tp_is_nextca_timer(t))
		tp_nextca_on_timer(tp);
	else if (tp_is_ocsp_timer(t))
		tp_ocsp_on_timer(tp);
	else
		handle_timer(tp, t->kind);
}

int tp_on_timer(struct tp_set *set, const struct pkiks_timer_info *t)
{
	struct tp *tp;

	if (!set || !(is_tp_timer(t->kind) || is_tp_labelled(t)))
		return 0;
	/* Found under the lock: a reload may add or remove trustpoints
	 * (and so move the array). */
	pthread_mutex_lock(&set->lock);
	tp = tp_find(set, t->owner);
	if (tp && still_expired(set, t))
		dispatch_timer(tp, t);
	pthread_mutex_unlock(&set->lock);
	return tp != NULL;
}

/* Has the keystore a timer of @tp of @kind? */
static bool has_timer(const struct tp *tp,
		      const struct pkiks_timer_info *timers, size_t n,
		      enum pkiks_timer_kind kind)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(timers[i].owner, tp->cfg.name) &&
		    timers[i].kind == kind)
			return true;
	return false;
}

/* A request was in progress but no timer continues it (pkid died in the
 * middle): CONNECT RETRY after the first backoff interval.  An installed
 * identity without its RENEW or SHADOW timer (the keystore restarted and
 * lost its timers): armed again. */
static void resume_pending(struct tp *tp, const struct pkiks_timer_info *timers,
			   size_t n)
{
	struct db_tp st;
	int64_t now, at;
	size_t i;

	if (db_tp_get(tp->set->db, tp->cfg.name, &st) < 0)
		return;
	if (st.pending_kind == TP_KIND_NONE && st.id_cert &&
	    !has_timer(tp, timers, n, PKIKS_TIMER_RENEW) &&
	    !has_timer(tp, timers, n, PKIKS_TIMER_SHADOW))
		tp_arm_lifecycle(tp, &st, &at);
	for (i = 0; i < n; i++)
		if (!strcmp(timers[i].owner, tp->cfg.name) &&
		    (timers[i].kind == PKIKS_TIMER_POLL ||
		     timers[i].kind == PKIKS_TIMER_CONNECT_RETRY))
			goto out;
	if (st.pending_kind != TP_KIND_NONE && tp_now(tp, &now) == 0) {
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: resuming %s request%s%s", tp->cfg.name,
			 tp_kind_name(tp_pending_kind(&st)),
			 st.pending_tid[0] ? " " : "", st.pending_tid);
		tp_arm_backoff(tp, PKIKS_TIMER_CONNECT_RETRY, 0, now);
	}
out:
	db_tp_free(&st);
}

/* The GENERIC timers a trustpoint should have and lacks from @timers. */
static void resume_labelled(struct tp *tp,
			    const struct pkiks_timer_info *timers, size_t n)
{
	tp_crl_resume(tp, timers, n);
	tp_nextca_resume(tp, timers, n);
	tp_ocsp_resume(tp, timers, n);
}

void tp_timers_sync(struct tp_set *set)
{
	struct pkiks_timer_info *timers = NULL;
	size_t n = 0, i;

	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	if (pkiks_timer_list(set->ks, &timers, &n) == 0)
		for (i = 0; i < set->n; i++)
			resume_labelled(&set->tps[i], timers, n);
	free(timers);
	pthread_mutex_unlock(&set->lock);
}

/* tp_resume() for every trustpoint, or (@fresh_only) for the ones a
 * reload just added; the set's lock held. */
static void resume_locked(struct tp_set *set, bool fresh_only)
{
	struct pkiks_timer_info *timers = NULL;
	size_t n = 0, i;

	if (pkiks_timer_list(set->ks, &timers, &n) < 0) {
		pkid_log(LOG_ERR, NULL, "trustpoints: cannot list timers");
		return;
	}
	for (i = 0; i < n; i++) {
		struct tp *tp = tp_find(set, timers[i].owner);

		if (tp && (!fresh_only || tp->fresh) &&
		    (is_tp_timer(timers[i].kind) ||
		     is_tp_labelled(&timers[i])) &&
		    timers[i].state == PKIKS_TIMER_EXPIRED)
			dispatch_timer(tp, &timers[i]);
	}
	free(timers);
	timers = NULL;
	if (pkiks_timer_list(set->ks, &timers, &n) < 0)
		return;
	for (i = 0; i < set->n; i++) {
		if (fresh_only && !set->tps[i].fresh)
			continue;
		resume_pending(&set->tps[i], timers, n);
		resume_labelled(&set->tps[i], timers, n);
		tp_zero_touch(&set->tps[i]);
	}
	free(timers);
}

void tp_resume(struct tp_set *set)
{
	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	resume_locked(set, false);
	pthread_mutex_unlock(&set->lock);
}

/*
 * Reload: trustpoints may be added, removed or changed (all or none);
 * the key name of a running one may not change (the key names the
 * identity: a new one is a new trustpoint, remove it and add it under
 * another name).  A pkid started without any trustpoint has no set (no
 * database handle or control verbs for them): its first needs a restart.
 */
int tp_reload_check(struct tp_set *set, const struct pkid_config *new,
		    const char *conf_path, char *why, size_t len)
{
	const struct pkid_trustpoint_config *c;
	struct tp *tp;
	size_t i;
	int ret = 0;

	if (!set && new->n_trustpoints) {
		snprintf(why, len,
			 "trustpoint %s: the first trustpoint of a pkid "
			 "started without any needs a restart",
			 new->trustpoints[0].name);
		return -EBUSY;
	}
	for (i = 0; i < new->n_trustpoints; i++) {
		c = &new->trustpoints[i];
		tp = tp_find(set, c->name);
		if (tp && strcmp(tp->cfg.rsakeypair, c->rsakeypair)) {
			snprintf(why, len,
				 "trustpoint %s: rsakeypair changed: restart "
				 "pkid",
				 c->name);
			return -EBUSY;
		}
	}
	if (!set)
		return 0;
	/* The set's keystore handle is the timer thread's too. */
	pthread_mutex_lock(&set->lock);
	for (i = 0; i < new->n_trustpoints && ret == 0; i++)
		ret = tp_key_type_check(set->ks, new, &new->trustpoints[i],
					conf_path, why, len);
	pthread_mutex_unlock(&set->lock);
	return ret;
}

/* New settings; RENEW/SHADOW follow a new auto-enroll line at once. */
static void reload_one(struct tp *tp, const struct pkid_trustpoint_config *c)
{
	bool rearm = tp->cfg.auto_enroll != c->auto_enroll ||
		     tp->cfg.auto_enroll_pct != c->auto_enroll_pct;
	struct db_tp st;
	int64_t at;

	tp->cfg = *c;
	if (!rearm || db_tp_get(tp->set->db, tp->cfg.name, &st) < 0)
		return;
	if (st.id_cert && st.pending_kind == TP_KIND_NONE && !st.shadow_id_cert)
		tp_arm_lifecycle(tp, &st, &at);
	db_tp_free(&st);
}

/*
 * A trustpoint left the configuration: nothing of it runs any more (its
 * timers cancelled, so the keystore holds none for a name no trustpoint
 * serves).  Its row and key stay, as after a restart without it: added
 * again, it goes on where it was.
 */
static void remove_one(struct tp *tp)
{
	static const enum pkiks_timer_kind kinds[] = {
		PKIKS_TIMER_RENEW, PKIKS_TIMER_SHADOW, PKIKS_TIMER_POLL,
		PKIKS_TIMER_CONNECT_RETRY};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		tp_cancel(tp, kinds[i]);
	pkiks_timer_cancel_label(tp->set->ks, tp->cfg.name,
				 PKIKS_TIMER_GENERIC, TP_NEXTCA_LABEL);
	pkiks_timer_cancel_label(tp->set->ks, tp->cfg.name,
				 PKIKS_TIMER_GENERIC, TP_CRL_LABEL);
	pkid_log(LOG_INFO, NULL,
		 "trustpoint %s: removed by a reload; its timers cancelled, "
		 "its certificates and key kept",
		 tp->cfg.name);
}

/* The set's trustpoints become @new's, in its order (lock held). */
static int rebuild_locked(struct tp_set *set, const struct pkid_config *new)
{
	struct tp *tps = calloc(new->n_trustpoints ? new->n_trustpoints : 1,
				sizeof(*tps));
	struct tp *old;
	size_t i;

	if (!tps)
		return -ENOMEM;
	for (i = 0; i < set->n; i++)
		if (!pkid_config_trustpoint(new, set->tps[i].cfg.name))
			remove_one(&set->tps[i]);
	for (i = 0; i < new->n_trustpoints; i++) {
		const struct pkid_trustpoint_config *c = &new->trustpoints[i];

		old = tp_find(set, c->name);
		if (!old) {
			tp_init(set, &tps[i], new, c);
			tps[i].fresh = true;
			continue;
		}
		tps[i] = *old;
		if (!pkid_trustpoint_config_equal(&old->cfg, c))
			reload_one(&tps[i], c);
	}
	free(set->tps);
	set->tps = tps;
	set->n = new->n_trustpoints;
	return 0;
}

void tp_reload_apply(struct tp_set *set, const struct pkid_config *new)
{
	size_t i, added = 0;
	int ret;

	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	ret = rebuild_locked(set, new);
	if (ret < 0) {
		pkid_log(LOG_ERR, NULL, "trustpoints: reload: %s",
			 strerror(-ret));
		goto out;
	}
	/* The new ones start as at pkid's start: keys a keystore restart
	 * took restored, expired timers handled, zero touch. */
	for (i = 0; i < set->n; i++)
		if (set->tps[i].fresh) {
			tp_keys_restore(&set->tps[i]);
			added++;
		}
	if (added)
		resume_locked(set, true);
	for (i = 0; i < set->n; i++)
		set->tps[i].fresh = false;
out:
	pthread_mutex_unlock(&set->lock);
}
