# shellcheck shell=bash
# Helpers of the certificate server tests (source this file from the top of
# the tree).  Every test gets its own temp dir, pkiksd twin, pkid and port
# (18100-18199); every wait is bounded.
#
#   ca_setup PORT                 temp dir $T, pkiksd twin (--lab); with
#                                 CA_PG=1 also a throwaway PostgreSQL
#                                 (tests/lib/pg.sh) that ca_conf points
#                                 the CA's records at
#   (pkid.conf says `clock calendar-valid` unless CA_NO_CLOCK=1)
#   ca_conf GRANT [EXTRA_LINES]   write $T/pkid.conf for server TESTCA
#   ca_start [pkid args]          start pkid, wait until GetCACaps answers
#   ca_kill [SIGNAL]              stop pkid (default TERM)
#   ctl CMD ARGS...               one control command (tests/ca/ctl_call.c)
#   sw_scepca, sw_enroll ...      strongSwan's pki with a quiet config
#   req/post/expect_scep          raw SCEP requests (tests/ca/scep_client.c)
#   fail MSG                      print and exit 1 (the trap cleans up)

set -u
. tests/lib/keystore.sh
. tests/lib/strongswan.sh

B=${PKID_BUILD:-build}/bin
CA_NAME=TESTCA
PKID_PID=

fail() {
	echo "FAIL: $*" >&2
	[ -f "${T:-/nonexistent}/pkid.log" ] && tail -n 30 "$T/pkid.log" >&2
	exit 1
}

ca_cleanup() {
	[ -n "${PKID_PID:-}" ] && kill -KILL "$PKID_PID" 2>/dev/null
	[ -n "${PKID_PID:-}" ] && wait "$PKID_PID" 2>/dev/null
	ks_twin_stop
	declare -F pg_stop >/dev/null && pg_stop
	[ -n "${T:-}" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
}

ca_setup() {
	PORT=$1
	URL=http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe
	T=$(mktemp -d /tmp/pkid-ca.XXXXXX)
	trap ca_cleanup EXIT
	if [ -n "${CA_PG:-}" ]; then
		. tests/lib/pg.sh
		pg_start || fail "PostgreSQL did not start"
		trap ca_cleanup EXIT # pg_start set its own
	fi
	ks_twin_start "$T/ks" --lab || fail "pkiksd did not start"
	strongswan_conf "$T"
}

ca_conf() {
	local grant=$1
	shift
	# pkid declares the clock valid itself, as IOS does from its config.
	if [ -z "${CA_NO_CLOCK:-}" ]; then
		echo "clock calendar-valid" >"$T/pkid.conf"
	else
		echo "! the clock is left not authoritative" >"$T/pkid.conf"
	fi
	cat >>"$T/pkid.conf" <<-EOF2
	! written by tests/ca/lib.sh
	ip http server $PORT
	control-socket $T/pkid.ctl
	crypto pki server $CA_NAME
	 issuer-name CN=pkid test CA,O=pkid
	 $grant
	 lifetime certificate 30
	 database url $T/db
	 database level complete
	 database archive pkcs12 password archive-secret
	 cdp-url http://127.0.0.1:$PORT/crl/$CA_NAME.crl
	EOF2
	if [ -n "${CA_PG:-}" ]; then
		echo " database connection $PKID_TEST_PG_URL" >>"$T/pkid.conf"
		echo " database credentials $PGPASSFILE" >>"$T/pkid.conf"
	fi
	# CA_EC=256|384: an ECDSA CA key (eckeypair); the RA stays RSA.
	[ -n "${CA_EC:-}" ] && echo " eckeypair $CA_NAME $CA_EC" >>"$T/pkid.conf"
	local l
	for l in "$@"; do echo " $l" >>"$T/pkid.conf"; done
	echo " no shutdown" >>"$T/pkid.conf"
}

# key_is FILE.pem: "rsa2048", "ec256" or "ec384", the certificate's key.
key_is() {
	local t
	t=$(openssl x509 -in "$1" -noout -text) || fail "read $1"
	case "$t" in
	*"Public Key Algorithm: id-ecPublicKey"*)
		echo "ec$(sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' <<<"$t" | head -1)" ;;
	*"Public Key Algorithm: rsaEncryption"*)
		echo "rsa$(sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' <<<"$t" | head -1)" ;;
	*) echo unknown ;;
	esac
}

