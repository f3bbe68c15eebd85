/* SPDX-License-Identifier: MIT */
/*
 * pkid's database: one SQLite file (WAL, synchronous=FULL), or a
 * PostgreSQL database (docs/POSTGRESQL.md), holding the CA
 * state, serial counters, issued certificates, SCEP requests, one-time
 * challenge passwords, the trustpoints' client state and the wrapped
 * blobs of the keystore keys pkid made.
 *
 * Every function returns 0 or a negative errno: -ENOENT (no such row),
 * -EEXIST (duplicate), -EBUSY (still locked after the busy timeout, or
 * PostgreSQL's serialization failure or deadlock), -ENOTCONN (the
 * PostgreSQL server cannot be reached), -EIO (any other failure, logged
 * with the engine's message).
 *
 * A handle is not thread-safe: give each thread its own db_open() (WAL
 * lets readers run beside the one writer; writers wait up to
 * DB_BUSY_TIMEOUT_MS).  db_begin()/db_commit() group several calls in one
 * transaction; a call made outside one runs in its own.
 *
 * Serials: db_serial_reserve() increments the server's counter in a
 * committed transaction of its own (or in the caller's): a serial, once
 * handed out, is never handed out again, even if the process dies before
 * the certificate is recorded (that leaves a gap, never a duplicate).
 * Reserve, sign through the keystore, then db_cert_add().
 */
#ifndef PKID_DB_H
#define PKID_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_SCHEMA_VERSION  6
#define DB_BUSY_TIMEOUT_MS 10000
#define DB_NAME_MAX	   64
#define DB_FP_MAX	   129 /* hex of up to SHA-512, NUL */
#define DB_TID_MAX	   256 /* SCEP transactionID (printable) */

struct db;

/*
 * target: a file (SQLite), or a postgresql:// URL (libpq's connection
 * URI; its password comes from PGPASSFILE, never from the URL).
 */
int db_open(struct db **db, const char *target);
/*
 * The same with the PostgreSQL password from passfile (libpq's PGPASSFILE
 * format, `database credentials`): refused (-EACCES) unless it is a
 * regular file owned by pkid's user that no one else may read or write.
 * NULL: libpq's own lookup (PGPASSFILE, ~/.pgpass).  SQLite ignores it.
 */
int db_open_creds(struct db **db, const char *target, const char *passfile);
void db_close(struct db *db);
/* Takes the write lock now (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
 * transaction-scoped advisory lock), so commit cannot deadlock. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
bool db_in_transaction(const struct db *db);
/*
 * Group commit (issue 14): a transaction begun with db_begin_grouped()
 * and ended with db_commit_grouped() is committed to the WAL without
 * waiting for the disk; *ticket says which commit it was.  db_sync(db,
 * ticket) returns 0 once that commit and every earlier one of this handle
 * is durable: one fdatasync of the WAL for all the threads waiting at the
 * time, so concurrent enrollments share one.  Nothing may be shown to
 * anyone from a grouped transaction (it may have read another's commit
 * too) before its db_sync returned 0.  db_sync needs no lock on the handle
 * (its own mutex), but the handle must stay open meanwhile.  Without a WAL
 * file (and on PostgreSQL, whose commit is durable when it returns) these
 * are db_begin/db_commit.  db_rollback ends either kind;
 * db_commit on a grouped transaction commits and syncs.
 */
int db_begin_grouped(struct db *db);
int db_commit_grouped(struct db *db, uint64_t *ticket);
int db_sync(struct db *db, uint64_t ticket);
/*
 * Start making ticket durable now, without waiting: a thread of the
 * handle's runs the sync (the same rounds as db_sync) while the caller
 * prepares its answer; the caller still calls db_sync(ticket) before
 * anything leaves, which then finds the sync done or waits for it.  At
 * one client the WAL's fdatasync and the building of the answer overlap
 * instead of following each other (issue 14).  Nothing to do for a
 * ticket already durable (or 0).
 */
