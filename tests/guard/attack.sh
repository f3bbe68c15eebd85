#!/bin/bash
# bench-attack and check-attack: a legitimate SCEP client's GetCACert and
# enrollment times while slow clients hold pkid's connections (issue 19
# #2), with and without the XDP guard.  The lab is tests/guard/lib.sh's:
# pkid (with a pkiksd twin) in the server namespace, the legitimate client
# (tests/guard/legit.py) in the client namespace, and the slow clients
# (tests/ca/slowloris.py: a request line, then a header line every 2 s,
# never the end of the head) in the flood namespace:
#
#   one   400 connections from one address (10.201.2.2)
#   many  16 connections from each of 200 addresses (10.201.2.10-209,
#         all on the flood namespace's veth): 3,200, more than pkid's
#         2,048 connection slots, each address within its 16
#
# The guard, when on, is `ip http rate-limit 5 10` (5 SYN/s per source,
# burst 10); the client starts a request every 0.25 s at most, within it.
# Needs root.
#
#   tests/guard/attack.sh BIN_DIR bench [GETCACERT ENROLL]
#       every case (quiet, one, many; guard off and on): one table row
#       each, p50/p99 over the requests that succeeded, and how many did
#   tests/guard/attack.sh BIN_DIR check
#       the 200-address case without the guard, shorter, with assertions
#       (see check_many)
set -uo pipefail
BIN=${1:?usage: attack.sh BIN_DIR bench|check [GETCACERT ENROLL]}
MODE=${2:?usage: attack.sh BIN_DIR bench|check [GETCACERT ENROLL]}
NCERT=${3:-60} NENROLL=${4:-12}
cd "$(dirname "$0")/../.." || exit 1
. tests/guard/lib.sh
. tests/lib/keystore.sh
PKID_PID= SLOW_PID=
URL=http://10.201.1.1:$PORT/cgi-bin/pkiclient.exe
PACE=0.25    # s between the client's requests (guard: 5/s burst 10)
TIMEOUT=30   # s for each of the client's requests (3 request deadlines)
INTERVAL=2   # s between a slow connection's header lines
DEADLINE=10  # s: pkid's request deadline (daemon/core/http.c)
CASE=0       # enrollment requests used so far (each transaction once)

attack_down() {
	[ -n "$SLOW_PID" ] && kill -KILL "$SLOW_PID" 2>/dev/null && wait "$SLOW_PID" 2>/dev/null
	[ -n "$PKID_PID" ] && kill -KILL "$PKID_PID" 2>/dev/null && wait "$PKID_PID" 2>/dev/null
	ks_twin_stop
	lab_down
}
trap attack_down EXIT
[ "$(id -u)" = 0 ] || fail "attack.sh needs root (network namespaces, BPF)"

pkid_conf() { # GUARD(on|off)
	{
		echo "clock calendar-valid"
		echo "ip http server $PORT"
		[ "$1" = on ] && echo "ip http rate-limit 5 10"
		echo "control-socket $LAB/pkid.ctl"
		echo "crypto pki server ATTACKCA"
		echo " issuer-name CN=attack bench CA,O=pkid"
		echo " grant auto"
		echo " database url $LAB/db"
		echo " no shutdown"
	} >"$LAB/pkid.conf"
}

show_pkid() { PKID_CTL_SOCKET=$LAB/pkid.ctl "$BIN/pkictl" --json show guard "$@"; }

pkid_start() {
	: >"$LAB/pkid.log"
	ip netns exec "$NS_S" "$BIN/pkid" -f -c "$LAB/pkid.conf" -s "$LAB/state" \
		-P "$PWD/$BIN/../pkiks-provider.so" >>"$LAB/pkid.log" 2>&1 &
	PKID_PID=$!
	# Over loopback, which the guard leaves alone (first start makes keys).
	wait_for 300 in_s curl -sf -o /dev/null \
		"http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe?operation=GetCACert" || {
		cat "$LAB/pkid.log" >&2
		fail "pkid did not serve GetCACert within 30 s"
	}
}

pkid_stop() {
	kill -TERM "$PKID_PID"
	wait "$PKID_PID" || fail "pkid exited with $?"
	PKID_PID=
}

