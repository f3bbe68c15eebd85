# tests/est: EST (RFC 7030), daemon/proto/est.
#   check-est-codec   CUnit: the codec (est.c) with in-memory keys
#   check-est-server  curl and openssl against pkid's EST over TLS: TLS
#                     versions, cacerts, simpleenroll (Basic, one-time
#                     password), simplereenroll (TLS client certificate),
#                     and every refusal (bad input, wrong or revoked TLS
#                     certificate, another CA's): clear HTTP errors,
#                     nothing issued
#   check-est-manual  manual granting: 202 + Retry-After, the operator's
#                     grant, the same request again gets the certificate
#   check-est-promotion a request to the next label in flight during a
#                     cancel and a promotion (both wait for it: issued by
#                     the rollover CA), one arriving during the promotion
#                     (404 after it)
#   check-est-rollover /cacerts during a rollover: OldWithOld, OldWithNew,
#                     NewWithOld (signatures, validity), made once, gone
#                     after a cancel, new for the next rollover
# Each runs its own pkiksd twin and pkid on ports 19100-19199 (HTTP on
# the even port, TLS on the next) in a mktemp dir, with bounded waits.
TEST_EST := $(BIN)/test-est
$(OBJ)/tests/est/test_est.o: CFLAGS += -Idaemon/proto/est

$(TEST_EST): $(OBJ)/tests/est/test_est.o $(OBJ)/tests/lib/cunit_run.o \
	     $(EST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE) -lcunit

ALL += $(TEST_EST)
CHECKS += check-est-codec

.PHONY: check-est-codec
check-est-codec: $(TEST_EST)
	$(TEST_EST)

EST_E2E := server manual rollover promotion

CHECKS += $(EST_E2E:%=check-est-%)

.PHONY: $(EST_E2E:%=check-est-%)
$(EST_E2E:%=check-est-%): check-est-%: $(CA_E2E_DEPS)
	timeout 300 tests/est/$*.sh

# The EST client: a client pkid's trustpoints against a CA pkid, sharing
# one pkiksd --lab (tests/est/client-lib.sh on tests/client/lib.sh), on
# ports 19120-19149.
#   check-est-client-lifecycle  enroll, RENEW, rollover, SHADOW, the
#                               switch, renewal under the new CA; verify
#                               -attime around the CA's end
#   check-est-client-mixed      SCEP and EST trustpoints of one client
#                               against one CA through a rollover
#   check-est-client-bad        wrong fingerprint, wrong password, a
#                               server certificate not from the CA
#   check-est-client-idevid     the first enrollment by an IDevID
#                               (enrollment credential; grant auto
#                               trustpoint MFG): trusted, another maker's,
#                               the wrong key, expired
#   check-est-client-crl        revocation over EST: the CRL from the
#                               identity's CDP, the identity revoked
#                               (listed after nextUpdate), its RENEW
#                               refused by the CA
#   check-est-client-missed     SHADOW missed through the CA's end, the
#                               client back while the promotion is held:
#                               enrolled under the rollover CA it held
#   check-est-client-next404    a SHADOW request made before the CA's end
#                               and sent after its promotion (client hook
#                               est-next-enroll): the handshake judged at
#                               the keystore's time then, 404 from the
#                               next label, recovered at once (before the
#                               CONNECT RETRY it used to wait for)
EST_CLIENT_E2E := client-lifecycle client-mixed client-bad client-idevid \
		  client-crl client-missed client-next404

CHECKS += $(EST_CLIENT_E2E:%=check-est-%)

.PHONY: $(EST_CLIENT_E2E:%=check-est-%)
$(EST_CLIENT_E2E:%=check-est-%): check-est-%: $(CLIENT_E2E_DEPS)
	timeout 300 tests/est/$*.sh

# ECDSA trustpoint keys (eckeypair) over EST: no key transport, the
# keystore's EC key signs the CSRs and the TLS handshakes.
#   check-est-client-lifecycle-ec  the lifecycle above, a P-384 trustpoint
#                                  against a P-256 CA
#   check-est-client-poll-ec       a P-256 trustpoint pending under manual
#                                  granting (enroll and renewal): each poll
#                                  is signed anew (ECDSA is randomised) and
#                                  still polls the one pending request
CHECKS += check-est-client-lifecycle-ec check-est-client-poll-ec
.PHONY: check-est-client-lifecycle-ec check-est-client-poll-ec
check-est-client-lifecycle-ec: $(CLIENT_E2E_DEPS)
	CA_EC=256 TP_EC=384 timeout 300 tests/est/client-lifecycle.sh

check-est-client-poll-ec: $(CLIENT_E2E_DEPS)
	TP_EC=256 timeout 300 tests/est/client-poll.sh
