/* SPDX-License-Identifier: MIT */
/* The certificate server's internals, shared by daemon/ca/ca*.c only. */
#ifndef PKID_CA_INTERNAL_H
#define PKID_CA_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include <urcu-bp.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "ca_limit.h"
#include "health/health.h"
#include "core/db.h"

#define CA_FP_HEX_MAX  65 /* SHA-256, hex, NUL */
#define CA_RA_SUFFIX   "-ra"
#define CA_CLOCK_MSG   "Please set clock calendar-valid or enable NTP"
#define CA_DIR_MSG     "cannot create the database url folder"
#define CA_ROLL_SUFFIX "#" /* the rollover key: NAME#, NAME-ra# */
/*
 * Property query of what the CA signs with: prefer the pkiks provider, so
 * that a keystore key signs in the keystore (as SCEP_PROPQ in the codec).
 */
#define CA_PROPQ "?provider=pkiks"
/* Test hook (ca_rollover.c): _exit(137) once the named step is durable. */

/*
 * What HTTP workers read, published with rcu_assign_pointer() and freed
 * with call_rcu() after a grace period; never modified once published.
 */
struct ca_pub {
	/* The certificates and keys (ca.h; k.md unused: ca->md).  The
	 * rollover key NAME# signs under the rollover CA; NAME-ra# is the
	 * RA's successor. */
	struct ca_keys k;
	/* The front end's answers (struct ca_encoder), NULL if none. */
	void *enc_data;
	const struct ca_encoder *enc;
	unsigned char *crl_der; /* NULL before the first CRL */
	size_t crl_len;
	struct rcu_head rcu;
};

struct ca {
	struct pkid_server_config cfg;
	char *db_path, *state_dir, *keygen, *ks_socket;
	char *node; /* host:port, this node's name on a shared database */
	/* Several nodes on one database (ca_lead.c); NULL on SQLite. */
	struct ca_lead *lead;
	enum ca_key_mode key_mode;
	bool key_mode_forced; /* pkid -m given: ra-certificate is ignored */

	/*
	 * What a keystore key name means changes at a promotion (NAME# is
	 * renamed NAME) and a cancel (NAME# deleted), while the published
	 * certificates change only at the reload after it.  A front end
	 * holding a keys snapshot (ca_keys_get .. ca_keys_put) holds this
	 * for reading, so the name it decrypts and signs with stays the key
	 * of the certificate it names; the switch takes it for writing,
	 * before the lock (readers take the lock inside it: ca_enroll).
	 * Writers are preferred: a stream of requests cannot hold a
	 * promotion off.
	 */
	pthread_rwlock_t switch_lock;

	/* Everything below is used under lock. */
	pthread_mutex_t lock;
	bool running;
	bool expired_logged; /* CS_CA_EXPIRED said for the current CA */
	/* mode sub-cs: the parent's rollover CA certificate was refused
	 * (CS_SUB_ROLLOVER): not asked again until `server rollover cancel`
	 * or a restart. */
	bool sub_roll_refused;
	/* ... why its trustpoint has not sent the request (ca_sub_roll_note:
	 * the step the operator must take, for `show health`); "" none. */
	char sub_roll_why[256];
	/* ... its trustpoint's timers must be planned again (a shadow of
	 * the retiring key dropped, a rollover cancelled): ca_sub_take_rearm */
	bool sub_tp_rearm;
	/* ... its promotion wrote a new identity into its trustpoint:
	 * ca_sub_take_promoted (the daemon exports it, on-change runs) */
	bool sub_tp_promoted;
	/* Wakes the daemon's loop (ca_set_kick): a sub made its rollover
	 * key, the trustpoint must ask the parent. */
	void (*kick)(void *arg);
	void *kick_arg;
	bool cer_failing;    /* CS_CERT_FILE said: <serial>.cer not written */
	unsigned int cer_unsynced; /* <serial>.cer written since the last sync */
	/* A group's syncfs runs on a thread of its own (ca_cer_sync_behind),
	 * joined before the next or at stop; cer_syncer_on: not joined yet. */
	pthread_t cer_syncer;
	bool cer_syncer_on;
	/* Failed challenges per client address and per subject. */
	struct ca_limit *by_source, *by_subject;
	struct pkiks *ks;
	struct db *db;
	const EVP_MD *md; /* `hash` */
	/* Serials reserved durably in a block (db_serial_reserve_block),
	 * handed out from memory: [serial_next, serial_end). */
	int64_t serial_next, serial_end;
	unsigned int cfg_gen; /* bumped by every reload of cfg */
	/* The enrollment being decided under the lock, whose certificate
	 * is signed outside it (ca_enroll.c); NULL otherwise. */
	struct ca_presign *presign;

