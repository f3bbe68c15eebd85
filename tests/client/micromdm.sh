#!/bin/bash
# check-client-micromdm: a trustpoint enrolls from micromdm's scepserver
# (Debian package scep) and renews.  That CA envelopes its CertReps with a
# legacy cipher: the trustpoint opens them in a library context of its own
# and says so once (LEGACY_CIPHER).  It announces no GetNextCACert: the
# trustpoint notes at authenticate that there will be no SHADOW, arms
# RENEW and no SHADOW timer, and renews under the same CA.
#
# scepserver listens on every address of its port: the whole test runs in
# a network namespace of its own, holding only loopback.
[ -n "${PKID_IN_NETNS:-}" ] || exec unshare -n env PKID_IN_NETNS=1 "$0" "$@"
ip link set lo up || exit 1
. tests/client/lib.sh
command -v scepserver >/dev/null || fail "scepserver missing (apt-get install scep)"
cl_setup 18290
URL=http://127.0.0.1:$PORT/scep
MM_PID=
trap '[ -n "$MM_PID" ] && kill "$MM_PID" 2>/dev/null; cl_cleanup' EXIT

(cd "$T" && scepserver ca -init -depot depot -keySize 2048 -years 1) \
	>"$T/mm-ca.log" 2>&1 || fail "scepserver ca -init"
(cd "$T" && exec scepserver -depot depot -port "$PORT" -challenge mm-secret \
	-allowrenew 0 -crtvalid 30) >"$T/mm.log" 2>&1 &
MM_PID=$!
wait_for 10 curl -sf -o /dev/null "$URL?operation=GetCACaps" ||
	fail "scepserver did not answer within 10 s"

cl_conf "password 0 mm-secret" "auto-enroll 80"
cl_start
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 authenticate --accept \
	>/dev/null || fail "authenticate"
grep -q "trustpoint TP1: the CA announces no rollover CA certificate (GetNextCACert): no SHADOW" \
	"$T/cl.log" || fail "no note that there will be no SHADOW"
echo "ok: authenticated; no GetNextCACert noted"

PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null ||
	{ cat "$T/mm.log" >&2; fail "enroll"; }
[ -s "$T/tp1.pem" ] || fail "no exported certificate"
openssl verify -CAfile "$T/depot/ca.pem" "$T/tp1.pem" >/dev/null ||
	fail "the certificate does not verify against scepserver's CA"
n=$(grep -c "LEGACY_CIPHER: trustpoint TP1: the CA enveloped its answer with DES" "$T/cl.log")
[ "$n" = 1 ] || fail "LEGACY_CIPHER said $n times, want once"
[ -n "$(timer_at RENEW)" ] || fail "no RENEW armed"
[ -z "$(timer_at SHADOW)" ] || fail "a SHADOW timer without GetNextCACert"
echo "ok: enrolled ($(cert_field "$T/tp1.pem" serial)), $(grep -o 'answer with [A-Z0-9-]*' "$T/cl.log" | head -n 1); RENEW armed, no SHADOW"

cp "$T/tp1.pem" "$T/first.pem"
PKID_CTL_SOCKET=$T/cl.ctl $B/pkictl trustpoint TP1 enroll >/dev/null ||
	fail "renew"
[ "$(cert_field "$T/tp1.pem" serial)" != "$(cert_field "$T/first.pem" serial)" ] ||
	fail "the renewal gave no new certificate"
openssl verify -CAfile "$T/depot/ca.pem" "$T/tp1.pem" >/dev/null ||
	fail "the renewed certificate does not verify"
n=$(grep -c "LEGACY_CIPHER" "$T/cl.log")
[ "$n" = 1 ] || fail "LEGACY_CIPHER said $n times after the renewal, want once"
echo "ok: renewed under the same CA ($(cert_field "$T/tp1.pem" serial)), the warning not repeated"
echo "check-client-micromdm: OK"
