// SPDX-License-Identifier: MIT
/*
 * The Root CA Key Update certificates of a rollover (RFC 4210 §4.4, which
 * RFC 7030 §4.1.3 asks EST's /cacerts to carry): while a rollover CA
 * exists,
 *   NewWithOld  the rollover CA's key certified by the current CA key,
 *   OldWithNew  the current CA's key certified by the rollover key NAME#,
 * so that a client that trusts either key can trust the other.  Both are
 * CA certificates (basicConstraints CA:TRUE, keyCertSign and cRLSign),
 * valid from when they are made to the current CA's end (the old key ends
 * then), signed in the keystore.  Made once per rollover, under the CA's
 * lock, with serials from the CA's counter, and kept as
 * NAME-newwithold.cer and NAME-oldwithnew.cer in the `database url`
 * folder; a file that does not belong to the present pair of keys (an
 * earlier rollover's) is made again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"

/* subject's key (from subject_cert) certified by issuer_cert's key. */
static int cross_sign(struct ca *ca, X509 *subject_cert, X509 *issuer_cert,
		      EVP_PKEY *issuer_key, int64_t now, int64_t end,
		      X509 **out)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	int64_t serial;
	int ret = db_serial_reserve(ca->db, ca->cfg.name, &serial);

	if (ret < 0 || !x)
		goto out;
	ret = -ENOMEM;
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_int64(X509_get_serialNumber(x), serial) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer_cert)) ||
	    !X509_set_subject_name(x, X509_get_subject_name(subject_cert)) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)end) ||
	    !X509_set_pubkey(x, X509_get0_pubkey(subject_cert)))
		goto out;
	X509V3_set_ctx(&ctx, issuer_cert, x, NULL, NULL, 0);
	ret = ca_add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
	ret = ret ?: ca_add_ext(x, &ctx, NID_key_usage,
			     "critical,keyCertSign,cRLSign");
	ret = ret ?: ca_add_key_ids(x, &ctx);
	ret = ret ?: ca_sign_x509(ca, x, issuer_key);
	if (ret == 0) {
		*out = x;
		x = NULL;
	}
out:
	X509_free(x);
	ERR_clear_error();
	return ret;
}

/* Does the kept certificate x certify subject's key under issuer's? */
static bool belongs(X509 *x, X509 *subject_cert, X509 *issuer_cert)
{
	return x && EVP_PKEY_eq(X509_get0_pubkey(x),
				X509_get0_pubkey(subject_cert)) == 1 &&
	       X509_verify(x, X509_get0_pubkey(issuer_cert)) == 1;
}

/* One of the pair: the kept file if it still belongs, else a new one. */
static int one(struct ca *ca, const char *which, X509 *subject_cert,
	       X509 *issuer_cert, EVP_PKEY *issuer_key, int64_t now,
	       int64_t end, X509 **out)
{
	char dir[PKID_CONF_URL_MAX], path[PKID_CONF_URL_MAX + 80];
	unsigned char *der = NULL;
	size_t len = 0;
	X509 *x;
	int ret = ca_dir(ca, dir, sizeof(dir));

	if (ret < 0)
		return ret;
	if (snprintf(path, sizeof(path), "%s/%s-%s.cer", dir, ca->cfg.name,
		     which) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	x = ca_read_der_file(path);
	if (belongs(x, subject_cert, issuer_cert)) {
		*out = x;
		return 0;
	}
	X509_free(x);
	ret = cross_sign(ca, subject_cert, issuer_cert, issuer_key, now, end,
			 out);
	ret = ret ?: ca_x509_der(*out, &der, &len);
	ret = ret ?: ca_write_file(path, der, len, 0644);
	free(der);
	if (ret == 0)
		pkid_log(LOG_NOTICE, "CS_KEY_UPDATE",
			 "%s: Root CA Key Update certificate %s made, serial "
			 "%lld",
			 ca->cfg.name, which,
			 (long long)ASN1_INTEGER_get(
				 X509_get0_serialNumber(*out)));
	return ret;
}

/* Under lock: both, or neither. */
static int pair(struct ca *ca, const struct ca_pub *pub, int64_t now,
		X509 **new_with_old, X509 **old_with_new)
{
	const struct ca_keys *k = &pub->k;
	int64_t end;
	int ret;

	ret = ca_time_of(X509_get0_notAfter(k->ca_cert), &end);
	if (ret < 0)
		return ret;
	if (now >= end)
		return -EKEYEXPIRED;
	ret = one(ca, "newwithold", k->roll_cert, k->ca_cert, k->ca_key, now,
		  end, new_with_old);
	ret = ret ?: one(ca, "oldwithnew", k->ca_cert, k->roll_cert,
			 k->roll_key, now, end, old_with_new);
	if (ret < 0) {
		X509_free(*new_with_old);
		*new_with_old = NULL;
	}
	return ret;
}

int ca_key_update_certs(struct ca *ca, X509 **new_with_old,
			X509 **old_with_new)
{
	struct ca_pub *pub;
	int64_t now = 0;
	int ret;

	*new_with_old = *old_with_new = NULL;
	pub = ca_work_begin(ca);
	if (!pub)
		return -EAGAIN;
	if (!pub->k.roll_cert || !pub->k.roll_key)
		ret = -ENOENT;
	else if (ca_now(ca, &now) < 0)
		ret = -ETIME;
	else
		ret = pair(ca, pub, now, new_with_old, old_with_new);
	ca_work_end(ca, pub);
	if (ret < 0 && ret != -ENOENT && ret != -EAGAIN)
		pkid_log(LOG_ERR, "CS_KEY_UPDATE",
			 "%s: no Root CA Key Update certificates: %s",
			 ca->cfg.name, strerror(-ret));
	return ret;
}
