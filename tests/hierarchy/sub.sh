#!/bin/bash
# check-hierarchy-sub: a pkid root, a pkid subordinate CA (`mode sub-cs`)
# and clients below it, on loopback with one lab keystore.
#  - the sub's `no shutdown` makes its CA key and requests a CA
#    certificate from the root through trustpoint SUB (authenticated by
#    its configured fingerprint); the root, under `grant auto`, holds it
#    pending; the sub does not serve and says why (CS_SUB_WAITING, show
#    server);
#  - the root's operator grants it; the sub's POLL timer fetches it (one
#    retry period, 60 s, waited for) and the sub starts: its
#    certificate is CA:TRUE from the root, for its key SUB;
#  - GetCACert on the sub is a degenerate PKCS#7 with the sub, its RA and
#    the root; `show server SUB` names the parent;
#  - strongSwan (pki --scep) and a pkid trustpoint enroll at the sub;
#    both certificates verify with openssl against the root with the sub
#    as the intermediate, and not against the root alone;
#  - a restarted sub serves the same chain at once.
# SUB_EC=256|384 (check-hierarchy-sub-ec): the sub's CA key is ECDSA.
. tests/hierarchy/lib.sh
[ -n "${SUB_EC:-}" ] && SUB_EXTRA="eckeypair SUB $SUB_EC"
hi_setup 18910
ca_conf "! manual granting at the root"
ca_start
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
[ -n "$rootfp" ] || hfail "no root fingerprint"

# 1. The sub starts, makes its key, asks the root, waits.
sub_conf "fingerprint $rootfp"
sub_start
wait_for 20 root_pending_id "CN=pkid sub CA" ||
	hfail "no pending request of the sub at the root"
id=$(root_pending_id "CN=pkid sub CA")
sub_serving && hfail "the sub serves before it has a certificate"
grep -q "CS_SUB_WAITING.*SUB: not started: waiting for its CA certificate from the parent CA: request .* pending at the parent CA" \
	"$T/sub.log" || hfail "the sub does not say why it waits"
subctl "show server" SUB | grep -q "waiting for its CA certificate" ||
	hfail "show server SUB: no reason: $(subctl "show server" SUB)"
$B/pkictl --json show keys | jq -e '.keys[] | select(.name == "SUB")' >/dev/null ||
	hfail "no CA key SUB in the keystore"
grep -q "CS_SUB_CA_REQUEST.*waits for the operator's grant" "$T/ca.log" ||
	hfail "the root did not hold the CA request"
echo "ok: sub made key SUB, request $id pending at the root, not serving"

# 2. The root's operator grants; the sub's POLL (60 s, `enrollment retry
#    period 1`) fetches it and the sub starts.
cactl "server grant" TESTCA "$id" >/dev/null || hfail "grant $id"
poll=$(sub_timer POLL)
[ -n "$poll" ] || hfail "no POLL timer for trustpoint SUB"
# The lab clock is not moved: strongSwan checks validity on the wall
# clock, and the sub's RA certificate starts at the sub's start.  Wait
# for the poll (its deadline as the keystore armed it), bounded by it.
left=$((poll - $(lab_now)))
[ "$left" -le 61 ] || hfail "POLL $left s away, armed for 60 s"
wait_for $((left + 20)) sub_serving || hfail "the sub does not serve after the grant"
[ "$(lab_now)" -ge "$poll" ] || hfail "the sub served before its POLL was due"
grep -q "CS_SUB_CA_INSTALLED" "$T/sub.log" || hfail "no CS_SUB_CA_INSTALLED"
echo "ok: granted at the root, polled, the sub serves"

# 3. GetCACert: sub, RA, root; show server names the parent.
curl -sf "$SURL?operation=GetCACert" -D "$T/h.txt" -o "$T/sub.p7" || hfail "GetCACert"
grep -qi "content-type: application/x-x509-ca-ra-cert" "$T/h.txt" ||
	hfail "GetCACert content type: $(cat "$T/h.txt")"
openssl pkcs7 -inform der -in "$T/sub.p7" -print_certs -out "$T/bundle.pem" ||
	hfail "GetCACert is no PKCS#7"
subjects=$(openssl pkcs7 -inform der -in "$T/sub.p7" -print_certs | grep '^subject=')
[ "$(echo "$subjects" | wc -l)" = 3 ] || hfail "GetCACert holds: $subjects"
echo "$subjects" | grep -q "CN = pkid client-test CA" || hfail "no root in GetCACert"
echo "$subjects" | grep -q "CN = pkid sub CA" || hfail "no sub in GetCACert"
echo "$subjects" | grep -q "CN = SUB RA" || hfail "no RA in GetCACert"
curl -sf "$URL?operation=GetCACert" -o "$T/root.p7" || hfail "root GetCACert"
openssl pkcs7 -inform der -in "$T/root.p7" -print_certs |
	awk '/BEGIN/{n++} n==1' >"$T/root-first.pem"
openssl x509 -in "$T/root-first.pem" -noout -subject | grep -q "pkid client-test CA" ||
	hfail "the root's GetCACert does not start with the root"
cp "$T/root-first.pem" "$T/root.pem"
openssl pkcs7 -inform der -in "$T/sub.p7" -print_certs |
	awk '/BEGIN/{n++} n==1' >"$T/sub.pem"
