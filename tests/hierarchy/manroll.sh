#!/bin/bash
# check-hierarchy-manroll: the operator rolls a sub's key over by hand
# (`server rollover SUB`, no auto-rollover on the sub) after its trustpoint
# already SHADOWed the current key for the root's rollover (lab clock; the
# root lives 4 hours, auto-rollover 2 h, and truncates the sub at its end):
#  - trustpoint SUB SHADOWs (key SUB under root2, from the root's end); the
#    sub offers that shadow as its rollover CA and its router SHADOWs
#    against it;
#  - `server rollover SUB`: SUB# is certified by the root's rollover CA
#    (its certificate ends with the root's), granted by `grant auto
#    rollover ca-cert`; once it is, the sub drops trustpoint SUB's shadow
#    identity for the retiring key at once (CS_SUB_ROLLOVER), and offers
#    SUB#'s certificate instead (GetNextCACert);
#  - the router's next-CA recheck sees the replaced rollover CA, drops its
#    shadow identity (TP_ROLLOVER_WITHDRAWN) and SHADOWs again under
#    SUB#'s certificate, from the root's end;
#  - at the end the sub promotes SUB# (trustpoint SUB switched to root2
#    with it) and serves [sub2, RA, root2], sub2 for the new key; nothing
#    of the dropped shadow is left (no SHADOW timer, no retry, no give-up
#    of trustpoint SUB); root1 <- sub1 <- router1 verifies at end - 1 s,
#    root2 <- sub2 <- router2 at end + 1 s.
. tests/hierarchy/lib.sh
hi_setup 18936
ca_conf "grant auto rollover ca-cert" "lifetime ca-certificate 0 8" "auto-rollover 0 6"
ca_start
hi_sub_up "auto-enroll 30"
rend=$(cert_time "$T/root1.pem" enddate)
[ "$(cert_time "$T/sub1.pem" enddate)" = "$rend" ] || hfail "sub1 does not end with root1"
hi_router_up "auto-enroll 40"
[ "$(cert_time "$T/router1.pem" enddate)" = "$rend" ] || hfail "router1 does not end with sub1"
echo "ok: root1 <- sub1 <- router1, all ending at $rend"

# The root's rollover CA, then trustpoint SUB's SHADOW (same key).
lab_to $((rend - 6 * 3600 + 1))
wait_for 30 curl -sf -o /dev/null "$URL?operation=GetNextCACert" || hfail "the root made no rollover CA"
# get_next URL: the CA certificate (cA TRUE) of GetNextCACert at URL (the
# answer also holds the rollover RA's).
get_next() {
	local i
	curl -sf "$1?operation=GetNextCACert" | openssl cms -verify -noverify -inform der \
		-binary 2>/dev/null | openssl pkcs7 -inform der -print_certs >"$T/next.all" || return 1
	for i in 1 2 3; do
		awk -v n=$i '/BEGIN/{k++} k==n' "$T/next.all" >"$T/next.one"
		[ -s "$T/next.one" ] || return 1
		openssl x509 -in "$T/next.one" -noout -ext basicConstraints 2>/dev/null |
			grep -q "CA:TRUE" && { openssl x509 -in "$T/next.one"; return; }
	done
	return 1
}
get_next "$URL" >"$T/root2.pem" || hfail "the root's rollover CA"
shadow=$(sub_timer SHADOW)
[ -n "$shadow" ] || hfail "no SHADOW timer for trustpoint SUB"
lab_to $((shadow + 1))
wait_for 30 grep -q "SHADOW: trustpoint SUB: shadow identity" "$T/sub.log" ||
	hfail "trustpoint SUB holds no shadow certificate"
wait_for 20 curl -sf -o /dev/null "$SURL?operation=GetNextCACert" || hfail "the sub offers no rollover CA"
get_next "$SURL" >"$T/subshadow.pem" || hfail "the sub's GetNextCACert holds no CA certificate"
[ "$(pubkey_of_cert "$T/subshadow.pem")" = "$(pubkey_of_key SUB)" ] ||
	hfail "the sub's offered rollover is not for key SUB"
rshadow=$(timer_at SHADOW)
[ -n "$rshadow" ] || hfail "no SHADOW timer for TP1"
lab_to $((rshadow + 1))
wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "the router holds no shadow certificate"
openssl verify -attime $((rend + 1)) -CAfile "$T/root2.pem" -untrusted "$T/subshadow.pem" \
	"$T/tp1-shadow.pem" >/dev/null || hfail "the router's shadow is not under the sub's shadow"
cp "$T/tp1-shadow.pem" "$T/router-shadow1.pem"
echo "ok: trustpoint SUB SHADOWed key SUB under root2; the router SHADOWed against it"

# The operator rolls the sub's key over by hand now.
subctl "server rollover" SUB >/dev/null || hfail "server rollover SUB"
wait_for 30 grep -q "CS_ROLLOVER_AVAILABLE" "$T/sub.log" || hfail "SUB#'s certificate is not available"
wait_for 20 grep -q "CS_SUB_ROLLOVER.*shadow certificate .*dropped" "$T/sub.log" ||
	hfail "the sub did not drop trustpoint SUB's shadow for the retiring key"
