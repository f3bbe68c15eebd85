#!/bin/bash
# check-ca-presign: an enrollment that finds the CA's lock taken has its
# certificate signed outside the lock (ca_enroll.c presign_apply, issue
# 14), and `show server` counts it (signed_outside_lock; presign_dropped
# for one signed that way and not recorded).
#
# Two enrollments at once, made to contend: the first is held under the
# lock (PKID_TEST_PAUSE_AT=enroll-locked) until the second has found the
# lock taken (PKID_TEST_MARK_AT=enroll-contended); then both go on.  Both
# must come back SUCCESS with a certificate each, and the counters must
# say: one signed outside the lock, none dropped.  A third enrollment
# alone (the lock free) signs under it: the counter stays.  Bounds: 200 x
# 50 ms for each step; the replies get 20 times the measured time of an
# enrollment before the hold.
. tests/ca/lib.sh
ca_setup 18460
ca_conf "grant auto"
mkdir -p "$T/hook"
PKID_TEST_DIR=$T/hook PKID_TEST_PAUSE_AT=enroll-locked \
	PKID_TEST_MARK_AT=enroll-contended ca_start
sw_scepca

openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
mkreq() { # mkreq NAME: $T/NAME.req, tid NAME
	openssl req -new -key "$T/k.pem" -subj "/CN=$1/O=pkid test" \
		-outform der -out "$T/$1.csr" || fail "csr $1"
	openssl req -new -x509 -key "$T/k.pem" -subj "/CN=$1" -days 2 \
		-out "$T/$1.self" || fail "self-signed $1"
	$S req 19 AES-128-CBC "$T/$1.self" "$T/k.pem" "$T/ra.der" "$1" \
		"$T/$1.csr" >"$T/$1.req" || fail "scep-client req $1"
}
send() { # send NAME SECONDS: HTTP code; the reply in $T/NAME.rep
	curl -s -m "$2" -o "$T/$1.rep" -w '%{http_code}' \
		--data-binary @"$T/$1.req" \
		-H 'Content-Type: application/x-pki-message' \
		"$URL?operation=PKIOperation"
}
counters() { # "signed_outside_lock presign_dropped"
	ctl --json "show server" $CA_NAME |
		jq -r '"\(.signed_outside_lock) \(.presign_dropped)"'
}
wait_file() { # wait_file PATH WHAT
	local i
	for ((i = 0; i < 200; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	fail "$2: no $(basename "$1") in 10 s"
}
success() { # success NAME
	[ "$($S rep "$T/$1.rep")" = "status=0 failInfo=-" ] ||
		fail "$1: $($S rep "$T/$1.rep" 2>&1)"
}

[ "$(counters)" = "0 0" ] || fail "counters at start: $(counters)"
# The lock free: signed under it, as before (the pause lets it go at once
# once enroll-locked.go exists; this first time it waits for the test).
# (wait PID: pkid runs in the background too.)
mkreq alone
send alone 60 >"$T/alone.code" &
p1=$!
wait_file "$T/hook/enroll-locked.reached" "the first enrollment"
t0=$(date +%s%N)
touch "$T/hook/enroll-locked.go"
wait $p1
t_req=$((($(date +%s%N) - t0) / 1000000))
[ "$(cat "$T/alone.code")" = 200 ] || fail "alone: HTTP $(cat "$T/alone.code")"
success alone
[ "$(counters)" = "0 0" ] || fail "an enrollment alone: counters $(counters)"
echo "ok: an enrollment that found the lock free signed under it ($t_req ms)"
limit=$(((t_req * 20 + 999) / 1000 + 5))

# Two at once: the first held under the lock until the second contends.
rm -f "$T/hook/enroll-locked.reached" "$T/hook/enroll-locked.go"
mkreq first
mkreq second
send first "$limit" >"$T/first.code" &
p1=$!
wait_file "$T/hook/enroll-locked.reached" "the first enrollment"
send second "$limit" >"$T/second.code" &
p2=$!
wait_file "$T/hook/enroll-contended.reached" "the second enrollment"
touch "$T/hook/enroll-locked.go"
wait $p1 $p2
for n in first second; do
	[ "$(cat "$T/$n.code")" = 200 ] || fail "$n: HTTP $(cat "$T/$n.code")"
	success $n
done
[ "$(counters)" = "1 0" ] ||
	fail "two at once: counters $(counters), want 1 signed outside the lock, 0 dropped"
ctl "show server verbose" $CA_NAME | grep -q "Signed outside the CA lock: 1 (dropped: 0)" ||
	fail "show server verbose: $(ctl "show server verbose" $CA_NAME)"
metric() { # metric NAME: its value for this CA on GET /metrics
	awk -v m="$1{ca=\"$CA_NAME\"}" '$1 == m { print $2 }' "$T/metrics"
}
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || fail "GET /metrics"
[ "$(metric pkid_enrollments_signed_outside_lock_total) $(metric pkid_enrollments_presign_dropped_total)" = "1 0" ] ||
	fail "/metrics: $(grep -e presign -e outside_lock "$T/metrics")"
echo "ok: the enrollment that found the lock taken was signed outside it (signed_outside_lock 1, presign_dropped 0; /metrics too)"
# Both are in the database, each with its own serial.
n=$(ctl --json "show certificates" $CA_NAME | jq '[.[] | .serial] | unique | length')
[ "$n" -ge 4 ] || fail "certificates: $n distinct serials, want the RA's and 3 enrollments'"
echo "check-ca-presign: OK"
