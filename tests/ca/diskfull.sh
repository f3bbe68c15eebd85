#!/bin/bash
# check-ca-diskfull: a full disk (issue 19 #4, #9).  Each of the two
# directories sits on a small tmpfs this test mounts (and unmounts):
#   #4  `database url` (where <serial>.cer goes, `database level
#       complete`) full: the same PKCSReq three times gets HTTP 503 and
#       records nothing (no certificate, no request row); the log says
#       "No space left on device" once; with space again the same
#       transaction gets one certificate, and a repeat gets no second one.
#   #9  the state directory (SQLite) full: requests fail with 503, the log
#       says disk full once (DB_FULL), never "cannot rollback"; with space
#       again enrollment works and DB_SPACE says so.
. tests/ca/lib.sh
ca_setup 18114
MOUNTS=()
diskfull_cleanup() {
	local m
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	ca_cleanup
}
trap diskfull_cleanup EXIT
small_fs() { # small_fs DIR SIZE
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0755" pkid-test "$1" || fail "mount tmpfs on $1"
	MOUNTS+=("$1")
}
fill() { # fill DIR: one file takes all the space left (bounded by the fs)
	dd if=/dev/zero of="$1/filler" bs=64k 2>/dev/null
	[ "$(df --output=avail -k "$1" | tail -1)" -le 4 ] || fail "$1 is not full"
}
small_fs "$T/db" 2m
small_fs "$T/state" 8m
ca_conf "grant auto"
ca_start
sw_scepca
certs() { ctl --json "show certificates" $CA_NAME | jq length; }

openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k.pem" -subj /CN=full -days 2 -out "$T/self.pem"
openssl req -new -key "$T/k.pem" -subj /CN=full -outform der -out "$T/csr.der"

# --- #4: <serial>.cer cannot be written ----------------------------------
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-full "$T/csr.der"
n0=$(certs)
fill "$T/db"
for i in 1 2 3; do
	expect_http "PKCSReq $i, database url full" 503 "$(post "$T/req.der")"
done
grep -q "disk is full" "$T/reply.der" || fail "the 503 does not say why"
[ "$(certs)" = "$n0" ] || fail "certificates recorded while none was delivered"
ctl "show requests verbose" $CA_NAME | grep -q t-full && fail "the request stayed recorded"
[ "$(grep -c "CS_CERT_FILE: $CA_NAME: cannot write .*No space left on device" "$T/pkid.log")" = 1 ] ||
	fail "the full disk is not logged once"
echo "ok: nothing recorded, 'No space left on device' logged once"
rm -f "$T/db/filler"
expect_scep "the same PKCSReq with space again" 0 -
[ "$(certs)" = "$((n0 + 1))" ] || fail "not one certificate for the transaction"
expect_scep "the same PKCSReq once more" 0 -
[ "$(certs)" = "$((n0 + 1))" ] || fail "a second certificate for one transaction"
serial=$(ctl --json "show certificates" $CA_NAME | jq '.[-1].serial')
[ -s "$T/db/$serial.cer" ] || fail "no $serial.cer"
grep -q "CS_CERT_FILE: $CA_NAME: certificate files are written again" "$T/pkid.log" ||
	fail "recovery not logged"
echo "ok: one certificate for the transaction once there is space"

# --- #9: the SQLite directory full ---------------------------------------
fill "$T/state"
n1=$(certs) codes=
for i in $(seq 1 12); do
	openssl req -new -key "$T/k.pem" -subj "/CN=db$i" -outform der -out "$T/c.der"
	req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" "t-db-$i" "$T/c.der"
	codes="$codes $(post "$T/req.der")"
done
echo "HTTP codes with the state directory full:$codes"
case "$codes" in *503*) ;; *) fail "no request failed with the database full" ;; esac
[ "$(certs)" = "$n1" ] || fail "certificates recorded with the database full"
[ "$(grep -c "%PKI-2-DB_FULL: database .*disk full" "$T/pkid.log")" = 1 ] ||
	fail "DB_FULL logged $(grep -c DB_FULL "$T/pkid.log") times, want once"
grep -q "cannot rollback" "$T/pkid.log" && fail "'cannot rollback' in the log"
echo "ok: DB_FULL once, no 'cannot rollback'"
rm -f "$T/state/filler"
openssl req -new -key "$T/k.pem" -subj /CN=after -outform der -out "$T/c.der"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-after "$T/c.der"
expect_scep "PKCSReq with space again" 0 -
grep -q "%PKI-5-DB_SPACE: database .*writing again" "$T/pkid.log" || fail "no DB_SPACE"
echo "ok: enrollment works again, DB_SPACE logged"

kill -0 "$PKID_PID" || fail "pkid died"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-ca-diskfull: OK"
