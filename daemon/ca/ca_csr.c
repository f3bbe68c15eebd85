// SPDX-License-Identifier: MIT
/*
 * What a certificate request may carry into a certificate (issue 19 #6,
 * #8).  The CA copies two things from a CSR: its subject and its
 * subjectAltName; every other extension the CSR asks for (keyUsage,
 * basicConstraints, ...) is ignored and the CA's own are used.  Both are
 * checked here before the request is stored or granted:
 *
 *   subject      each attribute within its RFC 5280 Appendix A upper
 *                bound (CN 64, O 64, OU 64, L 128, ST 128, C 2, ...), no
 *                control characters, at most CA_CSR_RDN_MAX attributes
 *   extensions   no extension twice (two subjectAltNames would reach the
 *                certificate: verifiers disagree on which one counts),
 *                one extensionRequest attribute at most
 *   SAN          dNSName, rfc822Name, URI (printable ASCII, bounded) and
 *                iPAddress (4 or 16 bytes) only, at most CA_CSR_SAN_MAX
 *
 * A failed check gives a reason in words for the log (CS_REJECT).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ca_internal.h"

#define CA_CSR_RDN_MAX	   32
#define CA_CSR_SAN_MAX	   64
#define CA_CSR_OTHER_UB	   256	/* attribute types RFC 5280 gives no bound */
#define CA_CSR_DNS_UB	   253	/* RFC 1035: a name in text form */
#define CA_CSR_EMAIL_UB	   255	/* RFC 5280: ub-emailaddress-length */
#define CA_CSR_URI_UB	   1024

/* RFC 5280 Appendix A (and X.520 for serialNumber) upper bounds. */
static const struct {
	int nid;
	int ub;
} name_ub[] = {
	{NID_commonName, 64},
	{NID_organizationName, 64},
	{NID_organizationalUnitName, 64},
	{NID_title, 64},
	{NID_serialNumber, 64},
	{NID_localityName, 128},
	{NID_stateOrProvinceName, 128},
	{NID_pseudonym, 128},
	{NID_countryName, 2},
	{NID_pkcs9_emailAddress, 255},
	{NID_pkcs9_unstructuredName, 255}, /* PKCS #9, IOS hostnames */
	{NID_domainComponent, 63},
	{NID_givenName, 32768},
	{NID_surname, 32768},
	{NID_initials, 32768},
	{NID_generationQualifier, 32768},
	{NID_name, 32768},
};

static int upper_bound(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(name_ub) / sizeof(name_ub[0]); i++)
		if (name_ub[i].nid == nid)
			return name_ub[i].ub;
	return CA_CSR_OTHER_UB;
}

/* Characters in UTF-8 u (n bytes); -1 if it holds a C0/C1 control or DEL. */
static long utf8_chars(const unsigned char *u, int n)
{
	long chars = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return -1;
		/* U+0080..U+009F is C2 80..C2 9F in UTF-8. */
		if (u[i] == 0xc2 && i + 1 < n && u[i + 1] < 0xa0)
			return -1;
		if ((u[i] & 0xc0) != 0x80)
			chars++;
	}
	return chars;
}

static int check_subject(const X509_NAME *name, char *why, size_t size)
{
	int i, n = X509_NAME_entry_count(name);

	if (n > CA_CSR_RDN_MAX) {
		snprintf(why, size, "subject has %d attributes (at most %d)", n,
			 CA_CSR_RDN_MAX);
		return -EPERM;
	}
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const char *sn = nid ? OBJ_nid2ln(nid) : "attribute";
		unsigned char *u = NULL;
		int len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
		long chars = len < 0 ? -1 : utf8_chars(u, len);

		OPENSSL_free(u);
		if (len < 0 || chars < 0) {
			snprintf(why, size,
				 "subject %s is not text or holds control "
				 "characters",
				 sn);
			return -EPERM;
		}
		if (chars > upper_bound(nid)) {
			snprintf(why, size,
				 "subject %s is %ld characters (RFC 5280 "
				 "upper bound %d)",
				 sn, chars, upper_bound(nid));
			return -EPERM;
		}
	}
	return 0;
}

