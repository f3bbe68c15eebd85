// SPDX-License-Identifier: MIT
/*
 * CA rollover (ROLLOVER.md §3.1): the CA makes its successor before it
 * expires, hands it out through GetNextCACert, and becomes it at its own
 * notAfter.
 *
 * The rollover is a state machine recorded in the CA's database row
 * (db_ca.rollover); every step is durable before the next one starts and
 * can be run again, so a crash at any point resumes on restart and never
 * makes a second rollover:
 *
 *   NONE      -> KEY_MADE   the key NAME# (and NAME-ra# in RA mode) made by
 *                           pkiks-keygen, its archive NAME_<n>.p12 with n
 *                           the row's archive counter + 1
 *   KEY_MADE  -> AVAILABLE  the rollover CA certificate: same subject, new
 *                           serial, notBefore = the CA's notAfter, signed
 *                           by NAME# itself; in RA mode the RA's successor
 *                           (NAME-ra-rollover.cer); NAME_<n>.pem
 *   AVAILABLE               published: GetNextCACert, and requests
 *                           enveloped to the rollover certificate are
 *                           issued by NAME#
 *   AVAILABLE -> PROMOTING  CS CERT EXPIRE fired
 *   PROMOTING -> NONE       keystore NAME# -> NAME (and NAME-ra), the RA
 *                           file renamed, the row swapped in one
 *                           transaction; then a fresh CRL and new timers
 *
 * A sub-cs (ca_sub.c) makes its key the same way, but KEY_MADE ->
 * AVAILABLE is the parent's: trustpoint NAME requests the certificate for
 * NAME# and the sub checks what comes back (ca_sub_roll_accept); until
 * then the steps answer -EINPROGRESS, which is no error.
 *
 * A keystore key without its archive is the leftover of a keygen killed
 * between import and archive: it is deleted and made again.  A promotion
 * that finds NAME# gone checks that NAME is the rollover key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca_internal.h"
#include "core/keyblob.h"
#include "core/log.h"
#include "core/testhook.h"
#include "schedule.h"

static int roll_key_name(struct ca *ca, char *name, size_t size)
{
	if (snprintf(name, size, "%s%s", ca->cfg.name, CA_ROLL_SUFFIX) >=
	    (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static int der_end(const unsigned char *der, size_t len, int64_t *end)
{
	X509 *x = ca_x509_from_der(der, len);
	int ret = x ? ca_time_of(X509_get0_notAfter(x), end) : -EBADMSG;

	X509_free(x);
	return ret;
}

static bool has_archive(struct ca *ca)
{
	return ca->cfg.archive_password[0] != '\0';
}

/* Make NAME# unless a previous run did (with its archive). */
static int make_ca_key(struct ca *ca, const char *key, const char *p12)
{
	/* A sub's key also opens its trustpoint's CertReps (ca_sub.c). */
	const char *usage = ca->key_mode == CA_KEY_MODE_SINGLE || ca_is_sub(ca)
				    ? "both"
				    : "sign";
	int have = ca_key_exists(ca, key), ret;

	if (have < 0)
		return have;
	/* a leader before us may have made both (several nodes) */
	ret = p12 ? ca_file_fetch(ca, p12, NULL) : 0;
	if (ret < 0)
		return ret;
	if (have && p12 && access(p12, F_OK) != 0) {
		pkid_log(LOG_WARNING, "CS_ROLLOVER_KEY",
			 "%s: key %s has no archive %s: making it again",
			 ca->cfg.name, key, p12);
		ret = keyblob_delete(ca->ks, ca->db, key);
		if (ret < 0)
			return ret;
		have = 0;
	}
	if (have)
		return 0;
	ret = ca_run_keygen_ca(ca, key, usage, p12);
	return ret ?: p12 ? ca_file_share(ca, p12) : 0;
}

