/* SPDX-License-Identifier: MIT */
/*
 * Inside the trustpoints (daemon/tp*.c).  One lock for the whole set:
 * control commands (the control thread) and timer events (the main
 * thread) each take it for one step, so a trustpoint never runs two
 * enrollments at once.  Every step reads its state from the database and
 * writes it back before returning, so a restart resumes where it stopped.
 *
 *   tp.c          the set, timer dispatch, resume at start
 *   tp_timers.c   arming RENEW/SHADOW and the backoff (rules: schedule.c)
 *   tp_keys.c     keys: pkiks-keygen, promotion, loading through the provider
 *   tp_auth.c     authenticate: GetCACert (EST: /cacerts), fingerprint, GetCACaps
 *   tp_enroll.c   enroll/renew/shadow, poll, outcomes
 *   tp_recover.c  after a missed SHADOW: enroll under the new CA, or stop
 *   tp_install.c  installing certificates, PEM export, the on-change hook
 *   tp_ctl.c      control commands
 */
#ifndef PKID_TP_INTERNAL_H
#define PKID_TP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "config.h"
#include "core/db.h"
#include "keystore.h"
#include "proto/enroll_proto.h"
#include "schedule.h"
#include "tp.h"

/* What the request in progress is for (db_tp.pending_kind). */
enum tp_kind {
	TP_KIND_NONE = 0,
	TP_KIND_ENROLL, /* first enrollment: self-signed request */
	TP_KIND_RENEW,	/* RENEW timer or manual re-enrollment */
	TP_KIND_SHADOW, /* enrollment under the rollover CA */
	/* mode sub-cs: the CA certificate of the sub's rollover key NAME#
	 * (made by the CA), signed by the current CA certificate; the
	 * result goes to the CA's row, not to the identity (tp_sub.c). */
	TP_KIND_SUBROLL,
};

/*
 * db_tp.pending_kind is a tp_kind, with this bit when the request
 * pending_tid names was sent and got no answer (timed out, connection
 * lost, CA down): CONNECT RETRY sends that same request again -- same
 * transactionID, same key -- not a poll (the CA may never have seen it)
 * and not a new request (the CA may have it on record, even issued:
 * RFC 8894 answers a repeated transactionID from that record).  Without
 * the bit, a pending_tid is a request the CA answered PENDING: polled.
 */
#define TP_PENDING_RESEND 0x100

static inline enum tp_kind tp_pending_kind(const struct db_tp *st)
{
	return (enum tp_kind)(st->pending_kind & ~TP_PENDING_RESEND);
}

static inline bool tp_pending_resend(const struct db_tp *st)
{
	return (st->pending_kind & TP_PENDING_RESEND) && st->pending_tid[0];
}

enum tp_times_slot { TP_TIMES_ID, TP_TIMES_CA, TP_TIMES_SLOTS };

struct tp {
	struct pkid_trustpoint_config cfg;
	struct tp_set *set;
	/* revocation-check crl (tp_crl.c): the stored CRL's dates (0: none),
	 * whether the file was read. */
	int64_t crl_this, crl_next;
	bool crl_loaded;
	/* revocation-check ocsp (tp_ocsp.c): the held response's status
	 * (V_OCSP_CERTSTATUS_*) and dates (0: none held by this process) */
	int ocsp_status;
	int64_t ocsp_this, ocsp_next;
	/* When the trustpoint gave up (keystore time; 0: it has not since
	 * its last request began): `show health`, GET /metrics. */
	int64_t gave_up_at;
	/* LEGACY_CIPHER said: the CA answers with DES or 3DES (once). */
	bool legacy_warned;
	/* The trustpoint of a `mode sub-cs` server of the same name
	 * (tp_sub.c): it asks for a CA certificate, subject sub_dn (the
	 * server's issuer-name). */
	bool sub_cs;
	char sub_dn[PKID_CONF_DN_MAX];
	/* ... of a `mode ra` server (sub_cs set too: the same lifecycle):
	 * an end-entity request, subject CN=NAME,OU=ioscs RA unless
	 * subject-name says otherwise (IOS's mark of an RA certificate). */
	bool ra;
	/* ... of a sub-cs with `auto-rollover`: at the end it shares with
	 * its parent the CA rolls its own key, certified by the parent's
	 * rollover CA, so the trustpoint makes no SHADOW of the old key. */
	bool sub_own_roll;
	/* enrollment terminal: SHADOW is due and the CA's rollover CA
	 * certificate has not been brought yet (tp_terminal_shadow); `show
	 * health` says the step until it is. */
	bool terminal_shadow_due;
	/* Added by the reload under way (tp_reload_apply): to be resumed. */
	bool fresh;
	/* The validity of the last identity and CA certificate looked at
	 * (tp_der_times), by SHA-256 of the DER. */
	struct tp_times {
		unsigned char md[32];
		size_t len;
		int64_t not_before, not_after;
	} times[TP_TIMES_SLOTS];
};

