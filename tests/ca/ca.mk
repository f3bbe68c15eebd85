# tests/ca: the certificate server's tests.
#   check-ca-scep        CUnit: the SCEP codec with in-memory keys
#   check-ca-enroll      strongSwan enroll (AES, 3DES/SHA-1, one-time
#                        password), RenewalReq and PKCSReq renewal, CRL via
#                        GetCRL and /crl/NAME.crl, revoke, archive, .cer files
#   check-ca-bad         the bad-input table, GetCert/GetCRL, repeated
#                        transactionID, GET with escapes over HTTP/1.0
#   check-ca-manual      pending + CertPoll + grant/reject, grant none
#   check-ca-restart     kill -9: pending requests, serials, CRL survive;
#                        issuer-name locked
#   check-ca-certmonger  scep-submit -c/-C, certmonger enroll and rekey
#   check-ca-micromdm    micromdm's scepclient (single DES): badAlg, then
#                        enrolled with `legacy des` (issue 15)
#   check-ca-timers      CS CRL UPDATE and ER EXPIRE fire (lab clock); -t
#   check-ca-single      IOS single-key mode; lifetime truncated at the CA
#   check-ca-clock       no CA without authoritative time; starts on event
#   check-ca-trustpoint  grant auto trustpoint TP in manual mode
#   check-ca-hostile     control characters, name bounds, duplicated
#                        extensions (issue 19 #6-#8)
#   check-ca-expired     an expired CA issues nothing, signs no CRL (#3)
#   check-ca-challenge   password required, failed challenges wait, rejected
#                        requests bounded (#5)
#   check-ca-diskfull    a full database url or state directory: nothing
#                        half recorded, said once (#4, #9; mounts tmpfs)
#   check-ca-slow        400 slow connections from one address: others
#                        served, p99 figures (#2)
#   bench-ca-enroll      parallel enrollments, GetCACert under CRL churn
# Each end-to-end check runs its own pkiksd twin (--lab) and pkid on a port
# of 18100-18199 in a mktemp dir, with bounded waits.
CA_TEST_SCEP := $(BIN)/test-scep

$(CA_TEST_SCEP): $(OBJ)/tests/ca/test_scep.o $(SCEP_OBJS) \
		 $(OBJ)/daemon/core/log.o $(OBJ)/daemon/ca/ca_limit.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE) -lcunit

ALL += $(CA_TEST_SCEP)
CHECKS += check-ca-scep

.PHONY: check-ca-scep
check-ca-scep: $(CA_TEST_SCEP)
	$(CA_TEST_SCEP)

# Test helpers: a control-socket client and a SCEP client for bad input.
CA_CTL_CALL := $(BIN)/ctl-call
CA_SCEP_CLIENT := $(BIN)/scep-client

$(CA_CTL_CALL): $(OBJ)/tests/ca/ctl_call.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE) -ljansson

$(CA_SCEP_CLIENT): $(OBJ)/tests/ca/scep_client.o $(SCEP_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE)

CA_LAB_ADVANCE := $(BIN)/lab-advance

$(CA_LAB_ADVANCE): $(OBJ)/tests/ca/lab_advance.o $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBPKID) $(LDLIBS_BASE)

CA_TP_SEED := $(BIN)/tp-seed

$(CA_TP_SEED): $(OBJ)/tests/ca/tp_seed.o $(PKID_CORE_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(LIBPKID) $(LDLIBS_BASE) \
		$(PKID_CORE_LIBS)

ALL += $(CA_CTL_CALL) $(CA_SCEP_CLIENT) $(CA_LAB_ADVANCE) $(CA_TP_SEED)

# End-to-end checks: real pkiksd twin, real pkid, real clients on loopback
# (ports 18100-18199), each in its own temp dir.
CA_E2E_DEPS := $(PKID) $(CA_CTL_CALL) $(CA_SCEP_CLIENT) $(CA_LAB_ADVANCE) \
	       $(CA_TP_SEED) \
	       $(BIN)/pkiksd \
	       $(BIN)/pkictl $(BIN)/pkiks-keygen $(B)/pkiks-provider.so
CA_E2E := enroll bad manual restart certmonger timers single clock trustpoint \
	  micromdm \
	  hostile expired challenge diskfull slow ecdsa presign

CHECKS += $(CA_E2E:%=check-ca-%)

.PHONY: $(CA_E2E:%=check-ca-%)
$(CA_E2E:%=check-ca-%): check-ca-%: $(CA_E2E_DEPS)
	timeout 300 tests/ca/$*.sh

BENCHES += bench-ca-enroll
.PHONY: bench-ca-enroll
bench-ca-enroll: $(CA_E2E_DEPS)
	timeout 600 tests/ca/bench.sh
