// SPDX-License-Identifier: MIT
/*
 * pkiks-vmtest malformed: hand-made bad requests, each of which must get
 * a precise error in the netlink ack: the policy (strict validation,
 * exact and maximum lengths, ranges, reply-only attributes), the
 * handlers' own checks (missing attributes, names, digest lengths) and
 * unknown commands.  Prints one line per case; fails if any case got
 * another answer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "vmtest.h"

struct raw_msg {
	unsigned char buf[2048];
	size_t len;
};

static void msg_init(struct raw_msg *m, int family, int cmd)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(nlh + 1);

	memset(m, 0, sizeof(*m));
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	g->cmd = cmd;
	g->version = PKIKS_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* An attribute whose header claims claim_len bytes of payload (+4). */
static void msg_attr_raw(struct raw_msg *m, int type, const void *data,
			 size_t len, size_t claim_len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + claim_len;
	memcpy(a + 1, data, len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
}

static void msg_attr(struct raw_msg *m, int type, const void *data, size_t len)
{
	msg_attr_raw(m, type, data, len, len);
}

static void msg_u32(struct raw_msg *m, int type, uint32_t v)
{
	msg_attr(m, type, &v, sizeof(v));
}

static void msg_str(struct raw_msg *m, int type, const char *s)
{
	msg_attr(m, type, s, strlen(s) + 1);
}

/* Sends m, returns the ack's error (0 or -errno), or a local error. */
static int exchange(int fd, struct raw_msg *m)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	unsigned char rbuf[8192];
	struct nlmsghdr *nlh;
	ssize_t n;
	int i;

	((struct nlmsghdr *)m->buf)->nlmsg_len = m->len;
	if (sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (i = 0; i < 16; i++) { /* skip replies, stop at the ack */
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n))
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nlh))
					->error;
	}
	return -EPROTO;
}

struct bad_case {
	const char *what;
	int cmd;
	void (*build)(struct raw_msg *m);
	int want1, want2; /* accepted errors (negative) */
};

static void b_none(struct raw_msg *m)
{
	(void)m;
}
static void b_unknown_attr(struct raw_msg *m)
{
	msg_u32(m, PKIKS_ATTR_MAX + 1, 1);
}
static void b_name_no_nul(struct raw_msg *m)
{
	msg_attr(m, PKIKS_ATTR_KEY_NAME, "CA", 2);
}
static void b_name_long(struct raw_msg *m)
{
	char s[PKIKS_NAME_MAX + 1];

	memset(s, 'A', PKIKS_NAME_MAX);
	s[PKIKS_NAME_MAX] = 0;
	msg_str(m, PKIKS_ATTR_KEY_NAME, s);
}
static void b_name_bad(struct raw_msg *m)
{
	msg_str(m, PKIKS_ATTR_KEY_NAME, "C A");
}
static void b_name_hash2(struct raw_msg *m)
{
	msg_str(m, PKIKS_ATTR_KEY_NAME, "CA##");
}
static void b_sign_short_digest(struct raw_msg *m)
{
	unsigned char d[19] = {0};

	msg_str(m, PKIKS_ATTR_KEY_NAME, "CA");
	msg_u32(m, PKIKS_ATTR_HASH, PKIKS_HASH_SHA1);
	msg_attr(m, PKIKS_ATTR_DIGEST, d, sizeof(d));
}
static void b_sign_hash0(struct raw_msg *m)
{
	unsigned char d[32] = {0};

	msg_str(m, PKIKS_ATTR_KEY_NAME, "CA");
	msg_u32(m, PKIKS_ATTR_HASH, 0);
	msg_attr(m, PKIKS_ATTR_DIGEST, d, sizeof(d));
}
static void b_sign_no_digest(struct raw_msg *m)
{
	msg_str(m, PKIKS_ATTR_KEY_NAME, "CA");
	msg_u32(m, PKIKS_ATTR_HASH, PKIKS_HASH_SHA256);
}
static void b_sign_reply_attr(struct raw_msg *m)
{
	unsigned char s[256] = {0};

	msg_attr(m, PKIKS_ATTR_SIGNATURE, s, sizeof(s));
}
static void b_kek_short(struct raw_msg *m)
{
	unsigned char k[PKIKS_KEK_LEN - 1] = {0};

	msg_attr(m, PKIKS_ATTR_KEK, k, sizeof(k));
}
static void b_usage_bits(struct raw_msg *m)
{
	msg_str(m, PKIKS_ATTR_KEY_NAME, "X");
	msg_u32(m, PKIKS_ATTR_KEY_USAGE, 4);
}
static void b_rsa_too_big(struct raw_msg *m)
{
	static unsigned char n[PKIKS_RSA_MAX_BYTES + 2];

	memset(n, 0xff, sizeof(n));
	msg_str(m, PKIKS_ATTR_KEY_NAME, "X");
	msg_u32(m, PKIKS_ATTR_KEY_USAGE, PKIKS_USAGE_SIGN);
	msg_attr(m, PKIKS_ATTR_RSA_N, n, sizeof(n));
}
static void b_import_missing(struct raw_msg *m)
{
	unsigned char n[256];

	memset(n, 0xff, sizeof(n));
	msg_str(m, PKIKS_ATTR_KEY_NAME, "X");
	msg_u32(m, PKIKS_ATTR_KEY_USAGE, PKIKS_USAGE_SIGN);
	msg_attr(m, PKIKS_ATTR_RSA_N, n, sizeof(n));
}
static void b_truncated(struct raw_msg *m)
{
	msg_attr_raw(m, PKIKS_ATTR_KEY_NAME, "CA", 3, 40); /* claims 40 bytes */
}
static void b_kind_range(struct raw_msg *m)
{
	uint64_t d = 1;

	msg_str(m, PKIKS_ATTR_TIMER_OWNER, "T");
	msg_u32(m, PKIKS_ATTR_TIMER_KIND, __PKIKS_TIMER_KIND_MAX);
	msg_attr(m, PKIKS_ATTR_TIMER_DEADLINE, &d, sizeof(d));
}
static void b_owner_hash(struct raw_msg *m)
{
	uint64_t d = 1;

	msg_str(m, PKIKS_ATTR_TIMER_OWNER, "T#");
	msg_u32(m, PKIKS_ATTR_TIMER_KIND, PKIKS_TIMER_POLL);
	msg_attr(m, PKIKS_ATTR_TIMER_DEADLINE, &d, sizeof(d));
}
static void b_deadline_u32(struct raw_msg *m)
{
	msg_str(m, PKIKS_ATTR_TIMER_OWNER, "T");
	msg_u32(m, PKIKS_ATTR_TIMER_KIND, PKIKS_TIMER_POLL);
	msg_u32(m, PKIKS_ATTR_TIMER_DEADLINE, 1);
}
static void b_clock_lab(struct raw_msg *m)
{
	uint64_t d = 1;

	msg_attr(m, PKIKS_ATTR_CLOCK_LAB_ADVANCE, &d, sizeof(d));
}
static void b_wrapped_short(struct raw_msg *m)
{
	unsigned char b[PKIKS_WRAP_HDR_LEN] = "PKW1";

	msg_attr(m, PKIKS_ATTR_WRAPPED, b, sizeof(b));
}

