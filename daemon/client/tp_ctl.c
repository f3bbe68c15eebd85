// SPDX-License-Identifier: MIT
/*
 * The trustpoints' control commands (daemon/CONTROL.md):
 *
 *   trustpoint authenticate TP [--accept]   GetCACert, fingerprint, caps
 *   trustpoint enroll TP                    first enrollment / renewal
 *   show trustpoints                        state of each trustpoint
 *   show trustpoint certificates [TP]       CA, identity (start, end,
 *                                           renew date), shadow items
 *
 * `show certificates NAME` belongs to the certificate server; the
 * trustpoints' listing has its own name so both can be registered.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ios_show.h"
#include "proto/scep/scep_client.h"
#include "tp_internal.h"

/* One trustpoint verb: its table entry and handler. */
struct tp_verb {
	struct ctl_verb v;
	int (*run)(struct tp_set *set, const struct ctl_request *req,
		   struct ctl_reply *reply);
	int op; /* which form of a shared handler */
};

static void iso_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static struct tp *arg_tp(struct tp_set *set, const struct ctl_request *req,
			 struct ctl_reply *reply)
{
	const char *name = ctl_arg(req, 0);
	struct tp *tp = tp_find(set, name);

	if (!tp)
		ctl_reply_error(reply, -ENOENT, "no trustpoint %s",
				name ? name : "(none given)");
	return tp;
}

static int cmd_authenticate(struct tp_set *set, const struct ctl_request *req,
			    struct ctl_reply *reply)
{
	struct tp *tp = arg_tp(set, req, reply);
	const char *opt = ctl_arg(req, 1);
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "", why[512] = "";
	bool accept = opt && !strcmp(opt, "--accept");
	int ret;

	if (!tp)
		return -ENOENT;
	if (opt && !accept)
		return ctl_reply_error(reply, -EINVAL, "unknown option %s",
				       opt);
	ret = tp_authenticate(tp, accept, fp, sizeof(fp), why, sizeof(why));
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s",
				       why[0] ? why : strerror(-ret));
	tp_zero_touch_later(tp); /* auto-enroll: IOS enrolls by itself */
	reply->result = json_pack("{s:s, s:s}", "trustpoint", tp->cfg.name,
				  "fingerprint", fp);
	ctl_reply_printf(reply,
			 "Trustpoint %s: CA certificate accepted.\n"
			 "    Fingerprint (SHA-256): %s\n",
			 tp->cfg.name, fp);
	return 0;
}

/* The identity has ended (by the keystore's clock)? */
static bool id_expired(struct tp *tp, const struct db_tp *st)
{
	int64_t now, nb, na;

	return tp_der_times(tp, TP_TIMES_ID, st->id_cert, st->id_cert_len,
			    &nb, &na) == 0 &&
	       tp_now(tp, &now) == 0 && now >= na;
}

/* An expired identity says so, whatever is in progress (issue 13 #4). */
const char *tp_state_of(struct tp *tp, const struct db_tp *st)
{
	if (st->id_cert && id_expired(tp, st))
		return "expired";
	if (st->pending_kind != TP_KIND_NONE)
		return st->pending_tid[0] && !tp_pending_resend(st)
			       ? "pending"
			       : "retrying";
	if (st->id_cert)
		return "enrolled";
	return st->ca_cert ? "authenticated" : "new";
}

/*
 * enrollment terminal: make the request unless one waits already, and
 * print its PKCS#10 (the operator carries it to the CA).
 */
static int enroll_terminal(struct tp *tp, struct ctl_reply *reply)
{
	char why[512] = "";
	struct db_tp st;
	char *pem = NULL;
	int ret = db_tp_get(tp->set->db, tp->cfg.name, &st);

	if (ret < 0)
		return ctl_reply_error(reply, ret,
				       "not authenticated: `pkictl trustpoint "
				       "%s import ca-certificate FILE`",
				       tp->cfg.name);
	if (strcmp(st.pending_tid, TP_TERMINAL_TID))
		ret = tp_enroll(tp, TP_KIND_ENROLL, why, sizeof(why));
	db_tp_free(&st);
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s",
				       why[0] ? why : strerror(-ret));
	ret = tp_terminal_pem(tp, &pem);
	if (ret < 0)
		return ctl_reply_error(reply, ret,
				       "the request file is unreadable: %s",
				       strerror(-ret));
	reply->result = json_pack("{s:s, s:s, s:s}", "trustpoint",
				  tp->cfg.name, "state", "pending", "pkcs10",
				  pem);
	ctl_reply_printf(reply, "%s", pem);
	free(pem);
	return 0;
}

