#!/bin/bash
# bench-peers: micromdm's scepserver and pkid (RA and single-key, `database
# level complete` and `minimum`) alternately, 1 and 8 clients, scep-bench
# as the load generator, each run against a fresh server; then one table:
# medians over the rounds, failures summed (never hidden), the ratio to
# micromdm and to the physical limit, the load generator's CPU share.
#   ROUNDS=3 N1=200 N8=400 CLIENTS="1 8" ONLY="server..."
# Before/after a change: ONLY="pkid-ra-complete@old pkid-ra-complete"
# BUILD_old=/path/to/an/older/build (make B=/path/to/an/older/build).
# Ports: pkid 18320 (tests/ca/lib.sh's helpers), scepserver 18321.
set -u
ROUNDS=${ROUNDS:-3} N1=${N1:-200} N8=${N8:-400} CLIENTS=${CLIENTS:-"1 8"}
SERVERS=${ONLY:-"micromdm pkid-ra-complete pkid-single-complete pkid-ra-minimum pkid-single-minimum"}
B=build/bin
OUT=$(mktemp -d /tmp/pkid-peers.XXXXXX)
CHALLENGE=peers-bench-pw
# 8 client keys are plenty (each enrollment still has its own CSR and
# subject); the limit is measured in every run, 1 s each.
BENCH_ARGS="--keys 8 --limit-seconds 1"
trap '[ -z "${KEEP:-}" ] && rm -rf "$OUT"' EXIT
HZ=$(getconf CLK_TCK)

# CPU time (user + system, clock ticks) of the server's processes: on a
# shared machine the rate follows the other jobs, the CPU an enrollment
# costs much less so (pkid: pkid and pkiksd; micromdm: scepserver).
cpu_ticks() { # PID...
	local p t=0 v
	for p in "$@"; do
		v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo $t
}
# cpu_report T0 T1 N LOG: server CPU ms per enrollment sent, for the table
cpu_report() {
	echo "$(((($2 - $1) * 100000 / HZ) / $3))" >"$4.cpu" # 1/100 ms
}

command -v scepserver >/dev/null ||
	{ echo "bench-peers: no scepserver (apt-get install scep)" >&2; exit 1; }

