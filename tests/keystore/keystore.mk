# tests/keystore: the pkiks protocol suite (test-keystore, the same binary
# for pkiks.ko in the VM and for pkiksd on the host), pkiksd-only tests
# (test-pkiksd) and the check target that runs both against a private
# pkiksd.
KS_TEST_SRCS := tests/keystore/main.c tests/keystore/common.c \
	tests/keystore/timers.c \
	tests/keystore/t_keys.c tests/keystore/t_crypto.c \
	tests/keystore/t_wrap.c tests/keystore/t_ec.c tests/keystore/t_ecdh.c \
	tests/keystore/t_time.c \
	tests/keystore/t_raw.c tests/keystore/t_perm.c \
	tests/keystore/t_parallel.c tests/lib/cunit_run.c
KS_TEST_OBJS := $(KS_TEST_SRCS:%.c=$(OBJ)/%.o)
KS_TWIN_OBJS := $(OBJ)/tests/keystore/twin.o \
	$(OBJ)/tests/keystore/timers.o $(OBJ)/tests/lib/cunit_run.o

# Test keys are made once at build time: RSA keygen in a TCG VM is too slow.
KS_KEYS := $(B)/test-keys
KS_KEY_FILES := $(KS_KEYS)/rsa2048.pem $(KS_KEYS)/rsa2048b.pem \
	$(KS_KEYS)/rsa3072.pem $(KS_KEYS)/rsa4096.pem

$(KS_KEYS)/rsa%.pem:
	@mkdir -p $(@D)
	openssl genpkey -algorithm RSA \
		-pkeyopt rsa_keygen_bits:$(patsubst %b,%,$*) -out $@.tmp 2>/dev/null
	mv $@.tmp $@

$(BIN)/test-keystore: $(KS_TEST_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(KS_TEST_OBJS) $(LIBPKID) $(LDLIBS_BASE) -lcunit

$(BIN)/test-pkiksd: $(KS_TWIN_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(KS_TWIN_OBJS) $(LIBPKID) $(LDLIBS_BASE) -lcunit

ALL += $(BIN)/test-keystore $(BIN)/test-pkiksd $(KS_KEY_FILES)

.PHONY: check-keystore-twin
check-keystore-twin: $(BIN)/test-keystore $(BIN)/test-pkiksd $(BIN)/pkiksd \
		$(KS_KEY_FILES)
	tests/keystore/check-twin.sh

CHECKS += check-keystore-twin
