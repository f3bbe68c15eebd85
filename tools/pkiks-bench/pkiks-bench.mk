# pkiks-bench: keystore vs in-process OpenSSL RSA-2048 signatures per second.
PKIKS_BENCH_OBJS := $(OBJ)/tools/pkiks-bench/main.o

$(BIN)/pkiks-bench: $(PKIKS_BENCH_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(PKIKS_BENCH_OBJS) $(LIBPKID) $(LDLIBS_BASE)

ALL += $(BIN)/pkiks-bench

# Against a private pkiksd, 1 and 2 threads.
.PHONY: bench-keystore-twin
bench-keystore-twin: $(BIN)/pkiks-bench $(BIN)/pkiksd $(B)/test-keys/rsa2048.pem
	@set -e; . tests/lib/keystore.sh; tmp=$$(mktemp -d); \
	trap 'ks_twin_stop; rm -rf "$$tmp"' EXIT; \
	ks_twin_start "$$tmp"; \
	for n in 1 2; do \
		PKIKS_QUIET=1 $(BIN)/pkiks-bench --keys $(B)/test-keys \
			--transport twin --threads $$n --seconds 3 \
			--calendar-valid; \
	done

BENCHES += bench-keystore-twin
