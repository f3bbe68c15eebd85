// SPDX-License-Identifier: MIT
/*
 * The control socket's server (daemon/CONTROL.md).  One thread polls the
 * listening socket and every connection; each connection reads one frame,
 * runs its command, writes the reply, then waits for the next frame.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

struct ctl_cmd {
	char *name;
	char *usage;
	ctl_handler_fn fn;
	unsigned int flags;
	void *arg;
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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- handler helpers ---- */

size_t ctl_argc(const struct ctl_request *req)
{
	return json_array_size(req->args);
}

const char *ctl_arg(const struct ctl_request *req, size_t i)
{
	return json_string_value(json_array_get(req->args, i));
}

static int append_vfmt(char **dst, const char *fmt, va_list ap)
{
	char *add, *n;
	size_t old = *dst ? strlen(*dst) : 0;

	if (vasprintf(&add, fmt, ap) < 0)
		return -ENOMEM;
	n = realloc(*dst, old + strlen(add) + 1);
	if (!n) {
		free(add);
		return -ENOMEM;
	}
	memcpy(n + old, add, strlen(add) + 1);
	free(add);
	*dst = n;
	return 0;
}

int ctl_reply_printf(struct ctl_reply *reply, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = append_vfmt(&reply->text, fmt, ap);
	va_end(ap);
	return rc;
}

