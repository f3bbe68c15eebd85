#!/bin/bash
# check-ntpwatch: pkiks-ntpwatch end to end against a private pkiksd.
#
#  1. the decision's unit tests (CUnit, synthetic states);
#  2. --once with the test input --timex-file: unsynchronised, TIME_ERROR
#     and too-large maxerror snapshots leave the gate alone; a synchronised
#     one makes it authoritative with source ntp (pkictl show clock --json);
#  3. bad input and a caller that may not set the clock get clear errors;
#  4. the daemon: grants, keeps authority when sync is lost, and after a
#     revocation re-asserts only one interval later and only when synced;
#  5. the real adjtimex() of this host: what the tool logs matches the
#     test's own probe, and the gate follows it.
#
# The kernel path (pkiks.ko, a real STA_UNSYNC cleared with adjtimex) runs
# in the VM: tests/ntpwatch/vm-step.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/keystore.sh

BIN=${BIN:-build/bin}
NTPW=$BIN/pkiks-ntpwatch
tmp=$(mktemp -d)
chmod 0711 "$tmp"
export PKIKS_QUIET=1
fail=0
watch_pid=
step() { echo "--- $*"; }
bad() { echo "FAIL: $*"; fail=1; }
cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid"
	ks_twin_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

# timex FILE STATE STATUS MAXERROR_US: write a test snapshot.
timex() {
	printf '# test snapshot\nstate %s\nstatus %s\nmaxerror %s\nesterror 1000\n' \
		"$2" "$3" "$4" >"$1.new" && mv "$1.new" "$1"
}

# clock FIELD: one field of the keystore's clock.
clock() { "$BIN/pkictl" show clock --json | jq -r ".$1"; }

# expect_once WANT_RC LOG ARGS...: run --once, check the exit status.
expect_once() {
	local want=$1 log=$2 rc
	shift 2
	timeout 20 "$NTPW" --once "$@" 2>"$log"
	rc=$?
	[ $rc -eq "$want" ] || { bad "--once $* exited $rc, want $want"; cat "$log"; }
}

# wait_clock FIELD VALUE SECONDS: poll until the field has the value.
wait_clock() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		[ "$(clock "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_log PATTERN FILE SECONDS: poll until the file has a matching line.
wait_log() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$1" "$2" && return 0
		sleep 0.05
	done
	return 1
}

step "decision unit tests"
"$BIN/test-ntpwatch" >"$tmp/unit.log" 2>&1 || { bad "test-ntpwatch"; cat "$tmp/unit.log"; }
grep -E '^ +(tests|asserts) ' "$tmp/unit.log"

ks_twin_start "$tmp/ks" || exit 1

step "--once: not synchronised snapshots change nothing"
tx=$tmp/timex
timex "$tx" TIME_ERROR 0x0041 16000000
expect_once 2 "$tmp/once1.log" --timex-file "$tx"
grep -q 'not synchronised (TIME_ERROR)' "$tmp/once1.log" || bad "TIME_ERROR not logged"
timex "$tx" TIME_OK 0x2041 5000
expect_once 2 "$tmp/once2.log" --timex-file "$tx"
grep -q 'not synchronised (STA_UNSYNC)' "$tmp/once2.log" || bad "STA_UNSYNC not logged"
timex "$tx" TIME_OK 0x2001 2500000
expect_once 2 "$tmp/once3.log" --timex-file "$tx"
grep -q 'maxerror above the threshold' "$tmp/once3.log" || bad "maxerror not logged"
# Under the default (2000 ms) but above a tighter --max-error-ms.
timex "$tx" TIME_OK 0x2001 1500000
expect_once 2 "$tmp/once3b.log" --timex-file "$tx" --max-error-ms 1499
grep -q 'threshold 1499 ms' "$tmp/once3b.log" || bad "threshold not applied"
[ "$(clock authoritative)" = false ] && [ "$(clock source)" = none ] ||
	bad "an unsynchronised snapshot changed the gate"

step "--once: a synchronised snapshot makes the gate authoritative (ntp)"
timex "$tx" TIME_OK 0x2001 12000
expect_once 0 "$tmp/once4.log" --timex-file "$tx"
grep -q 'TEST INPUT' "$tmp/once4.log" || bad "test input not announced"
grep -q 'reported NTP synchronisation' "$tmp/once4.log" || bad "report not logged"
[ "$(clock authoritative)" = true ] && [ "$(clock source)" = ntp ] ||
	bad "gate not authoritative/ntp: $("$BIN/pkictl" show clock --json)"
