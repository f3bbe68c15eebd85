// SPDX-License-Identifier: MIT
/*
 * Certificate issuance: the self-signed CA certificate and certificates
 * for requests (ROLLOVER.md §3: issuer-name, hash, lifetimes truncated at
 * the CA's notAfter, subject and subjectAltName from the request, keyUsage
 * and EKU, AKI/SKI, cdp-url, ocsp-url).  Serials come from the database counter and
 * are reserved before signing, so a crash leaves a gap, never a repeat:
 * one at a time inside the issuing transaction, or (an enrollment signed
 * outside the CA's lock) from a block reserved durably beforehand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/log.h"
#include "schedule.h"

/* The request's subjectAltName (ca_csr_check: one, names checked). */
static int copy_san(X509 *x, X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	int i, ret = 0;

	for (i = 0; exts && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) ==
			    NID_subject_alt_name &&
		    !X509_add_ext(x, e, -1))
			ret = -ENOMEM;
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ret;
}

static int sign_md(X509 *x, EVP_PKEY *key, const EVP_MD *md)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int ok = mctx &&
		 EVP_DigestSignInit_ex(mctx, NULL, EVP_MD_get0_name(md), NULL,
				       CA_PROPQ, key, NULL) == 1 &&
		 X509_sign_ctx(x, mctx) > 0;

	EVP_MD_CTX_free(mctx);
	return ok ? 0 : -EIO;
}

/* Sign with the CA key in the keystore (CA_PROPQ). */
int ca_sign_x509(struct ca *ca, X509 *x, EVP_PKEY *key)
{
	return sign_md(x, key, ca->md);
}

/*
 * 64 serials per block: one synced transaction per 64 enrollments, and a
 * crash or stop leaves at most 63 unused (the counter in `show server` is
 * the last one reserved).
 */
#define CA_SERIAL_BLOCK 64

int ca_serial_block_fill(struct ca *ca)
{
	int64_t first;
	int ret;

	if (ca->serial_next > 0 && ca->serial_next < ca->serial_end)
		return 0;
	ret = db_serial_reserve_block(ca->db, ca->cfg.name, CA_SERIAL_BLOCK,
				      &first);
	if (ret < 0)
		return ret;
	ca->serial_next = first;
	ca->serial_end = first + CA_SERIAL_BLOCK;
	return 0;
}

/* A planned enrollment takes the next serial of the block; anything else
 * reserves one in its own transaction. */
static int take_serial(struct ca *ca, const struct ca_presign *pre,
		       int64_t *serial)
{
	if (pre && pre->mode == CA_PRESIGN_PLAN) {
		if (ca->serial_next <= 0 || ca->serial_next >= ca->serial_end)
			return -ENOSPC; /* ca_serial_block_fill first */
		*serial = ca->serial_next++;
		return 0;
	}
	return db_serial_reserve(ca->db, ca->cfg.name, serial);
}

/*
 * The request's SubjectPublicKeyInfo copied as it came (algorithm,
 * parameters, key bits): X509_set_pubkey() would encode the key again
 * through OpenSSL 3's encoders, 7 % of pkid's CPU per enrollment
 * (issue 14).  The parameters an RSA or EC key has (none, NULL, a curve
 * OID, an explicit SEQUENCE) are copied; anything else takes the slow way.
 */
static int copy_spki(X509 *x, X509_PUBKEY *from, EVP_PKEY *key)
{
	const unsigned char *bits;
	const ASN1_OBJECT *alg;
	const void *pval;
	ASN1_OBJECT *o = NULL;
	unsigned char *enc = NULL;
	void *pv = NULL;
	X509_ALGOR *a;
	int type, n;

	if (!from || !X509_PUBKEY_get0_param(NULL, &bits, &n, &a, from))
		return X509_set_pubkey(x, key) ? 0 : -ENOMEM;
	X509_ALGOR_get0(&alg, &type, &pval, a);
	if (type == V_ASN1_OBJECT)
		pv = OBJ_dup(pval);
	else if (type == V_ASN1_SEQUENCE)
		pv = ASN1_STRING_dup(pval);
	else if (type != V_ASN1_NULL && type != V_ASN1_UNDEF)
		return X509_set_pubkey(x, key) ? 0 : -ENOMEM;
	o = OBJ_dup(alg);
	enc = OPENSSL_memdup(bits, n > 0 ? n : 1);
	if (o && enc && (pv || type == V_ASN1_NULL || type == V_ASN1_UNDEF) &&
	    X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), o, type, pv, enc,
				   n))
		return 0;
	ASN1_OBJECT_free(o);
	OPENSSL_free(enc);
	if (type == V_ASN1_OBJECT)
		ASN1_OBJECT_free(pv);
	else
		ASN1_STRING_free(pv);
	return -ENOMEM;
}

