#!/bin/bash
# check-schedule-timers: `pkictl check` and the daemon agree on every
# instant, because both call libshared/schedule.c.  For each configuration
# below a CA pkid and a client pkid run on one pkiksd --lab; the timers
# they arm (`pkictl --json show timers`) are compared with what
# `pkictl --json check` computes from the same configuration files:
#   - CS SHADOW CERT GENERATION at the CA's end - rollover_lead_s;
#   - CS CRL UPDATE at the CRL's lastUpdate + crl_update_after_s;
#   - RENEW at the identity's notBefore + renew_after_s;
#   - SHADOW before the CA's end by shadow_lead_s (the checker's worst
#     case: an identity that lives until the CA's end; ours was issued a
#     few seconds after the CA started, so it fires up to those seconds'
#     share later, never earlier);
#   - a shadow-before-rollover finding exactly when the daemon arms SHADOW
#     before the CA's generation -- and then, when SHADOW fires, CONNECT
#     RETRY after retry_s[0]; without the finding SHADOW enrolls under the
#     rollover CA.
. tests/client/lib.sh

# check_json FILE ARGS...: pkictl --json check, exit 0 or 4 accepted.
check_json() {
	local out=$1 rc
	shift
	$B/pkictl --json check "$@" >"$out"
	rc=$?
	[ $rc = 0 ] || [ $rc = 4 ] || fail "pkictl check $* exited $rc"
}

ca_timer() {
	$B/pkictl --json show timers | jq -r --arg k "$1" \
		'.timers[] | select(.owner == "TESTCA" and .kind == $k) |
		 .deadline_ns / 1000000000 | floor'
}

# run_case PORT CA_DAYS CERT_DAYS WINDOW_DAYS "AUTO-ENROLL LINE" FINDING
run_case() {
	local ca_days=$2 cert_days=$3 window=$4 ae=$5 want=$6
	local ca_end ca_nb nb na gen lead renew shadow got crl_last crl_at

	cl_setup "$1"
	ca_conf "grant auto" "lifetime ca-certificate $ca_days" \
		"lifetime certificate $cert_days" "auto-rollover $window" \
		"lifetime crl 24"
	ca_start
	cl_conf ${ae:+"$ae"}
	cl_start
	check_json "$T/ca.json" -c "$T/ca.conf"
	check_json "$T/tp.json" -c "$T/cl.conf" --ca-lifetime "$ca_days" \
		--cert-lifetime "$cert_days" --auto-rollover "$window"
	got=$(jq -r '[.findings[].id | select(startswith("shadow"))] | join(" ")' "$T/tp.json")
	[ "$got" = "$want" ] || fail "checker findings [$got], want [$want]"

	clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
	clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
	wait_for 10 test -s "$T/tp1.pem" || fail "no identity exported"
	curl -sf "$URL?operation=GetCACert" -o "$T/ca.p7" || fail "GetCACert"
	openssl pkcs7 -inform der -in "$T/ca.p7" -print_certs |
		openssl x509 -out "$T/ca.pem" || fail "CA certificate"
	ca_nb=$(cert_time "$T/ca.pem" startdate)
	ca_end=$(cert_time "$T/ca.pem" enddate)
	nb=$(cert_time "$T/tp1.pem" startdate)
	na=$(cert_time "$T/tp1.pem" enddate)

	# The CA: generation and CRL.
	gen=$(ca_timer "CS SHADOW CERT GENERATION")
	[ "$gen" = $((ca_end - $(jq .ca.schedule.rollover_lead_s "$T/ca.json"))) ] ||
		fail "CS SHADOW CERT GENERATION at $gen, checker: $ca_end - rollover_lead_s"
	curl -sf "http://127.0.0.1:$1/crl/TESTCA.crl" -o "$T/crl.der" || fail "GET CRL"
	crl_last=$(date -u -d "$(openssl crl -inform der -in "$T/crl.der" -noout -lastupdate |
		sed 's/^[^=]*=//')" +%s)
	crl_at=$(ca_timer "CS CRL UPDATE")
	[ "$crl_at" = $((crl_last + $(jq .ca.schedule.crl_update_after_s "$T/ca.json"))) ] ||
		fail "CS CRL UPDATE at $crl_at, checker: lastUpdate $crl_last + crl_update_after_s"
	echo "ok: CA $ca_days d, window $window d: generation and CRL update as the checker computes"

	# The trustpoint: RENEW, or SHADOW against the checker's worst case.
	renew=$(timer_at RENEW)
	shadow=$(timer_at SHADOW)
	if [ "$na" -lt "$ca_end" ]; then
		[ -z "$shadow" ] || fail "SHADOW armed for an identity that ends before its CA"
		[ "$renew" = $((nb + $(jq '.trustpoints[0].renew_after_s' "$T/tp.json"))) ] ||
			fail "RENEW at $renew, checker: notBefore $nb + renew_after_s"
		echo "ok: $ae: RENEW at notBefore + renew_after_s"
		return 0
	fi
	[ -n "$shadow" ] && [ -z "$renew" ] || fail "identity ends with the CA: no SHADOW armed"
	lead=$(jq '.trustpoints[0].shadow_lead_s' "$T/tp.json")
	got=$((ca_end - shadow))
	# Our identity is younger than the worst case by nb - ca_nb seconds.
	[ "$got" -le "$lead" ] && [ "$got" -ge $((lead - (nb - ca_nb))) ] ||
		fail "SHADOW $got s before the CA's end, checker: $lead (identity $((nb - ca_nb)) s younger)"
	if [ -n "$want" ]; then
		[ "$shadow" -lt "$gen" ] || fail "finding $want, but SHADOW $shadow is not before generation $gen"
	else
		[ "$shadow" -ge "$gen" ] || fail "no finding, but SHADOW $shadow is before generation $gen"
	fi
	echo "ok: ${ae:-no auto-enroll}: SHADOW $got s before the CA's end (checker: $lead), ${want:-no finding}"

	# The generation first (its own step: one jump over both would race
	# the client's GetNextCACert against the CA's generation).
	[ "$gen" -lt "$shadow" ] && lab_to $((gen + 1)) &&
		{ wait_for 20 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
			fail "no rollover CA after CS SHADOW CERT GENERATION"; }
	lab_to $((shadow + 1))
	if [ -n "$want" ]; then
		wait_for 20 timer_armed "CONNECT RETRY" ||
			fail "no CONNECT RETRY after a SHADOW before the rollover"
		got=$(($(timer_at "CONNECT RETRY") - shadow))
		lead=$(jq '.trustpoints[0].retry_s[0]' "$T/tp.json")
		# SHADOW fired between shadow and shadow + 1 plus the time it ran.
		[ "$got" -ge "$lead" ] && [ "$got" -le $((lead + 10)) ] ||
			fail "CONNECT RETRY $got s after SHADOW, checker: retry_s[0] = $lead"
		echo "ok: SHADOW found no rollover CA: CONNECT RETRY after retry_s[0] = $lead s"
	else
		wait_for 20 grep -q "TP1: shadow request" "$T/cl.log" ||
			fail "SHADOW did not enroll under the rollover CA"
		echo "ok: SHADOW after the generation enrolled under the rollover CA"
	fi
}

( run_case 18960 100 200 30 "auto-enroll 80" "" ) || exit 1
( run_case 18961 100 200 10 "auto-enroll 80" "shadow-before-rollover" ) || exit 1
( run_case 18962 100 200 5 "" "shadow-default-before-rollover" ) || exit 1
( run_case 18963 100 30 30 "auto-enroll 70" "" ) || exit 1
echo "check-schedule-timers: OK"
