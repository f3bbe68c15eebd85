// SPDX-License-Identifier: MIT
/*
 * SCEP CertRep (RFC 8894 §3.3.2): a SignedData with the SCEP attributes
 * whose content, on SUCCESS, is an EnvelopedData (to the requester's signer
 * certificate) of a degenerate PKCS#7 carrying the certificate or CRL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

#include "scep.h"
#include "scep_attr.h"

int scep_degenerate(STACK_OF(X509) *certs, X509_CRL *crl, unsigned char **out,
		    size_t *out_len)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	int i, len, ret = -ENOMEM;

	/* As `openssl crl2pkcs7` does: version 1, data content absent. */
	if (!p7 || !PKCS7_set_type(p7, NID_pkcs7_signed))
		goto out;
	p7->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);
	for (i = 0; certs && i < sk_X509_num(certs); i++)
		if (!PKCS7_add_certificate(p7, sk_X509_value(certs, i)))
			goto out;
	if (crl && !PKCS7_add_crl(p7, crl))
		goto out;
	len = i2d_PKCS7(p7, &der);
	if (len <= 0)
		goto out;
	*out = malloc(len);
	if (!*out)
		goto out;
	memcpy(*out, der, len);
	*out_len = len;
	ret = 0;
out:
	OPENSSL_free(der);
	PKCS7_free(p7);
	return ret;
}

/* The degenerate PKCS#7 enveloped to the requester, as a BIO of DER. */
static int envelope_payload(const struct scep_request *req,
			    const struct scep_reply *rep, BIO **payload)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	STACK_OF(X509) *recips = sk_X509_new_null();
	const EVP_CIPHER *cipher;
	CMS_ContentInfo *env = NULL;
	unsigned char *inner = NULL;
	size_t inner_len = 0;
	BIO *in = NULL, *out = NULL;
	int ret = -ENOMEM;

	if (!certs || !recips || !req->signer)
		goto out;
	if (rep->issued && !sk_X509_push(certs, rep->issued))
		goto out;
	ret = scep_degenerate(certs, rep->crl, &inner, &inner_len);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	/* A single-DES request (SCEP_ALLOW_DES) gets 3DES, the strongest
	 * cipher a DES client can be expected to know (and one the default
	 * provider has). */
	cipher = EVP_get_cipherbynid(req->cipher_nid == NID_des_cbc
					     ? NID_des_ede3_cbc
					     : req->cipher_nid);
	if (!cipher || !sk_X509_push(recips, req->signer))
		goto out;
	in = BIO_new_mem_buf(inner, (int)inner_len);
	out = BIO_new(BIO_s_mem());
	if (!in || !out)
		goto out;
	env = CMS_encrypt(recips, in, cipher, CMS_BINARY);
	if (!env || i2d_CMS_bio(out, env) != 1)
		goto out;
	*payload = out;
	out = NULL;
	ret = 0;
out:
	CMS_ContentInfo_free(env);
	BIO_free(in);
	BIO_free(out);
	free(inner);
	sk_X509_free(certs);
	sk_X509_free(recips);
	return ret;
}

/* What add_scep_attrs() reads: the request answered and the answer. */
struct certrep_msg {
	const struct scep_request *req;
	const struct scep_reply *rep;
};

/* The CertRep's SCEP attributes; scep_sign() adds signingTime. */
static int add_scep_attrs(CMS_SignerInfo *si, const void *msg)
{
	const struct scep_request *req = ((const struct certrep_msg *)msg)->req;
	const struct scep_reply *rep = ((const struct certrep_msg *)msg)->rep;
	unsigned char nonce[SCEP_NONCE_LEN];
	char num[8];
	int ret;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -ENOMEM;
	snprintf(num, sizeof(num), "%d", SCEP_MSG_CERTREP);
	ret = scep_attr_add_string(si, SCEP_ATTR_MESSAGE_TYPE, num);
	snprintf(num, sizeof(num), "%d", rep->status);
	ret = ret ?: scep_attr_add_string(si, SCEP_ATTR_PKI_STATUS, num);
	if (rep->status == SCEP_STATUS_FAILURE) {
		snprintf(num, sizeof(num), "%d", rep->fail);
		ret = ret ?: scep_attr_add_string(si, SCEP_ATTR_FAIL_INFO, num);
	}
	ret = ret
		      ?: scep_attr_add_string(si, SCEP_ATTR_TRANSACTION_ID,
					      req->transaction_id);
	ret = ret ?: scep_attr_add_nonce(si, SCEP_ATTR_SENDER_NONCE, nonce);
	if (req->have_nonce)
		ret = ret
			      ?: scep_attr_add_nonce(si,
						     SCEP_ATTR_RECIPIENT_NONCE,
						     req->sender_nonce);
	return ret;
}

int scep_reply(const struct scep_request *req, const struct scep_reply *rep,
	       X509 *sign_cert, EVP_PKEY *sign_key, const EVP_MD *md,
	       int64_t now, unsigned char **out, size_t *out_len)
{
	const struct certrep_msg msg = {.req = req, .rep = rep};
	BIO *payload = NULL;
	int ret;

	if (rep->status == SCEP_STATUS_SUCCESS) {
		ret = envelope_payload(req, rep, &payload);
		if (ret < 0)
			goto out;
	} else {
		/* PENDING and FAILURE carry no messageData. */
		payload = BIO_new(BIO_s_mem());
	}
	ret = -ENOMEM;
	if (!payload)
		goto out;
	ret = scep_sign(sign_cert, sign_key, md, now, payload, add_scep_attrs,
			&msg, out, out_len);
out:
	if (ret < 0)
		ERR_print_errors_fp(stderr);
	BIO_free(payload);
	return ret;
}

/*
 * GetNextCACert (RFC 8894 §4.7): a SignedData signed by the current CA
 * whose content is a degenerate PKCS#7 with the rollover CA certificate
 * (and the RA's successor).  The signer's certificate rides along so a
 * client can check it against the CA certificate it already holds.  Its
 * only authenticated attribute is signingTime.
 */
int scep_next_ca(X509 *sign_cert, EVP_PKEY *sign_key, const EVP_MD *md,
		 STACK_OF(X509) * next, int64_t now, unsigned char **out,
		 size_t *out_len)
{
	unsigned char *inner = NULL;
	size_t inner_len = 0;
	BIO *content = NULL;
	int ret;

	ret = scep_degenerate(next, NULL, &inner, &inner_len);
	if (ret < 0)
		return ret;
	ret = -ENOMEM;
	content = BIO_new_mem_buf(inner, (int)inner_len);
	if (!content)
		goto out;
	ret = scep_sign(sign_cert, sign_key, md, now, content, NULL, NULL, out,
			out_len);
out:
	if (ret < 0)
		ERR_print_errors_fp(stderr);
	BIO_free(content);
	free(inner);
	return ret;
}
