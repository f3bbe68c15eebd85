# tests/schedule: the timing rules (libshared/schedule.c), CUnit, and the
# cross-check of `pkictl check` against the timers a running CA and
# trustpoint arm (tests/schedule/timers.sh, lab clock, ports 18960-18969).
TEST_SCHEDULE := $(BIN)/test-schedule

$(TEST_SCHEDULE): $(OBJ)/tests/schedule/test_schedule.o $(OBJ)/tests/lib/cunit_run.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) $(shell pkg-config --libs cunit)

.PHONY: check-schedule
check-schedule: $(TEST_SCHEDULE)
	$(TEST_SCHEDULE)

ALL += $(TEST_SCHEDULE)
CHECKS += check-schedule

.PHONY: check-schedule-timers
check-schedule-timers: $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance \
		       $(BIN)/pkiksd $(BIN)/pkictl $(BIN)/pkiks-keygen \
		       $(B)/pkiks-provider.so
	timeout 300 tests/schedule/timers.sh

CHECKS += check-schedule-timers
