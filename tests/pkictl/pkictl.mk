# pkictl and pkiks-keygen tests (tests/pkictl/run.sh).
TEST_PKICTL_OBJS := $(OBJ)/tests/pkictl/test_pkictl.o \
	$(OBJ)/tests/provider/helpers.o $(OBJ)/tests/lib/cunit_run.o

$(BIN)/test-pkictl: $(TEST_PKICTL_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(TEST_PKICTL_OBJS) $(LIBPKID) $(LDLIBS_BASE) -lcunit

.PHONY: check-pkictl
check-pkictl: $(BIN)/test-pkictl $(BIN)/pkictl $(BIN)/pkiks-keygen \
		$(BIN)/pkiksd
	tests/pkictl/run.sh

ALL += $(BIN)/test-pkictl
CHECKS += check-pkictl
