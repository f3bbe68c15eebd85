#!/bin/bash
# check-vm-rollover-ec, inside the VM (installed as /tests.sh by
# lifecycle-files.sh, run by /init): an ECDSA CA through a full rollover on
# the REAL module (issue 20), enrolling strongSwan and a pkid trustpoint.
# The CA (server ECCA) has a P-256 key (eckeypair) and the RSA RA, both in
# pkiks.ko; it lives 4 hours with a 2-hour auto-rollover window.  Its
# clients:
#   strongSwan's `pki --scep` (RSA keys made on the host): enrolls at the
#   start (alice); after the CA made its rollover CA, fetches
#   GetNextCACert (curl, verified with `openssl cms` under the current CA:
#   strongSwan's pki has no GetNextCACert) and enrolls ahead of time
#   against the rollover CA, the request enveloped to the RA's successor
#   (bob); after the promotion, GetCACert again and an enrollment under
#   the new CA (carol);
#   a pkid trustpoint TP1 with a P-384 key in the module (eckeypair, auto-
#   enroll 80 regenerate): enrolls, SHADOWs under the rollover CA, switches
#   at the CA's end.
# `date -s` jumps carry the CA through CS SHADOW CERT GENERATION, TP1's
# SHADOW and CS CERT EXPIRE, each re-granted by `pkictl clock
# calendar-valid` (tests/vm/vmlib.sh: jump).  openssl verify -attime:
# alice and TP1's first identity under the old CA at end - 1 s, bob and
# TP1's shadow identity under the new CA at end + 1 s (and not the other
# way round).  Prints ok/not ok lines and "PKIKS-VM-RESULT: PASS|FAIL n/m".
# /init runs this with busybox sh: bash (in the initramfs) it is.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
START="2027-03-01 12:00:00"
W=/tmp/rollec
LOGS="ca cl"
PORT=18621
URL=http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe
CA=ECCA
# shellcheck source=tests/vm/vmlib.sh
. /vmlib.sh
mkdir -p $W
# The plugins pki --scep needs (written by lifecycle-files.sh).
export STRONGSWAN_CONF=/etc/strongswan.conf

# ------------------------------------------------------------ helpers

ca_json() { jctl ca show server $CA | jq -r ".$1 // empty"; }
rollover_available() { [ "$(ca_json rollover_status)" = "available for rollover" ]; }
is_p() { openssl x509 -in "$2" -noout -text | grep -q "NIST CURVE: P-$1"; }
is_rsa2048() {
	openssl x509 -in "$1" -noout -text | grep -q "rsaEncryption" &&
		openssl x509 -in "$1" -noout -text | grep -q "Public-Key: (2048 bit)"
}
signed_ecdsa() { openssl x509 -in "$1" -noout -text | grep -q "Signature Algorithm: ecdsa-with-SHA256"; }
self_signed() {
	[ "$(openssl x509 -in "$1" -noout -subject | cut -d= -f2-)" = \
		"$(openssl x509 -in "$1" -noout -issuer | cut -d= -f2-)" ]
}

# sw_scepca DIR: GetCACert through strongSwan: DIR/ca.{der,pem}, DIR/ra.{der,pem}.
sw_scepca() {
	mkdir -p "$1"
	rm -f "$1"/ca.der "$1"/ra*.der
	pki --scepca --url $URL --caout "$1/ca.der" --raout "$1/ra.der" >"$1/scepca.log" 2>&1 ||
		{ cat "$1/scepca.log"; return 1; }
	# With one RA certificate, strongSwan may name it ra.der or ra-1.der.
	[ -f "$1/ra.der" ] || mv "$1/ra-1.der" "$1/ra.der" || return 1
	openssl x509 -inform der -in "$1/ca.der" -out "$1/ca.pem" &&
		openssl x509 -inform der -in "$1/ra.der" -out "$1/ra.pem"
}

