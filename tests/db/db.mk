# tests/db: pkid's storage layer (daemon/core/db*.c), CUnit, real
# processes for the concurrency and kill -9 cases.  check-db runs it on
# SQLite files in a temp dir; check-db-pg runs the same suite on a
# throwaway PostgreSQL (tests/lib/pg.sh: initdb as an unprivileged user,
# a Unix socket in its temp dir, no TCP port).
TEST_DB := $(BIN)/test-db
$(OBJ)/tests/db/test_db.o: CFLAGS += -Idaemon $(shell pkg-config --cflags libpq 2>/dev/null)

$(TEST_DB): $(OBJ)/tests/db/test_db.o $(OBJ)/tests/lib/cunit_run.o $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) $(PKID_CORE_LIBS) \
		$(shell pkg-config --libs cunit)

.PHONY: check-db
check-db: $(TEST_DB)
	$(TEST_DB)

.PHONY: check-db-pg
check-db-pg: $(TEST_DB)
	tests/db/run-pg.sh $(TEST_DB)

ALL += $(TEST_DB)
CHECKS += check-db check-db-pg

# Figures: certificates recorded per second with one fsync each.
BENCH_DB := $(BIN)/bench-db
$(OBJ)/tests/db/bench_db.o: CFLAGS += -Idaemon

$(BENCH_DB): $(OBJ)/tests/db/bench_db.o $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) $(PKID_CORE_LIBS)

.PHONY: bench-db
bench-db: $(BENCH_DB)
	$(BENCH_DB) 2000

.PHONY: bench-db-pg
bench-db-pg: $(BENCH_DB)
	tests/db/run-pg.sh $(BENCH_DB) 2000

ALL += $(BENCH_DB)
BENCHES += bench-db bench-db-pg
