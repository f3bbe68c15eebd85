# libshared: build fragment, included first by the top-level Makefile.
# LIBPKID is the static library every userspace program links.
LIBPKID := $(B)/libpkid.a
