#!/bin/bash
# check-client-retry: the CA cannot be reached when RENEW fires.
#  - the client arms CONNECT RETRY after 1, then 2 minutes (lab time), and
#    keeps its identity meanwhile;
#  - a client restarted while retrying goes on retrying;
#  - once the CA is back, the next retry renews: new certificate, no
#    CONNECT RETRY left, RENEW re-armed;
#  - `enrollment retry count 2`: after two retries the client gives up.
. tests/client/lib.sh
cl_setup 18203
ca_conf "grant auto"
ca_start
cl_conf "auto-enroll 70"
cat >>"$T/cl.conf" <<EOF
crypto pki trustpoint TP2
 enrollment url $URL
 subject-name CN=router1-tp2
 enrollment retry count 2
EOF
cl_start

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
clctl "trustpoint authenticate" TP2 --accept >/dev/null || fail "authenticate TP2"
clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
cp "$T/tp1.pem" "$T/first.pem"
renew=$(timer_at RENEW)
[ -n "$renew" ] || fail "no RENEW"

ca_stop
lab_to $((renew + 1))
wait_for 20 timer_armed "CONNECT RETRY" ||
	fail "no CONNECT RETRY after RENEW with the CA down"
r1=$(timer_at "CONNECT RETRY")
check_delay "first CONNECT RETRY" "$r1" "$renew" 60
cmp -s "$T/tp1.pem" "$T/first.pem" || fail "identity changed while the CA is down"
[ "$(clctl --json "show trustpoints" | jq -r '.[0].state')" = retrying ] ||
	fail "show trustpoints: not retrying"
echo "ok: CA down at RENEW: CONNECT RETRY in 60 s"

lab_to $((r1 + 1))
wait_for 20 bash -c "[ \"\$($B/pkictl --json show timers | jq '[.timers[] |
	select(.owner == \"TP1\" and .kind == \"CONNECT RETRY\") |
	.deadline_ns / 1000000000 | floor][0]')\" -gt $r1 ]" ||
	fail "no second CONNECT RETRY"
r2=$(timer_at "CONNECT RETRY")
check_delay "second CONNECT RETRY" "$r2" "$r1" 120
echo "ok: second CONNECT RETRY 120 s later"

cl_stop
cl_start
[ "$(timer_at "CONNECT RETRY")" = "$r2" ] || fail "after restart: CONNECT RETRY lost"

ca_start
lab_to $((r2 + 1))
wait_for 30 bash -c "! cmp -s '$T/tp1.pem' '$T/first.pem'" ||
	fail "not renewed after the CA came back"
[ -z "$(timer_at "CONNECT RETRY")" ] || fail "CONNECT RETRY left after recovery"
[ -n "$(timer_at RENEW)" ] || fail "no RENEW after recovery"
[ "$(clctl --json "show trustpoints" | jq -r '.[0].state')" = enrolled ] ||
	fail "show trustpoints: not enrolled after recovery"
echo "ok: CA back: renewed on the next retry, RENEW re-armed"

# `enrollment retry count 2`: two retries, then the client gives up.
tp2_retry() {
	$B/pkictl --json show timers | jq '[.timers[] | select(.owner == "TP2" and
		.kind == "CONNECT RETRY") | .deadline_ns / 1000000000 | floor][0]'
}
ca_stop
st=$(clctl --json "trustpoint enroll" TP2) || fail "TP2 enroll: $st"
[ "$(jq -r .state <<<"$st")" = retrying ] || fail "TP2 with the CA down: $st"
for n in 1 2; do
	at=$(tp2_retry)
	[ "$at" != null ] || fail "TP2: no CONNECT RETRY before retry $n"
	lab_to $((at + 1))
	# Retry 1 fails and arms retry 2; retry 2 fails and gives up.
	[ $n = 1 ] && want="TP2: CA unreachable .*, retry 2" || want="retries exhausted"
	wait_for 20 grep -q "$want" "$T/cl.log" || fail "TP2: retry $n did not happen"
done
wait_for 10 grep -q "TP2: enroll request .*retries exhausted; stopped" "$T/cl.log" ||
	fail "TP2 did not give up after 2 retries"
grep -q "%PKI-4-CONNECT_RETRY: trustpoint TP2: CA unreachable" "$T/cl.log" ||
	fail "retries not logged as %PKI-4-CONNECT_RETRY"
[ "$(tp2_retry)" = null ] || fail "TP2: CONNECT RETRY left after giving up"
[ "$(clctl --json "show trustpoints" | jq -r '.[] | select(.name == "TP2") | .state')" = authenticated ] ||
	fail "TP2: not back to authenticated"
echo "ok: enrollment retry count 2: gave up after 2 retries"

# Bad input and an unreachable CA get clear errors.
out=$($B/ctl-call "$T/cl.ctl" "trustpoint enroll" NOPE 2>&1) && fail "enroll NOPE succeeded"
grep -q "no trustpoint NOPE" <<<"$out" || fail "enroll NOPE: $out"
out=$($B/ctl-call "$T/cl.ctl" "trustpoint authenticate" TP1 --bogus 2>&1) && fail "--bogus accepted"
grep -q "unknown option --bogus" <<<"$out" || fail "--bogus: $out"
out=$($B/ctl-call "$T/cl.ctl" "trustpoint authenticate" TP1 --accept 2>&1) &&
	fail "authenticate with the CA down succeeded"
grep -q "GetCACert from $URL: Connection refused" <<<"$out" || fail "CA down: $out"
echo "ok: clear errors: unknown trustpoint, bad option, CA down"
