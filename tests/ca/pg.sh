#!/bin/bash
# check-ca-pg: a pkid CA whose records live in PostgreSQL (database
# connection + database credentials; a throwaway cluster from
# tests/lib/pg.sh on a Unix socket in its temp dir).
#  - strongSwan enrolls three clients; every certificate a client received
#    is in PostgreSQL byte for byte, under a serial no other row has; the
#    CA's state and the schema version are there, the local SQLite file
#    holds none of the CA's records;
#  - a one-time password is stored as its hash only;
#  - PostgreSQL stopped: an enrollment is answered 503 (nothing issued
#    from memory) within the connect timeout, GetCACert and GetCACaps are
#    still served; PostgreSQL started again: the same pkid, not
#    restarted, enrolls again within a bounded time, with a serial above
#    every earlier one.
# (check-pg-ca-enroll, -manual, -restart and check-pg-client-enroll run the
# SQLite suites' scripts unchanged on PostgreSQL: tests/ca/pg.mk.)
CA_PG=1
. tests/ca/lib.sh
ca_setup 18117
ca_conf "grant auto"
ca_start
grep -q "database connection $PKID_TEST_PG_URL" "$T/pkid.conf" || fail "conf"

sw_scepca
for n in alice bob carol; do
	sw_enroll "$n" || fail "$n: $(cat "$T/$n.log")"
	verify "$T/$n.pem"
done
serial_of() { echo $((16#$(openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2))); }
for n in alice bob carol; do
	s=$(serial_of "$n")
	got=$(pg_sql "SELECT encode(der, 'hex') FROM cert WHERE server = '$CA_NAME' AND serial = $s")
	[ "$got" = "$(od -An -v -tx1 "$T/$n.der" | tr -d ' \n')" ] ||
		fail "$n (serial $s): not in PostgreSQL byte for byte"
done
echo "ok: alice, bob, carol: in PostgreSQL byte for byte"
[ "$(pg_sql "SELECT count(*) - count(DISTINCT serial) FROM cert WHERE server = '$CA_NAME'")" = 0 ] ||
	fail "a serial twice"
last=$(pg_sql "SELECT last_serial FROM ca WHERE name = '$CA_NAME'")
[ "$last" -ge "$(serial_of carol)" ] || fail "counter $last below carol's serial"
[ "$(pg_sql "SELECT count(*) FROM ca WHERE name = '$CA_NAME' AND cur_cert IS NOT NULL")" = 1 ] ||
	fail "no CA state in PostgreSQL"
want=$(sed -n 's/^#define DB_SCHEMA_VERSION  *\([0-9]*\)$/\1/p' daemon/core/db.h)
[ -n "$want" ] && [ "$(pg_sql "SELECT version FROM pkid_schema")" = "$want" ] ||
	fail "schema version: $(pg_sql "SELECT version FROM pkid_schema"), want $want"
if [ -f "$T/state/pkid.db" ]; then
	[ "$(sqlite3 "$T/state/pkid.db" "SELECT count(*) FROM cert")" = 0 ] ||
		fail "certificates in the local SQLite file"
fi
echo "ok: CA state, counter, schema 2 in PostgreSQL; none in SQLite"

pw=$(ctl --json "server password generate" $CA_NAME 10 |
	sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
[ -n "$pw" ] || fail "no one-time password"
[ "$(pg_sql "SELECT count(*) FROM otp WHERE server = '$CA_NAME'")" = 1 ] || fail "otp row"
pg_sql "SELECT encode(hash, 'escape') || encode(hash, 'hex') FROM otp" | grep -qF "$pw" &&
	fail "the one-time password is stored in clear"
echo "ok: one-time password stored as its hash"

# PostgreSQL goes away.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/k.pem" -subj /CN=dave \
	-outform der -out "$T/csr.der" 2>/dev/null || fail "csr"
openssl req -new -x509 -key "$T/k.pem" -subj /CN=dave -days 2 -out "$T/self.pem" || fail "self"
req 19 AES-128-CBC "$T/self.pem" "$T/k.pem" t-down "$T/csr.der"
pg_down || fail "pg_ctl stop"
t0=$(date +%s%N)
code=$(post "$T/req.der")
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$code" = 503 ] || fail "enrollment without the database: HTTP $code, want 503"
# connect_timeout is 3 s (db_pg.c): the answer may not wait longer
[ "$ms" -lt 4000 ] || fail "503 took $ms ms"
echo "ok: database down: enrollment answered 503 in $ms ms"
curl -sf -o /dev/null "$URL?operation=GetCACert" || fail "GetCACert without the database"
curl -sf -o /dev/null "$URL?operation=GetCACaps" || fail "GetCACaps without the database"
kill -0 "$PKID_PID" || fail "pkid died without its database"
echo "ok: database down: GetCACert, GetCACaps served"

pg_up || fail "pg_ctl start"
# Back by itself: a reconnect is tried at most every 2 s (PG_RETRY_NS), so
# within 20 tries 0.5 s apart.
t0=$(date +%s%N)
for ((i = 0; i < 20; i++)); do
	code=$(post "$T/req.der")
	[ "$code" = 200 ] && break
	sleep 0.5
done
[ "$code" = 200 ] || fail "no recovery after PostgreSQL came back: HTTP $code"
echo "ok: database back: enrollment answered after $((($(date +%s%N) - t0) / 1000000)) ms"
sw_enroll erin || fail "erin: $(cat "$T/erin.log")"
verify "$T/erin.pem"
[ "$(serial_of erin)" -gt "$(serial_of carol)" ] || fail "erin's serial not above carol's"
got=$(pg_sql "SELECT encode(der, 'hex') FROM cert WHERE serial = $(serial_of erin)")
[ "$got" = "$(od -An -v -tx1 "$T/erin.der" | tr -d ' \n')" ] || fail "erin not in PostgreSQL"
grep -q "connected again" "$T/pkid.log" || fail "reconnect not logged"
echo "ok: erin enrolled after the restart, serial $(serial_of erin), in PostgreSQL"

ca_kill TERM || fail "pkid did not stop cleanly on SIGTERM"
echo "check-ca-pg: OK"
