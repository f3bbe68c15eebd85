#!/bin/bash
# check-vm-hierarchy, inside the VM (installed as /tests.sh by
# lifecycle-files.sh, run by /init): three tiers on the REAL module with
# real time (issue 17): a root CA (ROOT), a subordinate CA (server SUB,
# mode sub-cs, auto-rollover 2 h; its trustpoint SUB enrolls at the root)
# and a router (trustpoint TP1 at the sub), three pkid sharing pkiks.ko.
# The root gives the sub 4 hours; `date -s` jumps carry the sub through
# its own rollover:
#   POLL (trustpoint SUB fetches the CA certificate the root granted),
#   CS SHADOW CERT GENERATION (the sub makes SUB#, the root certifies it
#   from the sub's end), the router's SHADOW, CS CERT EXPIRE (promotion,
#   the router switches).
# Each jump is a step of CLOCK_REALTIME: the module revokes its authority
# (clock/authoritative 0, clock/steps + 1), the overdue timer waits
# (sysfs state "waiting"), and `pkictl clock calendar-valid` -- what an
# operator does after setting the clock -- grants it again; the timer then
# fires, and what pkid did with it is checked.  openssl verify -attime on
# the router's chain root <- sub <- router at end - 1 s and end + 1 s.
# Prints ok/not ok lines and "PKIKS-VM-RESULT: PASS|FAIL n/m".
# /init runs this with busybox sh: bash (in the initramfs) it is.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
START="2027-03-01 12:00:00"
W=/tmp/hier
LOGS="root sub cl"
RPORT=18611
SPORT=18612
# shellcheck source=tests/vm/vmlib.sh
. /vmlib.sh
mkdir -p $W

# chain_ok AT ROOT SUB LEAF
chain_ok() { openssl verify -attime "$1" -CAfile "$2" -untrusted "$3" "$4"; }
chain_bad() { ! chain_ok "$@"; }
SURL=http://127.0.0.1:$SPORT/cgi-bin/pkiclient.exe
# get_pem URL N: the N-th certificate of GetCACert at URL.
get_pem() {
	curl -sf "$1?operation=GetCACert" | openssl pkcs7 -inform der -print_certs |
		awk -v n="$2" '/BEGIN/ { i++ } i == n' | openssl x509
}

echo "pkid three tiers in the VM, kernel $(uname -r) ($(uname -m))"
t0=$(up)
vm_start "$START"

# ------------------------------------------------------------ the root
cat >$W/root.conf <<EOF
clock calendar-valid
ip http server $RPORT
control-socket $W/root.ctl
crypto pki server ROOT
 issuer-name CN=pkid vm root CA,O=pkid
 grant auto rollover ca-cert
 lifetime certificate 0 4
 database url $W/rootdb
 no shutdown
EOF
start_pkid root
root_up() { test -n "$(jctl root show server ROOT | jq -r '.fingerprint // empty')"; }
check "the root pkid is up" wait_for 120 root_up
rootfp=$(jctl root show server ROOT | jq -r '.fingerprint // empty')
[ -n "$rootfp" ] || fatal "no root fingerprint"
echo "    root up after $(($(up) - t0)) s"

# ------------------------------------------------------------ the sub
cat >$W/sub.conf <<EOF
clock calendar-valid
ip http server $SPORT
control-socket $W/sub.ctl
crypto pki trustpoint SUB
 enrollment url http://127.0.0.1:$RPORT/cgi-bin/pkiclient.exe
 enrollment retry period 1
 fingerprint $rootfp
 certificate export $W/subtp.pem
crypto pki server SUB
 issuer-name CN=pkid vm sub CA,O=pkid
 mode sub-cs
 grant auto
 lifetime certificate 10
 auto-rollover 0 2
 database url $W/subdb
 no shutdown
EOF
start_pkid sub
pending_id() {
	jctl root show requests ROOT | jq -er \
		'[.[] | select(.state == "pending" and (.subject | contains("pkid vm sub CA")))][0].id // empty'
}
check "the sub's CA request is pending at the root (never auto-granted)" wait_for 120 pending_id
check "the root's operator grants it" ctl root server ROOT grant "$(pending_id)"
check "trustpoint SUB polls: POLL armed (sysfs)" wait_for 30 tdeadline SUB POLL
poll=$(tdeadline SUB POLL)
echo "== jump 1: to trustpoint SUB's POLL"
jump SUB POLL $((poll + 1))
sub_serving() { curl -sf -o /dev/null "$SURL?operation=GetCACert"; }
check "the sub got its CA certificate and serves" wait_for 60 sub_serving
get_pem $SURL 1 >$W/sub1.pem
get_pem $SURL 3 >$W/root.pem
check "the sub's GetCACert is [sub1, RA, root]" test "$(fp $W/root.pem)" = "$rootfp"
check "trustpoint SUB exported [sub1, root]" test "$(nth $W/subtp.pem 1 | fp)" = "$(fp $W/sub1.pem)"
check "sub1 verifies under the root" openssl verify -CAfile $W/root.pem $W/sub1.pem
send=$(cert_end $W/sub1.pem)
echo "    sub1 ends $(date -u -d "@$send" '+%F %T')"
check "CS CERT EXPIRE of SUB is armed at sub1's end (sysfs)" test "$(tdeadline SUB "CS CERT EXPIRE")" = "$send"
check "CS SHADOW CERT GENERATION of SUB at the end - 2 h (sysfs)" \
	test "$(tdeadline SUB "CS SHADOW CERT GENERATION")" = $((send - 7200))

