/* SPDX-License-Identifier: MIT */
/*
 * pkiksd: the userspace twin of pkiks.ko.  It serves the pkiks protocol
 * (uapi/pkiks.h) on a SOCK_SEQPACKET Unix socket with the module's
 * semantics: keystore, wrapped blobs, time gate, PKI timers, events and a
 * status tree mirroring the module's sysfs.
 *
 * Threads: one per client connection (requests are handled on the
 * connection's thread, so two clients sign in parallel) plus a ticker that
 * watches the clock and fires timers.  Shared state (keys, timers, clock,
 * subscribers) is guarded by one mutex, twin_lock; private-key operations
 * run outside it on a reference to the key.  A third thread, the saver,
 * writes the timer file when no request waits for it.
 *
 * Durability: a TIMER_ARM, TIMER_CANCEL, CLOCK_SET or CLOCK_LAB that was
 * acknowledged is in <state-dir>/timers (fsynced) and survives a crash;
 * concurrent requests share one write, done outside twin_lock so timers
 * keep firing meanwhile.  A timer's expiry is written within 100 ms;
 * after a crash in that window it fires again (at least once).
 */
#ifndef PKIKSD_H
#define PKIKSD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "keystore.h"

extern pthread_mutex_t twin_lock;

/* Options, fixed after start. */
struct twin_opts {
	const char *socket_path;
	const char *state_dir;
	gid_t group; /* members' group; 0 = admins only */
	const char *kek_file;
	int lab;
	int no_status; /* no status tree (tools/sim: status.c) */
	int foreground;
	/* Test hook PKIKSD_TEST_PROTO=3 (docs/TESTING.md): answer as a
	 * protocol v3 keystore, without what v4 and v5 added. */
	int proto_v3;
	int keys_max; /* test hook PKIKSD_TEST_KEYS_MAX; 0: PKIKS_KEYS_MAX */
};
extern struct twin_opts twin_opts;

/* The caller of a request, from SO_PEERCRED / SO_PEERGROUPS at connect. */
struct peer {
	uid_t uid;
	pid_t pid;
	int admin;  /* uid 0 */
	int member; /* admin, or in --group */
};

/* ---- keys.c (callers hold twin_lock unless said otherwise) ---- */
struct twin_key {
	char name[PKIKS_NAME_MAX];
	uint32_t usage, bits, owner;
	enum pkiks_key_type type;
	EVP_PKEY *pkey;
	unsigned char *spki;
	int spki_len;
};

/* RSA components in big-endian bytes, as received or unwrapped. */
struct rsa_parts {
	const unsigned char *v[8]; /* n, e, d, p, q, dp, dq, qinv */
	size_t len[8];
};

/* Build and check a key (p*q == n, sizes, sign/verify); no lock needed. */
int keys_build(const struct rsa_parts *parts, EVP_PKEY **pkey, uint32_t *bits);
/* Insert a built key (consumed on success). */
int keys_insert(const char *name, uint32_t usage, uint32_t owner,
		EVP_PKEY *pkey, uint32_t bits, int replace,
		const struct peer *who, struct twin_key **out);
/* NULL when absent; -EPERM through *err when not the caller's. */
struct twin_key *keys_find(const char *name, const struct peer *who, int *err);
int keys_delete(const char *name, const struct peer *who);
int keys_promote(const char *name, const struct peer *who);
int keys_count(void);
struct twin_key *keys_at(int i);
/* Private operations, on a key reference taken under the lock. */
int keys_sign(EVP_PKEY *pkey, enum pkiks_hash hash, const unsigned char *dg,
	      size_t dg_len, unsigned char *sig, size_t *sig_len);
int keys_decrypt(EVP_PKEY *pkey, const unsigned char *in, size_t in_len,
		 unsigned char *out, size_t *out_len);
/* Components of a key into secure memory (wrap.c). */
int keys_export_parts(EVP_PKEY *pkey, unsigned char **buf, size_t *len);
/* A sign/verify round trip: 0 when the key is consistent. */
int keys_selftest(EVP_PKEY *pkey);

/* ---- ec.c (v3): ECDSA P-256 / P-384 ---- */
/* Build and check an EC key from its scalar (1 <= d < n); no lock. */
int keys_build_ec(enum pkiks_key_type type, const unsigned char *priv,
		  size_t priv_len, EVP_PKEY **pkey, uint32_t *bits);
enum pkiks_key_type keys_type_of(EVP_PKEY *pkey);
/* u16 LE length || scalar (curve size), in secure memory. */
int keys_export_ec(EVP_PKEY *pkey, unsigned char **buf, size_t *len);
/* ECDH (v5): x of d*P, the curve's size; -EINVAL for a bad peer point. */
int keys_derive(EVP_PKEY *pkey, const unsigned char *pub, size_t pub_len,
		unsigned char *out, size_t *out_len);

