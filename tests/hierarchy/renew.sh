#!/bin/bash
# check-hierarchy-renew: a sub-cs renews its CA certificate at the parent
# and its clients see no gap (lab clock).
#  - trustpoint SUB has `auto-enroll 50`: RENEW at half the sub's 30
#    days; the request (same key SUB, cA TRUE, signed by the sub's CA
#    certificate) is granted by the root's `grant auto rollover ca-cert`;
#  - the running sub takes the new certificate (same key, later end) and
#    publishes it: GetCACert changes, show server too;
#  - a router certificate issued before the renewal verifies under the
#    new sub certificate (same key); one issued after it runs past the old
#    sub certificate's end and verifies (openssl verify -attime) just
#    before and just after that end under root <- new sub, and not after
#    it under root <- old sub.
. tests/hierarchy/lib.sh
hi_setup 18914
ca_conf "grant auto rollover ca-cert"
ca_start
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
sub_conf "fingerprint $rootfp" "auto-enroll 50"
sed -i 's/^ lifetime certificate 10$/ lifetime certificate 20/' "$T/sub.conf"
sub_start
root_grant_sub
poll=$(sub_timer POLL)
[ -n "$poll" ] || hfail "no POLL for SUB"
lab_to $((poll + 1))
wait_for 20 sub_serving || hfail "the sub does not serve"
get_sub() { # the sub's own certificate from its GetCACert, PEM
	curl -sf "$SURL?operation=GetCACert" |
		openssl pkcs7 -inform der -print_certs | awk '/BEGIN/{n++} n==1'
}
get_sub >"$T/sub1.pem"
curl -sf "$URL?operation=GetCACert" | openssl pkcs7 -inform der -print_certs |
	awk '/BEGIN/{n++} n==1' >"$T/root.pem"
openssl verify -attime "$(lab_now)" -CAfile "$T/root.pem" "$T/sub1.pem" >/dev/null || hfail "sub1"
echo "ok: the sub serves, sub1 until $(cert_field "$T/sub1.pem" enddate)"

# A router enrolls at the sub before the renewal.
URL=$SURL cl_conf
cl_start
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept >/dev/null ||
	hfail "authenticate"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll"
cp "$T/tp1.pem" "$T/c1.pem"

# RENEW of trustpoint SUB at 50 %: the root grants it by itself.
nb=$(cert_time "$T/sub1.pem" startdate)
na=$(cert_time "$T/sub1.pem" enddate)
renew=$(sub_timer RENEW)
[ "$renew" = $((nb + (na - nb) / 2)) ] || hfail "SUB's RENEW at $renew, want $((nb + (na - nb) / 2))"
lab_to $((renew + 1))
wait_for 20 grep -q "CS_SUB_CA_REQUEST.*re-enrollment granted" "$T/ca.log" ||
	hfail "the root did not grant the sub's re-enrollment"
sub2_new() { get_sub >"$T/sub2.pem" && ! cmp -s "$T/sub1.pem" "$T/sub2.pem"; }
wait_for 20 sub2_new || hfail "the sub does not publish its renewed certificate"
[ "$(pubkey_of_cert "$T/sub2.pem")" = "$(pubkey_of_key SUB)" ] ||
	hfail "sub2 is not for key SUB"
openssl x509 -in "$T/sub2.pem" -noout -text | grep -A1 "Basic Constraints: critical" |
	grep -q "CA:TRUE" || hfail "sub2 is no CA certificate"
na2=$(cert_time "$T/sub2.pem" enddate)
[ "$na2" -gt "$na" ] || hfail "sub2 ends $na2, not after sub1 ($na)"
subctl --json "show server" SUB | jq -r .fingerprint >"$T/fp"
[ "$(cat "$T/fp")" = "$(openssl x509 -in "$T/sub2.pem" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g')" ] || hfail "show server: not sub2"
grep -q "CS_SUB_CA_INSTALLED" "$T/sub.log" || hfail "no CS_SUB_CA_INSTALLED for sub2"
echo "ok: the sub renewed at the root (granted by itself) and serves sub2"

# The router's certificate from before verifies under sub2 (same key).
# (openssl at the lab clock's time: it runs days ahead of the wall clock)
openssl verify -attime "$(lab_now)" -CAfile "$T/root.pem" -untrusted "$T/sub2.pem" \
	"$T/c1.pem" >/dev/null ||
	hfail "c1 under root <- sub2"
# A router certificate from now runs past sub1's end (20 days from now).
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "renew TP1"
cp "$T/tp1.pem" "$T/c2.pem"
cmp -s "$T/c1.pem" "$T/c2.pem" && hfail "TP1 was not renewed"
[ "$(cert_time "$T/c2.pem" enddate)" -gt "$na" ] ||
	hfail "c2 ends at or before sub1's end: issued under sub1?"
for at in $((na - 1)) $((na + 1)); do
	openssl verify -attime "$at" -CAfile "$T/root.pem" -untrusted "$T/sub2.pem" \
		"$T/c2.pem" >/dev/null || hfail "c2 under root <- sub2 at $at (sub1 ends $na)"
done
openssl verify -attime $((na + 1)) -CAfile "$T/root.pem" -untrusted "$T/sub1.pem" \
	"$T/c2.pem" >/dev/null 2>&1 && hfail "c2 verifies after sub1's end without sub2"
echo "ok: no gap: c2 verifies at sub1's end -1 s and +1 s under root <- sub2"
echo "check-hierarchy-renew: OK"
