#!/bin/bash
# check-ocsp-responder: the CA's OCSP responder (RFC 6960) with `openssl
# ocsp` as the client: good, revoked after `pkictl server revoke` and good
# again after unrevoke, unknown serial, the nonce echoed, another CA's
# certificate (unauthorized), two requests in one, malformed DER and
# oversized requests, GET as well as POST; every signed response verifies
# with the CA certificate alone (delegated responder: id-kp-OCSPSigning,
# ocsp-nocheck, issued by the CA), nextUpdate is the CRL's, a response
# without a nonce comes from the cache (the same bytes, seconds later),
# and issued certificates carry the AIA OCSP URL.
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/ocsp/lib.sh
ocsp_setup 18960

ca_conf "grant auto" "ocsp-url http://127.0.0.1:$PORT/ocsp/$CA_NAME"
ca_start
sw_scepca
sw_enroll alice || { cat "$T/alice.log"; fail "alice: enrollment"; }
sw_enroll bob || { cat "$T/bob.log"; fail "bob: enrollment"; }

# The AIA in issued certificates.
[ "$(openssl x509 -in "$T/alice.pem" -noout -ocsp_uri)" = "$OURL" ] ||
	fail "alice: AIA OCSP is '$(openssl x509 -in "$T/alice.pem" -noout -ocsp_uri)'"
echo "ok: issued certificates carry AIA OCSP $OURL"

# good, with a nonce (openssl's default): verified, nonce echoed.
ocsp_q "$T/a1" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -resp_text ||
	{ cat "$T/a1.txt"; fail "alice: openssl ocsp failed"; }
[ "$(ocsp_status "$T/a1" "$T/alice.pem")" = good ] || { cat "$T/a1.txt"; fail "alice: not good"; }
grep -q "Response verify OK" "$T/a1.txt" || { cat "$T/a1.txt"; fail "alice: response does not verify"; }
grep -q "WARNING: no nonce" "$T/a1.txt" && fail "alice: nonce not echoed"
grep -q "OCSP Nonce" "$T/a1.txt" || fail "alice: no nonce in the response"
echo "ok: alice good, verified with the CA certificate, nonce echoed"

# The delegated responder: issued by the CA, OCSPSigning, nocheck, by key.
grep -q "Responder Id: [0-9A-F]\{40\}" "$T/a1.txt" || fail "responder not named by key hash"
grep -q "OCSP Signing" "$T/a1.txt" || fail "responder certificate: no id-kp-OCSPSigning"
grep -q "OCSP No Check" "$T/a1.txt" || fail "responder certificate: no ocsp-nocheck"
grep -q "Subject: CN *= *$CA_NAME OCSP Responder" "$T/a1.txt" ||
	fail "responder certificate subject"
echo "ok: delegated responder: id-kp-OCSPSigning, ocsp-nocheck, responder ID by key"

# nextUpdate is the CRL's, thisUpdate no later than now.
curl -sf -o "$T/crl.der" "http://127.0.0.1:$PORT/crl/$CA_NAME.crl" || fail "CRL"
crl_next=$(date -u -d "$(openssl crl -inform der -in "$T/crl.der" -noout -nextupdate | sed 's/.*=//')" +%s)
resp_next=$(date -u -d "$(sed -n 's/^ *Next Update: //p' "$T/a1.txt" | head -1)" +%s)
[ "$crl_next" = "$resp_next" ] || fail "nextUpdate $resp_next, CRL's $crl_next"
echo "ok: nextUpdate = the CRL's nextUpdate"

# Without a nonce: the second answer is the first one's bytes (cached),
# although a fresh signature would carry a later producedAt.
ocsp_q "$T/a2" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -no_nonce ||
	fail "alice: no nonce: $(cat "$T/a2.txt")"
sleep 1.2
ocsp_q "$T/a3" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -no_nonce ||
	fail "alice: no nonce again: $(cat "$T/a3.txt")"