/* ---- wrap.c ---- */
int wrap_kek_set(const unsigned char *kek, size_t len);
int wrap_kek_load(const char *path);
int wrap_key(const struct twin_key *k, unsigned char **blob, size_t *len);
/* Opens a blob: fills the header fields and a built key. */
int wrap_open(const unsigned char *blob, size_t len, char *name,
	      uint32_t *owner, uint32_t *usage, EVP_PKEY **pkey,
	      uint32_t *bits);


/* ---- clock.c (under twin_lock) ---- */
void clock_init(int lab);
/* Watch for steps; returns 1 when a step revoked authority. */
int clock_check(void);
uint64_t clock_now(void);
int clock_authoritative(void);
int clock_set(enum pkiks_clock_source src, int *changed);
int clock_lab_set(uint64_t ns);
int clock_lab_advance(uint64_t delta);
void clock_restore_lab(uint64_t ns);
uint64_t clock_lab_now(int *set);
void clock_snapshot(struct pkiks_clock *c);

/* ---- timers.c (under twin_lock) ---- */
struct twin_timer {
	char owner[PKIKS_NAME_MAX];
	enum pkiks_timer_kind kind;
	char label[PKIKS_LABEL_MAX]; /* GENERIC only, else "" */
	uint64_t deadline;
	enum pkiks_timer_state state;
	uint32_t uid;
	int used;
};
/* A timer is (owner, kind, label); label is "" but for GENERIC. */
int timers_arm(const char *owner, enum pkiks_timer_kind kind,
	       const char *label, uint64_t deadline, uint32_t uid,
	       const struct peer *who, struct twin_timer *out);
int timers_cancel(const char *owner, enum pkiks_timer_kind kind,
		  const char *label, const struct peer *who);
/* Copy of every timer; caller frees. */
/* The timer so named (a copy); -ENOENT, or -EINVAL for a bad name. */
int timers_get(const char *owner, enum pkiks_timer_kind kind,
	       const char *label, struct twin_timer *out);
int timers_snapshot(struct twin_timer **out, size_t *count);
/* WAITING <-> ARMED after the clock's authority changed. */
void timers_follow_clock(void);
/* Fire every armed timer whose deadline passed, in deadline order. */
/* Fire what is due, earliest first; whether anything fired. */
int timers_fire_due(void);
uint64_t timers_next_deadline(void);
int timers_load(void);
/* Generation of the timer file's content; bumped on every change. */
uint64_t timers_generation(void);
/* Without twin_lock: return once generation @gen is on disk, writing it
 * if no other thread did (timers.c says why). */
int timers_sync(uint64_t gen);
/* Without twin_lock: write the file now (shutdown). */
int timers_save(void);
/* The ticker thread: clock checks and timer expiry. */
int ticker_start(void);
void ticker_stop(void);
void ticker_kick(void);
/* After any clock or timer change: events, state, status (under lock). */
void twin_time_changed(int clock_event);
/* After TIMER_ARM / TIMER_CANCEL of that one timer (under twin_lock). */
void twin_timer_changed(const char *owner, enum pkiks_timer_kind kind,
			const char *label);

/* ---- status.c (under twin_lock) ---- */
int status_init(void);
void status_write(void);	/* the whole tree, now */
/* One timer's directory (written, or removed when the timer is gone) and
 * clock/now. */
void status_timer(const char *owner, enum pkiks_timer_kind kind,
		  const char *label);
void status_dirty(void); /* the next status_tick writes the whole tree */
void status_tick(void);	 /* the whole tree if dirty or a second passed */

/* ---- events.c ---- */
int events_subscribe(int fd);
void events_unsubscribe(int fd);
void events_timer_expired(const struct twin_timer *t);
void events_clock(enum pkiks_event type);
void events_key_changed(const char *name);

/* ---- proto.c / proto_keys.c / proto_time.c ---- */
struct req {
	const struct peer *who;
	int fd;
	struct nlmsghdr *nlh;
	struct nlattr **tb;
	struct nl_msg *reply; /* a handler's one data message, if any */
};
void proto_serve(int fd, const struct peer *who);
struct nl_msg *proto_msg_new(uint8_t cmd, uint32_t seq, int flags);
int proto_reply_new(struct req *r);
int proto_send(int fd, struct nl_msg *msg);
int put_key_info(struct nl_msg *msg, const struct twin_key *k);
int put_timer_info(struct nl_msg *msg, const struct twin_timer *t);
int put_clock(struct nl_msg *msg);

/* The handlers, named after PKIKS_CMD_TABLE (proto*.c). */
#define TWIN_PROTO_DO(name) int cmd_do_##name(struct req *r);
#define TWIN_PROTO_DUMP(name) int cmd_dump_##name(struct req *r);
#define TWIN_PROTO_DO_DUMP(name) TWIN_PROTO_DO(name) TWIN_PROTO_DUMP(name)
#define TWIN_PROTO_SUB(name) TWIN_PROTO_DO(name)
#define TWIN_PROTO(name, right, mode, attrs) TWIN_PROTO_##mode(name)
PKIKS_CMD_TABLE(TWIN_PROTO)
#undef TWIN_PROTO

#endif /* PKIKSD_H */
