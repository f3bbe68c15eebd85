// SPDX-License-Identifier: MIT
/*
 * pkid.conf parser: defaults, every §3/§4 command with explicit values,
 * abbreviations, "no" forms, errors with file:line, a table of broken
 * lines, running-config round trip, reload diff, and loading real files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../lib/cunit_run.h"

#include "config.h"

/* Messages the parser reported during the last parse. */
static char msgs[16][1024];
static int nmsgs;

static void collect(void *arg, const char *msg)
{
	if (nmsgs < 16)
		snprintf(msgs[nmsgs], sizeof(msgs[0]), "%s", msg);
	nmsgs++;
}

static int parse(const char *text, struct pkid_config **cfg)
{
	nmsgs = 0;
	memset(msgs, 0, sizeof(msgs));
	return pkid_config_parse("pkid.conf", text, strlen(text), cfg, collect,
				 NULL);
}

static struct pkid_config *parse_ok(const char *text)
{
	struct pkid_config *cfg = NULL;
	int rc = parse(text, &cfg);

	if (rc)
		fprintf(stderr, "unexpected error: %s\n", msgs[0]);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(nmsgs, 0);
	return cfg;
}

#define DAYS(d)	 ((int64_t)(d)*86400)
#define HOURS(h) ((int64_t)(h)*3600)

static void test_defaults(void)
{
	struct pkid_config *cfg = parse_ok("crypto pki server ROOTCA\n"
					   "crypto pki trustpoint TP\n");
	const struct pkid_server_config *s = pkid_config_server(cfg, "ROOTCA");
	const struct pkid_trustpoint_config *t =
		pkid_config_trustpoint(cfg, "TP");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(s->issuer_name, "CN=ROOTCA");
	CU_ASSERT_EQUAL(s->hash, PKID_HASH_SHA256);
	CU_ASSERT_EQUAL(s->lifetime_ca_cert, DAYS(1095));
	CU_ASSERT_EQUAL(s->lifetime_cert, DAYS(365));
	CU_ASSERT_EQUAL(s->lifetime_crl, HOURS(168));
	CU_ASSERT_EQUAL(s->lifetime_enrollreq, HOURS(168));
	CU_ASSERT_EQUAL(s->lifetime_ocsp, 0); /* as long as the CA */
	CU_ASSERT_FALSE(s->auto_rollover);
	CU_ASSERT_EQUAL(s->rollover_window, DAYS(30));
	CU_ASSERT_EQUAL(s->grant, PKID_GRANT_MANUAL);
	CU_ASSERT_STRING_EQUAL(s->grant_auto_tp, "");
	CU_ASSERT_EQUAL(s->db_level, PKID_DB_LEVEL_MINIMUM);
	CU_ASSERT_STRING_EQUAL(s->db_url, "");
	CU_ASSERT_EQUAL(s->archive_format, PKID_ARCHIVE_PKCS12);
	CU_ASSERT_STRING_EQUAL(s->cdp_url, "");
	CU_ASSERT_STRING_EQUAL(s->ocsp_url, "");
	CU_ASSERT_TRUE(s->shutdown);
	CU_ASSERT_EQUAL(s->line, 1);

	CU_ASSERT_STRING_EQUAL(t->rsakeypair, "TP");
	CU_ASSERT_EQUAL(t->rsa_bits, 2048);
	CU_ASSERT_FALSE(t->auto_enroll);
	CU_ASSERT_EQUAL(t->retry_count, 999);
	CU_ASSERT_EQUAL(t->retry_period_min, 1);
	CU_ASSERT_EQUAL(t->retry_max_period_min, 60);
	CU_ASSERT_EQUAL(t->revocation_check, PKID_REVCHECK_CRL);
	CU_ASSERT_EQUAL(t->serial_number, PKID_UNSET);
	CU_ASSERT_EQUAL(t->ip_address, PKID_UNSET);
	CU_ASSERT_STRING_EQUAL(t->enrollment_url, "");
	CU_ASSERT_EQUAL(t->line, 2);

	CU_ASSERT_FALSE(cfg->http_enabled);
	CU_ASSERT_EQUAL(cfg->http_port, 80);
	CU_ASSERT_FALSE(cfg->clock_calendar_valid);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, PKID_CTL_SOCKET_DEFAULT);
	CU_ASSERT_EQUAL(cfg->rate_limit, 0);
	pkid_config_free(cfg);
}

/* Every command once, explicit values: a full configuration. */
static const char full_conf[] =
	"! a full pkid.conf\n"
	"hostname ca-1\n"
	"clock calendar-valid\n"
	"ip http server 8080\n"
	"ip http secure-server\n"
	"ip http secure-port 8443\n"
	"ip http rate-limit 50 100 interface eth0 eth1\n"
	"ip http rate-limit allow 10.1.0.0/16\n"
	"ip http rate-limit allow 2001:db8::/32\n"
	"control-socket /tmp/pkid-test.sock\n"
	"!\n"
	"crypto pki server ROOTCA\n"
	"  issuer-name CN=Root CA,OU=TAC,O=Cisco\n"
	"  hash sha512\n"
	"  lifetime ca-certificate 730 12 30\n"
	"  lifetime certificate 180 6\n"
	"  lifetime crl 24 30\n"
	"  lifetime enrollment-request 48\n"
	"  lifetime ocsp-responder 2 12\n"
	"  auto-rollover 90\n"
	"  grant auto\n"
	"  grant auto trustpoint SUB\n"
	"  database level complete\n"
	"  database url file:///var/lib/pkid/ROOTCA/\n"
	"  database connection "
	"postgresql://pkid@db1.example.net:5432/pkid?sslmode=verify-full\n"
	"  database credentials /etc/pkid/pgpass\n"
	"  database archive pem password 0 s3cr3t!\n"
	"  cdp-url http://10.1.1.1/crl/ROOTCA.crl\n"
	"  ocsp-url http://10.1.1.1/ocsp/ROOTCA\n"
	"  legacy des\n"
	"  est tls-name ca-1.example.net\n"
	"  no shutdown\n"
	"crypto pki trustpoint SUB\n"
	"  enrollment url http://172.16.1.1:80\n"
	"  enrollment retry count 50\n"
	"  enrollment retry period 5\n"
	"  enrollment retry max-period 120\n"
	"  serial-number\n"
	"  ip-address none\n"
	"  password 0 Rev0cati0n$Passw0rd\n"
	"  subject-name CN=spoke-1.cisco.com,OU=CVO\n"
	"  subject-alt-name spoke-1.example.net\n"
	"  revocation-check none\n"
	"  rsakeypair spoke-1-RSA 3072\n"
	"  auto-enroll 80 regenerate\n"
	"  fingerprint "
	"01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67\n"
	"  certificate export /etc/ipsec.d/certs/spoke.pem\n"
	"  certificate export-shadow /etc/ipsec.d/certs/spoke-shadow.pem\n"
	"  on-change systemctl reload strongswan --no-block\n"
	"crypto pki trustpoint SPOKE2\n"
	"  serial-number none\n"
	"  ip-address 192.0.2.7\n";