/* Step NONE -> KEY_MADE. */
static int make_keys(struct ca *ca, struct db_ca *row)
{
	char key[PKIKS_NAME_MAX], ra[PKIKS_NAME_MAX];
	char p12[PKID_CONF_URL_MAX + 64], pem[PKID_CONF_URL_MAX + 64];
	int64_t n = row->archive_counter + 1;
	int ret;

	ret = roll_key_name(ca, key, sizeof(key));
	if (!ret && has_archive(ca))
		ret = ca_archive_paths(ca, n, p12, pem, sizeof(p12));
	ret = ret ?: make_ca_key(ca, key, has_archive(ca) ? p12 : NULL);
	if (!ret && ca->key_mode == CA_KEY_MODE_RA) {
		ret = ca_ra_key_name(ca, true, ra, sizeof(ra));
		if (!ret && ca_key_exists(ca, ra) == 0)
			ret = ca_run_keygen(ca, ra, "both", NULL);
	}
	if (ret < 0)
		return ret;
	if (has_archive(ca))
		row->archive_counter = n;
	snprintf(row->roll_key, sizeof(row->roll_key), "%s", key);
	row->rollover = DB_ROLLOVER_KEY_MADE;
	ret = db_ca_put(ca->db, row);
	if (ret == 0) {
		pkid_test_crash("shadow-key");
		pkid_test_pause("shadow-key");
	}
	return ret;
}

/* The RA's successor, issued by the rollover CA, from its start. */
static int roll_ra_issue(struct ca *ca, X509 *roll, EVP_PKEY *roll_key,
			 X509 **out)
{
	struct ca_pub view = {.k.ca_cert = roll, .k.ca_key = roll_key};
	char name[PKIKS_NAME_MAX], path[PKID_CONF_URL_MAX + 80];
	EVP_PKEY *ra_key = NULL;
	int64_t start;
	int ret;

	ret = ca_ra_key_name(ca, true, name, sizeof(name));
	ret = ret ?: ca_ra_path(ca, true, path, sizeof(path));
	ret = ret ?: ca_time_of(X509_get0_notBefore(roll), &start);
	ret = ret ?: ca_load_key(ca, name, &ra_key);
	ret = ret ?: ca_ra_issue(ca, &view, ra_key, start, path, out);
	EVP_PKEY_free(ra_key);
	return ret;
}

/* The same, stored for every node: it goes with the new rollover CA. */
static int make_roll_ra(struct ca *ca, X509 *roll, EVP_PKEY *roll_key,
			X509 **out)
{
	char path[PKID_CONF_URL_MAX + 80];
	int ret = ca_ra_path(ca, true, path, sizeof(path));

	ret = ret ?: roll_ra_issue(ca, roll, roll_key, out);
	return ret ?: ca_file_share(ca, path);
}

/* Step KEY_MADE -> AVAILABLE. */
static int make_cert(struct ca *ca, struct db_ca *row)
{
	char p12[PKID_CONF_URL_MAX + 64], pem[PKID_CONF_URL_MAX + 64];
	EVP_PKEY *key = NULL;
	X509 *roll = NULL, *ra = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	int64_t start;
	int ret;

	ret = der_end(row->cur_cert, row->cur_cert_len, &start);
	ret = ret ?: ca_load_key(ca, row->roll_key, &key);
	ret = ret ?: ca_self_sign(ca, key, start, &roll);
	if (!ret && ca->key_mode == CA_KEY_MODE_RA)
		ret = make_roll_ra(ca, roll, key, &ra);
	if (!ret && has_archive(ca)) {
		ret = ca_archive_paths(ca, row->archive_counter, p12, pem,
				       sizeof(p12));
		ret = ret ?: ca_write_cert_pem(pem, roll);
		ret = ret ?: ca_file_share(ca, pem);
	}
	ret = ret ?: ca_x509_der(roll, &der, &len);
	if (ret < 0)
		goto out;
	free(row->roll_cert);
	row->roll_cert = der;
	row->roll_cert_len = len;
	row->rollover = DB_ROLLOVER_AVAILABLE;
	/* signed, not stored: a test takes the leadership away here */
	pkid_test_pause("shadow-cert-signed");
	ret = db_ca_put(ca->db, row);
	if (ret == 0)
		pkid_test_crash("shadow-cert");
out:
	X509_free(ra);
	X509_free(roll);
	EVP_PKEY_free(key);
	return ret;
}

/* Run the generation steps still to do. */
static int advance(struct ca *ca, struct db_ca *row)
{
	int ret = 0;

	if (row->rollover == DB_ROLLOVER_NONE)
		ret = make_keys(ca, row);
	if (ret == 0 && row->rollover == DB_ROLLOVER_KEY_MADE)
		ret = ca_is_sub(ca) ? ca_sub_roll_accept(ca, row)
				    : make_cert(ca, row);
	return ret;
}

/* ---- publication ---- */

static bool roll_ra_usable(struct ca *ca, X509 *ra, void *arg)
{
	struct ca_pub *pub = arg;

	(void)ca;
	return X509_verify(ra, X509_get0_pubkey(pub->k.roll_cert)) == 1 &&
	       X509_check_private_key(ra, pub->k.roll_ra_key) == 1;
}

