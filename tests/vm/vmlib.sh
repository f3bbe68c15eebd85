# shellcheck shell=bash
# Helpers of the VM tests that run several pkid on the real module with
# `date -s` jumps (tests/vm/hierarchy.sh, rollover-ec.sh; sourced inside
# the VM from /vmlib.sh).  The caller sets W (work dir) and LOGS (the
# names whose $W/NAME.log finish shows on failure) before using them.
#
#   ok/bad/check DESC CMD...   "ok - " / "not ok - " lines, counted
#   must DESC CMD...           check, and finish at once if it failed
#   finish / fatal DESC        the PKIKS-VM-RESULT line, stop the daemons
#   load_module                pkiks.ko and its dependencies
#   wait_for SECS CMD...       retry CMD (bounded in uptime and tries)
#   start_pkid NAME            $W/NAME.conf, state $W/NAME-state
#   tdeadline/tstate OWNER KIND   a module timer in sysfs
#   jump OWNER KIND TO         date -s past a timer, re-grant, it fires
#   cert_start/cert_end/fp/nth/pubkey   certificate facts
#   at_ok/at_bad AT CA CERT    openssl verify -attime accepts / rejects
USER_GID=1000
SYS=/sys/kernel/pkiks
pass=0 fail=0
PIDS=

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
# check DESC CMD...: CMD must succeed.
check() {
	local desc=$1
	shift
	if "$@" >$W/check.out 2>&1; then ok "$desc"; else
		bad "$desc"
		sed 's/^/    /' $W/check.out | tail -n 10
	fi
}

