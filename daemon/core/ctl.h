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

/* What a handler sees. */
struct ctl_request {
	const char *cmd;
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
