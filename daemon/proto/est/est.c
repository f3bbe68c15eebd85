// SPDX-License-Identifier: MIT
/*
 * EST (RFC 7030) message codec: base64 bodies, PKCS#10 in, PKCS#7
 * certs-only out (est.h).  OpenSSL does every encoding; this file only
 * checks what it is given before handing it over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "est.h"

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

static bool blank(unsigned char c)
{
	return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

/* The base64 characters alone into clean; -EBADMSG on anything else. */
static int b64_clean(const unsigned char *in, size_t len, unsigned char *clean,
		     size_t *n)
{
	size_t j = 0;

	for (size_t i = 0; i < len; i++) {
		if (blank(in[i]))
			continue;
		if (!b64_char(in[i]))
			return -EBADMSG;
		clean[j++] = in[i];
	}
	/* Whole quanta only: a truncated body is not a message. */
	if (j == 0 || j % 4)
		return -EBADMSG;
	*n = j;
	return 0;
}

int est_b64_decode(const unsigned char *in, size_t len, unsigned char **out,
		   size_t *out_len)
{
	unsigned char *clean = NULL, *buf = NULL;
	size_t n = 0;
	int dec, pad = 0, ret = -EMSGSIZE;

	if (len > EST_DER_MAX / 3 * 4 + EST_DER_MAX / 16 + 16)
		return -EMSGSIZE;
	clean = malloc(len + 1);
	buf = malloc(len / 4 * 3 + 3);
	if (!clean || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = b64_clean(in, len, clean, &n);
	if (ret < 0)
		goto out;
	/* '=' only as the last one or two characters. */
	while (pad < 2 && clean[n - 1 - pad] == '=')
		pad++;
	ret = -EBADMSG;
	if (memchr(clean, '=', n - pad))
		goto out;
	dec = EVP_DecodeBlock(buf, clean, (int)n);
	if (dec < 0 || dec - pad <= 0)
		goto out;
	*out_len = (size_t)(dec - pad);
	ret = *out_len > EST_DER_MAX ? -EMSGSIZE : 0;
	if (ret == 0) {
		*out = buf;
		buf = NULL;
	}
out:
	free(clean);
	free(buf);
	return ret;
}

int est_b64_encode(const unsigned char *in, size_t len, char **out,
		   size_t *out_len)
{
	/* 64 characters (48 bytes) a line, each with its newline. */
	size_t lines = len / 48 + 1, cap = lines * 66 + 1, n = 0;
	unsigned char *buf = malloc(cap);
	int k;

	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < len; off += 48) {
		size_t chunk = len - off < 48 ? len - off : 48;

		k = EVP_EncodeBlock(buf + n, in + off, (int)chunk);
		n += (size_t)k;
		buf[n++] = '\n';
	}
	buf[n] = '\0';
	*out = (char *)buf;
	*out_len = n;
	return 0;
}

int est_csr_parse(const unsigned char *der, size_t len, X509_REQ **out)
{
	const unsigned char *p = der;
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, (long)len);
	EVP_PKEY *key;
	int ret = -EBADMSG;

	if (!csr || p != der + len)
		goto out;
	key = X509_REQ_get0_pubkey(csr);
	ret = -EKEYREJECTED;
	if (!key || X509_REQ_verify(csr, key) != 1)
		goto out;
	*out = csr;
	csr = NULL;
	ret = 0;
out:
	X509_REQ_free(csr);
	ERR_clear_error();
	return ret;
}

/* The DER header at *p (at most left bytes): *p moves past it, *n is its
 * content's length.  0, or -EBADMSG. */
static int der_header(const unsigned char **p, size_t left, long *n)
{
	int tag, cls, r = ASN1_get_object(p, n, &tag, &cls, (long)left);

	return (r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE
		       ? -EBADMSG
		       : 0;
}

int est_csr_info(const unsigned char *der, size_t len,
		 const unsigned char **info, size_t *info_len)
{
	const unsigned char *p = der, *start;
	long n = 0, m = 0;

	if (len > EST_DER_MAX || der_header(&p, len, &n) < 0 ||
	    (size_t)n > len - (size_t)(p - der))
		return -EBADMSG;
	start = p;
	if (der_header(&p, (size_t)n, &m) < 0 ||
	    m > n - (long)(p - start))
		return -EBADMSG;
	*info = start;
	*info_len = (size_t)(p - start) + (size_t)m;
	return 0;
}

int est_certs_only(STACK_OF(X509) *certs, unsigned char **der, size_t *len)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *buf = NULL;
	int n, ret = -ENOMEM;

	if (!p7 || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    !PKCS7_content_new(p7, NID_pkcs7_data))
		goto out;
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (!PKCS7_add_certificate(p7, sk_X509_value(certs, i)))
			goto out;
	n = i2d_PKCS7(p7, &buf);
	if (n <= 0)
		goto out;
	*der = buf;
	*len = (size_t)n;
	ret = 0;
out:
	PKCS7_free(p7);
	ERR_clear_error();
	return ret;
}

int est_certs_only_b64(STACK_OF(X509) *certs, char **b64, size_t *len)
{
	unsigned char *der = NULL;
	size_t n = 0;
	int ret = est_certs_only(certs, &der, &n);

	if (ret == 0)
		ret = est_b64_encode(der, n, b64, len);
	OPENSSL_free(der);
	return ret;
}

/* The DER of a subjectAltName, or NULL (none) in *der; -1 on error. */
static int san_der(GENERAL_NAMES *gens, unsigned char **der)
{
	int n;

	*der = NULL;
	if (!gens)
		return 0;
	n = i2d_GENERAL_NAMES(gens, der);
	GENERAL_NAMES_free(gens);
	return n;
}

static GENERAL_NAMES *csr_san(X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	GENERAL_NAMES *g = exts ? X509V3_get_d2i(exts, NID_subject_alt_name,
						 NULL, NULL)
				: NULL;

	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return g;
}

bool est_names_match(X509_REQ *csr, X509 *cert)
{
	unsigned char *a = NULL, *b = NULL;
	int na, nb;
	bool same;

	if (X509_NAME_cmp(X509_REQ_get_subject_name(csr),
			  X509_get_subject_name(cert)) != 0)
		return false;
	na = san_der(csr_san(csr), &a);
	nb = san_der(X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL),
		     &b);
	same = na >= 0 && na == nb && (na == 0 || memcmp(a, b, na) == 0);
	OPENSSL_free(a);
	OPENSSL_free(b);
	ERR_clear_error();
	return same;
}

bool est_media_is(const char *content_type, const char *media)
{
	size_t n = strlen(media);

	if (!content_type)
		return false;
	while (*content_type == ' ')
		content_type++;
	if (strncasecmp(content_type, media, n) != 0)
		return false;
	content_type += n;
	while (*content_type == ' ')
		content_type++;
	return *content_type == '\0' || *content_type == ';';
}