static int roll_ra_reissue(struct ca *ca, void *arg, X509 **out)
{
	struct ca_pub *pub = arg;

	return roll_ra_issue(ca, pub->k.roll_cert, pub->k.roll_key, out);
}

/* NAME-ra-rollover.cer if it belongs to the rollover CA, else reissue
 * (on several nodes: the one stored, ca_ra_settle). */
static int load_roll_ra(struct ca *ca, struct ca_pub *pub)
{
	char name[PKIKS_NAME_MAX], path[PKID_CONF_URL_MAX + 80];
	int ret;

	ret = ca_ra_key_name(ca, true, name, sizeof(name));
	ret = ret ?: ca_ra_path(ca, true, path, sizeof(path));
	ret = ret ?: ca_load_key(ca, name, &pub->k.roll_ra_key);
	if (ret < 0)
		return ret;
	return ca_ra_settle(ca, path, roll_ra_usable, roll_ra_reissue, pub,
			    &pub->k.roll_ra_cert);
}

int ca_rollover_load(struct ca *ca, const struct db_ca *row,
		     struct ca_pub *pub)
{
	int ret;

	if (row->rollover != DB_ROLLOVER_AVAILABLE)
		return 0;
	pub->k.roll_cert = ca_x509_from_der(row->roll_cert, row->roll_cert_len);
	if (!pub->k.roll_cert)
		return -EBADMSG;
	ret = ca_load_key(ca, row->roll_key, &pub->k.roll_key);
	if (!ret && ca->key_mode == CA_KEY_MODE_RA)
		ret = load_roll_ra(ca, pub);
	return ret;
}

/* ---- promotion ---- */

/* Is keystore key name the key of x? */
static int key_is(struct ca *ca, const char *name, X509 *x)
{
	struct pkiks_key_info info = {0};
	unsigned char *spki = NULL;
	int n, ret;

	ret = pkiks_key_get(ca->ks, name, &info);
	if (ret < 0)
		return ret;
	n = i2d_PUBKEY(X509_get0_pubkey(x), &spki);
	ret = n > 0 && (size_t)n == info.pubkey_len &&
	      memcmp(spki, info.pubkey, n) == 0;
	OPENSSL_free(spki);
	free(info.pubkey);
	return ret;
}

/* NAME# -> NAME, unless done before a crash (then NAME must be want's). */
static int promote_key(struct ca *ca, const char *name, X509 *want)
{
	char next[PKIKS_NAME_MAX];
	int have;

	if (snprintf(next, sizeof(next), "%s%s", name, CA_ROLL_SUFFIX) >=
	    (int)sizeof(next))
		return -ENAMETOOLONG;
	have = ca_key_exists(ca, next);
	if (have > 0)
		return keyblob_promote(ca->ks, ca->db, name);
	if (have < 0 || !want)
		return have;
	if (key_is(ca, name, want) != 1) {
		pkid_log(LOG_ERR, "CS_ROLLOVER_KEY",
			 "%s: rollover key %s is missing", ca->cfg.name, next);
		return -ENOKEY;
	}
	return 0;
}

static int promote_keys(struct ca *ca, const struct db_ca *row)
{
	char ra[PKIKS_NAME_MAX], from[PKID_CONF_URL_MAX + 80],
		to[PKID_CONF_URL_MAX + 80];
	X509 *roll = ca_x509_from_der(row->roll_cert, row->roll_cert_len);
	int ret = roll ? 0 : -EBADMSG;

	ret = ret ?: promote_key(ca, ca->cfg.name, roll);
	X509_free(roll);
	if (ret < 0 || ca->key_mode != CA_KEY_MODE_RA)
		return ret;
	/* A missing RA successor is made afresh by ca_ra_load_or_issue. */
	ret = ca_ra_key_name(ca, false, ra, sizeof(ra));
	ret = ret ?: promote_key(ca, ra, NULL);
	ret = ret ?: ca_ra_path(ca, true, from, sizeof(from));
	ret = ret ?: ca_ra_path(ca, false, to, sizeof(to));
	if (!ret && rename(from, to) < 0 && errno != ENOENT)
		ret = -errno;
	return ret ?: ca_file_move(ca, from, to);
}

