// SPDX-License-Identifier: MIT
/*
 * The certificate server: lifecycle (`no shutdown`), the state published
 * to protocol workers, and their lock-free reads of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "ca_internal.h"
#include "core/keyblob.h"

static const EVP_MD *hash_md(enum pkid_hash_alg h)
{
	switch (h) {
	case PKID_HASH_SHA1:
		return EVP_sha1();
	case PKID_HASH_SHA384:
		return EVP_sha384();
	case PKID_HASH_SHA512:
		return EVP_sha512();
	case PKID_HASH_SHA256:
	default:
		return EVP_sha256();
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void switch_lock_init(struct ca *ca)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(
		&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ca->switch_lock, &a);
	pthread_rwlockattr_destroy(&a);
}

void ca_switch_begin(struct ca *ca)
{
	pthread_rwlock_wrlock(&ca->switch_lock);
}

void ca_switch_end(struct ca *ca)
{
	pthread_rwlock_unlock(&ca->switch_lock);
}

int ca_new(struct ca **out, const struct pkid_server_config *cfg,
	   const struct ca_env *env)
{
	struct ca *ca = calloc(1, sizeof(*ca));

	if (!ca)
		return -ENOMEM;
	ca->cfg = *cfg;
	__atomic_store_n(&ca->legacy_des, cfg->legacy_des, __ATOMIC_RELAXED);
	ca->db_path = dup_or_null(env->db_path);
	ca->state_dir = dup_or_null(env->state_dir);
	ca->keygen = dup_or_null(env->keygen);
	ca->ks_socket = dup_or_null(env->ks_socket);
	ca->node = dup_or_null(env->node);
	ca->key_mode = env->key_mode;
	ca->key_mode_forced = env->key_mode_forced;
	ca->md = hash_md(cfg->hash);
	pthread_mutex_init(&ca->lock, NULL);
	switch_lock_init(ca);
	ca->by_source = malloc(sizeof(*ca->by_source));
	ca->by_subject = malloc(sizeof(*ca->by_subject));
	if (ca->by_source)
		ca_limit_init(ca->by_source, CA_LIMIT_SOURCE_CAP_MS);
	if (ca->by_subject)
		ca_limit_init(ca->by_subject, CA_LIMIT_SUBJECT_CAP_MS);
	if (!ca->db_path || !ca->state_dir || !ca->keygen || !ca->by_source ||
	    !ca->by_subject || ca_ocsp_new(&ca->ocsp) < 0) {
		ca_free(ca);
		return -ENOMEM;
	}
	*out = ca;
	return 0;
}

#define CA_KEYS_PAIRS 4 /* certificate and key: CA, RA, and their successors */

/* Take a reference on each certificate and key of k (ref), or drop it. */
static void keys_refs(struct ca_keys *k, bool ref)
{
	X509 **certs[CA_KEYS_PAIRS] = {&k->ca_cert, &k->ra_cert, &k->roll_cert,
				       &k->roll_ra_cert};
	EVP_PKEY **keys[CA_KEYS_PAIRS] = {&k->ca_key, &k->ra_key, &k->roll_key,
					  &k->roll_ra_key};
	size_t i;

	if (ref && k->chain)
		k->chain = X509_chain_up_ref(k->chain); /* NULL: no memory */
	else if (!ref)
		sk_X509_pop_free(k->chain, X509_free);
	for (i = 0; i < CA_KEYS_PAIRS; i++) {
		if (ref && *certs[i])
			X509_up_ref(*certs[i]);
		if (ref && *keys[i])
			EVP_PKEY_up_ref(*keys[i]);
		if (!ref) {
			X509_free(*certs[i]);
			EVP_PKEY_free(*keys[i]);
		}
	}
}

void ca_keys_put(struct ca_keys *k)
{
	struct ca *held = k->held;

	keys_refs(k, false);
	memset(k, 0, sizeof(*k));
	if (held)
		pthread_rwlock_unlock(&held->switch_lock);
}

void ca_pub_free(struct ca_pub *p)
{
	if (!p)
		return;
	ca_keys_put(&p->k);
	if (p->enc_data)
		p->enc->free(p->enc_data);
	free(p->crl_der);
	free(p);
}

