// SPDX-License-Identifier: MIT
/*
 * The CA side of the database: per-server state, serial and CRL counters,
 * issued certificates and their revocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

#define CA_COLS                                                                \
	"name, cur_cert, cur_key, roll_cert, roll_key, rollover, "             \
	"archive_counter, crl_number, crl, crl_next_update, last_serial"

static int ca_from_row(struct db_stmt *st, struct db_ca *ca)
{
	int rc;

	memset(ca, 0, sizeof(*ca));
	db_col_text(st, 0, ca->name, sizeof(ca->name));
	db_col_text(st, 2, ca->cur_key, sizeof(ca->cur_key));
	db_col_text(st, 4, ca->roll_key, sizeof(ca->roll_key));
	ca->rollover = db_col_int(st, 5);
	ca->archive_counter = db_col_int64(st, 6);
	ca->crl_number = db_col_int64(st, 7);
	ca->crl_next_update = db_col_int64(st, 9);
	ca->last_serial = db_col_int64(st, 10);
	rc = db_col_blob(st, 1, &ca->cur_cert, &ca->cur_cert_len);
	if (!rc)
		rc = db_col_blob(st, 3, &ca->roll_cert, &ca->roll_cert_len);
	if (!rc)
		rc = db_col_blob(st, 8, &ca->crl, &ca->crl_len);
	if (rc)
		db_ca_free(ca);
	return rc;
}

int db_ca_get(struct db *db, const char *name, struct db_ca *ca)
{
	struct db_stmt *st;
	int rc;

	memset(ca, 0, sizeof(*ca));
	rc = db_row(db, "SELECT " CA_COLS " FROM ca WHERE name = ?", &st, "t",
		    name);
	if (rc)
		return rc;
	rc = ca_from_row(st, ca);
	db_done(db, st);
	return rc;
}

/* Other nodes hear of the change when the transaction commits. */
static int notify(struct db *db, const char *name)
{
	int rc;

	if (!db_shared(db))
		return 0;
	rc = db_run(db, "SELECT pg_notify('pkid', ?)", "t", name);
	return rc < 0 ? rc : 0;
}

int db_ca_put(struct db *db, const struct db_ca *ca)
{
	static const char sql[] =
		"INSERT INTO ca (name, cur_cert, cur_key, roll_cert, roll_key,"
		" rollover, archive_counter, crl_number, crl, crl_next_update)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT (name) DO UPDATE SET cur_cert = ?2,"
		" cur_key = ?3, roll_cert = ?4, roll_key = ?5, rollover = ?6,"
		" archive_counter = ?7,"
		" crl = CASE WHEN ca.crl_number > ?8 THEN ca.crl ELSE ?9 END,"
		" crl_next_update = CASE WHEN ca.crl_number > ?8"
		"  THEN ca.crl_next_update ELSE ?10 END,"
		" crl_number = CASE WHEN ca.crl_number > ?8"
		"  THEN ca.crl_number ELSE ?8 END";
	bool own;
	int rc = db_tx_begin(db, &own);

	if (rc)
		return rc;
	rc = db_run(db, sql, "tbtbtiIIbI", ca->name, (const void *)ca->cur_cert,
		    ca->cur_cert_len, ca->cur_key, (const void *)ca->roll_cert,
		    ca->roll_cert_len, ca->roll_key, (int)ca->rollover,
		    (int64_t)ca->archive_counter, (int64_t)ca->crl_number,
		    (const void *)ca->crl, ca->crl_len,
		    (int64_t)ca->crl_next_update);
	rc = rc < 0 ? rc : notify(db, ca->name);
	return db_tx_end(db, own, rc);
}

int db_ca_set_crl(struct db *db, const char *name, const unsigned char *crl,
		  size_t len, int64_t number, int64_t next_update)
{
	bool own;
	int rc = db_tx_begin(db, &own);

	if (rc)
		return rc;
	rc = db_run(db,
		    "UPDATE ca SET crl = ?, crl_number = ?, crl_next_update = ?"
		    " WHERE name = ? AND crl_number <= ?2",
		    "bIIt", (const void *)crl, len, (int64_t)number,
		    (int64_t)next_update, name);
	if (rc == 0)
		rc = -ESTALE;
	rc = rc < 0 ? rc : notify(db, name);
	return db_tx_end(db, own, rc);
}

