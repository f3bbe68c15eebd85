#!/bin/bash
# check-pg-cutoff: a node cut off from the database (issue 18).  Runs in a
# network namespace of its own (pg.mk: unshare -n).  PostgreSQL runs in a
# second one, reached by node A over a veth pair (TCP, 10.77.0.0/24) and
# by node B over its Unix socket.  A leads; then A's end of the link goes
# down (no FIN, no RST: what a cut cable or a dead switch does):
#  - an enrollment through A is answered 503 (within the TCP user timeout
#    of the call in flight, 15 s, then at once), nothing issued from
#    memory; GetCACert through A is still served;
#  - A stops acting as leader (its lock session fails within the same
#    15 s) and B takes the lead when the server drops A's session: the
#    server's keepalive on pkid's sessions (5 s idle, 3 probes 2 s apart)
#    or its user timeout (15 s); without them the server kept the dead
#    leader's lock for the operating system's 2 hours;
#  - B enrolls meanwhile.
# The link comes back: A enrolls again by itself, as a follower; one
# leader.  Every certificate received is in PostgreSQL byte for byte, no
# serial twice.
NODES="a b"
declare -A PORT=([a]=18137 [b]=18138)
# PostgreSQL's namespace: held by a sleeping process; the veth pair.
unshare -n sleep 900 &
NSPID=$!
ha_cleanup_more() { kill "$NSPID" 2>/dev/null; }
sleep 0.1
ip link add pkid-a type veth peer name pkid-pg netns "$NSPID" || { echo "FAIL: veth"; exit 1; }
ip addr add 10.77.0.1/24 dev pkid-a && ip link set pkid-a up || { echo "FAIL: pkid-a"; exit 1; }
nsenter -t "$NSPID" -n sh -c 'ip link set lo up && ip addr add 10.77.0.2/24 dev pkid-pg &&
	ip link set pkid-pg up' || { echo "FAIL: pkid-pg"; exit 1; }
PG_NETNS=$NSPID
PG_LISTEN=10.77.0.2
. tests/ca/pg_ha_lib.sh
ha_setup
DBURL[a]="postgresql://$PKID_TEST_PG_USER@10.77.0.2:$PKID_TEST_PG_PORT/pkid?application_name=pkid-a"
PAUSE[a]=
PAUSE[b]=
node_conf a

node_start a
[ "$(role a)" = leader ] || fail "node a is not the leader: '$(role a)'"
node_start b
[ "$(role b)" = follower ] || fail "node b: role '$(role b)', want follower"
[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pkid-a'
	AND client_addr = '10.77.0.1'")" -ge 2 ] || fail "node a: its sessions are not on the link"
fetch_ca a
enroll a first-a || fail "first-a: $(tail -3 "$T/got/first-a.log")"
echo "ok: a leads over the link, b follows; a enrolls"

# One PKCSReq for the 503 checks.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/k.pem" -subj /CN=cutoff-req \
	-outform der -out "$T/csr.der" 2>/dev/null || fail "csr"
openssl req -new -x509 -key "$T/k.pem" -subj /CN=cutoff-req -days 2 -out "$T/self.pem" || fail "self"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-cut "$T/csr.der"

# The cut.
ip link set pkid-a down || fail "link down"
t0=$(date +%s%N)
URL=$(url a)
code=$(post "$T/req.der")
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$code" = 503 ] || fail "enrollment through a cut off: HTTP $code, want 503"
# the call in flight waits at most the TCP user timeout (15 s, db_pg.c),
# and perhaps one connect attempt (connect_timeout 3 s), + 1 s
[ "$ms" -lt 19000 ] || fail "the first 503 took $ms ms"
t1=$(date +%s%N)
code=$(post "$T/req.der")
ms2=$((($(date +%s%N) - t1) / 1000000))
[ "$code" = 503 ] || fail "second enrollment through a cut off: HTTP $code, want 503"
# then at once, or a connect attempt (connect_timeout 3 s)
[ "$ms2" -lt 4000 ] || fail "the second 503 took $ms2 ms"
curl -sf -o "$T/ca-cut.der" "$URL?operation=GetCACert" || fail "GetCACert through a cut off"
cmp -s "$T/ca-cut.der" "$T/ca.der" || fail "a serves another CA certificate"
echo "ok: a cut off: enrollment 503 (first in $ms ms, then $ms2 ms), GetCACert served"

# Roles: a gives up (its lock session's calls fail), b takes over (the
# server dropped a's session): each within 15 s of TCP timeout + 0.5 s of
# leadership period, polled for 40 s.
ta= tb=
end=$(($(date +%s) + 40))
for ((i = 0; i < 400 && $(date +%s) < end; i++)); do
	[ -z "$ta" ] && [ "$(role a)" = follower ] && ta=$((($(date +%s%N) - t0) / 1000000))
	[ -z "$tb" ] && [ "$(role b)" = leader ] && tb=$((($(date +%s%N) - t0) / 1000000))
	[ -n "$ta" ] && [ -n "$tb" ] && break
	sleep 0.1
done
[ -n "$ta" ] || fail "a cut off still says leader after 40 s"
[ -n "$tb" ] || fail "b did not take the lead in 40 s (the server kept a's session)"
nctl a --json "show server" $CA_NAME | jq -e '.database.state == "lost"' >/dev/null ||
	fail "show server on a: $(nctl a --json "show server" $CA_NAME | jq -c .database)"
grep -q CS_LEADER_LOST "$T/a/pkid.log" || fail "a did not log CS_LEADER_LOST"
printf 'ok: a is a follower %.1f s after the cut, b the leader %.1f s after it\n' \
	"$(echo "$ta / 1000" | bc -l)" "$(echo "$tb / 1000" | bc -l)"
enroll b during-cut-b || fail "b during the cut: $(tail -3 "$T/got/during-cut-b.log")"
echo "ok: b enrolls during the cut"

# The link back: a enrolls again by itself (a reconnect is tried at most
# every 2 s: 40 tries 0.5 s apart), as a follower.
ip link set pkid-a up || fail "link up"
t0=$(date +%s%N)
ok=
for ((i = 0; i < 40; i++)); do
	# one key for every try (a new one costs an RSA key generation)
	enroll a "after-a" && { ok=1; break; }
	rm -f "$T/got/after-a.der"
	sleep 0.5
done
[ -n "$ok" ] || fail "a did not enroll again after the link came back"
printf 'ok: link back: a enrolls again %.1f s after\n' "$(echo "($(date +%s%N) - $t0) / 1000000000" | bc -l)"
[ "$(role a)" = follower ] && [ "$(role b)" = leader ] ||
	fail "after the cut: a '$(role a)', b '$(role b)', want follower and leader"

got_in_db
got=$GOT
[ "$(pg_sql "SELECT count(*) - count(DISTINCT serial) FROM cert WHERE server = '$CA_NAME'")" = 0 ] ||
	fail "a serial twice"
[ "$(pg_sql "SELECT count(*) FROM cert WHERE server = '$CA_NAME' AND subject LIKE '%first-a%'")" = 1 ] ||
	fail "the subject column: $(pg_sql "SELECT subject FROM cert LIMIT 1")"
[ "$(pg_sql "SELECT count(*) FROM cert WHERE server = '$CA_NAME' AND subject LIKE '%cutoff-req%'")" = 0 ] ||
	fail "a certificate was issued for the request answered 503"
echo "ok: $got certificates received, all in PostgreSQL byte for byte, no serial twice"
echo "check-pg-cutoff: OK"
