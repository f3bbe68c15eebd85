#!/bin/bash
# check-ca-expired: a CA past its notAfter, without a rollover CA (issue 19
# #3).  It issues nothing (PKCSReq: FAILURE badTime), signs no CRL,
# `show server` says expired, and CS_CA_EXPIRED is logged once; after a
# restart it still answers GetCACert without re-issuing its RA past its end.
# The CA lives 2 h here; the lab clock moves past that.
. tests/ca/lib.sh
ca_setup 18112
ca_conf "grant auto" "lifetime ca-certificate 0 2" "lifetime crl 1"
ca_start
sw_scepca
sw_enroll before || fail "enroll while the CA is valid"
crl_number() {
	ctl --json "server info crl" $CA_NAME | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["crl_number"])'
}
certs() { ctl --json "show certificates" $CA_NAME | jq length; }
expired_lines() { grep -c "%PKI-3-CS_CA_EXPIRED: $CA_NAME:" "$T/pkid.log"; }
openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k.pem" -subj /CN=late -days 2 -out "$T/self.pem"
openssl req -new -key "$T/k.pem" -subj /CN=late -outform der -out "$T/csr.der"

# 30 min before the end: the CRL timer has re-signed; the CA still issues.
$B/lab-advance 5400 || fail "lab-advance"
for ((i = 0; i < 50; i++)); do
	[ "$(crl_number)" -gt 1 ] && break
	sleep 0.1
done
n1=$(crl_number)
[ "$n1" -gt 1 ] || fail "the CRL was not re-signed while the CA was valid"
[ "$(expired_lines)" = 0 ] || fail "CS_CA_EXPIRED before the end"

# 1 min past the end: CS CERT EXPIRE fires, the log says it once.
$B/lab-advance 1860 || fail "lab-advance"
for ((i = 0; i < 50; i++)); do
	[ "$(expired_lines)" -ge 1 ] && break
	sleep 0.1
done
[ "$(expired_lines)" = 1 ] || fail "CS_CA_EXPIRED logged $(expired_lines) times"
echo "ok: CS_CA_EXPIRED logged at the end"
n=$(certs)
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-late "$T/csr.der"
expect_scep "PKCSReq to an expired CA" 2 3
expect_scep "the same PKCSReq again" 2 3
[ "$(certs)" = "$n" ] || fail "the expired CA issued a certificate"
ctl "show server" $CA_NAME | grep -q "^    State: expired" ||
	fail "show server: $(ctl "show server" $CA_NAME | grep State)"
echo "ok: show server says expired"

# Two CRL periods later: no CRL signed by the expired CA, no second line.
$B/lab-advance 7200 || fail "lab-advance"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-later "$T/csr.der"
expect_scep "PKCSReq two hours later" 2 3
[ "$(crl_number)" = "$n1" ] || fail "the expired CA re-signed its CRL ($n1 -> $(crl_number))"
[ "$(expired_lines)" = 1 ] || fail "CS_CA_EXPIRED logged $(expired_lines) times"
echo "ok: no CRL re-signed, CS_CA_EXPIRED once"

# Restart: serves GetCACert, the RA is not re-issued past the CA's end.
ra_before=$(sha256sum <"$T/ra.der")
ca_kill TERM || fail "pkid did not stop cleanly"
ca_start
mv "$T/ra.der" "$T/ra-before.der"
rm -f "$T/ca.der"
sw_scepca
[ "$(sha256sum <"$T/ra.der")" = "$ra_before" ] || fail "the RA was re-issued by the expired CA"
[ "$(certs)" = "$n" ] || fail "a certificate was issued at restart"
ctl "show server" $CA_NAME | grep -q "^    State: expired" || fail "show server after restart"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-restart "$T/csr.der"
expect_scep "PKCSReq after restart" 2 3
echo "ok: after a restart: GetCACert served, nothing issued"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-ca-expired: OK"
