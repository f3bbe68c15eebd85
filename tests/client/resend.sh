#!/bin/bash
# check-client-resend: a request that got no answer is sent again, the
# same (same transactionID, same key), at the next CONNECT RETRY.
#  1. The CA is busy when RENEW fires (PKID_TEST_PAUSE_AT=enroll-locked
#     holds the enrollment under the CA's lock, as a rollover key
#     generation does): the client's PKCSReq times out (SCEP_HTTP_TIMEOUT,
#     20 s) and it arms CONNECT RETRY one retry period later.  The CA then
#     goes on and issues for that request.  At CONNECT RETRY the client
#     sends the same request again; the CA answers it from its record:
#     the client installs the certificate issued for it, and the CA has
#     issued one certificate for the renewal, not two (the old client sent
#     a new request, with a new transactionID and key).
#  2. The CA dies while it holds the RENEW (kill -9: the connection fails
#     mid-request, nothing recorded): at CONNECT RETRY the restarted CA
#     gets the same request again, unknown to it, and issues once.
# Bounds: the hook holds an enrollment 60 s at most (daemon/core/
# testhook.c), so the client's timeout must show within 55 s of the hold;
# every other wait is 30 s, far above what each step takes (a CertRep
# round trip).
. tests/client/lib.sh
cl_setup 18206
ca_conf "grant auto"
H=$T/hook
mkdir -p "$H"
touch "$H/enroll-locked.go" # enrollment passes until the test says
PKID_TEST_DIR=$H PKID_TEST_PAUSE_AT=enroll-locked ca_start
cl_conf "auto-enroll 70 regenerate" "enrollment retry count 3"
cl_start

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
st=$(clctl --json "trustpoint enroll" TP1) || fail "enroll: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "enroll: $st"
tp_key_check "$T/tp1.pem" "the first identity"

