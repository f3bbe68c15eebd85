# daemon/core: what every part of pkid stands on.
#
# PKID_CORE_OBJS: the database (db*.c: SQLite in db_sqlite.c, PostgreSQL
# through libpq in db_pg.c), the control socket (ctl*.c) and
# the IOS-tagged log they write to, linked into pkid and into their tests.
# PKID_BASE_OBJS: the HTTP server and its routing table, reload driver,
# wrapped key blobs and the crash tests' hook, linked into pkid.
# daemon/daemon.mk links both and adds $(PKID_CORE_LIBS).
PKID_CORE_OBJS := $(OBJ)/daemon/core/db.o $(OBJ)/daemon/core/db_sqlite.o \
		  $(OBJ)/daemon/core/db_pg.o $(OBJ)/daemon/core/db_ca.o \
		  $(OBJ)/daemon/core/db_req.o $(OBJ)/daemon/core/db_tp.o \
		  $(OBJ)/daemon/core/db_keyblob.o $(OBJ)/daemon/core/db_node.o \
		  $(OBJ)/daemon/core/db_cafile.o \
		  $(OBJ)/daemon/core/ctl.o $(OBJ)/daemon/core/ctl_cmd.o \
		  $(OBJ)/daemon/core/log.o
PKID_CORE_LIBS := $(shell pkg-config --libs sqlite3 libpq jansson 2>/dev/null)
$(OBJ)/daemon/core/db_pg.o: CFLAGS += $(shell pkg-config --cflags libpq 2>/dev/null)

PKID_BASE_OBJS := $(OBJ)/daemon/core/http.o \
		  $(OBJ)/daemon/core/http_deadline.o $(OBJ)/daemon/core/reload.o \
		  $(OBJ)/daemon/core/keyblob.o $(OBJ)/daemon/core/testhook.o
PKID_BASE_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null) -lurcu-bp -lurcu-cds