/* Keep the old CA certificate (old CRLs and certificates verify). */
static int keep_old_cert(struct ca *ca, const struct db_ca *row)
{
	char dir[PKID_CONF_URL_MAX], path[PKID_CONF_URL_MAX + 96];
	X509 *old = ca_x509_from_der(row->cur_cert, row->cur_cert_len);
	int64_t serial = 0;
	int ret = old ? ca_dir(ca, dir, sizeof(dir)) : -EBADMSG;

	if (!ret) {
		ASN1_INTEGER_get_int64(&serial, X509_get0_serialNumber(old));
		snprintf(path, sizeof(path), "%s/%s-ca-%lld.cer", dir,
			 ca->cfg.name, (long long)serial);
		ret = ca_write_file(path, row->cur_cert, row->cur_cert_len,
				    0644);
		ret = ret ?: ca_file_share(ca, path);
	}
	X509_free(old);
	return ret;
}

/* The rollover CA becomes the CA, in one transaction. */
static int swap_row(struct ca *ca, struct db_ca *row)
{
	int ret = db_begin(ca->db);

	if (ret < 0)
		return ret;
	free(row->cur_cert);
	row->cur_cert = row->roll_cert;
	row->cur_cert_len = row->roll_cert_len;
	row->roll_cert = NULL;
	row->roll_cert_len = 0;
	snprintf(row->cur_key, sizeof(row->cur_key), "%s", ca->cfg.name);
	row->roll_key[0] = '\0';
	row->rollover = DB_ROLLOVER_NONE;
	row->crl_next_update = 0; /* a CRL of the new CA is due */
	ret = db_ca_put(ca->db, row);
	ret = ret ?: ca_sub_promoted(ca, row);
	if (ret == 0)
		ret = db_commit(ca->db);
	else
		db_rollback(ca->db);
	/* (the trustpoint's export follows, outside the CA's lock) */
	if (ret == 0 && ca_is_sub(ca))
		ca->sub_tp_promoted = true;
	return ret;
}

/* AVAILABLE/PROMOTING -> NONE under the new CA (not yet published). */
static int promote_steps(struct ca *ca, struct db_ca *row)
{
	int ret = 0;

	if (row->rollover == DB_ROLLOVER_AVAILABLE) {
		row->rollover = DB_ROLLOVER_PROMOTING;
		ret = db_ca_put(ca->db, row);
		if (ret == 0)
			pkid_test_crash("promote-start");
	}
	ret = ret ?: promote_keys(ca, row);
	if (ret == 0) {
		pkid_test_crash("promote-key");
		pkid_test_pause("promote-key");
	}
	ret = ret ?: keep_old_cert(ca, row);
	ret = ret ?: swap_row(ca, row);
	if (ret == 0) {
		pkid_log(LOG_NOTICE, "CS_ROLLOVER_ACTIVATED",
			 "%s: the rollover CA certificate is now the CA "
			 "certificate",
			 ca->cfg.name);
		pkid_test_crash("promote-db");
	}
	return ret;
}

/* ---- entry points (under the CA's lock) ---- */

static int64_t shadow_at(struct ca *ca, int64_t end);

static bool shadow_due(struct ca *ca, const struct db_ca *row, int64_t now)
{
	int64_t end;

	return ca->cfg.auto_rollover && row->rollover == DB_ROLLOVER_NONE &&
	       der_end(row->cur_cert, row->cur_cert_len, &end) == 0 &&
	       now >= shadow_at(ca, end) && now < end;
}

static bool expire_due(const struct db_ca *row, int64_t now)
{
	int64_t end;

	if (row->rollover == DB_ROLLOVER_PROMOTING)
		return true;
	return row->rollover == DB_ROLLOVER_AVAILABLE &&
	       der_end(row->cur_cert, row->cur_cert_len, &end) == 0 &&
	       now >= end;
}

int ca_rollover_resume(struct ca *ca, int64_t now)
{
	struct db_ca row = {0};
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	if (ret < 0)
		return ret;
	if (row.rollover == DB_ROLLOVER_KEY_MADE || shadow_due(ca, &row, now))
		ret = advance(ca, &row);
	if (ret == -EINPROGRESS)
		ret = 0; /* a sub: the parent's certificate is not here yet */
	if (ret == 0 && expire_due(&row, now))
		ret = promote_steps(ca, &row);
	db_ca_free(&row);
	return ret;
}

static void arm(struct ca *ca, enum pkiks_timer_kind kind, int64_t at)
{
	int ret = pkiks_timer_arm(ca->ks, ca->cfg.name, kind,
				  (uint64_t)at * 1000000000ULL);

	if (ret < 0)
		pkid_log(LOG_ERR, "CS_TIMER", "%s: cannot arm %s: %s",
			 ca->cfg.name, pkiks_timer_kind_name(kind),
			 strerror(-ret));
}

