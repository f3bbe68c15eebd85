// SPDX-License-Identifier: MIT
/*
 * The certificate server's verbs, through pkid's control socket (the
 * commands of daemon/ca/ca_ctl.c; daemon.c has the socket helpers):
 *
 *   show server NAME [verbose]             IOS's fields (docs/SHOW.md)
 *   show requests NAME [verbose]           IOS's Enrollment Request Database
 *   show certificates [NAME] [verbose]     the server's, or a trustpoint's
 *   server NAME grant|reject|remove all|ID
 *   server NAME revoke|unrevoke SERIAL
 *   server NAME password generate [MINUTES]
 *   server NAME info crl|requests
 *   server NAME rollover [cancel] | rollover export FILE
 *
 * Arguments are checked here (exit 1) before pkid sees them; what pkid
 * refuses exits 2 with its message.  `show server` prints pkid's own text,
 * which names exactly the fields pkid reported; --json prints the result.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_client.h"
#include "pkictl.h"

/* A decimal number of at most 18 digits: request ID, serial, minutes. */
static int is_number(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 18 && s[n] == '\0';
}

static int show_requests(struct pkictl *ctl, int argc, char **argv);

/* show server NAME [verbose|requests [verbose]]: IOS's lines; verbose adds
 * pkid's.  `show server NAME requests` is IOS's `show crypto pki server
 * NAME requests`. */
static int show_server(struct pkictl *ctl, int argc, char **argv)
{
	bool verbose = argc == 2 && !strcmp(argv[1], "verbose");
	char *req[2] = {argv[0], "verbose"};

	if (argc >= 2 && !strcmp(argv[1], "requests"))
		return argc == 2 || (argc == 3 && !strcmp(argv[2], "verbose"))
			       ? show_requests(ctl, argc - 1, req)
			       : pkictl_usage(
					 "show server NAME requests [verbose]");
	if (argc != 1 && !verbose)
		return pkictl_usage("show server NAME [verbose|requests]");
	return pkictl_pkid_run(ctl,
			       verbose ? "show server verbose" : "show server",
			       (const char *const *)argv, 1);
}

/*
 * show requests NAME [verbose]: IOS's Enrollment Request Database (its
 * three sections, MD5 of each request, IOS's one-line names), or with
 * verbose pkid's table (its states, transaction IDs, SHA-256).  pkid
 * writes the text; --json prints the rows.
 */
static int show_requests(struct pkictl *ctl, int argc, char **argv)
{
	bool verbose = argc == 2 && !strcmp(argv[1], "verbose");

	if (argc != 1 && !verbose)
		return pkictl_usage("show requests NAME [verbose]");
	return pkictl_pkid_run(
		ctl, verbose ? "show requests verbose" : "show requests",
		(const char *const *)argv, 1);
}

/*
 * show certificates [NAME] [verbose]: NAME is the server or a trustpoint.
 * The server's list comes first; when NAME is not the server (-ENOENT) or
 * pkid runs no server (-EOPNOTSUPP), the trustpoints' command answers.
 */
static int show_certificates(struct pkictl *ctl, int argc, char **argv)
{
	const char *const *args = (const char *const *)argv;
	struct ctl_result res;
	bool verbose = argc && !strcmp(argv[argc - 1], "verbose");
	int err, ret;

	argc -= verbose;
	if (argc > 1)
		return pkictl_usage("show certificates [NAME] [verbose]");
	err = pkictl_pkid_request(verbose ? "show certificates verbose"
					  : "show certificates",
				  args, argc, &res);
	if (err == -ENOENT || err == -EOPNOTSUPP) {
		ctl_result_free(&res);
		err = pkictl_pkid_request(
			verbose ? "show trustpoint certificates verbose"
				: "show trustpoint certificates",
			args, argc, &res);
		if (err == -EOPNOTSUPP && argc)
			fprintf(stderr, "pkictl: no server or trustpoint %s\n",
				argv[0]);
	}
	ret = err ? pkictl_pkid_report("show certificates", err, &res)
		  : pkictl_pkid_print(ctl, &res);
	ctl_result_free(&res);
	return ret;
}

/* server NAME grant|reject|remove all|ID, revoke|unrevoke SERIAL */
static int server_simple(struct pkictl *ctl, const char *name, const char *verb,
			 int argc, char **argv)
{
	static const char *const acts[] = {"grant", "reject", "remove", NULL};
	char cmd[32];
	const char *args[2] = {name, argc ? argv[0] : NULL};
	int i, is_act = 0;

	for (i = 0; acts[i]; i++)
		is_act |= !strcmp(verb, acts[i]);
	if (argc != 1)
		return pkictl_usage("server NAME %s %s", verb,
				    is_act ? "all|ID" : "SERIAL");
	if (!is_number(argv[0]) && !(is_act && !strcmp(argv[0], "all")))
		return pkictl_usage(
			"server %s %s: `%s` is not %s", name, verb, argv[0],
			is_act ? "`all` or a request ID" : "a serial number");
	snprintf(cmd, sizeof(cmd), "server %s", verb);
	return pkictl_pkid_run(ctl, cmd, args, 2);
}

