// SPDX-License-Identifier: MIT
/*
 * What a trustpoint puts in its requests (subject, CSR, the self-signed
 * certificate of a first enrollment) and how it reads the CA's public
 * answers (GetCACert, GetNextCACert, GetCACaps).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "scep_client.h"

/* One "KEY=value" of a DN; the value may not hold a comma (ours). */
static int add_rdn(X509_NAME *n, char *rdn)
{
	char *eq = strchr(rdn, '=');

	while (*rdn == ' ')
		rdn++;
	if (!eq || eq == rdn || !eq[1])
		return -EINVAL;
	*eq = '\0';
	if (!X509_NAME_add_entry_by_txt(n, rdn, MBSTRING_UTF8,
					(unsigned char *)eq + 1, -1, -1, 0)) {
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}

static int parse_dn(const char *dn, X509_NAME *n)
{
	char *copy = strdup(dn), *save = NULL, *rdn;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (rdn = strtok_r(copy, ",", &save); rdn && !ret;
	     rdn = strtok_r(NULL, ",", &save))
		ret = add_rdn(n, rdn);
	free(copy);
	return ret;
}

int scep_client_name(const struct scep_client_subject *s, X509_NAME **out)
{
	X509_NAME *n = X509_NAME_new();
	const char *host = s->hostname && s->hostname[0] ? s->hostname : "pkid";
	int ret = -ENOMEM;

	if (!n)
		return -ENOMEM;
	if (s->dn && s->dn[0])
		ret = parse_dn(s->dn, n);
	else
		ret = X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
						 (const unsigned char *)host,
						 -1, -1, 0)
			      ? 0
			      : -ENOMEM;
	if (ret == 0 && s->serial &&
	    !X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_ASC,
					(const unsigned char *)s->serial, -1,
					-1, 0))
		ret = -EINVAL;
	if (ret < 0) {
		X509_NAME_free(n);
		return ret;
	}
	*out = n;
	return 0;
}

/* One extension of the request, by its config text; -EINVAL if bad. */
static int push_ext(STACK_OF(X509_EXTENSION) * exts, int nid, const char *v)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, nid, v);

	if (!ext) {
		ERR_clear_error();
		return -EINVAL;
	}
	if (!sk_X509_EXTENSION_push(exts, ext)) {
		X509_EXTENSION_free(ext);
		return -ENOMEM;
	}
	return 0;
}

/* The extensionRequest: subjectAltName (the extra name, the IP address)
 * and, for a subordinate CA, basicConstraints cA TRUE. */
static int add_san(X509_REQ *csr, const struct scep_client_subject *s)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	char san[1024] = "";
	int ret = exts ? 0 : -ENOMEM;

	if (s->alt_name && s->alt_name[0])
		snprintf(san, sizeof(san), "DNS:%s", s->alt_name);
	if (s->ip && s->ip[0])
		snprintf(san + strlen(san), sizeof(san) - strlen(san),
			 "%sIP:%s", san[0] ? "," : "", s->ip);
	if (!ret && san[0])
		ret = push_ext(exts, NID_subject_alt_name, san);
	if (!ret && s->ca)
		ret = push_ext(exts, NID_basic_constraints, "critical,CA:TRUE");
	if (!ret && sk_X509_EXTENSION_num(exts) > 0 &&
	    !X509_REQ_add_extensions(csr, exts))
		ret = -ENOMEM;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ret;
}

/* Sign with a key that may live in the keystore (pkiks provider). */
static int sign_req(X509_REQ *csr, EVP_PKEY *key, const EVP_MD *md)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int ok = mctx &&
		 EVP_DigestSignInit_ex(mctx, NULL, EVP_MD_get0_name(md), NULL,
				       SCEP_PROPQ, key, NULL) == 1 &&
		 X509_REQ_sign_ctx(csr, mctx) > 0;

	EVP_MD_CTX_free(mctx);
	return ok ? 0 : -EIO;
}

int scep_client_csr(const struct scep_client_subject *s, EVP_PKEY *key,
		    const EVP_MD *md, X509_REQ **out)
{
	X509_REQ *csr = X509_REQ_new();
	X509_NAME *n = NULL;
	int ret = -ENOMEM;

	if (!csr)
		return -ENOMEM;
	ret = scep_client_name(s, &n);
	if (ret < 0)
		goto out;
	ret = -ENOMEM;
	if (!X509_REQ_set_version(csr, 0) ||
	    !X509_REQ_set_subject_name(csr, n) ||
	    !X509_REQ_set_pubkey(csr, key))
		goto out;
	if (s->challenge && s->challenge[0] &&
	    !X509_REQ_add1_attr_by_NID(csr, NID_pkcs9_challengePassword,
				       MBSTRING_ASC,
				       (const unsigned char *)s->challenge, -1))
		goto out;
	ret = add_san(csr, s);
	ret = ret ?: sign_req(csr, key, md);
out:
	X509_NAME_free(n);
	if (ret < 0) {
		ERR_print_errors_fp(stderr);
		X509_REQ_free(csr);
		return ret;
	}
	*out = csr;
	return 0;
}

