// SPDX-License-Identifier: MIT
/*
 * The guard on interfaces: XDP through a bpf_link (driver mode, else
 * generic), else a tc clsact ingress filter.
 *
 * XDP goes through a link rather than the netlink attach so that the
 * kernel detaches it when pkid dies, however it dies, and so that nobody
 * can replace our program behind pkid's back.  A link cannot take an
 * interface that already runs someone else's XDP program (-EBUSY): that
 * is where the tc fallback serves.  tc filters outlive the process, so
 * guard_if_detach removes them explicitly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_link.h>

#include "guard.skel.h"
#include "guard_internal.h"
#include "core/log.h"

const char *guard_mode_name(enum guard_mode mode)
{
	switch (mode) {
	case GUARD_XDP_DRV:
		return "xdp-driver";
	case GUARD_XDP_SKB:
		return "xdp-generic";
	case GUARD_TC:
		return "tc-ingress";
	default:
		return "auto";
	}
}

unsigned int guard_prog_id(struct guard *g, enum guard_mode mode)
{
	struct bpf_program *p = mode == GUARD_TC ? g->skel->progs.guard_tc
						 : g->skel->progs.guard_xdp;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return 0;
	return info.id;
}

static int attach_xdp(struct guard *g, struct guard_if *gif, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = flags);
	int fd = bpf_link_create(bpf_program__fd(g->skel->progs.guard_xdp),
				 gif->ifindex, BPF_XDP, &o);

	if (fd < 0)
		return -errno;
	gif->link_fd = fd;
	return 0;
}

static int attach_tc(struct guard *g, struct guard_if *gif)
{
	int ret;

	gif->hook = (struct bpf_tc_hook){.sz = sizeof(gif->hook),
					 .ifindex = gif->ifindex,
					 .attach_point = BPF_TC_INGRESS};
	ret = bpf_tc_hook_create(&gif->hook);
	if (ret && ret != -EEXIST)
		return ret;
	gif->hook_created = ret == 0;
	/* handle and priority 0: the kernel picks free ones and we learn them
	 */
	gif->tc = (struct bpf_tc_opts){
		.sz = sizeof(gif->tc),
		.prog_fd = bpf_program__fd(g->skel->progs.guard_tc)};
	ret = bpf_tc_attach(&gif->hook, &gif->tc);
	if (ret) {
		if (gif->hook_created)
			bpf_tc_hook_destroy(&gif->hook);
		return ret;
	}
	/* bpf_tc_detach wants only handle and priority set. */
	gif->tc.prog_fd = 0;
	gif->tc.prog_id = 0;
	gif->tc.flags = 0;
	return 0;
}

static int attach_mode(struct guard *g, struct guard_if *gif,
		       enum guard_mode mode)
{
	gif->mode = mode;
	switch (mode) {
	case GUARD_XDP_DRV:
		return attach_xdp(g, gif, XDP_FLAGS_DRV_MODE);
	case GUARD_XDP_SKB:
		return attach_xdp(g, gif, XDP_FLAGS_SKB_MODE);
	case GUARD_TC:
		return attach_tc(g, gif);
	default:
		return -EINVAL;
	}
}

/* Attach to @name in the forced mode, or the first mode that works. */
int guard_if_attach(struct guard *g, const char *name)
{
	struct guard_if gif = {.link_fd = -1}, *ifs;
	enum guard_mode m, first = GUARD_XDP_DRV, last = GUARD_TC;
	int ret = -EINVAL;

	snprintf(gif.name, sizeof(gif.name), "%s", name);
	gif.ifindex = if_nametoindex(name);
	if (!gif.ifindex) {
		ret = -errno;
		pkid_log(LOG_WARNING, NULL, "guard: interface %s: %s", name,
			 strerror(-ret));
		return ret;
	}
	if (g->force != GUARD_AUTO)
		first = last = g->force;
	for (m = first; m <= last; m++) {
		ret = attach_mode(g, &gif, m);
		if (ret == 0)
			break;
	}
	if (ret) {
		pkid_log(LOG_WARNING, NULL, "guard: cannot attach to %s: %s",
			 name, strerror(-ret));
		return ret;
	}
	ifs = realloc(g->ifs, (g->n_ifs + 1) * sizeof(*ifs));
	if (!ifs) {
		guard_if_detach(g, &gif);
		return -ENOMEM;
	}
	g->ifs = ifs;
	g->ifs[g->n_ifs++] = gif;
	return 0;
}

void guard_if_detach(struct guard *g, struct guard_if *gif)
{
	if (gif->mode == GUARD_TC) {
		bpf_tc_detach(&gif->hook, &gif->tc);
		/*
		 * Only a qdisc we made (someone else's clsact may hold more);
		 * both hook points named is how libbpf removes the qdisc
		 * itself rather than flush one side's filters.
		 */
		if (gif->hook_created) {
			gif->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&gif->hook);
		}
	} else if (gif->link_fd >= 0) {
		close(gif->link_fd);
	}
	gif->link_fd = -1;
}

static bool is_loopback(int sock, const char *name)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 &&
	       (ifr.ifr_flags & IFF_LOOPBACK);
}

static int names_add(char ***names, size_t *n, const char *name)
{
	char **v = realloc(*names, (*n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*names = v;
	v[*n] = strdup(name);
	if (!v[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

void guard_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Every interface but loopback, as they are now. */
static int every_interface(char ***names, size_t *n)
{
	struct if_nameindex *all, *i;
	int sock, ret = 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	all = if_nameindex();
	if (!all) {
		ret = -errno;
		goto out;
	}
	for (i = all; i->if_index && ret == 0; i++)
		if (!is_loopback(sock, i->if_name))
			ret = names_add(names, n, i->if_name);
	if_freenameindex(all);
out:
	close(sock);
	return ret;
}

int guard_if_wanted(char (*named)[16], size_t n_named, char ***names, size_t *n)
{
	size_t i;
	int ret = 0;

	*names = NULL;
	*n = 0;
	if (n_named == 0)
		ret = every_interface(names, n);
	for (i = 0; i < n_named && ret == 0; i++)
		ret = names_add(names, n, named[i]);
	if (ret) {
		guard_names_free(*names, *n);
		*names = NULL;
		*n = 0;
	}
	return ret;
}
