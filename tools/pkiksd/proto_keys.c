// SPDX-License-Identifier: MIT
/*
 * pkiksd's key commands: import, get/list, delete, promote, sign, decrypt,
 * derive (v5), wrap, unwrap, KEK.  Checks (names, sizes, rights) happen here; the
 * cryptography is in keys.c and wrap.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <openssl/crypto.h>

#include "pkiksd.h"

static const char *name_of(struct req *r)
{
	struct nlattr *a = r->tb[PKIKS_ATTR_KEY_NAME];

	return a ? nla_get_string(a) : NULL;
}

static uint32_t u32_or(struct req *r, int attr, uint32_t dflt)
{
	return r->tb[attr] ? nla_get_u32(r->tb[attr]) : dflt;
}

/* Owner of a new key: the caller, or whom an admin names. */
static int owner_of(struct req *r, uint32_t *owner)
{
	*owner = r->who->uid;
	if (!r->tb[PKIKS_ATTR_OWNER_UID])
		return 0;
	if (!r->who->admin)
		return -EPERM;
	*owner = nla_get_u32(r->tb[PKIKS_ATTR_OWNER_UID]);
	return 0;
}

static int reply_key(struct req *r, const struct twin_key *k)
{
	int err = proto_reply_new(r);

	return err ? err : put_key_info(r->reply, k);
}

static int parts_from_attrs(struct req *r, struct rsa_parts *p)
{
	int i;

	for (i = 0; i < 8; i++) {
		struct nlattr *a = r->tb[PKIKS_ATTR_RSA_N + i];

		if (!a)
			return -EINVAL;
		p->v[i] = nla_data(a);
		p->len[i] = nla_len(a);
	}
	return 0;
}

/*
 * The key a KEY_IMPORT describes: RSA parts (no KEY_TYPE, or RSA), or an
 * EC scalar (v3) and nothing of RSA.  The slow part, outside the lock.
 */
static int build_from_attrs(struct req *r, EVP_PKEY **pkey, uint32_t *bits)
{
	uint32_t type = u32_or(r, PKIKS_ATTR_KEY_TYPE, PKIKS_KEY_RSA);
	struct nlattr *ec = r->tb[PKIKS_ATTR_EC_PRIV];
	struct rsa_parts parts = {0};
	int i, err;

	if (type == PKIKS_KEY_RSA) {
		if (ec)
			return -EINVAL;
		err = parts_from_attrs(r, &parts);
		return err ?: keys_build(&parts, pkey, bits);
	}
	for (i = 0; i < 8; i++)
		if (r->tb[PKIKS_ATTR_RSA_N + i])
			return -EINVAL;
	if (!ec)
		return -EINVAL;
	return keys_build_ec(type, nla_data(ec), nla_len(ec), pkey, bits);
}

/* Insert under the lock, reply, announce. */
static int insert_and_reply(struct req *r, const char *name, uint32_t usage,
			    uint32_t owner, EVP_PKEY *pkey, uint32_t bits,
			    int replace)
{
	struct twin_key *k;
	int err;

	pthread_mutex_lock(&twin_lock);
	err = keys_insert(name, usage, owner, pkey, bits, replace, r->who, &k);
	if (!err) {
		err = reply_key(r, k);
		events_key_changed(name);
	} else {
		EVP_PKEY_free(pkey);
	}
	pthread_mutex_unlock(&twin_lock);
	return err;
}

int cmd_do_KEY_IMPORT(struct req *r)
{
	const char *name = name_of(r);
	uint32_t usage, owner, bits, flags;
	EVP_PKEY *pkey;
	int err;

	if (!name || !r->tb[PKIKS_ATTR_KEY_USAGE])
		return -EINVAL;
	if (!pkiks_key_name_valid(name))
		return -EINVAL;
	usage = nla_get_u32(r->tb[PKIKS_ATTR_KEY_USAGE]);
	flags = u32_or(r, PKIKS_ATTR_FLAGS, 0);
	if (flags & ~PKIKS_F_REPLACE)
		return -EINVAL;
	err = owner_of(r, &owner);
	if (!err)
		err = build_from_attrs(r, &pkey, &bits);
	if (err)
		return err;
	return insert_and_reply(r, name, usage, owner, pkey, bits,
				flags & PKIKS_F_REPLACE);
}

