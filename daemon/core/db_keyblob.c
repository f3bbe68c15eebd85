// SPDX-License-Identifier: MIT
/*
 * Wrapped keystore keys: for each key pkid made, the blob the keystore
 * returned for it (KEY_WRAP, sealed under the keystore's KEK: pkid cannot
 * open it) and the key's public half, so a restart of the keystore can
 * be undone (daemon/core/keyblob.c) and a restored key checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

int db_keyblob_get(struct db *db, const char *name, struct db_keyblob *kb)
{
	struct db_stmt *st;
	int rc;

	memset(kb, 0, sizeof(*kb));
	rc = db_row(db,
		    "SELECT name, blob, pubkey FROM key_blob WHERE name = ?",
		    &st, "t", name);
	if (rc)
		return rc;
	db_col_text(st, 0, kb->name, sizeof(kb->name));
	rc = db_col_blob(st, 1, &kb->blob, &kb->blob_len);
	if (!rc)
		rc = db_col_blob(st, 2, &kb->pubkey, &kb->pubkey_len);
	if (!rc && (!kb->blob || !kb->pubkey))
		rc = -EBADMSG;
	if (rc)
		db_keyblob_free(kb);
	db_done(db, st);
	return rc;
}

/*
 * put and delete open a transaction of their own when the caller has none
 * (as every write of the table files does), so that a leader's step is
 * fenced there too (db_fence): a deposed leader's key never replaces the
 * new leader's blob.
 */
static int put_row(struct db *db, const struct db_keyblob *kb)
{
	int rc = db_run(db,
		    "INSERT INTO key_blob (name, blob, pubkey)"
		    " VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
		    " SET blob = excluded.blob, pubkey = excluded.pubkey",
		    "tbb", kb->name, (const void *)kb->blob, kb->blob_len,
		    (const void *)kb->pubkey, kb->pubkey_len);
	return rc < 0 ? rc : 0;
}

int db_keyblob_put(struct db *db, const struct db_keyblob *kb)
{
	bool own;
	int rc;

	if (!kb->name[0] || !kb->blob_len || !kb->pubkey_len)
		return -EINVAL;
	rc = db_tx_begin(db, &own);
	if (rc)
		return rc;
	return db_tx_end(db, own, put_row(db, kb));
}

int db_keyblob_delete(struct db *db, const char *name)
{
	bool own;
	int rc = db_tx_begin(db, &own);

	if (rc)
		return rc;
	rc = db_run(db, "DELETE FROM key_blob WHERE name = ?", "t", name);
	return db_tx_end(db, own, db_changed_one(rc));
}

/* Replace @to's row by @from's, renamed; -ENOENT if @from has none. */
static int move_row(struct db *db, const char *from, const char *to)
{
	int rc = db_exec_text(db, "DELETE FROM key_blob WHERE name = ?", to);

	if (rc)
		return rc;
	rc = db_run(db, "UPDATE key_blob SET name = ? WHERE name = ?", "tt",
		    to, from);
	return db_changed_one(rc);
}

int db_keyblob_move(struct db *db, const char *from, const char *to)
{
	bool own;
	int rc = db_tx_begin(db, &own);

	if (rc)
		return rc;
	return db_tx_end(db, own, move_row(db, from, to));
}

void db_keyblob_free(struct db_keyblob *kb)
{
	free(kb->blob);
	free(kb->pubkey);
	kb->blob = kb->pubkey = NULL;
	kb->blob_len = kb->pubkey_len = 0;
}
