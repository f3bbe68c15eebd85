#!/bin/bash
# check-hierarchy-offroll: an offline root rolls over (lab clock; the root
# lives 4 hours, auto-rollover 2 h, and truncates the sub's certificate at
# its end; the sub's auto-rollover window is 1 h).  Every step between
# the two CAs is a file, as in check-hierarchy-offline:
#  - the sub's window opens: it makes SUB#, but its certificate ends with
#    the root's, so SUB#'s certificate must come from the root's rollover
#    CA, which it does not hold: it says the manual step (CS_SUB_ROLLOVER
#    with the commands, `show health`: not requested, why);
#  - on the root `server TESTCA rollover export FILE`: its GetNextCACert
#    answer (the rollover CA, signed by the current root), PEM PKCS7; on
#    the sub `trustpoint SUB import ca-certificate FILE` checks that
#    signature against the root it holds (an unsigned or foreign file is
#    refused) and the request for SUB# is made (TERMINAL_REQUEST);
#  - the root imports, grants and exports it: an imported rollover request
#    of a sub that ends with the root is issued by the root's rollover CA,
#    from the root's end;
#  - the sub imports it and offers it (GetNextCACert), its router
#    SHADOWs; at the end the root promotes, the sub promotes SUB# and its
#    trustpoint switches to root2: [sub2, RA, root2]; root1 <- sub1 <-
#    router1 verifies at end - 1 s, root2 <- sub2 <- router2 at end + 1 s.
# The sub never speaks to the network.
. tests/hierarchy/lib.sh
hi_setup 18926
ca_conf "grant auto" "lifetime ca-certificate 0 4" "auto-rollover 0 2"
ca_start
get_pem "$URL" 1 >"$T/root1.pem" || hfail "root certificate"
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
SUB_ENROLL="enrollment terminal" SUB_EXTRA="auto-rollover 0 1" sub_conf "fingerprint $rootfp"
sub_start

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
[ "$(cert_time "$T/sub1.pem" enddate)" = "$rend" ] || hfail "sub1 does not end with root1"
hi_router_up
[ "$(cert_time "$T/router1.pem" enddate)" = "$rend" ] || hfail "router1 does not end with sub1"
echo "ok: root1 <- sub1 <- router1 through files, all ending at $rend"

bad rp server TESTCA rollover export "$T/next.p7" "no rollover CA certificate yet"
rgen=$(ca_timer TESTCA "CS SHADOW CERT GENERATION")
gen=$(ca_timer SUB "CS SHADOW CERT GENERATION")
[ "$rgen" = $((rend - 7200)) ] && [ "$gen" = $((rend - 3600)) ] ||
	hfail "rollovers at root '$rgen', sub '$gen'; expected $((rend - 7200)), $((rend - 3600))"
lab_to $((rgen + 1))
wait_for 30 rp server TESTCA rollover export "$T/next.p7" || hfail "the root made no rollover CA"
grep -q "BEGIN PKCS7" "$T/next.p7" || hfail "rollover export wrote no PKCS7"
lab_to $((gen + 1))
wait_for 30 grep -q "CS_SUB_ROLLOVER.*not requested yet.*rollover export FILE" "$T/sub.log" ||
	hfail "the sub does not say the root's rollover CA must be brought"
sp --json show health >"$T/health.json" || true
jq -e '[.. | strings | select(test("not requested: .*parent.s rollover CA"))] | length > 0' \
	"$T/health.json" >/dev/null ||
	hfail "show health does not say why: $(head -c 600 "$T/health.json")"
echo "ok: SUB# made; the sub says the root's rollover CA is needed (log, show health)"

printf -- '-----BEGIN PKCS7-----\nnot base64\n-----END PKCS7-----\n' >"$T/junk.p7"
bad sp trustpoint SUB import ca-certificate "$T/junk.p7" "not a PEM rollover CA answer"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -subj /CN=other \
	-days 2 -out "$T/other.pem" 2>/dev/null
