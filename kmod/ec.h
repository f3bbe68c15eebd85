/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ECDSA on NIST P-256 and P-384 for pkiks (see ec.c): fixed-size limbs on
 * bignum.c's Montgomery arithmetic, complete projective formulas, RFC 6979
 * nonces, every signature verified before it leaves.
 */
#ifndef PKIKS_EC_H
#define PKIKS_EC_H

#include <linux/types.h>

#define PKIKS_EC_LIMBS 6 /* P-384 */
#define PKIKS_EC_PUB_MAX (1 + 2 * 48)
#define PKIKS_EC_SIG_MAX (2 + 2 * (2 + 1 + 48)) /* DER ECDSA-Sig-Value */

struct pkiks_ec_curve;

/* A point in projective coordinates (X:Y:Z), each in Montgomery form. */
struct pkiks_ec_point {
	u64 x[PKIKS_EC_LIMBS], y[PKIKS_EC_LIMBS], z[PKIKS_EC_LIMBS];
};

struct pkiks_ec {
	const struct pkiks_ec_curve *c;
	unsigned int type;	      /* PKIKS_KEY_EC_P256 / _P384 */
	u64 d[PKIKS_EC_LIMBS];	      /* the private scalar, 1 <= d < n */
	u64 d_m[PKIKS_EC_LIMBS];      /* d * R mod n */
	struct pkiks_ec_point q;      /* public point d*G, Z = 1 */
	u8 pub[PKIKS_EC_PUB_MAX];     /* 04 || X || Y */
	size_t pub_len;
};

/* Curve constants in Montgomery form; once, before any key exists. */
void pkiks_ec_init(void);
/* Curve size in bytes (32, 48) of a key type, 0 if not EC. */
size_t pkiks_ec_bytes(unsigned int type);

/* From a big-endian scalar (at most the curve's size, 1 <= d < n). */
int pkiks_ec_load(struct pkiks_ec *key, unsigned int type, const u8 *d,
		  size_t len);
void pkiks_ec_wipe(struct pkiks_ec *key);
/* The scalar as exactly the curve's size of big-endian bytes. */
size_t pkiks_ec_export(const struct pkiks_ec *key, u8 *out);
/* SubjectPublicKeyInfo DER into out; its length or -EMSGSIZE. */
int pkiks_ec_spki(const struct pkiks_ec *key, u8 *out, size_t room);

/*
 * ECDSA over @digest (its leftmost curve-size bytes when longer): DER
 * ECDSA-Sig-Value into sig (room PKIKS_EC_SIG_MAX), its length or a
 * negative errno.  The nonce is RFC 6979's (HMAC-SHA-256 DRBG).
 */
int pkiks_ec_sign(const struct pkiks_ec *key, const u8 *digest,
		  size_t digest_len, u8 *sig);

/*
 * ECDH (protocol v5): the x coordinate of d*P, exactly the curve's size of
 * big-endian bytes, into @secret (room 48), for the peer's uncompressed
 * point @pub (04 || X || Y on the key's curve, checked to lie on it); the
 * secret's length, or -EINVAL for a point that is not one of the curve's
 * (another curve's size, compressed, a coordinate >= p, off the curve).
 */
int pkiks_ec_derive(const struct pkiks_ec *key, const u8 *pub,
		    size_t pub_len, u8 *secret);

/* For kmod/test: r = k*G in affine big-endian X || Y (k < n, nd limbs). */
int pkiks_ec_mul_base(unsigned int type, const u64 *k, u8 *xy);
/* For kmod/test: the RFC 6979 nonce for (key, digest), limbs. */
int pkiks_ec_nonce(const struct pkiks_ec *key, const u8 *digest,
		   size_t digest_len, u64 *k);

#endif /* PKIKS_EC_H */
