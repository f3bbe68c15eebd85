/* SPDX-License-Identifier: GPL-2.0 */
/* The one DER structure the module writes: an RSA SubjectPublicKeyInfo. */
#ifndef PKIKS_DER_H
#define PKIKS_DER_H

#include <linux/types.h>

/* Largest SPKI for a 4096-bit modulus and a 64-bit exponent, rounded up. */
#define PKIKS_SPKI_MAX 600

/* Writes the SPKI of (n, e) into out; returns its length or -EMSGSIZE. */
int pkiks_der_rsa_spki(u8 *out, size_t room, const u8 *n, size_t n_len,
		       const u8 *e, size_t e_len);

#endif /* PKIKS_DER_H */
