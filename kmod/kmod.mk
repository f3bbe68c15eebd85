# kmod: pkiks.ko, built by kbuild out of the source tree (in build/kmod,
# laid out by kmod/tree.sh exactly as DKMS gets it), plus its checks:
#   check-kmod-build  a fresh kbuild build must not print a single warning
#   check-kmod-rsa    rsa.c/der.c in userspace, cross-checked with OpenSSL
#   check-kmod-ec     ec.c in userspace, byte for byte against OpenSSL
#   bench-kmod-ec     ec.c's ECDSA signs/s against OpenSSL's, natively
#   check-dkms        dkms add/build in a private DKMS tree
#   bench-kmod-rsa    the same RSA code natively: signs/s per core vs OpenSSL
# The qemu harness that runs the module in a real kernel (check-vm,
# bench-vm, fuzz-vm-long) is tests/vm/vm.mk; the same build and VM checks
# on other Debian kernels (check-kernels) are tests/kernels/kernels.mk.

# Newest installed Debian kernel headers (the host may run another kernel).
KMOD_KVER := $(shell ls -d /lib/modules/*/build 2>/dev/null | sed 's,/lib/modules/,,;s,/build,,' | sort -V | tail -1)
KMOD_KDIR := /lib/modules/$(KMOD_KVER)/build
KMOD_DIR := $(B)/kmod
KMOD_KO := $(KMOD_DIR)/pkiks.ko
KMOD_SRCS := $(wildcard kmod/*.c kmod/*.h) kmod/Makefile kmod/tree.sh \
	kmod/Documentation/ABI/testing/sysfs-kernel-pkiks \
	libshared/uapi/pkiks.h packaging/dkms.conf

$(KMOD_KO): $(KMOD_SRCS)
	@test -d $(KMOD_KDIR) || { echo "kmod: no kernel headers in $(KMOD_KDIR); make deps" >&2; exit 1; }
	kmod/tree.sh $(KMOD_DIR)
	$(MAKE) --no-print-directory -C $(KMOD_KDIR) M=$(abspath $(KMOD_DIR)) modules

ALL += $(KMOD_KO)

.PHONY: check-kmod-build check-kmod-rsa check-kmod-ec bench-kmod-ec check-dkms

check-kmod-build:
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	kmod/tree.sh $$tmp && \
	$(MAKE) --no-print-directory -C $(KMOD_KDIR) M=$$tmp W=1 modules >$$tmp/build.log 2>&1; \
	rc=$$?; cat $$tmp/build.log; \
	if [ $$rc -ne 0 ] || grep -q 'warning:' $$tmp/build.log; then \
		echo "check-kmod-build: build failed or warned" >&2; exit 1; fi; \
	echo "check-kmod-build: pkiks.ko for $(KMOD_KVER), no warnings (W=1)"

$(BIN)/kmod-rsa-test: kmod/test/rsa-test.c kmod/rsa.c kmod/bignum.c kmod/der.c kmod/rsa.h kmod/bignum.h kmod/der.h kmod/test/harness.h $(wildcard kmod/test/include/*/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Ikmod/test/include -Ilibshared \
		-o $@ kmod/test/rsa-test.c kmod/rsa.c kmod/bignum.c kmod/der.c $(shell pkg-config --libs libcrypto)

ALL += $(BIN)/kmod-rsa-test

# The same code with the portable C limb loop only (BN_NO_ASM): what arm64
# and x86 CPUs without BMI2/ADX run, so both paths match OpenSSL here.
$(BIN)/kmod-rsa-test-c: kmod/test/rsa-test.c kmod/rsa.c kmod/bignum.c kmod/der.c kmod/rsa.h kmod/bignum.h kmod/der.h kmod/test/harness.h $(wildcard kmod/test/include/*/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -g -DBN_NO_ASM -Wall -Wextra -Werror -Wno-unused-parameter -Ikmod/test/include -Ilibshared \
		-o $@ kmod/test/rsa-test.c kmod/rsa.c kmod/bignum.c kmod/der.c $(shell pkg-config --libs libcrypto)

ALL += $(BIN)/kmod-rsa-test-c

check-kmod-rsa: $(BIN)/kmod-rsa-test $(BIN)/kmod-rsa-test-c
	$(BIN)/kmod-rsa-test 5
	$(BIN)/kmod-rsa-test-c 5

$(BIN)/kmod-ec-test: kmod/test/ec-test.c kmod/ec.c kmod/bignum.c kmod/ec.h kmod/bignum.h kmod/test/harness.h $(wildcard kmod/test/include/*/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Ikmod/test/include -Ilibshared \
		-o $@ kmod/test/ec-test.c kmod/ec.c kmod/bignum.c $(shell pkg-config --libs libcrypto)

ALL += $(BIN)/kmod-ec-test

check-kmod-ec: $(BIN)/kmod-ec-test
	$(BIN)/kmod-ec-test 5

bench-kmod-ec: $(BIN)/kmod-ec-test
	$(BIN)/kmod-ec-test bench

check-dkms:
	kmod/check-dkms.sh

CHECKS += check-kmod-build check-kmod-rsa check-kmod-ec check-dkms
BENCHES += bench-kmod-ec

.PHONY: bench-kmod-rsa
# Alternating slices of module code and OpenSSL in one process, so the
# ratio is measured under the same load (the issue-14 goal is >= 0.5).
# OpenSSL 3.0 signs RSA-2048 with AVX-512 IFMA where the CPU has it (two
# 1024-bit exponentiations side by side in vector registers), which the
# kernel cannot use without saving FPU state; the second run masks that
# path (CPUID 7 EBX bit 21) to compare with OpenSSL's scalar mulx/adx code.
bench-kmod-rsa: $(BIN)/kmod-rsa-test $(BIN)/kmod-rsa-test-c
	$(BIN)/kmod-rsa-test --bench 5
	OPENSSL_ia32cap='~0x0:~0x200000' $(BIN)/kmod-rsa-test --bench 5
	@echo "portable C limb loop (arm64, x86 without BMI2/ADX):"
	$(BIN)/kmod-rsa-test-c --bench 5

BENCHES += bench-kmod-rsa
