#!/bin/bash
# check-est-client-crl: revocation for a trustpoint on EST, as SCEP's
# check-client-crl has it for SCEP.  EST has no CRL operation: the CA
# names a CRL distribution point (`cdp-url`) and the trustpoint fetches
# the CRL from its identity's (revocation-check crl, the default).
#  - enroll over EST: the CRL is fetched from the identity's CDP, exported
#    (`crl export`), verifies under the CA; its refresh is the keystore's
#    GENERIC crl-refresh timer of TP1 at nextUpdate;
#  - `server revoke` of the identity: after nextUpdate the exported CRL
#    lists it and on-change ran with PKID_EVENT=crl;
#  - RENEW by its timer with the revoked identity as TLS client
#    certificate: the CA refuses it (403: its certificate is not valid and
#    unrevoked), the trustpoint gives up with the CA's words, the identity
#    stays, nothing issued;
. tests/est/client-lib.sh
estc_setup 19160
estc_ca_conf "grant auto" "password 0 est-secret" "lifetime crl 0 10" \
	"cdp-url http://127.0.0.1:19160/crl/TESTCA.crl"
ca_start
est_ready
URL=$EST
cl_conf "password 0 est-secret" "auto-enroll 80 regenerate" "crl export $T/crl.pem"
cl_start

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
st=$(clctl --json "trustpoint enroll" TP1) || fail "enroll: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "enroll: $st"
[ "$(est_issued)" = 1 ] || fail "not issued over EST"
openssl x509 -in "$T/tp1.pem" -out "$T/id1.pem"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" >"$T/ca.pem"
openssl x509 -in "$T/id1.pem" -noout -ext crlDistributionPoints | grep -q "127.0.0.1:19160/crl/TESTCA.crl" ||
	fail "the identity names no CRL distribution point"
wait_for 15 test -s "$T/crl.pem" || fail "no CRL exported within 15 s"
openssl crl -CAfile "$T/ca.pem" -noout -in "$T/crl.pem" 2>&1 | grep -q "verify OK" ||
	fail "the exported CRL does not verify under the CA"
next=$(date -u -d "$(openssl crl -noout -nextupdate -in "$T/crl.pem" | sed 's/^[^=]*=//')" +%s)
wait_for 10 sh -c "$B/pkictl --json show timers | jq -e --argjson n $next \
	'.timers[] | select(.owner == \"TP1\" and .kind == \"GENERIC\" and
	 .label == \"crl-refresh\" and .deadline_ns == \$n * 1000000000)' >/dev/null" ||
	fail "no GENERIC crl-refresh timer of TP1 at nextUpdate"
grep -q "TP1.*CRL.*from http://127.0.0.1:19160/crl/TESTCA.crl\|TP1.*http://127.0.0.1:19160/crl/TESTCA.crl" "$T/cl.log" ||
	fail "the client log does not say it fetched the CDP"
echo "ok: over EST the CRL comes from the identity's CDP, exported, verified, refreshed at nextUpdate"

serial=$(cert_field "$T/id1.pem" serial)
cactl "server revoke" TESTCA $((16#$serial)) >/dev/null || fail "server revoke"
: >"$T/hook.log"
lab_to $((next + 1))
wait_for 30 sh -c "openssl crl -noout -text -in '$T/crl.pem' | grep -qi 'Serial Number: *$serial'" ||
	fail "the exported CRL does not list the revoked identity $serial after nextUpdate"
openssl crl -CAfile "$T/ca.pem" -noout -in "$T/crl.pem" 2>&1 | grep -q "verify OK" ||
	fail "the refreshed CRL does not verify"
wait_for 5 grep -q "TP1 crl" "$T/hook.log" || fail "on-change did not run for the CRL"
echo "ok: the identity revoked: the refreshed CRL lists $serial, on-change ran"

# RENEW with the revoked identity: refused by the CA.
n=$(est_issued)
renew=$(timer_at RENEW)
[ -n "$renew" ] || fail "no RENEW armed"
lab_to $((renew + 1))
wait_for 30 grep -q "TP1: renew request gave up: the CA refused the request (HTTP 403" "$T/cl.log" ||
	fail "RENEW with a revoked identity did not give up with the CA's refusal"
grep -q "EST_REFUSED: TESTCA: .*not one of ours, valid and not revoked" "$T/ca.log" ||
	fail "the CA did not say why it refused the revoked identity"
openssl x509 -in "$T/tp1.pem" | cmp -s - "$T/id1.pem" || fail "the identity changed"
[ "$(est_issued)" = "$n" ] || fail "the CA issued something to a revoked identity"
[ -z "$(timer_at RENEW)" ] || fail "RENEW still armed after the refusal"
echo "ok: RENEW with the revoked identity: 403 from the CA, the trustpoint stopped, nothing issued"

echo "check-est-client-crl: OK"
