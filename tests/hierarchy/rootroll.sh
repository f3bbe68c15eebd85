#!/bin/bash
# check-hierarchy-rootroll: the root's rollover reaches the sub (lab
# clock; the root lives 4 hours with a 2-hour auto-rollover window).
#  - the sub's certificate ends with the root (truncated), so trustpoint
#    SUB SHADOWs: after the root made its rollover CA, SUB fetches it
#    (GetNextCACert) and requests a CA certificate for the same key under
#    it, granted by the root's `grant auto rollover ca-cert`, valid from
#    the root's end;
#  - at the root's end the trustpoint switches and the running sub takes
#    the new certificate and the new root: GetCACert = [sub2, RA, root2],
#    sub2 for key SUB, from the old root's end, verifying under root2;
#  - while SUB holds its shadow certificate the sub offers it as its
#    rollover CA (GetNextCACert, same key SUB): a router enrolled at the
#    sub before (its certificate ends with the sub's) SHADOWs against it,
#    and switches at the root's end: its chain verifies one second before
#    the end (root1 <- sub1 <- router1) and one second after it (root2 <-
#    sub2 <- router2), no gap;
#  - a router enrolling at the sub afterwards verifies root2 <- sub2.
. tests/hierarchy/lib.sh
hi_setup 18916
ca_conf "grant auto rollover ca-cert" "lifetime ca-certificate 0 4" "auto-rollover 0 2"
ca_start
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
sub_conf "fingerprint $rootfp" "auto-enroll 60"
sub_start
root_grant_sub
lab_to $(($(sub_timer POLL) + 1))
wait_for 20 sub_serving || hfail "the sub does not serve"
get_pem "$SURL" 1 >"$T/sub1.pem"
get_pem "$URL" 1 >"$T/root1.pem"
rend=$(cert_time "$T/root1.pem" enddate)
[ "$(cert_time "$T/sub1.pem" enddate)" = "$rend" ] ||
	hfail "sub1 does not end with the root (not truncated)"
echo "ok: sub1 ends with root1 at $rend"

# A router enrolls at the sub now; its certificate ends with the sub's.
URL=$SURL cl_conf "auto-enroll 80" "certificate export-shadow $T/tp1-shadow.pem"
cl_start
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept >/dev/null ||
	hfail "authenticate"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll"
cp "$T/tp1.pem" "$T/router1.pem"
[ "$(cert_time "$T/router1.pem" enddate)" = "$rend" ] ||
	hfail "router1 does not end with the sub"
echo "ok: router1 enrolled at the sub, ends with it"

# The root makes its rollover CA 2 hours before its end; SUB's SHADOW.
shadow=$(sub_timer SHADOW)
[ -n "$shadow" ] || hfail "no SHADOW timer for trustpoint SUB"
[ "$shadow" -gt $((rend - 7200)) ] || hfail "SUB's SHADOW at $shadow, before the root's rollover"
# First the root's rollover CA (its keygen takes a moment): a SHADOW
# that came first would find none and retry a minute later, correctly,
# but past this test's wait.
lab_to $((rend - 7200 + 1))
wait_for 30 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
	hfail "the root made no rollover CA"
lab_to $((shadow + 1))
wait_for 30 grep -q "CS_SUB_CA_REQUEST.*re-enrollment granted" "$T/ca.log" ||
	hfail "the root did not grant the sub's request under its rollover CA"
wait_for 20 grep -q "trustpoint SUB: .*shadow" "$T/sub.log" ||
	hfail "trustpoint SUB holds no shadow certificate"
echo "ok: SUB shadowed: a CA certificate under root2 for key SUB"
wait_for 20 curl -sf -o "$T/next.p7" "$SURL?operation=GetNextCACert" ||
	hfail "the sub offers no rollover CA certificate"

# The router's SHADOW: GetNextCACert at the sub, a request under sub2.
rshadow=$(timer_at SHADOW)
[ -n "$rshadow" ] || hfail "no SHADOW timer for TP1"
[ "$rshadow" -gt "$(lab_now)" ] || echo "note: TP1's SHADOW already due"
lab_to $((rshadow + 1))
wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "the router holds no shadow certificate"
[ "$(cert_time "$T/tp1-shadow.pem" startdate)" = "$rend" ] ||
	hfail "the router's shadow certificate does not start at the root's end"
echo "ok: the router SHADOWed against the sub's rollover CA"

# The root's end: root2 becomes the root, the sub switches.
lab_to $((rend + 2))
sub2_new() { get_pem "$SURL" 1 >"$T/sub2.pem" && ! cmp -s "$T/sub1.pem" "$T/sub2.pem"; }
wait_for 30 sub2_new || hfail "the sub does not serve a new certificate after the root's end"
get_pem "$URL" 1 >"$T/root2.pem"
cmp -s "$T/root1.pem" "$T/root2.pem" && hfail "the root did not roll over"
now=$(lab_now)
[ "$(pubkey_of_cert "$T/sub2.pem")" = "$(pubkey_of_key SUB)" ] || hfail "sub2: not key SUB"
[ "$(cert_time "$T/sub2.pem" startdate)" = "$rend" ] || hfail "sub2 does not start at root1's end"
openssl verify -attime "$now" -CAfile "$T/root2.pem" "$T/sub2.pem" >/dev/null ||
	hfail "sub2 under root2"
curl -sf "$SURL?operation=GetCACert" | openssl pkcs7 -inform der -print_certs |
	grep '^subject=' >"$T/subjects"
[ "$(wc -l <"$T/subjects")" = 3 ] || hfail "GetCACert: $(cat "$T/subjects")"
get_pem "$SURL" 3 | cmp -s - "$T/root2.pem" || hfail "GetCACert's root is not root2"
subctl --json "show server" SUB | jq -r '.chain[0].fingerprint' >"$T/pfp"
[ "$(cat "$T/pfp")" = "$(openssl x509 -in "$T/root2.pem" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g')" ] || hfail "show server: parent is not root2"
echo "ok: at root1's end the sub serves [sub2, RA, root2]"
# The router switched at the same end: no gap.
router2_new() { ! cmp -s "$T/router1.pem" "$T/tp1.pem"; }
wait_for 30 router2_new || hfail "the router did not switch to its shadow identity"
cp "$T/tp1.pem" "$T/router2.pem"
openssl verify -attime $((rend - 1)) -CAfile "$T/root1.pem" -untrusted "$T/sub1.pem" \
	"$T/router1.pem" >/dev/null || hfail "router1 at the root's end - 1 s"
openssl verify -attime $((rend + 1)) -CAfile "$T/root2.pem" -untrusted "$T/sub2.pem" \
	"$T/router2.pem" >/dev/null || hfail "router2 at the root's end + 1 s"
openssl verify -attime $((rend + 1)) -CAfile "$T/root1.pem" -untrusted "$T/sub1.pem" \
	"$T/router1.pem" >/dev/null 2>&1 && hfail "router1 still valid after the end?"
echo "ok: no gap: root1 <- sub1 <- router1 at end - 1 s, root2 <- sub2 <- router2 at end + 1 s"

# A new enrollment at the sub now (the router's by hand) is under sub2.
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll"
cmp -s "$T/router2.pem" "$T/tp1.pem" && hfail "TP1 was not renewed"
openssl verify -attime "$(lab_now)" -CAfile "$T/root2.pem" -untrusted "$T/sub2.pem" \
	"$T/tp1.pem" >/dev/null || hfail "router under root2 <- sub2"
echo "ok: a router renewed after the switch verifies root2 <- sub2"
echo "check-hierarchy-rootroll: OK"
