# tests/hierarchy: CA hierarchies (issue 17).  Ports 18900-18949.
#   check-hierarchy-policy  a CA request to a pkid CA: pending under grant
#                           auto, the operator's grant issues CA:TRUE with
#                           pathlen, keyCertSign/cRLSign, truncated at the
#                           root's end; grant auto rollover ca-cert
#   check-hierarchy-sub     root + mode sub-cs + clients: the sub enrolls its
#                           CA certificate (pending, granted, POLL), serves
#                           the chain; strongSwan and a pkid trustpoint
#                           enroll at the sub; openssl verify root <- sub
#   check-hierarchy-notca   a non-CA certificate from the parent, a request
#                           rejected at the root: the sub does not serve and
#                           says why
#   check-hierarchy-renew   the sub renews its CA certificate (same key) at
#                           the root, granted by grant auto rollover ca-cert;
#                           its routers verify across the old end
#   check-hierarchy-rootroll the root rolls over: the sub SHADOWs through its
#                           trustpoint, offers its shadow as its rollover CA
#                           and its routers SHADOW too; at the root's end it
#                           serves [sub2, RA, root2]: no gap (lab clock)
#   check-hierarchy-ra      mode ra in front of a pkid CA (grant ra-auto):
#                           the RA enrolls at the CA, serves [CA, RA];
#                           strongSwan and a pkid trustpoint enroll through
#                           it (manual grant, one-time password at the RA);
#                           refused at the RA never reaches the CA; the CA
#                           down: pending, nothing lost
#   check-hierarchy-subroll the sub's own key rollover 3 times (SUB# certified
#                           by the root from the sub's end, GetNextCACert,
#                           its router SHADOWs, promotion); strongSwan before
#                           and after: no gap (lab clock)
#   check-hierarchy-offline an offline root: the sub's enrollment and its
#                           rollover through files only (enrollment terminal,
#                           import/export), bad files refused, no gap
#   check-hierarchy-tiers   root -> sub -> router through two root
#                           rollovers, each with the sub's own rollover in
#                           the same overlap window (its request goes to the
#                           root's rollover CA), in both orders; verify
#                           +-1 s at each end (lab clock)
#   check-hierarchy-offroll an offline root rolls over with its sub (both at
#                           one end): the root's rollover CA as a signed
#                           file, the sub's request for SUB# issued by it,
#                           the sub says each manual step; no gap
#   check-hierarchy-nc      the root's name-constraints in the sub's CA
#                           certificate (critical); names inside verify
#                           (openssl verify), the sub refuses names outside
#   check-hierarchy-rapoll  the RA's own upstream poll: its grant forwards at
#                           once, a keystore timer fetches what the CA
#                           granted before the client polls (lab clock)
#   check-hierarchy-offkeep an offline root rolls over under a sub that keeps
#                           its key: its SHADOW over files (the step said,
#                           the request for key SUB issued by the root's
#                           rollover CA), its router SHADOWs; no gap
#   check-hierarchy-manroll `server rollover SUB` by hand after trustpoint SUB
#                           SHADOWed its key for the root's rollover: the
#                           shadow dropped once SUB# is certified, the
#                           router SHADOWs again; no gap
#   check-hierarchy-rapollroll the RA's upstream poll during the CA's
#                           rollover: a router's SHADOW through the RA,
#                           pending at the CA's rollover CA, fetched by the
#                           RA's poll before the router polls; no gap
HIER_E2E := policy sub notca renew rootroll subroll offline ra raroll tiers offroll nc rapoll offkeep manroll rapollroll

CHECKS += $(HIER_E2E:%=check-hierarchy-%)

.PHONY: $(HIER_E2E:%=check-hierarchy-%)
$(HIER_E2E:%=check-hierarchy-%): check-hierarchy-%: $(CA_E2E_DEPS) $(CLIENT_E2E_DEPS)
	timeout 300 tests/hierarchy/$*.sh

# check-hierarchy-sub-ec: check-hierarchy-sub with an ECDSA P-256 sub-CA
# (eckeypair SUB 256 in mode sub-cs): its key signs its CA request and
# derives the root's CertRep (ECDH); strongSwan and a pkid trustpoint
# enroll under it.
CHECKS += check-hierarchy-sub-ec
.PHONY: check-hierarchy-sub-ec
check-hierarchy-sub-ec: $(CA_E2E_DEPS) $(CLIENT_E2E_DEPS)
	SUB_EC=256 timeout 300 tests/hierarchy/sub.sh

# check-hierarchy-subroll-ec: check-hierarchy-subroll with an ECDSA P-256
# sub (eckeypair SUB 256), two rounds: each SUB# is P-256, signs the
# sub's request to the RSA root (the second round's with the first new
# certificate) and derives the root's CertRep; the router follows.
CHECKS += check-hierarchy-subroll-ec
.PHONY: check-hierarchy-subroll-ec
check-hierarchy-subroll-ec: $(CA_E2E_DEPS) $(CLIENT_E2E_DEPS)
	SUB_EC=256 SUBROLL_ROUNDS=2 timeout 300 tests/hierarchy/subroll.sh
