#!/bin/bash
# check-pg-lead-lock: a takeover while another thread holds the CA's lock
# (issue 18; found by make sim-ha).  `show server` and the health tick
# (every second, the main loop) hold the CA's lock and then take the
# leadership's own mutex (ca_lead_info); a node becoming the leader took
# that mutex and then the CA's lock (set_role -> ca_time): both orders at
# once deadlock the node -- it never takes over, its main loop and
# control socket hang.  Two nodes, one PostgreSQL: node b is made to
# pause inside its role change, with the mutex held
# (PKID_TEST_PAUSE_AT=lead-role), after a's kill -9; a `show server` on b
# then waits there under the CA's lock; b is let go: it must become the
# leader and answer.  Before the fix the role change then waited for the
# CA's lock forever.
NODES="a b"
declare -A PORT=([a]=18143 [b]=18144)
. tests/ca/pg_ha_lib.sh
ha_setup
PAUSE[a]=
PAUSE[b]=lead-role

node_start a
[ "$(role a)" = leader ] || fail "node a is not the leader: '$(role a)'"
node_start b
[ "$(role b)" = follower ] || fail "node b: role '$(role b)', want follower"
echo "ok: a leads, b follows"

kill -KILL "${PID[a]}"
{ wait "${PID[a]}"; } 2>/dev/null
PID[a]=
for ((i = 0; i < 300; i++)); do [ -e "$T/b/lead-role.reached" ] && break; sleep 0.05; done
[ -e "$T/b/lead-role.reached" ] || fail "node b never reached its role change"
# a show server now takes b's CA lock and waits for the role's mutex (b's
# health tick does the same within a second); 3 s for it to get there
# on a loaded machine (only the old code needs it there to deadlock)
timeout 60 $B/ctl-call "$T/b/pkid.ctl" --json "show server" $CA_NAME >"$T/show.json" 2>&1 &
show=$!
sleep 3
touch "$T/b/lead-role.go"
rc=0
wait $show || rc=$?
[ $rc = 0 ] || fail "show server on b did not answer after the role change (status $rc): deadlocked"
[ "$(jq -r .role "$T/show.json")" = leader ] ||
	fail "show server on b: role '$(jq -r .role "$T/show.json")', want leader"
for ((i = 0; i < 100; i++)); do
	grep -q "CS_LEADER.*is the leader" "$T/b/pkid.log" && break
	sleep 0.1
done
grep -q "CS_LEADER.*is the leader" "$T/b/pkid.log" || fail "node b did not finish its takeover"
[ "$(role b)" = leader ] || fail "node b: role '$(role b)' after the takeover"
echo "ok: b took over while a show server held its CA lock, and answered"
echo "check-pg-lead-lock: OK"
