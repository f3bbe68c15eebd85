// SPDX-License-Identifier: MIT
/*
 * The control socket end to end: a server made with daemon/core/ctl.c and a
 * few handlers, clients made with libshared/ctl_client.c or raw frames,
 * over a Unix socket in a temp dir.  Covers version, list-commands, errors
 * from handlers, oversized and malformed frames (the server keeps
 * serving), a stalled frame timing out, an oversized reply, many clients
 * at once, a full connection table, and permissions for peers of another
 * uid (forked children dropping to 65534).
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../lib/cunit_run.h"

#include "core/ctl.h"
#include "ctl_client.h"

#define TEST_GID   64999 /* the "pkid" group of this test */
#define NOBODY	   65534
#define REQUEST_MS 300

static char dir[32], sock[64];
static struct ctl_server *srv;
static int value; /* what "set" changes */

static int h_echo(const struct ctl_request *req, struct ctl_reply *reply,
		  void *arg)
{
	reply->result = json_pack("{s:O, s:i}", "args", req->args, "uid",
				  (int)req->uid);
	for (size_t i = 0; i < ctl_argc(req); i++)
		ctl_reply_printf(reply, "%s%s", i ? " " : "", ctl_arg(req, i));
	return reply->result ? 0 : -ENOMEM;
}

static int h_set(const struct ctl_request *req, struct ctl_reply *reply,
		 void *arg)
{
	const char *v = ctl_arg(req, 0);

	if (!v)
		return ctl_reply_error(reply, -EINVAL, "usage: set VALUE");
	value = atoi(v);
	return 0;
}

static int h_fail(const struct ctl_request *req, struct ctl_reply *reply,
		  void *arg)
{
	return ctl_reply_error(reply, -ENOENT, "no such thing: %s",
			       ctl_arg(req, 0) ? ctl_arg(req, 0) : "?");
}

/* A reply over the frame cap: the server must refuse to send it. */
static int h_big(const struct ctl_request *req, struct ctl_reply *reply,
		 void *arg)
{
	char *s = malloc(CTL_FRAME_MAX + 10);

	memset(s, 'a', CTL_FRAME_MAX + 9);
	s[CTL_FRAME_MAX + 9] = 0;
	reply->text = s;
	return 0;
}

static struct ctl_server *start_server(const char *path, unsigned int mode,
				       unsigned int max_clients)
{
	struct ctl_server_opts o = {
		.path = path,
		.version = "test-1.0",
		.group_gid = TEST_GID,
		.group_gid_set = true,
		.mode = mode,
		.request_timeout_ms = REQUEST_MS,
		.max_clients = max_clients,
	};
	struct ctl_server *s = NULL;

	CU_ASSERT_EQUAL_FATAL(ctl_server_create(&s, &o), 0);
	CU_ASSERT_EQUAL(ctl_register(s, "echo", h_echo, 0, NULL, "ARGS..."), 0);
	CU_ASSERT_EQUAL(
		ctl_register(s, "set", h_set, CTL_F_MUTATES, NULL, "VALUE"), 0);
	CU_ASSERT_EQUAL(ctl_register(s, "fail", h_fail, 0, NULL, ""), 0);
	CU_ASSERT_EQUAL(ctl_register(s, "big", h_big, 0, NULL, ""), 0);
	CU_ASSERT_EQUAL(ctl_register(s, "echo", h_echo, 0, NULL, ""), -EEXIST);
	CU_ASSERT_EQUAL_FATAL(ctl_server_start(s), 0);
	return s;
}

static struct ctl_client *client(void)
{
	struct ctl_client *c = NULL;

	CU_ASSERT_EQUAL_FATAL(ctl_client_open(&c, sock, 5000), 0);
	return c;
}

static int call(const char *cmd, const char *const *args, size_t n,
		struct ctl_result *res)
{
	struct ctl_client *c = client();
	int rc = ctl_client_call(c, cmd, args, n, res);

	ctl_client_close(c);
	return rc;
}

static void test_start(void)
{
	srv = start_server(sock, 0, 0);
}

