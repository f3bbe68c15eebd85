// SPDX-License-Identifier: MIT
/* Small helpers of the certificate server: names, DER, keys, times. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"
#include "provider_client.h"

int ca_fingerprint(X509 *x, char *hex, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!X509_digest(x, EVP_sha256(), md, &n) || size < n * 2 + 1)
		return -EINVAL;
	for (i = 0; i < n; i++)
		snprintf(hex + i * 2, 3, "%02X", md[i]);
	return 0;
}

/*
 * issuer-name "CN=Root CA,O=Example,C=DE" (IOS style): comma-separated
 * TYPE=VALUE, left to right; no escapes.
 */
int ca_parse_dn(const char *dn, X509_NAME **out)
{
	X509_NAME *name = X509_NAME_new();
	char *copy = strdup(dn), *save = NULL, *rdn;
	int ret = -EINVAL;

	if (!name || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	for (rdn = strtok_r(copy, ",", &save); rdn;
	     rdn = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(rdn, '=');

		while (*rdn == ' ')
			rdn++;
		if (!eq || eq == rdn || !eq[1])
			goto out;
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(name, rdn, MBSTRING_UTF8,
						(unsigned char *)eq + 1, -1, -1,
						0))
			goto out;
	}
	if (X509_NAME_entry_count(name) == 0)
		goto out;
	*out = name;
	name = NULL;
	ret = 0;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	free(copy);
	return ret;
}

int ca_x509_der(X509 *x, unsigned char **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0)
		return -EINVAL;
	*der = malloc(n);
	if (!*der) {
		OPENSSL_free(p);
		return -ENOMEM;
	}
	memcpy(*der, p, n);
	OPENSSL_free(p);
	*len = n;
	return 0;
}

X509 *ca_x509_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;

	return der ? d2i_X509(NULL, &p, (long)len) : NULL;
}

/* A keystore key, through the pkiks provider (default library context),
 * which reconnects by itself after a keystore restart. */
int ca_load_key(struct ca *ca, const char *name, EVP_PKEY **key)
{
	int ret = pkiks_pkey_load(NULL, name, key);

	if (ret < 0)
		pkid_log(LOG_ERR, "CS_KEY", "cannot load key pkiks:%s: %s",
			 name, strerror(-ret));
	ERR_clear_error();
	return ret;
}

int ca_time_of(const ASN1_TIME *t, int64_t *sec)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return -EINVAL;
	*sec = (int64_t)timegm(&tm);
	return 0;
}

bool ca_pub_expired(const struct ca_pub *pub, int64_t now)
{
	int64_t end;

	return pub && pub->k.ca_cert &&
	       ca_time_of(X509_get0_notAfter(pub->k.ca_cert), &end) == 0 &&
	       now >= end;
}

void ca_note_expired(struct ca *ca)
{
	int64_t end = 0;
	char when[32] = "?";
	struct tm tm;
	time_t t;

	if (ca->expired_logged || !ca->pub)
		return;
	ca->expired_logged = true;
	ca_time_of(X509_get0_notAfter(ca->pub->k.ca_cert), &end);
	t = (time_t)end;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pkid_log(LOG_ERR, "CS_CA_EXPIRED",
		 "%s: the CA certificate expired at %s without a rollover "
		 "CA: no certificate is issued and no CRL signed",
		 ca->cfg.name, when);
}

void ca_iso_time(int64_t t, char *buf, size_t size)
{
	pkid_iso_time(t, buf, size);
}

int ca_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

int ca_add_key_ids(X509 *x, X509V3_CTX *ctx)
{
	return ca_add_ext(x, ctx, NID_subject_key_identifier, "hash") ?:
	       ca_add_ext(x, ctx, NID_authority_key_identifier,
			  "keyid:always");
}

int ca_add_ca_exts(X509 *x, X509V3_CTX *ctx, const char *basic)
{
	return ca_add_ext(x, ctx, NID_basic_constraints, basic) ?:
	       ca_add_ext(x, ctx, NID_key_usage,
			  "critical,keyCertSign,cRLSign,digitalSignature") ?:
	       ca_add_key_ids(x, ctx);
}

int ca_add_cdp(struct ca *ca, X509 *x, X509V3_CTX *ctx)
{
	char cdp[PKID_CONF_URL_MAX + 8];

	if (!ca->cfg.cdp_url[0])
		return 0;
	snprintf(cdp, sizeof(cdp), "URI:%s", ca->cfg.cdp_url);
	return ca_add_ext(x, ctx, NID_crl_distribution_points, cdp);
}

int ca_key_matches(struct ca *ca, const char *name, X509 *x)
{
	EVP_PKEY *key = NULL;
	int ret = ca_load_key(ca, name, &key);

	if (ret == 0)
		ret = EVP_PKEY_eq(key, X509_get0_pubkey(x)) == 1;
	EVP_PKEY_free(key);
	return ret;
}

void ca_dn_text(const X509_NAME *n, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem;
	long len;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0,
			       ASN1_STRFLGS_RFC2253 | XN_FLAG_SEP_COMMA_PLUS |
				       XN_FLAG_FN_SN) >= 0) {
		len = BIO_get_mem_data(b, &mem);
		snprintf(buf, size, "%.*s", (int)(len < 0 ? 0 : len), mem);
	}
	BIO_free(b);
}

/*
 * The first start of a server whose certificate comes from elsewhere (mode
 * sub-cs: the parent; mode ra: the upstream CA): its key NAME in the
 * keystore, made by pkiks-keygen if missing, and its row recorded.
 */
int ca_key_and_row(struct ca *ca, struct db_ca *row, bool ra,
		   const char **why)
{
	int ret;

	snprintf(row->name, sizeof(row->name), "%s", ca->cfg.name);
	snprintf(row->cur_key, sizeof(row->cur_key), "%s", ca->cfg.name);
	ret = ca_key_exists(ca, ca->cfg.name);
	if (ret == 0) {
		/* "both": the key opens its trustpoint's CertReps too: an RSA
		 * key decrypts them, a sub's ECDSA key (eckeypair) derives
		 * them (ECDH).  An RA's key is RSA: it decrypts requests. */
		ret = ra ? ca_run_keygen(ca, ca->cfg.name, "both", NULL)
			 : ca_run_keygen_ca(ca, ca->cfg.name, "both", NULL);
		if (ret == 0 && ra)
			pkid_log(LOG_NOTICE, "CS_RA_KEY",
				 "%s: RA key generated; its certificate comes "
				 "from the upstream CA (trustpoint %s)",
				 ca->cfg.name, ca->cfg.name);
		else if (ret == 0)
			pkid_log(LOG_NOTICE, "CS_SUB_KEY",
				 "%s: CA key generated; its certificate comes "
				 "from the parent (trustpoint %s)",
				 ca->cfg.name, ca->cfg.name);
	}
	if (ret < 0) {
		*why = ra ? "cannot make the RA key" : "cannot make the CA key";
		return ret;
	}
	ret = db_ca_put(ca->db, row);
	if (ret < 0)
		*why = ra ? "cannot record the RA" : "cannot record the CA";
	return ret;
}
