// SPDX-License-Identifier: MIT
/*
 * The control protocol's client (daemon/CONTROL.md): connect to pkid's
 * Unix socket, send one framed JSON request, read one framed JSON reply.
 * The frame helpers are shared with the daemon's side (daemon/core/ctl.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"

struct ctl_client {
	int fd;
	int timeout_ms;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for `events` until the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int write_all(int fd, const unsigned char *p, size_t len,
		     int64_t deadline)
{
	ssize_t n;
	int rc;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

/* Read exactly len bytes; *got says how many arrived before an EOF. */
static int read_all(int fd, unsigned char *p, size_t len, size_t *got,
		    int64_t deadline)
{
	ssize_t n;
	int rc;

	*got = 0;
	while (*got < len) {
		n = recv(fd, p + *got, len - *got, MSG_DONTWAIT);
		if (n > 0) {
			*got += n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

int ctl_frame_write(int fd, const void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	unsigned char hdr[CTL_HEADER_LEN] = {len >> 24, len >> 16, len >> 8,
					     len};
	int rc;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	rc = write_all(fd, hdr, sizeof(hdr), deadline);
	if (!rc)
		rc = write_all(fd, buf, len, deadline);
	return rc;
}

int ctl_frame_read(int fd, char **buf, size_t *len, size_t max, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	unsigned char hdr[CTL_HEADER_LEN];
	size_t got, n;
	int rc;

	*buf = NULL;
	*len = 0;
	rc = read_all(fd, hdr, sizeof(hdr), &got, deadline);
	if (rc == -ECONNRESET && got == 0)
		return 0; /* clean end of stream */
	if (rc)
		return rc;
	n = (size_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
	if (n > max)
		return -EMSGSIZE;
	*buf = malloc(n + 1);
	if (!*buf)
		return -ENOMEM;
	rc = read_all(fd, (unsigned char *)*buf, n, &got, deadline);
	if (rc) {
		free(*buf);
		*buf = NULL;
		return rc;
	}
	(*buf)[n] = 0;
	*len = n;
	return 0;
}

int ctl_client_open(struct ctl_client **out, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_client *c;
	int rc;

	*out = NULL;
	if (!path)
		path = getenv("PKID_CTL_SOCKET");
	if (!path || !*path)
		path = CTL_SOCKET_DEFAULT;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->path, sizeof(c->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path));
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : CTL_CLIENT_TIMEOUT_MS;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		ctl_client_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ctl_client_close(struct ctl_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

const char *ctl_client_path(const struct ctl_client *c)
{
	return c->path;
}

static int fail(struct ctl_result *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctl_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	free(res->error);
	res->error = NULL;
	va_start(ap, fmt);
	if (vasprintf(&res->error, fmt, ap) < 0)
		res->error = NULL;
	va_end(ap);
	res->status = err;
	return err;
}

static char *dup_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return strdup(json_is_string(v) ? json_string_value(v) : "");
}

/* Check and unpack a reply object into res. */
static int decode_reply(struct ctl_result *res, const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *root, *status;

	root = json_loadb(buf, len, 0, &jerr);
	if (!root)
		return fail(res, -EBADMSG, "malformed reply from pkid: %s",
			    jerr.text);
	status = json_object_get(root, "status");
	if (!json_is_object(root) || !json_is_integer(status)) {
		json_decref(root);
		return fail(res, -EBADMSG,
			    "malformed reply from pkid: no integer status");
	}
	res->status = (int)json_integer_value(status);
	res->error = dup_member(root, "error");
	res->text = dup_member(root, "text");
	res->result = json_incref(json_object_get(root, "result"));
	json_decref(root);
	if (!res->error || !res->text)
		return fail(res, -ENOMEM, "out of memory");
	if (res->status > 0)
		return fail(res, -EBADMSG, "malformed reply: status %d > 0",
			    res->status);
	if (res->status && !res->error[0])
		return fail(res, res->status, "%s", strerror(-res->status));
	return res->status;
}

int ctl_client_call_json(struct ctl_client *c, json_t *request,
			 struct ctl_result *res)
{
	char *req = NULL, *buf = NULL;
	size_t len;
	int rc;

	memset(res, 0, sizeof(*res));
	req = json_dumps(request, JSON_COMPACT);
	if (!req)
		return fail(res, -ENOMEM, "cannot encode the request");
	len = strlen(req);
	if (len > CTL_FRAME_MAX) {
		rc = fail(res, -EMSGSIZE,
			  "request of %zu bytes exceeds the %d-byte limit", len,
			  CTL_FRAME_MAX);
		goto out;
	}
	rc = ctl_frame_write(c->fd, req, len, c->timeout_ms);
	if (rc) {
		rc = fail(res, rc, "cannot send to pkid (%s): %s", c->path,
			  strerror(-rc));
		goto out;
	}
	rc = ctl_frame_read(c->fd, &buf, &len, CTL_FRAME_MAX, c->timeout_ms);
	if (!rc && !buf)
		rc = -ECONNRESET;
	if (rc) {
		rc = fail(res, rc, "no reply from pkid (%s): %s", c->path,
			  rc == -ECONNRESET ? "connection closed"
					    : strerror(-rc));
		goto out;
	}
	res->raw = buf;
	rc = decode_reply(res, buf, len);
out:
	free(req);
	if (!res->error)
		res->error = strdup("");
	return rc;
}

int ctl_client_call(struct ctl_client *c, const char *cmd,
		    const char *const *args, size_t nargs,
		    struct ctl_result *res)
{
	json_t *req, *arr;
	int rc;

	memset(res, 0, sizeof(*res));
	req = json_object();
	arr = json_array();
	if (!req || !arr || json_object_set_new(req, "cmd", json_string(cmd)) ||
	    json_object_set(req, "args", arr)) {
		json_decref(req);
		json_decref(arr);
		return fail(res, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nargs; i++) {
		if (json_array_append_new(arr, json_string(args[i]))) {
			json_decref(req);
			json_decref(arr);
			return fail(res, -EINVAL,
				    "argument %zu is not valid UTF-8", i + 1);
		}
	}
	json_decref(arr);
	rc = ctl_client_call_json(c, req, res);
	json_decref(req);
	return rc;
}

void ctl_result_free(struct ctl_result *res)
{
	free(res->error);
	free(res->text);
	free(res->raw);
	json_decref(res->result);
	memset(res, 0, sizeof(*res));
}
