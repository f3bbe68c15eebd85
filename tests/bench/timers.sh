#!/bin/bash
# bench-timers: keystore timer firing delay on a private pkiksd twin (real
# clock, declared calendar-valid by timer-delay): one timer, bursts due at
# one instant, and timers spread over an interval.
#
# pkiksd rewrites and fsyncs its timer file on every change, so arming
# costs a disk flush; on a shared, busy disk that varies from a few to a
# hundred milliseconds.  The twin runs twice: with its state on disk (a
# few timers), and with its state on tmpfs (/dev/shm), which measures the
# timer mechanism itself for larger batches.  The module's figure comes
# from the VM: the same build/bin/timer-delay with pkiks.ko loaded and no
# PKIKS_SOCKET.
set -u
. tests/lib/keystore.sh
T=
cleanup() {
	ks_twin_stop
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT

# table WHERE DIR RUNS...: one pkiksd with its state in DIR, one row a run.
table() {
	local where=$1 run
	T=$(mktemp -d "$2/pkid-bench-timers.XXXXXX")
	shift 2
	ks_twin_start "$T/ks" || { echo "FAIL: pkiksd did not start" >&2; exit 1; }
	for run in "$@"; do
		set -- $run
		printf '%-6s ' "$where"
		build/bin/timer-delay -n "$1" -s "$2" -l 300 2>>"$T/err" ||
			{ cat "$T/err" >&2; echo "FAIL: timer-delay -n $1 -s $2" >&2; exit 1; }
	done
	ks_twin_stop
	rm -rf "$T"
	T=
}

echo "bench-timers: keystore timer delay = event arrival - deadline (pkiksd twin, $(nproc) cores)"
printf '%-6s %-8s %-10s %10s %10s %10s %10s %10s\n' state timers spread_ms \
	p50_us p99_us max_us clock_err_us arm_ms
table disk /tmp "1 0" "10 0" "10 1000"
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=/tmp
table tmpfs "$shm" "1 0" "100 0" "100 1000" "200 0"