# sw_enroll NAME ENC SIG CA: strongSwan's pki --scep with the host-made
# key /sw/NAME.key, the request enveloped to ENC, the answer checked with
# SIG (and CA): $W/NAME.pem.
sw_enroll() {
	pki --scep --url $URL --in /sw/$1.key --dn "CN=$1,O=pkid vm strongSwan" \
		--cacert-enc "$2" --cacert-sig "$3" --cacert "$4" \
		>$W/$1.der 2>$W/$1.log || { tail -n 20 $W/$1.log; return 1; }
	openssl x509 -inform der -in $W/$1.der -out $W/$1.pem
}

# next_ca DIR CA.pem: GetNextCACert, its signature verified under CA.pem
# (the current CA) now; DIR/next-ca.pem (self-signed) and next-ra.{pem,der}.
next_ca() {
	local d=$1 f code
	mkdir -p "$d"
	code=$(curl -s -o "$d/next.der" -w '%{http_code} %{content_type}' \
		"$URL?operation=GetNextCACert")
	[ "$code" = "200 application/x-x509-next-ca-cert" ] || { echo "GetNextCACert: $code"; return 1; }
	openssl cms -verify -inform DER -in "$d/next.der" -CAfile "$2" -binary \
		-out "$d/content.der" || return 1
	openssl pkcs7 -inform DER -in "$d/content.der" -print_certs -out "$d/certs.pem" || return 1
	for f in 1 2; do
		nth "$d/certs.pem" $f | openssl x509 -out "$d/c$f.pem" || return 1
		if self_signed "$d/c$f.pem"; then mv "$d/c$f.pem" "$d/next-ca.pem"; else
			mv "$d/c$f.pem" "$d/next-ra.pem"
		fi
	done
	[ -f "$d/next-ca.pem" ] && [ -f "$d/next-ra.pem" ] &&
		openssl x509 -in "$d/next-ra.pem" -outform der -out "$d/next-ra.der"
}

echo "pkid ECDSA CA rollover with strongSwan in the VM, kernel $(uname -r) ($(uname -m))"
t0=$(up)
vm_start "$START"

# ------------------------------------------------------------ the CA
cat >$W/ca.conf <<EOF
clock calendar-valid
ip http server $PORT
control-socket $W/ca.ctl
crypto pki server $CA
 issuer-name CN=pkid vm ECDSA CA,O=pkid
 grant auto
 eckeypair $CA 256
 lifetime ca-certificate 0 4
 lifetime certificate 1
 auto-rollover 0 2
 database url $W/cadb
 no shutdown
EOF
start_pkid ca
ca_serving() { curl -sf -o /dev/null "$URL?operation=GetCACert"; }
must "the CA pkid serves GetCACert" wait_for 240 ca_serving
echo "    CA up after $(($(up) - t0)) s"

# ------------------------------------------------------------ strongSwan enrolls
must "strongSwan: pki --scepca (GetCACert)" sw_scepca $W/sw1
cp $W/sw1/ca.pem $W/ca1.pem
must "the CA key is ECDSA P-256 (in the module)" is_p 256 $W/ca1.pem
check "the RA key is RSA 2048" is_rsa2048 $W/sw1/ra.pem
check "the module holds the CA key $CA and the RA key" sh -c "pkictl show keys | grep -qw $CA"
cend=$(cert_end $W/ca1.pem)
echo "    CA 1 ends $(date -u -d "@$cend" '+%F %T')"
must "strongSwan enrolls (alice: pki --scep, RSA key)" \
	sw_enroll alice $W/sw1/ra.der $W/sw1/ra.der $W/sw1/ca.der
check "alice is signed by the CA with ecdsa-with-SHA256" signed_ecdsa $W/alice.pem
check "openssl: alice verifies under CA 1 now" at_ok "$(now)" $W/ca1.pem $W/alice.pem
check "alice ends with CA 1 (truncated)" test "$(cert_end $W/alice.pem)" = "$cend"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetNextCACert")
check "GetNextCACert before the rollover: 404" test "$code" = 404
check "CS SHADOW CERT GENERATION is armed at the end - 2 h (sysfs)" \
	test "$(tdeadline $CA "CS SHADOW CERT GENERATION")" = $((cend - 7200))
