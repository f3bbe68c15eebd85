// SPDX-License-Identifier: MIT
/*
 * pkiks-vmtest fuzz: COUNT random and malformed messages at the pkiks
 * family over a raw generic netlink socket.  Most are aimed: the right
 * family, a real command, attributes of real types with lengths at and
 * around each policy's limits; the rest are noise (random types, bad
 * header lengths, nested flags, dumps).  Replies are drained without
 * waiting so the kernel sees a steady stream.  The caller checks that the
 * kernel is alive and that dmesg stays clean.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <sys/socket.h>

#include "vmtest.h"

#define FUZZ_MSG_MAX 4096

static uint64_t rng_state;

static uint32_t rnd(void) /* xorshift64*: reproducible from the seed */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static int resolve_family(void)
{
	struct nl_sock *nl = nl_socket_alloc();
	int id = -ENOMEM;

	if (!nl)
		return id;
	id = genl_connect(nl) ? -ECONNREFUSED
			      : genl_ctrl_resolve(nl, PKIKS_GENL_NAME);
	nl_socket_free(nl);
	return id < 0 ? -ENOENT : id;
}

/* A length near the limits the policy cares about. */
static uint16_t pick_len(void)
{
	static const uint16_t lens[] = {0,   1,	  2,   3,   4,	 7,    8,
					9,   19,  20,  31,  32,	 33,   48,
					63,  64,  65,  86,  103, 255,  256,
					257, 511, 512, 513, 514, 1024, 2000};

	return rnd() % 4 ? lens[rnd() % (sizeof(lens) / sizeof(lens[0]))]
			 : rnd() % 600;
}

/* Payload: random bytes, a valid-looking name, or a small integer. */
static void fill_payload(unsigned char *p, uint16_t len)
{
	static const char alphabet[] = "ABCZabz019._-#";
	uint16_t i;

	switch (rnd() % 4) {
	case 0: /* name-like, NUL-terminated */
		for (i = 0; i + 1 < len; i++)
			p[i] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		if (len)
			p[len - 1] = 0;
		break;
	case 1: /* small integer */
		memset(p, 0, len);
		if (len)
			p[0] = rnd() % 10;
		break;
	default:
		for (i = 0; i < len; i++)
			p[i] = rnd();
	}
}

static size_t build_msg(unsigned char *buf, int family, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(nlh + 1);
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	int nattrs = rnd() % 9, i;

	memset(buf, 0, off);
	nlh->nlmsg_type = rnd() % 50 ? (uint32_t)family : rnd() % 0x40;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (rnd() % 8 == 0)
		nlh->nlmsg_flags |= NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g->cmd = rnd() % (PKIKS_CMD_MAX + 3);
	g->version = rnd() % 16 ? PKIKS_GENL_VERSION : rnd() % 256;
	g->reserved = rnd() % 32 ? 0 : rnd();
	for (i = 0; i < nattrs; i++) {
		struct nlattr *a = (struct nlattr *)(buf + off);
		uint16_t len = pick_len();

		if (off + NLA_HDRLEN + NLA_ALIGN(len) > FUZZ_MSG_MAX)
			break;
		a->nla_type =
			rnd() % 16 ? 1 + rnd() % (PKIKS_ATTR_MAX + 2) : rnd();
		if (rnd() % 16 == 0)
			a->nla_type |= NLA_F_NESTED;
		a->nla_len = NLA_HDRLEN + len;
		if (rnd() % 32 == 0)
			a->nla_len = rnd() % (NLA_HDRLEN + len + 8);
		fill_payload((unsigned char *)a + NLA_HDRLEN, len);
		off += NLA_HDRLEN + NLA_ALIGN(len);
	}
	nlh->nlmsg_len = off;
	if (rnd() % 32 == 0) /* lie about the total length */
		nlh->nlmsg_len = rnd() % (off + 16);
	return off;
}

/* Answers by errno (0: success), to show how deep the messages got. */
static unsigned long answers[256];

static void tally(const unsigned char *buf, ssize_t n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int err;

	for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		err = -((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
		answers[err >= 0 && err < 256 ? err : 255]++;
	}
}

static void drain(int fd)
{
	static unsigned char rbuf[65536];
	ssize_t n;

	while ((n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT)) > 0)
		tally(rbuf, n);
}

static void print_answers(void)
{
	int i;

	printf("fuzz: acks by errno:");
	for (i = 0; i < 256; i++)
		if (answers[i])
			printf(" %s=%lu", i ? strerrorname_np(i) ?: "?" : "OK",
			       answers[i]);
	printf("\n");
}

int cmd_fuzz(int argc, char **argv)
{
	unsigned long count = strtoul(argv[0], NULL, 10), i, sent = 0;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	static unsigned char buf[FUZZ_MSG_MAX];
	int family, fd, one = 1;
	size_t len;

	rng_state = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
	family = resolve_family();
	if (family < 0)
		return family;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	for (i = 0; i < count; i++) {
		len = build_msg(buf, family, i);
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel)) >= 0)
			sent++;
		if (i % 64 == 63)
			drain(fd);
	}
	drain(fd);
	close(fd);
	printf("fuzz: %lu messages, %lu accepted by the socket\n", count, sent);
	print_answers();
	return 0;
}
