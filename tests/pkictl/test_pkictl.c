// SPDX-License-Identifier: MIT
/*
 * pkictl and pkiks-keygen, black box: each verb run as a process against a
 * pkiksd started by run.sh (lab clock), its text and --json output, exit
 * status and error line checked.  JSON is checked with jq.
 *
 * usage: test-pkictl TMPDIR BUILDDIR   ($PKIKS_SOCKET names the pkiksd)
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "../lib/cunit_run.h"

#include "../provider/helpers.h"
#include "keystore.h"

#define NS 1000000000ull
#define MS 1000000ull

static struct pkiks *ks;
/* The lab clock starts at 2034-01-16T03:06:32.600Z: it never goes back. */
static uint64_t t0;

/* pkictl ARGS >out 2>err; its exit status. */
static int pkictl(const char *args)
{
	return sh("%s/bin/pkictl %s >%s 2>%s", T.build, args, path("out"),
		  path("err"));
}

static int out_has(const char *s)
{
	return file_has(path("out"), s);
}

static int err_has(const char *s)
{
	return file_has(path("err"), s);
}

/* jq -e EXPR on the last stdout: the document parses and EXPR is true. */
static int jq(const char *expr)
{
	return sh("jq -e '%s' %s >/dev/null", expr, path("out")) == 0;
}

/* Line @n (from 0) of the last stdout matches the extended regex @re. */
static int line_matches(int n, const char *re)
{
	char *text = slurp(path("out"), NULL), *line, *save = NULL;
	regex_t rx;
	int i, ok = 0;

	if (!text || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
		goto out;
	line = strtok_r(text, "\n", &save);
	for (i = 0; line && i < n; i++)
		line = strtok_r(NULL, "\n", &save);
	ok = line && regexec(&rx, line, 0, NULL, 0) == 0;
	if (!ok)
		fprintf(stderr, "line %d \"%s\" !~ /%s/\n", n,
			line ? line : "(none)", re);
	regfree(&rx);
out:
	free(text);
	return ok;
}

static int suite_init(void)
{
	struct tm tm = {.tm_year = 134,
			.tm_mon = 0,
			.tm_mday = 16,
			.tm_hour = 3,
			.tm_min = 6,
			.tm_sec = 32};

	t0 = (uint64_t)timegm(&tm) * NS + 600 * MS;
	return pkiks_open(&ks, PKIKS_TRANSPORT_AUTO, NULL);
}

static int suite_clean(void)
{
	pkiks_close(ks);
	return 0;
}

/* ---- show timers (first: it owns the lab clock) ----------------------- */

static void arm_timers(void)
{
	/* One timer that has already fired, then three ahead of t0. */
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_lab_set(ks, t0 - 10 * NS), 0);
	CU_ASSERT_EQUAL_FATAL(
		pkiks_timer_arm(ks, "client", PKIKS_TIMER_POLL, t0 - 5 * NS),
		0);
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_lab_set(ks, t0), 0);
	CU_ASSERT_EQUAL_FATAL(
		pkiks_timer_arm(ks, "ROOTCA", PKIKS_TIMER_CS_CRL_UPDATE,
				t0 + (5 * 3600 + 40 * 60 + 16) * NS + 483 * MS),
		0);
	CU_ASSERT_EQUAL_FATAL(
		pkiks_timer_arm(
			ks, "ROOTCA", PKIKS_TIMER_CS_SHADOW_CERT_GENERATION,
			t0 + (1094 * 86400ull + 5 * 3600 + 21 * 60 + 45) * NS +
				573 * MS),
		0);
	CU_ASSERT_EQUAL_FATAL(
		pkiks_timer_arm(
			ks, "client", PKIKS_TIMER_RENEW,
			t0 + (291 * 86400ull + 23 * 3600 + 59 * 60 + 52) * NS +
				231 * MS),
		0);
}

