#!/bin/bash
# check-ca-trustpoint: `grant auto trustpoint TP` in manual mode.  A
# request signed by a certificate from TP's CA is granted at once; one
# signed by another foreign CA is refused; a plain new enrollment still
# waits for the operator.  TP's CA certificate is put in the database as
# an authenticated trustpoint would leave it (tests/ca/tp_seed.c).
. tests/ca/lib.sh
ca_setup 18109
ca_conf "grant auto trustpoint TP1"
echo "crypto pki trustpoint TP1" >>"$T/pkid.conf"

# TP1's CA (say, the CA of another site) and a router certificate from it.
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/tpca.key" \
	-subj /CN=TP1-CA -days 2 -out "$T/tpca.pem" 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/xca.key" \
	-subj /CN=other-CA -days 2 -out "$T/xca.pem" 2>/dev/null
openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
openssl req -new -key "$T/k.pem" -subj /CN=router -out "$T/r.csr"
openssl req -new -key "$T/k.pem" -subj /CN=router -outform der -out "$T/csr.der"
openssl req -new -x509 -key "$T/k.pem" -subj /CN=router -days 2 -out "$T/self.pem"
for ca in tpca xca; do
	openssl x509 -req -in "$T/r.csr" -CA "$T/$ca.pem" -CAkey "$T/$ca.key" \
		-CAcreateserial -days 2 -out "$T/by-$ca.pem" 2>/dev/null
done
mkdir -p "$T/state"
$B/tp-seed "$T/state/pkid.db" TP1 "$T/tpca.pem" || fail "tp-seed"

ca_start
sw_scepca
req 19 AES-128-CBC "$T/by-tpca.pem" "$T/k.pem" t-tp "$T/csr.der"
expect_scep "signed by TP1's CA, manual mode" 0 -
req 19 AES-128-CBC "$T/by-xca.pem" "$T/k.pem" t-other "$T/csr.der"
expect_scep "signed by another CA" 2 2
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-self "$T/csr.der"
expect_scep "self-signed, no challenge, manual mode" 3 -
ctl "show requests" $CA_NAME | grep -q "pending" || fail "no pending request"
echo "check-ca-trustpoint: OK"
