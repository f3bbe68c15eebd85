#!/bin/bash
# check-crash, part 2: kill -9 during CA rollover (ROLLOVER.md §3.1).
#
# pkid (grant auto, a 10-minute CA, 4-minute auto-rollover window) on
# 127.0.0.1:18701 and the lab clock of its pkiksd twin.  Two full
# rollovers; in each, shadow generation and then promotion are started by
# moving the lab clock, and pkid is killed with SIGKILL KILLS times (default
# 4 each) at random moments (0-499 ms after the clock moved or after the
# previous restart; 0-119 ms for the quicker promotion), then restarted.
# Unlike check-rollover-crash, which stops pkid through its test hook right
# after each durable step, these kills land anywhere: in the middle of key
# generation, archiving, signing and the database switch.  After each phase:
#   shadow generation: one rollover CA in the database (step 2), one
#     NAME# and one NAME-ra# key, archives numbered 1..n without a gap, and
#     the rollover certificate unchanged by one more kill;
#   promotion: GetCACert is that rollover certificate, NAME and NAME-ra
#     once each, no NAME# key left, still archives 1..n, the CRL verifies
#     under the new CA;
#   and each time a small storm enrolls, and verify.py holds the database
#   to every certificate received so far (serials unique across CAs).
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/crash/lib.sh
KILLS=${KILLS:-4}

ca_setup 18701
ca_conf "grant auto" "lifetime ca-certificate 0 0 10" "auto-rollover 0 0 4"
ca_start
sw_scepca
mkdir -p "$T/out" "$T/keys"
: >"$T/revoked" # check_crl: no revocations to look for here

pause() { # 0 .. $1-1 ms
	local ms=$((RANDOM % $1))
	sleep "$(printf '0.%03d' "$ms")"
	echo "$ms"
}

# kill_restart N MAX_MS WHAT: N times SIGKILL at a random moment, restart.
kill_restart() {
	local k ms at=
	for ((k = 0; k < $1; k++)); do
		# The first kill of a phase within a quarter of the range: the
		# steps run right after the clock moves.
		ms=$(pause $((k ? $2 : $2 / 4 + 1)))
		ca_kill KILL 2>/dev/null
		at="$at ${ms}ms/$(db_state | tr ' ' :)"
		ca_start
	done
	echo "  $3: killed at$at (time/step:archive), restarted each time"
}

# Archives NAME_00001.p12 .. NAME_<n>.p12, nothing else.
archives_are() {
	local want got
	want=$(for ((i = 1; i <= $1; i++)); do printf '%s_%05d.p12\n' "$CA_NAME" "$i"; done)
	got=$(cd "$T/db" && ls "$CA_NAME"_*.p12 2>/dev/null)
	[ "$got" = "$want" ] || fail "archives: $(echo $got), want 1..$1"
}

keys_are() { # keys_are CUR ROLL: count of NAME/NAME-ra and NAME#/NAME-ra#
	[ "$(key_count "$CA_NAME")" = "$1" ] && [ "$(key_count "$CA_NAME-ra")" = "$1" ] ||
		fail "$CA_NAME/$CA_NAME-ra keys: $(key_count "$CA_NAME")/$(key_count "$CA_NAME-ra"), want $1"
	[ "$(key_count "$CA_NAME#")" = "$2" ] && [ "$(key_count "$CA_NAME-ra#")" = "$2" ] ||
		fail "$CA_NAME#/$CA_NAME-ra# keys: $(key_count "$CA_NAME#")/$(key_count "$CA_NAME-ra#"), want $2"
}

# wait_state STATE: the CA row's "step archive" (bounded: 200 x 0.1 s).
wait_state() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(db_state)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "CA state $(db_state), want $1"
}

storm() {
	$B/crash-storm --url "$URL" --out "$T/out" --keys "$T/keys" -n 12 -c 4 \
		>"$T/storm.out" 2>"$T/storm.err" ||
		{ cat "$T/storm.err"; fail "$1: storm"; }
	check_db "$1"
}

storm "before any rollover"
for cycle in 1 2; do
	n=$((cycle + 1))
	cp "$T/ca.pem" "$T/ca$cycle.pem"
	end=$(cert_time "$T/ca$cycle.pem" end)

	# Shadow generation: into the window (end - 4 min), 5 s past the timer.
	$B/lab-advance $((end - 240 + 5 - $(lab_now))) >/dev/null || fail "lab-advance"
	kill_restart "$KILLS" 500 "rollover $cycle, shadow generation"
	wait_field "show server" rollover_status "available for rollover"
	wait_state "2 $n"
	keys_are 1 1
	archives_are $n
	roll_fp=$(jget "show server" rollover_fingerprint)
	[ -n "$roll_fp" ] || fail "no rollover fingerprint"
	kill_restart 1 500 "rollover $cycle, rollover CA published"
	[ "$(jget "show server" rollover_fingerprint)" = "$roll_fp" ] ||
		fail "the rollover CA changed across a restart"
	keys_are 1 1
	archives_are $n
	storm "rollover $cycle available"
	echo "ok: rollover $cycle made once: one rollover CA, one $CA_NAME# key, archives 1-$n"

	# Promotion: past the CA's end (CS CERT EXPIRE).
	$B/lab-advance $((end + 3 - $(lab_now))) >/dev/null || fail "lab-advance"
	kill_restart "$KILLS" 120 "rollover $cycle, promotion"
	wait_state "0 $n"
	wait_field "show server" rollover_status "not available"
	rm -f "$T/ca.der" "$T/ra.der" "$T/ca.pem"
	sw_scepca
	[ "$(fp "$T/ca.pem")" = "$roll_fp" ] || fail "GetCACert is not the rollover CA"
	keys_are 1 0
	archives_are $n
	crl_no=0 # a new CA: its own CRL numbers
	check_crl "rollover $cycle promoted"
	storm "rollover $cycle promoted"
	echo "ok: rollover $cycle promoted once: the rollover CA serves, no $CA_NAME# left, archives 1-$n, CRL by the new CA"
done
echo "check-crash rollover: OK"
