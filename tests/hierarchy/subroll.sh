#!/bin/bash
# check-hierarchy-subroll: the sub's own key rollover, three times in a row (lab
# clock; the root gives the sub 4 hours, the sub's auto-rollover window is
# 2 hours).  Each round:
#  - at the sub's end - 2 h (CS SHADOW CERT GENERATION) the sub makes the
#    key SUB# (pkiks-keygen) and trustpoint SUB requests its CA
#    certificate from the root, signed by the current sub certificate;
#    the root grants it (grant auto rollover ca-cert) valid from the
#    sub's current end, not from now;
#  - the sub offers it as GetNextCACert; a pkid router enrolled at the sub
#    SHADOWs against it;
#  - at the sub's end the sub promotes SUB# -> SUB and serves [sub2, RA,
#    root]; the router switches: root <- sub1 <- router1 verifies at end
#    - 1 s and root <- sub2 <- router2 at end + 1 s (no gap), router1 is
#    over at end + 1 s;
#  - trustpoint SUB's identity is the new certificate: the next round's
#    request is signed by it (the root grants it as a re-enrollment).
# strongSwan enrolls at the sub before the first rollover and after the
# last one; its certificates verify under the sub of their time.
# SUB_EC=256|384 (check-hierarchy-subroll-ec): an ECDSA sub (eckeypair
# SUB): each rollover key SUB# is EC on that curve too (it signs the
# sub's request to the root and derives the root's CertRep), every sub
# certificate certifies it; SUBROLL_ROUNDS rounds (3).
. tests/hierarchy/lib.sh
ROUNDS=${SUBROLL_ROUNDS:-3}
hi_setup 18918
ca_conf "grant auto rollover ca-cert" "lifetime certificate 0 4"
ca_start
rootfp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
SUB_EXTRA="auto-rollover 0 2${SUB_EC:+
eckeypair SUB $SUB_EC}" sub_conf "fingerprint $rootfp"
sub_start
root_grant_sub
lab_to $(($(sub_timer POLL) + 1))
wait_for 20 sub_serving || hfail "the sub does not serve"
get_pem "$URL" 1 >"$T/root.pem"
get_pem "$SURL" 1 >"$T/sub1.pem"
send=$(cert_time "$T/sub1.pem" enddate)
# sub_key_ok N: with SUB_EC, sub N certifies an EC key on that curve.
sub_key_ok() {
	[ -z "${SUB_EC:-}" ] && return 0
	openssl x509 -in "$T/sub$1.pem" -noout -text | grep -q "NIST CURVE: P-$SUB_EC" ||
		hfail "sub$1 does not certify an EC P-$SUB_EC key"
}
sub_key_ok 1
echo "ok: sub1 serves until $send${SUB_EC:+ (ECDSA P-$SUB_EC)}"

