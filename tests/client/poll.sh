#!/bin/bash
# check-client-poll: a CA in manual mode (no grant line).
#  - a trustpoint with `password` (a one-time password the CA made) is
#    granted at once;
#  - the first enrollment is PENDING: the client polls (CertPoll, the same
#    transactionID) after 1, 2, 4, then 4 minutes of lab time (enrollment
#    retry period 1, max-period 4);
#  - a client restarted mid-pending resumes: same transactionID, same POLL;
#  - the operator's `grant` on the CA: the next poll installs the
#    certificate and the timers switch to RENEW;
#  - a renewal the operator rejects stops: no POLL, no RENEW, the
#    identity stays as it was.
. tests/client/lib.sh
cl_setup 18202
ca_conf "! manual granting"
ca_start
otp=$(cactl --json "server password generate" TESTCA 60 | jq -r .password)
[ -n "$otp" ] || fail "no one-time password from the CA"
cl_conf "auto-enroll 80" "enrollment retry period 1" "enrollment retry max-period 4"
cat >>"$T/cl.conf" <<EOF
crypto pki trustpoint TP2
 enrollment url $URL
 subject-name CN=router1-otp,O=pkid test
 password $otp
 certificate export $T/tp2.pem
EOF
cl_start

# The challenge password (a one-time one from the CA) grants at once.
clctl "trustpoint authenticate" TP2 --accept >/dev/null || fail "authenticate TP2"
st=$(clctl --json "trustpoint enroll" TP2) || fail "TP2 enroll: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] && [ -s "$T/tp2.pem" ] ||
	fail "TP2 with a one-time password: $st"
echo "ok: challenge password: enrolled at once in manual mode"

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
t0=$(lab_now)
st=$(clctl --json "trustpoint enroll" TP1) || fail "enroll: $st"
[ "$(jq -r .state <<<"$st")" = pending ] || fail "enroll: $st"
tid=$(jq -r .transaction_id <<<"$st")
[ -n "$tid" ] || fail "no transactionID"
p=$(timer_at POLL)
check_delay "first POLL" "$p" "$t0" 60
echo "ok: pending ($tid), POLL armed 60 s later"

# One poll: move past the deadline, wait for the re-armed POLL.
poll_once() {
	local before=$1 n=$2
	lab_to $((before + 1))
	wait_for 20 bash -c "[ \"\$($B/pkictl --json show timers | jq '[.timers[] |
		select(.owner == \"TP1\" and .kind == \"POLL\") |
		.deadline_ns / 1000000000 | floor][0]')\" -gt $before ]" ||
		fail "poll $n: no new POLL timer"
	grep -c "polling $tid (poll $n)" "$T/cl.log" >/dev/null || fail "poll $n not logged with $tid"
}

prev=$p
for want in 120 240 240; do
	n=$((${n:-0} + 1))
	poll_once "$prev" $n
	next=$(timer_at POLL)
	check_delay "poll $n: next POLL" "$next" "$prev" "$want"
	prev=$next
done
echo "ok: polls at 1, 2, 4, 4 min (cap), all with transactionID $tid"

cl_stop
cl_start
[ "$(timer_at POLL)" = "$prev" ] || fail "after restart: POLL $(timer_at POLL), was $prev"
[ "$(clctl --json "show trustpoints" | jq -r '.[0].transaction_id')" = "$tid" ] ||
	fail "after restart: another transactionID"
poll_once "$prev" 4
prev=$(timer_at POLL)
echo "ok: restart mid-pending resumed polling $tid"

id=$(cactl --json "show requests" TESTCA | jq -r --arg t "$tid" '.[] | select(.tid == $t) | .id')
[ -n "$id" ] || fail "the CA has no request $tid"
cactl "server grant" TESTCA "$id" >/dev/null || fail "grant $id"
lab_to $((prev + 1))
wait_for 20 test -s "$T/tp1.pem" || fail "granted, but no certificate installed"
[ -z "$(timer_at POLL)" ] || fail "POLL still armed after SUCCESS"
[ -n "$(timer_at RENEW)" ] || fail "no RENEW after SUCCESS"
grep -q "polling $tid (poll 5)" "$T/cl.log" || fail "the granting poll was not poll 5 of $tid"
grep -q "%PKI-4-POLL: trustpoint TP1: request $tid pending" "$T/cl.log" ||
	fail "pending not logged as %PKI-4-POLL"
echo "ok: granted: installed on poll 5, RENEW armed"

# A manual renewal, rejected by the operator: the client stops.
cp "$T/tp1.pem" "$T/first.pem"
st=$(clctl --json "trustpoint enroll" TP1) || fail "renew: $st"
[ "$(jq -r .state <<<"$st")" = pending ] || fail "renew: $st"
tid2=$(jq -r .transaction_id <<<"$st")
[ "$tid2" != "$tid" ] || fail "renewal reused transactionID $tid"
cactl "server reject" TESTCA all >/dev/null || fail "reject"
lab_to $(($(timer_at POLL) + 1))
wait_for 20 bash -c "$B/ctl-call '$T/cl.ctl' --json 'show trustpoints' |
	jq -e '.[0].state == \"enrolled\"'" || fail "still pending after reject"
[ -z "$(timer_at POLL)$(timer_at RENEW)$(timer_at 'CONNECT RETRY')" ] ||
	fail "timers left after FAILURE: $($B/pkictl show timers)"
cmp -s "$T/tp1.pem" "$T/first.pem" || fail "the identity changed after FAILURE"
grep -q "%PKI-3-ENROLL_FAILED: .*request $tid2: badRequest; stopped" "$T/cl.log" ||
	fail "FAILURE not logged as %PKI-3-ENROLL_FAILED"
echo "ok: rejected renewal: stopped, no timers left, identity kept"
