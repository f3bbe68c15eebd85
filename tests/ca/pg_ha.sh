#!/bin/bash
# check-pg-ha: three pkid nodes serve one CA from one PostgreSQL (issue 18),
# each with its own pkiksd (lab clock) and its own `database url` folder;
# the pkiksds share only the KEK file, so the CA key reaches nodes B and C
# as the wrapped blob node A stored, never in clear.
#  1. A starts first and is the leader (it makes the CA); B and C start as
#     followers, import the CA key from its blob, serve the same CA;
#     show server on A lists the three nodes; `server rollover` on a
#     follower is refused.
#  2. A storm of enrollments through all three nodes runs beside 3-5
#     (a client per node, one enrollment a second or so: it lasts through
#     them; how many completed in each step is printed).  A certificate
#     is revoked through a follower before the kill of step 3 and one
#     through a follower after it: every node's CRL then lists both.
#  3. Shadow generation: every node pauses right after the rollover key is
#     durable (PKID_TEST_PAUSE_AT=shadow-key); the leader reaches it and is
#     killed -9 there.  A follower takes over (printed: the time from the
#     kill to the rollover CA in the database) and finishes the rollover
#     CA; all three nodes then hand out the same GetNextCACert.
#  4. Promotion: the new leader pauses after the key promotion
#     (promote-key) and is killed -9 there; the next leader takes over,
#     finishes the promotion once: the CA is the rollover CA of step 3.
#  5. PostgreSQL restarted during the storm: the nodes come back by
#     themselves (an enrollment through each), with one leader; each of
#     these three certificates revoked through another node: every node's
#     CRL (the promoted CA's) lists them.
# Then: every certificate any client received is in PostgreSQL byte for
# byte, no serial twice, exactly one rollover.
# The clients' keys are kept across runs (client_key) and their lab time
# read without a process (lab_time): the storm used to cost a key
# generation and five processes an enrollment, beside the steps it tests.
NODES="a b c"
declare -A PORT=([a]=18131 [b]=18132 [c]=18133)
. tests/ca/pg_ha_lib.sh
ha_setup

# 1. A makes the CA and leads; B and C follow with the key from its blob.
node_start a
[ "$(role a)" = leader ] || fail "node a is not the leader: '$(role a)'"
node_spawn b
node_spawn c
node_wait b
node_wait c
for n in b c; do
	[ "$(role $n)" = follower ] || fail "node $n: role '$(role $n)', want follower"
	grep -q "KEY_RESTORED.*key $CA_NAME restored" "$T/$n/pkid.log" ||
		fail "node $n did not import the CA key from its blob"
done
for n in $NODES; do
	curl -sf -o "$T/ca-$n.der" "$(url $n)?operation=GetCACert" || fail "GetCACert $n"
done
cmp -s "$T/ca-a.der" "$T/ca-b.der" && cmp -s "$T/ca-a.der" "$T/ca-c.der" ||
	fail "the nodes serve different CA certificates"
cp "$T/ca-a.der" "$T/ca.der"
cp "$T/ca.der" "$T/ra.der"
openssl x509 -inform der -in "$T/ca.der" -out "$T/ca.pem" || fail "ca.der"
nodes() { nctl a --json "show server" $CA_NAME | jq '.nodes | length'; }
for ((i = 0; i < 50; i++)); do
	[ "$(nodes)" = 3 ] && break
	sleep 0.1
done
nodes=$(nodes)
[ "$nodes" = 3 ] || fail "show server on a knows $nodes nodes, want 3"
nctl a "show server" $CA_NAME | grep -q "Node .*: leader" || fail "show server text: no role"
# /metrics and show health say the same (Prometheus text checked when
# promtool is installed).
metric() { awk -v m="$2{ca=\"$CA_NAME\"}" '$1 == m { print $2 }' "$T/metrics-$1"; }
for n in a b; do
	curl -sf "http://127.0.0.1:${PORT[$n]}/metrics" >"$T/metrics-$n" || fail "GET /metrics on $n"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$T/metrics-$n" >"$T/promtool.out" 2>&1 ||
			fail "promtool ($n): $(cat "$T/promtool.out")"
	fi
	[ "$(metric $n pkid_ca_nodes)" = 3 ] || fail "$n: pkid_ca_nodes $(metric $n pkid_ca_nodes)"
	[ "$(metric $n pkid_database_connected)" = 1 ] || fail "$n: pkid_database_connected"
