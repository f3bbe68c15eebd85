#!/bin/bash
# check-continuity-health (issue 13, the watchdog): `pkictl show health`
# and GET /metrics turn red when a CA is inside its rollover window
# without a rollover CA, and green again when it has one.
#  - exit status 0 when all is well, 5 when something is at risk;
#  - /metrics: Prometheus text (promtool check metrics when installed),
#    the same facts as gauges, enrollment counters, latency histogram;
#  - the alert HEALTH_CA_NO_ROLLOVER is logged once, on the transition;
#  - `no ip http metrics` turns /metrics off.
# Lab clock: CA 10 min, window 4 min, cancel-delay 2 min.
. tests/ca/lib.sh
. tests/rollover/lib.sh
ca_setup 19345
ca_conf "grant auto" "lifetime ca-certificate 0 0 10" "auto-rollover 0 0 4" \
	"rollover cancel-delay 0 0 2"
ca_start
sw_scepca
end=$(cert_time "$T/ca.pem" end)
export PKID_CTL_SOCKET=$T/pkid.ctl
health() { $B/pkictl "$@" show health >"$T/health.out" 2>&1; echo $?; }
metric() {
	curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || fail "GET /metrics"
	awk -v m="$1" '$1 == m { print $2 }' "$T/metrics"
}
check_format() {
	command -v promtool >/dev/null || return 0
	promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$T/promtool.out")"
}

[ "$(health)" = 0 ] || fail "healthy CA: exit $(health): $(cat "$T/health.out")"
grep -q "^Health: ok" "$T/health.out" || fail "text: $(cat "$T/health.out")"
[ "$(metric 'pkid_ca_rollover_ready{ca="TESTCA"}')" = 0 ] || fail "rollover_ready before the window"
[ "$(metric pkid_health_risks)" = 0 ] || fail "risks on a healthy CA"
[ "$(metric 'pkid_ca_not_after_seconds{ca="TESTCA"}')" = "$end" ] || fail "pkid_ca_not_after_seconds"
[ "$(metric pkid_clock_authoritative)" = 1 ] || fail "pkid_clock_authoritative"
check_format
sw_enroll alice || fail "alice: $(cat "$T/alice.log")"
[ "$(metric 'pkid_enrollments_total{ca="TESTCA",outcome="granted"}')" = 1 ] ||
	fail "granted counter: $(grep enrollments "$T/metrics")"
[ "$(metric 'pkid_request_duration_seconds_count{ca="TESTCA"}')" -ge 1 ] ||
	fail "latency histogram count"
[ "$(metric 'pkid_request_duration_seconds_bucket{ca="TESTCA",le="+Inf"}')" = \
  "$(metric 'pkid_request_duration_seconds_count{ca="TESTCA"}')" ] || fail "+Inf bucket != count"
check_format
echo "ok: healthy: exit 0, metrics green, counters count, promtool $(command -v promtool >/dev/null && echo checked || echo absent)"

# Into the window: the rollover CA comes; then cancelled: red.
$B/lab-advance $((end - 240 + 5 - $(lab_now))) || fail "lab-advance"
wait_field "show server" rollover_status "available for rollover"
[ "$(health)" = 0 ] || fail "rollover ready: exit $(health): $(cat "$T/health.out")"
[ "$(metric 'pkid_ca_rollover_ready{ca="TESTCA"}')" = 1 ] || fail "rollover_ready with a rollover CA"
ctl "server rollover cancel" $CA_NAME >/dev/null || fail "cancel"
[ "$(health)" = 5 ] || fail "inside the window without a rollover CA: exit $(health)"
grep -q "AT RISK: inside its rollover window without a rollover CA" "$T/health.out" ||
	fail "text: $(cat "$T/health.out")"
sed 's/^/    | /' "$T/health.out"
[ "$(health --json)" = 5 ] || fail "--json: exit not 5"
[ "$(jq -r '.status + "/" + .cas[0].status' "$T/health.out")" = "at risk/at risk" ] ||
	fail "json: $(cat "$T/health.out")"
[ "$(metric 'pkid_ca_rollover_ready{ca="TESTCA"}')" = 0 ] || fail "rollover_ready after cancel"
[ "$(metric 'pkid_ca_at_risk{ca="TESTCA"}')" = 1 ] || fail "pkid_ca_at_risk"
[ "$(metric pkid_health_risks)" -ge 1 ] || fail "pkid_health_risks"
check_format
wait_for_log() {
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q "$1" "$T/pkid.log" && return 0
		sleep 0.1
	done
	return 1
}
wait_for_log "HEALTH_CA_NO_ROLLOVER.*TESTCA: inside its rollover window" ||
	fail "no HEALTH_CA_NO_ROLLOVER alert"
[ "$(grep -c HEALTH_CA_NO_ROLLOVER "$T/pkid.log")" = 1 ] || fail "the alert repeats"
echo "ok: inside the window without a rollover CA: exit 5, metrics red, one alert"

at=$($B/pkictl --json show timers |
	jq -r '.timers[] | select(.kind == "CS SHADOW CERT GENERATION" and .state != "expired") |
	.deadline_ns / 1000000000 | floor')
[ -n "$at" ] || fail "no deferred rollover"
$B/lab-advance $((at + 2 - $(lab_now))) || fail "lab-advance"
wait_field "show server" rollover_status "available for rollover"
[ "$(health)" = 0 ] || fail "rollover made again: exit $(health): $(cat "$T/health.out")"
[ "$(metric pkid_health_risks)" = 0 ] || fail "risks after the new rollover CA"
echo "ok: the deferred rollover CA made: green again"

ca_kill
sed -i "s/^ip http server $PORT\$/ip http server $PORT\nno ip http metrics/" "$T/pkid.conf"
ca_start
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
[ "$code" = 404 ] || fail "no ip http metrics: HTTP $code"
echo "ok: no ip http metrics: 404"
echo "check-continuity-health: OK"
