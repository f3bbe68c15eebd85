#!/bin/bash
# check-rollover-switch: a request enveloped to the rollover RA that
# reaches the CA while CS CERT EXPIRE promotes the rollover (issue 13).
# The promotion renames the keystore keys NAME# -> NAME (and NAME-ra#)
# before it publishes the new certificates; a request that took the old
# state's keys then decrypted with a key that was gone and signed its
# CertRep with the new RA key in the name of the old RA certificate: the
# client saw "signature invalid".  Now a promotion waits for requests in
# flight and a request waits for the promotion: the reply verifies, and it
# is SUCCESS, issued by the new CA.
#
# The promotion is held after its key rename (PKID_TEST_PAUSE_AT=
# promote-key) until the request has reached the SCEP server
# (PKID_TEST_MARK_AT=scep-operation); then it goes on.  Bounds: 200 x
# 50 ms for each step, and the request gets 20 times the measured time of
# the same request before the promotion.
. tests/ca/lib.sh
. tests/rollover/lib.sh
ca_setup 18440

ca_conf "grant auto" "lifetime ca-certificate 0 0 10"
mkdir -p "$T/hook"
PKID_TEST_DIR=$T/hook PKID_TEST_PAUSE_AT=promote-key \
	PKID_TEST_MARK_AT=scep-operation ca_start
sw_scepca
cp "$T/ca.pem" "$T/ca1.pem"
ctl "server rollover" $CA_NAME >"$T/out" || fail "server rollover: $(cat "$T/out")"
next_ca "$T/n1" "$T/ca1.pem"
[ -f "$T/n1/next-ra.der" ] || fail "no RA successor"

# A PKCSReq enveloped to the rollover RA (the rollover generation).
openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
mkreq() { # mkreq NAME: $T/NAME.req, tid NAME
	openssl req -new -key "$T/k.pem" -subj "/CN=$1/O=pkid test" \
		-outform der -out "$T/$1.csr" || fail "csr $1"
	openssl req -new -x509 -key "$T/k.pem" -subj "/CN=$1" -days 2 \
		-out "$T/$1.self" || fail "self-signed $1"
	$S req 19 AES-128-CBC "$T/$1.self" "$T/k.pem" "$T/n1/next-ra.der" "$1" \
		"$T/$1.csr" >"$T/$1.req" || fail "scep-client req $1"
}
send() { # send NAME: HTTP code; the reply in $T/NAME.rep
	curl -s -o "$T/$1.rep" -w '%{http_code}' --data-binary @"$T/$1.req" \
		-H 'Content-Type: application/x-pki-message' \
		"$URL?operation=PKIOperation"
}
mkreq before
mkreq during
t0=$(date +%s%N)
[ "$(send before)" = 200 ] || fail "before: HTTP error"
t_req=$((($(date +%s%N) - t0) / 1000000))
[ "$($S rep "$T/before.rep")" = "status=0 failInfo=-" ] ||
	fail "before the promotion: $($S rep "$T/before.rep" 2>&1)"
echo "ok: a request to the rollover RA before the promotion: SUCCESS in $t_req ms"

# CS CERT EXPIRE: the promotion stops after renaming the keys.
end=$(cert_time "$T/ca1.pem" end)
$B/lab-advance $((end + 5 - $(lab_now))) || fail "lab-advance"
for ((i = 0; i < 200; i++)); do
	[ -e "$T/hook/promote-key.reached" ] && break
	sleep 0.05
done
[ -e "$T/hook/promote-key.reached" ] || fail "the promotion did not reach promote-key"
[ "$(key_count "$CA_NAME#")" = 0 ] || fail "promote-key reached, $CA_NAME# still there"

# The request arrives in the middle of it.
send during >"$T/during.code" &
req_pid=$!
for ((i = 0; i < 200; i++)); do
	[ -e "$T/hook/scep-operation.reached" ] && break
	sleep 0.05
done
[ -e "$T/hook/scep-operation.reached" ] || fail "the request did not reach the SCEP server"
# Answered while the promotion is held (no waiting on it)?  Give it 20
# times what the same request took, at least a second.
limit=$((t_req * 20 > 1000 ? t_req * 20 : 1000))
for ((i = 0; i < limit / 50; i++)); do
	kill -0 $req_pid 2>/dev/null || break
	sleep 0.05
done
kill -0 $req_pid 2>/dev/null && early=no || early=yes
touch "$T/hook/promote-key.go"
wait_field "show server" fingerprint "$(fp "$T/n1/next-ca.pem")"
for ((i = 0; i < 200; i++)); do
	kill -0 $req_pid 2>/dev/null || break
	sleep 0.05
done
kill -0 $req_pid 2>/dev/null && fail "no answer 10 s after the promotion"
wait $req_pid
[ "$(cat "$T/during.code")" = 200 ] || fail "during: HTTP $(cat "$T/during.code")"
got=$($S rep "$T/during.rep" 2>&1) ||
	fail "the CertRep answered during the promotion does not verify (answered before it ended: $early)"
[ "$got" = "status=0 failInfo=-" ] || fail "during the promotion: $got"
[ $early = no ] || fail "answered ($got) while the promotion was held"
echo "ok: a request during the promotion waits for it; its CertRep verifies: $got"

# Signed by the new RA (the RA successor the client fetched), and the
# certificate issued by the new CA.
openssl cms -verify -noverify -inform DER -in "$T/during.rep" -binary \
	-signer "$T/signer.pem" -out /dev/null 2>/dev/null || fail "signer"
[ "$(fp "$T/signer.pem")" = "$(openssl x509 -inform der -in "$T/n1/next-ra.der" \
	-noout -fingerprint -sha256 | sed 's/.*=//; s/://g')" ] ||
	fail "the CertRep is not signed by the RA successor"
openssl cms -verify -noverify -inform DER -in "$T/during.rep" -binary \
	-out "$T/during.env" 2>/dev/null || fail "CertRep content"
openssl cms -decrypt -inform DER -in "$T/during.env" -recip "$T/during.self" \
	-inkey "$T/k.pem" -binary -out "$T/during.p7" || fail "CertRep envelope"
openssl pkcs7 -inform DER -in "$T/during.p7" -print_certs -out "$T/during.pem" ||
	fail "issued certificate"
at_ok "$(($(lab_now) + 1))" "$T/n1/next-ca.pem" "$T/during.pem"
echo "ok: signed by the RA successor; the certificate is the new CA's"
echo "check-rollover-switch: OK"
