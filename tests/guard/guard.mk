# tests/guard: the enrollment-storm guard (daemon/guard.h) end to end, in
# network namespaces the test builds (see tests/guard/run.sh): a SYN flood
# from many sources is dropped at XDP while legitimate clients get through.
GUARD_LOADER := $(BIN)/pkid-guard-test
GUARD_FLOOD  := $(BIN)/guard-synflood

$(OBJ)/tests/guard/loader.o: CFLAGS += -Idaemon

$(GUARD_LOADER): $(OBJ)/tests/guard/loader.o $(PKID_GUARD_OBJS) \
		 $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(filter %.o,$^) $(LIBPKID) $(LDLIBS_BASE) \
		$(PKID_CORE_LIBS) $(PKID_GUARD_LIBS)

$(GUARD_FLOOD): $(OBJ)/tests/guard/synflood.o
	@mkdir -p $(@D)
	$(CC) -o $@ $^

.PHONY: check-guard bench-guard
check-guard: $(GUARD_LOADER) $(GUARD_FLOOD) $(BIN)/pkictl
	tests/guard/run.sh $(BIN)

bench-guard: $(GUARD_LOADER) $(GUARD_FLOOD)
	tests/guard/bench.sh $(BIN)

ALL += $(GUARD_LOADER) $(GUARD_FLOOD)
CHECKS += check-guard
BENCHES += bench-guard
