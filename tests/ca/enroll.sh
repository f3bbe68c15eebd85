#!/bin/bash
# check-ca-enroll: strongSwan enrolls against pkid (grant auto, challenge
# password), renews with its old certificate (RenewalReq and Cisco-style
# PKCSReq), and every chain verifies with `openssl verify`; the CRL is
# served by GetCRL and the plain path; GetCACaps lists what INTEROP.md
# needs.
. tests/ca/lib.sh
ca_setup 18101
ca_conf "grant auto"
ca_start

caps=$(curl -sf "$URL?operation=GetCACaps") || fail "GetCACaps"
for c in GetNextCACert Renewal POSTPKIOperation SHA-1 SHA-256 SHA-384 \
	SHA-512 AES DES3 SCEPStandard; do
	grep -qx "$c" <<<"$caps" || fail "GetCACaps lacks $c"
done
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$URL?operation=GetCACert")
[ "$ctype" = application/x-x509-ca-ra-cert ] || fail "GetCACert type $ctype"
sw_scepca
openssl x509 -inform der -in "$T/ca.der" -noout -ext keyUsage,basicConstraints |
	grep -q "Certificate Sign, CRL Sign" || fail "CA keyUsage"
openssl verify -CAfile "$T/ca.pem" <(openssl x509 -inform der -in "$T/ra.der") \
	>/dev/null || fail "RA certificate does not verify"

# Key usages in the keystore: the CA key only signs, the RA key decrypts.
PKIKS_SOCKET=$PKIKS_SOCKET $B/pkictl --json show keys | python3 -c '
import json, sys
u = {k["name"]: k["usage"] for k in json.load(sys.stdin)["keys"]}
sys.exit(0 if u.get("TESTCA") == "sign" and u.get("TESTCA-ra") == "both" else 1)
' || fail "key usages: CA sign, RA both"

# 1. First enrollment, AES, one-time challenge.
pw=$(ctl --json "server password generate" $CA_NAME 10 |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
[ -n "$pw" ] || fail "no one-time password"
sw_enroll alice --password "$pw" --cipher aes --san alice.example.org ||
	fail "alice enroll: $(cat "$T/alice.log")"
verify "$T/alice.pem"
ext=$(openssl x509 -in "$T/alice.pem" -noout -ext \
	subjectAltName,keyUsage,extendedKeyUsage,authorityKeyIdentifier,subjectKeyIdentifier,basicConstraints)
for want in "DNS:alice.example.org" "Digital Signature, Key Encipherment" \
	"TLS Web Server Authentication, TLS Web Client Authentication" \
	"Authority Key Identifier" "Subject Key Identifier" "CA:FALSE"; do
	grep -q "$want" <<<"$ext" || fail "alice lacks $want"
done
# lifetime certificate 30 (days), never past the CA's end.
days=$(( ($(date -d "$(openssl x509 -in "$T/alice.pem" -noout -enddate | cut -d= -f2)" +%s) -
	$(date -d "$(openssl x509 -in "$T/alice.pem" -noout -startdate | cut -d= -f2)" +%s)) / 86400 ))
[ "$days" = 30 ] || fail "alice lives $days days, want 30"
openssl x509 -in "$T/alice.pem" -noout -subject | grep -q "CN = alice" ||
	fail "alice subject"
openssl x509 -in "$T/alice.pem" -noout -ext crlDistributionPoints |
	grep -q "/crl/$CA_NAME.crl" || fail "alice has no CDP"

# 2. A used one-time password cannot grant: tests/ca/manual.sh (under
# grant auto without a password a challenge is ignored, as on IOS).

# 3. 3DES and SHA-1, no challenge (grant auto).
sw_enroll bob --cipher des3 --digest sha1 || fail "bob: $(cat "$T/bob.log")"
verify "$T/bob.pem"

# 4. Renewal: RenewalReq signed by alice's certificate, new key.
pki --gen --size 2048 >"$T/alice2.key"
pki --scep --url "$URL" --in "$T/alice2.key" --dn "CN=alice,O=pkid test" \
	--cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" --cacert "$T/ca.der" \
	--cert "$T/alice.der" --key "$T/alice.key" >"$T/alice2.der" \
	2>"$T/alice2.log" || fail "alice renewal: $(cat "$T/alice2.log")"
openssl x509 -inform der -in "$T/alice2.der" -out "$T/alice2.pem"
verify "$T/alice2.pem"
s1=$(openssl x509 -in "$T/alice.pem" -noout -serial)
s2=$(openssl x509 -in "$T/alice2.pem" -noout -serial)
[ "$s1" != "$s2" ] || fail "renewal reused serial $s1"

# 5. Cisco-style renewal: PKCSReq signed by the current certificate.
cat >>"$T/strongswan.conf" <<-EOF2
pki { scep { renewal_via_pkcs_req = yes } }
EOF2
pki --gen --size 2048 >"$T/bob2.key"
pki --scep --url "$URL" --in "$T/bob2.key" --dn "CN=bob,O=pkid test" \
	--cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" --cacert "$T/ca.der" \
	--cert "$T/bob.der" --key "$T/bob.key" >"$T/bob2.der" \
	2>"$T/bob2.log" || fail "bob PKCSReq renewal: $(cat "$T/bob2.log")"
openssl x509 -inform der -in "$T/bob2.der" -out "$T/bob2.pem"
verify "$T/bob2.pem"

# 6. CRL: GetCRL and the plain path give the same CRL, signed by the CA.
curl -sf -o "$T/crl1.der" "$URL?operation=GetCRL" || fail "GetCRL"
curl -sf -o "$T/crl2.der" "http://127.0.0.1:$PORT/crl/$CA_NAME.crl" ||
	fail "GET /crl/$CA_NAME.crl"
cmp -s "$T/crl1.der" "$T/crl2.der" || fail "the two CRLs differ"
openssl crl -inform der -in "$T/crl1.der" -CAfile "$T/ca.pem" -noout 2>&1 |
	grep -q "verify OK" || fail "CRL signature"

# 7. Revoke bob's renewed certificate: the CRL lists it, chains fail.
serial=$(openssl x509 -in "$T/bob2.pem" -noout -serial | cut -d= -f2)
ctl "server revoke" $CA_NAME $((16#$serial)) >/dev/null || fail "revoke"
curl -sf -o "$T/crl3.der" "$URL?operation=GetCRL" || fail "GetCRL after revoke"
openssl crl -inform der -in "$T/crl3.der" -noout -text | grep -qi "Serial Number: 0*$serial" ||
	fail "revoked serial $serial not in CRL"
openssl crl -inform der -in "$T/crl3.der" -out "$T/crl3.pem"
openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl3.pem" \
	"$T/bob2.pem" >/dev/null 2>&1 && fail "revoked certificate still verifies"
openssl verify -crl_check -CAfile "$T/ca.pem" -CRLfile "$T/crl3.pem" \
	"$T/alice2.pem" >/dev/null || fail "alice2 fails the CRL check"

# 8. database level complete: every certificate as <serial>.cer.
[ -f "$T/db/$((16#$serial)).cer" ] || fail "no $((16#$serial)).cer"
ls "$T"/db/"$CA_NAME"_00001.p12 >/dev/null || fail "no CA archive"

ca_kill TERM || fail "pkid did not stop cleanly on SIGTERM"
echo "check-ca-enroll: OK"
