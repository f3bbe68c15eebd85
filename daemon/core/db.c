// SPDX-License-Identifier: MIT
/*
 * pkid's database: opening, the schema and its migrations, transactions,
 * and the SQLite helpers the table files (db_ca.c, db_req.c, db_tp.c)
 * share.
 *
 * Durability: WAL with synchronous=FULL, so a committed transaction (a
 * reserved serial above all) survives a crash of the process or the host.
 * The exception is a grouped commit (db_commit_grouped): written to the
 * WAL without waiting for the disk, and durable only once db_sync()
 * returns for it; its caller answers nobody before that.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_internal.h"
#include "log.h"

/*
 * Migration i takes the schema from user_version i to i + 1.  Append only:
 * a released step is never edited.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE ca ("
	" name TEXT PRIMARY KEY,"
	" cur_cert BLOB, cur_key TEXT NOT NULL DEFAULT '',"
	" roll_cert BLOB, roll_key TEXT NOT NULL DEFAULT '',"
	" rollover INTEGER NOT NULL DEFAULT 0,"
	" archive_counter INTEGER NOT NULL DEFAULT 0,"
	" crl_number INTEGER NOT NULL DEFAULT 0,"
	" crl BLOB, crl_next_update INTEGER NOT NULL DEFAULT 0,"
	" last_serial INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE cert ("
	" server TEXT NOT NULL, serial INTEGER NOT NULL,"
	" subject TEXT NOT NULL DEFAULT '',"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
	" fingerprint TEXT NOT NULL DEFAULT '', der BLOB,"
	" issuer_fp TEXT NOT NULL DEFAULT '',"
	" request_id INTEGER NOT NULL DEFAULT 0,"
	" revoked_at INTEGER NOT NULL DEFAULT 0,"
	" reason INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (server, serial));"
	"CREATE TABLE request ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" server TEXT NOT NULL, tid TEXT NOT NULL,"
	" state INTEGER NOT NULL, subject TEXT,"
	" fingerprint TEXT NOT NULL DEFAULT '',"
	" csr BLOB, signer BLOB, reply BLOB,"
	" serial INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" UNIQUE (server, tid));"
	"CREATE TABLE otp ("
	" server TEXT NOT NULL, hash BLOB NOT NULL,"
	" expires INTEGER NOT NULL,"
	" PRIMARY KEY (server, hash));"
	"CREATE TABLE trustpoint ("
	" name TEXT PRIMARY KEY,"
	" ca_cert BLOB, ra_cert BLOB, caps TEXT,"
	" id_cert BLOB, id_key TEXT NOT NULL DEFAULT '',"
	" shadow_ca_cert BLOB, shadow_id_cert BLOB,"
	" shadow_key TEXT NOT NULL DEFAULT '',"
	" pending_tid TEXT NOT NULL DEFAULT '',"
	" pending_kind INTEGER NOT NULL DEFAULT 0,"
	" poll_count INTEGER NOT NULL DEFAULT 0,"
	" updated INTEGER NOT NULL DEFAULT 0);",
	/* 1 -> 2: wrapped keystore keys (daemon/core/keyblob.c) */
	"CREATE TABLE key_blob ("
	" name TEXT PRIMARY KEY,"
	" blob BLOB NOT NULL,"
	" pubkey BLOB NOT NULL);",
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == DB_SCHEMA_VERSION,
	       "one migration step per schema version");

/*
 * Disk full: said once per episode (issue 19 #9: each failed request
 * logged only "cannot rollback - no transaction is active"), and that
 * it is over at the next successful commit.
 */
static void db_full(struct db *db, const char *what)
{
	if (!db || db->full)
		return;
	db->full = true;
	pkid_log(LOG_CRIT, "DB_FULL",
		 "database %s: disk full (%s): nothing is stored, requests "
		 "fail until there is space",
		 db->path ? db->path : "?", what);
}

