// SPDX-License-Identifier: MIT
/*
 * The HTTP routing table (daemon/core/http.c) without a socket: exact
 * paths win over prefixes and a longer prefix over a shorter one, in the
 * order routes were added among equals; methods and match() filter; a
 * handler's errno becomes the usual answer; no route is a 404; /metrics
 * keeps to loopback peers unless told otherwise; the table refuses
 * routes once full.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "../lib/cunit_run.h"
#include "core/http.h"

static struct http_server *srv;

/* Each handler answers its own name, so the test sees who answered. */
static int h_name(void *arg, const struct http_request *req,
		  struct http_reply *rep)
{
	return http_text_reply(rep, 200, arg);
}

static int h_fail(void *arg, const struct http_request *req,
		  struct http_reply *rep)
{
	return -(int)(long)arg;
}

static bool no_op_arg(void *arg, const struct http_request *req)
{
	return req->arg(req, "operation") == NULL;
}

static const char *args_of(const struct http_request *req, const char *name)
{
	const char *op = req->impl;

	return strcmp(name, "operation") == 0 ? op : NULL;
}

/* Dispatch method/path (operation= op) from peer; the answer's status
 * and text. */
static unsigned int ask_from(unsigned int method, const char *path,
			     const char *op, bool loopback, char *text,
			     size_t size)
{
	struct http_request req = {.method = method,
				   .path = path,
				   .arg = args_of,
				   .impl = (void *)op,
				   .peer = loopback ? "127.0.0.1" : "192.0.2.1",
				   .peer_loopback = loopback};
	struct http_reply rep = {0};
	size_t n;

	CU_ASSERT_EQUAL_FATAL(http_dispatch(srv, &req, &rep), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep.content_type);
	n = rep.len < size - 1 ? rep.len : size - 1;
	memcpy(text, rep.data, n);
	text[n] = '\0';
	free(rep.data);
	return rep.status;
}

static unsigned int ask(unsigned int method, const char *path, const char *op,
			char *text, size_t size)
{
	return ask_from(method, path, op, true, text, size);
}

static void add(const char *path, bool prefix, unsigned int methods,
		bool (*match)(void *, const struct http_request *),
		http_handler_fn h, void *arg)
{
	const struct http_route r = {.name = arg,
				     .path = path,
				     .prefix = prefix,
				     .methods = methods,
				     .match = match,
				     .handler = h,
				     .arg = arg};

	CU_ASSERT_EQUAL_FATAL(http_route_add(srv, &r), 0);
}

static void test_no_route(void)
{
	char t[64];

	CU_ASSERT_EQUAL_FATAL(http_new(&srv), 0);
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/x", NULL, t, sizeof(t)), 404);
	CU_ASSERT_STRING_EQUAL(t, "not found\n");
	http_free(srv);
}

/* Who answers method path (operation= op), and with what status. */
static const struct {
	unsigned int method;
	const char *path, *op, *who;
	const char *why;
} order_cases[] = {
	{HTTP_GET, "/crl/A.crl", NULL, "crl", "an exact path"},
	{HTTP_GET, "/crl/A.crl", "GetCACaps", "all", "match() says no"},
	{HTTP_POST, "/crl/A.crl", NULL, "all", "a method it does not take"},
	{HTTP_GET, "/crl/A.crlx", NULL, "all", "an exact path is exact"},
	{HTTP_GET, "/est/cacerts", NULL, "cacerts", "exact over prefix"},
	{HTTP_GET, "/est/cacertsx", NULL, "est", "a prefix"},
	{HTTP_POST, "/est/x/simpleenroll", NULL, "est-x", "longer prefix"},
	{HTTP_GET, "/est/x/simpleenroll", NULL, "est", "longer, by method"},
	{HTTP_POST, "/est/y", NULL, "all", "no prefix takes POST"},
	{HTTP_GET, "/metrics", NULL, "metrics", "the first of two"},
};

static void test_order(void)
{
	char t[64];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(http_new(&srv), 0);
	/* The catch-all first: more specific routes still win over it. */
	add("", true, HTTP_GET | HTTP_POST, NULL, h_name, "all");
	add("/crl/A.crl", false, HTTP_GET, no_op_arg, h_name, "crl");
	add("/est/", true, HTTP_GET, NULL, h_name, "est");
	add("/est/cacerts", false, HTTP_GET, NULL, h_name, "cacerts");
	add("/est/x/", true, HTTP_POST, NULL, h_name, "est-x");
	add("/metrics", false, HTTP_GET, NULL, h_name, "metrics");
	add("/metrics", false, HTTP_GET, NULL, h_name, "second");
	for (i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		CU_ASSERT_EQUAL(ask(order_cases[i].method, order_cases[i].path,
				    order_cases[i].op, t, sizeof(t)),
				200);
		if (strcmp(t, order_cases[i].who))
			fprintf(stderr, "%s %s: %s answered, not %s (%s)\n",
				order_cases[i].method == HTTP_GET ? "GET"
								  : "POST",
				order_cases[i].path, t, order_cases[i].who,
				order_cases[i].why);
		CU_ASSERT_STRING_EQUAL(t, order_cases[i].who);
	}
	http_free(srv);
}

