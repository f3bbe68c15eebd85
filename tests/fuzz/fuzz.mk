# tests/fuzz: libFuzzer (clang) harnesses for every parser that faces a
# peer: the SCEP request path, EST's codec, the control socket, pkiksd's
# protocol engine (tests/config/fuzz_config.c covers pkid.conf).  Each harness is
# built from the component's own sources with coverage and ASan/UBSan;
# seeds from real messages are in tests/fuzz/corpus/<harness>/.
#
#   make check-fuzz   each harness for FUZZ_SECONDS (25 s) from its seeds,
#                     one per core at once (tests/fuzz/run.sh)
#   make fuzz-long    each harness, the config one too, for 10 minutes
#                     (also `make fuzz`; not part of `make check`)
#
# A crash leaves its input in build/fuzz/<harness>/crash-*; once fixed,
# copy it (minimised: harness -minimize_crash=1 FILE) into the corpus so
# that every later run replays it.
FUZZ_CC := clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Ilibshared \
	   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	   $(shell pkg-config --cflags $(PKGS) jansson 2>/dev/null)
FUZZ_SECONDS ?= 25
FUZZERS := scep ctl pkiks est

# SCEP: the codec, the routing table (http.c), SCEP's routes
# (scep_http.c) and the SCEP server (scep_server.c) with the test CA of
# tests/fuzz/scep/; the harness stands in for daemon/ca's neutral calls and
# wraps inner contents with the daemon's SCEP client codec.
FUZZ_SCEP_SRCS := tests/fuzz/fuzz_scep.c daemon/core/http.c \
		  daemon/proto/scep/scep_http.c daemon/proto/scep/scep_server.c \
		  daemon/proto/scep/scep.c daemon/proto/scep/scep_legacy.c \
		  daemon/proto/scep/scep_attr.c daemon/proto/scep/scep_reply.c \
		  daemon/proto/scep/scep_client.c daemon/proto/scep/scep_client_csr.c \
		  daemon/core/http_deadline.c daemon/core/log.c \
		  daemon/core/testhook.c
# Control socket: daemon/core/ctl*.c as they are, on a socket in a temp dir.
FUZZ_CTL_SRCS := tests/fuzz/fuzz_ctl.c daemon/core/ctl.c daemon/core/ctl_cmd.c \
		 daemon/core/log.c \
		 $(wildcard libshared/*.c)
# pkiksd: everything but main.c (the harness stands in for it).
FUZZ_PKIKS_SRCS := tests/fuzz/fuzz_pkiks.c \
		   $(filter-out tools/pkiksd/main.c,$(wildcard tools/pkiksd/*.c)) \
		   $(wildcard libshared/*.c)

$(BIN)/fuzz-scep: $(FUZZ_SCEP_SRCS) daemon/proto/scep/scep.h daemon/proto/scep/scep_attr.h \
		  daemon/proto/scep/scep_client.h daemon/core/http.h daemon/ca/ca.h \
		  daemon/core/http_deadline.h daemon/proto/scep/scep_http.h \
		  daemon/proto/scep/scep_server.h tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) -Idaemon -DFUZZ_SCEP_DIR=\"$(CURDIR)/tests/fuzz/scep\" \
		-Wl,--wrap=scep_parse_ex -o $@ $(FUZZ_SCEP_SRCS) $(LDLIBS_BASE) \
		$(shell pkg-config --libs libmicrohttpd)

# EST: the codec (base64, PKCS#10, the name rule, Content-Type).
FUZZ_EST_SRCS := tests/fuzz/fuzz_est.c daemon/proto/est/est.c

$(BIN)/fuzz-est: $(FUZZ_EST_SRCS) daemon/proto/est/est.h tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) -Idaemon -o $@ $(FUZZ_EST_SRCS) $(LDLIBS_BASE)

$(BIN)/fuzz-ctl: $(FUZZ_CTL_SRCS) daemon/core/ctl.h daemon/core/ctl_internal.h \
		tests/fuzz/tmpdir.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -Idaemon -o $@ $(FUZZ_CTL_SRCS) $(LDLIBS_BASE) \
		$(shell pkg-config --libs jansson)

$(BIN)/fuzz-pkiks: $(FUZZ_PKIKS_SRCS) $(wildcard tools/pkiksd/*.h libshared/*.h) \
		tests/fuzz/tmpdir.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -Itools/pkiksd -o $@ $(FUZZ_PKIKS_SRCS) $(LDLIBS_BASE) \
		$(shell pkg-config --libs jansson)

ALL += $(FUZZERS:%=$(BIN)/fuzz-%)

.PHONY: check-fuzz fuzz-long fuzz
check-fuzz: $(FUZZERS:%=$(BIN)/fuzz-%)
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

fuzz-long: $(FUZZERS:%=$(BIN)/fuzz-%) $(BIN)/fuzz-config
	tests/fuzz/run.sh 600 $(FUZZERS) config

fuzz: fuzz-long

CHECKS += check-fuzz
