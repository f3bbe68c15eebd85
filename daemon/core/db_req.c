// SPDX-License-Identifier: MIT
/*
 * SCEP requests (the pending queue and the replies resent for a repeated
 * transactionID) and one-time challenge passwords.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db_internal.h"

#define REQ_COLS                                                               \
	"id, server, tid, state, subject, fingerprint, serial, created, "      \
	"expires, csr, signer, reply"

static const char *const state_names[] = {"pending", "granted", "rejected",
					  "issued"};

const char *db_req_state_name(enum db_req_state state)
{
	if ((unsigned int)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[state];
}

int db_request_add(struct db *db, struct db_request *r)
{
	sqlite3_stmt *st;
	int rc;

	if (!r->server[0] || !r->tid[0])
		return -EINVAL;
	rc = db_prep(db,
		     "INSERT INTO request (server, tid, state, subject,"
		     " fingerprint, serial, created, expires, csr, signer,"
		     " reply) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		     &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, r->server);
	db_bind_text(st, 2, r->tid);
	sqlite3_bind_int(st, 3, r->state);
	db_bind_text(st, 4, r->subject);
	db_bind_text(st, 5, r->fingerprint);
	sqlite3_bind_int64(st, 6, r->serial);
	sqlite3_bind_int64(st, 7, r->created);
	sqlite3_bind_int64(st, 8, r->expires);
	db_bind_blob(st, 9, r->csr, r->csr_len);
	db_bind_blob(st, 10, r->signer, r->signer_len);
	db_bind_blob(st, 11, r->reply, r->reply_len);
	rc = db_step_done(db, st, "request add");
	if (!rc)
		r->id = sqlite3_last_insert_rowid(db->h);
	sqlite3_finalize(st);
	return rc;
}

/* Scalars always; blobs copied (malloc'd) only when asked. */
static int req_from_row(sqlite3_stmt *st, struct db_request *r, bool blobs)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, r->server, sizeof(r->server));
	db_col_text(st, 2, r->tid, sizeof(r->tid));
	r->state = sqlite3_column_int(st, 3);
	db_col_text(st, 5, r->fingerprint, sizeof(r->fingerprint));
	r->serial = sqlite3_column_int64(st, 6);
	r->created = sqlite3_column_int64(st, 7);
	r->expires = sqlite3_column_int64(st, 8);
	rc = db_col_strdup(st, 4, &r->subject);
	if (!rc && blobs)
		rc = db_col_blob(st, 9, &r->csr, &r->csr_len);
	if (!rc && blobs)
		rc = db_col_blob(st, 10, &r->signer, &r->signer_len);
	if (!rc && blobs)
		rc = db_col_blob(st, 11, &r->reply, &r->reply_len);
	if (rc)
		db_request_free(r);
	return rc;
}

static int req_get_one(struct db *db, sqlite3_stmt *st, struct db_request *r)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = req_from_row(st, r, true);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(db, rc, "request");
	sqlite3_finalize(st);
	return rc;
}

int db_request_get(struct db *db, int64_t id, struct db_request *r)
{
	sqlite3_stmt *st;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = db_prep(db, "SELECT " REQ_COLS " FROM request WHERE id = ?", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return req_get_one(db, st, r);
}

int db_request_by_tid(struct db *db, const char *server, const char *tid,
		      struct db_request *r)
{
	sqlite3_stmt *st;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = db_prep(db,
		     "SELECT " REQ_COLS " FROM request"
		     " WHERE server = ? AND tid = ?",
		     &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, server);
	db_bind_text(st, 2, tid);
	return req_get_one(db, st, r);
}

void db_request_free(struct db_request *r)
{
	free(r->subject);
	free(r->csr);
	free(r->signer);
	free(r->reply);
	r->subject = NULL;
	r->csr = r->signer = r->reply = NULL;
	r->csr_len = r->signer_len = r->reply_len = 0;
}

/* Run an UPDATE/DELETE on one request id; -ENOENT if no row changed. */
static int req_change(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc = db_step_done(db, st, what);

	if (!rc && sqlite3_changes(db->h) == 0)
		rc = -ENOENT;
	sqlite3_finalize(st);
	return rc;
}

int db_request_set_state(struct db *db, int64_t id, enum db_req_state state,
			 int64_t serial)
{
	sqlite3_stmt *st;
	int rc = db_prep(db,
			 "UPDATE request SET state = ?,"
			 " serial = CASE WHEN ?2 > 0 THEN ?2 ELSE serial END"
			 " WHERE id = ?3",
			 &st);

	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, serial);
	sqlite3_bind_int64(st, 3, id);
	return req_change(db, st, "request state");
}

int db_request_set_reply(struct db *db, int64_t id, const unsigned char *reply,
			 size_t len)
{
	sqlite3_stmt *st;
	int rc = db_prep(db, "UPDATE request SET reply = ? WHERE id = ?", &st);

	if (rc)
		return rc;
	db_bind_blob(st, 1, reply, len);
	sqlite3_bind_int64(st, 2, id);
	return req_change(db, st, "request reply");
}

