#!/bin/bash
# check-est-promotion: a request to the next generation's label (the EST
# SHADOW, docs/EST.md) that is in flight when the CA cancels or promotes
# its rollover, and one that arrives while the promotion runs.
#
# The label's answer and the issuance are decided on one snapshot of the
# CA's keys, which a cancel or promotion waits for: a request that got its
# snapshot with the rollover CA in it is issued by the rollover CA (valid
# from the current CA's end) and the cancel or promotion comes after it;
# one that comes during the promotion waits for it and gets 404 (no
# rollover CA now).  Before, the label was checked on one snapshot and the
# certificate issued on another: a cancel in between had the request
# issued by the current CA (a request for the next generation answered
# with the old one), a promotion had it issued by the promoted CA from
# "now" instead of from the old CA's end.
#
# Hooks (daemon/core/testhook.h): PKID_TEST_PAUSE_AT=est-enroll holds an
# EST enrollment after it took its snapshot, promote-key holds the
# promotion after it took the switch.  Bounds: every wait 200 x 50 ms; a
# cancel or promotion "waits" when it has not ended 20 times the measured
# time of a cancel without a request in flight (at least 1 s, at most
# 20 s: the control client gives up after 30 s).
. tests/est/lib.sh
. tests/rollover/lib.sh
est_setup 19106
est_conf "grant auto" "password 0 est-secret" "lifetime ca-certificate 0 0 10"
H=$T/hook
mkdir -p "$H"
PKID_TEST_DIR=$H PKID_TEST_PAUSE_AT=est-enroll,promote-key est_start
# Let every request and promotion through, except where a step holds one.
touch "$H/est-enroll.go" "$H/promote-key.go"