static void test_version(void)
{
	struct ctl_result r;

	CU_ASSERT_EQUAL(call("version", NULL, 0, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.text, "pkid test-1.0 (control protocol 1)\n");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(r.result, "version")),
		"test-1.0");
	CU_ASSERT_EQUAL(
		json_integer_value(json_object_get(r.result, "protocol")),
		CTL_PROTOCOL_VERSION);
	CU_ASSERT_STRING_EQUAL(r.error, "");
	ctl_result_free(&r);
}

static void test_list_commands(void)
{
	struct ctl_result r;
	json_t *list, *e;
	size_t i;
	int seen = 0;

	CU_ASSERT_EQUAL_FATAL(call("list-commands", NULL, 0, &r), 0);
	list = json_object_get(r.result, "commands");
	CU_ASSERT_EQUAL(json_array_size(list), 6);
	json_array_foreach(list, i, e)
	{
		const char *name =
			json_string_value(json_object_get(e, "name"));
		bool mut = json_is_true(json_object_get(e, "mutates"));

		if (!strcmp(name, "version") || !strcmp(name, "list-commands"))
			seen += !mut;
		if (!strcmp(name, "set"))
			seen += mut;
	}
	CU_ASSERT_EQUAL(seen, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.text, "set"));
	ctl_result_free(&r);
}

static void test_calls_and_errors(void)
{
	const char *args[] = {"grant", "ROOTCA", "\xc3\xa9t\xc3\xa9"};
	const char *bad[] = {"\xff\xfe"};
	struct ctl_client *c = client();
	struct ctl_result r;

	/* several requests on one connection */
	CU_ASSERT_EQUAL(ctl_client_call(c, "echo", args, 3, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.text, "grant ROOTCA \xc3\xa9t\xc3\xa9");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.result, "args")), 3);
	ctl_result_free(&r);
	CU_ASSERT_EQUAL(ctl_client_call(c, "set", (const char *[]){"7"}, 1, &r),
			0);
	CU_ASSERT_EQUAL(value, 7);
	ctl_result_free(&r);
	CU_ASSERT_EQUAL(ctl_client_call(c, "nope", NULL, 0, &r), -EOPNOTSUPP);
	CU_ASSERT_STRING_EQUAL(r.error,
			       "unknown command 'nope' (see list-commands)");
	ctl_result_free(&r);
	CU_ASSERT_EQUAL(ctl_client_call(c, "fail", args, 1, &r), -ENOENT);
	CU_ASSERT_STRING_EQUAL(r.error, "no such thing: grant");
	ctl_result_free(&r);
	CU_ASSERT_EQUAL(ctl_client_call(c, "set", NULL, 0, &r), -EINVAL);
	CU_ASSERT_STRING_EQUAL(r.error, "usage: set VALUE");
	ctl_result_free(&r);
	/* the client refuses to send what is not UTF-8 */
	CU_ASSERT_EQUAL(ctl_client_call(c, "echo", bad, 1, &r), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "not valid UTF-8"));
	ctl_result_free(&r);
	ctl_client_close(c);
}

/* A component's verb table with its own entry type (ctl_verb_entry). */
struct pair_verb {
	struct ctl_verb v;
	const char *joiner;
};

static int h_pair(const struct ctl_request *req, struct ctl_reply *reply,
		  void *arg)
{
	const struct pair_verb *e = ctl_verb_entry(req, struct pair_verb, v);

	return ctl_reply_printf(reply, "%s%s%s%s", (const char *)arg,
				ctl_arg(req, 0), e->joiner,
				ctl_argc(req) > 1 ? ctl_arg(req, 1) : "");
}

static const struct pair_verb pair_verbs[] = {
	{{"pair", 0, "A [B]", 1, 2, h_pair}, "+"},
	{{"pair minus", 0, "A B", 2, 2, h_pair}, "-"},
};

/* @n of "a", "b", "c" to @cmd: @status, and @want as text or error. */
static void expect_pair(struct ctl_client *c, const char *cmd, size_t n,
			int status, const char *want)
{
	const char *abc[] = {"a", "b", "c"};
	struct ctl_result r;

	CU_ASSERT_EQUAL(ctl_client_call(c, cmd, abc, n, &r), status);
	CU_ASSERT_STRING_EQUAL(status ? r.error : r.text, want);
	ctl_result_free(&r);
}

