#!/bin/bash
# `dkms add` + `dkms build` of the packaged source tree against the newest
# installed Debian kernel headers, in a private DKMS tree (--dkmstree,
# --sourcetree, --installtree under a temporary directory; signing off, so
# no MOK key pair appears in /var/lib/dkms): the system's DKMS state is
# never touched.  Fails on any dkms error or compiler warning.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/packaging/dkms.conf")
kver=$(ls -d /lib/modules/*/build 2>/dev/null | sed 's,/lib/modules/,,;s,/build,,' | sort -V | tail -1)
[ -n "$kver" ] || { echo "check-dkms: no kernel headers installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/kmod/tree.sh" "$tmp/src/pkiks-$ver"
opts=(--dkmstree "$tmp/dkms" --sourcetree "$tmp/src" --installtree "$tmp/install")
# No module signing: otherwise dkms creates a MOK key pair in /var/lib/dkms.
export sign_file=$tmp/no-sign-file
mkdir -p "$tmp/dkms" "$tmp/install"
dkms add -m pkiks -v "$ver" "${opts[@]}" >"$tmp/log" 2>&1
dkms build -m pkiks -v "$ver" -k "$kver" "${opts[@]}" >>"$tmp/log" 2>&1 || {
	cat "$tmp/log"
	find "$tmp/dkms" -name make.log -exec cat {} + 2>/dev/null || true
	exit 1
}
mlog=$(find "$tmp/dkms" -name make.log | head -1)
ko=$(find "$tmp/dkms/pkiks/$ver" -name 'pkiks.ko*' | head -1)
[ -n "$ko" ] || { echo "check-dkms: dkms built no pkiks.ko" >&2; cat "$tmp/log"; exit 1; }
[ -n "$mlog" ] || { echo "check-dkms: no make.log" >&2; exit 1; }
if grep 'warning:' "$mlog"; then
	exit 1
fi
dkms status -m pkiks "${opts[@]}"
echo "check-dkms: built $(basename "$ko") for $kver in a private DKMS tree"
