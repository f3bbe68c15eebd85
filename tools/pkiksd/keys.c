// SPDX-License-Identifier: MIT
/*
 * pkiksd's keystore: RSA keys by name with usage flags and an owner uid,
 * built with OpenSSL from imported components and never given back in
 * clear.  OpenSSL blinds RSA private operations by default, and its BIGNUMs
 * for the private components come from the secure heap (see main.c), which
 * is locked in memory and cleared when freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "pkiksd.h"

static struct twin_key *keys[PKIKS_KEYS_MAX];

/* How many keys this keystore holds at most (a test may lower it). */
static int keys_limit(void)
{
	return twin_opts.keys_max ? twin_opts.keys_max : PKIKS_KEYS_MAX;
}

static const char *const part_param[8] = {
	OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* ------------------------------------------------------------------ */
/* Building and checking                                               */

static const EVP_MD *hash_md(enum pkiks_hash hash)
{
	switch (hash) {
	case PKIKS_HASH_SHA1:
		return EVP_sha1();
	case PKIKS_HASH_SHA256:
		return EVP_sha256();
	case PKIKS_HASH_SHA384:
		return EVP_sha384();
	case PKIKS_HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static int verify_sig(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *dg,
		      size_t dg_len, const unsigned char *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int ok;

	ok = ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	     (EVP_PKEY_is_a(pkey, "EC") ||
	      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0) &&
	     EVP_PKEY_CTX_set_signature_md(ctx, md) > 0 &&
	     EVP_PKEY_verify(ctx, sig, sig_len, dg, dg_len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/*
 * RSASSA-PKCS1-v1_5 over a digest; OpenSSL builds the DigestInfo and
 * blinds.  An EC key: ECDSA over the digest, DER ECDSA-Sig-Value.  The
 * result is verified before it leaves (a fault must not leak a factor or
 * a nonce).  No lock: @pkey is a reference of the caller's.
 */
int keys_sign(EVP_PKEY *pkey, enum pkiks_hash hash, const unsigned char *dg,
	      size_t dg_len, unsigned char *sig, size_t *sig_len)
{
	const EVP_MD *md = hash_md(hash);
	EVP_PKEY_CTX *ctx;
	int err = -EIO;

	if (!md || (size_t)EVP_MD_get_size(md) != dg_len)
		return -EINVAL;
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_sign_init(ctx) <= 0 ||
	    (!EVP_PKEY_is_a(pkey, "EC") &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0 ||
	    EVP_PKEY_sign(ctx, sig, sig_len, dg, dg_len) <= 0)
		goto out;
	err = verify_sig(pkey, md, dg, dg_len, sig, *sig_len);
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* RSAES-PKCS1-v1_5; a bad padding is -EBADMSG. */
int keys_decrypt(EVP_PKEY *pkey, const unsigned char *in, size_t in_len,
		 unsigned char *out, size_t *out_len)
{
	EVP_PKEY_CTX *ctx;
	int err = -EBADMSG;

	if (in_len != (size_t)EVP_PKEY_get_size(pkey))
		return -EINVAL;
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_decrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) {
		err = -EIO;
		goto out;
	}
	if (EVP_PKEY_decrypt(ctx, out, out_len, in, in_len) > 0)
		err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* Components as BIGNUMs; private ones in secure memory. */
static int parts_to_bn(const struct rsa_parts *p, BIGNUM *bn[8])
{
	int i;

	for (i = 0; i < 8; i++) {
		if (!p->v[i] || !p->len[i] || p->len[i] > PKIKS_RSA_MAX_BYTES)
			return -EINVAL;
		bn[i] = i < 2 ? BN_new() : BN_secure_new();
		if (!bn[i] || !BN_bin2bn(p->v[i], (int)p->len[i], bn[i]))
			return -ENOMEM;
		if (i >= 2) /* secret: constant-time paths where BN has them */
			BN_set_flags(bn[i], BN_FLG_CONSTTIME);
	}
	return 0;
}

/* a*b mod m == 1 */
static int inverse_ok(const BIGNUM *a, const BIGNUM *b, const BIGNUM *m,
		      BIGNUM *tmp, BN_CTX *ctx)
{
	return BN_mod_mul(tmp, a, b, m, ctx) && BN_is_one(tmp);
}

/*
 * The CRT parts agree with d and with each other: dp = d mod (p-1),
 * dq = d mod (q-1), e*dp = 1 mod (p-1), e*dq = 1 mod (q-1),
 * qinv*q = 1 mod p.  OpenSSL would quietly work around a wrong one (it
 * checks each CRT result and falls back to d), so the round trip alone
 * cannot see it.
 */
static int crt_check(BIGNUM *bn[8], BN_CTX *ctx)
{
	BIGNUM *p1, *q1, *t;
	int ok;

	BN_CTX_start(ctx);
	p1 = BN_CTX_get(ctx);
	q1 = BN_CTX_get(ctx);
	t = BN_CTX_get(ctx);
	ok = t && BN_sub(p1, bn[3], BN_value_one()) &&
	     BN_sub(q1, bn[4], BN_value_one()) && BN_mod(t, bn[2], p1, ctx) &&
	     !BN_cmp(t, bn[5]) && BN_mod(t, bn[2], q1, ctx) &&
	     !BN_cmp(t, bn[6]) && inverse_ok(bn[1], bn[5], p1, t, ctx) &&
	     inverse_ok(bn[1], bn[6], q1, t, ctx) &&
	     inverse_ok(bn[7], bn[4], bn[3], t, ctx);
	BN_CTX_end(ctx);
	return ok ? 0 : -EINVAL;
}

/* n = p*q, a size we serve, e odd and > 1, CRT parts consistent. */
static int parts_check(BIGNUM *bn[8], uint32_t *bits)
{
	BN_CTX *ctx = BN_CTX_secure_new();
	BIGNUM *pq = BN_secure_new();
	int nbits = BN_num_bits(bn[0]);
	int err = -EINVAL;

	if (!ctx || !pq) {
		err = -ENOMEM;
		goto out;
	}
	if (nbits != 2048 && nbits != 3072 && nbits != 4096)
		goto out;
	if (!BN_is_odd(bn[1]) || BN_is_one(bn[1]))
		goto out;
	if (!BN_mul(pq, bn[3], bn[4], ctx) || BN_cmp(pq, bn[0]))
		goto out;
	err = crt_check(bn, ctx);
	if (!err)
		*bits = (uint32_t)nbits;
out:
	BN_clear_free(pq);
	BN_CTX_free(ctx);
	return err;
}

static int pkey_from_bn(BIGNUM *bn[8], EVP_PKEY **pkey)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	int i, err = -ENOMEM;

	if (!bld || !ctx)
		goto out;
	for (i = 0; i < 8; i++)
		if (!OSSL_PARAM_BLD_push_BN(bld, part_param[i], bn[i]))
			goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	err = -EINVAL;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		goto out;
	err = 0;
out:
	/* The private values were pushed from secure BIGNUMs, so they sit in
	 * the secure heap, which OSSL_PARAM_free clears. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* A sign/verify round trip proves the private key matches the public. */
int keys_selftest(EVP_PKEY *pkey)
{
	static const unsigned char msg[] = "pkiksd import check";
	unsigned char dg[32], sig[PKIKS_RSA_MAX_BYTES];
	size_t sig_len = sizeof(sig);

	if (!EVP_Digest(msg, sizeof(msg), dg, NULL, EVP_sha256(), NULL))
		return -ENOMEM;
	return keys_sign(pkey, PKIKS_HASH_SHA256, dg, sizeof(dg), sig, &sig_len)
		       ? -EINVAL
		       : 0;
}

int keys_build(const struct rsa_parts *parts, EVP_PKEY **pkey, uint32_t *bits)
{
	BIGNUM *bn[8] = {0};
	int i, err;

	*pkey = NULL;
	err = parts_to_bn(parts, bn);
	if (!err)
		err = parts_check(bn, bits);
	if (!err)
		err = pkey_from_bn(bn, pkey);
	if (!err)
		err = keys_selftest(*pkey);
	if (err) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
	}
	for (i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	return err;
}

/* n,e,d,p,q,dp,dq,qinv as u16 LE length || bytes, in secure memory. */
int keys_export_parts(EVP_PKEY *pkey, unsigned char **buf, size_t *len)
{
	size_t room = 8 * (2 + PKIKS_RSA_MAX_BYTES), off = 0;
	BIGNUM *bn = NULL;
	unsigned char *p;
	int i, n, err = -EIO;

	p = OPENSSL_secure_zalloc(room);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(pkey, part_param[i], &bn))
			goto out;
		n = BN_num_bytes(bn);
		if (n > PKIKS_RSA_MAX_BYTES)
			goto out;
		p[off] = n & 0xff;
		p[off + 1] = n >> 8;
		BN_bn2bin(bn, p + off + 2);
		off += 2 + n;
		BN_clear_free(bn);
		bn = NULL;
	}
	*buf = p;
	*len = off;
	return 0;
out:
	BN_clear_free(bn);
	OPENSSL_secure_clear_free(p, room);
	return err;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

static int slot_of(const char *name)
{
	int i;

	for (i = 0; i < PKIKS_KEYS_MAX; i++)
		if (keys[i] && !strcmp(keys[i]->name, name))
			return i;
	return -1;
}

static int may_use(const struct twin_key *k, const struct peer *who)
{
	return who->admin || k->owner == who->uid;
}

static void key_free(struct twin_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	OPENSSL_free(k->spki);
	free(k);
}

struct twin_key *keys_find(const char *name, const struct peer *who, int *err)
{
	int i = slot_of(name);

	if (i < 0) {
		*err = -ENOENT;
		return NULL;
	}
	if (!may_use(keys[i], who)) {
		*err = -EPERM;
		return NULL;
	}
	*err = 0;
	return keys[i];
}

static struct twin_key *key_new(const char *name, uint32_t usage,
				uint32_t owner, EVP_PKEY *pkey, uint32_t bits)
{
	struct twin_key *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->usage = usage;
	k->owner = owner;
	k->bits = bits;
	k->type = keys_type_of(pkey);
	k->spki_len = i2d_PUBKEY(pkey, &k->spki);
	if (k->spki_len <= 0) {
		free(k);
		return NULL;
	}
	k->pkey = pkey;
	return k;
}

int keys_insert(const char *name, uint32_t usage, uint32_t owner,
		EVP_PKEY *pkey, uint32_t bits, int replace,
		const struct peer *who, struct twin_key **out)
{
	int i = slot_of(name), free_slot = -1, j;
	struct twin_key *k;

	if (!pkiks_key_name_valid(name))
		return -EINVAL;
	if (!usage || usage & ~(PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT |
				PKIKS_USAGE_DERIVE))
		return -EINVAL;
	/* An EC key signs and (v5) derives, never decrypts (no ECIES); ECDH
	 * is an EC key's: refuse before it exists. */
	if (usage & PKIKS_USAGE_DECRYPT && keys_type_of(pkey) != PKIKS_KEY_RSA)
		return -EINVAL;
	if (usage & PKIKS_USAGE_DERIVE && keys_type_of(pkey) == PKIKS_KEY_RSA)
		return -EINVAL;
	if (i >= 0 && !replace)
		return -EEXIST;
	if (i >= 0 && !may_use(keys[i], who))
		return -EPERM;
	for (j = 0; i < 0 && j < keys_limit() && free_slot < 0; j++)
		if (!keys[j])
			free_slot = j;
	if (i < 0 && free_slot < 0)
		return -EDQUOT;
	k = key_new(name, usage, owner, pkey, bits);
	if (!k)
		return -ENOMEM;
	if (i >= 0) {
		key_free(keys[i]);
		free_slot = i;
	}
	keys[free_slot] = k;
	*out = k;
	return 0;
}

int keys_delete(const char *name, const struct peer *who)
{
	int i = slot_of(name);

	if (i < 0)
		return -ENOENT;
	if (!may_use(keys[i], who))
		return -EPERM;
	key_free(keys[i]);
	keys[i] = NULL;
	return 0;
}

/* NAME# replaces NAME in one step under the lock. */
int keys_promote(const char *name, const struct peer *who)
{
	char shadow[PKIKS_NAME_MAX + 1];
	int cur, next;

	if (!pkiks_key_name_valid(name) || strchr(name, '#'))
		return -EINVAL;
	snprintf(shadow, sizeof(shadow), "%s#", name);
	if (strlen(shadow) >= PKIKS_NAME_MAX)
		return -EINVAL;
	next = slot_of(shadow);
	if (next < 0)
		return -ENOENT;
	cur = slot_of(name);
	if (!may_use(keys[next], who) || (cur >= 0 && !may_use(keys[cur], who)))
		return -EPERM;
	if (cur >= 0) {
		key_free(keys[cur]);
		keys[cur] = NULL;
	}
	snprintf(keys[next]->name, sizeof(keys[next]->name), "%s", name);
	return 0;
}

int keys_count(void)
{
	return PKIKS_KEYS_MAX;
}

struct twin_key *keys_at(int i)
{
	return i >= 0 && i < PKIKS_KEYS_MAX ? keys[i] : NULL;
}
