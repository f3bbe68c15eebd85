# tests/http: the HTTP routing table (daemon/core/http.c) through
# http_dispatch(), no socket: exact paths, prefixes, methods, match(),
# errno answers, /metrics to loopback, a full table.
TEST_HTTP := $(BIN)/test-http
$(OBJ)/tests/http/test_http.o: CFLAGS += -Idaemon

$(TEST_HTTP): $(OBJ)/tests/http/test_http.o $(OBJ)/tests/lib/cunit_run.o \
	      $(OBJ)/daemon/core/http.o \
	      $(OBJ)/daemon/core/http_deadline.o $(OBJ)/daemon/core/log.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BASE) \
		$(shell pkg-config --libs libmicrohttpd) -lcunit

.PHONY: check-http
check-http: $(TEST_HTTP)
	$(TEST_HTTP)

ALL += $(TEST_HTTP)
CHECKS += check-http
