// SPDX-License-Identifier: MIT
/*
 * The certificate server's control commands (daemon/core/ctl.h), each
 * {"cmd": "...", "args": [NAME, ...]}:
 *
 *   show server NAME            status, issuer, fingerprint, grant mode,
 *                               last serial, CA expiry, CRL next update
 *   show requests [verbose] NAME  the request queue: IOS's Enrollment
 *                               Request Database, or pkid's table
 *   show certificates [NAME]    issued certificates (NAME: the server's)
 *   server grant NAME all|ID    issue pending request(s)
 *   server reject NAME all|ID
 *   server remove NAME all|ID
 *   server revoke NAME SERIAL   then re-sign the CRL
 *   server unrevoke NAME SERIAL
 *   server password generate NAME [MINUTES]   one-time challenge (60 min)
 *   server info crl NAME
 *   server rollover NAME        make the rollover CA now (ROLLOVER.md §3.1)
 *   server rollover cancel NAME delete the rollover key and certificate
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "ca_internal.h"
#include "ca_ocsp.h"
#include "core/ctl.h"
#include "core/log.h"
#include "ios_show.h"

#define CA_OTP_DEFAULT_MIN 60
#define CA_OTP_MAX_MIN	   (7 * 24 * 60)

/* One control verb of the server: its table entry and handler. */
struct ca_verb {
	struct ctl_verb v;
	int (*run)(struct ca *ca, const struct ctl_request *req,
		   struct ctl_reply *reply);
	int op;		    /* which of the verbs sharing a handler */
	bool default_name;  /* no NAME: the server's own */
	bool when_disabled; /* answers while the server is not running */
	bool switches;	    /* renames or deletes keystore keys */
	bool ca_key;	    /* needs the CA key: not in mode ra */
};

static int verb_op(const struct ctl_request *req)
{
	return ctl_verb_entry(req, struct ca_verb, v)->op;
}

/* The server named by args[0], running; else an error reply. */
static int check_server(struct ca *ca, const struct ca_verb *e,
			const struct ctl_request *req, struct ctl_reply *reply)
{
	const char *name = ctl_arg(req, 0);

	if (!name && e->default_name)
		name = ca->cfg.name; /* pkictl show certificates: all of them */
	if (!name)
		return ctl_reply_error(reply, -EINVAL, "usage: %s %s", req->cmd,
				       e->v.usage);
	if (strcmp(name, ca->cfg.name) != 0)
		return ctl_reply_error(reply, -ENOENT, "no server %s", name);
	if (!ca->running && !e->when_disabled)
		return ctl_reply_error(reply, -EAGAIN, "server %s is disabled",
				       name);
	if (e->ca_key && ca_is_ra(ca))
		return ctl_reply_error(reply, -EOPNOTSUPP,
				       "server %s is an RA (mode ra): the "
				       "upstream CA %s does this",
				       name, ca->ra_url);
	return 0;
}

/*
 * IOS's "Status" is enabled or disabled; "State" says why, and the lock line
 * says whether the configuration can change under the running server.
 */
static int show_disabled(struct ca *ca, struct ctl_reply *reply)
{
	const char *why = ca->cfg.shutdown ? "shutdown"
			  : ca->why[0]	   ? ca->why
					   : "waiting for authoritative time";

	reply->result = json_pack("{s:s, s:s, s:s, s:s}", "name", ca->cfg.name,
				  "status", "disabled", "reason", why, "issuer",
				  ca->cfg.issuer_name);
	ctl_reply_printf(reply,
			 "Certificate Server %s:\n"
			 "    Status: disabled\n"
			 "    State: %s\n"
			 "    Server's configuration is unlocked  (enter \"no "
			 "shut\" to lock it)\n"
			 "    Issuer name: %s\n",
			 ca->cfg.name, why, ca->cfg.issuer_name);
	return 0;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*id = strtoll(s, &end, 10);
	return errno || *end || *id <= 0 ? -EINVAL : 0;
}

/* "30 days", or "0 days 0 hours 4 minutes" for a window of minutes. */
static void overlap_text(int64_t sec, char *buf, size_t size)
{
	if (sec % 86400 == 0)
		snprintf(buf, size, "%lld days", (long long)(sec / 86400));
	else
		snprintf(buf, size, "%lld days %lld hours %lld minutes",
			 (long long)(sec / 86400),
			 (long long)(sec % 86400 / 3600),
			 (long long)(sec % 3600 / 60));
}

