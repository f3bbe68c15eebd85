# tests/config: the pkid.conf parser (libshared/config*.c), CUnit.
TEST_CONFIG := $(BIN)/test-config

$(TEST_CONFIG): $(OBJ)/tests/config/test_config.o $(OBJ)/tests/lib/cunit_run.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) $(shell pkg-config --libs cunit)

.PHONY: check-config
check-config: $(TEST_CONFIG)
	$(TEST_CONFIG)

ALL += $(TEST_CONFIG)
CHECKS += check-config

# The parser under libFuzzer (clang): nothing crashes, every refusal says
# why, and whatever parses survives print → parse unchanged.  A short run
# from the seed corpus in tests/config/corpus; longer by hand:
#   build/bin/fuzz-config -max_total_time=600 build/fuzz/config tests/config/corpus
FUZZ_CONFIG := $(BIN)/fuzz-config
FUZZ_CONFIG_SRCS := tests/config/fuzz_config.c \
		    $(wildcard libshared/config*.c)

$(FUZZ_CONFIG): $(FUZZ_CONFIG_SRCS) libshared/config.h \
		libshared/config_internal.h
	@mkdir -p $(@D)
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Ilibshared \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $(FUZZ_CONFIG_SRCS)

.PHONY: check-config-fuzz
check-config-fuzz: $(FUZZ_CONFIG)
	@mkdir -p $(B)/fuzz/config
	$(FUZZ_CONFIG) -max_total_time=10 -print_final_stats=1 \
		$(B)/fuzz/config tests/config/corpus 2>&1 | tail -4; \
		exit $${PIPESTATUS[0]}

CHECKS += check-config-fuzz