/* trustpoint import certificate|ca-certificate TP PEM [--accept] */
static int cmd_import(struct tp_set *set, const struct ctl_request *req,
		      struct ctl_reply *reply)
{
	bool ca = ctl_verb_entry(req, struct tp_verb, v)->op;
	struct tp *tp = arg_tp(set, req, reply);
	const char *pem = ctl_arg(req, 1), *opt = ctl_arg(req, 2);
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "";
	const char *why = NULL;
	int ret;

	if (!tp)
		return -ENOENT;
	if (!tp->cfg.enrollment_terminal)
		return ctl_reply_error(reply, -EINVAL,
				       "trustpoint %s enrolls over the "
				       "network: import needs enrollment "
				       "terminal",
				       tp->cfg.name);
	if (opt && (!ca || strcmp(opt, "--accept")))
		return ctl_reply_error(reply, -EINVAL, "unknown option");
	ret = ca ? tp_terminal_import_ca(tp, pem, opt != NULL, fp, sizeof(fp),
					 &why)
		 : tp_terminal_import(tp, pem, &why);
	if (ret < 0 && ca && fp[0])
		return ctl_reply_error(reply, ret,
				       "CA certificate not imported: %s "
				       "(fingerprint %s)",
				       why ? why : strerror(-ret), fp);
	if (ret < 0)
		return ctl_reply_error(reply, ret, "not imported: %s",
				       why ? why : strerror(-ret));
	reply->result = json_pack("{s:s, s:s}", "trustpoint", tp->cfg.name,
				  "imported",
				  ca ? "ca-certificate" : "certificate");
	if (ca)
		json_object_set_new(reply->result, "fingerprint",
				    json_string(fp));
	ctl_reply_printf(reply, "Trustpoint %s: %s imported.%s%s\n",
			 tp->cfg.name, ca ? "CA certificate" : "certificate",
			 ca ? "\n    Fingerprint (SHA-256): " : "", fp);
	return 0;
}

static int cmd_enroll(struct tp_set *set, const struct ctl_request *req,
		      struct ctl_reply *reply)
{
	struct tp *tp = arg_tp(set, req, reply);
	const char *state;
	char why[512] = "";
	struct db_tp st;
	int ret;

	if (!tp)
		return -ENOENT;
	if (tp->cfg.enrollment_terminal)
		return enroll_terminal(tp, reply);
	ret = tp_enroll(tp, TP_KIND_ENROLL, why, sizeof(why));
	if (ret < 0 && why[0])
		return ctl_reply_error(reply, ret, "%s", why);
	if (db_tp_get(set->db, tp->cfg.name, &st) < 0)
		return ctl_reply_error(reply, -EIO, "database unreadable");
	/* Pending or retrying is no error: the daemon goes on by itself. */
	state = tp_state_of(tp, &st);
	if (ret < 0 && st.pending_kind == TP_KIND_NONE) {
		db_tp_free(&st);
		return ctl_reply_error(reply, ret, "enrollment failed: %s",
				       ret == -EKEYREJECTED
					       ? "the CA rejected the request"
					       : strerror(-ret));
	}
	reply->result =
		json_pack("{s:s, s:s, s:s}", "trustpoint", tp->cfg.name,
			  "state", state, "transaction_id", st.pending_tid);
	ctl_reply_printf(reply, "Trustpoint %s: %s%s%s\n", tp->cfg.name, state,
			 st.pending_tid[0] ? ", transaction " : "",
			 st.pending_tid);
	db_tp_free(&st);
	return 0;
}

/* The JSON row of one trustpoint (the same for every form). */
static json_t *tp_row(struct tp *tp, const struct db_tp *st, const char *state)
{
	char cu[32], cn[32];

	iso_time(tp->crl_this, cu, sizeof(cu));
	iso_time(tp->crl_next, cn, sizeof(cn));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "name",
			 tp->cfg.name, "url", tp->cfg.enrollment_url, "state",
			 state, "request", tp_kind_name(tp_pending_kind(st)),
			 "transaction_id", st->pending_tid, "polls",
			 (int)st->poll_count, "crl_this_update", cu,
			 "crl_next_update", cn);
}

