// SPDX-License-Identifier: MIT
/*
 * ctl-call SOCKET [--json] CMD [ARG...]: send one control command to pkid
 * and print its text (or, with --json, its result).  The tests' way to
 * grant, revoke and make passwords until pkictl has `server` verbs.
 * Exit status: 0 on success, 1 when the daemon answered an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"

int main(int argc, char **argv)
{
	struct ctl_result res = {0};
	struct ctl_client *c = NULL;
	int json = 0, first = 2, ret;

	if (argc > 2 && !strcmp(argv[2], "--json")) {
		json = 1;
		first = 3;
	}
	if (argc <= first) {
		fprintf(stderr,
			"usage: ctl-call SOCKET [--json] CMD [ARG...]\n");
		return 2;
	}
	ret = ctl_client_open(&c, argv[1], 0);
	if (ret < 0) {
		fprintf(stderr, "ctl-call: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	ret = ctl_client_call(c, argv[first],
			      (const char *const *)argv + first + 1,
			      argc - first - 1, &res);
	if (ret < 0) {
		fprintf(stderr, "ctl-call: %s\n", res.error);
	} else if (json) {
		char *s = res.result ? json_dumps(res.result, JSON_COMPACT)
				     : NULL;

		printf("%s\n", s ? s : "null");
		free(s);
	} else {
		fputs(res.text, stdout);
	}
	ctl_result_free(&res);
	ctl_client_close(c);
	return ret < 0 ? 1 : 0;
}
