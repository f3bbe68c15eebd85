#!/bin/bash
# check-pg-standby: PostgreSQL's own failover under two pkid nodes (issue
# 18, docs/POSTGRESQL.md "Primary and standby").  A primary and a
# synchronous streaming standby (pg_basebackup, Debian's postgresql); both
# nodes connect with one multi-host URL, target_session_attrs=read-write,
# so libpq picks whichever server accepts writes.  After enrollments
# through both nodes the primary is stopped at once (a crash) and the
# standby promoted: both nodes enroll again by themselves (no restart),
# one of them leads, and every certificate any client received before or
# after is on the new primary byte for byte, no serial twice.
NODES="a b"
declare -A PORT=([a]=18139 [b]=18140)
. tests/ca/pg_ha_lib.sh
ha_setup
pg_standby || fail "no standby"
# Both servers in one URL, for the nodes and for the test's own queries.
PKID_TEST_PG_URL="postgresql://$PKID_TEST_PG_USER@/pkid?host=$PG_DIR,$PG_SB_HOST&port=$PKID_TEST_PG_PORT,$PG_SB_PORT&target_session_attrs=read-write"
for n in $NODES; do node_conf $n; done
grep -q "target_session_attrs=read-write" "$T/a/pkid.conf" || fail "conf"
echo "ok: primary and synchronous standby"

node_start a
[ "$(role a)" = leader ] || fail "node a is not the leader: '$(role a)'"
node_start b
[ "$(role b)" = follower ] || fail "node b: role '$(role b)', want follower"
fetch_ca a
for n in $NODES; do
	enroll $n "before-$n" || fail "before-$n: $(tail -3 "$T/got/before-$n.log")"
done
echo "ok: a leads, b follows, both enroll"

# The failover: the primary crashes, the standby is promoted.
pg_crash || fail "pg_crash"
t0=$(date +%s%N)
pg_promote || fail "pg_promote"
[ "$(pg_sql "SELECT pg_is_in_recovery()")" = f ] || fail "the standby was not promoted"
# Back by themselves: a reconnect is tried at most every 2 s (db_pg.c), so
# within 40 tries 0.5 s apart.
for n in $NODES; do
	ok=
	# one key for every try (each new one costs an RSA key generation)
	for ((i = 0; i < 40; i++)); do
		enroll $n "after-$n" && { ok=1; break; }
		rm -f "$T/got/after-$n.der"
		sleep 0.5
	done
	[ -n "$ok" ] || fail "node $n did not enroll on the promoted standby"
	printf 'ok: node %s enrolls on the promoted standby %.1f s after the crash\n' \
		"$n" "$(echo "($(date +%s%N) - $t0) / 1000000000" | bc -l)"
done
leaders=0
for ((i = 0; i < 40; i++)); do
	leaders=0
	for n in $NODES; do [ "$(role $n)" = leader ] && leaders=$((leaders + 1)); done
	[ $leaders = 1 ] && break
	sleep 0.25
done
[ $leaders = 1 ] || fail "$leaders leaders after the failover"
[ -n "$(lock_pid)" ] || fail "no leadership lock on the new primary"
grep -q "connected again" "$T/a/pkid.log" || fail "a's log does not say it reconnected"
echo "ok: one leader on the new primary"

got_in_db "the new primary"
got=$GOT
[ $got = 4 ] || fail "$got certificates received, want 4"
[ "$(pg_sql "SELECT count(*) - count(DISTINCT serial) FROM cert WHERE server = '$CA_NAME'")" = 0 ] ||
	fail "a serial twice"
echo "ok: $got certificates received, all on the new primary byte for byte, no serial twice"
echo "check-pg-standby: OK"
