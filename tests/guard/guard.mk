# tests/guard: the enrollment-storm guard (daemon/guard/guard.h) end to end, in
# network namespaces the test builds (see tests/guard/run.sh): a SYN flood
# from many sources is dropped at XDP while legitimate clients get through:
# with the test loader (run.sh), with pkid and strongSwan enrollments
# (pkid.sh), and in qemu under Debian 12's kernel (vm.sh).
GUARD_LOADER := $(BIN)/pkid-guard-test
GUARD_FLOOD  := $(BIN)/guard-synflood

$(OBJ)/tests/guard/loader.o: CFLAGS += -Idaemon

$(GUARD_LOADER): $(OBJ)/tests/guard/loader.o $(GUARD_BPF_OBJS) \
		 $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(filter %.o,$^) $(LIBPKID) $(LDLIBS_BASE) \
		$(PKID_CORE_LIBS) $(GUARD_BPF_LIBS)

$(GUARD_FLOOD): $(OBJ)/tests/guard/synflood.o
	@mkdir -p $(@D)
	$(CC) -o $@ $^

.PHONY: check-guard check-guard-pkid check-guard-vm bench-guard guard-built-in
# The checks that drive pkid's guard need a pkid built with it: a pkid
# without it (PKID_GUARD=no, daemon/guard/guard.mk) fails them at once.
guard-built-in:
	@[ "$(PKID_GUARD)" = yes ] || { echo "pkid is built without the guard" \
		"(PKID_GUARD=no: clang, bpftool or libbpf-dev missing; make deps)" >&2; exit 1; }

check-guard: $(GUARD_LOADER) $(GUARD_FLOOD) $(BIN)/pkictl
	tests/guard/run.sh $(BIN)

# pkid itself: strongSwan enrolls through the guard while a storm is dropped.
check-guard-pkid: guard-built-in $(GUARD_FLOOD) $(BIN)/pkictl $(BIN)/pkid $(BIN)/pkiksd \
		  $(PKIKS_PROVIDER)
	tests/guard/pkid.sh $(BIN)

# The same program under Debian 12's kernel in qemu: its verifier, each
# attach mode, IPv4 and IPv6 (about 15 s).
check-guard-vm: $(GUARD_LOADER) $(GUARD_FLOOD) $(BIN)/pkictl
	tests/guard/vm.sh $(BIN) 300

bench-guard: $(GUARD_LOADER) $(GUARD_FLOOD)
	tests/guard/bench.sh $(BIN)

# Slow clients from one address and from 200 (issue 19 #2), guard off and
# on: a legitimate client's GetCACert and enrollment p50/p99 (attack.sh).
ATTACK_DEPS := $(BIN)/pkid $(BIN)/pkiksd $(BIN)/pkictl $(BIN)/scep-client \
	       $(PKIKS_PROVIDER)
.PHONY: bench-attack check-attack
bench-attack: guard-built-in $(ATTACK_DEPS)
	timeout 1800 tests/guard/attack.sh $(BIN) bench 60 12

# The 200-address case, short and with assertions.
check-attack: guard-built-in $(ATTACK_DEPS)
	timeout 900 tests/guard/attack.sh $(BIN) check 20 4

# pkid linked with guard_none.c whatever PKID_GUARD says: what `make demo`
# runs where clang, bpftool or libbpf-dev are missing (daemon/guard/guard.mk).
PKID_NOGUARD := $(BIN)/pkid-noguard
$(PKID_NOGUARD): $$(PKID_PARTS) $(OBJ)/daemon/guard/guard_none.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(PKID_PART_LIBS)

.PHONY: check-guard-none
check-guard-none: $(PKID_NOGUARD) $(BIN)/pkictl $(BIN)/pkiksd $(PKIKS_PROVIDER)
	timeout 600 unshare -n tests/guard/none.sh $(PKID_NOGUARD)

ALL += $(GUARD_LOADER) $(GUARD_FLOOD) $(PKID_NOGUARD)
CHECKS += check-guard check-guard-pkid check-guard-vm check-attack check-guard-none
BENCHES += bench-guard bench-attack
