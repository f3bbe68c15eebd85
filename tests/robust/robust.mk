# tests/robust: robustness fixes found by the benchmarks, end to end.
#   check-robust  the provider's key lookup survives a pkiksd restart;
#                 an acknowledged timer arm survives a pkiksd SIGKILL;
#                 pkid without /dev/log does not retry syslog per line
KEY_RELOAD := $(BIN)/key-reload
TIMER_ARM := $(BIN)/timer-arm

$(KEY_RELOAD): $(OBJ)/tests/robust/key_reload.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE)

$(TIMER_ARM): $(OBJ)/tests/robust/timer_arm.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE)

.PHONY: check-robust
check-robust: $(KEY_RELOAD) $(TIMER_ARM) $(PKIKS_PROVIDER) $(BIN)/pkiksd \
		$(BIN)/pkiks-keygen $(BIN)/pkictl
	timeout 300 tests/robust/run.sh

ALL += $(KEY_RELOAD) $(TIMER_ARM)
CHECKS += check-robust