	struct ca_pub *pub; /* RCU: rcu_dereference() under rcu_read_lock() */
	/* The OCSP responder (ca_ocsp.c): its own RCU state and cache;
	 * ocsp_on (atomic) while ocsp-url is set. */
	struct ca_ocsp *ocsp;
	int ocsp_on;
	struct ca_encoder enc; /* enc.build NULL: none */
	/* Enrollments by outcome and PKIOperation latency (GET /metrics);
	 * updated with __atomic builtins by the HTTP workers, no lock. */
	uint64_t n_granted, n_pending, n_rejected;
	uint64_t lat_count, lat_sum_us, lat_bucket[HEALTH_LAT_BUCKETS + 1];
	/* Enrollments whose certificate was signed outside the CA's lock
	 * and recorded; certificates signed (or planned) that way and then
	 * dropped, their serial a gap (ca_enroll.c presign_apply; issue
	 * 14; atomic, `show server`, /metrics). */
	uint64_t n_presigned, n_presign_dropped;
	/* cfg.legacy_des for the HTTP workers without the lock (atomic;
	 * stored where cfg is, under the lock). */
	bool legacy_des;
	/* Why the last start failed, with its errno text ("" if it did not):
	 * `show server` says this, not a guess (issue 13 #5). */
	char why[PKID_CONF_URL_MAX + 128];
	/* mode ra (ca_ra.c): the upstream CA's URL (trustpoint NAME's
	 * enrollment url) and the protocol that reaches it; requests
	 * issued through it (atomic, `show server`). */
	char ra_url[PKID_CONF_URL_MAX];
	/* mode ra: the upstream's CRL as trustpoint NAME keeps it (its
	 * file, ca_set_ra_crl_file); GetCRL at the RA answers it */
	char ra_crl_file[PKID_CONF_PATH_MAX + PKID_CONF_NAME_MAX + 32];
	const struct enroll_proto *ra_proto;
	uint64_t ra_forwarded;
};

/* ca.c */
/* The keystore's time; under ca->lock (the keystore handle is the
 * CA's, one request at a time): ca_clock() for anyone else. */
int ca_now(struct ca *ca, int64_t *now);
/* The same without the CA's lock, through this thread's own keystore
 * handle (issue 14: the time query no longer holds the lock). */
int ca_now_unlocked(struct ca *ca, int64_t *now);
/* Keys the row names into the keystore from their blobs (keyblob.h);
 * on a shared database the blobs are the truth. */
int ca_restore_keys(struct ca *ca, const struct db_ca *row);
/* Under lock, CA running or starting: the leader's part of a start (the
 * scheduled work resumed, timers armed) or a follower's (publish the
 * row).  *why says which step failed. */
int ca_resume_locked(struct ca *ca, int64_t now, const char **why);
int ca_follow_locked(struct ca *ca, int64_t now, const char **why);

/* ca_lead.c: leadership and state between nodes (shared database) */
int ca_lead_open(struct ca *ca);
void ca_lead_close(struct ca *ca);
/* The start waits for the leader's CA row: the thread starts again. */
void ca_lead_want_start(struct ca *ca);
/* show server: role, database, the nodes' heartbeats (shared only). */
struct ctl_reply;
struct json_t;
void ca_lead_show(struct ca *ca, struct json_t *o, struct ctl_reply *reply);
/* Around a change of what a key name means (switch_lock), before lock. */
void ca_switch_begin(struct ca *ca);
void ca_switch_end(struct ca *ca);
/* Replace the published state (takes ownership of np); under lock. */
void ca_publish(struct ca *ca, struct ca_pub *np);
/* A copy of the current published state's pointers, up-ref'd. */
struct ca_pub *ca_pub_dup(const struct ca_pub *p);
/* ca_pub_dup of what readers see now (RCU), or NULL before the first
 * publish or when out of memory; free with ca_pub_free. */
