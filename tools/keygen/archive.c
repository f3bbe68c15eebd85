// SPDX-License-Identifier: MIT
/*
 * The key archive (the CA's `database archive pkcs12`): a PKCS#12 file with
 * the new key, encrypted with a password (OpenSSL 3 defaults: PBES2,
 * AES-256-CBC, PBKDF2-SHA256; SHA-256 MAC), written before the key enters
 * the keystore and moved into place only once it did.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "keygen.h"

#define KEYGEN_PASSWORD_MAX 1024

/* First line of the file, or the environment variable; never empty. */
int keygen_read_password(const struct keygen_opts *o, char **password)
{
	char buf[KEYGEN_PASSWORD_MAX];
	const char *src;
	FILE *f;

	*password = NULL;
	if (o->password_env) {
		src = getenv(o->password_env);
		if (!src || !*src)
			return -ENOENT;
		*password = OPENSSL_strdup(src);
		return *password ? 0 : -ENOMEM;
	}
	f = fopen(o->password_file, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0])
		*password = OPENSSL_strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!*password)
		return -ENOENT;
	return 0;
}

/* Every certificate of a PEM file (--archive-cert), in file order. */
static int keygen_read_certs(const char *path, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *x;
	FILE *f;

	*out = NULL;
	if (!certs)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		sk_X509_free(certs);
		return -errno;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)))
		if (!sk_X509_push(certs, x))
			X509_free(x);
	fclose(f);
	if (sk_X509_num(certs) == 0) {
		sk_X509_free(certs);
		return -EINVAL;
	}
	*out = certs;
	return 0;
}

/* The PKCS#12 DER into a new file only the owner can read. */
static int keygen_write_p12(PKCS12 *p12, const char *tmp_path)
{
	unsigned char *der = NULL;
	int len, fd, err = 0;

	len = i2d_PKCS12(p12, &der);
	if (len <= 0)
		return -EIO;
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (write(fd, der, (size_t)len) != len || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		unlink(tmp_path);
out:
	OPENSSL_free(der);
	return err;
}

int keygen_archive_write(const struct keygen_opts *o, EVP_PKEY *pkey,
			 const char *tmp_path)
{
	STACK_OF(X509) *certs = NULL;
	PKCS12 *p12 = NULL;
	int err = 0;

	if (o->archive_cert) {
		err = keygen_read_certs(o->archive_cert, &certs);
		if (err)
			goto out;
	}
	/* nid 0/iter 0: OpenSSL's current defaults for key and MAC. */
	p12 = PKCS12_create_ex(o->password, o->name, pkey, NULL, certs, 0, 0, 0,
			       0, 0, NULL, NULL);
	if (!p12) {
		err = -EIO;
		goto out;
	}
	err = keygen_write_p12(p12, tmp_path);
out:
	PKCS12_free(p12);
	sk_X509_pop_free(certs, X509_free);
	return err;
}

/* link() refuses to replace an existing archive, unlike rename(). */
int keygen_archive_commit(const char *tmp_path, const char *path)
{
	int err = 0;

	if (link(tmp_path, path))
		err = -errno;
	unlink(tmp_path);
	return err;
}
