// SPDX-License-Identifier: GPL-2.0
/*
 * ECDSA on NIST P-256 and P-384, carried in the module like rsa.c rather
 * than built on crypto/ecc.c.  Why: Debian 6.1's ecc.ko exports
 * ecc_make_pub_key / ecc_point_mult_shamir / vli_mod_inv, but its
 * vli_mod_inv is a binary extended Euclid whose running time depends on
 * the (secret) nonce, ecc_make_pub_key runs a full public-key validation
 * (a second point multiplication) on every call, and the interface moved
 * between kernels (ecc_digits_from_bytes and the curve constants' layout
 * changed in 6.10, ecc_point_mult_shamir's users moved to crypto_sig in
 * 6.13).  Carrying ~400 lines on bignum.c's Montgomery arithmetic keeps
 * one constant-time code path on every kernel, no dependency on ecc.ko in
 * the initramfs, and the same code testable byte for byte against OpenSSL
 * on the host (kmod/test/ec-test.c).
 *
 * Defences:
 *   - field and scalar arithmetic on fixed-size limbs (4 or 6) in
 *     Montgomery form, branch-free reductions (bignum.c);
 *   - points in projective coordinates added with the complete formulas of
 *     Renes, Costello and Batina (2016, algorithm 4, a = -3): one formula
 *     for every input, doubling and the point at infinity included, so no
 *     branch depends on the scalar;
 *   - scalar multiplication with a fixed 4-bit window over the curve's
 *     full length, the table entry picked by scanning all 16 with masks;
 *     doublings by the same paper's exception-free formula (algorithm 6);
 *   - inversions by Fermat (a^(m-2), mont_exp: fixed window, constant
 *     time), never by a data-dependent Euclid;
 *   - the nonce is deterministic, RFC 6979 with HMAC-SHA-256 as its DRBG
 *     (for any message hash: its section 3.6 allows it; for SHA-256 it is
 *     exactly the RFC's k): no RNG failure can repeat or bias a nonce;
 *   - every signature is verified with the public key before it leaves
 *     (u1*G + u2*Q in one chain of doublings), so a fault in the
 *     computation cannot leak d.
 *
 * ECDH (v5, the CertRep to an EC trustpoint is RFC 5753 key agreement)
 * is the same pt_mul with the peer's point in place of G.  The kernel has
 * ecdh-nist-p256/p384 as a kpp (Debian 6.1: ecdh_generic.ko on ecc.ko),
 * and we do not use it: its ecc_point_mult is a co-Z Montgomery ladder
 * that picks its operands by indexing with the secret bit and ends with
 * vli_mod_inv (the variable-time binary Euclid above) of a Z made from
 * the ladder's secret-dependent state, and its set_secret copies the
 * scalar into the tfm in the kernel's digit layout (which 6.10 changed).
 * Here: the peer's point is checked on the curve (both curves have
 * cofactor 1, so every such point is in the prime-order group and no
 * small-subgroup point exists), the multiplication is pt_mul's fixed
 * window, and the result is checked on the curve before its x leaves
 * (a fault does not hand out a point off the curve).
 */
#include <crypto/sha2.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "uapi/pkiks.h"
#include "bignum.h"
#include "ec.h"

#define ND_MAX PKIKS_EC_LIMBS

struct pkiks_ec_curve {
	unsigned int nd, bytes;
	u64 p[ND_MAX], n[ND_MAX];
	u64 p0, n0; /* -m^-1 mod 2^64 */
	u64 rr_p[ND_MAX], rr_n[ND_MAX];
	u64 pm2[ND_MAX], nm2[ND_MAX]; /* Fermat exponents */
	u64 one_p[ND_MAX];	      /* R mod p: 1 in Montgomery form */
	u64 b_m[ND_MAX];
	struct pkiks_ec_point g;
	const u8 *spki_prefix;
	size_t spki_prefix_len;
};

/* The curves' constants (SEC 2 / FIPS 186-4), big-endian hex. */
static const char *const curve_hex[2][5] = {
	{
		/* P-256: p, n, b, Gx, Gy */
		"ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
		"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
		"5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
		"6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
		"4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
	},
	{
		/* P-384 */
		"fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe"
		"ffffffff0000000000000000ffffffff",
		"ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
		"581a0db248b0a77aecec196accc52973",
		"b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a"
		"c656398d8a2ed19d2a85c8edd3ec2aef",
		"aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38"
		"5502f25dbf55296c3a545e3872760ab7",
		"3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c0"
		"0a60b1ce1d7e819d7a431d7c90ea0e5f",
	},
};