struct ca_pub *ca_pub_snapshot(struct ca *ca);
/* For work on the published state of a running CA: a snapshot, with
 * ca->lock held; NULL (nothing held) when the CA does not run.  Give
 * both back with ca_work_end(). */
struct ca_pub *ca_work_begin(struct ca *ca);
void ca_work_end(struct ca *ca, struct ca_pub *pub);
void ca_pub_free(struct ca_pub *p);
int ca_dir(struct ca *ca, char *buf, size_t size); /* `database url` */
int ca_write_file(const char *path, const void *data, size_t len,
		  unsigned int mode);
int ca_write_file_sync(const char *path, const void *data, size_t len,
		       unsigned int mode, bool sync);
/* Load the CA (and its rollover) of row and publish it; under lock. */
int ca_load(struct ca *ca, const struct db_ca *row, int64_t now);

/* ca_util.c */
int ca_fingerprint(X509 *x, char *hex, size_t size); /* SHA-256, upper */
int ca_parse_dn(const char *dn, X509_NAME **out);
int ca_x509_der(X509 *x, unsigned char **der, size_t *len);
X509 *ca_x509_from_der(const unsigned char *der, size_t len);
int ca_load_key(struct ca *ca, const char *name, EVP_PKEY **key);
int ca_time_of(const ASN1_TIME *t, int64_t *sec);
/* Is pub's CA certificate past its notAfter at now?  An expired CA issues
 * nothing and signs no CRL (issue 19 #3). */
bool ca_pub_expired(const struct ca_pub *pub, int64_t now);
/* Log CS_CA_EXPIRED, once per CA certificate; under lock. */
void ca_note_expired(struct ca *ca);
/* Is @x certified for keystore key @name? 1, 0, or -errno. */
int ca_key_matches(struct ca *ca, const char *name, X509 *x);
/* One line of a DN (CN=..,O=..), escaped as RFC 2253 escapes (control
 * characters, non-ASCII bytes): names from certificates not ours. */
void ca_dn_text(const X509_NAME *n, char *buf, size_t size);
/* First start of a sub-cs (ra false) or an RA: key NAME made if missing,
 * the row recorded; *why on failure. */
int ca_key_and_row(struct ca *ca, struct db_ca *row, bool ra,
		   const char **why);
/* 2026-01-31T12:00:00Z, or "-" for 0 */
void ca_iso_time(int64_t t, char *buf, size_t size);
/* One X.509v3 extension from its OpenSSL config text (-EINVAL if the
 * text does not parse). */
int ca_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value);
/* subjectKeyIdentifier (hash) and authorityKeyIdentifier (keyid:always). */
int ca_add_key_ids(X509 *x, X509V3_CTX *ctx);
/* CA:TRUE with basic (e.g. "critical,CA:TRUE,pathlen:0"), the CA key
 * usages and the key identifiers: what every CA certificate carries. */
int ca_add_ca_exts(X509 *x, X509V3_CTX *ctx, const char *basic);
/* crlDistributionPoints from `cdp-url`, when configured. */
int ca_add_cdp(struct ca *ca, X509 *x, X509V3_CTX *ctx);

/* ca_create.c: first start */
int ca_create(struct ca *ca, int64_t now, struct db_ca *row);
int ca_ra_load_or_issue(struct ca *ca, struct ca_pub *pub, int64_t now);
/* The RA certificate at path, settled among the nodes (ca_create.c). */
int ca_ra_settle(struct ca *ca, const char *path,
		 bool (*usable)(struct ca *, X509 *, void *),
		 int (*issue)(struct ca *, void *, X509 **), void *arg,
		 X509 **out);
int ca_run_keygen(struct ca *ca, const char *name, const char *usage,
		  const char *archive);
/* An ECDSA P-256 signing key, no archive (the TLS key, ca_tls.c). */
int ca_run_keygen_ec(struct ca *ca, const char *name);
int ca_run_keygen_ca(struct ca *ca, const char *name, const char *usage,
		     const char *archive);
