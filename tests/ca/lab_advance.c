// SPDX-License-Identifier: MIT
/*
 * lab-advance SECONDS: move a `pkiksd --lab` keystore's clock forward (at
 * $PKIKS_SOCKET), so timers fire now instead of in hours.  Test helper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore.h"

int main(int argc, char **argv)
{
	struct pkiks *ks = NULL;
	char *end;
	long long sec;
	int ret;

	if (argc != 2 || (sec = strtoll(argv[1], &end, 10)) <= 0 || *end) {
		fprintf(stderr, "usage: lab-advance SECONDS\n");
		return 2;
	}
	ret = pkiks_open(&ks, PKIKS_TRANSPORT_TWIN, NULL);
	if (ret == 0)
		ret = pkiks_clock_lab_advance(ks,
					      (uint64_t)sec * 1000000000ULL);
	if (ks)
		pkiks_close(ks);
	if (ret < 0)
		fprintf(stderr, "lab-advance: %s\n", strerror(-ret));
	return ret < 0 ? 1 : 0;
}
