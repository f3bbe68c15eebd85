// SPDX-License-Identifier: MIT
/*
 * SCEP client codec: the PKIOperation request a trustpoint sends and the
 * CertRep it gets back (scep_client.h).  OpenSSL's CMS API does the
 * SignedData and EnvelopedData; the SCEP attributes come from
 * scep_attr.c, shared with the server.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

#include "scep_attr.h"
#include "scep_client.h"

/* CertPoll's content (RFC 8894 §3.3.3), as the server's codec reads it. */
typedef struct {
	X509_NAME *issuer;
	X509_NAME *subject;
} SCEPC_ISSUER_AND_SUBJECT;

DECLARE_ASN1_FUNCTIONS(SCEPC_ISSUER_AND_SUBJECT)

#define SCEP_CLIENT_REPLY_MAX (1024 * 1024)

/* The EnvelopedData holding the content, to the CA's certificate. */
static int envelope(const struct scep_client_msg *m, BIO *out)
{
	STACK_OF(X509) *recips = sk_X509_new_null();
	CMS_ContentInfo *env = NULL;
	BIO *in = BIO_new_mem_buf(m->content, (int)m->content_len);
	int ret = -ENOMEM;

	if (!recips || !in || !sk_X509_push(recips, m->recipient))
		goto out;
	ret = -EIO;
	env = CMS_encrypt(recips, in, m->cipher, CMS_BINARY);
	if (env && i2d_CMS_bio(out, env) == 1)
		ret = 0;
out:
	CMS_ContentInfo_free(env);
	BIO_free(in);
	sk_X509_free(recips);
	return ret;
}

/* The request's SCEP attributes; scep_sign() adds signingTime. */
static int add_attrs(CMS_SignerInfo *si, const void *msg)
{
	const struct scep_client_msg *m = msg;
	char num[8];
	int ret;

	snprintf(num, sizeof(num), "%d", m->type);
	ret = scep_attr_add_string(si, SCEP_ATTR_MESSAGE_TYPE, num);
	ret = ret
		      ?: scep_attr_add_string(si, SCEP_ATTR_TRANSACTION_ID,
					      m->transaction_id);
	ret = ret
		      ?: scep_attr_add_nonce(si, SCEP_ATTR_SENDER_NONCE,
					     m->sender_nonce);
	return ret;
}

int scep_client_build(const struct scep_client_msg *m, unsigned char **out,
		      size_t *out_len)
{
	BIO *env = BIO_new(BIO_s_mem());
	int ret = -ENOMEM;

	if (!env)
		goto out;
	ret = envelope(m, env);
	if (ret < 0)
		goto out;
	ret = scep_sign(m->signer, m->signer_key, m->md, m->now, env, add_attrs,
			m, out, out_len);
out:
	if (ret < 0)
		ERR_print_errors_fp(stderr);
	BIO_free(env);
	return ret;
}