int ca_archive_paths(struct ca *ca, int64_t n, char *p12, char *pem,
		     size_t size);
int ca_write_cert_pem(const char *path, X509 *x);

/* ---- ca_files.c: the CA's files on a shared database (issue 18) ----
 * Each is 0 and does nothing unless the database is shared. */
int ca_read_file(const char *path, unsigned char **data, size_t *len);
/* The file at path (in the CA's folder) stored, by its name. */
int ca_file_share(struct ca *ca, const char *path);
/* The stored file written to path if it differs; *seen (may be NULL)
 * gets what was stored (data NULL: nothing). */
int ca_file_fetch(struct ca *ca, const char *path, struct db_cafile *seen);
/* The file at path stored unless the database holds another than
 * *seen: then -EEXIST, and path is the stored one. */
int ca_file_offer(struct ca *ca, const char *path,
		  const struct db_cafile *seen);
int ca_file_move(struct ca *ca, const char *from, const char *to);
int ca_file_delete(struct ca *ca, const char *path);
/* Every stored file written to the CA's folder (where it differs). */
int ca_files_fetch_all(struct ca *ca);
int ca_key_exists(struct ca *ca, const char *name);
int ca_ra_key_name(struct ca *ca, bool rollover, char *name, size_t size);
int ca_ra_path(struct ca *ca, bool rollover, char *path, size_t size);
X509 *ca_read_der_file(const char *path);

/* ca_issue.c */
struct ca_issue_params {
	X509_REQ *csr;
	int64_t now;
	int64_t request_id;
	bool ra; /* the RA certificate: CA's lifetime, no EKU */
	/* With ra: the OCSP responder's (ca_ocsp.c): digitalSignature,
	 * id-kp-OCSPSigning, ocsp-nocheck */
	bool ocsp;
	/* With ra: 0, the CA's lifetime; else this long (clipped to the CA):
	 * `lifetime ocsp-responder` */
	int64_t lifetime;
	const X509_NAME *subject; /* without a CSR */
	EVP_PKEY *pubkey;	  /* without a CSR */
	int64_t not_before;	  /* 0: now; the rollover CA's start under it */
	struct ca_presign *pre;	  /* an enrollment's, else NULL */
};
int ca_sign_x509(struct ca *ca, X509 *x, EVP_PKEY *key);

/*
 * An enrollment's certificate signed outside the CA's lock (issue 14).
 * PLAN: the call is decided under the lock in a transaction that is then
 * rolled back; ca_issue builds the certificate with a serial from the
 * reserved block and returns -EINPROGRESS instead of signing.  The
 * certificate is signed without the lock.  APPLY: the call runs again
 * under the lock in its grouped transaction (everything re-checked: a
 * poll of the same transactionID, a used one-time password, a reload in
 * between all decide afresh); ca_issue records the signed certificate if
 * it was built for the same request, issuer, time and configuration.
 * One not used is dropped: its serial stays a gap.
 */
enum ca_presign_mode { CA_PRESIGN_PLAN = 1, CA_PRESIGN_APPLY };
struct ca_presign {
	enum ca_presign_mode mode;
	X509 *x; /* built (PLAN), then signed (APPLY); owned */
	const X509_REQ *csr;
	const X509 *issuer;
	int64_t now;
	unsigned int cfg_gen;
	const EVP_MD *md;
};
/* Under lock, outside a transaction: a serial block to take from. */
int ca_serial_block_fill(struct ca *ca);
/* Without the lock: sign pre->x with the issuing CA's key. */
int ca_presign_sign(struct ca_presign *pre, EVP_PKEY *key);
/*
 * `database level complete`'s <serial>.cer files: made durable in groups
 * (ca_cer_sync: one syncfs for all written since the last, waiting for
 * it; ca_cer_sync_behind: the same on a thread of its own, so no
 * enrollment waits for it), and rebuilt from the database at start where
 * one is missing or short (ca_cer_rebuild).  All under lock.
 */
void ca_cer_sync(struct ca *ca);
void ca_cer_sync_behind(struct ca *ca);
void ca_cer_rebuild(struct ca *ca);
/* Self-signed CA certificate valid from not_before for `lifetime
 * ca-certificate` (the first CA, and each rollover CA). */
