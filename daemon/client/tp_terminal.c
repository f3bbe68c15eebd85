// SPDX-License-Identifier: MIT
/*
 * `enrollment terminal` (IOS): a trustpoint whose CA is not reachable
 * over the network (an offline root).  The requests and the answers are
 * files the operator carries:
 *
 *   trustpoint TP import ca-certificate PEM [--accept]
 *        authenticate: the CA's certificate from a file; its SHA-256
 *        fingerprint must be the configured `fingerprint`, or the
 *        operator accepts the one shown
 *   trustpoint TP enroll
 *        the request (first enrollment, renewal, or the sub's rollover
 *        key) is made as for SCEP and kept as a PKCS#10 PEM in the state
 *        directory (TP-request.pem); enroll prints it, again while it
 *        waits; pending_tid is "terminal"
 *   trustpoint TP import ca-certificate PKCS7
 *        the CA's rollover CA: its GetNextCACert answer as a file (`pkictl
 *        server CA rollover export` on a pkid CA), signed by the CA held
 *   trustpoint TP import certificate PEM
 *        the CA's answer: it must be for the key of the request that
 *        waits and verify under the trustpoint's CA; then it is
 *        installed as an answer over SCEP would be (tp_install, or to
 *        the CA's row for the sub's rollover)
 *
 * Everything read here came from a file someone carried: bounded (the
 * control frame, TP_TERMINAL_PEM_MAX), parsed by OpenSSL, checked before
 * anything is stored, and never echoed back into a log or a view.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include "core/log.h"
#include "proto/scep/scep_client.h"
#include "tp_internal.h"

static int req_path(const struct tp *tp, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s/%s-request.pem", tp->set->crl_dir,
		     tp->cfg.name) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int tp_terminal_save(struct tp *tp, const unsigned char *der, size_t len)
{
	char path[PKID_CONF_PATH_MAX + 80], tmp[PKID_CONF_PATH_MAX + 96];
	const unsigned char *p = der;
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, (long)len);
	FILE *f = NULL;
	int ret = csr ? req_path(tp, path, sizeof(path)) : -EBADMSG;

	if (ret < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	ret = f && PEM_write_X509_REQ(f, csr) ? 0 : -EIO;
	if (f && fclose(f) != 0)
		ret = -EIO;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret == 0)
		pkid_log(LOG_WARNING, "TERMINAL_REQUEST",
			 "trustpoint %s: enrollment terminal: take the "
			 "request %s (`pkictl trustpoint %s enroll` prints "
			 "it) to the CA, then `pkictl trustpoint %s import "
			 "certificate FILE`",
			 tp->cfg.name, path, tp->cfg.name, tp->cfg.name);
out:
	X509_REQ_free(csr);
	return ret;
}

int tp_terminal_pem(struct tp *tp, char **pem)
{
	char path[PKID_CONF_PATH_MAX + 80];
	X509_REQ *csr = NULL;
	FILE *f = NULL;
	BIO *b = NULL;
	char *mem;
	long n;
	int ret = req_path(tp, path, sizeof(path));

	*pem = NULL;
	if (ret < 0)
		return ret;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	csr = PEM_read_X509_REQ(f, NULL, NULL, NULL);
	fclose(f);
	b = BIO_new(BIO_s_mem());
	ret = csr && b && PEM_write_bio_X509_REQ(b, csr) ? 0 : -EBADMSG;
	if (ret == 0) {
		n = BIO_get_mem_data(b, &mem);
		*pem = strndup(mem, (size_t)n);
		ret = *pem ? 0 : -ENOMEM;
	}
	X509_REQ_free(csr);
	BIO_free(b);
	return ret;
}

/* One certificate from PEM text, nothing else accepted. */
static X509 *pem_cert(const char *pem, const char **why)
{
	size_t len = strnlen(pem, TP_TERMINAL_PEM_MAX + 1);
	BIO *b;
	X509 *x = NULL;

	*why = "the file is larger than 64 KiB: not one certificate";
	if (len > TP_TERMINAL_PEM_MAX)
		return NULL;
	b = BIO_new_mem_buf(pem, (int)len);
	if (b)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	*why = x ? NULL
		 : "not a PEM certificate (-----BEGIN CERTIFICATE-----)";
	return x;
}

/* Does the identity end with its CA (truncated)?  Then its successor
 * can only come from the rollover CA: a SHADOW (ROLLOVER.md §4.1). */
