#!/bin/bash
# check-robust: three robustness fixes, end to end (run from the top of the
# tree).  Each part has its own temp dir and pkiksd twin; no TCP ports.
#   1. A process loads pkiks:NAME through the provider, pkiksd restarts,
#      the same thread loads the key again: one pkiks_pkey_load() call
#      must succeed (the provider reconnects) and the key must sign.
#   2. 8 threads arm 64 timers at once; as soon as all are acknowledged
#      pkiksd is SIGKILLed; after a restart all 64 are listed.
#   3. pkid with no /dev/log (the case on this machine and in containers)
#      does not try a syslog socket per log line: strace counts socket()
#      calls of AF_UNIX/SOCK_DGRAM while pkid logs many lines.
set -uo pipefail
. tests/lib/keystore.sh

B=build/bin
T=$(mktemp -d /tmp/pkid-robust.XXXXXX)
COPROC_PID=
cleanup() {
	[ -n "${COPROC_PID:-}" ] && kill -KILL "$COPROC_PID" 2>/dev/null
	ks_twin_stop
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "${KS_TWIN_LOG:-/nonexistent}" ] && tail -n 20 "$KS_TWIN_LOG" >&2
	exit 1
}

keygen() { # NAME OUT.pem: a key in the twin, its public key in OUT.pem
	$B/pkiks-keygen "$1" --bits 2048 --usage both --socket "$PKIKS_SOCKET" \
		>"$2" 2>>"$T/keygen.log" || fail "pkiks-keygen $1"
}

same_pub() { # A.pem B.pem: the same public key?
	cmp -s <(openssl pkey -pubin -in "$1" -outform DER 2>/dev/null) \
		<(openssl pkey -pubin -in "$2" -outform DER 2>/dev/null) &&
		[ -s "$1" ]
}

# ---- 1. provider key lookup across a keystore restart ----------------
part_key_reload() {
	local line
	ks_twin_start "$T/ks1" || fail "pkiksd did not start"
	keygen RELOAD "$T/gen1.pem"
	coproc KR { $B/key-reload "$PWD/build/pkiks-provider.so" RELOAD \
		"$T/load1.pem" "$T/load2.pem" 2>"$T/key-reload.err"; }
	COPROC_PID=$KR_PID
	read -r -t 30 line <&"${KR[0]}" || true
	[ "$line" = loaded ] || { cat "$T/key-reload.err" >&2; fail "first load"; }
	same_pub "$T/gen1.pem" "$T/load1.pem" || fail "first load: wrong key"
	# The twin keeps keys in memory: a restart empties it, and the key
	# comes back as pkid would restore it (here: a new key, same name).
	ks_twin_stop
	ks_twin_start "$T/ks1" || fail "pkiksd did not restart"
	# Signing needs authoritative time (pkiksd forgets it on restart).
	$B/pkictl --socket "$PKIKS_SOCKET" clock calendar-valid >/dev/null ||
		fail "pkictl clock calendar-valid"
	keygen RELOAD "$T/gen2.pem"
	echo go >&"${KR[1]}"
	local pid=$COPROC_PID rc
	wait "$pid"
	rc=$?
	COPROC_PID=
	[ "$rc" = 0 ] || { cat "$T/key-reload.err" >&2; fail "load after restart (exit $rc)"; }
	same_pub "$T/gen2.pem" "$T/load2.pem" || fail "second load: not the new key"
	ks_twin_stop
	echo "ok: provider reloads pkiks:RELOAD after a pkiksd restart in one call"
}

# ---- 2. acknowledged timers survive SIGKILL -------------------------
part_timer_crash() {
	local out n
	ks_twin_start "$T/ks2" || fail "pkiksd did not start"
	out=$($B/timer-arm 8 8 2>"$T/timer-arm.err") || { cat "$T/timer-arm.err" >&2; fail "timer-arm"; }
	kill -KILL "$KS_TWIN_PID"
	wait "$KS_TWIN_PID" 2>/dev/null
	KS_TWIN_PID=
	[ "$out" = "armed 64" ] || fail "timer-arm said '$out'"
	# ks_twin_start waits for a "serving" line: not the killed one's.
	mv "$KS_TWIN_LOG" "$T/pkiksd-killed.log"
	ks_twin_start "$T/ks2" || fail "pkiksd did not restart"
	n=$($B/pkictl --socket "$PKIKS_SOCKET" show timers | grep -c 'robust-')
	[ "$n" = 64 ] || fail "$n of 64 acknowledged timers after SIGKILL"
	ks_twin_stop
	echo "ok: 64 timers armed by 8 threads survive pkiksd SIGKILL"
}

# ---- 3. pkid without /dev/log: no socket per log line -----------------
# 20 SIGHUPs make 20 CONFIG_RELOAD lines; strace counts pkid's datagram
# sockets.  glibc's syslog() without /dev/log makes one per line; pkid
# must make at most the one openlog() makes.  (With a syslog daemon the
# connection is kept, so the bound holds too but proves less.)
part_syslog() {
	local d=$T/log pid i n lines
	mkdir -p "$d"
	ks_twin_start "$d/ks" || fail "pkiksd did not start"
	printf 'control-socket %s/pkid.ctl\n' "$d" >"$d/pkid.conf"
	strace -f -qq -e trace=socket -o "$d/strace.txt" \
		${ROBUST_PKID:-$B/pkid} -f -c "$d/pkid.conf" -s "$d/state" \
		-P "$PWD/build/pkiks-provider.so" >"$d/pkid.log" 2>&1 &
	local tracer=$!
	# Bounded: 100 x 50 ms for pkid to come up under strace.
	for ((i = 0; i < 100; i++)); do
		[ -S "$d/pkid.ctl" ] && break
		sleep 0.05
	done
	pid=$(pgrep -P "$tracer" -x pkid || pgrep -P "$tracer")
	[ -S "$d/pkid.ctl" ] && [ -n "$pid" ] || { cat "$d/pkid.log" >&2; fail "pkid did not start"; }
	for ((i = 0; i < 20; i++)); do
		kill -HUP "$pid"
		sleep 0.05
	done
	# Bounded: 100 x 50 ms for the 20 lines.
	for ((i = 0; i < 100; i++)); do
		lines=$(grep -c CONFIG_RELOAD "$d/pkid.log")
		[ "$lines" -ge 20 ] && break
		sleep 0.05
	done
	kill -TERM "$pid"
	wait "$tracer"
	[ "$lines" -ge 20 ] || fail "pkid logged $lines of 20 reloads"
	n=$(grep -c 'socket(AF_UNIX, SOCK_DGRAM' "$d/strace.txt")
	[ "$n" -le 1 ] || fail "pkid made $n syslog sockets for $lines lines"
	ks_twin_stop
	echo "ok: pkid made $n syslog socket(s) for $lines log lines" \
		"($([ -S /dev/log ] && echo with || echo without) /dev/log)"
}

part_key_reload
part_timer_crash
part_syslog
echo "check-robust: PASS"
