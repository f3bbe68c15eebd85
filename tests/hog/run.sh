#!/bin/bash
# tests/hog/run.sh: the timing-sensitive checks, N times each, beside a CPU
# hog that occupies every core (one `yes >/dev/null` per core), one row per
# run into a table (docs/TESTING.md shows the last one).
#
#   tests/hog/run.sh [-n N] [-o TABLE] [--no-hog] CHECK...
#
# --no-hog: start none (another runner's, or your own, is running: runners
# in parallel share one hog).  The table's hog column counts the `yes`
# processes running at the start and at the end of each run.
#
# Rounds, not blocks: run 1 of every check, then run 2 ..., so a stopped
# session still has every check sampled.  Checks that make named network
# namespaces (check-guard*) run under the global test lock
# (/tmp/pkid-test.lock); the others in a private network namespace of
# their own (unshare -n, own loopback: their fixed ports meet nobody).
# Each run's output is kept in the table's directory (FILE.d/CHECK.RUN.log).
# Needs root (unshare -n, ip netns).  The checks must be built already
# (make all): the hog should slow the checks, not the build.
set -u
N=10
TABLE=build/hog/runs.tsv
HOG=1
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	-o) TABLE=$2; shift ;;
	--no-hog) HOG= ;;
	-*) sed -n '/^#   tests/s/^# *//p' "$0" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "hog: name the checks" >&2; exit 2; }
case $N in [1-9] | [1-9][0-9]) ;; *) echo "hog: -n: 1 to 99" >&2; exit 2 ;; esac
LOGS=$TABLE.d
mkdir -p "$LOGS"
HOGS=()

stop_hogs() {
	local p
	for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${HOGS[@]}"; do wait "$p" 2>/dev/null; done
	HOGS=()
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

start_hogs() {
	local i
	for ((i = 0; i < $(nproc); i++)); do
		yes >/dev/null &
		HOGS+=($!)
	done
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# run_one CHECK: the check's exit status; its output in $LOG.
run_one() {
	case $1 in
	check-guard*)
		flock /tmp/pkid-test.lock make --no-print-directory "$1" ;;
	*)
		unshare -n bash -c 'ip link set lo up && exec make --no-print-directory "$1"' \
			_ "$1" ;;
	esac
}

[ -s "$TABLE" ] || printf 'check\trun\tresult\tseconds\tload_before\tload_after\thog_yes\tcommit\n' >"$TABLE"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo -)
[ -n "$HOG" ] && start_hogs
for ((r = 1; r <= N; r++)); do
	for c in "$@"; do
		LOG=$LOGS/$c.$r.log
		l0=$(load1)
		y0=$(pgrep -c -x yes)
		t0=$SECONDS
		if run_one "$c" >"$LOG" 2>&1; then res=PASS; else res=FAIL; fi
		printf '%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n' "$c" "$r" "$res" \
			$((SECONDS - t0)) "$l0" "$(load1)" "$y0/$(pgrep -c -x yes)" \
			"$commit" | tee -a "$TABLE"
	done
done
