#!/bin/bash
# check-hierarchy-offline: an offline root (issue 17).  The sub's
# trustpoint has `enrollment terminal`: nothing goes between the sub and
# the root over the network, every step is a file the operator carries
# (lab clock; the root gives the sub 4 hours, the sub's auto-rollover
# window is 2 hours):
#  - the root's certificate: `trustpoint SUB import ca-certificate FILE`
#    (checked against the configured fingerprint);
#  - the sub's request: `trustpoint SUB enroll` prints the PKCS#10; on the
#    root `server TESTCA request import FILE`, `grant`, `request export ID
#    FILE`; `trustpoint SUB import certificate FILE`: the sub serves;
#  - its rollover: at the sub's end - 2 h it makes SUB# and says a manual
#    step is due (TERMINAL_REQUEST, HEALTH_CA_NO_ROLLOVER); the same file
#    round trip, the root issues it from the sub's end (matched by
#    subject, no signer in a file); the sub offers it, its router
#    SHADOWs, and at the end root <- sub1 <- router1 (end - 1 s) and root
#    <- sub2 <- router2 (end + 1 s) verify: no gap;
#  - bad input at every step: a clear error, nothing stored.
. tests/hierarchy/lib.sh
hi_setup 18920
ca_conf "grant auto" "lifetime certificate 0 4"
ca_start
get_pem "$URL" 1 >"$T/root.pem" || hfail "root certificate"
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
SUB_ENROLL="enrollment terminal" SUB_EXTRA="auto-rollover 0 2" sub_conf "fingerprint $rootfp"
sub_start
wait_for 20 grep -q "CS_SUB_WAITING.*import ca-certificate" "$T/sub.log" ||
	hfail "the sub does not say it needs the root's certificate"
grep -q "trustpoint SUB: .*to http" "$T/sub.log" && hfail "the sub spoke to the network"

# 1. the root's certificate, from a file
echo "not a certificate" >"$T/junk.pem"
bad sp trustpoint SUB import ca-certificate "$T/junk.pem" "not a PEM certificate"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -subj /CN=other \
	-days 2 -out "$T/other.pem" 2>/dev/null
bad sp trustpoint SUB import ca-certificate "$T/other.pem" "fingerprint is not the configured one"
bad sp trustpoint SUB import ca-certificate "$T/nothing.pem" "No such file"
sp trustpoint SUB import ca-certificate "$T/root.pem" >/dev/null || hfail "import ca-certificate"
echo "ok: the root's certificate imported from a file (junk, another CA, a missing file refused)"

# 2. the sub's request, carried to the root
wait_for 20 test -s "$T/sub-state/SUB-request.pem" || hfail "no request file"
grep -q "TERMINAL_REQUEST.*trustpoint SUB" "$T/sub.log" || hfail "no TERMINAL_REQUEST"
sp trustpoint SUB enroll >"$T/sub1.csr" || hfail "trustpoint SUB enroll"
openssl req -in "$T/sub1.csr" -noout -verify 2>/dev/null || hfail "enroll printed no PKCS#10"
sp trustpoint SUB enroll | cmp -s - "$T/sub1.csr" || hfail "a second enroll made another request"
bad rp server TESTCA request import "$T/junk.pem" "not a PEM certificate request"
bad rp server TESTCA request import "$T/root.pem" "not a PEM certificate request"
id=$(rp --json server TESTCA request import "$T/sub1.csr" | jq -r .id) || hfail "request import"
[ -n "$id" ] && [ "$id" != null ] || hfail "request import gave no id"
bad rp server TESTCA request import "$T/sub1.csr" "imported already as request $id"
bad rp server TESTCA request export "$id" "$T/sub1.pem" "grant it first"
bad rp server TESTCA request export 999 "$T/x.pem" "no request 999"
rp server TESTCA grant "$id" >/dev/null || hfail "grant"
rp server TESTCA request export "$id" "$T/sub1.pem" >/dev/null || hfail "request export"
openssl x509 -in "$T/sub1.pem" -noout || hfail "export wrote no certificate"
echo "ok: request $id imported at the root (pending under grant auto), granted, exported"

# 3. the answer, carried back
bad sp trustpoint SUB import certificate "$T/junk.pem" "not a PEM certificate"
bad sp trustpoint SUB import certificate "$T/root.pem" "not for the key of the waiting request"
openssl req -new -key "$T/other.key" -subj "/CN=pkid sub CA/O=pkid" -out "$T/o.csr" 2>/dev/null
openssl x509 -req -in "$T/o.csr" -CA "$T/other.pem" -CAkey "$T/other.key" -days 1 \
	-out "$T/o.pem" 2>/dev/null
