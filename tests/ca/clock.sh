#!/bin/bash
# check-ca-clock: `no shutdown` waits for authoritative time.  While the
# keystore's clock is not authoritative pkid refuses to start the CA with
# IOS's message, makes no key, and answers GetCACert with 503; when the
# administrator declares the clock valid, the keystore's event starts the
# CA without a restart.
CA_NO_CLOCK=1
. tests/ca/lib.sh
ca_setup 18108
ca_conf "grant auto"
CA_WAIT=GetCACaps ca_start
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")
[ "$code" = 503 ] || fail "GetCACert before the clock: HTTP $code"
# HTTP may answer before the CA's first start attempt logs: wait for it.
for ((i = 0; i < 50; i++)); do
	grep -q "Please set clock calendar-valid or enable NTP" "$T/pkid.log" && break
	sleep 0.1
done
grep -q "Please set clock calendar-valid or enable NTP" "$T/pkid.log" ||
	fail "no IOS clock message"
$B/pkictl --json show keys | grep -q "\"$CA_NAME\"" && fail "a key was made without time"
ctl "show server" $CA_NAME | grep -Pzq "Status: disabled\n    State: waiting for authoritative time\n" ||
	fail "show server: $(ctl "show server" $CA_NAME)"
echo "ok: no authoritative time -> refused, 503"

$B/pkictl clock calendar-valid >/dev/null || fail "clock calendar-valid"
for ((i = 0; i < 100; i++)); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")
	[ "$code" = 200 ] && break
	sleep 0.1
done
[ "$code" = 200 ] || fail "CA did not start after calendar-valid (HTTP $code)"
sw_scepca
sw_enroll ivan || fail "ivan: $(tail -3 "$T/ivan.log")"
verify "$T/ivan.pem"
ctl "show server" $CA_NAME | grep -q "Status: enabled" || fail "show server"
echo "ok: calendar-valid -> CA started by the keystore event, enrolls"
echo "check-ca-clock: OK"
