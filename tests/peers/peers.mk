# tests/peers: pkid against its peer, micromdm's scepserver (Debian's
# `scep` package, packaging/deps-test.txt), side by side in one run.
#   bench-peers   both servers alternately, 1 and 8 clients, scep-bench as
#                 the load generator; one table with the ratios (peers.sh)
# Not in `make check` or `make bench`: it takes minutes and needs the peer.
.PHONY: bench-peers
bench-peers: $(SCEP_BENCH) $(CA_E2E_DEPS)
	timeout 1800 tests/peers/peers.sh