bad sp trustpoint SUB import certificate "$T/o.pem" "not for the key of the waiting request"
sp trustpoint SUB import certificate "$T/sub1.pem" >/dev/null || hfail "import certificate"
wait_for 20 sub_serving || hfail "the sub does not serve after the import"
get_pem "$SURL" 1 | cmp -s - "$T/sub1.pem" || hfail "the sub serves another certificate"
bad sp trustpoint SUB import certificate "$T/sub1.pem" "no request of this trustpoint waits"
[ ! -e "$T/sub-state/SUB-request.pem" ] || hfail "the request file is left"
send=$(cert_time "$T/sub1.pem" enddate)
echo "ok: the sub serves sub1 (until $send), enrolled through files only"

# 4. a router at the sub (over the network, as routers do)
hi_router_up

# 5. the sub's rollover through files: due at the end - 2 h
gen=$(ca_timer SUB "CS SHADOW CERT GENERATION")
[ "$gen" = $((send - 7200)) ] || hfail "CS SHADOW CERT GENERATION at '$gen', not $((send - 7200))"
marks=$(grep -c TERMINAL_REQUEST "$T/sub.log")
more_marks() { [ "$(grep -c TERMINAL_REQUEST "$T/sub.log")" -gt "$marks" ]; }
lab_to $((gen + 1))
wait_for 30 more_marks ||
	hfail "the sub does not say a manual step is due"
wait_for 10 grep -q "HEALTH_CA_NO_ROLLOVER: SUB" "$T/sub.log" || hfail "no HEALTH_CA_NO_ROLLOVER"
sp --json show health >"$T/health.json" || true
jq -e '[.. | strings | select(test("without a rollover CA.*not issued the certificate of SUB#"))] |
	length > 0' "$T/health.json" >/dev/null ||
	hfail "show health does not say the rollover waits for the parent: $(head -c 600 "$T/health.json")"
sp trustpoint SUB enroll >"$T/sub2.csr" || hfail "enroll (rollover request)"
openssl req -in "$T/sub2.csr" -noout -pubkey >"$T/sub2.key.pub" || hfail "no rollover PKCS#10"
[ "$(cat "$T/sub2.key.pub")" = "$(pubkey_of_key "SUB#")" ] || hfail "the request is not for SUB#"
id2=$(rp --json server TESTCA request import "$T/sub2.csr" | jq -r .id) || hfail "import 2"
rp server TESTCA grant "$id2" >/dev/null || hfail "grant 2"
rp server TESTCA request export "$id2" "$T/sub2.pem" >/dev/null || hfail "export 2"
[ "$(cert_time "$T/sub2.pem" startdate)" = "$send" ] ||
	hfail "the root issued sub2 from $(cert_time "$T/sub2.pem" startdate), not from sub1's end $send"
sp trustpoint SUB import certificate "$T/sub2.pem" >/dev/null || hfail "import 2"
wait_for 20 grep -q "CS_ROLLOVER_AVAILABLE" "$T/sub.log" || hfail "the sub did not take sub2"
# CS_ROLLOVER_AVAILABLE is said just before the new state is published.
wait_for 10 curl -sf -o /dev/null "$SURL?operation=GetNextCACert" || hfail "no GetNextCACert at the sub"
echo "ok: rollover request carried, issued from sub1's end, imported, offered"

rshadow=$(timer_at SHADOW)
[ -n "$rshadow" ] || hfail "no SHADOW timer for TP1"
lab_to $((rshadow + 1))
wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "the router holds no shadow certificate"
lab_to $((send + 2))
sub_new() { get_pem "$SURL" 1 >"$T/sub2-served.pem" && cmp -s "$T/sub2-served.pem" "$T/sub2.pem"; }
wait_for 30 sub_new || hfail "the sub does not serve sub2 after sub1's end"
router_new() { ! cmp -s "$T/router1.pem" "$T/tp1.pem"; }
wait_for 30 router_new || hfail "the router did not switch"
cp "$T/tp1.pem" "$T/router2.pem"
chain_ok $((send - 1)) "$T/root.pem" "$T/sub1.pem" "$T/router1.pem" || hfail "router1 at the end - 1 s"
chain_ok $((send + 1)) "$T/root.pem" "$T/sub2.pem" "$T/router2.pem" || hfail "router2 at the end + 1 s"
chain_ok $((send + 1)) "$T/root.pem" "$T/sub1.pem" "$T/router1.pem" && hfail "router1 still valid after the end?"
grep -q "trustpoint SUB: .*to http" "$T/sub.log" && hfail "the sub spoke to the network"
echo "ok: no gap: root <- sub1 <- router1 at end - 1 s, root <- sub2 <- router2 at end + 1 s"
echo "check-hierarchy-offline: OK"
