#!/bin/bash
# check-est-client-poll-ec: an ECDSA trustpoint (eckeypair, P-256 unless
# TP_EC says otherwise) polls a pending EST request against a CA in manual
# mode (no grant line), for its first enrollment and for its renewal.
# A poll is the same request sent again; the trustpoint's CSR is made
# again from the same key and subject, and an ECDSA signature differs each
# time, so the DER differs.  The CA's transaction is of the request's
# content (certificationRequestInfo), not of its signature:
#  - enroll: 202, POLL; two polls later the CA still holds ONE pending
#    request of the trustpoint (before: one more per poll, and the grant
#    of the first never reached the poll of the third);
#  - the operator grants it: the next poll installs the certificate,
#    which is for the P-256 key and verifies under the CA (openssl);
#  - a manual renewal (simplereenroll, the EC identity as the TLS client
#    certificate through the keystore provider): 202, one pending request
#    after a poll, granted, installed for the same key.
. tests/est/client-lib.sh
TP_EC=${TP_EC:-256}
estc_setup 19180
estc_ca_conf "! manual granting"
ca_start
est_ready
URL=$EST
cl_conf "auto-enroll 80" "enrollment retry period 1" "enrollment retry max-period 4"
cl_start

# The CA's pending requests of CN=router1, one id a line.
pending_ids() {
	cactl --json "show requests" TESTCA |
		jq -r '.[] | select(.state == "pending" and (.subject | contains("CN=router1"))) | .id'
}

# One poll: past POLL's deadline, until it is armed again (or gone).
poll_once() {
	local before=$1 n=$2
	lab_to $((before + 1))
	wait_for 20 grep -q "polling .* (poll $n)" "$T/cl.log" || fail "poll $n not sent"
	wait_for 20 bash -c "[ \"\$($B/pkictl --json show timers | jq '[.timers[] |
		select(.owner == \"TP1\" and .kind == \"POLL\") |
		.deadline_ns / 1000000000 | floor][0] // 0')\" -gt $before ]" ||
		fail "poll $n: no new POLL timer"
}

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
st=$(clctl --json "trustpoint enroll" TP1) || fail "enroll: $st"
[ "$(jq -r .state <<<"$st")" = pending ] || fail "enroll: $st"
[ "$(pending_ids | wc -l)" = 1 ] || fail "enroll: pending at the CA: $(pending_ids | xargs)"
poll_once "$(timer_at POLL)" 1
poll_once "$(timer_at POLL)" 2
ids=$(pending_ids)
[ "$(wc -l <<<"$ids")" = 1 ] ||
	fail "after 2 polls the CA holds $(wc -l <<<"$ids") pending requests of TP1 ($(xargs <<<"$ids")), want 1"
[ "$(est_issued)" = 0 ] || fail "issued while pending"
echo "ok: EC trustpoint pending over EST: 2 polls, one request at the CA"

cactl "server grant" TESTCA "$ids" >/dev/null || fail "grant $ids"
lab_to $(($(timer_at POLL) + 1))
wait_for 20 test -s "$T/tp1.pem" || fail "granted, but no certificate installed"
[ "$(est_issued)" = 1 ] || fail "issued $(est_issued), want 1"
openssl x509 -in "$T/tp1.pem" -out "$T/id0.pem" || fail "id0"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" >"$T/ca1.pem"
tp_key_check "$T/id0.pem" "the identity"
[ "$(pubkey_of_cert "$T/id0.pem")" = "$(pubkey_of_key TP1KEY)" ] || fail "the identity is not for TP1KEY"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/id0.pem" >/dev/null ||
	fail "the identity does not verify under the CA"
echo "ok: granted: the poll installed the P-$TP_EC identity, openssl verifies it"

st=$(clctl --json "trustpoint enroll" TP1) || fail "renew: $st"
[ "$(jq -r .state <<<"$st")" = pending ] || fail "renew: $st"
grep -q "TP1: renew request .* to $EST" "$T/cl.log" || fail "no renew request to the EST URL"
poll_once "$(timer_at POLL)" 1
ids=$(pending_ids)
[ "$(wc -l <<<"$ids")" = 1 ] ||
	fail "renewal: the CA holds $(wc -l <<<"$ids") pending requests of TP1 ($(xargs <<<"$ids")), want 1"
cactl "server grant" TESTCA "$ids" >/dev/null || fail "grant $ids"
lab_to $(($(timer_at POLL) + 1))
wait_for 20 bash -c "! openssl x509 -in '$T/tp1.pem' | cmp -s - '$T/id0.pem'" ||
	fail "renewal granted, but not installed"
openssl x509 -in "$T/tp1.pem" -out "$T/id1.pem"
[ "$(est_issued)" = 2 ] || fail "issued $(est_issued), want 2"
tp_key_check "$T/id1.pem" "the renewal"
[ "$(pubkey_of_cert "$T/id1.pem")" = "$(pubkey_of_key TP1KEY)" ] || fail "the renewal is not for TP1KEY"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/id1.pem" >/dev/null ||
	fail "the renewal does not verify under the CA"
echo "ok: renewal pending (simplereenroll, EC TLS client certificate): one request, granted, installed"
