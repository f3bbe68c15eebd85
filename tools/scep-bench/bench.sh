#!/bin/bash
# bench-scep (and, with SMOKE=1, check-scep-bench): a private pkiksd --lab
# twin and pkid (grant auto, one-time challenge passwords) on
# 127.0.0.1:18310 (18311 for the smoke run), then scep-bench against it.
#   N=500 C=8 MODE=ra|single   enrollments, concurrent clients, key mode
#   CA_EC=256|384              an ECDSA CA (eckeypair; RA mode only): the
#                              limit takes OpenSSL's ECDSA sign rate for
#                              the certificate's signature
# The smoke run: a few enrollments, and the tool's report must be complete.
. tests/ca/lib.sh
if [ -n "${SMOKE:-}" ]; then
	N=${N:-6} C=${C:-2} LIMIT_S=0.5 port=18311
else
	N=${N:-500} C=${C:-8} LIMIT_S=2 port=18310
fi
MODE=${MODE:-ra}
ca_setup $port
ca_conf "grant auto"
if [ "$MODE" = single ]; then ca_start -m single; else ca_start; fi

$B/scep-bench --url "$URL" -n "$N" -c "$C" --ctl "$T/pkid.ctl" \
	--ca "$CA_NAME" --limit-seconds "$LIMIT_S" | tee "$T/bench.out"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "scep-bench exited $rc"
grep -q '^RESULT enrollments_per_s=[0-9.]* p50_ms=[0-9.]* p99_ms=[0-9.]* rsa_ops_per_s=[0-9]* limit_per_s=[0-9.]* ratio=[0-9.]*$' \
	"$T/bench.out" || fail "incomplete report"
if [ -n "${CA_EC:-}" ]; then
	grep -q '^EC ec_ops_per_s=[0-9]*$' "$T/bench.out" || fail "no ECDSA rate in the report"
fi
# Every enrollment is in pkid's database as an issued certificate.
issued=$(grep -c "PKCSReq tid .*: SUCCESS" "$T/pkid.log")
[ "$issued" -ge "$N" ] || fail "pkid logged $issued SUCCESS, expected $N"
if [ -n "${SMOKE:-}" ]; then echo "check-scep-bench: OK"; fi
