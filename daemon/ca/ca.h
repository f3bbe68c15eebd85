/* SPDX-License-Identifier: MIT */
/*
 * The certificate server (`crypto pki server NAME`, ROLLOVER.md §3).
 *
 * Keys never live here: the CA key (keystore name NAME, sign only) and the
 * RA key (NAME-ra, sign and decrypt) are EVP_PKEYs from the pkiks provider,
 * made by pkiks-keygen on the first `no shutdown`.
 *
 * Key modes.  RA mode (the default) follows RFC 8894 §7.2: the CA key only
 * signs certificates and CRLs; a separate RA certificate (issued by the CA,
 * digitalSignature + keyEncipherment) decrypts requests and signs CertReps,
 * and GetCACert answers application/x-x509-ca-ra-cert.  A compromised
 * daemon can then use the keystore as a decryption oracle only with a key
 * whose certificate no relying party trusts as a CA.  strongSwan
 * (--cacert-enc/--cacert-sig ra.der), certmonger and Cisco IOS (as with
 * Microsoft NDES, which always uses an RA) enroll this way.  Single-key
 * mode (IOS's own server) makes the CA key sign and decrypt everything
 * and answers GetCACert with the bare CA certificate.
 *
 * Rollover (ca_rollover.c, ROLLOVER.md §3.1).  CS SHADOW CERT GENERATION
 * (notAfter - auto-rollover) or `server rollover` makes NAME# (and
 * NAME-ra#) and the rollover CA certificate, self-signed by NAME#, from
 * the CA's notAfter; a durable state machine in the database row.
 * GetNextCACert then answers a SignedData signed by the current CA key
 * whose content is a degenerate PKCS#7 [rollover CA, RA successor].  A
 * request enveloped to the rollover CA (or RA successor) certificate is
 * issued by NAME#, valid from the rollover CA's start; its CertRep is
 * signed by the current CA (or RA), which clients can verify now.  CS CERT
 * EXPIRE promotes NAME# to NAME and publishes the new state.
 *
 * Protocols reach the CA through the protocol-neutral calls below
 * (ca_enroll, ca_poll, ca_get_cert, ca_get_crl, and the published keys,
 * CRL and encoded answers); daemon/proto/scep/scep_server.c translates
 * SCEP to them.  This header knows no protocol and no HTTP.
 *
 * State that protocol workers read (certificates, encoded answers, CRL)
 * is one immutable struct published with RCU (urcu-bp, since libmicrohttpd's
 * threads are not ours): a CRL update swaps the pointer and never waits
 * for, or stalls, an enrollment.  A promotion and a rollover cancel also
 * rename or delete keystore keys, which a request's snapshot names: they
 * wait for the requests in flight (ca_keys_get .. ca_keys_put) and the
 * requests that come meanwhile wait for them, once per CA generation.
 * Everything that writes (the database, issuance, the CRL, the control
 * commands, timers) runs under the CA's mutex.
 */
#ifndef PKID_CA_H
#define PKID_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config.h"
#include "keystore.h"

struct ca;
struct db;
struct ctl_server;

enum ca_key_mode {
	CA_KEY_MODE_RA = 0, /* default: separate RA key and certificate */
	CA_KEY_MODE_SINGLE, /* IOS: the CA key signs and decrypts */
};

struct ca_env {
	const char *db_path;   /* the SQLite file */
	const char *state_dir; /* default `database url` */
	const char *keygen;    /* path of pkiks-keygen */
	const char *ks_socket; /* pkiksd socket, NULL for the default */
	enum ca_key_mode key_mode;
	bool key_mode_forced; /* pkid -m: a reload keeps key_mode */
	const char *node;     /* host:port: this node's name (several nodes) */
};

/*
 * Several nodes on one PostgreSQL database (ca_lead.c): does this node do
 * the CA's scheduled work?  Always true on SQLite (one node).
 */
bool ca_is_leader(struct ca *ca);
/*
 * Several nodes: on, the CA's database handle writes only in this node's
 * leadership term (a step of the leader's work, under the CA's lock; a
 * write after another node took over fails with -ESTALE); off after the
 * step, before the lock is released.  One node: nothing.
 */
void ca_lead_fence(struct ca *ca, bool on);
struct ca_lead_info {
	bool shared; /* a database several nodes may share */
	bool leader;
	char node[64];
	char db_state[16]; /* "local", "connected", "lost", "error" */
	int64_t role_since;
	uint64_t takeovers, refreshes;
	double last_takeover_s;
};
int ca_lead_info(struct ca *ca, struct ca_lead_info *out);

