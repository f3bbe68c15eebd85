// SPDX-License-Identifier: MIT
/*
 * show requests NAME (IOS: `show crypto pki server NAME requests`): the
 * Enrollment Request Database as IOS prints it (docs/SHOW.md).  Three
 * sections, each a ReqID/State/Fingerprint/SubjectName table:
 *
 *   Subordinate CA certificate requests   the CSR asks for basicConstraints
 *                                         cA:TRUE
 *   RA certificate requests               its subject has cn= or ou=
 *                                         "ioscs RA" (IOS's RA convention)
 *   Router certificates requests          every other one
 *
 * The fingerprint is the MD5 of the PKCS#10 DER, the digest IOS's client
 * prints when it enrolls ("Certificate Request fingerprint MD5"), so an
 * operator can match the two by eye.  States are IOS's: pkid's "issued"
 * (granted, certificate made and kept for a repeated poll) is "granted".
 *
 * The verbose form is pkid's own table: pkid's state, the transaction ID
 * and the SHA-256 fingerprint.  Everything in a row came from the network:
 * names are escaped (ios_dn_line), the transaction ID was checked on
 * arrival and is printed bounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca_internal.h"
#include "core/ctl.h"
#include "ios_show.h"

/* IOS's header of each section's table. */
#define REQ_HEAD                                                               \
	"ReqID  State      Fingerprint                      SubjectName\n"     \
	"--------------------------------------------------------------\n"

/* The subject column: bounded; longer names end truncated. */
#define REQ_SUBJECT_MAX 1024

enum req_section { REQ_SUBCA, REQ_RA, REQ_ROUTER, REQ_SECTIONS };

static const char *const section_title[REQ_SECTIONS] = {
	"Subordinate CA certificate requests:",
	"RA certificate requests:",
	"Router certificates requests:",
};

struct req_view {
	struct ctl_reply *reply;
	bool verbose;
	FILE *sec[REQ_SECTIONS]; /* the plain form's rows, by section */
	char *buf[REQ_SECTIONS];
	size_t len[REQ_SECTIONS];
};

/* The CSR asks to be a CA: a basicConstraints extension with cA:TRUE. */
static bool asks_ca(X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	BASIC_CONSTRAINTS *bc;
	bool ca = false;
	int i;

	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) !=
		    NID_basic_constraints)
			continue;
		bc = X509V3_EXT_d2i(e);
		ca = bc && bc->ca;
		BASIC_CONSTRAINTS_free(bc);
		break;
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ca;
}

/* IOS's RA: "cn=ioscs RA" or "ou=ioscs RA" in the subject. */
static bool is_ra(const X509_NAME *n)
{
	static const int nids[] = {NID_commonName, NID_organizationalUnitName};
	const ASN1_STRING *v;
	size_t k;
	int i;

	for (k = 0; k < sizeof(nids) / sizeof(nids[0]); k++)
		for (i = X509_NAME_get_index_by_NID(n, nids[k], -1); i >= 0;
		     i = X509_NAME_get_index_by_NID(n, nids[k], i)) {
			v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
			if (ASN1_STRING_length(v) == 8 &&
			    !memcmp(ASN1_STRING_get0_data(v), "ioscs RA", 8))
				return true;
		}
	return false;
}

static const char *ios_state(enum db_req_state s)
{
	/* IOS keeps a granted request until the client fetches it: pkid's
	 * issued one is that. */
	return s == DB_REQ_ISSUED ? "granted" : db_req_state_name(s);
}

/* IOS's fields of a request: its section, MD5, one-line subject. */
struct ios_req {
	enum req_section section;
	char md5[IOS_FP_MAX];
	char subject[REQ_SUBJECT_MAX];
};

