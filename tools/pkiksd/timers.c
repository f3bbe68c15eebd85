// SPDX-License-Identifier: MIT
/*
 * PKI timers: (owner, kind[, label]) -> absolute deadline.  They wait while time is
 * not authoritative, fire in deadline order, stay listed as EXPIRED, and
 * survive restarts in <state-dir>/timers.  The ticker thread wakes at the
 * next deadline or every second to watch the clock; the saver thread
 * writes the file when nobody else does.  Everything but the threads'
 * loops and the file writes runs under twin_lock.
 *
 * Durability: an arm, a cancel or a clock change acknowledged to a client
 * is on disk (written, fsynced, renamed into place) before the reply goes
 * out.  Changes only bump a generation under twin_lock; the request's
 * thread then calls timers_sync(), which snapshots the table under
 * twin_lock and writes the file outside it (under save_lock), so the
 * ticker keeps firing during the flush, and requests that arrive while a
 * write is in progress share the next one (group commit).  What no client
 * waits for (a timer that fired, a clock step seen by the ticker, a KEK
 * change) is written by the saver thread within TIMERS_FLUSH_DELAY_NS;
 * after a crash inside that window a fired timer is WAITING again and
 * fires again after the restart (at least once, never lost).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pkiksd.h"

/* Changes nobody waits for reach the disk at most this late. */
#define TIMERS_FLUSH_DELAY_NS 100000000ULL
/* After a failed write, the saver tries again this much later. */
#define TIMERS_RETRY_DELAY_NS 5000000000ULL

static struct twin_timer timers[PKIKS_TIMERS_MAX];

/* Under twin_lock: generation of the table (and lab clock), bumped on
 * every change, and when the saver must write it (CLOCK_MONOTONIC ns,
 * 0 when the file is current); save_wake tells the saver. */
static uint64_t change_gen;
static uint64_t flush_due;
static pthread_cond_t save_wake = PTHREAD_COND_INITIALIZER;
/* Serialises file writes; saved_gen (under it) is on disk. */
static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t saved_gen;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Something the file holds changed (under twin_lock). */
static void timers_changed(void)
{
	change_gen++;
	if (flush_due)
		return;
	flush_due = mono_ns() + TIMERS_FLUSH_DELAY_NS;
	pthread_cond_signal(&save_wake);
}

uint64_t timers_generation(void)
{
	return change_gen;
}

static struct twin_timer *timer_find(const char *owner,
				     enum pkiks_timer_kind kind,
				     const char *label)
{
	int i;

	for (i = 0; i < PKIKS_TIMERS_MAX; i++)
		if (timers[i].used && timers[i].kind == kind &&
		    !strcmp(timers[i].owner, owner) &&
		    !strcmp(timers[i].label, label))
			return &timers[i];
	return NULL;
}

static struct twin_timer *timer_slot(void)
{
	int i;

	for (i = 0; i < PKIKS_TIMERS_MAX; i++)
		if (!timers[i].used)
			return &timers[i];
	return NULL;
}

/* A GENERIC timer has a valid label, the others none. */
static int timer_id_valid(const char *owner, enum pkiks_timer_kind kind,
			  const char *label)
{
	if (!pkiks_timer_owner_valid(owner) || kind <= PKIKS_TIMER_UNSPEC ||
	    kind >= __PKIKS_TIMER_KIND_MAX)
		return 0;
	return kind == PKIKS_TIMER_GENERIC ? pkiks_timer_label_valid(label)
					   : !label[0];
}

