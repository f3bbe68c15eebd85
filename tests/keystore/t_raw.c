// SPDX-License-Identifier: MIT
/*
 * Malformed requests, sent raw (ks_raw.h): missing attributes, wrong types
 * and sizes, oversized attributes and messages, unknown attributes and
 * commands, a truncated genl header, trailing garbage, then a burst of
 * random attributes on read-only commands.  Each must get an error (or an
 * answer) and the host must keep answering.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <openssl/rand.h>

#include "suite.h"
#include "ks_raw.h"

#define RAW_TIMEOUT_MS 3000

static struct nl_msg *raw_new(uint8_t cmd, size_t room)
{
	struct nl_msg *msg = nlmsg_alloc_size(room);

	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(genlmsg_put(
		msg, 0, pkiks_raw_seq(ks), pkiks_raw_family(ks), 0,
		NLM_F_REQUEST | NLM_F_ACK, cmd, PKIKS_GENL_VERSION));
	return msg;
}

/* Send, free, return the host's answer. */
static int raw_send(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err;

	err = pkiks_raw_request(ks, nlh, nlh->nlmsg_len, nlh->nlmsg_seq,
				RAW_TIMEOUT_MS);
	nlmsg_free(msg);
	return err;
}

static void still_alive(void)
{
	uint32_t version = 0;

	CU_ASSERT_EQUAL(pkiks_get_info(ks, &version, NULL), 0);
	CU_ASSERT_EQUAL(version, PKIKS_GENL_VERSION);
}

