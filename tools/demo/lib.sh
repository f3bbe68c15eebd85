# shellcheck shell=bash
# Helpers of the demo (tools/demo/demo.sh sources this file): reporting
# (ok/not ok lines, headings, pkictl views, the summary), the processes
# (keystore, the two pkid, cleanup), the clock (read it, jump it) and the
# facts the checks read (timers, JSON fields, certificate dates).
# They use the demo's globals: D, BIN, PROVIDER, CLOCK, CA, QUIET, WAIT_S,
# pass/fail, the stage bookkeeping and PIDS.

# ------------------------------------------------------------ reporting

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# check DESC CMD...: CMD must succeed.
check() {
	local desc=$1
	shift
	if "$@" >"$D/check.out" 2>&1; then ok "$desc"; else
		bad "$desc"
		sed 's/^/    /' "$D/check.out" | tail -n 15
	fi
}

heading() {
	echo
	echo "=============================================================="
	echo "== $*"
	echo "=============================================================="
}

# The keystore's clock now, as the stage sees it.
clock_line() {
	echo "clock: $(date -u -d "@$(now)" '+%F %T UTC') = t0 + $(($(now) - T0)) s" \
		"($(($(uptime_s) - UP0)) s of real time since the demo started)"
}

# show TITLE CTL ARGS...: one pkictl view, indented.
show() {
	local title=$1
	shift
	if [ -n "$QUIET" ]; then
		{ echo "--- pkictl $title"; "$@" 2>&1; } >>"$D/views.log"
		return
	fi
	echo "--- pkictl $title"
	"$@" 2>&1 | sed 's/^/    /'
}

show_all() {
	# IOS's views, typed as on a router; the CA's certificates in the
	# verbose form, which tells what the rollover CA issued.
	show "show crypto pki timers" pk show crypto pki timers
	show "show crypto pki server $CA" pk --ctl "$D/ca.ctl" show crypto pki server "$CA"
	show "show crypto pki certificates $CA verbose" \
		pk --ctl "$D/ca.ctl" show crypto pki certificates "$CA" verbose
	# The client's pkid starts at stage 2.
	[ -S "$D/cl.ctl" ] || return 0
	show "show crypto pki certificates TP1" \
		pk --ctl "$D/cl.ctl" show crypto pki certificates TP1
}

stage_result() { # NAME: passed if no check failed since stage_begin
	if [ "$fail" -eq "$stage_fail0" ]; then stages_done+=("$1"); else
		stages_missed+=("$1")
	fi
}
stage_begin() {
	stage_fail0=$fail
	stage_no=$((stage_no + 1))
	heading "$stage_no. $*"
}

# CA creation and enrollment, then per CA generation: RENEW, CA shadow
# generation, client SHADOW, promotion (the identity the client switches
# to ends before the new CA does, so the next generation starts with
# RENEW again).
build_stages() {
	local g tag
	STAGES=("stage_ca:CA creation" "stage_enroll:enrollment")
	for ((g = 1; g <= CYCLES; g++)); do
		tag=
		[ $g -gt 1 ] && tag=" (generation $g)"
		STAGES+=("stage_renew:RENEW$tag" "stage_ca_shadow:CA shadow generation$tag"
			"stage_client_shadow:client SHADOW$tag" "stage_promotion:promotion$tag")
	done
}

# fact TEXT: one line of the summary's story.
fact() { facts+=("$*"); }
hms() { date -u -d "@$1" +%T; } # an instant, as the story tells it

