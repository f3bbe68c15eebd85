/* SPDX-License-Identifier: MIT */
/* Shared by daemon/db*.c: the handle and the SQLite helpers. */
#ifndef PKID_DB_INTERNAL_H
#define PKID_DB_INTERNAL_H

#include <sqlite3.h>

#include "db.h"

struct db {
	sqlite3 *h;
	char *path;
	bool in_tx; /* the caller opened a transaction with db_begin */
	bool full;  /* DB_FULL logged: a write failed for want of space */
};

/* SQLite result → negative errno; logs anything unexpected. */
int db_err(struct db *db, int rc, const char *what);
int db_prep(struct db *db, const char *sql, sqlite3_stmt **st);
int db_exec(struct db *db, const char *sql);
/* Run one statement with one text parameter. */
int db_exec_text(struct db *db, const char *sql, const char *arg);
/* Step a statement that returns no row (or ignores it): 0 or -errno. */
int db_step_done(struct db *db, sqlite3_stmt *st, const char *what);

/*
 * A transaction for one API call: joins the caller's (db_begin) if one is
 * open, else opens its own.  tx_end commits on rc == 0, else rolls back,
 * and returns rc (or the commit's error).
 */
int db_tx_begin(struct db *db, bool *own);
int db_tx_end(struct db *db, bool own, int rc);

int db_bind_text(sqlite3_stmt *st, int i, const char *s);
int db_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len);
/* Copy column i into a malloc'd buffer (NULL for SQL NULL). */
int db_col_blob(sqlite3_stmt *st, int i, unsigned char **p, size_t *len);
int db_col_strdup(sqlite3_stmt *st, int i, char **s);
void db_col_text(sqlite3_stmt *st, int i, char *dst, size_t size);

#endif /* PKID_DB_INTERNAL_H */
