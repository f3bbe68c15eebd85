# shellcheck shell=bash
# Helpers of the trustpoint (PKI client) tests; source from the top of the
# tree.  Each test gets its own temp dir, one pkiksd twin with the lab
# clock (shared by both daemons, so they agree on time), a CA pkid on its
# own port (18200-18299) and a client pkid holding trustpoint TP1.  Every
# wait is bounded.
#
#   cl_setup PORT              $T, pkiksd --lab, clock calendar-valid;
#                              CA_PG=1: the CA's records on a throwaway
#                              PostgreSQL (tests/lib/pg.sh)
#   ca_conf GRANT [LINES...]   the CA's pkid.conf (server TESTCA)
#   ca_start / ca_stop         the CA pkid (waits for GetCACert)
#   cl_conf [LINES...]         the client's pkid.conf (trustpoint TP1)
#   cl_start / cl_stop         the client pkid (waits for its socket)
#   cactl / clctl CMD ARGS     one control command to either daemon
#   lab_now                    the lab clock, seconds
#   lab_to SECONDS             move the lab clock to that instant (or leave
#                              it where it is when already past it)
#   timer_at KIND              deadline (s) of TP1's timer KIND, or empty
#   check_delay WHAT AT FROM DELAY
#                              a timer at AT armed DELAY s after an event at
#                              or after FROM (and before now)
#   wait_for SECONDS CMD...    retry CMD every 0.1 s until it succeeds
#   cert_field FILE FIELD      openssl x509 -noout -FIELD of a PEM file

set -u
. tests/lib/keystore.sh

B=${PKID_BUILD:-build}/bin
CA_PID=
CL_PID=

fail() {
	echo "FAIL: $*" >&2
	for f in ca.log cl.log ks/pkiksd.log; do
		[ -f "${T:-/nonexistent}/$f" ] && { echo "--- $f" >&2; tail -n 25 "$T/$f" >&2; }
	done
	exit 1
}

