#!/bin/bash
# check-est-server: EST (RFC 7030) against independent tools.  One CA with
# `grant auto`, a static password and `est` on `ip http secure-server`;
# curl speaks EST, openssl checks every answer:
#   TLS        1.2 and 1.3 served, 1.1 refused; the server's certificate is
#              issued by the CA (ECDSA key NAME-tls, in the keystore) for
#              the configured tls-name; plain HTTP to the port is no HTTP
#   cacerts    certs-only PKCS#7 holding exactly the CA certificate SCEP
#              serves, also under /.well-known/est/TESTCA/
#   simpleenroll with Basic (the CA's password, then a one-time one):
#              a certificate for the request's key that chains to the CA;
#              the same request again is a poll (same certificate)
#   simplereenroll with the current certificate as TLS client
#              certificate: a new certificate, same names, new key
#   refusals   no credentials (401 + WWW-Authenticate), wrong password,
#              wrong content type, bad base64, not a CSR, a CSR whose
#              signature does not verify, an oversized body, GET on a POST
#              operation, serverkeygen, fullcmc, an unknown CA label; a
#              re-enroll without a TLS certificate, with other names, with
#              a revoked, an expired (lab clock) or another CA's
#              certificate: each a
#              clear HTTP error, nothing issued, the server still serves
. tests/est/lib.sh
est_setup 19100
est_conf "grant auto" "password s3cret-pw"
est_start

# ---- TLS ----
echo | openssl s_client -connect 127.0.0.1:$HTTPS_PORT -tls1_3 \
	-CAfile "$T/ca.pem" -verify_return_error -verify_ip 127.0.0.1 \
	-showcerts >"$T/s13.txt" 2>&1 || fail "TLS 1.3 handshake: $(tail -5 "$T/s13.txt")"
grep -q "Protocol  *: TLSv1.3\|New, TLSv1.3" "$T/s13.txt" || fail "not TLS 1.3"
echo | openssl s_client -connect 127.0.0.1:$HTTPS_PORT -tls1_2 \
	-CAfile "$T/ca.pem" -verify_return_error >"$T/s12.txt" 2>&1 ||
	fail "TLS 1.2 handshake: $(tail -5 "$T/s12.txt")"
echo | openssl s_client -connect 127.0.0.1:$HTTPS_PORT -tls1_1 \
	-cipher 'DEFAULT:@SECLEVEL=0' >"$T/s11.txt" 2>&1 &&
	fail "TLS 1.1 was accepted"
echo "ok: TLS 1.3 and 1.2 (server certificate verified for 127.0.0.1), TLS 1.1 refused"
# The server's certificate: issued by the CA, an EC key, recorded.
openssl s_client -connect 127.0.0.1:$HTTPS_PORT -CAfile "$T/ca.pem" \
	</dev/null 2>/dev/null | openssl x509 -out "$T/tls.pem" || fail "server cert"
verify "$T/tls.pem"
openssl x509 -in "$T/tls.pem" -noout -text | grep -q "id-ecPublicKey" ||
	fail "the TLS key is not ECDSA"
openssl x509 -in "$T/tls.pem" -noout -ext subjectAltName | grep -q "IP Address:127.0.0.1" ||
	fail "the TLS certificate does not name 127.0.0.1"
