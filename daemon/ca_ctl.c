// SPDX-License-Identifier: MIT
/*
 * The certificate server's control commands (daemon/ctl.h), each
 * {"cmd": "...", "args": [NAME, ...]}:
 *
 *   show server NAME            status, issuer, fingerprint, grant mode,
 *                               last serial, CA expiry, CRL next update
 *   show requests NAME          the request queue
 *   show certificates NAME      issued certificates
 *   server grant NAME all|ID    issue pending request(s)
 *   server reject NAME all|ID
 *   server remove NAME all|ID
 *   server revoke NAME SERIAL   then re-sign the CRL
 *   server unrevoke NAME SERIAL
 *   server password generate NAME [MINUTES]   one-time challenge (60 min)
 *   server info crl NAME
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "ca_internal.h"
#include "ctl.h"

#define CA_OTP_DEFAULT_MIN 60
#define CA_OTP_MAX_MIN	   (7 * 24 * 60)

static void iso_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm))
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The server named by args[0], running; else an error reply. */
static int check_server(struct ca *ca, const struct ctl_request *req,
			struct ctl_reply *reply)
{
	const char *name = ctl_arg(req, 0);

	if (!name)
		return ctl_reply_error(reply, -EINVAL, "usage: %s NAME ...",
				       req->cmd);
	if (strcmp(name, ca->cfg.name) != 0)
		return ctl_reply_error(reply, -ENOENT, "no server %s", name);
	/* `show server` also describes a CA that is not running. */
	if (!ca->running && strcmp(req->cmd, "show server"))
		return ctl_reply_error(reply, -EAGAIN, "server %s is disabled",
				       name);
	return 0;
}

static int show_disabled(struct ca *ca, struct ctl_reply *reply)
{
	const char *why = ca->cfg.shutdown ? "shutdown"
					   : "waiting for authoritative time";

	reply->result = json_pack("{s:s, s:s, s:s, s:s}", "name", ca->cfg.name,
				  "status", "disabled", "reason", why, "issuer",
				  ca->cfg.issuer_name);
	ctl_reply_printf(reply,
			 "Certificate Server %s:\n"
			 "    Status: disabled (%s)\n"
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

static int show_server(struct ca *ca, const struct ctl_request *req,
		       struct ctl_reply *reply)
{
	struct db_ca row = {0};
	char fp[CA_FP_HEX_MAX], exp[32], next[32], dir[PKID_CONF_URL_MAX];
	int64_t last = 0, end = 0;
	json_t *o;
	int ret;

	ret = db_ca_get(ca->db, ca->cfg.name, &row);
	ret = ret ?: db_serial_last(ca->db, ca->cfg.name, &last);
	ret = ret ?: ca_dir(ca, dir, sizeof(dir));
	if (ret < 0)
		return ctl_reply_error(reply, ret, "database: %s",
				       strerror(-ret));
	ca_fingerprint(ca->pub->ca_cert, fp, sizeof(fp));
	ca_time_of(X509_get0_notAfter(ca->pub->ca_cert), &end);
	iso_time(end, exp, sizeof(exp));
	iso_time(row.crl_next_update, next, sizeof(next));
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:s, "
		      "s:s, s:s}",
		      "name", ca->cfg.name, "status", "enabled", "issuer",
		      ca->cfg.issuer_name, "fingerprint", fp, "last_serial",
		      (json_int_t)last, "ca_expires", exp, "crl_next_update",
		      next, "crl_number", (json_int_t)row.crl_number, "grant",
		      pkid_grant_mode_name(ca->cfg.grant), "storage", dir,
		      "database_level", pkid_db_level_name(ca->cfg.db_level),
		      "key_mode",
		      ca->key_mode == CA_KEY_MODE_RA ? "ra" : "single");
	db_ca_free(&row);
	reply->result = o;
	ctl_reply_printf(reply,
			 "Certificate Server %s:\n"
			 "    Status: enabled\n"
			 "    Issuer name: %s\n"
			 "    CA cert fingerprint: %s\n"
			 "    Granting mode is: %s\n"
			 "    Last certificate issued serial number: %" PRId64
			 "\n"
			 "    CA certificate expiration timer: %s\n"
			 "    CRL NextUpdate timer: %s\n"
			 "    Storage: %s\n"
			 "    Database Level: %s\n"
			 "    Key mode: %s\n"
			 "    Rollover status: not available\n",
			 ca->cfg.name, ca->cfg.issuer_name, fp,
			 pkid_grant_mode_name(ca->cfg.grant), last, exp, next,
			 dir, pkid_db_level_name(ca->cfg.db_level),
			 ca->key_mode == CA_KEY_MODE_RA ? "RA certificate"
							: "single key (IOS)");
	return 0;
}

static int request_row(const struct db_request *r, void *arg)
{
	struct ctl_reply *reply = arg;

	json_array_append_new(reply->result,
			      json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "id",
					(json_int_t)r->id, "state",
					db_req_state_name(r->state), "tid",
					r->tid, "fingerprint", r->fingerprint,
					"subject", r->subject ? r->subject : "",
					"serial", (json_int_t)r->serial));
	ctl_reply_printf(reply, "%-6" PRId64 " %-9s %-40.40s %s\n", r->id,
			 db_req_state_name(r->state), r->tid,
			 r->subject ? r->subject : "");
	return 0;
}

