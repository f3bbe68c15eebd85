// SPDX-License-Identifier: MIT
/*
 * The control socket's server (daemon/CONTROL.md): the socket, the
 * serving thread and the connections; the commands are in ctl_cmd.c.  One
 * thread polls the listening socket and every connection; each connection reads
 * one frame, runs its command, writes the reply, then waits for the next frame.
 *
 * A peer may not hold the thread: a frame must be complete within
 * request_timeout_ms of its first byte and a reply written within the
 * same time, an idle connection is closed after idle_timeout_ms, and a
 * frame announced larger than CTL_FRAME_MAX is answered with -EMSGSIZE
 * and the connection closed (its body is never read).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_internal.h"
#include "log.h"

/* ---- one request ---- */

/* Encode {status, error, text, result} as a frame in c->out. */
static int queue_reply(struct ctl_conn *c, int status, struct ctl_reply *r)
{
	json_t *obj;
	char *body;
	size_t len;

	if (status && !r->error)
		r->error = strdup(strerror(-status));
	obj = json_pack("{s:i, s:s, s:s, s:O?}", "status", status, "error",
			r->error ? r->error : "", "text",
			r->text ? r->text : "", "result", r->result);
	body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!body)
		return -ENOMEM;
	len = strlen(body);
	if (len > CTL_FRAME_MAX) {
		free(body);
		if (asprintf(&body,
			     "{\"status\":%d,\"error\":\"reply of %zu bytes "
			     "exceeds the %d-byte limit\",\"text\":\"\","
			     "\"result\":null}",
			     -EMSGSIZE, len, CTL_FRAME_MAX) < 0)
			return -ENOMEM;
		len = strlen(body);
	}
	free(c->out);
	c->out = malloc(CTL_HEADER_LEN + len);
	if (!c->out) {
		free(body);
		return -ENOMEM;
	}
	c->out[0] = len >> 24;
	c->out[1] = len >> 16;
	c->out[2] = len >> 8;
	c->out[3] = len;
	memcpy(c->out + CTL_HEADER_LEN, body, len);
	free(body);
	c->out_len = CTL_HEADER_LEN + len;
	c->out_sent = 0;
	return 0;
}

static void reply_free(struct ctl_reply *r)
{
	json_decref(r->result);
	free(r->text);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* An error reply without running anything (bad frame, overload). */
static int queue_error(struct ctl_conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int queue_error(struct ctl_conn *c, int err, const char *fmt, ...)
{
	struct ctl_reply r = {0};
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ctl_vappend(&r.error, fmt, ap);
	va_end(ap);
	rc = queue_reply(c, err, &r);
	reply_free(&r);
	return rc;
}

static void conn_close(struct ctl_conn *c);

static void run_request(struct ctl_server *srv, struct ctl_conn *c)
{
	struct ctl_reply r = {0};
	bool queued;
	int status;

	if (c->body_len == 0)
		status = ctl_reply_error(&r, -EBADMSG,
					 "malformed request: empty frame");
	else
		status = ctl_dispatch(srv, c, &r);
	queued = queue_reply(c, status, &r) == 0;
	reply_free(&r);
	free(c->body);
	c->body = NULL;
	c->hdr_got = c->body_len = c->body_got = 0;
	c->deadline = now_ms() + srv->request_ms;
	if (!queued)
		conn_close(c); /* out of memory: no reply to give */
}

/* ---- connections ---- */

static void conn_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->groups);
	free(c->body);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int peer_groups(struct ctl_conn *c)
{
	socklen_t len = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) &&
	    errno != ERANGE)
		/* kernels before 4.13: the primary group is all we know */
		return errno == ENOPROTOOPT ? 0 : -errno;
	if (len == 0)
		return 0;
	c->groups = malloc(len);
	if (!c->groups)
		return -ENOMEM;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, c->groups, &len))
		return -errno;
	c->ngroups = len / sizeof(gid_t);
	return 0;
}