# micromdm: a fresh depot and CA per run, the same static challenge.
run_micromdm() { # CLIENTS N LOG
	local d port=18321 pid i rc
	d=$(mktemp -d /tmp/pkid-peers-mdm.XXXXXX)
	(cd "$d" && scepserver ca -init -depot "$d/depot" -keySize 2048 \
		-organization pkid-bench >"$d/init.log" 2>&1) ||
		{ cat "$d/init.log" >&2; rm -rf "$d"; return 1; }
	scepserver -depot "$d/depot" -port $port -challenge "$CHALLENGE" \
		-crtvalid 30 >"$d/server.log" 2>&1 &
	pid=$!
	# Bounded: 100 x 50 ms.
	for ((i = 0; i < 100; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/scep?operation=GetCACaps" && break
		sleep 0.05
	done
	local t0 t1
	t0=$(cpu_ticks $pid)
	$B/scep-bench --url "http://127.0.0.1:$port/scep" -n "$2" -c "$1" \
		$BENCH_ARGS --challenge "$CHALLENGE" >"$3" 2>"$3.err"
	rc=$?
	t1=$(cpu_ticks $pid)
	cpu_report "$t0" "$t1" "$2" "$3"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -c "could not convert to serial number" "$d/server.log" >"$3.serial-races"
	rm -rf "$d"
	return $rc
}

# pkid through tests/ca/lib.sh (its own twin, temp dir and cleanup), in a
# subshell so every run starts from nothing.
run_pkid() { # MODE LEVEL CLIENTS N LOG [BINDIR]
	(
		. tests/ca/lib.sh
		# another build of pkid (bindir), the rest of the tools from
		# build/bin; lib.sh wants PKID_BUILD relative to $PWD
		if [ -n "${6:-}" ]; then
			PKID_BUILD=$(realpath --relative-to="$PWD" "$6")
			B=$6/bin
		fi
		ca_setup 18320
		ca_conf "grant auto" "password $CHALLENGE"
		sed -i "s/database level complete/database level $2/" "$T/pkid.conf"
		if [ "$1" = single ]; then ca_start -m single; else ca_start; fi
		t0=$(cpu_ticks "$PKID_PID" "$KS_TWIN_PID")
		$B/scep-bench --url "$URL" -n "$4" -c "$3" \
			$BENCH_ARGS --challenge "$CHALLENGE" >"$5" 2>"$5.err"
		rc=$?
		cpu_report "$t0" "$(cpu_ticks "$PKID_PID" "$KS_TWIN_PID")" "$4" "$5"
		exit $rc
	)
}

# BUILD_<name>=DIR: a pkid build to compare (make B=DIR); the directory
# handed to lib.sh is laid out as a build: bin/ has that pkid and build/bin's
# other tools, and pkiks-provider.so is that build's if it has one (its
# keystore client), else ours.
bindir() {
	local var=BUILD_$1 d=$OUT/build-$1 f
	[ -x "${!var:-}/bin/pkid" ] || { echo "no \$$var/bin/pkid" >&2; return 1; }
	if [ ! -d "$d" ]; then
		mkdir -p "$d/bin"
		for f in "$PWD"/build/bin/*; do ln -s "$f" "$d/bin/"; done
		# a copy, not a link: pkid finds pkiks-keygen next to itself
		rm -f "$d/bin/pkid"
		cp "${!var}/bin/pkid" "$d/bin/pkid"
		f=${!var}/pkiks-provider.so
		[ -f "$f" ] || f=$PWD/build/pkiks-provider.so
		cp "$f" "$d/"
	fi
	echo "$d"
}

run_one() { # SERVER CLIENTS N LOG
	case $1 in
	micromdm) run_micromdm "$2" "$3" "$4" ;;
	pkid-*-*)
		# pkid-MODE-LEVEL, or pkid-MODE-LEVEL@NAME for the build
		# that BUILD_NAME names (a directory of binaries)
		local m=${1#pkid-} dir=
		case $m in *@*)
			dir=$(bindir "${m#*@}") || return 1
			m=${m%@*}
			;;
		esac
		run_pkid "${m%-*}" "${m#*-}" "$2" "$3" "$4" "$dir"
		;;
	esac
}

echo "bench-peers: $ROUNDS rounds; servers alternate within each round"
echo "  machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for ((r = 1; r <= ROUNDS; r++)); do
	for c in $CLIENTS; do
		n=$N1
		[ "$c" -gt 1 ] && n=$N8
		for s in $SERVERS; do
			log=$OUT/$s.c$c.r$r
			# the machine's load as the run starts (shared machines)
			load1=$(cut -d' ' -f1 /proc/loadavg)
			run_one "$s" "$c" "$n" "$log"
			rc=$?
			res=$(grep '^RESULT' "$log" 2>/dev/null)
			load=$(grep '^LOAD' "$log" 2>/dev/null)
			if [ -z "$res" ]; then
				# No figures at all: the run itself broke.
				echo "round $r $s c=$c: no report (exit $rc)"
				tail -n 5 "$log.err" 2>/dev/null | sed 's/^/    /'
				echo "$s $c NA NA NA NA NA $n $n NA $r $load1" >>"$OUT/rows"
				continue
			fi
			failed=0 of=$n loadgen_share=NA
			eval "${res#RESULT }"
			eval "${load#LOAD }"
			# shellcheck disable=SC2154 # set by the evals above
			why=$(grep -v "enrollments failed\|failed: " "$log.err" 2>/dev/null | sed 's/^scep-bench: [^:]*: //' | sort | uniq -c | sort -rn | head -n 2 | tr -s ' ' | tr '\n' ';')
			cpu=$(cat "$log.cpu" 2>/dev/null || echo NA)
			echo "round $r $s c=$c (load $load1): $enrollments_per_s/s p50 $p50_ms ms p99 $p99_ms ms limit $limit_per_s/s failed $failed/$of loadgen $loadgen_share server CPU ${cpu}/100 ms per enrollment${why:+ (failures: $why)}"
			echo "$s $c $enrollments_per_s $p50_ms $p99_ms $limit_per_s $loadgen_share $failed $of $cpu $r $load1" >>"$OUT/rows"
		done
	done
done

python3 - "$OUT/rows" <<'PY'
import statistics, sys
rows = {}
limits = []
rates = {}  # (server, clients, round) -> rate, for same-round ratios
for line in open(sys.argv[1]):
    f = line.split()
    s, c, rate, p50, p99, limit, share, failed, of = f[:9]
    cpu = f[9] if len(f) > 9 else "NA"
    rnd = f[10] if len(f) > 10 else "1"
    load = f[11] if len(f) > 11 else "NA"
    r = rows.setdefault((s, int(c)), {"rate": [], "p50": [], "p99": [],
                                       "share": [], "cpu": [], "failed": 0,
                                       "of": 0, "of_limit": [], "load": []})
    if cpu != "NA":
        r["cpu"].append(int(cpu) / 100)
    if load != "NA":
        r["load"].append(float(load))
    r["failed"] += int(failed)
    r["of"] += int(of)
    if rate != "NA":
        r["rate"].append(float(rate)); r["p50"].append(float(p50))
        r["p99"].append(float(p99)); r["share"].append(float(share))
        limits.append(float(limit))
        # the run's own limit, measured by scep-bench in the same run
        if float(limit) > 0:
            r["of_limit"].append(float(rate) / float(limit))
        rates[(s, int(c), rnd)] = float(rate)
med = lambda v: statistics.median(v) if v else float("nan")
limit = med(limits)
def vs_mdm(s, c):
    """pkid / micromdm of the same round and client count, median."""
    v = [rate / rates[("micromdm", c2, rnd)]
         for (s2, c2, rnd), rate in rates.items()
         if s2 == s and c2 == c and rates.get(("micromdm", c2, rnd), 0) > 0]
    return med(v)
print()
print("| server | clients | enrollments/s | p50 ms | p99 ms | failed | "
      "× micromdm | of the limit | load generator CPU | server CPU ms per enrollment | load |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (s, c), r in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0] != "micromdm", kv[0][0])):
    rate = med(r["rate"])
    ratio = "—" if s == "micromdm" else f"{vs_mdm(s, c):.2f}"
    print(f"| {s} | {c} | {rate:.1f} | {med(r['p50']):.1f} | "
          f"{med(r['p99']):.1f} | {r['failed']} of {r['of']} | {ratio} | "
          f"{med(r['of_limit']):.2f} | {100 * med(r['share']):.0f} % | "
          f"{med(r['cpu']):.2f} | {med(r['load']):.1f} |")
print()
print(f"physical limit (median of every run's measure): {limit:.0f} enrollments/s")
print("medians over the rounds; enrollments/s counts successful enrollments only;")
print("× micromdm: each round's rate over micromdm's in the same round, median;")
print("of the limit: each run's rate over the limit scep-bench measured in that")
print("run, median; load: the 1-minute load average as each run started, median")
print("failed: every enrollment that did not come back SUCCESS with its certificate")
print("server CPU: user + system time of the server's processes during the run")
print("(pkid + pkiksd; scepserver) over the enrollments sent, median of the rounds")
PY
