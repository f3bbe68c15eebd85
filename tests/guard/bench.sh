#!/bin/bash
# bench-guard: a legitimate client's HTTP latency (curl time_total) while
# another namespace floods the port with SYNs from N source addresses,
# with and without the guard (see lib.sh for the lab).  Needs root.
#
#   tests/guard/bench.sh BIN_DIR [REQUESTS]
#
# The guard runs at 20 SYN/s per source, burst 20; the client asks 10 times
# a second, within that.  The flood sends as fast as one sender thread can.
set -uo pipefail
BIN=${1:?usage: bench.sh BIN_DIR [REQUESTS]}
REQS=${2:-100}
cd "$(dirname "$0")/../.." || exit 1
. tests/guard/lib.sh
trap lab_down EXIT

[ "$(id -u)" = 0 ] || fail "bench-guard needs root (network namespaces, BPF)"

# REQS requests, 0.1 s apart; one time_total (ms) per line, or "fail".
client_times() {
	local i t
	for ((i = 0; i < REQS; i++)); do
		t=$(in_c curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' \
			http://10.201.1.1:$PORT/)
		[ "${t%% *}" = 200 ] && echo "${t#* }" | awk '{print $1 * 1000}' ||
			echo fail
		sleep 0.1
	done
}

# p50 p90 p99 max failed, from client_times' lines
percentiles() {
	grep -v fail "$1" | sort -n | awk -v failed="$(grep -c fail "$1")" '
		{ v[NR] = $1 }
		function p(q) { i = int(q * NR + 0.999); if (i < 1) i = 1; return v[i] }
		END { if (NR == 0) { print "- - - - " failed; exit }
		      printf "%8.2f %8.2f %8.2f %8.2f %6d\n", p(.5), p(.9), p(.99), v[NR], failed }'
}

# A TcpExt counter of the server's stack (/proc/net/netstat).
tcpext() {
	in_s cat /proc/net/netstat | awk -v f="$1" '
		$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1; next }
		$1 == "TcpExt:" { print $c; exit }'
}

# case GUARD(on|off) SOURCES
bench_case() {
	local guard=$1 n=$2 flood_pid= secs sent=0 dropped=- c0
	if [ "$guard" = on ]; then
		conf "ip http rate-limit 20 20"
		start_guard
	fi
	secs=$((REQS / 10 + 3))
	c0=$(tcpext SyncookiesSent)
	if [ "$n" -gt 0 ]; then
		flood 10.201.4.0 "$n" 1000000 "$secs" >"$LAB/sent" &
		flood_pid=$!
		sleep 0.5
	fi
	client_times >"$LAB/times"
	if [ -n "$flood_pid" ]; then
		wait "$flood_pid"
		sent=$(cat "$LAB/sent")
	fi
	[ "$guard" = on ] && dropped=$(show | jq .totals.dropped) && stop_guard
	printf "%-6s %8s %10s %10s %10s " "$guard" "$n" "$((sent / secs))" \
		"$dropped" "$(($(tcpext SyncookiesSent) - c0))"
	percentiles "$LAB/times"
}

lab_up
# The flood's sources (10.201.4.0 onwards) must be routable from the
# server, or its stack drops their SYNs without answering (no route for
# the SYN-ACK) and the unguarded case would cost it nothing.
ip -n "$NS_S" route add 10.201.0.0/16 via 10.201.2.2
echo "client: $REQS requests, 10/s; guard: 20 SYN/s per source, burst 20"
printf "%-6s %8s %10s %10s %10s %8s %8s %8s %8s %6s\n" guard sources \
	flood_pps xdp_drops syncookies p50_ms p90_ms p99_ms max_ms failed
for n in 0 100 1000 10000; do
	bench_case off "$n"
	bench_case on "$n"
done