/* show server's rollover fields (IOS: Rollover status, Auto-Rollover). */
/* JSON "ocsp": what the responder signed and answered (ocsp-url set). */
static void show_ocsp(struct ca *ca, json_t *o)
{
	struct ca_ocsp_stats st;

	if (!ca->cfg.ocsp_url[0] || ca_ocsp_stats(ca, &st) < 0)
		return;
	json_object_set_new(
		o, "ocsp",
		json_pack("{s:I, s:I, s:I, s:I, s:I}", "cache_hits",
			  (json_int_t)st.hits, "signed_on_request",
			  (json_int_t)st.signed_on_request, "signed_ahead",
			  (json_int_t)st.signed_ahead, "busy",
			  (json_int_t)st.busy, "cached",
			  (json_int_t)st.cached));
}

static void show_rollover(struct ca *ca, json_t *o)
{
	X509 *roll = ca->pub->k.roll_cert;
	char fp[CA_FP_HEX_MAX], t[32];
	int64_t at = 0;

	json_object_set_new(
		o, "rollover_status",
		json_string(roll ? "available for rollover" : "not available"));
	json_object_set_new(o, "auto_rollover",
			    json_boolean(ca->cfg.auto_rollover));
	if (ca->cfg.auto_rollover)
		json_object_set_new(o, "auto_rollover_overlap_seconds",
				    json_integer(ca->cfg.rollover_window));
	if (!roll)
		return;
	ca_fingerprint(roll, fp, sizeof(fp));
	json_object_set_new(o, "rollover_fingerprint", json_string(fp));
	ca_time_of(X509_get0_notBefore(roll), &at);
	ca_iso_time(at, t, sizeof(t));
	json_object_set_new(o, "rollover_starts", json_string(t));
	ca_time_of(X509_get0_notAfter(roll), &at);
	ca_iso_time(at, t, sizeof(t));
	json_object_set_new(o, "rollover_expires", json_string(t));
}

/* IOS's rollover lines: the fingerprint is MD5 in 8-digit groups. */
static void show_rollover_text(struct ca *ca, json_t *o,
			       struct ctl_reply *reply)
{
	X509 *roll = ca->pub->k.roll_cert;
	char overlap[64], fp[IOS_FP_MAX] = "", t[IOS_TIME_MAX];
	int64_t end = 0;

	ctl_reply_printf(
		reply, "    Rollover status: %s\n",
		json_string_value(json_object_get(o, "rollover_status")));
	if (roll) {
		ios_fingerprint(roll, EVP_md5(), fp, sizeof(fp));
		ca_time_of(X509_get0_notAfter(roll), &end);
		ios_time(t, sizeof(t), end);
		ctl_reply_printf(reply,
				 "    Rollover CA certificate fingerprint: %s\n"
				 "    Rollover CA certificate expiration time: "
				 "%s\n",
				 fp, t);
	}
	if (ca->cfg.auto_rollover) {
		overlap_text(ca->cfg.rollover_window, overlap, sizeof(overlap));
		ctl_reply_printf(reply,
				 "    Auto-Rollover configured, overlap period "
				 "%s\n",
				 overlap);
	}
}

/* IOS's names of the database levels (`database level`). */
static const char *db_level_text(enum pkid_db_level l)
{
	switch (l) {
	case PKID_DB_LEVEL_MINIMUM:
		return "Minimum - minimal data written to database";
	case PKID_DB_LEVEL_NAMES:
		return "Names - subject name data written as <serialnum>.cnm";
	default:
		return "Complete - all issued certs written as <serialnum>.cer";
	}
}

/* pkid's facts beyond IOS: `show server NAME verbose`. */
/* "ca_key": "RSA 2048" or "ECDSA P-256"/"ECDSA P-384" (eckeypair). */
static void show_key_type(struct ca *ca, json_t *o)
{
	EVP_PKEY *pk = X509_get0_pubkey(ca->pub->k.ca_cert);
	char buf[32];

	if (!pk)
		return;
	snprintf(buf, sizeof(buf), "%s %s%d",
		 EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC ? "ECDSA" : "RSA",
		 EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC ? "P-" : "",
		 EVP_PKEY_get_bits(pk));
	json_object_set_new(o, "ca_key", json_string(buf));
}

/*
 * Enrollments signed outside the CA's lock (a contended lock, issue 14)
 * and certificates signed that way but dropped (their serials gaps).
 */
static void show_presign(struct ca *ca, json_t *o)
{
	json_object_set_new(o, "signed_outside_lock",
			    json_integer((json_int_t)__atomic_load_n(
				    &ca->n_presigned, __ATOMIC_RELAXED)));
	json_object_set_new(o, "presign_dropped",
			    json_integer((json_int_t)__atomic_load_n(
				    &ca->n_presign_dropped, __ATOMIC_RELAXED)));
}