int timers_arm(const char *owner, enum pkiks_timer_kind kind,
	       const char *label, uint64_t deadline, uint32_t uid,
	       const struct peer *who, struct twin_timer *out)
{
	struct twin_timer *t;

	if (!timer_id_valid(owner, kind, label) ||
	    !pkiks_timer_deadline_valid(deadline))
		return -EINVAL;
	t = timer_find(owner, kind, label);
	if (t && !who->admin && t->uid != who->uid)
		return -EPERM;
	if (!t) {
		t = timer_slot();
		if (!t)
			return -EDQUOT;
		memset(t, 0, sizeof(*t));
		snprintf(t->owner, sizeof(t->owner), "%s", owner);
		snprintf(t->label, sizeof(t->label), "%s", label);
		t->kind = kind;
		t->used = 1;
	}
	t->uid = uid; /* re-arming gives it to the caller (or OWNER_UID) */
	t->deadline = deadline;
	t->state =
		clock_authoritative() ? PKIKS_TIMER_ARMED : PKIKS_TIMER_WAITING;
	*out = *t;
	return 0;
}

int timers_cancel(const char *owner, enum pkiks_timer_kind kind,
		  const char *label, const struct peer *who)
{
	struct twin_timer *t;

	if (!timer_id_valid(owner, kind, label))
		return -EINVAL;
	t = timer_find(owner, kind, label);
	if (!t)
		return -ENOENT;
	if (!who->admin && t->uid != who->uid)
		return -EPERM;
	t->used = 0;
	return 0;
}

int timers_get(const char *owner, enum pkiks_timer_kind kind,
	       const char *label, struct twin_timer *out)
{
	struct twin_timer *t;

	if (!timer_id_valid(owner, kind, label))
		return -EINVAL;
	t = timer_find(owner, kind, label);
	if (!t)
		return -ENOENT;
	*out = *t;
	return 0;
}

int timers_snapshot(struct twin_timer **out, size_t *count)
{
	size_t n = 0;
	int i;

	*out = calloc(PKIKS_TIMERS_MAX, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < PKIKS_TIMERS_MAX; i++)
		if (timers[i].used)
			(*out)[n++] = timers[i];
	*count = n;
	return 0;
}

void timers_follow_clock(void)
{
	int auth = clock_authoritative(), i;

	for (i = 0; i < PKIKS_TIMERS_MAX; i++) {
		struct twin_timer *t = &timers[i];

		if (!t->used || t->state == PKIKS_TIMER_EXPIRED)
			continue;
		t->state = auth ? PKIKS_TIMER_ARMED : PKIKS_TIMER_WAITING;
	}
}

static struct twin_timer *earliest_armed(void)
{
	struct twin_timer *best = NULL;
	int i;

	for (i = 0; i < PKIKS_TIMERS_MAX; i++) {
		struct twin_timer *t = &timers[i];

		if (t->used && t->state == PKIKS_TIMER_ARMED &&
		    (!best || t->deadline < best->deadline))
			best = t;
	}
	return best;
}

int timers_fire_due(void)
{
	struct twin_timer *t;
	int fired = 0;

	if (!clock_authoritative())
		return 0;
	/* One at a time, earliest first: the order events arrive in. */
	while ((t = earliest_armed()) && t->deadline <= clock_now()) {
		t->state = PKIKS_TIMER_EXPIRED;
		fprintf(stderr, "pkiksd: timer %s %s%s%s expired\n", t->owner,
			pkiks_timer_kind_name(t->kind), t->label[0] ? " " : "",
			t->label);
		events_timer_expired(t);
		fired = 1;
	}
	if (fired) {
		timers_changed();
		status_dirty(); /* the ticker's next pass shows them */
	}
	return fired;
}

uint64_t timers_next_deadline(void)
{
	struct twin_timer *t = earliest_armed();

	return t ? t->deadline : UINT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Persistence                                                         */

static void state_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", twin_opts.state_dir, name);
}

/* Lines "timer OWNER KIND DEADLINE STATE UID [LABEL]" (GENERIC: a label,
 * which has no spaces) and "lab NS", into memory (under twin_lock). */
