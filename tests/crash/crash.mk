# tests/crash: crash safety under load.
#   check-crash   pkid killed with SIGKILL at random moments of enrollment
#                 storms (>= 20 rounds) and at every step of a CA rollover;
#                 after each restart no serial is reused, every certificate
#                 a client received is in the database, pending requests
#                 are intact, the CRL verifies and the rollover finishes
#                 exactly once.  Ports 18700-18799, temp dirs, bounded.
CRASH_STORM := $(BIN)/crash-storm
CRASH_STORM_OBJS := $(OBJ)/tests/crash/storm.o $(OBJ)/tests/crash/storm_send.o

$(CRASH_STORM_OBJS): CFLAGS += $(SCEP_CFLAGS)

$(CRASH_STORM): $(CRASH_STORM_OBJS) $(LIBSCEP) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(LIBSCEP) $(LIBPKID) \
		$(LDLIBS_BASE) \
		$(PKID_TP_LIBS)

ALL += $(CRASH_STORM)
CHECKS += check-crash

.PHONY: check-crash
check-crash: $(CRASH_STORM) $(CA_E2E_DEPS)
	timeout 900 tests/crash/storm.sh
