#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/ca/pg_ha_lib.sh: pkid nodes serving one CA from one throwaway
# PostgreSQL (issue 18), each with its own pkiksd (lab clock) and its own
# `database url` folder; the pkiksds share only the KEK file, so the CA
# key reaches the other nodes as the wrapped blob the first one stored.
# Used by check-pg-ha (pg_ha.sh), check-pg-fence (pg_fence.sh) and
# check-pg-cutoff (pg_cutoff.sh).  The CA: 10 minutes, auto-rollover in
# its last 4 (lab time); RA_CERT (default none) its ra-certificate,
# NODE_EXTRA one more line of its configuration.  Source it after setting
# NODES and PORT:
#   ha_setup            PostgreSQL, the KEK, a pkiksd per node, clocks equal
#   node_start N        pkid of node N (node_spawn N, then node_wait N
#                       until it serves GetCACert); PAUSE[N] (default shadow-key,
#                       promote-key) is its PKID_TEST_PAUSE_AT; DBURL[N]
#                       (default the cluster's URL) its database connection
#   role N              leader | follower (show server)
#   lab_to T            every node's lab clock to T (unix seconds)
#   db_step             the rollover step in the CA row
#   enroll N NAME       a strongSwan client enrolls through node N
#   client_key NAME     the path of client NAME's RSA key (kept across runs)
#   lab_time            the lab clock's time for a client (faketime)
#   got_in_db           every certificate received is in PostgreSQL
CA_PG=1
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/lib/pg.sh

declare -A PID=() KSPID=() PAUSE=() DBURL=()
T=$(mktemp -d /tmp/pkid-ha.XXXXXX)
STORM_PIDS=()
ha_cleanup() {
	local rc=$? n p
	if [ $rc != 0 ]; then
		for n in $NODES; do
			echo "--- node $n, last lines of its log:" >&2
			tail -n 15 "$T/$n/pkid.log" >&2 2>/dev/null
		done
	fi
	local pids=("${STORM_PIDS[@]}")
	for p in "${STORM_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for n in $NODES; do
		[ -n "${PID[$n]:-}" ] && kill -KILL "${PID[$n]}" 2>/dev/null && pids+=("${PID[$n]}")
		[ -n "${KSPID[$n]:-}" ] && kill -KILL "${KSPID[$n]}" 2>/dev/null && pids+=("${KSPID[$n]}")
	done
	# only these: a test's other children (pg_cutoff.sh's namespace
	# holder) are ha_cleanup_more's, after the server is stopped
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pg_stop
	declare -F ha_cleanup_more >/dev/null && ha_cleanup_more
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}

url() { echo "http://127.0.0.1:${PORT[$1]}/cgi-bin/pkiclient.exe"; }
nctl() { local n=$1; shift; $B/ctl-call "$T/$n/pkid.ctl" "$@"; }
# ctl-call waits as long as pkid takes: a node stuck under its CA lock
# would hang the test, so a hang guard (20 s; it answers in milliseconds)
role() {
	timeout 20 $B/ctl-call "$T/$1/pkid.ctl" --json "show server" $CA_NAME 2>/dev/null |
		jq -r '.role // ""'
}
ks() { PKIKS_SOCKET=$T/$1/ks/pkiksd.sock "${@:2}"; }
lab_now_of() { ks "$1" $B/pkictl --json show clock | jq '.now_ns / 1e9 | floor'; }
# Move every node's lab clock to the same instant; $T/lab-offset is then
# the lab clock minus the real one, for the clients (lab_time).
lab_to() {
	local n d
	for n in $NODES; do
		d=$(($1 - $(lab_now_of $n)))
		[ $d -gt 0 ] && { ks $n $B/lab-advance $d || fail "lab-advance $n"; }
	done
	n=${NODES%% *}
	echo $(($(lab_now_of $n) - EPOCHSECONDS)) >"$T/lab-offset.new" &&
		mv "$T/lab-offset.new" "$T/lab-offset"
}
# The lab clock's time now, for faketime: from $T/lab-offset without a
# process (a pkictl, jq and date per client cost 1-3 s at load 20 here,
# and the storm's clients run side by side with the steps they test).
lab_time() {
	local off
	read -r off <"$T/lab-offset"
	TZ=UTC printf '%(%Y-%m-%d %H:%M:%S)T' $((EPOCHSECONDS + off))
}
# Client keys: RSA-2048 (SCEP's envelope), one per client name, kept in
# the build folder across runs, so a run makes none but its first (a
# pki --gen took 1-7 s at load 15-25 here, beside the steps under test).
# Names are unique within a test, so its keys are; each test has its
# own CA.  Made in a temp file and moved into place: two tests at once
# at worst both make one.
KEYS=$PWD/${PKID_BUILD:-build}/test-keys
client_key() {
	local k=$KEYS/$1.key tmp
	if [ ! -s "$k" ]; then
		mkdir -p "$KEYS"
		tmp=$(mktemp "$KEYS/.new.XXXXXX") || fail "mktemp in $KEYS"
		pki --gen --size 2048 >"$tmp" 2>/dev/null && mv -n "$tmp" "$k"
		rm -f "$tmp"
	fi
	[ -s "$k" ] || fail "no client key $k"
	echo "$k"
}
db_step() { pg_sql "SELECT rollover FROM ca WHERE name = '$CA_NAME'"; }
# The backend pid of the session that holds the CA's leadership lock.
lock_pid() {
	pg_sql "SELECT pid FROM pg_locks WHERE locktype = 'advisory'
		AND classid = 1885957477 AND objsubid = 2 AND granted"
}

