# tests/client: pkid as a PKI client.  The SCEP client codec against the
# server's codec (CUnit, in-process), then trustpoints of a real pkid
# enrolling from another real pkid on loopback (ports 18200-18299).
CLIENT_TEST_SCEP := $(BIN)/test-scep-client

$(CLIENT_TEST_SCEP): $(OBJ)/tests/client/test_scep_client.o $(LIBSCEP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE) $(PKID_TP_LIBS) -lcunit

ALL += $(CLIENT_TEST_SCEP)
CHECKS += check-client-scep

.PHONY: check-client-scep
check-client-scep: $(CLIENT_TEST_SCEP)
	$(CLIENT_TEST_SCEP)

# End to end: a client pkid and a CA pkid sharing one pkiksd --lab.
CLIENT_E2E_DEPS := $(PKID) $(BIN)/ctl-call $(BIN)/lab-advance $(BIN)/pkiksd \
		   $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so \
		   $(BIN)/sim-clock
CLIENT_E2E := enroll poll retry badtime keyfull shadow rollover missed micromdm ocsp

CHECKS += $(CLIENT_E2E:%=check-client-%)

.PHONY: $(CLIENT_E2E:%=check-client-%)
# check-client-missed runs eight cases, each with its own CA and client
# through a CA's end: 300 s ran out at load 20 on the shared machine
# (2026-12-05, in its seventh case), so it has 600.
CLIENT_TIMEOUT_missed := 600
$(CLIENT_E2E:%=check-client-%): check-client-%: $(CLIENT_E2E_DEPS)
	timeout $(or $(CLIENT_TIMEOUT_$*),300) tests/client/$*.sh

# check-client-keystore-v3: check-client-enroll against a pkiksd that
# answers as a protocol v3 keystore (test hook PKIKSD_TEST_PROTO=3, no
# TIMER_GET doit): the client's expiry check falls back to the list, and
# RENEW still renews.
CHECKS += check-client-keystore-v3
.PHONY: check-client-keystore-v3
check-client-keystore-v3: $(CLIENT_E2E_DEPS)
	PKIKSD_TEST_PROTO=3 timeout 300 tests/client/enroll.sh

# check-client-missed-cancel: missed.sh's ninth case on its own (the eight
# above already need most of their 600 s): the router off through a
# cancelled rollover and the CA's end, holding a SHADOW identity under
# the cancelled rollover.
CHECKS += check-client-missed-cancel
.PHONY: check-client-missed-cancel
check-client-missed-cancel: $(CLIENT_E2E_DEPS)
	timeout 300 tests/client/missed.sh 9

# check-client-rollover-ecdsa: the SHADOW path above against an ECDSA
# P-256 CA (eckeypair, RSA RA): pkid's RSA trustpoint renews, enrolls
# under the rollover CA and switches at its end (openssl verify -attime).
CHECKS += check-client-rollover-ecdsa
.PHONY: check-client-rollover-ecdsa
check-client-rollover-ecdsa: $(CLIENT_E2E_DEPS)
	CA_EC=256 timeout 300 tests/client/rollover.sh

# EC trustpoints (eckeypair): the CertRep to them is ECDH (RFC 5753) that
# the keystore's key derives.  check-client-enroll-ec: enrollment and
# RENEW with regenerate (a new P-256 key) from an RSA CA;
# check-client-rollover-ec: a P-384 trustpoint through the SHADOW path of
# a P-256 CA (shadow key regenerated, switch, renewal under the new CA).
CHECKS += check-client-enroll-ec check-client-rollover-ec
.PHONY: check-client-enroll-ec check-client-rollover-ec
check-client-enroll-ec: $(CLIENT_E2E_DEPS)
	TP_EC=256 timeout 300 tests/client/enroll.sh

check-client-rollover-ec: $(CLIENT_E2E_DEPS)
	CA_EC=256 TP_EC=384 timeout 300 tests/client/rollover.sh

# check-client-resend: a RENEW that got no answer (the CA held it past
# the client's 20 s timeout; then a CA killed holding it) is sent again,
# the same, at CONNECT RETRY: one certificate for it.  A P-384 key: its
# CSR's ECDSA signature differs each time, the CA goes by transactionID.
CHECKS += check-client-resend
.PHONY: check-client-resend
check-client-resend: $(CLIENT_E2E_DEPS)
	TP_EC=384 timeout 300 tests/client/resend.sh

# check-client-keytype: a key type changed under its label (rsakeypair <->
# eckeypair, another curve) is refused by reload, pkid -t and pkid's start.
CHECKS += check-client-keytype
.PHONY: check-client-keytype
check-client-keytype: $(CLIENT_E2E_DEPS)
	timeout 300 tests/client/keytype.sh