openssl crl2pkcs7 -nocrl -certfile "$T/other.pem" >"$T/unsigned.p7"
bad sp trustpoint SUB import ca-certificate "$T/unsigned.p7" "not a rollover CA answer signed by"
marks=$(grep -c TERMINAL_REQUEST "$T/sub.log")
more_marks() { [ "$(grep -c TERMINAL_REQUEST "$T/sub.log")" -gt "$marks" ]; }
sp trustpoint SUB import ca-certificate "$T/next.p7" >/dev/null || hfail "import of the rollover CA"
wait_for 30 more_marks || hfail "no TERMINAL_REQUEST for SUB# after the rollover CA came"
openssl cms -verify -noverify -inform PEM -in "$T/next.p7" -binary -out "$T/next.der" 2>/dev/null &&
	openssl pkcs7 -inform der -in "$T/next.der" -print_certs | awk '/BEGIN/{n++} n==1' |
	openssl x509 >"$T/root2.pem" || hfail "no rollover CA in the exported file"
sp trustpoint SUB enroll >"$T/sub2.csr" || hfail "enroll (rollover request)"
[ "$(openssl req -in "$T/sub2.csr" -noout -pubkey)" = "$(pubkey_of_key "SUB#")" ] ||
	hfail "the request is not for SUB#"
id2=$(rp --json server TESTCA request import "$T/sub2.csr" | jq -r .id) || hfail "import 2"
rp server TESTCA grant "$id2" >/dev/null || hfail "grant 2"
rp server TESTCA request export "$id2" "$T/sub2.pem" >/dev/null || hfail "export 2"
[ "$(cert_time "$T/sub2.pem" startdate)" = "$rend" ] || hfail "sub2 does not start at the root's end"
openssl verify -attime $((rend + 1)) -CAfile "$T/root2.pem" "$T/sub2.pem" >/dev/null ||
	hfail "sub2 is not issued by the root's rollover CA"
sp trustpoint SUB import certificate "$T/sub2.pem" >/dev/null || hfail "import 2"
wait_for 20 grep -q "CS_ROLLOVER_AVAILABLE" "$T/sub.log" || hfail "the sub did not take sub2"
# CS_ROLLOVER_AVAILABLE is said just before the new state is published.
wait_for 10 curl -sf -o /dev/null "$SURL?operation=GetNextCACert" || hfail "no GetNextCACert at the sub"
echo "ok: the root's rollover CA carried (signed file), SUB#'s request carried back, issued by root2 from the end"

rshadow=$(timer_at SHADOW)
[ -n "$rshadow" ] || hfail "no SHADOW timer for TP1"
lab_to $((rshadow + 1))
wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "the router holds no shadow certificate"
[ "$(lab_now)" -lt "$rend" ] || hfail "the router's SHADOW came after the end"
lab_to $((rend + 2))
sub_new() { get_pem "$SURL" 1 | cmp -s - "$T/sub2.pem" && get_pem "$SURL" 3 | cmp -s - "$T/root2.pem"; }
wait_for 30 sub_new || hfail "the sub does not serve [sub2, RA, root2] after the end"
get_pem "$URL" 1 | cmp -s - "$T/root2.pem" || hfail "the root does not serve root2"
router_new() { ! cmp -s "$T/router1.pem" "$T/tp1.pem"; }
wait_for 30 router_new || hfail "the router did not switch"
cp "$T/tp1.pem" "$T/router2.pem"
chain_ok $((rend - 1)) "$T/root1.pem" "$T/sub1.pem" "$T/router1.pem" || hfail "router1 at the end - 1 s"
chain_ok $((rend + 1)) "$T/root2.pem" "$T/sub2.pem" "$T/router2.pem" || hfail "router2 at the end + 1 s"
chain_ok $((rend + 1)) "$T/root1.pem" "$T/sub1.pem" "$T/router1.pem" && hfail "router1 valid after the end?"
grep -q "trustpoint SUB: .*to http\|GetNextCACert.*SUB\|trustpoint SUB: polling" "$T/sub.log" &&
	hfail "the sub spoke to the network"
echo "ok: no gap: root1 <- sub1 <- router1 at end - 1 s, root2 <- sub2 <- router2 at end + 1 s"
echo "check-hierarchy-offroll: OK"
