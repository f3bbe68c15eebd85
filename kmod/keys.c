// SPDX-License-Identifier: GPL-2.0
/*
 * The keystore.  Readers (sign, decrypt, wrap, get) find a key under RCU
 * and take a reference, so any number of private operations run at once
 * without a lock; writers (import, delete, promote) serialise on
 * keys_lock.  A key's memory is wiped when its last reference goes, after
 * an RCU grace period (readers may still be looking at the list entry).
 */
#include <linux/ctype.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "keys.h"

static DEFINE_MUTEX(keys_lock);
static LIST_HEAD(keys_list);
static unsigned int keys_count;

static void key_free_rcu(struct rcu_head *head)
{
	struct pkiks_key *key = container_of(head, struct pkiks_key, rcu);

	pkiks_rsa_wipe(&key->rsa);
	pkiks_ec_wipe(&key->ec);
	kfree_sensitive(key);
}

void pkiks_key_put(struct pkiks_key *key)
{
	if (key && refcount_dec_and_test(&key->ref))
		call_rcu(&key->rcu, key_free_rcu);
}

void pkiks_key_destroy(struct pkiks_key *key)
{
	if (!key)
		return;
	pkiks_rsa_wipe(&key->rsa);
	pkiks_ec_wipe(&key->ec);
	kfree_sensitive(key);
}

static int key_make_spki(struct pkiks_key *key)
{
	u8 *n = kmalloc(PKIKS_RSA_MAX_BYTES, GFP_KERNEL), e[8];
	size_t n_len, e_len;
	int len;

	if (!n)
		return -ENOMEM;
	n_len = pkiks_rsa_export(&key->rsa, PKIKS_RSA_N, n);
	e_len = pkiks_rsa_export(&key->rsa, PKIKS_RSA_E, e);
	len = pkiks_der_rsa_spki(key->spki, sizeof(key->spki), n, n_len, e,
				 e_len);
	kfree(n);
	if (len < 0)
		return len;
	key->spki_len = len;
	return 0;
}

static struct pkiks_key *key_alloc(const char *name, u32 uid, u32 usage,
				   u32 type)
{
	struct pkiks_key *key = kzalloc(sizeof(*key), GFP_KERNEL);

	if (!key)
		return NULL;
	refcount_set(&key->ref, 1);
	strscpy(key->name, name, sizeof(key->name));
	key->uid = uid;
	key->usage = usage;
	key->type = type;
	return key;
}

u32 pkiks_key_bits(const struct pkiks_key *key)
{
	if (key->type == PKIKS_KEY_RSA)
		return key->rsa.bits;
	return 8 * pkiks_ec_bytes(key->type);
}

int pkiks_key_create_ec(const char *name, u32 uid, u32 usage, u32 type,
			const u8 *d, size_t d_len, struct pkiks_key **out)
{
	struct pkiks_key *key;
	int len, err;

	/* An EC key signs and (v5) derives; it never decrypts (no ECIES). */
	if (!pkiks_ec_bytes(type) || !usage ||
	    usage & ~(PKIKS_USAGE_SIGN | PKIKS_USAGE_DERIVE))
		return -EINVAL;
	key = key_alloc(name, uid, usage, type);
	if (!key)
		return -ENOMEM;
	err = pkiks_ec_load(&key->ec, type, d, d_len);
	len = err ?: pkiks_ec_spki(&key->ec, key->spki, sizeof(key->spki));
	if (len < 0) {
		pkiks_key_destroy(key);
		return len;
	}
	key->spki_len = len;
	*out = key;
	return 0;
}

int pkiks_key_create(const char *name, u32 uid, u32 usage,
		     const struct pkiks_rsa_be *be, struct pkiks_key **out)
{
	struct pkiks_key *key;
	int err;

	if (usage & PKIKS_USAGE_DERIVE) /* ECDH is an EC key's */
		return -EINVAL;
	key = key_alloc(name, uid, usage, PKIKS_KEY_RSA);
	if (!key)
		return -ENOMEM;
	err = pkiks_rsa_load(&key->rsa, be);
	err = err ?: key_make_spki(key);
	if (err) {
		pkiks_key_destroy(key);
		return err;
	}
	*out = key;
	return 0;
}

static struct pkiks_key *find_locked(const char *name)
{
	struct pkiks_key *key;

	list_for_each_entry(key, &keys_list, list)
		if (!strcmp(key->name, name))
			return key;
	return NULL;
}

