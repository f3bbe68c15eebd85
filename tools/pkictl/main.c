// SPDX-License-Identifier: MIT
/*
 * pkictl [--json] [--socket PATH] [--ctl PATH] VERB [OBJECT] [ARGS...]
 *
 * --socket is pkiksd's socket (the keystore), --ctl pkid's control socket
 * (exported as $PKID_CTL_SOCKET for every family).
 *
 * Global options may appear anywhere on the line.  The command is found in
 * the families' tables by (verb, object).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkictl.h"

static const struct pkictl_cmd *const pkictl_families[] = {
	pkictl_show_cmds,
	pkictl_clock_cmds,
	pkictl_key_cmds,
	pkictl_check_cmds,
	pkictl_guard_cmds,
	pkictl_server_cmds, /* show certificates [NAME]: CA, else trustpoint */
	pkictl_trustpoint_cmds,
	pkictl_daemon_cmds,
	NULL,
};

static void pkictl_help(FILE *f)
{
	const struct pkictl_cmd *const *fam;
	const struct pkictl_cmd *c;
	char line[128];

	fputs("usage: pkictl [--json] [--socket PATH] [--ctl PATH] COMMAND\n"
	      "\ncommands:\n",
	      f);
	for (fam = pkictl_families; *fam; fam++) {
		for (c = *fam; c->verb; c++) {
			snprintf(line, sizeof(line), "%s%s%s%s%s", c->verb,
				 c->object ? " " : "",
				 c->object ? c->object : "", c->args ? " " : "",
				 c->args ? c->args : "");
			if (strlen(line) > 28) /* help on its own line */
				fprintf(f, "  %s\n  %-28s %s\n", line, "",
					c->help);
			else
				fprintf(f, "  %-28s %s\n", line, c->help);
		}
	}
	fputs("\nexit status: 0 done, 1 usage error, 2 operation failed, "
	      "3 keystore or pkid unreachable\n",
	      f);
}

int pkictl_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("pkictl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see `pkictl help`)\n", stderr);
	return PKICTL_EXIT_USAGE;
}

static const char *pkictl_reason(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return "permission denied: this needs root, or for keys and "
		       "timers their owner in the keystore group";
	case EAGAIN:
		return "time is not authoritative: set `pkictl clock "
		       "calendar-valid` or enable NTP";
	case ENOENT:
		return "no such key or timer";
	case EEXIST:
		return "already exists (add `replace` to overwrite)";
	case EKEYREJECTED:
		return "the key's usage forbids this operation";
	case EDQUOT:
		return "the keystore is full";
	case EOPNOTSUPP:
		return "not supported by this keystore host";
	case ETIMEDOUT:
		return "the keystore did not answer in time";
	case EINVAL:
		return "the keystore rejected the request as invalid";
	default:
		return strerror(-err);
	}
}

int pkictl_fail(int err, const char *what, ...)
{
	va_list ap;

	fputs("pkictl: ", stderr);
	va_start(ap, what);
	vfprintf(stderr, what, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", pkictl_reason(err));
	if (err == -ECONNREFUSED || err == -ECONNRESET || err == -EPIPE ||
	    err == -ETIMEDOUT)
		return PKICTL_EXIT_UNREACHABLE;
	return PKICTL_EXIT_FAILED;
}

struct pkiks *pkictl_keystore(struct pkictl *ctl)
{
	const char *path;
	int err;

	if (ctl->ks)
		return ctl->ks;
	err = pkiks_open(&ctl->ks, PKIKS_TRANSPORT_AUTO, ctl->socket);
	if (err) {
		path = ctl->socket		? ctl->socket
		       : getenv("PKIKS_SOCKET") ? getenv("PKIKS_SOCKET")
						: PKIKS_DEFAULT_SOCKET;
		fprintf(stderr,
			"pkictl: keystore unreachable: no pkiks kernel family "
			"and no pkiksd at %s: %s\n",
			path, strerror(-err));
		ctl->ks = NULL;
	}
	return ctl->ks;
}

/* Take the global options out of argv, wherever they are. */
static int pkictl_options(struct pkictl *ctl, int *argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			ctl->json = 1;
		} else if (!strcmp(argv[i], "--socket")) {
			if (++i == *argc)
				return pkictl_usage("--socket needs a PATH");
			ctl->socket = argv[i];
		} else if (!strcmp(argv[i], "--ctl")) {
			if (++i == *argc)
				return pkictl_usage("--ctl needs a PATH");
			/* Every family's ctl_client_open() reads it. */
			setenv("PKID_CTL_SOCKET", argv[i], 1);
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			argv[n++] = "help";
		} else {
			argv[n++] = argv[i];
		}
	}
	*argc = n;
	return 0;
}

/*
 * IOS's words, as typed on a router, name pkictl's commands:
 *   show crypto pki timers|certificates|trustpoints|server ...
 *   show crypto key mypubkey rsa           = show keys
 * ("crypto ca" is IOS's older spelling of "crypto pki").  The words are
 * dropped in place: `show crypto pki server CA` runs `show server CA`.
 */
static int pkictl_ios_words(int argc, char **argv)
{
	int drop = 0, i;

	if (argc < 3 || strcmp(argv[0], "show") || strcmp(argv[1], "crypto"))
		return argc;
	if (!strcmp(argv[2], "pki") || !strcmp(argv[2], "ca"))
		drop = 2;
	else if (argc >= 5 && !strcmp(argv[2], "key") &&
		 !strcmp(argv[3], "mypubkey") && !strcmp(argv[4], "rsa")) {
		argv[4] = "keys";
		drop = 3;
	}
	if (!drop)
		return argc;
	for (i = 1; i + drop < argc; i++)
		argv[i] = argv[i + drop];
	return argc - drop;
}

static const struct pkictl_cmd *pkictl_find(int argc, char **argv)
{
	const struct pkictl_cmd *const *fam;
	const struct pkictl_cmd *c;

	for (fam = pkictl_families; *fam; fam++)
		for (c = *fam; c->verb; c++)
			if (!strcmp(c->verb, argv[0]) &&
			    (!c->object ||
			     (argc > 1 && !strcmp(c->object, argv[1]))))
				return c;
	return NULL;
}

int main(int argc, char **argv)
{
	struct pkictl ctl = {.argv0 = argv[0]};
	const struct pkictl_cmd *cmd;
	int ret, skip;

	/* The client's "using pkiksd at ..." line is noise in command output.
	 */
	setenv("PKIKS_QUIET", "1", 0);
	if (pkictl_options(&ctl, &argc, argv))
		return PKICTL_EXIT_USAGE;
	if (argc == 0)
		return pkictl_usage("no command given");
	if (!strcmp(argv[0], "help")) {
		pkictl_help(stdout);
		return PKICTL_EXIT_OK;
	}
	argc = pkictl_ios_words(argc, argv);
	cmd = pkictl_find(argc, argv);
	if (!cmd)
		return pkictl_usage("unknown command `%s%s%s`", argv[0],
				    argc > 1 ? " " : "",
				    argc > 1 ? argv[1] : "");
	skip = cmd->object ? 2 : 1;
	ret = cmd->run(&ctl, argc - skip, argv + skip);
	if (ctl.ks)
		pkiks_close(ctl.ks);
	return ret;
}
