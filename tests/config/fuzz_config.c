// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the pkid.conf parser.  Any input must parse or be
 * refused with -EINVAL and at least one message, never crash; and
 * whatever parses must survive the round trip: print, parse again, get an
 * equal configuration and the same text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int nmsgs;

static void count(void *arg, const char *msg)
{
	nmsgs++;
}

static void check_same(const struct pkid_config *a, const struct pkid_config *b)
{
	if (!pkid_config_globals_equal(a, b) || a->n_servers != b->n_servers ||
	    a->n_trustpoints != b->n_trustpoints)
		abort();
	for (size_t i = 0; i < a->n_servers; i++)
		if (!pkid_server_config_equal(&a->servers[i], &b->servers[i]))
			abort();
	for (size_t i = 0; i < a->n_trustpoints; i++)
		if (!pkid_trustpoint_config_equal(&a->trustpoints[i],
						  &b->trustpoints[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pkid_config *a = NULL, *b = NULL;
	char *ta, *tb;
	int rc;

	nmsgs = 0;
	rc = pkid_config_parse("fuzz", (const char *)data, len, &a, count,
			       NULL);
	if (rc) {
		if (rc != -EINVAL || nmsgs == 0 || a)
			abort();
		return 0;
	}
	ta = pkid_config_to_string(a, 0);
	if (!ta ||
	    pkid_config_parse("fuzz2", ta, strlen(ta), &b, count, NULL)) {
		fprintf(stderr, "printed config does not parse:\n%s", ta);
		abort();
	}
	check_same(a, b);
	tb = pkid_config_to_string(b, 0);
	if (!tb || strcmp(ta, tb))
		abort();
	free(ta);
	free(tb);
	pkid_config_free(a);
	pkid_config_free(b);
	return 0;
}