openssl x509 -in "$T/sub.pem" -noout -text >"$T/sub.txt"
grep -A1 "Basic Constraints: critical" "$T/sub.txt" | grep -q "CA:TRUE, pathlen:0" ||
	hfail "the sub's certificate: $(cat "$T/sub.txt")"
[ "$(pubkey_of_cert "$T/sub.pem")" = "$(pubkey_of_key SUB)" ] ||
	hfail "the sub's certificate is not for key SUB"
# SUB_EC (check-hierarchy-sub-ec): the sub's key is ECDSA (eckeypair): it
# signed its CA request and derived the root's CertRep (ECDH), and it signs
# what the sub issues.
if [ -n "${SUB_EC:-}" ]; then
	grep -q "NIST CURVE: P-$SUB_EC" "$T/sub.txt" ||
		hfail "the sub's certificate is not for an EC P-$SUB_EC key"
	echo "ok: the sub's CA key is ECDSA P-$SUB_EC"
fi
openssl verify -CAfile "$T/root.pem" "$T/sub.pem" >/dev/null || hfail "verify sub"
subctl "show server" SUB >"$T/show.txt"
grep -q "Mode: subordinate CA (sub-cs)" "$T/show.txt" || hfail "show server: $(cat "$T/show.txt")"
grep -q "Parent CA: CN=pkid client-test CA" "$T/show.txt" || hfail "show server: no parent"
subctl --json "show server" SUB | jq -e '.mode == "sub-cs" and (.chain | length) == 1' \
	>/dev/null || hfail "show server --json: no chain"
echo "ok: GetCACert = [sub, RA, root]; show server names the parent"

# 4. strongSwan enrolls at the sub (grant auto there).
. tests/lib/strongswan.sh
strongswan_conf "$T"
mkdir -p "$T/sw"
(cd "$T/sw" && pki --scepca --url "$SURL" --caout ca.der --raout ra.der \
	>"$T/scepca.log" 2>&1) ||
	hfail "pki --scepca: $(cat "$T/scepca.log")"
ls "$T/sw" >"$T/sw.ls"
ra=$(for f in "$T"/sw/*; do openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null |
	grep -q "SUB RA" && echo "$f"; done | head -1)
ca=$(for f in "$T"/sw/*; do openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null |
	grep -q "pkid sub CA" && echo "$f"; done | head -1)
[ -n "$ra" ] && [ -n "$ca" ] || hfail "pki --scepca wrote: $(cat "$T/sw.ls") $(cat "$T/scepca.log")"
pki --gen --size 2048 >"$T/sw.key"
pki --scep --url "$SURL" --in "$T/sw.key" --dn "CN=swan,O=pkid test" \
	--cacert-enc "$ra" --cacert-sig "$ra" --cacert "$ca" \
	>"$T/sw.der" 2>"$T/sw.log" || hfail "pki --scep at the sub: $(tail -5 "$T/sw.log")"
openssl x509 -inform der -in "$T/sw.der" -out "$T/sw.pem" || hfail "sw.der"
openssl verify -CAfile "$T/root.pem" -untrusted "$T/sub.pem" "$T/sw.pem" >/dev/null ||
	hfail "strongSwan's certificate does not verify root <- sub"
[ -z "${SUB_EC:-}" ] || openssl x509 -in "$T/sw.pem" -noout -text |
	grep -q "Signature Algorithm: ecdsa-with" ||
	hfail "strongSwan's certificate is not signed with the sub's ECDSA key"
openssl verify -CAfile "$T/root.pem" "$T/sw.pem" >/dev/null 2>&1 &&
	hfail "strongSwan's certificate verifies without the sub"
echo "ok: strongSwan enrolled at the sub; root <- sub <- swan verifies"

# 5. A pkid trustpoint enrolls at the sub.
URL=$SURL cl_conf
cl_start
# The trustpoint authenticates the issuing CA, the sub (its fingerprint is
# the one `show server SUB` gives), and keeps the sub as its CA.
subfp=$(subctl --json "show server" SUB | jq -r .fingerprint)
got=$(PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl --json trustpoint TP1 authenticate --accept |
	jq -r .fingerprint) || hfail "authenticate at the sub"
[ "$got" = "$subfp" ] || hfail "authenticate showed $got, the sub is $subfp"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll at the sub"
[ -s "$T/tp1.pem" ] || hfail "no exported certificate"
openssl verify -CAfile "$T/root.pem" -untrusted "$T/sub.pem" "$T/tp1.pem" >/dev/null ||
	hfail "the pkid client's certificate does not verify root <- sub"
openssl verify -CAfile "$T/bundle.pem" "$T/tp1.pem" >/dev/null ||
	hfail "the GetCACert bundle does not verify the client's certificate"
echo "ok: pkid trustpoint enrolled at the sub (CA $subfp); root <- sub <- router1 verifies"

# 6. A restarted sub serves at once: its certificate is recorded, the
# parent is read from the trustpoint again.
sub_stop
sub_start
wait_for 20 sub_serving || hfail "the restarted sub does not serve"
curl -sf "$SURL?operation=GetCACert" -o "$T/sub-again.p7" || hfail "GetCACert again"
cmp -s "$T/sub.p7" "$T/sub-again.p7" || hfail "GetCACert changed across a restart"
[ "$(grep -c CS_SUB_CA_INSTALLED "$T/sub.log")" = 1 ] ||
	hfail "the restarted sub installed its certificate again"
echo "ok: restarted: the same chain, no new request"
echo "check-hierarchy-sub: OK"
