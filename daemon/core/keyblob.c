// SPDX-License-Identifier: MIT
/*
 * Wrapped blobs of pkid's keystore keys: store after keygen and promote,
 * restore what the keystore lost (daemon/core/keyblob.h).
 *
 * Promotion NAME# -> NAME moves the stored blob first, then the keystore
 * key, then wraps NAME afresh.  At each crash point:
 *   - after the blob move, keystore alive: the keystore still has the old
 *     NAME and NAME#, the database only NAME (the new key).  The sync at
 *     start stores both keystore keys again (the keystore is the truth),
 *     and the caller, whose own state still says "promote", promotes.
 *   - after the blob move, keystore restarted: NAME comes back as the new
 *     key and NAME# does not; the caller sees NAME# gone and checks that
 *     NAME is the new key (ca_rollover.c: promote_key).
 *   - after the keystore promote: NAME's blob is already the new key.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyblob.h"
#include "log.h"
#include "testhook.h"

#define KEYBLOB_FIX                                                            \
	"provision one at every boot with `pkiks-kek FILE` (kernel "           \
	"keystore) or start pkiksd with --kek-file FILE, always the same FILE"

/* Once per process: the operator needs the fix, not one line per key. */
static atomic_bool warned_no_kek;

static void warn_not_persisted(const char *name)
{
	if (atomic_exchange(&warned_no_kek, true))
		return;
	pkid_log(LOG_WARNING, "KEY_NOT_PERSISTED",
		 "the keystore has no key-encryption key: key %s (and every "
		 "other key pkid makes) will not survive a keystore restart, "
		 "reboot or module reload; " KEYBLOB_FIX,
		 name);
}

static bool same_pubkey(const struct db_keyblob *kb,
			const struct pkiks_key_info *info)
{
	return kb->pubkey_len == info->pubkey_len &&
	       memcmp(kb->pubkey, info->pubkey, kb->pubkey_len) == 0;
}

int keyblob_save(struct pkiks *ks, struct db *db, const char *name)
{
	struct pkiks_key_info info = {0};
	struct db_keyblob kb = {0};
	int ret;

	if (snprintf(kb.name, sizeof(kb.name), "%s", name) >=
	    (int)sizeof(kb.name))
		return -ENAMETOOLONG;
	ret = pkiks_key_get(ks, name, &info);
	if (ret < 0)
		goto out;
	ret = pkiks_key_wrap(ks, name, &kb.blob, &kb.blob_len);
	if (ret == -ENOKEY) {
		warn_not_persisted(name);
		ret = 0;
		goto out;
	}
	if (ret == 0) {
		kb.pubkey = info.pubkey;
		kb.pubkey_len = info.pubkey_len;
		info.pubkey = NULL;
		ret = db_keyblob_put(db, &kb);
	}
out:
	if (ret < 0)
		pkid_log(LOG_ERR, "KEY_NOT_PERSISTED",
			 "key %s: cannot store its wrapped blob: %s", name,
			 strerror(-ret));
	db_keyblob_free(&kb);
	free(info.pubkey);
	return ret;
}

/* What became of restoring key @name (restore()'s return). */
static void log_restore(const char *name, int ret)
{
	if (ret == 0)
		pkid_log(LOG_NOTICE, "KEY_RESTORED",
			 "key %s restored into the keystore from its wrapped "
			 "blob",
			 name);
	else if (ret == -ENOKEY)
		pkid_log(LOG_ERR, "KEY_RESTORE_FAILED",
			 "key %s is not in the keystore and its stored blob "
			 "cannot be opened: the keystore has no key-encryption "
			 "key; " KEYBLOB_FIX,
			 name);
	else if (ret == -EKEYREJECTED)
		pkid_log(LOG_ERR, "KEY_RESTORE_FAILED",
			 "key %s is not in the keystore and its stored blob "
			 "holds another key (not the public key recorded with "
			 "it); pkid will not use it, nor make a new one",
			 name);
	else
		pkid_log(LOG_ERR, "KEY_RESTORE_FAILED",
			 "key %s is not in the keystore and its stored wrapped "
			 "blob does not open (%s): tampered with, or sealed "
			 "under another key-encryption key; pkid will not "
			 "replace this key with a new one",
			 name, strerror(-ret));
}

