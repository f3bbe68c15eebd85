# tools/demo: the newcomer path (README's first command).
#   make demo    installs what is missing of packaging/deps.txt (not the
#                tests' packages), builds what the demo runs, then runs a CA
#                and a client trustpoint on loopback through a compressed
#                lifecycle (tools/demo/demo.sh); ends by itself in < 2 min
#                (pkid without the XDP guard where clang, bpftool or
#                libbpf-dev are missing: daemon/guard/guard.mk)
#   check-demo   the same, non-interactively on a test port; checks its exit
#                status and its summary lines (tools/demo/check-demo.sh)
DEMO_DEPS := $(PKID) $(BIN)/pkictl $(BIN)/pkiksd $(BIN)/pkiks-keygen \
	     $(BIN)/lab-advance $(B)/pkiks-provider.so

# Like `check`: packages first (it may install some), then the build; only
# what the demo runs, so neither the tests' packages nor the module's
# kernel headers are needed.
demo: deps-demo
	@$(MAKE) --no-print-directory $(BUILD_JOBS) $(DEMO_DEPS)
	@tools/demo/demo.sh

.PHONY: check-demo
check-demo: $(DEMO_DEPS)
	timeout 300 tools/demo/check-demo.sh

CHECKS += check-demo