static void ca_pub_free_rcu(struct rcu_head *head)
{
	ca_pub_free(caa_container_of(head, struct ca_pub, rcu));
}

void ca_free(struct ca *ca)
{
	if (!ca)
		return;
	/* First: the leadership thread may be taking over right now, and
	 * a takeover loads the CA's state (pub, ocsp) this frees below. */
	ca_lead_close(ca);
	if (ca->pub) {
		/* Wait out every HTTP reader (the server is stopped first)
		 * and every deferred free of older states. */
		synchronize_rcu();
		rcu_barrier();
		ca_pub_free(ca->pub);
	}
	ca_ocsp_free(ca->ocsp);
	ca_cer_sync(ca); /* the last group of <serial>.cer files */
	if (ca->db)
		db_close(ca->db);
	if (ca->ks)
		pkiks_close(ca->ks);
	pthread_mutex_destroy(&ca->lock);
	pthread_rwlock_destroy(&ca->switch_lock);
	free(ca->db_path);
	free(ca->state_dir);
	free(ca->keygen);
	free(ca->ks_socket);
	free(ca->node);
	free(ca->by_source);
	free(ca->by_subject);
	free(ca);
}

const char *ca_name(const struct ca *ca)
{
	return ca->cfg.name;
}

/* Asked by every PKIOperation: without the CA's lock (issue 14). */
bool ca_legacy_ciphers(struct ca *ca)
{
	return __atomic_load_n(&ca->legacy_des, __ATOMIC_RELAXED);
}

int ca_running(struct ca *ca)
{
	int r;

	pthread_mutex_lock(&ca->lock);
	r = ca->running;
	pthread_mutex_unlock(&ca->lock);
	return r;
}

void ca_keystore_lost(struct ca *ca)
{
	pthread_mutex_lock(&ca->lock);
	if (ca->ks)
		pkiks_close(ca->ks);
	ca->ks = NULL;
	ca->running = false;
	pthread_mutex_unlock(&ca->lock);
}

/* Every "now" comes from the keystore's time gate. */
int ca_now(struct ca *ca, int64_t *now)
{
	/* No handle between a lost keystore and the next start. */
	return ca->ks ? pkiks_now(ca->ks, now) : -ENOTCONN;
}

/*
 * Each thread's own keystore handle for the time (a handle is not
 * thread-safe, and ca->ks belongs to the CA's lock): an HTTP worker asks
 * for the time without the lock, so it does not queue behind another
 * worker's keystore round trip (issue 14).  Closed when the thread ends.
 */
struct now_conn {
	struct pkiks *ks;
	char *socket; /* what it was opened for (NULL: the default) */
};

static pthread_key_t now_key;
static pthread_once_t now_once = PTHREAD_ONCE_INIT;
static int now_key_err;

static void now_conn_free(void *arg)
{
	struct now_conn *c = arg;

	if (c->ks)
		pkiks_close(c->ks);
	free(c->socket);
	free(c);
}

static void now_key_init(void)
{
	now_key_err = pthread_key_create(&now_key, now_conn_free);
}

static bool same_socket(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* This thread's handle for the keystore at socket; NULL if none. */
static struct pkiks *now_handle(const char *socket)
{
	struct now_conn *c;

	if (pthread_once(&now_once, now_key_init) || now_key_err)
		return NULL;
	c = pthread_getspecific(now_key);
	if (c && c->ks && same_socket(c->socket, socket))
		return c->ks;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || pthread_setspecific(now_key, c)) {
			free(c);
			return NULL;
		}
	}
	if (c->ks)
		pkiks_close(c->ks);
	c->ks = NULL;
	free(c->socket);
	c->socket = dup_or_null(socket);
	if ((socket && !c->socket) ||
	    pkiks_open(&c->ks, PKIKS_TRANSPORT_AUTO, socket) < 0)
		c->ks = NULL;
	return c->ks;
}

static bool now_conn_lost(int ret)
{
	return ret == -ECONNRESET || ret == -EPIPE || ret == -ENOTCONN ||
	       ret == -ETIMEDOUT;
}

