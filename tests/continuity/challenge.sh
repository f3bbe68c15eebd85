#!/bin/bash
# check-continuity-challenge (issue 13 #2): the seed's client sends its
# trustpoint's `password` as a challenge to a CA with `grant auto` and no
# password: IOS ignores the challenge and grants; so does pkid, and says
# so in the log.  With a static password a wrong challenge is refused,
# and every rejection logs which check failed.
. tests/ca/lib.sh
ca_setup 19300

ca_conf "grant auto"
ca_start
sw_scepca
sw_enroll seed --password 'Rev0cati0n$Passw0rd' ||
	fail "grant auto, no password: a challenge was refused: $(tail -3 "$T/seed.log")"
verify "$T/seed.pem"
grep -q "CS_GRANT.*challenge ignored: no password configured, grant auto" "$T/pkid.log" ||
	fail "the ignored challenge is not logged"
echo "ok: grant auto without a password: the challenge is ignored, granted, logged"

# RenewalReq signed by a self-signed certificate: rejected, reason logged.
openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k.pem" -subj /CN=selfrenew -days 2 -out "$T/self.pem"
openssl x509 -in "$T/self.pem" -outform der -out "$T/self.der"
pki --gen --size 2048 >"$T/n.key"
pki --scep --url "$URL" --in "$T/n.key" --dn "CN=selfrenew,O=pkid test" \
	--cacert-enc "$T/ra.der" --cacert-sig "$T/ra.der" --cacert "$T/ca.der" \
	--cert "$T/self.der" --key "$T/k.pem" >/dev/null 2>"$T/selfrenew.log" &&
	fail "a RenewalReq signed by a stranger was granted"
grep -q "CS_REJECT.*FAILURE badRequest: the signer" "$T/pkid.log" ||
	fail "the bad signer's rejection gives no reason: $(grep CS_REJECT "$T/pkid.log")"
echo "ok: a stranger's renewal: rejected with its reason in the log"

ca_kill
ca_conf "grant auto" "password 0 Static-Secret1"
ca_start
sw_enroll wrong --password 'Rev0cati0n$Passw0rd' &&
	fail "a wrong challenge enrolled against a CA with a password"
grep -q badRequest "$T/wrong.log" || fail "wrong: $(tail -3 "$T/wrong.log")"
grep -q "CS_REJECT.*FAILURE badRequest: wrong challenge password" "$T/pkid.log" ||
	fail "the wrong challenge's rejection gives no reason"
grep -q "Rev0cati0n" "$T/pkid.log" && fail "the challenge reached the log"
# A wrong challenge makes the next one from this address wait (issue 19
# #5); wait as long as the CA said, then the right one grants.
w=$(grep -o 'next challenge is looked at in [0-9]* s' "$T/pkid.log" | tail -1 |
	grep -o '[0-9]* s$' | cut -d' ' -f1)
[ -n "$w" ] || fail "the wrong challenge's wait is not logged"
sleep "$w.2"
sw_enroll right --password 'Static-Secret1' || fail "right: $(tail -3 "$T/right.log")"
verify "$T/right.pem"
echo "ok: with a password: a wrong challenge is refused (reason logged), the right one grants"

ca_kill
ca_conf "grant none"
ca_start
sw_enroll nobody && fail "grant none granted"
grep -q "CS_REJECT.*FAILURE badRequest: grant none" "$T/pkid.log" ||
	fail "grant none's rejection gives no reason"
echo "ok: grant none: rejection logged with its reason"
echo "check-continuity-challenge: OK"
