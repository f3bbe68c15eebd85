#!/bin/bash
# check-hierarchy-offkeep: an offline root rolls over under a sub that
# keeps its key (no auto-rollover on the sub; lab clock; the root lives 4
# hours, auto-rollover 2 h, and truncates the sub's certificate at its
# end).  Every step between the two CAs is a file, and the sub never
# speaks to the network:
#  - trustpoint SUB (enrollment terminal, no auto-enroll) plans its SHADOW
#    at 90 % of the root's life, as under a CA that announces
#    GetNextCACert (the rollover CA comes as a file);
#  - SHADOW fires before the operator brought the root's rollover CA: the
#    sub says the step (TERMINAL_REQUEST with both commands, `show
#    health`), and makes nothing;
#  - `trustpoint SUB import ca-certificate next.p7` (the root's `rollover
#    export`): the SHADOW request for the same key SUB is made at once as
#    a file (TERMINAL_REQUEST; `show health` says it waits to be carried);
#  - on the root `request import`, `grant`, `request export`: a same-key
#    CA request of a sub whose certificate ends with the root is issued
#    by the root's rollover CA, from the root's end (before this fix: by
#    the current root, ending at that same end);
#  - the sub imports it as its shadow certificate and offers it as its
#    rollover CA (GetNextCACert); its router SHADOWs against it;
#  - at the root's end the trustpoint switches: the sub serves [sub2, RA,
#    root2], sub2 for key SUB; root1 <- sub1 <- router1 verifies at end -
#    1 s, root2 <- sub2 <- router2 at end + 1 s.
. tests/hierarchy/lib.sh
hi_setup 18934
ca_conf "grant auto" "lifetime ca-certificate 0 4" "auto-rollover 0 2"
ca_start
get_pem "$URL" 1 >"$T/root1.pem" || hfail "root certificate"
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
SUB_ENROLL="enrollment terminal" sub_conf "fingerprint $rootfp"
sub_start
# health_says TEXT: trustpoint SUB's `show health` holds TEXT (a regex).
health_says() {
	sp --json show health >"$T/health.json" || true
	jq -e --arg t "$1" '[.. | strings | select(test($t))] | length > 0' \
		"$T/health.json" >/dev/null
}

# The first enrollment through files (check-hierarchy-offline's steps).
wait_for 20 grep -q "CS_SUB_WAITING.*import ca-certificate" "$T/sub.log" || hfail "no wait for the root"
sp trustpoint SUB import ca-certificate "$T/root1.pem" >/dev/null || hfail "import ca-certificate"
wait_for 20 test -s "$T/sub-state/SUB-request.pem" || hfail "no request file"
sp trustpoint SUB enroll >"$T/sub1.csr" || hfail "trustpoint SUB enroll"
id=$(rp --json server TESTCA request import "$T/sub1.csr" | jq -r .id) || hfail "request import"
rp server TESTCA grant "$id" >/dev/null || hfail "grant"
rp server TESTCA request export "$id" "$T/sub1.pem" >/dev/null || hfail "request export"
sp trustpoint SUB import certificate "$T/sub1.pem" >/dev/null || hfail "import certificate"
wait_for 20 sub_serving || hfail "the sub does not serve after the import"
rend=$(cert_time "$T/root1.pem" enddate)
rstart=$(cert_time "$T/root1.pem" startdate)
[ "$(cert_time "$T/sub1.pem" enddate)" = "$rend" ] || hfail "sub1 does not end with root1"
# The router SHADOWs after the sub's SHADOW (auto-enroll 95: 5 % of its
# life, about 12 minutes, before the end).
URL=$SURL cl_conf "auto-enroll 95" "certificate export-shadow $T/tp1-shadow.pem"
cl_start
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept >/dev/null ||
	hfail "authenticate"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll"
cp "$T/tp1.pem" "$T/router1.pem"
[ "$(cert_time "$T/router1.pem" enddate)" = "$rend" ] || hfail "router1 does not end with sub1"
echo "ok: root1 <- sub1 <- router1 through files, all ending at $rend"

# SHADOW of the terminal trustpoint: 90 % of the root's life.
shadow=$(sub_timer SHADOW)
want=$((rstart + (rend - rstart) * 90 / 100))
[ "$shadow" = "$want" ] || hfail "trustpoint SUB's SHADOW at '${shadow:-none}', expected $want"
rgen=$(ca_timer TESTCA "CS SHADOW CERT GENERATION")
[ "$rgen" = $((rend - 7200)) ] || hfail "root's rollover at '$rgen', expected $((rend - 7200))"
lab_to $((rgen + 1))
wait_for 30 rp server TESTCA rollover export "$T/next.p7" || hfail "the root made no rollover CA"
openssl cms -verify -noverify -inform PEM -in "$T/next.p7" -binary -out "$T/next.der" 2>/dev/null &&
	openssl pkcs7 -inform der -in "$T/next.der" -print_certs | awk '/BEGIN/{n++} n==1' |
	openssl x509 >"$T/root2.pem" || hfail "no rollover CA in the exported file"
