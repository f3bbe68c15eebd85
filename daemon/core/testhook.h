/* SPDX-License-Identifier: MIT */
/*
 * The tests' hooks (tests/crash, tests/keys, tests/rollover), inert unless
 * their variable is in pkid's environment.
 *
 * Crash: with PKID_TEST_CRASH_AT=STEP pkid exits with status 137, as if
 * killed, right after the step of that name is durable, so a test can
 * restart it and check that the step's work is neither lost nor repeated.
 * The steps are named where pkid_test_crash() is called (ca_rollover.c:
 * shadow-key, shadow-cert, promote-*; keyblob.c; ca_ocsp.c: ocsp-resign,
 * after the first cached response is re-signed).
 *
 * Pause and mark (steps: shadow-key, promote-key in ca_rollover.c;
 * est-enroll in est_http.c, an EST enrollment holding its keys snapshot;
 * est-next-enroll in est_enroll.c, a client's request to the next label
 * just before it is sent; mark scep-operation): with PKID_TEST_PAUSE_AT=STEP the thread that reaches
 * the step creates $PKID_TEST_DIR/STEP.reached and waits until the test
 * creates $PKID_TEST_DIR/STEP.go (bounded: 60 s), so a test can make
 * something happen in the middle of it (a request during a promotion);
 * PKID_TEST_MARK_AT=STEP only creates STEP.reached (the test knows a
 * thread got there) and goes on.  Pause and mark take a comma-separated
 * list of steps too.
 */
#ifndef PKID_TESTHOOK_H
#define PKID_TESTHOOK_H

#define PKID_TEST_CRASH_ENV "PKID_TEST_CRASH_AT"
#define PKID_TEST_PAUSE_ENV "PKID_TEST_PAUSE_AT"
#define PKID_TEST_MARK_ENV  "PKID_TEST_MARK_AT"
#define PKID_TEST_DIR_ENV   "PKID_TEST_DIR"

/* _exit(137) if PKID_TEST_CRASH_AT names @step; else nothing. */
void pkid_test_crash(const char *step);
/* Wait for STEP.go if PKID_TEST_PAUSE_AT names @step; else nothing. */
void pkid_test_pause(const char *step);
/* STEP.reached if PKID_TEST_MARK_AT names @step; else nothing. */
void pkid_test_mark(const char *step);

#endif /* PKID_TESTHOOK_H */
