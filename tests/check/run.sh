#!/bin/bash
# check-pkictl-check: drive `pkictl check` over tests/check/conf/*.conf.
# Each file says what it must produce in its first comment lines:
#   ! expect: ID...   the exact set of finding ids (empty: a clean file)
#   ! why: TEXT       a line the report must contain (text and JSON)
#   ! fix: TEXT       likewise, for the fix
# then client-only files against saved GetCACaps replies and CA timers
# given as options, a fix applied to show that the suggested value is the
# exact threshold, and bad input.  Usage: run.sh PATH/TO/pkictl
set -uo pipefail
pkictl=$(realpath "${1:-build/bin/pkictl}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
cases=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# ids NAME EXPECTED_IDS ARGS...: the set of ids in text and in JSON, and
# the exit status (4 with findings, 0 without).
ids() {
	local name=$1 want=$2 rc got jgot
	shift 2
	cases=$((cases + 1))
	want=$(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort | xargs)
	timeout 10 "$pkictl" check "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got=$(sed -n 's/^\(error\|warning\) *\([a-z0-9-]*\) (.*/\2/p' "$tmp/out" | sort | xargs)
	[ "$got" = "$want" ] || fail "$name: text ids [$got], want [$want]"
	[ "$rc" -eq "$([ -n "$want" ] && echo 4 || echo 0)" ] ||
		fail "$name: exit $rc with findings [$want]: $(cat "$tmp/err")"
	timeout 10 "$pkictl" --json check "$@" >"$tmp/json" 2>>"$tmp/err"
	rc=$?
	jgot=$(jq -r '.findings[].id' "$tmp/json" 2>/dev/null | sort | xargs) ||
		fail "$name: --json is not JSON"
	[ "$jgot" = "$want" ] || fail "$name: json ids [$jgot], want [$want]"
	[ "$(jq '.errors + .warnings' "$tmp/json")" = "$(wc -w <<<"$want")" ] ||
		fail "$name: json counts disagree with the findings"
	[ "$rc" -eq "$([ -n "$want" ] && echo 4 || echo 0)" ] ||
		fail "$name: --json exit $rc"
}

# has NAME FIELD TEXT: the last run printed TEXT as that field, in both.
has() {
	grep -qxF "        $([ "$2" = fix ] && echo "fix: ")$3" "$tmp/out" ||
		fail "$1: text report lacks $2 \"$3\""
	jq -e --arg f "$2" --arg t "$3" 'any(.findings[]; .[$f] == $t)' \
		"$tmp/json" >/dev/null || fail "$1: JSON lacks $2 \"$3\""
}

# 1. one configuration per finding, and a clean one
for conf in "$here"/conf/*.conf; do
	grep -q '^! expect:' "$conf" || continue
	name=$(basename "$conf" .conf)
	ids "$name" "$(sed -n 's/^! expect://p' "$conf")" -c "$conf"
	while IFS= read -r line; do
		has "$name" "${line%%:*}" "${line#*: }"
	done < <(sed -n 's/^! \(why\|fix\): /\1: /p' "$conf")
done

# 2. client-only files: the CA's caps and timers from outside
c=$here/conf/client.conf c80=$here/conf/client-80.conf caps=$here/caps
ids client-full-caps "" -c "$c" --caps "$caps/full.caps"
ids client-no-next "caps-no-getnextcacert" -c "$c" --caps "$caps/no-next.caps"
ids client-sha1-only "caps-no-sha2" -c "$c" --caps "$caps/sha1-only.caps"
ids client-no-rollover "no-auto-rollover" -c "$c" --auto-rollover none
ids client-80-defaults "shadow-before-rollover retry-gives-up-before-rollover" -c "$c80"
has client-80-defaults fix "raise enrollment retry max-period, or use auto-enroll >= 92"
ids client-80-window-73 "" -c "$c80" --auto-rollover 73
ids client-80-window-72 "shadow-before-rollover" -c "$c80" --auto-rollover 72
ids client-80-short-certs "" -c "$c80" --cert-lifetime 150
ids client-cert-ge-ca "cert-lifetime-exceeds-ca" -c "$c" --ca-lifetime 300 --cert-lifetime 365

# 3. the suggested values are the exact thresholds: 43 d - 30 d = 13 d of
# retrying takes 6 doubling polls (63 min) and 311 capped ones (60 min)
ids client-80-window-60 "shadow-before-rollover retry-gives-up-before-rollover" -c "$c80" --auto-rollover 60
has client-80-window-60 fix "use enrollment retry count >= 317, or auto-enroll >= 84"
sed 's/count 100/count 317/' "$c80" >"$tmp/317.conf"
sed 's/count 100/count 316/' "$c80" >"$tmp/316.conf"
ids fix-count-317 "shadow-before-rollover" -c "$tmp/317.conf" --auto-rollover 60
ids fix-count-316 "shadow-before-rollover retry-gives-up-before-rollover" -c "$tmp/316.conf" --auto-rollover 60
sed 's/auto-enroll 85/auto-enroll 92/' "$here/conf/shadow-before-rollover.conf" >"$tmp/92.conf"
sed 's/auto-enroll 85/auto-enroll 91/' "$here/conf/shadow-before-rollover.conf" >"$tmp/91.conf"
ids fix-applied-92 "" -c "$tmp/92.conf"
ids fix-short-91 "shadow-before-rollover" -c "$tmp/91.conf"

# 4. a subordinate CA (mode sub-cs) and its parent: the sub's life is the
# parent's lifetime certificate (default 365 d), the parent's operator
# grants CA requests in --parent-grant hours
sub=$here/conf/sub.conf
ids sub-defaults "" -c "$sub"
ids sub-grant-2d "" -c "$sub" --parent-grant 48
ids sub-grant-59d "" -c "$sub" --parent-grant 1416
ids sub-grant-60d "sub-window-shorter-than-grant" -c "$sub" --parent-grant 1440
has sub-grant-60d fix "use auto-rollover >= 120 days (the grant time plus the routers' SHADOW lead)"
ids sub-outlives "sub-outlives-parent" -c "$sub" --parent-lifetime 1095 --parent-ca-lifetime 1095
has sub-outlives fix "on the parent, use lifetime certificate <= 547 days (half its lifetime ca-certificate)"
ids sub-short-life "cert-lifetime-exceeds-ca" -c "$sub" --parent-lifetime 20
ids sub-window-vs-life "no-auto-rollover" -c "$(sed 's/ auto-rollover 60/ no auto-rollover/' "$sub" >"$tmp/sub-norr.conf"; echo "$tmp/sub-norr.conf")"

# 5. bad input: a clear message and the documented exit status
# bad NAME WANT_RC STDERR_TEXT ARGS...
bad() {
	local name=$1 want=$2 text=$3 rc
	shift 3
	cases=$((cases + 1))
	timeout 10 "$pkictl" check "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit $rc, want $want"
	grep -qF -- "$text" "$tmp/err" || fail "$name: stderr lacks \"$text\": $(cat "$tmp/err")"
}
: >"$tmp/empty.caps"
bad broken-config 2 "broken.conf-bad:2:" -c "$here/conf/broken.conf-bad"
bad missing-config 2 "No such file" -c "$tmp/nothing.conf"
bad binary-caps 2 "not a GetCACaps reply" -c "$c" --caps "$caps/binary.caps"
bad empty-caps 2 "empty" -c "$c" --caps "$tmp/empty.caps"
bad unknown-option 1 "unknown argument" -c "$c" --frobnicate
bad days-not-number 1 "not a number of days" -c "$c" --ca-lifetime 3x
bad missing-value 1 "needs a value" -c "$c" --caps
bad timers-with-server 1 "has a crypto pki server" -c "$here/conf/clean.conf" --ca-lifetime 300
bad parent-without-sub 1 "describe the parent of a mode sub-cs server" -c "$here/conf/clean.conf" --parent-grant 24
bad parent-grant-not-number 1 "not a number of hours" -c "$sub" --parent-grant 1d

if [ "$fails" -ne 0 ]; then
	echo "check-pkictl-check: $fails of $cases cases failed" >&2
	exit 1
fi
echo "check-pkictl-check: $cases cases passed (text and --json)"
