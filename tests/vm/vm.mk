# tests/vm: the qemu harness for pkiks.ko (see tests/vm/run-vm.sh).
VMTEST_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard tests/vm/*.c)))

$(BIN)/pkiks-vmtest: $(VMTEST_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(VMTEST_OBJS) $(LIBPKID) $(LDLIBS_BASE)

ALL += $(BIN)/pkiks-vmtest
