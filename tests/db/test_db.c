// SPDX-License-Identifier: MIT
/*
 * pkid's database on real SQLite files, or, when PKID_TEST_PG_URL is set
 * (tests/db/run-pg.sh starts a throwaway PostgreSQL and sets it), on
 * real PostgreSQL databases, with the same cases: schema and migration
 * guard, CA state, serials unique under two writer processes and across
 * kill -9 of a writer in mid-transaction, certificates and revocation,
 * requests by transactionID, one-time passwords consumed once (even by
 * racing processes), trustpoint state.  PostgreSQL adds its own: a wrong
 * password refused, and a session killed by the server reopened.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "../lib/cunit_run.h"

#include "core/db.h"
#include "core/db_internal.h" /* the group commit's counters */

static char dir[64];
static char path[512];
static int n_db; /* each test gets a fresh file (or database) */
static const char *pg_url; /* PKID_TEST_PG_URL: .../pkid?host=...&port=... */

/* pg_url with its database name replaced by db. */
static void pg_url_for(char *out, size_t size, const char *db)
{
	const char *slash = strchr(strstr(pg_url, "://") + 3, '/');
	const char *q = strchr(slash, '?');

	snprintf(out, size, "%.*s/%s%s", (int)(slash - pg_url), pg_url, db,
		 q ? q : "");
}

/* Run SQL on the test database path names (an admin's session). */
static int pg_admin(const char *on, const char *sql)
{
	PGconn *c = PQconnectdb(on);
	PGresult *res = PQexec(c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		 PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	return ok ? 0 : -1;
}

static struct db *fresh_db(void)
{
	struct db *db = NULL;
	char name[32], admin[512], sql[64];

	if (pg_url) {
		snprintf(name, sizeof(name), "pkid_t%d", ++n_db);
		pg_url_for(admin, sizeof(admin), "postgres");
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
		CU_ASSERT_EQUAL_FATAL(pg_admin(admin, sql), 0);
		pg_url_for(path, sizeof(path), name);
	} else {
		snprintf(path, sizeof(path), "%s/pkid-%d.db", dir, ++n_db);
	}
	CU_ASSERT_EQUAL_FATAL(db_open(&db, path), 0);
	return db;
}

/* PostgreSQL: the version row, and a newer one refused, not damaged. */
static void test_schema_pg(void)
{
	PGconn *c = PQconnectdb(path);
	PGresult *res = PQexec(c, "SELECT version FROM pkid_schema");
	struct db *db;

	CU_ASSERT_EQUAL(PQresultStatus(res), PGRES_TUPLES_OK);
	CU_ASSERT_EQUAL(PQntuples(res), 1);
	if (PQntuples(res) == 1)
		CU_ASSERT_EQUAL(atoi(PQgetvalue(res, 0, 0)),
				DB_SCHEMA_VERSION);
	PQclear(res);
	PQfinish(c);
	CU_ASSERT_EQUAL(pg_admin(path, "UPDATE pkid_schema SET version = 99"),
			0);
	CU_ASSERT_EQUAL(db_open(&db, path), -EPROTO);
	CU_ASSERT_PTR_NULL(db);
}

static void test_schema(void)
{
	struct db *db = fresh_db();
	sqlite3 *h;
	sqlite3_stmt *st;

	CU_ASSERT_STRING_EQUAL(db_backend(db),
			       pg_url ? "postgresql" : "sqlite");
	db_close(db);
	/* reopen: no migration runs twice */
	CU_ASSERT_EQUAL_FATAL(db_open(&db, path), 0);
	CU_ASSERT_EQUAL(db_check(db), 0);
	db_close(db);
	if (pg_url) {
		test_schema_pg();
		return;
	}
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL);
	CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
	CU_ASSERT_EQUAL(sqlite3_column_int(st, 0), DB_SCHEMA_VERSION);
	sqlite3_finalize(st);
	sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
	CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
	CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* a database from a newer pkid is refused, not damaged */
	sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(h);
	CU_ASSERT_EQUAL(db_open(&db, path), -EPROTO);
	CU_ASSERT_PTR_NULL(db);
}