static void test_explicit(void)
{
	struct pkid_config *cfg = parse_ok(full_conf);
	const struct pkid_server_config *s = pkid_config_server(cfg, "ROOTCA");
	const struct pkid_trustpoint_config *t =
		pkid_config_trustpoint(cfg, "SUB");
	const struct pkid_trustpoint_config *t2 =
		pkid_config_trustpoint(cfg, "SPOKE2");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t2);
	CU_ASSERT_STRING_EQUAL(cfg->hostname, "ca-1");
	CU_ASSERT_TRUE(cfg->clock_calendar_valid);
	CU_ASSERT_TRUE(cfg->http_enabled);
	CU_ASSERT_EQUAL(cfg->http_port, 8080);
	CU_ASSERT_TRUE(cfg->https_enabled);
	CU_ASSERT_EQUAL(cfg->https_port, 8443);
	CU_ASSERT_EQUAL(cfg->rate_limit, 50);
	CU_ASSERT_EQUAL(cfg->rate_burst, 100);
	CU_ASSERT_EQUAL_FATAL(cfg->n_rate_ifaces, 2);
	CU_ASSERT_STRING_EQUAL(cfg->rate_ifaces[1], "eth1");
	CU_ASSERT_EQUAL_FATAL(cfg->n_rate_allow, 2);
	CU_ASSERT_EQUAL(cfg->rate_allow[0].family, AF_INET);
	CU_ASSERT_EQUAL(cfg->rate_allow[0].len, 16);
	CU_ASSERT_EQUAL(cfg->rate_allow[1].family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, "/tmp/pkid-test.sock");

	CU_ASSERT_STRING_EQUAL(s->issuer_name, "CN=Root CA,OU=TAC,O=Cisco");
	CU_ASSERT_EQUAL(s->hash, PKID_HASH_SHA512);
	CU_ASSERT_EQUAL(s->lifetime_ca_cert, DAYS(730) + HOURS(12) + 30 * 60);
	CU_ASSERT_EQUAL(s->lifetime_cert, DAYS(180) + HOURS(6));
	CU_ASSERT_EQUAL(s->lifetime_crl, HOURS(24) + 30 * 60);
	CU_ASSERT_EQUAL(s->lifetime_enrollreq, HOURS(48));
	CU_ASSERT_EQUAL(s->lifetime_ocsp, DAYS(2) + HOURS(12));
	CU_ASSERT_TRUE(s->auto_rollover);
	CU_ASSERT_EQUAL(s->rollover_window, DAYS(90));
	CU_ASSERT_EQUAL(s->grant, PKID_GRANT_AUTO);
	CU_ASSERT_STRING_EQUAL(s->grant_auto_tp, "SUB");
	CU_ASSERT_EQUAL(s->db_level, PKID_DB_LEVEL_COMPLETE);
	CU_ASSERT_STRING_EQUAL(s->db_url, "file:///var/lib/pkid/ROOTCA/");
	CU_ASSERT_STRING_EQUAL(
		s->db_connection,
		"postgresql://pkid@db1.example.net:5432/pkid?sslmode=verify-full");
	CU_ASSERT_STRING_EQUAL(s->db_credentials, "/etc/pkid/pgpass");
	CU_ASSERT_EQUAL(s->archive_format, PKID_ARCHIVE_PEM);
	CU_ASSERT_STRING_EQUAL(s->archive_password, "s3cr3t!");
	CU_ASSERT_STRING_EQUAL(s->cdp_url, "http://10.1.1.1/crl/ROOTCA.crl");
	CU_ASSERT_STRING_EQUAL(s->ocsp_url, "http://10.1.1.1/ocsp/ROOTCA");
	CU_ASSERT_TRUE(s->legacy_des);
	CU_ASSERT_TRUE(s->est);
	CU_ASSERT_STRING_EQUAL(s->est_tls_name, "ca-1.example.net");
	CU_ASSERT_FALSE(s->shutdown);

	CU_ASSERT_STRING_EQUAL(t->enrollment_url, "http://172.16.1.1:80");
	CU_ASSERT_EQUAL(t->retry_count, 50);
	CU_ASSERT_EQUAL(t->retry_period_min, 5);
	CU_ASSERT_EQUAL(t->retry_max_period_min, 120);
	CU_ASSERT_EQUAL(t->serial_number, PKID_SET);
	CU_ASSERT_EQUAL(t->ip_address, PKID_SET_NONE);
	CU_ASSERT_STRING_EQUAL(t->password, "Rev0cati0n$Passw0rd");
	CU_ASSERT_STRING_EQUAL(t->subject_name, "CN=spoke-1.cisco.com,OU=CVO");
	CU_ASSERT_STRING_EQUAL(t->subject_alt_name, "spoke-1.example.net");
	CU_ASSERT_EQUAL(t->revocation_check, PKID_REVCHECK_NONE);
	CU_ASSERT_STRING_EQUAL(t->rsakeypair, "spoke-1-RSA");
	CU_ASSERT_EQUAL(t->rsa_bits, 3072);
	CU_ASSERT_TRUE(t->auto_enroll);
	CU_ASSERT_EQUAL(t->auto_enroll_pct, 80);
	CU_ASSERT_TRUE(t->auto_enroll_regenerate);
	CU_ASSERT_STRING_EQUAL(t->fingerprint,
			       "0123456789ABCDEF0123456789ABCDEF01234567");
	CU_ASSERT_STRING_EQUAL(t->export_path, "/etc/ipsec.d/certs/spoke.pem");
	CU_ASSERT_STRING_EQUAL(t->export_shadow_path,
			       "/etc/ipsec.d/certs/spoke-shadow.pem");
	CU_ASSERT_STRING_EQUAL(t->on_change,
			       "systemctl reload strongswan --no-block");
	CU_ASSERT_EQUAL(t2->serial_number, PKID_SET_NONE);
	CU_ASSERT_EQUAL(t2->ip_address, PKID_SET);
	CU_ASSERT_STRING_EQUAL(t2->ip_address_value, "192.0.2.7");
	pkid_config_free(cfg);
}

