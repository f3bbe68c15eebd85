# daemon/health: the watchdog (issue 13): `show health`, GET /metrics,
# log alerts.  daemon/daemon.mk links $(PKID_HEALTH_OBJS).
PKID_HEALTH_OBJS := $(OBJ)/daemon/health/health.o \
		    $(OBJ)/daemon/health/health_show.o \
		    $(OBJ)/daemon/health/health_metrics.o