/* SubjectPublicKeyInfo up to the point: id-ecPublicKey, the curve's OID. */
static const u8 spki_p256[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
	0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};
static const u8 spki_p384[] = {
	0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
};

static struct pkiks_ec_curve curves[2];

/* Scratch of one operation: allocated, wiped and freed after. */
struct ec_ws {
	struct mont_scratch ms; /* Fermat inversions */
	u64 t[2 * ND_MAX + 2], tmp[ND_MAX];
	u64 f[8][ND_MAX]; /* pt_add's temporaries */
	struct pkiks_ec_point table[MONT_WIN_SIZE], table2[MONT_WIN_SIZE];
	struct pkiks_ec_point acc, sel, p2;
	u64 k[ND_MAX], e[ND_MAX], r[ND_MAX], s[ND_MAX], w[ND_MAX];
	u64 x[ND_MAX], y[ND_MAX];
	u8 hk[SHA256_DIGEST_SIZE], hv[SHA256_DIGEST_SIZE];
	u8 hbuf[SHA256_BLOCK_SIZE + 2 * SHA256_DIGEST_SIZE + 1 +
		2 * 48];
	u8 octets[2 * 48 + 1];
};

static const struct pkiks_ec_curve *curve_of(unsigned int type)
{
	if (type == PKIKS_KEY_EC_P256)
		return &curves[0];
	if (type == PKIKS_KEY_EC_P384)
		return &curves[1];
	return NULL;
}

size_t pkiks_ec_bytes(unsigned int type)
{
	const struct pkiks_ec_curve *c = curve_of(type);

	return c ? c->bytes : 0;
}

/* ---- field (mod p) and scalar (mod n) arithmetic ---- */

/* r = a + b mod m (a, b < m); r may alias a or b. */
static void mod_add(u64 *r, const u64 *a, const u64 *b, const u64 *m,
		    unsigned int nd, u64 *tmp)
{
	u64 carry = bn_add(r, a, b, nd), borrow = bn_sub(tmp, r, m, nd);

	bn_select(r, tmp, r, ct_nz(carry | (borrow ^ 1)), nd);
}

/* r = a - b mod m (a, b < m). */
static void mod_sub(u64 *r, const u64 *a, const u64 *b, const u64 *m,
		    unsigned int nd, u64 *tmp)
{
	u64 borrow = bn_sub(r, a, b, nd);

	bn_add(tmp, r, m, nd);
	bn_select(r, tmp, r, ct_nz(borrow), nd);
}

/* a < 2m into a mod m. */
static void mod_once(u64 *a, const u64 *m, unsigned int nd, u64 *tmp)
{
	u64 borrow = bn_sub(tmp, a, m, nd);

	bn_select(a, tmp, a, ct_nz(borrow ^ 1), nd);
}

#define FMUL(r, a, b) mont_mul(r, a, b, c->p, c->p0, c->nd, w->t)
#define FADD(r, a, b) mod_add(r, a, b, c->p, c->nd, w->tmp)
#define FSUB(r, a, b) mod_sub(r, a, b, c->p, c->nd, w->tmp)

/*
 * R = P + Q, complete for a = -3 (Renes-Costello-Batina, algorithm 4):
 * right for P == Q and for the point at infinity (0:1:0) too.  R may
 * alias P or Q.
 */
