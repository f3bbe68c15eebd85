#!/bin/bash
# check-est-client-mixed: one client pkid, one CA pkid, three trustpoints:
# TP1 on SCEP, TP2 on EST (no label), TP3 on EST under the CA's label
# (/.well-known/est/TESTCA).  All authenticate to the same CA certificate,
# enroll (TP1 with the challenge in its CSR, TP2/TP3 with HTTP Basic),
# SHADOW through the CA's rollover (each by its own protocol), switch at
# the CA's end, and renew under the new CA; the CA's records hold every
# certificate once, the EST ones counted by its EST_ISSUED log lines.
. tests/est/client-lib.sh
estc_setup 19130
estc_ca_conf "grant auto" "password 0 mixed-secret" "lifetime ca-certificate 100" \
	"lifetime certificate 200"
ca_start
est_ready
cl_conf "password 0 mixed-secret" "auto-enroll 90 regenerate" \
	"certificate export-shadow $T/tp1-next.pem"
for n in 2 3; do
	url=$EST
	[ $n = 3 ] && url=$EST/TESTCA
	tp_conf TP$n "$url" "password 0 mixed-secret" "auto-enroll 90 regenerate" \
		"certificate export $T/tp$n.pem" "certificate export-shadow $T/tp$n-next.pem"
done
cl_start

want=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
for tp in TP1 TP2 TP3; do
	out=$(clctl --json "trustpoint authenticate" $tp --accept) || fail "$tp authenticate: $out"
	grep -qi "$want" <<<"$out" || fail "$tp: fingerprint not the CA's: $out"
	st=$(clctl --json "trustpoint enroll" $tp) || fail "$tp enroll: $st"
	[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "$tp enroll: $st"
done
[ "$(est_issued)" = 2 ] || fail "EST issued $(est_issued), expected 2 (TP2, TP3)"
grep -q "TP1: enroll request .* to $SCEP" "$T/cl.log" || fail "TP1 did not enroll over SCEP"
grep -q "TP3: enroll request .* to $EST/TESTCA" "$T/cl.log" || fail "TP3 did not use its label"
awk '/BEGIN/{n++} n==2' "$T/tp1.pem" >"$T/ca1.pem"
for n in 1 2 3; do
	openssl x509 -in "$T/tp$n.pem" -out "$T/id$n.pem"
	openssl verify -attime "$(lab_now)" -CAfile "$T/ca1.pem" "$T/id$n.pem" >/dev/null ||
		fail "TP$n's identity does not verify under the CA"
done
echo "ok: TP1 (SCEP), TP2 (EST), TP3 (EST, label TESTCA) enrolled from one CA"

cactl "server rollover" TESTCA >/dev/null || fail "server rollover"
wait_for 20 curl -sf -o /dev/null "$SCEP?operation=GetNextCACert" || fail "no rollover CA"
last=0
for tp in TP1 TP2 TP3; do
	s=$(tp_timer_at $tp SHADOW)
	[ -n "$s" ] || fail "$tp: no SHADOW armed"
	[ "$s" -gt "$last" ] && last=$s
done
lab_to $((last + 1))
for n in 1 2 3; do
	wait_for 30 test -s "$T/tp$n-next.pem" || fail "TP$n: no shadow identity"
done
[ "$(est_issued)" = 4 ] || fail "EST issued $(est_issued) after SHADOW, expected 4"
ca_end=$(cert_time "$T/ca1.pem" enddate)
awk '/BEGIN/{n++} n==2' "$T/tp1-next.pem" >"$T/ca2.pem"
for n in 1 2 3; do
	awk '/BEGIN/{n++} n==2' "$T/tp$n-next.pem" | cmp -s - "$T/ca2.pem" ||
		fail "TP$n's rollover CA differs from TP1's"
	openssl x509 -in "$T/tp$n-next.pem" -out "$T/sh$n.pem"
	openssl verify -attime $((ca_end + 1)) -CAfile "$T/ca2.pem" "$T/sh$n.pem" >/dev/null ||
		fail "TP$n's shadow identity does not verify under the rollover CA"
	openssl verify -attime $((ca_end - 1)) -CAfile "$T/ca1.pem" "$T/id$n.pem" >/dev/null ||
		fail "TP$n's identity does not verify until the CA's end"
done
echo "ok: SHADOW for all three under the same rollover CA (SCEP: GetNextCACert; EST: next label)"

lab_to $((ca_end + 1))
for n in 1 2 3; do
	wait_for 30 bash -c "openssl x509 -in '$T/tp$n.pem' | cmp -s - '$T/sh$n.pem'" ||
		fail "TP$n did not switch at the CA's end"
done
wait_for 20 grep -q "rollover CA certificate is now the CA certificate" "$T/ca.log" ||
	fail "the CA did not promote"
for n in 1 2 3; do
	cp "$T/tp$n.pem" "$T/sw$n.pem"
	st=$(clctl --json "trustpoint enroll" TP$n) || fail "TP$n renewal: $st"
	[ "$(jq -r .state <<<"$st")" = enrolled ] || fail "TP$n renewal: $st"
	cmp -s "$T/tp$n.pem" "$T/sw$n.pem" && fail "TP$n: the renewal changed nothing"
	openssl verify -attime $(($(lab_now) + 60)) -CAfile "$T/ca2.pem" "$T/tp$n.pem" >/dev/null ||
		fail "TP$n's renewal does not verify under the new CA"
done
[ "$(est_issued)" = 6 ] || fail "EST issued $(est_issued) after the renewals, expected 6"
echo "ok: switched together; renewed under the new CA over SCEP and EST"
