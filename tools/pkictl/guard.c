// SPDX-License-Identifier: MIT
/*
 * pkictl show guard [N]: pkid's enrollment-storm guard (daemon/guard/guard.h)
 * through the control socket: its setup, totals and top N talkers.
 * The socket is $PKID_CTL_SOCKET, else /run/pkid/pkid.ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "pkictl.h"

static int show_guard(struct pkictl *ctl, int argc, char **argv)
{
	struct ctl_result res = {};
	struct ctl_client *c;
	int ret;

	if (argc > 1)
		return pkictl_usage("show guard [N]");
	ret = ctl_client_open(&c, NULL, 0);
	if (ret < 0) {
		fprintf(stderr, "pkictl: pkid unreachable: %s\n",
			strerror(-ret));
		return PKICTL_EXIT_UNREACHABLE;
	}
	ret = ctl_client_call(c, "show guard", (const char *const *)argv, argc,
			      &res);
	if (ret < 0) {
		fprintf(stderr, "pkictl: show guard: %s\n", res.error);
		ret = ret == -EINVAL ? PKICTL_EXIT_USAGE : PKICTL_EXIT_FAILED;
	} else if (ctl->json && res.result) {
		json_dumpf(res.result, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		fputs(res.text, stdout);
	}
	ctl_result_free(&res);
	ctl_client_close(c);
	return ret;
}

const struct pkictl_cmd pkictl_guard_cmds[] = {
	{"show", "guard", "[N]",
	 "pkid's SCEP rate limit: totals and the N busiest sources",
	 show_guard},
	{},
};