cl_cleanup() {
	local p
	for p in "${CL_PID:-}" "${CA_PID:-}"; do
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	ks_twin_stop
	declare -F pg_stop >/dev/null && pg_stop
	[ -n "${T:-}" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
}

cl_setup() {
	PORT=$1
	URL=http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe
	T=$(mktemp -d /tmp/pkid-client.XXXXXX)
	trap cl_cleanup EXIT
	if [ -n "${CA_PG:-}" ]; then
		. tests/lib/pg.sh
		pg_start || fail "PostgreSQL did not start"
		trap cl_cleanup EXIT # pg_start set its own
	fi
	ks_twin_start "$T/ks" --lab || fail "pkiksd did not start"
	$B/pkictl clock calendar-valid >/dev/null || fail "clock calendar-valid"
}

ca_conf() {
	local grant=$1 l
	shift
	cat >"$T/ca.conf" <<-EOF
	clock calendar-valid
	ip http server $PORT
	control-socket $T/ca.ctl
	crypto pki server TESTCA
	 issuer-name CN=pkid client-test CA,O=pkid
	 $grant
	 lifetime certificate 30
	 database url $T/cadb
	EOF
	if [ -n "${CA_PG:-}" ]; then
		echo " database connection $PKID_TEST_PG_URL" >>"$T/ca.conf"
		echo " database credentials $PGPASSFILE" >>"$T/ca.conf"
	fi
	# CA_EC=256|384: an ECDSA CA key (eckeypair); the RA stays RSA.
	[ -n "${CA_EC:-}" ] && echo " eckeypair TESTCA $CA_EC" >>"$T/ca.conf"
	for l in "$@"; do echo " $l" >>"$T/ca.conf"; done
	echo " no shutdown" >>"$T/ca.conf"
}

# Start a pkid: $1 = name (ca|cl), $2 = variable to hold its pid.
# PKID_WRAP (e.g. "valgrind -q") runs the client pkid under a debugger.
start_pkid() {
	local wrap=
	[ "$1" = cl ] && wrap=${PKID_WRAP:-}
	# shellcheck disable=SC2086
	$wrap $B/pkid -f -c "$T/$1.conf" -s "$T/$1-state" \
		-P "$PWD/${PKID_BUILD:-build}/pkiks-provider.so" >>"$T/$1.log" 2>&1 &
	printf -v "$2" '%s' $!
}

stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	# Only a pid still alive: once it exited (bash reaps at once) the pid
	# is free, and on a busy machine (pid_max 32768) soon someone else's.
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

ca_start() {
	start_pkid ca CA_PID
	# Bounded: 200 x 50 ms (the first start makes the CA's keys).
	wait_for 10 curl -sf -o /dev/null "$URL?operation=GetCACert" ||
		fail "the CA pkid did not serve GetCACert within 10 s"
}

ca_stop() {
	stop_pid "$CA_PID"
	CA_PID=
}

# TP_EC=256|384: TP1's key is ECDSA (eckeypair), so the CA's CertRep to it
# is ECDH key agreement (RFC 5753) that the keystore's key derives.
tp1_key_line() {
	if [ -n "${TP_EC:-}" ]; then
		echo "eckeypair TP1KEY $TP_EC"
	else
		echo "rsakeypair TP1KEY"
	fi
}

# With TP_EC: certificate FILE certifies an EC P-$TP_EC key (WHAT says
# which); without it, nothing to check.
tp_key_check() {
	[ -n "${TP_EC:-}" ] || return 0
	openssl x509 -in "$1" -noout -text | grep -q "NIST CURVE: P-$TP_EC" ||
		fail "$2 does not certify an EC P-$TP_EC key"
}

cl_conf() {
	local l
	cat >"$T/cl.conf" <<-EOF
	hostname router1
	control-socket $T/cl.ctl
	crypto pki trustpoint TP1
	 enrollment url $URL
	 subject-name CN=router1,O=pkid test
	 $(tp1_key_line)
	 certificate export $T/tp1.pem
	 on-change echo "\$PKID_TRUSTPOINT \$PKID_EVENT" >>$T/hook.log
	EOF
	for l in "$@"; do echo " $l" >>"$T/cl.conf"; done
}

cl_start() {
	start_pkid cl CL_PID
	wait_for 10 clctl "show trustpoints" ||
		fail "the client pkid did not answer within 10 s"
}

cl_stop() {
	stop_pid "$CL_PID"
	CL_PID=
}

cactl() { $B/ctl-call "$T/ca.ctl" "$@"; }
clctl() { $B/ctl-call "$T/cl.ctl" "$@" 2>/dev/null; }

wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

lab_now() {
	$B/pkictl --json show clock | jq '.now_ns / 1000000000 | floor'
}

# The lab clock runs on at real speed between moves, so a deadline the test
# computed earlier may already be behind it on a slow or loaded machine:
# then the timers due are firing by themselves and the clock is not moved
# (it never goes back).  A test that needs to be *before* an instant checks
# that itself with lab_now.
lab_to() {
	local d=$(($1 - $(lab_now)))
	if [ "$d" -le 0 ]; then
		echo "note: the lab clock is already $((-d)) s past $1" >&2
		return 0
	fi
	$B/lab-advance "$d" || fail "lab-advance $d"
}

timer_at() {
	$B/pkictl --json show timers | jq -r --arg k "$1" \
		'.timers[] | select(.owner == "TP1" and .kind == $k) |
		 .deadline_ns / 1000000000 | floor'
}

# 0 when TP1 holds a timer of KIND (for wait_for).
timer_armed() {
	[ -n "$(timer_at "$1")" ]
}

# A timer armed DELAY seconds after an event: the event happened at or after
# FROM (the lab instant the test moved to) and before now (the test has
# seen the timer), so FROM + DELAY <= AT <= now + DELAY.  The upper bound is
# what the test measured, not a fixed allowance: a loaded machine takes
# longer to act on a timer, and the lab clock runs on meanwhile.
check_delay() {
	local what=$1 at=$2 from=$3 delay=$4 now
	now=$(lab_now)
	[ -n "$at" ] && [ "$at" -ge $((from + delay)) ] && [ "$at" -le $((now + delay)) ] ||
		fail "$what at ${at:-none}: $((${at:-0} - from)) s after $from, expected $delay (seen at $now)"
}

cert_field() {
	openssl x509 -noout -"$2" -in "$1" | sed 's/^[^=]*=//'
}

# Seconds since the epoch of a certificate date (notBefore/notAfter).
cert_time() {
	date -u -d "$(cert_field "$1" "$2")" +%s
}

pubkey_of_cert() { openssl x509 -noout -pubkey -in "$1"; }

# After a failed RENEW: TP1 kept its identity ($T/first.pem), did not give
# up, shows `retrying` and holds CONNECT RETRY; R1 = its deadline.
# $1 names the failure in the messages.
retry_armed() {
	grep -q "request gave up\|stopped (enroll by hand" "$T/cl.log" &&
		fail "the client gave up on $1: $(grep 'gave up' "$T/cl.log")"
	wait_for 20 timer_armed "CONNECT RETRY" || fail "no CONNECT RETRY after $1"
	R1=$(timer_at "CONNECT RETRY")
	cmp -s "$T/tp1.pem" "$T/first.pem" || fail "identity changed on $1"
	[ "$(clctl --json "show trustpoints" | jq -r '.[0].state')" = retrying ] ||
		fail "show trustpoints: not retrying after $1"
}

# After the retry's instant: TP1 renewed (another certificate than
# $T/first.pem), RENEW armed again, no CONNECT RETRY left.  $1: why it
# could renew now, for the message.
renewed_on_retry() {
	wait_for 30 eval '! cmp -s "$T/tp1.pem" "$T/first.pem"' ||
		fail "no renewal after $1"
	[ "$(cert_field "$T/tp1.pem" serial)" != "$(cert_field "$T/first.pem" serial)" ] ||
		fail "the renewed identity has the old serial"
	wait_for 20 timer_armed RENEW || fail "no RENEW armed after the renewal"
	timer_armed "CONNECT RETRY" && fail "CONNECT RETRY still armed after the renewal"
	return 0
}

# TP1 authenticated (its CA accepted) and enrolled; its first identity
# kept as first.pem and its RENEW timer's lab time in renew.
enroll_first() {
	clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
	clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
	wait_for 30 test -s "$T/tp1.pem" || fail "no identity after enroll"
	cp "$T/tp1.pem" "$T/first.pem"
	renew=$(timer_at RENEW)
	[ -n "$renew" ] || fail "no RENEW"
}

# The public key of keystore key $1, PEM.
pubkey_of_key() {
	$B/pkictl --json show keys | jq -r --arg n "$1" \
		'.keys[] | select(.name == $n) | .public_key'
}
