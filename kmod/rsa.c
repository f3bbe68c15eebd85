// SPDX-License-Identifier: GPL-2.0
/*
 * RSA private operations for pkiks, carried in the module rather than
 * taken from the kernel's crypto API.  Why: Debian 6.1's "rsa" transform
 * uses CRT without blinding and with a data-dependent exponentiation, and
 * its sign interface changes in 6.13 (crypto_sig) and again in 6.15, while
 * mpi_mulm/mpi_invm are gone from later kernels.  This file and bignum.c
 * are the same on every kernel.
 *
 * Defences, each cheap:
 *   - Montgomery multiplication on u64 limbs with a branch-free final
 *     subtraction; its inner loop is mulx/adcx/adox on x86-64 CPUs with
 *     BMI2 and ADX, C on u128 elsewhere (bignum.c);
 *   - fixed 4-bit window exponentiation over the full exponent length, the
 *     window's table entry picked by scanning all 16 entries with masks;
 *   - CRT with exponent blinding: dp + r1*(p-1), dq + r2*(q-1), fresh 64-bit
 *     r1, r2 per operation, so no two traces use the same exponent;
 *   - the result is checked (s^e == m) before it leaves, which defeats the
 *     CRT fault attack (Bellcore) and catches inconsistent keys at import.
 * Limbs are little-endian (limb 0 least significant), lengths are fixed by
 * the key size, never by the value (bignum.h).
 */
#include <linux/errno.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "uapi/pkiks.h"
#include "bignum.h"
#include "rsa.h"

#define PAD_MIN 11 /* PKCS#1 v1.5: 00 || BT || 8 bytes PS || 00 */

/* Scratch for one private operation; allocated, wiped and freed after. */
struct rsa_ws {
	struct mont_scratch ms;
	u64 x[PKIKS_RSA_MAX_LIMBS], y[PKIKS_RSA_MAX_LIMBS];
	u64 m1[PKIKS_RSA_HALF_LIMBS], m2[PKIKS_RSA_HALF_LIMBS];
	u64 exp[PKIKS_RSA_HALF_LIMBS + 1];
	u64 wide[2 * PKIKS_RSA_MAX_LIMBS];
	u8 em[PKIKS_RSA_MAX_BYTES];
};

/* r = s^e mod n for the public exponent (variable time: nothing secret). */
static void rsa_public(const struct pkiks_rsa *key, u64 *r, const u64 *s,
		       struct rsa_ws *ws)
{
	unsigned int k = key->nl, bit = 63 - __builtin_clzll(key->e);

	mont_mul(ws->x, s, key->rr_n, key->n, key->n0_n, k, ws->ms.t);
	memcpy(ws->y, ws->x, k * sizeof(u64));
	while (bit-- > 0) {
		mont_mul(ws->y, ws->y, ws->y, key->n, key->n0_n, k, ws->ms.t);
		if ((key->e >> bit) & 1)
			mont_mul(ws->y, ws->y, ws->x, key->n, key->n0_n, k,
				 ws->ms.t);
	}
	memset(ws->ms.one, 0, k * sizeof(u64));
	ws->ms.one[0] = 1;
	mont_mul(r, ws->y, ws->ms.one, key->n, key->n0_n, k, ws->ms.t);
}

/* exp (pl+1 limbs) = d + r * (prime - 1), r fresh and random. */
static void blind_exponent(u64 *exp, const u64 *d, const u64 *prime,
			   unsigned int pl)
{
	unsigned int i;
	u64 r, c = 0, pm1;
	u128_t s;

	get_random_bytes(&r, sizeof(r));
	for (i = 0; i < pl; i++) {
		pm1 = prime[i] - (i == 0); /* prime is odd: no borrow */
		s = (u128_t)pm1 * r + d[i] + c;
		exp[i] = (u64)s;
		c = (u64)(s >> 64);
	}
	exp[pl] = c;
	r = 0;
}

/* m = (c mod prime)^(d blinded) mod prime, via the wide reduction. */
static void crt_half(u64 *m, const u64 *c, const struct pkiks_rsa *key,
		     const u64 *prime, const u64 *d, u64 n0, const u64 *rr,
		     const u64 *r3, struct rsa_ws *ws)
{
	unsigned int pl = key->pl;

	memcpy(ws->wide, c, key->nl * sizeof(u64));
	mont_reduce_wide(ws->x, ws->wide, prime, n0, pl);    /* c R^-1 */
	mont_mul(ws->x, ws->x, r3, prime, n0, pl, ws->ms.t); /* c R */
	blind_exponent(ws->exp, d, prime, pl);
	mont_exp(m, ws->x, ws->exp, pl + 1, prime, n0, rr, pl, &ws->ms);
}

