// SPDX-License-Identifier: GPL-2.0
/*
 * Keystore commands: import, get/list, delete, promote, sign, decrypt,
 * wrap, unwrap, KEK, derive (v5).  Each handler: check the caller, check the
 * attributes, do one thing, reply.  The policy table in netlink.c has
 * already checked every attribute's type and length.
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "uapi/pkiks.h"
#include "netlink.h"
#include "nl.h"
#include "wrap.h"

static const int rsa_attrs[PKIKS_RSA_NPARTS] = {
	PKIKS_ATTR_RSA_N,  PKIKS_ATTR_RSA_E,	PKIKS_ATTR_RSA_D,
	PKIKS_ATTR_RSA_P,  PKIKS_ATTR_RSA_Q,	PKIKS_ATTR_RSA_DP,
	PKIKS_ATTR_RSA_DQ, PKIKS_ATTR_RSA_QINV,
};

/* The private parts leave the request buffer as soon as we are done. */
static void wipe_secrets(struct genl_info *info)
{
	struct nlattr *a;
	int i;

	for (i = 0; i < PKIKS_RSA_NPARTS; i++) {
		a = info->attrs[rsa_attrs[i]];
		if (a)
			memzero_explicit(nla_data(a), nla_len(a));
	}
	a = info->attrs[PKIKS_ATTR_KEK];
	if (a)
		memzero_explicit(nla_data(a), nla_len(a));
	a = info->attrs[PKIKS_ATTR_EC_PRIV];
	if (a)
		memzero_explicit(nla_data(a), nla_len(a));
}

static int rsa_parts(struct genl_info *info, struct pkiks_rsa_be *be)
{
	const u8 **ptr[PKIKS_RSA_NPARTS] = {&be->n,  &be->e,   &be->d,
					    &be->p,  &be->q,   &be->dp,
					    &be->dq, &be->qinv};
	size_t *lens[PKIKS_RSA_NPARTS] = {
		&be->n_len, &be->e_len,	 &be->d_len,  &be->p_len,
		&be->q_len, &be->dp_len, &be->dq_len, &be->qinv_len};
	int i;

	for (i = 0; i < PKIKS_RSA_NPARTS; i++) {
		if (GENL_REQ_ATTR_CHECK(info, rsa_attrs[i]))
			return -EINVAL;
		*ptr[i] = nla_data(info->attrs[rsa_attrs[i]]);
		*lens[i] = nla_len(info->attrs[rsa_attrs[i]]);
	}
	return 0;
}

static u32 flags_of(struct genl_info *info)
{
	return info->attrs[PKIKS_ATTR_FLAGS]
		       ? nla_get_u32(info->attrs[PKIKS_ATTR_FLAGS])
		       : 0;
}

/* Replies with the key's info, then hands the key to the store. */
static int add_and_reply(struct genl_info *info, const struct nl_caller *c,
			 struct pkiks_key *key)
{
	char name[PKIKS_NAME_MAX];
	struct sk_buff *skb;
	void *hdr;
	int err;

	strscpy(name, key->name, sizeof(name)); /* key belongs to the store */
	skb = nl_reply_new(info, &hdr);
	if (!skb) {
		pkiks_key_destroy(key);
		return -ENOMEM;
	}
	err = nl_put_key(skb, key);
	if (err) {
		pkiks_key_destroy(key);
		goto err_skb;
	}
	err = pkiks_key_add(key, flags_of(info) & PKIKS_F_REPLACE, c->uid,
			    c->admin);
	if (err)
		goto err_skb;
	pkiks_nl_event_key(name);
	return nl_reply_send(skb, hdr, info);

err_skb:
	nlmsg_free(skb);
	return err;
}

/* v3: an EC key is KEY_TYPE + EC_PRIV and nothing of RSA. */
static int ec_key_of(struct genl_info *info, const char *name, u32 uid,
		     u32 usage, u32 type, struct pkiks_key **key)
{
	struct nlattr *d = info->attrs[PKIKS_ATTR_EC_PRIV];
	int i, err;

	for (i = 0; i < PKIKS_RSA_NPARTS; i++)
		if (info->attrs[rsa_attrs[i]])
			return -EINVAL;
	if (GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_EC_PRIV))
		return -EINVAL;
	err = pkiks_key_create_ec(name, uid, usage, type, nla_data(d),
				  nla_len(d), key);
	if (err)
		GENL_SET_ERR_MSG(info, "pkiks: EC key rejected (scalar, usage)");
	return err;
}

static int rsa_key_of(struct genl_info *info, const char *name, u32 uid,
		      u32 usage, struct pkiks_key **key)
{
	struct pkiks_rsa_be be;
	int err;

	if (info->attrs[PKIKS_ATTR_EC_PRIV] || rsa_parts(info, &be))
		return -EINVAL;
	err = pkiks_key_create(name, uid, usage, &be, key);
	if (err)
		GENL_SET_ERR_MSG(info,
				 "pkiks: RSA key rejected (size, consistency)");
	return err;
}