static void pt_add(const struct pkiks_ec_curve *c, struct pkiks_ec_point *R,
		   const struct pkiks_ec_point *P,
		   const struct pkiks_ec_point *Q, struct ec_ws *w)
{
	u64 *t0 = w->f[0], *t1 = w->f[1], *t2 = w->f[2], *t3 = w->f[3];
	u64 *t4 = w->f[4], *X3 = w->f[5], *Y3 = w->f[6], *Z3 = w->f[7];
	size_t sz = c->nd * sizeof(u64);

	FMUL(t0, P->x, Q->x);
	FMUL(t1, P->y, Q->y);
	FMUL(t2, P->z, Q->z);
	FADD(t3, P->x, P->y);
	FADD(t4, Q->x, Q->y);
	FMUL(t3, t3, t4);
	FADD(t4, t0, t1);
	FSUB(t3, t3, t4);
	FADD(t4, P->y, P->z);
	FADD(X3, Q->y, Q->z);
	FMUL(t4, t4, X3);
	FADD(X3, t1, t2);
	FSUB(t4, t4, X3);
	FADD(X3, P->x, P->z);
	FADD(Y3, Q->x, Q->z);
	FMUL(X3, X3, Y3);
	FADD(Y3, t0, t2);
	FSUB(Y3, X3, Y3);
	FMUL(Z3, c->b_m, t2);
	FSUB(X3, Y3, Z3);
	FADD(Z3, X3, X3);
	FADD(X3, X3, Z3);
	FSUB(Z3, t1, X3);
	FADD(X3, t1, X3);
	FMUL(Y3, c->b_m, Y3);
	FADD(t1, t2, t2);
	FADD(t2, t1, t2);
	FSUB(Y3, Y3, t2);
	FSUB(Y3, Y3, t0);
	FADD(t1, Y3, Y3);
	FADD(Y3, t1, Y3);
	FADD(t1, t0, t0);
	FADD(t0, t1, t0);
	FSUB(t0, t0, t2);
	FMUL(t1, t4, Y3);
	FMUL(t2, t0, Y3);
	FMUL(Y3, X3, Z3);
	FADD(Y3, Y3, t2);
	FMUL(X3, t3, X3);
	FSUB(X3, X3, t1);
	FMUL(Z3, t4, Z3);
	FMUL(t1, t3, t0);
	FADD(Z3, Z3, t1);
	memcpy(R->x, X3, sz);
	memcpy(R->y, Y3, sz);
	memcpy(R->z, Z3, sz);
}

/*
 * R = 2P, the same paper's exception-free doubling for a = -3 (algorithm
 * 6): 8 multiplications and 3 squarings instead of the addition's 12 + 2.
 * R may alias P.
 */
static void pt_dbl(const struct pkiks_ec_curve *c, struct pkiks_ec_point *R,
		   const struct pkiks_ec_point *P, struct ec_ws *w)
{
	u64 *t0 = w->f[0], *t1 = w->f[1], *t2 = w->f[2], *t3 = w->f[3];
	u64 *X3 = w->f[5], *Y3 = w->f[6], *Z3 = w->f[7];
	size_t sz = c->nd * sizeof(u64);

	FMUL(t0, P->x, P->x);
	FMUL(t1, P->y, P->y);
	FMUL(t2, P->z, P->z);
	FMUL(t3, P->x, P->y);
	FADD(t3, t3, t3);
	FMUL(Z3, P->x, P->z);
	FADD(Z3, Z3, Z3);
	FMUL(Y3, c->b_m, t2);
	FSUB(Y3, Y3, Z3);
	FADD(X3, Y3, Y3);
	FADD(Y3, X3, Y3);
	FSUB(X3, t1, Y3);
	FADD(Y3, t1, Y3);
	FMUL(Y3, X3, Y3);
	FMUL(X3, X3, t3);
	FADD(t3, t2, t2);
	FADD(t2, t2, t3);
	FMUL(Z3, c->b_m, Z3);
	FSUB(Z3, Z3, t2);
	FSUB(Z3, Z3, t0);
	FADD(t3, Z3, Z3);
	FADD(Z3, Z3, t3);
	FADD(t3, t0, t0);
	FADD(t0, t3, t0);
	FSUB(t0, t0, t2);
	FMUL(t0, t0, Z3);
	FADD(Y3, Y3, t0);
	FMUL(t0, P->y, P->z);
	FADD(t0, t0, t0);
	FMUL(Z3, t0, Z3);
	FSUB(X3, X3, Z3);
	FMUL(Z3, t0, t1);
	FADD(Z3, Z3, Z3);
	FADD(Z3, Z3, Z3);
	memcpy(R->x, X3, sz);
	memcpy(R->y, Y3, sz);
	memcpy(R->z, Z3, sz);
}

static void pt_infinity(const struct pkiks_ec_curve *c,
			struct pkiks_ec_point *P)
{
	memset(P, 0, sizeof(*P));
	memcpy(P->y, c->one_p, c->nd * sizeof(u64));
}

/* table[i] = i*P for i < 16 (table[0] the point at infinity). */
static void pt_table(const struct pkiks_ec_curve *c,
		     struct pkiks_ec_point *table,
		     const struct pkiks_ec_point *P, struct ec_ws *w)
{
	unsigned int i;

	pt_infinity(c, &table[0]);
	table[1] = *P;
	for (i = 2; i < MONT_WIN_SIZE; i++)
		pt_add(c, &table[i], &table[i - 1], P, w);
}

