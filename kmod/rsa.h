/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Constant-time RSA private operations on fixed-size u64 limbs (see rsa.c).
 */
#ifndef PKIKS_RSA_H
#define PKIKS_RSA_H

#include <linux/types.h>

#define PKIKS_RSA_MAX_LIMBS  64 /* 4096-bit modulus */
#define PKIKS_RSA_HALF_LIMBS (PKIKS_RSA_MAX_LIMBS / 2)

/* Big-endian components as they cross the wire (import, wrap). */
struct pkiks_rsa_be {
	const u8 *n, *e, *d, *p, *q, *dp, *dq, *qinv;
	size_t n_len, e_len, d_len, p_len, q_len, dp_len, dq_len, qinv_len;
};

/*
 * A private key: limbs little-endian (limb 0 least significant), plus the
 * Montgomery constants precomputed at import.
 */
struct pkiks_rsa {
	unsigned int bits; /* 2048, 3072 or 4096 */
	unsigned int nl;   /* limbs of n and d */
	unsigned int pl;   /* limbs of p, q and the CRT values */
	u64 e;		   /* public exponent, odd, >= 3 */
	u64 n[PKIKS_RSA_MAX_LIMBS], d[PKIKS_RSA_MAX_LIMBS];
	u64 rr_n[PKIKS_RSA_MAX_LIMBS];
	u64 n0_n, n0_p, n0_q;
	u64 p[PKIKS_RSA_HALF_LIMBS], q[PKIKS_RSA_HALF_LIMBS];
	u64 dp[PKIKS_RSA_HALF_LIMBS], dq[PKIKS_RSA_HALF_LIMBS];
	u64 qinv[PKIKS_RSA_HALF_LIMBS];
	u64 qinv_m[PKIKS_RSA_HALF_LIMBS]; /* qinv in p's Montgomery domain */
	u64 rr_p[PKIKS_RSA_HALF_LIMBS], rr_q[PKIKS_RSA_HALF_LIMBS];
	u64 r3_p[PKIKS_RSA_HALF_LIMBS], r3_q[PKIKS_RSA_HALF_LIMBS];
};

int pkiks_rsa_load(struct pkiks_rsa *key, const struct pkiks_rsa_be *be);
void pkiks_rsa_wipe(struct pkiks_rsa *key);
size_t pkiks_rsa_size(const struct pkiks_rsa *key);

/* Big-endian modulus / exponent / any component back to bytes. */
enum pkiks_rsa_part {
	PKIKS_RSA_N,
	PKIKS_RSA_E,
	PKIKS_RSA_D,
	PKIKS_RSA_P,
	PKIKS_RSA_Q,
	PKIKS_RSA_DP,
	PKIKS_RSA_DQ,
	PKIKS_RSA_QINV,
	PKIKS_RSA_NPARTS
};
/* Minimal big-endian bytes of a part into out (room >= modulus size). */
size_t pkiks_rsa_export(const struct pkiks_rsa *key, enum pkiks_rsa_part part,
			u8 *out);

/* RSASSA-PKCS1-v1_5; sig gets exactly pkiks_rsa_size() bytes. */
int pkiks_rsa_sign(const struct pkiks_rsa *key, unsigned int hash,
		   const u8 *digest, size_t digest_len, u8 *sig);
/* RSAES-PKCS1-v1_5; returns the plaintext length or a negative errno. */
int pkiks_rsa_decrypt(const struct pkiks_rsa *key, const u8 *in, size_t in_len,
		      u8 *out, size_t room);

#endif /* PKIKS_RSA_H */
