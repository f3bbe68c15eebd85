#!/bin/bash
# check-keystore-twin: the keystore protocol suite against a private pkiksd,
# the signature it exports checked with the openssl CLI, then what only
# pkiksd does (lab clock, status tree, timers across a restart, KEK file,
# clock steps).
#
# The host's clock cannot be set from a test without disturbing everyone on
# the machine: pkiksd's clock steps are made with libfaketime instead, which
# shifts CLOCK_REALTIME for pkiksd alone (not CLOCK_BOOTTIME, so pkiksd sees
# a step) and rereads the shift from a file on every call.  The VM tests
# step the real clock with `date -s` against the module.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/keystore.sh

BIN=${BIN:-build/bin}
KEYS=${KEYS:-build/test-keys}
tmp=$(mktemp -d)
# Children of the suite drop to uid 65534 and must reach the socket.
chmod 0711 "$tmp"
export PKIKS_QUIET=1
fail=0
step() { echo "--- $*"; }
bad() { echo "FAIL: $*"; fail=1; }
cleanup() { ks_twin_stop; rm -rf "$tmp"; }
trap cleanup EXIT

# The suite's exported signature ($tmp/out/PREFIXpubkey.der,
# PREFIXsignature-DIGEST.bin over PREFIXmessage.txt) verifies with the
# openssl CLI, and the message with a line added does not.
cli_verify() { # PREFIX DIGEST WHAT-TAMPERED WHAT-VERIFY
	local p=$tmp/out/$1 sig=$tmp/out/$1signature-$2.bin
	if openssl pkey -pubin -inform DER -in "${p}pubkey.der" \
		-out "${p}pub.pem" 2>/dev/null &&
		openssl dgst -"$2" -verify "${p}pub.pem" -signature "$sig" \
			"${p}message.txt"; then
		echo tampered >>"${p}message.txt"
		if openssl dgst -"$2" -verify "${p}pub.pem" -signature "$sig" \
			"${p}message.txt" >/dev/null 2>&1; then
			bad "openssl verified a tampered $3message"
		fi
	else
		bad "openssl dgst -verify$4"
	fi
}

# A member group for the suite's member test; any gid no user has will do.
member_gid=64999

step "protocol suite against pkiksd"
mkdir -p "$tmp/out"
ks_twin_start "$tmp/suite" --group $member_gid || exit 1
PKIKS_TEST_OUT=$tmp/out timeout 120 "$BIN/test-keystore" --transport twin \
	--keys "$KEYS" --member-gid $member_gid || bad "test-keystore"
ks_twin_stop || bad "pkiksd did not stop cleanly"

step "signature verified by the openssl CLI"
cli_verify "" sha256 "" ""
step "ECDSA signature verified by the openssl CLI"
cli_verify ec- sha384 "EC " " (ECDSA)"

step "lab clock and status tree (pkiksd --lab)"
ks_twin_start "$tmp/lab" --lab || exit 1
timeout 60 "$BIN/test-pkiksd" --state-dir "$tmp/lab/state" --suite lab ||
	bad "lab suite"
ks_twin_stop

step "timers survive a restart"
ks_twin_start "$tmp/persist" || exit 1
timeout 60 "$BIN/test-pkiksd" --state-dir "$tmp/persist/state" \
	--suite persist-arm || bad "persist-arm"
ks_twin_stop
ks_twin_start "$tmp/persist" || exit 1
timeout 60 "$BIN/test-pkiksd" --state-dir "$tmp/persist/state" \
	--suite persist-check || bad "persist-check"
ks_twin_stop

step "clock steps (pkiksd under libfaketime, its RTC ten years ahead)"
faketime_lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n1)
if [ -z "$faketime_lib" ]; then
	bad "libfaketime not installed (make deps)"
else
	echo "+315360000" >"$tmp/faketime"
	{
		echo '#!/bin/sh'
		echo "LD_PRELOAD='$faketime_lib' FAKETIME_NO_CACHE=1 \\"
		echo "FAKETIME_TIMESTAMP_FILE='$tmp/faketime' \\"
		echo "FAKETIME_DONT_FAKE_MONOTONIC=1 exec '$(realpath "$BIN/pkiksd")' \"\$@\""
	} >"$tmp/pkiksd-faketime"
	chmod 0755 "$tmp/pkiksd-faketime"
	if PKIKSD=$tmp/pkiksd-faketime ks_twin_start "$tmp/step"; then
		timeout 60 "$BIN/test-pkiksd" --state-dir "$tmp/step/state" \
			--suite step --faketime-file "$tmp/faketime" ||
			bad "step suite"
		ks_twin_stop
	else
		bad "pkiksd under libfaketime did not start"
	fi
fi

step "KEK file: root-only accepted, group-readable refused; transport choice"
head -c 32 /dev/urandom >"$tmp/kek"
chmod 0600 "$tmp/kek"
ks_twin_start "$tmp/kek-ok" --kek-file "$tmp/kek" || exit 1
# Not quiet here: the client's one line about the transport is checked.
PKIKS_QUIET= timeout 60 "$BIN/test-pkiksd" --state-dir "$tmp/kek-ok/state" \
	--suite kek 2>"$tmp/kek-ok/client.err" || bad "kek suite"
grep -qx "pkiks: using userspace keystore pkiksd at $PKIKS_SOCKET" \
	"$tmp/kek-ok/client.err" || bad "no transport line on stderr"
[ "$(grep -c '^pkiks: using' "$tmp/kek-ok/client.err")" = 1 ] ||
	bad "the transport line is not said once"
ks_twin_stop
chmod 0640 "$tmp/kek"
if ks_twin_start "$tmp/kek-bad" --kek-file "$tmp/kek" 2>/dev/null; then
	bad "pkiksd accepted a group-readable KEK file"
	ks_twin_stop
elif ! grep -q 'readable by group or others' "$tmp/kek-bad/pkiksd.log"; then
	bad "pkiksd refused the KEK file without saying why"
fi

step "hardening: locked memory, no core dumps, socket and status modes"
ks_twin_start "$tmp/hard" || exit 1
# (PR_SET_DUMPABLE has no /proc view; it is set next to RLIMIT_CORE.)
grep -q '^VmLck:[[:space:]]*[1-9]' "/proc/$KS_TWIN_PID/status" ||
	bad "pkiksd memory is not locked"
[ "$(awk '/^Max core file size/ {print $5}' "/proc/$KS_TWIN_PID/limits")" = 0 ] ||
	bad "core dumps not disabled"
[ "$(stat -c %a "$PKIKS_SOCKET")" = 666 ] || bad "socket mode"
[ -r "$tmp/hard/state/status/clock/authoritative" ] || bad "status tree"
ks_twin_stop

[ $fail -eq 0 ] && echo "check-keystore-twin: all passed"
exit $fail
