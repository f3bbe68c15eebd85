#!/bin/bash
# tools/sim/sim.sh: the real daemons through simulated years (issue 13).
# One CA pkid (auto-rollover) and PKIDS client pkids of TPS trustpoints
# each, all on one pkiksd --lab; the lab clock moves STEP_DAYS at a time
# through YEARS.  Trustpoints enroll by themselves (zero touch: fingerprint
# and auto-enroll), with auto-enroll percentages drawn from what
# `pkictl check` accepts.  After every step every exported identity is
# copied when new; tools/sim/analyze.py then checks, from the outside with
# the certificates alone, that each trustpoint held an identity and chain
# valid at every instant from its first enrollment on, and writes the
# figures and a timeline picture (SVG).
#
#   SIM_PIDS=2 SIM_TPS=5 SIM_YEARS=4 SIM_STEP_DAYS=5 tools/sim/sim.sh OUTDIR
#
# Ports 19350-19359.  Every wait is bounded.  What it does not do yet is
# in tools/sim/README.md.
set -u
B=build/bin
OUT=${1:?usage: sim.sh OUTDIR}
PIDS=${SIM_PIDS:-2}
TPS=${SIM_TPS:-5}
YEARS=${SIM_YEARS:-4}
STEP=$(( ${SIM_STEP_DAYS:-5} * 86400 ))
PORT=${SIM_PORT:-19350}
URL=http://127.0.0.1:$PORT/cgi-bin/pkiclient.exe
. tests/lib/keystore.sh
T=$(mktemp -d /tmp/pkid-sim.XXXXXX)
PIDLIST=()
cleanup() {
	local p
	for p in "${PIDLIST[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ks_twin_stop
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "sim: FAIL: $*" >&2; KEEP=1; exit 1; }
mkdir -p "$OUT/history" "$OUT/ca"
ks_twin_start "$T/ks" --lab || fail "pkiksd"
export PKIKS_QUIET=1
$B/pkictl clock calendar-valid >/dev/null || fail "clock"
lab_now() { $B/pkictl --json show clock | python3 -c 'import json,sys; print(json.load(sys.stdin)["now_ns"]//10**9)'; }

cat >"$T/ca.conf" <<EOF
clock calendar-valid
ip http server $PORT
control-socket $T/ca.ctl
crypto pki server SIMCA
 issuer-name CN=sim CA,O=pkid sim
 grant auto
 lifetime ca-certificate 1095
 lifetime certificate 365
 auto-rollover 90
 database url $T/cadb
 no shutdown
EOF
$B/pkid -f -c "$T/ca.conf" -s "$T/ca-state" -P "$PWD/build/pkiks-provider.so" >>"$T/ca.log" 2>&1 &
PIDLIST+=($!)
for ((i = 0; i < 200; i++)); do
	curl -sf -o /dev/null "$URL?operation=GetCACaps" && break
	sleep 0.05
done
fp=$($B/ctl-call "$T/ca.ctl" --json "show server" SIMCA | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
[ ${#fp} = 64 ] || fail "CA fingerprint"

# Clients: auto-enroll 80..95 % of 365 days leaves 18..73 days before the
# end; `pkictl check` accepts these with the 90-day overlap.
for ((k = 0; k < PIDS; k++)); do
	c=$T/cl$k.conf
	echo "control-socket $T/cl$k.ctl" >"$c"
	for ((i = 0; i < TPS; i++)); do
		pct=$((80 + (k * TPS + i) * 7 % 16))
		cat >>"$c" <<EOF
crypto pki trustpoint T${k}x$i
 enrollment url $URL
 subject-name CN=tp-$k-$i,O=pkid sim
 rsakeypair K${k}x$i
 fingerprint $fp
 auto-enroll $pct
 certificate export $T/exp/T${k}x$i.pem
EOF
	done
	$B/pkictl check -c "$c" --ca-lifetime 1095 --cert-lifetime 365 \
		--auto-rollover 90 >"$T/check$k.log" 2>&1 ||
		fail "pkictl check refuses client $k: $(cat "$T/check$k.log")"
done
mkdir -p "$T/exp"
for ((k = 0; k < PIDS; k++)); do
	$B/pkid -f -c "$T/cl$k.conf" -s "$T/cl$k-state" -P "$PWD/build/pkiks-provider.so" >>"$T/cl$k.log" 2>&1 &
	PIDLIST+=($!)
done

# Every trustpoint settled: enrolled, nothing pending or retrying.
settled() {
	local k
	for ((k = 0; k < PIDS; k++)); do
		$B/ctl-call "$T/cl$k.ctl" --json "show trustpoints" 2>/dev/null |
			python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d and all(t["state"]=="enrolled" for t in d) else 1)' ||
			return 1
	done
}
# name=state of every trustpoint that is not enrolled.
states() {
	local k
	for ((k = 0; k < PIDS; k++)); do
		$B/ctl-call "$T/cl$k.ctl" --json "show trustpoints" 2>/dev/null |
			python3 -c 'import json,sys; print(" ".join(t["name"]+"="+t["state"] for t in json.load(sys.stdin) if t["state"] != "enrolled"))'
	done
}
wait_settled() {
	local i
	for ((i = 0; i < ${SIM_SETTLE_TRIES:-600}; i++)); do
		settled && return 0
		sleep 0.1
	done
	return 1
}
collect() {
	local f h now
	now=$(lab_now)
	for f in "$T"/exp/*.pem; do
		[ -f "$f" ] || continue
		h=$(sha256sum "$f" | cut -c1-16)
		[ -f "$OUT/history/$(basename "$f" .pem).$h.pem" ] && continue
		cp "$f" "$OUT/history/$(basename "$f" .pem).$h.pem"
		echo "$now $(basename "$f" .pem).$h.pem" >>"$OUT/seen"
	done
	curl -sf "$URL?operation=GetCACert" -o "$T/cacert.p7" &&
		openssl pkcs7 -inform der -in "$T/cacert.p7" -print_certs -out "$T/cacert.pem" 2>/dev/null &&
		h=$(sha256sum "$T/cacert.pem" | cut -c1-16) &&
		cp "$T/cacert.pem" "$OUT/ca/ca.$h.pem"
}
start=$(lab_now)
wait_settled || fail "the trustpoints did not enroll by themselves"
collect
end=$((start + YEARS * 365 * 86400))
echo "$start" >"$OUT/start"
t0=$(date +%s)
steps=0
while [ "$(lab_now)" -lt "$end" ]; do
	$B/lab-advance "$STEP" || fail "lab-advance"
	steps=$((steps + 1))
	wait_settled || fail "step $steps (lab day $(( ($(lab_now) - start) / 86400 ))): not settled: $(states) (logs kept in $T)"
	collect
done
echo "$(lab_now)" >"$OUT/end"
grep -c "CS_GRANT" "$T/ca.log" >"$OUT/grants"
grep -c "CS_ROLLOVER_ACTIVATED" "$T/ca.log" >"$OUT/rollovers"
echo "$((PIDS * TPS))" >"$OUT/trustpoints"
echo "sim: $steps steps of $((STEP / 86400)) days, $((PIDS * TPS)) trustpoints, $(( $(date +%s) - t0 )) s"
python3 tools/sim/analyze.py "$OUT"
