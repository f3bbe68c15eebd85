// SPDX-License-Identifier: MIT
/*
 * show clock | keys | timers: what the keystore knows, in IOS's shapes
 * (docs/SHOW.md; `verbose` adds pkid's facts) or, with --json, as one
 * JSON document.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ios_show.h"
#include "pkictl.h"

const char *pkictl_usage_name(uint32_t usage)
{
	switch (usage) {
	case PKIKS_USAGE_SIGN:
		return "sign";
	case PKIKS_USAGE_DECRYPT:
		return "decrypt";
	case PKIKS_USAGE_SIGN | PKIKS_USAGE_DECRYPT:
		return "both";
	default:
		return "none";
	}
}

/* ---- show clock ------------------------------------------------------- */

/* The time the clock shows: the gate's while authoritative, else raw. */
static uint64_t clock_shown(const struct pkiks_clock *clk)
{
	return clk->authoritative ? clk->now_ns : clk->realtime_ns;
}

static void clock_json(struct jw *w, const struct pkiks_clock *clk)
{
	char buf[64];

	jw_bool(w, "authoritative", clk->authoritative);
	jw_string(w, "source", pkiks_clock_source_name(clk->source));
	fmt_iso_time(buf, sizeof(buf), clock_shown(clk), 1);
	jw_string(w, "now", buf);
	jw_uint(w, "now_ns", clock_shown(clk));
	if (clk->since_ns) {
		fmt_iso_time(buf, sizeof(buf), clk->since_ns, 0);
		jw_string(w, "since", buf);
	} else {
		jw_null(w, "since");
	}
	fmt_iso_time(buf, sizeof(buf), clk->realtime_ns, 1);
	jw_string(w, "realtime", buf);
	jw_uint(w, "steps", clk->steps);
}

/* IOS: "*09:47:04.123 UTC Tue Nov 24 2026", '*' = not authoritative. */
static void clock_text(const struct pkiks_clock *clk)
{
	uint64_t ns = clock_shown(clk);
	time_t sec = (time_t)(ns / 1000000000ull);
	char day[32], since[64];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(day, sizeof(day), "UTC %a %b %d %Y", &tm);
	printf("%s%02d:%02d:%02d.%03u %s\n", clk->authoritative ? "" : "*",
	       tm.tm_hour, tm.tm_min, tm.tm_sec,
	       (unsigned)(ns / 1000000ull % 1000), day);
	if (clk->authoritative) {
		fmt_iso_time(since, sizeof(since), clk->since_ns, 0);
		printf("Time source is %s, authoritative since %s\n",
		       pkiks_clock_source_name(clk->source), since);
	} else {
		printf("Time source is %s: not authoritative (set `pkictl "
		       "clock calendar-valid` or enable NTP)\n",
		       pkiks_clock_source_name(clk->source));
	}
	printf("Clock steps detected: %u\n", clk->steps);
}

int pkictl_print_clock(struct pkictl *ctl, const struct pkiks_clock *clk)
{
	struct jw w;

	if (!ctl->json) {
		clock_text(clk);
		return fflush(stdout) ? PKICTL_EXIT_FAILED : PKICTL_EXIT_OK;
	}
	jw_init(&w, stdout);
	jw_object_begin(&w, NULL);
	clock_json(&w, clk);
	jw_object_end(&w);
	return jw_finish(&w) ? PKICTL_EXIT_FAILED : PKICTL_EXIT_OK;
}

static int show_clock(struct pkictl *ctl, int argc, char **argv)
{
	struct pkiks_clock clk;
	struct pkiks *ks;
	int err;

	if (argc)
		return pkictl_usage("show clock takes no arguments");
	ks = pkictl_keystore(ctl);
	if (!ks)
		return PKICTL_EXIT_UNREACHABLE;
	err = pkiks_clock_get(ks, &clk);
	if (err)
		return pkictl_fail(err, "reading the clock");
	return pkictl_print_clock(ctl, &clk);
}

/* ---- show keys -------------------------------------------------------- */

/* IOS "Key Data": the DER in hex, 8 groups of 4 bytes a line. */
static void key_data_text(const unsigned char *der, size_t len)
{
	size_t i;

	printf(" Key Data:");
	for (i = 0; i < len; i++) {
		if (i % 32 == 0)
			printf("\n  ");
		else if (i % 4 == 0)
			putchar(' ');
		printf("%02X", der[i]);
	}
	putchar('\n');
}

