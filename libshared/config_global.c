// SPDX-License-Identifier: MIT
/*
 * pkid.conf global commands: hostname, clock, ip http, control-socket,
 * and the block headers crypto pki server / trustpoint.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_internal.h"

/* ---- global commands ---- */

static int gl_hostname(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;

	memset(cfg->hostname, 0, sizeof(cfg->hostname));
	if (c->neg)
		return 0;
	if (conf_no_more(p, c, 1))
		return -EINVAL;
	return conf_name(p, c, 0, cfg->hostname);
}

static int gl_calendar_valid(struct parser *p, const struct cmdline *c)
{
	if (conf_no_more(p, c, 0))
		return -EINVAL;
	p->cfg->clock_calendar_valid = !c->neg;
	return 0;
}

static int gl_http_server(struct parser *p, const struct cmdline *c)
{
	unsigned long port = 80;

	if (!c->neg && c->argc &&
	    (conf_uint(p, c, 0, "port", 1, 65535, &port) ||
	     conf_no_more(p, c, 1)))
		return -EINVAL;
	p->cfg->http_enabled = !c->neg;
	p->cfg->http_port = port;
	return 0;
}

/* [no] ip http secure-server (IOS): the TLS listener of EST (`est` in a
 * crypto pki server block), on `ip http secure-port` */
static int gl_secure_server(struct parser *p, const struct cmdline *c)
{
	if (conf_no_more(p, c, 0))
		return -EINVAL;
	p->cfg->https_enabled = !c->neg;
	return 0;
}

/* ip http secure-port PORT (IOS; default 443) */
static int gl_secure_port(struct parser *p, const struct cmdline *c)
{
	unsigned long port = 443;

	if (!c->neg && (conf_uint(p, c, 0, "port", 1, 65535, &port) ||
			conf_no_more(p, c, 1)))
		return -EINVAL;
	p->cfg->https_port = port;
	return 0;
}

/* ip http metrics [loopback|any] | no ip http metrics (ours, not IOS) */
static int gl_metrics(struct parser *p, const struct cmdline *c)
{
	static const char *const who[] = {"loopback", "any", NULL};
	int k = 0;

	if (!c->neg && c->argc &&
	    ((k = conf_keyword(p, c, 0, who)) < 0 || conf_no_more(p, c, 1)))
		return -EINVAL;
	p->cfg->metrics_off = c->neg;
	p->cfg->metrics_any = !c->neg && k == 1;
	return 0;
}

/* ip http rate-limit RATE BURST [interface IF...] */
static int gl_rate_limit(struct parser *p, const struct cmdline *c)
{
	static const char *const ifkw[] = {"interface", NULL};
	struct pkid_config *cfg = p->cfg;
	unsigned long rate, burst;
	int n;

	free(cfg->rate_ifaces);
	cfg->rate_ifaces = NULL;
	cfg->n_rate_ifaces = 0;
	cfg->rate_limit = cfg->rate_burst = 0;
	if (c->neg)
		return 0;
	if (conf_uint(p, c, 0, "requests per second", 1, 1000000, &rate) ||
	    conf_uint(p, c, 1, "burst", 1, 1000000, &burst))
		return -EINVAL;
	if (c->argc > 2) {
		if (conf_keyword(p, c, 2, ifkw) < 0)
			return -EINVAL;
		n = c->argc - 3;
		if (n == 0) {
			conf_err(p, "'%s': expected interface names", c->name);
			return -EINVAL;
		}
		cfg->rate_ifaces = calloc(n, sizeof(*cfg->rate_ifaces));
		if (!cfg->rate_ifaces)
			return -ENOMEM;
		for (int i = 0; i < n; i++)
			if (conf_copy(p, c, cfg->rate_ifaces[i],
				      PKID_CONF_IF_MAX, c->argv[3 + i]))
				return -EINVAL;
		cfg->n_rate_ifaces = n;
	}
	cfg->rate_limit = rate;
	cfg->rate_burst = burst;
	return 0;
}

