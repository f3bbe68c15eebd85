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

# Timing is judged from what each request took in this run, never from
# how long requests usually take (a loaded CI machine is slow): a guess
# sent at s and answered at r was looked at by the server somewhere in
# [s, r], and a failure looked at in [s_k, r_k] with a wait of W_k s ends
# the wait in [s_k + W_k, r_k + W_k].  So a guess answered before
# s_k + W_k fell inside the wait for sure, and one sent after r_k + W_k
# fell after it for sure; a guess in between proves nothing either way.
now() { date +%s.%N; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a < b)}'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a + b}'; }
inside=0 # guesses that fell inside a wait for sure (and were refused)
# judge NAME S R LOOKED: check a request of the waiting address/subject
# against the last failure (ks, kr: its send and reply, kw: its wait, s).
# The server counts its waits in whole ms (ca_limit.c): 5 ms of margin.
judge() {
	if lt "$3" "$(add "$ks" "$(add "$kw" -0.005)")"; then
		[ "$4" = 0 ] || fail "$1 was looked at $(add "$3" "-$ks") s after failure $nf, whose wait was $kw s"
		inside=$((inside + 1))
	elif lt "$(add "$kr" "$(add "$kw" 0.005)")" "$2"; then
		[ "$4" = 1 ] || fail "$1 refused $(add "$2" "-$kr") s after failure $nf, whose wait was $kw s"
	fi
	return 0
}
lastwait() { # the wait (s) the latest CS_CHALLENGE_FAILED line announced
	grep "%PKI-4-CS_CHALLENGE_FAILED: $CA_NAME:" "$T/pkid.log" | tail -1 |
		sed -n 's/.*looked at in \([0-9]*\) s$/\1/p'
}

# 2. Wrong guesses, one every 0.2 s or slower, until three were looked at (waits of
#    1 s, then 2 s between); each judged by its own timing.
i=0 nf=0 start=$SECONDS
while [ "$nf" -lt 3 ] && [ $i -lt 30 ] && [ $((SECONDS - start)) -lt 60 ]; do
	i=$((i + 1))
	s=$(now)
	[ "$(send "wrong$i")" = "status=2 failInfo=2" ] || fail "wrong guess $i"
	r=$(now)
	n=$(fails)
	looked=$((n > nf))
	[ "$n" -le $((nf + 1)) ] || fail "guess $i counted as $((n - nf)) failures"
	[ "$nf" = 0 ] || judge "wrong guess $i" "$s" "$r" "$looked"
	if [ "$looked" = 1 ]; then
		nf=$n ks=$s kr=$r kw=$(lastwait)
		[ "$kw" = $((1 << (nf - 1))) ] || fail "failure $nf: a wait of '$kw' s, want $((1 << (nf - 1)))"
	fi
	sleep 0.2 # at most ~16 guesses in the 3 s of waits: 30 are built
done
[ "$(fails)" = 3 ] || fail "$(fails) failures counted after $i guesses"
grep -q "CS_CHALLENGE_FAILED: $CA_NAME: tid wrong.*from 127.0.0.1 for /CN=dev1 (3 in a row from there); its next challenge is looked at in 4 s" \
	"$T/pkid.log" || fail "the third failure does not say 4 s"
echo "ok: $i guesses, 3 looked at, waits of 1, 2, 4 s logged; $inside inside a wait for sure"

# 3. During the wait: the right password from the same address is not
#    looked at; another address with another subject is served; another
#    address naming the waiting subject is not.  (Whether a reply is
#    "during the wait" is judged as in 2; granted = looked at.)
granted() { # granted REPLY: 1 granted, 0 refused (FAILURE badRequest)
	case "$1" in
	"status=0 failInfo=-") echo 1 ;;
	"status=2 failInfo=2") echo 0 ;;
	*) echo "unexpected reply: $1" >&2; echo x ;;
	esac
}
s=$(now) g=$(granted "$(send right1)") r=$(now)
[ "$g" != x ] || fail "right1"
judge "the right password" "$s" "$r" "$g"
[ "$(send other 127.0.0.2)" = "status=0 failInfo=-" ] || fail "another address, dev2, refused"
s=$(now) g=$(granted "$(send othersubj 127.0.0.2)") r=$(now)
[ "$g" != x ] || fail "othersubj"
judge "dev1 from another address" "$s" "$r" "$g"
# Without one guess inside a wait for sure the wait was never tested: on
# a machine this slow (each request over a second) the test says so.
[ "$inside" -ge 1 ] || fail "no request fell inside a wait for sure: every guess was looked at, or requests took too long to tell"
echo "ok: the waiting address and subject refused ($inside requests inside a wait for sure), another served"

# 4. The wait ends by itself: the right password is granted again, and
#    no request sent after the wait surely ended is refused.
i=1
while :; do
	i=$((i + 1))
	[ $i -le 60 ] || fail "still refused after 60 tries"
	s=$(now) r2=$(send "right$i") r=$(now)
	g=$(granted "$r2")
	[ "$g" != x ] || fail "right$i"
	judge "the right password (try $i)" "$s" "$r" "$g"
	[ "$g" = 1 ] && break
	sleep 0.25
done
waited=$(add "$r" "-$ks")
echo "ok: granted again $waited s after the third failure was sent (wait 4 s)"

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
