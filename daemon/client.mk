# daemon/client.mk: pkid as a PKI client (trustpoints, ROLLOVER.md §4).
# (Named to sort before daemon/daemon.mk, which links what it defines.)
#
# SCEP_CLIENT_OBJS: the client codec and its libcurl transport, also linked
# by tests/client's unit test.  PKID_TP_OBJS: everything the trustpoints
# need in pkid; daemon/daemon.mk links $(PKID_TP_OBJS) and adds
# $(PKID_TP_LIBS) to pkid's link line.
SCEP_CLIENT_OBJS := $(OBJ)/daemon/scep_client.o \
		    $(OBJ)/daemon/scep_client_csr.o \
		    $(OBJ)/daemon/scep_client_http.o

PKID_TP_OBJS := $(SCEP_CLIENT_OBJS)
PKID_TP_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
PKID_TP_OBJS += $(OBJ)/daemon/tp.o $(OBJ)/daemon/tp_timers.o \
		$(OBJ)/daemon/tp_auth.o \
		$(OBJ)/daemon/tp_keys.o $(OBJ)/daemon/tp_enroll.o \
		$(OBJ)/daemon/tp_install.o $(OBJ)/daemon/tp_ctl.o \
		$(OBJ)/daemon/tp_crl.o
