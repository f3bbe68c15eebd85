#!/bin/bash
# check-client-keytype: a trustpoint's key type cannot change under its
# label (rsakeypair <-> eckeypair, or another curve) while the keystore
# holds that key: the key, its certificate and its requests would be of
# one type under a line that names another.
#  - TP1 (rsakeypair TP1KEY, enrolled) turned into `eckeypair TP1KEY 384`:
#    a reload is refused with FILE:LINE and both types, nothing changes (a
#    renewal still certifies the RSA key); pkid -t refuses the file; pkid
#    does not start with it;
#  - TP2 (eckeypair TP2KEY 256, enrolled) turned into 384: refused the same;
#  - a new label is the way: `eckeypair TP1EC 384` (a restart: a label
#    change needs one) passes pkid -t, and the next renewal certifies a
#    P-384 key TP1EC;
#  - before a key exists under the label, the type may change (TP3).
. tests/client/lib.sh
cl_setup 18207
ca_conf "grant auto"
ca_start
cl_conf
cat >>"$T/cl.conf" <<EOF
crypto pki trustpoint TP2
 enrollment url $URL
 subject-name CN=router1-tp2,O=pkid test
 eckeypair TP2KEY 256
 certificate export $T/tp2.pem
crypto pki trustpoint TP3
 enrollment url $URL
 subject-name CN=router1-tp3,O=pkid test
 rsakeypair TP3KEY
EOF
cp "$T/cl.conf" "$T/good.conf"
cl_start
for tp in TP1 TP2; do
	clctl "trustpoint authenticate" $tp --accept >/dev/null || fail "authenticate $tp"
	st=$(clctl --json "trustpoint enroll" $tp) || fail "enroll $tp: $st"
	[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "enroll $tp: $st"
done
openssl x509 -in "$T/tp1.pem" -noout -text | grep -q "Public Key Algorithm: rsaEncryption" ||
	fail "TP1's first identity is not RSA"
echo "ok: TP1 (RSA TP1KEY) and TP2 (EC P-256 TP2KEY) enrolled"

# reload_refused WHAT PATTERN: `reload` of $T/cl.conf fails saying PATTERN.
reload_refused() {
	local out
	out=$($B/ctl-call "$T/cl.ctl" reload 2>&1) && fail "$1: reload accepted"
	grep -q -- "$2" <<<"$out" || fail "$1: reload said: $out"
}
# t_refused WHAT PATTERN: pkid -t of $T/cl.conf exits 1 saying PATTERN.
t_refused() {
	local out
	out=$($B/pkid -t -c "$T/cl.conf" 2>&1) && fail "$1: pkid -t accepted: $out"
	grep -q -- "$2" <<<"$out" || fail "$1: pkid -t said: $out"
}
line_of() { grep -n "$1" "$T/cl.conf" | cut -d: -f1; }

# 1. RSA -> EC P-384 under TP1KEY.
sed 's/^ rsakeypair TP1KEY$/ eckeypair TP1KEY 384/' "$T/good.conf" >"$T/cl.conf"
l=$(line_of "eckeypair TP1KEY 384")
want="cl.conf:$l: trustpoint TP1: key TP1KEY in the keystore is RSA; the configuration names EC P-384"
reload_refused "RSA -> EC" "$want"
$B/pkid -t -c "$T/good.conf" >/dev/null 2>&1 || fail "pkid -t refuses the unchanged file"
t_refused "RSA -> EC" "$want"
clctl --json "show running-config" | jq -r .config | grep -q "^ rsakeypair TP1KEY" ||
	fail "the refused reload changed the running configuration"
cp "$T/tp1.pem" "$T/before.pem"
st=$(clctl --json "trustpoint enroll" TP1) || fail "renew TP1 after the refused reload: $st"
! cmp -s "$T/tp1.pem" "$T/before.pem" || fail "TP1 not renewed after the refused reload"
openssl x509 -in "$T/tp1.pem" -noout -text | grep -q "Public Key Algorithm: rsaEncryption" ||
	fail "after the refused reload TP1 renewed with a non-RSA key"
echo "ok: rsakeypair -> eckeypair under TP1KEY: reload refused (FILE:LINE, both types), pkid -t refuses, TP1 renews RSA as before"

# 2. EC P-256 -> P-384 under TP2KEY.
sed 's/^ eckeypair TP2KEY 256$/ eckeypair TP2KEY 384/' "$T/good.conf" >"$T/cl.conf"
l=$(line_of "eckeypair TP2KEY 384")
want="cl.conf:$l: trustpoint TP2: key TP2KEY in the keystore is EC P-256; the configuration names EC P-384"
reload_refused "P-256 -> P-384" "$want"
t_refused "P-256 -> P-384" "$want"
echo "ok: eckeypair TP2KEY 256 -> 384: reload and pkid -t refused"

# 3. pkid does not start with a changed type (the same words).
cl_stop
sed 's/^ rsakeypair TP1KEY$/ eckeypair TP1KEY 384/' "$T/good.conf" >"$T/cl.conf"
l=$(line_of "eckeypair TP1KEY 384")
: >"$T/start.log"
timeout 20 $B/pkid -f -c "$T/cl.conf" -s "$T/cl-state" \
	-P "$PWD/${PKID_BUILD:-build}/pkiks-provider.so" >"$T/start.log" 2>&1 &&
	fail "pkid started with TP1KEY's type changed"
grep -q "cl.conf:$l: trustpoint TP1: key TP1KEY in the keystore is RSA" "$T/start.log" ||
	fail "pkid's start: $(cat "$T/start.log")"
echo "ok: pkid does not start with TP1KEY's type changed (same words)"

# 4. The way out: a new label for the new type; 5. TP3 never had a key.
sed -e 's/^ rsakeypair TP1KEY$/ eckeypair TP1EC 384/' \
	-e 's/^ rsakeypair TP3KEY$/ eckeypair TP3KEY 256/' "$T/good.conf" >"$T/cl.conf"
$B/pkid -t -c "$T/cl.conf" >/dev/null 2>&1 ||
	fail "pkid -t refuses a new label or a type change with no key: $($B/pkid -t -c "$T/cl.conf" 2>&1)"
cl_start
cp "$T/tp1.pem" "$T/before.pem"
st=$(clctl --json "trustpoint enroll" TP1) || fail "renew TP1 with eckeypair TP1EC 384: $st"
! cmp -s "$T/tp1.pem" "$T/before.pem" || fail "TP1 not renewed with its new label"
openssl x509 -in "$T/tp1.pem" -noout -text | grep -q "NIST CURVE: P-384" ||
	fail "TP1's renewal under TP1EC does not certify a P-384 key"
[ -n "$($B/pkictl --json show keys | jq -r ".keys[] | select(.name == \"TP1EC\") | .name")" ] ||
	fail "no keystore key TP1EC"
echo "ok: a new label (eckeypair TP1EC 384) passes pkid -t; TP1's renewal certifies a P-384 key TP1EC; TP3 (no key yet) changed type freely"
echo "check-client-keytype: OK"
