# pkiks-kek: provisions the keystore's key-encryption key from a root-only
# file (created on first boot), for pkiks-module.service and pkiksd.service.
PKIKS_KEK_OBJS := $(OBJ)/tools/pkiks-kek/main.o

$(BIN)/pkiks-kek: $(PKIKS_KEK_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(PKIKS_KEK_OBJS) $(LIBPKID) $(LDLIBS_BASE)

ALL += $(BIN)/pkiks-kek
