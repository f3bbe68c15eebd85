// SPDX-License-Identifier: GPL-2.0
/*
 * Big numbers and Montgomery arithmetic for rsa.c (see bignum.h):
 * multiplication, squaring and reduction as rows of one multiply-add loop
 * (mulx/adcx/adox on x86-64 where the CPU has them, u128 C elsewhere) with a
 * branch-free final subtraction, the wide reduction that takes a CRT input mod p, R^2 by
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
 * r[0..k) += a[0..k) * b; returns the carry limb.  The one inner loop of
 * every product and reduction below.  On x86-64 CPUs with BMI2 and ADX
 * it runs as mulx with two independent carry chains (adcx: the low
 * halves, adox: the limbs of r), integer instructions only, so no FPU
 * state is touched; elsewhere (arm64, older x86) it is plain C on u128.
 * The length and the CPU's features are public; no branch depends on a.
 */
static inline u64 addmul_c(u64 *r, const u64 *a, u64 b, unsigned int k)
{
	u64 c = 0;
	unsigned int j;
	u128_t s;

	for (j = 0; j < k; j++) {
		s = (u128_t)a[j] * b + r[j] + c;
		r[j] = (u64)s;
		c = (u64)(s >> 64);
	}
	return c;
}

#ifdef BN_ADX
/*
 * k & 3 single limbs, then k / 4 blocks of four.  lea and jrcxz leave the
 * flags alone, so both chains run through the whole row; the carry out is
 * hi + CF + OF, which fits: r + a*b < 2^(64(k+1)).
 */
#define ADX_LIMB(off)                                                          \
	"mulx " off "(%[a]), %[lo], %[hi]\n\t"                                 \
	"adcx %[c], %[lo]\n\t"                                                 \
	"adox " off "(%[r]), %[lo]\n\t"                                        \
	"mov %[lo], " off "(%[r])\n\t"                                         \
	"mov %[hi], %[c]\n\t"

static inline u64 addmul_adx(u64 *r, const u64 *a, u64 b, unsigned int k)
{
	unsigned long n = k & 3, quads = k >> 2;
	u64 lo, hi, c = 0;

	asm("xor %k[lo], %k[lo]\n\t" /* CF = OF = 0 */
	    "jrcxz 2f\n"
	    "1:\n\t" ADX_LIMB("0") "lea 8(%[a]), %[a]\n\t"
	    "lea 8(%[r]), %[r]\n\t"
	    "lea -1(%[n]), %[n]\n\t"
	    "jrcxz 2f\n\t"
	    "jmp 1b\n"
	    "2:\n\t"
	    "mov %[quads], %[n]\n\t"
	    "jrcxz 4f\n"
	    "3:\n\t" ADX_LIMB("0") ADX_LIMB("8") ADX_LIMB("16") ADX_LIMB("24")
	    "lea 32(%[a]), %[a]\n\t"
	    "lea 32(%[r]), %[r]\n\t"
	    "lea -1(%[n]), %[n]\n\t"
	    "jrcxz 4f\n\t"
	    "jmp 3b\n"
	    "4:\n\t"
	    "mov $0, %k[lo]\n\t"
	    "adcx %[lo], %[c]\n\t"
	    "adox %[lo], %[c]\n\t"
	    : [r] "+r"(r), [a] "+r"(a), [n] "+c"(n), [lo] "=&r"(lo),
	      [hi] "=&r"(hi), [c] "+r"(c)
	    : [quads] "r"(quads), "d"(b)
	    : "cc", "memory");
	return c;
}
#endif

static inline u64 addmul(u64 *r, const u64 *a, u64 b, unsigned int k)
{
#ifdef BN_ADX
	if (bn_cpu_adx())
		return addmul_adx(r, a, b, k);
#endif
	return addmul_c(r, a, b, k);
}

/*
 * r (2k limbs) = a^2: the cross products once, doubled, plus the squares;
 * about 3/4 of bn_mul's work.  r must not alias a.
 */
void bn_sqr(u64 *r, const u64 *a, unsigned int k)
{
	unsigned int i;
	u64 c, v, top = 0;
	u128_t s;

	memset(r, 0, 2 * k * sizeof(u64));
	for (i = 0; i + 1 < k; i++)
		r[i + k] = addmul(r + 2 * i + 1, a + i + 1, a[i], k - i - 1);
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
	unsigned int i;

	memset(r, 0, 2 * k * sizeof(u64));
	for (i = 0; i < k; i++)
		r[i + k] = addmul(r + i, a, b[i], k);
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

/* r = t * R^-1 mod m for a 2k-limb t < m*R (t is destroyed). */
void mont_reduce_wide(u64 *r, u64 *t, const u64 *m, u64 n0, unsigned int k)
{
	unsigned int i;
	u64 c, hi = 0, borrow;
	u128_t s;

	for (i = 0; i < k; i++) {
		c = addmul(t + i, m, t[i] * n0, k);
		s = (u128_t)t[i + k] + c + hi;
		t[i + k] = (u64)s;
		hi = (u64)(s >> 64);
	}
	borrow = bn_sub(r, t + k, m, k);
	bn_select(r, r, t + k, ct_nz(hi | (borrow ^ 1)), k);
}

/*
 * r = a * b * R^-1 mod m; a, b < m; r may alias a or b; t: 2k limbs.  The
 * product first, then the reduction: both are rows of addmul, the form the
 * mulx/adcx/adox loop runs fastest (the fused CIOS loop in C, with two
 * multiplications per step, was 2-3 times slower per call than this).
 */
void mont_mul(u64 *r, const u64 *a, const u64 *b, const u64 *m, u64 n0,
	      unsigned int k, u64 *t)
{
	bn_mul(t, a, b, k);
	mont_reduce_wide(r, t, m, n0, k);
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
