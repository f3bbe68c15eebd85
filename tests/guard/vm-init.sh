#!/bin/busybox sh
# PID 1 of the guard's VM (tests/guard/vm.sh): Debian 12's own kernel
# loads the guard, which must pass that kernel's verifier and drop a SYN
# flood on a veth pair, in each attach mode; then it powers off.  Prints
# GUARD-VM-RESULT: PASS or FAIL for the host.
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/bin:/sbin
# busybox prefers its own applets: iproute2 by full path
IP=/usr/local/bin/ip TC=/usr/local/bin/tc
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
exec >/dev/console 2>&1

fail() {
	echo "not ok: $*"
	sed 's/^/  loader: /' /tmp/err 2>/dev/null
	echo "GUARD-VM-RESULT: FAIL"
	poweroff -f
}

# Bounded: up to 10 s for the loader's "ready".
wait_ready() {
	i=0
	while ! grep -q ready /tmp/out 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "$1: the loader did not start"
		sleep 0.1
	done
}

# flood_mode MODE SRC DST: 400 SYNs from 20 sources; 300 must drop.
flood_mode() {
	printf 'ip http server 8080\nip http rate-limit 5 5 interface vb\ncontrol-socket /tmp/ctl\n' >/tmp/conf
	: >/tmp/out # not the last run's "ready"
	pkid-guard-test -c /tmp/conf -S /tmp/ctl -m "$1" >/tmp/out 2>/tmp/err &
	pid=$!
	wait_ready "$1"
	mac=$(cat /sys/class/net/vb/address)
	# -t 120: a hang guard; a full send queue is retried, not skipped
	sent=$(guard-synflood -i va -m "$mac" -d "$3" -p 8080 -s "$2" -n 20 -c 20 -t 120 |
		sed -n 's/^sent //p')
	[ "${sent:-0}" = 400 ] || fail "$1 $2: the flood sent ${sent:-none} of 400 SYNs"
	json=$(PKID_CTL_SOCKET=/tmp/ctl pkictl --json show guard)
	dropped=$(echo "$json" | sed -n 's/.*"dropped":\([0-9]*\),"allowed".*/\1/p')
	[ "${dropped:-0}" -ge 290 ] || fail "$1 $2: dropped ${dropped:-none} of 400: $json"
	kill "$pid"
	wait "$pid" || fail "$1: the loader exited with $?"
	$IP link show vb | grep -q xdp && fail "$1: still attached"
	$TC qdisc show dev vb | grep -q clsact && fail "$1: clsact left"
	echo "ok: $1 from $2: $dropped of 400 SYNs dropped, detached on stop"
}

for m in /lib/modules/*.ko; do insmod "$m" || fail "insmod $m"; done
$IP link add va type veth peer name vb || fail "no veth"
$IP link set va up
$IP link set vb up
echo "kernel $(uname -r)"
for mode in xdp-driver xdp-generic tc; do
	flood_mode $mode 10.201.9.10 10.201.9.1
	flood_mode $mode fd00:201:9::10 fd00:201:9::1
done
echo "GUARD-VM-RESULT: PASS"
sync
poweroff -f
