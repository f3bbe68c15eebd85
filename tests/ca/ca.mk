# tests/ca: the certificate server's tests (SCEP codec unit test, end-to-end
# enrollment with strongSwan and certmonger against a real pkid).
CA_TEST_SCEP := $(BIN)/test-scep

$(CA_TEST_SCEP): $(OBJ)/tests/ca/test_scep.o $(SCEP_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE) -lcunit

ALL += $(CA_TEST_SCEP)
CHECKS += check-ca-scep

.PHONY: check-ca-scep
check-ca-scep: $(CA_TEST_SCEP)
	$(CA_TEST_SCEP)

# Test helpers: a control-socket client and a SCEP client for bad input.
CA_CTL_CALL := $(BIN)/ctl-call
CA_SCEP_CLIENT := $(BIN)/scep-client

$(CA_CTL_CALL): $(OBJ)/tests/ca/ctl_call.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE) -ljansson

$(CA_SCEP_CLIENT): $(OBJ)/tests/ca/scep_client.o $(SCEP_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

CA_LAB_ADVANCE := $(BIN)/lab-advance

$(CA_LAB_ADVANCE): $(OBJ)/tests/ca/lab_advance.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE)

ALL += $(CA_CTL_CALL) $(CA_SCEP_CLIENT) $(CA_LAB_ADVANCE)

# End-to-end checks: real pkiksd twin, real pkid, real clients on loopback
# (ports 18100-18199), each in its own temp dir.
CA_E2E_DEPS := $(PKID) $(CA_CTL_CALL) $(CA_SCEP_CLIENT) $(CA_LAB_ADVANCE) \
	       $(BIN)/pkiksd \
	       $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
CA_E2E := enroll bad manual restart certmonger timers single

CHECKS += $(CA_E2E:%=check-ca-%)

.PHONY: $(CA_E2E:%=check-ca-%)
$(CA_E2E:%=check-ca-%): check-ca-%: $(CA_E2E_DEPS)
	timeout 300 tests/ca/$*.sh

BENCHES += bench-ca-enroll
.PHONY: bench-ca-enroll
bench-ca-enroll: $(CA_E2E_DEPS)
	timeout 600 tests/ca/bench.sh
