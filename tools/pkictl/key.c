// SPDX-License-Identifier: MIT
/*
 * key generate | delete.  Generation runs pkiks-keygen, so that the private
 * key exists only in that short-lived process and in the keystore; its
 * output (name and public key, or --json) and exit status are pkictl's.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkictl.h"

#define KEYGEN_NAME "pkiks-keygen"

/* pkiks-keygen next to our own executable, else the one in PATH. */
static void keygen_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		snprintf(buf, len, "%s/%s", dirname(self), KEYGEN_NAME);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "%s", KEYGEN_NAME);
}

/* ec 256|384 -> keygen's --type; NULL when neither. */
static const char *ec_type(const char *size)
{
	if (!strcmp(size, "256"))
		return "ec-p256";
	if (!strcmp(size, "384"))
		return "ec-p384";
	return NULL;
}

/*
 * [rsa BITS | ec 256|384] [usage sign|decrypt|derive|both] [replace] ->
 * keygen's options; @ec is keygen's --type for an EC key, else NULL.  An
 * EC key signs and derives (ECDH), "both" is the two; an RSA key signs
 * and decrypts.
 */
static int keygen_args(int argc, char **argv, const char **bits,
		       const char **ec, const char **usage, int *replace)
{
	int i, rsa = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "rsa") && i + 1 < argc && !*ec) {
			*bits = argv[++i];
			rsa = 1;
		} else if (!strcmp(argv[i], "ec") && i + 1 < argc && !rsa) {
			*ec = ec_type(argv[++i]);
			if (!*ec)
				return pkictl_usage("key generate: ec %s: 256 "
						    "or 384",
						    argv[i]);
		} else if (!strcmp(argv[i], "usage") && i + 1 < argc)
			*usage = argv[++i];
		else if (!strcmp(argv[i], "replace"))
			*replace = 1;
		else
			return pkictl_usage("key generate: unexpected `%s`",
					    argv[i]);
	}
	if (strcmp(*bits, "2048") && strcmp(*bits, "3072") &&
	    strcmp(*bits, "4096"))
		return pkictl_usage("key generate: rsa %s: 2048, 3072 or 4096",
				    *bits);
	if (strcmp(*usage, "sign") && strcmp(*usage, "decrypt") &&
	    strcmp(*usage, "derive") && strcmp(*usage, "both"))
		return pkictl_usage("key generate: usage %s: sign, decrypt, "
				    "derive or both",
				    *usage);
	if (*ec && !strcmp(*usage, "decrypt"))
		return pkictl_usage("key generate: an EC key signs and derives "
				    "(usage sign, derive or both)");
	if (!*ec && !strcmp(*usage, "derive"))
		return pkictl_usage("key generate: usage derive (ECDH) is for "
				    "EC keys");
	return 0;
}

/* Run keygen; its status (0..3) follows pkictl's convention. */
static int keygen_run(char *const *args)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return pkictl_fail(-errno, "starting %s", KEYGEN_NAME);
	if (pid == 0) {
		execvp(args[0], args);
		fprintf(stderr, "pkictl: cannot run %s: %s\n", args[0],
			strerror(errno));
		_exit(PKICTL_EXIT_FAILED);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pkictl_fail(-errno, "waiting for %s",
					   KEYGEN_NAME);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "pkictl: %s died of signal %d\n", KEYGEN_NAME,
		WTERMSIG(status));
	return PKICTL_EXIT_FAILED;
}

static int key_generate(struct pkictl *ctl, int argc, char **argv)
{
	const char *bits = "2048", *usage = "sign", *ec = NULL;
	char path[PATH_MAX + 32];
	char *args[16];
	int n = 0, replace = 0;

	if (argc < 1)
		return pkictl_usage("key generate NAME [rsa BITS | ec 256|384] "
				    "[usage sign|decrypt|derive|both] "
				    "[replace]");
	if (!pkiks_key_name_valid(argv[0]))
		return pkictl_usage("key generate: bad key name `%s`", argv[0]);
	if (keygen_args(argc, argv, &bits, &ec, &usage, &replace))
		return PKICTL_EXIT_USAGE;
	keygen_path(path, sizeof(path));
	args[n++] = path;
	args[n++] = argv[0];
	args[n++] = ec ? "--type" : "--bits";
	args[n++] = (char *)(ec ? ec : bits);
	args[n++] = "--usage";
	args[n++] = (char *)usage;
	if (replace)
		args[n++] = "--replace";
	if (ctl->json)
		args[n++] = "--json";
	if (ctl->socket) {
		args[n++] = "--socket";
		args[n++] = (char *)ctl->socket;
	}
	args[n] = NULL;
	fflush(stdout);
	return keygen_run(args);
}

static int key_delete(struct pkictl *ctl, int argc, char **argv)
{
	struct pkiks *ks;
	struct jw w;
	int err;

	if (argc != 1)
		return pkictl_usage("key delete NAME");
	if (!pkiks_key_name_valid(argv[0]))
		return pkictl_usage("key delete: bad key name `%s`", argv[0]);
	ks = pkictl_keystore(ctl);
	if (!ks)
		return PKICTL_EXIT_UNREACHABLE;
	err = pkiks_key_delete(ks, argv[0]);
	if (err)
		return pkictl_fail(err, "deleting key %s", argv[0]);
	if (!ctl->json) {
		printf("Key %s deleted\n", argv[0]);
		return PKICTL_EXIT_OK;
	}
	jw_init(&w, stdout);
	jw_object_begin(&w, NULL);
	jw_string(&w, "deleted", argv[0]);
	jw_object_end(&w);
	return jw_finish(&w) ? PKICTL_EXIT_FAILED : PKICTL_EXIT_OK;
}

const struct pkictl_cmd pkictl_key_cmds[] = {
	{"key", "generate",
	 "NAME [rsa BITS] [usage sign|decrypt|both] [replace]",
	 "new RSA key in the keystore (runs pkiks-keygen)", key_generate},
	{"key", "delete", "NAME", "remove a key from the keystore", key_delete},
	{NULL, NULL, NULL, NULL, NULL},
};
