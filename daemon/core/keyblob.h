/* SPDX-License-Identifier: MIT */
/*
 * pkid's keys outlive the keystore.  The keystore (pkiks.ko or pkiksd)
 * holds keys in memory only; for every key pkid makes it returns a blob
 * sealed under the keystore's key-encryption key (KEY_WRAP), which pkid
 * stores in its database (table key_blob, by key name) and gives back
 * (KEY_UNWRAP) when the keystore has lost the key: after a pkiksd
 * restart, a reboot or an rmmod/insmod.  pkid cannot open a blob.
 *
 * The keystore is the truth for a key it holds; the stored blob is the
 * truth for a key it lacks.  Every step below can run again, so a crash
 * anywhere leaves a state that the next keyblob_sync() puts right.
 *
 * Without a KEK (-ENOKEY) keys still work but are not kept: one warning
 * (KEY_NOT_PERSISTED) says so and how to provision one.  Every function
 * returns 0 or a negative errno.
 */
#ifndef PKID_KEYBLOB_H
#define PKID_KEYBLOB_H

#include "db.h"
#include "keystore.h"

/* After keystore key @name was made or replaced: wrap it and store. */
int keyblob_save(struct pkiks *ks, struct db *db, const char *name);
/*
 * Make keystore and database agree on @name: a key the keystore lacks is
 * unwrapped from its stored blob; a key it holds is stored if its blob
 * is missing or is another key's.  -ENOENT if neither has it.  A key
 * that cannot come back is logged (KEY_RESTORE_FAILED) naming it:
 * -EBADMSG a blob that does not open (tampered, or another KEK), -ENOKEY
 * no KEK to open it, -EKEYREJECTED a valid blob of another key.
 */
int keyblob_sync(struct pkiks *ks, struct db *db, const char *name);
/* keyblob_sync() over @names (NULL or "" entries skipped), stopping at
 * the first error other than -ENOENT; *failed (may be NULL) names it. */
int keyblob_sync_all(struct pkiks *ks, struct db *db, const char *const *names,
		     size_t n, const char **failed);
/*
 * On a database several nodes share (issue 18) the stored blob is the
 * truth: every node's keystore holds its own copy of the CA's keys, and
 * a node's copy may be older than what the leader did since (a promotion
 * renamed NAME# to NAME).  A key the keystore lacks, or holds as another
 * key than the blob's, is (re)placed from the blob: the operator gives
 * every node's keystore the same KEK, so the blob one keystore wrapped
 * opens in another, and no node ever sees the key in clear.  A keystore
 * key without a blob is stored (as keyblob_sync does), unless
 * @drop_orphan: then it is a leftover (a rollover key after the
 * promotion another node made) and is deleted, -ENOENT.
 */
int keyblob_import(struct pkiks *ks, struct db *db, const char *name,
		   bool drop_orphan);
/* Delete keystore key @name and its blob; either missing is fine. */
int keyblob_delete(struct pkiks *ks, struct db *db, const char *name);
/* Keystore promote @name# -> @name, the stored blob with it (see .c). */
int keyblob_promote(struct pkiks *ks, struct db *db, const char *name);

#endif /* PKID_KEYBLOB_H */
