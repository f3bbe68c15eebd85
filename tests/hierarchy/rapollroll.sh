#!/bin/bash
# check-hierarchy-rapollroll: the RA's own upstream poll during its
# upstream CA's rollover (lab clock; the CA lives 4 hours with a 2-hour
# auto-rollover window; every request waits for the CA's operator; the
# router polls the RA only every 10 minutes):
#  - trustpoint RA SHADOWs at the CA (its operator grants): the RA holds
#    its certificate under the CA's rollover CA before the CA's end and
#    offers the rollover (GetNextCACert);
#  - the router SHADOWs through the RA (grant auto there): its request,
#    enveloped to the RA's shadow certificate, is stored at the RA with
#    its generation and forwarded to the CA's rollover CA, where it waits;
#  - the CA's operator grants; the RA's upstream poll (60 s, a keystore
#    timer) forwards it again to the rollover CA and fetches the
#    certificate before the router's next poll (before this fix the poll
#    left every request to its client while a rollover was offered);
#  - the router's poll gets it: it starts at the CA's end, under CA2; at
#    the end the RA serves [CA2, RA2] and the router switches: CA1 <-
#    router1 at end - 1 s, CA2 <- router2 at end + 1 s.
. tests/hierarchy/lib.sh
hi_ra_setup 18938
# req_id CTL SERVER STATE SUBJECT: the newest such request
req_id() {
	$B/ctl-call "$1" --json "show requests" "$2" 2>/dev/null | jq -er --arg st "$3" --arg s "$4" \
		'[.[] | select(.state == $st and (.subject | contains($s)))] | last | .id // empty'
}
ra_poll_at() {
	$B/pkictl --json show timers | jq -r '.timers[] | select(.owner == "RA" and ((.state // "") | ascii_downcase) != "expired" and
		.label == "ra-upstream-poll") | .deadline_ns / 1000000000 | floor'
}
ra_timer() {
	$B/pkictl --json show timers | jq -r --arg k "$1" \
		'.timers[] | select(.owner == "RA" and .kind == $k) | .deadline_ns / 1000000000 | floor'
}
# ca_grant SUBJECT: the CA's operator grants the pending request for SUBJECT
ca_grant() {
	wait_for 20 req_id "$T/ca.ctl" TESTCA pending "$1" || hfail "no pending request for $1 at the CA"
	cactl "server grant" TESTCA "$(req_id "$T/ca.ctl" TESTCA pending "$1")" >/dev/null ||
		hfail "grant of $1 at the CA"
}

# No grant line at the CA: everything waits for its operator.
ca_conf "lifetime enrollment-request 48" "lifetime ca-certificate 0 4" "auto-rollover 0 2"
ca_start
get_pem "$URL" 1 >"$T/ca1.pem"
rend=$(cert_time "$T/ca1.pem" enddate)
cafp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
cat >"$T/ra.conf" <<EOF
clock calendar-valid
ip http server $SPORT
control-socket $T/ra.ctl
crypto pki trustpoint RA
 enrollment url $URL
 enrollment retry period 1
 fingerprint $cafp
 auto-enroll 60
crypto pki server RA
 mode ra
 grant auto
 lifetime enrollment-request 48
 database url $T/radb
 no shutdown
EOF
start_pkid ra RA_PID
ca_grant "CN=RA"
lab_to $(($(ra_timer POLL) + 1))
wait_for 30 ra_serving || hfail "the RA does not serve"
get_pem "$SURL" 2 >"$T/ra1.pem"
[ "$(cert_time "$T/ra1.pem" enddate)" = "$rend" ] || hfail "RA1 does not end with CA1"
echo "ok: the RA enrolled at the CA (its operator's grant) and serves"

URL=$SURL cl_conf "auto-enroll 80" "enrollment retry period 10" "certificate export-shadow $T/tp1-shadow.pem"
cl_start
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept >/dev/null ||
	hfail "authenticate"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null 2>&1
ca_grant "CN=router1"
lab_to $(($(timer_at POLL) + 1))
wait_for 30 test -s "$T/tp1.pem" || hfail "router1 not enrolled"
cp "$T/tp1.pem" "$T/router1.pem"
[ "$(cert_time "$T/router1.pem" enddate)" = "$rend" ] || hfail "router1 does not end with the CA"
echo "ok: router1 enrolled through the RA"

