// SPDX-License-Identifier: MIT
/*
 * SCEP request parsing: outer SignedData, SCEP attributes, inner envelope,
 * and the message-type specific content (RFC 8894 §3.2, §3.3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "scep.h"
#include "scep_attr.h"

/* CertPoll content: IssuerAndSubject (RFC 8894 §3.3.3). */
/* clang-format off */
typedef struct {
	X509_NAME *issuer;
	X509_NAME *subject;
} SCEP_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(SCEP_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, subject, X509_NAME),
} ASN1_SEQUENCE_END(SCEP_ISSUER_AND_SUBJECT)

IMPLEMENT_ASN1_FUNCTIONS(SCEP_ISSUER_AND_SUBJECT)
/* clang-format on */

/* Large enough for any CSR or query; requests are capped by HTTP anyway. */
#define SCEP_CONTENT_MAX (256 * 1024)

			void scep_request_free(struct scep_request * req)
{
	X509_free(req->signer);
	X509_REQ_free(req->csr);
	free(req->challenge);
	X509_NAME_free(req->issuer);
	X509_NAME_free(req->subject);
	ASN1_INTEGER_free(req->serial);
	memset(req, 0, sizeof(*req));
}

/* The SignerInfo's digest: SHA-1 and SHA-2 only, never MD5. */
static int digest_allowed(int nid)
{
	return nid == NID_sha1 || nid == NID_sha224 || nid == NID_sha256 ||
	       nid == NID_sha384 || nid == NID_sha512;
}

/* Envelope ciphers: AES-CBC and 3DES; single DES only when allowed
 * (SCEP_ALLOW_DES); RC2 never. */
static int cipher_allowed(int nid, unsigned int flags)
{
	return nid == NID_aes_128_cbc || nid == NID_aes_192_cbc ||
	       nid == NID_aes_256_cbc || nid == NID_des_ede3_cbc ||
	       (nid == NID_des_cbc && (flags & SCEP_ALLOW_DES));
}

/*
 * RFC 8894 §3.2.1.1: the transactionID is a PrintableString (X.680:
 * letters, digits, space and '()+,-./:=?).  It is echoed in the reply,
 * stored, logged and shown; anything else (a newline that forges a log
 * line, an escape sequence for the operator's terminal) is refused here,
 * before it goes anywhere.
 */
bool scep_transaction_id_ok(const char *tid)
{
	static const char extra[] = " '()+,-./:=?";
	const char *p;

	if (!*tid)
		return false;
	for (p = tid; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr(extra, *p)))
			return false;
	return true;
}

/* Read the attributes we need even before trusting them (FAILURE replies). */
static int read_attrs(CMS_SignerInfo *si, struct scep_request *req)
{
	long type;
	int ret;

	ret = scep_attr_get_string(si, SCEP_ATTR_TRANSACTION_ID,
				   req->transaction_id,
				   sizeof(req->transaction_id));
	if (ret < 0 || !scep_transaction_id_ok(req->transaction_id))
		return -EBADMSG;
	if (scep_attr_get_nonce(si, SCEP_ATTR_SENDER_NONCE,
				req->sender_nonce) == 0)
		req->have_nonce = 1;
	ret = scep_attr_get_number(si, SCEP_ATTR_MESSAGE_TYPE, &type);
	if (ret < 0)
		return -EBADMSG;
	req->type = (enum scep_msg_type)type;
	return 0;
}

/* Verify the outer signature with the certificate the message carries. */
static int verify_outer(CMS_ContentInfo *cms, CMS_SignerInfo *si,
			struct scep_request *req, BIO *content,
			enum scep_fail_info *fail)
{
	X509_ALGOR *dig = NULL;
	X509 *signer = NULL;

	if (CMS_set1_signers_certs(cms, NULL, 0) < 0)
		goto bad_check;
	CMS_SignerInfo_get0_algs(si, NULL, &signer, &dig, NULL);
	if (!signer)
		goto bad_check;
	X509_up_ref(signer);
	req->signer = signer;
	req->digest_nid = OBJ_obj2nid(dig->algorithm);
	if (!digest_allowed(req->digest_nid)) {
		*fail = SCEP_FAIL_BAD_ALG;
		return -EPROTO;
	}
	if (CMS_verify(cms, NULL, NULL, NULL, content,
		       CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		goto bad_check;
	return 0;
bad_check:
	*fail = SCEP_FAIL_BAD_MESSAGE_CHECK;
	return -EPROTO;
}

/* Which recipient certificate the client enveloped to, and its cipher. */
static int inspect_envelope(const unsigned char *der, long len,
			    struct scep_request *req)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
	int ret = -EBADMSG;

	if (!p7 || OBJ_obj2nid(p7->type) != NID_pkcs7_enveloped ||
	    !p7->d.enveloped->enc_data->algorithm)
		goto out;
	req->cipher_nid =
		OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
	ret = 0;
out:
	PKCS7_free(p7);
	return ret;
}

static int find_recipient(CMS_ContentInfo *env,
			  const struct scep_recipient *recipients, size_t n)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(env);
	int i;
	size_t r;

