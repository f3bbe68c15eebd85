#!/bin/bash
# check-guard-none: pkid linked without the guard (guard_none.c, what
# `make demo` builds on a machine without clang, bpftool and libbpf-dev:
# daemon/guard/guard.mk) under `ip http rate-limit`: it says once that the
# guard is not built in, serves SCEP unguarded, and `show guard` says why
# the guard is off, before and after reloads.  In a network namespace of
# its own (loopback only).
#
#   tests/guard/none.sh PKID_NOGUARD
set -uo pipefail
NOGUARD=${1:?usage: none.sh PKID_NOGUARD}
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/keystore.sh
B=${PKID_BUILD:-build}
PORT=18960
T=$(mktemp -d /tmp/guard-none.XXXXXX)
PID=

fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/pkid.log" ] && sed 's/^/  pkid: /' "$T/pkid.log" | tail -n 20 >&2
	exit 1
}
down() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	ks_twin_stop
	rm -rf "$T"
}
trap down EXIT
wait_for() { # TENTHS CMD...: bounded
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
conf() { # [RATE-LIMIT LINE]
	cat >"$T/pkid.conf" <<-EOF
	clock calendar-valid
	ip http server $PORT
	${1:-}
	control-socket $T/pkid.ctl
	crypto pki server NONECA
	 issuer-name CN=guard-none test CA
	 grant auto
	 database url $T/db
	 no shutdown
	EOF
}
guard() { PKID_CTL_SOCKET=$T/pkid.ctl "$B/bin/pkictl" "$@" show guard; }
warnings() { grep -c "guard: not built into this pkid" "$T/pkid.log"; }

ip link set lo up 2>/dev/null
ks_twin_start "$T/ks" || fail "pkiksd did not start"
"$B/bin/pkictl" clock calendar-valid >/dev/null || fail "clock calendar-valid"
nm -D "$NOGUARD" | grep -q ' bpf_' && fail "$NOGUARD links libbpf: not the build without the guard"

conf "ip http rate-limit 2 4"
"$NOGUARD" -f -c "$T/pkid.conf" -s "$T/state" -P "$PWD/$B/pkiks-provider.so" >"$T/pkid.log" 2>&1 &
PID=$!
wait_for 300 curl -sf -o /dev/null "http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe?operation=GetCACert" ||
	fail "pkid did not serve GetCACert"
# Well past its burst of 4: nothing limits it.
for ((i = 0; i < 12; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe?operation=GetCACaps" ||
		fail "GetCACaps $i was not answered"
done
[ "$(warnings)" = 1 ] || fail "the 'not built into this pkid' warning: $(warnings) lines, not 1"
guard | grep -q "^Guard: off (not built into this pkid" || fail "show guard: $(guard)"
guard --json | jq -e '.enabled == false and (.reason | startswith("not built into this pkid"))' >/dev/null ||
	fail "show guard --json: $(guard --json)"
echo "ok: rate-limit configured: one warning, SCEP served (13 requests), show guard says why it is off"

conf
PKID_CTL_SOCKET=$T/pkid.ctl "$B/bin/pkictl" reload >/dev/null || fail "reload without rate-limit"
guard --json | jq -e '.reason == "no ip http rate-limit configured"' >/dev/null ||
	fail "after a reload without rate-limit: $(guard --json)"
conf "ip http rate-limit 2 4"
PKID_CTL_SOCKET=$T/pkid.ctl "$B/bin/pkictl" reload >/dev/null || fail "reload with rate-limit"
guard | grep -q "^Guard: off (not built into this pkid" || fail "after a reload with rate-limit: $(guard)"
[ "$(warnings)" = 1 ] || fail "the warning again after a reload ($(warnings) lines): it is said once per process"
echo "ok: reloads: the reason follows the configuration, the warning stays one line"