cmp -s "$T/a2.der" "$T/a3.der" || fail "second response without nonce is not the cached one"
ocsp_stat() { ctl --json "show server" $CA_NAME | python3 -c "import json,sys; print(json.load(sys.stdin)['ocsp']['$1'])"; }
signed=$(ocsp_stat signed_on_request)
hits=$(ocsp_stat cache_hits)
ocsp_q "$T/a3b" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -no_nonce || fail "alice: cached"
[ "$(ocsp_stat signed_on_request)" = "$signed" ] || fail "a cached answer was signed"
[ "$(ocsp_stat cache_hits)" = $((hits + 1)) ] || fail "a cached answer was not counted as a hit"
[ "$(ocsp_status "$T/a3" "$T/alice.pem")" = good ] || fail "alice: cached answer not good"
# With a nonce it is signed for the request: not the cached bytes.
ocsp_q "$T/a4" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" || fail "alice: nonce again"
cmp -s "$T/a2.der" "$T/a4.der" && fail "a response with a nonce came from the cache"
echo "ok: without a nonce the answer comes from the cache (same bytes 1.2 s later); with one it is signed for the request"

# GET (RFC 6960 A.1): base64, URL-encoded, after the path.
openssl ocsp -issuer "$T/ca.pem" -cert "$T/alice.pem" -no_nonce -reqout "$T/get.req" >/dev/null 2>&1 ||
	fail "openssl ocsp -reqout"
