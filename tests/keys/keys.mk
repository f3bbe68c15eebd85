# tests/keys: pkid's keys survive keystore restarts (daemon/core/keyblob.c):
# wrapped blobs stored in pkid's database, restored into a restarted
# pkiksd (same KEK file), at pkid's start and, with pkid left running,
# when its keystore connection comes back.  Ports 18800-18849, each check
# in its own mktemp dir, every wait bounded.
#   check-keys-persist        CA + RA keys, a rollover in progress,
#                             promotion and cancel, each across a keystore
#                             restart (and one under a running pkid);
#                             strongSwan enrolls, openssl verifies against
#                             the same CA certificate
#   check-keys-persist-crash  promotion killed at each step, keystore
#                             restarted: the right keys come back
#   check-keys-persist-tp     trustpoint key (regenerate): restored (pkid
#                             restarted, and pkid running), RENEW works
#   check-keys-persist-bad    no KEK (one warning, CA works), tampered blob
#                             and another KEK (refused, no new key)
KEYS_DEPS := $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance $(BIN)/pkiksd \
	     $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
KEYS_CHECKS := check-keys-persist check-keys-persist-crash \
	       check-keys-persist-tp check-keys-persist-bad

CHECKS += $(KEYS_CHECKS)

.PHONY: $(KEYS_CHECKS)
check-keys-persist: $(KEYS_DEPS)
	timeout 600 tests/keys/persist.sh
check-keys-persist-crash check-keys-persist-tp check-keys-persist-bad: \
check-keys-persist-%: $(KEYS_DEPS)
	timeout 600 tests/keys/$*.sh
