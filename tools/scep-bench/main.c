// SPDX-License-Identifier: MIT
/*
 * scep-bench: how many SCEP enrollments per second a running pkid
 * sustains, against what this machine's cores could do at best.
 *
 *   scep-bench --url URL [-n ENROLLMENTS] [-c CLIENTS]
 *              [--ctl SOCKET --ca NAME | --challenge PW]
 *              [--get] [--keys K] [--ops N] [--limit-seconds S]
 *
 * Each enrollment is a PKCSReq with a challenge password (a one-time one
 * per enrollment from pkid's control socket with --ctl, or a static one)
 * answered by CertRep SUCCESS; the client keys come from a pool of K
 * (32) RSA-2048 keys, every request otherwise its own.  The figures:
 * enrollments/s over the timed window, p50/p99 round-trip latency, and the
 * physical limit = RSA-2048 private operations/s on all cores (measured here,
 * first, while pkid is idle) / private operations per enrollment (--ops, 3: the
 * CA or RA decrypts the envelope, the CA signs the certificate, the CA or RA
 * signs the CertRep; the server's public-key work and the keystore's
 * verification of its own signature are not counted).
 *
 * --est URL (EST's .../.well-known/est; --url still names the SCEP URL of
 * the same CA, for its certificate): the same enrollments as EST
 * simpleenroll with HTTP Basic over a new TLS connection each.  The
 * server's private operations per EST enrollment: 2, one RSA-2048
 * signature (the certificate) and one ECDSA P-256 signature (the TLS
 * handshake, with the server's keystore key); the limit is then
 * 1 / (1/RSA rate + 1/ECDSA rate), both measured here.
 *
 * --est-keepalive: each client keeps its TLS connection for its next
 * enrollment (a bulk EST client, or an RA); then the handshake and its
 * ECDSA signature are paid once per client, not per enrollment, and the
 * limit counts the certificate's RSA signature alone.
 */