struct tp_set {
	pthread_mutex_t lock;
	struct tp *tps;
	size_t n;
	char hostname[PKID_CONF_NAME_MAX];
	char serial[64]; /* `serial-number`: the machine's serial number */
	char *keygen;
	char *ks_socket;
	char crl_dir[PKID_CONF_PATH_MAX]; /* the state dir: stored CRLs */
	struct db *db;
	struct pkiks *ks;
	const struct enroll_proto *proto; /* how trustpoints reach their CA */
	/* A sub-cs trustpoint installed a certificate (tp_set_sub_hook). */
	void (*sub_hook)(void *arg);
	void *sub_arg;
};

/* tp.c */
struct tp *tp_find(struct tp_set *set, const char *name);
/* How @tp reaches its CA: SCEP, or EST for an EST URL. */
const struct enroll_proto *tp_proto(const struct tp *tp);
int tp_now(struct tp *tp, int64_t *now);
const char *tp_kind_name(enum tp_kind kind);

/* tp_timers.c */
int tp_arm(struct tp *tp, enum pkiks_timer_kind kind, int64_t at);
void tp_cancel(struct tp *tp, enum pkiks_timer_kind kind);
int tp_arm_generic(struct tp *tp, const char *label, const char *what,
		   int64_t at);
/* RENEW or SHADOW for an installed identity (§4.1); *at gets the instant
 * (0 when none is armed). */
int tp_arm_lifecycle(struct tp *tp, const struct db_tp *st, int64_t *at);
/* POLL or CONNECT RETRY number @count (0, 1, ...) from now. */
int tp_arm_backoff(struct tp *tp, enum pkiks_timer_kind kind,
		   unsigned int count, int64_t now);
int64_t tp_backoff_seconds(const struct tp *tp, unsigned int count);
int tp_cert_times(X509 *x, int64_t *not_before, int64_t *not_after);
/* The same for a DER certificate of the row, remembered per trustpoint
 * and slot: the watchdog asks for every trustpoint every second, and
 * parsing a certificate (its public key through OpenSSL 3's decoders)
 * was four fifths of a client pkid's CPU with 250 trustpoints
 * (tools/sim).  -ENOENT without a certificate.  Set's lock held. */
int tp_der_times(struct tp *tp, enum tp_times_slot slot,
		 const unsigned char *der, size_t len, int64_t *not_before,
		 int64_t *not_after);
int tp_validity(X509 *x, struct sched_validity *v);
/* The trustpoint's configuration as the schedule module takes it. */
struct sched_tp tp_sched_conf(const struct tp *tp);

/* tp_keys.c */
int tp_keygen(struct tp *tp, const char *name, bool replace);
bool tp_key_exists(struct tp *tp, const char *name);
int tp_key_load(const char *name, EVP_PKEY **key);
/* LABEL# -> LABEL (and its stored blob); 0 if done before a crash (LABEL
 * is already @cert's key). */
int tp_key_promote(struct tp *tp, X509 *cert);
/* Restore LABEL and LABEL# from their wrapped blobs if the keystore lost
 * them (daemon/core/keyblob.h); an error: a key that cannot come back. */
int tp_keys_restore(struct tp *tp);
/* -EPERM (@why: FILE:LINE: ...) when the keystore's key under @c's label
 * is of another type than @c names (RSA, EC P-256, EC P-384); else 0. */
int tp_key_type_check(struct pkiks *ks, const struct pkid_config *cfg,
		      const struct pkid_trustpoint_config *c,
		      const char *conf_path, char *why, size_t n);
/* The key a request of @kind is for: LABEL, or LABEL# with regenerate. */
void tp_req_key_name(const struct tp *tp, enum tp_kind kind, char *buf,
		     size_t size);

/* tp_auth.c */
int tp_authenticate(struct tp *tp, bool accept, char *fp, size_t fp_size,
		    char *why, size_t why_size);
/* After the switch: the new CA's RA certificate (GetCACert), if the CA
 * already serves the new chain. */
int tp_refresh_ra(struct tp *tp, struct db_tp *st);

/* tp_ctl.c: new, authenticated, enrolled, pending, retrying, expired */
const char *tp_state_of(struct tp *tp, const struct db_tp *st);

/* tp_auto.c: zero-touch (auto-enroll + enrollment url) */
/* Authenticate (with a configured fingerprint) and enroll, if due. */
int tp_zero_touch(struct tp *tp);
/* After the operator's authenticate: zero-touch one retry period later. */
void tp_zero_touch_later(struct tp *tp);
/* GetCACert: the CA (and RA) certificate and its SHA-256 fingerprint. */
int tp_fetch_ca(struct tp *tp, X509 **ca, X509 **ra, char *fp, size_t fp_size,
		char *why, size_t n);

/* tp_sub.c: call the sub-cs hook after an install or a give-up (under
 * the lock). */
void tp_sub_changed(struct tp *tp);
/* The sub-cs server of this trustpoint is rolling its own key over. */
bool tp_sub_rolling(struct tp *tp);
/* A sub-rollover request was issued: hand @cert to the CA's row. */
int tp_sub_roll_issued(struct tp *tp, struct db_tp *st, const char *key_name,
		       X509 *cert);

