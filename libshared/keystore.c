// SPDX-License-Identifier: MIT
/*
 * The keystore client API (keystore.h): connection and keys.  Clock, timers
 * and events are in ks_time.c; the wire engine in ks_io.c.
 *
 * Names are not checked here: the host is the authority on what it accepts
 * and answers -EINVAL, which keeps the tests of the host honest.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks_internal.h"

/* ------------------------------------------------------------------ */
/* Connection                                                          */

void ks_log_transport(const struct pkiks *ks)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char last[sizeof(ks->path) + 16];
	char now[sizeof(last)];
	const char *quiet = getenv("PKIKS_QUIET");

	if (quiet && *quiet && strcmp(quiet, "0"))
		return;
	/* Once per process and host, not once per handle. */
	snprintf(now, sizeof(now), "%d:%s", ks->transport,
		 ks->transport == PKIKS_TRANSPORT_TWIN ? ks->path : "");
	pthread_mutex_lock(&lock);
	if (strcmp(now, last)) {
		strcpy(last, now);
		if (ks->transport == PKIKS_TRANSPORT_KERNEL)
			fprintf(stderr,
				"pkiks: using kernel keystore (pkiks.ko)\n");
		else
			fprintf(stderr,
				"pkiks: using userspace keystore pkiksd at "
				"%s\n",
				ks->path);
	}
	pthread_mutex_unlock(&lock);
}

static int open_transport(struct pkiks *ks, enum pkiks_transport want,
			  const char *path)
{
	switch (want) {
	case PKIKS_TRANSPORT_KERNEL:
		ks->transport = PKIKS_TRANSPORT_KERNEL;
		return ks_kernel_open(ks);
	case PKIKS_TRANSPORT_TWIN:
		ks->transport = PKIKS_TRANSPORT_TWIN;
		return ks_twin_open(ks, path);
	default:
		return -EINVAL;
	}
}

/*
 * AUTO: the kernel family if it resolves, else pkiksd.  Which one answered
 * is remembered for the process, so the next handle (the provider opens
 * one per thread) tries it first instead of paying a failed genl resolve
 * each time; only when the remembered one fails is the other tried (the
 * module loaded or unloaded since), and the answer remembered again.
 */
static _Atomic int auto_choice = PKIKS_TRANSPORT_AUTO;

static int open_auto(struct pkiks *ks, const char *path)
{
	int err, twin_err;

	if (auto_choice == PKIKS_TRANSPORT_TWIN) {
		twin_err = open_transport(ks, PKIKS_TRANSPORT_TWIN, path);
		if (!twin_err)
			return 0;
		/* pkiksd gone: perhaps the module has been loaded since. */
		ks_twin_close(ks);
		err = open_transport(ks, PKIKS_TRANSPORT_KERNEL, path);
		if (err) {
			ks_kernel_close(ks);
			ks->transport = PKIKS_TRANSPORT_TWIN;
			return twin_err; /* the one the caller was using */
		}
	} else {
		err = open_transport(ks, PKIKS_TRANSPORT_KERNEL, path);
		if (err) {
			/* No pkiks family here (or no generic netlink). */
			ks_kernel_close(ks);
			err = open_transport(ks, PKIKS_TRANSPORT_TWIN, path);
		}
	}
	if (!err)
		auto_choice = ks->transport;
	return err;
}

int pkiks_open(struct pkiks **out, enum pkiks_transport want,
	       const char *socket_path)
{
	struct pkiks *ks;
	int err;

	*out = NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	ks->fd = ks->ev_fd = -1;
	ks->buf = malloc(KS_RECV_BUF);
	if (!ks->buf) {
		err = -ENOMEM;
		goto fail;
	}
	/* A socket named by the caller or $PKIKS_SOCKET means pkiksd, even
	 * where the module is loaded (tests and the demo run their own). */
	if (want == PKIKS_TRANSPORT_AUTO &&
	    (socket_path || getenv("PKIKS_SOCKET")))
		want = PKIKS_TRANSPORT_TWIN;
	if (want == PKIKS_TRANSPORT_AUTO)
		err = open_auto(ks, socket_path);
	else
		err = open_transport(ks, want, socket_path);
	if (err)
		goto fail;
	ks_log_transport(ks);
	*out = ks;
	return 0;
fail:
	pkiks_close(ks);
	return err;
}

void pkiks_close(struct pkiks *ks)
{
	if (!ks)
		return;
	if (ks->transport == PKIKS_TRANSPORT_KERNEL)
		ks_kernel_close(ks);
	else
		ks_twin_close(ks);
	if (ks->buf)
		explicit_bzero(ks->buf, KS_RECV_BUF);
	free(ks->buf);
	free(ks->ev_buf);
	free(ks);
}

enum pkiks_transport pkiks_transport_of(const struct pkiks *ks)
{
	return ks->transport;
}

