#!/bin/bash
# check-server-cli (reload): `pkictl reload` and SIGHUP re-read pkid.conf.
# A good change is applied live (grant mode manual -> auto while a client
# polls: the HTTP server keeps serving and the pending request survives);
# a broken file is refused with FILE:LINE and the old configuration keeps
# serving; locked CA fields and http changes are refused; SIGHUP does the
# same as the command.
. tests/server-cli/lib.sh
ca_setup 18510
ca_conf "! manual granting"
ca_start
sw_scepca
pid=$PKID_PID

expect_rc 0 "reload, nothing changed" pk reload
grep -q "configuration unchanged" "$T/out" || fail "reload: $(cat "$T/out")"

# An enrollment in flight: pending, the client polls across the reload.
sw_enroll dora --interval 1 --maxpolltime 60 &
client=$!
id=$(pending_id dora) || fail "dora's request never became pending"

# 1. grant auto through `pkictl reload`: applied at once.
ca_conf "grant auto"
expect_rc 0 "reload grant auto" pk --json reload
[ "$(jget 'j["changed"]' <"$T/out")" = True ] || fail "reload --json: $(cat "$T/out")"
pk show server $CA_NAME | grep -q "Granting mode is: auto" || fail "grant auto not applied"
wait_log "%PKI-5-CONFIG_RELOAD: $T/pkid.conf: configuration reloaded: server $CA_NAME"
sw_enroll eddie --interval 1 --maxpolltime 5 || fail "eddie (grant auto): $(tail -3 "$T/eddie.log")"
verify "$T/eddie.pem"
echo "ok: after reload, a new request is granted at once"
pk show requests $CA_NAME | grep -qE "^$id +pending" || fail "dora's pending request was dropped"
expect_rc 0 "grant the request made before the reload" pk server $CA_NAME grant "$id"
wait $client || fail "dora: $(tail -5 "$T/dora.log")"
verify "$T/dora.pem"
echo "ok: the enrollment in flight across the reload completed"

# 2. A broken file is refused with FILE:LINE; the old one keeps serving.
cp "$T/pkid.conf" "$T/good.conf"
echo " lifetime certificate banana" >>"$T/pkid.conf"
line=$(wc -l <"$T/pkid.conf")
expect_rc 2 "reload of a broken file" pk reload
grep -q "$T/pkid.conf:$line:" "$T/err" || fail "no FILE:LINE in: $(cat "$T/err")"
wait_log "%PKI-3-CONFIG_REFUSED: $T/pkid.conf:$line:"
kill -0 $pid || fail "pkid died on a broken file"
pk show server $CA_NAME | grep -q "Granting mode is: auto" || fail "old config lost"
sw_enroll fred --interval 1 --maxpolltime 5 || fail "fred after refused reload"
echo "ok: broken file refused, old configuration still serving"

# 3. Locked and restart-only changes are refused, nothing applied.
sed 's/issuer-name .*/issuer-name CN=another CA/; s/grant auto/grant none/' \
	"$T/good.conf" >"$T/pkid.conf"
expect_rc 2 "reload changing issuer-name" pk reload
grep -q "issuer-name is locked" "$T/err" || fail "no lock reason: $(cat "$T/err")"
pk show server $CA_NAME | grep -q "Granting mode is: auto" || fail "a refused reload applied grant none"
sed 's/^ip http server .*/ip http server 18511/' "$T/good.conf" >"$T/pkid.conf"
expect_rc 2 "reload changing the http port" pk reload
grep -q "need a restart" "$T/err" || fail "no reason: $(cat "$T/err")"
sed 's/^control-socket .*/control-socket \/nonexistent\/x.ctl/' "$T/good.conf" >"$T/pkid.conf"
expect_rc 2 "reload changing the control socket" pk reload

# 4. SIGHUP: the same reload from the signal.
sed 's/grant auto/grant none/; s/lifetime certificate 30/lifetime certificate 20/' \
	"$T/good.conf" >"$T/pkid.conf"
reloads=$(grep -c CONFIG_RELOAD "$T/pkid.log")
kill -HUP $pid
wait_more CONFIG_RELOAD "$reloads"
pk show server $CA_NAME | grep -q "Granting mode is: none" || fail "SIGHUP did not apply grant none"
pk show running-config | grep -qx " lifetime certificate 20" || fail "running-config not the new file"
sw_enroll gina --interval 1 --maxpolltime 5 && fail "grant none (after SIGHUP) issued"
echo "ok: SIGHUP applied grant none"
echo " hash md77" >>"$T/pkid.conf"
before=$(grep -c CONFIG_REFUSED "$T/pkid.log")
kill -HUP $pid
wait_more CONFIG_REFUSED "$before"
kill -0 $pid || fail "pkid died on SIGHUP with a broken file"
pk show server $CA_NAME | grep -q "Granting mode is: none" || fail "SIGHUP lost the old config"
echo "ok: SIGHUP with a broken file refused, pkid still serving"

# 5. The next certificate gets the reloaded lifetime.
sed 's/lifetime certificate 30/lifetime certificate 20/' "$T/good.conf" >"$T/pkid.conf"
expect_rc 0 "reload grant auto, lifetime 20" pk reload
sw_enroll hank --interval 1 --maxpolltime 5 || fail "hank: $(tail -3 "$T/hank.log")"
nb=$(date -d "$(openssl x509 -in "$T/hank.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$T/hank.pem" -noout -enddate | cut -d= -f2)" +%s)
days=$(((na - nb) / 86400))
[ "$days" = 20 ] || fail "hank lives $days days, want 20 (the reloaded lifetime)"
echo "ok: reloaded lifetime certificate applies to new certificates"
# 6. `no shutdown` through a reload starts a server that was shut down.
ca_kill TERM || fail "SIGTERM"
sed -i 's/^ no shutdown$/ shutdown/' "$T/pkid.conf"
CA_WAIT=GetCACaps ca_start
pk show server $CA_NAME | grep -Pzq "Status: disabled\n    State: shutdown\n" || fail "not shut down"
sed -i 's/^ shutdown$/ no shutdown/' "$T/pkid.conf"
enabled=$(grep -c "%PKI-6-CS_ENABLED: $CA_NAME" "$T/pkid.log")
expect_rc 0 "reload no shutdown" pk reload
# The reply comes once the server has started.
pk show server $CA_NAME | grep -q "Status: enabled" || fail "reload did not start the server"
[ "$(grep -c "%PKI-6-CS_ENABLED: $CA_NAME" "$T/pkid.log")" -gt "$enabled" ] ||
	fail "no CS_ENABLED after the reload"
curl -sf -o /dev/null "$URL?operation=GetCACert" || fail "GetCACert after no shutdown"
echo "ok: reload with no shutdown started the server"
echo "check-server-cli reload: OK"