. tests/lib/strongswan.sh
strongswan_conf "$T"
# swan N SUBPEM: strongSwan enrolls at the sub; verifies root <- SUBPEM.
# pki runs at the lab clock's time (faketime): the certificates it checks
# are valid in lab time, not in real time.
swan() {
	local d="$T/sw$1" ra ca f when
	mkdir -p "$d"
	when=$(date -u -d "@$(lab_now)" '+%Y-%m-%d %H:%M:%S')
	(cd "$d" && TZ=UTC faketime -f "@$when" pki --scepca --url "$SURL" --caout ca.der --raout ra.der \
		>"$d/scepca.log" 2>&1) || hfail "pki --scepca: $(cat "$d/scepca.log")"
	for f in "$d"/*.der; do
		openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null | grep -q "SUB RA" && ra=$f
		openssl x509 -inform der -in "$f" -noout -subject 2>/dev/null | grep -q "pkid sub CA" && ca=$f
	done
	[ -n "${ra:-}" ] && [ -n "${ca:-}" ] || hfail "pki --scepca wrote: $(ls "$d")"
	pki --gen --size 2048 >"$d/key"
	TZ=UTC faketime -f "@$when" pki --scep --url "$SURL" --in "$d/key" --dn "CN=swan$1,O=pkid test" \
		--cacert-enc "$ra" --cacert-sig "$ra" --cacert "$ca" \
		>"$d/cert.der" 2>"$d/log" || hfail "pki --scep at the sub: $(tail -5 "$d/log")"
	openssl x509 -inform der -in "$d/cert.der" -out "$d/cert.pem" || hfail "swan cert"
	openssl verify -attime "$(lab_now)" -CAfile "$T/root.pem" -untrusted "$2" \
		"$d/cert.pem" >/dev/null || hfail "strongSwan $1 does not verify root <- $2"
}
swan 1 "$T/sub1.pem"
echo "ok: strongSwan enrolled under sub1"

URL=$SURL cl_conf "auto-enroll 80" "certificate export-shadow $T/tp1-shadow.pem"
cl_start
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept >/dev/null ||
	hfail "authenticate"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null || hfail "enroll"
cp "$T/tp1.pem" "$T/router1.pem"
[ "$(cert_time "$T/router1.pem" enddate)" = "$send" ] || hfail "router1 does not end with sub1"
echo "ok: router1 enrolled under sub1"

# sub_log_has PATTERN: in the sub's log since the last round's mark.
sub_log_has() { tail -n +"${SUBLOG_AT:-1}" "$T/sub.log" | grep -q "$1"; }

# round I: sub I -> sub I+1, router I -> router I+1.
round() {
	local i=$1 j=$(($1 + 1)) gen rshadow now granted
	local sub="$T/sub$i.pem" next="$T/sub$j.pem" r="$T/router$i.pem" r2="$T/router$j.pem"
	send=$(cert_time "$sub" enddate)
	gen=$(ca_timer SUB "CS SHADOW CERT GENERATION")
	[ "$gen" = $((send - 7200)) ] ||
		hfail "round $i: the sub's CS SHADOW CERT GENERATION is at '$gen', not $((send - 7200))"
	granted=$(grep -c "rollover CA certificate (new key)" "$T/ca.log")
	lab_to $((gen + 1))
	wait_for 30 sub_log_has CS_ROLLOVER_AVAILABLE ||
		hfail "round $i: the sub holds no rollover CA certificate"
	SUBLOG_AT=$(($(wc -l <"$T/sub.log") + 1))
	[ "$(grep -c "rollover CA certificate (new key)" "$T/ca.log")" = $((granted + 1)) ] ||
		hfail "round $i: the root did not issue one rollover CA certificate"
	wait_for 10 curl -sf -o /dev/null "$SURL?operation=GetNextCACert" ||
		hfail "round $i: the sub offers no GetNextCACert"
	[ "$(pubkey_of_key "SUB#")" != "" ] || hfail "round $i: no key SUB#"
	echo "ok: round $i: SUB# made, its CA certificate from the root, offered as GetNextCACert"

	rshadow=$(timer_at SHADOW)
	[ -n "$rshadow" ] || hfail "round $i: no SHADOW timer for TP1"
	rm -f "$T/tp1-shadow.pem"
	lab_to $((rshadow + 1))
	wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "round $i: the router holds no shadow certificate"
	[ "$(cert_time "$T/tp1-shadow.pem" startdate)" = "$send" ] ||
		hfail "round $i: the router's shadow certificate does not start at the sub's end"
	echo "ok: round $i: the router SHADOWed against SUB#"

	lab_to $((send + 2))
	sub_new() { get_pem "$SURL" 1 >"$next" && ! cmp -s "$sub" "$next"; }
	wait_for 30 sub_new || hfail "round $i: the sub serves no new certificate after its end"
	now=$(lab_now)
	[ "$(pubkey_of_cert "$next")" = "$(pubkey_of_key SUB)" ] || hfail "sub$j: not key SUB"
	[ "$(pubkey_of_cert "$next")" != "$(pubkey_of_cert "$sub")" ] || hfail "sub$j: same key as sub$i"
	[ "$(cert_time "$next" startdate)" = "$send" ] || hfail "sub$j does not start at sub$i's end"
	sub_key_ok $j
	openssl verify -attime "$now" -CAfile "$T/root.pem" "$next" >/dev/null ||
		hfail "sub$j under the root"
	[ "$(curl -sf "$SURL?operation=GetCACert" | openssl pkcs7 -inform der -print_certs |
		grep -c '^subject=')" = 3 ] || hfail "round $i: GetCACert is not [sub, RA, root]"
	get_pem "$SURL" 3 | cmp -s - "$T/root.pem" || hfail "round $i: GetCACert's root"
	echo "ok: round $i: at sub$i's end the sub serves sub$j (key SUB, the old SUB#)"

	router_new() { ! cmp -s "$r" "$T/tp1.pem"; }
	wait_for 30 router_new || hfail "round $i: the router did not switch"
	cp "$T/tp1.pem" "$r2"
	openssl verify -attime $((send - 1)) -CAfile "$T/root.pem" -untrusted "$sub" "$r" \
		>/dev/null || hfail "round $i: router$i at the end - 1 s"
	openssl verify -attime $((send + 1)) -CAfile "$T/root.pem" -untrusted "$next" "$r2" \
		>/dev/null || hfail "round $i: router$j at the end + 1 s"
	openssl verify -attime $((send + 1)) -CAfile "$T/root.pem" -untrusted "$sub" "$r" \
		>/dev/null 2>&1 && hfail "round $i: router$i still valid after the end?"
	openssl verify -attime $((send + 1)) -CAfile "$T/root.pem" -untrusted "$sub" "$r2" \
		>/dev/null 2>&1 && hfail "round $i: router$j verifies under the old sub?"
	echo "ok: round $i: no gap: root <- sub$i <- router$i at end - 1 s, root <- sub$j <- router$j at end + 1 s"
}
for ((n = 1; n <= ROUNDS; n++)); do
	round $n
done
swan 2 "$T/sub$n.pem"
echo "ok: strongSwan enrolled under sub$n"
echo "check-hierarchy-subroll: OK"
