// SPDX-License-Identifier: MIT
/*
 * The enrollment-storm guard's lifecycle (see guard.h): load the BPF
 * program, keep its maps in step with pkid.conf, attach and detach.
 *
 * A reload only rewrites maps and attaches to or detaches from the
 * interfaces that changed: the program, its per-source buckets and its
 * counters survive, and traffic is never unguarded in between.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "config.h"
#include "guard.skel.h"
#include "guard_internal.h"
#include "core/log.h"

struct guard guard = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* libbpf's own chatter only on request: pkid says what matters itself. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	if (!getenv("PKID_GUARD_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int guard_set_mode(enum guard_mode mode)
{
	if (mode < GUARD_AUTO || mode > GUARD_TC)
		return -EINVAL;
	guard.force = mode;
	return 0;
}

static bool guard_wanted(const struct pkid_config *cfg)
{
	return cfg->http_enabled && cfg->rate_limit > 0;
}

static int apply_conf(struct guard *g, const struct pkid_config *cfg)
{
	struct guard_conf c = {
		.port = cfg->http_port,
		/* EST's TLS port shares each source's bucket. */
		.port2 = cfg->https_enabled ? cfg->https_port : 0,
	};
	__u32 zero = 0;

	c.rate = cfg->rate_limit < GUARD_RATE_MAX ? cfg->rate_limit
						  : GUARD_RATE_MAX;
	c.burst = cfg->rate_burst < 1		      ? 1
		  : cfg->rate_burst > GUARD_BURST_MAX ? GUARD_BURST_MAX
						      : cfg->rate_burst;
	/*
	 * One array element written in place: a SYN racing with a reload may
	 * see the old rate with the new burst, for that one SYN only.
	 */
	if (bpf_map__update_elem(g->skel->maps.guard_conf, &zero, sizeof(zero),
				 &c, sizeof(c), BPF_ANY))
		return -errno;
	g->port = c.port;
	g->port2 = c.port2;
	g->rate = c.rate;
	g->burst = c.burst;
	return 0;
}

static void prefix_key(const struct pkid_prefix *p, struct guard_lpm_key *k)
{
	memset(k, 0, sizeof(*k));
	if (p->family == AF_INET) {
		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, p->addr, 4);
		k->prefixlen = 96 + p->len;
	} else {
		memcpy(k->addr, p->addr, 16);
		k->prefixlen = p->len;
	}
}

static bool key_in(const struct guard_lpm_key *k, const struct guard_lpm_key *v,
		   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(k, &v[i], sizeof(*k)))
			return true;
	return false;
}

static void allow_text_free(struct guard *g)
{
	guard_names_free(g->allow, g->n_allow);
	g->allow = NULL;
	g->n_allow = 0;
}

/* The allow-list as written, for `show guard`. */
static int allow_text(struct guard *g, const struct pkid_config *cfg)
{
	char addr[INET6_ADDRSTRLEN], **v;
	size_t i;

	allow_text_free(g);
	v = calloc(cfg->n_rate_allow + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	g->allow = v;
	for (i = 0; i < cfg->n_rate_allow; i++) {
		const struct pkid_prefix *p = &cfg->rate_allow[i];

		inet_ntop(p->family, p->addr, addr, sizeof(addr));
		if (asprintf(&v[i], "%s/%u", addr, p->len) < 0)
			return -ENOMEM;
		g->n_allow++;
	}
	return 0;
}

/* Add the new prefixes first, then remove the old: no gap in between. */
static int apply_allow(struct guard *g, const struct pkid_config *cfg)
{
	struct bpf_map *m = g->skel->maps.guard_allow;
	struct guard_lpm_key *keys, cur, next;
	size_t i, n = cfg->n_rate_allow;
	__u8 one = 1;
	int ret = 0, steps;
	bool more;

	if (n > GUARD_MAX_ALLOW)
		return -E2BIG;
	keys = calloc(n + 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n && ret == 0; i++) {
		prefix_key(&cfg->rate_allow[i], &keys[i]);
		if (bpf_map__update_elem(m, &keys[i], sizeof(cur), &one,
					 sizeof(one), BPF_ANY))
			ret = -errno;
	}
	/* Bounded: the trie holds at most GUARD_MAX_ALLOW keys. */
	more = ret == 0 && !bpf_map__get_next_key(m, NULL, &cur, sizeof(cur));
	for (steps = 0; more && steps < 2 * GUARD_MAX_ALLOW; steps++) {
		more = !bpf_map__get_next_key(m, &cur, &next, sizeof(next));
		if (!key_in(&cur, keys, n))
			bpf_map__delete_elem(m, &cur, sizeof(cur), 0);
		cur = next;
	}
	free(keys);
	return ret ?: allow_text(g, cfg);
}

static bool name_in(const char *name, char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* Detach from interfaces no longer wanted, attach to the new ones. */
static void sync_interfaces(struct guard *g, const struct pkid_config *cfg)
{
	size_t i, kept = 0, n = 0;
	char **names = NULL;
	int ret;

	ret = guard_if_wanted(cfg->rate_ifaces, cfg->n_rate_ifaces, &names, &n);
	if (ret) {
		pkid_log(LOG_WARNING, NULL, "guard: listing interfaces: %s",
			 strerror(-ret));
		return;
	}
	for (i = 0; i < g->n_ifs; i++) {
		if (name_in(g->ifs[i].name, names, n) &&
		    if_nametoindex(g->ifs[i].name) ==
			    (unsigned)g->ifs[i].ifindex)
			g->ifs[kept++] = g->ifs[i];
		else
			guard_if_detach(g, &g->ifs[i]);
	}
	g->n_ifs = kept;
	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < g->n_ifs; j++)
			if (!strcmp(g->ifs[j].name, names[i]))
				break;
		if (j == g->n_ifs)
			guard_if_attach(g, names[i]);
	}
	guard_names_free(names, n);
}

