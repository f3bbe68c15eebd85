// SPDX-License-Identifier: MIT
/*
 * pkiks-keygen NAME [--bits 2048|3072|4096 | --type rsa|ec-p256|ec-p384]
 *              [--usage sign|decrypt|both]
 *              [--archive FILE.p12 (--password-file F | --password-env VAR)
 *               [--archive-cert CERTS.pem]] [--replace] [--json]
 *              [--socket PATH]
 *
 * Order of work, so that a failure leaves nothing half-done: check the
 * arguments, harden the process, reach the keystore, generate, write the
 * archive under a temporary name, import, then move the archive in place.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keygen.h"
#include "output.h"

/* Secure heap for the key's BIGNUMs and our component copies (mlocked). */
#define KEYGEN_SECURE_HEAP (1 << 20)

static void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("pkiks-keygen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fputs("usage: pkiks-keygen NAME [--bits 2048|3072|4096 | "
	      "--type rsa|ec-p256|ec-p384]\n"
	      "         [--usage sign|decrypt|derive|both]\n"
	      "         [--archive FILE.p12 (--password-file F | "
	      "--password-env VAR) [--archive-cert CERTS.pem]]\n"
	      "         [--replace] [--json] [--socket PATH]\n",
	      f);
}

static int parse_usage(const char *s, uint32_t *usage)
{
	if (!strcmp(s, "sign"))
		*usage = PKIKS_USAGE_SIGN;
	else if (!strcmp(s, "decrypt"))
		*usage = PKIKS_USAGE_DECRYPT;
	else if (!strcmp(s, "derive")) /* ECDH, EC keys only */
		*usage = PKIKS_USAGE_DERIVE;
	else if (!strcmp(s, "both")) /* an EC key's is sign + derive */
		*usage = PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT;
	else
		return -EINVAL;
	return 0;
}

static int parse_type(const char *s, enum pkiks_key_type *type)
{
	int t;

	for (t = 0; t < __PKIKS_KEY_TYPE_MAX; t++)
		if (!strcmp(s, pkiks_key_type_name(t))) { /* known types only */
			*type = t;
			return 0;
		}
	return -EINVAL;
}

/* What the options say together (each alone was checked as parsed). */
static int check_combination(struct keygen_opts *o, int bits_given)
{
	uint32_t both = PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT;

	if (o->type != PKIKS_KEY_RSA && bits_given) {
		die_msg("--bits is for RSA keys; an EC key's size is its curve");
		return -EINVAL;
	}
	/* both: what the key type has for a general-purpose key (IOS's
	 * eckeypair signs its requests and agrees the CertRep's key) */
	if (o->type != PKIKS_KEY_RSA && o->usage == both)
		o->usage = PKIKS_USAGE_SIGN | PKIKS_USAGE_DERIVE;
	if (o->type != PKIKS_KEY_RSA && o->usage & PKIKS_USAGE_DECRYPT) {
		die_msg("an EC key signs and derives: --usage sign|derive|both");
		return -EINVAL;
	}
	if (o->type == PKIKS_KEY_RSA && o->usage & PKIKS_USAGE_DERIVE) {
		die_msg("ECDH is for EC keys: --type ec-p256|ec-p384");
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct keygen_opts *o)
{
	int bits_given = 0;
	static const struct option longopts[] = {
		{"bits", required_argument, NULL, 'b'},
		{"type", required_argument, NULL, 't'},
		{"usage", required_argument, NULL, 'u'},
		{"archive", required_argument, NULL, 'a'},
		{"archive-cert", required_argument, NULL, 'c'},
		{"password-file", required_argument, NULL, 'p'},
		{"password-env", required_argument, NULL, 'e'},
		{"socket", required_argument, NULL, 's'},
		{"replace", no_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct keygen_opts){.bits = 2048, .usage = PKIKS_USAGE_SIGN};
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bits = atoi(optarg);
			bits_given = 1;
			if (o->bits != 2048 && o->bits != 3072 &&
			    o->bits != 4096) {
				die_msg("--bits %s: 2048, 3072 or 4096",
					optarg);
				return -EINVAL;
			}
			break;
		case 't':
			if (parse_type(optarg, &o->type)) {
				die_msg("--type %s: rsa, ec-p256 or ec-p384",
					optarg);
				return -EINVAL;
			}
			break;
		case 'u':
			if (parse_usage(optarg, &o->usage)) {
				die_msg("--usage %s: sign, decrypt or both",
					optarg);
				return -EINVAL;
			}
			break;
		case 'a':
			o->archive = optarg;
			break;
		case 'c':
			o->archive_cert = optarg;
			break;
		case 'p':
			o->password_file = optarg;
			break;
		case 'e':
			o->password_env = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'r':
			o->replace = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			usage(stdout);
			exit(KEYGEN_EXIT_OK);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		die_msg("expected exactly one key NAME");
		return -EINVAL;
	}
	o->name = argv[optind];
	if (check_combination(o, bits_given))
		return -EINVAL;
	if (!pkiks_key_name_valid(o->name)) {
		die_msg("%s: a key name is 1-%d characters of [A-Za-z0-9._-], "
			"optionally ending in '#'",
			o->name, PKIKS_NAME_MAX - 1);
		return -EINVAL;
	}
	if (o->archive && !o->password_file == !o->password_env) {
		die_msg("--archive needs one of --password-file or "
			"--password-env");
		return -EINVAL;
	}
	if (!o->archive &&
	    (o->password_file || o->password_env || o->archive_cert)) {
		die_msg("--password-*/--archive-cert need --archive");
		return -EINVAL;
	}
	return 0;
}

/* No core dumps, no ptrace, key material in locked memory where possible. */
static void harden(void)
{
	struct rlimit no_core = {0, 0};

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	/* 2 = heap works but could not be locked (RLIMIT_MEMLOCK): still ok. */
	CRYPTO_secure_malloc_init(KEYGEN_SECURE_HEAP, 32);
}

static const char *usage_name(uint32_t usage)
{
	switch (usage) {
	case PKIKS_USAGE_SIGN:
		return "sign";
	case PKIKS_USAGE_DECRYPT:
		return "decrypt";
	case PKIKS_USAGE_DERIVE:
		return "derive";
	default:
		return "both";
	}
}

/* The name and the public key as the keystore now holds them. */
static int print_result(const struct keygen_opts *o,
			const struct pkiks_key_info *info)
{
	const unsigned char *p = info->pubkey;
	EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, (long)info->pubkey_len);
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;
	struct jw w;
	int err = -EIO;

	if (!pub || !mem || !PEM_write_bio_PUBKEY(mem, pub) ||
	    BIO_write(mem, "", 1) != 1)
		goto out;
	len = BIO_get_mem_data(mem, &pem);
	if (len <= 0)
		goto out;
	if (!o->json) {
		printf("%s\n%s", info->name, pem);
		err = fflush(stdout) ? -EIO : 0;
		goto out;
	}
	jw_init(&w, stdout);
	jw_object_begin(&w, NULL);
	jw_string(&w, "name", info->name);
	jw_uint(&w, "bits", info->bits);
	jw_string(&w, "type", pkiks_key_type_name(info->type));
	jw_string(&w, "usage", usage_name(info->usage));
	if (o->archive)
		jw_string(&w, "archive", o->archive);
	jw_string(&w, "public_key", pem);
	jw_object_end(&w);
	err = jw_finish(&w);
out:
	BIO_free(mem);
	EVP_PKEY_free(pub);
	return err;
}