# wait_file FILE WHAT: bounded (200 x 50 ms)
wait_file() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	fail "$2"
}
# send NAME LABEL: POST NAME.b64 to LABEL/simpleenroll in the background
# with the CA's password; the code in NAME.code, the body in NAME.body.
# -k: after the lab clock's jumps the server's TLS certificate is valid on
# the lab clock only; what it issues is checked with openssl.
send() {
	curl -s -k -u router:est-secret -H 'Content-Type: application/pkcs10' \
		--data-binary @"$T/$1.b64" -o "$T/$1.body" -w '%{http_code}' \
		"$EST/$2/simpleenroll" >"$T/$1.code" &
	SEND_PID=$!
}
# alive PID MS: is PID still running after MS milliseconds (polled)?
alive() {
	local i
	for ((i = 0; i < $2 / 50; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
	done
	kill -0 "$1" 2>/dev/null
}
# hold: the next EST enrollment stops at est-enroll
hold() { rm -f "$H/est-enroll.go" "$H/est-enroll.reached"; }
release() { touch "$H/est-enroll.go"; }
# issued NAME: NAME.pem from NAME.body
issued() {
	[ "$(cat "$T/$1.code")" = 200 ] || fail "$1: HTTP $(cat "$T/$1.code"): $(cat "$T/$1.body")"
	p7_certs "$T/$1.body" "$T/$1.pem"
}
next_pem() { # next_pem OUT: the next generation's cacerts
	[ "$(curl -s -k -o "$T/next.b64" -w '%{http_code}' "$EST/next/cacerts")" = 200 ] ||
		fail "next/cacerts"
	p7_certs "$T/next.b64" "$1"
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

csr r0 "/CN=r0/O=pkid test"
csr r1 "/CN=r1/O=pkid test"
csr r2 "/CN=r2/O=pkid test"
csr r3 "/CN=r3/O=pkid test"

# 1. A cancel while a request to the next label is in flight.
ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
t0=$(date +%s%N)
ctl "server rollover cancel" $CA_NAME >"$T/out" || fail "cancel: $(cat "$T/out")"
t_cmd=$(ms_since "$t0")
limit=$((t_cmd * 20 > 1000 ? t_cmd * 20 : 1000))
[ $limit -le 20000 ] || fail "a cancel took $t_cmd ms: too slow to tell a wait from it"
ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
next_pem "$T/roll1.pem"
hold
send r1 next
r1_pid=$SEND_PID
wait_file "$H/est-enroll.reached" "the request did not reach est-enroll"
ctl "server rollover cancel" $CA_NAME >"$T/cancel.out" 2>&1 &
cancel_pid=$!
alive $cancel_pid $limit || fail "the cancel ended while a request to the next label was in flight (after < $limit ms)"
release
wait $r1_pid
wait $cancel_pid || fail "cancel: $(cat "$T/cancel.out")"
issued r1
at_ok "$(cert_time "$T/roll1.pem" start)" "$T/roll1.pem" "$T/r1.pem"
at_bad "$(lab_now)" "$T/ca.pem" "$T/r1.pem"
[ "$(cert_time "$T/r1.pem" start)" = "$(cert_time "$T/ca.pem" end)" ] ||
	fail "r1 does not start at the current CA's end"
echo "ok: a cancel waits for a request to the next label in flight; issued by the rollover CA, from the CA's end"
send r0 next
wait $SEND_PID
expect_http "next/simpleenroll after the cancel" 404 "$(cat "$T/r0.code")"
grep -q "no rollover CA now" "$T/r0.body" || fail "404 without its reason: $(cat "$T/r0.body")"

# 2. The promotion while a request to the next label is in flight.
ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
next_pem "$T/roll2.pem"
old_fp=$(fp "$T/ca.pem")
end=$(cert_time "$T/ca.pem" end)
hold
send r2 next
r2_pid=$SEND_PID
wait_file "$H/est-enroll.reached" "the request did not reach est-enroll"
$B/lab-advance $((end + 5 - $(lab_now))) || fail "lab-advance"
# The promotion is due (CS CERT EXPIRE) and waits for the request.
sleep "$(awk "BEGIN { print $limit / 1000 }")"
[ "$(jget "show server" fingerprint)" = "$old_fp" ] ||
	fail "the CA promoted while a request to the next label was in flight"
release
wait $r2_pid
issued r2
wait_field "show server" fingerprint "$(fp "$T/roll2.pem")"
at_ok "$(($(lab_now) + 1))" "$T/roll2.pem" "$T/r2.pem"
# Issued before the promotion (by the rollover CA): its log line first.
serial=$(openssl x509 -in "$T/r2.pem" -noout -serial | sed 's/.*=//')
issued_at=$(grep -n "EST_ISSUED: $CA_NAME: .* serial $((16#$serial))\$" "$T/pkid.log" | cut -d: -f1)
promoted_at=$(grep -n "CS_ROLLOVER_ACTIVATED" "$T/pkid.log" | head -1 | cut -d: -f1)
[ -n "$issued_at" ] && [ -n "$promoted_at" ] || fail "no EST_ISSUED line for r2 or no promotion in the log"
[ "$issued_at" -lt "$promoted_at" ] || fail "r2 was issued after the promotion"
echo "ok: the promotion waits for a request to the next label in flight; issued by the rollover CA before it"

# 3. A request that arrives while the promotion runs (held at promote-key).
cp "$T/roll2.pem" "$T/ca2.pem"
ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
next_pem "$T/roll3.pem"
end=$(cert_time "$T/ca2.pem" end)
rm -f "$H/promote-key.go" "$H/promote-key.reached"
$B/lab-advance $((end + 5 - $(lab_now))) || fail "lab-advance"
wait_file "$H/promote-key.reached" "the promotion did not reach promote-key"
send r3 next
r3_pid=$SEND_PID
# Watched at most 8 s: the server closes a request not complete within
# its 10 s deadline (%PKI-4-HTTP_DEADLINE), so a longer window (the limit
# grows with the cancel measured above, 9.5 s and more at load 12) saw
# curl end with HTTP 000 while the promotion was still held.
held=$((limit < 8000 ? limit : 8000))
alive $r3_pid $held || fail "a request answered while the promotion was held: HTTP $(cat "$T/r3.code")"
[ -e "$H/est-enroll.reached" ] && [ "$H/est-enroll.reached" -nt "$H/promote-key.reached" ] &&
	fail "the request took a snapshot during the promotion"
touch "$H/promote-key.go"
wait_field "show server" fingerprint "$(fp "$T/roll3.pem")"
wait $r3_pid
[ "$(cat "$T/r3.code")" = 404 ] || fail "r3 during the promotion: HTTP $(cat "$T/r3.code"): $(cat "$T/r3.body")"
grep -q "no rollover CA now" "$T/r3.body" || fail "r3: 404 without its reason"
# and the current label still serves (under the promoted CA)
send r3 "$CA_NAME"
wait $SEND_PID
issued r3
at_ok "$(($(lab_now) + 1))" "$T/roll3.pem" "$T/r3.pem"
echo "ok: a request during the promotion waits for it: 404 at the next label, then served under the new CA"
echo "check-est-promotion: OK"
