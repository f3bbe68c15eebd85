// SPDX-License-Identifier: MIT
/*
 * `show guard [N]`: the guard's setup, its totals, and the N sources
 * (default 10) that sent the most SYNs, from the BPF maps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "core/ctl.h"
#include "guard.skel.h"
#include "guard_internal.h"

#define SHOW_TOP_DEFAULT 10
#define SHOW_TOP_MAX	 1000

struct talker {
	struct guard_addr addr;
	struct guard_source s;
};

static void addr_text(const struct guard_addr *a, char *buf, size_t len)
{
	if (a->w[0] == 0 && a->w[1] == 0 && a->w[2] == htonl(0xffff))
		inet_ntop(AF_INET, &a->w[3], buf, len);
	else
		inet_ntop(AF_INET6, a->w, buf, len);
}

/* The per-CPU totals, summed. */
static int read_totals(struct guard *g, struct guard_totals *sum)
{
	int i, ncpu = libbpf_num_possible_cpus();
	struct guard_totals *v;
	__u32 zero = 0;
	int ret = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map__lookup_elem(g->skel->maps.guard_totals, &zero,
				 sizeof(zero), v, ncpu * sizeof(*v), 0)) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < ncpu; i++) {
		sum->passed += v[i].passed;
		sum->dropped += v[i].dropped;
		sum->allowed += v[i].allowed;
		sum->untracked += v[i].untracked;
	}
out:
	free(v);
	return ret;
}

static int by_syns(const void *a, const void *b)
{
	const struct talker *x = a, *y = b;
	__u64 nx = x->s.passed + x->s.dropped, ny = y->s.passed + y->s.dropped;

	return nx < ny ? 1 : nx > ny ? -1 : 0;
}

/* Every tracked source, most SYNs first.  Bounded by the map's size. */
static int read_sources(struct guard *g, struct talker **out, size_t *n)
{
	struct bpf_map *m = g->skel->maps.guard_sources;
	struct guard_addr cur, next;
	struct talker *t;
	bool more;

	*n = 0;
	*out = t = calloc(GUARD_MAX_SOURCES, sizeof(*t));
	if (!t)
		return -ENOMEM;
	more = !bpf_map__get_next_key(m, NULL, &cur, sizeof(cur));
	while (more && *n < GUARD_MAX_SOURCES) {
		more = !bpf_map__get_next_key(m, &cur, &next, sizeof(next));
		/* an entry the LRU evicted meanwhile is simply skipped */
		if (!bpf_map__lookup_elem(m, &cur, sizeof(cur), &t[*n].s,
					  sizeof(t[*n].s), 0))
			t[(*n)++].addr = cur;
		cur = next;
	}
	qsort(t, *n, sizeof(*t), by_syns);
	return 0;
}

static json_t *json_setup(struct guard *g)
{
	json_t *ifs = json_array(), *allow = json_array();
	size_t i;

	for (i = 0; i < g->n_ifs; i++)
		json_array_append_new(
			ifs,
			json_pack(
				"{s:s, s:s, s:I}", "name", g->ifs[i].name,
				"mode", guard_mode_name(g->ifs[i].mode),
				"prog_id",
				(json_int_t)guard_prog_id(g, g->ifs[i].mode)));
	for (i = 0; i < g->n_allow; i++)
		json_array_append_new(allow, json_string(g->allow[i]));
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:o, s:o}", "enabled", 1,
			 "port", (json_int_t)g->port, "tls_port",
			 (json_int_t)g->port2, "rate", (json_int_t)g->rate,
			 "burst", (json_int_t)g->burst, "interfaces", ifs,
			 "allow", allow);
}

static void text_setup(struct guard *g, struct ctl_reply *r)
{
	size_t i;

	ctl_reply_printf(r, "Guard: port %u, %u SYN/s per source, burst %u\n",
			 g->port, g->rate, g->burst);
	if (g->port2)
		ctl_reply_printf(r, "  and the TLS port %u (the same buckets)\n",
				 g->port2);
	for (i = 0; i < g->n_ifs; i++)
		ctl_reply_printf(r, "  on %s (%s, program %u)\n",
				 g->ifs[i].name,
				 guard_mode_name(g->ifs[i].mode),
				 guard_prog_id(g, g->ifs[i].mode));
	for (i = 0; i < g->n_allow; i++)
		ctl_reply_printf(r, "  allow %s\n", g->allow[i]);
}