/* out = c^d mod n by CRT (Garner), then checked: out^e == c. */
static int rsa_private(const struct pkiks_rsa *key, const u64 *c, u64 *out,
		       struct rsa_ws *ws)
{
	unsigned int pl = key->pl, nl = key->nl;
	u64 borrow, ok;

	crt_half(ws->m1, c, key, key->p, key->dp, key->n0_p, key->rr_p,
		 key->r3_p, ws);
	crt_half(ws->m2, c, key, key->q, key->dq, key->n0_q, key->rr_q,
		 key->r3_q, ws);

	/* m2 < q < 2p: one conditional subtraction brings it below p. */
	borrow = bn_sub(ws->x, ws->m2, key->p, pl);
	bn_select(ws->x, ws->m2, ws->x, (u64)0 - borrow, pl);
	/* h = (m1 - m2) * qinv mod p */
	borrow = bn_sub(ws->y, ws->m1, ws->x, pl);
	bn_add(ws->x, ws->y, key->p, pl);
	bn_select(ws->y, ws->x, ws->y, (u64)0 - borrow, pl);
	mont_mul(ws->y, ws->y, key->qinv_m, key->p, key->n0_p, pl, ws->ms.t);
	/* out = m2 + h * q */
	bn_mul(out, ws->y, key->q, pl);
	memset(ws->x, 0, nl * sizeof(u64));
	memcpy(ws->x, ws->m2, pl * sizeof(u64));
	bn_add(out, out, ws->x, nl);

	rsa_public(key, ws->wide, out, ws);
	bn_sub(ws->wide, ws->wide, c, nl);
	ok = bn_is_zero(ws->wide, nl);
	if (!ok) {
		memset(out, 0, nl * sizeof(u64));
		return -EIO; /* fault or inconsistent key: release nothing */
	}
	return 0;
}

/* ~14 KiB: kvzalloc, so a fragmented heap cannot fail a signature. */
static struct rsa_ws *ws_alloc(void)
{
	return kvzalloc(sizeof(struct rsa_ws), GFP_KERNEL);
}

static void ws_free(struct rsa_ws *ws)
{
	if (ws)
		kvfree_sensitive(ws, sizeof(*ws));
}

/* ---- key loading ---- */

static int load_part(u64 *r, unsigned int k, const u8 *be, size_t len)
{
	return len ? bn_from_be(r, k, be, len) : -EINVAL;
}

/* Sizes and ranges that can be checked without arithmetic. */
static int rsa_check_shape(struct pkiks_rsa *key, struct rsa_ws *ws)
{
	unsigned int half = key->bits / 2;

	if (key->bits != 2048 && key->bits != 3072 && key->bits != 4096)
		return -EINVAL;
	if (bn_bits(key->p, key->pl) != half ||
	    bn_bits(key->q, key->pl) != half)
		return -EINVAL;
	if (!(key->p[0] & 1) || !(key->q[0] & 1) || !(key->e & 1) || key->e < 3)
		return -EINVAL;
	if (!bn_sub(ws->x, key->dp, key->p, key->pl) ||
	    !bn_sub(ws->x, key->dq, key->q, key->pl) ||
	    !bn_sub(ws->x, key->qinv, key->p, key->pl) ||
	    !bn_sub(ws->x, key->d, key->n, key->nl))
		return -EINVAL;
	bn_mul(ws->wide, key->p, key->q, key->pl);
	if (memcmp(ws->wide, key->n, key->nl * sizeof(u64)))
		return -EINVAL; /* p * q != n */
	return 0;
}

static void rsa_precompute(struct pkiks_rsa *key, struct rsa_ws *ws)
{
	unsigned int pl = key->pl;

	key->n0_n = mont_n0(key->n[0]);
	key->n0_p = mont_n0(key->p[0]);
	key->n0_q = mont_n0(key->q[0]);
	mont_rr(key->rr_n, key->n, key->nl, ws->x);
	mont_rr(key->rr_p, key->p, pl, ws->x);
	mont_rr(key->rr_q, key->q, pl, ws->x);
	mont_mul(key->r3_p, key->rr_p, key->rr_p, key->p, key->n0_p, pl,
		 ws->ms.t);
	mont_mul(key->r3_q, key->rr_q, key->rr_q, key->q, key->n0_q, pl,
		 ws->ms.t);
	mont_mul(key->qinv_m, key->qinv, key->rr_p, key->p, key->n0_p, pl,
		 ws->ms.t);
}

