# tests/server-cli: pkictl's server verbs, reload and logging, end to end
# (a pkiksd twin, a real pkid, strongSwan's pki, openssl; ports
# 18500-18599, each script in its own mktemp dir, every wait bounded).
#   verbs.sh    every server verb, text and --json, exit codes 1/2/3,
#               static challenge password, log tags
#   reload.sh   pkictl reload and SIGHUP: good change applied live with an
#               enrollment in flight, broken file refused (FILE:LINE),
#               locked and restart-only changes refused
#   single.sh   ra-certificate none: single-key mode from the config,
#               fixed at first start
SERVER_CLI_TESTS := verbs reload single

CHECKS += check-server-cli

.PHONY: check-server-cli
check-server-cli: $(CA_E2E_DEPS)
	@set -e; for t in $(SERVER_CLI_TESTS); do \
		timeout 300 tests/server-cli/$$t.sh; \
	done
