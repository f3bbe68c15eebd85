#!/bin/bash
# check-arm64's Debian packages: `make deb ARCH=arm64`, then their contents,
# then apt installs them in the arm64 tree and checks what an operator gets.
#   debs.sh TREE KVER
# The install happens in an overlay of TREE (a private mount namespace,
# upper layer in a temp dir), so the cached tree stays as mmdebstrap made
# it; every arm64 program runs through qemu-user's binfmt handler.
# Checks: Architecture arm64 (pkid) / all (pkiks-dkms); every ELF file in
# pkid's package is "ARM aarch64"; apt installs both; DKMS built and
# installed pkiks.ko for KVER (the tree's Debian 12 arm64 kernel, with its
# own arm64 gcc-12) and modinfo's vermagic is KVER's; the installed pkid
# -t and pkictl check accept the shipped /etc/pkid/pkid.conf; the
# installed pkiksd serves the installed pkictl; the postinst made the pkid group and wrote
# the module's user_gid; purge leaves no pkiks.ko and no /etc/pkid.
# The last line is a one-line summary (check-arm64's table).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tree=$(cd "$1" && pwd) kver=$2
out=$top/build/deb-arm64
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
okay() { echo "ok - $*"; }

"$top/packaging/deb/build.sh" "$out" arm64
pkid_deb=$(ls "$out"/pkid_*_arm64.deb)
dkms_deb=$(ls "$out"/pkiks-dkms_*_all.deb)
dkms_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/packaging/dkms.conf")

# Contents: the control fields and file(1) of every ELF file.
[ "$(dpkg-deb -f "$pkid_deb" Architecture)" = arm64 ] && okay "pkid: Architecture arm64" ||
	fail "pkid: Architecture $(dpkg-deb -f "$pkid_deb" Architecture)"
[ "$(dpkg-deb -f "$dkms_deb" Architecture)" = all ] && okay "pkiks-dkms: Architecture all" ||
	fail "pkiks-dkms: Architecture $(dpkg-deb -f "$dkms_deb" Architecture)"
echo "pkid Depends: $(dpkg-deb -f "$pkid_deb" Depends)"
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
dpkg-deb -x "$pkid_deb" "$x/pkid"
n=0
while read -r f; do
	n=$((n + 1))
	if file "$f" | grep -q 'ELF 64-bit LSB .*ARM aarch64'; then
		echo "    $(file "$f" | sed "s,^$x/pkid,,;s/, BuildID[^,]*//")"
	else
		fail "not arm64: $(file "$f")"
	fi
done < <(find "$x/pkid" -type f -exec sh -c 'head -c4 "$1" | grep -q ELF' sh {} \; -print)
[ $n -eq 7 ] && okay "pkid ships 7 ELF files, all ARM aarch64" || fail "pkid ships $n ELF files, want 7"
dpkg-deb -c "$dkms_deb" >"$x/dkms.list"
grep -q "usr/src/pkiks-$dkms_ver/dkms.conf$" "$x/dkms.list" &&
	okay "pkiks-dkms ships /usr/src/pkiks-$dkms_ver with dkms.conf" || fail "pkiks-dkms: no dkms.conf"

# The install, in an overlay of the tree.  The script below runs in the
# chroot (arm64 /bin/sh under qemu-user); it prints ok/FAIL lines.
mkdir -p "$x/upper" "$x/work" "$x/merged"
cp "$pkid_deb" "$dkms_deb" "$x/"
cat >"$x/in-tree.sh" <<'EOS'
set -u
kver=$1 ver=$2
cd /tmp/debs
okay() { echo "ok - $*"; }
fail() { echo "FAIL: $*"; }
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -q --no-install-recommends ./pkid_*_arm64.deb ./pkiks-dkms_*_all.deb >install.log 2>&1; then
	okay "apt-get install of both packages in the arm64 tree"
else
	fail "apt-get install:"; tail -30 install.log
fi
grep -i 'dkms\|pkiks' install.log | sed 's/^/    /' | head -20
dkms status -m pkiks -v "$ver" -k "$kver" | grep -q ": installed" &&
	okay "DKMS: pkiks/$ver installed for $kver ($(dkms status -m pkiks -v "$ver" -k "$kver"))" ||
	{ fail "DKMS status: $(dkms status -m pkiks 2>&1)"; tail -30 /var/lib/dkms/pkiks/"$ver"/build/make.log 2>/dev/null; }
