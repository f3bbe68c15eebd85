# tests/show-ios: pkictl's IOS views.  Our TextFSM templates (written to
# IOS's formats) parse our own IOS-format samples and refuse pkid's old
# views; then a CA pkid and a client pkid on loopback (port 18290) are
# shown with every IOS command and each parsed field is compared with
# openssl and --json.  Needs Debian's python3-textfsm.
.PHONY: check-show-ios
check-show-ios: $(CLIENT_E2E_DEPS)
	/usr/bin/python3 tests/show-ios/samples.py tests/show-ios
	timeout 300 tests/show-ios/live.sh

CHECKS += check-show-ios
