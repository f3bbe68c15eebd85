#!/bin/bash
# check-client-rollover: the full SHADOW path against a CA that rolls over
# (ROLLOVER.md §3.1, §4.1), with the lab clock.  CA: 100-day certificate,
# identities truncated to the CA's end.  Client TP1: auto-enroll 90
# regenerate.
#  - SHADOW fires at 90 % before the CA has a rollover certificate:
#    GetNextCACert answers 404, the client retries 1 min later (backoff);
#  - the CA makes its rollover certificate (`server rollover`): the retry
#    fetches it (signed by the current CA) and enrolls with a request
#    enveloped to the rollover CA (its RA); the rollover
#    CA certificate, shadow identity and shadow key TP1KEY# are kept as
#    shadow items and exported (export-shadow);
#  - `openssl verify -attime` just before the CA's end: the active pair
#    verifies, the shadow one not yet; just after: the other way round;
#  - at the CA's notAfter the client switches: the shadow identity and
#    key become active together, the CA certificate is the rollover one,
#    SHADOW is armed again for the new identity;
#  - a renewal after the switch is issued by the new CA.
. tests/client/lib.sh
cl_setup 18205
ca_conf "grant auto" "lifetime ca-certificate 100" "lifetime certificate 200"
ca_start
cl_conf "auto-enroll 90 regenerate" "certificate export-shadow $T/tp1-next.pem"
cl_start

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
cp "$T/tp1.pem" "$T/first.pem"
openssl x509 -in "$T/first.pem" -out "$T/id1.pem" || fail "id1"
# The export holds the identity, then its CA certificate.
awk '/BEGIN/{n++} n==2' "$T/first.pem" >"$T/ca1.pem"
ca_end=$(cert_time "$T/ca1.pem" enddate)
# CA_EC: the CA key is ECDSA, the client's RSA key enrolls through the RSA RA.
if [ -n "${CA_EC:-}" ]; then
	openssl x509 -in "$T/ca1.pem" -noout -text | grep -q "NIST CURVE: P-$CA_EC" ||
		fail "the CA certificate is not ECDSA P-$CA_EC"
	openssl x509 -in "$T/id1.pem" -noout -text | grep -q "Signature Algorithm: ecdsa-with" ||
		fail "the identity is not signed with ECDSA"
	echo "ok: ECDSA P-$CA_EC CA issued TP1's identity"
fi
tp_key_check "$T/id1.pem" "the first identity"
[ "$(cert_time "$T/id1.pem" enddate)" = "$ca_end" ] || fail "identity not truncated to the CA's end"
nb=$(cert_time "$T/id1.pem" startdate)
shadow=$((nb + (ca_end - nb) * 90 / 100))
[ "$(timer_at SHADOW)" = "$shadow" ] || fail "SHADOW at $(timer_at SHADOW), expected $shadow"
echo "ok: enrolled; SHADOW at 90 % ($(date -u -d @$shadow +%FT%TZ)), CA ends $(date -u -d @$ca_end +%FT%TZ)"

# SHADOW before the CA has a rollover certificate: 404, retry later.
lab_to $((shadow + 1))
wait_for 20 grep -q "TP1: no rollover CA certificate yet" "$T/cl.log" ||
	fail "SHADOW did not ask GetNextCACert"
# The log line comes before the timer is armed: wait for the timer too.
wait_for 20 timer_armed "CONNECT RETRY" ||
	fail "no retry after SHADOW without a rollover CA"
retry=$(timer_at "CONNECT RETRY")
check_delay "the retry after SHADOW without a rollover CA" "$retry" "$shadow" 60
[ ! -e "$T/tp1-next.pem" ] || fail "shadow items without a rollover CA"
echo "ok: SHADOW before the CA's rollover: no shadow items, retry in 60 s"

# The CA makes its rollover certificate (`rollover`); the retry succeeds.
cactl "server rollover" TESTCA >/dev/null || fail "server rollover"
wait_for 20 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
	fail "the CA does not serve GetNextCACert after rollover"
lab_to $((retry + 1))
wait_for 30 test -s "$T/tp1-next.pem" || fail "no shadow items after the retry"
[ -z "$(timer_at "CONNECT RETRY")" ] || fail "CONNECT RETRY left after success"
openssl x509 -in "$T/tp1-next.pem" -out "$T/id2.pem" || fail "id2"
awk '/BEGIN/{n++} n==2' "$T/tp1-next.pem" >"$T/ca2.pem"
[ "$(cert_field "$T/ca2.pem" subject)" = "$(cert_field "$T/ca1.pem" subject)" ] ||
	fail "rollover CA subject differs"