/* tp_terminal.c: `enrollment terminal` (an offline CA) */
#define TP_TERMINAL_TID	    "terminal" /* pending_tid of a request on file */
#define TP_TERMINAL_PEM_MAX 65536
/* Keep the request's PKCS#10 (DER) as TP-request.pem and say so. */
int tp_terminal_save(struct tp *tp, const unsigned char *der, size_t len);
/* SHADOW of an `enrollment terminal` trustpoint (tp_enroll.c): the
 * request as a file when the rollover CA is held, else the step said. */
int tp_terminal_shadow(struct tp *tp, struct db_tp *st);
/* That request, PEM (malloc'd). */
int tp_terminal_pem(struct tp *tp, char **pem);
/* The CA's certificate from PEM text (authenticate); fp: its SHA-256. */
int tp_terminal_import_ca(struct tp *tp, const char *pem, bool accept,
			  char *fp, size_t fp_size, const char **why);
/* The CA's answer to the waiting request, PEM text. */
int tp_terminal_import(struct tp *tp, const char *pem, const char **why);

/* tp_recover.c */
/* The CA's end passed without a shadow identity: 1 when the new CA is
 * the rollover certificate held and the trustpoint may enroll under it
 * (the row now trusts it), 0 when stopped (logged), -errno otherwise. */
int tp_recover(struct tp *tp, struct db_tp *st);

/* tp_enroll.c */
/* GetNextCACert now, kept in the row if the CA offers one (404: 0). */
int tp_prefetch_next_ca(struct tp *tp, struct db_tp *st);
/* The held rollover CA certificate still the CA's?  1 dropped or
 * replaced (row saved), 0 yes, -errno no answer (tp_enroll.c). */
int tp_recheck_next_ca(struct tp *tp, struct db_tp *st);
/* Start a request of @kind now (the timer's or the operator's). */
int tp_enroll(struct tp *tp, enum tp_kind kind, char *why, size_t why_size);
/* POLL / CONNECT RETRY fired: poll, or send the request again. */
int tp_continue(struct tp *tp);
/* SHADOW fired: fetch the rollover CA and enroll, or switch over. */
int tp_shadow(struct tp *tp);

/* tp_install.c */
X509 *tp_x509(const unsigned char *der, size_t len);
int tp_set_blob(unsigned char **blob, size_t *len, X509 *x);
int tp_install(struct tp *tp, struct db_tp *st, enum tp_kind kind,
	       const char *key_name, X509 *cert);
int tp_switch_shadow(struct tp *tp, struct db_tp *st);
void tp_export(struct tp *tp, const struct db_tp *st, const char *event);
void tp_run_hook(struct tp *tp, const char *event);

/* tp_crl.c */
/* Fetch, verify, store and export the CA's CRL: 1 changed, 0 same (or
 * revocation-check none), -errno (the previous CRL stays). */
int tp_crl_refresh(struct tp *tp, const struct db_tp *st);
/* The keystore timer that runs the refresh: GENERIC, owner the
 * trustpoint, this label (uapi/pkiks.h). */
#define TP_CRL_LABEL "crl-refresh"
bool tp_is_crl_timer(const struct pkiks_timer_info *t);
/* Does the keystore's list hold a timer of @tp that @is recognises
 * (tp_is_crl_timer, tp_is_ocsp_timer, tp_is_nextca_timer)? */
bool tp_has_timer(const struct tp *tp, const struct pkiks_timer_info *timers,
		  size_t n, bool (*is)(const struct pkiks_timer_info *));
void tp_crl_on_timer(struct tp *tp);
void tp_crl_resume(struct tp *tp, const struct pkiks_timer_info *timers,
		   size_t n);

/* tp_ocsp.c */
/* Ask the identity's status, verify, store and export the response:
 * 1 changed, 0 same (or no ocsp method), -errno (the previous stays). */
int tp_ocsp_refresh(struct tp *tp, const struct db_tp *st);
#define TP_OCSP_LABEL "ocsp-refresh"
bool tp_is_ocsp_timer(const struct pkiks_timer_info *t);
void tp_ocsp_on_timer(struct tp *tp);
void tp_ocsp_resume(struct tp *tp, const struct pkiks_timer_info *timers,
		    size_t n);

/* tp_nextca.c: GetNextCACert asked periodically until the rollover CA
 * certificate is held (GENERIC timer, this label). */
#define TP_NEXTCA_LABEL "next-ca-poll"
bool tp_is_nextca_timer(const struct pkiks_timer_info *t);
/* Arm (or cancel, when it is not wanted) the poll for row @st. */
void tp_nextca_arm(struct tp *tp, const struct db_tp *st);
void tp_nextca_on_timer(struct tp *tp);
/* Arm it when wanted and missing from @timers (the keystore's list). */
void tp_nextca_resume(struct tp *tp, const struct pkiks_timer_info *timers,
		      size_t n);

#endif /* PKID_TP_INTERNAL_H */
