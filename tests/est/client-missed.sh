#!/bin/bash
# check-est-client-missed: an EST trustpoint whose SHADOW comes at or
# after the CA's promotion (SCEP's check-client-missed, case 1, over EST;
# docs/TIMERS.md).  CA: 100 days, identities truncated to its end, a
# password; TP1 (auto-enroll 80, the password) enrolls after `server
# rollover`, so it holds the rollover CA certificate (NewWithOld and the
# next label) from its enrollment on.
#  - the client is stopped through its SHADOW and the CA's end; the CA's
#    promotion is held (PKID_TEST_PAUSE_AT=promote-key) when the client
#    comes back: its first requests land in the promotion and wait for it
#    (the CA's keys snapshot; or, held past the client's 5 s connect
#    bound, CONNECT RETRY with the backoff), then cacerts serves the rollover
#    certificate TP1 holds: trusted, and a fresh simpleenroll with the
#    password enrolls under it (never a renewal with the identity that
#    ended with the old CA);
#  - the chain verifies under the new CA at the lab clock's now.  The
#    recovery's CSR is the first enrollment's (same key and subject): the
#    CA's EST transaction ID includes the issuing CA certificate, so it is
#    a new request to the new CA, not a poll answered with the old CA's
#    certificate (before: the trustpoint got its old identity back,
#    "bad certificate in reply", and stopped).
. tests/est/client-lib.sh
estc_setup 19170
estc_ca_conf "grant auto" "password 0 est-secret" "lifetime ca-certificate 100" \
	"lifetime certificate 200"
H=$T/hook
mkdir -p "$H"
PKID_TEST_DIR=$H PKID_TEST_PAUSE_AT=promote-key ca_start
est_ready
URL=$EST
cl_conf "password 0 est-secret" "auto-enroll 80"
cl_start

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
[ "$(cert_time "$T/id1.pem" enddate)" = "$end" ] || fail "the identity is not truncated to the CA's end"
echo "ok: enrolled over EST after the rollover: the rollover CA held from the start"

# Offline through SHADOW and the CA's end; the promotion is held.
cl_stop
n=$(est_issued)
lab_to $((end + 60))
wait_for 20 test -e "$H/promote-key.reached" || fail "the promotion did not reach promote-key"
cl_start
# Its requests reach the CA while the promotion is held: they wait.
sleep 2
openssl x509 -in "$T/tp1.pem" | cmp -s - "$T/id1.pem" ||
	fail "the identity changed while the promotion was held"
touch "$H/promote-key.go"
wait_for 20 grep -q "rollover CA certificate is now the CA certificate" "$T/ca.log" ||
	fail "the CA did not promote"
wait_for 60 bash -c "[ \$(grep -c 'trustpoint TP1: identity certificate .* installed' '$T/cl.log') = 2 ]" ||
	fail "no identity installed after the held promotion"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca2.pem" "$T/tp1.pem" >/dev/null ||
	fail "the identity installed does not verify under the new CA"
grep -q "TP_ROLLOVER_RECOVER" "$T/cl.log" || fail "recovery not logged"
grep -q "TP1: enroll request .* to $EST" "$T/cl.log" || fail "not a fresh simpleenroll"
[ "$(est_issued)" = $((n + 1)) ] || fail "$(($(est_issued) - n)) certificates issued in the recovery, want 1"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" | cmp -s - "$T/ca2.pem" || fail "the export's CA is not the new CA"
echo "ok: SHADOW missed at a held promotion: its requests waited, then enrolled under the rollover CA it held"
echo "check-est-client-missed: OK"