summary() {
	echo
	echo "=============================================================="
	echo "== Summary"
	echo "=============================================================="
	echo "keystore: $KS_WHAT"
	echo "checks: $pass passed, $fail failed, in $(($(uptime_s) - UP0)) s"
	local s
	echo "what happened (keystore clock, UTC):"
	for s in "${facts[@]}"; do echo "  - $s"; done
	for s in "${stages_done[@]}"; do echo "stage happened: $s"; done
	for s in "${stages_missed[@]}"; do echo "stage FAILED: $s"; done
	for ((s = ${#stages_done[@]} + ${#stages_missed[@]}; s < ${#STAGES[@]}; s++)); do
		echo "stage not reached: ${STAGES[s]#*:}"
	done
	if [ "$fail" -eq 0 ] && [ ${#stages_done[@]} -eq ${#STAGES[@]} ]; then
		if [ "$CYCLES" -eq 0 ]; then
			echo "DEMO RESULT: PASS (CA creation, enrollment)"
			return 0
		fi
		echo "DEMO RESULT: PASS (CA creation, enrollment, RENEW, CA shadow generation," \
			"client SHADOW, promotion$([ "$CYCLES" -gt 1 ] && echo "; $CYCLES CA generations"))"
		return 0
	fi
	echo "DEMO RESULT: FAIL"
	return 1
}

# After a failure: the last pkictl views (--quiet) and the daemons' logs.
show_logs() {
	local f
	if [ -n "$QUIET" ] && [ -f "$D/views.log" ]; then
		echo "--- the last pkictl views"
		tail -n 40 "$D/views.log" | sed 's/^/    /'
	fi
	for f in ca cl; do
		[ -f "$D/$f.log" ] || continue
		echo "--- last lines of $f.log"
		tail -n 20 "$D/$f.log" | sed 's/^/    /'
	done
}

# Seconds since boot: real elapsed time, whatever the clock jumps do.
uptime_s() { cut -d. -f1 /proc/uptime; }

# ------------------------------------------------------------ processes

pk() { "$BIN/pkictl" "$@"; }
jpk() { "$BIN/pkictl" --json "$@" 2>/dev/null; }

# stop_pid PID: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
	local i
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	# Only a pid still alive: an exited one may be someone else's by now.
	kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	local p
	# The daemons first, the keystore (the first started) last.
	for ((p = ${#PIDS[@]} - 1; p >= 0; p--)); do
		stop_pid "${PIDS[p]}"
	done
	if [ -n "$KEEP" ]; then echo "demo: kept $D"; else rm -rf "$D"; fi
}

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# A free TCP port on loopback: the first one nothing answers on.
free_port() {
	local p
	for ((p = $1; p <= $2; p++)); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# shellcheck disable=SC2034 # KS_WHAT, KS_LOG: read by demo.sh
start_keystore() {
	if [ "$CLOCK" = date ]; then
		# The one running here; time moves with date -s.
		if [ -d /sys/kernel/pkiks ]; then
			KS_WHAT="the kernel keystore (pkiks.ko)"
			KS_LOG="kernel keystore"
		else
			KS_WHAT="the system's pkiksd"
			KS_LOG="userspace keystore pkiksd"
		fi
		return 0
	fi
	# The demo needs compressed time: only pkiksd has a clock it may move.
	echo "demo: keystore: a private pkiksd with its lab clock, even where pkiks.ko is loaded (compressed time needs a clock the demo may move)"
	KS_WHAT="a private pkiksd --lab ($D/ks)"
	KS_LOG="userspace keystore pkiksd at $D/ks"
	mkdir -p "$D/ks"
	export PKIKS_SOCKET=$D/ks/pkiksd.sock
	"$BIN/pkiksd" --socket "$PKIKS_SOCKET" --state-dir "$D/ks/state" \
		--foreground --lab 2>"$D/ks/pkiksd.log" &
	PIDS+=($!)
	wait_for 10 grep -q '^pkiksd: serving' "$D/ks/pkiksd.log" ||
		{ cat "$D/ks/pkiksd.log"; return 1; }
	pk clock calendar-valid >/dev/null || return 1
}

# The keystore's time, seconds (the lab clock with pkiksd --lab).
now() {
	jpk show clock | jq '.now_ns / 1000000000 | floor'
}

clock_at() { [ "$(now)" -ge "$1" ]; }

authoritative() {
	[ "$(jpk show clock | jq -r .authoritative)" = true ]
}

# jump_to T [OWNER KIND]: move the clock to instant T (seconds).  With
# `date -s`, also check what the keystore's gate does: the step revokes
# its authority, the timer OWNER KIND (now overdue) waits for it, and
# `pkictl clock calendar-valid` grants it again (the timer fires then:
# the stage's own checks show what it did).  A `date -s` jump of a few
# seconds races real time (on a loaded machine the timer may fire by
# itself before the step, and then never waits for the gate): below
# JUMP_MIN_S (5) the clock is left to get there by itself.
JUMP_MIN_S=5
jump_to() {
	local d=$(($1 - $(now)))
	if [ "$d" -le 0 ]; then
		echo "the clock is already there (real time caught up): no jump"
		return 0
	fi
	if [ "$CLOCK" = date ] && [ "$d" -lt "$JUMP_MIN_S" ]; then
		echo "the clock gets there in $d s by itself (real time nearly caught up): no jump"
		wait_for $((d + JUMP_MIN_S)) clock_at "$1"
		return 0
	fi
	if [ "$CLOCK" = lab ]; then
		# (stderr: the keystore client's "using pkiksd" line)
		"$BIN/lab-advance" "$d" 2>"$D/lab.err" || { cat "$D/lab.err"; return 1; }
		echo "lab clock moved forward $d s"
		clock_line
		return
	fi
	date -s "@$(($(date +%s) + d))" >/dev/null || return 1
	# The keystore notices the step within a second and revokes authority;
	# granting it before that would be undone.
	check "date -s +$d s: the keystore revokes its authority" \
		wait_for 5 not authoritative
	[ $# -eq 3 ] && check "$3 $2 is overdue and waits for authority" \
		test "$(timer_state "$2" "$3")" = waiting
	check "pkictl clock calendar-valid: authority granted again" \
		pk clock calendar-valid
	check "the keystore's clock is authoritative" authoritative
	clock_line
}

# start_pkid NAME: $D/NAME.conf, state $D/NAME-state, log $D/NAME.log;
# its pid in PID_NAME.
start_pkid() {
	"$BIN/pkid" -f -c "$D/$1.conf" -s "$D/$1-state" -P "$PROVIDER" \
		>>"$D/$1.log" 2>&1 &
	PIDS+=($!)
	printf -v "PID_$1" %s $!
}

# stop_pkid NAME: stop it and forget its pid.
stop_pkid() {
	local var=PID_$1 p keep=()
	stop_pid "${!var}"
	for p in "${PIDS[@]}"; do
		[ "$p" = "${!var}" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# ------------------------------------------------------------ facts

ca_json() { jpk --ctl "$D/ca.ctl" show server "$CA" | jq -r ".$1 // empty"; }

# Deadline (s) of the timer OWNER KIND, or nothing.
timer_at() {
	jpk show timers | jq -r --arg o "$1" --arg k "$2" \
		'.timers[] | select(.owner == $o and .kind == $k) |
		 .deadline_ns / 1000000000 | floor' | head -1
}

timer_state() { # OWNER KIND
	jpk show timers | jq -r --arg o "$1" --arg k "$2" \
		'.timers[] | select(.owner == $o and .kind == $k) | .state' | head -1
}

# split_pem FILE PREFIX: PREFIX0.pem, PREFIX1.pem ... one certificate each.
split_pem() {
	awk -v p="$2" '/BEGIN CERT/ { f = p n++ ".pem" } f { print > f }' "$1"
}

cert_time() { # FILE start|end
	local v
	if [ "$2" = start ]; then v=$(openssl x509 -in "$1" -noout -startdate); else
		v=$(openssl x509 -in "$1" -noout -enddate)
	fi
	date -u -d "${v#*=}" +%s
}
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g'; }
serial() { openssl x509 -in "$1" -noout -serial | sed 's/.*=//'; }

at_ok() { openssl verify -attime "$1" -CAfile "$2" "$3"; }
at_bad() { ! openssl verify -attime "$1" -CAfile "$2" "$3"; }

not() { ! "$@"; }
ca_up() { [ -n "$(ca_json fingerprint)" ]; }
ca_is() { [ "$(ca_json fingerprint)" = "$1" ]; }
rollover_available() { [ "$(ca_json rollover_status)" = "available for rollover" ]; }
has_key() { pk show keys | grep -qF "$1"; }
authenticate() {
	pk --ctl "$D/cl.ctl" trustpoint TP1 authenticate --accept |
		grep -q "$(ca_json fingerprint)"
}
tp_state() { jpk --ctl "$D/cl.ctl" show trustpoints | jq -r '.[0].state'; }
# The identity certificate's fingerprint, as the client's pkid reports it.
tp_identity_fp() {
	jpk --ctl "$D/cl.ctl" show certificates TP1 |
		jq -r '.[0].certificates[] | select(.role == "Identity") | .fingerprint'
}
enrolled() { [ -s "$D/tp1.pem" ] && [ "$(tp_state)" = enrolled ]; }
# The first certificate of tp1.pem (the identity; the CA follows) is FP's.
exported_identity_is() { [ "$(fp "$D/tp1.pem")" = "$1" ]; }
has_shadow_items() {
	jpk --ctl "$D/cl.ctl" show certificates TP1 |
		jq -e '.[0].certificates | map(.role) | index("Shadow identity") != null'
}
# TP1 holds the rollover CA certificate (its next-CA poll fetched it).
holds_rollover_ca() {
	jpk --ctl "$D/cl.ctl" show certificates TP1 |
		jq -e '.[0].certificates | map(.role) | index("Shadow CA") != null'
}
# Deadline (s) of TP1's next-CA poll, or nothing.
nextca_poll_at() {
	jpk show timers | jq -r '.timers[] |
		select(.owner == "TP1" and .label == "next-ca-poll") |
		.deadline_ns / 1000000000 | floor' | head -1
}
differs() { ! cmp -s "$1" "$2"; }