static const struct bad_case cases[] = {
	{"unknown attribute type", PKIKS_CMD_GET_INFO, b_unknown_attr, -EINVAL,
	 0},
	{"key name without NUL", PKIKS_CMD_KEY_DELETE, b_name_no_nul, -EINVAL,
	 0},
	{"key name of 64 bytes", PKIKS_CMD_KEY_DELETE, b_name_long, -EINVAL,
	 -ERANGE},
	{"key name with a space", PKIKS_CMD_KEY_DELETE, b_name_bad, -EINVAL, 0},
	{"key name with two '#'", PKIKS_CMD_KEY_DELETE, b_name_hash2, -EINVAL,
	 0},
	{"missing key name", PKIKS_CMD_KEY_DELETE, b_none, -EINVAL, 0},
	{"19-byte digest", PKIKS_CMD_KEY_SIGN, b_sign_short_digest, -ERANGE,
	 -EINVAL},
	{"hash 0", PKIKS_CMD_KEY_SIGN, b_sign_hash0, -ERANGE, -EINVAL},
	{"sign without digest", PKIKS_CMD_KEY_SIGN, b_sign_no_digest, -EINVAL,
	 0},
	{"reply-only attribute in a request", PKIKS_CMD_KEY_SIGN,
	 b_sign_reply_attr, -EINVAL, 0},
	{"KEK of 31 bytes", PKIKS_CMD_KEK_SET, b_kek_short, -ERANGE, -EINVAL},
	{"unknown usage bit", PKIKS_CMD_KEY_IMPORT, b_usage_bits, -EINVAL, 0},
	{"RSA modulus over 4096 bits", PKIKS_CMD_KEY_IMPORT, b_rsa_too_big,
	 -ERANGE, -EINVAL},
	{"import without the private parts", PKIKS_CMD_KEY_IMPORT,
	 b_import_missing, -EINVAL, 0},
	{"attribute longer than the message", PKIKS_CMD_KEY_DELETE, b_truncated,
	 -EINVAL, -ERANGE},
	{"timer kind out of range", PKIKS_CMD_TIMER_ARM, b_kind_range, -ERANGE,
	 -EINVAL},
	{"timer owner with '#'", PKIKS_CMD_TIMER_ARM, b_owner_hash, -EINVAL, 0},
	{"u32 where a u64 deadline goes", PKIKS_CMD_TIMER_ARM, b_deadline_u32,
	 -ERANGE, -EINVAL},
	{"the lab clock on the kernel", PKIKS_CMD_CLOCK_LAB, b_clock_lab,
	 -EOPNOTSUPP, 0},
	{"wrapped blob shorter than a header", PKIKS_CMD_KEY_UNWRAP,
	 b_wrapped_short, -ERANGE, -EINVAL},
	{"unknown command", PKIKS_CMD_MAX + 5, b_none, -EOPNOTSUPP, 0},
	{"EVENT is not a request", PKIKS_CMD_EVENT, b_none, -EOPNOTSUPP, 0},
};

int cmd_malformed(int argc, char **argv)
{
	struct timeval tv = {.tv_sec = 5};
	struct nl_sock *nl = nl_socket_alloc();
	int family = -1, fd, bad = 0, err, one = 1;
	struct raw_msg m;
	size_t i;

	if (nl && !genl_connect(nl))
		family = genl_ctrl_resolve(nl, PKIKS_GENL_NAME);
	nl_socket_free(nl);
	if (family < 0)
		return -ENOENT;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg_init(&m, family, cases[i].cmd);
		cases[i].build(&m);
		err = exchange(fd, &m);
		if (err && (err == cases[i].want1 || err == cases[i].want2)) {
			printf("ok - %s: %s\n", cases[i].what, strerror(-err));
		} else {
			printf("not ok - %s: got %d (%s)\n", cases[i].what, err,
			       strerror(-err));
			bad++;
		}
	}
	close(fd);
	return bad ? vm_local_error("%d malformed requests got another answer",
				    bad)
		   : 0;
}
