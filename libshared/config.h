/* SPDX-License-Identifier: MIT */
/*
 * pkid.conf: the daemon's configuration in IOS syntax (ROLLOVER.md §3, §4).
 *
 *   hostname NAME
 *   clock calendar-valid
 *   ip http server [PORT]                        (port 80 when omitted)
 *   ip http secure-server                        (EST's TLS listener)
 *   ip http secure-port PORT                     (default 443)
 *   ip http rate-limit RATE BURST [interface IF...]
 *   ip http rate-limit allow PREFIX              (repeatable)
 *   control-socket PATH                          (ours)
 *   crypto pki server NAME
 *    <indented server commands, §3>
 *   crypto pki trustpoint TP
 *    <indented trustpoint commands, §4>
 *
 * A block is the indented lines after its header; it ends at the next
 * unindented line.  `!` starts a comment line.  Every keyword may be
 * abbreviated to any unambiguous prefix ("lifetime cert 365", "datab level
 * complete"); `no CMD` resets CMD to its default.  The parser reports every
 * error as "FILE:LINE: what is wrong" and returns -EINVAL: the caller refuses
 * to start (or, on reload, keeps the configuration it runs).
 *
 * The result is plain data: every field holds its §3/§4 default unless the
 * file says otherwise.  Durations are in seconds.
 */
#ifndef PKID_CONFIG_H
#define PKID_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PKID_CONF_DEFAULT	"/etc/pkid/pkid.conf"
#define PKID_CTL_SOCKET_DEFAULT "/run/pkid/pkid.ctl"

/*
 * Field sizes, NUL included.  Server and trustpoint names become key names
 * in the keystore (PKIKS_NAME_MAX 64), and the rollover key appends '#',
 * so a name has at most 62 characters.
 */
#define PKID_CONF_NAME_MAX 63
#define PKID_CONF_DN_MAX   512
#define PKID_CONF_URL_MAX  1024
#define PKID_CONF_PATH_MAX 1024
#define PKID_CONF_PW_MAX   128
#define PKID_CONF_CMD_MAX  1024
#define PKID_CONF_FP_MAX   129 /* hex digits of up to SHA-512 */
#define PKID_CONF_IF_MAX   16  /* IFNAMSIZ */
#define PKID_CONF_PATHLEN_MAX 8 /* ca-path-length */

#define PKID_DAY  86400
#define PKID_HOUR 3600

enum pkid_hash_alg {
	PKID_HASH_SHA256 = 0, /* default (ours; IOS used md5) */
	PKID_HASH_SHA1,
	PKID_HASH_SHA384,
	PKID_HASH_SHA512,
};

enum pkid_grant_mode {
	PKID_GRANT_MANUAL = 0, /* no grant line: requests wait for `grant` */
	PKID_GRANT_AUTO,       /* grant auto */
	PKID_GRANT_NONE,       /* grant none: reject all */
};

enum pkid_db_level {
	PKID_DB_LEVEL_MINIMUM = 0,
	PKID_DB_LEVEL_NAMES,
	PKID_DB_LEVEL_COMPLETE, /* each certificate also as <serial>.cer */
};

enum pkid_archive_format {
	PKID_ARCHIVE_PKCS12 = 0,
	PKID_ARCHIVE_PEM,
};

/*
 * revocation-check METHOD [METHOD] (IOS): crl, none, ocsp, and the
 * orders `ocsp crl` / `crl ocsp`.  pkid checks no peers itself: each
 * listed method is kept fresh for the consumers (the CRL by tp_crl.c, the
 * identity's OCSP response by tp_ocsp.c), and the order is theirs.
 */
enum pkid_revocation_check {
	PKID_REVCHECK_CRL = 0,
	PKID_REVCHECK_NONE,
	PKID_REVCHECK_OCSP,
	PKID_REVCHECK_OCSP_CRL,
	PKID_REVCHECK_CRL_OCSP,
};

static inline bool pkid_revcheck_crl(enum pkid_revocation_check r)
{
	return r == PKID_REVCHECK_CRL || r == PKID_REVCHECK_OCSP_CRL ||
	       r == PKID_REVCHECK_CRL_OCSP;
}

static inline bool pkid_revcheck_ocsp(enum pkid_revocation_check r)
{
	return r == PKID_REVCHECK_OCSP || r == PKID_REVCHECK_OCSP_CRL ||
	       r == PKID_REVCHECK_CRL_OCSP;
}

/*
 * ra-certificate auto|none: which key decrypts and signs SCEP replies,
 * chosen when the CA is first created (daemon/ca/ca.h explains both).
 */
enum pkid_ra_mode {
	PKID_RA_AUTO = 0, /* default: a separate RA key and certificate */
	PKID_RA_NONE,	  /* IOS single-key mode: the CA key does it all */
};

