// SPDX-License-Identifier: MIT
/*
 * An offline CA (issue 17): requests and certificates as files, IOS's
 * manual flow (`crypto pki server ROOT request pkcs10 terminal`), for a
 * root on a machine with no network at all.
 *
 *   server request import NAME PEM   a PKCS#10 the operator carried in
 *                                    becomes a pending request: never
 *                                    granted by itself (a file proves
 *                                    nothing about who sent it), the
 *                                    operator's `server grant` issues it
 *   server request export NAME ID    the certificate issued for request
 *                                    ID, PEM, to carry back
 *
 * The text came from a file someone carried: bounded (the control frame
 * and CA_IMPORT_PEM_MAX), parsed by OpenSSL, its signature and content
 * checked (ca_csr_check) before anything is stored.  An imported request
 * has no SCEP signer; a subordinate's rollover request (a new key for
 * the subject of a CA certificate we issued) still starts at that
 * certificate's end (ca_sub_roll_start), and a sub whose certificate
 * ends with ours is issued by our rollover CA, its new key or its key
 * kept (ca_sub_roll_next).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ca_internal.h"
#include "core/log.h"
#include "proto/scep/scep.h" /* scep_next_ca: GetNextCACert's encoding */

#define CA_IMPORT_PEM_MAX 65536
#define CA_IMPORT_AGAIN_MAX 64 /* the same PKCS#10 as new requests */

static X509_REQ *pem_csr(const char *pem, const char **why)
{
	size_t len = strnlen(pem, CA_IMPORT_PEM_MAX + 1);
	X509_REQ *csr = NULL;
	BIO *b;

	*why = "the file is larger than 64 KiB: not one certificate request";
	if (len > CA_IMPORT_PEM_MAX)
		return NULL;
	b = BIO_new_mem_buf(pem, (int)len);
	if (b)
		csr = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	*why = csr ? NULL
		   : "not a PEM certificate request (-----BEGIN CERTIFICATE "
		     "REQUEST-----)";
	return csr;
}

/* "import-" and the first 16 bytes of the CSR's SHA-256: the same file
 * imported twice is the same request. */
static int import_tid(X509_REQ *csr, char *tid, size_t size)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	int len = i2d_X509_REQ(csr, &der);
	int ok = len > 0 && EVP_Digest(der, len, md, &n, EVP_sha256(), NULL);
	size_t off;

	OPENSSL_free(der);
	if (!ok || size < 7 + 33)
		return -EIO;
	off = (size_t)snprintf(tid, size, "import-");
	for (i = 0; i < 16; i++)
		off += (size_t)snprintf(tid + off, size - off, "%02X", md[i]);
	return 0;
}

/*
 * The same file twice while its request waits is the same request
 * (-EEXIST, @id the first one).  Once that one is done (issued or
 * rejected), the same PKCS#10 is a new request: a renewal or a SHADOW
 * for the same key is the same DER as the first request (same subject,
 * same key, deterministic RSA signature), so it gets "-2", "-3", ...
 * after the digest, at most CA_IMPORT_AGAIN_MAX times.
 */
static int free_tid(struct ca *ca, char *tid, size_t size, int64_t *id)
{
	char base[64]; /* "import-" and 32 hex digits */
	struct db_request r = {0};
	int i, ret = 0;

	if (strlen(tid) >= sizeof(base))
		return -EINVAL;
	snprintf(base, sizeof(base), "%s", tid);
	for (i = 1; i <= CA_IMPORT_AGAIN_MAX; i++) {
		if (i > 1)
			snprintf(tid, size, "%s-%d", base, i);
		ret = db_request_by_tid(ca->db, ca->cfg.name, tid, &r);
		if (ret == -ENOENT)
			return 0;
		if (ret < 0)
			return ret;
		*id = r.id;
		ret = r.state == DB_REQ_PENDING || r.state == DB_REQ_GRANTED
			      ? -EEXIST
			      : 0;
		db_request_free(&r);
		memset(&r, 0, sizeof(r));
		if (ret < 0)
			return ret;
	}
	*id = 0;
	return -ENOSPC;
}

int ca_request_import(struct ca *ca, const char *pem, int64_t now,
		      int64_t *id, char *why, size_t n)
{
	struct db_request r = {0};
	const char *bad = NULL;
	X509_REQ *csr = pem_csr(pem, &bad);
	char tid[DB_TID_MAX];
	int ret = -EINVAL;

	*id = 0;
	if (!csr) {
		snprintf(why, n, "%s", bad);
		return ret;
	}
	if (X509_REQ_verify(csr, X509_REQ_get0_pubkey(csr)) != 1) {
		snprintf(why, n, "the request's signature does not verify");
		goto out;
	}
	ERR_clear_error();
	if (ca_csr_check(csr, why, n) < 0)
		goto out;
	ret = import_tid(csr, tid, sizeof(tid));
	ret = ret ?: free_tid(ca, tid, sizeof(tid), id);
	if (ret == -EEXIST)
		snprintf(why, n, "imported already as request %lld",
			 (long long)*id);
	else if (ret == -ENOSPC)
		snprintf(why, n, "this request was imported %d times already",
			 CA_IMPORT_AGAIN_MAX);
	if (ret < 0)
		goto out;
	ret = ca_store_pending(ca, csr, tid, now, &r);
	if (ret < 0) {
		snprintf(why, n, "cannot record the request");
		goto out;
	}
	*id = r.id;
	ca_rearm_er_expire(ca, now);
	pkid_log(LOG_NOTICE, "CS_REQUEST_IMPORTED",
		 "%s: request %lld imported from a file (%s): pending for the "
		 "operator's grant",
		 ca->cfg.name, (long long)r.id,
		 ca_csr_wants_ca(csr) ? "a CA certificate" : "a certificate");
out:
	db_request_free(&r);
	X509_REQ_free(csr);
	return ret;
}