static void show_extras_text(struct ca *ca, json_t *o, struct ctl_reply *reply)
{
	const char *roll_fp =
		json_string_value(json_object_get(o, "rollover_fingerprint"));

	ctl_reply_printf(reply,
			 "    CA cert fingerprint (SHA-256): %s\n"
			 "    CRL number: %" JSON_INTEGER_FORMAT "\n"
			 "    Key mode: %s\n"
			 "    CA key: %s\n"
			 "    Signed outside the CA lock: %" JSON_INTEGER_FORMAT
			 " (dropped: %" JSON_INTEGER_FORMAT ")\n",
			 json_string_value(json_object_get(o, "fingerprint")),
			 json_integer_value(json_object_get(o, "crl_number")),
			 ca->key_mode == CA_KEY_MODE_RA ? "RA certificate"
							: "single key (IOS)",
			 json_string_value(json_object_get(o, "ca_key")),
			 json_integer_value(
				 json_object_get(o, "signed_outside_lock")),
			 json_integer_value(
				 json_object_get(o, "presign_dropped")));
	if (roll_fp)
		ctl_reply_printf(reply,
				 "    Rollover CA cert fingerprint (SHA-256): "
				 "%s\n"
				 "    Rollover CA certificate start time: %s\n",
				 roll_fp,
				 json_string_value(
					 json_object_get(o, "rollover_starts")));
}

static int show_enabled(struct ca *ca, struct ctl_reply *reply, bool verbose)
{
	struct db_ca row = {0};
	char fp[CA_FP_HEX_MAX], exp[32], next[32], dir[PKID_CONF_URL_MAX];
	char md5[IOS_FP_MAX] = "", exp_t[IOS_TIME_MAX], next_t[IOS_TIME_MAX];
	int64_t last = 0, end = 0, now = 0;
	bool expired;
	json_t *o;
	int ret;

	/* Expired: the CA answers but issues nothing (ca_pub_expired). */
	expired = ca_now(ca, &now) == 0 && ca_pub_expired(ca->pub, now);
	ret = db_ca_get(ca->db, ca->cfg.name, &row);
	ret = ret ?: db_serial_last(ca->db, ca->cfg.name, &last);
	/* Several nodes: one cut off from the database still says what it
	 * is (its role, the database lost) and what it publishes; the
	 * database's fields (CRL, last serial) stay 0. */
	if (ret == -ENOTCONN && db_shared(ca->db)) {
		db_ca_free(&row);
		memset(&row, 0, sizeof(row));
		last = 0;
		ret = 0;
	}
	/* IOS's "last certificate issued": the counter is the end of the
	 * block reserved ahead (ca_serial_block_fill); what is left of it
	 * was not handed out yet, unless a serial was reserved after it. */
	if (ca->serial_next > 0 && last == ca->serial_end - 1)
		last = ca->serial_next - 1;
	ret = ret ?: ca_dir(ca, dir, sizeof(dir));
	if (ret < 0)
		return ctl_reply_error(reply, ret, "database: %s",
				       strerror(-ret));
	ca_fingerprint(ca->pub->k.ca_cert, fp, sizeof(fp));
	ios_fingerprint(ca->pub->k.ca_cert, EVP_md5(), md5, sizeof(md5));
	ca_time_of(X509_get0_notAfter(ca->pub->k.ca_cert), &end);
	ca_iso_time(end, exp, sizeof(exp));
	ca_iso_time(row.crl_next_update, next, sizeof(next));
	ios_time(exp_t, sizeof(exp_t), end);
	ios_time(next_t, sizeof(next_t), row.crl_next_update);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:s, "
		      "s:s, s:s}",
		      "name", ca->cfg.name, "status", expired ? "expired" : "enabled", "issuer",
		      ca->cfg.issuer_name, "fingerprint", fp, "last_serial",
		      (json_int_t)last, "ca_expires", exp, "crl_next_update",
		      next, "crl_number", (json_int_t)row.crl_number, "grant",
		      pkid_grant_mode_name(ca->cfg.grant), "storage", dir,
		      "database_level", pkid_db_level_name(ca->cfg.db_level),
		      "key_mode",
		      ca->key_mode == CA_KEY_MODE_RA ? "ra" : "single");
	db_ca_free(&row);
	reply->result = o;
	show_presign(ca, o);
	show_key_type(ca, o);
	show_rollover(ca, o);
	show_ocsp(ca, o);
	ctl_reply_printf(reply,
			 "Certificate Server %s:\n"
			 "    Status: enabled\n"
			 "    State: %s\n"
			 "    Server's configuration is locked  (enter \"shut\" "
			 "to unlock it)\n"
			 "    Issuer name: %s\n"
			 "    CA cert fingerprint: %s\n"
			 "    Granting mode is: %s\n"
			 "    Last certificate issued serial number (hex): "
			 "%" PRIX64 "\n"
			 "    CA certificate expiration timer: %s\n"
			 "    CRL NextUpdate timer: %s\n"
			 "    Current primary storage dir: %s\n"
			 "    Database Level: %s\n",
			 ca->cfg.name,
			 expired ? "expired (no certificate is issued)"
				 : "enabled",
			 ca->cfg.issuer_name, md5,
			 pkid_grant_mode_name(ca->cfg.grant), (uint64_t)last,
			 exp_t, next_t, dir, db_level_text(ca->cfg.db_level));
	show_rollover_text(ca, o, reply);
	ca_sub_show(ca, o, reply);
	ca_ra_show(ca, o, reply);
	ca_lead_show(ca, o, reply);
	if (verbose)
		show_extras_text(ca, o, reply);
	return 0;
}