static void test_show_timers(void)
{
	arm_timers();
	/* IOS's form: the trustpoints' group, then the server's; each
	 * group's soonest countdown alone first; a fired timer shows 0. */
	CU_ASSERT_EQUAL(pkictl("show timers"), 0);
	CU_ASSERT_TRUE(line_matches(0, "^PKI Timers$"));
	CU_ASSERT_TRUE(line_matches(1, "^\\|           0\\.000$"));
	CU_ASSERT_TRUE(line_matches(2, "^\\|           0\\.000  POLL client$"));
	CU_ASSERT_TRUE(line_matches(3, "^\\|291d23:59:5[12]\\.[0-9]{3}  "
				       "RENEW client$"));
	CU_ASSERT_TRUE(line_matches(4, "^CS Timers$"));
	CU_ASSERT_TRUE(line_matches(5, "^\\|     5:40:1[56]\\.[0-9]{3}$"));
	CU_ASSERT_TRUE(line_matches(6, "^\\|     5:40:1[56]\\.[0-9]{3}  "
				       "CS CRL UPDATE$"));
	CU_ASSERT_TRUE(line_matches(7, "^\\|1094d 5:21:4[45]\\.[0-9]{3}  "
				       "CS SHADOW CERT GENERATION$"));
	/* The IOS command words name the same view. */
	CU_ASSERT_EQUAL(pkictl("show crypto pki timers"), 0);
	CU_ASSERT_TRUE(line_matches(7, "^\\|1094d 5:21:4[45]\\.[0-9]{3}  "
				       "CS SHADOW CERT GENERATION$"));

	/* pkid's view: the deadline, the state and the owner. */
	CU_ASSERT_EQUAL(pkictl("show timers verbose"), 0);
	CU_ASSERT_TRUE(line_matches(0, "^PKI Timers$"));
	CU_ASSERT_TRUE(line_matches(1,
				    "^\\|         expired  "
				    "\\(2034-01-16T03:06:27Z\\) POLL client$"));
	CU_ASSERT_TRUE(line_matches(2, "^\\|     5:40:1[56]\\.[0-9]{3}  "
				       "\\(2034-01-16T08:46:49Z\\) "
				       "CS CRL UPDATE ROOTCA$"));
	CU_ASSERT_TRUE(line_matches(3, "^\\|291d23:59:5[12]\\.[0-9]{3}  "
				       "\\(2034-11-04T03:06:24Z\\) "
				       "RENEW client$"));
	CU_ASSERT_TRUE(line_matches(4, "^\\|1094d 5:21:4[45]\\.[0-9]{3} "
				       "\\(2037-01-14T08:28:18Z\\) "
				       "CS SHADOW CERT GENERATION ROOTCA$"));

	CU_ASSERT_EQUAL(pkictl("--json show timers"), 0);
	CU_ASSERT_TRUE(jq(".authoritative == true and (.timers|length) == 4"));
	CU_ASSERT_TRUE(jq(".timers[0] | .kind == \"POLL\" and "
			  ".state == \"expired\" and .remaining_ms == null"));
	CU_ASSERT_TRUE(jq(".timers[1] | .kind == \"CS CRL UPDATE\" and "
			  ".owner == \"ROOTCA\" and .state == \"armed\" and "
			  ".deadline == \"2034-01-16T08:46:49Z\" and "
			  ".remaining_ms > 20415000 and "
			  ".remaining_ms <= 20416483"));
}

/* A GENERIC timer: "GENERIC:<label> OWNER" in text, "label" in JSON. */
static void test_show_timers_generic(void)
{
	struct pkiks_clock c;

	CU_ASSERT_EQUAL_FATAL(pkiks_clock_get(ks, &c), 0);
	CU_ASSERT_EQUAL_FATAL(pkiks_timer_arm_label(ks, "TP1",
						    PKIKS_TIMER_GENERIC,
						    "crl-refresh",
						    c.now_ns + 2 * 86400 * NS),
			      0);
	CU_ASSERT_EQUAL(pkictl("show timers verbose"), 0);
	CU_ASSERT_TRUE(out_has(") GENERIC:crl-refresh TP1\n"));
	CU_ASSERT_EQUAL(pkictl("show timers"), 0);
	CU_ASSERT_TRUE(out_has("  GENERIC:crl-refresh TP1\n"));
	CU_ASSERT_EQUAL(pkictl("--json show timers"), 0);
	CU_ASSERT_TRUE(jq("[.timers[] | select(.kind == \"GENERIC\")] | "
			  "length == 1 and .[0].label == \"crl-refresh\" and "
			  ".[0].owner == \"TP1\" and .[0].state == \"armed\""));
	/* IOS kinds carry no label. */
	CU_ASSERT_TRUE(jq("[.timers[] | select(.kind != \"GENERIC\") | "
			  "select(has(\"label\"))] | length == 0"));
	CU_ASSERT_EQUAL(pkiks_timer_cancel_label(ks, "TP1", PKIKS_TIMER_GENERIC,
						 "crl-refresh"),
			0);
}

/* ---- show clock, clock calendar-valid ---------------------------------- */