node_conf() {
	local n=$1
	mkdir -p "$T/$n"
	cat >"$T/$n/pkid.conf" <<-EOF2
	clock calendar-valid
	ip http server ${PORT[$n]}
	control-socket $T/$n/pkid.ctl
	crypto pki server $CA_NAME
	 issuer-name CN=pkid HA CA,O=pkid
	 grant auto
	 lifetime certificate 30
	 lifetime ca-certificate 0 0 10
	 auto-rollover 0 0 4
	 ra-certificate ${RA_CERT:-none}
	 database url $T/$n/db
	 database level minimum
	 database connection ${DBURL[$n]:-$PKID_TEST_PG_URL}
	 database credentials $PGPASSFILE
	EOF2
	[ -n "${NODE_EXTRA:-}" ] && echo " $NODE_EXTRA" >>"$T/$n/pkid.conf"
	echo " no shutdown" >>"$T/$n/pkid.conf"
}

# node_spawn N: pkid of node N started; node_wait N: until it serves
# GetCACert (15 s at most).  node_start N: both.  Followers may be
# spawned together and waited for in turn (their starts overlap).
node_spawn() {
	local n=$1
	PKIKS_SOCKET=$T/$n/ks/pkiksd.sock PKID_TEST_DIR=$T/$n \
		PKID_TEST_PAUSE_AT=${PAUSE[$n]-shadow-key,promote-key} \
		$B/pkid -f -c "$T/$n/pkid.conf" -s "$T/$n/state" \
		-P "$PWD/${PKID_BUILD:-build}/pkiks-provider.so" >>"$T/$n/pkid.log" 2>&1 &
	PID[$n]=$!
}

node_wait() {
	local n=$1 i
	for ((i = 0; i < 300; i++)); do
		curl -sf -o /dev/null "$(url $n)?operation=GetCACert" && return 0
		kill -0 "${PID[$n]}" 2>/dev/null || { tail "$T/$n/pkid.log"; fail "node $n exited"; }
		sleep 0.05
	done
	tail "$T/$n/pkid.log"
	fail "node $n: no GetCACert in 15 s"
}

node_start() {
	node_spawn "$1"
	node_wait "$1"
}

ha_setup() {
	local n
	pg_start || fail "PostgreSQL did not start"
	trap ha_cleanup EXIT
	# Hang guards: a node stuck with a request open fails the test with
	# its log instead of hanging it (every curl here, GetNextCACert's
	# too; the clients' pki --scep under timeout 60 in enroll).
	echo "max-time = 30" >"$T/.curlrc"
	export CURL_HOME=$T
	strongswan_conf "$T"
	head -c 32 /dev/urandom >"$T/kek" && chmod 0600 "$T/kek" || fail "kek"
	for n in $NODES; do
		node_conf $n
		KS_TWIN_ARGS="--kek-file $T/kek" ks_twin_start "$T/$n/ks" --lab || fail "pkiksd $n"
		KSPID[$n]=$KS_TWIN_PID
		KS_TWIN_PID=
	done
	lab_to $(($(lab_now_of ${NODES%% *}) + 1))
	mkdir -p "$T/k" "$T/got"
}

