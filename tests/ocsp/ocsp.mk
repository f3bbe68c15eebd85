# tests/ocsp: the CA's OCSP responder (RFC 6960) end to end, with
# `openssl ocsp` as the client; each check runs its own pkiksd --lab and
# pkid on a port of 18960-18979 in a mktemp dir, with bounded waits.
#   check-ocsp-responder  good, revoked after `server revoke` (and back),
#                         unknown serial, nonce, another CA's certificate,
#                         two requests in one, malformed DER, oversized
#                         requests, GET and POST, the cache (a second
#                         answer is the same bytes), the responder
#                         certificate's extensions, the AIA URL, nextUpdate
#                         = the CRL's, reload off and on, killed while
#                         re-signing (PKID_TEST_CRASH_AT=ocsp-resign)
#   check-ocsp-rollover   answers for the CA and the rollover CA during a
#                         rollover, and after promotion (lab clock)
#   check-ocsp-short      short-lived responder certificates (`lifetime
#                         ocsp-responder`): 5 h against 1 h CRLs, issued
#                         again for the same key before two CRL lifetimes
#                         are left, every answer's signer valid until its
#                         nextUpdate (lab clock, four CRL updates)
#   bench-ocsp            responses/s and p99 from the cache with 100,000
#                         revoked certificates in the database
OCSP_DEPS := $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance $(BIN)/pkiksd \
	     $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
OCSP_CHECKS := responder rollover short

CHECKS += $(OCSP_CHECKS:%=check-ocsp-%) check-ocsp-rollover-ecdsa

# check-ocsp-rollover-ecdsa: the rollover check above under an ECDSA P-256
# CA (eckeypair): responder certificates issued by the ECDSA CA and by
# its rollover CA.
.PHONY: check-ocsp-rollover-ecdsa
check-ocsp-rollover-ecdsa: $(OCSP_DEPS)
	CA_EC=256 timeout 300 tests/ocsp/rollover.sh

.PHONY: $(OCSP_CHECKS:%=check-ocsp-%) bench-ocsp
$(OCSP_CHECKS:%=check-ocsp-%): check-ocsp-%: $(OCSP_DEPS)
	timeout 300 tests/ocsp/$*.sh

OCSP_BENCH := $(BIN)/ocsp-bench
$(OCSP_BENCH): tests/ocsp/ocsp_bench.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lpthread

bench-ocsp: $(OCSP_DEPS) $(OCSP_BENCH)
	timeout 600 tests/ocsp/bench.sh

BENCHES += bench-ocsp