void db_sync_ahead(struct db *db, uint64_t ticket);
/* SQLite: PRAGMA integrity_check; PostgreSQL: the schema answers.
 * 0 or -EIO. */
int db_check(struct db *db);
/* "sqlite" or "postgresql". */
const char *db_backend(const struct db *db);
/* Can several nodes share this database (PostgreSQL)? */
bool db_shared(const struct db *db);

/*
 * ---- Several nodes on one database (issue 18, docs/POSTGRESQL.md) ----
 *
 * Leadership of a CA's scheduled work is a session-level advisory lock
 * (key: the server's name) held by one node's dedicated connection: the
 * session ends when the node dies (kill -9 closes its socket, the server
 * frees the lock at once) or its connection is lost (TCP keepalive / user
 * timeout), and another node's next try takes it.  Use a handle of its
 * own for these: the lock lives as long as that session.
 * db_lead_try: *leader says whether this session holds the lock now
 * (taking it if free).  On a single-box database (SQLite) always true.
 */
int db_lead_try(struct db *db, const char *server, bool *leader);
/*
 * Fencing (a deposed leader's step must not commit).  The lock only says
 * who leads *now*; a node learns that it lost it up to one try later, in
 * the middle of a step perhaps.  So each leadership term has a number,
 * the CA's `lead` row's epoch: db_lead_claim, right after db_lead_try took
 * the lock, adds one to it under the write lock and returns it in *epoch.
 * db_fence then marks a handle: while marked, every write transaction
 * begun on it (db_begin, and the one each write call opens for itself)
 * reads the epoch right after it holds the write lock, and fails with
 * -ESTALE, writing nothing, if it is not the marked one: another node
 * claimed since.  Both run under the one write lock, so a step either
 * commits before the next term's claim or finds it; the new leader's
 * reads, after its claim, see every step the old one committed.
 * db_fence(db, NULL, 0) removes the mark.  The same on SQLite, where
 * pkid never claims nor fences (one node, no leadership).
 */
int db_lead_claim(struct db *db, const char *server, const char *node,
		  int64_t *epoch);
void db_fence(struct db *db, const char *server, int64_t epoch);
/* The CA's current term (0: none yet): a leader that finds another one
 * lost the lock unseen in between, even if it holds it again. */
int db_lead_epoch(struct db *db, const char *server, int64_t *epoch);
/* Give every lock of this session back (a node that cannot do the work:
 * its CA stopped, its keystore lost).  SQLite: nothing. */
int db_lead_release(struct db *db);
/*
 * Wait up to timeout_ms for another node's state change (db_ca_put and
 * db_ca_set_crl notify at commit): 1 one came or may have been missed (a
 * new session), 0 none.  SQLite: sleeps, returns 0.
 */
int db_wait_change(struct db *db, int timeout_ms);

/* What changes when a CA's published state must be read again.
 * crl_number is the counter a CRL's signer takes before it signs
 * (db_ca_next_crl_number), so the stored CRL itself is in it too: the
 * last bytes of its signature (every CRL's differ), length crl_tail_len. */
#define DB_CRL_TAIL 32
struct db_ca_stamp {
	int64_t crl_number, rollover, archive_counter;
	int64_t cur_len, roll_len;
	char cur_key[DB_NAME_MAX], roll_key[DB_NAME_MAX];
	unsigned char crl_tail[DB_CRL_TAIL];
	size_t crl_tail_len;
};
/* -ENOENT: no row. */
int db_ca_stamp(struct db *db, const char *name, struct db_ca_stamp *s);

/* A node's heartbeat row, one per (node, server). */
struct db_node {
	char name[DB_NAME_MAX];	  /* host:port */
	char server[DB_NAME_MAX]; /* crypto pki server NAME */
	bool leader;
	int64_t started, heartbeat; /* unix seconds (the node's keystore) */
	int64_t pid;
};
int db_node_beat(struct db *db, const struct db_node *n);
/* Rows older than before are deleted first (*gone may be NULL). */
int db_node_prune(struct db *db, int64_t before, int64_t *gone);
typedef int (*db_node_cb)(const struct db_node *n, void *arg);
int db_node_foreach(struct db *db, const char *server, db_node_cb cb,
		    void *arg);

