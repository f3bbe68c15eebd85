#!/bin/bash
# check-est-manual: EST under manual granting (no grant line).  A
# simpleenroll waits: 202 Accepted with Retry-After, nothing issued; the
# same request again is a poll of it (one pending request, still 202);
# after `server grant` the same request gets the certificate, and once
# more the same one; after `server reject` another request is refused
# (401, it came without credentials) and stays refused.
. tests/est/lib.sh
est_setup 19102
est_conf "! manual granting: no grant line"
est_start

pending() { # pending CN: the ids of CN's pending requests
	ctl --json "show requests" $CA_NAME |
		jq -r ".[] | select(.state == \"pending\" and (.subject | contains(\"CN=$1\"))) | .id"
}

n0=$(ncerts)
csr frank "/CN=frank/O=pkid test"
expect_http "simpleenroll, manual mode" 202 "$(enroll_post simpleenroll frank)"
retry=$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/ip' "$T/headers")
[ -n "$retry" ] && [ "$retry" -gt 0 ] || fail "202 without a Retry-After"
expect_http "the same request again" 202 "$(enroll_post simpleenroll frank)"
ids=$(pending frank)
[ "$(wc -w <<<"$ids")" = 1 ] || fail "pending requests of frank: '$ids', want one"
[ "$(ncerts)" = "$n0" ] || fail "a pending request was issued"
echo "ok: pending -> 202, Retry-After $retry s, one request, nothing issued"

ctl "server grant" $CA_NAME "$ids" >/dev/null || fail "grant $ids"
expect_http "the same request after the grant" 200 "$(enroll_post simpleenroll frank)"
p7_certs "$T/body" "$T/frank.pem"
verify "$T/frank.pem"
[ "$(pubkey_hash "$T/frank.pem")" = "$(openssl pkey -in "$T/frank.key" -pubout | sha256sum)" ] ||
	fail "frank's certificate is not for his key"
expect_http "and again" 200 "$(enroll_post simpleenroll frank)"
p7_certs "$T/body" "$T/frank2.pem"
cmp -s "$T/frank.pem" "$T/frank2.pem" || fail "a second certificate for one request"
[ "$(ncerts)" = $((n0 + 1)) ] || fail "$(ncerts) certificates, want $((n0 + 1))"
echo "ok: granted -> 200 with the certificate, once"

csr gina "/CN=gina/O=pkid test"
expect_http "gina, manual mode" 202 "$(enroll_post simpleenroll gina)"
ctl "server reject" $CA_NAME all >/dev/null || fail "reject all"
# The rejected request sent again (no credentials) is refused: the
# operator's reject stands; nothing is issued, nothing new queued.
expect_http "gina after the reject" 401 "$(enroll_post simpleenroll gina)"
expect_http "gina once more" 401 "$(enroll_post simpleenroll gina)"
[ -z "$(pending gina)" ] || fail "gina's rejected request is pending again"
[ "$(ncerts)" = $((n0 + 1)) ] || fail "a rejected request was issued"
echo "ok: rejected by the operator -> refused when asked again, nothing issued"
ca_kill TERM || fail "pkid did not stop cleanly"
echo "check-est-manual: OK"
