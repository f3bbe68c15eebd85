#!/bin/bash
# check-continuity-config: what `pkid -t` accepts, pkid can serve.
#  - IOS sub-modes (issue 13 #6): block commands need no indentation;
#    `pkid -T` prints the result with the block lines indented.
set -u
B=build/bin
T=$(mktemp -d /tmp/pkid-cont.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The French seed's shape: auto-rollover unindented under the server.
cat >"$T/seed.conf" <<EOF2
clock calendar-valid
crypto pki server ROOTCA
 grant auto
auto-rollover 90
 lifetime ca-certificate 1095
no shutdown
crypto pki trustpoint TP
enrollment url http://127.0.0.1/
auto-enroll 70
hostname r1
EOF2
$B/pkid -T -c "$T/seed.conf" >"$T/out" 2>&1 || fail "pkid -T: $(cat "$T/out")"
for l in "crypto pki server ROOTCA" " auto-rollover 90" " no shutdown" \
	"crypto pki trustpoint TP" " auto-enroll 70" "hostname r1"; do
	grep -qx -- "$l" "$T/out" || fail "pkid -T lacks '$l': $(cat "$T/out")"
done
printf 'crypto pki server ROOTCA\nexit\nauto-rollover 90\n' >"$T/exit.conf"
$B/pkid -t -c "$T/exit.conf" 2>"$T/err" && fail "a block line after exit was accepted"
grep -q "exit.conf:3: unknown command 'auto-rollover' in global" "$T/err" ||
	fail "after exit: $(cat "$T/err")"
echo "ok: unindented block lines belong to the block; pkid -T shows them indented"

# issue 13 #5: what pkid cannot serve is refused by pkid -t, at its line.
printf 'crypto pki server CA\n database url ftp://10.1.1.1/DB/\n' >"$T/ftp.conf"
$B/pkid -t -c "$T/ftp.conf" 2>"$T/err" && fail "pkid -t accepted database url ftp://"
grep -q "ftp.conf:2: 'database url': pkid keeps the CA's files in a local folder" "$T/err" ||
	fail "ftp: $(cat "$T/err")"
printf 'crypto pki server CA\n grant auto\n database url %s/no/such/db\n' "$T" >"$T/dir.conf"
$B/pkid -t -c "$T/dir.conf" 2>"$T/err" && fail "pkid -t accepted a folder whose parent is missing"
grep -q "dir.conf:3: 'database url': folder $T/no/such cannot hold $T/no/such/db: No such file" "$T/err" ||
	fail "missing parent: $(cat "$T/err")"
mkdir -p "$T/no/such"
$B/pkid -t -c "$T/dir.conf" >/dev/null || fail "pkid -t refused a folder whose parent exists"
printf 'crypto pki server CA\n database url file://%s/no/such/db2/\n' "$T" >"$T/file.conf"
$B/pkid -t -c "$T/file.conf" >/dev/null || fail "pkid -t refused file:///path"
echo "ok: pkid -t refuses ftp:// and a folder without its parent, with FILE:LINE"
echo "check-continuity-config: OK"
