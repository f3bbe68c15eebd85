#!/bin/sh
# bench-vm-scep, inside the VM (installed as /tests.sh by
# bench-scep-files.sh, run by /init): the enrollment benchmark and the
# timer firing delay with the REAL module (pkiks.ko) as keystore.
#  1. pkid (RA mode, grant auto with one-time passwords from its control
#     socket, as tools/scep-bench/bench.sh) on 127.0.0.1, then scep-bench:
#     enrollments/s, p50/p99 and the physical limit (OpenSSL RSA-2048
#     private ops/s measured by scep-bench in this VM / 3), as a ratio.
#  2. timer-delay on the module (PKIKS_SOCKET unset): 1, 20 and 100 timers
#     due at one instant, 100 spread over 1 s.
# Prints the figures as "BENCH ..." lines (run-vm.sh shows them on the
# host) and ends with "PKIKS-VM-RESULT: PASS|FAIL".
# Small sizes: the VM is qemu TCG, tens of times slower than the host.
N=${BENCH_N:-150} C=${BENCH_C:-2} KEYS=8 LIMIT_S=2
USER_GID=1000
PORT=18620
W=/tmp/bench-scep
URL=http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe
PKID_PID=
mkdir -p $W

result() { # PASS|FAIL WHY
	echo "PKIKS-VM-RESULT: $1${2:+ $2}"
	[ -n "$PKID_PID" ] && kill "$PKID_PID" 2>/dev/null
	exit 0
}

fail() { # WHAT LOG
	echo "BENCH FAIL: $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 20 "$2" | sed 's/^/    /'
	result FAIL "$1"
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

write_conf() {
	cat >$W/pkid.conf <<-EOF2
	clock calendar-valid
	! written by tests/vm/bench-scep.sh
	ip http server $PORT
	control-socket $W/pkid.ctl
	crypto pki server BENCHCA
	 issuer-name CN=pkid bench CA,O=pkid
	 grant auto
	 lifetime certificate 30
	 database url $W/db
	 database level complete
	 database archive pkcs12 password archive-secret
	 no shutdown
	EOF2
}

# Start pkid and wait (bounded: 300 x 0.5 s; its CA keys are made by the
# module under TCG) until GetCACert answers; a CA that failed to start ends it.
start_pkid() {
	pkid -f -c $W/pkid.conf -s $W/state -P /lib/pkid/pkiks-provider.so \
		>$W/pkid.log 2>&1 &
	PKID_PID=$!
	i=0
	while [ $i -lt 300 ]; do
		wget -q -O /dev/null "$URL?operation=GetCACert" 2>/dev/null && return 0
		kill -0 $PKID_PID 2>/dev/null || return 1
		grep -q CS_START_FAILED $W/pkid.log && return 1
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

up() { cut -d' ' -f1 /proc/uptime; }

echo "BENCH bench-vm-scep: kernel $(uname -r), $(nproc) cores (qemu TCG), keystore pkiks.ko"
load_module || fail "load pkiks.ko"
ip link set lo up || fail "loopback up"
write_conf
t0=$(up)
start_pkid || fail "pkid did not serve GetCACert" $W/pkid.log
echo "BENCH pkid CA up on the module in $(awk "BEGIN{printf \"%.1f\", $(up) - $t0}") s"

scep-bench --url "$URL" -n "$N" -c "$C" --keys $KEYS --ctl $W/pkid.ctl \
	--ca BENCHCA --limit-seconds $LIMIT_S >$W/bench.out 2>&1
rc=$?
sed 's/^/BENCH scep: /' $W/bench.out
[ $rc -eq 0 ] || fail "scep-bench exited $rc" $W/pkid.log
grep -q '^RESULT enrollments_per_s=[0-9.]* p50_ms=[0-9.]* p99_ms=[0-9.]* rsa_ops_per_s=[0-9]* limit_per_s=[0-9.]* ratio=[0-9.]*$' \
	$W/bench.out || fail "scep-bench: incomplete report"
issued=$(grep -c "PKCSReq tid .*: SUCCESS" $W/pkid.log)
[ "$issued" -ge "$N" ] || fail "pkid logged $issued SUCCESS, expected $N" $W/pkid.log
kill $PKID_PID 2>/dev/null
wait $PKID_PID 2>/dev/null
PKID_PID=

# The module's timers: pkid is gone, so only timer-delay's timers run.
# Every row must produce figures (a burst of 100 expiries once overflowed
# libnl's 32 KiB event buffer; ks_kernel.c now asks for 1 MiB).
timer_row() { # TIMERS SPREAD_MS
	out=$(timer-delay -n "$1" -s "$2" 2>$W/timer.err) ||
		fail "timer-delay -n $1 -s $2" $W/timer.err
	echo "BENCH timers: $out"
}
echo "BENCH timers: timers spread_ms p50_us p99_us max_us clock_err_us arm_ms"
for run in "1 0" "20 0" "100 0" "100 1000"; do
	timer_row $run
done
result PASS
