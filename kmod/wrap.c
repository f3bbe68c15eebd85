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
 * v3: an EC key wraps as "PKW2": the same header with its key type (LE32)
 * appended, plaintext u16 LE length || the scalar (the curve's size);
 * RSA keys stay PKW1, so older hosts open every RSA blob.
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

static size_t header_len(const struct pkiks_key *key)
{
	return key->type == PKIKS_KEY_RSA ? PKIKS_WRAP_HDR_LEN
					  : PKIKS_WRAP2_HDR_LEN;
}

static void put_header(u8 *h, const struct pkiks_key *key)
{
	bool rsa = key->type == PKIKS_KEY_RSA;

	memcpy(h, rsa ? PKIKS_WRAP_MAGIC : PKIKS_WRAP2_MAGIC, 4);
	get_random_bytes(h + 4, PKIKS_WRAP_NONCE_LEN);
	put_unaligned_le32(key->uid, h + 12);
	put_unaligned_le32(key->usage, h + 16);
	put_unaligned_le16(pkiks_key_bits(key), h + 20);
	memset(h + 22, 0, PKIKS_NAME_MAX);
	strscpy(h + 22, key->name, PKIKS_NAME_MAX);
	if (!rsa)
		put_unaligned_le32(key->type, h + PKIKS_WRAP_HDR_LEN);
}

/* n, e, d, p, q, dp, dq, qinv as u16 LE length || big-endian bytes; an
 * EC key's scalar as one such part. */
static size_t put_parts(u8 *pt, const struct pkiks_key *key)
{
	size_t off = 0, len;
	int i;

	if (key->type != PKIKS_KEY_RSA) {
		len = pkiks_ec_export(&key->ec, pt + 2);
		put_unaligned_le16(len, pt);
		return 2 + len;
	}
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
	size_t pt_len, hdr = header_len(key);
	u8 *pt, *out = NULL;
	int err = -ENOMEM;

	if (!k)
		return -ENOKEY;
	pt = kmalloc(WRAP_PT_MAX, GFP_KERNEL);
	if (!pt)
		return -ENOMEM;
	pt_len = put_parts(pt, key);
	*blob_len = hdr + pt_len + PKIKS_WRAP_TAG_LEN;
	if (*blob_len > PKIKS_WRAPPED_MAX) {
		err = -EMSGSIZE;
		goto out;
	}
	out = kmalloc(*blob_len, GFP_KERNEL);
	if (!out)
		goto out;
	put_header(out, key);
	chacha20poly1305_encrypt(out + hdr, pt, pt_len, out, hdr,
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

/* The header's length by its magic (and key type); 0 if not ours. */
static size_t header_of(const u8 *blob, size_t len, u32 *type)
{
	if (len > PKIKS_WRAP_HDR_LEN + PKIKS_WRAP_TAG_LEN &&
	    !memcmp(blob, PKIKS_WRAP_MAGIC, 4)) {
		*type = PKIKS_KEY_RSA;
		return PKIKS_WRAP_HDR_LEN;
	}
	if (len > PKIKS_WRAP2_HDR_LEN + PKIKS_WRAP_TAG_LEN &&
	    !memcmp(blob, PKIKS_WRAP2_MAGIC, 4)) {
		*type = get_unaligned_le32(blob + PKIKS_WRAP_HDR_LEN);
		/* PKW2 is for EC keys only: RSA always wraps as PKW1 */
		return pkiks_ec_bytes(*type) ? PKIKS_WRAP2_HDR_LEN : 0;
	}
	return 0;
}

/* Header fields that must hold before anything is decrypted. */
static int check_header(const u8 *blob, char *name, const char *rename,
			u32 *uid, u32 *usage)
{
	*uid = get_unaligned_le32(blob + 12);
	*usage = get_unaligned_le32(blob + 16);
	if (!*usage || *usage & ~(PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT |
				  PKIKS_USAGE_DERIVE))
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

/* The plaintext of a key of @type into a new key. */
static int key_of_plain(const u8 *pt, size_t pt_len, u32 type,
			const char *name, u32 uid, u32 usage,
			struct pkiks_key **out)
{
	struct pkiks_rsa_be be = {};
	int err;

	if (type == PKIKS_KEY_RSA) {
		err = get_parts(pt, pt_len, &be);
		return err ?: pkiks_key_create(name, uid, usage, &be, out);
	}
	if (pt_len < 2 || get_unaligned_le16(pt) != pt_len - 2 ||
	    pt_len - 2 != pkiks_ec_bytes(type))
		return -EBADMSG;
	err = pkiks_key_create_ec(name, uid, usage, type, pt + 2, pt_len - 2,
				  out);
	return err == -EINVAL ? -EBADMSG : err;
}

int pkiks_key_unwrap(const u8 *blob, size_t len, const char *rename,
		     struct pkiks_key **out)
{
	const u8 *k = smp_load_acquire(&kek);
	char name[PKIKS_NAME_MAX];
	size_t pt_len, hdr;
	u32 uid, usage, type = 0;
	u8 *pt;
	int err;

	if (!k)
		return -ENOKEY;
	hdr = header_of(blob, len, &type);
	if (!hdr || len > PKIKS_WRAPPED_MAX)
		return -EBADMSG;
	err = check_header(blob, name, rename, &uid, &usage);
	if (err)
		return err;
	pt_len = len - hdr - PKIKS_WRAP_TAG_LEN;
	pt = kmalloc(pt_len, GFP_KERNEL);
	if (!pt)
		return -ENOMEM;
	err = -EBADMSG;
	if (!chacha20poly1305_decrypt(pt, blob + hdr,
				      pt_len + PKIKS_WRAP_TAG_LEN, blob, hdr,
				      get_unaligned_le64(blob + 4), k))
		goto out;
	err = key_of_plain(pt, pt_len, type, name, uid, usage, out);
	if (!err && pkiks_key_bits(*out) != get_unaligned_le16(blob + 20)) {
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