expect_once 0 "$tmp/once5.log" --timex-file "$tx"
grep -q 'already authoritative' "$tmp/once5.log" || bad "second run not idle"
! grep -q 'reported' "$tmp/once5.log" || bad "second run reported again"
ks_twin_stop

step "bad input gets a clear error"
ks_twin_start "$tmp/ks2" || exit 1
printf 'state TIME_OK\nstatus 0x2001\nmaxerror twelve\nesterror 1\n' >"$tmp/bad1"
expect_once 4 "$tmp/bad1.log" --timex-file "$tmp/bad1"
grep -q "bad1:3: bad line" "$tmp/bad1.log" || bad "bad line not named"
printf 'state TIME_OK\nstatus 0x2001\n' >"$tmp/bad2"
expect_once 4 "$tmp/bad2.log" --timex-file "$tmp/bad2"
grep -q 'a key is missing' "$tmp/bad2.log" || bad "missing key not said"
expect_once 4 "$tmp/bad3.log" --timex-file "$tmp/nonexistent"
grep -q 'No such file' "$tmp/bad3.log" || bad "missing file not said"
for args in "--interval 0" "--interval 3601" "--max-error-ms x" \
	"--max-error-ms 16001" "--bogus" "extra"; do
	# shellcheck disable=SC2086
	expect_once 1 "$tmp/usage.log" $args
done
grep -q 'unexpected argument' "$tmp/usage.log" || bad "stray argument not said"
expect_once 3 "$tmp/nosock.log" --socket "$tmp/none.sock" --timex-file "$tx"
grep -q 'keystore unreachable' "$tmp/nosock.log" || bad "unreachable not said"

step "a caller that may not set the clock is refused"
timex "$tx" TIME_OK 0x2001 12000
chmod 0644 "$tx"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	timeout 20 "$NTPW" --once --timex-file "$tx" 2>"$tmp/nobody.log"
rc=$?
[ $rc -eq 3 ] || { bad "unprivileged --once exited $rc, want 3"; cat "$tmp/nobody.log"; }
grep -q 'refused CLOCK_SET ntp: Operation not permitted' "$tmp/nobody.log" ||
	bad "refusal not said"
[ "$(clock authoritative)" = false ] || bad "an unprivileged report was taken"
ks_twin_stop

step "the unit: sandbox rating, syntax, and CAP_SYS_TIME is all it needs"
unit=packaging/systemd/pkiks-ntpwatch.service
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/sbin/pkiks-ntpwatch|$PWD/$NTPW|" "$unit" >"$tmp/pkiks-ntpwatch.service"
	systemd-analyze verify --man=no "$tmp/pkiks-ntpwatch.service" ||
		bad "systemd-analyze verify"
	out=$(cd packaging/systemd && systemd-analyze security --offline=true \
		--threshold=20 pkiks-ntpwatch.service 2>&1) || bad "exposure over 2.0"
	grep 'Overall exposure' <<<"$out"
fi
for line in "CapabilityBoundingSet=CAP_SYS_TIME" "NoNewPrivileges=yes" \
	"ProtectSystem=strict" "SystemCallFilter=@system-service adjtimex" \
	"RestrictAddressFamilies=AF_UNIX AF_NETLINK"; do
	grep -qxF "$line" "$unit" || bad "unit lacks $line"
done
! grep -q '^ProtectClock=yes' "$unit" || bad "ProtectClock=yes forbids adjtimex()"
ks_twin_start "$tmp/ks5" || exit 1
# As the unit runs it: root, CAP_SYS_TIME alone, no new privileges; the
# real adjtimex() too (a query needs no capability).
setpriv --bounding-set=-all,+sys_time --inh-caps=-all --no-new-privs \
	timeout 20 "$NTPW" --once 2>"$tmp/caps-real.log"
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 2 ] || { bad "sandboxed real --once exited $rc"; cat "$tmp/caps-real.log"; }
setpriv --bounding-set=-all,+sys_time --inh-caps=-all --no-new-privs \
	timeout 20 "$NTPW" --once --timex-file "$tx" 2>"$tmp/caps.log"
rc=$?
[ $rc -eq 0 ] && [ "$(clock source)" = ntp ] ||
	{ bad "with CAP_SYS_TIME only: exit $rc, source $(clock source)"; cat "$tmp/caps.log"; }
ks_twin_stop

