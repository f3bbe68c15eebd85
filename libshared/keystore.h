/* SPDX-License-Identifier: MIT */
/*
 * The keystore client: one API over the two hosts of the pkiks protocol
 * (uapi/pkiks.h).  pkiks_open() picks the transport by itself: the kernel's
 * generic netlink family "pkiks" when it exists, else pkiksd's Unix socket,
 * and logs one line saying which.  A socket path given to pkiks_open() or
 * in $PKIKS_SOCKET always means pkiksd.
 *
 * Every function returns 0 or a negative errno (the host's error, or a
 * local one such as -ECONNREFUSED / -ETIMEDOUT).  A handle is not
 * thread-safe: give each thread its own (pkiks_open is cheap), which is
 * also what lets signatures run in parallel on both hosts.
 */
#ifndef PKID_KEYSTORE_H
#define PKID_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi/pkiks.h"

struct pkiks;

enum pkiks_transport {
	PKIKS_TRANSPORT_AUTO,   /* kernel if the family exists, else pkiksd */
	PKIKS_TRANSPORT_KERNEL, /* generic netlink only */
	PKIKS_TRANSPORT_TWIN,   /* pkiksd socket only */
};

/* Default pkiksd socket; overridden by $PKIKS_SOCKET, then by the argument. */
#define PKIKS_DEFAULT_SOCKET "/run/pkiks/pkiksd.sock"
/* Each request waits at most this long for its reply. */
#define PKIKS_REQUEST_TIMEOUT_MS 5000

struct pkiks_key_info {
	char name[PKIKS_NAME_MAX];
	uint32_t bits;
	uint32_t usage; /* PKIKS_USAGE_* */
	uint32_t owner_uid;
	unsigned char *pubkey; /* SubjectPublicKeyInfo DER, malloc'd */
	size_t pubkey_len;
	enum pkiks_key_type type; /* RSA from a v2 host (no KEY_TYPE) */
};

struct pkiks_clock {
	int authoritative;
	enum pkiks_clock_source source;
	uint64_t now_ns;      /* authoritative now; never goes backwards */
	uint64_t since_ns;    /* when authority was granted (0 if none) */
	uint64_t realtime_ns; /* the host's raw realtime clock */
	uint32_t steps;       /* clock steps detected since load */
};

struct pkiks_timer_info {
	char owner[PKIKS_NAME_MAX];
	enum pkiks_timer_kind kind;
	char label[PKIKS_LABEL_MAX]; /* GENERIC timers, else "" */
	uint64_t deadline_ns;
	enum pkiks_timer_state state;
	uint32_t owner_uid;
};

struct pkiks_event_msg {
	enum pkiks_event type;
	struct pkiks_timer_info timer; /* TIMER_EXPIRED */
	struct pkiks_clock clock;      /* CLOCK_* */
	char key_name[PKIKS_NAME_MAX]; /* KEY_CHANGED */
};

/* RSA private key components, big-endian, for import only (keygen helper). */
struct pkiks_rsa_parts {
	const unsigned char *n, *e, *d, *p, *q, *dp, *dq, *qinv;
	size_t n_len, e_len, d_len, p_len, q_len, dp_len, dq_len, qinv_len;
};

/* Connection */
int pkiks_open(struct pkiks **ks, enum pkiks_transport want,
	       const char *socket_path);
void pkiks_close(struct pkiks *ks);
enum pkiks_transport pkiks_transport_of(const struct pkiks *ks);
const char *pkiks_transport_name(const struct pkiks *ks); /* "kernel"/"pkiksd" */
int pkiks_get_info(struct pkiks *ks, uint32_t *version, uint32_t *features);

/* Keys */
int pkiks_key_import(struct pkiks *ks, const char *name, uint32_t usage,
		     const struct pkiks_rsa_parts *parts, uint32_t flags,
		     struct pkiks_key_info *out /* may be NULL */);
/* v3 (PKIKS_FEATURE_EC): an ECDSA key from its private scalar (big-endian,
 * at most the curve's size); @type PKIKS_KEY_EC_P256 or _P384. */
int pkiks_key_import_ec(struct pkiks *ks, const char *name, uint32_t usage,
			enum pkiks_key_type type, const unsigned char *priv,
			size_t priv_len, uint32_t flags,
			struct pkiks_key_info *out /* may be NULL */);
int pkiks_key_get(struct pkiks *ks, const char *name,
		  struct pkiks_key_info *out);
int pkiks_key_list(struct pkiks *ks, struct pkiks_key_info **keys,
		   size_t *count);
/* Frees a pkiks_key_list() array and the array itself; a single result of
 * pkiks_key_get()/import/unwrap is released with free(info.pubkey). */
void pkiks_key_info_free(struct pkiks_key_info *keys, size_t count);
int pkiks_key_delete(struct pkiks *ks, const char *name);
int pkiks_key_promote(struct pkiks *ks, const char *name);
int pkiks_sign(struct pkiks *ks, const char *name, enum pkiks_hash hash,
	       const unsigned char *digest, size_t digest_len,
	       unsigned char *sig, size_t *sig_len /* in: room, out: length */);
