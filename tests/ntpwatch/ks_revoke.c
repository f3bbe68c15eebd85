// SPDX-License-Identifier: MIT
/*
 * ks-revoke: revoke the keystore's time authority (CLOCK_SET NONE), as a
 * step would, so the test can watch pkiks-ntpwatch's rule 3 (re-assert
 * only one settle period later).  Prints the realtime (ns) just before the
 * revocation, which the test compares with the next grant's "since".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keystore.h"

int main(void)
{
	struct timespec ts;
	struct pkiks *ks;
	int err;

	err = pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, NULL);
	if (err) {
		fprintf(stderr, "ks-revoke: keystore: %s\n", strerror(-err));
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	err = pkiks_clock_set(ks, PKIKS_CLOCK_NONE);
	pkiks_close(ks);
	if (err) {
		fprintf(stderr, "ks-revoke: CLOCK_SET none: %s\n",
			strerror(-err));
		return 1;
	}
	printf("%llu\n",
	       (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	return 0;
}
