// SPDX-License-Identifier: MIT
/*
 * The CA's own TLS server identity (ca.h, ca_tls_identity): what EST's
 * HTTPS listener presents.  Like every key pkid uses, its private key
 * lives in the keystore (NAME-tls, ECDSA P-256, made by pkiks-keygen, its
 * wrapped blob saved); pkid holds a provider handle that signs there.
 * ECDSA because TLS 1.3 signs handshakes with RSA-PSS or ECDSA only, and
 * the keystore signs RSA with PKCS#1 v1.5.
 *
 * The certificate is issued by this CA (recorded like any other, so it
 * shows in the database and can be revoked) and kept as NAME-tls.cer in
 * the `database url` folder; it is issued again when it no longer verifies
 * under the current CA certificate (a promoted rollover), names another
 * host, or has used CA_TLS_RENEW_PCT of its life.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"

#define CA_TLS_SUFFIX	 "-tls"
#define CA_TLS_RENEW_PCT 80

static int tls_paths(struct ca *ca, char *key, size_t ksize, char *path,
		     size_t psize)
{
	char dir[PKID_CONF_URL_MAX];
	int ret = ca_dir(ca, dir, sizeof(dir));

	if (ret < 0)
		return ret;
	if (snprintf(key, ksize, "%s%s", ca->cfg.name, CA_TLS_SUFFIX) >=
		    (int)ksize ||
	    snprintf(path, psize, "%s/%s%s.cer", dir, ca->cfg.name,
		     CA_TLS_SUFFIX) >= (int)psize)
		return -ENAMETOOLONG;
	return 0;
}

/* The subjectAltName entry of host: an IP address or a DNS name. */
static void san_of(const char *host, char *buf, size_t size)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1)
		snprintf(buf, size, "IP:%s", host);
	else
		snprintf(buf, size, "DNS:%s", host);
}

/* When the certificate should be replaced: CA_TLS_RENEW_PCT of its life. */
static int64_t renew_time(X509 *x)
{
	int64_t nb = 0, na = 0;

	ca_time_of(X509_get0_notBefore(x), &nb);
	ca_time_of(X509_get0_notAfter(x), &na);
	return nb + (na - nb) / 100 * CA_TLS_RENEW_PCT;
}

/* Still ours: the current CA signed it, for this key and host, not due. */
static bool usable(X509 *x, const struct ca_pub *pub, EVP_PKEY *key,
		   const char *host, int64_t now)
{
	unsigned char a[16];
	int ip = inet_pton(AF_INET, host, a) == 1 ||
		 inet_pton(AF_INET6, host, a) == 1;

	return X509_verify(x, X509_get0_pubkey(pub->k.ca_cert)) == 1 &&
	       X509_check_private_key(x, key) == 1 &&
	       (ip ? X509_check_ip_asc(x, host, 0)
		   : X509_check_host(x, host, 0, 0, NULL)) == 1 &&
	       now < renew_time(x);
}

/* A request for key naming host (CN and subjectAltName). */
static int make_csr(struct ca *ca, EVP_PKEY *key, const char *host,
		    X509_REQ **out)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *san = NULL;
	char value[PKID_CONF_NAME_MAX + 8];
	int ret = -ENOMEM;

	san_of(host, value, sizeof(value));
	if (!req || !exts ||
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
					MBSTRING_UTF8,
					(const unsigned char *)host, -1, -1,
					0) ||
	    !X509_REQ_set_pubkey(req, key))
		goto out;
	san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, value);
	if (!san || !sk_X509_EXTENSION_push(exts, san))
		goto out;
	san = NULL;
	if (!X509_REQ_add_extensions(req, exts) ||
	    !X509_REQ_sign(req, key, ca->md)) {
		ret = -EIO;
		goto out;
	}
	*out = req;
	req = NULL;
	ret = 0;
out:
	X509_EXTENSION_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return ret;
}

/* Issue and record a new certificate (one transaction), write the file. */
static int issue(struct ca *ca, const struct ca_pub *pub, EVP_PKEY *key,
		 const char *host, int64_t now, const char *path, X509 **out)
{
	struct ca_issue_params p = {.now = now};
	unsigned char *der = NULL;
	size_t len = 0;
	int ret;

	ret = make_csr(ca, key, host, &p.csr);
	ret = ret ?: db_begin(ca->db);
	if (ret < 0)
		goto out;
	ret = ca_issue(ca, pub, &p, out);
	if (ret < 0) {
		db_rollback(ca->db);
		goto out;
	}
	ret = db_commit(ca->db);
	ret = ret ?: ca_x509_der(*out, &der, &len);
	ret = ret ?: ca_write_file(path, der, len, 0644);
	if (ret == 0)
		pkid_log(LOG_NOTICE, "CS_TLS_CERT",
			 "%s: TLS server certificate for %s issued, serial %lld",
			 ca->cfg.name, host,
			 (long long)ASN1_INTEGER_get(X509_get0_serialNumber(*out)));
out:
	if (ret < 0) {
		X509_free(*out);
		*out = NULL;
	}
	free(der);
	X509_REQ_free(p.csr);
	ERR_clear_error();
	return ret;
}

/* Under lock, the CA running: key (made once), certificate (kept or new). */
static int identity(struct ca *ca, const struct ca_pub *pub, const char *host,
		    int64_t now, X509 **cert, EVP_PKEY **key)
{
	char name[PKIKS_NAME_MAX], path[PKID_CONF_URL_MAX + 80];
	X509 *x;
	int ret;

	ret = tls_paths(ca, name, sizeof(name), path, sizeof(path));
	if (ret < 0)
		return ret;
	ret = ca_key_exists(ca, name);
	if (ret == 0)
		ret = ca_run_keygen_ec(ca, name);
	ret = ret < 0 ? ret : ca_load_key(ca, name, key);
	if (ret < 0)
		return ret;
	x = ca_read_der_file(path);
	if (x && usable(x, pub, *key, host, now)) {
		*cert = x;
		return 0;
	}
	X509_free(x);
	ret = issue(ca, pub, *key, host, now, path, cert);
	if (ret < 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return ret;
}

int ca_tls_identity(struct ca *ca, const char *host, X509 **cert,
		    EVP_PKEY **key, int64_t *renew_at)
{
	struct ca_pub *pub;
	int64_t now = 0;
	int ret;

	*cert = NULL;
	*key = NULL;
	pub = ca_work_begin(ca);
	if (!pub)
		return -EAGAIN;
	if (ca_now(ca, &now) < 0)
		ret = -ETIME;
	else if (ca_pub_expired(pub, now))
		ret = -EKEYEXPIRED;
	else
		ret = identity(ca, pub, host, now, cert, key);
	ca_work_end(ca, pub);
	if (ret == 0)
		*renew_at = renew_time(*cert);
	else if (ret != -EAGAIN)
		pkid_log(LOG_ERR, "CS_TLS_CERT",
			 "%s: no TLS server certificate for %s: %s",
			 ca->cfg.name, host, strerror(-ret));
	return ret;
}