static void show_totals(const struct guard_totals *t, size_t n_sources,
			json_t *res, struct ctl_reply *r)
{
	json_object_set_new(res, "totals",
			    json_pack("{s:I, s:I, s:I, s:I}", "passed",
				      (json_int_t)t->passed, "dropped",
				      (json_int_t)t->dropped, "allowed",
				      (json_int_t)t->allowed, "untracked",
				      (json_int_t)t->untracked));
	json_object_set_new(res, "sources", json_integer(n_sources));
	ctl_reply_printf(r,
			 "SYNs: %llu passed, %llu dropped, %llu allowed, "
			 "%llu untracked; %zu sources tracked\n",
			 (unsigned long long)t->passed,
			 (unsigned long long)t->dropped,
			 (unsigned long long)t->allowed,
			 (unsigned long long)t->untracked, n_sources);
}

static void show_top(const struct talker *t, size_t n, json_t *res,
		     struct ctl_reply *r)
{
	json_t *top = json_array();
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	if (n)
		ctl_reply_printf(r, "%-40s %12s %12s\n", "Top source", "Passed",
				 "Dropped");
	for (i = 0; i < n; i++) {
		addr_text(&t[i].addr, addr, sizeof(addr));
		ctl_reply_printf(r, "%-40s %12llu %12llu\n", addr,
				 (unsigned long long)t[i].s.passed,
				 (unsigned long long)t[i].s.dropped);
		json_array_append_new(
			top, json_pack("{s:s, s:I, s:I}", "source", addr,
				       "passed", (json_int_t)t[i].s.passed,
				       "dropped", (json_int_t)t[i].s.dropped));
	}
	json_object_set_new(res, "top", top);
}

static int parse_top(const struct ctl_request *req, struct ctl_reply *reply,
		     size_t *top)
{
	const char *a = ctl_arg(req, 0);
	char *end;
	long v;

	*top = SHOW_TOP_DEFAULT;
	if (ctl_argc(req) == 0)
		return 0;
	if (!a) /* not a string; the count is the table's */
		return ctl_reply_error(reply, -EINVAL, "usage: show guard [N]");
	v = strtol(a, &end, 10);
	if (*end || end == a || v < 0 || v > SHOW_TOP_MAX)
		return ctl_reply_error(reply, -EINVAL,
				       "show guard: N must be 0 to %d",
				       SHOW_TOP_MAX);
	*top = v;
	return 0;
}

static int show_running(struct guard *g, size_t top, struct ctl_reply *r)
{
	struct talker *t = NULL;
	struct guard_totals tot;
	size_t n;
	int ret;

	ret = read_totals(g, &tot);
	ret = ret ?: read_sources(g, &t, &n);
	if (ret)
		goto out;
	r->result = json_setup(g);
	text_setup(g, r);
	show_totals(&tot, n, r->result, r);
	show_top(t, n < top ? n : top, r->result, r);
out:
	free(t);
	return ret ? ctl_reply_error(r, ret, "reading the guard's maps: %s",
				     strerror(-ret))
		   : 0;
}

static int show_guard(const struct ctl_request *req, struct ctl_reply *reply,
		      void *arg)
{
	struct guard *g = arg;
	size_t top;
	int ret = parse_top(req, reply, &top);

	if (ret)
		return ret;
	pthread_mutex_lock(&g->lock);
	if (g->skel) {
		ret = show_running(g, top, reply);
	} else {
		const char *why = g->why_off ? g->why_off : "not started";

		reply->result =
			json_pack("{s:b, s:s}", "enabled", 0, "reason", why);
		ctl_reply_printf(reply, "Guard: off (%s)\n", why);
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

/* The SCEP rate limit, its totals and the N sources with the most SYNs. */
static const struct ctl_verb guard_verbs[] = {
	{"show guard", 0, "[N]", 0, 1, show_guard},
};

int guard_ctl_register(struct ctl_server *srv)
{
	return CTL_REGISTER_VERBS(srv, guard_verbs, &guard);
}