	for (i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);

		if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS)
			continue;
		for (r = 0; r < n; r++)
			if (CMS_RecipientInfo_ktri_cert_cmp(
				    ri, recipients[r].cert) == 0)
				return (int)r;
	}
	return -ENOENT;
}

/* Decrypt the inner EnvelopedData into a malloc'd buffer. */
static int open_envelope(BIO *outer_content,
			 const struct scep_recipient *recipients, size_t n,
			 unsigned int flags, struct scep_request *req,
			 unsigned char **plain, long *plain_len,
			 enum scep_fail_info *fail)
{
	const unsigned char *der, *p;
	CMS_ContentInfo *env = NULL;
	BIO *out = NULL;
	char *mem;
	long len;
	int idx, ret = -EPROTO;

	*fail = SCEP_FAIL_BAD_MESSAGE_CHECK;
	len = BIO_get_mem_data(outer_content, &mem);
	der = p = (const unsigned char *)mem;
	if (len <= 0 || inspect_envelope(der, len, req) < 0)
		goto out;
	if (!cipher_allowed(req->cipher_nid, flags)) {
		*fail = SCEP_FAIL_BAD_ALG;
		goto out;
	}
	env = CMS_ContentInfo_new_ex(NULL, SCEP_PROPQ);
	if (!env || !d2i_CMS_ContentInfo(&env, &p, len))
		goto out;
	idx = find_recipient(env, recipients, n);
	if (idx < 0)
		goto out;
	req->recipient_index = idx;
	if (req->cipher_nid == NID_des_cbc) {
		ret = scep_legacy_open(der, len, recipients[idx].cert,
				       recipients[idx].key, plain, plain_len);
		goto legacy;
	}
	out = BIO_new(BIO_s_mem());
	if (!out || CMS_decrypt(env, recipients[idx].key, recipients[idx].cert,
				NULL, out, CMS_BINARY) != 1)
		goto out;
	len = BIO_get_mem_data(out, &mem);
	if (len <= 0 || len > SCEP_CONTENT_MAX)
		goto out;
	*plain = malloc(len);
	if (!*plain) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(*plain, mem, len);
	*plain_len = len;
	ret = 0;
legacy:
	if (ret == 0 && *plain_len > SCEP_CONTENT_MAX) {
		free(*plain);
		*plain = NULL;
		ret = -EPROTO;
	}
	if (ret == 0)
		*fail = SCEP_FAIL_NONE;
out:
	BIO_free(out);
	CMS_ContentInfo_free(env);
	return ret;
}

/* challengePassword attribute of the CSR, if any (PrintableString/UTF8). */
static int read_challenge(X509_REQ *csr, char **challenge)
{
	int pos =
		X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;
	ASN1_STRING *s;

	*challenge = NULL;
	if (pos < 0)
		return 0;
	attr = X509_REQ_get_attr(csr, pos);
	t = X509_ATTRIBUTE_get0_type(attr, 0);
	if (!t || (t->type != V_ASN1_PRINTABLESTRING &&
		   t->type != V_ASN1_UTF8STRING && t->type != V_ASN1_IA5STRING))
		return -EBADMSG;
	s = t->value.asn1_string;
	*challenge = strndup((const char *)ASN1_STRING_get0_data(s),
			     ASN1_STRING_length(s));
	return *challenge ? 0 : -ENOMEM;
}

static int decode_csr(const unsigned char *der, long len,
		      struct scep_request *req, enum scep_fail_info *fail)
{
	const unsigned char *p = der;
	EVP_PKEY *pub;

	*fail = SCEP_FAIL_BAD_REQUEST;
	req->csr = d2i_X509_REQ(NULL, &p, len);
	if (!req->csr)
		return -EPROTO;
	pub = X509_REQ_get0_pubkey(req->csr);
	if (!pub || X509_REQ_verify(req->csr, pub) != 1) {
		*fail = SCEP_FAIL_BAD_MESSAGE_CHECK;
		return -EPROTO;
	}
	if (read_challenge(req->csr, &req->challenge) < 0)
		return -EPROTO;
	*fail = SCEP_FAIL_NONE;
	return 0;
}

static int decode_issuer_and_subject(const unsigned char *der, long len,
				     struct scep_request *req)
{
	const unsigned char *p = der;
	SCEP_ISSUER_AND_SUBJECT *ias;

