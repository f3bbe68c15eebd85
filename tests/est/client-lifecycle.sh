#!/bin/bash
# check-est-client-lifecycle: a pkid trustpoint lives its whole life on EST
# against a pkid CA, on the lab clock (ROLLOVER.md §3.1, §4.1; docs/EST.md).
# CA: 100-day certificate, a password (so a new enrollment needs HTTP
# Basic), identities of 60 days truncated to the CA's end.  TP1:
# enrollment url https://.../.well-known/est, auto-enroll 80 regenerate.
#  - authenticate: /cacerts, the fingerprint is the CA's (as SCEP shows it);
#  - enroll: simpleenroll with Basic (the trustpoint's password);
#  - RENEW (its timer, 80 %): simplereenroll, the identity as the TLS
#    client certificate (its key in the keystore), a new key: a request
#    without Basic the CA only grants because of that certificate;
#  - SHADOW fires before the CA has a rollover CA: no NewWithOld, CONNECT
#    RETRY a minute later, nothing issued;
#  - the CA rolls over: the retry learns the rollover CA from NewWithOld
#    in /cacerts and the next generation's label, and renews there: the
#    shadow identity is issued by the rollover CA;
#  - openssl verify -attime at the CA's end -1 s, the end, +1 s: the old
#    pair until the end, the new one from the end: no gap;
#  - the CA's end: the client switches, the CA promotes, the server's TLS
#    certificate is issued again by the new CA (valid only on the lab
#    clock: it starts in the wall clock's future), RENEW is armed for the
#    new identity, and a renewal under the new CA succeeds, verified
#    against the new CA.  (Revocation over EST: check-est-client-crl.)
# check-est-client-lifecycle-ec runs it with TP1's key ECDSA P-384
# (eckeypair; TP_EC=384) against an ECDSA P-256 CA (CA_EC=256): every
# identity certifies a P-384 key, and RENEW and SHADOW authenticate TLS
# with it (the keystore signs the handshake through the provider).
. tests/est/client-lib.sh
estc_setup 19120
estc_ca_conf "grant auto" "password 0 est-secret" "lifetime ca-certificate 100" \
	"lifetime certificate 60"
ca_start
est_ready
URL=$EST
cl_conf "password 0 est-secret" "auto-enroll 80 regenerate" \
	"certificate export-shadow $T/tp1-next.pem"
cl_start

out=$(clctl --json "trustpoint authenticate" TP1 --accept) || fail "authenticate: $out"
want=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
grep -qi "$want" <<<"$out" || fail "authenticate: fingerprint is not the CA's $want: $out"
echo "ok: authenticate over EST: /cacerts, fingerprint $want"

st=$(clctl --json "trustpoint enroll" TP1) || fail "enroll: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "enroll: $st"
[ "$(est_issued)" = 1 ] || fail "the identity was not issued over EST"
grep -q "TP1: enroll request .* to $EST" "$T/cl.log" || fail "no enroll request to the EST URL"
cp "$T/tp1.pem" "$T/first.pem"
openssl x509 -in "$T/first.pem" -out "$T/id0.pem" || fail "id0"
awk '/BEGIN/{n++} n==2' "$T/first.pem" >"$T/ca1.pem"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/id0.pem" >/dev/null ||
	fail "the identity does not verify under the CA"
tp_key_check "$T/id0.pem" "the identity"
echo "ok: enrolled over EST (simpleenroll, HTTP Basic)"

renew=$(timer_at RENEW)
[ -n "$renew" ] || fail "no RENEW armed after the enrollment"
lab_to $((renew + 1))
wait_for 30 bash -c "! cmp -s '$T/tp1.pem' '$T/first.pem'" || fail "RENEW did not renew"
openssl x509 -in "$T/tp1.pem" -out "$T/id1.pem"
[ "$(est_issued)" = 2 ] || fail "the renewal was not issued over EST"
grep -q "TP1: renew request .* to $EST" "$T/cl.log" || fail "no renew request to the EST URL"
[ "$(pubkey_of_cert "$T/id1.pem")" != "$(pubkey_of_cert "$T/id0.pem")" ] ||
	fail "regenerate: the renewal kept the old key"
[ "$(pubkey_of_cert "$T/id1.pem")" = "$(pubkey_of_key TP1KEY)" ] ||
	fail "the renewed identity is not for TP1KEY"
openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/id1.pem" >/dev/null ||
	fail "the renewed identity does not verify"
tp_key_check "$T/id1.pem" "the renewed identity"
ca_end=$(cert_time "$T/ca1.pem" enddate)
[ "$(cert_time "$T/id1.pem" enddate)" = "$ca_end" ] || fail "the renewal is not truncated to the CA's end"
echo "ok: RENEW by its timer: simplereenroll with the identity as TLS client certificate, new key"

# SHADOW at 80 % of the identity, before the CA has a rollover CA: no
# NewWithOld in cacerts, the next label 404: CONNECT RETRY after a
# minute (never hammering the CA), the identity kept.
nb=$(cert_time "$T/id1.pem" startdate)
shadow=$((nb + (ca_end - nb) * 80 / 100))
[ "$(timer_at SHADOW)" = "$shadow" ] || fail "SHADOW at $(timer_at SHADOW), expected $shadow"
lab_to $((shadow + 1))
wait_for 20 timer_armed "CONNECT RETRY" || fail "no retry after SHADOW without a rollover CA"
r1=$(timer_at "CONNECT RETRY")
check_delay "the retry of SHADOW" "$r1" "$shadow" 60
grep -q "TP1: no rollover CA certificate yet" "$T/cl.log" || fail "no rollover CA: not logged"
[ "$(est_issued)" = 2 ] || fail "something was issued without a rollover CA"
[ ! -s "$T/tp1-next.pem" ] || fail "a shadow identity without a rollover CA"
echo "ok: SHADOW before the rollover: no NewWithOld, CONNECT RETRY after 60 s, identity kept"

