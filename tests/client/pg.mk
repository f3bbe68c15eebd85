# check-pg-client-enroll: tests/client/enroll.sh unchanged, with the CA
# pkid's records on a throwaway PostgreSQL (CA_PG=1, tests/lib/pg.sh); the
# client's trustpoint state stays in its local SQLite file.  The other
# PostgreSQL checks: tests/ca/pg.mk.
.PHONY: check-pg-client-enroll
check-pg-client-enroll: $(CLIENT_E2E_DEPS)
	CA_PG=1 timeout 300 tests/client/enroll.sh

CHECKS += check-pg-client-enroll
