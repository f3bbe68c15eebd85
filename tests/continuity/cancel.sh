#!/bin/bash
# check-continuity-cancel (issue 13 #1): a rollover cancelled on a CA with
# auto-rollover is made again; the CA never expires without one.
#  - cancel before the window: CS SHADOW CERT GENERATION is armed again at
#    the window's start (it used to stay cancelled for good);
#  - cancel inside the window: armed `rollover cancel-delay` later, and a
#    pkid restart keeps that deferral; it fires, and the rollover CA is
#    promoted at the CA's end.
# Lab clock: CA 10 min, window 4 min, cancel-delay 1 min.
. tests/ca/lib.sh
. tests/rollover/lib.sh
ca_setup 19310

ca_conf "grant auto" "lifetime ca-certificate 0 0 10" "auto-rollover 0 0 4" \
	"rollover cancel-delay 0 0 1"
ca_start
sw_scepca
cp "$T/ca.pem" "$T/ca1.pem"
end=$(cert_time "$T/ca1.pem" end)

# Deadline (epoch s) of our CS SHADOW CERT GENERATION timer, "" if none.
shadow_at() {
	$B/pkictl --json show timers 2>/dev/null | python3 -c "
import json, sys
for t in json.load(sys.stdin)['timers']:
    if t['owner'] == '$CA_NAME' and t['kind'] == 'CS SHADOW CERT GENERATION' \
       and t['state'] != 'expired':
        print(t['deadline_ns'] // 10**9)"
}

[ "$(shadow_at)" = $((end - 240)) ] || fail "shadow timer at start: '$(shadow_at)', want $((end - 240))"
ctl "server rollover" $CA_NAME >/dev/null || fail "server rollover"
[ -z "$(shadow_at)" ] || fail "shadow timer still armed with a rollover CA"
ctl "server rollover cancel" $CA_NAME >"$T/out" || fail "cancel: $(cat "$T/out")"
[ "$(shadow_at)" = $((end - 240)) ] ||
	fail "cancel before the window: shadow timer '$(shadow_at)', want $((end - 240))"
grep -q "CS_ROLLOVER_SCHEDULED" "$T/pkid.log" || fail "the new schedule is not logged"
echo "ok: cancel before the window: the rollover is armed again at the window's start"

# Into the window: the rollover CA is made by itself.
$B/lab-advance $((end - 240 + 5 - $(lab_now))) || fail "lab-advance"
wait_field "show server" rollover_status "available for rollover"
next_ca "$T/n1" "$T/ca1.pem"
echo "ok: the re-armed timer fired: rollover CA made inside the window"

# Cancel inside the window: deferred by cancel-delay (60 s), not forever.
now=$(lab_now)
ctl "server rollover cancel" $CA_NAME >/dev/null || fail "cancel in the window"
at=$(shadow_at)
[ -n "$at" ] || fail "cancel inside the window left no shadow timer"
# The cancel ran between $now and now: at is 60 s after it.
[ "$at" -ge $((now + 60)) ] && [ "$at" -le $(($(lab_now) + 60)) ] ||
	fail "deferred to $at, want 60 s after the cancel (at $now)"
[ "$(jget "show server" rollover_status)" = "not available" ] || fail "status after cancel"
echo "ok: cancel inside the window: next rollover armed cancel-delay later"

# A restart inside the deferral keeps it (it used to roll over at start).
ca_kill
ca_start
[ "$(shadow_at)" = "$at" ] || fail "restart: shadow timer '$(shadow_at)', want $at"
[ "$(jget "show server" rollover_status)" = "not available" ] ||
	fail "restart made the rollover CA before the deferral's end"
echo "ok: a restart keeps the deferral"

$B/lab-advance $((at + 2 - $(lab_now))) || fail "lab-advance"
wait_field "show server" rollover_status "available for rollover"
next_ca "$T/n2" "$T/ca1.pem"
[ "$(fp "$T/n2/next-ca.pem")" != "$(fp "$T/n1/next-ca.pem")" ] || fail "the cancelled CA came back"
$B/lab-advance $((end + 3 - $(lab_now))) || fail "lab-advance"
wait_field "show server" fingerprint "$(fp "$T/n2/next-ca.pem")"
grep -q "expired without a rollover CA" "$T/pkid.log" && fail "the CA expired without a rollover CA"
echo "ok: the deferred rollover CA was made and promoted at the CA's end"
echo "check-continuity-cancel: OK"
