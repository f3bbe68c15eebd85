// SPDX-License-Identifier: MIT
/*
 * The PostgreSQL backend, through libpq: `database connection
 * postgresql://...` (docs/POSTGRESQL.md).
 *
 * The table files' SQL is translated once per statement: `?`/`?N` become
 * `$N`, and the schema's INTEGER, BLOB and INTEGER PRIMARY KEY
 * AUTOINCREMENT become BIGINT, BYTEA and BIGSERIAL.  Every statement is
 * a server-side prepared statement (named per connection, prepared at its
 * first run with the types its parameters were bound with); results come
 * back in binary, so blobs need no unescaping.
 *
 * Transactions: BEGIN takes a transaction-scoped advisory lock, so
 * writers are serialized as SQLite's BEGIN IMMEDIATE serializes them:
 * what db_ca.c and db_req.c rely on (read, then write in the same
 * transaction) holds unchanged, across every process and node on the
 * database.  Serials are the CA row's counter, incremented under its row
 * lock in the caller's transaction: unique across nodes, never reused.
 *
 * A lost connection fails the call in progress (-ENOTCONN); the next call
 * outside a transaction reconnects (connect_timeout 3 s; after a failed
 * attempt, calls fail at once for PG_RETRY_NS), and the statements are
 * prepared again on the new session.
 */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db_internal.h"
#include "log.h"

/* The advisory lock every write transaction holds: "pkid" in ASCII. */
#define PG_TX_LOCK "1885957476"

/* The pg_type OIDs of the parameters we send and columns we read. */
#define OID_BOOL  16
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_INT2  21
#define OID_INT4  23
#define OID_TEXT  25

/*
 * After a failed reconnect, calls fail at once (-ENOTCONN) for this long
 * rather than each waiting for a connect that cannot succeed: the caller
 * holds the CA's lock, and a node without its database must answer 503
 * quickly (issue 18).
 */
#define PG_RETRY_NS (2LL * 1000000000LL)

struct pg {
	PGconn *c;
	int64_t retry_at;	/* CLOCK_MONOTONIC ns: no reconnect before */
	unsigned int gen;	/* bumped at each reconnect */
	unsigned int next_name; /* prepared statements: s1, s2, ... */
	bool down_logged;
	unsigned int listen_gen; /* the session LISTEN ran on; 0 = none */
};

struct pg_stmt {
	struct pg *pg;
	char *sql; /* translated */
	char name[16];
	unsigned int gen; /* the session it is prepared on; 0 = none */
	int nparams;
	Oid types[DB_PARAMS_MAX];
	const char *values[DB_PARAMS_MAX];
	int lengths[DB_PARAMS_MAX], formats[DB_PARAMS_MAX];
	char num[DB_PARAMS_MAX][24];
	PGresult *res;
	int row, nrows, changes;
};

#define PG(db) ((struct pg *)(db)->h)

/* ---- SQL translation ---- */

/*
 * `?` and `?N` to `$N`, outside quotes.  A bare `?` takes the number one
 * above the largest so far, as in SQLite.  *n: the largest number.
 */
