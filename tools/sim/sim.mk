# tools/sim: the real daemons through simulated years (issue 13).
# The timeouts only stop a hung run (every wait inside is bounded):
# check-sim took 94-240 s on the shared machine (load 12-20).
#   make sim          1,000 trustpoints (4 client pkids x 250), 10 years,
#                     (SIM_STOP_AFTER=SECONDS: judge it as far as it got
#                     after that much real time, exit status 2)
#                     5 CA rollovers, every fault of tools/sim/README.md,
#                     then both negative-control cases; figures and the
#                     timeline in build/sim/ and build/sim-negative-*/
#   make sim-small    the same scenario on 2 x 6 trustpoints
#   make check-sim    2 x 4 trustpoints, 10 years, every fault (make check)
#   make sim-tiers    three tiers (sim.py --tiers 3): a root pkid, a
#                     sub-cs pkid enrolled at it, 2 x 3 trustpoints at the
#                     sub; 4.1 years: 2 root and 4 sub rollovers (2 of
#                     them at the root's ends), in two orders; the CAs'
#                     faults; build/sim-tiers-{rootfirst,subfirst}/
#   make check-sim-tiers  the same run as a check (not in make check's
#                     list; port 19360)
#   make check-sim-negative  both negative-control cases (make check;
#                     docs/SIM.md):
#                     the trustpoints `pkictl check` finds errors for are
#                     exactly the ones with gaps
SIM_CLOCK := $(BIN)/sim-clock

$(SIM_CLOCK): $(OBJ)/tools/sim/sim_clock.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE) -ljansson

ALL += $(SIM_CLOCK)

# sim-keygen: pkiks-keygen's own objects, keygen_generate() wrapped to take
# RSA-2048 keys from a pool made ahead of time (sim_keypool.c).
SIM_KEYGEN := $(BIN)/sim-keygen
$(OBJ)/tools/sim/sim_keypool.o: CFLAGS += -Itools/keygen

$(SIM_KEYGEN): $(OBJ)/tools/sim/sim_keypool.o $(KEYGEN_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) -o $@ $(OBJ)/tools/sim/sim_keypool.o $(KEYGEN_OBJS) $(LIBPKID) \
		$(LDLIBS_BASE) -Wl,--wrap=keygen_generate

ALL += $(SIM_KEYGEN)

SIM_DEPS := $(PKID) $(SIM_CLOCK) $(SIM_KEYGEN) $(BIN)/pkiksd $(BIN)/pkictl \
	    $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
SIM := python3 tools/sim/sim.py
SIM_NEGATIVE := long short

.PHONY: sim sim-small sim-tiers check-sim check-sim-tiers check-sim-negative
# SIM_PIDS client pkids of SIM_TPS trustpoints each (default 8 x 125:
# one keystore holds at most 256 keys, and a trustpoint holds two while its
# SHADOW key waits for the switch -- 4 x 250 filled them, make sim's
# 1,000-trustpoint run of 2026-12-05);
# SIM_KEYPOOL_DIR: a key pool directory to use (keys already there are
# used first, the rest made as usual); SIM_KEYCACHE: below;
# SIM_STOP_AFTER: see sim.py.
SIM_PIDS ?= 8
SIM_TPS ?= 125
# The RSA keys, made once per build tree and kept across runs (the run
# copies them into its pool): a fresh clone makes them, a rerun does not.
SIM_KEYCACHE ?= $(B)/sim-keycache
sim: $(SIM_DEPS)
	rm -rf $(B)/sim $(B)/sim-negative-*
	timeout 7200 $(SIM) --pids $(SIM_PIDS) --tps $(SIM_TPS) --years 10 --start-slot 15 \
		--regenerate 0.1 $(if $(SIM_STOP_AFTER),--stop-after \
		$(SIM_STOP_AFTER)) $(if $(SIM_KEYPOOL_DIR),--keypool-dir \
		$(SIM_KEYPOOL_DIR)) --keycache $(SIM_KEYCACHE) $(B)/sim
	for c in $(SIM_NEGATIVE); do \
		timeout 600 $(SIM) --negative $$c --pids 1 --years 2.2 \
			$(B)/sim-negative-$$c || exit 1; \
	done

