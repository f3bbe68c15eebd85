#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lib/pg.sh: a throwaway PostgreSQL for the tests, from Debian's
# `postgresql` package: initdb in a temporary folder, as an unprivileged
# user (postgres when we are root, else ourselves), listening on a Unix
# socket in that folder only (no TCP port: nothing to collide with), with
# SCRAM password authentication, so the password travels the way pkid's
# does: from a PGPASSFILE readable by its owner only.
#
# Source it, then:
#   pg_start        sets PKID_TEST_PG_HOST (the socket folder),
#                   PKID_TEST_PG_PORT, PKID_TEST_PG_USER, PGPASSFILE, and
#                   PKID_TEST_PG_URL (postgresql://USER@/DB?host=...&port=...
#                   with DB = pkid) and creates database pkid
#   pg_restart      stop and start the same cluster (fast shutdown)
#   pg_down, pg_up  stop it (fast: sessions are cut), start it again
#   pg_sql SQL      run SQL on database pkid, unaligned tuples only
#   pg_stop         stop it and remove the folder (also on EXIT)
set -u

pg_bindir() {
	local d
	d=$(pg_config --bindir 2>/dev/null)
	[ -x "$d/initdb" ] || d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$d/initdb" ] || { echo "pg.sh: no initdb (apt-get install postgresql)" >&2; return 1; }
	echo "$d"
}

# Run a server program as the cluster's owner.
pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_ctl_run() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 30 \
		-l "$PG_DIR/log" "$@" >/dev/null
}

pg_start() {
	PG_BIN=$(pg_bindir) || return 1
	PG_DIR=$(mktemp -d /tmp/pkid-pg-XXXXXX)
	PKID_TEST_PG_USER=pkid
	PKID_TEST_PG_PORT=5432
	PKID_TEST_PG_HOST=$PG_DIR
	local pw
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
	printf '%s\n' "$pw" >"$PG_DIR/pw.init"
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR/pw.init"
	chmod 600 "$PG_DIR/pw.init"
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PKID_TEST_PG_USER" \
		--pwfile="$PG_DIR/pw.init" --auth=scram-sha-256 -E UTF8 \
		--no-instructions >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; return 1; }
	rm -f "$PG_DIR/pw.init"
	cat >>"$PG_DIR/data/postgresql.conf" <<-CONF
		listen_addresses = ''
		unix_socket_directories = '$PG_DIR'
		port = $PKID_TEST_PG_PORT
		fsync = on
		max_connections = 50
	CONF
	# the client's password file: host:port:db:user:password, mode 0600
	PGPASSFILE=$PG_DIR/pgpass
	printf '%s:%s:*:%s:%s\n' "$PG_DIR" "$PKID_TEST_PG_PORT" \
		"$PKID_TEST_PG_USER" "$pw" >"$PGPASSFILE"
	chmod 600 "$PGPASSFILE"
	trap pg_stop EXIT
	pg_ctl_run start || { cat "$PG_DIR/log" >&2; return 1; }
	PKID_TEST_PG_URL="postgresql://$PKID_TEST_PG_USER@/pkid?host=$PG_DIR&port=$PKID_TEST_PG_PORT"
	export PKID_TEST_PG_HOST PKID_TEST_PG_PORT PKID_TEST_PG_USER PGPASSFILE \
		PKID_TEST_PG_URL
	"$PG_BIN/psql" -q -d "postgresql://$PKID_TEST_PG_USER@/postgres?host=$PG_DIR&port=$PKID_TEST_PG_PORT" \
		-c 'CREATE DATABASE pkid' || return 1
}

pg_restart() {
	pg_ctl_run -m fast restart
}

pg_down() {
	pg_ctl_run -m fast stop
}

pg_up() {
	pg_ctl_run start
}

pg_sql() {
	"$PG_BIN/psql" -qAtX -d "$PKID_TEST_PG_URL" -c "$1"
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	pg_ctl_run -m immediate stop 2>/dev/null
	rm -rf "$PG_DIR"
	PG_DIR=
}
