#!/bin/bash
# Run each named make target; report each and a closing tally.
# LANE2="t1 t2 ...": those of the targets run one after the other in a
# second lane beside the others (make check: the qemu-only checks); their
# reports follow the first lane's, whole, so no two interleave.
# Exit status: 0 when every target passed.
set -u
lane2=" ${LANE2:-} "
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# run_one TARGET: its output, then "=== TARGET: PASS|FAIL (N s)"; its status
run_one() {
	local t=$1 start=$SECONDS rc
	echo "=== $t"
	make --no-print-directory "$t"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "=== $t: PASS ($((SECONDS - start)) s)"
	else
		echo "=== $t: FAIL ($((SECONDS - start)) s)"
	fi
	return $rc
}

# run_lane FILE TARGET...: each in turn; FILE gets one "pass T"/"fail T"
# line per target
run_lane() {
	local res=$1 t
	shift
	for t in "$@"; do
		if run_one "$t"; then
			echo "pass $t" >>"$res"
		else
			echo "fail $t" >>"$res"
		fi
	done
}

main=() second=()
for t in "$@"; do
	if [[ $lane2 == *" $t "* ]]; then second+=("$t"); else main+=("$t"); fi
done
: >"$dir/res1" >"$dir/res2"
lane_pid=
if [ ${#second[@]} -gt 0 ]; then
	echo "=== second lane (qemu): ${second[*]}; its reports follow the others'"
	run_lane "$dir/res2" "${second[@]}" >"$dir/out2" 2>&1 &
	lane_pid=$!
fi
run_lane "$dir/res1" "${main[@]}"
if [ -n "$lane_pid" ]; then
	wait "$lane_pid"
	cat "$dir/out2"
fi
pass=$(grep -c '^pass ' "$dir/res1" "$dir/res2" | awk -F: '{n += $2} END {print n}')
failed=$(sed -n 's/^fail //p' "$dir/res1" "$dir/res2" | tr '\n' ' ')
fail=$(echo $failed | wc -w)
[ "$fail" -eq 0 ] || echo "failed: $failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
