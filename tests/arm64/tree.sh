#!/bin/bash
# The Debian 12 arm64 tree of make check-arm64 and `make deb ARCH=arm64`:
#   tree.sh DIR      makes DIR/root once (mmdebstrap --arch=arm64; cached,
#                    never committed; rm -rf DIR/root to refresh) and prints
#                    its path
# It is three things at once: the sysroot the host's cross compiler
# (crossbuild-essential-arm64) builds against (the arm64 -dev packages and
# the kernel headers), the source of the VM's kernel and of the arm64
# programs and libraries in the VM's initramfs (busybox, openssl, bash,
# jq), and the system the arm64 .debs are installed in (chrooted, through
# qemu-user-static's binfmt handler, which mmdebstrap needs as well).
# $PKIKS_MIRROR overrides the Debian mirror (default: the host's apt one).
set -euo pipefail
dir=$1
root=$dir/root

# The kernel (image, headers; the headers pull gcc-12 for DKMS), the
# libraries pkid, pkictl, pkiksd, the provider and the tests link (packaging/deps.txt's
# -dev packages, and libcunit1-dev for test-keystore), the VM's programs,
# and what the packages' maintainer scripts run (dkms, adduser, kmod);
# dpkg-dev for dpkg-shlibdeps on the arm64 binaries.
PKGS="linux-image-arm64 linux-headers-arm64 make perl binutils
libssl-dev libnl-3-dev libnl-genl-3-dev liburcu-dev libmicrohttpd-dev
libsqlite3-dev libjansson-dev libcurl4-openssl-dev libbpf-dev libelf-dev
zlib1g-dev libcunit1-dev
busybox-static openssl bash jq
dkms kmod adduser dpkg-dev"

# The Debian mirror this host's apt uses.
. "$(dirname "$0")/../lib/mirror.sh"

# One maker at a time (check-arm64 and make deb ARCH=arm64 may meet): the
# second waits for the first's tree instead of removing it under it.
mkdir -p "$dir"
exec 9>"$dir/tree.lock"
flock 9
if [ ! -d "$root/usr/src" ] || [ ! -e "$root/.pkid-arm64-tree" ]; then
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || {
		echo "arm64 tree: no qemu-aarch64 binfmt handler (qemu-user-static," \
			"binfmt-support; binfmt_misc mounted?): arm64 programs cannot run here" >&2
		exit 1
	}
	mirror=${PKIKS_MIRROR:-$(host_mirror)}
	echo "arm64 tree: mmdebstrap --arch=arm64 bookworm from $mirror (once; several minutes)" >&2
	# (--one-file-system: an interrupted mmdebstrap may leave mounts in it)
	rm -rf --one-file-system "$dir/root.tmp"
	pkgs=$(printf '%s' "$PKGS" | tr -s ' \n' ',')
	# The kernel's postinst would run mkinitramfs, every arm64 program of
	# it emulated (over 15 minutes here), for an initramfs nothing boots:
	# the VM has its own (tests/vm/mkinitramfs.sh).  update-initramfs is
	# diverted to a no-op before the kernel is installed.
	mmdebstrap --quiet --variant=apt --arch=arm64 --include="$pkgs" \
		--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename \
			--add /usr/sbin/update-initramfs &&
			printf "#!/bin/sh\n# pkid arm64 tree: no initramfs (tests/arm64/tree.sh)\nexit 0\n" \
				>"$1/usr/sbin/update-initramfs" && chmod 755 "$1/usr/sbin/update-initramfs"' \
		bookworm "$dir/root.tmp" "deb $mirror bookworm main" >"$dir/mmdebstrap.log" 2>&1 || {
		tail -30 "$dir/mmdebstrap.log" >&2
		exit 1
	}
	echo "$PKGS" >"$dir/root.tmp/.pkid-arm64-tree"
	rm -rf --one-file-system "$root"
	mv "$dir/root.tmp" "$root"
fi
echo "$root"