/* ---- CA state (one row per `crypto pki server`) ---- */

enum db_rollover_step {
	DB_ROLLOVER_NONE = 0,  /* no rollover CA */
	DB_ROLLOVER_KEY_MADE,  /* rollover key exists, no certificate yet */
	DB_ROLLOVER_AVAILABLE, /* rollover CA certificate issued */
	DB_ROLLOVER_PROMOTING, /* CS CERT EXPIRE fired, switching */
};

struct db_ca {
	char name[DB_NAME_MAX];
	unsigned char *cur_cert; /* DER, malloc'd; NULL before first start */
	size_t cur_cert_len;
	char cur_key[DB_NAME_MAX]; /* keystore key name */
	unsigned char *roll_cert;
	size_t roll_cert_len;
	char roll_key[DB_NAME_MAX];
	enum db_rollover_step rollover;
	int64_t archive_counter; /* last ROOTCA_NNNNN archive number */
	int64_t crl_number;	 /* number of the CRL in crl */
	unsigned char *crl;	 /* last CRL, DER */
	size_t crl_len;
	int64_t crl_next_update; /* unix seconds, 0 = none */
	int64_t last_serial;	 /* read only: the counter (db_serial_*) */
};

/* -ENOENT if the server has no row yet.  Free with db_ca_free. */
int db_ca_get(struct db *db, const char *name, struct db_ca *ca);
/*
 * Insert or update every field but last_serial; the CRL fields only if
 * their crl_number is not below the stored one (a node's row read before
 * another node installed a newer CRL must not bring the older back).
 */
int db_ca_put(struct db *db, const struct db_ca *ca);
/* Only the CRL fields, unless a newer CRL (higher number) is stored:
 * -ESTALE then.  What a node signs after a revocation. */
int db_ca_set_crl(struct db *db, const char *name, const unsigned char *crl,
		  size_t len, int64_t number, int64_t next_update);
void db_ca_free(struct db_ca *ca);
int db_ca_delete(struct db *db, const char *name);
/* Atomic counters: return the incremented value. Row must exist. */
int db_ca_next_crl_number(struct db *db, const char *name, int64_t *n);
int db_ca_next_archive(struct db *db, const char *name, int64_t *n);

/* ---- Serials ---- */

/* Next serial of server `name` (creating its CA row if needed), >= 1. */
int db_serial_reserve(struct db *db, const char *name, int64_t *serial);
/* n serials from *first on, reserved in a synced transaction of their own
 * (not inside another: -EINVAL); issue 14's enrollments take them from
 * memory. */
int db_serial_reserve_block(struct db *db, const char *name, int64_t n,
			    int64_t *first);
/* The last serial handed out (0 if none). */
int db_serial_last(struct db *db, const char *name, int64_t *serial);

/* ---- Issued certificates ---- */

struct db_cert {
	char server[DB_NAME_MAX];
	int64_t serial;
	char *subject;		       /* one-line DN, malloc'd */
	int64_t not_before, not_after; /* unix seconds */
	char fingerprint[DB_FP_MAX];   /* hex, as the caller computes it */
	unsigned char *der;
	size_t der_len;
	char issuer_fp[DB_FP_MAX]; /* fingerprint of the CA cert that signed */
	int64_t request_id;	   /* 0 if none */
	int64_t revoked_at;	   /* unix seconds, 0 = not revoked */
	int reason;		   /* CRLReason code when revoked */
};

int db_cert_add(struct db *db, const struct db_cert *cert);
int db_cert_get(struct db *db, const char *server, int64_t serial,
		struct db_cert *cert);
void db_cert_free(struct db_cert *cert);
/* -ENOENT no such serial, -EALREADY already (not) revoked. */
int db_cert_revoke(struct db *db, const char *server, int64_t serial,
		   int64_t at, int reason);
