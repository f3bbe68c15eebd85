// SPDX-License-Identifier: MIT
/* pkiks-vmtest: clock, timer and event commands. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmtest.h"

int cmd_clock(int argc, char **argv)
{
	struct pkiks_clock c;
	struct pkiks *ks = NULL;
	int err = vm_open(&ks);

	err = err ?: pkiks_clock_get(ks, &c);
	if (!err)
		printf("authoritative=%d source=%s now=%" PRIu64
		       " since=%" PRIu64 " steps=%u realtime=%" PRIu64 "\n",
		       c.authoritative, pkiks_clock_source_name(c.source),
		       c.now_ns, c.since_ns, c.steps, c.realtime_ns);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_clock_set(int argc, char **argv)
{
	static const char *const names[] = {"none", "calendar", "ntp"};
	struct pkiks *ks = NULL;
	int src, err;

	for (src = 0; src < 3; src++)
		if (!strcmp(argv[0], names[src]))
			break;
	if (src == 3)
		return vm_local_error("source must be none, calendar or ntp");
	err = vm_open(&ks);
	err = err ?: pkiks_clock_set(ks, src);
	if (ks)
		pkiks_close(ks);
	return err;
}

/* "+S" is S seconds after the gate's now; a bare number is absolute ns. */
static int deadline_of(struct pkiks *ks, const char *arg, uint64_t *deadline)
{
	struct pkiks_clock c;
	int err;

	if (arg[0] != '+') {
		*deadline = strtoull(arg, NULL, 10);
		return 0;
	}
	err = pkiks_clock_get(ks, &c);
	if (!err)
		*deadline = c.now_ns + (uint64_t)(atof(arg + 1) * 1e9);
	return err;
}

/* KIND, or GENERIC:<label> (the sysfs name) with @label set. */
static int kind_of(const char *name, enum pkiks_timer_kind *kind,
		   const char **label)
{
	char buf[64];
	size_t i;

	*label = NULL;
	if (!strncmp(name, "GENERIC:", 8)) {
		*kind = PKIKS_TIMER_GENERIC;
		*label = name + 8;
		return 0;
	}
	/* Accept the sysfs spelling (CS_CRL_UPDATE) as well as the IOS one. */
	snprintf(buf, sizeof(buf), "%s", name);
	for (i = 0; buf[i]; i++)
		if (buf[i] == '_')
			buf[i] = ' ';
	return pkiks_timer_kind_parse(buf, kind) ? -EINVAL : 0;
}

