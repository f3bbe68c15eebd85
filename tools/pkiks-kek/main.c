// SPDX-License-Identifier: MIT
/*
 * pkiks-kek: give the keystore its key-encryption key (PKIKS_CMD_KEK_SET)
 * from a root-only file, at boot.
 *
 *   pkiks-kek [--create] [--no-set] [--socket PATH] FILE
 *
 * --create   make FILE (PKIKS_KEK_LEN random bytes, mode 0600) when it is
 *            missing: the first boot generates the host's KEK.
 * --no-set   only create/check the file (pkiksd reads it itself).
 * --socket   pkiksd's socket, when there is no kernel family.
 *
 * The file must be a regular file of exactly PKIKS_KEK_LEN bytes, owned by
 * root (or by us) and unreadable by group and others: the KEK decrypts
 * every wrapped key backup, so a readable copy is refused, not used.  The
 * keystore accepts the KEK once per host lifetime; a second run (a unit
 * restart) finds it set (EBUSY) and says so with exit status 0.
 *
 * Exit status: 0 provisioned (or already), 1 usage, 2 file problem,
 * 3 keystore unreachable or refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "keystore.h"

struct kek_opts {
	const char *file;
	const char *socket;
	bool create;
	bool no_set;
};

static void usage(FILE *f)
{
	fputs("usage: pkiks-kek [--create] [--no-set] [--socket PATH] FILE\n",
	      f);
}

static int parse_opts(int argc, char **argv, struct kek_opts *o)
{
	static const struct option longopts[] = {
		{"create", no_argument, NULL, 'c'},
		{"no-set", no_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0}};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->create = true;
			break;
		case 'n':
			o->no_set = true;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return -EINVAL;
	}
	o->file = argv[optind];
	return 0;
}

/* A new KEK from the kernel's random pool, written once (O_EXCL). */
static int kek_create(const char *path)
{
	unsigned char kek[PKIKS_KEK_LEN];
	int fd, err = 0;

	if (getrandom(kek, sizeof(kek), 0) != sizeof(kek))
		return -EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (write(fd, kek, sizeof(kek)) != sizeof(kek) || fsync(fd))
		err = errno ? -errno : -EIO;
	close(fd);
	if (err)
		unlink(path);
	else
		fprintf(stderr, "pkiks-kek: created a new KEK in %s\n", path);
out:
	explicit_bzero(kek, sizeof(kek));
	return err;
}

/* Read @path into @kek after checking who may read it. */
static int kek_read(const char *path, unsigned char *kek)
{
	unsigned char buf[PKIKS_KEK_LEN + 1];
	struct stat st;
	const char *why = NULL;
	ssize_t n;
	int fd, err = -EACCES;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_mode & 077)
		why = "readable by group or others (chmod 600)";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		why = "not owned by root";
	if (why)
		goto out;
	n = read(fd, buf, sizeof(buf));
	err = -EINVAL;
	if (n != PKIKS_KEK_LEN) {
		why = "must hold exactly 32 bytes";
		goto out;
	}
	memcpy(kek, buf, PKIKS_KEK_LEN);
	err = 0;
out:
	if (why)
		fprintf(stderr, "pkiks-kek: %s: %s\n", path, why);
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return err;
}

static int kek_set(const struct kek_opts *o, const unsigned char *kek)
{
	struct pkiks *ks;
	int err;

	err = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, o->socket);
	if (err) {
		fprintf(stderr, "pkiks-kek: keystore unreachable: %s\n",
			strerror(-err));
		return 3;
	}
	err = pkiks_kek_set(ks, kek, PKIKS_KEK_LEN);
	if (err == -EBUSY)
		printf("pkiks-kek: the %s keystore already has its KEK\n",
		       pkiks_transport_name(ks));
	else if (err)
		fprintf(stderr,
			"pkiks-kek: KEK_SET refused by the %s keystore: "
			"%s\n",
			pkiks_transport_name(ks), strerror(-err));
	else
		printf("pkiks-kek: KEK provisioned to the %s keystore\n",
		       pkiks_transport_name(ks));
	pkiks_close(ks);
	return err && err != -EBUSY ? 3 : 0;
}

int main(int argc, char **argv)
{
	unsigned char kek[PKIKS_KEK_LEN];
	struct kek_opts o = {0};
	int err;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 1;
	umask(077);
	if (o.create && access(o.file, F_OK) && errno == ENOENT) {
		err = kek_create(o.file);
		if (err) {
			fprintf(stderr, "pkiks-kek: creating %s: %s\n", o.file,
				strerror(-err));
			return 2;
		}
	}
	err = kek_read(o.file, kek);
	if (err) {
		if (err != -EACCES && err != -EINVAL)
			fprintf(stderr, "pkiks-kek: %s: %s\n", o.file,
				strerror(-err));
		return 2;
	}
	err = o.no_set ? 0 : kek_set(&o, kek);
	explicit_bzero(kek, sizeof(kek));
	return err;
}