static void test_errors(void)
{
	char t[128];

	CU_ASSERT_EQUAL_FATAL(http_new(&srv), 0);
	add("/enoent", false, HTTP_GET, NULL, h_fail, (void *)ENOENT);
	add("/eagain", false, HTTP_GET, NULL, h_fail, (void *)EAGAIN);
	add("/big", false, HTTP_GET, NULL, h_fail, (void *)EMSGSIZE);
	add("/full", false, HTTP_GET, NULL, h_fail, (void *)ENOSPC);
	add("/bad", false, HTTP_GET, NULL, h_fail, (void *)EBADMSG);
	add("/eio", false, HTTP_GET, NULL, h_fail, (void *)EIO);
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/enoent", NULL, t, sizeof(t)), 404);
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/eagain", NULL, t, sizeof(t)), 503);
	CU_ASSERT_STRING_EQUAL(t, "certificate server is not running\n");
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/big", NULL, t, sizeof(t)), 413);
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/full", NULL, t, sizeof(t)), 503);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "disk is full"));
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/bad", NULL, t, sizeof(t)), 400);
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/eio", NULL, t, sizeof(t)), 500);
	CU_ASSERT_STRING_EQUAL(t, "internal error\n");
	http_free(srv);
}

static int fake_metrics(void *arg, char **text, size_t *len)
{
	*text = strdup(arg);
	*len = *text ? strlen(*text) : 0;
	return *text ? 0 : -ENOMEM;
}

static void test_metrics(void)
{
	char t[128];

	CU_ASSERT_EQUAL_FATAL(http_new(&srv), 0);
	add("", true, HTTP_GET | HTTP_POST, NULL, h_name, "scep");
	CU_ASSERT_EQUAL(http_set_metrics(srv, fake_metrics, "m 1\n", false),
			0);
	CU_ASSERT_EQUAL(ask(HTTP_GET, "/metrics", NULL, t, sizeof(t)), 200);
	CU_ASSERT_STRING_EQUAL(t, "m 1\n");
	CU_ASSERT_EQUAL(
		ask_from(HTTP_GET, "/metrics", NULL, false, t, sizeof(t)), 403);
	CU_ASSERT_STRING_EQUAL(t, "metrics are served to loopback only\n");
	/* With operation= or by POST it is SCEP's. */
	ask(HTTP_GET, "/metrics", "GetCACaps", t, sizeof(t));
	CU_ASSERT_STRING_EQUAL(t, "scep");
	ask(HTTP_POST, "/metrics", NULL, t, sizeof(t));
	CU_ASSERT_STRING_EQUAL(t, "scep");
	http_free(srv);

	CU_ASSERT_EQUAL_FATAL(http_new(&srv), 0);
	CU_ASSERT_EQUAL(http_set_metrics(srv, fake_metrics, "m 2\n", true), 0);
	CU_ASSERT_EQUAL(
		ask_from(HTTP_GET, "/metrics", NULL, false, t, sizeof(t)), 200);
	CU_ASSERT_STRING_EQUAL(t, "m 2\n");
	http_free(srv);
}

static void test_table_full(void)
{
	const struct http_route r = {
		.path = "/p", .methods = HTTP_GET, .handler = h_name};
	const struct http_route no_method = {.path = "/p", .handler = h_name};
	const struct http_route no_path = {.methods = HTTP_GET,
					   .handler = h_name};
	int i;

	CU_ASSERT_EQUAL_FATAL(http_new(&srv), 0);
	CU_ASSERT_EQUAL(http_route_add(srv, &no_method), -EINVAL);
	CU_ASSERT_EQUAL(http_route_add(srv, &no_path), -EINVAL);
	for (i = 0; i < HTTP_ROUTES_MAX; i++)
		CU_ASSERT_EQUAL(http_route_add(srv, &r), 0);
	CU_ASSERT_EQUAL(http_route_add(srv, &r), -ENOSPC);
	http_free(srv);
}

int main(void)
{
	static const struct cu_case cases[] = {
		{"no route", test_no_route},
		{"route order", test_order},
		{"handler errors", test_errors},
		{"metrics", test_metrics},
		{"table full", test_table_full},
	};

	return cu_run_suite("http", NULL, NULL, CU_CASES(cases));
}