# Clients, their clock at the lab clock (faketime): certificates are
# valid in lab time.  $T/ca.der: the CA they trust.
enroll() { # enroll NODE NAME
	local when key
	key=$(client_key "$2") || return 1
	when=$(lab_time)
	TZ=UTC timeout 60 faketime -f "@$when" pki --scep --url "$(url $1)" --in "$key" \
		--dn "CN=$2,O=pkid test" --cacert-enc "$T/ca.der" --cacert-sig "$T/ca.der" \
		--cacert "$T/ca.der" --interval 1 --maxpolltime 10 >"$T/got/$2.der" 2>"$T/got/$2.log"
}

# $T/ca.der (and .pem): the CA certificate node N serves.
fetch_ca() {
	curl -sf -o "$T/ca.der" "$(url $1)?operation=GetCACert" || fail "GetCACert $1"
	cp "$T/ca.der" "$T/ra.der"
	openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" || fail "ca.der"
}

# The header of the DER element at byte O of hex string H: HL its
# length in bytes, CL its content's.
der_hdr() {
	local o=$1 b n
	b=$((16#${H:$((o * 2 + 2)):2}))
	if ((b < 128)); then
		HL=2 CL=$b
	else
		n=$((b & 127))
		HL=$((2 + n)) CL=$((16#${H:$((o * 2 + 4)):$((n * 2))}))
	fi
}

# The serial (decimal) of the certificate whose DER is hex string H:
# Certificate { TBSCertificate { [0] version, serialNumber INTEGER ...
der_serial() {
	local o=0
	der_hdr 0 && o=$HL
	der_hdr $o && o=$((o + HL))
	[ "${H:$((o * 2)):2}" = a0 ] && der_hdr $o && o=$((o + HL + CL))
	[ "${H:$((o * 2)):2}" = 02 ] || return 1
	der_hdr $o
	echo $((16#${H:$(((o + HL) * 2)):$((CL * 2))}))
}

# got_in_db [WHAT]: every certificate a client received ($T/got/*.der)
# is in PostgreSQL byte for byte under its serial: one query for all of
# them, one stat and one od for all the files, cut apart by their sizes
# (a psql and an openssl per certificate cost 0.5 s each at load 15, an
# od each 0.3 s at load 11); GOT is how many.
got_in_db() {
	local f s h i off=0 all what=${1:-PostgreSQL}
	local -a files=() sizes=()
	local -A db=()
	pg_sql "SELECT serial || ' ' || encode(der, 'hex') FROM cert
		WHERE server = '$CA_NAME'" >"$T/db-certs" || fail "read the certificates"
	while read -r s h; do db[$s]=$h; done <"$T/db-certs"
	GOT=0
	for f in "$T"/got/*.der; do [ -s "$f" ] && files+=("$f"); done
	[ ${#files[@]} = 0 ] && return 0
	mapfile -t sizes < <(stat -c %s "${files[@]}")
	all=$(od -An -v -tx1 "${files[@]}" | tr -d ' \n')
	[ ${#sizes[@]} = ${#files[@]} ] || fail "stat of the certificates"
	for i in "${!files[@]}"; do
		f=${files[i]}
		H=${all:$((off * 2)):$((sizes[i] * 2))}
		off=$((off + sizes[i]))
		s=$(der_serial) || fail "$(basename "$f"): no serial"
		[ "${db[$s]:-}" = "$H" ] ||
			fail "$(basename "$f") (serial $s): not in $what byte for byte"
		GOT=$((GOT + 1))
	done
}

# The lab clock (tests/rollover/lib.sh's, without python3: a python3
# start took 1.5-3.5 s at load 15 here, through a pyenv shim).
lab_now() {
	$B/pkictl --json show clock | jq '.now_ns / 1e9 | floor'
}
