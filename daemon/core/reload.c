// SPDX-License-Identifier: MIT
/*
 * Reload pkid.conf without a restart (daemon/core/reload.h).
 *
 * The driver: parse the file, diff it against the running one, ask each
 * part whether it accepts its changes, and only when all do, let each
 * part apply them.  The parts own what may change live:
 *
 *   crypto pki server: ca_reload_check() / ca_reload_apply()
 *     (daemon/ca/ca_reload.c); adding, removing or renaming the server
 *     needs a restart (checked here: the set of parts is fixed).
 *   trustpoints: tp_reload_check() / tp_reload_apply() (daemon/client/tp.c).
 *   ip http rate-limit: guard_reload_apply() (daemon/guard/guard.c).
 *   ip http server and control-socket: a restart (the listeners keep
 *     serving what is in flight); checked here.
 *   hostname, clock calendar-valid: applied (the main loop re-reads them).
 *
 * A refused reload leaves everything as it was: every check runs before
 * the first change is applied.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca.h"
#include "client/tp.h"
#include "ctl.h"
#include "guard/guard.h"
#include "log.h"
#include "reload.h"

#define RELOAD_MSG_MAX	 1024
#define RELOAD_WAIT_SEC	 20 /* below the client's 30 s */
#define RELOAD_ERRS_KEPT 3  /* parse errors quoted in the reply */

struct reload {
	struct reload_env env;
	char *conf_path;
	struct pkid_config **cfg; /* main.c's; written on the main thread */

	pthread_mutex_t lock; /* *cfg swaps, and the fields below */
	pthread_cond_t cond;
	int efd;		  /* the control thread's "please reload" */
	unsigned long req, done;  /* request and answer generations */
	int status;		  /* of answer `done` */
	char msg[RELOAD_MSG_MAX]; /* its one-line reason or summary */
};

/* Parse errors, joined into one line: "FILE:LINE: what; FILE:LINE: ..." */
struct err_list {
	char *buf;
	size_t size;
	unsigned int n;
};

static void collect_error(void *arg, const char *msg)
{
	struct err_list *e = arg;
	size_t used = strlen(e->buf);

	if (e->n++ >= RELOAD_ERRS_KEPT)
		return;
	snprintf(e->buf + used, e->size - used, "%s%s", used ? "; " : "", msg);
}