const char *pkiks_transport_name(const struct pkiks *ks)
{
	return ks->transport == PKIKS_TRANSPORT_KERNEL ? "kernel" : "pkiksd";
}

struct info_out {
	uint32_t *version, *features;
};

static int info_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct info_out *o = arg;

	if (!tb[PKIKS_ATTR_VERSION] || !tb[PKIKS_ATTR_FEATURES])
		return -EBADMSG;
	if (o->version)
		*o->version = nla_get_u32(tb[PKIKS_ATTR_VERSION]);
	if (o->features)
		*o->features = nla_get_u32(tb[PKIKS_ATTR_FEATURES]);
	return 0;
}

int pkiks_get_info(struct pkiks *ks, uint32_t *version, uint32_t *features)
{
	struct info_out o = {version, features};
	struct nl_msg *msg = ks_msg_new(ks, PKIKS_CMD_GET_INFO, 0);

	if (!msg)
		return -ENOMEM;
	return ks_request(ks, msg, info_cb, &o);
}

/* ------------------------------------------------------------------ */
/* Key info replies                                                    */

static int key_info_parse(struct nlattr *nest, struct pkiks_key_info *k)
{
	struct nlattr *tb[PKIKS_ATTR_MAX + 1];
	struct nlattr *pub;
	int err;

	err = ks_parse_nested(nest, tb);
	if (err)
		return err;
	pub = tb[PKIKS_ATTR_KEY_PUBKEY];
	if (!tb[PKIKS_ATTR_KEY_NAME] || !tb[PKIKS_ATTR_KEY_BITS] ||
	    !tb[PKIKS_ATTR_KEY_USAGE] || !tb[PKIKS_ATTR_OWNER_UID] || !pub)
		return -EBADMSG;
	memset(k, 0, sizeof(*k));
	nla_strlcpy(k->name, tb[PKIKS_ATTR_KEY_NAME], sizeof(k->name));
	k->bits = nla_get_u32(tb[PKIKS_ATTR_KEY_BITS]);
	k->usage = nla_get_u32(tb[PKIKS_ATTR_KEY_USAGE]);
	k->owner_uid = nla_get_u32(tb[PKIKS_ATTR_OWNER_UID]);
	/* A type from a newer host is kept as it is: the names say so. */
	if (tb[PKIKS_ATTR_KEY_TYPE])
		k->type = nla_get_u32(tb[PKIKS_ATTR_KEY_TYPE]);
	k->pubkey_len = nla_len(pub);
	k->pubkey = malloc(k->pubkey_len ? k->pubkey_len : 1);
	if (!k->pubkey)
		return -ENOMEM;
	memcpy(k->pubkey, nla_data(pub), k->pubkey_len);
	return 0;
}

/* A reply carrying one KEY; @arg is the pkiks_key_info to fill or NULL. */
static int key_one_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct pkiks_key_info *k = arg;

	if (!tb[PKIKS_ATTR_KEY])
		return -EBADMSG;
	if (!k)
		return 0;
	free(k->pubkey); /* a second KEY in one reply would leak */
	k->pubkey = NULL;
	return key_info_parse(tb[PKIKS_ATTR_KEY], k);
}

struct key_list {
	struct pkiks_key_info *keys;
	size_t count, room;
};

static int key_list_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct key_list *l = arg;
	struct pkiks_key_info *grown;
	int err;

	if (!tb[PKIKS_ATTR_KEY])
		return -EBADMSG;
	if (l->count == l->room) {
		size_t room = l->room ? 2 * l->room : 16;

		grown = realloc(l->keys, room * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		l->keys = grown;
		l->room = room;
	}
	err = key_info_parse(tb[PKIKS_ATTR_KEY], &l->keys[l->count]);
	if (err)
		return err;
	l->count++;
	return 0;
}