# ca_key_want FILE.pem: the CA certificate's key is what CA_EC asks for.
ca_key_want() {
	local want=rsa2048 got
	[ -n "${CA_EC:-}" ] && want=ec$CA_EC
	got=$(key_is "$1")
	[ "$got" = "$want" ] || fail "$(basename "$1"): CA key $got, want $want"
}

ca_start() {
	local i what=GetCACert
	# CA_WAIT=GetCACaps: the CA itself may not be up (no authoritative time).
	[ -n "${CA_WAIT:-}" ] && what=$CA_WAIT
	# PKID_WRAP: e.g. "valgrind -q --error-exitcode=9" for a memory check.
	${PKID_WRAP:-} $B/pkid -f -c "$T/pkid.conf" -s "$T/state" -P "$PWD/${PKID_BUILD:-build}/pkiks-provider.so" \
		"$@" >>"$T/pkid.log" 2>&1 &
	PKID_PID=$!
	# Bounded: 200 x 50 ms (first start makes two RSA keys).
	for ((i = 0; i < ${PKID_START_TRIES:-200}; i++)); do
		if curl -sf -o /dev/null "$URL?operation=$what"; then
			return 0
		fi
		kill -0 "$PKID_PID" 2>/dev/null || fail "pkid exited"
		sleep 0.05
	done
	fail "pkid did not serve $what within 10 s"
}

ca_kill() {
	local sig=${1:-TERM} i
	[ -n "$PKID_PID" ] || return 0
	kill -"$sig" "$PKID_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$PKID_PID" 2>/dev/null || break
		sleep 0.05
	done
	{ wait "$PKID_PID"; } 2>/dev/null # no "Killed" line for -9
	local rc=$?
	PKID_PID=
	return $rc
}

ctl() {
	$B/ctl-call "$T/pkid.ctl" "$@"
}

# GetCACert through strongSwan: ca.der, ra.der (and .pem copies).
sw_scepca() {
	pki --scepca --url "$URL" --caout "$T/ca.der" --raout "$T/ra.der" \
		>"$T/scepca.log" 2>&1 || { cat "$T/scepca.log"; fail "pki --scepca"; }
	# With one RA certificate, strongSwan may name it ra.der or ra-1.der.
	[ -f "$T/ra.der" ] || mv "$T/ra-1.der" "$T/ra.der" 2>/dev/null
	[ -f "$T/ra.der" ] || fail "no RA certificate from GetCACert"
	openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" || fail "ca.der"
}

# sw_enroll NAME [pki --scep args...]: key NAME.key, certificate NAME.der/pem
sw_enroll() {
	local n=$1
	shift
	[ -f "$T/$n.key" ] || pki --gen --size 2048 >"$T/$n.key"
	pki --scep --url "$URL" --in "$T/$n.key" --dn "CN=$n,O=pkid test" \
		--cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" \
		--cacert "$T/ca.der" "$@" >"$T/$n.der" 2>"$T/$n.log"
	local rc=$?
	[ $rc -eq 0 ] && openssl x509 -inform der -in "$T/$n.der" -out "$T/$n.pem"
	return $rc
}

verify() {
	openssl verify -CAfile "$T/ca.pem" "$1" >/dev/null || fail "openssl verify $1"
}

# Raw SCEP through tests/ca/scep_client.c (bad input, policy corners).
S=$B/scep-client
post() { # post FILE -> HTTP code, body in $T/reply.der
	curl -s -o "$T/reply.der" -w '%{http_code}' --data-binary @"$1" \
		-H 'Content-Type: application/x-pki-message' \
		"$URL?operation=PKIOperation"
}
expect_http() { # expect_http WHAT CODE ACTUAL
	[ "$3" = "$2" ] || fail "$1: HTTP $3, want $2"
	echo "ok: $1 -> HTTP $3"
}
expect_scep() { # expect_scep WHAT STATUS FAILINFO
	local code=$(post "$T/req.der") got
	[ "$code" = 200 ] || fail "$1: HTTP $code"
	got=$($S rep "$T/reply.der") || fail "$1: reply does not verify"
	[ "$got" = "status=$2 failInfo=$3" ] || fail "$1: $got, want status=$2 failInfo=$3"
	echo "ok: $1 -> $got"
}
req() { # req TYPE CIPHER SIGNER KEY TID CONTENT
	$S req "$1" "$2" "$3" "$4" "$T/ra.der" "$5" "$6" >"$T/req.der" ||
		fail "scep-client req"
}

