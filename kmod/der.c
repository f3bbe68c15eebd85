// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny DER writer for
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *     algorithm SEQUENCE { OID rsaEncryption, NULL },
 *     subjectPublicKey BIT STRING { RSAPublicKey ::= SEQUENCE {
 *       INTEGER n, INTEGER e } } }
 * Sizes are computed first, then the bytes are written front to back, so
 * nothing is ever written past "room".
 */
#include <linux/errno.h>
#include <linux/string.h>

#include "der.h"

static const u8 rsa_alg_id[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

static size_t len_size(size_t len)
{
	return len < 0x80 ? 1 : len < 0x100 ? 2 : 3;
}

static size_t tlv_size(size_t content)
{
	return 1 + len_size(content) + content;
}

/* Content length of a DER INTEGER for an unsigned big-endian value. */
static size_t int_content(const u8 *v, size_t len)
{
	while (len > 1 && !v[0]) {
		v++;
		len--;
	}
	return len + (v[0] & 0x80 ? 1 : 0);
}

static u8 *put_hdr(u8 *p, u8 tag, size_t len)
{
	*p++ = tag;
	if (len >= 0x100) {
		*p++ = 0x82;
		*p++ = (u8)(len >> 8);
	} else if (len >= 0x80) {
		*p++ = 0x81;
	}
	*p++ = (u8)len;
	return p;
}

static u8 *put_int(u8 *p, const u8 *v, size_t len)
{
	while (len > 1 && !v[0]) {
		v++;
		len--;
	}
	p = put_hdr(p, 0x02, int_content(v, len));
	if (v[0] & 0x80)
		*p++ = 0x00;
	memcpy(p, v, len);
	return p + len;
}

int pkiks_der_rsa_spki(u8 *out, size_t room, const u8 *n, size_t n_len,
		       const u8 *e, size_t e_len)
{
	size_t rsa_pub, bit_str, spki, total;
	u8 *p = out;

	if (!n_len || !e_len)
		return -EINVAL;
	rsa_pub = tlv_size(int_content(n, n_len)) +
		  tlv_size(int_content(e, e_len));
	bit_str = 1 + tlv_size(rsa_pub);
	spki = sizeof(rsa_alg_id) + tlv_size(bit_str);
	total = tlv_size(spki);
	if (total > room || spki >= 0x10000)
		return -EMSGSIZE;

	p = put_hdr(p, 0x30, spki);
	memcpy(p, rsa_alg_id, sizeof(rsa_alg_id));
	p += sizeof(rsa_alg_id);
	p = put_hdr(p, 0x03, bit_str);
	*p++ = 0x00; /* no unused bits */
	p = put_hdr(p, 0x30, rsa_pub);
	p = put_int(p, n, n_len);
	p = put_int(p, e, e_len);
	return (int)(p - out);
}
