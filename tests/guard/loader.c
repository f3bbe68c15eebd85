// SPDX-License-Identifier: MIT
/*
 * pkid-guard-test: the guard driven exactly as pkid drives it, without the
 * CA, so its data path can be tested on its own.
 *
 *   pkid-guard-test -c CONF -S CTL_SOCKET [-m auto|xdp-driver|xdp-generic|tc]
 *
 * Reads CONF (pkid.conf syntax: ip http server, ip http rate-limit ...),
 * serves `show guard` on CTL_SOCKET, starts the guard, prints "ready".
 * SIGHUP re-reads CONF and reloads (a broken file keeps the running
 * setup); SIGTERM or SIGINT stops the guard and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "core/ctl.h"
#include "guard/guard.h"

static const char *const mode_names[] = {
	[GUARD_AUTO] = "auto",
	[GUARD_XDP_DRV] = "xdp-driver",
	[GUARD_XDP_SKB] = "xdp-generic",
	[GUARD_TC] = "tc",
};

static int parse_mode(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i]))
			return guard_set_mode(i);
	return -EINVAL;
}

static int signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static void reload(const char *conf, struct pkid_config **cfg)
{
	struct pkid_config *next;

	if (pkid_config_load(conf, &next, NULL, NULL) < 0) {
		fprintf(stderr,
			"pkid-guard-test: %s: keeping the running "
			"configuration\n",
			conf);
		return;
	}
	guard_reload_apply(next);
	pkid_config_free(*cfg);
	*cfg = next;
	printf("reloaded\n");
	fflush(stdout);
}

static int serve(const char *conf, struct pkid_config **cfg, int sigfd)
{
	struct signalfd_siginfo si;

	for (;;) {
		if (read(sigfd, &si, sizeof(si)) != sizeof(si)) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (si.ssi_signo != SIGHUP)
			return 0;
		reload(conf, cfg);
	}
}

int main(int argc, char **argv)
{
	struct ctl_server_opts o = {.version = "guard-test"};
	struct pkid_config *cfg = NULL;
	struct ctl_server *ctl = NULL;
	const char *conf = NULL;
	int c, sigfd, ret = 1;

	while ((c = getopt(argc, argv, "c:S:m:")) != -1) {
		if (c == 'c')
			conf = optarg;
		else if (c == 'S')
			o.path = optarg;
		else if (c != 'm' || parse_mode(optarg) < 0)
			goto usage;
	}
	if (!conf || !o.path || optind != argc)
		goto usage;
	sigfd = signals_fd();
	if (sigfd < 0 || pkid_config_load(conf, &cfg, NULL, NULL) < 0)
		return 1;
	if (ctl_server_create(&ctl, &o) < 0 || guard_ctl_register(ctl) < 0 ||
	    ctl_server_start(ctl) < 0) {
		fprintf(stderr, "pkid-guard-test: control socket %s failed\n",
			o.path);
		goto out;
	}
	guard_start(cfg);
	printf("ready\n");
	fflush(stdout);
	ret = serve(conf, &cfg, sigfd) < 0;
	guard_stop();
out:
	if (ctl)
		ctl_server_destroy(ctl);
	pkid_config_free(cfg);
	close(sigfd);
	return ret;
usage:
	fprintf(stderr, "usage: pkid-guard-test -c CONF -S CTL_SOCKET "
			"[-m auto|xdp-driver|xdp-generic|tc]\n");
	return 1;
}
