// SPDX-License-Identifier: MIT
/*
 * The SQLite backend (the default: one file in pkid's state folder).
 *
 * Durability: WAL with synchronous=FULL, so a committed transaction (a
 * reserved serial above all) survives a crash of the process or the host.
 * The exception is a grouped commit (db.h): synchronous=NORMAL for its
 * transaction, made durable by one fdatasync of the -wal file (lite_sync)
 * for every grouped commit meanwhile.  Writers take the lock at BEGIN
 * IMMEDIATE, so a commit cannot deadlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db_internal.h"
#include "log.h"

/* The connection and its transaction statements, prepared once: BEGIN
 * and COMMIT run for every message (issue 14). */
struct lite {
	sqlite3 *h;
	sqlite3_stmt *begin, *commit, *rollback;
	bool wal;	 /* a file in WAL mode: group commit works */
	bool sync_lost;	 /* synchronous=FULL could not be set back */
	int64_t changes; /* sqlite3_total_changes64 at BEGIN */
};

#define L(db) ((struct lite *)(db)->h)
#define H(db) (L(db)->h)

/* SQLite result → negative errno; logs anything unexpected. */
static int lite_err(struct db *db, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		/* a duplicate key is the caller's -EEXIST; the rest are bugs */
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    rc == SQLITE_CONSTRAINT_UNIQUE)
			return -EEXIST;
		break;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		db_full(db, what);
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	}
	pkid_log(LOG_ERR, NULL, "database %s: %s: %s",
		 db->path ? db->path : "?", what,
		 db->h && H(db) ? sqlite3_errmsg(H(db)) : sqlite3_errstr(rc));
	return -EIO;
}

static int lite_exec(struct db *db, const char *sql)
{
	return lite_err(db, sqlite3_exec(H(db), sql, NULL, NULL, NULL), sql);
}

static int lite_prepare(struct db *db, const char *sql, void **h)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(H(db), sql, -1, SQLITE_PREPARE_PERSISTENT,
				    &st, NULL);

	if (rc != SQLITE_OK)
		return lite_err(db, rc, sql);
	*h = st;
	return 0;
}

static void lite_finalize(struct db *db, void *h)
{
	(void)db;
	sqlite3_finalize(h);
}

static void lite_reset(struct db *db, void *h)
{
	(void)db;
	sqlite3_reset(h);
	sqlite3_clear_bindings(h);
}

static int bind_one(sqlite3_stmt *st, int i, const struct db_param *p)
{
	switch (p->type) {
	case 't':
		if (!p->p)
			return sqlite3_bind_null(st, i);
		return sqlite3_bind_text(st, i, p->p, -1, SQLITE_TRANSIENT);
	case 'b':
		if (!p->p)
			return sqlite3_bind_null(st, i);
		return sqlite3_bind_blob64(st, i, p->p, p->len,
					   SQLITE_TRANSIENT);
	default:
		return sqlite3_bind_int64(st, i, p->v);
	}
}

static int lite_bind(struct db *db, void *h, const struct db_param *p, int n)
{
	int rc;

	for (int i = 0; i < n; i++) {
		rc = bind_one(h, i + 1, &p[i]);
		if (rc != SQLITE_OK)
			return lite_err(db, rc, sqlite3_sql(h));
	}
	return 0;
}

static int lite_step(struct db *db, void *h, const char *what)
{
	int rc = sqlite3_step(h);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return lite_err(db, rc, what);
}

static int lite_changes(struct db *db, void *h)
{
	(void)h;
	return sqlite3_changes(H(db));
}

static int64_t lite_col_int64(void *h, int i)
{
	return sqlite3_column_int64(h, i);
}

static const char *lite_col_text(void *h, int i)
{
	return (const char *)sqlite3_column_text(h, i);
}

static const void *lite_col_blob(void *h, int i, size_t *len)
{
	const void *v = sqlite3_column_blob(h, i);

	*len = sqlite3_column_bytes(h, i);
	return v;
}

