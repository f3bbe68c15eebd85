#!/bin/bash
# check-est-client-idevid: the first enrollment authenticated by a
# certificate the device already holds (a manufacturer's IDevID, IEEE
# 802.1AR): trustpoint `enrollment credential certificate PATH key LABEL`
# on the client, `grant auto trustpoint MFG` on the CA, MFG holding the
# manufacturer's CA certificate (`enrollment terminal`, imported from a
# file, as an operator would).  The IDevID keys are made in the keystore
# (pkiks-keygen) and certified by the manufacturer's CA from their public
# keys: they never leave it.
# The CA runs in manual mode with a password: a request with neither
# would wait or be refused, so an identity issued at once was granted by
# the IDevID alone.
#  - TP1: an IDevID from MFG: enrolled at once over EST (simpleenroll with
#    the IDevID as TLS client certificate), the identity verifies;
#  - TP2: an IDevID from another manufacturer: 403, the trustpoint gives
#    up with the CA's words, nothing issued;
#  - TP3: TP1's IDevID file with another keystore key: refused by the
#    client before anything is sent (it says which), nothing issued;
#  - TP5: an IDevID from an intermediate CA of MFG's (MFG -> "mfg line 2"
#    -> device), its file carrying the device certificate and the
#    intermediate: the client sends both in its TLS handshake, the CA
#    verifies through the intermediate to MFG: enrolled at once;
#  - TP6: another IDevID from that intermediate, its file without it: the
#    CA cannot reach MFG, 403 "neither ...", nothing issued;
#  - TP4: an IDevID from MFG that has expired (one day, the lab clock
#    two days on): 403, the CA says it is not valid now, nothing issued.
. tests/est/client-lib.sh
estc_setup 19150
estc_ca_conf "password 0 ca-secret"
# grant auto trustpoint MFG, and MFG itself (after the server block)
sed -i 's/^ no shutdown$/ grant auto trustpoint MFG\n&/' "$T/ca.conf"
printf 'crypto pki trustpoint MFG\n enrollment terminal\n' >>"$T/ca.conf"
ca_start
est_ready
capkictl() { PKID_CTL_SOCKET=$T/ca.ctl $B/pkictl "$@"; }

# The manufacturer's CA, and another one.
M=$T/mfg
mkdir -p "$M"
for ca in mfg other; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$M/$ca.key" -out "$M/$ca.pem" \
		-days 3650 -subj "/CN=$ca IDevID CA/O=maker" 2>/dev/null || fail "$ca CA"
done
capkictl trustpoint MFG import ca-certificate "$M/mfg.pem" --accept >"$T/out" 2>&1 ||
	fail "MFG import ca-certificate: $(cat "$T/out")"
