// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for pkid's control socket (daemon/core/ctl.c, ctl_cmd.c):
 * frame parsing and JSON command dispatch, through a real server on a Unix
 * socket in a temp dir, with the built-ins (version, list-commands) and
 * two registered handlers of the kinds pkid has: one that reads its
 * arguments and answers text + JSON, one that mutates.
 *
 * Each input is written raw to a fresh connection (any number of frames,
 * possibly a truncated one), the write side is shut, and every reply is
 * read until the server closes.  What must hold: no crash or sanitizer
 * report in the server thread; the server closes within 3 s (it has the
 * whole input and an EOF); every reply is a complete frame of at most
 * CTL_FRAME_MAX bytes holding {"status": int <= 0, "error": string,
 * "text": string, "result": ...} with a non-empty error when status < 0.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/ctl_internal.h"
#include "tmpdir.h"

static struct sockaddr_un addr;
static struct ctl_server *server;
static int counter;

/* On a failure, what each connection of the server was doing (read
 * without the server's cooperation: a diagnostic, not a check). */
static void dump_server(void)
{
	for (size_t i = 0; server && i < server->nconns; i++) {
		struct ctl_conn *c = &server->conns[i];

		if (c->fd < 0)
			continue;
		fprintf(stderr,
			"fuzz-ctl: conn %zu fd %d hdr %zu body %zu/%zu out "
			"%zu/%zu close_after %d deadline in %lld ms\n",
			i, c->fd, c->hdr_got, c->body_got, c->body_len,
			c->out_sent, c->out_len, c->close_after,
			(long long)(c->deadline - now_ms()));
	}
}

static void die(const char *what)
{
	dump_server();
	fprintf(stderr, "fuzz-ctl: %s\n", what);
	abort();
}

/* "show thing ARG...": echoes its arguments, like pkid's show commands. */
static int cmd_show(const struct ctl_request *req, struct ctl_reply *reply,
		    void *arg)
{
	json_t *list = json_array();

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < ctl_argc(req); i++) {
		const char *a = ctl_arg(req, i);

		if (!a) {
			json_decref(list);
			return ctl_reply_error(reply, -EINVAL,
					       "argument %zu is not a string",
					       i + 1);
		}
		json_array_append_new(list, json_string(a));
		ctl_reply_printf(reply, "%s\n", a);
	}
	reply->result = json_pack("{s:o}", "args", list);
	return reply->result ? 0 : -ENOMEM;
}

/* "bump [N]": a mutating command with a numeric argument. */
static int cmd_bump(const struct ctl_request *req, struct ctl_reply *reply,
		    void *arg)
{
	const char *a = ctl_arg(req, 0);
	char *end;
	long n = 1;

	if (ctl_argc(req) > 1)
		return ctl_reply_error(reply, -EINVAL, "usage: bump [N]");
	if (ctl_argc(req) == 1) {
		if (!a)
			return ctl_reply_error(reply, -EINVAL, "N: a string");
		n = strtol(a, &end, 10);
		if (*a == 0 || *end || n < 0 || n > 1000)
			return ctl_reply_error(reply, -EINVAL,
					       "N: 0..1000, not '%s'", a);
	}
	counter += (int)n;
	return ctl_reply_printf(reply, "counter %d\n", counter);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ctl_server_opts o = {.version = "fuzz"};
	struct ctl_server *srv;
	const char *tmpdir = fuzz_tmpdir("ctl");

	if (!tmpdir)
		die("mkdtemp");
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/ctl", tmpdir);
	o.path = addr.sun_path;
	o.idle_timeout_ms = 2000;
	o.request_timeout_ms = 2000;
	if (ctl_server_create(&srv, &o) ||
	    ctl_register(srv, "show thing", cmd_show, 0, NULL, "show ARG...") ||
	    ctl_register(srv, "bump", cmd_bump, CTL_F_MUTATES, NULL,
			 "bump [N]") ||
	    ctl_server_start(srv))
		die("cannot start the control server");
	server = srv;
	return 0;
}

static void check_reply(const unsigned char *body, size_t len)
{
	json_error_t jerr;
	json_t *r = json_loadb((const char *)body, len, 0, &jerr);
	json_t *st, *err, *text;

	if (!r)
		die("reply is not JSON");
	st = json_object_get(r, "status");
	err = json_object_get(r, "error");
	text = json_object_get(r, "text");
	if (!json_is_integer(st) || json_integer_value(st) > 0 ||
	    !json_is_string(err) || !json_is_string(text) ||
	    !json_object_get(r, "result"))
		die("reply lacks status/error/text/result");
	if (json_integer_value(st) < 0 && json_string_length(err) == 0)
		die("an error reply without a message");
	json_decref(r);
}

/* Read all of fd until EOF (bounded by 3 s of silence), check the frames. */
static void read_replies(int fd)
{
	static unsigned char buf[4 * CTL_HEADER_LEN + 2 * CTL_FRAME_MAX];
	size_t got = 0, off = 0, n;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int64_t deadline = now_ms() + 3000;
	ssize_t r;
	int ready;

	for (;;) {
		/* libFuzzer's -timeout alarm may interrupt poll: not a hang */
		ready = poll(&p, 1, (int)(deadline - now_ms()));
		if (ready < 0 && errno == EINTR && now_ms() < deadline)
			continue;
		if (ready != 1)
			die("the server neither replied nor closed in 3 s");
		deadline = now_ms() + 3000;
		r = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNRESET)
			break;
		if (r < 0)
			die("recv");
		if (r == 0)
			break;
		got += (size_t)r;
		/* Check and drop complete frames to keep buf small. */
		while (got - off >= CTL_HEADER_LEN) {
			n = (size_t)buf[off] << 24 | buf[off + 1] << 16 |
			    buf[off + 2] << 8 | buf[off + 3];
			if (n > CTL_FRAME_MAX)
				die("reply frame over CTL_FRAME_MAX");
			if (got - off - CTL_HEADER_LEN < n)
				break;
			check_reply(buf + off + CTL_HEADER_LEN, n);
			off += CTL_HEADER_LEN + n;
		}
		memmove(buf, buf + off, got - off);
		got -= off;
		off = 0;
	}
	if (got)
		die("truncated reply frame");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t sent = 0;
	ssize_t n;

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	while (sent < len) {
		n = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the server hung up (oversized frame) */
		sent += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	read_replies(fd);
	close(fd);
	return 0;
}