/* show server NAME, and its verbose form with pkid's extras. */
static int show_server(struct ca *ca, const struct ctl_request *req,
		       struct ctl_reply *reply)
{
	return ca->running ? show_enabled(ca, reply, verb_op(req))
			   : show_disabled(ca, reply);
}

/* show requests NAME [verbose]: IOS's view (ca_requests.c), or pkid's. */
static int show_requests(struct ca *ca, const struct ctl_request *req,
			 struct ctl_reply *reply)
{
	return ca_show_requests(ca, reply, verb_op(req));
}

struct cert_list {
	struct ctl_reply *reply;
	char roll_fp[CA_FP_HEX_MAX]; /* "" without a rollover CA */
	int64_t now;		     /* 0: time not authoritative */
	bool verbose;
};

/* One certificate as IOS's block, appended to the reply's text. */
static void cert_text(struct ctl_reply *reply, X509 *x,
		      const struct ios_cert_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	ios_cert_block(f, x, v);
	fclose(f);
	if (buf)
		ctl_reply_printf(reply, "%s", buf);
	free(buf);
}

/* An issued certificate: IOS's "Certificate" block, its status ours. */
static int cert_row(const struct db_cert *c, void *arg)
{
	struct cert_list *l = arg;
	struct ctl_reply *reply = l->reply;
	bool under_roll = l->roll_fp[0] && !strcmp(c->issuer_fp, l->roll_fp);
	const unsigned char *p = c->der;
	X509 *x = c->der ? d2i_X509(NULL, &p, (long)c->der_len) : NULL;
	struct ios_cert_view v = {.title = "Certificate",
				  .status = "Available",
				  .verbose = l->verbose};
	char nb[32], na[32], rv[32], t[IOS_TIME_MAX], extra[160];

	ca_iso_time(c->not_before, nb, sizeof(nb));
	ca_iso_time(c->not_after, na, sizeof(na));
	ca_iso_time(c->revoked_at, rv, sizeof(rv));
	json_array_append_new(
		reply->result,
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:b}", "serial",
			  (json_int_t)c->serial, "subject",
			  c->subject ? c->subject : "", "not_before", nb,
			  "not_after", na, "fingerprint", c->fingerprint,
			  "revoked", c->revoked_at != 0, "revoked_at", rv,
			  "under_rollover", under_roll));
	if (c->revoked_at)
		v.status = "Revoked";
	else if (l->now && c->not_after <= l->now)
		v.status = "Expired";
	ios_time(t, sizeof(t), c->revoked_at);
	snprintf(extra, sizeof(extra), "%s%s%s%s",
		 under_roll ? "  Issued by: the rollover CA\n" : "",
		 c->revoked_at ? "  Revocation date: " : "",
		 c->revoked_at ? t : "", c->revoked_at ? "\n" : "");
	v.extra = extra;
	if (x)
		cert_text(reply, x, &v);
	else /* no DER (never expected): what the row knows, same shape */
		ctl_reply_printf(reply,
				 "Certificate\n  Status: %s\n"
				 "  Certificate Serial Number (hex): %02" PRIX64
				 "\n\n",
				 v.status, (uint64_t)c->serial);
	X509_free(x);
	return 0;
}

/* The rollover CA certificate's JSON row, first in the list. */
static void rollover_row(struct ca *ca, struct cert_list *l)
{
	X509 *x = ca->pub->k.roll_cert;
	char *subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	char nb[32], na[32];
	int64_t serial = 0, t = 0;

	ASN1_INTEGER_get_int64(&serial, X509_get0_serialNumber(x));
	ca_time_of(X509_get0_notBefore(x), &t);
	ca_iso_time(t, nb, sizeof(nb));
	ca_time_of(X509_get0_notAfter(x), &t);
	ca_iso_time(t, na, sizeof(na));
	json_array_append_new(
		l->reply->result,
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:b}", "serial",
			  (json_int_t)serial, "subject", subject ? subject : "",
			  "not_before", nb, "not_after", na, "fingerprint",
			  l->roll_fp, "revoked", 0, "revoked_at", "-",
			  "rollover_ca", 1));
	OPENSSL_free(subject);
}

