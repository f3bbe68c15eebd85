// SPDX-License-Identifier: MIT
/*
 * pkiksd: options, hardening, the listening socket and one thread per
 * connection.
 *
 *   pkiksd --socket PATH --state-dir DIR [--group GROUP|GID]
 *          [--kek-file FILE] [--lab] [--no-status] [--foreground]
 *
 * Why a thread per connection: the client library gives each thread its
 * own connection, so a connection is a client thread; handling it on its
 * own thread makes two signers run in parallel with blocking I/O and no
 * request queue, the way the module's parallel_ops does.  Connections are
 * capped (outsiders get a few slots of their own) and threads have small
 * stacks (everything is mlocked).
 *
 * Who may do what is decided per command from the peer's credentials
 * (SO_PEERCRED, SO_PEERGROUPS at connect), as the module decides from the
 * sender's; the socket itself is open to every local user (0666) like the
 * generic netlink family, so a non-member gets the protocol's EPERM.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <openssl/crypto.h>

#include "pkiksd.h"

#define CONNECTIONS_MAX 128
#define THREAD_STACK	(256 * 1024)
#define SECURE_HEAP	(1024 * 1024)

pthread_mutex_t twin_lock = PTHREAD_MUTEX_INITIALIZER;
struct twin_opts twin_opts;

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
/* Outsiders (not members) share a few slots, so that any local user can
 * read the clock but cannot crowd out the daemon. */
#define OUTSIDERS_MAX 16
static int connections[2]; /* [0] outsiders, [1] members */

static void usage(FILE *f)
{
	fprintf(f, "usage: pkiksd --socket PATH --state-dir DIR [--group "
		   "GROUP|GID]\n"
		   "              [--kek-file FILE] [--lab] [--no-status] "
		   "[--foreground]\n");
}

static int parse_group(const char *s, gid_t *gid)
{
	struct group *g;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s && !*end && !errno) {
		*gid = (gid_t)v;
		return 0;
	}
	g = getgrnam(s);
	if (!g)
		return -ENOENT;
	*gid = g->gr_gid;
	return 0;
}

static int parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"state-dir", required_argument, NULL, 'd'},
		{"group", required_argument, NULL, 'g'},
		{"kek-file", required_argument, NULL, 'k'},
		{"lab", no_argument, NULL, 'l'},
		{"no-status", no_argument, NULL, 'n'},
		{"foreground", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0}};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			twin_opts.socket_path = optarg;
			break;
		case 'd':
			twin_opts.state_dir = optarg;
			break;
		case 'g':
			if (parse_group(optarg, &twin_opts.group)) {
				fprintf(stderr, "pkiksd: no such group: %s\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'k':
			twin_opts.kek_file = optarg;
			break;
		case 'l':
			twin_opts.lab = 1;
			break;
		case 'n':
			twin_opts.no_status = 1;
			break;
		case 'f':
			twin_opts.foreground = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc || !twin_opts.socket_path || !twin_opts.state_dir) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/*
 * Test hook: PKIKSD_TEST_PROTO=3 makes this pkiksd answer as a keystore of
 * protocol v3 (a module loaded before an upgrade), so that the clients'
 * fallbacks for an older keystore can be tested for real.  Only "3" is
 * known; any other value refuses to start rather than run as something
 * the test did not ask for.
 */
static int test_proto(void)
{
	const char *v = getenv("PKIKSD_TEST_PROTO");

	if (!v)
		return 0;
	if (strcmp(v, "3")) {
		fprintf(stderr, "pkiksd: PKIKSD_TEST_PROTO=%.16s: only 3 is "
				"known\n", v);
		return -EINVAL;
	}
	twin_opts.proto_v3 = 1;
	fprintf(stderr, "pkiksd: test hook PKIKSD_TEST_PROTO=3: answering "
			"as protocol v3 (no TIMER_GET doit, no ECDH)\n");
	return 0;
}

/*
 * Test hook: PKIKSD_TEST_KEYS_MAX=N (1..PKIKS_KEYS_MAX) holds at most N
 * keys, so a client's handling of a full keystore can be tested without
 * making 256 keys first.
 */
static int test_keys_max(void)
{
	const char *v = getenv("PKIKSD_TEST_KEYS_MAX");
	char *end;
	long n;

	if (!v)
		return 0;
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > PKIKS_KEYS_MAX) {
		fprintf(stderr, "pkiksd: PKIKSD_TEST_KEYS_MAX=%.16s: not 1..%d\n",
			v, PKIKS_KEYS_MAX);
		return -EINVAL;
	}
	twin_opts.keys_max = (int)n;
	fprintf(stderr, "pkiksd: test hook PKIKSD_TEST_KEYS_MAX=%ld: at most "
			"%ld keys\n", n, n);
	return 0;
}

/* No core dumps, no ptrace by others, key memory never swapped. */
static void harden(void)
{
	struct rlimit none = {0, 0};

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &none);
	/* Private key BIGNUMs and the KEK live here: locked, cleared on free.
	 */
	if (!CRYPTO_secure_malloc_init(SECURE_HEAP, 16))
		fprintf(stderr, "pkiksd: warning: no OpenSSL secure heap\n");
