// SPDX-License-Identifier: MIT
/*
 * The first `no shutdown`: CA key (keystore, through pkiks-keygen), the
 * self-signed CA certificate, its encrypted archive, the database row; in
 * RA mode also the RA key and certificate.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "ca_internal.h"

extern char **environ;

#define CA_KEY_BITS	  "2048"
#define CA_ARCHIVE_PW_ENV "PKID_ARCHIVE_PASSWORD"

/*
 * Run pkiks-keygen NAME --bits N --usage U [--archive F --password-env V]
 * [--socket S].
 * The key is made and archived outside this process: the daemon never
 * sees private key material.
 */
static int run_keygen(struct ca *ca, const char *name, const char *usage,
		      const char *archive)
{
	posix_spawn_file_actions_t fa;
	const char *argv[14];
	int argc = 0, status, err;
	pid_t pid;

	argv[argc++] = ca->keygen;
	argv[argc++] = name;
	argv[argc++] = "--bits";
	argv[argc++] = CA_KEY_BITS;
	argv[argc++] = "--usage";
	argv[argc++] = usage;
	if (archive) {
		argv[argc++] = "--archive";
		argv[argc++] = archive;
		argv[argc++] = "--password-env";
		argv[argc++] = CA_ARCHIVE_PW_ENV;
	}
	if (ca->ks_socket) {
		argv[argc++] = "--socket";
		argv[argc++] = ca->ks_socket;
	}
	argv[argc] = NULL;
	if (archive)
		setenv(CA_ARCHIVE_PW_ENV, ca->cfg.archive_password, 1);
	/* keygen prints the public key on stdout: not for our log. */
	err = posix_spawn_file_actions_init(&fa);
	if (!err)
		err = posix_spawn_file_actions_addopen(
			&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (!err)
		err = posix_spawn(&pid, ca->keygen, &fa, NULL, (char **)argv,
				  environ);
	posix_spawn_file_actions_destroy(&fa);
	unsetenv(CA_ARCHIVE_PW_ENV);
	if (err) {
		fprintf(stderr, "pkid: cannot run %s: %s\n", ca->keygen,
			strerror(err));
		return -err;
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "pkid: %s %s failed\n", ca->keygen, name);
		return -EIO;
	}
	return 0;
}