static void test_abbreviations(void)
{
	struct pkid_config *cfg = parse_ok("cl cal\n"
					   "ip h ser\n"
					   "cry pki ser CA\n"
					   " lifetime cert 365\n"
					   " lifetime ca 700\n"
					   " lifetime cr 12\n"
					   " lifetime e 10\n"
					   " grant auto\n"
					   " datab level complete\n"
					   " datab arch pem pass x\n"
					   " hash sha5\n"
					   " auto 10 2 3\n"
					   " no shut\n"
					   "cry pki trust TP\n"
					   " enr url http://ca/\n"
					   " enr ret cou 3\n"
					   " enr ret per 2\n"
					   " enr ret max 7\n"
					   " aut 85 regen\n"
					   " revoc no\n"
					   " cert export /a\n"
					   " cert export-s /b\n");
	const struct pkid_server_config *s = pkid_config_server(cfg, "CA");
	const struct pkid_trustpoint_config *t =
		pkid_config_trustpoint(cfg, "TP");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_TRUE(cfg->clock_calendar_valid);
	CU_ASSERT_TRUE(cfg->http_enabled);
	CU_ASSERT_EQUAL(cfg->http_port, 80);
	CU_ASSERT_EQUAL(s->lifetime_cert, DAYS(365));
	CU_ASSERT_EQUAL(s->lifetime_ca_cert, DAYS(700));
	CU_ASSERT_EQUAL(s->lifetime_crl, HOURS(12));
	CU_ASSERT_EQUAL(s->lifetime_enrollreq, HOURS(10));
	CU_ASSERT_EQUAL(s->grant, PKID_GRANT_AUTO);
	CU_ASSERT_EQUAL(s->db_level, PKID_DB_LEVEL_COMPLETE);
	CU_ASSERT_EQUAL(s->archive_format, PKID_ARCHIVE_PEM);
	CU_ASSERT_STRING_EQUAL(s->archive_password, "x");
	CU_ASSERT_EQUAL(s->hash, PKID_HASH_SHA512);
	CU_ASSERT_TRUE(s->auto_rollover);
	CU_ASSERT_EQUAL(s->rollover_window, DAYS(10) + HOURS(2) + 180);
	CU_ASSERT_FALSE(s->shutdown);
	CU_ASSERT_EQUAL(t->retry_count, 3);
	CU_ASSERT_EQUAL(t->retry_period_min, 2);
	CU_ASSERT_EQUAL(t->retry_max_period_min, 7);
	CU_ASSERT_EQUAL(t->auto_enroll_pct, 85);
	CU_ASSERT_TRUE(t->auto_enroll_regenerate);
	CU_ASSERT_EQUAL(t->revocation_check, PKID_REVCHECK_NONE);
	/* "export" is exact: it wins over the longer "export-shadow" */
	CU_ASSERT_STRING_EQUAL(t->export_path, "/a");
	CU_ASSERT_STRING_EQUAL(t->export_shadow_path, "/b");
	pkid_config_free(cfg);
}

static void test_no_forms(void)
{
	struct pkid_config *cfg = parse_ok("ip http server 81\n"
					   "no ip http server\n"
					   "ip http secure-server\n"
					   "ip http secure-port 9443\n"
					   "no ip http secure-port\n"
					   "crypto pki server CA\n"
					   " grant none\n"
					   " no grant\n"
					   " auto-rollover 5\n"
					   " no auto-rollover\n"
					   " hash sha1\n"
					   " no hash\n"
					   " no shutdown\n"
					   " shutdown\n"
					   " cdp-url http://x/\n"
					   " no cdp-url\n"
					   " ocsp-url http://x/ocsp/CA\n"
					   " no ocsp-url\n"
					   "crypto pki trustpoint TP\n"
					   " auto-enroll\n"
					   " password 0 x\n"
					   " no password\n");
	const struct pkid_server_config *s = pkid_config_server(cfg, "CA");
	const struct pkid_trustpoint_config *t =
		pkid_config_trustpoint(cfg, "TP");

	CU_ASSERT_FALSE(cfg->http_enabled);
	CU_ASSERT_TRUE(cfg->https_enabled);
	CU_ASSERT_EQUAL(cfg->https_port, 443);
	CU_ASSERT_EQUAL(s->grant, PKID_GRANT_MANUAL);
	CU_ASSERT_FALSE(s->auto_rollover);
	CU_ASSERT_EQUAL(s->hash, PKID_HASH_SHA256);
	CU_ASSERT_TRUE(s->shutdown);
	CU_ASSERT_STRING_EQUAL(s->cdp_url, "");
	CU_ASSERT_STRING_EQUAL(s->ocsp_url, "");
	CU_ASSERT_TRUE(t->auto_enroll);
	CU_ASSERT_EQUAL(t->auto_enroll_pct, 100);
	CU_ASSERT_STRING_EQUAL(t->password, "");
	pkid_config_free(cfg);
}

