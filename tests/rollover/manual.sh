#!/bin/bash
# check-rollover-manual: `server rollover` and `server rollover cancel`
# without auto-rollover: no CS SHADOW CERT GENERATION timer; a rollover
# made on demand (once: a second is refused); a client fetches it and
# enrolls under it; cancel deletes the rollover keys and certificate,
# warns that such clients must re-enroll, and a request enveloped to the
# cancelled certificate fails; a new rollover gets the next archive
# number and is promoted at CS CERT EXPIRE.  Then IOS single-key mode
# (pkid -m single): GetNextCACert carries the rollover CA alone, and
# strongSwan enrolls enveloping to it.
. tests/ca/lib.sh
. tests/rollover/lib.sh
ca_setup 18430

ca_conf "grant auto" "lifetime ca-certificate 0 0 10"
ca_start
sw_scepca
cp "$T/ca.pem" "$T/ca1.pem"
pk() { $B/pkictl "$@" 2>/dev/null; }
pk show timers | grep -q "CS SHADOW CERT GENERATION" &&
	fail "CS SHADOW CERT GENERATION armed without auto-rollover"
pk show timers | grep -q "CS CERT EXPIRE" || fail "CS CERT EXPIRE not armed"
ctl "show server" $CA_NAME | grep -q "Auto-Rollover" &&
	fail "show server claims auto-rollover"
ctl "server rollover cancel" $CA_NAME >"$T/out" 2>&1 && fail "cancel with no rollover succeeded"
grep -q "no rollover" "$T/out" || fail "cancel error: $(cat "$T/out")"
echo "ok: no auto-rollover: no shadow timer; cancel without a rollover refused"

ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
grep -q "Rollover CA certificate created" "$T/out" || fail "rollover reply: $(cat "$T/out")"
ctl "server rollover" $CA_NAME >"$T/out" 2>&1 && fail "a second rollover was made"
grep -q "exists already" "$T/out" || fail "second rollover error: $(cat "$T/out")"
next_ca "$T/n1" "$T/ca1.pem"
[ "$(fp "$T/n1/next-ca.pem")" = "$(jget "show server" rollover_fingerprint)" ] ||
	fail "show server: rollover fingerprint"
ctl "show server" $CA_NAME | grep -q "Rollover status: available for rollover" ||
	fail "show server: rollover status"
