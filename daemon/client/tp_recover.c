// SPDX-License-Identifier: MIT
/*
 * A trustpoint whose SHADOW missed the CA's end (issue 22; docs/TIMERS.md).
 *
 * The CA has rolled over: its identity and CA certificate have ended and
 * GetNextCACert has nothing to offer.  It recovers by itself only when it
 * can do so safely:
 *   - it holds the rollover CA certificate (fetched by GetNextCACert,
 *     verified against the old CA, before the end) and GetCACert now
 *     serves exactly that certificate: the new CA is trusted as the
 *     rollover it already checked;
 *   - it has a challenge password: a fresh enrollment under the new CA
 *     carries it, and the CA grants it like any other enrollment.
 * pkid does not send a renewal signed by the expired identity: a CA must
 * not accept a signature by a certificate that has ended (RFC 5280), and
 * a grace period would make every expired identity of the old CA a
 * credential.  Otherwise the trustpoint stops with an alert that says
 * what the operator must do, instead of asking the CA for ever.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "tp_internal.h"

/* Give up: no timer of ours keeps asking; the operator takes over. */
static int stop(struct tp *tp, struct db_tp *st, const char *why)
{
	tp_cancel(tp, PKIKS_TIMER_POLL);
	tp_cancel(tp, PKIKS_TIMER_CONNECT_RETRY);
	tp_cancel(tp, PKIKS_TIMER_RENEW);
	tp_cancel(tp, PKIKS_TIMER_SHADOW);
	st->pending_tid[0] = '\0';
	st->pending_kind = TP_KIND_NONE;
	st->poll_count = 0;
	db_tp_put(tp->set->db, st);
	pkid_log(LOG_ALERT, "TP_ROLLOVER_MISSED",
		 "trustpoint %s: the CA has already rolled over and the "
		 "SHADOW enrollment missed it: %s",
		 tp->cfg.name, why);
	return 0;
}

/* The held rollover certificate becomes the trusted CA. */
static int adopt(struct tp *tp, struct db_tp *st, X509 *ca, X509 *ra,
		 const char *fp)
{
	int ret = tp_set_blob(&st->ca_cert, &st->ca_cert_len, ca);

	ret = ret ?: tp_set_blob(&st->ra_cert, &st->ra_cert_len, ra);
	ret = ret
		      ?: tp_set_blob(&st->shadow_ca_cert,
				     &st->shadow_ca_cert_len, NULL);
	st->shadow_key[0] = '\0';
	st->pending_tid[0] = '\0';
	st->pending_kind = TP_KIND_NONE;
	st->poll_count = 0;
	ret = ret ?: db_tp_put(tp->set->db, st);
	if (ret == 0)
		pkid_log(LOG_WARNING, "TP_ROLLOVER_RECOVER",
			 "trustpoint %s: the CA has already rolled over; its "
			 "new certificate %s is the rollover certificate we "
			 "held: trusted%s",
			 tp->cfg.name, fp,
			 tp->cfg.password[0]
				 ? ", enrolling under it with the challenge "
				   "password"
				 : "");
	return ret;
}

int tp_recover(struct tp *tp, struct db_tp *st)
{
	char fp[2 * EVP_MAX_MD_SIZE + 1] = "", why[256] = "";
	X509 *held = tp_x509(st->shadow_ca_cert, st->shadow_ca_cert_len);
	X509 *cur = tp_x509(st->ca_cert, st->ca_cert_len);
	X509 *ca = NULL, *ra = NULL;
	int ret;

	if (!held) {
		ret = stop(tp, st,
			   "it never saw the rollover CA certificate; "
			   "authenticate the new CA again (`trustpoint TP "
			   "authenticate`) and enroll");
		goto out;
	}
	ret = tp_fetch_ca(tp, &ca, &ra, fp, sizeof(fp), why, sizeof(why));
	if (ret < 0) {
		pkid_log(LOG_WARNING, NULL, "trustpoint %s: %s", tp->cfg.name, why);
		goto out;
	}
	if (X509_cmp(ca, held) && cur && !X509_cmp(ca, cur)) {
		/* It still serves the certificate that has ended: the CA has
		 * not promoted its rollover yet (its own timer is late, or it
		 * was down at its end).  Not a mismatch: ask again later, with
		 * the backoff of an unreachable CA (tools/sim found a late
		 * SHADOW that came first and stopped for good). */
		pkid_log(LOG_WARNING, NULL,
			 "trustpoint %s: the CA still serves its ended "
			 "certificate %s: it has not switched to the rollover "
			 "yet; trying again later",
			 tp->cfg.name, fp);
		ret = -EPROTO;
	} else if (X509_cmp(ca, held)) {
		ret = stop(tp, st,
			   "the CA's certificate is not the rollover "
			   "certificate it held; authenticate the CA again");
	} else if (!tp->cfg.password[0]) {
		/* The new CA is trusted (it is the rollover held); only the
		 * credential for a request is missing. */
		ret = adopt(tp, st, ca, ra, fp);
		ret = ret
			      ?: stop(tp, st,
				      "it trusts the new CA (the rollover "
				      "certificate it held) but has no "
				      "challenge "
				      "password to enroll under it; configure "
				      "`password` and run `trustpoint TP "
				      "enroll`, "
				      "or enroll by hand if the CA grants "
				      "without "
				      "one");
	} else {
		ret = adopt(tp, st, ca, ra, fp) ?: 1;
	}
out:
	X509_free(held);
	X509_free(cur);
	X509_free(ca);
	X509_free(ra);
	return ret;
}
