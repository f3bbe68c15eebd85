// SPDX-License-Identifier: MIT
/*
 * test-keystore: the pkiks protocol suite, the same binary for both hosts.
 *
 *   test-keystore [--transport kernel|twin|auto] [--socket PATH]
 *                 [--keys DIR] [--member-gid GID]
 *
 * --keys DIR holds pre-generated PEM keys (see tests/keystore/keystore.mk);
 * --member-gid names the host's member group (module parameter user_gid,
 * pkiksd --group) for the member tests; $PKIKS_TEST_OUT, if set, receives a
 * signature, its message and the public key for the openssl CLI.
 * Exit status: 0 when every test passed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "../lib/cunit_run.h"

#include "suite.h"

struct suite_opts opts = {.keys_dir = "build/test-keys", .member_gid = -1};
struct pkiks *ks;

static int parse_transport(const char *s, enum pkiks_transport *t)
{
	if (!strcmp(s, "kernel"))
		*t = PKIKS_TRANSPORT_KERNEL;
	else if (!strcmp(s, "twin") || !strcmp(s, "pkiksd"))
		*t = PKIKS_TRANSPORT_TWIN;
	else if (!strcmp(s, "auto"))
		*t = PKIKS_TRANSPORT_AUTO;
	else
		return -1;
	return 0;
}

static int parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"transport", required_argument, NULL, 't'},
		{"socket", required_argument, NULL, 's'},
		{"keys", required_argument, NULL, 'k'},
		{"member-gid", required_argument, NULL, 'g'},
		{0}};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_transport(optarg, &opts.transport))
				return -1;
			break;
		case 's':
			opts.socket = optarg;
			break;
		case 'k':
			opts.keys_dir = optarg;
			break;
		case 'g':
			opts.member_gid = strtol(optarg, NULL, 10);
			break;
		default:
			return -1;
		}
	}
	opts.out_dir = getenv("PKIKS_TEST_OUT");
	return optind == argc ? 0 : -1;
}

static int (*const suites[])(void) = {
	suite_keys, suite_crypto, suite_wrap, suite_ec,	      suite_ecdh,
	suite_time, suite_raw,	  suite_perm, suite_parallel,
};

int main(int argc, char **argv)
{
	int failed;
	size_t i;
	int err;

	if (parse_opts(argc, argv)) {
		fprintf(stderr,
			"usage: test-keystore [--transport kernel|twin|auto] "
			"[--socket PATH] [--keys DIR] [--member-gid GID]\n");
		return 2;
	}
	err = open_handle(&ks);
	if (err) {
		fprintf(stderr,
			"test-keystore: cannot reach the keystore: %s\n",
			strerror(-err));
		return 1;
	}
	printf("test-keystore: host %s\n", pkiks_transport_name(ks));
	/* Load every key now: children that drop root cannot read them. */
	for (i = 0; i < NKEYS; i++) {
		if (!test_key(i)) {
			fprintf(stderr, "test-keystore: no test keys in %s\n",
				opts.keys_dir);
			return 1;
		}
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (suites[i]()) {
			fprintf(stderr, "test-keystore: registry: %s\n",
				CU_get_error_msg());
			CU_cleanup_registry();
			return 1;
		}
	}
	failed = cu_run_registered();
	pkiks_close(ks);
	return failed;
}
