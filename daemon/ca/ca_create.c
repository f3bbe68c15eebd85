// SPDX-License-Identifier: MIT
/*
 * The first `no shutdown`: CA key (keystore, through pkiks-keygen), the
 * self-signed CA certificate, its encrypted archive, the database row; in
 * RA mode also the RA key and certificate.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "ca_internal.h"
#include "core/keyblob.h"
#include "core/log.h"

extern char **environ;

#define CA_KEY_BITS	  "2048"
#define CA_ARCHIVE_PW_ENV "PKID_ARCHIVE_PASSWORD"

/*
 * The keygen child, between fork and exec (async-signal-safe calls only):
 * it dies with pkid, because a keygen orphaned by a crash would race the
 * restarted daemon's own keygen for the same key name; its stdout goes to
 * /dev/null (it prints the public key: not for our log).
 */
static void keygen_child(const char *path, const char **argv, pid_t parent)
{
	int fd;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		_exit(127);
	execve(path, (char *const *)argv, environ);
	_exit(127);
}

/*
 * Run pkiks-keygen NAME --bits N --usage U [--archive F --password-env V]
 * [--socket S].
 * The key is made and archived outside this process: the daemon never
 * sees private key material.  Its wrapped blob is stored before anything
 * records the key as made, so a key pkid relies on can be restored.
 */
static int run_keygen(struct ca *ca, const char *name, const char *kind,
		      const char *size, const char *usage, const char *archive)
{
	const char *argv[14];
	int argc = 0, status, err = 0;
	pid_t pid, self = getpid();

	argv[argc++] = ca->keygen;
	argv[argc++] = name;
	argv[argc++] = kind;
	argv[argc++] = size;
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
	pid = fork();
	if (pid == 0)
		keygen_child(ca->keygen, argv, self);
	if (pid < 0)
		err = errno;
	unsetenv(CA_ARCHIVE_PW_ENV);
	if (err) {
		pkid_log(LOG_ERR, "CS_KEYGEN", "cannot run %s: %s", ca->keygen,
			 strerror(err));
		return -err;
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		pkid_log(LOG_ERR, "CS_KEYGEN", "%s %s failed", ca->keygen,
			 name);
		return -EIO;
	}
	return keyblob_save(ca->ks, ca->db, name);
}

int ca_run_keygen(struct ca *ca, const char *name, const char *usage,
		  const char *archive)
{
	return run_keygen(ca, name, "--bits", CA_KEY_BITS, usage, archive);
}

/*
 * The CA's own key (first key and each rollover key): RSA 2048, or ECDSA
 * P-256/P-384 under `eckeypair`.  The key type is locked while the CA
 * exists (ca.c's check_locked), so a rollover keeps it.
 */
int ca_run_keygen_ca(struct ca *ca, const char *name, const char *usage,
		     const char *archive)
{
	if (!ca->cfg.ec_bits)
		return ca_run_keygen(ca, name, usage, archive);
	return run_keygen(ca, name, "--type",
			  ca->cfg.ec_bits == 384 ? "ec-p384" : "ec-p256",
			  usage, archive);
}

int ca_run_keygen_ec(struct ca *ca, const char *name)
{
	return run_keygen(ca, name, "--type", "ec-p256", "sign", NULL);
}

