// SPDX-License-Identifier: MIT
/*
 * The status tree under <state-dir>/status, laid out like the module's
 * /sys/kernel/pkiks: one value per file, rewritten atomically (write then
 * rename) by the ticker every second and after every change.
 *
 *   clock/{authoritative,source,now,since,steps}
 *   timers/<owner>/<KIND_SYSFS>/{deadline,remaining,state}
 *   timers/<owner>/GENERIC:<label>/{deadline,remaining,state,label}
 *
 * Times in ns since the epoch; remaining in ns (0 once passed).  Timer
 * directories that no longer match a timer are removed.  Under twin_lock.
 *
 * Cost: the tree is rewritten after every change and every second, so a
 * pass writes only what differs from the last pass (remembered per timer
 * in `written`, and for the clock in `clock_written`): deadline and state
 * when they change, remaining when its whole seconds change, the clock's
 * files when they change (now: every pass), and removes the directories
 * of timers gone since then.  The directory scan for leftovers runs once,
 * at the first pass.  Thousands of timers (tools/sim) then cost a compare
 * each, not four file writes and a scan of every directory.
 *
 * An arm or a cancel changes one timer: status_timer() rewrites (or
 * removes) that timer's directory and clock/now only, before the reply,
 * so what a client reads after its acknowledged change is there.  The
 * whole tree is written when the clock changes (authority, the lab
 * clock), when timers fire (status_dirty: at the ticker's next pass,
 * right after), and by the ticker once a second (status_tick) for the
 * remaining times -- no longer once more after every arm and cancel.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pkiksd.h"

static char root[4096];

/* What the last pass wrote for one timer directory. */
struct written {
	char owner[PKIKS_NAME_MAX];
	char dir[PKIKS_TIMER_DIR_MAX];
	uint64_t deadline, remaining_s;
	enum pkiks_timer_state state;
	unsigned int pass; /* the last pass that saw the timer */
	int used;
	int gone; /* removed by status_timer(); forget_gone drops it */
};

/* Open addressing, twice the timer table: never full. */
#define WRITTEN_SLOTS (2 * PKIKS_TIMERS_MAX)
static struct written *written;
static unsigned int pass;
static int scanned; /* leftovers of an earlier run removed */
/* The clock's files as last written (valid once clock_written is set). */
static struct pkiks_clock clock_last;
static int clock_written;
/* status_tick: a full pass is due (timers fired), and when the last one
 * ran (CLOCK_MONOTONIC ns). */
static int dirty;
static uint64_t last_full_ns;