#ifdef __SANITIZE_ADDRESS__
	/* ASan's terabytes of shadow mappings cannot be locked. */
	fprintf(stderr, "pkiksd: warning: ASan build, no mlockall\n");
	if (0)
#else
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
#endif
		fprintf(stderr,
			"pkiksd: warning: mlockall: %s (key material stays "
			"in the locked secure heap)\n",
			strerror(errno));
}

static int listen_socket(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	/* A stale socket from a previous run; never remove anything else. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0666) || listen(fd, 64)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Membership: uid 0, or --group among the peer's groups. */
static void peer_rights(int fd, struct peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[512];
	int i, n;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return;
	p->uid = cred.uid;
	p->pid = cred.pid;
	p->admin = cred.uid == 0;
	p->member = p->admin;
	if (p->member || !twin_opts.group)
		return;
	if (cred.gid == twin_opts.group)
		p->member = 1;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return;
	n = len / sizeof(gid_t);
	for (i = 0; i < n; i++)
		if (groups[i] == twin_opts.group)
			p->member = 1;
}

struct conn {
	int fd;
	struct peer who;
};

static int conn_reserve(int member)
{
	int max = member ? CONNECTIONS_MAX - OUTSIDERS_MAX : OUTSIDERS_MAX;
	int ok;

	pthread_mutex_lock(&conn_lock);
	ok = connections[member] < max;
	if (ok)
		connections[member]++;
	pthread_mutex_unlock(&conn_lock);
	return ok;
}

static void conn_release(int member)
{
	pthread_mutex_lock(&conn_lock);
	connections[member]--;
	pthread_mutex_unlock(&conn_lock);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;

	proto_serve(c->fd, &c->who);
	pthread_mutex_lock(&twin_lock);
	events_unsubscribe(c->fd);
	pthread_mutex_unlock(&twin_lock);
	close(c->fd);
	conn_release(c->who.member);
	free(c);
	return NULL;
}

static void conn_start(int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (!c)
		goto fail;
	c->fd = fd;
	peer_rights(fd, &c->who);
	if (!conn_reserve(c->who.member)) {
		fprintf(stderr,
			"pkiksd: uid %u refused: too many connections\n",
			(unsigned)c->who.uid);
		goto fail;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &attr, conn_main, c);
	pthread_attr_destroy(&attr);
	if (err) {
		conn_release(c->who.member);
		goto fail;
	}
	return;
fail:
	free(c);
	close(fd);
}

/*
 * Which signal stops us and who sent it, in the log: a keystore that
 * vanishes under a test is then traced to its sender (a stale pid killed
 * by someone's cleanup once the pid space wrapped, say).
 */
static void say_stop_signal(int sfd)
{
	struct signalfd_siginfo si;
	char path[40], comm[32] = "?";
	FILE *f;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	snprintf(path, sizeof(path), "/proc/%u/comm", si.ssi_pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	fprintf(stderr, "pkiksd: %s from pid %u (%s, uid %u)\n",
		strsignal(si.ssi_signo), si.ssi_pid, comm, si.ssi_uid);
}

/* Accept until SIGTERM/SIGINT/SIGHUP. */
static void serve(int lfd, int sfd)
{
	struct pollfd pfd[2] = {{.fd = lfd, .events = POLLIN},
				{.fd = sfd, .events = POLLIN}};
	int fd;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents) {
			say_stop_signal(sfd);
			break;
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			conn_start(fd);
	}
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Before any thread starts, so only the signalfd sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int load_state(void)
{
	int err;

	if (mkdir(twin_opts.state_dir, 0755) && errno != EEXIST)
		return -errno;
	clock_init(twin_opts.lab);
	err = timers_load();
	/* Without status_init() every status_* call does nothing. */
	if (!err && !twin_opts.no_status)
		err = status_init();
	if (!err && twin_opts.kek_file)
		err = wrap_kek_load(twin_opts.kek_file);
	if (!err) {
		pthread_mutex_lock(&twin_lock);
		status_write();
		pthread_mutex_unlock(&twin_lock);
	}
	return err;
}

int main(int argc, char **argv)
{
	int lfd, sfd, err;

	if (parse_opts(argc, argv) || test_proto() || test_keys_max())
		return 2;
	harden();
	err = load_state();
	if (err) {
		fprintf(stderr, "pkiksd: state in %s: %s\n",
			twin_opts.state_dir, strerror(-err));
		return 1;
	}
	lfd = listen_socket(twin_opts.socket_path);
	if (lfd < 0) {
		fprintf(stderr, "pkiksd: %s: %s\n", twin_opts.socket_path,
			strerror(-lfd));
		return 1;
	}
	if (!twin_opts.foreground && daemon(1, 1)) {
		perror("pkiksd: daemon");
		return 1;
	}
	sfd = block_signals();
	if (sfd < 0 || ticker_start()) {
		fprintf(stderr, "pkiksd: cannot start\n");
		return 1;
	}
	fprintf(stderr, "pkiksd: serving %s (state %s%s)\n",
		twin_opts.socket_path, twin_opts.state_dir,
		twin_opts.lab ? ", lab clock" : "");
	serve(lfd, sfd);
	ticker_stop();
	timers_save();
	unlink(twin_opts.socket_path);
	fprintf(stderr, "pkiksd: stopped\n");
	return 0;
}