static void test_verb_table(void)
{
	struct ctl_verb bad[] = {{"odd", 0, "", 2, 1, h_pair}};
	struct ctl_server_opts o = {.path = NULL, .version = "t"};
	struct ctl_server *s = NULL;
	struct ctl_client *c = NULL;
	char path[96];

	snprintf(path, sizeof(path), "%s/verbs.ctl", dir);
	o.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_server_create(&s, &o), 0);
	CU_ASSERT_EQUAL(CTL_REGISTER_TABLE(s, pair_verbs, v, "x:"), 0);
	CU_ASSERT_EQUAL(CTL_REGISTER_TABLE(s, pair_verbs, v, "x:"), -EEXIST);
	CU_ASSERT_EQUAL(CTL_REGISTER_VERBS(s, bad, NULL), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(ctl_server_start(s), 0);
	CU_ASSERT_EQUAL_FATAL(ctl_client_open(&c, path, 5000), 0);
	/* each entry reaches the handler with its own data */
	expect_pair(c, "pair", 2, 0, "x:a+b");
	expect_pair(c, "pair minus", 2, 0, "x:a-b");
	/* the table's counts are checked before the handler runs */
	expect_pair(c, "pair", 0, -EINVAL, "usage: pair A [B]");
	expect_pair(c, "pair minus", 3, -EINVAL, "usage: pair minus A B");
	ctl_client_close(c);
	ctl_server_destroy(s);
}

/* A raw connection for hand-made frames. */
static int raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)),
			      0);
	return fd;
}

/* Send a frame whose header says `announced`, body `len` bytes of body. */
static void raw_send(int fd, uint32_t announced, const void *body, size_t len)
{
	unsigned char hdr[4] = {announced >> 24, announced >> 16,
				announced >> 8, announced};

	CU_ASSERT_EQUAL(send(fd, hdr, 4, MSG_NOSIGNAL), 4);
	if (len)
		CU_ASSERT_EQUAL(send(fd, body, len, MSG_NOSIGNAL),
				(ssize_t)len);
}

/* Read one reply frame; returns its status and copies its error. */
static int raw_reply(int fd, char *err, size_t size)
{
	char *buf = NULL;
	size_t len;
	json_t *j;
	int status;

	if (ctl_frame_read(fd, &buf, &len, CTL_FRAME_MAX, 5000) || !buf)
		return 1; /* no reply: never a valid status */
	j = json_loads(buf, 0, NULL);
	free(buf);
	status = (int)json_integer_value(json_object_get(j, "status"));
	snprintf(err, size, "%s",
		 json_string_value(json_object_get(j, "error")) ?: "");
	json_decref(j);
	return status;
}

static void assert_still_serving(void)
{
	struct ctl_result r;

	CU_ASSERT_EQUAL(call("version", NULL, 0, &r), 0);
	ctl_result_free(&r);
}

static void test_oversize(void)
{
	char err[256], *big;
	struct ctl_client *c = client();
	struct ctl_result r;
	json_t *req;
	int fd;

	/* the client refuses before sending */
	big = malloc(CTL_FRAME_MAX + 1);
	memset(big, 'x', CTL_FRAME_MAX);
	big[CTL_FRAME_MAX] = 0;
	req = json_pack("{s:s, s:[s]}", "cmd", "echo", "args", big);
	CU_ASSERT_EQUAL(ctl_client_call_json(c, req, &r), -EMSGSIZE);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "exceeds the 1048576-byte"));
	ctl_result_free(&r);
	json_decref(req);
	ctl_client_close(c);

	/* the server refuses a frame announced too large, without reading */
	fd = raw_connect();
	raw_send(fd, CTL_FRAME_MAX + 1, NULL, 0);
	/* the server may have hung up already: this send may fail */
	if (send(fd, big, 4096, MSG_NOSIGNAL) < 0)
		CU_ASSERT_TRUE(errno == EPIPE || errno == ECONNRESET);
	CU_ASSERT_EQUAL(raw_reply(fd, err, sizeof(err)), -EMSGSIZE);
	CU_ASSERT_STRING_EQUAL(err, "request of 1048577 bytes exceeds the "
				    "1048576-byte limit");
	/* and hangs up (EOF, or a reset as its unread bytes are dropped) */
	CU_ASSERT_TRUE(recv(fd, err, 1, 0) <= 0);
	close(fd);
	free(big);
	assert_still_serving();

	/* a reply over the cap becomes an error */
	CU_ASSERT_EQUAL(call("big", NULL, 0, &r), -EMSGSIZE);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "exceeds the 1048576-byte"));
	ctl_result_free(&r);
}