/* Under keys_lock: unlink and drop the list's reference. */
static void unlink_locked(struct pkiks_key *key)
{
	list_del_rcu(&key->list);
	keys_count--;
	pkiks_key_put(key);
}

int pkiks_key_add(struct pkiks_key *key, bool replace, u32 uid, bool admin)
{
	struct pkiks_key *old;
	int err = 0;

	mutex_lock(&keys_lock);
	old = find_locked(key->name);
	if (old && !replace)
		err = -EEXIST;
	else if (old && old->uid != uid && !admin)
		err = -EPERM;
	else if (!old && keys_count >= PKIKS_KEYS_MAX)
		err = -EDQUOT;
	if (err)
		goto unlock;
	if (old) {
		list_replace_rcu(&old->list, &key->list);
		pkiks_key_put(old);
	} else {
		list_add_tail_rcu(&key->list, &keys_list);
		keys_count++;
	}
unlock:
	mutex_unlock(&keys_lock);
	if (err)
		pkiks_key_destroy(key);
	return err;
}

struct pkiks_key *pkiks_key_lookup(const char *name)
{
	struct pkiks_key *key, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(key, &keys_list, list) {
		if (strcmp(key->name, name))
			continue;
		if (refcount_inc_not_zero(&key->ref))
			found = key;
		break;
	}
	rcu_read_unlock();
	return found;
}

struct pkiks_key *pkiks_key_nth(unsigned long idx, u32 uid, bool admin)
{
	struct pkiks_key *key, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(key, &keys_list, list) {
		if (!admin && key->uid != uid)
			continue;
		if (idx--)
			continue;
		if (refcount_inc_not_zero(&key->ref))
			found = key;
		break;
	}
	rcu_read_unlock();
	return found;
}

int pkiks_key_delete(const char *name, u32 uid, bool admin)
{
	struct pkiks_key *key;
	int err = 0;

	mutex_lock(&keys_lock);
	key = find_locked(name);
	if (!key)
		err = -ENOENT;
	else if (key->uid != uid && !admin)
		err = -EPERM;
	else
		unlink_locked(key);
	mutex_unlock(&keys_lock);
	return err;
}

/*
 * NAME# becomes NAME in one step for every reader: a copy of NAME# under
 * the new name replaces NAME (or is added), then NAME# is unlinked; a
 * reader sees either the old NAME or the new one, never neither.
 */
int pkiks_key_promote(const char *name, u32 uid, bool admin)
{
	char shadow[PKIKS_NAME_MAX];
	struct pkiks_key *from, *to, *copy = NULL;
	int err = 0;

	if (snprintf(shadow, sizeof(shadow), "%s#", name) >= sizeof(shadow) ||
	    strchr(name, '#'))
		return -EINVAL;
	copy = kmalloc(sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	mutex_lock(&keys_lock);
	from = find_locked(shadow);
	to = find_locked(name);
	if (!from)
		err = -ENOENT;
	else if (!admin && (from->uid != uid || (to && to->uid != uid)))
		err = -EPERM;
	if (err)
		goto unlock;
	memcpy(copy, from, sizeof(*copy));
	strscpy(copy->name, name, sizeof(copy->name));
	refcount_set(&copy->ref, 1);
	if (to) {
		list_replace_rcu(&to->list, &copy->list);
		pkiks_key_put(to);
	} else {
		list_add_tail_rcu(&copy->list, &keys_list);
		keys_count++;
	}
	copy = NULL;
	unlink_locked(from);
unlock:
	mutex_unlock(&keys_lock);
	kfree_sensitive(copy);
	return err;
}

int pkiks_keys_init(void)
{
	pkiks_ec_init();
	return 0;
}

void pkiks_keys_uninit(void)
{
	struct pkiks_key *key, *tmp;

	mutex_lock(&keys_lock);
	list_for_each_entry_safe(key, tmp, &keys_list, list)
		unlink_locked(key);
	mutex_unlock(&keys_lock);
	rcu_barrier(); /* every key_free_rcu has run: memory wiped */
}

bool pkiks_name_valid(const char *name, bool allow_hash)
{
	size_t len = strnlen(name, PKIKS_NAME_MAX), i;

	if (!len || len >= PKIKS_NAME_MAX)
		return false;
	if (allow_hash && name[len - 1] == '#')
		len--;
	if (!len)
		return false;
	/* Timer owners name sysfs directories: never "." or "..". */
	if (!allow_hash && (!strcmp(name, ".") || !strcmp(name, "..")))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}
