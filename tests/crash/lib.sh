# shellcheck shell=bash
# Helpers of the crash tests (source after tests/ca/lib.sh).
#
#   revoke_one        revoke a certificate a client received (not yet
#                     revoked), record its serial in $T/revoked
#   check_db WHAT     verify.py: the database against $T/out
#   check_crl WHAT    GetCRL verifies with the CA, lists every serial of
#                     $T/revoked, its number is >= the last one ($crl_no)

revoke_one() {
	local f s
	for f in "$T"/out/*.der; do
		[ -f "$f" ] || return 0
		s=$(openssl x509 -inform der -in "$f" -noout -serial | cut -d= -f2)
		s=$((16#$s))
		grep -qx "$s" "$T/revoked" && continue
		ctl "server revoke" "$CA_NAME" "$s" >/dev/null || fail "revoke $s"
		echo "$s" >>"$T/revoked"
		return 0
	done
}

check_db() {
	tests/crash/verify.py "$T/state/pkid.db" "$CA_NAME" "$T/out" \
		>"$T/verify.out" || { cat "$T/verify.out"; fail "$1: database"; }
}

check_crl() {
	local n s text
	curl -sf -o "$T/crl.der" "$URL?operation=GetCRL" || fail "$1: GetCRL"
	# Signature by the CA (openssl crl -CAfile verifies it).
	openssl crl -inform der -in "$T/crl.der" -CAfile "$T/ca.pem" -noout \
		2>"$T/crl.err" || { cat "$T/crl.err"; fail "$1: CRL does not verify"; }
	grep -q "verify OK" "$T/crl.err" || fail "$1: CRL not verified"
	text=$(openssl crl -inform der -in "$T/crl.der" -noout -text)
	n=$(sed -n '/X509v3 CRL Number/{n;s/[^0-9]//g;p}' <<<"$text")
	[ -n "$n" ] && [ "$n" -ge "$crl_no" ] ||
		fail "$1: CRL number '$n' after $crl_no"
	crl_no=$n
	while read -r s; do
		grep -qi "Serial Number: 0*$(printf '%X' "$s")\$" <<<"$text" ||
			fail "$1: serial $s revoked but not on the CRL"
	done <"$T/revoked"
}
