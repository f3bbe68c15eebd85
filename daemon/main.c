// SPDX-License-Identifier: MIT
/*
 * pkid: the certificate server daemon.
 *
 *   pkid -c FILE [-t] [-f] [-s STATE_DIR] [-k KEYGEN] [-P PROVIDER.so]
 *        [-S PKIKSD_SOCKET] [-m ra|single]
 *
 * -t checks the configuration (and the trustpoints' key types against the
 * keystore's keys) and exits (0 good, 1 broken); a broken
 * file always stops the daemon with exit status 1.  The daemon serves the
 * one `crypto pki server` of the file over SCEP (`ip http server PORT`),
 * answers the control socket, and waits for keystore events: timers (CS
 * CRL UPDATE, ER EXPIRE) and the clock becoming authoritative (a CA that
 * could not start for lack of time starts then).  SIGTERM/SIGINT stop it;
 * SIGHUP (or `pkictl reload`) re-reads the file (daemon/core/reload.h).  Logs
 * go to syslog with IOS-like tags (daemon/LOGGING.md), and to stderr with -f.
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "ca/ca.h"
#include "config.h"
#include "core/ctl.h"
#include "guard/guard.h"
#include "health/health.h"
#include "core/http.h"
#include "proto/scep/scep_client.h"
#include "proto/scep/scep_enroll.h"
#include "proto/ocsp/ocsp_http.h"
#include "proto/est/est_server.h"
#include "proto/scep/scep_http.h"
#include "keystore.h"
#include "core/log.h"
#include "provider_client.h"
#include "core/reload.h"
#include "client/tp.h"

#define PKID_VERSION   "0.1"
#define PKID_STATE_DIR "/var/lib/pkid"
#define PKID_KEYGEN    "/usr/lib/pkid/pkiks-keygen"
#define PKID_RETRY_MS  1000 /* reconnect to the keystore's events */
#define PKID_HEALTH_MS 60000 /* the watchdog looks at least this often */

struct pkid_opts {
	const char *conf;
	const char *state_dir;
	const char *keygen;
	const char *provider;
	const char *ks_socket;
	enum ca_key_mode key_mode;
	bool key_mode_set; /* -m overrides `ra-certificate` */
	bool check_only;
	bool print_conf; /* -T: -t, then the configuration as understood */
	bool foreground;
};

struct pkid {
	struct pkid_opts opts;
	struct pkid_config *cfg;
	struct ca *ca;
	struct tp_set *tp; /* trustpoints (daemon/client/tp.h), NULL if none */
	struct http_server *http;
	struct scep_http *scep; /* SCEP's routes in http */
	struct ocsp_http *ocsp; /* the OCSP responder's route */
	struct est_server *est; /* EST's TLS listener, NULL if none */
	struct ctl_server *ctl;
	struct reload *reload; /* SIGHUP and `reload` */
	struct health_env *health; /* show health, /metrics, alerts */
	struct pkiks *ev;      /* event subscription (its own handle) */
	bool ev_lost; /* the keystore may come back empty: restore keys */
	int sigfd;
	char db_path[PATH_MAX];
	/* `show activity`, read by the control thread: whether the main
	 * loop is working (between poll and poll), its wake-ups, and the
	 * event socket (-1 while not subscribed). */
	atomic_bool busy;
	atomic_ullong wakeups;
	atomic_int ev_fd;
	/* mode sub-cs: written by the trustpoints' hook when the sub's
	 * trustpoint installed a certificate (try_start looks again), and
	 * the last reason the sub said it waits (said once each). */
	int kick_fd;
	char sub_why[256];
};

static void usage(FILE *f)
{
	fputs("usage: pkid -c FILE [-t|-T] [-f] [-s STATE_DIR] [-k KEYGEN] "
	      "[-P PROVIDER.so]\n"
	      "            [-S PKIKSD_SOCKET] [-m ra|single]\n",
	      f);
}

/*
 * pkid -t: what parses but cannot be served.  The CA creates its folder
 * (`database url`) but not the folders above it, and then could only say
 * "cannot create the CA key and certificate" (issue 13 #5).
 */
