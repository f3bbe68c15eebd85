#!/bin/bash
# check-hierarchy-policy: what a pkid CA does with a request for a CA
# certificate (issue 17, daemon/ca/ca_subpolicy.c).  Under `grant auto`
# a CA request stays pending: self-signed, with a one-time password, or
# signed by `grant auto trustpoint`'s CA alike, while an ordinary request
# is still issued at once.  The operator's grant issues a proper CA
# certificate: basicConstraints critical CA:TRUE with pathlen from
# ca-path-length, keyUsage keyCertSign+cRLSign, no EKU, ending with the
# root (truncated).  The sub's re-enrollment (signed by that CA
# certificate) waits too, unless `grant auto rollover ca-cert`.
. tests/ca/lib.sh
ca_setup 18900

openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/tpca.key" \
	-subj /CN=TP1-CA -days 2 -out "$T/tpca.pem" 2>/dev/null
mkdir -p "$T/state"
$B/tp-seed "$T/state/pkid.db" TP1 "$T/tpca.pem" || fail "tp-seed"

# lifetime ca-certificate 20 < lifetime certificate 30: every certificate
# is truncated at the root's end.
ca_conf "grant auto" "grant auto trustpoint TP1" "lifetime ca-certificate 20"
echo "crypto pki trustpoint TP1" >>"$T/pkid.conf"
ca_start
sw_scepca

# A key and CSRs: one asking for a CA, one not.
openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k.pem" -subj /CN=sub -days 2 -out "$T/self.pem"
openssl req -new -key "$T/k.pem" -subj "/CN=pkid sub CA/O=pkid" \
	-addext "basicConstraints=critical,CA:TRUE" -outform der \
	-out "$T/ca-csr.der" || fail "CA CSR"
openssl req -new -key "$T/k.pem" -subj /CN=router -outform der \
	-out "$T/ee-csr.der" || fail "EE CSR"
# The same CA request signed by a certificate of TP1's CA.
openssl req -new -key "$T/k.pem" -subj /CN=sub -out "$T/r.csr"
openssl x509 -req -in "$T/r.csr" -CA "$T/tpca.pem" -CAkey "$T/tpca.key" \
	-CAcreateserial -days 2 -out "$T/by-tpca.pem" 2>/dev/null

# 1. grant auto: an ordinary request is issued, a CA request is not.
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-ee "$T/ee-csr.der"
expect_scep "ordinary request, grant auto" 0 -
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-ca "$T/ca-csr.der"
expect_scep "CA request, grant auto" 3 -
grep -q "CS_SUB_CA_REQUEST.*tid t-ca: a request for a CA certificate waits" \
	"$T/pkid.log" || fail "no CS_SUB_CA_REQUEST line for t-ca"
# A repeat of the transaction (a poll) is still pending.
expect_scep "CA request polled, grant auto" 3 -

# 2. Neither a one-time password nor grant auto trustpoint grants a CA.
pw=$(ctl --json "server password generate" $CA_NAME |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
[ -n "$pw" ] || fail "no one-time password"
cat >"$T/otp.cnf" <<EOF2
[req]
prompt = no
distinguished_name = dn
attributes = attrs
req_extensions = ext
[dn]
CN = pkid sub CA
[attrs]
challengePassword = $pw
[ext]
basicConstraints = critical,CA:TRUE
EOF2
openssl req -new -key "$T/k.pem" -config "$T/otp.cnf" -outform der \
	-out "$T/ca-otp.der" || fail "CA CSR with a challenge"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-ca-otp "$T/ca-otp.der"
expect_scep "CA request with a one-time password" 3 -
req 19 AES-128-CBC "$T/by-tpca.pem" "$T/k.pem" t-ca-tp "$T/ca-csr.der"
expect_scep "CA request signed by grant auto trustpoint's CA" 3 -
n=$(ctl --json "show requests" $CA_NAME | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["state"] == "pending"))')
[ "$n" = 3 ] || fail "$n pending requests, want 3"
echo "ok: 3 CA requests pending under grant auto"

