# tests/ctl: the control socket (daemon/core/ctl.c) against its client
# (libshared/ctl_client.c) over a real Unix socket in a temp dir; peers
# of another uid are forked children that drop to uid 65534.
TEST_CTL := $(BIN)/test-ctl
$(OBJ)/tests/ctl/test_ctl.o: CFLAGS += -Idaemon

$(TEST_CTL): $(OBJ)/tests/ctl/test_ctl.o $(OBJ)/tests/lib/cunit_run.o $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) $(PKID_CORE_LIBS) \
		$(shell pkg-config --libs cunit)

.PHONY: check-ctl
check-ctl: $(TEST_CTL)
	$(TEST_CTL)

ALL += $(TEST_CTL)
CHECKS += check-ctl
