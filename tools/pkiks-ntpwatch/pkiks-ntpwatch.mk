# pkiks-ntpwatch: reports NTP synchronisation (adjtimex) to the keystore's
# time gate.  tests/ntpwatch/ntpwatch.mk links decide.o into the unit tests.
NTPWATCH_SRCS := $(wildcard tools/pkiks-ntpwatch/*.c)
NTPWATCH_OBJS := $(NTPWATCH_SRCS:%.c=$(OBJ)/%.o)

$(BIN)/pkiks-ntpwatch: $(NTPWATCH_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(NTPWATCH_OBJS) $(LIBPKID) $(LDLIBS_BASE)

ALL += $(BIN)/pkiks-ntpwatch
