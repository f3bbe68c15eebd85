#!/bin/bash
# Boots Debian's kernel under qemu (TCG: no KVM here) with the pkiks test
# initramfs and reports what /tests.sh printed.
#   run-vm.sh check|bench|matrix|fuzz-long|lifecycle[-ec]|hierarchy|rollover-ec|bench-scep [TIMEOUT_S]
# Exit 0 only when the VM printed "PKIKS-VM-RESULT: PASS"; a VM that hangs
# is killed after TIMEOUT_S.  The serial log is kept in $PKIKS_VM_LOG if
# set, else printed on failure.  $PKIKS_VM_OVERLAY, if set, is a gzipped
# cpio archive appended to the initramfs (the kernel unpacks both, the
# later one winning): another suite's binaries and its own /tests.sh.
# Another kernel than the host's (make check-kernels): $PKIKS_VM_ROOT is a
# Debian tree holding /boot/vmlinuz-* and /lib/modules/*, $PKIKS_VM_KVER
# picks one of its kernels (default: the newest), $PKIKS_VM_KO is pkiks.ko
# built for it (default: build/kmod/pkiks.ko).
# $PKIKS_VM_CPU, if set, is qemu's -cpu model: the default model has no
# BMI2/ADX, so the module's RSA runs its C limb loop; "max" gives TCG's
# BMI2/ADX and so runs the mulx/adcx/adox loop in the kernel.
# Another architecture (make check-arm64): $PKIKS_VM_ARCH=arm64 boots the
# tree's kernel in qemu-system-aarch64 (-M virt -cpu max, console on the
# PL011); mkinitramfs.sh then takes its programs from $PKIKS_VM_SYSROOT.
set -euo pipefail
mode=${1:-check}
timeout_s=${2:-900}
here=$(cd "$(dirname "$0")" && pwd)

kroot=${PKIKS_VM_ROOT:-}
# Newest Debian kernel with both an image and modules (uname -r is the host's).
kver=${PKIKS_VM_KVER:-$(ls "$kroot/lib/modules" | sort -V | while read -r v; do
	[ -f "$kroot/boot/vmlinuz-$v" ] && echo "$v"; done | tail -1)}
[ -n "$kver" ] && [ -f "$kroot/boot/vmlinuz-$kver" ] ||
	{ echo "run-vm: no $kroot/boot/vmlinuz-* with modules" >&2; exit 1; }
export PKIKS_VM_ROOT=$kroot

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/mkinitramfs.sh" "$work/initrd.gz" "$kver" "$mode"
if [ -n "${PKIKS_VM_OVERLAY:-}" ]; then
	cat "$PKIKS_VM_OVERLAY" >>"$work/initrd.gz"
fi
log=${PKIKS_VM_LOG:-$work/serial.log}
cpu=()
[ -n "${PKIKS_VM_CPU:-}" ] && cpu=(-cpu "$PKIKS_VM_CPU")

case ${PKIKS_VM_ARCH:-amd64} in
amd64) qemu=(qemu-system-x86_64 -accel tcg) console=ttyS0 ;;
arm64) qemu=(qemu-system-aarch64 -accel tcg -M virt -cpu max) console=ttyAMA0 ;;
*) echo "run-vm: unknown PKIKS_VM_ARCH ${PKIKS_VM_ARCH}" >&2; exit 1 ;;
esac

start=$SECONDS
set +e
timeout --signal=KILL "$timeout_s" "${qemu[@]}" "${cpu[@]}" -m 512M \
	-smp 2 -nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=$console panic=-1 oops=panic panic_on_warn=1 loglevel=4 vmtest=$mode" \
	</dev/null >"$log" 2>&1
rc=$?
set -e
tr -d '\r' <"$log" | grep -E '^(ok|not ok|    |BENCH|PKIKS-VM-RESULT)' || true
result=$(tr -d '\r' <"$log" | grep '^PKIKS-VM-RESULT:' | tail -1 || true)
echo "run-vm: mode $mode, kernel $kver (${PKIKS_VM_ARCH:-amd64}), $((SECONDS - start)) s, qemu exit $rc"
if [ -z "$result" ]; then
	echo "run-vm: no result line (VM hung, crashed or was killed); serial log tail:" >&2
	tr -d '\r' <"$log" | tail -40 >&2
	exit 1
fi
case $result in
*PASS*) exit 0 ;;
*) exit 1 ;;
esac
