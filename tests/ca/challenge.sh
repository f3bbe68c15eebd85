#!/bin/bash
# check-ca-challenge: the challenge password under `grant auto` (issue 19
# #5).  A configured password is required (strongSwan without --password
# is refused); wrong guesses make the address and the subject wait 1, 2,
# 4 ... s (CS_CHALLENGE_FAILED) during which even the right password is
# not looked at, while another address and another subject are served; the
# wait ends by itself; rejected requests are kept without their CSR and
# bounded in number.
. tests/ca/lib.sh
ca_setup 18113
ca_conf "grant auto" "password s3cret-pw"
ca_start
sw_scepca
certs() { ctl --json "show certificates" $CA_NAME | jq length; }
fails() { grep -c "%PKI-4-CS_CHALLENGE_FAILED: $CA_NAME:" "$T/pkid.log"; }

# 1. No challenge at all: refused, not granted.
n0=$(certs)
sw_enroll nopw && fail "enrolled without the configured password"
grep -q badRequest "$T/nopw.log" || fail "no password: $(tail -3 "$T/nopw.log")"
[ "$(certs)" = "$n0" ] || fail "a certificate was issued without the password"
echo "ok: no challenge under grant auto with a password -> FAILURE badRequest"

# Requests for dev1 and dev2, right and wrong; built before the clock runs.
openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
mkreq() { # mkreq NAME CN PASSWORD: $T/NAME.req (a PKCSReq, tid NAME)
	printf '[req]\nprompt=no\ndistinguished_name=dn\nattributes=a\n[dn]\nCN=%s\n[a]\nchallengePassword=%s\n' \
		"$2" "$3" >"$T/$1.cnf"
	openssl req -new -key "$T/k.pem" -config "$T/$1.cnf" -addext \
		"subjectAltName=DNS:$2.example" -outform der -out "$T/$1.csr" ||
		fail "csr $1"
	openssl req -new -x509 -key "$T/k.pem" -subj "/CN=$2" -days 2 -out "$T/$1.self"
	$S req 19 AES-128-CBC "$T/$1.self" "$T/k.pem" "$T/ra.der" "$1" "$T/$1.csr" \
		>"$T/$1.req" || fail "scep-client req $1"
}
send() { # send NAME [FROM]: prints "status=N failInfo=N"
	local code
	code=$(curl -s ${2:+--interface $2} -o "$T/reply.der" -w '%{http_code}' \
		--data-binary @"$T/$1.req" -H 'Content-Type: application/x-pki-message' \
		"$URL?operation=PKIOperation")
	[ "$code" = 200 ] || fail "$1: HTTP $code"
	$S rep "$T/reply.der" || fail "$1: reply does not verify"
}
for i in $(seq 1 30); do mkreq "wrong$i" dev1 "guess-$i"; done
for i in $(seq 1 60); do mkreq "right$i" dev1 s3cret-pw; done
mkreq other dev2 s3cret-pw
mkreq othersubj dev1 s3cret-pw

# 2. Wrong guesses until three were looked at (1 s, then 2 s between).
i=0 start=$SECONDS
while [ "$(fails)" -lt 3 ] && [ $i -lt 30 ] && [ $((SECONDS - start)) -lt 20 ]; do
	i=$((i + 1))
	[ "$(send "wrong$i")" = "status=2 failInfo=2" ] || fail "wrong guess $i"
	sleep 0.2
done
t3=$(date +%s.%N)
[ "$(fails)" = 3 ] || fail "$(fails) failures counted after $i guesses"
[ $i -gt 3 ] || fail "every guess was looked at: no wait between them"
grep -q "CS_CHALLENGE_FAILED: $CA_NAME: tid wrong.*from 127.0.0.1 for /CN=dev1 (3 in a row from there); its next challenge is looked at in 4 s" \
	"$T/pkid.log" || fail "the third failure does not say 4 s"
echo "ok: $i guesses, 3 looked at, waits of 1, 2, 4 s logged"

# 3. During the wait: the right password from the same address is not
#    looked at; another address with another subject is served; another
#    address naming the waiting subject is not.
[ "$(send right1)" = "status=2 failInfo=2" ] || fail "right password during the wait"
[ "$(send other 127.0.0.2)" = "status=0 failInfo=-" ] || fail "another address, dev2, refused"
[ "$(send othersubj 127.0.0.2)" = "status=2 failInfo=2" ] || fail "dev1 from another address during the wait"
echo "ok: the waiting address and subject refused, another served"

# 4. The wait ends by itself: the right password is granted again.
i=1
while :; do
	i=$((i + 1))
	[ $i -le 60 ] || fail "still refused after 60 tries"
	r=$(send "right$i")
	[ "$r" = "status=0 failInfo=-" ] && break
	sleep 0.25
done
waited=$(awk -v a="$(date +%s.%N)" -v b="$t3" 'BEGIN {printf "%.1f", a - b}')
# The log said 4 s; the reply to the third guess came just before t3.
awk -v w="$waited" 'BEGIN {exit !(w >= 3.5 && w <= 30)}' ||
	fail "granted again after $waited s, the wait was 4 s"
echo "ok: granted again $waited s after the third failure"

# 5. Rejected requests: at most 64 kept, none with its CSR.
openssl req -new -x509 -key "$T/k.pem" -subj /CN=flood -days 2 -out "$T/flood.self"
openssl req -new -key "$T/k.pem" -subj /CN=flood -outform der -out "$T/flood.csr"
for i in $(seq 1 80); do
	$S req 19 AES-128-CBC "$T/flood.self" "$T/k.pem" "$T/ra.der" "flood$i" "$T/flood.csr" \
		>"$T/flood.req" || fail "flood req"
	code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/flood.req" \
		"$URL?operation=PKIOperation")
	[ "$code" = 200 ] || fail "flood $i: HTTP $code"
done
rej=$(ctl "show requests" $CA_NAME | grep -c rejected)
[ "$rej" -le 64 ] || fail "$rej rejected requests kept"
[ "$rej" -ge 60 ] || fail "only $rej rejected requests shown"
db=$(find "$T/state" "$T/db" -name '*.db' 2>/dev/null | head -1)
[ -n "$db" ] || fail "no database file"
blobs=$(python3 -c 'import sqlite3,sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("SELECT count(*) FROM request WHERE csr IS NOT NULL AND tid LIKE ?", ("flood%",)).fetchone()[0])' "$db")
[ "$blobs" = 0 ] || fail "$blobs rejected requests kept their CSR"
echo "ok: $rej rejected requests kept (at most 64), without their CSR"

kill -0 "$PKID_PID" || fail "pkid died"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-ca-challenge: OK"
