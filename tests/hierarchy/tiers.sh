#!/bin/bash
# check-hierarchy-tiers: three tiers (root -> sub -> routers) through
# three root rollovers, each inside one overlap window with the sub's own
# rollover (lab clock).  The routers: a pkid trustpoint (SHADOWs and
# switches) and strongSwan's pki --scep (no rollover of its own: it
# enrolls again under the new sub after each end).  The root lives 4 hours (auto-rollover 2 h) and
# gives the sub a CA certificate truncated at its end, so the sub's
# certificate ends with the root's each time: the sub's new key has no
# room under the current root and must be certified by the root's
# rollover CA.  Each round:
#  - the root makes its rollover CA (root<i+1>) and the sub makes SUB#, in
#    either order: round 1 the root first (its window is 2 h, the sub's
#    1 h), round 2 the sub first (`server rollover SUB` before the root's
#    window: its request finds no rollover CA at the root, CONNECT RETRY,
#    and goes out once there is one), round 3 both at once (one clock
#    move past both generation instants: the two timers fire in the same
#    step, in whichever order the keystore delivers them);
#  - trustpoint SUB's request for SUB# goes to the root's rollover CA
#    (GetNextCACert, enveloped to it): the certificate is issued by
#    root<i+1>, from the root's end; the sub offers it as GetNextCACert;
#  - the router SHADOWs against it (its certificate ends with the sub's);
#  - at the end the root promotes, the sub promotes SUB# -> SUB and its
#    trustpoint switches to root<i+1> with it: GetCACert = [sub<i+1>, RA,
#    root<i+1>]; the router switches: root<i> <- sub<i> <- router<i> at end
#    - 1 s, root<i+1> <- sub<i+1> <- router<i+1> at end + 1 s, and the old
#    chain is over at end + 1 s; strongSwan's certificate of the round
#    (it ends with the sub) verifies at end - 1 s and not at end + 1 s,
#    and strongSwan enrolls again under root<i+1> <- sub<i+1>.
# On the old code the sub's request went to the current root, which
# issued it from now, ending at the same end: refused by the sub
# (CS_SUB_ROLLOVER ... ends no later), no rollover CA, a gap.
. tests/hierarchy/lib.sh
hi_setup 18924
ca_conf "grant auto rollover ca-cert" "lifetime ca-certificate 0 4" "auto-rollover 0 2"
ca_start
SUBWIN=3600
SUB_EXTRA="auto-rollover 0 1" hi_sub_up
[ "$(cert_time "$T/sub1.pem" enddate)" = "$(cert_time "$T/root1.pem" enddate)" ] ||
	hfail "sub1 does not end with root1 (not truncated)"
hi_router_up
echo "ok: root1 <- sub1 <- router1, all three ending together"
. tests/lib/strongswan.sh
strongswan_conf "$T"
hi_swan 1 "$T/root1.pem" "$T/sub1.pem"
echo "ok: strongSwan enrolled under root1 <- sub1"

# next_of_key KEY: the certificate for keystore key KEY in the sub's
# GetNextCACert.
next_of_key() {
	local k n x
	k=$(pubkey_of_key "$1")
	curl -sf -o "$T/next.p7" "$SURL?operation=GetNextCACert" || return 1
	# The signed content is a degenerate PKCS#7: [rollover CA, its RA].
	openssl cms -verify -noverify -inform der -in "$T/next.p7" -binary -out "$T/next.der" \
		2>/dev/null || return 1
	openssl pkcs7 -inform der -in "$T/next.der" -print_certs >"$T/nextall" || return 1
	for ((n = 1; n <= $(grep -c BEGIN "$T/nextall"); n++)); do
		x=$(awk -v n=$n '/BEGIN/{i++} i==n' "$T/nextall" | openssl x509)
		[ "$(echo "$x" | openssl x509 -noout -pubkey)" = "$k" ] && echo "$x" && return 0
	done
	return 1
}

sub_log_has() { tail -n +"${SUBLOG_AT:-1}" "$T/sub.log" | grep -q "$1"; }
ca_log_count() { grep -c "$1" "$T/ca.log"; }

# The root's rollover CA, then the sub's rollover key (round 1).
root_first() {
	lab_to $((rgen + 1))
	wait_for 30 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
		hfail "round $i: the root made no rollover CA"
	lab_to $((gen + 1))
}

