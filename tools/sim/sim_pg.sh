#!/bin/bash
# SPDX-License-Identifier: MIT
# tools/sim/sim_pg.sh CMD...: CMD (sim.py --ha) beside a throwaway
# PostgreSQL, the tests' own (tests/lib/pg.sh: a copy of the build's
# template cluster in a temp dir, run by an unprivileged user, a Unix
# socket only, SCRAM from a 0600 password file); its URL and password
# file reach CMD in PKID_TEST_PG_URL and PGPASSFILE.  The cluster is
# stopped and removed when CMD ends, and on SIGTERM/SIGINT (passed on
# to CMD, which then judges the run as far as it got).
. tests/lib/pg.sh
pg_start || { echo "sim_pg.sh: PostgreSQL did not start" >&2; exit 1; }
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT
wait $child
rc=$?
# a signal ended the first wait: wait for CMD's own end
kill -0 $child 2>/dev/null && { wait $child; rc=$?; }
exit $rc
