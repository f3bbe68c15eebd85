# tests/guard/lib.sh: the guard's lab, shared by run.sh and bench.sh.
#
# Three network namespaces of our own, named after our pid so parallel runs
# do not meet; addresses exist only inside them:
#
#   client  c0 10.201.1.2  fd00:201:1::2 --- sc0 10.201.1.1  fd00:201:1::1  server
#   flood   f0 10.201.2.2  fd00:201:2::2 --- sf0 10.201.2.1  fd00:201:2::1  server
#
# The server runs a plain HTTP listener on $PORT (listener.py, one log line
# per request; `lab_up nolistener` leaves it out for pkid.sh) and the guard
# (pkid-guard-test).
# lab_down runs from the caller's EXIT trap.

. tests/lib/strongswan.sh # lab_up_pkid

PORT=8080
NS_S=h8s-$$ NS_C=h8c-$$ NS_F=h8f-$$
PY=/usr/bin/python3
LAB=$(mktemp -d /tmp/guard-test.XXXXXX)
LOADER_PID= HTTP_PID=

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }
in_f() { ip netns exec "$NS_F" "$@"; }

fail() {
	echo "FAIL: $*" >&2
	[ -f "$LAB/loader.err" ] && sed 's/^/  loader: /' "$LAB/loader.err" >&2
	exit 1
}
ok() { echo "ok: $*"; }

# Bounded wait: up to $1 tenths of a second for the command to succeed.
wait_for() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

lab_link() { # NS_A IF_A ADDR4_A ADDR6_A NS_B IF_B ADDR4_B ADDR6_B
	ip link add "$2" netns "$1" type veth peer name "$6" netns "$5"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" addr add "$4/64" dev "$2" nodad
	ip -n "$5" addr add "$7/24" dev "$6"
	ip -n "$5" addr add "$8/64" dev "$6" nodad
	ip -n "$1" link set "$2" up
	ip -n "$5" link set "$6" up
}

lab_up() {
	local ns
	for ns in "$NS_S" "$NS_C" "$NS_F"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	lab_link "$NS_S" sc0 10.201.1.1 fd00:201:1::1 \
		"$NS_C" c0 10.201.1.2 fd00:201:1::2
	lab_link "$NS_S" sf0 10.201.2.1 fd00:201:2::1 \
		"$NS_F" f0 10.201.2.2 fd00:201:2::2
	[ "${1:-}" = nolistener ] && return 0
	mkdir -p "$LAB/www"
	echo hello >"$LAB/www/index.html"
	ip netns exec "$NS_S" $PY tests/guard/listener.py $PORT "$LAB/www" \
		>/dev/null 2>"$LAB/http.log" &
	HTTP_PID=$!
	wait_for 50 in_c curl -s -o /dev/null http://10.201.1.1:$PORT/ ||
		fail "the HTTP listener did not come up"
}

# The lab without a listener, a pkiksd twin on the lab clock
# (tests/lib/keystore.sh) and strongSwan's pki set up to enroll with pkid.
lab_up_pkid() {
	lab_up nolistener
	ks_twin_start "$LAB/ks" --lab || fail "pkiksd did not start"
	strongswan_conf "$LAB"
}

lab_down() {
	[ -n "$LOADER_PID" ] && kill "$LOADER_PID" 2>/dev/null && wait "$LOADER_PID" 2>/dev/null
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null
	for ns in "$NS_S" "$NS_C" "$NS_F"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$LAB"
	return 0
}

# conf LINE...: the loader's pkid.conf
conf() {
	{
		echo "ip http server $PORT"
		echo "control-socket $LAB/ctl"
		printf '%s\n' "$@"
	} >"$LAB/pkid.conf"
}

# start_guard [MODE] [WRAPPER...]: the loader in the server namespace
start_guard() {
	local mode=${1:-auto}
	shift || true
	: >"$LAB/loader.out"
	ip netns exec "$NS_S" "$@" "$BIN/pkid-guard-test" -c "$LAB/pkid.conf" -S "$LAB/ctl" \
		-m "$mode" >"$LAB/loader.out" 2>"$LAB/loader.err" &
	LOADER_PID=$!
	wait_for 50 grep -q ready "$LAB/loader.out" ||
		fail "the guard loader did not start"
}

stop_guard() {
	kill -TERM "$LOADER_PID"
	wait "$LOADER_PID" || fail "the loader exited with $?"
	LOADER_PID=
}

reloads() { grep -c reloaded "$LAB/loader.out"; }
more_reloads() { [ "$(reloads)" -gt "$1" ]; }

reload_guard() {
	local before
	before=$(reloads)
	kill -HUP "$LOADER_PID"
	wait_for 50 more_reloads "$before" || fail "reload not acknowledged"
}

# show [ARGS]: `pkictl --json show guard` against the loader
show() { PKID_CTL_SOCKET=$LAB/ctl "$BIN/pkictl" --json show guard "$@"; }

# flood SRC N PER_SRC [SECONDS] [PPS]: SYNs from N sources to the server
flood() {
	local dst=10.201.2.1 mac
	[[ $1 == *:* ]] && dst=fd00:201:2::1
	mac=$(in_s cat /sys/class/net/sf0/address)
	in_f "$BIN/guard-synflood" -i f0 -m "$mac" -d $dst -p $PORT -s "$1" \
		-n "$2" -c "$3" -t "${4:-10}" -r "${5:-0}" | awk '{print $2}'
}

# The program id on a server interface's XDP hook ("" if none).
xdp_prog_id() {
	ip -n "$NS_S" -d link show "$1" | awk '/prog\/xdp/ {print $3; exit}'
}