int cmd_do_KEY_GET(struct req *r)
{
	const char *name = name_of(r);
	struct twin_key *k;
	int err;

	if (!name)
		return -EINVAL;
	pthread_mutex_lock(&twin_lock);
	k = keys_find(name, r->who, &err);
	if (k)
		err = reply_key(r, k);
	pthread_mutex_unlock(&twin_lock);
	return err;
}

/*
 * One message per key the caller may see.  They are built under the lock
 * and sent after it, so a client that does not read cannot stall others.
 */
int cmd_dump_KEY_GET(struct req *r)
{
	struct nl_msg **msgs;
	struct twin_key *k;
	int i, n = 0, err = 0;

	msgs = calloc(keys_count(), sizeof(*msgs));
	if (!msgs)
		return -ENOMEM;
	pthread_mutex_lock(&twin_lock);
	for (i = 0; i < keys_count() && !err; i++) {
		k = keys_at(i);
		if (!k || (!r->who->admin && k->owner != r->who->uid))
			continue;
		msgs[n] = proto_msg_new(PKIKS_CMD_KEY_GET, r->nlh->nlmsg_seq,
					NLM_F_MULTI);
		if (!msgs[n]) {
			err = -ENOMEM;
			break;
		}
		err = put_key_info(msgs[n++], k);
	}
	pthread_mutex_unlock(&twin_lock);
	for (i = 0; i < n; i++) {
		if (!err)
			err = proto_send(r->fd, msgs[i]);
		nlmsg_free(msgs[i]);
	}
	free(msgs);
	return err;
}

/* DELETE and PROMOTE: one step on the named key, then KEY_CHANGED. */
static int key_change(struct req *r,
		      int (*step)(const char *name, const struct peer *who))
{
	const char *name = name_of(r);
	int err;

	if (!name)
		return -EINVAL;
	pthread_mutex_lock(&twin_lock);
	err = step(name, r->who);
	if (!err)
		events_key_changed(name);
	pthread_mutex_unlock(&twin_lock);
	return err;
}

int cmd_do_KEY_DELETE(struct req *r)
{
	return key_change(r, keys_delete);
}

int cmd_do_KEY_PROMOTE(struct req *r)
{
	return key_change(r, keys_promote);
}

/* A reply carrying one binary attribute (as the module's nl_reply_binary). */
static int reply_binary(struct req *r, int type, size_t len, const void *data)
{
	int err = proto_reply_new(r);

	if (!err && nla_put(r->reply, type, len, data))
		err = -EMSGSIZE;
	return err;
}

/*
 * A reference to a usable key: exists, caller's, usage allows, and for
 * signing the time is authoritative.
 */
static int key_ref(struct req *r, uint32_t usage, int need_time,
		   EVP_PKEY **pkey)
{
	const char *name = name_of(r);
	struct twin_key *k;
	int err;

	if (!name)
		return -EINVAL;
	pthread_mutex_lock(&twin_lock);
	if (clock_check())
		twin_time_changed(1);
	k = keys_find(name, r->who, &err);
	if (k && !(k->usage & usage))
		err = -EKEYREJECTED;
	else if (k && need_time && !clock_authoritative())
		err = -EAGAIN;
	else if (k && !EVP_PKEY_up_ref(k->pkey))
		err = -ENOMEM;
	if (!err)
		*pkey = k->pkey;
	pthread_mutex_unlock(&twin_lock);
	return err;
}

int cmd_do_KEY_SIGN(struct req *r)
{
	struct nlattr *dg = r->tb[PKIKS_ATTR_DIGEST];
	unsigned char sig[PKIKS_RSA_MAX_BYTES];
	size_t sig_len = sizeof(sig);
	EVP_PKEY *pkey;
	int err;

	if (!dg || !r->tb[PKIKS_ATTR_HASH])
		return -EINVAL;
	err = key_ref(r, PKIKS_USAGE_SIGN, 1, &pkey);
	if (err)
		return err;
	/* Outside the lock: signatures from several clients run at once. */
	err = keys_sign(pkey, nla_get_u32(r->tb[PKIKS_ATTR_HASH]), nla_data(dg),
			nla_len(dg), sig, &sig_len);
	EVP_PKEY_free(pkey);
	if (!err)
		err = reply_binary(r, PKIKS_ATTR_SIGNATURE, sig_len, sig);
	return err;
}