/* Version, serial (reserved now), names, validity and public key (the
 * request's SubjectPublicKeyInfo when there is one). */
static int cert_skeleton(struct ca *ca, X509 *x, const X509_NAME *issuer,
			 const X509_NAME *subject, EVP_PKEY *pub,
			 X509_PUBKEY *spki, int64_t not_before,
			 int64_t not_after, const struct ca_presign *pre)
{
	int64_t serial;
	int ret;

	ret = take_serial(ca, pre, &serial);
	if (ret < 0)
		return ret;
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_int64(X509_get_serialNumber(x), serial) ||
	    !X509_set_issuer_name(x, issuer) ||
	    !X509_set_subject_name(x, subject) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after))
		return -ENOMEM;
	return spki ? copy_spki(x, spki, pub)
		    : X509_set_pubkey(x, pub) ? 0 : -ENOMEM;
}

int ca_self_sign(struct ca *ca, EVP_PKEY *key, int64_t not_before, X509 **out)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	X509V3_CTX ctx;
	int ret = -ENOMEM;

	if (!x)
		goto out;
	ret = ca_parse_dn(ca->cfg.issuer_name, &name);
	if (ret < 0)
		goto out;
	ret = cert_skeleton(ca, x, name, name, key, NULL, not_before,
			    not_before + ca->cfg.lifetime_ca_cert, NULL);
	if (ret < 0)
		goto out;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ret = ca_add_ca_exts(x, &ctx, "critical,CA:TRUE");
	if (ret < 0)
		goto out;
	ret = ca_sign_x509(ca, x, key);
	if (ret < 0)
		goto out;
	*out = x;
	x = NULL;
	ret = 0;
out:
	if (ret < 0)
		ERR_print_errors_fp(stderr);
	X509_NAME_free(name);
	X509_free(x);
	return ret;
}

/* RFC 6960 §4.2.2.2: id-kp-OCSPSigning; id-pkix-ocsp-nocheck (§4.2.2.2.1)
 * tells clients not to check the responder's own status. */
static int ocsp_extensions(X509 *x, X509V3_CTX *ctx)
{
	return ca_add_ext(x, ctx, NID_key_usage, "critical,digitalSignature") ?:
	       ca_add_ext(x, ctx, NID_ext_key_usage, "OCSPSigning") ?:
	       ca_add_ext(x, ctx, NID_id_pkix_OCSP_noCheck, "ignored");
}

/* End-entity (or RA) extensions. */
static int ee_extensions(struct ca *ca, X509 *x, X509 *issuer,
			 const struct ca_issue_params *p)
{
	char aia[PKID_CONF_URL_MAX + 16];
	X509V3_CTX ctx;
	int ret;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ret = ca_add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	if (p->ocsp) /* a delegated responder: signs responses only */
		ret = ret ?: ocsp_extensions(x, &ctx);
	else
		ret = ret
			      ?: ca_add_ext(x, &ctx, NID_key_usage,
					 "critical,digitalSignature,"
					 "keyEncipherment");
	if (!p->ra)
		ret = ret
			      ?: ca_add_ext(x, &ctx, NID_ext_key_usage,
					 "serverAuth,clientAuth");
	if (!ret && !p->ra && ca->cfg.ocsp_url[0]) {
		snprintf(aia, sizeof(aia), "OCSP;URI:%s", ca->cfg.ocsp_url);
		ret = ca_add_ext(x, &ctx, NID_info_access, aia);
	}
	ret = ret ?: ca_add_key_ids(x, &ctx);
	ret = ret ?: ca_add_cdp(ca, x, &ctx);
	if (!ret && p->csr)
		ret = copy_san(x, p->csr);
	return ret;
}