# Distinct serials the CA has issued (its RA's among them).
issued() { cactl --json "show certificates" TESTCA | jq '[.[] | .serial] | unique | length'; }
# The CA's request row for transactionID $1: "STATE SERIAL".
ca_request() {
	cactl --json "show requests" TESTCA |
		jq -r --arg t "$1" '.[] | select(.tid == $t) | "\(.state) \(.serial)"'
}
# The transactionID of the client's latest RENEW request (its log line).
renew_tid() {
	sed -n 's/.*trustpoint TP1: renew request \([0-9A-F]*\) to .*/\1/p' "$T/cl.log" | tail -1
}
hold() { rm -f "$H/enroll-locked.go" "$H/enroll-locked.reached"; }
wait_held() {
	wait_for 30 test -e "$H/enroll-locked.reached" ||
		fail "$1: the RENEW request did not reach the CA within 30 s"
}
# renewed_to SERIAL FILE WHAT: the client renewed (tp1.pem differs from
# FILE, then copied to it) to the certificate of serial SERIAL (decimal).
renewed_to() {
	local got
	wait_for 30 bash -c "! cmp -s '$T/tp1.pem' '$2'" ||
		fail "$3: not renewed at CONNECT RETRY"
	cp "$T/tp1.pem" "$2"
	got=$((16#$(cert_field "$T/tp1.pem" serial)))
	[ "$got" = "$1" ] ||
		fail "$3: installed serial $got, the CA issued $1 for the request"
	tp_key_check "$T/tp1.pem" "$3: the renewed identity"
	[ -z "$(timer_at "CONNECT RETRY")" ] || fail "$3: CONNECT RETRY left"
	[ -n "$(timer_at RENEW)" ] || fail "$3: no RENEW after the renewal"
	[ "$(clctl --json "show trustpoints" | jq -r '.[0].state')" = enrolled ] ||
		fail "$3: not enrolled"
}
cp "$T/tp1.pem" "$T/cur.pem"

# --- 1. the CA holds the RENEW past the client's timeout
n0=$(issued)
renew=$(timer_at RENEW)
[ -n "$renew" ] || fail "no RENEW"
hold
lab_to $((renew + 1))
wait_held "busy CA"
t0=$(date +%s)
tid=$(renew_tid)
[ -n "$tid" ] || fail "busy CA: no RENEW request in the client's log"
wait_for 55 grep -q "TP1: CA unreachable (timed out), retry 1" "$T/cl.log" ||
	fail "busy CA: the client did not time out within 55 s of the hold"
waited=$(($(date +%s) - t0))
[ "$waited" -ge 19 ] || fail "busy CA: the client gave up after $waited s, before its 20 s timeout"
r1=$(timer_at "CONNECT RETRY")
check_delay "CONNECT RETRY after the timeout" "$r1" "$renew" 60
[ "$(clctl --json "show trustpoints" | jq -r '.[0] | "\(.state) \(.transaction_id)"')" = "retrying $tid" ] ||
	fail "busy CA: show trustpoints: $(clctl --json "show trustpoints")"
echo "ok: busy CA: RENEW $tid timed out after $waited s; CONNECT RETRY in 60 s, state retrying"

touch "$H/enroll-locked.go"
wait_for 30 bash -c "$B/ctl-call '$T/ca.ctl' --json 'show requests' TESTCA |
	jq -e --arg t '$tid' '.[] | select(.tid == \$t and .serial > 0)'" ||
	fail "busy CA: the CA did not issue for $tid once let go"
read -r state serial <<<"$(ca_request "$tid")"
[ "$(issued)" = $((n0 + 1)) ] || fail "busy CA: $(($(issued) - n0)) certificates issued for one request"
echo "ok: the CA went on and issued serial $serial for $tid ($state) with no one to answer"

lab_to $((r1 + 1))
renewed_to "$serial" "$T/cur.pem" "busy CA"
grep -q "TP1: renew request $tid sent again to .*(retry 1: no answer to it)" "$T/cl.log" ||
	fail "busy CA: the retry was not request $tid sent again"
[ "$(issued)" = $((n0 + 1)) ] ||
	fail "busy CA: $(($(issued) - n0)) certificates issued for one renewal (the retry was a new request)"
[ "$(grep -c "CS_GRANT: TESTCA: PKCSReq tid $tid: SUCCESS" "$T/ca.log")" = 2 ] ||
	fail "busy CA: the CA did not answer $tid twice (held, then repeated)"
echo "ok: CONNECT RETRY sent $tid again, the CA answered it from its record: serial $serial installed, one certificate issued"

# --- 2. the CA dies holding the RENEW: connection lost mid-request
n0=$(issued)
renew=$(timer_at RENEW)
hold
lab_to $((renew + 1))
wait_held "CA killed"
tid2=$(renew_tid)
[ -n "$tid2" ] && [ "$tid2" != "$tid" ] || fail "CA killed: RENEW request ${tid2:-none} (the last was $tid)"
kill -KILL "$CA_PID"
wait "$CA_PID" 2>/dev/null
CA_PID=
wait_for 30 grep -q "TP1: CA unreachable (connection reset), retry 1" "$T/cl.log" ||
	fail "CA killed: the client did not see the connection fail"
r2=$(timer_at "CONNECT RETRY")
[ -n "$r2" ] || fail "CA killed: no CONNECT RETRY"
touch "$H/enroll-locked.go"
PKID_TEST_DIR=$H PKID_TEST_PAUSE_AT=enroll-locked ca_start
[ -z "$(ca_request "$tid2")" ] || fail "CA killed: $tid2 recorded before the kill: $(ca_request "$tid2")"
lab_to $((r2 + 1))
wait_for 30 bash -c "$B/ctl-call '$T/ca.ctl' --json 'show requests' TESTCA |
	jq -e --arg t '$tid2' '.[] | select(.tid == \$t and .serial > 0)'" ||
	fail "CA killed: the CA did not issue for $tid2 at the retry"
read -r state serial <<<"$(ca_request "$tid2")"
renewed_to "$serial" "$T/cur.pem" "CA killed"
grep -q "TP1: renew request $tid2 sent again to " "$T/cl.log" ||
	fail "CA killed: the retry was not request $tid2 sent again"
[ "$(issued)" = $((n0 + 1)) ] || fail "CA killed: $(($(issued) - n0)) certificates issued for one renewal"
echo "ok: connection lost mid-request: the restarted CA got $tid2 again and issued once (serial $serial)"
echo "check-client-resend: OK"
