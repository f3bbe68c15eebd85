#!/bin/bash
# check-pg-fence: a deposed leader's step does not commit (issue 18,
# fencing, docs/POSTGRESQL.md).  Two nodes, one PostgreSQL, each node its
# own pkiksd (one KEK).  Node A leads and makes the rollover CA; it is
# paused in that step with the certificate signed but not stored
# (PKID_TEST_PAUSE_AT=shadow-cert-signed, under the CA's lock).  The test
# then takes the leadership away from A the way a server or network can:
# A's lock session is terminated (pg_terminate_backend) while its other
# session lives, and A cannot open a new one (its socket path is gone),
# so B takes the lock, claims the next term and makes the rollover CA
# itself.  A is let go: its signed certificate must not reach the
# database (CS_LEADER_FENCED in its log); the row keeps B's.  Then A's
# socket comes back: A follows and hands out B's rollover CA.
# Before the fence, A's step overwrote B's rollover CA here.
NODES="a b"
declare -A PORT=([a]=18135 [b]=18136)
. tests/ca/pg_ha_lib.sh
ha_setup
# A reaches PostgreSQL through a socket folder of its own, a symlink the
# test can take away; a password-file line for that host.
mkdir -p "$T/sock-a"
ln -s "$PG_DIR/.s.PGSQL.$PKID_TEST_PG_PORT" "$T/sock-a/.s.PGSQL.$PKID_TEST_PG_PORT"
pw=$(head -1 "$PGPASSFILE" | cut -d: -f5-)
printf '%s:%s:*:%s:%s\n' "$T/sock-a" "$PKID_TEST_PG_PORT" "$PKID_TEST_PG_USER" "$pw" >>"$PGPASSFILE"
DBURL[a]="postgresql://$PKID_TEST_PG_USER@/pkid?host=$T/sock-a&port=$PKID_TEST_PG_PORT&application_name=pkid-a"
PAUSE[a]=shadow-cert-signed
PAUSE[b]=
node_conf a

node_start a
[ "$(role a)" = leader ] || fail "node a is not the leader: '$(role a)'"
node_start b
[ "$(role b)" = follower ] || fail "node b: role '$(role b)', want follower"
fetch_ca a
[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pkid-a'")" -ge 2 ] ||
	fail "node a: its sessions are not on its own socket"
echo "ok: a leads, b follows"

# A's shadow generation, paused between signing and storing.
end=$(cert_time "$T/ca.pem" end)
lab_to $((end - 240 + 5))
for ((i = 0; i < 300; i++)); do [ -e "$T/a/shadow-cert-signed.reached" ] && break; sleep 0.1; done
[ -e "$T/a/shadow-cert-signed.reached" ] || fail "leader a never reached shadow-cert-signed"
[ "$(db_step)" = 1 ] || fail "at shadow-cert-signed: rollover step $(db_step), want 1"

# Leadership taken away: no new session for A, its lock session ended.
rm -f "$T/sock-a/.s.PGSQL.$PKID_TEST_PG_PORT"
lp=$(lock_pid)
[ -n "$lp" ] || fail "nobody holds the leadership lock"
pg_sql "SELECT pg_terminate_backend($lp)" >/dev/null
t0=$(date +%s.%N)
for ((i = 0; i < 300; i++)); do [ "$(db_step)" = 2 ] && break; sleep 0.05; done
[ "$(db_step)" = 2 ] || fail "b did not make the rollover CA in 15 s (step $(db_step))"
printf 'ok: a deposed mid-step; b took over and made the rollover CA %.2f s after\n' \
	"$(echo "$(date +%s.%N) - $t0" | bc)"
[ "$(role b)" = leader ] || fail "b: role '$(role b)', want leader"
roll_b=$(pg_sql "SELECT encode(roll_cert, 'hex') FROM ca WHERE name = '$CA_NAME'")
[ "$(pg_sql "SELECT epoch FROM lead WHERE server = '$CA_NAME'")" = 2 ] ||
	fail "leadership terms: $(pg_sql "SELECT epoch, node FROM lead")"

# A goes on with its step: it must write nothing.  It says so, then
# (its leadership thread waited for the CA's lock) that it follows.
touch "$T/a/shadow-cert-signed.go"
for ((i = 0; i < 200; i++)); do grep -q CS_LEADER_LOST "$T/a/pkid.log" && break; sleep 0.05; done
grep -q CS_LEADER_LOST "$T/a/pkid.log" || fail "a did not finish its step in 10 s"
[ "$(pg_sql "SELECT encode(roll_cert, 'hex') FROM ca WHERE name = '$CA_NAME'")" = "$roll_b" ] ||
	fail "the deposed leader's step replaced b's rollover CA"
[ "$(db_step)" = 2 ] || fail "rollover step $(db_step) after a's step, want 2"
grep -q "CS_LEADER_FENCED.*term 1 is not written: term 2" "$T/a/pkid.log" ||
	fail "a's log does not say its step was fenced off"
grep -q "CS_ROLLOVER_AVAILABLE" "$T/a/pkid.log" && fail "a logged a rollover CA of its own"
echo "ok: the deposed leader's step wrote nothing (CS_LEADER_FENCED)"

# A's socket back: it follows and serves b's rollover CA.
ln -s "$PG_DIR/.s.PGSQL.$PKID_TEST_PG_PORT" "$T/sock-a/.s.PGSQL.$PKID_TEST_PG_PORT"
for ((i = 0; i < 150; i++)); do
	(URL=$(url a) next_ca "$T/next-a" "$T/ca.pem") >/dev/null 2>&1 &&
		[ "$(od -An -v -tx1 "$T/next-a/next-ca.der" | tr -d ' \n')" = "$roll_b" ] && break
	sleep 0.1
done
[ "$(od -An -v -tx1 "$T/next-a/next-ca.der" | tr -d ' \n')" = "$roll_b" ] ||
	fail "a does not hand out b's rollover CA (GetNextCACert)"
[ "$(role a)" = follower ] || fail "a: role '$(role a)', want follower"
[ "$(role b)" = leader ] || fail "b: role '$(role b)', want leader"
echo "check-pg-fence: OK"
