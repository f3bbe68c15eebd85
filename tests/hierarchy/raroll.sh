#!/bin/bash
# check-hierarchy-raroll: the upstream CA's rollover reaches a client
# through an RA (lab clock; the CA lives 4 hours with a 2-hour
# auto-rollover window).
#  - the RA's certificate ends with the CA (truncated), so trustpoint RA
#    SHADOWs: GetNextCACert at the CA, a certificate for the same key RA
#    under the CA's rollover CA, from the CA's end;
#  - while trustpoint RA holds it the RA answers GetNextCACert itself:
#    [rollover CA, RA's shadow certificate], signed by the RA;
#  - a router enrolled through the RA SHADOWs against it: its request,
#    enveloped to the RA's shadow certificate, goes to the CA's rollover
#    CA (granted by grant ra-auto) and its shadow certificate starts at
#    the CA's end;
#  - at the CA's end the RA serves [CA2, RA2] and the router switches:
#    openssl verify -attime one second before the end (CA1 <- router1)
#    and one second after it (CA2 <- router2): no gap;
#  - an enrollment through the RA afterwards verifies under CA2.
. tests/hierarchy/lib.sh
hi_ra_setup 18930
ra_timer() {
	$B/pkictl --json show timers | jq -r --arg k "$1" \
		'.timers[] | select(.owner == "RA" and .kind == $k) | .deadline_ns / 1000000000 | floor'
}

# grant auto: the RA's own SHADOW request (its certificate, same key) is
# a renewal; grant ra-auto: what the RA forwards.
ca_conf "grant auto" "grant ra-auto" "lifetime ca-certificate 0 4" "auto-rollover 0 2"
ca_start
cafp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
cat >"$T/ra.conf" <<EOF
clock calendar-valid
ip http server $SPORT
control-socket $T/ra.ctl
crypto pki trustpoint RA
 enrollment url $URL
 enrollment retry period 1
 fingerprint $cafp
 auto-enroll 60
crypto pki server RA
 mode ra
 grant auto
 database url $T/radb
 no shutdown
EOF
start_pkid ra RA_PID
wait_for 30 ra_serving || hfail "the RA does not serve"
get_pem "$URL" 1 >"$T/ca1.pem"
get_pem "$SURL" 2 >"$T/ra1.pem"
rend=$(cert_time "$T/ca1.pem" enddate)
[ "$(cert_time "$T/ra1.pem" enddate)" = "$rend" ] || hfail "RA1 does not end with CA1"
echo "ok: the RA serves, its certificate ends with the CA at $rend"

# A router enrolls through the RA; its certificate ends with the CA's.
hi_router_up
[ "$(cert_time "$T/router1.pem" enddate)" = "$rend" ] || hfail "router1 does not end with the CA"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/router1.pem" >/dev/null ||
	hfail "router1 under CA1"
echo "ok: router1 enrolled through the RA"

# The CA's rollover CA, then trustpoint RA's SHADOW.
shadow=$(ra_timer SHADOW)
[ -n "$shadow" ] || hfail "no SHADOW timer for trustpoint RA"
[ "$shadow" -gt $((rend - 7200)) ] || hfail "RA's SHADOW at $shadow, before the CA's rollover"
curl -sf -o /dev/null "$SURL?operation=GetNextCACert" && hfail "the RA offers a rollover before the CA made one"
lab_to $((rend - 7200 + 1))
wait_for 30 curl -sf -o /dev/null "$URL?operation=GetNextCACert" || hfail "the CA made no rollover CA"
lab_to $((shadow + 1))
wait_for 30 grep -q "trustpoint RA: .*shadow" "$T/ra.log" || hfail "trustpoint RA holds no shadow certificate"
wait_for 20 curl -sf -o "$T/next.p7" "$SURL?operation=GetNextCACert" ||
	hfail "the RA offers no rollover CA certificate"
openssl cms -verify -inform der -in "$T/next.p7" -noverify -certsout "$T/next-signer.pem" \
	-out "$T/next-inner.der" >/dev/null 2>&1 || hfail "GetNextCACert on the RA is no SignedData"
openssl x509 -in "$T/next-signer.pem" -noout -subject | grep -q "ioscs RA" ||
	hfail "GetNextCACert on the RA is not signed by the RA"
openssl pkcs7 -inform der -in "$T/next-inner.der" -print_certs | grep '^subject=' >"$T/next.subjects"
[ "$(wc -l <"$T/next.subjects")" = 2 ] || hfail "GetNextCACert holds: $(cat "$T/next.subjects")"
echo "ok: trustpoint RA shadowed; the RA answers GetNextCACert [CA2, RA's shadow] signed by the RA"

# The router's SHADOW: through the RA to the rollover CA.
rshadow=$(timer_at SHADOW)
[ -n "$rshadow" ] || hfail "no SHADOW timer for TP1"
lab_to $((rshadow + 1))
wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "the router holds no shadow certificate"
[ "$(cert_time "$T/tp1-shadow.pem" startdate)" = "$rend" ] ||
	hfail "the router's shadow certificate does not start at the CA's end"
grep -q "CS_RA_ISSUED" "$T/ra.log" || hfail "the RA forwarded nothing"
echo "ok: the router SHADOWed through the RA, its shadow starts at $rend"

# The CA's end: CA2, the RA serves [CA2, RA2], the router switches.
lab_to $((rend + 2))
ra2_new() { get_pem "$SURL" 2 >"$T/ra2.pem" && ! cmp -s "$T/ra1.pem" "$T/ra2.pem"; }
wait_for 30 ra2_new || hfail "the RA does not serve a new certificate after the CA's end"
get_pem "$URL" 1 >"$T/ca2.pem"
cmp -s "$T/ca1.pem" "$T/ca2.pem" && hfail "the CA did not roll over"
get_pem "$SURL" 1 | cmp -s - "$T/ca2.pem" || hfail "the RA's GetCACert does not start with CA2"
[ "$(pubkey_of_cert "$T/ra2.pem")" = "$(pubkey_of_key RA)" ] || hfail "RA2: not key RA"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca2.pem" "$T/ra2.pem" >/dev/null || hfail "RA2 under CA2"
ractl --json "show server" RA | jq -e --arg f "$(openssl x509 -in "$T/ca2.pem" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g')" '.upstream.fingerprint == $f' >/dev/null || hfail "show server: upstream is not CA2"
router2_new() { ! cmp -s "$T/router1.pem" "$T/tp1.pem"; }
wait_for 30 router2_new || hfail "the router did not switch to its shadow identity"
cp "$T/tp1.pem" "$T/router2.pem"
openssl verify -attime $((rend - 1)) -CAfile "$T/ca1.pem" "$T/router1.pem" >/dev/null ||
	hfail "router1 at the CA's end - 1 s"
openssl verify -attime $((rend + 1)) -CAfile "$T/ca2.pem" "$T/router2.pem" >/dev/null ||
	hfail "router2 at the CA's end + 1 s"
openssl verify -attime $((rend + 1)) -CAfile "$T/ca1.pem" "$T/router1.pem" >/dev/null 2>&1 &&
	hfail "router1 still valid after the end?"
echo "ok: no gap: CA1 <- router1 at end - 1 s, CA2 <- router2 at end + 1 s"

# A new enrollment through the RA is under CA2.
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll after the switch"
cmp -s "$T/router2.pem" "$T/tp1.pem" && hfail "TP1 was not renewed"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca2.pem" "$T/tp1.pem" >/dev/null ||
	hfail "router under CA2"
echo "ok: a router renewed through the RA after the switch verifies under CA2"
echo "check-hierarchy-raroll: OK"