static bool ends_with_ca(const struct db_tp *st)
{
	X509 *id = tp_x509(st->id_cert, st->id_cert_len);
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	int64_t id_nb, id_na, ca_nb, ca_na;
	bool yes = id && ca && tp_cert_times(id, &id_nb, &id_na) == 0 &&
		   tp_cert_times(ca, &ca_nb, &ca_na) == 0 && id_na >= ca_na;

	X509_free(id);
	X509_free(ca);
	return yes;
}

/*
 * The rollover CA just came: an identity that ends with the CA SHADOWs
 * now, as a file (tp_terminal_shadow): the operator who brought the
 * rollover CA takes the request back on the same trip, and waiting gains
 * nothing (the certificate starts at the rollover CA's start anyway).
 * Another identity is planned again (RENEW first; its SHADOW, once due,
 * finds the rollover CA held).  A sub that rolls its own key over makes
 * no SHADOW of the old one (tp_sub.c): its rollover request goes instead.
 */
static void shadow_now(struct tp *tp, struct db_tp *st)
{
	int64_t at;

	if (tp->sub_own_roll || st->pending_kind != TP_KIND_NONE ||
	    st->shadow_id_cert || !st->id_cert)
		return;
	if (ends_with_ca(st))
		tp_terminal_shadow(tp, st);
	else
		tp_arm_lifecycle(tp, st, &at);
}

/*
 * The CA's rollover CA certificate from a file: the CA's own GetNextCACert
 * answer (`pkictl server CA rollover export FILE` on an offline pkid
 * root), a SignedData by the CA the trustpoint holds, checked as the same
 * answer over the network is (scep_client_parse_next_ca).  Kept as the
 * trustpoint's rollover CA: a sub whose certificate ends with its
 * parent's has its rollover key certified by it.
 */
static int import_next_ca(struct tp *tp, const char *pem, size_t len,
			  char *fp, size_t fp_size, const char **why)
{
	struct db_tp st = {0};
	char *name = NULL, *hdr = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	X509 *cur = NULL, *next = NULL, *next_ra = NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	int ret = -EINVAL;

	*why = "not a PEM rollover CA answer (-----BEGIN PKCS7-----, from "
	       "`pkictl server CA rollover export FILE`)";
	if (!b || PEM_read_bio(b, &name, &hdr, &der, &der_len) <= 0 ||
	    strcmp(name, "PKCS7"))
		goto out;
	ret = db_tp_get(tp->set->db, tp->cfg.name, &st);
	*why = "the trustpoint has no CA certificate yet (import the CA's "
	       "own certificate first)";
	if (ret < 0 || !(cur = tp_x509(st.ca_cert, st.ca_cert_len)))
		goto out;
	ret = scep_client_parse_next_ca(der, (size_t)der_len, cur, &next,
					&next_ra);
	*why = "not a rollover CA answer signed by the trustpoint's CA";
	if (ret < 0 || !next || !X509_cmp(next, cur)) {
		ret = ret < 0 ? ret : -EPERM;
		goto out;
	}
	scep_client_fingerprint(next, EVP_sha256(), fp, fp_size);
	ret = tp_set_blob(&st.shadow_ca_cert, &st.shadow_ca_cert_len, next);
	ret = ret ?: db_tp_put(tp->set->db, &st);
	*why = ret < 0 ? "cannot record the rollover CA certificate" : NULL;
	if (ret < 0)
		goto out;
	pkid_log(LOG_NOTICE, NULL,
		 "trustpoint %s: rollover CA certificate %s imported "
		 "(enrollment terminal), signed by the current CA",
		 tp->cfg.name, fp);
	shadow_now(tp, &st);
	tp_sub_changed(tp); /* a sub's rollover request may go now */
out:
	ERR_clear_error();
	db_tp_free(&st);
	X509_free(cur);
	X509_free(next);
	X509_free(next_ra);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	BIO_free(b);
	return ret;
}