# The rollover CA; the retry finds it and renews under the next label.
cactl "server rollover" TESTCA >/dev/null || fail "server rollover"
wait_for 20 curl -sf -o /dev/null "$SCEP?operation=GetNextCACert" ||
	fail "the CA has no rollover CA after server rollover"
# -k: the server's TLS certificate is valid on the lab clock, not curl's
# wall clock; what it serves is compared with what the client kept.
curl -sfk -o "$T/next.b64" "$EST/next/cacerts" || fail "next/cacerts"
base64 -d "$T/next.b64" | openssl pkcs7 -inform der -print_certs -out "$T/ca2-served.pem" ||
	fail "next/cacerts is not a certs-only PKCS#7"
lab_to $((r1 + 1))
wait_for 30 test -s "$T/tp1-next.pem" || fail "no shadow identity after SHADOW's retry"
[ "$(est_issued)" = 3 ] || fail "the shadow identity was not issued over EST"
openssl x509 -in "$T/tp1-next.pem" -out "$T/id2.pem"
awk '/BEGIN/{n++} n==2' "$T/tp1-next.pem" >"$T/ca2.pem"
openssl x509 -in "$T/ca2-served.pem" -out "$T/ca2-served1.pem"
cmp -s "$T/ca2.pem" "$T/ca2-served1.pem" || fail "the shadow CA is not the next generation's /cacerts"
cmp -s "$T/ca1.pem" "$T/ca2.pem" && fail "the shadow CA is the current CA"
[ "$(cert_time "$T/id2.pem" startdate)" = "$ca_end" ] || fail "the shadow identity does not start at the CA's end"
[ "$(pubkey_of_cert "$T/id2.pem")" = "$(pubkey_of_key 'TP1KEY#')" ] ||
	fail "the shadow identity is not for TP1KEY#"
tp_key_check "$T/id2.pem" "the shadow identity"
cmp -s "$T/tp1.pem" <(cat "$T/id1.pem" "$T/ca1.pem") 2>/dev/null ||
	openssl x509 -in "$T/tp1.pem" | cmp -s - "$T/id1.pem" || fail "the active identity changed before the CA's end"
echo "ok: SHADOW over EST: rollover CA from NewWithOld + next/cacerts, identity issued under it"

for at in $((ca_end - 1)) $ca_end $((ca_end + 1)); do
	old=0 new=0
	openssl verify -attime $at -CAfile "$T/ca1.pem" "$T/id1.pem" >/dev/null 2>&1 && old=1
	openssl verify -attime $at -CAfile "$T/ca2.pem" "$T/id2.pem" >/dev/null 2>&1 && new=1
	[ $((old + new)) -ge 1 ] || fail "gap at $at: neither pair verifies"
	[ $at -lt $ca_end ] && { [ $old = 1 ] && [ $new = 0 ] || fail "at end-1: old $old new $new"; }
	[ $at -gt $ca_end ] && { [ $old = 0 ] && [ $new = 1 ] || fail "at end+1: old $old new $new"; }
done
echo "ok: openssl verify -attime end-1/end/end+1: old pair until the end, new from it, no gap"

lab_to $((ca_end + 1))
wait_for 30 bash -c "openssl x509 -in '$T/tp1.pem' | cmp -s - '$T/id2.pem'" ||
	fail "no switch to the shadow identity at the CA's end"
[ "$(pubkey_of_cert "$T/id2.pem")" = "$(pubkey_of_key TP1KEY)" ] || fail "TP1KEY# not promoted"
wait_for 20 grep -q "rollover CA certificate is now the CA certificate" "$T/ca.log" ||
	fail "the CA did not promote its rollover CA"
# The new identity's timer: RENEW at 80 % (it ends before the new CA).
nb2=$(cert_time "$T/id2.pem" startdate)
na2=$(cert_time "$T/id2.pem" enddate)
wait_for 10 timer_armed RENEW || fail "no RENEW armed for the switched identity"
[ "$(timer_at RENEW)" = $((nb2 + (na2 - nb2) * 80 / 100)) ] ||
	fail "RENEW at $(timer_at RENEW) after the switch, expected 80 % of the new identity"
# The server's TLS certificate now comes from the new CA; it starts at
# the CA's end, in the wall clock's future: only the lab clock accepts it.
wait_for 20 bash -c "openssl s_client -connect 127.0.0.1:$HTTPS_PORT -showcerts </dev/null 2>/dev/null |
	openssl x509 >'$T/tls.pem' && openssl verify -attime \$($B/pkictl --json show clock | jq '.now_ns/1e9|floor') \
	-CAfile '$T/ca2.pem' '$T/tls.pem'" || fail "the server's TLS certificate is not the new CA's"
cp "$T/tp1.pem" "$T/switched.pem"
n=$(est_issued)
st=$(clctl --json "trustpoint enroll" TP1) || fail "renewal under the new CA: $st"
[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "renewal under the new CA: $st"
cmp -s "$T/tp1.pem" "$T/switched.pem" && fail "the renewal under the new CA changed nothing"
[ "$(est_issued)" = $((n + 1)) ] || fail "the renewal under the new CA was not over EST"
openssl verify -attime $(($(lab_now) + 60)) -CAfile "$T/ca2.pem" "$T/tp1.pem" >/dev/null ||
	fail "the renewal does not verify under the new CA"
tp_key_check "$T/tp1.pem" "the renewal under the new CA"
echo "ok: promoted; the TLS certificate is the new CA's; RENEW over EST under the new CA"
