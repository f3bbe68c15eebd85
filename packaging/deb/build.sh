#!/bin/bash
# `make deb`: build the Debian packages from a staged tree with dpkg-deb
# (no debian/ source package, no root needed: --root-owner-group).
#
#   packaging/deb/build.sh [OUTDIR [ARCH]] (default build/deb, this host's)
#
# ARCH arm64 on another host (make deb ARCH=arm64): the binaries are
# cross-compiled into build/arm64 against the arm64 Debian tree
# (tests/arm64/tree.sh, tests/arm64/cross-make.sh), and dpkg-shlibdeps runs
# inside that tree (chroot, qemu-user binfmt), where the arm64 libraries'
# packages and symbols files are.
#
#   pkid        the daemon, pkictl, pkiksd, pkiks-kek, the key generator,
#               the OpenSSL provider, systemd units, man pages, bash
#               completion, the example configuration as /etc/pkid/pkid.conf
#   pkiks-dkms  the module's source tree (kmod/tree.sh: sources, kbuild
#               Makefile, uapi/pkiks.h, dkms.conf) in /usr/src/pkiks-VER,
#               registered with DKMS and built for every installed kernel
#               with headers by its postinst
#
# Dependencies of pkid come from dpkg-shlibdeps on the staged binaries.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/packaging/deb
out=$(mkdir -p "${1:-$top/build/deb}" && cd "${1:-$top/build/deb}" && pwd)
cd "$top"

pkid_ver=$(sed -n 's/^#define PKID_VERSION *"\(.*\)"/\1/p' daemon/main.c)
dkms_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' packaging/dkms.conf)
[ -n "$pkid_ver" ] && [ -n "$dkms_ver" ] || {
	echo "deb: cannot read the versions (daemon/main.c, dkms.conf)" >&2
	exit 1
}
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
bdir=build
strip=strip
tree=
if [ -n "${2:-}" ] && [ "$2" != "$arch" ]; then
	case $2 in
	arm64) ;;
	*) echo "deb: ARCH=$2: only this host's architecture ($arch) and arm64" >&2; exit 1 ;;
	esac
	arch=$2 multiarch=aarch64-linux-gnu bdir=build/arm64 strip=aarch64-linux-gnu-strip
	tree=$("$top/tests/arm64/tree.sh" "$top/build/arm64")
fi
bins=($bdir/bin/pkid $bdir/bin/pkictl $bdir/bin/pkiksd $bdir/bin/pkiks-kek
	$bdir/bin/pkiks-ntpwatch $bdir/bin/pkiks-keygen $bdir/pkiks-provider.so)
if [ -n "$tree" ]; then
	"$top/tests/arm64/cross-make.sh" "$tree" PKID_GUARD=yes "${bins[@]}" >&2
else
	make --no-print-directory -j"$(nproc)" PKID_GUARD=yes "${bins[@]}" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# man pages, compressed as Debian ships them
man_install() { # SRC DESTDIR
	install -d "$2"
	gzip -9n <"$1" >"$2/$(basename "$1").gz"
	chmod 0644 "$2/$(basename "$1").gz"
}

# copyright, changelog, and the lintian override: these packages are not
# Debian uploads, so there is no ITP bug for the first changelog entry
doc_install() { # ROOT PACKAGE
	install -d "$1/usr/share/doc/$2" "$1/usr/share/lintian/overrides"
	install -m 0644 "$here/copyright" "$1/usr/share/doc/$2/copyright"
	gzip -9n <"$here/changelog" >"$1/usr/share/doc/$2/changelog.Debian.gz"
	chmod 0644 "$1/usr/share/doc/$2/changelog.Debian.gz"
	echo "$2: initial-upload-closes-no-bugs" >"$1/usr/share/lintian/overrides/$2"
	chmod 0644 "$1/usr/share/lintian/overrides/$2"
}

