#!/bin/bash
# check-isolation: private keys never enter pkid's memory: every key pkid
# uses, at every stage of its life.
#
# One pkiksd twin (lab clock, a KEK this test provisions) serves three real
# pkid daemons (ports 18850, 18851):
#   ca  a CA in the default RA mode: keys TESTCA and TESTCA-ra, a 10-minute
#       life, encrypted PKCS#12 archives; EST on TLS (port 18852), whose
#       server key TESTCA-tls (ECDSA) signs each handshake in the keystore;
#   sg  a CA in IOS single-key mode (`ra-certificate none`): key SGCA does
#       every private operation of an enrollment;
#   cl  a client whose trustpoint TP1 says `auto-enroll 80 regenerate`.
# Stages:
#   1 created    both CAs made their keys and served one strongSwan
#                enrollment each; the client runs, not enrolled
#   2 rollover   `server rollover`: TESTCA# and TESTCA-ra#
#   3 promoted   the lab clock passes the CA's end: the # keys promoted
#   4 enrolled   the client authenticates the new CA and enrolls: TP1KEY
#   5 renewed    the lab clock passes RENEW: regenerate makes TP1KEY#,
#                promoted over TP1KEY
# At each stage an EST request makes TESTCA-tls sign a TLS handshake (after
# the promotion under a certificate the new CA issued).
# After each stage the test takes every key out of the three databases'
# key_blob tables (pkid stores a blob of every key it makes, sealed under
# the keystore's KEK) and opens each blob itself with the KEK (blobkey.c);
# the CA archives must hold the same keys.  Then memscan (memscan.c) reads
# every readable mapping of EACH pkid process through /proc/PID/mem and
# searches for p, q and d of every RSA key seen so far (retired ones too;
# the private scalar d of an EC key),
# both byte orders, whole and in 32-byte windows: nothing may be found.
#
# So that the search cannot silently pass, at each stage the same scan must
# find every component of every key live in the keystore in pkiksd (which
# holds keys by design), and of every new key in keyholder, a process that
# loaded it (from the opened blobs; at stage 1 also from the PKCS#12
# archive, opened with its password).
. tests/client/lib.sh
. tests/lib/strongswan.sh
[ "$(id -u)" = 0 ] || { echo "check-isolation: needs root (/proc/PID/mem)"; exit 1; }
cl_setup 18850
$B/pkiks-kek --create --socket "$PKIKS_SOCKET" "$T/kek" >/dev/null ||
	fail "pkiks-kek: cannot provision the KEK"
ca_conf "grant auto" "lifetime ca-certificate 0 0 10" \
	"lifetime certificate 0 0 5" \
	"database archive pkcs12 password archive-secret" \
	"est tls-name 127.0.0.1"
sed -i "s/^ip http server .*/&\nip http secure-server\nip http secure-port $((PORT + 2))/" \
	"$T/ca.conf"
ca_start
cl_conf "auto-enroll 80 regenerate"
cl_start
mkdir -p "$T/keys"

# A third pkid: a CA in IOS single-key mode (`ra-certificate none`), where
# the CA key SGCA decrypts the envelope, signs the certificate and signs
# the CertRep.  The lib's cleanup knows only the other two daemons.
SG_PID=
SG_URL=http://127.0.0.1:$((PORT + 1))/cgi-bin/pkiclient.exe
cleanup() {
	[ -n "$SG_PID" ] && kill -KILL "$SG_PID" 2>/dev/null && wait "$SG_PID" 2>/dev/null
	cl_cleanup
}
trap cleanup EXIT
cat >"$T/sg.conf" <<-EOF
	clock calendar-valid
	ip http server $((PORT + 1))
	control-socket $T/sg.ctl
	crypto pki server SGCA
	 issuer-name CN=pkid single-key CA,O=pkid
	 grant auto
	 ra-certificate none
	 database url $T/sgdb
	 database archive pkcs12 password archive-secret
	 no shutdown
EOF
start_pkid sg SG_PID
wait_for 10 curl -sf -o /dev/null "$SG_URL?operation=GetCACert" ||
	fail "the single-key CA pkid did not serve GetCACert within 10 s"
