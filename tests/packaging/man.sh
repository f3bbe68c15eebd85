#!/bin/bash
# check-man: every page in packaging/man renders without a single warning
# (groff -wall and man --warnings), has its NAME section, and mentions
# warns about pkictl commands (`pkictl help`) that pkictl(8) lacks.  Usage: man.sh [PKICTL]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pkictl=${1:-$top/build/bin/pkictl}
fails=0 n=0
for page in "$top"/packaging/man/*.[0-9]; do
	n=$((n + 1))
	w=$( { groff -wall -man -Tutf8 -z "$page"; LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >/dev/null; } 2>&1)
	if [ -n "$w" ]; then
		echo "FAIL: $(basename "$page"): $w" >&2
		fails=$((fails + 1))
	fi
	grep -q '^\.SH NAME' "$page" || { echo "FAIL: $page: no NAME" >&2; fails=$((fails + 1)); }
done
# pkictl(8) documents the commands pkictl has (verb and object)
text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$top/packaging/man/pkictl.8" 2>/dev/null)
while read -r cmd; do
	grep -qF -- "$cmd" <<<"$text" || {
		echo "FAIL: pkictl(8) does not document \`$cmd\`" >&2
		fails=$((fails + 1))
	}
done < <("$pkictl" help | sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\}\( .*\)\{0,1\}$/\1\2/p')
[ "$n" -ge 6 ] || { echo "FAIL: only $n man pages" >&2; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] || exit 1
echo "check-man: $n pages render without warnings"
