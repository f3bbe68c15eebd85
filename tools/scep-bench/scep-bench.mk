# tools/scep-bench: the SCEP enrollment load generator (bench.h says how).
# It speaks SCEP with the daemon's own client codec and libcurl transport,
# linked as a library (LIBSCEP, daemon/proto/scep/scep.mk): no daemon
# object and no daemon header but the protocol's.
SCEP_BENCH := $(BIN)/scep-bench
SCEP_BENCH_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(wildcard tools/scep-bench/*.c))

$(SCEP_BENCH_OBJS): CFLAGS += $(SCEP_CFLAGS)

# EST mode: the daemon's EST client transport and codec (est_client.c,
# est.c: OpenSSL and libcurl only, no other daemon part).
SCEP_BENCH_EST_OBJS := $(OBJ)/daemon/proto/est/est_client.o \
		       $(OBJ)/daemon/proto/est/est.o

$(SCEP_BENCH): $(SCEP_BENCH_OBJS) $(SCEP_BENCH_EST_OBJS) $(LIBSCEP) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(LIBSCEP) $(LIBPKID) \
		$(LDLIBS_BASE) \
		$(PKID_TP_LIBS) $(shell pkg-config --libs jansson)

ALL += $(SCEP_BENCH)

# bench-scep: pkiksd --lab + pkid on 127.0.0.1:18310, figures printed.
# bench-est: the same CA serving SCEP and EST (18312/18313): SCEP, then
# EST enrollments, figures side by side (tools/scep-bench/bench-est.sh).
# check-scep-bench: the same tool, a few enrollments, proves it works.
BENCHES += bench-scep bench-est
CHECKS += check-scep-bench
.PHONY: bench-scep bench-est check-scep-bench
bench-scep: $(SCEP_BENCH) $(CA_E2E_DEPS)
	timeout 900 tools/scep-bench/bench.sh
check-scep-bench: $(SCEP_BENCH) $(CA_E2E_DEPS)
	SMOKE=1 timeout 600 tools/scep-bench/bench.sh
	SMOKE=1 CA_EC=256 timeout 600 tools/scep-bench/bench.sh
bench-est: $(SCEP_BENCH) $(CA_E2E_DEPS)
	timeout 900 tools/scep-bench/bench-est.sh
CHECKS += check-est-bench
.PHONY: check-est-bench
check-est-bench: $(SCEP_BENCH) $(CA_E2E_DEPS)
	SMOKE=1 timeout 600 tools/scep-bench/bench-est.sh

# bench-scep-ec: bench-scep with an ECDSA CA key (P-256 and P-384) and the
# RSA RA; the limit uses OpenSSL's ECDSA sign rate for the certificate.
BENCHES += bench-scep-ec
.PHONY: bench-scep-ec
bench-scep-ec: $(SCEP_BENCH) $(CA_E2E_DEPS)
	CA_EC=256 timeout 900 tools/scep-bench/bench.sh
	CA_EC=384 timeout 900 tools/scep-bench/bench.sh