/* The server's own certificates, as IOS shows its trustpoint's. */
static void own_certs_text(struct ca *ca, struct cert_list *l)
{
	struct ios_cert_view v = {.status = "Available",
				  .trustpoint = ca->cfg.name,
				  .verbose = l->verbose};
	struct ca_pub *pub = ca->pub;

	if (pub->k.roll_cert) {
		v.title = "CA Certificate (Rollover)";
		cert_text(l->reply, pub->k.roll_cert, &v);
	}
	v.title = "CA Certificate";
	cert_text(l->reply, pub->k.ca_cert, &v);
	if (pub->k.ra_cert) {
		v.title = ios_ra_title(pub->k.ra_cert);
		cert_text(l->reply, pub->k.ra_cert, &v);
	}
}

/*
 * show certificates [NAME]: the CA's own certificates (rollover first),
 * then every certificate it issued.  The JSON stays the issued list.
 */
static int show_certificates(struct ca *ca, const struct ctl_request *req,
			     struct ctl_reply *reply)
{
	struct cert_list l = {.reply = reply, .verbose = verb_op(req)};

	reply->result = json_array();
	if (ca_now(ca, &l.now) < 0)
		l.now = 0;
	own_certs_text(ca, &l);
	if (ca->pub->k.roll_cert) {
		ca_fingerprint(ca->pub->k.roll_cert, l.roll_fp,
			       sizeof(l.roll_fp));
		rollover_row(ca, &l);
	}
	return db_cert_foreach(ca->db, ca->cfg.name, 0, cert_row, &l);
}

/* What the operator does to pending requests. */
enum ca_act { CA_ACT_GRANT, CA_ACT_REJECT, CA_ACT_REMOVE };

static const struct {
	const char *verb;
	struct pkid_tag log;
} ca_acts[] = {
	[CA_ACT_GRANT] = {"grant", {LOG_INFO, "CS_GRANT"}},
	[CA_ACT_REJECT] = {"reject", {LOG_INFO, "CS_REJECT"}},
	[CA_ACT_REMOVE] = {"remove", {LOG_INFO, "CS_REMOVE"}},
};

/* grant/reject/remove on one request. */
static int act_one(struct ca *ca, enum ca_act act, int64_t id, int64_t now)
{
	struct db_request r = {0};
	X509 *x = NULL;
	int ret;

	if (act == CA_ACT_REMOVE)
		return db_request_delete(ca->db, id);
	ret = db_request_get(ca->db, id, &r);
	if (ret < 0)
		return ret;
	if (r.state != DB_REQ_PENDING || strcmp(r.server, ca->cfg.name))
		ret = -EALREADY;
	else if (act == CA_ACT_GRANT &&
		 (ca->pub->k.roll_cert || ca_is_ra(ca)))
		/* mode ra: forwarded at the client's next poll (ca_ra_fwd.c),
		 * never with the CA's lock held across the network. */
		/* Which CA issues (current or rollover) follows the
		 * certificate the client enveloped to: issue at its poll. */
		ret = db_request_set_state(ca->db, id, DB_REQ_GRANTED, 0);
	else if (act == CA_ACT_GRANT)
		ret = ca_issue_request(ca, ca->pub, &r, now, &x);
	else
		ret = db_request_set_state(ca->db, id, DB_REQ_REJECTED, 0);
	X509_free(x);
	db_request_free(&r);
	return ret;
}

struct id_list {
	int64_t ids[4096];
	size_t n;
};

static int collect_pending(const struct db_request *r, void *arg)
{
	struct id_list *l = arg;

	if (l->n == sizeof(l->ids) / sizeof(l->ids[0]))
		return 1; /* the rest on the next `all` */
	l->ids[l->n++] = r->id;
	return 0;
}