int db_request_delete(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc = db_prep(db, "DELETE FROM request WHERE id = ?", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return req_change(db, st, "request delete");
}

static int delete_counted(struct db *db, sqlite3_stmt *st, int64_t *count)
{
	int rc = db_step_done(db, st, "request delete");

	if (!rc && count)
		*count = sqlite3_changes(db->h);
	sqlite3_finalize(st);
	return rc;
}

int db_request_delete_all(struct db *db, const char *server, int state,
			  int64_t *count)
{
	sqlite3_stmt *st;
	int rc = db_prep(db,
			 "DELETE FROM request WHERE server = ?"
			 " AND (?2 < 0 OR state = ?2)",
			 &st);

	if (rc)
		return rc;
	db_bind_text(st, 1, server);
	sqlite3_bind_int(st, 2, state);
	return delete_counted(db, st, count);
}

int db_request_expire(struct db *db, int64_t now, int64_t *count)
{
	sqlite3_stmt *st;
	int rc = db_prep(db,
			 "DELETE FROM request WHERE state = ? AND expires <= ?",
			 &st);

	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, DB_REQ_PENDING);
	sqlite3_bind_int64(st, 2, now);
	return delete_counted(db, st, count);
}

int db_request_prune(struct db *db, const char *server, int state,
		     int64_t now, int keep)
{
	sqlite3_stmt *st;
	int rc = db_prep(db,
			 "DELETE FROM request WHERE server = ?1 AND state = ?2"
			 " AND (expires <= ?3 OR id NOT IN (SELECT id FROM"
			 " request WHERE server = ?1 AND state = ?2"
			 " ORDER BY id DESC LIMIT ?4))",
			 &st);

	if (rc)
		return rc;
	db_bind_text(st, 1, server);
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, keep);
	return delete_counted(db, st, NULL);
}

int db_request_foreach(struct db *db, const char *server, int state,
		       bool with_blobs, db_request_cb cb, void *arg)
{
	sqlite3_stmt *st;
	struct db_request r;
	int rc;

	rc = db_prep(db,
		     "SELECT " REQ_COLS " FROM request"
		     " WHERE (?1 IS NULL OR server = ?1)"
		     " AND (?2 < 0 OR state = ?2) ORDER BY id",
		     &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, server);
	sqlite3_bind_int(st, 2, state);
	for (;;) {
		int s = sqlite3_step(st);

		if (s != SQLITE_ROW) {
			rc = s == SQLITE_DONE ? 0
					      : db_err(db, s, "request list");
			break;
		}
		rc = req_from_row(st, &r, with_blobs);
		if (!rc)
			rc = cb(&r, arg);
		db_request_free(&r);
		if (rc)
			break;
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- one-time passwords ---- */

/* SHA-256(server NUL password): the password itself is never stored. */
static int otp_hash(const char *server, const char *pw, unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, server, strlen(server) + 1) &&
	     EVP_DigestUpdate(ctx, pw, strlen(pw)) &&
	     EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int db_otp_add(struct db *db, const char *server, const char *password,
	       int64_t expires)
{
	unsigned char h[32];
	sqlite3_stmt *st;
	int rc;

	if (!password[0])
		return -EINVAL;
	rc = otp_hash(server, password, h);
	if (!rc)
		rc = db_prep(db,
			     "INSERT INTO otp (server, hash, expires)"
			     " VALUES (?, ?, ?)",
			     &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, server);
	db_bind_blob(st, 2, h, sizeof(h));
	sqlite3_bind_int64(st, 3, expires);
	rc = db_step_done(db, st, "otp add");
	sqlite3_finalize(st);
	return rc;
}

/* One DELETE ... RETURNING: two concurrent consumers cannot both win. */
int db_otp_consume(struct db *db, const char *server, const char *password,
		   int64_t now)
{
	unsigned char h[32];
	sqlite3_stmt *st;
	int64_t expires;
	int rc;

	rc = otp_hash(server, password, h);
	if (!rc)
		rc = db_prep(db,
			     "DELETE FROM otp WHERE server = ? AND hash = ?"
			     " RETURNING expires",
			     &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, server);
	db_bind_blob(st, 2, h, sizeof(h));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		expires = sqlite3_column_int64(st, 0);
		rc = db_step_done(db, st, "otp consume");
		if (!rc && expires <= now)
			rc = -EKEYEXPIRED;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(db, rc, "otp");
	}
	sqlite3_finalize(st);
	return rc;
}

int db_otp_purge(struct db *db, int64_t now, int64_t *count)
{
	sqlite3_stmt *st;
	int rc = db_prep(db, "DELETE FROM otp WHERE expires <= ?", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	return delete_counted(db, st, count);
}