step "daemon: grants, keeps authority without sync, settles after a revocation"
ks_twin_start "$tmp/ks3" || exit 1
since_file=$tmp/ks3/state/status/clock/since
timex "$tx" TIME_OK 0x2001 12000
"$NTPW" --foreground --interval 1 --timex-file "$tx" 2>"$tmp/daemon.log" &
watch_pid=$!
wait_clock source ntp 5 || bad "daemon did not report within 5 s"

# Rule 4: losing sync does not revoke (two polls at least: the one that
# logs the loss, then 1.5 intervals more).
timex "$tx" TIME_ERROR 0x0041 16000000
wait_log 'not synchronised (TIME_ERROR)' "$tmp/daemon.log" 10 || bad "loss of sync not logged"
sleep 1.5
[ "$(clock source)" = ntp ] || bad "losing NTP sync revoked the gate"

# Revoked while unsynchronised: nothing is reported until sync returns.
"$BIN/ks-revoke" >/dev/null || bad "ks-revoke"
wait_log 'no longer authoritative' "$tmp/daemon.log" 10 || bad "revocation not logged"
sleep 1.5 # another poll, still unsynchronised
[ "$(clock authoritative)" = false ] || bad "re-asserted without NTP sync"
timex "$tx" TIME_OK 0x2001 12000
wait_clock source ntp 5 || bad "not re-asserted after sync returned"

# Revoked while synchronised: re-asserted, but not before one interval.
t_rev=$("$BIN/ks-revoke") || bad "ks-revoke"
wait_clock source ntp 5 || bad "not re-asserted within 5 s"
since=$(cat "$since_file")
gap_ms=$(((since - t_rev) / 1000000))
echo "re-asserted $gap_ms ms after the revocation (interval 1000 ms)"
[ "$gap_ms" -ge 1000 ] || bad "re-asserted after $gap_ms ms, before one interval"
[ "$gap_ms" -le 4000 ] || bad "re-asserted only after $gap_ms ms"

# pkiksd restarts (a new gate): the daemon reconnects and reports again.
ks_twin_stop
ks_twin_start "$tmp/ks3" || exit 1
wait_clock source ntp 10 || bad "not reported to a restarted pkiksd"

kill -TERM "$watch_pid"
wait "$watch_pid"
rc=$?
watch_pid=
[ $rc -eq 0 ] || bad "daemon exited $rc on SIGTERM"
grep -q 'stopped' "$tmp/daemon.log" || bad "stop not logged"
ks_twin_stop

step "the real adjtimex() of this host"
ks_twin_start "$tmp/ks4" || exit 1
# Read the probe before and after, so that an NTP daemon acting meanwhile
# is seen (and the run retried) instead of failing the comparison.
for ((i = 0; i < 3; i++)); do
	before=$("$BIN/timex-probe") || bad "timex-probe"
	timeout 20 "$NTPW" --once 2>"$tmp/real.log"
	rc=$?
	after=$("$BIN/timex-probe")
	[ "${before% maxerror*}" = "${after% maxerror*}" ] && break
done
echo "host: $before"
got=$(grep -o 'state=[0-9-]* status=0x[0-9a-f]* maxerror_us=[0-9-]*' "$tmp/real.log")
[ "${got% maxerror*}" = "${before% maxerror*}" ] ||
	bad "tool says '$got', probe '$before'"
field() { sed -n "s/.*$1=\([0-9a-fx-]*\).*/\1/p" <<<"$2"; }
me=$(field maxerror_us "$got")
mb=$(field maxerror_us "$before")
ma=$(field maxerror_us "$after")
# maxerror only grows between NTP updates (0.5 ms/s), and caps at 16 s.
[ -n "$me" ] && { [ "$me" -ge "$mb" ] && [ "$me" -le "$ma" ] ||
	[ "$mb" -gt "$ma" ]; } || bad "maxerror $me not between $mb and $ma"
state=$(field state "$before")
status=$(field status "$before")
if [ "$state" != 5 ] && [ $((status & 0x40)) -eq 0 ] && [ "$mb" -le 2000000 ]; then
	want_rc=0 want_auth=true
else
	want_rc=2 want_auth=false
fi
[ $rc -eq $want_rc ] || { bad "real --once exited $rc, want $want_rc"; cat "$tmp/real.log"; }
[ "$(clock authoritative)" = $want_auth ] || bad "gate does not follow the host's sync"
ks_twin_stop

[ $fail -eq 0 ] && echo "check-ntpwatch: all passed"
exit $fail