cmp -s "$T/ca1.pem" "$T/ca2.pem" && fail "shadow CA is the current CA"
if [ -n "${CA_EC:-}" ]; then
	openssl x509 -in "$T/ca2.pem" -noout -text | grep -q "NIST CURVE: P-$CA_EC" ||
		fail "the rollover CA certificate is not ECDSA P-$CA_EC"
fi
[ "$(cert_time "$T/ca2.pem" startdate)" = "$ca_end" ] || fail "rollover CA does not start at the CA's end"
[ "$(cert_time "$T/id2.pem" startdate)" = "$ca_end" ] || fail "shadow identity does not start at the CA's end"
[ "$(pubkey_of_cert "$T/id2.pem")" = "$(pubkey_of_key 'TP1KEY#')" ] ||
	fail "shadow identity is not for the shadow key TP1KEY#"
[ "$(pubkey_of_cert "$T/id1.pem")" = "$(pubkey_of_key TP1KEY)" ] || fail "TP1KEY changed early"
tp_key_check "$T/id2.pem" "the shadow identity (regenerated key TP1KEY#)"
cmp -s "$T/tp1.pem" "$T/first.pem" || fail "the active identity changed before the CA's end"
[ "$(timer_at SHADOW)" = "$ca_end" ] || fail "switch not armed at the CA's end ($(timer_at SHADOW))"
clctl --json "show trustpoint certificates" TP1 |
	jq -e '.[0].certificates | map(.role) | index("Shadow identity") != null' >/dev/null ||
	fail "show trustpoint certificates: no shadow identity"
grep -q "TP1 shadow" "$T/hook.log" || fail "on-change not run for the shadow items"
grep -q "%PKI-6-SHADOW: trustpoint TP1: shadow identity certificate" "$T/cl.log" ||
	fail "shadow identity not logged as %PKI-6-SHADOW"
echo "ok: shadow items: rollover CA, identity from $(date -u -d @$ca_end +%FT%TZ), key TP1KEY#"

before=$((ca_end - 60))
after=$((ca_end + 60))
openssl verify -attime $before -CAfile "$T/ca1.pem" "$T/id1.pem" >/dev/null || fail "active pair before the end"
openssl verify -attime $before -CAfile "$T/ca2.pem" "$T/id2.pem" >/dev/null 2>&1 && fail "shadow pair valid before the end"
openssl verify -attime $after -CAfile "$T/ca2.pem" "$T/id2.pem" >/dev/null || fail "shadow pair after the end"
openssl verify -attime $after -CAfile "$T/ca1.pem" "$T/id1.pem" >/dev/null 2>&1 && fail "old pair valid after the end"
echo "ok: openssl verify -attime: old chain until the end, new chain from the end"

lab_to $((ca_end + 1))
wait_for 30 bash -c "! cmp -s '$T/tp1.pem' '$T/first.pem'" || fail "no switch at the CA's end"
openssl x509 -in "$T/tp1.pem" -out "$T/now.pem"
cmp -s "$T/now.pem" "$T/id2.pem" || fail "the active identity is not the shadow one"
[ "$(pubkey_of_cert "$T/id2.pem")" = "$(pubkey_of_key TP1KEY)" ] || fail "TP1KEY# not promoted at the switch"
[ -z "$(pubkey_of_key 'TP1KEY#')" ] || fail "TP1KEY# left after the switch"
[ ! -e "$T/tp1-next.pem" ] || fail "shadow export left after the switch"
grep -q "TP1 switched" "$T/hook.log" || fail "on-change not run at the switch"
grep -q "%PKI-5-SHADOW_ACTIVATED: trustpoint TP1: switched" "$T/cl.log" ||
	fail "the switch not logged as %PKI-5-SHADOW_ACTIVATED"
ca2_end=$(cert_time "$T/ca2.pem" enddate)
want=$((ca_end + (ca2_end - ca_end) * 90 / 100))
[ "$(timer_at SHADOW)" = "$want" ] || fail "SHADOW for the new identity at $(timer_at SHADOW), expected $want"
echo "ok: switched at the CA's end: shadow identity and key active, SHADOW re-armed"

# Life goes on under the new CA: a renewal (its RA asked for again) is
# issued by the new CA.
wait_for 20 grep -q "rollover CA certificate is now the CA certificate" "$T/ca.log" ||
	fail "the CA did not switch"
cp "$T/tp1.pem" "$T/switched.pem"
st=$(clctl --json "trustpoint enroll" TP1) || fail "renewal after the switch: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "renewal after the switch: $st"
cmp -s "$T/tp1.pem" "$T/switched.pem" && fail "renewal after the switch changed nothing"
openssl verify -attime $(($(lab_now) + 60)) -CAfile "$T/ca2.pem" "$T/tp1.pem" >/dev/null ||
	fail "the renewed certificate does not verify against the new CA"
tp_key_check "$T/tp1.pem" "the renewal after the switch"
echo "ok: renewal after the switch: issued by the new CA"