static char *translate_params(const char *sql, int *n)
{
	char *out = malloc(strlen(sql) * 3 + 1), *o = out;
	bool quoted = false;
	int max = 0;

	if (!out)
		return NULL;
	for (const char *s = sql; *s; s++) {
		if (*s == '\'')
			quoted = !quoted;
		if (quoted || *s != '?') {
			*o++ = *s;
			continue;
		}
		int k = 0;

		while (isdigit((unsigned char)s[1]) && k < 100)
			k = k * 10 + (*++s - '0');
		if (!k)
			k = max + 1;
		if (k > max)
			max = k;
		o += sprintf(o, "$%d", k);
	}
	*o = 0;
	*n = max;
	return out;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The schema's SQLite types to PostgreSQL's, whole words, outside quotes. */
static char *translate_types(const char *sql)
{
	static const char *const map[][2] = {
		{"INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
		{"INTEGER", "BIGINT"},
		{"BLOB", "BYTEA"},
	};
	char *out = malloc(strlen(sql) * 2 + 1), *o = out;
	bool quoted = false;
	size_t i, len;

	if (!out)
		return NULL;
	for (const char *s = sql; *s;) {
		if (*s == '\'')
			quoted = !quoted;
		for (i = 0; !quoted && i < sizeof(map) / sizeof(map[0]); i++) {
			len = strlen(map[i][0]);
			if ((s == sql || !word_char(s[-1])) &&
			    !strncmp(s, map[i][0], len) && !word_char(s[len]))
				break;
		}
		if (quoted || i == sizeof(map) / sizeof(map[0])) {
			*o++ = *s++;
			continue;
		}
		o = stpcpy(o, map[i][1]);
		s += strlen(map[i][0]);
	}
	*o = 0;
	return out;
}

/* ---- errors and the connection ---- */

/* libpq's message on one line: its newlines and tabs become spaces, the
 * last one goes. */
static const char *one_line(const char *msg, char *buf, size_t size)
{
	size_t n = 0;

	for (; *msg && n + 1 < size; msg++)
		buf[n++] = (*msg == '\n' || *msg == '\t') ? ' ' : *msg;
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
	return buf;
}

/* The connection is gone: said once until it is back. */
static int pg_down(struct db *db)
{
	struct pg *pg = PG(db);
	char msg[512];

	if (!pg->down_logged)
		pkid_log(LOG_ERR, NULL, "database %s: connection lost: %s",
			 db->path,
			 one_line(PQerrorMessage(pg->c), msg, sizeof(msg)));
	pg->down_logged = true;
	return -ENOTCONN;
}

/* A failed result → negative errno (SQLSTATE classes); logs the rest. */
static int pg_err(struct db *db, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
				: NULL;
	char msg[512];

	if (PQstatus(PG(db)->c) != CONNECTION_OK)
		return pg_down(db);
	if (state) {
		if (!strcmp(state, "23505")) /* unique_violation */
			return -EEXIST;
		if (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		    !strcmp(state, "55P03"))
			return -EBUSY;
		if (!strcmp(state, "53100")) { /* disk_full */
			db_full(db, what);
			return -ENOSPC;
		}
		if (!strcmp(state, "53200")) /* out_of_memory */
			return -ENOMEM;
		if (!strcmp(state, "42501")) /* insufficient_privilege */
			return -EACCES;
		if (!strncmp(state, "08", 2)) /* connection exception */
			return pg_down(db);
	}
	pkid_log(LOG_ERR, NULL, "database %s: %s: %s", db->path, what,
		 one_line(res ? PQresultErrorMessage(res)
			      : PQerrorMessage(PG(db)->c),
			  msg, sizeof(msg)));
	return -EIO;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * What each session sets first.  The server's side of the TCP connection
 * watches the link too (keepalive after 5 s idle, 3 probes 2 s apart, and
 * 15 s for unacknowledged data; ignored on a Unix socket): a node cut off
 * from the database cannot close its sessions itself, and the server
 * would otherwise keep a dead leader's session, and with it the
 * leadership lock, for the operating system's two hours (issue 18).
 */
static const char pg_session_sql[] =
	"SET client_min_messages = warning;"
	" SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2;"
	" SET tcp_keepalives_count = 3; SET tcp_user_timeout = 15000";

static int pg_session_setup(PGconn *c)
{
	PGresult *res = PQexec(c, pg_session_sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok ? 0 : -ENOTCONN;
}

/* Outside a transaction, a lost session is reopened (at most once per
 * PG_RETRY_NS); statements are prepared again on the new one (gen). */
static int pg_alive(struct db *db)
{
	struct pg *pg = PG(db);

	if (PQstatus(pg->c) == CONNECTION_OK)
		return 0;
	if (db->in_tx || now_ns() < pg->retry_at)
		return pg_down(db);
	PQreset(pg->c);
	if (PQstatus(pg->c) != CONNECTION_OK || pg_session_setup(pg->c) < 0) {
		pg->retry_at = now_ns() + PG_RETRY_NS;
		return pg_down(db);
	}
	pg->gen++;
	if (pg->down_logged)
		pkid_log(LOG_NOTICE, NULL, "database %s: connected again",
			 db->path);
	pg->down_logged = false;
	return 0;
}

/* Statements without parameters; the last one's result must be ok. */
static int pg_exec_raw(struct db *db, const char *sql, const char *want_tag)
{
	PGresult *res;
	int rc = pg_alive(db);

	if (rc)
		return rc;
	res = PQexec(PG(db)->c, sql);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		/* COMMIT of an aborted transaction answers ROLLBACK */
		if (want_tag && strcmp(PQcmdStatus(res), want_tag)) {
			pkid_log(LOG_ERR, NULL,
				 "database %s: %s answered %s", db->path, sql,
				 PQcmdStatus(res));
			rc = -EIO;
		}
		break;
	default:
		rc = pg_err(db, res, sql);
	}
	PQclear(res);
	return rc;
}

static int pg_exec(struct db *db, const char *sql)
{
	char *t = translate_types(sql);
	int rc;

	if (!t)
		return -ENOMEM;
	rc = pg_exec_raw(db, t, NULL);
	free(t);
	return rc;
}

/* ---- statements ---- */

static int pg_prepare(struct db *db, const char *sql, void **h)
{
	struct pg_stmt *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->sql = translate_params(sql, &st->nparams);
	if (!st->sql || st->nparams > DB_PARAMS_MAX) {
		int rc = st->sql ? -E2BIG : -ENOMEM;

		free(st->sql);
		free(st);
		return rc;
	}
	st->pg = PG(db);
	snprintf(st->name, sizeof(st->name), "s%u", ++PG(db)->next_name);
	*h = st;
	return 0;
}

static void pg_reset(struct db *db, void *h)
{
	struct pg_stmt *st = h;

	(void)db;
	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = st->changes = 0;
}

static void pg_finalize(struct db *db, void *h)
{
	struct pg_stmt *st = h;

	pg_reset(db, st);
	/* a cached statement lives as long as its session: no DEALLOCATE
	 * for those; a one-off is freed on the server as well */
	if (st->gen && st->gen == st->pg->gen && db->h &&
	    PQstatus(st->pg->c) == CONNECTION_OK) {
		char sql[32];

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		PQclear(PQexec(st->pg->c, sql));
	}
	free(st->sql);
	free(st);
}

static int pg_bind(struct db *db, void *h, const struct db_param *p, int n)
{
	struct pg_stmt *st = h;

	(void)db;
	if (n != st->nparams)
		return -EINVAL;
	pg_reset(db, st);
	for (int i = 0; i < n; i++) {
		st->formats[i] = 0;
		st->lengths[i] = 0;
		switch (p[i].type) {
		case 't':
			st->types[i] = OID_TEXT;
			st->values[i] = p[i].p;
			break;
		case 'b':
			if (p[i].len > INT32_MAX)
				return -EFBIG;
			st->types[i] = OID_BYTEA;
			st->values[i] = p[i].p;
			st->lengths[i] = (int)p[i].len;
			st->formats[i] = 1;
			break;
		default:
			st->types[i] = p[i].type == 'i' ? OID_INT4 : OID_INT8;
			snprintf(st->num[i], sizeof(st->num[i]), "%lld",
				 (long long)p[i].v);
			st->values[i] = st->num[i];
		}
	}
	return 0;
}

static int pg_run(struct db *db, struct pg_stmt *st, const char *what)
{
	struct pg *pg = PG(db);
	PGresult *res;
	int rc = pg_alive(db);

	if (rc)
		return rc;
	if (st->gen != pg->gen) {
		res = PQprepare(pg->c, st->name, st->sql, st->nparams,
				st->types);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK
			     ? 0
			     : pg_err(db, res, what);
		PQclear(res);
		if (rc)
			return rc;
		st->gen = pg->gen;
	}
	res = PQexecPrepared(pg->c, st->name, st->nparams, st->values,
			     st->lengths, st->formats, 1);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		st->res = res;
		st->nrows = PQntuples(res);
		st->changes = atoi(PQcmdTuples(res));
		st->row = -1;
		return 0;
	default:
		rc = pg_err(db, res, what);
		PQclear(res);
		return rc;
	}
}

/* The whole result comes with the first step; the rest walk its rows. */
static int pg_step(struct db *db, void *h, const char *what)
{
	struct pg_stmt *st = h;
	int rc;

	if (!st->res) {
		rc = pg_run(db, st, what);
		if (rc)
			return rc;
	}
	if (st->row < st->nrows)
		st->row++;
	return st->row < st->nrows;
}

static int pg_changes(struct db *db, void *h)
{
	(void)db;
	return ((struct pg_stmt *)h)->changes;
}

static int64_t pg_col_int64(void *h, int i)
{
	struct pg_stmt *st = h;
	const unsigned char *v;
	uint64_t x = 0;
	int len;

	if (PQgetisnull(st->res, st->row, i))
		return 0;
	v = (const unsigned char *)PQgetvalue(st->res, st->row, i);
	len = PQgetlength(st->res, st->row, i);
	switch (PQftype(st->res, i)) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
	case OID_BOOL:
		/* binary: big-endian two's complement, sign-extended */
		for (int k = 0; k < len; k++)
			x = x << 8 | v[k];
		if (len < 8 && len > 0 && (v[0] & 0x80))
			x |= ~0ULL << (8 * len);
		return (int64_t)x;
	default:
		return strtoll((const char *)v, NULL, 10);
	}
}

static const char *pg_col_text(void *h, int i)
{
	struct pg_stmt *st = h;

	if (PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i); /* libpq NUL-terminates */
}

static const void *pg_col_blob(void *h, int i, size_t *len)
{
	struct pg_stmt *st = h;

	*len = 0;
	if (PQgetisnull(st->res, st->row, i))
		return NULL;
	*len = PQgetlength(st->res, st->row, i);
	return PQgetvalue(st->res, st->row, i);
}

/* ---- transactions, schema version ---- */

static int pg_begin(struct db *db)
{
	return pg_exec_raw(db,
			   "BEGIN; SELECT pg_advisory_xact_lock(" PG_TX_LOCK
			   ")",
			   NULL);
}

static int pg_commit(struct db *db, bool *wrote)
{
	*wrote = true; /* durable either way: no group commit here */
	return pg_exec_raw(db, "COMMIT", "COMMIT");
}

static void pg_undo(struct db *db)
{
	PGconn *c = PG(db)->c;

	if (PQstatus(c) == CONNECTION_OK &&
	    PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
}

/* One row, one integer column, from a statement without parameters. */
static int pg_int_query(struct db *db, const char *sql, int *v)
{
	PGresult *res = PQexec(PG(db)->c, sql);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_err(db, res, sql);
	else
		*v = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return rc;
}

/* Called inside the migration's transaction, under the write lock: two
 * nodes starting at once migrate one after the other. */
static int pg_version(struct db *db, int *v)
{
	int rc = pg_exec_raw(db,
			     "CREATE TABLE IF NOT EXISTS pkid_schema"
			     " (version INTEGER NOT NULL)",
			     NULL);

	return rc ?: pg_int_query(db, "SELECT version FROM pkid_schema", v);
}

static int pg_set_version(struct db *db, int v)
{
	char sql[96];

	snprintf(sql, sizeof(sql),
		 "DELETE FROM pkid_schema; INSERT INTO pkid_schema VALUES (%d)",
		 v);
	return pg_exec_raw(db, sql, NULL);
}

static int pg_check(struct db *db)
{
	int v = -1, rc = pg_alive(db);

	rc = rc ?: pg_int_query(db, "SELECT version FROM pkid_schema", &v);
	if (!rc && v != DB_SCHEMA_VERSION) {
		pkid_log(LOG_ERR, NULL, "database %s: schema %d, expected %d",
			 db->path, v, DB_SCHEMA_VERSION);
		rc = -EIO;
	}
	return rc;
}

/* ---- opening ---- */

/* The URL for the log: any password in it replaced by "***". */
static char *url_for_log(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *colon;
	char *out;

	auth = auth ? auth + 3 : url;
	at = strchr(auth, '@');
	colon = at ? memchr(auth, ':', at - auth) : NULL;
	if (!colon)
		return strdup(url);
	if (asprintf(&out, "%.*s:***%s", (int)(colon - url), url, at) < 0)
		return NULL;
	return out;
}

static void quiet_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* CREATE TABLE IF NOT EXISTS and the like */
}

/* A password file only pkid's user may read: libpq itself only warns
 * about a group-readable one, and then ignores it. */
static int passfile_ok(const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0) {
		pkid_log(LOG_ERR, NULL, "database credentials %s: %s", file,
			 strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		pkid_log(LOG_ERR, NULL,
			 "database credentials %s: must be a file owned by "
			 "pkid's user (uid %u) with no access for others "
			 "(chmod 600); it is uid %u mode %03o",
			 file, (unsigned int)geteuid(),
			 (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 0777));
		return -EACCES;
	}
	return 0;
}

static int pg_open(struct db *db, const char *url, const char *passfile)
{
	/*
	 * Keepalives and a TCP user timeout, so a cut link fails a call in
	 * seconds rather than hanging it; the URL may override each.
	 */
	static const char *const keys[] = {
		"connect_timeout", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "tcp_user_timeout", "application_name",
		"dbname", "passfile", NULL};
	const char *vals[] = {"3",   "10", "5",	     "3", "15000",
			      "pkid", url,  passfile, NULL};
	struct pg *pg;
	int rc;

	db->path = url_for_log(url);
	pg = calloc(1, sizeof(*pg));
	if (!db->path || !pg) {
		free(pg);
		return -ENOMEM;
	}
	db->h = pg;
	pg->gen = 1;
	if (passfile) {
		rc = passfile_ok(passfile);
		if (rc)
			return rc;
	}
	pg->c = PQconnectdbParams(keys, vals, 1);
	if (!pg->c)
		return -ENOMEM;
	if (PQstatus(pg->c) != CONNECTION_OK) {
		char msg[512];

		pkid_log(LOG_ERR, NULL, "database %s: %s", db->path,
			 one_line(PQerrorMessage(pg->c), msg, sizeof(msg)));
		return -ENOTCONN;
	}
	PQsetNoticeProcessor(pg->c, quiet_notices, NULL);
	return pg_exec_raw(db, pg_session_sql, NULL);
}

static void pg_close(struct db *db)
{
	PQfinish(PG(db)->c);
	free(db->h);
	db->h = NULL;
}

/* ---- notifications (issue 18: state changes reach every node) ---- */

/* Drain what the server sent: 1 if a notification on our channel came. */
static int pg_drain(struct db *db)
{
	PGnotify *n;
	int got = 0;

	if (!PQconsumeInput(PG(db)->c))
		return pg_down(db);
	while ((n = PQnotifies(PG(db)->c))) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

/*
 * Wait up to timeout_ms for a NOTIFY on channel `pkid`.  LISTEN runs again
 * on every new session (after a reconnect); that wait answers 1 at once,
 * since anything said while we were away is lost: the caller looks.
 */
static int pg_wait(struct db *db, int timeout_ms)
{
	struct pg *pg = PG(db);
	struct pollfd pfd;
	int rc = pg_alive(db);

	if (rc)
		return rc;
	if (pg->listen_gen != pg->gen) {
		rc = pg_exec_raw(db, "LISTEN pkid", NULL);
		if (rc)
			return rc;
		pg->listen_gen = pg->gen;
		return 1;
	}
	rc = pg_drain(db);
	if (rc)
		return rc;
	pfd.fd = PQsocket(pg->c);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return pg_down(db);
	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	return rc ? pg_drain(db) : 0;
}

const struct db_ops db_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind = pg_bind,
	.step = pg_step,
	.changes = pg_changes,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.undo = pg_undo,
	.version = pg_version,
	.set_version = pg_set_version,
	.check = pg_check,
	.wait = pg_wait,
};
