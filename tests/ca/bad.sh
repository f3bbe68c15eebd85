#!/bin/bash
# check-ca-bad: the bad-input table.  Each row sends one malformed or
# unauthorised request and expects an HTTP 4xx or a SCEP FAILURE with the
# right failInfo; after the table the server still enrolls.  Also: a
# repeated transactionID gets the same certificate, never a second one,
# and PKIOperation by GET with percent-escaped base64 works (Cisco).
# Certificates live 1 h here; the last row moves the lab clock 2 h on.
. tests/ca/lib.sh
ca_setup 18102
ca_conf "grant auto" "lifetime certificate 0 1"
ca_start
sw_scepca

# Material: a request key with a self-signed cert and a CSR; a foreign CA.
openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k.pem" -subj /CN=tester -days 2 -out "$T/self.pem"
openssl req -new -key "$T/k.pem" -subj /CN=tester -outform der -out "$T/csr.der"
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/fca.key" \
	-subj /CN=foreign-CA -days 2 -out "$T/fca.pem" 2>/dev/null
openssl req -new -key "$T/k.pem" -subj /CN=tester -out "$T/f.csr"
openssl x509 -req -in "$T/f.csr" -CA "$T/fca.pem" -CAkey "$T/fca.key" \
	-CAcreateserial -days 2 -out "$T/foreign.pem" 2>/dev/null

# 1-2: not SCEP at all.
head -c 3000 /dev/urandom >"$T/garbage"
expect_http "garbage body" 400 "$(post "$T/garbage")"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-trunc "$T/csr.der"
head -c $(($(stat -c %s "$T/req.der") / 2)) "$T/req.der" >"$T/trunc"
expect_http "truncated CMS" 400 "$(post "$T/trunc")"
# 3: single DES envelope.
req 19 DES-CBC "$T/self.pem" "$T/k.pem" t-des "$T/csr.der"
expect_scep "single DES" 2 0
# 4: signed by a certificate of another CA.
req 19 AES-128-CBC "$T/foreign.pem" "$T/k.pem" t-foreign "$T/csr.der"
expect_scep "foreign-CA signer" 2 2
# 5: RenewalReq signed by a self-signed certificate (nothing to renew).
req 17 AES-128-CBC "$T/self.pem" "$T/k.pem" t-selfrenew "$T/csr.der"
expect_scep "RenewalReq, self-signed" 2 2
# 6: unknown messageType.
req 99 AES-128-CBC "$T/self.pem" "$T/k.pem" t-type "$T/csr.der"
expect_scep "unknown messageType" 2 2
# 7: content that is no CSR.
head -c 100 /dev/urandom >"$T/notcsr"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-notcsr "$T/notcsr"
expect_scep "content not a CSR" 2 2
# 8: CertPoll for a transaction never seen.
req 20 AES-128-CBC "$T/self.pem" "$T/k.pem" t-unknown "$T/csr.der"
expect_scep "CertPoll with a CSR for body" 2 2
# 8b: a well-formed CertPoll (IssuerAndSubject) for an unknown transaction.
cat >"$T/ias.cnf" <<-EOF2
asn1 = SEQUENCE:ias
[ias]
issuer = SEQUENCE:name
subject = SEQUENCE:name
[name]
rdn = SET:rdn
[rdn]
atv = SEQUENCE:atv
[atv]
oid = OID:commonName
val = UTF8:tester
EOF2
openssl asn1parse -genconf "$T/ias.cnf" -out "$T/ias.der" >/dev/null || fail "ias.der"
req 20 AES-128-CBC "$T/self.pem" "$T/k.pem" t-never-seen "$T/ias.der"
expect_scep "CertPoll, unknown transaction" 2 4
# 9: a challenge to this CA (grant auto, no password) is ignored, as on
# IOS (issue 13): granted, and logged as ignored.  A wrong challenge to a
# CA that has a password fails: tests/continuity/challenge.sh.
sw_enroll wrongpw --password not-the-password ||
	fail "grant auto without a password refused a challenge: $(tail -3 "$T/wrongpw.log")"
grep -q "challenge ignored" "$T/pkid.log" || fail "ignored challenge not logged"
echo "ok: challenge without a CA password under grant auto -> ignored, granted"
# 10: revoked signer renews.
sw_enroll victim || fail "victim enroll"
serial=$(openssl x509 -in "$T/victim.pem" -noout -serial | cut -d= -f2)
ctl "server revoke" $CA_NAME $((16#$serial)) >/dev/null || fail revoke
pki --gen --size 2048 >"$T/victim2.key"
pki --scep --url "$URL" --in "$T/victim2.key" --dn "CN=victim,O=pkid test" \
	--cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" --cacert "$T/ca.der" \
	--cert "$T/victim.der" --key "$T/victim.key" >"$T/victim2.der" \
	2>"$T/victim2.log" && fail "a revoked certificate renewed"
grep -q badRequest "$T/victim2.log" || fail "revoked: $(tail -3 "$T/victim2.log")"
echo "ok: revoked signer -> FAILURE badRequest"
# 11-14: HTTP level.
expect_http "unknown operation" 400 \
	"$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=Frobnicate")"
head -c 70000 /dev/zero >"$T/big"
expect_http "oversized body" 413 "$(post "$T/big")"
expect_http "oversized chunked body" 413 "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Transfer-Encoding: chunked' --data-binary @"$T/big" \
	"$URL?operation=PKIOperation")"
# A GET's URL is bounded by the connection's pool (daemon/core/http.c).
expect_http "GET message over the URL bound" 414 "$(curl -s -o /dev/null \
	-w '%{http_code}' "$URL?operation=PKIOperation&message=$(head -c 40000 \
	/dev/zero | tr '\0' A)")"
expect_http "broken base64" 400 "$(curl -s -o /dev/null -w '%{http_code}' \
	"$URL?operation=PKIOperation&message=%21%21not*base64%21")"
expect_http "GetNextCACert without rollover" 404 \
	"$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetNextCACert")"