/* pkid's own view (`show trustpoints verbose`): URL, state, CRL. */
static void tp_text_pkid(struct tp *tp, const struct db_tp *st,
			 const char *state, struct ctl_reply *reply)
{
	char cu[IOS_TIME_MAX], cn[IOS_TIME_MAX];

	ios_time(cu, sizeof(cu), tp->crl_this);
	ios_time(cn, sizeof(cn), tp->crl_next);
	ctl_reply_printf(reply,
			 "Trustpoint %s:\n    Enrollment URL: %s\n"
			 "    State: %s%s%s\n",
			 tp->cfg.name, tp->cfg.enrollment_url, state,
			 st->pending_tid[0] ? ", transaction " : "",
			 st->pending_tid);
	if (pkid_revcheck_crl(tp->cfg.revocation_check))
		ctl_reply_printf(reply,
				 "    CRL: this update %s, next update %s\n",
				 cu, cn);
}

/* IOS `show crypto pki trustpoints`: the CA's subject and serial. */
static void tp_text_ios(struct tp *tp, const struct db_tp *st,
			struct ctl_reply *reply)
{
	X509 *ca = tp_x509(st->ca_cert, st->ca_cert_len);
	char serial[128] = "?", *dn;

	ctl_reply_printf(reply, "Trustpoint %s:\n", tp->cfg.name);
	if (ca) {
		ios_serial_hex(ca, serial, sizeof(serial));
		ctl_reply_printf(reply, "    Subject Name:\n");
		dn = ios_dn_lines(X509_get_subject_name(ca), "    ");
		ctl_reply_printf(reply, "%s", dn ? dn : "");
		free(dn);
		ctl_reply_printf(reply,
				 "          Serial Number (hex): %s\n"
				 "    Certificate configured.\n",
				 serial);
	} else {
		ctl_reply_printf(reply, "    Not authenticated.\n");
	}
	ctl_reply_printf(reply, "    SCEP URL: %s\n", tp->cfg.enrollment_url);
	X509_free(ca);
}

/* "Subject Name:" then the name on one line, and both fingerprints. */
static void status_cert(struct ctl_reply *reply, const char *what,
			const unsigned char *der, size_t len)
{
	X509 *x = tp_x509(der, len);
	char dn[1024], md5[IOS_FP_MAX] = "", sha1[IOS_FP_MAX] = "";

	if (!x)
		return;
	ios_dn_line(X509_get_subject_name(x), dn, sizeof(dn));
	ios_fingerprint(x, EVP_md5(), md5, sizeof(md5));
	ios_fingerprint(x, EVP_sha1(), sha1, sizeof(sha1));
	ctl_reply_printf(reply,
			 "  %s certificate configured:\n    Subject Name:\n"
			 "     %s\n    Fingerprint MD5: %s\n"
			 "    Fingerprint SHA1: %s\n",
			 what, dn, md5, sha1);
	X509_free(x);
}

/* IOS `show crypto pki trustpoints status`. */
static void tp_text_status(struct tp *tp, const struct db_tp *st,
			   const char *state, struct ctl_reply *reply)
{
	struct pkiks_key_info k = {0};
	bool keys = pkiks_key_get(tp->set->ks, tp->cfg.rsakeypair, &k) == 0;
	const char *last = !strcmp(state, "pending")	? "Pending"
			   : !strcmp(state, "retrying") ? "Failed"
			   : st->id_cert		? "Granted"
							: NULL;

	free(k.pubkey);
	ctl_reply_printf(reply, "Trustpoint %s:\n", tp->cfg.name);
	status_cert(reply, "Issuing CA", st->ca_cert, st->ca_cert_len);
	status_cert(reply, "Router General Purpose", st->id_cert,
		    st->id_cert_len);
	if (last)
		ctl_reply_printf(reply, "  Last enrollment status: %s\n", last);
	ctl_reply_printf(
		reply,
		"  State:\n    Keys generated ............. %s\n"
		"    Issuing CA authenticated ....... %s\n"
		"    Certificate request(s) ..... %s\n",
		keys ? "Yes (General Purpose, non-exportable)" : "No",
		st->ca_cert ? "Yes" : "No",
		st->id_cert || st->pending_kind != TP_KIND_NONE ? "Yes"
								: "None");
}