/* The keystore went away under us, as opposed to refusing the request. */
static int keystore_lost(int err)
{
	return err == -ECONNREFUSED || err == -ECONNRESET || err == -EPIPE ||
	       err == -ETIMEDOUT;
}

static const char *import_error(int err)
{
	switch (-err) {
	case EEXIST:
		return "a key of that name exists (use --replace)";
	case EPERM:
		return "permission denied: not a member of the keystore "
		       "group, or the key belongs to another user";
	case EDQUOT:
		return "the keystore is full";
	default:
		return strerror(-err);
	}
}

/* Archive to a temporary name, import, then commit the archive: exit code. */
static int generate_and_store(const struct keygen_opts *o, struct pkiks *ks,
			      struct pkiks_key_info *info)
{
	char tmp[4096] = "";
	EVP_PKEY *pkey = NULL;
	int err, ret = KEYGEN_EXIT_FAILED;

	if (keygen_generate(o, &pkey)) {
		die_msg("%s key generation failed",
			o->type == PKIKS_KEY_RSA ? "RSA"
						 : pkiks_key_type_name(o->type));
		goto out;
	}
	if (o->archive) {
		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", o->archive, getpid());
		err = keygen_archive_write(o, pkey, tmp);
		if (err) {
			die_msg("archive %s: %s", o->archive, strerror(-err));
			tmp[0] = '\0';
			goto out;
		}
	}
	err = keygen_import(ks, o, pkey, info);
	if (err) {
		die_msg("importing key %s: %s", o->name, import_error(err));
		if (keystore_lost(err))
			ret = KEYGEN_EXIT_UNREACHABLE;
		goto out;
	}
	if (o->archive) {
		err = keygen_archive_commit(tmp, o->archive);
		tmp[0] = '\0';
		if (err) {
			die_msg("key %s imported, but archive %s: %s", o->name,
				o->archive, strerror(-err));
			goto out;
		}
	}
	ret = KEYGEN_EXIT_OK;
out:
	if (tmp[0])
		unlink(tmp);
	EVP_PKEY_free(pkey); /* RSA_free() clears the private BIGNUMs */
	return ret;
}

/* Everything that can fail without a key: before the key exists. */
static int preflight(struct keygen_opts *o)
{
	int err;

	if (!o->archive)
		return 0;
	if (access(o->archive, F_OK) == 0) {
		die_msg("archive %s exists: refusing to overwrite it",
			o->archive);
		return -EEXIST;
	}
	err = keygen_read_password(o, &o->password);
	if (err == -ENOENT && o->password_env)
		die_msg("password: $%s is unset or empty", o->password_env);
	else if (err == -ENOENT)
		die_msg("password file %s is empty", o->password_file);
	else if (err)
		die_msg("password file %s: %s", o->password_file,
			strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct pkiks_key_info info = {0};
	struct keygen_opts o;
	struct pkiks *ks = NULL;
	int err, ret;

	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return KEYGEN_EXIT_USAGE;
	}
	harden();
	/* Our caller logs its transport; our stdout is the key, nothing else.
	 */
	setenv("PKIKS_QUIET", "1", 0);
	if (preflight(&o))
		return KEYGEN_EXIT_FAILED;
	err = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, o.socket);
	if (err) {
		die_msg("keystore unreachable: %s", strerror(-err));
		ret = KEYGEN_EXIT_UNREACHABLE;
		goto out;
	}
	ret = generate_and_store(&o, ks, &info);
	if (ret == KEYGEN_EXIT_OK && print_result(&o, &info))
		ret = KEYGEN_EXIT_FAILED;
out:
	free(info.pubkey); /* one key: pkiks_key_info_free() is for lists */
	pkiks_close(ks);
	if (o.password)
		OPENSSL_clear_free(o.password, strlen(o.password));
	return ret;
}
