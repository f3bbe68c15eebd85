// SPDX-License-Identifier: MIT
/*
 * A CA's files in the database (issue 18): the RA certificate and its
 * successor, the key archives and the old CA certificates, which a CA
 * keeps in its `database url` folder.  On a database several nodes share
 * they are stored here too, so that every node serves the same RA
 * certificate and a node that takes over finds the archives the others
 * made (daemon/ca/ca_files.c).  Writes are fenced (db_fence) as every
 * write of the table files: a deposed leader's file is not stored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

int db_cafile_get(struct db *db, const char *server, const char *name,
		  struct db_cafile *f)
{
	struct db_stmt *st;
	int rc;

	memset(f, 0, sizeof(*f));
	rc = db_row(db, "SELECT data FROM ca_file WHERE server = ? AND name = ?",
		    &st, "tt", server, name);
	if (rc)
		return rc;
	rc = db_col_blob(st, 0, &f->data, &f->len);
	if (!rc && !f->data)
		rc = -EBADMSG;
	if (rc)
		db_cafile_free(f);
	db_done(db, st);
	return rc;
}

static int put_row(struct db *db, const char *server, const char *name,
		   const void *data, size_t len)
{
	int rc = db_run(db,
			"INSERT INTO ca_file (server, name, data) VALUES (?, ?, ?)"
			" ON CONFLICT (server, name) DO UPDATE"
			" SET data = excluded.data",
			"ttb", server, name, data, len);
	return rc < 0 ? rc : 0;
}

int db_cafile_put(struct db *db, const char *server, const char *name,
		  const void *data, size_t len)
{
	bool own;
	int rc;

	if (!server[0] || !name[0] || !len)
		return -EINVAL;
	rc = db_tx_begin(db, &own);
	if (rc)
		return rc;
	return db_tx_end(db, own, put_row(db, server, name, data, len));
}

/* Under the transaction's write lock: is the stored file still @old? */
static int still(struct db *db, const char *server, const char *name,
		 const struct db_cafile *old)
{
	struct db_cafile cur;
	int rc = db_cafile_get(db, server, name, &cur);
	bool same;

	if (rc == -ENOENT)
		return old ? -EEXIST : 0;
	if (rc)
		return rc;
	same = old && old->len == cur.len && !memcmp(old->data, cur.data, cur.len);
	db_cafile_free(&cur);
	return same ? 0 : -EEXIST;
}

int db_cafile_replace(struct db *db, const char *server, const char *name,
		      const struct db_cafile *old, const void *data,
		      size_t len)
{
	bool own;
	int rc;

	if (!server[0] || !name[0] || !len)
		return -EINVAL;
	rc = db_tx_begin(db, &own);
	if (rc)
		return rc;
	rc = still(db, server, name, old);
	rc = rc ?: put_row(db, server, name, data, len);
	return db_tx_end(db, own, rc);
}

static int delete_row(struct db *db, const char *server, const char *name)
{
	int rc = db_run(db, "DELETE FROM ca_file WHERE server = ? AND name = ?",
			"tt", server, name);
	return rc < 0 ? rc : 0;
}

static int move_row(struct db *db, const char *server, const char *from,
		    const char *to)
{
	int rc = delete_row(db, server, to);

	if (rc < 0)
		return rc;
	rc = db_run(db,
		    "UPDATE ca_file SET name = ? WHERE server = ? AND name = ?",
		    "ttt", to, server, from);
	return db_changed_one(rc);
}

int db_cafile_move(struct db *db, const char *server, const char *from,
		   const char *to)
{
	bool own;
	int rc = db_tx_begin(db, &own);

	if (rc)
		return rc;
	return db_tx_end(db, own, move_row(db, server, from, to));
}

int db_cafile_delete(struct db *db, const char *server, const char *name)
{
	bool own;
	int rc = db_tx_begin(db, &own);

	if (rc)
		return rc;
	return db_tx_end(db, own, delete_row(db, server, name));
}

int db_cafile_foreach(struct db *db, const char *server, db_cafile_cb cb,
		      void *arg)
{
	struct db_cafile f;
	struct db_stmt *st;
	char name[DB_NAME_MAX * 2];
	int rc;

	rc = db_prepv(db,
		      "SELECT name, data FROM ca_file WHERE server = ?"
		      " ORDER BY name",
		      &st, "t", server);
	if (rc)
		return rc;
	while ((rc = db_step(db, st, "ca_file")) == 1) {
		db_col_text(st, 0, name, sizeof(name));
		f.data = (unsigned char *)db_col_blob_ref(st, 1, &f.len);
		if (!f.data)
			continue;
		rc = cb(name, &f, arg);
		if (rc)
			break;
	}
	db_done(db, st);
	return rc;
}

void db_cafile_free(struct db_cafile *f)
{
	free(f->data);
	f->data = NULL;
	f->len = 0;
}