int cmd_timer_arm(int argc, char **argv)
{
	enum pkiks_timer_kind kind;
	struct pkiks *ks = NULL;
	const char *label;
	uint64_t deadline;
	int err;

	if (kind_of(argv[1], &kind, &label))
		return vm_local_error("unknown timer kind %s", argv[1]);
	err = vm_open(&ks);
	err = err ?: deadline_of(ks, argv[2], &deadline);
	err = err ?: pkiks_timer_arm_label(ks, argv[0], kind, label, deadline);
	if (!err)
		printf("%" PRIu64 "\n", deadline);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_timer_cancel(int argc, char **argv)
{
	enum pkiks_timer_kind kind;
	struct pkiks *ks = NULL;
	const char *label;
	int err;

	if (kind_of(argv[1], &kind, &label))
		return vm_local_error("unknown timer kind %s", argv[1]);
	err = vm_open(&ks);
	err = err ?: pkiks_timer_cancel_label(ks, argv[0], kind, label);
	if (ks)
		pkiks_close(ks);
	return err;
}

int cmd_timers(int argc, char **argv)
{
	struct pkiks_timer_info *t = NULL;
	char name[PKIKS_TIMER_DIR_MAX];
	struct pkiks *ks = NULL;
	size_t n = 0, i;
	int err = vm_open(&ks);

	err = err ?: pkiks_timer_list(ks, &t, &n);
	for (i = 0; !err && i < n; i++) {
		if (pkiks_timer_dir_name(t[i].kind, t[i].label, name,
					 sizeof(name)))
			snprintf(name, sizeof(name), "?");
		printf("%s %s %" PRIu64 " %s uid=%u\n", t[i].owner, name,
		       t[i].deadline_ns, pkiks_timer_state_name(t[i].state),
		       t[i].owner_uid);
	}
	free(t);
	if (ks)
		pkiks_close(ks);
	return err;
}

static const char *event_name(enum pkiks_event e)
{
	static const char *const names[] = {"UNSPEC", "TIMER_EXPIRED",
					    "CLOCK_AUTHORITATIVE",
					    "CLOCK_REVOKED", "KEY_CHANGED"};

	return e < sizeof(names) / sizeof(names[0]) ? names[e] : "UNKNOWN";
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits up to until (CLOCK_MONOTONIC s) for one event. */
static int next_event(struct pkiks *ks, double until,
		      struct pkiks_event_msg *ev)
{
	struct pollfd pfd = {.fd = pkiks_event_fd(ks), .events = POLLIN};
	double left = until - mono_s();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&pfd, 1, (int)(left * 1000) + 1);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	return pkiks_event_read(ks, ev);
}

static void print_event(const struct pkiks_event_msg *ev)
{
	printf("event %s", event_name(ev->type));
	if (ev->type == PKIKS_EVENT_TIMER_EXPIRED)
		printf(" %s %s", ev->timer.owner,
		       pkiks_timer_kind_sysfs(ev->timer.kind));
	else if (ev->type == PKIKS_EVENT_KEY_CHANGED)
		printf(" %s", ev->key_name);
	else
		printf(" authoritative=%d steps=%u", ev->clock.authoritative,
		       ev->clock.steps);
	printf("\n");
	fflush(stdout);
}

int cmd_events(int argc, char **argv)
{
	int count = atoi(argv[0]), seen = 0, err;
	double until = mono_s() + atof(argv[1]);
	struct pkiks_event_msg ev;
	struct pkiks *ks = NULL;

	err = vm_open(&ks);
	err = err ?: pkiks_events_subscribe(ks);
	if (!err) {
		printf("ready\n");
		fflush(stdout);
	}
	while (!err && seen < count) {
		err = next_event(ks, until, &ev);
		if (err == -EAGAIN || err == -EINTR) {
			err = 0;
			continue;
		}
		if (!err) {
			print_event(&ev);
			seen++;
		}
	}
	if (ks)
		pkiks_close(ks);
	return err;
}

/* Subscribe, arm OWNER/KIND at now + S, and wait for its expiry event. */
int cmd_timer_wait(int argc, char **argv)
{
	enum pkiks_timer_kind kind;
	struct pkiks_event_msg ev;
	struct pkiks_clock c;
	struct pkiks *ks = NULL;
	double secs = atof(argv[2]), start = mono_s(), until;
	const char *label;
	uint64_t deadline;
	int err;

	if (kind_of(argv[1], &kind, &label))
		return vm_local_error("unknown timer kind %s", argv[1]);
	until = start + secs + 20;
	err = vm_open(&ks);
	err = err ?: pkiks_events_subscribe(ks);
	err = err ?: pkiks_clock_get(ks, &c);
	deadline = c.now_ns + (uint64_t)(secs * 1e9);
	err = err ?: pkiks_timer_arm_label(ks, argv[0], kind, label, deadline);
	while (!err) {
		err = next_event(ks, until, &ev);
		if (err == -EAGAIN || err == -EINTR) {
			err = 0;
			continue;
		}
		if (err || ev.type != PKIKS_EVENT_TIMER_EXPIRED ||
		    strcmp(ev.timer.owner, argv[0]) || ev.timer.kind != kind ||
		    strcmp(ev.timer.label, label ? label : ""))
			continue;
		err = pkiks_clock_get(ks, &c);
		if (!err && c.now_ns < deadline)
			err = vm_local_error("fired before its deadline");
		if (!err)
			printf("expired %s %s after %.2f s\n", argv[0], argv[1],
			       mono_s() - start);
		break;
	}
	if (ks)
		pkiks_close(ks);
	return err;
}