check "CS CERT EXPIRE is armed at the end (sysfs)" test "$(tdeadline $CA "CS CERT EXPIRE")" = "$cend"

# ------------------------------------------------------------ the pkid trustpoint
cat >$W/cl.conf <<EOF
hostname router1
control-socket $W/cl.ctl
crypto pki trustpoint TP1
 enrollment url $URL
 enrollment retry period 1
 subject-name CN=router1,O=pkid vm
 eckeypair TP1KEY 384
 auto-enroll 80 regenerate
 certificate export $W/tp1.pem
 certificate export-shadow $W/tp1-shadow.pem
EOF
start_pkid cl
must "the client pkid answers" wait_for 60 ctl cl show trustpoints
must "TP1 authenticates the CA" ctl cl trustpoint TP1 authenticate --accept
must "TP1 enrolls" ctl cl trustpoint TP1 enroll
must "TP1's certificate is exported" wait_for 120 test -s $W/tp1.pem
nth $W/tp1.pem 1 >$W/r1.pem
check "TP1's key is EC P-384 (held by the module)" is_p 384 $W/r1.pem
check "TP1's identity ends with CA 1 (truncated)" test "$(cert_end $W/r1.pem)" = "$cend"
check "openssl: TP1's identity verifies under CA 1 now" at_ok "$(now)" $W/ca1.pem $W/r1.pem

# ------------------------------------------------------------ the rollover CA
echo "== jump 1: to the CA's CS SHADOW CERT GENERATION"
jump $CA "CS SHADOW CERT GENERATION" $((cend - 7200 + 1))
must "the CA made its rollover CA (available for rollover)" wait_for 300 rollover_available
check "the rollover key $CA# is in the module" sh -c "pkictl show keys | grep -qF '$CA#'"
must "GetNextCACert verifies under CA 1 and carries the rollover CA and the RA's successor" \
	next_ca $W/next $W/ca1.pem
cp $W/next/next-ca.pem $W/ca2.pem
check "the rollover CA is the one show server names" test "$(fp $W/ca2.pem)" = "$(ca_json rollover_fingerprint)"
check "the rollover CA key is ECDSA P-256 too (a rollover keeps it)" is_p 256 $W/ca2.pem
check "the rollover CA certifies a new key" test "$(pubkey $W/ca2.pem)" != "$(pubkey $W/ca1.pem)"
check "the rollover CA starts at CA 1's end" test "$(cert_start $W/ca2.pem)" = "$cend"
check "the RA's successor is RSA 2048" is_rsa2048 $W/next/next-ra.pem
check "the RA's successor is issued by the rollover CA" at_ok $((cend + 1)) $W/ca2.pem $W/next/next-ra.pem

must "strongSwan enrolls ahead under the rollover CA (bob: enveloped to the RA's successor)" \
	sw_enroll bob $W/next/next-ra.der $W/sw1/ra.der $W/sw1/ca.der
check "bob starts at CA 1's end" test "$(cert_start $W/bob.pem)" = "$cend"
check "bob is signed with ecdsa-with-SHA256 (by the rollover CA: end + 1 s below)" signed_ecdsa $W/bob.pem
check "bob does not outlive the rollover CA" test "$(cert_end $W/bob.pem)" -le "$(cert_end $W/ca2.pem)"

