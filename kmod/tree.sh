#!/bin/bash
# Lays out a self-contained source tree of pkiks.ko in DEST: the module's
# sources, its kbuild Makefile, the protocol header as uapi/pkiks.h (the
# Makefile's -I$(src) finds it there), dkms.conf and the sysfs ABI
# document.  The same tree is what the build compiles (build/kmod), what
# DKMS builds, and what a package ships in /usr/src/pkiks-<version>.
#   kmod/tree.sh DEST
set -euo pipefail
dest=$1
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dest/uapi"
cp "$top"/kmod/*.c "$top"/kmod/*.h "$top/kmod/Makefile" "$dest/"
cp "$top/libshared/uapi/pkiks.h" "$dest/uapi/pkiks.h"
cp "$top/packaging/dkms.conf" "$dest/dkms.conf"
# The sysfs ABI document ships with the source (Documentation/ABI style).
mkdir -p "$dest/Documentation/ABI/testing"
cp "$top/kmod/Documentation/ABI/testing/sysfs-kernel-pkiks" \
	"$dest/Documentation/ABI/testing/"
