# tools/sim: the real daemons through simulated years (issue 13).
#   make sim          1,000 trustpoints (4 client pkids x 250), 10 years,
#                     5 CA rollovers, every fault of tools/sim/README.md,
#                     then the negative control; figures and the
#                     timeline in build/sim/ and build/sim-negative/
#   make sim-small    the same scenario on 2 x 6 trustpoints
#   make check-sim    2 x 4 trustpoints, 10 years, every fault (not in
#                     make check yet, see below)
#   make check-sim-negative  the small negative control; not in make check
#                     yet: the checker and the simulator disagree on it
#                     (tools/sim/README.md, Findings)
SIM_CLOCK := $(BIN)/sim-clock

$(SIM_CLOCK): $(OBJ)/tools/sim/sim_clock.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE) -ljansson

ALL += $(SIM_CLOCK)

SIM_DEPS := $(PKID) $(SIM_CLOCK) $(BIN)/pkiksd $(BIN)/pkictl \
	    $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
SIM := python3 tools/sim/sim.py

.PHONY: sim sim-small check-sim
sim: $(SIM_DEPS)
	rm -rf $(B)/sim $(B)/sim-negative
	timeout 1800 $(SIM) --pids 4 --tps 250 --years 10 $(B)/sim
	timeout 600 $(SIM) --negative --pids 1 --tps 12 --years 2.5 \
		$(B)/sim-negative

sim-small: $(SIM_DEPS)
	rm -rf $(B)/sim-small
	timeout 600 $(SIM) --pids 2 --tps 6 --years 10 --port 19352 \
		$(B)/sim-small

.PHONY: check-sim-negative
# check-sim is not in `make check` for now: 1 of 3 runs on the merged tree
# lost a trustpoint after the manual-grant period (a request rejected,
# the trustpoint stopped); to be found before it goes back in.
check-sim: $(SIM_DEPS)
	rm -rf $(B)/check-sim
	timeout 300 $(SIM) --pids 2 --tps 4 --years 10 --port 19354 \
		$(B)/check-sim

check-sim-negative: $(SIM_DEPS)
	rm -rf $(B)/check-sim-negative
	timeout 120 $(SIM) --negative --pids 1 --tps 6 --years 2.5 \
		--port 19356 $(B)/check-sim-negative
