#!/bin/bash
# check-client-missed: a SHADOW that misses the CA's end (issue 22).  CA:
# 100 d, certificates truncated to its end, auto-rollover 30 d; TP1
# auto-enroll 80.  Each case runs in its own temp dir and lab clock.
#  1. TP1 fetched the rollover CA certificate at enrollment (GetNextCACert
#     offered it) and has a challenge password; the client pkid is
#     stopped through the whole window and restarted after the
#     promotion: it recognises the new CA as the rollover certificate it
#     holds and enrolls under it at once, with a chain that verifies.
#  2. The same without a password: it trusts the new CA but stops with
#     the clear alert, no timer keeps asking the CA; `trustpoint enroll`
#     by hand then enrolls under the new CA.
#  3. TP1 enrolled before the CA had its rollover certificate, offline
#     through the window: it never saw the rollover, stops and says it
#     must be authenticated again.
#  6. TP1 enrolled before the CA had its rollover certificate and stayed
#     online: its next-CA poll (a GENERIC keystore timer) fetches the
#     rollover CA certificate soon after the CA made it, before SHADOW;
#     offline from then through the promotion, it recovers as in 1
#     (without the poll it would never have seen the rollover, as in 3).
#  7. (below) the rollover TP1 holds is cancelled and made again.
#  8. (below) the same after TP1's SHADOW identity exists.
#  9. (below) the same with the router off through the cancel and the
#     CA's end (check-client-missed-cancel: `missed.sh 9`).
#  4. The CA is stopped across its end while TP1 (holding the rollover,
#     with a password) fires SHADOW: CONNECT RETRY with the backoff; the
#     CA returns (and promotes); the next retry recovers.
. tests/client/lib.sh

ca_timer() {
	$B/pkictl --json show timers | jq -r --arg k "$1" \
		'.timers[] | select(.owner == "TESTCA" and .kind == $k) |
		 .deadline_ns / 1000000000 | floor'
}

ca_pem() {
	curl -sf "$URL?operation=GetCACert" -o "$T/ca.p7" &&
		openssl pkcs7 -inform der -in "$T/ca.p7" -print_certs |
		openssl x509 -out "$1"
}

# setup PORT EARLY PASSWORD [PCT]: CA, client; enrolled before (EARLY=1)
# or after the CA's rollover generation.
setup() {
	cl_setup "$1"
	# A CA with a password requires a challenge under grant auto (issue
	# 19 #5): a client without one enrolls with a CA that has none.
	ca_conf "grant auto" "lifetime ca-certificate 100" \
		"lifetime certificate 200" "auto-rollover 30" \
		${3:+"password secret123"}
	ca_start
	if [ -n "$3" ]; then cl_conf "auto-enroll ${4:-80}" "password $3"; else cl_conf "auto-enroll ${4:-80}"; fi
	cl_start
	ca_pem "$T/old.pem" || fail "GetCACert"
	END=$(cert_time "$T/old.pem" enddate)
	if [ "$2" = 0 ]; then
		lab_to $(($(ca_timer "CS SHADOW CERT GENERATION") + 1))
		wait_for 20 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
			fail "no rollover CA after its generation"
	fi
	clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
	clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
	wait_for 10 test -s "$T/tp1.pem" || fail "no identity"
}

# Past the CA's end with the client stopped; the CA promotes.
# The lab clock past the CA's end (END + 60): the CA promoted, and its
# certificate served then is in new.pem.
promoted() {
	lab_to $((END + 60))
	wait_for 20 bash -c "curl -sf '$URL?operation=GetCACert' | cmp -s - '$T/ca.p7' && exit 1 || exit 0" ||
		fail "the CA did not promote"
	ca_pem "$T/new.pem" || fail "GetCACert after the end"
}

offline_through_end() {
	local gen
	cl_stop
	# One step a timer: the CA generates its rollover, then promotes.
	gen=$(ca_timer "CS SHADOW CERT GENERATION")
	if [ -n "$gen" ]; then
		lab_to $((gen + 1))
		wait_for 20 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
			fail "no rollover CA after its generation"
	fi
	promoted
	cmp -s "$T/old.pem" "$T/new.pem" && fail "the CA still serves the old certificate"
}

