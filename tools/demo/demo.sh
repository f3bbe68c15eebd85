#!/bin/bash
# The newcomer path: a certificate authority and a router's trustpoint on
# loopback, living through a whole CA generation in compressed time:
#
#   1 CA creation          `crypto pki server ROOTCA`, a 10-minute CA with a
#                          4-minute auto-rollover window
#   2 enrollment           trustpoint TP1 authenticates the CA and enrolls
#                          (6-minute identity, auto-enroll 80 regenerate)
#   3 RENEW                at 80 % of the identity: a new key and certificate;
#                          that one ends with the CA, so the next timer is SHADOW
#   4 CA shadow generation CA end - 4 min: the rollover CA (ROOTCA#)
#   5 client SHADOW        (the client's pkid restarted first: its timers live
#                          in the keystore) GetNextCACert, a shadow identity
#                          under the rollover CA
#   6 promotion            the CA's end: the rollover CA becomes ROOTCA, the
#                          client switches to its shadow identity at once
#
# Between stages the clock jumps to the next timer's instant.  Two clocks:
#   --clock lab   (default) a private pkiksd keystore with its lab clock,
#                 moved forward by lab-advance: the system clock is never
#                 touched (it runs in namespaces of its own where it
#                 must, see isolate)
#   --clock date  the keystore already running (pkiks.ko in the qemu VM):
#                 `date -s` jumps; each step revokes the keystore's
#                 authority and `pkictl clock calendar-valid` grants it again
#                 (so timers that waited on the gate fire then).  It steps
#                 the system clock: it runs only with DEMO_DATE_STEPS=yes.
#
# Prints a heading and pkictl's views at each stage, "ok - ..." or
# "not ok - ..." for each fact it checks (openssl verifies the exported
# certificates at chosen instants), a summary, and exits non-zero if a stage
# did not happen.  Everything lives in a temp dir removed on exit.
#
#   demo.sh [--clock lab|date] [--port N] [--bin DIR] [--provider SO] [--keep]
#           [--quiet] [--cycles N]
# --quiet: the pkictl views go to views.log (checks only); --cycles N: live
# through N CA generations (RENEW ... promotion again), 1 by default; 0:
# CA creation and enrollment only (make check-arm64's enrollment).
# The port defaults to the first free one from 8080; DEMO_WAIT_S (30) bounds
# each wait for something to happen.  DEMO_CA_EC=256|384: the CA key is
# ECDSA (`eckeypair`, docs/ECDSA.md; the RA stays RSA).  DEMO_TP_EC=256|384:
# TP1's key is ECDSA too (`eckeypair` on the trustpoint: the CertRep to it
# is ECDH key agreement, derived by the keystore).  DEMO_LATE_ENROLL=S: the
# enrollment waits S s (a jump; 80 does it), so that RENEW falls after the
# CA's rollover generation and meets it (renew_retry, when it times out).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/bin
PROVIDER=$TOP/build/pkiks-provider.so
CLOCK=lab
PORT=
KEEP=
QUIET=
CA=ROOTCA
# Lifetimes (minutes) and the client's renewal point (percent).
CA_MIN=10
WINDOW_MIN=4
ID_MIN=6
PCT=80
# Bound of every wait for something to happen (seconds).
WAIT_S=${DEMO_WAIT_S:-30}

CYCLES=1
GEN=1
STAGES=() # function:name of each stage, in order (build_stages)
stage_no=0
pass=0
fail=0
stages_done=()
facts=()
stages_missed=()
PIDS=()

