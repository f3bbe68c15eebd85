// SPDX-License-Identifier: GPL-2.0
/*
 * Wrapped keys, byte for byte the format of uapi/pkiks.h so that a blob
 * made by pkiksd opens here and the other way round:
 *   "PKW1" | nonce[8] | owner_uid LE32 | usage LE32 | bits LE16 | name[64]
 *   | ChaCha20-Poly1305(plaintext) | tag[16],  AAD = the header.
 * The kernel's chacha20poly1305 library takes the nonce as a u64 and puts
 * it after 4 zero bytes, little-endian: exactly "4 zero bytes || nonce"
 * when the 8 nonce bytes are read as a little-endian u64.
 *
 * The KEK is set once (root, at boot, from a root-only file) and lives in
 * kmalloc'd memory that is wiped at unload.  Plaintext buffers are
 * kmalloc'd and wiped on every path.
 */
#include <crypto/chacha20poly1305.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "keys.h"
#include "wrap.h"

#define WRAP_PARTS PKIKS_RSA_NPARTS
#define WRAP_PT_MAX                                                            \
	(WRAP_PARTS * 2 + 3 * PKIKS_RSA_MAX_BYTES + 8 +                        \
	 5 * PKIKS_RSA_MAX_BYTES / 2)

static DEFINE_MUTEX(kek_lock);
static u8 *kek; /* published once with smp_store_release */

int pkiks_kek_set(const u8 *key, size_t len)
{
	u8 *copy;
	int err = 0;

	if (len != PKIKS_KEK_LEN)
		return -EINVAL;
	copy = kmemdup(key, len, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	mutex_lock(&kek_lock);
	if (kek)
		err = -EBUSY;
	else
		smp_store_release(&kek, copy);
	mutex_unlock(&kek_lock);
	if (err)
		kfree_sensitive(copy);
	return err;
}

static void put_header(u8 *h, const struct pkiks_key *key)
{
	memcpy(h, PKIKS_WRAP_MAGIC, 4);
	get_random_bytes(h + 4, PKIKS_WRAP_NONCE_LEN);
	put_unaligned_le32(key->uid, h + 12);
	put_unaligned_le32(key->usage, h + 16);
	put_unaligned_le16(key->rsa.bits, h + 20);
	memset(h + 22, 0, PKIKS_NAME_MAX);
	strscpy(h + 22, key->name, PKIKS_NAME_MAX);
}

/* n, e, d, p, q, dp, dq, qinv as u16 LE length || big-endian bytes. */
static size_t put_parts(u8 *pt, const struct pkiks_key *key)
{
	size_t off = 0, len;
	int i;

	for (i = 0; i < WRAP_PARTS; i++) {
		len = pkiks_rsa_export(&key->rsa, i, pt + off + 2);
		put_unaligned_le16(len, pt + off);
		off += 2 + len;
	}
	return off;
}

int pkiks_key_wrap(const struct pkiks_key *key, u8 **blob, size_t *blob_len)
{
	const u8 *k = smp_load_acquire(&kek);
	u8 *pt, *out = NULL;
	size_t pt_len;
	int err = -ENOMEM;

	if (!k)
		return -ENOKEY;
	pt = kmalloc(WRAP_PT_MAX, GFP_KERNEL);
	if (!pt)
		return -ENOMEM;
	pt_len = put_parts(pt, key);
	*blob_len = PKIKS_WRAP_HDR_LEN + pt_len + PKIKS_WRAP_TAG_LEN;
	if (*blob_len > PKIKS_WRAPPED_MAX) {
		err = -EMSGSIZE;
		goto out;
	}
	out = kmalloc(*blob_len, GFP_KERNEL);
	if (!out)
		goto out;
	put_header(out, key);
	chacha20poly1305_encrypt(out + PKIKS_WRAP_HDR_LEN, pt, pt_len, out,
				 PKIKS_WRAP_HDR_LEN,
				 get_unaligned_le64(out + 4), k);
	*blob = out;
	err = 0;
out:
	kfree_sensitive(pt);
	return err;
}

/* Splits the plaintext into the eight parts; every byte accounted for. */
static int get_parts(const u8 *pt, size_t pt_len, struct pkiks_rsa_be *be)
{
	const u8 **ptr[WRAP_PARTS] = {&be->n, &be->e,  &be->d,	&be->p,
				      &be->q, &be->dp, &be->dq, &be->qinv};
	size_t *lens[WRAP_PARTS] = {&be->n_len,	 &be->e_len,   &be->d_len,
				    &be->p_len,	 &be->q_len,   &be->dp_len,
				    &be->dq_len, &be->qinv_len};
	size_t off = 0, len;
	int i;

	for (i = 0; i < WRAP_PARTS; i++) {
		if (pt_len - off < 2)
			return -EBADMSG;
		len = get_unaligned_le16(pt + off);
		off += 2;
		if (!len || len > pt_len - off)
			return -EBADMSG;
		*ptr[i] = pt + off;
		*lens[i] = len;
		off += len;
	}
	return off == pt_len ? 0 : -EBADMSG;
}

/* Header fields that must hold before anything is decrypted. */
static int check_header(const u8 *blob, char *name, const char *rename,
			u32 *uid, u32 *usage)
{
	if (memcmp(blob, PKIKS_WRAP_MAGIC, 4))
		return -EBADMSG;
	*uid = get_unaligned_le32(blob + 12);
	*usage = get_unaligned_le32(blob + 16);
	if (!*usage || *usage & ~(PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT))
		return -EBADMSG;
	if (rename) {
		strscpy(name, rename, PKIKS_NAME_MAX);
	} else {
		if (!memchr(blob + 22, 0, PKIKS_NAME_MAX))
			return -EBADMSG;
		memcpy(name, blob + 22, PKIKS_NAME_MAX);
	}
	return pkiks_name_valid(name, true) ? 0 : -EINVAL;
}

int pkiks_key_unwrap(const u8 *blob, size_t len, const char *rename,
		     struct pkiks_key **out)
{
	const u8 *k = smp_load_acquire(&kek);
	struct pkiks_rsa_be be = {};
	char name[PKIKS_NAME_MAX];
	size_t pt_len;
	u32 uid, usage;
	u8 *pt;
	int err;

	if (!k)
		return -ENOKEY;
	if (len <= PKIKS_WRAP_HDR_LEN + PKIKS_WRAP_TAG_LEN ||
	    len > PKIKS_WRAPPED_MAX)
		return -EBADMSG;
	err = check_header(blob, name, rename, &uid, &usage);
	if (err)
		return err;
	pt_len = len - PKIKS_WRAP_HDR_LEN - PKIKS_WRAP_TAG_LEN;
	pt = kmalloc(pt_len, GFP_KERNEL);
	if (!pt)
		return -ENOMEM;
	err = -EBADMSG;
	if (!chacha20poly1305_decrypt(
		    pt, blob + PKIKS_WRAP_HDR_LEN, pt_len + PKIKS_WRAP_TAG_LEN,
		    blob, PKIKS_WRAP_HDR_LEN, get_unaligned_le64(blob + 4), k))
		goto out;
	err = get_parts(pt, pt_len, &be);
	err = err ?: pkiks_key_create(name, uid, usage, &be, out);
	if (!err && (*out)->rsa.bits != get_unaligned_le16(blob + 20)) {
		pkiks_key_destroy(*out);
		err = -EBADMSG;
	}
out:
	kfree_sensitive(pt);
	return err;
}

int pkiks_wrap_init(void)
{
	return 0;
}

void pkiks_wrap_uninit(void)
{
	kfree_sensitive(kek);
	kek = NULL;
}