int ca_self_sign(struct ca *ca, EVP_PKEY *key, int64_t not_before, X509 **out);
int ca_issue(struct ca *ca, const struct ca_pub *pub,
	     const struct ca_issue_params *p, X509 **out);
/* ca_issue for p->pubkey named CN=cn (a service of the CA: its RA, its
 * OCSP responder), DER written to path. */
int ca_issue_service_cert(struct ca *ca, struct ca_pub *issuer,
			  struct ca_issue_params *p, const char *cn,
			  const char *path, X509 **out);
int ca_ra_issue(struct ca *ca, struct ca_pub *issuer, EVP_PKEY *ra_key,
		int64_t not_before, const char *path, X509 **out);

/* ca_csr.c: may this CSR's subject and subjectAltName go into a
 * certificate?  0, or -EPERM with the reason in why. */
int ca_csr_check(X509_REQ *csr, char *why, size_t size);

/* ca_crl.c */
int ca_crl_update(struct ca *ca, int64_t now);
int ca_crl_restore(struct ca *ca, int64_t now);

/* ca_ocsp.c: the responder's state; refresh (under lock) whenever a CRL
 * is issued or the CA's certificates change, with the CRL's nextUpdate
 * (ca_ocsp.h for the front end). */
struct ca_ocsp;
int ca_ocsp_new(struct ca_ocsp **o);
void ca_ocsp_free(struct ca_ocsp *o);
void ca_ocsp_refresh(struct ca *ca, int64_t now, int64_t next_update);
void ca_ocsp_refresh_keys(struct ca *ca, const struct ca_keys *k, int64_t now,
			  int64_t next_update);
/* Several nodes: a follower still waiting for the leader's responder
 * certificate tries again (the lead thread, each round; takes the lock). */
void ca_ocsp_retry(struct ca *ca);

/* ca_subpolicy.c: requests for a CA certificate (issue 17) */
/* Does the CSR's extensionRequest ask for basicConstraints cA TRUE? */
bool ca_csr_wants_ca(X509_REQ *csr);
/* The state a request gets once decide() said state: a CA request is
 * pending unless renewal with `grant auto rollover ca-cert`; *why set. */
enum db_req_state ca_sub_policy(struct ca *ca, const struct ca_pub *pub,
				const struct ca_enroll_req *req, bool renewal,
				enum db_req_state state, const char **why);
/* CA extensions (pathlen from ca-path-length and issuer's own) for x. */
int ca_sub_extensions(struct ca *ca, X509 *x, X509 *issuer);
/* A granted CA request signed by a CA certificate this CA issued, for
 * another key (the sub's own rollover): its start, the signer's end;
 * 0 (from now) for anything else. */
/* mode ra: the upstream poll (ca_ra_fwd.c): its label, its period while
 * the upstream is pending or down (IOS's default enrollment retry period),
 * requests per pass. */
#define CA_RA_POLL_LABEL "ra-upstream-poll"
#define CA_RA_POLL_S	 60
#define CA_RA_POLL_MAX	 64
void ca_ra_poll_arm(struct ca *ca, int64_t at);
int ca_name_constraints_check(struct ca *ca, X509 *x, X509 *issuer,
			      int64_t request_id);
bool ca_sub_roll_next(struct ca *ca, const struct ca_pub *pub,
		      const struct db_request *r, int64_t now);
int64_t ca_sub_roll_start(struct ca *ca, const struct ca_pub *pub,
			  const struct db_request *r, X509_REQ *csr,
			  int64_t now);

/* ca_sub.c: mode sub-cs (issue 17) */
#define CA_SUB_WAIT_MSG                                                        \
	"waiting for its CA certificate from the parent CA"
bool ca_is_sub(const struct ca *ca);
/* First start of a sub-cs: the key, then the trustpoint's certificate if
 * it holds one (row completed and stored), else -EINPROGRESS; *why. */