int scep_client_self_signed(const X509_NAME *name, EVP_PKEY *key,
			    const EVP_MD *md, int64_t now, X509 **out)
{
	X509 *x = X509_new();
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int ok;

	/* RFC 8894 §2.3: any serial; valid from now, briefly. */
	ok = x && mctx && X509_set_version(x, 2) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	     X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
	     ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now) &&
	     ASN1_TIME_set(X509_getm_notAfter(x), (time_t)now + 86400) &&
	     X509_set_pubkey(x, key) &&
	     EVP_DigestSignInit_ex(mctx, NULL, EVP_MD_get0_name(md), NULL,
				   SCEP_PROPQ, key, NULL) == 1 &&
	     X509_sign_ctx(x, mctx) > 0;
	EVP_MD_CTX_free(mctx);
	if (!ok) {
		ERR_print_errors_fp(stderr);
		X509_free(x);
		return -EIO;
	}
	*out = x;
	return 0;
}

static int self_issued(X509 *x)
{
	return X509_NAME_cmp(X509_get_subject_name(x),
			     X509_get_issuer_name(x)) == 0;
}

static bool is_ca(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
}

/* Did @issuer sign @x (names and signature)? */
static bool issued_by(X509 *x, X509 *issuer)
{
	return x != issuer &&
	       !X509_NAME_cmp(X509_get_issuer_name(x),
			      X509_get_subject_name(issuer)) &&
	       X509_verify(x, X509_get0_pubkey(issuer)) == 1;
}

/*
 * The issuing CA of a GetCACert bundle: the one that signed the RA (a
 * certificate that is no CA), else the CA that signed no other CA
 * certificate of the bundle (a subordinate CA sends its chain up to the
 * root, RFC 8894 §3.5.1: the root alone is self-issued, the issuing CA
 * is the bottom of the chain).  NULL: none.
 */
static X509 *issuing_ca(STACK_OF(X509) * certs, X509 **ra)
{
	int i, j, n = sk_X509_num(certs);
	X509 *c = NULL;

	*ra = NULL;
	for (i = 0; i < n && !*ra; i++) {
		X509 *x = sk_X509_value(certs, i);

		for (j = 0; !is_ca(x) && !self_issued(x) && j < n; j++)
			if (issued_by(x, sk_X509_value(certs, j))) {
				*ra = x;
				c = sk_X509_value(certs, j);
			}
	}
	for (i = 0; i < n && !c; i++) {
		X509 *x = sk_X509_value(certs, i);
		bool issues_ca = false;

		for (j = 0; j < n; j++)
			if (is_ca(sk_X509_value(certs, j)) &&
			    issued_by(sk_X509_value(certs, j), x))
				issues_ca = true;
		if ((is_ca(x) || self_issued(x)) && !issues_ca)
			c = x;
	}
	return c;
}

/* CA: the issuing CA (a root's self-issued certificate, or the bottom of
 * a subordinate's chain); RA: another one the CA signed. */
static int split_chain(STACK_OF(X509) * certs, X509 **ca, X509 **ra)
{
	X509 *r = NULL, *c = issuing_ca(certs, &r);
	int i;

	if (!c)
		return -EBADMSG;
	for (i = 0; !r && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (x != c && !is_ca(x) && X509_verify(x, X509_get0_pubkey(c)) == 1)
			r = x;
	}
	X509_up_ref(c);
	*ca = c;
	if (r)
		X509_up_ref(r);
	*ra = r;
	return 0;
}

int scep_client_parse_ca(const unsigned char *der, size_t len,
			 const char *content_type, X509 **ca, X509 **ra)
{
	const unsigned char *p = der;
	PKCS7 *p7;
	int ret;

	*ca = *ra = NULL;
	if (!strstr(content_type, "ca-ra-cert")) {
		*ca = d2i_X509(NULL, &p, (long)len);
		return *ca ? 0 : -EBADMSG;
	}
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign->cert) {
		PKCS7_free(p7);
		return -EBADMSG;
	}
	ret = split_chain(p7->d.sign->cert, ca, ra);
	PKCS7_free(p7);
	return ret;
}

/* CMS_verify also takes signers from the message itself: check who. */
static bool signed_by_one_of(CMS_ContentInfo *cms, STACK_OF(X509) * trusted)
{
	STACK_OF(X509) *who = CMS_get0_signers(cms);
	bool ok = false;
	int i;

	for (i = 0; sk_X509_num(who) == 1 && i < sk_X509_num(trusted); i++)
		if (!X509_cmp(sk_X509_value(who, 0), sk_X509_value(trusted, i)))
			ok = true;
	sk_X509_free(who);
	return ok;
}

