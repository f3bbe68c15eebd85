# Provider tests and benchmark (tests/provider/run.sh, bench.sh).
TEST_PROVIDER_OBJS := $(OBJ)/tests/provider/test_provider.o \
	$(OBJ)/tests/provider/helpers.o $(OBJ)/tests/lib/cunit_run.o
BENCH_PROVIDER_OBJS := $(OBJ)/tests/provider/bench_provider.o

$(BIN)/test-provider: $(TEST_PROVIDER_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(TEST_PROVIDER_OBJS) $(LIBPKID) $(LDLIBS_BASE) -lcunit

$(BIN)/bench-provider: $(BENCH_PROVIDER_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(BENCH_PROVIDER_OBJS) $(LIBPKID) $(LDLIBS_BASE)

.PHONY: check-provider bench-provider
check-provider: $(BIN)/test-provider $(PKIKS_PROVIDER) $(BIN)/pkiksd \
		$(BIN)/pkiks-keygen
	tests/provider/run.sh

bench-provider: $(BIN)/bench-provider $(PKIKS_PROVIDER) $(BIN)/pkiksd \
		$(BIN)/pkiks-keygen
	tests/provider/bench.sh

ALL += $(BIN)/test-provider $(BIN)/bench-provider
CHECKS += check-provider
BENCHES += bench-provider
