#!/bin/bash
# check-ca-single: IOS single-key mode (pkid -m single): GetCACert is the
# bare CA certificate (application/x-x509-ca-cert), the CA key decrypts
# the request and signs the CertRep, and strongSwan enrolls with the CA
# certificate for both roles.  The CA lives 10 days here, so the 30-day
# `lifetime certificate` is truncated at the CA's notAfter.
. tests/ca/lib.sh
ca_setup 18107
ca_conf "grant auto" "lifetime ca-certificate 10"
ca_start -m single
ctype=$(curl -s -o "$T/ca.der" -w '%{content_type}' "$URL?operation=GetCACert")
[ "$ctype" = application/x-x509-ca-cert ] || fail "GetCACert type $ctype"
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" || fail "not one DER cert"
pki --scepca --url "$URL" --caout "$T/sw-ca.der" >"$T/scepca.log" 2>&1 ||
	fail "pki --scepca: $(cat "$T/scepca.log")"
cmp -s "$T/ca.der" "$T/sw-ca.der" || fail "strongSwan got another certificate"
cp "$T/ca.der" "$T/ra.der" # the CA plays both roles for sw_enroll
sw_enroll henry --cipher des3 || fail "henry: $(tail -3 "$T/henry.log")"
verify "$T/henry.pem"
ca_end=$(openssl x509 -in "$T/ca.pem" -noout -enddate)
[ "$(openssl x509 -in "$T/henry.pem" -noout -enddate)" = "$ca_end" ] ||
	fail "henry's notAfter is not truncated to the CA's ($ca_end)"
PKIKS_SOCKET=$PKIKS_SOCKET $B/pkictl --json show keys | grep -q "$CA_NAME-ra" &&
	fail "single-key mode made an RA key"
echo "check-ca-single: OK"
