/* SPDX-License-Identifier: GPL-2.0 */
/* The keystore: named RSA and EC keys, looked up under RCU, used by
 * reference. */
#ifndef PKIKS_KEYS_H
#define PKIKS_KEYS_H

#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>

#include "uapi/pkiks.h"
#include "der.h"
#include "ec.h"
#include "rsa.h"

struct pkiks_key {
	struct list_head list; /* keys_list: RCU readers, keys_lock writers */
	struct rcu_head rcu;
	refcount_t ref; /* the list holds one; each user one more */
	char name[PKIKS_NAME_MAX];
	u32 uid;
	u32 usage; /* PKIKS_USAGE_* */
	u32 type;  /* enum pkiks_key_type: which of rsa / ec holds the key */
	u8 spki[PKIKS_SPKI_MAX];
	size_t spki_len;
	struct pkiks_rsa rsa;
	struct pkiks_ec ec;
};

int pkiks_keys_init(void);
void pkiks_keys_uninit(void);

/* A new key from big-endian parts (checked); NULL-free on error. */
int pkiks_key_create(const char *name, u32 uid, u32 usage,
		     const struct pkiks_rsa_be *be, struct pkiks_key **out);
/* An EC key (v3) from its big-endian scalar; SIGN and/or DERIVE (v5). */
int pkiks_key_create_ec(const char *name, u32 uid, u32 usage, u32 type,
			const u8 *d, size_t d_len, struct pkiks_key **out);
/* The size the protocol reports: modulus or curve bits. */
u32 pkiks_key_bits(const struct pkiks_key *key);
/* Wipes and frees a key never added to the store. */
void pkiks_key_destroy(struct pkiks_key *key);

/* Takes over key (the list's reference): -EEXIST / -EPERM / -EDQUOT. */
int pkiks_key_add(struct pkiks_key *key, bool replace, u32 uid, bool admin);
/* A referenced key, or NULL; pkiks_key_put() when done. */
struct pkiks_key *pkiks_key_lookup(const char *name);
void pkiks_key_put(struct pkiks_key *key);
int pkiks_key_delete(const char *name, u32 uid, bool admin);
int pkiks_key_promote(const char *name, u32 uid, bool admin);
/* The idx-th key visible to uid (all for admin), referenced, or NULL. */
struct pkiks_key *pkiks_key_nth(unsigned long idx, u32 uid, bool admin);

/*
 * Key names: 1..PKIKS_NAME_MAX-1 bytes of [A-Za-z0-9._-], optionally ending
 * in one '#' (allow_hash); timer owners: the same alphabet without '#'.
 */
bool pkiks_name_valid(const char *name, bool allow_hash);

#endif /* PKIKS_KEYS_H */