# The CA's rollover CA, then trustpoint RA's SHADOW (the CA's operator grants).
lab_to $((rend - 7200 + 1))
wait_for 30 curl -sf -o /dev/null "$URL?operation=GetNextCACert" || hfail "the CA made no rollover CA"
shadow=$(ra_timer SHADOW)
[ -n "$shadow" ] || hfail "no SHADOW timer for trustpoint RA"
lab_to $((shadow + 1))
ca_grant "CN=RA"
lab_to $(($(ra_timer POLL) + 1))
wait_for 30 grep -q "SHADOW: trustpoint RA: shadow identity" "$T/ra.log" ||
	hfail "trustpoint RA holds no shadow certificate"
wait_for 20 curl -sf -o /dev/null "$SURL?operation=GetNextCACert" || hfail "the RA offers no rollover"
[ "$(lab_now)" -lt "$rend" ] || hfail "the RA's certificate under CA2 came after the end"
echo "ok: the RA holds its certificate under the CA's rollover CA before the end, and offers it"

# The router's SHADOW through the RA: pending at the CA's rollover CA.
rshadow=$(timer_at SHADOW)
[ -n "$rshadow" ] || hfail "no SHADOW timer for TP1"
issued=$(grep -c CS_RA_ISSUED "$T/ra.log")
lab_to $((rshadow + 1))
wait_for 30 timer_armed POLL || hfail "the router's SHADOW is not pending"
poll=$(timer_at POLL)
at=$(ra_poll_at)
[ -n "$at" ] || hfail "no upstream poll armed at the RA while the CA is pending"
[ "$at" -lt "$poll" ] || hfail "the RA's poll ($at) comes after the router's ($poll)"
ca_grant "CN=router1"
lab_to $((at + 1))
more_issued() { [ "$(grep -c CS_RA_ISSUED "$T/ra.log")" -gt "$issued" ]; }
wait_for 20 more_issued || hfail "the RA's poll did not fetch the router's rollover certificate"
[ "$(lab_now)" -lt "$poll" ] || hfail "the router polled meanwhile (its POLL was at $poll)"
[ -s "$T/tp1-shadow.pem" ] && hfail "the router has its shadow certificate before its poll?"
echo "ok: the RA's own poll fetched the router's certificate from the CA's rollover CA"

lab_to $((poll + 1))
wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "the router's poll got no shadow certificate"
[ "$(cert_time "$T/tp1-shadow.pem" startdate)" = "$rend" ] ||
	hfail "the router's shadow certificate does not start at the CA's end"
curl -sf "$URL?operation=GetNextCACert" | openssl cms -verify -noverify -inform der -binary 2>/dev/null |
	openssl pkcs7 -inform der -print_certs | awk '/BEGIN/{n++} n==1' | openssl x509 >"$T/ca2.pem" ||
	hfail "the CA's rollover CA"
openssl verify -attime $((rend + 1)) -CAfile "$T/ca2.pem" "$T/tp1-shadow.pem" >/dev/null ||
	hfail "the router's shadow certificate is not under CA2"
echo "ok: the router's poll got it from the RA: from the CA's end, under CA2"

lab_to $((rend + 2))
ra2_new() { get_pem "$SURL" 2 >"$T/ra2.pem" && ! cmp -s "$T/ra1.pem" "$T/ra2.pem"; }
wait_for 30 ra2_new || hfail "the RA does not serve a new certificate after the CA's end"
get_pem "$SURL" 1 | cmp -s - "$T/ca2.pem" || hfail "the RA's GetCACert does not start with CA2"
openssl verify -attime $((rend + 1)) -CAfile "$T/ca2.pem" "$T/ra2.pem" >/dev/null || hfail "RA2 under CA2"
router2_new() { ! cmp -s "$T/router1.pem" "$T/tp1.pem"; }
wait_for 30 router2_new || hfail "the router did not switch to its shadow identity"
cp "$T/tp1.pem" "$T/router2.pem"
openssl verify -attime $((rend - 1)) -CAfile "$T/ca1.pem" "$T/router1.pem" >/dev/null ||
	hfail "router1 at the CA's end - 1 s"
openssl verify -attime $((rend + 1)) -CAfile "$T/ca2.pem" "$T/router2.pem" >/dev/null ||
	hfail "router2 at the CA's end + 1 s"
echo "ok: no gap: CA1 <- router1 at end - 1 s, CA2 <- router2 at end + 1 s"
echo "check-hierarchy-rapollroll: OK"