verify_now() {
	openssl verify -attime "$(lab_now)" -CAfile "$T/new.pem" "$T/tp1.pem" >/dev/null 2>&1
}

# The export's chain: its second certificate (the CA) verifies the first now.
export_valid() {
	awk '/BEGIN/{n++} n==2' "$T/tp1.pem" >"$T/ca-now.pem"
	openssl verify -attime "$(lab_now)" -CAfile "$T/ca-now.pem" "$T/tp1.pem" >/dev/null 2>&1
}

stopped_with() {
	wait_for 20 grep -q "TP_ROLLOVER_MISSED.*$1" "$T/cl.log" ||
		fail "no alert \"$1\""
	sleep 1
	# (the CRL refresh, a GENERIC timer, is not a request to enroll)
	[ -z "$($B/pkictl --json show timers | jq '.timers[] | select(.owner == "TP1" and
		(.kind == "RENEW" or .kind == "SHADOW" or .kind == "POLL" or .kind == "CONNECT RETRY"))')" ] ||
		fail "a timer of TP1 still asks the CA after the stop"
}

case1() {
	setup 18970 0 secret123
	grep -q "TP1: rollover CA certificate .* fetched (GetNextCACert) and kept" "$T/cl.log" ||
		fail "the rollover CA was not fetched at enrollment"
	clctl --json "show trustpoint certificates" TP1 |
		jq -e '.[0].certificates | map(.role) | index("Shadow CA") != null' >/dev/null ||
		fail "show certificates: no Shadow CA item"
	offline_through_end
	cl_start
	wait_for 30 verify_now || fail "no valid chain under the new CA after the restart"
	grep -q "TP_ROLLOVER_RECOVER" "$T/cl.log" || fail "recovery not logged"
	echo "ok: offline through the window, rollover held + password: enrolled under the new CA"
}

case2() {
	setup 18971 0 ""
	offline_through_end
	cl_start
	stopped_with "no challenge password"
	verify_now && fail "a chain under the new CA without a challenge"
	echo "ok: offline through the window, no password: stopped with the alert"
	# It trusts the new CA already: the operator's enroll (a fresh
	# request, the identity has ended) is granted by this auto-grant CA.
	clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll by hand after the stop"
	wait_for 20 verify_now || fail "no valid chain after the manual enroll"
	echo "ok: after the stop, trustpoint enroll by hand enrolls under the new CA"
}

case3() {
	setup 18972 1 secret123
	grep -q "rollover CA certificate .* fetched" "$T/cl.log" &&
		fail "a rollover CA fetched before the CA had one"
	offline_through_end
	cl_start
	stopped_with "never saw the rollover CA certificate"
	echo "ok: offline through the window, rollover never seen: stopped, authenticate again"
}

case4() {
	local shadow r1 r2 n
	setup 18973 0 secret123
	shadow=$(timer_at SHADOW)
	# The margin (1 + 2 + 4 min) is what keeps SHADOW off the end.
	[ $((END - shadow)) -ge 420 ] || fail "SHADOW $((END - shadow)) s before the end, margin 420"
	# SHADOW at 80 % here; bring the CA down one minute before it.
	lab_to $((shadow - 60))
	ca_stop
	lab_to $((shadow + 1))
	wait_for 20 timer_armed "CONNECT RETRY" ||
		fail "no CONNECT RETRY with the CA down"
	# Past the end, two minutes of it with the CA down.
	lab_to $((END + 120))
	sleep 1
	ca_start
	wait_for 20 bash -c "curl -sf '$URL?operation=GetCACert' | cmp -s - '$T/ca.p7' && exit 1 || exit 0" ||
		fail "the CA did not promote on restart"
	ca_pem "$T/new.pem" || fail "GetCACert"
	r1=$(timer_at "CONNECT RETRY")
	[ -n "$r1" ] || fail "no retry pending when the CA returned"
	n=$(lab_now)
	[ "$r1" -gt "$n" ] || r1=$((n + 1))
	lab_to $((r1 + 1))
	wait_for 30 verify_now || fail "no valid chain within one retry after the CA returned"
	echo "ok: CA down across its end: recovered at the first retry after it returned"
}