int pkiks_decrypt(struct pkiks *ks, const char *name,
		  const unsigned char *in, size_t in_len, unsigned char *out,
		  size_t *out_len /* in: room, out: length */);
/* v5 (PKIKS_FEATURE_ECDH): ECDH with an EC key of usage DERIVE: the x
 * coordinate of d*P (the curve's size) for the peer's uncompressed point. */
int pkiks_derive(struct pkiks *ks, const char *name, const unsigned char *pub,
		 size_t pub_len, unsigned char *secret,
		 size_t *secret_len /* in: room, out: length */);
int pkiks_key_wrap(struct pkiks *ks, const char *name, unsigned char **blob,
		   size_t *blob_len);
int pkiks_key_unwrap(struct pkiks *ks, const unsigned char *blob,
		     size_t blob_len, const char *rename /* may be NULL */,
		     uint32_t flags, struct pkiks_key_info *out);
int pkiks_kek_set(struct pkiks *ks, const unsigned char *kek, size_t len);

/* Time gate */
int pkiks_clock_get(struct pkiks *ks, struct pkiks_clock *clock);
int pkiks_clock_set(struct pkiks *ks, enum pkiks_clock_source source);
int pkiks_clock_lab_set(struct pkiks *ks, uint64_t now_ns);
int pkiks_clock_lab_advance(struct pkiks *ks, uint64_t delta_ns);
/* Authoritative now in seconds, or -EAGAIN when time is not authoritative. */
int pkiks_now(struct pkiks *ks, int64_t *now_sec);

/* Timers */
int pkiks_timer_arm(struct pkiks *ks, const char *owner,
		    enum pkiks_timer_kind kind, uint64_t deadline_ns);
int pkiks_timer_cancel(struct pkiks *ks, const char *owner,
		       enum pkiks_timer_kind kind);
/* The same with a label (@label NULL: none); GENERIC timers need one. */
int pkiks_timer_arm_label(struct pkiks *ks, const char *owner,
			  enum pkiks_timer_kind kind, const char *label,
			  uint64_t deadline_ns);
int pkiks_timer_cancel_label(struct pkiks *ks, const char *owner,
			     enum pkiks_timer_kind kind, const char *label);
int pkiks_timer_list(struct pkiks *ks, struct pkiks_timer_info **timers,
		     size_t *count);
/* One timer by its name (@label NULL: none), -ENOENT if there is none;
 * -EOPNOTSUPP from a host older than v4 (PKIKS_FEATURE_TIMER_GET): list. */
int pkiks_timer_get(struct pkiks *ks, const char *owner,
		    enum pkiks_timer_kind kind, const char *label,
		    struct pkiks_timer_info *out);

/* Events: subscribe, then poll pkiks_event_fd() and read one at a time. */
int pkiks_events_subscribe(struct pkiks *ks);
int pkiks_event_fd(const struct pkiks *ks);
int pkiks_event_read(struct pkiks *ks, struct pkiks_event_msg *ev);

/* Names (libshared/pkiks_names.c) */
const char *pkiks_timer_kind_name(enum pkiks_timer_kind kind); /* "CS CRL UPDATE" */
const char *pkiks_timer_kind_sysfs(enum pkiks_timer_kind kind); /* "CS_CRL_UPDATE" */
int pkiks_timer_kind_parse(const char *name, enum pkiks_timer_kind *kind);
const char *pkiks_clock_source_name(enum pkiks_clock_source src);
const char *pkiks_timer_state_name(enum pkiks_timer_state st);
const char *pkiks_hash_name(enum pkiks_hash hash);
/* "rsa", "ec-p256", "ec-p384" ("unknown" for another type); the curve's
 * OpenSSL group name ("prime256v1", "secp384r1") of an EC type, else NULL;
 * the scalar size in bytes of an EC type (32, 48), else 0. */
const char *pkiks_key_type_name(enum pkiks_key_type type);
const char *pkiks_key_type_group(enum pkiks_key_type type);
size_t pkiks_key_type_ec_bytes(enum pkiks_key_type type);
/* Predicates: 1 when valid, else 0. */
int pkiks_key_name_valid(const char *name);
int pkiks_timer_owner_valid(const char *name);
int pkiks_timer_label_valid(const char *label);
int pkiks_timer_deadline_valid(uint64_t deadline_ns);
/* A timer's directory in sysfs and pkiksd's status tree: the kind's sysfs
 * name, or "GENERIC:<label>"; -EINVAL for a bad kind or label. */
#define PKIKS_TIMER_DIR_MAX (sizeof("GENERIC:") + PKIKS_LABEL_MAX)
int pkiks_timer_dir_name(enum pkiks_timer_kind kind, const char *label,
			 char *buf, size_t len);

#endif /* PKID_KEYSTORE_H */
