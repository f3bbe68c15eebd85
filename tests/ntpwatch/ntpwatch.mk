# tests/ntpwatch: pkiks-ntpwatch's decision (CUnit, synthetic states) and
# the tool end to end against a private pkiksd (check-ntpwatch.sh).
NTPW_T := tests/ntpwatch

$(BIN)/test-ntpwatch: $(OBJ)/$(NTPW_T)/test_decide.o $(OBJ)/tests/lib/cunit_run.o $(OBJ)/tools/pkiks-ntpwatch/decide.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcunit

$(BIN)/timex-probe: $(OBJ)/$(NTPW_T)/timex_probe.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

$(BIN)/ks-revoke: $(OBJ)/$(NTPW_T)/ks_revoke.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

ALL += $(BIN)/test-ntpwatch $(BIN)/timex-probe $(BIN)/ks-revoke

.PHONY: check-ntpwatch
check-ntpwatch: $(BIN)/test-ntpwatch $(BIN)/timex-probe $(BIN)/ks-revoke \
		$(BIN)/pkiks-ntpwatch $(BIN)/pkiksd $(BIN)/pkictl
	$(NTPW_T)/check-ntpwatch.sh

CHECKS += check-ntpwatch

# The real kernel: pkiks.ko in qemu, a real STA_UNSYNC cleared with
# adjtimex() and a real step (tests/ntpwatch/vm-ntpwatch.sh).  Needs what
# the tests/vm initramfs needs, plus our two binaries.
.PHONY: check-ntpwatch-vm
check-ntpwatch-vm: $(KMOD_KO) $(BIN)/pkiks-vmtest $(BIN)/test-keystore \
		$(KS_KEY_FILES) $(BIN)/pkiksd $(BIN)/pkiks-ntpwatch \
		$(BIN)/timex-probe
	$(NTPW_T)/vm-ntpwatch.sh 300

CHECKS += check-ntpwatch-vm