# ------------------------------------------------------------ TP1's SHADOW
shadow_before_end() { d=$(tdeadline TP1 SHADOW) && [ "$d" -lt "$cend" ]; }
must "TP1's SHADOW is armed before the CA's end (sysfs)" wait_for 60 shadow_before_end
echo "== jump 2: to TP1's SHADOW"
jump TP1 SHADOW $(($(tdeadline TP1 SHADOW) + 1))
must "TP1 SHADOWed under the rollover CA: its shadow pair is exported" wait_for 180 test -s $W/tp1-shadow.pem
nth $W/tp1-shadow.pem 1 >$W/r2-shadow.pem
nth $W/tp1-shadow.pem 2 >$W/ca2-shadow.pem
check "TP1's shadow CA is the rollover CA" test "$(fp $W/ca2-shadow.pem)" = "$(fp $W/ca2.pem)"
check "TP1's shadow identity starts at CA 1's end" test "$(cert_start $W/r2-shadow.pem)" = "$cend"
check "TP1's shadow key is EC P-384" is_p 384 $W/r2-shadow.pem
check "TP1's shadow key is a new one (regenerate)" test "$(pubkey $W/r2-shadow.pem)" != "$(pubkey $W/r1.pem)"
check "TP1's SHADOW is re-armed at the CA's end: the switch (sysfs)" test "$(tdeadline TP1 SHADOW)" = "$cend"
check "openssl -attime end-1 s: alice verifies under CA 1" at_ok $((cend - 1)) $W/ca1.pem $W/alice.pem
check "openssl -attime end-1 s: TP1's identity verifies under CA 1" at_ok $((cend - 1)) $W/ca1.pem $W/r1.pem
check "openssl -attime end-1 s: bob is not valid yet" at_bad $((cend - 1)) $W/ca2.pem $W/bob.pem
check "openssl -attime end-1 s: TP1's shadow identity is not valid yet" \
	at_bad $((cend - 1)) $W/ca2.pem $W/r2-shadow.pem

# ------------------------------------------------------------ promotion
echo "== jump 3: to the CA's end (CS CERT EXPIRE)"
jump $CA "CS CERT EXPIRE" $((cend + 2))
promoted() { [ "$(ca_json fingerprint)" = "$(fp $W/ca2.pem)" ]; }
must "the CA promoted its rollover CA (show server)" wait_for 120 promoted
check "no rollover left on the CA" not rollover_available
must "strongSwan: pki --scepca serves the new CA" sw_scepca $W/sw2
check "GetCACert: the CA is the rollover CA" test "$(fp $W/sw2/ca.pem)" = "$(fp $W/ca2.pem)"
check "GetCACert: the RA is the successor" cmp -s $W/sw2/ra.der $W/next/next-ra.der
switched() { nth $W/tp1.pem 1 >$W/r2.pem && differs $W/r1.pem $W/r2.pem; }
must "TP1 switched to its shadow identity" wait_for 120 switched
check "it is the shadow identity" cmp -s $W/r2.pem $W/r2-shadow.pem
check "TP1 exports the new CA" test "$(nth $W/tp1.pem 2 | fp)" = "$(fp $W/ca2.pem)"
check "openssl -attime end+1 s: bob verifies under the new CA" at_ok $((cend + 1)) $W/ca2.pem $W/bob.pem
check "openssl -attime end+1 s: TP1's new identity verifies under the new CA" \
	at_ok $((cend + 1)) $W/ca2.pem $W/r2.pem
check "openssl -attime end+1 s: alice is over" at_bad $((cend + 1)) $W/ca1.pem $W/alice.pem
check "openssl -attime end+1 s: TP1's first identity is over" at_bad $((cend + 1)) $W/ca1.pem $W/r1.pem
check "openssl -attime end+1 s: bob does not verify under the old CA" at_bad $((cend + 1)) $W/ca1.pem $W/bob.pem
expire_moved() { [ "$(tdeadline $CA "CS CERT EXPIRE")" = "$(cert_end $W/ca2.pem)" ]; }
check "the CA's next CS CERT EXPIRE is at the new CA's end (sysfs)" wait_for 30 expire_moved
must "strongSwan enrolls under the promoted CA (carol)" \
	sw_enroll carol $W/sw2/ra.der $W/sw2/ra.der $W/sw2/ca.der
check "openssl: carol verifies under the new CA now" at_ok "$(now)" $W/ca2.pem $W/carol.pem
echo "    ECDSA CA rollover: $(($(up) - t0)) s of real time"
finish