static void test_show_clock_lab(void)
{
	CU_ASSERT_EQUAL(pkictl("show clock"), 0);
	CU_ASSERT_TRUE(line_matches(0, "^03:06:3[2-9]\\.[0-9]{3} UTC "
				       "Mon Jan 16 2034$"));
	CU_ASSERT_TRUE(line_matches(1, "^Time source is lab, authoritative "
				       "since 20[0-9-]{8}T[0-9:]{8}Z$"));
	CU_ASSERT_TRUE(line_matches(2, "^Clock steps detected: [0-9]+$"));
	CU_ASSERT_EQUAL(pkictl("show clock --json"), 0);
	CU_ASSERT_TRUE(jq(".authoritative == true and .source == \"lab\" and "
			  "(.now|startswith(\"2034-01-16T03:06:3\"))"));
}

static void test_clock_calendar_valid(void)
{
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_NONE), 0);
	CU_ASSERT_EQUAL(pkictl("show clock"), 0);
	CU_ASSERT_TRUE(line_matches(0, "^\\*[0-9]{2}:[0-9]{2}:[0-9]{2}\\."));
	CU_ASSERT_TRUE(out_has("not authoritative"));
	CU_ASSERT_EQUAL(pkictl("--json show clock"), 0);
	CU_ASSERT_TRUE(jq(".authoritative == false and .source == \"none\""));

	CU_ASSERT_EQUAL(pkictl("clock calendar-valid"), 0);
	CU_ASSERT_TRUE(line_matches(1, "^Time source is calendar, "
				       "authoritative since "));
	CU_ASSERT_EQUAL_FATAL(pkiks_clock_set(ks, PKIKS_CLOCK_NONE), 0);
	CU_ASSERT_EQUAL(pkictl("--json clock calendar-valid"), 0);
	CU_ASSERT_TRUE(
		jq(".authoritative == true and .source == \"calendar\""));
}

/* ---- keys -------------------------------------------------------------- */

static void test_key_generate(void)
{
	CU_ASSERT_EQUAL(pkictl("key generate K1 rsa 2048 usage decrypt"), 0);
	CU_ASSERT_TRUE(line_matches(0, "^K1$"));
	CU_ASSERT_TRUE(line_matches(1, "^-----BEGIN PUBLIC KEY-----$"));
	CU_ASSERT_EQUAL(sh("openssl pkey -pubin -in %s -noout -text | grep -q "
			   "\"Public-Key: (2048 bit)\"",
			   path("out")),
			0);

	CU_ASSERT_EQUAL(pkictl("--json key generate K2 usage both"), 0);
	CU_ASSERT_TRUE(jq(".name == \"K2\" and .bits == 2048 and "
			  ".usage == \"both\" and (.public_key|startswith("
			  "\"-----BEGIN PUBLIC KEY-----\\n\"))"));
	CU_ASSERT_EQUAL(
		sh("jq -r .public_key %s >%s", path("out"), path("k2.pub")), 0);

	CU_ASSERT_EQUAL(pkictl("key generate K3 rsa 3072"), 0);
	/* EC keys (v3): P-384 here, shown below; they sign and (v5) derive,
	 * never decrypt; an RSA key never derives. */
	CU_ASSERT_EQUAL(pkictl("key generate KE ec 384"), 0);
	CU_ASSERT_EQUAL(sh("openssl pkey -pubin -in %s -noout -text | grep -q "
			   "\"NIST CURVE: P-384\"",
			   path("out")),
			0);
	CU_ASSERT_EQUAL(pkictl("key generate KX ec 521"), 1);
	CU_ASSERT_EQUAL(pkictl("key generate KX ec 256 usage decrypt"), 1);
	CU_ASSERT_EQUAL(pkictl("key generate KX rsa 2048 usage derive"), 1);
	CU_ASSERT_EQUAL(pkictl("key generate KX ec 256 rsa 2048"), 1);
	/* Existing name: refused, and `replace` overrides. */
	CU_ASSERT_EQUAL(pkictl("key generate K1"), 2);
	CU_ASSERT_TRUE(err_has("exists"));
	CU_ASSERT_EQUAL(pkictl("key generate K1 usage decrypt replace"), 0);
}

