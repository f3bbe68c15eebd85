/* SPDX-License-Identifier: MIT */
/*
 * The SCEP authenticated attributes (RFC 8894 §3.2.1) on a CMS SignerInfo.
 * OpenSSL does not know their OIDs; these helpers name them.
 */
#ifndef PKID_SCEP_ATTR_H
#define PKID_SCEP_ATTR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>

enum scep_attr {
	SCEP_ATTR_MESSAGE_TYPE, /* 2.16.840.1.113733.1.9.2, PrintableString */
	SCEP_ATTR_PKI_STATUS,	/* .3, PrintableString */
	SCEP_ATTR_FAIL_INFO,	/* .4, PrintableString */
	SCEP_ATTR_SENDER_NONCE, /* .5, OCTET STRING (16) */
	SCEP_ATTR_RECIPIENT_NONCE, /* .6, OCTET STRING (16) */
	SCEP_ATTR_TRANSACTION_ID,  /* .7, PrintableString */
};

/* A PrintableString attribute, NUL-terminated; -ENOENT, -EBADMSG. */
int scep_attr_get_string(CMS_SignerInfo *si, enum scep_attr attr, char *buf,
			 size_t size);
/* A PrintableString holding a decimal number. */
int scep_attr_get_number(CMS_SignerInfo *si, enum scep_attr attr, long *val);
/* A 16-byte nonce. */
int scep_attr_get_nonce(CMS_SignerInfo *si, enum scep_attr attr,
			unsigned char *nonce);

int scep_attr_add_string(CMS_SignerInfo *si, enum scep_attr attr,
			 const char *val);
int scep_attr_add_nonce(CMS_SignerInfo *si, enum scep_attr attr,
			const unsigned char *nonce);

/* Adds one message's SCEP attributes to its signer; 0 or -errno. */
typedef int (*scep_attrs_fn)(CMS_SignerInfo *si, const void *msg);

/*
 * The SignedData every SCEP message is (client request and server
 * replies alike): @content signed by @cert/@key with @md, signingTime
 * @now and, when @add_attrs is set, the attributes it adds for @msg.
 * The DER goes to *out (malloc'd).  0, -ENOMEM, -EIO or add_attrs' error;
 * the caller prints OpenSSL's error queue.
 */
int scep_sign(X509 *cert, EVP_PKEY *key, const EVP_MD *md, int64_t now,
	      BIO *content, scep_attrs_fn add_attrs, const void *msg,
	      unsigned char **out, size_t *out_len);

#endif /* PKID_SCEP_ATTR_H */
