/* SPDX-License-Identifier: MIT */
/*
 * A deadline for each HTTP request's head and body, not an idle timer
 * (daemon/core/http_deadline.c).
 */
#ifndef PKID_HTTP_DEADLINE_H
#define PKID_HTTP_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#define HTTP_DEADLINE_TICK_MS 250 /* how often the sweeper looks */

struct http_deadline;

int http_deadline_new(struct http_deadline **out, int64_t deadline_ms);
void http_deadline_free(struct http_deadline *hd);
/* MHD_OPTION_NOTIFY_CONNECTION callback, cls the http_deadline. */
void http_deadline_notify(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe);
/* Close conn's connection now (shut its socket down). */
void http_deadline_cut(struct http_deadline *hd, struct MHD_Connection *conn);
/* busy: the request is complete, pkid answers it (the clock stops);
 * !busy: answered, the connection's next request is timed from now. */
void http_deadline_busy(struct http_deadline *hd, struct MHD_Connection *conn,
			bool busy);

#endif /* PKID_HTTP_DEADLINE_H */