void pkiks_key_info_free(struct pkiks_key_info *keys, size_t count)
{
	size_t i;

	if (!keys)
		return;
	for (i = 0; i < count; i++)
		free(keys[i].pubkey);
	free(keys);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */

static int put_parts(struct nl_msg *msg, const struct pkiks_rsa_parts *p)
{
	int err = 0;

	err |= nla_put(msg, PKIKS_ATTR_RSA_N, p->n_len, p->n);
	err |= nla_put(msg, PKIKS_ATTR_RSA_E, p->e_len, p->e);
	err |= nla_put(msg, PKIKS_ATTR_RSA_D, p->d_len, p->d);
	err |= nla_put(msg, PKIKS_ATTR_RSA_P, p->p_len, p->p);
	err |= nla_put(msg, PKIKS_ATTR_RSA_Q, p->q_len, p->q);
	err |= nla_put(msg, PKIKS_ATTR_RSA_DP, p->dp_len, p->dp);
	err |= nla_put(msg, PKIKS_ATTR_RSA_DQ, p->dq_len, p->dq);
	err |= nla_put(msg, PKIKS_ATTR_RSA_QINV, p->qinv_len, p->qinv);
	return err ? -EMSGSIZE : 0;
}

int pkiks_key_import(struct pkiks *ks, const char *name, uint32_t usage,
		     const struct pkiks_rsa_parts *parts, uint32_t flags,
		     struct pkiks_key_info *out)
{
	struct nl_msg *msg;
	int err;

	if (!name || !parts)
		return -EINVAL;
	msg = ks_msg_new(ks, PKIKS_CMD_KEY_IMPORT, 0);
	if (!msg)
		return -ENOMEM;
	err = -EMSGSIZE;
	if (nla_put_string(msg, PKIKS_ATTR_KEY_NAME, name) ||
	    nla_put_u32(msg, PKIKS_ATTR_KEY_USAGE, usage) ||
	    (flags && nla_put_u32(msg, PKIKS_ATTR_FLAGS, flags)))
		goto fail;
	err = put_parts(msg, parts);
	if (err)
		goto fail;
	if (out)
		memset(out, 0, sizeof(*out));
	return ks_request_secret(ks, msg, key_one_cb, out);
fail:
	ks_msg_free_secret(msg);
	return err;
}

int pkiks_key_import_ec(struct pkiks *ks, const char *name, uint32_t usage,
			enum pkiks_key_type type, const unsigned char *priv,
			size_t priv_len, uint32_t flags,
			struct pkiks_key_info *out)
{
	struct nl_msg *msg;
	int err = -EMSGSIZE;

	if (!name || !priv || !pkiks_key_type_ec_bytes(type))
		return -EINVAL;
	msg = ks_msg_new(ks, PKIKS_CMD_KEY_IMPORT, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, PKIKS_ATTR_KEY_NAME, name) ||
	    nla_put_u32(msg, PKIKS_ATTR_KEY_USAGE, usage) ||
	    nla_put_u32(msg, PKIKS_ATTR_KEY_TYPE, type) ||
	    nla_put(msg, PKIKS_ATTR_EC_PRIV, priv_len, priv) ||
	    (flags && nla_put_u32(msg, PKIKS_ATTR_FLAGS, flags))) {
		ks_msg_free_secret(msg);
		return err;
	}
	if (out)
		memset(out, 0, sizeof(*out));
	return ks_request_secret(ks, msg, key_one_cb, out);
}

/* A request whose only attribute is KEY_NAME. */
static int name_request(struct pkiks *ks, uint8_t cmd, const char *name,
			ks_reply_cb cb, void *arg)
{
	struct nl_msg *msg;

	if (!name)
		return -EINVAL;
	msg = ks_msg_new(ks, cmd, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, PKIKS_ATTR_KEY_NAME, name)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ks_request(ks, msg, cb, arg);
}

int pkiks_key_get(struct pkiks *ks, const char *name,
		  struct pkiks_key_info *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = name_request(ks, PKIKS_CMD_KEY_GET, name, key_one_cb, out);
	if (!err && !out->pubkey)
		err = -EBADMSG; /* acked without the key */
	if (err) {
		free(out->pubkey);
		out->pubkey = NULL;
	}
	return err;
}

int pkiks_key_list(struct pkiks *ks, struct pkiks_key_info **keys,
		   size_t *count)
{
	struct key_list l = {0};
	struct nl_msg *msg;
	int err;

	*keys = NULL;
	*count = 0;
	msg = ks_msg_new(ks, PKIKS_CMD_KEY_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	err = ks_request(ks, msg, key_list_cb, &l);
	if (err) {
		pkiks_key_info_free(l.keys, l.count);
		return err;
	}
	*keys = l.keys;
	*count = l.count;
	return 0;
}

int pkiks_key_delete(struct pkiks *ks, const char *name)
{
	return name_request(ks, PKIKS_CMD_KEY_DELETE, name, NULL, NULL);
}

int pkiks_key_promote(struct pkiks *ks, const char *name)
{
	return name_request(ks, PKIKS_CMD_KEY_PROMOTE, name, NULL, NULL);
}

/* Copies one binary attribute of the reply into a caller's buffer. */
struct blob_out {
	int attr;
	unsigned char *buf;
	size_t *len; /* in: room, out: length */
	int got;
};

static int blob_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct blob_out *o = arg;
	struct nlattr *a = tb[o->attr];

	if (!a)
		return -EBADMSG;
	if ((size_t)nla_len(a) > *o->len)
		return -ENOSPC;
	memcpy(o->buf, nla_data(a), nla_len(a));
	*o->len = nla_len(a);
	o->got = 1;
	return 0;
}

