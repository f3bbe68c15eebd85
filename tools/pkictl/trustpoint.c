// SPDX-License-Identifier: MIT
/*
 * Trustpoints (pkid as a PKI client), through pkid's control socket
 * ($PKID_CTL_SOCKET, else the default; daemon/CONTROL.md):
 *
 *   trustpoint TP authenticate [--accept]   fetch and check the CA
 *   trustpoint TP enroll                    enroll or renew now (with
 *                                           enrollment terminal: print
 *                                           the PKCS#10 to carry)
 *   trustpoint TP import certificate FILE   enrollment terminal: the CA's
 *   trustpoint TP import ca-certificate FILE [--accept]    answer, its cert
 *   show trustpoints [status|verbose]       IOS's views, or pkid's state
 *
 * `show certificates [TP]` lives in server.c: it asks the CA first and
 * falls back to the trustpoints' "show trustpoint certificates".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_client.h"
#include "pkictl.h"

/* One command to pkid; print its text, or its result with --json. */
static int pkid_call(struct pkictl *ctl, const char *cmd,
		     const char *const *args, size_t nargs)
{
	struct ctl_result res = {0};
	struct ctl_client *c = NULL;
	const char *path = getenv("PKID_CTL_SOCKET");
	char *s;
	int err, ret = PKICTL_EXIT_OK;

	err = ctl_client_open(&c, NULL, 0);
	if (err) {
		fprintf(stderr, "pkictl: pkid unreachable at %s: %s\n",
			path ? path : CTL_SOCKET_DEFAULT, strerror(-err));
		return PKICTL_EXIT_UNREACHABLE;
	}
	err = ctl_client_call(c, cmd, args, nargs, &res);
	if (err) {
		fprintf(stderr, "pkictl: %s: %s\n", cmd, res.error);
		ret = PKICTL_EXIT_FAILED;
	} else if (ctl->json) {
		s = json_dumps(res.result ? res.result : json_null(),
			       JSON_COMPACT | JSON_ENCODE_ANY);
		if (s)
			puts(s);
		free(s);
	} else {
		fputs(res.text, stdout);
	}
	ctl_result_free(&res);
	ctl_client_close(c);
	return ret;
}

/* trustpoint TP import certificate|ca-certificate FILE [--accept] */
static int trustpoint_import(struct pkictl *ctl, int argc, char **argv)
{
	bool ca = argc >= 4 && !strcmp(argv[2], "ca-certificate");
	const char *args[3];
	char *pem = NULL;
	int ret;

	if (argc < 4 || argc > 5 ||
	    (!ca && strcmp(argv[2], "certificate")) ||
	    (argc == 5 && (!ca || strcmp(argv[4], "--accept"))))
		return pkictl_usage("trustpoint TP import certificate FILE | "
				    "trustpoint TP import ca-certificate FILE "
				    "[--accept]");
	ret = pkictl_read_pem(argv[3], &pem);
	if (ret)
		return ret;
	args[0] = argv[0];
	args[1] = pem;
	args[2] = argc == 5 ? argv[4] : NULL;
	ret = pkid_call(ctl,
			ca ? "trustpoint import ca-certificate"
			   : "trustpoint import certificate",
			args, argc == 5 ? 3 : 2);
	free(pem);
	return ret;
}

static int trustpoint(struct pkictl *ctl, int argc, char **argv)
{
	const char *args[2];

	if (argc >= 2 && !strcmp(argv[1], "import"))
		return trustpoint_import(ctl, argc, argv);
	if (argc == 3 && !strcmp(argv[1], "authenticate") &&
	    !strcmp(argv[2], "--accept")) {
		args[0] = argv[0];
		args[1] = argv[2];
		return pkid_call(ctl, "trustpoint authenticate", args, 2);
	}
	if (argc != 2)
		return pkictl_usage("trustpoint TP authenticate [--accept] | "
				    "trustpoint TP enroll");
	args[0] = argv[0];
	if (!strcmp(argv[1], "authenticate"))
		return pkid_call(ctl, "trustpoint authenticate", args, 1);
	if (!strcmp(argv[1], "enroll"))
		return pkid_call(ctl, "trustpoint enroll", args, 1);
	return pkictl_usage("trustpoint %s: unknown action %s", argv[0],
			    argv[1]);
}

/* show trustpoints [status|verbose]: IOS's two views, then pkid's own. */
static int show_trustpoints(struct pkictl *ctl, int argc, char **argv)
{
	if (argc == 0)
		return pkid_call(ctl, "show trustpoints", NULL, 0);
	if (argc == 1 && !strcmp(argv[0], "status"))
		return pkid_call(ctl, "show trustpoints status", NULL, 0);
	if (argc == 1 && !strcmp(argv[0], "verbose"))
		return pkid_call(ctl, "show trustpoints verbose", NULL, 0);
	return pkictl_usage("show trustpoints [status|verbose]");
}

const struct pkictl_cmd pkictl_trustpoint_cmds[] = {
	{"trustpoint", NULL,
	 "TP authenticate [--accept] | TP enroll | TP import certificate FILE "
	 "| TP import ca-certificate FILE [--accept]",
	 "fetch and check TP's CA certificate, enroll now, or (enrollment "
	 "terminal) import the CA's files (pkid)",
	 trustpoint},
	{"show", "trustpoints", "[status|verbose]",
	 "the trustpoints, IOS's views; verbose: pkid's state (pkid)",
	 show_trustpoints},
	{0},
};