void db_ca_free(struct db_ca *ca)
{
	free(ca->cur_cert);
	free(ca->roll_cert);
	free(ca->crl);
	ca->cur_cert = ca->roll_cert = ca->crl = NULL;
	ca->cur_cert_len = ca->roll_cert_len = ca->crl_len = 0;
}

/*
 * Forget a CA's certificates and keys, but keep its serial and CRL
 * counters: a CA re-created under the same name must not reuse a serial
 * or a CRL number its predecessor used.
 */
int db_ca_delete(struct db *db, const char *name)
{
	int rc = db_run(db,
			"UPDATE ca SET cur_cert = NULL, cur_key = '',"
			" roll_cert = NULL, roll_key = '', rollover = 0,"
			" crl = NULL, crl_next_update = 0 WHERE name = ?",
			"t", name);

	return db_changed_one(rc);
}

/* UPDATE ... RETURNING on one counter column, in a transaction. */
static int bump(struct db *db, const char *sql, const char *name, bool create,
		int64_t *out)
{
	struct db_stmt *st = NULL;
	bool own;
	int rc;

	rc = db_tx_begin(db, &own);
	if (rc)
		return rc;
	if (create)
		rc = db_exec_text(
			db, "INSERT INTO ca (name) VALUES (?)"
			    " ON CONFLICT DO NOTHING", name);
	if (!rc)
		rc = db_row(db, sql, &st, "t", name);
	if (!rc) {
		*out = db_col_int64(st, 0);
		rc = db_step_done(db, st, sql);
		db_done(db, st);
	}
	return db_tx_end(db, own, rc);
}

int db_ca_next_crl_number(struct db *db, const char *name, int64_t *n)
{
	return bump(db,
		    "UPDATE ca SET crl_number = crl_number + 1 WHERE name = ?"
		    " RETURNING crl_number",
		    name, false, n);
}

int db_ca_next_archive(struct db *db, const char *name, int64_t *n)
{
	return bump(db,
		    "UPDATE ca SET archive_counter = archive_counter + 1"
		    " WHERE name = ? RETURNING archive_counter",
		    name, false, n);
}

int db_serial_reserve(struct db *db, const char *name, int64_t *serial)
{
	return bump(db,
		    "UPDATE ca SET last_serial = last_serial + 1 WHERE name = ?"
		    " RETURNING last_serial",
		    name, true, serial);
}

/*
 * n serials at once, [*first, *first + n), in a transaction of its own
 * (committed and synced before it returns): a CA hands them out from
 * memory, so a crash leaves at most n - 1 unused, never one used twice.
 */
int db_serial_reserve_block(struct db *db, const char *name, int64_t n,
			    int64_t *first)
{
	const char *sql = "UPDATE ca SET last_serial = last_serial + ?"
			  " WHERE name = ? RETURNING last_serial";
	struct db_stmt *st = NULL;
	bool own;
	int rc;

	if (n < 1 || db_in_transaction(db))
		return -EINVAL;
	rc = db_tx_begin(db, &own);
	if (rc)
		return rc;
	rc = db_exec_text(db,
			  "INSERT INTO ca (name) VALUES (?)"
			  " ON CONFLICT DO NOTHING",
			  name);
	if (!rc)
		rc = db_row(db, sql, &st, "It", n, name);
	if (!rc) {
		*first = db_col_int64(st, 0) - n + 1;
		rc = db_step_done(db, st, sql);
		db_done(db, st);
	}
	return db_tx_end(db, own, rc);
}

int db_serial_last(struct db *db, const char *name, int64_t *serial)
{
	struct db_stmt *st;
	int rc = db_row(db, "SELECT last_serial FROM ca WHERE name = ?", &st,
			"t", name);

	*serial = 0;
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	*serial = db_col_int64(st, 0);
	db_done(db, st);
	return 0;
}

/* ---- issued certificates ---- */

#define CERT_COLS                                                              \
	"server, serial, subject, not_before, not_after, fingerprint, der, "   \
	"issuer_fp, request_id, revoked_at, reason"

