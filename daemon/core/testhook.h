/* SPDX-License-Identifier: MIT */
/*
 * The crash tests' hook (tests/crash, tests/keys): with
 * PKID_TEST_CRASH_AT=STEP in its environment pkid exits with status 137,
 * as if killed, right after the step of that name is durable, so a test
 * can restart it and check that the step's work is neither lost nor
 * repeated.  The steps are named where pkid_test_crash() is called
 * (ca_rollover.c: shadow-key, shadow-cert, promote-*; keyblob.c;
 * ca_ocsp.c: ocsp-resign, after the first cached response is re-signed).
 */
#ifndef PKID_TESTHOOK_H
#define PKID_TESTHOOK_H

#define PKID_TEST_CRASH_ENV "PKID_TEST_CRASH_AT"

/* _exit(137) if PKID_TEST_CRASH_AT names @step; else nothing. */
void pkid_test_crash(const char *step);

#endif /* PKID_TESTHOOK_H */
