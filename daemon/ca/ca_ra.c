// SPDX-License-Identifier: MIT
/*
 * `mode ra` (issue 17): a registration authority in front of an upstream
 * CA, as on IOS.  The server NAME issues nothing itself: it holds the key
 * NAME in the keystore (made by pkiks-keygen at the first `no shutdown`,
 * usage sign+decrypt) and the certificate trustpoint NAME obtained for
 * that key from the upstream CA (the trustpoint's `enrollment url`).
 *
 * What it publishes (the same struct ca_pub as a CA, so the SCEP front
 * end needs no change): k.ca_cert is the upstream CA's certificate (the
 * trustpoint's CA), k.ca_key none; k.ra_cert/k.ra_key are the RA's own.
 * GetCACert therefore answers what IOS's RA answers, a degenerate PKCS#7
 * [upstream CA, RA] (application/x-x509-ca-ra-cert): clients envelope to
 * the RA and verify the RA's signature on CertReps, and verify the
 * certificates they get under the upstream CA.
 *
 * Requests go through the CA's protocol-neutral entry (ca_enroll.c): the
 * RA's own policy (grant auto, manual with the pending queue, password,
 * one-time passwords) decides and stores the request.  A request the RA
 * granted is forwarded (ca_ra_fwd.c) instead of issued.
 *
 * Rollover.  The RA's certificate renews like any trustpoint's (RENEW,
 * same key) and ca_ra_refresh() takes it.  The upstream CA's rollover
 * reaches the clients through the trustpoint's shadow state: trustpoint
 * NAME SHADOWs as any trustpoint (GetNextCACert at the upstream, a
 * certificate for the same key RA under the rollover CA, valid from the
 * upstream's end); while it holds it the RA publishes the upstream's
 * rollover CA as k.roll_cert and its shadow certificate as k.roll_ra_cert
 * (same key).  GetNextCACert on the RA is then [rollover CA, RA's shadow]
 * signed by the RA (RFC 8894 §4.7: the CA or RA signs it; scep_server.c),
 * requests enveloped to the shadow certificate are for the rollover
 * generation and go upstream enveloped to the upstream's rollover RA
 * (ca_ra_fwd.c).  At the upstream's end the trustpoint switches and the
 * RA publishes [CA2, RA2].
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/ctl.h"
#include "core/keyblob.h"
#include "core/log.h"

bool ca_is_ra(const struct ca *ca)
{
	return ca->cfg.mode == PKID_MODE_RA;
}

void ca_ra_set_upstream(struct ca *ca, const char *url,
			const struct enroll_proto *proto)
{
	pthread_mutex_lock(&ca->lock);
	snprintf(ca->ra_url, sizeof(ca->ra_url), "%s", url ? url : "");
	ca->ra_proto = proto;
	pthread_mutex_unlock(&ca->lock);
}

/* The trustpoint's shadow pair (owned, both or neither). */
static int tp_shadow(struct ca *ca, X509 **next, X509 **next_id)
{
	struct db_tp tp = {0};
	int ret = db_tp_get(ca->db, ca->cfg.name, &tp);

	*next = *next_id = NULL;
	if (ret < 0)
		return ret;
	*next = ca_x509_from_der(tp.shadow_ca_cert, tp.shadow_ca_cert_len);
	*next_id = ca_x509_from_der(tp.shadow_id_cert, tp.shadow_id_cert_len);
	db_tp_free(&tp);
	if (!*next || !*next_id) {
		X509_free(*next);
		X509_free(*next_id);
		*next = *next_id = NULL;
	}
	return 0;
}

int ca_ra_tp(struct ca *ca, X509 **upstream, X509 **upstream_ra, X509 **id)
{
	struct db_tp tp = {0};
	int ret = db_tp_get(ca->db, ca->cfg.name, &tp);

	*upstream = *id = NULL;
	if (upstream_ra)
		*upstream_ra = NULL;
	if (ret < 0)
		return ret;
	*upstream = ca_x509_from_der(tp.ca_cert, tp.ca_cert_len);
	*id = ca_x509_from_der(tp.id_cert, tp.id_cert_len);
	if (upstream_ra)
		*upstream_ra = ca_x509_from_der(tp.ra_cert, tp.ra_cert_len);
	db_tp_free(&tp);
	return 0;
}

/* The RA certificate @id is taken when it verifies under the upstream CA
 * it came from; recorded as the row's certificate. */
