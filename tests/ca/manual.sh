#!/bin/bash
# check-ca-manual: manual granting.  strongSwan polls (CertPoll, same
# transactionID) while the request is pending; the operator grants it
# through the control socket and the client gets its certificate; a
# rejected request ends the client's polling with FAILURE; a one-time
# password grants at once even in manual mode (once); `grant none` rejects.
. tests/ca/lib.sh
ca_setup 18103
ca_conf "! manual granting: no grant line"
ca_start
sw_scepca

pending_id() { # pending_id SUBJECT_CN: wait (bounded) for its pending request
	local i id
	for ((i = 0; i < 100; i++)); do
		id=$(ctl --json "show requests" $CA_NAME | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["state"] == "pending" and "CN='"$1"'" in r["subject"]:
        print(r["id"])' 2>/dev/null | head -1)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}

# 1. Pending, polled, granted by the operator.
sw_enroll dave --interval 1 --maxpolltime 60 &
client=$!
id=$(pending_id dave) || fail "dave's request never became pending"
# Let it poll at least once before the grant (bounded: 30 s; it polls
# every second).
for ((i = 0; i < 300; i++)); do
	grep -q "CertPoll" "$T/pkid.log" && break
	sleep 0.1
done
grep -q "CertPoll" "$T/pkid.log" || fail "dave did not poll within 30 s"
ctl "server grant" $CA_NAME "$id" >/dev/null || fail "grant $id"
wait $client || fail "dave: $(tail -5 "$T/dave.log")"
grep -q "request pending" "$T/dave.log" || fail "dave never saw PENDING"
grep -q "CertPoll" "$T/pkid.log" || fail "no CertPoll reached the server"
verify "$T/dave.pem"
echo "ok: pending -> polled -> granted -> issued"

# 2. Pending, rejected: the client stops with FAILURE.
sw_enroll erin --interval 1 --maxpolltime 60 &
client=$!
pending_id erin >/dev/null || fail "erin's request never became pending"
ctl "server reject" $CA_NAME all >/dev/null || fail "reject all"
wait $client && fail "a rejected request was issued"
grep -q "badRequest" "$T/erin.log" || fail "erin: $(tail -3 "$T/erin.log")"
echo "ok: pending -> rejected -> FAILURE"

# 3. A one-time password grants at once in manual mode.
pw=$(ctl --json "server password generate" $CA_NAME |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
sw_enroll frank --password "$pw" --interval 1 --maxpolltime 5 ||
	fail "frank: $(tail -3 "$T/frank.log")"
verify "$T/frank.pem"
echo "ok: one-time password -> issued without operator"
# The same one-time password again: FAILURE (consumed), reason logged.
sw_enroll mallory --password "$pw" --interval 1 --maxpolltime 5 &&
	fail "a used one-time password enrolled"
grep -q badRequest "$T/mallory.log" || fail "mallory: $(tail -3 "$T/mallory.log")"
grep -q "CS_REJECT.*not a valid one-time password" "$T/pkid.log" ||
	fail "mallory's rejection gives no reason"
echo "ok: a used one-time password -> FAILURE, reason logged"

# 4. `grant none` rejects everything.
ca_kill TERM || fail "SIGTERM"
ca_conf "grant none"
ca_start
sw_enroll gina --interval 1 --maxpolltime 5 && fail "grant none issued"
grep -q badRequest "$T/gina.log" || fail "gina: $(tail -3 "$T/gina.log")"
echo "ok: grant none -> FAILURE"
echo "check-ca-manual: OK"
