#!/bin/bash
# check-demo: runs the demo (tools/demo/demo.sh) as `make demo` would, on a
# test port, and checks what it promises: exit status 0, done within two
# minutes (not counting the time its tasks waited for a CPU), every stage
# reported as happened, the PASS summary line, and the pkictl views it
# prints at each stage.
set -u
out=$(mktemp /tmp/pkid-check-demo.XXXXXX)
fail() {
	echo "FAIL: check-demo: $*" >&2
	tail -n 60 "$out" >&2
	exit 1
}

# The two minutes are the demo's on a machine that gives it the CPU it
# asks for.  On a shared one the time its tasks spent waiting for a CPU is
# measured, not guessed: the demo runs in a cgroup of its own (cgroup v2,
# where mounted and writable), whose cpu.pressure "some" total is the time
# at least one of its tasks was runnable but not running; that time does
# not count against the two minutes.  Without such a cgroup every second
# counts.
CG_ROOT=
for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ -f "$d/cgroup.procs" ] && [ -f "$d/cpu.pressure" ] && { CG_ROOT=$d; break; }
done
cg=
if [ -n "$CG_ROOT" ] && mkdir "$CG_ROOT/pkid-check-demo.$$" 2>/dev/null; then
	cg=$CG_ROOT/pkid-check-demo.$$
	echo $$ >"$cg/cgroup.procs" 2>/dev/null || { rmdir "$cg"; cg=; }
fi
trap 'rm -f "$out"; [ -n "$cg" ] && { echo $$ >"$CG_ROOT/cgroup.procs"; rmdir "$cg"; } 2>/dev/null' EXIT
stalled_us() { sed -n 's/^some .* total=\([0-9]*\)$/\1/p' "$cg/cpu.pressure"; }

start=$SECONDS
s0=0
[ -n "$cg" ] && s0=$(stalled_us)
tools/demo/demo.sh --port 18650 </dev/null >"$out" 2>&1
rc=$?
took=$((SECONDS - start))
waited=0
[ -n "$cg" ] && waited=$((($(stalled_us) - s0) / 1000000))
[ $rc -eq 0 ] || fail "demo.sh exited $rc"
[ $((took - waited)) -lt 120 ] ||
	fail "the demo took $took s, $waited s of it waiting for a CPU: $((took - waited)) s (promised: under two minutes)"
for stage in "CA creation" "enrollment" "RENEW" "CA shadow generation" \
	"client SHADOW" "promotion"; do
	grep -qx "stage happened: $stage" "$out" || fail "no 'stage happened: $stage'"
done
grep -q '^DEMO RESULT: PASS' "$out" || fail "no PASS summary line"
grep -q '^  - .* promotion: ROOTCA is .*, TP1 switched to serial' "$out" ||
	fail "the summary does not tell the promotion"
grep -q '^checks: [0-9]* passed, 0 failed' "$out" || fail "no checks summary"
grep -q '^not ok' "$out" && fail "a failed check despite exit 0"
for view in "show crypto pki timers" "show crypto pki server ROOTCA" \
	"show crypto pki certificates ROOTCA verbose"; do
	[ "$(grep -c "^--- pkictl $view\$" "$out")" -eq 6 ] ||
		fail "'pkictl $view' not printed at each of the 6 stages"
done
# The client's pkid starts at stage 2.
[ "$(grep -c '^--- pkictl show crypto pki certificates TP1$' "$out")" -eq 5 ] ||
	fail "'pkictl show crypto pki certificates TP1' not printed at stages 2-6"
# What the views must have shown on the way.
for seen in "Rollover status: available for rollover" "SHADOW TP1" \
	"RENEW TP1" "Issued by: the rollover CA"; do
	grep -qF "$seen" "$out" || fail "the views never showed '$seen'"
done
# TP1's shadow identity: IOS's rollover block of a (non-CA) certificate,
# which only the client's view has (the CA lists what it issued as plain
# "Certificate" blocks).
grep -qx "    Certificate (Rollover)" "$out" ||
	fail "the views never showed TP1's shadow identity (Certificate (Rollover))"
echo "check-demo: OK ($(grep -c '^ok' "$out") checks, $took s${cg:+, $waited s of it waiting for a CPU})"