[ "$(key_count "$CA_NAME#")" = 1 ] || fail "no key $CA_NAME#"
echo "ok: server rollover: rollover CA made once, published, shown"

# A client fetched it and enrolled under it; then the rollover is cancelled.
lab_enroll frank "$T/n1/next-ra.der" "$T/ra.der" "$T/ca.der"
at_ok "$(cert_time "$T/n1/next-ca.pem" start)" "$T/n1/next-ca.pem" "$T/frank.pem"
ctl "server rollover cancel" $CA_NAME >"$T/out" || fail "cancel: $(cat "$T/out")"
grep -q "must re-enroll" "$T/out" || fail "cancel does not warn: $(cat "$T/out")"
grep -q "CS_ROLLOVER_CANCEL.*must re-enroll" "$T/pkid.log" || fail "cancel not logged"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetNextCACert")
[ "$code" = 404 ] || fail "GetNextCACert after cancel: HTTP $code"
[ "$(key_count "$CA_NAME#")" = 0 ] && [ "$(key_count "$CA_NAME-ra#")" = 0 ] ||
	fail "rollover keys left after cancel"
[ "$(jget "show server" rollover_status)" = "not available" ] || fail "status after cancel"
when=$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')
pki --gen --size 2048 >"$T/gina.key"
TZ=UTC faketime -f "@$when" pki --scep --url "$URL" --in "$T/gina.key" \
	--dn "CN=gina,O=pkid test" --cacert-enc "$T/n1/next-ra.der" \
	--cacert-sig "$T/ra.der" --cacert "$T/ca.der" >"$T/gina.der" 2>"$T/gina.log" &&
	fail "a request enveloped to the cancelled rollover was served"
echo "ok: cancel after a client fetched it: keys gone, 404, warning, its envelope refused"

# A new rollover: next archive number, new keys, promoted at CS CERT EXPIRE.
ctl "server rollover" $CA_NAME >/dev/null || fail "rollover after cancel"
next_ca "$T/n2" "$T/ca1.pem"
[ "$(fp "$T/n2/next-ca.pem")" != "$(fp "$T/n1/next-ca.pem")" ] || fail "same rollover CA"
ls "$T/db"/${CA_NAME}_0000{1,2,3}.p12 >/dev/null || fail "archives: $(ls "$T/db")"

# Manual granting: a pending request enveloped to the rollover RA is
# issued by the rollover CA at its next poll after `server grant`.
ca_kill
ca_conf "! manual" "lifetime ca-certificate 0 0 10"
ca_start
when=$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')
pki --gen --size 2048 >"$T/ivy.key"
TZ=UTC faketime -f "@$when" pki --scep --url "$URL" --in "$T/ivy.key" \
	--dn "CN=ivy,O=pkid test" --cacert-enc "$T/n2/next-ra.der" \
	--cacert-sig "$T/ra.der" --cacert "$T/ca.der" --interval 1 \
	--maxpolltime 20 >"$T/ivy.der" 2>"$T/ivy.log" &
ivy=$!
for ((i = 0; i < 100; i++)); do
	ctl "show requests verbose" $CA_NAME | grep -q "pending.*CN=ivy" && break
	sleep 0.1
done
ctl "show requests verbose" $CA_NAME | grep -q "pending.*CN=ivy" || fail "ivy not pending"
ctl "server grant" $CA_NAME all >/dev/null || fail "grant"
wait $ivy || { cat "$T/ivy.log"; fail "ivy: no certificate after the grant"; }
openssl x509 -inform der -in "$T/ivy.der" -out "$T/ivy.pem" || fail "ivy.der"
start=$(cert_time "$T/n2/next-ca.pem" start)
at_ok "$((start + 1))" "$T/n2/next-ca.pem" "$T/ivy.pem"
[ "$(cert_time "$T/ivy.pem" start)" = "$start" ] || fail "ivy: notBefore"
echo "ok: manual grant of a request to the rollover RA: issued by the rollover CA"

end=$(cert_time "$T/ca1.pem" end)
$B/lab-advance $((end + 3 - $(lab_now))) || fail "lab-advance"
wait_field "show server" fingerprint "$(fp "$T/n2/next-ca.pem")"
echo "ok: new rollover (archive 3) promoted at CS CERT EXPIRE without auto-rollover"
ca_kill

# IOS single-key mode: the CA key decrypts; no RA successor.
rm -rf "$T/state" "$T/db"
ks_twin_stop
ks_twin_start "$T/ks2" --lab || fail "pkiksd"
ca_conf "grant auto" "lifetime ca-certificate 0 0 10" "auto-rollover 0 0 4"
ca_start -m single
curl -sf -o "$T/ca.der" "$URL?operation=GetCACert" || fail "GetCACert"
openssl x509 -inform der -in "$T/ca.der" -out "$T/s1.pem"
end=$(cert_time "$T/s1.pem" end)
$B/lab-advance $((end - 240 + 5 - $(lab_now))) || fail "lab-advance"
wait_field "show server" rollover_status "available for rollover"
next_ca "$T/s" "$T/s1.pem"
[ -f "$T/s/next-ra.pem" ] && fail "single-key mode: an RA certificate in GetNextCACert"
[ "$(key_count "$CA_NAME-ra#")" = 0 ] || fail "single-key mode made an RA successor"
lab_enroll hank "$T/s/next-ca.der" "$T/ca.der" "$T/ca.der"
at_ok "$((end + 1))" "$T/s/next-ca.pem" "$T/hank.pem"
at_bad "$((end - 1))" "$T/s/next-ca.pem" "$T/hank.pem"
echo "ok: single-key mode: GetNextCACert is the rollover CA alone; hank enrolled under it"
echo "check-rollover-manual: OK"
