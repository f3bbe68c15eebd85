#!/bin/bash
# check-ca-certmonger: certmonger's scep-submit reads GetCACaps (-c) and
# GetCACert (-C); certmonger's daemon (session mode, private D-Bus, state
# in the temp dir) enrolls with a one-time challenge by GET, then renews
# (getcert rekey: PKCSReq signed with the old certificate, Cisco-style).
. tests/ca/lib.sh
ca_setup 18105
ca_conf "grant auto"
ca_start
sw_scepca
SUBMIT=/usr/lib/certmonger/scep-submit

caps=$($SUBMIT -u "$URL" -c) || fail "scep-submit -c"
grep -qx Renewal <<<"$caps" || fail "scep-submit -c: $caps"
$SUBMIT -u "$URL" -C >"$T/cm-cacert.pem" || fail "scep-submit -C"
openssl x509 -in "$T/cm-cacert.pem" -noout || fail "scep-submit -C output"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/cm-cacert.pem")" = 2 ] ||
	fail "scep-submit -C: want CA and RA certificates"
echo "ok: scep-submit -c, -C"

C=$T/cm
mkdir -p "$C"/{req,cas,local,tmp,home}
export CERTMONGER_REQUESTS_DIR=$C/req CERTMONGER_CAS_DIR=$C/cas \
	CERTMONGER_LOCAL_CA_DIR=$C/local CERTMONGER_TMPDIR=$C/tmp HOME=$C/home
pw=$(ctl --json "server password generate" $CA_NAME |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
# Everything inside one private session bus; certmonger is stopped at the end.
timeout 120 dbus-run-session -- bash -c '
	certmonger -s -n >"$0/daemon.log" 2>&1 &
	cm=$!
	trap "kill $cm; wait $cm" EXIT
	# Ours must own the bus name first, else D-Bus activates another.
	for ((i = 0; i < 100; i++)); do
		dbus-send --session --print-reply --dest=org.freedesktop.DBus \
			/org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
			string:org.fedorahosted.certmonger 2>/dev/null |
			grep -q "boolean true" && break
		sleep 0.1
	done
	getcert add-scep-ca -s -c PKID -u "$1" -N "$2" >/dev/null || exit 11
	getcert request -s -c PKID -I cm1 -f "$0/cert.pem" -k "$0/key.pem" \
		-N "CN=certmonger client" -L "$3" -w >/dev/null || exit 12
	getcert list -s -i cm1 | grep -q "status: MONITORING" || exit 13
	cp "$0/cert.pem" "$0/cert1.pem"
	getcert rekey -s -i cm1 -w >/dev/null || exit 14
	getcert list -s -i cm1 | grep -q "status: MONITORING" || exit 15
' "$C" "$URL" "$T/ca.pem" "$pw"
rc=$?
[ $rc = 0 ] || { tail -20 "$C/daemon.log"; fail "certmonger step failed ($rc)"; }
verify "$C/cert1.pem"
verify "$C/cert.pem"
s1=$(openssl x509 -in "$C/cert1.pem" -noout -serial)
s2=$(openssl x509 -in "$C/cert.pem" -noout -serial)
[ "$s1" != "$s2" ] || fail "rekey did not give a new certificate"
grep -q "PKCSReq.*SUCCESS" "$T/pkid.log" || fail "no PKCSReq in the log"
echo "ok: certmonger enroll (one-time password) and rekey (renewal)"
echo "check-ca-certmonger: OK"
