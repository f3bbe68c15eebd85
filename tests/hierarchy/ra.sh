#!/bin/bash
# check-hierarchy-ra: a pkid CA, a pkid RA in front of it (`mode ra`) and
# clients that only talk to the RA, on loopback with one lab keystore.
#  - the RA's `no shutdown` makes its key RA and trustpoint RA enrolls it
#    at the CA (manual grant there; the RA's one-time password from the
#    CA's operator grants it): the RA certificate is an end-entity
#    certificate for key RA, subject CN=RA,OU=ioscs RA;
#  - GetCACert on the RA is [upstream CA, RA]; `show server RA` says mode
#    ra and names the upstream;
#  - strongSwan enrolls through the RA: pending at the RA (manual grant
#    there) and unknown to the CA until the RA's operator grants; then
#    the RA forwards it signed with its certificate and the CA, in manual
#    mode, grants it by `grant ra-auto`; the certificate verifies under
#    the CA;
#  - a direct request to the CA stays pending there (ra-auto trusts the
#    RA, not everyone);
#  - a pkid trustpoint enrolls through the RA with one of the RA's
#    one-time passwords (the RA's policy grants at once);
#  - requests the RA refuses (the RA operator's reject, a wrong
#    challenge) never reach the CA;
#  - with the CA down the RA still grants, the client hears PENDING and
#    keeps polling; when the CA is back the client gets its certificate.
. tests/hierarchy/lib.sh
hi_ra_setup 18920
ca_requests() { cactl --json "show requests" TESTCA; }
ra_request_id() { # STATE SUBJECT
	ractl --json "show requests" RA | jq -er --arg st "$1" --arg s "$2" \
		'[.[] | select(.state == $st and (.subject | contains($s)))][0].id // empty'
}
ca_knows() { ca_requests | jq -e --arg s "$1" '[.[] | select(.subject | contains($s))] | length > 0' >/dev/null; }
otp() { $B/ctl-call "$1" --json "server password generate" "$2" 10 | jq -r .password; }

# Manual at the CA, but requests its RA forwards are granted.
ca_conf "grant ra-auto"
ca_start
cafp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
[ -n "$cafp" ] || hfail "no CA fingerprint"
capw=$(otp "$T/ca.ctl" TESTCA)
[ -n "$capw" ] || hfail "no one-time password at the CA"

# 1. The RA: key RA, trustpoint RA enrolls at the CA with the CA's OTP.
cat >"$T/ra.conf" <<EOF
clock calendar-valid
ip http server $SPORT
control-socket $T/ra.ctl
crypto pki trustpoint RA
 enrollment url $URL
 enrollment retry period 1
 fingerprint $cafp
 password $capw
crypto pki server RA
 mode ra
 lifetime enrollment-request 24
 database url $T/radb
 no shutdown
EOF
start_pkid ra RA_PID
wait_for 30 ra_serving || hfail "the RA does not serve"
grep -q "CS_RA_CERT_INSTALLED" "$T/ra.log" || hfail "no CS_RA_CERT_INSTALLED"
grep -q "CS_RA_KEY" "$T/ra.log" || hfail "no CS_RA_KEY: the RA's key is not made at no shutdown"
$B/pkictl --json show keys | jq -e '.keys[] | select(.name == "RA")' >/dev/null ||
	hfail "no key RA in the keystore"
echo "ok: the RA made key RA, enrolled at the CA, serves"

# 2. GetCACert: [CA, RA]; show server.
curl -sf "$SURL?operation=GetCACert" -D "$T/h.txt" -o "$T/ra.p7" || hfail "GetCACert"
grep -qi "content-type: application/x-x509-ca-ra-cert" "$T/h.txt" ||
	hfail "GetCACert content type: $(cat "$T/h.txt")"
openssl pkcs7 -inform der -in "$T/ra.p7" -print_certs >"$T/bundle.pem" || hfail "not PKCS#7"
subjects=$(grep '^subject=' "$T/bundle.pem")
[ "$(echo "$subjects" | wc -l)" = 2 ] || hfail "GetCACert holds: $subjects"
awk '/BEGIN/{n++} n==1' "$T/bundle.pem" >"$T/ca.pem"
awk '/BEGIN/{n++} n==2' "$T/bundle.pem" >"$T/racert.pem"
openssl x509 -in "$T/ca.pem" -noout -subject | grep -q "CN = pkid client-test CA" ||
	hfail "GetCACert's first certificate is not the CA: $subjects"
openssl x509 -in "$T/racert.pem" -noout -subject | grep -q "CN = RA, OU = ioscs RA" ||
	hfail "GetCACert's second certificate is not the RA: $subjects"
openssl x509 -in "$T/racert.pem" -noout -text | grep -q "CA:TRUE" &&
	hfail "the RA certificate is a CA certificate"
openssl verify -CAfile "$T/ca.pem" "$T/racert.pem" >/dev/null || hfail "the RA certificate does not verify under the CA"
[ "$(pubkey_of_cert "$T/racert.pem")" = "$(pubkey_of_key RA)" ] ||
	hfail "the RA certificate is not for key RA"
