// SPDX-License-Identifier: MIT
/*
 * timex-probe: the test's own view of the kernel clock's NTP state, to
 * compare with what pkiks-ntpwatch reports.
 *
 *   timex-probe            print "state=N status=0xXXXX maxerror_us=N
 *                          esterror_us=N" from a read-only adjtimex()
 *   timex-probe --sync     (root; the VM test only) mark the kernel clock
 *                          synchronised as an NTP daemon does: clear
 *                          STA_UNSYNC, maxerror/esterror 10 ms / 1 ms
 */
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

static int print_status(void)
{
	struct timex tx = {.modes = 0};
	int ret = adjtimex(&tx);

	if (ret < 0) {
		perror("timex-probe: adjtimex");
		return 1;
	}
	printf("state=%d status=0x%04x maxerror_us=%ld esterror_us=%ld\n", ret,
	       (unsigned int)tx.status, tx.maxerror, tx.esterror);
	return 0;
}

static int mark_synced(void)
{
	struct timex tx = {
		.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR,
		.status = STA_PLL,
		.maxerror = 10000,
		.esterror = 1000,
	};

	if (adjtimex(&tx) < 0) {
		perror("timex-probe: adjtimex(ADJ_STATUS)");
		return 1;
	}
	return print_status();
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return print_status();
	if (argc == 2 && !strcmp(argv[1], "--sync"))
		return mark_synced();
	fputs("usage: timex-probe [--sync]\n", stderr);
	return 2;
}
