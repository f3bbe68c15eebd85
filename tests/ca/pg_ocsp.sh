#!/bin/bash
# check-pg-ocsp: the OCSP responder (`ocsp-url`) of a CA two nodes serve
# from one PostgreSQL, each with its own pkiksd and `database url` folder
# (issue 18, docs/POSTGRESQL.md "Several nodes").  Each node used to make
# a delegated responder of its own (key NAME-ocsp-S in its keystore, its
# certificate in its folder): two nodes, two responders.  Now the leader
# makes it, its key travels as the wrapped blob the CA key does, its
# certificate is stored in table ca_file, and every node signs with that
# one; `openssl ocsp` is the client, at the lab clock's time:
#  1. A leads and makes the CA, B follows: both answer for a certificate
#     issued through each, verified with the CA certificate alone, signed
#     by the same responder certificate, the one stored (byte for byte),
#     its key the stored blob's.
#  2. A revocation through A is answered "revoked" by B (which had the
#     "good" answer cached), one through B (a follower) by A; the time
#     until the other node says so is printed.
#  3. The rollover CA's responder (its successor): the same on both nodes
#     and stored.
#  4. A killed -9: B takes over and promotes: it answers for a
#     certificate issued under the promoted CA with the successor of step
#     3; the old responder's certificate and blob are deleted from the
#     database; A, started again, follows and signs with the same.
NODES="a b"
declare -A PORT=([a]=18143 [b]=18144)
. tests/ca/pg_ha_lib.sh
NODE_EXTRA="ocsp-url http://127.0.0.1:${PORT[a]}/ocsp/$CA_NAME"
ha_setup
PAUSE[a]=
PAUSE[b]=

hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
stored() { # stored NAME: the ca_file row's data, hex
	pg_sql "SELECT encode(data, 'hex') FROM ca_file WHERE server = '$CA_NAME'
		AND name = '$1'"
}
blob() { pg_sql "SELECT count(*) FROM key_blob WHERE name = '$1'"; }
serial_of() { echo $((16#$(openssl x509 -in "$1" -noout -serial | sed 's/serial=//'))); }
# oq NODE OUT ISSUER ARGS...: openssl ocsp against NODE's responder at its
# lab time (or OCSP_AT), verified with ISSUER alone; text (with the
# signer's certificate) in OUT.txt, the response in OUT.der.
oq() {
	local n=$1 out=$2 issuer=$3 when
	shift 3
	when=$(date -u -d "@${OCSP_AT:-$(lab_now_of $n)}" '+%Y-%m-%d %H:%M:%S')
	TZ=UTC timeout 30 faketime -f "@$when" openssl ocsp -issuer "$issuer" -CAfile "$issuer" \
		-url "http://127.0.0.1:${PORT[$n]}/ocsp/$CA_NAME" -respout "$out.der" \
		-resp_text "$@" >"$out.txt" 2>&1
}
status() { sed -n "s|^$2: ||p" "$1.txt" | head -n 1; }
# The responder certificate a response carries, DER in hex.
signer() {
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$1.txt" |
		openssl x509 -outform der 2>/dev/null | od -An -v -tx1 | tr -d ' \n'
}
# until_status NODE OUT ISSUER CERT WANT: asked (no nonce: the cache's
# answer) until it verifies with WANT, 15 s at most; WAITED the seconds.
until_status() {
	local n=$1 out=$2 issuer=$3 cert=$4 want=$5 i t0
	t0=$(date +%s.%N)
	for ((i = 0; i < 150; i++)); do
		oq "$n" "$out" "$issuer" -cert "$cert" -no_nonce &&
			grep -q "Response verify OK" "$out.txt" &&
			[ "$(status "$out" "$cert")" = "$want" ] && break
		sleep 0.1
	done
	grep -q "Response verify OK" "$out.txt" && [ "$(status "$out" "$cert")" = "$want" ] ||
		{ cat "$out.txt"; fail "node $n: $(basename "$cert") is not $want in 15 s"; }
	WAITED=$(echo "$(date +%s.%N) - $t0" | bc)
}
pem_of() { openssl x509 -inform der -in "$T/got/$1.der" -out "$T/$1.pem" || fail "$1.der"; }

# 1. One responder on both nodes, the stored one.
node_start a
[ "$(role a)" = leader ] || fail "node a is not the leader: '$(role a)'"
node_start b
[ "$(role b)" = follower ] || fail "node b: role '$(role b)', want follower"
fetch_ca a
enroll a alice || fail "alice through a: $(tail -3 "$T/got/alice.log")"
enroll b bob || fail "bob through b: $(tail -3 "$T/got/bob.log")"
pem_of alice
pem_of bob
ca1=$(serial_of "$T/ca.pem")
for n in a b; do
	until_status $n "$T/$n-alice" "$T/ca.pem" "$T/alice.pem" good
	until_status $n "$T/$n-bob" "$T/ca.pem" "$T/bob.pem" good
	grep -q "Subject: CN *= *$CA_NAME OCSP Responder" "$T/$n-alice.txt" ||
		fail "node $n: no responder certificate in the response"
done
r1=$(signer "$T/a-alice")
[ -n "$r1" ] || fail "no responder certificate in a's response"
for f in a-bob b-alice b-bob; do
	[ "$(signer "$T/$f")" = "$r1" ] || fail "$f: signed by another responder certificate than a-alice"
done
[ "$(stored "$CA_NAME-ocsp-$ca1.cer")" = "$r1" ] ||
	fail "the responder certificate is not the one stored"
[ "$(blob "$CA_NAME-ocsp-$ca1")" = 1 ] || fail "no wrapped blob of the responder key"
grep -q "KEY_RESTORED.*key $CA_NAME-ocsp-$ca1 restored" "$T/b/pkid.log" ||
	fail "b did not import the responder key from its blob"
echo "ok: a and b sign with one responder certificate, the stored one (key from its blob on b)"

# 2. Revocations through either node, answered by the other.
nctl a "server revoke" $CA_NAME "$(serial_of "$T/alice.pem")" >/dev/null || fail "revoke alice on a"
until_status b "$T/b-alice-r" "$T/ca.pem" "$T/alice.pem" revoked
printf 'ok: alice revoked through a: b says revoked %.2f s after\n' "$WAITED"
nctl b "server revoke" $CA_NAME "$(serial_of "$T/bob.pem")" >/dev/null || fail "revoke bob on b"
until_status a "$T/a-bob-r" "$T/ca.pem" "$T/bob.pem" revoked
printf 'ok: bob revoked through b (a follower): a says revoked %.2f s after\n' "$WAITED"
for f in b-alice-r a-bob-r; do
	[ "$(signer "$T/$f")" = "$r1" ] || fail "$f: another responder certificate"
done

# 3. The rollover CA's responder: one, stored.
end=$(cert_time "$T/ca.pem" end)
lab_to $((end - 240 + 5))
for ((i = 0; i < 300; i++)); do [ "$(db_step)" = 2 ] && break; sleep 0.05; done
[ "$(db_step)" = 2 ] || fail "no rollover CA in 15 s (step $(db_step))"
for ((i = 0; i < 100; i++)); do
	(export URL=$(url a) PKIKS_SOCKET=$T/a/ks/pkiksd.sock; next_ca "$T/next" "$T/ca.pem") \
		>/dev/null 2>&1 && break
	sleep 0.1
done
[ -s "$T/next/next-ca.pem" ] || fail "a: no GetNextCACert"
cp "$T/next/next-ca.pem" "$T/ca2.pem"
ca2=$(serial_of "$T/ca2.pem")
start=$(cert_time "$T/ca2.pem" start)
for n in a b; do
	for ((i = 0; i < 150; i++)); do
		OCSP_AT=$((start + 1)) oq $n "$T/$n-roll" "$T/ca2.pem" -serial 424242 -no_nonce &&
			grep -q "Response verify OK" "$T/$n-roll.txt" && break
		sleep 0.1
	done
	[ "$(status "$T/$n-roll" 424242)" = unknown ] || { cat "$T/$n-roll.txt"; fail "node $n: no answer for the rollover CA"; }
done
r2=$(signer "$T/a-roll")
[ -n "$r2" ] && [ "$r2" != "$r1" ] || fail "the rollover CA's answer: not its own responder"
[ "$(signer "$T/b-roll")" = "$r2" ] || fail "a and b: two responders for the rollover CA"
[ "$(stored "$CA_NAME-ocsp-$ca2.cer")" = "$r2" ] || fail "the rollover responder is not the one stored"
echo "ok: one responder for the rollover CA on a and b, the stored one"

# 4. The leader killed; b promotes and answers with the successor.
kill -KILL "${PID[a]}"
{ wait "${PID[a]}"; } 2>/dev/null
PID[a]=
for ((i = 0; i < 150; i++)); do [ "$(role b)" = leader ] && break; sleep 0.1; done
[ "$(role b)" = leader ] || fail "b did not take over in 15 s"
lab_to $((end + 3))
for ((i = 0; i < 300; i++)); do [ "$(db_step)" = 0 ] && break; sleep 0.05; done
[ "$(db_step)" = 0 ] || fail "b did not promote in 15 s (step $(db_step))"
for ((i = 0; i < 100; i++)); do
	curl -sf -o "$T/ca-now.der" "$(url b)?operation=GetCACert" &&
		cmp -s "$T/ca-now.der" "$T/next/next-ca.der" && break
	sleep 0.1
done
cmp -s "$T/ca-now.der" "$T/next/next-ca.der" || fail "b does not serve the rollover CA"
fetch_ca b
enroll b carol || fail "carol through b: $(tail -3 "$T/got/carol.log")"
pem_of carol
until_status b "$T/b-carol" "$T/ca.pem" "$T/carol.pem" good
[ "$(signer "$T/b-carol")" = "$r2" ] || fail "b, promoted: not the successor of step 3"
for ((i = 0; i < 50; i++)); do
	[ -z "$(stored "$CA_NAME-ocsp-$ca1.cer")" ] && [ "$(blob "$CA_NAME-ocsp-$ca1")" = 0 ] && break
	sleep 0.1
done
[ -z "$(stored "$CA_NAME-ocsp-$ca1.cer")" ] || fail "the old responder certificate is still stored"
[ "$(blob "$CA_NAME-ocsp-$ca1")" = 0 ] || fail "the old responder key's blob is still stored"
node_start a
[ "$(role a)" = follower ] || fail "a started again: role '$(role a)', want follower"
until_status a "$T/a-carol" "$T/ca.pem" "$T/carol.pem" good
[ "$(signer "$T/a-carol")" = "$r2" ] || fail "a, started again: another responder than b"
echo "ok: b promoted and signs with the successor; the old responder is gone from the database; a follows with the same"

got_in_db
echo "ok: $GOT certificates received, all in PostgreSQL byte for byte"
echo "check-pg-ocsp: OK"
