#!/bin/bash
# check-crash, part 1: kill -9 during enrollment storms.
#
# One pkiksd twin (--lab) and pkid (manual granting, static challenge
# password) on 127.0.0.1:18700.  ROUNDS (default 20) rounds of:
#   revoke one certificate of the previous round (the CRL is re-signed);
#   crash-storm: N concurrent enrollments (C clients), the first P without
#   a challenge (left pending), the rest with it (issued);
#   SIGKILL pkid at a random moment of the storm, restart it at once; the
#   storm re-sends what got no answer, as a client retries;
#   then: every certificate any client received so far has a serial of its
#   own and is in the database byte for byte, every pending request is
#   intact (verify.py, the SQLite file read-only), the serial counter is
#   ahead, the CRL verifies with the CA, lists every revocation so far and
#   its number never goes back.
# Then part 2 (tests/crash/rollover.sh) kills pkid inside a CA rollover.
. tests/ca/lib.sh
. tests/crash/lib.sh
ROUNDS=${ROUNDS:-20} N=${N:-60} C=${C:-8} P=${P:-2}

ca_setup 18700
ca_conf "! manual granting; a static password grants" "password storm-secret"
ca_start
sw_scepca
mkdir -p "$T/out" "$T/keys"
: >"$T/revoked"
crl_no=0 hit=0
# The kill lands at a random instant 0..window ms after the first request.
# window starts at 500 ms and shrinks to any delay at which the storm had
# already ended, so it follows pkid's speed on this machine and load.
window_ms=500

for ((round = 1; round <= ROUNDS; round++)); do
	revoke_one
	$B/crash-storm --url "$URL" --out "$T/out" --keys "$T/keys" \
		-n "$N" -c "$C" --pending "$P" --password storm-secret \
		--retry-seconds 30 --ready "$T/ready" >"$T/storm.out" \
		2>"$T/storm.err" &
	storm=$!
	# From the first request on (bounded: 600 x 50 ms; the first round
	# makes the key pool), then 0..window ms into the storm.
	for ((i = 0; i < 600; i++)); do
		[ -f "$T/ready" ] && break
		kill -0 $storm 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$T/ready"
	delay_ms=$((RANDOM % window_ms))
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	kill -0 $storm 2>/dev/null || window_ms=$((delay_ms > 20 ? delay_ms : 20))
	ca_kill KILL 2>/dev/null
	ca_start
	wait "$storm" || { cat "$T/storm.err" "$T/storm.out"; fail "round $round: storm"; }
	grep -q "interrupted=[1-9]" "$T/storm.out" && hit=$((hit + 1))
	check_db "round $round"
	check_crl "round $round"
	echo "round $round: killed at ${delay_ms} ms: $(cat "$T/storm.out")"
done
# The kill must have landed inside the storm often enough to mean anything.
[ "$hit" -ge $((ROUNDS / 4)) ] ||
	fail "only $hit of $ROUNDS kills interrupted an enrollment"
echo "ok: $ROUNDS kill -9 rounds, $hit of them with requests in flight"
ca_kill TERM

tests/crash/rollover.sh || exit 1
echo "check-crash: OK"
