# pkiksd: the userspace twin of pkiks.ko (tools/pkiksd/pkiksd.h says how).
PKIKSD_SRCS := $(wildcard tools/pkiksd/*.c)
PKIKSD_OBJS := $(PKIKSD_SRCS:%.c=$(OBJ)/%.o)

$(BIN)/pkiksd: $(PKIKSD_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(PKIKSD_OBJS) $(LIBPKID) $(LDLIBS_BASE)

ALL += $(BIN)/pkiksd
