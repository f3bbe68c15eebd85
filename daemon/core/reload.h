/* SPDX-License-Identifier: MIT */
/*
 * Reload: SIGHUP or the control command `reload` re-read pkid.conf
 * (daemon/core/reload.c).  A file that does not parse, or that changes what
 * cannot change live, is refused with the reason (FILE:LINE for parse
 * errors) and the running configuration stays; otherwise the safe
 * changes are applied at once and nothing in flight is dropped: the HTTP
 * server and the control socket keep running.
 *
 * Every reload runs on the main thread: the control thread hands its
 * request over through reload_fd() and waits for the answer, so the
 * running configuration has one writer.  `show running-config` reads it
 * under the reload's lock from the control thread.
 *
 *   reload_new()           once the CA and the trustpoints exist
 *   reload_ctl_register()  with the other control commands
 *   reload_fd()            poll it in the main loop; when readable,
 *   reload_poll()          serve the control thread's request
 *   reload_run()           on SIGHUP
 */
#ifndef PKID_RELOAD_H
#define PKID_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct reload;
struct ca;
struct ctl_server;
struct tp_set;

/* The parts a reload asks (their *_reload_check and *_reload_apply). */
struct reload_env {
	const char *conf_path;
	struct ca *ca;	   /* NULL when the file has no server */
	struct tp_set *tp; /* NULL when it has no trustpoint */
	/*
	 * Called on the main thread once a new configuration is in force,
	 * before `reload` answers (main.c: clock line, `no shutdown`).
	 */
	void (*applied)(void *arg);
	void *arg;
};

/* @cfg: the daemon's pointer to the running configuration (swapped). */
int reload_new(struct reload **r, const struct reload_env *env,
	       struct pkid_config **cfg);
void reload_free(struct reload *r);
/* `reload` and `show running-config`. */
int reload_ctl_register(struct reload *r, struct ctl_server *srv);

int reload_fd(const struct reload *r);
/* Both: 1 when a new configuration is in force, 0 if none, -errno. */
int reload_poll(struct reload *r);
int reload_run(struct reload *r);

#endif /* PKID_RELOAD_H */