static void ios_fields(const struct db_request *r, struct ios_req *q)
{
	const unsigned char *p = r->csr;
	X509_REQ *csr =
		r->csr ? d2i_X509_REQ(NULL, &p, (long)r->csr_len) : NULL;
	size_t i, j;

	q->section = REQ_ROUTER;
	q->subject[0] = '\0';
	snprintf(q->md5, sizeof(q->md5), "-");
	/* A rejected request keeps no CSR (ca_enroll.c): its row has no
	 * fingerprint and the name pkid stored (X509_NAME_oneline, escaped
	 * when it was stored).  The stored CSR was checked when it arrived;
	 * one that would not parse now gets the same row. */
	if (!csr)
		snprintf(q->subject, sizeof(q->subject), "%s",
			 r->subject ? r->subject : "");
	else {
		ios_dn_line(X509_REQ_get_subject_name(csr), q->subject,
			    sizeof(q->subject));
		q->section = asks_ca(csr) ? REQ_SUBCA
			     : is_ra(X509_REQ_get_subject_name(csr))
				     ? REQ_RA
				     : REQ_ROUTER;
	}
	/* IOS prints the request's MD5 as one run of 32 digits. */
	if (r->csr && !ios_fingerprint_der(r->csr, r->csr_len, EVP_md5(),
					   q->md5, sizeof(q->md5)))
		for (i = j = 0; (q->md5[j] = q->md5[i]) != '\0'; i++)
			j += q->md5[i] != ' ';
	X509_REQ_free(csr);
}

static const char *const section_key[REQ_SECTIONS] = {"subordinate_ca", "ra",
						      "router"};

static int request_row(const struct db_request *r, void *arg)
{
	struct req_view *v = arg;
	struct ios_req q;

	ios_fields(r, &q);
	json_array_append_new(
		v->reply->result,
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "id",
			  (json_int_t)r->id, "state",
			  db_req_state_name(r->state), "tid", r->tid,
			  "fingerprint", r->fingerprint, "subject",
			  r->subject ? r->subject : "", "serial",
			  (json_int_t)r->serial, "md5", q.md5, "section",
			  section_key[q.section]));
	/* pkid's row: its state, the transaction ID, SHA-256, the name as
	 * stored (escaped when it was stored). */
	if (v->verbose)
		ctl_reply_printf(v->reply,
				 "%-6" PRId64 " %-9s %-40.40s %-64s %s\n",
				 r->id, db_req_state_name(r->state), r->tid,
				 r->fingerprint, r->subject ? r->subject : "");
	else
		fprintf(v->sec[q.section], "%-6" PRId64 " %-10s %s %s\n", r->id,
			ios_state(r->state), q.md5, q.subject);
	return 0;
}

static void close_sections(struct req_view *v)
{
	int s;

	for (s = 0; s < REQ_SECTIONS; s++) {
		if (v->sec[s])
			fclose(v->sec[s]);
		v->sec[s] = NULL;
	}
}

int ca_show_requests(struct ca *ca, struct ctl_reply *reply, bool verbose)
{
	struct req_view v = {.reply = reply, .verbose = verbose};
	int s, ret = -ENOMEM;

	reply->result = json_array();
	if (!reply->result)
		return -ENOMEM;
	if (verbose)
		ctl_reply_printf(reply,
				 "Enrollment Request Database (pkid):\n"
				 "%-6s %-9s %-40s %-64s %s\n",
				 "ReqID", "State", "TransactionID",
				 "Fingerprint (SHA-256)", "Subject");
	for (s = 0; !verbose && s < REQ_SECTIONS; s++)
		if (!(v.sec[s] = open_memstream(&v.buf[s], &v.len[s])))
			goto out;
	ret = db_request_foreach(ca->db, ca->cfg.name, -1, true, request_row,
				 &v);
	close_sections(&v);
	if (ret || verbose)
		goto out;
	ctl_reply_printf(reply, "Enrollment Request Database:\n");
	for (s = 0; s < REQ_SECTIONS; s++)
		ctl_reply_printf(reply, "\n%s\n" REQ_HEAD "%s",
				 section_title[s], v.buf[s] ? v.buf[s] : "");
out:
	close_sections(&v);
	for (s = 0; s < REQ_SECTIONS; s++)
		free(v.buf[s]);
	return ret;
}
