/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel API difference the module meets, in one place.  Built and
 * tested against Debian 12's 6.1; the branches for newer kernels follow the
 * upstream changes named beside them.  The module does not use the
 * kernel's RSA (see rsa.c), so the crypto_sig/akcipher changes of 6.13 and
 * 6.15 do not reach it; ChaCha20-Poly1305 is the lib/crypto library, whose
 * interface has been stable since 5.5.
 */
#ifndef PKIKS_COMPAT_H
#define PKIKS_COMPAT_H

#include <linux/version.h>
#include <linux/hrtimer.h>
#include <net/genetlink.h>

/* 6.12 moved the unaligned accessors to <linux/unaligned.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* 6.13 added hrtimer_setup(); 6.15 removed hrtimer_init(). */
static inline void
pkiks_hrtimer_setup(struct hrtimer *timer,
		    enum hrtimer_restart (*fn)(struct hrtimer *),
		    clockid_t clock, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/* 6.2 split the ops: pre_doit and genl_dumpit_info carry genl_split_ops. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
typedef struct genl_split_ops pkiks_genl_ops_t;
#else
typedef struct genl_ops pkiks_genl_ops_t;
#endif

#endif /* PKIKS_COMPAT_H */
