# libshared: build fragment, included first by the top-level Makefile.
# LIBPKID is the static library every userspace program links: every
# libshared/*.c joins it (the OpenSSL provider in libshared/provider/ is
# built separately, as a module).
LIBPKID := $(B)/libpkid.a

LIBPKID_SRCS := $(sort $(wildcard libshared/*.c))
LIBPKID_OBJS := $(LIBPKID_SRCS:%.c=$(OBJ)/%.o)

$(LIBPKID): $(LIBPKID_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

ALL += $(LIBPKID)
