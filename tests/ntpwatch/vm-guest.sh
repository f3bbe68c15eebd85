#!/bin/sh
# pkiks-ntpwatch against the real module in the test VM: installed as
# /tests.sh by vm-ntpwatch.sh (an overlay on the tests/vm initramfs), run
# by tests/vm/init.sh.  Ends with "PKIKS-VM-RESULT: PASS|FAIL n/m".
#
# The VM runs no NTP daemon: timex-probe --sync plays its part, clearing
# STA_UNSYNC and writing maxerror with adjtimex() as chrony would.
N=/bin/pkiks-ntpwatch
P=/bin/timex-probe
S=/sys/kernel/pkiks/clock
W=/tmp/ntpw
mkdir -p $W
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
# check DESC CMD...: CMD must succeed.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
equal() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', want '$3')"; fi
}
field() { sed -n "s/.*$1=\([0-9a-fx]*\).*/\1/p"; }

# once WANT_RC DESC: pkiks-ntpwatch --once with the real adjtimex().
once() {
	$N --once >$W/once.log 2>&1
	rc=$?
	if [ $rc -eq "$1" ]; then ok "$2"; else
		bad "$2 (exit $rc, want $1)"
		sed 's/^/    /' $W/once.log
	fi
}

# wait_source VALUE: up to 10 s for sysfs clock/source to read VALUE.
wait_source() {
	i=0
	while [ "$(cat $S/source)" != "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat $S/source)" = "$1" ]
}

for m in $(cat /modules.order); do
	insmod "/lib/modules/$m" 2>/dev/null || grep -q "^${m%.ko} " /proc/modules
done
equal "pkiks.ko loaded, clock/source none" "$(cat $S/source)" none

# 1. At boot the kernel clock is unsynchronised: nothing is reported.
status=$($P | field status)
equal "boot: STA_UNSYNC set (timex-probe)" $((status & 0x40)) 64
once 2 "unsynchronised kernel clock: --once reports nothing"
equal "clock/source stays none" "$(cat $S/source)" none
check "logged as not synchronised" grep -q 'not synchronised' $W/once.log

# 2. "NTP" synchronises the clock: reported, the gate says ntp.
check "adjtimex(ADJ_STATUS|ADJ_MAXERROR) clears STA_UNSYNC" $P --sync
once 0 "synchronised kernel clock: --once reports it"
equal "clock/source is ntp" "$(cat $S/source)" ntp
equal "clock/authoritative is 1" "$(cat $S/authoritative)" 1
probe=$($P)
got=$(grep -o 'state=[0-9]* status=0x[0-9a-f]*' $W/once.log)
equal "the tool reports what the kernel says" "$got" "${probe% maxerror*}"

# 3. A step: the module revokes, and the kernel's ntp_clear() shows.
date -s "@$(($(date +%s) + 3600))" >/dev/null
check "date -s revokes authority" wait_source none
status=$($P | field status)
equal "after the step STA_UNSYNC is set again (ntp_clear)" $((status & 0x40)) 64
once 2 "after the step: nothing reported until NTP syncs again"
equal "clock/source still none" "$(cat $S/source)" none

# 4. The daemon, and a step immediately "re-synchronised": it waits one
#    interval after seeing the revocation before reporting again.
$N --foreground --interval 1 >$W/daemon.log 2>&1 &
dpid=$!
$P --sync >/dev/null
check "daemon reports NTP sync" wait_source ntp
date -s "@$(($(date +%s) + 3600))" >/dev/null
t_step=$(cat $S/now) # forward step: now is the new realtime
$P --sync >/dev/null # an NTP daemon re-declaring sync at once
check "the second step revokes" wait_source none
check "re-reported after the step settled" wait_source ntp
check "revocation logged" grep -q 'no longer authoritative' $W/daemon.log
since=$(cat $S/since)
if [ -n "$t_step" ]; then
	gap=$(((since - t_step) / 1000000))
	echo "    re-reported $gap ms after the step (interval 1000 ms)"
	check "not re-reported within one interval" [ "$gap" -ge 900 ]
fi
kill $dpid
wait $dpid
equal "daemon exits 0 on SIGTERM" $? 0
sed 's/^/    log: /' $W/daemon.log

total=$((pass + fail))
if [ $fail -eq 0 ] && [ $pass -gt 0 ]; then
	echo "PKIKS-VM-RESULT: PASS $pass/$total"
else
	echo "PKIKS-VM-RESULT: FAIL $pass/$total"
fi
