#!/bin/bash
# check-continuity-states (issue 13 #4): the client says what happened.
#  - the CA down at RENEW: "CA unreachable (connect refused), retry 1"
#    (the errno's words were right; a bad reply is no longer "unreachable":
#    check-client-scep "reply failures say why");
#  - an identity that has ended shows `expired`, not `retrying`.
. tests/client/lib.sh
cl_setup 19340
ca_conf "grant auto" "lifetime certificate 0 2"
ca_start
cl_conf "auto-enroll 70"
cl_start
state() { clctl --json "show trustpoints" | jq -r '.[] | select(.name == "TP1") | .state'; }
clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
[ "$(state)" = enrolled ] || fail "state $(state)"
end=$(cert_time "$T/tp1.pem" enddate)
renew=$(timer_at RENEW)
[ -n "$renew" ] || fail "no RENEW"

ca_stop
lab_to $((renew + 1))
wait_for 20 grep -q "TP1: CA unreachable (connect refused), retry 1" "$T/cl.log" ||
	fail "the refused connection is not said as such"
[ "$(state)" = retrying ] || fail "state $(state) while the CA is down"
echo "ok: CA down: 'CA unreachable (connect refused)', state retrying"

lab_to $((end + 1))
is_expired() { [ "$(state)" = expired ]; }
wait_for 10 is_expired || fail "an ended identity shows '$(state)', not expired"
clctl "show trustpoints verbose" | grep -q "State: expired" || fail "show trustpoints verbose: no expired"
echo "ok: the identity has ended: state expired (it was 'retrying')"

# The watchdog agrees: exit 5, the trustpoint's risk named.
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl show health >"$T/health.out" 2>&1
rc=$?
[ $rc = 5 ] || fail "show health exit $rc with an expired identity: $(cat "$T/health.out")"
grep -q "AT RISK: identity expired at" "$T/health.out" || fail "health: $(cat "$T/health.out")"
echo "ok: show health: exit 5, identity expired"

echo "check-continuity-states: OK"
