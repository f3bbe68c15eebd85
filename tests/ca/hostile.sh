#!/bin/bash
# check-ca-hostile: what an attacker puts in a request (issue 19 #6-#8).
#   #7  control characters in every request field that can reach a log
#       line or a `show` view (transactionID, subject, subjectAltName,
#       challenge): refused or escaped, never a forged line or a raw ESC
#   #8  RFC 5280 upper bounds on subject attributes (CN 64, ...)
#   #6  a CSR with a duplicated extension (two subjectAltNames) refused
# and, after all of it, ordinary requests (a 64-character CN, one SAN)
# are still issued with exactly what they asked for.
. tests/ca/lib.sh
ca_setup 18111
ca_conf "grant auto"
ca_start
sw_scepca

openssl genrsa -out "$T/k.pem" 2048 2>/dev/null
openssl req -new -x509 -key "$T/k.pem" -subj /CN=hostile -days 2 -out "$T/self.pem"
ESC=$'\x1b'

# csr NAME DN_LINES [EXT_LINES] [ATTR_LINES]: $T/NAME.der from a config
# file, so any byte can go into a field.
csr() {
	{
		printf '[req]\ndistinguished_name=dn\nprompt=no\n'
		printf 'string_mask=utf8only\nutf8=yes\n'
		[ -n "${3:-}" ] && printf 'req_extensions=ext\n'
		[ -n "${4:-}" ] && printf 'attributes=attr\n'
		printf '[dn]\n%s\n' "$2"
		[ -n "${3:-}" ] && printf '[ext]\n%s\n' "$3"
		[ -n "${4:-}" ] && printf '[attr]\n%s\n' "$4"
	} >"$T/$1.cnf"
	openssl req -new -key "$T/k.pem" -config "$T/$1.cnf" -outform der \
		-out "$T/$1.der" 2>"$T/$1.err" || fail "openssl req $1: $(cat "$T/$1.err")"
}
certs() { ctl --json "show certificates" $CA_NAME | jq length; }

# --- #7: the transactionID -----------------------------------------------
csr plain "CN=plain"
forged=$'t1\n%PKI-6-CS_GRANT: TESTCA: PKCSReq tid forged: SUCCESS\e[2J'
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" "$forged" "$T/plain.der"
expect_http "transactionID with a newline and ESC" 400 "$(post "$T/req.der")"
for tid in $'tab\there' $'del\x7f' $'bell\x07' 'semi;colon'; do
	req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" "$tid" "$T/plain.der"
	expect_http "transactionID $(printf %q "$tid")" 400 "$(post "$T/req.der")"
done

# --- #7: subject, subjectAltName and challenge with control characters ---
before=$(certs)
csr ctlsubj "CN=evil${ESC}[31mred"$'\x07'
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-ctl-subject "$T/ctlsubj.der"
expect_scep "subject with ESC and BEL" 2 2
csr ctlsan "CN=san-ctl" "subjectAltName=DNS:a${ESC}[2Jb.example"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-ctl-san "$T/ctlsan.der"
expect_scep "subjectAltName with ESC" 2 2
csr ctlpw "CN=pw-ctl" "" "challengePassword=pw${ESC}[2Jx"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-ctl-pw "$T/ctlpw.der"
expect_scep "challenge with ESC (no such password)" 2 2
[ "$(certs)" = "$before" ] || fail "a request with control characters was issued"

# Nothing raw reached the log or the show views.
grep -q "$ESC" "$T/pkid.log" && fail "a raw ESC reached the log"
grep -q $'\x07' "$T/pkid.log" && fail "a raw BEL reached the log"
grep -q '^.*%PKI-6-CS_GRANT: TESTCA: PKCSReq tid forged' "$T/pkid.log" &&
	fail "a forged CS_GRANT line reached the log"
for v in "show requests" "show requests verbose" "show certificates"; do
	ctl "$v" $CA_NAME >"$T/view" || fail "$v"
	grep -q "[$ESC"$'\x07'"]" "$T/view" && fail "$v shows a raw control character"
done
echo "ok: no forged line, no raw control character in the log or show views"

# --- #8: RFC 5280 upper bounds --------------------------------------------
cn64=$(printf 'c%.0s' {1..64})
rep() { printf "$1%.0s" $(seq "$2"); }
for what in "CN:65:commonName" "O:65:organizationName" "L:129:localityName" \
	"C:3:countryName" "CN:20000:commonName"; do
	IFS=: read -r sn n ln <<<"$what"
	$S csr "$T/k.pem" "$sn=$(rep x "$n")" >"$T/long.der" || fail "csr $what"
	req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" "t-long-$sn-$n" "$T/long.der"
	expect_scep "$sn of $n characters" 2 2
	grep -q "CS_CSR_REFUSED: TESTCA: tid t-long-$sn-$n: subject $ln is $n characters (RFC 5280 upper bound" \
		"$T/pkid.log" || fail "no reason logged for $sn of $n"
done
echo "ok: the refusal says which attribute and its RFC 5280 bound"

# --- #6: a duplicated extension -------------------------------------------
# The second subjectAltName by OID: openssl's config keeps one per name.
csr dup "CN=dup" $'subjectAltName=DNS:a.example\n2.5.29.17=DER:300482026262'
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-dup-san "$T/dup.der"
expect_scep "two subjectAltName extensions" 2 2
grep -q "CS_CSR_REFUSED: TESTCA: tid t-dup-san: extension subjectAltName (2.5.29.17) appears twice" \
	"$T/pkid.log" || fail "no reason logged for the duplicated extension"
csr othername "CN=other" "subjectAltName=otherName:1.2.3.4;UTF8:x"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-othername "$T/othername.der"
expect_scep "subjectAltName otherName (not copied by policy)" 2 2
[ "$(certs)" = "$before" ] || fail "a refused request was issued"

# --- a request for a CA is never granted by `grant auto` (issue 17) --------
csr wantca "CN=wantca" 'basicConstraints=critical,CA:TRUE'
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" "t-wantca" "$T/wantca.der"
expect_scep "asks for CA:TRUE under grant auto (waits for the operator)" 3 -
[ "$(certs)" = "$before" ] || fail "a CA request was issued by grant auto"

# --- what is allowed is issued, and only that -----------------------------
# The request asks for keyCertSign: the CA's own key usage is what counts.
csr ok "CN=${cn64}"$'\nO=pkid test' \
	$'subjectAltName=DNS:ok.example,IP:192.0.2.7\nkeyUsage=critical,keyCertSign'
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" "t-ok" "$T/ok.der"
expect_scep "64-character CN, one SAN, asks for keyCertSign" 0 -
serial=$(ctl --json "show certificates" $CA_NAME | jq '.[-1].serial')
openssl x509 -inform der -in "$T/db/$serial.cer" -noout -text >"$T/ok.txt" ||
	fail "no $serial.cer"
grep -q "DNS:ok.example, IP Address:192.0.2.7" "$T/ok.txt" || fail "SAN not copied"
[ "$(grep -c 'Subject Alternative Name' "$T/ok.txt")" = 1 ] || fail "SAN count"
grep -q "CA:FALSE" "$T/ok.txt" || fail "no CA:FALSE basicConstraints"
grep -q "Certificate Sign" "$T/ok.txt" && fail "the CSR's keyUsage was copied"
[ "$(certs)" = "$((before + 1))" ] || fail "certificate count"
echo "ok: issued with its one SAN, the CA's own basicConstraints and key usage"

kill -0 "$PKID_PID" || fail "pkid died"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-ca-hostile: OK"