/* The SubjectPublicKeyInfo as PEM; caller frees. */
static char *key_pem(const struct pkiks_key_info *k)
{
	const unsigned char *p = k->pubkey;
	EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, (long)k->pubkey_len);
	BIO *mem = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long len;

	if (pub && mem && PEM_write_bio_PUBKEY(mem, pub)) {
		len = BIO_get_mem_data(mem, &data);
		pem = len > 0 ? strndup(data, (size_t)len) : NULL;
	}
	BIO_free(mem);
	EVP_PKEY_free(pub);
	return pem;
}

/* "RSA" or "EC" (a newer host's type: "unknown"); an EC key's curve. */
static const char *key_kind(const struct pkiks_key_info *k)
{
	if (k->type == PKIKS_KEY_RSA)
		return "RSA";
	return pkiks_key_type_group(k->type) ? "EC" : "unknown";
}

static const char *key_curve(const struct pkiks_key_info *k)
{
	switch (k->type) {
	case PKIKS_KEY_EC_P256:
		return "P-256";
	case PKIKS_KEY_EC_P384:
		return "P-384";
	default:
		return NULL;
	}
}

static int keys_json(const struct pkiks_key_info *keys, size_t n)
{
	struct jw w;
	char *pem;
	size_t i;

	jw_init(&w, stdout);
	jw_object_begin(&w, NULL);
	jw_array_begin(&w, "keys");
	for (i = 0; i < n; i++) {
		pem = key_pem(&keys[i]);
		jw_object_begin(&w, NULL);
		jw_string(&w, "name", keys[i].name);
		jw_string(&w, "type", key_kind(&keys[i]));
		jw_uint(&w, "bits", keys[i].bits);
		if (key_curve(&keys[i]))
			jw_string(&w, "curve", key_curve(&keys[i]));
		jw_string(&w, "usage", pkictl_usage_name(keys[i].usage));
		jw_uint(&w, "owner_uid", keys[i].owner_uid);
		if (pem)
			jw_string(&w, "public_key", pem);
		else
			jw_null(&w, "public_key");
		jw_object_end(&w);
		free(pem);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	return jw_finish(&w) ? PKICTL_EXIT_FAILED : PKICTL_EXIT_OK;
}

/* IOS's names of a key's usage. */
static const char *key_usage_ios(uint32_t usage)
{
	switch (usage) {
	case PKIKS_USAGE_SIGN:
		return "Signature Key";
	case PKIKS_USAGE_DECRYPT:
		return "Encryption Key";
	default:
		return "General Purpose Key";
	}
}

/*
 * IOS `show crypto key mypubkey rsa`; verbose adds the size and owner the
 * keystore knows.  The keystore never hands out a private key, so every
 * key is "not exportable"; its storage device is the keystore.
 */
static int keys_text(const struct pkiks_key_info *keys, size_t n,
		     bool verbose)
{
	size_t i;

	for (i = 0; i < n; i++) {
		printf("%sKey name: %s\n", i ? "\n" : "", keys[i].name);
		printf("Key type: %s KEYS\n Storage Device: pkiks\n",
		       key_kind(&keys[i]));
		printf(" Usage: %s\n Key is not exportable.\n",
		       key_usage_ios(keys[i].usage));
		if (verbose)
			printf(" Key size: %u bits%s%s\n Owner uid: %u\n",
			       keys[i].bits,
			       key_curve(&keys[i]) ? ", curve " : "",
			       key_curve(&keys[i]) ? key_curve(&keys[i]) : "",
			       keys[i].owner_uid);
		key_data_text(keys[i].pubkey, keys[i].pubkey_len);
	}
	return fflush(stdout) ? PKICTL_EXIT_FAILED : PKICTL_EXIT_OK;
}

/* Only `verbose` (pkid's extras) may follow a show command. */
static int verbose_arg(const char *what, int argc, char **argv, bool *verbose)
{
	*verbose = argc == 1 && !strcmp(argv[0], "verbose");
	if (argc && !*verbose)
		return pkictl_usage("%s takes no arguments but `verbose`",
				    what);
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pkiks_key_info *)a)->name,
		      ((const struct pkiks_key_info *)b)->name);
}

