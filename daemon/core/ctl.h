/* SPDX-License-Identifier: MIT */
/*
 * pkid's control socket (daemon/CONTROL.md): the server side of the
 * protocol in libshared/ctl_client.h.
 *
 * The daemon creates the server, registers its commands, then starts it:
 * one thread accepts connections and serves them with poll(), calling the
 * handlers one at a time, so a handler may block (a keystore signature)
 * but must take the daemon's own locks for shared state.
 *
 * Permission comes from the peer's credentials (SO_PEERCRED,
 * SO_PEERGROUPS): root and the daemon's own uid may call every command;
 * members of the control group (default "pkid") only commands registered
 * without CTL_F_MUTATES; anyone else gets -EACCES.
 */
#ifndef PKID_CTL_H
#define PKID_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "ctl_client.h"

struct ctl_server;

/* Command flags */
#define CTL_F_MUTATES (1U << 0) /* changes state: root or daemon uid only */

struct ctl_verb;

/* What a handler sees. */
struct ctl_request {
	const char *cmd;
	/* Its table entry (ctl_register_verbs); NULL from ctl_register. */
	const struct ctl_verb *verb;
	json_t *args; /* a JSON array (may be empty), borrowed */
	uid_t uid;    /* the peer */
	gid_t gid;
	pid_t pid;
};

/* What a handler fills; the server sends and frees it. */
struct ctl_reply {
	json_t *result; /* owned; NULL for none */
	char *text;	/* owned; built with ctl_reply_printf */
	char *error;	/* owned; built with ctl_reply_error */
};

/*
 * A handler returns 0 or a negative errno (which becomes "status").  On
 * failure it should say why with ctl_reply_error(); a bare errno gets
 * strerror() as its message.
 */
typedef int (*ctl_handler_fn)(const struct ctl_request *req,
			      struct ctl_reply *reply, void *arg);

struct ctl_server_opts {
	const char *path;    /* socket path (required) */
	const char *version; /* daemon version for `version` */
	const char *group;   /* read-only group; NULL = "pkid" */
	gid_t group_gid;     /* used instead of group when group_gid_set */
	bool group_gid_set;
	unsigned int mode;	  /* socket file mode; 0 = 0660 */
	int request_timeout_ms;	  /* a frame must arrive within; 0 = 5000 */
	int idle_timeout_ms;	  /* idle connection closed after; 0 = 60000 */
	unsigned int max_clients; /* 0 = 64 */
};

/*
 * Create the socket (a stale socket file left by a dead daemon is
 * replaced; a live one gives -EADDRINUSE).  version and list-commands are
 * registered already.
 */
int ctl_server_create(struct ctl_server **srv,
		      const struct ctl_server_opts *opts);
/* Register a command before ctl_server_start; -EEXIST for a duplicate. */
int ctl_register(struct ctl_server *srv, const char *name, ctl_handler_fn fn,
		 unsigned int flags, void *arg, const char *usage);

/*
 * A component's control verbs, one table each: name, permission, usage,
 * argument counts and handler, the way pkictl and pkiksd keep theirs.  The
 * server checks the permission, then the number of arguments (outside
 * min_args..max_args: -EINVAL "usage: NAME USAGE"), then calls fn with the
 * table's arg; req->verb points at the entry.
 *
 * A component whose handlers want its own type embeds struct ctl_verb in
 * a larger entry, registers the table with its stride, and finds its entry
 * again with ctl_verb_entry() (a plain table: CTL_REGISTER_VERBS):
 *
 *	struct ca_verb { struct ctl_verb v; int (*run)(struct ca *, ...); };
 *	static const struct ca_verb ca_verbs[] = {...};
 *	CTL_REGISTER_TABLE(srv, ca_verbs, v, ca);
 *	...  const struct ca_verb *e = ctl_verb_entry(req, struct ca_verb, v);
 */
#define CTL_ARGS_ANY 255U /* max_args: no upper bound */

struct ctl_verb {
	const char *name;   /* "server grant" */
	unsigned int flags; /* CTL_F_MUTATES */
	const char *usage;  /* its arguments: "NAME all|ID" */
	unsigned int min_args, max_args;
	ctl_handler_fn fn;
};

/* @n entries @stride bytes apart, starting at @first; 0 or -errno. */
int ctl_register_verbs(struct ctl_server *srv, const struct ctl_verb *first,
		       size_t n, size_t stride, void *arg);

#define CTL_REGISTER_TABLE(srv, table, member, arg)                            \
	ctl_register_verbs((srv), &(table)[0].member,                          \
			   sizeof(table) / sizeof((table)[0]),                 \
			   sizeof((table)[0]), (arg))
#define CTL_REGISTER_VERBS(srv, table, arg)                                    \
	ctl_register_verbs((srv), (table), sizeof(table) / sizeof((table)[0]), \
			   sizeof((table)[0]), (arg))
#define ctl_verb_entry(req, type, member)                                      \
	((const type *)((const char *)(req)->verb - offsetof(type, member)))
/* Start the serving thread. */
int ctl_server_start(struct ctl_server *srv);
/* Stop the thread, close every connection, unlink the socket, free. */
void ctl_server_destroy(struct ctl_server *srv);

/* Handler helpers. */
size_t ctl_argc(const struct ctl_request *req);
/* The i-th argument if it is a string, else NULL. */
const char *ctl_arg(const struct ctl_request *req, size_t i);
/* Append to reply->text (printf format). 0 or -ENOMEM. */
int ctl_reply_printf(struct ctl_reply *reply, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Set reply->error and return err, so `return ctl_reply_error(...)`. */
int ctl_reply_error(struct ctl_reply *reply, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* PKID_CTL_H */