int ctl_reply_error(struct ctl_reply *reply, int err, const char *fmt, ...)
{
	va_list ap;

	free(reply->error);
	reply->error = NULL;
	va_start(ap, fmt);
	append_vfmt(&reply->error, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- the command table ---- */

static struct ctl_cmd *find_cmd(struct ctl_server *srv, const char *name)
{
	for (size_t i = 0; i < srv->ncmds; i++)
		if (!strcmp(srv->cmds[i].name, name))
			return &srv->cmds[i];
	return NULL;
}

int ctl_register(struct ctl_server *srv, const char *name, ctl_handler_fn fn,
		 unsigned int flags, void *arg, const char *usage)
{
	struct ctl_cmd *n;

	if (srv->started || !name || !*name || !fn || (flags & ~CTL_F_MUTATES))
		return -EINVAL;
	if (find_cmd(srv, name))
		return -EEXIST;
	n = realloc(srv->cmds, (srv->ncmds + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	srv->cmds = n;
	n = &n[srv->ncmds];
	n->name = strdup(name);
	n->usage = strdup(usage ? usage : "");
	if (!n->name || !n->usage) {
		free(n->name);
		free(n->usage);
		return -ENOMEM;
	}
	n->fn = fn;
	n->flags = flags;
	n->arg = arg;
	srv->ncmds++;
	return 0;
}

static int cmd_version(const struct ctl_request *req, struct ctl_reply *reply,
		       void *arg)
{
	struct ctl_server *srv = arg;

	reply->result = json_pack("{s:s, s:i}", "version", srv->version,
				  "protocol", CTL_PROTOCOL_VERSION);
	if (!reply->result)
		return -ENOMEM;
	return ctl_reply_printf(reply, "pkid %s (control protocol %d)\n",
				srv->version, CTL_PROTOCOL_VERSION);
}

static int cmd_list(const struct ctl_request *req, struct ctl_reply *reply,
		    void *arg)
{
	struct ctl_server *srv = arg;
	json_t *list = json_array();

	if (!list)
		return -ENOMEM;
	reply->result = json_pack("{s:o}", "commands", list);
	if (!reply->result)
		return -ENOMEM;
	for (size_t i = 0; i < srv->ncmds; i++) {
		const struct ctl_cmd *c = &srv->cmds[i];
		bool mut = c->flags & CTL_F_MUTATES;

		if (json_array_append_new(list,
					  json_pack("{s:s, s:s, s:b}", "name",
						    c->name, "usage", c->usage,
						    "mutates", mut)) ||
		    ctl_reply_printf(reply, "%-28s %s%s\n", c->name, c->usage,
				     mut ? " (admin)" : ""))
			return -ENOMEM;
	}
	return 0;
}

/* ---- permission ---- */

static bool is_admin(const struct ctl_server *srv, const struct ctl_conn *c)
{
	return c->cred.uid == 0 || c->cred.uid == srv->self_uid;
}

static bool is_member(const struct ctl_server *srv, const struct ctl_conn *c)
{
	if (!srv->have_group)
		return false;
	if (c->cred.gid == srv->gid)
		return true;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == srv->gid)
			return true;
	return false;
}

static int check_permission(struct ctl_server *srv, struct ctl_conn *c,
			    const struct ctl_cmd *cmd, struct ctl_reply *reply)
{
	if (is_admin(srv, c))
		return 0;
	if (cmd->flags & CTL_F_MUTATES)
		return ctl_reply_error(reply, -EACCES,
				       "permission denied: '%s' changes state "
				       "and needs root or pkid's own user",
				       cmd->name);
	if (is_member(srv, c))
		return 0;
	return ctl_reply_error(reply, -EACCES,
			       "permission denied: uid %u is not in the "
			       "control group (gid %u)",
			       (unsigned int)c->cred.uid,
			       (unsigned int)srv->gid);
}

/* ---- one request ---- */

/* Parse the request, find the command, check the peer, run it. */
static int dispatch(struct ctl_server *srv, struct ctl_conn *c,
		    struct ctl_reply *reply)
{
	struct ctl_request req = {
		.uid = c->cred.uid, .gid = c->cred.gid, .pid = c->cred.pid};
	json_error_t jerr;
	json_t *root, *cmd, *args;
	struct ctl_cmd *h;
	int rc;

	root = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ctl_reply_error(reply, -EBADMSG,
				       "malformed request: %s (byte %d)",
				       jerr.text, jerr.position);
	cmd = json_object_get(root, "cmd");
	args = json_object_get(root, "args");
	if (!json_is_object(root) || !json_is_string(cmd) ||
	    (args && !json_is_array(args))) {
		rc = ctl_reply_error(reply, -EINVAL,
				     "malformed request: expected "
				     "{\"cmd\": string, \"args\": [...]}");
		goto out;
	}
	req.cmd = json_string_value(cmd);
	req.args = args ? json_incref(args) : json_array();
	h = find_cmd(srv, req.cmd);
	if (!h) {
		rc = ctl_reply_error(reply, -EOPNOTSUPP,
				     "unknown command '%s' (see list-commands)",
				     req.cmd);
		goto out;
	}
	rc = check_permission(srv, c, h, reply);
	if (!rc)
		rc = h->fn(&req, reply, h->arg);
	if (rc > 0)
		rc = -EINVAL; /* a handler bug: keep the protocol's promise */
out:
	json_decref(req.args);
	json_decref(root);
	return rc;
}

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
	append_vfmt(&r.error, fmt, ap);
	va_end(ap);
	rc = queue_reply(c, err, &r);
	reply_free(&r);
	return rc;
}

static void run_request(struct ctl_server *srv, struct ctl_conn *c)
{
	struct ctl_reply r = {0};
	int status;

	if (c->body_len == 0)
		status = ctl_reply_error(&r, -EBADMSG,
					 "malformed request: empty frame");
	else
		status = dispatch(srv, c, &r);
	if (queue_reply(c, status, &r))
		c->close_after = true;
	reply_free(&r);
	free(c->body);
	c->body = NULL;
	c->hdr_got = c->body_len = c->body_got = 0;
	c->deadline = now_ms() + srv->request_ms;
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
		fprintf(stderr,
			"pkid: control socket: no group '%s', only root and "
			"uid %u may use it\n",
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
		rc = ctl_register(srv, "version", cmd_version, 0, srv,
				  "the daemon's version and protocol version");
	if (!rc)
		rc = ctl_register(srv, "list-commands", cmd_list, 0, srv,
				  "the commands this daemon serves");
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
