# daemon/proto/scep: SCEP (RFC 8894), both sides of the wire.
#
# SCEP_OBJS: the server-side message codec (PKIOperation in, CertRep out),
# also linked by tests/ca's unit test and the load generator.
# SCEP_PKID_OBJS: SCEP on pkid's parts, linked into pkid only: the server
# on the CA's protocol-neutral calls (scep_server.c, daemon/ca/ca.h), its
# routes in the HTTP table (scep_http.c), and SCEP as the trustpoints'
# enrollment protocol (scep_enroll.c, daemon/proto/enroll_proto.h).
# SCEP_CLIENT_OBJS: the client codec and its libcurl transport (it reports
# through scep_client_set_log(): pkid points it at its log, scep-bench and
# the crash storm at stderr).
SCEP_OBJS := $(OBJ)/daemon/proto/scep/scep.o \
	     $(OBJ)/daemon/proto/scep/scep_legacy.o \
	     $(OBJ)/daemon/proto/scep/scep_attr.o \
	     $(OBJ)/daemon/proto/scep/scep_reply.o

SCEP_CLIENT_OBJS := $(OBJ)/daemon/proto/scep/scep_client.o \
		    $(OBJ)/daemon/proto/scep/scep_client_csr.o \
		    $(OBJ)/daemon/proto/scep/scep_client_http.o

SCEP_PKID_OBJS := $(OBJ)/daemon/proto/scep/scep_server.o \
		  $(OBJ)/daemon/proto/scep/scep_http.o \
		  $(OBJ)/daemon/proto/scep/scep_enroll.o

# LIBSCEP: both codecs and the client transport as a library for programs
# outside the daemon (tools/scep-bench, tests/client's unit test, the
# crash storm); they include "scep/scep_client.h" with $(SCEP_CFLAGS) and
# need no other daemon header or object.
LIBSCEP := $(B)/libscep.a
SCEP_CFLAGS := -Idaemon/proto

$(LIBSCEP): $(SCEP_OBJS) $(SCEP_CLIENT_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

ALL += $(LIBSCEP)