done
[ "$(metric a pkid_ca_leader)" = 1 ] && [ "$(metric b pkid_ca_leader)" = 0 ] ||
	fail "pkid_ca_leader: a $(metric a pkid_ca_leader), b $(metric b pkid_ca_leader)"
[ "$(nctl b --json "show health" | jq -r '.cas[0].cluster.role')" = follower ] ||
	fail "show health on b: $(nctl b --json "show health" | jq -c '.cas[0].cluster')"
nctl b "server rollover" $CA_NAME >"$T/roll-b.out" 2>&1 &&
	fail "a follower accepted server rollover"
grep -q "follower" "$T/roll-b.out" || fail "server rollover on b: $(cat "$T/roll-b.out")"
[ "$(db_step)" = 0 ] || fail "server rollover on a follower moved the rollover"
echo "ok: three nodes, one CA: a leads, b and c follow with the key from its blob"

pids=()
for n in $NODES; do enroll $n first-$n & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
for n in $NODES; do [ -s "$T/got/first-$n.der" ] || fail "first-$n: $(tail -3 "$T/got/first-$n.log")"; done
echo "ok: one enrollment through each node (at once)"

# serial_of NAME: the serial of received certificate NAME, decimal.
serial_of() {
	H=$(od -An -v -tx1 "$T/got/$1.der")
	H=${H//[$' \n']/}
	der_serial || fail "$1: no serial"
}
# revoke NODE NAME: certificate NAME revoked through NODE; REVOKED += it.
REVOKED=()
revoke() {
	local s
	s=$(serial_of "$2")
	nctl $1 "server revoke" $CA_NAME "$s" >/dev/null || fail "revoke $2 through $1"
	REVOKED+=("$s")
}
# crl_lists SERIAL...: every node's CRL lists each serial (20 s at most
# a node, 100 looks: a node publishes a CRL another made when it hears of
# it).
crl_lists() {
	local n s i x miss until
	for n in $NODES; do
		until=$((SECONDS + 20))
		for ((i = 0; i < 100 && SECONDS < until; i++)); do
			miss=
			curl -sf -o "$T/crl-$n.der" "http://127.0.0.1:${PORT[$n]}/crl/$CA_NAME.crl" &&
				openssl crl -inform der -in "$T/crl-$n.der" -noout -text >"$T/crl-$n.txt" 2>&1 ||
				miss=crl
			for s in "$@"; do
				x=$(printf '%X' "$s")
				((${#x} % 2)) && x=0$x
				grep -q "Serial Number: $x\$" "$T/crl-$n.txt" || miss="$miss $s"
			done
			[ -z "$miss" ] && break
			sleep 0.1
		done
		[ -z "$miss" ] || fail "node $n: its CRL does not list$miss"
	done
}
# stormed: how many storm enrollments completed so far.
stormed() {
	local f c=0
	for f in "$T"/got/s-*.der; do [ -s "$f" ] && c=$((c + 1)); done
	echo $c
}

# 2. The storm: one client per node, an enrollment then a pause of 1 s,
# until told to stop (at most 24 each).  Its keys are kept across runs,
# so it costs a pki --scep an enrollment, and it lasts through steps 3-5.
storm() { # storm NODE
	local i
	for ((i = 0; i < 24; i++)); do
		[ -e "$T/storm.stop" ] && break
		enroll $1 "s-$1-$i" || rm -f "$T/got/s-$1-$i.der"
		sleep 1
	done
}
for n in $NODES; do storm $n & STORM_PIDS+=($!); done
revoke b first-a

# 3. Shadow generation, its leader killed -9 right after the key step.
end=$(cert_time "$T/ca.pem" end)
lab_to $((end - 240 + 5))
for ((i = 0; i < 300; i++)); do [ -e "$T/a/shadow-key.reached" ] && break; sleep 0.1; done
[ -e "$T/a/shadow-key.reached" ] || fail "leader a never reached shadow-key"
[ "$(db_step)" = 1 ] || fail "at shadow-key: rollover step $(db_step), want 1"
S1=$(stormed)
kill -KILL "${PID[a]}"
t0=$(date +%s.%N)
{ wait "${PID[a]}"; } 2>/dev/null
PID[a]=
for ((i = 0; i < 300; i++)); do [ "$(db_step)" = 2 ] && break; sleep 0.05; done
t1=$(date +%s.%N)
[ "$(db_step)" = 2 ] || fail "no follower finished the rollover CA in 15 s (step $(db_step))"
new=
for n in b c; do [ "$(role $n)" = leader ] && new="$new$n"; done
[ ${#new} = 1 ] || fail "leaders after the kill: '$new', want one of b, c"
printf 'ok: leader a killed at shadow-key: node %s took over, rollover CA in the database %.2f s after the kill\n' \
	"$new" "$(echo "$t1 - $t0" | bc)"
grep -h "CS_LEADER.*resumed in" "$T/$new/pkid.log" | tail -1
TAKEOVER1=$(echo "$t1 - $t0" | bc)
node_start a
[ "$(role a)" = follower ] || fail "restarted a: role '$(role a)', want follower"
for n in $NODES; do
	for ((i = 0; i < 100; i++)); do
		URL=$(url $n) next_ca "$T/next-$n" "$T/ca.pem" 2>/dev/null && break
		sleep 0.1
	done
	[ -f "$T/next-$n/next-ca.der" ] || fail "node $n: no GetNextCACert"
done
cmp -s "$T/next-a/next-ca.der" "$T/next-b/next-ca.der" &&
	cmp -s "$T/next-a/next-ca.der" "$T/next-c/next-ca.der" ||
	fail "the nodes hand out different rollover CAs"
[ "$(pg_sql "SELECT count(*) FROM key_blob WHERE name = '$CA_NAME#'")" = 1 ] ||
	fail "rollover key blobs: $(pg_sql "SELECT count(*) FROM key_blob WHERE name = '$CA_NAME#'")"
echo "ok: one rollover CA, the same GetNextCACert on a, b and c"
revoke a first-b
crl_lists "${REVOKED[@]}"
echo "ok: first-a revoked through b before the kill, first-b through a after it: every node's CRL lists both"

# 4. Promotion: the leader pauses after the key promotion, is killed -9.
lead=$new
lab_to $((end + 3))
for ((i = 0; i < 300; i++)); do [ -e "$T/$lead/promote-key.reached" ] && break; sleep 0.1; done
[ -e "$T/$lead/promote-key.reached" ] || fail "leader $lead never reached promote-key"
S2=$(stormed)
kill -KILL "${PID[$lead]}"
t0=$(date +%s.%N)
{ wait "${PID[$lead]}"; } 2>/dev/null
PID[$lead]=
next=
for ((i = 0; i < 300; i++)); do
	[ -n "$next" ] && break
	for n in $NODES; do
		[ "$n" != "$lead" ] && [ -e "$T/$n/promote-key.reached" ] && next=$n
	done
	sleep 0.05
done
[ -n "$next" ] || fail "no follower took over the promotion in 15 s"
t1=$(date +%s.%N)
touch "$T/$next/promote-key.go"
for ((i = 0; i < 300; i++)); do [ "$(db_step)" = 0 ] && break; sleep 0.05; done
[ "$(db_step)" = 0 ] || fail "promotion not finished: step $(db_step)"
TAKEOVER2=$(echo "$t1 - $t0" | bc)
printf 'ok: leader %s killed at promote-key: node %s took over the promotion %.2f s after the kill\n' \
	"$lead" "$next" "$TAKEOVER2"
node_start $lead
for n in $NODES; do
	for ((i = 0; i < 100; i++)); do
		curl -sf -o "$T/cur-$n.der" "$(url $n)?operation=GetCACert" &&
			cmp -s "$T/cur-$n.der" "$T/next-a/next-ca.der" && break
		sleep 0.1
	done
	cmp -s "$T/cur-$n.der" "$T/next-a/next-ca.der" ||
		fail "node $n does not serve the promoted rollover CA"
done
[ "$(pg_sql "SELECT count(*) FROM key_blob WHERE name = '$CA_NAME#'")" = 0 ] ||
	fail "a rollover key blob is left after the promotion"
# Clients now trust and encrypt to the promoted CA.
cp "$T/next-a/next-ca.der" "$T/ca.der.new" && mv "$T/ca.der.new" "$T/ca.der"
echo "ok: promoted once: every node serves the step-3 rollover CA as the CA"

# 5. PostgreSQL restarted during the storm; nodes recover by themselves.
S3=$(stormed)
pg_restart || fail "pg_restart"
again() { # again NODE: enrolls through NODE (40 tries, 0.5 s apart)
	local i
	for ((i = 0; i < 40; i++)); do
		# one key for every try
		enroll $1 "after-pg-$1" && return 0
		rm -f "$T/got/after-pg-$1.der"
		sleep 0.5
	done
}
pids=()
for n in $NODES; do again $n & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
ok=
for n in $NODES; do [ -s "$T/got/after-pg-$n.der" ] && ok="$ok$n"; done
[ "$ok" = abc ] || fail "after the PostgreSQL restart only '$ok' enrolled"
leaders=0
for ((i = 0; i < 40; i++)); do
	leaders=0
	for n in $NODES; do [ "$(role $n)" = leader ] && leaders=$((leaders + 1)); done
	[ $leaders = 1 ] && break
	sleep 0.25
done
[ $leaders = 1 ] || fail "$leaders leaders after the PostgreSQL restart"
echo "ok: PostgreSQL restarted: every node enrolls again, one leader"
REVOKED=()
revoke b after-pg-a
revoke c after-pg-b
revoke a after-pg-c
crl_lists "${REVOKED[@]}"
echo "ok: after-pg-a, -b, -c revoked through b, c and a: every node's CRL lists them"

S4=$(stormed)
touch "$T/storm.stop"
for p in "${STORM_PIDS[@]}"; do wait "$p"; done
STORM_PIDS=()
echo "storm enrollments completed: $S1 before the kill at shadow-key, $((S2 - S1)) until the kill at promote-key, $((S3 - S2)) until the PostgreSQL restart, $((S4 - S3)) after it"

# Every certificate received is in PostgreSQL byte for byte; no serial twice.
got_in_db
got=$GOT
[ "$(pg_sql "SELECT count(*) - count(DISTINCT serial) FROM cert WHERE server = '$CA_NAME'")" = 0 ] ||
	fail "a serial twice"
cur=$(pg_sql "SELECT encode(cur_cert, 'hex') || ' ' || rollover FROM ca WHERE name = '$CA_NAME'")
[ "$cur" = "$(od -An -v -tx1 "$T/next-a/next-ca.der" | tr -d ' \n') 0" ] ||
	fail "the CA row is not the one rollover CA of step 3, promoted"
acts=$(cat "$T"/*/pkid.log | grep -c "CS_ROLLOVER_ACTIVATED")
[ "$acts" = 1 ] || fail "$acts promotions logged, want 1"
echo "ok: $got certificates received, all in PostgreSQL byte for byte, no serial twice; one rollover, one promotion"
printf 'takeover after kill -9 (s): shadow generation %.2f, promotion %.2f\n' "$TAKEOVER1" "$TAKEOVER2"
echo "check-pg-ha: OK"
