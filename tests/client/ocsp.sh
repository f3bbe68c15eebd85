#!/bin/bash
# check-client-ocsp: `revocation-check ocsp crl` on a trustpoint against
# pkid's own OCSP responder (issue 20), with the lab clock.
#  - the CA puts its responder in the AIA (ocsp-url); after enrolling, TP1
#    asks the responder about its own identity (the AIA URL), verifies the
#    answer and exports it (`ocsp export`, DER) next to the CRL export;
#    `openssl ocsp -respin` finds it good and signed under the CA;
#  - the refresh is the keystore timer GENERIC "ocsp-refresh", half-way
#    from the response's thisUpdate to its nextUpdate;
#  - `server revoke` at the CA: at the next refresh TP1 holds a response
#    saying revoked, logs %PKI-3-OCSP_REVOKED, runs on-change with
#    PKID_EVENT=ocsp; the exported file says revoked;
#  - `ocsp url` pointing at a responder that is not there: the previous
#    response is kept, the refusal logged, a retry armed.
. tests/client/lib.sh
cl_setup 18215

# The words: IOS's method orders, printed back by pkid -T; nonsense and an
# EC trustpoint key (not served: see docs/ECDSA.md) refused at their line.
for m in "ocsp" "ocsp crl" "crl ocsp"; do
	printf 'crypto pki trustpoint TP\n revocation-check %s\n ocsp url http://ca/ocsp\n ocsp export /tmp/x.ocsp\n' \
		"$m" >"$T/m.conf"
	$B/pkid -T -c "$T/m.conf" >"$T/out" 2>&1 || fail "pkid -T $m: $(cat "$T/out")"
	for l in " revocation-check $m" " ocsp url http://ca/ocsp" " ocsp export /tmp/x.ocsp"; do
		grep -qx -- "$l" "$T/out" || fail "pkid -T $m lacks '$l': $(cat "$T/out")"
	done
done
printf 'crypto pki trustpoint TP\n revocation-check ocsp ocsp\n' >"$T/bad.conf"
$B/pkid -t -c "$T/bad.conf" 2>"$T/err" && fail "revocation-check ocsp ocsp accepted"
grep -q "bad.conf:2: 'revocation-check': ocsp after ocsp" "$T/err" || fail "$(cat "$T/err")"
# eckeypair on a trustpoint is served since the keystore derives (ECDH):
# taken at P-384, a size no curve has is refused at its line.
printf 'crypto pki trustpoint TP\n subject-name CN=x\n eckeypair TPKEY 384\n' >"$T/ec.conf"
$B/pkid -t -c "$T/ec.conf" 2>"$T/err" || fail "trustpoint eckeypair refused: $(cat "$T/err")"
printf 'crypto pki trustpoint TP\n subject-name CN=x\n eckeypair TPKEY 521\n' >"$T/ec.conf"
$B/pkid -t -c "$T/ec.conf" 2>"$T/err" && fail "trustpoint eckeypair 521 accepted"
grep -q "ec.conf:3: 'eckeypair': expected key size 256 or 384, got '521'" "$T/err" ||
	fail "$(cat "$T/err")"
echo "ok: revocation-check ocsp / ocsp crl / crl ocsp, ocsp url/export; trustpoint eckeypair 384 taken, 521 refused"
OURL=http://127.0.0.1:$PORT/ocsp/TESTCA
ca_conf "grant auto" "ocsp-url $OURL"
ca_start
cl_conf "revocation-check ocsp crl" "ocsp export $T/tp1.ocsp" "crl export $T/tp1.crl"
cl_start
clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
openssl x509 -in "$T/tp1.pem" -out "$T/id.pem" || fail "id"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" >"$T/ca.pem"
openssl x509 -in "$T/id.pem" -noout -ocsp_uri | grep -qx "$OURL" || fail "no AIA OCSP URL in the identity"
wait_for 20 test -s "$T/tp1.ocsp" || fail "no OCSP response exported"
test -s "$T/tp1.crl" || fail "no CRL exported beside it (ocsp crl keeps both)"

