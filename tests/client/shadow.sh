#!/bin/bash
# check-client-shadow: an identity that ends with its CA (the CA truncated
# it to its own notAfter) gets SHADOW, not RENEW (ROLLOVER.md §4.1):
#  - TP1 (auto-enroll 80): SHADOW at notBefore + 80 % of the identity;
#  - TP2 (no auto-enroll, the CA announces GetNextCACert): SHADOW at 90 %
#    of the CA certificate's validity;
#  - a configured `fingerprint` authenticates without --accept; a wrong
#    one is refused, --accept or not;
#  - when SHADOW fires before the CA has made its rollover certificate
#    (GetNextCACert: 404), the client keeps its identity and asks again
#    after 1, then 2 minutes (lab time), never hammering the CA.
. tests/client/lib.sh
cl_setup 18204
ca_conf "grant auto" "lifetime ca-certificate 100" "lifetime certificate 200"
ca_start
fp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
cl_conf "auto-enroll 80"
cat >>"$T/cl.conf" <<EOF
crypto pki trustpoint TP2
 enrollment url $URL
 subject-name CN=router1-tp2,O=pkid test
 rsakeypair TP2KEY
 fingerprint $fp
crypto pki trustpoint TP3
 enrollment url $URL
 fingerprint ${fp:0:60}0000
EOF
cl_start

# A configured fingerprint: checked, no --accept needed, and --accept
# does not override a mismatch.
clctl "trustpoint authenticate" TP2 >/dev/null || fail "TP2: right fingerprint refused"
clctl "trustpoint authenticate" TP3 --accept >/dev/null && fail "TP3: wrong fingerprint accepted"
[ "$(clctl --json "show trustpoints" | jq -r '.[] | select(.name == "TP3") | .state')" = new ] ||
	fail "TP3 installed a CA certificate"
echo "ok: fingerprint: the right one authenticates, a wrong one is refused"

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate TP1"
for tp in TP1 TP2; do
	clctl "trustpoint enroll" $tp >/dev/null || fail "enroll $tp"
done
curl -sf "$URL?operation=GetCACert" -o "$T/ca.p7" || fail "GetCACert"
openssl pkcs7 -inform der -in "$T/ca.p7" -print_certs -out "$T/chain.pem" || fail "pkcs7"
openssl x509 -in "$T/chain.pem" -out "$T/ca.pem" || fail "ca.pem"
[ "$(cert_field "$T/ca.pem" subject)" = "$(cert_field "$T/ca.pem" issuer)" ] ||
	fail "the first certificate of GetCACert is not the CA's"
ca_end=$(cert_time "$T/ca.pem" enddate)
ca_start_t=$(cert_time "$T/ca.pem" startdate)
nb=$(cert_time "$T/tp1.pem" startdate)
na=$(cert_time "$T/tp1.pem" enddate)
[ "$na" = "$ca_end" ] || fail "identity ends $na, CA $ca_end: not truncated"
[ -z "$(timer_at RENEW)" ] || fail "RENEW armed for an identity that ends with its CA"
shadow=$(timer_at SHADOW)
[ "$shadow" = $((nb + (na - nb) * 80 / 100)) ] ||
	fail "SHADOW at $shadow, expected $((nb + (na - nb) * 80 / 100))"
tp2=$($B/pkictl --json show timers | jq '.timers[] |
	select(.owner == "TP2" and .kind == "SHADOW") | .deadline_ns / 1000000000 | floor')
[ "$tp2" = $((ca_start_t + (ca_end - ca_start_t) * 90 / 100)) ] ||
	fail "TP2 SHADOW at $tp2, expected 90 % of the CA's validity"
echo "ok: SHADOW (not RENEW) at 80 % for TP1, at 90 % of the CA for TP2"

cp "$T/tp1.pem" "$T/first.pem"
lab_to $((shadow + 1))
wait_for 20 timer_armed "CONNECT RETRY" ||
	fail "no retry after SHADOW without a rollover CA"
r1=$(timer_at "CONNECT RETRY")
check_delay "first retry" "$r1" "$shadow" 60
grep -q "TP1: no rollover CA certificate yet" "$T/cl.log" || fail "not logged"
lab_to $((r1 + 1))
wait_for 20 bash -c "[ \"\$($B/pkictl --json show timers | jq '[.timers[] |
	select(.owner == \"TP1\" and .kind == \"CONNECT RETRY\") |
	.deadline_ns / 1000000000 | floor][0]')\" -gt $r1 ]" ||
	fail "no second retry"
r2=$(timer_at "CONNECT RETRY")
check_delay "second retry" "$r2" "$r1" 120
[ "$(grep -c 'TP1: no rollover CA certificate yet' "$T/cl.log")" = 2 ] ||
	fail "GetNextCACert asked $(grep -c 'TP1: no rollover' "$T/cl.log") times, expected 2"
cmp -s "$T/tp1.pem" "$T/first.pem" || fail "identity changed"
clctl --json "show trustpoint certificates" TP1 |
	jq -e '.[0].certificates | map(.role) | index("Shadow identity") == null' >/dev/null ||
	fail "shadow items without a rollover CA"
echo "ok: no rollover CA yet: GetNextCACert retried after 1, 2 min, identity kept"