/* IA5 text of a SAN entry: printable ASCII, 1..ub characters. */
static bool san_text_ok(const ASN1_IA5STRING *s, int ub)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int i, n = ASN1_STRING_length(s);

	if (n < 1 || n > ub)
		return false;
	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

static int check_san(X509_EXTENSION *ext, char *why, size_t size)
{
	GENERAL_NAMES *gens = X509V3_EXT_d2i(ext);
	int i, n, ret = 0;

	if (!gens) {
		snprintf(why, size, "subjectAltName does not decode");
		return -EPERM;
	}
	n = sk_GENERAL_NAME_num(gens);
	if (n < 1 || n > CA_CSR_SAN_MAX) {
		snprintf(why, size, "subjectAltName has %d names (1 to %d)", n,
			 CA_CSR_SAN_MAX);
		ret = -EPERM;
	}
	for (i = 0; !ret && i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		bool ok;

		switch (g->type) {
		case GEN_DNS:
			ok = san_text_ok(g->d.dNSName, CA_CSR_DNS_UB);
			break;
		case GEN_EMAIL:
			ok = san_text_ok(g->d.rfc822Name, CA_CSR_EMAIL_UB);
			break;
		case GEN_URI:
			ok = san_text_ok(g->d.uniformResourceIdentifier,
					 CA_CSR_URI_UB);
			break;
		case GEN_IPADD:
			ok = ASN1_STRING_length(g->d.iPAddress) == 4 ||
			     ASN1_STRING_length(g->d.iPAddress) == 16;
			break;
		default:
			snprintf(why, size,
				 "subjectAltName name type %d is not "
				 "copied (DNS, email, URI and IP only)",
				 g->type);
			ret = -EPERM;
			continue;
		}
		if (!ok) {
			snprintf(why, size,
				 "subjectAltName name %d is empty, too long "
				 "or not printable",
				 i + 1);
			ret = -EPERM;
		}
	}
	GENERAL_NAMES_free(gens);
	return ret;
}

/* Each extension once; the subjectAltName checked. */
static int check_extensions(const STACK_OF(X509_EXTENSION) *exts, char *why,
			    size_t size)
{
	int i, j, n = sk_X509_EXTENSION_num(exts), ret;

	for (i = 0; i < n; i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(e);
		char oid[80];

		for (j = i + 1; j < n; j++) {
			if (OBJ_cmp(o, X509_EXTENSION_get_object(
					       sk_X509_EXTENSION_value(
						       exts, j))))
				continue;
			OBJ_obj2txt(oid, sizeof(oid), o, 1);
			snprintf(why, size, "extension %s (%s) appears twice",
				 OBJ_obj2nid(o) ? OBJ_nid2sn(OBJ_obj2nid(o))
						: "unknown",
				 oid);
			return -EPERM;
		}
		if (OBJ_obj2nid(o) == NID_subject_alt_name) {
			ret = check_san(e, why, size);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

int ca_csr_check(X509_REQ *csr, char *why, size_t size)
{
	STACK_OF(X509_EXTENSION) *exts;
	int ret;

	ret = check_subject(X509_REQ_get_subject_name(csr), why, size);
	if (ret < 0)
		return ret;
	/* A second extensionRequest would be read by some and not others. */
	if (X509_REQ_get_attr_by_NID(csr, NID_ext_req, -1) >= 0 &&
	    (X509_REQ_get_attr_by_NID(
		     csr, NID_ext_req,
		     X509_REQ_get_attr_by_NID(csr, NID_ext_req, -1)) >= 0 ||
	     X509_REQ_get_attr_by_NID(csr, NID_ms_ext_req, -1) >= 0)) {
		snprintf(why, size, "more than one extensionRequest");
		return -EPERM;
	}
	exts = X509_REQ_get_extensions(csr);
	if (!exts && X509_REQ_get_attr_by_NID(csr, NID_ext_req, -1) >= 0) {
		snprintf(why, size, "extensionRequest does not decode");
		return -EPERM;
	}
	ret = exts ? check_extensions(exts, why, size) : 0;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ret;
}
