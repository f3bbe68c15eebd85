#!/bin/bash
# check-hierarchy-rapoll: the RA's own upstream poll (lab clock).  A pkid
# CA in manual mode (no grant ra-auto: the forwarded request waits for its
# operator), a pkid RA in front of it (manual grant), a pkid router that
# polls the RA only every 10 minutes:
#  - the RA operator's grant sends the request upstream at once, not at
#    the router's next poll: the CA holds it while the router's POLL is
#    still minutes away;
#  - the CA's operator grants; the RA's poll (60 s later, a keystore
#    timer) fetches the certificate (CS_RA_ISSUED) — still before the
#    router polls;
#  - the router's poll then gets it from the RA at once; it verifies under
#    the CA; the RA counts one forward;
#  - GetCRL (and /crl/RA.crl) at the RA answers the CA's CRL, as the RA's
#    trustpoint keeps it.
. tests/hierarchy/lib.sh
hi_ra_setup 18932
# req_id CTL SERVER STATE SUBJECT
req_id() {
	$B/ctl-call "$1" --json "show requests" "$2" 2>/dev/null | jq -er --arg st "$3" --arg s "$4" \
		'[.[] | select(.state == $st and (.subject | contains($s)))][0].id // empty'
}
ra_poll_at() {
	$B/pkictl --json show timers | jq -r '.timers[] | select(.owner == "RA" and ((.state // "") | ascii_downcase) != "expired" and
		.label == "ra-upstream-poll") | .deadline_ns / 1000000000 | floor'
}

ca_conf "lifetime enrollment-request 48"
ca_start
cafp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
capw=$($B/ctl-call "$T/ca.ctl" --json "server password generate" TESTCA 10 | jq -r .password)
[ -n "$capw" ] && [ "$capw" != null ] || hfail "no one-time password at the CA"
cat >"$T/ra.conf" <<EOF
clock calendar-valid
ip http server $SPORT
control-socket $T/ra.ctl
crypto pki trustpoint RA
 enrollment url $URL
 enrollment retry period 1
 fingerprint $cafp
 password $capw
crypto pki server RA
 mode ra
 lifetime enrollment-request 48
 database url $T/radb
 no shutdown
EOF
start_pkid ra RA_PID
wait_for 30 ra_serving || hfail "the RA does not serve"
echo "ok: the RA enrolled at the CA and serves"

URL=$SURL cl_conf "enrollment retry period 10"
cl_start
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept >/dev/null ||
	hfail "authenticate"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null 2>&1
wait_for 20 req_id "$T/ra.ctl" RA pending CN=router1 || hfail "no pending request at the RA"
poll=$(timer_at POLL)
[ -n "$poll" ] || hfail "the router holds no POLL timer"
req_id "$T/ca.ctl" TESTCA pending CN=router1 && hfail "the CA saw the request before the RA's grant"

ractl "server grant" RA "$(req_id "$T/ra.ctl" RA pending CN=router1)" >/dev/null || hfail "grant at the RA"
wait_for 20 req_id "$T/ca.ctl" TESTCA pending CN=router1 ||
	hfail "the RA's grant did not send the request upstream"
[ "$(lab_now)" -lt "$poll" ] || hfail "the router polled meanwhile (its POLL was at $poll)"
echo "ok: the RA's grant sent the request upstream at once (the router polls at $poll)"

at=$(ra_poll_at)
[ -n "$at" ] || hfail "no upstream poll armed at the RA while the CA is pending"
[ "$at" -lt "$poll" ] || hfail "the RA's poll ($at) comes after the router's ($poll)"
cactl "server grant" TESTCA "$(req_id "$T/ca.ctl" TESTCA pending CN=router1)" >/dev/null ||
	hfail "grant at the CA"
lab_to $((at + 1))
wait_for 20 grep -q "CS_RA_ISSUED" "$T/ra.log" || hfail "the RA's poll did not fetch the certificate"
[ "$(lab_now)" -lt "$poll" ] || hfail "the router polled meanwhile (its POLL was at $poll)"
[ -s "$T/tp1.pem" ] && hfail "the router has its certificate before its poll?"
req_id "$T/ra.ctl" RA issued CN=router1 >/dev/null || hfail "the RA's request is not issued"
echo "ok: the RA's own poll fetched the certificate once the CA granted it"

lab_to $((poll + 1))
wait_for 30 test -s "$T/tp1.pem" || hfail "the router's poll got no certificate"
get_pem "$URL" 1 >"$T/ca.pem"
openssl verify -CAfile "$T/ca.pem" "$T/tp1.pem" >/dev/null || hfail "the router's certificate"
[ "$(ractl --json "show server" RA | jq .forwarded)" = 1 ] || hfail "forwarded count"
[ "$(grep -c CS_RA_ISSUED "$T/ra.log")" = 1 ] || hfail "CS_RA_ISSUED more than once"
echo "ok: the router's poll got it from the RA; it verifies under the CA"

# GetCRL at the RA: the upstream's CRL, as the RA's trustpoint keeps it.
curl -sf -o "$T/ra.crl" "$SURL?operation=GetCRL" || hfail "GetCRL at the RA"
openssl crl -inform der -in "$T/ra.crl" -CAfile "$T/ca.pem" -noout 2>&1 | grep -q "verify OK" ||
	hfail "the RA's GetCRL is not a CRL verified under the CA"
curl -sf -o "$T/ca.crl" "$URL?operation=GetCRL" || hfail "GetCRL at the CA"
cmp -s "$T/ra.crl" "$T/ca.crl" || hfail "the RA's CRL is not the CA's"
curl -sf -o "$T/ra2.crl" "http://127.0.0.1:$SPORT/crl/RA.crl" && cmp -s "$T/ra2.crl" "$T/ca.crl" ||
	hfail "the RA's /crl/RA.crl is not the CA's CRL"
echo "ok: GetCRL at the RA answers the CA's CRL (verified under the CA)"
echo "check-hierarchy-rapoll: OK"