/* The signature must come from one of the certificates we trust. */
static int verify_signer(CMS_ContentInfo *cms, STACK_OF(X509) * signers,
			 BIO *content, char *why, size_t n)
{
	STACK_OF(X509) * who;
	int ret = -EBADMSG, i;

	if (CMS_verify(cms, signers, NULL, NULL, content,
		       CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		unsigned long e = ERR_peek_last_error();

		snprintf(why, n, "%s",
			 ERR_GET_LIB(e) == ERR_LIB_CMS &&
					 ERR_GET_REASON(e) ==
						 CMS_R_SIGNER_CERTIFICATE_NOT_FOUND
				 ? "signed by a certificate other than the "
				   "CA's or RA's"
				 : "signature invalid");
		return -EBADMSG;
	}
	who = CMS_get0_signers(cms);
	if (sk_X509_num(who) != 1)
		goto out;
	for (i = 0; i < sk_X509_num(signers); i++)
		if (X509_cmp(sk_X509_value(who, 0),
			     sk_X509_value(signers, i)) == 0)
			ret = 0;
out:
	if (ret < 0)
		snprintf(why, n, "signed by a certificate other than the "
				 "CA's or RA's");
	sk_X509_free(who);
	return ret;
}

/* Status, failInfo; transactionID and recipientNonce must be ours. */
static int check_attrs(CMS_SignerInfo *si, const struct scep_client_msg *m,
		       struct scep_client_reply *rep)
{
	char tid[SCEP_TRANSID_MAX + 1];
	unsigned char nonce[SCEP_NONCE_LEN];
	long type, status, fail = -1;
	const char *bad = NULL;

	if (scep_attr_get_number(si, SCEP_ATTR_MESSAGE_TYPE, &type) < 0 ||
	    type != SCEP_MSG_CERTREP ||
	    scep_attr_get_number(si, SCEP_ATTR_PKI_STATUS, &status) < 0)
		bad = "not a CertRep";
	else if (scep_attr_get_string(si, SCEP_ATTR_TRANSACTION_ID, tid,
				      sizeof(tid)) < 0 ||
		 strcmp(tid, m->transaction_id))
		bad = "the CertRep answers another transactionID";
	else if (scep_attr_get_nonce(si, SCEP_ATTR_RECIPIENT_NONCE, nonce) <
			 0 ||
		 memcmp(nonce, m->sender_nonce, SCEP_NONCE_LEN))
		bad = "the CertRep's recipientNonce is not our senderNonce";
	else if (status != SCEP_STATUS_SUCCESS &&
		 status != SCEP_STATUS_FAILURE && status != SCEP_STATUS_PENDING)
		bad = "unknown pkiStatus";
	if (bad) {
		snprintf(rep->why, sizeof(rep->why), "%s", bad);
		return -EBADMSG;
	}
	if (status == SCEP_STATUS_FAILURE)
		scep_attr_get_number(si, SCEP_ATTR_FAIL_INFO, &fail);
	rep->status = (enum scep_status)status;
	rep->fail = (enum scep_fail_info)fail;
	return 0;
}

/*
 * Why the envelope did not open: its content-encryption algorithm (read
 * with the PKCS#7 API, whose structures are public) and OpenSSL's reason.
 */
static void decrypt_why(const unsigned char *der, long len, char *why,
			size_t n)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
	unsigned long e = ERR_peek_last_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	char alg[64] = "unknown";

	if (p7 && PKCS7_type_is_enveloped(p7) && p7->d.enveloped &&
	    p7->d.enveloped->enc_data && p7->d.enveloped->enc_data->algorithm)
		OBJ_obj2txt(alg, sizeof(alg),
			    p7->d.enveloped->enc_data->algorithm->algorithm,
			    0);
	snprintf(why, n, "cannot decrypt reply: algorithm %s%s%s", alg,
		 reason ? ": " : "", reason ? reason : "");
	PKCS7_free(p7);
}

/* DES-CBC and DES-EDE3-CBC: the CAs that still use them (micromdm's
 * scepserver) get their envelopes opened in the legacy context. */
static const char *legacy_name(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
	int nid = NID_undef;

	if (p7 && PKCS7_type_is_enveloped(p7) &&
	    p7->d.enveloped->enc_data->algorithm)
		nid = OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
	PKCS7_free(p7);
	return nid == NID_des_cbc	 ? "DES-CBC"
	       : nid == NID_des_ede3_cbc ? "DES-EDE3-CBC"
					 : NULL;
}

/* The envelope's plain text: the legacy context for DES and 3DES, else
 * CMS in the default one.  *out malloc'd. */
static int open_envelope(const unsigned char *der, long len,
			 const struct scep_client_msg *m,
			 struct scep_client_reply *rep, unsigned char **out,
			 long *out_len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *env = CMS_ContentInfo_new_ex(NULL, SCEP_PROPQ);
	BIO *plain = BIO_new(BIO_s_mem());
	char *mem;
	long n;
	int ret = -EBADMSG;

	rep->legacy_cipher = legacy_name(der, len);
	if (rep->legacy_cipher) {
		ret = scep_legacy_open(der, len, m->signer, m->signer_key, out,
				       out_len);
		if (ret < 0)
			decrypt_why(der, len, rep->why, sizeof(rep->why));
		goto out;
	}
	if (!env || !plain || !d2i_CMS_ContentInfo(&env, &p, len)) {
		snprintf(rep->why, sizeof(rep->why),
			 "the SUCCESS content is not an envelope");
		goto out;
	}
	if (CMS_decrypt(env, m->signer_key, m->signer, NULL, plain,
			CMS_BINARY) != 1) {
		decrypt_why(der, len, rep->why, sizeof(rep->why));
		goto out;
	}
	n = BIO_get_mem_data(plain, &mem);
	*out = n > 0 ? malloc((size_t)n) : NULL;
	if (*out) {
		memcpy(*out, mem, (size_t)n);
		*out_len = n;
		ret = 0;
	}
out:
	BIO_free(plain);
	CMS_ContentInfo_free(env);
	return ret < 0 ? -EBADMSG : 0;
}