case5() {
	local shadow
	setup 18974 0 secret123 100
	shadow=$(timer_at SHADOW)
	# auto-enroll 100 would SHADOW at the CA's end itself: the margin
	# (1 + 2 + 4 min of retries) plans it 7 minutes before, as
	# `pkictl check` computes it.
	[ "$($B/pkictl --json check -c "$T/cl.conf" | jq '.trustpoints[0].shadow_margin_s')" = 420 ] ||
		fail "pkictl check: SHADOW margin is not 420 s"
	[ "$shadow" = $((END - 420)) ] || fail "SHADOW $((END - shadow)) s before the end, want 420"
	lab_to $((shadow + 1))
	wait_for 20 grep -q "TP1: shadow identity certificate" "$T/cl.log" ||
		fail "no shadow identity at the SHADOW instant"
	# The CA down for two minutes across its end changes nothing.
	lab_to $((END - 60))
	ca_stop
	lab_to $((END + 60))
	wait_for 20 grep -q "TP1: switched to the rollover CA" "$T/cl.log" ||
		fail "no switch at the CA's end"
	# The exported chain (identity, CA) is the new one and valid now
	# (the export follows the switch's log line).
	wait_for 20 export_valid || fail "the exported chain does not verify with the CA down after its end"
	cmp -s "$T/ca-now.pem" "$T/old.pem" && fail "the export still holds the old CA"
	echo "ok: SHADOW planned 7 min before the end: the CA down across its end changes nothing"
}

poll_at() {
	$B/pkictl --json show timers | jq -r '.timers[] |
		select(.owner == "TP1" and .kind == "GENERIC" and
		       .label == "next-ca-poll") | .deadline_ns / 1000000000 | floor'
}

case6() {
	local gen poll shadow i j n
	setup 18975 1 secret123
	poll=$(poll_at)
	[ -n "$poll" ] || fail "no next-CA poll armed after an enrollment without rollover CA"
	gen=$(ca_timer "CS SHADOW CERT GENERATION")
	shadow=$(timer_at SHADOW)
	[ "$gen" -lt "$shadow" ] || fail "test premise: the generation comes before SHADOW"
	# Poll by poll (each one asks GetNextCACert: 404 before the
	# generation), bounded: at most 1/16 of the CA's life apart.
	for i in $(seq 1 40); do
		grep -q "TP1: rollover CA certificate .* fetched" "$T/cl.log" && break
		poll=$(poll_at)
		[ -n "$poll" ] || fail "the poll stopped before the rollover CA was fetched"
		[ "$poll" -lt "$shadow" ] || fail "no poll left before SHADOW"
		if [ "$poll" -gt "$gen" ] && [ "$(lab_now)" -le "$gen" ]; then
			lab_to $((gen + 1))
			wait_for 20 curl -sf -o /dev/null "$URL?operation=GetNextCACert" ||
				fail "no rollover CA after its generation"
		fi
		lab_to $((poll + 1))
		# Handled: re-armed later, or gone once the certificate is held.
		for j in $(seq 1 100); do
			[ "$(poll_at)" != "$poll" ] && break
			sleep 0.2
		done
	done
	wait_for 20 grep -q "TP1: rollover CA certificate .* fetched" "$T/cl.log" ||
		fail "the next-CA poll did not fetch the rollover CA certificate"
	[ "$(lab_now)" -lt "$shadow" ] || fail "fetched only after SHADOW"
	# Held: the poll goes on, sparser (a quarter of the time left, at
	# least an hour, at most a week), to see a cancelled rollover.
	poll=$(poll_at)
	n=$(lab_now)
	[ -n "$poll" ] || fail "no recheck of the rollover CA certificate once held"
	[ $((poll - n)) -ge 3600 ] && [ $((poll - n)) -le $(((END - n) / 4 + 1)) ] ||
		fail "recheck $((poll - n)) s ahead, want [3600, $(((END - n) / 4))]"
	offline_through_end
	cl_start
	wait_for 30 verify_now || fail "no valid chain under the new CA after the restart"
	grep -q "TP_ROLLOVER_RECOVER" "$T/cl.log" || fail "recovery not logged"
	echo "ok: enrolled before the rollover, polled it, offline through the end: recovered"
}

