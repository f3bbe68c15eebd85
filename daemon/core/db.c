// SPDX-License-Identifier: MIT
/*
 * pkid's database: opening (the backend chosen by the target: a file is
 * SQLite, db_sqlite.c; a postgresql:// URL is PostgreSQL, db_pg.c), the
 * schema and its migrations, transactions, the statement cache and the
 * helpers the table files (db_ca.c, db_req.c, db_tp.c, db_keyblob.c)
 * share.
 *
 * Durability: a transaction is committed when db_commit returns, on
 * either backend (SQLite: WAL with synchronous=FULL; PostgreSQL: its
 * own WAL, synchronous_commit as the server has it, on by default).
 * The exception is a grouped commit on SQLite (db_commit_grouped):
 * written to the WAL without waiting for the disk, and durable only once
 * db_sync() returns for it; its caller answers nobody before that.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_internal.h"
#include "log.h"

/*
 * Migration i takes the schema from version i to i + 1 (SQLite's
 * user_version, PostgreSQL's pkid_schema row).  Append only: a released
 * step is never edited.  Written once for both backends: INTEGER, BLOB
 * and INTEGER PRIMARY KEY AUTOINCREMENT, which db_pg.c maps to BIGINT,
 * BYTEA and BIGSERIAL.
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
	/* 2 -> 3: the nodes serving a CA from one database (issue 18) */
	"CREATE TABLE node ("
	" name TEXT NOT NULL, server TEXT NOT NULL,"
	" leader INTEGER NOT NULL DEFAULT 0,"
	" started INTEGER NOT NULL, heartbeat INTEGER NOT NULL,"
	" pid INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (name, server));",
	/* 3 -> 4: the leadership term of each CA, for fencing (db_lead_claim) */
	"CREATE TABLE lead ("
	" server TEXT PRIMARY KEY,"
	" epoch INTEGER NOT NULL,"
	" node TEXT NOT NULL DEFAULT '',"
	" since INTEGER NOT NULL DEFAULT 0);",
	/* 4 -> 5: which of the CA's generations a request is for (issue 17:
	 * an RA's upstream poll during its upstream's rollover) */
	"ALTER TABLE request ADD COLUMN"
	" generation INTEGER NOT NULL DEFAULT 0;",
	/* 5 -> 6: the CA's files every node serves or keeps (db_cafile.c) */
	"CREATE TABLE ca_file ("
	" server TEXT NOT NULL, name TEXT NOT NULL,"
	" data BLOB NOT NULL,"
	" PRIMARY KEY (server, name));",
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == DB_SCHEMA_VERSION,
	       "one migration step per schema version");


/*
 * Disk full: said once per episode (issue 19 #9: each failed request
 * logged only "cannot rollback - no transaction is active"), and that
 * it is over at the next successful commit.
 */
void db_full(struct db *db, const char *what)
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

/* ---- the statement cache ---- */

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

/* busy (nested use of the same SQL) or no room: a statement of its own */
static int prep_oneoff(struct db *db, const char *sql, struct db_stmt **out)
{
	struct db_stmt *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return -ENOMEM;
	rc = db->ops->prepare(db, sql, &st->h);
	if (rc) {
		free(st);
		return rc;
	}
	st->ops = db->ops;
	st->oneoff = true;
	*out = st;
	return 0;
}

int db_prep(struct db *db, const char *sql, struct db_stmt **st)
{
	struct db_stmt_slot *s = slot_of(db, sql);
	int rc;

	if (s && s->sql && !s->busy) {
		s->busy = true;
		*st = &s->st;
		return 0;
	}
	if (!s || s->sql)
		return prep_oneoff(db, sql, st);
	rc = db->ops->prepare(db, sql, &s->st.h);
	if (rc)
		return rc;
	s->st.ops = db->ops;
	s->sql = sql;
	s->busy = true;
	*st = &s->st;
	return 0;
}