# The sub's rollover key first, by the operator's `server rollover`
# before the root's window opens: no rollover CA at the root yet, the
# request waits (CONNECT RETRY); then the root's (round 2).
sub_first() {
	local retry
	lab_to $((rgen - 600))
	subctl "server rollover" SUB >/dev/null || hfail "round $i: server rollover SUB"
	wait_for 30 sub_log_has "the parent has no rollover CA certificate yet" ||
		hfail "round $i: the sub's request did not wait for the root's rollover CA"
	sub_log_has CS_ROLLOVER_AVAILABLE && hfail "round $i: a rollover CA certificate before the root's"
	lab_to $((rgen + 1))
	wait_for 30 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
		hfail "round $i: the root made no rollover CA"
	retry=$(sub_timer "CONNECT RETRY")
	[ -n "$retry" ] || hfail "round $i: trustpoint SUB holds no CONNECT RETRY"
	lab_to $((retry + 1))
}

# Both at once: one move past the root's and the sub's generation
# instants (round 3).  If the sub's timer ran first, its request waited
# for the root's rollover CA (CONNECT RETRY): then to that retry.
both_at_once() {
	local retry
	lab_to $((gen + 1))
	wait_for 30 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
		hfail "round $i: the root made no rollover CA"
	wait_for 30 sub_log_has "CS_ROLLOVER_AVAILABLE\|the parent has no rollover CA certificate yet" ||
		hfail "round $i: the sub neither requested SUB#'s certificate nor waited"
	if ! sub_log_has CS_ROLLOVER_AVAILABLE; then
		echo "note: round $i: the sub's timer ran before the root's; CONNECT RETRY"
		retry=$(sub_timer "CONNECT RETRY")
		[ -n "$retry" ] || hfail "round $i: trustpoint SUB holds no CONNECT RETRY"
		lab_to $((retry + 1))
	fi
}

