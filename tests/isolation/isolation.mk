# tests/isolation: the proof that private keys stay out of pkid.  A real
# pkiksd + pkid enroll a strongSwan client; memscan then reads the whole
# memory of pkid (must not find the CA key's p, q, d) and of two processes
# that do hold the key (must find them: the search is not blind).
MEMSCAN := $(BIN)/memscan
KEYHOLDER := $(BIN)/keyholder

$(MEMSCAN): $(OBJ)/tests/isolation/memscan.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

$(KEYHOLDER): $(OBJ)/tests/isolation/keyholder.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

ALL += $(MEMSCAN) $(KEYHOLDER)

.PHONY: check-isolation
check-isolation: $(MEMSCAN) $(KEYHOLDER) $(CA_E2E_DEPS)
	timeout 300 tests/isolation/isolation.sh

CHECKS += check-isolation