b64=$(base64 -w0 "$T/get.req" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
code=$(curl -s -o "$T/get.der" -w '%{http_code} %{content_type}' "$OURL/$b64")
[ "$code" = "200 application/ocsp-response" ] || fail "GET: $code"
cmp -s "$T/get.der" "$T/a2.der" || fail "GET: not the cached response"
code=$(curl -s -o /dev/null -w '%{http_code}' "$OURL/not*base64")
[ "$code" = 400 ] || fail "GET with a path that is not base64: $code"
echo "ok: GET /ocsp/NAME/BASE64 answers the cached response; not base64: 400"

# Revoked after `server revoke`, with its time; the cache is re-signed.
bob_serial=$(openssl x509 -in "$T/bob.pem" -noout -serial | sed 's/serial=//')
ocsp_q "$T/b1" "$T/ca.pem" "$T/ca.pem" -cert "$T/bob.pem" -no_nonce || fail "bob: before revoke"
[ "$(ocsp_status "$T/b1" "$T/bob.pem")" = good ] || fail "bob: not good before revoke"
ctl "server revoke" $CA_NAME $((16#$bob_serial)) >/dev/null || fail "revoke bob"
ocsp_q "$T/b2" "$T/ca.pem" "$T/ca.pem" -cert "$T/bob.pem" -no_nonce ||
	{ cat "$T/b2.txt"; fail "bob: after revoke"; }
[ "$(ocsp_status "$T/b2" "$T/bob.pem")" = revoked ] || { cat "$T/b2.txt"; fail "bob: not revoked"; }
grep -q "Revocation Time:" "$T/b2.txt" || fail "bob: no revocation time"
ocsp_q "$T/b3" "$T/ca.pem" "$T/ca.pem" -cert "$T/bob.pem" || fail "bob: with nonce"
[ "$(ocsp_status "$T/b3" "$T/bob.pem")" = revoked ] || fail "bob: nonce answer not revoked"
# alice's cached answer was re-signed with the new CRL (a later thisUpdate
# or producedAt: other bytes), and still says good.
ocsp_q "$T/a5" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -no_nonce || fail "alice after revoke"
cmp -s "$T/a2.der" "$T/a5.der" && fail "alice's cached response was not re-signed at the CRL update"
[ "$(ocsp_status "$T/a5" "$T/alice.pem")" = good ] || fail "alice: not good after bob's revoke"
ctl "server unrevoke" $CA_NAME $((16#$bob_serial)) >/dev/null || fail "unrevoke bob"
ocsp_q "$T/b4" "$T/ca.pem" "$T/ca.pem" -cert "$T/bob.pem" -no_nonce || fail "bob: after unrevoke"
[ "$(ocsp_status "$T/b4" "$T/bob.pem")" = good ] || fail "bob: not good after unrevoke"
echo "ok: bob revoked after server revoke (cached answers re-signed), good after unrevoke"

# Unknown serial.
ocsp_q "$T/u" "$T/ca.pem" "$T/ca.pem" -serial 999999 -no_nonce || fail "unknown serial: $(cat "$T/u.txt")"
grep -q "^999999: unknown" "$T/u.txt" || { cat "$T/u.txt"; fail "serial 999999 not unknown"; }
# The CA's own serial is not a certificate it issued under itself.
ocsp_q "$T/u2" "$T/ca.pem" "$T/ca.pem" -serial 0x7fffffffffffffffff -no_nonce ||
	fail "huge serial: $(cat "$T/u2.txt")"
grep -q ": unknown" "$T/u2.txt" || { cat "$T/u2.txt"; fail "huge serial not unknown"; }
echo "ok: unknown serials (not issued; not even an int64) -> unknown"

# Another CA's certificate: unauthorized.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" -subj "/CN=other CA" \
	-days 2 -out "$T/other.pem" >/dev/null 2>&1 || fail "other CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/o1.key" -subj "/CN=o1" -out "$T/o1.csr" >/dev/null 2>&1
openssl x509 -req -in "$T/o1.csr" -CA "$T/other.pem" -CAkey "$T/other.key" -set_serial 2 \
	-days 1 -out "$T/o1.pem" >/dev/null 2>&1 || fail "other CA's certificate"
ocsp_q "$T/o" "$T/other.pem" "$T/other.pem" -cert "$T/o1.pem" -no_nonce
grep -q "Responder Error: unauthorized" "$T/o.txt" || { cat "$T/o.txt"; fail "other CA: not unauthorized"; }
echo "ok: another CA's certificate -> unauthorized"

# Two requests in one (RFC 5019 §2.1.1: one): malformedRequest.
ocsp_q "$T/two" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -cert "$T/bob.pem" -no_nonce
grep -q "Responder Error: malformedrequest" "$T/two.txt" || { cat "$T/two.txt"; fail "two requests: $(cat "$T/two.txt")"; }
echo "ok: two requests in one -> malformedRequest"

# Malformed DER, trailing garbage, oversized: malformedRequest or 413.
post_ocsp() { # post_ocsp FILE -> "HTTP-code status-word"
	local code
	code=$(curl -s -o "$T/p.der" -w '%{http_code}' --data-binary @"$1" \
		-H 'Content-Type: application/ocsp-request' "$OURL")
	if [ "$code" = 200 ]; then echo "$code $(resp_status "$T/p.der")"; else echo "$code"; fi
}
head -c 300 /dev/urandom >"$T/junk.der"
[ "$(post_ocsp "$T/junk.der")" = "200 malformedrequest" ] || fail "junk: $(post_ocsp "$T/junk.der")"
cp "$T/get.req" "$T/trail.der" && printf 'xx' >>"$T/trail.der"
[ "$(post_ocsp "$T/trail.der")" = "200 malformedrequest" ] || fail "trailing bytes: $(post_ocsp "$T/trail.der")"
head -c 3 "$T/get.req" >"$T/short.der"
[ "$(post_ocsp "$T/short.der")" = "200 malformedrequest" ] || fail "truncated: $(post_ocsp "$T/short.der")"
head -c 9000 /dev/zero >"$T/big.der"
[ "$(post_ocsp "$T/big.der")" = "200 malformedrequest" ] || fail "9000 bytes: $(post_ocsp "$T/big.der")"
head -c 70000 /dev/zero >"$T/huge.der"
[ "$(post_ocsp "$T/huge.der")" = "413" ] || fail "70000 bytes: $(post_ocsp "$T/huge.der")"
: >"$T/empty.der"
[ "$(post_ocsp "$T/empty.der")" = "200 malformedrequest" ] || fail "empty: $(post_ocsp "$T/empty.der")"
echo "ok: junk, trailing bytes, truncated, empty, 9000 B -> malformedRequest; 70000 B -> 413"

# The responder keeps answering, and its key is in the keystore.
ocsp_q "$T/a6" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" || fail "alice at the end"
[ "$(ocsp_status "$T/a6" "$T/alice.pem")" = good ] || fail "alice: not good at the end"
ca_serial=$(( 16#$(openssl x509 -in "$T/ca.pem" -noout -serial | sed 's/serial=//') ))
[ "$(key_count "$CA_NAME-ocsp-$ca_serial")" = 1 ] || fail "no keystore key $CA_NAME-ocsp-$ca_serial"
echo "ok: responder key $CA_NAME-ocsp-$ca_serial in the keystore; still answering"
# Reload: without ocsp-url the responder answers 404; with it again, good.
sed -i '/ocsp-url/d' "$T/pkid.conf"
ctl reload >/dev/null || fail "reload without ocsp-url refused"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/get.req" "$OURL")
[ "$code" = 404 ] || fail "without ocsp-url: HTTP $code"
sed -i "s|^ no shutdown| ocsp-url $OURL\n no shutdown|" "$T/pkid.conf"
ctl reload >/dev/null || fail "reload with ocsp-url refused"
ocsp_q "$T/a7" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" || fail "alice after reload"
[ "$(ocsp_status "$T/a7" "$T/alice.pem")" = good ] || fail "alice: not good after reload"
echo "ok: reload: no ocsp-url -> 404, ocsp-url again -> answers"
ca_kill

# Killed while re-signing (after the first cached response of several):
# the revocation is in the database, the cache was only memory; after a
# restart the revoked certificate is answered revoked, the others good.
ca_start
for c in alice bob; do
	ocsp_q "$T/k-$c" "$T/ca.pem" "$T/ca.pem" -cert "$T/$c.pem" -no_nonce ||
		{ cat "$T/k-$c.txt"; fail "$c after a restart (the responder must be ready once GetCACert answers)"; }
done
ca_kill
start_crash ocsp-resign
for ((i = 0; i < 200; i++)); do
	curl -sf -o /dev/null "$URL?operation=GetCACert" && break
	kill -0 "$PKID_PID" 2>/dev/null || fail "pkid (crash at ocsp-resign) exited at its start"
	sleep 0.05
done
curl -sf -o /dev/null "$URL?operation=GetCACert" || fail "pkid (crash at ocsp-resign) not up after 200 tries"
for c in alice bob; do
	ocsp_q "$T/k-$c" "$T/ca.pem" "$T/ca.pem" -cert "$T/$c.pem" -no_nonce ||
		{ cat "$T/k-$c.txt"; fail "$c before the crash"; }
done
ctl "server revoke" $CA_NAME $((16#$bob_serial)) >/dev/null 2>&1
wait_crash ocsp-resign
ca_start
ocsp_q "$T/k2" "$T/ca.pem" "$T/ca.pem" -cert "$T/bob.pem" -no_nonce || fail "bob after the crash"
[ "$(ocsp_status "$T/k2" "$T/bob.pem")" = revoked ] || { cat "$T/k2.txt"; fail "bob: not revoked after a crash while re-signing"; }
ocsp_q "$T/k3" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -no_nonce || fail "alice after the crash"
[ "$(ocsp_status "$T/k3" "$T/alice.pem")" = good ] || fail "alice: not good after the crash"
echo "ok: killed while re-signing (PKID_TEST_CRASH_AT=ocsp-resign): bob revoked, alice good after restart"
ca_kill
echo "PASS: check-ocsp-responder"