static int show_keys(struct pkictl *ctl, int argc, char **argv)
{
	struct pkiks_key_info *keys = NULL;
	struct pkiks *ks;
	size_t n = 0;
	bool verbose;
	int err, ret;

	if (verbose_arg("show keys", argc, argv, &verbose))
		return PKICTL_EXIT_USAGE;
	ks = pkictl_keystore(ctl);
	if (!ks)
		return PKICTL_EXIT_UNREACHABLE;
	err = pkiks_key_list(ks, &keys, &n);
	if (err)
		return pkictl_fail(err, "listing keys");
	qsort(keys, n, sizeof(*keys), key_cmp);
	ret = ctl->json ? keys_json(keys, n) : keys_text(keys, n, verbose);
	pkiks_key_info_free(keys, n);
	return ret;
}

/* ---- show timers ------------------------------------------------------ */

/* Countdown column: "[Nd]hh:mm:ss.mmm", or the state when not running. */
static void timer_countdown(char *buf, size_t len,
			    const struct pkiks_timer_info *t,
			    const struct pkiks_clock *clk)
{
	if (t->state == PKIKS_TIMER_WAITING)
		snprintf(buf, len, "waiting");
	else if (t->state == PKIKS_TIMER_EXPIRED ||
		 t->deadline_ns <= clk->now_ns)
		snprintf(buf, len, "expired");
	else
		fmt_countdown(buf, len, t->deadline_ns - clk->now_ns);
}

/*
 * pkid's view (`show timers verbose`), a line a timer with its absolute
 * deadline and owner:
 * "|1094d 5:21:45.573 (2025-01-14T08:28:18Z) CS SHADOW CERT GENERATION OWNER"
 * The countdown is right-aligned in 16 columns, then padded to 17.  A
 * GENERIC timer shows as "GENERIC:<label> OWNER", its sysfs name (the
 * client refused any label outside the printable alphabet).
 */
static void timers_text_pkid(const struct pkiks_timer_info *t, size_t n,
			     const struct pkiks_clock *clk)
{
	char cd[32], col[32], iso[40];
	size_t i;

	printf("PKI Timers\n");
	for (i = 0; i < n; i++) {
		timer_countdown(cd, sizeof(cd), &t[i], clk);
		snprintf(col, sizeof(col), "%16s", cd);
		fmt_iso_time(iso, sizeof(iso), t[i].deadline_ns, 0);
		printf("|%-17s (%s) %s%s%s %s\n", col, iso,
		       pkiks_timer_kind_name(t[i].kind), t[i].label[0] ? ":" : "",
		       t[i].label, t[i].owner);
	}
}

/* The certificate server's timers: IOS lists them under "CS Timers". */
static bool timer_is_cs(const struct pkiks_timer_info *t)
{
	return t->kind == PKIKS_TIMER_CS_CRL_UPDATE ||
	       t->kind == PKIKS_TIMER_CS_SHADOW_CERT_GENERATION ||
	       t->kind == PKIKS_TIMER_CS_CERT_EXPIRE ||
	       t->kind == PKIKS_TIMER_ER_EXPIRE;
}

/* IOS's countdown; a timer that is due (or waits for time) shows 0. */
static void ios_left(char *buf, size_t len, const struct pkiks_timer_info *t,
		     const struct pkiks_clock *clk)
{
	uint64_t left = t->state == PKIKS_TIMER_ARMED &&
					t->deadline_ns > clk->now_ns
				? t->deadline_ns - clk->now_ns
				: 0;

	ios_countdown(buf, len, left);
}

/*
 * One IOS group: its name, the soonest countdown alone, then a line a
 * timer.  The server's timers carry no owner (IOS has one server); the
 * trustpoints' name their trustpoint ("RENEW TP1").
 */
