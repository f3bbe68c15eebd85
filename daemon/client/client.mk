# daemon/client: pkid as a PKI client (trustpoints, ROLLOVER.md §4).
# daemon/daemon.mk links $(PKID_TP_OBJS) and adds $(PKID_TP_LIBS).
PKID_TP_OBJS := $(OBJ)/daemon/client/tp.o $(OBJ)/daemon/client/tp_timers.o \
		$(OBJ)/daemon/client/tp_auth.o \
		$(OBJ)/daemon/client/tp_keys.o $(OBJ)/daemon/client/tp_enroll.o \
		$(OBJ)/daemon/client/tp_install.o $(OBJ)/daemon/client/tp_ctl.o \
		$(OBJ)/daemon/client/tp_crl.o $(OBJ)/daemon/client/tp_auto.o \
		$(OBJ)/daemon/client/tp_ocsp.o \
		$(OBJ)/daemon/client/tp_health.o \
		$(OBJ)/daemon/client/tp_recover.o \
		$(OBJ)/daemon/client/tp_nextca.o \
		$(OBJ)/daemon/client/tp_sub.o \
		$(OBJ)/daemon/client/tp_terminal.o
PKID_TP_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
