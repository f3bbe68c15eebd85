#!/bin/bash
# check-client-keyfull: the keystore cannot make a renewal's key (full).
#  - RENEW with `regenerate` needs a new key pair (TP1KEY#); the keystore
#    holds no more keys (pkiksd's test hook PKIKSD_TEST_KEYS_MAX, the
#    keystore filled up to it);
#  - the client keeps its identity, says which key it could not make and
#    arms CONNECT RETRY (before: "RENEW: Disk quota exceeded" and no timer:
#    it never renewed again and its identity expired — found by make sim,
#    a client of 250 trustpoints whose SHADOW keys filled its keystore);
#  - once a slot is free, the retry renews with a new key.
KEYS_MAX=8
export PKIKSD_TEST_KEYS_MAX=$KEYS_MAX
. tests/client/lib.sh
cl_setup 18207
grep -q "PKIKSD_TEST_KEYS_MAX=8: at most 8 keys" "$T/ks/pkiksd.log" ||
	fail "the keystore did not take the test hook"
ca_conf "grant auto"
ca_start
cl_conf "auto-enroll 70 regenerate"
cl_start
enroll_first

# Fill the keystore up to its limit with keys nobody uses.
n=$($B/pkictl --json show keys | jq '.keys | length')
for ((i = n; i < KEYS_MAX; i++)); do
	$B/pkictl key generate "FILL$i" ec 256 >/dev/null || fail "key generate FILL$i"
done
$B/pkictl key generate FILLX ec 256 >/dev/null 2>&1 &&
	fail "the keystore took a key past its limit"
echo "ok: enrolled; keystore full ($KEYS_MAX keys); RENEW at lab $renew"

lab_to $((renew + 1))
wait_for 30 grep -q "cannot make key TP1KEY# in the keystore" "$T/cl.log" ||
	fail "the client did not say which key it could not make"
retry_armed "the key it could not make"
echo "ok: RENEW could not make its key: CONNECT RETRY at lab $R1, identity kept"

$B/pkictl key delete "FILL$n" >/dev/null || fail "key delete FILL$n"
lab_to $((R1 + 1))
renewed_on_retry "a keystore slot was freed"
[ "$(pubkey_of_cert "$T/tp1.pem")" != "$(pubkey_of_cert "$T/first.pem")" ] ||
	fail "regenerate: the renewed identity has the old key"
echo "ok: the retry renewed with a new key once the keystore had room"
echo "check-client-keyfull: OK"