# strongSwan enrolls: every private operation of SGCA runs once.
strongswan_conf "$T"
curl -sf -o "$T/sg.der" "$SG_URL?operation=GetCACert" || fail "SGCA: GetCACert"
pki --gen --size 2048 >"$T/alice.key" || fail "pki --gen"
pki --scep --url "$SG_URL" --in "$T/alice.key" --dn "CN=alice,O=pkid test" \
	--cacert-enc "$T/sg.der" --cacert-sig "$T/sg.der" --cacert "$T/sg.der" \
	--cipher aes >"$T/alice.der" 2>"$T/alice.log" ||
	fail "SGCA: enrollment: $(tail -n 3 "$T/alice.log")"
openssl verify -CAfile <(openssl x509 -inform der -in "$T/sg.der") \
	<(openssl x509 -inform der -in "$T/alice.der") >/dev/null ||
	fail "SGCA: the certificate does not verify"
# And from the RA-mode CA: TESTCA-ra decrypts and signs the CertRep,
# TESTCA signs the certificate.
pki --scepca --url "$URL" --caout "$T/ca.der" --raout "$T/ra.der" \
	>"$T/scepca.log" 2>&1 || fail "pki --scepca: $(cat "$T/scepca.log")"
[ -f "$T/ra.der" ] || mv "$T/ra-1.der" "$T/ra.der" 2>/dev/null || fail "no RA certificate"
pki --scep --url "$URL" --in "$T/alice.key" --dn "CN=alice,O=pkid test" \
	--cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" --cacert "$T/ca.der" \
	--cipher aes >"$T/alice-ra.der" 2>"$T/alice-ra.log" ||
	fail "TESTCA: enrollment: $(tail -n 3 "$T/alice-ra.log")"
openssl verify -CAfile <(openssl x509 -inform der -in "$T/ca.der") \
	<(openssl x509 -inform der -in "$T/alice-ra.der") >/dev/null ||
	fail "TESTCA: the certificate does not verify"

# est_touch STAGE: an EST request over TLS, so TESTCA-tls signs a handshake
# (the chain's trust is check-est-server's business; -k here), and the
# served certificate verifies under the CA certificate EST serves (its
# times are the lab clock's, so not checked against this host's).
EST_URL=https://127.0.0.1:$((PORT + 2))/.well-known/est
est_touch() {
	curl -sfk -o "$T/est-ca.b64" "$EST_URL/cacerts" || fail "$1: EST cacerts over TLS"
	base64 -d "$T/est-ca.b64" | openssl pkcs7 -inform der -print_certs \
		-out "$T/est-ca.pem" || fail "$1: EST cacerts is no PKCS#7"
	openssl s_client -connect 127.0.0.1:$((PORT + 2)) </dev/null 2>/dev/null |
		openssl x509 -out "$T/est-tls.pem" || fail "$1: no TLS server certificate"
	openssl verify -no_check_time -CAfile "$T/est-ca.pem" "$T/est-tls.pem" >/dev/null ||
		fail "$1: the TLS certificate is not the current CA's"
}
est_touch created

KEYS=()    # PEM of every key seen so far (the pkid scans search them all)
declare -A SEEN # public key SHA-256 -> PEM, so each key is listed once
declare -A PUB  # key name -> public key SHA-256 at the latest stage
LIVE=()    # PEM of every key in a key_blob table at this stage
NEW=()     # PEM of the keys first seen at this stage

pubhash() { openssl pkey -in "$1" -pubout 2>/dev/null | sha256sum | cut -c1-64; }

# collect STAGE: every key_blob row of both databases, opened with the KEK.
collect() {
	local stage=$1 db name pem h got n=0
	LIVE=()
	NEW=()
	PUB=()
	for db in "$T/ca-state/pkid.db" "$T/sg-state/pkid.db" "$T/cl-state/pkid.db"; do
		[ -f "$db" ] || fail "$stage: no database $db"
		while read -r name; do
			pem=$T/keys/$stage-${name//#/_next}.pem
			sqlite3 "$db" "SELECT writefile('$pem.blob', blob) FROM key_blob WHERE name = '$name'" \
				>/dev/null || fail "$stage: cannot read the blob of $name"
			got=$($B/blobkey "$T/kek" "$pem.blob" "$pem") ||
				fail "$stage: the blob of $name does not open with the KEK"
			[ "$got" = "$name" ] || fail "$stage: blob of $name names $got"
			h=$(pubhash "$pem")
			PUB[$name]=$h
			if [ -z "${SEEN[$h]:-}" ]; then
				SEEN[$h]=$pem
				KEYS+=("$pem")
				NEW+=("$pem")
			fi
			LIVE+=("${SEEN[$h]}")
			n=$((n + 1))
		done < <(sqlite3 "$db" "SELECT name FROM key_blob ORDER BY name")
	done
	[ $n -gt 0 ] || fail "$stage: no wrapped keys at all"
}

# expect_keys STAGE NAME...: exactly these names in the key_blob tables.
expect_keys() {
	local stage=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort)
	got=$(printf '%s\n' "${!PUB[@]}" | sort)
	[ "$got" = "$want" ] || fail "$stage: keys $(tr '\n' ' ' <<<"$got")want $(tr '\n' ' ' <<<"$want")"
}

