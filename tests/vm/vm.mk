# tests/vm: the qemu harness for pkiks.ko (tests/vm/run-vm.sh).
#   check-vm      the module in Debian's kernel under qemu: functional tests,
#                 the shared CUnit keystore suite, 100k fuzz messages, unload
#   bench-vm      RSA-2048 signs/s through the module vs OpenSSL, 1 and 2 threads
#   bench-vm-scep enrollments/s (scep-bench) and timer delay on the module
#   fuzz-vm-long  1,000,000 fuzz messages (not part of `make check`)
VMTEST_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard tests/vm/*.c)))
# What the initramfs carries besides the module and pkiks-vmtest.
VM_DEPS := $(KMOD_KO) $(BIN)/pkiks-vmtest $(BIN)/test-keystore \
	$(KS_KEY_FILES) $(BIN)/pkiksd

$(BIN)/pkiks-vmtest: $(VMTEST_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(VMTEST_OBJS) $(LIBPKID) $(LDLIBS_BASE)

ALL += $(BIN)/pkiks-vmtest

.PHONY: check-vm bench-vm fuzz-vm-long
check-vm: $(VM_DEPS)
	tests/vm/run-vm.sh check 600

bench-vm: $(VM_DEPS)
	tests/vm/run-vm.sh bench 600

fuzz-vm-long: $(VM_DEPS)
	tests/vm/run-vm.sh fuzz-long 3600

CHECKS += check-vm
BENCHES += bench-vm

# check-vm-lifecycle: pkid's CA and a client trustpoint in the VM with the
# real module as keystore, through CA creation, enrollment, RENEW, CA
# shadow generation, client SHADOW and promotion with `date -s` jumps
# (tests/vm/lifecycle.sh, driven by tools/demo/demo.sh --clock date), then
# the demo's lab clock on a machine where the module is loaded.
VM_LIFECYCLE_DEPS := $(VM_DEPS) $(PKID) $(BIN)/pkictl $(BIN)/pkiks-keygen \
	$(BIN)/lab-advance \
	$(B)/pkiks-provider.so tools/demo/demo.sh tools/demo/lib.sh tests/vm/lifecycle.sh \
	tests/vm/lifecycle-files.sh

.PHONY: check-vm-lifecycle
check-vm-lifecycle: $(VM_LIFECYCLE_DEPS)
	tests/vm/run-vm.sh lifecycle 900

CHECKS += check-vm-lifecycle

# check-vm-lifecycle-ec: one CA generation of the above with an ECDSA
# P-256 CA key (eckeypair, the RA stays RSA) signed by the module and an
# EC P-384 trustpoint key (eckeypair) held by it; its demo took 376 s of
# the VM's 403 at host load 30, hence 900 s.
.PHONY: check-vm-lifecycle-ec
check-vm-lifecycle-ec: $(VM_LIFECYCLE_DEPS)
	tests/vm/run-vm.sh lifecycle-ec 900

CHECKS += check-vm-lifecycle-ec

# check-vm-hierarchy: three tiers on the module with real time (issue 17):
# a root, a sub-CA (mode sub-cs, auto-rollover) and a router trustpoint,
# three pkid in the VM; `date -s` jumps carry the sub through its own
# rollover, each jump re-granted by `pkictl clock calendar-valid`; the
# module's timers in sysfs, openssl verify -attime around the sub's end
# (tests/vm/hierarchy.sh).  900 s: a hang guard (the VM takes minutes
# under TCG on a busy host).
.PHONY: check-vm-hierarchy
check-vm-hierarchy: $(VM_LIFECYCLE_DEPS) tests/vm/hierarchy.sh tests/vm/vmlib.sh
	tests/vm/run-vm.sh hierarchy 900

CHECKS += check-vm-hierarchy

# check-vm-rollover-ec: an ECDSA P-256 CA (RSA RA) on the module through a
# full rollover (issue 20), enrolling strongSwan's `pki --scep` (before,
# ahead of time under the rollover CA via GetNextCACert, after the
# promotion) and a P-384 pkid trustpoint (enrollment, SHADOW, switch);
# `date -s` jumps re-granted by `pkictl clock calendar-valid`, openssl
# verify -attime at the CA's end -/+ 1 s (tests/vm/rollover-ec.sh).
# 900 s: a hang guard, like the other lifecycle VMs (the VM took 119 s
# at host load 10, 186 s at load 21-27).
.PHONY: check-vm-rollover-ec
check-vm-rollover-ec: $(VM_LIFECYCLE_DEPS) tests/vm/rollover-ec.sh tests/vm/vmlib.sh
	tests/vm/run-vm.sh rollover-ec 900

CHECKS += check-vm-rollover-ec

# bench-vm-scep: the enrollment benchmark (scep-bench against pkid, its
# physical limit measured in the same VM) and the timer firing delay
# (timer-delay), both with the real module as keystore, in the VM
# (tests/vm/bench-scep.sh).  TCG is slow: the sizes are small.
VM_BENCH_SCEP_DEPS := $(VM_DEPS) $(PKID) $(BIN)/scep-bench $(BIN)/timer-delay \
	$(B)/pkiks-provider.so tests/vm/bench-scep.sh tests/vm/bench-scep-files.sh

.PHONY: bench-vm-scep
bench-vm-scep: $(VM_BENCH_SCEP_DEPS)
	tests/vm/run-vm.sh bench-scep 900

BENCHES += bench-vm-scep
