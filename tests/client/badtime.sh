#!/bin/bash
# check-client-badtime: a CA whose clock lost its authority (a clock step,
# NTP lost) while a router renews.
#  - the CA has its own keystore (as on a real network), whose clock loses
#    its authority after the client enrolled; the router's keeps it;
#  - the CA decides badTime, but its keystore signs nothing without
#    authoritative time, not even that answer: the CA says so with HTTP
#    503 (before: 500 "internal error", logged by the client as "the CA
#    answered, but not with SCEP");
#  - the client keeps its identity, logs "the CA cannot answer now (HTTP
#    503)" and arms CONNECT RETRY;
#  - once the CA's clock is authoritative again, the retry renews.
# (A badTime the CA can sign — an expired CA, a time handle that met a
# restarted keystore — is retried the same way, not taken as final.)
# The keystores' lab clocks move together (sim-clock, as make sim does),
# except while the CA's has no authority.
. tests/client/lib.sh
cl_setup 18206
CA_KS=$T/ks-ca
mkdir -p "$CA_KS" && chmod 0711 "$CA_KS"
$B/pkiksd --socket "$CA_KS/pkiksd.sock" --state-dir "$CA_KS/state" \
	--foreground --lab 2>>"$CA_KS/pkiksd.log" &
CA_KS_PID=$!
trap 'kill -KILL $CA_KS_PID 2>/dev/null; cl_cleanup' EXIT
wait_for 10 test -S "$CA_KS/pkiksd.sock" || fail "the CA's pkiksd did not start"

# sim-clock on both keystores: "advance N" moves both to the later one's
# lab time + N (so they agree); one command per call, its answer checked.
both() { # both COMMAND: run it on both keystores' clocks
	local out
	out=$(printf 'keystore %s\nkeystore %s\n%s\n' "$PKIKS_SOCKET" \
		"$CA_KS/pkiksd.sock" "$1" | $B/sim-clock | tail -n 1)
	[ "${out%% *}" = ok ] || fail "sim-clock $1: $out"
}
ca_only() { # ca_only COMMAND: the CA keystore's clock alone
	local out
	out=$(printf 'keystore %s\n%s\n' "$CA_KS/pkiksd.sock" "$1" |
		$B/sim-clock | tail -n 1)
	[ "${out%% *}" = ok ] || fail "sim-clock $1 (CA): $out"
}
both_to() { # both_to SECONDS: both lab clocks to that instant (or past)
	local d=$(($1 - $(lab_now)))
	[ "$d" -gt 0 ] || d=1
	both "advance $d"
}
both "advance 1"

ca_conf "grant auto"
PKIKS_SOCKET=$CA_KS/pkiksd.sock ca_start
cl_conf "auto-enroll 70"
cl_start
enroll_first
echo "ok: enrolled; RENEW at lab $renew"

# The CA's clock loses its authority; the router's keeps it and moves on
# alone (a lab clock that is set is authoritative again: the CA's stays).
ca_only unauthoritative
lab_to $((renew + 1))
wait_for 30 grep -q "FAILURE badTime: time is not authoritative" "$T/ca.log" ||
	fail "the CA did not decide badTime"
wait_for 30 grep -q "the CA cannot answer now (HTTP 503), retry 1" "$T/cl.log" ||
	fail "the client did not log the CA's 503"
retry_armed "the CA's 503"
echo "ok: a CA without authoritative time answers 503: CONNECT RETRY at lab $R1, identity kept"

# The CA's clock is authoritative again, at the router's time (a lab
# clock that is set regains its authority, as NTP would); the retry renews.
both "advance 1"
both_to $((R1 + 1))
renewed_on_retry "the CA's clock came back"
echo "ok: the retry after the CA's clock came back renewed"
echo "check-client-badtime: OK"
