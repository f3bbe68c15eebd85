/* SPDX-License-Identifier: MIT */
/*
 * Trustpoints: pkid as a PKI client (ROLLOVER.md §4).  Each `crypto pki
 * trustpoint TP` authenticates its CA, enrolls, and keeps its identity
 * certificate valid by itself: RENEW before it ends, SHADOW when it ends
 * with the CA, POLL while a request is pending, CONNECT RETRY while the
 * CA cannot be reached.  Timers live in the keystore (owner = TP name);
 * state lives in the database (daemon/core/db_tp.c).
 *
 * The daemon's part, in this order:
 *   tp_start_all()    after the configuration is loaded (no network yet)
 *   tp_ctl_register() with the other control commands
 *   tp_resume()       once keystore events are subscribed (and the
 *                     local CA, if any, serves): handles timers that
 *                     expired while nobody listened, re-arms what is due
 *   tp_on_timer()     for every PKIKS_EVENT_TIMER_EXPIRED
 *   tp_reload_check() and tp_reload_apply()   from the reload driver
 *                     (SIGHUP, `reload`; daemon/core/reload.c)
 *   tp_stop_all()     at exit
 */
#ifndef PKID_TP_H
#define PKID_TP_H

#include "config.h"
#include "core/ctl.h"
#include "keystore.h"

struct tp_set;

struct tp_env {
	const char *db_path;   /* pkid's database */
	const char *keygen;    /* pkiks-keygen */
	const char *ks_socket; /* NULL: $PKIKS_SOCKET or the default */
	const char *conf_path; /* for FILE:LINE in messages */
};

/*
 * pkid -t: each trustpoint's key type (rsakeypair, eckeypair LABEL
 * 256|384) against the key the keystore holds under its label, if it
 * holds one: a key's type cannot change under its label.  Logs each
 * mismatch (FILE:LINE: ...); -EPERM if any.  A keystore that cannot be
 * reached is said (notice) and nothing is compared: 0.  pkid's start and
 * a reload refuse the same (tp_start_all, tp_reload_check).
 */
int tp_check_key_types(const struct pkid_config *cfg, const char *conf_path,
		       const char *ks_socket);

/* 0 with *set NULL when the configuration has no trustpoint. */
int tp_start_all(struct tp_set **set, const struct pkid_config *cfg,
		 const struct tp_env *env);
int tp_ctl_register(struct tp_set *set, struct ctl_server *srv);
void tp_resume(struct tp_set *set);
/* The keystore is back after its connection was lost (it may have
 * restarted empty): reopen the set's handle and restore the trustpoints'
 * keys from their wrapped blobs; call tp_resume() next (it arms the
 * timers a restarted keystore lost).  0 or -errno (set still unusable). */
int tp_keystore_reconnect(struct tp_set *set);
/* 1 if the timer was a trustpoint's (and was handled), else 0. */
int tp_on_timer(struct tp_set *set, const struct pkiks_timer_info *timer);
/*
 * Reload (daemon/core/reload.c: every part's check, then every part's
 * apply).  tp_reload_check() refuses with @why (one line) changing a
 * trustpoint's rsakeypair, or a first trustpoint in a pkid started
 * without any (a restart does either), or a key type (rsakeypair <->
 * eckeypair, another curve) other than the keystore's key under that
 * label (tp_check_key_types), and changes nothing;
 * tp_reload_apply() adds the new trustpoints (started as at pkid's start:
 * keys restored, expired timers handled, zero touch), removes the ones
 * gone (their timers cancelled; row and key kept) and gives the changed
 * ones their new settings at once (RENEW/SHADOW re-armed when auto-enroll
 * changed).  @set may be NULL (no trustpoint runs).
 */
int tp_reload_check(struct tp_set *set, const struct pkid_config *new,
		    const char *conf_path, char *why, size_t len);
void tp_reload_apply(struct tp_set *set, const struct pkid_config *new);
void tp_stop_all(struct tp_set *set);

/* Two GENERIC keystore timers per trustpoint besides IOS's: the CRL
 * refresh of revocation-check crl ("crl-refresh", tp_crl.c) and the
 * next-CA poll ("next-ca-poll", tp_nextca.c); tp_resume() and
 * tp_on_timer() serve them.  tp_timers_sync() arms or cancels them per
 * the configuration and state, for when the clock became authoritative
 * or a reload changed the settings. */
void tp_timers_sync(struct tp_set *set);

/*
 * mode sub-cs (tp_sub.c, issue 17): the trustpoint NAME of a subordinate
 * CA server NAME obtains the CA's certificate.  tp_sub_request()
 * authenticates the parent (with the configured fingerprint) and sends
 * the request when none is under way: 0 when the trustpoint holds a
 * certificate for the CA to take, -EINPROGRESS while pending or retrying,
 * -EPERM (not authenticated) or -EKEYREJECTED (refused or gave up since
 * this pkid started: the operator's `trustpoint NAME enroll` asks again),
 * with @why.  The hook runs (trustpoint lock held: it must only note and
 * wake) after a sub-cs trustpoint installed a certificate or gave up.
 */
int tp_sub_request(struct tp_set *set, const char *name, char *why, size_t n);
void tp_set_sub_hook(struct tp_set *set, void (*fn)(void *arg), void *arg);
/* Where trustpoint NAME keeps its CA's CRL (DER, verified before it is
 * stored, replaced by rename): `mode ra` answers GetCRL from it. */
int tp_crl_file(const struct tp_set *set, const char *name, char *buf,
		size_t size);
/* The sub's own rollover: trustpoint NAME requests the CA certificate of
 * the CA's rollover key NAME# from the parent (0 issued, -EINPROGRESS
 * pending or retrying, -EBUSY another request is under way); the hook
 * runs when it is issued (the CA's row holds it then). */
int tp_sub_roll_request(struct tp_set *set, const char *name, char *why,
			size_t n);
/* After the CA's promotion rewrote the identity: re-arm RENEW/SHADOW;
 * @promoted: the identity is new, export it (on-change: switched). */
void tp_sub_rearm(struct tp_set *set, const char *name, bool promoted);

/* The watchdog's facts, one per trustpoint (daemon/health/health.h);
 * *out malloc'd, NULL with *n 0 when set is NULL. */
struct health_tp;
int tp_health(struct tp_set *set, struct health_tp **out, size_t *n);

#endif /* PKID_TP_H */