static int load_new(struct reload *r, struct pkid_config **out, char *why,
		    size_t len)
{
	struct err_list e = {.buf = why, .size = len};
	int ret;

	why[0] = '\0';
	ret = pkid_config_load(r->conf_path, out, collect_error, &e);
	if (ret == -EINVAL)
		return ret;
	if (ret < 0) {
		snprintf(why, len, "%s: %s", r->conf_path, strerror(-ret));
		return ret;
	}
	if ((*out)->n_servers > 1) {
		snprintf(why, len, "%s:%u: pkid serves one crypto pki server",
			 r->conf_path, (*out)->servers[1].line);
		pkid_config_free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

static int check_globals(const struct pkid_config *old,
			 const struct pkid_config *new,
			 const struct pkid_config_diff *d, char *why,
			 size_t len)
{
	/* The listener is not re-created live; the XDP guard's rate,
	 * burst, interfaces and allow-list are (guard_reload). */
	if (old->http_enabled != new->http_enabled ||
	    old->http_port != new->http_port) {
		snprintf(why, len,
			 "ip http server changes need a restart of pkid");
		return -EBUSY;
	}
	if (old->https_enabled != new->https_enabled ||
	    old->https_port != new->https_port) {
		snprintf(why, len,
			 "ip http secure-server changes need a restart of pkid");
		return -EBUSY;
	}
	if (strcmp(old->control_socket, new->control_socket)) {
		snprintf(why, len, "control-socket changes need a restart");
		return -EBUSY;
	}
	return 0;
}

/* The server set is fixed until a restart; the CA checks the rest. */
static int check_server(struct reload *r, const struct pkid_config *new,
			char *why, size_t len)
{
	struct ca *ca = r->env.ca;

	if (!ca || new->n_servers == 0 ||
	    strcmp(new->servers[0].name, ca_name(ca))) {
		snprintf(why, len,
			 "adding, removing or renaming a crypto pki "
			 "server needs a restart");
		return -EBUSY;
	}
	return ca_reload_check(ca, &new->servers[0], r->conf_path, why, len);
}

/* Check everything, then apply; on refusal nothing has changed. */
static int apply(struct reload *r, const struct pkid_config *new,
		 const struct pkid_config_diff *d, char *why, size_t len)
{
	const struct pkid_config *old = *r->cfg;
	int ret;

	ret = check_globals(old, new, d, why, len);
	if (ret == 0 && d->n_servers)
		ret = check_server(r, new, why, len);
	if (ret == 0 && d->n_trustpoints)
		ret = tp_reload_check(r->env.tp, new, r->conf_path, why,
				      len);
	if (ret < 0)
		return ret;
	if (d->n_servers)
		ca_reload_apply(r->env.ca, &new->servers[0]);
	if (d->n_trustpoints)
		tp_reload_apply(r->env.tp, new);
	guard_reload_apply(new);
	return 0;
}

static void summarize(const struct pkid_config_diff *d, char *msg, size_t len)
{
	size_t i, n;

	n = (size_t)snprintf(msg, len, "configuration reloaded:");
	for (i = 0; i < d->n_servers && n < len; i++)
		n += (size_t)snprintf(msg + n, len - n, " server %s",
				      d->servers[i].name);
	for (i = 0; i < d->n_trustpoints && n < len; i++)
		n += (size_t)snprintf(msg + n, len - n, " trustpoint %s",
				      d->trustpoints[i].name);
	if (d->globals_changed && n < len)
		snprintf(msg + n, len - n, " global settings");
}

/* One reload on the main thread: 1 applied, 0 no change, -errno refused. */
static int do_reload(struct reload *r, char *msg, size_t len)
{
	struct pkid_config *new = NULL, *old;
	struct pkid_config_diff d = {0};
	int ret;

	ret = load_new(r, &new, msg, len);
	if (ret < 0)
		return ret;
	ret = pkid_config_diff(*r->cfg, new, &d);
	if (ret < 0) {
		snprintf(msg, len, "%s", strerror(-ret));
		goto out;
	}
	if (pkid_config_diff_empty(&d)) {
		snprintf(msg, len, "configuration unchanged");
		goto out;
	}
	ret = apply(r, new, &d, msg, len);
	if (ret < 0)
		goto out;
	summarize(&d, msg, len);
	pthread_mutex_lock(&r->lock);
	old = *r->cfg;
	*r->cfg = new;
	pthread_mutex_unlock(&r->lock);
	new = old; /* freed below */
	ret = 1;
out:
	pkid_config_diff_free(&d);
	pkid_config_free(new);
	return ret;
}

/* Reload and log the outcome; the status of do_reload. */
static int run_logged(struct reload *r, char *msg, size_t len)
{
	int ret = do_reload(r, msg, len);

	if (ret > 0 && r->env.applied)
		r->env.applied(r->env.arg);
	if (ret < 0)
		pkid_log(LOG_ERR, "CONFIG_REFUSED", "%s; %s kept", msg,
			 "the running configuration");
	else
		pkid_log(LOG_NOTICE, "CONFIG_RELOAD", "%s: %s", r->conf_path,
			 msg);
	return ret;
}

int reload_run(struct reload *r)
{
	char msg[RELOAD_MSG_MAX];

	return run_logged(r, msg, sizeof(msg));
}

/* The main thread answers the control thread's pending request, if any. */
int reload_poll(struct reload *r)
{
	char msg[RELOAD_MSG_MAX];
	unsigned long want;
	uint64_t v;
	int ret;

	if (read(r->efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	pthread_mutex_lock(&r->lock);
	want = r->req;
	pthread_mutex_unlock(&r->lock);
	if (want == r->done)
		return 0;
	ret = run_logged(r, msg, sizeof(msg));
	pthread_mutex_lock(&r->lock);
	r->status = ret;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
	r->done = want;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int reload_fd(const struct reload *r)
{
	return r->efd;
}

/* ---- control commands (control thread) ---- */

/* The wait below must not stretch or shrink when the wall clock steps. */
static void init_cond_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

static int wait_answer(struct reload *r, unsigned long gen)
{
	struct timespec ts;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += RELOAD_WAIT_SEC;
	while (r->done != gen && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&r->cond, &r->lock, &ts);
	return r->done == gen ? 0 : -ETIMEDOUT;
}

static int ctl_reload(const struct ctl_request *req, struct ctl_reply *reply,
		      void *arg)
{
	struct reload *r = arg;
	uint64_t one = 1;
	unsigned long gen;
	int ret;

	pthread_mutex_lock(&r->lock);
	gen = ++r->req;
	if (write(r->efd, &one, sizeof(one)) != sizeof(one)) {
		ret = -errno;
		pthread_mutex_unlock(&r->lock);
		return ctl_reply_error(reply, ret, "cannot wake the main loop");
	}
	ret = wait_answer(r, gen);
	if (ret == 0)
		ret = r->status;
	if (ret == -ETIMEDOUT && r->done != gen)
		ctl_reply_error(reply, ret, "the reload did not finish in %d s",
				RELOAD_WAIT_SEC);
	else if (ret < 0)
		ctl_reply_error(reply, ret, "%s", r->msg);
	else {
		reply->result =
			json_pack("{s:s, s:b, s:s}", "file", r->conf_path,
				  "changed", ret > 0, "message", r->msg);
		ctl_reply_printf(reply, "%s\n", r->msg);
		ret = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static int ctl_running_config(const struct ctl_request *req,
			      struct ctl_reply *reply, void *arg)
{
	struct reload *r = arg;
	char *text;

	pthread_mutex_lock(&r->lock);
	text = pkid_config_to_string(*r->cfg, PKID_PRINT_HIDE_SECRETS);
	pthread_mutex_unlock(&r->lock);
	if (!text)
		return ctl_reply_error(reply, -ENOMEM, "out of memory");
	reply->result =
		json_pack("{s:s, s:s}", "file", r->conf_path, "config", text);
	ctl_reply_printf(reply, "%s", text);
	free(text);
	return 0;
}

static const struct ctl_verb reload_verbs[] = {
	{"reload", CTL_F_MUTATES, "", 0, 0, ctl_reload},
	{"show running-config", 0, "", 0, 0, ctl_running_config},
};

int reload_ctl_register(struct reload *r, struct ctl_server *srv)
{
	return CTL_REGISTER_VERBS(srv, reload_verbs, r);
}

int reload_new(struct reload **out, const struct reload_env *env,
	       struct pkid_config **cfg)
{
	struct reload *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->env = *env;
	r->cfg = cfg;
	r->conf_path = strdup(env->conf_path);
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!r->conf_path || r->efd < 0) {
		free(r->conf_path);
		if (r->efd >= 0)
			close(r->efd);
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	init_cond_monotonic(&r->cond);
	*out = r;
	return 0;
}

void reload_free(struct reload *r)
{
	if (!r)
		return;
	close(r->efd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->conf_path);
	free(r);
}