offered_new() { get_next "$SURL" >"$T/subnext.pem" && [ "$(pubkey_of_cert "$T/subnext.pem")" = "$(pubkey_of_key "SUB#")" ]; }
wait_for 20 offered_new || hfail "the sub does not offer SUB#'s certificate"
[ "$(cert_time "$T/subnext.pem" startdate)" = "$rend" ] || hfail "SUB#'s certificate does not start at the root's end"
openssl verify -attime $((rend + 1)) -CAfile "$T/root2.pem" "$T/subnext.pem" >/dev/null ||
	hfail "SUB#'s certificate is not under root2"
no_sub_shadow() { [ -z "$(sub_timer SHADOW)" ]; }
wait_for 10 no_sub_shadow || hfail "trustpoint SUB still has a SHADOW timer: $(sub_timer SHADOW)"
echo "ok: SUB# certified by root2 from the end; the shadow of the retiring key dropped, SUB#'s offered"

# The router's next-CA recheck sees the replaced rollover CA and SHADOWs again.
poll=$($B/pkictl --json show timers | jq -r '.timers[] | select(.owner == "TP1" and
	.label == "next-ca-poll") | .deadline_ns / 1000000000 | floor')
[ -n "$poll" ] && [ "$poll" -lt "$rend" ] || hfail "TP1's next-CA recheck at '${poll:-none}', not before the end"
lab_to $((poll + 1))
wait_for 30 grep -q "TP_ROLLOVER_WITHDRAWN" "$T/cl.log" || hfail "the router did not see the replaced rollover CA"
reshadowed() { [ -s "$T/tp1-shadow.pem" ] && ! cmp -s "$T/tp1-shadow.pem" "$T/router-shadow1.pem"; }
# its SHADOW, planned again with the rollover CA held, may be a few seconds out
# (not the switch at the end, which TP1 also arms as a SHADOW timer)
for ((i = 0; i < 10; i++)); do
	wait_for 5 reshadowed && break
	at=$(timer_at SHADOW)
	[ -n "$at" ] && [ "$at" -lt $((rend - 1)) ] && lab_to $((at + 1))
done
reshadowed || hfail "the router did not SHADOW again"
[ "$(lab_now)" -lt "$rend" ] || hfail "the router's second SHADOW came after the end"
openssl verify -attime $((rend + 1)) -CAfile "$T/root2.pem" -untrusted "$T/subnext.pem" \
	"$T/tp1-shadow.pem" >/dev/null || hfail "the router's new shadow is not under SUB#'s certificate"
echo "ok: the router dropped its shadow and SHADOWed again under SUB#'s certificate"

mark=$(wc -l <"$T/sub.log")
t0=$(date +%s%N)
lab_to $((rend + 2))
sub_new() { get_pem "$SURL" 1 | cmp -s - "$T/subnext.pem" && get_pem "$SURL" 3 | cmp -s - "$T/root2.pem"; }
wait_for 30 sub_new || hfail "the sub does not serve [sub2, RA, root2] after the end"
react=$((($(date +%s%N) - t0) / 1000000)) # ms the sub took to act on the end
cp "$T/subnext.pem" "$T/sub2.pem"
[ "$(pubkey_of_cert "$T/sub2.pem")" = "$(pubkey_of_key SUB)" ] || hfail "sub2 is not for the promoted key SUB"
router_new() { ! cmp -s "$T/router1.pem" "$T/tp1.pem"; }
wait_for 30 router_new || hfail "the router did not switch"
cp "$T/tp1.pem" "$T/router2.pem"
chain_ok $((rend - 1)) "$T/root1.pem" "$T/sub1.pem" "$T/router1.pem" || hfail "router1 at the end - 1 s"
chain_ok $((rend + 1)) "$T/root2.pem" "$T/sub2.pem" "$T/router2.pem" || hfail "router2 at the end + 1 s"
chain_ok $((rend + 1)) "$T/root1.pem" "$T/sub1.pem" "$T/router1.pem" && hfail "router1 valid after the end?"
# Nothing of the dropped shadow is left at trustpoint SUB: no switch to
# it, no SHADOW that finds no rollover and retries until it gives up.
# (10 minutes on: a retry of the old key's SHADOW would be due; waited
# for twice as long as the sub took to act on the end itself)
lab_to $((rend + 600))
sleep "$(printf '%d.%03d' $((2 * react / 1000)) $((2 * react % 1000)))"
tail -n +"$mark" "$T/sub.log" >"$T/after.log"
stale="trustpoint SUB: .*\(CONNECT RETRY\|retry [0-9]\|gave up\|no rollover CA certificate yet\)\|SHADOW_ACTIVATED: trustpoint SUB\|CS_SUB_CHAIN"
grep -q "$stale" "$T/after.log" &&
	hfail "trustpoint SUB still acts on the dropped shadow: $(grep "$stale" "$T/after.log" | head -3)"
subctl --json "show server" SUB | jq -r '.chain[0].fingerprint' >"$T/pfp"
[ "$(cat "$T/pfp")" = "$(openssl x509 -in "$T/root2.pem" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g')" ] || hfail "show server: parent is not root2"
echo "ok: no gap: root1 <- sub1 <- router1 at end - 1 s, root2 <- sub2 <- router2 at end + 1 s"
echo "check-hierarchy-manroll: OK"
