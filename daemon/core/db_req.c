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
	"expires, csr, signer, reply, generation"

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
	struct db_stmt *st;
	int rc;

	if (!r->server[0] || !r->tid[0])
		return -EINVAL;
	rc = db_row(db,
		    "INSERT INTO request (server, tid, state, subject,"
		    " fingerprint, serial, created, expires, csr, signer,"
		    " reply, generation)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		    " RETURNING id",
		    &st,
		    "ttittIIIbbbi", r->server, r->tid, (int)r->state,
		    r->subject, r->fingerprint, (int64_t)r->serial,
		    (int64_t)r->created, (int64_t)r->expires,
		    (const void *)r->csr, r->csr_len, (const void *)r->signer,
		    r->signer_len, (const void *)r->reply, r->reply_len,
		    r->generation);
	if (rc)
		return rc;
	r->id = db_col_int64(st, 0);
	rc = db_step_done(db, st, "request add");
	db_done(db, st);
	return rc;
}

/* Scalars always; blobs copied (malloc'd) only when asked. */
static int req_from_row(struct db_stmt *st, struct db_request *r, bool blobs)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->id = db_col_int64(st, 0);
	db_col_text(st, 1, r->server, sizeof(r->server));
	db_col_text(st, 2, r->tid, sizeof(r->tid));
	r->state = db_col_int(st, 3);
	db_col_text(st, 5, r->fingerprint, sizeof(r->fingerprint));
	r->serial = db_col_int64(st, 6);
	r->created = db_col_int64(st, 7);
	r->expires = db_col_int64(st, 8);
	r->generation = db_col_int(st, 12);
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

/* The row db_row found (rc 0) into r, with its blobs. */
static int req_get_one(struct db *db, struct db_stmt *st, int rc,
		       struct db_request *r)
{
	if (rc)
		return rc;
	rc = req_from_row(st, r, true);
	db_done(db, st);
	return rc;
}

int db_request_get(struct db *db, int64_t id, struct db_request *r)
{
	struct db_stmt *st;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = db_row(db, "SELECT " REQ_COLS " FROM request WHERE id = ?", &st,
		    "I", (int64_t)id);
	return req_get_one(db, st, rc, r);
}

int db_request_by_tid(struct db *db, const char *server, const char *tid,
		      struct db_request *r)
{
	struct db_stmt *st;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = db_row(db,
		    "SELECT " REQ_COLS " FROM request"
		    " WHERE server = ? AND tid = ?",
		    &st, "tt", server, tid);
	return req_get_one(db, st, rc, r);
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

/* db_run's count of changed rows into *count (when asked for). */
static int counted(int rc, int64_t *count)
{
	if (rc < 0)
		return rc;
	if (count)
		*count = rc;
	return 0;
}

int db_request_set_state(struct db *db, int64_t id, enum db_req_state state,
			 int64_t serial)
{
	return db_changed_one(db_run(
		db,
		"UPDATE request SET state = ?,"
		" serial = CASE WHEN ?2 > 0 THEN ?2 ELSE serial END"
		" WHERE id = ?3",
		"iII", (int)state, (int64_t)serial, (int64_t)id));
}

int db_request_set_reply(struct db *db, int64_t id, const unsigned char *reply,
			 size_t len)
{
	return db_changed_one(db_run(db,
				  "UPDATE request SET reply = ? WHERE id = ?",
				  "bI", (const void *)reply, len, (int64_t)id));
}

int db_request_delete(struct db *db, int64_t id)
{
	return db_changed_one(db_run(db, "DELETE FROM request WHERE id = ?", "I",
				  (int64_t)id));
}

int db_request_delete_all(struct db *db, const char *server, int state,
			  int64_t *count)
{
	return counted(db_run(db,
			      "DELETE FROM request WHERE server = ?"
			      " AND (?2 < 0 OR state = ?2)",
			      "ti", server, (int)state),
		       count);
}

int db_request_expire(struct db *db, int64_t now, int64_t *count)
{
	return counted(db_run(db,
			      "DELETE FROM request WHERE state = ? AND"
			      " expires <= ?",
			      "iI", (int)DB_REQ_PENDING, (int64_t)now),
		       count);
}

int db_request_prune(struct db *db, const char *server, int state,
		     int64_t now, int keep)
{
	return counted(db_run(db,
			      "DELETE FROM request WHERE server = ?1 AND"
			      " state = ?2 AND (expires <= ?3 OR id NOT IN"
			      " (SELECT id FROM request WHERE server = ?1 AND"
			      " state = ?2 ORDER BY id DESC LIMIT ?4))",
			      "tiIi", server, (int)state, (int64_t)now,
			      (int)keep),
		       NULL);
}

int db_request_foreach(struct db *db, const char *server, int state,
		       bool with_blobs, db_request_cb cb, void *arg)
{
	struct db_stmt *st;
	struct db_request r;
	int rc;

	rc = db_prepv(db,
		      "SELECT " REQ_COLS " FROM request"
		      " WHERE (?1 IS NULL OR server = ?1)"
		      " AND (?2 < 0 OR state = ?2) ORDER BY id",
		      &st, "ti", server, (int)state);
	if (rc)
		return rc;
	while ((rc = db_step(db, st, "request list")) == 1) {
		rc = req_from_row(st, &r, with_blobs);
		if (!rc)
			rc = cb(&r, arg);
		db_request_free(&r);
		if (rc)
			break;
	}
	db_done(db, st);
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
	int rc;

	if (!password[0])
		return -EINVAL;
	rc = otp_hash(server, password, h);
	if (!rc)
		rc = db_run(db,
			    "INSERT INTO otp (server, hash, expires)"
			    " VALUES (?, ?, ?)",
			    "tbI", server, (const void *)h, sizeof(h),
			    (int64_t)expires);
	return rc < 0 ? rc : 0;
}

/* One DELETE ... RETURNING: two concurrent consumers cannot both win. */
int db_otp_consume(struct db *db, const char *server, const char *password,
		   int64_t now)
{
	unsigned char h[32];
	struct db_stmt *st;
	int64_t expires;
	int rc;

	rc = otp_hash(server, password, h);
	if (!rc)
		rc = db_row(db,
			    "DELETE FROM otp WHERE server = ? AND hash = ?"
			    " RETURNING expires",
			    &st, "tb", server, (const void *)h, sizeof(h));
	if (rc)
		return rc;
	expires = db_col_int64(st, 0);
	rc = db_step_done(db, st, "otp consume");
	if (!rc && expires <= now)
		rc = -EKEYEXPIRED;
	db_done(db, st);
	return rc;
}

int db_otp_purge(struct db *db, int64_t now, int64_t *count)
{
	return counted(db_run(db, "DELETE FROM otp WHERE expires <= ?", "I",
			      (int64_t)now),
		       count);
}