static void test_type7_password(void)
{
	/* the textbook vector: "0822455D0A16" is "cisco" */
	struct pkid_config *cfg = parse_ok("crypto pki trustpoint TP\n"
					   " password 7 0822455D0A16\n");

	CU_ASSERT_STRING_EQUAL(cfg->trustpoints[0].password, "cisco");
	pkid_config_free(cfg);
}

/* The brief's own example, byte for byte. */
static void test_error_message(void)
{
	struct pkid_config *cfg = (void *)1;
	int rc = parse("crypto pki server CA\n"
		       "!\n!\n!\n!\n!\n!\n!\n!\n!\n!\n"
		       " lifetime certificate x\n",
		       &cfg);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(nmsgs, 1);
	CU_ASSERT_STRING_EQUAL(
		msgs[0],
		"pkid.conf:12: 'lifetime certificate': expected days (0-3650), "
		"got 'x'");
}

/* Several errors are all reported, each with its own line. */
static void test_all_errors_reported(void)
{
	struct pkid_config *cfg;
	int rc = parse("crypto pki server CA\n"
		       " hash md5\n"
		       " grant maybe\n"
		       "bogus\n",
		       &cfg);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(nmsgs, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(msgs[0], "pkid.conf:2: 'hash'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msgs[1], "pkid.conf:3: 'grant'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msgs[2], "pkid.conf:4: unknown command"));
}

struct broken {
	const char *text; /* the whole file */
	unsigned int line;
	const char *says; /* part of the message */
};

static const struct broken broken[] = {
	{"crypto pki server CA\n lifetime c 10\n", 2, "'c' is ambiguous"},
	{"crypto pki server CA\n hash sha 1\n", 2, "'sha' is ambiguous"},
	{"crypto pki server CA\n d level x\n", 2, "expected one of: minimum"},
	{"crypto pki server CA\n lifetime certificate 3651\n", 2,
	 "expected days (0-3650), got '3651'"},
	{"crypto pki server CA\n lifetime certificate 1 24\n", 2,
	 "expected hours (0-23), got '24'"},
	{"crypto pki server CA\n lifetime certificate 1 2 60\n", 2,
	 "expected minutes (0-59), got '60'"},
	{"crypto pki server CA\n lifetime certificate 1 2 3 4\n", 2,
	 "unexpected '4'"},
	{"crypto pki server CA\n lifetime certificate 0\n", 2,
	 "must not be zero"},
	{"crypto pki server CA\n lifetime crl 337\n", 2,
	 "expected hours (0-336)"},
	{"crypto pki server CA\n lifetime ocsp-responder 0 1 30\n"
	 " lifetime crl 1\n",
	 1, "lifetime ocsp-responder (90 min) must be at least twice lifetime "
	    "crl (60 min)"},
	{"crypto pki server CA\n lifetime\n", 2, "incomplete command"},
	{"crypto pki server CA\n lifetime foo 3\n", 2,
	 "'foo': unknown keyword, expected one of: ca-certificate"},
	{"crypto pki server CA\n issuer-name RootCA\n", 2,
	 "not a distinguished name"},
	{"crypto pki server CA\n grant auto trustpoint\n", 2,
	 "expected a name"},
	{"crypto pki server CA\n database url nowhere\n", 2, "not a URL"},
	{"crypto pki server CA\n database url ftp://10.1.1.1/DB/\n", 2,
	 "it cannot serve 'ftp://10.1.1.1/DB/'"},
	{"crypto pki server CA\n database url file://host/db\n", 2,
	 "local folder (/path or file:///path)"},
	{"crypto pki server CA\n database connection mysql://db/pkid\n", 2,
	 "expected postgresql://..., got 'mysql://db/pkid'"},
	{"crypto pki server CA\n database connection "
	 "postgresql://pkid:s3cret@db/pkid\n",
	 2, "no password in the URL"},
	{"crypto pki server CA\n database connection "
	 "postgresql://db/pkid?password=s3cret\n",
	 2, "no password in the URL"},
	{"crypto pki server CA\n database credentials pgpass\n", 2,
	 "expected an absolute path"},
	{"crypto pki server CA\n database archive zip\n", 2,
	 "expected one of: pkcs12, pem, got 'zip'"},
	{"crypto pki server CA\n shutdown now\n", 2, "unexpected 'now'"},
	{"crypto pki server CA\n enrollment url http://x/\n", 2,
	 "unknown command 'enrollment' in crypto pki server"},
	{"crypto pki server CA\n auto-rollover 1100\n", 1,
	 "must be shorter than lifetime ca-certificate"},
	{"crypto pki server CA\n grant auto trustpoint NOPE\n", 1,
	 "no such trustpoint"},
	{"crypto pki server C/A\n", 1, "not a valid name"},
	{"crypto pki server CA\n est tls-name a/b\n", 2,
	 "tls-name wants a DNS name or an IP address"},
	{"crypto pki server CA\n est tls-name\n", 2,
	 "tls-name wants a DNS name or an IP address"},
	{"crypto pki server CA\n est name x\n", 2,
	 "expected one of: tls-name, got 'name'"},
	{"ip http secure-port 0\n", 1, "port"},
	{"ip http secure-server 8443\n", 1, "unexpected '8443'"},
	{"crypto pki trustpoint TP\n auto-enroll 101\n", 2,
	 "expected percent (1-100), got '101'"},
	{"crypto pki trustpoint TP\n auto-enroll 80 again\n", 2,
	 "expected one of: regenerate, got 'again'"},
	{"crypto pki trustpoint TP\n rsakeypair K 1000\n", 2,
	 "expected key size 2048, 3072 or 4096"},
	{"crypto pki trustpoint TP\n enrollment retry period 0\n", 2,
	 "expected minutes (1-60), got '0'"},
	{"crypto pki trustpoint TP\n enrollment retry period 30\n"
	 " enrollment retry max-period 10\n",
	 1, "max-period (10) is below enrollment retry period (30)"},
	{"crypto pki trustpoint TP\n ip-address 300.1.1.1\n", 2,
	 "expected an IP address or none"},
	{"crypto pki trustpoint TP\n fingerprint 12345\n", 2, "got 5"},
	{"crypto pki trustpoint TP\n fingerprint xyz\n", 2,
	 "not a hex fingerprint"},
	{"crypto pki trustpoint TP\n password 7 zz\n", 2,
	 "not a valid type 7 password"},
	{"crypto pki trustpoint TP\n certificate export rel/path\n", 2,
	 "expected an absolute path, got 'rel/path'"},
	{"crypto pki trustpoint TP\n on-change\n", 2, "expected a command"},
	{"crypto pki server CA\ncrypto pki trustpoint TP\n rsakeypair CA\n", 2,
	 "rsakeypair CA is the key of crypto pki server CA"},
	{"ip http server 70000\n", 1, "expected port (1-65535), got '70000'"},
	{"ip http rate-limit 10\n", 1, "expected burst (1-1000000)"},
	{"ip http rate-limit 10 20 interface\n", 1, "expected interface names"},
	{"ip http rate-limit allow 10.0.0.0/33\n", 1,
	 "expected one address prefix"},
	{"clock calendar-valid yes\n", 1, "unexpected 'yes'"},
	{"control-socket "
	 "/run/"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	 1, "at most 107 characters"},
	{"hostname\n", 1, "expected a name"},
	{"no\n", 1, "incomplete command"},
	{" hash sha1\n", 1, "indented line outside"},
	{"crypto pki server CA\n exit\n hash sha1\n", 3,
	 "indented line outside"},
	{"c pki server X\n", 1,
	 "'c' is ambiguous (clock, control-socket, "
	 "crypto)"},
	{"crypto pki\n", 1,
	 "incomplete command, expected one of: server, "
	 "trustpoint"},
	{"x\0y\n", 1, "NUL byte"},
};