static void test_ca_state(void)
{
	struct db *db = fresh_db();
	unsigned char cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	unsigned char crl[] = {0x30, 0x00};
	struct db_ca ca = {.name = "ROOTCA",
			   .cur_cert = cert,
			   .cur_cert_len = sizeof(cert),
			   .cur_key = "ROOTCA",
			   .rollover = DB_ROLLOVER_AVAILABLE,
			   .roll_cert = crl,
			   .roll_cert_len = sizeof(crl),
			   .roll_key = "ROOTCA#",
			   .crl = crl,
			   .crl_len = sizeof(crl),
			   .crl_number = 7,
			   .crl_next_update = 1700000000};
	struct db_ca got;
	int64_t n, serial;

	CU_ASSERT_EQUAL(db_ca_get(db, "ROOTCA", &got), -ENOENT);
	CU_ASSERT_EQUAL(db_ca_next_crl_number(db, "ROOTCA", &n), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_ca_put(db, &ca), 0);
	CU_ASSERT_EQUAL_FATAL(db_ca_get(db, "ROOTCA", &got), 0);
	CU_ASSERT_EQUAL(got.cur_cert_len, sizeof(cert));
	CU_ASSERT_EQUAL(memcmp(got.cur_cert, cert, sizeof(cert)), 0);
	CU_ASSERT_STRING_EQUAL(got.roll_key, "ROOTCA#");
	CU_ASSERT_EQUAL(got.rollover, DB_ROLLOVER_AVAILABLE);
	CU_ASSERT_EQUAL(got.crl_number, 7);
	CU_ASSERT_EQUAL(got.crl_next_update, 1700000000);
	db_ca_free(&got);
	CU_ASSERT_EQUAL(db_ca_next_crl_number(db, "ROOTCA", &n), 0);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(db_ca_next_archive(db, "ROOTCA", &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(db_serial_reserve(db, "ROOTCA", &serial), 0);
	CU_ASSERT_EQUAL(serial, 1);
	/* put does not touch the serial counter */
	CU_ASSERT_EQUAL(db_ca_put(db, &ca), 0);
	CU_ASSERT_EQUAL(db_serial_last(db, "ROOTCA", &serial), 0);
	CU_ASSERT_EQUAL(serial, 1);
	/* delete forgets certificates, keeps the counters */
	CU_ASSERT_EQUAL(db_ca_delete(db, "ROOTCA"), 0);
	CU_ASSERT_EQUAL_FATAL(db_ca_get(db, "ROOTCA", &got), 0);
	CU_ASSERT_PTR_NULL(got.cur_cert);
	CU_ASSERT_EQUAL(got.last_serial, 1);
	db_ca_free(&got);
	CU_ASSERT_EQUAL(db_serial_reserve(db, "ROOTCA", &serial), 0);
	CU_ASSERT_EQUAL(serial, 2);
	db_close(db);
}

/* Reserve, record the certificate, commit: what the CA does per grant. */
static int issue_one(struct db *db, const char *server, int64_t *serial)
{
	struct db_cert c = {.not_before = 1, .not_after = 2};
	int rc;

	rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_serial_reserve(db, server, serial);
	snprintf(c.server, sizeof(c.server), "%s", server);
	c.serial = *serial;
	c.subject = "CN=test";
	if (!rc)
		rc = db_cert_add(db, &c);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

/* Child: open its own handle, issue `n` (or endless if 0), report each
 * serial on `fd` after its commit. */
static void writer(int fd, int n, bool with_cert)
{
	struct db *db;
	int64_t serial;
	int rc;

	if (db_open(&db, path))
		_exit(2);
	for (int i = 0; n == 0 || i < n; i++) {
		rc = with_cert ? issue_one(db, "CA", &serial)
			       : db_serial_reserve(db, "CA", &serial);
		if (rc)
			_exit(3);
		if (write(fd, &serial, sizeof(serial)) != sizeof(serial))
			_exit(4);
	}
	db_close(db);
	_exit(0);
}

/* Read up to max serials from fd (each child's stream), bounded by time. */
static size_t read_serials(int fd, int64_t *out, size_t max, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t n = 0;
	ssize_t r;

	while (n < max && poll(&p, 1, timeout_ms) > 0) {
		r = read(fd, &out[n], sizeof(out[n]));
		if (r != sizeof(out[n]))
			break;
		n++;
	}
	return n;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

#define HAMMER_N 300

/* Two processes allocate at once: 2N distinct serials, exactly 1..2N. */
static void test_serial_two_writers(void)
{
	static int64_t got[2 * HAMMER_N];
	struct db *db = fresh_db();
	int pipes[2][2], status;
	pid_t pid[2];
	size_t n = 0;

	db_close(db);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(pipe(pipes[i]), 0);
		pid[i] = fork();
		CU_ASSERT_FATAL(pid[i] >= 0);
		if (pid[i] == 0) {
			close(pipes[i][0]);
			writer(pipes[i][1], HAMMER_N, i == 0);
		}
		close(pipes[i][1]);
	}
	for (int i = 0; i < 2; i++) {
		n += read_serials(pipes[i][0], got + n, HAMMER_N, 30000);
		close(pipes[i][0]);
		waitpid(pid[i], &status, 0);
		CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CU_ASSERT_EQUAL_FATAL(n, 2 * HAMMER_N);
	qsort(got, n, sizeof(got[0]), cmp64);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(got[i], (int64_t)i + 1);
}

static int count_cb(const struct db_cert *c, void *arg)
{
	int64_t *max = arg;

	if (c->serial > max[0])
		max[0] = c->serial;
	max[1]++;
	return 0;
}

#define KILL_ROUNDS 6

/*
 * Serial blocks (issue 14): a block is n serials after everything handed
 * out before, one at a time or in blocks; the counter is the block's last
 * (committed: another handle sees it); inside a transaction it is refused
 * (a rollback would hand the block out again), and so is an empty block.
 */
static void test_serial_block(void)
{
	struct db *db = fresh_db(), *other = NULL;
	int64_t one = 0, first = 0, second = 0, last = 0;

	CU_ASSERT_EQUAL(db_serial_reserve(db, "CA", &one), 0);
	CU_ASSERT_EQUAL(db_serial_reserve_block(db, "CA", 64, &first), 0);
	CU_ASSERT_EQUAL(first, one + 1);
	CU_ASSERT_EQUAL(db_serial_reserve(db, "CA", &one), 0);
	CU_ASSERT_EQUAL(one, first + 64);
	CU_ASSERT_EQUAL(db_serial_reserve_block(db, "CA", 3, &second), 0);
	CU_ASSERT_EQUAL(second, one + 1);
	CU_ASSERT_EQUAL_FATAL(db_open(&other, path), 0);
	CU_ASSERT_EQUAL(db_serial_last(other, "CA", &last), 0);
	CU_ASSERT_EQUAL(last, second + 2);
	db_close(other);
	CU_ASSERT_EQUAL(db_serial_reserve_block(db, "CA", 0, &first), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_serial_reserve_block(db, "CA", 8, &first), -EINVAL);
	CU_ASSERT_EQUAL(db_rollback(db), 0);
	CU_ASSERT_EQUAL(db_serial_last(db, "CA", &last), 0);
	CU_ASSERT_EQUAL(last, second + 2);
	db_close(db);
}

/*
 * A writer is killed with SIGKILL at a random point of its loop, six
 * times.  After each: the database checks clean, every serial reported
 * as committed is recorded, and the next serial is above everything ever
 * handed out.
 */
static void test_serial_kill9(void)
{
	static int64_t seen[KILL_ROUNDS * 9000];
	struct db *db = fresh_db();
	struct db_cert c;
	size_t nseen = 0, n;
	int64_t next, max_seen = 0, stats[2];
	int fds[2], status;
	pid_t pid;

	db_close(db);
	srand(getpid());
	for (int round = 0; round < KILL_ROUNDS; round++) {
		CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
		pid = fork();
		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			writer(fds[1], 0, round % 2 == 0);
		}
		close(fds[1]);
		/* let it commit some, then kill it at a random instant */
		n = read_serials(fds[0], seen + nseen, 20, 10000);
		CU_ASSERT_EQUAL_FATAL(n, 20);
		usleep(rand() % 20000);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CU_ASSERT_TRUE(WIFSIGNALED(status));
		n += read_serials(fds[0], seen + nseen + n, 9000 - n, 100);
		close(fds[0]);
		CU_ASSERT_EQUAL_FATAL(db_open(&db, path), 0);
		CU_ASSERT_EQUAL(db_check(db), 0);
		for (size_t i = nseen; i < nseen + n; i++) {
			if (seen[i] > max_seen)
				max_seen = seen[i];
			/* even rounds recorded a certificate per serial */
			if (round % 2 == 0) {
				CU_ASSERT_EQUAL(
					db_cert_get(db, "CA", seen[i], &c), 0);
				db_cert_free(&c);
			}
		}
		nseen += n;
		stats[0] = stats[1] = 0;
		CU_ASSERT_EQUAL(db_cert_foreach(db, "CA", DB_CERT_NO_DER,
						count_cb, stats),
				0);
		CU_ASSERT_EQUAL(db_serial_reserve(db, "CA", &next), 0);
		CU_ASSERT_TRUE(next > max_seen);
		CU_ASSERT_TRUE(next > stats[0]);
		max_seen = next;
		db_close(db);
	}
	printf("\n    %d kills, %zu serials committed before them, next %lld ",
	       KILL_ROUNDS, nseen, (long long)max_seen);
	/* no serial was ever handed out twice */
	qsort(seen, nseen, sizeof(seen[0]), cmp64);
	for (size_t i = 1; i < nseen; i++)
		CU_ASSERT_NOT_EQUAL(seen[i], seen[i - 1]);
}

static int revoked_cb(const struct db_cert *c, void *arg)
{
	int64_t *serial = arg;

	*serial = c->serial;
	return c->revoked_at ? 0 : -EINVAL;
}

static void test_certs(void)
{
	struct db *db = fresh_db();
	unsigned char der[] = {0x30, 0x01, 0x00};
	struct db_cert c = {.server = "CA",
			    .subject = "CN=a",
			    .not_before = 10,
			    .not_after = 20,
			    .fingerprint = "AB",
			    .der = der,
			    .der_len = sizeof(der),
			    .issuer_fp = "CD"};
	struct db_cert got;
	int64_t serial = 0;

	for (int i = 1; i <= 3; i++) {
		c.serial = i;
		CU_ASSERT_EQUAL(db_cert_add(db, &c), 0);
	}
	CU_ASSERT_EQUAL(db_cert_add(db, &c), -EEXIST);
	CU_ASSERT_EQUAL_FATAL(db_cert_get(db, "CA", 2, &got), 0);
	CU_ASSERT_STRING_EQUAL(got.subject, "CN=a");
	CU_ASSERT_EQUAL(got.der_len, sizeof(der));
	CU_ASSERT_STRING_EQUAL(got.issuer_fp, "CD");
	db_cert_free(&got);
	CU_ASSERT_EQUAL(db_cert_get(db, "CA", 9, &got), -ENOENT);
	CU_ASSERT_EQUAL(db_cert_revoke(db, "CA", 9, 100, 1), -ENOENT);
	CU_ASSERT_EQUAL(db_cert_revoke(db, "CA", 2, 100, 1), 0);
	CU_ASSERT_EQUAL(db_cert_revoke(db, "CA", 2, 100, 1), -EALREADY);
	CU_ASSERT_EQUAL(
		db_cert_foreach(db, "CA", DB_CERT_REVOKED, revoked_cb, &serial),
		0);
	CU_ASSERT_EQUAL(serial, 2);
	CU_ASSERT_EQUAL(db_cert_unrevoke(db, "CA", 2), 0);
	CU_ASSERT_EQUAL(db_cert_unrevoke(db, "CA", 2), -EALREADY);
	serial = 0;
	CU_ASSERT_EQUAL(
		db_cert_foreach(db, "CA", DB_CERT_REVOKED, revoked_cb, &serial),
		0);
	CU_ASSERT_EQUAL(serial, 0);
	db_close(db);
}

static int count_req(const struct db_request *r, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_requests(void)
{
	struct db *db = fresh_db();
	unsigned char csr[] = {1, 2, 3}, reply[] = {9, 9};
	struct db_request r = {.server = "CA",
			       .tid = "TID-1",
			       .subject = "CN=r1",
			       .csr = csr,
			       .csr_len = sizeof(csr),
			       .created = 100,
			       .expires = 200};
	struct db_request got;
	int64_t count;
	int n = 0;

	CU_ASSERT_EQUAL_FATAL(db_request_add(db, &r), 0);
	CU_ASSERT_TRUE(r.id > 0);
	CU_ASSERT_EQUAL(db_request_add(db, &r), -EEXIST);
	CU_ASSERT_EQUAL_FATAL(db_request_by_tid(db, "CA", "TID-1", &got), 0);
	CU_ASSERT_EQUAL(got.id, r.id);
	CU_ASSERT_EQUAL(got.state, DB_REQ_PENDING);
	CU_ASSERT_EQUAL(got.csr_len, sizeof(csr));
	CU_ASSERT_PTR_NULL(got.reply);
	db_request_free(&got);
	CU_ASSERT_EQUAL(db_request_by_tid(db, "CA", "TID-2", &got), -ENOENT);
	CU_ASSERT_EQUAL(db_request_by_tid(db, "OTHER", "TID-1", &got), -ENOENT);
	/* granted, issued, and its reply kept for a repeated transactionID */
	CU_ASSERT_EQUAL(db_request_set_state(db, r.id, DB_REQ_ISSUED, 5), 0);
	CU_ASSERT_EQUAL(db_request_set_reply(db, r.id, reply, sizeof(reply)),
			0);
	CU_ASSERT_EQUAL_FATAL(db_request_get(db, r.id, &got), 0);
	CU_ASSERT_EQUAL(got.state, DB_REQ_ISSUED);
	CU_ASSERT_EQUAL(got.serial, 5);
	CU_ASSERT_EQUAL(got.reply_len, sizeof(reply));
	db_request_free(&got);
	CU_ASSERT_EQUAL(db_request_set_state(db, 999, DB_REQ_ISSUED, 0),
			-ENOENT);
	/* two pending, one expires */
	snprintf(r.tid, sizeof(r.tid), "TID-2");
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	snprintf(r.tid, sizeof(r.tid), "TID-3");
	r.expires = 500;
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db_request_foreach(db, "CA", DB_REQ_PENDING, false,
					   count_req, &n),
			0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(db_request_expire(db, 300, &count), 0);
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT_EQUAL(db_request_by_tid(db, "CA", "TID-2", &got), -ENOENT);
	CU_ASSERT_EQUAL(db_request_delete_all(db, "CA", -1, &count), 0);
	CU_ASSERT_EQUAL(count, 2);
	/* ids are never reused, even after deletion */
	snprintf(r.tid, sizeof(r.tid), "TID-4");
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_TRUE(r.id > 3);
	CU_ASSERT_STRING_EQUAL(db_req_state_name(DB_REQ_REJECTED), "rejected");
	db_close(db);
}

static void test_otp(void)
{
	struct db *db = fresh_db();

	CU_ASSERT_EQUAL(db_otp_add(db, "CA", "pw-1", 1000), 0);
	CU_ASSERT_EQUAL(db_otp_add(db, "CA", "pw-2", 50), 0);
	CU_ASSERT_EQUAL(db_otp_consume(db, "OTHER", "pw-1", 10), -ENOENT);
	CU_ASSERT_EQUAL(db_otp_consume(db, "CA", "pw-1", 10), 0);
	CU_ASSERT_EQUAL(db_otp_consume(db, "CA", "pw-1", 10), -ENOENT);
	CU_ASSERT_EQUAL(db_otp_consume(db, "CA", "pw-2", 100), -EKEYEXPIRED);
	CU_ASSERT_EQUAL(db_otp_consume(db, "CA", "pw-2", 10), -ENOENT);
	CU_ASSERT_EQUAL(db_otp_consume(db, "CA", "wrong", 10), -ENOENT);
	db_close(db);
}

#define OTP_N 100

/* Two processes race to consume the same passwords: each is used once. */
static void test_otp_race(void)
{
	struct db *db = fresh_db();
	char pw[32];
	int fds[2], status, total = 0, wins;
	pid_t pid[2];

	for (int i = 0; i < OTP_N; i++) {
		snprintf(pw, sizeof(pw), "otp-%d", i);
		CU_ASSERT_EQUAL(db_otp_add(db, "CA", pw, 1000), 0);
	}
	db_close(db);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		CU_ASSERT_FATAL(pid[c] >= 0);
		if (pid[c] == 0) {
			wins = 0;
			if (db_open(&db, path))
				_exit(2);
			for (int i = 0; i < OTP_N; i++) {
				snprintf(pw, sizeof(pw), "otp-%d", i);
				wins += db_otp_consume(db, "CA", pw, 10) == 0;
			}
			db_close(db);
			if (write(fds[1], &wins, sizeof(wins)) != sizeof(wins))
				_exit(3);
			_exit(0);
		}
	}
	close(fds[1]);
	for (int c = 0; c < 2; c++) {
		CU_ASSERT_EQUAL(read(fds[0], &wins, sizeof(wins)),
				sizeof(wins));
		total += wins;
		waitpid(pid[c], &status, 0);
		CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(fds[0]);
	CU_ASSERT_EQUAL(total, OTP_N);
}

static void test_trustpoint(void)
{
	struct db *db = fresh_db();
	unsigned char ca[] = {1}, id[] = {2, 2};
	struct db_tp tp = {.name = "TP",
			   .ca_cert = ca,
			   .ca_cert_len = 1,
			   .caps = "Renewal\nSHA-256\n",
			   .id_cert = id,
			   .id_cert_len = 2,
			   .id_key = "TP",
			   .pending_tid = "ABC",
			   .poll_count = 3,
			   .updated = 42};
	struct db_tp got;

	CU_ASSERT_EQUAL(db_tp_get(db, "TP", &got), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_tp_put(db, &tp), 0);
	CU_ASSERT_EQUAL_FATAL(db_tp_get(db, "TP", &got), 0);
	CU_ASSERT_EQUAL(got.ca_cert_len, 1);
	CU_ASSERT_EQUAL(got.id_cert_len, 2);
	CU_ASSERT_PTR_NULL(got.shadow_id_cert);
	CU_ASSERT_STRING_EQUAL(got.caps, "Renewal\nSHA-256\n");
	CU_ASSERT_STRING_EQUAL(got.pending_tid, "ABC");
	CU_ASSERT_EQUAL(got.poll_count, 3);
	CU_ASSERT_EQUAL(got.updated, 42);
	db_tp_free(&got);
	/* replace: shadow items in, pending cleared */
	tp.shadow_id_cert = id;
	tp.shadow_id_cert_len = 2;
	tp.pending_tid[0] = 0;
	CU_ASSERT_EQUAL(db_tp_put(db, &tp), 0);
	CU_ASSERT_EQUAL_FATAL(db_tp_get(db, "TP", &got), 0);
	CU_ASSERT_EQUAL(got.shadow_id_cert_len, 2);
	CU_ASSERT_STRING_EQUAL(got.pending_tid, "");
	db_tp_free(&got);
	CU_ASSERT_EQUAL(db_tp_delete(db, "TP"), 0);
	CU_ASSERT_EQUAL(db_tp_delete(db, "TP"), -ENOENT);
	db_close(db);
}

/* A caller transaction rolled back undoes everything in it. */
static void test_transactions(void)
{
	struct db *db = fresh_db();
	struct db_request r = {
		.server = "CA", .tid = "T", .created = 1, .expires = 2};
	struct db_request got;

	CU_ASSERT_EQUAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_begin(db), -EINPROGRESS);
	CU_ASSERT_TRUE(db_in_transaction(db));
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db_rollback(db), 0);
	CU_ASSERT_EQUAL(db_request_by_tid(db, "CA", "T", &got), -ENOENT);
	CU_ASSERT_EQUAL(db_commit(db), -EINVAL);
	db_close(db);
}

/* The connection's synchronous setting: 1 NORMAL, 2 FULL. */
static int sync_level(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db_sqlite_handle(db), "PRAGMA synchronous", -1,
			       &st, NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Group commit: a grouped transaction commits with synchronous=NORMAL and
 * the handle is FULL again after it (commit or rollback); a write takes a
 * new ticket, a read-only one the last write's; db_sync covers it; a plain
 * commit after grouped ones counts them all durable.
 */
static void test_group_commit(void)
{
	struct db *db = fresh_db(), *other;
	struct db_request r = {
		.server = "CA", .tid = "G1", .created = 1, .expires = 2};
	struct db_request got;
	uint64_t t1, t2;

	CU_ASSERT_EQUAL(sync_level(db), 2);
	CU_ASSERT_EQUAL_FATAL(db_begin_grouped(db), 0);
	CU_ASSERT_EQUAL(db_begin_grouped(db), -EINPROGRESS);
	CU_ASSERT_EQUAL(sync_level(db), 1);
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db_commit_grouped(db, &t1), 0);
	CU_ASSERT_EQUAL(t1, 1);
	CU_ASSERT_EQUAL(sync_level(db), 2);
	/* committed: another handle sees it before the sync */
	CU_ASSERT_EQUAL_FATAL(db_open(&other, path), 0);
	CU_ASSERT_EQUAL(db_request_by_tid(other, "CA", "G1", &got), 0);
	db_request_free(&got);
	CU_ASSERT_EQUAL(db->group.synced, 0);
	CU_ASSERT_EQUAL(db_sync(db, t1), 0);
	CU_ASSERT_EQUAL(db->group.synced, 1);
	CU_ASSERT_TRUE(db->group.wal_fd >= 0);
	/* read only: the last write's ticket, nothing new to sync */
	CU_ASSERT_EQUAL_FATAL(db_begin_grouped(db), 0);
	CU_ASSERT_EQUAL(db_request_by_tid(db, "CA", "G1", &got), 0);
	db_request_free(&got);
	CU_ASSERT_EQUAL(db_commit_grouped(db, &t2), 0);
	CU_ASSERT_EQUAL(t2, 1);
	/* rolled back: nothing counted, FULL again */
	CU_ASSERT_EQUAL_FATAL(db_begin_grouped(db), 0);
	r.tid[1] = '2';
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db_rollback(db), 0);
	CU_ASSERT_EQUAL(sync_level(db), 2);
	CU_ASSERT_EQUAL(db->group.written, 1);
	CU_ASSERT_EQUAL(db_request_by_tid(other, "CA", "G2", &got), -ENOENT);
	/* a grouped commit left unsynced, then a plain (FULL) one */
	CU_ASSERT_EQUAL_FATAL(db_begin_grouped(db), 0);
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db_commit_grouped(db, &t2), 0);
	CU_ASSERT_EQUAL(t2, 2);
	CU_ASSERT_EQUAL(db->group.synced, 1);
	r.tid[1] = '3';
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db->group.synced, 1); /* autocommit: not counted */
	/* a plain transaction that only read synced nothing: not counted */
	CU_ASSERT_EQUAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_request_by_tid(db, "CA", "G2", &got), 0);
	db_request_free(&got);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(db->group.synced, 1);
	CU_ASSERT_EQUAL(db_begin(db), 0);
	r.tid[1] = '4';
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db_commit(db), 0);
	CU_ASSERT_EQUAL(db->group.synced, 2);
	db_close(other);
	db_close(db);
}

