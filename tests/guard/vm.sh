#!/bin/bash
# check-guard-vm: the guard under Debian 12's own kernel (the newest
# /boot/vmlinuz-* with modules, 6.1 on bookworm) in qemu, so that the BPF
# program is known to pass that kernel's verifier, not only the host's.
#
#   tests/guard/vm.sh BIN_DIR [TIMEOUT_S]
#
# The initramfs holds busybox, tests/guard/vm-init.sh as /init, the loader,
# the SYN sender, pkictl, iproute2's ip and tc (with their libraries) and
# the veth, sch_ingress and cls_bpf modules.
set -euo pipefail
BIN=$(cd "${1:?usage: vm.sh BIN_DIR [TIMEOUT_S]}" && pwd)
timeout_s=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)

kver=$(ls /lib/modules | sort -V | while read -r v; do
	[ -f "/boot/vmlinuz-$v" ] && echo "$v"; done | tail -1)
[ -n "$kver" ] || { echo "guard-vm: no /boot/vmlinuz-* with modules" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
install -m 755 "$here/vm-init.sh" "$root/init"
echo 'root:x:0:' >"$root/etc/group"

copy_with_libs() {
	local bin=$1 lib
	install -D -m 755 "$bin" "$root/usr/local/bin/$(basename "$bin")"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
for b in "$BIN/pkid-guard-test" "$BIN/guard-synflood" "$BIN/pkictl" \
	"$(command -v ip)" "$(command -v tc)"; do
	copy_with_libs "$b"
done
# (in /usr/local/bin, first in PATH: busybox has an ip and a tc of its own)
for m in veth sch_ingress cls_bpf; do
	cp "$(modinfo -k "$kver" -n $m)" "$root/lib/modules/"
done
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd.gz"

start=$SECONDS
set +e
timeout --signal=KILL "$timeout_s" qemu-system-x86_64 -accel tcg \
	-m 512M -smp 2 -nographic -no-reboot -nodefaults -serial stdio \
	-kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=3" </dev/null >"$work/log" 2>&1
rc=$?
set -e
tr -d '\r' <"$work/log" | grep -E '^(ok|not ok|  |kernel|GUARD-VM-RESULT)' || true
echo "guard-vm: kernel $kver, $((SECONDS - start)) s, qemu exit $rc"
if ! tr -d '\r' <"$work/log" | grep -q '^GUARD-VM-RESULT: PASS'; then
	tr -d '\r' <"$work/log" | tail -30 >&2
	exit 1
fi
