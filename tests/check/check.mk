# pkictl check (tools/pkictl/check*.c): one configuration per finding of
# ROLLOVER.md §5 and clean ones, in text and --json (tests/check/run.sh).
.PHONY: check-pkictl-check
check-pkictl-check: $(BIN)/pkictl
	tests/check/run.sh $(BIN)/pkictl

CHECKS += check-pkictl-check