/* ip http rate-limit allow PREFIX (repeatable; "no" form removes one) */
static int gl_rate_allow(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;
	struct pkid_prefix pfx, *n;

	if (c->argc != 1 || conf_prefix(c->argv[0], &pfx)) {
		conf_err(p,
			 "'%s': expected one address prefix (A.B.C.D/N or "
			 "X:X::X/N)%s%s%s",
			 c->name, c->argc ? ", got '" : "",
			 c->argc ? c->rest[0] : "", c->argc ? "'" : "");
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->n_rate_allow; i++) {
		if (memcmp(&cfg->rate_allow[i], &pfx, sizeof(pfx)))
			continue;
		if (c->neg)
			cfg->rate_allow[i] =
				cfg->rate_allow[--cfg->n_rate_allow];
		return 0;
	}
	if (c->neg)
		return 0;
	n = realloc(cfg->rate_allow, (cfg->n_rate_allow + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->rate_allow = n;
	n[cfg->n_rate_allow++] = pfx;
	return 0;
}

static int gl_control_socket(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;

	if (c->neg) {
		snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
			 PKID_CTL_SOCKET_DEFAULT);
		return 0;
	}
	if (conf_path(p, c, 0, cfg->control_socket))
		return -EINVAL;
	/* sockaddr_un.sun_path: 108 bytes with the NUL */
	if (strlen(cfg->control_socket) > 107) {
		conf_err(p,
			 "'%s': a Unix socket path has at most 107 characters",
			 c->name);
		return -EINVAL;
	}
	return 0;
}

/* Open a block, or re-enter it as IOS does; "no" deletes it. */
static int gl_server(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;
	char name[PKID_CONF_NAME_MAX];
	struct pkid_server_config *n;
	size_t i;

	if (conf_name(p, c, 0, name) || conf_no_more(p, c, 1))
		return -EINVAL;
	for (i = 0; i < cfg->n_servers; i++)
		if (!strcmp(cfg->servers[i].name, name))
			break;
	if (c->neg) {
		if (i < cfg->n_servers)
			memmove(&cfg->servers[i], &cfg->servers[i + 1],
				(--cfg->n_servers - i) * sizeof(*n));
		return 0;
	}
	if (i == cfg->n_servers) {
		n = realloc(cfg->servers, (i + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		cfg->servers = n;
		conf_server_defaults(&n[i], name);
		n[i].line = p->line;
		cfg->n_servers++;
	}
	p->ctx = CTX_SERVER;
	p->cur = i;
	return 0;
}

static int gl_trustpoint(struct parser *p, const struct cmdline *c)
{
	struct pkid_config *cfg = p->cfg;
	char name[PKID_CONF_NAME_MAX];
	struct pkid_trustpoint_config *n;
	size_t i;

	if (conf_name(p, c, 0, name) || conf_no_more(p, c, 1))
		return -EINVAL;
	for (i = 0; i < cfg->n_trustpoints; i++)
		if (!strcmp(cfg->trustpoints[i].name, name))
			break;
	if (c->neg) {
		if (i < cfg->n_trustpoints)
			memmove(&cfg->trustpoints[i], &cfg->trustpoints[i + 1],
				(--cfg->n_trustpoints - i) * sizeof(*n));
		return 0;
	}
	if (i == cfg->n_trustpoints) {
		n = realloc(cfg->trustpoints, (i + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		cfg->trustpoints = n;
		conf_tp_defaults(&n[i], name);
		n[i].line = p->line;
		cfg->n_trustpoints++;
	}
	p->ctx = CTX_TRUSTPOINT;
	p->cur = i;
	return 0;
}

static int gl_end(struct parser *p, const struct cmdline *c)
{
	return conf_no_more(p, c, 0);
}

const struct cmd conf_global_cmds[] = {
	{{"hostname"}, gl_hostname},
	{{"clock", "calendar-valid"}, gl_calendar_valid},
	{{"ip", "http", "server"}, gl_http_server},
	{{"ip", "http", "secure-server"}, gl_secure_server},
	{{"ip", "http", "secure-port"}, gl_secure_port},
	{{"ip", "http", "metrics"}, gl_metrics},
	{{"ip", "http", "rate-limit"}, gl_rate_limit},
	{{"ip", "http", "rate-limit", "allow"}, gl_rate_allow},
	{{"control-socket"}, gl_control_socket},
	{{"crypto", "pki", "server"}, gl_server},
	{{"crypto", "pki", "trustpoint"}, gl_trustpoint},
	{{"end"}, gl_end},
	{{NULL}},
};