# scan NAME PID PEM...: memscan's exit status (0 clean, 1 found, 2 failed).
scan() {
	local name=$1 pid=$2
	shift 2
	$B/memscan "$pid" "$@" >"$T/scan-$name.txt" 2>&1
}

# found_all NAME PEM...: the scan NAME found every component of each, whole
# (p, q, d of an RSA key; d of an EC key).
found_all() {
	local name=$1 pem c comps
	shift
	for pem in "$@"; do
		comps="p q d"
		openssl pkey -in "$pem" -noout -text 2>/dev/null | grep -q '^ASN1 OID' && comps=d
		for c in $comps; do
			grep -q "^FOUND $pem $c [a-z-]* whole" "$T/scan-$name.txt" ||
				fail "$name: $c of $(basename "$pem") not found: the search is blind"
		done
	done
}

# hold NAME PEM... -- KEYHOLDER ARGS...: start keyholder with ARGS, scan it
# for the PEMs: every component of each must be found.
hold() {
	local name=$1 holder i rc pems=()
	shift
	while [ "$1" != -- ]; do pems+=("$1"); shift; done
	shift
	: >"$T/holder.out"
	$B/keyholder "$@" >"$T/holder.out" &
	holder=$!
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$T/holder.out" && break
		kill -0 $holder 2>/dev/null || fail "$name: keyholder exited"
		sleep 0.05
	done
	grep -q ready "$T/holder.out" || fail "$name: keyholder not ready in 5 s"
	scan "$name" $holder "${pems[@]}"
	rc=$?
	kill $holder
	wait $holder 2>/dev/null
	[ $rc = 1 ] || fail "$name: memscan exit $rc, expected 1 (found)"
	found_all "$name" "${pems[@]}"
}

# check STAGE: the controls find the keys, no pkid does.
check() {
	local stage=$1 who pid rc
	[ ${#NEW[@]} -gt 0 ] && hold "$stage-keyholder" "${NEW[@]}" -- --pem "${NEW[@]}"
	scan "$stage-pkiksd" "$KS_TWIN_PID" "${LIVE[@]}"
	rc=$?
	[ $rc = 1 ] || fail "$stage: pkiksd: memscan exit $rc, expected 1 (found)"
	found_all "$stage-pkiksd" "${LIVE[@]}"
	for who in ca sg cl; do
		case $who in
		ca) pid=$CA_PID ;;
		sg) pid=$SG_PID ;;
		*) pid=$CL_PID ;;
		esac
		kill -0 "$pid" 2>/dev/null || fail "$stage: the $who pkid is not running"
		scan "$stage-pkid-$who" "$pid" "${KEYS[@]}"
		rc=$?
		if [ $rc != 0 ]; then
			grep '^FOUND' "$T/scan-$stage-pkid-$who.txt" | head -n 20 >&2
			fail "$stage: $who pkid: memscan exit $rc: key material in pkid (1) or scan failed (2)"
		fi
	done
	echo "ok: $stage: none of ${#KEYS[@]} key(s) in any of the 3 pkids;" \
		"${#LIVE[@]} found in pkiksd, ${#NEW[@]} new in keyholder"
}

# archive_key STAGE ARCHIVE KEY: the archive opens with its password and
# holds the key the blob of KEY holds (the two sources agree).
archive_key() {
	local stage=$1 archive=$2 key=$3
	[ -f "$archive" ] || fail "$stage: no archive $archive"
	openssl pkcs12 -in "$archive" -passin pass:archive-secret -nocerts -nodes \
		2>/dev/null | openssl pkey -out "$T/keys/$stage-archive.pem" ||
		fail "$stage: cannot open $archive with its password"
	[ "$(pubhash "$T/keys/$stage-archive.pem")" = "${PUB[$key]}" ] ||
		fail "$stage: $archive does not hold the CA key $key"
}