static void test_missing(void)
{
	struct nl_msg *m;

	CU_ASSERT_EQUAL(raw_send(raw_new(PKIKS_CMD_KEY_SIGN, 4096)), -EINVAL);
	m = raw_new(PKIKS_CMD_KEY_SIGN, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-rsa2048");
	nla_put_u32(m, PKIKS_ATTR_HASH, PKIKS_HASH_SHA256);
	CU_ASSERT_EQUAL(raw_send(m), -EINVAL); /* no digest */
	CU_ASSERT_EQUAL(raw_send(raw_new(PKIKS_CMD_KEY_IMPORT, 4096)), -EINVAL);
	/* v5: KEY_DERIVE without its point, without its key */
	m = raw_new(PKIKS_CMD_KEY_DERIVE, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-ecdh256");
	CU_ASSERT_EQUAL(raw_send(m), -EINVAL);
	m = raw_new(PKIKS_CMD_KEY_DERIVE, 4096);
	nla_put(m, PKIKS_ATTR_EC_POINT, 65, (unsigned char[65]){4});
	CU_ASSERT_EQUAL(raw_send(m), -EINVAL);
	CU_ASSERT_EQUAL(raw_send(raw_new(PKIKS_CMD_TIMER_ARM, 4096)), -EINVAL);
	CU_ASSERT_EQUAL(raw_send(raw_new(PKIKS_CMD_CLOCK_SET, 4096)), -EINVAL);
	still_alive();
}

static void test_wrong_types(void)
{
	unsigned char dg[32] = {0};
	struct nl_msg *m;

	/* A name without its NUL. */
	m = raw_new(PKIKS_CMD_KEY_DELETE, 4096);
	nla_put(m, PKIKS_ATTR_KEY_NAME, 4, "t-ab");
	CU_ASSERT(raw_send(m) < 0);
	/* A u32 of 2 bytes, a u32 of 8 bytes. */
	m = raw_new(PKIKS_CMD_KEY_SIGN, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-rsa2048");
	nla_put(m, PKIKS_ATTR_HASH, 2, "\x02\x00");
	nla_put(m, PKIKS_ATTR_DIGEST, sizeof(dg), dg);
	CU_ASSERT(raw_send(m) < 0);
	m = raw_new(PKIKS_CMD_CLOCK_SET, 4096);
	nla_put_u64(m, PKIKS_ATTR_CLOCK_SOURCE, PKIKS_CLOCK_CALENDAR);
	CU_ASSERT(raw_send(m) < 0);
	/* A u64 deadline of 4 bytes. */
	m = raw_new(PKIKS_CMD_TIMER_ARM, 4096);
	nla_put_string(m, PKIKS_ATTR_TIMER_OWNER, "t-raw");
	nla_put_u32(m, PKIKS_ATTR_TIMER_KIND, PKIKS_TIMER_RENEW);
	nla_put_u32(m, PKIKS_ATTR_TIMER_DEADLINE, 12345);
	CU_ASSERT(raw_send(m) < 0);
	still_alive();
}

static void test_oversized(void)
{
	static unsigned char big[20000];
	struct nl_msg *m;

	/* A digest longer than any hash. */
	m = raw_new(PKIKS_CMD_KEY_SIGN, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-rsa2048");
	nla_put_u32(m, PKIKS_ATTR_HASH, PKIKS_HASH_SHA256);
	nla_put(m, PKIKS_ATTR_DIGEST, 100, big);
	CU_ASSERT(raw_send(m) < 0);
	/* A name longer than PKIKS_NAME_MAX. */
	memset(big, 'a', 200);
	big[200] = 0;
	m = raw_new(PKIKS_CMD_KEY_DELETE, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, (char *)big);
	CU_ASSERT(raw_send(m) < 0);
	/* A whole message larger than PKIKS_MSG_MAX. */
	memset(big, 0, sizeof(big));
	m = raw_new(PKIKS_CMD_KEY_UNWRAP, 32768);
	nla_put(m, PKIKS_ATTR_WRAPPED, sizeof(big), big);
	CU_ASSERT(raw_send(m) < 0);
	/* A peer point longer than any curve's, and a DIGEST on DERIVE. */
	m = raw_new(PKIKS_CMD_KEY_DERIVE, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-ecdh256");
	nla_put(m, PKIKS_ATTR_EC_POINT, 1000, big);
	CU_ASSERT_EQUAL(raw_send(m), -ERANGE);
	m = raw_new(PKIKS_CMD_KEY_DERIVE, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-ecdh256");
	nla_put(m, PKIKS_ATTR_EC_POINT, 65, big);
	nla_put(m, PKIKS_ATTR_DIGEST, 32, big);
	CU_ASSERT_EQUAL(raw_send(m), -EINVAL);
	/* A KEK of the wrong size. */
	m = raw_new(PKIKS_CMD_KEK_SET, 4096);
	nla_put(m, PKIKS_ATTR_KEK, PKIKS_KEK_LEN + 1, big);
	CU_ASSERT(raw_send(m) < 0);
	still_alive();
}

static void test_unknown(void)
{
	struct nl_msg *m;

	CU_ASSERT_EQUAL(raw_send(raw_new(__PKIKS_CMD_MAX + 40, 4096)),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(raw_send(raw_new(PKIKS_CMD_UNSPEC, 4096)), -EOPNOTSUPP);
	/* An attribute type beyond PKIKS_ATTR_MAX. */
	m = raw_new(PKIKS_CMD_CLOCK_SET, 4096);
	nla_put_u32(m, PKIKS_ATTR_CLOCK_SOURCE, PKIKS_CLOCK_CALENDAR);
	nla_put_u32(m, PKIKS_ATTR_MAX + 5, 1);
	CU_ASSERT(raw_send(m) < 0);
	still_alive();
}

static void test_truncated(void)
{
	struct nl_msg *m = raw_new(PKIKS_CMD_GET_INFO, 4096);
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	int err;

	/* A netlink header whose length cuts the genl header short. */
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	err = pkiks_raw_request(ks, nlh, nlh->nlmsg_len, nlh->nlmsg_seq,
				RAW_TIMEOUT_MS);
	CU_ASSERT(err < 0 && err != -ETIMEDOUT);
	nlmsg_free(m);
	/* An attribute whose length runs past the message. */
	m = raw_new(PKIKS_CMD_KEY_DELETE, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-rsa2048");
	nlh = nlmsg_hdr(m);
	((struct nlattr *)genlmsg_attrdata(nlmsg_data(nlh), 0))->nla_len = 200;
	CU_ASSERT(raw_send(m) < 0);
	/* Trailing bytes after the last attribute, on a command that needs
	 * none: refused, not ignored. */
	m = raw_new(PKIKS_CMD_CLOCK_GET, 4096);
	nla_put_u32(m, PKIKS_ATTR_FLAGS, 0);
	nlh = nlmsg_hdr(m);
	((struct nlattr *)genlmsg_attrdata(nlmsg_data(nlh), 0))->nla_len = 200;
	CU_ASSERT(raw_send(m) < 0);
	/* The key is still there: nothing was deleted. */
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-rsa2048", test_key(K2048)), 0);
	still_alive();
}

/* A request for KEY_SIGN with one attribute of @type, @len bytes of @data. */
static int sign_with(int type, const void *data, int len)
{
	struct nl_msg *m = raw_new(PKIKS_CMD_KEY_SIGN, 4096);

	nla_put(m, type, len, data);
	return raw_send(m);
}

/*
 * One fault, one errno, whichever host answers (uapi/pkiks.h "Errors"):
 * sizes of integers and strings without their NUL are EINVAL, values and
 * lengths outside a policy's range ERANGE, attributes a command does not
 * take EINVAL.
 */
static void test_one_errno(void)
{
	static const char name_long[] = "ab\0"
					"0123456789012345678901234567890123456"
					"789012345678901234567890123456789";
	unsigned char dg[100] = {0};
	uint32_t hash = PKIKS_HASH_SHA256;
	struct nl_msg *m;

	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_HASH, &hash, 2), -EINVAL);
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_HASH, dg, 8), -EINVAL);
	hash = 9;
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_HASH, &hash, 4), -ERANGE);
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_DIGEST, dg, 19), -ERANGE);
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_DIGEST, dg, 65), -ERANGE);
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_KEY_NAME, "t-ab", 4), -EINVAL);
	/* A NUL within the limit, but longer than a name may be. */
	CU_ASSERT_EQUAL(
		sign_with(PKIKS_ATTR_KEY_NAME, name_long, sizeof(name_long)),
		-ERANGE);
	/* Reply-only, and an attribute KEY_SIGN does not take. */
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_SIGNATURE, dg, 32), -EINVAL);
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_KEK, dg, PKIKS_KEK_LEN), -EINVAL);
	CU_ASSERT_EQUAL(sign_with(PKIKS_ATTR_KEY_NAME | NLA_F_NESTED,
				  "t-rsa2048", 10),
			-EINVAL);
	m = raw_new(PKIKS_CMD_CLOCK_GET, 4096);
	nla_put_string(m, PKIKS_ATTR_KEY_NAME, "t-rsa2048");
	CU_ASSERT_EQUAL(raw_send(m), -EINVAL);
	/* The genl header's reserved bytes must be zero. */
	m = raw_new(PKIKS_CMD_CLOCK_GET, 4096);
	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(m)))->reserved = 1;
	CU_ASSERT_EQUAL(raw_send(m), -EINVAL);
	/* A dump of a command that has none. */
	m = raw_new(PKIKS_CMD_CLOCK_GET, 4096);
	nlmsg_hdr(m)->nlmsg_flags |= NLM_F_DUMP;
	CU_ASSERT_EQUAL(raw_send(m), -EOPNOTSUPP);
	still_alive();
}

