#!/bin/sh
# check-vm-lifecycle, inside the VM (installed as /tests.sh by
# lifecycle-files.sh, run by /init): pkid's CA and a client trustpoint with
# the REAL module as keystore (no pkiksd), living through CA creation,
# enrollment, then two CA generations of RENEW, CA shadow generation,
# client SHADOW and promotion, with `date -s` jumps between the stages.  Each jump revokes the module's
# authority; the driver (tools/demo/demo.sh --clock date) re-grants it with
# `pkictl clock calendar-valid`, which is what lets the waiting timers fire.
# The driver checks each stage (openssl verify -attime on the certificates
# the client exported); this prints its ok/not ok lines and ends with
# "PKIKS-VM-RESULT: PASS n/m" or "... FAIL n/m" for the host.
# Then the demo as `make demo` runs it, on this machine where the module is
# loaded: it must keep to its private pkiksd with the lab clock.
#   tests.sh lifecycle   all of the above (check-vm-lifecycle)
#   tests.sh enroll      the CA and one enrollment of the client on the
#                        module, no date jump (make check-arm64)
#   tests.sh lifecycle-ec  one CA generation with an ECDSA P-256 CA key
#                        (eckeypair) and an EC P-384 trustpoint key on the
#                        module: enrollment, RENEW, rollover, SHADOW,
#                        promotion (check-vm-lifecycle-ec)
MODE=${1:-lifecycle}
USER_GID=1000
# Calendar-valid and fixed, so every run sees the same dates.
START="2027-03-01 12:00:00"
W=/tmp/lifecycle
mkdir -p $W

result() { # PASS|FAIL N M
	echo "PKIKS-VM-RESULT: $1 $2/$3"
	exit 0
}

# The module's dependencies first (/modules.order, from mkinitramfs.sh).
load_module() {
	while read -r m; do
		case $m in
		pkiks.ko) insmod "/lib/modules/$m" user_gid=$USER_GID || return 1 ;;
		*) insmod "/lib/modules/$m" 2>/dev/null || grep -q "^${m%.ko} " /proc/modules ;;
		esac
	done </modules.order
}

echo "pkid $MODE in the VM, kernel $(uname -r) ($(uname -m))"
load_module || { echo "not ok - load pkiks.ko"; result FAIL 0 1; }
echo "ok - pkiks.ko loaded: the keystore is the kernel's"
ip link set lo up || { echo "not ok - loopback up"; result FAIL 1 2; }
date -u -s "$START" >/dev/null || { echo "not ok - date -s $START"; result FAIL 1 2; }
echo "ok - loopback up, clock set to $START UTC"

up() { cut -d. -f1 /proc/uptime; } # monotonic: date jumps

# run_demo NAME ARGS...: demo.sh into $W/NAME.out; prints its checks and
# stage headings (indented: the host's run-vm.sh shows indented lines), the
# pkictl views and daemon logs only on failure; exit status: the demo's.
run_demo() {
	name=$1
	shift
	t0=$(up)
	bash /demo/demo.sh --quiet --bin /bin \
		--provider /lib/pkid/pkiks-provider.so "$@" >"$W/$name.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		grep -E '^(ok|not ok|== [0-9]|stage|clock|checks|  - |demo:)' "$W/$name.out" |
			sed 's/^[=scd ]/    &/'
	else
		grep -E '^(ok|not ok|    |== |stage|clock|checks|  - |DEMO|demo)' "$W/$name.out" |
			sed 's/^[=scdD ]/    &/'
	fi
	echo "    $name: demo.sh exit $rc after $(($(up) - t0)) s"
	[ $rc -eq 0 ] && grep -q '^DEMO RESULT: PASS' "$W/$name.out"
}

if [ "$MODE" = enroll ]; then
	# The CA and one client enrollment on the module, on loopback.  The
	# demo bounds each wait by 30 s, set where OpenSSL signs about 190
	# RSA-2048/s (amd64 under TCG); another architecture's TCG is slower:
	# the bound scales with this VM's measured rate, within 30..300 s.
	rate=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048/ { print int($6) }')
	w=$((30 * 190 / (${rate:-0} > 0 ? ${rate:-1} : 19)))
	[ $w -ge 30 ] || w=30
	[ $w -le 300 ] || w=300
	echo "    OpenSSL signs ${rate:-?} RSA-2048/s here: each demo wait bounded at $w s"
	DEMO_WAIT_S=$w DEMO_DATE_STEPS=yes run_demo enroll --clock date --cycles 0 --port 18601
	ok1=$?
	ok2=0
elif [ "$MODE" = lifecycle-ec ]; then
	# The module signs as an ECDSA CA (the RA stays RSA) and holds TP1's
	# P-384 key (eckeypair: it signs TP1's requests and derives the
	# CertReps, ECDH).  One generation.  A RENEW that meets the CA's
	# rollover key generation (a slow enrollment stage puts RENEW after
	# CS SHADOW CERT GENERATION) times out and is sent again, the same,
	# at CONNECT RETRY; the demo jumps there (renew_retry).
	DEMO_CA_EC=256 DEMO_TP_EC=384 DEMO_DATE_STEPS=yes run_demo ec --clock date --cycles 1 --port 18601
	ok1=$?
	ok2=0
else
	# 1. The real module, date -s jumps, two CA generations.
	DEMO_DATE_STEPS=yes run_demo date-steps --clock date --cycles 2 --port 18601
	ok1=$?
	# 2. `make demo` on a machine where the module is loaded: the lab clock
	#    of a private pkiksd, which the demo must use instead of the module.
	run_demo lab-clock --port 18602
	ok2=$?
fi

pass=$(($(cat $W/*.out | grep -c '^ok') + 2))
total=$((pass + $(cat $W/*.out | grep -c '^not ok')))
if [ $ok1 -eq 0 ] && [ $ok2 -eq 0 ]; then
	result PASS $pass $total
fi
[ $total -gt $pass ] || total=$((total + 1)) # a failure with no "not ok" line
result FAIL $pass $total