static void test_broken_table(void)
{
	char want[64];

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		const struct broken *b = &broken[i];
		struct pkid_config *cfg = (void *)1;
		size_t len = strlen(b->text);
		int rc;

		if (!strcmp(b->text, "x"))
			len = 4; /* the NUL-byte case */
		nmsgs = 0;
		memset(msgs, 0, sizeof(msgs));
		rc = pkid_config_parse("pkid.conf", b->text, len, &cfg, collect,
				       NULL);
		snprintf(want, sizeof(want), "pkid.conf:%u: ", b->line);
		if (rc != -EINVAL || nmsgs < 1 ||
		    strncmp(msgs[0], want, strlen(want)) ||
		    !strstr(msgs[0], b->says))
			fprintf(stderr,
				"\nbroken[%zu]: rc %d, got \"%s\", "
				"want \"%s...%s\"\n",
				i, rc, msgs[0], want, b->says);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(cfg);
		CU_ASSERT_TRUE(nmsgs >= 1);
		CU_ASSERT_EQUAL(strncmp(msgs[0], want, strlen(want)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(msgs[0], b->says));
	}
}

static void assert_same(const struct pkid_config *a,
			const struct pkid_config *b)
{
	CU_ASSERT_TRUE(pkid_config_globals_equal(a, b));
	CU_ASSERT_EQUAL_FATAL(a->n_servers, b->n_servers);
	CU_ASSERT_EQUAL_FATAL(a->n_trustpoints, b->n_trustpoints);
	for (size_t i = 0; i < a->n_servers; i++)
		CU_ASSERT_TRUE(pkid_server_config_equal(
			&a->servers[i],
			pkid_config_server(b, a->servers[i].name)));
	for (size_t i = 0; i < a->n_trustpoints; i++)
		CU_ASSERT_TRUE(pkid_trustpoint_config_equal(
			&a->trustpoints[i],
			pkid_config_trustpoint(b, a->trustpoints[i].name)));
}