/* The rollover CA: the current CA's subject, not the CA. */
static X509 *find_next(STACK_OF(X509) * certs, X509 *ca)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (!X509_cmp(x, ca) || X509_NAME_cmp(X509_get_subject_name(x),
						      X509_get_subject_name(ca)))
			continue;
		/* A root's rollover CA verifies with its own key; a
		 * subordinate's is issued by its parent's (new) CA, which
		 * the message does not carry: a CA certificate of the same
		 * name, vouched for by the current CA's signature. */
		if (self_issued(x) ? X509_verify(x, X509_get0_pubkey(x)) == 1
				   : is_ca(x))
			return x;
	}
	return NULL;
}

/* The rollover RA: another certificate the rollover CA signed. */
static X509 *find_next_ra(STACK_OF(X509) * certs, X509 *next)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (x != next && !self_issued(x) &&
		    X509_verify(x, X509_get0_pubkey(next)) == 1)
			return x;
	}
	return NULL;
}

/* The content of GetNextCACert: a degenerate PKCS#7 of certificates. */
static STACK_OF(X509) * content_certs(BIO *content)
{
	PKCS7 *p7 = d2i_PKCS7_bio(content, NULL);
	STACK_OF(X509) *certs = NULL;

	if (p7 && PKCS7_type_is_signed(p7) && p7->d.sign->cert)
		certs = X509_chain_up_ref(p7->d.sign->cert);
	PKCS7_free(p7);
	return certs;
}

/*
 * RFC 8894 §4.7: a SignedData by the current CA (or its RA, whose
 * certificate rides along) whose content is a degenerate PKCS#7 holding
 * the rollover CA certificate (and the rollover RA's).
 */
int scep_client_parse_next_ca(const unsigned char *der, size_t len, X509 *ca,
			      X509 **next, X509 **next_ra)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	STACK_OF(X509) *outer = NULL, *certs = NULL;
	STACK_OF(X509) *trusted = sk_X509_new_null();
	BIO *content = BIO_new(BIO_s_mem());
	int ret = -EBADMSG, i;

	*next = *next_ra = NULL;
	if (!cms || !trusted || !content || !sk_X509_push(trusted, ca))
		goto out;
	outer = CMS_get1_certs(cms);
	/* Signed by the CA itself, or by an RA certificate the CA issued. */
	for (i = 0; i < sk_X509_num(outer); i++)
		if (X509_verify(sk_X509_value(outer, i),
				X509_get0_pubkey(ca)) == 1)
			sk_X509_push(trusted, sk_X509_value(outer, i));
	if (CMS_verify(cms, trusted, NULL, NULL, content,
		       CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1 ||
	    !signed_by_one_of(cms, trusted))
		goto out;
	certs = content_certs(content);
	*next = find_next(certs, ca);
	if (!*next)
		goto out;
	X509_up_ref(*next);
	*next_ra = find_next_ra(certs, *next);
	if (*next_ra)
		X509_up_ref(*next_ra);
	ret = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(outer, X509_free);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_free(trusted);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return ret;
}

int scep_client_has_cap(const char *caps, const char *cap)
{
	size_t n = strlen(cap);
	const char *p = caps;

	while (p && *p) {
		if (!strncasecmp(p, cap, n) &&
		    (p[n] == '\n' || p[n] == '\r' || !p[n]))
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* AES when announced; else 3DES, which every SCEP CA decrypts. */
const EVP_CIPHER *scep_client_cipher(const char *caps)
{
	if (caps && scep_client_has_cap(caps, "AES"))
		return EVP_aes_128_cbc();
	return EVP_des_ede3_cbc();
}

const EVP_MD *scep_client_md(const char *caps)
{
	if (caps && (scep_client_has_cap(caps, "SHA-256") ||
		     scep_client_has_cap(caps, "SCEPStandard")))
		return EVP_sha256();
	return EVP_sha1();
}

int scep_client_fingerprint(X509 *x, const EVP_MD *type, char *buf, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;

	if (!X509_digest(x, type, md, &n) || size < 2 * n + 1)
		return -EINVAL;
	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02X", md[i]);
	return 0;
}

/* The configured fingerprint's length says its hash (IOS shows SHA-1). */
int scep_client_fingerprint_match(X509 *x, const char *hex)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1];
	const EVP_MD *md;

	switch (strlen(hex)) {
	case 40:
		md = EVP_sha1();
		break;
	case 64:
		md = EVP_sha256();
		break;
	case 128:
		md = EVP_sha512();
		break;
	default:
		return -EINVAL;
	}
	if (scep_client_fingerprint(x, md, fp, sizeof(fp)) < 0)
		return -EINVAL;
	return strcasecmp(fp, hex) ? -EKEYREJECTED : 0;
}