/* One of the transaction statements, prepared at its first use. */
static int lite_tx(struct db *db, sqlite3_stmt **st, const char *sql)
{
	int rc;

	if (!*st) {
		rc = lite_prepare(db, sql, (void **)st);
		if (rc)
			return rc;
	}
	rc = sqlite3_step(*st);
	sqlite3_reset(*st);
	return rc == SQLITE_DONE ? 0 : lite_err(db, rc, sql);
}

static int set_sync(struct db *db, bool full);

/*
 * After a grouped transaction whose synchronous=FULL could not be set
 * back, no transaction starts until it is: its commit would claim a
 * durability it does not have.
 */
static int sync_restored(struct db *db)
{
	if (!L(db)->sync_lost)
		return 0;
	if (set_sync(db, true))
		return -EIO;
	L(db)->sync_lost = false;
	return 0;
}

static int lite_begin(struct db *db)
{
	int rc = sync_restored(db);

	rc = rc ?: lite_tx(db, &L(db)->begin, "BEGIN IMMEDIATE");
	if (!rc)
		L(db)->changes = sqlite3_total_changes64(H(db));
	return rc;
}

static int lite_commit(struct db *db, bool *wrote)
{
	*wrote = sqlite3_total_changes64(H(db)) != L(db)->changes;
	return lite_tx(db, &L(db)->commit, "COMMIT");
}

/* A failed statement may have ended the transaction (SQLITE_FULL does):
 * roll back only one that is still open. */
static void lite_undo(struct db *db)
{
	if (!sqlite3_get_autocommit(H(db)))
		lite_tx(db, &L(db)->rollback, "ROLLBACK");
}

static int lite_version(struct db *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc = lite_prepare(db, "PRAGMA user_version", (void **)&st);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : lite_err(db, rc, "user_version");
	sqlite3_finalize(st);
	return rc;
}

static int lite_set_version(struct db *db, int v)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	return lite_exec(db, sql);
}

/* ---- group commit ---- */

/*
 * PRAGMA synchronous takes effect when it is prepared, so it is never a
 * cached statement (sqlite3_exec prepares it each time); it cannot change
 * inside a transaction, hence before BEGIN and after COMMIT.
 */
static int set_sync(struct db *db, bool full)
{
	return lite_exec(db, full ? "PRAGMA synchronous = FULL"
				  : "PRAGMA synchronous = NORMAL");
}

static int lite_begin_grouped(struct db *db)
{
	int rc;

	if (!L(db)->wal)
		return -EOPNOTSUPP;
	rc = sync_restored(db);
	if (rc)
		return rc;
	rc = set_sync(db, false);
	if (!rc)
		rc = lite_begin(db);
	if (rc && set_sync(db, true))
		L(db)->sync_lost = true;
	return rc;
}

/* After COMMIT or ROLLBACK of a grouped transaction: FULL again. */
static int end_grouped(struct db *db)
{
	int rc = set_sync(db, true);

	if (rc) {
		/* Every later commit would go unsynced unannounced: this one
		 * fails, and no transaction begins until it can be set. */
		L(db)->sync_lost = true;
		pkid_log(LOG_CRIT, "DB_SYNC",
			 "database %s: cannot restore synchronous=FULL",
			 db->path ? db->path : "?");
	}
	return rc;
}

static int lite_commit_grouped(struct db *db, bool *wrote)
{
	int rc, rc2;

	rc = lite_commit(db, wrote);
	if (rc)
		lite_undo(db);
	rc2 = end_grouped(db);
	return rc ?: rc2;
}

static void lite_rollback_grouped(struct db *db)
{
	lite_undo(db);
	end_grouped(db);
}

/*
 * The -wal file, opened once: SQLite keeps it (same inode) while the
 * handle is open.  Its directory entry is made durable the first time,
 * since with synchronous=NORMAL SQLite may not have synced it yet.
 */
