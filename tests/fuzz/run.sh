#!/bin/bash
# tests/fuzz/run.sh SECONDS HARNESS...: run build/bin/fuzz-HARNESS for
# SECONDS from its seed corpus (tests/fuzz/corpus/HARNESS, or
# tests/config/corpus for config), growing a work corpus in
# build/fuzz/HARNESS.  FUZZ_JOBS harnesses at once (default: one per
# core; each is one process with its own temp dirs, so they share
# nothing): every harness still gets SECONDS of one core.  Fails when any
# harness finds anything.
set -u
secs=$1
shift
jobs=${FUZZ_JOBS:-$(nproc)}

# fuzz_one HARNESS: one libFuzzer run; its exit code
fuzz_one() {
	local h=$1 seeds=tests/fuzz/corpus/$1 work=build/fuzz/$1
	[ "$h" = config ] && seeds=tests/config/corpus
	mkdir -p "$work/corpus"
	# -timeout: one input may not take 10 s; -rss_limit_mb: nor 2 GB.
	build/bin/fuzz-$h -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work/corpus" "$seeds" \
		>"$work/log" 2>&1
}

# report HARNESS RC: its figures, and its log's end when it failed
report() {
	local h=$1 rc=$2 work=build/fuzz/$1
	grep -E '^stat::number_of_executed_units|^stat::new_units_added|^#[0-9]+.*DONE' "$work/log"
	[ "$rc" -eq 0 ] && return 0
	tail -n 40 "$work/log"
	echo "FAIL: fuzz-$h (rc $rc); input in $work/crash-* (or leak-*/timeout-*)"
	return 1
}

failed=0
while [ $# -gt 0 ]; do
	batch=() pids=()
	while [ $# -gt 0 ] && [ ${#batch[@]} -lt "$jobs" ]; do
		echo "fuzz-$1: ${secs} s from its seeds"
		fuzz_one "$1" &
		pids+=($!) batch+=("$1")
		shift
	done
	for i in "${!batch[@]}"; do
		wait "${pids[$i]}"
		report "${batch[$i]}" $? || failed=1
	done
done
[ $failed -eq 0 ] || exit 1
echo "check-fuzz: OK"
