// SPDX-License-Identifier: MIT
/* pkiks-vmtest: key commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "vmtest.h"

int cmd_info(int argc, char **argv)
{
	uint32_t version, features;
	struct pkiks *ks = NULL;
	int err;

	err = vm_open(&ks);
	err = err ?: pkiks_get_info(ks, &version, &features);
	if (!err)
		printf("version=%u features=0x%x transport=%s\n", version,
		       features, pkiks_transport_name(ks));
	if (ks)
		pkiks_close(ks);
	return err;
}

static const char *const rsa_params[8] = {
	OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* The eight components of a PEM private key, big-endian, malloc'd. */
static int load_parts(const char *path, unsigned char *bufs[8], size_t lens[8])
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL;
	int i, err = -EINVAL;

	if (!f)
		return -errno;
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pk)
		return -EINVAL;
	for (i = 0; i < 8; i++) {
		if (!EVP_PKEY_get_bn_param(pk, rsa_params[i], &bn))
			goto out;
		lens[i] = BN_num_bytes(bn);
		bufs[i] = malloc(lens[i] ? lens[i] : 1);
		if (!bufs[i])
			goto out;
		BN_bn2bin(bn, bufs[i]);
		BN_clear_free(bn);
		bn = NULL;
	}
	err = 0;
out:
	BN_clear_free(bn);
	EVP_PKEY_free(pk);
	return err;
}

static uint32_t usage_of(const char *s)
{
	if (!strcmp(s, "sign"))
		return PKIKS_USAGE_SIGN;
	if (!strcmp(s, "decrypt"))
		return PKIKS_USAGE_DECRYPT;
	if (!strcmp(s, "both"))
		return PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT;
	return 0;
}

int cmd_import(int argc, char **argv)
{
	unsigned char *b[8] = {0};
	size_t l[8] = {0};
	struct pkiks_rsa_parts p;
	struct pkiks_key_info info = {0};
	struct pkiks *ks = NULL;
	uint32_t usage = usage_of(argv[1]);
	int i, err;

	if (!usage)
		return vm_local_error("usage must be sign, decrypt or both");
	err = load_parts(argv[2], b, l);
	if (err)
		goto out;
	p = (struct pkiks_rsa_parts){b[0], b[1], b[2], b[3], b[4], b[5],
				     b[6], b[7], l[0], l[1], l[2], l[3],
				     l[4], l[5], l[6], l[7]};
	err = vm_open(&ks);
	err = err
		      ?: pkiks_key_import(
				 ks, argv[0], usage, &p,
				 argc > 3 && !strcmp(argv[3], "replace")
					 ? PKIKS_F_REPLACE
					 : 0,
				 &info);
	if (!err)
		printf("%s bits=%u usage=%u uid=%u\n", info.name, info.bits,
		       info.usage, info.owner_uid);
	free(info.pubkey);
out:
	for (i = 0; i < 8; i++) {
		if (b[i])
			OPENSSL_cleanse(b[i], l[i]);
		free(b[i]);
	}
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_pubkey(int argc, char **argv)
{
	struct pkiks_key_info info = {0};
	struct pkiks *ks = NULL;
	int err;

	err = vm_open(&ks);
	err = err ?: pkiks_key_get(ks, argv[0], &info);
	err = err ?: vm_write_file(argv[1], info.pubkey, info.pubkey_len);
	free(info.pubkey);
	if (ks)
		pkiks_close(ks);
	return err;
}

static const EVP_MD *hash_md(const char *name, enum pkiks_hash *hash)
{
	static const struct {
		const char *name;
		enum pkiks_hash hash;
	} map[] = {{"sha1", PKIKS_HASH_SHA1},
		   {"sha256", PKIKS_HASH_SHA256},
		   {"sha384", PKIKS_HASH_SHA384},
		   {"sha512", PKIKS_HASH_SHA512}};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i].name)) {
			*hash = map[i].hash;
			return EVP_get_digestbyname(name);
		}
	return NULL;
}

int cmd_sign(int argc, char **argv)
{
	unsigned char *data = NULL, dg[EVP_MAX_MD_SIZE], sig[512];
	size_t len, sig_len = sizeof(sig);
	unsigned int dg_len;
	enum pkiks_hash hash;
	const EVP_MD *md = hash_md(argv[1], &hash);
	struct pkiks *ks = NULL;
	int err;

	if (!md)
		return vm_local_error("unknown hash %s", argv[1]);
	err = vm_read_file(argv[2], &data, &len);
	if (err)
		return err;
	if (!EVP_Digest(data, len, dg, &dg_len, md, NULL)) {
		free(data);
		return vm_local_error("digest failed");
	}
	err = vm_open(&ks);
	err = err ?: pkiks_sign(ks, argv[0], hash, dg, dg_len, sig, &sig_len);
	err = err ?: vm_write_file(argv[3], sig, sig_len);
	free(data);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_decrypt(int argc, char **argv)
{
	unsigned char *in = NULL, out[512];
	size_t in_len, out_len = sizeof(out);
	struct pkiks *ks = NULL;
	int err;

	err = vm_read_file(argv[1], &in, &in_len);
	if (err)
		return err;
	err = vm_open(&ks);
	err = err ?: pkiks_decrypt(ks, argv[0], in, in_len, out, &out_len);
	err = err ?: vm_write_file(argv[2], out, out_len);
	free(in);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_delete(int argc, char **argv)
{
	struct pkiks *ks = NULL;
	int err = vm_open(&ks);

	err = err ?: pkiks_key_delete(ks, argv[0]);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_promote(int argc, char **argv)
{
	struct pkiks *ks = NULL;
	int err = vm_open(&ks);

	err = err ?: pkiks_key_promote(ks, argv[0]);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_list(int argc, char **argv)
{
	struct pkiks_key_info *keys = NULL;
	struct pkiks *ks = NULL;
	size_t n = 0, i;
	int err = vm_open(&ks);

	err = err ?: pkiks_key_list(ks, &keys, &n);
	for (i = 0; !err && i < n; i++)
		printf("%s bits=%u usage=%u uid=%u\n", keys[i].name,
		       keys[i].bits, keys[i].usage, keys[i].owner_uid);
	pkiks_key_info_free(keys, n);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_wrap(int argc, char **argv)
{
	unsigned char *blob = NULL;
	struct pkiks *ks = NULL;
	size_t len;
	int err = vm_open(&ks);

	err = err ?: pkiks_key_wrap(ks, argv[0], &blob, &len);
	err = err ?: vm_write_file(argv[1], blob, len);
	free(blob);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_unwrap(int argc, char **argv)
{
	struct pkiks_key_info info = {0};
	unsigned char *blob = NULL;
	struct pkiks *ks = NULL;
	size_t len;
	int err;

	err = vm_read_file(argv[0], &blob, &len);
	if (err)
		return err;
	err = vm_open(&ks);
	err = err
		      ?: pkiks_key_unwrap(ks, blob, len,
					  argc > 1 ? argv[1] : NULL, 0, &info);
	if (!err)
		printf("%s bits=%u usage=%u uid=%u\n", info.name, info.bits,
		       info.usage, info.owner_uid);
	free(info.pubkey);
	free(blob);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_kek_set(int argc, char **argv)
{
	unsigned char *kek = NULL;
	struct pkiks *ks = NULL;
	size_t len;
	int err;

	err = vm_read_file(argv[0], &kek, &len);
	if (err)
		return err;
	err = vm_open(&ks);
	err = err ?: pkiks_kek_set(ks, kek, len);
	OPENSSL_cleanse(kek, len);
	free(kek);
	if (ks)
		pkiks_close(ks);
	return err;
}