/*
 * db_sync_ahead: nothing to do for ticket 0 or a durable one (no thread);
 * else its thread makes the ticket durable with no db_sync called, and
 * db_sync then returns at once; db_close stops the thread.
 */
static void test_group_commit_ahead(void)
{
	struct db *db = fresh_db();
	struct db_request r = {
		.server = "CA", .tid = "A1", .created = 1, .expires = 2};
	uint64_t t;
	int i;

	db_sync_ahead(db, 0);
	CU_ASSERT_FALSE(db->group.ahead_on);
	CU_ASSERT_EQUAL_FATAL(db_begin_grouped(db), 0);
	CU_ASSERT_EQUAL(db_request_add(db, &r), 0);
	CU_ASSERT_EQUAL(db_commit_grouped(db, &t), 0);
	CU_ASSERT_EQUAL(db->group.synced, 0);
	db_sync_ahead(db, t);
	CU_ASSERT_TRUE(db->group.ahead_on);
	/* bounded: 5,000 x 1 ms */
	for (i = 0; i < 5000 && __atomic_load_n(&db->group.synced,
						__ATOMIC_ACQUIRE) < t; i++)
		usleep(1000);
	CU_ASSERT_EQUAL(db->group.synced, t);
	CU_ASSERT_EQUAL(db_sync(db, t), 0);
	db_sync_ahead(db, t); /* durable already: nothing */
	CU_ASSERT_EQUAL(db->group.ahead_want, t);
	db_close(db);
}