/* sel = table[window @win of k], every entry read, picked by masks. */
static void pt_select(struct pkiks_ec_point *sel,
		      const struct pkiks_ec_point *table, const u64 *k,
		      unsigned int win)
{
	unsigned int i, j, idx;
	u64 mask, *out = (u64 *)sel;
	const u64 *ent;

	idx = (k[win / 16] >> (MONT_WIN_BITS * (win % 16))) &
	      (MONT_WIN_SIZE - 1);
	memset(sel, 0, sizeof(*sel));
	for (i = 0; i < MONT_WIN_SIZE; i++) {
		mask = ct_eq(i, idx);
		ent = (const u64 *)&table[i];
		for (j = 0; j < sizeof(*sel) / sizeof(u64); j++)
			out[j] |= ent[j] & mask;
	}
}

/*
 * R = k*P, k < 2^(64*nd): fixed 4-bit windows from the top, every window
 * four doublings, a masked scan of the table and one addition, whatever
 * the scalar.
 */
static void pt_mul(const struct pkiks_ec_curve *c, struct pkiks_ec_point *R,
		   const u64 *k, const struct pkiks_ec_point *P,
		   struct ec_ws *w)
{
	unsigned int i, win;

	pt_table(c, w->table, P, w);
	pt_infinity(c, &w->acc);
	for (win = c->nd * (64 / MONT_WIN_BITS); win-- > 0;) {
		for (i = 0; i < MONT_WIN_BITS; i++)
			pt_dbl(c, &w->acc, &w->acc, w);
		pt_select(&w->sel, w->table, k, win);
		pt_add(c, &w->acc, &w->acc, &w->sel, w);
	}
	*R = w->acc;
}

/*
 * R = k1*P1 + k2*P2 with one chain of doublings (Shamir's trick), for
 * verifying: the scalars are public, the code the same as pt_mul's.
 */
static void pt_mul2(const struct pkiks_ec_curve *c, struct pkiks_ec_point *R,
		    const u64 *k1, const struct pkiks_ec_point *P1,
		    const u64 *k2, const struct pkiks_ec_point *P2,
		    struct ec_ws *w)
{
	unsigned int i, win;

	pt_table(c, w->table, P1, w);
	pt_table(c, w->table2, P2, w);
	pt_infinity(c, &w->acc);
	for (win = c->nd * (64 / MONT_WIN_BITS); win-- > 0;) {
		for (i = 0; i < MONT_WIN_BITS; i++)
			pt_dbl(c, &w->acc, &w->acc, w);
		pt_select(&w->sel, w->table, k1, win);
		pt_add(c, &w->acc, &w->acc, &w->sel, w);
		pt_select(&w->sel, w->table2, k2, win);
		pt_add(c, &w->acc, &w->acc, &w->sel, w);
	}
	*R = w->acc;
}

/* a^-1 mod m in normal form, for a in Montgomery form (Fermat). */
static void mod_inv(u64 *r, const u64 *a_m, const u64 *m, u64 m0,
		    const u64 *rr, const u64 *mm2, unsigned int nd,
		    struct ec_ws *w)
{
	mont_exp(r, a_m, mm2, nd, m, m0, rr, nd, &w->ms);
}

/* Affine x, y (normal form) of P; -EINVAL for the point at infinity. */
static int pt_affine(const struct pkiks_ec_curve *c,
		     const struct pkiks_ec_point *P, u64 *x, u64 *y,
		     struct ec_ws *w)
{
	u64 zinv[ND_MAX];

	if (bn_is_zero(P->z, c->nd))
		return -EINVAL; /* public: only a forged or faulty input */
	mod_inv(zinv, P->z, c->p, c->p0, c->rr_p, c->pm2, c->nd, w);
	/* x_m * zinv * R^-1 = x / z in normal form */
	mont_mul(x, P->x, zinv, c->p, c->p0, c->nd, w->t);
	if (y)
		mont_mul(y, P->y, zinv, c->p, c->p0, c->nd, w->t);
	memzero_explicit(zinv, sizeof(zinv));
	return 0;
}

/* ---- curve setup ---- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	return ch - 'a' + 10;
}

/* A constant's hex into nd limbs. */
static void from_hex(u64 *r, unsigned int nd, const char *hex)
{
	size_t len = strlen(hex), i;

	memset(r, 0, nd * sizeof(u64));
	for (i = 0; i < len; i++)
		r[i / 16] |= (u64)hexval(hex[len - 1 - i]) << (4 * (i % 16));
}

