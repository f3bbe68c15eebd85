#!/bin/bash
# check-ocsp-rollover: the responder through a CA rollover on the lab
# clock (a 10-minute CA, 4-minute window).  During the rollover the CA's
# responder answers for its certificates and the rollover CA's own
# responder (its certificate issued by the rollover CA) for the ones
# issued under it; a revocation under the rollover CA is answered at once;
# after promotion the promoted CA's responder (the same key: nothing is
# renamed) answers, the old CA's certificates are unauthorized, and the
# old responder key is gone from the keystore.
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/ocsp/lib.sh
ocsp_setup 18965

ca_conf "grant auto" "lifetime ca-certificate 0 0 10" "auto-rollover 0 0 4" \
	"ocsp-url http://127.0.0.1:$PORT/ocsp/$CA_NAME"
ca_start
sw_scepca
sw_enroll alice || { cat "$T/alice.log"; fail "alice: enrollment"; }
cp "$T/ca.pem" "$T/ca1.pem"
ca_key_want "$T/ca1.pem" # CA_EC: the ECDSA CA (check-ocsp-rollover-ecdsa)
ca1_serial=$(( 16#$(openssl x509 -in "$T/ca1.pem" -noout -serial | sed 's/serial=//') ))

resp_id() { sed -n 's/^ *Responder Id: //p' "$1.txt" | head -n 1; }
expect() { # expect OUT CERT STATUS: verified, and CERT's status
	grep -q "Response verify OK" "$1.txt" || { cat "$1.txt"; fail "$1: does not verify"; }
	[ "$(ocsp_status "$1" "$2")" = "$3" ] || { cat "$1.txt"; fail "$1: $2 is not $3"; }
}

ocsp_q "$T/a0" "$T/ca1.pem" "$T/ca1.pem" -cert "$T/alice.pem" -no_nonce -resp_text
expect "$T/a0" "$T/alice.pem" good
id1=$(resp_id "$T/a0")
echo "ok: before the rollover: alice good"

# Into the rollover window: the rollover CA and its responder appear.
end=$(cert_time "$T/ca1.pem" end)
$B/lab-advance $((end - 240 + 10 - $(lab_now))) || fail "lab-advance"
wait_field "show server" rollover_status "available for rollover"
next_ca "$T/next" "$T/ca1.pem"
cp "$T/next/next-ca.pem" "$T/ca2.pem"
ca_key_want "$T/ca2.pem"
start=$(cert_time "$T/ca2.pem" start)
ca2_serial=$(( 16#$(openssl x509 -in "$T/ca2.pem" -noout -serial | sed 's/serial=//') ))
lab_enroll shadow "$T/next/next-ra.der" "$T/ra.der" "$T/ca.der"
[ "$(key_count "$CA_NAME-ocsp-$ca2_serial")" = 1 ] || fail "no responder key for the rollover CA"

ocsp_q "$T/a1" "$T/ca1.pem" "$T/ca1.pem" -cert "$T/alice.pem" -no_nonce -resp_text
expect "$T/a1" "$T/alice.pem" good
[ "$(resp_id "$T/a1")" = "$id1" ] || fail "alice: another responder during the rollover"
# The rollover CA's certificates: its responder, valid from its start.
OCSP_AT=$((start + 1)) ocsp_q "$T/s1" "$T/ca2.pem" "$T/ca2.pem" -cert "$T/shadow.pem" -resp_text
expect "$T/s1" "$T/shadow.pem" good
id2=$(resp_id "$T/s1")
[ -n "$id2" ] && [ "$id2" != "$id1" ] || fail "shadow answered by the current CA's responder"
grep -q "Issuer: CN *= *pkid test CA" "$T/s1.txt" || fail "rollover responder: issuer"
# Named with the current CA as issuer it is not the current CA's.
ocsp_q "$T/s2" "$T/ca1.pem" "$T/ca1.pem" -serial "0x$(openssl x509 -in "$T/shadow.pem" -noout -serial | sed 's/serial=//')" -no_nonce
expect "$T/s2" "0x$(openssl x509 -in "$T/shadow.pem" -noout -serial | sed 's/serial=//')" unknown
echo "ok: during the rollover: alice good (current responder), shadow good (rollover CA's responder), shadow under the current CA unknown"

# A revocation under the rollover CA: answered at once, from the cache.
shadow_serial=$(openssl x509 -in "$T/shadow.pem" -noout -serial | sed 's/serial=//')
OCSP_AT=$((start + 1)) ocsp_q "$T/s3" "$T/ca2.pem" "$T/ca2.pem" -cert "$T/shadow.pem" -no_nonce
expect "$T/s3" "$T/shadow.pem" good
ctl "server revoke" $CA_NAME $((16#$shadow_serial)) >/dev/null || fail "revoke shadow"
OCSP_AT=$((start + 1)) ocsp_q "$T/s4" "$T/ca2.pem" "$T/ca2.pem" -cert "$T/shadow.pem" -no_nonce
expect "$T/s4" "$T/shadow.pem" revoked
ctl "server unrevoke" $CA_NAME $((16#$shadow_serial)) >/dev/null || fail "unrevoke shadow"
OCSP_AT=$((start + 1)) ocsp_q "$T/s5" "$T/ca2.pem" "$T/ca2.pem" -cert "$T/shadow.pem" -no_nonce
expect "$T/s5" "$T/shadow.pem" good
echo "ok: during the rollover: shadow revoked, then good again"

# Promotion (CS CERT EXPIRE).
$B/lab-advance $((end + 5 - $(lab_now))) || fail "lab-advance"
wait_field "show server" fingerprint "$(fp "$T/ca2.pem")"
ocsp_q "$T/s6" "$T/ca2.pem" "$T/ca2.pem" -cert "$T/shadow.pem" -resp_text
expect "$T/s6" "$T/shadow.pem" good
[ "$(resp_id "$T/s6")" = "$id2" ] || fail "after promotion: not the rollover CA's responder"
ocsp_q "$T/a2" "$T/ca1.pem" "$T/ca1.pem" -cert "$T/alice.pem" -no_nonce
grep -q "Responder Error: unauthorized" "$T/a2.txt" || { cat "$T/a2.txt"; fail "old CA: not unauthorized"; }
[ "$(key_count "$CA_NAME-ocsp-$ca1_serial")" = 0 ] || fail "the old CA's responder key is left"
[ "$(key_count "$CA_NAME-ocsp-$ca2_serial")" = 1 ] || fail "the promoted CA's responder key is gone"
echo "ok: after promotion: shadow good (same responder), old CA unauthorized, old responder key deleted"

# Enrollment under the promoted CA, then revoked.
rm -f "$T/ca.der" "$T/ra.der"
sw_scepca
lab_enroll carol "$T/ra.der" "$T/ra.der" "$T/ca.der"
ocsp_q "$T/c1" "$T/ca2.pem" "$T/ca2.pem" -cert "$T/carol.pem"
expect "$T/c1" "$T/carol.pem" good
ctl "server revoke" $CA_NAME $((16#$(openssl x509 -in "$T/carol.pem" -noout -serial | sed 's/serial=//'))) >/dev/null ||
	fail "revoke carol"
ocsp_q "$T/c2" "$T/ca2.pem" "$T/ca2.pem" -cert "$T/carol.pem" -no_nonce
expect "$T/c2" "$T/carol.pem" revoked
echo "ok: carol under the promoted CA: good, then revoked"
ca_kill
echo "PASS: check-ocsp-rollover"
