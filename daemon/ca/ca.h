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
 * State that HTTP workers read (certificates, GetCACert answer, CRL) is
 * one immutable struct published with RCU (urcu-bp, since libmicrohttpd's
 * threads are not ours): a CRL update or a rollover swaps the pointer and
 * never waits for, or stalls, an enrollment.  Everything that writes (the
 * database, issuance, the CRL, the control commands, timers) runs under
 * the CA's mutex.
 */
#ifndef PKID_CA_H
#define PKID_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
};

/* An HTTP answer: malloc'd bytes and their content type (static). */
struct ca_blob {
	unsigned char *data;
	size_t len;
	const char *content_type;
};

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
/*
 * The keystore connection was lost: the keystore may come back empty (a
 * pkiksd restart).  Drop the CA's handle and mark it stopped, so that the
 * next ca_start() reconnects, restores its keys from their wrapped blobs
 * (daemon/core/keyblob.h) and arms its timers again.  What it publishes stays
 * until then.
 */
void ca_keystore_lost(struct ca *ca);

/* The watchdog's facts (daemon/health/health.h). */
struct health_ca;
int ca_health(struct ca *ca, struct health_ca *h);

/* HTTP side: -EAGAIN while the CA is not running, -ENOENT if none. */
int ca_http_get_caps(struct ca *ca, struct ca_blob *out);
int ca_http_get_ca_cert(struct ca *ca, struct ca_blob *out);
int ca_http_get_next_ca_cert(struct ca *ca, struct ca_blob *out);
int ca_http_get_crl(struct ca *ca, struct ca_blob *out);
/* A PKIOperation; -EBADMSG when the body is not a SCEP message.  peer:
 * the client's address in text (failed challenges are counted per
 * address), "" if unknown. */
int ca_http_pki_operation(struct ca *ca, const unsigned char *msg, size_t len,
			  const char *peer, struct ca_blob *out);

/* A keystore timer of ours expired (CS CRL UPDATE, ER EXPIRE, CS SHADOW
 * CERT GENERATION, CS CERT EXPIRE). */
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
