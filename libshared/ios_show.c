// SPDX-License-Identifier: MIT
/*
 * IOS show shapes (ios_show.h).  The certificate block follows IOS's
 * `show crypto pki certificates`: title, Status, serial (hex), usage,
 * Issuer and Subject one attribute a line (last RDN first, IOS's lower-case
 * short names), CRL distribution points, validity dates, trustpoint.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ios_show.h"

void ios_time(char *buf, size_t len, int64_t t)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	/* IOS: the day of the month is not padded ("Oct 8 2017"). */
	snprintf(buf, len, "%02d:%02d:%02d UTC %s %d %d", tm.tm_hour,
		 tm.tm_min, tm.tm_sec, mon[tm.tm_mon % 12], tm.tm_mday,
		 tm.tm_year + 1900);
}

void ios_countdown(char *buf, size_t len, uint64_t ns)
{
	uint64_t ms = ns / 1000000ull, s = ms / 1000, days = s / 86400;
	unsigned h = (unsigned)(s / 3600 % 24), m = (unsigned)(s / 60 % 60);
	unsigned sec = (unsigned)(s % 60), milli = (unsigned)(ms % 1000);

	/* IOS drops the leading fields that are zero; days keep the hour
	 * right-aligned in two columns ("3d 7:05:24.003"). */
	if (days)
		snprintf(buf, len, "%" PRIu64 "d%2u:%02u:%02u.%03u", days, h, m,
			 sec, milli);
	else if (h)
		snprintf(buf, len, "%u:%02u:%02u.%03u", h, m, sec, milli);
	else if (m)
		snprintf(buf, len, "%u:%02u.%03u", m, sec, milli);
	else
		snprintf(buf, len, "%u.%03u", sec, milli);
}

int ios_fingerprint_der(const unsigned char *der, size_t len, const EVP_MD *md,
			char *buf, size_t size)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	size_t at = 0;

	if (!EVP_Digest(der, len, d, &n, md, NULL) || n == 0 ||
	    size < n * 2 + (n - 1) / 4 + 1)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (i && i % 4 == 0)
			buf[at++] = ' ';
		snprintf(buf + at, size - at, "%02X", d[i]);
		at += 2;
	}
	buf[at] = '\0';
	return 0;
}

int ios_fingerprint(X509 *x, const EVP_MD *md, char *buf, size_t len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der), ret;

	if (n <= 0)
		return -EINVAL;
	ret = ios_fingerprint_der(der, (size_t)n, md, buf, len);
	OPENSSL_free(der);
	return ret;
}

int ios_serial_hex(X509 *x, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int ret = -ENOMEM;

	/* BN_bn2hex pads to whole bytes: "01", as IOS prints it. */
	if (hex && strlen(hex) < len) {
		snprintf(buf, len, "%s", hex);
		ret = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return ret;
}

/* An attribute's value, escaped: no control byte or non-ASCII byte;
 * @more: further ASN1_STRFLGS_ escapes. */
static void dn_value_flags(BIO *b, const X509_NAME_ENTRY *e,
			   unsigned long more)
{
	ASN1_STRING_print_ex(b, X509_NAME_ENTRY_get_data(e),
			     ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_ESC_MSB |
				     ASN1_STRFLGS_UTF8_CONVERT | more);
}

static void dn_value(BIO *b, const X509_NAME_ENTRY *e)
{
	dn_value_flags(b, e, 0);
}

/* IOS's name of an attribute: "cn", "ou", "hostname", "e". */
static const char *dn_key(const X509_NAME_ENTRY *e, char *buf, size_t len)
{
	int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
	size_t i;

	switch (nid) {
	case NID_pkcs9_unstructuredName:
		return "hostname";
	case NID_pkcs9_emailAddress:
		return "e";
	case NID_serialNumber:
		return "serialNumber";
	case NID_pkcs9_unstructuredAddress:
		return "ipaddress";
	}
	if (nid == NID_undef) {
		OBJ_obj2txt(buf, (int)len, X509_NAME_ENTRY_get_object(e), 1);
		return buf;
	}
	snprintf(buf, len, "%s", OBJ_nid2sn(nid));
	for (i = 0; buf[i]; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	return buf;
}

/*
 * "cn=Root,o=Example": IOS's one-line name, same keys as the lines; the
 * attributes of one multi-valued RDN joined by '+', as IOS joins
 * "serialNumber=...+hostname=...".  On one line ',' and '+' separate, so
 * a value's own ',', '+', '"', '\\', '<', '>', ';' are escaped too
 * (RFC 2253's way): a hostile name cannot fake another attribute.
 */
int ios_dn_line(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	const X509_NAME_ENTRY *e;
	char key[80], *data;
	int i, last = X509_NAME_entry_count(n) - 1, set = -1;
	long got;

	if (!b)
		return -ENOMEM;
	for (i = last; i >= 0; i--) {
		e = X509_NAME_get_entry(n, i);
		if (i != last)
			BIO_puts(b, X509_NAME_ENTRY_set(e) == set ? "+" : ",");
		set = X509_NAME_ENTRY_set(e);
		BIO_printf(b, "%s=", dn_key(e, key, sizeof(key)));
		dn_value_flags(b, e, ASN1_STRFLGS_ESC_2253);
	}
	got = BIO_get_mem_data(b, &data);
	snprintf(buf, len, "%.*s", (int)(got > 0 ? got : 0), data);
	BIO_free(b);
	return 0;
}

/* Issuer/Subject: one attribute a line, the last RDN first. */
static void dn_lines(BIO *b, const X509_NAME *n, bool subject,
		     const char *indent)
{
	const X509_NAME_ENTRY *e;
	char key[80];
	int i;

	for (i = X509_NAME_entry_count(n) - 1; subject && i >= 0; i--) {
		e = X509_NAME_get_entry(n, i);
		if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) ==
		    NID_pkcs9_unstructuredName) {
			BIO_printf(b, "%sName: ", indent);
			dn_value(b, e);
			BIO_puts(b, "\n");
			break;
		}
	}
	for (i = X509_NAME_entry_count(n) - 1; i >= 0; i--) {
		e = X509_NAME_get_entry(n, i);
		BIO_printf(b, "%s%s=", indent, dn_key(e, key, sizeof(key)));
		dn_value(b, e);
		BIO_puts(b, "\n");
	}
}