static void curve_setup(struct pkiks_ec_curve *c, const char *const hex[5],
			unsigned int nd)
{
	u64 v[ND_MAX], one[ND_MAX] = {1}, two[ND_MAX] = {2}, t[2 * ND_MAX + 2];

	c->nd = nd;
	c->bytes = nd * 8;
	from_hex(c->p, nd, hex[0]);
	from_hex(c->n, nd, hex[1]);
	c->p0 = mont_n0(c->p[0]);
	c->n0 = mont_n0(c->n[0]);
	mont_rr(c->rr_p, c->p, nd, v);
	mont_rr(c->rr_n, c->n, nd, v);
	bn_sub(c->pm2, c->p, two, nd);
	bn_sub(c->nm2, c->n, two, nd);
	mont_mul(c->one_p, c->rr_p, one, c->p, c->p0, nd, t);
	from_hex(v, nd, hex[2]);
	mont_mul(c->b_m, v, c->rr_p, c->p, c->p0, nd, t);
	from_hex(v, nd, hex[3]);
	mont_mul(c->g.x, v, c->rr_p, c->p, c->p0, nd, t);
	from_hex(v, nd, hex[4]);
	mont_mul(c->g.y, v, c->rr_p, c->p, c->p0, nd, t);
	memcpy(c->g.z, c->one_p, sizeof(c->g.z));
}

void pkiks_ec_init(void)
{
	curve_setup(&curves[0], curve_hex[0], 4);
	curves[0].spki_prefix = spki_p256;
	curves[0].spki_prefix_len = sizeof(spki_p256);
	curve_setup(&curves[1], curve_hex[1], 6);
	curves[1].spki_prefix = spki_p384;
	curves[1].spki_prefix_len = sizeof(spki_p384);
}

/* ---- keys ---- */

static struct ec_ws *ws_alloc(void)
{
	return kzalloc(sizeof(struct ec_ws), GFP_KERNEL);
}

static void ws_free(struct ec_ws *w)
{
	kfree_sensitive(w);
}

/* 1 <= a < n, without branching on a. */
static u64 scalar_ok(const struct pkiks_ec_curve *c, const u64 *a, u64 *tmp)
{
	return ~bn_is_zero(a, c->nd) & ct_nz(bn_sub(tmp, a, c->n, c->nd));
}

int pkiks_ec_load(struct pkiks_ec *key, unsigned int type, const u8 *d,
		  size_t len)
{
	const struct pkiks_ec_curve *c = curve_of(type);
	struct ec_ws *w;
	int err = -EINVAL;

	memset(key, 0, sizeof(*key));
	if (!c || !len || len > c->bytes)
		return -EINVAL;
	w = ws_alloc();
	if (!w)
		return -ENOMEM;
	key->c = c;
	key->type = type;
	if (bn_from_be(key->d, c->nd, d, len) || !scalar_ok(c, key->d, w->tmp))
		goto out;
	mont_mul(key->d_m, key->d, c->rr_n, c->n, c->n0, c->nd, w->t);
	pt_mul(c, &key->q, key->d, &c->g, w);
	err = pt_affine(c, &key->q, w->x, w->y, w);
	if (err)
		goto out;
	key->pub[0] = 0x04;
	bn_to_be(key->pub + 1, c->bytes, w->x);
	bn_to_be(key->pub + 1 + c->bytes, c->bytes, w->y);
	key->pub_len = 1 + 2 * c->bytes;
	/* Q with Z = 1, for verifying */
	mont_mul(key->q.x, w->x, c->rr_p, c->p, c->p0, c->nd, w->t);
	mont_mul(key->q.y, w->y, c->rr_p, c->p, c->p0, c->nd, w->t);
	memcpy(key->q.z, c->one_p, sizeof(key->q.z));
out:
	ws_free(w);
	if (err)
		pkiks_ec_wipe(key);
	return err;
}

void pkiks_ec_wipe(struct pkiks_ec *key)
{
	memzero_explicit(key, sizeof(*key));
}

size_t pkiks_ec_export(const struct pkiks_ec *key, u8 *out)
{
	bn_to_be(out, key->c->bytes, key->d);
	return key->c->bytes;
}

int pkiks_ec_spki(const struct pkiks_ec *key, u8 *out, size_t room)
{
	const struct pkiks_ec_curve *c = key->c;
	size_t len = c->spki_prefix_len + key->pub_len;

	if (len > room)
		return -EMSGSIZE;
	memcpy(out, c->spki_prefix, c->spki_prefix_len);
	memcpy(out + c->spki_prefix_len, key->pub, key->pub_len);
	return len;
}

