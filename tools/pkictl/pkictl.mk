# pkictl: the command line (see tools/pkictl/pkictl.h).  One file per verb
# family; output.c is shared with pkiks-keygen.
PKICTL_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard tools/pkictl/*.c)))

$(BIN)/pkictl: $(PKICTL_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(PKICTL_OBJS) $(LIBPKID) $(LDLIBS_BASE) \
		$(shell pkg-config --libs jansson)

ALL += $(BIN)/pkictl