static void db_space_again(struct db *db)
{
	if (!db->full)
		return;
	db->full = false;
	pkid_log(LOG_NOTICE, "DB_SPACE", "database %s: writing again",
		 db->path ? db->path : "?");
}

static int db_exec1(struct db *db, const char *sql);

/* A failed statement may have ended the transaction (SQLITE_FULL does):
 * roll back only one that is still open. */
static void db_undo(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		db_exec1(db, "ROLLBACK");
}

int db_err(struct db *db, int rc, const char *what)
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
		 db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
	return -EIO;
}

static struct db_stmt_slot *slot_of(struct db *db, const char *sql)
{
	struct db_stmt_slot *free_slot = NULL;
	size_t i;

	for (i = 0; i < DB_STMT_CACHE; i++) {
		struct db_stmt_slot *s = &db->stmt[i];

		if (!s->sql) {
			if (!free_slot)
				free_slot = s;
		} else if (s->sql == sql || !strcmp(s->sql, sql)) {
			return s;
		}
	}
	return free_slot; /* NULL: the cache is full, prepare each time */
}

int db_prep(struct db *db, const char *sql, sqlite3_stmt **st)
{
	struct db_stmt_slot *s = slot_of(db, sql);
	int rc;

	if (s && s->sql && !s->busy) {
		s->busy = true;
		*st = s->st;
		return 0;
	}
	if (!s || s->sql)
		/* busy (nested use of the same SQL) or no room: one-off */
		return db_err(db, sqlite3_prepare_v2(db->h, sql, -1, st, NULL),
			      sql);
	rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
				NULL);
	if (rc != SQLITE_OK)
		return db_err(db, rc, sql);
	s->sql = sql;
	s->st = *st;
	s->busy = true;
	return 0;
}

void db_done(struct db *db, sqlite3_stmt *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < DB_STMT_CACHE; i++) {
		if (db->stmt[i].st == st) {
			/* reset ends the statement's read of the database */
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			db->stmt[i].busy = false;
			return;
		}
	}
	/* a one-off statement (db_prep found the slot busy or none free) */
	sqlite3_finalize(st);
}

int db_exec(struct db *db, const char *sql)
{
	return db_err(db, sqlite3_exec(db->h, sql, NULL, NULL, NULL), sql);
}

static void bindv(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	const void *p;
	int i;

	for (i = 1; *fmt; fmt++, i++) {
		switch (*fmt) {
		case 't':
			db_bind_text(st, i, va_arg(ap, const char *));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			db_bind_blob(st, i, p, va_arg(ap, size_t));
			break;
		case 'i':
			sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'I':
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		}
	}
}

static int prepv(struct db *db, const char *sql, sqlite3_stmt **st,
		 const char *fmt, va_list ap)
{
	int rc = db_prep(db, sql, st);

	if (!rc)
		bindv(*st, fmt, ap);
	return rc;
}

int db_prepv(struct db *db, const char *sql, sqlite3_stmt **st,
	     const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = prepv(db, sql, st, fmt, ap);
	va_end(ap);
	return rc;
}

int db_run(struct db *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = prepv(db, sql, &st, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	rc = db_step_done(db, st, sql);
	if (!rc)
		rc = sqlite3_changes(db->h);
	db_done(db, st);
	return rc;
}

int db_row(struct db *db, const char *sql, sqlite3_stmt **st,
	   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = prepv(db, sql, st, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW)
		return 0;
	rc = rc == SQLITE_DONE ? -ENOENT : db_err(db, rc, sql);
	db_done(db, *st);
	*st = NULL;
	return rc;
}

/* One statement without parameters, prepared once (BEGIN, COMMIT...). */
static int db_exec1(struct db *db, const char *sql)
{
	int rc = db_run(db, sql, "");

	return rc < 0 ? rc : 0;
}

int db_exec_text(struct db *db, const char *sql, const char *arg)
{
	int rc = db_run(db, sql, "t", arg);

	return rc < 0 ? rc : 0;
}

int db_step_done(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return db_err(db, rc, what);
}

int db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

int db_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
	if (!p)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_blob64(st, i, p, len, SQLITE_TRANSIENT);
}

