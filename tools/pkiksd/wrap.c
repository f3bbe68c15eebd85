// SPDX-License-Identifier: MIT
/*
 * Wrapped blobs (uapi/pkiks.h, "Wrapped blob"): a key's components sealed
 * with ChaCha20-Poly1305 under the key-encryption key, so that pkid can
 * store keys it cannot open and hand them back after a restart.  The byte
 * layout is the module's, so a blob made by one host opens on the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "pkiksd.h"

#define HDR1	  PKIKS_WRAP_HDR_LEN
#define HDR2	  PKIKS_WRAP2_HDR_LEN /* v3: PKW2, EC keys */
#define TAG	  PKIKS_WRAP_TAG_LEN
#define NONCE_OFF 4
#define OWNER_OFF 12
#define USAGE_OFF 16
#define BITS_OFF  20
#define NAME_OFF  22
#define TYPE_OFF  PKIKS_WRAP_HDR_LEN /* PKW2 only */

static unsigned char *kek; /* PKIKS_KEK_LEN bytes in the secure heap */

/* Under twin_lock. */
int wrap_kek_set(const unsigned char *key, size_t len)
{
	if (len != PKIKS_KEK_LEN)
		return -EINVAL;
	if (kek)
		return -EBUSY;
	kek = OPENSSL_secure_malloc(PKIKS_KEK_LEN);
	if (!kek)
		return -ENOMEM;
	memcpy(kek, key, PKIKS_KEK_LEN);
	fprintf(stderr, "pkiksd: key-encryption key provisioned\n");
	return 0;
}

