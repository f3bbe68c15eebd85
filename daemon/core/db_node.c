// SPDX-License-Identifier: MIT
/*
 * Several pkid nodes on one database (issue 18): leadership of a CA's
 * scheduled work, the stamp that says a CA's published state is stale,
 * and the nodes' heartbeat rows (`show server`).  Portable SQL except
 * the advisory lock, which only a shared backend (PostgreSQL) has.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "log.h"

/*
 * The lock's two keys: "pkie" and the FNV-1a hash of the server's name
 * (31 bits).
 * Session-level locks stack (each pg_try_advisory_lock that succeeds
 * must be unlocked once): so ask pg_locks first whether this session
 * holds it, and try only if not.  After a reconnect the new session
 * holds nothing, and the same statement tries again.
 */
#define LEAD_KEY1 1885957477

static int32_t name_key(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (int32_t)(h & 0x7fffffff); /* pg_locks shows it as an oid */
}

int db_lead_try(struct db *db, const char *server, bool *leader)
{
	static const char sql[] =
		"SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks"
		" WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
		" AND classid = CAST(?1 AS oid)"
		" AND objid = CAST(?2 AS oid)"
		" AND objsubid = 2 AND granted)"
		" THEN 1 WHEN pg_try_advisory_lock(CAST(?1 AS int),"
		" CAST(?2 AS int)) THEN 1 ELSE 0 END";
	struct db_stmt *st;
	int rc;

	*leader = true;
	if (!db_shared(db))
		return 0;
	*leader = false;
	rc = db_row(db, sql, &st, "ii", LEAD_KEY1, (int)name_key(server));
	if (rc)
		return rc;
	*leader = db_col_int(st, 0) == 1;
	db_done(db, st);
	return 0;
}

int db_lead_release(struct db *db)
{
	struct db_stmt *st;
	int rc;

	if (!db_shared(db))
		return 0;
	rc = db_row(db, "SELECT pg_advisory_unlock_all()", &st, "");
	if (rc)
		return rc;
	db_done(db, st);
	return 0;
}

/* The CA's term (0: none claimed yet), in the caller's transaction if
 * one is open. */
int db_lead_epoch(struct db *db, const char *server, int64_t *epoch)
{
	struct db_stmt *st;
	int rc;

	*epoch = 0;
	rc = db_row(db, "SELECT epoch FROM lead WHERE server = ?", &st, "t",
		    server);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	*epoch = db_col_int64(st, 0);
	db_done(db, st);
	return 0;
}

int db_lead_claim(struct db *db, const char *server, const char *node,
		  int64_t *epoch)
{
	struct db_stmt *st;
	int rc;

	*epoch = 0;
	/* Under the write lock: ordered against every fenced step. */
	rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_row(db,
		    "INSERT INTO lead (server, epoch, node) VALUES (?1, 1, ?2)"
		    " ON CONFLICT (server) DO UPDATE"
		    " SET epoch = lead.epoch + 1, node = ?2 RETURNING epoch",
		    &st, "tt", server, node);
	if (rc == 0) {
		*epoch = db_col_int64(st, 0);
		db_done(db, st);
		return db_commit(db);
	}
	db_rollback(db);
	return rc;
}

void db_fence(struct db *db, const char *server, int64_t epoch)
{
	snprintf(db->fence_server, sizeof(db->fence_server), "%s",
		 server ? server : "");
	db->fence_epoch = epoch;
}

int db_fence_check(struct db *db)
{
	int64_t now;
	int rc;

	if (!db->fence_server[0])
		return 0;
	rc = db_lead_epoch(db, db->fence_server, &now);
	if (rc)
		return rc;
	if (now == db->fence_epoch)
		return 0;
	pkid_log(LOG_WARNING, "CS_LEADER_FENCED",
		 "%s: a step of leadership term %lld is not written: term %lld "
		 "began since (this node is no longer the leader)",
		 db->fence_server, (long long)db->fence_epoch, (long long)now);
	return -ESTALE;
}

int db_ca_stamp(struct db *db, const char *name, struct db_ca_stamp *s)
{
	const void *tail;
	struct db_stmt *st;
	size_t n = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	/* substr from the end, written for both engines (SQLite's negative
	 * start is its own) */
	rc = db_row(db,
		    "SELECT crl_number, rollover, archive_counter,"
		    " COALESCE(length(cur_cert), 0),"
		    " COALESCE(length(roll_cert), 0), cur_key, roll_key,"
		    " substr(crl, CASE WHEN length(crl) > 32"
		    "  THEN length(crl) - 31 ELSE 1 END)"
		    " FROM ca WHERE name = ?",
		    &st, "t", name);
	if (rc)
		return rc;
	s->crl_number = db_col_int64(st, 0);
	s->rollover = db_col_int64(st, 1);
	s->archive_counter = db_col_int64(st, 2);
	s->cur_len = db_col_int64(st, 3);
	s->roll_len = db_col_int64(st, 4);
	db_col_text(st, 5, s->cur_key, sizeof(s->cur_key));
	db_col_text(st, 6, s->roll_key, sizeof(s->roll_key));
	tail = db_col_blob_ref(st, 7, &n);
	if (tail && n) {
		s->crl_tail_len = n < DB_CRL_TAIL ? n : DB_CRL_TAIL;
		memcpy(s->crl_tail, tail, s->crl_tail_len);
	}
	db_done(db, st);
	return 0;
}

int db_node_beat(struct db *db, const struct db_node *n)
{
	int rc = db_run(db,
			"INSERT INTO node (name, server, leader, started,"
			" heartbeat, pid) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
			" ON CONFLICT (name, server) DO UPDATE SET leader = ?3,"
			" started = ?4, heartbeat = ?5, pid = ?6",
			"ttiIII", n->name, n->server, (int)n->leader,
			(int64_t)n->started, (int64_t)n->heartbeat,
			(int64_t)n->pid);

	return rc < 0 ? rc : 0;
}

int db_node_prune(struct db *db, int64_t before, int64_t *gone)
{
	int rc = db_run(db, "DELETE FROM node WHERE heartbeat < ?", "I",
			(int64_t)before);

	if (rc < 0)
		return rc;
	if (gone)
		*gone = rc;
	return 0;
}

int db_node_foreach(struct db *db, const char *server, db_node_cb cb, void *arg)
{
	struct db_node n;
	struct db_stmt *st;
	int rc;

	rc = db_prepv(db,
		      "SELECT name, server, leader, started, heartbeat, pid"
		      " FROM node WHERE server = ? ORDER BY name",
		      &st, "t", server);
	if (rc)
		return rc;
	while ((rc = db_step(db, st, "node")) == 1) {
		memset(&n, 0, sizeof(n));
		db_col_text(st, 0, n.name, sizeof(n.name));
		db_col_text(st, 1, n.server, sizeof(n.server));
		n.leader = db_col_int(st, 2) != 0;
		n.started = db_col_int64(st, 3);
		n.heartbeat = db_col_int64(st, 4);
		n.pid = db_col_int64(st, 5);
		rc = cb(&n, arg);
		if (rc)
			break;
	}
	db_done(db, st);
	return rc;
}