/*
 * The CS SHADOW CERT GENERATION timer the keystore holds for us, if armed:
 * its deadline (seconds), else 0.  It outlives pkid restarts and reloads,
 * which is how a deferred rollover (after a cancel) stays deferred.
 */
static int64_t armed_shadow(struct ca *ca)
{
	struct pkiks_timer_info *t = NULL;
	size_t n = 0;
	int64_t at = 0;

	if (pkiks_timer_list(ca->ks, &t, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (t[i].kind == PKIKS_TIMER_CS_SHADOW_CERT_GENERATION &&
		    t[i].state != PKIKS_TIMER_EXPIRED &&
		    !strcmp(t[i].owner, ca->cfg.name))
			at = (int64_t)(t[i].deadline_ns / 1000000000ULL);
	free(t);
	return at;
}

/*
 * When the automatic rollover CA is made: at the start of the window
 * (end - auto-rollover), unless a cancel deferred it (a later armed
 * deadline, still before the CA's end), which is kept.
 */
static int64_t shadow_at(struct ca *ca, int64_t end)
{
	int64_t natural = sched_rollover_at(end, ca->cfg.rollover_window);
	int64_t armed = armed_shadow(ca);

	return armed > natural && armed < end ? armed : natural;
}

int ca_rollover_arm(struct ca *ca)
{
	int64_t end;
	int ret = ca_time_of(X509_get0_notAfter(ca->pub->k.ca_cert), &end);

	if (ret < 0)
		return ret;
	arm(ca, PKIKS_TIMER_CS_CERT_EXPIRE, end);
	/* A sub-cs waiting for its parent's certificate asks no more. */
	if (ca->cfg.auto_rollover && !ca->pub->k.roll_cert &&
	    !ca_sub_roll_waiting(ca))
		arm(ca, PKIKS_TIMER_CS_SHADOW_CERT_GENERATION,
		    shadow_at(ca, end));
	else
		pkiks_timer_cancel(ca->ks, ca->cfg.name,
				   PKIKS_TIMER_CS_SHADOW_CERT_GENERATION);
	return 0;
}

/* Re-read the row and publish it. */
static int reload(struct ca *ca, int64_t now)
{
	struct db_ca row = {0};
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	ret = ret ?: ca_load(ca, &row, now);
	db_ca_free(&row);
	return ret;
}

int ca_rollover_create(struct ca *ca, int64_t now)
{
	char fp[CA_FP_HEX_MAX];
	struct db_ca row = {0};
	int64_t end;
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	if (ret < 0)
		return ret;
	ret = der_end(row.cur_cert, row.cur_cert_len, &end);
	if (ret == 0 && ca_is_sub(ca) && row.rollover == DB_ROLLOVER_KEY_MADE)
		ret = -EALREADY; /* asked at the parent already */
	else if (ret == 0 && (row.rollover == DB_ROLLOVER_AVAILABLE ||
			 row.rollover == DB_ROLLOVER_PROMOTING))
		ret = -EALREADY;
	else if (ret == 0 && now >= end)
		ret = -EKEYEXPIRED; /* too late: the CA has expired */
	ret = ret ?: advance(ca, &row);
	db_ca_free(&row);
	if (ret == -EINPROGRESS) {
		pkid_log(LOG_NOTICE, "CS_SUB_ROLLOVER",
			 "%s: rollover key %s%s made; its CA certificate is "
			 "requested from the parent (trustpoint %s)",
			 ca->cfg.name, ca->cfg.name, CA_ROLL_SUFFIX,
			 ca->cfg.name);
		if (ca->kick)
			ca->kick(ca->kick_arg);
		return ca_rollover_arm(ca);
	}
	ret = ret ?: reload(ca, now);
	if (ret < 0)
		return ret;
	if (ca_is_sub(ca))
		return ca_rollover_arm(ca); /* said by ca_sub_roll_accept */
	ca_fingerprint(ca->pub->k.roll_cert, fp, sizeof(fp));
	pkid_log(LOG_NOTICE, "CS_ROLLOVER_AVAILABLE",
		 "%s: rollover CA certificate generated, fingerprint %s",
		 ca->cfg.name, fp);
	return ca_rollover_arm(ca);
}

int ca_rollover_promote(struct ca *ca, int64_t now)
{
	struct db_ca row = {0};
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	if (ret < 0)
		return ret;
	if (!expire_due(&row, now)) {
		if (row.rollover == DB_ROLLOVER_NONE &&
		    ca_pub_expired(ca->pub, now))
			ca_note_expired(ca);
		db_ca_free(&row);
		return 0;
	}
	ret = promote_steps(ca, &row);
	db_ca_free(&row);
	ret = ret ?: reload(ca, now);
	ret = ret ?: ca_crl_update(ca, now);
	if (ret == 0)
		pkid_test_crash("promote-crl");
	return ret ?: ca_rollover_arm(ca);
}

/*
 * After a cancel, under auto-rollover, the schedule is derived again: a CA
 * always gets a rollover CA before its end.  The next one is made at the
 * window's start if that is still ahead, else `rollover cancel-delay`
 * after the cancel (so the operator has time to act on why he cancelled),
 * but never later than halfway from now to the CA's end: the clients
 * need the rest to fetch it.  Without auto-rollover nothing is armed: the
 * operator makes the next one (`server rollover`), as before.
 */
static int rearm_after_cancel(struct ca *ca, int64_t now)
{
	int64_t end, at;
	char when[32];
	int ret = ca_time_of(X509_get0_notAfter(ca->pub->k.ca_cert), &end);

	if (ret < 0)
		return ret;
	if (!ca->cfg.auto_rollover) {
		pkiks_timer_cancel(ca->ks, ca->cfg.name,
				   PKIKS_TIMER_CS_SHADOW_CERT_GENERATION);
		return 0;
	}
	at = end - ca->cfg.rollover_window;
	if (at <= now) {
		at = now + ca->cfg.rollover_cancel_delay;
		if (at > now + (end - now) / 2)
			at = now + (end - now) / 2;
	}
	arm(ca, PKIKS_TIMER_CS_SHADOW_CERT_GENERATION, at);
	ca_iso_time(at, when, sizeof(when));
	pkid_log(LOG_NOTICE, "CS_ROLLOVER_SCHEDULED",
		 "%s: auto-rollover: the next rollover CA certificate is made "
		 "at %s",
		 ca->cfg.name, when);
	return 0;
}

/* The key and its stored blob: a cancelled rollover never comes back. */
static int delete_key(struct ca *ca, const char *name)
{
	return keyblob_delete(ca->ks, ca->db, name);
}

int ca_rollover_cancel(struct ca *ca, int64_t now)
{
	char key[PKIKS_NAME_MAX], ra[PKIKS_NAME_MAX];
	char path[PKID_CONF_URL_MAX + 80];
	struct db_ca row = {0};
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	if (ret < 0)
		return ret;
	ca->sub_roll_refused = false; /* the operator starts afresh */
	/* A sub's trustpoint made no SHADOW of the key while this rollover
	 * was under way (tp_shadow): it plans it again now. */
	ca->sub_tp_rearm = ca_is_sub(ca);
	if (row.rollover == DB_ROLLOVER_NONE)
		ret = -ENOENT;
	else if (row.rollover == DB_ROLLOVER_PROMOTING)
		ret = -EBUSY;
	/* The row first: a crash after it leaves only stray keys, which
	 * the next rollover deletes or reuses (make_ca_key). */
	if (ret == 0) {
		free(row.roll_cert);
		row.roll_cert = NULL;
		row.roll_cert_len = 0;
		row.roll_key[0] = '\0';
		row.rollover = DB_ROLLOVER_NONE;
		ret = db_ca_put(ca->db, &row);
	}
	db_ca_free(&row);
	ret = ret ?: roll_key_name(ca, key, sizeof(key));
	ret = ret ?: delete_key(ca, key);
	if (!ret && ca->key_mode == CA_KEY_MODE_RA) {
		ret = ca_ra_key_name(ca, true, ra, sizeof(ra));
		ret = ret ?: delete_key(ca, ra);
		ret = ret ?: ca_ra_path(ca, true, path, sizeof(path));
		if (!ret)
			unlink(path);
	}
	ret = ret ?: reload(ca, now);
	if (ret < 0)
		return ret;
	pkid_log(LOG_WARNING, "CS_ROLLOVER_CANCEL",
		 "%s: rollover CA cancelled: clients that fetched it "
		 "(GetNextCACert) or enrolled under it must re-enroll",
		 ca->cfg.name);
	if (ca->sub_tp_rearm && ca->kick)
		ca->kick(ca->kick_arg);
	return rearm_after_cancel(ca, now);
}