/* At start: a root-only file of exactly PKIKS_KEK_LEN bytes. */
int wrap_kek_load(const char *path)
{
	unsigned char buf[PKIKS_KEK_LEN + 1];
	struct stat st;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	err = -EACCES;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	if (st.st_mode & 077) {
		fprintf(stderr, "pkiksd: %s: readable by group or others\n",
			path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		fprintf(stderr, "pkiksd: %s: not owned by root\n", path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	err = n == PKIKS_KEK_LEN ? wrap_kek_set(buf, PKIKS_KEK_LEN) : -EINVAL;
	if (err == -EINVAL)
		fprintf(stderr, "pkiksd: %s: must hold exactly %d bytes\n",
			path, PKIKS_KEK_LEN);
	explicit_bzero(buf, sizeof(buf));
out:
	close(fd);
	return err;
}

static void put_le(unsigned char *p, uint32_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint32_t get_le(const unsigned char *p, int n)
{
	uint32_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* ChaCha20-Poly1305 over @in with AAD = the @hdr bytes at @blob; 1 if ok. */
static int aead(int enc, const unsigned char *blob, size_t hdr,
		const unsigned char *in, size_t len, unsigned char *out,
		unsigned char *tag)
{
	unsigned char iv[12] = {0};
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ok;

	memcpy(iv + 4, blob + NONCE_OFF, PKIKS_WRAP_NONCE_LEN);
	ok = ctx &&
	     EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, kek, iv,
			       enc) > 0 &&
	     (enc ||
	      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG, tag) > 0) &&
	     EVP_CipherUpdate(ctx, NULL, &n, blob, (int)hdr) > 0 &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)len) > 0 &&
	     EVP_CipherFinal_ex(ctx, out + n, &n) > 0 &&
	     (!enc ||
	      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG, tag) > 0);
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* Under twin_lock (reads the KEK and the key). */
int wrap_key(const struct twin_key *k, unsigned char **blob, size_t *len)
{
	unsigned char *pt = NULL, *b = NULL;
	size_t pt_len = 0, total, hdr = k->type == PKIKS_KEY_RSA ? HDR1 : HDR2;
	int err;

	if (!kek)
		return -ENOKEY;
	if (k->type == PKIKS_KEY_RSA)
		err = keys_export_parts(k->pkey, &pt, &pt_len);
	else
		err = keys_export_ec(k->pkey, &pt, &pt_len);
	if (err)
		return err;
	total = hdr + pt_len + TAG;
	err = -EMSGSIZE;
	if (total > PKIKS_WRAPPED_MAX)
		goto out;
	err = -ENOMEM;
	b = OPENSSL_zalloc(total);
	if (!b)
		goto out;
	memcpy(b, hdr == HDR1 ? PKIKS_WRAP_MAGIC : PKIKS_WRAP2_MAGIC, 4);
	if (hdr == HDR2)
		put_le(b + TYPE_OFF, k->type, 4);
	if (RAND_bytes(b + NONCE_OFF, PKIKS_WRAP_NONCE_LEN) != 1)
		goto fail;
	put_le(b + OWNER_OFF, k->owner, 4);
	put_le(b + USAGE_OFF, k->usage, 4);
	put_le(b + BITS_OFF, k->bits, 2);
	memcpy(b + NAME_OFF, k->name, strlen(k->name));
	err = -EIO;
	if (!aead(1, b, hdr, pt, pt_len, b + hdr, b + hdr + pt_len))
		goto fail;
	*blob = b;
	*len = total;
	err = 0;
	goto out;
fail:
	OPENSSL_free(b);
out:
	OPENSSL_secure_clear_free(pt, k->type == PKIKS_KEY_RSA
					      ? 8 * (2 + PKIKS_RSA_MAX_BYTES)
					      : 2 + PKIKS_EC_MAX_BYTES);
	return err;
}

/* Split the plaintext into the eight components; it must be exact. */
static int split_parts(const unsigned char *pt, size_t len, struct rsa_parts *p)
{
	size_t off = 0;
	int i;

	for (i = 0; i < 8; i++) {
		if (off + 2 > len)
			return -EBADMSG;
		p->len[i] = get_le(pt + off, 2);
		p->v[i] = pt + off + 2;
		off += 2 + p->len[i];
		if (off > len)
			return -EBADMSG;
	}
	return off == len ? 0 : -EBADMSG;
}

/* The plaintext of a key of @type into a built key. */
static int build_plain(uint32_t type, const unsigned char *pt, size_t pt_len,
		       EVP_PKEY **pkey, uint32_t *bits)
{
	struct rsa_parts parts = {0};

	if (type == PKIKS_KEY_RSA)
		return split_parts(pt, pt_len, &parts) ?: keys_build(&parts, pkey,
								     bits);
	/* EC: u16 length || the scalar, exactly the curve's size */
	if (pt_len < 2 || get_le(pt, 2) != pt_len - 2 ||
	    pt_len - 2 != pkiks_key_type_ec_bytes(type))
		return -EBADMSG;
	return keys_build_ec(type, pt + 2, pt_len - 2, pkey, bits);
}

/* The header's length and key type by its magic; 0 if unknown. */
static size_t header_of(const unsigned char *blob, size_t len, uint32_t *type)
{
	if (len > HDR1 + TAG && !memcmp(blob, PKIKS_WRAP_MAGIC, 4)) {
		*type = PKIKS_KEY_RSA;
		return HDR1;
	}
	if (len > HDR2 + TAG && !memcmp(blob, PKIKS_WRAP2_MAGIC, 4)) {
		*type = get_le(blob + TYPE_OFF, 4);
		/* PKW2 is for EC keys only: RSA always wraps as PKW1 */
		return pkiks_key_type_ec_bytes(*type) ? HDR2 : 0;
	}
	return 0;
}

/* Under twin_lock.  Every failure to open is -EBADMSG. */
int wrap_open(const unsigned char *blob, size_t len, char *name,
	      uint32_t *owner, uint32_t *usage, EVP_PKEY **pkey, uint32_t *bits)
{
	unsigned char tag[TAG], *pt = NULL;
	size_t pt_len, hdr;
	uint32_t type = 0;
	int err = -EBADMSG;

	if (!kek)
		return -ENOKEY;
	hdr = header_of(blob, len, &type);
	if (!hdr)
		return -EBADMSG;
	pt_len = len - hdr - TAG;
	pt = OPENSSL_secure_zalloc(pt_len);
	if (!pt)
		return -ENOMEM;
	memcpy(tag, blob + hdr + pt_len, TAG);
	if (!aead(0, blob, hdr, blob + hdr, pt_len, pt, tag))
		goto out;
	memcpy(name, blob + NAME_OFF, PKIKS_NAME_MAX);
	if (name[PKIKS_NAME_MAX - 1])
		goto out;
	*owner = get_le(blob + OWNER_OFF, 4);
	*usage = get_le(blob + USAGE_OFF, 4);
	err = build_plain(type, pt, pt_len, pkey, bits);
	if (err)
		err = -EBADMSG;
	else if (*bits != get_le(blob + BITS_OFF, 2))
		err = -EBADMSG;
	if (err && *pkey) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
	}
out:
	OPENSSL_secure_clear_free(pt, pt_len);
	return err;
}
