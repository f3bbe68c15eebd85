// SPDX-License-Identifier: MIT
/*
 * A trustpoint's keys.  `rsakeypair LABEL [BITS]` names the key; with
 * `auto-enroll ... regenerate` each renewal makes the shadow key pair
 * LABEL#, promoted over LABEL when the new certificate is installed.
 * Keys are made by pkiks-keygen in its own process (the daemon never sees
 * private key material) and used through the pkiks provider.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>

#include "core/keyblob.h"
#include "provider_client.h"
#include "tp_internal.h"
#include "core/log.h"

extern char **environ;

void tp_req_key_name(const struct tp *tp, enum tp_kind kind, char *buf,
		     size_t size)
{
	bool shadow = (kind != TP_KIND_ENROLL &&
		       tp->cfg.auto_enroll_regenerate) ||
		      kind == TP_KIND_SUBROLL;

	snprintf(buf, size, "%s%s", tp->cfg.rsakeypair, shadow ? "#" : "");
}

bool tp_key_exists(struct tp *tp, const char *name)
{
	struct pkiks_key_info info;

	if (pkiks_key_get(tp->set->ks, name, &info) < 0)
		return false;
	free(info.pubkey); /* key_info_free() is for key_list arrays */
	return true;
}

/*
 * pkiks-keygen NAME (--bits N | --type ec-p256|ec-p384) --usage both
 * [--replace] [--socket S].  "both": an RSA key signs its requests and
 * decrypts the CertRep; an EC key (eckeypair) signs them and derives the
 * CertRep's key-encryption key (ECDH, RFC 5753).
 */
