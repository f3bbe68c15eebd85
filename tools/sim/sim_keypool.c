// SPDX-License-Identifier: MIT
/*
 * sim-keygen: pkiks-keygen whose RSA-2048 keys come from a pool made
 * ahead of time (tools/sim, issue 13).  Everything else is pkiks-keygen's
 * own code (tools/keygen: arguments, hardening, import into the keystore,
 * output); only keygen_generate() is wrapped (-Wl,--wrap): it takes one
 * PEM key from $PKID_SIM_KEYPOOL, claimed by rename so two pkids never
 * take the same one, and deletes it.  The keys are real RSA-2048 keys made
 * by OpenSSL in parallel before the simulated years begin: RSA key
 * generation is the run's largest cost, and one pkid makes its keys one at
 * a time inside the timed loop.  An empty pool (or another key type or
 * size) falls back to generating here, as pkiks-keygen does, and says so
 * on stderr (the simulator counts it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "keygen.h"

int __real_keygen_generate(const struct keygen_opts *o, EVP_PKEY **out);
int __wrap_keygen_generate(const struct keygen_opts *o, EVP_PKEY **out);

#define POOL_PATH_MAX 4096

/* Claim one key file of @dir into @claimed; 0, or -ENOENT when empty. */
static int claim(const char *dir, char *claimed, size_t len)
{
	char from[POOL_PATH_MAX];
	struct dirent *e;
	int ret = -ENOENT;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while (ret == -ENOENT && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".pem"))
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, e->d_name);
		snprintf(claimed, len, "%s/%s.taken-%ld", dir, e->d_name,
			 (long)getpid());
		if (rename(from, claimed) == 0)
			ret = 0; /* else another pkid took it first */
	}
	closedir(d);
	return ret;
}

static int from_pool(const char *dir, EVP_PKEY **out)
{
	char path[POOL_PATH_MAX];
	FILE *f;
	int ret = claim(dir, path, sizeof(path));

	if (ret < 0)
		return ret;
	f = fopen(path, "r");
	*out = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	unlink(path);
	return *out && EVP_PKEY_get_bits(*out) == 2048 ? 0 : -EIO;
}

int __wrap_keygen_generate(const struct keygen_opts *o, EVP_PKEY **out)
{
	const char *dir = getenv("PKID_SIM_KEYPOOL");
	int ret;

	if (dir && !pkiks_key_type_group(o->type) && o->bits == 2048) {
		ret = from_pool(dir, out);
		if (ret == 0)
			return 0;
		EVP_PKEY_free(*out);
		*out = NULL;
		fprintf(stderr, "sim-keygen: key pool %s: %s: generating\n",
			dir, strerror(-ret));
	}
	return __real_keygen_generate(o, out);
}