static int timers_format(char **text, size_t *len)
{
	uint64_t lab;
	FILE *f;
	int set, i;

	*text = NULL;
	f = open_memstream(text, len);
	if (!f)
		return -errno;
	fprintf(f, "# pkiksd timers, rewritten on every change\n");
	lab = clock_lab_now(&set);
	if (set)
		fprintf(f, "lab %llu\n", (unsigned long long)lab);
	for (i = 0; i < PKIKS_TIMERS_MAX; i++) {
		struct twin_timer *t = &timers[i];

		if (t->used)
			fprintf(f, "timer %s %d %llu %d %u%s%s\n", t->owner,
				t->kind, (unsigned long long)t->deadline,
				t->state, t->uid, t->label[0] ? " " : "",
				t->label);
	}
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Replace the file atomically: temp file, fsync, rename (no lock needed
 * but save_lock, which keeps two writers off the temp file). */
static int timers_write(const char *text, size_t len)
{
	char path[4096], tmp[4200];
	FILE *f;
	int err = 0;

	state_path(path, sizeof(path), "timers");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		err = -errno;
		goto out;
	}
	if (fwrite(text, 1, len, f) != len)
		err = -EIO;
	if (!err && (fflush(f) || fsync(fileno(f))))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
out:
	if (err)
		fprintf(stderr, "pkiksd: saving %s: %s\n", path,
			strerror(-err));
	return err;
}

/* Snapshot under twin_lock, write outside it; the caller holds save_lock. */
static int timers_flush(void)
{
	uint64_t gen;
	char *text;
	size_t len;
	int err;

	pthread_mutex_lock(&twin_lock);
	err = timers_format(&text, &len);
	gen = change_gen;
	if (!err)
		flush_due = 0;
	pthread_mutex_unlock(&twin_lock);
	if (!err)
		err = timers_write(text, len);
	free(text);
	if (!err) {
		saved_gen = gen;
		return 0;
	}
	/* Not on disk: the saver tries again later. */
	pthread_mutex_lock(&twin_lock);
	flush_due = mono_ns() + TIMERS_RETRY_DELAY_NS;
	pthread_cond_signal(&save_wake);
	pthread_mutex_unlock(&twin_lock);
	return err;
}

int timers_sync(uint64_t gen)
{
	int err = 0;

	pthread_mutex_lock(&save_lock);
	/* A write that started after our change already covered it. */
	if (saved_gen < gen)
		err = timers_flush();
	pthread_mutex_unlock(&save_lock);
	return err;
}

int timers_save(void)
{
	int err;

	pthread_mutex_lock(&save_lock);
	err = timers_flush();
	pthread_mutex_unlock(&save_lock);
	return err;
}

static int load_line(const char *line)
{
	char owner[PKIKS_NAME_MAX + 1], label[PKIKS_LABEL_MAX + 1] = "";
	unsigned long long v;
	struct twin_timer *t;
	int kind, state, n;
	unsigned uid;

	if (sscanf(line, "lab %llu", &v) == 1) {
		clock_restore_lab(v);
		return 0;
	}
	/* The label is optional: files of version 1 have none. */
	n = sscanf(line, "timer %64s %d %llu %d %u %32s", owner, &kind, &v,
		   &state, &uid, label);
	if (n != 5 && n != 6)
		return -EINVAL;
	if (!timer_id_valid(owner, kind, label) ||
	    timer_find(owner, kind, label) || state < 0 ||
	    state >= __PKIKS_TIMER_STATE_MAX)
		return -EINVAL;
	t = timer_slot();
	if (!t)
		return -EDQUOT;
	/* Valid, so shorter than PKIKS_NAME_MAX and PKIKS_LABEL_MAX. */
	strcpy(t->owner, owner);
	strcpy(t->label, label);
	t->kind = kind;
	t->deadline = v;
	t->uid = uid;
	/* Time is not authoritative after a restart: they wait again. */
	t->state = state == PKIKS_TIMER_EXPIRED ? PKIKS_TIMER_EXPIRED
						: PKIKS_TIMER_WAITING;
	t->used = 1;
	return 0;
}

int timers_load(void)
{
	char path[4096], line[256];
	int n = 0;
	FILE *f;

	state_path(path, sizeof(path), "timers");
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (load_line(line))
			fprintf(stderr, "pkiksd: %s:%d: ignored bad line\n",
				path, n);
	}
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The saver: writes what no client waits for, off the ticker's thread  */
/* so that a slow fsync never delays a firing.                         */

