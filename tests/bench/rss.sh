#!/bin/bash
# bench-rss: pkid's memory (VmRSS and VmHWM from /proc/PID/status) with a
# nearly empty database and with 100,000 (COUNT=...) issued certificates,
# idle (1 s after start) and while serving a storm of N enrollments by C
# concurrent clients (crash-storm; VmRSS sampled every 20 ms, its maximum
# and VmHWM after the storm reported).
. tests/ca/lib.sh
. tests/bench/lib.sh
COUNT=${COUNT:-100000} N=${N:-200} C=${C:-8}
bench_ca 18751

kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$PKID_PID/status"; }

# row LABEL: start pkid, idle figures, storm, serving figures, stop.
row() {
	local idle hwm max=0 r storm i
	ca_start
	sleep 1
	idle=$(kb VmRSS)
	hwm=$(kb VmHWM)
	$B/crash-storm --url "$URL" --out "$T/out" --keys "$T/keys" -n "$N" \
		-c "$C" >"$T/storm.out" 2>&1 &
	storm=$!
	# Bounded: 3000 x 20 ms.
	for ((i = 0; i < 3000; i++)); do
		kill -0 "$storm" 2>/dev/null || break
		r=$(kb VmRSS)
		[ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r
		sleep 0.02
	done
	wait "$storm" || { cat "$T/storm.out"; fail "$1: storm"; }
	printf '  %-30s %10s %10s %14s %14s\n' "$1" "$idle" "$hwm" "$max" "$(kb VmHWM)"
	ca_kill TERM || fail "pkid did not stop"
}

echo "bench-rss: pkid memory in kB ($N enrollments by $C clients while serving)"
printf '  %-30s %10s %10s %14s %14s\n' database idle_rss idle_hwm serving_max_rss serving_hwm
row "$(sqlite3 "$T/state/pkid.db" 'SELECT count(*) FROM cert') certificates"
populate "$COUNT" 0
row "$(sqlite3 "$T/state/pkid.db" 'SELECT count(*) FROM cert') certificates"