/* Writers as in ca_enroll.c: commit under a lock, sync outside it. */
#define GROUP_THREADS 6
#define GROUP_EACH    25

struct group_arg {
	struct db *db;
	pthread_mutex_t *lock;
	int id, failed;
};

static void *group_writer(void *p)
{
	struct group_arg *a = p;
	struct db_request r = {.server = "CA", .created = 1, .expires = 2};
	uint64_t t;

	for (int i = 0; i < GROUP_EACH; i++) {
		snprintf(r.tid, sizeof(r.tid), "W%d-%d", a->id, i);
		pthread_mutex_lock(a->lock);
		if (db_begin_grouped(a->db) || db_request_add(a->db, &r) ||
		    db_commit_grouped(a->db, &t))
			a->failed++;
		pthread_mutex_unlock(a->lock);
		/* odd writers as SCEP's enrollments: the sync started ahead,
		 * then waited for; its thread and db_sync's rounds mix */
		if (a->id % 2)
			db_sync_ahead(a->db, t);
		if (db_sync(a->db, t) || a->db->group.synced < t)
			a->failed++;
	}
	return NULL;
}

static void test_group_commit_threads(void)
{
	struct db *db = fresh_db(), *other;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct group_arg a[GROUP_THREADS];
	pthread_t th[GROUP_THREADS];
	struct db_request got;
	char tid[32];

	for (int i = 0; i < GROUP_THREADS; i++) {
		a[i] = (struct group_arg){.db = db, .lock = &lock, .id = i};
		CU_ASSERT_EQUAL_FATAL(
			pthread_create(&th[i], NULL, group_writer, &a[i]), 0);
	}
	for (int i = 0; i < GROUP_THREADS; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(a[i].failed, 0);
	}
	CU_ASSERT_EQUAL(db->group.written, GROUP_THREADS * GROUP_EACH);
	CU_ASSERT_EQUAL(db->group.synced, db->group.written);
	CU_ASSERT_EQUAL_FATAL(db_open(&other, path), 0);
	for (int i = 0; i < GROUP_THREADS; i++) {
		for (int j = 0; j < GROUP_EACH; j++) {
			snprintf(tid, sizeof(tid), "W%d-%d", i, j);
			CU_ASSERT_EQUAL(
				db_request_by_tid(other, "CA", tid, &got), 0);
			db_request_free(&got);
		}
	}
	db_close(other);
	db_close(db);
}

