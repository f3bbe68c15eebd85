// SPDX-License-Identifier: MIT
/*
 * The control socket's commands: the table the daemon fills with
 * ctl_register(), the built-in version and list-commands, the permission
 * check on the peer's credentials, and the dispatch of one request
 * (daemon/CONTROL.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"

/* ---- handler helpers ---- */

size_t ctl_argc(const struct ctl_request *req)
{
	return json_array_size(req->args);
}

const char *ctl_arg(const struct ctl_request *req, size_t i)
{
	return json_string_value(json_array_get(req->args, i));
}

int ctl_vappend(char **dst, const char *fmt, va_list ap)
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
	rc = ctl_vappend(&reply->text, fmt, ap);
	va_end(ap);
	return rc;
}

int ctl_reply_error(struct ctl_reply *reply, int err, const char *fmt, ...)
{
	va_list ap;

	free(reply->error);
	reply->error = NULL;
	va_start(ap, fmt);
	ctl_vappend(&reply->error, fmt, ap);
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

static struct ctl_cmd *add_cmd(struct ctl_server *srv, const char *name,
			       ctl_handler_fn fn, unsigned int flags, void *arg,
			       const char *usage)
{
	struct ctl_cmd *n;

	n = realloc(srv->cmds, (srv->ncmds + 1) * sizeof(*n));
	if (!n)
		return NULL;
	srv->cmds = n;
	n = &n[srv->ncmds];
	*n = (struct ctl_cmd){.name = strdup(name),
			      .usage = strdup(usage ? usage : ""),
			      .fn = fn,
			      .flags = flags,
			      .arg = arg,
			      .max_args = CTL_ARGS_ANY};
	if (!n->name || !n->usage) {
		free(n->name);
		free(n->usage);
		return NULL;
	}
	srv->ncmds++;
	return n;
}

static int check_new(struct ctl_server *srv, const char *name,
		     ctl_handler_fn fn, unsigned int flags)
{
	if (srv->started || !name || !*name || !fn || (flags & ~CTL_F_MUTATES))
		return -EINVAL;
	return find_cmd(srv, name) ? -EEXIST : 0;
}

int ctl_register(struct ctl_server *srv, const char *name, ctl_handler_fn fn,
		 unsigned int flags, void *arg, const char *usage)
{
	int ret = check_new(srv, name, fn, flags);

	if (ret)
		return ret;
	return add_cmd(srv, name, fn, flags, arg, usage) ? 0 : -ENOMEM;
}

int ctl_register_verbs(struct ctl_server *srv, const struct ctl_verb *first,
		       size_t n, size_t stride, void *arg)
{
	const struct ctl_verb *v;
	struct ctl_cmd *c;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		v = (const struct ctl_verb *)((const char *)first + i * stride);
		ret = check_new(srv, v->name, v->fn, v->flags);
		if (!ret &&
		    (v->min_args > v->max_args || v->max_args > CTL_ARGS_ANY))
			ret = -EINVAL;
		if (ret)
			return ret;
		c = add_cmd(srv, v->name, v->fn, v->flags, arg, v->usage);
		if (!c)
			return -ENOMEM;
		c->min_args = v->min_args;
		c->max_args = v->max_args;
		c->verb = v;
	}
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

/* The table's argument count, before the handler sees the request. */
static int check_args(const struct ctl_cmd *cmd, const struct ctl_request *req,
		      struct ctl_reply *reply)
{
	size_t n = ctl_argc(req);

	if (n >= cmd->min_args &&
	    (cmd->max_args == CTL_ARGS_ANY || n <= cmd->max_args))
		return 0;
	return ctl_reply_error(reply, -EINVAL, "usage: %s%s%s", cmd->name,
			       cmd->usage[0] ? " " : "", cmd->usage);
}

/* Parse the request, find the command, check the peer, run it. */
int ctl_dispatch(struct ctl_server *srv, struct ctl_conn *c,
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
	req.verb = h->verb;
	rc = check_permission(srv, c, h, reply);
	if (!rc)
		rc = check_args(h, &req, reply);
	if (!rc)
		rc = h->fn(&req, reply, h->arg);
	if (rc > 0)
		rc = -EINVAL; /* a handler bug: keep the protocol's promise */
out:
	json_decref(req.args);
	json_decref(root);
	return rc;
}

int ctl_register_builtins(struct ctl_server *srv)
{
	int rc;

	rc = ctl_register(srv, "version", cmd_version, 0, srv,
			  "the daemon's version and protocol version");
	if (!rc)
		rc = ctl_register(srv, "list-commands", cmd_list, 0, srv,
				  "the commands this daemon serves");
	return rc;
}