#include <curl/curl.h>
#include <openssl/provider.h>
#include <openssl/core_names.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scep-bench --url URL [-n ENROLLMENTS] [-c CLIENTS]\n"
		"                  [--ctl SOCKET --ca NAME | --challenge PW]\n"
		"                  [--get] [--keys K] [--ops N] "
		"[--limit-seconds S] [--est EST-URL "
		"[--est-keepalive]]\n");
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"ctl", required_argument, NULL, 'C'},
		{"ca", required_argument, NULL, 'a'},
		{"challenge", required_argument, NULL, 'p'},
		{"get", no_argument, NULL, 'g'},
		{"ops", required_argument, NULL, 'o'},
		{"keys", required_argument, NULL, 'k'},
		{"limit-seconds", required_argument, NULL, 'l'},
		{"est", required_argument, NULL, 'e'},
		{"est-keepalive", no_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c, bad = 0;

	*o = (struct bench_opts){.enrollments = 100,
				 .clients = 8,
				 .keys = 32,
				 .bits = 2048,
				 .ops_per_enrollment = 3,
				 .limit_seconds = 2.0,
				 .post = -1};
	while ((c = getopt_long(argc, argv, "n:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->url = optarg;
			break;
		case 'C':
			o->ctl_socket = optarg;
			break;
		case 'a':
			o->ca_name = optarg;
			break;
		case 'p':
			o->challenge = optarg;
			break;
		case 'g':
			o->post = 0;
			break;
		case 'e':
			o->est = optarg;
			break;
		case 'K':
			o->est_keepalive = true;
			break;
		case 'n':
			bad |= parse_uint(optarg, 1, 100000, &o->enrollments);
			break;
		case 'c':
			bad |= parse_uint(optarg, 1, 256, &o->clients);
			break;
		case 'k':
			bad |= parse_uint(optarg, 1, 100000, &o->keys);
			break;
		case 'o':
			bad |= parse_uint(optarg, 1, 100,
					  &o->ops_per_enrollment);
			break;
		case 'l':
			o->limit_seconds = atof(optarg);
			bad |= o->limit_seconds < 0.1 || o->limit_seconds > 60;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			bad = 1;
		}
	}
	if (bad || optind != argc || !o->url || (o->est_keepalive && !o->est) ||
	    (o->ctl_socket && !o->ca_name) || (o->ctl_socket && o->challenge)) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* GetCACaps and GetCACert: the cipher, digest, transport and certs. */
static int fetch_ca(const struct bench_opts *o, struct bench_ca *ca)
{
	struct scep_http_body caps = {0}, cert = {0};
	char *text = NULL;
	int ret;

	ret = scep_http_get(o->url, "GetCACaps", NULL, &caps);
	if (ret == 0)
		text = strndup((const char *)caps.data, caps.len);
	ret = ret ?: scep_http_get(o->url, "GetCACert", NULL, &cert);
	ret = ret
		      ?: scep_client_parse_ca(cert.data, cert.len,
					      cert.content_type, &ca->ca,
					      &ca->ra);
	if (ret < 0) {
		fprintf(stderr, "scep-bench: %s: GetCACaps/GetCACert: %s\n",
			o->url, strerror(-ret));
		goto out;
	}
	ca->cipher = scep_client_cipher(text);
	ca->md = scep_client_md(text);
	ca->post = o->post >= 0 ? o->post
				: scep_client_has_cap(text, "POSTPKIOperation");
	ca->signers = sk_X509_new_null();
	if (!ca->signers || !sk_X509_push(ca->signers, ca->ca) ||
	    (ca->ra && !sk_X509_push(ca->signers, ca->ra)))
		ret = -ENOMEM;
out:
	free(text);
	scep_http_body_free(&caps);
	scep_http_body_free(&cert);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values, in milliseconds. */
static double pct_ms(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	return (double)v[rank - 1] / 1e6;
}

/* What the timed window measured besides the latencies. */
struct window {
	double seconds;
	double cpu_s;  /* this process's CPU time (user + system) in it */
	size_t failed; /* enrollments that did not come back SUCCESS */
};

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * The load generator shares the cores with the server: how much of them
 * it took in the window says how far the server's figure is its own.
 */
static void report_load(const struct window *w, size_t n, long cores)
{
	double share = w->cpu_s / (w->seconds * (double)(cores > 0 ? cores : 1));

	printf("  load generator: %.2f CPU-s in the window = %.0f%% of %ld "
	       "cores\n",
	       w->cpu_s, 100.0 * share, cores);
	if (w->failed)
		printf("  FAILED: %zu of %zu enrollments (not counted in the "
		       "throughput)\n",
		       w->failed, n);
	printf("LOAD failed=%zu of=%zu loadgen_cpu_s=%.2f loadgen_share=%.3f\n",
	       w->failed, n, w->cpu_s, share);
}

/* EST: one RSA signature and one ECDSA P-256 signature each. */
static double est_limit(double rsa_rate, double ec_rate)
{
	return 1.0 / (1.0 / rsa_rate + 1.0 / ec_rate);
}

/* TLS connections (handshakes) the EST enrollments took in all. */
static long est_connects(const struct enrollment *e, size_t n)
{
	long sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += e[i].est_rep.connects;
	return sum;
}

static int report(const struct bench_opts *o, const struct bench_ca *ca,
		  const struct enrollment *e, size_t n, double prep_s,
		  const struct window *w, double rsa_rate, double ec_rate,
		  long cores)
{
	uint64_t *lat = calloc(n, sizeof(*lat));
	double window_s = w->seconds;
	/* successful enrollments only: a failed one enrolled nobody */
	double rate = (double)(n - w->failed) / window_s;
	/* EST: one RSA (certificate) and one ECDSA P-256 (TLS) per
	 * enrollment; an ECDSA CA: one of the private operations (the
	 * certificate's signature) is on its curve, the RA's stay RSA. */
	double limit = o->est && o->est_keepalive ? rsa_rate
		       : o->est	  ? est_limit(rsa_rate, ec_rate)
		       : ec_rate > 0 ? 1.0 / ((o->ops_per_enrollment - 1) /
						     rsa_rate +
					     1.0 / ec_rate)
				     : rsa_rate / o->ops_per_enrollment;

	if (!lat)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		lat[i] = e[i].latency_ns;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	if (o->est)
		printf("scep-bench: %zu EST enrollments by %u clients "
		       "(simpleenroll, HTTP Basic, %s, "
		       "%u RSA-%u client keys)\n",
		       n, o->clients,
		       o->est_keepalive ? "one kept TLS connection per client"
					: "a TLS connection each", o->keys < n ? o->keys : (unsigned int)n,
		       o->bits);
	else
		printf("scep-bench: %zu enrollments by %u clients (%s, %s, %s, "
		       "%u RSA-%u client keys, %s mode)\n",
		       n, o->clients, ca->post ? "POST" : "GET",
		       EVP_CIPHER_get0_name(ca->cipher),
		       EVP_MD_get0_name(ca->md),
		       o->keys < n ? o->keys : (unsigned int)n, o->bits,
		       ca->ra ? "RA" : "single-key");
	printf("  prepared ahead in %.2f s (keys, CSRs, PKCSReqs)\n", prep_s);
	printf("  throughput: %.1f enrollments/s (%.3f s window)\n", rate,
	       window_s);
	printf("  latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	       pct_ms(lat, n, 50), pct_ms(lat, n, 99),
	       (double)lat[n - 1] / 1e6);
	if (o->est && o->est_keepalive)
		printf("  physical limit: %.0f RSA-2048 private ops/s on %ld "
		       "cores, 1 per enrollment = %.1f enrollments/s\n"
		       "    (private ops counted: certificate signature; the "
		       "TLS handshake's, %u in all, not)\n",
		       rsa_rate, cores, limit, o->clients);
	else if (o->est)
		printf("  physical limit: %.0f RSA-2048 and %.0f ECDSA P-256 "
		       "private ops/s on %ld cores, 1 of each per enrollment "
		       "= %.1f enrollments/s\n"
		       "    (private ops counted: certificate signature, TLS "
		       "handshake signature)\n",
		       rsa_rate, ec_rate, cores, limit);
	else if (ec_rate > 0)
		printf("  physical limit: %.0f RSA-2048 private ops/s and %.0f "
		       "ECDSA signatures/s on %ld cores, %u RSA + 1 ECDSA per "
		       "enrollment = %.1f enrollments/s\n",
		       rsa_rate, ec_rate, cores, o->ops_per_enrollment - 1,
		       limit);
	else
		printf("  physical limit: %.0f RSA-2048 private ops/s on %ld "
		       "cores / %u per enrollment = %.1f enrollments/s\n",
		       rsa_rate, cores, o->ops_per_enrollment, limit);
	if (!o->est && o->ops_per_enrollment == 3)
		printf("    (private ops counted: envelope decryption, "
		       "certificate signature, CertRep signature)\n");
	if (!o->est && ec_rate > 0)
		printf("    (ECDSA CA: the certificate signature is on its "
		       "curve, OpenSSL's rate)\nEC ec_ops_per_s=%.0f\n",
		       ec_rate);
	printf("  ratio: %.2f of the physical limit\n", rate / limit);
	printf("RESULT enrollments_per_s=%.2f p50_ms=%.2f p99_ms=%.2f "
	       "rsa_ops_per_s=%.0f limit_per_s=%.2f ratio=%.3f\n",
	       rate, pct_ms(lat, n, 50), pct_ms(lat, n, 99), rsa_rate, limit,
	       rate / limit);
	if (o->est)
		printf("EST ecdsa_ops_per_s=%.0f private_ops_per_enrollment=%d "
		       "tls_connections=%ld\n",
		       ec_rate, o->est_keepalive ? 1 : 2, est_connects(e, n));
	report_load(w, n, cores);
	free(lat);
	return 0;
}

/* An ECDSA CA certificate: its curve's signature rate, else 0. */
static int ca_ec_rate(const struct bench_ca *ca, long cores, double seconds,
		      double *rate)
{
	EVP_PKEY *pk = X509_get0_pubkey(ca->ca);
	char group[64];

	*rate = 0;
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), NULL))
		return -EINVAL;
	return bench_ec_rate(cores > 0 && cores <= 64 ? (unsigned)cores : 1,
			     seconds, group, rate);
}

