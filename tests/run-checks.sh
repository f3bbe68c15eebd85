#!/bin/bash
# Run each named make target in turn; report each and a closing tally.
# Exit status: 0 when every target passed.
set -u
pass=0 fail=0 failed=()
for t in "$@"; do
	echo "=== $t"
	start=$SECONDS
	if make --no-print-directory "$t"; then
		pass=$((pass + 1)); echo "=== $t: PASS ($((SECONDS - start)) s)"
	else
		fail=$((fail + 1)); failed+=("$t"); echo "=== $t: FAIL ($((SECONDS - start)) s)"
	fi
done
[ $fail -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
