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

PKID_GUARD_OBJS := $(OBJ)/daemon/guard/guard.o $(OBJ)/daemon/guard/guard_attach.o \
		   $(OBJ)/daemon/guard/guard_show.o
PKID_GUARD_LIBS := -lbpf -lelf -lz

$(PKID_GUARD_OBJS): $(GUARD_SKEL)
$(PKID_GUARD_OBJS): CFLAGS += -I$(GUARD_BPF_DIR) -Idaemon/guard/bpf