static void test_show_keys(void)
{
	/* IOS `show crypto key mypubkey rsa`, then with pkid's facts. */
	CU_ASSERT_EQUAL(pkictl("show crypto key mypubkey rsa"), 0);
	CU_ASSERT_TRUE(out_has("Key name: K1\nKey type: RSA KEYS\n"
			       " Storage Device: pkiks\n"
			       " Usage: Encryption Key\n"
			       " Key is not exportable.\n Key Data:\n"
			       "  30820122 "));
	CU_ASSERT_TRUE(out_has("Key name: K3\nKey type: RSA KEYS\n"
			       " Storage Device: pkiks\n"
			       " Usage: Signature Key\n"));
	CU_ASSERT_TRUE(out_has("Key name: KE\nKey type: EC KEYS\n"
			       " Storage Device: pkiks\n"
			       " Usage: Signature Key\n"));
	CU_ASSERT_EQUAL(pkictl("show keys verbose"), 0);
	CU_ASSERT_TRUE(out_has("Key name: K1\nKey type: RSA KEYS\n"
			       " Storage Device: pkiks\n"
			       " Usage: Encryption Key\n"
			       " Key is not exportable.\n"
			       " Key size: 2048 bits\n Owner uid: 0\n"
			       " Key Data:\n  30820122 "));
	CU_ASSERT_TRUE(out_has("Key name: K3\nKey type: RSA KEYS\n"
			       " Storage Device: pkiks\n"
			       " Usage: Signature Key\n"
			       " Key is not exportable.\n"
			       " Key size: 3072 bits\n"));
	CU_ASSERT_TRUE(out_has("Key name: KE\nKey type: EC KEYS\n"
			       " Storage Device: pkiks\n"
			       " Usage: Signature Key\n"
			       " Key is not exportable.\n"
			       " Key size: 384 bits, curve P-384\n"));
	CU_ASSERT_EQUAL(pkictl("--json show keys"), 0);
	CU_ASSERT_TRUE(
		jq("[.keys[].name] == [\"K1\",\"K2\",\"K3\",\"KE\"]"));
	CU_ASSERT_TRUE(jq(".keys[3] | .bits == 384 and .type == \"EC\" and "
			  ".curve == \"P-384\" and (has(\"curve\")) and "
			  ".usage == \"sign\""));
	CU_ASSERT_TRUE(jq(".keys[2] | has(\"curve\") | not"));
	CU_ASSERT_TRUE(jq(".keys[2] | .bits == 3072 and .usage == \"sign\" "
			  "and .type == \"RSA\" and .owner_uid == 0"));
	/* The key listed is the key generated. */
	CU_ASSERT_EQUAL(sh("jq -r .keys[1].public_key %s | cmp -s - %s",
			   path("out"), path("k2.pub")),
			0);
}

static void test_key_delete(void)
{
	CU_ASSERT_EQUAL(pkictl("key delete K3"), 0);
	CU_ASSERT_TRUE(line_matches(0, "^Key K3 deleted$"));
	CU_ASSERT_EQUAL(pkictl("key delete K3"), 2);
	CU_ASSERT_TRUE(err_has("pkictl: deleting key K3: no such key"));
	CU_ASSERT_EQUAL(pkictl("--json key delete K2"), 0);
	CU_ASSERT_TRUE(jq(". == {\"deleted\": \"K2\"}"));
}

/* A member that does not own the key gets the protocol's EPERM. */
static void test_permission_denied(void)
{
	CU_ASSERT_EQUAL(sh("setpriv --reuid=65534 --regid=65534 --clear-groups "
			   "%s/bin/pkictl key delete K1 >%s 2>%s",
			   T.build, path("out"), path("err")),
			2);
	CU_ASSERT_TRUE(err_has("pkictl: deleting key K1: permission denied"));
	CU_ASSERT_EQUAL(pkictl("show keys"), 0);
	CU_ASSERT_TRUE(out_has("Key name: K1"));
}

/* ---- pkiks-keygen's archive --------------------------------------------- */

