# pkid — top-level build.
#
# Each component describes itself in its own fragment (libshared/libshared.mk,
# libshared/provider/provider.mk, tools/<tool>/<tool>.mk, daemon/daemon.mk,
# kmod/kmod.mk, tests/<suite>/<suite>.mk).  A fragment
# appends its outputs to ALL, its test targets to CHECKS, its benchmarks to
# BENCHES.  Userspace objects go to build/obj/<same path>.o through the one
# pattern rule below.
#
#   make            build everything (userspace and the module)
#   make check      install missing Debian packages, then run every test
#   make demo       the newcomer path (see README)
#   make bench      benchmarks that print figures
#   make clean

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
SHELL := /bin/bash

B       := build
BIN     := $(B)/bin
OBJ     := $(B)/obj
PKGS    := openssl libnl-genl-3.0 libnl-3.0
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	   -Wno-missing-field-initializers -fPIC -D_GNU_SOURCE \
	   -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	   -Ilibshared $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS_BASE := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

# make SANITIZE=1 TARGET: the same target built with AddressSanitizer and
# UndefinedBehaviorSanitizer into build/asan (so both builds can coexist);
# the test scripts find that build through $PKID_BUILD.  `make asan` builds
# it, `make check-asan` runs the CA and client suites on it
# (tests/asan/asan.mk).
ifeq ($(SANITIZE),1)
B       := build/asan
BIN     := $(B)/bin
OBJ     := $(B)/obj
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
# In CC, so that every compile and every link line (some do not name
# CFLAGS) gets the runtime.
override CC := $(CC) $(SAN_FLAGS)
export PKID_BUILD := $(B)
endif

ALL     :=
CHECKS  :=
BENCHES :=

# libshared first: the other fragments name its outputs in their rules.
include libshared/libshared.mk
include $(filter-out libshared/libshared.mk,$(sort $(wildcard */*.mk */*/*.mk */*/*/*.mk)))

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

.PHONY: all deps deps-demo check bench clean demo
all: $(ALL)

# Installs the Debian packages the build and the tests need (as root), or
# prints the exact apt-get line to run: packaging/deps.txt (build, demo)
# and packaging/deps-test.txt (what only the tests add).
deps:
	@packaging/deps.sh all

# The same for packaging/deps.txt alone: what `make demo` needs.
deps-demo:
	@packaging/deps.sh demo

# The build uses every core unless the caller chose (make -jN): a fresh
# machine's first `make demo` or `make check` spends most of its time
# compiling.
BUILD_JOBS = $(if $(findstring jobserver,$(MAKEFLAGS))$(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))

# Checks that only boot qemu (no host port, network namespace or fixed
# path; each works in its own mktemp directory): a second lane runs them,
# one after the other, beside the rest, so both cores work while the host
# checks wait on their lab clocks.  What they need is built first.
CHECKS_QEMU := check-vm check-vm-lifecycle check-vm-lifecycle-ec \
	check-vm-hierarchy check-vm-rollover-ec check-guard-vm check-ntpwatch-vm
CHECKS_QEMU_DEPS = $(VM_LIFECYCLE_DEPS) $(GUARD_LOADER) $(GUARD_FLOOD) \
	$(BIN)/pkiks-ntpwatch $(BIN)/timex-probe

# Every test; a failing one does not hide the others.
check: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) all $(CHECKS_QEMU_DEPS)
	@LANE2="$(filter $(CHECKS_QEMU),$(CHECKS))" tests/run-checks.sh \
		$(CHECKS)

bench: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) all
	@tests/run-checks.sh $(BENCHES)

clean:
	rm -rf $(B)
	$(MAKE) -C kmod clean >/dev/null 2>&1 || true