int tp_keygen(struct tp *tp, const char *name, bool replace)
{
	posix_spawn_file_actions_t fa;
	const char *argv[12];
	char bits[16];
	int argc = 0, status, err;
	pid_t pid;

	snprintf(bits, sizeof(bits), "%u", tp->cfg.rsa_bits);
	argv[argc++] = tp->set->keygen;
	argv[argc++] = name;
	if (tp->cfg.ec_bits) {
		argv[argc++] = "--type";
		argv[argc++] = tp->cfg.ec_bits == 384 ? "ec-p384" : "ec-p256";
	} else {
		argv[argc++] = "--bits";
		argv[argc++] = bits;
	}
	argv[argc++] = "--usage";
	argv[argc++] = "both";
	if (replace)
		argv[argc++] = "--replace";
	if (tp->set->ks_socket) {
		argv[argc++] = "--socket";
		argv[argc++] = tp->set->ks_socket;
	}
	argv[argc] = NULL;
	/* keygen prints the public key on stdout: not for our log. */
	err = posix_spawn_file_actions_init(&fa);
	if (!err)
		err = posix_spawn_file_actions_addopen(
			&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (!err)
		err = posix_spawn(&pid, tp->set->keygen, &fa, NULL,
				  (char **)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		pkid_log(LOG_ERR, NULL, "cannot run %s: %s", tp->set->keygen,
			 strerror(err));
		return -err;
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		pkid_log(LOG_ERR, NULL, "%s %s failed", tp->set->keygen, name);
		return -EIO;
	}
	pkid_log(LOG_INFO, NULL, "trustpoint %s: generated key %s (%s %u bits)",
		 tp->cfg.name, name, tp->cfg.ec_bits ? "EC" : "RSA",
		 tp->cfg.ec_bits ? tp->cfg.ec_bits : tp->cfg.rsa_bits);
	/* Stored before the request that uses it is recorded. */
	return keyblob_save(tp->set->ks, tp->set->db, name);
}

int tp_key_load(const char *name, EVP_PKEY **key)
{
	int ret = pkiks_pkey_load(NULL, name, key);

	if (ret < 0)
		pkid_log(LOG_ERR, NULL, "cannot load key pkiks:%s: %s", name,
			 strerror(-ret));
	ERR_clear_error();
	return ret;
}

/* Is keystore key @name the key certified by @cert? 1, 0 or -errno. */
static int key_is(struct tp *tp, const char *name, X509 *cert)
{
	struct pkiks_key_info info = {0};
	unsigned char *spki = NULL;
	int n, ret;

	ret = pkiks_key_get(tp->set->ks, name, &info);
	if (ret < 0)
		return ret;
	n = i2d_PUBKEY(X509_get0_pubkey(cert), &spki);
	ret = n > 0 && (size_t)n == info.pubkey_len &&
	      memcmp(spki, info.pubkey, n) == 0;
	OPENSSL_free(spki);
	free(info.pubkey);
	return ret;
}

int tp_key_promote(struct tp *tp, X509 *cert)
{
	const char *label = tp->cfg.rsakeypair;
	char next[PKIKS_NAME_MAX];

	snprintf(next, sizeof(next), "%s#", label);
	if (tp_key_exists(tp, next))
		return keyblob_promote(tp->set->ks, tp->set->db, label);
	/* Promoted before a crash (or restored as such from its blob). */
	return key_is(tp, label, cert) == 1 ? 0 : -ENOKEY;
}

int tp_keys_restore(struct tp *tp)
{
	char next[PKIKS_NAME_MAX];
	const char *names[2] = {tp->cfg.rsakeypair, next};

	snprintf(next, sizeof(next), "%s#", tp->cfg.rsakeypair);
	return keyblob_sync_all(tp->set->ks, tp->set->db, names, 2, NULL);
}

/* The key type a trustpoint's `rsakeypair` / `eckeypair` line names. */
static enum pkiks_key_type conf_key_type(const struct pkid_trustpoint_config *c)
{
	return c->ec_bits == 384 ? PKIKS_KEY_EC_P384
	       : c->ec_bits	 ? PKIKS_KEY_EC_P256
				 : PKIKS_KEY_RSA;
}

static const char *key_type_words(enum pkiks_key_type t)
{
	return t == PKIKS_KEY_EC_P384	? "EC P-384 (eckeypair LABEL 384)"
	       : t == PKIKS_KEY_EC_P256 ? "EC P-256 (eckeypair LABEL 256)"
					: "RSA (rsakeypair)";
}

/*
 * A key keeps its type.  `rsakeypair LABEL` turned into `eckeypair
 * LABEL` (or the reverse, or another curve) while the keystore holds
 * LABEL would have the trustpoint go on with a key of the old type under
 * a line that names another -- a renewal without regenerate reuses
 * LABEL, one with regenerate makes LABEL# of the new type and promotes
 * it over LABEL -- so it is refused, and the operator names a new label
 * (the next enrollment or renewal makes that key).  A sub-cs's or an
 * RA's trustpoint holds the CA's own key: the server's `eckeypair` is
 * locked while the CA exists (ca.c), not checked here.  No key under the
 * label yet, or a keystore that does not answer: nothing to compare, 0.
 */
int tp_key_type_check(struct pkiks *ks, const struct pkid_config *cfg,
		      const struct pkid_trustpoint_config *c,
		      const char *conf_path, char *why, size_t n)
{
	const struct pkid_server_config *srv = pkid_config_server(cfg, c->name);
	struct pkiks_key_info info = {0};
	enum pkiks_key_type want = conf_key_type(c);

	if (srv && (srv->mode == PKID_MODE_SUB_CS || srv->mode == PKID_MODE_RA))
		return 0;
	if (pkiks_key_get(ks, c->rsakeypair, &info) < 0)
		return 0;
	free(info.pubkey);
	if (info.type == want)
		return 0;
	snprintf(why, n,
		 "%s:%u: trustpoint %s: key %s in the keystore is %s; the "
		 "configuration names %s: a key's type cannot change under "
		 "its label (its certificate and requests are for that key): "
		 "name a new label to move to another type (the next "
		 "enrollment or renewal makes it)",
		 conf_path, c->ec_bits ? c->ec_line : c->line, c->name,
		 c->rsakeypair,
		 info.type == PKIKS_KEY_RSA ? "RSA"
		 : info.type == PKIKS_KEY_EC_P384 ? "EC P-384"
						  : "EC P-256",
		 key_type_words(want));
	return -EPERM;
}