int tp_terminal_import_ca(struct tp *tp, const char *pem, bool accept,
			  char *fp, size_t fp_size, const char **why)
{
	size_t len = strnlen(pem, TP_TERMINAL_PEM_MAX + 1);
	struct db_tp st = {0};
	X509 *x;
	int ret;

	if (len <= TP_TERMINAL_PEM_MAX && strstr(pem, "-----BEGIN PKCS7-----"))
		return import_next_ca(tp, pem, len, fp, fp_size, why);
	x = pem_cert(pem, why);
	if (!x)
		return -EINVAL;
	scep_client_fingerprint(x, EVP_sha256(), fp, fp_size);
	ret = -EPERM;
	*why = "not a CA certificate (no basicConstraints cA TRUE)";
	if (!(X509_get_extension_flags(x) & EXFLAG_CA))
		goto out;
	*why = "its fingerprint is not the configured one";
	if (tp->cfg.fingerprint[0] && strcasecmp(fp, tp->cfg.fingerprint))
		goto out;
	*why = "no fingerprint configured: check the one shown and import "
	       "again with --accept";
	if (!tp->cfg.fingerprint[0] && !accept)
		goto out;
	*why = NULL;
	ret = db_tp_get(tp->set->db, tp->cfg.name, &st);
	if (ret == -ENOENT) {
		memset(&st, 0, sizeof(st));
		snprintf(st.name, sizeof(st.name), "%s", tp->cfg.name);
		ret = 0;
	}
	ret = ret ?: tp_set_blob(&st.ca_cert, &st.ca_cert_len, x);
	/* No GetCACaps over a terminal: SHA-256, as IOS's default. */
	if (ret == 0 && !st.caps) {
		st.caps = strdup("SHA-256\n");
		ret = st.caps ? 0 : -ENOMEM;
	}
	ret = ret ?: db_tp_put(tp->set->db, &st);
	if (ret == 0) {
		pkid_log(LOG_NOTICE, NULL,
			 "trustpoint %s: CA certificate %s imported "
			 "(enrollment terminal)",
			 tp->cfg.name, fp);
		tp_sub_changed(tp); /* a sub-cs makes its request now */
	} else
		*why = "cannot record the CA certificate";
	db_tp_free(&st);
out:
	X509_free(x);
	return ret;
}

/* The CA that must have issued @x: the trustpoint's, or its rollover. */
static bool issued_by_ours(const struct db_tp *st, X509 *x)
{
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	X509 *next = tp_x509(st->shadow_ca_cert, st->shadow_ca_cert_len);
	bool ok = (ca && X509_verify(x, X509_get0_pubkey(ca)) == 1) ||
		  (next && X509_verify(x, X509_get0_pubkey(next)) == 1);

	X509_free(ca);
	X509_free(next);
	ERR_clear_error();
	return ok;
}

static int check_answer(struct tp *tp, const struct db_tp *st, X509 *x,
			const char *key_name, const char **why)
{
	EVP_PKEY *key = NULL;
	int ret;

	if (st->pending_kind == TP_KIND_NONE ||
	    strcmp(st->pending_tid, TP_TERMINAL_TID)) {
		*why = "no request of this trustpoint waits for a certificate "
		       "(`pkictl trustpoint TP enroll` makes one)";
		return -ENOENT;
	}
	ret = tp_key_load(key_name, &key);
	if (ret < 0) {
		*why = "the key of the waiting request is missing";
		return ret;
	}
	ret = EVP_PKEY_eq(key, X509_get0_pubkey(x)) == 1 ? 0 : -EKEYREJECTED;
	EVP_PKEY_free(key);
	if (ret < 0) {
		*why = "the certificate is not for the key of the waiting "
		       "request";
		return ret;
	}
	if (!issued_by_ours(st, x)) {
		*why = "the certificate was not issued by the trustpoint's CA "
		       "(import its certificate first: import ca-certificate)";
		return -EPERM;
	}
	return 0;
}

int tp_terminal_import(struct tp *tp, const char *pem, const char **why)
{
	char key_name[PKIKS_NAME_MAX], path[PKID_CONF_PATH_MAX + 80];
	struct db_tp st = {0};
	enum tp_kind kind;
	X509 *x = pem_cert(pem, why);
	int ret;

	if (!x)
		return -EINVAL;
	ret = db_tp_get(tp->set->db, tp->cfg.name, &st);
	if (ret < 0) {
		*why = "the trustpoint has no CA certificate yet (import "
		       "ca-certificate)";
		goto out;
	}
	kind = tp_pending_kind(&st);
	tp_req_key_name(tp, kind, key_name, sizeof(key_name));
	ret = check_answer(tp, &st, x, key_name, why);
	if (ret < 0)
		goto out;
	snprintf(st.pending_tid, sizeof(st.pending_tid), "%s", "");
	st.pending_kind = TP_KIND_NONE;
	st.poll_count = 0;
	if (kind == TP_KIND_SUBROLL)
		ret = tp_sub_roll_issued(tp, &st, key_name, x);
	else
		ret = tp_install(tp, &st, kind, key_name, x);
	if (ret < 0) {
		*why = "the certificate could not be installed";
		goto out;
	}
	if (req_path(tp, path, sizeof(path)) == 0)
		unlink(path);
	pkid_log(LOG_NOTICE, NULL,
		 "trustpoint %s: %s certificate imported (enrollment terminal)",
		 tp->cfg.name, tp_kind_name(kind));
out:
	db_tp_free(&st);
	X509_free(x);
	return ret;
}
