/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-size big numbers on u64 limbs (little-endian: limb 0 least
 * significant) and Montgomery arithmetic, for rsa.c.  Lengths come from
 * the key size, never from the values; nothing here branches on or
 * indexes memory by a secret value (except bn_bits, for public values).
 */
#ifndef PKIKS_BIGNUM_H
#define PKIKS_BIGNUM_H

#include <linux/compiler.h>
#include <linux/types.h>

#include "rsa.h"

typedef unsigned __int128 u128_t;

/*
 * x86-64: the limb loop in mulx/adcx/adox (bignum.c) where the CPU has
 * BMI2 and ADX, checked at run time; BN_NO_ASM (the host test's second
 * build) and every other architecture use the C loop.
 */
#if defined(__x86_64__) && !defined(BN_NO_ASM)
#define BN_ADX 1
#ifdef __KERNEL__
#include <asm/cpufeature.h>
static inline int bn_cpu_adx(void)
{
	return boot_cpu_has(X86_FEATURE_BMI2) && boot_cpu_has(X86_FEATURE_ADX);
}
#else
static inline int bn_cpu_adx(void)
{
	return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
}
#endif
#endif

#define MONT_WIN_BITS 4
#define MONT_WIN_SIZE (1 << MONT_WIN_BITS)

/* Scratch of mont_mul/mont_exp; part of each operation's workspace. */
struct mont_scratch {
	u64 table[MONT_WIN_SIZE][PKIKS_RSA_MAX_LIMBS];
	u64 t[2 * PKIKS_RSA_MAX_LIMBS + 2];
	u64 sel[PKIKS_RSA_MAX_LIMBS], acc[PKIKS_RSA_MAX_LIMBS];
	u64 one[PKIKS_RSA_MAX_LIMBS];
};

/* ---- constant-time masks ---- */

static inline u64 ct_nz(u64 x) /* all ones when x != 0 */
{
	OPTIMIZER_HIDE_VAR(x);
	return (u64)0 - ((x | ((u64)0 - x)) >> 63);
}

static inline u64 ct_eq(u64 a, u64 b)
{
	return ~ct_nz(a ^ b);
}

static inline u64 ct_lt(u64 a, u64 b) /* a, b < 2^63 */
{
	return (u64)0 - ((a - b) >> 63);
}

static inline u64 ct_sel(u64 mask, u64 a, u64 b)
{
	return (a & mask) | (b & ~mask);
}

/* ---- bignum.c ---- */

void bn_select(u64 *r, const u64 *a, const u64 *b, u64 mask, unsigned int k);
u64 bn_sub(u64 *r, const u64 *a, const u64 *b, unsigned int k);
u64 bn_add(u64 *r, const u64 *a, const u64 *b, unsigned int k);
void bn_mul(u64 *r, const u64 *a, const u64 *b, unsigned int k);
void bn_sqr(u64 *r, const u64 *a, unsigned int k);
u64 bn_is_zero(const u64 *a, unsigned int k);
unsigned int bn_bits(const u64 *a, unsigned int k);
int bn_from_be(u64 *r, unsigned int k, const u8 *be, size_t len);
void bn_to_be(u8 *be, size_t len, const u64 *a);

u64 mont_n0(u64 m0);
/* t: 2k limbs of scratch; r may alias a or b. */
void mont_mul(u64 *r, const u64 *a, const u64 *b, const u64 *m, u64 n0,
	      unsigned int k, u64 *t);
void mont_reduce_wide(u64 *r, u64 *t, const u64 *m, u64 n0, unsigned int k);
/* t: 2k limbs of scratch; r may alias a. */
void mont_sqr(u64 *r, const u64 *a, const u64 *m, u64 n0, unsigned int k,
	      u64 *t);
void mont_rr(u64 *rr, const u64 *m, unsigned int k, u64 *tmp);
void mont_exp(u64 *r, const u64 *base_m, const u64 *exp, unsigned int el,
	      const u64 *m, u64 n0, const u64 *rr, unsigned int k,
	      struct mont_scratch *ms);

#endif /* PKIKS_BIGNUM_H */
