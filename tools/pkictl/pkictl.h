/* SPDX-License-Identifier: MIT */
/*
 * pkictl: the administrator's command line.  A table of commands, one file
 * per verb family (show.c, clock.c, key.c); each family exports a table
 * ending in an empty entry, and main.c lists the families.  Adding a family
 * (e.g. `server`) is a new file and one line in main.c.
 *
 * Exit status: 0 done, 1 usage error, 2 the operation failed, 3 the keystore
 * (or daemon) is unreachable.  Errors are one line on stderr.
 */
#ifndef PKICTL_H
#define PKICTL_H

#include "keystore.h"
#include "output.h"

enum {
	PKICTL_EXIT_OK = 0,
	PKICTL_EXIT_USAGE = 1,
	PKICTL_EXIT_FAILED = 2,
	PKICTL_EXIT_UNREACHABLE = 3,
	/* 4: `check` found problems (check.c) */
	PKICTL_EXIT_AT_RISK = 5, /* `show health`: something is at risk */
};

struct pkictl {
	int json;	    /* --json: one JSON document on stdout */
	const char *socket; /* --socket PATH: pkiksd's socket */
	struct pkiks *ks;   /* opened on demand by pkictl_keystore() */
	const char *argv0;
};

struct pkictl_cmd {
	const char *verb;   /* "show" */
	const char *object; /* "clock"; NULL: the verb alone */
	const char *args;   /* usage text of the arguments after them */
	const char *help;
	/* @argc/@argv: the arguments after verb and object. */
	int (*run)(struct pkictl *ctl, int argc, char **argv);
};

extern const struct pkictl_cmd pkictl_show_cmds[];
extern const struct pkictl_cmd pkictl_clock_cmds[];
extern const struct pkictl_cmd pkictl_key_cmds[];
extern const struct pkictl_cmd pkictl_check_cmds[];
extern const struct pkictl_cmd pkictl_guard_cmds[];
extern const struct pkictl_cmd pkictl_trustpoint_cmds[];
extern const struct pkictl_cmd pkictl_server_cmds[];
extern const struct pkictl_cmd pkictl_daemon_cmds[];

/*
 * daemon.c: pkid's control socket (--ctl PATH, else $PKID_CTL_SOCKET,
 * else the default).  request: one command, its status (0, the daemon's
 * -errno, or a transport error); always ctl_result_free() @res after.
 * report: print why it failed, return 2 (refused) or 3 (unreachable).
 * print: the reply's text, or its result with --json.  run: all three.
 */
struct ctl_result;
int pkictl_pkid_request(const char *cmd, const char *const *args,
			size_t nargs, struct ctl_result *res);
int pkictl_pkid_report(const char *cmd, int err, const struct ctl_result *res);
int pkictl_pkid_print(struct pkictl *ctl, const struct ctl_result *res);
/* A PEM file (at most 64 KiB) as text, malloc'd; says why not. */
int pkictl_read_pem(const char *path, char **text);
/* Run @cmd; on success write the string @field of its result to @path
 * (mode 0644) and print what the daemon said. */
int pkictl_pkid_to_file(struct pkictl *ctl, const char *cmd,
			const char *const *args, size_t nargs,
			const char *field, const char *path);
int pkictl_pkid_run(struct pkictl *ctl, const char *cmd,
		    const char *const *args, size_t nargs);

/* The keystore handle, opened on first use; NULL after printing why. */
struct pkiks *pkictl_keystore(struct pkictl *ctl);
/* Print "pkictl: @what: <reason>" for keystore error @err; exit status. */
int pkictl_fail(int err, const char *what, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "pkictl: <message>" and the command's usage; returns 1. */
int pkictl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* show.c: the clock as `show clock` prints it (clock.c reuses it). */
int pkictl_print_clock(struct pkictl *ctl, const struct pkiks_clock *clk);
const char *pkictl_usage_name(uint32_t usage);

#endif /* PKICTL_H */