int ca_sub_create(struct ca *ca, struct db_ca *row, const char **why);
/* pub->k.chain: the parent's certificate (a root: nothing). */
int ca_sub_chain(struct ca *ca, struct ca_pub *pub);
/* The sub's own rollover (row KEY_MADE): the certificate the parent
 * issued for NAME# (the trustpoint put it in the row) checked and made
 * AVAILABLE; -EINPROGRESS while none is there. */
int ca_sub_roll_accept(struct ca *ca, struct db_ca *row);
/* Is the row a sub waiting for its rollover CA certificate? */
bool ca_sub_roll_waiting(struct ca *ca);
/* Promotion of a sub (in swap_row's transaction): the trustpoint's
 * identity becomes the new CA certificate for the key NAME. */
int ca_sub_promoted(struct ca *ca, const struct db_ca *row);
/* show server: the mode, the parent and the chain (nothing for a root). */
struct json_t;
struct ctl_reply;
void ca_sub_show(struct ca *ca, struct json_t *o, struct ctl_reply *reply);

/* ca_ra.c, ca_ra_fwd.c: mode ra (issue 17) */
#define CA_RA_WAIT_MSG "waiting for its RA certificate from the upstream CA"
bool ca_is_ra(const struct ca *ca);
/* Trustpoint NAME's upstream CA (and its RA, when asked) and the RA's
 * certificate (owned; NULL where it holds none). */
int ca_ra_tp(struct ca *ca, X509 **upstream, X509 **upstream_ra, X509 **id);
/* ca_start for mode ra, under lock: key, certificate, publish;
 * -EINPROGRESS while the trustpoint has no certificate yet. */
int ca_ra_start(struct ca *ca, int64_t now, const char **why);
void ca_ra_show(struct ca *ca, struct json_t *o, struct ctl_reply *reply);
/* Forward transaction tid, granted here, to the upstream CA (outside the
 * lock); res (pending) becomes issued or rejected when the upstream said
 * so, and stays pending otherwise. */
int ca_ra_forward(struct ca *ca, const char *tid, enum ca_gen gen,
		  struct ca_result *res);

/* ca_import.c: requests and certificates as files (an offline CA);
 * why: the operator's message.  Import: -EEXIST with *id when the same
 * request was imported before.  Export: *pem malloc'd. */
int ca_request_import(struct ca *ca, const char *pem, int64_t now,
		      int64_t *id, char *why, size_t n);
int ca_rollover_export(struct ca *ca, int64_t now, char **pem, char *why,
		       size_t n);
int ca_request_export(struct ca *ca, int64_t id, int64_t now, char **pem,
		      char *why, size_t n);

/* ca_enroll.c */
/* A request row for @csr (no signer), pending, stored. */
int ca_store_pending(struct ca *ca, X509_REQ *csr, const char *tid,
		     int64_t now, struct db_request *r);
int ca_issue_request(struct ca *ca, const struct ca_pub *pub,
		     struct db_request *r, int64_t now, X509 **out);

/* ca_requests.c: `show requests`, IOS's sections or pkid's table. */
struct ctl_reply;
int ca_show_requests(struct ca *ca, struct ctl_reply *reply, bool verbose);

/* ca_timers.c */
int ca_rearm_er_expire(struct ca *ca, int64_t now);

/* ca_rollover.c (ROLLOVER.md §3.1) */
/* At start, before ca_load: finish a rollover or promotion left half
 * done, or one that came due while pkid was down. */
int ca_rollover_resume(struct ca *ca, int64_t now);
/* Arm CS SHADOW CERT GENERATION and CS CERT EXPIRE for the current CA. */
int ca_rollover_arm(struct ca *ca);
/* CS SHADOW CERT GENERATION, or `server rollover`: make the rollover CA. */
int ca_rollover_create(struct ca *ca, int64_t now);
/* CS CERT EXPIRE: the rollover CA becomes the CA. */
int ca_rollover_promote(struct ca *ca, int64_t now);
/* `server rollover cancel`: -ENOENT if there is no rollover. */
int ca_rollover_cancel(struct ca *ca, int64_t now);
/* Fill pub's rollover part from row (AVAILABLE only). */
int ca_rollover_load(struct ca *ca, const struct db_ca *row,
		     struct ca_pub *pub);

#endif /* PKID_CA_INTERNAL_H */