/* Create the server object (does not start it). */
int ca_new(struct ca **ca, const struct pkid_server_config *cfg,
	   const struct ca_env *env);
void ca_free(struct ca *ca);
const char *ca_name(const struct ca *ca);

/*
 * `no shutdown`: refuse (-EAGAIN, *why set) while time is not
 * authoritative; on the first start make the keys, the CA certificate and
 * its archive; then publish the state, issue the first CRL and arm timers.
 */
int ca_start(struct ca *ca, const char **why);
int ca_running(struct ca *ca);
/* `legacy des`: may old clients use a legacy cipher (single DES)? */
bool ca_legacy_ciphers(struct ca *ca);
/*
 * The keystore connection was lost: the keystore may come back empty (a
 * pkiksd restart).  Drop the CA's handle and mark it stopped, so that the
 * next ca_start() reconnects, restores its keys from their wrapped blobs
 * (daemon/core/keyblob.h) and arms its timers again.  What it publishes stays
 * until then.
 */
void ca_keystore_lost(struct ca *ca);

/* mode sub-cs (ca_sub.c): a running sub takes the certificate its
 * trustpoint holds now (renewed at the parent, or switched to the
 * parent's new CA) when it is for the CA's key; 0 if nothing to do. */
int ca_sub_refresh(struct ca *ca);
/* A running sub-cs made its rollover key NAME# and waits for its
 * certificate: the daemon has trustpoint NAME request it
 * (tp_sub_roll_request). */
bool ca_sub_roll_wanted(struct ca *ca);
/* True once after the sub's own rollover changed what its trustpoint
 * must plan (a shadow of the retiring key dropped, a rollover
 * cancelled): the daemon re-arms it (tp_sub_rearm). */
bool ca_sub_take_rearm(struct ca *ca);
/* True once after a sub's promotion made the new CA certificate its
 * trustpoint's identity: the daemon exports it (tp_sub_rearm). */
bool ca_sub_take_promoted(struct ca *ca);
/* mode ra: the upstream poll's timer (ca_ra_fwd.c); ca_ra_poll forwards
 * the requests granted here and not issued (network: outside the lock). */
bool ca_ra_is_poll_timer(struct ca *ca, const struct pkiks_timer_info *t);
void ca_ra_poll(struct ca *ca);
void ca_ra_poll_resume(struct ca *ca); /* at start: arms it now */
/* mode ra: GetCRL answers the upstream's CRL from this file (the RA's
 * trustpoint keeps it verified and current); set once before ca_start. */
void ca_set_ra_crl_file(struct ca *ca, const char *path);
/* Why the sub's rollover request is not sent ("" or NULL: it is); true
 * when that changed (the caller logs it once). */
bool ca_sub_roll_note(struct ca *ca, const char *why);
/* @fn(@arg) (only notes and wakes: the CA's lock may be held) when
 * ca_sub_roll_wanted() may have become true. */
void ca_set_kick(struct ca *ca, void (*fn)(void *arg), void *arg);

/* mode ra (ca_ra.c): where the RA forwards the requests it grants (the
 * trustpoint NAME's enrollment url) and the client protocol that carries
 * them (daemon/proto/enroll_proto.h); set before ca_start.  A running RA
 * takes the certificate its trustpoint holds now (renewed) when it is
 * for the RA's key; 0 if nothing to do. */
struct enroll_proto;
void ca_ra_set_upstream(struct ca *ca, const char *url,
			const struct enroll_proto *proto);
int ca_ra_refresh(struct ca *ca);

/* The watchdog's facts (daemon/health/health.h). */
struct health_ca;
int ca_health(struct ca *ca, struct health_ca *h);

/*
 * ---- Protocol-neutral entry points (ca_enroll.c) ----
 *
 * A protocol front end (daemon/proto/scep/, later EST) translates its
 * messages to these calls and their results back to its own encoding.
 * Each call takes the CA's lock and answers from the database in one
 * transaction (rolled back whole when a step fails: the client sees an
 * error and may retry); -EAGAIN while the CA is not running.  When the
 * keystore cannot vouch for the time the result is CA_REJECTED,
 * CA_REASON_BAD_TIME.
 */
enum ca_gen {
	CA_GEN_CURRENT = 0,
	CA_GEN_ROLLOVER, /* the rollover CA, while one exists (else current) */
};