# resp_check FILE WANT: the exported response, verified by openssl at the
# lab clock's time, says WANT for the identity.
resp_check() {
	local when
	when=$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')
	TZ=UTC faketime -f "@$when" openssl ocsp -respin "$1" -issuer "$T/ca.pem" \
		-cert "$T/id.pem" -CAfile "$T/ca.pem" >"$T/resp.txt" 2>&1 ||
		{ cat "$T/resp.txt"; fail "openssl ocsp -respin $1"; }
	grep -q "Response verify OK" "$T/resp.txt" || { cat "$T/resp.txt"; fail "response does not verify"; }
	grep -q "^$T/id.pem: $2" "$T/resp.txt" || { cat "$T/resp.txt"; fail "status is not $2"; }
}
resp_check "$T/tp1.ocsp" good
grep -q "TP1: identity certificate status good (OCSP $OURL)" "$T/cl.log" || fail "good status not logged"
echo "ok: enrolled; the identity's OCSP response (AIA URL) exported, verifies, good"

# The refresh timer: half-way from thisUpdate to nextUpdate.
ocsp_timer() {
	$B/pkictl --json show timers | jq -r '.timers[] | select(.owner == "TP1" and
		.label == "ocsp-refresh") | .deadline_ns / 1000000000 | floor'
}
at=$(ocsp_timer)
[ -n "$at" ] || fail "no ocsp-refresh timer"
tu=$(date -u -d "$(openssl ocsp -respin "$T/tp1.ocsp" -noverify -resp_text |
	sed -n 's/^ *This Update: //p' | head -1)" +%s)
nu=$(date -u -d "$(openssl ocsp -respin "$T/tp1.ocsp" -noverify -resp_text |
	sed -n 's/^ *Next Update: //p' | head -1)" +%s)
[ "$at" = $((tu + (nu - tu) / 2)) ] || fail "ocsp-refresh at $at, want $((tu + (nu - tu) / 2)) ($tu..$nu)"
echo "ok: ocsp-refresh armed half-way to nextUpdate ($(((nu - tu) / 2)) s after thisUpdate)"

# Revoked at the CA: seen at the next refresh, logged, hook, export.
serial=$(openssl x509 -in "$T/id.pem" -noout -serial | sed 's/serial=//')
cactl "server revoke" TESTCA $((16#$serial)) >/dev/null || fail "server revoke"
cp "$T/tp1.ocsp" "$T/good.ocsp"
: >"$T/hook.log"
lab_to $((at + 1))
wait_for 30 grep -q "%PKI-3-OCSP_REVOKED: trustpoint TP1: the identity certificate is revoked" "$T/cl.log" ||
	fail "the revocation was not logged"
wait_for 10 grep -q "TP1 ocsp" "$T/hook.log" || fail "on-change not run with PKID_EVENT=ocsp"
resp_check "$T/tp1.ocsp" revoked
cmp -s "$T/tp1.ocsp" "$T/good.ocsp" && fail "the export still holds the good response"
echo "ok: revoked at the CA: %PKI-3-OCSP_REVOKED, on-change ocsp, export says revoked"

# A responder that does not answer: the previous response stays, a retry.
cl_stop
cp "$T/tp1.ocsp" "$T/revoked.ocsp"
sed -i "s|^ ocsp export .*| ocsp url http://127.0.0.1:1/ocsp\n&|" "$T/cl.conf"
cl_start
wait_for 30 grep -q "TP1: OCSP responder http://127.0.0.1:1/ocsp:" "$T/cl.log" ||
	fail "the unreachable responder was not logged"
cmp -s "$T/tp1.ocsp" "$T/revoked.ocsp" || fail "the held response was replaced"
r=$(ocsp_timer)
[ -n "$r" ] && [ "$r" -gt "$(($(lab_now) - 1))" ] || fail "no retry armed after the failure ($r)"
echo "ok: unreachable ocsp url: previous response kept, retry armed"
echo "check-client-ocsp: OK"