static void accept_one(struct ctl_server *srv)
{
	struct ctl_conn *c = NULL;
	socklen_t len = sizeof(struct ucred);
	int fd;

	fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < srv->nconns && !c; i++)
		if (srv->conns[i].fd < 0)
			c = &srv->conns[i];
	if (!c) {
		/* full: say so in one frame, best effort, and hang up */
		struct ctl_conn tmp = {.fd = fd};

		if (!queue_error(&tmp, -EBUSY, "too many control connections"))
			send(fd, tmp.out, tmp.out_len,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		conn_close(&tmp);
		return;
	}
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) ||
	    peer_groups(c)) {
		conn_close(c);
		return;
	}
	c->deadline = now_ms() + srv->idle_ms;
}

/* Read what is there; run the request once the frame is complete. */
static void conn_read(struct ctl_server *srv, struct ctl_conn *c)
{
	ssize_t n = 0;
	size_t size;

	if (c->hdr_got < CTL_HEADER_LEN) {
		n = recv(c->fd, c->hdr + c->hdr_got,
			 CTL_HEADER_LEN - c->hdr_got, MSG_DONTWAIT);
		if (n <= 0)
			goto eof;
		if (c->hdr_got == 0)
			c->deadline = now_ms() + srv->request_ms;
		c->hdr_got += n;
		if (c->hdr_got < CTL_HEADER_LEN)
			return;
		size = (size_t)c->hdr[0] << 24 | c->hdr[1] << 16 |
		       c->hdr[2] << 8 | c->hdr[3];
		if (size > CTL_FRAME_MAX) {
			queue_error(c, -EMSGSIZE,
				    "request of %zu bytes exceeds the %d-byte "
				    "limit",
				    size, CTL_FRAME_MAX);
			c->close_after = true;
			return;
		}
		c->body_len = size;
		c->body = malloc(size + 1);
		if (!c->body)
			goto fail;
	}
	if (c->body_got < c->body_len) {
		n = recv(c->fd, c->body + c->body_got,
			 c->body_len - c->body_got, MSG_DONTWAIT);
		if (n <= 0)
			goto eof;
		c->body_got += n;
	}
	if (c->body_got == c->body_len) {
		c->body[c->body_len] = 0;
		run_request(srv, c);
	}
	return;
eof:
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
fail:
	conn_close(c);
}

static void conn_write(struct ctl_server *srv, struct ctl_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->out_sent += n;
	if (c->out_sent < c->out_len)
		return;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_sent = 0;
	if (c->close_after)
		conn_close(c);
	else
		c->deadline = now_ms() + srv->idle_ms;
}

/* A deadline passed: tell a peer stuck mid-frame why, then hang up. */
static void conn_expire(struct ctl_conn *c)
{
	if (!c->out && c->hdr_got &&
	    !queue_error(c, -ETIMEDOUT, "request not completed in time"))
		send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	conn_close(c);
}

/* ---- the serving thread ---- */

static void *serve(void *arg)
{
	struct ctl_server *srv = arg;
	struct pollfd *pfd;
	size_t n = srv->nconns + 2;
	int64_t now, next;

	pfd = calloc(n, sizeof(*pfd));
	if (!pfd)
		return NULL;
	for (;;) {
		now = now_ms();
		next = now + srv->idle_ms;
		pfd[0] = (struct pollfd){.fd = srv->wake[0], .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = srv->lfd, .events = POLLIN};
		for (size_t i = 0; i < srv->nconns; i++) {
			struct ctl_conn *c = &srv->conns[i];

			pfd[i + 2].fd = c->fd;
			pfd[i + 2].events = c->out ? POLLOUT : POLLIN;
			pfd[i + 2].revents = 0;
			if (c->fd >= 0 && c->deadline < next)
				next = c->deadline;
		}
		if (poll(pfd, n, next > now ? (int)(next - now) : 0) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			accept_one(srv);
		now = now_ms();
		for (size_t i = 0; i < srv->nconns; i++) {
			struct ctl_conn *c = &srv->conns[i];
			short ev = pfd[i + 2].revents;

			if (c->fd < 0 || pfd[i + 2].fd != c->fd)
				continue;
			if (ev & POLLOUT)
				conn_write(srv, c);
			else if (ev & (POLLIN | POLLHUP | POLLERR))
				conn_read(srv, c);
			else if (now >= c->deadline)
				conn_expire(c);
		}
	}
	free(pfd);
	return NULL;
}

/* ---- lifecycle ---- */

/* A socket file nobody listens on is stale (a dead daemon's): remove it. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED)
		return -errno;
	return unlink(path) ? -errno : 0;
}

static int resolve_group(struct ctl_server *srv,
			 const struct ctl_server_opts *o)
{
	const char *name = o->group ? o->group : "pkid";
	struct group *gr;

	if (o->group_gid_set) {
		srv->gid = o->group_gid;
		srv->have_group = true;
		return 0;
	}
	gr = getgrnam(name);
	if (!gr) {
		/* no such group: only root and pkid's own user get in */
		pkid_log(LOG_WARNING, NULL,
			 "control socket: no group '%s', only root and "
			 "uid %u may use it",
			 name, (unsigned int)geteuid());
		return 0;
	}
	srv->gid = gr->gr_gid;
	srv->have_group = true;
	return 0;
}