/*
 * mode sub-cs (IOS): the server's CA certificate comes from a parent CA
 * through the trustpoint of the same name (daemon/ca/ca_sub.c), instead
 * of being self-signed.  mode ra (IOS): a registration authority that
 * checks requests and forwards them to the CA trustpoint NAME enrolls
 * with, signed with its own certificate from that CA (daemon/ca/ca_ra.c).
 */
enum pkid_server_mode {
	PKID_MODE_ROOT = 0, /* default: a self-signed root */
	PKID_MODE_SUB_CS,
	PKID_MODE_RA,
};

/* serial-number / ip-address: absent, present, or explicitly "none". */
enum pkid_tristate {
	PKID_UNSET = 0,
	PKID_SET,
	PKID_SET_NONE,
};

/* crypto pki server NAME — ROLLOVER.md §3 */
struct pkid_prefix {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned int len;
};

/* name-constraints permit|exclude dns DOMAIN|ip PREFIX (ours; IOS has
 * none): a subtree of the nameConstraints put in CA certificates this
 * server issues (RFC 5280 §4.2.1.10). */
#define PKID_CONF_NC_MAX     8	 /* lines */
#define PKID_CONF_NC_DNS_MAX 254 /* a DNS name, with a leading dot */
struct pkid_name_constraint {
	bool exclude;
	bool is_ip;
	char dns[PKID_CONF_NC_DNS_MAX];
	struct pkid_prefix ip;
};

struct pkid_server_config {
	char name[PKID_CONF_NAME_MAX];
	unsigned int line; /* of the block header, for messages */

	char issuer_name[PKID_CONF_DN_MAX]; /* default "CN=NAME" */
	enum pkid_hash_alg hash;
	int64_t lifetime_ca_cert;   /* default 1095 days */
	int64_t lifetime_cert;	    /* default 365 days */
	int64_t lifetime_crl;	    /* default 168 h */
	int64_t lifetime_enrollreq; /* default 168 h */
	/* lifetime ocsp-responder D [H [M]]: the OCSP responder certificate's
	 * lifetime; 0 (default) = as long as its CA.  Renewed when less than
	 * two CRL lifetimes are left (ca_ocsp.c). */
	int64_t lifetime_ocsp;

	bool auto_rollover;	 /* the auto-rollover line is present */
	int64_t rollover_window; /* its argument, default 30 days */
	/* rollover cancel-delay: after `server rollover cancel`, the next
	 * automatic rollover CA is made no sooner than this (default 1 day) */
	int64_t rollover_cancel_delay;

	enum pkid_grant_mode grant;
	/* grant auto trustpoint TP ("" when absent) */
	char grant_auto_tp[PKID_CONF_NAME_MAX];
	/* grant auto rollover ca-cert (IOS): a subordinate CA's re-enrollment
	 * (signed by the CA certificate this server issued it) is granted
	 * without the operator; a first CA request never is
	 * (daemon/ca/ca_subpolicy.c) */
	bool grant_rollover_ca;
	/* grant ra-auto (IOS): a request forwarded by an RA (signed by a
	 * valid certificate this server issued whose subject names "ioscs
	 * RA" as CN or OU) is granted without the operator */
	bool grant_ra_auto;
	/* ca-path-length N (ours): the pathLenConstraint put in the CA
	 * certificates this server issues to subordinates; default 0 */
	unsigned int ca_path_length;
	/* name-constraints ...: in that order in the CA certificates this
	 * server issues (permitted, then excluded subtrees); none: no
	 * nameConstraints extension */
	struct pkid_name_constraint nc[PKID_CONF_NC_MAX];
	unsigned int n_nc;

	enum pkid_db_level db_level;
	char db_url[PKID_CONF_URL_MAX]; /* "" = the daemon's state directory */
	unsigned int db_url_line; /* its line, for pkid -t's folder check */
	/* database connection postgresql://...: the CA's tables on
	 * PostgreSQL ("" = SQLite in the state directory); never holds a
	 * password (refused), which comes from database credentials FILE,
	 * a PGPASSFILE only pkid may read */
	char db_connection[PKID_CONF_URL_MAX];
	char db_credentials[PKID_CONF_PATH_MAX];
	enum pkid_archive_format archive_format;
	char archive_password[PKID_CONF_PW_MAX]; /* "" when none given */

	char cdp_url[PKID_CONF_URL_MAX]; /* "" when none */
	/* ocsp-url URL: the responder at /ocsp/NAME on, and the URL as the
	 * AIA OCSP of issued certificates (docs/OCSP.md); "" when none */
	char ocsp_url[PKID_CONF_URL_MAX];
	bool shutdown; /* default true: a new CA starts on `no shutdown` */