static void timers_group(const char *title, bool cs,
			 const struct pkiks_timer_info *t, size_t n,
			 const struct pkiks_clock *clk)
{
	bool head = false;
	char cd[40];
	size_t i;

	if (!cs)
		printf("%s\n", title);
	for (i = 0; i < n; i++) {
		if (timer_is_cs(&t[i]) != cs)
			continue;
		ios_left(cd, sizeof(cd), &t[i], clk);
		if (!head) {
			if (cs)
				printf("%s\n", title);
			printf("|%16s\n", cd);
			head = true;
		}
		printf("|%16s  %s%s%s", cd, pkiks_timer_kind_name(t[i].kind),
		       t[i].label[0] ? ":" : "", t[i].label);
		if (!cs)
			printf(" %s", t[i].owner);
		putchar('\n');
	}
}

/* IOS `show crypto pki timers`: "PKI Timers", then "CS Timers" if any. */
static void timers_text(const struct pkiks_timer_info *t, size_t n,
			const struct pkiks_clock *clk)
{
	timers_group("PKI Timers", false, t, n, clk);
	timers_group("CS Timers", true, t, n, clk);
}

static int timers_json(const struct pkiks_timer_info *t, size_t n,
		       const struct pkiks_clock *clk)
{
	char iso[40];
	struct jw w;
	size_t i;

	jw_init(&w, stdout);
	jw_object_begin(&w, NULL);
	jw_bool(&w, "authoritative", clk->authoritative);
	fmt_iso_time(iso, sizeof(iso), clk->now_ns, 1);
	jw_string(&w, "now", iso);
	jw_array_begin(&w, "timers");
	for (i = 0; i < n; i++) {
		jw_object_begin(&w, NULL);
		jw_string(&w, "owner", t[i].owner);
		jw_string(&w, "kind", pkiks_timer_kind_name(t[i].kind));
		if (t[i].label[0])
			jw_string(&w, "label", t[i].label);
		jw_string(&w, "state", pkiks_timer_state_name(t[i].state));
		fmt_iso_time(iso, sizeof(iso), t[i].deadline_ns, 0);
		jw_string(&w, "deadline", iso);
		jw_uint(&w, "deadline_ns", t[i].deadline_ns);
		if (t[i].state == PKIKS_TIMER_ARMED &&
		    t[i].deadline_ns > clk->now_ns)
			jw_uint(&w, "remaining_ms",
				(t[i].deadline_ns - clk->now_ns) / 1000000ull);
		else
			jw_null(&w, "remaining_ms");
		jw_uint(&w, "owner_uid", t[i].owner_uid);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	return jw_finish(&w);
}

static int timer_cmp(const void *a, const void *b)
{
	const struct pkiks_timer_info *x = a, *y = b;

	if (x->deadline_ns != y->deadline_ns)
		return x->deadline_ns < y->deadline_ns ? -1 : 1;
	return strcmp(x->owner, y->owner);
}

static int show_timers(struct pkictl *ctl, int argc, char **argv)
{
	struct pkiks_timer_info *timers = NULL;
	struct pkiks_clock clk;
	struct pkiks *ks;
	size_t n = 0;
	bool verbose;
	int err;

	if (verbose_arg("show timers", argc, argv, &verbose))
		return PKICTL_EXIT_USAGE;
	ks = pkictl_keystore(ctl);
	if (!ks)
		return PKICTL_EXIT_UNREACHABLE;
	/* Countdowns run on the gate's clock, never on time(). */
	err = pkiks_clock_get(ks, &clk);
	if (err)
		return pkictl_fail(err, "reading the clock");
	err = pkiks_timer_list(ks, &timers, &n);
	if (err)
		return pkictl_fail(err, "listing timers");
	qsort(timers, n, sizeof(*timers), timer_cmp);
	if (ctl->json)
		err = timers_json(timers, n, &clk);
	else if (verbose)
		timers_text_pkid(timers, n, &clk);
	else
		timers_text(timers, n, &clk);
	free(timers);
	if (err || fflush(stdout))
		return PKICTL_EXIT_FAILED;
	return PKICTL_EXIT_OK;
}

const struct pkictl_cmd pkictl_show_cmds[] = {
	{"show", "clock", NULL, "the keystore's authoritative time",
	 show_clock},
	{"show", "keys", "[verbose]",
	 "keys, IOS `show crypto key mypubkey rsa`", show_keys},
	{"show", "timers", "[verbose]",
	 "PKI timers, IOS `show crypto pki timers`", show_timers},
	{NULL, NULL, NULL, NULL, NULL},
};