/*
 * A failed <serial>.cer write fails the issuance (the caller rolls the
 * certificate back); said once until a write works again, so a client
 * retrying against a full disk does not fill the log as well.
 */
static void note_cer_write(struct ca *ca, const char *path, int ret)
{
	if (ret == 0 && ca->cer_failing) {
		ca->cer_failing = false;
		pkid_log(LOG_NOTICE, "CS_CERT_FILE",
			 "%s: certificate files are written again",
			 ca->cfg.name);
	} else if (ret < 0 && !ca->cer_failing) {
		ca->cer_failing = true;
		pkid_log(LOG_ERR, "CS_CERT_FILE",
			 "%s: cannot write %s: %s: no certificate is issued "
			 "until it can be",
			 ca->cfg.name, path, strerror(-ret));
	}
}

/*
 * <serial>.cer files are a copy of what the database holds, for operators
 * and scripts; the database (WAL, synchronous=FULL, committed before the
 * CertRep leaves) is the durable record.  A file is still written inside
 * the enrollment's transaction, so a full disk fails the enrollment as
 * before (nothing recorded, HTTP 503), but it is not synced on its own:
 * an fsync per certificate was a quarter of pkid's CPU and half its
 * one-client rate (issue 14).  One syncfs() makes CA_CER_GROUP files
 * durable at a time, and the rest at stop; what a crash loses of the
 * last group, the next start rebuilds from the database.  Since no answer
 * waits for the files, a group's syncfs runs on a thread of its own
 * (ca_cer_sync_behind): inline, it held one enrollment in 64 (and the
 * CA's lock) for the whole file system's sync, ~12 ms on an idle machine.
 */
#define CA_CER_GROUP 64

struct cer_sync {
	char dir[PKID_CONF_URL_MAX];
	char name[PKID_CONF_NAME_MAX];
	int fd;
};

/* One syncfs of the directory's file system; false if it failed. */
static bool cer_syncfs(const char *name, const char *dir, int fd)
{
	if (fd >= 0 && syncfs(fd) == 0)
		return true;
	pkid_log(LOG_ERR, "CS_CERT_FILE", "%s: cannot sync %s: %s", name, dir,
		 strerror(errno));
	return false;
}

/* The thread of ca_cer_sync_behind. */
static void *cer_sync_main(void *arg)
{
	struct cer_sync *cs = arg;

	cer_syncfs(cs->name, cs->dir, cs->fd);
	close(cs->fd);
	free(cs);
	return NULL;
}

/* The group's sync thread, if one ran: wait for it. */
static void cer_syncer_join(struct ca *ca)
{
	if (ca->cer_syncer_on)
		pthread_join(ca->cer_syncer, NULL);
	ca->cer_syncer_on = false;
}

void ca_cer_sync(struct ca *ca)
{
	char dir[PKID_CONF_URL_MAX];
	int fd;

	cer_syncer_join(ca);
	if (!ca->cer_unsynced || ca_dir(ca, dir, sizeof(dir)) < 0)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* if it fails, kept unsynced: the next group tries again */
	if (cer_syncfs(ca->cfg.name, dir, fd))
		ca->cer_unsynced = 0;
	if (fd >= 0)
		close(fd);
}

/*
 * The group's syncfs on a thread; the count starts again at once (a
 * failure is logged there, and the next group's syncfs covers these files
 * too: it syncs the whole file system).  While the last one still runs,
 * nothing: the next certificate tries again.  Without a thread, inline.
 */
void ca_cer_sync_behind(struct ca *ca)
{
	struct cer_sync *cs;

	if (ca->cer_syncer_on &&
	    pthread_tryjoin_np(ca->cer_syncer, NULL) == EBUSY)
		return;
	ca->cer_syncer_on = false; /* joined */
	cs = calloc(1, sizeof(*cs));
	if (!cs || ca_dir(ca, cs->dir, sizeof(cs->dir)) < 0) {
		free(cs);
		ca_cer_sync(ca);
		return;
	}
	snprintf(cs->name, sizeof(cs->name), "%s", ca->cfg.name);
	cs->fd = open(cs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cs->fd < 0 ||
	    pthread_create(&ca->cer_syncer, NULL, cer_sync_main, cs) != 0) {
		if (cs->fd >= 0)
			close(cs->fd);
		free(cs);
		ca_cer_sync(ca);
		return;
	}
	ca->cer_syncer_on = true;
	ca->cer_unsynced = 0;
}

