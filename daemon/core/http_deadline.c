// SPDX-License-Identifier: MIT
/*
 * A deadline for each HTTP request's head and body (issue 19 #2).
 * libmicrohttpd's connection timeout is an idle timer: a client that sends
 * one header byte every few seconds keeps its slot for ever.  Here each
 * connection is timed from its accept (and, on a kept-alive connection,
 * from the end of its previous request) until its request is complete;
 * past HTTP_DEADLINE_MS a sweeper thread shuts the socket down and
 * libmicrohttpd closes the connection.  While pkid works on a complete
 * request (a keystore round trip, the CA's lock) the clock does not run.
 *
 * The socket is only shut down, never closed, and only under the lock
 * that the CLOSED notification takes before libmicrohttpd closes the
 * descriptor, so the descriptor is never someone else's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "http_deadline.h"
#include "log.h"

struct hd_conn {
	struct hd_conn *prev, *next;
	int fd;
	int64_t start; /* ms, CLOCK_MONOTONIC: the request's first byte */
	bool busy;     /* a complete request being answered */
	bool cut;      /* shut down already */
};

struct http_deadline {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t sweeper;
	bool stop;
	int64_t deadline_ms;
	struct hd_conn head; /* circular list of open connections */
	uint64_t cut;	     /* connections cut, for the log */
	int64_t logged;	     /* when HTTP_DEADLINE was last logged */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Cut what is past its deadline; at most one log line a minute. */
static void sweep(struct http_deadline *hd)
{
	int64_t now = mono_ms();
	struct hd_conn *c;
	uint64_t n = 0;

	for (c = hd->head.next; c != &hd->head; c = c->next) {
		if (c->busy || c->cut || now - c->start < hd->deadline_ms)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->cut = true;
		n++;
	}
	hd->cut += n;
	if (hd->cut && now - hd->logged >= 60000) {
		pkid_log(LOG_WARNING, "HTTP_DEADLINE",
			 "%llu connection(s) closed: request not complete "
			 "within %lld s",
			 (unsigned long long)hd->cut,
			 (long long)hd->deadline_ms / 1000);
		hd->cut = 0;
		hd->logged = now;
	}
}

static void *sweeper(void *arg)
{
	struct http_deadline *hd = arg;
	struct timespec ts;

	pthread_mutex_lock(&hd->lock);
	while (!hd->stop) {
		sweep(hd);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += HTTP_DEADLINE_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&hd->wake, &hd->lock, &ts);
	}
	pthread_mutex_unlock(&hd->lock);
	return NULL;
}

int http_deadline_new(struct http_deadline **out, int64_t deadline_ms)
{
	struct http_deadline *hd = calloc(1, sizeof(*hd));
	pthread_condattr_t ca;

	if (!hd)
		return -ENOMEM;
	hd->deadline_ms = deadline_ms;
	hd->head.next = hd->head.prev = &hd->head;
	hd->logged = mono_ms() - 60000;
	pthread_mutex_init(&hd->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hd->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&hd->sweeper, NULL, sweeper, hd)) {
		pthread_cond_destroy(&hd->wake);
		pthread_mutex_destroy(&hd->lock);
		free(hd);
		return -EAGAIN;
	}
	*out = hd;
	return 0;
}

/* After MHD_stop_daemon: every connection is closed by then. */
void http_deadline_free(struct http_deadline *hd)
{
	if (!hd)
		return;
	pthread_mutex_lock(&hd->lock);
	hd->stop = true;
	pthread_cond_signal(&hd->wake);
	pthread_mutex_unlock(&hd->lock);
	pthread_join(hd->sweeper, NULL);
	pthread_cond_destroy(&hd->wake);
	pthread_mutex_destroy(&hd->lock);
	free(hd);
}

void http_deadline_notify(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_deadline *hd = cls;
	struct hd_conn *c = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		c = ci ? calloc(1, sizeof(*c)) : NULL;
		if (!c)
			return; /* untimed: the idle timeout still applies */
		c->fd = ci->connect_fd;
		c->start = mono_ms();
		pthread_mutex_lock(&hd->lock);
		c->next = hd->head.next;
		c->prev = &hd->head;
		hd->head.next->prev = c;
		hd->head.next = c;
		pthread_mutex_unlock(&hd->lock);
		*socket_context = c;
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !c)
		return;
	pthread_mutex_lock(&hd->lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	pthread_mutex_unlock(&hd->lock);
	free(c);
	*socket_context = NULL;
}

static struct hd_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void http_deadline_cut(struct http_deadline *hd, struct MHD_Connection *conn)
{
	struct hd_conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&hd->lock);
	if (!c->cut)
		shutdown(c->fd, SHUT_RDWR);
	c->cut = true;
	pthread_mutex_unlock(&hd->lock);
}

void http_deadline_busy(struct http_deadline *hd, struct MHD_Connection *conn,
			bool busy)
{
	struct hd_conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&hd->lock);
	c->busy = busy;
	/* Answered: a kept-alive connection's next request starts now. */
	if (!busy)
		c->start = mono_ms();
	pthread_mutex_unlock(&hd->lock);
}
