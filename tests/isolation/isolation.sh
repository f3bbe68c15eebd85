#!/bin/bash
# check-isolation: private keys never enter pkid's memory.
#
# A real pkiksd twin and pkid (single-key mode: the CA key decrypts the
# envelope, signs the certificate and signs the CertRep, so it does every
# private operation of an enrollment) create the CA with pkiks-keygen and
# its encrypted PKCS#12 archive under `database url`; strongSwan enrolls.
# Then memscan (tests/isolation/memscan.c) reads every readable mapping of
# pkid through /proc/PID/mem and searches for each key's p, q and d, both
# byte orders, whole and in 32-byte windows: nothing may be found.
#
# So that the search cannot silently pass, the same scan must find every
# component of every key in two processes that hold them: keyholder (opens
# the archive with its password) and pkiksd (holds keys by design).
#
# KEYS lists "label archive password" per key; a key made later (rollover,
# a client RENEW with regenerate) is one more line.
. tests/ca/lib.sh
[ "$(id -u)" = 0 ] || { echo "check-isolation: needs root (/proc/PID/mem)"; exit 1; }
ca_setup 18301
ca_conf "grant auto"
ca_start -m single

# Enroll: every private operation of the CA key runs once.
curl -sf -o "$T/ca.der" "$URL?operation=GetCACert" || fail "GetCACert"
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" || fail "CA cert"
cp "$T/ca.der" "$T/ra.der" # the CA plays both roles in single-key mode
sw_enroll alice --cipher aes || fail "enroll: $(tail -3 "$T/alice.log")"
verify "$T/alice.pem"

KEYS=(
	"ca $T/db/${CA_NAME}_00001.p12 archive-secret"
)

# Each archive, opened with openssl pkcs12 and the password, gives the PEM
# memscan reads p, q and d from.
pems=()
for k in "${KEYS[@]}"; do
	read -r label archive pass <<<"$k"
	[ -f "$archive" ] || fail "$label: no archive $archive"
	openssl pkcs12 -in "$archive" -passin "pass:$pass" -nocerts -nodes \
		2>/dev/null | openssl pkey -out "$T/$label.key.pem" ||
		fail "$label: cannot open $archive with its password"
	pems+=("$T/$label.key.pem")
done

# scan NAME PID: memscan's exit status (0 clean, 1 found, 2 failed).
scan() {
	$B/memscan "$2" "${pems[@]}" >"$T/scan-$1.txt" 2>&1
	local rc=$?
	tail -n 1 "$T/scan-$1.txt"
	return $rc
}

# A control must show every component of every key, whole.
expect_all() {
	local name=$1 pem c
	for pem in "${pems[@]}"; do
		for c in p q d; do
			grep -q "^FOUND $pem $c [a-z-]* whole" "$T/scan-$name.txt" ||
				fail "$name: $c of $pem not found: the search is blind"
		done
	done
}

# 1. Positive controls.
$B/keyholder "$T/db/${CA_NAME}_00001.p12" archive-secret >"$T/holder.out" &
HOLDER=$!
for ((i = 0; i < 100; i++)); do
	grep -q ready "$T/holder.out" && break
	kill -0 $HOLDER 2>/dev/null || fail "keyholder exited"
	sleep 0.05
done
grep -q ready "$T/holder.out" || fail "keyholder not ready in 5 s"
scan keyholder $HOLDER
rc=$?
kill $HOLDER
wait $HOLDER 2>/dev/null
[ $rc = 1 ] || fail "keyholder: memscan exit $rc, expected 1 (found)"
expect_all keyholder

scan pkiksd "$KS_TWIN_PID"
rc=$?
[ $rc = 1 ] || fail "pkiksd: memscan exit $rc, expected 1 (found)"
expect_all pkiksd

# 2. pkid: the whole memory, after CA creation and an enrollment.
kill -0 "$PKID_PID" 2>/dev/null || fail "pkid is not running"
scan pkid "$PKID_PID"
rc=$?
if [ $rc != 0 ]; then
	grep '^FOUND' "$T/scan-pkid.txt" | head -n 20 >&2
	fail "pkid: memscan exit $rc: key material in pkid (1) or scan failed (2)"
fi
echo "check-isolation: OK (${#KEYS[@]} key(s); found in keyholder and pkiksd, not in pkid)"