struct cer_rebuild {
	const char *dir;
	unsigned int written;
	int err;
};

/* A file that is there with the right size is the one we wrote. */
static int cer_rebuild_one(const struct db_cert *c, void *arg)
{
	struct cer_rebuild *r = arg;
	char path[PKID_CONF_URL_MAX + 32];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%lld.cer", r->dir,
		 (long long)c->serial);
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (size_t)sb.st_size == c->der_len)
		return 0;
	r->err = ca_write_file_sync(path, c->der, c->der_len, 0644, false);
	if (r->err < 0) {
		pkid_log(LOG_ERR, "CS_CERT_FILE", "%s: cannot write %s: %s",
			 c->server, path, strerror(-r->err));
		return r->err; /* a full disk: the rest would fail too */
	}
	r->written++;
	return 0;
}

void ca_cer_rebuild(struct ca *ca)
{
	char dir[PKID_CONF_URL_MAX];
	struct cer_rebuild r = {.dir = dir};

	if (ca->cfg.db_level != PKID_DB_LEVEL_COMPLETE ||
	    ca_dir(ca, dir, sizeof(dir)) < 0)
		return;
	db_cert_foreach(ca->db, ca->cfg.name, 0, cer_rebuild_one, &r);
	if (!r.written)
		return;
	ca->cer_unsynced += r.written;
	ca_cer_sync(ca);
	pkid_log(LOG_NOTICE, "CS_CERT_FILE",
		 "%s: %u certificate file(s) rebuilt from the database",
		 ca->cfg.name, r.written);
}

/* Record the certificate; with `database level complete` also <serial>.cer. */
static int record(struct ca *ca, X509 *x, X509 *issuer, int64_t request_id)
{
	struct db_cert c = {0};
	char dir[PKID_CONF_URL_MAX], path[PKID_CONF_URL_MAX + 32];
	int ret;

	snprintf(c.server, sizeof(c.server), "%s", ca->cfg.name);
	ASN1_INTEGER_get_int64(&c.serial, X509_get0_serialNumber(x));
	c.subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	ca_time_of(X509_get0_notBefore(x), &c.not_before);
	ca_time_of(X509_get0_notAfter(x), &c.not_after);
	ca_fingerprint(x, c.fingerprint, sizeof(c.fingerprint));
	ca_fingerprint(issuer, c.issuer_fp, sizeof(c.issuer_fp));
	c.request_id = request_id;
	ret = ca_x509_der(x, &c.der, &c.der_len);
	if (ret == 0)
		ret = db_cert_add(ca->db, &c);
	if (ret == 0 && ca->cfg.db_level == PKID_DB_LEVEL_COMPLETE &&
	    ca_dir(ca, dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/%lld.cer", dir,
			 (long long)c.serial);
		ret = ca_write_file_sync(path, c.der, c.der_len, 0644, false);
		note_cer_write(ca, path, ret);
		if (ret == 0 && ++ca->cer_unsynced >= CA_CER_GROUP)
			ca_cer_sync_behind(ca);
	}
	OPENSSL_free(c.subject);
	free(c.der);
	return ret;
}

/* Was pre's certificate built for this very issuance (ca_presign)? */
static bool presigned_for(struct ca *ca, const struct ca_pub *pub,
			  const struct ca_issue_params *p)
{
	const struct ca_presign *pre = p->pre;

	return pre && pre->mode == CA_PRESIGN_APPLY && pre->x &&
	       pre->csr == p->csr && pre->issuer == pub->k.ca_cert &&
	       pre->now == p->now && pre->cfg_gen == ca->cfg_gen;
}

/* PLAN: keep the built certificate for signing outside the lock. */
static int plan(struct ca *ca, const struct ca_pub *pub,
		const struct ca_issue_params *p, X509 **x)
{
	struct ca_presign *pre = p->pre;

	pre->x = *x;
	*x = NULL;
	pre->csr = p->csr;
	pre->issuer = pub->k.ca_cert;
	pre->now = p->now;
	pre->cfg_gen = ca->cfg_gen;
	pre->md = ca->md;
	return -EINPROGRESS;
}