# ------------------------------------------------------------ the router
cat >$W/cl.conf <<EOF
hostname router1
control-socket $W/cl.ctl
crypto pki trustpoint TP1
 enrollment url http://127.0.0.1:$SPORT/cgi-bin/pkiclient.exe
 subject-name CN=router1,O=pkid vm
 rsakeypair TP1KEY
 auto-enroll 80
 certificate export $W/tp1.pem
 certificate export-shadow $W/tp1-shadow.pem
EOF
start_pkid cl
check "the router pkid answers" wait_for 60 ctl cl show trustpoints
check "the router authenticates the sub" ctl cl trustpoint TP1 authenticate --accept
check "the router enrolls at the sub" ctl cl trustpoint TP1 enroll
check "the router's certificate is exported" wait_for 60 test -s $W/tp1.pem
cp $W/tp1.pem $W/router1.pem
nth $W/router1.pem 1 >$W/r1.pem
check "router1 ends with sub1 (truncated)" test "$(cert_end $W/r1.pem)" = "$send"
check "openssl: root <- sub1 <- router1 now" chain_ok "$(now)" $W/root.pem $W/sub1.pem $W/r1.pem

# ------------------------------------------------------------ the sub's rollover
gen=$(tdeadline SUB "CS SHADOW CERT GENERATION")
echo "== jump 2: to the sub's CS SHADOW CERT GENERATION"
jump SUB "CS SHADOW CERT GENERATION" $((gen + 1))
check "the sub made SUB# and holds its CA certificate from the root (CS_ROLLOVER_AVAILABLE)" \
	wait_for 120 log_has sub CS_ROLLOVER_AVAILABLE
check "the rollover key SUB# is in the module" wait_for 10 sh -c 'pkictl show keys | grep -qF "SUB#"'
check "the root issued it as a rollover CA certificate" log_has root "rollover CA certificate (new key)"

check "the router's SHADOW is armed before the sub's end (sysfs)" \
	wait_for 30 sh -c "d=\$(cat $(tdir TP1 SHADOW)/deadline) && [ \$((d / 1000000000)) -lt $send ]"
sh=$(tdeadline TP1 SHADOW)
[ -n "$sh" ] || fatal "no SHADOW timer of TP1"
echo "== jump 3: to the router's SHADOW"
jump TP1 SHADOW $((sh + 1))
check "the router SHADOWed against SUB#: its shadow pair is exported" wait_for 120 test -s $W/tp1-shadow.pem
nth $W/tp1-shadow.pem 1 >$W/r2-shadow.pem
nth $W/tp1-shadow.pem 2 >$W/sub2-shadow.pem
check "the shadow identity starts at the sub's end" test "$(cert_start $W/r2-shadow.pem)" = "$send"
check "the shadow CA (the sub's next) starts at the sub's end" test "$(cert_start $W/sub2-shadow.pem)" = "$send"
check "the router's SHADOW is re-armed at the sub's end: the switch (sysfs)" \
	test "$(tdeadline TP1 SHADOW)" = "$send"
check "openssl -attime end-1 s: root <- sub1 <- router1" chain_ok $((send - 1)) $W/root.pem $W/sub1.pem $W/r1.pem
check "openssl -attime end-1 s: the shadow chain is not valid yet" \
	chain_bad $((send - 1)) $W/root.pem $W/sub2-shadow.pem $W/r2-shadow.pem

# ------------------------------------------------------------ the sub's end
echo "== jump 4: to the sub's end (CS CERT EXPIRE)"
jump SUB "CS CERT EXPIRE" $((send + 2))
sub_new() { get_pem $SURL 1 >$W/sub2.pem && differs $W/sub1.pem $W/sub2.pem; }
check "the sub promoted SUB# -> SUB: GetCACert serves sub2" wait_for 120 sub_new
check "sub2 is the certificate the router shadowed" cmp -s $W/sub2.pem $W/sub2-shadow.pem
check "sub2 certifies a new key" test "$(pubkey $W/sub2.pem)" != "$(pubkey $W/sub1.pem)"
check "the sub's GetCACert is [sub2, RA, root]" test "$(get_pem $SURL 3 | fp)" = "$rootfp"
check "trustpoint SUB exports sub2" wait_for 30 sh -c "awk '/BEGIN CERT/ { i++ } i == 1' $W/subtp.pem | cmp -s - $W/sub2.pem"
sub_expire_moved() { test "$(tdeadline SUB "CS CERT EXPIRE")" = "$(cert_end $W/sub2.pem)"; }
check "the sub's next CS CERT EXPIRE is at sub2's end (sysfs)" wait_for 30 sub_expire_moved
router_new() { nth $W/tp1.pem 1 >$W/r2.pem && differs $W/r1.pem $W/r2.pem; }
check "the router switched to its shadow identity" wait_for 120 router_new
check "it is the shadow identity" cmp -s $W/r2.pem $W/r2-shadow.pem
check "the router's TP1 SHADOW fired (sysfs)" fired TP1 SHADOW "$send"
check "openssl -attime end+1 s: root <- sub2 <- router2" chain_ok $((send + 1)) $W/root.pem $W/sub2.pem $W/r2.pem
check "openssl -attime end+1 s: router1 is over" chain_bad $((send + 1)) $W/root.pem $W/sub1.pem $W/r1.pem
check "openssl -attime now: root <- sub2 <- router2" chain_ok "$(now)" $W/root.pem $W/sub2.pem $W/r2.pem
check "the sub refused no rollover certificate" not log_has sub "CS_SUB_ROLLOVER.*refused"
echo "    three tiers: $(($(up) - t0)) s of real time"
finish