static pthread_t saver;
static int saver_quit;

static void saver_wait_until(uint64_t due)
{
	struct timespec ts = {.tv_sec = due / 1000000000ULL,
			      .tv_nsec = due % 1000000000ULL};

	pthread_cond_timedwait(&save_wake, &twin_lock, &ts);
}

static void *saver_main(void *arg)
{
	pthread_mutex_lock(&twin_lock);
	while (!saver_quit) {
		if (!flush_due) {
			pthread_cond_wait(&save_wake, &twin_lock);
			continue;
		}
		if (mono_ns() < flush_due) {
			saver_wait_until(flush_due);
			continue;
		}
		pthread_mutex_unlock(&twin_lock);
		timers_save();
		pthread_mutex_lock(&twin_lock);
	}
	pthread_mutex_unlock(&twin_lock);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The ticker                                                          */

static pthread_t ticker;
static pthread_cond_t tick = PTHREAD_COND_INITIALIZER;
static int ticker_quit;

void twin_time_changed(int clock_event)
{
	struct pkiks_clock c;

	if (clock_event) {
		clock_snapshot(&c);
		fprintf(stderr, "pkiksd: time %s (source %s)\n",
			c.authoritative ? "authoritative" : "not authoritative",
			pkiks_clock_source_name(c.source));
	}
	if (clock_event)
		events_clock(clock_authoritative()
				     ? PKIKS_EVENT_CLOCK_AUTHORITATIVE
				     : PKIKS_EVENT_CLOCK_REVOKED);
	timers_follow_clock();
	timers_fire_due();
	timers_changed();
	status_write();
	ticker_kick();
}

/*
 * One timer armed or cancelled: only its status directory is rewritten
 * (status_timer), not the whole tree -- with 750 timers a keystore the
 * full pass after every arm and cancel, and the ticker's after each kick,
 * were most of pkiksd's status-tree cost in tools/sim.  A deadline
 * already passed fires now, and then the whole tree is written.
 */
void twin_timer_changed(const char *owner, enum pkiks_timer_kind kind,
			const char *label)
{
	if (timers_fire_due())
		status_write();
	else
		status_timer(owner, kind, label);
	timers_changed();
	ticker_kick();
}

void ticker_kick(void)
{
	pthread_cond_signal(&tick);
}

/* Sleep until the next deadline, at most a second. */
static void ticker_wait(void)
{
	uint64_t next = timers_next_deadline(), now = clock_now();
	uint64_t wait = 1000000000ULL;
	struct timespec ts;

	if (next != UINT64_MAX)
		wait = next <= now ? 0
				   : (next - now < wait ? next - now : wait);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (ts.tv_nsec + wait) / 1000000000ULL;
	ts.tv_nsec = (ts.tv_nsec + wait) % 1000000000ULL;
	pthread_cond_timedwait(&tick, &twin_lock, &ts);
}

static void *ticker_main(void *arg)
{
	pthread_mutex_lock(&twin_lock);
	while (!ticker_quit) {
		if (clock_check())
			twin_time_changed(1);
		timers_fire_due();
		/* Every second, and at once when timers fired; a kick (an
		 * arm, a cancel) only moves the next wake-up. */
		status_tick();
		ticker_wait();
	}
	pthread_mutex_unlock(&twin_lock);
	return NULL;
}

int ticker_start(void)
{
	pthread_condattr_t ca;
	int err;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tick, &ca);
	pthread_cond_init(&save_wake, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&saver, NULL, saver_main, NULL);
	if (err)
		return -err;
	err = pthread_create(&ticker, NULL, ticker_main, NULL);
	return -err;
}

void ticker_stop(void)
{
	pthread_mutex_lock(&twin_lock);
	ticker_quit = 1;
	saver_quit = 1;
	pthread_cond_signal(&tick);
	pthread_cond_signal(&save_wake);
	pthread_mutex_unlock(&twin_lock);
	pthread_join(ticker, NULL);
	pthread_join(saver, NULL);
}