static int show_requests(struct ca *ca, const struct ctl_request *req,
			 struct ctl_reply *reply)
{
	reply->result = json_array();
	ctl_reply_printf(reply, "Enrollment Request Database:\n"
				"ReqID  State     TransactionID"
				"                            Subject\n");
	return db_request_foreach(ca->db, ca->cfg.name, -1, false, request_row,
				  reply);
}

static int cert_row(const struct db_cert *c, void *arg)
{
	struct ctl_reply *reply = arg;
	char nb[32], na[32], rv[32];

	iso_time(c->not_before, nb, sizeof(nb));
	iso_time(c->not_after, na, sizeof(na));
	iso_time(c->revoked_at, rv, sizeof(rv));
	json_array_append_new(
		reply->result,
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s}", "serial",
			  (json_int_t)c->serial, "subject",
			  c->subject ? c->subject : "", "not_before", nb,
			  "not_after", na, "fingerprint", c->fingerprint,
			  "revoked", c->revoked_at != 0, "revoked_at", rv));
	ctl_reply_printf(reply, "%-6" PRId64 " %s %s %-8s %s\n", c->serial, nb,
			 na, c->revoked_at ? "revoked" : "valid",
			 c->subject ? c->subject : "");
	return 0;
}

static int show_certificates(struct ca *ca, const struct ctl_request *req,
			     struct ctl_reply *reply)
{
	reply->result = json_array();
	ctl_reply_printf(reply, "Serial NotBefore            NotAfter"
				"             Status   Subject\n");
	return db_cert_foreach(ca->db, ca->cfg.name, DB_CERT_NO_DER, cert_row,
			       reply);
}