static int adopt(struct ca *ca, X509 *upstream, X509 *id, struct db_ca *row,
		 const char **why)
{
	char fp[CA_FP_HEX_MAX];
	int ret;

	if (!upstream || X509_verify(id, X509_get0_pubkey(upstream)) != 1) {
		*why = "the RA certificate does not verify under the upstream "
		       "CA's certificate";
		return -EPERM;
	}
	free(row->cur_cert);
	row->cur_cert = NULL;
	ret = ca_x509_der(id, &row->cur_cert, &row->cur_cert_len);
	ret = ret ?: db_ca_put(ca->db, row);
	if (ret < 0) {
		*why = "cannot record the RA certificate";
		return ret;
	}
	ca_fingerprint(id, fp, sizeof(fp));
	pkid_log(LOG_NOTICE, "CS_RA_CERT_INSTALLED",
		 "%s: RA certificate %s from the upstream CA installed",
		 ca->cfg.name, fp);
	return 0;
}

/* First start: the key, then the trustpoint's certificate when it holds
 * one, else -EINPROGRESS (the daemon has trustpoint NAME enroll). */
static int ra_create(struct ca *ca, struct db_ca *row, const char **why)
{
	X509 *upstream = NULL, *id = NULL;
	int ret;

	ret = ca_key_and_row(ca, row, true, why);
	if (ret < 0)
		return ret;
	ret = ca_ra_tp(ca, &upstream, NULL, &id);
	if (ret == 0 && id && ca_key_matches(ca, ca->cfg.name, id) == 1)
		ret = adopt(ca, upstream, id, row, why);
	else if (ret == 0 || ret == -ENOENT) {
		*why = CA_RA_WAIT_MSG;
		ret = -EINPROGRESS;
	}
	X509_free(upstream);
	X509_free(id);
	return ret;
}

/* The upstream's rollover through the trustpoint's shadow: its rollover
 * CA and the RA's certificate under it, for the same key. */
static int ra_shadow(struct ca *ca, struct ca_pub *pub)
{
	X509 *next = NULL, *next_id = NULL;
	int ret = tp_shadow(ca, &next, &next_id);

	if (ret < 0 || !next)
		return ret == -ENOENT ? 0 : ret;
	if (EVP_PKEY_eq(pub->k.ra_key, X509_get0_pubkey(next_id)) != 1 ||
	    X509_verify(next_id, X509_get0_pubkey(next)) != 1) {
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: trustpoint %s's shadow certificate is not for "
			 "the RA's key under the rollover CA: not offered",
			 ca->cfg.name, ca->cfg.name);
		X509_free(next);
		X509_free(next_id);
		return 0;
	}
	pub->k.roll_cert = next;
	pub->k.roll_ra_cert = next_id;
	EVP_PKEY_up_ref(pub->k.ra_key);
	pub->k.roll_ra_key = pub->k.ra_key;
	return 0;
}

/* Publish [upstream CA, RA]: the trustpoint's CA and the row's RA
 * certificate with the keystore key NAME.  Under lock. */
static int ra_load(struct ca *ca, const struct db_ca *row, int64_t now)
{
	struct ca_pub *pub = calloc(1, sizeof(*pub));
	X509 *id = NULL;
	int ret = -ENOMEM;

	if (!pub)
		goto err;
	ret = ca_ra_tp(ca, &pub->k.ca_cert, NULL, &id);
	X509_free(id);
	if (ret < 0)
		goto err;
	ret = -ENOENT;
	if (!pub->k.ca_cert) {
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: the upstream CA's certificate (trustpoint %s) "
			 "is missing",
			 ca->cfg.name, ca->cfg.name);
		goto err;
	}
	ret = -EBADMSG;
	pub->k.ra_cert = ca_x509_from_der(row->cur_cert, row->cur_cert_len);
	if (!pub->k.ra_cert)
		goto err;
	ret = ca_load_key(ca, row->cur_key, &pub->k.ra_key);
	if (ret < 0)
		goto err;
	if (X509_verify(pub->k.ra_cert, X509_get0_pubkey(pub->k.ca_cert)) != 1)
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: the RA certificate does not verify under the "
			 "upstream CA certificate trustpoint %s holds now",
			 ca->cfg.name, ca->cfg.name);
	ret = ra_shadow(ca, pub);
	if (ret < 0)
		goto err;
	if (ca->enc.build) {
		struct ca_keys k = pub->k;

		k.md = ca->md;
		pub->enc = &ca->enc;
		ret = ca->enc.build(ca->enc.arg, &k, now, &pub->enc_data);
		if (ret < 0)
			goto err;
	}
	ca_publish(ca, pub);
	return 0;
err:
	ca_pub_free(pub);
	return ret;
}

