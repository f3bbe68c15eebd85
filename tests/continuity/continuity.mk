# tests/continuity: issue 13 ("never lapses"): the regression tests of the
# defects that let a CA expire or a client stay unenrolled, each on a real
# pkiksd --lab and pkid on loopback (ports 19300-19349), bounded waits.
#   check-continuity-config     pkid -t refuses what pkid cannot serve;
#                               IOS sub-modes without indentation (-T)
#   check-continuity-cancel     a cancelled auto-rollover is armed again
#   check-continuity-reason     show server gives the real reason a CA is down
#   check-continuity-zerotouch  enrollment url + auto-enroll: enrolls by itself
#   check-continuity-states     client messages and the expired state
#   check-continuity-health     show health and /metrics red inside the window
#                               without a rollover CA; promtool if present
#   check-continuity-challenge  a challenge to a CA with `grant auto` and no
#                               password is ignored (IOS); with a password a
#                               wrong one fails; every rejection logs why
CONTINUITY_DEPS := $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance $(BIN)/pkiksd \
		   $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
CONTINUITY_CHECKS := challenge config cancel reason zerotouch states health

CHECKS += $(CONTINUITY_CHECKS:%=check-continuity-%)

.PHONY: $(CONTINUITY_CHECKS:%=check-continuity-%)
$(CONTINUITY_CHECKS:%=check-continuity-%): check-continuity-%: $(CONTINUITY_DEPS)
	timeout 300 tests/continuity/$*.sh
