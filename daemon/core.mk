# daemon core: the database (daemon/db*.c) and the control socket
# (daemon/ctl*.c), linked into pkid and into their tests.  daemon/daemon.mk
# links $(PKID_CORE_OBJS) and adds $(PKID_CORE_LIBS) to pkid's link line.
PKID_CORE_OBJS := $(OBJ)/daemon/db.o $(OBJ)/daemon/db_ca.o \
		  $(OBJ)/daemon/db_req.o $(OBJ)/daemon/db_tp.o \
		  $(OBJ)/daemon/db_keyblob.o \
		  $(OBJ)/daemon/ctl.o $(OBJ)/daemon/ctl_cmd.o
PKID_CORE_LIBS := $(shell pkg-config --libs sqlite3 jansson 2>/dev/null)