tls_serial=$(openssl x509 -in "$T/tls.pem" -noout -serial | cut -d= -f2)
[ "$(ctl --json "show certificates" $CA_NAME | jq "[.[] | select(.serial == $((16#$tls_serial)))] | length")" = 1 ] ||
	fail "the TLS certificate is not in the CA's records"
$B/pkictl --socket "$PKIKS_SOCKET" show keys 2>/dev/null | grep -q "$CA_NAME-tls" ||
	fail "no key $CA_NAME-tls in the keystore"
echo "ok: TLS certificate issued by the CA (serial $tls_serial), key $CA_NAME-tls in the keystore"
# Plain HTTP to the TLS port: no HTTP answer, the listener goes on.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"http://127.0.0.1:$HTTPS_PORT/.well-known/est/cacerts")
[ "$code" = 000 ] || fail "plain HTTP to the TLS port got HTTP $code"
echo "ok: plain HTTP to the TLS port -> no HTTP answer (TLS only)"

# ---- cacerts ----
for path in cacerts $CA_NAME/cacerts; do
	expect_http "GET $path" 200 "$(est "$path")"
	grep -qi '^Content-Type: application/pkcs7-mime; smime-type=certs-only' "$T/headers" ||
		fail "$path: $(grep -i content-type "$T/headers")"
	p7_certs "$T/body" "$T/cacerts.pem"
	[ "$(grep -c BEGIN "$T/cacerts.pem")" = 1 ] || fail "$path: not one certificate"
	cmp -s <(openssl x509 -in "$T/cacerts.pem" -outform der) "$T/ca.der" ||
		fail "$path: not the CA certificate SCEP serves"
done
expect_http "GET OTHERCA/cacerts" 404 "$(est OTHERCA/cacerts)"

# ---- simpleenroll ----
n0=$(ncerts)
csr alice "/CN=alice/O=pkid test" "DNS:alice.example"
expect_http "simpleenroll without credentials" 401 "$(enroll_post simpleenroll alice)"
grep -qi '^WWW-Authenticate: Basic' "$T/headers" || fail "401 without WWW-Authenticate"
expect_http "simpleenroll, Basic with the CA's password" 200 \
	"$(enroll_post simpleenroll alice -u dev:s3cret-pw)"
p7_certs "$T/body" "$T/alice.pem"
verify "$T/alice.pem"
[ "$(pubkey_hash "$T/alice.pem")" = "$(openssl pkey -in "$T/alice.key" -pubout | sha256sum)" ] ||
	fail "alice's certificate is not for her key"
openssl x509 -in "$T/alice.pem" -noout -subject | grep -q "CN *= *alice" || fail "alice: subject"
[ "$(ncerts)" = $((n0 + 1)) ] || fail "alice: $(ncerts) certificates, want $((n0 + 1))"
expect_http "the same simpleenroll again (a poll)" 200 \
	"$(enroll_post simpleenroll alice -u dev:s3cret-pw)"
p7_certs "$T/body" "$T/alice-again.pem"
cmp -s "$T/alice.pem" "$T/alice-again.pem" || fail "a repeat got another certificate"
[ "$(ncerts)" = $((n0 + 1)) ] || fail "a repeat issued another certificate"
# A one-time password, under the CA label.
pw=$(ctl --json "server password generate" $CA_NAME |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
[ -n "$pw" ] || fail "password generate"
csr carol "/CN=carol/O=pkid test"
expect_http "simpleenroll under TESTCA/, one-time password" 200 \
	"$(enroll_post $CA_NAME/simpleenroll carol -u x:"$pw")"
p7_certs "$T/body" "$T/carol.pem"
verify "$T/carol.pem"

# ---- simplereenroll ----
cp "$T/alice.key" "$T/alice-old.key"
rm "$T/alice.key"
csr alice "/CN=alice/O=pkid test" "DNS:alice.example" # a new key
n1=$(ncerts)
expect_http "simplereenroll with the current certificate" 200 \
	"$(enroll_post simplereenroll alice --cert "$T/alice.pem" --key "$T/alice-old.key")"
p7_certs "$T/body" "$T/alice2.pem"
verify "$T/alice2.pem"
[ "$(pubkey_hash "$T/alice2.pem")" = "$(openssl pkey -in "$T/alice.key" -pubout | sha256sum)" ] ||
	fail "the renewed certificate is not for the new key"
cmp -s <(openssl x509 -in "$T/alice.pem" -noout -subject -ext subjectAltName) \
	<(openssl x509 -in "$T/alice2.pem" -noout -subject -ext subjectAltName) ||
	fail "the renewed certificate names something else"
[ "$(ncerts)" = $((n1 + 1)) ] || fail "reenroll: want one more certificate"
echo "ok: simplereenroll -> new certificate for the new key, same names"

# ---- refusals: nothing issued ----
n2=$(ncerts)
printf 'not base64 at all!' >"$T/junk.b64"
head -c 300 /dev/urandom | base64 >"$T/random.b64"
# A CSR whose signature does not verify: flip a bit of its last byte.
csr dave "/CN=dave/O=pkid test"
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-1]^=1; open(sys.argv[1],"wb").write(b)' "$T/dave.csr"
base64 "$T/dave.csr" >"$T/dave.b64"
openssl req -inform der -in "$T/dave.csr" -verify -noout 2>&1 | grep -q "verify failure" ||
	fail "the tampered CSR still verifies"
# An oversized body (over the 64 KiB cap).
head -c 70000 /dev/zero | base64 >"$T/big.b64"
csr erin "/CN=erin/O=pkid test"
expect_http "wrong password" 403 "$(enroll_post simpleenroll erin -u dev:wrong)"
expect_http "wrong content type" 415 \
	"$(est -H 'Content-Type: text/plain' --data-binary @"$T/erin.b64" -u dev:s3cret-pw simpleenroll)"
expect_http "bad base64" 400 "$(enroll_post simpleenroll junk -u dev:s3cret-pw)"
grep -q "not base64" "$T/body" || fail "bad base64: $(cat "$T/body")"
expect_http "base64 of no CSR" 400 "$(enroll_post simpleenroll random -u dev:s3cret-pw)"
grep -q "not a PKCS#10" "$T/body" || fail "no CSR: $(cat "$T/body")"
expect_http "CSR with a bad signature" 400 "$(enroll_post simpleenroll dave -u dev:s3cret-pw)"
grep -q "signature does not verify" "$T/body" || fail "bad signature: $(cat "$T/body")"
expect_http "oversized body" 413 "$(enroll_post simpleenroll big -u dev:s3cret-pw)"
expect_http "GET simpleenroll" 405 "$(est simpleenroll)"
expect_http "serverkeygen" 501 "$(enroll_post serverkeygen erin -u dev:s3cret-pw)"
grep -q "never makes a client's private key" "$T/body" || fail "serverkeygen: $(cat "$T/body")"
expect_http "fullcmc" 501 "$(enroll_post fullcmc erin -u dev:s3cret-pw)"
expect_http "csrattrs" 404 "$(est csrattrs)"
expect_http "unknown operation" 404 "$(est nosuchop)"
expect_http "simpleenroll under another CA's label" 404 \
	"$(enroll_post OTHERCA/simpleenroll erin -u dev:s3cret-pw)"
# Re-enrollment refusals.
expect_http "simplereenroll without a TLS certificate" 403 \
	"$(enroll_post simplereenroll erin -u dev:s3cret-pw)"
csr mallory "/CN=mallory/O=pkid test" "DNS:alice.example"
expect_http "simplereenroll, other subject than the TLS certificate" 403 \
	"$(enroll_post simplereenroll mallory --cert "$T/alice2.pem" --key "$T/alice.key")"
grep -q "subject and subjectAltName" "$T/body" || fail "mismatch: $(cat "$T/body")"
csr alice3 "/CN=alice/O=pkid test" "DNS:other.example"
expect_http "simplereenroll, other subjectAltName" 403 \
	"$(enroll_post simplereenroll alice3 --cert "$T/alice2.pem" --key "$T/alice.key")"
# Another CA's certificate with alice's names.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other-ca.key" \
	-subj "/CN=pkid test CA/O=pkid" -days 2 -out "$T/other-ca.pem" 2>/dev/null ||
	fail "other CA"
openssl x509 -req -in <(openssl req -new -key "$T/alice.key" -subj "/CN=alice/O=pkid test" \
	-addext "subjectAltName=DNS:alice.example") -CA "$T/other-ca.pem" \
	-CAkey "$T/other-ca.key" -copy_extensions copy -days 1 -out "$T/alice-other.pem" 2>/dev/null ||
	fail "other CA's certificate"
csr alice4 "/CN=alice/O=pkid test" "DNS:alice.example"
expect_http "simplereenroll with another CA's certificate" 403 \
	"$(enroll_post simplereenroll alice4 --cert "$T/alice-other.pem" --key "$T/alice.key")"
# A revoked certificate: carol's.
ctl "server revoke" $CA_NAME $((16#$(openssl x509 -in "$T/carol.pem" -noout -serial | cut -d= -f2))) \
	>/dev/null || fail "revoke carol"
cp "$T/carol.key" "$T/carol-old.key"
rm "$T/carol.key"
csr carol "/CN=carol/O=pkid test"
expect_http "simplereenroll with a revoked certificate" 403 \
	"$(enroll_post simplereenroll carol --cert "$T/carol.pem" --key "$T/carol-old.key")"
grep -q "EST_REFUSED: $CA_NAME: .*neither self-signed .* nor issued by this CA" "$T/pkid.log" ||
	fail "the other CA's certificate was not refused as such"
grep -q "EST_REFUSED: $CA_NAME: .*not one of ours, valid and not revoked" "$T/pkid.log" ||
	fail "the revoked certificate was not refused as such"
[ "$(ncerts)" = "$n2" ] || fail "a refused request was issued: $(ncerts) certificates, want $n2"
echo "ok: every refusal issued nothing ($n2 certificates)"

# The wrong password made this address wait (CS_CHALLENGE_FAILED); once
# the wait is over, erin's same CSR with the right password is a new
# attempt, not a poll of the rejected one (bounded: 40 x 0.25 s).
for ((i = 0; i < 40; i++)); do
	code=$(enroll_post simpleenroll erin -u dev:s3cret-pw)
	[ "$code" = 200 ] && break
	[ "$code" = 403 ] || fail "erin after the wait: HTTP $code"
	sleep 0.25
done
[ "$code" = 200 ] || fail "erin's right password never got through"
p7_certs "$T/body" "$T/erin.pem"
verify "$T/erin.pem"
echo "ok: a rejected request sent again with the right password -> issued"

# An expired TLS client certificate: erin's, once the lab clock is past
# its end (`lifetime certificate 30`: 30 days).
$B/lab-advance $((31 * 86400)) || fail "lab-advance"
cp "$T/erin.key" "$T/erin-old.key"
rm "$T/erin.key"
csr erin "/CN=erin/O=pkid test"
# 31 days on, the server's own TLS certificate (30 days too) has been
# issued again on the keystore's clock: valid now on the lab clock, not
# yet on the wall clock curl judges by.  Checked here on the lab clock;
# the request below then skips curl's own check (-k).
wait_for_tls() {
	now=$($B/pkictl --json show clock | jq '.now_ns / 1e9 | floor')
	openssl s_client -connect "127.0.0.1:$HTTPS_PORT" </dev/null 2>/dev/null |
		openssl x509 >"$T/tls-now.pem" 2>/dev/null &&
		openssl verify -attime "$now" -CAfile "$T/ca.pem" "$T/tls-now.pem" >/dev/null 2>&1
}
# The server asks the keystore's clock at most once a second (est_tls.c):
# bounded, 50 x 0.1 s.
for ((i = 0; i < 50; i++)); do
	wait_for_tls && break
	sleep 0.1
done
[ "$i" -lt 50 ] || fail "the TLS certificate is not valid on the keystore's clock 31 days on (now $now: $(openssl x509 -noout -serial -dates -in "$T/tls-now.pem" | tr "\n" " "))"
[ "$(openssl x509 -noout -serial -in "$T/tls-now.pem")" != "$(openssl x509 -noout -serial -in "$T/tls.pem")" ] ||
	fail "the TLS certificate was not issued again at 80 % of its life (keystore clock)"
echo "ok: the TLS certificate issued again on the keystore's clock"
n3=$(ncerts)
expect_http "simplereenroll with an expired certificate" 403 \
	"$(enroll_post simplereenroll erin -k --cert "$T/erin.pem" --key "$T/erin-old.key")"
[ "$(ncerts)" = "$n3" ] || fail "an expired certificate renewed"
[ "$(grep -c "EST_REFUSED: $CA_NAME: .*not one of ours, valid and not revoked" "$T/pkid.log")" = 2 ] ||
	fail "the expired certificate was not refused as such"
echo "ok: an expired TLS client certificate renews nothing"

# Still serving, and still alive.
expect_http "GET cacerts at the end" 200 "$(est -k cacerts)"
kill -0 "$PKID_PID" || fail "pkid died"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-est-server: OK"
