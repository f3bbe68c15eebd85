// SPDX-License-Identifier: MIT
/*
 * pkiks-vmtest: drives pkiks.ko from the shell scripts of the qemu
 * harness, one keystore operation per invocation, through libshared's
 * client (kernel transport only), plus a raw-netlink fuzzer and a
 * signing benchmark.
 *
 * Exit status: 0 on success; the errno the module answered with (EPERM 1,
 * EAGAIN 11, EKEYREJECTED 129, ...) when it refused; 255 on a local error
 * (usage, files, OpenSSL).  The scripts compare these numbers.
 *
 *   pkiks-vmtest [--twin SOCKET] [--as UID:GID[:GROUP]] COMMAND ...
 * --twin talks to pkiksd instead (the host side makes a twin-wrapped blob).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmtest.h"

static const struct vm_cmd commands[] = {
	{"info", 0, "", cmd_info},
	{"import", 3, "NAME sign|decrypt|both KEY.pem [replace]", cmd_import},
	{"pubkey", 2, "NAME OUT.der", cmd_pubkey},
	{"sign", 4, "NAME HASH FILE OUT.sig", cmd_sign},
	{"decrypt", 3, "NAME IN OUT", cmd_decrypt},
	{"delete", 1, "NAME", cmd_delete},
	{"promote", 1, "NAME", cmd_promote},
	{"list", 0, "", cmd_list},
	{"wrap", 2, "NAME OUT", cmd_wrap},
	{"unwrap", 1, "IN [NAME]", cmd_unwrap},
	{"kek-set", 1, "FILE", cmd_kek_set},
	{"clock", 0, "", cmd_clock},
	{"clock-set", 1, "none|calendar|ntp", cmd_clock_set},
	{"timer-arm", 3, "OWNER KIND +SECONDS|NS", cmd_timer_arm},
	{"timer-cancel", 2, "OWNER KIND", cmd_timer_cancel},
	{"timers", 0, "", cmd_timers},
	{"timer-wait", 3, "OWNER KIND SECONDS (arm, wait for the event)",
	 cmd_timer_wait},
	{"events", 2, "COUNT TIMEOUT_S (prints 'ready' once subscribed)",
	 cmd_events},
	{"fuzz", 2, "COUNT SEED", cmd_fuzz},
	{"malformed", 0, "(hand-made bad requests, each with its error)",
	 cmd_malformed},
	{"bench", 3, "NAME SECONDS THREADS", cmd_bench},
	{"mkblob", 6, "KEK_FILE KEY.pem NAME UID USAGE OUT (host side)",
	 cmd_mkblob},
	{"openblob", 3, "KEK_FILE BLOB KEY.pem (OpenSSL opens a module's blob)",
	 cmd_openblob},
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: pkiks-vmtest [--twin SOCKET] [--as "
			"UID:GID[:GROUP]] COMMAND ...\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s %s\n", commands[i].name,
			commands[i].args);
}

/* Become an unprivileged user (all capabilities go with uid 0). */
static int drop_to(const char *spec)
{
	unsigned int uid, gid, group = 0;
	gid_t groups[1];
	int n = sscanf(spec, "%u:%u:%u", &uid, &gid, &group);

	if (n < 2)
		return -EINVAL;
	groups[0] = group;
	if (setgroups(n == 3 ? 1 : 0, groups) || setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;
	int err;

	if (argc > 2 && !strcmp(argv[1], "--twin")) {
		vm_twin_socket = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc > 2 && !strcmp(argv[1], "--as")) {
		err = drop_to(argv[2]);
		if (err) {
			fprintf(stderr, "pkiks-vmtest: --as %s: %s\n", argv[2],
				strerror(-err));
			return VM_LOCAL_ERROR;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage();
		return VM_LOCAL_ERROR;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (argc - 2 < commands[i].min_args) {
			usage();
			return VM_LOCAL_ERROR;
		}
		err = commands[i].fn(argc - 2, argv + 2);
		if (err < 0) {
			fprintf(stderr, "pkiks-vmtest %s: %s (errno %d)\n",
				argv[1], strerror(-err), -err);
			return -err < VM_LOCAL_ERROR ? -err : VM_LOCAL_ERROR;
		}
		return err; /* 0, or VM_LOCAL_ERROR already reported */
	}
	usage();
	return VM_LOCAL_ERROR;
}