enum tp_view { TP_VIEW_IOS, TP_VIEW_STATUS, TP_VIEW_PKID };

static int cmd_show_trustpoints(struct tp_set *set,
				const struct ctl_request *req,
				struct ctl_reply *reply)
{
	enum tp_view view = ctl_verb_entry(req, struct tp_verb, v)->op;
	size_t i;

	reply->result = json_array();
	for (i = 0; i < set->n; i++) {
		struct tp *tp = &set->tps[i];
		struct db_tp st = {0};
		bool have = db_tp_get(set->db, tp->cfg.name, &st) == 0;
		const char *state = have ? tp_state_of(tp, &st) : "new";

		json_array_append_new(reply->result, tp_row(tp, &st, state));
		if (i)
			ctl_reply_printf(reply, "\n");
		if (view == TP_VIEW_PKID)
			tp_text_pkid(tp, &st, state, reply);
		else if (view == TP_VIEW_STATUS)
			tp_text_status(tp, &st, state, reply);
		else
			tp_text_ios(tp, &st, reply);
		if (have)
			db_tp_free(&st);
	}
	return 0;
}

/* One certificate as JSON and as IOS's block. */
static json_t *cert_item(struct tp *tp, struct ctl_reply *reply,
			 const char *role, const unsigned char *der, size_t len,
			 const struct ios_cert_view *v)
{
	X509 *x = tp_x509(der, len);
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "", nb_s[32], na_s[32], rn[32];
	char *subject, *buf = NULL;
	struct ios_cert_view view = *v;
	int64_t nb = 0, na = 0, now = 0;
	size_t blen = 0;
	FILE *f;
	json_t *o;

	if (!x)
		return NULL;
	scep_client_fingerprint(x, EVP_sha256(), fp, sizeof(fp));
	tp_cert_times(x, &nb, &na);
	iso_time(nb, nb_s, sizeof(nb_s));
	iso_time(na, na_s, sizeof(na_s));
	iso_time(v->renew, rn, sizeof(rn));
	subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "role", role, "subject",
		      subject ? subject : "", "fingerprint", fp, "start", nb_s,
		      "end", na_s, "renew", rn);
	if (tp_now(tp, &now) == 0 && now >= na)
		view.status = "Expired";
	f = open_memstream(&buf, &blen);
	if (f) {
		ios_cert_block(f, x, &view);
		fclose(f);
	}
	if (buf)
		ctl_reply_printf(reply, "%s", buf);
	free(buf);
	OPENSSL_free(subject);
	X509_free(x);
	return o;
}

