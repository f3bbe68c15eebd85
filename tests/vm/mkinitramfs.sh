#!/bin/bash
# Builds the initramfs of the pkiks qemu harness.
#   mkinitramfs.sh OUT.cpio.gz KVER [MODE]
# (MODE lifecycle, hierarchy, rollover-ec: pkid's lifecycle, three tiers or
# an ECDSA CA's rollover with strongSwan instead, see
# lifecycle-files.sh;
# MODE bench-scep: pkid under scep-bench, see bench-scep-files.sh.)
# Contents: busybox-static, /init and /tests.sh (tests/vm), pkiks-vmtest,
# test-keystore (tests/keystore) and openssl with their ldd libraries and
# the dynamic loader, openssl.cnf, the suite's keys (build/test-keys),
# pkiks.ko with the modules it needs (resolved with modinfo, listed in
# load order in /modules.order), and test keys made here with openssl.
# $PKIKS_VM_ROOT: the tree whose /lib/modules/KVER holds the kernel's
# modules (default /); $PKIKS_VM_KO: the pkiks.ko to carry (default
# build/kmod/pkiks.ko).  Compressed modules (.ko.xz, .ko.zst, .ko.gz, as
# newer Debian kernels ship them) are carried decompressed, so busybox's
# insmod needs no decompressor.
# Another architecture than the host's (make check-arm64):
# $PKIKS_VM_SYSROOT is a Debian tree of that architecture (busybox, openssl
# and every library come from it), $PKIKS_VM_MULTIARCH its triplet, and
# $PKIKS_VM_BIN holds the programs cross-built for it (default build/bin).
# The test keys and blobs are made on the host either way (host openssl,
# build/bin/pkiks-vmtest and pkiksd): their formats do not depend on the
# architecture, so the module also opens blobs made on another one.
set -euo pipefail
out=$1 kver=$2 mode=${3:-check}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
root=$(mktemp -d)
chmod 755 "$root" # the VM's /: unprivileged test users must reach /tmp and /keys
trap 'rm -rf "$root"' EXIT

sysroot=${PKIKS_VM_SYSROOT:-}
vmbin=${PKIKS_VM_BIN:-$top/build/bin}
# shellcheck source=tests/vm/libs.sh
. "$here/libs.sh"

mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,keys,lib/modules,usr/lib/ssl}
cp "$sysroot/bin/busybox" "$root/bin/busybox"
install -m 755 "$here/init.sh" "$root/init"
install -m 755 "$here/vm-tests.sh" "$root/tests.sh"

# Binaries and every shared library they load.
vm_copy "$root" "$vmbin/pkiks-vmtest" /bin
vm_copy "$root" "$(vm_prog openssl)" /bin
# The shared CUnit keystore suite (tests/keystore) and its keys.
vm_copy "$root" "$vmbin/test-keystore" /bin
mkdir -p "$root/kskeys"
cp "$top"/build/test-keys/*.pem "$root/kskeys/"
# OpenSSL's own modules (providers) are not needed: the default is built in.
cp -L "$sysroot/usr/lib/ssl/openssl.cnf" "$root/usr/lib/ssl/openssl.cnf"
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# Modules, dependencies first.
kroot=${PKIKS_VM_ROOT:-}
order=()
add_module() { # $1: a module file
	local dep f
	for dep in $(modinfo -F depends "$1" | tr , ' '); do
		f=$(modinfo -b "${kroot:-/}" -k "$kver" -n "$dep")
		# (kmod prints the path with or without the base, by version)
		[ -e "$f" ] || f=$kroot$f
		add_module "$f"
	done
	for f in "${order[@]}"; do
		[ "$f" = "$1" ] && return 0
	done
	order+=("$1")
}
add_module "${PKIKS_VM_KO:-$top/build/kmod/pkiks.ko}"
for f in "${order[@]}"; do
	name=$(basename "$f")
	case $name in
	*.ko.xz) xz -dc "$f" >"$root/lib/modules/${name%.xz}" ;;
	*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/${name%.zst}" ;;
	*.ko.gz) gzip -dc "$f" >"$root/lib/modules/${name%.gz}" ;;
	*) cp "$f" "$root/lib/modules/$name" ;;
	esac
	name=${name%.xz} name=${name%.zst} name=${name%.gz}
	echo "$name" >>"$root/modules.order"
done

# Test keys (host-side openssl: fast, and independent of the module).
for bits in 1024 2048 3072 4096; do
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" \
		-out "$root/keys/rsa$bits.pem" 2>/dev/null
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$root/keys/dec2048.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$root/keys/user2048.pem" 2>/dev/null
for k in "$root"/keys/*.pem; do
	openssl pkey -in "$k" -pubout -out "${k%.pem}.pub" 2>/dev/null
done
head -c 32 /dev/urandom >"$root/keys/kek"
# The tests read the keys as unprivileged users too (test keys only).
chmod 755 "$root/keys"
chmod 600 "$root/keys/kek"

# Blobs made elsewhere that the module must open (same KEK):
#  - openssl.blob, sealed with OpenSSL's ChaCha20-Poly1305 (pkiks-vmtest mkblob);
#  - twin.blob, wrapped by pkiksd, the userspace twin, when it is built.
vmtest=$top/build/bin/pkiks-vmtest
"$vmtest" mkblob "$root/keys/kek" "$root/keys/rsa2048.pem" OSSLKEY 0 1 \
	"$root/keys/openssl.blob"
twin_blob() {
	local d i=0 pid rc
	d=$(mktemp -d)
	mkdir "$d/state"
	"$top/build/bin/pkiksd" --socket "$d/sock" --state-dir "$d/state" \
		--kek-file "$root/keys/kek" --foreground >"$d/log" 2>&1 &
	pid=$!
	while [ ! -S "$d/sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	"$vmtest" --twin "$d/sock" import TWINKEY sign "$root/keys/rsa2048.pem" >/dev/null 2>&1 &&
		"$vmtest" --twin "$d/sock" wrap TWINKEY "$root/keys/twin.blob" 2>"$d/err"
	rc=$?
	kill "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ $rc -eq 0 ] || { echo "mkinitramfs: pkiksd could not wrap a key:" >&2; cat "$d/log" "$d/err" >&2; }
	rm -rf "$d"
	return $rc
}
if [ -x "$top/build/bin/pkiksd" ]; then
	twin_blob
fi
chmod 644 "$root"/keys/* "$root"/kskeys/*
case $mode in
lifecycle | lifecycle-ec | enroll | hierarchy | rollover-ec) "$here/lifecycle-files.sh" "$root" "$top" "$mode" ;;
bench-scep) "$here/bench-scep-files.sh" "$root" "$top" ;;
esac
chmod 755 "$root/kskeys"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