/* PostgreSQL: a wrong password is refused; the URL's password, if one
 * were given, never reaches the log (db->path) — checked by the config
 * tests, which refuse it outright. */
static void test_pg_credentials(void)
{
	const char *good = getenv("PGPASSFILE");
	char bad[128];
	struct db *db = NULL;
	FILE *f;

	snprintf(bad, sizeof(bad), "%s/pgpass.bad", dir);
	f = fopen(bad, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "*:*:*:*:not-the-password\n");
	fclose(f);
	chmod(bad, 0600);
	setenv("PGPASSFILE", bad, 1);
	CU_ASSERT_EQUAL(db_open(&db, pg_url), -ENOTCONN);
	CU_ASSERT_PTR_NULL(db);
	setenv("PGPASSFILE", good, 1);
	unlink(bad);
	CU_ASSERT_EQUAL(db_open(&db, pg_url), 0);
	db_close(db);
	/* database credentials FILE: the right password, but others may
	 * read the file: refused before libpq sees it */
	CU_ASSERT_EQUAL(chmod(good, 0640), 0);
	CU_ASSERT_EQUAL(db_open_creds(&db, pg_url, good), -EACCES);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_EQUAL(chmod(good, 0600), 0);
	unsetenv("PGPASSFILE");
	CU_ASSERT_EQUAL(db_open_creds(&db, pg_url, good), 0);
	db_close(db);
	setenv("PGPASSFILE", good, 1);
}

