#!/bin/bash
# check-server-cli (verbs): every pkictl server verb, text and --json,
# against a real pkid with a pkiksd twin; exit codes 1 (usage), 2 (pkid
# refused), 3 (pkid unreachable); the static challenge password enrolls
# strongSwan in manual mode; log tags appear on pkid's stderr (-f).
. tests/server-cli/lib.sh
ca_setup 18500

expect_rc 3 "unreachable pkid" pk show server $CA_NAME
grep -q "pkid unreachable at $T/pkid.ctl" "$T/err" || fail "no reason: $(cat "$T/err")"
PKID_CTL_SOCKET=$T/none expect_rc 3 "unreachable via \$PKID_CTL_SOCKET" \
	$B/pkictl show requests $CA_NAME
grep -q "$T/none" "$T/err" || fail "\$PKID_CTL_SOCKET not used"

ca_conf "! manual granting" "password 0 static-Secret1"
ca_start
sw_scepca

# Built-ins.
expect_rc 0 "version" pk version
grep -q "^pkid 0.1 (control protocol 1)" "$T/out" || fail "version: $(cat "$T/out")"
[ "$(pk --json version | jget 'j["protocol"]')" = 1 ] || fail "version --json"
expect_rc 0 "list-commands" pk list-commands
for c in "reload" "show running-config" "show server" "server grant"; do
	grep -q "$c" "$T/out" || fail "list-commands lacks $c"
done
pk --json list-commands | jget '[c["name"] for c in j["commands"]]' |
	grep "'reload'" >/dev/null || fail "list-commands --json"

# show server: the IOS fields, text and JSON.
expect_rc 0 "show server" pk show server $CA_NAME
md5=$(openssl x509 -in "$T/ca.pem" -noout -fingerprint -md5 | sed 's/.*=//; s/://g; s/\(.\{8\}\)/\1 /g; s/ $//')
end=$(date -u -d "$(openssl x509 -in "$T/ca.pem" -noout -enddate | sed 's/.*=//')" "+%H:%M:%S UTC %b %-d %Y")
for f in "Certificate Server $CA_NAME:" "    Status: enabled" "    State: enabled" \
	"    Server's configuration is locked  (enter \"shut\" to unlock it)" \
	"    Issuer name: CN=pkid test CA,O=pkid" "    CA cert fingerprint: $md5" \
	"    Granting mode is: manual" "    Last certificate issued serial number (hex): " \
	"    CA certificate expiration timer: $end" "    CRL NextUpdate timer: " \
	"    Current primary storage dir: $T/db" \
	"    Database Level: Complete - all issued certs written as <serialnum>.cer" \
	"    Rollover status: "; do
	grep -qF "$f" "$T/out" || fail "show server lacks '$f': $(cat "$T/out")"
