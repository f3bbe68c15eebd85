# tests/bench: the figures besides enrollment throughput (tools/scep-bench).
#   bench-crl     CRL re-sign time with 100,000 revoked certificates in the
#                 database (pkid's `server revoke` through the control
#                 socket), CRL size, verified with openssl
#   bench-rss     pkid's VmRSS/VmHWM with an empty database and with
#                 100,000 issued certificates, idle and while serving
#   bench-timers  keystore timer firing delay (arrival - deadline, p50/p99/
#                 max) on the pkiksd twin; the module's figure from the VM
#                 (same tool, build/bin/timer-delay, with the module loaded)
#   bench-ha      enrollments/s through 1, 2, 3 nodes on one PostgreSQL
#                 against one SQLite node; takeover time after kill -9 of
#                 the leader, median and worst (issue 18, 18760-18763)
# Each runs its own pkiksd and pkid on 127.0.0.1:18750-18759 in a temp dir.
TIMER_DELAY := $(BIN)/timer-delay

$(TIMER_DELAY): $(OBJ)/tests/bench/timer_delay.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE)

ALL += $(TIMER_DELAY)
BENCHES += bench-crl bench-rss bench-timers bench-ha

# tests/ca/ca.mk and tests/crash/crash.mk are read after this file: their
# names are expanded late.
.SECONDEXPANSION:
.PHONY: bench-crl bench-rss bench-timers bench-ha
bench-crl bench-rss: $$(CRASH_STORM) $$(CA_E2E_DEPS)
bench-ha: $$(CA_E2E_DEPS) $(BIN)/scep-bench
bench-timers: $(TIMER_DELAY) $(BIN)/pkiksd
bench-crl bench-rss bench-timers bench-ha: bench-%:
	timeout 600 tests/bench/$*.sh
