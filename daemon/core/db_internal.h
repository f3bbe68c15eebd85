/* SPDX-License-Identifier: MIT */
/*
 * Shared by daemon/core/db*.c: the handle, the statement cache and the
 * backend interface.  The table files (db_ca.c, db_req.c, db_tp.c,
 * db_keyblob.c) write their SQL once, in the dialect both backends
 * speak: `?` and `?N` parameters, INSERT ... ON CONFLICT, RETURNING,
 * and the types INTEGER and BLOB in the schema (db_pg.c maps them).
 * They reach the engine only through db_run/db_row/db_prepv/db_step
 * and the db_col_* readers below.
 */
#ifndef PKID_DB_INTERNAL_H
#define PKID_DB_INTERNAL_H

#include <errno.h>
#include <pthread.h>
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

struct db_ops;

/* A statement as the table files hold it; h is the backend's own. */
struct db_stmt {
	const struct db_ops *ops;
	void *h;
	bool oneoff; /* not in the cache: finalized and freed by db_done */
};

struct db_stmt_slot {
	const char *sql; /* the caller's text (compared by content) */
	struct db_stmt st;
	bool busy;
};

/* One bound parameter, from db_prepv's format letters. */
struct db_param {
	char type; /* 't' text, 'b' blob, 'i' int, 'I' int64 */
	const void *p; /* text or blob; NULL = SQL NULL */
	size_t len;    /* blob length */
	int64_t v;     /* 'i', 'I' */
};

#define DB_PARAMS_MAX 16

/*
 * A storage backend.  Each returns 0 or -errno unless it says otherwise,
 * and logs what the caller cannot tell (the engine's own message).
 */
struct db_ops {
	const char *name; /* "sqlite", "postgresql" */
	int (*open)(struct db *db, const char *target, const char *passfile);
	void (*close)(struct db *db);
	/* a statement for sql (the portable dialect above) into *h */
	int (*prepare)(struct db *db, const char *sql, void **h);
	void (*finalize)(struct db *db, void *h);
	/* after use: forget the parameters and any result */
	void (*reset)(struct db *db, void *h);
	int (*bind)(struct db *db, void *h, const struct db_param *p, int n);
	/* 1: on a row; 0: no more rows; or -errno */
	int (*step)(struct db *db, void *h, const char *what);
	/* rows the last run of h inserted, changed or deleted */
	int (*changes)(struct db *db, void *h);
	int64_t (*col_int64)(void *h, int i);
	const char *(*col_text)(void *h, int i);	      /* NULL: SQL NULL */
	const void *(*col_blob)(void *h, int i, size_t *len); /* ditto */
	/* statements without parameters, separated by ';' (the schema) */
	int (*exec)(struct db *db, const char *sql);
	/* a write transaction: writers are serialized, as SQLite's are */
	int (*begin)(struct db *db);
	/* *wrote: the transaction changed rows (SQLite), or may have */
	int (*commit)(struct db *db, bool *wrote);
	/* roll back if a transaction is open (a failure may have ended it) */
	void (*undo)(struct db *db);
	/* the schema version; set within the migration's transaction */
	int (*version)(struct db *db, int *v);
	int (*set_version)(struct db *db, int v);
	int (*check)(struct db *db);
	/*
	 * Group commit (db.h), NULL where a commit is durable when it
	 * returns (PostgreSQL).  begin_grouped: -EOPNOTSUPP when this handle
	 * cannot (no WAL file), and the caller begins the plain way.
	 * commit_grouped: COMMIT without waiting for the disk (*wrote: it
	 * changed something); rollback_grouped: ROLLBACK; both leave the
	 * handle committing durably again.  sync: make every commit so far
	 * durable (SQLite: one fdatasync of the -wal file).
	 */
	int (*begin_grouped)(struct db *db);
	int (*commit_grouped)(struct db *db, bool *wrote);
	void (*rollback_grouped)(struct db *db);
	int (*sync)(struct db *db);
	/*
	 * Several nodes (issue 18), NULL for a single-box backend: wait up to
	 * timeout_ms for another session's notification of a state change
	 * (db_wait_change): 1 one came (or may have been missed), 0 none.
	 */
	int (*wait)(struct db *db, int timeout_ms);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

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
	int wal_fd;	  /* SQLite's -wal file, -1 until the first sync */
	/* db_sync_ahead: a thread of the handle's that syncs up to
	 * ahead_want while its callers go on; started on first use */
	pthread_t ahead;
	pthread_cond_t ahead_cv;
	uint64_t ahead_want;
	bool ahead_on, ahead_stop;
};