static int act_all(struct ca *ca, enum ca_act act, int64_t now, size_t *done)
{
	struct id_list *l;
	size_t i;
	int ret;

	*done = 0;
	if (act == CA_ACT_REMOVE) {
		int64_t n = 0;

		ret = db_request_delete_all(ca->db, ca->cfg.name, -1, &n);
		*done = (size_t)n;
		return ret;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	ret = db_request_foreach(ca->db, ca->cfg.name, DB_REQ_PENDING, false,
				 collect_pending, l);
	for (i = 0, ret = ret < 0 ? ret : 0; !ret && i < l->n; i++, (*done)++)
		ret = act_one(ca, act, l->ids[i], now);
	free(l);
	return ret;
}

/* server grant|reject|remove NAME all|ID */
static int server_act(struct ca *ca, const struct ctl_request *req,
		      struct ctl_reply *reply)
{
	enum ca_act act = verb_op(req);
	const char *verb = ca_acts[act].verb, *what = ctl_arg(req, 1);
	size_t done = 1;
	int64_t id = 0, now;
	int ret;

	if (!what || (strcmp(what, "all") && parse_id(what, &id)))
		return ctl_reply_error(reply, -EINVAL,
				       "usage: server %s NAME all|ID", verb);
	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	if (strcmp(what, "all") == 0)
		ret = act_all(ca, act, now, &done);
	else
		ret = act_one(ca, act, id, now);
	if (act != CA_ACT_REMOVE && !ret)
		ca_rearm_er_expire(ca, now);
	/* mode ra: what the operator granted goes upstream now, not at its
	 * client's next poll (ca_ra_poll). */
	if (act == CA_ACT_GRANT && !ret && ca_is_ra(ca))
		ca_ra_poll_arm(ca, now);
	if (ret == -ENOENT)
		return ctl_reply_error(reply, ret, "no request %s", what);
	if (ret == -EALREADY)
		return ctl_reply_error(reply, ret, "request %s is not pending",
				       what);
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s failed: %s", verb,
				       strerror(-ret));
	pkid_log(ca_acts[act].log.level, ca_acts[act].log.tag,
		 "%s: %s %s by the operator (%zu request(s))", ca->cfg.name,
		 verb, what, done);
	reply->result = json_pack("{s:s, s:I}", "action", verb, "count",
				  (json_int_t)done);
	ctl_reply_printf(reply, "%s: %zu request(s)\n", verb, done);
	return 0;
}

/* server revoke|unrevoke NAME SERIAL */
static int server_revoke(struct ca *ca, const struct ctl_request *req,
			 struct ctl_reply *reply)
{
	bool revoke = verb_op(req);
	static const struct pkid_tag revoked = {LOG_INFO, "CS_REVOKE"};
	static const struct pkid_tag unrevoked = {LOG_INFO, "CS_UNREVOKE"};
	const struct pkid_tag *t = revoke ? &revoked : &unrevoked;
	int64_t serial, now;
	int ret;

	if (parse_id(ctl_arg(req, 1), &serial))
		return ctl_reply_error(reply, -EINVAL, "usage: %s NAME SERIAL",
				       req->cmd);
	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	ret = revoke ? db_cert_revoke(ca->db, ca->cfg.name, serial, now, 0)
		     : db_cert_unrevoke(ca->db, ca->cfg.name, serial);
	if (ret == -ENOENT)
		return ctl_reply_error(reply, ret, "no certificate %" PRId64,
				       serial);
	if (ret == -EALREADY)
		return ctl_reply_error(reply, ret,
				       "certificate %" PRId64 " is already %s",
				       serial, revoke ? "revoked" : "valid");
	ret = ret ?: ca_crl_update(ca, now);
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s", strerror(-ret));
	pkid_log(t->level, t->tag,
		 "%s: certificate %" PRId64 " %s; CRL re-signed", ca->cfg.name,
		 serial, revoke ? "revoked" : "unrevoked");
	reply->result = json_pack("{s:I, s:b}", "serial", (json_int_t)serial,
				  "revoked", revoke);
	ctl_reply_printf(reply, "certificate %" PRId64 " %s; CRL re-signed\n",
			 serial, revoke ? "revoked" : "unrevoked");
	return 0;
}

static int server_password(struct ca *ca, const struct ctl_request *req,
			   struct ctl_reply *reply)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	const char *min_arg = ctl_arg(req, 1);
	unsigned char rnd[16];
	char pw[sizeof(rnd) + 1];
	int64_t min = CA_OTP_DEFAULT_MIN, now;
	size_t i;
	int ret;

	if (min_arg && (parse_id(min_arg, &min) || min > CA_OTP_MAX_MIN))
		return ctl_reply_error(reply, -EINVAL, "MINUTES: 1..%d",
				       CA_OTP_MAX_MIN);
	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ctl_reply_error(reply, -EIO, "no randomness");
	for (i = 0; i < sizeof(rnd); i++)
		pw[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	pw[sizeof(rnd)] = '\0';
	ret = db_otp_add(ca->db, ca->cfg.name, pw, now + min * 60);
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s", strerror(-ret));
	reply->result = json_pack("{s:s, s:I}", "password", pw, "minutes",
				  (json_int_t)min);
	ctl_reply_printf(reply,
			 "One-time enrollment password: %s\n"
			 "Valid for %" PRId64 " minute(s)\n",
			 pw, min);
	return 0;
}

static int crl_serial(const struct db_cert *c, void *arg)
{
	struct ctl_reply *reply = arg;
	char when[32];

	ca_iso_time(c->revoked_at, when, sizeof(when));
	json_array_append_new(json_object_get(reply->result, "revoked"),
			      json_integer(c->serial));
	ctl_reply_printf(reply, "    Serial %" PRId64 " revoked %s\n",
			 c->serial, when);
	return 0;
}