/*
 * Unwrap kb into the keystore under its name.  It must be the key whose
 * public half was recorded with it: a valid blob of another key (moved
 * between rows) is removed again, -EKEYREJECTED.
 */
static int restore(struct pkiks *ks, const struct db_keyblob *kb)
{
	struct pkiks_key_info info = {0};
	int ret = pkiks_key_unwrap(ks, kb->blob, kb->blob_len, kb->name, 0,
				   &info);

	if (ret == 0 && !same_pubkey(kb, &info)) {
		pkiks_key_delete(ks, kb->name);
		ret = -EKEYREJECTED;
	}
	free(info.pubkey);
	log_restore(kb->name, ret);
	return ret;
}

int keyblob_sync(struct pkiks *ks, struct db *db, const char *name)
{
	struct pkiks_key_info info = {0};
	struct db_keyblob kb = {0};
	int have, ret;

	have = pkiks_key_get(ks, name, &info);
	if (have < 0 && have != -ENOENT)
		return have;
	ret = db_keyblob_get(db, name, &kb);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	if (have == 0) {
		/* The keystore's key wins; store it if we hold another.  The
		 * key is usable either way: a failure is logged, not fatal. */
		if (ret < 0 || !same_pubkey(&kb, &info))
			keyblob_save(ks, db, name);
		ret = 0;
		goto out;
	}
	if (ret == 0)
		ret = restore(ks, &kb);
out:
	db_keyblob_free(&kb);
	free(info.pubkey);
	return ret;
}

int keyblob_import(struct pkiks *ks, struct db *db, const char *name,
		   bool drop_orphan)
{
	struct pkiks_key_info info = {0};
	struct db_keyblob kb = {0};
	int have, ret;

	have = pkiks_key_get(ks, name, &info);
	if (have < 0 && have != -ENOENT)
		return have;
	ret = db_keyblob_get(db, name, &kb);
	if (ret == -ENOENT && have == 0 && drop_orphan) {
		ret = pkiks_key_delete(ks, name);
		if (ret == 0)
			pkid_log(LOG_NOTICE, "KEY_DROPPED",
				 "key %s deleted from the keystore: the "
				 "database holds no such key any more",
				 name);
		ret = ret ?: -ENOENT;
	} else if (ret == -ENOENT && have == 0) {
		keyblob_save(ks, db, name); /* logged if it fails */
		ret = 0;
	} else if (ret == 0 && !(have == 0 && same_pubkey(&kb, &info))) {
		if (have == 0) {
			pkid_log(LOG_NOTICE, "KEY_REPLACED",
				 "key %s in the keystore is not the one the "
				 "database holds: replaced from its blob",
				 name);
			ret = pkiks_key_delete(ks, name);
		}
		ret = ret ?: restore(ks, &kb);
	}
	db_keyblob_free(&kb);
	free(info.pubkey);
	return ret;
}

int keyblob_sync_all(struct pkiks *ks, struct db *db, const char *const *names,
		     size_t n, const char **failed)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		if (!names[i] || !names[i][0])
			continue;
		ret = keyblob_sync(ks, db, names[i]);
		if (ret < 0 && ret != -ENOENT) {
			if (failed)
				*failed = names[i];
			return ret;
		}
	}
	return 0;
}

int keyblob_delete(struct pkiks *ks, struct db *db, const char *name)
{
	int ret = pkiks_key_delete(ks, name);

	if (ret < 0 && ret != -ENOENT)
		return ret;
	/* The keystore key first: a crash between leaves a blob that the
	 * next sync restores, and the caller deletes again. */
	ret = db_keyblob_delete(db, name);
	return ret == -ENOENT ? 0 : ret;
}

int keyblob_promote(struct pkiks *ks, struct db *db, const char *name)
{
	char next[PKIKS_NAME_MAX];
	int ret;

	if (snprintf(next, sizeof(next), "%s#", name) >= (int)sizeof(next))
		return -ENAMETOOLONG;
	ret = db_keyblob_move(db, next, name);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	pkid_test_crash("keyblob-moved");
	ret = pkiks_key_promote(ks, name);
	/* The blob names the key NAME#: wrap it again under its name. */
	return ret ?: keyblob_save(ks, db, name);
}
