// SPDX-License-Identifier: MIT
/*
 * Permissions, with forked children that drop root for good before they
 * open their own handle: an outsider (uid 65534, no member group) is
 * refused every right-bearing command with EPERM but may read the clock;
 * a member (uid 65533 in --member-gid) uses its own keys and not root's.
 * Results come back through a pipe; each child is bounded by alarm().
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "suite.h"

#define NOBODY	 65534
#define MEMBER	 65533
#define NRESULTS 8

enum {
	R_OPEN,
	R_SIGN,
	R_IMPORT,
	R_KEK,
	R_CLOCK_SET,
	R_CLOCK_GET,
	R_OWN,
	R_DELETE
};

static int drop_to(uid_t uid, gid_t gid, const gid_t *groups, int ngroups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

static void outsider(int *r)
{
	unsigned char kek[PKIKS_KEK_LEN] = {0};
	struct pkiks_clock c;
	struct pkiks *h;

	r[R_OPEN] = open_handle(&h);
	if (r[R_OPEN])
		return;
	r[R_SIGN] = sign_and_verify(h, "t-rsa2048", test_key(K2048));
	ks = h; /* import_key() uses the global handle */
	r[R_IMPORT] = import_key("t-outsider", K2048, PKIKS_USAGE_SIGN, 0);
	r[R_KEK] = pkiks_kek_set(h, kek, sizeof(kek));
	r[R_CLOCK_SET] = pkiks_clock_set(h, PKIKS_CLOCK_NONE);
	r[R_CLOCK_GET] = pkiks_clock_get(h, &c);
	r[R_DELETE] = pkiks_key_delete(h, "t-rsa2048");
	pkiks_close(h);
}

static void member(int *r)
{
	unsigned char kek[PKIKS_KEK_LEN] = {0};
	struct pkiks *h;

	r[R_OPEN] = open_handle(&h);
	if (r[R_OPEN])
		return;
	ks = h;
	r[R_SIGN] = sign_and_verify(h, "t-rsa2048", test_key(K2048));
	r[R_IMPORT] = import_key("t-member", K2048B, PKIKS_USAGE_SIGN, 0);
	r[R_OWN] = sign_and_verify(h, "t-member", test_key(K2048B));
	r[R_KEK] = pkiks_kek_set(h, kek, sizeof(kek));
	r[R_CLOCK_SET] = pkiks_clock_set(h, PKIKS_CLOCK_NONE);
	r[R_DELETE] = pkiks_key_delete(h, "t-rsa2048");
	pkiks_close(h);
}

/* Run @body in a child as @uid; its results in r[] (bounded: 20 s). */
static int in_child(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		    void (*body)(int *), int *r)
{
	struct pollfd pfd;
	int p[2], status, i, err = -EIO;
	pid_t pid;

	for (i = 0; i < NRESULTS; i++)
		r[i] = 1; /* "not run" */
	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		alarm(20);
		r[R_OPEN] = drop_to(uid, gid, groups, ngroups);
		if (!r[R_OPEN])
			body(r);
		_exit(write(p[1], r, NRESULTS * sizeof(int)) ==
				      NRESULTS * sizeof(int)
			      ? 0
			      : 1);
	}
	close(p[1]);
	if (pid < 0)
		goto out;
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	if (poll(&pfd, 1, 25000) == 1 &&
	    read(p[0], r, NRESULTS * sizeof(int)) == NRESULTS * sizeof(int))
		err = 0;
	else
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
out:
	close(p[0]);
	return err;
}

static void test_outsider(void)
{
	gid_t g = NOBODY;
	int r[NRESULTS];

	if (geteuid() != 0) {
		CU_PASS("skipped: the suite does not run as root");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(in_child(NOBODY, NOBODY, &g, 1, outsider, r), 0);
	CU_ASSERT_EQUAL_FATAL(r[R_OPEN], 0);
	CU_ASSERT_EQUAL(r[R_SIGN], -EPERM);
	CU_ASSERT_EQUAL(r[R_IMPORT], -EPERM);
	CU_ASSERT_EQUAL(r[R_KEK], -EPERM);
	CU_ASSERT_EQUAL(r[R_CLOCK_SET], -EPERM);
	CU_ASSERT_EQUAL(r[R_DELETE], -EPERM);
	CU_ASSERT_EQUAL(r[R_CLOCK_GET], 0);
	/* And nothing changed for root. */
	CU_ASSERT_EQUAL(sign_and_verify(ks, "t-rsa2048", test_key(K2048)), 0);
}

static void test_member(void)
{
	struct pkiks_key_info info;
	int r[NRESULTS];
	gid_t g;

	if (geteuid() != 0 || opts.member_gid <= 0) {
		CU_PASS("skipped: needs root and --member-gid");
		return;
	}
	g = (gid_t)opts.member_gid;
	CU_ASSERT_EQUAL_FATAL(in_child(MEMBER, MEMBER, &g, 1, member, r), 0);
	CU_ASSERT_EQUAL_FATAL(r[R_OPEN], 0);
	CU_ASSERT_EQUAL(r[R_SIGN], -EPERM); /* root's key */
	CU_ASSERT_EQUAL(r[R_IMPORT], 0);    /* its own */
	CU_ASSERT_EQUAL(r[R_OWN], 0);
	CU_ASSERT_EQUAL(r[R_KEK], -EPERM);
	CU_ASSERT_EQUAL(r[R_CLOCK_SET], -EPERM);
	CU_ASSERT_EQUAL(r[R_DELETE], -EPERM);
	/* The member's key belongs to it; admin sees and removes it. */
	CU_ASSERT_EQUAL_FATAL(pkiks_key_get(ks, "t-member", &info), 0);
	CU_ASSERT_EQUAL(info.owner_uid, MEMBER);
	free(info.pubkey);
	CU_ASSERT_EQUAL(pkiks_key_delete(ks, "t-member"), 0);
}

int suite_perm(void)
{
	CU_pSuite s = CU_add_suite("permissions", NULL, NULL);

	if (!s || !CU_add_test(s, "outsider EPERM", test_outsider) ||
	    !CU_add_test(s, "member: own keys only", test_member))
		return -1;
	return 0;
}