int cmd_do_KEY_DECRYPT(struct req *r)
{
	struct nlattr *in = r->tb[PKIKS_ATTR_DATA];
	unsigned char out[PKIKS_RSA_MAX_BYTES];
	size_t out_len = sizeof(out);
	EVP_PKEY *pkey;
	int err;

	if (!in)
		return -EINVAL;
	err = key_ref(r, PKIKS_USAGE_DECRYPT, 0, &pkey);
	if (err)
		return err;
	err = keys_decrypt(pkey, nla_data(in), nla_len(in), out, &out_len);
	EVP_PKEY_free(pkey);
	if (!err)
		err = reply_binary(r, PKIKS_ATTR_DATA, out_len, out);
	explicit_bzero(out, sizeof(out));
	return err;
}

/* v5: ECDH with the caller's EC key (usage DERIVE) and the peer's point. */
int cmd_do_KEY_DERIVE(struct req *r)
{
	struct nlattr *pt = r->tb[PKIKS_ATTR_EC_POINT];
	unsigned char out[PKIKS_EC_MAX_BYTES];
	size_t out_len = sizeof(out);
	EVP_PKEY *pkey;
	int err;

	if (!pt)
		return -EINVAL;
	err = key_ref(r, PKIKS_USAGE_DERIVE, 0, &pkey);
	if (err)
		return err;
	err = keys_derive(pkey, nla_data(pt), nla_len(pt), out, &out_len);
	EVP_PKEY_free(pkey);
	if (!err)
		err = reply_binary(r, PKIKS_ATTR_DATA, out_len, out);
	explicit_bzero(out, sizeof(out));
	return err;
}

int cmd_do_KEY_WRAP(struct req *r)
{
	const char *name = name_of(r);
	unsigned char *blob = NULL;
	struct twin_key *k;
	size_t len = 0;
	int err;

	if (!name)
		return -EINVAL;
	pthread_mutex_lock(&twin_lock);
	k = keys_find(name, r->who, &err);
	if (k)
		err = wrap_key(k, &blob, &len);
	pthread_mutex_unlock(&twin_lock);
	if (!err)
		err = reply_binary(r, PKIKS_ATTR_WRAPPED, len, blob);
	OPENSSL_free(blob);
	return err;
}

int cmd_do_KEY_UNWRAP(struct req *r)
{
	struct nlattr *w = r->tb[PKIKS_ATTR_WRAPPED];
	char name[PKIKS_NAME_MAX];
	uint32_t owner, usage, bits, flags;
	EVP_PKEY *pkey = NULL;
	int err;

	if (!w)
		return -EINVAL;
	flags = u32_or(r, PKIKS_ATTR_FLAGS, 0);
	if (flags & ~PKIKS_F_REPLACE)
		return -EINVAL;
	if (name_of(r) && !pkiks_key_name_valid(name_of(r)))
		return -EINVAL;
	pthread_mutex_lock(&twin_lock);
	err = wrap_open(nla_data(w), nla_len(w), name, &owner, &usage, &pkey,
			&bits);
	pthread_mutex_unlock(&twin_lock);
	if (err)
		return err;
	if (!r->who->admin && owner != r->who->uid) {
		EVP_PKEY_free(pkey);
		return -EPERM;
	}
	if (name_of(r))
		snprintf(name, sizeof(name), "%s", name_of(r));
	return insert_and_reply(r, name, usage, owner, pkey, bits,
				flags & PKIKS_F_REPLACE);
}

int cmd_do_KEK_SET(struct req *r)
{
	struct nlattr *a = r->tb[PKIKS_ATTR_KEK];
	int err;

	if (!a)
		return -EINVAL;
	pthread_mutex_lock(&twin_lock);
	err = wrap_kek_set(nla_data(a), nla_len(a));
	pthread_mutex_unlock(&twin_lock);
	return err;
}
