# daemon: build fragment, included by the top-level Makefile.
#
# pkid is linked from the parts each folder describes in its own fragment:
# daemon/core/core.mk (database, control socket, HTTP, reload, log, key
# blobs), daemon/ca/ca.mk (the certificate server), daemon/client/client.mk
# (trustpoints), daemon/proto/scep/scep.mk (SCEP: codecs, server, routes,
# the trustpoints' protocol) and
# daemon/guard/guard.mk (the XDP guard) and daemon/health/health.mk (the
# watchdog).  Some of them are read after this
# file, so the prerequisites are expanded late.
PKID := $(BIN)/pkid

.SECONDEXPANSION:
# Everything but the guard (daemon/guard/guard.mk: PKID_GUARD_OBJS, the
# guard or guard_none.o), expanded late like the prerequisites.
PKID_PARTS = $(OBJ)/daemon/main.o $(CA_OBJS) $(SCEP_OBJS) $(SCEP_PKID_OBJS) \
	     $(OCSP_PKID_OBJS) \
	     $(SCEP_CLIENT_OBJS) $(EST_OBJS) $(EST_PKID_OBJS) \
	     $(PKID_CORE_OBJS) $(PKID_BASE_OBJS) $(PKID_TP_OBJS) \
	     $(PKID_HEALTH_OBJS) $(LIBPKID)
PKID_PART_LIBS = $(LIBPKID) $(LDLIBS_BASE) \
		 $(PKID_BASE_LIBS) $(PKID_CORE_LIBS) $(PKID_TP_LIBS) \
		 $(EST_PKID_LIBS)
$(PKID): $$(PKID_PARTS) $$(PKID_GUARD_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(PKID_PART_LIBS) $(PKID_GUARD_LIBS)

ALL += $(PKID)

# Daemon sources name each other's headers by folder ("core/db.h").
$(OBJ)/daemon/%.o: CFLAGS += -Idaemon