static int check_servable(const struct pkid *d)
{
	char dir[PKID_CONF_URL_MAX], *slash;
	int bad = 0;

	for (size_t i = 0; i < d->cfg->n_servers; i++) {
		const struct pkid_server_config *s = &d->cfg->servers[i];
		const char *url = s->db_url;

		if (!url[0])
			continue;
		if (!strncmp(url, "file://", 7))
			url += 7;
		snprintf(dir, sizeof(dir), "%s", url);
		while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
			dir[strlen(dir) - 1] = '\0';
		slash = strrchr(dir, '/');
		if (!slash)
			continue;
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (access(dir, W_OK | X_OK) == 0)
			continue;
		pkid_log(LOG_ERR, NULL,
			 "%s:%u: 'database url': folder %s cannot hold %s: %s",
			 d->opts.conf, s->db_url_line, dir, url,
			 strerror(errno));
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

/* -T: the file as pkid understood it (IOS sub-modes resolved), no secrets */
static void print_config(const struct pkid_config *cfg)
{
	char *text = pkid_config_to_string(cfg, PKID_PRINT_HIDE_SECRETS);

	if (text)
		fputs(text, stdout);
	free(text);
}

/* The key generator next to our own binary, else the installed one. */
static const char *default_keygen(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;

	if (n > 0) {
		path[n] = '\0';
		slash = strrchr(path, '/');
		if (slash) {
			strcpy(slash + 1, "pkiks-keygen");
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	return PKID_KEYGEN;
}

static int parse_args(int argc, char **argv, struct pkid_opts *o)
{
	int c;

	o->conf = PKID_CONF_DEFAULT;
	o->state_dir = PKID_STATE_DIR;
	o->keygen = default_keygen();
	o->ks_socket = getenv("PKIKS_SOCKET");
	while ((c = getopt(argc, argv, "c:tTfs:k:P:S:m:h")) != -1) {
		switch (c) {
		case 'c':
			o->conf = optarg;
			break;
		case 'T':
			o->print_conf = true;
			/* fall through */
		case 't':
			o->check_only = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'k':
			o->keygen = optarg;
			break;
		case 'P':
			o->provider = optarg;
			break;
		case 'S':
			o->ks_socket = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "ra"))
				o->key_mode = CA_KEY_MODE_RA;
			else if (!strcmp(optarg, "single"))
				o->key_mode = CA_KEY_MODE_SINGLE;
			else
				return -EINVAL;
			o->key_mode_set = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

static int load_config(struct pkid *d)
{
	int ret = pkid_config_load(d->opts.conf, &d->cfg, NULL, NULL);

	if (ret == -EINVAL)
		return ret; /* the parser said where */
	if (ret < 0) {
		pkid_log(LOG_ERR, NULL, "%s: %s", d->opts.conf, strerror(-ret));
		return ret;
	}
	if (d->cfg->n_servers > 1) {
		pkid_log(LOG_ERR, NULL,
			 "%s:%u: pkid serves one crypto pki server",
			 d->opts.conf, d->cfg->servers[1].line);
		return -EINVAL;
	}
	return 0;
}

/*
 * mode sub-cs: the CA waits for its certificate; have its trustpoint
 * ask the parent (or say why it cannot).  1: the trustpoint holds one
 * now (start again), 0: still waiting (said once per reason).
 */
static int sub_waiting(struct pkid *d, const char *ca_why)
{
	char why[256] = "";
	int ret = tp_sub_request(d->tp, ca_name(d->ca), why, sizeof(why));

	if (ret == 0)
		return 1;
	if (!why[0])
		snprintf(why, sizeof(why), "%s", strerror(-ret));
	if (strcmp(why, d->sub_why)) {
		snprintf(d->sub_why, sizeof(d->sub_why), "%s", why);
		if (ret == -EINPROGRESS)
			pkid_log(LOG_NOTICE, "CS_SUB_WAITING",
				 "%s: not started: %s: %s", ca_name(d->ca),
				 ca_why ? ca_why : "waiting", why);
		else
			pkid_log(LOG_ERR, "CS_SUB_WAITING",
				 "%s: not started: %s: %s", ca_name(d->ca),
				 ca_why ? ca_why : "waiting", why);
	}
	return 0;
}

/* The sub's trustpoint installed a certificate: wake the main loop. */
static void sub_kick(void *arg)
{
	struct pkid *d = arg;
	uint64_t one = 1;

	if (write(d->kick_fd, &one, sizeof(one)) < 0)
		pkid_log(LOG_ERR, NULL, "kick: %s", strerror(errno));
}

/*
 * mode sub-cs, the sub's own rollover: the CA made NAME# and waits for
 * its certificate; trustpoint NAME asks the parent (or is asking).  Run
 * after each wake-up that may have changed that; -EBUSY (the trustpoint
 * is busy with another request) is asked again when that one ends (its
 * hook wakes us).
 */
static void sub_roll(struct pkid *d)
{
	char why[256] = "";
	int ret;

	if (!d->ca || !ca_sub_roll_wanted(d->ca))
		return;
	ret = tp_sub_roll_request(d->tp, ca_name(d->ca), why, sizeof(why));
	if (ret >= 0 || ret == -EINPROGRESS) {
		ca_sub_roll_note(d->ca, NULL);
		return;
	}
	if (!why[0])
		snprintf(why, sizeof(why), "%s", strerror(-ret));
	/* Said once per reason (each wake-up asks again); the health view
	 * carries it while it holds. */
	if (ca_sub_roll_note(d->ca, why))
		pkid_log(LOG_WARNING, "CS_SUB_ROLLOVER",
			 "%s: the rollover CA certificate is not requested "
			 "yet: %s",
			 ca_name(d->ca), why);
}

/* `no shutdown`: start now, or say why and wait for the clock. */
static void try_start(struct pkid *d)
{
	const char *why = NULL;
	int ret, tries = 0;

	if (!d->ca || d->cfg->servers[0].shutdown || ca_running(d->ca))
		return;
again:
	ret = ca_start(d->ca, &why);
	if (ret == -EINPROGRESS) {
		/* at most once more: the trustpoint had one already */
		if (sub_waiting(d, why) && tries++ == 0)
			goto again;
		return;
	}
	if (ret == 0) {
		pkid_log(LOG_INFO, "CS_ENABLED",
			 "%s: certificate server enabled", ca_name(d->ca));
		sub_roll(d); /* a rollover request left before a restart */
		ca_ra_poll_resume(d->ca);
	} else if (ret == -EAGAIN)
		pkid_log(LOG_ERR, "CLOCK_NOT_AUTHORITATIVE",
			 "%s: not started: %s", ca_name(d->ca),
			 why ? why : strerror(-ret));
	else
		pkid_log(LOG_ERR, "CS_START_FAILED", "%s: not started: %s",
			 ca_name(d->ca), why ? why : strerror(-ret));
}

static int setup_ca(struct pkid *d)
{
	char host[64] = "", node[64];
	struct ca_env env = {
		.node = node,
		.db_path = d->db_path,
		.state_dir = d->opts.state_dir,
		.keygen = d->opts.keygen,
		.ks_socket = d->opts.ks_socket,
		.key_mode = d->opts.key_mode,
		.key_mode_forced = d->opts.key_mode_set,
	};
	const struct pkid_trustpoint_config *tp;
	int ret;

	/* This node's name among several on one database: host:port. */
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "pkid");
	snprintf(node, sizeof(node), "%.40s:%u", host, d->cfg->http_port);
	if (!d->opts.key_mode_set && d->cfg->n_servers &&
	    d->cfg->servers[0].ra_mode == PKID_RA_NONE)
		env.key_mode = CA_KEY_MODE_SINGLE;

	if (mkdir(d->opts.state_dir, 0700) < 0 && errno != EEXIST) {
		pkid_log(LOG_ERR, NULL, "%s: %s", d->opts.state_dir,
			 strerror(errno));
		return -errno;
	}
	snprintf(d->db_path, sizeof(d->db_path), "%s/pkid.db",
		 d->opts.state_dir);
	if (d->cfg->n_servers == 0)
		return 0;
	ret = ca_new(&d->ca, &d->cfg->servers[0], &env);
	/* mode ra forwards to its trustpoint's CA, in the trustpoints'
	 * protocol (the parser made sure the trustpoint exists) */
	tp = pkid_config_trustpoint(d->cfg, d->cfg->servers[0].name);
	if (ret == 0 && d->cfg->servers[0].mode == PKID_MODE_RA && tp)
		ca_ra_set_upstream(d->ca, tp->enrollment_url,
				   &scep_enroll_proto);
	return ret;
}

/* The trustpoints (pkid as a PKI client); they share the database. */
static int setup_tp(struct pkid *d)
{
	struct tp_env env = {.db_path = d->db_path,
			     .keygen = d->opts.keygen,
			     .ks_socket = d->opts.ks_socket,
			     .conf_path = d->opts.conf};

	return tp_start_all(&d->tp, d->cfg, &env);
}

static void after_reload(void *arg);

static int setup_reload(struct pkid *d)
{
	struct reload_env env = {.conf_path = d->opts.conf,
				 .ca = d->ca,
				 .tp = d->tp,
				 .applied = after_reload,
				 .arg = d};

	return reload_new(&d->reload, &env, &d->cfg);
}

/*
 * show activity: whether this pkid is quiet -- the main loop waiting in
 * poll with no keystore event unread.  A lab-clock driver (tools/sim)
 * settles on it instead of sleeping: quiet, and the keystore holding no
 * timer due, twice with the same wake-up count, means every event of the
 * last clock step has been handled.
 */
static int show_activity(const struct ctl_request *req,
			 struct ctl_reply *reply, void *arg)
{
	struct pkid *d = arg;
	int fd = atomic_load(&d->ev_fd);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	bool pending = fd >= 0 && poll(&p, 1, 0) > 0 && p.revents;
	bool busy = atomic_load(&d->busy);

	(void)req;
	reply->result = json_pack(
		"{s:b, s:b, s:b, s:I}", "busy", busy, "event_pending", pending,
		"subscribed", fd >= 0, "wakeups",
		(json_int_t)atomic_load(&d->wakeups));
	ctl_reply_printf(reply, "%s, %llu wake-ups%s%s\n",
			 busy || pending ? "busy" : "quiet",
			 (unsigned long long)atomic_load(&d->wakeups),
			 pending ? ", an event unread" : "",
			 fd < 0 ? ", not subscribed to the keystore" : "");
	return reply->result ? 0 : -ENOMEM;
}

static int setup_ctl(struct pkid *d)
{
	struct ctl_server_opts o = {.path = d->cfg->control_socket,
				    .version = PKID_VERSION};
	int ret = ctl_server_create(&d->ctl, &o);

	if (ret < 0) {
		pkid_log(LOG_ERR, NULL, "control socket %s: %s", o.path,
			 strerror(-ret));
		return ret;
	}
	if (d->ca)
		ret = ca_ctl_register(d->ca, d->ctl);
	ret = ret ?: tp_ctl_register(d->tp, d->ctl);
	ret = ret ?: guard_ctl_register(d->ctl);
	ret = ret ?: reload_ctl_register(d->reload, d->ctl);
	ret = ret ?: health_new(&d->health, d->ca, d->tp, d->opts.ks_socket);
	ret = ret ?: health_ctl_register(d->health, d->ctl);
	ret = ret ?: ctl_register(d->ctl, "show activity", show_activity, 0, d,
				  "");
	return ret ?: ctl_server_start(d->ctl);
}

/* The SCEP client's transport reports to pkid's log. */
static void scep_client_log(int level, const char *msg)
{
	pkid_log(level, NULL, "%s", msg);
}

static int setup_http(struct pkid *d)
{
	int ret;

	if (!d->cfg->http_enabled || !d->ca)
		return 0;
	/* The routes first: the table is fixed once the server runs. */
	ret = http_new(&d->http);
	ret = ret ?: scep_http_register(d->http, d->ca, &d->scep);
	ret = ret ?: ocsp_http_register(d->http, d->ca, &d->ocsp);
	if (ret == 0 && !d->cfg->metrics_off)
		ret = http_set_metrics(d->http, health_metrics, d->health,
				       d->cfg->metrics_any);
	if (ret < 0) {
		pkid_log(LOG_ERR, NULL, "HTTP routes: %s", strerror(-ret));
		return ret;
	}
	ret = http_start(d->http, d->cfg->http_port);
	if (ret < 0) {
		pkid_log(LOG_ERR, NULL, "cannot listen on port %u",
			 d->cfg->http_port);
		return ret;
	}
	guard_start(d->cfg); /* `ip http rate-limit`, if any */
	return 0;
}

/* `clock calendar-valid` in pkid.conf: the administrator vouches for it. */
static void apply_calendar_valid(struct pkid *d)
{
	int ret;

	if (!d->cfg->clock_calendar_valid)
		return;
	ret = pkiks_clock_set(d->ev, PKIKS_CLOCK_CALENDAR);
	if (ret < 0)
		pkid_log(LOG_WARNING, NULL, "clock calendar-valid: %s%s",
			 strerror(-ret),
			 ret == -EPERM ? " (needs CAP_SYS_TIME)" : "");
}

static int events_open(struct pkid *d)
{
	int ret = pkiks_open(&d->ev, PKIKS_TRANSPORT_AUTO, d->opts.ks_socket);

	if (ret == 0)
		apply_calendar_valid(d);
	if (ret == 0)
		ret = pkiks_events_subscribe(d->ev);
	if (ret == 0)
		atomic_store(&d->ev_fd, pkiks_event_fd(d->ev));
	if (ret < 0 && d->ev) {
		pkiks_close(d->ev);
		d->ev = NULL;
	}
	return ret;
}

static void handle_event(struct pkid *d, const struct pkiks_event_msg *ev)
{
	switch (ev->type) {
	case PKIKS_EVENT_TIMER_EXPIRED:
		if (tp_on_timer(d->tp, &ev->timer))
			break;
		if (d->ca && ca_ra_is_poll_timer(d->ca, &ev->timer)) {
			ca_ra_poll(d->ca);
			break;
		}
		if (d->ca && !strcmp(ev->timer.owner, ca_name(d->ca))) {
			ca_on_timer(d->ca, ev->timer.kind);
			/* A sub's promotion rewrote its trustpoint's identity. */
			if (ev->timer.kind == PKIKS_TIMER_CS_CERT_EXPIRE)
				tp_sub_rearm(d->tp, ca_name(d->ca),
					     ca_sub_take_promoted(d->ca));
			sub_roll(d);
		}
		break;
	case PKIKS_EVENT_CLOCK_AUTHORITATIVE:
		try_start(d);
		tp_timers_sync(d->tp);
		break;
	default:
		break;
	}
}

/* The keystore is back: the trustpoints reconnect and restore their keys
 * (the CA does so in try_start, ca_keystore_lost having stopped it). */
static void keystore_back(struct pkid *d)
{
	int ret = tp_keystore_reconnect(d->tp);

	if (ret < 0)
		pkid_log(LOG_ERR, NULL, "trustpoints: keystore: %s",
			 strerror(-ret));
	d->ev_lost = false;
}

/* A reload took effect: the clock line and `no shutdown` may be new. */
static void after_reload(void *arg)
{
	struct pkid *d = arg;

	if (d->ev)
		apply_calendar_valid(d);
	try_start(d);
	if (d->ev)
		tp_timers_sync(d->tp); /* revocation-check may have changed */
}

/* A signal: 1 to stop (SIGTERM/SIGINT), 0 to go on (SIGHUP: reload). */
static int on_signal(struct pkid *d)
{
	struct signalfd_siginfo si;

	if (read(d->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo != SIGHUP)
		return 1;
	reload_run(d->reload);
	return 0;
}

/*
 * Poll the signal fd, the control thread's reload requests and the
 * keystore's events until SIGTERM/SIGINT.
 */
/*
 * The watchdog's alerts: after each wake-up, at most once a second.  A
 * wake-up inside that second leaves the look due: the return value (ms,
 * -1 when none is due) caps the next poll, so an alert that a timer's
 * expiry made true is not left to the 60-second fallback.
 */
static int health_tick_due(struct pkid *d)
{
	static struct timespec last;
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(now.tv_sec - last.tv_sec) * 1000 +
	     (now.tv_nsec - last.tv_nsec) / 1000000;
	if (last.tv_sec && ms >= 0 && ms < 1000)
		return (int)(1000 - ms);
	last = now;
	health_tick(d->health);
	return -1;
}

static int run(struct pkid *d)
{
	struct pkiks_event_msg ev;
	struct pollfd p[4];
	uint64_t kicks;
	int health_wait = -1;

	for (;;) {
		int n = 3, timeout;

		if (!d->ev && events_open(d) == 0) {
			if (d->ev_lost)
				keystore_back(d);
			try_start(d); /* the clock may have come meanwhile */
			tp_resume(d->tp); /* timers may have expired too */
		}
		p[0] = (struct pollfd){.fd = d->sigfd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = reload_fd(d->reload),
				       .events = POLLIN};
		p[2] = (struct pollfd){.fd = d->kick_fd, .events = POLLIN};
		if (d->ev)
			p[n++] = (struct pollfd){.fd = pkiks_event_fd(d->ev),
						 .events = POLLIN};
		/* Every timer, the CRL refresh too, is the keystore's; the
		 * watchdog still looks at least every PKID_HEALTH_MS. */
		timeout = d->ev ? PKID_HEALTH_MS : PKID_RETRY_MS;
		if (health_wait >= 0 && health_wait < timeout)
			timeout = health_wait;
		atomic_store(&d->busy, false);
		if (poll(p, n, timeout) < 0 && errno != EINTR)
			return -errno;
		atomic_store(&d->busy, true);
		atomic_fetch_add(&d->wakeups, 1);
		if (p[0].revents & POLLIN && on_signal(d))
			return 0;
		if (p[1].revents & POLLIN)
			reload_poll(d->reload);
		if (p[2].revents & POLLIN &&
		    read(d->kick_fd, &kicks, sizeof(kicks)) > 0) {
			try_start(d); /* a sub-cs's certificate came */
			if (d->ca && ca_running(d->ca))
				ca_sub_refresh(d->ca); /* or a new one */
			if (d->ca && ca_sub_take_rearm(d->ca))
				tp_sub_rearm(d->tp, ca_name(d->ca), false);
			if (d->ca && ca_running(d->ca))
				ca_ra_refresh(d->ca); /* an RA's, too */
			sub_roll(d); /* or its rollover key was made */
		}
		if (n > 3 && p[3].revents) {
			if (pkiks_event_read(d->ev, &ev) == 0) {
				handle_event(d, &ev);
			} else {
				pkid_log(LOG_WARNING, NULL,
					 "keystore events lost, "
					 "reconnecting");
				atomic_store(&d->ev_fd, -1);
				pkiks_close(d->ev);
				d->ev = NULL;
				d->ev_lost = true;
				if (d->ca)
					ca_keystore_lost(d->ca);
			}
		}
		health_wait = health_tick_due(d);
	}
}

static int block_signals(struct pkid *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Before any thread exists, so none of them takes these signals. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return d->sigfd < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct pkid d = {
		.sigfd = -1, .ev_fd = -1, .busy = true, .kick_fd = -1};
	char path[PKID_CONF_PATH_MAX + PKID_CONF_NAME_MAX + 32];
	int ret;

	if (parse_args(argc, argv, &d.opts) < 0) {
		usage(stderr);
		return 2;
	}
	if (load_config(&d) < 0)
		return 1;
	if (d.opts.check_only &&
	    (check_servable(&d) < 0 ||
	     tp_check_key_types(d.cfg, d.opts.conf, d.opts.ks_socket) < 0))
		goto err_cfg;
	if (d.opts.check_only) {
		printf("%s: configuration OK\n", d.opts.conf);
		if (d.opts.print_conf)
			print_config(d.cfg);
		goto out_cfg;
	}
	if (!d.opts.foreground && daemon(0, 0) < 0)
		goto err_cfg;
	pkid_log_open(d.opts.foreground);
	scep_client_set_log(scep_client_log);
	ret = block_signals(&d);
	if (ret == 0 && pkiks_provider_load(NULL, d.opts.provider) < 0) {
		pkid_log(LOG_ERR, NULL, "cannot load the pkiks provider");
		ERR_print_errors_fp(stderr);
		ret = -ENOENT;
	}
	ret = ret ?: setup_ca(&d);
	ret = ret ?: setup_tp(&d);
	if (ret == 0) {
		d.kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d.kick_fd < 0)
			ret = -errno;
		else
			tp_set_sub_hook(d.tp, sub_kick, &d);
		if (d.kick_fd >= 0 && d.ca)
			ca_set_kick(d.ca, sub_kick, &d);
		if (d.ca && tp_crl_file(d.tp, ca_name(d.ca), path,
					sizeof(path)) == 0)
			ca_set_ra_crl_file(d.ca, path);
	}
	ret = ret ?: setup_reload(&d);
	if (ret < 0)
		goto err_ca;
	ret = setup_ctl(&d);
	if (ret < 0)
		goto err_ctl;
	ret = setup_http(&d);
	ret = ret ?: est_server_start(&d.est, d.ca, d.cfg);
	if (ret < 0)
		goto err_http;
	if (events_open(&d) < 0)
		pkid_log(LOG_WARNING, NULL, "keystore unreachable, retrying");
	try_start(&d);
	if (d.ev)
		tp_resume(d.tp);
	ret = run(&d);
	pkid_log(LOG_INFO, NULL, "stopping");
	if (d.ev)
		pkiks_close(d.ev);
	guard_stop();
err_http:
	est_server_stop(d.est);
	http_free(d.http);
	scep_http_free(d.scep);
	ocsp_http_free(d.ocsp);
	ctl_server_destroy(d.ctl);
err_ctl:
	health_destroy(d.health);
	ca_free(d.ca);
err_ca:
	reload_free(d.reload);
	tp_stop_all(d.tp);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.kick_fd >= 0)
		close(d.kick_fd);
	if (ret < 0)
		goto err_cfg;
out_cfg:
	pkid_config_free(d.cfg);
	pkid_log_close();
	return 0;
err_cfg:
	pkid_config_free(d.cfg);
	pkid_log_close();
	return 1;
}
