/* SPDX-License-Identifier: MIT */
/* Shared by daemon/core/ctl.c (sockets, thread) and daemon/core/ctl_cmd.c (commands). */
#ifndef PKID_CTL_INTERNAL_H
#define PKID_CTL_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "ctl.h"

struct ctl_cmd {
	char *name;
	char *usage;
	ctl_handler_fn fn;
	unsigned int flags;
	void *arg;
	unsigned int min_args, max_args;
	const struct ctl_verb *verb; /* NULL: registered by ctl_register */
};

struct ctl_conn {
	int fd; /* -1: slot free */
	struct ucred cred;
	gid_t *groups; /* supplementary groups (SO_PEERGROUPS) */
	size_t ngroups;
	unsigned char hdr[CTL_HEADER_LEN];
	size_t hdr_got;
	char *body;
	size_t body_len, body_got;
	char *out; /* reply frame being written (header included) */
	size_t out_len, out_sent;
	bool close_after; /* close once out is written */
	int64_t deadline; /* monotonic ms */
};

struct ctl_server {
	int lfd;
	int wake[2]; /* ctl_server_destroy writes here to stop the thread */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *version;
	gid_t gid;
	bool have_group;
	uid_t self_uid;
	unsigned int mode;
	int request_ms, idle_ms;
	struct ctl_cmd *cmds;
	size_t ncmds;
	struct ctl_conn *conns;
	size_t nconns;
	pthread_t thread;
	bool started;
};

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append a formatted string to a malloc'd one (NULL = empty). */
int ctl_vappend(char **dst, const char *fmt, va_list ap);
/* Parse c->body, check the peer, run the command: its status. */
int ctl_dispatch(struct ctl_server *srv, struct ctl_conn *c,
		 struct ctl_reply *reply);
/* version and list-commands */
int ctl_register_builtins(struct ctl_server *srv);

#endif /* PKID_CTL_INTERNAL_H */