void db_done(struct db *db, struct db_stmt *st)
{
	struct db_stmt_slot *s;

	if (!st)
		return;
	if (st->oneoff) {
		db->ops->finalize(db, st->h);
		free(st);
		return;
	}
	/* reset ends the statement's read of the database */
	db->ops->reset(db, st->h);
	s = (struct db_stmt_slot *)((char *)st -
				    offsetof(struct db_stmt_slot, st));
	s->busy = false;
}

/* ---- running statements ---- */

static int paramsv(struct db_param *p, const char *fmt, va_list ap)
{
	int n;

	for (n = 0; fmt[n]; n++) {
		if (n == DB_PARAMS_MAX)
			return -E2BIG;
		p[n] = (struct db_param){.type = fmt[n]};
		switch (fmt[n]) {
		case 't':
			p[n].p = va_arg(ap, const char *);
			break;
		case 'b':
			p[n].p = va_arg(ap, const void *);
			p[n].len = va_arg(ap, size_t);
			break;
		case 'i':
			p[n].v = va_arg(ap, int);
			break;
		case 'I':
			p[n].v = va_arg(ap, int64_t);
			break;
		default:
			return -EINVAL;
		}
	}
	return n;
}

static int prepv(struct db *db, const char *sql, struct db_stmt **st,
		 const char *fmt, va_list ap)
{
	struct db_param p[DB_PARAMS_MAX];
	int n = paramsv(p, fmt, ap);
	int rc;

	if (n < 0)
		return n; /* a caller's bug: a format the table files never use */
	rc = db_prep(db, sql, st);
	if (rc)
		return rc;
	rc = db->ops->bind(db, (*st)->h, p, n);
	if (rc) {
		db_done(db, *st);
		*st = NULL;
	}
	return rc;
}

int db_prepv(struct db *db, const char *sql, struct db_stmt **st,
	     const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = prepv(db, sql, st, fmt, ap);
	va_end(ap);
	return rc;
}

int db_step(struct db *db, struct db_stmt *st, const char *what)
{
	return db->ops->step(db, st->h, what);
}

int db_step_done(struct db *db, struct db_stmt *st, const char *what)
{
	int rc = db_step(db, st, what);

	return rc < 0 ? rc : 0;
}