/* Random attributes on commands that change nothing; bounded. */
static void test_burst(void)
{
	static const uint8_t cmds[] = {
		PKIKS_CMD_GET_INFO, PKIKS_CMD_KEY_GET, PKIKS_CMD_KEY_SIGN,
		PKIKS_CMD_KEY_DECRYPT, PKIKS_CMD_CLOCK_GET,
		PKIKS_CMD_KEY_DERIVE};
	unsigned char junk[256];
	int i, j, answered = 0;

	for (i = 0; i < 200; i++) {
		struct nl_msg *m = raw_new(cmds[i % sizeof(cmds)], 4096);

		for (j = 0; j < 1 + i % 5; j++) {
			RAND_bytes(junk, sizeof(junk));
			nla_put(m, 1 + junk[0] % (PKIKS_ATTR_MAX + 3),
				junk[1] % 80, junk + 2);
		}
		if (raw_send(m) != -ETIMEDOUT)
			answered++;
	}
	CU_ASSERT_EQUAL(answered, 200);
	still_alive();
}

int suite_raw(void)
{
	CU_pSuite s = CU_add_suite("malformed", NULL, NULL);

	if (!s || !CU_add_test(s, "missing attributes EINVAL", test_missing) ||
	    !CU_add_test(s, "wrong types and sizes", test_wrong_types) ||
	    !CU_add_test(s, "oversized attributes/messages", test_oversized) ||
	    !CU_add_test(s, "unknown command/attribute", test_unknown) ||
	    !CU_add_test(s, "truncated header/attribute", test_truncated) ||
	    !CU_add_test(s, "one errno for one fault", test_one_errno) ||
	    !CU_add_test(s, "burst of random attributes", test_burst))
		return -1;
	return 0;
}
