# pkiks-keygen: the short-lived key generation helper (see tools/keygen/keygen.h).
KEYGEN_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard tools/keygen/*.c))) \
	$(OBJ)/tools/pkictl/output.o

$(OBJ)/tools/keygen/%.o: CFLAGS += -Itools/pkictl

$(BIN)/pkiks-keygen: $(KEYGEN_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(KEYGEN_OBJS) $(LIBPKID) $(LDLIBS_BASE)

ALL += $(BIN)/pkiks-keygen
