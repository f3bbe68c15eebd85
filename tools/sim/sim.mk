# tools/sim: the real daemons through simulated years (issue 13).
#   make sim          1,000 trustpoints (4 client pkids x 250), 10 years,
#                     5-day steps; figures and timeline in build/sim/
#   sim-small         the same on 2 x 5 trustpoints, 4 years, 10-day
#                     steps (one CA rollover).  Not in make check yet:
#                     it takes ~10 minutes (about 5 lab days per real
#                     second), tools/sim/README.md says what is missing
SIM_DEPS := $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance $(BIN)/pkiksd \
	    $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so

.PHONY: sim sim-small
sim: $(SIM_DEPS)
	rm -rf $(B)/sim && SIM_PIDS=4 SIM_TPS=250 SIM_YEARS=10 \
		SIM_STEP_DAYS=5 timeout 3600 tools/sim/sim.sh $(B)/sim

sim-small: $(SIM_DEPS)
	rm -rf $(B)/sim-small && SIM_PIDS=2 SIM_TPS=5 SIM_YEARS=4 \
		SIM_STEP_DAYS=10 SIM_PORT=19351 timeout 1500 \
		tools/sim/sim.sh $(B)/sim-small