stage_pkid() {
	local r=$tmp/pkid
	install -D -m 0755 $bdir/bin/pkid "$r/usr/sbin/pkid"
	install -D -m 0755 $bdir/bin/pkiksd "$r/usr/sbin/pkiksd"
	install -D -m 0755 $bdir/bin/pkiks-kek "$r/usr/sbin/pkiks-kek"
	install -D -m 0755 $bdir/bin/pkiks-ntpwatch "$r/usr/sbin/pkiks-ntpwatch"
	install -D -m 0755 $bdir/bin/pkictl "$r/usr/sbin/pkictl"
	install -D -m 0755 $bdir/bin/pkiks-keygen "$r/usr/lib/pkid/pkiks-keygen"
	install -D -m 0644 $bdir/pkiks-provider.so \
		"$r/usr/lib/$multiarch/ossl-modules/pkiks-provider.so"
	install -D -m 0644 -t "$r/lib/systemd/system" packaging/systemd/*.service
	install -D -m 0644 packaging/pkid.conf.example "$r/etc/pkid/pkid.conf"
	install -D -m 0644 packaging/pkid.conf.example \
		"$r/usr/share/doc/pkid/examples/pkid.conf"
	install -D -m 0644 packaging/bash-completion/pkictl \
		"$r/usr/share/bash-completion/completions/pkictl"
	for m in packaging/man/*.[0-9]; do
		man_install "$m" "$r/usr/share/man/man${m##*.}"
	done
	doc_install "$r" pkid
	$strip --strip-unneeded "$r"/usr/sbin/* "$r/usr/lib/pkid/pkiks-keygen" \
		"$r/usr/lib/$multiarch/ossl-modules/pkiks-provider.so"
}

# Depends: the shared libraries the binaries link, per dpkg-shlibdeps
# (which wants a debian/control to name the package).
pkid_depends() {
	local d=$tmp/shlibs f args=()
	mkdir -p "$d/debian"
	printf 'Source: pkid\n\nPackage: pkid\nArchitecture: any\n' >"$d/debian/control"
	for f in "$tmp"/pkid/usr/sbin/* "$tmp/pkid/usr/lib/pkid/pkiks-keygen" \
		"$tmp/pkid/usr/lib/$multiarch/ossl-modules/pkiks-provider.so"; do
		args+=("-e$f")
	done
	if [ -n "$tree" ]; then
		shlibdeps_in_tree "$d" "${args[@]}"
	else
		(cd "$d" && dpkg-shlibdeps -O "${args[@]}" 2>"$d/log")
	fi | sed -n 's/^shlibs:Depends=//p' | grep . || {
		cat "$d/log" >&2
		return 1
	}
}

# shlibdeps_in_tree DIR -eFILE...: dpkg-shlibdeps for another
# architecture, run in its tree on a copy of DIR and the binaries.
shlibdeps_in_tree() {
	local d=$1 t f args=()
	shift
	t=$(mktemp -d "$tree/tmp/shlibdeps.XXXXXX")
	cp -r "$d/debian" "$t/"
	for f in "$@"; do
		cp "${f#-e}" "$t/"
		args+=("-e${f##*/}")
	done
	(cd "$t" && chroot "$tree" sh -c 'cd "$1" && shift && dpkg-shlibdeps -O "$@"' \
		sh "/tmp/${t##*/}" "${args[@]}" 2>"$d/log")
	rm -rf "$t"
}

control() { # ROOT PACKAGE VERSION ARCH DEPENDS RECOMMENDS DESCRIPTION...
	local r=$1 size
	size=$(du -sk --exclude=DEBIAN "$r" | cut -f1)
	install -d "$r/DEBIAN"
	{
		echo "Package: $2"
		echo "Version: $3"
		echo "Architecture: $4"
		echo "Maintainer: pkid developers <pkid-devel@example.org>"
		echo "Installed-Size: $size"
		echo "Depends: $5"
		[ -n "$6" ] && echo "Recommends: $6"
		echo "Section: net"
		echo "Priority: optional"
		echo "Homepage: https://example.invalid/pkid"
		shift 6
		printf 'Description: %s\n' "$1"
		shift
		printf ' %s\n' "$@"
	} >"$r/DEBIAN/control"
}

scripts() { # ROOT PACKAGE
	local s
	for s in postinst prerm postrm; do
		[ -f "$here/$2.$s" ] || continue
		sed "s/@DKMS_VERSION@/$dkms_ver/g" "$here/$2.$s" >"$1/DEBIAN/$s"
		chmod 0755 "$1/DEBIAN/$s"
	done
	return 0
}

stage_pkid
control "$tmp/pkid" pkid "$pkid_ver-1" "$arch" \
	"$(pkid_depends), adduser, kmod" "pkiks-dkms" \
	"certificate authority and SCEP client with automatic CA rollover" \
	"pkid is a certificate server (SCEP, RFC 8894) and client for Linux" \
	"routers, modelled on Cisco IOS PKI: auto-rollover CA, RENEW and SHADOW" \
	"clients, IOS-like configuration and CLI (pkictl).  Keys live in the" \
	"pkiks keystore: the kernel module (package pkiks-dkms) or, where it" \
	"cannot load, the userspace keystore pkiksd shipped here."
echo /etc/pkid/pkid.conf >"$tmp/pkid/DEBIAN/conffiles"
scripts "$tmp/pkid" pkid

r=$tmp/pkiks-dkms
kmod/tree.sh "$r/usr/src/pkiks-$dkms_ver"
chmod -R u=rwX,go=rX "$r/usr/src"
doc_install "$r" pkiks-dkms
control "$r" pkiks-dkms "$dkms_ver-1" all "dkms (>= 2.1), kmod" \
	"linux-headers-amd64 | linux-headers-arm64 | linux-headers-generic" \
	"pkiks keystore kernel module (DKMS source)" \
	"The pkiks module keeps pkid's private keys, timers and authoritative" \
	"clock in the kernel and serves them over generic netlink (pkiks(4))." \
	"DKMS builds it for each installed kernel that has its headers."
scripts "$r" pkiks-dkms

rm -f "$out"/pkid_*.deb "$out"/pkiks-dkms_*.deb
dpkg-deb --root-owner-group -Zxz --build "$tmp/pkid" \
	"$out/pkid_${pkid_ver}-1_$arch.deb" >&2
dpkg-deb --root-owner-group -Zxz --build "$r" \
	"$out/pkiks-dkms_${dkms_ver}-1_all.deb" >&2
ls "$out"/*.deb