sim-small: $(SIM_DEPS)
	rm -rf $(B)/sim-small
	timeout 600 $(SIM) --pids 2 --tps 6 --years 10 --port 19352 \
		$(B)/sim-small

# Three tiers: root 730 days, the sub's CA certificate 365 days from it
# (auto-rollover 60), the routers' identities 90 days; two cases of the
# root's auto-rollover: 90 (at a joint end the root's window opens
# first) and 30 (the sub's opens first: its request for SUB# waits for
# the root's rollover CA).
SIM_TIERS := --tiers 3 --pids 2 --tps 3 --years 4.1 --root-days 730 \
	--ca-days 365 --overlap 60 --cert-days 90 --keycache $(SIM_KEYCACHE)
SIM_TIERS_CASES := rootfirst:90 subfirst:30
sim-tiers: $(SIM_DEPS)
	rm -rf $(B)/sim-tiers-*
	for c in $(SIM_TIERS_CASES); do \
		timeout 900 $(SIM) $(SIM_TIERS) --root-overlap $${c#*:} \
			--port 19358 $(B)/sim-tiers-$${c%:*} || exit 1; \
	done

# Not in CHECKS (the lead decides): ports 19360-19361.
check-sim-tiers: $(SIM_DEPS)
	rm -rf $(B)/check-sim-tiers-*
	for c in $(SIM_TIERS_CASES); do \
		timeout 900 $(SIM) $(SIM_TIERS) --root-overlap $${c#*:} \
			--port 19360 $(B)/check-sim-tiers-$${c%:*} || exit 1; \
	done

CHECKS += check-sim
check-sim: $(SIM_DEPS)
	rm -rf $(B)/check-sim
	timeout 900 $(SIM) --pids 2 --tps 4 --years 10 --port 19354 \
		$(B)/check-sim

CHECKS += check-sim-negative
check-sim-negative: $(SIM_DEPS)
	rm -rf $(B)/check-sim-negative-*
	for c in $(SIM_NEGATIVE); do \
		timeout 600 $(SIM) --negative $$c --pids 1 --years 2.2 \
			--port 19356 $(B)/check-sim-negative-$$c || exit 1; \
	done

# Two CA nodes on one PostgreSQL (issue 18, sim.py --ha, run beside a
# throwaway cluster by tools/sim/sim_pg.sh; tools/sim/README.md): client
# pkid k's trustpoints enroll at node k mod 2; 4.3 lab years (2
# rollovers); the leader killed -9 inside the steps of shadow generation
# and promotion, once inside each rollover window and at SIM_HA_KILLS
# random instants, restarted 1 hour to 1 day later.  SIM_SEED: another
# seed (default 13).
#   make sim-ha        4 client pkids x 6 trustpoints, 4 random kills
#                      (ports 19362-19363)
#   make check-sim-ha  2 x 4 trustpoints, 2 random kills (19364-19365;
#                      in make check)
SIM_HA := --ha --years 4.3 $(if $(SIM_SEED),--seed $(SIM_SEED))
SIM_HA_KILLS ?= 4
.PHONY: sim-ha check-sim-ha
sim-ha: $(SIM_DEPS)
	rm -rf $(B)/sim-ha
	timeout 1200 tools/sim/sim_pg.sh $(SIM) $(SIM_HA) --pids 4 --tps 6 \
		--ha-kills $(SIM_HA_KILLS) --port 19362 \
		--keycache $(SIM_KEYCACHE) $(B)/sim-ha

# In make check (the lead may drop it: 31-87 s at load 2-14, 276-317 s
# beside stress-ng --cpu 2, docs/SIM.md).
CHECKS += check-sim-ha
check-sim-ha: $(SIM_DEPS)
	rm -rf $(B)/check-sim-ha
	timeout 900 tools/sim/sim_pg.sh $(SIM) $(SIM_HA) --pids 2 --tps 4 \
		--ha-kills 2 --port 19364 $(B)/check-sim-ha
