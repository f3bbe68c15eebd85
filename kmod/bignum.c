// SPDX-License-Identifier: GPL-2.0
/*
 * Big numbers and Montgomery arithmetic for rsa.c (see bignum.h): CIOS
 * multiplication with u128 intermediates and a branch-free final
 * subtraction, the wide reduction that takes a CRT input mod p, R^2 by
 * modular doubling, and fixed-window exponentiation whose table entry is
 * picked by scanning every entry with masks.
 */
#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "bignum.h"

void bn_select(u64 *r, const u64 *a, const u64 *b, u64 mask, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		r[i] = ct_sel(mask, a[i], b[i]);
}

/* r = a - b over k limbs; returns the borrow (0 or 1). */
u64 bn_sub(u64 *r, const u64 *a, const u64 *b, unsigned int k)
{
	u64 borrow = 0;
	unsigned int i;
	u128_t d;

	for (i = 0; i < k; i++) {
		d = (u128_t)a[i] - b[i] - borrow;
		r[i] = (u64)d;
		borrow = (u64)(d >> 64) & 1;
	}
	return borrow;
}

/* r = a + b over k limbs; returns the carry. */
u64 bn_add(u64 *r, const u64 *a, const u64 *b, unsigned int k)
{
	u64 carry = 0;
	unsigned int i;
	u128_t s;

	for (i = 0; i < k; i++) {
		s = (u128_t)a[i] + b[i] + carry;
		r[i] = (u64)s;
		carry = (u64)(s >> 64);
	}
	return carry;
}

/*
 * r (2k limbs) = a^2: the cross products once, doubled, plus the squares;
 * about 3/4 of bn_mul's work.  r must not alias a.
 */
void bn_sqr(u64 *r, const u64 *a, unsigned int k)
{
	unsigned int i, j;
	u64 c, v, top = 0;
	u128_t s;

	memset(r, 0, 2 * k * sizeof(u64));
	for (i = 0; i < k; i++) {
		c = 0;
		for (j = i + 1; j < k; j++) {
			s = (u128_t)a[i] * a[j] + r[i + j] + c;
			r[i + j] = (u64)s;
			c = (u64)(s >> 64);
		}
		r[i + k] = c;
	}
	for (i = 0; i < 2 * k; i++) {
		v = r[i];
		r[i] = (v << 1) | top;
		top = v >> 63;
	}
	c = 0;
	for (i = 0; i < k; i++) {
		s = (u128_t)a[i] * a[i] + r[2 * i] + c;
		r[2 * i] = (u64)s;
		s = (u128_t)r[2 * i + 1] + (u64)(s >> 64);
		r[2 * i + 1] = (u64)s;
		c = (u64)(s >> 64);
	}
}

/* r (2k limbs) = a * b (k limbs each); r must not alias a or b. */
void bn_mul(u64 *r, const u64 *a, const u64 *b, unsigned int k)
{
	unsigned int i, j;
	u64 c;
	u128_t s;

	memset(r, 0, 2 * k * sizeof(u64));
	for (i = 0; i < k; i++) {
		c = 0;
		for (j = 0; j < k; j++) {
			s = (u128_t)a[j] * b[i] + r[i + j] + c;
			r[i + j] = (u64)s;
			c = (u64)(s >> 64);
		}
		r[i + k] = c;
	}
}

u64 bn_is_zero(const u64 *a, unsigned int k)
{
	u64 acc = 0;
	unsigned int i;

	for (i = 0; i < k; i++)
		acc |= a[i];
	return ~ct_nz(acc);
}

unsigned int bn_bits(const u64 *a, unsigned int k) /* public values */
{
	while (k && !a[k - 1])
		k--;
	return k ? 64 * k - __builtin_clzll(a[k - 1]) : 0;
}

/* Big-endian bytes into k limbs; -EINVAL when the value does not fit. */
int bn_from_be(u64 *r, unsigned int k, const u8 *be, size_t len)
{
	size_t i;

	while (len && !be[0]) {
		be++;
		len--;
	}
	if (len > k * sizeof(u64))
		return -EINVAL;
	memset(r, 0, k * sizeof(u64));
	for (i = 0; i < len; i++)
		r[i / 8] |= (u64)be[len - 1 - i] << (8 * (i % 8));
	return 0;
}

/* k limbs into exactly len big-endian bytes (len <= 8k). */
void bn_to_be(u8 *be, size_t len, const u64 *a)
{
	size_t i;

	for (i = 0; i < len; i++)
		be[len - 1 - i] = (u8)(a[i / 8] >> (8 * (i % 8)));
}

/* ---- Montgomery arithmetic modulo an odd m of k limbs ---- */

u64 mont_n0(u64 m0) /* -m^-1 mod 2^64 by Newton's iteration */
{
	u64 x = m0; /* right to 3 bits for odd m0 */
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - m0 * x;
	return (u64)0 - x;
}

/*
 * r = a * b * R^-1 mod m; a, b < m; r may alias a or b.  One pass per limb
 * of b multiplies and reduces together (CIOS with the two inner loops
 * fused): t stays below 2m, so t[k] is 0 or 1 between passes.
 */