int nl_do_KEY_IMPORT(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_key *key;
	struct nl_caller c;
	const char *name;
	u32 uid, usage, type;
	int err;

	nl_caller_of(skb, &c);
	err = -EINVAL;
	name = nl_name_attr(info, PKIKS_ATTR_KEY_NAME, true);
	if (!name || GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_KEY_USAGE))
		goto out;
	usage = nla_get_u32(info->attrs[PKIKS_ATTR_KEY_USAGE]);
	type = info->attrs[PKIKS_ATTR_KEY_TYPE]
		       ? nla_get_u32(info->attrs[PKIKS_ATTR_KEY_TYPE])
		       : PKIKS_KEY_RSA;
	if (!usage)
		goto out;
	err = nl_owner_for(info, &c, &uid);
	if (err)
		goto out;
	if (type == PKIKS_KEY_RSA)
		err = rsa_key_of(info, name, uid, usage, &key);
	else
		err = ec_key_of(info, name, uid, usage, type, &key);
	if (err)
		goto out;
	err = add_and_reply(info, &c, key);
out:
	wipe_secrets(info);
	return err;
}

int nl_do_KEY_GET(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_key *key;
	struct nl_caller c;
	struct sk_buff *msg;
	void *hdr;
	int err;

	nl_caller_of(skb, &c);
	err = nl_key_for(info, &c, &key);
	if (err)
		return err;
	err = -ENOMEM;
	msg = nl_reply_new(info, &hdr);
	if (!msg)
		goto out;
	err = nl_put_key(msg, key);
	if (err)
		nlmsg_free(msg);
	else
		err = nl_reply_send(msg, hdr, info);
out:
	pkiks_key_put(key);
	return err;
}

/* cb->args: [0] next index, [1] caller uid, [2] 1 + admin once known. */
int nl_dump_KEY_GET(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pkiks_key *key;
	struct nl_caller c;
	void *hdr;
	int err = 0;

	if (!cb->args[2]) { /* nl_dump_start checked the right */
		nl_caller_of(cb->skb, &c);
		cb->args[1] = c.uid;
		cb->args[2] = 1 + c.admin;
	}
	while ((key = pkiks_key_nth(cb->args[0], cb->args[1],
				    cb->args[2] == 2))) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &pkiks_family,
				  NLM_F_MULTI, PKIKS_CMD_KEY_GET);
		err = hdr ? nl_put_key(skb, key) : -EMSGSIZE;
		pkiks_key_put(key);
		if (err) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	/* A full skb ends this round; the next call resumes at args[0]. */
	return skb->len;
}

/*
 * DELETE and PROMOTE: one step on the named key, then the KEY_CHANGED
 * event.  @allow_hash: whether the name may end in '#' (a shadow key).
 */
static int key_change(struct sk_buff *skb, struct genl_info *info,
		      bool allow_hash,
		      int (*step)(const char *name, u32 uid, bool admin))
{
	struct nl_caller c;
	const char *name;
	int err;

	nl_caller_of(skb, &c);
	name = nl_name_attr(info, PKIKS_ATTR_KEY_NAME, allow_hash);
	if (!name)
		return -EINVAL;
	err = step(name, c.uid, c.admin);
	if (!err)
		pkiks_nl_event_key(name);
	return err;
}

int nl_do_KEY_DELETE(struct sk_buff *skb, struct genl_info *info)
{
	return key_change(skb, info, true, pkiks_key_delete);
}

int nl_do_KEY_PROMOTE(struct sk_buff *skb, struct genl_info *info)
{
	return key_change(skb, info, false, pkiks_key_promote);
}

/* The caller's key, if its usage allows @usage (else -EKEYREJECTED). */
static int key_for_use(struct genl_info *info, const struct nl_caller *c,
		       u32 usage, struct pkiks_key **key)
{
	int err = nl_key_for(info, c, key);

	if (err)
		return err;
	if (!((*key)->usage & usage)) {
		pkiks_key_put(*key);
		return -EKEYREJECTED;
	}
	return 0;
}

/* The signature's length into sig, or a negative errno. */
static int sign_with(const struct pkiks_key *key, u32 hash, const u8 *digest,
		     size_t len, u8 *sig)
{
	static const u8 sizes[__PKIKS_HASH_MAX] = {
		[PKIKS_HASH_SHA1] = 20, [PKIKS_HASH_SHA256] = 32,
		[PKIKS_HASH_SHA384] = 48, [PKIKS_HASH_SHA512] = 64};
	int err;

	if (key->type == PKIKS_KEY_RSA) {
		err = pkiks_rsa_sign(&key->rsa, hash, digest, len, sig);
		return err ?: pkiks_rsa_size(&key->rsa);
	}
	/* ECDSA signs the digest alone: it must be HASH's size. */
	if (hash >= __PKIKS_HASH_MAX || len != sizes[hash])
		return -EINVAL;
	return pkiks_ec_sign(&key->ec, digest, len, sig);
}