static int wal_open(struct db *db)
{
	const char *wal =
		sqlite3_filename_wal(sqlite3_db_filename(H(db), "main"));
	char *dir;
	int fd, dfd;

	fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = strdup(wal);
	if (!dir) {
		close(fd);
		return -ENOMEM;
	}
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0 || fsync(dfd) < 0) {
		int err = -errno;

		if (dfd >= 0)
			close(dfd);
		close(fd);
		return err;
	}
	close(dfd);
	db->group.wal_fd = fd;
	return 0;
}

/* Called by db_sync's round, without the group's mutex. */
static int lite_sync(struct db *db)
{
	int rc = 0;

	if (db->group.wal_fd < 0)
		rc = wal_open(db);
	if (!rc && fdatasync(db->group.wal_fd) < 0)
		rc = -errno;
	return rc;
}

/* Group commit needs a WAL file (not an in-memory database). */
static bool journal_is_wal(struct db *db)
{
	const char *f = sqlite3_db_filename(H(db), "main");
	sqlite3_stmt *st = NULL;
	bool wal = false;

	if (!f || !*f || lite_prepare(db, "PRAGMA journal_mode", (void **)&st))
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		wal = !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	return wal;
}

void *db_sqlite_handle(struct db *db)
{
	return db->ops == &db_sqlite_ops ? H(db) : NULL;
}

static int configure(struct db *db)
{
	int rc;

	rc = lite_err(db, sqlite3_busy_timeout(H(db), DB_BUSY_TIMEOUT_MS),
		      "busy_timeout");
	if (!rc)
		rc = lite_exec(db, "PRAGMA journal_mode = WAL");
	if (!rc)
		rc = lite_exec(db, "PRAGMA synchronous = FULL");
	if (!rc)
		rc = lite_exec(db, "PRAGMA foreign_keys = ON");
	return rc;
}

static int lite_open(struct db *db, const char *path, const char *passfile)
{
	struct lite *l;
	int rc;

	(void)passfile; /* a file needs no password */
	db->path = strdup(path);
	l = calloc(1, sizeof(*l));
	if (!db->path || !l) {
		free(l);
		return -ENOMEM;
	}
	db->h = l;
	/* l->h is set even on failure: close frees it */
	rc = sqlite3_open_v2(path, &l->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK)
		return lite_err(db, rc, "open");
	sqlite3_extended_result_codes(l->h, 1);
	rc = configure(db);
	if (!rc)
		l->wal = journal_is_wal(db);
	return rc;
}

static void lite_close(struct db *db)
{
	struct lite *l = L(db);

	sqlite3_finalize(l->begin);
	sqlite3_finalize(l->commit);
	sqlite3_finalize(l->rollback);
	sqlite3_close_v2(l->h);
	free(l);
	db->h = NULL;
}

static int lite_check(struct db *db)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *res;
	int rc = lite_prepare(db, "PRAGMA integrity_check", (void **)&st);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	res = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	rc = res && !strcmp((const char *)res, "ok") ? 0 : -EIO;
	if (rc)
		pkid_log(LOG_ERR, NULL, "database %s: integrity check: %s",
			 db->path, res ? (const char *)res : "no answer");
	sqlite3_finalize(st);
	return rc;
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.bind = lite_bind,
	.step = lite_step,
	.changes = lite_changes,
	.col_int64 = lite_col_int64,
	.col_text = lite_col_text,
	.col_blob = lite_col_blob,
	.exec = lite_exec,
	.begin = lite_begin,
	.commit = lite_commit,
	.undo = lite_undo,
	.version = lite_version,
	.set_version = lite_set_version,
	.check = lite_check,
	.begin_grouped = lite_begin_grouped,
	.commit_grouped = lite_commit_grouped,
	.rollback_grouped = lite_rollback_grouped,
	.sync = lite_sync,
};