/* `database archive`: NAME_NNNNN.p12 (key, by keygen) + .pem (cert). */
int ca_archive_paths(struct ca *ca, int64_t n, char *p12, char *pem,
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

int ca_write_cert_pem(const char *path, X509 *x)
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
	/* The row is written again below: keep the counter in it. */
	row->archive_counter = n;
	if (ret == 0 && archive)
		ret = ca_archive_paths(ca, n, p12, pem, sizeof(p12));
	if (ret < 0)
		return ret;
	if (!archive)
		pkid_log(LOG_WARNING, "CS_NO_ARCHIVE",
			 "%s: CA key not archived (no `database archive ... "
			 "password`)",
			 ca->cfg.name);
	ret = ca_run_keygen_ca(ca, ca->cfg.name, usage, archive ? p12 : NULL);
	/* several nodes: the archive is every node's (ca_files.c) */
	if (!ret && archive)
		ret = ca_file_share(ca, p12);
	ret = ret ?: ca_load_key(ca, ca->cfg.name, &key);
	ret = ret ?: ca_self_sign(ca, key, now, &cert);
	ret = ret ?: ca_x509_der(cert, &row->cur_cert, &row->cur_cert_len);
	if (!ret && archive)
		ret = ca_write_cert_pem(pem, cert);
	if (!ret && archive)
		ret = ca_file_share(ca, pem);
	ret = ret ?: db_ca_put(ca->db, row);
	if (!ret)
		pkid_log(LOG_NOTICE, "CS_CA_CREATED", "%s: CA created",
			 ca->cfg.name);
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

/* ---- RA mode ---- */

/* NAME-ra, or its successor NAME-ra# during a rollover. */
int ca_ra_key_name(struct ca *ca, bool rollover, char *name, size_t size)
{
	if (snprintf(name, size, "%s%s%s", ca->cfg.name, CA_RA_SUFFIX,
		     rollover ? CA_ROLL_SUFFIX : "") >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* <database url>/NAME-ra.cer, or NAME-ra-rollover.cer (the successor). */
int ca_ra_path(struct ca *ca, bool rollover, char *path, size_t size)
{
	char dir[PKID_CONF_URL_MAX];
	int ret = ca_dir(ca, dir, sizeof(dir));

	if (ret == 0 &&
	    snprintf(path, size, "%s/%s%s%s.cer", dir, ca->cfg.name,
		     CA_RA_SUFFIX, rollover ? "-rollover" : "") >= (int)size)
		ret = -ENAMETOOLONG;
	return ret;
}

X509 *ca_read_der_file(const char *path)
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

	return X509_verify(ra, X509_get0_pubkey(pub->k.ca_cert)) == 1 &&
	       X509_check_private_key(ra, pub->k.ra_key) == 1 &&
	       ca_time_of(X509_get0_notAfter(ra), &end) == 0 &&
	       (end > now || ca_pub_expired(pub, now));
}

int ca_issue_service_cert(struct ca *ca, struct ca_pub *issuer,
			  struct ca_issue_params *p, const char *cn,
			  const char *path, X509 **out)
{
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	size_t len = 0;
	int ret = -ENOMEM;

	if (!name ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0))
		goto out;
	p->subject = name;
	ret = ca_issue(ca, issuer, p, out);
	ret = ret ?: ca_x509_der(*out, &der, &len);
	ret = ret ?: ca_write_file(path, der, len, 0644);
	p->subject = NULL;
out:
	free(der);
	X509_NAME_free(name);
	return ret;
}

/*
 * Issue an RA certificate for ra_key under issuer (the CA, or the
 * rollover CA with not_before its start) and write it to path.
 */
int ca_ra_issue(struct ca *ca, struct ca_pub *issuer, EVP_PKEY *ra_key,
		int64_t not_before, const char *path, X509 **out)
{
	struct ca_issue_params p = {.now = not_before,
				    .ra = true,
				    .pubkey = ra_key,
				    .not_before = not_before};
	char cn[PKIKS_NAME_MAX + 8];

	snprintf(cn, sizeof(cn), "%s RA", ca->cfg.name);
	return ca_issue_service_cert(ca, issuer, &p, cn, path, out);
}

/* 1 if the keystore holds key name, 0 if not, or a negative errno. */
int ca_key_exists(struct ca *ca, const char *name)
{
	struct pkiks_key_info info = {0};
	int ret = pkiks_key_get(ca->ks, name, &info);

	free(info.pubkey);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : 1;
}

/*
 * The RA certificate of path for key: the one in the folder (on a shared
 * database the one stored there: ca_files.c) if usable(), else a new one
 * from issue(), offered to the database; when another node stored one
 * first, that one.  Every node of a CA then serves one RA certificate.
 */
int ca_ra_settle(struct ca *ca, const char *path,
		 bool (*usable)(struct ca *, X509 *, void *),
		 int (*issue)(struct ca *, void *, X509 **), void *arg,
		 X509 **out)
{
	struct db_cafile seen = {0};
	X509 *ra = NULL;
	int ret, round;

	*out = NULL;
	ret = ca_file_fetch(ca, path, &seen);
	if (ret < 0)
		return ret;
	for (round = 0; round < 2; round++) {
		ra = ca_read_der_file(path);
		ERR_clear_error();
		if (ra && usable(ca, ra, arg)) {
			/* a folder's own (from before the database had
			 * it): the database's from now on */
			ret = seen.data ? 0 : ca_file_offer(ca, path, NULL);
		} else {
			X509_free(ra);
			ra = NULL;
			ERR_clear_error(); /* what usable() left */
			ret = issue(ca, arg, &ra);
			ret = ret ?: ca_file_offer(ca, path, &seen);
		}
		if (ret != -EEXIST)
			break;
		/* path is now the stored one: read it once more */
		X509_free(ra);
		ra = NULL;
		db_cafile_free(&seen);
		ret = ca_file_fetch(ca, path, &seen);
		if (ret < 0)
			break;
		ret = -EEXIST;
	}
	db_cafile_free(&seen);
	if (ret < 0) {
		X509_free(ra);
		return ret == -EEXIST ? -EAGAIN : ret;
	}
	*out = ra;
	return 0;
}

struct ra_cur {
	struct ca_pub *pub;
	int64_t now;
};

static bool cur_usable(struct ca *ca, X509 *ra, void *arg)
{
	struct ra_cur *c = arg;

	(void)ca;
	return ra_usable(c->pub, ra, c->now);
}

static int cur_issue(struct ca *ca, void *arg, X509 **out)
{
	struct ra_cur *c = arg;
	char path[PKID_CONF_URL_MAX + 80];
	int ret = ca_ra_path(ca, false, path, sizeof(path));

	return ret ?: ca_ra_issue(ca, c->pub, c->pub->k.ra_key, c->now, path,
				  out);
}

int ca_ra_load_or_issue(struct ca *ca, struct ca_pub *pub, int64_t now)
{
	char name[PKIKS_NAME_MAX], path[PKID_CONF_URL_MAX + 80];
	int ret;

	ret = ca_ra_key_name(ca, false, name, sizeof(name));
	ret = ret ?: ca_ra_path(ca, false, path, sizeof(path));
	if (ret < 0)
		return ret;
	if (ca_key_exists(ca, name) == 0) {
		ret = ca_run_keygen(ca, name, "both", NULL);
		if (ret < 0)
			return ret;
	}
	ret = ca_load_key(ca, name, &pub->k.ra_key);
	if (ret < 0)
		return ret;
	return ca_ra_settle(ca, path, cur_usable, cur_issue,
			    &(struct ra_cur){.pub = pub, .now = now},
			    &pub->k.ra_cert);
}
