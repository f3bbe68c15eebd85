# PostgreSQL end to end (issue 18, docs/POSTGRESQL.md), each on a
# throwaway cluster (tests/lib/pg.sh: initdb as an unprivileged user, a
# Unix socket in its temp dir):
#   check-ca-pg             tests/ca/pg.sh: records in PostgreSQL byte for
#                           byte, 503 while the database is down, back by
#                           itself
#   check-pg-ca-enroll      the SQLite suites' scripts, unchanged, with the
#   check-pg-ca-manual      CA's records on PostgreSQL (CA_PG=1 in
#   check-pg-ca-restart     tests/ca/lib.sh and tests/client/lib.sh)
#   check-pg-client-enroll  (its rule: tests/client/pg.mk)
#   check-pg-two-nodes      tests/ca/pg_nodes.sh: two nodes, one CA, one
#                           database: a one-time password used once across
#                           them, a grant on one seen by a client polling
#                           the other, concurrent enrollments through both
# The storage suite itself on PostgreSQL is check-db-pg (tests/db/db.mk).
PG_CA_E2E := enroll manual restart

.PHONY: check-ca-pg $(PG_CA_E2E:%=check-pg-ca-%)
check-ca-pg: $(CA_E2E_DEPS)
	timeout 300 tests/ca/pg.sh

$(PG_CA_E2E:%=check-pg-ca-%): check-pg-ca-%: $(CA_E2E_DEPS)
	CA_PG=1 timeout 300 tests/ca/$*.sh

.PHONY: check-pg-two-nodes
check-pg-two-nodes: $(CA_E2E_DEPS)
	timeout 300 tests/ca/pg_nodes.sh

CHECKS += check-ca-pg $(PG_CA_E2E:%=check-pg-ca-%) check-pg-two-nodes

# check-pg-ha: three nodes, each its own pkiksd (one KEK file), one
# PostgreSQL: leadership and takeover after kill -9 during shadow
# generation and promotion, state on every node, PostgreSQL restarted
# during an enrollment storm, revocations through followers listed in
# every node's CRL (tests/ca/pg_ha.sh).  The clients' RSA keys are kept
# in $(B)/test-keys across runs (pg_ha_lib.sh: client_key).
.PHONY: check-pg-ha
check-pg-ha: $(CA_E2E_DEPS)
	timeout 420 tests/ca/pg_ha.sh

CHECKS += check-pg-ha

# check-pg-fence: a leader paused mid-step loses its lock session and
# cannot reconnect; the other node takes over; the paused step, let go,
# writes nothing (tests/ca/pg_fence.sh).
.PHONY: check-pg-fence
check-pg-fence: $(CA_E2E_DEPS)
	timeout 180 tests/ca/pg_fence.sh

CHECKS += check-pg-fence

# check-pg-cutoff: a node's link to PostgreSQL cut and restored; in a
# network namespace of its own (PostgreSQL listens on TCP port 5432 in a
# second one): tests/ca/pg_cutoff.sh.
.PHONY: check-pg-cutoff
check-pg-cutoff: $(CA_E2E_DEPS)
	unshare -n bash -c 'ip link set lo up && exec timeout 300 tests/ca/pg_cutoff.sh'

CHECKS += check-pg-cutoff

# check-pg-standby: a primary and a synchronous streaming standby; the
# primary crashes, the standby is promoted, both nodes carry on through a
# multi-host URL (target_session_attrs=read-write): tests/ca/pg_standby.sh.
.PHONY: check-pg-standby
check-pg-standby: $(CA_E2E_DEPS)
	timeout 420 tests/ca/pg_standby.sh

CHECKS += check-pg-standby

# check-pg-ra: an RA-mode CA with `database archive` on two nodes: one RA
# certificate (and successor) served by both, the archives in both
# folders, the follower enrolls through the RA after a takeover and
# promotes (tests/ca/pg_ra.sh).
.PHONY: check-pg-ra
check-pg-ra: $(CA_E2E_DEPS)
	timeout 300 tests/ca/pg_ra.sh

CHECKS += check-pg-ra

# check-pg-lead-lock: a node takes over while `show server` holds its CA
# lock (the lock order of the role change; found by make sim-ha):
# tests/ca/pg_lead_lock.sh.
.PHONY: check-pg-lead-lock
check-pg-lead-lock: $(CA_E2E_DEPS)
	timeout 300 tests/ca/pg_lead_lock.sh

CHECKS += check-pg-lead-lock

# check-pg-ocsp: `ocsp-url` on two nodes: one responder certificate (and
# its successor under the rollover CA) stored and served by both, its key
# from its wrapped blob; a revocation through either node answered
# "revoked" by the other; after a takeover and promotion the successor
# signs and the old responder is deleted (tests/ca/pg_ocsp.sh).
.PHONY: check-pg-ocsp
check-pg-ocsp: $(CA_E2E_DEPS)
	timeout 300 tests/ca/pg_ocsp.sh

CHECKS += check-pg-ocsp