# 3. The operator grants t-ca: a CA certificate, truncated at the root's end.
id=$(ctl --json "show requests" $CA_NAME | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["state"] == "pending": print(r["id"]); break')
ctl "server grant" $CA_NAME "$id" >/dev/null || fail "grant $id"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-ca "$T/ca-csr.der"
expect_scep "CA request after the grant" 0 -
sub=$(ls "$T/db" | grep -E '^[0-9]+\.cer$' | sort -n | tail -1)
openssl x509 -inform der -in "$T/db/$sub" -out "$T/sub.pem" || fail "$sub"
openssl x509 -in "$T/sub.pem" -noout -text >"$T/sub.txt"
grep -A1 "Basic Constraints: critical" "$T/sub.txt" | grep -q "CA:TRUE, pathlen:0" ||
	fail "no critical CA:TRUE, pathlen:0: $(cat "$T/sub.txt")"
grep -A1 "Key Usage: critical" "$T/sub.txt" |
	grep -q "Digital Signature, Certificate Sign, CRL Sign" ||
	fail "no keyCertSign/cRLSign: $(cat "$T/sub.txt")"
grep -q "Extended Key Usage" "$T/sub.txt" && fail "a CA certificate with an EKU"
grep -q "Subject: CN = pkid sub CA, O = pkid" "$T/sub.txt" || fail "subject"
[ "$(openssl x509 -in "$T/sub.pem" -noout -enddate)" = \
  "$(openssl x509 -in "$T/ca.pem" -noout -enddate)" ] ||
	fail "the CA certificate does not end with the root"
openssl verify -CAfile "$T/ca.pem" "$T/sub.pem" >/dev/null || fail "verify sub"
# It really is a CA: a certificate it signs verifies under the chain.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/leaf.key" -subj /CN=leaf \
	-out "$T/leaf.csr" 2>/dev/null
openssl x509 -req -in "$T/leaf.csr" -CA "$T/sub.pem" -CAkey "$T/k.pem" \
	-CAcreateserial -days 1 -out "$T/leaf.pem" 2>/dev/null
openssl verify -CAfile "$T/ca.pem" -untrusted "$T/sub.pem" "$T/leaf.pem" \
	>/dev/null || fail "a leaf of the sub does not verify"
echo "ok: granted -> CA:TRUE pathlen:0, keyCertSign/cRLSign, ends with the root"

# 4. The sub's re-enrollment, signed by its CA certificate: pending...
openssl genrsa -out "$T/k2.pem" 2048 2>/dev/null
openssl req -new -key "$T/k2.pem" -subj "/CN=pkid sub CA/O=pkid" \
	-addext "basicConstraints=critical,CA:TRUE" -outform der \
	-out "$T/ca2-csr.der" || fail "CA CSR 2"
req 19 AES-128-CBC "$T/sub.pem" "$T/k.pem" t-ca-renew "$T/ca2-csr.der"
expect_scep "sub re-enrollment without grant auto rollover ca-cert" 3 -
grep -q "tid t-ca-renew: .*waits.*(no grant auto rollover ca-cert)" \
	"$T/pkid.log" || fail "re-enrollment: no reason logged"

# ... and granted with grant auto rollover ca-cert (pathlen 1 now).
ca_kill TERM || fail "SIGTERM"
ca_conf "grant auto" "grant auto trustpoint TP1" "lifetime ca-certificate 20" \
	"grant auto rollover ca-cert" "ca-path-length 1"
echo "crypto pki trustpoint TP1" >>"$T/pkid.conf"
ca_start
req 19 AES-128-CBC "$T/sub.pem" "$T/k.pem" t-ca-renew2 "$T/ca2-csr.der"
expect_scep "sub re-enrollment with grant auto rollover ca-cert" 0 -
sub2=$(ls "$T/db" | grep -E '^[0-9]+\.cer$' | sort -n | tail -1)
openssl x509 -inform der -in "$T/db/$sub2" -noout -text |
	grep -A1 "Basic Constraints: critical" | grep -q "CA:TRUE, pathlen:1" ||
	fail "renewed CA certificate: no pathlen:1"
# A first CA request still waits under grant auto rollover ca-cert.
openssl genrsa -out "$T/k3.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k3.pem" -subj /CN=sub3 -days 2 -out "$T/self3.pem"
openssl req -new -key "$T/k3.pem" -subj /CN=sub3 \
	-addext "basicConstraints=critical,CA:TRUE" -outform der \
	-out "$T/ca3-csr.der" || fail "CA CSR 3"
req 19 AES-128-CBC "$T/self3.pem" "$T/k3.pem" t-ca-new3 "$T/ca3-csr.der"
expect_scep "first CA request with grant auto rollover ca-cert" 3 -
echo "ok: re-enrollment granted by grant auto rollover ca-cert only"
echo "check-hierarchy-policy: OK"
