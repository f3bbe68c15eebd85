// SPDX-License-Identifier: MIT
/*
 * The CRL: re-signed on each revoke/unrevoke and every `lifetime crl`
 * (keystore timer CS CRL UPDATE), kept in the database and as
 * `<database url>/NAME.crl`, published to HTTP workers through RCU; the
 * OCSP responder's cache is re-signed with it (ca_ocsp.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"
#include "schedule.h"

static int add_revoked(const struct db_cert *c, void *arg)
{
	X509_CRL *crl = arg;
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)c->revoked_at);
	int ret = -ENOMEM;

	if (!r || !serial || !when ||
	    !ASN1_INTEGER_set_int64(serial, c->serial))
		goto out;
	if (!X509_REVOKED_set_serialNumber(r, serial) ||
	    !X509_REVOKED_set_revocationDate(r, when) ||
	    !X509_CRL_add0_revoked(crl, r))
		goto out;
	r = NULL;
	ret = 0;
out:
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	return ret;
}

static int crl_extensions(X509_CRL *crl, X509 *ca_cert, int64_t number)
{
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	X509_EXTENSION *aki;
	X509V3_CTX ctx;
	int ret = -ENOMEM;

	if (!n || !ASN1_INTEGER_set_int64(n, number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0))
		goto out;
	X509V3_set_ctx(&ctx, ca_cert, NULL, NULL, crl, 0);
	aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
				  "keyid:always");
	if (!aki)
		goto out;
	if (X509_CRL_add_ext(crl, aki, -1))
		ret = 0;
	X509_EXTENSION_free(aki);
out:
	ASN1_INTEGER_free(n);
	return ret;
}

static int crl_sign(struct ca *ca, const struct ca_pub *pub, int64_t now,
		    int64_t next_update, int64_t number, unsigned char **der,
		    size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = ASN1_TIME_set(NULL, (time_t)now);
	ASN1_TIME *next = ASN1_TIME_set(NULL, (time_t)next_update);
	unsigned char *p = NULL;
	EVP_MD_CTX *mctx = NULL;
	int n, ret = -ENOMEM;

	if (!crl || !last || !next || !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl,
				      X509_get_subject_name(pub->k.ca_cert)) ||
	    !X509_CRL_set1_lastUpdate(crl, last) ||
	    !X509_CRL_set1_nextUpdate(crl, next))
		goto out;
	ret = db_cert_foreach(ca->db, ca->cfg.name,
			      DB_CERT_REVOKED | DB_CERT_NO_DER, add_revoked,
			      crl);
	ret = ret ?: crl_extensions(crl, pub->k.ca_cert, number);
	if (ret < 0)
		goto out;
	ret = -EIO;
	X509_CRL_sort(crl);
	mctx = EVP_MD_CTX_new();
	if (!mctx ||
	    EVP_DigestSignInit_ex(mctx, NULL, EVP_MD_get0_name(ca->md), NULL,
				  CA_PROPQ, pub->k.ca_key, NULL) != 1 ||
	    X509_CRL_sign_ctx(crl, mctx) <= 0)
		goto out;
	n = i2d_X509_CRL(crl, &p);
	if (n <= 0)
		goto out;
	ret = -ENOMEM;
	*der = malloc(n);
	if (!*der)
		goto out;
	memcpy(*der, p, n);
	*len = n;
	ret = 0;
out:
	if (ret < 0)
		ERR_print_errors_fp(stderr);
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(p);
	X509_CRL_free(crl);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	return ret;
}

/* Store the CRL (database row, file), arm CS CRL UPDATE, publish it. */
static int crl_install(struct ca *ca, unsigned char *der, size_t len,
		       int64_t number, int64_t next)
{
	char dir[PKID_CONF_URL_MAX], path[PKID_CONF_URL_MAX + 80];
	struct ca_pub *np;
	int ret;

	/* The CRL columns only: on a shared database another node may have
	 * moved the rollover on since this node read the row; and a newer
	 * CRL (signed later, so listing every revocation this one lists)
	 * is kept: -ESTALE, this one is dropped (the node publishes the
	 * stored one when it hears of it, ca_lead.c). */
	ret = db_ca_set_crl(ca->db, ca->cfg.name, der, len, number, next);
	if (ret == -ESTALE)
		return 0;
	if (ret == 0 && ca_dir(ca, dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/%s.crl", dir, ca->cfg.name);
		ret = ca_write_file(path, der, len, 0644);
	}
	if (ret < 0)
		return ret;
	ret = pkiks_timer_arm(ca->ks, ca->cfg.name, PKIKS_TIMER_CS_CRL_UPDATE,
			      (uint64_t)next * 1000000000ULL);
	if (ret < 0)
		pkid_log(LOG_ERR, "CS_TIMER",
			 "%s: cannot arm CS CRL UPDATE: %s", ca->cfg.name,
			 strerror(-ret));
	np = ca_pub_dup(ca->pub);
	if (!np)
		return -ENOMEM;
	free(np->crl_der);
	np->crl_der = malloc(len);
	if (!np->crl_der) {
		ca_pub_free(np);
		return -ENOMEM;
	}
	memcpy(np->crl_der, der, len);
	np->crl_len = len;
	ca_publish(ca, np);
	return 0;
}

int ca_crl_update(struct ca *ca, int64_t now)
{
	int64_t next = sched_crl_next_update(now, ca->cfg.lifetime_crl);
	unsigned char *der = NULL;
	size_t len = 0;
	int64_t number;
	int ret;

	/* Its signature would vouch for nothing; relying parties keep the
	 * last CRL until its nextUpdate, then fail closed. */
	if (ca_pub_expired(ca->pub, now)) {
		ca_note_expired(ca);
		return 0;
	}
	ret = db_ca_next_crl_number(ca->db, ca->cfg.name, &number);
	ret = ret ?: crl_sign(ca, ca->pub, now, next, number, &der, &len);
	ret = ret ?: crl_install(ca, der, len, number, next);
	if (ret == 0) /* OCSP says what the CRL says, until the same time */
		ca_ocsp_refresh(ca, now, next);
	free(der);
	return ret;
}

/* At start: keep the stored CRL while it is current, else issue one. */
int ca_crl_restore(struct ca *ca, int64_t now)
{
	struct db_ca row = {0};
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);
	bool current = ret == 0 && row.crl && row.crl_next_update > now;
	int64_t next = row.crl_next_update;

	db_ca_free(&row);
	if (ret < 0)
		return ret;
	if (!current)
		return ca_crl_update(ca, now);
	ret = pkiks_timer_arm(ca->ks, ca->cfg.name, PKIKS_TIMER_CS_CRL_UPDATE,
			      (uint64_t)next * 1000000000ULL);
	if (ret < 0)
		pkid_log(LOG_ERR, "CS_TIMER",
			 "%s: cannot arm CS CRL UPDATE: %s", ca->cfg.name,
			 strerror(-ret));
	return 0;
}
