#!/bin/bash
# check-est-client-bad: what an EST trustpoint refuses, and what the CA
# refuses it; nothing installed, nothing issued.
#  - TP2, a wrong `fingerprint`: authenticate refuses the CA certificate;
#  - TP3, a wrong `password`: the CA refuses simpleenroll (its words are
#    in the trustpoint's give-up), nothing issued;
#  - TP4 points at a TLS server holding a certificate for 127.0.0.1 from
#    another CA of the same name that serves the real CA's /cacerts:
#    authenticate with the right fingerprint still refuses (the server's
#    TLS certificate is not the CA's);
#  - TP1 authenticated against the real CA, which is then replaced by that
#    server on the same port: the enrollment does not go through (CONNECT
#    RETRY naming the TLS certificate), no identity installed.
. tests/est/client-lib.sh
estc_setup 19140
estc_ca_conf "grant auto" "password 0 right-secret"
ca_start
est_ready
fp=$(cactl --json "show server" TESTCA | jq -r .fingerprint)
ROGUE_PORT=$((PORT + 2))
URL=$EST
cl_conf "password 0 right-secret"
tp_conf TP2 "$EST" "password 0 right-secret" "fingerprint $(tr 0-9A-F 1-9A-F0 <<<"$fp")"
tp_conf TP3 "$EST" "password 0 wrong-secret" "certificate export $T/tp3.pem"
tp_conf TP4 "https://127.0.0.1:$ROGUE_PORT/.well-known/est" "password 0 right-secret" \
	"fingerprint $fp"
cl_start
issued0=$(cactl --json "show certificates" TESTCA | jq length)

out=$($B/ctl-call "$T/cl.ctl" --json "trustpoint authenticate" TP2 2>&1) && fail "TP2: a wrong fingerprint was accepted: $out"
grep -q "does not match the configured fingerprint" <<<"$out" || fail "TP2: $out"
[ "$(clctl --json "show trustpoints" | jq -r '.[] | select(.name == "TP2") | .state')" = new ] ||
	fail "TP2 is not left unauthenticated"
echo "ok: wrong fingerprint: authenticate refused"

clctl "trustpoint authenticate" TP3 --accept >/dev/null || fail "TP3 authenticate"
out=$($B/ctl-call "$T/cl.ctl" --json "trustpoint enroll" TP3 2>&1) && fail "TP3: enrolled with a wrong password: $out"
wait_for 10 grep -q "TP3: enroll request gave up: the CA refused the request (HTTP 403" "$T/cl.log" ||
	fail "TP3: no give-up with the CA's refusal"
grep -q "EST_REFUSED: TESTCA" "$T/ca.log" || fail "the CA did not log the refusal"
[ ! -e "$T/tp3.pem" ] || fail "TP3: an identity was installed"
[ "$(cactl --json "show certificates" TESTCA | jq length)" = "$issued0" ] ||
	fail "the CA issued something for a wrong password"
echo "ok: wrong password: 403 from the CA, the trustpoint gave up, nothing issued"

# A TLS server with a certificate from another CA of the same name.
R=$T/rogue
mkdir -p "$R/.well-known/est"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$R/ca.key" -out "$R/ca.pem" -days 3650 \
	-subj "/CN=pkid client-test CA/O=pkid" 2>/dev/null || fail "rogue CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$R/tls.key" \
	-subj /CN=127.0.0.1 -out "$R/tls.csr" 2>/dev/null || fail "rogue CSR"
openssl x509 -req -in "$R/tls.csr" -CA "$R/ca.pem" -CAkey "$R/ca.key" -CAcreateserial \
	-days 3650 -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
	-out "$R/tls.pem" 2>/dev/null || fail "rogue TLS certificate"
curl -sfk -o "$R/.well-known/est/cacerts" "$EST/cacerts" || fail "the real /cacerts"
ROGUE=
rogue_start() {
	(cd "$R" && exec openssl s_server -quiet -WWW -accept "$1" -cert tls.pem -key tls.key \
		-cert_chain ca.pem >/dev/null 2>&1) &
	ROGUE=$!
	wait_for 10 curl -sfk -o /dev/null "https://127.0.0.1:$1/.well-known/est/cacerts" ||
		fail "the rogue TLS server did not start on $1"
}
rogue_stop() { [ -n "$ROGUE" ] && kill "$ROGUE" 2>/dev/null && wait "$ROGUE" 2>/dev/null; ROGUE=; }
trap 'rogue_stop; cl_cleanup' EXIT

rogue_start "$ROGUE_PORT"
out=$($B/ctl-call "$T/cl.ctl" --json "trustpoint authenticate" TP4 2>&1) && fail "TP4: authenticated through a foreign TLS server: $out"
grep -q "does not verify under the trustpoint's CA certificate" <<<"$out" || fail "TP4: $out"
rogue_stop
echo "ok: authenticate: right fingerprint, but the TLS certificate is another CA's: refused"

clctl "trustpoint authenticate" TP1 --accept >/dev/null || fail "TP1 authenticate"
ca_stop
rogue_start "$HTTPS_PORT"
st=$($B/ctl-call "$T/cl.ctl" --json "trustpoint enroll" TP1 2>&1)
[ "$(jq -r .state <<<"$st" 2>/dev/null)" = enrolled ] && fail "TP1 enrolled through a foreign TLS server: $st"
wait_for 10 grep -q "CONNECT_RETRY: trustpoint TP1: reply to .*: the server's TLS certificate does not verify under the trustpoint's CA certificate" "$T/cl.log" ||
	fail "TP1: no CONNECT RETRY naming the TLS certificate"
[ ! -e "$T/tp1.pem" ] || fail "TP1: an identity was installed"
rogue_stop
echo "ok: enroll: the server's TLS certificate is another CA's: CONNECT RETRY, nothing installed"