/* parse → print → parse gives the same configuration and the same text. */
static void test_round_trip(void)
{
	struct pkid_config *a = parse_ok(full_conf), *b, *c;
	char *ta = pkid_config_to_string(a, 0), *tb, *hidden;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
	b = parse_ok(ta);
	assert_same(a, b);
	tb = pkid_config_to_string(b, 0);
	CU_ASSERT_STRING_EQUAL(ta, tb);
	/* the defaults print as nothing, and parse back as defaults */
	c = parse_ok("crypto pki server CA\ncrypto pki trustpoint TP\n");
	free(tb);
	tb = pkid_config_to_string(c, 0);
	CU_ASSERT_STRING_EQUAL(tb, "!\ncrypto pki trustpoint TP\n!\n"
				   "crypto pki server CA\n shutdown\nend\n");
	hidden = pkid_config_to_string(a, PKID_PRINT_HIDE_SECRETS);
	CU_ASSERT_PTR_NULL(strstr(hidden, "Rev0cati0n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(hidden, " password 0 <hidden>\n"));
	free(hidden);
	free(ta);
	free(tb);
	pkid_config_free(a);
	pkid_config_free(b);
	pkid_config_free(c);
}

static const struct pkid_config_change *
find_change(const struct pkid_config_change *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

static void test_diff(void)
{
	struct pkid_config *a = parse_ok(full_conf), *b;
	struct pkid_config_diff d;
	const struct pkid_config_change *ch;
	char *text = pkid_config_to_string(a, 0);

	CU_ASSERT_EQUAL(pkid_config_diff(a, a, &d), 0);
	CU_ASSERT_TRUE(pkid_config_diff_empty(&d));
	pkid_config_diff_free(&d);

	/* the same file plus: ROOTCA changed, SPOKE2 dropped, NEW added */
	text = realloc(text, strlen(text) + 256);
	strcat(text, "crypto pki server ROOTCA\n lifetime crl 12\n"
		     "no crypto pki trustpoint SPOKE2\n"
		     "crypto pki trustpoint NEW\n"
		     "ip http server 8081\n");
	b = parse_ok(text);
	CU_ASSERT_EQUAL_FATAL(pkid_config_diff(a, b, &d), 0);
	CU_ASSERT_FALSE(pkid_config_diff_empty(&d));
	CU_ASSERT_TRUE(d.globals_changed);
	CU_ASSERT_TRUE(d.http_changed);
	CU_ASSERT_EQUAL(d.n_servers, 1);
	ch = find_change(d.servers, d.n_servers, "ROOTCA");
	CU_ASSERT_TRUE(ch && ch->kind == PKID_CHANGE_MODIFIED);
	CU_ASSERT_EQUAL(d.n_trustpoints, 2);
	ch = find_change(d.trustpoints, d.n_trustpoints, "SPOKE2");
	CU_ASSERT_TRUE(ch && ch->kind == PKID_CHANGE_REMOVED);
	ch = find_change(d.trustpoints, d.n_trustpoints, "NEW");
	CU_ASSERT_TRUE(ch && ch->kind == PKID_CHANGE_ADDED);
	CU_ASSERT_PTR_NULL(
		pkid_server_locked_change(&a->servers[0], &b->servers[0]));
	pkid_config_diff_free(&d);
	pkid_config_free(b);

	strcat(text, "crypto pki server ROOTCA\n issuer-name CN=Other\n");
	b = parse_ok(text);
	CU_ASSERT_STRING_EQUAL(
		pkid_server_locked_change(&a->servers[0], &b->servers[0]),
		"issuer-name");
	pkid_config_free(b);
	pkid_config_free(a);
	free(text);
}

/* A real file, the seed document's own example, and a missing file. */
static void test_load_file(void)
{
	char dir[] = "/tmp/pkid-config-XXXXXX", path[64];
	struct pkid_config *cfg;
	FILE *f;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pkid.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("crypto pki server ROOTCA\r\n"
	      "  database level complete\n"
	      "  database archive pkcs12 password 7 0822455D0A16\n"
	      "  issuer-name CN=RootCA,OU=TAC,O=Cisco\n"
	      "  grant auto\n"
	      "  lifetime certificate 365\n"
	      "  lifetime ca-certificate 730\n"
	      "  database url /var/lib/pkid/ROOTCA/\n"
	      "  auto-rollover 90\n",
	      f);
	fclose(f);
	nmsgs = 0;
	rc = pkid_config_load(path, &cfg, collect, NULL);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg->servers[0].rollover_window, DAYS(90));
	CU_ASSERT_STRING_EQUAL(cfg->servers[0].archive_password, "cisco");
	pkid_config_free(cfg);

	unlink(path);
	nmsgs = 0;
	rc = pkid_config_load(path, &cfg, collect, NULL);
	CU_ASSERT_EQUAL(rc, -ENOENT);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(nmsgs, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msgs[0], "cannot read"));
	rmdir(dir);
}

/*
 * IOS sub-modes: a line valid in the open block and not a global command
 * belongs to the block even unindented (issue 13 #6: the French seed has
 * `auto-rollover 90` unindented under `crypto pki server`); a global
 * command or an unknown word leaves it; the printer indents the result.
 */
static void test_unindented_submode(void)
{
	struct pkid_config *cfg = parse_ok("crypto pki server ROOTCA\n"
					   "grant auto\n"
					   "auto-rollover 90\n"
					   " lifetime certificate 30\n"
					   "no shutdown\n"
					   "crypto pki trustpoint TP\n"
					   "enrollment url http://ca/\n"
					   "auto-enroll 70\n"
					   "hostname r1\n");
	char *text;

	CU_ASSERT_EQUAL_FATAL(cfg->n_servers, 1);
	CU_ASSERT_TRUE(cfg->servers[0].auto_rollover);
	CU_ASSERT_EQUAL(cfg->servers[0].rollover_window, DAYS(90));
	CU_ASSERT_EQUAL(cfg->servers[0].grant, PKID_GRANT_AUTO);
	CU_ASSERT_EQUAL(cfg->servers[0].lifetime_cert, DAYS(30));
	CU_ASSERT_FALSE(cfg->servers[0].shutdown);
	CU_ASSERT_EQUAL_FATAL(cfg->n_trustpoints, 1);
	CU_ASSERT_STRING_EQUAL(cfg->trustpoints[0].enrollment_url,
			       "http://ca/");
	CU_ASSERT_EQUAL(cfg->trustpoints[0].auto_enroll_pct, 70);
	CU_ASSERT_STRING_EQUAL(cfg->hostname, "r1");
	text = pkid_config_to_string(cfg, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n auto-rollover 90\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n auto-enroll 70\n"));
	free(text);
	pkid_config_free(cfg);

	/* after exit the block is closed: the same line is an error */
	CU_ASSERT_EQUAL(parse("crypto pki server CA\nexit\nauto-rollover 9\n",
			      &cfg),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msgs[0], "pkid.conf:3: unknown command "
					       "'auto-rollover' in global"));
	/* an argument error of an unindented block line names the block's
	 * command, and the block's next lines still parse */
	CU_ASSERT_EQUAL(parse("crypto pki server CA\nhash md5\n"
			      " grant maybe\n",
			      &cfg),
			-EINVAL);
	CU_ASSERT_EQUAL(nmsgs, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(msgs[0], "pkid.conf:2: 'hash'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msgs[1], "pkid.conf:3: 'grant'"));
}

/* Ours (issue 13): rollover cancel-delay, ip http metrics; round trip. */
static void test_watchdog_lines(void)
{
	struct pkid_config *cfg = parse_ok("ip http metrics any\n"
					   "crypto pki server CA\n"
					   " auto-rollover 0 0 4\n"
					   " rollover cancel-delay 0 2\n"),
			   *back;
	char *text;

	CU_ASSERT_TRUE(cfg->metrics_any);
	CU_ASSERT_FALSE(cfg->metrics_off);
	CU_ASSERT_EQUAL(cfg->servers[0].rollover_cancel_delay, HOURS(2));
	text = pkid_config_to_string(cfg, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "ip http metrics any\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " rollover cancel-delay 0 2\n"));
	back = parse_ok(text);
	CU_ASSERT_TRUE(pkid_config_globals_equal(cfg, back));
	CU_ASSERT_TRUE(pkid_server_config_equal(&cfg->servers[0],
						&back->servers[0]));
	free(text);
	pkid_config_free(back);
	pkid_config_free(cfg);
	cfg = parse_ok("no ip http metrics\ncrypto pki server CA\n");
	CU_ASSERT_TRUE(cfg->metrics_off);
	CU_ASSERT_EQUAL(cfg->servers[0].rollover_cancel_delay, DAYS(1));
	pkid_config_free(cfg);
	CU_ASSERT_EQUAL(parse("ip http metrics everyone\n", &cfg), -EINVAL);
}

/* Issue 17's words: mode sub-cs, grant auto rollover ca-cert,
 * ca-path-length; printed, parsed back, locked; bad forms refused. */
static void test_hierarchy_lines(void)
{
	static const char conf[] = "crypto pki trustpoint SUB\n"
				   " enrollment url http://10.0.0.1/\n"
				   "crypto pki server SUB\n"
				   " mode sub-cs\n"
				   " grant auto rollover ca-cert\n"
				   " ca-path-length 2\n";
	static const char *const bad[] = {
		"crypto pki server SUB\n mode sub-cs\n", /* no trustpoint */
		"crypto pki trustpoint SUB\ncrypto pki server SUB\n"
		" mode sub-cs\n", /* no enrollment url */
		"crypto pki trustpoint SUB\n enrollment url http://x/\n"
		" rsakeypair OTHER\ncrypto pki server SUB\n mode sub-cs\n",
		"crypto pki trustpoint SUB\n enrollment url http://x/\n"
		" auto-enroll 70 regenerate\ncrypto pki server SUB\n"
		" mode sub-cs\n",
		"crypto pki server CA\n mode ra\n", /* no trustpoint CA */
		"crypto pki trustpoint RA\ncrypto pki server RA\n"
		" mode ra\n", /* no enrollment url */
		"crypto pki trustpoint RA\n enrollment url http://x/\n"
		" rsakeypair OTHER\ncrypto pki server RA\n mode ra\n",
		"crypto pki server CA\n grant ra-auto now\n",
		"crypto pki trustpoint RA\n enrollment url http://x/\n"
		"crypto pki server RA\n mode ra\n auto-rollover 30\n",
		"crypto pki server CA\n mode root\n",
		"crypto pki server CA\n grant auto rollover ra-cert\n",
		"crypto pki server CA\n grant none rollover ca-cert\n",
		"crypto pki server CA\n ca-path-length 9\n",
	};
	struct pkid_config *cfg = parse_ok(conf), *back, *no;
	const struct pkid_server_config *s = &cfg->servers[0];
	char *text;
	size_t i;

	CU_ASSERT_EQUAL(s->mode, PKID_MODE_SUB_CS);
	CU_ASSERT_TRUE(s->grant_rollover_ca);
	CU_ASSERT_EQUAL(s->grant, PKID_GRANT_MANUAL); /* not grant auto */
	CU_ASSERT_EQUAL(s->ca_path_length, 2);
	text = pkid_config_to_string(cfg, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " mode sub-cs\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " grant auto rollover ca-cert\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " ca-path-length 2\n"));
	back = parse_ok(text);
	CU_ASSERT_TRUE(pkid_server_config_equal(s, &back->servers[0]));
	no = parse_ok("crypto pki server SUB\n no mode\n"
		      " no grant auto rollover ca-cert\n no ca-path-length\n");
	CU_ASSERT_EQUAL(no->servers[0].mode, PKID_MODE_ROOT);
	CU_ASSERT_FALSE(no->servers[0].grant_rollover_ca);
	CU_ASSERT_STRING_EQUAL(pkid_server_locked_change(s, &no->servers[0]),
			       "mode");
	pkid_config_free(no);
	/* mode ra (an RA in front of the CA its trustpoint enrolls with),
	 * and the CA's grant ra-auto beside its grant mode */
	no = parse_ok("crypto pki trustpoint RA\n enrollment url http://x/\n"
		      "crypto pki server RA\n mode ra\n grant ra-auto\n");
	CU_ASSERT_EQUAL(no->servers[0].mode, PKID_MODE_RA);
	CU_ASSERT_TRUE(no->servers[0].grant_ra_auto);
	CU_ASSERT_EQUAL(no->servers[0].grant, PKID_GRANT_MANUAL);
	free(text);
	text = pkid_config_to_string(no, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " mode ra\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " grant ra-auto\n"));
	pkid_config_free(back);
	back = parse_ok(text);
	CU_ASSERT_TRUE(pkid_server_config_equal(&no->servers[0],
						&back->servers[0]));
	pkid_config_free(no);
	no = parse_ok("crypto pki server CA\n grant ra-auto\n grant auto\n"
		      " no grant ra-auto\n");
	CU_ASSERT_FALSE(no->servers[0].grant_ra_auto);
	CU_ASSERT_EQUAL(no->servers[0].grant, PKID_GRANT_AUTO);
	pkid_config_free(no);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		no = NULL;
		CU_ASSERT_EQUAL(parse(bad[i], &no), -EINVAL);
		pkid_config_free(no);
	}
	free(text);
	pkid_config_free(back);
	pkid_config_free(cfg);
}

/* name-constraints (ours, issue 17): parsed, printed and parsed back;
 * bad names, prefixes with host bits, a ninth line refused. */
static void test_name_constraints(void)
{
	static const char conf[] = "crypto pki server CA\n"
				   " name-constraints permit dns example.net\n"
				   " name-constraints exclude dns .bad.example.net\n"
				   " name-constraints permit ip 10.0.0.0/8\n"
				   " name-constraints exclude ip 2001:db8::/32\n";
	static const char *const bad[] = {
		"crypto pki server CA\n name-constraints permit dns -x.net\n",
		"crypto pki server CA\n name-constraints permit dns a..net\n",
		"crypto pki server CA\n name-constraints permit dns x_y.net\n",
		"crypto pki server CA\n name-constraints permit dns a.net.\n",
		"crypto pki server CA\n name-constraints permit dns .\n",
		"crypto pki server CA\n name-constraints permit ip 10.1.0.0/8\n",
		"crypto pki server CA\n name-constraints permit ip 10.0.0.0\n",
		"crypto pki server CA\n name-constraints permit ip x/8\n",
		"crypto pki server CA\n name-constraints allow dns a.net\n",
		"crypto pki server CA\n name-constraints permit uri a.net\n",
		"crypto pki server CA\n name-constraints permit dns\n",
		"crypto pki server CA\n name-constraints permit dns a.net b\n",
		"crypto pki server CA\n name-constraints permit dns "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		".net\n", /* a 64-character label */
		"crypto pki server CA\n name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n"
		" name-constraints permit dns a.net\n", /* nine */
	};
	struct pkid_config *cfg = parse_ok(conf), *back, *no;
	const struct pkid_server_config *s = &cfg->servers[0];
	char *text;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(s->n_nc, 4);
	CU_ASSERT_FALSE(s->nc[0].exclude || s->nc[0].is_ip);
	CU_ASSERT_STRING_EQUAL(s->nc[0].dns, "example.net");
	CU_ASSERT_TRUE(s->nc[1].exclude && !s->nc[1].is_ip);
	CU_ASSERT_TRUE(!s->nc[2].exclude && s->nc[2].is_ip &&
		       s->nc[2].ip.len == 8);
	CU_ASSERT_TRUE(s->nc[3].exclude && s->nc[3].is_ip &&
		       s->nc[3].ip.len == 32);
	text = pkid_config_to_string(cfg, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, " name-constraints exclude dns .bad.example.net\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, " name-constraints permit ip 10.0.0.0/8\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, " name-constraints exclude ip 2001:db8::/32\n"));
	back = parse_ok(text);
	CU_ASSERT_TRUE(pkid_server_config_equal(s, &back->servers[0]));
	no = parse_ok("crypto pki server CA\n"
		      " name-constraints permit dns example.net\n"
		      " no name-constraints\n");
	CU_ASSERT_EQUAL(no->servers[0].n_nc, 0);
	CU_ASSERT_FALSE(pkid_server_config_equal(s, &no->servers[0]));
	pkid_config_free(no);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		no = NULL;
		CU_ASSERT_EQUAL(parse(bad[i], &no), -EINVAL);
		pkid_config_free(no);
	}
	free(text);
	pkid_config_free(back);
	pkid_config_free(cfg);
}

/* enrollment credential certificate PATH key LABEL (the IDevID) */
static void test_enrollment_credential(void)
{
	static const char conf[] =
		"crypto pki trustpoint TP\n"
		" enrollment url https://ca/.well-known/est\n"
		" enrollment credential certificate /etc/pkid/idevid.pem "
		"key IDEVID\n";
	static const char *const bad[] = {
		"crypto pki trustpoint TP\n enrollment credential "
		"certificate idevid.pem key K\n", /* relative path */
		"crypto pki trustpoint TP\n enrollment credential "
		"certificate /a key bad/name\n",
		"crypto pki trustpoint TP\n enrollment credential "
		"certificate /a\n", /* no key */
		"crypto pki trustpoint TP\n enrollment credential "
		"certificate /a key K extra\n",
		"crypto pki trustpoint TP\n enrollment credential "
		"file /a key K\n",
	};
	struct pkid_config *cfg = parse_ok(conf), *back, *no;
	const struct pkid_trustpoint_config *t = &cfg->trustpoints[0];
	char *text;
	size_t i;

	CU_ASSERT_STRING_EQUAL(t->credential_cert, "/etc/pkid/idevid.pem");
	CU_ASSERT_STRING_EQUAL(t->credential_key, "IDEVID");
	text = pkid_config_to_string(cfg, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, " enrollment credential "
					    "certificate /etc/pkid/idevid.pem "
					    "key IDEVID\n"));
	back = parse_ok(text);
	CU_ASSERT_TRUE(pkid_trustpoint_config_equal(t, &back->trustpoints[0]));
	no = parse_ok("crypto pki trustpoint TP\n enrollment credential "
		      "certificate /a key K\n no enrollment credential\n");
	CU_ASSERT_STRING_EQUAL(no->trustpoints[0].credential_cert, "");
	CU_ASSERT_STRING_EQUAL(no->trustpoints[0].credential_key, "");
	CU_ASSERT_FALSE(pkid_trustpoint_config_equal(t, &no->trustpoints[0]));
	pkid_config_free(no);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		no = NULL;
		CU_ASSERT_EQUAL(parse(bad[i], &no), -EINVAL);
		pkid_config_free(no);
	}
	free(text);
	pkid_config_free(back);
	pkid_config_free(cfg);
}

int main(void)
{
	static const struct cu_case cases[] = {
		{"defaults", test_defaults},
		{"explicit values", test_explicit},
		{"abbreviations", test_abbreviations},
		{"no forms", test_no_forms},
		{"type 7 password", test_type7_password},
		{"error message", test_error_message},
		{"all errors reported", test_all_errors_reported},
		{"broken lines", test_broken_table},
		{"round trip", test_round_trip},
		{"diff", test_diff},
		{"load file", test_load_file},
		{"unindented sub-mode lines", test_unindented_submode},
		{"watchdog lines", test_watchdog_lines},
		{"hierarchy lines", test_hierarchy_lines},
		{"name constraints", test_name_constraints},
		{"enrollment credential", test_enrollment_credential},
	};

	return cu_run_suite("config", NULL, NULL, CU_CASES(cases));
}