/*
 * A thread's handle that met a restarted keystore is dropped and the
 * question asked once more on a new one: refusing it instead answered an
 * enrollment badTime, which a client takes as final (check-keys-persist-tp
 * failed so once).
 */
int ca_now_unlocked(struct ca *ca, int64_t *now)
{
	struct pkiks *ks;
	int ret = -ENOTCONN, tries;

	for (tries = 0; tries < 2; tries++) {
		ks = now_handle(ca->ks_socket);
		if (!ks)
			return -ENOTCONN;
		ret = pkiks_now(ks, now);
		if (!now_conn_lost(ret))
			break;
		struct now_conn *c = pthread_getspecific(now_key);

		pkiks_close(c->ks);
		c->ks = NULL;
	}
	return ret;
}

int ca_clock(struct ca *ca, int64_t *now)
{
	struct ca_pub *pub = ca_work_begin(ca);
	int ret;

	if (!pub)
		return -EAGAIN;
	ret = ca_now(ca, now);
	ca_work_end(ca, pub);
	return ret;
}

void ca_publish(struct ca *ca, struct ca_pub *np)
{
	struct ca_pub *old = ca->pub;

	/* A new CA certificate (a promoted rollover CA) has not expired. */
	if (!old || !np || X509_cmp(old->k.ca_cert, np->k.ca_cert))
		ca->expired_logged = false;
	rcu_assign_pointer(ca->pub, np);
	if (old)
		call_rcu(&old->rcu, ca_pub_free_rcu);
}

static unsigned char *memdup(const void *p, size_t len)
{
	unsigned char *d = malloc(len ? len : 1);

	if (d && len)
		memcpy(d, p, len);
	return d;
}

struct ca_pub *ca_pub_snapshot(struct ca *ca)
{
	struct ca_pub *pub;

	rcu_read_lock();
	pub = rcu_dereference(ca->pub);
	pub = pub ? ca_pub_dup(pub) : NULL;
	rcu_read_unlock();
	return pub;
}

struct ca_pub *ca_work_begin(struct ca *ca)
{
	struct ca_pub *pub = ca_pub_snapshot(ca);

	if (!pub)
		return NULL;
	pthread_mutex_lock(&ca->lock);
	if (ca->running)
		return pub;
	pthread_mutex_unlock(&ca->lock);
	ca_pub_free(pub);
	return NULL;
}

void ca_work_end(struct ca *ca, struct ca_pub *pub)
{
	pthread_mutex_unlock(&ca->lock);
	ca_pub_free(pub);
}

struct ca_pub *ca_pub_dup(const struct ca_pub *p)
{
	struct ca_pub *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	*n = *p;
	n->enc_data = NULL;
	n->crl_der = NULL;
	keys_refs(&n->k, true);
	if (p->enc_data)
		n->enc_data = p->enc->dup(p->enc_data);
	if (p->crl_der)
		n->crl_der = memdup(p->crl_der, p->crl_len);
	if ((p->enc_data && !n->enc_data) || (p->crl_der && !n->crl_der)) {
		ca_pub_free(n);
		return NULL;
	}
	return n;
}