# The rollover CA certificate in GetNextCACert's signed certs-only
# PKCS#7: the one with the CA's subject (the rollover RA's is another).
next_pem() {
	local subj i
	curl -sf "$URL?operation=GetNextCACert" -o "$T/next.p7" || return 1
	openssl cms -verify -noverify -inform der -binary -in "$T/next.p7" 2>/dev/null |
		openssl pkcs7 -inform der -print_certs -out "$T/next-all.pem" || return 1
	subj=$(openssl x509 -noout -subject -in "$T/old.pem")
	rm -f "$T"/next-one.*.pem
	awk -v d="$T" '/BEGIN/{n++} n{print > (d "/next-one." n ".pem")}' "$T/next-all.pem"
	for i in "$T"/next-one.*.pem; do
		[ "$(openssl x509 -noout -subject -in "$i")" = "$subj" ] &&
			{ cp "$i" "$1"; return 0; }
	done
	return 1
}

held_fp() {
	clctl --json "show trustpoint certificates" TP1 | jq -r \
		'.[0].certificates[] | select(.role == "Shadow CA") | .fingerprint_sha256 // .fingerprint' |
		tr -d ':' | tr a-f A-F
}

pem_fp() {
	openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//' | tr -d ':'
}

# The operator cancels the rollover TP1 holds (its certificate: OLD_FP);
# the CA plans and makes a new one before DEADLINE (WHAT names it), and
# TP1's next-CA polls, each before DEADLINE, run until one logs the
# withdrawal.  $T/next2.pem: the new rollover CA certificate.
cancel_and_poll() { # cancel_and_poll OLD_FP DEADLINE WHAT HOLDING
	local old_fp=$1 deadline=$2 what=$3 holding=$4 gen poll i j
	cactl "server rollover cancel" TESTCA >/dev/null || fail "rollover cancel"
	gen=$(ca_timer "CS SHADOW CERT GENERATION")
	[ -n "$gen" ] || fail "no new rollover planned after the cancel"
	[ "$gen" -lt "$deadline" ] || fail "test premise: the new rollover comes before $what"
	lab_to $((gen + 1))
	wait_for 20 next_pem "$T/next2.pem" || fail "no rollover CA after the new generation"
	[ "$(pem_fp "$T/next2.pem")" != "$old_fp" ] || fail "the CA offers the cancelled rollover again"
	# Poll by poll, bounded: each must come before the deadline.
	for i in $(seq 1 20); do
		grep -q "TP_ROLLOVER_WITHDRAWN.*TP1" "$T/cl.log" && break
		poll=$(poll_at)
		[ -n "$poll" ] || fail "no next-CA poll while $holding is held"
		[ "$poll" -lt "$deadline" ] || fail "no poll left before $what"
		lab_to $((poll + 1))
		for j in $(seq 1 100); do
			[ "$(poll_at)" != "$poll" ] && break
			sleep 0.2
		done
	done
}

# TP1 holds the rollover CA certificate the CA serves, kept in next1.pem;
# sets the caller's old_fp to its fingerprint.
holds_rollover() {
	next_pem "$T/next1.pem" || fail "GetNextCACert"
	old_fp=$(pem_fp "$T/next1.pem")
	[ "$(held_fp)" = "$old_fp" ] || fail "test premise: TP1 holds the rollover CA ($(held_fp) vs $old_fp)"
}

# ... and, the lab clock moved past its SHADOW timer, a SHADOW identity
# under it.
holds_shadow() {
	local shadow
	holds_rollover
	shadow=$(timer_at SHADOW)
	[ -n "$shadow" ] || fail "no SHADOW armed"
	lab_to $((shadow + 1))
	wait_for 30 grep -q "TP1: shadow identity certificate .* installed" "$T/cl.log" ||
		fail "no SHADOW identity"
}

