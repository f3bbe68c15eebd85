#!/bin/bash
# check-rollover-crash: kill pkid (_exit(137) through the test hook
# PKID_TEST_CRASH_AT) right after each durable step of shadow generation
# and of promotion, restart, and check that the rollover finishes exactly
# once: one rollover key (CA and RA), one rollover certificate whose
# fingerprint never changes across restarts, archives numbered without a
# gap, and after promotion the rollover CA serving as the CA.
#
#   shadow-key     keys NAME# and NAME-ra# made, archive NAME_00002.p12
#   shadow-cert    rollover CA certificate in the database
#   promote-start  CS CERT EXPIRE seen (step PROMOTING)
#   promote-key    keystore NAME# -> NAME done
#   promote-db     database swapped
#   promote-crl    first CRL of the new CA (second rollover)
. tests/ca/lib.sh
. tests/rollover/lib.sh
ca_setup 18420

ca_conf "grant auto" "lifetime ca-certificate 0 0 10" "auto-rollover 0 0 4"
ca_start
sw_scepca
cp "$T/ca.pem" "$T/ca1.pem"
end=$(cert_time "$T/ca1.pem" end)
ca_kill

one_rollover_key() { # one_rollover_key N: N keys TESTCA# and N TESTCA-ra#
	[ "$(key_count "$CA_NAME#")" = "$1" ] || fail "$CA_NAME# keys: $(key_count "$CA_NAME#"), want $1"
	[ "$(key_count "$CA_NAME-ra#")" = "$1" ] || fail "$CA_NAME-ra# keys, want $1"
}

# 0. A key TESTCA# without its archive (a keygen killed between import
# and archive) is not taken as the rollover key: it is made again.
$B/pkictl key generate "$CA_NAME#" >/dev/null 2>&1 || fail "stray key"
stray=$($B/pkictl --json show keys 2>/dev/null | python3 -c \
	"import json,sys; print([k['public_key'] for k in json.load(sys.stdin)['keys'] if k['name']=='$CA_NAME#'][0])")

# 1. Into the window with a pkid that dies after making the keys.
start_crash shadow-key
for ((i = 0; i < 200; i++)); do curl -sf -o /dev/null "$URL?operation=GetCACert" && break; sleep 0.05; done
$B/lab-advance $((end - 240 + 5 - $(lab_now))) || fail "lab-advance"
wait_crash shadow-key
[ "$(db_state)" = "1 2" ] || fail "after shadow-key: state $(db_state)"
one_rollover_key 1
[ -f "$T/db/${CA_NAME}_00002.p12" ] || fail "no archive 2"
grep -q "has no archive" "$T/pkid.log" || fail "stray key not noticed"
$B/pkictl --json show keys 2>/dev/null | grep -qF "$(echo "$stray" | sed -n 2p)" &&
	fail "the stray key became the rollover key"
echo "ok: killed after shadow-key: step 1, keys and archive 2 durable"

# 2. The restart resumes (due at start) and dies after the certificate.
start_crash shadow-cert
wait_crash shadow-cert
[ "$(db_state)" = "2 2" ] || fail "after shadow-cert: state $(db_state)"
one_rollover_key 1
echo "ok: restart resumed, killed after shadow-cert: step 2"

# 3. A plain restart publishes it; further restarts never make another.
ca_start
next_ca "$T/n1" "$T/ca1.pem"
roll_fp=$(fp "$T/n1/next-ca.pem")
ca_kill
ca_start
next_ca "$T/n1b" "$T/ca1.pem"
[ "$(fp "$T/n1b/next-ca.pem")" = "$roll_fp" ] || fail "a second rollover CA after restart"
cmp -s "$T/n1/next-ra.der" "$T/n1b/next-ra.der" || fail "a second RA successor after restart"
one_rollover_key 1
ls "$T/db"/${CA_NAME}_0000*.p12 | wc -l | grep -qx 2 || fail "archives: $(ls "$T/db")"
echo "ok: restarted: one rollover CA ($(echo "$roll_fp" | cut -c1-16)…), one key, archives 1-2"

# 4. Promotion, killed after each step; each restart resumes.
ca_kill
start_crash promote-start
for ((i = 0; i < 200; i++)); do curl -sf -o /dev/null "$URL?operation=GetCACert" && break; sleep 0.05; done
$B/lab-advance $((end + 3 - $(lab_now))) || fail "lab-advance"
wait_crash promote-start
[ "$(db_state)" = "3 2" ] || fail "after promote-start: state $(db_state)"
start_crash promote-key
wait_crash promote-key
[ "$(db_state)" = "3 2" ] || fail "after promote-key: state $(db_state)"
one_rollover_key 0
start_crash promote-db
wait_crash promote-db
[ "$(db_state)" = "0 2" ] || fail "after promote-db: state $(db_state)"
echo "ok: killed after promote-start, promote-key, promote-db; each restart resumed"

ca_start
rm -f "$T/ca.der" "$T/ra.der"
sw_scepca
[ "$(fp "$T/ca.pem")" = "$roll_fp" ] || fail "GetCACert is not the rollover CA"
cmp -s "$T/ra.der" "$T/n1/next-ra.der" || fail "RA is not the successor"
[ "$(key_count "$CA_NAME")" = 1 ] && [ "$(key_count "$CA_NAME-ra")" = 1 ] ||
	fail "CA/RA keys after promotion"
one_rollover_key 0
curl -sf -o "$T/crl.der" "$URL?operation=GetCRL" || fail "GetCRL"
openssl crl -inform der -in "$T/crl.der" -CAfile "$T/ca.pem" -noout 2>&1 |
	grep -q "verify OK" || fail "CRL not by the new CA after restart"
lab_enroll erin "$T/ra.der" "$T/ra.der" "$T/ca.der"
at_ok "$(($(lab_now) + 1))" "$T/ca.pem" "$T/erin.pem"
echo "ok: promoted once: GetCACert, RA, CRL and enrollment under the new CA"

# 5. Second rollover at run time; killed after the new CA's first CRL.
cp "$T/ca.pem" "$T/ca2.pem"
end2=$(cert_time "$T/ca2.pem" end)
ca_kill
start_crash promote-crl
for ((i = 0; i < 200; i++)); do curl -sf -o /dev/null "$URL?operation=GetCACert" && break; sleep 0.05; done
$B/lab-advance $((end2 - 240 + 5 - $(lab_now))) || fail "lab-advance"
wait_field "show server" rollover_status "available for rollover"
next_ca "$T/n2" "$T/ca2.pem"
$B/lab-advance $((end2 + 3 - $(lab_now))) || fail "lab-advance"
wait_crash promote-crl
[ "$(db_state)" = "0 3" ] || fail "after promote-crl: state $(db_state)"
ca_start
rm -f "$T/ca.der" "$T/ra.der"
sw_scepca
[ "$(fp "$T/ca.pem")" = "$(fp "$T/n2/next-ca.pem")" ] || fail "second promotion"
ls "$T/db"/${CA_NAME}_0000*.p12 | wc -l | grep -qx 3 || fail "archives: $(ls "$T/db")"
one_rollover_key 0
echo "ok: second rollover killed after promote-crl: third CA serving, archives 1-3"
echo "check-rollover-crash: OK"
