# tests/show-ios: pkictl's IOS views.  The formats of libshared/ios_show.c
# in-process (CUnit); then our TextFSM templates (written to
# IOS's formats) parse our own IOS-format samples and refuse pkid's old
# views; then a CA pkid and a client pkid on loopback (port 18290) are
# shown with every IOS command and each parsed field is compared with
# openssl and --json.  Needs Debian's python3-textfsm.
TEST_IOS_SHOW := $(BIN)/test-ios-show

$(TEST_IOS_SHOW): $(OBJ)/tests/show-ios/test_ios_show.o \
		  $(OBJ)/tests/lib/cunit_run.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDLIBS_BASE) -lcunit

ALL += $(TEST_IOS_SHOW)

.PHONY: check-show-ios
check-show-ios: $(TEST_IOS_SHOW) $(CLIENT_E2E_DEPS)
	$(TEST_IOS_SHOW)
	/usr/bin/python3 tests/show-ios/samples.py tests/show-ios
	timeout 300 tests/show-ios/live.sh

CHECKS += check-show-ios