static int server_password(struct pkictl *ctl, const char *name, int argc,
			   char **argv)
{
	const char *args[2] = {name, argc > 1 ? argv[1] : NULL};

	if (argc < 1 || argc > 2 || strcmp(argv[0], "generate") ||
	    (argc == 2 && !is_number(argv[1])))
		return pkictl_usage("server NAME password generate [MINUTES]");
	return pkictl_pkid_run(ctl, "server password generate", args,
			       (size_t)argc);
}

static int server_info(struct pkictl *ctl, const char *name, int argc,
		       char **argv)
{
	const char *args[1] = {name};

	if (argc != 1 ||
	    (strcmp(argv[0], "crl") && strcmp(argv[0], "requests")))
		return pkictl_usage("server NAME info crl|requests");
	if (!strcmp(argv[0], "requests"))
		return show_requests(ctl, 1, (char **)args);
	return pkictl_pkid_run(ctl, "server info crl", args, 1);
}

static int server_rollover(struct pkictl *ctl, const char *name, int argc,
			   char **argv)
{
	const char *args[1] = {name};

	/* An offline root's rollover CA, signed, for its subs' files. */
	if (argc == 2 && !strcmp(argv[0], "export"))
		return pkictl_pkid_to_file(ctl, "server rollover export", args,
					   1, "next_ca", argv[1]);
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "cancel")))
		return pkictl_usage("server NAME rollover [cancel] | server "
				    "NAME rollover export FILE");
	return pkictl_pkid_run(
		ctl, argc ? "server rollover cancel" : "server rollover", args,
		1);
}

/* server NAME request import FILE | request export ID FILE */
static int server_request(struct pkictl *ctl, const char *name, int argc,
			  char **argv)
{
	const char *args[2] = {name, NULL};
	char *pem = NULL;
	int ret;

	if (argc == 2 && !strcmp(argv[0], "import")) {
		ret = pkictl_read_pem(argv[1], &pem);
		if (ret)
			return ret;
		args[1] = pem;
		ret = pkictl_pkid_run(ctl, "server request import", args, 2);
		free(pem);
		return ret;
	}
	if (argc == 3 && !strcmp(argv[0], "export") && is_number(argv[1])) {
		args[1] = argv[1];
		return pkictl_pkid_to_file(ctl, "server request export", args,
					   2, "certificate", argv[2]);
	}
	return pkictl_usage("server NAME request import FILE | server NAME "
			    "request export ID FILE");
}

static int server(struct pkictl *ctl, int argc, char **argv)
{
	static const char *const simple[] = {"grant",  "reject",   "remove",
					     "revoke", "unrevoke", NULL};
	const char *name, *verb;
	int i;

	if (argc < 2)
		return pkictl_usage("server NAME ACTION ...");
	name = argv[0];
	verb = argv[1];
	for (i = 0; simple[i]; i++)
		if (!strcmp(verb, simple[i]))
			return server_simple(ctl, name, verb, argc - 2,
					     argv + 2);
	if (!strcmp(verb, "password"))
		return server_password(ctl, name, argc - 2, argv + 2);
	if (!strcmp(verb, "info"))
		return server_info(ctl, name, argc - 2, argv + 2);
	if (!strcmp(verb, "rollover"))
		return server_rollover(ctl, name, argc - 2, argv + 2);
	if (!strcmp(verb, "request"))
		return server_request(ctl, name, argc - 2, argv + 2);
	return pkictl_usage("server %s: unknown action `%s`", name, verb);
}

const struct pkictl_cmd pkictl_server_cmds[] = {
	{"show", "server", "NAME [verbose|requests [verbose]]",
	 "the certificate server's state (pkid)", show_server},
	{"show", "requests", "NAME [verbose]",
	 "the enrollment request queue, IOS's sections (pkid)", show_requests},
	{"show", "certificates", "[NAME] [verbose]",
	 "certificates of the server, or of a trustpoint (pkid)",
	 show_certificates},
	{"server", NULL,
	 "NAME grant|reject|remove all|ID | revoke|unrevoke SERIAL | "
	 "password generate [MINUTES] | info crl|requests | rollover [cancel] "
	 "| rollover export FILE "
	 "| request import FILE | request export ID FILE",
	 "the certificate server's operations (pkid)", server},
	{0},
};
