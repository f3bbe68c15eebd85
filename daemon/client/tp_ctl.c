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

#include "proto/scep/scep_client.h"
#include "tp_internal.h"

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
	X509 *id = tp_x509(st->id_cert, st->id_cert_len);
	int64_t now, nb, na;
	bool gone = id && tp_now(tp, &now) == 0 &&
		    tp_cert_times(id, &nb, &na) == 0 && now >= na;

	X509_free(id);
	return gone;
}

/* An expired identity says so, whatever is in progress (issue 13 #4). */
const char *tp_state_of(struct tp *tp, const struct db_tp *st)
{
	if (st->id_cert && id_expired(tp, st))
		return "expired";
	if (st->pending_kind != TP_KIND_NONE)
		return st->pending_tid[0] ? "pending" : "retrying";
	if (st->id_cert)
		return "enrolled";
	return st->ca_cert ? "authenticated" : "new";
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

static int cmd_show_trustpoints(struct tp_set *set,
				const struct ctl_request *req,
				struct ctl_reply *reply)
{
	size_t i;

	reply->result = json_array();
	for (i = 0; i < set->n; i++) {
		struct tp *tp = &set->tps[i];
		struct db_tp st = {0};
		bool have = db_tp_get(set->db, tp->cfg.name, &st) == 0;
		const char *state = have ? tp_state_of(tp, &st) : "new";
		char cu[32], cn[32];

		iso_time(tp->crl_this, cu, sizeof(cu));
		iso_time(tp->crl_next, cn, sizeof(cn));
		json_array_append_new(
			reply->result,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}",
				  "name", tp->cfg.name, "url",
				  tp->cfg.enrollment_url, "state", state,
				  "request", tp_kind_name(st.pending_kind),
				  "transaction_id", st.pending_tid, "polls",
				  (int)st.poll_count, "crl_this_update", cu,
				  "crl_next_update", cn));
		ctl_reply_printf(reply,
				 "Trustpoint %s:\n    Enrollment URL: %s\n"
				 "    State: %s%s%s\n",
				 tp->cfg.name, tp->cfg.enrollment_url, state,
				 st.pending_tid[0] ? ", transaction " : "",
				 st.pending_tid);
		if (tp->cfg.revocation_check == PKID_REVCHECK_CRL)
			ctl_reply_printf(reply,
					 "    CRL: this update %s, next update "
					 "%s\n",
					 cu, cn);
		if (have)
			db_tp_free(&st);
	}
	return 0;
}

/* One certificate as JSON and text; renew: the RENEW/SHADOW instant. */
static json_t *cert_item(struct ctl_reply *reply, const char *role,
			 const unsigned char *der, size_t len, int64_t renew)
{
	X509 *x = tp_x509(der, len);
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "", nb_s[32], na_s[32], rn[32];
	char *subject;
	int64_t nb = 0, na = 0;
	json_t *o;

	if (!x)
		return NULL;
	scep_client_fingerprint(x, EVP_sha256(), fp, sizeof(fp));
	tp_cert_times(x, &nb, &na);
	iso_time(nb, nb_s, sizeof(nb_s));
	iso_time(na, na_s, sizeof(na_s));
	iso_time(renew, rn, sizeof(rn));
	subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "role", role, "subject",
		      subject ? subject : "", "fingerprint", fp, "start", nb_s,
		      "end", na_s, "renew", rn);
	ctl_reply_printf(reply,
			 "  %s certificate\n    Subject: %s\n"
			 "    Fingerprint (SHA-256): %s\n"
			 "    Validity Date:\n      start date: %s\n"
			 "      end   date: %s\n%s%s%s",
			 role, subject ? subject : "", fp, nb_s, na_s,
			 renew > 0 ? "      renew date: " : "",
			 renew > 0 ? rn : "", renew > 0 ? "\n" : "");
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

static void show_certs_of(struct tp *tp, json_t *out, struct ctl_reply *reply)
{
	struct db_tp st;
	json_t *items = json_array(), *o;
	char cu[32], cn[32];

	ctl_reply_printf(reply, "Trustpoint %s:\n", tp->cfg.name);
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) == 0) {
		o = cert_item(reply, "CA", st.ca_cert, st.ca_cert_len, 0);
		if (o)
			json_array_append_new(items, o);
		o = cert_item(reply, "RA", st.ra_cert, st.ra_cert_len, 0);
		if (o)
			json_array_append_new(items, o);
		o = cert_item(reply, "Identity", st.id_cert, st.id_cert_len,
			      renew_at(tp));
		if (o)
			json_array_append_new(items, o);
		o = cert_item(reply, "Shadow CA", st.shadow_ca_cert,
			      st.shadow_ca_cert_len, 0);
		if (o)
			json_array_append_new(items, o);
		o = cert_item(reply, "Shadow identity", st.shadow_id_cert,
			      st.shadow_id_cert_len, 0);
		if (o)
			json_array_append_new(items, o);
		db_tp_free(&st);
	}
	iso_time(tp->crl_this, cu, sizeof(cu));
	iso_time(tp->crl_next, cn, sizeof(cn));
	if (tp->crl_next)
		ctl_reply_printf(reply,
				 "  CRL\n    CRL this update: %s\n"
				 "    CRL next update: %s\n",
				 cu, cn);
	json_array_append_new(
		out, json_pack("{s:s, s:o, s:s, s:s}", "trustpoint",
			       tp->cfg.name, "certificates", items,
			       "crl_this_update", cu, "crl_next_update", cn));
}

static int cmd_show_certs(struct tp_set *set, const struct ctl_request *req,
			  struct ctl_reply *reply)
{
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
			show_certs_of(&set->tps[i], reply->result, reply);
	return 0;
}

/* One trustpoint verb: its table entry and handler. */
struct tp_verb {
	struct ctl_verb v;
	int (*run)(struct tp_set *set, const struct ctl_request *req,
		   struct ctl_reply *reply);
};

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
	{VERB("show trustpoints", 0, "", 0, 0, cmd_show_trustpoints)},
	{VERB("show trustpoint certificates", 0, "[TP]", 0, 1,
	      cmd_show_certs)},
};
/* clang-format on */

int tp_ctl_register(struct tp_set *set, struct ctl_server *srv)
{
	return set ? CTL_REGISTER_TABLE(srv, tp_verbs, v, set) : 0;
}