static void guard_down(struct guard *g, const char *why)
{
	size_t i;

	for (i = 0; i < g->n_ifs; i++)
		guard_if_detach(g, &g->ifs[i]);
	free(g->ifs);
	g->ifs = NULL;
	g->n_ifs = 0;
	guard_bpf__destroy(g->skel);
	g->skel = NULL;
	allow_text_free(g);
	g->why_off = why;
}

static void say_unavailable(struct guard *g, int err)
{
	static char why[160];

	snprintf(why, sizeof(why), "BPF unavailable: %s", strerror(err));
	g->why_off = why;
	if (g->said_unavailable)
		return;
	g->said_unavailable = true;
	pkid_log(LOG_WARNING, NULL,
		 "guard: %s; serving SCEP without the kernel rate limit", why);
}

static int apply(struct guard *g, const struct pkid_config *cfg)
{
	int ret = apply_conf(g, cfg);

	ret = ret ?: apply_allow(g, cfg);
	if (ret) {
		pkid_log(LOG_ERR, NULL, "guard: updating maps: %s",
			 strerror(-ret));
		return ret;
	}
	sync_interfaces(g, cfg);
	pkid_log(LOG_INFO, NULL,
		 "guard: port %u (TLS port %u), %u SYN/s per source (burst %u), "
		 "%zu allowed prefixes, on %zu interfaces",
		 g->port, g->port2, g->rate, g->burst, g->n_allow, g->n_ifs);
	return 0;
}

static void guard_up(struct guard *g, const struct pkid_config *cfg)
{
	libbpf_set_print(libbpf_log);
	g->skel = guard_bpf__open_and_load();
	if (!g->skel) {
		say_unavailable(g, errno ? errno : EOPNOTSUPP);
		return;
	}
	g->why_off = NULL;
	if (apply(g, cfg))
		guard_down(g, "configuration could not be applied");
}

void guard_start(const struct pkid_config *cfg)
{
	pthread_mutex_lock(&guard.lock);
	if (guard.skel)
		guard_down(&guard, NULL);
	if (guard_wanted(cfg))
		guard_up(&guard, cfg);
	else
		guard.why_off = "no ip http rate-limit configured";
	pthread_mutex_unlock(&guard.lock);
}

void guard_reload_apply(const struct pkid_config *cfg)
{
	pthread_mutex_lock(&guard.lock);
	if (!guard_wanted(cfg)) {
		if (guard.skel)
			pkid_log(LOG_INFO, NULL, "guard: rate limit removed");
		guard_down(&guard, "no ip http rate-limit configured");
	} else if (!guard.skel) {
		guard_up(&guard, cfg);
	} else {
		apply(&guard, cfg); /* on failure the running setup stays */
	}
	pthread_mutex_unlock(&guard.lock);
}

void guard_stop(void)
{
	pthread_mutex_lock(&guard.lock);
	guard_down(&guard, "stopped");
	pthread_mutex_unlock(&guard.lock);
}