/* ---- RFC 6979 with HMAC-SHA-256 ---- */

/*
 * out = HMAC-SHA-256(key, a || b || c...), with the one-shot sha256()
 * (the same call on every kernel): ipad block and message in one buffer.
 */
static void hmac(struct ec_ws *w, const u8 *key, const u8 *const *part,
		 const size_t *len, unsigned int nparts, u8 *out)
{
	u8 *buf = w->hbuf;
	size_t off = SHA256_BLOCK_SIZE;
	unsigned int i;

	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		buf[i] = (i < SHA256_DIGEST_SIZE ? key[i] : 0) ^ 0x36;
	for (i = 0; i < nparts; i++) {
		memcpy(buf + off, part[i], len[i]);
		off += len[i];
	}
	sha256(buf, off, buf + SHA256_BLOCK_SIZE);
	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		buf[i] = (i < SHA256_DIGEST_SIZE ? key[i] : 0) ^ 0x5c;
	sha256(buf, SHA256_BLOCK_SIZE + SHA256_DIGEST_SIZE, out);
	memzero_explicit(buf, sizeof(w->hbuf));
}

/* V = HMAC_K(V) */
static void hmac_v(struct ec_ws *w)
{
	const u8 *part[1] = {w->hv};
	size_t len[1] = {SHA256_DIGEST_SIZE};

	hmac(w, w->hk, part, len, 1, w->hv);
}

/* K = HMAC_K(V || sep [|| extra]); V = HMAC_K(V) */
static void hmac_kv(struct ec_ws *w, u8 sep, const u8 *extra, size_t xlen)
{
	const u8 *part[3] = {w->hv, &sep, extra};
	size_t len[3] = {SHA256_DIGEST_SIZE, 1, xlen};

	hmac(w, w->hk, part, len, extra ? 3 : 2, w->hk);
	hmac_v(w);
}

/* bits2int: the digest's leftmost curve-size bytes as an integer. */
static void bits2int(const struct pkiks_ec_curve *c, u64 *r, const u8 *dg,
		     size_t len)
{
	bn_from_be(r, c->nd, dg, len < c->bytes ? len : c->bytes);
}

/* K, V from int2octets(d) || bits2octets(h1) (RFC 6979 3.2 b-g). */
static void nonce_init(const struct pkiks_ec *key, const u64 *e,
		       struct ec_ws *w)
{
	const struct pkiks_ec_curve *c = key->c;

	memset(w->hv, 0x01, sizeof(w->hv));
	memset(w->hk, 0x00, sizeof(w->hk));
	bn_to_be(w->octets, c->bytes, key->d);
	bn_to_be(w->octets + c->bytes, c->bytes, e); /* e = h1 mod n */
	hmac_kv(w, 0x00, w->octets, 2 * c->bytes);
	hmac_kv(w, 0x01, w->octets, 2 * c->bytes);
	memzero_explicit(w->octets, sizeof(w->octets));
}

/* The next candidate k, 1 <= k < n (RFC 6979 3.2 h). */
static void nonce_next(const struct pkiks_ec_curve *c, struct ec_ws *w)
{
	unsigned int tries, off;

	for (tries = 0;; tries++) {
		for (off = 0; off < c->bytes; off += SHA256_DIGEST_SIZE) {
			hmac_v(w);
			memcpy(w->octets + off, w->hv,
			       c->bytes - off < SHA256_DIGEST_SIZE
				       ? c->bytes - off
				       : SHA256_DIGEST_SIZE);
		}
		bn_from_be(w->k, c->nd, w->octets, c->bytes);
		/* A k out of range has probability < 2^-32 (P-256's n is
		 * the farthest from 2^256): the branch reveals nothing. */
		if (scalar_ok(c, w->k, w->tmp) || tries >= 64)
			break;
		hmac_kv(w, 0x00, NULL, 0);
	}
	memzero_explicit(w->octets, sizeof(w->octets));
}

/* ---- ECDSA ---- */

/* e = bits2int(digest) mod n */
static void digest_scalar(const struct pkiks_ec_curve *c, u64 *e,
			  const u8 *dg, size_t len, u64 *tmp)
{
	bits2int(c, e, dg, len);
	mod_once(e, c->n, c->nd, tmp);
}