/*
 * server rollover export NAME: the rollover CA certificate (and its RA's)
 * for an offline root's subordinates, as the GetNextCACert answer (RFC
 * 8894 §4.7: a SignedData by the current CA), PEM "PKCS7".  The sub's
 * `trustpoint import ca-certificate` checks that signature against the
 * root it holds, as a network GetNextCACert is checked: the file needs
 * no fingerprint of its own.
 */
int ca_rollover_export(struct ca *ca, int64_t now, char **pem, char *why,
		       size_t n)
{
	const struct ca_keys *k = &ca->pub->k;
	STACK_OF(X509) *next = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	BIO *b = NULL;
	char *mem;
	long m;
	int ret = -ENOENT;

	*pem = NULL;
	if (!k->roll_cert) {
		snprintf(why, n,
			 "no rollover CA certificate yet (the auto-rollover "
			 "window or `server rollover` makes it)");
		return ret;
	}
	ret = -ENOMEM;
	next = sk_X509_new_null();
	if (!next || !sk_X509_push(next, k->roll_cert) ||
	    (k->roll_ra_cert && !sk_X509_push(next, k->roll_ra_cert)))
		goto out;
	ret = k->ca_key ? scep_next_ca(k->ca_cert, k->ca_key, ca->md, next, now,
				       &der, &len)
			: scep_next_ca(k->ra_cert, k->ra_key, ca->md, next, now,
				       &der, &len);
	b = ret == 0 ? BIO_new(BIO_s_mem()) : NULL;
	if (ret == 0 &&
	    (!b || PEM_write_bio(b, "PKCS7", "", der, (long)len) <= 0))
		ret = -ENOMEM;
	if (ret == 0) {
		m = BIO_get_mem_data(b, &mem);
		*pem = strndup(mem, (size_t)m);
		ret = *pem ? 0 : -ENOMEM;
	}
	if (ret < 0)
		snprintf(why, n, "cannot sign the rollover CA certificate: %s",
			 strerror(-ret));
out:
	sk_X509_free(next);
	BIO_free(b);
	free(der);
	return ret;
}

static int cert_pem(const unsigned char *der, size_t len, char **pem)
{
	X509 *x = ca_x509_from_der(der, len);
	BIO *b = BIO_new(BIO_s_mem());
	char *mem;
	long n;
	int ret = x && b && PEM_write_bio_X509(b, x) ? 0 : -EBADMSG;

	if (ret == 0) {
		n = BIO_get_mem_data(b, &mem);
		*pem = strndup(mem, (size_t)n);
		ret = *pem ? 0 : -ENOMEM;
	}
	X509_free(x);
	BIO_free(b);
	return ret;
}

int ca_request_export(struct ca *ca, int64_t id, int64_t now, char **pem,
		      char *why, size_t n)
{
	struct db_request r = {0};
	struct db_cert c = {0};
	X509 *x = NULL;
	int ret = db_request_get(ca->db, id, &r);

	*pem = NULL;
	if (ret == 0 && strcmp(r.server, ca->cfg.name))
		ret = -ENOENT;
	if (ret < 0) {
		snprintf(why, n, "no request %lld", (long long)id);
		goto out;
	}
	/* Granted while a rollover exists: issued now, by the current CA,
	 * or by the rollover CA for a sub that ends with the current one. */
	if (r.state == DB_REQ_GRANTED) {
		struct ca_pub view = {0};
		const struct ca_pub *issuer = ca->pub;

		if (ca_sub_roll_next(ca, ca->pub, &r, now)) {
			view.k.ca_cert = ca->pub->k.roll_cert;
			view.k.ca_key = ca->pub->k.roll_key;
			issuer = &view;
			pkid_log(LOG_NOTICE, "CS_SUB_CA_REQUEST",
				 "%s: request %lld: the subordinate's "
				 "certificate ends with ours: its next CA "
				 "certificate (its rollover key, or its key "
				 "kept) is issued by our rollover CA",
				 ca->cfg.name, (long long)r.id);
		}
		ret = ca_issue_request(ca, issuer, &r, now, &x);
		X509_free(x);
		if (ret < 0) {
			snprintf(why, n, "cannot issue: %s", strerror(-ret));
			goto out;
		}
	}
	if (r.state != DB_REQ_ISSUED) {
		snprintf(why, n, "request %lld is %s: %s", (long long)id,
			 db_req_state_name(r.state),
			 r.state == DB_REQ_PENDING
				 ? "grant it first (`server grant`)"
				 : "nothing to export");
		ret = r.state == DB_REQ_PENDING ? -EAGAIN : -EPERM;
		goto out;
	}
	ret = db_cert_get(ca->db, ca->cfg.name, r.serial, &c);
	ret = ret ?: cert_pem(c.der, c.der_len, pem);
	if (ret < 0)
		snprintf(why, n, "the certificate is unreadable");
out:
	db_cert_free(&c);
	db_request_free(&r);
	return ret;
}