#  7. TP1 holds the rollover CA certificate; the operator cancels that
#     rollover and the CA makes another a day later.  TP1's next-CA poll
#     goes on while it holds one (before: it stopped) and swaps the
#     withdrawn certificate for the new one before SHADOW; offline from
#     then through the promotion, it recovers as in 1 (before: it held
#     the cancelled certificate, could not trust the new CA and stopped).
case7() {
	local shadow old_fp
	setup 18976 0 secret123
	holds_rollover
	shadow=$(timer_at SHADOW)
	cancel_and_poll "$old_fp" "$shadow" SHADOW "a rollover CA certificate"
	wait_for 20 grep -q "TP_ROLLOVER_WITHDRAWN.*TP1.*kept its new rollover CA" "$T/cl.log" ||
		fail "the withdrawn rollover CA certificate was not replaced"
	[ "$(lab_now)" -lt "$shadow" ] || fail "replaced only after SHADOW"
	[ "$(held_fp)" = "$(pem_fp "$T/next2.pem")" ] || fail "TP1 does not hold the new rollover CA"
	offline_through_end
	[ "$(pem_fp "$T/new.pem")" = "$(pem_fp "$T/next2.pem")" ] ||
		fail "the CA promoted another certificate than its new rollover"
	cl_start
	wait_for 30 verify_now || fail "no valid chain under the new CA after the restart"
	grep -q "TP_ROLLOVER_RECOVER" "$T/cl.log" || fail "recovery not logged"
	echo "ok: rollover cancelled and made again: the held certificate replaced before SHADOW, recovered"
}

shadow_fp() {
	clctl --json "show trustpoint certificates" TP1 | jq -r \
		'.[0].certificates[] | select(.role == "Shadow identity") | .fingerprint_sha256 // .fingerprint' |
		tr -d ':' | tr a-f A-F
}

#  8. TP1 (auto-enroll 80 regenerate) already holds its SHADOW identity,
#     issued under the rollover CA, when the operator cancels that
#     rollover; the CA makes another a day later.  IOS: "clients that
#     already fetched it may need to re-enroll".  TP1's next-CA poll goes
#     on while it holds a SHADOW identity (before: it stopped, and TP1
#     switched at the CA's end to an identity under a CA that never came)
#     and on the withdrawal drops that identity and its key pair (TP1KEY#)
#     and enrolls SHADOW again under the new rollover, before the end; it
#     switches with the CA and holds a chain that verifies under it.
case8() {
	local old_fp old_id
	setup 18977 0 secret123 "80 regenerate"
	holds_shadow
	old_id=$(shadow_fp)
	[ -n "$old_id" ] || fail "test premise: TP1 shows its SHADOW identity"
	cancel_and_poll "$old_fp" "$END" "the CA's end" "a SHADOW identity"
	wait_for 20 grep -q "TP_ROLLOVER_WITHDRAWN.*TP1.*dropped the SHADOW identity.*kept its new rollover CA" "$T/cl.log" ||
		fail "the SHADOW identity under the withdrawn rollover was not dropped"
	# SHADOW again at once, under the new rollover.
	wait_for 30 bash -c "[ \"\$(grep -c 'TP1: shadow identity certificate .* installed' '$T/cl.log')\" -ge 2 ]" ||
		fail "no new SHADOW identity under the new rollover"
	[ "$(lab_now)" -lt "$END" ] || fail "enrolled again only after the end"
	[ "$(held_fp)" = "$(pem_fp "$T/next2.pem")" ] || fail "TP1 does not hold the new rollover CA"
	[ -n "$(shadow_fp)" ] && [ "$(shadow_fp)" != "$old_id" ] ||
		fail "TP1 still holds the SHADOW identity under the cancelled rollover"
	grep -q '^TP1 withdrawn$' "$T/hook.log" || fail "on-change not run for the withdrawal"
	promoted
	[ "$(pem_fp "$T/new.pem")" = "$(pem_fp "$T/next2.pem")" ] ||
		fail "the CA promoted another certificate than its new rollover"
	wait_for 30 verify_now || fail "no valid chain under the new CA after the switch"
	wait_for 10 export_valid || fail "the export's chain does not verify"
	echo "ok: rollover cancelled after the SHADOW identity: dropped, enrolled again under the new rollover, switched"
}