/* `database archive`: NAME_NNNNN.p12 (key, by keygen) + .pem (cert). */
static int archive_paths(struct ca *ca, int64_t n, char *p12, char *pem,
			 size_t size)
{
	char dir[PKID_CONF_URL_MAX];
	int ret = ca_dir(ca, dir, sizeof(dir));

	if (ret < 0)
		return ret;
	if (snprintf(p12, size, "%s/%s_%05lld.p12", dir, ca->cfg.name,
		     (long long)n) >= (int)size ||
	    snprintf(pem, size, "%s/%s_%05lld.pem", dir, ca->cfg.name,
		     (long long)n) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static int write_cert_pem(const char *path, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem;
	long len;
	int ret = -ENOMEM;

	if (b && PEM_write_bio_X509(b, x)) {
		len = BIO_get_mem_data(b, &mem);
		ret = ca_write_file(path, mem, len, 0644);
	}
	BIO_free(b);
	return ret;
}

int ca_create(struct ca *ca, int64_t now, struct db_ca *row)
{
	char p12[PKID_CONF_URL_MAX + 64], pem[PKID_CONF_URL_MAX + 64];
	const char *usage =
		ca->key_mode == CA_KEY_MODE_SINGLE ? "both" : "sign";
	bool archive = ca->cfg.archive_password[0] != '\0';
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int64_t n = 0;
	int ret;

	snprintf(row->name, sizeof(row->name), "%s", ca->cfg.name);
	snprintf(row->cur_key, sizeof(row->cur_key), "%s", ca->cfg.name);
	/* The row first: it holds the archive counter and the serials. */
	ret = db_ca_put(ca->db, row);
	if (ret == 0 && archive)
		ret = db_ca_next_archive(ca->db, ca->cfg.name, &n);
	if (ret == 0 && archive)
		ret = archive_paths(ca, n, p12, pem, sizeof(p12));
	if (ret < 0)
		return ret;
	if (!archive)
		fprintf(stderr,
			"pkid: %s: CA key not archived (no `database "
			"archive ... password`)\n",
			ca->cfg.name);
	ret = run_keygen(ca, ca->cfg.name, usage, archive ? p12 : NULL);
	ret = ret ?: ca_load_key(ca, ca->cfg.name, &key);
	ret = ret ?: ca_self_sign(ca, key, now, &cert);
	ret = ret ?: ca_x509_der(cert, &row->cur_cert, &row->cur_cert_len);
	if (!ret && archive)
		ret = write_cert_pem(pem, cert);
	ret = ret ?: db_ca_put(ca->db, row);
	if (!ret)
		fprintf(stderr, "pkid: %s: CA created\n", ca->cfg.name);
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

/* ---- RA mode ---- */

static int ra_path(struct ca *ca, char *path, size_t size)
{
	char dir[PKID_CONF_URL_MAX];
	int ret = ca_dir(ca, dir, sizeof(dir));

	if (ret == 0)
		snprintf(path, size, "%s/%s%s.cer", dir, ca->cfg.name,
			 CA_RA_SUFFIX);
	return ret;
}

static X509 *ra_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	X509 *x;

	if (!f)
		return NULL;
	x = d2i_X509_fp(f, NULL);
	fclose(f);
	return x;
}

/* The RA certificate is still usable: ours, key matches, not expired. */
static bool ra_usable(struct ca_pub *pub, X509 *ra, int64_t now)
{
	int64_t end;

	return X509_verify(ra, X509_get0_pubkey(pub->ca_cert)) == 1 &&
	       X509_check_private_key(ra, pub->ra_key) == 1 &&
	       ca_time_of(X509_get0_notAfter(ra), &end) == 0 && end > now;
}

static int ra_issue(struct ca *ca, struct ca_pub *pub, int64_t now,
		    const char *path)
{
	struct ca_issue_params p = {
		.now = now, .ra = true, .pubkey = pub->ra_key};
	char cn[PKIKS_NAME_MAX + 8];
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	size_t len = 0;
	int ret = -ENOMEM;

	snprintf(cn, sizeof(cn), "%s RA", ca->cfg.name);
	if (!name ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(unsigned char *)cn, -1, -1, 0))
		goto out;
	p.subject = name;
	ret = ca_issue(ca, pub, &p, &pub->ra_cert);
	ret = ret ?: ca_x509_der(pub->ra_cert, &der, &len);
	ret = ret ?: ca_write_file(path, der, len, 0644);
out:
	free(der);
	X509_NAME_free(name);
	return ret;
}

/* 1 if the keystore holds key name, 0 if not, or a negative errno. */
static int ca_key_exists(struct ca *ca, const char *name)
{
	struct pkiks_key_info info = {0};
	int ret = pkiks_key_get(ca->ks, name, &info);

	free(info.pubkey);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : 1;
}

int ca_ra_load_or_issue(struct ca *ca, struct ca_pub *pub, int64_t now)
{
	char name[PKIKS_NAME_MAX], path[PKID_CONF_URL_MAX + 80];
	X509 *ra;
	int ret;

	if (snprintf(name, sizeof(name), "%s%s", ca->cfg.name, CA_RA_SUFFIX) >=
	    (int)sizeof(name))
		return -ENAMETOOLONG;
	ret = ra_path(ca, path, sizeof(path));
	if (ret < 0)
		return ret;
	if (ca_key_exists(ca, name) == 0) {
		ret = run_keygen(ca, name, "both", NULL);
		if (ret < 0)
			return ret;
	}
	ret = ca_load_key(ca, name, &pub->ra_key);
	if (ret < 0)
		return ret;
	ra = ra_read(path);
	if (ra && ra_usable(pub, ra, now)) {
		pub->ra_cert = ra;
		return 0;
	}
	X509_free(ra);
	return ra_issue(ca, pub, now, path);
}
