#!/bin/bash
# check-pkiks-kek: pkiks-kek against a private pkiksd: it creates a KEK
# file on first run (0600, 32 bytes), provisions it, says "already" the
# second time, refuses files others can read or of the wrong size.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/keystore.sh
kek=$(realpath build/bin/pkiks-kek)
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
ks_twin_tmp || exit 1
dir=$KS_TMP

out=$("$kek" --create "$dir/kek" 2>&1) || fail "first run: $out"
grep -q "created a new KEK" <<<"$out" || fail "first run did not create: $out"
grep -q "KEK provisioned to the pkiksd keystore" <<<"$out" || fail "not provisioned: $out"
[ "$(stat -c '%a %s' "$dir/kek")" = "600 32" ] || fail "kek file is $(stat -c '%a %s' "$dir/kek")"
grep -q "key-encryption key provisioned" "$KS_TWIN_LOG" || fail "pkiksd did not get the KEK"
out=$("$kek" --create "$dir/kek" 2>&1) || fail "second run: $out"
grep -q "already has its KEK" <<<"$out" || fail "second run: $out"
cp -p "$dir/kek" "$dir/open"
chmod 0644 "$dir/open"
out=$("$kek" "$dir/open" 2>&1)
[ $? -eq 2 ] && grep -q "readable by group or others" <<<"$out" || fail "0644 file accepted: $out"
head -c 31 /dev/urandom >"$dir/short"
chmod 0600 "$dir/short"
out=$("$kek" "$dir/short" 2>&1)
[ $? -eq 2 ] && grep -q "exactly 32 bytes" <<<"$out" || fail "31-byte file accepted: $out"
out=$("$kek" --no-set "$dir/missing" 2>&1)
[ $? -eq 2 ] || fail "missing file without --create: $out"
out=$("$kek" 2>&1)
[ $? -eq 1 ] || fail "no FILE: not a usage error"
# no keystore at all: exit 3
out=$(PKIKS_SOCKET=$dir/nothing.sock "$kek" "$dir/kek" 2>&1)
[ $? -eq 3 ] || fail "unreachable keystore: $out"

[ "$fails" -eq 0 ] || exit 1
echo "check-pkiks-kek: create, provision, already-set, refusals"
