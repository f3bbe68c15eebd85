#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lib/pg.sh: a throwaway PostgreSQL for the tests, from Debian's
# `postgresql` package: a copy of a template cluster (initdb once per
# build folder, pg_template) in a temporary folder, run as an unprivileged
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
#   pg_standby      a synchronous streaming replica of it (pg_basebackup),
#                   port 5433, its socket in $PG_SB_HOST; pg_promote makes
#                   it the primary, pg_crash stops the primary at once
# Before pg_start, optionally:
#   PG_LISTEN=ADDR  listen on TCP at ADDR too (port 5432: only inside a
#                   network namespace of the test's own), password
#                   authentication from the server's own subnets
#   PG_NETNS=PID    run the server in the network namespace of process PID
#                   (a test that cuts a node's link to it: tests/ca/pg_cutoff.sh)
set -u

pg_bindir() {
	local d
	d=$(pg_config --bindir 2>/dev/null)
	[ -x "$d/initdb" ] || d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$d/initdb" ] || { echo "pg.sh: no initdb (apt-get install postgresql)" >&2; return 1; }
	echo "$d"
}

# Run a server program as the cluster's owner (in PG_NETNS's namespace).
pg_as_owner() {
	local ns=()
	[ -n "${PG_NETNS:-}" ] && ns=(nsenter -t "$PG_NETNS" -n)
	if [ "$(id -u)" = 0 ]; then
		"${ns[@]}" runuser -u postgres -- "$@"
	else
		"${ns[@]}" "$@"
	fi
}

pg_ctl_run() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 30 \
		-l "$PG_DIR/log" "$@" >/dev/null
}

# The cluster every test copies (issue 18: initdb took 7-10 s of each
# PostgreSQL test on these 2 cores, a copy of a stopped cluster 0.5 s):
# initdb and CREATE DATABASE pkid once per build folder and PostgreSQL
# version, then `cp -a` per test.  Small, as the copy's time is its
# size: 1 MB WAL segments, not 16.  Made in a temp folder and renamed into
# place, so two tests starting at once at worst both make one; its
# password (random, made with it) is in its pw file, mode 0600.  Bump
# PG_TEMPLATE_REV when what pg_template makes changes.
PG_TEMPLATE_REV=3