done
fp=$(openssl x509 -in "$T/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')
[ "$(pk --json show server $CA_NAME | jget 'j["fingerprint"]')" = "$fp" ] ||
	fail "show server --json: fingerprint is not the CA's ($fp)"
expect_rc 2 "show server of an unknown server" pk show server NOPE
grep -q "no server NOPE" "$T/err" || fail "no reason: $(cat "$T/err")"
expect_rc 1 "show server without NAME" pk show server

# Usage errors never reach pkid.
expect_rc 1 "grant of a non-number" pk server $CA_NAME grant 12x
expect_rc 1 "revoke all" pk server $CA_NAME revoke all
expect_rc 1 "unknown server action" pk server $CA_NAME frobnicate
expect_rc 1 "password generate of a non-number" pk server $CA_NAME password generate soon

# The static password grants at once in manual mode; a wrong one fails.
sw_enroll alice --password static-Secret1 --interval 1 --maxpolltime 5 ||
	fail "alice: $(tail -3 "$T/alice.log")"
verify "$T/alice.pem"
echo "ok: static challenge password -> issued in manual mode"
sw_enroll mallory --password static-Secret2 --interval 1 --maxpolltime 5 &&
	fail "a wrong static password was accepted"
echo "ok: wrong static password -> refused"
wait_log "%PKI-6-CS_GRANT: $CA_NAME: PKCSReq"
wait_log "%PKI-6-CS_REJECT: $CA_NAME: PKCSReq"

# Manual: pending, shown, granted by `pkictl server NAME grant ID`.
sw_enroll bob --interval 1 --maxpolltime 60 &
client=$!
id=$(pending_id bob) || fail "bob's request never became pending"
expect_rc 0 "show requests" pk show requests $CA_NAME
grep -E "^$id +pending +[0-9A-F]{32} .*cn=bob" "$T/out" >/dev/null ||
	fail "show requests: no pending row $id for bob: $(cat "$T/out")"
pk --json show requests $CA_NAME | jget '[r["state"] for r in j if r["id"] == '"$id"']' |
	grep pending >/dev/null || fail "show requests --json"
expect_rc 2 "grant of an unknown request" pk server $CA_NAME grant 9999
grep -q "no request 9999" "$T/err" || fail "no reason: $(cat "$T/err")"
expect_rc 0 "server grant ID" pk server $CA_NAME grant "$id"
grep -q "grant: 1 request(s)" "$T/out" || fail "grant: $(cat "$T/out")"
wait $client || fail "bob: $(tail -5 "$T/bob.log")"
verify "$T/bob.pem"
wait_log "%PKI-6-CS_GRANT: $CA_NAME: grant $id by the operator"
expect_rc 0 "server reject all (nothing pending)" pk server $CA_NAME reject all
expect_rc 0 "server info requests" pk server $CA_NAME info requests
grep -qE "^$id +granted " "$T/out" || fail "info requests: $(cat "$T/out")"
expect_rc 0 "show requests verbose" pk show requests $CA_NAME verbose
grep -qE "^$id +issued " "$T/out" || fail "show requests verbose: $(cat "$T/out")"

# Certificates, revocation and the CRL.
serial=$(openssl x509 -in "$T/bob.pem" -noout -serial | sed 's/.*=//')
hex=$serial
serial=$((16#$serial))
# IOS's block of bob's certificate: its serial in hex, Available, cn=bob.
bob_block() { awk -v RS= -v s="$hex" '$0 ~ "Certificate Serial Number \\(hex\\): 0*" s "\n"' "$T/out"; }
expect_rc 0 "show certificates NAME" pk show certificates $CA_NAME
bob_block | grep -qx "  Status: Available" && bob_block | grep -qx "    cn=bob" ||
	fail "show certificates: $(cat "$T/out")"
expect_rc 0 "show certificates" pk show certificates
bob_block | grep -qx "    cn=bob" || fail "show certificates (all): $(cat "$T/out")"
expect_rc 0 "server revoke" pk server $CA_NAME revoke $serial
grep -q "certificate $serial revoked; CRL re-signed" "$T/out" || fail "revoke: $(cat "$T/out")"
expect_rc 2 "revoke twice" pk server $CA_NAME revoke $serial
grep -q "already revoked" "$T/err" || fail "no reason: $(cat "$T/err")"
expect_rc 2 "revoke an unknown serial" pk server $CA_NAME revoke 999999
expect_rc 0 "server info crl" pk server $CA_NAME info crl
grep -q "Serial $serial revoked" "$T/out" || fail "info crl: $(cat "$T/out")"
[ "$(pk --json server $CA_NAME info crl | jget "$serial in j['revoked']")" = True ] ||
	fail "info crl --json lacks $serial"
curl -sf -o "$T/crl.der" "http://127.0.0.1:18500/crl/$CA_NAME.crl" || fail "GET CRL"
openssl crl -inform der -in "$T/crl.der" -noout -text | grep -qi "Serial Number: 0*$(printf %X $serial)" ||
	fail "the served CRL lacks $serial"
wait_log "%PKI-6-CS_REVOKE: $CA_NAME: certificate $serial revoked"
expect_rc 0 "server unrevoke" pk server $CA_NAME unrevoke $serial
[ "$(pk --json server $CA_NAME info crl | jget "$serial in j['revoked']")" = False ] ||
	fail "unrevoke left $serial on the CRL"

# One-time password: --json carries it, it enrolls once.
expect_rc 0 "password generate 5" pk --json server $CA_NAME password generate 5
pw=$(jget 'j["password"]' <"$T/out")
[ "$(jget 'j["minutes"]' <"$T/out")" = 5 ] || fail "password generate: $(cat "$T/out")"
sw_enroll carol --password "$pw" --interval 1 --maxpolltime 5 ||
	fail "carol: $(tail -3 "$T/carol.log")"
verify "$T/carol.pem"
echo "ok: one-time password from pkictl enrolls"

# Rollover passes through to pkid's command.
if pk list-commands | grep -q "^server rollover "; then
	expect_rc 0 "server rollover" pk server $CA_NAME rollover
	[ "$(pk --json show server $CA_NAME | jget 'j["rollover_status"]')" = "available for rollover" ] ||
		fail "no rollover CA after server rollover"
	expect_rc 0 "server rollover cancel" pk server $CA_NAME rollover cancel
else
	expect_rc 2 "server rollover (not in this pkid)" pk server $CA_NAME rollover
fi

# Running-config: secrets hidden, the file's lines there.
expect_rc 0 "show running-config" pk show running-config
for l in "crypto pki server $CA_NAME" " password 0 <hidden>" " no shutdown" \
	"ip http server 18500" " database level complete"; do
	grep -qxF -- "$l" "$T/out" || fail "running-config lacks '$l': $(cat "$T/out")"
done
grep -q "static-Secret1\|archive-secret" "$T/out" && fail "running-config shows a secret"
pk --json show running-config | jget 'j["config"]' | grep "^crypto pki server $CA_NAME" >/dev/null ||
	fail "show running-config --json"

# A refused mutating command as an unprivileged user: exit 2, -EACCES.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 0711 "$T" && chmod 0666 "$T/pkid.ctl"
	expect_rc 2 "grant as nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		$B/pkictl --ctl "$T/pkid.ctl" server $CA_NAME grant all
	grep -qi "permission\|denied" "$T/err" || fail "no reason: $(cat "$T/err")"
fi
grep -q "%PKI-6-CS_ENABLED: $CA_NAME" "$T/pkid.log" || fail "no CS_ENABLED"
echo "check-server-cli verbs: OK"