char *ios_dn_lines(const X509_NAME *n, const char *indent)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long got;

	if (!b)
		return NULL;
	dn_lines(b, n, false, indent);
	got = BIO_get_mem_data(b, &data);
	out = strndup(got > 0 ? data : "", got > 0 ? (size_t)got : 0);
	BIO_free(b);
	return out;
}

const char *ios_cert_usage(X509 *x)
{
	uint32_t ku = X509_get_key_usage(x);
	bool sign = ku & (KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN |
			  KU_CRL_SIGN | KU_NON_REPUDIATION);
	bool enc = ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT);

	/* No keyUsage extension: UINT32_MAX, any use. */
	if (ku == UINT32_MAX || (sign && enc) || (!sign && !enc))
		return "General Purpose";
	return sign ? "Signature" : "Encryption";
}

const char *ios_ra_title(X509 *x)
{
	const char *u = ios_cert_usage(x);

	/* One RA certificate of both uses is the RA's signing one too;
	 * its usage line says General Purpose. */
	return strcmp(u, "Encryption") ? "RA Signature Certificate"
				       : "RA KeyEncipher Certificate";
}

/* The CRL distribution points' URIs, as IOS lists them. */
static void cdp_lines(BIO *b, X509 *x)
{
	STACK_OF(DIST_POINT) *dps =
		X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	GENERAL_NAME *gn;
	DIST_POINT *dp;
	int i, j;

	if (!dps)
		return;
	BIO_puts(b, "  CRL Distribution Points:\n");
	for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
		dp = sk_DIST_POINT_value(dps, i);
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname);
		     j++) {
			gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname,
						   j);
			if (gn->type != GEN_URI)
				continue;
			BIO_puts(b, "    ");
			ASN1_STRING_print_ex(b, gn->d.uniformResourceIdentifier,
					     ASN1_STRFLGS_ESC_CTRL |
						     ASN1_STRFLGS_ESC_MSB);
			BIO_puts(b, "\n");
		}
	}
	CRL_DIST_POINTS_free(dps);
}

static int64_t asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* IOS's verbose fields, then pkid's SHA-256 fingerprint. */
static void verbose_lines(BIO *b, X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char fp[IOS_FP_MAX];
	int nid = X509_get_signature_nid(x);

	BIO_printf(b, "  Subject Key Info:\n    Public Key Algorithm: %s\n",
		   pk ? OBJ_nid2ln(EVP_PKEY_get_base_id(pk)) : "unknown");
	if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		BIO_printf(b, "    RSA Public Key: (%d bit)\n",
			   EVP_PKEY_get_bits(pk));
	BIO_printf(b, "  Signature Algorithm: %s\n",
		   nid != NID_undef ? OBJ_nid2ln(nid) : "unknown");
	if (!ios_fingerprint(x, EVP_md5(), fp, sizeof(fp)))
		BIO_printf(b, "  Fingerprint MD5: %s\n", fp);
	if (!ios_fingerprint(x, EVP_sha1(), fp, sizeof(fp)))
		BIO_printf(b, "  Fingerprint SHA1: %s\n", fp);
	if (!ios_fingerprint(x, EVP_sha256(), fp, sizeof(fp)))
		BIO_printf(b, "  Fingerprint SHA256: %s\n", fp);
}

static void cert_lines(BIO *b, X509 *x, const struct ios_cert_view *v)
{
	char serial[128] = "?", t[IOS_TIME_MAX];

	ios_serial_hex(x, serial, sizeof(serial));
	BIO_printf(b,
		   "%s\n  Status: %s\n  Certificate Serial Number (hex): %s\n"
		   "  Certificate Usage: %s\n  Issuer:\n",
		   v->title, v->status, serial, ios_cert_usage(x));
	dn_lines(b, X509_get_issuer_name(x), false, "    ");
	BIO_puts(b, "  Subject:\n");
	dn_lines(b, X509_get_subject_name(x), true, "    ");
	cdp_lines(b, x);
	ios_time(t, sizeof(t), asn1_epoch(X509_get0_notBefore(x)));
	BIO_printf(b, "  Validity Date:\n    start date: %s\n", t);
	ios_time(t, sizeof(t), asn1_epoch(X509_get0_notAfter(x)));
	BIO_printf(b, "    end   date: %s\n", t);
	if (v->renew > 0) {
		ios_time(t, sizeof(t), v->renew);
		BIO_printf(b, "    renew date: %s\n", t);
	}
	if (v->verbose)
		verbose_lines(b, x);
	if (v->verbose && v->extra)
		BIO_puts(b, v->extra);
	if (v->trustpoint)
		BIO_printf(b, "  Associated Trustpoints: %s\n", v->trustpoint);
	BIO_puts(b, "\n");
}

int ios_cert_block(FILE *f, X509 *x, const struct ios_cert_view *v)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ret = 0;

	if (!b)
		return -ENOMEM;
	cert_lines(b, x, v);
	n = BIO_get_mem_data(b, &data);
	if (n > 0 && fwrite(data, 1, (size_t)n, f) != (size_t)n)
		ret = -EIO;
	BIO_free(b);
	return ret;
}