/* grant/reject/remove on one request. */
static int act_one(struct ca *ca, const char *verb, int64_t id, int64_t now)
{
	struct db_request r = {0};
	X509 *x = NULL;
	int ret;

	if (strcmp(verb, "remove") == 0)
		return db_request_delete(ca->db, id);
	ret = db_request_get(ca->db, id, &r);
	if (ret < 0)
		return ret;
	if (r.state != DB_REQ_PENDING || strcmp(r.server, ca->cfg.name))
		ret = -EALREADY;
	else if (strcmp(verb, "grant") == 0)
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

static int act_all(struct ca *ca, const char *verb, int64_t now, size_t *done)
{
	struct id_list *l;
	size_t i;
	int ret;

	*done = 0;
	if (strcmp(verb, "remove") == 0) {
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
		ret = act_one(ca, verb, l->ids[i], now);
	free(l);
	return ret;
}

static int server_act(struct ca *ca, const struct ctl_request *req,
		      struct ctl_reply *reply, const char *verb)
{
	const char *what = ctl_arg(req, 1);
	size_t done = 1;
	int64_t id = 0, now;
	int ret;

	if (!what || (strcmp(what, "all") && parse_id(what, &id)))
		return ctl_reply_error(reply, -EINVAL,
				       "usage: server %s NAME all|ID", verb);
	if (ca_now(ca, &now) < 0)
		return ctl_reply_error(reply, -EAGAIN, CA_CLOCK_MSG);
	if (strcmp(what, "all") == 0)
		ret = act_all(ca, verb, now, &done);
	else
		ret = act_one(ca, verb, id, now);
	if (strcmp(verb, "remove") && !ret)
		ca_rearm_er_expire(ca, now);
	if (ret == -ENOENT)
		return ctl_reply_error(reply, ret, "no request %s", what);
	if (ret == -EALREADY)
		return ctl_reply_error(reply, ret, "request %s is not pending",
				       what);
	if (ret < 0)
		return ctl_reply_error(reply, ret, "%s failed: %s", verb,
				       strerror(-ret));
	reply->result = json_pack("{s:s, s:I}", "action", verb, "count",
				  (json_int_t)done);
	ctl_reply_printf(reply, "%s: %zu request(s)\n", verb, done);
	return 0;
}

static int server_revoke(struct ca *ca, const struct ctl_request *req,
			 struct ctl_reply *reply, bool revoke)
{
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

	iso_time(c->revoked_at, when, sizeof(when));
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
	iso_time(row.crl_next_update, next, sizeof(next));
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

/* One entry point: the command name picks the action, under the lock. */
static int dispatch(const struct ctl_request *req, struct ctl_reply *reply,
		    void *arg)
{
	struct ca *ca = arg;
	const char *c = req->cmd;
	int ret;

	pthread_mutex_lock(&ca->lock);
	ret = check_server(ca, req, reply);
	if (ret < 0)
		goto out;
	if (!strcmp(c, "show server"))
		ret = ca->running ? show_server(ca, req, reply)
				  : show_disabled(ca, reply);
	else if (!strcmp(c, "show requests") ||
		 !strcmp(c, "server info requests"))
		ret = show_requests(ca, req, reply);
	else if (!strcmp(c, "show certificates"))
		ret = show_certificates(ca, req, reply);
	else if (!strcmp(c, "server grant"))
		ret = server_act(ca, req, reply, "grant");
	else if (!strcmp(c, "server reject"))
		ret = server_act(ca, req, reply, "reject");
	else if (!strcmp(c, "server remove"))
		ret = server_act(ca, req, reply, "remove");
	else if (!strcmp(c, "server revoke"))
		ret = server_revoke(ca, req, reply, true);
	else if (!strcmp(c, "server unrevoke"))
		ret = server_revoke(ca, req, reply, false);
	else if (!strcmp(c, "server password generate"))
		ret = server_password(ca, req, reply);
	else if (!strcmp(c, "server info crl"))
		ret = server_info_crl(ca, req, reply);
	else
		ret = ctl_reply_error(reply, -EOPNOTSUPP, "unknown command");
out:
	pthread_mutex_unlock(&ca->lock);
	return ret;
}

static const struct {
	const char *name;
	unsigned int flags;
	const char *usage;
} ca_commands[] = {
	{"show server", 0, "NAME"},
	{"show requests", 0, "NAME"},
	{"server info requests", 0, "NAME"},
	{"show certificates", 0, "NAME"},
	{"server grant", CTL_F_MUTATES, "NAME all|ID"},
	{"server reject", CTL_F_MUTATES, "NAME all|ID"},
	{"server remove", CTL_F_MUTATES, "NAME all|ID"},
	{"server revoke", CTL_F_MUTATES, "NAME SERIAL"},
	{"server unrevoke", CTL_F_MUTATES, "NAME SERIAL"},
	{"server password generate", CTL_F_MUTATES, "NAME [MINUTES]"},
	{"server info crl", 0, "NAME"},
};

int ca_ctl_register(struct ca *ca, struct ctl_server *srv)
{
	size_t i;
	int ret;

	for (i = 0; i < sizeof(ca_commands) / sizeof(ca_commands[0]); i++) {
		ret = ctl_register(srv, ca_commands[i].name, dispatch,
				   ca_commands[i].flags, ca,
				   ca_commands[i].usage);
		if (ret < 0)
			return ret;
	}
	return 0;
}
