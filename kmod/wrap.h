/* SPDX-License-Identifier: GPL-2.0 */
/* Wrapped keys: the blob format of uapi/pkiks.h under the KEK. */
#ifndef PKIKS_WRAP_H
#define PKIKS_WRAP_H

#include <linux/types.h>

struct pkiks_key;

int pkiks_wrap_init(void);
void pkiks_wrap_uninit(void);

/* Once per module lifetime: -EBUSY after that. */
int pkiks_kek_set(const u8 *kek, size_t len);
/* A kmalloc'd blob (kfree it); -ENOKEY without a KEK. */
int pkiks_key_wrap(const struct pkiks_key *key, u8 **blob, size_t *len);
/* Opens a blob into a new key (not yet in the store). */
int pkiks_key_unwrap(const u8 *blob, size_t len, const char *rename,
		     struct pkiks_key **out);

#endif /* PKIKS_WRAP_H */
