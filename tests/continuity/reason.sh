#!/bin/bash
# check-continuity-reason (issue 13 #5): a CA that cannot start says why.
# `database url` in a folder whose parent does not exist: show server used
# to say "waiting for authoritative time" on an authoritative clock; now it
# gives the folder and the errno, as does the CS_START_FAILED log line.
. tests/ca/lib.sh
ca_setup 19320
ca_conf "grant auto" "database url $T/no/such/db"
CA_WAIT=GetCACaps ca_start
# HTTP may answer before the CA's first start attempt: wait for its log.
for ((i = 0; i < 50; i++)); do
	grep -q "CS_START_FAILED" "$T/pkid.log" && break
	sleep 0.1
done
ctl "show server" $CA_NAME >"$T/show" || fail "show server: $(cat "$T/show")"
grep -q "waiting for authoritative time" "$T/show" &&
	fail "show server blames the clock: $(cat "$T/show")"
grep -Pzq "Status: disabled\n    State: \Qcannot create the database url folder $T/no/such/db: No such file or directory\E\n" "$T/show" ||
	fail "show server: $(cat "$T/show")"
grep -q "CS_START_FAILED.*cannot create the database url folder $T/no/such/db: No such file" "$T/pkid.log" ||
	fail "the start failure is not logged with its reason"
echo "ok: show server and the log give the real reason a CA is not running"
# (without authoritative time it still says so: check-ca-clock)
echo "check-continuity-reason: OK"
