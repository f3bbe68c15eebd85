#!/bin/bash
# tests/fuzz/run.sh SECONDS HARNESS...: run build/bin/fuzz-HARNESS for
# SECONDS from its seed corpus (tests/fuzz/corpus/HARNESS, or
# tests/config/corpus for config), growing a work corpus in
# build/fuzz/HARNESS.  Fails on the first harness that finds anything.
set -u
secs=$1
shift
for h in "$@"; do
	seeds=tests/fuzz/corpus/$h
	[ "$h" = config ] && seeds=tests/config/corpus
	work=build/fuzz/$h
	mkdir -p "$work/corpus"
	echo "fuzz-$h: ${secs} s from $seeds"
	# -timeout: one input may not take 10 s; -rss_limit_mb: nor 2 GB.
	build/bin/fuzz-$h -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work/corpus" "$seeds" \
		>"$work/log" 2>&1
	rc=$?
	grep -E '^stat::number_of_executed_units|^stat::new_units_added|^#[0-9]+.*DONE' "$work/log"
	if [ $rc -ne 0 ]; then
		tail -n 40 "$work/log"
		echo "FAIL: fuzz-$h (rc $rc); input in $work/crash-* (or leak-*/timeout-*)"
		exit 1
	fi
done
echo "check-fuzz: OK"