/* r = x(k*G) mod n, s = k^-1 (e + r*d) mod n; 0 if either is 0. */
static int sign_once(const struct pkiks_ec *key, struct ec_ws *w)
{
	const struct pkiks_ec_curve *c = key->c;
	u64 km[ND_MAX], kinv[ND_MAX];
	int err;

	pt_mul(c, &w->p2, w->k, &c->g, w);
	err = pt_affine(c, &w->p2, w->r, NULL, w);
	if (err)
		return err;
	mod_once(w->r, c->n, c->nd, w->tmp);
	/* k^-1 by Fermat, then into Montgomery form */
	mont_mul(km, w->k, c->rr_n, c->n, c->n0, c->nd, w->t);
	mod_inv(kinv, km, c->n, c->n0, c->rr_n, c->nm2, c->nd, w);
	mont_mul(km, kinv, c->rr_n, c->n, c->n0, c->nd, w->t);
	/* r*d (d_m = d*R) + e, times k^-1 */
	mont_mul(w->s, w->r, key->d_m, c->n, c->n0, c->nd, w->t);
	mod_add(w->s, w->s, w->e, c->n, c->nd, w->tmp);
	mont_mul(w->s, w->s, km, c->n, c->n0, c->nd, w->t);
	memzero_explicit(km, sizeof(km));
	memzero_explicit(kinv, sizeof(kinv));
	if (bn_is_zero(w->r, c->nd) || bn_is_zero(w->s, c->nd))
		return -EAGAIN;
	return 0;
}

/* x(u1*G + u2*Q) mod n == r, u1 = e/s, u2 = r/s: 0 when it holds. */
static int verify(const struct pkiks_ec *key, struct ec_ws *w)
{
	const struct pkiks_ec_curve *c = key->c;
	u64 sm[ND_MAX], u1[ND_MAX], u2[ND_MAX];

	if (!scalar_ok(c, w->r, w->tmp) || !scalar_ok(c, w->s, w->tmp))
		return -EBADMSG;
	mont_mul(sm, w->s, c->rr_n, c->n, c->n0, c->nd, w->t);
	mod_inv(w->w, sm, c->n, c->n0, c->rr_n, c->nm2, c->nd, w);
	mont_mul(sm, w->w, c->rr_n, c->n, c->n0, c->nd, w->t); /* w*R */
	mont_mul(u1, w->e, sm, c->n, c->n0, c->nd, w->t);
	mont_mul(u2, w->r, sm, c->n, c->n0, c->nd, w->t);
	pt_mul2(c, &w->p2, u1, &c->g, u2, &key->q, w);
	if (pt_affine(c, &w->p2, w->x, NULL, w))
		return -EBADMSG;
	mod_once(w->x, c->n, c->nd, w->tmp);
	return memcmp(w->x, w->r, c->nd * sizeof(u64)) ? -EBADMSG : 0;
}

/* One DER INTEGER of a positive value; returns its length. */
static size_t der_int(u8 *out, const u64 *v, size_t bytes)
{
	u8 be[48];
	size_t i = 0, n;

	bn_to_be(be, bytes, v);
	while (i < bytes - 1 && !be[i])
		i++;
	n = bytes - i + (be[i] >> 7); /* a leading 0 keeps it positive */
	out[0] = 0x02;
	out[1] = (u8)n;
	out[2] = 0;
	memcpy(out + 2 + n - (bytes - i), be + i, bytes - i);
	return 2 + n;
}

static int der_sig(const struct pkiks_ec_curve *c, const struct ec_ws *w,
		   u8 *sig)
{
	size_t len = der_int(sig + 2, w->r, c->bytes);

	len += der_int(sig + 2 + len, w->s, c->bytes);
	sig[0] = 0x30;
	sig[1] = (u8)len; /* < 128 for P-384 */
	return 2 + len;
}

int pkiks_ec_sign(const struct pkiks_ec *key, const u8 *digest,
		  size_t digest_len, u8 *sig)
{
	const struct pkiks_ec_curve *c = key->c;
	struct ec_ws *w = ws_alloc();
	unsigned int tries;
	int err = -EAGAIN;

	if (!w)
		return -ENOMEM;
	digest_scalar(c, w->e, digest, digest_len, w->tmp);
	nonce_init(key, w->e, w);
	/* r or s == 0 has probability ~2^-256: a bound, not a loop */
	for (tries = 0; tries < 4 && err == -EAGAIN; tries++) {
		if (tries)
			hmac_kv(w, 0x00, NULL, 0);
		nonce_next(c, w);
		err = sign_once(key, w);
	}
	if (!err && verify(key, w))
		err = -EIO; /* a fault: nothing leaves */
	if (!err)
		err = der_sig(c, w, sig);
	ws_free(w);
	return err;
}

