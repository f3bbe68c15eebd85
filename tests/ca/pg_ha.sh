#!/bin/bash
# check-pg-ha: three pkid nodes serve one CA from one PostgreSQL (issue 18),
# each with its own pkiksd (lab clock) and its own `database url` folder;
# the pkiksds share only the KEK file, so the CA key reaches nodes B and C
# as the wrapped blob node A stored, never in clear.
#  1. A starts first and is the leader (it makes the CA); B and C start as
#     followers, import the CA key from its blob, serve the same CA;
#     show server on A lists the three nodes; `server rollover` on a
#     follower is refused.
#  2. A storm of enrollments through all three nodes runs beside 3-5.
#  3. Shadow generation: every node pauses right after the rollover key is
#     durable (PKID_TEST_PAUSE_AT=shadow-key); the leader reaches it and is
#     killed -9 there.  A follower takes over (printed: the time from the
#     kill to the rollover CA in the database) and finishes the rollover
#     CA; all three nodes then hand out the same GetNextCACert.
#  4. Promotion: the new leader pauses after the key promotion
#     (promote-key) and is killed -9 there; the next leader takes over,
#     finishes the promotion once: the CA is the rollover CA of step 3.
#  5. PostgreSQL restarted during the storm: the nodes come back by
#     themselves (an enrollment through each), with one leader.
# Then: every certificate any client received is in PostgreSQL byte for
# byte, no serial twice, exactly one rollover.
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

for n in $NODES; do enroll $n first-$n || fail "first-$n: $(tail -3 "$T/got/first-$n.log")"; done
echo "ok: one enrollment through each node"

# 2. The storm: one client loop per node, at most 12 enrollments each
# (a new RSA key each: the machine's 2 cores are the limit), until told
# to stop.
storm() { # storm NODE
	local i
	for ((i = 0; i < 12; i++)); do
		[ -e "$T/storm.stop" ] && break
		enroll $1 "s-$1-$i" || rm -f "$T/got/s-$1-$i.der"
	done
}
for n in $NODES; do storm $n & STORM_PIDS+=($!); done

# 3. Shadow generation, its leader killed -9 right after the key step.
end=$(cert_time "$T/ca.pem" end)
lab_to $((end - 240 + 5))
for ((i = 0; i < 300; i++)); do [ -e "$T/a/shadow-key.reached" ] && break; sleep 0.1; done
[ -e "$T/a/shadow-key.reached" ] || fail "leader a never reached shadow-key"
[ "$(db_step)" = 1 ] || fail "at shadow-key: rollover step $(db_step), want 1"
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

# 4. Promotion: the leader pauses after the key promotion, is killed -9.
lead=$new
lab_to $((end + 3))
for ((i = 0; i < 300; i++)); do [ -e "$T/$lead/promote-key.reached" ] && break; sleep 0.1; done
[ -e "$T/$lead/promote-key.reached" ] || fail "leader $lead never reached promote-key"
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
pg_restart || fail "pg_restart"
ok=
for n in $NODES; do
	for ((i = 0; i < 40; i++)); do
		# one key for every try (a new one costs an RSA key generation)
		enroll $n "after-pg-$n" && { ok="$ok$n"; break; }
		rm -f "$T/got/after-pg-$n.der"
		sleep 0.5
	done
done
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

touch "$T/storm.stop"
for p in "${STORM_PIDS[@]}"; do wait "$p"; done
STORM_PIDS=()

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