/*
 * The round trip: a private operation on a fixed value (which verifies
 * itself against e), and the same value raised to d without CRT, so d, dp,
 * dq and qinv all agree with n and e.
 */
static int rsa_selftest(const struct pkiks_rsa *key, struct rsa_ws *ws)
{
	u64 *c = kzalloc(2 * PKIKS_RSA_MAX_LIMBS * sizeof(u64), GFP_KERNEL);
	u64 *s = c + PKIKS_RSA_MAX_LIMBS;
	int err;

	if (!c)
		return -ENOMEM;
	c[0] = 0x706b696b73; /* any value in 2..n-1 */
	err = rsa_private(key, c, s, ws);
	if (err == -EIO)
		err = -EINVAL; /* dp, dq or qinv do not belong to this key */
	if (err)
		goto out;
	mont_mul(ws->x, c, key->rr_n, key->n, key->n0_n, key->nl, ws->ms.t);
	mont_exp(ws->y, ws->x, key->d, key->nl, key->n, key->n0_n, key->rr_n,
		 key->nl, &ws->ms);
	if (memcmp(ws->y, s, key->nl * sizeof(u64)))
		err = -EINVAL;
out:
	kfree_sensitive(c);
	return err;
}

static int rsa_load_parts(struct pkiks_rsa *key, const struct pkiks_rsa_be *be)
{
	u64 e[1];
	int err;

	err = bn_from_be(key->n, PKIKS_RSA_MAX_LIMBS, be->n, be->n_len);
	if (err || !be->n_len)
		return -EINVAL;
	key->bits = bn_bits(key->n, PKIKS_RSA_MAX_LIMBS);
	if (key->bits != 2048 && key->bits != 3072 && key->bits != 4096)
		return -EINVAL;
	key->nl = key->bits / 64;
	key->pl = key->nl / 2;
	err = load_part(e, 1, be->e, be->e_len);
	err = err ?: load_part(key->d, key->nl, be->d, be->d_len);
	err = err ?: load_part(key->p, key->pl, be->p, be->p_len);
	err = err ?: load_part(key->q, key->pl, be->q, be->q_len);
	err = err ?: load_part(key->dp, key->pl, be->dp, be->dp_len);
	err = err ?: load_part(key->dq, key->pl, be->dq, be->dq_len);
	err = err ?: load_part(key->qinv, key->pl, be->qinv, be->qinv_len);
	key->e = e[0];
	return err;
}

int pkiks_rsa_load(struct pkiks_rsa *key, const struct pkiks_rsa_be *be)
{
	struct rsa_ws *ws = ws_alloc();
	int err;

	if (!ws)
		return -ENOMEM;
	memset(key, 0, sizeof(*key));
	err = rsa_load_parts(key, be);
	err = err ?: rsa_check_shape(key, ws);
	if (err)
		goto out;
	rsa_precompute(key, ws);
	err = rsa_selftest(key, ws);
out:
	if (err)
		pkiks_rsa_wipe(key);
	ws_free(ws);
	return err;
}

void pkiks_rsa_wipe(struct pkiks_rsa *key)
{
	memzero_explicit(key, sizeof(*key));
}

size_t pkiks_rsa_size(const struct pkiks_rsa *key)
{
	return key->bits / 8;
}

size_t pkiks_rsa_export(const struct pkiks_rsa *key, enum pkiks_rsa_part part,
			u8 *out)
{
	const u64 *limbs[PKIKS_RSA_NPARTS] = {
		key->n, &key->e, key->d,  key->p,
		key->q, key->dp, key->dq, key->qinv,
	};
	size_t len, skip = 0;

	len = part == PKIKS_RSA_E
		      ? 8
		      : (part <= PKIKS_RSA_D ? key->nl : key->pl) * sizeof(u64);
	bn_to_be(out, len, limbs[part]);
	while (skip < len - 1 && !out[skip])
		skip++;
	memmove(out, out + skip, len - skip);
	return len - skip;
}

/* ---- PKCS#1 v1.5 ---- */

struct digest_info {
	size_t digest_len, prefix_len;
	u8 prefix[19];
};

static const struct digest_info digest_infos[__PKIKS_HASH_MAX] = {
	[PKIKS_HASH_SHA1] = {20,
			     15,
			     {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
			      0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}},
	[PKIKS_HASH_SHA256] = {32,
			       19,
			       {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
				0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
				0x00, 0x04, 0x20}},
	[PKIKS_HASH_SHA384] = {48,
			       19,
			       {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
				0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
				0x00, 0x04, 0x30}},
	[PKIKS_HASH_SHA512] = {64,
			       19,
			       {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
				0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
				0x00, 0x04, 0x40}},
};

