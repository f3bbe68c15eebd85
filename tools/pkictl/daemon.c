// SPDX-License-Identifier: MIT
/*
 * pkid's control socket from pkictl (daemon/CONTROL.md), and the verbs
 * that are about the daemon itself:
 *
 *   reload                   re-read pkid.conf (refused: FILE:LINE why)
 *   show running-config      the configuration pkid runs, secrets hidden
 *   version                  pkid's version and control protocol
 *   list-commands            every control command pkid knows
 *   show health              every CA and trustpoint with its risks;
 *                            exit 5 when something is at risk
 *
 * The socket is `--ctl PATH` (main.c exports it as $PKID_CTL_SOCKET, so
 * every family sees it), else $PKID_CTL_SOCKET, else /run/pkid/pkid.ctl.
 * Exit status: 2 when pkid refused or failed (its message on stderr), 3
 * when it could not be reached or did not answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_client.h"
#include "pkictl.h"

static const char *ctl_path(void)
{
	const char *p = getenv("PKID_CTL_SOCKET");

	return p && *p ? p : CTL_SOCKET_DEFAULT;
}

int pkictl_pkid_request(const char *cmd, const char *const *args, size_t nargs,
			struct ctl_result *res)
{
	struct ctl_client *c = NULL;
	int err;

	memset(res, 0, sizeof(*res));
	err = ctl_client_open(&c, NULL, 0);
	if (err)
		return err;
	err = ctl_client_call(c, cmd, args, nargs, res);
	ctl_client_close(c);
	return err;
}

int pkictl_pkid_report(const char *cmd, int err, const struct ctl_result *res)
{
	/* No reply frame at all: the daemon is not there, or hung. */
	if (!res->raw && err != -EMSGSIZE && err != -EINVAL) {
		fprintf(stderr, "pkictl: pkid unreachable at %s: %s\n",
			ctl_path(),
			res->error && *res->error ? res->error
						  : strerror(-err));
		return PKICTL_EXIT_UNREACHABLE;
	}
	fprintf(stderr, "pkictl: %s: %s\n", cmd,
		res->error && *res->error ? res->error : strerror(-err));
	return PKICTL_EXIT_FAILED;
}

int pkictl_pkid_print(struct pkictl *ctl, const struct ctl_result *res)
{
	char *s;

	if (!ctl->json) {
		fputs(res->text ? res->text : "", stdout);
		return PKICTL_EXIT_OK;
	}
	s = json_dumps(res->result ? res->result : json_null(),
		       JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (!s)
		return PKICTL_EXIT_FAILED;
	puts(s);
	free(s);
	return PKICTL_EXIT_OK;
}

int pkictl_pkid_run(struct pkictl *ctl, const char *cmd,
		    const char *const *args, size_t nargs)
{
	struct ctl_result res;
	int err = pkictl_pkid_request(cmd, args, nargs, &res);
	int ret;

	ret = err ? pkictl_pkid_report(cmd, err, &res)
		  : pkictl_pkid_print(ctl, &res);
	ctl_result_free(&res);
	return ret;
}

#define PKICTL_PEM_MAX 65536

int pkictl_read_pem(const char *path, char **text)
{
	FILE *f = fopen(path, "re");
	char *buf = malloc(PKICTL_PEM_MAX + 1);
	size_t n = 0;
	int ret = PKICTL_EXIT_FAILED;

	*text = NULL;
	if (!f || !buf) {
		fprintf(stderr, "pkictl: %s: %s\n", path,
			f ? "out of memory" : strerror(errno));
		goto out;
	}
	n = fread(buf, 1, PKICTL_PEM_MAX + 1, f);
	if (n == 0 || n > PKICTL_PEM_MAX || memchr(buf, '\0', n)) {
		fprintf(stderr, "pkictl: %s: %s\n", path,
			n == 0		       ? "empty"
			: n > PKICTL_PEM_MAX ? "larger than 64 KiB, not a PEM "
					       "file"
					     : "binary data, not a PEM file");
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	buf = NULL;
	ret = PKICTL_EXIT_OK;
out:
	if (f)
		fclose(f);
	free(buf);
	return ret;
}

int pkictl_pkid_to_file(struct pkictl *ctl, const char *cmd,
			const char *const *args, size_t nargs,
			const char *field, const char *path)
{
	struct ctl_result res;
	int err = pkictl_pkid_request(cmd, args, nargs, &res);
	const char *s = NULL;
	FILE *f = NULL;
	int ret;

	if (err) {
		ret = pkictl_pkid_report(cmd, err, &res);
		goto out;
	}
	s = json_string_value(json_object_get(res.result, field));
	f = s ? fopen(path, "we") : NULL;
	if (!f || fputs(s, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "pkictl: %s: %s\n", path,
			s ? strerror(errno) : "no PEM in the answer");
		ret = PKICTL_EXIT_FAILED;
		goto out;
	}
	ret = ctl->json ? pkictl_pkid_print(ctl, &res) : PKICTL_EXIT_OK;
	if (!ctl->json)
		printf("%s written\n", path);
out:
	ctl_result_free(&res);
	return ret;
}

static int reload(struct pkictl *ctl, int argc, char **argv)
{
	if (argc)
		return pkictl_usage("reload takes no arguments");
	return pkictl_pkid_run(ctl, "reload", NULL, 0);
}

static int show_running_config(struct pkictl *ctl, int argc, char **argv)
{
	if (argc)
		return pkictl_usage("show running-config takes no arguments");
	return pkictl_pkid_run(ctl, "show running-config", NULL, 0);
}

/* For cron and monitoring: 0 all well, PKICTL_EXIT_AT_RISK otherwise. */
static int show_health(struct pkictl *ctl, int argc, char **argv)
{
	struct ctl_result res;
	const char *status;
	int err, ret;

	if (argc)
		return pkictl_usage("show health takes no arguments");
	err = pkictl_pkid_request("show health", NULL, 0, &res);
	if (err) {
		ret = pkictl_pkid_report("show health", err, &res);
		ctl_result_free(&res);
		return ret;
	}
	status = json_string_value(json_object_get(res.result, "status"));
	ret = pkictl_pkid_print(ctl, &res);
	if (ret == PKICTL_EXIT_OK && (!status || strcmp(status, "ok")))
		ret = PKICTL_EXIT_AT_RISK;
	ctl_result_free(&res);
	return ret;
}

static int version(struct pkictl *ctl, int argc, char **argv)
{
	if (argc)
		return pkictl_usage("version takes no arguments");
	return pkictl_pkid_run(ctl, "version", NULL, 0);
}

static int list_commands(struct pkictl *ctl, int argc, char **argv)
{
	if (argc)
		return pkictl_usage("list-commands takes no arguments");
	return pkictl_pkid_run(ctl, "list-commands", NULL, 0);
}

const struct pkictl_cmd pkictl_daemon_cmds[] = {
	{"reload", NULL, NULL, "re-read pkid.conf; a broken file is refused",
	 reload},
	{"show", "running-config", NULL,
	 "the configuration pkid runs (secrets hidden)", show_running_config},
	{"show", "health", NULL,
	 "every CA and trustpoint with its risks (exit 5: at risk)",
	 show_health},
	{"version", NULL, NULL, "pkid's version and control protocol", version},
	{"list-commands", NULL, NULL, "the control commands pkid knows",
	 list_commands},
	{0},
};