int db_cert_unrevoke(struct db *db, const char *server, int64_t serial);

/* Iteration: cb gets each row (valid during the call only); a non-zero
 * return stops the walk and is returned. */
#define DB_CERT_REVOKED (1U << 0) /* only revoked certificates */
#define DB_CERT_NO_DER	(1U << 1) /* skip loading der (faster listings) */
typedef int (*db_cert_cb)(const struct db_cert *cert, void *arg);
/* server NULL: every server. */
int db_cert_foreach(struct db *db, const char *server, unsigned int flags,
		    db_cert_cb cb, void *arg);

/* ---- SCEP requests ---- */

enum db_req_state {
	DB_REQ_PENDING = 0,
	DB_REQ_GRANTED, /* granted by policy/operator, certificate not yet made
			 */
	DB_REQ_REJECTED,
	DB_REQ_ISSUED,
};

struct db_request {
	int64_t id; /* assigned by db_request_add; never reused */
	char server[DB_NAME_MAX];
	char tid[DB_TID_MAX]; /* transactionID, unique per server */
	enum db_req_state state;
	char *subject;		     /* from the CSR, malloc'd, may be NULL */
	char fingerprint[DB_FP_MAX]; /* of the CSR, for show requests */
	unsigned char *csr;	     /* PKCS#10 DER */
	size_t csr_len;
	unsigned char *signer; /* requester's signer certificate DER */
	size_t signer_len;
	unsigned char
		*reply; /* last CertRep, resent on a repeat; may be NULL */
	size_t reply_len;
	int64_t serial;	 /* issued certificate's serial, 0 = none */
	int64_t created; /* unix seconds */
	int64_t expires; /* unix seconds; pending requests expire then */
	/* 1: for the CA's rollover generation (the client enveloped it to
	 * the rollover CA or RA), 0: the current one.  What an RA's own
	 * upstream poll forwards it to (ca_ra_fwd.c). */
	int generation;
};

/* Sets req->id.  -EEXIST if (server, tid) exists already. */
int db_request_add(struct db *db, struct db_request *req);
int db_request_get(struct db *db, int64_t id, struct db_request *req);
int db_request_by_tid(struct db *db, const char *server, const char *tid,
		      struct db_request *req);
void db_request_free(struct db_request *req);
/* Set state (and serial when > 0). */
int db_request_set_state(struct db *db, int64_t id, enum db_req_state state,
			 int64_t serial);
int db_request_set_reply(struct db *db, int64_t id, const unsigned char *reply,
			 size_t len);
int db_request_delete(struct db *db, int64_t id);
/* Delete every request of a server in `state` (or all if state < 0);
 * *count (may be NULL) gets how many. */
int db_request_delete_all(struct db *db, const char *server, int state,
			  int64_t *count);
/* Delete pending requests whose expiry is <= now. */
int db_request_expire(struct db *db, int64_t now, int64_t *count);
/* Keep server's requests in state to the newest keep, none past expires
 * (rejected requests: bounded, kept only for `show requests`). */
int db_request_prune(struct db *db, const char *server, int state,
		     int64_t now, int keep);
/* state < 0: every state.  Rows are passed without csr/signer/reply
 * unless with_blobs. */
typedef int (*db_request_cb)(const struct db_request *req, void *arg);
int db_request_foreach(struct db *db, const char *server, int state,
		       bool with_blobs, db_request_cb cb, void *arg);
const char *db_req_state_name(enum db_req_state state); /* "pending" ... */

/* ---- One-time challenge passwords (only their SHA-256 is stored) ---- */

int db_otp_add(struct db *db, const char *server, const char *password,
	       int64_t expires);
/* Atomically consume: 0 once, then -ENOENT; -EKEYEXPIRED if it has
 * expired (and it is then deleted). */
int db_otp_consume(struct db *db, const char *server, const char *password,
		   int64_t now);
int db_otp_purge(struct db *db, int64_t now, int64_t *count);

