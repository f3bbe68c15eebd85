#!/bin/bash
# check-ocsp-short: short-lived responder certificates (`lifetime
# ocsp-responder`) on the lab clock.  CRL lifetime 1 h, responder 5 h:
#  - pkid -t refuses a responder lifetime under two CRL lifetimes;
#  - the first responder certificate lasts exactly 5 h (not its CA's 3
#    years), and is kept at the first CRL update (4 h left);
#  - at every CRL update (CS CRL UPDATE, 4 of them) every answer verifies
#    and is signed by a certificate valid now that lasts at least to the
#    response's nextUpdate;
#  - it is issued again, for the same keystore key, once less than two CRL
#    lifetimes are left: a later certificate of 5 h appears, logged
#    CS_OCSP, and the old one is not used after.
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/ocsp/lib.sh
ocsp_setup 18967

# Refused: a responder certificate must outlast two CRL lifetimes.
ca_conf "grant auto" "lifetime crl 1" "lifetime ocsp-responder 0 1" \
	"ocsp-url http://127.0.0.1:$PORT/ocsp/$CA_NAME"
$B/pkid -t -c "$T/pkid.conf" 2>"$T/err" && fail "responder lifetime 1 h with CRL 1 h accepted"
grep -q "lifetime ocsp-responder (60 min) must be at least twice lifetime crl (60 min)" "$T/err" ||
	fail "$(cat "$T/err")"
echo "ok: pkid -t refuses lifetime ocsp-responder below two CRL lifetimes"

ca_conf "grant auto" "lifetime crl 1" "lifetime ocsp-responder 0 5" \
	"ocsp-url http://127.0.0.1:$PORT/ocsp/$CA_NAME"
ca_start
sw_scepca
sw_enroll alice || { cat "$T/alice.log"; fail "alice: enrollment"; }

# The responder certificate of a response (openssl prints it in PEM).
resp_cert() {
	openssl ocsp -respin "$1.der" -resp_text -noverify 2>/dev/null |
		awk '/BEGIN CERT/,/END CERT/' >"$1.cer.pem"
	[ -s "$1.cer.pem" ] || fail "$1: no responder certificate in the response"
}
next_update() {
	date -u -d "$(sed -n 's/^ *Next Update: //p' "$1.txt" | head -n 1)" +%s
}
# q OUT: alice good, verified, and the signer valid now until nextUpdate.
q() {
	local now nu s e
	now=$(lab_now)
	ocsp_q "$1" "$T/ca.pem" "$T/ca.pem" -cert "$T/alice.pem" -no_nonce -resp_text ||
		{ cat "$1.txt"; fail "$1: openssl ocsp failed"; }
	grep -q "Response verify OK" "$1.txt" || { cat "$1.txt"; fail "$1: does not verify"; }
	[ "$(ocsp_status "$1" "$T/alice.pem")" = good ] || { cat "$1.txt"; fail "$1: not good"; }
	resp_cert "$1"
	nu=$(next_update "$1")
	s=$(cert_time "$1.cer.pem" start)
	e=$(cert_time "$1.cer.pem" end)
	[ "$s" -le "$now" ] || fail "$1: responder certificate starts $s, after now $now"
	[ "$e" -ge "$nu" ] || fail "$1: responder certificate ends $e before nextUpdate $nu"
	NU=$nu
}

q "$T/r0"
first=$(fp "$T/r0.cer.pem")
life=$(($(cert_time "$T/r0.cer.pem" end) - $(cert_time "$T/r0.cer.pem" start)))
[ "$life" = $((5 * 3600)) ] || fail "responder certificate lasts $life s, not 5 h"
key0=$(openssl x509 -in "$T/r0.cer.pem" -noout -pubkey)
echo "ok: the responder certificate lasts 5 h, the response verifies"

# Four CRL updates, one lab hour apart; each refresh is waited for (the
# response's nextUpdate moves), bounded at 100 x 0.2 s.
certs=$first
for k in 1 2 3 4; do
	prev=$NU
	$B/lab-advance $((prev + 5 - $(lab_now))) || fail "lab-advance"
	for ((i = 0; i < 100; i++)); do
		q "$T/r$k"
		[ "$NU" -gt "$prev" ] && break
		sleep 0.2
	done
	[ "$NU" -gt "$prev" ] || fail "update $k: the responses' nextUpdate did not move"
	f=$(fp "$T/r$k.cer.pem")
	[ "$k" = 1 ] && [ "$f" != "$first" ] &&
		fail "update 1 (4 h left) issued the responder certificate again"
	case " $certs " in *" $f "*) ;; *) certs="$certs $f" ;; esac
	echo "ok: CRL update $k: verified, signer valid until past nextUpdate ($(date -u -d @$NU +%T))"
done
last=$(fp "$T/r4.cer.pem")
[ "$last" != "$first" ] || fail "not issued again with less than two CRL lifetimes left"
[ "$(openssl x509 -in "$T/r4.cer.pem" -noout -pubkey)" = "$key0" ] ||
	fail "the renewed responder certificate is for another key"
life=$(($(cert_time "$T/r4.cer.pem" end) - $(cert_time "$T/r4.cer.pem" start)))
[ "$life" = $((5 * 3600)) ] || fail "the renewed certificate lasts $life s, not 5 h"
[ "$(grep -c "OCSP responder certificate issued" "$T/pkid.log")" -ge 2 ] ||
	fail "the renewal is not logged"
echo "ok: issued again for the same key before two CRL lifetimes were left ($(wc -w <<<"$certs") certificates in 4 h)"
echo "PASS: check-ocsp-short"
