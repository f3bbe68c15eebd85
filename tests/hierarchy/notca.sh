#!/bin/bash
# check-hierarchy-notca: a sub-cs that cannot get a usable CA certificate
# does not serve, and says why.
#  - the parent issued trustpoint SUB a certificate for the CA key that is
#    no CA certificate (basicConstraints CA:FALSE, as a parent ignoring the
#    request's cA TRUE would): CS_SUB_NOT_CA, show server says so, no
#    GetCACert;
#  - the parent's operator rejects the sub's request: the sub's POLL gets
#    FAILURE, the sub says it was refused (CS_SUB_WAITING, err) and sends
#    no new request by itself.
. tests/hierarchy/lib.sh
hi_setup 18912
ca_conf "! manual granting at the root"
ca_start
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)

# 1. A non-CA certificate for key SUB.  The first start makes the key
# (the parent is not authenticated: no fingerprint, so it waits).
sub_conf
sub_start
wait_for 20 grep -q "CS_SUB_WAITING.*the parent CA is not authenticated" "$T/sub.log" ||
	hfail "the sub does not say its parent is not authenticated"
pubkey_of_key SUB >"$T/sub-pub.pem"
[ -s "$T/sub-pub.pem" ] || hfail "no key SUB"
sub_stop
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/fake.key" \
	-subj "/CN=fake parent" -days 2 -out "$T/fake.pem" 2>/dev/null
openssl req -new -key "$T/fake.key" -subj "/CN=pkid sub CA/O=pkid" -out "$T/x.csr"
cat >"$T/ee.ext" <<EOF2
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
EOF2
openssl x509 -req -in "$T/x.csr" -CA "$T/fake.pem" -CAkey "$T/fake.key" \
	-CAcreateserial -days 1 -force_pubkey "$T/sub-pub.pem" \
	-extfile "$T/ee.ext" -out "$T/ee.pem" 2>/dev/null || hfail "ee.pem"
[ "$(pubkey_of_cert "$T/ee.pem")" = "$(cat "$T/sub-pub.pem")" ] ||
	hfail "ee.pem is not for key SUB"
$B/tp-seed "$T/sub-state/pkid.db" SUB "$T/fake.pem" "$T/ee.pem" SUB ||
	hfail "tp-seed"
sub_start
wait_for 20 grep -q "CS_SUB_NOT_CA.*SUB: not started: the parent issued a certificate that is not a CA certificate" \
	"$T/sub.log" || hfail "no CS_SUB_NOT_CA"
subctl "show server" SUB | grep -q "not a CA certificate" ||
	hfail "show server SUB: $(subctl "show server" SUB)"
sub_serving && hfail "the sub serves with a non-CA certificate"
echo "ok: a non-CA certificate from the parent: not started, said why"

# 2. The root's operator rejects the sub's request.
sub_stop
rm -rf "$T/sub-state" "$T/subdb"
sub_conf "fingerprint $rootfp"
sub_start
wait_for 20 root_pending_id "CN=pkid sub CA" ||
	hfail "no pending request of the sub at the root"
id=$(root_pending_id "CN=pkid sub CA")
cactl "server reject" TESTCA "$id" >/dev/null || hfail "reject $id"
poll=$(sub_timer POLL)
[ -n "$poll" ] || hfail "no POLL timer for trustpoint SUB"
left=$((poll - $(lab_now)))
[ "$left" -le 61 ] || hfail "POLL $left s away, armed for 60 s"
lab_to $((poll + 1))
wait_for 20 grep -q "CS_SUB_WAITING.*SUB: not started: .*: the parent CA refused the request" \
	"$T/sub.log" || hfail "the sub does not say the parent refused"
sub_serving && hfail "the sub serves after a rejection"
n=$(cactl --json "show requests" TESTCA | jq '[.[] | select(.subject | contains("CN=pkid sub CA"))] | length')
[ "$n" = 1 ] || hfail "$n requests of the sub at the root, want 1 (no new request by itself)"
echo "ok: rejected at the root: the sub says so, sends nothing new"
echo "check-hierarchy-notca: OK"
