#!/bin/bash
# check-est-client-next404: a SHADOW request that meets the CA's promotion
# gets 404 "no rollover CA now" from the next generation's label, and the
# trustpoint recovers at once, as the next-CA poll does after a 404 (it
# asks cacerts which CA is there now), instead of waiting a CONNECT RETRY.
# CA: 100 days, identities truncated to its end, a password, `server
# rollover` before TP1 enrolls (so TP1 holds the rollover CA certificate).
#  - TP1's SHADOW fires (80 %) and is held just before its POST to the
#    next label (client test hook est-next-enroll): the request was made
#    before the CA's end; the lab clock passes the end and the CA
#    promotes its rollover CA (its TLS certificate is issued again by the
#    new CA, from the old one's end);
#  - released, the handshake is judged at the keystore's time then (not
#    at the time the request was made, when that certificate was not yet
#    valid: before, "not yet valid", CONNECT RETRY), and the POST gets
#    404 (as a request that meets the promotion does, check-est-promotion);
#    the trustpoint sees its CA has ended
#    and the CA now serves the rollover certificate it held: trusted, a
#    fresh simpleenroll with the password, identity under the new CA;
#  - the bound: the new identity is in before the CONNECT RETRY the old
#    code armed (the retry period, 60 s of lab time after the 404, which
#    the lab clock runs at real speed) -- measured from the lab instant of
#    the release to the lab instant the identity was seen; no CONNECT
#    RETRY was logged.
. tests/est/client-lib.sh
estc_setup 19186
estc_ca_conf "grant auto" "password 0 est-secret" "lifetime ca-certificate 100" \
	"lifetime certificate 200"
H=$T/hook
mkdir -p "$H"
ca_start
est_ready
URL=$EST
cl_conf "password 0 est-secret" "auto-enroll 80" "enrollment retry period 1"
PKID_TEST_DIR=$H PKID_TEST_PAUSE_AT=est-next-enroll cl_start
RETRY=60 # enrollment retry period 1 (min): the first CONNECT RETRY's delay

cactl "server rollover" TESTCA >/dev/null || fail "server rollover"
curl -sfk -o "$T/next.b64" "$EST/next/cacerts" || fail "next/cacerts"
base64 -d "$T/next.b64" | openssl pkcs7 -inform der -print_certs |
	openssl x509 -out "$T/ca2.pem" || fail "next/cacerts is not a certs-only PKCS#7"
clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
st=$(clctl --json "trustpoint enroll" TP1) || fail "enroll: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "enroll: $st"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" >"$T/ca1.pem"
openssl x509 -in "$T/tp1.pem" -out "$T/id1.pem"
grep -q "TP1: rollover CA certificate .* fetched (GetNextCACert) and kept" "$T/cl.log" ||
	fail "the rollover CA was not fetched at enrollment"
end=$(cert_time "$T/ca1.pem" enddate)
echo "ok: enrolled after the rollover: the rollover CA held"

shadow=$(timer_at SHADOW)
[ -n "$shadow" ] && [ "$shadow" -lt "$end" ] || fail "SHADOW at '${shadow}', the CA ends at $end"
n=$(est_issued)
lab_to $((shadow + 1))
wait_for 20 test -e "$H/est-next-enroll.reached" ||
	fail "the SHADOW request did not reach the next label's POST"
lab_to $((end + 1))
wait_for 20 grep -q "rollover CA certificate is now the CA certificate" "$T/ca.log" ||
	fail "the CA did not promote"
t_rel=$(lab_now)
touch "$H/est-next-enroll.go"
wait_for 20 grep -q "TP1: SHADOW: the rollover CA has left the next generation\|CONNECT_RETRY" "$T/cl.log" ||
	fail "the SHADOW request got no answer"
grep -q "CONNECT_RETRY" "$T/cl.log" && fail "CONNECT RETRY: $(grep CONNECT_RETRY "$T/cl.log")"
echo "ok: SHADOW's request, made before the CA's end, sent after its promotion: 404 from the next label"
# A hang guard, not the bound: the old code recovered only at its
# CONNECT RETRY, $RETRY s of lab time later.
wait_for $((RETRY + 30)) bash -c "[ \$(grep -c 'trustpoint TP1: identity certificate .* installed' '$T/cl.log') = 2 ]" ||
	fail "no identity installed after the 404"
t_seen=$(lab_now)
[ $((t_seen - t_rel)) -lt $RETRY ] ||
	fail "recovered $((t_seen - t_rel)) s after the 404, not before the CONNECT RETRY ($RETRY s)"
grep -q "TP1: SHADOW: the rollover CA has left the next generation (reply to .*: HTTP 404 from the next generation's label" "$T/cl.log" ||
	fail "the 404 at the next label was not acted on"
grep -q "CONNECT_RETRY" "$T/cl.log" && fail "a CONNECT RETRY was armed: $(grep CONNECT_RETRY "$T/cl.log")"
grep -q "TP_ROLLOVER_RECOVER" "$T/cl.log" || fail "recovery not logged"
grep -q "TP1: enroll request .* to $EST" "$T/cl.log" || fail "not a fresh simpleenroll"
[ "$(est_issued)" = $((n + 1)) ] || fail "$(($(est_issued) - n)) certificates issued, want 1"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca2.pem" "$T/tp1.pem" >/dev/null ||
	fail "the identity does not verify under the new CA"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" | cmp -s - "$T/ca2.pem" || fail "the export's CA is not the new CA"
echo "ok: 404 at the next label: recovered $((t_seen - t_rel)) s (lab) after it, under the CA it held, no CONNECT RETRY"
echo "check-est-client-next404: OK"