# GetCRL (22) and GetCert (21) as PKIOperations: IssuerAndSerial bodies.
ias_serial() { # ias_serial SERIAL > DER
	cat >"$T/isn.cnf" <<-EOF2
	asn1 = SEQUENCE:isn
	[isn]
	issuer = SEQUENCE:name
	serial = INTEGER:$1
	[name]
	rdn1 = SET:cn
	rdn2 = SET:o
	[cn]
	atv = SEQUENCE:cnv
	[cnv]
	oid = OID:commonName
	val = UTF8:pkid test CA
	[o]
	atv = SEQUENCE:ov
	[ov]
	oid = OID:organizationName
	val = UTF8:pkid
	EOF2
	openssl asn1parse -genconf "$T/isn.cnf" -noout -out /dev/stdout
}
vserial=$((16#$(openssl x509 -in "$T/victim.pem" -noout -serial | cut -d= -f2)))
ias_serial "$vserial" >"$T/isn.der" || fail "isn.der"
req 22 AES-128-CBC "$T/self.pem" "$T/k.pem" t-getcrl "$T/isn.der"
expect_scep "GetCRL" 0 -
req 21 AES-128-CBC "$T/self.pem" "$T/k.pem" t-getcert "$T/isn.der"
expect_scep "GetCert, issued serial" 0 -
ias_serial 99999 >"$T/isn.der"
req 21 AES-128-CBC "$T/self.pem" "$T/k.pem" t-getcert2 "$T/isn.der"
expect_scep "GetCert, unknown serial" 2 4

# The same transactionID twice: one certificate, the same one.
req 19 AES-256-CBC "$T/self.pem" "$T/k.pem" t-repeat "$T/csr.der"
expect_scep "PKCSReq" 0 -
cp "$T/reply.der" "$T/reply1.der"
n1=$(ctl --json "show certificates" $CA_NAME | jq length)
expect_scep "PKCSReq, same transactionID" 0 -
n2=$(ctl --json "show certificates" $CA_NAME | jq length)
[ "$n1" = "$n2" ] || fail "a repeated transactionID issued another certificate"
echo "ok: repeated transactionID -> same outcome, no second certificate"
# The same transactionID for another key: refused, the first one's record
# untouched (its own repeat still gets its certificate).
openssl genrsa -out "$T/k2.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k2.pem" -subj /CN=thief -days 2 -out "$T/self2.pem"
openssl req -new -key "$T/k2.pem" -subj /CN=tester -outform der -out "$T/csr-other.der"
req 19 AES-256-CBC "$T/self2.pem" "$T/k2.pem" t-repeat "$T/csr-other.der"
expect_scep "PKCSReq, same transactionID, another key" 2 2
grep -q "tid t-repeat: transactionID already used for another key" "$T/pkid.log" ||
	fail "no log line for the reused transactionID"
req 19 AES-256-CBC "$T/self.pem" "$T/k.pem" t-repeat "$T/csr.der"
expect_scep "PKCSReq, same transactionID, its own key again" 0 -
[ "$(ctl --json "show certificates" $CA_NAME | jq length)" = "$n1" ] ||
	fail "the reused transactionID issued a certificate"
echo "ok: repeated transactionID for another key -> FAILURE badRequest, the first one's record kept"

# PKIOperation by GET, base64 with percent-escapes (Cisco, certmonger).
openssl req -new -key "$T/k.pem" -subj /CN=getter -outform der -out "$T/csr2.der"
req 19 DES-EDE3-CBC "$T/self.pem" "$T/k.pem" t-get "$T/csr2.der"
msg=$(base64 -w 64 "$T/req.der" | python3 -c \
	'import sys,urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=""))')
code=$(curl -s --http1.0 -o "$T/reply.der" -w '%{http_code}' \
	"$URL?operation=PKIOperation&message=$msg")
[ "$code" = 200 ] || fail "GET PKIOperation: HTTP $code"
[ "$($S rep "$T/reply.der")" = "status=0 failInfo=-" ] || fail "GET PKIOperation"
echo "ok: GET PKIOperation (HTTP/1.0) with %2B %2F %3D %0A -> SUCCESS"

# Still serving after all that.
sw_enroll survivor || fail "no enrollment after the bad input"
verify "$T/survivor.pem"
kill -0 "$PKID_PID" || fail "pkid died"

# Last (it moves the keystore's clock): an expired signer does not renew.
$B/lab-advance 7200 || fail "lab-advance"
pki --gen --size 2048 >"$T/survivor2.key"
pki --scep --url "$URL" --in "$T/survivor2.key" --dn "CN=survivor,O=pkid test" \
	--cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" --cacert "$T/ca.der" \
	--cert "$T/survivor.der" --key "$T/survivor.key" >"$T/survivor2.der" \
	2>"$T/survivor2.log" && fail "an expired certificate renewed"
grep -q badRequest "$T/survivor2.log" || fail "expired: $(tail -3 "$T/survivor2.log")"
echo "ok: expired signer -> FAILURE badRequest"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-ca-bad: OK"