ractl "show server" RA >"$T/show.txt"
grep -q "Mode: registration authority (ra), forwarding to $URL" "$T/show.txt" ||
	hfail "show server RA: $(cat "$T/show.txt")"
grep -q "Upstream CA: CN=pkid client-test CA" "$T/show.txt" || hfail "show server RA: no upstream"
ractl --json "show server" RA | jq -e --arg u "$URL" '.mode == "ra" and .upstream_url == $u and
	(.ra_certificate.subject | contains("ioscs RA"))' >/dev/null ||
	hfail "show server --json: $(ractl --json "show server" RA)"
ractl "server revoke" RA 1 >/dev/null && hfail "the RA revoked a certificate it cannot sign a CRL for"
echo "ok: GetCACert = [CA, RA]; show server says mode ra and the upstream"

# 3. strongSwan through the RA, manual grant at the RA.
. tests/lib/strongswan.sh
strongswan_conf "$T"
mkdir -p "$T/sw"
(cd "$T/sw" && pki --scepca --url "$SURL" --caout ca.der --raout ra.der >"$T/scepca.log" 2>&1) ||
	hfail "pki --scepca: $(cat "$T/scepca.log")"
ra=$(for f in "$T"/sw/*; do openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null |
	grep -q "ioscs RA" && echo "$f"; done | head -1)
ca=$(for f in "$T"/sw/*; do openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null |
	grep -q "pkid client-test CA" && echo "$f"; done | head -1)
[ -n "$ra" ] && [ -n "$ca" ] || hfail "pki --scepca wrote: $(ls "$T/sw") $(cat "$T/scepca.log")"
# sw_enroll NAME DN [pki options]: in the background, polling every 1 s.
sw_enroll() {
	local name=$1 dn=$2
	shift 2
	pki --gen --size 2048 >"$T/$name.key"
	pki --scep --url "${SW_URL:-$SURL}" --in "$T/$name.key" --dn "$dn" \
		--cacert-enc "${SW_RA:-$ra}" --cacert-sig "${SW_RA:-$ra}" --cacert "$ca" \
		--interval 1 --maxpolltime 120 "$@" >"$T/$name.der" 2>"$T/$name.log" &
}
sw_enroll sw1 "CN=swan1,O=pkid test"
SW1=$!
wait_for 20 ra_request_id pending CN=swan1 || hfail "no pending request of swan1 at the RA"
sleep 2 # two of its polls
ca_knows CN=swan1 && hfail "the CA saw swan1's request before the RA's grant"
kill -0 $SW1 2>/dev/null || hfail "pki --scep stopped while pending: $(tail -3 "$T/sw1.log")"
id=$(ra_request_id pending CN=swan1)
ractl "server grant" RA "$id" >/dev/null || hfail "grant at the RA"
for ((i = 0; i < 300; i++)); do kill -0 $SW1 2>/dev/null || break; sleep 0.1; done
wait $SW1 || hfail "pki --scep through the RA: $(tail -5 "$T/sw1.log")"
openssl x509 -inform der -in "$T/sw1.der" -out "$T/sw1.pem" || hfail "sw1.der"
openssl verify -CAfile "$T/ca.pem" "$T/sw1.pem" >/dev/null || hfail "swan1's certificate does not verify under the CA"
ca_requests | jq -e '[.[] | select(.subject | contains("CN=swan1")) | .state] == ["issued"]' >/dev/null ||
	hfail "the CA's record of swan1: $(ca_requests)"
grep -q "CS_RA_ISSUED.*issued by the upstream CA" "$T/ra.log" || hfail "no CS_RA_ISSUED"
[ "$(ractl --json "show server" RA | jq .forwarded)" = 1 ] || hfail "forwarded count"
echo "ok: strongSwan through the RA: pending at the RA, granted there, issued by the CA (grant ra-auto)"

# 4. A direct request to the CA is not granted by ra-auto.
mkdir -p "$T/swca"
(cd "$T/swca" && pki --scepca --url "$URL" --caout ca.der --raout ra.der >"$T/scepca2.log" 2>&1) ||
	hfail "pki --scepca at the CA: $(cat "$T/scepca2.log")"
carad=$(for f in "$T"/swca/*; do openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null |
	grep -q "TESTCA RA" && echo "$f"; done | head -1)
[ -n "$carad" ] || hfail "the CA's RA certificate: $(ls "$T/swca") $(cat "$T/scepca2.log")"
SW_RA=$carad SW_URL=$URL sw_enroll direct "CN=direct,O=pkid test" --maxpolltime 3
DIRECT=$!
wait $DIRECT && hfail "the CA issued a direct request in manual mode"
ca_requests | jq -e '[.[] | select(.subject | contains("CN=direct")) | .state] == ["pending"]' >/dev/null ||
	hfail "the direct request at the CA: $(ca_requests)"
# ra-auto trusts RA certificates, not every certificate of the CA: swan1's
# own certificate signing a request for another key (a renewal with a new
# key, sent to the CA directly) waits for the CA's operator.
SW_RA=$carad SW_URL=$URL sw_enroll renew1 "CN=swan1,O=pkid test" \
	--cert "$T/sw1.der" --key "$T/sw1.key" --maxpolltime 3
RENEW1=$!
wait $RENEW1 && hfail "the CA granted a request signed by a router's certificate under ra-auto"
ca_requests | jq -e '[.[] | select(.subject | contains("CN=swan1")) | .state] | sort == ["issued", "pending"]' \
	>/dev/null || hfail "swan1's renewal at the CA: $(ca_requests)"
echo "ok: a request sent to the CA directly waits for its operator, one signed by a router's certificate too"

# 5. A pkid trustpoint through the RA, with the RA's one-time password.
rapw=$(otp "$T/ra.ctl" RA)
[ -n "$rapw" ] || hfail "no one-time password at the RA"
URL=$SURL cl_conf "password $rapw"
cl_start
got=$(PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl --json trustpoint TP1 authenticate --accept |
	jq -r .fingerprint) || hfail "authenticate at the RA"
[ "$got" = "$cafp" ] || hfail "authenticate through the RA showed $got, the CA is $cafp"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll through the RA"
[ -s "$T/tp1.pem" ] || hfail "no exported certificate"
openssl verify -CAfile "$T/ca.pem" "$T/tp1.pem" >/dev/null || hfail "router1's certificate does not verify under the CA"
ca_knows CN=router1 || hfail "the CA has no record of router1's request"
echo "ok: a pkid trustpoint enrolled through the RA with the RA's one-time password"

# 6. Refused at the RA: never at the CA.
sw_enroll sw2 "CN=swan2,O=pkid test"
SW2=$!
wait_for 20 ra_request_id pending CN=swan2 || hfail "no pending request of swan2"
ractl "server reject" RA "$(ra_request_id pending CN=swan2)" >/dev/null || hfail "reject at the RA"
for ((i = 0; i < 300; i++)); do kill -0 $SW2 2>/dev/null || break; sleep 0.1; done
wait $SW2 && hfail "pki --scep got a certificate the RA rejected"
ca_knows CN=swan2 && hfail "the CA saw swan2's request, rejected at the RA"
echo "ok: the RA operator's reject never reaches the CA"

# 7. The CA is down: the RA grants (one-time password), the client hears
#    PENDING and polls; the CA comes back, the client gets its certificate.
ca_stop
rapw=$(otp "$T/ra.ctl" RA)
sw_enroll sw3 "CN=swan3,O=pkid test" --password "$rapw"
SW3=$!
wait_for 20 grep -q "CS_RA_UPSTREAM.*did not answer" "$T/ra.log" ||
	hfail "the RA did not say the CA is unreachable"
wait_for 10 ra_request_id granted CN=swan3 || hfail "swan3 is not granted at the RA"
sleep 2
kill -0 $SW3 2>/dev/null || hfail "pki --scep gave up while the CA was down: $(tail -3 "$T/sw3.log")"
ca_start
for ((i = 0; i < 300; i++)); do kill -0 $SW3 2>/dev/null || break; sleep 0.1; done
wait $SW3 || hfail "pki --scep after the CA came back: $(tail -5 "$T/sw3.log")"
openssl x509 -inform der -in "$T/sw3.der" -out "$T/sw3.pem" || hfail "sw3.der"
openssl verify -CAfile "$T/ca.pem" "$T/sw3.pem" >/dev/null || hfail "swan3's certificate"
[ -z "$(ra_request_id granted CN=swan3)" ] || hfail "swan3 still granted at the RA"
echo "ok: the CA down: pending at the client, nothing lost, issued when it came back"

# 8. A wrong challenge is refused at the RA and never reaches the CA
#    (last: the RA then makes this address wait before its next one).
sw_enroll sw4 "CN=swan4,O=pkid test" --password not-an-otp
SW4=$!
for ((i = 0; i < 300; i++)); do kill -0 $SW4 2>/dev/null || break; sleep 0.1; done
wait $SW4 && hfail "a wrong challenge got a certificate"
grep -q "CS_CHALLENGE_FAILED.*CN=swan4" "$T/ra.log" || hfail "the RA did not refuse swan4's challenge"
ca_knows CN=swan4 && hfail "the CA saw swan4's request, refused at the RA"
echo "ok: a wrong challenge at the RA never reaches the CA"

# 9. A restarted RA serves at once: the same [CA, RA], no new request.
stop_pid "$RA_PID"
RA_PID=
curl -sf "$SURL?operation=GetCACert" -o "$T/ra-before.p7" && hfail "the stopped RA answers"
start_pkid ra RA_PID
wait_for 30 ra_serving || hfail "the restarted RA does not serve"
curl -sf "$SURL?operation=GetCACert" -o "$T/ra-again.p7" || hfail "GetCACert again"
cmp -s "$T/ra.p7" "$T/ra-again.p7" || hfail "GetCACert changed across a restart"
[ "$(grep -c CS_RA_CERT_INSTALLED "$T/ra.log")" = 1 ] || hfail "the restarted RA installed its certificate again"
echo "ok: restarted: the same [CA, RA], no new request"
echo "check-hierarchy-ra: OK"
