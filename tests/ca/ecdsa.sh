#!/bin/bash
# check-ca-ecdsa: an ECDSA CA key (`eckeypair`, issue 20) beside the RSA RA.
#  - pkid -m single with eckeypair: the CA does not start, and says why;
#  - pkid -t refuses what pkid cannot serve, at the eckeypair line:
#    single-key mode (the CA key would decrypt SCEP's RSA envelope), a
#    label other than the server's, a size other than 256/384; mode
#    sub-cs with eckeypair is taken (an ECDSA sub-CA, check-hierarchy-sub-ec);
#    pkid -T prints the line back;
#  - a P-384 CA: CA certificate, RA (RSA 2048), an issued certificate and
#    the CRL verify with openssl; `show server` names the key;
#  - the key type is locked once the CA exists: a reload that drops
#    eckeypair is refused ("eckeypair is locked"), and so is a restart
#    with it dropped (the CA stays down, GetCACert 503).
. tests/ca/lib.sh
ca_setup 18160

# pkid -t: each refusal names FILE:LINE of the eckeypair line.
tcheck() {
	local name=$1 want=$2
	shift 2
	printf '%s\n' "$@" >"$T/$name.conf"
	$B/pkid -t -c "$T/$name.conf" 2>"$T/err" && fail "pkid -t accepted $name"
	grep -qF -- "$name.conf:$want" "$T/err" || fail "$name: $(cat "$T/err")"
}
tcheck single "2: crypto pki server CA: eckeypair needs the RA (ra-certificate auto)" \
	"crypto pki server CA" " eckeypair CA 256" " ra-certificate none"
tcheck label "2: 'eckeypair': the CA key is named after the server: expected CA, got 'OTHER'" \
	"crypto pki server CA" " eckeypair OTHER 256"
tcheck size "2: 'eckeypair': expected key size 256 or 384, got '521'" \
	"crypto pki server CA" " eckeypair 521"
printf '%s\n' "crypto pki server CA" " mode sub-cs" " eckeypair 384" \
	"crypto pki trustpoint CA" " enrollment url http://127.0.0.1:1/" >"$T/sub.conf"
$B/pkid -t -c "$T/sub.conf" 2>"$T/err" || fail "an ECDSA sub-cs refused: $(cat "$T/err")"
printf 'crypto pki server CA\n eckeypair 384\n' >"$T/ok.conf"
$B/pkid -T -c "$T/ok.conf" >"$T/out" 2>&1 || fail "pkid -T: $(cat "$T/out")"
grep -qx " eckeypair CA 384" "$T/out" || fail "pkid -T: $(cat "$T/out")"
printf 'crypto pki server CA\n eckeypair\n' >"$T/ok.conf"
$B/pkid -T -c "$T/ok.conf" >"$T/out" 2>&1 || fail "pkid -T: $(cat "$T/out")"
grep -qx " eckeypair CA 256" "$T/out" || fail "pkid -T default size: $(cat "$T/out")"
echo "ok: pkid -t refuses single-key mode, another label, size 521 (FILE:LINE); takes an ECDSA sub-cs"

CA_EC=384 ca_conf "grant auto"
cp "$T/pkid.conf" "$T/ec.conf"
# pkid -m single is a command-line choice: the CA refuses to start.
CA_WAIT=GetCACaps ca_start -m single
for i in $(seq 1 300); do
	grep -q "eckeypair needs the RA" "$T/pkid.log" && break
	sleep 0.1
done
grep -q "eckeypair needs the RA: in single-key mode (pkid -m single)" "$T/pkid.log" ||
	fail "pkid -m single with eckeypair: no reason logged"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")
[ "$code" = 503 ] || fail "an ECDSA CA started in single-key mode (HTTP $code)"
ca_kill TERM || fail "SIGTERM"
echo "ok: pkid -m single with eckeypair: the CA stays down, with the reason"
ca_start
sw_scepca
CA_EC=384 ca_key_want "$T/ca.pem"
openssl x509 -inform der -in "$T/ra.der" -out "$T/ra.pem" || fail "ra.der"
[ "$(key_is "$T/ra.pem")" = rsa2048 ] || fail "RA key $(key_is "$T/ra.pem")"
openssl verify -CAfile "$T/ca.pem" "$T/ra.pem" >/dev/null || fail "RA does not verify"
sw_enroll alice || { cat "$T/alice.log"; fail "alice: enrollment"; }
verify "$T/alice.pem"
openssl x509 -in "$T/alice.pem" -noout -text | grep -q "Signature Algorithm: ecdsa-with-SHA256" ||
	fail "alice not signed with ECDSA"
curl -sf -o "$T/crl.der" "$URL?operation=GetCRL" || fail "GetCRL"
openssl crl -inform der -in "$T/crl.der" -CAfile "$T/ca.pem" -noout 2>&1 |
	grep -q "verify OK" || fail "the CRL does not verify"
openssl crl -inform der -in "$T/crl.der" -noout -text | grep -q "ecdsa-with-SHA256" ||
	fail "the CRL is not signed with ECDSA"
k=$(ctl --json "show server" $CA_NAME | jq -r .ca_key)
[ "$k" = "ECDSA P-384" ] || fail "show server: ca_key '$k'"
ctl "show server verbose" $CA_NAME | grep -q "CA key: ECDSA P-384" ||
	fail "show server verbose: no CA key line"
echo "ok: ECDSA P-384 CA, RSA RA; alice and the CRL signed with ecdsa-with-SHA256"

# Locked: a reload without eckeypair is refused, the CA keeps serving.
grep -v eckeypair "$T/ec.conf" >"$T/pkid.conf"
$B/pkictl --ctl "$T/pkid.ctl" reload >"$T/out" 2>"$T/err" && fail "reload dropping eckeypair accepted"
grep -q "eckeypair is locked while server $CA_NAME runs" "$T/err" ||
	fail "reload: $(cat "$T/out" "$T/err")"
curl -sf -o /dev/null "$URL?operation=GetCACert" || fail "the CA stopped after a refused reload"
echo "ok: reload dropping eckeypair refused; the CA keeps serving"

# Locked: a restart without eckeypair leaves the CA down, with the reason.
ca_kill TERM || fail "SIGTERM"
CA_WAIT=GetCACaps ca_start
for i in $(seq 1 300); do
	grep -q "eckeypair is locked" "$T/pkid.log" && break
	sleep 0.1
done
grep -q "eckeypair is locked: it differs from the existing CA key's type" "$T/pkid.log" ||
	fail "no lock message"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")
[ "$code" = 503 ] || fail "the CA started as RSA over an ECDSA key (HTTP $code)"
ca_kill TERM || fail "SIGTERM"
cp "$T/ec.conf" "$T/pkid.conf"
ca_start
sw_enroll bob || { cat "$T/bob.log"; fail "bob after the restart"; }
verify "$T/bob.pem"
echo "ok: restart without eckeypair: CA down (locked); with it back: enrolls again"
echo "check-ca-ecdsa: OK"