static void test_keygen_archive(void)
{
	const char *p12 = path("k4.p12");
	struct stat st;

	CU_ASSERT_EQUAL(sh("PW=s3cret %s/bin/pkiks-keygen K4 --archive %s "
			   "--password-env PW >%s",
			   T.build, p12, path("k4.out")),
			0);
	CU_ASSERT_TRUE(stat(p12, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* The archive holds the very key the keystore got. */
	CU_ASSERT_EQUAL(sh("openssl pkcs12 -in %s -passin pass:s3cret -nocerts "
			   "-nodes 2>/dev/null | openssl pkey -pubout >%s",
			   p12, path("k4.p12.pub")),
			0);
	CU_ASSERT_EQUAL(sh("tail -n +2 %s | cmp -s - %s", path("k4.out"),
			   path("k4.p12.pub")),
			0);
	CU_ASSERT_NOT_EQUAL(sh("openssl pkcs12 -in %s -passin pass:wrong "
			       "-nocerts -nodes >/dev/null 2>&1",
			       p12),
			    0);
	/* Never overwrite an archive; nothing is imported then. */
	CU_ASSERT_EQUAL(sh("PW=x %s/bin/pkiks-keygen K5 --archive %s "
			   "--password-env PW >/dev/null 2>%s",
			   T.build, p12, path("err")),
			2);
	CU_ASSERT_TRUE(err_has("refusing to overwrite"));
	CU_ASSERT_EQUAL(pkictl("key delete K5"), 2);
	/* A missing password is caught before any key exists. */
	CU_ASSERT_EQUAL(sh("PW= %s/bin/pkiks-keygen K9 --archive %s "
			   "--password-env PW >/dev/null 2>%s",
			   T.build, path("k9.p12"), path("err")),
			2);
	CU_ASSERT_TRUE(err_has("$PW is unset or empty"));
	CU_ASSERT_EQUAL(pkictl("key delete K9"), 2);
	/* The password may also come from a file (first line). */
	CU_ASSERT_EQUAL_FATAL(spit(path("pw"), "from-file\n", 10), 0);
	CU_ASSERT_EQUAL(sh("%s/bin/pkiks-keygen K5 --archive %s "
			   "--password-file %s >/dev/null",
			   T.build, path("k5.p12"), path("pw")),
			0);
	CU_ASSERT_EQUAL(sh("openssl pkcs12 -in %s -passin pass:from-file "
			   "-nocerts -nodes >/dev/null 2>&1",
			   path("k5.p12")),
			0);
	CU_ASSERT_EQUAL(sh("%s/bin/pkiks-keygen K6 --archive %s 2>%s", T.build,
			   path("k6.p12"), path("err")),
			1);
	CU_ASSERT_TRUE(err_has("--password-file or --password-env"));
}

/* ---- usage and reachability -------------------------------------------- */

static void test_usage_errors(void)
{
	CU_ASSERT_EQUAL(pkictl(""), 1);
	CU_ASSERT_TRUE(err_has("no command given"));
	CU_ASSERT_EQUAL(pkictl("show"), 1);
	CU_ASSERT_TRUE(err_has("unknown command `show`"));
	CU_ASSERT_EQUAL(pkictl("show keys extra"), 1);
	CU_ASSERT_EQUAL(pkictl("key generate"), 1);
	CU_ASSERT_EQUAL(pkictl("key generate K7 rsa 1024"), 1);
	CU_ASSERT_TRUE(err_has("2048, 3072 or 4096"));
	CU_ASSERT_EQUAL(pkictl("key generate \"bad name\""), 1);
	CU_ASSERT_EQUAL(pkictl("help"), 0);
	CU_ASSERT_TRUE(out_has("show timers"));
}

static void test_unreachable(void)
{
	char args[4200];

	snprintf(args, sizeof(args), "--socket %s show keys",
		 path("nothing.sock"));
	CU_ASSERT_EQUAL(pkictl(args), 3);
	CU_ASSERT_TRUE(err_has("pkictl: keystore unreachable: "));
	CU_ASSERT_TRUE(err_has("nothing.sock"));
	snprintf(args, sizeof(args), "--socket %s key generate K8",
		 path("nothing.sock"));
	CU_ASSERT_EQUAL(pkictl(args), 3);
}

int main(int argc, char **argv)
{
	static const struct cu_case tests[] = {
		{"show timers: IOS lines and --json", test_show_timers},
		{"show clock on the lab clock", test_show_clock_lab},
		{"show timers: GENERIC with its label", test_show_timers_generic},
		{"clock calendar-valid", test_clock_calendar_valid},
		{"key generate", test_key_generate},
		{"show keys", test_show_keys},
		{"key delete", test_key_delete},
		{"permission denied", test_permission_denied},
		{"pkiks-keygen --archive", test_keygen_archive},
		{"usage errors exit 1", test_usage_errors},
		{"keystore unreachable exits 3", test_unreachable},
	};

	if (argc != 3 || !getenv("PKIKS_SOCKET")) {
		fprintf(stderr, "usage: PKIKS_SOCKET=... %s TMPDIR BUILDDIR\n",
			argv[0]);
		return 2;
	}
	T.dir = argv[1];
	T.build = argv[2];
	return cu_run_suite("pkictl", suite_init, suite_clean,
			    CU_CASES(tests));
}
