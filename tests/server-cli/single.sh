#!/bin/bash
# check-server-cli (single): the key mode comes from pkid.conf
# (`ra-certificate none`, no -m flag): IOS single-key mode, GetCACert the
# bare CA certificate, strongSwan enrolls with the CA certificate in both
# roles.  The mode is fixed at the first start: a reload that changes it is
# refused, and a restart with the line removed stays in single-key mode.
. tests/server-cli/lib.sh
ca_setup 18520
# The two config lines of ours: errors name FILE:LINE (pkid -t).
ca_conf "grant auto" "ra-certificate maybe"
expect_rc 1 "pkid -t: ra-certificate maybe" $B/pkid -t -c "$T/pkid.conf"
grep -q "$T/pkid.conf:[0-9]*:.*maybe" "$T/err" || fail "no FILE:LINE: $(cat "$T/err")"
ca_conf "grant auto" "password"
expect_rc 1 "pkid -t: password without PW" $B/pkid -t -c "$T/pkid.conf"
grep -q "$T/pkid.conf:[0-9]*:.*password" "$T/err" || fail "no FILE:LINE: $(cat "$T/err")"
ca_conf "grant auto" "password 7 0822455D0A16" "ra-certificate auto"
expect_rc 0 "pkid -t: password 7, ra-certificate auto" $B/pkid -t -c "$T/pkid.conf"
ca_conf "grant auto" "ra-certificate none"
ca_start
ctype=$(curl -s -o "$T/ca.der" -w '%{content_type}' "$URL?operation=GetCACert")
[ "$ctype" = application/x-x509-ca-cert ] || fail "GetCACert type $ctype"
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" || fail "not one DER cert"
cp "$T/ca.der" "$T/ra.der" # the CA plays both roles
sw_enroll ivan || fail "ivan: $(tail -3 "$T/ivan.log")"
verify "$T/ivan.pem"
echo "ok: ra-certificate none -> single-key mode enrolls strongSwan"
expect_rc 0 "show server verbose" pk show server $CA_NAME verbose
grep -q "Key mode: single key (IOS)" "$T/out" || fail "show server: $(cat "$T/out")"
[ "$(pk --json show server $CA_NAME | jget 'j["key_mode"]')" = single ] || fail "key_mode"
pk show running-config | grep -qx " ra-certificate none" || fail "running-config lacks ra-certificate none"

# Changing the key mode of an existing CA: refused by reload...
ca_conf "grant auto"
expect_rc 2 "reload dropping ra-certificate none" pk reload
grep -q "ra-certificate is locked" "$T/err" || fail "no reason: $(cat "$T/err")"
# ... and ignored on restart: the CA key was made for single-key mode.
ca_kill TERM || fail "SIGTERM"
ca_start
ctype=$(curl -s -o "$T/ca2.der" -w '%{content_type}' "$URL?operation=GetCACert")
[ "$ctype" = application/x-x509-ca-cert ] || fail "after restart: GetCACert type $ctype"
cmp -s "$T/ca.der" "$T/ca2.der" || fail "after restart: another CA certificate"
sw_enroll judy || fail "judy after restart: $(tail -3 "$T/judy.log")"
verify "$T/judy.pem"
PKIKS_SOCKET=$PKIKS_SOCKET $B/pkictl --json show keys | grep -q "$CA_NAME-ra" &&
	fail "an RA key was made for a single-key CA"
echo "ok: the key mode chosen at first start survives a config change"
echo "check-server-cli single: OK"