enum ca_outcome {
	CA_ISSUED,   /* res->cert (or res->crl) holds the answer */
	CA_PENDING,  /* manual mode: waits for `grant` */
	CA_REJECTED, /* res->reason says why */
};

enum ca_reason {
	CA_REASON_NONE = 0,
	CA_REASON_BAD_REQUEST, /* policy, signer or challenge refused */
	CA_REASON_UNKNOWN,     /* no such transaction, certificate or CRL */
	CA_REASON_BAD_TIME,    /* no authoritative time, or the CA expired */
};

struct ca_result;

struct ca_enroll_req {
	X509_REQ *csr;
	/* The certificate that signed the request: self-signed with the
	 * CSR's key (a new enrollment), one this CA issued (a renewal), or
	 * one from `grant auto trustpoint`'s CA.  NULL: none (a new
	 * enrollment, granted by challenge or grant mode only). */
	X509 *signer;
	/* Intermediates the client sent with the signer (EST: its TLS
	 * chain), used only to reach `grant auto trustpoint`'s CA; NULL or
	 * empty: none. */
	STACK_OF(X509) * signer_chain;
	const char *challenge; /* NULL if none */
	const char *transaction_id;
	enum ca_gen generation; /* which CA issues */
	/* The client asked for a renewal: a self-signed signer is refused. */
	bool renewal;
	/* The client's address in text ("" if unknown): failed challenges
	 * are counted per address. */
	const char *source;
	/* The caller holds a ca_keys_get() snapshot for the whole call, so
	 * no promotion or cancel renames a key under it: the certificate
	 * may be signed outside the CA's lock (issue 14).  Otherwise it is
	 * signed under the lock, which a promotion also takes. */
	bool keys_held;
	/*
	 * NULL, or called once the call's answer is decided and committed,
	 * while the commit is being made durable (db_sync_ahead): the front
	 * end builds its reply meanwhile (the CertRep's signature), so the
	 * WAL's fdatasync and that work overlap (issue 14).  res is final
	 * (now set; the front end may take res->cert); not called for an
	 * error, nor for a request mode ra forwards upstream.  What it builds
	 * must not leave before ca_enroll has returned 0: only then is the
	 * enrollment durable.
	 */
	void (*prepare)(void *arg, struct ca_result *res);
	void *prepare_arg;
};

struct ca_result {
	enum ca_outcome outcome;
	enum ca_reason reason; /* CA_REJECTED */
	const char *why;       /* static text for the log, NULL if none */
	X509 *cert;	       /* CA_ISSUED: the certificate (owned) */
	X509_CRL *crl;	       /* ca_get_crl, CA_ISSUED (owned) */
	int64_t now;	       /* the keystore's time of the decision */
	/* mode ra: granted here, to be forwarded upstream (ca_ra_fwd.c) */
	bool forward;
};

/* Enroll (or renew): a transaction ID seen before is answered as a poll,
 * never with a second certificate. */
int ca_enroll(struct ca *ca, const struct ca_enroll_req *req,
	      struct ca_result *res);
/* The state of transaction_id (issuing a granted one by generation). */
int ca_poll(struct ca *ca, const char *transaction_id, enum ca_gen generation,
	    struct ca_result *res);
/* A certificate this CA issued, by the CA's name and the serial. */
int ca_get_cert(struct ca *ca, const X509_NAME *issuer,
		const ASN1_INTEGER *serial, struct ca_result *res);
/* The current CRL, decoded. */
int ca_get_crl(struct ca *ca, struct ca_result *res);
/* Only the checks every call makes: 0 (res->now set), CA_REJECTED with
 * CA_REASON_BAD_TIME, or -EAGAIN.  For a message refused before it
 * reaches the CA, whose answer still carries the CA's time. */
int ca_check(struct ca *ca, struct ca_result *res);
void ca_result_free(struct ca_result *res);

/* What a front end counts for GET /metrics (ca_health.c, lock-free):
 * an enrollment's outcome, and the time one request took from start. */
void ca_count_outcome(struct ca *ca, enum ca_outcome outcome);
void ca_count_latency(struct ca *ca, const struct timespec *start);

/*
 * ---- The published state, read lock-free (ca.c) ----
 *
 * The CA's certificates and key handles (keystore keys: the private parts
 * never leave it) for a front end that decrypts or signs on its behalf.
 */
