# daemon: build fragment, included by the top-level Makefile.
# pkid: the certificate server (SCEP over HTTP) and its CA.

# The SCEP message codec, also linked by its unit test.
SCEP_OBJS := $(OBJ)/daemon/scep.o $(OBJ)/daemon/scep_attr.o \
	     $(OBJ)/daemon/scep_reply.o

# The certificate server and its HTTP front end.
CA_OBJS := $(OBJ)/daemon/ca.o $(OBJ)/daemon/ca_util.o \
	   $(OBJ)/daemon/ca_create.o $(OBJ)/daemon/ca_issue.o \
	   $(OBJ)/daemon/ca_crl.o $(OBJ)/daemon/ca_scep.o \
	   $(OBJ)/daemon/http.o
CA_OBJS += $(OBJ)/daemon/ca_ctl.o $(OBJ)/daemon/ca_rollover.o
# Reload, running-config and the IOS-tagged log (daemon/reload.h, log.h).
CA_OBJS += $(OBJ)/daemon/reload.o $(OBJ)/daemon/log.o
# Wrapped blobs of pkid's keys, restored after a keystore restart.
CA_OBJS += $(OBJ)/daemon/keyblob.o

PKID := $(BIN)/pkid
PKID_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null) -lurcu-bp

# daemon/guard.mk is read after this file: expand its objects late.
.SECONDEXPANSION:
$(PKID): $(OBJ)/daemon/main.o $(CA_OBJS) $(SCEP_OBJS) $(PKID_CORE_OBJS) \
	 $(PKID_TP_OBJS) $$(PKID_GUARD_OBJS) $(LIBPKID)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(LIBPKID) $(LDLIBS_BASE) \
		$(PKID_LIBS) $(PKID_CORE_LIBS) $(PKID_TP_LIBS) \
		$(PKID_GUARD_LIBS)

ALL += $(PKID)