	ias = d2i_SCEP_ISSUER_AND_SUBJECT(NULL, &p, len);
	if (!ias)
		return -EPROTO;
	req->issuer = ias->issuer;
	req->subject = ias->subject;
	ias->issuer = ias->subject = NULL;
	SCEP_ISSUER_AND_SUBJECT_free(ias);
	return 0;
}

static int decode_issuer_and_serial(const unsigned char *der, long len,
				    struct scep_request *req)
{
	const unsigned char *p = der;
	PKCS7_ISSUER_AND_SERIAL *ias;

	ias = d2i_PKCS7_ISSUER_AND_SERIAL(NULL, &p, len);
	if (!ias)
		return -EPROTO;
	req->issuer = ias->issuer;
	req->serial = ias->serial;
	ias->issuer = NULL;
	ias->serial = NULL;
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return 0;
}

static int decode_content(const unsigned char *der, long len,
			  struct scep_request *req, enum scep_fail_info *fail)
{
	int ret;

	switch (req->type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		return decode_csr(der, len, req, fail);
	case SCEP_MSG_CERTPOLL:
		ret = decode_issuer_and_subject(der, len, req);
		break;
	case SCEP_MSG_GETCERT:
	case SCEP_MSG_GETCRL:
		ret = decode_issuer_and_serial(der, len, req);
		break;
	default:
		ret = -EPROTO;
		break;
	}
	*fail = ret ? SCEP_FAIL_BAD_REQUEST : SCEP_FAIL_NONE;
	return ret;
}

static int known_request_type(enum scep_msg_type type)
{
	return type == SCEP_MSG_PKCSREQ || type == SCEP_MSG_RENEWALREQ ||
	       type == SCEP_MSG_CERTPOLL || type == SCEP_MSG_GETCERT ||
	       type == SCEP_MSG_GETCRL;
}

int scep_parse(const unsigned char *der, size_t len,
	       const struct scep_recipient *recipients, size_t n_recipients,
	       struct scep_request *req, enum scep_fail_info *fail)
{
	return scep_parse_ex(der, len, recipients, n_recipients, 0, req,
			     fail);
}

int scep_parse_ex(const unsigned char *der, size_t len,
		  const struct scep_recipient *recipients, size_t n_recipients,
		  unsigned int flags, struct scep_request *req,
		  enum scep_fail_info *fail)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	unsigned char *plain = NULL;
	long plain_len = 0;
	BIO *content = NULL;
	int ret = -EBADMSG;

	memset(req, 0, sizeof(*req));
	req->recipient_index = -1;
	*fail = SCEP_FAIL_BAD_REQUEST;
	if (len == 0 || len > SCEP_CONTENT_MAX)
		goto out;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto out;
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1)
		goto out;
	ret = read_attrs(sk_CMS_SignerInfo_value(sis, 0), req);
	if (ret < 0)
		goto out;
	/* From here on the message is SCEP: failures get a CertRep. */
	ret = -EPROTO;
	if (!known_request_type(req->type))
		goto out;
	content = BIO_new(BIO_s_mem());
	if (!content) {
		ret = -ENOMEM;
		goto out;
	}
	ret = verify_outer(cms, sk_CMS_SignerInfo_value(sis, 0), req, content,
			   fail);
	if (ret < 0)
		goto out;
	ret = open_envelope(content, recipients, n_recipients, flags, req,
			    &plain, &plain_len, fail);
	if (ret < 0)
		goto out;
	ret = decode_content(plain, plain_len, req, fail);
out:
	if (ret == 0)
		*fail = SCEP_FAIL_NONE;
	ERR_clear_error();
	free(plain);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return ret;
}

const char *scep_msg_type_name(enum scep_msg_type type)
{
	switch (type) {
	case SCEP_MSG_CERTREP:
		return "CertRep";
	case SCEP_MSG_RENEWALREQ:
		return "RenewalReq";
	case SCEP_MSG_PKCSREQ:
		return "PKCSReq";
	case SCEP_MSG_CERTPOLL:
		return "CertPoll";
	case SCEP_MSG_GETCERT:
		return "GetCert";
	case SCEP_MSG_GETCRL:
		return "GetCRL";
	}
	return "unknown";
}

const char *scep_fail_info_name(enum scep_fail_info fail)
{
	switch (fail) {
	case SCEP_FAIL_NONE:
		return "none";
	case SCEP_FAIL_BAD_ALG:
		return "badAlg";
	case SCEP_FAIL_BAD_MESSAGE_CHECK:
		return "badMessageCheck";
	case SCEP_FAIL_BAD_REQUEST:
		return "badRequest";
	case SCEP_FAIL_BAD_TIME:
		return "badTime";
	case SCEP_FAIL_BAD_CERT_ID:
		return "badCertId";
	}
	return "unknown";
}