static int mkdir_p(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int status_init(void)
{
	char path[4200];
	int err;

	snprintf(root, sizeof(root), "%s/status", twin_opts.state_dir);
	err = mkdir_p(root);
	snprintf(path, sizeof(path), "%s/clock", root);
	if (!err)
		err = mkdir_p(path);
	snprintf(path, sizeof(path), "%s/timers", root);
	if (!err)
		err = mkdir_p(path);
	return err;
}

/* dir/name holds @s and a newline, replaced at once (tmp + rename). */
static void write_string(const char *dir, const char *name, const char *s)
{
	char path[4400], tmp[4500];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", s);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void write_value(const char *dir, const char *name,
			unsigned long long v)
{
	char s[32];

	snprintf(s, sizeof(s), "%llu", v);
	write_string(dir, name, s);
}

/* The clock's files that changed since the last write (now: always). */
static void write_clock(void)
{
	const struct pkiks_clock *o = &clock_last;
	struct pkiks_clock c;
	char dir[4200];
	int all = !clock_written;

	clock_snapshot(&c);
	snprintf(dir, sizeof(dir), "%s/clock", root);
	if (all || c.authoritative != o->authoritative)
		write_value(dir, "authoritative", c.authoritative);
	if (all || c.source != o->source)
		write_string(dir, "source", pkiks_clock_source_name(c.source));
	write_value(dir, "now", c.now_ns);
	if (all || c.since_ns != o->since_ns)
		write_value(dir, "since", c.since_ns);
	if (all || c.steps != o->steps)
		write_value(dir, "steps", c.steps);
	clock_last = c;
	clock_written = 1;
}

static struct written *written_slot(const char *owner, const char *dir)
{
	uint32_t h = 2166136261u;
	const char *p;
	size_t i;

	for (p = owner; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (p = dir; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (i = h % WRITTEN_SLOTS;; i = (i + 1) % WRITTEN_SLOTS) {
		struct written *w = &written[i];

		if (!w->used || (!strcmp(w->owner, owner) && !strcmp(w->dir, dir)))
			return w;
	}
}

static void write_timer(const struct twin_timer *t, uint64_t now)
{
	char dir[4400], name[PKIKS_TIMER_DIR_MAX];
	struct written *w;
	uint64_t left = 0;
	int fresh;

	if (pkiks_timer_dir_name(t->kind, t->label, name, sizeof(name)))
		return;
	w = written_slot(t->owner, name);
	fresh = !w->used || w->gone;
	if (t->state == PKIKS_TIMER_ARMED && t->deadline > now)
		left = t->deadline - now;
	if (t->state == PKIKS_TIMER_WAITING)
		left = t->deadline > now ? t->deadline - now : 0;
	w->pass = pass;
	if (!fresh && w->deadline == t->deadline && w->state == t->state &&
	    w->remaining_s == left / 1000000000ULL)
		return;
	snprintf(dir, sizeof(dir), "%s/timers/%s", root, t->owner);
	if (fresh)
		mkdir_p(dir);
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s", name);
	if (fresh) {
		mkdir_p(dir);
		if (t->label[0])
			write_string(dir, "label", t->label);
		snprintf(w->owner, sizeof(w->owner), "%s", t->owner);
		snprintf(w->dir, sizeof(w->dir), "%s", name);
		w->used = 1;
		w->gone = 0;
	}
	if (fresh || w->deadline != t->deadline)
		write_value(dir, "deadline", t->deadline);
	write_value(dir, "remaining", left);
	if (fresh || w->state != t->state)
		write_string(dir, "state", pkiks_timer_state_name(t->state));
	w->deadline = t->deadline;
	w->state = t->state;
	w->remaining_s = left / 1000000000ULL;
}

static int listed(const struct twin_timer *all, size_t n, const char *owner,
		  const char *dir)
{
	char name[PKIKS_TIMER_DIR_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(all[i].owner, owner))
			continue;
		if (!dir)
			return 1;
		if (!pkiks_timer_dir_name(all[i].kind, all[i].label, name,
					  sizeof(name)) &&
		    !strcmp(name, dir))
			return 1;
	}
	return 0;
}

static void remove_dir_files(const char *dir)
{
	static const char *const files[] = {"deadline", "remaining", "state",
					    "label"};
	char path[4600];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Remove timers/<owner>/<kind> directories of timers that are gone. */
static void prune(const struct twin_timer *all, size_t n)
{
	char base[4200], odir[4400], kdir[4500];
	struct dirent *o, *k;
	DIR *od, *kd;

	snprintf(base, sizeof(base), "%s/timers", root);
	od = opendir(base);
	if (!od)
		return;
	while ((o = readdir(od))) {
		if (o->d_name[0] == '.')
			continue;
		if (snprintf(odir, sizeof(odir), "%s/%s", base, o->d_name) >=
		    (int)sizeof(odir))
			continue;
		kd = opendir(odir);
		if (!kd)
			continue;
		while ((k = readdir(kd))) {
			if (k->d_name[0] == '.' ||
			    listed(all, n, o->d_name, k->d_name))
				continue;
			if (snprintf(kdir, sizeof(kdir), "%s/%s", odir,
				     k->d_name) < (int)sizeof(kdir))
				remove_dir_files(kdir);
		}
		closedir(kd);
		if (!listed(all, n, o->d_name, NULL))
			rmdir(odir);
	}
	closedir(od);
}

/* Timers not seen in this pass are gone: remove their directories and
 * rebuild the table without them (open addressing has no plain delete). */
static void forget_gone(void)
{
	struct written *old = written;
	char odir[4400], kdir[4500];
	size_t i, gone = 0;

	for (i = 0; i < WRITTEN_SLOTS; i++)
		gone += old[i].used && old[i].pass != pass;
	if (!gone)
		return;
	written = calloc(WRITTEN_SLOTS, sizeof(*written));
	if (!written) {
		written = old; /* try again at the next pass */
		return;
	}
	for (i = 0; i < WRITTEN_SLOTS; i++) {
		if (!old[i].used)
			continue;
		if (old[i].pass == pass) {
			*written_slot(old[i].owner, old[i].dir) = old[i];
			continue;
		}
		snprintf(odir, sizeof(odir), "%s/timers/%s", root, old[i].owner);
		snprintf(kdir, sizeof(kdir), "%s/%s", odir, old[i].dir);
		remove_dir_files(kdir);
		rmdir(odir); /* fails while the owner has other timers */
	}
	free(old);
}

static uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int status_ready(void)
{
	if (!root[0])
		return 0;
	if (!written && !(written = calloc(WRITTEN_SLOTS, sizeof(*written))))
		return 0;
	return 1;
}

void status_timer(const char *owner, enum pkiks_timer_kind kind,
		  const char *label)
{
	char odir[4400], kdir[4500], name[PKIKS_TIMER_DIR_MAX];
	struct twin_timer t;
	struct written *w;

	if (!status_ready())
		return;
	write_clock();
	if (!timers_get(owner, kind, label, &t)) {
		write_timer(&t, clock_now());
		return;
	}
	/* Gone: its directory goes now; the next full pass forgets it. */
	if (pkiks_timer_dir_name(kind, label, name, sizeof(name)))
		return;
	w = written_slot(owner, name);
	if (!w->used || w->gone)
		return;
	w->gone = 1;
	snprintf(odir, sizeof(odir), "%s/timers/%s", root, owner);
	snprintf(kdir, sizeof(kdir), "%s/%s", odir, name);
	remove_dir_files(kdir);
	rmdir(odir); /* fails while the owner has other timers */
}

void status_dirty(void)
{
	dirty = 1;
}

void status_tick(void)
{
	uint64_t now = mono_now_ns();

	if (dirty || now - last_full_ns >= 1000000000ULL)
		status_write();
}

void status_write(void)
{
	struct twin_timer *all;
	uint64_t now;
	size_t n, i;

	if (!status_ready())
		return;
	dirty = 0;
	last_full_ns = mono_now_ns();
	write_clock();
	if (timers_snapshot(&all, &n))
		return;
	now = clock_now();
	pass++;
	for (i = 0; i < n; i++)
		write_timer(&all[i], now);
	if (!scanned) {
		prune(all, n);
		scanned = 1;
	}
	forget_gone();
	free(all);
}
