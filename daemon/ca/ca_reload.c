// SPDX-License-Identifier: MIT
/*
 * The certificate server's part of a reload (daemon/core/reload.c drives
 * it: every part's check first, then every part's apply).
 *
 * Applied at once under the CA's lock: grant mode and `grant auto
 * trustpoint`, lifetimes of new certificates, of the CRL and of
 * enrollment requests, cdp-url, ocsp-url (the responder on or off, its
 * key and certificate made when turned on), database level and url, archive,
 * auto-rollover, the static password; `no shutdown` of a server that was
 * shut down (main.c starts it once the reload is in force).
 * Refused while the CA exists (IOS locks them once the CA certificate is
 * made): issuer-name, hash, ra-certificate; `shutdown` of a running
 * server, and a change of its database connection or credentials, need
 * a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ca_internal.h"

/* A CA whose certificate exists keeps its identity (IOS: locked). */
static const char *locked_change(const struct pkid_server_config *o,
				 const struct pkid_server_config *n)
{
	const char *what = pkid_server_locked_change(o, n);

	if (what)
		return what;
	if (o->hash != n->hash)
		return "hash";
	if (o->ra_mode != n->ra_mode)
		return "ra-certificate";
	return NULL;
}

int ca_reload_check(struct ca *ca, const struct pkid_server_config *s,
		    const char *conf_path, char *why, size_t len)
{
	const char *what;
	int ret = 0;

	pthread_mutex_lock(&ca->lock);
	if (ca->db && (strcmp(ca->cfg.db_connection, s->db_connection) ||
		       strcmp(ca->cfg.db_credentials, s->db_credentials))) {
		/* the open database stays the CA's until pkid restarts */
		snprintf(why, len,
			 "%s:%u: database connection or credentials of "
			 "server %s: needs a restart",
			 conf_path, s->line, ca->cfg.name);
		ret = -EBUSY;
		goto out;
	}
	if (!ca->running) {
		/* The digest is chosen once, when the CA object is made. */
		if (ca->cfg.hash != s->hash) {
			snprintf(why, len, "hash changes need a restart");
			ret = -EBUSY;
		}
		goto out;
	}
	what = locked_change(&ca->cfg, s);
	if (what) {
		snprintf(why, len, "%s:%u: %s is locked while server %s runs",
			 conf_path, s->line, what, ca->cfg.name);
		ret = -EPERM;
	} else if (s->shutdown) {
		snprintf(why, len,
			 "shutdown of running server %s needs a "
			 "restart",
			 ca->cfg.name);
		ret = -EBUSY;
	}
out:
	pthread_mutex_unlock(&ca->lock);
	return ret;
}

/* The current CRL's nextUpdate: the OCSP responder's, turned on. */
static int64_t crl_next(struct ca *ca)
{
	struct db_ca row = {0};
	int64_t next = 0;

	if (ca->db && db_ca_get(ca->db, ca->cfg.name, &row) == 0)
		next = row.crl_next_update;
	db_ca_free(&row);
	return next;
}

void ca_reload_apply(struct ca *ca, const struct pkid_server_config *s)
{
	bool ocsp_changed;
	int64_t now = 0, next = 0;

	pthread_mutex_lock(&ca->lock);
	ocsp_changed = !ca->cfg.ocsp_url[0] != !s->ocsp_url[0];
	/* Turned on: with the current CRL's times (without a current CRL,
	 * the next CRL turns it on).  Turned off: at once, running or not. */
	if (ocsp_changed && s->ocsp_url[0] &&
	    (!ca->running || ca_now(ca, &now) < 0 ||
	     (next = crl_next(ca)) <= now))
		ocsp_changed = false;
	/* Checked above: a running CA's locked fields are unchanged. */
	ca->cfg = *s;
	__atomic_store_n(&ca->legacy_des, s->legacy_des, __ATOMIC_RELAXED);
	ca->cfg_gen++; /* a certificate built before is built again */
	/* auto-rollover may have changed: re-arm the CA's timers now. */
	if (ca->running)
		ca_rollover_arm(ca);
	if (ocsp_changed)
		ca_ocsp_refresh(ca, now, next);
	if (!ca->running && !ca->key_mode_forced)
		ca->key_mode = s->ra_mode == PKID_RA_NONE ? CA_KEY_MODE_SINGLE
							  : CA_KEY_MODE_RA;
	pthread_mutex_unlock(&ca->lock);
}
