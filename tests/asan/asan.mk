# tests/asan: the CA and client suites on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (make SANITIZE=1, build/asan; see the top
# Makefile).
#   asan             build every userspace program that way (not the module,
#                    not the libFuzzer harnesses: they have their own)
#   check-asan       every CA and client test on it (check-ca-*,
#                    check-client-*); a sanitizer report anywhere fails it
#   check-asan-short the in-process codec suites and three end-to-end
#                    checks (enrollment, bad input, client enrollment): the
#                    part `make check` runs
# ASan and LeakSanitizer reports go to files (ASAN_OPTIONS log_path), not
# to the daemons' stderr, so that a report from a pkid or pkiksd the test
# killed is still seen; tests/asan/run.sh collects them.  UBSan's go to
# stderr and end the process (see run.sh).
ASAN_USER = $(filter-out $(KMOD_KO) $(BIN)/fuzz-%,$(ALL))
ASAN_SUITE = $(filter check-ca-% check-client-% check-est-%,$(CHECKS))
ASAN_SHORT := check-ca-scep check-client-scep check-ca-enroll check-ca-bad \
	      check-client-enroll

.PHONY: asan asan-build check-asan check-asan-short
asan:
	@$(MAKE) --no-print-directory SANITIZE=1 asan-build

# Only meaningful under SANITIZE=1 (what `make asan` passes).  A recipe,
# not prerequisites: those would be expanded here, before the fragments
# included after this one have added to ALL.
asan-build:
	@$(MAKE) --no-print-directory $(ASAN_USER)

# What the short run needs, built two at a time first (the checks run one
# after the other and would build it one file at a time).
ASAN_SHORT_DEPS = $(CA_E2E_DEPS) $(CLIENT_E2E_DEPS) $(CA_TEST_SCEP) \
		  $(CLIENT_TEST_SCEP)
.PHONY: asan-short-build
asan-short-build:
	@$(MAKE) --no-print-directory $(ASAN_SHORT_DEPS)

check-asan:
	@$(MAKE) --no-print-directory -j2 SANITIZE=1 asan-build
	tests/asan/run.sh $(ASAN_SUITE)

check-asan-short:
	@$(MAKE) --no-print-directory -j2 SANITIZE=1 asan-short-build
	tests/asan/run.sh $(ASAN_SHORT)

CHECKS += check-asan-short