struct ca_keys {
	X509 *ca_cert;
	EVP_PKEY *ca_key;
	X509 *ra_cert; /* RA mode; NULL in single-key mode */
	EVP_PKEY *ra_key;
	X509 *roll_cert; /* the rollover CA, NULL while none */
	EVP_PKEY *roll_key;
	X509 *roll_ra_cert; /* RA mode: the RA's successor, else NULL */
	EVP_PKEY *roll_ra_key;
	const EVP_MD *md; /* `hash` */
	/* mode sub-cs: the parent's certificates up to the root, nearest
	 * first (GetCACert sends them after the CA); NULL for a root. */
	STACK_OF(X509) * chain;
	struct ca *held; /* ca_keys_get's: the switch it holds off */
};

/*
 * Up-ref'd copies; -EAGAIN before the CA first published its state.  The
 * keys are keystore names: until ca_keys_put a promotion or cancel (which
 * renames or deletes them) waits, so a reply is never signed by one key
 * in the name of another's certificate.  Put them back soon (one request);
 * take them once per thread.
 */
int ca_keys_get(struct ca *ca, struct ca_keys *keys);
void ca_keys_put(struct ca_keys *keys);

/* The current CRL as DER (malloc'd); -ENOENT before the first one,
 * -EAGAIN before the CA first published its state. */
int ca_crl_der(struct ca *ca, unsigned char **der, size_t *len);

/*
 * A front end's answers derived from the published certificates (SCEP's
 * GetCACert PKCS#7 and signed GetNextCACert): built while the CA loads a
 * new state (under its lock, keystore at hand; a failure fails the load),
 * copied with each later publication of the same certificates (a CRL
 * update), freed with the state.  Set before ca_start(); one per CA.
 */
struct ca_encoder {
	int (*build)(void *arg, const struct ca_keys *keys, int64_t now,
		     void **data);
	/* Another reference or copy; NULL: out of memory. */
	void *(*dup)(const void *data);
	void (*free)(void *data);
	void *arg;
};
int ca_encoder_set(struct ca *ca, const struct ca_encoder *enc);
/* Run read(arg, data) on the published data, under the RCU read lock
 * (read must not block); -EAGAIN before the first publication. */
int ca_encoded_read(struct ca *ca, int (*read)(void *arg, const void *data),
		    void *arg);

/*
 * The CA's TLS server identity (ca_tls.c) for a front end on TLS (EST):
 * the keystore key NAME-tls (ECDSA P-256, made on first use) as a provider
 * handle, and a certificate this CA issued to it for host (CN and
 * subjectAltName), kept or issued again when it no longer verifies under
 * the current CA, names another host, or reached *renew_at (80 % of its
 * life, keystore time).  -EAGAIN while the CA is not running; -ETIME
 * without authoritative time; -EKEYEXPIRED when the CA has expired.
 */
int ca_tls_identity(struct ca *ca, const char *host, X509 **cert,
		    EVP_PKEY **key, int64_t *renew_at);
/* The keystore's time, the CA's clock, for a thread outside the CA's
 * calls (it takes the CA's lock); -EAGAIN while the CA is not running. */
int ca_clock(struct ca *ca, int64_t *now);

/*
 * While a rollover CA exists, the Root CA Key Update certificates (RFC 4210
 * §4.4, for EST's /cacerts; ca_keyupdate.c): NewWithOld (the rollover key
 * certified by the current CA key) and OldWithNew (the current key
 * certified by the rollover key), valid until the current CA's end; made
 * once per rollover in the keystore and kept.  -ENOENT when no rollover CA
 * exists, -EAGAIN while the CA is not running.
 */
int ca_key_update_certs(struct ca *ca, X509 **new_with_old,
			X509 **old_with_new);

/* A keystore timer of ours expired (CS CRL UPDATE, ER EXPIRE, CS SHADOW
 * CERT GENERATION, CS CERT EXPIRE): ca_timers.c. */
int ca_on_timer(struct ca *ca, enum pkiks_timer_kind kind);

/*
 * Reload (ca_reload.c; daemon/core/reload.c drives it).  ca_reload_check()
 * refuses, with @why (one line; @conf_path names the file), what cannot
 * change while the server exists, and changes nothing; once every part has
 * accepted, ca_reload_apply() takes @s at once and re-arms the timers.
 */
int ca_reload_check(struct ca *ca, const struct pkid_server_config *s,
		    const char *conf_path, char *why, size_t len);
void ca_reload_apply(struct ca *ca, const struct pkid_server_config *s);

/* Control socket commands (ca_ctl.c). */
int ca_ctl_register(struct ca *ca, struct ctl_server *srv);

#endif /* PKID_CA_H */