int ca_ra_start(struct ca *ca, int64_t now, const char **why)
{
	struct db_ca row = {0};
	const char *names[1] = {ca->cfg.name};
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	if (ret == -ENOENT || (ret == 0 && !row.cur_cert)) {
		db_ca_free(&row);
		memset(&row, 0, sizeof(row));
		ret = ra_create(ca, &row, why);
	}
	if (ret < 0)
		goto out;
	/* A keystore restart took the key: back from its wrapped blob,
	 * never a new one in its place. */
	ret = keyblob_sync_all(ca->ks, ca->db, names, 1, NULL);
	if (ret < 0) {
		*why = "the RA key is missing from the keystore and its "
		       "wrapped blob cannot be restored (KEY_RESTORE_FAILED)";
		goto out;
	}
	ca->key_mode = CA_KEY_MODE_RA;
	ret = ra_load(ca, &row, now);
	if (ret < 0) {
		*why = "cannot load the RA key or certificates";
		goto out;
	}
	ca_rearm_er_expire(ca, now);
	ca->running = true;
out:
	db_ca_free(&row);
	return ret;
}

/*
 * The trustpoint got a new RA certificate for the same key (RENEW at the
 * upstream CA) or a new upstream CA certificate: publish them.  A
 * certificate for another key is not taken (the RA's key does not change
 * under it).
 */
static int refresh_locked(struct ca *ca, int64_t now)
{
	struct db_ca row = {0};
	X509 *upstream = NULL, *id = NULL;
	const char *why = NULL;
	int ret = ca_ra_tp(ca, &upstream, NULL, &id);

	if (ret < 0 || !id || !upstream)
		goto out;
	if (ca_key_matches(ca, ca->cfg.name, id) != 1) {
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: trustpoint %s holds a certificate for another "
			 "key: the RA keeps its certificate",
			 ca->cfg.name, ca->cfg.name);
		goto out;
	}
	ret = db_ca_get(ca->db, ca->cfg.name, &row);
	if (ret == 0 && (X509_cmp(id, ca->pub->k.ra_cert) ||
			 X509_cmp(upstream, ca->pub->k.ca_cert)))
		ret = adopt(ca, upstream, id, &row, &why);
	/* the same certificates are published again with what changed
	 * around them (the trustpoint's shadow: the upstream's rollover) */
	ret = ret ?: ra_load(ca, &row, now);
	if (ret < 0)
		pkid_log(LOG_ERR, "CS_RA_UPSTREAM",
			 "%s: the new RA certificate is not taken: %s",
			 ca->cfg.name, why ? why : strerror(-ret));
out:
	db_ca_free(&row);
	X509_free(upstream);
	X509_free(id);
	return ret;
}

int ca_ra_refresh(struct ca *ca)
{
	int64_t now;
	int ret = 0;

	pthread_mutex_lock(&ca->lock);
	if (ca->running && ca_is_ra(ca) && ca_now(ca, &now) == 0)
		ret = refresh_locked(ca, now);
	pthread_mutex_unlock(&ca->lock);
	return ret;
}

static json_t *cert_json(X509 *x, const char *label, struct ctl_reply *reply)
{
	char fp[CA_FP_HEX_MAX], dn[PKID_CONF_DN_MAX], end[32];
	int64_t t = 0;

	ca_dn_text(X509_get_subject_name(x), dn, sizeof(dn));
	ca_fingerprint(x, fp, sizeof(fp));
	ca_time_of(X509_get0_notAfter(x), &t);
	ca_iso_time(t, end, sizeof(end));
	ctl_reply_printf(reply,
			 "    %s: %s\n"
			 "      fingerprint (SHA-256): %s\n"
			 "      expires: %s\n",
			 label, dn, fp, end);
	return json_pack("{s:s, s:s, s:s}", "subject", dn, "fingerprint", fp,
			 "expires", end);
}

void ca_ra_show(struct ca *ca, json_t *o, struct ctl_reply *reply)
{
	if (!ca_is_ra(ca))
		return;
	json_object_set_new(o, "mode", json_string("ra"));
	/* the URL is the operator's configuration, printable by the parser */
	json_object_set_new(o, "upstream_url", json_string(ca->ra_url));
	ctl_reply_printf(reply,
			 "    Mode: registration authority (ra), forwarding "
			 "to %s (trustpoint %s)\n",
			 ca->ra_url, ca->cfg.name);
	json_object_set_new(o, "upstream",
			    cert_json(ca->pub->k.ca_cert, "Upstream CA", reply));
	json_object_set_new(o, "ra_certificate",
			    cert_json(ca->pub->k.ra_cert, "RA certificate",
				      reply));
	/* the upstream's rollover, while trustpoint NAME holds its shadow */
	if (ca->pub->k.roll_cert)
		json_object_set_new(o, "upstream_rollover",
				    cert_json(ca->pub->k.roll_cert,
					      "Upstream rollover CA", reply));
	json_object_set_new(o, "forwarded", json_integer((json_int_t)
		__atomic_load_n(&ca->ra_forwarded, __ATOMIC_RELAXED)));
}
