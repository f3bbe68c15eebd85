// SPDX-License-Identifier: MIT
/*
 * Failed challenge passwords, counted per key (a client address, or a
 * requested subject) with a growing wait (issue 19 #5).  After the n-th
 * failure in a row a key waits min(2^(n-1) s, cap) before its challenge
 * is looked at again; a request that comes during the wait is refused
 * without the password being compared, so guessing costs time, not just
 * requests: 300 guesses from one address take hours, not a minute.
 *
 * The caps differ on purpose.  An address that keeps failing is locked for
 * up to CA_LIMIT_SOURCE_CAP; a subject only for up to CA_LIMIT_SUBJECT_CAP,
 * because anyone may name any subject and a legitimate device must not be
 * kept out for long by someone who fails in its name.  A success clears the
 * key; a key quiet for CA_LIMIT_FORGET starts again at one second.
 *
 * A fixed table (CA_LIMIT_SLOTS): a new key takes a free or forgotten slot,
 * else the one whose last failure is oldest.  Used under the CA's lock.
 * Times are milliseconds of CLOCK_MONOTONIC: neither the lab clock nor a
 * clock step lengthens or shortens a wait.
 */
#include <string.h>
#include <time.h>

#include "ca_limit.h"

static struct ca_limit_slot *find(struct ca_limit *l, const char *key,
				  int64_t now)
{
	size_t i;

	for (i = 0; i < CA_LIMIT_SLOTS; i++) {
		struct ca_limit_slot *s = &l->slot[i];

		if (!s->failures || strcmp(s->key, key))
			continue;
		if (now - s->last >= CA_LIMIT_FORGET_MS) {
			memset(s, 0, sizeof(*s));
			return NULL;
		}
		return s;
	}
	return NULL;
}

/* A slot for a new key: free, forgotten, or the oldest failure. */
static struct ca_limit_slot *take(struct ca_limit *l, const char *key,
				  int64_t now)
{
	struct ca_limit_slot *s, *old = &l->slot[0];
	size_t i;

	for (i = 0; i < CA_LIMIT_SLOTS; i++) {
		s = &l->slot[i];
		if (!s->failures || now - s->last >= CA_LIMIT_FORGET_MS) {
			old = s;
			break;
		}
		if (s->last < old->last)
			old = s;
	}
	memset(old, 0, sizeof(*old));
	snprintf(old->key, sizeof(old->key), "%s", key);
	return old;
}

void ca_limit_init(struct ca_limit *l, int64_t cap_ms)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap_ms;
}

int64_t ca_limit_wait(struct ca_limit *l, const char *key, int64_t now)
{
	struct ca_limit_slot *s = find(l, key, now);

	return s && s->until > now ? s->until - now : 0;
}

int64_t ca_limit_fail(struct ca_limit *l, const char *key, int64_t now,
		      unsigned int *failures)
{
	struct ca_limit_slot *s = find(l, key, now);
	int64_t wait = 1000;

	if (!s)
		s = take(l, key, now);
	if (s->failures < 64)
		s->failures++;
	if (s->failures > 1 && s->failures - 1 < 32)
		wait <<= s->failures - 1;
	else if (s->failures > 1)
		wait = l->cap;
	if (wait > l->cap)
		wait = l->cap;
	s->last = now;
	s->until = now + wait;
	if (failures)
		*failures = s->failures;
	return wait;
}

void ca_limit_ok(struct ca_limit *l, const char *key, int64_t now)
{
	struct ca_limit_slot *s = find(l, key, now);

	if (s)
		memset(s, 0, sizeof(*s));
}

int64_t ca_limit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