/* `database url`, or the daemon's state directory. */
int ca_dir(struct ca *ca, char *buf, size_t size)
{
	const char *d = ca->cfg.db_url[0] ? ca->cfg.db_url : ca->state_dir;

	/* Only local directories: "file:" prefixes are accepted too. */
	if (strncmp(d, "file:", 5) == 0)
		d += 5;
	if ((size_t)snprintf(buf, size, "%s", d) >= size)
		return -ENAMETOOLONG;
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Write through a temporary file and rename: readers never see half. */
int ca_write_file(const char *path, const void *data, size_t len,
		  unsigned int mode)
{
	return ca_write_file_sync(path, data, len, mode, true);
}

/* The same; without sync the caller makes it durable later (syncfs). */
int ca_write_file_sync(const char *path, const void *data, size_t len,
		       unsigned int mode, bool sync)
{
	char tmp[4096];
	int fd, ret = 0;
	ssize_t n;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	/* The errno is kept: a full disk must be told from a broken one. */
	n = write(fd, data, len);
	if (n < 0 || (sync && fsync(fd) < 0))
		ret = -errno;
	else if ((size_t)n != len)
		ret = -ENOSPC; /* a short write to a regular file */
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* The front end's answers for a freshly loaded state; under lock. */
static int encode(struct ca *ca, struct ca_pub *pub, int64_t now)
{
	struct ca_keys k = pub->k;

	if (!ca->enc.build)
		return 0;
	k.md = ca->md;
	pub->enc = &ca->enc;
	return ca->enc.build(ca->enc.arg, &k, now, &pub->enc_data);
}

/* The CA certificate's key is what `eckeypair` (or its absence) says. */
static bool key_type_matches(struct ca *ca, EVP_PKEY *pk)
{
	if (!pk)
		return false;
	if (!ca->cfg.ec_bits)
		return EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;
	return EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	       EVP_PKEY_get_bits(pk) == (int)ca->cfg.ec_bits;
}

/*
 * IOS locks a CA's identity once it exists: issuer-name, hash and the key
 * type (eckeypair) must
 * still describe the stored CA certificate, else the CA does not start.
 */
static int check_locked(struct ca *ca, const struct db_ca *row,
			const char **why)
{
	X509 *x = ca_x509_from_der(row->cur_cert, row->cur_cert_len);
	X509_NAME *name = NULL;
	int md_nid = 0, ret = -EBADMSG;

	*why = "the stored CA certificate is unreadable";
	if (!x)
		goto out;
	ret = -EPERM;
	*why = "issuer-name is locked: it differs from the existing CA "
	       "certificate's subject";
	if (ca_parse_dn(ca->cfg.issuer_name, &name) < 0 ||
	    X509_NAME_cmp(name, X509_get_subject_name(x)))
		goto out;
	*why = "hash is locked: it differs from the existing CA certificate's";
	/* A sub-cs's certificate is signed with the parent's hash. */
	if (!ca_is_sub(ca) &&
	    (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md_nid, NULL) ||
	     md_nid != EVP_MD_get_type(ca->md)))
		goto out;
	*why = "eckeypair is locked: it differs from the existing CA key's "
	       "type";
	if (!ca_is_sub(ca) && !key_type_matches(ca, X509_get0_pubkey(x)))
		goto out;
	*why = NULL;
	ret = 0;
out:
	X509_NAME_free(name);
	X509_free(x);
	return ret;
}

/* Load keys and certificates of an existing CA and publish them. */
int ca_load(struct ca *ca, const struct db_ca *row, int64_t now)
{
	struct ca_pub *pub = calloc(1, sizeof(*pub));
	int ret = -ENOMEM;

	if (!pub)
		goto err;
	ret = -EBADMSG;
	pub->k.ca_cert = ca_x509_from_der(row->cur_cert, row->cur_cert_len);
	if (!pub->k.ca_cert)
		goto err;
	ret = ca_load_key(ca, row->cur_key, &pub->k.ca_key);
	if (ret < 0)
		goto err;
	if (row->crl) {
		pub->crl_der = memdup(row->crl, row->crl_len);
		pub->crl_len = row->crl_len;
	}
	if (ca->key_mode == CA_KEY_MODE_RA) {
		ret = ca_ra_load_or_issue(ca, pub, now);
		if (ret < 0)
			goto err;
	}
	ret = ca_rollover_load(ca, row, pub);
	ret = ret ?: ca_sub_chain(ca, pub);
	ret = ret ?: encode(ca, pub, now);
	if (ret < 0)
		goto err;
	/* New CA certificates (start, rollover, promotion): responders,
	 * ready before the certificates are served. */
	ca_ocsp_refresh_keys(ca, &pub->k, now, row->crl_next_update);
	ca_publish(ca, pub);
	return 0;
err:
	ca_pub_free(pub);
	return ret;
}

/*
 * The key mode is fixed when the CA is created (ra-certificate, or -m):
 * a CA key that may decrypt was made for single-key mode, one that only
 * signs for RA mode, whatever the configuration says later.
 */
static int settle_key_mode(struct ca *ca, const struct db_ca *row)
{
	struct pkiks_key_info info = {0};
	int ret = pkiks_key_get(ca->ks, row->cur_key, &info);

	if (ret < 0)
		return ret;
	ca->key_mode = info.usage & PKIKS_USAGE_DECRYPT ? CA_KEY_MODE_SINGLE
							: CA_KEY_MODE_RA;
	free(info.pubkey);
	return 0;
}

static int ca_open_stores(struct ca *ca)
{
	int ret;

	if (!ca->ks) {
		ret = pkiks_open(&ca->ks, PKIKS_TRANSPORT_AUTO, ca->ks_socket);
		if (ret < 0)
			return ret;
	}
	if (!ca->db) {
		/* database connection: the CA's tables on PostgreSQL */
		const struct pkid_server_config *s = &ca->cfg;

		ret = db_open_creds(&ca->db,
				    s->db_connection[0] ? s->db_connection
							: ca->db_path,
				    s->db_credentials[0] ? s->db_credentials
							 : NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * The keys of an existing CA that a keystore restart took come back from
 * their wrapped blobs (daemon/core/keyblob.h).  One that cannot (tampered
 * blob, no KEK) stops the start: never a new CA key in its place.
 */
int ca_restore_keys(struct ca *ca, const struct db_ca *row)
{
	char ra[PKIKS_NAME_MAX], roll[PKIKS_NAME_MAX], roll_ra[PKIKS_NAME_MAX];
	const char *names[] = {row->cur_key, ra, roll, roll_ra};
	size_t i, n = sizeof(names) / sizeof(names[0]);
	int ret;

	snprintf(roll, sizeof(roll), "%s%s", ca->cfg.name, CA_ROLL_SUFFIX);
	ret = ca_ra_key_name(ca, false, ra, sizeof(ra));
	ret = ret ?: ca_ra_key_name(ca, true, roll_ra, sizeof(roll_ra));
	if (ret < 0)
		return ret;
	if (!db_shared(ca->db))
		return keyblob_sync_all(ca->ks, ca->db, names, n, NULL);
	/* and the files the other nodes made: the RA certificates and the
	 * archives (ca_files.c); one that cannot be written is logged and
	 * does not stop the CA */
	ca_files_fetch_all(ca);
	/* Several nodes: the database's blobs are the truth; a rollover
	 * key (names 2, 3) the row no longer speaks of is a leftover. */
	for (i = 0; i < n; i++) {
		bool leftover = i >= 2 && row->rollover == DB_ROLLOVER_NONE;

		if (!names[i][0])
			continue;
		ret = keyblob_import(ca->ks, ca->db, names[i], leftover);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	}
	return 0;
}

/*
 * The leader's part of a start (and of a takeover, ca_lead.c): finish a
 * rollover or promotion left half done or due while no leader ran, load
 * and publish, make the CRL current, arm the CA's timers.
 */
int ca_resume_locked(struct ca *ca, int64_t now, const char **why)
{
	struct db_ca row = {0};
	int ret;

	ret = ca_rollover_resume(ca, now);
	if (ret < 0) {
		*why = "cannot finish the CA rollover";
		return ret;
	}
	ret = db_ca_get(ca->db, ca->cfg.name, &row);
	ret = ret ?: ca_load(ca, &row, now);
	db_ca_free(&row);
	if (ret < 0) {
		*why = "cannot load the CA key or certificate";
		return ret;
	}
	ret = ca_crl_restore(ca, now);
	if (ret < 0) {
		*why = "cannot issue the CRL";
		return ret;
	}
	ca_cer_rebuild(ca);
	ca_rearm_er_expire(ca, now);
	ca_rollover_arm(ca);
	return 0;
}

/*
 * A follower's: publish what the database holds, its keys imported
 * first (ca_restore_keys); no timer is armed and nothing is signed but
 * what an enrollment or an operator asks of this node.
 */
int ca_follow_locked(struct ca *ca, int64_t now, const char **why)
{
	struct db_ca row = {0};
	int ret = db_ca_get(ca->db, ca->cfg.name, &row);

	ret = ret ?: ca_restore_keys(ca, &row);
	ret = ret ?: ca_load(ca, &row, now);
	db_ca_free(&row);
	if (ret < 0)
		*why = "cannot load the CA key or certificate";
	return ret;
}

static int ca_start_locked(struct ca *ca, const char **why)
{
	char dir[PKID_CONF_URL_MAX];
	struct db_ca row = {0};
	int64_t now;
	int ret;

	*why = NULL;
	/* pkid -t refuses `ra-certificate none` with eckeypair; `pkid -m
	 * single` is a command-line choice, so it is refused here. */
	if (ca->cfg.ec_bits && ca->key_mode == CA_KEY_MODE_SINGLE) {
		*why = "eckeypair needs the RA: in single-key mode (pkid -m "
		       "single) the CA key decrypts SCEP's RSA envelope";
		return -EINVAL;
	}
	ret = ca_open_stores(ca);
	if (ret < 0) {
		*why = "cannot open the keystore or the database";
		return ret;
	}
	if (ca_now(ca, &now) < 0) {
		*why = CA_CLOCK_MSG;
		return -EAGAIN;
	}
	ret = ca_dir(ca, dir, sizeof(dir));
	if (ret < 0) {
		*why = CA_DIR_MSG;
		return ret;
	}
	/* mode ra: no CA key, certificate, CRL or rollover of its own */
	if (ca_is_ra(ca))
		return ca_ra_start(ca, now, why);
	/* Several nodes: only the leader makes the CA or moves it on. */
	ret = ca_lead_open(ca);
	if (ret < 0) {
		*why = "cannot open the leadership session";
		return ret;
	}
	/* The leader's making and resuming: fenced to its term (ca_lead.c) */
	ca_lead_fence(ca, ca_is_leader(ca));
	ret = db_ca_get(ca->db, ca->cfg.name, &row);
	if ((ret == -ENOENT || (ret == 0 && !row.cur_cert)) &&
	    !ca_is_leader(ca)) {
		*why = "waiting for the leader node to create the CA";
		ret = -ENOENT; /* ca_lead.c starts it again when it is there */
		ca_lead_want_start(ca);
	} else if (ret == -ENOENT || (ret == 0 && !row.cur_cert)) {
		db_ca_free(&row);
		memset(&row, 0, sizeof(row));
		if (ca_is_sub(ca))
			ret = ca_sub_create(ca, &row, why);
		else
			ret = ca_create(ca, now, &row);
		if (ret < 0 && !*why)
			*why = "cannot create the CA key and certificate";
	}
	if (ret < 0)
		goto out;
	ret = check_locked(ca, &row, why);
	if (ret < 0)
		goto out;
	ret = ca_restore_keys(ca, &row);
	if (ret < 0) {
		*why = "a CA key is missing from the keystore and its "
		       "wrapped blob cannot be restored (KEY_RESTORE_FAILED)";
		goto out;
	}
	/* A sub-cs key decrypts for its trustpoint whatever the mode:
	 * the configuration's ra-certificate decides (ca_sub.c). */
	ret = ca_is_sub(ca) ? 0 : settle_key_mode(ca, &row);
	if (ret < 0) {
		*why = "cannot read the CA key from the keystore";
		goto out;
	}
	db_ca_free(&row);
	ret = ca_is_leader(ca) ? ca_resume_locked(ca, now, why)
			       : ca_follow_locked(ca, now, why);
	if (ret < 0)
		goto out;
	ca->running = true;
	if (ca_pub_expired(ca->pub, now) && !ca->pub->k.roll_cert)
		ca_note_expired(ca);
out:
	ca_lead_fence(ca, false);
	db_ca_free(&row);
	return ret;
}

/* The reason `show server` gives, from the failed step and its errno. */
static void set_why(struct ca *ca, int ret, const char *why)
{
	const char *url = ca->cfg.db_url[0] ? ca->cfg.db_url : ca->state_dir;

	if (ret == 0)
		ca->why[0] = '\0';
	else if (ret == -EAGAIN && why && !strcmp(why, CA_CLOCK_MSG))
		snprintf(ca->why, sizeof(ca->why),
			 "waiting for authoritative time");
	else if (ret == -EINPROGRESS && why)
		snprintf(ca->why, sizeof(ca->why), "%s", why);
	else if (why && !strcmp(why, CA_DIR_MSG))
		snprintf(ca->why, sizeof(ca->why), "%s %s: %s", why, url,
			 strerror(-ret));
	else
		snprintf(ca->why, sizeof(ca->why), "%s: %s",
			 why ? why : "cannot start", strerror(-ret));
}

int ca_start(struct ca *ca, const char **why)
{
	int ret;

	/* A start may finish a promotion due while the CA was stopped,
	 * under the snapshot of a front end still answering. */
	ca_switch_begin(ca);
	pthread_mutex_lock(&ca->lock);
	ret = ca->running ? 0 : ca_start_locked(ca, why);
	if (!ca->running) {
		set_why(ca, ret, *why);
		if (ret < 0 && ret != -EAGAIN)
			*why = ca->why; /* main logs it, single thread */
	}
	pthread_mutex_unlock(&ca->lock);
	ca_switch_end(ca);
	return ret;
}

/* ---- lock-free reads of the published state ---- */

int ca_encoder_set(struct ca *ca, const struct ca_encoder *enc)
{
	int ret = 0;

	pthread_mutex_lock(&ca->lock);
	if (ca->pub || ca->enc.build)
		ret = -EBUSY; /* published answers would lack it */
	else
		ca->enc = *enc;
	pthread_mutex_unlock(&ca->lock);
	return ret;
}

int ca_keys_get(struct ca *ca, struct ca_keys *k)
{
	struct ca_pub *p;
	int ret = -EAGAIN;

	memset(k, 0, sizeof(*k));
	/* Until ca_keys_put: no promotion or cancel renames a key under
	 * the snapshot (switch_lock). */
	pthread_rwlock_rdlock(&ca->switch_lock);
	rcu_read_lock();
	p = rcu_dereference(ca->pub);
	if (p) {
		/* Referenced inside the read section: p may go right after. */
		*k = p->k;
		k->md = ca->md;
		k->held = ca;
		keys_refs(k, true);
		ret = 0;
	}
	rcu_read_unlock();
	if (ret < 0)
		pthread_rwlock_unlock(&ca->switch_lock);
	return ret;
}

int ca_encoded_read(struct ca *ca, int (*read)(void *arg, const void *data),
		    void *arg)
{
	struct ca_pub *p;
	int ret = -EAGAIN;

	rcu_read_lock();
	p = rcu_dereference(ca->pub);
	if (p)
		ret = read(arg, p->enc_data);
	rcu_read_unlock();
	return ret;
}

void ca_set_ra_crl_file(struct ca *ca, const char *path)
{
	snprintf(ca->ra_crl_file, sizeof(ca->ra_crl_file), "%s", path);
}

/* The CRL file an RA's trustpoint keeps (1 MiB at most, as it stores). */
#define CA_RA_CRL_MAX (1024 * 1024)

static int ra_crl_der(struct ca *ca, unsigned char **der, size_t *len)
{
	FILE *f = ca->ra_crl_file[0] ? fopen(ca->ra_crl_file, "re") : NULL;
	unsigned char *buf = NULL;
	long n;
	int ret = -ENOENT;

	if (!f)
		return ret;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    n <= CA_RA_CRL_MAX && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*der = buf;
		*len = (size_t)n;
		buf = NULL;
		ret = 0;
	}
	free(buf);
	fclose(f);
	return ret;
}

int ca_crl_der(struct ca *ca, unsigned char **der, size_t *len)
{
	struct ca_pub *p;
	int ret = -EAGAIN;

	/* mode ra signs no CRL: the upstream's, as its trustpoint holds it
	 * (issuer and signature checked when it was stored). */
	if (ca_is_ra(ca) && ca_running(ca))
		return ra_crl_der(ca, der, len);
	rcu_read_lock();
	p = rcu_dereference(ca->pub);
	if (p && p->crl_der) {
		*der = memdup(p->crl_der, p->crl_len);
		*len = p->crl_len;
		ret = *der ? 0 : -ENOMEM;
	} else if (p) {
		ret = -ENOENT;
	}
	rcu_read_unlock();
	return ret;
}