int ca_presign_sign(struct ca_presign *pre, EVP_PKEY *key)
{
	int ret = sign_md(pre->x, key, pre->md);

	if (ret < 0)
		ERR_print_errors_fp(stderr);
	return ret;
}

int ca_issue(struct ca *ca, const struct ca_pub *pub,
	     const struct ca_issue_params *p, X509 **out)
{
	X509 *x = NULL;
	EVP_PKEY *key = p->csr ? X509_REQ_get0_pubkey(p->csr) : p->pubkey;
	const X509_NAME *subject = p->subject;
	int64_t start = p->not_before ? p->not_before : p->now;
	struct ca_presign *pre = p->pre;
	struct sched_validity cav, v;
	char why[160];
	int ret = -ENOMEM;

	if (presigned_for(ca, pub, p)) {
		/* Built and checked under the lock, signed outside it. */
		x = pre->x;
		pre->x = NULL;
		ret = 0;
		goto record;
	}
	if (pre && pre->mode == CA_PRESIGN_PLAN &&
	    !(ca->serial_next > 0 && ca->serial_next < ca->serial_end))
		pre = NULL; /* no block reserved: signed here, as before */
	else if (pre && pre->mode != CA_PRESIGN_PLAN)
		pre = NULL; /* not the one planned: signed here */
	x = X509_new();
	if (!x || !key)
		goto out;
	/* Checked when the request came; again for requests stored before. */
	if (p->csr && ca_csr_check(p->csr, why, sizeof(why)) < 0) {
		pkid_log(LOG_NOTICE, "CS_CSR_REFUSED", "%s: request %lld: %s",
			 ca->cfg.name, (long long)p->request_id, why);
		ret = -EPERM;
		goto out;
	}
	if (!subject)
		subject = X509_REQ_get_subject_name(p->csr);
	ret = ca_time_of(X509_get0_notAfter(pub->k.ca_cert), &cav.not_after);
	ret = ret
		      ?: ca_time_of(X509_get0_notBefore(pub->k.ca_cert),
				    &cav.not_before);
	if (ret < 0)
		goto out;
	/* An expired CA issues nothing (its certificates would start after
	 * they end). */
	if (start >= cav.not_after) {
		ret = -EKEYEXPIRED;
		goto out;
	}
	/* Starts no earlier than the issuer, ends no later (schedule.h);
	 * under the rollover CA, validity starts where that CA starts. */
	v = sched_issue(p->not_before, p->now,
			p->ra && p->lifetime ? p->lifetime
					     : ca->cfg.lifetime_cert,
			cav, p->ra && !p->lifetime);
	ret = cert_skeleton(ca, x, X509_get_subject_name(pub->k.ca_cert), subject,
			    key, p->csr ? X509_REQ_get_X509_PUBKEY(p->csr) : NULL,
			    v.not_before, v.not_after, pre);
	/* A request for a CA went through ca_sub_policy() to get here. */
	if (!ret && p->csr && ca_csr_wants_ca(p->csr))
		ret = ca_sub_extensions(ca, x, pub->k.ca_cert);
	else
		ret = ret ?: ee_extensions(ca, x, pub->k.ca_cert, p);
	if (ret < 0)
		goto out;
	if (pre) {
		ret = plan(ca, pub, p, &x);
		goto out;
	}
	ret = ca_sign_x509(ca, x, pub->k.ca_key);
	if (ret < 0)
		goto out;
record:
	/* On the signed certificate: OpenSSL's check reads the extensions
	 * it caches, which must not be cached before they are final. */
	ret = ca_name_constraints_check(ca, x, pub->k.ca_cert, p->request_id);
	if (ret < 0)
		goto out;
	ret = record(ca, x, pub->k.ca_cert, p->request_id);
	if (ret < 0)
		goto out;
	*out = x;
	x = NULL;
out:
	if (ret < 0 && ret != -EINPROGRESS)
		ERR_print_errors_fp(stderr);
	X509_free(x);
	return ret;
}
