#!/bin/bash
# bench-crl: how long pkid takes to re-sign its CRL with 100,000 revoked
# certificates (COUNT=...) in its database.  The database is filled with
# SQL (tests/bench/lib.sh) while pkid is stopped; then pkid starts and
# `server revoke` / `server unrevoke` of one real certificate through the
# control socket each re-sign the whole CRL before they answer: their
# round trips are the figure.  The last CRL is fetched with GetCRL,
# verified with the CA certificate and its entries counted.
. tests/ca/lib.sh
. tests/bench/lib.sh
COUNT=${COUNT:-100000}
bench_ca 18750

t0=$(date +%s%N)
populate "$COUNT" 1
fill_ms=$(ms_since "$t0")
t0=$(date +%s%N)
ca_start
start_ms=$(ms_since "$t0")
sw_scepca

times=()
for op in revoke unrevoke revoke unrevoke revoke; do
	t0=$(date +%s%N)
	ctl "server $op" "$CA_NAME" "$REAL_SERIAL" >/dev/null || fail "server $op"
	times+=("$(ms_since "$t0")")
done
curl -sf -o "$T/crl.der" "$URL?operation=GetCRL" || fail GetCRL
openssl crl -inform der -in "$T/crl.der" -CAfile "$T/ca.pem" -noout 2>&1 |
	grep -q "verify OK" || fail "the CRL does not verify"
entries=$(openssl crl -inform der -in "$T/crl.der" -noout -text |
	grep -c "Serial Number:")
[ "$entries" = $((COUNT + 1)) ] || fail "CRL has $entries entries, want $((COUNT + 1))"
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')

echo "bench-crl: CRL of $entries revoked certificates (RSA-2048 CA, pkiksd twin, $(nproc) cores)"
printf '  %-44s %s\n' "database filled (SQL, one transaction)" "$fill_ms ms" \
	"pkid start (GetCACert answers)" "$start_ms ms" \
	"re-sign via server revoke/unrevoke, 5 runs" "${sorted}ms" \
	"median re-sign" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) ms" \
	"CRL size" "$(stat -c %s "$T/crl.der") bytes, verify OK"