static const struct {
	const char *body;
	int status;
	const char *says;
} malformed[] = {
	{"", -EBADMSG, "empty frame"},
	{"not json", -EBADMSG, "malformed request"},
	{"{\"cmd\": \"version\"", -EBADMSG, "malformed request"},
	{"[\"version\"]", -EINVAL, "expected {\"cmd\""},
	{"{\"cmd\": 5}", -EINVAL, "expected {\"cmd\""},
	{"{\"args\": []}", -EINVAL, "expected {\"cmd\""},
	{"{\"cmd\": \"echo\", \"args\": \"x\"}", -EINVAL, "expected"},
	{"{\"cmd\": \"echo\", \"cmd\": \"set\"}", -EBADMSG, "duplicate"},
	{"{\"cmd\": \"\xff\"}", -EBADMSG, "malformed request"},
	{"{\"cmd\": \"version\"} trailing", -EBADMSG, "malformed request"},
};

/* Each bad frame gets its error; the same connection then still works. */
static void test_malformed(void)
{
	const char ok[] = "{\"cmd\": \"version\"}";
	char err[256];
	int fd = raw_connect();

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		size_t len = strlen(malformed[i].body);
		int st;

		raw_send(fd, len, malformed[i].body, len);
		st = raw_reply(fd, err, sizeof(err));
		if (st != malformed[i].status ||
		    !strstr(err, malformed[i].says))
			fprintf(stderr, "\nmalformed[%zu]: %d \"%s\"\n", i, st,
				err);
		CU_ASSERT_EQUAL(st, malformed[i].status);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, malformed[i].says));
		raw_send(fd, strlen(ok), ok, strlen(ok));
		CU_ASSERT_EQUAL(raw_reply(fd, err, sizeof(err)), 0);
	}
	close(fd);
	assert_still_serving();
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Half a frame, then silence: the server answers -ETIMEDOUT and hangs up
 * after its request timeout, and serves others meanwhile. */
static void test_stalled_frame(void)
{
	char err[256];
	int fd = raw_connect();
	int64_t t0 = now_ms(), dt;

	raw_send(fd, 100, "{\"cmd\"", 6);
	assert_still_serving();
	CU_ASSERT_EQUAL(raw_reply(fd, err, sizeof(err)), -ETIMEDOUT);
	dt = now_ms() - t0;
	CU_ASSERT_TRUE(dt >= REQUEST_MS - 10 && dt < REQUEST_MS + 2000);
	CU_ASSERT_EQUAL(recv(fd, err, 1, 0), 0);
	close(fd);
}

#define CLIENTS 8
#define CALLS	200

/* Several processes call at once; prints the rate for the report. */
static void test_many_clients(void)
{
	pid_t pid[CLIENTS];
	int64_t t0 = now_ms(), dt;
	int status, ok = 0;

	for (int i = 0; i < CLIENTS; i++) {
		pid[i] = fork();
		CU_ASSERT_FATAL(pid[i] >= 0);
		if (pid[i] == 0) {
			struct ctl_client *c;
			struct ctl_result r;
			char arg[16];
			const char *args[] = {arg};

			if (ctl_client_open(&c, sock, 5000))
				_exit(2);
			for (int k = 0; k < CALLS; k++) {
				snprintf(arg, sizeof(arg), "%d-%d", i, k);
				if (ctl_client_call(c, "echo", args, 1, &r) ||
				    strcmp(r.text, arg))
					_exit(3);
				ctl_result_free(&r);
			}
			ctl_client_close(c);
			_exit(0);
		}
	}
	for (int i = 0; i < CLIENTS; i++) {
		waitpid(pid[i], &status, 0);
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	dt = now_ms() - t0;
	CU_ASSERT_EQUAL(ok, CLIENTS);
	printf("\n    %d clients x %d calls in %lld ms (%.0f calls/s) ",
	       CLIENTS, CALLS, (long long)dt,
	       CLIENTS * CALLS * 1000.0 / (dt ? dt : 1));
}

/* One connection more than the table holds is told -EBUSY. */
static void test_full_table(void)
{
	char path[80], err[256];
	struct ctl_server *s;
	int fds[3], fd;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(path, sizeof(path), "%s/full.sock", dir);
	s = start_server(path, 0600, 2);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int i = 0; i < 3; i++) {
		fds[i] = fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)),
				0);
	}
	CU_ASSERT_EQUAL(raw_reply(fds[2], err, sizeof(err)), -EBUSY);
	CU_ASSERT_STRING_EQUAL(err, "too many control connections");
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	ctl_server_destroy(s);
	CU_ASSERT_EQUAL(access(path, F_OK), -1); /* socket file removed */
}