static int listen_on(struct ctl_server *srv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int rc;

	memcpy(sa.sun_path, srv->path, strlen(srv->path));
	rc = clear_stale(srv->path, &sa);
	if (rc)
		return rc;
	srv->lfd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->lfd < 0)
		return -errno;
	/* chmod/chown before listen(): nobody connects in between */
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(srv->path, srv->mode) ||
	    (srv->have_group && chown(srv->path, (uid_t)-1, srv->gid)) ||
	    listen(srv->lfd, 16))
		return -errno;
	return 0;
}

int ctl_server_create(struct ctl_server **out, const struct ctl_server_opts *o)
{
	struct ctl_server *srv;
	int rc;

	*out = NULL;
	if (!o->path || strlen(o->path) >= sizeof(srv->path))
		return o->path ? -ENAMETOOLONG : -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->lfd = srv->wake[0] = srv->wake[1] = -1;
	snprintf(srv->path, sizeof(srv->path), "%s", o->path);
	srv->version = strdup(o->version ? o->version : "unknown");
	srv->mode = o->mode ? o->mode : 0660;
	srv->request_ms =
		o->request_timeout_ms > 0 ? o->request_timeout_ms : 5000;
	srv->idle_ms = o->idle_timeout_ms > 0 ? o->idle_timeout_ms : 60000;
	srv->nconns = o->max_clients ? o->max_clients : 64;
	srv->self_uid = geteuid();
	srv->conns = calloc(srv->nconns, sizeof(*srv->conns));
	if (!srv->version || !srv->conns) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < srv->nconns; i++)
		srv->conns[i].fd = -1;
	rc = resolve_group(srv, o);
	if (!rc && pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK))
		rc = -errno;
	if (!rc)
		rc = listen_on(srv);
	if (!rc)
		rc = ctl_register_builtins(srv);
	if (rc)
		goto fail;
	*out = srv;
	return 0;
fail:
	ctl_server_destroy(srv);
	return rc;
}

int ctl_server_start(struct ctl_server *srv)
{
	int rc;

	if (srv->started)
		return -EALREADY;
	rc = -pthread_create(&srv->thread, NULL, serve, srv);
	if (!rc)
		srv->started = true;
	return rc;
}

void ctl_server_destroy(struct ctl_server *srv)
{
	if (!srv)
		return;
	if (srv->started) {
		ssize_t n = write(srv->wake[1], "x", 1);

		(void)n;
		pthread_join(srv->thread, NULL);
	}
	for (size_t i = 0; srv->conns && i < srv->nconns; i++)
		conn_close(&srv->conns[i]);
	if (srv->lfd >= 0) {
		close(srv->lfd);
		unlink(srv->path);
	}
	if (srv->wake[0] >= 0)
		close(srv->wake[0]);
	if (srv->wake[1] >= 0)
		close(srv->wake[1]);
	for (size_t i = 0; i < srv->ncmds; i++) {
		free(srv->cmds[i].name);
		free(srv->cmds[i].usage);
	}
	free(srv->cmds);
	free(srv->conns);
	free(srv->version);
	free(srv);
}
