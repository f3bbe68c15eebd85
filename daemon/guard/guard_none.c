// SPDX-License-Identifier: MIT
/*
 * The guard's interface (guard.h) in a pkid built without its BPF program
 * (PKID_GUARD=no, or auto on a machine without clang, bpftool or
 * libbpf-dev: `make demo` on a fresh machine installs none of them).
 *
 * It behaves as the guard does where the kernel refuses BPF: one warning
 * when the configuration asks for `ip http rate-limit`, SCEP served
 * without the kernel rate limit, and `show guard` saying why the guard is
 * off.  The configuration is still parsed and checked as everywhere, so a
 * file that works here works on a pkid built with the guard.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "config.h"
#include "guard.h"
#include "core/ctl.h"
#include "core/log.h"

#define NOT_BUILT                                                              \
	"not built into this pkid (built without clang, bpftool and "          \
	"libbpf-dev; rebuild with them installed)"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool said;
static const char *why_off = "not started";

int guard_set_mode(enum guard_mode mode)
{
	return mode < GUARD_AUTO || mode > GUARD_TC ? -EINVAL : 0;
}

/* Once per process, like the guard's own "BPF unavailable" line. */
static void apply(const struct pkid_config *cfg)
{
	pthread_mutex_lock(&lock);
	if (!cfg->http_enabled || cfg->rate_limit == 0) {
		why_off = "no ip http rate-limit configured";
	} else {
		why_off = NOT_BUILT;
		if (!said)
			pkid_log(LOG_WARNING, NULL,
				 "guard: " NOT_BUILT "; serving SCEP without "
				 "the kernel rate limit");
		said = true;
	}
	pthread_mutex_unlock(&lock);
}

void guard_start(const struct pkid_config *cfg)
{
	apply(cfg);
}

void guard_reload_apply(const struct pkid_config *cfg)
{
	apply(cfg);
}

void guard_stop(void)
{
	pthread_mutex_lock(&lock);
	why_off = "stopped";
	pthread_mutex_unlock(&lock);
}

/* `show guard [N]`: off, and why (N accepted as the guard accepts it). */
static int show_guard(const struct ctl_request *req, struct ctl_reply *reply,
		      void *arg)
{
	pthread_mutex_lock(&lock);
	reply->result =
		json_pack("{s:b, s:s}", "enabled", 0, "reason", why_off);
	ctl_reply_printf(reply, "Guard: off (%s)\n", why_off);
	pthread_mutex_unlock(&lock);
	return 0;
}

static const struct ctl_verb guard_verbs[] = {
	{"show guard", 0, "[N]", 0, 1, show_guard},
};

int guard_ctl_register(struct ctl_server *srv)
{
	return CTL_REGISTER_VERBS(srv, guard_verbs, NULL);
}