/* The deadline of this trustpoint's RENEW or SHADOW timer, 0 if none. */
static int64_t renew_at(struct tp *tp)
{
	struct pkiks_timer_info *t = NULL;
	int64_t at = 0;
	size_t n = 0, i;

	if (pkiks_timer_list(tp->set->ks, &t, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp(t[i].owner, tp->cfg.name) &&
		    (t[i].kind == PKIKS_TIMER_RENEW ||
		     t[i].kind == PKIKS_TIMER_SHADOW))
			at = (int64_t)(t[i].deadline_ns / 1000000000ULL);
	free(t);
	return at;
}

static void add_item(json_t *items, json_t *o)
{
	if (o)
		json_array_append_new(items, o);
}

/*
 * One trustpoint's certificates in IOS's order: its own, the CA's, the
 * RA's, then the rollover (shadow) pair.  The CRL's dates are pkid's
 * extra: verbose only, under the CA certificate.
 */
static void show_certs_of(struct tp *tp, bool verbose, json_t *out,
			  struct ctl_reply *reply)
{
	struct ios_cert_view v = {.status = "Available",
				  .trustpoint = tp->cfg.name,
				  .verbose = verbose};
	json_t *items = json_array();
	char cu[32], cn[32], crl[160] = "", a[IOS_TIME_MAX], b[IOS_TIME_MAX];
	struct db_tp st;
	X509 *ra;

	if (tp->crl_next) {
		ios_time(a, sizeof(a), tp->crl_this);
		ios_time(b, sizeof(b), tp->crl_next);
		snprintf(crl, sizeof(crl),
			 "  CRL this update: %s\n  CRL next update: %s\n", a, b);
	}
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) == 0) {
		v.title = "Certificate";
		v.renew = renew_at(tp);
		add_item(items, cert_item(tp, reply, "Identity", st.id_cert,
					  st.id_cert_len, &v));
		v.renew = 0;
		v.title = "CA Certificate";
		v.extra = crl[0] ? crl : NULL;
		add_item(items, cert_item(tp, reply, "CA", st.ca_cert,
					  st.ca_cert_len, &v));
		v.extra = NULL;
		ra = tp_x509(st.ra_cert, st.ra_cert_len);
		v.title = ra ? ios_ra_title(ra) : "";
		X509_free(ra);
		add_item(items, cert_item(tp, reply, "RA", st.ra_cert,
					  st.ra_cert_len, &v));
		v.title = "Certificate (Rollover)";
		add_item(items, cert_item(tp, reply, "Shadow identity",
					  st.shadow_id_cert,
					  st.shadow_id_cert_len, &v));
		v.title = "CA Certificate (Rollover)";
		add_item(items, cert_item(tp, reply, "Shadow CA", st.shadow_ca_cert,
					  st.shadow_ca_cert_len, &v));
		db_tp_free(&st);
	}
	iso_time(tp->crl_this, cu, sizeof(cu));
	iso_time(tp->crl_next, cn, sizeof(cn));
	json_array_append_new(
		out, json_pack("{s:s, s:o, s:s, s:s}", "trustpoint",
			       tp->cfg.name, "certificates", items,
			       "crl_this_update", cu, "crl_next_update", cn));
}

static int cmd_show_certs(struct tp_set *set, const struct ctl_request *req,
			  struct ctl_reply *reply)
{
	bool verbose = ctl_verb_entry(req, struct tp_verb, v)->op;
	struct tp *only = NULL;
	size_t i;

	if (ctl_arg(req, 0)) {
		only = arg_tp(set, req, reply);
		if (!only)
			return -ENOENT;
	}
	reply->result = json_array();
	for (i = 0; i < set->n; i++)
		if (!only || only == &set->tps[i])
			show_certs_of(&set->tps[i], verbose, reply->result,
				      reply);
	return 0;
}

/* Every verb runs under the set's lock. */
static int tp_verb_run(const struct ctl_request *req, struct ctl_reply *reply,
		       void *arg)
{
	const struct tp_verb *e = ctl_verb_entry(req, struct tp_verb, v);
	struct tp_set *set = arg;
	int ret;

	pthread_mutex_lock(&set->lock);
	ret = e->run(set, req, reply);
	pthread_mutex_unlock(&set->lock);
	return ret;
}

#define VERB(name, flags, usage, min, max, fn)                                 \
	.v = {name, flags, usage, min, max, tp_verb_run}, .run = fn

/* clang-format off */
static const struct tp_verb tp_verbs[] = {
	{VERB("trustpoint authenticate", CTL_F_MUTATES, "TP [--accept]", 1, 2,
	      cmd_authenticate)},
	{VERB("trustpoint enroll", CTL_F_MUTATES, "TP", 1, 1, cmd_enroll)},
	{VERB("trustpoint import certificate", CTL_F_MUTATES, "TP PEM", 2, 2,
	      cmd_import)},
	{VERB("trustpoint import ca-certificate", CTL_F_MUTATES,
	      "TP PEM [--accept]", 2, 3, cmd_import), .op = 1},
	{VERB("show trustpoints", 0, "", 0, 0, cmd_show_trustpoints)},
	{VERB("show trustpoints status", 0, "", 0, 0, cmd_show_trustpoints),
	 .op = TP_VIEW_STATUS},
	{VERB("show trustpoints verbose", 0, "", 0, 0, cmd_show_trustpoints),
	 .op = TP_VIEW_PKID},
	{VERB("show trustpoint certificates", 0, "[TP]", 0, 1,
	      cmd_show_certs)},
	{VERB("show trustpoint certificates verbose", 0, "[TP]", 0, 1,
	      cmd_show_certs), .op = 1},
};
/* clang-format on */

int tp_ctl_register(struct tp_set *set, struct ctl_server *srv)
{
	return set ? CTL_REGISTER_TABLE(srv, tp_verbs, v, set) : 0;
}
