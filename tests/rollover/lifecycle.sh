#!/bin/bash
# check-rollover-lifecycle: a CA with a 10-minute life and a 4-minute
# auto-rollover window, on the lab clock, through two full rollovers:
# shadow generation (CS SHADOW CERT GENERATION), GetNextCACert verified
# with `openssl cms`, strongSwan enrolling under the rollover CA (RA
# successor as --cacert-enc), promotion at CS CERT EXPIRE (GetCACert, CRL,
# archive, kept old CA), enrollment under the new CA, then the same again;
# `openssl verify -attime` just before and just after each CA's end.
. tests/ca/lib.sh
. tests/rollover/lib.sh
ca_setup 18410

ca_conf "grant auto" "lifetime ca-certificate 0 0 10" "auto-rollover 0 0 4"
ca_start
sw_scepca
sw_enroll alice || { cat "$T/alice.log"; fail "alice: enrollment"; }
cp "$T/ca.pem" "$T/ca1.pem"
# The CA key is what the configuration says (CA_EC: ECDSA); the RA is RSA.
ca_key_want "$T/ca1.pem"
openssl x509 -inform der -in "$T/ra.der" -out "$T/ra1.pem" || fail "ra.der"
[ "$(key_is "$T/ra1.pem")" = rsa2048 ] || fail "RA key $(key_is "$T/ra1.pem")"
if [ -n "${CA_EC:-}" ]; then
	openssl x509 -in "$T/alice.pem" -noout -text |
		grep -q "Signature Algorithm: ecdsa-with-SHA256" ||
		fail "alice is not signed with ECDSA"
	echo "ok: ECDSA P-$CA_EC CA, RSA RA; alice signed with ecdsa-with-SHA256"
fi

# Before any rollover: a clear 404, and the capability stays announced.
code=$(curl -s -o "$T/body" -w '%{http_code}' "$URL?operation=GetNextCACert")
[ "$code" = 404 ] && grep -q "no rollover" "$T/body" ||
	fail "GetNextCACert before a rollover: $code $(cat "$T/body")"
curl -sf "$URL?operation=GetCACaps" | grep -qx GetNextCACert ||
	fail "GetNextCACert not announced"
[ "$(jget "show server" rollover_status)" = "not available" ] ||
	fail "rollover status before the window"
ctl "show server" $CA_NAME | grep -q "Auto-Rollover configured, overlap period 0 days 0 hours 4 minutes" ||
	fail "show server: no auto-rollover line"
$B/pkictl show timers 2>/dev/null | grep -q "CS SHADOW CERT GENERATION" ||
	fail "CS SHADOW CERT GENERATION not armed"
$B/pkictl show timers 2>/dev/null | grep -q "CS CERT EXPIRE" || fail "CS CERT EXPIRE not armed"
echo "ok: no rollover yet: GetNextCACert 404, capability announced, timers armed"

