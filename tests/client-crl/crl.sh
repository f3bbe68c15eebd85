#!/bin/bash
# check-client-crl: a trustpoint keeps its CA's CRL (revocation-check crl).
#  - revocation-check none: enrolled, but no CRL is fetched or exported;
#  - the default (crl), after a restart: the CRL is fetched (SCEP GetCRL),
#    exported as PEM to `crl export PATH` and verifies with
#    `openssl crl -CAfile`; `crl export` prints back in running-config;
#    show trustpoints / show certificates carry thisUpdate/nextUpdate;
#  - `server revoke` on the CA, then the lab clock past the CRL's
#    nextUpdate: the exported CRL lists the serial and on-change ran
#    with PKID_EVENT=crl;
#  - a CA rebuilt with another key under the same name serves a CRL the
#    old CA certificate does not verify: refused with a clear log line,
#    the previous CRL kept.
. tests/client/lib.sh
cl_setup 18901
# lifetime crl 0 10: the CA re-signs every 10 minutes (lab clock).
ca_conf "grant auto" "lifetime crl 0 10"
ca_start
cl_conf "revocation-check none" "crl export $T/crl.pem"
cl_start

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
[ -s "$T/tp1.pem" ] || fail "not enrolled"
sleep 2
[ -e "$T/crl.pem" ] && fail "revocation-check none exported a CRL"
ls "$T/cl-state" | grep -q '\.crl$' && fail "revocation-check none stored a CRL"
grep -q "CRL" "$T/cl.log" && fail "revocation-check none fetched a CRL"
$B/pkictl --json show timers | jq -e '.timers[] | select(.label == "crl-refresh")' \
	>/dev/null && fail "revocation-check none armed a CRL refresh timer"
echo "ok: revocation-check none: enrolled, no CRL fetched or exported"

cl_stop
cl_conf "crl export $T/crl.pem"
cl_start
wait_for 15 test -s "$T/crl.pem" || fail "no CRL exported within 15 s"
curl -sf "$URL?operation=GetCACert" -o "$T/ca.p7" || fail "GetCACert"
openssl pkcs7 -inform der -in "$T/ca.p7" -print_certs -out "$T/ca.pem" || fail "pkcs7"
openssl crl -CAfile "$T/ca.pem" -noout -in "$T/crl.pem" 2>&1 | grep -q "verify OK" ||
	fail "openssl crl does not verify the exported CRL"
clctl "show running-config" | grep -q "^ crl export $T/crl.pem$" ||
	fail "running-config lacks 'crl export'"
next=$(date -u -d "$(openssl crl -noout -nextupdate -in "$T/crl.pem" | sed 's/^[^=]*=//')" +%s)
clctl --json "show trustpoints" | jq -e --arg n "$(date -u -d @"$next" +%FT%TZ)" \
	'.[0].crl_next_update == $n' >/dev/null || fail "show trustpoints: no crl_next_update"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl show certificates TP1 verbose | grep -q "CRL next update: $(date -u -d @"$next" "+%H:%M:%S UTC %b %-d %Y")$" ||
	fail "show certificates: no CRL next update line"
echo "ok: CRL fetched, exported, verified by openssl, shown (next update $(date -u -d @"$next" +%FT%TZ))"
# The refresh runs on the keystore's GENERIC timer "crl-refresh" of TP1,
# armed at nextUpdate (no scheduler of pkid's own).
wait_for 10 sh -c "$B/pkictl --json show timers | jq -e --argjson n $next \
	'.timers[] | select(.owner == \"TP1\" and .kind == \"GENERIC\" and
	 .label == \"crl-refresh\" and .deadline_ns == \$n * 1000000000)' >/dev/null" ||
	fail "no GENERIC crl-refresh timer of TP1 at nextUpdate"
$B/pkictl show timers | grep -q " GENERIC:crl-refresh TP1$" ||
	fail "show timers lacks GENERIC:crl-refresh TP1"
echo "ok: the CRL refresh is the keystore timer GENERIC:crl-refresh at nextUpdate"

serial=$(cert_field "$T/tp1.pem" serial)
cactl "server revoke" TESTCA $((16#$serial)) >/dev/null || fail "server revoke"
sleep 2
openssl crl -noout -text -in "$T/crl.pem" | grep -qi "Serial Number: *$serial" &&
	fail "the revocation showed before nextUpdate"
: >"$T/hook.log"
lab_to $((next + 1))
wait_for 30 sh -c "openssl crl -noout -text -in '$T/crl.pem' | grep -qi 'Serial Number: *$serial'" ||
	fail "the exported CRL does not list $serial after nextUpdate"
new_next=$(date -u -d "$(openssl crl -noout -nextupdate -in "$T/crl.pem" | sed 's/^[^=]*=//')" +%s)
wait_for 10 sh -c "$B/pkictl --json show timers | jq -e --argjson n $new_next \
	'.timers[] | select(.owner == \"TP1\" and .label == \"crl-refresh\" and
	 .state == \"armed\" and .deadline_ns == \$n * 1000000000)' >/dev/null" ||
	fail "the refresh timer was not re-armed at the new nextUpdate"
openssl crl -CAfile "$T/ca.pem" -noout -in "$T/crl.pem" 2>&1 | grep -q "verify OK" ||
	fail "the refreshed CRL does not verify"
wait_for 5 grep -q "TP1 crl" "$T/hook.log" || fail "on-change did not run for the CRL"
echo "ok: revoked $serial, refreshed after nextUpdate, hook ran"

# Another key under the same issuer name, on the same URL.  The CA
# re-signed its CRL at the revoke, so the CRL the client holds now is due
# again only a few seconds after the move above: with the first CA stopped
# the client can fetch nothing new, and the nextUpdate read then is the one
# the client waits for (the lab clock may pass it by itself while the second
# CA makes its keys; the client then retries every 10 s).
ca_stop
next=$(date -u -d "$(openssl crl -noout -nextupdate -in "$T/crl.pem" | sed 's/^[^=]*=//')" +%s)
sed -e 's/server TESTCA/server TESTCB/' -e "s|$T/cadb|$T/cadb2|" \
	-e "s|$T/ca.ctl|$T/ca2.ctl|" "$T/ca.conf" >"$T/ca2.conf"
start_pkid ca2 CA_PID
wait_for 10 curl -sf -o /dev/null "$URL?operation=GetCRL" || fail "the second CA does not serve"
cp "$T/crl.pem" "$T/kept.pem"
lab_to $((next + 1))
wait_for 30 grep -q "TP1: CRL from .* refused: its signature does not verify" "$T/cl.log" ||
	fail "the CRL of another key was not refused"
cmp -s "$T/crl.pem" "$T/kept.pem" || fail "the refused CRL replaced the previous one"
echo "ok: a CRL signed by another key refused, the previous one kept"