usage() {
	sed -n '/^#   demo.sh/,/^# each wait/s/^# \{0,3\}//p' "$0" >&2
	exit 2
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--clock) CLOCK=${2:-}; shift ;;
		--port) PORT=${2:-}; shift ;;
		--bin) BIN=${2:-}; shift ;;
		--provider) PROVIDER=${2:-}; shift ;;
		--keep) KEEP=1 ;;
		--quiet) QUIET=1 ;;
		--cycles) CYCLES=${2:-}; shift ;;
		*) usage ;;
		esac
		shift
	done
	case $CLOCK in lab | date) ;; *) usage ;; esac
	# date -s moves the system clock: for a machine that is a test (the VM).
	if [ "$CLOCK" = date ] && [ "${DEMO_DATE_STEPS:-}" != yes ]; then
		echo "demo: --clock date steps the system clock; set DEMO_DATE_STEPS=yes where that is fine (the test VM)" >&2
		exit 2
	fi
	case $CYCLES in [0-5]) ;; *) echo "demo: --cycles: 0 to 5" >&2; exit 2 ;; esac
	case $PORT in '' | [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-6][0-9][0-9][0-9][0-9]) ;;
	*) echo "demo: --port: '$PORT' is not a port number" >&2; exit 2 ;;
	esac
	local f
	for f in "$BIN/pkid" "$BIN/pkictl" "$BIN/pkiks-keygen" "$PROVIDER"; do
		[ -e "$f" ] || { echo "demo: $f is missing: run \`make all\` first" >&2; exit 2; }
	done
}

# shellcheck source=tools/demo/lib.sh
. "$(dirname "$0")/lib.sh"

# ------------------------------------------------------------ configuration

write_ca_conf() {
	cat >"$D/ca.conf" <<-EOF
	! The certificate server: a root CA whose whole life is ten minutes.
	clock calendar-valid
	ip http server $PORT
	control-socket $D/ca.ctl
	crypto pki server $CA
	 issuer-name CN=pkid demo root CA,O=pkid demo
	 grant auto
	 lifetime ca-certificate 0 0 $CA_MIN
	 lifetime certificate 0 0 $ID_MIN
	 auto-rollover 0 0 $WINDOW_MIN
	 database url $D/cadb
	EOF
	[ -n "${DEMO_CA_EC:-}" ] && echo " eckeypair $CA $DEMO_CA_EC" >>"$D/ca.conf"
	echo " no shutdown" >>"$D/ca.conf"
}

# DEMO_CA_EC: the CA certificate's key is ECDSA on that curve.
ca_is_ec() {
	openssl x509 -in "$1" -noout -text | grep -q "NIST CURVE: P-$DEMO_CA_EC"
}

# DEMO_TP_EC: an identity certifies an EC key on that curve.
id_is_ec() {
	openssl x509 -in "$1" -noout -text | grep -q "NIST CURVE: P-$DEMO_TP_EC"
}

tp1_key_line() {
	if [ -n "${DEMO_TP_EC:-}" ]; then
		echo "eckeypair TP1KEY $DEMO_TP_EC"
	else
		echo "rsakeypair TP1KEY"
	fi
}