lab_to $((shadow + 1))
wait_for 30 grep -q "TERMINAL_REQUEST.*SHADOW is due.*rollover export FILE.*import ca-certificate FILE" \
	"$T/sub.log" || hfail "the sub does not say the root's rollover CA must be brought"
wait_for 10 health_says "SHADOW is due: bring the CA's rollover CA" ||
	hfail "show health does not say the step: $(head -c 600 "$T/health.json")"
[ -e "$T/sub-state/SUB-request.pem" ] && hfail "a request file without the rollover CA"
echo "ok: SHADOW due without the root's rollover CA: the step said (log, show health)"

marks=$(grep -c "TERMINAL_REQUEST.*take the request" "$T/sub.log")
more_marks() { [ "$(grep -c "TERMINAL_REQUEST.*take the request" "$T/sub.log")" -gt "$marks" ]; }
sp trustpoint SUB import ca-certificate "$T/next.p7" >/dev/null || hfail "import of the rollover CA"
wait_for 30 more_marks || hfail "no SHADOW request after the rollover CA came"
wait_for 10 health_says "the SHADOW request waits to be carried" ||
	hfail "show health does not say the request waits: $(head -c 600 "$T/health.json")"
sp trustpoint SUB enroll >"$T/sub2.csr" || hfail "enroll (SHADOW request)"
[ "$(openssl req -in "$T/sub2.csr" -noout -pubkey)" = "$(pubkey_of_key SUB)" ] ||
	hfail "the SHADOW request is not for key SUB"
id2=$(rp --json server TESTCA request import "$T/sub2.csr" | jq -r .id) || hfail "import 2"
rp server TESTCA grant "$id2" >"$T/grant2.out" 2>&1 || hfail "grant 2: $(cat "$T/grant2.out")"
rp server TESTCA request export "$id2" "$T/sub2.pem" >/dev/null || hfail "export 2"
grep -q "CS_SUB_CA_REQUEST.*request $id2: .*issued by our rollover CA" "$T/ca.log" ||
	hfail "the root did not say it issues from its rollover CA"
[ "$(cert_time "$T/sub2.pem" startdate)" = "$rend" ] || hfail "sub2 does not start at the root's end"
openssl verify -attime $((rend + 1)) -CAfile "$T/root2.pem" "$T/sub2.pem" >/dev/null ||
	hfail "sub2 is not issued by the root's rollover CA"
sp trustpoint SUB import certificate "$T/sub2.pem" >/dev/null || hfail "import 2"
wait_for 20 curl -sf -o /dev/null "$SURL?operation=GetNextCACert" ||
	hfail "the sub offers no rollover CA (GetNextCACert)"
health_says "enrollment terminal" && hfail "show health still says a step: $(head -c 600 "$T/health.json")"
echo "ok: the rollover CA carried in, the SHADOW request (key SUB) carried out, issued by root2 from the end"

rshadow=$(timer_at SHADOW)
[ -n "$rshadow" ] || hfail "no SHADOW timer for TP1"
lab_to $((rshadow + 1))
wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "the router holds no shadow certificate"
[ "$(lab_now)" -lt "$rend" ] || hfail "the router's SHADOW came after the end"
[ "$(cert_time "$T/tp1-shadow.pem" startdate)" = "$rend" ] ||
	hfail "the router's shadow certificate does not start at the root's end"
lab_to $((rend + 2))
sub_new() { get_pem "$SURL" 1 | cmp -s - "$T/sub2.pem" && get_pem "$SURL" 3 | cmp -s - "$T/root2.pem"; }
wait_for 30 sub_new || hfail "the sub does not serve [sub2, RA, root2] after the end"
get_pem "$URL" 1 | cmp -s - "$T/root2.pem" || hfail "the root does not serve root2"
[ "$(pubkey_of_cert "$T/sub2.pem")" = "$(pubkey_of_key SUB)" ] || hfail "sub2: not key SUB"
router_new() { ! cmp -s "$T/router1.pem" "$T/tp1.pem"; }
wait_for 30 router_new || hfail "the router did not switch"
cp "$T/tp1.pem" "$T/router2.pem"
chain_ok $((rend - 1)) "$T/root1.pem" "$T/sub1.pem" "$T/router1.pem" || hfail "router1 at the end - 1 s"
chain_ok $((rend + 1)) "$T/root2.pem" "$T/sub2.pem" "$T/router2.pem" || hfail "router2 at the end + 1 s"
chain_ok $((rend + 1)) "$T/root1.pem" "$T/sub1.pem" "$T/router1.pem" && hfail "router1 valid after the end?"
grep -q "trustpoint SUB: .*to http\|GetNextCACert.*SUB\|trustpoint SUB: polling\|trustpoint SUB: .*CA unreachable" \
	"$T/sub.log" && hfail "the sub spoke to the network"
echo "ok: no gap: root1 <- sub1 <- router1 at end - 1 s, root2 <- sub2 <- router2 at end + 1 s"
echo "check-hierarchy-offkeep: OK"
