#!/bin/bash
# check-continuity-zerotouch (issue 13 #3): with `enrollment url` and
# `auto-enroll` a trustpoint enrolls by itself, as on IOS:
#  - TP1 with a configured `fingerprint`, CA down when pkid starts:
#    authentication fails, CONNECT RETRY is armed; once the CA is up the
#    retry authenticates and enrolls; nobody typed a command;
#  - TP2 without a fingerprint: nothing until the operator authenticates
#    (--accept), then it enrolls by itself one retry period later;
#  - TP3 with a wrong fingerprint: refused, logged, nothing armed;
#  - TP4 without auto-enroll: nothing by itself (manual use).
. tests/client/lib.sh
cl_setup 19330
ca_conf "grant auto"
ca_start
fp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
[ ${#fp} = 64 ] || fail "CA fingerprint '$fp'"
ca_stop

cl_conf "auto-enroll 70" "fingerprint $fp"
cat >>"$T/cl.conf" <<EOF
crypto pki trustpoint TP2
 enrollment url $URL
 subject-name CN=router1-tp2
 auto-enroll 70
 certificate export $T/tp2.pem
crypto pki trustpoint TP3
 enrollment url $URL
 subject-name CN=router1-tp3
 auto-enroll 70
 fingerprint ${fp:0:60}0000
crypto pki trustpoint TP4
 enrollment url $URL
 subject-name CN=router1-tp4
 fingerprint $fp
EOF
cl_start
state() { clctl --json "show trustpoints" | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'; }
tp_timer() {
	$B/pkictl --json show timers | jq -r --arg o "$1" --arg k "$2" \
		'.timers[] | select(.owner == $o and .kind == $k and .state != "expired") |
		 .deadline_ns / 1000000000 | floor'
}
wait_for 10 grep -q "TP1: zero-touch: authenticate" "$T/cl.log" ||
	fail "TP1 did not try to authenticate by itself"
r=$(tp_timer TP1 "CONNECT RETRY")
[ -n "$r" ] || fail "TP1: CA down at start, no CONNECT RETRY"
[ "$(state TP1)" = new ] || fail "TP1 state $(state TP1) with the CA down"
echo "ok: CA down at start: TP1 arms CONNECT RETRY"

ca_start
lab_to $((r + 1))
wait_for 30 test -s "$T/tp1.pem" || fail "TP1 did not enroll by itself"
[ "$(state TP1)" = enrolled ] || fail "TP1 state $(state TP1)"
# GetCACert in RA mode: a degenerate PKCS#7 holding the CA and the RA.
curl -sf "$URL?operation=GetCACert" -o "$T/ca.p7" || fail "GetCACert"
openssl pkcs7 -inform der -in "$T/ca.p7" -print_certs -out "$T/ca.pem" || fail "ca.p7"
openssl verify -CAfile "$T/ca.pem" -attime "$(lab_now)" "$T/tp1.pem" >/dev/null ||
	fail "TP1's certificate does not verify"
grep -q "TP1: zero-touch: enrolling" "$T/cl.log" || fail "TP1: zero-touch not logged"
echo "ok: TP1 (fingerprint, auto-enroll) authenticated and enrolled by itself"

[ "$(state TP2)" = new ] || fail "TP2 without a fingerprint authenticated by itself"
grep -q "TP3: zero-touch: authenticate: CA fingerprint .* does not match" "$T/cl.log" ||
	fail "TP3: wrong fingerprint not logged"
[ -z "$(tp_timer TP3 "CONNECT RETRY")" ] || fail "TP3: a wrong fingerprint is retried"
[ "$(state TP3)" = new ] || fail "TP3 state $(state TP3)"
echo "ok: TP3 (wrong fingerprint): refused, logged, not retried"

clctl "trustpoint authenticate" TP2 --accept >/dev/null || fail "TP2 authenticate"
a=$(tp_timer TP2 "CONNECT RETRY")
[ -n "$a" ] || fail "TP2: authenticated, nothing armed to enroll"
lab_to $((a + 1))
wait_for 30 test -s "$T/tp2.pem" || fail "TP2 did not enroll after authenticate"
[ "$(state TP2)" = enrolled ] || fail "TP2 state $(state TP2)"
echo "ok: TP2: enrolled by itself after the operator authenticated"

[ "$(state TP4)" = new ] || fail "TP4 without auto-enroll acted by itself: $(state TP4)"
cl_stop
cl_start
[ "$(state TP1)" = enrolled ] && [ "$(state TP2)" = enrolled ] || fail "restart lost an identity"
[ "$(state TP4)" = new ] || fail "TP4 state $(state TP4) after restart"
echo "ok: without auto-enroll nothing happens by itself"
echo "check-continuity-zerotouch: OK"