/* ---- Trustpoint client state (`crypto pki trustpoint`) ---- */

struct db_tp {
	char name[DB_NAME_MAX];
	unsigned char *ca_cert; /* DER; all blobs malloc'd, NULL if absent */
	size_t ca_cert_len;
	unsigned char *ra_cert;
	size_t ra_cert_len;
	char *caps; /* GetCACaps body, one capability a line */
	unsigned char *id_cert;
	size_t id_cert_len;
	char id_key[DB_NAME_MAX];
	/* shadow items: rollover CA and the identity issued under it */
	unsigned char *shadow_ca_cert;
	size_t shadow_ca_cert_len;
	unsigned char *shadow_id_cert;
	size_t shadow_id_cert_len;
	char shadow_key[DB_NAME_MAX];
	/* enrollment in progress */
	char pending_tid[DB_TID_MAX]; /* "" when none */
	int pending_kind; /* caller's meaning (enroll/renew/shadow) */
	unsigned int poll_count;
	int64_t updated; /* unix seconds, from the caller (time gate) */
};

int db_tp_get(struct db *db, const char *name, struct db_tp *tp);
int db_tp_put(struct db *db, const struct db_tp *tp);
void db_tp_free(struct db_tp *tp);
int db_tp_delete(struct db *db, const char *name);

/* ---- Wrapped keystore keys (daemon/core/keyblob.c), by keystore name ---- */

struct db_keyblob {
	char name[DB_NAME_MAX];
	unsigned char *blob; /* PKIKS_ATTR_WRAPPED, opaque to pkid */
	size_t blob_len;
	unsigned char *pubkey; /* SubjectPublicKeyInfo DER of the key */
	size_t pubkey_len;
};

int db_keyblob_get(struct db *db, const char *name, struct db_keyblob *kb);
/* Insert or replace. */
int db_keyblob_put(struct db *db, const struct db_keyblob *kb);
/* -ENOENT if there was none. */
int db_keyblob_delete(struct db *db, const char *name);
/* The blob of @from becomes @to's (replacing it), in one transaction;
 * -ENOENT if @from has none. */
int db_keyblob_move(struct db *db, const char *from, const char *to);
void db_keyblob_free(struct db_keyblob *kb);

/*
 * ---- A CA's files (issue 18, docs/POSTGRESQL.md "Several nodes") ----
 *
 * What a CA keeps as files in its `database url` folder and every node
 * of a shared database must have the same of: the RA certificate and its
 * successor, the key archives (`database archive`: NAME_NNNNN.p12, the
 * keystore's encrypted PKCS#12, and NAME_NNNNN.pem) and the old CA
 * certificates, by file name.  On SQLite pkid does not use them (the
 * folder is the one copy).
 */
struct db_cafile {
	unsigned char *data; /* malloc'd */
	size_t len;
};
/* -ENOENT if none. */
int db_cafile_get(struct db *db, const char *server, const char *name,
		  struct db_cafile *f);
/* Insert or replace (fenced as every write: db_fence). */
int db_cafile_put(struct db *db, const char *server, const char *name,
		  const void *data, size_t len);
/*
 * Store data only if the stored file is still @old (NULL: there is
 * none), in one transaction; -EEXIST if another node stored another one
 * meanwhile (the caller reads and takes that).
 */
int db_cafile_replace(struct db *db, const char *server, const char *name,
		      const struct db_cafile *old, const void *data,
		      size_t len);
/* @from becomes @to (replacing it); -ENOENT if @from is not stored. */
int db_cafile_move(struct db *db, const char *server, const char *from,
		   const char *to);
/* Gone (fenced); none stored is fine. */
int db_cafile_delete(struct db *db, const char *server, const char *name);
typedef int (*db_cafile_cb)(const char *name, const struct db_cafile *f,
			    void *arg);
int db_cafile_foreach(struct db *db, const char *server, db_cafile_cb cb,
		      void *arg);
void db_cafile_free(struct db_cafile *f);

#endif /* PKID_DB_H */