	/* password [0|7] PW: a static challenge password ("" when none) */
	char password[PKID_CONF_PW_MAX];
	enum pkid_ra_mode ra_mode; /* ra-certificate auto|none */
	enum pkid_server_mode mode; /* mode sub-cs | ra */
	/* legacy des (ours, not IOS): accept single-DES request envelopes
	 * from old clients; default off */
	bool legacy_des;
	/* est [tls-name NAME] (ours): EST (RFC 7030) for this CA on the
	 * `ip http secure-server` listener; its TLS certificate names tls_name
	 * (a DNS name or an IP address; "" = the hostname) */
	bool est;
	char est_tls_name[PKID_CONF_NAME_MAX];
	/* eckeypair [NAME] 256|384 (IOS names the CA key after the server):
	 * the CA key is ECDSA P-256 or P-384 instead of RSA 2048; 0 = RSA.
	 * Locked once the CA exists, like hash; needs the RA (SCEP's envelope
	 * is RSA key transport).  ec_line: its line, for pkid -t. */
	unsigned int ec_bits;
	unsigned int ec_line;
};

/* "crl", "none", "ocsp", "ocsp crl", "crl ocsp" */
const char *pkid_revcheck_name(enum pkid_revocation_check r);

/* crypto pki trustpoint TP — ROLLOVER.md §4 */
struct pkid_trustpoint_config {
	char name[PKID_CONF_NAME_MAX];
	unsigned int line;

	char enrollment_url[PKID_CONF_URL_MAX]; /* "" when none */
	/* `enrollment terminal` (IOS): requests and certificates travel as
	 * files the operator carries (`pkictl trustpoint TP enroll` prints
	 * the PKCS#10, `import certificate` takes the answer). */
	bool enrollment_terminal;
	char subject_name[PKID_CONF_DN_MAX];
	enum pkid_tristate serial_number;
	enum pkid_tristate ip_address;
	char ip_address_value[64]; /* when ip_address == PKID_SET */
	char subject_alt_name[PKID_CONF_DN_MAX];
	char password[PKID_CONF_PW_MAX];

	char rsakeypair[PKID_CONF_NAME_MAX]; /* default: the trustpoint name */
	unsigned int rsa_bits;		     /* default 2048 */
	/* eckeypair LABEL [256|384] (IOS): the key named rsakeypair[] is
	 * ECDSA P-256/P-384; 0 = RSA of rsa_bits.  The last of rsakeypair
	 * and eckeypair wins, as on IOS. */
	unsigned int ec_bits;
	unsigned int ec_line; /* its line, for pkid -t */

	bool auto_enroll;
	unsigned int auto_enroll_pct; /* default 100 when given without PCT */
	bool auto_enroll_regenerate;

	unsigned int retry_count;	   /* default 999 */
	unsigned int retry_period_min;	   /* default 1 */
	unsigned int retry_max_period_min; /* (ours) cap, default 60 */

	enum pkid_revocation_check revocation_check;
	char fingerprint[PKID_CONF_FP_MAX]; /* upper-case hex, no separators */

	/* (ours) file exports and hook, for later issues */
	char export_path[PKID_CONF_PATH_MAX];
	char export_shadow_path[PKID_CONF_PATH_MAX];
	char crl_export_path[PKID_CONF_PATH_MAX]; /* `crl export PATH` */
	/* revocation-check ocsp (tp_ocsp.c): `ocsp url URL` (IOS; "" = the
	 * identity's AIA OCSP URL) and `ocsp export PATH` (ours: the
	 * identity's verified OCSP response, DER, for stapling) */
	char ocsp_url[PKID_CONF_URL_MAX];
	char ocsp_export_path[PKID_CONF_PATH_MAX];
	char on_change[PKID_CONF_CMD_MAX];
	/* `enrollment credential certificate PATH key LABEL` (IOS names a
	 * trustpoint there; ours a file and a keystore key): a certificate
	 * the device already holds (a manufacturer's IDevID, IEEE 802.1AR)
	 * that authenticates the first enrollment: EST's TLS client
	 * certificate for simpleenroll, its key LABEL in the keystore. */
	char credential_cert[PKID_CONF_PATH_MAX];
	char credential_key[PKID_CONF_NAME_MAX];
	unsigned int credential_line;
};

/* ip http rate-limit allow PREFIX, parsed */
struct pkid_config {
	char hostname[PKID_CONF_NAME_MAX]; /* "" when absent */
	bool clock_calendar_valid;