finish() {
	local f p
	if [ $fail -ne 0 ]; then
		for f in $LOGS; do
			[ -f $W/$f.log ] || continue
			echo "    --- last lines of $f.log"
			tail -n 25 $W/$f.log | sed 's/^/    /'
		done
		echo "    --- timers"
		pkictl show timers 2>&1 | sed 's/^/    /'
		echo "    --- the module's timers (sysfs: deadline s, state)"
		for f in $SYS/timers/*/*; do
			[ -d "$f" ] && echo "    ${f#$SYS/timers/} $(($(cat $f/deadline) / 1000000000)) $(cat $f/state)"
		done
	fi
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	echo "PKIKS-VM-RESULT: $([ $fail -eq 0 ] && echo PASS || echo FAIL) $pass/$((pass + fail))"
	exit 0
}
# fatal DESC: a step the rest depends on failed.
fatal() {
	bad "$*"
	finish
}

# The module's dependencies first (/modules.order, from mkinitramfs.sh).
load_module() {
	local m
	while read -r m; do
		case $m in
		pkiks.ko) insmod "/lib/modules/$m" user_gid=$USER_GID || return 1 ;;
		*) insmod "/lib/modules/$m" 2>/dev/null || grep -q "^${m%.ko} " /proc/modules ;;
		esac
	done </modules.order
}

# The start every VM scenario makes: the module loaded, loopback up, the
# clock set to $1 (UTC) and declared calendar-valid, so the module's time
# gate opens before the first pkid starts.
vm_start() { # START
	load_module || fatal "load pkiks.ko"
	ok "pkiks.ko loaded: the keystore is the kernel's"
	ip link set lo up || fatal "loopback up"
	date -u -s "$1" >/dev/null || fatal "date -s $1"
	pkictl clock calendar-valid >/dev/null || fatal "pkictl clock calendar-valid"
	ok "clock set to $1 UTC and declared calendar-valid"
}

up() { cut -d. -f1 /proc/uptime; } # monotonic: date jumps
# wait_for SECONDS CMD...: retry CMD every 0.2 s for SECONDS of uptime
# (the wall clock jumps) and at most SECONDS * 5 tries.
# (Its locals are _wf_*: bash's dynamic scope shows a local named like a
# caller's global, say "end", to the CMD it runs.)
wait_for() {
	local _wf_secs=$1 _wf_i _wf_until
	shift
	_wf_until=$(($(up) + _wf_secs))
	for ((_wf_i = 0; _wf_i < _wf_secs * 5 && $(up) <= _wf_until; _wf_i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

start_pkid() { # NAME
	pkid -f -c $W/$1.conf -s $W/$1-state -P /lib/pkid/pkiks-provider.so \
		>>$W/$1.log 2>&1 &
	PIDS="$PIDS $!"
}
ctl() { local n=$1; shift; pkictl --ctl $W/$n.ctl "$@"; }
jctl() { local n=$1; shift; pkictl --json --ctl $W/$n.ctl "$@" 2>/dev/null; }
now() { date +%s; }
not() { ! "$@"; }
differs() { ! cmp -s "$1" "$2"; }
log_has() { grep -q "$2" $W/$1.log; }

# The module's view of a timer, in sysfs.
tdir() { echo "$SYS/timers/$1/$(echo "$2" | tr ' ' _)"; }
tstate() { cat "$(tdir "$1" "$2")/state" 2>/dev/null; }
tdeadline() { # OWNER KIND: seconds
	local ns
	ns=$(cat "$(tdir "$1" "$2")/deadline" 2>/dev/null) || return 1
	echo $((ns / 1000000000))
}
authoritative() { [ "$(cat $SYS/clock/authoritative)" = 1 ]; }

# fired OWNER KIND DEADLINE: the timer armed at DEADLINE ran: it is gone,
# re-armed at another instant, or expired (and left for pkid).
fired() {
	local d
	d=$(tdeadline "$1" "$2") || return 0
	[ "$d" != "$3" ] || [ "$(tstate "$1" "$2")" = expired ]
}

# jump OWNER KIND TO: date -s to TO (seconds); the module sees a step and
# revokes its authority, OWNER KIND (due before TO) waits; calendar-valid
# grants authority again and the timer fires.
jump() {
	local owner=$1 kind=$2 to=$3 steps d
	d=$(tdeadline "$owner" "$kind")
	[ -n "$d" ] || fatal "no $owner $kind timer in $SYS/timers"
	steps=$(cat $SYS/clock/steps)
	date -u -s "@$to" >/dev/null || fatal "date -s @$to"
	echo "    date -s $(date -u '+%F %T'): +$((to - d)) s past $owner $kind"
	check "the module revokes its authority (clock/authoritative 0)" \
		wait_for 5 not authoritative
	check "clock/steps counted the step ($steps -> $((steps + 1)))" \
		test "$(cat $SYS/clock/steps)" = $((steps + 1))
	check "$owner $kind is overdue and waits for authority (sysfs state waiting)" \
		test "$(tstate "$owner" "$kind")" = waiting
	check "pkictl clock calendar-valid: authority granted again" pkictl clock calendar-valid
	check "clock/authoritative 1, source calendar" \
		test "$(cat $SYS/clock/authoritative)$(cat $SYS/clock/source)" = 1calendar
	check "$owner $kind fired (sysfs)" wait_for 30 fired "$owner" "$kind" "$d"
}

cert_end() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }
cert_start() { date -u -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s; }
fp() { openssl x509 ${1:+-in "$1"} -noout -fingerprint -sha256 | sed 's/.*=//; s/://g'; }
pubkey() { openssl x509 -in "$1" -noout -pubkey; }
# nth FILE N: the N-th certificate of a PEM file.
nth() { awk -v n="$2" '/BEGIN CERT/ { i++ } i == n' "$1"; }
at_ok() { openssl verify -attime "$1" -CAfile "$2" "$3"; }
at_bad() { ! openssl verify -attime "$1" -CAfile "$2" "$3"; }
# must DESC CMD...: a check the rest depends on: on failure, finish.
must() {
	local f0=$fail
	check "$@"
	[ $fail -eq $f0 ] || finish
}