int db_run(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = prepv(db, sql, &st, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	rc = db_step_done(db, st, sql);
	if (!rc)
		rc = db->ops->changes(db, st->h);
	db_done(db, st);
	return rc;
}

int db_row(struct db *db, const char *sql, struct db_stmt **st,
	   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = prepv(db, sql, st, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	rc = db_step(db, *st, sql);
	if (rc == 1)
		return 0;
	db_done(db, *st);
	*st = NULL;
	return rc == 0 ? -ENOENT : rc;
}

int db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int db_exec_text(struct db *db, const char *sql, const char *arg)
{
	int rc = db_run(db, sql, "t", arg);

	return rc < 0 ? rc : 0;
}

int db_col_blob(struct db_stmt *st, int i, unsigned char **p, size_t *len)
{
	size_t n = 0;
	const void *v = db_col_blob_ref(st, i, &n);

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

int db_col_strdup(struct db_stmt *st, int i, char **s)
{
	const char *v = db_col_text_ref(st, i);

	*s = NULL;
	if (!v)
		return 0;
	*s = strdup(v);
	return *s ? 0 : -ENOMEM;
}

void db_col_text(struct db_stmt *st, int i, char *dst, size_t size)
{
	const char *v = db_col_text_ref(st, i);

	snprintf(dst, size, "%s", v ? v : "");
}

/* ---- transactions ---- */

static void group_mark_synced(struct db *db);

/* Commit; a failed COMMIT may leave the transaction open: undo it. */
static int commit(struct db *db)
{
	bool wrote = true;
	int rc = db->ops->commit(db, &wrote);

	if (rc) {
		db->ops->undo(db);
	} else {
		db_space_again(db);
		/* a durable commit that wrote synced the grouped ones before
		 * it; one that only read synced nothing */
		if (wrote)
			group_mark_synced(db);
	}
	return rc;
}

/* BEGIN, then the fence of a leader's step (db_fence), under its lock. */
static int begin(struct db *db)
{
	int rc = db->ops->begin(db);

	if (rc)
		return rc;
	rc = db_fence_check(db);
	if (rc)
		db->ops->undo(db);
	return rc;
}

int db_begin(struct db *db)
{
	int rc;

	if (db->in_tx)
		return -EINPROGRESS;
	rc = begin(db);
	if (!rc)
		db->in_tx = true;
	return rc;
}

int db_commit(struct db *db)
{
	uint64_t ticket;
	int rc;

	if (!db->in_tx)
		return -EINVAL;
	if (db->grouped) {
		/* a grouped transaction committed the plain way: durable now */
		rc = db_commit_grouped(db, &ticket);
		return rc ?: db_sync(db, ticket);
	}
	rc = commit(db);
	db->in_tx = false;
	return rc;
}

int db_rollback(struct db *db)
{
	if (!db->in_tx)
		return -EINVAL;
	db->in_tx = false;
	if (db->grouped) {
		db->grouped = false;
		db->ops->rollback_grouped(db);
	} else {
		db->ops->undo(db);
	}
	return 0;
}

bool db_in_transaction(const struct db *db)
{
	return db->in_tx;
}

int db_tx_begin(struct db *db, bool *own)
{
	*own = !db->in_tx;
	if (!*own)
		return 0;
	return begin(db);
}

int db_tx_end(struct db *db, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc) {
		db->ops->undo(db);
		return rc;
	}
	return commit(db);
}

/* ---- group commit ---- */

int db_begin_grouped(struct db *db)
{
	int rc;

	if (db->in_tx)
		return -EINPROGRESS;
	if (!db->ops->begin_grouped)
		return db_begin(db); /* durable at each commit anyway */
	rc = db->ops->begin_grouped(db);
	if (rc == -EOPNOTSUPP)
		return db_begin(db); /* no WAL to sync: commits stay FULL */
	if (rc)
		return rc;
	rc = db_fence_check(db);
	if (rc) {
		db->ops->rollback_grouped(db);
		return rc;
	}
	db->in_tx = db->grouped = true;
	return 0;
}

int db_commit_grouped(struct db *db, uint64_t *ticket)
{
	bool wrote = false;
	int rc;

	*ticket = 0;
	if (!db->in_tx)
		return -EINVAL;
	if (!db->grouped)
		return db_commit(db); /* durable when it returns */
	rc = db->ops->commit_grouped(db, &wrote);
	if (!rc)
		db_space_again(db);
	db->in_tx = db->grouped = false;
	pthread_mutex_lock(&db->group.mu);
	/* A transaction that only read may have read a commit not durable
	 * yet: its answer waits for that one. */
	if (!rc && wrote)
		db->group.written++;
	*ticket = db->group.written;
	pthread_mutex_unlock(&db->group.mu);
	return rc;
}

/*
 * A durable commit that wrote synced the WAL, and with it every grouped
 * commit before it.  (One that only read synced nothing: the count is
 * left, which costs at most one needless fdatasync.)
 */
static void group_mark_synced(struct db *db)
{
	pthread_mutex_lock(&db->group.mu);
	if (!db->group.failed)
		db->group.synced = db->group.written;
	pthread_mutex_unlock(&db->group.mu);
}

/* One sync for every commit counted so far; called with mu held. */
static int group_round(struct db *db)
{
	struct db_group *g = &db->group;
	uint64_t target = g->written;
	int rc;

	g->busy = true;
	pthread_mutex_unlock(&g->mu);
	rc = db->ops->sync(db);
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
	/* a round of db_sync's may leave the ahead thread's want uncovered */
	pthread_cond_signal(&g->ahead_cv);
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

/* Is there a round for the ahead thread to run now?  With mu held. */
static bool ahead_due(const struct db_group *g)
{
	return g->ahead_want > g->synced && !g->busy && !g->failed;
}

/* The handle's ahead thread: a round whenever a caller asked for one
 * (db_sync_ahead) and no round runs, until db_close. */
static void *ahead_main(void *arg)
{
	struct db *db = arg;
	struct db_group *g = &db->group;

	pthread_mutex_lock(&g->mu);
	while (!g->ahead_stop) {
		if (ahead_due(g))
			group_round(db);
		else
			pthread_cond_wait(&g->ahead_cv, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

void db_sync_ahead(struct db *db, uint64_t ticket)
{
	struct db_group *g = &db->group;

	pthread_mutex_lock(&g->mu);
	if (ticket > g->synced && !g->failed && !g->ahead_on)
		/* failing to start costs only the overlap: db_sync syncs */
		g->ahead_on = pthread_create(&g->ahead, NULL, ahead_main,
					     db) == 0;
	if (ticket > g->ahead_want)
		g->ahead_want = ticket;
	if (g->ahead_on && ahead_due(g))
		pthread_cond_signal(&g->ahead_cv);
	pthread_mutex_unlock(&g->mu);
}

static void ahead_stop(struct db *db)
{
	struct db_group *g = &db->group;

	pthread_mutex_lock(&g->mu);
	g->ahead_stop = true;
	pthread_cond_signal(&g->ahead_cv);
	pthread_mutex_unlock(&g->mu);
	if (g->ahead_on)
		pthread_join(g->ahead, NULL);
}

/* ---- opening ---- */

/* Bring the schema to DB_SCHEMA_VERSION, in one transaction. */
static int migrate(struct db *db)
{
	int v, rc;

	rc = db->ops->begin(db);
	if (rc)
		return rc;
	rc = db->ops->version(db, &v);
	if (!rc && v > DB_SCHEMA_VERSION) {
		pkid_log(LOG_ERR, NULL,
			 "database %s has schema %d, newer than this "
			 "pkid's %d",
			 db->path, v, DB_SCHEMA_VERSION);
		rc = -EPROTO;
	}
	for (; !rc && v < DB_SCHEMA_VERSION; v++) {
		rc = db_exec(db, migrations[v]);
		if (!rc)
			rc = db->ops->set_version(db, v + 1);
	}
	return db_tx_end(db, true, rc);
}

/* A postgresql:// (or postgres://) URL; anything else is a file. */
static const struct db_ops *backend_of(const char *target)
{
	if (!strncmp(target, "postgresql://", 13) ||
	    !strncmp(target, "postgres://", 11))
		return &db_pg_ops;
	return &db_sqlite_ops;
}

int db_open(struct db **out, const char *target)
{
	return db_open_creds(out, target, NULL);
}

int db_open_creds(struct db **out, const char *target, const char *passfile)
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
	pthread_cond_init(&db->group.ahead_cv, NULL);
	db->ops = backend_of(target);
	rc = db->ops->open(db, target, passfile);
	if (!rc)
		rc = migrate(db);
	if (rc)
		goto fail;
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
	ahead_stop(db); /* its round uses the handle's WAL descriptor */
	if (db->in_tx && db->h)
		db->ops->undo(db);
	for (size_t i = 0; i < DB_STMT_CACHE; i++)
		if (db->stmt[i].sql)
			db->ops->finalize(db, db->stmt[i].st.h);
	if (db->h)
		db->ops->close(db);
	if (db->group.wal_fd >= 0)
		close(db->group.wal_fd);
	pthread_cond_destroy(&db->group.cv);
	pthread_cond_destroy(&db->group.ahead_cv);
	pthread_mutex_destroy(&db->group.mu);
	free(db->path);
	free(db);
}

int db_check(struct db *db)
{
	return db->ops->check(db);
}

const char *db_backend(const struct db *db)
{
	return db->ops->name;
}

bool db_shared(const struct db *db)
{
	return db->ops->wait != NULL;
}

int db_wait_change(struct db *db, int timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000,
			      (timeout_ms % 1000) * 1000000L};

	if (db->ops->wait)
		return db->ops->wait(db, timeout_ms);
	nanosleep(&ts, NULL);
	return 0;
}