ko=$(ls /lib/modules/"$kver"/updates/dkms/pkiks.ko* 2>/dev/null | head -1)
[ -n "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] &&
	okay "pkiks.ko in /lib/modules/$kver/updates/dkms, vermagic $kver" ||
	fail "no pkiks.ko for $kver (or a wrong vermagic)"
/usr/sbin/pkid -t -c /etc/pkid/pkid.conf >t.log 2>&1 && okay "the installed pkid -t accepts /etc/pkid/pkid.conf" ||
	{ fail "pkid -t:"; cat t.log; }
/usr/sbin/pkictl check -c /etc/pkid/pkid.conf >c.log 2>&1 && okay "the installed pkictl check accepts it" ||
	{ fail "pkictl check:"; cat c.log; }
# The installed pkiksd serves the installed pkictl (a private socket; the
# host kernel has no pkiks family).  Its start is bounded at 30 s: under
# qemu-user it took under 1 s.
mkdir -m 700 /tmp/ks /tmp/ks/state
(umask 077 && head -c 32 /dev/urandom >/tmp/ks/kek)
/usr/sbin/pkiksd --socket /tmp/ks/sock --state-dir /tmp/ks/state --kek-file /tmp/ks/kek \
	--foreground >/tmp/ks/log 2>&1 &
ksd=$!
i=0
while [ ! -S /tmp/ks/sock ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if PKIKS_SOCKET=/tmp/ks/sock /usr/sbin/pkictl show clock >clock.log 2>&1 &&
	grep -q '^Time source is' clock.log; then
	okay "the installed pkiksd serves the installed pkictl (show clock)"
else
	fail "pkiksd/pkictl:"; cat /tmp/ks/log clock.log
fi
kill $ksd 2>/dev/null; wait $ksd 2>/dev/null
getent group pkid >/dev/null && okay "postinst: the pkid group" || fail "no pkid group"
grep -q "^options pkiks user_gid=$(getent group pkid | cut -d: -f3)$" /etc/modprobe.d/pkiks.conf &&
	okay "postinst: /etc/modprobe.d/pkiks.conf has the pkid group's gid" || fail "no modprobe options"
apt-get purge -y -q pkid pkiks-dkms >purge.log 2>&1 && okay "apt-get purge of both" ||
	{ fail "purge:"; tail -20 purge.log; }
ls /lib/modules/"$kver"/updates/dkms/pkiks.ko* >/dev/null 2>&1 && fail "pkiks.ko left after purge" ||
	okay "purge removed pkiks.ko"
[ ! -e /etc/pkid ] && okay "purge removed /etc/pkid" || fail "/etc/pkid left after purge"
EOS
start=$SECONDS
unshare --mount --fork -- sh -c '
	x=$1 tree=$2 kver=$3 ver=$4
	m=$x/merged
	mount -t overlay overlay -o "lowerdir=$tree,upperdir=$x/upper,workdir=$x/work" "$m" || exit 1
	mount --rbind /dev "$m/dev" && mount -t proc proc "$m/proc" &&
		mount -t sysfs sysfs "$m/sys" && mount -t tmpfs tmpfs "$m/run" || exit 1
	mkdir -p "$m/tmp/debs" && cp "$x"/*.deb "$x/in-tree.sh" "$m/tmp/debs/" &&
		chroot "$m" /bin/sh /tmp/debs/in-tree.sh "$kver" "$ver"' \
	sh "$x" "$tree" "$kver" "$dkms_ver" >"$x/in-tree.out" 2>&1 || fail "the chroot did not run"
cat "$x/in-tree.out"
fails=$((fails + $(grep -c '^FAIL' "$x/in-tree.out" || true)))
inst=$((SECONDS - start))
oks=$(grep -c '^ok - ' "$x/in-tree.out" || true)
grep -q "DKMS: pkiks/.* installed" "$x/in-tree.out" || fails=$((fails + 1))
[ $fails -eq 0 ] || { echo "debs: $fails failures"; exit 1; }
echo "pkid_arm64 + pkiks-dkms_all built, $oks install checks in the tree ok, DKMS built pkiks.ko for $kver (install ${inst} s)"
