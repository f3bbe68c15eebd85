# The enrollment-storm guard (daemon/guard/guard.h): an XDP program compiled with
# clang, turned into a libbpf skeleton header by bpftool, and linked into
# pkid as $(PKID_GUARD_OBJS) with $(PKID_GUARD_LIBS).
BPFTOOL       ?= bpftool
GUARD_BPF_DIR := $(B)/bpf
GUARD_BPF_OBJ := $(GUARD_BPF_DIR)/guard.bpf.o
GUARD_SKEL    := $(GUARD_BPF_DIR)/guard.skel.h
# No vmlinux.h: the uapi headers are enough for packet parsing.  They are
# the target's (asm/types.h): in its sysroot when $(CC) cross-compiles
# (make check-arm64), else in /usr/include/<triplet>.
GUARD_BPF_CFLAGS := -target bpf -g -O2 -Wall -Werror -Idaemon/guard/bpf \
	-I$(shell $(CC) -print-sysroot 2>/dev/null)/usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

$(GUARD_BPF_OBJ): daemon/guard/bpf/guard.bpf.c daemon/guard/bpf/guard_abi.h
	@mkdir -p $(@D)
	clang $(GUARD_BPF_CFLAGS) -c -o $@ $<

$(GUARD_SKEL): $(GUARD_BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name guard_bpf > $@

# PKID_GUARD=yes builds the guard (clang, bpftool and libbpf-dev needed:
# packaging/deps-test.txt, so `make check` and `make deb` have them);
# PKID_GUARD=no links guard_none.c instead: `ip http rate-limit` then logs
# once that the guard is not built in and SCEP is served unguarded, as
# where the kernel refuses BPF.  auto (the default): yes when all three are
# here.  `make demo` installs none of them (a third of a fresh machine's
# download) and gets the guard only where they already are; a later
# `make check` installs them and relinks pkid with the guard (its objects
# are newer than pkid).  The packages and check-guard* always build it.
PKID_GUARD ?= auto
ifeq ($(PKID_GUARD),auto)
override PKID_GUARD := $(if $(and $(shell command -v clang),$(shell command -v $(BPFTOOL)),$(wildcard /usr/include/bpf/libbpf.h)),yes,no)
endif
ifeq ($(filter yes no,$(PKID_GUARD)),)
$(error PKID_GUARD=$(PKID_GUARD): yes, no or auto)
endif

# The guard itself, whatever pkid links: the test loader needs it.
GUARD_BPF_OBJS := $(OBJ)/daemon/guard/guard.o $(OBJ)/daemon/guard/guard_attach.o \
		  $(OBJ)/daemon/guard/guard_show.o
GUARD_BPF_LIBS := -lbpf -lelf -lz

ifeq ($(PKID_GUARD),yes)
PKID_GUARD_OBJS := $(GUARD_BPF_OBJS)
PKID_GUARD_LIBS := $(GUARD_BPF_LIBS)
else
PKID_GUARD_OBJS := $(OBJ)/daemon/guard/guard_none.o
PKID_GUARD_LIBS :=
endif

# What pkid was last linked with, rewritten only when it changes: a pkid
# linked without the guard is relinked when the guard's objects are older
# than it (built before, with PKID_GUARD=yes) and it is wanted again.
GUARD_CFG := $(B)/guard.cfg
$(shell mkdir -p $(B) && { [ "$$(cat $(GUARD_CFG) 2>/dev/null)" = $(PKID_GUARD) ] || echo $(PKID_GUARD) >$(GUARD_CFG); })
$(PKID): $(GUARD_CFG)

$(GUARD_BPF_OBJS): $(GUARD_SKEL)
$(GUARD_BPF_OBJS): CFLAGS += -I$(GUARD_BPF_DIR) -Idaemon/guard/bpf
