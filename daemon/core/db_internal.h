/* SPDX-License-Identifier: MIT */
/* Shared by daemon/db*.c: the handle and the SQLite helpers. */
#ifndef PKID_DB_INTERNAL_H
#define PKID_DB_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "db.h"

/*
 * Prepared statements kept for the life of the handle: preparing costs
 * more than running most of ours (issue 14), and each handle belongs to
 * one thread, so no lock.  A slot in use (a statement still being
 * stepped when the same SQL is asked for again) is not shared: the second
 * caller gets a statement of its own, finalized when it is done.
 */
#define DB_STMT_CACHE 48

struct db_stmt_slot {
	const char *sql; /* the caller's text (compared by content) */
	sqlite3_stmt *st;
	bool busy;
};

/*
 * Group commit (db_commit_grouped, db_sync): commits made with
 * synchronous=NORMAL are counted in `written`; `synced` is the count one
 * fdatasync of the -wal file is known to cover.  Under `mu`, which is
 * never held across the fdatasync itself, so several threads wait on one.
 */
struct db_group {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t written; /* commits of this handle that changed the file */
	uint64_t synced;  /* ... of which durable */
	bool busy;	  /* a thread is in fdatasync for the others */
	bool failed;	  /* an fdatasync failed: nothing is durable now */
	int wal_fd;	  /* the -wal file, -1 until the first sync */
};

struct db {
	sqlite3 *h;
	char *path;
	struct db_stmt_slot stmt[DB_STMT_CACHE];
	bool in_tx;   /* the caller opened a transaction with db_begin */
	bool grouped; /* ... with db_begin_grouped (synchronous=NORMAL) */
	bool full;    /* DB_FULL logged: a write failed for want of space */
	bool wal;     /* a file in WAL mode: group commit works */
	bool sync_lost; /* synchronous=FULL not restored after a grouped tx */
	int64_t changes; /* sqlite3_total_changes64 when the transaction began */
	struct db_group group;
};

/* SQLite result → negative errno; logs anything unexpected. */
int db_err(struct db *db, int rc, const char *what);
/*
 * A statement for sql, from the cache when it can be; give it back with
 * db_done (never sqlite3_finalize): reset and unbound for the next user.
 * sql must outlive the handle (a string literal: every caller's is).
 */
int db_prep(struct db *db, const char *sql, sqlite3_stmt **st);
void db_done(struct db *db, sqlite3_stmt *st);

/*
 * The shape every table function had (prepare, bind each parameter,
 * step, read or count, finalize) once.  fmt names the parameters in
 * order, one letter each: t text (const char *, NULL = SQL NULL),
 * b blob (const void *, size_t), i int, I int64_t.  Pass exactly those
 * types (cast where the field is another): they are varargs.
 */
/* Prepare and bind; give st back with db_done. */
int db_prepv(struct db *db, const char *sql, sqlite3_stmt **st,
	     const char *fmt, ...);
/* A statement that returns no row: how many rows it changed, or -errno. */
int db_run(struct db *db, const char *sql, const char *fmt, ...);
/* db_run's count for a statement on one row: -ENOENT when none changed. */
static inline int db_changed_one(int rc)
{
	return rc == 0 ? -ENOENT : rc < 0 ? rc : 0;
}
/* Step to the first row: 0 with *st on it (db_done after reading), or
 * -ENOENT when there is none, or another -errno (st already given back). */
int db_row(struct db *db, const char *sql, sqlite3_stmt **st,
	   const char *fmt, ...);
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