/* EM = 00 || 01 || FF..FF || 00 || DigestInfo || digest (RFC 8017 9.2). */
static int emsa_pkcs1_encode(u8 *em, size_t k, unsigned int hash,
			     const u8 *digest, size_t digest_len)
{
	const struct digest_info *di;
	size_t t_len;

	if (hash == PKIKS_HASH_NONE || hash >= __PKIKS_HASH_MAX)
		return -EINVAL;
	di = &digest_infos[hash];
	if (digest_len != di->digest_len)
		return -EINVAL;
	t_len = di->prefix_len + digest_len;
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - t_len - 3);
	em[k - t_len - 1] = 0x00;
	memcpy(em + k - t_len, di->prefix, di->prefix_len);
	memcpy(em + k - digest_len, digest, digest_len);
	return 0;
}

int pkiks_rsa_sign(const struct pkiks_rsa *key, unsigned int hash,
		   const u8 *digest, size_t digest_len, u8 *sig)
{
	size_t k = pkiks_rsa_size(key);
	struct rsa_ws *ws = ws_alloc();
	u64 *c = NULL, *s;
	int err;

	if (!ws)
		return -ENOMEM;
	err = emsa_pkcs1_encode(ws->em, k, hash, digest, digest_len);
	if (err)
		goto out;
	err = -ENOMEM;
	c = kzalloc(2 * PKIKS_RSA_MAX_LIMBS * sizeof(u64), GFP_KERNEL);
	if (!c)
		goto out;
	s = c + PKIKS_RSA_MAX_LIMBS;
	bn_from_be(c, key->nl, ws->em, k);
	err = rsa_private(key, c, s, ws);
	if (!err)
		bn_to_be(sig, k, s);
out:
	kfree_sensitive(c);
	ws_free(ws);
	return err;
}

/*
 * The padding check and the copy of the message do not branch on, nor
 * index memory by, anything secret (the approach of OpenSSL's
 * rsa_pk1.c); the single branch at the end is the answer itself.
 */
static int eme_pkcs1_decode(u8 *out, size_t room, u8 *em, size_t k)
{
	u64 good, found = 0, zero_idx = 0, eq, mlen, mask;
	size_t i, shift, max = k - PAD_MIN;

	good = ct_eq(em[0], 0) & ct_eq(em[1], 2);
	for (i = 2; i < k; i++) {
		eq = ct_eq(em[i], 0);
		zero_idx = ct_sel(~found & eq, i, zero_idx);
		found |= eq;
	}
	good &= found & ~ct_lt(zero_idx, 2 + 8);
	mlen = k - zero_idx - 1;
	good &= ~ct_lt(room, mlen);

	/* Shift the message left to em + PAD_MIN by (max - mlen), in log steps.
	 */
	for (shift = 1; shift < max; shift <<= 1) {
		mask = ~ct_eq(shift & (max - mlen), 0);
		for (i = PAD_MIN; i < k - shift; i++)
			em[i] = (u8)ct_sel(mask, em[i + shift], em[i]);
	}
	for (i = 0; i < room && i < max; i++) {
		mask = good & ct_lt(i, mlen);
		out[i] = (u8)ct_sel(mask, em[i + PAD_MIN], out[i]);
	}
	if (!good)
		return -EBADMSG;
	return (int)mlen;
}

int pkiks_rsa_decrypt(const struct pkiks_rsa *key, const u8 *in, size_t in_len,
		      u8 *out, size_t room)
{
	size_t k = pkiks_rsa_size(key);
	struct rsa_ws *ws;
	u64 *c = NULL, *m;
	int err;

	if (in_len != k)
		return -EINVAL;
	ws = ws_alloc();
	if (!ws)
		return -ENOMEM;
	err = -ENOMEM;
	c = kzalloc(2 * PKIKS_RSA_MAX_LIMBS * sizeof(u64), GFP_KERNEL);
	if (!c)
		goto out;
	m = c + PKIKS_RSA_MAX_LIMBS;
	bn_from_be(c, key->nl, in, in_len);
	err = -EBADMSG;
	if (!bn_sub(ws->x, c, key->n, key->nl))
		goto out; /* ciphertext >= n */
	err = rsa_private(key, c, m, ws);
	if (err)
		goto out;
	bn_to_be(ws->em, k, m);
	err = eme_pkcs1_decode(out, room < k ? room : k, ws->em, k);
out:
	kfree_sensitive(c);
	ws_free(ws);
	return err;
}
