#!/bin/bash
# check-show-ios (live part): a CA pkid and a client pkid on loopback; the
# text of every IOS view is parsed with our TextFSM templates and each
# parsed field is compared with what openssl and --json say.
. tests/client/lib.sh
S=tests/show-ios
PY=/usr/bin/python3 # Debian's, with python3-textfsm
cl_setup 18290
ca_conf "grant auto" "auto-rollover 30"
ca_start
cl_conf "auto-enroll 80"
cl_start
pk() { $B/pkictl "$@"; }
PKID_CTL_SOCKET=$T/cl.ctl pk trustpoint TP1 authenticate --accept >/dev/null || fail "authenticate"
PKID_CTL_SOCKET=$T/cl.ctl pk trustpoint TP1 enroll >/dev/null || fail "enroll"
wait_for 10 test -s "$T/tp1.pem" || fail "TP1 did not enroll"
pk --ctl "$T/ca.ctl" server TESTCA rollover >/dev/null || fail "server rollover"
curl -sf "$URL?operation=GetCACert" -o "$T/ca.der" || fail "GetCACert"
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" 2>/dev/null ||
	openssl pkcs7 -inform der -in "$T/ca.der" -print_certs -out "$T/ca.pem" || fail "CA certificate"

# Every view, as typed on a router; `show server` etc. print the same.
pk --ctl "$T/ca.ctl" show crypto pki server TESTCA >"$T/server.txt" || fail "show crypto pki server"
pk --ctl "$T/ca.ctl" show server TESTCA | cmp -s - "$T/server.txt" ||
	fail "show server and show crypto pki server differ"
pk --ctl "$T/ca.ctl" --json show server TESTCA >"$T/server.json" || fail "--json show server"
pk --ctl "$T/ca.ctl" show crypto pki server TESTCA requests >"$T/requests.txt" ||
	fail "show crypto pki server requests"
pk --ctl "$T/ca.ctl" show requests TESTCA | cmp -s - "$T/requests.txt" ||
	fail "show requests and show crypto pki server requests differ"
pk --ctl "$T/ca.ctl" --json show requests TESTCA >"$T/requests.json" || fail "--json show requests"
pk --ctl "$T/ca.ctl" show requests TESTCA verbose >"$T/requests-verbose.txt" ||
	fail "show requests verbose"
pk --json show timers >"$T/timers1.json" || fail "--json show timers"
pk show crypto pki timers >"$T/timers.txt" || fail "show crypto pki timers"
pk --json show timers >"$T/timers2.json" || fail "--json show timers"
pk --ctl "$T/ca.ctl" show crypto pki certificates >"$T/ca-certs.txt" || fail "show crypto pki certificates (CA)"
pk --ctl "$T/ca.ctl" show certificates | cmp -s - "$T/ca-certs.txt" ||
	fail "show certificates and show crypto pki certificates differ"
pk --ctl "$T/ca.ctl" --json show certificates >"$T/ca-certs.json" || fail "--json show certificates"
pk --ctl "$T/ca.ctl" show crypto pki certificates verbose >"$T/ca-certs-verbose.txt" || fail "verbose"
pk --ctl "$T/cl.ctl" show crypto pki certificates TP1 >"$T/tp-certs.txt" || fail "show crypto pki certificates TP1"
pk --ctl "$T/cl.ctl" --json show timers >/dev/null || fail "--json show timers"
pk show crypto key mypubkey rsa >"$T/keys.txt" || fail "show crypto key mypubkey rsa"
pk show keys | cmp -s - "$T/keys.txt" || fail "show keys and show crypto key mypubkey rsa differ"
pk --json show keys >"$T/keys.json" || fail "--json show keys"
pk --ctl "$T/cl.ctl" show crypto pki trustpoints >"$T/tps.txt" || fail "show crypto pki trustpoints"
pk --ctl "$T/cl.ctl" show crypto pki trustpoints status >"$T/tps-status.txt" ||
	fail "show crypto pki trustpoints status"
renew=$(timer_at RENEW)
[ -n "$renew" ] || fail "no RENEW timer"
URL=$URL $PY $S/live.py "$T" "$renew" || fail "the IOS views do not say what pkid knows"
# The verbose forms carry pkid's extras, so IOS's templates refuse them.
$PY $S/parse.py $S/templates/show_crypto_pki_server_requests.textfsm "$T/requests-verbose.txt" \
	>/dev/null 2>&1 && fail "the requests template accepted pkid's verbose table"
grep -q "^  Fingerprint SHA256: " "$T/ca-certs-verbose.txt" || fail "verbose: no SHA-256 fingerprint"
$PY $S/parse.py $S/templates/show_crypto_pki_certificates.textfsm "$T/ca-certs-verbose.txt" >/dev/null 2>&1 &&
	fail "the plain template accepted the verbose form"
echo "ok: show-ios live: server, requests, timers, certificates (CA and TP1), keys, trustpoints [status] parse and match"