# The CA and RA certificates, and ENROLL signed requests per case (unique
# subjects and transactions), made before anything is timed.
prepare() { # CASES
	local i n=$(($1 * NENROLL))
	in_c pki --scepca --url "$URL" --caout "$LAB/ca.der" --raout "$LAB/ra.der" \
		>"$LAB/scepca.log" 2>&1 || fail "pki --scepca: $(tail -3 "$LAB/scepca.log")"
	[ -f "$LAB/ra.der" ] || mv "$LAB/ra-1.der" "$LAB/ra.der" 2>/dev/null
	[ -f "$LAB/ra.der" ] || fail "no RA certificate from GetCACert"
	openssl genrsa -out "$LAB/k.pem" 2048 2>/dev/null || fail "genrsa"
	openssl req -new -x509 -key "$LAB/k.pem" -subj /CN=legit -days 2 \
		-out "$LAB/self.pem" || fail "self-signed certificate"
	mkdir -p "$LAB/req" "$CASE_DIR"
	for ((i = 1; i <= n; i++)); do
		openssl req -new -key "$LAB/k.pem" -subj "/CN=legit$i" -outform der \
			-out "$CASE_DIR/$i.csr" || fail "CSR $i"
		"$BIN/scep-client" req 19 AES-128-CBC "$LAB/self.pem" "$LAB/k.pem" \
			"$LAB/ra.der" "t-legit-$i" "$CASE_DIR/$i.csr" >"$CASE_DIR/$i.scep" ||
			fail "scep-client req $i"
	done
}

# p50 and p99 (ms) of the seconds on stdin, "- -" when there are none.
pct() {
	sort -n | awk '{v[NR] = $1}
		function p(q) { i = int(q * NR + 0.999); if (i < 1) i = 1; return v[i] * 1000 }
		END { if (NR == 0) print "- -"; else printf "%.1f %.1f\n", p(.5), p(.99) }'
}

# slow_start one|many: the slow clients in the flood namespace, until
# slow_stop (bounded: 600 s); then 3 s for them to take their slots.
slow_start() {
	local args
	case $1 in
	one) args="10.201.2.2 400 $INTERVAL 600" ;;
	many) args="10.201.2.10 16 $INTERVAL 600 200" ;;
	esac
	# shellcheck disable=SC2086
	ip netns exec "$NS_F" $PY tests/ca/slowloris.py 10.201.2.1 $PORT $args >"$LAB/slow.out" 2>>"$LAB/slow.err" &
	SLOW_PID=$!
	sleep 3
}

slow_stop() {
	kill -TERM "$SLOW_PID"
	wait "$SLOW_PID" || fail "slowloris.py failed: $(tail -5 "$LAB/slow.err")"
	SLOW_PID=
	read -r SLOW <"$LAB/slow.out"
}

