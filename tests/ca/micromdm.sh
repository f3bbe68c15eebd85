#!/bin/bash
# check-ca-micromdm: micromdm's scepclient (Debian package scep) enrolls
# with pkid.  Its envelopes are single DES: without `legacy des` the CA
# refuses them (badAlg, nothing issued); with it the certificate is issued,
# each such request is logged as CS_LEGACY_DES with its transaction ID, and
# the answer comes back enveloped with 3DES, which scepclient opens.
. tests/ca/lib.sh
command -v scepclient >/dev/null || fail "scepclient missing (apt-get install scep)"
ca_setup 18116

# mm NAME: one scepclient enrollment (its own key), bounded in time.
mm() {
	(cd "$T" && timeout 60 scepclient -server-url "$URL" \
		-private-key "$1.key" -certificate "$1.pem" -cn "$1" \
		-challenge "$2" >"$1.log" 2>&1)
}

ca_conf "grant auto" "password 0 mm-secret" "legacy des"
ca_start
mm mm1 mm-secret || { cat "$T/mm1.log"; fail "scepclient enroll"; }
curl -sf "$URL?operation=GetCACert" -o "$T/cacert.p7" || fail "GetCACert"
openssl pkcs7 -inform der -in "$T/cacert.p7" -print_certs -out "$T/chain.pem" ||
	fail "GetCACert PKCS#7"
openssl verify -partial_chain -CAfile "$T/chain.pem" "$T/mm1.pem" >/dev/null ||
	fail "the issued certificate does not verify"
tid=$(sed -n 's/.*CS_LEGACY_DES: TESTCA: tid \([^:]*\): single-DES.*/\1/p' \
	"$T/pkid.log" | head -n 1)
[ -n "$tid" ] || fail "no CS_LEGACY_DES line with a transaction ID"
grep -q "PKCSReq tid $tid: SUCCESS" "$T/pkid.log" ||
	fail "transaction $tid was not granted"
echo "ok: with legacy des, scepclient enrolls (tid $tid logged)"
ca_kill

ca_conf "grant auto" "password 0 mm-secret"
ca_start
mm refused mm-secret && fail "scepclient enrolled without legacy des"
[ -s "$T/refused.pem" ] && fail "a certificate was written without legacy des"
grep -q "PKCSReq tid .*FAILURE badAlg" "$T/pkid.log" ||
	fail "no badAlg answer to a single-DES request"
echo "ok: without legacy des, a single-DES request is badAlg"

echo "check-ca-micromdm: OK"