	bool http_enabled;	 /* ip http server present */
	unsigned int http_port;	 /* default 80 */
	bool https_enabled;	 /* ip http secure-server (EST) */
	unsigned int https_port; /* ip http secure-port, default 443 */
	/* GET /metrics (Prometheus): `no ip http metrics` turns it off;
	 * `ip http metrics any` serves it to every peer, not only loopback */
	bool metrics_off, metrics_any;
	unsigned int rate_limit; /* requests per second; 0 = no limit */
	unsigned int rate_burst;
	char (*rate_ifaces)[PKID_CONF_IF_MAX]; /* empty = every interface */
	size_t n_rate_ifaces;
	struct pkid_prefix *rate_allow; /* exempt from the limit */
	size_t n_rate_allow;

	char control_socket[PKID_CONF_PATH_MAX]; /* PKID_CTL_SOCKET_DEFAULT */

	struct pkid_server_config *servers;
	size_t n_servers;
	struct pkid_trustpoint_config *trustpoints;
	size_t n_trustpoints;
};

/*
 * Where errors go: each message is one line "FILE:LINE: text" without a
 * newline.  NULL means stderr.
 */
typedef void (*pkid_config_report_fn)(void *arg, const char *msg);

/* Parse a file.  0, -EINVAL (errors reported), or -errno if unreadable. */
int pkid_config_load(const char *path, struct pkid_config **cfg,
		     pkid_config_report_fn report, void *arg);
/* Parse text in memory; `name` stands for the file name in messages. */
int pkid_config_parse(const char *name, const char *text, size_t len,
		      struct pkid_config **cfg, pkid_config_report_fn report,
		      void *arg);
/* A configuration with every default and no server or trustpoint. */
struct pkid_config *pkid_config_new(void);
void pkid_config_free(struct pkid_config *cfg);

const struct pkid_server_config *
pkid_config_server(const struct pkid_config *cfg, const char *name);
const struct pkid_trustpoint_config *
pkid_config_trustpoint(const struct pkid_config *cfg, const char *name);

/*
 * Running-config: the lines that differ from the defaults, IOS style, so
 * that parsing the output gives back an equal configuration.  With
 * PKID_PRINT_HIDE_SECRETS passwords print as "<hidden>" (for show
 * commands; that output does not parse back).
 */
#define PKID_PRINT_HIDE_SECRETS (1U << 0)
int pkid_config_print(FILE *out, const struct pkid_config *cfg,
		      unsigned int flags);
/* Same, into a malloc'd string (NULL on ENOMEM). */
char *pkid_config_to_string(const struct pkid_config *cfg, unsigned int flags);

/* Field-by-field equality. */
bool pkid_server_config_equal(const struct pkid_server_config *a,
			      const struct pkid_server_config *b);
bool pkid_trustpoint_config_equal(const struct pkid_trustpoint_config *a,
				  const struct pkid_trustpoint_config *b);
/* The global lines (hostname, clock, ip http ..., control-socket). */
bool pkid_config_globals_equal(const struct pkid_config *a,
			       const struct pkid_config *b);

/* Reload: what changed between the running and the new configuration. */
enum pkid_change {
	PKID_CHANGE_ADDED = 1,
	PKID_CHANGE_REMOVED,
	PKID_CHANGE_MODIFIED,
};

struct pkid_config_change {
	enum pkid_change kind;
	char name[PKID_CONF_NAME_MAX];
};

struct pkid_config_diff {
	bool globals_changed;
	bool http_changed; /* port, enable or rate limits: re-listen */
	struct pkid_config_change *servers; /* only the changed ones */
	size_t n_servers;
	struct pkid_config_change *trustpoints;
	size_t n_trustpoints;
};

/* 0 or -ENOMEM; an empty diff (no change at all) has every count 0. */
int pkid_config_diff(const struct pkid_config *old,
		     const struct pkid_config *new,
		     struct pkid_config_diff *diff);
void pkid_config_diff_free(struct pkid_config_diff *diff);
/* True when the diff reports no change at all. */
bool pkid_config_diff_empty(const struct pkid_config_diff *diff);

/*
 * IOS locks a running CA's identity: returns the name of the first locked
 * setting that differs ("issuer-name"), or NULL.  Used to refuse a
 * reload that would change a CA whose certificate exists.
 */
const char *pkid_server_locked_change(const struct pkid_server_config *old,
				      const struct pkid_server_config *new);

/* Names, as written in pkid.conf ("sha256", "complete", ...). */
const char *pkid_hash_alg_name(enum pkid_hash_alg h);
const char *pkid_grant_mode_name(enum pkid_grant_mode g); /* "auto", ... */
const char *pkid_db_level_name(enum pkid_db_level l);
const char *pkid_archive_format_name(enum pkid_archive_format f);
const char *pkid_ra_mode_name(enum pkid_ra_mode m); /* "auto", "none" */
const char *pkid_server_mode_name(enum pkid_server_mode m); /* "root", ... */

#endif /* PKID_CONFIG_H */
