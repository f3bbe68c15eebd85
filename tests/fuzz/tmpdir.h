/* SPDX-License-Identifier: MIT */
/*
 * The temporary directory of a harness (fuzz_ctl.c, fuzz_pkiks.c): made
 * in LLVMFuzzerInitialize, removed with all it holds when the process
 * ends.  One harness per program includes it, hence the static ones.
 */
#ifndef PKID_FUZZ_TMPDIR_H
#define PKID_FUZZ_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char fuzz_tmp[64];

static int fuzz_tmp_remove_one(const char *path, const struct stat *st,
			       int flag, struct FTW *ftw)
{
	return remove(path);
}

static void fuzz_tmp_remove(void)
{
	nftw(fuzz_tmp, fuzz_tmp_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdtemp("/tmp/fuzz-@harness.XXXXXX"), gone at exit; NULL on failure. */
static const char *fuzz_tmpdir(const char *harness)
{
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "/tmp/fuzz-%s.XXXXXX", harness);
	if (!mkdtemp(fuzz_tmp))
		return NULL;
	atexit(fuzz_tmp_remove);
	return fuzz_tmp;
}

#endif /* PKID_FUZZ_TMPDIR_H */