# run_case GUARD ATTACK: the client's requests during ATTACK (none, one,
# many); results in $LAB/<case>.times, figures in the variables below.
run_case() {
	local guard=$1 attack=$2 i d0=0 first=$((CASE + 1)) st
	rm -f "$LAB"/req/*.req "$LAB"/req/*.rep
	for ((i = 1; i <= NENROLL; i++)); do
		ln -s "$CASE_DIR/$((CASE + i)).scep" "$LAB/req/$i.req"
	done
	CASE=$((CASE + NENROLL))
	[ "$guard" = on ] && d0=$(show_pkid | jq .totals.dropped)
	SLOW=
	[ "$attack" = none ] || slow_start "$attack"
	in_c $PY tests/guard/legit.py 10.201.1.1 $PORT "$NCERT" "$LAB/req" \
		"$NENROLL" $PACE $TIMEOUT >"$LAB/times" || fail "legit.py failed"
	[ "$attack" = none ] || slow_stop
	kill -0 "$PKID_PID" 2>/dev/null || fail "pkid died during $attack ($guard)"
	# An enrollment counts only with a verified SUCCESS reply.
	for ((i = 1; i <= NENROLL; i++)); do
		st=$("$BIN/scep-client" rep "$LAB/req/$i.rep" 2>/dev/null)
		[ "$st" = "status=0 failInfo=-" ] ||
			sed -i "$((NCERT + i))s/ OK / FAIL /" "$LAB/times"
	done
	CERT_OK=$(grep -c '^getcacert OK' "$LAB/times")
	ENR_OK=$(grep -c '^enroll OK' "$LAB/times")
	CERT_P=$(awk '$1 == "getcacert" && $2 == "OK" {print $3}' "$LAB/times" | pct)
	ENR_P=$(awk '$1 == "enroll" && $2 == "OK" {print $3}' "$LAB/times" | pct)
	DROPS=-
	[ "$guard" = on ] && DROPS=$(($(show_pkid | jq .totals.dropped) - d0))
	cp "$LAB/times" "$LAB/$guard-$attack.times"
	# Let pkid see the slow connections go before the next case.
	sleep 1
}

row() { # GUARD ATTACK
	local held=- cut=- longest=-
	if [ -n "$SLOW" ]; then
		local $SLOW
		held="$max_open/$max_total"
		cut=$closed_by_server
		longest=$longest_s
	fi
	printf "%-5s %-12s %5s %9s %9s %5s %9s %9s %9s %9s %8s %9s\n" "$1" "$2" \
		"$CERT_OK/$NCERT" ${CERT_P} "$ENR_OK/$NENROLL" ${ENR_P} \
		"$held" "$cut" "$longest" "$DROPS"
}

bench() {
	local guard attack
	echo "client: $NCERT GetCACert then $NENROLL enrollments, one at a time, at most 4/s, ${TIMEOUT} s each;"
	echo "slow clients: a header line every $INTERVAL s; one = 400 connections from one address,"
	echo "many = 16 from each of 200 addresses (3,200); guard: ip http rate-limit 5 10"
	printf "%-5s %-12s %5s %9s %9s %5s %9s %9s %9s %9s %8s %9s\n" guard attack \
		cacert_ok p50_ms p99_ms enr_ok p50_ms p99_ms held_1/all cut_by_pkid longest_s xdp_drops
	for guard in off on; do
		pkid_conf $guard
		pkid_start
		[ -f "$LAB/ra.der" ] || prepare 6
		for attack in none one many; do
			run_case $guard $attack
			row $guard $attack
		done
		pkid_stop
	done
}

# The 200-address case, short, guard off: pkid lives through it, no
# address holds more than 16, and the client gets its CA certificate and
# enrolls, each request within a bound derived below.
check_many() {
	pkid_conf off
	pkid_start
	prepare 2
	run_case off none
	echo "quiet: GetCACert $CERT_OK/$NCERT p50/p99 ${CERT_P// //} ms, enrollments $ENR_OK/$NENROLL p50/p99 ${ENR_P// //} ms"
	[ "$CERT_OK" = "$NCERT" ] && [ "$ENR_OK" = "$NENROLL" ] ||
		fail "quiet: $(grep -v ' OK ' "$LAB/times" | head -3)"
	local quiet_max
	quiet_max=$(sort -k3 -n "$LAB/times" | tail -1 | awk '{print $3}')
	run_case off many
	echo "200 addresses: GetCACert $CERT_OK/$NCERT p50/p99 ${CERT_P// //} ms, enrollments $ENR_OK/$NENROLL p50/p99 ${ENR_P// //} ms; slow clients: $SLOW"
	local $SLOW
	# Every request answered.  A connection waits in pkid's listen backlog
	# behind fewer than 2,048 others (3,200 - 2,048), which pkid takes as
	# the slow ones ahead of them are cut, all within one request deadline:
	# so no request took longer than two deadlines and the slowest quiet one.
	[ "$CERT_OK" = "$NCERT" ] && [ "$ENR_OK" = "$NENROLL" ] ||
		fail "200 addresses: the client was not served: $(grep -v ' OK ' "$LAB/times" | head -3)"
	awk -v q="$quiet_max" -v d=$DEADLINE '$3 > 2 * d + q {exit 1}' "$LAB/times" ||
		fail "200 addresses: a request took over $((2 * DEADLINE)) s + $quiet_max s: $(sort -k3 -n "$LAB/times" | tail -1)"
	# The attack was what it says: more connections than pkid's 2,048
	# slots at once, none of its addresses holding more than 16.
	[ "$max_total" -gt 2048 ] || fail "the attack held only $max_total connections"
	[ "$max_open" -le 16 ] || fail "one address held $max_open connections"
	grep -q "%PKI-4-HTTP_DEADLINE: " "$LAB/pkid.log" || fail "no HTTP_DEADLINE line"
	echo "ok: 200 addresses, $max_total slow connections at once (16 each at most): every request served, the slowest in $(sort -k3 -n "$LAB/times" | tail -1 | awk '{print $3}') s (bound $((2 * DEADLINE)) s + $quiet_max s)"
	pkid_stop
	echo "check-attack: OK"
}

bench_or_check() {
	local i
	lab_up_pkid
	for ((i = 10; i < 210; i++)); do
		echo "addr add 10.201.2.$i/24 dev f0"
	done | ip -n "$NS_F" -b - || fail "adding the 200 addresses"
	CASE_DIR=$LAB/req-all
	case $MODE in
	bench) bench ;;
	check) check_many ;;
	*) fail "mode $MODE: bench or check" ;;
	esac
}

bench_or_check
