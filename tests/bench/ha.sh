#!/bin/bash
# bench-ha (issue 18): enrollments/s through 1, 2 and 3 pkid nodes on one
# PostgreSQL against one SQLite node, and the takeover time after a kill -9
# of the leader (median and worst of TAKEOVERS).  Each node has its own
# pkiksd (one KEK file); tools/scep-bench drives each node with its own
# clients, all nodes at once; the aggregate is all enrollments over the
# longest window.  Ports 18760-18763.  On 2 cores the nodes, their
# keystores, PostgreSQL and the load generator share the same CPUs: the
# RSA private operations (scep-bench prints the machine's limit) bound
# every row, so more nodes cannot show more speed here; see README.
#   N=enrollments per run (default 300), C=clients per node (default 4),
#   TAKEOVERS=kills (default 7)
CA_PG=1
. tests/ca/lib.sh
. tests/lib/pg.sh

N=${N:-300}
C=${C:-4}
TAKEOVERS=${TAKEOVERS:-7}
CH=bench-ha-secret
NODES="a b c"
declare -A PORT=([a]=18761 [b]=18762 [c]=18763 [s]=18760) PID=() KSPID=()
T=$(mktemp -d /tmp/pkid-bench-ha.XXXXXX)
OUT=${OUT:-build/bench-ha.txt}
bh_cleanup() {
	local n
	for n in $NODES s; do
		[ -n "${PID[$n]:-}" ] && kill -KILL "${PID[$n]}" 2>/dev/null
		[ -n "${KSPID[$n]:-}" ] && kill -KILL "${KSPID[$n]}" 2>/dev/null
	done
	wait 2>/dev/null
	pg_stop
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
pg_start || fail "PostgreSQL did not start"
trap bh_cleanup EXIT
head -c 32 /dev/urandom >"$T/kek" && chmod 0600 "$T/kek" || fail "kek"

url() { echo "http://127.0.0.1:${PORT[$1]}/cgi-bin/pkiclient.exe"; }
role() { $B/ctl-call "$T/$1/pkid.ctl" --json "show server" $CA_NAME 2>/dev/null |
	jq -r '.role // ""'; }

node_conf() { # node_conf NODE pg|sqlite
	mkdir -p "$T/$1"
	{
		echo "clock calendar-valid"
		echo "ip http server ${PORT[$1]}"
		echo "control-socket $T/$1/pkid.ctl"
		echo "crypto pki server $CA_NAME"
		echo " issuer-name CN=pkid bench-ha CA,O=pkid"
		echo " grant auto"
		echo " password $CH"
		echo " ra-certificate none"
		echo " database url $T/$1/db"
		echo " database level minimum"
		if [ "$2" = pg ]; then
			echo " database connection $PKID_TEST_PG_URL"
			echo " database credentials $PGPASSFILE"
		fi
		echo " no shutdown"
	} >"$T/$1/pkid.conf"
}

node_start() {
	local n=$1 i
	PKIKS_SOCKET=$T/$n/ks/pkiksd.sock $B/pkid -f -c "$T/$n/pkid.conf" -s "$T/$n/state" \
		-P "$PWD/${PKID_BUILD:-build}/pkiks-provider.so" >>"$T/$n/pkid.log" 2>&1 &
	PID[$n]=$!
	for ((i = 0; i < 400; i++)); do
		curl -sf -o /dev/null "$(url $n)?operation=GetCACert" && return 0
		kill -0 "${PID[$n]}" 2>/dev/null || { tail "$T/$n/pkid.log"; fail "node $n exited"; }
		sleep 0.05
	done
	fail "node $n: no GetCACert in 20 s"
}

node_stop() {
	[ -n "${PID[$1]:-}" ] || return 0
	kill -TERM "${PID[$1]}" 2>/dev/null
	{ wait "${PID[$1]}"; } 2>/dev/null
	PID[$1]=
}

for n in $NODES s; do
	KS_TWIN_ARGS="--kek-file $T/kek" ks_twin_start "$T/$n/ks" --lab || fail "pkiksd $n"
	KSPID[$n]=$KS_TWIN_PID
	KS_TWIN_PID=
done
node_conf s sqlite
for n in $NODES; do node_conf $n pg; done

# run NODES...: N enrollments split over the nodes, all at once.
run() {
	local n k=$# total=0 win=0 each=$((N / $#)) w r f p pids=()
	for n in "$@"; do
		$B/scep-bench --url "$(url $n)" -n $each -c $C --challenge "$CH" \
			>"$T/bench-$n.out" 2>"$T/bench-$n.err" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for n in "$@"; do
		r=$(sed -n 's/^scep-bench: \([0-9]*\) enrollments.*/\1/p' "$T/bench-$n.out")
		w=$(sed -n 's/.*throughput: [0-9.]* enrollments\/s (\([0-9.]*\) s window).*/\1/p' "$T/bench-$n.out")
		f=$(sed -n 's/^LOAD failed=\([0-9]*\) .*/\1/p' "$T/bench-$n.out")
		[ -n "$r" ] && [ -n "$w" ] || { cat "$T/bench-$n.err"; fail "scep-bench on $n"; }
		total=$((total + r - ${f:-0}))
		win=$(echo "if ($w > $win) $w else $win" | bc -l)
	done
	printf '%s\t%d\t%.1f\t%s\n' "$k" "$total" "$(echo "$total / $win" | bc -l)" \
		"$(sed -n 's/.*physical limit: \([0-9]*\) RSA.*/\1/p' "$T/bench-$1.out")"
}

{
	echo "bench-ha: $N enrollments per row, $C clients per node, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "| setup | nodes | enrollments | enrollments/s |"
	echo "|---|---|---|---|"
} | tee "$OUT"
node_start s
r=$(run s) && echo "| SQLite | 1 | $(echo "$r" | cut -f2) | $(echo "$r" | cut -f3) |" | tee -a "$OUT"
node_stop s
node_start a
started="a"
for n in b c; do
	r=$(run $started) && echo "| PostgreSQL | $(echo "$r" | cut -f1) | $(echo "$r" | cut -f2) | $(echo "$r" | cut -f3) |" | tee -a "$OUT"
	node_start $n
	started="$started $n"
done
r=$(run $started) && echo "| PostgreSQL | 3 | $(echo "$r" | cut -f2) | $(echo "$r" | cut -f3) |" | tee -a "$OUT"
echo "RSA-2048 private ops/s on this machine (scep-bench, last row): $(echo "$r" | cut -f4)" | tee -a "$OUT"

# Takeover: kill -9 the leader, time until another node says leader
# (show server, polled every 20 ms), restart the killed node.
times=()
for ((k = 0; k < TAKEOVERS; k++)); do
	lead=
	for ((i = 0; i < 100; i++)); do
		for n in $NODES; do [ "$(role $n)" = leader ] && lead=$n; done
		[ -n "$lead" ] && break
		sleep 0.1
	done
	[ -n "$lead" ] || fail "no leader"
	kill -KILL "${PID[$lead]}"
	t0=$(date +%s.%N)
	{ wait "${PID[$lead]}"; } 2>/dev/null
	PID[$lead]=
	new=
	for ((i = 0; i < 1000; i++)); do
		for n in $NODES; do
			[ "$n" != "$lead" ] && [ "$(role $n)" = leader ] && new=$n
		done
		[ -n "$new" ] && break
		sleep 0.02
	done
	[ -n "$new" ] || fail "no takeover in 20 s"
	times+=("$(echo "$(date +%s.%N) - $t0" | bc -l)")
	node_start $lead
done
printf '%s\n' "${times[@]}" | sort -n >"$T/times"
med=$(awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}' "$T/times")
worst=$(tail -1 "$T/times")
printf 'takeover after kill -9 of the leader (%d kills, 3 nodes): median %.2f s, worst %.2f s\n' \
	"$TAKEOVERS" "$med" "$worst" | tee -a "$OUT"
echo "bench-ha: written to $OUT"