# rollover_cycle N CUR.pem: shadow generation, GetNextCACert, enrollment
# under the rollover CA, promotion; leaves $T/ca$((N+1)).pem.
rollover_cycle() {
	local n=$1 cur=$T/ca$1.pem next=$T/ca$(($1 + 1)).pem d=$T/next$1
	local end start now
	end=$(cert_time "$cur" end)
	now=$(lab_now)
	# Into the window (end - 4 min), 10 s past the timer.
	$B/lab-advance $((end - 240 + 10 - now)) || fail "lab-advance"
	wait_field "show server" rollover_status "available for rollover"
	next_ca "$d" "$cur"
	cp "$d/next-ca.pem" "$next"
	# A rollover keeps the CA's key type.
	ca_key_want "$next"
	# Signed by the current CA, not by the rollover CA itself.
	openssl cms -verify -inform DER -in "$d/next.der" -CAfile "$next" \
		-attime "$(lab_now)" -out /dev/null 2>/dev/null &&
		fail "GetNextCACert verifies under the rollover CA"
	# Same subject, new serial, starts where the CA ends, self-signed.
	[ "$(openssl x509 -in "$next" -noout -subject)" = \
		"$(openssl x509 -in "$cur" -noout -subject)" ] || fail "rollover subject"
	[ "$(openssl x509 -in "$next" -noout -serial)" != \
		"$(openssl x509 -in "$cur" -noout -serial)" ] || fail "rollover serial"
	start=$(cert_time "$next" start)
	[ "$start" = "$end" ] || fail "rollover notBefore $start, CA ends $end"
	[ $(($(cert_time "$next" end) - start)) = 600 ] || fail "rollover lifetime"
	at_ok "$((start + 1))" "$next" "$next"
	[ "$(fp "$next")" = "$(jget "show server" rollover_fingerprint)" ] ||
		fail "show server: rollover fingerprint"
	ctl "show certificates" $CA_NAME | grep -qx "CA Certificate (Rollover)" ||
		fail "show certificates does not mark the rollover CA"
	# The RA's successor: issued by the rollover CA.
	[ -f "$d/next-ra.pem" ] || fail "no RA successor in GetNextCACert"
	at_ok "$((start + 1))" "$next" "$d/next-ra.pem"
	echo "ok: cycle $n: rollover CA $(fp "$next" | cut -c1-16)… via GetNextCACert, signed by the current CA"

	# A client enrolls under the rollover CA (SHADOW): the request is
	# enveloped to the RA's successor.
	local who=shadow$n
	lab_enroll $who "$d/next-ra.der" "$T/ra.der" "$T/ca.der"
	[ "$(cert_time "$T/$who.pem" start)" = "$start" ] ||
		fail "$who: notBefore is not the rollover CA's"
	[ "$(cert_time "$T/$who.pem" end)" -le "$(cert_time "$next" end)" ] ||
		fail "$who: outlives the rollover CA"
	echo "ok: cycle $n: $who issued by the rollover CA from its start"

	# Just before and just after the current CA's end.
	local cur_ee=$2
	at_ok "$((end - 1))" "$cur" "$cur_ee"
	at_bad "$((end - 1))" "$next" "$T/$who.pem"
	at_bad "$((end + 1))" "$cur" "$cur_ee"
	at_ok "$((end + 1))" "$next" "$T/$who.pem"
	at_bad "$((end + 1))" "$cur" "$T/$who.pem"
	echo "ok: cycle $n: -attime end-1 / end+1 accept and reject the right ones"

	# CS CERT EXPIRE: the rollover CA becomes the CA.
	now=$(lab_now)
	$B/lab-advance $((end + 5 - now)) || fail "lab-advance"
	wait_field "show server" fingerprint "$(fp "$next")"
	[ "$(jget "show server" rollover_status)" = "not available" ] ||
		fail "rollover still listed after promotion"
	rm -f "$T/ca.der" "$T/ra.der"
	sw_scepca
	[ "$(fp "$T/ca.pem")" = "$(fp "$next")" ] || fail "GetCACert: not the new CA"
	cmp -s "$T/ra.der" "$d/next-ra.der" || fail "GetCACert: RA is not the successor"
	curl -sf -o "$T/crl.der" "$URL?operation=GetCRL" || fail "GetCRL"
	openssl crl -inform der -in "$T/crl.der" -CAfile "$next" -noout 2>&1 |
		grep -q "verify OK" || fail "CRL not signed by the new CA"
	ls "$T/db/$CA_NAME-ca-"*.cer >/dev/null 2>&1 || fail "old CA certificate not kept"
	echo "ok: cycle $n: promoted: GetCACert, RA and CRL are the new CA's"
}

rollover_cycle 1 "$T/alice.pem"
# Enrollment under the promoted CA.
lab_enroll carol "$T/ra.der" "$T/ra.der" "$T/ca.der"
at_ok "$(($(lab_now) + 1))" "$T/ca2.pem" "$T/carol.pem"
echo "ok: carol enrolled under the promoted CA"

rollover_cycle 2 "$T/carol.pem"
lab_enroll dave "$T/ra.der" "$T/ra.der" "$T/ca.der"
at_ok "$(($(lab_now) + 1))" "$T/ca3.pem" "$T/dave.pem"

# Archives: one per CA, numbered without a gap; one rollover key at most.
ls "$T/db"/${CA_NAME}_0000{1,2,3}.p12 >/dev/null || fail "archives $(ls "$T/db")"
[ -e "$T/db/${CA_NAME}_00004.p12" ] && fail "an extra archive"
$B/pkictl show keys 2>/dev/null | grep -q "$CA_NAME#" && fail "rollover key left after promotion"
echo "ok: archives 1..3, no rollover key left"
echo "check-rollover-lifecycle: OK"
