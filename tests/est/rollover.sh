#!/bin/bash
# check-est-rollover: /cacerts during a CA rollover (RFC 7030 §4.1.3).
# Without a rollover CA it holds the CA certificate alone; after `server
# rollover` the three Root CA Key Update certificates of RFC 4210 §4.4:
# OldWithOld (the CA certificate), OldWithNew (the CA's key certified by
# the rollover key: verifies under the rollover CA, not under the current
# one) and NewWithOld (the rollover key certified by the current key:
# verifies under the current CA), both CA certificates valid until the
# current CA's end; made once (the same answer again, one log line each);
# gone after `server rollover cancel`, and a new pair for the next
# rollover's key.
. tests/est/lib.sh
est_setup 19104
est_conf "grant auto"
est_start

# cacerts_split DIR: the certificates of $T/body as DIR/c1.pem, c2.pem, ...
cacerts_split() {
	local d=$1
	rm -rf "$d"
	mkdir -p "$d"
	p7_certs "$T/body" "$d/all.pem"
	(cd "$d" && csplit -s -z -f part all.pem '/-----BEGIN CERTIFICATE/' '{*}')
	local f n=0
	for f in "$d"/part*; do
		grep -q "BEGIN CERTIFICATE" "$f" || continue
		n=$((n + 1))
		openssl x509 -in "$f" -out "$d/c$n.pem" || fail "$d: certificate $n"
	done
	echo $n
}
pub() { openssl x509 -in "$1" -noout -pubkey | sha256sum; }

# rollover_ca DIR: the rollover CA certificate from GetNextCACert (SCEP).
rollover_ca() {
	mkdir -p "$1"
	curl -sf -o "$1/next.der" "$URL?operation=GetNextCACert" || fail "GetNextCACert"
	openssl cms -verify -inform DER -in "$1/next.der" -CAfile "$T/ca.pem" \
		-binary -out "$1/content.der" 2>/dev/null || fail "GetNextCACert does not verify"
	openssl pkcs7 -inform DER -in "$1/content.der" -print_certs |
		openssl x509 -out "$1/roll.pem" || fail "GetNextCACert content"
}

# key_update DIR ROLL.pem: the three certificates of the rollover ROLL.
key_update() {
	local d=$1 roll=$2 f own= nwo=
	expect_http "cacerts during the rollover" 200 "$(est cacerts)"
	[ "$(cacerts_split "$d")" = 3 ] || fail "$d: not three certificates"
	cmp -s <(openssl x509 -in "$d/c1.pem" -outform der) "$T/ca.der" ||
		fail "$d: the first is not the CA certificate (OldWithOld)"
	for f in "$d/c2.pem" "$d/c3.pem"; do
		[ "$(pub "$f")" = "$(pub "$T/ca.pem")" ] && own=$f
		[ "$(pub "$f")" = "$(pub "$roll")" ] && nwo=$f
	done
	[ -n "$own" ] && [ -n "$nwo" ] || fail "$d: no OldWithNew and NewWithOld"
	# OldWithNew: signed by the rollover key (the rollover CA is valid
	# from the current CA's end: its time is not checked here).
	openssl verify -no_check_time -CAfile "$roll" "$own" >/dev/null 2>&1 ||
		fail "$d: OldWithNew does not verify under the rollover CA"
	openssl verify -CAfile "$T/ca.pem" "$own" >/dev/null 2>&1 &&
		fail "$d: OldWithNew verifies under the current key"
	# NewWithOld: signed by the current key, valid now.
	openssl verify -CAfile "$T/ca.pem" "$nwo" >/dev/null 2>&1 ||
		fail "$d: NewWithOld does not verify under the current CA"
	for f in "$own" "$nwo"; do
		openssl x509 -in "$f" -noout -ext basicConstraints | grep -q "CA:TRUE" ||
			fail "$d: $(basename "$f") is not a CA certificate"
		[ "$(openssl x509 -in "$f" -noout -enddate)" = "$(openssl x509 -in "$T/ca.pem" -noout -enddate)" ] ||
			fail "$d: $(basename "$f") does not end with the current CA"
	done
	echo "ok: $d: OldWithOld, OldWithNew (under the rollover key), NewWithOld (under the current key)"
}

expect_http "cacerts without a rollover" 200 "$(est cacerts)"
[ "$(cacerts_split "$T/r0")" = 1 ] || fail "cacerts without a rollover: not one certificate"

ctl "server rollover" $CA_NAME >/dev/null || fail "server rollover"
rollover_ca "$T/n1"
key_update "$T/r1" "$T/n1/roll.pem"
cp "$T/body" "$T/r1.body"
expect_http "cacerts again" 200 "$(est cacerts)"
cmp -s "$T/body" "$T/r1.body" || fail "the key update certificates were made again"
[ "$(grep -c "CS_KEY_UPDATE: $CA_NAME: .* made" "$T/pkid.log")" = 2 ] ||
	fail "key update certificates made $(grep -c CS_KEY_UPDATE "$T/pkid.log") times, want 2"
echo "ok: made once, answered the same"
# Enrollment goes on under the current CA during the rollover.
csr ivan "/CN=ivan/O=pkid test"
expect_http "simpleenroll during the rollover" 200 "$(enroll_post simpleenroll ivan)"
p7_certs "$T/body" "$T/ivan.pem"
verify "$T/ivan.pem"

ctl "server rollover cancel" $CA_NAME >/dev/null || fail "rollover cancel"
expect_http "cacerts after the cancel" 200 "$(est cacerts)"
[ "$(cacerts_split "$T/r2")" = 1 ] || fail "cacerts after the cancel: not one certificate"
echo "ok: cancelled: the CA certificate alone"

ctl "server rollover" $CA_NAME >/dev/null || fail "second server rollover"
rollover_ca "$T/n3"
[ "$(pub "$T/n3/roll.pem")" != "$(pub "$T/n1/roll.pem")" ] || fail "the same rollover key again"
key_update "$T/r3" "$T/n3/roll.pem"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-est-rollover: OK"