/*
 * PostgreSQL: the server ends pkid's session (a restart, a failover, an
 * administrator).  The call that meets the dead session fails with
 * -ENOTCONN (never a wrong answer); the next one opens a new session,
 * prepares its statements again and works.
 */
static void test_pg_reconnect(void)
{
	struct db *db = fresh_db();
	char admin[512];
	int64_t serial, last;

	CU_ASSERT_EQUAL(db_serial_reserve(db, "CA", &serial), 0);
	CU_ASSERT_EQUAL(serial, 1);
	pg_url_for(admin, sizeof(admin), "postgres");
	CU_ASSERT_EQUAL(pg_admin(admin, "SELECT pg_terminate_backend(pid)"
					" FROM pg_stat_activity WHERE"
					" application_name = 'pkid'"),
			0);
	CU_ASSERT_EQUAL(db_serial_last(db, "CA", &last), -ENOTCONN);
	CU_ASSERT_EQUAL(db_serial_reserve(db, "CA", &serial), 0);
	CU_ASSERT_EQUAL(serial, 2);
	CU_ASSERT_EQUAL(db_serial_last(db, "CA", &last), 0);
	CU_ASSERT_EQUAL(last, 2);
	/* a transaction cut by the loss is rolled back on the server */
	CU_ASSERT_EQUAL(db_begin(db), 0);
	CU_ASSERT_EQUAL(db_serial_reserve(db, "CA", &serial), 0);
	CU_ASSERT_EQUAL(pg_admin(admin, "SELECT pg_terminate_backend(pid)"
					" FROM pg_stat_activity WHERE"
					" application_name = 'pkid'"),
			0);
	CU_ASSERT_EQUAL(db_commit(db), -ENOTCONN);
	CU_ASSERT_EQUAL(db_serial_last(db, "CA", &last), 0);
	CU_ASSERT_EQUAL(last, 2);
	db_close(db);
}

static void cleanup(void)
{
	char p[160];

	for (int i = 1; i <= n_db; i++) {
		snprintf(p, sizeof(p), "%s/pkid-%d.db", dir, i);
		unlink(p);
		snprintf(p, sizeof(p), "%s/pkid-%d.db-wal", dir, i);
		unlink(p);
		snprintf(p, sizeof(p), "%s/pkid-%d.db-shm", dir, i);
		unlink(p);
	}
	rmdir(dir);
}

/*
 * Several nodes (issue 18): a CRL written alone never goes back and
 * never touches the rollover columns; a whole-row put keeps a newer CRL;
 * the stamp moves with each; heartbeat rows; leadership (SQLite: always;
 * PostgreSQL: one session of two, the other's once the first is closed).
 */
static int count_node(const struct db_node *n, void *arg)
{
	int *count = arg;

	(*count)++;
	CU_ASSERT_STRING_EQUAL(n->server, "ROOTCA");
	return 0;
}

