// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for pkiksd's protocol engine (tools/pkiksd/proto*.c):
 * one datagram in, the replies out, through the real proto_serve() on a
 * SOCK_SEQPACKET socketpair — the same path a client connection takes,
 * minus accept().
 *
 * The twin runs with --lab semantics and a KEK, and holds one RSA key
 * ("FUZZKEY", sign and decrypt) so that signing, decryption, wrapping and
 * promotion are reachable.  The peer is an admin, so every command is.
 * After each input the twin is put back (keys, timers, clock: see
 * reset_twin) so that inputs do not depend on each other.
 *
 * What must hold: no crash, no sanitizer report, and every reply is a
 * well-formed netlink message (a data message, NLMSG_ERROR or NLMSG_DONE)
 * whose length fits PKIKS_MSG_MAX; every NLMSG_ERROR carries 0 or a
 * negative errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <openssl/rsa.h>

#include "pkiksd.h"
#include "tmpdir.h"

/* pkiksd's main.c defines these; the harness replaces main.c. */
pthread_mutex_t twin_lock = PTHREAD_MUTEX_INITIALIZER;
struct twin_opts twin_opts;

#define FUZZ_KEY "FUZZKEY"

static const struct peer admin = {.uid = 0, .pid = 1, .admin = 1, .member = 1};
static EVP_PKEY *fuzz_key;

static void die(const char *what)
{
	fprintf(stderr, "fuzz-pkiks: %s\n", what);
	abort();
}

/*
 * The twin as every input finds it: FUZZKEY alone in the keystore (a
 * fuzzed DELETE or PROMOTE may have moved it), no timers, and an
 * authoritative calendar clock (a fuzzed CLOCK_SET may have revoked it).
 */
static void reset_twin(void)
{
	struct twin_timer *t = NULL;
	struct twin_key *k;
	size_t n = 0;
	int err, changed;

	pthread_mutex_lock(&twin_lock);
	for (int i = keys_count() - 1; i >= 0; i--) {
		k = keys_at(i);
		if (k && strcmp(k->name, FUZZ_KEY) != 0)
			keys_delete(k->name, &admin);
	}
	if (!keys_find(FUZZ_KEY, &admin, &err)) {
		EVP_PKEY_up_ref(fuzz_key);
		if (keys_insert(FUZZ_KEY,
				PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT, 0,
				fuzz_key, 2048, 1, &admin, &k))
			die("cannot insert FUZZKEY");
	}
	if (timers_snapshot(&t, &n) == 0)
		for (size_t i = 0; i < n; i++)
			timers_cancel(t[i].owner, t[i].kind, t[i].label,
				      &admin);
	free(t);
	clock_init(1);
	if (clock_set(PKIKS_CLOCK_CALENDAR, &changed))
		die("cannot make the clock authoritative");
	pthread_mutex_unlock(&twin_lock);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char kek[PKIKS_KEK_LEN];
	const char *tmpdir = fuzz_tmpdir("pkiks");

	if (!tmpdir)
		die("mkdtemp");
	twin_opts.state_dir = tmpdir;
	twin_opts.lab = 1;
	clock_init(1);
	if (timers_load() || status_init())
		die("state dir");
	memset(kek, 0x5a, sizeof(kek));
	if (wrap_kek_set(kek, sizeof(kek)))
		die("KEK");
	fuzz_key = EVP_RSA_gen(2048);
	if (!fuzz_key)
		die("RSA key");
	reset_twin();
	return 0;
}

/* Every reply must be a sane netlink message. */
static void check_replies(int fd)
{
	unsigned char buf[PKIKS_MSG_MAX + 1];
	struct nlmsghdr *nlh;
	ssize_t n;

	for (int i = 0; i < 4096; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			return;
		if (n > PKIKS_MSG_MAX || n < (ssize_t)sizeof(*nlh))
			die("reply of impossible size");
		nlh = (struct nlmsghdr *)buf;
		if (nlh->nlmsg_len != (uint32_t)n)
			die("reply header length differs from datagram");
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			int e = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;

			if (e > 0 || e < -4095)
				die("ack with a non-errno error");
		}
	}
	die("more than 4096 replies to one datagram");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int sv[2];

	if (len > PKIKS_MSG_MAX)
		return 0; /* proto_serve refuses those by size alone */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		die("socketpair");
	/* Room for every reply: the harness reads them after serving. */
	int big = 4 * 1024 * 1024;
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (send(sv[1], data, len, 0) != (ssize_t)len)
		die("send");
	shutdown(sv[1], SHUT_WR);
	proto_serve(sv[0], &admin);
	pthread_mutex_lock(&twin_lock);
	events_unsubscribe(sv[0]);
	pthread_mutex_unlock(&twin_lock);
	close(sv[0]);
	check_replies(sv[1]);
	close(sv[1]);
	reset_twin();
	return 0;
}