write_client_conf() {
	cat >"$D/cl.conf" <<-EOF
	! The router: one trustpoint enrolled from ROOTCA on loopback.
	hostname router1
	control-socket $D/cl.ctl
	crypto pki trustpoint TP1
	 enrollment url http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe
	 subject-name CN=router1,O=pkid demo
	 $(tp1_key_line)
	 auto-enroll $PCT regenerate
	 ! The SHADOW margin (the first retries' waits, 1 min here) must fit
	 ! the 4-minute window, or SHADOW runs as soon as the rollover CA is
	 ! fetched (pkictl check: shadow-margin-exceeds-window).
	 enrollment retry count 1
	 certificate export $D/tp1.pem
	 certificate export-shadow $D/tp1-shadow.pem
	EOF
}

# ------------------------------------------------------------ stages
#
# State carried from stage to stage: CA_PEM (the CA certificate TP1
# exported), ID_CHAIN / ID_PEM (TP1's exported identity chain and its
# first certificate), RENEW_AT, SHADOW_AT, ROLL_FP, SH (the shadow pair's
# file prefix) and GEN, the CA generation (1, 2 ...).

stage_ca() {
	stage_begin "CA creation: crypto pki server $CA (CA ${CA_MIN} min, auto-rollover ${WINDOW_MIN} min)"
	clock_line
	write_ca_conf
	sed 's/^/    /' "$D/ca.conf"
	start_pkid ca
	check "the CA pkid is up (show server has its fingerprint)" \
		wait_for "$WAIT_S" ca_up
	check "pkid uses $KS_WHAT" grep -q "using $KS_LOG" "$D/ca.log"
	check "CS SHADOW CERT GENERATION is armed at the CA's end - ${WINDOW_MIN} min" \
		test -n "$(timer_at $CA "CS SHADOW CERT GENERATION")"
	check "CS CERT EXPIRE is armed" test -n "$(timer_at $CA "CS CERT EXPIRE")"
	fact "$(hms "$(now)") $CA created, CA certificate $(ca_json fingerprint | cut -c1-16)…," \
		"rollover due at $(hms "$(timer_at $CA "CS SHADOW CERT GENERATION")")," \
		"end at $(hms "$(timer_at $CA "CS CERT EXPIRE")")"
	show_all
	stage_result "CA creation"
}

# keep_identity NAME: copy TP1's exported chain to $D/NAME.chain.pem and
# split it: $D/NAME.0.pem the identity, $D/NAME.1.pem its CA.
keep_identity() {
	cp "$D/tp1.pem" "$D/$1.chain.pem" 2>/dev/null
	split_pem "$D/$1.chain.pem" "$D/$1."
	ID_CHAIN=$D/$1.chain.pem
	ID_PEM=$D/$1.0.pem
}

# RENEW at notBefore + PCT % of the identity: check it and keep it.
check_renew_timer() {
	local nb na
	nb=$(cert_time "$ID_PEM" start)
	na=$(cert_time "$ID_PEM" end)
	RENEW_AT=$(timer_at TP1 RENEW)
	check "RENEW armed at notBefore + $PCT % of the identity ($(hms $((nb + (na - nb) * PCT / 100))))" \
		test "${RENEW_AT:-none}" = $((nb + (na - nb) * PCT / 100))
}

stage_enroll() {
	stage_begin "Enrollment: trustpoint TP1 (identity ${ID_MIN} min, auto-enroll $PCT regenerate)"
	clock_line
	# DEMO_LATE_ENROLL=S: enroll S s later (a jump), so that RENEW falls
	# after CS SHADOW CERT GENERATION: the one jump to RENEW fires both,
	# and the RENEW meets the CA generating its rollover keys (under its
	# lock): what a slow enrollment stage does by chance.
	[ -n "${DEMO_LATE_ENROLL:-}" ] && jump_to $(($(now) + DEMO_LATE_ENROLL))
	write_client_conf
	sed 's/^/    /' "$D/cl.conf"
	start_pkid cl
	check "the client pkid answers" wait_for "$WAIT_S" \
		"$BIN/pkictl" --ctl "$D/cl.ctl" show trustpoints
	check "pkictl trustpoint TP1 authenticate --accept (fingerprint = the CA's)" \
		authenticate
	check "pkictl trustpoint TP1 enroll" pk --ctl "$D/cl.ctl" trustpoint TP1 enroll
	check "TP1 is enrolled and its certificate exported" \
		wait_for "$WAIT_S" enrolled
	keep_identity g1-enrolled
	CA_PEM=$D/g1-enrolled.1.pem
	check "openssl verifies the identity against the CA it was exported with" \
		at_ok "$(now)" "$CA_PEM" "$ID_PEM"
	check "the exported CA is $CA's (fingerprint)" test "$(fp "$CA_PEM")" = "$(ca_json fingerprint)"
	[ -n "${DEMO_CA_EC:-}" ] &&
		check "the CA key is ECDSA P-$DEMO_CA_EC (eckeypair)" ca_is_ec "$CA_PEM"
	[ -n "${DEMO_TP_EC:-}" ] &&
		check "TP1's key is EC P-$DEMO_TP_EC (eckeypair; its CertRep was ECDH)" \
			id_is_ec "$ID_PEM"
	check_renew_timer
	fact "$(hms "$(cert_time "$ID_PEM" start)") TP1 enrolled: serial $(serial "$ID_PEM")," \
		"until $(hms "$(cert_time "$ID_PEM" end)"), RENEW at $(hms "${RENEW_AT:-0}") ($PCT %)"
	show_all
	stage_result "enrollment"
}

# TP1 renewed (tp1.pem differs from $1), or its RENEW got no answer and
# CONNECT RETRY is armed to send it again.
renewed_or_retrying() {
	differs "$D/tp1.pem" "$1" || [ -n "$(timer_at TP1 "CONNECT RETRY")" ]
}

# A RENEW that meets the CA busy -- its RENEW instant came after CS
# SHADOW CERT GENERATION (a slow enrollment stage pushes it there), so
# the one jump fired both, and the CA's rollover key generation holds the
# request past the client's 20 s timeout -- is sent again, the same, at
# CONNECT RETRY: the clock jumps there too, and the CA answers it from its
# record (one certificate for it).
renew_retry() {
	local at tid
	wait_for "$WAIT_S" renewed_or_retrying "$1"
	differs "$D/tp1.pem" "$1" && return 0
	at=$(timer_at TP1 "CONNECT RETRY")
	[ -n "$at" ] || return 0 # the check that follows says it
	tid=$(sed -n 's/.*trustpoint TP1: renew request \([0-9A-F]*\) to .*/\1/p' "$D/cl.log" | tail -1)
	echo "TP1's RENEW $tid got no answer (the CA busy): CONNECT RETRY at $(hms "$at") sends it again"
	jump_to $((at + 1)) TP1 "CONNECT RETRY"
	check "TP1 sent RENEW $tid again (same transactionID)" \
		wait_for "$WAIT_S" grep -q "TP1: renew request $tid sent again" "$D/cl.log"
}

stage_renew() {
	local old=$ID_PEM old_chain=$ID_CHAIN
	stage_begin "RENEW$(gen_tag): the clock jumps to the RENEW timer"
	jump_to $((${RENEW_AT:-$(now)} + 1)) TP1 RENEW
	renew_retry "$old_chain"
	check "TP1 renewed: a new certificate is exported" \
		wait_for "$WAIT_S" differs "$D/tp1.pem" "$old_chain"
	keep_identity "g$GEN-renewed"
	check "a new serial ($(serial "$ID_PEM"), was $(serial "$old"))" \
		test "$(serial "$ID_PEM")" != "$(serial "$old")"
	check "regenerate: a new key" test "$(openssl x509 -noout -pubkey -in "$ID_PEM")" != \
		"$(openssl x509 -noout -pubkey -in "$old")"
	check "openssl verifies the renewed identity" at_ok "$(now)" "$CA_PEM" "$ID_PEM"
	[ -n "${DEMO_TP_EC:-}" ] &&
		check "the regenerated key is EC P-$DEMO_TP_EC too" id_is_ec "$ID_PEM"
	check "the renewed identity ends with the CA (truncated)" \
		test "$(cert_time "$ID_PEM" end)" = "$(cert_time "$CA_PEM" end)"
	SHADOW_AT=$(timer_at TP1 SHADOW)
	check "so the next timer is SHADOW, not RENEW" \
		test -n "$SHADOW_AT" -a -z "$(timer_at TP1 RENEW)"
	fact "$(hms "$(cert_time "$ID_PEM" start)") TP1 RENEW: serial $(serial "$ID_PEM")," \
		"new key, ends with the CA, so SHADOW at $(hms "${SHADOW_AT:-0}")"
	show_all
	stage_result "RENEW$(gen_tag)"
}

stage_ca_shadow() {
	local at
	at=$(timer_at $CA "CS SHADOW CERT GENERATION")
	stage_begin "CA shadow generation$(gen_tag): the clock jumps to CS SHADOW CERT GENERATION"
	jump_to $((${at:-$(now)} + 2)) $CA "CS SHADOW CERT GENERATION"
	check "show server: rollover status 'available for rollover'" \
		wait_for "$WAIT_S" rollover_available
	ROLL_FP=$(ca_json rollover_fingerprint)
	check "the rollover CA has its own fingerprint" test -n "$ROLL_FP" -a "$ROLL_FP" != "$(fp "$CA_PEM")"
	check "the rollover key $CA# is in the keystore" has_key "$CA#"
	check "TP1 holds no shadow items yet (its SHADOW timer has not fired)" \
		not has_shadow_items
	fact "$(hms "$(now)") $CA rollover CA ${ROLL_FP:0:16}… ($CA#), valid from the CA's end," \
		"served by GetNextCACert"
	show_all
	stage_result "CA shadow generation$(gen_tag)"
}

# The client's timers live in the keystore, not in pkid: a restarted pkid
# finds SHADOW where it was and is the one it fires for.
# SHADOW may have moved since RENEW: once the client holds the rollover CA
# certificate (its next-CA poll fetches it after the CA made it), SHADOW is
# planned no later than the margin before the CA's end.
restart_client() {
	local poll
	# A next-CA poll due now (the clock runs: date steps) fetches the
	# rollover CA and re-plans SHADOW: let it first, so that the check
	# below compares SHADOW across the stop alone (it raced: the poll
	# moved SHADOW between the read and the stop).
	poll=$(nextca_poll_at)
	if [ -n "$poll" ] && [ "$poll" -le $(($(now) + WAIT_S)) ]; then
		wait_for "$WAIT_S" holds_rollover_ca || true
	fi
	SHADOW_AT=$(timer_at TP1 SHADOW)
	stop_pkid cl
	check "the client pkid stopped; its SHADOW timer stays in the keystore" \
		test -n "$SHADOW_AT" -a "$(timer_at TP1 SHADOW)" = "$SHADOW_AT"
	start_pkid cl
	check "the client pkid restarted" wait_for "$WAIT_S" \
		"$BIN/pkictl" --ctl "$D/cl.ctl" show trustpoints
	check "TP1 is still enrolled with the same identity (show certificates TP1)" \
		test "$(tp_identity_fp)" = "$(fp "$ID_PEM")"
}

stage_client_shadow() {
	local end
	end=$(cert_time "$CA_PEM" end)
	stage_begin "Client SHADOW$(gen_tag): the clock jumps to TP1's SHADOW timer"
	[ "$GEN" = 1 ] && restart_client
	SHADOW_AT=$(timer_at TP1 SHADOW)
	jump_to $((${SHADOW_AT:-$(now)} + 1)) TP1 SHADOW
	check "TP1 holds shadow items (rollover CA, shadow identity)" \
		wait_for "$WAIT_S" has_shadow_items
	check "the shadow pair is exported" wait_for 5 test -s "$D/tp1-shadow.pem"
	SH=$D/g$GEN-shadow.
	split_pem "$D/tp1-shadow.pem" "$SH"
	check "the shadow CA is the rollover CA" test "$(fp "${SH}1.pem")" = "$ROLL_FP"
	check "the shadow identity starts at the CA's end" \
		test "$(cert_time "${SH}0.pem" start)" = "$end"
	check "the active identity is still the renewed one" cmp -s "$D/tp1.pem" "$ID_CHAIN"
	check "TP1's SHADOW timer is re-armed at the CA's end: the switch" \
		test "$(timer_at TP1 SHADOW)" = "$end"
	fact "$(hms "$(now)") TP1 SHADOW: shadow identity serial $(serial "${SH}0.pem")" \
		"under the rollover CA, waiting for $(hms "$end")"
	show_all
	stage_result "client SHADOW$(gen_tag)"
}

stage_promotion() {
	local end old_ca=$CA_PEM old_id=$ID_PEM
	end=$(cert_time "$CA_PEM" end)
	stage_begin "Promotion$(gen_tag): the clock jumps to the CA's end (CS CERT EXPIRE)"
	check "openssl -attime end-1 s: the current identity verifies under the old CA" \
		at_ok $((end - 1)) "$old_ca" "$old_id"
	check "openssl -attime end-1 s: the shadow identity is not valid yet" \
		at_bad $((end - 1)) "${SH}1.pem" "${SH}0.pem"
	jump_to $((end + 2)) $CA "CS CERT EXPIRE"
	check "$CA is now the rollover CA" wait_for "$WAIT_S" ca_is "$ROLL_FP"
	check "no rollover left on the CA" not rollover_available
	check "TP1 switched to its shadow identity (the exported certificate)" \
		wait_for "$WAIT_S" exported_identity_is "$(fp "${SH}0.pem")"
	GEN=$((GEN + 1))
	keep_identity "g$GEN-switched"
	CA_PEM=$D/g$GEN-switched.1.pem
	check "TP1's exported CA is the new CA" test "$(fp "$CA_PEM")" = "$ROLL_FP"
	[ -n "${DEMO_CA_EC:-}" ] &&
		check "the new CA key is ECDSA P-$DEMO_CA_EC too (a rollover keeps it)" \
			ca_is_ec "$CA_PEM"
	check "openssl -attime end+1 s: the new identity verifies under the new CA" \
		at_ok $((end + 1)) "$CA_PEM" "$ID_PEM"
	[ -n "${DEMO_TP_EC:-}" ] &&
		check "the shadow identity TP1 switched to is EC P-$DEMO_TP_EC" \
			id_is_ec "$ID_PEM"
	check "openssl -attime end+1 s: the old identity is expired" \
		at_bad $((end + 1)) "$old_ca" "$old_id"
	# The new identity ends before the new CA: RENEW, the next cycle.
	check_renew_timer
	fact "$(hms "$end") promotion: $CA is ${ROLL_FP:0:16}…, TP1 switched to serial" \
		"$(serial "$ID_PEM") at the same instant (openssl: valid at end-1 s and end+1 s)"
	show_all
	stage_result "promotion$(gen_tag -1)"
}

# " (generation N)" after the first generation; gen_tag -1: of the one
# that just ended.
gen_tag() {
	local g=$((GEN + ${1:-0}))
	[ $g -gt 1 ] && echo " (generation $g)"
}

# The lab clock needs two things the demo arranges with namespaces of its
# own, which grant nothing outside them:
#  - pkiksd lets only root declare the clock calendar-valid, even its
#    private lab clock: an ordinary user becomes root of a user namespace
#    (unshare -r);
#  - where pkiks.ko is loaded, the keystore client would pick the module
#    (its generic netlink family) over the private pkiksd: a network
#    namespace (unshare -n, its own loopback) does not see the family.
isolate() {
	local flags=
	[ "$CLOCK" = lab ] || return 0
	if [ -n "${DEMO_ISOLATED:-}" ]; then
		[ -d /sys/kernel/pkiks ] && ip link set lo up
		return 0
	fi
	[ "$(id -u)" = 0 ] || flags=r
	[ -d /sys/kernel/pkiks ] && flags=${flags}n
	[ -n "$flags" ] || return 0
	if ! unshare -$flags true 2>/dev/null; then
		echo "demo: cannot make the namespaces it needs (unshare -$flags): run it as root" >&2
		exit 1
	fi
	case $flags in
	*r*) echo "demo: not root: running as root of a private user namespace (unshare -r), where the demo's keystore accepts \`clock calendar-valid\`" ;;
	esac
	case $flags in
	*n*) echo "demo: pkiks.ko is loaded here: running in a private network namespace (unshare -n), where the keystore client does not see the module and uses the demo's pkiksd" ;;
	esac
	DEMO_ISOLATED=1 exec unshare -$flags "$0" "$@"
}

main() {
	parse_args "$@"
	isolate "$@"
	build_stages
	UP0=$(uptime_s)
	D=$(mktemp -d /tmp/pkid-demo.XXXXXX)
	chmod 755 "$D"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	[ -n "$PORT" ] || PORT=$(free_port 8080 8180) ||
		{ echo "demo: no free port in 8080-8180" >&2; exit 1; }
	start_keystore || { echo "demo: the keystore did not start" >&2; exit 1; }
	T0=$(now)
	[ -n "$T0" ] || { echo "demo: the keystore does not answer" >&2; exit 1; }
	echo "demo: pkid CA + client trustpoint on 127.0.0.1:$PORT, work dir $D, clock: $CLOCK"
	# Each stage needs the one before: stop at the first that fails.
	local st
	for st in "${STAGES[@]}"; do
		"${st%%:*}"
		[ $fail -eq 0 ] || break
	done
	[ $fail -eq 0 ] || show_logs
	summary
}

main "$@"
