# tests/db: pkid's SQLite layer (daemon/db*.c), CUnit, real files in a
# temp dir, real processes for the concurrency and kill -9 cases.
TEST_DB := $(BIN)/test-db
$(OBJ)/tests/db/test_db.o: CFLAGS += -Idaemon

$(TEST_DB): $(OBJ)/tests/db/test_db.o $(OBJ)/tests/lib/cunit_run.o $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) $(PKID_CORE_LIBS) \
		$(shell pkg-config --libs cunit)

.PHONY: check-db
check-db: $(TEST_DB)
	$(TEST_DB)

ALL += $(TEST_DB)
CHECKS += check-db

# Figures: certificates recorded per second with one fsync each.
BENCH_DB := $(BIN)/bench-db
$(OBJ)/tests/db/bench_db.o: CFLAGS += -Idaemon

$(BENCH_DB): $(OBJ)/tests/db/bench_db.o $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) $(PKID_CORE_LIBS)

.PHONY: bench-db
bench-db: $(BENCH_DB)
	$(BENCH_DB) 2000

ALL += $(BENCH_DB)
BENCHES += bench-db