/* A stale socket file is replaced; a live one is not stolen. */
static void test_stale_and_live(void)
{
	char path[80];
	struct ctl_server_opts o = {.version = "x"};
	struct ctl_server *s = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	o.path = sock;
	CU_ASSERT_EQUAL(ctl_server_create(&s, &o), -EADDRINUSE);
	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, never listened: what a dead daemon leaves */
	o.path = path;
	CU_ASSERT_EQUAL_FATAL(ctl_server_create(&s, &o), 0);
	ctl_server_destroy(s);
}

/*
 * Fork a child that drops to uid/gid 65534 (member: with TEST_GID as a
 * supplementary group), calls `cmd` on `path`, and exits with the
 * status's magnitude (or 100 + errno if it cannot connect).
 */
static int as_nobody(const char *path, bool member, const char *cmd)
{
	gid_t groups[] = {TEST_GID};
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct ctl_client *c;
		struct ctl_result r;
		int rc;

		if (setgroups(member ? 1 : 0, groups) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(99);
		rc = ctl_client_open(&c, path, 5000);
		if (rc)
			_exit(100 + -rc);
		rc = ctl_client_call(c, cmd, (const char *[]){"1"}, 1, &r);
		if (rc == -EACCES && !strstr(r.error, "permission denied"))
			_exit(98);
		_exit(-rc);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 97;
}

static void test_permissions(void)
{
	char path[80];
	struct ctl_server *s;
	struct stat st;

	if (geteuid() != 0) {
		printf("\n    SKIP: needs root to fork peers of another uid ");
		return;
	}
	/* the file mode and group as the daemon sets them */
	CU_ASSERT_EQUAL(stat(sock, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
	CU_ASSERT_EQUAL(st.st_gid, TEST_GID);
	/* non-member: the file mode stops it at connect */
	CU_ASSERT_EQUAL(as_nobody(sock, false, "version"), 100 + EACCES);
	/* member: reads yes, changes no */
	CU_ASSERT_EQUAL(as_nobody(sock, true, "version"), 0);
	CU_ASSERT_EQUAL(as_nobody(sock, true, "echo"), 0);
	CU_ASSERT_EQUAL(as_nobody(sock, true, "set"), EACCES);
	/* with a world-writable socket, SO_PEERCRED still refuses */
	snprintf(path, sizeof(path), "%s/open.sock", dir);
	s = start_server(path, 0666, 0);
	CU_ASSERT_EQUAL(as_nobody(path, false, "version"), EACCES);
	CU_ASSERT_EQUAL(as_nobody(path, false, "set"), EACCES);
	CU_ASSERT_EQUAL(as_nobody(path, true, "echo"), 0);
	ctl_server_destroy(s);
}

int main(void)
{
	static const struct cu_case cases[] = {
		{"start", test_start},
		{"version", test_version},
		{"list-commands", test_list_commands},
		{"calls and errors", test_calls_and_errors},
		{"verb table", test_verb_table},
		{"oversize", test_oversize},
		{"malformed frames", test_malformed},
		{"stalled frame", test_stalled_frame},
		{"many clients", test_many_clients},
		{"full table", test_full_table},
		{"stale and live sockets", test_stale_and_live},
		{"permissions", test_permissions},
	};
	int ret;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/pkid-ctl-XXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 0755))
		return 2;
	snprintf(sock, sizeof(sock), "%s/pkid.ctl", dir);
	ret = cu_run_suite("ctl", NULL, NULL, CU_CASES(cases));
	ctl_server_destroy(srv);
	rmdir(dir);
	return ret;
}
