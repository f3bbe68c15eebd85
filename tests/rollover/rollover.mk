# tests/rollover: CA rollover (ROLLOVER.md §3.1) end to end, on the
# userspace keystore's lab clock; each check runs its own pkiksd --lab and
# pkid on a port of 18400-18499 in a mktemp dir, with bounded waits.
#   check-rollover-lifecycle  shadow generation, GetNextCACert (openssl
#                             cms), strongSwan under the rollover CA,
#                             promotion, enrollment under the new CA, a
#                             second rollover; openssl verify -attime
#   check-rollover-crash      kill pkid after each durable step of shadow
#                             generation and promotion; restart: one
#                             rollover, consistent keys/archives/state
#   check-rollover-manual     server rollover / rollover cancel (after a
#                             client fetched it), single-key mode
#   check-rollover-switch     a request to the rollover RA in the middle
#                             of the promotion (held there by a test
#                             hook): it waits, its CertRep verifies
ROLLOVER_DEPS := $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance $(BIN)/pkiksd \
		 $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
ROLLOVER_CHECKS := lifecycle crash manual switch

CHECKS += $(ROLLOVER_CHECKS:%=check-rollover-%) check-rollover-ecdsa

# check-rollover-ecdsa: the lifecycle above with an ECDSA P-384 CA key
# (eckeypair) and the RSA RA: strongSwan through two rollovers.
.PHONY: check-rollover-ecdsa
check-rollover-ecdsa: $(ROLLOVER_DEPS)
	CA_EC=384 timeout 300 tests/rollover/lifecycle.sh

# The timeout only stops a hung script (every wait inside is bounded):
# 300 s like the other end-to-end suites.  120 s cut check-rollover-
# lifecycle off after its second promotion beside a CPU hog at load 20-23,
# every check up to there passed (docs/TESTING.md).
.PHONY: $(ROLLOVER_CHECKS:%=check-rollover-%)
$(ROLLOVER_CHECKS:%=check-rollover-%): check-rollover-%: $(ROLLOVER_DEPS)
	timeout 300 tests/rollover/$*.sh
