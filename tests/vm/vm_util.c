// SPDX-License-Identifier: MIT
/* pkiks-vmtest: opening the keystore, files, local errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmtest.h"

const char *vm_twin_socket;

int vm_open(struct pkiks **ks)
{
	if (vm_twin_socket)
		return pkiks_open(ks, PKIKS_TRANSPORT_TWIN, vm_twin_socket);
	return pkiks_open(ks, PKIKS_TRANSPORT_KERNEL, NULL);
}

int vm_local_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pkiks-vmtest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return VM_LOCAL_ERROR;
}

int vm_read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long size;
	int err = -EIO;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	b = malloc(size ? size : 1);
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(b, 1, size, f) != (size_t)size)
		goto out;
	*buf = b;
	*len = size;
	b = NULL;
	err = 0;
out:
	free(b);
	fclose(f);
	return err;
}

int vm_write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len)
		err = -EIO;
	if (fclose(f))
		err = -EIO;
	return err;
}