/* The SCEP transport's failures (HTTP errors, timeouts). */
static void scep_log(int level, const char *msg)
{
	fprintf(stderr, "scep-bench: %s\n", msg);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_ca ca = {0};
	struct enrollment *e = NULL;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double rsa_rate = 0, ec_rate = 0, prep_s, cpu0;
	struct window w = {0};
	uint64_t t0;
	int ret;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	scep_client_set_log(scep_log);
	/*
	 * micromdm's scepserver 2.1 (make bench-peers) envelopes every
	 * CertRep with single DES whatever the request used: the load
	 * generator opens those with OpenSSL's legacy provider, loaded
	 * process-wide here (pkid's client keeps it in a library context of
	 * its own, daemon/proto/scep/scep_legacy.c).
	 */
	if (!OSSL_PROVIDER_load(NULL, "legacy") ||
	    !OSSL_PROVIDER_load(NULL, "default"))
		fprintf(stderr, "scep-bench: no legacy provider: DES-enveloped "
				"CertReps will not open\n");
	ret = fetch_ca(&o, &ca);
	/* The limit first, while pkid is idle and nothing else of ours runs. */
	ret = ret
		      ?: bench_rsa_rate(
				 cores > 0 && cores <= 64 ? (unsigned)cores : 1,
				 o.limit_seconds, &rsa_rate);
	ret = ret ?: (o.est ? 0 : ca_ec_rate(&ca, cores, o.limit_seconds,
						  &ec_rate));
	if (!ret && o.est) {
		o.est_anchors = ca.signers;
		ret = bench_ec_rate(cores > 0 && cores <= 64 ? (unsigned)cores
							     : 1,
				    o.limit_seconds, "P-256", &ec_rate);
	}
	e = ret ? NULL : calloc(o.enrollments, sizeof(*e));
	if (!ret && !e)
		ret = -ENOMEM;
	t0 = bench_now_ns();
	ret = ret ?: bench_challenges(&o, e, o.enrollments);
	ret = ret ?: bench_prepare(&o, &ca, e, o.enrollments);
	prep_s = (double)(bench_now_ns() - t0) / 1e9;
	o.post = ca.post;
	cpu0 = cpu_seconds();
	ret = ret ?: bench_run(&o, e, o.enrollments, &w.seconds);
	w.cpu_s = cpu_seconds() - cpu0;
	ret = ret ?: bench_check(&ca, e, o.enrollments, &w.failed);
	ret = ret
		      ?: report(&o, &ca, e, o.enrollments, prep_s, &w,
				rsa_rate, ec_rate, cores);
	/* Reported, and still a failed run. */
	if (!ret && w.failed)
		ret = -EPROTO;
	if (ret)
		fprintf(stderr, "scep-bench: failed: %s\n", strerror(-ret));
	for (size_t i = 0; e && i < o.enrollments; i++)
		bench_enrollment_free(&e[i]);
	free(e);
	sk_X509_free(ca.signers);
	X509_free(ca.ca);
	X509_free(ca.ra);
	curl_global_cleanup();
	return ret ? 1 : 0;
}