/* ---- ECDH ---- */

/* 0 when the Montgomery-form affine (x, y) satisfies y^2 = x^3 - 3x + b. */
static int on_curve(const struct pkiks_ec_curve *c, const u64 *x,
		    const u64 *y, struct ec_ws *w)
{
	u64 *lhs = w->f[0], *rhs = w->f[1];

	FMUL(lhs, y, y);
	FMUL(rhs, x, x);
	FMUL(rhs, rhs, x);
	FSUB(rhs, rhs, x);
	FSUB(rhs, rhs, x);
	FSUB(rhs, rhs, x);
	FADD(rhs, rhs, c->b_m);
	return memcmp(lhs, rhs, c->nd * sizeof(u64)) ? -EINVAL : 0;
}

/* 0 when a < m (public values: a plain comparison). */
static int below(const u64 *a, const u64 *m, unsigned int nd, u64 *tmp)
{
	return bn_sub(tmp, a, m, nd) ? 0 : -EINVAL;
}

/* The peer's point (04 || X || Y) into P, Z = 1, checked on the curve. */
static int peer_point(const struct pkiks_ec_curve *c, const u8 *pub,
		      size_t len, struct pkiks_ec_point *P, struct ec_ws *w)
{
	if (len != 1 + 2 * (size_t)c->bytes || pub[0] != 0x04)
		return -EINVAL;
	if (bn_from_be(w->x, c->nd, pub + 1, c->bytes) ||
	    bn_from_be(w->y, c->nd, pub + 1 + c->bytes, c->bytes) ||
	    below(w->x, c->p, c->nd, w->tmp) || below(w->y, c->p, c->nd, w->tmp))
		return -EINVAL;
	mont_mul(P->x, w->x, c->rr_p, c->p, c->p0, c->nd, w->t);
	mont_mul(P->y, w->y, c->rr_p, c->p, c->p0, c->nd, w->t);
	memcpy(P->z, c->one_p, sizeof(P->z));
	return on_curve(c, P->x, P->y, w);
}

int pkiks_ec_derive(const struct pkiks_ec *key, const u8 *pub,
		    size_t pub_len, u8 *secret)
{
	const struct pkiks_ec_curve *c = key->c;
	struct ec_ws *w = ws_alloc();
	int err;

	if (!w)
		return -ENOMEM;
	err = peer_point(c, pub, pub_len, &w->p2, w);
	if (err)
		goto out;
	pt_mul(c, &w->acc, key->d, &w->p2, w);
	/* d < n and P of order n: never the point at infinity, unless a
	 * fault; pt_affine refuses that, on_curve any other fault. */
	err = pt_affine(c, &w->acc, w->x, w->y, w);
	if (err)
		goto fault;
	mont_mul(w->r, w->x, c->rr_p, c->p, c->p0, c->nd, w->t);
	mont_mul(w->s, w->y, c->rr_p, c->p, c->p0, c->nd, w->t);
	if (on_curve(c, w->r, w->s, w))
		goto fault;
	bn_to_be(secret, c->bytes, w->x);
	err = c->bytes;
	goto out;
fault:
	err = -EIO;
out:
	ws_free(w);
	return err;
}

/* ---- test hooks (kmod/test/ec-test.c) ---- */

int pkiks_ec_mul_base(unsigned int type, const u64 *k, u8 *xy)
{
	const struct pkiks_ec_curve *c = curve_of(type);
	struct ec_ws *w;
	int err;

	if (!c)
		return -EINVAL;
	w = ws_alloc();
	if (!w)
		return -ENOMEM;
	pt_mul(c, &w->p2, k, &c->g, w);
	err = pt_affine(c, &w->p2, w->x, w->y, w);
	if (!err) {
		bn_to_be(xy, c->bytes, w->x);
		bn_to_be(xy + c->bytes, c->bytes, w->y);
	}
	ws_free(w);
	return err;
}

int pkiks_ec_nonce(const struct pkiks_ec *key, const u8 *digest,
		   size_t digest_len, u64 *k)
{
	struct ec_ws *w = ws_alloc();

	if (!w)
		return -ENOMEM;
	digest_scalar(key->c, w->e, digest, digest_len, w->tmp);
	nonce_init(key, w->e, w);
	nonce_next(key->c, w);
	memcpy(k, w->k, sizeof(w->k));
	ws_free(w);
	return 0;
}