/* SUCCESS: decrypt the envelope to us, read the degenerate PKCS#7. */
static int open_success(BIO *content, const struct scep_client_msg *m,
			struct scep_client_reply *rep)
{
	const unsigned char *p;
	unsigned char *plain = NULL;
	PKCS7 *p7 = NULL;
	long n, plain_len = 0;
	char *mem;
	int ret;

	n = BIO_get_mem_data(content, &mem);
	if (n <= 0) {
		snprintf(rep->why, sizeof(rep->why),
			 "the SUCCESS content is not an envelope");
		return -EBADMSG;
	}
	ret = open_envelope((const unsigned char *)mem, n, m, rep, &plain,
			    &plain_len);
	if (ret < 0)
		return ret;
	ret = -EBADMSG;
	n = plain_len;
	p = plain;
	p7 = n > 0 ? d2i_PKCS7(NULL, &p, n) : NULL;
	if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign->cert) {
		snprintf(rep->why, sizeof(rep->why),
			 "the decrypted reply holds no certificate");
		goto out;
	}
	rep->certs = X509_chain_up_ref(p7->d.sign->cert);
	ret = rep->certs ? 0 : -ENOMEM;
out:
	PKCS7_free(p7);
	free(plain);
	return ret;
}

int scep_client_parse(const unsigned char *der, size_t len,
		      STACK_OF(X509) * signers, const struct scep_client_msg *m,
		      struct scep_client_reply *rep)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) * sis;
	BIO *content = BIO_new(BIO_s_mem());
	int ret = -EBADMSG;

	memset(rep, 0, sizeof(*rep));
	rep->fail = SCEP_FAIL_NONE;
	snprintf(rep->why, sizeof(rep->why), "not a signed CMS message");
	if (!content || len == 0 || len > SCEP_CLIENT_REPLY_MAX)
		goto out;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto out;
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1 ||
	    verify_signer(cms, signers, content, rep->why,
			  sizeof(rep->why)) < 0)
		goto out;
	rep->why[0] = '\0';
	ret = check_attrs(sk_CMS_SignerInfo_value(sis, 0), m, rep);
	if (ret == 0 && rep->status == SCEP_STATUS_SUCCESS)
		ret = open_success(content, m, rep);
out:
	if (ret < 0)
		scep_client_reply_free(rep);
	ERR_clear_error();
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return ret;
}

void scep_client_reply_free(struct scep_client_reply *rep)
{
	sk_X509_pop_free(rep->certs, X509_free);
	rep->certs = NULL;
}

X509 *scep_client_find_cert(const struct scep_client_reply *rep, EVP_PKEY *key)
{
	int i;

	for (i = 0; i < sk_X509_num(rep->certs); i++) {
		X509 *x = sk_X509_value(rep->certs, i);

		if (EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1)
			return x;
	}
	return NULL;
}

int scep_client_poll_content(X509 *ca, const X509_NAME *subject,
			     unsigned char **out, size_t *out_len)
{
	SCEPC_ISSUER_AND_SUBJECT *ias = SCEPC_ISSUER_AND_SUBJECT_new();
	unsigned char *der = NULL;
	int n, ret = -ENOMEM;

	if (!ias)
		return -ENOMEM;
	X509_NAME_free(ias->issuer);
	X509_NAME_free(ias->subject);
	ias->issuer = X509_NAME_dup(X509_get_subject_name(ca));
	ias->subject = X509_NAME_dup(subject);
	if (!ias->issuer || !ias->subject)
		goto out;
	n = i2d_SCEPC_ISSUER_AND_SUBJECT(ias, &der);
	if (n <= 0)
		goto out;
	*out = malloc(n);
	if (!*out)
		goto out;
	memcpy(*out, der, n);
	*out_len = n;
	ret = 0;
out:
	OPENSSL_free(der);
	SCEPC_ISSUER_AND_SUBJECT_free(ias);
	return ret;
}

int scep_client_transid(char *buf, size_t size)
{
	unsigned char r[16];
	size_t i;

	if (size < 2 * sizeof(r) + 1)
		return -ENOSPC;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return -EIO;
	for (i = 0; i < sizeof(r); i++)
		snprintf(buf + 2 * i, 3, "%02X", r[i]);
	return 0;
}

/* ASN.1 templates, kept as OpenSSL writes them (to the end of file). */
/* clang-format off */
ASN1_SEQUENCE(SCEPC_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(SCEPC_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(SCEPC_ISSUER_AND_SUBJECT, subject, X509_NAME),
} ASN1_SEQUENCE_END(SCEPC_ISSUER_AND_SUBJECT)

IMPLEMENT_ASN1_FUNCTIONS(SCEPC_ISSUER_AND_SUBJECT)