round() {
	local i=$1 j=$(($1 + 1)) order=$2 gen rgen rshadow rend granted
	local root="$T/root$i.pem" sub="$T/sub$i.pem" r="$T/router$i.pem"
	local root2="$T/root$j.pem" sub2="$T/sub$j.pem" r2="$T/router$j.pem"
	rend=$(cert_time "$root" enddate)
	[ "$(cert_time "$sub" enddate)" = "$rend" ] || hfail "round $i: sub$i does not end with root$i"
	[ "$(cert_time "$r" enddate)" = "$rend" ] || hfail "round $i: router$i does not end with sub$i"
	[ "$(cert_time "$T/sw$i/cert.pem" enddate)" = "$rend" ] ||
		hfail "round $i: strongSwan $i does not end with sub$i"
	gen=$(ca_timer SUB "CS SHADOW CERT GENERATION")
	rgen=$(ca_timer TESTCA "CS SHADOW CERT GENERATION")
	[ "$gen" = $((rend - SUBWIN)) ] || hfail "round $i: the sub's rollover at '$gen', not $((rend - SUBWIN))"
	[ "$rgen" = $((rend - 7200)) ] || hfail "round $i: the root's rollover at '$rgen', not $((rend - 7200))"
	granted=$(ca_log_count "rollover CA certificate (new key)")
	SUBLOG_AT=$(($(wc -l <"$T/sub.log") + 1))
	$order
	wait_for 30 sub_log_has CS_ROLLOVER_AVAILABLE ||
		hfail "round $i: the sub holds no rollover CA certificate"
	[ "$(ca_log_count "rollover CA certificate (new key)")" = $((granted + 1)) ] ||
		hfail "round $i: the root did not issue one rollover CA certificate from the sub's end"
	# CS_ROLLOVER_AVAILABLE is said just before the new state is published.
	wait_for 10 next_of_key "SUB#" && next_of_key "SUB#" >"$T/next$j.pem" ||
		hfail "round $i: the sub's GetNextCACert holds no certificate for SUB#: $(openssl crl2pkcs7 -nocrl -certfile "$T/nextall" | openssl pkcs7 -print_certs -noout -text 2>&1 | grep -E "Subject:|Issuer:|Not After" | tr -s " ")"
	[ "$(cert_time "$T/next$j.pem" startdate)" = "$rend" ] ||
		hfail "round $i: SUB#'s certificate does not start at the root's end"
	echo "ok: round $i ($order): SUB# certified by the root's rollover CA from its end, offered as GetNextCACert"

	rshadow=$(timer_at SHADOW)
	[ -n "$rshadow" ] || hfail "round $i: no SHADOW timer for TP1"
	rm -f "$T/tp1-shadow.pem"
	lab_to $((rshadow + 1))
	wait_for 30 test -s "$T/tp1-shadow.pem" || hfail "round $i: the router holds no shadow certificate"
	[ "$(cert_time "$T/tp1-shadow.pem" startdate)" = "$rend" ] ||
		hfail "round $i: the router's shadow certificate does not start at the end"
	[ "$(lab_now)" -lt "$rend" ] || hfail "round $i: the router's SHADOW came after the end"
	echo "ok: round $i: the router SHADOWed against SUB#"

	lab_to $((rend + 2))
	root_new() { get_pem "$URL" 1 >"$root2" && ! cmp -s "$root" "$root2"; }
	wait_for 30 root_new || hfail "round $i: the root did not roll over"
	sub_new() {
		get_pem "$SURL" 1 >"$sub2" && ! cmp -s "$sub" "$sub2" &&
			get_pem "$SURL" 3 | cmp -s - "$root2"
	}
	wait_for 30 sub_new || hfail "round $i: the sub does not serve [sub$j, RA, root$j]"
	[ "$(pubkey_of_cert "$sub2")" = "$(pubkey_of_key SUB)" ] || hfail "sub$j: not key SUB"
	[ "$(pubkey_of_cert "$sub2")" != "$(pubkey_of_cert "$sub")" ] || hfail "sub$j: same key as sub$i"
	cmp -s "$sub2" "$T/next$j.pem" || hfail "sub$j is not the certificate offered as GetNextCACert"
	openssl verify -attime "$(lab_now)" -CAfile "$root2" "$sub2" >/dev/null ||
		hfail "sub$j does not verify under root$j"
	subctl --json "show server" SUB | jq -r '.chain[0].fingerprint' >"$T/pfp"
	[ "$(cat "$T/pfp")" = "$(openssl x509 -in "$root2" -noout -fingerprint -sha256 |
		sed 's/.*=//; s/://g')" ] || hfail "round $i: show server: the parent is not root$j"
	echo "ok: round $i: at the end the sub serves [sub$j, RA, root$j] (key SUB, the old SUB#)"

	router_new() { ! cmp -s "$r" "$T/tp1.pem"; }
	wait_for 30 router_new || hfail "round $i: the router did not switch"
	cp "$T/tp1.pem" "$r2"
	chain_ok $((rend - 1)) "$root" "$sub" "$r" || hfail "round $i: router$i at the end - 1 s"
	chain_ok $((rend + 1)) "$root2" "$sub2" "$r2" || hfail "round $i: router$j at the end + 1 s"
	chain_ok $((rend + 1)) "$root" "$sub" "$r" && hfail "round $i: router$i still valid after the end?"
	chain_ok $((rend - 1)) "$root2" "$sub2" "$r2" && hfail "round $i: router$j valid before the end?"
	grep -q "CS_SUB_ROLLOVER.*refused" "$T/sub.log" && hfail "round $i: the sub refused a rollover certificate"
	echo "ok: round $i: no gap: root$i <- sub$i <- router$i at end - 1 s, root$j <- sub$j <- router$j at end + 1 s"

	chain_ok $((rend - 1)) "$root" "$sub" "$T/sw$i/cert.pem" ||
		hfail "round $i: strongSwan $i at the end - 1 s"
	chain_ok $((rend + 1)) "$root" "$sub" "$T/sw$i/cert.pem" &&
		hfail "round $i: strongSwan $i still valid after the end?"
	# pki --scep has no SHADOW: it enrolls again after the end, from then.
	hi_swan $j "$root2" "$sub2"
	chain_ok "$(lab_now)" "$root" "$sub" "$T/sw$j/cert.pem" &&
		hfail "round $i: strongSwan $j verifies under the old chain?"
	echo "ok: round $i: strongSwan $i valid to end - 1 s, strongSwan $j enrolled under root$j <- sub$j"
}
round 1 root_first
round 2 sub_first
round 3 both_at_once
echo "check-hierarchy-tiers: OK"