static int server_info_crl(struct ca *ca, const struct ctl_request *req,
			   struct ctl_reply *reply)
{
	struct db_ca row = {0};
	char next[32];
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s", strerror(-ret));
	ca_iso_time(row.crl_next_update, next, sizeof(next));
	reply->result =
		json_pack("{s:I, s:s, s:I, s:[]}", "crl_number",
			  (json_int_t)row.crl_number, "next_update", next,
			  "size", (json_int_t)row.crl_len, "revoked");
	ctl_reply_printf(reply,
			 "CRL of %s: number %" PRId64 ", next update %s, "
			 "%zu bytes\n",
			 ca->cfg.name, row.crl_number, next, row.crl_len);
	db_ca_free(&row);
	return db_cert_foreach(ca->db, ca->cfg.name,
			       DB_CERT_REVOKED | DB_CERT_NO_DER, crl_serial,
			       reply);
}

/* server request import NAME PEM: a PKCS#10 from a file, pending. */
static int server_request_import(struct ca *ca, const struct ctl_request *req,
				 struct ctl_reply *reply)
{
	char why[256] = "";
	int64_t now, id = 0;
	int ret;

	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	ret = ca_request_import(ca, ctl_arg(req, 1), now, &id, why,
				sizeof(why));
	if (ret < 0)
		return ctl_reply_error(reply, ret, "not imported: %s",
				       why[0] ? why : strerror(-ret));
	reply->result = json_pack("{s:I, s:s}", "id", (json_int_t)id,
				  "state", "pending");
	ctl_reply_printf(reply,
			 "Request %lld imported, pending: `server %s grant "
			 "%lld`, then `server %s request export %lld FILE`.\n",
			 (long long)id, ca->cfg.name, (long long)id,
			 ca->cfg.name, (long long)id);
	return 0;
}

/* server request export NAME ID: the issued certificate, PEM. */
static int server_request_export(struct ca *ca, const struct ctl_request *req,
				 struct ctl_reply *reply)
{
	char why[256] = "", *pem = NULL;
	int64_t now, id = 0;
	int ret;

	if (parse_id(ctl_arg(req, 1), &id))
		return ctl_reply_error(reply, -EINVAL,
				       "usage: server request export NAME ID");
	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	ret = ca_request_export(ca, id, now, &pem, why, sizeof(why));
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s",
				       why[0] ? why : strerror(-ret));
	reply->result = json_pack("{s:I, s:s}", "id", (json_int_t)id,
				  "certificate", pem);
	ctl_reply_printf(reply, "%s", pem);
	free(pem);
	return 0;
}

/* server rollover export NAME: the signed rollover CA (offline root). */
static int server_rollover_export(struct ca *ca,
				  const struct ctl_request *req,
				  struct ctl_reply *reply)
{
	char why[256] = "", *pem = NULL;
	int64_t now;
	int ret;

	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	ret = ca_rollover_export(ca, now, &pem, why, sizeof(why));
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s",
				       why[0] ? why : strerror(-ret));
	reply->result = json_pack("{s:s}", "next_ca", pem);
	ctl_reply_printf(reply, "%s", pem);
	free(pem);
	return 0;
}

/* server rollover NAME | server rollover cancel NAME */
static int server_rollover(struct ca *ca, const struct ctl_request *req,
			   struct ctl_reply *reply)
{
	bool cancel = verb_op(req);
	char fp[CA_FP_HEX_MAX];
	int64_t now;
	int ret;

	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	/* Several nodes: the rollover is the leader's work alone. */
	if (!ca_is_leader(ca))
		return ctl_reply_error(reply, -EPERM,
				       "this node is a follower: give the "
				       "command on the leader (show server "
				       "names it)");
	ca_lead_fence(ca, true);
	ret = cancel ? ca_rollover_cancel(ca, now)
		     : ca_rollover_create(ca, now);
	ca_lead_fence(ca, false);
	if (ret == -EALREADY && ca_is_sub(ca) && !ca->pub->k.roll_cert)
		return ctl_reply_error(reply, ret,
				       "the rollover CA certificate is "
				       "requested from the parent already "
				       "(trustpoint %s)",
				       ca->cfg.name);
	if (ret == -EALREADY)
		return ctl_reply_error(reply, ret,
				       "a rollover CA certificate exists "
				       "already");
	if (ret == -ENOENT && cancel)
		return ctl_reply_error(reply, ret, "no rollover to cancel");
	if (ret == -EBUSY)
		return ctl_reply_error(reply, ret,
				       "the rollover is being "
				       "promoted");
	if (ret == -EKEYEXPIRED)
		return ctl_reply_error(reply, ret,
				       "the CA certificate has "
				       "expired");
	if (ret < 0)
		return ctl_reply_error(reply, ret, "rollover failed: %s",
				       strerror(-ret));
	if (cancel) {
		reply->result = json_pack("{s:s, s:s}", "rollover_status",
					  "not available", "warning",
					  "clients that fetched the rollover "
					  "CA certificate must re-enroll");
		ctl_reply_printf(reply,
				 "Rollover cancelled.\n"
				 "%% Clients that fetched the rollover CA "
				 "certificate must re-enroll.\n");
		return 0;
	}
	if (!ca->pub->k.roll_cert) { /* a sub: the parent's step */
		reply->result = json_pack("{s:s}", "rollover_status",
					  "requested from the parent");
		ctl_reply_printf(reply,
				 "Rollover key %s%s made; its CA certificate "
				 "is requested from the parent (trustpoint "
				 "%s).\n",
				 ca->cfg.name, CA_ROLL_SUFFIX, ca->cfg.name);
		return 0;
	}
	ca_fingerprint(ca->pub->k.roll_cert, fp, sizeof(fp));
	reply->result =
		json_pack("{s:s, s:s}", "rollover_status",
			  "available for rollover", "rollover_fingerprint", fp);
	ctl_reply_printf(reply, "Rollover CA certificate created: %s\n", fp);
	return 0;
}