int db_col_blob(sqlite3_stmt *st, int i, unsigned char **p, size_t *len)
{
	const void *v = sqlite3_column_blob(st, i);
	size_t n = sqlite3_column_bytes(st, i);

	*p = NULL;
	*len = 0;
	if (!v)
		return 0;
	*p = malloc(n ? n : 1);
	if (!*p)
		return -ENOMEM;
	memcpy(*p, v, n);
	*len = n;
	return 0;
}

int db_col_strdup(sqlite3_stmt *st, int i, char **s)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	*s = NULL;
	if (!v)
		return 0;
	*s = strdup((const char *)v);
	return *s ? 0 : -ENOMEM;
}

void db_col_text(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

/* ---- transactions ---- */

static void group_mark_synced(struct db *db);

static int set_sync(struct db *db, bool full);

/*
 * After a grouped transaction whose synchronous=FULL could not be set
 * back, no transaction starts until it is: its commit would claim a
 * durability it does not have.
 */
static int sync_restored(struct db *db)
{
	if (!db->sync_lost)
		return 0;
	if (set_sync(db, true))
		return -EIO;
	db->sync_lost = false;
	return 0;
}

int db_begin(struct db *db)
{
	int rc;

	if (db->in_tx)
		return -EINPROGRESS;
	rc = sync_restored(db);
	if (rc)
		return rc;
	rc = db_exec1(db, "BEGIN IMMEDIATE");
	if (!rc) {
		db->in_tx = true;
		db->changes = sqlite3_total_changes64(db->h);
	}
	return rc;
}

/*
 * PRAGMA synchronous takes effect when it is prepared, so it is never a
 * cached statement (db_exec prepares it each time); it cannot change
 * inside a transaction, hence before BEGIN and after COMMIT.
 */
static int set_sync(struct db *db, bool full)
{
	return db_exec(db, full ? "PRAGMA synchronous = FULL"
				: "PRAGMA synchronous = NORMAL");
}

int db_begin_grouped(struct db *db)
{
	int rc;

	if (db->in_tx)
		return -EINPROGRESS;
	if (!db->wal)
		return db_begin(db); /* no WAL to sync: commits stay FULL */
	rc = sync_restored(db);
	if (rc)
		return rc;
	rc = set_sync(db, false);
	if (!rc)
		rc = db_exec1(db, "BEGIN IMMEDIATE");
	if (rc) {
		if (set_sync(db, true))
			db->sync_lost = true;
		return rc;
	}
	db->in_tx = db->grouped = true;
	db->changes = sqlite3_total_changes64(db->h);
	return 0;
}

/* After COMMIT or ROLLBACK of a grouped transaction: FULL again. */
static int end_grouped(struct db *db)
{
	int rc = set_sync(db, true);

	db->grouped = false;
	if (rc) {
		/* Every later commit would go unsynced unannounced: this one
		 * fails, and no transaction begins until it can be set. */
		db->sync_lost = true;
		pkid_log(LOG_CRIT, "DB_SYNC",
			 "database %s: cannot restore synchronous=FULL",
			 db->path ? db->path : "?");
	}
	return rc;
}

int db_commit(struct db *db)
{
	uint64_t ticket;
	bool wrote;
	int rc;

	if (!db->in_tx)
		return -EINVAL;
	if (db->grouped) {
		/* a grouped transaction committed the plain way: durable now */
		rc = db_commit_grouped(db, &ticket);
		return rc ?: db_sync(db, ticket);
	}
	wrote = sqlite3_total_changes64(db->h) != db->changes;
	rc = db_exec1(db, "COMMIT");
	if (rc) {
		/* a failed COMMIT may leave the transaction open: undo it */
		db_undo(db);
	} else {
		db_space_again(db);
		if (wrote)
			group_mark_synced(db);
	}
	db->in_tx = false;
	return rc;
}

int db_commit_grouped(struct db *db, uint64_t *ticket)
{
	bool wrote;
	int rc, rc2;

	*ticket = 0;
	if (!db->in_tx)
		return -EINVAL;
	if (!db->grouped)
		return db_commit(db); /* FULL: durable when it returns */
	wrote = sqlite3_total_changes64(db->h) != db->changes;
	rc = db_exec1(db, "COMMIT");
	if (rc)
		db_undo(db);
	else
		db_space_again(db);
	db->in_tx = false;
	rc2 = end_grouped(db);
	pthread_mutex_lock(&db->group.mu);
	/* A transaction that only read may have read a commit not durable
	 * yet: its answer waits for that one. */
	if (!rc && wrote)
		db->group.written++;
	*ticket = db->group.written;
	pthread_mutex_unlock(&db->group.mu);
	return rc ?: rc2;
}

int db_rollback(struct db *db)
{
	if (!db->in_tx)
		return -EINVAL;
	db->in_tx = false;
	db_undo(db);
	if (db->grouped)
		end_grouped(db);
	return 0;
}

bool db_in_transaction(const struct db *db)
{
	return db->in_tx;
}

int db_tx_begin(struct db *db, bool *own)
{
	int rc;

	*own = !db->in_tx;
	if (!*own)
		return 0;
	rc = sync_restored(db);
	rc = rc ?: db_exec1(db, "BEGIN IMMEDIATE");
	if (!rc)
		db->changes = sqlite3_total_changes64(db->h);
	return rc;
}

int db_tx_end(struct db *db, bool own, int rc)
{
	bool wrote;
	int rc2;

	if (!own)
		return rc;
	if (rc) {
		db_undo(db);
		return rc;
	}
	wrote = sqlite3_total_changes64(db->h) != db->changes;
	rc2 = db_exec1(db, "COMMIT");
	if (rc2) {
		db_undo(db);
	} else {
		db_space_again(db);
		if (wrote)
			group_mark_synced(db);
	}
	return rc2;
}

/* ---- group commit ---- */

/*
 * A FULL commit that wrote synced the WAL, and with it every grouped
 * commit before it.  One that only read synced nothing and must not be
 * counted (callers check: rows changed since BEGIN); one that changed
 * only the schema is not counted either, which costs at most one
 * needless fdatasync.
 */
static void group_mark_synced(struct db *db)
{
	pthread_mutex_lock(&db->group.mu);
	if (!db->group.failed)
		db->group.synced = db->group.written;
	pthread_mutex_unlock(&db->group.mu);
}

/*
 * The -wal file, opened once: SQLite keeps it (same inode) while the
 * handle is open.  Its directory entry is made durable the first time,
 * since with synchronous=NORMAL SQLite may not have synced it yet.
 */
static int wal_open(struct db *db)
{
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db->h, "main"));
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

