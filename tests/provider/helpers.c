// SPDX-License-Identifier: MIT
/* Shared helpers of the provider tests (see helpers.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "helpers.h"

struct test_env T;

int sh(const char *fmt, ...)
{
	char cmd[8192], secs[16];
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(secs, sizeof(secs), "%d", TEST_CMD_TIMEOUT);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* No quoting layer: the command is sh's argument as is. */
		execlp("timeout", "timeout", secs, "sh", "-c", cmd,
		       (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

const char *path(const char *name)
{
	static char buf[8][4096];
	static int slot;

	slot = (slot + 1) % 8;
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", T.dir, name);
	return buf[slot];
}

char *slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

int spit(const char *file, const void *data, size_t len)
{
	FILE *f = fopen(file, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int file_has(const char *file, const char *needle)
{
	char *s = slurp(file, NULL);
	int found = s && strstr(s, needle);

	free(s);
	return found;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ok = ext && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

X509 *make_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *key,
		const EVP_MD *md, int is_ca, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	if (!x || !name ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					    : name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30) ||
	    !X509_set_pubkey(x, pub) ||
	    !add_ext(x, issuer, NID_basic_constraints,
		     is_ca ? "critical,CA:TRUE" : "CA:FALSE") ||
	    !add_ext(x, issuer, NID_subject_key_identifier, "hash") ||
	    !X509_sign(x, key, md)) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(name);
	return x;
}

int write_cert(const char *file, X509 *x)
{
	FILE *f = fopen(file, "w");
	int ok;

	if (!f)
		return -1;
	ok = PEM_write_X509(f, x);
	return fclose(f) == 0 && ok ? 0 : -1;
}

char *errors_text(void)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (!mem)
		return NULL;
	ERR_print_errors(mem);
	n = BIO_get_mem_data(mem, &data);
	s = strndup(n > 0 ? data : "", n > 0 ? (size_t)n : 0);
	BIO_free(mem);
	return s;
}