/* Every verb: the named server is checked, then its handler runs under
 * the CA's lock. */
static int ca_verb_run(const struct ctl_request *req, struct ctl_reply *reply,
		       void *arg)
{
	const struct ca_verb *e = ctl_verb_entry(req, struct ca_verb, v);
	struct ca *ca = arg;
	int ret;

	if (e->switches)
		ca_switch_begin(ca);
	pthread_mutex_lock(&ca->lock);
	ret = check_server(ca, e, req, reply);
	if (ret == 0)
		ret = e->run(ca, req, reply);
	pthread_mutex_unlock(&ca->lock);
	if (e->switches)
		ca_switch_end(ca);
	return ret;
}

/* clang-format off */
#define VERB(name, flags, usage, min, max, fn) \
	.v = {name, flags, usage, min, max, ca_verb_run}, .run = fn
#define MUT CTL_F_MUTATES
/* A mutating NAME ARG verb that shares its handler: @o tells which. */
#define OP(name, usage, fn, o) {VERB(name, MUT, usage, 2, 2, fn), .op = o}
/* The same for a verb that needs the CA key (refused in mode ra). */
#define OP_CA(name, usage, fn, o)                                              \
	{VERB(name, MUT, usage, 2, 2, fn), .op = o, .ca_key = true}

static const struct ca_verb ca_verbs[] = {
	{VERB("show server", 0, "NAME", 1, 1, show_server),
	 .when_disabled = true},
	{VERB("show server verbose", 0, "NAME", 1, 1, show_server),
	 .when_disabled = true, .op = true},
	{VERB("show requests", 0, "NAME", 1, 1, show_requests)},
	{VERB("show requests verbose", 0, "NAME", 1, 1, show_requests),
	 .op = true},
	{VERB("server info requests", 0, "NAME", 1, 1, show_requests)},
	{VERB("show certificates", 0, "[NAME]", 0, 1, show_certificates),
	 .default_name = true},
	{VERB("show certificates verbose", 0, "[NAME]", 0, 1,
	      show_certificates), .default_name = true, .op = true},
	OP("server grant", "NAME all|ID", server_act, CA_ACT_GRANT),
	OP("server reject", "NAME all|ID", server_act, CA_ACT_REJECT),
	OP("server remove", "NAME all|ID", server_act, CA_ACT_REMOVE),
	OP_CA("server revoke", "NAME SERIAL", server_revoke, true),
	OP_CA("server unrevoke", "NAME SERIAL", server_revoke, false),
	{VERB("server password generate", MUT, "NAME [MINUTES]", 1, 2,
	      server_password)},
	{VERB("server info crl", 0, "NAME", 1, 1, server_info_crl),
	 .ca_key = true},
	{VERB("server rollover", MUT, "NAME", 1, 1, server_rollover),
	 .ca_key = true},
	{VERB("server request import", MUT, "NAME PEM", 2, 2,
	      server_request_import),
	 .ca_key = true},
	{VERB("server request export", MUT, "NAME ID", 2, 2,
	      server_request_export)},
	{VERB("server rollover export", 0, "NAME", 1, 1,
	      server_rollover_export), .ca_key = true},
	{VERB("server rollover cancel", MUT, "NAME", 1, 1, server_rollover),
	 .op = true, .switches = true, .ca_key = true},
};
/* clang-format on */

int ca_ctl_register(struct ca *ca, struct ctl_server *srv)
{
	return CTL_REGISTER_TABLE(srv, ca_verbs, v, ca);
}