void mont_mul(u64 *r, const u64 *a, const u64 *b, const u64 *m, u64 n0,
	      unsigned int k, u64 *t)
{
	unsigned int i, j;
	u64 c1, c2, lo, mm, borrow;
	u128_t s;

	memset(t, 0, (k + 1) * sizeof(u64));
	for (i = 0; i < k; i++) {
		s = (u128_t)a[0] * b[i] + t[0];
		c1 = (u64)(s >> 64);
		lo = (u64)s;
		mm = lo * n0;
		s = (u128_t)mm * m[0] + lo;
		c2 = (u64)(s >> 64);
		for (j = 1; j < k; j++) {
			s = (u128_t)a[j] * b[i] + t[j] + c1;
			c1 = (u64)(s >> 64);
			lo = (u64)s;
			s = (u128_t)mm * m[j] + lo + c2;
			c2 = (u64)(s >> 64);
			t[j - 1] = (u64)s;
		}
		s = (u128_t)t[k] + c1 + c2;
		t[k - 1] = (u64)s;
		t[k] = (u64)(s >> 64);
	}
	/* t < 2m: subtract m unless that borrows (branch-free). */
	borrow = bn_sub(r, t, m, k);
	bn_select(r, r, t, ct_nz(t[k] | (borrow ^ 1)), k);
}

/* r = t * R^-1 mod m for a 2k-limb t < m*R (t is destroyed). */
void mont_reduce_wide(u64 *r, u64 *t, const u64 *m, u64 n0, unsigned int k)
{
	unsigned int i, j;
	u64 c, mm, hi = 0, borrow;
	u128_t s;

	for (i = 0; i < k; i++) {
		mm = t[i] * n0;
		c = 0;
		for (j = 0; j < k; j++) {
			s = (u128_t)mm * m[j] + t[i + j] + c;
			t[i + j] = (u64)s;
			c = (u64)(s >> 64);
		}
		s = (u128_t)t[i + k] + c + hi;
		t[i + k] = (u64)s;
		hi = (u64)(s >> 64);
	}
	borrow = bn_sub(r, t + k, m, k);
	bn_select(r, r, t + k, ct_nz(hi | (borrow ^ 1)), k);
}

/* r = a^2 * R^-1 mod m (a < m): bn_sqr, then the wide reduction. */
void mont_sqr(u64 *r, const u64 *a, const u64 *m, u64 n0, unsigned int k,
	      u64 *t)
{
	bn_sqr(t, a, k);
	mont_reduce_wide(r, t, m, n0, k);
}

/* rr = R^2 mod m by 2*64*k modular doublings of 1 (at import only). */
void mont_rr(u64 *rr, const u64 *m, unsigned int k, u64 *tmp)
{
	unsigned int i, j;
	u64 top, borrow;

	memset(rr, 0, k * sizeof(u64));
	rr[0] = 1;
	for (i = 0; i < 128 * k; i++) {
		top = rr[k - 1] >> 63;
		for (j = k - 1; j > 0; j--)
			rr[j] = (rr[j] << 1) | (rr[j - 1] >> 63);
		rr[0] <<= 1;
		borrow = bn_sub(tmp, rr, m, k);
		bn_select(rr, tmp, rr, ct_nz(top | (borrow ^ 1)), k);
	}
}

/*
 * r = base^exp mod m, base in Montgomery form, r in normal form.  Every
 * window of the el-limb exponent costs the same: 4 squarings, a scan of
 * the whole table and one multiplication.
 */
void mont_exp(u64 *r, const u64 *base_m, const u64 *exp, unsigned int el,
	      const u64 *m, u64 n0, const u64 *rr, unsigned int k,
	      struct mont_scratch *ms)
{
	unsigned int i, j, w, idx;
	u64 mask;

	memset(ms->one, 0, k * sizeof(u64));
	ms->one[0] = 1;
	mont_mul(ms->table[0], rr, ms->one, m, n0, k, ms->t); /* R mod m */
	memcpy(ms->table[1], base_m, k * sizeof(u64));
	for (i = 2; i < MONT_WIN_SIZE; i++)
		mont_mul(ms->table[i], ms->table[i - 1], base_m, m, n0, k,
			 ms->t);

	memcpy(ms->acc, ms->table[0], k * sizeof(u64));
	for (w = el * (64 / MONT_WIN_BITS); w-- > 0;) {
		for (i = 0; i < MONT_WIN_BITS; i++)
			mont_sqr(ms->acc, ms->acc, m, n0, k, ms->t);
		idx = (exp[w / 16] >> (MONT_WIN_BITS * (w % 16))) &
		      (MONT_WIN_SIZE - 1);
		memset(ms->sel, 0, k * sizeof(u64));
		for (i = 0; i < MONT_WIN_SIZE; i++) {
			mask = ct_eq(i, idx);
			for (j = 0; j < k; j++)
				ms->sel[j] |= ms->table[i][j] & mask;
		}
		mont_mul(ms->acc, ms->acc, ms->sel, m, n0, k, ms->t);
		if (w % 64 == 0)
			cond_resched(); /* a 4096-bit import check is long */
	}
	mont_mul(r, ms->acc, ms->one, m, n0, k, ms->t);
}