# 1. Both CAs made their keys and enrolled alice; the client pkid runs.
collect created
expect_keys created SGCA TESTCA TESTCA-ra TESTCA-tls
archive_key created "$T/sgdb/SGCA_00001.p12" SGCA
archive_key created "$T/cadb/TESTCA_00001.p12" TESTCA
# The blobs are authenticated: another KEK does not open them.
head -c 32 /dev/urandom >"$T/wrong.kek"
$B/blobkey "$T/wrong.kek" "$T/keys/created-TESTCA.pem.blob" "$T/keys/wrong.pem" \
	2>/dev/null && fail "a blob opened with the wrong KEK"
# A process that opens the archive with its password holds the CA key.
hold created-archive "$T/keys/created-archive.pem" -- \
	"$T/cadb/TESTCA_00001.p12" archive-secret
check created

# 2. Rollover keys.
cactl "server rollover" TESTCA >/dev/null || fail "server rollover"
est_touch rollover
collect rollover
expect_keys rollover SGCA TESTCA TESTCA-ra TESTCA-tls 'TESTCA#' 'TESTCA-ra#'
check rollover

# 3. Promotion at the CA's end (lab clock).
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca1.pem" || fail "ca.der"
ca_end=$(cert_time "$T/ca1.pem" enddate)
next_ca=${PUB['TESTCA#']}
next_ra=${PUB['TESTCA-ra#']}
lab_to $((ca_end + 1))
wait_for 20 grep -q "rollover CA certificate is now the CA certificate" "$T/ca.log" ||
	fail "the CA did not promote its rollover"
wait_for 10 bash -c "[ \$(sqlite3 '$T/ca-state/pkid.db' \"SELECT count(*) FROM key_blob WHERE name LIKE '%#'\") = 0 ]" ||
	fail "rollover blobs left after promotion"
tls_before=$(openssl x509 -in "$T/est-tls.pem" -noout -serial)
est_touch promoted
[ "$(openssl x509 -in "$T/est-tls.pem" -noout -serial)" != "$tls_before" ] ||
	fail "promoted: the TLS certificate was not issued again under the new CA"
collect promoted
expect_keys promoted SGCA TESTCA TESTCA-ra TESTCA-tls
[ "${PUB[TESTCA]}" = "$next_ca" ] || fail "promoted: TESTCA is not TESTCA#"
[ "${PUB[TESTCA-ra]}" = "$next_ra" ] || fail "promoted: TESTCA-ra is not TESTCA-ra#"
archive_key promoted "$T/cadb/TESTCA_00002.p12" TESTCA
check promoted

# 4. The client enrolls under the new CA.
clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "authenticate"
clctl "trustpoint enroll" TP1 >/dev/null || fail "enroll"
cp "$T/tp1.pem" "$T/first.pem"
est_touch enrolled
collect enrolled
expect_keys enrolled SGCA TESTCA TESTCA-ra TESTCA-tls TP1KEY
[ "$(pubkey_of_cert "$T/first.pem" | sha256sum | cut -c1-64)" = "${PUB[TP1KEY]}" ] ||
	fail "enrolled: the certificate is not for TP1KEY's blob"
first=${PUB[TP1KEY]}
check enrolled

# 5. RENEW with regenerate: a new key, promoted over TP1KEY.
renew=$(timer_at RENEW)
[ -n "$renew" ] || fail "no RENEW timer"
lab_to $((renew + 1))
wait_for 30 bash -c "! cmp -s '$T/tp1.pem' '$T/first.pem'" || fail "RENEW did not renew"
wait_for 10 bash -c "[ \$(sqlite3 '$T/cl-state/pkid.db' \"SELECT count(*) FROM key_blob WHERE name LIKE '%#'\") = 0 ]" ||
	fail "TP1KEY# blob left after the renewal"
est_touch renewed
collect renewed
expect_keys renewed SGCA TESTCA TESTCA-ra TESTCA-tls TP1KEY
[ "${PUB[TP1KEY]}" != "$first" ] || fail "renewed: regenerate kept the old key"
grep -q "TP1: generated key TP1KEY# " "$T/cl.log" ||
	fail "renewed: the new key was not made as TP1KEY#"
openssl x509 -in "$T/tp1.pem" -out "$T/renewed.pem"
[ "$(pubkey_of_cert "$T/renewed.pem" | sha256sum | cut -c1-64)" = "${PUB[TP1KEY]}" ] ||
	fail "renewed: the certificate is not for the promoted TP1KEY"
check renewed

echo "check-isolation: OK (${#KEYS[@]} keys: single-key CA, CA, RA, their rollover keys, the CA's EST TLS key, TP1KEY and its regenerated successor; none in any pkid)"
