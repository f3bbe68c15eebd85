#!/bin/bash
# bench-est (and, with SMOKE=1, check-est-bench): one pkiksd --lab twin and
# one pkid CA (grant auto, one-time passwords) serving SCEP on
# 127.0.0.1:18312 and EST on 18313; scep-bench enrolls N over SCEP, then N
# over EST (simpleenroll, HTTP Basic with a one-time password, a TLS
# connection each), then N over EST on one kept TLS connection per client
# (--est-keepalive), and the three reports are printed side by side.
#   N=500 C=8     enrollments, concurrent clients
. tests/est/lib.sh
if [ -n "${SMOKE:-}" ]; then
	N=${N:-6} C=${C:-2} LIMIT_S=0.5 port=18314
else
	N=${N:-500} C=${C:-8} LIMIT_S=2 port=18312
fi
est_setup $port
est_conf "grant auto"
est_start

run() {
	local what=$1
	shift
	$B/scep-bench --url "$URL" -n "$N" -c "$C" --ctl "$T/pkid.ctl" \
		--ca "$CA_NAME" --limit-seconds "$LIMIT_S" "$@" | tee "$T/$what.out"
	[ "${PIPESTATUS[0]}" = 0 ] || fail "scep-bench ($what) failed"
	grep -q '^RESULT enrollments_per_s=[0-9.]* p50_ms=[0-9.]* p99_ms=[0-9.]* rsa_ops_per_s=[0-9]* limit_per_s=[0-9.]* ratio=[0-9.]*$' \
		"$T/$what.out" || fail "incomplete report ($what)"
}
run scep
run est --est "$EST"
run est-keepalive --est "$EST" --est-keepalive
grep -q "^EST ecdsa_ops_per_s=[0-9]* private_ops_per_enrollment=2 tls_connections=$N\$" "$T/est.out" ||
	fail "the EST report lacks the ECDSA rate, or not one TLS connection per enrollment"
# Kept connections: one handshake per client (the server keeps a TLS
# connection after a POST), not one per enrollment.
conns=$(sed -n 's/^EST .* tls_connections=\([0-9]*\)$/\1/p' "$T/est-keepalive.out")
[ -n "$conns" ] && [ "$conns" -le "$C" ] ||
	fail "--est-keepalive took ${conns:-?} TLS connections for $N enrollments by $C clients"
# Every enrollment was issued, by the protocol it came in.
[ "$(grep -c "PKCSReq tid .*: SUCCESS" "$T/pkid.log")" -ge "$N" ] || fail "SCEP issued fewer than $N"
[ "$(grep -c "EST_ISSUED" "$T/pkid.log")" -ge $((2 * N)) ] || fail "EST issued fewer than 2 x $N"
field() { sed -n "s/^RESULT.* $2=\([0-9.]*\).*/\1/p" "$T/$1.out"; }
printf '\n%-13s %14s %9s %9s %12s %7s\n' protocol enrollments/s p50_ms p99_ms limit/s ratio
for p in scep est est-keepalive; do
	printf '%-13s %14s %9s %9s %12s %7s\n' "$p" "$(field $p enrollments_per_s)" \
		"$(field $p p50_ms)" "$(field $p p99_ms)" "$(field $p limit_per_s)" "$(field $p ratio)"
done
if [ -n "${SMOKE:-}" ]; then echo "check-est-bench: OK"; fi
