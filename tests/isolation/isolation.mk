# tests/isolation: the proof that private keys stay out of pkid.  A real
# pkiksd twin serves a CA pkid (RA mode) and a client pkid; after CA
# creation, rollover, promotion, enrollment and a RENEW with regenerate,
# blobkey opens every key's wrapped blob with the test's KEK, and memscan
# reads the whole memory of both pkid processes (must not find any key's
# p, q, d) and of pkiksd and keyholder, which do hold the keys (must find
# them: the search is not blind).  Ports 18850-18899.
MEMSCAN := $(BIN)/memscan
KEYHOLDER := $(BIN)/keyholder
BLOBKEY := $(BIN)/blobkey

$(MEMSCAN): $(OBJ)/tests/isolation/memscan.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

$(KEYHOLDER): $(OBJ)/tests/isolation/keyholder.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

$(BLOBKEY): $(OBJ)/tests/isolation/blobkey.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

ALL += $(MEMSCAN) $(KEYHOLDER) $(BLOBKEY)

.PHONY: check-isolation
check-isolation: $(MEMSCAN) $(KEYHOLDER) $(BLOBKEY) $(CA_E2E_DEPS) \
		 $(BIN)/pkiks-kek
	timeout 900 tests/isolation/isolation.sh

CHECKS += check-isolation
