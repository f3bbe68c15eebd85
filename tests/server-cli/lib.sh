# shellcheck shell=bash
# Helpers of the pkictl server-verb tests (source from the top of the tree).
# They build on tests/ca/lib.sh (temp dir $T, pkiksd twin, pkid, strongSwan
# helpers); ports 18500-18599.
#
#   pk ARGS...                 pkictl against this test's pkid (--ctl)
#   expect_rc RC WHAT CMD...   run CMD, fail unless it exits RC; output in
#                              $T/out, errors in $T/err
#   jget EXPR                  read JSON on stdin, print python EXPR of it (j)
#   wait_log PATTERN           bounded wait for a line in pkid's log
#   wait_more PATTERN N        bounded wait for more than N such lines
. tests/ca/lib.sh

pk() {
	$B/pkictl --ctl "$T/pkid.ctl" "$@"
}

expect_rc() {
	local want=$1 what=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] ||
		fail "$what: exit $rc, want $want; stdout: $(head -c 400 "$T/out"); stderr: $(cat "$T/err")"
	echo "ok: $what -> exit $rc"
}

jget() {
	python3 -c 'import json, sys; j = json.load(sys.stdin); print('"$1"')'
}

wait_log() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q -- "$1" "$T/pkid.log" && return 0
		sleep 0.05
	done
	fail "no \`$1\` in pkid's log within 5 s"
}

# wait_more PATTERN N: bounded wait until pkid's log has more than N lines
# matching PATTERN (N counted before the action).
wait_more() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c -- "$1" "$T/pkid.log")" -gt "$2" ] && return 0
		sleep 0.1
	done
	fail "no new \`$1\` in pkid's log within 10 s"
}

# pending_id CN: the ID of CN's pending request (bounded wait), on stdout.
pending_id() {
	local i id
	for ((i = 0; i < 100; i++)); do
		id=$(pk --json show requests $CA_NAME 2>/dev/null | jget '
next((r["id"] for r in j if r["state"] == "pending"
      and "CN='"$1"'" in r["subject"]), "")' 2>/dev/null)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}