/* One fdatasync for every commit counted so far; called with mu held. */
static int group_round(struct db *db)
{
	struct db_group *g = &db->group;
	uint64_t target = g->written;
	int rc = 0;

	g->busy = true;
	pthread_mutex_unlock(&g->mu);
	if (g->wal_fd < 0)
		rc = wal_open(db);
	if (!rc && fdatasync(g->wal_fd) < 0)
		rc = -errno;
	pthread_mutex_lock(&g->mu);
	g->busy = false;
	if (rc == 0 && target > g->synced)
		g->synced = target;
	/*
	 * After a failed fdatasync the kernel may have dropped the pages it
	 * could not write, and a later one succeeds without them: the WAL
	 * could then hold a hole that recovery stops at.  Nothing grouped
	 * counts as durable again until pkid restarts.
	 */
	if (rc < 0 && !g->failed) {
		g->failed = true;
		pkid_log(LOG_CRIT, "DB_SYNC",
			 "database %s: cannot sync its WAL: %s: nothing more "
			 "is answered until pkid restarts",
			 db->path ? db->path : "?", strerror(-rc));
	}
	pthread_cond_broadcast(&g->cv);
	return rc;
}

int db_sync(struct db *db, uint64_t ticket)
{
	struct db_group *g = &db->group;
	int rc = 0;

	pthread_mutex_lock(&g->mu);
	while (!rc && g->synced < ticket) {
		if (g->failed)
			rc = -EIO;
		else if (g->busy)
			/* the running round may not cover us: look again */
			pthread_cond_wait(&g->cv, &g->mu);
		else
			rc = group_round(db);
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

/* ---- opening ---- */

static int user_version(struct db *db, int *v)
{
	sqlite3_stmt *st;
	int rc = db_prep(db, "PRAGMA user_version", &st);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : db_err(db, rc, "user_version");
	db_done(db, st);
	return rc;
}

/* Bring the schema to DB_SCHEMA_VERSION, each step in its transaction. */
static int migrate(struct db *db)
{
	char sql[64];
	int v, rc;

	rc = db_exec1(db, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	rc = user_version(db, &v);
	if (!rc && v > DB_SCHEMA_VERSION) {
		pkid_log(LOG_ERR, NULL,
			 "database %s has schema %d, newer than this "
			 "pkid's %d",
			 db->path, v, DB_SCHEMA_VERSION);
		rc = -EPROTO;
	}
	for (; !rc && v < DB_SCHEMA_VERSION; v++) {
		rc = db_exec(db, migrations[v]);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (!rc)
			rc = db_exec(db, sql);
	}
	return db_tx_end(db, true, rc);
}

static int configure(struct db *db)
{
	int rc;

	rc = db_err(db, sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS),
		    "busy_timeout");
	if (!rc)
		rc = db_exec(db, "PRAGMA journal_mode = WAL");
	if (!rc)
		rc = db_exec(db, "PRAGMA synchronous = FULL");
	if (!rc)
		rc = db_exec(db, "PRAGMA foreign_keys = ON");
	return rc;
}

/* Group commit needs a WAL file (not an in-memory database). */
static bool journal_is_wal(struct db *db)
{
	const char *f = sqlite3_db_filename(db->h, "main");
	sqlite3_stmt *st;
	bool wal = false;

	if (!f || !*f || db_prep(db, "PRAGMA journal_mode", &st))
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		wal = !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
	db_done(db, st);
	return wal;
}

int db_open(struct db **out, const char *path)
{
	struct db *db;
	int rc;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->group.wal_fd = -1;
	pthread_mutex_init(&db->group.mu, NULL);
	pthread_cond_init(&db->group.cv, NULL);
	db->path = strdup(path);
	if (!db->path) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = sqlite3_open_v2(path, &db->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(db, rc, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	rc = configure(db);
	if (!rc)
		rc = migrate(db);
	if (rc)
		goto fail;
	db->wal = journal_is_wal(db);
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->in_tx)
		db_undo(db);
	for (size_t i = 0; i < DB_STMT_CACHE; i++)
		sqlite3_finalize(db->stmt[i].st);
	sqlite3_close_v2(db->h);
	if (db->group.wal_fd >= 0)
		close(db->group.wal_fd);
	pthread_cond_destroy(&db->group.cv);
	pthread_mutex_destroy(&db->group.mu);
	free(db->path);
	free(db);
}

int db_check(struct db *db)
{
	sqlite3_stmt *st;
	const unsigned char *res;
	int rc = db_prep(db, "PRAGMA integrity_check", &st);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	res = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	rc = res && !strcmp((const char *)res, "ok") ? 0 : -EIO;
	if (rc)
		pkid_log(LOG_ERR, NULL, "database %s: integrity check: %s",
			 db->path, res ? (const char *)res : "no answer");
	db_done(db, st);
	return rc;
}