#  9. TP1 (auto-enroll 80 regenerate) holds its SHADOW identity under the
#     rollover CA when the router goes off; while it is off the operator
#     cancels that rollover, the CA makes another and promotes it at its
#     end; the router comes back after the end.  At the switch TP1 asks
#     GetCACert first (before: it switched to the identity under the
#     cancelled rollover and exported a chain the CA no longer serves):
#     the CA serves neither the rollover held nor the ended certificate,
#     so TP1 drops that SHADOW identity and its key pair at once and,
#     unable to trust the new CA by itself (it never saw that rollover,
#     as in 3), stops with the alert; authenticate + enroll by hand then
#     give a chain that verifies under the CA served.
case9() {
	local gen old_fp
	setup 18978 0 secret123 "80 regenerate"
	holds_shadow
	[ -n "$(shadow_fp)" ] || fail "test premise: TP1 shows its SHADOW identity"
	[ -n "$(pubkey_of_key 'TP1KEY#')" ] || fail "test premise: no shadow key pair TP1KEY#"
	cl_stop
	cactl "server rollover cancel" TESTCA >/dev/null || fail "rollover cancel"
	gen=$(ca_timer "CS SHADOW CERT GENERATION")
	[ -n "$gen" ] || fail "no new rollover planned after the cancel"
	[ "$gen" -lt "$END" ] || fail "test premise: the new rollover comes before the end"
	lab_to $((gen + 1))
	wait_for 20 next_pem "$T/next2.pem" || fail "no rollover CA after the new generation"
	[ "$(pem_fp "$T/next2.pem")" != "$old_fp" ] || fail "the CA offers the cancelled rollover again"
	promoted
	[ "$(pem_fp "$T/new.pem")" = "$(pem_fp "$T/next2.pem")" ] ||
		fail "test premise: the CA promoted another certificate than its new rollover"
	# At once: the lab clock is not moved from here, and runs at real
	# speed, so the 20 s waits below leave no room for a retry's backoff.
	cl_start
	wait_for 20 grep -q "TP_ROLLOVER_WITHDRAWN.*TP1: at the switch the CA serves $(pem_fp "$T/new.pem")" "$T/cl.log" ||
		fail "the SHADOW identity under the cancelled rollover was not dropped at the switch"
	stopped_with "not the rollover certificate it held"
	grep -q "SHADOW_ACTIVATED.*TP1" "$T/cl.log" &&
		fail "switched to the SHADOW identity of the cancelled rollover"
	grep -q '^TP1 switched$' "$T/hook.log" && fail "exported the cancelled rollover's chain"
	grep -q '^TP1 withdrawn$' "$T/hook.log" || fail "on-change not run for the withdrawal"
	openssl verify -attime "$(lab_now)" -CAfile "$T/next1.pem" "$T/tp1.pem" >/dev/null 2>&1 &&
		fail "the export chains to the cancelled rollover CA"
	[ -z "$(shadow_fp)" ] || fail "TP1 still shows the SHADOW identity"
	[ -z "$(pubkey_of_key 'TP1KEY#')" ] || fail "the shadow key pair TP1KEY# was kept"
	echo "ok: off through a cancelled rollover and the CA's end: SHADOW identity dropped at the switch, stopped"
	clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate the new CA"
	clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll by hand after the stop"
	wait_for 20 verify_now || fail "no valid chain under the CA served after authenticate + enroll"
	wait_for 10 export_valid || fail "the export's chain does not verify"
	echo "ok: authenticate + enroll by hand: a chain under the CA served"
}

# `missed.sh N...`: only those cases (check-client-missed-cancel).
if [ $# -gt 0 ]; then
	for c in "$@"; do ( "case$c" ) || exit 1; done
	echo "check-client-missed ($*): OK"
	exit 0
fi

( case8 ) || exit 1
( case7 ) || exit 1
( case6 ) || exit 1
( case5 ) || exit 1
( case1 ) || exit 1
( case2 ) || exit 1
( case3 ) || exit 1
( case4 ) || exit 1
echo "check-client-missed: OK"
