// SPDX-License-Identifier: MIT
/*
 * `trustpoint TP authenticate`: GetCACert (the CA certificate, or the CA
 * and RA certificates), the fingerprint check (the configured
 * `fingerprint`, or the operator's --accept after seeing it), then
 * GetCACaps; all stored in the trustpoint's row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/scep/scep_client.h" /* fingerprints */
#include "tp_internal.h"
#include "core/log.h"

/* The CA (and RA) certificate and its fingerprint. */
int tp_fetch_ca(struct tp *tp, X509 **ca, X509 **ra, char *fp, size_t fp_size,
		char *why, size_t n)
{
	int ret = tp_proto(tp)->get_ca_certs(tp->cfg.enrollment_url, ca, ra,
					       why, n);

	return ret ?: scep_client_fingerprint(*ca, EVP_sha256(), fp, fp_size);
}

static int check_fingerprint(struct tp *tp, X509 *ca, const char *fp,
			     bool accept, char *why, size_t n)
{
	int ret;

	if (!tp->cfg.fingerprint[0]) {
		if (accept)
			return 0;
		snprintf(why, n,
			 "CA fingerprint (SHA-256) %s: check it, then "
			 "authenticate with --accept",
			 fp);
		return -EPERM;
	}
	ret = scep_client_fingerprint_match(ca, tp->cfg.fingerprint);
	if (ret < 0)
		snprintf(why, n,
			 "CA fingerprint %s does not match the "
			 "configured fingerprint",
			 fp);
	return ret;
}

int tp_authenticate(struct tp *tp, bool accept, char *fp, size_t fp_size,
		    char *why, size_t n)
{
	char *caps = NULL;
	struct db_tp st;
	X509 *ca = NULL, *ra = NULL;
	int ret;

	if (!tp->cfg.enrollment_url[0]) {
		snprintf(why, n, "no enrollment url");
		return -EINVAL;
	}
	ret = tp_fetch_ca(tp, &ca, &ra, fp, fp_size, why, n);
	ret = ret ?: check_fingerprint(tp, ca, fp, accept, why, n);
	if (ret < 0)
		goto out;
	if (db_tp_get(tp->set->db, tp->cfg.name, &st) == -ENOENT) {
		memset(&st, 0, sizeof(st));
		snprintf(st.name, sizeof(st.name), "%s", tp->cfg.name);
	}
	/* Capabilities are optional (SCEP: RFC 8894 §3.5.2): none means
	 * defaults. */
	if (tp_proto(tp)->get_caps(tp->cfg.enrollment_url, &caps) == 0) {
		free(st.caps);
		st.caps = caps;
	}
	/* micromdm's scepserver, for one: renewals only, and why. */
	if (!tp_proto(tp)->has_next_ca(st.caps))
		pkid_log(LOG_NOTICE, NULL,
			 "trustpoint %s: the CA announces no rollover CA "
			 "certificate (GetNextCACert): no SHADOW; the identity "
			 "is renewed (RENEW) under the current CA, and a new CA "
			 "certificate needs `authenticate` again",
			 tp->cfg.name);
	ret = tp_set_blob(&st.ca_cert, &st.ca_cert_len, ca);
	ret = ret ?: tp_set_blob(&st.ra_cert, &st.ra_cert_len, ra);
	ret = ret ?: db_tp_put(tp->set->db, &st);
	db_tp_free(&st);
	if (ret == 0)
		pkid_log(LOG_INFO, NULL,
			 "trustpoint %s: CA certificate %s "
			 "installed",
			 tp->cfg.name, fp);
out:
	X509_free(ca);
	X509_free(ra);
	return ret;
}

int tp_refresh_ra(struct tp *tp, struct db_tp *st)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1], why[256];
	X509 *ca = NULL, *ra = NULL,
	     *have = tp_x509(st->ca_cert, st->ca_cert_len);
	int ret;

	ret = tp_fetch_ca(tp, &ca, &ra, fp, sizeof(fp), why, sizeof(why));
	if (ret == 0 && (!have || X509_cmp(ca, have)))
		ret = -ESTALE; /* the CA has not switched yet: keep none */
	ret = ret ?: tp_set_blob(&st->ra_cert, &st->ra_cert_len, ra);
	ret = ret ?: db_tp_put(tp->set->db, st);
	X509_free(ca);
	X509_free(ra);
	X509_free(have);
	return ret;
}