pg_template_dir() {
	local top build ver
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	build=${PKID_BUILD:-build}
	[[ $build == /* ]] || build=$top/$build
	ver=$(basename "$(dirname "$PG_BIN")")
	echo "${PKID_PG_TEMPLATE:-$build/pg-template-$ver-r$PG_TEMPLATE_REV}"
}

pg_template() {
	local tpl=$1 tmp pw rc=0
	[ -f "$tpl/ready" ] && return 0
	mkdir -p "$(dirname "$tpl")" || return 1
	tmp=$(mktemp -d /tmp/pkid-pg-tpl-XXXXXX) || return 1
	[ "$(id -u)" = 0 ] && chown postgres: "$tmp"
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	printf '%s\n' "$pw" >"$tmp/pw"
	chmod 600 "$tmp/pw"
	[ "$(id -u)" = 0 ] && chown postgres: "$tmp/pw"
	# --no-sync: a template, copied before use; the copies fsync as
	# any cluster does (fsync = on below)
	pg_as_owner "$PG_BIN/initdb" -D "$tmp/data" -U "$PKID_TEST_PG_USER" \
		--pwfile="$tmp/pw" --auth=scram-sha-256 -E UTF8 --no-sync \
		--wal-segsize=1 --no-instructions >"$tmp/initdb.log" 2>&1 || rc=1
	cat >>"$tmp/data/postgresql.conf" <<-CONF
		listen_addresses = ''
		unix_socket_directories = '$tmp'
		port = $PKID_TEST_PG_PORT
		fsync = on
		max_connections = 50
	CONF
	[ $rc = 0 ] && pg_as_owner "$PG_BIN/pg_ctl" -D "$tmp/data" -w -t 60 \
		-l "$tmp/log" start >/dev/null || rc=1
	[ $rc = 0 ] && PGPASSWORD=$pw "$PG_BIN/psql" -q -d \
		"postgresql://$PKID_TEST_PG_USER@/postgres?host=$tmp&port=$PKID_TEST_PG_PORT" \
		-c 'CREATE DATABASE pkid' || rc=1
	pg_as_owner "$PG_BIN/pg_ctl" -D "$tmp/data" -w -t 60 -m fast stop \
		>/dev/null 2>&1 || rc=1
	if [ $rc = 0 ]; then
		rm -f "$tmp/data/postmaster.pid" "$tmp/data/log" 2>/dev/null
		touch "$tmp/ready"
		cp -a "$tmp" "$tpl.$$" && { mv -T "$tpl.$$" "$tpl" 2>/dev/null ||
			rm -rf "$tpl.$$"; }
	else
		cat "$tmp/initdb.log" "$tmp/log" >&2 2>/dev/null
	fi
	rm -rf "$tmp"
	[ -f "$tpl/ready" ]
}

pg_start() {
	local tpl pw
	PG_BIN=$(pg_bindir) || return 1
	PKID_TEST_PG_USER=pkid
	PKID_TEST_PG_PORT=5432
	tpl=$(pg_template_dir) && pg_template "$tpl" ||
		{ echo "pg.sh: no template cluster" >&2; return 1; }
	PG_DIR=$(mktemp -d /tmp/pkid-pg-XXXXXX)
	PKID_TEST_PG_HOST=$PG_DIR
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
	pw=$(cat "$tpl/pw")
	cp -a "$tpl/data" "$PG_DIR/data" || return 1
	cat >>"$PG_DIR/data/postgresql.conf" <<-CONF
		listen_addresses = '${PG_LISTEN:-}'
		unix_socket_directories = '$PG_DIR'
	CONF
	[ -n "${PG_LISTEN:-}" ] &&
		echo "host all all samenet scram-sha-256" >>"$PG_DIR/data/pg_hba.conf"
	# the server owner's copy, for the standby's replication connection
	printf '*:*:*:%s:%s\n' "$PKID_TEST_PG_USER" "$pw" >"$PG_DIR/pgpass.owner"
	chmod 600 "$PG_DIR/pgpass.owner"
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR/pgpass.owner"
	# the client's password file: host:port:db:user:password, mode 0600
	PGPASSFILE=$PG_DIR/pgpass
	printf '%s:%s:*:%s:%s\n' "$PG_DIR" "$PKID_TEST_PG_PORT" \
		"$PKID_TEST_PG_USER" "$pw" >"$PGPASSFILE"
	[ -n "${PG_LISTEN:-}" ] && printf '%s:%s:*:%s:%s\n' "$PG_LISTEN" \
		"$PKID_TEST_PG_PORT" "$PKID_TEST_PG_USER" "$pw" >>"$PGPASSFILE"
	chmod 600 "$PGPASSFILE"
	trap pg_stop EXIT
	pg_ctl_run start || { cat "$PG_DIR/log" >&2; return 1; }
	PKID_TEST_PG_URL="postgresql://$PKID_TEST_PG_USER@/pkid?host=$PG_DIR&port=$PKID_TEST_PG_PORT"
	export PKID_TEST_PG_HOST PKID_TEST_PG_PORT PKID_TEST_PG_USER PGPASSFILE \
		PKID_TEST_PG_URL
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

# A replica streaming from the cluster, synchronous: a commit returns
# only when the standby has it, so a failover loses no commit a client was
# answered for.  Its clients' password line is added to PGPASSFILE.
pg_standby() {
	local i
	PG_SB_PORT=5433
	PG_SB_HOST=$PG_DIR/sb
	mkdir -p "$PG_SB_HOST"
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_SB_HOST"
	pg_as_owner env PGPASSFILE="$PG_DIR/pgpass.owner" "$PG_BIN/pg_basebackup" \
		-D "$PG_DIR/standby" -X stream -h "$PG_DIR" -p "$PKID_TEST_PG_PORT" -N -c fast \
		-U "$PKID_TEST_PG_USER" >"$PG_DIR/basebackup.log" 2>&1 ||
		{ cat "$PG_DIR/basebackup.log" >&2; return 1; }
	pg_as_owner touch "$PG_DIR/standby/standby.signal"
	cat >>"$PG_DIR/standby/postgresql.conf" <<-CONF
		port = $PG_SB_PORT
		unix_socket_directories = '$PG_SB_HOST'
		synchronous_standby_names = ''
		primary_conninfo = 'host=$PG_DIR port=$PKID_TEST_PG_PORT user=$PKID_TEST_PG_USER passfile=$PG_DIR/pgpass.owner application_name=standby'
	CONF
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/standby" -w -t 30 \
		-l "$PG_DIR/standby.log" start >/dev/null || { cat "$PG_DIR/standby.log" >&2; return 1; }
	echo "synchronous_standby_names = 'standby'" >>"$PG_DIR/data/postgresql.conf"
	pg_ctl_run reload || return 1
	printf '%s:%s:*:%s:%s\n' "$PG_SB_HOST" "$PG_SB_PORT" "$PKID_TEST_PG_USER" \
		"$(head -1 "$PGPASSFILE" | cut -d: -f5-)" >>"$PGPASSFILE"
	export PG_SB_HOST PG_SB_PORT
	# streaming and synchronous: 30 s at most
	for ((i = 0; i < 300; i++)); do
		[ "$(pg_sql "SELECT count(*) FROM pg_stat_replication
			WHERE application_name = 'standby' AND sync_state = 'sync'")" = 1 ] && return 0
		sleep 0.1
	done
	echo "pg.sh: the standby is not streaming synchronously" >&2
	return 1
}

pg_crash() {
	pg_ctl_run -m immediate stop
}

pg_promote() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/standby" -w -t 30 promote >/dev/null
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	[ -d "$PG_DIR/standby" ] && pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/standby" \
		-m immediate stop >/dev/null 2>&1
	pg_ctl_run -m immediate stop 2>/dev/null
	rm -rf "$PG_DIR"
	PG_DIR=
}