int db_cert_add(struct db *db, const struct db_cert *c)
{
	int rc = db_run(db,
			"INSERT INTO cert (" CERT_COLS ") VALUES"
			" (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"tItIItbtIIi", c->server, (int64_t)c->serial,
			c->subject ? c->subject : "", (int64_t)c->not_before,
			(int64_t)c->not_after, c->fingerprint,
			(const void *)c->der, c->der_len, c->issuer_fp,
			(int64_t)c->request_id, (int64_t)c->revoked_at,
			(int)c->reason);

	return rc < 0 ? rc : 0;
}

/* A row into *c; with copy, every pointer is malloc'd, else borrowed. */
static int cert_from_row(struct db_stmt *st, struct db_cert *c, bool copy,
			 bool der)
{
	int rc = 0;

	memset(c, 0, sizeof(*c));
	db_col_text(st, 0, c->server, sizeof(c->server));
	c->serial = db_col_int64(st, 1);
	c->not_before = db_col_int64(st, 3);
	c->not_after = db_col_int64(st, 4);
	db_col_text(st, 5, c->fingerprint, sizeof(c->fingerprint));
	db_col_text(st, 7, c->issuer_fp, sizeof(c->issuer_fp));
	c->request_id = db_col_int64(st, 8);
	c->revoked_at = db_col_int64(st, 9);
	c->reason = db_col_int(st, 10);
	if (!copy) {
		c->subject = (char *)db_col_text_ref(st, 2);
		if (der)
			c->der = (unsigned char *)db_col_blob_ref(st, 6,
								  &c->der_len);
		return 0;
	}
	rc = db_col_strdup(st, 2, &c->subject);
	if (!rc && der)
		rc = db_col_blob(st, 6, &c->der, &c->der_len);
	if (rc)
		db_cert_free(c);
	return rc;
}

int db_cert_get(struct db *db, const char *server, int64_t serial,
		struct db_cert *c)
{
	struct db_stmt *st;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = db_row(db,
		    "SELECT " CERT_COLS " FROM cert WHERE server = ?"
		    " AND serial = ?",
		    &st, "tI", server, (int64_t)serial);
	if (rc)
		return rc;
	rc = cert_from_row(st, c, true, true);
	db_done(db, st);
	return rc;
}

void db_cert_free(struct db_cert *c)
{
	free(c->subject);
	free(c->der);
	c->subject = NULL;
	c->der = NULL;
	c->der_len = 0;
}

/* Revoke or unrevoke: -EALREADY when the certificate is in that state. */
static int set_revoked(struct db *db, const char *server, int64_t serial,
		       int64_t at, int reason, bool revoke)
{
	struct db_cert cur;
	bool own;
	int rc;

	rc = db_tx_begin(db, &own);
	if (rc)
		return rc;
	rc = db_cert_get(db, server, serial, &cur);
	if (!rc && (cur.revoked_at != 0) == revoke)
		rc = -EALREADY;
	db_cert_free(&cur);
	if (!rc)
		rc = db_run(db,
			    "UPDATE cert SET revoked_at = ?, reason = ?"
			    " WHERE server = ? AND serial = ?",
			    "IitI", (int64_t)(revoke ? at : 0),
			    (int)(revoke ? reason : 0), server,
			    (int64_t)serial);
	return db_tx_end(db, own, rc < 0 ? rc : 0);
}

int db_cert_revoke(struct db *db, const char *server, int64_t serial,
		   int64_t at, int reason)
{
	if (at <= 0)
		return -EINVAL;
	return set_revoked(db, server, serial, at, reason, true);
}

int db_cert_unrevoke(struct db *db, const char *server, int64_t serial)
{
	return set_revoked(db, server, serial, 0, 0, false);
}

int db_cert_foreach(struct db *db, const char *server, unsigned int flags,
		    db_cert_cb cb, void *arg)
{
	struct db_stmt *st;
	struct db_cert c;
	int rc;

	rc = db_prepv(db,
		      "SELECT " CERT_COLS " FROM cert"
		      " WHERE (?1 IS NULL OR server = ?1)"
		      " AND (?2 = 0 OR revoked_at != 0)"
		      " ORDER BY server, serial",
		      &st, "ti", server, (int)!!(flags & DB_CERT_REVOKED));
	if (rc)
		return rc;
	while ((rc = db_step(db, st, "cert list")) == 1) {
		cert_from_row(st, &c, false, !(flags & DB_CERT_NO_DER));
		rc = cb(&c, arg);
		if (rc)
			break;
	}
	db_done(db, st);
	return rc;
}