# idevid NAME KEY CA DAYS: an IDevID for keystore key KEY, from CA
idevid() {
	local n=$1 key=$2 ca=$3 days=$4 when
	pubkey_of_key "$key" >"$M/$key.pub"
	grep -q "BEGIN PUBLIC KEY" "$M/$key.pub" || fail "no public key for $key"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$M/throwaway.key" \
		-subj "/CN=router SN $n/serialNumber=$n/O=maker" -out "$M/$n.csr" 2>/dev/null ||
		fail "$n CSR"
	# dated on the lab clock (which the CA judges by)
	when=$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')
	TZ=UTC faketime -f "@$when" openssl x509 -req -in "$M/$n.csr" -force_pubkey "$M/$key.pub" \
		-CA "$M/$ca.pem" -CAkey "$M/$ca.key" -CAcreateserial -days "$days" \
		-extfile <(printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n') \
		-out "$M/$n.pem" 2>/dev/null || fail "$n IDevID"
}
for k in IDEVID1 IDEVID2 IDEVID3 IDEVID4 IDEVID5 IDEVID6; do
	$B/pkiks-keygen "$k" --usage sign >/dev/null || fail "pkiks-keygen $k"
done
idevid SN1 IDEVID1 mfg 3650
idevid SN2 IDEVID2 other 3650
idevid SN4 IDEVID4 mfg 1
# MFG's intermediate (a production line's CA), dated on the lab clock.
openssl req -new -newkey rsa:2048 -nodes -keyout "$M/line.key" \
	-subj "/CN=mfg line 2 IDevID CA/O=maker" -out "$M/line.csr" 2>/dev/null || fail "line CSR"
TZ=UTC faketime -f "@$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')" \
	openssl x509 -req -in "$M/line.csr" -CA "$M/mfg.pem" -CAkey "$M/mfg.key" \
	-CAcreateserial -days 3650 \
	-extfile <(printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n') \
	-out "$M/line.pem" 2>/dev/null || fail "line CA"
idevid SN5 IDEVID5 line 3650
idevid SN6 IDEVID6 line 3650
cat "$M/SN5.pem" "$M/line.pem" >"$M/SN5-chain.pem"
openssl verify -CAfile "$M/mfg.pem" -untrusted "$M/line.pem" "$M/SN5.pem" >/dev/null ||
	fail "SN5 does not verify through the intermediate (the test's own PKI)"

URL=$EST
cl_conf "enrollment credential certificate $M/SN1.pem key IDEVID1"
tp_conf TP2 "$EST" "enrollment credential certificate $M/SN2.pem key IDEVID2" \
	"certificate export $T/tp2.pem"
tp_conf TP3 "$EST" "enrollment credential certificate $M/SN1.pem key IDEVID3" \
	"certificate export $T/tp3.pem"
tp_conf TP4 "$EST" "enrollment credential certificate $M/SN4.pem key IDEVID4" \
	"certificate export $T/tp4.pem"
tp_conf TP5 "$EST" "enrollment credential certificate $M/SN5-chain.pem key IDEVID5" \
	"certificate export $T/tp5.pem"
tp_conf TP6 "$EST" "enrollment credential certificate $M/SN6.pem key IDEVID6" \
	"certificate export $T/tp6.pem"
cl_start
for tp in TP1 TP2 TP3 TP4 TP5 TP6; do
	clctl "trustpoint authenticate" $tp --accept >/dev/null || fail "$tp authenticate"
done
ncerts() { cactl --json "show certificates" TESTCA | jq length; }
issued0=$(ncerts)

# TP1: the IDevID from MFG.
st=$(clctl --json "trustpoint enroll" TP1) || fail "TP1 enroll: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "TP1 not enrolled at once: $st"
[ "$(est_issued)" = 1 ] || fail "TP1's identity was not issued over EST"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" >"$T/ca1.pem"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/tp1.pem" >/dev/null ||
	fail "TP1's identity does not verify under the CA"
[ "$(pubkey_of_cert "$T/tp1.pem")" = "$(pubkey_of_key TP1KEY)" ] || fail "TP1's identity is not for TP1KEY"
[ "$(ncerts)" = $((issued0 + 1)) ] || fail "the CA issued $(($(ncerts) - issued0)) certificates for TP1"
echo "ok: an IDevID from the manufacturer's CA: enrolled at once (manual mode, no password)"

# TP2: another manufacturer's IDevID.
out=$($B/ctl-call "$T/cl.ctl" --json "trustpoint enroll" TP2 2>&1) && fail "TP2 enrolled with a foreign IDevID: $out"
wait_for 10 grep -q "TP2: enroll request gave up: the CA refused the request (HTTP 403" "$T/cl.log" ||
	fail "TP2: no give-up with the CA's refusal"
grep -q "EST_REFUSED: TESTCA: .*neither self-signed" "$T/ca.log" || fail "the CA did not log why it refused TP2"
[ ! -e "$T/tp2.pem" ] || fail "TP2: an identity was installed"
echo "ok: an IDevID from another CA: 403, the trustpoint gave up"

# TP3: the right file, the wrong key: the client says so, sends nothing.
n_est=$(grep -c "EST_" "$T/ca.log")
out=$($B/ctl-call "$T/cl.ctl" --json "trustpoint enroll" TP3 2>&1) && fail "TP3 enrolled with a wrong key: $out"
grep -q "is not the certificate of keystore key IDEVID3" <<<"$out" ||
	fail "TP3: the client did not say the key is wrong: $out"
[ "$(grep -c "EST_" "$T/ca.log")" = "$n_est" ] || fail "TP3: something reached the CA"
[ ! -e "$T/tp3.pem" ] || fail "TP3: an identity was installed"
echo "ok: an IDevID file with another keystore key: refused by the client, nothing sent"

# TP5: an IDevID from MFG's intermediate, the file with the intermediate.
st=$(clctl --json "trustpoint enroll" TP5) || fail "TP5 enroll: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "TP5 not enrolled at once: $st"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/tp5.pem" >/dev/null ||
	fail "TP5's identity does not verify under the CA"
[ "$(pubkey_of_cert "$T/tp5.pem")" = "$(pubkey_of_key TP5KEY)" ] || fail "TP5's identity is not for TP5KEY"
[ "$(ncerts)" = $((issued0 + 2)) ] || fail "the CA issued $(($(ncerts) - issued0 - 1)) certificates for TP5"
echo "ok: an IDevID from MFG's intermediate, sent with it: verified through it, enrolled at once"

# TP6: from the intermediate, the file without it.
out=$($B/ctl-call "$T/cl.ctl" --json "trustpoint enroll" TP6 2>&1) && fail "TP6 enrolled without its intermediate: $out"
wait_for 10 grep -q "TP6: enroll request gave up: the CA refused the request (HTTP 403" "$T/cl.log" ||
	fail "TP6: no give-up with the CA's refusal"
[ "$(grep -c "EST_REFUSED: TESTCA: .*neither self-signed" "$T/ca.log")" = 2 ] ||
	fail "the CA did not log why it refused TP6"
[ ! -e "$T/tp6.pem" ] || fail "TP6: an identity was installed"
[ "$(ncerts)" = $((issued0 + 2)) ] || fail "the CA issued something for TP6"
echo "ok: an IDevID from the intermediate without it: 403, nothing issued"

# TP4: an IDevID that has ended.
end=$(cert_time "$M/SN4.pem" enddate)
lab_to $((end + 86400))
out=$($B/ctl-call "$T/cl.ctl" --json "trustpoint enroll" TP4 2>&1) && fail "TP4 enrolled with an expired IDevID: $out"
wait_for 10 grep -q "TP4: enroll request gave up: the CA refused the request (HTTP 403" "$T/cl.log" ||
	fail "TP4: no give-up with the CA's refusal"
grep -q "EST_REFUSED: TESTCA: .*grant auto trustpoint's CA is not valid now" "$T/ca.log" ||
	fail "the CA did not say TP4's IDevID is not valid now"
[ ! -e "$T/tp4.pem" ] || fail "TP4: an identity was installed"
[ "$(ncerts)" = $((issued0 + 2)) ] || fail "the CA issued something for TP2, TP3, TP4 or TP6"
echo "ok: an expired IDevID from the manufacturer's CA: 403, not valid now, nothing issued"
echo "check-est-client-idevid: OK"