static void test_nodes(void)
{
	struct db *db = fresh_db(), *other = NULL;
	unsigned char cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	unsigned char crl9[] = {0x30, 0x01, 0x09}, crl8[] = {0x30, 0x01, 0x08};
	unsigned char crl10[40] = {0x30, 38, [39] = 0x0a}; /* a tail of 32 */
	int64_t num = 0;
	struct db_ca ca = {.name = "ROOTCA",
			   .cur_cert = cert,
			   .cur_cert_len = sizeof(cert),
			   .cur_key = "ROOTCA",
			   .crl_number = 7};
	struct db_node n = {.name = "h:1",
			    .server = "ROOTCA",
			    .leader = true,
			    .started = 100,
			    .heartbeat = 200,
			    .pid = 42};
	struct db_ca_stamp s1, s2;
	struct db_ca got;
	bool lead = false, lead2 = true;
	int64_t gone = -1;
	int count = 0;

	CU_ASSERT_EQUAL(db_ca_stamp(db, "ROOTCA", &s1), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(db_ca_put(db, &ca), 0);
	CU_ASSERT_EQUAL_FATAL(db_ca_stamp(db, "ROOTCA", &s1), 0);
	CU_ASSERT_EQUAL(s1.crl_number, 7);
	CU_ASSERT_EQUAL(s1.cur_len, sizeof(cert));
	CU_ASSERT_EQUAL(db_ca_set_crl(db, "ROOTCA", crl9, sizeof(crl9), 9, 500),
			0);
	CU_ASSERT_EQUAL(db_ca_set_crl(db, "ROOTCA", crl8, sizeof(crl8), 8, 400),
			-ESTALE);
	CU_ASSERT_EQUAL_FATAL(db_ca_stamp(db, "ROOTCA", &s2), 0);
	CU_ASSERT_EQUAL(s2.crl_number, 9);
	/* a row read before CRL 9, its rollover step moved on, put whole */
	ca.rollover = DB_ROLLOVER_KEY_MADE;
	snprintf(ca.roll_key, sizeof(ca.roll_key), "ROOTCA#");
	CU_ASSERT_EQUAL_FATAL(db_ca_put(db, &ca), 0);
	CU_ASSERT_EQUAL_FATAL(db_ca_get(db, "ROOTCA", &got), 0);
	CU_ASSERT_EQUAL(got.crl_number, 9);
	CU_ASSERT_EQUAL(got.crl_next_update, 500);
	CU_ASSERT_EQUAL(got.crl_len, sizeof(crl9));
	CU_ASSERT_EQUAL(got.rollover, DB_ROLLOVER_KEY_MADE);
	db_ca_free(&got);
	CU_ASSERT_EQUAL_FATAL(db_ca_stamp(db, "ROOTCA", &s1), 0);
	CU_ASSERT_EQUAL(s1.rollover, DB_ROLLOVER_KEY_MADE);
	CU_ASSERT_STRING_EQUAL(s1.roll_key, "ROOTCA#");
	/* A signer takes the number first, then stores its CRL: a node that
	 * looked in between must see the stored CRL as a change too. */
	CU_ASSERT_EQUAL_FATAL(db_ca_next_crl_number(db, "ROOTCA", &num), 0);
	CU_ASSERT_EQUAL(num, 10);
	CU_ASSERT_EQUAL_FATAL(db_ca_stamp(db, "ROOTCA", &s1), 0);
	CU_ASSERT_EQUAL(db_ca_set_crl(db, "ROOTCA", crl10, sizeof(crl10), 10,
				      600),
			0);
	CU_ASSERT_EQUAL_FATAL(db_ca_stamp(db, "ROOTCA", &s2), 0);
	CU_ASSERT_EQUAL(s2.crl_number, 10);
	CU_ASSERT(memcmp(&s1, &s2, sizeof(s1)) != 0);
	CU_ASSERT(s2.crl_tail_len == 32 &&
		  !memcmp(s2.crl_tail, crl10 + 8, 32));

	CU_ASSERT_EQUAL(db_node_beat(db, &n), 0);
	n.heartbeat = 300; /* the same node again: one row */
	CU_ASSERT_EQUAL(db_node_beat(db, &n), 0);
	snprintf(n.name, sizeof(n.name), "h:2");
	n.heartbeat = 10;
	CU_ASSERT_EQUAL(db_node_beat(db, &n), 0);
	CU_ASSERT_EQUAL(db_node_foreach(db, "ROOTCA", count_node, &count), 0);
	CU_ASSERT_EQUAL(count, 2);
	CU_ASSERT_EQUAL(db_node_prune(db, 100, &gone), 0);
	CU_ASSERT_EQUAL(gone, 1);
	count = 0;
	CU_ASSERT_EQUAL(db_node_foreach(db, "ROOTCA", count_node, &count), 0);
	CU_ASSERT_EQUAL(count, 1);

	CU_ASSERT_EQUAL(db_lead_try(db, "ROOTCA", &lead), 0);
	CU_ASSERT_TRUE(lead);
	CU_ASSERT_EQUAL(db_lead_try(db, "ROOTCA", &lead), 0); /* still */
	CU_ASSERT_TRUE(lead);
	CU_ASSERT_EQUAL_FATAL(db_open(&other, path), 0);
	CU_ASSERT_EQUAL(db_lead_try(other, "ROOTCA", &lead2), 0);
	CU_ASSERT_EQUAL(lead2, !pg_url); /* SQLite: one node, always */
	CU_ASSERT_EQUAL(db_lead_try(other, "SUBCA", &lead2), 0);
	CU_ASSERT_TRUE(lead2); /* another CA, another lock */
	CU_ASSERT_EQUAL(db_lead_release(db), 0);
	CU_ASSERT_EQUAL(db_lead_try(other, "ROOTCA", &lead2), 0);
	CU_ASSERT_TRUE(lead2); /* given back: the other session's now */
	CU_ASSERT_EQUAL(db_lead_try(db, "ROOTCA", &lead), 0);
	CU_ASSERT_EQUAL(lead, !pg_url);
	CU_ASSERT_EQUAL(db_lead_release(other), 0);
	CU_ASSERT_EQUAL(db_lead_try(db, "ROOTCA", &lead), 0);
	CU_ASSERT_TRUE(lead);
	db_close(db);
	/* The server frees a closed session's locks when its backend exits,
	 * just after: bounded, 200 x 10 ms. */
	for (int i = 0; i < 200; i++) {
		CU_ASSERT_EQUAL(db_lead_try(other, "ROOTCA", &lead2), 0);
		if (lead2)
			break;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	CU_ASSERT_TRUE(lead2); /* the session ended: the lock is free */
	CU_ASSERT_EQUAL(db_shared(other), pg_url != NULL);
	db_close(other);
}

/*
 * Fencing: a handle fenced to a term writes nothing once another term was
 * claimed (-ESTALE, every kind of write transaction), and writes again
 * when fenced to the current one or not at all.
 */
static void test_fence(void)
{
	unsigned char blob[] = {1, 2, 3}, pub[] = {4, 5};
	struct db_keyblob kb = {.name = "ROOTCA#", .blob = blob,
				.blob_len = sizeof(blob), .pubkey = pub,
				.pubkey_len = sizeof(pub)};
	unsigned char cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	struct db_ca ca = {.name = "ROOTCA",
			   .cur_cert = cert,
			   .cur_cert_len = sizeof(cert),
			   .cur_key = "ROOTCA"},
		     got = {0};
	struct db *db = fresh_db(), *lead = NULL;
	int64_t e1 = 0, e2 = 0, e = 0;

	CU_ASSERT_EQUAL_FATAL(db_open(&lead, path), 0);
	CU_ASSERT_EQUAL(db_ca_put(db, &ca), 0);
	CU_ASSERT_EQUAL(db_lead_epoch(db, "ROOTCA", &e), 0);
	CU_ASSERT_EQUAL(e, 0); /* never claimed */
	CU_ASSERT_EQUAL(db_lead_claim(lead, "ROOTCA", "h:1", &e1), 0);
	CU_ASSERT_EQUAL(e1, 1);
	db_fence(db, "ROOTCA", e1);
	ca.rollover = DB_ROLLOVER_KEY_MADE;
	CU_ASSERT_EQUAL(db_ca_put(db, &ca), 0); /* our term */
	CU_ASSERT_EQUAL(db_lead_claim(lead, "ROOTCA", "h:2", &e2), 0);
	CU_ASSERT_EQUAL(e2, 2);
	CU_ASSERT_EQUAL(db_lead_epoch(db, "ROOTCA", &e), 0);
	CU_ASSERT_EQUAL(e, 2);
	/* deposed: nothing written, whatever the write */
	ca.rollover = DB_ROLLOVER_AVAILABLE;
	CU_ASSERT_EQUAL(db_ca_put(db, &ca), -ESTALE);
	CU_ASSERT_EQUAL(db_keyblob_put(db, &kb), -ESTALE);
	CU_ASSERT_EQUAL(db_begin(db), -ESTALE);
	CU_ASSERT_FALSE(db_in_transaction(db));
	CU_ASSERT_EQUAL(db_ca_get(db, "ROOTCA", &got), 0);
	CU_ASSERT_EQUAL(got.rollover, DB_ROLLOVER_KEY_MADE);
	db_ca_free(&got);
	CU_ASSERT_EQUAL(db_keyblob_get(db, "ROOTCA#", &(struct db_keyblob){0}),
			-ENOENT);
	/* another CA's term is not ours to check: only ROOTCA moved */
	db_fence(db, "ROOTCA", e2);
	CU_ASSERT_EQUAL(db_ca_put(db, &ca), 0);
	CU_ASSERT_EQUAL(db_keyblob_put(db, &kb), 0);
	db_fence(db, NULL, 0);
	CU_ASSERT_EQUAL(db_keyblob_delete(db, "ROOTCA#"), 0);
	CU_ASSERT_EQUAL(db_ca_get(db, "ROOTCA", &got), 0);
	CU_ASSERT_EQUAL(got.rollover, DB_ROLLOVER_AVAILABLE);
	db_ca_free(&got);
	db_close(lead);
	db_close(db);
}

/*
 * A CA's files (db_cafile.c): put and get; replace only over what the
 * caller saw (none, or the same bytes), else -EEXIST and nothing written;
 * move; the walk; fenced like every write.
 */
static int count_file(const char *name, const struct db_cafile *f, void *arg)
{
	int *n = arg;

	(*n)++;
	return strcmp(name, "R-ra.cer") == 0 && f->len == 3 ? 0 : -EBADMSG;
}

static void test_cafiles(void)
{
	struct db *db = fresh_db(), *other = NULL;
	struct db_cafile got = {0}, seen = {.data = (unsigned char *)"one",
					    .len = 3};
	int64_t e = 0;
	int n = 0;

	CU_ASSERT_EQUAL_FATAL(db_open(&other, path), 0);
	CU_ASSERT_EQUAL(db_cafile_get(db, "R", "R-ra.cer", &got), -ENOENT);
	/* two nodes offer one each: the first stays */
	CU_ASSERT_EQUAL(db_cafile_replace(db, "R", "R-ra.cer", NULL, "one", 3), 0);
	CU_ASSERT_EQUAL(db_cafile_replace(other, "R", "R-ra.cer", NULL, "two", 3),
			-EEXIST);
	CU_ASSERT_EQUAL(db_cafile_get(other, "R", "R-ra.cer", &got), 0);
	CU_ASSERT(got.len == 3 && !memcmp(got.data, "one", 3));
	db_cafile_free(&got);
	/* over what was seen: replaced; over something else: not */
	CU_ASSERT_EQUAL(db_cafile_replace(other, "R", "R-ra.cer", &seen, "new", 3), 0);
	CU_ASSERT_EQUAL(db_cafile_replace(db, "R", "R-ra.cer", &seen, "old", 3),
			-EEXIST);
	CU_ASSERT_EQUAL(db_cafile_get(db, "R", "R-ra.cer", &got), 0);
	CU_ASSERT(got.len == 3 && !memcmp(got.data, "new", 3));
	db_cafile_free(&got);
	/* the successor becomes the certificate */
	CU_ASSERT_EQUAL(db_cafile_put(db, "R", "R-ra-rollover.cer", "nxt", 3), 0);
	CU_ASSERT_EQUAL(db_cafile_put(db, "S", "R-ra.cer", "sss", 3), 0);
	CU_ASSERT_EQUAL(db_cafile_move(db, "R", "R-ra-rollover.cer", "R-ra.cer"), 0);
	CU_ASSERT_EQUAL(db_cafile_move(db, "R", "R-ra-rollover.cer", "R-ra.cer"),
			-ENOENT);
	CU_ASSERT_EQUAL(db_cafile_get(db, "R", "R-ra.cer", &got), 0);
	CU_ASSERT(got.len == 3 && !memcmp(got.data, "nxt", 3));
	db_cafile_free(&got);
	CU_ASSERT_EQUAL(db_cafile_foreach(db, "R", count_file, &n), 0);
	CU_ASSERT_EQUAL(n, 1); /* S's is not R's */
	CU_ASSERT_EQUAL(db_cafile_put(db, "R", "x", "", 0), -EINVAL);
	/* a deposed leader stores nothing */
	CU_ASSERT_EQUAL(db_lead_claim(other, "R", "h:1", &e), 0);
	db_fence(db, "R", e);
	CU_ASSERT_EQUAL(db_lead_claim(other, "R", "h:2", &e), 0);
	CU_ASSERT_EQUAL(db_cafile_put(db, "R", "R_00001.p12", "p12", 3), -ESTALE);
	CU_ASSERT_EQUAL(db_cafile_delete(db, "R", "R-ra.cer"), -ESTALE);
	db_fence(db, NULL, 0);
	CU_ASSERT_EQUAL(db_cafile_get(db, "R", "R_00001.p12", &got), -ENOENT);
	/* a responder certificate of a CA no longer published goes */
	CU_ASSERT_EQUAL(db_cafile_delete(db, "R", "R-ra.cer"), 0);
	CU_ASSERT_EQUAL(db_cafile_get(db, "R", "R-ra.cer", &got), -ENOENT);
	CU_ASSERT_EQUAL(db_cafile_delete(db, "R", "R-ra.cer"), 0);
	CU_ASSERT_EQUAL(db_cafile_get(db, "S", "R-ra.cer", &got), 0);
	db_cafile_free(&got);
	db_close(other);
	db_close(db);
}

int main(void)
{
	static const struct cu_case cases[] = {
		{"schema", test_schema},
		{"ca state", test_ca_state},
		{"serials, two writers", test_serial_two_writers},
		{"serials, kill -9", test_serial_kill9},
		{"serial blocks", test_serial_block},
		{"certificates", test_certs},
		{"requests", test_requests},
		{"one-time passwords", test_otp},
		{"one-time passwords, race", test_otp_race},
		{"trustpoint state", test_trustpoint},
		{"transactions", test_transactions},
		{"nodes: CRL alone, stamp, heartbeats, leadership", test_nodes},
		{"nodes: a deposed leader's writes fenced", test_fence},
		{"a CA's files", test_cafiles},
	};
	/* group commit syncs SQLite's WAL file; PostgreSQL commits durably
	 * (db_begin_grouped is db_begin there) */
	static const struct cu_case lite_cases[] = {
		{"group commit", test_group_commit},
		{"group commit, threads", test_group_commit_threads},
		{"group commit, sync ahead", test_group_commit_ahead},
	};
	static const struct cu_case pg_cases[] = {
		{"postgresql: credentials", test_pg_credentials},
		{"postgresql: session lost and reopened", test_pg_reconnect},
	};
	int ret;

	pg_url = getenv("PKID_TEST_PG_URL");
	if (pg_url && (!strstr(pg_url, "://") ||
		       !strchr(strstr(pg_url, "://") + 3, '/')))
		return 2;

	snprintf(dir, sizeof(dir), "/tmp/pkid-db-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	ret = cu_run_suite(pg_url ? "db (postgresql)" : "db (sqlite)", NULL,
			   NULL, CU_CASES(cases));
	if (pg_url)
		ret |= cu_run_suite("db (postgresql only)", NULL, NULL,
				    CU_CASES(pg_cases));
	else
		ret |= cu_run_suite("db (sqlite only)", NULL, NULL,
				    CU_CASES(lite_cases));
	if (!pg_url)
		cleanup();
	else
		rmdir(dir);
	return ret;
}
