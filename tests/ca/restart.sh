#!/bin/bash
# check-ca-restart: pkid killed with SIGKILL and restarted keeps its pending
# requests, its serial counter, its revocations and its CRL; the CA key and
# certificate are reused (same fingerprint); the keystore still holds the
# CS CRL UPDATE timer; a client re-sending its old transactionID after the
# operator's grant gets the certificate.
. tests/ca/lib.sh
ca_setup 18104
ca_conf "! manual granting"
ca_start
sw_scepca

pw=$(ctl --json "server password generate" $CA_NAME |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
sw_enroll alice --password "$pw" --maxpolltime 5 || fail "alice"
aserial=$(openssl x509 -in "$T/alice.pem" -noout -serial | cut -d= -f2)
ctl "server revoke" $CA_NAME $((16#$aserial)) >/dev/null || fail "revoke"
# A request left pending: the client gives up after 2 s.
sw_enroll pat --interval 1 --maxpolltime 2 && fail "pat issued in manual mode"
ctl "show requests verbose" $CA_NAME | grep -q "pending.*CN=pat" || fail "pat not pending"
curl -sf -o "$T/crl-before.der" "$URL?operation=GetCRL" || fail GetCRL
last=$(ctl --json "show server" $CA_NAME | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["last_serial"])')
fp=$(ctl --json "show server" $CA_NAME | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["fingerprint"])')

# <serial>.cer files are synced in groups: a crash may take the last
# ones.  One removed and one cut short come back from the database.
acer=$T/db/$((16#$aserial)).cer
[ -s "$acer" ] || fail "no $acer"
cp "$acer" "$T/alice.cer"
ra=$(ls "$T"/db/*.cer | grep -v "/$((16#$aserial)).cer" | grep '/[0-9]*\.cer$' | head -n 1)
[ -n "$ra" ] || fail "no second <serial>.cer"
cp "$ra" "$T/other.cer"
rm -f "$acer"
: >"$ra"

ca_kill KILL
ca_start

# The rebuild runs as the CA starts, just after it publishes the
# certificates GetCACert (ca_start's signal) answers with: its log line
# first (bounded: 100 x 0.1 s), then the files.
for i in $(seq 1 100); do
	grep -q "CS_CERT_FILE: $CA_NAME: 2 certificate file(s) rebuilt from the database" \
		"$T/pkid.log" && break
	sleep 0.1
done
grep -q "CS_CERT_FILE: $CA_NAME: 2 certificate file(s) rebuilt from the database" \
	"$T/pkid.log" || fail "the rebuild is not logged"
cmp -s "$acer" "$T/alice.cer" || fail "removed $acer not rebuilt"
cmp -s "$ra" "$T/other.cer" || fail "emptied $ra not rebuilt"
echo "ok: a missing and an empty <serial>.cer rebuilt at start"

fp2=$(ctl --json "show server" $CA_NAME | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
[ "$fp" = "$fp2" ] || fail "the CA changed across the restart"
ctl "show requests verbose" $CA_NAME | grep -q "pending.*CN=pat" ||
	fail "pending request lost"
curl -sf -o "$T/crl-after.der" "$URL?operation=GetCRL" || fail GetCRL
cmp -s "$T/crl-before.der" "$T/crl-after.der" || fail "CRL changed"
openssl crl -inform der -in "$T/crl-after.der" -noout -text |
	grep -qi "Serial Number: 0*$aserial" || fail "revocation lost"
PKIKS_SOCKET=$PKIKS_SOCKET $B/pkictl show timers | grep -q "CS CRL UPDATE" ||
	fail "no CS CRL UPDATE timer"

# The serial counter continued: the next certificate is above the old last.
pw=$(ctl --json "server password generate" $CA_NAME |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
sw_enroll bert --password "$pw" --maxpolltime 5 || fail "bert"
bserial=$(openssl x509 -in "$T/bert.pem" -noout -serial | cut -d= -f2)
[ $((16#$bserial)) -gt "$last" ] || fail "serial $((16#$bserial)) <= $last"

# Grant pat; the same key means the same transactionID: a poll, issued.
ctl "server grant" $CA_NAME all >/dev/null || fail "grant all"
sw_enroll pat --interval 1 --maxpolltime 5 || fail "pat: $(tail -3 "$T/pat.log")"
verify "$T/pat.pem"
n=$(ctl --json "show certificates" $CA_NAME | jq '[.[] | select(.subject | test("CN=pat"))] | length')
[ "$n" = 1 ] || fail "pat has $n certificates"

# The CA's identity is locked: another issuer-name keeps it disabled.
ca_kill TERM || fail "SIGTERM"
sed -i 's/issuer-name CN=pkid test CA,O=pkid/issuer-name CN=impostor/' "$T/pkid.conf"
CA_WAIT=GetCACaps ca_start
# GetCACaps answers before the CA has loaded (on PostgreSQL it may still
# be connecting): wait for its verdict (bounded: 300 x 0.1 s), then ask.
for i in $(seq 1 300); do
	grep -q "issuer-name is locked" "$T/pkid.log" && break
	sleep 0.1
done
grep -q "issuer-name is locked" "$T/pkid.log" || fail "no lock message"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")
[ "$code" = 503 ] || fail "CA started with a changed issuer-name (HTTP $code)"
echo "ok: issuer-name locked once the CA exists"
echo "check-ca-restart: OK"
