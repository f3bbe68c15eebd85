#!/bin/bash
# make, cross-compiling pkid's userspace for arm64 into build/arm64:
#   cross-make.sh TREE TARGET...    (targets named under build/arm64/...)
# TREE is the arm64 Debian tree (tests/arm64/tree.sh): the host's
# aarch64-linux-gnu-gcc (crossbuild-essential-arm64) compiles and links
# against it as its sysroot, and pkg-config answers from its .pc files
# with its paths.  The objects are the same sources and flags as the
# host's build, in another build directory (B=build/arm64), so the two
# builds never mix.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tree=$(cd "$1" && pwd)
shift
triplet=aarch64-linux-gnu
command -v $triplet-gcc >/dev/null || {
	echo "cross-make: no $triplet-gcc (crossbuild-essential-arm64)" >&2
	exit 1
}
export PKG_CONFIG_LIBDIR=$tree/usr/lib/$triplet/pkgconfig:$tree/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$tree
unset PKG_CONFIG_PATH
exec make --no-print-directory -C "$top" -j"$(nproc)" B=build/arm64 \
	CC="$triplet-gcc --sysroot=$tree" "$@"
