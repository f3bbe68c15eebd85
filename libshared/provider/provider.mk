# pkiks-provider: the OpenSSL 3 provider module backed by the keystore.
# Load it with -provider-path $(B) -provider pkiks-provider (and -provider
# default), or pkiks_provider_load() from libshared/provider_client.h.
PKIKS_PROVIDER := $(B)/pkiks-provider.so
PROVIDER_SRCS := $(sort $(wildcard libshared/provider/*.c))
PROVIDER_OBJS := $(PROVIDER_SRCS:%.c=$(OBJ)/%.o)

# Only OSSL_provider_init is exported; the client library is linked in.
$(PKIKS_PROVIDER): $(PROVIDER_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $(PROVIDER_OBJS) $(LIBPKID) $(LDLIBS_BASE) \
		-Wl,--version-script=libshared/provider/provider.map \
		-Wl,-z,defs -Wl,-z,now -Wl,-z,relro

ALL += $(PKIKS_PROVIDER)
