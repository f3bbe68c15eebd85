#!/bin/bash
# bench-ocsp: the OCSP responder's answers per second and their latency
# from its cache, with 100,000 revoked certificates in the database (and
# so in the CRL).  The rows are written into the stopped CA's database
# with sqlite3 (as revoked certificates of the CA), then one `server
# revoke` issues the CRL with all of them and re-signs the cache; the time
# it takes is printed.  The requests (good, revoked, one of the 100,000,
# unknown) are answered once by `openssl ocsp` (checked), then
# tests/ocsp/ocsp_bench.c POSTs them over keep-alive connections.  The
# responder must sign nothing during the run (show server's
# signed_on_request does not move).  OCSP_BENCH_SECONDS (default 10),
# OCSP_BENCH_CONNS (default "1 4 8").
. tests/ca/lib.sh
. tests/rollover/lib.sh
. tests/ocsp/lib.sh
ocsp_setup 18970
SECS=${OCSP_BENCH_SECONDS:-10}
CONNS=${OCSP_BENCH_CONNS:-1 4 8}
N=100000

ca_conf "grant auto" "ocsp-url http://127.0.0.1:$PORT/ocsp/$CA_NAME" "database level minimum"
ca_start
sw_scepca
sw_enroll alice || fail "alice"
sw_enroll bob || fail "bob"
ca_kill

DB=$T/state/pkid.db
fp=$(sqlite3 "$DB" "select issuer_fp from cert where server='$CA_NAME' and subject like '%alice%'")
[ -n "$fp" ] || fail "no issuer fingerprint"
now=$(lab_now)
sqlite3 "$DB" "WITH RECURSIVE s(n) AS (SELECT 1000000 UNION ALL SELECT n + 1 FROM s WHERE n < 1000000 + $N - 1)
INSERT INTO cert (server, serial, subject, not_before, not_after, fingerprint, issuer_fp, revoked_at)
SELECT '$CA_NAME', n, '/CN=bulk' || n, $now, $now + 86400, printf('%064X', n), '$fp', $now FROM s;" ||
	fail "sqlite3 insert"
[ "$(sqlite3 "$DB" "select count(*) from cert where revoked_at != 0")" = $N ] || fail "rows"
ca_start
bob_serial=$(openssl x509 -in "$T/bob.pem" -noout -serial | sed 's/serial=//')
t0=$(date +%s.%N)
ctl "server revoke" $CA_NAME $((16#$bob_serial)) >/dev/null || fail "revoke bob"
t1=$(date +%s.%N)
curl -sf -o "$T/crl.der" "http://127.0.0.1:$PORT/crl/$CA_NAME.crl" || fail "CRL"
crl_entries=$(openssl crl -inform der -in "$T/crl.der" -noout -text | grep -c "Serial Number:")
[ "$crl_entries" = $((N + 1)) ] || fail "CRL has $crl_entries entries, want $((N + 1))"

# The requests, answered once (and checked) by openssl ocsp.
reqs=()
q() { # q NAME WANT openssl-args...
	local n=$1 want=$2
	shift 2
	openssl ocsp -issuer "$T/ca.pem" -no_nonce -reqout "$T/$n.req" "$@" \
		-url "$OURL" -CAfile "$T/ca.pem" >"$T/$n.txt" 2>&1 || fail "$n: $(cat "$T/$n.txt")"
	grep -q ": $want\$" "$T/$n.txt" || fail "$n: want $want: $(cat "$T/$n.txt")"
	grep -q "Response verify OK" "$T/$n.txt" || fail "$n: does not verify"
	reqs+=("$T/$n.req")
}
q alice good -cert "$T/alice.pem"
q bob revoked -cert "$T/bob.pem"
q bulk revoked -serial 1054321
q bulk2 revoked -serial $((1000000 + N - 1))
q unknown unknown -serial 999999
stat() { ctl --json "show server" $CA_NAME | python3 -c "import json,sys; print(json.load(sys.stdin)['ocsp']['$1'])"; }
signed=$(stat signed_on_request)

echo "bench-ocsp: $N revoked certificates in the database; CRL $(wc -c <"$T/crl.der") bytes, $crl_entries entries"
printf 'bench-ocsp: server revoke (CRL of %d entries + OCSP re-sign): %.2f s\n' $((N + 1)) "$(echo "$t1 - $t0" | bc)"
for c in $CONNS; do
	out=$($B/ocsp-bench "$PORT" "/ocsp/$CA_NAME" "$c" "$SECS" "${reqs[@]}") || fail "ocsp-bench $c"
	echo "bench-ocsp: connections $c: $out"
done
[ "$(stat signed_on_request)" = "$signed" ] || fail "the responder signed during the run"
echo "bench-ocsp: signed during the runs: 0 (cache hits $(stat cache_hits))"

# What a revocation costs with a warm cache: W more serials asked for
# (misses: signed on request and cached), then one revoke re-signs every
# cached response before the new answers are published.
W=${OCSP_BENCH_WARM:-500}
wreqs=()
for ((i = 0; i < W; i++)); do
	openssl ocsp -issuer "$T/ca.pem" -no_nonce -serial $((1000000 + i * 7)) \
		-reqout "$T/w$i.req" >/dev/null 2>&1
	wreqs+=("$T/w$i.req")
done
# Misses sign: one pass over W requests, bounded at 60 s.
signed0=$(stat signed_on_request)
t0=$(date +%s.%N)
for ((i = 0; i < 60; i++)); do
	$B/ocsp-bench "$PORT" "/ocsp/$CA_NAME" 1 1 "${wreqs[@]}" >/dev/null || fail "warming"
	cached=$(stat cached)
	[ "$cached" -ge "$W" ] && break
done
t1=$(date +%s.%N)
printf 'bench-ocsp: misses (signed on request, 1 connection): %d in %.2f s\n' \
	$(( $(stat signed_on_request) - signed0 )) "$(echo "$t1 - $t0" | bc)"
[ "$cached" -ge "$W" ] || fail "only $cached responses cached after warming $W"
ahead=$(stat signed_ahead)
t0=$(date +%s.%N)
ctl "server unrevoke" $CA_NAME $((16#$bob_serial)) >/dev/null || fail "unrevoke bob"
t1=$(date +%s.%N)
resigned=$(( $(stat signed_ahead) - ahead ))
[ "$resigned" = "$cached" ] || fail "re-signed $resigned of $cached cached responses"
printf 'bench-ocsp: server unrevoke with %d cached responses: %.2f s (all %d re-signed before publication)\n' \
	"$cached" "$(echo "$t1 - $t0" | bc)" "$resigned"
ca_kill