int pkiks_sign(struct pkiks *ks, const char *name, enum pkiks_hash hash,
	       const unsigned char *digest, size_t digest_len,
	       unsigned char *sig, size_t *sig_len)
{
	struct blob_out o = {PKIKS_ATTR_SIGNATURE, sig, sig_len, 0};
	struct nl_msg *msg;
	int err;

	if (!name || !digest || !sig || !sig_len)
		return -EINVAL;
	msg = ks_msg_new(ks, PKIKS_CMD_KEY_SIGN, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, PKIKS_ATTR_KEY_NAME, name) ||
	    nla_put_u32(msg, PKIKS_ATTR_HASH, hash) ||
	    nla_put(msg, PKIKS_ATTR_DIGEST, digest_len, digest)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = ks_request_flags(ks, msg, blob_cb, &o, KS_REQ_ONE_REPLY);
	if (!err && !o.got)
		err = -EBADMSG;
	return err;
}

/*
 * DECRYPT and DERIVE: KEY_NAME and one binary attribute in, a secret DATA
 * out (the reply buffer is wiped after it, KS_REQ_SECRET).
 */
static int secret_request(struct pkiks *ks, int cmd, const char *name,
			  int in_attr, const unsigned char *in, size_t in_len,
			  unsigned char *out, size_t *out_len)
{
	struct blob_out o = {PKIKS_ATTR_DATA, out, out_len, 0};
	struct nl_msg *msg;
	int err;

	if (!name || !in || !out || !out_len)
		return -EINVAL;
	msg = ks_msg_new(ks, cmd, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, PKIKS_ATTR_KEY_NAME, name) ||
	    nla_put(msg, in_attr, in_len, in)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = ks_request_flags(ks, msg, blob_cb, &o,
			       KS_REQ_SECRET | KS_REQ_ONE_REPLY);
	if (!err && !o.got)
		err = -EBADMSG;
	return err;
}

int pkiks_decrypt(struct pkiks *ks, const char *name, const unsigned char *in,
		  size_t in_len, unsigned char *out, size_t *out_len)
{
	return secret_request(ks, PKIKS_CMD_KEY_DECRYPT, name, PKIKS_ATTR_DATA,
			      in, in_len, out, out_len);
}

int pkiks_derive(struct pkiks *ks, const char *name, const unsigned char *pub,
		 size_t pub_len, unsigned char *secret, size_t *secret_len)
{
	return secret_request(ks, PKIKS_CMD_KEY_DERIVE, name,
			      PKIKS_ATTR_EC_POINT, pub, pub_len, secret,
			      secret_len);
}

struct wrap_out {
	unsigned char *blob;
	size_t len;
};

static int wrap_cb(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct wrap_out *o = arg;
	struct nlattr *a = tb[PKIKS_ATTR_WRAPPED];

	if (!a || o->blob)
		return -EBADMSG;
	o->blob = malloc(nla_len(a) ? nla_len(a) : 1);
	if (!o->blob)
		return -ENOMEM;
	memcpy(o->blob, nla_data(a), nla_len(a));
	o->len = nla_len(a);
	return 0;
}

int pkiks_key_wrap(struct pkiks *ks, const char *name, unsigned char **blob,
		   size_t *blob_len)
{
	struct wrap_out o = {0};
	int err;

	*blob = NULL;
	*blob_len = 0;
	err = name_request(ks, PKIKS_CMD_KEY_WRAP, name, wrap_cb, &o);
	if (!err && !o.blob)
		err = -EBADMSG;
	if (err) {
		free(o.blob);
		return err;
	}
	*blob = o.blob;
	*blob_len = o.len;
	return 0;
}

int pkiks_key_unwrap(struct pkiks *ks, const unsigned char *blob,
		     size_t blob_len, const char *rename, uint32_t flags,
		     struct pkiks_key_info *out)
{
	struct nl_msg *msg;

	if (!blob)
		return -EINVAL;
	msg = ks_msg_new(ks, PKIKS_CMD_KEY_UNWRAP, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, PKIKS_ATTR_WRAPPED, blob_len, blob) ||
	    (rename && nla_put_string(msg, PKIKS_ATTR_KEY_NAME, rename)) ||
	    (flags && nla_put_u32(msg, PKIKS_ATTR_FLAGS, flags))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	if (out)
		memset(out, 0, sizeof(*out));
	return ks_request(ks, msg, key_one_cb, out);
}

int pkiks_kek_set(struct pkiks *ks, const unsigned char *kek, size_t len)
{
	struct nl_msg *msg;

	if (!kek)
		return -EINVAL;
	msg = ks_msg_new(ks, PKIKS_CMD_KEK_SET, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, PKIKS_ATTR_KEK, len, kek)) {
		ks_msg_free_secret(msg);
		return -EMSGSIZE;
	}
	return ks_request_secret(ks, msg, NULL, NULL);
}
