// SPDX-License-Identifier: MIT
/* SCEP authenticated attributes: get and add by SCEP name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/objects.h>

#include "scep.h"
#include "scep_attr.h"

static const char *const scep_attr_oid[] = {
	[SCEP_ATTR_MESSAGE_TYPE] = "2.16.840.1.113733.1.9.2",
	[SCEP_ATTR_PKI_STATUS] = "2.16.840.1.113733.1.9.3",
	[SCEP_ATTR_FAIL_INFO] = "2.16.840.1.113733.1.9.4",
	[SCEP_ATTR_SENDER_NONCE] = "2.16.840.1.113733.1.9.5",
	[SCEP_ATTR_RECIPIENT_NONCE] = "2.16.840.1.113733.1.9.6",
	[SCEP_ATTR_TRANSACTION_ID] = "2.16.840.1.113733.1.9.7",
};

/* The one value of attr with ASN.1 type; a repeated attribute is an error. */
static const ASN1_STRING *get_value(CMS_SignerInfo *si, enum scep_attr attr,
				    int type)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(scep_attr_oid[attr], 1);
	const ASN1_STRING *s = NULL;

	if (oid)
		s = CMS_signed_get0_data_by_OBJ(si, oid, -3, type);
	ASN1_OBJECT_free(oid);
	return s;
}

int scep_attr_get_string(CMS_SignerInfo *si, enum scep_attr attr, char *buf,
			 size_t size)
{
	const ASN1_STRING *s = get_value(si, attr, V_ASN1_PRINTABLESTRING);
	int len, i;

	if (!s)
		return -ENOENT;
	len = ASN1_STRING_length(s);
	if (len < 0 || (size_t)len >= size)
		return -EBADMSG;
	memcpy(buf, ASN1_STRING_get0_data(s), len);
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			return -EBADMSG;
	return 0;
}

int scep_attr_get_number(CMS_SignerInfo *si, enum scep_attr attr, long *val)
{
	char buf[16], *end;
	int ret = scep_attr_get_string(si, attr, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	*val = strtol(buf, &end, 10);
	if (end == buf || *end)
		return -EBADMSG;
	return 0;
}

int scep_attr_get_nonce(CMS_SignerInfo *si, enum scep_attr attr,
			unsigned char *nonce)
{
	const ASN1_STRING *s = get_value(si, attr, V_ASN1_OCTET_STRING);

	if (!s)
		return -ENOENT;
	if (ASN1_STRING_length(s) != SCEP_NONCE_LEN)
		return -EBADMSG;
	memcpy(nonce, ASN1_STRING_get0_data(s), SCEP_NONCE_LEN);
	return 0;
}

static int add_value(CMS_SignerInfo *si, enum scep_attr attr, int type,
		     const void *bytes, int len)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(scep_attr_oid[attr], 1);
	int ok = 0;

	if (oid)
		ok = CMS_signed_add1_attr_by_OBJ(si, oid, type, bytes, len);
	ASN1_OBJECT_free(oid);
	return ok ? 0 : -ENOMEM;
}

int scep_attr_add_string(CMS_SignerInfo *si, enum scep_attr attr,
			 const char *val)
{
	return add_value(si, attr, V_ASN1_PRINTABLESTRING, val,
			 (int)strlen(val));
}

int scep_attr_add_nonce(CMS_SignerInfo *si, enum scep_attr attr,
			const unsigned char *nonce)
{
	return add_value(si, attr, V_ASN1_OCTET_STRING, nonce, SCEP_NONCE_LEN);
}

static int bio_to_buf(BIO *bio, unsigned char **out, size_t *out_len)
{
	char *mem;
	long n = BIO_get_mem_data(bio, &mem);

	if (n <= 0)
		return -EIO;
	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, mem, n);
	*out_len = n;
	return 0;
}

/* Set signingTime ourselves: OpenSSL would otherwise read time(). */
static int add_signing_time(CMS_SignerInfo *si, int64_t now)
{
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)now);
	int ret;

	ret = t && CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
					       t->type, t, -1)
		      ? 0
		      : -ENOMEM;
	ASN1_TIME_free(t);
	return ret;
}

int scep_sign(X509 *cert, EVP_PKEY *key, const EVP_MD *md, int64_t now,
	      BIO *content, scep_attrs_fn add_attrs, const void *msg,
	      unsigned char **out, size_t *out_len)
{
	const unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	BIO *der = BIO_new(BIO_s_mem());
	int ret = -ENOMEM;

	if (!der)
		goto out;
	ret = -EIO;
	/* The signer may be a keystore key: prefer the pkiks provider. */
	cms = CMS_sign_ex(NULL, NULL, NULL, NULL, flags, NULL, SCEP_PROPQ);
	si = cms ? CMS_add1_signer(cms, cert, key, md, flags) : NULL;
	if (!si)
		goto out;
	ret = add_signing_time(si, now);
	if (ret == 0 && add_attrs)
		ret = add_attrs(si, msg);
	if (ret < 0)
		goto out;
	ret = -EIO;
	if (CMS_final(cms, content, NULL, CMS_BINARY) != 1 ||
	    i2d_CMS_bio(der, cms) != 1)
		goto out;
	ret = bio_to_buf(der, out, out_len);
out:
	CMS_ContentInfo_free(cms);
	BIO_free(der);
	return ret;
}
