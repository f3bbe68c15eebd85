/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header, for kmod/test only. */
#ifndef PKIKS_SHIM_SLAB_H
#define PKIKS_SHIM_SLAB_H
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#define GFP_KERNEL 0
static inline void *kzalloc(size_t n, int gfp)
{
	(void)gfp;
	return calloc(1, n);
}
static inline void *kmalloc(size_t n, int gfp)
{
	(void)gfp;
	return malloc(n);
}
static inline void kfree(const void *p)
{
	free((void *)p);
}
static inline void kfree_sensitive(const void *p)
{
	if (p)
		explicit_bzero((void *)p, malloc_usable_size((void *)p));
	free((void *)p);
}
static inline void *kvzalloc(size_t n, int gfp)
{
	return kzalloc(n, gfp);
}
static inline void kvfree_sensitive(const void *p, size_t n)
{
	if (p)
		explicit_bzero((void *)p, n);
	free((void *)p);
}
#endif