int nl_do_KEY_SIGN(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_key *key;
	struct nl_caller c;
	struct nlattr *digest;
	u8 *sig = NULL;
	u64 now;
	int err;

	nl_caller_of(skb, &c);
	if (GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_HASH) ||
	    GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_DIGEST))
		return -EINVAL;
	err = key_for_use(info, &c, PKIKS_USAGE_SIGN, &key);
	if (err)
		return err;
	err = pkiks_clock_now(&now);
	if (err) {
		GENL_SET_ERR_MSG(info, "pkiks: time is not authoritative");
		goto out;
	}
	err = -ENOMEM;
	sig = kmalloc(PKIKS_RSA_MAX_BYTES, GFP_KERNEL);
	if (!sig)
		goto out;
	digest = info->attrs[PKIKS_ATTR_DIGEST];
	err = sign_with(key, nla_get_u32(info->attrs[PKIKS_ATTR_HASH]),
			nla_data(digest), nla_len(digest), sig);
	if (err >= 0)
		err = nl_reply_binary(info, PKIKS_ATTR_SIGNATURE, sig, err);
out:
	kfree(sig);
	pkiks_key_put(key);
	return err;
}

int nl_do_KEY_DECRYPT(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_key *key;
	struct nl_caller c;
	struct nlattr *data;
	u8 *out = NULL;
	int err, len;

	nl_caller_of(skb, &c);
	if (GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_DATA))
		return -EINVAL;
	err = key_for_use(info, &c, PKIKS_USAGE_DECRYPT, &key);
	if (err)
		return err;
	err = -ENOMEM;
	out = kzalloc(PKIKS_RSA_MAX_BYTES, GFP_KERNEL);
	if (!out)
		goto out;
	data = info->attrs[PKIKS_ATTR_DATA];
	len = pkiks_rsa_decrypt(&key->rsa, nla_data(data), nla_len(data), out,
				PKIKS_RSA_MAX_BYTES);
	err = len < 0 ? len : nl_reply_binary(info, PKIKS_ATTR_DATA, out, len);
out:
	kfree_sensitive(out);
	pkiks_key_put(key);
	return err;
}

/* v5: ECDH with the caller's EC key (usage DERIVE) and the peer's point. */
int nl_do_KEY_DERIVE(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_key *key;
	struct nl_caller c;
	struct nlattr *pt;
	u8 *out = NULL;
	int err, len;

	nl_caller_of(skb, &c);
	if (GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_EC_POINT))
		return -EINVAL;
	/* only EC keys hold DERIVE: an RSA key is EKEYREJECTED here */
	err = key_for_use(info, &c, PKIKS_USAGE_DERIVE, &key);
	if (err)
		return err;
	err = -ENOMEM;
	out = kzalloc(PKIKS_EC_MAX_BYTES, GFP_KERNEL);
	if (!out)
		goto out;
	pt = info->attrs[PKIKS_ATTR_EC_POINT];
	len = pkiks_ec_derive(&key->ec, nla_data(pt), nla_len(pt), out);
	if (len == -EINVAL)
		GENL_SET_ERR_MSG(info, "pkiks: not a point of the key's curve");
	err = len < 0 ? len : nl_reply_binary(info, PKIKS_ATTR_DATA, out, len);
out:
	kfree_sensitive(out);
	pkiks_key_put(key);
	return err;
}

int nl_do_KEY_WRAP(struct sk_buff *skb, struct genl_info *info)
{
	struct pkiks_key *key;
	struct nl_caller c;
	u8 *blob = NULL;
	size_t len;
	int err;

	nl_caller_of(skb, &c);
	err = nl_key_for(info, &c, &key);
	if (err)
		return err;
	err = pkiks_key_wrap(key, &blob, &len);
	if (!err)
		err = nl_reply_binary(info, PKIKS_ATTR_WRAPPED, blob, len);
	kfree(blob);
	pkiks_key_put(key);
	return err;
}

int nl_do_KEY_UNWRAP(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *blob = info->attrs[PKIKS_ATTR_WRAPPED];
	const char *rename = NULL;
	struct pkiks_key *key;
	struct nl_caller c;
	int err;

	nl_caller_of(skb, &c);
	if (GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_WRAPPED))
		return -EINVAL;
	if (info->attrs[PKIKS_ATTR_KEY_NAME]) {
		rename = nl_name_attr(info, PKIKS_ATTR_KEY_NAME, true);
		if (!rename)
			return -EINVAL;
	}
	err = pkiks_key_unwrap(nla_data(blob), nla_len(blob), rename, &key);
	if (err)
		return err;
	if (key->uid != c.uid && !c.admin) {
		pkiks_key_destroy(key);
		return -EPERM;
	}
	return add_and_reply(info, &c, key);
}

int nl_do_KEK_SET(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *kek = info->attrs[PKIKS_ATTR_KEK];
	int err = -EINVAL;

	/* Admins only: GENL_ADMIN_PERM from PKIKS_CMD_TABLE. */
	if (!GENL_REQ_ATTR_CHECK(info, PKIKS_ATTR_KEK))
		err = pkiks_kek_set(nla_data(kek), nla_len(kek));
	wipe_secrets(info);
	return err;
}
