# tests/client-crl: `revocation-check crl` of a trustpoint (ROLLOVER.md
# §4): a client pkid keeps its CA's CRL fetched, verified, stored,
# exported and fresh; a real CA pkid on loopback (ports 18900-18949).
CHECKS += check-client-crl

.PHONY: check-client-crl
check-client-crl: $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance $(BIN)/pkiksd \
		  $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
	timeout 300 tests/client-crl/crl.sh