struct db {
	const struct db_ops *ops;
	void *h;    /* the backend's connection */
	char *path; /* file, or the URL without its password: for the log */
	struct db_stmt_slot stmt[DB_STMT_CACHE];
	bool in_tx;   /* the caller opened a transaction with db_begin */
	bool grouped; /* ... with db_begin_grouped (synchronous=NORMAL) */
	bool full;    /* DB_FULL logged: a write failed for want of space */
	/* db_fence: a leader's step; each write transaction checks it */
	char fence_server[DB_NAME_MAX];
	int64_t fence_epoch;
	struct db_group group;
};

/* The sqlite3 * of a SQLite handle (tests), NULL for another backend. */
void *db_sqlite_handle(struct db *db);

/* Disk full (DB_FULL, once per episode) and over (at the next commit). */
void db_full(struct db *db, const char *what);

/*
 * A statement for sql, from the cache when it can be; give it back with
 * db_done: reset and unbound for the next user.  sql must outlive the
 * handle (a string literal: every caller's is).
 */
int db_prep(struct db *db, const char *sql, struct db_stmt **st);
void db_done(struct db *db, struct db_stmt *st);

/*
 * The shape every table function had (prepare, bind each parameter,
 * step, read or count, finalize) once.  fmt names the parameters in
 * order, one letter each: t text (const char *, NULL = SQL NULL),
 * b blob (const void *, size_t), i int, I int64_t.  Pass exactly those
 * types (cast where the field is another): they are varargs.
 */
/* Prepare and bind; give st back with db_done. */
int db_prepv(struct db *db, const char *sql, struct db_stmt **st,
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
int db_row(struct db *db, const char *sql, struct db_stmt **st,
	   const char *fmt, ...);
/* The next row: 1 on it, 0 when there are no more, or -errno. */
int db_step(struct db *db, struct db_stmt *st, const char *what);
int db_exec(struct db *db, const char *sql);
/* Run one statement with one text parameter. */
int db_exec_text(struct db *db, const char *sql, const char *arg);
/* Step a statement that returns no row (or ignores it): 0 or -errno. */
int db_step_done(struct db *db, struct db_stmt *st, const char *what);

/*
 * A transaction for one API call: joins the caller's (db_begin) if one is
 * open, else opens its own.  tx_end commits on rc == 0, else rolls back,
 * and returns rc (or the commit's error).
 */
int db_tx_begin(struct db *db, bool *own);
/* Under the write lock of a transaction just begun: -ESTALE if the handle
 * is fenced (db_fence) and another term began since (db_node.c). */
int db_fence_check(struct db *db);
int db_tx_end(struct db *db, bool own, int rc);

/* The current row's columns (0-based), valid until the next step/done. */
static inline int64_t db_col_int64(struct db_stmt *st, int i)
{
	return st->ops->col_int64(st->h, i);
}

static inline int db_col_int(struct db_stmt *st, int i)
{
	return (int)st->ops->col_int64(st->h, i);
}

/* Borrowed text (NULL for SQL NULL). */
static inline const char *db_col_text_ref(struct db_stmt *st, int i)
{
	return st->ops->col_text(st->h, i);
}

/* Borrowed bytes (NULL for SQL NULL). */
static inline const void *db_col_blob_ref(struct db_stmt *st, int i,
					  size_t *len)
{
	return st->ops->col_blob(st->h, i, len);
}

/* Copy column i into a malloc'd buffer (NULL for SQL NULL). */
int db_col_blob(struct db_stmt *st, int i, unsigned char **p, size_t *len);
int db_col_strdup(struct db_stmt *st, int i, char **s);
void db_col_text(struct db_stmt *st, int i, char *dst, size_t size);

#endif /* PKID_DB_INTERNAL_H */
